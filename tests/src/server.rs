//! Test databases, real servers on 127.0.0.1, and phones that sync with
//! them over HTTP.
//!
//! PostgreSQL tests run when `OUTREACH_TEST_POSTGRES_URL` names a server
//! (`scripts/with-postgres` starts a throwaway one); each test gets a fresh
//! database of its own. When `OUTREACH_REQUIRE_POSTGRES` is set, a missing
//! PostgreSQL fails the test instead of skipping it, so CI cannot pass with
//! the PostgreSQL suite silently not run.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use server::http::{AppState, Listening, PublicUrl, RateLimit, Settings};
use server::ops::Actor;
use server::ops::Registered;
use server::store::Db;
use sync_core::{
    DeviceId, ManualClock, MemoryStore, Replica, Storage, SyncOutcome, SyncResponse, Timestamp,
};
use tempfile::TempDir;

/// Which database a test runs against.
#[derive(Debug)]
pub struct TestDb {
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    /// Its URL.
    pub url: String,
    /// A directory of its own, for its erasure log (beside a SQLite file,
    /// and in here for PostgreSQL) and for backups.
    pub dir: TempDir,
}

impl TestDb {
    /// Its erasure log's file: where the server keeps it beside a SQLite
    /// database, and where tests ask it to for PostgreSQL.
    pub fn erasure_log(&self) -> PathBuf {
        self.dir.path().join("outreach.db.erasures")
    }

    /// A file of its own directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A tokio runtime for a test's async parts.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A fresh SQLite database in a temporary directory.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("outreach.db").display());
    TestDb {
        label: "sqlite",
        url,
        dir,
    }
}

/// A fresh PostgreSQL database, if a server is configured (see the module
/// docs). Panics when PostgreSQL is required and missing.
pub fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("OUTREACH_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("OUTREACH_REQUIRE_POSTGRES").is_none(),
            "OUTREACH_REQUIRE_POSTGRES is set but OUTREACH_TEST_POSTGRES_URL is not"
        );
        eprintln!("skipping PostgreSQL: OUTREACH_TEST_POSTGRES_URL is not set");
        return None;
    };
    let name = format!("test_{}", fastrand::u64(..));
    runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin_url)
            .await
            .expect("connect to the test PostgreSQL");
        // The name is made here from digits alone.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create a test database");
        pool.close().await;
    });
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    Some(TestDb {
        label: "postgres",
        url: format!("{base}/{name}"),
        dir: tempfile::tempdir().expect("temporary directory"),
    })
}

/// SQLite, and PostgreSQL when available.
pub fn databases() -> Vec<TestDb> {
    let mut out = vec![sqlite()];
    out.extend(postgres());
    out
}

/// Connects to and migrates a test database.
pub async fn connect(db: &TestDb) -> Db {
    let mut connected = Db::connect(&db.url).await.expect("connect");
    connected.log_erasures_to(db.erasure_log());
    connected.migrate().await.expect("migrate");
    connected
}

