//! Sync speed on SQLite with durable storage and projections, through the
//! server's own use case (`ops::sync::exchange`, without HTTP). A benchmark,
//! not a test:
//!
//! ```text
//! cargo bench -p server --bench sync
//! cargo bench -p server --bench sync -- --people 2000
//! ```
//!
//! Ten phones (one per 2,000 people beyond 20,000), each a street champion
//! with a patch of its own, log people offline. It measures:
//! - **ingest**: offline commits (each a new person with a doorstep
//!   conversation, made on phones' replicas) merged per second, in requests
//!   as phones send them, over the time the server's handler took, and the
//!   time to move what was written from the write-ahead log into the
//!   database file (the phones' own work, which runs on phones, is left
//!   out; the wall time with it is printed too);
//! - **the raw ceiling**: the same change bytes inserted into a plain table
//!   in one transaction, with statements of the server's largest size
//!   (`MAX_PARAMS`), and the ingest rate as a share of it; and, as earlier
//!   passes measured it, with one row a statement, each a round trip to
//!   sqlx's SQLite thread;
//! - **automerge's ceiling**: the same pushes, each loaded into an automerge
//!   document and saved, in memory on one thread (no storage, protocol,
//!   validation or projection): the most any server that keeps automerge
//!   documents could ingest here, and ingest as a share of it;
//! - **bytes on the wire** per commit against the raw automerge change bytes;
//! - **first sync** of a new device that sees every patch, so all those
//!   people;
//! - **incremental sync** after a 30-conversation doorstep session.

#![allow(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::time::{Duration, Instant};

use server::ops::{Device, Role};
use server::store::{Db, MAX_PARAMS};
use sqlx::AssertSqlSafe;
use sync_core::{
    Clock, DeviceId, DoorOutcome, Doorstep, EntryChannel, MemoryStore, NewPerson, Replica,
    SyncRequest, SystemClock,
};

const AREA: &str = "bench-area";
/// Phones sharing the work of logging the people, each in its own patch;
/// more when they would each log more than one request holds, so that each
/// phone's offline work goes in its first request.
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

fn patch(phone: usize) -> String {
    format!("bench-patch-{phone}")
}

/// A champion's phone: its replica, and the server's record of the device.
struct Phone {
    replica: Replica<MemoryStore, SystemClock>,
    device: Device,
}

impl Phone {
    fn new(patches: impl IntoIterator<Item = String>) -> Self {
        let id = DeviceId::new(SystemClock.now());
        Self {
            replica: Replica::open(MemoryStore::new(), id, SystemClock).expect("replica"),
            device: Device {
                id,
                role: Role::Champion,
                patches: patches.into_iter().collect(),
                revoked: false,
            },
        }
    }

    /// Logs `n` new people in the phone's first patch, each with one
    /// doorstep conversation: one commit each.
    fn log_people(&mut self, n: usize) {
        let patch = self.device.patches.first().expect("a patch").clone();
        for _ in 0..n {
            self.replica
                .create_person(&NewPerson::new(AREA, &patch, EntryChannel::Doorstep), |p| {
                    p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))
                        .map(|_| ())
                })
                .expect("log a person");
        }
    }

    /// Syncs through the handler until settled.
    async fn sync(&mut self, db: &Db) -> Traffic {
        let mut traffic = Traffic::default();
        for _ in 0..1000 {
            let request = self.replica.sync_request().expect("request");
            let started = Instant::now();
            let response =
                server::ops::sync::exchange(db, &self.device, &request, SystemClock.now())
                    .await
                    .expect("handled")
                    .bytes;
            traffic.server += started.elapsed();
            traffic.up += request.len();
            traffic.down += response.len();
            let outcome = self
                .replica
                .apply_sync_response(&response)
                .expect("applied");
            assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
            if outcome.settled() {
                return traffic;
            }
        }
        panic!("sync did not settle");
    }
}

