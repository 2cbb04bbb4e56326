//! Sync speed on SQLite with durable storage and projections, through the
//! server's own request handler (`sync::handle`, without HTTP). A benchmark,
//! not a test:
//!
//! ```text
//! cargo bench -p server --bench sync
//! cargo bench -p server --bench sync -- --people 2000
//! ```
//!
//! It measures:
//! - **ingest**: offline commits (each a new person with a doorstep
//!   conversation, made on phones' replicas) merged per second, in requests
//!   as phones send them;
//! - **the raw ceiling**: the same change bytes inserted into a plain table
//!   in one transaction, and the ingest rate as a share of it;
//! - **bytes on the wire** per commit against the raw automerge change bytes;
//! - **first sync** of a new phone whose patch holds all those people;
//! - **incremental sync** after a 30-conversation doorstep session.

#![allow(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use server::auth::{Device, Role};
use server::db::Db;
use sync_core::{
    Clock, DeviceId, DoorOutcome, Doorstep, EntryChannel, MemoryStore, NewPerson, Replica,
    SyncRequest, SystemClock,
};

const AREA: &str = "bench-area";
const PATCH: &str = "bench-patch";
/// Phones sharing the work of logging the people.
const PHONES: usize = 10;

fn args() -> usize {
    let mut people = 10_000;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--people" => {
                people = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--people needs a number");
            }
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    people
}

fn champion(id: DeviceId) -> Device {
    Device {
        id,
        role: Role::Champion,
        patches: BTreeSet::from([PATCH.to_owned()]),
        revoked: false,
    }
}

type Phone = Replica<MemoryStore, SystemClock>;

fn phone() -> Phone {
    let id = DeviceId::new(SystemClock.now());
    Replica::open(MemoryStore::new(), id, SystemClock).expect("replica")
}

/// Logs `n` new people, each with one doorstep conversation: one commit each.
fn log_people(phone: &mut Phone, n: usize) {
    for _ in 0..n {
        phone
            .create_person(&NewPerson::new(AREA, PATCH, EntryChannel::Doorstep), |p| {
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))
                    .map(|_| ())
            })
            .expect("log a person");
    }
}

/// Syncs `phone` through the handler until settled. Returns the bytes sent
/// and received.
async fn sync(db: &Db, phone: &mut Phone) -> (usize, usize) {
    let device = champion(phone.device());
    let (mut up, mut down) = (0, 0);
    for _ in 0..1000 {
        let request = phone.sync_request().expect("request");
        let response = server::sync::handle(db, &device, &request, SystemClock.now())
            .await
            .expect("handled");
        up += request.len();
        down += response.len();
        let outcome = phone.apply_sync_response(&response).expect("applied");
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        if outcome.settled() {
            return (up, down);
        }
    }
    panic!("sync did not settle");
}

fn per_second(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

fn main() {
    let people = args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(people));
}

async fn run(people: usize) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("sync-bench.db").display());
    let db = Db::connect(&url).await.expect("database");
    db.migrate().await.expect("migrate");
    server::admin::edit_area(&db, Some(AREA), SystemClock.now(), |area| {
        area.name = "Benchmark area".into();
        server::admin::set_patch(area, PATCH, PATCH, 10_000);
        Ok(())
    })
    .await
    .expect("area");
    println!(
        "SQLite (synchronous = FULL, WAL), {} cores, {people} people from {PHONES} phones",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // The phones log offline; their first requests are what the server ingests.
    let mut phones: Vec<Phone> = (0..PHONES).map(|_| phone()).collect();
    for phone in &mut phones {
        log_people(phone, people / PHONES);
    }
    let mut raw_changes = 0usize;
    let mut raw_rows: Vec<Vec<u8>> = Vec::new();
    for phone in &phones {
        let request = SyncRequest::decode(&phone.sync_request().expect("request")).expect("decode");
        for push in request.pushes {
            raw_changes += push.changes.len();
            raw_rows.push(push.changes);
        }
    }
    let commits = raw_rows.len();

    // Ingest: every phone syncs its offline work.
    let started = Instant::now();
    let mut wire_up = 0;
    for phone in &mut phones {
        wire_up += sync(&db, phone).await.0;
    }
    let ingest = started.elapsed();
    let ingest_rate = per_second(commits, ingest);

    // The ceiling: the same bytes into a plain table, one transaction.
    sqlx::query("CREATE TABLE raw_ceiling (id BIGINT PRIMARY KEY, bytes BLOB NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    let started = Instant::now();
    let mut tx = db.pool.begin().await.expect("begin");
    for (i, bytes) in raw_rows.iter().enumerate() {
        sqlx::query("INSERT INTO raw_ceiling (id, bytes) VALUES ($1, $2)")
            .bind(i as i64)
            .bind(bytes)
            .execute(&mut *tx)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    let raw = started.elapsed();
    let raw_rate = per_second(commits, raw);

    // A new phone for the same patch: its first sync brings everyone.
    let mut newcomer = phone();
    let started = Instant::now();
    let (_, first_down) = sync(&db, &mut newcomer).await;
    let first = started.elapsed();
    let held = newcomer.people().expect("people").len();
    assert_eq!(held, commits, "the first sync brought everyone");

    // An incremental sync after a 30-conversation doorstep session.
    let before_up_down = {
        // Caught up first (it has not seen the other phones' people yet),
        // so the timed sync is the session alone.
        sync(&db, &mut phones[0]).await;
        log_people(&mut phones[0], 30);
        let started = Instant::now();
        let bytes = sync(&db, &mut phones[0]).await;
        (started.elapsed(), bytes)
    };
    let started = Instant::now();
    let (_, incremental_down) = sync(&db, &mut newcomer).await;
    let incremental_receive = started.elapsed();

    println!("{:<52} {:>14}", "measure", "value");
    let line = |name: &str, value: String| println!("{name:<52} {value:>14}");
    line("offline commits", commits.to_string());
    line(
        "ingest: commits merged per second",
        format!("{ingest_rate:.0}"),
    );
    line(
        "raw ceiling: same bytes inserted per second",
        format!("{raw_rate:.0}"),
    );
    line(
        "ingest as a share of the raw ceiling",
        format!("{:.1}%", 100.0 * ingest_rate / raw_rate),
    );
    line(
        "raw automerge change bytes per commit",
        format!("{:.0}", raw_changes as f64 / commits as f64),
    );
    line(
        "wire bytes sent per commit",
        format!("{:.0}", wire_up as f64 / commits as f64),
    );
    line(
        "wire bytes / raw change bytes",
        format!("{:.2}", wire_up as f64 / raw_changes as f64),
    );
    line(
        &format!("first sync of a {commits}-person patch"),
        format!("{:.2} s", first.as_secs_f64()),
    );
    line(
        "  bytes received",
        format!("{:.1} MiB", first_down as f64 / 1_048_576.0),
    );
    line(
        "sync after a 30-conversation session (sender)",
        format!("{:.0} ms", before_up_down.0.as_secs_f64() * 1000.0),
    );
    line("  bytes sent", format!("{}", before_up_down.1.0));
    line(
        "the same session reaching another phone",
        format!("{:.0} ms", incremental_receive.as_secs_f64() * 1000.0),
    );
    line("  bytes received", format!("{incremental_down}"));
}
