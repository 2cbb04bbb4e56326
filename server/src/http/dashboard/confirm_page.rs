//! Confirmation pages for the admin actions that cannot be undone:
//! revoking a phone and removing a patch. Each says what will happen; its
//! form posts to the action with `confirmed=yes`, and the action sends a
//! post without it (a stale page, a hand-made form) here first.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, WebError, WebUser, html};
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
    pub(super) csrf: String,
    #[serde(default)]
    confirmed: String,
}

impl ConfirmedForm {
    /// Where to go first when the action was not confirmed on its page.
    pub(super) fn unconfirmed(&self, page: &str) -> Option<Response> {
        (self.confirmed != "yes").then(|| Redirect::to(page).into_response())
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
