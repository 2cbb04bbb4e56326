//! `outreach serve`: its options, and the tasks that run beside the
//! server (retention, the planner's statistics, scheduled backups).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use sync_core::{Clock, SystemClock};

use super::RetentionArgs;
use crate::error::{Error, Result};
use crate::http::{self, AppState, Listening, PublicUrl, RateLimit, Settings};
use crate::ops::{self, retention};
use crate::store::Db;

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "OUTREACH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Fill an empty database with demo data first.
    #[arg(long, env = "OUTREACH_DEMO")]
    pub demo: bool,
    /// Where people's browsers and phones reach the server, e.g.
    /// `https://outreach.example.org` (every link it makes starts with it;
    /// `https` makes the session cookie `Secure` and adds HSTS). Defaults to
    /// the bound address, over HTTPS when given a certificate.
    #[arg(long, env = "OUTREACH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with `--tls-key`).
    #[arg(long, env = "OUTREACH_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "OUTREACH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Requests per second allowed per device token.
    #[arg(long, env = "OUTREACH_RATE_LIMIT", default_value = "20")]
    pub rate_limit: NonZeroU32,
    /// Requests a device token may make in a burst.
    #[arg(long, env = "OUTREACH_RATE_BURST", default_value = "60")]
    pub rate_burst: NonZeroU32,
    /// Requests per second allowed per client address without a valid
    /// token (registering phones, signing in, unknown tokens).
    #[arg(long, env = "OUTREACH_ADDRESS_RATE_LIMIT", default_value = "5")]
    pub address_rate_limit: NonZeroU32,
    /// Such requests a client address may make in a burst.
    #[arg(long, env = "OUTREACH_ADDRESS_RATE_BURST", default_value = "20")]
    pub address_rate_burst: NonZeroU32,
    /// Requests answered at once; more are refused with 503 and Retry-After.
    #[arg(long, env = "OUTREACH_MAX_REQUESTS", default_value = "1024")]
    pub max_requests: usize,
    /// Connections open at once; more wait to be accepted.
    #[arg(long, env = "OUTREACH_MAX_CONNECTIONS", default_value = "1024")]
    pub max_connections: usize,
    /// A reverse proxy in front of the server (repeat for several): its
    /// requests count against the client in its `X-Forwarded-For`.
    #[arg(
        long = "trusted-proxy",
        env = "OUTREACH_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, env = "OUTREACH_HEADER_TIMEOUT_SECONDS", default_value = "10")]
    pub header_timeout_seconds: NonZeroU32,
    /// The retention policy.
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// Minutes between retention runs (0: never).
    #[arg(long, env = "OUTREACH_RETENTION_EVERY_MINUTES", default_value = "60")]
    pub retention_every_minutes: u64,
    /// Take backups into this directory on a schedule (none unless set).
    #[arg(long, env = "OUTREACH_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Hours between scheduled backups (the first is taken at start).
    #[arg(long, env = "OUTREACH_BACKUP_EVERY_HOURS", default_value = "24")]
    pub backup_every_hours: NonZeroU32,
    /// Scheduled backups kept at most (older ones are deleted).
    #[arg(long, env = "OUTREACH_BACKUP_KEEP", default_value = "14")]
    pub backup_keep: NonZeroU32,
    /// Scheduled backups older than this many days are deleted: an erased
    /// person's data lives on in a backup until then.
    #[arg(long, env = "OUTREACH_BACKUP_MAX_DAYS", default_value = "30")]
    pub backup_max_days: NonZeroU32,
    /// Encrypt scheduled backups to this age public key (age1..., repeat).
    #[arg(
        long = "backup-encrypt-to",
        env = "OUTREACH_BACKUP_ENCRYPT_TO",
        value_delimiter = ','
    )]
    pub backup_encrypt_to: Vec<String>,
    /// Also serve `/metrics` here, with no token (keep it off the internet,
    /// e.g. 127.0.0.1:9090); on the main address it needs an admin token.
    #[arg(long, env = "OUTREACH_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
}

