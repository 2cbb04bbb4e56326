//! What an app does in one call (`use_cases.rs`) and the lists it shows
//! (`lists.rs` is tested in `list_tests.rs`), against an in-memory store.

use std::collections::BTreeSet;

use super::tests::{Phone, START, phone};
use super::*;
use crate::ManualClock;
use crate::model::{
    ConsentGiver, ConsentMethod, Detail, EntryChannel, EventKind, LawfulBasis, NewConversation,
    NewGroup, NewSignUp,
};

fn conversation(patch: &str) -> NewConversation {
    NewConversation {
        person: None,
        area: "north-estate".into(),
        patch: patch.into(),
        address: None,
        details: PersonDetails {
            name: Some("Sam Jones".into()),
            phone: Some("07700 900123".into()),
            email: Some("sam@example.org".into()),
            age_band: Some(AgeBand::From35To44),
            ..PersonDetails::default()
        },
        doorstep: Doorstep::new(DoorOutcome::Spoke)
            .topic("parks")
            .follow_up("Send the park plans", Some(START.plus_days(7))),
        consent_to_contact: true,
        consent_wording_version: "2026-09".into(),
    }
}

fn sign_up(event: DocId, age_band: AgeBand, consent_by: ConsentGiver) -> NewSignUp {
    NewSignUp {
        event,
        area: "north-estate".into(),
        patch: "elm-road".into(),
        details: PersonDetails {
            name: Some("Young person".into()),
            age_band: Some(age_band),
            ..PersonDetails::default()
        },
        consent_given: true,
        consent_by,
        consent_wording_version: "2026-09".into(),
        attended: true,
    }
}

fn event(phone: &mut Phone, title: &str, starts_at: Timestamp) -> DocId {
    phone
        .create_event(&NewEvent {
            area: "north-estate".into(),
            patch: "elm-road".into(),
            title: title.into(),
            kind: EventKind::YouthSession,
            starts_at,
            ends_at: None,
            place: None,
            headcount: None,
        })
        .unwrap()
}

fn door(phone: &mut Phone, house: &str) -> DocId {
    phone
        .create_address(&NewAddress::new(
            "north-estate",
            "elm-road",
            house,
            "Oak Lane",
        ))
        .unwrap()
}

/// A person with just a name, patch and age band (and whether they asked
/// not to be contacted).
#[test]
fn a_conversation_with_someone_new_records_them_with_interests_and_consent() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let (id, entry) = phone.log_conversation(&conversation("elm-road")).unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.name.as_deref(), Some("Sam Jones"));
    assert_eq!(person.patch, "elm-road");
    assert_eq!(person.entry_channel, EntryChannel::Doorstep);
    assert_eq!(person.age_band, Some(AgeBand::From35To44));
    assert_eq!(person.interests, BTreeSet::from(["parks".to_owned()]));
    assert_eq!(person.household, None);
    let InteractionKind::Doorstep(d) = &person.interaction(entry).unwrap().kind else {
        panic!("not a doorstep conversation")
    };
    assert_eq!(d.outcome, DoorOutcome::Spoke);
    assert_eq!(person.follow_ups_owed().count(), 1);
    let consent = person
        .current_consent(ConsentPurpose::ContactAgain)
        .unwrap();
    assert_eq!(consent.lawful_basis, LawfulBasis::Consent);
    assert_eq!(consent.method, ConsentMethod::Doorstep);
    assert_eq!(consent.given_by, ConsentGiver::Subject);
    assert_eq!(consent.wording_version, "2026-09");

    let (id, _) = phone
        .log_conversation(&NewConversation {
            consent_to_contact: false,
            ..conversation("elm-road")
        })
        .unwrap();
    assert!(phone.person(id).unwrap().consents.is_empty());
}

#[test]
fn a_conversation_moves_someone_from_another_patch_and_changes_only_what_was_given() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let (id, first) = phone.log_conversation(&conversation("elm-road")).unwrap();
    clock.advance(1000);
    let again = NewConversation {
        person: Some(id),
        details: PersonDetails {
            phone: Some("07700 900456".into()),
            ..PersonDetails::default()
        },
        doorstep: Doorstep::new(DoorOutcome::Spoke).topic("litter"),
        consent_to_contact: false,
        ..conversation("oak-lane")
    };
    let (same, second) = phone.log_conversation(&again).unwrap();
    assert_eq!(same, id);
    assert_ne!(second, first);
    let person = phone.person(id).unwrap();
    assert_eq!(person.patch, "oak-lane");
    assert_eq!(person.name.as_deref(), Some("Sam Jones"));
    assert_eq!(person.phone.as_deref(), Some("07700 900456"));
    assert_eq!(person.email.as_deref(), Some("sam@example.org"));
    assert_eq!(person.age_band, Some(AgeBand::From35To44));
    assert_eq!(
        person.interests,
        BTreeSet::from(["litter".to_owned(), "parks".to_owned()])
    );
    assert_eq!(person.interactions.len(), 2);
    assert_eq!(person.consents.len(), 1);
    assert_eq!(person.entry_channel, EntryChannel::Doorstep);
}

