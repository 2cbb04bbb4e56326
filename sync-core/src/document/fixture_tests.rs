//! Documents written by earlier versions must keep decoding to the same
//! records. Each fixture under `sync-core/tests/fixtures/` is the saved bytes
//! of a document as a released version wrote it, with the record it decodes
//! to (its `Debug` text) beside it.
//!
//! A fixture is written once, when a schema version is released, with
//! `OUTREACH_WRITE_FIXTURES=1 cargo test -p sync-core fixture`; after that it
//! never changes. If a test here fails, old phones' documents would no longer
//! read: keep decoding them, or raise `SCHEMA_VERSION` and migrate.

use std::path::PathBuf;

use automerge::AutoCommit;

use super::*;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn id<T: FromStr>(text: &str) -> T {
    text.parse().ok().expect("fixed id")
}

const AT: Timestamp = Timestamp::from_millis(1_789_000_000_000);

/// A person with every field and every kind of interaction.
fn person_v1() -> AutoCommit {
    let device: DeviceId = id("01900000-0000-7000-8000-000000000001");
    let person: DocId = id("01900000-0000-7000-8000-000000000002");
    let event: DocId = id("01900000-0000-7000-8000-000000000003");
    let mut doc = AutoCommit::new();
    let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    create_person(&mut doc, person, &new, device, AT).unwrap();
    set_person_field(&mut doc, PersonField::Name, Some("Sam Fixture")).unwrap();
    set_person_field(&mut doc, PersonField::Phone, Some("07700 900123")).unwrap();
    set_person_field(&mut doc, PersonField::Email, Some("sam@example.org")).unwrap();
    set_person_field(&mut doc, PersonField::Language, Some("pl")).unwrap();
    set_person_field(&mut doc, PersonField::AgeBand, Some("25-34")).unwrap();
    set_person_field(&mut doc, PersonField::Tenure, Some("social-rent")).unwrap();
    set_person_field(&mut doc, PersonField::Ethnicity, Some("white-other")).unwrap();
    set_member(&mut doc, PersonSet::Residency, "lives", true).unwrap();
    set_member(&mut doc, PersonSet::Residency, "works", true).unwrap();
    set_member(&mut doc, PersonSet::Interests, "parks", true).unwrap();
    let consent = |n: u128, purpose, given_by| ConsentRecord {
        id: EntryId::from_uuid(uuid::Uuid::from_u128(n)),
        purpose,
        granted: true,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "2026-09".into(),
        at: AT,
        method: ConsentMethod::Doorstep,
        given_by,
        recorded_by: device,
    };
    add_consent(
        &mut doc,
        &consent(10, ConsentPurpose::ContactAgain, ConsentGiver::Subject),
    )
    .unwrap();
    add_consent(
        &mut doc,
        &consent(
            11,
            ConsentPurpose::EqualityMonitoring,
            ConsentGiver::Subject,
        ),
    )
    .unwrap();
    let kinds = [
        InteractionKind::Doorstep(Doorstep {
            outcome: DoorOutcome::Spoke,
            topics: ["litter".to_owned()].into(),
            wants_to_join: ["litter-pick".to_owned()].into(),
            follow_up: Some(FollowUp {
                what: "Send dates".into(),
                due: Some(AT.plus_days(7)),
                done: Some(FollowUpDone {
                    at: AT.plus_days(2),
                    note: Some("Sent".into()),
                    by: device,
                }),
            }),
        }),
        InteractionKind::EventSignUp { event },
        InteractionKind::Attendance { event },
        InteractionKind::Volunteering {
            activity: "Stewarding".into(),
            event: Some(event),
        },
        InteractionKind::WorkingGroup {
            group: "Green spaces".into(),
            start: AT.plus_days(30),
            end: Some(AT.plus_days(200)),
        },
        InteractionKind::Role {
            role: Role::Treasurer,
            start: AT.plus_days(60),
            end: None,
            hats: BTreeSet::new(),
        },
        InteractionKind::Referral {
            source: "tenants-association".into(),
        },
    ];
    for (n, kind) in kinds.into_iter().enumerate() {
        let entry = Interaction {
            id: EntryId::from_uuid(uuid::Uuid::from_u128(100 + n as u128)),
            at: AT.plus_days(n as i64),
            recorded_by: device,
            kind,
        };
        add_interaction(&mut doc, &entry).unwrap();
    }
    set_do_not_contact(&mut doc, false).unwrap();
    doc.commit_with(automerge::transaction::CommitOptions::default().with_time(AT.as_secs()));
    doc
}

