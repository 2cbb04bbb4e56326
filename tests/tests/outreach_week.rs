//! A week of outreach on an estate, end to end: champions knock on doors
//! offline and sync when they can, a youth worker signs young people up at a
//! fun day, two champions talk to the same resident, one phone's app is
//! killed and restarted mid-week. At the end every phone holds exactly the
//! records in its scope, identical to the hub's, and nothing was lost.

use std::collections::BTreeSet;

use sync_core::{
    AgeBand, AreaConfig, ConsentGiver, ConsentMethod, ConsentPurpose, DocId, DoorOutcome, Doorstep,
    EntryChannel, EventKind, InteractionKind, LawfulBasis, NewConsent, NewEvent, NewPerson,
    PatchConfig, Record, Scope, Timestamp,
};
use tests::hubs::Hub;
use tests::{Fleet, champion};

const AREA: &str = "north-estate";
const PATCHES: [&str; 3] = ["birch-close", "elm-road", "oak-lane"];

fn consent(purpose: ConsentPurpose, given_by: ConsentGiver) -> NewConsent {
    NewConsent {
        purpose,
        granted: true,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "2026-09".into(),
        method: ConsentMethod::Doorstep,
        given_by,
    }
}

fn a_week_of_offline_outreach_ends_with_every_phone_holding_its_scope(hub: impl Hub) {
    let mut fleet = Fleet::new(hub);
    let worker = fleet.add_phone(Scope::Admin);
    let champions = [
        fleet.add_phone(champion(&["elm-road", "oak-lane"])),
        fleet.add_phone(champion(&["oak-lane"])),
        fleet.add_phone(champion(&["birch-close"])),
    ];
    let youth = fleet.add_phone(Scope::YouthWorker {
        device: sync_core::DeviceId::new(Timestamp::from_millis(0)),
    });

    // The worker configures the area and records one resident already known.
    let now = fleet.clock.now();
    let device = fleet.phone(worker).device();
    let mut area = AreaConfig::new_default(DocId::new(now), AREA, "North Estate", device, now);
    area.patches = PATCHES
        .iter()
        .map(|p| PatchConfig {
            id: (*p).into(),
            name: p.replace('-', " "),
            households: 300,
            census: None,
        })
        .collect();
    fleet.phone(worker).put_area(&area).unwrap();
    let shared = fleet
        .phone(worker)
        .create_person(
            &NewPerson::new(AREA, "oak-lane", EntryChannel::Referral),
            |p| p.set_name(Some("Pat")),
        )
        .unwrap();
    fleet.sync_all();

    let mut created: Vec<DocId> = vec![shared];
    let mut conversations = 0;
    for day in 0..5i64 {
        fleet.clock.set(tests::START.plus_days(day + 1));
        for (n, &champion) in champions.iter().enumerate() {
            let patches: Vec<String> = match fleet.scope(champion) {
                Scope::Champion { patches } => patches.iter().cloned().collect(),
                _ => unreachable!(),
            };
            for door in 0..8usize {
                fleet.clock.advance(5 * 60_000);
                let outcome = DoorOutcome::ALL[(door + n) % DoorOutcome::ALL.len()];
                let patch = &patches[door % patches.len()];
                let id = fleet
                    .phone(champion)
                    .create_person(&NewPerson::new(AREA, patch, EntryChannel::Doorstep), |p| {
                        if outcome == DoorOutcome::Spoke {
                            p.set_name(Some(&format!("Resident {n}-{day}-{door}")))?;
                            p.record_consent(consent(
                                ConsentPurpose::ContactAgain,
                                ConsentGiver::Subject,
                            ))?;
                        }
                        p.log_doorstep(Doorstep::new(outcome).topic("parks"))
                            .map(drop)
                    })
                    .unwrap();
                created.push(id);
                conversations += 1;
            }
            // Both oak-lane champions talk to Pat on the same day, offline.
            if day == 2 && n < 2 {
                fleet
                    .phone(champion)
                    .edit_person(shared, |p| {
                        p.log_doorstep(
                            Doorstep::new(DoorOutcome::Spoke).wants_to_join("litter-pick"),
                        )
                        .map(drop)
                    })
                    .unwrap();
            }
            // Signal comes and goes: each champion syncs every other day.
            if (day + n as i64) % 2 == 0 {
                fleet.sync(champion);
            }
        }
        if day == 3 {
            // Fun day: the youth worker signs young people up, many in a row.
            let starts_at = fleet.clock.now();
            let fun_day = fleet
                .phone(youth)
                .create_event(&NewEvent {
                    area: AREA.into(),
                    patch: "elm-road".into(),
                    title: "Elm Road fun day".into(),
                    kind: EventKind::FunDay,
                    starts_at,
                    ends_at: None,
                    place: None,
                    headcount: None,
                })
                .unwrap();
            created.push(fun_day);
            for kid in 0..15usize {
                let band = if kid % 3 == 0 {
                    AgeBand::Under13
                } else {
                    AgeBand::From13To17
                };
                let id = fleet
                    .phone(youth)
                    .create_person(
                        &NewPerson::new(AREA, "elm-road", EntryChannel::YouthSession),
                        |p| {
                            p.set_age_band(Some(band))?;
                            let giver = if band == AgeBand::Under13 {
                                ConsentGiver::Guardian
                            } else {
                                ConsentGiver::Subject
                            };
                            p.record_consent(consent(ConsentPurpose::Events, giver))?;
                            p.record(InteractionKind::EventSignUp { event: fun_day })
                                .map(drop)
                        },
                    )
                    .unwrap();
                created.push(id);
            }
            // The youth worker's app is killed before it syncs.
            fleet.restart(youth);
            assert_eq!(fleet.phone(youth).pending_changes(), 16);
        }
    }
    fleet.sync_all();

    let hub_ids: BTreeSet<DocId> = fleet.hub.document_ids().into_iter().collect();
    for id in &created {
        assert!(hub_ids.contains(id), "{id} never reached the hub");
    }
    assert_eq!(
        hub_ids.len(),
        created.len() + 1,
        "the hub holds every record and the area"
    );
    assert_eq!(conversations, 5 * 8 * 3);

    let pat = match fleet.hub.record(shared) {
        Some(Record::Person(p)) => p,
        other => panic!("Pat is {other:?}"),
    };
    assert_eq!(
        pat.interactions.len(),
        2,
        "both champions' conversations with Pat were kept"
    );

    let records = fleet.hub.records();
    let by_id: std::collections::BTreeMap<DocId, &Record> =
        records.iter().map(|r| (r.id(), r)).collect();
    for index in 0..fleet.len() {
        let scope = fleet.scope(index).clone();
        let phone = fleet.phone(index);
        assert_eq!(phone.pending_changes(), 0);
        let held: BTreeSet<DocId> = phone.document_ids().unwrap().into_iter().collect();
        let expected: BTreeSet<DocId> = records
            .iter()
            .filter(|r| scope.can_read(&r.audience()))
            .map(Record::id)
            .collect();
        assert_eq!(held, expected, "phone {index} holds exactly its scope");
        for id in held {
            assert_eq!(Some(&phone.record(id).unwrap()), by_id.get(&id).copied());
        }
    }
    // A champion never holds another patch's people.
    let birch_only = fleet.phone(champions[2]).records().unwrap();
    assert!(
        birch_only
            .iter()
            .all(|r| matches!(r.patch(), None | Some("birch-close")))
    );
}

tests::on_every_hub!(a_week_of_offline_outreach_ends_with_every_phone_holding_its_scope);
