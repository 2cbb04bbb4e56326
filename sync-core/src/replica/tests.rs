//! The replica's typed API, its validation and its half of the protocol,
//! against the in-memory hub.

use std::collections::BTreeSet;

use super::*;
use crate::ManualClock;
use crate::hub::{MemoryHub, PushMerge, document_heads, merge_push, read_record};
use crate::model::{
    ConsentGiver, ConsentMethod, DoorOutcome, EntryChannel, EventKind, LawfulBasis, PatchConfig,
    Role,
};
use crate::protocol::SyncResponse;
use crate::scope::Scope;
use crate::store::{FileStore, MemoryStore};

/// When the replica's tests start.
pub(super) const START: Timestamp = Timestamp::from_millis(1_760_000_000_000);

/// A phone on an in-memory store.
pub(super) type Phone = Replica<MemoryStore, ManualClock>;

/// A new phone whose device is made at the clock's time.
pub(super) fn phone(clock: &ManualClock) -> Phone {
    Replica::open(
        MemoryStore::new(),
        DeviceId::new(clock.now()),
        clock.clone(),
    )
    .unwrap()
}

fn new_person(patch: &str) -> NewPerson {
    NewPerson::new("north-estate", patch, EntryChannel::Doorstep)
}

fn consent(purpose: ConsentPurpose, granted: bool, given_by: ConsentGiver) -> NewConsent {
    NewConsent {
        purpose,
        granted,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "2026-01".into(),
        method: ConsentMethod::Doorstep,
        given_by,
    }
}

fn champion(patches: &[&str]) -> Scope {
    Scope::Champion {
        patches: patches.iter().map(|p| p.to_string()).collect(),
    }
}

fn event(patch: &str) -> NewEvent {
    NewEvent {
        area: "north-estate".into(),
        patch: patch.into(),
        title: "Summer fun day".into(),
        kind: EventKind::FunDay,
        starts_at: START.plus_days(10),
        ends_at: Some(START.plus_days(10)),
        place: Some("The green".into()),
        headcount: None,
    }
}

#[test]
fn a_logged_conversation_reads_back_and_waits_to_sync() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_resident(ResidentBasis::Lives, true)?;
            p.set_interest("parks", true)?;
            p.log_doorstep(
                Doorstep::new(DoorOutcome::Spoke)
                    .topic("litter")
                    .wants_to_join("litter-pick")
                    .follow_up("Send the litter-pick dates", Some(START.plus_days(7))),
            )?;
            Ok(())
        })
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.name.as_deref(), Some("Sam Jones"));
    assert_eq!(person.patch, "elm-road");
    assert_eq!(person.residency, BTreeSet::from([ResidentBasis::Lives]));
    assert_eq!(person.interests, BTreeSet::from(["parks".to_owned()]));
    assert_eq!(person.interactions.len(), 1);
    assert_eq!(person.follow_ups_owed().count(), 1);
    assert_eq!(person.created_by, phone.device());
    assert_eq!(person.created_at, START);
    assert_eq!(phone.pending_changes(), 1);
    assert_eq!(phone.people().unwrap(), vec![person]);
}

#[test]
fn an_invalid_edit_is_refused_with_a_typed_error_and_stores_nothing() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |p| {
            p.set_email(Some("sam@example.org"))
        })
        .unwrap();
    let before = phone.person(id).unwrap();
    let heads = phone.heads(id).unwrap();
    let err = phone
        .edit_person(id, |p| {
            p.set_name(Some("Sam"))?;
            p.set_email(Some("not an email"))
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::InvalidEmail)),
        "{err}"
    );
    assert_eq!(phone.person(id).unwrap(), before);
    assert_eq!(phone.heads(id).unwrap(), heads);

    let err = phone
        .create_person(&new_person("Not A Slug"), |_| Ok(()))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::NotASlug { field: "patch" })
    ));
    assert_eq!(phone.document_ids().unwrap(), vec![id]);
}

