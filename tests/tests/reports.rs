//! Reports checked against an independent oracle: a seeded synthetic area
//! goes in through the real sync path (an admin's phone and two street
//! champions' phones); each report figure must equal what plain Rust
//! computes here from the records the phones hold, never the server's SQL
//! nor its aggregation code. The oracle applies the suppression rule as
//! the reports document it. Once per database.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use server::http::RateLimit;
use server::ops::Role;
use server::reports::{
    Board, ChampionActivity, CivicCore, EventReach, Funnel, GroupsReport, NOT_RECORDED, Reach,
    ResidentLed, Routes, Trends, Turnover, Voices, Withheld, YouSaidWeDid,
};
use sync_core::{
    AgeBand, ConsentGiver, ConsentMethod, ConsentPurpose, DocId, DoorOutcome, Doorstep,
    EntryChannel, EventKind, InteractionKind, Ladder, LawfulBasis, NewConsent, NewEvent, NewGroup,
    NewPerson, Person, ResidentBasis, Role as HeldRole, StageRule, Tenure, Timestamp, WorkingGroup,
};
use tests::server::{HttpPhone, TestDb, TestServer};

mod headlines;

const START: Timestamp = Timestamp::from_millis(1_735_689_600_000); // 2025-01-01T00:00:00Z
const DAY: i64 = Timestamp::DAY_MILLIS;
const PATCHES: [&str; 2] = ["elm-road", "oak-lane"];
const HOUSEHOLDS: [u32; 2] = [640, 410];
const SEATS: u32 = 12;
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
const GROUPS: [&str; 3] = ["green", "youth", "housing"];
const TOPICS: [&str; 3] = ["housing", "parks", "youth"];
/// Days after which a follow-up with no date is overdue (the area's default).
const UNDATED_OVERDUE_DAYS: i64 = 28;
/// Elm Road's census residents by age band (Oak Lane has none).
const CENSUS_AGES: [(AgeBand, u64); 9] = [
    (AgeBand::Under13, 200),
    (AgeBand::From13To17, 80),
    (AgeBand::From18To24, 110),
    (AgeBand::From25To34, 190),
    (AgeBand::From35To44, 170),
    (AgeBand::From45To54, 160),
    (AgeBand::From55To64, 150),
    (AgeBand::From65To74, 120),
    (AgeBand::From75, 90),
];

/// What the phones wrote, as they hold it, and when reports are read.
struct World {
    people: Vec<Person>,
    /// (id, title, start) of each event.
    events: Vec<(DocId, String, Timestamp)>,
    /// Each event's kind, headcount and whether it was cancelled.
    facts: BTreeMap<DocId, (EventKind, Option<u32>, bool)>,
    /// The working groups on the list.
    groups: Vec<WorkingGroup>,
    as_of: Timestamp,
}

/// Generates ~260 people over ten months with a seeded generator and syncs
/// every phone. Champions create some doorstep contacts in their patch;
/// the admin's phone everyone else.
fn generate(
    server: &TestServer,
    admin: &mut HttpPhone,
    champions: &mut [HttpPhone; 2],
    seed: u64,
) -> World {
    let mut rng = fastrand::Rng::with_seed(seed);
    // Topics raised and promises' dates draw from their own generator, so
    // the rest of the world stays as it was.
    let mut talk = fastrand::Rng::with_seed(seed ^ 0x7a1c);
    let end = START.plus_days(320);
    server.clock.set(end);
    let mut events = Vec::new();
    let mut facts = BTreeMap::new();
    // Fun days with crowds counted, training sessions (one never counted).
    let kinds = [
        (EventKind::FunDay, Some(900)),
        (EventKind::Training, None),
        (EventKind::FunDay, Some(650)),
        (EventKind::Training, Some(14)),
    ];
    for (i, offset) in [0, 60, 150, 250].into_iter().enumerate() {
        let starts_at = START.plus_days(offset);
        let (kind, headcount) = kinds[i];
        let title = format!("Event {}", i + 1);
        let id = admin
            .replica
            .create_event(&NewEvent {
                area: "north-estate".into(),
                patch: PATCHES[i % 2].into(),
                title: title.clone(),
                kind,
                starts_at,
                ends_at: None,
                place: None,
                headcount,
            })
            .unwrap();
        events.push((id, title, starts_at));
        facts.insert(id, (kind, headcount, false));
    }
    let event_ids: Vec<DocId> = events.iter().map(|e| e.0).collect();
    // Homes: 60 per patch, so some hold several of the people below.
    let homes: Vec<Vec<DocId>> = PATCHES
        .iter()
        .map(|_| (0..60).map(|_| DocId::new(START)).collect())
        .collect();
    for _ in 0..260 {
        let first = START.plus_days(rng.i64(0..300)).as_millis() + rng.i64(0..DAY);
        let patch_index = rng.usize(..PATCHES.len());
        let patch = PATCHES[patch_index];
        let channel = CHANNELS[rng.usize(..CHANNELS.len())];
        let band = BANDS[rng.usize(..BANDS.len())];
        let depth = rng.u8(..100);
        // Champions knock doors: they record some of the shallow contacts.
        let phone = if depth < 50 && rng.bool() {
            &mut champions[patch_index]
        } else {
            &mut *admin
        };
        let mut follow_up_done = None;
        let id = phone
            .replica
            .create_person(&NewPerson::new("north-estate", patch, channel), |p| {
                p.set_age_band(Some(band))?;
                // Most live at a known door; some signed up with no address.
                if rng.u8(..10) < 8 {
                    p.set_household(Some(homes[patch_index][rng.usize(..60)]))?;
                }
                match rng.u8(..10) {
                    0..=5 => p.set_resident(ResidentBasis::Lives, true)?,
                    6 | 7 => p.set_resident(ResidentBasis::Works, true)?,
                    _ => {}
                }
                let tenures = [
                    Some(Tenure::Owner),
                    Some(Tenure::SocialRent),
                    Some(Tenure::PrivateRent),
                    None,
                ];
                p.set_tenure(tenures[rng.usize(..tenures.len())])?;
                let language = match rng.u8(..20) {
                    0..=13 => Some("english"),
                    14..=16 => Some("polish"),
                    17 | 18 => Some("urdu"),
                    _ => None,
                };
                p.set_language(language)?;
                // Equality monitoring: some consent and give an ethnic group,
                // some consent and give none, the rest are never asked.
                let monitoring = rng.u8(..10);
                if monitoring < 5 {
                    p.record_consent(NewConsent {
                        purpose: ConsentPurpose::EqualityMonitoring,
                        granted: true,
                        lawful_basis: LawfulBasis::Consent,
                        wording_version: "v1".into(),
                        method: ConsentMethod::Doorstep,
                        given_by: ConsentGiver::Subject,
                    })?;
                    if monitoring < 4 {
                        let groups = ["white-british", "asian-british", "black-british", "mixed"];
                        p.set_ethnicity(Some(groups[rng.usize(..groups.len())]))?;
                    }
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
                if outcome == DoorOutcome::Spoke {
                    // None, one or two of the topics.
                    for topic in TOPICS {
                        if talk.u8(..3) == 0 {
                            doorstep = doorstep.topic(topic);
                        }
                    }
                }
                let promised = outcome == DoorOutcome::Spoke && rng.u8(..3) == 0;
                if promised {
                    let due = at(rng.i64(0..60));
                    // Some promises are made with no date.
                    let due = talk.u8(..3).ne(&0).then_some(due);
                    doorstep = doorstep.follow_up("call back", due);
                }
                let knock = p.record_at(InteractionKind::Doorstep(doorstep), at(0))?;
                if promised && rng.bool() {
                    follow_up_done = Some((knock, first + talk.i64(1..70) * DAY));
                }
                if rng.u8(..4) == 0 {
                    // A second knock, nobody in.
                    p.record_at(
                        InteractionKind::Doorstep(Doorstep::new(DoorOutcome::NotIn)),
                        at(rng.i64(1..20)),
                    )?;
                }
                let mut later = 0;
                let mut step = |rng: &mut fastrand::Rng| {
                    later += rng.i64(1..15);
                    at(later)
                };
                if depth >= 50 {
                    for _ in 0..rng.usize(1..4) {
                        let event = event_ids[rng.usize(..event_ids.len())];
                        let when = step(&mut rng);
                        p.record_at(InteractionKind::Attendance { event }, when)?;
                    }
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
                if depth >= 80 {
                    let start = step(&mut rng);
                    let end = rng
                        .bool()
                        .then(|| Timestamp::from_millis(start.as_millis() + 30 * DAY))
                        .filter(|_| depth < 88);
                    p.record(InteractionKind::WorkingGroup {
                        group: GROUPS[rng.usize(..GROUPS.len())].into(),
                        start,
                        end,
                    })?;
                }
                if depth == 89 {
                    // Sat on the board early on, and left long ago.
                    p.record(InteractionKind::Role {
                        role: HeldRole::PartnershipMember,
                        start: START.plus_days(5),
                        end: Some(START.plus_days(25)),
                        hats: Default::default(),
                    })?;
                }
                if depth >= 90 {
                    let start = step(&mut rng);
                    let role = if depth >= 98 {
                        HeldRole::Chair
                    } else {
                        HeldRole::PartnershipMember
                    };
                    // Some have already left; some come back later.
                    let end = depth
                        .is_multiple_of(3)
                        .then(|| Timestamp::from_millis(start.as_millis() + 20 * DAY));
                    // Some wear another hat (from the depth, not `rng`, so
                    // the rest of the data stays as it was).
                    let hats = match depth % 4 {
                        1 => [sync_core::Hat::Councillor].into(),
                        2 => [sync_core::Hat::PaidWorker, sync_core::Hat::Other].into(),
                        _ => Default::default(),
                    };
                    p.record(InteractionKind::Role {
                        role,
                        start,
                        end,
                        hats,
                    })?;
                    if depth == 93 || depth == 96 {
                        p.record(InteractionKind::Role {
                            role: HeldRole::PartnershipMember,
                            start: Timestamp::from_millis(start.as_millis() + 40 * DAY),
                            end: None,
                            hats: Default::default(),
                        })?;
                    }
                    if role == HeldRole::Chair {
                        // A member until becoming chair: not a leaver.
                        p.record(InteractionKind::Role {
                            role: HeldRole::PartnershipMember,
                            start: Timestamp::from_millis(start.as_millis() - 10 * DAY),
                            end: Some(start),
                            hats: Default::default(),
                        })?;
                    }
                    if depth >= 95 {
                        p.record(InteractionKind::Role {
                            role: HeldRole::GroupLead,
                            start,
                            end: None,
                            hats: Default::default(),
                        })?;
                    }
                }
                Ok(())
            })
            .unwrap();
        if let Some((knock, at)) = follow_up_done {
            // Kept some days after it was promised (or today, if later).
            server
                .clock
                .set(Timestamp::from_millis(at.min(end.as_millis())));
            phone
                .replica
                .edit_person(id, |p| p.complete_follow_up(knock, Some("rang back")))
                .unwrap();
            server.clock.set(end);
        }
    }
    // Champions first, so the admin's phone then receives their records.
    for phone in champions.iter_mut().chain(std::iter::once(&mut *admin)) {
        let outcome = phone.sync(&server.base);
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    }
    // Everyone who ever joined a group or held a role comes to the last
    // training session: some hold one then, some have left. (No random
    // numbers here, so the rest of the data stays as it was.)
    let training = events[3].0;
    let involved: Vec<DocId> = admin
        .replica
        .people()
        .unwrap()
        .iter()
        .filter(|p| {
            p.interactions.iter().any(|i| {
                matches!(
                    i.kind,
                    InteractionKind::Role { .. } | InteractionKind::WorkingGroup { .. }
                )
            })
        })
        .map(|p| p.id)
        .collect();
    for id in involved {
        admin
            .replica
            .edit_person(id, |p| {
                p.record_at(
                    InteractionKind::Attendance { event: training },
                    START.plus_days(255),
                )
                .map(|_| ())
            })
            .unwrap();
    }
    // Some who only ever spoke with us at the door join a working group
    // straight away: they reach taking part and volunteering without
    // doing either, what the funnel's "through" tells apart.
    let mut talkers: Vec<DocId> = admin
        .replica
        .people()
        .unwrap()
        .iter()
        .filter(|p| {
            p.interactions.iter().all(|i| match &i.kind {
                InteractionKind::Doorstep(d) => d.outcome == DoorOutcome::Spoke,
                _ => false,
            })
        })
        .map(|p| p.id)
        .collect();
    talkers.sort();
    for id in talkers.into_iter().step_by(4) {
        admin
            .replica
            .edit_person(id, |p| {
                p.record(InteractionKind::WorkingGroup {
                    group: GROUPS[0].into(),
                    start: START.plus_days(260),
                    end: None,
                })
                .map(|_| ())
            })
            .unwrap();
    }
    // A meeting called off and a carnival to come: neither was held.
    for (title, offset, kind, headcount) in [
        ("Called off", 200, EventKind::Meeting, Some(5_000)),
        ("Carnival to come", 330, EventKind::FunDay, Some(3_000)),
    ] {
        let starts_at = START.plus_days(offset);
        let id = admin
            .replica
            .create_event(&NewEvent {
                area: "north-estate".into(),
                patch: PATCHES[0].into(),
                title: title.into(),
                kind,
                starts_at,
                ends_at: None,
                place: None,
                headcount,
            })
            .unwrap();
        let cancelled = offset == 200;
        facts.insert(id, (kind, headcount, cancelled));
        events.push((id, title.into(), starts_at));
    }
    let outcome = admin.sync(&server.base);
    assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    for (id, (_, _, cancelled)) in &facts {
        if *cancelled {
            let status = tests::server::post_empty(
                &format!("{}/v1/admin/events/{id}/cancel", server.base),
                &admin.token,
            );
            assert_eq!(status, 204);
        }
    }
    admin.sync(&server.base);
    let groups = join_groups(admin, &server.base, seed, end);
    let mut people = admin.replica.people().unwrap();
    people.sort_by_key(|p| p.id);
    assert_eq!(
        people.len(),
        260,
        "the admin's phone holds everyone after sync"
    );
    World {
        people,
        events,
        facts,
        groups,
        as_of: end,
    }
}

/// Two working groups on the list (one area-wide, one for Elm Road), and
/// memberships naming them by id, beside the free-text ones: some people
/// join and some leave the area-wide one; some board members joined the
/// Elm Road one before taking their seat. A generator of its own, so the
/// rest of the world stays as it was.
fn join_groups(admin: &mut HttpPhone, base: &str, seed: u64, end: Timestamp) -> Vec<WorkingGroup> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x0067_726f_7570);
    let mut green = NewGroup::new("north-estate", "Green spaces");
    green.devolved_budget = true;
    green.topics = ["parks".to_owned()].into();
    let green = admin.replica.create_group(&green).unwrap();
    let mut elm = NewGroup::new("north-estate", "Elm Road newcomers");
    elm.patch = Some("elm-road".into());
    elm.devolved_decisions = true;
    elm.topics = ["housing".to_owned()].into();
    let elm = admin.replica.create_group(&elm).unwrap();
    // In the order of their first contact (drawn from the seed), not of
    // their ids, whose random bits differ every run: each draw below then
    // falls to the same person every run, and so does every figure.
    let mut contacted: Vec<(Timestamp, Person)> = admin
        .replica
        .people()
        .unwrap()
        .into_iter()
        .filter_map(|p| first_contact(&p, end).map(|first| (first, p)))
        .collect();
    contacted.sort_by_key(|(first, p)| (*first, p.created_at));
    for (first, p) in contacted {
        if rng.u8(..4) == 0 {
            let start = Timestamp::from_millis(
                (first.as_millis() + rng.i64(0..90) * DAY).min(end.as_millis()),
            );
            let entry = admin.replica.join_group(p.id, green, start).unwrap();
            let left = start.as_millis() + rng.i64(10..200) * DAY;
            if rng.u8(..3) == 0 && left < end.as_millis() {
                admin
                    .replica
                    .leave_group(p.id, entry, Timestamp::from_millis(left))
                    .unwrap();
            }
        }
        let seat = p
            .interactions
            .iter()
            .filter_map(|i| match i.kind {
                InteractionKind::Role { role, start, .. } if role.is_partnership_seat() => {
                    Some(start)
                }
                _ => None,
            })
            .min();
        if let Some(seat) = seat
            && rng.bool()
        {
            // Within the generated year, as everything else is.
            let start =
                Timestamp::from_millis((seat.as_millis() - 15 * DAY).max(first.as_millis()));
            admin.replica.join_group(p.id, elm, start).unwrap();
        }
    }
    let outcome = admin.sync(base);
    assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    admin.replica.groups().unwrap()
}

