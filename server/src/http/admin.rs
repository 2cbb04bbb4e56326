//! The admin's API under `/v1/admin`: the area and its patches, events,
//! people's records (erasure, subject access, suppression, duplicates and
//! merging) and the audit log. Devices and invites are in `devices`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use sync_core::DocId;

use super::error::ErrorBody;
use super::{AdminDevice, AppState, Router};
use crate::error::{Error, Result};
use crate::ops::area::{AreaChange, AreaView};
use crate::ops::duplicates::Pair;
use crate::ops::events::{EventInput, EventView};
use crate::ops::profiles::{Profile, ProfileChange};
use crate::ops::{self, Actor, AuditEntry};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/area", get(get_area).put(put_area))
        .route("/patches/{slug}", put(put_patch).delete(delete_patch))
        .route("/events", get(list_events).post(create_event))
        .route("/events/{id}", put(update_event))
        .route("/events/{id}/cancel", post(cancel_event))
        .route("/records/{id}/erase", post(erase_record))
        .route("/records/{id}/export", get(export_record))
        .route("/records/{id}/suppress", post(suppress_record))
        .route("/duplicates", get(list_duplicates))
        .route("/people", get(find_people))
        .route("/people/merge", post(merge_people))
        .route("/people/{id}", get(get_person).patch(change_person))
        .route("/audit", get(audit_log))
}