#[test]
fn ethnicity_needs_equality_monitoring_consent_and_goes_with_it() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |_| Ok(()))
        .unwrap();
    let err = phone
        .edit_person(id, |p| {
            p.record_consent(NewConsent {
                lawful_basis: LawfulBasis::LegitimateInterests,
                ..consent(
                    ConsentPurpose::EqualityMonitoring,
                    true,
                    ConsentGiver::Subject,
                )
            })
            .map(drop)
        })
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::SpecialCategoryNeedsConsent)
    ));
    let err = phone
        .edit_person(id, |p| p.set_ethnicity(Some("white-british")))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::EthnicityWithoutConsent)
    ));
    phone
        .edit_person(id, |p| {
            p.record_consent(consent(
                ConsentPurpose::EqualityMonitoring,
                true,
                ConsentGiver::Subject,
            ))?;
            p.set_ethnicity(Some("white-british"))
        })
        .unwrap();
    assert_eq!(
        phone.person(id).unwrap().ethnicity.as_deref(),
        Some("white-british")
    );

    clock.advance(1000);
    phone
        .edit_person(id, |p| {
            p.record_consent(consent(
                ConsentPurpose::EqualityMonitoring,
                false,
                ConsentGiver::Subject,
            ))
        })
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.ethnicity, None);
    assert!(!person.has_consent(ConsentPurpose::EqualityMonitoring));
    assert_eq!(person.consents.len(), 2);
}

#[test]
fn an_under_13_sign_up_needs_a_guardians_consent() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let fun_day = phone.create_event(&event("elm-road")).unwrap();
    let sign_up = InteractionKind::EventSignUp { event: fun_day };
    let child = NewPerson::new("north-estate", "elm-road", EntryChannel::YouthSession);
    let err = phone
        .create_person(&child, |p| {
            p.set_age_band(Some(AgeBand::Under13))?;
            p.record(sign_up.clone()).map(drop)
        })
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::GuardianConsentRequired)
    ));
    let err = phone
        .create_person(&child, |p| {
            p.set_age_band(Some(AgeBand::Under13))?;
            p.record_consent(consent(ConsentPurpose::Events, true, ConsentGiver::Subject))?;
            p.record(sign_up.clone()).map(drop)
        })
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::GuardianConsentRequired)
    ));
    let id = phone
        .create_person(&child, |p| {
            p.set_age_band(Some(AgeBand::Under13))?;
            p.record_consent(consent(
                ConsentPurpose::Events,
                true,
                ConsentGiver::Guardian,
            ))?;
            p.record(sign_up.clone()).map(drop)
        })
        .unwrap();
    assert_eq!(phone.person(id).unwrap().interactions.len(), 1);
    // A 13-to-17-year-old signs up on their own consent.
    phone
        .create_person(&child, |p| {
            p.set_age_band(Some(AgeBand::From13To17))?;
            p.record(sign_up).map(drop)
        })
        .unwrap();
}

#[test]
fn follow_ups_are_owed_until_done() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let mut entries = Vec::new();
    let id = phone
        .create_person(&new_person("elm-road"), |p| {
            entries.push(p.log_doorstep(
                Doorstep::new(DoorOutcome::Spoke).follow_up("Report the broken light", None),
            )?);
            entries.push(p.log_doorstep(Doorstep::new(DoorOutcome::NotIn))?);
            Ok(())
        })
        .unwrap();
    let [promised, knock] = entries[..] else {
        panic!()
    };
    let err = phone
        .edit_person(id, |p| p.complete_follow_up(knock, None))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::NoFollowUp)
    ));
    let unknown = EntryId::new(clock.now());
    let err = phone
        .edit_person(id, |p| p.complete_follow_up(unknown, None))
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchEntry(e) if e == unknown));

    clock.advance(Timestamp::DAY_MILLIS);
    phone
        .edit_person(id, |p| {
            p.complete_follow_up(promised, Some("Council fixed it"))
        })
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.follow_ups_owed().count(), 0);
    let InteractionKind::Doorstep(d) = &person.interaction(promised).unwrap().kind else {
        panic!("not a doorstep conversation")
    };
    let done = d.follow_up.as_ref().unwrap().done.as_ref().unwrap();
    assert_eq!(done.at, START.plus_days(1));
    assert_eq!(done.note.as_deref(), Some("Council fixed it"));
    assert_eq!(done.by, phone.device());
}

