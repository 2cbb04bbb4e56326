//! People's records as a whole: merging two records of one person,
//! erasure, suppression (an objector becomes a do-not-contact entry), a
//! subject access export, and the list of likely duplicates. Each is
//! audited in its own transaction; what deletes personal data scrubs the
//! database files after the commit.

use std::collections::BTreeSet;

use sync_core::authoring::{self, Reduction};
use sync_core::{DeviceId, DocId, PushMerge, Record, Scope, Timestamp, merge_push, read_record};

use super::doors;
use super::duplicates::{self, Pair};
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::documents::{self, Erasure};
use crate::store::erasure_log::{Entry, Removal};
use crate::store::{Connection, Db, area, commit_if_ok, devices, projection};
use crate::sync::{merge_server_push, write_merge};

/// Merges two records of one person on behalf of `actor`: `survivor` gets
/// what `other` holds ([`sync_core::authoring::absorb_push`]), and `other`
/// becomes a tombstone, its id alone, that leads to the survivor. Its
/// document, feed entries and projection rows go, and devices holding it
/// are told to follow at their next sync; a later push to it is moved to
/// the survivor. Records already merged into `other` now lead to the
/// survivor. Then the merged-away document's bytes are scrubbed from the
/// database files.
pub async fn merge(
    db: &Db,
    actor: Actor,
    survivor: DocId,
    other: DocId,
    now: Timestamp,
) -> Result<()> {
    if survivor == other {
        return Err(Error::BadRequest(
            "a record cannot be merged into itself".into(),
        ));
    }
    // Before the writer's turn, which it takes itself when it makes the id.
    let by = area::server_device(db).await?;
    {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let merged = merge_in(db, &mut tx, survivor, other, by, now).await;
        let logged = match merged {
            Ok(()) => {
                let detail = survivor.to_string();
                audit::record(&mut tx, now, actor, Action::Merged, Some(other), &detail).await
            }
            Err(e) => Err(e),
        };
        commit_if_ok(tx, logged).await?;
    }
    let mut entry = Entry::new(now, Removal::Merged, other);
    entry.into = Some(survivor);
    log_removal(db, &entry)?;
    db.scrub().await
}

/// Logs a removal in the erasure log, after its commit, so a restore can
/// make it again. If the log cannot be written the removal still stands,
/// and the error says where the log is.
pub(super) fn log_removal(db: &Db, entry: &Entry) -> Result<()> {
    match db.erasure_log() {
        Some(log) => log.append(entry),
        None => Ok(()),
    }
}

async fn merge_in(
    db: &Db,
    tx: &mut Connection,
    survivor: DocId,
    other: DocId,
    by: DeviceId,
    now: Timestamp,
) -> Result<()> {
    // Rows are locked in id order, as merges lock them.
    let (first, second) = if survivor < other {
        (survivor, other)
    } else {
        (other, survivor)
    };
    let first = documents::lock(tx, first).await?;
    let second = documents::lock(tx, second).await?;
    let (kept, gone) = match (first, second) {
        (Some(a), Some(b)) if survivor < other => (a, b),
        (Some(a), Some(b)) => (b, a),
        _ => return Err(Error::NotFound("person")),
    };
    let gone_record = read_record(&gone.bytes)?;
    // Devices that could write it as it is now may still write to it.
    let gone_audience = gone_record.audience();
    let (Record::Person(kept_person), Record::Person(absorbed)) =
        (read_record(&kept.bytes)?, gone_record)
    else {
        return Err(Error::BadRequest("only people can be merged".into()));
    };
    if kept_person.area != absorbed.area {
        return Err(Error::BadRequest(
            "the two records are in different areas".into(),
        ));
    }
    // The merged-away record goes first: the survivor takes over its entry
    // ids, which its projection rows hold.
    documents::remove(tx, other).await?;
    let mut ladder = area::ladder(db, tx).await?;
    if let Some(push) = authoring::absorb_push(&kept.bytes, &absorbed, None, now)? {
        merge_server_push(tx, survivor, &kept, &push, by, now, &mut ladder).await?;
    }
    let heads = sync_core::hub::document_heads(&gone.bytes)?;
    documents::redirect(tx, other, survivor, &heads, &gone_audience, now).await
}

