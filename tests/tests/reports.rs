//! Reports checked against an independent oracle: a seeded synthetic area
//! goes in through the real sync path; each report figure must equal what
//! plain Rust computes from the generated records (not the server's SQL, nor
//! its aggregation code). Once per database.

use server::auth::Role;
use server::reports::MIN_CELL;
use sync_core::{
    AgeBand, DoorOutcome, Doorstep, EntryChannel, EventKind, InteractionKind, Ladder, NewEvent,
    NewPerson, Person, Role as HeldRole, Timestamp,
};
use tests::server::{HttpPhone, TestDb, TestServer};

const START: Timestamp = Timestamp::from_millis(1_735_689_600_000); // 2025-01-01T00:00:00Z
const DAY: i64 = Timestamp::DAY_MILLIS;
const PATCHES: [&str; 2] = ["elm-road", "oak-lane"];
const BANDS: [AgeBand; 4] = [
    AgeBand::From18To24,
    AgeBand::From25To34,
    AgeBand::From55To64,
    AgeBand::From75,
];
const CHANNELS: [EntryChannel; 3] = [
    EntryChannel::Doorstep,
    EntryChannel::Event,
    EntryChannel::Referral,
];

/// Generates ~220 people over ten months with a seeded generator, through
/// an admin phone, and syncs them. Returns the people as the phone holds
/// them and the time reports are computed at.
fn generate(server: &TestServer, phone: &mut HttpPhone, seed: u64) -> (Vec<Person>, Timestamp) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let end = START.plus_days(320);
    server.clock.set(end);
    let event = phone
        .replica
        .create_event(&NewEvent {
            area: "north-estate".into(),
            patch: "elm-road".into(),
            title: "Fun day".into(),
            kind: EventKind::FunDay,
            starts_at: START,
            ends_at: None,
            place: None,
        })
        .unwrap();
    for _ in 0..220 {
        let first = START.plus_days(rng.i64(0..300)).as_millis() + rng.i64(0..DAY);
        let patch = PATCHES[rng.usize(..PATCHES.len())];
        let channel = CHANNELS[rng.usize(..CHANNELS.len())];
        let band = BANDS[rng.usize(..BANDS.len())];
        let depth = rng.u8(..100);
        phone
            .replica
            .create_person(&NewPerson::new("north-estate", patch, channel), |p| {
                p.set_age_band(Some(band))?;
                match rng.u8(..10) {
                    0..=5 => p.set_resident(sync_core::ResidentBasis::Lives, true)?,
                    6 | 7 => p.set_resident(sync_core::ResidentBasis::Works, true)?,
                    _ => {}
                }
                let at = |offset_days: i64| Timestamp::from_millis(first + offset_days * DAY);
                let outcome = if depth < 20 {
                    DoorOutcome::NotIn
                } else {
                    DoorOutcome::Spoke
                };
                let mut doorstep = Doorstep::new(outcome);
                if depth >= 40 {
                    doorstep = doorstep.wants_to_join("litter-pick");
                }
                p.record_at(InteractionKind::Doorstep(doorstep), at(0))?;
                let mut later = 0;
                let mut step = |rng: &mut fastrand::Rng| {
                    later += rng.i64(1..15);
                    at(later)
                };
                if depth >= 50 {
                    let when = step(&mut rng);
                    p.record_at(InteractionKind::Attendance { event }, when)?;
                }
                if depth >= 70 {
                    let when = step(&mut rng);
                    p.record_at(
                        InteractionKind::Volunteering {
                            activity: "stall".into(),
                            event: None,
                        },
                        when,
                    )?;
                }
                if depth >= 85 {
                    let start = step(&mut rng);
                    p.record(InteractionKind::WorkingGroup {
                        group: "green".into(),
                        start,
                        end: None,
                    })?;
                }
                if depth >= 90 {
                    let start = step(&mut rng);
                    let role = if depth >= 98 {
                        HeldRole::Chair
                    } else {
                        HeldRole::PartnershipMember
                    };
                    // Some have already left.
                    let end = depth
                        .is_multiple_of(3)
                        .then(|| Timestamp::from_millis(start.as_millis() + 20 * DAY));
                    p.record(InteractionKind::Role { role, start, end })?;
                }
                Ok(())
            })
            .unwrap();
    }
    let outcome = phone.sync(&server.base);
    assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    (phone.replica.people().unwrap(), end)
}

/// The oracle's funnel row: (reached, conversion, drop-off, median, p90),
/// with the report's suppression rule applied.
type Row = (
    Option<u64>,
    Option<f64>,
    Option<u64>,
    Option<f64>,
    Option<f64>,
);

