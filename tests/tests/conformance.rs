//! One suite over every implementation of the sync algorithm: sync-core's
//! reference `MemoryHub` and the real server on SQLite and PostgreSQL
//! (`tests::hubs`). Phones edit offline and sync in any order; records are
//! erased, merged as duplicates, and devices revoked; everything any phone
//! wrote survives, and every hub ends where the reference does.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};

use proptest::prelude::*;
use sync_core::{
    ConsentGiver, ConsentMethod, ConsentPurpose, DeviceId, DocId, DoorOutcome, Doorstep,
    EntryChannel, EntryId, Error, InteractionKind, Ladder, LawfulBasis, Location, ManualClock,
    MemoryStore, NewAddress, NewConsent, NewPerson, Record, Replica, RevisitFlag, Role, Scope,
    Storage, SyncOutcome, ValidationError,
};
use tests::HOUR;
use tests::champion;
use tests::hubs::{Hub, Reference, Served};

type Phone = Replica<MemoryStore, ManualClock>;

/// A phone registered with a hub: its device id and its replica.
struct Device {
    id: DeviceId,
    replica: Phone,
}

impl Deref for Device {
    type Target = Phone;

    fn deref(&self) -> &Phone {
        &self.replica
    }
}

impl DerefMut for Device {
    fn deref_mut(&mut self) -> &mut Phone {
        &mut self.replica
    }
}

/// A new phone, registered with `hub` in `scope`.
fn phone(hub: &mut impl Hub, scope: &Scope) -> Device {
    let id = hub.register(scope);
    let replica = Replica::open(MemoryStore::new(), id, hub.clock().clone()).expect("a phone");
    Device { id, replica }
}

/// Syncs until settled, which it must be.
fn sync(hub: &mut impl Hub, phone: &mut Device) -> SyncOutcome {
    let outcome = hub.sync(phone.id, &mut phone.replica);
    assert!(!outcome.more, "sync did not settle: {outcome:?}");
    outcome
}

/// A champion of Elm Road.
fn elm_road() -> Scope {
    champion(&["elm-road"])
}

// ------------------------------------------------- convergence, property-tested

const PATCHES: [&str; 2] = ["elm-road", "oak-lane"];
const NAMES: [&str; 4] = ["Sam", "Ali", "Kim", "Jo"];
const TOPICS: [&str; 3] = ["parks", "litter", "youth"];

/// Cases run against the real server: each starts a database of its own.
const SERVER_CASES: u32 = 128;

/// One thing that happens in the simulation.
#[derive(Debug, Clone)]
enum Step {
    /// A phone records a new person.
    Create { phone: usize, patch: usize },
    /// A phone edits one of the people it holds.
    Edit {
        phone: usize,
        person: usize,
        edit: Edit,
    },
    /// A phone syncs one round trip.
    Sync { phone: usize },
    /// A phone syncs, but the response is lost on the way back.
    SyncLost { phone: usize },
    /// A phone receives the same response twice.
    SyncTwice { phone: usize },
}

#[derive(Debug, Clone)]
enum Edit {
    Name(usize),
    Phone(u16),
    Interest(usize, bool),
    Doorstep(usize, usize),
    Role,
    EndFirstRole(i64),
    Consent(bool),
    MovePatch(usize),
    /// An edit that breaks a rule: refused, nothing stored.
    BadEmail,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..NAMES.len()).prop_map(Edit::Name),
        any::<u16>().prop_map(Edit::Phone),
        (0..TOPICS.len(), any::<bool>()).prop_map(|(t, on)| Edit::Interest(t, on)),
        (0..DoorOutcome::ALL.len(), 0..TOPICS.len()).prop_map(|(o, t)| Edit::Doorstep(o, t)),
        Just(Edit::Role),
        (1..400i64).prop_map(Edit::EndFirstRole),
        any::<bool>().prop_map(Edit::Consent),
        (0..PATCHES.len()).prop_map(Edit::MovePatch),
        Just(Edit::BadEmail),
    ]
}

fn step(phones: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..phones, 0..PATCHES.len()).prop_map(|(phone, patch)| Step::Create { phone, patch }),
        6 => (0..phones, 0..8usize, edit()).prop_map(|(phone, person, edit)| Step::Edit { phone, person, edit }),
        3 => (0..phones).prop_map(|phone| Step::Sync { phone }),
        1 => (0..phones).prop_map(|phone| Step::SyncLost { phone }),
        1 => (0..phones).prop_map(|phone| Step::SyncTwice { phone }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (3..=6usize).prop_flat_map(|phones| (Just(phones), prop::collection::vec(step(phones), 10..60)))
}

