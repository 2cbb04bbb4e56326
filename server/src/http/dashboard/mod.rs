//! The partnership dashboard: server-rendered pages (askama templates) with
//! SVG charts drawn on the server, for viewers and admins signed in with a
//! cookie. Nothing is fetched from elsewhere and no script runs: the
//! Content-Security-Policy forbids both.
//!
//! Sign-in: a viewer or admin token, or a one-time sign-in link made by
//! `outreach admin sign-in-link` (an invite that registers a dashboard
//! device). A session acts as its device, so revoking the device signs its
//! browsers out. Every form carries the session's CSRF token, and the
//! cookie is `SameSite=Strict` and `HttpOnly` (and, when the public URL is
//! `https`, `Secure` with the `__Host-` prefix). Sessions end after half an
//! hour unused or twelve hours in all. Sign-in forms must come from the
//! dashboard's own pages (as `Sec-Fetch-Site` or `Origin` says), and count
//! against the client address's allowance.

mod admin_pages;
mod area_page;
mod audit_page;
mod backup_page;
mod board_page;
mod charts;
mod confirm_page;
mod doors_page;
mod duplicates_page;
mod events_page;
mod groups_page;
mod invite_page;
mod map_chart;
pub(crate) mod pack_page;
mod pages;
mod people_import_page;
mod people_page;
mod promises_page;
pub(crate) mod sections;
mod setup_page;
mod targets_page;

use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use sync_core::AreaConfig;
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use super::reports::REPORTS;
use crate::error::Error;
use crate::ops::{self, Device, INVITE_CODE_CHARS, Role};

/// The session cookie's name over plain HTTP.
pub const SESSION_COOKIE: &str = "outreach_session";
/// Its name over HTTPS: browsers keep a `__Host-` cookie only if it is
/// `Secure`, for this host alone and for every path, so no other site (a
/// sibling subdomain included) can set it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-outreach_session";

/// The dashboard's pages, to merge into the application.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/reports/funnel") }))
        .route("/sign-in", get(sign_in_page).post(sign_in_with_token))
        .route("/sign-in/{code}", get(sign_in_link_page))
        .route("/sign-in/link", post(sign_in_with_link))
        .route("/sign-out", post(sign_out))
        .route("/join/{code}", get(invite_page::join))
        .route("/board-pack", get(pack_page::board_pack))
        .route("/board-pack.pdf", get(pack_page::board_pack_pdf))
        .route("/reports/{report}", get(pages::report_page))
        .route("/reports/{report}/csv", get(pages::report_csv))
        .route("/reports/{report}/svg", get(pages::report_svg))
        .route("/admin/setup", get(setup_page::setup))
        .route("/admin/devices", get(admin_pages::devices))
        .route(
            "/admin/devices/{id}/revoke",
            get(confirm_page::revoke).post(admin_pages::revoke),
        )
        .route("/admin/invites", post(invite_page::invite))
        .route(
            "/admin/invites/{id}/cancel",
            post(admin_pages::cancel_invite),
        )
        .route(
            "/admin/area",
            get(area_page::area).post(area_page::save_area),
        )
        .route("/admin/area/topics", post(area_page::save_topics))
        .route("/admin/area/ladder", post(area_page::save_ladder))
        .route("/admin/area/residents", post(area_page::save_residents))
        .route(
            "/admin/area/lawful-bases",
            post(area_page::save_lawful_bases),
        )
        .route("/admin/patches", post(area_page::save_patch))
        .route("/admin/patches/{slug}/census", post(area_page::save_census))
        .route(
            "/admin/patches/{slug}/delete",
            get(confirm_page::remove_patch).post(area_page::delete_patch),
        )
        .route(
            "/admin/events",
            get(events_page::events).post(events_page::create_event),
        )
        .route(
            "/admin/events/{id}",
            get(events_page::event).post(events_page::save_event),
        )
        .route(
            "/admin/events/{id}/cancel",
            get(confirm_page::cancel_event).post(events_page::cancel),
        )
        .route(
            "/admin/doors",
            get(doors_page::doors).post(doors_page::import),
        )
        .route("/admin/backups", get(backup_page::backups))
        .route(
            "/admin/targets",
            get(targets_page::targets).post(targets_page::save),
        )
        .route("/admin/targets/remove", post(targets_page::remove))
        .route("/admin/audit", get(audit_page::audit))
        .route("/admin/people", get(people_page::people))
        .route(
            "/admin/people/import",
            get(people_import_page::form).post(people_import_page::import),
        )
        .route(
            "/admin/people/{id}",
            get(people_page::person).post(people_page::save_person),
        )
        .route(
            "/admin/people/{id}/erase",
            get(confirm_page::erase_person).post(people_page::erase),
        )
        .route(
            "/admin/people/{id}/suppress",
            get(confirm_page::suppress_person).post(people_page::suppress),
        )
        .route("/admin/people/{id}/export", get(people_page::export))
        .route("/admin/people/{id}/roles", post(board_page::take_up))
        .route(
            "/admin/people/{id}/roles/{entry}/end",
            post(board_page::stand_down),
        )
        .route(
            "/admin/people/{id}/roles/{entry}/hats",
            post(board_page::set_hats),
        )
        .route("/admin/board", get(board_page::board))
        .route("/admin/promises-kept", get(promises_page::promises_kept))
        .route(
            "/admin/groups",
            get(groups_page::groups).post(groups_page::create),
        )
        .route(
            "/admin/groups/{id}",
            get(groups_page::group).post(groups_page::save),
        )
        .route("/admin/groups/{id}/close", post(groups_page::close))
        .route("/admin/groups/{id}/open", post(groups_page::open))
        .route("/admin/people/{id}/groups", post(groups_page::join))
        .route(
            "/admin/people/{id}/groups/{entry}/end",
            post(groups_page::leave),
        )
        .route("/admin/duplicates", get(duplicates_page::duplicates))
        .route(
            "/admin/duplicates/merge",
            get(confirm_page::merge_people).post(duplicates_page::merge),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state,
            error_pages_keep_the_menu,
        ))
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
        // Sign-in links carry their code in the path: never send it to
        // another site. (Not `no-referrer`: with it, browsers send
        // `Origin: null` with the dashboard's own forms.)
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
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

