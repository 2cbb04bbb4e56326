//! The HTTP entry point: the JSON API, one router per resource (`sync`,
//! `devices`, `admin`, `reports`, `openapi`), and the partnership
//! dashboard (`dashboard`). Handlers parse, authenticate and present;
//! every action is a call to [`crate::ops`]. They hold no SQL and no CRDT
//! code.

mod admin;
pub(crate) mod dashboard;
mod devices;
mod error;
mod openapi;
pub(crate) mod reports;
mod sync;

pub(crate) use error::{public_message, status_of};

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sync_core::{Clock, SystemClock, Timestamp};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::Error;
use crate::ops::{self, Device, Role};
use crate::store::Db;

pub use admin::{Created, PatchInput};
pub use dashboard::SESSION_COOKIE;
pub use devices::{Invite, InviteRequest, RegisterDevice};
pub use error::ErrorBody;
pub use openapi::ApiDoc;

/// Largest request body accepted (a sync request holds at most 8 MiB of
/// changes plus framing).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Arc<Db>,
    /// The clock (tests pass a manual one).
    pub clock: Arc<dyn Clock + Send + Sync>,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// How many requests a device token may make.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Burst size.
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::new(20).expect("non-zero"),
            burst: NonZeroU32::new(60).expect("non-zero"),
        }
    }
}

impl AppState {
    /// State over a database, with the system clock.
    pub fn new(db: Arc<Db>, rate_limit: RateLimit) -> Self {
        Self::with_clock(db, rate_limit, Arc::new(SystemClock))
    }

    /// State with a given clock.
    pub fn with_clock(
        db: Arc<Db>,
        rate_limit: RateLimit,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Self {
        let quota = Quota::per_second(rate_limit.per_second).allow_burst(rate_limit.burst);
        Self {
            db,
            clock,
            limiter: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(openapi::routes())
        .merge(sync::routes())
        .merge(devices::routes())
        .merge(reports::routes())
        .nest("/v1/admin", devices::admin_routes().merge(admin::routes()))
        .merge(dashboard::routes())
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves; requests in
/// flight then finish, new ones are refused.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The device behind a request's bearer token, within its rate limit.
#[derive(Debug)]
pub struct Authenticated(pub Device);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthorized)?;
        let device = ops::devices::authenticate(&state.db, token).await?;
        // Keyed by device, not by the token presented: random tokens must
        // not grow the limiter's table.
        if state.limiter.check_key(&device.id.to_string()).is_err() {
            return Err(Error::RateLimited);
        }
        Ok(Self(device))
    }
}

/// An authenticated admin device.
#[derive(Debug)]
pub struct AdminDevice(pub Device);

impl FromRequestParts<AppState> for AdminDevice {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Authenticated(device) = Authenticated::from_request_parts(parts, state).await?;
        if device.revoked {
            return Err(Error::Unauthorized);
        }
        if device.role != Role::Admin {
            return Err(Error::Forbidden("only admins may do this"));
        }
        Ok(Self(device))
    }
}
