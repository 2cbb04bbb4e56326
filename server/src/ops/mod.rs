//! Use cases: everything a person or a phone can ask the server to do,
//! each written once, here, and called by the command line, the JSON API
//! and the dashboard alike.
//!
//! Each use case that changes something runs one transaction with its
//! audit record inside it, so nothing is done without being logged and
//! nothing is logged that was not done; where personal data is deleted,
//! the database files are scrubbed after the commit (`Db::scrub`). Reads
//! of personal data (an export, the duplicate list) are logged in a
//! transaction of their own before the data is returned.
//!
//! The server writes records (the area, events, doors, merged and reduced
//! people) as a device of its own: each edit becomes a push
//! (`sync_core::authoring`) merged through the sync layer, so it is
//! validated, projected and sent to phones like any other change.

pub mod area;
#[cfg(test)]
mod audit_tests;
pub mod backup;
pub mod board;
pub mod demo;
pub mod devices;
pub mod doors;
pub mod duplicates;
pub mod events;
pub mod groups;
pub mod people;
pub mod people_import;
pub mod profiles;
pub mod promises;
pub mod retention;
pub mod setup;
pub mod sync;
pub mod targets;

pub use crate::store::audit::{Action, Actor, AuditEntry};
pub use crate::store::devices::{
    Device, DeviceInfo, INVITE_CODE_CHARS, INVITE_DAYS, InviteInfo, Registered, Role,
};

use sync_core::{DeviceId, DocId, Push, PushOutcome, Timestamp};

use crate::error::{Error, Result};
use crate::store::{self, Connection, Db, commit_if_ok, documents};
use crate::sync::Author;

/// The schema version the database is at (which also says it answers).
pub async fn schema_version(db: &Db) -> Result<i64> {
    store::backup::schema_version(&mut *db.pool.acquire().await?).await
}

/// The latest `limit` entries of the audit log, the last written first.
pub async fn audit_log(db: &Db, limit: i64) -> Result<Vec<AuditEntry>> {
    store::audit::latest(db, limit).await
}

/// What an edit of a stored record by the server records in the audit log.
struct Logged<'a> {
    action: Action,
    detail: &'a str,
}

/// Edits stored record `id` on behalf of `actor`, as the server: locks
/// it, authors the change from its bytes with `author`, merges it and
/// records `logged` in the same transaction. Nothing is merged or logged
/// when `author` finds nothing to change. `NotFound(what)` when there is
/// no such record, or it is of another kind.
async fn edit_as_server(
    db: &Db,
    actor: Actor,
    id: DocId,
    what: &'static str,
    logged: Logged<'_>,
    now: Timestamp,
    author: impl FnOnce(&[u8], DeviceId) -> Result<Option<Push>>,
) -> Result<()> {
    // Before the writer's turn, which it takes itself when it makes the id.
    let by = store::area::server_device(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let edited = async {
        let stored = documents::lock(&mut tx, id)
            .await?
            .ok_or(Error::NotFound(what))?;
        let push = author(&stored.bytes, by).map_err(|e| match e {
            Error::Core(sync_core::Error::WrongKind { .. }) => Error::NotFound(what),
            other => other,
        })?;
        if let Some(push) = push {
            merge_own(db, &mut tx, &push, by, now).await?;
            store::audit::record(&mut tx, now, actor, logged.action, Some(id), logged.detail)
                .await?;
        }
        Ok(())
    }
    .await;
    commit_if_ok(tx, edited).await
}

/// Creates a record on behalf of `actor`, as the server: authors it under
/// a new id with `author`, merges it and records `action` in the same
/// transaction, and returns the id.
async fn create_as_server(
    db: &Db,
    actor: Actor,
    action: Action,
    now: Timestamp,
    author: impl FnOnce(DocId, DeviceId) -> Result<Option<Push>>,
) -> Result<DocId> {
    let by = store::area::server_device(db).await?;
    let id = DocId::new(now);
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let created = async {
        if let Some(push) = author(id, by)? {
            merge_own(db, &mut tx, &push, by, now).await?;
        }
        store::audit::record(&mut tx, now, actor, action, Some(id), "").await?;
        Ok(id)
    }
    .await;
    commit_if_ok(tx, created).await
}

/// Merges a push the server wrote itself as its device `by` (an edit of the
/// area, an event or a door) in the caller's transaction, with the admin's
/// scope. A push that breaks a rule is refused with its reason.
async fn merge_own(
    db: &Db,
    tx: &mut Connection,
    push: &Push,
    by: DeviceId,
    now: Timestamp,
) -> Result<()> {
    let mut ladder = store::area::ladder(db, tx).await?;
    match crate::sync::merge_in(tx, push, &Author::server(by), now, &mut ladder)
        .await?
        .outcome
    {
        PushOutcome::Accepted { .. } => Ok(()),
        PushOutcome::Rejected(r) => Err(Error::BadRequest(r.detail)),
        PushOutcome::Resend | PushOutcome::Redirected { .. } => Err(Error::Corrupt(
            "the server's own edit was not accepted".into(),
        )),
    }
}
