//! The HTTP entry point: the JSON API, one router per resource (`sync`,
//! `devices`, `admin`, `reports`, `openapi`), and the partnership
//! dashboard (`dashboard`). Handlers parse, authenticate and present;
//! every action is a call to [`crate::ops`]. They hold no SQL and no CRDT
//! code.

mod admin;
pub(crate) mod dashboard;
mod devices;
mod error;
mod groups;
mod openapi;
pub(crate) mod pack;
mod prometheus;
pub(crate) mod reports;
mod serve;
mod sync;
mod targets;

pub(crate) use error::{add_error_headers, public_message, status_of};

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::BoxError;
pub use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sync_core::{Clock, SystemClock, Timestamp};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::Error;
use crate::ops::{self, Device, Role};
use crate::store::Db;

pub use admin::{Created, PatchInput};
pub use dashboard::{SECURE_SESSION_COOKIE, SESSION_COOKIE};
pub use devices::{Invite, InviteRequest, RegisterDevice};
pub use error::ErrorBody;
pub use openapi::ApiDoc;
pub use pack::{PackQuery, pack as board_pack, pdf as board_pack_pdf};
pub use prometheus::{Metrics, unguarded as metrics_only};
pub use reports::{breakdowns as report_breakdowns, published as published_report};
pub use serve::{Listening, Tls, serve, tls_from_files};

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
    /// How the server is reached and limited.
    pub settings: Arc<Settings>,
    /// Requests per device.
    devices: Arc<DefaultKeyedRateLimiter<String>>,
    /// Requests without a valid token, per client address.
    addresses: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// What `/metrics` shows.
    pub metrics: Metrics,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How many requests may be made.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Burst size.
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `per_second` sustained, up to `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// How the server is reached and limited.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requests per device token.
    pub per_device: RateLimit,
    /// Requests per client address that carry no valid token: registering
    /// a phone, signing in, and bearer tokens the server does not know.
    pub per_address: RateLimit,
    /// Requests answered at once; more are refused at once with 503 and
    /// `Retry-After` rather than left to queue.
    pub max_requests: usize,
    /// Where people's browsers and phones reach the server: every link the
    /// server makes starts with it, and on `https` the session cookie is
    /// `Secure` and responses carry HSTS.
    pub public_url: PublicUrl,
    /// Reverse proxies in front of the server: a request from one of them
    /// is counted against the client address the proxy appended to
    /// `X-Forwarded-For`, not against the proxy. Nobody else's
    /// `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// How often backups are scheduled, if they are: the dashboard warns
    /// when the last good one is older than two of these.
    pub backup_every: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            per_device: RateLimit::new(20, 60),
            per_address: RateLimit::new(5, 20),
            max_requests: 1024,
            public_url: PublicUrl::parse("http://127.0.0.1:8080").expect("a URL"),
            trusted_proxies: Vec::new(),
            backup_every: None,
        }
    }
}

/// The server's address as people reach it: `http(s)://host[:port]`,
/// without a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Checks and keeps `text` (a trailing `/` is dropped).
    pub fn parse(text: &str) -> crate::Result<Self> {
        let url = text.trim().trim_end_matches('/');
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        let fine = !host.is_empty()
            && !host.contains(['/', '?', '#', '@', ' '])
            && host.chars().all(|c| c.is_ascii_graphic());
        if !fine {
            return Err(Error::Config(format!(
                "the public URL must be http(s)://host[:port] with no path, not {text:?}"
            )));
        }
        Ok(Self(url.to_owned()))
    }

    /// Whether people reach the server over HTTPS.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// The URL of `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// As written: `http(s)://host[:port]`, which is also its origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AppState {
    /// State over a database, with the system clock.
    pub fn new(db: Arc<Db>, settings: Settings) -> Self {
        Self::with_clock(db, settings, Arc::new(SystemClock))
    }

    /// State with a given clock.
    pub fn with_clock(
        db: Arc<Db>,
        settings: Settings,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Self {
        Self {
            db,
            clock,
            devices: Arc::new(RateLimiter::keyed(settings.per_device.quota())),
            addresses: Arc::new(RateLimiter::keyed(settings.per_address.quota())),
            settings: Arc::new(settings),
            metrics: Metrics::default(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Counts a request without a valid token against its client's
    /// address; `RateLimited` past the address's allowance.
    pub(crate) fn count_unauthenticated(&self, parts: &Parts) -> Result<(), Error> {
        let Some(peer) = serve::client_of(parts) else {
            return Ok(());
        };
        let client = client_address(parts, peer.ip(), &self.settings.trusted_proxies);
        forget_idle_keys(&self.addresses);
        if self.addresses.check_key(&allowance_key(client)).is_err() {
            return Err(Error::RateLimited);
        }
        Ok(())
    }
}

/// The client a request is from: the peer, or, when the peer is a trusted
/// proxy, the last address in `X-Forwarded-For` (the one the proxy added;
/// those before it are the client's word).
fn client_address(parts: &Parts, peer: IpAddr, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

/// What an address's allowance is kept under: an IPv6 address by its /64
/// network (one household or phone is given a whole /64, so its addresses
/// are one client), an IPv4 address as it is.
fn allowance_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(network.into())
        }
    }
}

/// Keys a limiter keeps before it drops those whose allowance is full again.
const LIMITER_KEYS: usize = 10_000;

/// Drops a limiter's keys that are back to a full allowance once it holds
/// many, so clients that come and go do not grow it for ever.
fn forget_idle_keys<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) {
    if limiter.len() > LIMITER_KEYS {
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    let max_requests = state.settings.max_requests.max(1);
    let hsts = state
        .settings
        .public_url
        .is_https()
        .then(|| HeaderValue::from_static("max-age=31536000"));
    Router::new()
        .merge(openapi::routes())
        .merge(prometheus::routes())
        .merge(sync::routes())
        .merge(devices::routes())
        .merge(reports::routes())
        .merge(pack::routes())
        .nest(
            "/v1/admin",
            devices::admin_routes()
                .merge(admin::routes())
                .merge(groups::routes())
                .merge(targets::routes()),
        )
        .merge(dashboard::routes(state.clone()))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(TraceLayer::new_for_http().make_span_with(redacted_span))
        // Around the handlers' own layers: a saturated server answers at
        // once, and says when to come back, rather than let requests queue
        // until they time out.
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: BoxError| async {
                    Error::Overloaded.into_response()
                }))
                .layer(LoadShedLayer::new())
                // One count across every route (a router's layers wrap
                // each route apart).
                .layer(GlobalConcurrencyLimitLayer::new(max_requests)),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        // Every answer (exports and duplicates above all) is personal data
        // or about it: no cache keeps it, and no browser guesses its type.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// The span of a request, with the path as [`loggable_path`] gives it.
