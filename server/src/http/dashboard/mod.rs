//! The partnership dashboard: server-rendered pages (askama templates) with
//! SVG charts drawn on the server, for viewers and admins signed in with a
//! cookie. Nothing is fetched from elsewhere and no script runs: the
//! Content-Security-Policy forbids both.
//!
//! Sign-in: a viewer or admin token, or a one-time sign-in link made by
//! `outreach admin sign-in-link` (an invite that registers a dashboard
//! device). A session acts as its device, so revoking the device signs its
//! browsers out. Every form carries the session's CSRF token, and the
//! cookie is `SameSite=Strict` and `HttpOnly`.

mod admin_pages;
mod charts;
mod pages;
pub(crate) mod sections;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use sync_core::{AreaConfig, Timestamp};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use super::reports::REPORTS;
use crate::error::Error;
use crate::ops::{self, Device, Role};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "outreach_session";
/// How long a dashboard session lasts.
const SESSION_HOURS: i64 = 12;

/// The dashboard's pages, to merge into the application.
pub(crate) fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/reports/funnel") }))
        .route("/sign-in", get(sign_in_page).post(sign_in_with_token))
        .route("/sign-in/{code}", get(sign_in_link_page))
        .route("/sign-in/link", post(sign_in_with_link))
        .route("/sign-out", post(sign_out))
        .route("/reports/{report}", get(pages::report_page))
        .route("/reports/{report}/csv", get(pages::report_csv))
        .route("/admin/devices", get(admin_pages::devices))
        .route("/admin/devices/{id}/revoke", post(admin_pages::revoke))
        .route("/admin/invites", post(admin_pages::invite))
        .route(
            "/admin/area",
            get(admin_pages::area).post(admin_pages::save_area),
        )
        .route("/admin/patches", post(admin_pages::save_patch))
        .route(
            "/admin/patches/{slug}/delete",
            post(admin_pages::delete_patch),
        )
        .route(
            "/admin/events",
            get(admin_pages::events).post(admin_pages::create_event),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .merge(pages)
        .route("/static/style.css", get(stylesheet))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Sign-in links carry their code in the path: never send it on.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/style.css"),
    )
}

/// Navigation and sign-out: what every page's frame needs.
pub(crate) struct Chrome {
    signed_in: bool,
    admin: bool,
    area: String,
    csrf: String,
    reports: Vec<NavLink>,
    admin_links: Vec<NavLink>,
}

pub(crate) struct NavLink {
    href: String,
    label: &'static str,
    current: bool,
}

const ADMIN_LINKS: [(&str, &str); 3] = [
    ("/admin/devices", "Devices and invites"),
    ("/admin/area", "Area, patches and ladder"),
    ("/admin/events", "Events"),
];

impl Chrome {
    /// The frame for a signed-in user on the page at `current`, in `area`
    /// (which the page has loaded anyway).
    fn signed_in(user: &WebUser, current: &str, area: Option<&AreaConfig>) -> Self {
        let link = |href: String, label: &'static str| NavLink {
            current: href == current,
            href,
            label,
        };
        Self {
            signed_in: true,
            admin: user.device.role == Role::Admin,
            area: area.map(|a| a.name.clone()).unwrap_or_default(),
            csrf: user.csrf.clone(),
            reports: REPORTS
                .iter()
                .map(|r| link(format!("/reports/{}", r.name), r.label))
                .collect(),
            admin_links: ADMIN_LINKS
                .into_iter()
                .map(|(href, label)| link(href.to_owned(), label))
                .collect(),
        }
    }

    fn signed_out() -> Self {
        Self {
            signed_in: false,
            admin: false,
            area: String::new(),
            csrf: String::new(),
            reports: Vec::new(),
            admin_links: Vec::new(),
        }
    }
}

/// A signed-in viewer or admin, from the session cookie.
#[derive(Debug)]
pub(crate) struct WebUser {
    device: Device,
    csrf: String,
}

impl WebUser {
    /// Who acts, for the audit log.
    fn actor(&self) -> ops::Actor {
        ops::Actor::Device(self.device.id)
    }

    /// Refuses anyone but an admin.
    fn admin(&self) -> Result<(), WebError> {
        if self.device.role == Role::Admin {
            Ok(())
        } else {
            Err(WebError::Page(Error::Forbidden("only admins may do this")))
        }
    }

    /// Checks a submitted form's CSRF token.
    fn check_form(&self, csrf: &str) -> Result<(), WebError> {
        if !csrf.is_empty() && csrf == self.csrf {
            Ok(())
        } else {
            Err(WebError::Page(Error::Forbidden(
                "the form is stale or came from another site: reload the page and try again",
            )))
        }
    }
}

fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let secret = session_secret(&parts.headers).ok_or(WebError::SignIn)?;
        let (device, csrf) = ops::devices::session(&state.db, &secret, state.now())
            .await?
            .ok_or(WebError::SignIn)?;
        if device.revoked || !device.role.reads_reports() {
            return Err(WebError::SignIn);
        }
        Ok(Self { device, csrf })
    }
}

/// What a page handler fails with: a redirect to sign in, or an error page.
#[derive(Debug)]
pub(crate) enum WebError {
    /// Not signed in (or the session ended).
    SignIn,
    /// Anything else, shown as a page with the API's status.
    Page(Error),
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        Self::Page(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    chrome: Chrome,
    message: String,
    back: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/sign-in").into_response(),
            Self::Page(error) => {
                let (status, _) = super::status_of(&error);
                let message = super::public_message(&error, status);
                let page = ErrorPage {
                    title: status
                        .canonical_reason()
                        .unwrap_or("Something went wrong")
                        .to_owned(),
                    chrome: Chrome::signed_out(),
                    message,
                    back: "/",
                };
                match page.render() {
                    Ok(html) => (status, Html(html)).into_response(),
                    Err(_) => status.into_response(),
                }
            }
        }
    }
}

/// An HTML body.
pub(crate) struct Html(pub(crate) String);

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], self.0).into_response()
    }
}

/// Renders a page template.
fn html(page: &impl Template) -> Result<Html, WebError> {
    page.render()
        .map(Html)
        .map_err(|e| WebError::Page(Error::Render(e.to_string())))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    title: String,
    chrome: Chrome,
    message: String,
    code: String,
}

fn sign_in_form(status: StatusCode, message: String, code: String) -> Result<Response, WebError> {
    let page = SignInPage {
        title: "Sign in to the partnership dashboard".into(),
        chrome: Chrome::signed_out(),
        message,
        code,
    };
    Ok((status, html(&page)?).into_response())
}

async fn sign_in_page() -> Result<Response, WebError> {
    sign_in_form(StatusCode::OK, String::new(), String::new())
}

async fn sign_in_link_page(Path(code): Path<String>) -> Result<Response, WebError> {
    sign_in_form(StatusCode::OK, String::new(), code)
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

async fn sign_in_with_token(
    State(state): State<AppState>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    let device = match ops::devices::authenticate(&state.db, form.token.trim()).await {
        Ok(device) if !device.revoked && device.role.reads_reports() => device,
        Ok(_) => {
            return sign_in_form(
                StatusCode::FORBIDDEN,
                "Only viewer and admin tokens open the dashboard.".into(),
                String::new(),
            );
        }
        Err(Error::Unauthorized) => {
            return sign_in_form(
                StatusCode::UNAUTHORIZED,
                "That token is not known here.".into(),
                String::new(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    start_session(&state, &device).await
}

#[derive(Deserialize)]
struct LinkForm {
    code: String,
}

async fn sign_in_with_link(
    State(state): State<AppState>,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    let device =
        match ops::devices::register_dashboard(&state.db, form.code.trim(), state.now()).await {
            Ok(device) => device,
            Err(Error::BadRequest(message)) => {
                return sign_in_form(StatusCode::BAD_REQUEST, message, String::new());
            }
            Err(e @ Error::Forbidden(_)) => {
                return sign_in_form(StatusCode::FORBIDDEN, e.to_string(), String::new());
            }
            Err(e) => return Err(e.into()),
        };
    start_session(&state, &device).await
}

/// Stores a new session for `device` and sets its cookie.
async fn start_session(state: &AppState, device: &Device) -> Result<Response, WebError> {
    let now = state.now();
    let secret = ops::devices::start_session(&state.db, device.id, now, session_end(now)).await?;
    let cookie = cookie::Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::hours(SESSION_HOURS))
        .build();
    Ok((
        [(header::SET_COOKIE, cookie.to_string())],
        Redirect::to("/reports/funnel"),
    )
        .into_response())
}

fn session_end(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.as_millis() + SESSION_HOURS * 3_600_000)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    user.check_form(&form.csrf)?;
    if let Some(secret) = session_secret(&headers) {
        ops::devices::end_session(&state.db, &secret, state.now()).await?;
    }
    let expired = cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok((
        [(header::SET_COOKIE, expired.to_string())],
        Redirect::to("/sign-in"),
    )
        .into_response())
}
