//! Records written by the server itself (an admin editing the area's
//! patches or adding an event through the web API), as pushes.
//!
//! The server merges these through exactly the same path as a phone's push,
//! so its own edits are validated, projected and sent down the change feed
//! like any other. Each edit is made under a fresh automerge actor: several
//! server processes may write at the same time, and two writers must never
//! share an actor.

use automerge::{ActorId, AutoCommit, transaction::CommitOptions};

use crate::document;
use crate::error::{Error, Result};
use crate::ids::{DeviceId, DocId, Timestamp};
use crate::model::{AreaConfig, DocKind, NewEvent, Record};
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
        Some(bytes) => document::load(bytes)?,
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
        }
    }

    #[test]
    fn server_edits_merge_like_any_push_and_unchanged_edits_push_nothing() {
        let at = Timestamp::from_millis(1_789_000_000_000);
        let id = DocId::new(at);
        let by = DeviceId::new(at);
        let push = event_push(None, id, &fun_day(), by, at).unwrap().unwrap();
        let PushMerge::Merged(merged) = merge_push(None, &push, &Scope::Admin) else {
            panic!("not merged")
        };
        let mut renamed = fun_day();
        renamed.title = "Summer fun day".into();
        let edit = event_push(Some(&merged.bytes), id, &renamed, by, at)
            .unwrap()
            .unwrap();
        assert_eq!(edit.base, merged.heads);
        let PushMerge::Merged(after) = merge_push(Some(&merged.bytes), &edit, &Scope::Admin) else {
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