fn redacted_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let path = loggable_path(request.uri().path());
    tracing::debug_span!("request", method = %request.method(), path)
}

/// A request's path as logs may keep it: without the secret a path may
/// carry (a sign-in link's code, `/sign-in/CODE`, or a phone's invite
/// code, `/join/CODE`). Queries are never logged.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/join/") {
        return "/join/[code]";
    }
    match path.strip_prefix("/sign-in/") {
        Some(rest) if rest != "link" => "/sign-in/[code]",
        _ => path,
    }
}

/// A request that carries no token (registering a phone, signing in),
/// counted against its client address's allowance before anything else is
/// done for it: its body is not even read past the allowance.
#[derive(Debug)]
pub(crate) struct Unauthenticated;

impl FromRequestParts<AppState> for Unauthenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        state.count_unauthenticated(parts)?;
        Ok(Self)
    }
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
        let device = match ops::devices::authenticate(&state.db, token).await {
            Ok(device) => device,
            Err(Error::Unauthorized) => {
                // Guessing tokens costs the guesser's address its allowance.
                state.count_unauthenticated(parts)?;
                return Err(Error::Unauthorized);
            }
            Err(e) => return Err(e),
        };
        // Keyed by device, not by the token presented: random tokens must
        // not grow the limiter's table.
        forget_idle_keys(&state.devices);
        if state.devices.check_key(&device.id.to_string()).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_codes_never_reach_the_log() {
        assert_eq!(loggable_path("/sign-in/0a1b2c3d4e5f"), "/sign-in/[code]");
        assert_eq!(loggable_path("/sign-in/0a1b/x"), "/sign-in/[code]");
        assert_eq!(loggable_path("/sign-in/link"), "/sign-in/link");
        assert_eq!(loggable_path("/join/0a1b2c3d4e5f"), "/join/[code]");
        assert_eq!(loggable_path("/sign-in"), "/sign-in");
        assert_eq!(loggable_path("/v1/sync"), "/v1/sync");
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let request = axum::http::Request::builder()
            .header("x-forwarded-for", "203.0.113.9, 198.51.100.7")
            .body(())
            .expect("a request");
        let (parts, ()) = request.into_parts();
        let proxy: IpAddr = "127.0.0.1".parse().expect("an address");
        let client: IpAddr = "198.51.100.7".parse().expect("an address");
        assert_eq!(client_address(&parts, proxy, &[proxy]), client);
        let stranger: IpAddr = "192.0.2.1".parse().expect("an address");
        assert_eq!(client_address(&parts, stranger, &[proxy]), stranger);
        assert_eq!(client_address(&parts, proxy, &[]), proxy);
    }

    #[test]
    fn an_ipv6_client_is_its_64_bit_network() {
        let key = |text: &str| allowance_key(text.parse().expect("an address"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("192.0.2.1").to_string(), "192.0.2.1");
    }

    #[test]
    fn a_public_url_is_a_scheme_and_a_host() {
        let url = PublicUrl::parse("https://outreach.example.org:8443/").expect("a URL");
        assert!(url.is_https());
        assert_eq!(
            url.join("/sign-in/x"),
            "https://outreach.example.org:8443/sign-in/x"
        );
        for bad in [
            "outreach.example.org",
            "ftp://x",
            "https://",
            "https://x/dashboard",
            "http://a b",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
