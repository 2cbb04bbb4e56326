//! Records written by the server itself (an admin editing the area's
//! patches or adding an event through the web API), as pushes.
//!
//! The server merges these through exactly the same path as a phone's push,
//! so its own edits are validated, projected and sent down the change feed
//! like any other. Each edit is made under a fresh automerge actor: several
//! server processes may write at the same time, and two writers must never
//! share an actor.

use std::collections::BTreeSet;

use automerge::{ActorId, AutoCommit, transaction::CommitOptions};

use crate::document::{self, Origin, PersonField, PersonSet};
use crate::error::{Error, Result};
use crate::hub::read_record;
use crate::ids::{DeviceId, DocId, EntryId, Timestamp};
use crate::model::{
    AreaConfig, ConsentRecord, DocKind, Doorstep, FollowUp, FollowUpDone, Hat, Interaction,
    InteractionKind, NewAddress, NewConsent, NewEvent, NewGroup, NewPerson, Person, PersonDetails,
    Record, Role,
};
use crate::protocol::{Push, heads_to_wire};
use crate::validate;

fn fresh_actor() -> ActorId {
    ActorId::from(uuid::Uuid::new_v4().as_bytes().as_slice())
}

/// Loads the stored document (or starts an empty one), applies `write`,
/// checks the result and returns the push that carries the edit. `None`
/// when the edit changed nothing.
fn author(
    stored: Option<&[u8]>,
    kind: DocKind,
    at: Timestamp,
    write: impl FnOnce(&mut AutoCommit) -> Result<()>,
) -> Result<Option<Push>> {
    let mut doc = match stored {
        Some(bytes) => document::load(bytes, Origin::Stored)?,
        None => AutoCommit::new(),
    }
    .with_actor(fresh_actor());
    let before = match stored {
        Some(_) => Some(document::decode(&doc, None)?),
        None => None,
    };
    if let Some(record) = &before
        && record.kind() != kind
    {
        return Err(Error::WrongKind {
            id: record.id(),
            expected: kind,
            actual: record.kind(),
        });
    }
    let mut base = doc.get_heads();
    base.sort();
    write(&mut doc)?;
    doc.commit_with(CommitOptions::default().with_time(at.as_secs()));
    let mut heads = doc.get_heads();
    heads.sort();
    if heads == base {
        return Ok(None);
    }
    let after: Record = document::decode(&doc, None)?;
    if let Some(violation) = validate::added_violation(before.as_ref(), &after) {
        return Err(violation.into());
    }
    let changes = if base.is_empty() {
        doc.save()
    } else {
        doc.save_after(&base)
    };
    Ok(Some(Push {
        doc: after.id(),
        base: heads_to_wire(&base),
        heads: heads_to_wire(&heads),
        changes,
    }))
}

/// Creates or updates the area configuration held in `stored`.
pub fn area_push(
    stored: Option<&[u8]>,
    config: &AreaConfig,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(stored, DocKind::Area, at, |doc| {
        document::write_area(doc, config)
    })
}

/// Creates (when `stored` is `None`) or updates an event.
pub fn event_push(
    stored: Option<&[u8]>,
    id: DocId,
    event: &NewEvent,
    by: DeviceId,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(stored, DocKind::Event, at, |doc| match stored {
        None => document::create_event(doc, id, event, by, at),
        Some(_) => document::write_event_fields(doc, event),
    })
}

/// Creates (when `stored` is `None`) or changes a working group, writing
/// only the fields that differ.
pub fn group_push(
    stored: Option<&[u8]>,
    id: DocId,
    group: &NewGroup,
    by: DeviceId,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(stored, DocKind::Group, at, |doc| match stored {
        None => document::create_group(doc, id, group, by, at),
        Some(_) => document::write_group_fields(doc, group),
    })
}

/// Closes the stored working group (`closed`), or opens it again. It stays
/// on record either way. `None` when it already was.
pub fn group_closed_push(stored: &[u8], closed: bool, at: Timestamp) -> Result<Option<Push>> {
    author(Some(stored), DocKind::Group, at, |doc| {
        document::set_group_closed(doc, closed)
    })
}

