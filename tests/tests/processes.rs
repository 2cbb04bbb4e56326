//! Tests of `outreach` processes: concurrent changes to one person losing
//! nothing (two servers on one PostgreSQL; one on SQLite), and the README's
//! run command serving demo data.

use std::sync::{Arc, Barrier};

use sync_core::{
    DeviceId, DocId, DoorOutcome, Doorstep, EntryChannel, EntryId, ManualClock, MemoryStore,
    NewPerson, Record, Replica, read_record,
};
use tests::server::{HttpPhone, ServeProcess, register_with_cli_invite};

const PHONES: usize = 6;
const ROUNDS: usize = 10;

fn register(database_url: &str, base: &str) -> HttpPhone {
    let registered = register_with_cli_invite(database_url, base, "admin", "phone");
    let device: DeviceId = registered.device_id.parse().expect("device id");
    let clock = ManualClock::new(tests::START);
    HttpPhone {
        replica: Replica::open(MemoryStore::new(), device, clock).expect("replica"),
        token: registered.token,
    }
}

#[test]
fn postgres_two_server_processes_lose_no_concurrent_change() {
    let Some(db) = tests::server::postgres() else {
        return;
    };
    let first = ServeProcess::start(&db.url);
    let second = ServeProcess::start(&db.url);
    lose_no_concurrent_change(&db.url, [first.base.clone(), second.base.clone()]);
}

/// On SQLite requests merge ahead of the writer's lock, from rows another
/// request may be about to change: those merges must be redone, not lost.
#[test]
fn sqlite_phones_editing_one_person_at_once_lose_no_change() {
    let db = tests::server::sqlite();
    let server = ServeProcess::start(&db.url);
    lose_no_concurrent_change(&db.url, [server.base.clone(), server.base.clone()]);
}

/// Phones log conversations with one person at once, through `bases`
/// in turn; afterwards every conversation is on every phone and stored.
fn lose_no_concurrent_change(database_url: &str, bases: [String; 2]) {
    let mut phones: Vec<HttpPhone> = (0..PHONES)
        .map(|n| register(database_url, &bases[n % 2]))
        .collect();
    let shared: DocId = phones[0]
        .replica
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| p.set_name(Some("Everyone's neighbour")),
        )
        .unwrap();
    phones[0].sync(&bases[0]);
    for phone in &mut phones {
        phone.sync(&bases[1]);
        assert!(phone.replica.document_ids().unwrap().contains(&shared));
    }

    // Every phone logs conversations with the same person and syncs them,
    // all at once, half through each server process.
    let barrier = Arc::new(Barrier::new(PHONES));
    let handles: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(n, mut phone)| {
            let barrier = barrier.clone();
            let bases = bases.clone();
            std::thread::spawn(move || {
                let mut logged: Vec<EntryId> = Vec::new();
                barrier.wait();
                for round in 0..ROUNDS {
                    let entry = phone
                        .replica
                        .edit_person(shared, |p| {
                            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))
                        })
                        .unwrap();
                    logged.push(entry);
                    let outcome = phone.sync(&bases[(n + round) % 2]);
                    assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
                }
                (phone, logged)
            })
        })
        .collect();
    let mut phones = Vec::new();
    let mut logged = Vec::new();
    for handle in handles {
        let (phone, entries) = handle.join().expect("phone thread");
        phones.push(phone);
        logged.extend(entries);
    }
    // Each sync settled, so the server acknowledged every conversation: it
    // holds them all already, before any phone syncs again (the protocol
    // would resend a lost change then, and hide the loss).
    let (Record::Person(stored), projected) = stored_person(database_url, shared) else {
        panic!("not a person")
    };
    for entry in &logged {
        assert!(
            stored.interaction(*entry).is_some(),
            "acknowledged conversation {entry} is not on the server"
        );
    }
    assert_eq!(projected, PHONES * ROUNDS);
    for (n, phone) in phones.iter_mut().enumerate() {
        phone.sync(&bases[n % 2]);
    }
    for (n, phone) in phones.iter_mut().enumerate() {
        phone.sync(&bases[(n + 1) % 2]);
    }

    let Record::Person(person) = phones[0].replica.record(shared).unwrap() else {
        panic!()
    };
    assert_eq!(person.interactions.len(), PHONES * ROUNDS);
    for entry in &logged {
        assert!(
            person.interaction(*entry).is_some(),
            "conversation {entry} was lost"
        );
    }
    for phone in &phones {
        assert_eq!(
            phone.replica.record(shared).unwrap(),
            Record::Person(person.clone())
        );
        assert_eq!(phone.replica.pending_changes(), 0);
    }
    // The stored document and its projection agree with the phones.
    assert_eq!(
        stored_person(database_url, shared),
        (Record::Person(person), PHONES * ROUNDS)
    );
}

/// The stored record of `id`, and how many interactions its projection has.
fn stored_person(database_url: &str, id: DocId) -> (Record, usize) {
    tests::server::runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(database_url).await.expect("connect");
        let (bytes,): (Vec<u8>,) = sqlx::query_as("SELECT bytes FROM documents WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .expect("document");
        let (projected,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM interactions WHERE person_id = $1")
                .bind(id.to_string())
                .fetch_one(&pool)
                .await
                .expect("count");
        pool.close().await;
        (read_record(&bytes).expect("a record"), projected as usize)
    })
}

#[test]
fn the_readme_run_command_serves_demo_data() {
    let db = tests::server::sqlite();
    let server = ServeProcess::start_with_args(&db.url, &["--demo"]);
    let (status, body) = tests::server::get_plain(&format!("{}/healthz", server.base));
    assert_eq!(status, 200);
    let schema = server::store::backup::known_schema_version();
    let protocol = sync_core::PROTOCOL_VERSION;
    assert_eq!(body, format!("ok\nschema {schema}\nprotocol {protocol}\n"));
    let runtime = tests::server::runtime();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.expect("connect");
        let (people,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert!(people >= 1000, "only {people} demo people");
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert!(events > 50);
        let (leaders,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stages WHERE stage >= 5")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert!(leaders > 0, "nobody progressed past volunteering");
        pool.close().await;
    });

    // A partnership board member reads every report of the demo data.
    let viewer = register_with_cli_invite(&db.url, &server.base, "viewer", "board");
    let read = |path: &str| -> serde_json::Value {
        let (status, body) =
            tests::server::get(&format!("{}/v1/reports/{path}", server.base), &viewer.token);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    };
    let funnel = read("funnel");
    let stages = funnel["stages"].as_array().expect("stages");
    // Non-empty stages: people on most of the ladder (the few leaders of a
    // small demo may read as suppressed).
    let reached = stages
        .iter()
        .filter(|s| s["reached"].as_u64().is_some_and(|n| n > 0))
        .count();
    assert!(reached >= stages.len() - 2, "{funnel}");
    for path in [
        "routes",
        "resident-led",
        "civic-core",
        "reach",
        "turnover",
        "champions",
    ] {
        let report = read(path);
        assert!(report.is_object(), "{path}: {report}");
    }
    let reach = read("reach");
    assert!(
        reach["by_patch"].as_array().is_some_and(|p| p.len() >= 3),
        "{reach}"
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let db = tests::server::sqlite();
    let mut server = ServeProcess::start(&db.url);
    let status = server.terminate();
    assert!(
        status.success(),
        "outreach serve exited with {status} on SIGTERM"
    );
}
