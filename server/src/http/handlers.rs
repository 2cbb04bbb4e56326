//! Request handlers and the OpenAPI document generated from them.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use sync_core::{DeviceId, DocId};
use utoipa::OpenApi;

use super::error::ErrorBody;
use super::{AdminDevice, AppState, Authenticated};
use crate::admin::{self, AreaChange, AreaView, EventInput, EventView};
use crate::audit::{self, Action, AuditEntry};
use crate::auth::{self, DeviceInfo, InviteInfo, Registered, Role};
use crate::error::{Error, Result};
use crate::reports::{Filters, Report};
use crate::sync;

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "outreach",
        description = "Offline-first outreach backend: sync, devices and admin"
    ),
    paths(
        healthz,
        register_device,
        sync,
        create_invite,
        list_devices,
        revoke_device,
        get_area,
        put_area,
        put_patch,
        delete_patch,
        list_events,
        create_event,
        update_event,
        list_invites,
        erase_record,
        export_record,
        suppress_record,
        list_duplicates,
        merge_people,
        audit_log,
        funnel_report,
        routes_report,
        resident_led_report,
        civic_core_report,
        reach_report,
        turnover_report,
        champions_report,
        households_report
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme the secured paths name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /openapi.json`.
pub(super) async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "Up", body = String),
    (status = 500, description = "The database does not answer", body = ErrorBody),
))]
pub(super) async fn healthz(State(state): State<AppState>) -> Result<&'static str> {
    state.db.ping().await?;
    Ok("ok")
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
    (status = 400, description = "Unknown, used or expired code", body = ErrorBody),
))]
pub(super) async fn register_device(
    State(state): State<AppState>,
    Json(body): Json<RegisterDevice>,
) -> Result<(StatusCode, Json<Registered>)> {
    if body.name.chars().count() > 100 {
        return Err(Error::BadRequest(
            "the name is longer than 100 characters".into(),
        ));
    }
    let writer = state.db.writer().await;
    let mut tx = writer.begin().await?;
    let registered =
        auth::register_device(&mut tx, &body.invite_code, body.name.trim(), state.now()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(registered)))
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
    let response = sync::handle(&state.db, &device, &body, state.now()).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        response,
    ))
}

/// A request for an invite.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct InviteRequest {
    /// The role of the device the invite registers.
    pub role: Role,
    /// A champion's patches.
    #[serde(default)]
    pub patches: Vec<String>,
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
    let code = admin::invite(
        &state.db,
        &admin.id.to_string(),
        body.role,
        &patches,
        state.now(),
        auth::INVITE_DAYS * sync_core::Timestamp::DAY_MILLIS,
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
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(auth::list_invites(&mut conn).await?))
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
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(auth::list_devices(&mut conn).await?))
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
    admin::revoke(&state.db, &admin.id.to_string(), id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
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
    let area = admin::area(&state.db)
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
    AdminDevice(_): AdminDevice,
    Json(change): Json<AreaChange>,
) -> Result<Json<AreaView>> {
    let slug = change.area.clone();
    let area =
        admin::edit_area(&state.db, slug.as_deref(), state.now(), |a| change.apply(a)).await?;
    Ok(Json(AreaView::from(&area)))
}

/// A patch's details.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PatchInput {
    /// Name.
    pub name: String,
    /// Households.
    pub households: u32,
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
    AdminDevice(_): AdminDevice,
    Path(slug): Path<String>,
    Json(patch): Json<PatchInput>,
) -> Result<Json<AreaView>> {
    let area = admin::edit_area(&state.db, None, state.now(), |a| {
        admin::set_patch(a, &slug, &patch.name, patch.households);
        Ok(())
    })
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
    AdminDevice(_): AdminDevice,
    Path(slug): Path<String>,
) -> Result<Json<AreaView>> {
    let area = admin::edit_area(&state.db, None, state.now(), |a| {
        admin::remove_patch(a, &slug)
    })
    .await?;
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
    Ok(Json(admin::events(&state.db).await?))
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
    AdminDevice(_): AdminDevice,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let event = admin::checked_event(&state.db, input).await?;
    let id = admin::create_event(&state.db, &event, state.now()).await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
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
    AdminDevice(_): AdminDevice,
    Path(id): Path<String>,
    Json(input): Json<EventInput>,
) -> Result<StatusCode> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    let event = admin::checked_event(&state.db, input).await?;
    admin::update_event(&state.db, id, &event, state.now()).await?;
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
    sync::erase(&state.db, id, state.now()).await?;
    audit::record(
        &state.db,
        state.now(),
        &admin.id.to_string(),
        Action::Erased,
        Some(id),
        "",
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held about one record, as JSON (a subject access request).
#[utoipa::path(get, path = "/v1/admin/records/{id}/export",
    params(("id" = String, Path, description = "Record id")),
    responses(
        (status = 200, description = "Everything held about the record", body = serde_json::Value),
        (status = 404, description = "No such record", body = ErrorBody),
    ), security(("bearer" = [])))]
pub(super) async fn export_record(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let id: DocId = id.parse().map_err(|_| Error::NotFound("record"))?;
    let export = admin::subject_access(&state.db, id, state.now()).await?;
    let actor = admin.id.to_string();
    audit::record(
        &state.db,
        state.now(),
        &actor,
        Action::Exported,
        Some(id),
        "",
    )
    .await?;
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
    let by = admin::server_device(&state.db).await?;
    let new_id = sync::reduce_person(
        &state.db,
        id,
        sync_core::authoring::Reduction::Suppress,
        by,
        state.now(),
    )
    .await?;
    state.db.scrub().await?;
    audit::record(
        &state.db,
        state.now(),
        &admin.id.to_string(),
        Action::Suppressed,
        Some(id),
        &new_id.to_string(),
    )
    .await?;
    Ok(Json(Created {
        id: new_id.to_string(),
    }))
}

/// People who look recorded twice (same email, same phone, or the same
/// household and a similar name), with names so an admin can judge.
/// Listing is logged in the audit log.
#[utoipa::path(get, path = "/v1/admin/duplicates", responses(
    (status = 200, description = "Likely duplicates, oldest first", body = Vec<crate::duplicates::Pair>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn list_duplicates(
    State(state): State<AppState>,
    AdminDevice(admin): AdminDevice,
) -> Result<Json<Vec<crate::duplicates::Pair>>> {
    let actor = admin.id.to_string();
    Ok(Json(
        admin::duplicates(&state.db, &actor, state.now()).await?,
    ))
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
    let actor = admin.id.to_string();
    admin::merge_people(&state.db, &actor, survivor, other, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log, newest first (at most 1,000 entries).
#[utoipa::path(get, path = "/v1/admin/audit", responses(
    (status = 200, description = "Who viewed, exported or erased personal data", body = Vec<AuditEntry>),
    (status = 403, description = "Not an admin", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn audit_log(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(audit::latest(&state.db, 1000).await?))
}

/// Checks the device may read reports; returns whether CSV was asked for.
fn report_reader(
    device: &auth::Device,
    filters: &Filters,
    headers: &axum::http::HeaderMap,
) -> Result<bool> {
    if device.revoked {
        return Err(Error::Unauthorized);
    }
    if !device.role.reads_reports() {
        return Err(Error::Forbidden("reports are for admins and viewers"));
    }
    Ok(filters.wants_csv()
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv")))
}

/// The report as JSON, or as CSV when asked.
fn report_response<R: Report>(csv: bool, report: R) -> axum::response::Response {
    if csv {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report.to_csv(),
        )
            .into_response()
    } else {
        Json(report).into_response()
    }
}

/// The engagement funnel: people reaching each ladder stage, conversion,
/// drop-off, and whole days between stages (median and 90th percentile).
/// Counts below the area's suppression threshold read `null` (`<5` in CSV).
#[utoipa::path(get, path = "/v1/reports/funnel", params(Filters), responses(
    (status = 200, description = "The funnel (JSON, or CSV when asked)", body = crate::reports::Funnel),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn funnel_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::funnel(&state.db, &filters).await?;
    Ok(report_response(csv, report))
}

/// Progression routes: entry channel to highest stage reached, and which
/// channels lead to the top of the ladder.
#[utoipa::path(get, path = "/v1/reports/routes", params(Filters), responses(
    (status = 200, description = "The routes (JSON, or CSV when asked)", body = crate::reports::Routes),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn routes_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::routes(&state.db, &filters).await?;
    Ok(report_response(csv, report))
}

/// The resident-led monitor: the partnership's composition now and after
/// every change, the share of residents under each definition against the
/// area's threshold, and whether one resignation would break it. Takes no
/// filters: it is about the whole board.
#[utoipa::path(get, path = "/v1/reports/resident-led", params(Filters), responses(
    (status = 200, description = "The monitor (JSON, or CSV when asked)", body = crate::reports::ResidentLed),
    (status = 400, description = "The area is not configured", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn resident_led_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::resident_led(&state.db, state.now()).await?;
    Ok(report_response(csv, report))
}

/// The civic core: people holding two or more roles, the share of all
/// activity done by the most active tenth, and first-time versus returning
/// attendees per event and per month.
#[utoipa::path(get, path = "/v1/reports/civic-core", params(Filters), responses(
    (status = 200, description = "The civic core (JSON, or CSV of the events when asked)", body = crate::reports::CivicCore),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn civic_core_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::civic_core(&state.db, &filters, state.now()).await?;
    Ok(report_response(csv, report))
}

/// Reach and fairness: contacts, conversations and participants per patch
/// (per 1,000 households) and by age band (with the under-55 share), tenure,
/// language and ethnicity (only people who consented to equality monitoring).
#[utoipa::path(get, path = "/v1/reports/reach", params(Filters), responses(
    (status = 200, description = "Reach (JSON, or CSV when asked)", body = crate::reports::Reach),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn reach_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::reach(&state.db, &filters).await?;
    Ok(report_response(csv, report))
}

/// Turnover: partnership members joining and leaving per year, median
/// tenure, vacancies, and the pipeline of working-group members. Takes no
/// filters: it is about the whole board.
#[utoipa::path(get, path = "/v1/reports/turnover", params(Filters), responses(
    (status = 200, description = "Turnover (JSON, or CSV of the years when asked)", body = crate::reports::Turnover),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn turnover_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::turnover(&state.db, state.now()).await?;
    Ok(report_response(csv, report))
}

/// Champion activity: doors knocked, conversations, and follow-ups owed and
/// overdue, per champion (device id) and patch.
#[utoipa::path(get, path = "/v1/reports/champions", params(Filters), responses(
    (status = 200, description = "Champion activity (JSON, or CSV when asked)", body = crate::reports::ChampionActivity),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn champions_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::champion_activity(&state.db, &filters, state.now()).await?;
    Ok(report_response(csv, report))
}

/// Household reach: doors on the list, knocked and answered per patch, and
/// per 1,000 households. Dates (or a cohort month) select knocks by when
/// they happened. Doors are not people: counts are not suppressed.
#[utoipa::path(get, path = "/v1/reports/households", params(Filters), responses(
    (status = 200, description = "Household reach (JSON, or CSV when asked)", body = crate::reports::HouseholdReach),
    (status = 400, description = "A bad filter", body = ErrorBody),
    (status = 403, description = "Not an admin or viewer", body = ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn households_report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    headers: axum::http::HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<axum::response::Response> {
    let csv = report_reader(&device, &filters, &headers)?;
    let report = crate::reports::household_reach(&state.db, &filters).await?;
    Ok(report_response(csv, report))
}