/// A server serving on 127.0.0.1 in this process, on its own runtime.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database it serves.
    pub db: Arc<Db>,
    /// Its clock.
    pub clock: ManualClock,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts a server on `db`, its clock at `start`.
    pub fn start(db: &TestDb, start: Timestamp) -> Self {
        Self::start_with(db, start, Self::settings())
    }

    /// The settings [`TestServer::start`] uses: the server's own, but with
    /// room for the many registrations from 127.0.0.1 tests make.
    pub fn settings() -> Settings {
        Settings {
            per_address: RateLimit::new(10_000, 10_000),
            ..Settings::default()
        }
    }

    /// Starts a server with given settings (its public URL becomes its own
    /// address).
    pub fn start_with(db: &TestDb, start: Timestamp, settings: Settings) -> Self {
        Self::start_listening(db, start, settings, Listening::default())
    }

    /// Starts a server with given settings, serving as `listening` says
    /// (HTTPS when it has TLS; `base` then starts with `https://`).
    pub fn start_listening(
        db: &TestDb,
        start: Timestamp,
        mut settings: Settings,
        listening: Listening,
    ) -> Self {
        let runtime = runtime();
        let clock = ManualClock::new(start);
        let (db, listener) = runtime.block_on(async {
            let db = Arc::new(connect(db).await);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            (db, listener)
        });
        let addr: SocketAddr = listener.local_addr().expect("address");
        let scheme = if listening.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let base = format!("{scheme}://{addr}");
        settings.public_url = PublicUrl::parse(&base).expect("a public URL");
        let state = AppState::with_clock(db.clone(), settings, Arc::new(clock.clone()));
        let app = server::http::app(state);
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = server::http::serve(listener, app, listening, async {
                let _ = stop.await;
            })
            .await;
        });
        Self {
            base,
            db,
            clock,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
        }
    }

    /// Every byte its database holds (see [`database_bytes`]).
    pub fn database_bytes(&self, test_db: &TestDb) -> Vec<u8> {
        database_bytes(self.runtime.as_ref().expect("running"), &self.db, test_db)
    }

    /// Runs async code (against the server's database) on its runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("running").block_on(future)
    }

    /// Makes an invite with the admin function and registers a device with
    /// it over HTTP. Returns the device's id and token.
    pub fn register(&self, role: server::ops::Role, patches: &[&str]) -> (DeviceId, String) {
        let patches: BTreeSet<String> = patches.iter().map(|p| (*p).to_owned()).collect();
        let now = self.clock.now();
        let code = self.block_on(async {
            let lifetime = server::ops::INVITE_DAYS * Timestamp::DAY_MILLIS;
            server::ops::devices::invite(
                &self.db,
                Actor::CommandLine,
                role,
                &patches,
                now,
                lifetime,
            )
            .await
            .expect("invite")
        });
        let registered: Registered = post_json(
            &format!("{}/v1/devices", self.base),
            None,
            &serde_json::json!({ "invite_code": code, "name": "test phone" }),
            201,
        );
        (
            registered.device_id.parse().expect("device id"),
            registered.token,
        )
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// Every byte of the database's files (SQLite) or of every row (PostgreSQL,
/// whose files a test cannot reach; an erasure rewrites its tables), to
/// check that erased data is gone.
pub fn database_bytes(runtime: &tokio::runtime::Runtime, db: &Db, test_db: &TestDb) -> Vec<u8> {
    if let Some(path) = test_db.url.strip_prefix("sqlite://") {
        let mut out = Vec::new();
        for suffix in ["", "-wal", "-journal"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                out.extend(bytes);
            }
        }
        return out;
    }
    runtime.block_on(async {
        let mut out = Vec::new();
        for table in ["documents", "feed", "people", "interactions", "stages", "roles", "events", "erased"] {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(t.* AS TEXT) FROM {table} t"
            )))
            .fetch_all(&db.pool)
            .await
            .expect("dump");
            for (row,) in rows {
                out.extend(row.into_bytes());
            }
        }
        let blobs: Vec<(Vec<u8>,)> = sqlx::query_as(
            "SELECT bytes FROM documents UNION ALL SELECT changes FROM feed WHERE changes IS NOT NULL",
        )
        .fetch_all(&db.pool)
        .await
        .expect("blobs");
        for (blob,) in blobs {
            out.extend(blob);
        }
        out
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs JSON and decodes the answer, checking the status.
pub fn post_json<T: DeserializeOwned>(
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
    expect_status: u16,
) -> T {
    post_json_method("POST", url, token, body, expect_status)
}