/// What phones wrote and were told was stored: it must all survive.
#[derive(Default)]
struct Written {
    interactions: BTreeSet<(DocId, EntryId)>,
    consents: BTreeSet<(DocId, EntryId)>,
    ended_roles: BTreeSet<(DocId, EntryId)>,
}

fn apply_edit(
    phone: &mut Phone,
    id: DocId,
    edit: &Edit,
    written: &mut Written,
) -> Result<(), TestCaseError> {
    let first_role = phone
        .person(id)
        .unwrap()
        .interactions
        .iter()
        .find(|i| matches!(i.kind, InteractionKind::Role { .. }))
        .map(|i| i.id);
    let result = phone.edit_person(id, |p| {
        let now = p.now();
        match *edit {
            Edit::Name(n) => p.set_name(Some(NAMES[n])).map(|_| None),
            Edit::Phone(n) => p.set_phone(Some(&format!("07700 9{n:05}"))).map(|_| None),
            Edit::Interest(t, on) => p.set_interest(TOPICS[t], on).map(|_| None),
            Edit::Doorstep(o, t) => p
                .log_doorstep(Doorstep::new(DoorOutcome::ALL[o]).topic(TOPICS[t]))
                .map(|e| Some((true, e))),
            Edit::Role => p
                .record(InteractionKind::Role {
                    role: Role::PartnershipMember,
                    start: now,
                    end: None,
                    hats: Default::default(),
                })
                .map(|e| Some((true, e))),
            Edit::EndFirstRole(days) => match first_role {
                Some(entry) => p.end(entry, now.plus_days(days)).map(|_| None),
                None => Ok(None),
            },
            Edit::Consent(granted) => p
                .record_consent(NewConsent {
                    purpose: ConsentPurpose::ContactAgain,
                    granted,
                    lawful_basis: LawfulBasis::Consent,
                    wording_version: "v1".into(),
                    method: ConsentMethod::Doorstep,
                    given_by: ConsentGiver::Subject,
                })
                .map(|e| Some((false, e))),
            Edit::MovePatch(n) => p.move_to_patch(PATCHES[n]).map(|_| None),
            Edit::BadEmail => p.set_email(Some("no at sign")).map(|_| None),
        }
    });
    match (edit, result) {
        (Edit::BadEmail, Err(Error::Validation(ValidationError::InvalidEmail))) => {}
        (Edit::BadEmail, other) => {
            return Err(TestCaseError::fail(format!(
                "bad email not refused: {other:?}"
            )));
        }
        (_, Ok(Some((true, entry)))) => {
            written.interactions.insert((id, entry));
        }
        (_, Ok(Some((false, entry)))) => {
            written.consents.insert((id, entry));
        }
        (Edit::EndFirstRole(_), Ok(None)) => {
            if let Some(entry) = first_role {
                written.ended_roles.insert((id, entry));
            }
        }
        (_, Ok(None)) => {}
        (_, Err(e)) => return Err(TestCaseError::fail(format!("edit {edit:?} failed: {e}"))),
    }
    Ok(())
}