const ADMIN_LINKS: [(&str, &str); 13] = [
    ("/admin/setup", "Set-up checklist"),
    ("/admin/people", "People"),
    ("/admin/duplicates", "Likely duplicates"),
    ("/admin/board", "Board"),
    ("/admin/promises-kept", "Promises kept"),
    ("/admin/groups", "Working groups"),
    ("/admin/devices", "Devices and invites"),
    ("/admin/area", "Area, patches and ladder"),
    ("/admin/targets", "Targets"),
    ("/admin/doors", "Doors list"),
    ("/admin/events", "Events"),
    ("/admin/backups", "Backups"),
    ("/admin/audit", "Audit log"),
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
            reports: std::iter::once(link("/board-pack".to_owned(), "Board pack"))
                .chain(
                    REPORTS
                        .iter()
                        .map(|r| link(format!("/reports/{}", r.name), r.label)),
                )
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
#[derive(Debug, Clone)]
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

    /// Checks a submitted form's CSRF token, in time that does not depend
    /// on how much of it is right.
    fn check_form(&self, csrf: &str) -> Result<(), WebError> {
        use subtle::ConstantTimeEq;
        if !csrf.is_empty() && bool::from(csrf.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(WebError::Page(Error::Forbidden(
                "the form is stale or came from another site: reload the page and try again",
            )))
        }
    }
}

/// The session cookie's name where people reach the server.
fn session_cookie(state: &AppState) -> &'static str {
    if state.settings.public_url.is_https() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session cookie, set to `value` for `max_age`.
fn session_cookie_header(
    state: &AppState,
    value: String,
    max_age: cookie::time::Duration,
) -> String {
    cookie::Cookie::build((session_cookie(state), value))
        .path("/")
        .http_only(true)
        .secure(state.settings.public_url.is_https())
        .same_site(cookie::SameSite::Strict)
        .max_age(max_age)
        .build()
        .to_string()
}

fn session_secret(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = session_cookie(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let secret = session_secret(state, &parts.headers).ok_or(WebError::SignIn)?;
        let (device, csrf) = ops::devices::session(&state.db, &secret, state.now())
            .await?
            .ok_or(WebError::SignIn)?;
        if device.revoked || !device.role.reads_reports() {
            return Err(WebError::SignIn);
        }
        let user = Self { device, csrf };
        // For an error page this request may end with: it keeps the menu.
        if let Some(signed_in) = parts.extensions.get::<SignedInAs>() {
            let _ = signed_in.0.set(user.clone());
        }
        Ok(user)
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

/// The user a request signed in as, once its handler has read the session
/// (set by [`WebUser`]'s extractor), for the error page it may end with.
#[derive(Clone, Default)]
struct SignedInAs(Arc<OnceLock<WebUser>>);

/// What an error page says, kept on the response so that
/// [`error_pages_keep_the_menu`] can draw it again inside the menu.
#[derive(Clone)]
struct ErrorMessage(String);

/// Draws an error page (`status`, `message`) in `chrome`.
fn error_page(status: StatusCode, message: String, chrome: Chrome) -> Response {
    let mut headers = HeaderMap::new();
    super::add_error_headers(status, &mut headers);
    let page = ErrorPage {
        title: status
            .canonical_reason()
            .unwrap_or("Something went wrong")
            .to_owned(),
        chrome,
        message: message.clone(),
        back: "/",
    };
    let mut response = match page.render() {
        Ok(html) => (status, headers, Html(html)).into_response(),
        Err(_) => (status, headers).into_response(),
    };
    response.extensions_mut().insert(ErrorMessage(message));
    response
}

/// A page that fails for someone signed in (a refused form, a record that
/// is gone) keeps the menu, so they can go on from there.
async fn error_pages_keep_the_menu(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let signed_in = SignedInAs::default();
    request.extensions_mut().insert(signed_in.clone());
    let response = next.run(request).await;
    let (Some(ErrorMessage(message)), Some(user)) = (
        response.extensions().get::<ErrorMessage>().cloned(),
        signed_in.0.get(),
    ) else {
        return response;
    };
    let area = ops::area::read(&state.db).await.ok().flatten();
    error_page(
        response.status(),
        message,
        Chrome::signed_in(user, "", area.as_ref()),
    )
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/sign-in").into_response(),
            Self::Page(error) => {
                let (status, _) = super::status_of(&error);
                let message = super::public_message(&error, status);
                error_page(status, message, Chrome::signed_out())
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

/// The file of an upload form (`multipart/form-data` with `csrf` and
/// `file`), once the form's token is checked (before anything in the file
/// is looked at); an empty or missing file is refused.
async fn uploaded_file(
    user: &WebUser,
    mut form: axum::extract::Multipart,
) -> Result<axum::body::Bytes, WebError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Error::BadRequest(format!("the upload could not be read: {}", e.body_text()))
    };
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(unreadable)?,
            Some("file") => file = Some(field.bytes().await.map_err(unreadable)?),
            _ => {}
        }
    }
    user.check_form(&csrf)?;
    Ok(file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Error::BadRequest("choose a CSV file to upload".into()))?)
}

