//! Devices: `POST /v1/devices` (a phone registers with an invite code),
//! and the admin's invites, device list and revocation under `/v1/admin`.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sync_core::{DeviceId, Timestamp};

use super::error::ErrorBody;
use super::{AdminDevice, AppState, Router, Unauthenticated};
use crate::error::{Error, Result};
use crate::ops::{self, Actor, DeviceInfo, INVITE_DAYS, InviteInfo, Registered, Role};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/devices", post(register_device))
}

/// The admin's routes, under `/v1/admin`.
pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/invites", get(list_invites).post(create_invite))
        .route("/invites/{id}/cancel", post(cancel_invite))
        .route("/devices", get(list_devices))
        .route("/devices/{id}/revoke", post(revoke_device))
}

/// A request to register a device.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RegisterDevice {
    /// The invite code an admin made.
    pub invite_code: String,
    /// A name to recognise the device by (e.g. "Sam's phone").
    #[serde(default)]
    pub name: String,
}

/// Exchanges an invite code for a device id and token.
#[utoipa::path(post, path = "/v1/devices", request_body = RegisterDevice, responses(
    (status = 201, description = "Registered; the token is shown only now", body = Registered),
    (status = 400, description = "Unknown, used, cancelled or expired code", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody),
))]
pub(super) async fn register_device(
    State(state): State<AppState>,
    _: Unauthenticated,
    Json(body): Json<RegisterDevice>,
) -> Result<(StatusCode, Json<Registered>)> {
    let registered =
        ops::devices::register(&state.db, &body.invite_code, &body.name, state.now()).await?;
    Ok((StatusCode::CREATED, Json(registered)))
}

/// A request for an invite.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct InviteRequest {
    /// The role of the device the invite registers.
    pub role: Role,
    /// A champion's patches.
    #[serde(default)]
    pub patches: Vec<String>,
    /// The name the device it registers takes on every report ("Oak Lane
    /// champion"); without one, the name the phone sends.
    #[serde(default)]
    pub name: Option<String>,
}

/// A new invite.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Invite {
    /// The one-time code (shown only now).
    pub code: String,
    /// The role it grants.
    pub role: Role,
    /// The patches it grants.
    pub patches: Vec<String>,
}

/// Makes an invite code.
#[utoipa::path(post, path = "/v1/admin/invites", request_body = InviteRequest, responses(
    (status = 201, description = "The invite", body = Invite),
    (status = 400, description = "Bad role or patches", body = ErrorBody),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn create_invite(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(body): Json<InviteRequest>,
) -> Result<(StatusCode, Json<Invite>)> {
    let patches: BTreeSet<String> = body.patches.into_iter().collect();
    let code = ops::devices::invite_named(
        &state.db,
        Actor::Device(admin.id),
        body.role,
        &patches,
        body.name.as_deref(),
        state.now(),
        INVITE_DAYS * Timestamp::DAY_MILLIS,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Invite {
            code,
            role: body.role,
            patches: patches.into_iter().collect(),
        }),
    ))
}

/// Lists invites (their codes are never shown again).
#[utoipa::path(get, path = "/v1/admin/invites", responses(
    (status = 200, description = "Invites, newest first", body = Vec<InviteInfo>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn list_invites(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<InviteInfo>>> {
    Ok(Json(ops::devices::invites(&state.db).await?))
}

/// Cancels an unused invite (sent to the wrong person, or lost): it will
/// never register a device.
#[utoipa::path(post, path = "/v1/admin/invites/{id}/cancel",
    params(("id" = String, Path, description = "The invite's id, as listed")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 404, description = "No unused invite has this id", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn cancel_invite(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    ops::devices::cancel_invite(&state.db, Actor::Device(admin.id), &id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists devices.
#[utoipa::path(get, path = "/v1/admin/devices", responses(
    (status = 200, description = "Devices, newest first", body = Vec<DeviceInfo>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn list_devices(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<DeviceInfo>>> {
    Ok(Json(ops::devices::list(&state.db).await?))
}

/// Revokes a device: it wipes its store at its next sync.
#[utoipa::path(post, path = "/v1/admin/devices/{id}/revoke",
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such device", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn revoke_device(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id: DeviceId = id.parse().map_err(|_| Error::NotFound("device"))?;
    ops::devices::revoke(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
