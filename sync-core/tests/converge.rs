//! Property test: however phones edit offline and whenever they sync, once
//! everyone has synced they all hold identical documents, derive identical
//! ladder stages, and nothing any phone wrote is lost.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sync_core::{
    ConsentGiver, ConsentMethod, ConsentPurpose, DeviceId, DocId, DoorOutcome, Doorstep,
    EntryChannel, EntryId, Error, InteractionKind, Ladder, LawfulBasis, ManualClock, MemoryHub,
    MemoryStore, NewConsent, NewPerson, Record, Replica, Role, Scope, Timestamp, ValidationError,
};

const START: Timestamp = Timestamp::from_millis(1_760_000_000_000);
const PATCHES: [&str; 2] = ["elm-road", "oak-lane"];
const NAMES: [&str; 4] = ["Sam", "Ali", "Kim", "Jo"];
const TOPICS: [&str; 3] = ["parks", "litter", "youth"];

type Phone = Replica<MemoryStore, ManualClock>;

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

fn run(phones: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::with_page_size(3);
    let mut replicas: Vec<Phone> = (0..phones)
        .map(|_| Replica::open(MemoryStore::new(), DeviceId::new(START), clock.clone()).unwrap())
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
    for phone in replicas.iter_mut() {
        hub.sync(&Scope::Admin, phone).unwrap();
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
                let phone = &mut replicas[*phone];
                let response = hub
                    .handle(&Scope::Admin, &phone.sync_request().unwrap())
                    .unwrap();
                phone.apply_sync_response(&response).unwrap();
            }
            Step::SyncLost { phone } => {
                let phone = &replicas[*phone];
                hub.handle(&Scope::Admin, &phone.sync_request().unwrap())
                    .unwrap();
            }
            Step::SyncTwice { phone } => {
                let phone = &mut replicas[*phone];
                let response = hub
                    .handle(&Scope::Admin, &phone.sync_request().unwrap())
                    .unwrap();
                phone.apply_sync_response(&response).unwrap();
                phone.apply_sync_response(&response).unwrap();
            }
        }
    }

    // Everyone comes back online: two full rounds settle everything.
    for _ in 0..2 {
        for phone in replicas.iter_mut() {
            let outcome = hub.sync(&Scope::Admin, phone).unwrap();
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

    #[test]
    fn phones_converge_whatever_the_order_of_edits_and_syncs((phones, steps) in scenario()) {
        run(phones, &steps)?;
    }
}