// ------------------------------------------------------------ the oracle

/// The documented suppression rule, written out again here.
#[derive(Clone, Copy)]
struct Rule(u64);

impl Rule {
    fn count(self, n: u64) -> Option<u64> {
        if n == 0 || n >= self.0 { Some(n) } else { None }
    }
}

fn first_contact(p: &Person, as_of: Timestamp) -> Option<Timestamp> {
    Ladder::default().progress(p, as_of).reached[0]
}

/// Whether `p` reached the ladder's stage with `rule` (or went past it):
/// what "conversations" and "participants" count on every report.
fn reached(p: &Person, as_of: Timestamp, rule: StageRule) -> bool {
    let ladder = Ladder::default();
    let stage = ladder
        .stages()
        .iter()
        .position(|s| s.rule == rule)
        .expect("the default ladder has the stage");
    ladder.progress(p, as_of).reached_at(stage).is_some()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

fn median_of(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The oracle's funnel row: (reached, conversion, drop-off, median, p90).
type FunnelRow = (
    Option<u64>,
    Option<f64>,
    Option<u64>,
    Option<f64>,
    Option<f64>,
);

/// The funnel's true figures (medians only for at least `rule`'s threshold
/// of people timed): what is shown must be these, and what is hidden is
/// the disclosure auditor's to judge.
fn funnel_oracle(people: &[&Person], as_of: Timestamp, rule: Rule) -> Vec<FunnelRow> {
    let ladder = Ladder::default();
    let n = ladder.stages().len();
    let dates: Vec<Vec<Option<Timestamp>>> = people
        .iter()
        .map(|p| ladder.progress(p, as_of).reached)
        .collect();
    let count = |stage: usize| dates.iter().filter(|d| d[stage].is_some()).count() as u64;
    (0..n)
        .map(|stage| {
            let here = count(stage);
            let next = (stage + 1 < n).then(|| count(stage + 1));
            let mut gaps: Vec<i64> = dates
                .iter()
                .filter_map(
                    |d| match (stage.checked_sub(1).and_then(|s| d[s]), d[stage]) {
                        (Some(before), Some(at)) => {
                            Some((at.as_millis() - before.as_millis()) / DAY)
                        }
                        _ => None,
                    },
                )
                .collect();
            gaps.sort_unstable();
            let enough = gaps.len() as u64 >= rule.0;
            let median = enough.then(|| {
                let m = gaps.len();
                if m % 2 == 1 {
                    gaps[m / 2] as f64
                } else {
                    (gaps[m / 2 - 1] + gaps[m / 2]) as f64 / 2.0
                }
            });
            let p90 =
                enough.then(|| gaps[((0.9 * gaps.len() as f64).ceil() as usize).max(1) - 1] as f64);
            let dropped = here - next.unwrap_or(0).min(here);
            (
                Some(here),
                match next {
                    Some(next) if here > 0 => Some(next as f64 / here as f64),
                    _ => None,
                },
                Some(dropped),
                median,
                p90,
            )
        })
        .collect()
}

/// Checks one figure a report published against the truth: shown, it is
/// the true count; hidden, it says why, and "small" only for a true 1 to
/// N-1 (`below` is N).
fn check_figure(
    what: &str,
    withheld: &BTreeMap<String, Withheld>,
    below: u64,
    place: &str,
    got: Option<u64>,
    truth: u64,
) {
    match (got, withheld.get(place)) {
        (Some(got), _) => assert_eq!(got, truth, "{what} {place}"),
        (None, Some(Withheld::Small)) => assert!(
            (1..below).contains(&truth),
            "{what} {place}: {truth} labelled small"
        ),
        (None, Some(_)) => {}
        (None, None) => panic!("{what} {place} hidden without a reason"),
    }
}

fn fetch<T: DeserializeOwned>(server: &TestServer, token: &str, path: &str, query: &str) -> T {
    let (status, body) =
        tests::server::get(&format!("{}/v1/reports/{path}?{query}", server.base), token);
    assert_eq!(status, 200, "{path}?{query}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The same word with the same filters is the same number on every
/// report: contacts, conversations and participants on reach are the
/// funnel's Contacted, Conversation and Participant steps.
fn check_equal_words(server: &TestServer, token: &str, query: &str) {
    let funnel: Funnel = fetch(server, token, "funnel", query);
    let reach: Reach = fetch(server, token, "reach", query);
    let step = |key: &str| {
        funnel
            .stages
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| panic!("the funnel has {key}"))
            .reached
    };
    for (word, on_reach, on_funnel) in [
        ("contacts", reach.contacts, step("contacted")),
        ("conversations", reach.conversations, step("conversation")),
        ("participants", reach.participants, step("participant")),
    ] {
        match (on_reach, on_funnel) {
            (Some(a), Some(b)) => assert_eq!(a, b, "{word} {query:?}: reach {a}, funnel {b}"),
            // Each page hides what its own figures would give away.
            _ => assert!(!query.is_empty(), "{word}: the whole area's are shown"),
        }
    }
}

/// Checks what a viewer sees of each report that adjusts its figures
/// against an admin's: refused when the filters choose fewer than ten
/// times the threshold in people, else the same figures hidden for the
/// same reasons and every count within the adjustment's reach.
/// Returns how many counts the viewer saw adjusted.
fn check_viewer(
    server: &TestServer,
    admin: &str,
    viewer: &str,
    query: &str,
    chosen: usize,
) -> usize {
    let mut moved = 0;
    for path in ["funnel", "routes", "civic-core", "events", "reach"] {
        let url = format!("{}/v1/reports/{path}?{query}", server.base);
        let (status, body) = tests::server::get(&url, viewer);
        if !query.is_empty() && chosen < 50 {
            assert_eq!(status, 400, "{path}?{query} of {chosen} people: {body}");
            assert!(body.contains("fewer than 50 people"), "{body}");
            continue;
        }
        assert_eq!(status, 200, "{path}?{query}: {body}");
        let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
        let exact: serde_json::Value = fetch(server, admin, path, query);
        assert_eq!(seen["adjusted"], true, "{path}");
        assert_eq!(exact["adjusted"], false, "{path}");
        assert_eq!(seen["withheld"], exact["withheld"], "{path}?{query}");
        moved += compare_counts(&exact, &seen, path);
    }
    moved
}

/// Walks an admin's and a viewer's answer together: every whole number the
/// admin sees, the viewer sees within the adjustment's reach, and zero as
/// zero. Returns how many differ.
fn compare_counts(exact: &serde_json::Value, seen: &serde_json::Value, at: &str) -> usize {
    use serde_json::Value;
    match (exact, seen) {
        (Value::Object(e), Value::Object(s)) => e
            .iter()
            .filter(|(k, _)| *k != "adjusted")
            .map(|(k, v)| compare_counts(v, &s[k], &format!("{at}.{k}")))
            .sum(),
        (Value::Array(e), Value::Array(s)) => {
            assert_eq!(e.len(), s.len(), "{at}");
            e.iter()
                .zip(s)
                .enumerate()
                .map(|(i, (e, s))| compare_counts(e, s, &format!("{at}.{i}")))
                .sum()
        }
        (Value::Number(e), Value::Number(s)) if e.as_u64().is_some() => {
            let (e, s) = (e.as_u64().unwrap(), s.as_u64().expect("a count"));
            assert!(
                e.abs_diff(s) <= server::reports::cell_key::MAX_NOISE && (e == 0) == (s == 0),
                "{at}: {e} seen as {s}"
            );
            usize::from(e != s)
        }
        (Value::Number(_), Value::Number(_)) => 0,
        (e, s) => {
            assert_eq!(e, s, "{at}");
            0
        }
    }
}

/// Checks the funnel against its true figures: each figure shown is true,
/// and each one hidden says why ("small" only for a true 1 to N-1).
/// Returns how many figures it hides.
fn check_funnel(server: &TestServer, token: &str, query: &str, want: &[FunnelRow]) -> usize {
    let funnel: Funnel = fetch(server, token, "funnel", query);
    let below = funnel.suppressed_below;
    assert_eq!(funnel.stages.len(), want.len(), "funnel {query:?}");
    for (i, (s, want)) in funnel.stages.iter().zip(want).enumerate() {
        let why = |field: &str| funnel.withheld.get(&format!("stages.{i}.{field}")).copied();
        let counts = [
            ("reached", s.reached, want.0),
            ("drop_off", s.drop_off, want.2),
        ];
        for (field, got, truth) in counts {
            let truth = truth.expect("the oracle counts every stage");
            let place = format!("stages.{i}.{field}");
            check_figure(
                &format!("funnel {query:?}"),
                &funnel.withheld,
                below,
                &place,
                got,
                truth,
            );
        }
        let derived = [
            ("conversion_to_next", s.conversion_to_next, want.1),
            (
                "median_days_from_previous",
                s.median_days_from_previous,
                want.3,
            ),
            ("p90_days_from_previous", s.p90_days_from_previous, want.4),
        ];
        for (field, got, truth) in derived {
            match got {
                Some(_) => assert!(
                    close(got, truth),
                    "funnel {query:?} stage {i} {field}: {got:?} not {truth:?}"
                ),
                None => assert!(
                    why(field).is_some(),
                    "funnel {query:?} stage {i} {field} hidden without a reason"
                ),
            }
        }
    }
    funnel.withheld.len()
}

/// Checks the funnel's "through" against the records: per stage, the
/// people who held it by their own evidence (not only by reaching a
/// higher stage), those who also held the next, and their share.
fn check_through(
    server: &TestServer,
    token: &str,
    query: &str,
    people: &[&Person],
    as_of: Timestamp,
) {
    let funnel: Funnel = fetch(server, token, "funnel", query);
    let what = format!("funnel through {query:?}");
    let ladder = Ladder::default();
    let stages = ladder.stages();
    let held: Vec<Vec<bool>> = people
        .iter()
        .map(|p| {
            stages
                .iter()
                .map(|s| s.rule.evidence(p, as_of).is_some())
                .collect()
        })
        .collect();
    let mut skipped_a_step = false;
    for (i, s) in funnel.stages.iter().enumerate() {
        let through = held.iter().filter(|h| h[i]).count() as u64;
        let place = |field: &str| format!("stages.{i}.{field}");
        check_figure(
            &what,
            &funnel.withheld,
            funnel.suppressed_below,
            &place("through"),
            s.through,
            through,
        );
        skipped_a_step |= s.reached.is_some_and(|r| r > through);
        if i + 1 == stages.len() {
            assert_eq!(s.through_next, None, "{what}: the top stage has no next");
            continue;
        }
        let next = held.iter().filter(|h| h[i] && h[i + 1]).count() as u64;
        check_figure(
            &what,
            &funnel.withheld,
            funnel.suppressed_below,
            &place("through_next"),
            s.through_next,
            next,
        );
        let truth = (through > 0).then(|| next as f64 / through as f64);
        match s.through_conversion {
            Some(_) => assert!(
                close(s.through_conversion, truth),
                "{what} stage {i}: {:?} not {truth:?}",
                s.through_conversion
            ),
            None => assert!(
                funnel.withheld.contains_key(&place("through_conversion")),
                "{what} stage {i} conversion hidden without a reason"
            ),
        }
    }
    if query.is_empty() {
        assert!(
            skipped_a_step,
            "{what}: someone reached a stage without holding it"
        );
    }
}

fn check_routes(server: &TestServer, token: &str, query: &str, people: &[&Person], w: &World) {
    let ladder = Ladder::default();
    let top = ladder.stages().len() - 1;
    let mut channels: BTreeMap<String, BTreeMap<usize, u64>> = BTreeMap::new();
    for p in people {
        if let Some(highest) = ladder.progress(p, w.as_of).highest {
            *channels
                .entry(p.entry_channel.as_str().to_owned())
                .or_default()
                .entry(highest)
                .or_default() += 1;
        }
    }
    let routes: Routes = fetch(server, token, "routes", query);
    let what = format!("routes {query:?}");
    let check = |place: String, got, truth| {
        check_figure(
            &what,
            &routes.withheld,
            routes.suppressed_below,
            &place,
            got,
            truth,
        );
    };
    let mut want = Vec::new();
    for (channel, stages) in &channels {
        for (stage, n) in stages {
            want.push((channel.clone(), ladder.stages()[*stage].key.clone(), *n));
        }
    }
    assert_eq!(routes.routes.len(), want.len(), "routes {query:?}");
    for (i, (route, (channel, stage, n))) in routes.routes.iter().zip(&want).enumerate() {
        assert_eq!(
            (&route.entry_channel, &route.highest_stage),
            (channel, stage)
        );
        check(format!("routes.{i}.people"), route.people, *n);
    }
    for (j, outcome) in routes.by_channel.iter().enumerate() {
        let stages = &channels[&outcome.entry_channel];
        let n: u64 = stages.values().sum();
        let t = stages.get(&top).copied().unwrap_or(0);
        check(format!("by_channel.{j}.people"), outcome.people, n);
        check(
            format!("by_channel.{j}.reached_top"),
            outcome.reached_top,
            t,
        );
    }
}

fn check_civic_core(server: &TestServer, token: &str, query: &str, people: &[&Person], w: &World) {
    let core: CivicCore = fetch(server, token, "civic-core", query);
    let what = format!("civic core {query:?}");
    let check = |place: &str, got, truth| {
        check_figure(
            &what,
            &core.withheld,
            core.suppressed_below,
            place,
            got,
            truth,
        );
    };
    // Roles and memberships held now.
    let mut by_count = [0u64; 3];
    for p in people {
        let held = p
            .interactions
            .iter()
            .filter(|i| match i.kind {
                InteractionKind::Role { start, end, .. }
                | InteractionKind::WorkingGroup { start, end, .. } => {
                    start <= w.as_of && end.is_none_or(|e| e > w.as_of)
                }
                _ => false,
            })
            .count();
        if held > 0 {
            by_count[held.min(3) - 1] += 1;
        }
    }
    let held = &core.roles_held;
    check("roles_held.people", held.people, by_count.iter().sum());
    check("roles_held.one", held.one, by_count[0]);
    check("roles_held.two", held.two, by_count[1]);
    check("roles_held.three_or_more", held.three_or_more, by_count[2]);
    check(
        "roles_held.two_or_more",
        held.two_or_more,
        by_count[1] + by_count[2],
    );
    // The most active tenth's share of activity.
    let mut activity: Vec<u64> = people
        .iter()
        .map(|p| {
            p.interactions
                .iter()
                .filter(|i| {
                    matches!(
                        i.kind,
                        InteractionKind::Attendance { .. }
                            | InteractionKind::Volunteering { .. }
                            | InteractionKind::WorkingGroup { .. }
                            | InteractionKind::Role { .. }
                    )
                })
                .count() as u64
        })
        .filter(|a| *a > 0)
        .collect();
    activity.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = activity.iter().sum();
    let tenth = activity.len().div_ceil(10);
    let top: u64 = activity[..tenth].iter().sum();
    check("active_people", core.active_people, activity.len() as u64);
    if core.active_people.is_some() {
        assert_eq!(core.activity, Some(total), "{query:?}");
        assert!(
            close(
                core.top_tenth_share,
                (total > 0).then(|| top as f64 / total as f64)
            ),
            "{query:?}: {:?}",
            core.top_tenth_share
        );
    } else {
        assert_eq!((core.activity, core.top_tenth_share), (None, None));
    }
    // First-time and returning attendees per event.
    let mut attendees: BTreeMap<DocId, (BTreeSet<DocId>, BTreeSet<DocId>)> = BTreeMap::new();
    for p in people {
        let attendances: Vec<_> = p
            .interactions
            .iter()
            .filter_map(|i| match i.kind {
                InteractionKind::Attendance { event } => Some((i.at, i.id, event)),
                _ => None,
            })
            .collect();
        let first = attendances.iter().min().map(|(_, id, _)| *id);
        for (_, id, event) in &attendances {
            let entry = attendees.entry(*event).or_default();
            entry.0.insert(p.id);
            if Some(*id) == first {
                entry.1.insert(p.id);
            }
        }
    }
    let mut want_events = Vec::new();
    let mut months: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (event, title, starts) in &w.events {
        let Some((all, first)) = attendees.get(event) else {
            continue;
        };
        let (all, first) = (all.len() as u64, first.len() as u64);
        want_events.push((title.clone(), all, first, all - first));
        // The generator's events start on the first of a month or within one.
        let month = month_2025(*starts);
        let m = months.entry(month).or_default();
        m.0 += all;
        m.1 += first;
    }
    assert_eq!(core.events.len(), want_events.len(), "events {query:?}");
    for (i, (e, (title, all, first, returning))) in core.events.iter().zip(&want_events).enumerate()
    {
        assert_eq!(&e.title, title, "events {query:?}");
        check(&format!("events.{i}.attendees"), e.attendees, *all);
        check(&format!("events.{i}.first_time"), e.first_time, *first);
        check(&format!("events.{i}.returning"), e.returning, *returning);
    }
    assert_eq!(core.months.len(), months.len(), "months {query:?}");
    for (k, (m, (month, (all, first)))) in core.months.iter().zip(&months).enumerate() {
        assert_eq!(&m.month, month, "months {query:?}");
        check(&format!("months.{k}.attendees"), m.attendees, *all);
        check(&format!("months.{k}.first_time"), m.first_time, *first);
        check(&format!("months.{k}.returning"), m.returning, all - first);
    }
}

/// Checks the events report against the records: events held (started,
/// not cancelled) and their headcounts exactly; per kind and per month,
/// attendances (each person once per event), first time (their first
/// event ever), returning, and by people holding a seat, an office or a
/// working-group membership when they came.
fn check_events(server: &TestServer, token: &str, query: &str, people: &[&Person], w: &World) {
    let report: EventReach = fetch(server, token, "events", query);
    let what = format!("events {query:?}");
    let check = |place: &str, got, truth| {
        check_figure(
            &what,
            &report.withheld,
            report.suppressed_below,
            place,
            got,
            truth,
        );
    };
    let held: BTreeMap<DocId, (EventKind, Option<u32>, String)> = w
        .events
        .iter()
        .filter_map(|(id, _, starts)| {
            let (kind, headcount, cancelled) = w.facts[id];
            (!cancelled && *starts <= w.as_of)
                .then(|| (*id, (kind, headcount, month_2025(*starts))))
        })
        .collect();
    // Per group: events, counted, headcount, [first & role, first, returning
    // & role, returning].
    #[derive(Default, Clone, Copy)]
    struct Want {
        events: u64,
        counted: u64,
        headcount: u64,
        first: u64,
        returning: u64,
        holding: u64,
    }
    // Months: this one (the generator's world ends in 2025) and the eleven
    // before it.
    let last = month_number(w.as_of.as_millis()) as i64;
    let first_month = if last == 12 {
        "2025-01".to_owned()
    } else {
        format!("2024-{:02}", last + 1)
    };
    let keys = |kind: &EventKind, month: &String| {
        let mut keys = vec!["all".to_owned(), format!("kind:{}", kind.as_str())];
        if *month >= first_month {
            keys.push(format!("month:{month}"));
        }
        keys
    };
    let mut groups: BTreeMap<String, Want> = BTreeMap::new();
    for (kind, headcount, month) in held.values() {
        for key in keys(kind, month) {
            let g = groups.entry(key).or_default();
            g.events += 1;
            g.counted += u64::from(headcount.is_some());
            g.headcount += u64::from(headcount.unwrap_or(0));
        }
    }
    for p in people {
        let mut attendances: Vec<_> = p
            .interactions
            .iter()
            .filter_map(|i| match i.kind {
                InteractionKind::Attendance { event } => Some((i.at, i.id, event)),
                _ => None,
            })
            .collect();
        attendances.sort_unstable();
        let mut seen = BTreeSet::new();
        for (n, (at, _, event)) in attendances.iter().enumerate() {
            // A repeat at an event already attended counts once, at the
            // first time.
            if !seen.insert(*event) {
                continue;
            }
            let Some((kind, _, month)) = held.get(event) else {
                continue;
            };
            let holding = p.interactions.iter().any(|i| match i.kind {
                InteractionKind::Role { start, end, .. }
                | InteractionKind::WorkingGroup { start, end, .. } => {
                    start <= *at && end.is_none_or(|e| e > *at)
                }
                _ => false,
            });
            for key in keys(kind, month) {
                let g = groups.entry(key).or_default();
                if n == 0 {
                    g.first += 1;
                } else {
                    g.returning += 1;
                }
                g.holding += u64::from(holding);
            }
        }
    }
    let kinds: Vec<String> = EventKind::ALL
        .iter()
        .filter(|k| groups.contains_key(&format!("kind:{}", k.as_str())))
        .map(|k| k.as_str().to_owned())
        .collect();
    let months: Vec<String> = groups
        .keys()
        .filter_map(|k| k.strip_prefix("month:").map(str::to_owned))
        .collect();
    let got_kinds: Vec<&str> = report.by_kind.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(got_kinds, kinds, "{what}");
    let got_months: Vec<&str> = report.by_month.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(got_months, months, "{what}");
    let rows = std::iter::once(("all".to_owned(), "all".to_owned(), &report.all))
        .chain(
            report
                .by_kind
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("by_kind.{i}"), format!("kind:{}", g.key), g)),
        )
        .chain(
            report
                .by_month
                .iter()
                .enumerate()
                .map(|(k, g)| (format!("by_month.{k}"), format!("month:{}", g.key), g)),
        );
    for (place, key, g) in rows {
        let want = groups[&key];
        assert_eq!(
            (g.events, g.events_counted, g.headcount),
            (want.events, want.counted, want.headcount),
            "{what} {place}: events and headcounts are exact"
        );
        let all = want.first + want.returning;
        check(&format!("{place}.attendees"), g.attendees, all);
        check(&format!("{place}.first_time"), g.first_time, want.first);
        check(&format!("{place}.returning"), g.returning, want.returning);
        check(
            &format!("{place}.holding_role"),
            g.holding_role,
            want.holding,
        );
        let share = |part: u64| (all > 0).then(|| part as f64 / all as f64);
        for (field, got, truth) in [
            ("share_first_time", g.share_first_time, share(want.first)),
            (
                "share_holding_role",
                g.share_holding_role,
                share(want.holding),
            ),
        ] {
            match got {
                Some(_) => assert!(
                    close(got, truth),
                    "{what} {place}.{field}: {got:?} not {truth:?}"
                ),
                None => assert!(
                    report.withheld.contains_key(&format!("{place}.{field}")),
                    "{what} {place}.{field} hidden without a reason"
                ),
            }
        }
    }
}

/// `YYYY-MM` of a time in 2025 (the generator stays within it).
fn month_2025(t: Timestamp) -> String {
    format!("2025-{:02}", month_number(t.as_millis()))
}

fn month_number(ms: i64) -> usize {
    let starts: Vec<i64> = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        .iter()
        .map(|d| START.as_millis() + d * DAY)
        .collect();
    starts.iter().rposition(|s| *s <= ms).unwrap() + 1
}

type Counts = [u64; 3];

/// Checks reach against the true counts: each figure shown is true, each
/// one hidden says why ("small" only for a true 1 to N-1), and a rate or
/// share is shown only with what it is made of.
fn check_reach(server: &TestServer, token: &str, query: &str, people: &[&Person], w: &World) {
    let reach: Reach = fetch(server, token, "reach", query);
    let what = format!("reach {query:?}");
    let check = |place: String, got, truth| {
        check_figure(
            &what,
            &reach.withheld,
            reach.suppressed_below,
            &place,
            got,
            truth,
        );
    };
    let counts = |group: &dyn Fn(&Person) -> Option<String>| -> BTreeMap<Option<String>, Counts> {
        let mut out: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        for p in people {
            let c = out.entry(group(p)).or_default();
            c[0] += 1;
            c[1] += u64::from(reached(p, w.as_of, StageRule::Conversation));
            c[2] += u64::from(reached(p, w.as_of, StageRule::Participant));
        }
        out
    };
    let compare =
        |list: &str, got: &[server::reports::ReachRow], want: BTreeMap<Option<String>, Counts>| {
            let want: BTreeMap<String, Counts> = want
                .into_iter()
                .map(|(g, c)| (g.unwrap_or_else(|| NOT_RECORDED.to_owned()), c))
                .collect();
            assert_eq!(
                got.iter().map(|r| r.group.clone()).collect::<BTreeSet<_>>(),
                want.keys().cloned().collect::<BTreeSet<_>>(),
                "reach {query:?} {list} groups"
            );
            for (i, row) in got.iter().enumerate() {
                let truth = want[&row.group];
                let columns = [row.contacts, row.conversations, row.participants];
                for (c, column) in ["contacts", "conversations", "participants"]
                    .iter()
                    .enumerate()
                {
                    check(format!("{list}.{i}.{column}"), columns[c], truth[c]);
                }
            }
        };
    // Patches: both configured patches appear, reached or not.
    let mut patches = counts(&|p| Some(p.patch.clone()));
    for patch in PATCHES {
        patches.entry(Some(patch.to_owned())).or_default();
    }
    compare("by_patch", &reach.by_patch, patches);
    for (i, patch) in PATCHES.iter().enumerate() {
        let row = reach.by_patch.iter().find(|r| r.group == *patch).unwrap();
        assert_eq!(row.households, Some(HOUSEHOLDS[i]));
        // Households: the distinct homes of the people counted.
        let at = reach
            .by_patch
            .iter()
            .position(|r| r.group == *patch)
            .unwrap();
        let homes = |rule: Option<StageRule>| {
            people
                .iter()
                .filter(|p| p.patch == *patch && rule.is_none_or(|r| reached(p, w.as_of, r)))
                .filter_map(|p| p.household)
                .collect::<BTreeSet<_>>()
                .len() as u64
        };
        for (field, got, rate, rule) in [
            (
                "households_contacted",
                row.households_contacted,
                row.households_contacted_per_1000_households,
                None,
            ),
            (
                "households_with_conversations",
                row.households_with_conversations,
                row.households_with_conversations_per_1000_households,
                Some(StageRule::Conversation),
            ),
            (
                "households_with_participants",
                row.households_with_participants,
                row.households_with_participants_per_1000_households,
                Some(StageRule::Participant),
            ),
        ] {
            let truth = homes(rule);
            check(format!("by_patch.{at}.{field}"), got, truth);
            assert!(truth <= u64::from(HOUSEHOLDS[i]) || got.is_none());
            let expected = got.map(|n| n as f64 * 1000.0 / f64::from(HOUSEHOLDS[i]));
            assert!(close(rate, expected), "{query:?} {field}");
        }
    }
    check("contacts".into(), reach.contacts, people.len() as u64);
    let bands = counts(&|p| p.age_band.map(|b| b.as_str().to_owned()));
    compare("by_age_band", &reach.by_age_band, bands.clone());
    let under = |column: usize| {
        let (mut under, mut known) = (0u64, 0u64);
        for (band, c) in &bands {
            if let Some(band) = band.as_deref().and_then(AgeBand::parse) {
                known += c[column];
                if band.is_under_55() {
                    under += c[column];
                }
            }
        }
        (under, known)
    };
    for (column, kind, shown, share) in [
        (
            0,
            "contacts",
            (reach.contacts_under_55, reach.contacts_with_age_band),
            reach.under_55_share_of_contacts,
        ),
        (
            2,
            "participants",
            (
                reach.participants_under_55,
                reach.participants_with_age_band,
            ),
            reach.under_55_share_of_participants,
        ),
    ] {
        let (u, k) = under(column);
        check(format!("{kind}_under_55"), shown.0, u);
        check(format!("{kind}_with_age_band"), shown.1, k);
        match (shown, share) {
            ((Some(_), Some(_)), Some(share)) => {
                assert!(close(Some(share), Some(u as f64 / k as f64)), "{query:?}")
            }
            (_, None) => assert!(
                reach
                    .withheld
                    .contains_key(&format!("under_55_share_of_{kind}"))
            ),
            (_, Some(_)) => panic!("{query:?}: a share shown without what it is made of"),
        }
    }
    let tenure = counts(&|p| p.tenure.map(|t| t.as_str().to_owned()));
    compare("by_tenure", &reach.by_tenure, tenure);
    let language = counts(&|p| p.language.clone());
    compare("by_language", &reach.by_language, language);
    // Ethnicity, only from people with equality-monitoring consent.
    let ethnicity = counts(&|p| {
        p.ethnicity
            .clone()
            .filter(|_| p.has_consent(ConsentPurpose::EqualityMonitoring))
    });
    compare("by_ethnicity", &reach.by_ethnicity, ethnicity);
}

fn check_champions(server: &TestServer, token: &str, query: &str, people: &[&Person], w: &World) {
    let activity: ChampionActivity = fetch(server, token, "champions", query);
    let mut counts: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
    for p in people {
        for i in &p.interactions {
            if let InteractionKind::Doorstep(d) = &i.kind {
                let c = counts
                    .entry((i.recorded_by.to_string(), p.patch.clone()))
                    .or_default();
                c[0] += 1;
                c[1] += u64::from(d.outcome == DoorOutcome::Spoke);
                if let Some(f) = d.follow_up.as_ref().filter(|f| f.done.is_none()) {
                    c[2] += 1;
                    c[3] += u64::from(deadline(i.at, f.due) < w.as_of);
                }
            }
        }
    }
    let what = format!("champions {query:?}");
    let check = |place: String, got, truth| {
        check_figure(
            &what,
            &activity.withheld,
            activity.suppressed_below,
            &place,
            got,
            truth,
        );
    };
    let fields = [
        "knocks",
        "conversations_held",
        "follow_ups_owed",
        "follow_ups_overdue",
    ];
    assert_eq!(
        activity
            .rows
            .iter()
            .map(|r| (r.champion.clone(), r.patch.clone()))
            .collect::<Vec<_>>(),
        counts.keys().cloned().collect::<Vec<_>>(),
        "champions {query:?}"
    );
    for (i, (r, c)) in activity.rows.iter().zip(counts.values()).enumerate() {
        let got = [
            r.knocks,
            r.conversations_held,
            r.follow_ups_owed,
            r.follow_ups_overdue,
        ];
        for (k, field) in fields.iter().enumerate() {
            check(format!("rows.{i}.{field}"), got[k], c[k]);
        }
    }
    let totals = [
        activity.knocks,
        activity.conversations_held,
        activity.follow_ups_owed,
        activity.follow_ups_overdue,
    ];
    for (k, field) in fields.iter().enumerate() {
        check(
            (*field).to_owned(),
            totals[k],
            counts.values().map(|c| c[k]).sum(),
        );
    }
}

/// When a follow-up promised at `at` is overdue: its date, or with none
/// the area's days after it was promised.
fn deadline(at: Timestamp, due: Option<Timestamp>) -> Timestamp {
    due.unwrap_or(at.plus_days(UNDATED_OVERDUE_DAYS))
}

/// Whether something that happened at `at` in `patch` is chosen by a
/// query of the reports that count what happened (voices, promises).
type Happened = Box<dyn Fn(Timestamp, &str) -> bool>;

/// Voices against the oracle: conversations per topic (and would-like-to-
/// join) per patch and month, in the period the query chooses.
fn check_voices(server: &TestServer, token: &str, query: &str, w: &World, pick: &Happened) {
    let voices: Voices = fetch(server, token, "voices", query);
    let what = format!("voices {query:?}");
    // (topic) -> patch -> [raised, wanted]; (topic) -> month -> raised.
    let mut by_patch: BTreeMap<String, BTreeMap<String, [u64; 2]>> = BTreeMap::new();
    let mut by_month: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for p in &w.people {
        for i in &p.interactions {
            let InteractionKind::Doorstep(d) = &i.kind else {
                continue;
            };
            if !pick(i.at, &p.patch) {
                continue;
            }
            let month = month_2025(i.at);
            assert!(
                voices.months.contains(&month),
                "{what}: {month} is not shown"
            );
            for t in &d.topics {
                by_patch
                    .entry(t.clone())
                    .or_default()
                    .entry(p.patch.clone())
                    .or_default()[0] += 1;
                *by_month
                    .entry(t.clone())
                    .or_default()
                    .entry(month.clone())
                    .or_default() += 1;
            }
            for t in &d.wants_to_join {
                by_patch
                    .entry(t.clone())
                    .or_default()
                    .entry(p.patch.clone())
                    .or_default()[1] += 1;
            }
        }
    }
    let check = |place: String, got, truth| {
        check_figure(
            &what,
            &voices.withheld,
            voices.suppressed_below,
            &place,
            got,
            truth,
        );
    };
    let empty = BTreeMap::new();
    for (i, t) in voices.topics.iter().enumerate() {
        let patches = by_patch.get(&t.topic).unwrap_or(&empty);
        check(
            format!("topics.{i}.raised"),
            t.raised,
            patches.values().map(|c| c[0]).sum(),
        );
        check(
            format!("topics.{i}.wants_to_join"),
            t.wants_to_join,
            patches.values().map(|c| c[1]).sum(),
        );
        let listed: BTreeSet<&str> = t.by_patch.iter().map(|r| r.patch.as_str()).collect();
        assert_eq!(
            listed,
            patches.keys().map(String::as_str).collect(),
            "{what}: the patches where {} came up",
            t.topic
        );
        for (j, row) in t.by_patch.iter().enumerate() {
            let truth = patches[&row.patch];
            check(
                format!("topics.{i}.by_patch.{j}.raised"),
                row.raised,
                truth[0],
            );
            check(
                format!("topics.{i}.by_patch.{j}.wants_to_join"),
                row.wants_to_join,
                truth[1],
            );
        }
        for (m, month) in voices.months.iter().enumerate() {
            let truth = by_month
                .get(&t.topic)
                .and_then(|c| c.get(month))
                .copied()
                .unwrap_or(0);
            check(
                format!("topics.{i}.raised_by_month.{m}"),
                t.raised_by_month[m],
                truth,
            );
        }
    }
    // Beside each topic, the open groups on it (by name), and beside each
    // patch those serving it or the whole area.
    let mut groups: Vec<&WorkingGroup> = w.groups.iter().filter(|g| !g.closed).collect();
    groups.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    let on = |topic: &str, patch: Option<&str>| -> Vec<String> {
        groups
            .iter()
            .filter(|g| g.topics.contains(topic))
            .filter(|g| patch.is_none_or(|p| g.patch.as_deref().is_none_or(|gp| gp == p)))
            .map(|g| g.name.clone())
            .collect()
    };
    for t in &voices.topics {
        assert_eq!(
            t.groups,
            on(&t.topic, None),
            "{what}: groups on {}",
            t.topic
        );
        for row in &t.by_patch {
            assert_eq!(
                row.groups,
                on(&t.topic, Some(&row.patch)),
                "{what}: groups on {} in {}",
                t.topic,
                row.patch
            );
        }
    }
    assert!(
        voices
            .topics
            .iter()
            .any(|t| t.by_patch.iter().any(|r| r.groups.is_empty()))
            && voices
                .topics
                .iter()
                .any(|t| t.by_patch.iter().any(|r| !r.groups.is_empty())),
        "{what}: topics with and without a group"
    );
    let shown: BTreeSet<&str> = voices.topics.iter().map(|t| t.topic.as_str()).collect();
    for topic in by_patch.keys() {
        assert!(shown.contains(topic.as_str()), "{what}: {topic} is missing");
    }
}

/// "You said, we did" against the oracle: promises made in the period,
/// per patch and topic, done, on time, open and overdue, with medians.
fn check_promises(server: &TestServer, token: &str, query: &str, w: &World, pick: &Happened) {
    let report: YouSaidWeDid = fetch(server, token, "you-said-we-did", query);
    let what = format!("you-said-we-did {query:?}");
    assert_eq!(report.overdue_after_days, UNDATED_OVERDUE_DAYS as u32);
    // [promised, done, on time, open, overdue] and days to done, per key.
    type Kept = ([u64; 5], Vec<f64>);
    let mut truth: BTreeMap<(&str, String), Kept> = BTreeMap::new();
    for p in &w.people {
        for i in &p.interactions {
            let InteractionKind::Doorstep(d) = &i.kind else {
                continue;
            };
            let Some(f) = &d.follow_up else { continue };
            if !pick(i.at, &p.patch) {
                continue;
            }
            let deadline = deadline(i.at, f.due);
            let keys = std::iter::once(("patch", p.patch.clone()))
                .chain(std::iter::once(("all", "all".to_owned())))
                .chain(d.topics.iter().map(|t| ("topic", t.clone())));
            for key in keys {
                let (c, days) = truth.entry(key).or_default();
                c[0] += 1;
                match &f.done {
                    Some(done) => {
                        c[1] += 1;
                        c[2] += u64::from(done.at <= deadline);
                        days.push(((done.at.as_millis() - i.at.as_millis()) / DAY) as f64);
                    }
                    None => {
                        c[3] += 1;
                        c[4] += u64::from(deadline < w.as_of);
                    }
                }
            }
        }
    }
    let fields = ["promised", "done", "done_on_time", "open", "overdue"];
    let below = report.suppressed_below;
    let rows = report
        .by_patch
        .iter()
        .enumerate()
        .map(|(i, r)| (("patch", r.key.clone()), format!("by_patch.{i}."), r))
        .chain(
            report
                .by_topic
                .iter()
                .enumerate()
                .map(|(i, r)| (("topic", r.key.clone()), format!("by_topic.{i}."), r)),
        )
        .chain(std::iter::once((
            ("all", "all".to_owned()),
            "all.".to_owned(),
            &report.all,
        )));
    let mut seen = 0;
    for (key, prefix, row) in rows {
        let (c, days) = truth.get(&key).cloned().unwrap_or_default();
        seen += usize::from(c[0] > 0);
        let got = [
            row.promised,
            row.done,
            row.done_on_time,
            row.open,
            row.overdue,
        ];
        for (k, field) in fields.iter().enumerate() {
            check_figure(
                &what,
                &report.withheld,
                below,
                &format!("{prefix}{field}"),
                got[k],
                c[k],
            );
        }
        // A median only of enough promises done, and then the true one.
        match row.median_days_to_done {
            Some(m) => {
                assert!(
                    c[1] >= below,
                    "{what} {prefix}: a median of {} promises",
                    c[1]
                );
                assert!(close(Some(m), median_of(days)), "{what} {prefix}median");
            }
            None => assert!(
                c[1] < below || row.done.is_none(),
                "{what} {prefix}: the median is missing"
            ),
        }
    }
    assert_eq!(seen, truth.len(), "{what}: every patch and topic is a row");
}

/// The board report from the records alone: the members now (each once,
/// however many seats), their sides of 55 and of owning their home, and
/// everyone contacted by the same groups; the census from the figures put.
fn check_board(server: &TestServer, token: &str, w: &World) {
    let now = w.as_of;
    let r: Board = fetch(server, token, "board", "");
    let below = r.suppressed_below;
    let seat_now = |p: &Person| {
        p.interactions.iter().any(|i| {
            matches!(i.kind, InteractionKind::Role { role, start, end, .. }
                if role.is_partnership_seat() && start <= now && end.is_none_or(|e| e > now))
        })
    };
    let members: Vec<&Person> = w.people.iter().filter(|p| seat_now(p)).collect();
    let contacts: Vec<&Person> = w
        .people
        .iter()
        .filter(|p| first_contact(p, now).is_some())
        .collect();
    assert_eq!(r.members, members.len() as u64, "members: public, exact");
    assert_eq!(r.contacts, Some(contacts.len() as u64));
    let adult = |p: &Person| p.age_band.filter(|b| !b.is_under_18());
    // (group key, is on the first side) per breakdown.
    let side_of = |name: &str, p: &Person| -> Option<(String, bool)> {
        if name == "age" {
            adult(p).map(|b| (b.as_str().to_owned(), b.is_under_55()))
        } else {
            p.tenure
                .map(|t| (t.as_str().to_owned(), t == Tenure::Owner))
        }
    };
    let pct = |n: u64, of: u64| (of > 0).then(|| (n as f64 * 100.0 / of as f64).min(100.0));
    for (name, b) in [("age", &r.age), ("tenure", &r.tenure)] {
        let known: Vec<(String, bool)> = contacts.iter().filter_map(|p| side_of(name, p)).collect();
        let at = |place: String, got: Option<u64>, truth: u64| {
            check_figure("board", &r.withheld, below, &place, got, truth);
        };
        at(
            format!("{name}.contacts_known"),
            b.contacts_known,
            known.len() as u64,
        );
        for (i, g) in b.groups.iter().enumerate() {
            let n = known.iter().filter(|(k, _)| *k == g.group).count() as u64;
            at(format!("{name}.groups.{i}.contacts"), g.contacts, n);
            if let (Some(c), Some(k)) = (g.contacts, b.contacts_known) {
                assert!(
                    close(g.contacts_share_percent, pct(c, k)),
                    "{name} {}",
                    g.group
                );
            }
        }
        let on_board: Vec<bool> = members
            .iter()
            .filter_map(|p| side_of(name, p).map(|(_, first)| first))
            .collect();
        for (s, side) in b.sides.iter().enumerate() {
            let first = s == 0;
            let truth = on_board.iter().filter(|f| **f == first).count() as u64;
            match (
                side.board,
                r.withheld.get(&format!("{name}.sides.{s}.board")),
            ) {
                (Some(n), _) => assert_eq!(n, truth, "{name} board side {s}"),
                // Board sides are small from 0: a 0 would tell every member's.
                (None, Some(Withheld::Small)) => assert!(truth < below, "{name} side {s}"),
                (None, Some(_)) => {}
                (None, None) => panic!("{name} board side {s} hidden without a reason"),
            }
            if let (Some(a), Some(b2)) = (b.sides[0].board, b.sides[1].board) {
                assert!(close(side.board_share_percent, pct(truth, a + b2)));
            }
            let n = known.iter().filter(|(_, f)| *f == first).count() as u64;
            at(format!("{name}.sides.{s}.contacts"), side.contacts, n);
        }
        assert_eq!(b.census_patches, vec![PATCHES[0].to_owned()], "{name}");
        assert_eq!(
            b.patches_without_census,
            vec![PATCHES[1].to_owned()],
            "{name}"
        );
    }
    // The census: Elm Road's adults, and its households.
    let adults: Vec<(AgeBand, u64)> = CENSUS_AGES
        .iter()
        .copied()
        .filter(|(b, _)| !b.is_under_18())
        .collect();
    let all_adults: u64 = adults.iter().map(|(_, n)| n).sum();
    let over_55: u64 = adults
        .iter()
        .filter(|(b, _)| !b.is_under_55())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(r.age.census_known, Some(all_adults));
    assert_eq!(r.age.sides[1].census, Some(over_55));
    assert!(close(
        r.age.sides[1].census_share_percent,
        pct(over_55, all_adults)
    ));
    assert_eq!(r.tenure.census_known, Some(640));
    assert!(close(r.tenure.sides[0].census_share_percent, pct(300, 640)));
    // Resident definitions and hats: the board's exact.
    for row in &r.resident_definitions {
        let lives_only = row.group == "lives-here";
        let counts = |p: &Person| {
            p.residency
                .iter()
                .any(|b| *b == ResidentBasis::Lives || (!lives_only && *b != ResidentBasis::Other))
        };
        let board = members.iter().filter(|p| counts(p)).count() as u64;
        assert_eq!(row.board, board, "{}", row.group);
    }
    for (i, row) in r.resident_definitions.iter().enumerate() {
        let lives_only = row.group == "lives-here";
        let n = contacts
            .iter()
            .filter(|p| {
                p.residency.iter().any(|b| {
                    *b == ResidentBasis::Lives || (!lives_only && *b != ResidentBasis::Other)
                })
            })
            .count() as u64;
        let place = format!("resident_definitions.{i}.contacts");
        check_figure("board", &r.withheld, below, &place, row.contacts, n);
    }
    assert!(r.members > 0, "the data should have a board");
    for row in &r.hats {
        let hat = sync_core::Hat::parse(&row.group).expect("a hat");
        let wearing = members
            .iter()
            .filter(|p| {
                p.interactions.iter().any(|i| match &i.kind {
                    InteractionKind::Role {
                        role,
                        start,
                        end,
                        hats,
                    } => {
                        role.is_partnership_seat()
                            && *start <= now
                            && end.is_none_or(|e| e > now)
                            && hats.contains(&hat)
                    }
                    _ => false,
                })
            })
            .count() as u64;
        assert_eq!(row.board, wearing, "{}", row.group);
    }
}

/// The first day (UTC, ms) of `year`-`month`, by the civil calendar.
fn civil_day(year: i64, month: i64) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * DAY
}

