//! Running the server for real: backups taken while phones sync, restores
//! that keep erasures and bring phones' work back, encrypted backups,
//! upgrading a database an earlier release wrote, and `/metrics`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use age::secrecy::ExposeSecret;
use server::ops::backup::{self, Recipients};
use server::ops::{Actor, Role};
use sync_core::{DocId, DoorOutcome, Doorstep, EntryChannel, NewPerson, Record, Timestamp};
use tests::START;
use tests::server::{HttpPhone, ServeProcess, TestDb, TestServer};

/// A person's record made on `phone`, with `name`.
fn new_person(phone: &mut HttpPhone, name: &str) -> DocId {
    phone
        .replica
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some(name))?;
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
            },
        )
        .expect("a person")
}

/// A fresh database of the same kind as `db`.
fn another_like(db: &TestDb) -> TestDb {
    match db.label {
        "sqlite" => tests::server::sqlite(),
        _ => tests::server::postgres().expect("PostgreSQL, as for the first database"),
    }
}

/// The ids of the records a database holds.
fn stored_ids(url: &str) -> BTreeSet<DocId> {
    tests::server::runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.expect("connect");
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM documents")
            .fetch_all(&pool)
            .await
            .expect("ids");
        pool.close().await;
        rows.into_iter()
            .map(|(id,)| id.parse().expect("an id"))
            .collect()
    })
}

fn take_backup(
    server: &TestServer,
    db: &TestDb,
    file: &Path,
    recipients: &Recipients,
) -> backup::Taken {
    server
        .block_on(backup::take(
            &server.db,
            &db.url,
            file,
            recipients,
            Actor::CommandLine,
            server.clock.now(),
        ))
        .expect("a backup")
}