fn run(mut hub: impl Hub, phones: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let clock = hub.clock().clone();
    let devices: Vec<DeviceId> = (0..phones).map(|_| hub.register(&Scope::Admin)).collect();
    let mut replicas: Vec<Phone> = devices
        .iter()
        .map(|device| Replica::open(MemoryStore::new(), *device, clock.clone()).unwrap())
        .collect();
    let mut written = Written::default();
    // Everyone starts from the same two people, so edits of the same
    // person by several phones are the rule, not the exception.
    for patch in PATCHES {
        replicas[0]
            .create_person(
                &NewPerson::new("north-estate", patch, EntryChannel::Doorstep),
                |_| Ok(()),
            )
            .unwrap();
    }
    for (phone, device) in replicas.iter_mut().zip(&devices) {
        hub.sync(*device, phone);
    }

    for step in steps {
        clock.advance(60_000);
        match step {
            Step::Create { phone, patch } => {
                let new = NewPerson::new("north-estate", PATCHES[*patch], EntryChannel::Doorstep);
                replicas[*phone].create_person(&new, |_| Ok(())).unwrap();
            }
            Step::Edit {
                phone,
                person,
                edit,
            } => {
                let phone = &mut replicas[*phone];
                let ids = phone.document_ids().unwrap();
                let id = ids[person % ids.len()];
                apply_edit(phone, id, edit, &mut written)?;
            }
            Step::Sync { phone } => {
                let device = devices[*phone];
                let phone = &mut replicas[*phone];
                let response = hub.handle(device, &phone.sync_request().unwrap());
                phone.apply_sync_response(&response).unwrap();
            }
            Step::SyncLost { phone } => {
                let device = devices[*phone];
                let phone = &replicas[*phone];
                hub.handle(device, &phone.sync_request().unwrap());
            }
            Step::SyncTwice { phone } => {
                let device = devices[*phone];
                let phone = &mut replicas[*phone];
                let response = hub.handle(device, &phone.sync_request().unwrap());
                phone.apply_sync_response(&response).unwrap();
                phone.apply_sync_response(&response).unwrap();
            }
        }
    }

    // Everyone comes back online: two full rounds settle everything.
    for _ in 0..2 {
        for (phone, device) in replicas.iter_mut().zip(&devices) {
            let outcome = hub.sync(*device, phone);
            prop_assert!(!outcome.more, "sync did not settle: {outcome:?}");
            prop_assert!(
                outcome.rejected.is_empty(),
                "refused: {:?}",
                outcome.rejected
            );
        }
    }

    let ids = hub.document_ids();
    let as_of = clock.now().plus_days(1000);
    let ladder = Ladder::default();
    for (n, phone) in replicas.iter().enumerate() {
        prop_assert_eq!(
            phone.pending_changes(),
            0,
            "phone {} has unsynced changes",
            n
        );
        prop_assert_eq!(
            &phone.document_ids().unwrap(),
            &ids,
            "phone {} holds other documents",
            n
        );
        for &id in &ids {
            prop_assert_eq!(
                phone.heads(id).unwrap(),
                hub.heads(id),
                "phone {} heads of {}",
                n,
                id
            );
            let (Record::Person(mine), Some(Record::Person(hubs))) =
                (phone.record(id).unwrap(), hub.record(id))
            else {
                return Err(TestCaseError::fail("not a person"));
            };
            prop_assert_eq!(&mine, &hubs, "phone {} record {}", n, id);
            prop_assert_eq!(ladder.progress(&mine, as_of), ladder.progress(&hubs, as_of));
        }
    }
    let people: BTreeMap<DocId, sync_core::Person> = hub
        .records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Person(p) => Some((p.id, p)),
            _ => None,
        })
        .collect();
    for (doc, entry) in &written.interactions {
        prop_assert!(
            people[doc].interaction(*entry).is_some(),
            "interaction {} lost",
            entry
        );
    }
    for (doc, entry) in &written.consents {
        prop_assert!(
            people[doc].consents.iter().any(|c| c.id == *entry),
            "consent {} lost",
            entry
        );
    }
    for (doc, entry) in &written.ended_roles {
        let role = people[doc].interaction(*entry).map(|i| &i.kind);
        prop_assert!(
            matches!(role, Some(InteractionKind::Role { end: Some(_), .. })),
            "role end lost"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Against the reference, with pages of three documents, so that
    /// responses are cut short and phones call again.
    #[test]
    fn phones_converge_whatever_the_order_of_edits_and_syncs((phones, steps) in scenario()) {
        run(Reference::with_page_size(3), phones, &steps)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: SERVER_CASES, ..ProptestConfig::default() })]

    #[test]
    fn phones_converge_through_the_server_on_sqlite((phones, steps) in scenario()) {
        run(Served::start(tests::server::sqlite()), phones, &steps)?;
    }

    #[test]
    fn phones_converge_through_the_server_on_postgres((phones, steps) in scenario()) {
        if let Some(db) = tests::server::postgres() {
            run(Served::start(db), phones, &steps)?;
        }
    }
}

// ------------------------------------------ doors, walk lists and duplicates