fn event_v1() -> AutoCommit {
    let device: DeviceId = id("01900000-0000-7000-8000-000000000001");
    let event: DocId = id("01900000-0000-7000-8000-000000000003");
    let mut doc = AutoCommit::new();
    let new = NewEvent {
        area: "north-estate".into(),
        patch: "oak-lane".into(),
        title: "Oak Lane fun day".into(),
        kind: EventKind::FunDay,
        starts_at: AT,
        ends_at: Some(AT.plus_days(1)),
        place: Some("The green".into()),
        headcount: None,
    };
    create_event(&mut doc, event, &new, device, AT).unwrap();
    doc.commit();
    doc
}

fn area_v1() -> AutoCommit {
    let device: DeviceId = id("01900000-0000-7000-8000-000000000001");
    let area: DocId = id("01900000-0000-7000-8000-000000000004");
    let mut config = AreaConfig::new_default(area, "north-estate", "North Estate", device, AT);
    config.patches = vec![PatchConfig {
        id: "elm-road".into(),
        name: "Elm Road".into(),
        households: 412,
        census: None,
    }];
    config.topics = ["parks".to_owned()].into();
    let mut doc = AutoCommit::new();
    write_area(&mut doc, &config).unwrap();
    doc.commit();
    doc
}

/// A door with every field and a knock, as schema 1 writes it since
/// addresses were added; and a person linked to it.
fn address_v1() -> AutoCommit {
    let device: DeviceId = id("01900000-0000-7000-8000-000000000001");
    let address: DocId = id("01900000-0000-7000-8000-000000000005");
    let mut new = NewAddress::new("north-estate", "elm-road", "12a", "Oak Lane");
    new.locality = Some("Flat 2".into());
    new.postcode = Some("AB1 2CD".into());
    new.location = Some(Location {
        latitude: 51.5,
        longitude: -0.125,
    });
    let mut doc = AutoCommit::new();
    create_address(&mut doc, address, &new, device, AT).unwrap();
    set_do_not_knock(&mut doc, true).unwrap();
    add_visit(
        &mut doc,
        &DoorVisit {
            id: EntryId::from_uuid(uuid::Uuid::from_u128(200)),
            at: AT,
            outcome: DoorOutcome::NoKnocking,
            recorded_by: device,
        },
    )
    .unwrap();
    doc.commit();
    doc
}

/// A working group with every field, as schema 1 writes it since groups
/// were added, edited once and closed.
fn group_v1() -> AutoCommit {
    let device: DeviceId = id("01900000-0000-7000-8000-000000000001");
    let group: DocId = id("01900000-0000-7000-8000-000000000006");
    let lead: DocId = id("01900000-0000-7000-8000-000000000002");
    let mut new = NewGroup::new("north-estate", "Green spaces");
    new.patch = Some("elm-road".into());
    new.purpose = Some("Looks after the parks and verges".into());
    new.topics = ["parks".to_owned(), "litter".to_owned()].into();
    new.devolved_budget = true;
    let mut doc = AutoCommit::new();
    create_group(&mut doc, group, &new, device, AT).unwrap();
    doc.commit();
    new.devolved_decisions = true;
    new.constituted = true;
    new.lead = Some(lead);
    write_group_fields(&mut doc, &new).unwrap();
    set_group_closed(&mut doc, true).unwrap();
    doc.commit();
    doc
}

fn check(name: &str, make: fn() -> AutoCommit) {
    let bytes_path = fixture_dir().join(format!("{name}.automerge"));
    let record_path = fixture_dir().join(format!("{name}.txt"));
    if std::env::var_os("OUTREACH_WRITE_FIXTURES").is_some() {
        if !bytes_path.exists() {
            std::fs::create_dir_all(fixture_dir()).unwrap();
            std::fs::write(&bytes_path, make().save()).unwrap();
        }
        // The expected record is rewritten only when deleted on purpose (a
        // field was added to the model); the bytes never change.
        if !record_path.exists() {
            let bytes = std::fs::read(&bytes_path).unwrap();
            let record = decode(&load(&bytes, Origin::Push).unwrap(), None).unwrap();
            std::fs::write(&record_path, format!("{record:#?}\n")).unwrap();
        }
    }
    let bytes = std::fs::read(&bytes_path)
        .unwrap_or_else(|e| panic!("{}: {e} (see this module's docs)", bytes_path.display()));
    let expected = std::fs::read_to_string(&record_path).unwrap();
    let record = decode(&load(&bytes, Origin::Push).unwrap(), None).unwrap();
    assert_eq!(
        format!("{record:#?}\n"),
        expected,
        "{name} no longer decodes as it did"
    );
    assert!(
        crate::validate::violations(&record).is_empty(),
        "{name} is not valid any more"
    );
}