#[test]
fn roles_end_but_other_interactions_cannot() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let mut entries = Vec::new();
    let id = phone
        .create_person(&new_person("elm-road"), |p| {
            entries.push(p.record(InteractionKind::Role {
                role: Role::Chair,
                start: START,
                end: None,
                hats: std::collections::BTreeSet::from([crate::Hat::Councillor]),
            })?);
            entries.push(p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?);
            Ok(())
        })
        .unwrap();
    let [chair, chat] = entries[..] else { panic!() };
    let err = phone.edit_person(id, |p| p.end(chat, START)).unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::NotEndable)
    ));
    let err = phone
        .edit_person(id, |p| p.end(chair, START.plus_days(-1)))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::EndsBeforeStart { field: "role" })
    ));
    phone
        .edit_person(id, |p| p.end(chair, START.plus_days(300)))
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(
        person
            .roles_held_at(START.plus_days(10))
            .collect::<Vec<_>>(),
        [Role::Chair]
    );
    assert_eq!(person.roles_held_at(START.plus_days(300)).count(), 0);
}

#[test]
fn lookups_say_what_is_missing_or_of_the_wrong_kind() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let event_id = phone.create_event(&event("elm-road")).unwrap();
    assert!(matches!(
        phone.person(event_id),
        Err(Error::WrongKind {
            expected: DocKind::Person,
            actual: DocKind::Event,
            ..
        })
    ));
    assert!(matches!(
        phone.edit_person(event_id, |p| p.set_name(None)),
        Err(Error::WrongKind { .. })
    ));
    let nobody = DocId::new(clock.now());
    assert!(matches!(
        phone.edit_person(nobody, |p| p.set_name(None)),
        Err(Error::NotFound {
            kind: DocKind::Person,
            ..
        })
    ));
    assert!(matches!(phone.record(nobody), Err(Error::NoSuchRecord(id)) if id == nobody));
    let mut later = event("elm-road");
    later.title = "Autumn fun day".into();
    phone.update_event(event_id, &later).unwrap();
    assert_eq!(phone.events().unwrap()[0].title, "Autumn fun day");
    // Setting the same details again changes nothing.
    let heads = phone.heads(event_id).unwrap();
    phone.update_event(event_id, &later).unwrap();
    assert_eq!(phone.heads(event_id).unwrap(), heads);
    later.ends_at = Some(START);
    assert!(matches!(
        phone.update_event(event_id, &later),
        Err(Error::Validation(ValidationError::EndsBeforeStart {
            field: "event"
        }))
    ));
}

#[test]
fn an_events_headcount_is_set_changed_cleared_and_bounded() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let mut carnival = event("elm-road");
    carnival.headcount = Some(1_000);
    let id = phone.create_event(&carnival).unwrap();
    let headcount = |phone: &Phone| phone.events().unwrap()[0].headcount;
    assert_eq!(headcount(&phone), Some(1_000));
    phone.set_event_headcount(id, Some(1_200)).unwrap();
    assert_eq!(headcount(&phone), Some(1_200));
    let heads = phone.heads(id).unwrap();
    phone.set_event_headcount(id, Some(1_200)).unwrap();
    assert_eq!(
        phone.heads(id).unwrap(),
        heads,
        "the same count changes nothing"
    );
    assert!(matches!(
        phone.set_event_headcount(id, Some(Event::MAX_HEADCOUNT + 1)),
        Err(Error::Validation(ValidationError::HeadcountOutOfRange { max }))
            if max == Event::MAX_HEADCOUNT
    ));
    assert_eq!(
        headcount(&phone),
        Some(1_200),
        "a refused count stores nothing"
    );
    phone.set_event_headcount(id, None).unwrap();
    assert_eq!(headcount(&phone), None);
    carnival.headcount = Some(Event::MAX_HEADCOUNT + 1);
    assert!(matches!(
        phone.create_event(&carnival),
        Err(Error::Validation(
            ValidationError::HeadcountOutOfRange { .. }
        ))
    ));
}

