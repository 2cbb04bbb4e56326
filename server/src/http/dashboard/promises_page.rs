//! Promises kept: the latest promises made at the door and kept, in words
//! fit for a newsletter ("you said, we did"), for admins
//! (`ops::promises`). The counts are the `you-said-we-did` report's.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html};
use crate::http::AppState;
use crate::ops::{self, promises::PromiseKept};
use crate::reports::Filters;

#[derive(Template)]
#[template(path = "admin_promises_kept.html")]
struct PromisesKeptPage {
    title: String,
    chrome: Chrome,
    kept: Vec<PromiseKept>,
}

/// `GET /admin/promises-kept`.
pub(super) async fn promises_kept(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let kept = ops::promises::kept(&state.db, &Filters::default(), state.now()).await?;
    let page = PromisesKeptPage {
        title: "Promises kept".into(),
        chrome: Chrome::signed_in(&user, "/admin/promises-kept", area.as_ref()),
        kept,
    };
    Ok(html(&page)?.into_response())
}