/// Records that the stored person joined working group `group` (its id)
/// at `start`, recorded by `by` at `at`. Returns the membership's entry
/// id and the push.
pub fn join_group_push(
    stored: &[u8],
    group: DocId,
    start: Timestamp,
    by: DeviceId,
    at: Timestamp,
) -> Result<(EntryId, Option<Push>)> {
    let entry = EntryId::new(at);
    let push = author(Some(stored), DocKind::Person, at, |doc| {
        document::add_interaction(
            doc,
            &Interaction {
                id: entry,
                at,
                recorded_by: by,
                kind: InteractionKind::WorkingGroup {
                    group: group.to_string(),
                    start,
                    end: None,
                },
            },
        )
    })?;
    Ok((entry, push))
}

/// Ends the stored person's working-group membership `entry` at `end`
/// (they left the group). Refused when `end` is before they joined;
/// `None` when it already ended then.
pub fn end_membership_push(
    stored: &[u8],
    entry: EntryId,
    end: Timestamp,
    at: Timestamp,
) -> Result<Option<Push>> {
    end_push(stored, entry, end, at, |kind| {
        matches!(kind, InteractionKind::WorkingGroup { .. })
    })
}

/// Changes a stored person's details (an admin correcting or completing a
/// record): those given are set, those named in `details.clear` cleared.
pub fn person_details_push(
    stored: &[u8],
    details: &PersonDetails,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(Some(stored), DocKind::Person, at, |doc| {
        document::fill_details(doc, details)
    })
}

/// Marks the stored event cancelled (it stays, so that phones and reports
/// know it will not happen). `None` when it already was.
pub fn cancel_event_push(stored: &[u8], at: Timestamp) -> Result<Option<Push>> {
    author(Some(stored), DocKind::Event, at, document::cancel_event)
}

/// A person a partnership already knew, brought in from its records (an
/// admin's import): who they are, their household, and the consents and
/// lawful bases the partnership holds for them.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPerson {
    /// Their area, patch and how they first came (usually `Other`).
    pub new: NewPerson,
    /// Their details.
    pub details: PersonDetails,
    /// The door they live at, when it is on the list.
    pub household: Option<DocId>,
    /// The consents (and other lawful bases) held for them.
    pub consents: Vec<NewConsent>,
    /// The seat or office they hold, from when, and their other hats.
    pub role: Option<(Role, Timestamp, BTreeSet<Hat>)>,
}

/// A new person's record from an import, recorded by the server `by` at
/// `at` (its consents too). Validated as any new record is.
pub fn imported_person_push(
    id: DocId,
    person: &ImportedPerson,
    by: DeviceId,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(None, DocKind::Person, at, |doc| {
        document::create_person(doc, id, &person.new, by, at)?;
        document::fill_details(doc, &person.details)?;
        if let Some(household) = person.household {
            let household = household.to_string();
            document::set_person_field(doc, PersonField::Household, Some(&household))?;
        }
        for consent in &person.consents {
            document::add_consent(
                doc,
                &ConsentRecord {
                    id: EntryId::new(at),
                    purpose: consent.purpose,
                    granted: consent.granted,
                    lawful_basis: consent.lawful_basis,
                    wording_version: consent.wording_version.clone(),
                    at,
                    method: consent.method,
                    given_by: consent.given_by,
                    recorded_by: by,
                },
            )?;
        }
        if let Some((role, start, hats)) = &person.role {
            document::add_interaction(
                doc,
                &Interaction {
                    id: EntryId::new(at),
                    at,
                    recorded_by: by,
                    kind: InteractionKind::Role {
                        role: *role,
                        start: *start,
                        end: None,
                        hats: hats.clone(),
                    },
                },
            )?;
        }
        Ok(())
    })
}

/// Records that the stored person took up `role` (a seat on the
/// partnership board, an office, a group's lead) from `start`, recorded
/// by `by` at `at`. Returns the new entry's id and the push.
pub fn role_push(
    stored: &[u8],
    role: Role,
    start: Timestamp,
    hats: &BTreeSet<Hat>,
    by: DeviceId,
    at: Timestamp,
) -> Result<(EntryId, Option<Push>)> {
    let entry = EntryId::new(at);
    let push = author(Some(stored), DocKind::Person, at, |doc| {
        document::add_interaction(
            doc,
            &Interaction {
                id: entry,
                at,
                recorded_by: by,
                kind: InteractionKind::Role {
                    role,
                    start,
                    end: None,
                    hats: hats.clone(),
                },
            },
        )
    })?;
    Ok((entry, push))
}