fn a_backup_taken_while_phones_sync_holds_every_change_acknowledged_before_it(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    let acknowledged: Arc<Mutex<Vec<(DocId, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let phones: Vec<_> = (0..3)
        .map(|n| {
            let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
            let (base, acknowledged, stop) = (
                server.base.clone(),
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                // Bounded: at most 60 people, or until told to stop.
                for i in 0..60 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = new_person(&mut phone, &format!("phone {n} person {i}"));
                    phone.sync(&base);
                    assert_eq!(phone.replica.pending_changes(), 0);
                    acknowledged
                        .lock()
                        .expect("the list")
                        .push((id, Instant::now()));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().expect("the list").len() < 6 {
        assert!(Instant::now() < deadline, "the phones never synced");
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    let file = db.path("during-sync.backup");
    let taken = take_backup(&server, &db, &file, &Recipients::default());
    stop.store(true, Ordering::Relaxed);
    for phone in phones {
        phone.join().expect("a phone");
    }
    assert!(taken.bytes > 0);
    let before: BTreeSet<DocId> = acknowledged
        .lock()
        .expect("the list")
        .iter()
        .filter(|(_, at)| *at < started)
        .map(|(id, _)| *id)
        .collect();
    assert!(before.len() >= 6);

    let target = another_like(&db);
    let restored = server
        .block_on(backup::restore(
            &target.url,
            &file,
            None,
            false,
            None,
            START,
        ))
        .expect("restored");
    assert_eq!(restored.erased, 0);
    let held = stored_ids(&target.url);
    let missing: Vec<_> = before.difference(&held).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing from it: {missing:?}"
    );
}

fn an_erasure_made_after_a_backup_survives_its_restore(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut offline = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let kept = new_person(&mut champion, "Kept Person");
    let forgotten = new_person(&mut champion, "Forget Me Please");
    champion.sync(&server.base);
    offline.sync(&server.base);
    let file = db.path("before-erasure.backup");
    take_backup(&server, &db, &file, &Recipients::default());

    // After the backup: an edit acknowledged, and an erasure that one phone
    // hears of while the other is away.
    champion
        .replica
        .edit_person(kept, |p| p.set_phone(Some("07700 900123")))
        .expect("an edit");
    let later = new_person(&mut champion, "Met After The Backup");
    champion.sync(&server.base);
    server
        .block_on(server::ops::people::erase(
            &server.db,
            Actor::CommandLine,
            forgotten,
            server.clock.now(),
        ))
        .expect("erased");
    champion.sync(&server.base);
    assert!(
        !champion
            .replica
            .document_ids()
            .expect("ids")
            .contains(&forgotten)
    );
    let clock = server.clock.now();
    drop(server);

    // The disk fails; the backup is restored in place.
    let restored = tests::server::runtime()
        .block_on(backup::restore(
            &db.url,
            &file,
            None,
            true,
            Some(&db.erasure_log()),
            clock,
        ))
        .expect("restored");
    assert_eq!(restored.erased, 1, "{restored}");
    assert!(!stored_ids(&db.url).contains(&forgotten), "gone at once");
    if let Some(kept) = &restored.kept {
        // The database that was replaced is kept whole, beside.
        let kept = format!("sqlite://{}?mode=ro", kept.display());
        assert!(stored_ids(&kept).contains(&later));
    }

    let server = TestServer::start(&db, clock);
    let outcome = offline.sync(&server.base);
    assert!(outcome.erased >= 1, "{outcome:?}");
    assert!(
        !offline
            .replica
            .document_ids()
            .expect("ids")
            .contains(&forgotten)
    );
    champion.sync(&server.base);
    let record = |id| {
        server.block_on(async {
            let mut conn = server.db.pool.acquire().await.expect("a connection");
            server::store::documents::bytes(&mut conn, id)
                .await
                .expect("read")
                .map(|bytes| sync_core::read_record(&bytes).expect("a record"))
        })
    };
    match record(kept) {
        Some(Record::Person(p)) => assert_eq!(p.phone.as_deref(), Some("07700 900123")),
        other => panic!("{other:?}"),
    }
    assert!(
        record(later).is_some(),
        "sent again by the phone that made it"
    );
    assert!(record(forgotten).is_none(), "stays gone");
    assert_eq!(champion.replica.pending_changes(), 0);
    assert_eq!(offline.replica.pending_changes(), 0);
    let bytes = server.database_bytes(&db);
    let name = b"Forget Me Please";
    assert!(
        !bytes.windows(name.len()).any(|w| w == name),
        "no trace in the files"
    );
}

#[test]
fn an_encrypted_backup_restores_with_its_key_and_is_refused_without_it() {
    let db = tests::server::sqlite();
    let server = TestServer::start(&db, START);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let id = new_person(&mut champion, "Sam Secretname");
    champion.sync(&server.base);
    let right = age::x25519::Identity::generate();
    let wrong = age::x25519::Identity::generate();
    let key_file = |identity: &age::x25519::Identity, name: &str| {
        let path = db.path(name);
        let text = format!(
            "# made by the test\n{}\n",
            identity.to_string().expose_secret()
        );
        std::fs::write(&path, text).expect("a key file");
        path
    };
    let (right_key, wrong_key) = (key_file(&right, "right.key"), key_file(&wrong, "wrong.key"));
    let recipients =
        Recipients::parse(&[right.to_public().to_string()]).expect("an age public key");
    let file = db.path("secret.backup.age");
    let taken = take_backup(&server, &db, &file, &recipients);
    assert!(taken.encrypted);
    let bytes = std::fs::read(&file).expect("the backup");
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    let name = b"Sam Secretname";
    assert!(
        !bytes.windows(name.len()).any(|w| w == name),
        "not in the clear"
    );
    assert!(Recipients::parse(&["age1nope".into()]).is_err());

    let target = tests::server::sqlite();
    let restore = |identity: Option<&Path>| {
        server.block_on(backup::restore(
            &target.url,
            &file,
            identity,
            false,
            None,
            START,
        ))
    };
    let error = restore(None).expect_err("no key");
    assert!(error.to_string().contains("--identity"), "{error}");
    let error = restore(Some(&wrong_key)).expect_err("the wrong key");
    assert!(error.to_string().contains("cannot be decrypted"), "{error}");
    let target_file = server::store::sqlite_file(&target.url).expect("a file");
    assert!(!target_file.exists(), "nothing restored");
    restore(Some(&right_key)).expect("the right key");
    assert!(stored_ids(&target.url).contains(&id));
    // The target now holds records: a second restore over it is refused.
    let error = restore(Some(&right_key)).expect_err("it holds records");
    assert!(error.to_string().contains("--force"), "{error}");
}

#[test]
fn scheduled_backups_keep_the_newest_and_the_dashboard_says_when() {
    let db = tests::server::sqlite();
    let server = TestServer::start(&db, START);
    let schedule = backup::Schedule {
        dir: db.path("backups"),
        every: Duration::from_secs(3600),
        keep: 2,
        max_age_days: 30,
        recipients: Recipients::default(),
    };
    for _ in 0..3 {
        server.clock.advance(3_600_000);
        let now = server.clock.now();
        server
            .block_on(backup::take_scheduled(&server.db, &db.url, &schedule, now))
            .expect("a scheduled backup");
        // Files sort by their modification time: make each one newer.
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = std::fs::read_dir(&schedule.dir)
        .expect("the directory")
        .count();
    assert_eq!(left, 2, "the oldest went");
    // A backup older than the age limit goes too, but never the newest.
    let far_future = Timestamp::from_millis(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis(),
        )
        .expect("fits")
            + 40 * Timestamp::DAY_MILLIS,
    );
    let (taken, expired) = server
        .block_on(backup::take_scheduled(
            &server.db, &db.url, &schedule, far_future,
        ))
        .expect("a scheduled backup");
    assert_eq!(expired.len(), 2, "{expired:?}");
    assert!(taken.file.exists());

    let health = server.block_on(backup::health(&server.db)).expect("health");
    let last = health.last_backup.expect("a last backup");
    assert_eq!(last.taken_at, far_future.as_millis());
    assert!(health.database_bytes > 0);
}

#[test]
fn the_backups_page_warns_until_a_backup_is_taken() {
    let db = tests::server::sqlite();
    let server = TestServer::start(&db, START);
    let (_, admin) = server.register(Role::Admin, &[]);
    let mut browser = tests::web::WebSession::new(&server.base);
    assert_eq!(browser.sign_in(&admin).status, 303);
    let page = browser.get("/admin/backups");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"backup-warning\""), "{}", page.body);
    assert!(
        page.body.contains("No backup has been taken"),
        "{}",
        page.body
    );
    take_backup(
        &server,
        &db,
        &db.path("first.backup"),
        &Recipients::default(),
    );
    let page = browser.get("/admin/backups");
    assert!(
        !page.body.contains("id=\"backup-warning\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("first.backup"), "{}", page.body);
}

/// The database `tests/fixtures/schema-11.sqlite.gz` was written by the
/// release before backups (schema 11): `outreach demo --people 1 --seed
/// 11`, then all but 30 people, 5 events and 25 doors erased with `admin
/// erase`, the `received` and `erased` audit rows deleted, and `VACUUM`.
/// Its admin token is below.
const FIXTURE_ADMIN_TOKEN: &str =
    "e7588e3496a897c460279a545df8beefb6ce4824510f5724f9d804636a9e7337";

#[test]
fn a_database_from_the_previous_release_migrates_forward_and_serves() {
    let db = tests::server::sqlite();
    let file = server::store::sqlite_file(&db.url).expect("a file");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&include_bytes!("../fixtures/schema-11.sqlite.gz")[..])
        .read_to_end(&mut unzipped)
        .expect("the fixture");
    std::fs::write(&file, unzipped).expect("the database");
    let before = stored_ids(&db.url);
    assert_eq!(before.len(), 61);

    let migrated = tests::server::outreach(&db.url, &["migrate"]);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert_eq!(stored_ids(&db.url), before, "every record kept");
    let server = ServeProcess::start(&db.url);
    let (status, health) = tests::server::get_plain(&format!("{}/healthz", server.base));
    assert_eq!(status, 200);
    let schema = backup::known_schema_version();
    assert!(health.contains(&format!("schema {schema}")), "{health}");
    let (status, area) = tests::server::get(
        &format!("{}/v1/admin/area", server.base),
        FIXTURE_ADMIN_TOKEN,
    );
    assert_eq!(status, 200, "{area}");
    assert!(area.contains("North Estate Big Local"), "{area}");
    let (status, funnel) = tests::server::get(
        &format!("{}/v1/reports/funnel", server.base),
        FIXTURE_ADMIN_TOKEN,
    );
    assert_eq!(status, 200, "{funnel}");
    drop(server);
    // Retention ran as the server started (the demo's people have no
    // consent to be contacted again): what it left is what is kept now.
    let served = stored_ids(&db.url);

    // A database a newer release wrote is refused, and left as it was.
    tests::server::runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.expect("connect");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&pool)
        .await
        .expect("a newer migration");
        pool.close().await;
    });
    let refused = tests::server::outreach(&db.url, &["migrate"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("newer outreach (schema 9999"), "{said}");
    assert_eq!(stored_ids(&db.url), served);
    let version = tests::server::outreach(&db.url, &["--version"]);
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.contains(&format!("database schema {schema}")),
        "{version}"
    );
    assert!(version.contains("sync protocol 3"), "{version}");
}

