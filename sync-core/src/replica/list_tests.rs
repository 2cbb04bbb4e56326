//! The lists (`lists.rs`), each test run on a store that answers them from
//! its index (SQLite) and on one whose records are all decoded for each list
//! (memory); and one test that holds the two to the same answers.

use super::tests::START;
use super::*;
use crate::ManualClock;
use crate::model::{EntryChannel, EventKind, NewGroup, OwedFollowUp};
use crate::store::{MemoryStore, Page, PersonRow, SqliteStore};

fn someone<S: Storage>(
    phone: &mut Replica<S, ManualClock>,
    name: Option<&str>,
    patch: &str,
    age_band: Option<AgeBand>,
    do_not_contact: bool,
) -> DocId {
    let new = NewPerson::new("north-estate", patch, EntryChannel::Doorstep);
    phone
        .create_person(&new, |p| {
            p.set_name(name)?;
            p.set_age_band(age_band)?;
            p.set_do_not_contact(do_not_contact)
        })
        .unwrap()
}

fn names(people: &[PersonRow]) -> Vec<Option<&str>> {
    people.iter().map(|p| p.name.as_deref()).collect()
}

fn ids(people: Vec<PersonRow>) -> Vec<DocId> {
    people.into_iter().map(|p| p.id).collect()
}

fn door<S: Storage>(phone: &mut Replica<S, ManualClock>, house: &str, street: &str) -> DocId {
    let mut new = NewAddress::new("north-estate", "elm-road", house, street);
    new.postcode = Some("AB1 2CD".into());
    phone.create_address(&new).unwrap()
}

/// Runs each test on a memory store and on a SQLite store in a temporary directory.
macro_rules! on_every_store {
    ($($test:ident),+ $(,)?) => {
        mod memory {
            $(#[test]
            fn $test() {
                let clock = super::ManualClock::new(super::START);
                let store = super::MemoryStore::new();
                let device = super::DeviceId::new(super::START);
                let phone = super::Replica::open(store, device, clock.clone()).unwrap();
                super::$test(phone, &clock);
            })+
        }
        mod sqlite {
            $(#[test]
            fn $test() {
                let dir = tempfile::tempdir().unwrap();
                let clock = super::ManualClock::new(super::START);
                let store = super::SqliteStore::open(dir.path()).unwrap();
                let device = super::DeviceId::new(super::START);
                let phone = super::Replica::open(store, device, clock.clone()).unwrap();
                super::$test(phone, &clock);
            })+
        }
    };
}

on_every_store!(
    a_search_matches_name_or_patch_in_any_case_and_sorts_by_name_then_id,
    a_search_ignores_accents_and_finds_phone_email_house_and_street,
    a_search_comes_in_pages,
    the_door_list_leaves_out_under_18s_and_those_not_to_be_contacted,
    follow_ups_owed_come_soonest_due_first_and_undated_last,
    events_come_soonest_first,
    groups_come_by_name_and_follow_their_edits,
    an_edit_or_a_deletion_changes_the_lists_with_the_record,
);

fn a_search_matches_name_or_patch_in_any_case_and_sorts_by_name_then_id<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    _: &ManualClock,
) {
    let sam_elm = someone(&mut phone, Some("Sam Jones"), "elm-road", None, false);
    let alex = someone(&mut phone, Some("Alex Smith"), "oak-lane", None, false);
    let sam_oak = someone(&mut phone, Some("Sam Jones"), "oak-lane", None, false);
    let nameless = someone(&mut phone, None, "elm-road", None, false);
    let mut sams = [sam_elm, sam_oak];
    sams.sort();
    let search = |text: &str| ids(phone.search_people(text, Page::ALL).unwrap());

    assert_eq!(search(""), [nameless, alex, sams[0], sams[1]]);
    assert_eq!(search("   ").len(), 4);
    assert_eq!(search("  sAM   jO "), sams);
    assert_eq!(search("OAK"), [alex, sam_oak]);
    assert_eq!(search("elm"), [nameless, sam_elm]);
    assert!(search("zebra").is_empty());
}

