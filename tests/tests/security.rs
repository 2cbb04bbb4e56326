//! The HTTP surface under attack, against a real server on 127.0.0.1:
//! clients that send their headers slowly or not at all, floods of guessed
//! invite codes and tokens, a saturated server, HTTPS with a certificate
//! made here, sign-in forms posted from other sites, and sessions left
//! open.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use server::http::{Listening, Settings};
use server::ops::{Actor, Role};
use sync_core::{DoorOutcome, Doorstep, EntryChannel, NewPerson, Timestamp};
use tests::START;
use tests::server::{HttpPhone, TestDb, TestServer, post_sync, send_json};
use tests::web::WebSession;

const MINUTE: i64 = 60_000;

fn address(base: &str) -> &str {
    base.trim_start_matches("http://")
        .trim_start_matches("https://")
}

/// Reads until the server closes the connection; panics if it is still
/// open after `patience`. Returns what the server sent before closing.
fn closed_within(mut stream: TcpStream, patience: Duration) -> Vec<u8> {
    stream
        .set_read_timeout(Some(patience))
        .expect("a read timeout");
    let mut sent = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return sent,
            Ok(n) => sent.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return sent,
            Err(e) => panic!("the server kept the connection open ({e})"),
        }
    }
}

/// Registers a device in process (no HTTP): its token.
fn token(server: &TestServer, role: Role) -> String {
    server.block_on(async {
        let now = server.clock.now();
        let code = server::ops::devices::invite(
            &server.db,
            Actor::CommandLine,
            role,
            &Default::default(),
            now,
            server::ops::INVITE_DAYS * Timestamp::DAY_MILLIS,
        )
        .await
        .expect("an invite");
        server::ops::devices::register(&server.db, &code, "test", now)
            .await
            .expect("registered")
            .token
    })
}

#[test]
fn a_client_slow_to_send_its_headers_is_cut_off() {
    let db = tests::server::sqlite();
    let listening = Listening {
        header_read_timeout: Duration::from_secs(1),
        ..Listening::default()
    };
    let server = TestServer::start_listening(&db, START, TestServer::settings(), listening);
    let to = address(&server.base);
    let mut partial = TcpStream::connect(to).expect("connect");
    partial
        .write_all(b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Le")
        .expect("half the headers");
    let silent = TcpStream::connect(to).expect("connect");
    // Well past the one-second deadline, but far short of forever.
    closed_within(partial, Duration::from_secs(30));
    closed_within(silent, Duration::from_secs(30));
    let (status, _) = tests::server::get_plain(&format!("{}/healthz", server.base));
    assert_eq!(status, 200, "whole requests are still served");
}

#[test]
fn connections_past_the_cap_wait_for_one_to_close() {
    let db = tests::server::sqlite();
    let listening = Listening {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 1,
        ..Listening::default()
    };
    let server = TestServer::start_listening(&db, START, TestServer::settings(), listening);
    let to = address(&server.base);
    let holder = TcpStream::connect(to).expect("connect");
    // Wait until the holder's connection is surely accepted: the server
    // answers nothing on it, so ask on a second one, which must wait.
    let mut waiting = TcpStream::connect(to).expect("connect");
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("a request");
    waiting
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("a read timeout");
    let mut first = [0u8; 1];
    let early = waiting.read(&mut first);
    assert!(
        early.as_ref().is_err_and(|e| matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "answered while the only connection allowed was taken: {early:?}"
    );
    drop(holder);
    let answer = closed_within(waiting, Duration::from_secs(30));
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Tries to register with `code`: the status and `Retry-After`.
fn register_attempt(base: &str, code: &str) -> (u16, String) {
    let response = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&format!("{base}/v1/devices"))
        .send_json(serde_json::json!({ "invite_code": code }))
        .expect("a request");
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status().as_u16(), retry)
}

fn a_flood_of_guessed_codes_is_refused_while_phones_sync(db: TestDb) {
    // The server's own limits: a few attempts a second per address.
    let server = TestServer::start_with(&db, START, Settings::default());
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);

    // A wrong code is refused without the writer: answered while the
    // writer is held (on SQLite, one writer serves every phone's sync).
    let base = server.base.clone();
    let status = server.block_on(async {
        let writer = server.db.writer().await;
        let answered = tokio::task::spawn_blocking(move || register_attempt(&base, "guess-0"))
            .await
            .expect("the request");
        drop(writer);
        answered.0
    });
    assert_eq!(status, 400);

    let answers: Vec<(u16, String)> = (1..100)
        .map(|n| register_attempt(&server.base, &format!("guess-{n}")))
        .collect();
    let limited = answers.iter().filter(|(status, _)| *status == 429).count();
    assert!(limited >= 50, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status == 429)
            .all(|(_, retry)| retry == "2"),
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(status, _)| [400, 429].contains(status)),
        "{answers:?}"
    );
    // Unknown bearer tokens cost the same allowance.
    let request = sync_core::SyncRequest::default().encode();
    let (status, _) = post_sync(&server.base, "not-a-token", &request);
    assert_eq!(status, 429);

    // The phone's sync is not held back.
    phone
        .replica
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop),
        )
        .expect("a person");
    phone.sync(&server.base);
    assert_eq!(phone.replica.pending_changes(), 0);
}

