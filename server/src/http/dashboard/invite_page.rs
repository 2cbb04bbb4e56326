//! Invites made from the dashboard: a phone's (a champion's or a youth
//! worker's), named and with its patches chosen from the area's, shown as
//! a link and a QR code its app scans; and a person's access to the
//! dashboard (viewer or admin), a one-time sign-in link and its QR code.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use sync_core::Timestamp;

use super::admin_pages::{AfterInvite, devices_page};
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::calendar::Zone;
use crate::error::Error;
use crate::http::AppState;
use crate::ops::{self, INVITE_DAYS, Role};

/// How long a sign-in link made on the devices page works.
const SIGN_IN_LINK_DAYS: i64 = 7;

/// An invite just made, shown once on the devices page.
pub(super) struct NewInvite {
    /// Who it is for, in words ("a street champion's phone").
    pub(super) who: &'static str,
    pub(super) name: String,
    pub(super) patches: String,
    /// The link it is used with: a phone's app opens it, or a person opens
    /// it in a browser to sign in.
    pub(super) link: String,
    /// That link as a QR code (inline SVG).
    pub(super) qr: String,
    pub(super) expires: String,
    /// Whether it is for a phone (else a person's browser).
    pub(super) phone: bool,
    /// The code alone, for an app that asks for it typed.
    pub(super) code: String,
}

/// A QR code of `text`, as inline SVG with its name for screen readers.
fn qr_svg(text: &str) -> Result<String, Error> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| Error::Render(e.to_string()))?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(192, 192)
        .quiet_zone(true)
        .build();
    // Inline in the page: no XML declaration.
    let start = drawn
        .find("<svg")
        .ok_or_else(|| Error::Render("the QR code has no <svg>".into()))?;
    Ok(drawn[start..].replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code of the link\" ",
        1,
    ))
}

/// `POST /admin/invites`: its fields are `role`, `name`, and one `patches`
/// for each patch ticked. Shows the invite once, in the answer itself
/// (never in a URL, where history and logs would keep it).
pub(super) async fn invite(
    State(state): State<AppState>,
    user: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    user.check_form(field("csrf"))?;
    let typed = TypedInvite {
        role: field("role"),
        name: field("name"),
        patches: fields
            .iter()
            .filter(|(k, _)| k == "patches")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    match make(&state, &user, &typed).await {
        Ok(new) => devices_page(&state, &user, "", Some(AfterInvite::Made(new))).await,
        Err(e) => {
            let refused = AfterInvite::Refused {
                role: typed.role.to_owned(),
                name: typed.name.to_owned(),
                patches: typed.patches,
                problem: refusal(e)?,
            };
            devices_page(&state, &user, "", Some(refused)).await
        }
    }
}

/// An invite form as posted.
struct TypedInvite<'a> {
    role: &'a str,
    name: &'a str,
    patches: BTreeSet<String>,
}

/// Makes the invite a form asks for.
async fn make(
    state: &AppState,
    user: &WebUser,
    typed: &TypedInvite<'_>,
) -> Result<NewInvite, Error> {
    let role = Role::parse(typed.role)
        .ok_or_else(|| Error::BadRequest(format!("unknown role {:?}", typed.role)))?;
    let name = Some(typed.name.trim()).filter(|n| !n.is_empty());
    let patches = &typed.patches;
    let area = ops::area::read(&state.db).await?;
    if let Some(unknown) = patches
        .iter()
        .find(|p| area.as_ref().and_then(|a| a.patch(p)).is_none())
    {
        return Err(Error::BadRequest(format!(
            "the area has no patch {unknown:?}"
        )));
    }
    let now = state.now();
    let zone = Zone::of(area.as_ref());
    let public = &state.settings.public_url;
    if role.reads_reports() && !patches.is_empty() {
        return Err(Error::BadRequest(
            "patches are for street champions: a viewer or admin sees the whole area".into(),
        ));
    }
    let (path, lifetime_days, phone) = if role.reads_reports() {
        let minutes = SIGN_IN_LINK_DAYS * 24 * 60;
        let path =
            ops::devices::sign_in_link(&state.db, user.actor(), role, name, now, minutes).await?;
        (path, SIGN_IN_LINK_DAYS, false)
    } else {
        let lifetime = INVITE_DAYS * Timestamp::DAY_MILLIS;
        let code =
            ops::devices::invite_named(&state.db, user.actor(), role, patches, name, now, lifetime)
                .await?;
        (format!("/join/{code}"), INVITE_DAYS, true)
    };
    // From the configured public URL, never from the request's Host
    // header, which whoever sends the request chooses.
    let link = public.join(&path);
    let code = path.rsplit('/').next().unwrap_or_default().to_owned();
    Ok(NewInvite {
        who: match role {
            Role::Champion => "a street champion's phone",
            Role::YouthWorker => "a youth outreach worker's phone",
            Role::Viewer => "a viewer (reports only)",
            Role::Admin => "an admin",
        },
        name: name.unwrap_or_default().to_owned(),
        patches: patches
            .iter()
            .map(|p| crate::labels::patch_name(area.as_ref(), p))
            .collect::<Vec<_>>()
            .join(", "),
        qr: qr_svg(&link)?,
        link,
        expires: format!(
            "{} ({})",
            zone.date_time(
                now.plus_millis(lifetime_days * Timestamp::DAY_MILLIS)
                    .as_millis()
            ),
            zone.name()
        ),
        phone,
        code,
    })
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    title: String,
    chrome: Chrome,
    server: String,
    code: String,
}

/// `GET /join/{code}`: what a phone's invite link shows in a browser (the
/// app opens the link itself). It neither checks nor uses the code.
pub(super) async fn join(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let page = JoinPage {
        title: "Join your area's outreach".into(),
        chrome: Chrome::signed_out(),
        server: state.settings.public_url.as_str().to_owned(),
        code: code.chars().filter(char::is_ascii_hexdigit).collect(),
    };
    Ok(html(&page)?.into_response())
}
