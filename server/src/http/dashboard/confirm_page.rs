//! Confirmation pages for the admin actions that cannot be undone:
//! revoking a phone, removing a patch, erasing a person and merging two
//! records of one person. Each says what will happen; its
//! form posts to the action with `confirmed=yes`, and the action sends a
//! post without it (a stale page, a hand-made form) here first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::DocId;

use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::ops;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    title: String,
    chrome: Chrome,
    consequences: Vec<String>,
    action: String,
    button: String,
    back: &'static str,
    keep: &'static str,
}

/// An action's form: its CSRF token, and whether it was confirmed.
#[derive(Deserialize)]
pub(super) struct ConfirmedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmed: String,
}

impl ConfirmedForm {
    /// Checks that an admin posted it from the dashboard (its CSRF token);
    /// then, when it was not confirmed on its page, the redirect there
    /// (the action must not be done).
    pub(super) fn check(&self, user: &WebUser, page: &str) -> Result<Option<Response>, WebError> {
        user.admin()?;
        user.check_form(&self.csrf)?;
        Ok((self.confirmed != "yes").then(|| Redirect::to(page).into_response()))
    }
}

/// `GET /admin/devices/{id}/revoke`: what revoking a phone does.
pub(super) async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.admin()?;
    let device = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(Error::NotFound("device"))?;
    let name = device.name;
    let page = ConfirmPage {
        title: format!("Revoke {name}?"),
        chrome: Chrome::signed_in(
            &user,
            "/admin/devices",
            ops::area::read(&state.db).await?.as_ref(),
        ),
        consequences: vec![
            format!(
                "{name} deletes everything it holds at its next sync: the people, conversations and doors on it."
            ),
            "Anything recorded on it since it last synced is lost; what it synced stays on the server.".to_owned(),
            "It can no longer sync or sign in. To use it again, invite it afresh.".to_owned(),
            "The audit log records who revoked it, and when.".to_owned(),
        ],
        action: format!("/admin/devices/{}/revoke", device.id),
        button: format!("Revoke {name}"),
        back: "/admin/devices",
        keep: "Keep it: back to devices",
    };
    Ok(html(&page)?.into_response())
}

/// `GET /admin/patches/{slug}/delete`: what removing a patch does.
pub(super) async fn remove_patch(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let patch = area
        .as_ref()
        .and_then(|a| a.patch(&slug))
        .ok_or(Error::NotFound("patch"))?;
    let name = patch.name.clone();
    let page = ConfirmPage {
        title: format!("Remove the patch {name}?"),
        chrome: Chrome::signed_in(&user, "/admin/area", area.as_ref()),
        consequences: vec![
            format!(
                "{name} leaves the area's list of patches, with its count of households: reports show no rate per 1,000 households for it."
            ),
            "People and doors recorded in it stay where they are, and reports still count them under its code.".to_owned(),
            "Champions who cover it keep it: their phones go on syncing its people and doors.".to_owned(),
            "The audit log records who removed it, and when. Adding it again with the same code brings it back (with its households entered again).".to_owned(),
        ],
        action: format!("/admin/patches/{slug}/delete"),
        button: format!("Remove {name}"),
        back: "/admin/area",
        keep: "Keep it: back to the area",
    };
    Ok(html(&page)?.into_response())
}

/// `GET /admin/events/{id}/cancel`: what cancelling an event does.
pub(super) async fn cancel_event(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.admin()?;
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    let event = ops::events::get(&state.db, id).await?;
    let title = event.title;
    let page = ConfirmPage {
        title: format!("Cancel {title}?"),
        chrome: Chrome::signed_in(
            &user,
            "/admin/events",
            ops::area::read(&state.db).await?.as_ref(),
        ),
        consequences: vec![
            format!("{title} stays on the events list, marked cancelled, so nobody turns up expecting it."),
            "Phones see it cancelled at their next sync; sign-ups and attendance already recorded stay.".to_owned(),
            "It cannot be un-cancelled: add a new event instead. The audit log records who cancelled it, and when.".to_owned(),
        ],
        action: format!("/admin/events/{id}/cancel"),
        button: format!("Cancel {title}"),
        back: "/admin/events",
        keep: "Keep it: back to events",
    };
    Ok(html(&page)?.into_response())
}

/// For an admin's confirmation page about a person: their id, their name
/// (opening the record is logged) and the page's frame.
async fn about_person(
    state: &AppState,
    user: &WebUser,
    id: &str,
) -> Result<(DocId, String, Chrome), WebError> {
    user.admin()?;
    let id: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let profile = ops::profiles::view(&state.db, user.actor(), id, state.now()).await?;
    let name = profile.name.unwrap_or_else(|| "this person".into());
    let area = ops::area::read(&state.db).await?;
    let chrome = Chrome::signed_in(user, "/admin/people", area.as_ref());
    Ok((id, name, chrome))
}