/// Ends the stored person's role `entry` at `end` (they stood down, or
/// their term ran out). `None` when it already ended then.
pub fn end_role_push(
    stored: &[u8],
    entry: EntryId,
    end: Timestamp,
    at: Timestamp,
) -> Result<Option<Push>> {
    end_push(stored, entry, end, at, |kind| {
        matches!(kind, InteractionKind::Role { .. })
    })
}

/// Ends the stored person's interaction `entry` at `end`, when `endable`
/// says it is of the kind being ended; `NotEndable` when it is another
/// kind, `NoSuchEntry` when there is none.
fn end_push(
    stored: &[u8],
    entry: EntryId,
    end: Timestamp,
    at: Timestamp,
    endable: fn(&InteractionKind) -> bool,
) -> Result<Option<Push>> {
    author(
        Some(stored),
        DocKind::Person,
        at,
        |doc| match stored_person(doc)?.interaction(entry).map(|i| &i.kind) {
            Some(kind) if endable(kind) => document::set_interaction_end(doc, entry, Some(end)),
            Some(_) => Err(crate::error::ValidationError::NotEndable.into()),
            None => Err(Error::NoSuchEntry(entry)),
        },
    )
}

/// The person a document being edited holds.
fn stored_person(doc: &AutoCommit) -> Result<Person> {
    match document::decode(doc, None)? {
        Record::Person(person) => Ok(person),
        other => Err(Error::WrongKind {
            id: other.id(),
            expected: DocKind::Person,
            actual: other.kind(),
        }),
    }
}

/// Records that the stored person wears exactly `hats` in role `entry`
/// (none clears them). `None` when nothing changes.
pub fn role_hats_push(
    stored: &[u8],
    entry: EntryId,
    hats: &BTreeSet<Hat>,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(
        Some(stored),
        DocKind::Person,
        at,
        |doc| match stored_person(doc)?.interaction(entry).map(|i| &i.kind) {
            Some(InteractionKind::Role { .. }) => document::set_role_hats(doc, entry, hats),
            _ => Err(Error::NoSuchEntry(entry)),
        },
    )
}

/// Creates (when `stored` is `None`) or updates an address written by the
/// server (an admin's import), with its do-not-knock mark.
pub fn address_push(
    stored: Option<&[u8]>,
    id: DocId,
    address: &NewAddress,
    do_not_knock: bool,
    by: DeviceId,
    at: Timestamp,
) -> Result<Option<Push>> {
    author(stored, DocKind::Address, at, |doc| {
        match stored {
            None => document::create_address(doc, id, address, by, at)?,
            Some(_) => document::write_address_fields(doc, address)?,
        }
        document::set_do_not_knock(doc, do_not_knock)
    })
}

