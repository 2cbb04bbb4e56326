//! Two phones log outreach offline, then sync through an in-memory hub.
//!
//! A street champion knocks on doors in Elm Road with no signal while a
//! youth worker signs young people up at a fun day. Both also talk to the
//! same resident. When they get a signal, each syncs; afterwards both phones
//! and the hub hold the same records, and the ladder shows how far each
//! person has come.
//!
//! Run with `cargo run -p sync-core --example two_phones`. Each phone keeps
//! its documents in a SQLite store in a temporary directory, as a real phone
//! would.
#![allow(clippy::print_stdout, reason = "an example shows what it does")]

use sync_core::{
    AgeBand, AreaConfig, ConsentGiver, ConsentMethod, ConsentPurpose, DeviceId, DoorOutcome,
    Doorstep, EntryChannel, EventKind, InteractionKind, LawfulBasis, ManualClock, MemoryHub,
    NewConsent, NewEvent, NewPerson, PatchConfig, Person, Replica, ResidentBasis, Scope,
    SqliteStore, Storage, Timestamp,
};

type Phone = Replica<SqliteStore, ManualClock>;

fn consent(purpose: ConsentPurpose, method: ConsentMethod, given_by: ConsentGiver) -> NewConsent {
    NewConsent {
        purpose,
        granted: true,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "2026-09".into(),
        method,
        given_by,
    }
}

fn open(dir: &std::path::Path, clock: &ManualClock) -> Result<Phone, Box<dyn std::error::Error>> {
    Ok(Replica::open(
        SqliteStore::open(dir)?,
        DeviceId::new(clock.now()),
        clock.clone(),
    )?)
}

fn show(title: &str, phone: &Phone, area: &AreaConfig, as_of: Timestamp) -> sync_core::Result<()> {
    println!("\n{title}: {} records", phone.document_ids()?.len());
    let stages = area.ladder.stages();
    for person in phone.people()? {
        let progress = area.ladder.progress(&person, as_of);
        let stage = progress
            .highest
            .map_or("none", |i| stages[i].label.as_str());
        println!(
            "  {:<14} {:<9} {} interactions, highest stage: {stage}",
            label(&person),
            person.patch,
            person.interactions.len(),
        );
    }
    Ok(())
}