fn a_walk_list_is_built_offline_from_doors_received_and_doors_added(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let mut office = phone(&mut hub, &Scope::Admin);
    for (house, latitude) in [("2", 51.002), ("4", 51.004), ("6", 51.006)] {
        let mut door = NewAddress::new("north-estate", "elm-road", house, "Oak Lane");
        door.postcode = Some("AB1 2CD".into());
        door.location = Some(Location {
            latitude,
            longitude: -0.1,
        });
        office.create_address(&door).unwrap();
    }
    sync(&mut hub, &mut office);

    let mut champ = phone(&mut hub, &elm_road());
    sync(&mut hub, &mut champ);
    // From here on the champion has no signal.
    let list = champ.walk_list("elm-road", None).unwrap();
    assert_eq!(list.len(), 3);
    let [two, four, six] = [0, 1, 2].map(|i| list[i].address);
    clock.advance(HOUR);
    champ.record_visit(two, DoorOutcome::NotIn).unwrap();
    champ.record_visit(four, DoorOutcome::NoKnocking).unwrap();
    let resident = champ
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam"))?;
                p.set_household(Some(six))?;
                p.log_doorstep(
                    Doorstep::new(DoorOutcome::Spoke).follow_up("Bring a leaflet", None),
                )?;
                Ok(())
            },
        )
        .unwrap();
    champ.record_visit(six, DoorOutcome::Spoke).unwrap();
    let new_door = champ
        .create_address(&NewAddress::new(
            "north-estate",
            "elm-road",
            "1",
            "Oak Lane",
        ))
        .unwrap();
    clock.advance(HOUR);
    champ.record_visit(two, DoorOutcome::NotIn).unwrap();

    let list = champ.walk_list("elm-road", None).unwrap();
    let labels: Vec<&str> = list.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        ["1 Oak Lane", "2 Oak Lane, AB1 2CD", "6 Oak Lane, AB1 2CD"]
    );
    assert_eq!(list[0].address, new_door);
    assert_eq!(list[1].flags, [RevisitFlag::TryAnotherTime]);
    assert_eq!(list[1].knocks, 2);
    assert_eq!(list[2].flags, [RevisitFlag::FollowUpDue]);
    assert_eq!(list[2].residents.len(), 1);
    assert_eq!(list[2].residents[0].id, resident);
    assert_eq!(list[2].residents[0].name.as_deref(), Some("Sam"));
    assert_eq!(
        list[2].last_visit.as_ref().map(|v| v.outcome),
        Some(DoorOutcome::Spoke)
    );

    // Walking from the north end, the located doors come nearest first and
    // the unmapped door last.
    let north = Location {
        latitude: 51.01,
        longitude: -0.1,
    };
    let from_north = champ.walk_list("elm-road", Some(north)).unwrap();
    let order: Vec<_> = from_north.iter().map(|s| s.address).collect();
    assert_eq!(order, [six, two, new_door]);

    // Back in signal: the office sees every knock.
    sync(&mut hub, &mut champ);
    let Some(Record::Address(door)) = hub.record(two) else {
        panic!("door missing")
    };
    assert_eq!(door.visits.len(), 2);
    assert!(hub.record(new_door).is_some());
}