fn a_search_ignores_accents_and_finds_phone_email_house_and_street<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    _: &ManualClock,
) {
    let zoe = someone(&mut phone, Some("Zoë Brontë"), "elm-road", None, false);
    let shouting = someone(&mut phone, Some("ZOË ADAMS"), "elm-road", None, false);
    let plain = someone(&mut phone, Some("Zoe Khan"), "elm-road", None, false);
    let jose = someone(&mut phone, Some("José Núñez"), "elm-road", None, false);
    let oak = door(&mut phone, "12a", "Oak Lane");
    let birch = door(&mut phone, "Rose Cottage", "Birch Close");
    let contact = someone(&mut phone, Some("Ann"), "elm-road", None, false);
    phone
        .edit_person(contact, |p| {
            p.set_phone(Some("07700 900123"))?;
            p.set_email(Some("Ann.Lee@Example.org"))?;
            p.set_household(Some(oak))
        })
        .unwrap();
    let cottage = someone(&mut phone, Some("Bo"), "elm-road", None, false);
    phone
        .edit_person(cottage, |p| p.set_household(Some(birch)))
        .unwrap();
    let search = |text: &str| {
        let mut found = ids(phone.search_people(text, Page::ALL).unwrap());
        found.sort();
        found
    };
    let sorted = |mut ids: Vec<DocId>| {
        ids.sort();
        ids
    };

    let zoes = sorted(vec![zoe, shouting, plain]);
    assert_eq!(search("Zoe"), zoes);
    assert_eq!(search("zoe"), zoes);
    assert_eq!(search("ZOË"), zoes);
    assert_eq!(search("bronte"), [zoe]);
    assert_eq!(search("jose nunez"), [jose]);
    assert_eq!(search("NÚÑ"), [jose]);
    // Phone numbers match by their digits, however they are spaced.
    assert_eq!(search("0770 0900"), [contact]);
    assert_eq!(search("900-123"), [contact]);
    assert_eq!(search("ann.lee@example"), [contact]);
    // The door they live at: house and street, postcode.
    assert_eq!(search("12A OAK"), [contact]);
    assert_eq!(search("oak lane"), [contact]);
    assert_eq!(search("rose cott"), [cottage]);
    assert_eq!(search("ab1 2cd"), sorted(vec![contact, cottage]));
    assert!(search("12 oak").is_empty());
    // Sorted as a person reads names: case and accents do not split them.
    let found = phone.search_people("zo", Page::ALL).unwrap();
    assert_eq!(
        names(&found),
        [Some("ZOË ADAMS"), Some("Zoë Brontë"), Some("Zoe Khan")]
    );
}

fn a_search_comes_in_pages<S: Storage>(mut phone: Replica<S, ManualClock>, clock: &ManualClock) {
    let mut everyone = Vec::new();
    for n in 0..7 {
        everyone.push(someone(
            &mut phone,
            Some(&format!("Resident {n}")),
            "elm-road",
            None,
            false,
        ));
        clock.advance(1);
    }
    someone(&mut phone, Some("Someone else"), "elm-road", None, false);
    let page = |offset, limit| {
        ids(phone
            .search_people("resident", Page::new(offset, limit))
            .unwrap())
    };
    assert_eq!(page(0, 3), everyone[0..3]);
    assert_eq!(page(3, 3), everyone[3..6]);
    assert_eq!(page(6, 3), everyone[6..]);
    assert!(page(9, 3).is_empty());
    assert!(page(0, 0).is_empty());
    let doors = phone.door_list(Some("elm-road"), Page::new(7, 5)).unwrap();
    assert_eq!(names(&doors), [Some("Someone else")]);
}

fn the_door_list_leaves_out_under_18s_and_those_not_to_be_contacted<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    _: &ManualClock,
) {
    let adult = Some(AgeBand::From25To34);
    someone(&mut phone, Some("Cy"), "elm-road", adult, false);
    someone(&mut phone, Some("Al"), "oak-lane", None, false);
    someone(&mut phone, Some("Bea"), "elm-road", adult, false);
    let teen = Some(AgeBand::From13To17);
    someone(&mut phone, Some("Teen"), "elm-road", teen, false);
    let child = Some(AgeBand::Under13);
    someone(&mut phone, Some("Child"), "elm-road", child, false);
    someone(&mut phone, Some("Private"), "elm-road", adult, true);

    let all = phone.door_list(None, Page::ALL).unwrap();
    assert_eq!(names(&all), [Some("Bea"), Some("Cy"), Some("Al")]);
    let oak = phone.door_list(Some("oak-lane"), Page::ALL).unwrap();
    assert_eq!(names(&oak), [Some("Al")]);
    assert!(
        phone
            .door_list(Some("birch-close"), Page::ALL)
            .unwrap()
            .is_empty()
    );
}

