//! The dashboard's admin pages: devices and invites (revoke, invite), the
//! area (threshold, seats, suppression), patches and household counts, the
//! ladder, and events. Each form posts to the same use cases as the API and
//! the command line (`crate::ops`), then redirects back.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{EventKind, Timestamp};

use super::confirm_page::ConfirmedForm;
use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::ops::area::AreaChange;
use crate::ops::events::EventInput;
use crate::ops::{self, INVITE_DAYS, Role};

struct DeviceLine {
    id: String,
    name: String,
    role: &'static str,
    patches: String,
    created: String,
    last_seen: String,
    revoked: String,
}

struct InviteLine {
    id: String,
    role: String,
    patches: String,
    created: String,
    expires: String,
    /// Used, cancelled or expired, and when; empty while it still works.
    ended: String,
}

#[derive(Template)]
#[template(path = "admin_devices.html")]
struct DevicesPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    devices: Vec<DeviceLine>,
    invites: Vec<InviteLine>,
    new_code: String,
    new_role: String,
    new_link: String,
}

fn when(ms: Option<i64>) -> String {
    ms.map(calendar::date_time).unwrap_or_default()
}

/// `GET /admin/devices`.
pub(super) async fn devices(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    devices_page(&state, &user, done.notice(), None).await
}

/// The devices page; `new_invite` is a code just made and its role, shown
/// this once.
async fn devices_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    new_invite: Option<(String, Role)>,
) -> Result<Response, WebError> {
    user.admin()?;
    let devices = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.id,
            name: d.name,
            role: d.role.as_str(),
            patches: d.patches.join(", "),
            created: when(Some(d.created_at)),
            last_seen: when(d.last_seen_at),
            revoked: when(d.revoked_at),
        })
        .collect();
    let now = state.now();
    let invites = ops::devices::invites(&state.db)
        .await?
        .into_iter()
        .map(|i| {
            let ended = match (i.used_at, i.cancelled_at) {
                (Some(used), _) => format!("used {}", when(Some(used))),
                (None, Some(cancelled)) => format!("cancelled {}", when(Some(cancelled))),
                (None, None) if !i.usable(now) => "expired".to_owned(),
                (None, None) => String::new(),
            };
            InviteLine {
                id: i.id,
                role: i.role,
                patches: i.patches,
                created: when(Some(i.created_at)),
                expires: when(Some(i.expires_at)),
                ended,
            }
        })
        .collect();
    // A viewer or admin invite also works as a dashboard sign-in link.
    let (new_code, new_role, new_link) = match new_invite {
        Some((code, role)) => {
            // From the configured public URL, never from the request's
            // Host header, which whoever sends the request chooses.
            let link = if role.reads_reports() {
                state.settings.public_url.join(&format!("/sign-in/{code}"))
            } else {
                String::new()
            };
            (code, role.as_str().to_owned(), link)
        }
        None => (String::new(), String::new(), String::new()),
    };
    let page = DevicesPage {
        title: "Devices and invites".into(),
        chrome: Chrome::signed_in(
            user,
            "/admin/devices",
            ops::area::read(&state.db).await?.as_ref(),
        ),
        done,
        devices,
        invites,
        new_code,
        new_role,
        new_link,
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/devices/{id}/revoke`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    if let Some(first) = form.unconfirmed(&format!("/admin/devices/{id}/revoke")) {
        return Ok(first);
    }
    let id = id.parse().map_err(|_| Error::NotFound("device"))?;
    ops::devices::revoke(&state.db, user.actor(), id, state.now()).await?;
    Ok(Redirect::to("/admin/devices").into_response())
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    csrf: String,
    role: String,
    #[serde(default)]
    patches: String,
}

/// `POST /admin/invites`: makes an invite and shows its code once, in the
/// answer itself (never in a URL, where history and logs would keep it).
pub(super) async fn invite(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| Error::BadRequest(format!("unknown role {:?}", form.role)))?;
    let patches: BTreeSet<String> = form
        .patches
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let code = ops::devices::invite(
        &state.db,
        user.actor(),
        role,
        &patches,
        state.now(),
        INVITE_DAYS * Timestamp::DAY_MILLIS,
    )
    .await?;
    devices_page(&state, &user, "", Some((code, role))).await
}

/// `POST /admin/invites/{id}/cancel`.
pub(super) async fn cancel_invite(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    ops::devices::cancel_invite(&state.db, user.actor(), &id, state.now()).await?;
    Ok(Notice::InviteCancelled.redirect("/admin/devices"))
}

struct PatchLine {
    slug: String,
    name: String,
    households: u32,
}

struct StageLine {
    key: String,
    label: String,
    rule: String,
}

#[derive(Template)]
#[template(path = "admin_area.html")]
struct AreaPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    name: String,
    threshold: u8,
    seats: String,
    suppress_below: u32,
    patches: Vec<PatchLine>,
    ladder: Vec<StageLine>,
}

/// A confirmation after a form, shown by the page it redirects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice {
    Saved,
    PatchSaved,
    PatchRemoved,
    EventAdded,
    InviteCancelled,
}

impl Notice {
    const ALL: [Self; 5] = [
        Self::Saved,
        Self::PatchSaved,
        Self::PatchRemoved,
        Self::EventAdded,
        Self::InviteCancelled,
    ];

    /// Its key in the redirect's `?done=`.
    fn key(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::PatchSaved => "patch-saved",
            Self::PatchRemoved => "patch-removed",
            Self::EventAdded => "event-added",
            Self::InviteCancelled => "invite-cancelled",
        }
    }

    /// What the page says.
    fn message(self) -> &'static str {
        match self {
            Self::Saved => "Saved.",
            Self::PatchSaved => "Patch saved.",
            Self::PatchRemoved => "Patch removed.",
            Self::EventAdded => "Event added.",
            Self::InviteCancelled => "Invite cancelled: its code no longer works.",
        }
    }

    /// A redirect to `page` that shows this notice.
    fn redirect(self, page: &str) -> Response {
        Redirect::to(&format!("{page}?done={}", self.key())).into_response()
    }
}

/// The `?done=` of a redirect: a fixed key, so a page never shows text a
/// link could put in it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

impl Done {
    /// The notice's words, or nothing for an unknown key.
    fn notice(&self) -> &'static str {
        Notice::ALL
            .into_iter()
            .find(|n| n.key() == self.done)
            .map_or("", Notice::message)
    }
}

/// `GET /admin/area`.
pub(super) async fn area(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?.ok_or_else(|| {
        Error::BadRequest(
            "the area is not configured yet: run `outreach admin area set --slug SLUG --name NAME`"
                .into(),
        )
    })?;
    let page = AreaPage {
        title: "Area, patches and ladder".into(),
        chrome: Chrome::signed_in(&user, "/admin/area", Some(&area)),
        done: done.notice(),
        name: area.name.clone(),
        threshold: area.resident_led_threshold_percent,
        seats: area
            .partnership_seats
            .map(|s| s.to_string())
            .unwrap_or_default(),
        suppress_below: area.suppress_below,
        patches: area
            .patches
            .iter()
            .map(|p| PatchLine {
                slug: p.id.clone(),
                name: p.name.clone(),
                households: p.households,
            })
            .collect(),
        ladder: area
            .ladder
            .stages()
            .iter()
            .map(|s| StageLine {
                key: s.key.clone(),
                label: s.label.clone(),
                rule: s.rule.as_str().to_owned(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct AreaForm {
    #[serde(default)]
    csrf: String,
    name: String,
    threshold: String,
    #[serde(default)]
    seats: String,
    suppress_below: String,
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::BadRequest(format!("{what} must be a whole number, not {text:?}")))
}

/// `POST /admin/area`.
pub(super) async fn save_area(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<AreaForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let change = AreaChange {
        name: Some(form.name.trim().to_owned()),
        resident_led_threshold_percent: Some(number(&form.threshold, "the threshold")?),
        // Blank clears the seats (0 means not fixed).
        partnership_seats: Some(if form.seats.trim().is_empty() {
            0
        } else {
            number(&form.seats, "the number of seats")?
        }),
        suppress_below: Some(number(&form.suppress_below, "the suppression threshold")?),
        ..AreaChange::default()
    };
    ops::area::edit(
        &state.db,
        user.actor(),
        None,
        "settings",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(Notice::Saved.redirect("/admin/area"))
}

#[derive(Deserialize)]
pub(super) struct PatchForm {
    #[serde(default)]
    csrf: String,
    slug: String,
    name: String,
    households: String,
}

/// `POST /admin/patches`: adds a patch or changes one.
pub(super) async fn save_patch(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<PatchForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let households: u32 = number(&form.households, "households")?;
    ops::area::save_patch(
        &state.db,
        user.actor(),
        form.slug.trim(),
        form.name.trim(),
        households,
        state.now(),
    )
    .await?;
    Ok(Notice::PatchSaved.redirect("/admin/area"))
}

/// `POST /admin/patches/{slug}/delete`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn delete_patch(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    if let Some(first) = form.unconfirmed(&format!("/admin/patches/{slug}/delete")) {
        return Ok(first);
    }
    ops::area::delete_patch(&state.db, user.actor(), &slug, state.now()).await?;
    Ok(Notice::PatchRemoved.redirect("/admin/area"))
}

struct EventLine {
    title: String,
    kind: String,
    patch: String,
    starts: String,
    place: String,
}

struct PatchChoice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin_events.html")]
struct EventsPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    kinds: Vec<&'static str>,
    patches: Vec<PatchChoice>,
    events: Vec<EventLine>,
}

/// `GET /admin/events`.
pub(super) async fn events(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let patches = area.as_ref().map_or_else(Vec::new, |a| {
        a.patches
            .iter()
            .map(|p| PatchChoice {
                value: p.id.clone(),
                label: p.name.clone(),
            })
            .collect()
    });
    let events = ops::events::list(&state.db)
        .await?
        .into_iter()
        .map(|e| EventLine {
            title: e.title,
            kind: e.kind,
            patch: e.patch,
            starts: calendar::date_time(e.starts_at),
            place: e.place.unwrap_or_default(),
        })
        .collect();
    let page = EventsPage {
        title: "Events".into(),
        chrome: Chrome::signed_in(&user, "/admin/events", area.as_ref()),
        done: done.notice(),
        kinds: EventKind::ALL.iter().map(|k| k.as_str()).collect(),
        patches,
        events,
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct EventForm {
    #[serde(default)]
    csrf: String,
    title: String,
    kind: String,
    patch: String,
    starts: String,
    #[serde(default)]
    place: String,
}

/// `POST /admin/events`.
pub(super) async fn create_event(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<EventForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let input = EventInput {
        title: form.title.trim().to_owned(),
        kind: form.kind,
        patch: form.patch,
        starts_at: calendar::parse_date_time(form.starts.trim(), "the start")?,
        ends_at: None,
        place: Some(form.place.trim().to_owned()).filter(|p| !p.is_empty()),
    };
    let event = ops::events::checked_event(&state.db, input).await?;
    ops::events::create(&state.db, user.actor(), &event, state.now()).await?;
    Ok(Notice::EventAdded.redirect("/admin/events"))
}
