//! Report speed at scale: builds an SQLite database of 1,000,000 people and
//! about 5,000,000 interactions, then times every report, unfiltered and
//! filtered. A benchmark, not a test: run it with
//!
//! ```text
//! cargo bench -p server --bench reports
//! cargo bench -p server --bench reports -- --people 200000 --runs 3
//! ```
//!
//! The rows are written by the server's own projection code
//! (`projection::project`) from generated `Person` records; the automerge
//! documents behind them are not built (the reports never read them, and
//! building a million documents would take most of an hour). The doors are
//! the households the patches list, each with a location (but one in
//! twenty) and knocked about every fortnight for two years, written the
//! same way (and added to a database built before the benchmark had
//! doors). The database
//! is kept in `target/bench-reports/` and reused while its size matches;
//! `--rebuild` makes a new one. `--only civic-core` times only the reports
//! whose label holds those words (to profile one).

#![allow(clippy::print_stdout, reason = "a benchmark prints its results")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use server::reports::{self, Audience, Filters};
use server::store::Db;
use sync_core::{
    Address, AgeBand, DeviceId, DocId, DoorOutcome, DoorVisit, Doorstep, EntryChannel, EntryId,
    Event, EventKind, FollowUpDone, Interaction, InteractionKind, Ladder, Location, Person, Record,
    ResidentBasis, Role, Tenure, Timestamp,
};

const PATCHES: [(&str, u32); 12] = [
    ("north-estate", 2400),
    ("south-estate", 2100),
    ("old-village", 900),
    ("new-village", 1200),
    ("riverside", 1500),
    ("high-street", 800),
    ("mill-lane", 600),
    ("church-end", 700),
    ("park-view", 1100),
    ("station-road", 950),
    ("green-lanes", 1300),
    ("the-crescent", 500),
];
const CHAMPIONS: usize = 60;
const TOPICS: [&str; 8] = [
    "housing",
    "parks",
    "youth",
    "litter",
    "transport",
    "safety",
    "older-people",
    "food",
];
const EVENTS: usize = 2000;
const BATCH: usize = 5000;

struct Args {
    people: usize,
    runs: usize,
    rebuild: bool,
    only: Option<String>,
}

/// `--only TEXT`: time only the reports whose label holds it (to profile one).
static ONLY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