/// What a sync cost: bytes each way, and the time spent in the server's handler.
#[derive(Debug, Default)]
struct Traffic {
    up: usize,
    down: usize,
    server: Duration,
}

/// Inserts `rows` into a new plain table `table` (an id and the bytes) in
/// one transaction, `per_statement` rows a statement, on the writer's
/// connection as ingest writes; returns rows inserted per second.
async fn raw_insert_rate(db: &Db, table: &str, rows: &[Vec<u8>], per_statement: usize) -> f64 {
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE {table} (id BIGINT PRIMARY KEY, bytes BLOB NOT NULL)"
    )))
    .execute(&db.pool)
    .await
    .expect("table");
    let writer = db.writer().await;
    let started = Instant::now();
    let mut tx = writer.begin().await.expect("begin");
    for (chunk_index, chunk) in rows.chunks(per_statement).enumerate() {
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let sql = format!("INSERT INTO {table} (id, bytes) VALUES {values}");
        let mut insert = sqlx::query(AssertSqlSafe(sql));
        for (i, bytes) in chunk.iter().enumerate() {
            insert = insert
                .bind((chunk_index * per_statement + i) as i64)
                .bind(bytes.as_slice());
        }
        insert.execute(&mut *tx).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    per_second(rows.len(), started.elapsed())
}

/// Automerge's part of ingest alone, on one thread, in memory: each push's
/// changes loaded into a document, and (with `save`) the document saved, as
/// a server storing whole documents would. Returns pushes per second, the
/// best of three passes (the machine is shared).
fn automerge_rate(rows: &[Vec<u8>], save: bool) -> f64 {
    let mut best = 0.0f64;
    let mut saved = 0usize;
    for _ in 0..3 {
        let started = Instant::now();
        for bytes in rows {
            let mut doc = automerge::AutoCommit::load(bytes).expect("a pushed document loads");
            if save {
                saved += doc.save().len();
            }
        }
        best = best.max(per_second(rows.len(), started.elapsed()));
    }
    std::hint::black_box(saved);
    best
}