/// The push that moves what `absorbed` holds into the survivor stored in
/// `survivor` (two records of one person being merged into one).
///
/// With `since` `None` (the merge itself), the survivor gets every
/// interaction and consent it lacks, the union of the residency and
/// interest sets, the do-not-contact flag if either has it, and each
/// profile field it has no value for; its own values win.
///
/// With `since` (a device's late edits to the merged-away record, `since`
/// being that record as the server had it at the merge), only what changed
/// after `since` moves: new entries, follow-ups done and memberships ended,
/// fields set or cleared, set members added or removed. Those are newer
/// than the merge, so they win.
///
/// Entries keep their ids, so absorbing twice adds nothing. `None` when the
/// survivor already holds everything.
pub fn absorb_push(
    survivor: &[u8],
    absorbed: &Person,
    since: Option<&Person>,
    at: Timestamp,
) -> Result<Option<Push>> {
    let current = match read_record(survivor)? {
        Record::Person(p) => p,
        other => {
            return Err(Error::WrongKind {
                id: other.id(),
                expected: DocKind::Person,
                actual: other.kind(),
            });
        }
    };
    author(Some(survivor), DocKind::Person, at, |doc| {
        let known = |id| since.is_some_and(|s: &Person| s.consents.iter().any(|c| c.id == id));
        for consent in &absorbed.consents {
            if !known(consent.id) && !current.consents.iter().any(|c| c.id == consent.id) {
                document::add_consent(doc, consent)?;
            }
        }
        for interaction in &absorbed.interactions {
            let before = since.and_then(|s| s.interaction(interaction.id));
            match current.interaction(interaction.id) {
                None if before.is_none() => document::add_interaction(doc, interaction)?,
                None => {}
                Some(held) => absorb_entry_updates(doc, held, interaction, before)?,
            }
        }
        absorb_fields(doc, &current, absorbed, since)?;
        for (set, theirs, ours, before) in [
            (
                PersonSet::Residency,
                set_text(&absorbed.residency),
                set_text(&current.residency),
                since.map(|s| set_text(&s.residency)),
            ),
            (
                PersonSet::Interests,
                absorbed.interests.clone(),
                current.interests.clone(),
                since.map(|s| s.interests.clone()),
            ),
        ] {
            for member in theirs.iter().filter(|m| !ours.contains(*m)) {
                if before.as_ref().is_none_or(|b| !b.contains(member)) {
                    document::set_member(doc, set, member, true)?;
                }
            }
            if let Some(before) = &before {
                for removed in before.iter().filter(|m| !theirs.contains(*m)) {
                    if ours.contains(removed) {
                        document::set_member(doc, set, removed, false)?;
                    }
                }
            }
        }
        let dnc_changed = since.is_none_or(|s| s.do_not_contact != absorbed.do_not_contact);
        if dnc_changed && absorbed.do_not_contact != current.do_not_contact {
            let value = match since {
                None => absorbed.do_not_contact || current.do_not_contact,
                Some(_) => absorbed.do_not_contact,
            };
            document::set_do_not_contact(doc, value)?;
        }
        Ok(())
    })
}

fn set_text(
    set: &std::collections::BTreeSet<crate::model::ResidentBasis>,
) -> std::collections::BTreeSet<String> {
    set.iter().map(|m| m.as_str().to_owned()).collect()
}

/// Carries a follow-up done, a membership ended or a role's hats changed
/// on the absorbed record's copy of an entry the survivor also holds.
fn absorb_entry_updates(
    doc: &mut AutoCommit,
    held: &Interaction,
    theirs: &Interaction,
    before: Option<&Interaction>,
) -> Result<()> {
    let changed = before.is_none_or(|b| b != theirs);
    if !changed {
        return Ok(());
    }
    match (&held.kind, &theirs.kind) {
        (InteractionKind::Doorstep(ours), InteractionKind::Doorstep(d)) => {
            let done = d.follow_up.as_ref().and_then(|f| f.done.as_ref());
            let ours_done = ours.follow_up.as_ref().and_then(|f| f.done.as_ref());
            if let (Some(done), None) = (done, ours_done) {
                document::complete_follow_up(doc, theirs.id, done)?;
            }
        }
        (
            InteractionKind::WorkingGroup { end: ours, .. }
            | InteractionKind::Role { end: ours, .. },
            InteractionKind::WorkingGroup { end, .. } | InteractionKind::Role { end, .. },
        ) if end != ours && end.is_some() => {
            document::set_interaction_end(doc, theirs.id, *end)?;
        }
        _ => {}
    }
    if let (InteractionKind::Role { hats: ours, .. }, InteractionKind::Role { hats, .. }) =
        (&held.kind, &theirs.kind)
    {
        let hats_before = before.and_then(|b| match &b.kind {
            InteractionKind::Role { hats, .. } => Some(hats),
            _ => None,
        });
        if hats != ours && hats_before != Some(hats) {
            document::set_role_hats(doc, theirs.id, hats)?;
        }
    }
    Ok(())
}