/// The groups report: each group on the list (by name), then each name
/// not on it, its members now, newcomers, members at each quarter's end,
/// joiners in the last year and members who later took a seat.
fn check_groups(server: &TestServer, token: &str, w: &World) {
    let report: GroupsReport = fetch(server, token, "groups", "");
    let now = w.as_of.as_millis();
    let year = 365 * DAY;
    let rule = Rule(5);
    let mut listed = w.groups.clone();
    listed.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    let mut keys: Vec<(String, String, bool)> = listed
        .iter()
        .map(|g| (g.id.to_string(), g.name.clone(), true))
        .collect();
    let free: BTreeSet<String> = w
        .people
        .iter()
        .flat_map(|p| &p.interactions)
        .filter_map(|i| match &i.kind {
            InteractionKind::WorkingGroup { group, .. } => Some(group.clone()),
            _ => None,
        })
        .filter(|g| !keys.iter().any(|(k, _, _)| k == g))
        .collect();
    assert_eq!(free.len(), GROUPS.len(), "the older phones' names");
    keys.extend(free.into_iter().map(|g| (g.clone(), g, false)));
    let got: Vec<(&str, &str, bool)> = report
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.name.as_str(), g.on_list))
        .collect();
    let want: Vec<(&str, &str, bool)> = keys
        .iter()
        .map(|(k, n, l)| (k.as_str(), n.as_str(), *l))
        .collect();
    assert_eq!(got, want);

    // The quarters: the last eight that have ended, oldest first.
    let (y, m) = {
        let month = month_2025(w.as_of);
        let m: i64 = month[5..7].parse().unwrap();
        (2025, (m - 1) / 3 * 3 + 1)
    };
    let mut ends = Vec::new();
    let (mut qy, mut qm) = (y, m);
    for _ in 0..8 {
        let end = civil_day(qy, qm);
        (qy, qm) = if qm == 1 { (qy - 1, 10) } else { (qy, qm - 3) };
        ends.push((end, format!("{qy:04}-Q{}", (qm - 1) / 3 + 1)));
    }
    ends.reverse();
    let labels: Vec<String> = ends.iter().map(|(_, l)| l.clone()).collect();
    assert_eq!(report.quarters, labels);

    let memberships = |key: &str| -> Vec<(&Person, i64, Option<i64>)> {
        w.people
            .iter()
            .flat_map(|p| p.interactions.iter().map(move |i| (p, i)))
            .filter_map(|(p, i)| match &i.kind {
                InteractionKind::WorkingGroup { group, start, end } if group == key => {
                    Some((p, start.as_millis(), end.map(Timestamp::as_millis)))
                }
                _ => None,
            })
            .collect()
    };
    let seats = |p: &Person| -> Vec<i64> {
        p.interactions
            .iter()
            .filter_map(|i| match i.kind {
                InteractionKind::Role { role, start, .. } if role.is_partnership_seat() => {
                    Some(start.as_millis())
                }
                _ => None,
            })
            .collect()
    };
    let mut pipeline = 0;
    for (i, (key, _, _)) in keys.iter().enumerate() {
        let of = memberships(key);
        let at = |t: i64| -> BTreeSet<DocId> {
            of.iter()
                .filter(|(_, s, e)| *s <= t && e.is_none_or(|e| e > t))
                .map(|(p, _, _)| p.id)
                .collect()
        };
        let members = at(now);
        let newcomers: BTreeSet<DocId> = of
            .iter()
            .filter(|(p, _, _)| members.contains(&p.id))
            .filter(|(p, _, _)| {
                first_contact(p, w.as_of).is_some_and(|f| f.as_millis() > now - year)
            })
            .map(|(p, _, _)| p.id)
            .collect();
        let joined: BTreeSet<DocId> = of
            .iter()
            .filter(|(_, s, _)| *s > now - year && *s <= now)
            .map(|(p, _, _)| p.id)
            .collect();
        let board: BTreeSet<DocId> = of
            .iter()
            .filter(|(p, s, _)| seats(p).iter().any(|seat| seat > s && *seat <= now))
            .map(|(p, _, _)| p.id)
            .collect();
        let g = &report.groups[i];
        let place = |field: &str| format!("groups.{i}.{field}");
        for (field, got, truth) in [
            ("members_now", g.members_now, members.len()),
            ("newcomers", g.newcomers, newcomers.len()),
            (
                "longer_standing",
                g.longer_standing,
                members.len() - newcomers.len(),
            ),
            ("joined_last_year", g.joined_last_year, joined.len()),
            ("went_on_to_board", g.went_on_to_board, board.len()),
        ] {
            check_figure(
                "groups",
                &report.withheld,
                rule.0,
                &place(field),
                got,
                truth as u64,
            );
        }
        for (k, (end, _)) in ends.iter().enumerate() {
            check_figure(
                "groups",
                &report.withheld,
                rule.0,
                &place(&format!("members_by_quarter.{k}")),
                g.members_by_quarter[k],
                at(end - 1).len() as u64,
            );
        }
        let listed_for_a_year = w
            .groups
            .iter()
            .find(|l| l.id.to_string() == *key)
            .is_none_or(|l| !l.closed && l.created_at.as_millis() <= now - year);
        assert_eq!(
            g.no_new_member_in_a_year,
            joined.is_empty() && listed_for_a_year,
            "{key}"
        );
        if keys[i].2 && !board.is_empty() {
            pipeline += 1;
        }
    }
    assert!(
        pipeline > 0,
        "a group on the list that produced a board member"
    );
}

