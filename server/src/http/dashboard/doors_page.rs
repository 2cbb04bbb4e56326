//! The doors list from the browser: upload the addresses as a CSV file
//! and see, line by line, what was refused and why (through the same
//! import as `outreach admin doors import`).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html, uploaded_file};
use crate::http::AppState;
use crate::ops::{self, doors::ImportReport};

struct PatchDoors {
    name: String,
    doors: i64,
}

#[derive(Template)]
#[template(path = "admin_doors.html")]
struct DoorsPage {
    title: String,
    chrome: Chrome,
    columns: String,
    listed: Vec<PatchDoors>,
    report: Option<ImportReport>,
}

async fn doors_page(
    state: &AppState,
    user: &WebUser,
    report: Option<ImportReport>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let listed = ops::doors::listed(&state.db)
        .await?
        .into_iter()
        .map(|(patch, doors)| PatchDoors {
            name: crate::labels::patch_name(area.as_ref(), &patch),
            doors,
        })
        .collect();
    let page = DoorsPage {
        title: "Doors list".into(),
        chrome: Chrome::signed_in(user, "/admin/doors", area.as_ref()),
        columns: ops::doors::COLUMNS.join(", "),
        listed,
        report,
    };
    Ok(html(&page)?.into_response())
}

/// `GET /admin/doors`.
pub(super) async fn doors(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    doors_page(&state, &user, None).await
}

/// `POST /admin/doors`: a `multipart/form-data` form with `csrf` and
/// `file`. The report of what was imported and refused is the answer.
pub(super) async fn import(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> Result<Response, WebError> {
    user.admin()?;
    let file = uploaded_file(&user, form).await?;
    let report =
        ops::doors::import(&state.db, user.actor(), &file[..], state.now(), |_| {}).await?;
    doors_page(&state, &user, Some(report)).await
}