fn absorb_fields(
    doc: &mut AutoCommit,
    current: &Person,
    absorbed: &Person,
    since: Option<&Person>,
) -> Result<()> {
    fn text_fields(p: &Person) -> [(PersonField, Option<String>); 9] {
        [
            (PersonField::Name, p.name.clone()),
            (PersonField::Phone, p.phone.clone()),
            (PersonField::Email, p.email.clone()),
            (PersonField::Language, p.language.clone()),
            (PersonField::Ethnicity, p.ethnicity.clone()),
            (
                PersonField::AgeBand,
                p.age_band.map(|b| b.as_str().to_owned()),
            ),
            (PersonField::Tenure, p.tenure.map(|t| t.as_str().to_owned())),
            (PersonField::Household, p.household.map(|h| h.to_string())),
            // Always set, so only ever moved by a late edit.
            (PersonField::Patch, Some(p.patch.clone())),
        ]
    }
    let ours = text_fields(current);
    let before = since.map(text_fields);
    for (i, (field, theirs)) in text_fields(absorbed).into_iter().enumerate() {
        let write = match &before {
            // The merge: fill what the survivor lacks.
            None => ours[i].1.is_none() && theirs.is_some(),
            // Late edits: what changed since the merge, if it differs.
            Some(before) => before[i].1 != theirs && ours[i].1 != theirs,
        };
        if write {
            document::set_person_field(doc, field, theirs.as_deref())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{PushMerge, merge_push};
    use crate::model::EventKind;
    use crate::scope::Scope;

    fn fun_day() -> NewEvent {
        NewEvent {
            area: "north-estate".into(),
            patch: "elm-road".into(),
            title: "Fun day".into(),
            kind: EventKind::FunDay,
            starts_at: Timestamp::from_millis(1_789_000_000_000),
            ends_at: None,
            place: None,
            headcount: None,
        }
    }

    #[test]
    fn a_group_is_written_by_admins_and_memberships_name_it() {
        use crate::ids::ManualClock;
        use crate::model::EntryChannel;
        use crate::replica::Replica;
        use crate::store::MemoryStore;

        let at = Timestamp::from_millis(1_789_000_000_000);
        let server = DeviceId::new(at);
        let id = DocId::new(at);
        let mut new = NewGroup::new("north-estate", "Green spaces");
        new.patch = Some("elm-road".into());
        let merge = |stored: Option<&[u8]>, push: &Push, scope: &Scope| {
            merge_push(stored, push, scope, server)
        };
        let created = group_push(None, id, &new, server, at).unwrap().unwrap();
        let PushMerge::Merged(stored) = merge(None, &created, &Scope::Admin) else {
            panic!("not merged")
        };
        let stored = stored.bytes;
        // A champion of the patch the group serves may not change it.
        new.devolved_budget = true;
        let edit = group_push(Some(&stored), id, &new, server, at)
            .unwrap()
            .unwrap();
        let champion = Scope::Champion {
            patches: BTreeSet::from(["elm-road".to_owned()]),
        };
        assert!(matches!(
            merge(Some(&stored), &edit, &champion),
            PushMerge::Rejected(_)
        ));
        let PushMerge::Merged(edited) = merge(Some(&stored), &edit, &Scope::Admin) else {
            panic!("not merged")
        };
        let closed = group_closed_push(&edited.bytes, true, at).unwrap().unwrap();
        let PushMerge::Merged(closed) = merge(Some(&edited.bytes), &closed, &Scope::Admin) else {
            panic!("not merged")
        };
        let Record::Group(group) = read_record(&closed.bytes).unwrap() else {
            panic!("a group")
        };
        assert!(group.devolved_budget && group.closed);
        assert!(
            group_closed_push(&closed.bytes, true, at)
                .unwrap()
                .is_none()
        );
        // An empty name is refused with its field.
        let mut nameless = new.clone();
        nameless.name = " ".into();
        assert!(matches!(
            group_push(Some(&closed.bytes), id, &nameless, server, at),
            Err(Error::Validation(crate::ValidationError::Empty {
                field: "group name"
            }))
        ));

        // The server joins someone to it, and ends the membership.
        let mut phone =
            Replica::open(MemoryStore::new(), DeviceId::new(at), ManualClock::new(at)).unwrap();
        let person = phone
            .create_person(
                &crate::NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
                |_| Ok(()),
            )
            .unwrap();
        let pushed = new_person_push(&phone.person(person).unwrap(), at).unwrap();
        let PushMerge::Merged(stored) = merge(None, &pushed, &Scope::Admin) else {
            panic!("not merged")
        };
        let start = at.plus_days(-3);
        let (entry, push) = join_group_push(&stored.bytes, id, start, server, at).unwrap();
        let PushMerge::Merged(joined) = merge(Some(&stored.bytes), &push.unwrap(), &Scope::Admin)
        else {
            panic!("not merged")
        };
        assert!(end_membership_push(&joined.bytes, entry, start.plus_days(-1), at).is_err());
        let ended = end_membership_push(&joined.bytes, entry, at, at)
            .unwrap()
            .unwrap();
        let PushMerge::Merged(ended) = merge(Some(&joined.bytes), &ended, &Scope::Admin) else {
            panic!("not merged")
        };
        let Record::Person(member) = read_record(&ended.bytes).unwrap() else {
            panic!("a person")
        };
        let membership = member.interaction(entry).unwrap();
        assert_eq!(membership.kind.working_group_id(), Some(id));
        assert!(matches!(
            membership.kind,
            InteractionKind::WorkingGroup { end: Some(end), .. } if end == at
        ));
    }

    #[test]
    fn a_role_is_taken_up_and_ended_by_the_server() {
        use crate::ids::ManualClock;
        use crate::model::{DoorOutcome, EntryChannel};
        use crate::replica::Replica;
        use crate::store::MemoryStore;

        let at = Timestamp::from_millis(1_789_000_000_000);
        let mut phone =
            Replica::open(MemoryStore::new(), DeviceId::new(at), ManualClock::new(at)).unwrap();
        let id = phone
            .create_person(
                &crate::NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
                |p| p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop),
            )
            .unwrap();
        let server = DeviceId::new(at);
        let created = new_person_push(&phone.person(id).unwrap(), at).unwrap();
        let merge = |stored: Option<&[u8]>, push: &Push| match merge_push(
            stored,
            push,
            &Scope::Admin,
            server,
        ) {
            PushMerge::Merged(merged) => merged,
            _ => panic!("not merged"),
        };
        let stored = merge(None, &created).bytes;
        let start = at.plus_days(-30);
        let councillor = BTreeSet::from([Hat::Councillor]);
        let (entry, push) =
            role_push(&stored, Role::Chair, start, &councillor, server, at).unwrap();
        let stored = merge(Some(&stored), &push.expect("a change")).bytes;
        let Record::Person(chair) = read_record(&stored).unwrap() else {
            panic!("a person")
        };
        assert_eq!(chair.roles_held_at(at).collect::<Vec<_>>(), [Role::Chair]);
        let hats_of = |stored: &[u8]| match read_record(stored).unwrap() {
            Record::Person(p) => match p.interaction(entry).map(|i| i.kind.clone()) {
                Some(InteractionKind::Role { hats, .. }) => hats,
                other => panic!("not a role: {other:?}"),
            },
            _ => panic!("a person"),
        };
        assert_eq!(hats_of(&stored), councillor);
        // They lose their council seat and take a paid post: the hats follow.
        let worker = BTreeSet::from([Hat::PaidWorker]);
        let changed = role_hats_push(&stored, entry, &worker, at)
            .unwrap()
            .expect("a change");
        let stored = merge(Some(&stored), &changed).bytes;
        assert_eq!(hats_of(&stored), worker);
        assert!(
            role_hats_push(&stored, entry, &worker, at)
                .unwrap()
                .is_none()
        );
        // Ended before it started: refused, nothing changes.
        assert!(end_role_push(&stored, entry, start.plus_days(-1), at).is_err());
        let ended = end_role_push(&stored, entry, at, at)
            .unwrap()
            .expect("a change");
        let stored = merge(Some(&stored), &ended).bytes;
        let Record::Person(former) = read_record(&stored).unwrap() else {
            panic!("a person")
        };
        assert_eq!(former.roles_held_at(at).count(), 0);
        assert_eq!(
            former.roles_held_at(start).collect::<Vec<_>>(),
            [Role::Chair]
        );
        // A doorstep conversation is not something that ends.
        let doorstep = former
            .interactions
            .iter()
            .find(|i| matches!(i.kind, InteractionKind::Doorstep(_)))
            .expect("the conversation")
            .id;
        assert!(end_role_push(&stored, doorstep, at, at).is_err());
        assert!(role_hats_push(&stored, doorstep, &worker, at).is_err());
    }

    #[test]
    fn a_reduced_person_keeps_stage_dates_and_drops_what_identifies_them() {
        use crate::ids::ManualClock;
        use crate::ladder::Ladder;
        use crate::model::{AgeBand, DoorOutcome, EntryChannel};
        use crate::replica::Replica;
        use crate::store::MemoryStore;

        let at = Timestamp::from_millis(1_789_000_000_000);
        let clock = ManualClock::new(at);
        let mut phone = Replica::open(MemoryStore::new(), DeviceId::new(at), clock).unwrap();
        let id = phone
            .create_person(
                &crate::NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
                |p| {
                    p.set_name(Some("Alex Private"))?;
                    p.set_phone(Some("07700 900111"))?;
                    p.set_age_band(Some(AgeBand::From25To34))?;
                    p.set_interest("parks", true)?;
                    p.log_doorstep(
                        Doorstep::new(DoorOutcome::Spoke)
                            .wants_to_join("litter-pick")
                            .follow_up("Call Alex on Tuesday", None),
                    )?;
                    p.record(InteractionKind::Volunteering {
                        activity: "Alex's stall".into(),
                        event: None,
                    })?;
                    Ok(())
                },
            )
            .unwrap();
        let original = phone.person(id).unwrap();
        let server = DeviceId::new(at);
        for reduction in [Reduction::Anonymise, Reduction::Suppress] {
            let reduced = reduced_person(&original, reduction, DocId::new(at), server);
            let push = new_person_push(&reduced, at).unwrap();
            let PushMerge::Merged(merged) = merge_push(None, &push, &Scope::Admin, server) else {
                panic!("not merged")
            };
            assert_eq!(merged.record, Record::Person(reduced.clone()));
            let text = String::from_utf8_lossy(&merged.bytes).into_owned();
            for secret in ["Alex", "07700", "Tuesday"] {
                assert!(!text.contains(secret), "{reduction:?} kept {secret}");
            }
            let ladder = Ladder::default();
            match reduction {
                Reduction::Anonymise => {
                    assert_eq!(
                        ladder.progress(&reduced, at),
                        ladder.progress(&original, at)
                    );
                    assert_eq!(reduced.age_band, Some(AgeBand::From25To34));
                    assert!(reduced.interests.is_empty() && reduced.name.is_none());
                }
                Reduction::Suppress => {
                    assert!(reduced.do_not_contact && reduced.interactions.is_empty());
                    assert_eq!(reduced.age_band, None);
                }
            }
        }
    }

    #[test]
    fn server_edits_merge_like_any_push_and_unchanged_edits_push_nothing() {
        let at = Timestamp::from_millis(1_789_000_000_000);
        let id = DocId::new(at);
        let by = DeviceId::new(at);
        let push = event_push(None, id, &fun_day(), by, at).unwrap().unwrap();
        let PushMerge::Merged(merged) = merge_push(None, &push, &Scope::Admin, by) else {
            panic!("not merged")
        };
        let mut renamed = fun_day();
        renamed.title = "Summer fun day".into();
        let edit = event_push(Some(&merged.bytes), id, &renamed, by, at)
            .unwrap()
            .unwrap();
        assert_eq!(edit.base, merged.heads);
        let PushMerge::Merged(after) = merge_push(Some(&merged.bytes), &edit, &Scope::Admin, by)
        else {
            panic!("not merged")
        };
        let Record::Event(event) = after.record else {
            panic!()
        };
        assert_eq!(event.title, "Summer fun day");
        assert!(
            event_push(Some(&after.bytes), id, &renamed, by, at)
                .unwrap()
                .is_none()
        );
        renamed.title = String::new();
        assert!(matches!(
            event_push(Some(&after.bytes), id, &renamed, by, at),
            Err(Error::Validation(_))
        ));
    }
}

/// What a person's record is reduced to when it must stop holding personal
/// data but cannot simply disappear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// They objected: keep only a do-not-contact entry in their patch, linked
    /// to their door, so nobody knocks again and they are not re-imported.
    Suppress,
    /// Their retention period ended: keep what reports need (patch, entry
    /// channel, age band, residency, tenure, consents and what happened
    /// when, so stage dates stay the same) and drop everything that could
    /// identify them (name, contact details, household, language,
    /// ethnicity, interests, free text).
    Anonymise,
}

