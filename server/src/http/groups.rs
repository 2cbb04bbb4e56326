//! Working groups in the admin's API under `/v1/admin`: listing,
//! creating, changing and closing them, their members, and joining people
//! to them and ending memberships.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sync_core::{DocId, EntryId, Timestamp};

use super::admin::Created;
use super::error::ErrorBody;
use super::{AdminDevice, AppState, Router};
use crate::error::{Error, Result};
use crate::ops::groups::{GroupInput, GroupView, Membership};
use crate::ops::{self, Actor};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(get_group).put(update_group))
        .route("/groups/{id}/close", post(close_group))
        .route("/groups/{id}/open", post(open_group))
        .route("/groups/{id}/members", get(group_members))
        .route("/people/{id}/groups", post(join_group))
        .route("/people/{id}/groups/{entry}/end", post(leave_group))
}

fn group_id(id: &str) -> Result<DocId> {
    id.parse().map_err(|_| Error::NotFound("working group"))
}

/// Lists working groups, with how many are members now.
#[utoipa::path(get, path = "/v1/admin/groups", responses(
    (status = 200, description = "Working groups, by name", body = Vec<GroupView>),
), security(("bearer" = [])))]
pub(super) async fn list_groups(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<GroupView>>> {
    Ok(Json(ops::groups::list(&state.db, state.now()).await?))
}

/// Creates a working group.
#[utoipa::path(post, path = "/v1/admin/groups", request_body = GroupInput, responses(
    (status = 201, description = "Created", body = Created),
    (status = 400, description = "Bad value", body = ErrorBody),
    (status = 422, description = "Breaks a rule", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn create_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(input): Json<GroupInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let group = ops::groups::checked_group(&state.db, input).await?;
    let id = ops::groups::create(&state.db, Actor::Device(admin.id), &group, state.now()).await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

/// One working group.
#[utoipa::path(get, path = "/v1/admin/groups/{id}",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = 404, description = "No such group", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn get_group(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<GroupView>> {
    Ok(Json(
        ops::groups::get(&state.db, group_id(&id)?, state.now()).await?,
    ))
}

/// Changes a working group.
#[utoipa::path(put, path = "/v1/admin/groups/{id}",
    params(("id" = String, Path, description = "Group id")),
    request_body = GroupInput,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Bad value", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 422, description = "Breaks a rule", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn update_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
    Json(input): Json<GroupInput>,
) -> Result<StatusCode> {
    let id = group_id(&id)?;
    let group = ops::groups::checked_group(&state.db, input).await?;
    ops::groups::update(&state.db, Actor::Device(admin.id), id, &group, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes a working group: it stays on record and takes no new members.
#[utoipa::path(post, path = "/v1/admin/groups/{id}/close",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 204, description = "Closed (or already was)"),
        (status = 404, description = "No such group", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn close_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = group_id(&id)?;
    ops::groups::set_closed(&state.db, Actor::Device(admin.id), id, true, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens a closed working group again.
#[utoipa::path(post, path = "/v1/admin/groups/{id}/open",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 204, description = "Open (or already was)"),
        (status = 404, description = "No such group", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn open_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = group_id(&id)?;
    ops::groups::set_closed(&state.db, Actor::Device(admin.id), id, false, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everyone who was ever a member of a working group, with names (the
/// listing is logged).
#[utoipa::path(get, path = "/v1/admin/groups/{id}/members",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, description = "Members now first, then by when they joined", body = Vec<Membership>),
        (status = 404, description = "No such group", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn group_members(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<Vec<Membership>>> {
    let id = group_id(&id)?;
    Ok(Json(
        ops::groups::members(&state.db, Actor::Device(admin.id), id, state.now()).await?,
    ))
}

/// Someone joining a working group.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub(super) struct Joining {
    /// The group's id.
    pub(super) group: String,
    /// When they joined (ms since the epoch); now if not given.
    #[serde(default)]
    pub(super) start: Option<i64>,
}

/// A membership recorded.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub(super) struct Joined {
    /// The membership's entry on the person's record (what ends it).
    pub(super) entry: String,
}

/// Records that a person joined a working group.
#[utoipa::path(post, path = "/v1/admin/people/{id}/groups",
    params(("id" = String, Path, description = "Person id")),
    request_body = Joining,
    responses(
        (status = 201, description = "Joined", body = Joined),
        (status = 404, description = "No such person or group", body = ErrorBody),
        (status = 422, description = "The group is closed, or they are a member already", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn join_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
    Json(joining): Json<Joining>,
) -> Result<(StatusCode, Json<Joined>)> {
    let person: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let group = group_id(&joining.group)?;
    let now = state.now();
    let start = joining.start.map_or(now, Timestamp::from_millis);
    let entry = ops::groups::join(
        &state.db,
        Actor::Device(admin.id),
        person,
        group,
        start,
        now,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Joined {
            entry: entry.to_string(),
        }),
    ))
}

/// When someone left a working group.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub(super) struct Leaving {
    /// When they left (ms since the epoch); now if not given.
    #[serde(default)]
    pub(super) end: Option<i64>,
}

/// Ends a person's working-group membership.
#[utoipa::path(post, path = "/v1/admin/people/{id}/groups/{entry}/end",
    params(
        ("id" = String, Path, description = "Person id"),
        ("entry" = String, Path, description = "The membership's entry"),
    ),
    request_body = Leaving,
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such person or membership", body = ErrorBody),
        (status = 422, description = "Ends before it started", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn leave_group(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path((id, entry)): Path<(String, String)>,
    Json(leaving): Json<Leaving>,
) -> Result<StatusCode> {
    let person: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let entry: EntryId = entry.parse().map_err(|_| Error::NotFound("membership"))?;
    let now = state.now();
    let end = leaving.end.map_or(now, Timestamp::from_millis);
    ops::groups::leave(&state.db, Actor::Device(admin.id), person, entry, end, now).await?;
    Ok(StatusCode::NO_CONTENT)
}