#[test]
fn a_saturated_server_answers_503_with_retry_after() {
    let db = tests::server::sqlite();
    let settings = Settings {
        max_requests: 1,
        ..TestServer::settings()
    };
    let server = TestServer::start_with(&db, START, settings);
    let to = address(&server.base);
    // A request whose body never finishes holds the one place.
    let hold = || {
        let mut slow = TcpStream::connect(to).expect("connect");
        slow.write_all(
            b"POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"invite",
        )
        .expect("a partial request");
        slow.set_nonblocking(true).expect("non-blocking");
        slow
    };
    let mut slow = hold();
    let healthz = format!("{}/healthz", server.base);
    let shed = wait_for(|| {
        let (status, body) = tests::server::get_plain(&healthz);
        if status == 503 {
            return Some(body);
        }
        // On a busy machine a health check can hold the place when the slow
        // request comes, which is then itself shed (and answered): send it
        // again until it holds the place.
        let mut answer = [0u8; 1];
        match slow.read(&mut answer) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            _ => slow = hold(),
        }
        None
    });
    let body: serde_json::Value = serde_json::from_str(&shed).expect("a JSON error");
    assert_eq!(body["error"], "busy", "{body}");
    let response = ureq::get(&healthz)
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("a request");
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "2");
    // Once the slow request is gone, the server answers again.
    drop(slow);
    wait_for(|| (tests::server::get_plain(&healthz).0 == 200).then_some(()));
}

/// Asks `check` again (at most 30 s) until it has an answer.
fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "never happened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn https_with_hsts_and_a_secure_host_only_cookie() {
    let db = tests::server::sqlite();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a certificate");
    let dir = tempfile::tempdir().expect("a directory");
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, made.cert.pem()).expect("write the certificate");
    std::fs::write(&key_file, made.signing_key.serialize_pem()).expect("write the key");

    // Files that are not a certificate or a key get a clear error.
    let missing = server::http::tls_from_files(&dir.path().join("none.pem"), &key_file)
        .expect_err("no such file");
    assert!(missing.to_string().contains("none.pem"), "{missing}");
    let swapped =
        server::http::tls_from_files(&key_file, &cert_file).expect_err("a key is no certificate");
    assert!(swapped.to_string().contains("TLS"), "{swapped}");

    let listening = Listening {
        tls: Some(server::http::tls_from_files(&cert_file, &key_file).expect("TLS")),
        ..Listening::default()
    };
    let server = TestServer::start_listening(&db, START, TestServer::settings(), listening);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let admin_token = token(&server, Role::Admin);

    let mut browser = WebSession::trusting(&server.base, made.cert.der());
    let health = browser.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(
        health.header("strict-transport-security"),
        "max-age=31536000"
    );
    let signed_in = browser.sign_in(&admin_token);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cookie = signed_in.header("set-cookie");
    assert!(cookie.starts_with("__Host-outreach_session="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    // Invite links are HTTPS links to the server.
    let csrf = browser.csrf("/admin/devices");
    let page = browser.post("/admin/invites", &[("role", "viewer"), ("csrf", &csrf)]);
    assert!(
        page.body.contains(&format!("{}/sign-in/", server.base)),
        "{}",
        page.body
    );
    // The plain-HTTP cookie's name opens nothing here.
    let secret = browser.cookie.clone().expect("signed in");
    browser.cookie = Some(secret.replace("__Host-", ""));
    assert_eq!(browser.get("/admin/devices").status, 303);

    // Plain HTTP to the HTTPS port gets no page.
    let plain = format!("http://{}/healthz", address(&server.base));
    let answered = ureq::get(&plain).call();
    assert!(answered.is_err(), "{answered:?}");
}

fn sign_in_forms_from_other_sites_are_refused(db: TestDb) {
    let server = TestServer::start(&db, START);
    let viewer = token(&server, Role::Viewer);
    let mut forged = WebSession::new(&server.base);
    forged
        .headers
        .push(("Origin".into(), "https://evil.example".into()));
    let page = forged.sign_in(&viewer);
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("another site"), "{}", page.body);
    assert!(forged.cookie.is_none());
    let page = forged.post("/sign-in/link", &[("code", "anything")]);
    assert_eq!(page.status, 403, "{}", page.body);

    // A browser that sends fetch metadata says where the form came from.
    let mut framed = WebSession::new(&server.base);
    framed
        .headers
        .push(("Sec-Fetch-Site".into(), "cross-site".into()));
    assert_eq!(framed.sign_in(&viewer).status, 403);

    // From the dashboard's own page: the browser names it as the origin, or
    // says the request is same-origin.
    let mut own = WebSession::new(&server.base);
    own.headers.push(("Origin".into(), server.base.clone()));
    assert_eq!(own.sign_in(&viewer).status, 303);
    assert!(own.cookie.is_some());
    let mut own = WebSession::new(&server.base);
    own.headers.push(("Origin".into(), "null".into()));
    own.headers
        .push(("Sec-Fetch-Site".into(), "same-origin".into()));
    assert_eq!(own.sign_in(&viewer).status, 303);
}