fn per_second(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

fn main() {
    server::allocator::return_freed_memory_promptly();
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
    let phone_count = PHONES.max(people.div_ceil(sync_core::protocol::MAX_DOCS_PER_REQUEST));
    let db = Db::connect(&url).await.expect("database");
    db.migrate().await.expect("migrate");
    server::ops::area::edit(
        &db,
        server::ops::Actor::CommandLine,
        Some(AREA),
        "bench area",
        SystemClock.now(),
        |area| {
            area.name = "Benchmark area".into();
            for phone in 0..phone_count {
                server::ops::area::set_patch(area, &patch(phone), &patch(phone), 1_000);
            }
            Ok(())
        },
    )
    .await
    .expect("area");
    println!(
        "SQLite (synchronous = FULL, WAL), {} cores, {people} people from {phone_count} phones, a patch each",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // The phones log offline; their first requests are what the server ingests.
    let mut phones: Vec<Phone> = (0..phone_count).map(|i| Phone::new([patch(i)])).collect();
    for phone in &mut phones {
        phone.log_people(people / phone_count);
    }
    let mut raw_changes = 0usize;
    let mut raw_rows: Vec<Vec<u8>> = Vec::new();
    for phone in &phones {
        let request =
            SyncRequest::decode(&phone.replica.sync_request().expect("request")).expect("decode");
        for push in request.pushes {
            raw_changes += push.changes.len();
            raw_rows.push(push.changes);
        }
    }
    let commits = raw_rows.len();

    // Ingest: every phone syncs its offline work.
    let started = Instant::now();
    let (mut wire_up, mut ingest) = (0, Duration::ZERO);
    for phone in &mut phones {
        let traffic = phone.sync(&db).await;
        wire_up += traffic.up;
        ingest += traffic.server;
    }
    // Ingest is done when what it wrote is in the database file, not only
    // in the write-ahead log. The server moves it there in the background
    // after writes (`Db`'s checkpointer), partly during later requests and
    // partly after the last: that last part is counted here. A checkpoint
    // still running in the background makes this one return busy at once
    // (SQLite does not wait for it), so it is tried again until done.
    let checkpoint = Instant::now();
    loop {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(FULL)")
            .fetch_one(&db.pool)
            .await
            .expect("checkpoint");
        if busy == 0 {
            break;
        }
        assert!(
            checkpoint.elapsed() < Duration::from_secs(60),
            "the write-ahead log stayed busy for a minute"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    ingest += checkpoint.elapsed();
    let ingest_wall = started.elapsed();
    let ingest_rate = per_second(commits, ingest);

    // The ceiling: the same bytes into a plain table, one transaction.
    let raw_rate = raw_insert_rate(&db, "raw_ceiling", &raw_rows, MAX_PARAMS / 2).await;
    let single_rate = raw_insert_rate(&db, "raw_ceiling_single", &raw_rows, 1).await;
    // Automerge's ceiling: the same pushes, loaded and saved, nothing else.
    let automerge_saved = automerge_rate(&raw_rows, true);
    let automerge_loaded = automerge_rate(&raw_rows, false);

    // A new device that sees every patch: its first sync brings everyone.
    let mut newcomer = Phone::new((0..phone_count).map(patch));
    let started = Instant::now();
    let first_down = newcomer.sync(&db).await.down;
    let first = started.elapsed();
    let held = newcomer.replica.people().expect("people").len();
    assert_eq!(held, commits, "the first sync brought everyone");

    // An incremental sync after a 30-conversation doorstep session.
    let session = {
        phones[0].log_people(30);
        let started = Instant::now();
        let traffic = phones[0].sync(&db).await;
        (started.elapsed(), traffic.up, traffic.server)
    };
    let started = Instant::now();
    let incremental_down = newcomer.sync(&db).await.down;
    let incremental_receive = started.elapsed();

    println!("{:<52} {:>14}", "measure", "value");
    let line = |name: &str, value: String| println!("{name:<52} {value:>14}");
    line("offline commits", commits.to_string());
    line(
        "ingest: commits merged per second (server time)",
        format!("{ingest_rate:.0}"),
    );
    line(
        "  per second of wall time, phones' own work included",
        format!("{:.0}", per_second(commits, ingest_wall)),
    );
    line(
        "automerge alone: pushes loaded and saved per second",
        format!("{automerge_saved:.0}"),
    );
    line("  loaded only", format!("{automerge_loaded:.0}"));
    line(
        "ingest as a share of automerge's ceiling",
        format!("{:.1}%", 100.0 * ingest_rate / automerge_saved),
    );
    line(
        "raw ceiling: same bytes inserted per second",
        format!("{raw_rate:.0}"),
    );
    line(
        "  the same, one row a statement",
        format!("{single_rate:.0}"),
    );
    line(
        "ingest as a share of the raw ceiling",
        format!("{:.1}%", 100.0 * ingest_rate / raw_rate),
    );
    line(
        "  of the one-row-a-statement rate",
        format!("{:.1}%", 100.0 * ingest_rate / single_rate),
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
        &format!("first sync of {commits} people"),
        format!("{:.2} s", first.as_secs_f64()),
    );
    line(
        "  bytes received",
        format!("{:.1} MiB", first_down as f64 / 1_048_576.0),
    );
    line(
        "sync after a 30-conversation session (sender)",
        format!("{:.0} ms", session.0.as_secs_f64() * 1000.0),
    );
    line(
        "  of which in the server's handler",
        format!("{:.0} ms", session.2.as_secs_f64() * 1000.0),
    );
    line("  bytes sent", format!("{}", session.1));
    line(
        "the same session reaching another phone",
        format!("{:.0} ms", incremental_receive.as_secs_f64() * 1000.0),
    );
    line("  bytes received", format!("{incremental_down}"));
}
