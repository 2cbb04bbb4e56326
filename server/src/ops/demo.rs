//! Demo data: a realistic synthetic area, made by simulated phones syncing
//! through the real sync path over two years.
//!
//! Street champions knock on doors every week in their patches; a youth
//! worker runs sessions and signs young people up; the partnership's worker
//! records who came to events, volunteered, joined a working group or took a
//! seat on the partnership, and who left. Every record reaches the database
//! as a phone's push, merged, validated and projected like real data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use indicatif::{ProgressBar, ProgressStyle};
use sync_core::{
    AgeBand, Clock, ConsentGiver, ConsentMethod, ConsentPurpose, DocId, DoorOutcome, Doorstep,
    EntryChannel, EntryId, EventKind, Hat, InteractionKind, LawfulBasis, Location, ManualClock,
    MemoryStore, NewAddress, NewConsent, NewEvent, NewGroup, NewPerson, Replica, ResidentBasis,
    Role as HeldRole, SystemClock, Tenure, Timestamp,
};

use crate::error::{Error, Result};
use crate::store::audit::Actor;
use crate::store::devices::{Device, INVITE_DAYS, Role};
use crate::store::{Db, projection};

const AREA: &str = "north-estate";
const WEEKS: i64 = 104;
const PATCHES: [(&str, &str, u32); 5] = [
    ("birch-close", "Birch Close", 180),
    ("canal-side", "Canal Side", 530),
    ("elm-road", "Elm Road", 412),
    ("oak-lane", "Oak Lane", 265),
    ("old-village", "Old Village", 340),
];
/// The demo partnership's targets: (report, figure, at least, close within).
const DEMO_TARGETS: [(&str, &str, f64, f64); 4] = [
    ("resident-led", "resident_share@*", 60.0, 5.0),
    ("reach", "under_55_share_of_participants", 40.0, 5.0),
    ("households", "knocked_per_1000_households@*", 100.0, 20.0),
    ("you-said-we-did", "kept_on_time_share", 80.0, 10.0),
];
/// Doors put on the list per patch (at most its households).
const DOORS_PER_PATCH: u32 = 120;
/// Where a demo door is: each patch a block of streets about 400 m across,
/// the patches side by side, so that a new user sees a map. One door in
/// forty has no location, as on real lists, so the map says how many it
/// leaves off. Worked out from the door, not drawn from the random
/// numbers, so the rest of the demo is as it was.
fn demo_location(patch: usize, house: u32) -> Option<Location> {
    if house.is_multiple_of(40) {
        return None;
    }
    let (column, row) = ((patch % 3) as f64, (patch / 3) as f64);
    let i = f64::from(house - 1);
    // Twelve doors to a row, the rows bent a little per patch.
    let (x, y) = (i % 12.0, (i / 12.0).floor());
    let bend = (patch as f64 + 1.0) * 0.000005;
    Some(Location {
        latitude: 53.4000 - row * 0.0050 - y * 0.00036 + x * x * bend * 0.2,
        longitude: -2.2400 + column * 0.0085 + x * 0.00055 + y * y * bend,
    })
}

const STREETS: [&str; 6] = [
    "Birch Close",
    "Canal Street",
    "Elm Road",
    "Oak Lane",
    "Church Lane",
    "Mill Row",
];
const TOPICS: [&str; 8] = [
    "parks",
    "litter",
    "youth",
    "housing",
    "transport",
    "safety",
    "older-people",
    "food",
];
const ACTIVITIES: [&str; 4] = [
    "litter-pick",
    "community-garden",
    "youth-club",
    "lunch-club",
];
/// What a champion promises about each topic, and what was done.
const PROMISES: [(&str, &str, &str); 8] = [
    (
        "parks",
        "Ask the council when the play area will be repaired",
        "The council repaired the swings in the play area",
    ),
    (
        "litter",
        "Report the fly-tipping on the corner to the council",
        "Reported it; the council cleared it within the week",
    ),
    (
        "youth",
        "Send the youth club's times",
        "Sent the youth club's times and a leaflet",
    ),
    (
        "housing",
        "Raise the damp in the flats with the housing association",
        "Raised it with the housing association, who booked an inspection",
    ),
    (
        "transport",
        "Ask the bus company about the stop that was moved",
        "The stop is back after the partnership wrote to the bus company",
    ),
    (
        "safety",
        "Report the broken streetlight",
        "Reported; the streetlight was fixed",
    ),
    (
        "older-people",
        "Send details of the lunch club",
        "Lunch club details posted through the door",
    ),
    (
        "food",
        "Find out where the nearest food bank is",
        "Food bank details dropped round",
    ),
];
/// The working groups: (name, patch, topics, devolved budget, devolved
/// decisions, constituted). An area-wide group with a budget of its own;
/// a group of Elm Road's newcomers, some of whom go on to the board; and
/// an events team nobody new joins in the last year.
/// A demo group: (name, patch, topics, budget, decisions, constituted).
type DemoGroup = (
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    bool,
    bool,
    bool,
);
const GROUPS: [DemoGroup; 3] = [
    ("Green spaces", None, &["parks", "litter"], true, true, true),
    (
        "Elm Road residents",
        Some("elm-road"),
        &["housing", "safety"],
        false,
        true,
        false,
    ),
    ("Events team", None, &["youth", "food"], false, false, false),
];
const FIRST_NAMES: [&str; 16] = [
    "Sam", "Ali", "Kim", "Jo", "Priya", "Tom", "Aisha", "Marek", "Grace", "Owen", "Fatima", "Liam",
    "Ola", "Rosa", "Dev", "Nia",
];