fn sessions_end_when_idle_and_after_twelve_hours(db: TestDb) {
    let server = TestServer::start(&db, START);
    let viewer = token(&server, Role::Viewer);
    let mut browser = WebSession::new(&server.base);
    assert_eq!(browser.sign_in(&viewer).status, 303);
    // Used every 29 minutes, it stays open; left for 31, it ends.
    for _ in 0..3 {
        server.clock.advance(29 * MINUTE);
        assert_eq!(browser.get("/reports/funnel").status, 200);
    }
    server.clock.advance(31 * MINUTE);
    let page = browser.get("/reports/funnel");
    assert_eq!((page.status, page.header("location")), (303, "/sign-in"));

    // However much it is used, a session ends twelve hours after it began.
    assert_eq!(browser.sign_in(&viewer).status, 303);
    let mut used = 0;
    loop {
        server.clock.advance(25 * MINUTE);
        used += 25;
        let status = browser.get("/reports/funnel").status;
        if used < 12 * 60 {
            assert_eq!(status, 200, "after {used} minutes");
        } else {
            assert_eq!(status, 303, "after {used} minutes");
            break;
        }
    }
}

fn a_device_holds_a_few_sessions_at_most(db: TestDb) {
    let server = TestServer::start(&db, START);
    let viewer = token(&server, Role::Viewer);
    let mut browsers: Vec<WebSession> = (0..6)
        .map(|_| {
            let mut browser = WebSession::new(&server.base);
            assert_eq!(browser.sign_in(&viewer).status, 303);
            server.clock.advance(1000);
            browser
        })
        .collect();
    let statuses: Vec<u16> = browsers
        .iter_mut()
        .map(|b| b.get("/reports/funnel").status)
        .collect();
    assert_eq!(statuses, [303, 200, 200, 200, 200, 200], "the oldest ended");
}

fn api_answers_are_never_cached_or_sniffed(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = token(&server, Role::Admin);
    let devices = ureq::get(&format!("{}/v1/admin/devices", server.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .call()
        .expect("devices");
    let refused = ureq::get(&format!("{}/v1/admin/duplicates", server.base))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("refused");
    assert_eq!(refused.status(), 401);
    for answer in [&devices, &refused] {
        assert_eq!(answer.headers()["cache-control"], "no-store");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    }
}

fn invites_can_be_cancelled(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = token(&server, Role::Admin);
    let url = |path: &str| format!("{}/v1/admin{path}", server.base);
    let (status, made) = send_json(
        "POST",
        &url("/invites"),
        Some(&admin),
        &serde_json::json!({ "role": "champion", "patches": ["elm-road"] }),
    );
    assert_eq!(status, 201, "{made}");
    let code = serde_json::from_str::<serde_json::Value>(&made).expect("JSON")["code"]
        .as_str()
        .expect("a code")
        .to_owned();
    let (_, listed) = tests::server::get(&url("/invites"), &admin);
    let listed: Vec<server::ops::InviteInfo> = serde_json::from_str(&listed).expect("invites");
    let open = listed
        .iter()
        .find(|i| i.usable(server.clock.now()) && i.role == "champion")
        .expect("the new invite");
    let cancel = url(&format!("/invites/{}/cancel", open.id));
    assert_eq!(tests::server::post_empty(&cancel, &admin), 204);
    assert_eq!(tests::server::post_empty(&cancel, &admin), 404, "once only");
    let (status, refused) = send_json(
        "POST",
        &format!("{}/v1/devices", server.base),
        None,
        &serde_json::json!({ "invite_code": code }),
    );
    assert_eq!(status, 400);
    assert!(refused.contains("cancelled"), "{refused}");
    let (_, listed) = tests::server::get(&url("/invites"), &admin);
    assert!(listed.contains("\"cancelled_at\":"), "{listed}");
    let (_, log) = tests::server::get(&url("/audit?limit=1"), &admin);
    assert!(log.contains("cancelled-invite"), "{log}");
}

tests::on_every_database!(
    a_flood_of_guessed_codes_is_refused_while_phones_sync,
    sign_in_forms_from_other_sites_are_refused,
    sessions_end_when_idle_and_after_twelve_hours,
    a_device_holds_a_few_sessions_at_most,
    api_answers_are_never_cached_or_sniffed,
    invites_can_be_cancelled,
);