#[test]
fn a_person_written_by_schema_1_still_decodes() {
    check("person-v1", person_v1);
}

#[test]
fn an_event_written_by_schema_1_still_decodes() {
    check("event-v1", event_v1);
}

#[test]
fn an_event_written_before_headcounts_reads_as_not_counted() {
    let bytes = std::fs::read(fixture_dir().join("event-v1.automerge")).unwrap();
    let Record::Event(event) = decode(&load(&bytes, Origin::Push).unwrap(), None).unwrap() else {
        panic!("the fixture is an event");
    };
    assert_eq!(
        event.headcount, None,
        "an event never counted reads as such"
    );
}

#[test]
fn an_area_written_by_schema_1_still_decodes() {
    check("area-v1", area_v1);
}

#[test]
fn an_address_written_by_schema_1_still_decodes() {
    check("address-v1", address_v1);
}

/// A census entered on an area written before censuses existed: the old
/// document takes it, it reads back as entered, two admins entering
/// different figures offline both keep theirs, and taking it away leaves
/// none.
#[test]
fn a_census_is_added_to_an_old_area_and_merges_figure_by_figure() {
    use crate::model::{AgeBand, Census, Tenure};
    let bytes = std::fs::read(fixture_dir().join("area-v1.automerge")).unwrap();
    let mut doc = load(&bytes, Origin::Push).unwrap();
    let Record::Area(mut config) = decode(&doc, None).unwrap() else {
        panic!("an area");
    };
    let census = Census {
        residents_by_age: crate::Census::adult_bands()
            .zip(1..)
            .map(|(b, n)| (b, n * 100))
            .collect(),
        households_by_tenure: [(Tenure::Owner, 200), (Tenure::SocialRent, 150)].into(),
    };
    config.patches[0].census = Some(census.clone());
    assert!(crate::validate::violations(&Record::Area(config.clone())).is_empty());
    write_area(&mut doc, &config).unwrap();
    doc.commit();
    let mut other = doc.fork();
    let Record::Area(read) = decode(&doc, None).unwrap() else {
        panic!("an area");
    };
    assert_eq!(read.patches[0].census, Some(census.clone()));

    let mut mine = config.clone();
    let mut theirs = config.clone();
    if let Some(c) = mine.patches[0].census.as_mut() {
        c.residents_by_age.insert(AgeBand::From75, 999);
    }
    if let Some(c) = theirs.patches[0].census.as_mut() {
        c.households_by_tenure.insert(Tenure::PrivateRent, 80);
    }
    write_area(&mut doc, &mine).unwrap();
    write_area(&mut other, &theirs).unwrap();
    doc.merge(&mut other).unwrap();
    let Record::Area(merged) = decode(&doc, None).unwrap() else {
        panic!("an area");
    };
    let merged = merged.patches[0].census.clone().unwrap();
    assert_eq!(merged.residents_by_age[&AgeBand::From75], 999);
    assert_eq!(merged.households_by_tenure[&Tenure::PrivateRent], 80);
    assert_eq!(merged.households_by_tenure[&Tenure::Owner], 200);

    config.patches[0].census = None;
    write_area(&mut doc, &config).unwrap();
    let Record::Area(read) = decode(&doc, None).unwrap() else {
        panic!("an area");
    };
    assert_eq!(read.patches[0].census, None);
}