#[test]
fn every_dimension_a_report_counts_is_recorded_in_a_conversation_and_corrected_later() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let (id, _) = phone
        .log_conversation(&NewConversation {
            details: PersonDetails {
                residency: Some(BTreeSet::from([ResidentBasis::Lives, ResidentBasis::Works])),
                tenure: Some(Tenure::SocialRent),
                language: Some("so".into()),
                ..conversation("elm-road").details
            },
            ..conversation("elm-road")
        })
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(
        person.residency,
        BTreeSet::from([ResidentBasis::Lives, ResidentBasis::Works])
    );
    assert_eq!(person.tenure, Some(Tenure::SocialRent));
    assert_eq!(person.language.as_deref(), Some("so"));

    // They only work here, and the language was recorded by mistake.
    clock.advance(1000);
    let correction = PersonDetails {
        residency: Some(BTreeSet::from([ResidentBasis::Works])),
        clear: BTreeSet::from([Detail::Language, Detail::AgeBand]),
        ..PersonDetails::default()
    };
    phone
        .edit_person(id, |p| p.fill_details(&correction))
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.residency, BTreeSet::from([ResidentBasis::Works]));
    assert_eq!(person.language, None);
    assert_eq!(person.age_band, None);
    assert_eq!(person.tenure, Some(Tenure::SocialRent));
    assert_eq!(person.name.as_deref(), Some("Sam Jones"));

    // No reason applies any more.
    phone
        .edit_person(id, |p| {
            p.fill_details(&PersonDetails {
                clear: BTreeSet::from([Detail::Residency]),
                ..PersonDetails::default()
            })
        })
        .unwrap();
    assert!(phone.person(id).unwrap().residency.is_empty());
}

#[test]
fn a_detail_given_and_cleared_at_once_is_refused_and_nothing_changes() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let (id, _) = phone.log_conversation(&conversation("elm-road")).unwrap();
    let before = phone.person(id).unwrap();
    let confused = PersonDetails {
        tenure: Some(Tenure::Owner),
        name: Some("Sam Smith".into()),
        clear: BTreeSet::from([Detail::Tenure]),
        ..PersonDetails::default()
    };
    let refused = phone.edit_person(id, |p| p.fill_details(&confused));
    assert!(
        matches!(
            refused,
            Err(Error::Validation(ValidationError::GivenAndCleared {
                field: "tenure"
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(phone.person(id).unwrap(), before);
}

#[test]
fn a_conversation_at_a_door_links_the_household_and_records_the_knock() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let twelve = door(&mut phone, "12");
    let (id, _) = phone
        .log_conversation(&NewConversation {
            address: Some(twelve),
            ..conversation("elm-road")
        })
        .unwrap();
    assert_eq!(phone.person(id).unwrap().household, Some(twelve));
    let visits = phone.address(twelve).unwrap().visits;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].outcome, DoorOutcome::Spoke);

    // They moved in at number 14; nobody answered there.
    clock.advance(1000);
    let fourteen = door(&mut phone, "14");
    phone
        .log_conversation(&NewConversation {
            person: Some(id),
            address: Some(fourteen),
            doorstep: Doorstep::new(DoorOutcome::NotIn),
            details: PersonDetails::default(),
            ..conversation("elm-road")
        })
        .unwrap();
    let person = phone.person(id).unwrap();
    assert_eq!(person.household, Some(fourteen));
    assert_eq!(person.last_door_outcome(), Some(DoorOutcome::NotIn));
    assert_eq!(person.last_contact(), Some(clock.now()));
    assert!(!person.is_under_18());
    assert_eq!(phone.address(twelve).unwrap().visits.len(), 1);
    let visits = phone.address(fourteen).unwrap().visits;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].outcome, DoorOutcome::NotIn);
}