#[test]
fn area_configuration_is_created_then_edited_in_place() {
    let clock = ManualClock::new(START);
    let mut admin = phone(&clock);
    let mut area = AreaConfig::new_default(
        DocId::new(clock.now()),
        "north-estate",
        "North Estate Big Local",
        admin.device(),
        START,
    );
    area.patches.push(PatchConfig {
        id: "elm-road".into(),
        name: "Elm Road".into(),
        households: 420,
        census: None,
    });
    admin.put_area(&area).unwrap();
    area.patches[0].households = 431;
    area.resident_led_threshold_percent = 50;
    area.partnership_seats = Some(14);
    area.suppress_below = 10;
    area.lawful_bases.insert(
        ConsentPurpose::Volunteering,
        LawfulBasis::LegitimateInterests,
    );
    admin.put_area(&area).unwrap();
    assert_eq!(admin.area().unwrap(), Some(area.clone()));
    // Seats can be unset again.
    area.partnership_seats = None;
    admin.put_area(&area).unwrap();
    assert_eq!(admin.area().unwrap(), Some(area.clone()));
    let mut moved = area.clone();
    moved.area = "south-estate".into();
    assert!(matches!(
        admin.put_area(&moved),
        Err(Error::Validation(ValidationError::Immutable {
            field: "area"
        }))
    ));
    assert_eq!(
        admin
            .area()
            .unwrap()
            .unwrap()
            .lawful_basis(ConsentPurpose::Volunteering),
        LawfulBasis::LegitimateInterests
    );
    let mut special = area.clone();
    special.lawful_bases.insert(
        ConsentPurpose::EqualityMonitoring,
        LawfulBasis::LegitimateInterests,
    );
    assert!(matches!(
        admin.put_area(&special),
        Err(Error::Validation(
            ValidationError::SpecialCategoryNeedsConsent
        ))
    ));
    area.resident_led_threshold_percent = 0;
    assert!(matches!(
        admin.put_area(&area),
        Err(Error::Validation(ValidationError::ThresholdOutOfRange))
    ));
    area.resident_led_threshold_percent = 51;
    for below in [0, 2, 101] {
        area.suppress_below = below;
        assert!(matches!(
            admin.put_area(&area),
            Err(Error::Validation(ValidationError::SuppressionOutOfRange))
        ));
    }
}

#[test]
fn two_phones_converge_through_the_hub_and_a_repeated_response_is_harmless() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let (mut a, mut b) = (phone(&clock), phone(&clock));
    let id = a
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Sam")))
        .unwrap();
    let outcome = hub.sync(&Scope::Admin, &mut a).unwrap();
    assert_eq!((outcome.accepted, outcome.more), (1, false));
    assert_eq!(a.pending_changes(), 0);
    assert_eq!(hub.sync(&Scope::Admin, &mut b).unwrap().received, 1);

    // Both edit the same person offline.
    a.edit_person(id, |p| p.set_phone(Some("07700 900123")))
        .unwrap();
    b.edit_person(id, |p| {
        p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))
            .map(drop)
    })
    .unwrap();
    hub.sync(&Scope::Admin, &mut a).unwrap();
    let request = b.sync_request().unwrap();
    let response = hub.handle(&Scope::Admin, b.device(), &request).unwrap();
    b.apply_sync_response(&response).unwrap();
    b.apply_sync_response(&response).unwrap();
    hub.sync(&Scope::Admin, &mut a).unwrap();

    let on_a = a.person(id).unwrap();
    assert_eq!(on_a, b.person(id).unwrap());
    assert_eq!(on_a.phone.as_deref(), Some("07700 900123"));
    assert_eq!(on_a.interactions.len(), 1);
    assert_eq!(a.heads(id).unwrap(), hub.heads(id));
    assert_eq!(b.heads(id).unwrap(), hub.heads(id));
    assert_eq!((a.pending_changes(), b.pending_changes()), (0, 0));
    // Nothing left to say: a further round trip changes nothing.
    let outcome = hub.sync(&Scope::Admin, &mut b).unwrap();
    assert_eq!(outcome, SyncOutcome::default());
}

#[test]
fn a_refused_record_stays_on_the_phone_until_it_is_fixed() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut phone = phone(&clock);
    let scope = champion(&["elm-road"]);
    let id = phone
        .create_person(&new_person("oak-lane"), |p| p.set_name(Some("Ali")))
        .unwrap();
    let outcome = hub.sync(&scope, &mut phone).unwrap();
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].1.code, RejectionCode::OutOfScope);
    assert!(!outcome.more);
    assert_eq!(phone.rejections().len(), 1);
    assert_eq!(phone.pending_changes(), 1);
    assert_eq!(hub.record(id), None);
    // Not sent again while unchanged.
    assert!(
        SyncRequest::decode(&phone.sync_request().unwrap())
            .unwrap()
            .pushes
            .is_empty()
    );
    // Fixed on the phone, it is sent and accepted.
    phone
        .edit_person(id, |p| p.move_to_patch("elm-road"))
        .unwrap();
    assert!(phone.rejections().is_empty());
    let outcome = hub.sync(&scope, &mut phone).unwrap();
    assert_eq!((outcome.accepted, outcome.rejected.len()), (1, 0));
    assert_eq!(hub.record(id).unwrap().patch(), Some("elm-road"));
    assert_eq!(phone.pending_changes(), 0);
}