/// The area configuration.
#[utoipa::path(get, path = "/v1/admin/area", responses(
    (status = 200, description = "The area", body = AreaView),
    (status = 404, description = "Not configured yet", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn get_area(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<AreaView>> {
    let area = ops::area::read(&state.db)
        .await?
        .ok_or(Error::NotFound("area"))?;
    Ok(Json(AreaView::from(&area)))
}

/// Changes the area configuration (creates it if there is none).
#[utoipa::path(put, path = "/v1/admin/area", request_body = AreaChange, responses(
    (status = 200, description = "The area after the change", body = AreaView),
    (status = 400, description = "Bad value", body = ErrorBody),
    (status = 422, description = "Breaks a rule", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn put_area(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(change): Json<AreaChange>,
) -> Result<Json<AreaView>> {
    let slug = change.area.clone();
    let area = ops::area::edit(
        &state.db,
        Actor::Device(admin.id),
        slug.as_deref(),
        "settings",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(Json(AreaView::from(&area)))
}

/// A patch's details.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PatchInput {
    /// Name.
    pub name: String,
    /// Households.
    pub households: u32,
    /// Its census figures; absent, they stay as they are; given with no
    /// figures, they are taken away.
    #[serde(default)]
    pub census: Option<ops::area::CensusView>,
}

/// Adds or changes a patch.
#[utoipa::path(put, path = "/v1/admin/patches/{slug}",
    params(("slug" = String, Path, description = "Patch slug")),
    request_body = PatchInput,
    responses(
        (status = 200, description = "The area after the change", body = AreaView),
        (status = 422, description = "Breaks a rule", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn put_patch(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(slug): Path<String>,
    Json(patch): Json<PatchInput>,
) -> Result<Json<AreaView>> {
    // The census is read before anything is saved: figures that break a
    // rule leave the patch as it was.
    let census = patch.census.as_ref().map(|c| c.to_census()).transpose()?;
    let area = ops::area::save_patch(
        &state.db,
        Actor::Device(admin.id),
        &slug,
        &patch.name,
        patch.households,
        census,
        state.now(),
    )
    .await?;
    Ok(Json(AreaView::from(&area)))
}

/// Removes a patch.
#[utoipa::path(delete, path = "/v1/admin/patches/{slug}",
    params(("slug" = String, Path, description = "Patch slug")),
    responses(
        (status = 200, description = "The area after the change", body = AreaView),
        (status = 404, description = "No such patch", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn delete_patch(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(slug): Path<String>,
) -> Result<Json<AreaView>> {
    let area =
        ops::area::delete_patch(&state.db, Actor::Device(admin.id), &slug, state.now()).await?;
    Ok(Json(AreaView::from(&area)))
}

/// Lists events.
#[utoipa::path(get, path = "/v1/admin/events", responses(
    (status = 200, description = "Events, soonest first", body = Vec<EventView>),
), security(("bearer" = [])))]
pub(super) async fn list_events(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<EventView>>> {
    Ok(Json(ops::events::list(&state.db).await?))
}

/// The id of something created.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// Its id.
    pub id: String,
}

/// Creates an event.
#[utoipa::path(post, path = "/v1/admin/events", request_body = EventInput, responses(
    (status = 201, description = "Created", body = Created),
    (status = 400, description = "Bad value", body = ErrorBody),
    (status = 422, description = "Breaks a rule", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn create_event(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let event = ops::events::checked_event(&state.db, input).await?;
    let id = ops::events::create(&state.db, Actor::Device(admin.id), &event, state.now()).await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

/// Cancels an event: it stays, marked cancelled, on every list.
#[utoipa::path(post, path = "/v1/admin/events/{id}/cancel",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 204, description = "Cancelled (or already was)"),
        (status = 404, description = "No such event", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn cancel_event(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    ops::events::cancel(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes an event.
#[utoipa::path(put, path = "/v1/admin/events/{id}",
    params(("id" = String, Path, description = "Event id")),
    request_body = EventInput,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 422, description = "Breaks a rule", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn update_event(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
    Json(input): Json<EventInput>,
) -> Result<StatusCode> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    let event = ops::events::checked_event(&state.db, input).await?;
    ops::events::update(&state.db, Actor::Device(admin.id), id, &event, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases a record (a person who asked to be forgotten): the server deletes
/// it and every row derived from it, keeps only its id so it can never come
/// back, and every phone deletes its copy at its next sync.
#[utoipa::path(post, path = "/v1/admin/records/{id}/erase",
    params(("id" = String, Path, description = "Record id")),
    responses(
        (status = 204, description = "Erased (or already erased)"),
        (status = 404, description = "Not a record id", body = ErrorBody),
        (status = 503, description = "Erased, but the database files could not be scrubbed of it yet: erase it again", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn erase_record(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("record"))?;
    ops::people::erase(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held about one record, as JSON (a subject access request).
#[utoipa::path(get, path = "/v1/admin/records/{id}/export",
    params(("id" = String, Path, description = "Record id")),
    responses(
        (status = 200, description = "Everything held about the record", body = serde_json::Value),
        (status = 400, description = "The record holds no personal data (the area's configuration)", body = ErrorBody),
        (status = 404, description = "No such record", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn export_record(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("record"))?;
    let export = ops::people::export(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(Json(export))
}

/// Replaces a person who objects by a do-not-contact entry holding no other
/// data (under a new id) and erases the old record.
#[utoipa::path(post, path = "/v1/admin/records/{id}/suppress",
    params(("id" = String, Path, description = "Person id")),
    responses(
        (status = 200, description = "The do-not-contact entry's id", body = Created),
        (status = 404, description = "No such person", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn suppress_record(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<Created>> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let new_id = ops::people::suppress(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(Json(Created {
        id: new_id.to_string(),
    }))
}

/// People who look recorded twice (same email, same phone, or the same
/// household and a similar name), with names so an admin can judge.
/// Listing is logged in the audit log.
#[utoipa::path(get, path = "/v1/admin/duplicates", responses(
    (status = 200, description = "Likely duplicates, oldest first", body = Vec<Pair>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn list_duplicates(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
) -> Result<Json<Vec<Pair>>> {
    let pairs = ops::people::duplicates(&state.db, Actor::Device(admin.id), state.now()).await?;
    Ok(Json(pairs))
}

/// A search of people.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct PeopleSearch {
    /// Part of a name, an email address or a phone number (two letters at least).
    search: String,
}

/// People found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PeopleFound {
    /// By name, at most 50.
    people: Vec<Profile>,
    /// More matched than are listed: search for more of the name.
    more: bool,
}

/// People whose name, email or phone contains the search (any case), with
/// their details. Logged in the audit log (not the search itself).
#[utoipa::path(get, path = "/v1/admin/people", params(PeopleSearch), responses(
    (status = 200, description = "People found, by name", body = PeopleFound),
    (status = 400, description = "The search is too short", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn find_people(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Query(query): Query<PeopleSearch>,
) -> Result<Json<PeopleFound>> {
    let (people, more) = ops::profiles::find(
        &state.db,
        Actor::Device(admin.id),
        &query.search,
        state.now(),
    )
    .await?;
    Ok(Json(PeopleFound { people, more }))
}

/// One person's details. Logged in the audit log.
#[utoipa::path(get, path = "/v1/admin/people/{id}",
    params(("id" = String, Path, description = "Person id")),
    responses(
        (status = 200, description = "Their details", body = Profile),
        (status = 404, description = "No such person", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn get_person(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<Profile>> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let profile = ops::profiles::view(&state.db, Actor::Device(admin.id), id, state.now()).await?;
    Ok(Json(profile))
}

/// Changes a person's details (residency, tenure, language, age band,
/// name, phone, email): what the body gives is set, what it names in
/// `clear` is cleared, the rest stays. Phones receive the change at their
/// next sync.
#[utoipa::path(patch, path = "/v1/admin/people/{id}",
    params(("id" = String, Path, description = "Person id")),
    request_body = ProfileChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Not one of a field's choices", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 422, description = "Breaks a rule (a detail both given and cleared, a bad email ...)", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn change_person(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
    Json(change): Json<ProfileChange>,
) -> Result<StatusCode> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let details = change.into_details()?;
    ops::profiles::edit(
        &state.db,
        Actor::Device(admin.id),
        id,
        &details,
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Two records of one person to merge.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct MergeRequest {
    /// The record to keep.
    survivor: String,
    /// The record merged into it; its id leads to the survivor from now on.
    other: String,
}

/// Merges a person recorded twice: the survivor gets the other's
/// interactions, consents and the details it lacks; the other becomes a
/// redirect that phones follow at their next sync, and a phone's later
/// change to it lands on the survivor.
#[utoipa::path(post, path = "/v1/admin/people/merge", request_body = MergeRequest, responses(
    (status = 204, description = "Merged"),
    (status = 400, description = "Not two people of one area", body = ErrorBody),
    (status = 404, description = "No such person", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn merge_people(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Json(request): Json<MergeRequest>,
) -> Result<StatusCode> {
    let parse = |id: &str| id.parse::<DocId>().map_err(|_| Error::NotFound("person"));
    let (survivor, other) = (parse(&request.survivor)?, parse(&request.other)?);
    ops::people::merge(
        &state.db,
        Actor::Device(admin.id),
        survivor,
        other,
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log, newest first (at most 1,000 entries).
#[utoipa::path(get, path = "/v1/admin/audit", responses(
    (status = 200, description = "Who viewed, exported, erased or changed what", body = Vec<AuditEntry>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn audit_log(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(ops::audit_log(&state.db, 1000).await?))
}