fn a_late_edit_to_a_merged_away_person_lands_on_the_survivor(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let mut alice = phone(&mut hub, &elm_road());
    let mut bob = phone(&mut hub, &elm_road());
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    // Two champions meet the same resident, offline.
    let first = alice
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))?;
            Ok(())
        })
        .unwrap();
    clock.advance(HOUR);
    let second = bob
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_phone(Some("07700 900123"))?;
            p.set_interest("youth", true)?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("youth"))?;
            Ok(())
        })
        .unwrap();
    sync(&mut hub, &mut alice);
    sync(&mut hub, &mut bob);
    sync(&mut hub, &mut alice);

    hub.merge_people(first, second);
    let Some(Record::Person(merged)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert_eq!(merged.interactions.len(), 2);
    assert_eq!(merged.phone.as_deref(), Some("07700 900123"));
    assert!(merged.interests.contains("youth"));
    assert!(hub.record(second).is_none());
    // A champion of another patch is not told that the two ids were one
    // person.
    let mut elsewhere = phone(&mut hub, &champion(&["oak-lane"]));
    assert!(sync(&mut hub, &mut elsewhere).redirected.is_empty());

    // Bob has not heard of the merge and logs another conversation on the
    // record he knows, and corrects the phone number.
    clock.advance(HOUR);
    let late = bob
        .edit_person(second, |p| {
            p.set_phone(Some("07700 900999"))?;
            p.record(InteractionKind::Volunteering {
                activity: "Litter pick".into(),
                event: None,
            })
        })
        .unwrap();
    let outcome = sync(&mut hub, &mut bob);
    assert_eq!(outcome.redirected.len(), 1);
    assert_eq!(outcome.redirected[0].to, first);
    let Some(Record::Person(survivor)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert!(
        survivor.interaction(late).is_some(),
        "the late edit was lost"
    );
    assert_eq!(survivor.phone.as_deref(), Some("07700 900999"));
    assert_eq!(survivor.interactions.len(), 3);
    // Bob's old copy is gone and the survivor is on his phone instead.
    assert!(bob.person(second).is_err());
    assert_eq!(bob.person(first).unwrap(), survivor);
    assert_eq!(bob.pending_changes(), 0);

    // Alice had received Bob's record too: she drops it and converges.
    let outcome = sync(&mut hub, &mut alice);
    assert_eq!(outcome.redirected.len(), 1);
    assert!(alice.person(second).is_err());
    assert_eq!(alice.person(first).unwrap(), survivor);

    // Erasing the survivor erases the merged-away id with it.
    hub.erase(first);
    sync(&mut hub, &mut bob);
    assert!(bob.person(first).is_err());
    let push_again = bob.create_person(&new, |p| p.set_name(Some("Someone else")));
    assert!(push_again.is_ok());
}

fn late_edits_win_even_when_the_phone_missed_edits_from_before_the_merge(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let mut alice = phone(&mut hub, &elm_road());
    // Bob works two patches, and met the resident in the other one.
    let mut bob = phone(&mut hub, &champion(&["elm-road", "oak-lane"]));
    let mut office = phone(&mut hub, &Scope::Admin);
    let first = alice
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| p.set_name(Some("Sam Jones")),
        )
        .unwrap();
    // The same resident, recorded by Bob in Oak Lane.
    let second = bob
        .create_person(
            &NewPerson::new("north-estate", "oak-lane", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam Jones"))?;
                p.set_phone(Some("07700 900123"))
            },
        )
        .unwrap();
    sync(&mut hub, &mut bob);
    sync(&mut hub, &mut alice);
    // The office edits Bob's record; Bob does not sync again before the merge.
    sync(&mut hub, &mut office);
    office
        .edit_person(second, |p| p.set_email(Some("sam@example.org")))
        .unwrap();
    sync(&mut hub, &mut office);
    hub.merge_people(first, second);

    // Bob corrects the phone number and withdraws nothing else.
    clock.advance(HOUR);
    bob.edit_person(second, |p| p.set_phone(Some("07700 900999")))
        .unwrap();
    let outcome = sync(&mut hub, &mut bob);
    assert!(outcome.rejected.is_empty(), "{outcome:?}");
    assert_eq!(outcome.redirected.len(), 1);
    let Some(Record::Person(survivor)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert_eq!(survivor.phone.as_deref(), Some("07700 900999"));
    assert_eq!(survivor.email.as_deref(), Some("sam@example.org"));
    assert_eq!(
        survivor.patch, "elm-road",
        "a field Bob did not change stays"
    );
    // Bob's copy is gone, and he holds the survivor instead.
    assert!(bob.person(second).is_err());
    assert_eq!(bob.person(first).unwrap(), survivor);
    assert_eq!(bob.pending_changes(), 0);
}

/// A late edit is judged against the survivor as if the device wrote it
/// directly: one from a champion who may not write the survivor's patch
/// is refused (and stays on the phone), and moving the merged-away record
/// into one of the champion's own patches does not pull the survivor
/// across. Without that, a champion could move any resident recorded twice
/// into a patch of theirs and read them.
fn a_late_edit_never_reaches_a_survivor_the_device_may_not_write(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let mut c4 = phone(&mut hub, &champion(&["oak-lane", "birch-close"]));
    let mut c3 = phone(&mut hub, &elm_road());
    let a = c4
        .create_person(
            &NewPerson::new("north-estate", "oak-lane", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam Jones"))?;
                p.set_email(Some("sam@example.org"))
            },
        )
        .unwrap();
    let b = c3
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam Jones"))?;
                p.set_email(Some("sam@example.org"))?;
                p.set_phone(Some("07700 900123"))
            },
        )
        .unwrap();
    sync(&mut hub, &mut c4);
    sync(&mut hub, &mut c3);
    hub.merge_people(b, a);

    // C4, not knowing, moves A to another of its patches.
    clock.advance(HOUR);
    c4.edit_person(a, |p| p.move_to_patch("birch-close"))
        .unwrap();
    let outcome = sync(&mut hub, &mut c4);
    let refused: Vec<(DocId, sync_core::RejectionCode)> = outcome
        .rejected
        .iter()
        .map(|(id, r)| (*id, r.code))
        .collect();
    assert_eq!(
        refused,
        vec![(a, sync_core::RejectionCode::OutOfScope)],
        "{outcome:?}"
    );
    let Some(Record::Person(survivor)) = hub.record(b) else {
        panic!("survivor missing")
    };
    assert_eq!(survivor.patch, "elm-road", "the survivor was moved");
    assert!(c4.person(b).is_err(), "C4 received the survivor");
    // C4's own change is not lost: it stays on the phone, refused.
    assert_eq!(c4.person(a).unwrap().patch, "birch-close");
    assert!(c4.rejections().iter().any(|(id, _)| *id == a));

    // A plain late edit from outside the survivor's patch is refused too.
    clock.advance(HOUR);
    c4.edit_person(a, |p| p.set_phone(Some("07700 900999")))
        .unwrap();
    let outcome = sync(&mut hub, &mut c4);
    assert!(
        outcome.rejected.iter().any(|(id, _)| *id == a),
        "{outcome:?}"
    );
    let Some(Record::Person(survivor)) = hub.record(b) else {
        panic!("survivor missing")
    };
    assert_eq!(survivor.phone.as_deref(), Some("07700 900123"));
}