/// The person that replaces `person` under `reduction`, as a new record
/// (a new id: automerge keeps history, so editing the old document in place
/// would leave the old values readable). The caller then erases the old one.
pub fn reduced_person(person: &Person, reduction: Reduction, id: DocId, by: DeviceId) -> Person {
    let kept = Person {
        id,
        area: person.area.clone(),
        patch: person.patch.clone(),
        entry_channel: person.entry_channel,
        name: None,
        phone: None,
        email: None,
        household: None,
        residency: Default::default(),
        age_band: None,
        tenure: None,
        language: None,
        ethnicity: None,
        interests: Default::default(),
        consents: Vec::new(),
        do_not_contact: true,
        interactions: Vec::new(),
        created_by: by,
        created_at: person.created_at,
    };
    match reduction {
        // The door stays linked, so walk lists keep it hidden.
        Reduction::Suppress => Person {
            household: person.household,
            ..kept
        },
        Reduction::Anonymise => Person {
            residency: person.residency.clone(),
            age_band: person.age_band,
            tenure: person.tenure,
            consents: person.consents.clone(),
            do_not_contact: person.do_not_contact,
            interactions: person
                .interactions
                .iter()
                .map(|i| Interaction {
                    kind: anonymised(&i.kind),
                    ..i.clone()
                })
                .collect(),
            ..kept
        },
    }
}