#[test]
fn a_census_by_age_gives_every_adult_band_and_no_figure_too_large() {
    use crate::error::ValidationError;
    use crate::model::{AgeBand, Census};
    let bytes = std::fs::read(fixture_dir().join("area-v1.automerge")).unwrap();
    let doc = load(&bytes, Origin::Push).unwrap();
    let Record::Area(config) = decode(&doc, None).unwrap() else {
        panic!("an area");
    };
    let with = |census: Census| {
        let mut c = config.clone();
        c.patches[0].census = Some(census);
        crate::validate::violations(&Record::Area(c))
    };
    let adults: std::collections::BTreeMap<AgeBand, u32> =
        Census::adult_bands().map(|b| (b, 10)).collect();
    let mut all = adults.clone();
    all.insert(AgeBand::Under13, 5);
    all.insert(AgeBand::From13To17, 5);
    assert!(
        with(Census {
            residents_by_age: adults.clone(),
            ..Census::default()
        })
        .is_empty()
    );
    assert!(
        with(Census {
            residents_by_age: all,
            ..Census::default()
        })
        .is_empty()
    );
    let mut one_child = adults.clone();
    one_child.insert(AgeBand::Under13, 5);
    let mut missing = adults.clone();
    missing.remove(&AgeBand::From75);
    let mut huge = adults.clone();
    huge.insert(AgeBand::From18To24, Census::MAX_COUNT + 1);
    let zeros = adults.keys().map(|b| (*b, 0)).collect();
    for (ages, error) in [
        (one_child, ValidationError::CensusAgesIncomplete),
        (missing, ValidationError::CensusAgesIncomplete),
        (huge, ValidationError::CensusTooLarge),
        (zeros, ValidationError::CensusAllZero),
    ] {
        assert_eq!(
            with(Census {
                residents_by_age: ages,
                ..Census::default()
            }),
            vec![error]
        );
    }
}

/// A role recorded before hats were has no set of hats in its document:
/// a phone or the server setting them makes it, and two doing so offline
/// at once end with one of their choices whole.
#[test]
fn hats_are_set_on_a_role_recorded_before_hats_were() {
    use crate::model::{Hat, InteractionKind};
    let bytes = std::fs::read(fixture_dir().join("person-v1.automerge")).unwrap();
    let mut doc = load(&bytes, Origin::Push).unwrap();
    let Record::Person(person) = decode(&doc, None).unwrap() else {
        panic!("a person");
    };
    let role = person
        .interactions
        .iter()
        .find(|i| matches!(i.kind, InteractionKind::Role { .. }))
        .expect("the fixture holds a role")
        .id;
    let entry = interaction_obj(&doc, role).unwrap();
    assert!(
        doc.get(&entry, "hats").unwrap().is_none(),
        "written before hats"
    );
    let hats_of = |doc: &AutoCommit| {
        let Record::Person(p) = decode(doc, None).unwrap() else {
            panic!("a person");
        };
        match &p.interaction(role).unwrap().kind {
            InteractionKind::Role { hats, .. } => hats.clone(),
            _ => panic!("a role"),
        }
    };
    assert!(hats_of(&doc).is_empty());
    let mut other = doc.fork();
    let councillor = BTreeSet::from([Hat::Councillor]);
    let worker = BTreeSet::from([Hat::PaidWorker, Hat::Other]);
    set_role_hats(&mut doc, role, &councillor).unwrap();
    assert_eq!(hats_of(&doc), councillor);
    set_role_hats(&mut other, role, &worker).unwrap();
    doc.merge(&mut other).unwrap();
    let merged = hats_of(&doc);
    assert!(merged == councillor || merged == worker, "{merged:?}");
    assert!(crate::validate::violations(&decode(&doc, None).unwrap()).is_empty());
    // Later changes go to the set that won, on both sides.
    other.merge(&mut doc).unwrap();
    set_role_hats(&mut other, role, &BTreeSet::new()).unwrap();
    doc.merge(&mut other).unwrap();
    assert!(hats_of(&doc).is_empty());
}

#[test]
fn a_group_written_by_schema_1_still_decodes() {
    check("group-v1", group_v1);
}

#[test]
fn a_group_edit_writes_only_what_changed() {
    let mut doc = group_v1();
    let new = match decode(&doc, None).unwrap() {
        Record::Group(g) => NewGroup::from(&g),
        other => panic!("not a group: {other}"),
    };
    let heads = doc.get_heads();
    write_group_fields(&mut doc, &new).unwrap();
    doc.commit();
    assert_eq!(doc.get_heads(), heads, "an unchanged group writes nothing");
    let mut renamed = new.clone();
    renamed.name = "Parks and verges".into();
    write_group_fields(&mut doc, &renamed).unwrap();
    doc.commit();
    let changes = doc.get_changes(&heads);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].len(), 1, "one field changed, one operation");
}