fn oracle(people: &[&Person], as_of: Timestamp) -> Vec<Row> {
    let ladder = Ladder::default();
    let n = ladder.stages().len();
    let dates: Vec<Vec<Option<Timestamp>>> = people
        .iter()
        .map(|p| ladder.progress(p, as_of).reached)
        .collect();
    let count = |stage: usize| dates.iter().filter(|d| d[stage].is_some()).count() as u64;
    let ok = |c: u64| c == 0 || c >= MIN_CELL;
    (0..n)
        .map(|stage| {
            let here = count(stage);
            let next = (stage + 1 < n).then(|| count(stage + 1));
            let visible = ok(here) && next.is_none_or(ok);
            let mut gaps: Vec<f64> = dates
                .iter()
                .filter_map(
                    |d| match (stage.checked_sub(1).and_then(|s| d[s]), d[stage]) {
                        (Some(before), Some(at)) => {
                            Some((at.as_millis() - before.as_millis()) as f64 / DAY as f64)
                        }
                        _ => None,
                    },
                )
                .collect();
            gaps.sort_by(f64::total_cmp);
            let enough = gaps.len() as u64 >= MIN_CELL;
            let median = enough.then(|| {
                let m = gaps.len();
                if m % 2 == 1 {
                    gaps[m / 2]
                } else {
                    (gaps[m / 2 - 1] + gaps[m / 2]) / 2.0
                }
            });
            let p90 = enough.then(|| gaps[((0.9 * gaps.len() as f64).ceil() as usize).max(1) - 1]);
            let dropped = here - next.unwrap_or(0).min(here);
            (
                ok(here).then_some(here),
                match next {
                    Some(next) if visible && here > 0 => Some(next as f64 / here as f64),
                    _ => None,
                },
                if visible && ok(dropped) {
                    Some(dropped)
                } else {
                    None
                },
                median,
                p90,
            )
        })
        .collect()
}

fn report(server: &TestServer, token: &str, query: &str) -> Vec<Row> {
    let (status, body) =
        tests::server::get(&format!("{}/v1/reports/funnel?{query}", server.base), token);
    assert_eq!(status, 200, "{query}: {body}");
    let funnel: server::reports::Funnel = serde_json::from_str(&body).unwrap();
    funnel
        .stages
        .into_iter()
        .map(|s| {
            (
                s.reached,
                s.conversion_to_next,
                s.drop_off,
                s.median_days_from_previous,
                s.p90_days_from_previous,
            )
        })
        .collect()
}

fn close(a: &[Row], b: &[Row]) -> bool {
    let f = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.0 == y.0 && f(x.1, y.1) && x.2 == y.2 && f(x.3, y.3) && f(x.4, y.4))
}

