//! The devices page (devices and invites; revoking, cancelling) and what
//! the other admin pages share: the notices after a form, and the area's
//! patches to choose from.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::AreaConfig;

use super::confirm_page::ConfirmedForm;
use super::invite_page::NewInvite;
use super::{Chrome, WebError, WebUser, html};
use crate::calendar::Zone;
use crate::error::Error;
use crate::http::AppState;
use crate::ops;

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
    /// The name the device it registers takes, when given.
    name: String,
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
    new_invite: Option<NewInvite>,
    /// Why an invite form was refused, and what was typed in it.
    invite_problem: String,
    typed_role: String,
    typed_name: String,
    /// The area's patches, and whether each is ticked.
    patches: Vec<(PatchChoice, bool)>,
}

/// What the devices page shows after an invite form.
pub(super) enum AfterInvite {
    /// The invite made, shown this once.
    Made(NewInvite),
    /// The form refused: what was typed, and why.
    Refused {
        role: String,
        name: String,
        patches: BTreeSet<String>,
        problem: String,
    },
}

fn when(zone: &Zone, ms: Option<i64>) -> String {
    ms.map(|ms| zone.date_time(ms)).unwrap_or_default()
}

/// `GET /admin/devices`.
pub(super) async fn devices(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    devices_page(&state, &user, done.notice(), None).await
}

/// The devices page, and after an invite form what it made or why it was
/// refused.
pub(super) async fn devices_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    after: Option<AfterInvite>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let zone = Zone::of(area.as_ref());
    let devices = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.id,
            name: d.name,
            role: d.role.as_str(),
            patches: d.patches.join(", "),
            created: when(&zone, Some(d.created_at)),
            last_seen: when(&zone, d.last_seen_at),
            revoked: when(&zone, d.revoked_at),
        })
        .collect();
    let now = state.now();
    let invites = ops::devices::invites(&state.db)
        .await?
        .into_iter()
        .map(|i| {
            let ended = match (i.used_at, i.cancelled_at) {
                (Some(used), _) => format!("used {}", when(&zone, Some(used))),
                (None, Some(cancelled)) => format!("cancelled {}", when(&zone, Some(cancelled))),
                (None, None) if !i.usable(now) => "expired".to_owned(),
                (None, None) => String::new(),
            };
            InviteLine {
                id: i.id,
                name: i.device_name.unwrap_or_default(),
                role: i.role,
                patches: i.patches,
                created: when(&zone, Some(i.created_at)),
                expires: when(&zone, Some(i.expires_at)),
                ended,
            }
        })
        .collect();
    let (new_invite, refused) = match after {
        Some(AfterInvite::Made(new)) => (Some(new), None),
        Some(AfterInvite::Refused {
            role,
            name,
            patches,
            problem,
        }) => (None, Some((role, name, patches, problem))),
        None => (None, None),
    };
    let (typed_role, typed_name, ticked, invite_problem) = refused.unwrap_or_default();
    let patches = patch_choices(area.as_ref())
        .into_iter()
        .map(|p| {
            let on = ticked.contains(&p.value);
            (p, on)
        })
        .collect();
    let page = DevicesPage {
        title: "Devices and invites".into(),
        chrome: Chrome::signed_in(user, "/admin/devices", area.as_ref()),
        done,
        devices,
        invites,
        new_invite,
        invite_problem: invite_problem.clone(),
        typed_role,
        typed_name,
        patches,
    };
    let status = if invite_problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, html(&page)?).into_response())
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
    // Parsed first: only an id goes into the redirect's Location header.
    let id: sync_core::DeviceId = id.parse().map_err(|_| Error::NotFound("device"))?;
    if let Some(first) = form.check(&user, &format!("/admin/devices/{id}/revoke"))? {
        return Ok(first);
    }
    ops::devices::revoke(&state.db, user.actor(), id, state.now()).await?;
    Ok(Redirect::to("/admin/devices").into_response())
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

/// A confirmation after a form, shown by the page it redirects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice {
    Saved,
    PatchSaved,
    PatchRemoved,
    EventAdded,
    EventSaved,
    EventCancelled,
    InviteCancelled,
}

impl Notice {
    const ALL: [Self; 7] = [
        Self::Saved,
        Self::PatchSaved,
        Self::PatchRemoved,
        Self::EventAdded,
        Self::EventSaved,
        Self::EventCancelled,
        Self::InviteCancelled,
    ];

    /// Its key in the redirect's `?done=`.
    fn key(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::PatchSaved => "patch-saved",
            Self::PatchRemoved => "patch-removed",
            Self::EventAdded => "event-added",
            Self::EventSaved => "event-saved",
            Self::EventCancelled => "event-cancelled",
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
            Self::EventSaved => "Event saved. Phones receive the change at their next sync.",
            Self::EventCancelled => {
                "Event cancelled. It stays on the list, marked cancelled; phones see it at their next sync."
            }
            Self::InviteCancelled => "Invite cancelled: its code no longer works.",
        }
    }

    /// A redirect to `page` that shows this notice.
    pub(super) fn redirect(self, page: &str) -> Response {
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
    pub(super) fn notice(&self) -> &'static str {
        Notice::ALL
            .into_iter()
            .find(|n| n.key() == self.done)
            .map_or("", Notice::message)
    }
}
pub(super) struct PatchChoice {
    pub(super) value: String,
    pub(super) label: String,
}

/// The area's patches, to choose from.
pub(super) fn patch_choices(area: Option<&AreaConfig>) -> Vec<PatchChoice> {
    area.map_or_else(Vec::new, |a| {
        a.patches
            .iter()
            .map(|p| PatchChoice {
                value: p.id.clone(),
                label: p.name.clone(),
            })
            .collect()
    })
}