fn args() -> Args {
    let mut out = Args {
        people: 1_000_000,
        runs: 5,
        rebuild: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--people" => out.people = value("--people"),
            "--runs" => out.runs = value("--runs").max(1),
            "--rebuild" => out.rebuild = true,
            "--only" => out.only = Some(it.next().expect("--only needs a report's label")),
            // cargo bench passes --bench; nothing else is expected.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn main() {
    server::allocator::return_freed_memory_promptly();
    let args = args();
    ONLY.set(args.only.clone()).expect("set once");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-reports");
    std::fs::create_dir_all(&dir).expect("bench directory");
    // A database written by other projections is built again.
    let path = dir.join(format!(
        "reports-{}-v{}.sqlite",
        args.people,
        server::store::projection::VERSION
    ));
    if args.rebuild {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    let fresh = !path.exists();
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.expect("database");
    db.migrate().await.expect("migrate");
    let now = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01
    if fresh {
        let started = Instant::now();
        let (people, interactions) = build(&db, args.people, now).await;
        sqlx::query("ANALYZE")
            .execute(&db.pool)
            .await
            .expect("analyze");
        eprintln!(
            "built {people} people and {interactions} interactions in {:.0?}",
            started.elapsed()
        );
    }
    let doors = rows_in(&db, "addresses").await;
    if doors == 0 {
        let started = Instant::now();
        let (doors, knocks) = build_doors(&db, now).await;
        sqlx::query("ANALYZE")
            .execute(&db.pool)
            .await
            .expect("analyze");
        eprintln!(
            "built {doors} doors and {knocks} knocks in {:.0?}",
            started.elapsed()
        );
    }
    // New connections: the timings run with the server's own settings.
    db.close().await;
    drop(db);
    let db = Db::connect(&url).await.expect("database");
    let people = rows_in(&db, "people").await;
    let interactions = rows_in(&db, "interactions").await;
    let knocks = rows_in(&db, "door_visits").await;
    println!(
        "SQLite, {people} people, {interactions} interactions, {knocks} knocks at doors, {} cores; median of {} runs after one warm-up",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        args.runs
    );
    println!("{:<42} {:>10} {:>10}", "report", "median", "max");
    let filtered = Filters {
        patch: Some("riverside".into()),
        channel: Some("doorstep".into()),
        ..Filters::default()
    };
    let cohort = Filters {
        cohort: Some("2025-06".into()),
        ..Filters::default()
    };
    // People who reached a step: the funnel's drill-down from its bars.
    let stage = Filters {
        stage: Some("participant".into()),
        ..Filters::default()
    };
    // A year: half the people, as the step.
    let year = Filters {
        period: Some("2025".into()),
        ..Filters::default()
    };
    for (label, filters) in [
        ("", Filters::default()),
        (" ?patch=riverside&channel=doorstep", filtered),
        (" ?cohort=2025-06", cohort),
        (" ?stage=participant", stage),
        (" ?period=2025", year),
    ] {
        // Admins see exact figures; viewers' are adjusted by record keys
        // summed in the same queries (and, for events, read per attendee).
        for (who, audience) in [("", Audience::Exact), (" (viewer)", Audience::Adjusted)] {
            let label = format!("{label}{who}");
            time(&format!("funnel{label}"), args.runs, || async {
                reports::funnel(&db, &filters, audience).await.map(|_| ())
            })
            .await;
            time(&format!("routes{label}"), args.runs, || async {
                reports::routes(&db, &filters, audience).await.map(|_| ())
            })
            .await;
            time(&format!("civic-core{label}"), args.runs, || async {
                reports::civic_core(&db, &filters, audience, now)
                    .await
                    .map(|_| ())
            })
            .await;
            time(&format!("events{label}"), args.runs, || async {
                reports::event_reach(&db, &filters, audience, now)
                    .await
                    .map(|_| ())
            })
            .await;
            time(&format!("reach{label}"), args.runs, || async {
                reports::reach(&db, &filters, audience).await.map(|_| ())
            })
            .await;
        }
        time(&format!("champions{label}"), args.runs, || async {
            reports::champion_activity(&db, &filters, Audience::Exact, now)
                .await
                .map(|_| ())
        })
        .await;
    }
    // Voices and promises count what happened: by patch or month, not by
    // people's channel.
    for (label, filters) in [
        ("", Filters::default()),
        (
            " ?patch=riverside",
            Filters {
                patch: Some("riverside".into()),
                ..Filters::default()
            },
        ),
        (
            " ?cohort=2025-06",
            Filters {
                cohort: Some("2025-06".into()),
                ..Filters::default()
            },
        ),
    ] {
        time(&format!("voices{label}"), args.runs, || async {
            reports::voices(&db, &filters, now).await.map(|_| ())
        })
        .await;
        time(&format!("doors{label}"), args.runs, || async {
            reports::household_reach(&db, &filters).await.map(|_| ())
        })
        .await;
        for (who, audience) in [("", Audience::Exact), (" (viewer)", Audience::Adjusted)] {
            time(&format!("map{label}{who}"), args.runs, || async {
                reports::patch_map(&db, &filters, audience)
                    .await
                    .map(|_| ())
            })
            .await;
        }
        time(&format!("you-said-we-did{label}"), args.runs, || async {
            reports::you_said_we_did(&db, &filters, now)
                .await
                .map(|_| ())
        })
        .await;
        // Trends: the twelve whole months before `now` (or the cohort's
        // month), for admins (exact) and viewers (adjusted).
        for (who, audience) in [("", Audience::Exact), (" (viewer)", Audience::Adjusted)] {
            time(&format!("trends{label}{who}"), args.runs, || async {
                reports::trends(&db, &filters, audience, now)
                    .await
                    .map(|_| ())
            })
            .await;
        }
    }
    for (who, audience) in [("", Audience::Exact), (" (viewer)", Audience::Adjusted)] {
        time(&format!("board{who}"), args.runs, || async {
            reports::board(&db, audience, now).await.map(|_| ())
        })
        .await;
        time(&format!("groups{who}"), args.runs, || async {
            <reports::GroupsReport as reports::Report>::load(
                &db,
                &Filters::default(),
                audience,
                now,
            )
            .await
            .map(|_| ())
        })
        .await;
    }
    time("resident-led", args.runs, || async {
        reports::resident_led(&db, now).await.map(|_| ())
    })
    .await;
    time("turnover", args.runs, || async {
        reports::turnover(&db, now).await.map(|_| ())
    })
    .await;
    // The board pack: its reports for the last whole quarter and the one
    // before, computed at once; then its PDF.
    let db = std::sync::Arc::new(db);
    let quarter = server::http::PackQuery::default();
    let site = server::http::PublicUrl::parse("https://outreach.example.org").expect("a URL");
    for (who, audience) in [("", Audience::Exact), (" (viewer)", Audience::Adjusted)] {
        time(&format!("board pack, JSON{who}"), args.runs, || async {
            server::http::board_pack(&db, &quarter, audience, now)
                .await
                .map(|_| ())
        })
        .await;
        time(&format!("board pack, PDF{who}"), args.runs, || async {
            let pack = server::http::board_pack(&db, &quarter, audience, now).await?;
            server::http::board_pack_pdf(&pack, &site).map(|_| ())
        })
        .await;
    }
}

/// How many rows `table` holds.
async fn rows_in(db: &Db, table: &str) -> i64 {
    let (rows,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&db.pool)
            .await
            .expect("count");
    rows
}

async fn time<F, Fut>(label: &str, runs: usize, mut report: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = server::Result<()>>,
{
    if ONLY
        .get()
        .and_then(Option::as_deref)
        .is_some_and(|only| !label.contains(only))
    {
        return;
    }
    report().await.expect(label); // warm-up
    let mut took: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        report().await.expect(label);
        took.push(started.elapsed());
    }
    took.sort();
    // In milliseconds always: a Duration's own format says "1s" for
    // anything from half a second to a second and a half.
    println!(
        "{label:<42} {:>6} ms {:>7} ms",
        took[took.len() / 2].as_millis(),
        took[took.len() - 1].as_millis()
    );
}

/// Writes the area, the events and `people` people; returns the number of
/// people and interactions written.
async fn build(db: &Db, people: usize, now: Timestamp) -> (usize, usize) {
    let start = now.plus_days(-730);
    server::ops::area::edit(
        db,
        server::ops::Actor::CommandLine,
        Some("bench-area"),
        "bench area",
        start,
        |area| {
            area.name = "Benchmark area".into();
            area.partnership_seats = Some(16);
            for (slug, households) in PATCHES {
                server::ops::area::set_patch(area, slug, slug, households);
            }
            Ok(())
        },
    )
    .await
    .expect("area");
    let mut rng = fastrand::Rng::with_seed(2026);
    // Topics and what became of promises draw from their own generator, so
    // the people are the same as before they were generated.
    let mut talk = fastrand::Rng::with_seed(2027);
    let mut events = Vec::new();
    for _ in 0..EVENTS {
        let at = start.plus_days(rng.i64(0..730));
        events.push((DocId::new(at), at));
    }
    let champions: Vec<DeviceId> = (0..CHAMPIONS).map(|_| DeviceId::new(start)).collect();
    let ladder = Ladder::default();
    // The events themselves, for the events report: kinds in turn, every
    // fun day with a headcount, one event in fifty cancelled (no draw from
    // `rng`, so the people stay as they were).
    let mut tx = db.pool.begin().await.expect("begin");
    for (i, (id, at)) in events.iter().enumerate() {
        let kind = EventKind::ALL[i % EventKind::ALL.len()];
        let event = Event {
            id: *id,
            area: "bench-area".into(),
            patch: PATCHES[i % PATCHES.len()].0.into(),
            title: format!("Event {i}"),
            kind,
            starts_at: *at,
            ends_at: None,
            place: None,
            cancelled: i % 50 == 49,
            headcount: (kind == EventKind::FunDay).then_some(300 + i as u32),
            created_by: champions[0],
            created_at: start,
        };
        server::store::projection::project(&mut tx, &Record::Event(event), &ladder, now)
            .await
            .expect("project an event");
    }
    tx.commit().await.expect("commit");
    let mut interactions = 0;
    let mut written = 0;
    let began = Instant::now();
    while written < people {
        let writer = db.writer().await;
        let mut tx = writer.begin().await.expect("begin");
        // A large page cache for the build only (the reports run with the
        // server's own settings).
        sqlx::query("PRAGMA cache_size = -2000000")
            .execute(&mut *tx)
            .await
            .expect("cache size");
        for _ in 0..BATCH.min(people - written) {
            // People in order of first contact, as they would arrive.
            let first =
                start.as_millis() + (written as i64) * 700 * Timestamp::DAY_MILLIS / people as i64;
            let person = person(
                &mut rng,
                &mut talk,
                Timestamp::from_millis(first),
                &events,
                &champions,
            );
            interactions += person.interactions.len();
            server::store::projection::project(&mut tx, &Record::Person(person), &ladder, now)
                .await
                .expect("project");
            written += 1;
        }
        tx.commit().await.expect("commit");
        if written % 100_000 < BATCH {
            eprintln!("{written} people written in {:.0?}", began.elapsed());
        }
    }
    (written, interactions)
}

/// Writes the doors the patches list, each knocked about every fortnight
/// for the two years before `now` (one in twenty has no location, one in a
/// hundred a "no knocking" sign after a while); returns the doors and
/// knocks written.
async fn build_doors(db: &Db, now: Timestamp) -> (usize, usize) {
    let start = now.plus_days(-730);
    let mut rng = fastrand::Rng::with_seed(2028);
    let champions: Vec<DeviceId> = (0..CHAMPIONS).map(|_| DeviceId::new(start)).collect();
    let ladder = Ladder::default();
    let (mut doors, mut knocks) = (0, 0);
    let writer = db.writer().await;
    let mut tx = writer.begin().await.expect("begin");
    for (p, (patch, households)) in PATCHES.iter().enumerate() {
        // Each patch a block of streets about a kilometre square, side
        // by side.
        let (south, west) = (52.0 + (p / 4) as f64 * 0.012, -1.5 + (p % 4) as f64 * 0.018);
        for house in 0..*households {
            let created = start.plus_days(rng.i64(0..14));
            let mut visits = Vec::new();
            let mut at = created.as_millis();
            let mut no_knocking = false;
            while at < now.as_millis() && !no_knocking {
                let outcome = match rng.u8(..100) {
                    0..50 => DoorOutcome::NotIn,
                    50..80 => DoorOutcome::Spoke,
                    80..95 => DoorOutcome::Refused,
                    95..99 => DoorOutcome::MovedAway,
                    _ => DoorOutcome::NoKnocking,
                };
                no_knocking = outcome == DoorOutcome::NoKnocking;
                let when = Timestamp::from_millis(at);
                visits.push(DoorVisit {
                    id: EntryId::new(when),
                    at: when,
                    outcome,
                    recorded_by: champions[rng.usize(..CHAMPIONS)],
                });
                at += rng.i64(7..21) * Timestamp::DAY_MILLIS + rng.i64(0..Timestamp::DAY_MILLIS);
            }
            knocks += visits.len();
            let address = Address {
                id: DocId::new(created),
                area: "bench-area".into(),
                patch: (*patch).into(),
                house: (house % 200 + 1).to_string(),
                street: format!("Street {}", house / 200 + 1),
                locality: None,
                postcode: None,
                location: (rng.u8(..20) != 0).then(|| Location {
                    latitude: south + rng.f64() * 0.009,
                    longitude: west + rng.f64() * 0.014,
                }),
                do_not_knock: false,
                visits,
                created_by: champions[0],
                created_at: created,
            };
            server::store::projection::project(&mut tx, &Record::Address(address), &ladder, now)
                .await
                .expect("project a door");
            doors += 1;
        }
    }
    tx.commit().await.expect("commit");
    (doors, knocks)
}

/// One generated person: about five interactions on average, most of them
/// doorstep knocks, fewer the further up the ladder.
fn person(
    rng: &mut fastrand::Rng,
    talk: &mut fastrand::Rng,
    first: Timestamp,
    events: &[(DocId, Timestamp)],
    champions: &[DeviceId],
) -> Person {
    let first = first.as_millis() + rng.i64(0..Timestamp::DAY_MILLIS);
    let patch = rng.usize(..PATCHES.len());
    let champion =
        champions[patch * (CHAMPIONS / PATCHES.len()) + rng.usize(..CHAMPIONS / PATCHES.len())];
    let at = |days: i64| Timestamp::from_millis(first + days * Timestamp::DAY_MILLIS);
    let mut interactions = Vec::new();
    let mut add = |kind: InteractionKind, when: Timestamp, by: DeviceId| {
        interactions.push(Interaction {
            id: EntryId::new(when),
            at: when,
            recorded_by: by,
            kind,
        });
    };
    let depth = rng.u8(..100);
    for knock in 0..rng.usize(1..6) {
        let outcome = if rng.u8(..10) < 6 {
            DoorOutcome::Spoke
        } else {
            DoorOutcome::NotIn
        };
        let mut doorstep = Doorstep::new(outcome);
        if outcome == DoorOutcome::Spoke {
            // One topic in most conversations, a second in some; an
            // activity wanted in a few.
            let topics = talk.usize(..TOPICS.len() + 2);
            if let Some(topic) = TOPICS.get(topics) {
                doorstep = doorstep.topic(topic);
            }
            if talk.u8(..5) == 0 {
                doorstep = doorstep.topic(TOPICS[talk.usize(..TOPICS.len())]);
            }
            if talk.u8(..10) == 0 {
                doorstep = doorstep.wants_to_join("litter-pick");
            }
        }
        if outcome == DoorOutcome::Spoke && rng.u8(..7) == 0 {
            // Half the promises have a date; most are kept.
            let due = talk.bool().then(|| at(knock as i64 * 7 + 14));
            doorstep = doorstep.follow_up("call back", due);
            if talk.u8(..4) > 0 {
                let done_at = at(knock as i64 * 7 + talk.i64(1..40));
                if let Some(f) = doorstep.follow_up.as_mut() {
                    f.done = Some(FollowUpDone {
                        at: done_at,
                        note: None,
                        by: champion,
                    });
                }
            }
        }
        add(
            InteractionKind::Doorstep(doorstep),
            at(knock as i64 * 7),
            champion,
        );
    }
    if depth >= 50 {
        for _ in 0..rng.usize(1..6) {
            let (event, when) = events[rng.usize(..events.len())];
            add(
                InteractionKind::Attendance { event },
                when.max(at(1)),
                champion,
            );
        }
    }
    if depth >= 80 {
        let (event, _) = events[rng.usize(..events.len())];
        add(InteractionKind::EventSignUp { event }, at(2), champion);
        add(
            InteractionKind::Volunteering {
                activity: "stall".into(),
                event: Some(event),
            },
            at(30),
            champion,
        );
    }
    if depth >= 95 {
        add(
            InteractionKind::WorkingGroup {
                group: ["green", "youth", "housing", "events"][rng.usize(..4)].into(),
                start: at(60),
                end: rng.bool().then(|| at(200)),
            },
            at(60),
            champion,
        );
    }
    if depth == 99 && rng.u8(..10) == 0 {
        add(
            InteractionKind::Role {
                role: Role::PartnershipMember,
                start: at(90),
                end: rng.bool().then(|| at(400)),
                hats: Default::default(),
            },
            at(90),
            champion,
        );
    }
    Person {
        id: DocId::new(Timestamp::from_millis(first)),
        area: "bench-area".into(),
        patch: PATCHES[patch].0.into(),
        entry_channel: [
            EntryChannel::Doorstep,
            EntryChannel::Doorstep,
            EntryChannel::Event,
            EntryChannel::YouthSession,
            EntryChannel::Referral,
        ][rng.usize(..5)],
        name: None,
        household: None,
        phone: None,
        email: None,
        residency: if rng.u8(..10) < 7 {
            [ResidentBasis::Lives].into()
        } else {
            [ResidentBasis::Works].into()
        },
        age_band: (rng.u8(..10) < 8).then(|| AgeBand::ALL[rng.usize(..AgeBand::ALL.len())]),
        tenure: (rng.u8(..10) < 6).then(|| Tenure::ALL[rng.usize(..Tenure::ALL.len())]),
        language: (rng.u8(..10) < 7)
            .then(|| ["english", "polish", "urdu", "somali", "romanian"][rng.usize(..5)].into()),
        ethnicity: None,
        interests: Default::default(),
        consents: Vec::new(),
        do_not_contact: false,
        interactions,
        created_by: champion,
        created_at: Timestamp::from_millis(first),
    }
}