fn follow_ups_owed_come_soonest_due_first_and_undated_last<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    clock: &ManualClock,
) {
    let promise =
        |what: &str, due: Option<Timestamp>| Doorstep::new(DoorOutcome::Spoke).follow_up(what, due);
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let (ann, undated_early) = phone
        .create_person_with(&new, |p| {
            p.set_name(Some("Ann"))?;
            p.log_doorstep(promise("undated, promised first", None))
        })
        .unwrap();
    clock.advance(1000);
    phone
        .edit_person(ann, |p| {
            p.log_doorstep(promise("due later", Some(START.plus_days(3))))
        })
        .unwrap();
    clock.advance(1000);
    let (bob, due_sooner) = phone
        .create_person_with(&new, |p| {
            p.log_doorstep(promise("due sooner", Some(START.plus_days(1))))
        })
        .unwrap();
    clock.advance(1000);
    phone
        .edit_person(bob, |p| {
            p.log_doorstep(promise("undated, promised last", None))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::NotIn))?;
            let done = p.log_doorstep(promise("already done", Some(START)))?;
            p.complete_follow_up(done, None)
        })
        .unwrap();
    clock.advance(1000);
    phone
        .edit_person(ann, |p| {
            p.log_doorstep(promise(
                "due sooner, promised later",
                Some(START.plus_days(1)),
            ))
        })
        .unwrap();

    let owed = phone.follow_ups_owed().unwrap();
    let what: Vec<&str> = owed.iter().map(|f| f.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "due sooner",
            "due sooner, promised later",
            "due later",
            "undated, promised first",
            "undated, promised last",
        ]
    );
    assert_eq!(
        owed[0],
        OwedFollowUp {
            person: bob,
            name: None,
            entry: due_sooner,
            what: "due sooner".into(),
            promised_at: Timestamp::from_millis(START.as_millis() + 2000),
            due: Some(START.plus_days(1)),
        }
    );
    assert_eq!(owed[3].person, ann);
    assert_eq!(owed[3].name.as_deref(), Some("Ann"));
    assert_eq!(owed[3].entry, undated_early);
    assert_eq!(owed[3].due, None);
}

fn events_come_soonest_first<S: Storage>(mut phone: Replica<S, ManualClock>, _: &ManualClock) {
    for (title, days) in [("Third", 10), ("First", 2), ("Second", 5)] {
        phone
            .create_event(&NewEvent {
                area: "north-estate".into(),
                patch: "elm-road".into(),
                title: title.into(),
                kind: EventKind::YouthSession,
                starts_at: START.plus_days(days),
                ends_at: None,
                place: None,
                headcount: None,
            })
            .unwrap();
    }
    let titles: Vec<String> = phone
        .events()
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(titles, ["First", "Second", "Third"]);
}

fn groups_come_by_name_and_follow_their_edits<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    _: &ManualClock,
) {
    let mut ids = Vec::new();
    for name in ["Youth forum", "green spaces", "Élan arts"] {
        ids.push(
            phone
                .create_group(&NewGroup::new("north-estate", name))
                .unwrap(),
        );
    }
    let names = |phone: &Replica<S, ManualClock>| -> Vec<String> {
        phone
            .groups()
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect()
    };
    assert_eq!(names(&phone), ["Élan arts", "green spaces", "Youth forum"]);
    let mut renamed = NewGroup::new("north-estate", "Allotments");
    renamed.patch = Some("elm-road".into());
    phone.update_group(ids[0], &renamed).unwrap();
    phone.set_group_closed(ids[1], true).unwrap();
    let groups = phone.groups().unwrap();
    assert_eq!(names(&phone), ["Allotments", "Élan arts", "green spaces"]);
    assert_eq!(groups[0].patch.as_deref(), Some("elm-road"));
    assert!(groups[2].closed);
}

fn an_edit_or_a_deletion_changes_the_lists_with_the_record<S: Storage>(
    mut phone: Replica<S, ManualClock>,
    _: &ManualClock,
) {
    let sam = someone(&mut phone, Some("Sam"), "elm-road", None, false);
    let entry = phone
        .edit_person(sam, |p| {
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).follow_up("Call back", None))
        })
        .unwrap();
    assert_eq!(phone.follow_ups_owed().unwrap().len(), 1);
    phone
        .edit_person(sam, |p| {
            p.set_name(Some("Samira"))?;
            p.complete_follow_up(entry, None)?;
            p.set_do_not_contact(true)
        })
        .unwrap();
    let found = phone.search_people("sam", Page::ALL).unwrap();
    assert_eq!(names(&found), [Some("Samira")]);
    assert_eq!(found[0].interactions, 1);
    assert_eq!(found[0].last_outcome, Some(DoorOutcome::Spoke));
    assert!(phone.follow_ups_owed().unwrap().is_empty());
    assert!(phone.door_list(None, Page::ALL).unwrap().is_empty());
    phone.forget(sam).unwrap();
    assert!(phone.search_people("", Page::ALL).unwrap().is_empty());
}