fn the_reports_match_the_oracle_under_every_filter(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({ "area": "north-estate", "name": "North Estate", "resident_led_threshold_percent": 51 }),
        200,
    );
    let (people, as_of) = generate(&server, &mut admin, 42);
    let viewer = HttpPhone::register(&server, Role::Viewer, &[]);
    let first_contact = move |p: &Person| Ladder::default().progress(p, as_of).reached[0];
    let month = |ms: i64| {
        // Months of 2025 (the generator stays within it).
        let starts: Vec<i64> = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
            .iter()
            .map(|d| START.as_millis() + d * DAY)
            .collect();
        starts.iter().rposition(|s| *s <= ms).unwrap() + 1
    };
    type Pick = Box<dyn Fn(&Person) -> bool>;
    let cases: Vec<(String, Pick)> = vec![
        (String::new(), Box::new(|_| true)),
        (
            "patch=elm-road".into(),
            Box::new(|p: &Person| p.patch == "elm-road"),
        ),
        (
            "channel=event".into(),
            Box::new(|p: &Person| p.entry_channel == EntryChannel::Event),
        ),
        (
            "age_band=75%2B".into(),
            Box::new(|p: &Person| p.age_band == Some(AgeBand::From75)),
        ),
        (
            "cohort=2025-03".into(),
            Box::new(move |p: &Person| first_contact(p).is_some_and(|t| month(t.as_millis()) == 3)),
        ),
        (
            format!(
                "from={}&to={}&patch=oak-lane",
                START.plus_days(100).as_millis(),
                START.plus_days(200).as_millis()
            ),
            Box::new(move |p: &Person| {
                p.patch == "oak-lane"
                    && first_contact(p)
                        .is_some_and(|t| t >= START.plus_days(100) && t < START.plus_days(200))
            }),
        ),
    ];
    let mut suppressed_seen = false;
    for (query, pick) in &cases {
        let chosen: Vec<&Person> = people.iter().filter(|p| pick(p)).collect();
        let expected = oracle(&chosen, as_of);
        let token = if query.is_empty() {
            &admin.token
        } else {
            &viewer.token
        };
        let got = report(&server, token, query);
        assert!(
            close(&got, &expected),
            "{query:?}\n got {got:?}\nwant {expected:?}"
        );
        suppressed_seen |= expected.iter().any(|r| r.0.is_none());
    }
    assert!(suppressed_seen, "the data should exercise suppression");

    // Progression routes, against the same oracle data.
    for (query, pick) in &cases {
        let chosen: Vec<&Person> = people.iter().filter(|p| pick(p)).collect();
        let ladder = Ladder::default();
        let top = ladder.stages().len() - 1;
        let mut pairs: std::collections::BTreeMap<(String, String), u64> = Default::default();
        let mut channels: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for p in &chosen {
            let Some(highest) = ladder.progress(p, as_of).highest else {
                continue;
            };
            let channel = p.entry_channel.as_str().to_owned();
            *pairs
                .entry((channel.clone(), ladder.stages()[highest].key.clone()))
                .or_default() += 1;
            let c = channels.entry(channel).or_default();
            c.0 += 1;
            c.1 += u64::from(highest == top);
        }
        let ok = |n: u64| (n == 0 || n >= MIN_CELL).then_some(n);
        let (status, body) = tests::server::get(
            &format!("{}/v1/reports/routes?{query}", server.base),
            &viewer.token,
        );
        assert_eq!(status, 200, "{body}");
        let routes: server::reports::Routes = serde_json::from_str(&body).unwrap();
        let got: Vec<((String, String), Option<u64>)> = routes
            .routes
            .iter()
            .map(|r| ((r.entry_channel.clone(), r.highest_stage.clone()), r.people))
            .collect();
        let mut want: Vec<((String, String), Option<u64>)> =
            pairs.into_iter().map(|(k, n)| (k, ok(n))).collect();
        // The report orders by stage position, the oracle by key: compare as sets.
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "routes {query:?}");
        for outcome in &routes.by_channel {
            let (n, t) = channels[&outcome.entry_channel];
            assert_eq!(
                (outcome.people, outcome.reached_top),
                (ok(n), ok(t)),
                "{query:?}"
            );
        }
    }
    // The resident-led monitor, now, against the records.
    let (status, body) = tests::server::get(
        &format!("{}/v1/reports/resident-led", server.base),
        &viewer.token,
    );
    assert_eq!(status, 200, "{body}");
    let monitor: server::reports::ResidentLed = serde_json::from_str(&body).unwrap();
    let members: Vec<&Person> = people
        .iter()
        .filter(|p| p.roles_held_at(as_of).any(|r| r.is_partnership_seat()))
        .collect();
    assert!(!members.is_empty(), "the data should have a partnership");
    assert_eq!(monitor.current.members, members.len() as u64);
    for share in &monitor.current.shares {
        let counts: Vec<sync_core::ResidentBasis> = match share.definition.as_str() {
            "lives-here" => vec![sync_core::ResidentBasis::Lives],
            "connected" => vec![
                sync_core::ResidentBasis::Lives,
                sync_core::ResidentBasis::Works,
                sync_core::ResidentBasis::Studies,
                sync_core::ResidentBasis::Worships,
            ],
            other => panic!("unexpected definition {other}"),
        };
        let residents = members
            .iter()
            .filter(|p| counts.iter().any(|c| p.residency.contains(c)))
            .count() as u64;
        assert_eq!(share.residents, residents, "{}", share.definition);
        let m = members.len() as u64;
        assert_eq!(share.meets_threshold, residents * 100 >= 51 * m);
        assert_eq!(
            share.one_resignation_breaks_it,
            residents * 100 >= 51 * m
                && residents > 0
                && !(m > 1 && (residents - 1) * 100 >= 51 * (m - 1))
        );
    }
    let last = monitor.history.last().expect("history");
    assert!(last.at <= as_of.as_millis());
    assert!(
        monitor
            .history
            .windows(2)
            .any(|w| w[1].members < w[0].members),
        "the history shows a member leaving: {:?}",
        monitor
            .history
            .iter()
            .map(|c| c.members)
            .collect::<Vec<_>>()
    );

    // CSV, asked for either way; no names anywhere.
    let (status, csv) = tests::server::get(
        &format!("{}/v1/reports/funnel?format=csv", server.base),
        &viewer.token,
    );
    assert_eq!(status, 200);
    assert!(csv.starts_with("stage,label,reached,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + Ladder::default().stages().len());
    // Champions do not get reports; bad filters get typed errors.
    let champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let (status, _) = tests::server::get(
        &format!("{}/v1/reports/funnel", server.base),
        &champion.token,
    );
    assert_eq!(status, 403);
    let (status, body) = tests::server::get(
        &format!("{}/v1/reports/funnel?cohort=2025-13", server.base),
        &viewer.token,
    );
    assert_eq!(status, 400, "{body}");
}

mod sqlite {
    #[test]
    fn the_reports_match_the_oracle_under_every_filter() {
        super::the_reports_match_the_oracle_under_every_filter(tests::server::sqlite());
    }
}

mod postgres {
    #[test]
    fn the_reports_match_the_oracle_under_every_filter() {
        if let Some(db) = tests::server::postgres() {
            super::the_reports_match_the_oracle_under_every_filter(db);
        }
    }
}
