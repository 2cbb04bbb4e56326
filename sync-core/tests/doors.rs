//! Doors, walk lists and merged duplicates, against the in-memory hub: the
//! reference the real server is checked against in `tests/`.

use sync_core::{
    DeviceId, DoorOutcome, Doorstep, EntryChannel, InteractionKind, Location, ManualClock,
    MemoryHub, MemoryStore, NewAddress, NewPerson, Record, Replica, RevisitFlag, Scope, Timestamp,
};

const START: Timestamp = Timestamp::from_millis(1_789_000_000_000);
const HOUR: i64 = 3_600_000;

type Phone = Replica<MemoryStore, ManualClock>;

fn phone(clock: &ManualClock) -> Phone {
    Replica::open(
        MemoryStore::new(),
        DeviceId::new(clock.now()),
        clock.clone(),
    )
    .unwrap()
}

fn champion() -> Scope {
    Scope::Champion {
        patches: ["elm-road".to_owned()].into(),
    }
}

fn sync(hub: &mut MemoryHub, phone: &mut Phone) -> sync_core::SyncOutcome {
    let outcome = hub.sync(&champion(), phone).unwrap();
    assert!(!outcome.more, "sync did not settle: {outcome:?}");
    outcome
}

#[test]
fn a_walk_list_is_built_offline_from_doors_received_and_doors_added() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut office = phone(&clock);
    for (house, latitude) in [("2", 51.002), ("4", 51.004), ("6", 51.006)] {
        let mut door = NewAddress::new("north-estate", "elm-road", house, "Oak Lane");
        door.postcode = Some("AB1 2CD".into());
        door.location = Some(Location {
            latitude,
            longitude: -0.1,
        });
        office.create_address(&door).unwrap();
    }
    hub.sync(&Scope::Admin, &mut office).unwrap();

    let mut champ = phone(&clock);
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

#[test]
fn a_late_edit_to_a_merged_away_person_lands_on_the_survivor() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut alice = phone(&clock);
    let mut bob = phone(&clock);
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

    hub.merge_people(first, second, clock.now()).unwrap();
    let Some(Record::Person(merged)) = hub.record(first) else {
        panic!("survivor missing")
    };
    assert_eq!(merged.interactions.len(), 2);
    assert_eq!(merged.phone.as_deref(), Some("07700 900123"));
    assert!(merged.interests.contains("youth"));
    assert!(hub.record(second).is_none());

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

#[test]
fn late_edits_win_even_when_the_phone_missed_edits_from_before_the_merge() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let oak = Scope::Champion {
        patches: ["oak-lane".to_owned()].into(),
    };
    let mut alice = phone(&clock);
    let mut bob = phone(&clock);
    let mut office = phone(&clock);
    let first = alice
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| p.set_name(Some("Sam Jones")),
        )
        .unwrap();
    // Bob works another patch: the same resident, recorded there.
    let second = bob
        .create_person(
            &NewPerson::new("north-estate", "oak-lane", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam Jones"))?;
                p.set_phone(Some("07700 900123"))
            },
        )
        .unwrap();
    sync(&mut hub, &mut alice);
    hub.sync(&oak, &mut bob).unwrap();
    // The office edits Bob's record; Bob does not sync again before the merge.
    hub.sync(&Scope::Admin, &mut office).unwrap();
    office
        .edit_person(second, |p| p.set_email(Some("sam@example.org")))
        .unwrap();
    hub.sync(&Scope::Admin, &mut office).unwrap();
    hub.merge_people(first, second, clock.now()).unwrap();

    // Bob corrects the phone number and withdraws nothing else.
    clock.advance(HOUR);
    bob.edit_person(second, |p| p.set_phone(Some("07700 900999")))
        .unwrap();
    let outcome = hub.sync(&oak, &mut bob).unwrap();
    assert!(!outcome.more && outcome.rejected.is_empty(), "{outcome:?}");
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
    // Bob's copy is gone; the survivor is outside his patch, so he does not
    // receive it.
    assert!(bob.person(second).is_err());
    assert!(bob.person(first).is_err());
    assert_eq!(bob.pending_changes(), 0);
}

#[test]
fn late_edits_to_shared_entries_and_sets_reach_the_survivor() {
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let mut alice = phone(&clock);
    let mut bob = phone(&clock);
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
                start: START,
                end: None,
            })?);
            Ok(())
        })
        .unwrap();
    let (promised, joined) = (promised.unwrap(), joined.unwrap());
    sync(&mut hub, &mut alice);
    sync(&mut hub, &mut bob);
    hub.merge_people(first, second, clock.now()).unwrap();
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