fn label(person: &Person) -> String {
    person.name.clone().unwrap_or_else(|| "(no name)".into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dirs = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let clock = ManualClock::new(Timestamp::from_millis(1_789_000_000_000));
    let mut hub = MemoryHub::new();

    // The partnership's worker sets the area up and syncs it.
    let mut worker = open(dirs[0].path(), &clock)?;
    let mut area = AreaConfig::new_default(
        sync_core::DocId::new(clock.now()),
        "north-estate",
        "North Estate Big Local",
        worker.device(),
        clock.now(),
    );
    for (id, name, households) in [("elm-road", "Elm Road", 412), ("oak-lane", "Oak Lane", 265)] {
        area.patches.push(PatchConfig {
            id: id.into(),
            name: name.into(),
            households,
            census: None,
        });
    }
    worker.put_area(&area)?;
    let resident = worker.create_person(
        &NewPerson::new("north-estate", "elm-road", EntryChannel::Referral),
        |p| {
            p.set_name(Some("Pat Okafor"))?;
            p.set_resident(ResidentBasis::Lives, true)?;
            p.record(InteractionKind::Referral {
                source: "tenants-association".into(),
            })?;
            Ok(())
        },
    )?;
    hub.sync(&Scope::Admin, &mut worker)?;

    // Each phone syncs once while it has a signal.
    let mut champion = open(dirs[1].path(), &clock)?;
    let mut youth = open(dirs[2].path(), &clock)?;
    let champion_scope = Scope::Champion {
        patches: ["elm-road".to_owned()].into(),
    };
    let youth_scope = Scope::YouthWorker {
        device: youth.device(),
    };
    hub.sync(&champion_scope, &mut champion)?;
    hub.sync(&youth_scope, &mut youth)?;

    // Offline: the champion knocks on doors.
    clock.advance(Timestamp::DAY_MILLIS);
    for (name, outcome) in [
        (Some("Sam Jones"), DoorOutcome::Spoke),
        (None, DoorOutcome::NotIn),
        (Some("Ali Khan"), DoorOutcome::Spoke),
    ] {
        champion.create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(name)?;
                let mut doorstep = Doorstep::new(outcome);
                if outcome == DoorOutcome::Spoke {
                    doorstep = doorstep
                        .topic("parks")
                        .wants_to_join("litter-pick")
                        .follow_up("Send the litter-pick dates", None);
                    p.record_consent(consent(
                        ConsentPurpose::ContactAgain,
                        ConsentMethod::Doorstep,
                        ConsentGiver::Subject,
                    ))?;
                }
                p.log_doorstep(doorstep)?;
                Ok(())
            },
        )?;
        clock.advance(10 * 60_000);
    }
    champion.edit_person(resident, |p| {
        p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("housing"))
            .map(drop)
    })?;

    // Offline, at the same time: the youth worker runs a fun day.
    let fun_day = youth.create_event(&NewEvent {
        area: "north-estate".into(),
        patch: "oak-lane".into(),
        title: "Oak Lane fun day".into(),
        kind: EventKind::FunDay,
        starts_at: clock.now(),
        ends_at: None,
        place: Some("Oak Lane green".into()),
        headcount: None,
    })?;
    for (name, band, given_by) in [
        ("Jess", AgeBand::From13To17, ConsentGiver::Subject),
        ("Leo", AgeBand::Under13, ConsentGiver::Guardian),
    ] {
        youth.create_person(
            &NewPerson::new("north-estate", "oak-lane", EntryChannel::Event),
            |p| {
                p.set_name(Some(name))?;
                p.set_age_band(Some(band))?;
                p.record_consent(consent(
                    ConsentPurpose::Events,
                    ConsentMethod::Event,
                    given_by,
                ))?;
                p.record(InteractionKind::EventSignUp { event: fun_day })?;
                p.record(InteractionKind::Attendance { event: fun_day })?;
                Ok(())
            },
        )?;
    }
    // An under-13 cannot be signed up without a guardian's consent.
    let refused = youth.create_person(
        &NewPerson::new("north-estate", "oak-lane", EntryChannel::Event),
        |p| {
            p.set_age_band(Some(AgeBand::Under13))?;
            p.record(InteractionKind::EventSignUp { event: fun_day })
                .map(drop)
        },
    );
    println!(
        "Signing up an under-13 without a guardian: {}",
        refused.unwrap_err()
    );

    // Meanwhile the worker records that Pat joined the partnership.
    worker.edit_person(resident, |p| {
        let start = p.now();
        p.record(InteractionKind::Role {
            role: sync_core::Role::PartnershipMember,
            start,
            end: None,
            hats: Default::default(),
        })
        .map(drop)
    })?;

    println!(
        "\nBefore sync: champion has {} unsynced records, youth worker {}, worker {}",
        champion.pending_changes(),
        youth.pending_changes(),
        worker.pending_changes()
    );

    // Back in signal: everyone syncs (twice round, so each hears the others).
    for _ in 0..2 {
        for (name, phone, scope) in [
            ("champion", &mut champion, &champion_scope),
            ("youth worker", &mut youth, &youth_scope),
            ("worker", &mut worker, &Scope::Admin),
        ] {
            let outcome = hub.sync(scope, phone)?;
            if outcome.accepted + outcome.received > 0 {
                println!(
                    "synced the {name}: {} pushed, {} received",
                    outcome.accepted, outcome.received
                );
            }
        }
    }

    let as_of = clock.now();
    show("Champion (Elm Road)", &champion, &area, as_of)?;
    show("Youth worker (people they signed up)", &youth, &area, as_of)?;
    show("Partnership worker (whole area)", &worker, &area, as_of)?;

    let pat_champion = champion.person(resident)?;
    assert_eq!(pat_champion, worker.person(resident)?);
    println!(
        "\nPat's record merged both offline edits: {} interactions on both phones.",
        pat_champion.interactions.len()
    );
    let on_disk: usize = champion.storage().document_ids()?.len();
    println!("The champion's phone keeps {on_disk} documents on disk, each fsynced on write.");
    Ok(())
}