/// A phone may only write in its own name: the device the hub
/// authenticated is the one that creates records and records entries.
fn a_push_naming_another_device_is_refused(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let youth = phone(
        &mut hub,
        &Scope::YouthWorker {
            device: DeviceId::new(clock.now()),
        },
    );
    let mut champ = phone(&mut hub, &elm_road());
    let mut office = phone(&mut hub, &Scope::Admin);
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let held = champ
        .create_person(&new, |p| p.set_name(Some("Kim")))
        .unwrap();
    let door = office
        .create_address(&NewAddress::new(
            "north-estate",
            "elm-road",
            "2",
            "Elm Road",
        ))
        .unwrap();
    sync(&mut hub, &mut champ);
    sync(&mut hub, &mut office);

    // A person created in the youth worker's name, signed up to an event,
    // would fall into the youth worker's scope.
    let mut as_youth = forger(&mut hub, youth.id);
    let pushed_in = as_youth
        .create_person(&new, |p| {
            p.set_name(Some("Pat"))?;
            p.record(InteractionKind::EventSignUp {
                event: DocId::new(clock.now()),
            })
            .map(drop)
        })
        .unwrap();
    let outcome = hub.sync(as_youth.id, &mut as_youth.replica);
    assert_refused(&outcome, pushed_in);
    assert!(hub.record(pushed_in).is_none());

    // An entry, a consent and a knock recorded in the champion's name on
    // records already held.
    let mut as_champ = forger(&mut hub, champ.id);
    sync(&mut hub, &mut as_champ);
    as_champ
        .edit_person(held, |p| p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)))
        .unwrap();
    let outcome = hub.sync(as_champ.id, &mut as_champ.replica);
    assert_refused(&outcome, held);

    let mut as_champ = forger(&mut hub, champ.id);
    sync(&mut hub, &mut as_champ);
    as_champ
        .edit_person(held, |p| {
            p.record_consent(NewConsent {
                purpose: ConsentPurpose::ContactAgain,
                granted: true,
                lawful_basis: LawfulBasis::Consent,
                wording_version: "v1".into(),
                method: ConsentMethod::Doorstep,
                given_by: ConsentGiver::Subject,
            })
        })
        .unwrap();
    let outcome = hub.sync(as_champ.id, &mut as_champ.replica);
    assert_refused(&outcome, held);

    let mut as_champ = forger(&mut hub, champ.id);
    sync(&mut hub, &mut as_champ);
    as_champ.record_visit(door, DoorOutcome::NotIn).unwrap();
    let outcome = hub.sync(as_champ.id, &mut as_champ.replica);
    assert_refused(&outcome, door);

    let Some(Record::Person(kim)) = hub.record(held) else {
        panic!("Kim missing")
    };
    assert!(kim.interactions.is_empty() && kim.consents.is_empty());
    let Some(Record::Address(door)) = hub.record(door) else {
        panic!("the door missing")
    };
    assert!(door.visits.is_empty());
    // The same edits in the phone's own name are taken.
    champ
        .edit_person(held, |p| p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)))
        .unwrap();
    assert!(sync(&mut hub, &mut champ).rejected.is_empty());
}

/// A champion's phone, registered with `hub`, whose store claims to be the
/// device `claims`: it writes in that device's name.
fn forger(hub: &mut impl Hub, claims: DeviceId) -> Device {
    let id = hub.register(&elm_road());
    let replica = Replica::open(MemoryStore::new(), claims, hub.clock().clone()).unwrap();
    Device { id, replica }
}