#[test]
fn a_conversation_that_fails_stores_nothing() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let (id, _) = phone.log_conversation(&conversation("elm-road")).unwrap();
    let before = phone.person(id).unwrap();
    let heads = phone.heads(id).unwrap();
    clock.advance(1000);

    // A bad email does not leave the person moved to the other patch.
    let bad_email = NewConversation {
        person: Some(id),
        details: PersonDetails {
            email: Some("not an email".into()),
            ..PersonDetails::default()
        },
        ..conversation("oak-lane")
    };
    assert!(matches!(
        phone.log_conversation(&bad_email),
        Err(Error::Validation(ValidationError::InvalidEmail))
    ));
    assert_eq!(phone.person(id).unwrap(), before);
    assert_eq!(phone.heads(id).unwrap(), heads);

    // Neither an unknown door nor an unknown person records anyone.
    let documents = phone.document_ids().unwrap();
    let nowhere = DocId::new(clock.now());
    assert!(matches!(
        phone.log_conversation(&NewConversation {
            address: Some(nowhere),
            ..conversation("elm-road")
        }),
        Err(Error::NotFound {
            kind: DocKind::Address,
            ..
        })
    ));
    assert!(matches!(
        phone.log_conversation(&NewConversation {
            person: Some(nowhere),
            ..conversation("elm-road")
        }),
        Err(Error::NotFound {
            kind: DocKind::Person,
            ..
        })
    ));
    assert_eq!(phone.document_ids().unwrap(), documents);
    assert_eq!(phone.person(id).unwrap(), before);
}

#[test]
fn consents_are_recorded_under_the_areas_lawful_basis() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    // Before any area configuration arrives: consent.
    let contact = phone
        .new_consent(
            ConsentPurpose::ContactAgain,
            true,
            ConsentMethod::Doorstep,
            ConsentGiver::Subject,
            "2026-09",
        )
        .unwrap();
    assert_eq!(contact.lawful_basis, LawfulBasis::Consent);

    let mut area = AreaConfig::new_default(
        DocId::new(clock.now()),
        "north-estate",
        "North Estate Big Local",
        phone.device(),
        START,
    );
    for purpose in [ConsentPurpose::ContactAgain, ConsentPurpose::Events] {
        area.lawful_bases
            .insert(purpose, LawfulBasis::LegitimateInterests);
    }
    phone.put_area(&area).unwrap();

    let withdrawn = phone
        .new_consent(
            ConsentPurpose::ContactAgain,
            false,
            ConsentMethod::Phone,
            ConsentGiver::Guardian,
            "2026-10",
        )
        .unwrap();
    assert_eq!(
        withdrawn,
        NewConsent {
            purpose: ConsentPurpose::ContactAgain,
            granted: false,
            lawful_basis: LawfulBasis::LegitimateInterests,
            wording_version: "2026-10".into(),
            method: ConsentMethod::Phone,
            given_by: ConsentGiver::Guardian,
        }
    );
    // Purposes the area left alone stay on consent.
    let volunteering = phone
        .new_consent(
            ConsentPurpose::Volunteering,
            true,
            ConsentMethod::Paper,
            ConsentGiver::Subject,
            "2026-09",
        )
        .unwrap();
    assert_eq!(volunteering.lawful_basis, LawfulBasis::Consent);

    let (talked, _) = phone.log_conversation(&conversation("elm-road")).unwrap();
    let person = phone.person(talked).unwrap();
    let contact = person
        .current_consent(ConsentPurpose::ContactAgain)
        .unwrap();
    assert_eq!(contact.lawful_basis, LawfulBasis::LegitimateInterests);

    let session = event(&mut phone, "Youth session", START.plus_days(1));
    let signed = phone
        .sign_up(&sign_up(
            session,
            AgeBand::From13To17,
            ConsentGiver::Subject,
        ))
        .unwrap();
    let person = phone.person(signed).unwrap();
    let events = person.current_consent(ConsentPurpose::Events).unwrap();
    assert_eq!(events.lawful_basis, LawfulBasis::LegitimateInterests);
    assert_eq!(events.method, ConsentMethod::Event);
}

