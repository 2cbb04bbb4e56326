//! `POST /v1/sync`: a phone's sync round trip.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;

use super::error::ErrorBody;
use super::{AppState, Authenticated, Router};
use crate::error::Result;
use crate::ops;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/sync", post(sync))
}

/// Syncs: takes a sync-core request and answers with a sync-core response.
#[utoipa::path(post, path = "/v1/sync",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "A sync response", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "Not a sync request", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn sync(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let started = std::time::Instant::now();
    let answered = ops::sync::exchange(&state.db, &device, &body, state.now()).await;
    let status = match &answered {
        Ok(_) => 200,
        Err(e) => super::status_of(e).0.as_u16(),
    };
    let took = started.elapsed();
    state
        .metrics
        .sync_answered(status, took, answered.as_ref().ok());
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        answered?.bytes,
    ))
}
