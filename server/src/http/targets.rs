//! The partnership's targets on headline figures in the admin's API under
//! `/v1/admin/targets`: list, set and remove, through `ops::targets`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::error::ErrorBody;
use super::{AdminDevice, AppState, Router};
use crate::error::Result;
use crate::ops::{self, Actor};
use crate::reports::targets::Target;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(
        "/targets",
        get(list_targets).put(set_target).delete(remove_target),
    )
}

/// Lists the targets set.
#[utoipa::path(get, path = "/v1/admin/targets", responses(
    (status = 200, description = "Every target, by report and figure", body = Vec<Target>),
), security(("bearer" = [])))]
pub(super) async fn list_targets(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<Target>>> {
    Ok(Json(ops::targets::list(&state.db).await?))
}

/// Sets a target on a report's headline figure, replacing any on it. A
/// target that cannot be met or read (a share over 100%, a patch or a
/// figure that does not exist) is refused, naming the field.
#[utoipa::path(put, path = "/v1/admin/targets",
    request_body = Target,
    responses(
        (status = 200, description = "The target as set", body = Target),
        (status = 400, description = "The target cannot be met or read", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn set_target(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(target): Json<Target>,
) -> Result<Json<Target>> {
    let set = ops::targets::set(&state.db, Actor::Device(admin.id), &target, state.now()).await?;
    Ok(Json(set))
}

/// Which target to remove.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct TargetKey {
    /// The report.
    pub(super) report: String,
    /// The figure's key.
    pub(super) figure: String,
}

/// Removes the target on a figure.
#[utoipa::path(delete, path = "/v1/admin/targets", params(TargetKey), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "No target on that figure", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn remove_target(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Query(key): Query<TargetKey>,
) -> Result<StatusCode> {
    ops::targets::remove(
        &state.db,
        Actor::Device(admin.id),
        &key.report,
        &key.figure,
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