/// What a refused form says beside itself: a bad value's reason. Anything
/// else is not the form's fault, and shows the error page.
fn refusal(error: Error) -> Result<String, WebError> {
    match error {
        Error::BadRequest(message) => Ok(message),
        Error::Core(sync_core::Error::Validation(broken)) => Ok(broken.to_string()),
        other => Err(other.into()),
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

/// A sign-in form's submission: from the dashboard's own page (so no other
/// site can sign a visitor in as someone else), within its client address's
/// allowance (so guessing tokens and codes is slow).
struct SignInAttempt;

impl FromRequestParts<AppState> for SignInAttempt {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        state.count_unauthenticated(parts)?;
        if !from_own_page(parts, &state.settings.public_url) {
            return Err(WebError::Page(Error::Forbidden(
                "this sign-in form came from another site: open the dashboard's own sign-in page \
                 and try again",
            )));
        }
        Ok(Self)
    }
}

/// Whether a form was posted from one of the dashboard's pages: the
/// browser says the request is same-origin (`Sec-Fetch-Site`), or, from a
/// browser that does not say, its `Origin` is the public URL or the host
/// the request was sent to. (Browsers send one or the other with every form
/// they post; a request with neither is not a browser's, so not a forgery
/// in someone's browser.)
fn from_own_page(parts: &Parts, public_url: &super::PublicUrl) -> bool {
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == public_url.as_str() {
        return true;
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|authority| Some(authority) == host)
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

/// The code in what someone pasted into the sign-in form when it is a
/// sign-in link or a link's code (`None` for anything else, such as an
/// API token).
fn pasted_code(text: &str) -> Option<&str> {
    let text = text.trim();
    let code = text
        .rfind("/sign-in/")
        .map_or(text, |at| &text[at + "/sign-in/".len()..])
        .trim_end_matches('/');
    (code.len() == INVITE_CODE_CHARS && code.bytes().all(|b| b.is_ascii_hexdigit())).then_some(code)
}

/// `POST /sign-in`: a pasted sign-in link or code (what the dashboard
/// hands out), or a viewer's or admin's API token.
async fn sign_in_with_token(
    State(state): State<AppState>,
    attempt: SignInAttempt,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    if let Some(code) = pasted_code(&form.token) {
        let code = code.to_owned();
        return sign_in_with_link(State(state), attempt, Form(LinkForm { code })).await;
    }
    let device = match ops::devices::authenticate(&state.db, form.token.trim()).await {
        Ok(device) if !device.revoked && device.role.reads_reports() => device,
        Ok(_) => {
            return sign_in_form(
                StatusCode::FORBIDDEN,
                "That token belongs to a phone, which cannot open the dashboard: ask your \
                 administrator for a sign-in link."
                    .into(),
                String::new(),
            );
        }
        Err(Error::Unauthorized) => {
            return sign_in_form(
                StatusCode::UNAUTHORIZED,
                "That sign-in link is not known here: check it was copied whole, or ask your \
                 administrator for a new one."
                    .into(),
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
    _: SignInAttempt,
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
    let secret = ops::devices::start_session(&state.db, device.id, state.now()).await?;
    // The browser may keep the cookie for the session's longest life; the
    // server ends the session sooner when it goes unused.
    let lifetime = cookie::time::Duration::hours(ops::devices::SESSION_LONGEST_HOURS);
    let cookie = session_cookie_header(state, secret, lifetime);
    // An admin lands on the set-up checklist until the area is ready.
    let first = if device.role == Role::Admin
        && !ops::setup::complete(&ops::setup::checklist(&state.db).await?)
    {
        "/admin/setup"
    } else {
        "/reports/funnel"
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(first)).into_response())
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
    if let Some(secret) = session_secret(&state, &headers) {
        ops::devices::end_session(&state.db, &secret, state.now()).await?;
    }
    let expired = session_cookie_header(&state, String::new(), cookie::time::Duration::ZERO);
    Ok(([(header::SET_COOKIE, expired)], Redirect::to("/sign-in")).into_response())
}