pub(super) async fn serve(db: Db, url: &str, args: ServeArgs) -> Result<()> {
    let listening = Listening {
        header_read_timeout: std::time::Duration::from_secs(
            args.header_timeout_seconds.get().into(),
        ),
        max_connections: args.max_connections,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(certificate), Some(key)) => Some(http::tls_from_files(certificate, key)?),
            _ => None,
        },
    };
    let settings = Settings {
        per_device: RateLimit::new(args.rate_limit.get(), args.rate_burst.get()),
        per_address: RateLimit::new(args.address_rate_limit.get(), args.address_rate_burst.get()),
        max_requests: args.max_requests,
        public_url: public_url(&args, listening.tls.is_some())?,
        trusted_proxies: args.trusted_proxies.clone(),
        backup_every: args
            .backup_dir
            .as_ref()
            .map(|_| hours(args.backup_every_hours)),
    };
    let schedule = match &args.backup_dir {
        Some(dir) => Some(ops::backup::Schedule {
            dir: dir.clone(),
            every: hours(args.backup_every_hours),
            keep: args.backup_keep.get() as usize,
            max_age_days: args.backup_max_days.get().into(),
            recipients: ops::backup::Recipients::parse(&args.backup_encrypt_to)?,
        }),
        None => None,
    };
    if db.erasure_log().is_none() {
        tracing::warn!(
            "no erasure log (--erasure-log): an erasure made after a backup would come back \
             if that backup were restored"
        );
    }
    let db = Arc::new(db);
    // The port is held before the demo is written (which takes seconds):
    // a browser opened meanwhile waits rather than being refused, and no
    // other process can take the port in between.
    let listener = bind(args.bind).await?;
    if args.demo && !ops::demo::has_people(&db).await? {
        let summary = ops::demo::fill(
            &db,
            ops::demo::DEFAULT_PEOPLE,
            ops::demo::DEFAULT_SEED,
            true,
        )
        .await?;
        // It holds the demo's device tokens: for the person at the
        // terminal, not for the log.
        println!("{summary}");
    }
    // A new area: whoever started the server gets the first admin's
    // sign-in link, on the terminal only (never in the log).
    if let Some(path) = ops::devices::first_run_link(&db, SystemClock.now()).await? {
        println!(
            "No one can administer this area yet. Open this link in a browser to set it up \
             (it works once, for {} hours):\n  {}",
            ops::devices::FIRST_RUN_LINK_HOURS,
            settings.public_url.join(&path)
        );
    }
    let policy = args.retention.policy()?;
    if args.retention_every_minutes > 0 {
        let every = std::time::Duration::from_secs(args.retention_every_minutes * 60);
        tokio::spawn(retention_task(db.clone(), policy, every));
    }
    tokio::spawn(optimize_task(db.clone()));
    if let Some(schedule) = schedule {
        tokio::spawn(backup_task(db.clone(), url.to_owned(), schedule));
    }
    let public_url = settings.public_url.clone();
    let state = AppState::new(db, settings);
    tokio::spawn(state.metrics.clone().upkeep());
    if let Some(address) = args.metrics_bind {
        let listener = bind(address).await?;
        let metrics = http::metrics_only(state.clone());
        tokio::spawn(async move {
            if let Err(e) = http::serve(
                listener,
                metrics,
                Listening::default(),
                std::future::pending(),
            )
            .await
            {
                tracing::error!(error = %e, "serving /metrics stopped");
            }
        });
        tracing::info!(%address, "metrics serving");
    }
    let app = http::app(state);
    let addr = listener.local_addr().map_err(|source| Error::Io {
        context: "reading the bound address".into(),
        source,
    })?;
    let tls = listening.tls.is_some();
    tracing::info!(%addr, tls, public_url = public_url.as_str(), "outreach serving");
    http::serve(listener, app, listening, shutdown_signal())
        .await
        .map_err(|source| Error::Io {
            context: "serving".into(),
            source,
        })?;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| Error::Io {
            context: format!("listening on {address}"),
            source,
        })
}

fn hours(hours: NonZeroU32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(hours.get()) * 3600)
}

/// Takes a backup now and then on `schedule`, logging each; a failure is
/// logged and tried again at the next turn (the dashboard shows how old
/// the last good one is).
async fn backup_task(db: Arc<Db>, url: String, schedule: ops::backup::Schedule) {
    let mut interval = tokio::time::interval(schedule.every);
    loop {
        interval.tick().await;
        match ops::backup::take_scheduled(&db, &url, &schedule, SystemClock.now()).await {
            Ok((taken, expired)) => {
                tracing::info!(
                    file = %taken.file.display(),
                    bytes = taken.bytes,
                    seconds = taken.took.as_secs_f64(),
                    encrypted = taken.encrypted,
                    expired = expired.len(),
                    "backup taken"
                );
            }
            Err(e) => tracing::error!(error = %e, "a scheduled backup failed"),
        }
    }
}

/// The public URL `serve` was given, or the bound address's; an `http` one
/// is refused when the server itself serves HTTPS.
fn public_url(args: &ServeArgs, tls: bool) -> Result<PublicUrl> {
    let url = match &args.public_url {
        Some(url) => PublicUrl::parse(url)?,
        None => {
            if args.bind.ip().is_unspecified() {
                tracing::warn!(
                    "listening on every address with no --public-url: sign-in links will name {}; \
                     set --public-url to where people reach the server",
                    args.bind
                );
            }
            let scheme = if tls { "https" } else { "http" };
            PublicUrl::parse(&format!("{scheme}://{}", args.bind))?
        }
    };
    if tls && !url.is_https() {
        return Err(Error::Config(format!(
            "the server serves HTTPS, so its public URL must start with https://, not {}",
            url.as_str()
        )));
    }
    Ok(url)
}

/// Runs retention now and then every `every`, logging what it did.
async fn retention_task(db: Arc<Db>, policy: retention::Policy, every: std::time::Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        match retention::run(&db, policy, SystemClock.now()).await {
            Ok(report) if !report.anonymised.is_empty() => {
                tracing::info!(anonymised = report.anonymised.len(), "retention run");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention run failed"),
        }
    }
}

/// Refreshes the query planner's statistics hourly (see [`Db::optimize`]).
async fn optimize_task(db: Arc<Db>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
    // The first tick is immediate, and migrate has just optimized.
    interval.tick().await;
    loop {
        interval.tick().await;
        if let Err(e) = db.optimize().await {
            tracing::error!(error = %e, "refreshing the planner's statistics failed");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C: in-flight requests finish, new ones are refused.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