/// The push of `doc` was refused as naming another device.
fn assert_refused(outcome: &SyncOutcome, doc: DocId) {
    assert!(
        outcome
            .rejected
            .iter()
            .any(|(id, r)| *id == doc && r.code == sync_core::RejectionCode::Invalid),
        "{outcome:?}"
    );
}

fn late_edits_to_shared_entries_and_sets_reach_the_survivor(mut hub: impl Hub) {
    let clock = hub.clock().clone();
    let mut alice = phone(&mut hub, &elm_road());
    let mut bob = phone(&mut hub, &elm_road());
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let first = alice
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_interest("parks", true)
        })
        .unwrap();
    let mut promised = None;
    let mut joined = None;
    let second = bob
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_interest("youth", true)?;
            promised = Some(p.log_doorstep(
                Doorstep::new(DoorOutcome::Spoke).follow_up("Send the youth club dates", None),
            )?);
            joined = Some(p.record(InteractionKind::WorkingGroup {
                group: "Youth".into(),
                start: clock.now(),
                end: None,
            })?);
            Ok(())
        })
        .unwrap();
    let (promised, joined) = (promised.unwrap(), joined.unwrap());
    sync(&mut hub, &mut alice);
    sync(&mut hub, &mut bob);
    hub.merge_people(first, second);
    let Some(Record::Person(merged)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert_eq!(merged.name.as_deref(), Some("Sam Jones"));
    assert!(merged.interests.contains("parks") && merged.interests.contains("youth"));
    assert_eq!(merged.follow_ups_owed().count(), 1);

    // Bob, not knowing, does the follow-up, ends the membership, drops an
    // interest and records that they asked not to be contacted.
    clock.advance(HOUR);
    bob.edit_person(second, |p| {
        p.complete_follow_up(promised, Some("Posted"))?;
        p.end(joined, clock.now())?;
        p.set_interest("youth", false)?;
        p.set_do_not_contact(true)
    })
    .unwrap();
    sync(&mut hub, &mut bob);
    let Some(Record::Person(survivor)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert_eq!(
        survivor.follow_ups_owed().count(),
        0,
        "the follow-up done was lost"
    );
    assert!(matches!(
        survivor.interaction(joined).map(|i| &i.kind),
        Some(InteractionKind::WorkingGroup { end: Some(_), .. })
    ));
    assert!(!survivor.interests.contains("youth"));
    assert!(
        survivor.interests.contains("parks"),
        "Alice's interest stays"
    );
    assert!(survivor.do_not_contact);
    // Pushing again changes nothing.
    let heads = hub.heads(first);
    sync(&mut hub, &mut bob);
    assert_eq!(hub.heads(first), heads);
}

// ----------------------------------------------------- erasure and revocation

fn an_erased_record_leaves_every_phone_and_never_comes_back(mut hub: impl Hub) {
    const NAME: &str = "Erasable Resident";
    let mut alice = phone(&mut hub, &elm_road());
    let mut bob = phone(&mut hub, &elm_road());
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let id = alice
        .create_person(&new, |p| {
            p.set_name(Some(NAME))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
            Ok(())
        })
        .unwrap();
    let kept = alice
        .create_person(&new, |p| p.set_name(Some("Someone Staying")))
        .unwrap();
    sync(&mut hub, &mut alice);
    sync(&mut hub, &mut bob);
    assert!(bob.person(id).is_ok());

    // Bob edits offline; meanwhile the person asks to be forgotten.
    bob.edit_person(id, |p| p.set_phone(Some("07700 900555")))
        .unwrap();
    assert!(hub.erase(id), "it was held");
    // Erasing again (as after a scrub that gave up) must not take back the
    // notice phones have not had yet.
    assert!(!hub.erase(id), "erasing again holds nothing more");
    assert!(hub.record(id).is_none());
    assert!(hub.record(kept).is_some());

    // Bob's edit is refused as erased: his copy goes, with nothing left to
    // push.
    let outcome = sync(&mut hub, &mut bob);
    assert_eq!(outcome.erased, 1, "{outcome:?}");
    assert!(outcome.rejected.is_empty(), "{outcome:?}");
    assert!(bob.person(id).is_err());
    assert_eq!(bob.pending_changes(), 0);
    // Alice hears of it at her next sync.
    let outcome = sync(&mut hub, &mut alice);
    assert_eq!(outcome.erased, 1, "{outcome:?}");
    assert!(alice.person(id).is_err());
    assert!(alice.person(kept).is_ok());
    // Nothing of it is left in what the hub holds.
    let held = hub.raw_bytes();
    assert!(!held.windows(NAME.len()).any(|w| w == NAME.as_bytes()));
    assert!(!held.windows(12).any(|w| w == b"07700 900555"));
    assert_eq!(hub.document_ids(), vec![kept]);
}

fn a_revoked_phone_wipes_its_store_at_its_next_sync(mut hub: impl Hub) {
    let mut lost = phone(&mut hub, &elm_road());
    lost.create_person(
        &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
        |p| p.set_name(Some("Sam")),
    )
    .unwrap();
    sync(&mut hub, &mut lost);
    hub.revoke(lost.id);
    let outcome = hub.sync(lost.id, &mut lost.replica);
    assert!(outcome.wiped, "{outcome:?}");
    assert_eq!(lost.storage().document_ids().expect("the store"), vec![]);
    assert!(matches!(lost.sync_request(), Err(Error::Wiped)));
    assert!(matches!(
        lost.create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |_| Ok(())
        ),
        Err(Error::Wiped)
    ));
    // What it had pushed stays at the hub.
    assert_eq!(hub.document_ids().len(), 1);
}