type Phone = Replica<MemoryStore, ManualClock>;

/// What the demo made.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// People recorded.
    pub people: usize,
    /// Events recorded.
    pub events: usize,
    /// Doors on the list.
    pub doors: usize,
    /// Sync round trips made.
    pub syncs: usize,
    /// An admin device token, to try the API with.
    pub admin_token: String,
    /// A viewer device token.
    pub viewer_token: String,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo area {AREA}: {} people, {} events, {} doors, {} syncs over {WEEKS} weeks\n\
             admin token:  {}\nviewer token: {}",
            self.people, self.events, self.doors, self.syncs, self.admin_token, self.viewer_token
        )
    }
}

/// How many people the demo makes unless told otherwise.
pub const DEFAULT_PEOPLE: usize = 3000;
/// The demo's default seed.
pub const DEFAULT_SEED: u64 = 7;

/// Whether the database holds any person.
pub async fn has_people(db: &Db) -> Result<bool> {
    projection::has_people(&mut *db.pool.acquire().await?).await
}

/// A simulated device: its replica and how the server knows it.
struct SimPhone {
    phone: Phone,
    device: Device,
}

/// Something the worker records about a person in a later week.
#[derive(Debug, Clone, Copy)]
enum Step {
    Attend,
    Volunteer,
    JoinGroup,
    TakeSeat {
        chair: bool,
    },
    Leave,
    /// A promise made at the door is kept, with what was done.
    KeepPromise {
        entry: EntryId,
        done: &'static str,
    },
}

async fn register(
    db: &Db,
    role: Role,
    patches: &[&str],
    name: &str,
    now: Timestamp,
) -> Result<(Device, String)> {
    let patches: BTreeSet<String> = patches.iter().map(|p| (*p).to_owned()).collect();
    let lifetime = INVITE_DAYS * Timestamp::DAY_MILLIS;
    let code =
        super::devices::invite(db, Actor::CommandLine, role, &patches, now, lifetime).await?;
    let registered = super::devices::register(db, &code, name, now).await?;
    let device = super::devices::authenticate(db, &registered.token).await?;
    Ok((device, registered.token))
}

fn sim_phone(device: Device, clock: &ManualClock) -> Result<SimPhone> {
    let phone = Replica::open(MemoryStore::new(), device.id, clock.clone())?;
    Ok(SimPhone { phone, device })
}

async fn sync_phone(db: &Db, sim: &mut SimPhone, now: Timestamp) -> Result<usize> {
    let mut rounds = 0;
    loop {
        rounds += 1;
        let request = sim.phone.sync_request()?;
        let response = super::sync::exchange(db, &sim.device, &request, now)
            .await?
            .bytes;
        let outcome = sim.phone.apply_sync_response(&response)?;
        if !outcome.rejected.is_empty() {
            return Err(Error::Corrupt(format!(
                "demo data was refused: {:?}",
                outcome.rejected[0].1
            )));
        }
        if !outcome.more || rounds > 100 {
            return Ok(rounds);
        }
    }
}