#[test]
fn an_under_13_sign_up_needs_a_guardians_consent_and_records_attendance() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let session = event(&mut phone, "Youth session", START.plus_days(1));
    let documents = phone.document_ids().unwrap();
    for refused in [
        sign_up(session, AgeBand::Under13, ConsentGiver::Subject),
        NewSignUp {
            consent_given: false,
            ..sign_up(session, AgeBand::Under13, ConsentGiver::Guardian)
        },
    ] {
        assert!(matches!(
            phone.sign_up(&refused),
            Err(Error::Validation(ValidationError::GuardianConsentRequired))
        ));
    }
    assert_eq!(phone.document_ids().unwrap(), documents);

    let child = phone
        .sign_up(&sign_up(session, AgeBand::Under13, ConsentGiver::Guardian))
        .unwrap();
    let person = phone.person(child).unwrap();
    assert_eq!(person.entry_channel, EntryChannel::Event);
    assert_eq!(person.name.as_deref(), Some("Young person"));
    // Both at the same moment, so in no particular order.
    let mut kinds: Vec<&str> = person.interactions.iter().map(|i| i.kind.tag()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["attendance", "event-sign-up"]);
    assert!(
        person
            .interactions
            .iter()
            .all(|i| matches!(i.kind, InteractionKind::EventSignUp { event }
                | InteractionKind::Attendance { event } if event == session))
    );
    let consent = person.current_consent(ConsentPurpose::Events).unwrap();
    assert_eq!(consent.given_by, ConsentGiver::Guardian);

    // Signed up ahead, not come yet; and no consent asked of a teenager.
    let teenager = phone
        .sign_up(&NewSignUp {
            attended: false,
            consent_given: false,
            ..sign_up(session, AgeBand::From13To17, ConsentGiver::Subject)
        })
        .unwrap();
    let person = phone.person(teenager).unwrap();
    assert_eq!(person.interactions.len(), 1);
    assert!(person.consents.is_empty());
}

#[test]
fn create_person_with_hands_back_what_the_closure_returned_or_stores_nothing() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let (id, entry) = phone
        .create_person_with(&new, |p| p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)))
        .unwrap();
    assert!(phone.person(id).unwrap().interaction(entry).is_some());

    let documents = phone.document_ids().unwrap();
    assert!(matches!(
        phone.create_person_with(&new, |p| p.set_email(Some("not an email"))),
        Err(Error::Validation(ValidationError::InvalidEmail))
    ));
    assert!(matches!(
        phone.create_person_with(&new, |_| -> Result<()> { Err(Error::NoSuchEntry(entry)) }),
        Err(Error::NoSuchEntry(e)) if e == entry
    ));
    assert_eq!(phone.document_ids().unwrap(), documents);
}

#[test]
fn joining_and_leaving_a_group_names_it_by_id_and_refuses_what_cannot_be() {
    let clock = ManualClock::new(START);
    let mut phone = phone(&clock);
    let mut new = NewGroup::new("north-estate", "Green spaces");
    new.patch = Some("elm-road".into());
    new.topics = BTreeSet::from(["parks".to_owned()]);
    let group = phone.create_group(&new).unwrap();
    let sam = phone.log_conversation(&conversation("elm-road")).unwrap().0;
    let start = START.plus_days(-10);

    let entry = phone.join_group(sam, group, start).unwrap();
    let member = phone.person(sam).unwrap();
    let joined = member.interaction(entry).unwrap();
    assert_eq!(joined.kind.working_group_id(), Some(group));
    assert!(matches!(
        &joined.kind,
        InteractionKind::WorkingGroup { group: text, start: s, end: None }
            if *text == group.to_string() && *s == start
    ));
    // Joining twice while still a member is refused.
    assert!(matches!(
        phone.join_group(sam, group, START),
        Err(Error::Validation(ValidationError::Duplicate { .. }))
    ));
    // A group that is not held here is refused, as is leaving before joining.
    assert!(matches!(
        phone.join_group(sam, DocId::new(START), START),
        Err(Error::NotFound {
            kind: DocKind::Group,
            ..
        })
    ));
    assert!(matches!(
        phone.leave_group(sam, entry, start.plus_days(-1)),
        Err(Error::Validation(ValidationError::EndsBeforeStart { .. }))
    ));
    assert_eq!(phone.person(sam).unwrap(), member, "nothing stored");
    // A conversation is not a membership.
    let conversation_entry = member
        .interactions
        .iter()
        .find(|i| matches!(i.kind, InteractionKind::Doorstep(_)))
        .unwrap()
        .id;
    assert!(matches!(
        phone.leave_group(sam, conversation_entry, START),
        Err(Error::Validation(ValidationError::NotEndable))
    ));

    phone.leave_group(sam, entry, START).unwrap();
    assert!(matches!(
        phone.person(sam).unwrap().interaction(entry).unwrap().kind,
        InteractionKind::WorkingGroup { end: Some(end), .. } if end == START
    ));

    // A closed group stays, and takes no new members.
    phone.set_group_closed(group, true).unwrap();
    assert!(phone.group(group).unwrap().closed);
    let ann = phone.log_conversation(&conversation("oak-lane")).unwrap().0;
    assert!(matches!(
        phone.join_group(ann, group, START),
        Err(Error::Validation(ValidationError::GroupClosed))
    ));
    assert_eq!(phone.groups().unwrap().len(), 1);
}