#[test]
fn champions_only_receive_their_patches_and_viewers_cannot_write() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut admin = phone(&clock);
    let elm = admin
        .create_person(&new_person("elm-road"), |_| Ok(()))
        .unwrap();
    admin
        .create_person(&new_person("oak-lane"), |_| Ok(()))
        .unwrap();
    hub.sync(&Scope::Admin, &mut admin).unwrap();

    let mut champ = phone(&clock);
    hub.sync(&champion(&["elm-road"]), &mut champ).unwrap();
    assert_eq!(champ.document_ids().unwrap(), vec![elm]);

    let mut viewer = phone(&clock);
    viewer
        .create_person(&new_person("elm-road"), |_| Ok(()))
        .unwrap();
    let outcome = hub.sync(&Scope::Viewer, &mut viewer).unwrap();
    assert_eq!(outcome.rejected[0].1.code, RejectionCode::ReadOnly);
    assert_eq!(outcome.received, 0);
    assert_eq!(hub.document_ids().len(), 2);
}

#[test]
fn a_person_moved_into_a_champions_patch_arrives_whole() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut admin = phone(&clock);
    let scope = champion(&["elm-road"]);
    let mut champ = phone(&clock);
    let id = admin
        .create_person(&new_person("oak-lane"), |p| p.set_name(Some("Kim")))
        .unwrap();
    admin
        .edit_person(id, |p| p.set_interest("youth", true))
        .unwrap();
    hub.sync(&Scope::Admin, &mut admin).unwrap();
    hub.sync(&scope, &mut champ).unwrap();
    assert!(champ.document_ids().unwrap().is_empty());

    admin
        .edit_person(id, |p| p.move_to_patch("elm-road"))
        .unwrap();
    hub.sync(&Scope::Admin, &mut admin).unwrap();
    // The feed holds only the move; the champion asks for the rest.
    let outcome = hub.sync(&scope, &mut champ).unwrap();
    assert!(!outcome.more);
    assert_eq!(champ.person(id).unwrap(), admin.person(id).unwrap());
    assert_eq!(champ.heads(id).unwrap(), hub.heads(id));
}

#[test]
fn erasure_reaches_every_phone_and_a_late_edit_cannot_bring_the_person_back() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let (mut a, mut b) = (phone(&clock), phone(&clock));
    let id = a
        .create_person(&new_person("elm-road"), |p| {
            p.set_name(Some("Robin Erased"))
        })
        .unwrap();
    let kept = a
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Kept")))
        .unwrap();
    hub.sync(&Scope::Admin, &mut a).unwrap();
    hub.sync(&Scope::Admin, &mut b).unwrap();
    // Phone b edits the person offline, before the erasure.
    b.edit_person(id, |p| p.set_phone(Some("07700 900456")))
        .unwrap();

    assert!(hub.erase(id));
    let outcome = hub.sync(&Scope::Admin, &mut a).unwrap();
    assert_eq!(outcome.erased, 1);
    assert_eq!(a.document_ids().unwrap(), vec![kept]);

    let outcome = hub.sync(&Scope::Admin, &mut b).unwrap();
    assert_eq!(outcome.erased, 1);
    assert!(outcome.rejected.is_empty());
    assert_eq!(b.document_ids().unwrap(), vec![kept]);
    assert_eq!(b.pending_changes(), 0);
    assert_eq!(hub.record(id), None);
    let needle = b"Robin Erased";
    assert!(!hub.raw_bytes().windows(needle.len()).any(|w| w == needle));
    assert!(hub.record(kept).is_some());
}

#[test]
fn a_server_that_lost_a_document_gets_it_resent_whole() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Sam")))
        .unwrap();
    hub_sync(&mut MemoryHub::new(), &mut phone);
    phone
        .edit_person(id, |p| p.set_name(Some("Sam J")))
        .unwrap();
    // A different (restored, empty) server: it lacks the push's base.
    let mut restored = MemoryHub::new();
    let first = restored
        .handle(
            &Scope::Admin,
            phone.device(),
            &phone.sync_request().unwrap(),
        )
        .unwrap();
    assert_eq!(
        SyncResponse::decode(&first).unwrap().pushed[0].outcome,
        PushOutcome::Resend
    );
    assert!(phone.apply_sync_response(&first).unwrap().more);
    hub_sync(&mut restored, &mut phone);
    assert_eq!(
        restored.record(id).and_then(|r| match r {
            Record::Person(p) => p.name,
            _ => None,
        }),
        Some("Sam J".into())
    );
    assert_eq!(phone.pending_changes(), 0);
}

