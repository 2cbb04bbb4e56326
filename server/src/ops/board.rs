//! The partnership's board and office holders, as admins record them: who
//! holds a seat or an office (chair, vice-chair, treasurer, a group's
//! lead) and since when, taking one up and standing down. Each is a role
//! on the person's record, written by the server like any other edit, so
//! phones and the resident-led and turnover reports follow.

use std::collections::BTreeSet;

use serde::Serialize;
use sync_core::{DocId, EntryId, Hat, InteractionKind, Person, Record, Role, Timestamp, authoring};

use super::{Logged, edit_as_server};
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Db, commit_if_ok, documents, report_rows};

/// A role someone holds or held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Holding {
    /// The role's entry on the person's record (what ends it).
    pub entry: String,
    /// The person.
    pub person: String,
    /// Their name, if given.
    pub name: Option<String>,
    /// partnership-member, chair, vice-chair, treasurer or group-lead.
    pub role: String,
    /// From (ms since the epoch).
    pub start: i64,
    /// Until, if they stood down.
    pub end: Option<i64>,
    /// Why they count as a resident: lives, works, studies, worships, other.
    pub residency: Vec<String>,
    /// Other hats they wear in it: councillor, paid-worker,
    /// agency-representative, other.
    pub hats: Vec<String>,
}

/// The roles recorded on a person, oldest first.
pub fn holdings(person: &Person) -> Vec<Holding> {
    let mut held: Vec<Holding> = person
        .interactions
        .iter()
        .filter_map(|i| match i.kind {
            InteractionKind::Role {
                role,
                start,
                end,
                ref hats,
            } => Some(Holding {
                entry: i.id.to_string(),
                person: person.id.to_string(),
                name: person.name.clone(),
                role: role.as_str().to_owned(),
                start: start.as_millis(),
                end: end.map(Timestamp::as_millis),
                residency: person
                    .residency
                    .iter()
                    .map(|b| b.as_str().to_owned())
                    .collect(),
                hats: hats.iter().map(|h| h.as_str().to_owned()).collect(),
            }),
            _ => None,
        })
        .collect();
    held.sort_by_key(|h| (h.start, h.entry.clone()));
    held
}

/// Everyone holding a role at `now`, for `actor`, who is logged (the list
/// holds names): seats first, then offices, each by when it started.
pub async fn current(db: &Db, actor: Actor, now: Timestamp) -> Result<Vec<Holding>> {
    let mut held = Vec::new();
    {
        let mut conn = db.pool.acquire().await?;
        for id in report_rows::role_holders(&mut conn, now).await? {
            let Some(bytes) = documents::bytes(&mut conn, id).await? else {
                continue;
            };
            if let Record::Person(person) = sync_core::read_record(&bytes)? {
                held.extend(
                    holdings(&person)
                        .into_iter()
                        .filter(|h| h.start <= now.as_millis())
                        .filter(|h| h.end.is_none_or(|end| end > now.as_millis())),
                );
            }
        }
    }
    let order = |role: &str| Role::ALL.iter().position(|r| r.as_str() == role);
    held.sort_by_key(|h| (order(&h.role), h.start, h.entry.clone()));
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let detail = held.len().to_string();
    let logged = audit::record(&mut tx, now, actor, Action::ListedBoard, None, &detail).await;
    commit_if_ok(tx, logged).await?;
    Ok(held)
}

/// Records that `person` took up `role` from `start`, wearing `hats`
/// besides, on behalf of `actor`, logged. Returns the role's entry.
pub async fn take_up(
    db: &Db,
    actor: Actor,
    person: DocId,
    role: Role,
    start: Timestamp,
    hats: &BTreeSet<Hat>,
    now: Timestamp,
) -> Result<EntryId> {
    let detail = format!("took up {}{}", role.as_str(), hats_words(hats));
    let logged = Logged {
        action: Action::ChangedPerson,
        detail: &detail,
    };
    let mut taken = None;
    edit_as_server(db, actor, person, "person", logged, now, |stored, by| {
        let (entry, push) = authoring::role_push(stored, role, start, hats, by, now)?;
        taken = Some(entry);
        Ok(push)
    })
    .await?;
    taken.ok_or_else(|| Error::Corrupt("a new role made no change".into()))
}

/// Records that `person` stood down from their role `entry` at `end`, on
/// behalf of `actor`, logged. `NotFound` if they hold no such role.
pub async fn stand_down(
    db: &Db,
    actor: Actor,
    person: DocId,
    entry: EntryId,
    end: Timestamp,
    now: Timestamp,
) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedPerson,
        detail: "stood down",
    };
    edit_as_server(db, actor, person, "person", logged, now, |stored, _| {
        authoring::end_role_push(stored, entry, end, now).map_err(no_such_role)
    })
    .await
}

/// Records that `person` wears exactly `hats` in their role `entry` (none
/// clears them), on behalf of `actor`, logged when anything changed.
/// `NotFound` if they hold no such role.
pub async fn set_hats(
    db: &Db,
    actor: Actor,
    person: DocId,
    entry: EntryId,
    hats: &BTreeSet<Hat>,
    now: Timestamp,
) -> Result<()> {
    let detail = if hats.is_empty() {
        "hats: none".to_owned()
    } else {
        let codes: Vec<&str> = hats.iter().map(|h| h.as_str()).collect();
        format!("hats: {}", codes.join(", "))
    };
    let logged = Logged {
        action: Action::ChangedPerson,
        detail: &detail,
    };
    edit_as_server(db, actor, person, "person", logged, now, |stored, _| {
        authoring::role_hats_push(stored, entry, hats, now).map_err(no_such_role)
    })
    .await
}

/// " as councillor, paid-worker" for the audit log; nothing for none.
fn hats_words(hats: &BTreeSet<Hat>) -> String {
    if hats.is_empty() {
        return String::new();
    }
    let codes: Vec<&str> = hats.iter().map(|h| h.as_str()).collect();
    format!(" as {}", codes.join(", "))
}

/// An entry that is not one of their roles is no role of theirs.
fn no_such_role(e: sync_core::Error) -> Error {
    match e {
        sync_core::Error::NoSuchEntry(_)
        | sync_core::Error::Validation(sync_core::ValidationError::NotEndable) => {
            Error::NotFound("role")
        }
        other => other.into(),
    }
}
