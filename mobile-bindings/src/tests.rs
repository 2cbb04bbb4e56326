//! The API as Rust sees it; the Kotlin and Python tests (see
//! `scripts/bindings`) go through the real FFI.

use super::*;

const DEVICE: &str = "01900000-0000-7000-8000-0000000000aa";

fn conversation(outcome: Outcome) -> Conversation {
    Conversation {
        person_id: None,
        area: "north-estate".into(),
        patch: "elm-road".into(),
        outcome,
        name: Some("Sam".into()),
        phone: None,
        email: None,
        age_band: Some(AgeGroup::From35To44),
        topics: vec!["parks".into()],
        wants_to_join: vec![],
        follow_up: Some("Send the park plans".into()),
        follow_up_due_ms: Some(1_789_000_000_000),
        consent_to_contact: true,
        consent_wording_version: "2026-09".into(),
        address_id: None,
        residency: None,
        tenure: None,
        language: None,
    }
}

fn door(house: &str, latitude: Option<f64>) -> DoorInput {
    DoorInput {
        area: "north-estate".into(),
        patch: "elm-road".into(),
        house: house.into(),
        street: "Oak Lane".into(),
        locality: None,
        postcode: Some("AB1 2CD".into()),
        latitude,
        longitude: latitude.map(|_| -0.1),
    }
}

#[test]
fn a_walk_list_is_kept_offline_with_knocks_and_households() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let store = OutreachStore::open(path.clone(), DEVICE.into()).unwrap();
    let four = store.add_door(door("4", Some(51.004))).unwrap();
    let two = store.add_door(door("2", Some(51.002))).unwrap();
    let sign = store.add_door(door("6", None)).unwrap();
    store.record_knock(two.clone(), Outcome::NotIn).unwrap();
    store.record_knock(two.clone(), Outcome::NotIn).unwrap();
    store.record_knock(sign, Outcome::NoKnocking).unwrap();
    let logged = store
        .log_conversation(Conversation {
            address_id: Some(four.clone()),
            ..conversation(Outcome::Spoke)
        })
        .unwrap();
    drop(store);

    let store = OutreachStore::open(path, DEVICE.into()).unwrap();
    let list = store.walk_list("elm-road".into(), None, None).unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s.address_id.as_str()).collect();
    assert_eq!(ids, [two.as_str(), four.as_str()]);
    assert_eq!(list[0].revisit, [Revisit::TryAnotherTime]);
    assert_eq!(list[0].knocks, 2);
    assert_eq!(list[1].last_outcome, Some(Outcome::Spoke));
    assert_eq!(list[1].residents.len(), 1);
    assert_eq!(list[1].residents[0].person_id, logged.person_id);
    assert_eq!(list[1].label, "4 Oak Lane, AB1 2CD");
    // From the north, number 4 is nearer.
    let from_north = store
        .walk_list("elm-road".into(), Some(51.01), Some(-0.1))
        .unwrap();
    assert_eq!(from_north[0].address_id, four);
    assert!(matches!(
        store.add_door(DoorInput {
            postcode: Some("not a postcode".into()),
            ..door("8", None)
        }),
        Err(OutreachError::Invalid { .. })
    ));
    assert!(matches!(
        store.record_knock("not an id".into(), Outcome::NotIn),
        Err(OutreachError::Invalid { .. })
    ));
}

#[test]
fn conversations_and_sign_ups_are_kept_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let store = OutreachStore::open(path.clone(), DEVICE.into()).unwrap();
    let logged = store
        .log_conversation(conversation(Outcome::Spoke))
        .unwrap();
    let again = Conversation {
        person_id: Some(logged.person_id.clone()),
        phone: Some("07700 900123".into()),
        name: None,
        follow_up: None,
        ..conversation(Outcome::NotIn)
    };
    store.log_conversation(again).unwrap();
    let event = store
        .create_event(EventInput {
            area: "north-estate".into(),
            patch: "elm-road".into(),
            title: "Youth session".into(),
            kind: EventType::YouthSession,
            starts_at_ms: 1_789_000_000_000,
            ends_at_ms: None,
            place: None,
            headcount: None,
        })
        .unwrap();
    for n in 0..20 {
        let child = n % 2 == 0;
        store
            .sign_up(SignUp {
                event_id: event.clone(),
                area: "north-estate".into(),
                patch: "elm-road".into(),
                name: Some(format!("Young person {n}")),
                phone: None,
                email: None,
                age_band: Some(if child {
                    AgeGroup::Under13
                } else {
                    AgeGroup::From13To17
                }),
                consent_given: true,
                consent_by: if child {
                    ConsentBy::Guardian
                } else {
                    ConsentBy::Subject
                },
                residency: Some(vec![ResidencyBasis::Lives]),
                tenure: None,
                language: Some("ur".into()),
                consent_wording_version: "2026-09".into(),
                attended: true,
            })
            .unwrap();
    }
    drop(store);

    let store = OutreachStore::open(path, DEVICE.into()).unwrap();
    let sam = store.person(logged.person_id.clone()).unwrap();
    assert_eq!(sam.name.as_deref(), Some("Sam"));
    assert_eq!(sam.interactions, 2);
    assert_eq!(sam.last_outcome, Some(Outcome::NotIn));
    assert_eq!(store.people(None).unwrap().len(), 21);
    assert_eq!(
        store.people(Some("young PERSON 1".into())).unwrap().len(),
        11
    );
    assert!(
        store
            .people(Some("young".into()))
            .unwrap()
            .iter()
            .all(|p| p.under_18)
    );
    let owed = store.follow_ups_owed().unwrap();
    assert_eq!(owed.len(), 1);
    store
        .complete_follow_up(
            owed[0].person_id.clone(),
            owed[0].entry_id.clone(),
            Some("Sent".into()),
        )
        .unwrap();
    assert!(store.follow_ups_owed().unwrap().is_empty());
    assert_eq!(store.pending_changes().unwrap(), 22);
    assert_eq!(store.door_list(Some("oak-lane".into())).unwrap().len(), 0);
}

