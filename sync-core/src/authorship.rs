//! Who recorded what. A record names the device that created it, and each
//! entry (an interaction, a consent, a knock at a door, a follow-up done)
//! names the device that recorded it. Those names decide who may see a
//! record (a youth worker sees the people it signed up) and what the
//! champions' report counts, so a device may only write its own: the hub
//! checks every push against the device it authenticated.

use std::collections::BTreeMap;

use crate::ids::{DeviceId, EntryId};
use crate::model::{InteractionKind, Person, Record};

/// Why a push is refused: it names a device other than its own as the
/// author of something new, or changes who recorded something already
/// there. `baseline` is the record as the hub knew it before the push
/// (`None` for a record new to it), `record` the device's version.
pub(crate) fn foreign_author(
    baseline: Option<&Record>,
    record: &Record,
    device: DeviceId,
) -> Option<&'static str> {
    if baseline.is_none() && record.created_by() != device {
        return Some("a new record must name the device that creates it");
    }
    let before = baseline.map(claims).unwrap_or_default();
    for (claim, author) in claims(record) {
        match before.get(&claim) {
            Some(known) if *known == author => {}
            Some(_) => return Some("who recorded an entry cannot change"),
            None if author == device => {}
            None => return Some("a new entry must name the device that records it"),
        }
    }
    None
}

/// Something a device is named as having recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Claim {
    /// An interaction, a consent or a knock at a door.
    Entry(EntryId),
    /// The follow-up of a doorstep conversation, done.
    FollowUpDone(EntryId),
}

/// Every claim in a record, and the device it names.
fn claims(record: &Record) -> BTreeMap<Claim, DeviceId> {
    let mut claims = BTreeMap::new();
    match record {
        Record::Person(p) => person_claims(p, &mut claims),
        Record::Address(a) => {
            for visit in &a.visits {
                claims.insert(Claim::Entry(visit.id), visit.recorded_by);
            }
        }
        Record::Event(_) | Record::Area(_) | Record::Group(_) => {}
    }
    claims
}

fn person_claims(p: &Person, claims: &mut BTreeMap<Claim, DeviceId>) {
    for interaction in &p.interactions {
        claims.insert(Claim::Entry(interaction.id), interaction.recorded_by);
        if let InteractionKind::Doorstep(d) = &interaction.kind
            && let Some(done) = d.follow_up.as_ref().and_then(|f| f.done.as_ref())
        {
            claims.insert(Claim::FollowUpDone(interaction.id), done.by);
        }
    }
    for consent in &p.consents {
        claims.insert(Claim::Entry(consent.id), consent.recorded_by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DocId, Timestamp};
    use crate::model::{DoorOutcome, Doorstep, EntryChannel, FollowUp, FollowUpDone, Interaction};

    const NOW: Timestamp = Timestamp::from_millis(1_760_000_000_000);

    fn person(created_by: DeviceId) -> Person {
        Person {
            id: DocId::new(NOW),
            area: "north-estate".into(),
            patch: "elm-road".into(),
            entry_channel: EntryChannel::Doorstep,
            name: None,
            household: None,
            phone: None,
            email: None,
            residency: Default::default(),
            age_band: None,
            tenure: None,
            language: None,
            ethnicity: None,
            interests: Default::default(),
            consents: Vec::new(),
            do_not_contact: false,
            interactions: Vec::new(),
            created_by,
            created_at: NOW,
        }
    }

    fn conversation(id: EntryId, recorded_by: DeviceId) -> Interaction {
        let mut doorstep = Doorstep::new(DoorOutcome::Spoke);
        doorstep.follow_up = Some(FollowUp {
            what: "Send the dates".into(),
            due: None,
            done: None,
        });
        Interaction {
            id,
            at: NOW,
            recorded_by,
            kind: InteractionKind::Doorstep(doorstep),
        }
    }

    #[test]
    fn a_device_writes_only_in_its_own_name() {
        let (me, other) = (DeviceId::new(NOW), DeviceId::new(NOW));
        let entry = EntryId::new(NOW);
        let mine = person(me);
        assert_eq!(
            foreign_author(None, &Record::Person(mine.clone()), me),
            None
        );
        assert!(foreign_author(None, &Record::Person(person(other)), me).is_some());

        // Another device's entry, already held, may stay; a new one may not.
        let mut held = person(other);
        held.interactions.push(conversation(entry, other));
        let before = Record::Person(held.clone());
        assert_eq!(foreign_author(Some(&before), &before, me), None);
        let mut forged = held.clone();
        forged
            .interactions
            .push(conversation(EntryId::new(NOW), other));
        assert!(foreign_author(Some(&before), &Record::Person(forged), me).is_some());
        let mut added = held.clone();
        added.interactions.push(conversation(EntryId::new(NOW), me));
        assert_eq!(
            foreign_author(Some(&before), &Record::Person(added), me),
            None
        );

        // An entry's recorder cannot be rewritten.
        let mut rewritten = held.clone();
        rewritten.interactions[0].recorded_by = me;
        assert!(foreign_author(Some(&before), &Record::Person(rewritten), me).is_some());

        // A follow-up done by this device, on another's conversation.
        let done = |by| {
            let mut p = held.clone();
            if let InteractionKind::Doorstep(d) = &mut p.interactions[0].kind
                && let Some(f) = &mut d.follow_up
            {
                f.done = Some(FollowUpDone {
                    at: NOW,
                    note: None,
                    by,
                });
            }
            Record::Person(p)
        };
        assert_eq!(foreign_author(Some(&before), &done(me), me), None);
        assert!(foreign_author(Some(&before), &done(other), me).is_some());
    }
}