/// Whether the record holds anything that could identify the person (what
/// [`Reduction::Anonymise`] removes).
pub fn holds_identifying_data(person: &Person) -> bool {
    person.name.is_some()
        || person.phone.is_some()
        || person.email.is_some()
        || person.household.is_some()
        || person.language.is_some()
        || person.ethnicity.is_some()
        || !person.interests.is_empty()
        || person
            .interactions
            .iter()
            .any(|i| anonymised(&i.kind) != i.kind)
}

fn anonymised(kind: &InteractionKind) -> InteractionKind {
    match kind {
        InteractionKind::Doorstep(d) => InteractionKind::Doorstep(Doorstep {
            // Tags (slugs) are kept: they are evidence for the ladder and name
            // no one. What was promised is free text, and goes.
            follow_up: d.follow_up.as_ref().map(|f| FollowUp {
                what: "(removed)".into(),
                due: f.due,
                done: f.done.as_ref().map(|done| FollowUpDone {
                    note: None,
                    ..done.clone()
                }),
            }),
            ..d.clone()
        }),
        InteractionKind::Volunteering { event, .. } => InteractionKind::Volunteering {
            activity: "(removed)".into(),
            event: *event,
        },
        other => other.clone(),
    }
}

/// The push that creates `person` as a new document written by the server.
pub fn new_person_push(person: &Person, at: Timestamp) -> Result<Push> {
    let new = crate::model::NewPerson::new(&person.area, &person.patch, person.entry_channel);
    let push = author(None, DocKind::Person, at, |doc| {
        document::create_person(doc, person.id, &new, person.created_by, person.created_at)?;
        document::set_person_field(
            doc,
            PersonField::AgeBand,
            person.age_band.map(|b| b.as_str()),
        )?;
        document::set_person_field(doc, PersonField::Tenure, person.tenure.map(|t| t.as_str()))?;
        let household = person.household.map(|h| h.to_string());
        document::set_person_field(doc, PersonField::Household, household.as_deref())?;
        for basis in &person.residency {
            document::set_member(doc, PersonSet::Residency, basis.as_str(), true)?;
        }
        document::set_do_not_contact(doc, person.do_not_contact)?;
        for consent in &person.consents {
            document::add_consent(doc, consent)?;
        }
        for interaction in &person.interactions {
            document::add_interaction(doc, interaction)?;
        }
        Ok(())
    })?;
    push.ok_or_else(|| Error::Document(crate::error::DocumentError::Missing("person".into())))
}