fn consent(purpose: ConsentPurpose, method: ConsentMethod, given_by: ConsentGiver) -> NewConsent {
    NewConsent {
        purpose,
        granted: true,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "2024-01".into(),
        method,
        given_by,
    }
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

fn adult_age(rng: &mut fastrand::Rng) -> AgeBand {
    // Door-knocking reaches older residents more often.
    pick(
        rng,
        &[
            AgeBand::From18To24,
            AgeBand::From25To34,
            AgeBand::From35To44,
            AgeBand::From45To54,
            AgeBand::From55To64,
            AgeBand::From55To64,
            AgeBand::From65To74,
            AgeBand::From65To74,
            AgeBand::From75,
        ],
    )
}

/// Seats on the demo partnership's board.
const DEMO_SEATS: u32 = 16;

/// Census figures for a demo patch, made up from its households in
/// proportions like an English estate's (about 2.3 residents a home);
/// the Old Village has none, so the board page says which patch lacks
/// one.
fn demo_census(slug: &str, households: u32) -> Option<sync_core::Census> {
    use sync_core::{AgeBand, Tenure};
    if slug == "old-village" {
        return None;
    }
    let residents = households * 23 / 10;
    // Per thousand residents, youngest band first.
    let ages: [(AgeBand, u32); 9] = [
        (AgeBand::Under13, 160),
        (AgeBand::From13To17, 60),
        (AgeBand::From18To24, 90),
        (AgeBand::From25To34, 150),
        (AgeBand::From35To44, 135),
        (AgeBand::From45To54, 125),
        (AgeBand::From55To64, 115),
        (AgeBand::From65To74, 95),
        (AgeBand::From75, 70),
    ];
    // Per hundred households: the canal side is mostly social housing.
    let owners = if slug == "canal-side" { 25 } else { 55 };
    let tenures = [
        (Tenure::Owner, owners),
        (Tenure::SocialRent, 80 - owners),
        (Tenure::PrivateRent, 17),
        (Tenure::Other, 3),
    ];
    Some(sync_core::Census {
        residents_by_age: ages
            .into_iter()
            .map(|(band, per_1000)| (band, residents * per_1000 / 1000))
            .collect(),
        households_by_tenure: tenures
            .into_iter()
            .map(|(tenure, per_100)| (tenure, households * per_100 / 100))
            .collect(),
    })
}

/// Fills the database with a synthetic area of about `people` people.
pub async fn fill(db: &Db, people: usize, seed: u64, progress: bool) -> Result<Summary> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let end = SystemClock.now();
    let clock = ManualClock::new(end.plus_days(-7 * WEEKS));
    let mut summary = Summary::default();

    let actor = Actor::CommandLine;
    super::area::edit(db, actor, Some(AREA), "demo area", clock.now(), |area| {
        area.name = "North Estate Big Local".into();
        for (slug, name, households) in PATCHES {
            super::area::set_patch(area, slug, name, households);
        }
        for patch in &mut area.patches {
            patch.census = demo_census(&patch.id, patch.households);
        }
        area.topics = TOPICS.iter().map(|t| (*t).to_owned()).collect();
        area.partnership_seats = Some(DEMO_SEATS);
        Ok(())
    })
    .await?;

    let now = clock.now();
    // The partnership's targets, so a new user sees them beside the figures.
    for (report, figure, goal, margin) in DEMO_TARGETS {
        let target = crate::reports::targets::Target {
            report: report.into(),
            figure: figure.into(),
            comparison: crate::reports::targets::Comparison::AtLeast,
            goal,
            margin,
        };
        super::targets::set(db, actor, &target, now).await?;
    }
    let (worker, admin_token) = register(db, Role::Admin, &[], "Partnership worker", now).await?;
    let (_, viewer_token) = register(db, Role::Viewer, &[], "Partnership board", now).await?;
    summary.admin_token = admin_token;
    summary.viewer_token = viewer_token;
    let mut champions = Vec::new();
    for (n, (slug, name, _)) in PATCHES.iter().enumerate() {
        let mut patches = vec![*slug];
        if n == 0 {
            // One champion also covers the next patch along.
            patches.push(PATCHES[1].0);
        }
        let (device, _) = register(
            db,
            Role::Champion,
            &patches,
            &format!("{name} champion"),
            now,
        )
        .await?;
        champions.push(sim_phone(device, &clock)?);
    }
    let (youth_device, _) = register(db, Role::YouthWorker, &[], "Youth worker", now).await?;
    let mut youth = sim_phone(youth_device, &clock)?;
    let mut worker = sim_phone(worker, &clock)?;
    // The worker puts each patch's door list on the system, and the
    // champions' phones receive their patches' doors.
    let mut doors: BTreeMap<&str, Vec<DocId>> = BTreeMap::new();
    for (n, (slug, _, households)) in PATCHES.iter().enumerate() {
        let list = doors.entry(slug).or_default();
        for house in 1..=(*households).min(DOORS_PER_PATCH) {
            let street = STREETS[(n * 2 + (house as usize % 2)) % STREETS.len()];
            let mut door = NewAddress::new(AREA, slug, &house.to_string(), street);
            door.location = demo_location(n, house);
            list.push(worker.phone.create_address(&door)?);
        }
        summary.doors += list.len();
    }
    let mut groups = Vec::new();
    for (name, patch, topics, budget, decisions, constituted) in GROUPS {
        let mut group = NewGroup::new(AREA, name);
        group.patch = patch.map(str::to_owned);
        group.topics = topics.iter().map(|t| (*t).to_owned()).collect();
        group.devolved_budget = budget;
        group.devolved_decisions = decisions;
        group.constituted = constituted;
        groups.push(worker.phone.create_group(&group)?);
    }
    for sim in [&mut worker, &mut youth]
        .into_iter()
        .chain(champions.iter_mut())
    {
        summary.syncs += sync_phone(db, sim, clock.now()).await?;
    }

    let bar = if progress {
        let bar = ProgressBar::new(WEEKS as u64);
        bar.set_style(
            ProgressStyle::with_template("demo {bar:40} week {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let youth_share = people / 6;
    let doors_per_week = (people - youth_share)
        .div_ceil(WEEKS as usize * champions.len())
        .max(1);
    let mut plans: BTreeMap<i64, Vec<(DocId, Step)>> = BTreeMap::new();
    // Promises about the topics raised draw from their own generator, so
    // the rest of the demo stays as it was.
    let mut promising = fastrand::Rng::with_seed(seed ^ 0x5eed);
    let mut events: Vec<DocId> = Vec::new();
    let mut seats: BTreeMap<DocId, sync_core::EntryId> = BTreeMap::new();
    // Who joined a working group or took a seat: the training's regulars.
    let mut involved: BTreeSet<DocId> = BTreeSet::new();
    // The keen people of Elm Road, whose residents' group they join.
    let mut elm_road: BTreeSet<DocId> = BTreeSet::new();
    let start = clock.now();

    for week in 0..WEEKS {
        let monday = start.plus_days(7 * week);
        clock.set(monday.plus_days(1));
        // The worker puts on something every fortnight.
        if week % 2 == 0 {
            let (patch, _, _) = pick(&mut rng, &PATCHES);
            let kind = pick(
                &mut rng,
                &[
                    EventKind::FunDay,
                    EventKind::Meeting,
                    EventKind::Consultation,
                    EventKind::Training,
                ],
            );
            let event = worker.phone.create_event(&NewEvent {
                area: AREA.into(),
                patch: patch.into(),
                title: format!(
                    "{} in {}",
                    kind.as_str().replace('-', " "),
                    patch.replace('-', " ")
                ),
                kind,
                starts_at: monday.plus_days(5),
                ends_at: None,
                place: Some("Community centre".into()),
                // A fun day's crowd is counted at the gate, not signed up.
                headcount: (kind == EventKind::FunDay).then_some(600 + 45 * week as u32),
            })?;
            events.push(event);
            summary.events += 1;
        }

        // Champions knock on doors.
        for champion in champions.iter_mut() {
            let patches: Vec<String> = champion.device.patches.iter().cloned().collect();
            for _ in 0..doors_per_week {
                clock.advance(rng.i64(5..25) * 60_000);
                let patch = patches[rng.usize(..patches.len())].clone();
                let outcome = pick(
                    &mut rng,
                    &[
                        DoorOutcome::Spoke,
                        DoorOutcome::Spoke,
                        DoorOutcome::NotIn,
                        DoorOutcome::NotIn,
                        DoorOutcome::Refused,
                        DoorOutcome::MovedAway,
                    ],
                );
                let spoke = outcome == DoorOutcome::Spoke;
                let keen = spoke && rng.u8(..100) < 45;
                let patch_doors = &doors[patch.as_str()];
                let at = rng.usize(..patch_doors.len());
                let door = patch_doors[at];
                // A household moves away from about one door in twelve,
                // not from any door knocked on the wrong day: elsewhere
                // nobody is in.
                let outcome = if outcome == DoorOutcome::MovedAway && at % 12 != 5 {
                    DoorOutcome::NotIn
                } else {
                    outcome
                };
                champion.phone.record_visit(door, outcome)?;
                let mut promise = None;
                let (id, entry) = champion.phone.create_person_with(
                    &NewPerson::new(AREA, &patch, EntryChannel::Doorstep),
                    |p| {
                        p.set_household(Some(door))?;
                        let mut doorstep = Doorstep::new(outcome);
                        if spoke {
                            p.set_name(Some(pick(&mut rng, &FIRST_NAMES)))?;
                            p.set_age_band(Some(adult_age(&mut rng)))?;
                            p.set_tenure(Some(pick(&mut rng, Tenure::ALL)))?;
                            p.set_language(Some(pick(
                                &mut rng,
                                &["en", "en", "en", "en", "pl", "ur", "so", "ro"],
                            )))?;
                            p.set_resident(ResidentBasis::Lives, true)?;
                            if rng.u8(..100) < 15 {
                                p.set_resident(ResidentBasis::Works, true)?;
                            }
                            let topic = pick(&mut rng, &TOPICS);
                            p.set_interest(topic, true)?;
                            doorstep = doorstep.topic(topic);
                            // About one conversation in five ends with a
                            // promise about the topic; half with a date.
                            if !keen && promising.u8(..100) < 20 {
                                let (_, what, done) = PROMISES
                                    .iter()
                                    .find(|(t, _, _)| *t == topic)
                                    .copied()
                                    .unwrap_or(PROMISES[0]);
                                let due = promising.bool().then(|| p.now().plus_days(14));
                                doorstep = doorstep.follow_up(what, due);
                                promise = Some(done);
                            }
                            if rng.u8(..100) < 30 {
                                p.record_consent(consent(
                                    ConsentPurpose::EqualityMonitoring,
                                    ConsentMethod::Doorstep,
                                    ConsentGiver::Subject,
                                ))?;
                                p.set_ethnicity(Some(pick(
                                    &mut rng,
                                    &[
                                        "white-british",
                                        "white-other",
                                        "asian",
                                        "black",
                                        "mixed",
                                        "other",
                                    ],
                                )))?;
                            }
                        }
                        if keen {
                            p.record_consent(consent(
                                ConsentPurpose::ContactAgain,
                                ConsentMethod::Doorstep,
                                ConsentGiver::Subject,
                            ))?;
                            doorstep = doorstep
                                .wants_to_join(pick(&mut rng, &ACTIVITIES))
                                .follow_up(
                                    "Send details of the next session",
                                    Some(p.now().plus_days(14)),
                                );
                            promise = Some("Sent the details of the next session");
                        }
                        p.log_doorstep(doorstep)
                    },
                )?;
                summary.people += 1;
                // Most promises are kept within a few weeks, some late;
                // one in six is not kept yet.
                if let Some(done) = promise.take()
                    && promising.u8(..6) > 0
                {
                    let at = week + promising.i64(1..5);
                    plans
                        .entry(at)
                        .or_default()
                        .push((id, Step::KeepPromise { entry, done }));
                }
                if keen {
                    if patch == "elm-road" {
                        elm_road.insert(id);
                    }
                    // How far this person will go, and when.
                    let mut at = week;
                    let mut steps = vec![Step::Attend];
                    let reach = rng.u8(..100);
                    if reach < 50 {
                        steps.push(Step::Attend);
                    }
                    if reach < 35 {
                        steps.push(Step::Volunteer);
                    }
                    if reach < 15 {
                        steps.push(Step::JoinGroup);
                    }
                    if reach < 5 {
                        steps.push(Step::TakeSeat { chair: reach < 1 });
                    }
                    if reach < 5 && rng.bool() {
                        steps.push(Step::Leave);
                    }
                    for step in steps {
                        at += rng.i64(2..12);
                        plans.entry(at).or_default().push((id, step));
                    }
                }
            }
        }

        // The youth worker runs a session every other week.
        if week % 2 == 1 && youth_share > 0 {
            let (patch, _, _) = pick(&mut rng, &PATCHES);
            let session = youth.phone.create_event(&NewEvent {
                area: AREA.into(),
                patch: patch.into(),
                title: "Youth session".into(),
                kind: EventKind::YouthSession,
                starts_at: clock.now(),
                ends_at: None,
                place: Some("Youth club".into()),
                headcount: None,
            })?;
            summary.events += 1;
            for _ in 0..(youth_share / (WEEKS as usize / 2)).max(1) {
                let band = pick(
                    &mut rng,
                    &[
                        AgeBand::Under13,
                        AgeBand::From13To17,
                        AgeBand::From13To17,
                        AgeBand::From18To24,
                    ],
                );
                let giver = if band == AgeBand::Under13 {
                    ConsentGiver::Guardian
                } else {
                    ConsentGiver::Subject
                };
                youth.phone.create_person(
                    &NewPerson::new(AREA, patch, EntryChannel::YouthSession),
                    |p| {
                        p.set_name(Some(pick(&mut rng, &FIRST_NAMES)))?;
                        p.set_age_band(Some(band))?;
                        p.record_consent(consent(
                            ConsentPurpose::Events,
                            ConsentMethod::Event,
                            giver,
                        ))?;
                        p.record(InteractionKind::EventSignUp { event: session })?;
                        p.record(InteractionKind::Attendance { event: session })
                            .map(drop)
                    },
                )?;
                summary.people += 1;
            }
        }

        // Everyone syncs at the end of the week; the worker last, so it
        // holds what the champions recorded.
        let friday = monday.plus_days(5);
        clock.set(friday);
        for sim in champions.iter_mut().chain([&mut youth, &mut worker]) {
            summary.syncs += sync_phone(db, sim, friday).await?;
        }

        // The worker records progress planned for this week.
        if let Some(due) = plans.remove(&week) {
            for (id, step) in due {
                let Some(&event) = events.last() else {
                    continue;
                };
                let seat = seats.get(&id).copied();
                let entry = worker.phone.edit_person(id, |p| {
                    let now = p.now();
                    match step {
                        Step::Attend => p.record(InteractionKind::Attendance { event }).map(Some),
                        Step::Volunteer => p
                            .record(InteractionKind::Volunteering {
                                activity: pick(&mut rng, &ACTIVITIES).into(),
                                event: Some(event),
                            })
                            .map(|_| None),
                        Step::JoinGroup => {
                            // Elm Road's people join its residents' group;
                            // others the events team until a year ago
                            // (every other one), else green spaces.
                            let group = if elm_road.contains(&id) {
                                groups[1]
                            } else if week < WEEKS - 56 && id.as_bytes()[15] % 2 == 0 {
                                groups[2]
                            } else {
                                groups[0]
                            };
                            p.join_group(group, now).map(|_| None)
                        }
                        Step::TakeSeat { chair } => {
                            let role = if chair {
                                HeldRole::Chair
                            } else {
                                HeldRole::PartnershipMember
                            };
                            // Some members wear another hat, as on real
                            // boards: every fifth a councillor, the one
                            // after a paid worker (no draw from `rng`, so
                            // the rest of the demo stays as it was).
                            let hats = match (chair, seats.len() % 5) {
                                (false, 1) => [Hat::Councillor].into(),
                                (false, 2) => [Hat::PaidWorker].into(),
                                _ => BTreeSet::new(),
                            };
                            p.record(InteractionKind::Role {
                                role,
                                start: now,
                                end: None,
                                hats,
                            })
                            .map(Some)
                        }
                        Step::Leave => match seat {
                            Some(entry) => p.end(entry, now).map(|_| None),
                            None => Ok(None),
                        },
                        Step::KeepPromise { entry, done } => {
                            p.complete_follow_up(entry, Some(done)).map(|_| None)
                        }
                    }
                });
                if matches!(step, Step::JoinGroup | Step::TakeSeat { .. }) && entry.is_ok() {
                    involved.insert(id);
                }
                match (step, entry) {
                    (Step::TakeSeat { .. }, Ok(Some(entry))) => {
                        seats.insert(id, entry);
                    }
                    (_, Ok(_)) => {}
                    (_, Err(sync_core::Error::NotFound { .. })) => {}
                    (_, Err(e)) => return Err(e.into()),
                }
            }
            summary.syncs += sync_phone(db, &mut worker, friday).await?;
        }

        // Every fourth week the partnership trains its own: the same
        // people, again and again (no draw from `rng`, so the rest of the
        // demo stays as it was).
        if week % 4 == 3 && !involved.is_empty() {
            let training = worker.phone.create_event(&NewEvent {
                area: AREA.into(),
                patch: PATCHES[0].0.into(),
                title: "Training for board and group members".into(),
                kind: EventKind::Training,
                starts_at: friday,
                ends_at: None,
                place: Some("Community centre".into()),
                headcount: None,
            })?;
            summary.events += 1;
            for id in &involved {
                match worker.phone.edit_person(*id, |p| {
                    p.record(InteractionKind::Attendance { event: training })
                }) {
                    Ok(_) | Err(sync_core::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            summary.syncs += sync_phone(db, &mut worker, friday).await?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(summary)
}
