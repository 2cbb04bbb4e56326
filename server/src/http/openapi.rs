//! `GET /openapi.json` and `GET /healthz`. The document is generated from
//! the handlers' annotations, and for the reports from the registry
//! ([`super::reports::REPORTS`]), so a new report is described without a
//! handler of its own.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{IntoParams, OpenApi, PartialSchema, ToSchema};

use super::error::ErrorBody;
use super::{AppState, Router};
use crate::error::Result;
use crate::reports::Filters;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
}

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "outreach",
        description = "Offline-first outreach backend: sync, devices, admin and reports"
    ),
    paths(
        healthz,
        super::devices::register_device,
        super::sync::sync,
        super::devices::create_invite,
        super::devices::list_devices,
        super::devices::revoke_device,
        super::admin::get_area,
        super::admin::put_area,
        super::admin::put_patch,
        super::admin::delete_patch,
        super::admin::list_events,
        super::admin::create_event,
        super::admin::update_event,
        super::admin::cancel_event,
        super::groups::list_groups,
        super::groups::create_group,
        super::groups::get_group,
        super::groups::update_group,
        super::groups::close_group,
        super::groups::open_group,
        super::groups::group_members,
        super::groups::join_group,
        super::groups::leave_group,
        super::devices::list_invites,
        super::devices::cancel_invite,
        super::admin::erase_record,
        super::admin::export_record,
        super::admin::suppress_record,
        super::admin::list_duplicates,
        super::admin::find_people,
        super::admin::get_person,
        super::admin::change_person,
        super::admin::merge_people,
        super::admin::audit_log,
        super::targets::list_targets,
        super::targets::set_target,
        super::targets::remove_target,
        super::pack::board_pack,
        super::pack::board_pack_pdf,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth, &ReportPaths, &CommonResponses)
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme the secured paths name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Describes `GET /v1/reports/NAME` for every report in the registry.
struct ReportPaths;

impl utoipa::Modify for ReportPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut schemas = Vec::new();
        let glossary: String = crate::reports::GLOSSARY
            .iter()
            .map(|(term, meaning)| format!("- **{term}**: {meaning}\n"))
            .collect();
        let headlines = crate::reports::Headlines::name().into_owned();
        schemas.push((headlines.clone(), crate::reports::Headlines::schema()));
        crate::reports::Headlines::schemas(&mut schemas);
        for entry in &super::reports::REPORTS {
            let schema = (entry.schema)(&mut schemas);
            let has_headlines = crate::reports::headlines::has_headlines(entry.name);
            // A report with headline figures carries them under `headlines`.
            let body: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> = if has_headlines {
                AllOfBuilder::new()
                    .item(Ref::from_schema_name(schema.clone()))
                    .item(
                        ObjectBuilder::new()
                            .property("headlines", Ref::from_schema_name(headlines.clone()))
                            .required("headlines"),
                    )
                    .into()
            } else {
                Ref::from_schema_name(schema.clone()).into()
            };
            let error = |description: &str| {
                ResponseBuilder::new().description(description).content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
            };
            let operation = OperationBuilder::new()
                .summary(Some(entry.label))
                .description(Some(format!(
                    "{}\n\nWhat these figures mean:\n{glossary}",
                    entry.intro
                )))
                .operation_id(Some(format!("{}_report", entry.name.replace('-', "_"))))
                .parameters(Some(Filters::into_params(|| Some(ParameterIn::Query))))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("The report (JSON, or CSV when asked)")
                        .content(
                            "application/json",
                            ContentBuilder::new().schema(Some(body)).build(),
                        )
                        .content(
                            "text/csv",
                            ContentBuilder::new().schema(Some(String::schema())).build(),
                        ),
                )
                .response(
                    "400",
                    error(
                        "A bad filter, the area not configured, or (for a viewer) filters choosing fewer than ten times the threshold in people",
                    ),
                )
                .response("401", error("No valid token"))
                .response(
                    "403",
                    error("Not an admin or viewer, or a viewer choosing people by champion"),
                )
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            openapi.paths.add_path_operation(
                format!("/v1/reports/{}", entry.name),
                vec![HttpMethod::Get],
                operation,
            );
            if !has_headlines {
                continue;
            }
            let operation = OperationBuilder::new()
                .summary(Some(format!("{}: headline figures", entry.label)))
                .description(Some(
                    "The report's headline figures for the period chosen, beside the same figures for the period it is compared with (`compare`), and the change. A change is given only when both figures are shown; `no_change_because` says why not.",
                ))
                .operation_id(Some(format!(
                    "{}_headlines",
                    entry.name.replace('-', "_")
                )))
                .parameters(Some(Filters::into_params(|| Some(ParameterIn::Query))))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("The headline figures (JSON, or CSV when asked)")
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name(headlines.clone())))
                                .build(),
                        )
                        .content(
                            "text/csv",
                            ContentBuilder::new().schema(Some(String::schema())).build(),
                        ),
                )
                .response("400", error("A bad filter, period or comparison"))
                .response("401", error("No valid token"))
                .response(
                    "403",
                    error("Not an admin or viewer, or a viewer choosing people by champion"),
                )
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            openapi.paths.add_path_operation(
                format!("/v1/reports/{}/headlines", entry.name),
                vec![HttpMethod::Get],
                operation,
            );
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.extend(schemas);
    }
}

/// Adds the answers any operation can give, whatever its handler does:
/// the server busy or the request too slow (503), too many requests
/// without a valid token (429), and for operations behind a token 401 and
/// 403, with a body 400 (malformed), 413 (too large) and 415 (not JSON),
/// with a JSON body 422 (the wrong shape), with a path parameter 404. Each is the JSON error ([`ErrorBody`]).
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = |description: &str| {
            utoipa::openapi::RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let has_json_body = operation.request_body.as_ref().is_some_and(|b| match b {
                    utoipa::openapi::RefOr::T(body) => {
                        body.content.contains_key("application/json")
                    }
                    utoipa::openapi::RefOr::Ref(_) => false,
                });
                let mut common = vec![
                    (
                        "429",
                        "Too many requests from this address without a valid token",
                    ),
                    (
                        "503",
                        "The server is busy, or the request took too long: try again (see Retry-After)",
                    ),
                ];
                if secured {
                    common.push(("401", "No valid token"));
                    common.push(("403", "The token's role may not do this"));
                }
                if has_body {
                    common.push(("400", "A malformed body"));
                    common.push(("413", "The body is larger than the server takes"));
                    common.push(("415", "The body is not of the type this operation takes"));
                }
                if has_json_body {
                    common.push((
                        "422",
                        "The body is JSON of the wrong shape, or a value is not one this field takes",
                    ));
                }
                if path.contains('{') {
                    common.push(("404", "Nothing at this path"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// `GET /openapi.json`.
async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Whether the server and its database answer: `ok`, then the database's
/// schema version and the sync protocol's version, a line each.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "Up: `ok`, `schema N`, `protocol N`", body = String),
    (status = 500, description = "The database does not answer", body = ErrorBody),
))]
pub(super) async fn healthz(State(state): State<AppState>) -> Result<String> {
    let schema = crate::ops::schema_version(&state.db).await?;
    Ok(format!(
        "ok\nschema {schema}\nprotocol {}\n",
        sync_core::PROTOCOL_VERSION
    ))
}