fn metrics_count_syncs_and_refusals_for_admins_only(db: TestDb) {
    let server = TestServer::start(&db, START);
    let (_, admin) = server.register(Role::Admin, &[]);
    let (_, viewer) = server.register(Role::Viewer, &[]);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    new_person(&mut champion, "Counted");
    champion.sync(&server.base);
    // A person outside the champion's patches: refused.
    champion
        .replica
        .create_person(
            &NewPerson::new("north-estate", "oak-lane", EntryChannel::Doorstep),
            |p| p.set_name(Some("Elsewhere")),
        )
        .expect("made on the phone");
    champion.round_trip(&server.base);

    let url = format!("{}/metrics", server.base);
    assert_eq!(tests::server::get(&url, &viewer).0, 403);
    assert_eq!(tests::server::get_plain(&url).0, 401);
    let (status, text) = tests::server::get_with_accept(&url, &admin, "text/plain");
    assert_eq!(status, 200, "{text}");
    let value = |line_start: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {line_start} in:\n{text}"))
    };
    assert!(value("outreach_sync_requests_total{status=\"200\"}") >= 2.0);
    assert_eq!(
        value("outreach_rejections_total{code=\"out-of-scope\"}"),
        1.0
    );
    assert!(value("outreach_pushes_total{outcome=\"accepted\"}") >= 1.0);
    assert!(value("outreach_sync_request_seconds_count") >= 2.0);
    assert!(
        text.contains("outreach_sync_request_seconds_bucket{le=\"0.005\"}"),
        "{text}"
    );
    assert!(value("outreach_database_bytes") > 0.0);
    assert_eq!(value("outreach_last_backup_timestamp_seconds"), 0.0);
}

#[test]
fn metrics_can_be_served_on_an_address_of_their_own() {
    let db = tests::server::sqlite();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let _server = ServeProcess::start_with_args(&db.url, &["--metrics-bind", &bind]);
    let url = format!("http://{bind}/metrics");
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let (status, text) = tests::server::get_plain(&url);
        if status == 200 {
            break text;
        }
        assert!(Instant::now() < deadline, "{status}: {text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(text.contains("outreach_database_bytes"), "{text}");
}

tests::on_every_database!(
    a_backup_taken_while_phones_sync_holds_every_change_acknowledged_before_it,
    an_erasure_made_after_a_backup_survives_its_restore,
    metrics_count_syncs_and_refusals_for_admins_only,
);