#[test]
fn a_hub_restored_from_a_backup_gets_back_what_phones_hold_and_keeps_later_erasures() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let (mut a, mut b) = (phone(&clock), phone(&clock));
    let early = a
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Early")))
        .unwrap();
    hub_sync(&mut hub, &mut a);
    hub_sync(&mut hub, &mut b);
    let backup = hub.clone();

    // After the backup: a new person, an edit, both acknowledged; and an
    // erasure phone b hears of.
    let late = a
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Late")))
        .unwrap();
    a.edit_person(early, |p| p.set_phone(Some("07700 900123")))
        .unwrap();
    let erased = b
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Gone")))
        .unwrap();
    hub_sync(&mut hub, &mut a);
    hub_sync(&mut hub, &mut b);
    assert!(hub.erase(erased));
    hub_sync(&mut hub, &mut b);
    assert_eq!(a.pending_changes(), 0);

    // The disk fails; the backup comes back, and the erasure made since
    // is made again (as the server's restore replays its erasure log).
    hub.restore(backup);
    assert!(hub.record(late).is_none(), "lost with the disk");
    hub.erase(erased);
    let first = hub
        .handle(&Scope::Admin, a.device(), &a.sync_request().unwrap())
        .unwrap();
    assert!(SyncResponse::decode(&first).unwrap().resync);
    a.apply_sync_response(&first).unwrap();
    hub_sync(&mut hub, &mut a);
    hub_sync(&mut hub, &mut b);
    let phone_of = |id| match hub.record(id) {
        Some(Record::Person(p)) => (p.name, p.phone),
        other => panic!("{other:?}"),
    };
    assert_eq!(phone_of(late).0.as_deref(), Some("Late"));
    assert_eq!(phone_of(early).1.as_deref(), Some("07700 900123"));
    assert!(hub.record(erased).is_none());
    assert_eq!(b.document_ids().unwrap().len(), 2, "b never gets it back");
    assert_eq!(a.pending_changes(), 0);
    assert_eq!(b.pending_changes(), 0);
    // Both phones are on the restored hub's feed again.
    let c = b
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("After")))
        .unwrap();
    hub_sync(&mut hub, &mut b);
    hub_sync(&mut hub, &mut a);
    assert!(a.document_ids().unwrap().contains(&c));
}

#[test]
fn a_phone_that_stopped_part_way_through_marking_everything_finishes_on_open() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut a = phone(&clock);
    let id = a
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Sam")))
        .unwrap();
    hub_sync(&mut hub, &mut a);
    let device = a.device();
    let mut store = a.into_storage();
    // As if the app was killed right after it began.
    store.put_meta(RESEND_META, &[1]).unwrap();
    let mut a = Replica::open(store, device, clock.clone()).unwrap();
    assert_eq!(a.pending_changes(), 1);
    let request = SyncRequest::decode(&a.sync_request().unwrap()).unwrap();
    assert_eq!(request.pushes[0].doc, id);
    assert!(request.pushes[0].base.is_empty(), "sent whole");
    hub_sync(&mut hub, &mut a);
    assert_eq!(a.pending_changes(), 0);
}

/// A new record's pushed bytes are what the server stores. Phones send a
/// saved document; a device may as well send the record's changes. Either
/// way the stored bytes must read back as the record, at the pushed heads.
#[test]
fn a_new_record_is_stored_readable_whether_pushed_as_a_document_or_as_changes() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |p| p.set_name(Some("Sam")))
        .unwrap();
    let request = SyncRequest::decode(&phone.sync_request().unwrap()).unwrap();
    let saved = request.pushes.into_iter().next().unwrap();
    let changes = Push {
        changes: crate::document::load(&saved.changes, crate::document::Origin::Stored)
            .unwrap()
            .save_after(&[]),
        ..saved.clone()
    };
    assert_ne!(changes.changes, saved.changes);
    for push in [saved, changes] {
        let PushMerge::Merged(merged) =
            merge_push(None, &push, &champion(&["elm-road"]), phone.device())
        else {
            panic!("not merged");
        };
        assert_eq!(read_record(&merged.bytes).unwrap(), merged.record);
        assert_eq!(merged.record.id(), id);
        assert_eq!(document_heads(&merged.bytes).unwrap(), push.heads);
    }
}

