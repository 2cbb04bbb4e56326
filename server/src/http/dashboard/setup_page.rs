//! The set-up checklist an admin lands on until the area is ready: each
//! step says what is stored and links to the page that does it.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html};
use crate::http::AppState;
use crate::ops::{self, setup::Step};

#[derive(Template)]
#[template(path = "admin_setup.html")]
struct SetupPage {
    title: String,
    chrome: Chrome,
    steps: Vec<Step>,
    left: usize,
}

/// `GET /admin/setup`.
pub(super) async fn setup(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    let steps = ops::setup::checklist(&state.db).await?;
    let area = ops::area::read(&state.db).await?;
    let page = SetupPage {
        title: "Setting up the area".into(),
        chrome: Chrome::signed_in(&user, "/admin/setup", area.as_ref()),
        left: steps.iter().filter(|s| !s.done).count(),
        steps,
    };
    Ok(html(&page)?.into_response())
}