/// Seats held: times each person joins and leaves the board (their seats
/// merged), found by asking whether they hold a seat just before and at
/// each start and end.
fn check_seats(server: &TestServer, token: &str, w: &World) {
    let now = w.as_of;
    let turnover: Turnover = fetch(server, token, "turnover", "");
    let seats = |p: &Person| -> Vec<(Timestamp, Option<Timestamp>)> {
        p.interactions
            .iter()
            .filter_map(|i| match i.kind {
                InteractionKind::Role {
                    role, start, end, ..
                } if role.is_partnership_seat() => Some((start, end)),
                _ => None,
            })
            .collect()
    };
    let holds = |seats: &[(Timestamp, Option<Timestamp>)], t: i64| {
        seats
            .iter()
            .any(|(s, e)| s.as_millis() <= t && e.is_none_or(|e| e.as_millis() > t))
    };
    let year = |ms: i64| 2025 + i64::from(ms >= START.plus_days(365).as_millis());
    let mut joined: BTreeMap<i64, u64> = BTreeMap::new();
    let mut left: BTreeMap<i64, u64> = BTreeMap::new();
    let (mut current, mut leavers, mut members) = (Vec::new(), Vec::new(), 0u64);
    let mut seated = BTreeSet::new();
    // Every time on the board (join, leave), and each former member's last leave.
    let mut times_on_board: Vec<(i64, Option<i64>)> = Vec::new();
    let mut former: Vec<(&Person, i64)> = Vec::new();
    for p in &w.people {
        let held = seats(p);
        let mut joins: Vec<i64> = held
            .iter()
            .map(|(s, _)| s.as_millis())
            // A seat recorded ahead of its start has not been taken yet.
            .filter(|s| *s <= now.as_millis() && !holds(&held, s - 1))
            .collect();
        joins.sort_unstable();
        joins.dedup();
        let mut leaves: Vec<i64> = held
            .iter()
            .filter_map(|(_, e)| e.map(|e| e.as_millis()))
            .filter(|e| *e <= now.as_millis() && !holds(&held, *e))
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        for j in &joins {
            *joined.entry(year(*j)).or_default() += 1;
            times_on_board.push((*j, leaves.iter().copied().find(|l| l > j)));
        }
        if !holds(&held, now.as_millis())
            && let Some(last) = leaves.last()
        {
            former.push((p, *last));
        }
        for l in &leaves {
            *left.entry(year(*l)).or_default() += 1;
            let since = joins.iter().rev().find(|j| *j < l).unwrap();
            leavers.push((l - since) as f64 / DAY as f64);
        }
        if holds(&held, now.as_millis()) {
            members += 1;
            seated.insert(p.id);
            let since = joins.last().unwrap();
            current.push((now.as_millis() - since) as f64 / DAY as f64);
        }
    }
    assert!(
        members > 0 && !leavers.is_empty(),
        "the data should have turnover"
    );
    assert_eq!(turnover.members_now, members);
    assert_eq!(turnover.seats, Some(SEATS));
    assert_eq!(
        turnover.vacancies,
        Some(u64::from(SEATS).saturating_sub(members))
    );
    let got: Vec<(i64, u64, u64)> = turnover
        .by_year
        .iter()
        .map(|y| (y.year, y.joined, y.left))
        .collect();
    let want: Vec<(i64, u64, u64)> = vec![(
        2025,
        joined.get(&2025).copied().unwrap_or(0),
        left.get(&2025).copied().unwrap_or(0),
    )];
    assert_eq!(got, want);
    assert!(close(
        turnover.median_tenure_days_current,
        median_of(current.clone())
    ));
    assert!(close(
        turnover.median_tenure_days_leavers,
        median_of(leavers)
    ));
    // The pipeline: working-group members now who hold no seat.
    let rule = Rule(5);
    let mut groups: BTreeMap<String, BTreeSet<DocId>> = BTreeMap::new();
    for p in &w.people {
        for i in &p.interactions {
            if let InteractionKind::WorkingGroup { group, start, end } = &i.kind
                && *start <= now
                && end.is_none_or(|e| e > now)
                && !seated.contains(&p.id)
            {
                groups.entry(group.clone()).or_default().insert(p.id);
            }
        }
    }
    let everyone: BTreeSet<DocId> = groups.values().flatten().copied().collect();
    assert_eq!(turnover.pipeline, rule.count(everyone.len() as u64));

    // Staying on: three years, the retention curve, leavers still active.
    const MONTH: i64 = 2_629_746_000;
    let three_years = current
        .iter()
        .filter(|d| **d * DAY as f64 >= (36 * MONTH) as f64);
    assert_eq!(
        turnover.members_three_years_or_more,
        three_years.count() as u64
    );
    let curve: Vec<(u32, u64, u64)> = [6u32, 12, 24, 36, 48, 60]
        .iter()
        .map(|m| {
            let served = i64::from(*m) * MONTH;
            let began: Vec<_> = times_on_board
                .iter()
                .filter(|(s, _)| now.as_millis() - s >= served)
                .collect();
            let lasted = began
                .iter()
                .filter(|(s, e)| e.is_none_or(|e| e - s >= served))
                .count();
            (*m, began.len() as u64, lasted as u64)
        })
        .collect();
    let got: Vec<(u32, u64, u64)> = turnover
        .retention
        .iter()
        .map(|p| (p.months, p.began, p.lasted))
        .collect();
    assert_eq!(got, curve);
    let active_at = |p: &Person, then: i64| {
        p.interactions.iter().any(|i| match &i.kind {
            InteractionKind::WorkingGroup { start, end, .. } => {
                start.as_millis() <= then && end.is_none_or(|e| e.as_millis() > then)
            }
            InteractionKind::Attendance { .. }
            | InteractionKind::Volunteering { .. }
            | InteractionKind::EventSignUp { .. } => {
                i.at.as_millis() <= then && i.at.as_millis() > then - 3 * MONTH
            }
            _ => false,
        })
    };
    let want: Vec<(u32, u64, Option<u64>)> = [6u32, 12]
        .iter()
        .map(|m| {
            let after = i64::from(*m) * MONTH;
            let gone: Vec<_> = former
                .iter()
                .filter(|(_, left)| now.as_millis() - left >= after)
                .collect();
            let active = gone
                .iter()
                .filter(|(p, left)| active_at(p, left + after))
                .count() as u64;
            let left = gone.len() as u64;
            let shown = rule.count(active).is_some() && rule.count(left - active).is_some();
            (*m, left, shown.then_some(active))
        })
        .collect();
    let got: Vec<(u32, u64, Option<u64>)> = turnover
        .leavers_still_active
        .iter()
        .map(|l| (l.months, l.left, l.still_active))
        .collect();
    assert_eq!(got, want);
    assert!(
        want.iter().any(|(_, left, _)| *left > 0),
        "the data should have members who left long enough ago: {want:?}"
    );
    let got: Vec<(String, Option<u64>)> = turnover
        .pipeline_by_group
        .iter()
        .map(|g| (g.group.clone(), g.members))
        .collect();
    // Groups on the list are named; others keep what phones recorded.
    let named = |g: &String| {
        w.groups
            .iter()
            .find(|l| l.id.to_string() == *g)
            .map_or_else(|| g.clone(), |l| l.name.clone())
    };
    let want: Vec<(String, Option<u64>)> = groups
        .iter()
        .map(|(g, people)| (named(g), rule.count(people.len() as u64)))
        .collect();
    assert_eq!(got, want);

    // The resident-led monitor, now.
    let monitor: ResidentLed = fetch(server, token, "resident-led", "");
    let members: Vec<&Person> = w
        .people
        .iter()
        .filter(|p| p.roles_held_at(now).any(|r| r.is_partnership_seat()))
        .collect();
    assert_eq!(monitor.current.members, members.len() as u64);
    for share in &monitor.current.shares {
        let counts: Vec<ResidentBasis> = match share.definition.as_str() {
            "lives-here" => vec![ResidentBasis::Lives],
            "connected" => vec![
                ResidentBasis::Lives,
                ResidentBasis::Works,
                ResidentBasis::Studies,
                ResidentBasis::Worships,
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
    // Not counting each hat's wearers as residents: a member wears a hat
    // when any seat they hold now is worn with it.
    let wears = |p: &Person, hat: sync_core::Hat| {
        p.interactions.iter().any(|i| match &i.kind {
            InteractionKind::Role {
                role,
                start,
                end,
                hats,
            } => {
                role.is_partnership_seat()
                    && *start <= now
                    && end.is_none_or(|e| e > now)
                    && hats.contains(&hat)
            }
            _ => false,
        })
    };
    assert_eq!(monitor.not_counting_hats.len(), sync_core::Hat::ALL.len());
    for check in &monitor.not_counting_hats {
        let hat = sync_core::Hat::parse(&check.hat).expect("a hat");
        let wearing = members.iter().filter(|p| wears(p, hat)).count() as u64;
        assert_eq!(check.wearing, wearing, "{}", check.hat);
        for (share, all) in check.shares.iter().zip(&monitor.current.shares) {
            assert_eq!(share.definition, all.definition);
            let counted = members
                .iter()
                .filter(|p| !wears(p, hat))
                .filter(|p| {
                    let lives_only = share.definition == "lives-here";
                    p.residency.iter().any(|b| {
                        *b == ResidentBasis::Lives || (!lives_only && *b != ResidentBasis::Other)
                    })
                })
                .count() as u64;
            assert_eq!(
                share.residents, counted,
                "{} {}",
                check.hat, share.definition
            );
        }
    }
    assert!(
        monitor
            .not_counting_hats
            .iter()
            .any(|c| c.wearing > 0 && c.shares[0].residents < monitor.current.shares[0].residents),
        "the data should have members wearing a hat: {:?}",
        monitor.not_counting_hats
    );
    let last = monitor.history.last().expect("history");
    assert!(last.at <= now.as_millis());
    assert!(
        monitor
            .history
            .windows(2)
            .any(|w| w[1].members < w[0].members),
        "the history shows a member leaving"
    );
}

fn the_reports_match_the_oracle_under_every_filter(db: TestDb) {
    // Hundreds of report requests from one viewer: not a rate-limit test.
    let generous = server::http::Settings {
        per_device: RateLimit::new(1000, 1000),
        ..TestServer::settings()
    };
    let server = TestServer::start_with(&db, START, generous);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({
            "area": "north-estate",
            "name": "North Estate",
            "resident_led_threshold_percent": 51,
            "partnership_seats": SEATS,
            "topics": TOPICS,
        }),
        200,
    );
    for (patch, households) in PATCHES.iter().zip(HOUSEHOLDS) {
        let _: serde_json::Value = tests::server::post_json_method(
            "PUT",
            &format!("{}/v1/admin/patches/{patch}", server.base),
            Some(&admin.token),
            &serde_json::json!({ "name": patch, "households": households }),
            200,
        );
    }
    // Census figures for Elm Road only: the board report compares with
    // them and names Oak Lane as having none.
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/patches/{}", server.base, PATCHES[0]),
        Some(&admin.token),
        &serde_json::json!({
            "name": PATCHES[0],
            "households": HOUSEHOLDS[0],
            "census": {
                "residents_by_age": CENSUS_AGES.iter().map(|(b, n)| (b.as_str(), n)).collect::<BTreeMap<_, _>>(),
                "households_by_tenure": { "owner": 300, "social-rent": 250, "private-rent": 90 },
            },
        }),
        200,
    );
    // A change whose census is refused (an unknown tenure; a census
    // missing adult age bands) changes nothing: the patch keeps its
    // households and its census.
    for (census, status) in [
        (
            serde_json::json!({ "households_by_tenure": { "castle": 3 } }),
            400,
        ),
        (
            serde_json::json!({ "residents_by_age": { "18-24": 10 } }),
            422,
        ),
    ] {
        let (got, body) = tests::server::send_json(
            "PUT",
            &format!("{}/v1/admin/patches/{}", server.base, PATCHES[0]),
            Some(&admin.token),
            &serde_json::json!({ "name": "Renamed", "households": 999, "census": census }),
        );
        assert_eq!(got, status, "{body}");
    }
    let (_, area) = tests::server::get(&format!("{}/v1/admin/area", server.base), &admin.token);
    let area: serde_json::Value = serde_json::from_str(&area).expect("area");
    let elm = &area["patches"][0];
    assert_eq!(
        (
            &elm["households"],
            &elm["census"]["households_by_tenure"]["owner"]
        ),
        (&serde_json::json!(HOUSEHOLDS[0]), &serde_json::json!(300)),
        "{elm}"
    );
    let mut champions = [
        HttpPhone::register(&server, Role::Champion, &[PATCHES[0]]),
        HttpPhone::register(&server, Role::Champion, &[PATCHES[1]]),
    ];
    let world = generate(&server, &mut admin, &mut champions, 42);
    let as_of = world.as_of;
    let viewer = HttpPhone::register(&server, Role::Viewer, &[]);
    let contacted = move |p: &Person| first_contact(p, as_of);
    let knocker = champions[0].replica.device();
    let knocked_by = |p: &Person, champion: sync_core::DeviceId| {
        p.interactions
            .iter()
            .any(|i| i.recorded_by == champion && matches!(i.kind, InteractionKind::Doorstep(_)))
    };
    // First contacted from day 100 to day 200. Dates are whole days: both
    // ends move back to their day's start.
    let in_days_100_to_200 = move |p: &Person| {
        let day = |t: Timestamp| t.as_millis().div_euclid(DAY) * DAY;
        contacted(p).is_some_and(|t| {
            t.as_millis() >= day(START.plus_days(100)) && t.as_millis() < day(START.plus_days(200))
        })
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
            Box::new(move |p: &Person| {
                contacted(p).is_some_and(|t| month_number(t.as_millis()) == 3)
            }),
        ),
        // Who reached a step: at it or past it, as the funnel's "reached".
        (
            "stage=participant".into(),
            Box::new(move |p: &Person| reached(p, as_of, StageRule::Participant)),
        ),
        (
            "stage=volunteer&patch=oak-lane".into(),
            Box::new(move |p: &Person| {
                p.patch == "oak-lane" && reached(p, as_of, StageRule::Volunteer)
            }),
        ),
        // Whom a champion's phone knocked for (admins only).
        (
            format!("champion={knocker}"),
            Box::new(move |p: &Person| knocked_by(p, knocker)),
        ),
        (
            format!("champion={knocker}&stage=conversation"),
            Box::new(move |p: &Person| {
                knocked_by(p, knocker) && reached(p, as_of, StageRule::Conversation)
            }),
        ),
        // Dates alone are read from the rows joined to people, which carry
        // their first contact; with a patch, from the people chosen.
        (
            format!(
                "from={}&to={}",
                START.plus_days(100).as_millis(),
                START.plus_days(200).as_millis()
            ),
            Box::new(move |p: &Person| in_days_100_to_200(p)),
        ),
        (
            format!(
                "from={}&to={}&patch=oak-lane",
                START.plus_days(100).as_millis(),
                START.plus_days(200).as_millis()
            ),
            Box::new(move |p: &Person| p.patch == "oak-lane" && in_days_100_to_200(p)),
        ),
    ];
    // The reports that count what happened: chosen by when and where.
    let from = START.plus_days(100).as_millis().div_euclid(DAY) * DAY;
    let to = START.plus_days(200).as_millis().div_euclid(DAY) * DAY;
    let happenings: Vec<(String, Happened)> = vec![
        (String::new(), Box::new(|_, _| true)),
        (
            "patch=elm-road".into(),
            Box::new(|_, patch: &str| patch == "elm-road"),
        ),
        (
            "cohort=2025-03".into(),
            Box::new(|at: Timestamp, _: &str| month_number(at.as_millis()) == 3),
        ),
        (
            format!(
                "from={}&to={}&patch=oak-lane",
                START.plus_days(100).as_millis(),
                START.plus_days(200).as_millis()
            ),
            Box::new(move |at: Timestamp, patch: &str| {
                patch == "oak-lane" && (from..to).contains(&at.as_millis())
            }),
        ),
    ];
    // Trends: with no dates, the twelve whole months before the server's
    // today (2025-11-17); each person in the month they reached a step.
    let whole_months = START.as_millis() - 61 * DAY..START.as_millis() + 304 * DAY;
    let trend_cases: Vec<(String, Happened, Vec<&str>)> = vec![
        (
            String::new(),
            Box::new(move |at: Timestamp, _: &str| whole_months.contains(&at.as_millis())),
            vec![
                "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05",
                "2025-06", "2025-07", "2025-08", "2025-09", "2025-10",
            ],
        ),
        (
            "cohort=2025-03".into(),
            Box::new(|at: Timestamp, _: &str| month_number(at.as_millis()) == 3),
            vec!["2025-03"],
        ),
        (
            format!(
                "from={}&to={}&patch=oak-lane",
                START.plus_days(100).as_millis(),
                START.plus_days(200).as_millis()
            ),
            Box::new(move |at: Timestamp, patch: &str| {
                patch == "oak-lane" && (from..to).contains(&at.as_millis())
            }),
            vec!["2025-04", "2025-05", "2025-06", "2025-07"],
        ),
    ];
    let check_happenings = || {
        for (query, pick) in &happenings {
            check_voices(&server, &admin.token, query, &world, pick);
            check_promises(&server, &admin.token, query, &world, pick);
        }
        for (query, pick, months) in &trend_cases {
            check_trends(&server, &admin.token, query, &world, pick, months);
        }
        // People's channel and age band do not describe what happened.
        for report in ["voices", "you-said-we-did", "trends"] {
            let url = format!("{}/v1/reports/{report}?channel=event", server.base);
            let (status, _) = tests::server::get(&url, &admin.token);
            assert_eq!(status, 400, "{report} filtered by a person's channel");
        }
    };
    check_happenings();
    // The newsletter list: the latest promises kept, with what was done.
    tests::server::runtime().block_on(async {
        let db = server::store::Db::connect(&db.url).await.unwrap();
        let kept = server::ops::promises::kept(&db, &Default::default(), as_of)
            .await
            .unwrap();
        let done = world
            .people
            .iter()
            .flat_map(|p| &p.interactions)
            .filter(|i| match &i.kind {
                InteractionKind::Doorstep(d) => {
                    d.follow_up.as_ref().is_some_and(|f| f.done.is_some())
                }
                _ => false,
            })
            .count() as i64;
        assert_eq!(kept.len() as i64, done.min(server::ops::promises::LISTED));
        assert!(
            kept.iter()
                .all(|k| k.we_did == "rang back" && k.you_said == "call back")
        );
    });
    let rule = Rule(5);
    // Checks every filtered report against the oracle; returns whether the
    // expected funnel suppresses anything.
    let check_case = |query: &str, pick: &Pick, token: &str| {
        let chosen: Vec<&Person> = world
            .people
            .iter()
            .filter(|p| contacted(p).is_some() && pick(p))
            .collect();
        let expected = funnel_oracle(&chosen, as_of, rule);
        check_funnel(&server, token, query, &expected);
        check_through(&server, token, query, &chosen, as_of);
        check_routes(&server, token, query, &chosen, &world);
        check_civic_core(&server, token, query, &chosen, &world);
        check_events(&server, token, query, &chosen, &world);
        check_reach(&server, token, query, &chosen, &world);
        check_champions(&server, token, query, &chosen, &world);
        check_equal_words(&server, token, query);
        let funnel: Funnel = fetch(&server, token, "funnel", query);
        funnel.withheld.values().any(|w| *w == Withheld::Small)
    };
    // Admins see exact figures: every report is checked against the
    // oracle with an admin's token. A viewer's are the same figures hidden
    // for the same reasons, the rest adjusted a little; a filtered report
    // of too few people is refused them.
    let (mut suppressed_seen, mut adjusted) = (false, 0);
    for (query, pick) in &cases {
        suppressed_seen |= check_case(query, pick, &admin.token);
        let chosen = world
            .people
            .iter()
            .filter(|p| contacted(p).is_some() && pick(p))
            .count();
        assert!(chosen > 0, "{query} chooses nobody: the case tests nothing");
        if query.contains("champion=") {
            check_champion_refused_to_viewers(&server, &viewer.token, query);
            continue;
        }
        adjusted += check_viewer(&server, &admin.token, &viewer.token, query, chosen);
    }
    assert!(adjusted > 0, "viewers' figures are adjusted");
    assert!(suppressed_seen, "the data should exercise suppression");
    check_seats(&server, &viewer.token, &world);
    headlines::check_headlines(&server, &admin.token, &viewer.token, &world);
    check_board(&server, &admin.token, &world);
    check_groups(&server, &admin.token, &world);

    // Projections written by an older version are rebuilt from the
    // documents, page by page, to the same figures.
    tests::server::runtime().block_on(async {
        let db = server::store::Db::connect(&db.url).await.unwrap();
        for sql in [
            "DELETE FROM people",
            "DELETE FROM interactions",
            "DELETE FROM stages",
            "DELETE FROM roles",
            "DELETE FROM champion_contacts",
            "DELETE FROM topics_raised",
            "DELETE FROM events",
            "UPDATE settings SET value = '2' WHERE key = 'projection_version'",
        ] {
            sqlx::query(sql).execute(&db.pool).await.unwrap();
        }
        // What `migrate` calls, at the test's clock.
        let rebuilt = server::store::projection::rebuild_if_outdated(&db, as_of)
            .await
            .unwrap();
        assert!(rebuilt);
    });
    for (query, pick) in &cases {
        check_case(query, pick, &admin.token);
    }
    check_happenings();
    check_seats(&server, &viewer.token, &world);

    // The threshold is the area's to set; reports follow it at once.
    let contacted_people: Vec<&Person> = world
        .people
        .iter()
        .filter(|p| contacted(p).is_some())
        .collect();
    let hidden_at_5 = check_funnel(
        &server,
        &admin.token,
        "",
        &funnel_oracle(&contacted_people, as_of, rule),
    );
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({ "suppress_below": 10 }),
        200,
    );
    let everyone: Vec<&Person> = world
        .people
        .iter()
        .filter(|p| contacted(p).is_some())
        .collect();
    let strict = funnel_oracle(&everyone, as_of, Rule(10));
    let hidden_at_10 = check_funnel(&server, &admin.token, "", &strict);
    assert!(hidden_at_10 > hidden_at_5, "10 hides more than 5");
    check_reach(&server, &admin.token, "", &everyone, &world);
    // A threshold of 1 would protect nobody.
    let refused: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({ "suppress_below": 1 }),
        422,
    );
    assert!(refused.to_string().contains("suppression"), "{refused}");

    // CSV, asked for either way; suppressed cells read "<10".
    let (status, csv) = tests::server::get(
        &format!("{}/v1/reports/funnel?format=csv", server.base),
        &viewer.token,
    );
    assert_eq!(status, 200);
    assert!(csv.starts_with("stage,label,reached,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + Ladder::default().stages().len());
    for path in [
        "routes",
        "resident-led",
        "civic-core",
        "reach",
        "turnover",
        "champions",
    ] {
        let (status, csv) = tests::server::get_with_accept(
            &format!("{}/v1/reports/{path}", server.base),
            &viewer.token,
            "text/csv",
        );
        assert_eq!(status, 200, "{path}");
        assert!(csv.lines().count() > 1, "{path}: {csv}");
        for p in &world.people {
            assert!(
                !csv.contains(&p.id.to_string()),
                "{path} names a person's record"
            );
        }
    }
    let (_, reach_csv) = tests::server::get(
        &format!("{}/v1/reports/reach?format=csv", server.base),
        &viewer.token,
    );
    assert!(reach_csv.contains(",<10,"), "{reach_csv}");

    // Champions do not get reports; bad filters get typed errors.
    let (status, _) = tests::server::get(
        &format!("{}/v1/reports/reach", server.base),
        &champions[0].token,
    );
    assert_eq!(status, 403);
    let reversed = format!(
        "from={}&to={}",
        START.plus_days(2).as_millis(),
        START.as_millis()
    );
    for bad in [
        "cohort=2025-13",
        "channel=pigeon",
        "age_band=old",
        "from=soon",
        reversed.as_str(),
        "patch=nowhere",
        "stage=astronaut",
        "champion=someone%40example.org",
    ] {
        let (status, body) = tests::server::get(
            &format!("{}/v1/reports/civic-core?{bad}", server.base),
            &viewer.token,
        );
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // A patch the area does not have is said, not answered with zeros.
    let (status, body) = tests::server::get(
        &format!("{}/v1/reports/reach?patch=nowhere", server.base),
        &admin.token,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("there is no patch"), "{body}");
    // So are a step the ladder does not have and a phone never registered.
    let (status, body) = tests::server::get(
        &format!("{}/v1/reports/funnel?stage=astronaut", server.base),
        &admin.token,
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("there is no stage \\\"astronaut\\\""),
        "{body}"
    );
    let stranger = sync_core::DeviceId::new(START);
    let (status, body) = tests::server::get(
        &format!("{}/v1/reports/funnel?champion={stranger}", server.base),
        &admin.token,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no champion's phone"), "{body}");
    // Reports of what happened refuse the filters that describe people.
    for report in ["voices", "you-said-we-did", "trends", "households"] {
        for people in ["stage=participant", &format!("champion={knocker}")] {
            let (status, body) = tests::server::get(
                &format!("{}/v1/reports/{report}?{people}", server.base),
                &admin.token,
            );
            assert_eq!(status, 400, "{report}?{people}: {body}");
        }
    }
}

/// A viewer may not choose people by champion: every report that takes
/// people's filters refuses it with 403 and says why.
fn check_champion_refused_to_viewers(server: &TestServer, viewer: &str, query: &str) {
    for path in [
        "funnel",
        "routes",
        "civic-core",
        "events",
        "reach",
        "champions",
    ] {
        let url = format!("{}/v1/reports/{path}?{query}", server.base);
        let (status, body) = tests::server::get(&url, viewer);
        assert_eq!(status, 403, "{path}?{query}: {body}");
        assert!(body.contains("only admins"), "{body}");
    }
}

/// The issue's own check: a group of 3 reads as suppressed, and so does the
/// next smallest group, since the total would otherwise give the 3 away.
fn a_group_of_three_is_suppressed(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({ "area": "north-estate", "name": "North Estate" }),
        200,
    );
    for (patch, people) in [("big-estate", 20), ("mid-close", 12), ("tiny-close", 3)] {
        for _ in 0..people {
            admin
                .replica
                .create_person(
                    &NewPerson::new("north-estate", patch, EntryChannel::Doorstep),
                    |p| {
                        p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
                        Ok(())
                    },
                )
                .unwrap();
        }
    }
    assert!(admin.sync(&server.base).rejected.is_empty());
    let reach: Reach = fetch(&server, &admin.token, "reach", "");
    let contacts: BTreeMap<String, Option<u64>> = reach
        .by_patch
        .iter()
        .map(|r| (r.group.clone(), r.contacts))
        .collect();
    assert_eq!(contacts["tiny-close"], None);
    assert_eq!(contacts["mid-close"], None);
    assert_eq!(contacts["big-estate"], Some(20));
    assert_eq!(reach.contacts, Some(35));
    let (_, csv) = tests::server::get(
        &format!("{}/v1/reports/reach?format=csv", server.base),
        &admin.token,
    );
    assert!(
        csv.contains("patch,tiny-close,tiny-close,<5,<5,0,"),
        "{csv}"
    );
}

mod sqlite {
    #[test]
    fn the_reports_match_the_oracle_under_every_filter() {
        super::the_reports_match_the_oracle_under_every_filter(tests::server::sqlite());
    }

    #[test]
    fn a_group_of_three_is_suppressed() {
        super::a_group_of_three_is_suppressed(tests::server::sqlite());
    }
}

mod postgres {
    #[test]
    fn the_reports_match_the_oracle_under_every_filter() {
        if let Some(db) = tests::server::postgres() {
            super::the_reports_match_the_oracle_under_every_filter(db);
        }
    }

    #[test]
    fn a_group_of_three_is_suppressed() {
        if let Some(db) = tests::server::postgres() {
            super::a_group_of_three_is_suppressed(db);
        }
    }
}

/// Trends: per month and patch, people counted in the month they first
/// reached each step, and the cohorts' steps, against the records; `pick`
/// chooses by when a step was reached and where, and `months` are the
/// months the report must show.
fn check_trends(
    server: &TestServer,
    token: &str,
    query: &str,
    w: &World,
    pick: &Happened,
    months: &[&str],
) {
    let trends: Trends = fetch(server, token, "trends", query);
    let what = format!("trends {query:?}");
    assert_eq!(trends.months, months, "{what}");
    let ladder = Ladder::default();
    let stage_of = |rule: StageRule| {
        ladder
            .stages()
            .iter()
            .position(|s| s.rule == rule)
            .expect("the default ladder has the stage")
    };
    let steps = [
        0,
        stage_of(StageRule::Conversation),
        stage_of(StageRule::Participant),
    ];
    // (line, patch, month) -> people; (month) -> people per step reached.
    let mut lines: BTreeMap<(usize, String, String), u64> = BTreeMap::new();
    let mut cohorts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for p in &w.people {
        let reached = ladder.progress(p, w.as_of).reached;
        for (line, step) in steps.iter().enumerate() {
            let Some(at) = reached[*step] else { continue };
            if !pick(at, &p.patch) {
                continue;
            }
            *lines
                .entry((line, p.patch.clone(), month_2025(at)))
                .or_default() += 1;
            if line == 0 {
                let cohort = cohorts
                    .entry(month_2025(at))
                    .or_insert_with(|| vec![0; reached.len()]);
                for (k, date) in reached.iter().enumerate() {
                    cohort[k] += u64::from(date.is_some());
                }
            }
        }
    }
    let check = |place: String, got, truth| {
        check_figure(
            &what,
            &trends.withheld,
            trends.suppressed_below,
            &place,
            got,
            truth,
        );
    };
    let names = ["contacts", "conversations", "new_participants"];
    for (p, row) in trends.by_patch.iter().enumerate() {
        let got = [&row.contacts, &row.conversations, &row.new_participants];
        for (line, name) in names.iter().enumerate() {
            for (m, month) in months.iter().enumerate() {
                let truth = lines
                    .get(&(line, row.patch.clone(), (*month).to_owned()))
                    .copied()
                    .unwrap_or(0);
                check(format!("by_patch.{p}.{name}.{m}"), got[line][m], truth);
            }
        }
    }
    let totals = [
        &trends.contacts,
        &trends.conversations,
        &trends.new_participants,
    ];
    for (line, name) in names.iter().enumerate() {
        for (m, month) in months.iter().enumerate() {
            let truth = lines
                .iter()
                .filter(|((l, _, at), _)| *l == line && at == month)
                .map(|(_, n)| n)
                .sum();
            check(format!("{name}.{m}"), totals[line][m], truth);
        }
    }
    for (m, cohort) in trends.cohorts.iter().enumerate() {
        let want = cohorts
            .get(&cohort.month)
            .cloned()
            .unwrap_or_else(|| vec![0; ladder.stages().len()]);
        for (k, got) in cohort.reached.iter().enumerate() {
            check(format!("cohorts.{m}.reached.{k}"), *got, want[k]);
            let next = want.get(k + 1).copied().unwrap_or(0);
            check(
                format!("cohorts.{m}.stopped.{k}"),
                cohort.stopped[k],
                want[k] - next,
            );
        }
    }
    // Every patch of the area is listed, people or not.
    let listed: BTreeSet<&str> = trends.by_patch.iter().map(|r| r.patch.as_str()).collect();
    if !query.contains("patch=") {
        assert_eq!(listed, PATCHES.into_iter().collect(), "{what}");
    }
}