/// A few hundred people, doors, events and follow-ups made by a fixed
/// recipe, copied byte for byte into a SQLite store (listed when the replica
/// opens it): every list must answer the same from both.
#[test]
fn the_index_answers_every_list_as_a_full_scan_does() {
    let clock = ManualClock::new(START);
    let device = DeviceId::new(START);
    let mut memory = Replica::open(MemoryStore::new(), device, clock.clone()).unwrap();
    let names = [
        "Zoë",
        "zoe",
        "Ann Lee",
        "ann",
        "Bo",
        "Émile",
        "Sam Jones",
        "Sam",
    ];
    let patches = ["elm-road", "oak-lane", "birch-close"];
    let bands = [None, Some(AgeBand::Under13), Some(AgeBand::From25To34)];
    let mut doors = Vec::new();
    for n in 0..300usize {
        let patch = patches[n % 3];
        if n % 4 == 0 {
            let mut new =
                NewAddress::new("north-estate", patch, &format!("{}", n % 40), "Oak Lane");
            if n % 8 == 0 {
                new.location = Some(Location {
                    latitude: 51.0 + (n % 13) as f64 / 1000.0,
                    longitude: -0.1,
                });
            }
            doors.push(memory.create_address(&new).unwrap());
        }
        let new = NewPerson::new("north-estate", patch, EntryChannel::Doorstep);
        memory
            .create_person(&new, |p| {
                p.set_name((n % 9 != 0).then_some(names[n % names.len()]))?;
                p.set_age_band(bands[n % 3])?;
                p.set_do_not_contact(n % 7 == 0)?;
                if n % 5 == 0 {
                    p.set_phone(Some(&format!("07700 900{n:03}")))?;
                }
                if n % 2 == 0 {
                    p.set_household(Some(doors[(n * 7) % doors.len()]))?;
                }
                if n % 3 == 1 {
                    let due = (n % 2 == 0).then(|| START.plus_days(n as i64 % 5 - 2));
                    p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).follow_up("Call", due))?;
                }
                Ok(())
            })
            .unwrap();
        clock.advance(7);
    }
    for n in 0..5 {
        memory
            .create_event(&NewEvent {
                area: "north-estate".into(),
                patch: "elm-road".into(),
                title: format!("Event {n}"),
                kind: EventKind::FunDay,
                starts_at: START.plus_days(3 - n),
                ends_at: None,
                place: None,
                headcount: (n % 2 == 0).then_some(250 * n as u32),
            })
            .unwrap();
    }
    for (n, name) in ["Zoë's group", "zoe's group", "Arts", "arts"]
        .iter()
        .enumerate()
    {
        let group = memory
            .create_group(&NewGroup::new("north-estate", name))
            .unwrap();
        if n % 2 == 0 {
            memory.set_group_closed(group, true).unwrap();
        }
    }
    for (n, door) in doors.iter().enumerate() {
        for _ in 0..n % 3 {
            memory.record_visit(*door, DoorOutcome::NotIn).unwrap();
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(dir.path()).unwrap();
    for id in memory.document_ids().unwrap() {
        let bytes = memory.storage().get_document(id).unwrap().unwrap();
        sqlite
            .put_document(id, &bytes, &crate::store::Listing::Unreadable)
            .unwrap();
    }
    for name in [IDENTITY_META, STATE_META] {
        let bytes = memory.storage().get_meta(name).unwrap().unwrap();
        sqlite.put_meta(name, &bytes).unwrap();
    }
    let indexed = Replica::open(sqlite, device, clock.clone()).unwrap();
    assert!(indexed.storage().unlisted().unwrap().is_empty());

    for search in [
        "", "zoe", "ZOË", "ann", "emile", "sam j", "oak", "0770", "12 oak", "x",
    ] {
        for page in [Page::ALL, Page::new(5, 20)] {
            assert_eq!(
                memory.search_people(search, page).unwrap(),
                indexed.search_people(search, page).unwrap(),
                "searching {search:?}"
            );
        }
    }
    for patch in [None, Some("elm-road"), Some("oak-lane"), Some("nowhere")] {
        for page in [Page::ALL, Page::new(3, 10)] {
            assert_eq!(
                memory.door_list(patch, page).unwrap(),
                indexed.door_list(patch, page).unwrap()
            );
        }
    }
    assert_eq!(
        memory.follow_ups_owed().unwrap(),
        indexed.follow_ups_owed().unwrap()
    );
    assert_eq!(memory.groups().unwrap(), indexed.groups().unwrap());
    assert_eq!(indexed.groups().unwrap().len(), 4);
    assert!(!indexed.follow_ups_owed().unwrap().is_empty());
    for patch in patches {
        for from in [
            None,
            Some(Location {
                latitude: 51.0,
                longitude: -0.1,
            }),
        ] {
            let walk = indexed.walk_list(patch, from).unwrap();
            assert!(!walk.is_empty());
            assert_eq!(memory.walk_list(patch, from).unwrap(), walk);
        }
    }
    assert_eq!(memory.events().unwrap(), indexed.events().unwrap());
}
