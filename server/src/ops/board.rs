//! The partnership's board and office holders, as admins record them: who
//! holds a seat or an office (chair, vice-chair, treasurer, a group's
//! lead) and since when, taking one up and standing down. Each is a role
//! on the person's record, written by the server like any other edit, so
//! phones and the resident-led and turnover reports follow.

use serde::Serialize;
use sync_core::{DocId, EntryId, InteractionKind, Person, Record, Role, Timestamp, authoring};

use super::merge_own;
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Db, area, commit_if_ok, documents, report_rows};

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
}

/// The roles recorded on a person, oldest first.
pub fn holdings(person: &Person) -> Vec<Holding> {
    let mut held: Vec<Holding> = person
        .interactions
        .iter()
        .filter_map(|i| match i.kind {
            InteractionKind::Role { role, start, end } => Some(Holding {
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

/// Records that `person` took up `role` from `start`, on behalf of
/// `actor`, logged. Returns the role's entry.
pub async fn take_up(
    db: &Db,
    actor: Actor,
    person: DocId,
    role: Role,
    start: Timestamp,
    now: Timestamp,
) -> Result<EntryId> {
    // Before the writer's turn, which it takes itself when it makes the id.
    let by = area::server_device(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let taken = async {
        let stored = documents::lock(&mut tx, person)
            .await?
            .ok_or(Error::NotFound("person"))?;
        let (entry, push) =
            authoring::role_push(&stored.bytes, role, start, by, now).map_err(not_a_person)?;
        if let Some(push) = push {
            merge_own(db, &mut tx, &push, by, now).await?;
        }
        let detail = format!("took up {}", role.as_str());
        audit::record(
            &mut tx,
            now,
            actor,
            Action::ChangedPerson,
            Some(person),
            &detail,
        )
        .await?;
        Ok(entry)
    }
    .await;
    commit_if_ok(tx, taken).await
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
    let by = area::server_device(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let ended = async {
        let stored = documents::lock(&mut tx, person)
            .await?
            .ok_or(Error::NotFound("person"))?;
        let push =
            authoring::end_role_push(&stored.bytes, entry, end, now).map_err(|e| match e {
                sync_core::Error::NoSuchEntry(_) => Error::NotFound("role"),
                sync_core::Error::Validation(sync_core::ValidationError::NotEndable) => {
                    Error::NotFound("role")
                }
                other => not_a_person(other),
            })?;
        if let Some(push) = push {
            merge_own(db, &mut tx, &push, by, now).await?;
            audit::record(
                &mut tx,
                now,
                actor,
                Action::ChangedPerson,
                Some(person),
                "stood down",
            )
            .await?;
        }
        Ok(())
    }
    .await;
    commit_if_ok(tx, ended).await
}

/// A record of another kind is no person to hold a role.
fn not_a_person(e: sync_core::Error) -> Error {
    match e {
        sync_core::Error::WrongKind { .. } => Error::NotFound("person"),
        other => other.into(),
    }
}