/// Sends JSON with `method` (POST, PUT or PATCH) and decodes the answer, checking the status.
pub fn post_json_method<T: DeserializeOwned>(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
    expect_status: u16,
) -> T {
    let (status, text) = send_json(method, url, token, body);
    assert_eq!(status, expect_status, "{url}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

/// Configures the area `north-estate` through the admin API: topic
/// `parks`, and the patches `elm-road` (400 households) and `oak-lane`
/// (250).
pub fn configure_area(server: &TestServer, admin_token: &str) {
    let _: serde_json::Value = post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(admin_token),
        &serde_json::json!({ "area": "north-estate", "name": "North Estate", "topics": ["parks"] }),
        200,
    );
    for (slug, households) in [("elm-road", 400), ("oak-lane", 250)] {
        let _: serde_json::Value = post_json_method(
            "PUT",
            &format!("{}/v1/admin/patches/{slug}", server.base),
            Some(admin_token),
            &serde_json::json!({ "name": slug, "households": households }),
            200,
        );
    }
}

/// A champion of `configure_area`'s patches who has spoken at the door
/// with as many new people in each patch as `spoken` says, and synced
/// them; returned for its token.
pub fn champion_who_spoke_with(server: &TestServer, spoken: &[(&str, usize)]) -> HttpPhone {
    let mut champion = HttpPhone::register(
        server,
        server::ops::Role::Champion,
        &["elm-road", "oak-lane"],
    );
    for (patch, people) in spoken {
        for _ in 0..*people {
            champion
                .replica
                .create_person(
                    &sync_core::NewPerson::new(
                        "north-estate",
                        patch,
                        sync_core::EntryChannel::Doorstep,
                    ),
                    |p| {
                        p.log_doorstep(sync_core::Doorstep::new(sync_core::DoorOutcome::Spoke))
                            .map(drop)
                    },
                )
                .expect("a person");
        }
    }
    champion.sync(&server.base);
    champion
}

/// Sends a DELETE with a token; returns the status.
pub fn delete(url: &str, token: &str) -> u16 {
    agent()
        .delete(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("request")
        .status()
        .as_u16()
}

/// Sends JSON with `method` (POST, PUT or PATCH); returns the status and the body.
pub fn send_json(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> (u16, String) {
    let mut request = match method {
        "PUT" => agent().put(url),
        "PATCH" => agent().patch(url),
        _ => agent().post(url),
    };
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.send_json(body).expect("request");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("body");
    (status, text)
}

/// Starts a POST that declares a body of `length` bytes, sends none of it,
/// and returns the status the server answers with (a server must refuse an
/// oversized body before reading it).
pub fn declare_body(base: &str, path: &str, token: &str, length: usize) -> u16 {
    declared_body_answer(base, path, token, length).0
}

/// [`declare_body`], returning the answer's body as well.
pub fn declared_body_answer(base: &str, path: &str, token: &str, length: usize) -> (u16, String) {
    use std::io::{BufRead, BufReader, Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n"
    )
    .expect("send headers");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {line}"));
    let mut body_length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            body_length = value.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0; body_length];
    reader.read_exact(&mut body).expect("the body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// POSTs with no body; returns the status.
pub fn post_empty(url: &str, token: &str) -> u16 {
    let response = agent()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .send_empty()
        .expect("request");
    response.status().as_u16()
}

/// GETs without a token: the status and the body.
pub fn get_plain(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().expect("request");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// GETs with a token: the status and the body.
pub fn get(url: &str, token: &str) -> (u16, String) {
    get_with_accept(url, token, "application/json")
}

/// GETs with a token and an `Accept` header: the status and the body.
pub fn get_with_accept(url: &str, token: &str, accept: &str) -> (u16, String) {
    let mut response = agent()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Accept", accept)
        .call()
        .expect("request");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// Sends raw bytes to the sync endpoint: the status and the body.
pub fn post_sync(base: &str, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut response = agent()
        .post(&format!("{base}/v1/sync"))
        .header("Authorization", &format!("Bearer {token}"))
        .content_type("application/octet-stream")
        .send(body)
        .expect("sync request");
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .expect("sync body");
    (status, bytes)
}

/// A phone that syncs with a server over HTTP (its store in memory unless
/// made with [`HttpPhone::register_with`]).
pub struct HttpPhone<S: Storage = MemoryStore> {
    /// Its replica.
    pub replica: Replica<S, ManualClock>,
    /// Its bearer token.
    pub token: String,
}

impl<S: Storage> std::fmt::Debug for HttpPhone<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPhone")
            .field("device", &self.replica.device())
            .finish_non_exhaustive()
    }
}

impl HttpPhone {
    /// A phone registered with `server` in `role`.
    pub fn register(server: &TestServer, role: server::ops::Role, patches: &[&str]) -> Self {
        HttpPhone::register_with(server, role, patches, MemoryStore::new())
    }
}

impl<S: Storage> HttpPhone<S> {
    /// A phone registered with `server` in `role`, keeping its records in `store`.
    pub fn register_with(
        server: &TestServer,
        role: server::ops::Role,
        patches: &[&str],
        store: S,
    ) -> Self {
        let (device, token) = server.register(role, patches);
        let replica = Replica::open(store, device, server.clock.clone()).expect("replica");
        Self { replica, token }
    }

    /// One round trip: the raw response too, for checks on what was sent.
    pub fn round_trip(&mut self, base: &str) -> (SyncOutcome, Vec<u8>) {
        let request = self.replica.sync_request().expect("request");
        let (status, body) = post_sync(base, &self.token, &request);
        assert_eq!(
            status,
            200,
            "sync failed: {}",
            String::from_utf8_lossy(&body)
        );
        let outcome = self.replica.apply_sync_response(&body).expect("apply");
        (outcome, body)
    }

    /// Syncs until there is nothing more to exchange; outcomes added up.
    pub fn sync(&mut self, base: &str) -> SyncOutcome {
        let mut total = SyncOutcome::default();
        for _ in 0..200 {
            total.absorb(self.round_trip(base).0);
            if total.settled() {
                return total;
            }
        }
        panic!("sync did not settle in 200 round trips");
    }
}

/// Decodes a sync response (to look inside).
pub fn decode_response(bytes: &[u8]) -> SyncResponse {
    SyncResponse::decode(bytes).expect("a sync response")
}

/// The `outreach` binary cargo built beside this test (in `target/PROFILE`,
/// the parent of a test's `deps/`) or beside this program (a binary of
/// this crate, such as `outreach-load`).
pub fn outreach_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("this program's path");
    let name = format!("outreach{}", std::env::consts::EXE_SUFFIX);
    let here = exe.parent().expect("a directory");
    let candidates = [
        here.join(&name),
        here.parent().map(|p| p.join(&name)).unwrap_or_default(),
    ];
    candidates
        .into_iter()
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no `outreach` binary beside {}: build it (`cargo build -p server`, or run the \
                 tests with `cargo test --workspace`)",
                exe.display()
            )
        })
}