#[test]
fn bad_input_gets_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    assert!(matches!(
        OutreachStore::open(path.clone(), "not a device".into()),
        Err(OutreachError::Invalid { .. })
    ));
    let store = OutreachStore::open(path.clone(), DEVICE.into()).unwrap();
    let bad_email = Conversation {
        email: Some("no at sign".into()),
        ..conversation(Outcome::Spoke)
    };
    assert!(matches!(
        store.log_conversation(bad_email),
        Err(OutreachError::Invalid { .. })
    ));
    let unknown = Conversation {
        person_id: Some("01900000-0000-7000-8000-000000000001".into()),
        ..conversation(Outcome::Spoke)
    };
    assert!(matches!(
        store.log_conversation(unknown),
        Err(OutreachError::NotFound { .. })
    ));
    let no_guardian = SignUp {
        event_id: "01900000-0000-7000-8000-000000000002".into(),
        area: "north-estate".into(),
        patch: "elm-road".into(),
        name: None,
        phone: None,
        email: None,
        age_band: Some(AgeGroup::Under13),
        consent_given: true,
        consent_by: ConsentBy::Subject,
        consent_wording_version: "2026-09".into(),
        attended: false,
        residency: None,
        tenure: None,
        language: None,
    };
    assert!(matches!(
        store.sign_up(no_guardian),
        Err(OutreachError::Invalid { .. })
    ));
    assert!(matches!(
        store.apply_sync_response(b"junk".to_vec()),
        Err(OutreachError::Sync { .. })
    ));
    assert_eq!(store.people(None).unwrap().len(), 0);
    drop(store);
    assert!(matches!(
        OutreachStore::open(path, "01900000-0000-7000-8000-0000000000bb".into()),
        Err(OutreachError::WrongDevice { .. })
    ));
}

#[test]
fn residency_tenure_and_language_are_recorded_at_the_door_and_corrected_later() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        OutreachStore::open(dir.path().to_string_lossy().into_owned(), DEVICE.into()).unwrap();
    let logged = store
        .log_conversation(Conversation {
            residency: Some(vec![ResidencyBasis::Lives, ResidencyBasis::Worships]),
            tenure: Some(HousingTenure::SocialRent),
            language: Some("so".into()),
            ..conversation(Outcome::Spoke)
        })
        .unwrap();
    let person = store.person(logged.person_id.clone()).unwrap();
    assert_eq!(
        person.residency,
        vec![ResidencyBasis::Lives, ResidencyBasis::Worships]
    );
    assert_eq!(person.tenure, Some(HousingTenure::SocialRent));
    assert_eq!(person.language.as_deref(), Some("so"));

    store
        .edit_person(
            logged.person_id.clone(),
            PersonEdit {
                tenure: Some(HousingTenure::PrivateRent),
                clear: vec![PersonDetail::Language],
                ..PersonEdit::default()
            },
        )
        .unwrap();
    let person = store.person(logged.person_id.clone()).unwrap();
    assert_eq!(person.tenure, Some(HousingTenure::PrivateRent));
    assert_eq!(person.language, None);
    assert_eq!(person.name.as_deref(), Some("Sam"));

    let confused = PersonEdit {
        tenure: Some(HousingTenure::Owner),
        clear: vec![PersonDetail::Tenure],
        ..PersonEdit::default()
    };
    assert!(matches!(
        store.edit_person(logged.person_id.clone(), confused),
        Err(OutreachError::Invalid { .. })
    ));
    assert_eq!(
        store.person(logged.person_id).unwrap().tenure,
        Some(HousingTenure::PrivateRent)
    );
}

#[test]
fn people_are_searched_without_accents_and_come_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = OutreachStore::open(dir.path().display().to_string(), DEVICE.into()).unwrap();
    for name in ["Zoë Adams", "ZOE BAKER", "Zoe Clark", "Ann Lee"] {
        store
            .log_conversation(Conversation {
                name: Some(name.into()),
                ..conversation(Outcome::Spoke)
            })
            .unwrap();
    }
    let names = |people: Vec<PersonSummary>| -> Vec<String> {
        people.into_iter().filter_map(|p| p.name).collect()
    };
    assert_eq!(
        names(store.people(Some("zoe".into())).unwrap()),
        ["Zoë Adams", "ZOE BAKER", "Zoe Clark"]
    );
    assert_eq!(
        names(store.people_page(Some("ZOË".into()), 1, 1).unwrap()),
        ["ZOE BAKER"]
    );
    assert_eq!(store.people_page(None, 0, 10).unwrap().len(), 4);
    assert!(store.people_page(None, 4, 10).unwrap().is_empty());
}

#[test]
fn a_store_of_the_older_kind_is_moved_into_the_new_one_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let device: DeviceId = DEVICE.parse().unwrap();
    {
        let old = sync_core::FileStore::open(dir.path()).unwrap();
        let mut replica = Replica::open(old, device, SystemClock).unwrap();
        replica
            .create_person(
                &sync_core::NewPerson::new(
                    "north-estate",
                    "elm-road",
                    sync_core::EntryChannel::Doorstep,
                ),
                |p| p.set_name(Some("Sam Older")),
            )
            .unwrap();
    }
    let store = OutreachStore::open(dir.path().display().to_string(), DEVICE.into()).unwrap();
    let found = store.people(Some("sam older".into())).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(store.pending_changes().unwrap(), 1);
    assert!(!dir.path().join("docs").exists());
}
