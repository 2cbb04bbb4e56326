//! Bringing in the people a partnership already knows, from the browser:
//! upload its records as a CSV file and see, line by line, what was
//! refused and why (through the same import as `outreach admin
//! import-people`).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html, uploaded_file};
use crate::http::AppState;
use crate::ops::{self, people_import::PeopleImportReport};

#[derive(Template)]
#[template(path = "admin_people_import.html")]
struct ImportPage {
    title: String,
    chrome: Chrome,
    columns: String,
    report: Option<PeopleImportReport>,
}

async fn import_page(
    state: &AppState,
    user: &WebUser,
    report: Option<PeopleImportReport>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let page = ImportPage {
        title: "Bring in people you already know".into(),
        chrome: Chrome::signed_in(user, "/admin/people", area.as_ref()),
        columns: ops::people_import::COLUMNS.join(", "),
        report,
    };
    Ok(html(&page)?.into_response())
}

/// `GET /admin/people/import`.
pub(super) async fn form(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    import_page(&state, &user, None).await
}

/// `POST /admin/people/import`: a `multipart/form-data` form with `csrf`
/// and `file`. The report of what was imported and refused is the answer.
pub(super) async fn import(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> Result<Response, WebError> {
    user.admin()?;
    let file = uploaded_file(&user, form).await?;
    let report =
        ops::people_import::import(&state.db, user.actor(), &file[..], state.now()).await?;
    import_page(&state, &user, Some(report)).await
}