/// Runs `outreach ARGS...` against a database, whatever it answers.
pub fn outreach(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(outreach_binary())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run outreach")
}

/// Runs `outreach admin ...` against a database and returns its stdout.
pub fn outreach_admin(database_url: &str, args: &[&str]) -> String {
    let args: Vec<&str> = std::iter::once("admin")
        .chain(args.iter().copied())
        .collect();
    let output = outreach(database_url, &args);
    assert!(
        output.status.success(),
        "outreach admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("text")
}

/// Registers a device on the server at `base` from an invite made with
/// `outreach admin invite --role ROLE` on its database.
pub fn register_with_cli_invite(
    database_url: &str,
    base: &str,
    role: &str,
    name: &str,
) -> Registered {
    let code = outreach_admin(database_url, &["invite", "--role", role]);
    post_json(
        &format!("{base}/v1/devices"),
        None,
        &serde_json::json!({ "invite_code": code.trim(), "name": name }),
        201,
    )
}

/// An `outreach serve` process on 127.0.0.1; killed when dropped.
#[derive(Debug)]
pub struct ServeProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
}

impl ServeProcess {
    /// Starts `outreach serve` on `database_url` and waits until `/healthz` answers.
    pub fn start(database_url: &str) -> Self {
        Self::start_with_args(database_url, &[])
    }

    /// Starts `outreach serve` with more arguments (e.g. `--demo`).
    pub fn start_with_args(database_url: &str, args: &[&str]) -> Self {
        Self::start_printing_to(database_url, args, Stdio::null())
    }

    /// As [`ServeProcess::start_with_args`], with what the server prints
    /// for the person at the terminal sent to `stdout`.
    pub fn start_printing_to(database_url: &str, args: &[&str], stdout: impl Into<Stdio>) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("port").port()
        };
        let mut child = Command::new(outreach_binary())
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--rate-limit", "10000", "--rate-burst", "10000"])
            .args([
                "--address-rate-limit",
                "10000",
                "--address-rate-burst",
                "10000",
            ])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start outreach serve");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(mut response) = agent().get(&format!("{base}/healthz")).call()
                && response.status() == 200
                && response
                    .body_mut()
                    .read_to_string()
                    .is_ok_and(|b| b.starts_with("ok\n"))
            {
                break;
            }
            // Exited: it could not start (or another process answered
            // on its port, which it could not then take).
            if let Some(status) = child.try_wait().expect("wait") {
                panic!("outreach serve exited: {status}");
            }
            if started.elapsed() > Duration::from_secs(60) {
                // Not left running after the test (it would be, with no
                // `ServeProcess` to drop).
                let _ = child.kill();
                let _ = child.wait();
                panic!("outreach serve did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { base, child }
    }
}

impl ServeProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL (no chance to finish anything) and
    /// reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL outreach serve");
        self.child.wait().expect("reap outreach serve");
    }

    /// Sends SIGTERM and waits for the process to exit (at most 30 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM failed");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GETs with a token: the status, the `Content-Type` and the body's bytes.
pub fn get_bytes(url: &str, token: &str) -> (u16, String, Vec<u8>) {
    let mut response = agent()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("request");
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    (status, kind, bytes)
}