fn hub_sync(hub: &mut MemoryHub, phone: &mut Phone) {
    let outcome = hub.sync(&Scope::Admin, phone).unwrap();
    assert!(!outcome.more, "sync did not settle: {outcome:?}");
}

#[test]
fn a_long_feed_arrives_in_pages() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::with_page_size(2);
    let (mut a, mut b) = (phone(&clock), phone(&clock));
    for _ in 0..5 {
        a.create_person(&new_person("elm-road"), |_| Ok(()))
            .unwrap();
        clock.advance(1);
    }
    hub_sync(&mut hub, &mut a);
    let first = hub
        .handle(&Scope::Admin, b.device(), &b.sync_request().unwrap())
        .unwrap();
    let outcome = b.apply_sync_response(&first).unwrap();
    assert_eq!((outcome.received, outcome.more), (2, true));
    hub_sync(&mut hub, &mut b);
    assert_eq!(b.document_ids().unwrap(), a.document_ids().unwrap());
}

#[test]
fn a_revoked_phone_wipes_itself_and_refuses_further_use() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    phone
        .create_person(&new_person("elm-road"), |_| Ok(()))
        .unwrap();
    let wipe = SyncResponse {
        wipe: true,
        ..SyncResponse::default()
    };
    assert!(phone.apply_sync_response(&wipe.encode()).unwrap().wiped);
    assert!(phone.storage().document_ids().unwrap().is_empty());
    assert_eq!(phone.storage().get_meta(STATE_META).unwrap(), None);
    assert!(matches!(phone.sync_request(), Err(Error::Wiped)));
    assert!(matches!(
        phone.create_person(&new_person("elm-road"), |_| Ok(())),
        Err(Error::Wiped)
    ));
}

#[test]
fn a_file_store_reopens_with_everything_and_belongs_to_one_device() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let device = DeviceId::new(START);
    let id = {
        let mut phone =
            Replica::open(FileStore::open(dir.path()).unwrap(), device, &clock).unwrap();
        phone
            .create_person(&new_person("elm-road"), |p| p.set_name(Some("Sam")))
            .unwrap()
    };
    let phone = Replica::open(FileStore::open(dir.path()).unwrap(), device, &clock).unwrap();
    assert_eq!(phone.person(id).unwrap().name.as_deref(), Some("Sam"));
    assert_eq!(phone.pending_changes(), 1);
    drop(phone);
    let other = DeviceId::new(START);
    assert!(matches!(
        Replica::open(FileStore::open(dir.path()).unwrap(), other, &clock),
        Err(Error::WrongDevice { stored }) if stored == device
    ));
}

#[test]
fn an_index_entry_left_by_a_crash_is_pruned_on_open() {
    let clock = ManualClock::new(START);
    let device = DeviceId::new(START);
    let mut store = MemoryStore::new();
    {
        let mut phone = Replica::open(&mut store, device, &clock).unwrap();
        phone
            .create_person(&new_person("elm-road"), |_| Ok(()))
            .unwrap();
        // As if killed after marking a document dirty and before writing it.
        phone.state.dirty.insert(DocId::new(START));
        phone.save_state().unwrap();
    }
    let phone = Replica::open(&mut store, device, &clock).unwrap();
    assert_eq!(phone.pending_changes(), 1);
}

#[test]
fn garbage_responses_get_typed_errors_and_change_nothing() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let id = phone
        .create_person(&new_person("elm-road"), |_| Ok(()))
        .unwrap();
    assert!(matches!(
        phone.apply_sync_response(b"garbage"),
        Err(Error::Protocol(_))
    ));
    let not_automerge = SyncResponse {
        updates: vec![DocUpdate {
            doc: id,
            changes: b"not automerge".to_vec(),
        }],
        ..SyncResponse::default()
    };
    let outcome = phone.apply_sync_response(&not_automerge.encode()).unwrap();
    assert_eq!(outcome.received, 0);
    assert!(phone.person(id).is_ok());
    assert_eq!(phone.pending_changes(), 1);
}