/// Erases a record on behalf of `actor` (a person who asked to be
/// forgotten): its document, its feed entries and every projection row go
/// in one transaction with the audit record; its id is kept for ever, so
/// no device can bring it back; every device holding it deletes its copy
/// at its next sync. A merged-away id is the same person as its survivor:
/// erasing it erases the survivor, and with it every id merged into it.
/// Then the files are scrubbed. Returns whether the record was held.
///
/// Erasing twice is harmless, and is how a failed scrub is finished: if
/// the files could not be scrubbed (`Error::Busy`), the erasure is
/// committed but the call fails, and erasing again scrubs again.
pub async fn erase(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<bool> {
    let Erasure { held, newly_erased } = {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let erased = erase_in(&mut tx, actor, id, now).await;
        commit_if_ok(tx, erased).await?
    };
    log_removal(db, &Entry::new(now, Removal::Erased, id))?;
    // Only an id never held nor erased before (marked so that it can
    // never arrive) leaves nothing to scrub.
    if held || !newly_erased {
        db.scrub().await?;
    }
    Ok(held)
}

async fn erase_in(tx: &mut Connection, actor: Actor, id: DocId, now: Timestamp) -> Result<Erasure> {
    let current = documents::current_id(tx, id).await?;
    let erasure = documents::erase(tx, current, now).await?;
    audit::record(tx, now, actor, Action::Erased, Some(id), "").await?;
    Ok(erasure)
}

/// Replaces a person who objects by a do-not-contact entry holding no
/// other data, under a new id, and erases the old record (editing it in
/// place would leave the old values in its history); their door is marked
/// do-not-knock. Logged on behalf of `actor`; the files are scrubbed after.
/// Returns the new id.
pub async fn suppress(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<DocId> {
    let by = area::server_device(db).await?;
    let new_id = {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let reduced = reduce(db, &mut tx, id, Reduction::Suppress, by, now, actor).await;
        commit_if_ok(tx, reduced).await?
    };
    log_removal(db, &Entry::new(now, Removal::Suppressed, id))?;
    db.scrub().await?;
    Ok(new_id)
}

/// Replaces a person by a reduced record under a new id (see
/// [`sync_core::authoring::Reduction`]) and erases the old one, in the
/// caller's transaction, with its audit record (suppressed or anonymised).
/// `NotFound` if there is no such person. The caller scrubs the files
/// after the commit.
pub(super) async fn reduce(
    db: &Db,
    tx: &mut Connection,
    id: DocId,
    reduction: Reduction,
    by: DeviceId,
    now: Timestamp,
    actor: Actor,
) -> Result<DocId> {
    let asked = id;
    let id = documents::current_id(tx, id).await?;
    let Some(stored) = documents::lock(tx, id).await? else {
        return Err(Error::NotFound("person"));
    };
    let Record::Person(person) = read_record(&stored.bytes)? else {
        return Err(Error::NotFound("person"));
    };
    let reduced = authoring::reduced_person(&person, reduction, DocId::new(now), by);
    let push = authoring::new_person_push(&reduced, now)?;
    let merged = match merge_push(None, &push, &Scope::Admin, by) {
        PushMerge::Merged(merged) => merged,
        other => {
            return Err(Error::Corrupt(format!(
                "a reduced record was not accepted: {:?}",
                other.into_outcome()
            )));
        }
    };
    // The old record goes first: the new one reuses its entry ids.
    documents::erase(tx, id, now).await?;
    let mut ladder = area::ladder(db, tx).await?;
    if write_merge(tx, reduced.id, None, &merged, now, &mut ladder)
        .await?
        .is_none()
    {
        return Err(Error::Busy);
    }
    if let (Reduction::Suppress, Some(door)) = (reduction, person.household) {
        // Someone there objected: the door leaves every walk list, on
        // phones that do not hold the objector's record too.
        doors::mark(tx, door, true, by, now, &mut ladder).await?;
    }
    let action = match reduction {
        Reduction::Suppress => Action::Suppressed,
        Reduction::Anonymise => Action::Anonymised,
    };
    let detail = reduced.id.to_string();
    audit::record(tx, now, actor, action, Some(asked), &detail).await?;
    Ok(reduced.id)
}

/// Everything held about one record, for a subject access request made
/// through `actor`, who is logged in the same transaction: the record as
/// stored (every field, consent and interaction), the rows derived from
/// it, and the devices that recorded anything in it. An erased record
/// shows only that it was erased, and when. A merged-away id shows its
/// survivor, which holds everything about the person.
pub async fn export(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<serde_json::Value> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let export = match subject_access(&mut tx, id, now).await {
        Ok(export) => audit::record(&mut tx, now, actor, Action::Exported, Some(id), "")
            .await
            .map(|()| export),
        Err(e) => Err(e),
    };
    commit_if_ok(tx, export).await
}

async fn subject_access(
    conn: &mut Connection,
    id: DocId,
    now: Timestamp,
) -> Result<serde_json::Value> {
    if let Some(erased_at) = documents::erased_at(conn, id).await? {
        return Ok(serde_json::json!({ "id": id.to_string(), "erased_at": erased_at.as_millis() }));
    }
    let asked = id;
    let id = documents::current_id(conn, id).await?;
    let bytes = documents::bytes(conn, id)
        .await?
        .ok_or(Error::NotFound("record"))?;
    let record = read_record(&bytes)?;
    let (record_json, devices) = match &record {
        Record::Person(p) => {
            let devices: BTreeSet<String> = p
                .interactions
                .iter()
                .map(|i| i.recorded_by)
                .chain(p.consents.iter().map(|c| c.recorded_by))
                .chain([p.created_by])
                .map(|d| d.to_string())
                .collect();
            (serde_json::to_value(p), devices)
        }
        Record::Event(e) => (serde_json::to_value(e), [e.created_by.to_string()].into()),
        Record::Address(a) => {
            let devices = a
                .visits
                .iter()
                .map(|v| v.recorded_by)
                .chain([a.created_by])
                .map(|d| d.to_string())
                .collect();
            (serde_json::to_value(a), devices)
        }
        Record::Area(_) => {
            return Err(Error::BadRequest(
                "the area configuration holds no personal data".into(),
            ));
        }
        Record::Group(_) => {
            return Err(Error::BadRequest(
                "a working group holds no personal data".into(),
            ));
        }
    };
    let record_json = record_json.map_err(|e| Error::Corrupt(e.to_string()))?;
    let mut device_rows = Vec::new();
    for device in &devices {
        device_rows.push(match devices::name_and_role(conn, device).await? {
            Some((name, role)) => serde_json::json!({ "id": device, "name": name, "role": role }),
            None => serde_json::json!({ "id": device }),
        });
    }
    let stages = projection::stages_of(conn, id).await?;
    Ok(serde_json::json!({
        "id": id.to_string(),
        "merged_from": (asked != id).then(|| asked.to_string()),
        "kind": record.kind().as_str(),
        "exported_at": now.as_millis(),
        "record": record_json,
        "stages_reached": stages
            .into_iter()
            .map(|s| serde_json::json!({ "stage": s.stage, "key": s.stage_key, "reached_at": s.reached_at }))
            .collect::<Vec<_>>(),
        "recorded_by_devices": device_rows,
    }))
}

/// The people who look recorded twice, for `actor`, who is logged: the
/// list holds names.
pub async fn duplicates(db: &Db, actor: Actor, now: Timestamp) -> Result<Vec<Pair>> {
    let pairs = duplicates::find(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let count = pairs.len().to_string();
    let logged = audit::record(&mut tx, now, actor, Action::ListedDuplicates, None, &count).await;
    commit_if_ok(tx, logged).await?;
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testing::{NOW, TestPhone, new_person_push, test_phone};

    /// The phone records a person called `name`, and the server stores it.
    async fn store_person(db: &Db, phone: &mut TestPhone, name: &str) -> DocId {
        let push = new_person_push(phone, name);
        let id = push.doc;
        let merged = crate::sync::merge_all(
            db,
            Arc::from([push]),
            &crate::sync::Author::server(phone.device()),
            NOW,
            crate::sync::nothing_more,
        )
        .await
        .expect("merge");
        assert!(merged[0].seq.is_some(), "stored");
        id
    }

    /// A scrub that gave up (`Error::Busy`) leaves an erased person's
    /// bytes in SQLite's log; erasing again must scrub again, though the
    /// record is no longer held.
    #[tokio::test]
    async fn erasing_an_erased_record_again_scrubs_the_files_again() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let mut phone = test_phone(NOW);
        let log_bytes = || std::fs::metadata(dir.path().join("test.db-wal")).map_or(0, |m| m.len());
        let erase = |id| erase(&db, Actor::CommandLine, id, NOW);
        let erased = store_person(&db, &mut phone, "Erased").await;
        assert!(erase(erased).await.expect("erase"));
        assert_eq!(log_bytes(), 0, "the first erasure scrubs");
        // As if that scrub had given up: the log holds writes again.
        store_person(&db, &mut phone, "Written after").await;
        assert!(log_bytes() > 0);
        assert!(!erase(erased).await.expect("erase again"));
        assert_eq!(log_bytes(), 0, "erasing again scrubs again");
        // An id never held nor erased leaves nothing to scrub.
        store_person(&db, &mut phone, "Written after that").await;
        assert!(!erase(DocId::new(NOW)).await.expect("erase unknown"));
        assert!(log_bytes() > 0);
    }

    /// An admin erases again when a scrub gave up: the erasure's notice in
    /// the feed must stay for the phones that have not read it yet.
    #[tokio::test]
    async fn erasing_twice_keeps_the_erasure_in_the_feed() {
        use crate::store::feed::{self, FeedEntry};
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let id = store_person(&db, &mut test_phone(NOW), "Erased twice").await;
        assert!(
            erase(&db, Actor::CommandLine, id, NOW)
                .await
                .expect("erase")
        );
        assert!(
            !erase(&db, Actor::CommandLine, id, NOW)
                .await
                .expect("erase again")
        );
        let mut conn = db.pool.acquire().await.expect("connection");
        let end = feed::end(&mut conn).await.expect("the feed's end");
        let rows = feed::scan(&mut conn, 0, end, &Scope::Admin, &[], 100)
            .await
            .expect("the feed");
        let erasures: Vec<DocId> = rows
            .into_iter()
            .filter_map(|row| match row.entry() {
                Ok(FeedEntry::Erasure(erased)) => Some(erased),
                _ => None,
            })
            .collect();
        assert_eq!(erasures, vec![id]);
    }
}