/// `GET /admin/people/{id}/erase`: what erasing a person does.
pub(super) async fn erase_person(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (id, name, chrome) = about_person(&state, &user, &id).await?;
    let page = ConfirmPage {
        title: format!("Erase {name}?"),
        chrome,
        consequences: vec![
            format!(
                "Everything held about {name} is deleted from the server now: their details, conversations, consents and roles, and any record merged into theirs."
            ),
            "Every phone holding them deletes its copy at its next sync.".to_owned(),
            "Their id is kept, with nothing else, so that no phone can bring the record back.".to_owned(),
            "Reports stop counting them. This cannot be undone; the audit log records who erased them, and when.".to_owned(),
        ],
        action: format!("/admin/people/{id}/erase"),
        button: format!("Erase {name}"),
        back: "/admin/people",
        keep: "Keep them: back to people",
    };
    Ok(html(&page)?.into_response())
}

/// `GET /admin/people/{id}/suppress`: what keeping someone only as
/// "do not contact" does (they objected).
pub(super) async fn suppress_person(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (id, name, chrome) = about_person(&state, &user, &id).await?;
    let page = ConfirmPage {
        title: format!("Keep {name} only as \"do not contact\"?"),
        chrome,
        consequences: vec![
            format!(
                "For someone who objects to being contacted: everything held about {name} is deleted, and a do-not-contact entry holding nothing else takes its place, so that nobody contacts them again."
            ),
            "Their door is marked do-not-knock, and leaves every walk list.".to_owned(),
            "Every phone holding them replaces its copy at its next sync.".to_owned(),
            "This cannot be undone; the audit log records who did it, and when.".to_owned(),
        ],
        action: format!("/admin/people/{id}/suppress"),
        button: "Keep only \"do not contact\"".to_owned(),
        back: "/admin/people",
        keep: "Keep their record: back to people",
    };
    Ok(html(&page)?.into_response())
}

/// The two records of a merge: `other` goes into `survivor`.
#[derive(Debug, Deserialize)]
pub(super) struct MergePair {
    pub(super) survivor: String,
    pub(super) other: String,
}

impl MergePair {
    /// The two ids; `NotFound` for one that is not an id.
    pub(super) fn ids(&self) -> Result<(DocId, DocId), Error> {
        let id = |text: &str| text.parse::<DocId>().map_err(|_| Error::NotFound("person"));
        Ok((id(&self.survivor)?, id(&self.other)?))
    }
}

/// `GET /admin/duplicates/merge?survivor=A&other=B`: what merging two
/// records of one person does.
pub(super) async fn merge_people(
    State(state): State<AppState>,
    user: WebUser,
    Query(pair): Query<MergePair>,
) -> Result<Response, WebError> {
    user.admin()?;
    let (survivor, other) = pair.ids()?;
    let now = state.now();
    let kept = ops::profiles::view(&state.db, user.actor(), survivor, now).await?;
    let gone = ops::profiles::view(&state.db, user.actor(), other, now).await?;
    let unnamed = |name: Option<String>, which: &str| {
        name.unwrap_or_else(|| format!("the {which} record (no name given)"))
    };
    let (kept_name, gone_name) = (unnamed(kept.name, "older"), unnamed(gone.name, "newer"));
    let page = ConfirmPage {
        title: format!("Merge two records of {kept_name}?"),
        chrome: Chrome::signed_in(
            &user,
            "/admin/duplicates",
            ops::area::read(&state.db).await?.as_ref(),
        ),
        consequences: vec![
            format!(
                "The record of {gone_name} (recorded {}) goes into the record of {kept_name} (recorded {}): its conversations, consents, roles and contact details move across.",
                calendar::day(gone.created_at),
                calendar::day(kept.created_at)
            ),
            "Phones holding the merged-away record follow it to the one kept at their next sync; anything they write to it later lands on the one kept.".to_owned(),
            "Reports count one person where they counted two. This cannot be undone; the audit log records who merged them, and when.".to_owned(),
        ],
        action: format!(
            "/admin/duplicates/merge?survivor={survivor}&other={other}"
        ),
        button: "Merge them".to_owned(),
        back: "/admin/duplicates",
        keep: "Keep both: back to likely duplicates",
    };
    Ok(html(&page)?.into_response())
}