/// A phone holds only the records in its scope: when one moves to another
/// patch, the phones that could hold it only there drop it at their next
/// sync (and later changes, such as a withdrawn consent, stop reaching
/// them); the new patch's phones receive it. A phone that had changed it
/// meanwhile keeps its change, refused, rather than lose it.
fn a_record_moved_out_of_a_phones_scope_leaves_the_phone(mut hub: impl Hub) {
    let mut alice = phone(&mut hub, &elm_road());
    let mut carol = phone(&mut hub, &elm_road());
    let mut bob = phone(&mut hub, &champion(&["oak-lane"]));
    let mut office = phone(&mut hub, &Scope::Admin);
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let moving = alice
        .create_person(&new, |p| p.set_name(Some("Sam")))
        .unwrap();
    let edited = alice
        .create_person(&new, |p| p.set_name(Some("Kim")))
        .unwrap();
    let staying = alice
        .create_person(&new, |p| p.set_name(Some("Ali")))
        .unwrap();
    sync(&mut hub, &mut alice);
    sync(&mut hub, &mut carol);
    sync(&mut hub, &mut office);
    // Carol edits Kim offline while the office moves both to Oak Lane.
    carol
        .edit_person(edited, |p| p.set_phone(Some("07700 900555")))
        .unwrap();
    for id in [moving, edited] {
        office
            .edit_person(id, |p| {
                p.move_to_patch("oak-lane")?;
                p.set_do_not_contact(true)
            })
            .unwrap();
    }
    sync(&mut hub, &mut office);

    let outcome = sync(&mut hub, &mut alice);
    assert_eq!(outcome.dropped, 2, "{outcome:?}");
    assert!(alice.person(moving).is_err() && alice.person(edited).is_err());
    assert!(alice.person(staying).is_ok());
    assert_eq!(alice.pending_changes(), 0);
    // Carol's change to Kim is refused, and kept.
    let outcome = sync(&mut hub, &mut carol);
    assert!(carol.person(moving).is_err());
    assert!(
        outcome
            .rejected
            .iter()
            .any(|(id, r)| *id == edited && r.code == sync_core::RejectionCode::OutOfScope),
        "{outcome:?}"
    );
    assert_eq!(
        carol.person(edited).unwrap().phone.as_deref(),
        Some("07700 900555")
    );
    // Oak Lane's champion receives both, as they are now.
    sync(&mut hub, &mut bob);
    assert!(bob.person(moving).unwrap().do_not_contact);
    assert!(bob.person(edited).unwrap().do_not_contact);
    assert!(bob.person(staying).is_err());
}

tests::on_every_hub!(
    a_walk_list_is_built_offline_from_doors_received_and_doors_added,
    a_late_edit_to_a_merged_away_person_lands_on_the_survivor,
    late_edits_win_even_when_the_phone_missed_edits_from_before_the_merge,
    late_edits_to_shared_entries_and_sets_reach_the_survivor,
    a_late_edit_never_reaches_a_survivor_the_device_may_not_write,
    a_push_naming_another_device_is_refused,
    a_record_moved_out_of_a_phones_scope_leaves_the_phone,
    an_erased_record_leaves_every_phone_and_never_comes_back,
    a_revoked_phone_wipes_its_store_at_its_next_sync,
);
