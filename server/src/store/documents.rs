//! Documents, their change feed's entries, erased ids and redirects: the
//! rows that hold what phones wrote. Reading the feed for a device is in
//! [`super::feed`].

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;
use sync_core::{Audience, DocId, DocKind, Head, Ladder, Merged, Person, Record, Timestamp};

use super::{Backend, MAX_PARAMS, fetch_for_keys, placeholders, projection};
use crate::error::{Error, Result};

/// A document's stored row: its bytes and the version a write must name.
#[derive(Debug)]
pub struct Stored {
    /// The automerge document.
    pub bytes: Vec<u8>,
    /// Bumped by every write; an update names the version it read.
    pub version: i64,
    /// Who may see the record, as stored.
    pub audience: AudienceColumns,
}

/// A record's audience as the documents table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceColumns {
    /// The document's kind.
    pub kind: String,
    /// The record's patch, if it has one.
    pub patch: Option<String>,
    /// The devices named in it, comma-separated.
    pub devices: String,
}

fn audience_columns(audience: &Audience) -> AudienceColumns {
    let devices: Vec<String> = audience.devices.iter().map(ToString::to_string).collect();
    AudienceColumns {
        kind: audience.kind.as_str().to_owned(),
        patch: audience.patch.clone(),
        devices: devices.join(","),
    }
}

pub(super) fn audience_from(kind: &str, patch: Option<String>, devices: &str) -> Result<Audience> {
    Ok(Audience {
        kind: DocKind::parse(kind)
            .ok_or_else(|| Error::Corrupt(format!("document kind {kind}")))?,
        patch,
        devices: devices
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.parse()
                    .map_err(|_| Error::Corrupt(format!("device id {d}")))
            })
            .collect::<Result<_>>()?,
    })
}

/// Whether an id was erased.
pub async fn is_erased(conn: &mut AnyConnection, id: DocId) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM erased WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Reads the stored documents among `ids` (in document order), to merge
/// into. On PostgreSQL they are locked until the transaction ends, in that
/// same order (byte order, whatever the database's collation, as [`lock`]
/// is called in id order), so no merge from another process slips in
/// between reading and writing them. On SQLite the writer's lock keeps
/// writers apart, and rows read before it (a batch merged ahead of the
/// writer's turn) are checked when written: [`write()`] names the version.
pub async fn read_for_merge(
    tx: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Stored>> {
    let lock = match Backend::of(tx) {
        Backend::Sqlite => "",
        Backend::Postgres => " ORDER BY id COLLATE \"C\" FOR UPDATE",
    };
    let rows: Vec<StoredRow> = fetch_for_keys(tx, ids, |list| {
        format!(
            "SELECT id, bytes, version, kind, patch, devices FROM documents WHERE id IN ({list}){lock}"
        )
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, bytes, version, kind, patch, devices)| {
            (id, stored(bytes, version, kind, patch, devices))
        })
        .collect())
}

/// A stored row as read: id, bytes, version, kind, patch and devices.
type StoredRow = (String, Vec<u8>, i64, String, Option<String>, String);

/// A locked row as read: bytes, version, kind, patch and devices.
type LockedRow = (Vec<u8>, i64, String, Option<String>, String);

fn stored(
    bytes: Vec<u8>,
    version: i64,
    kind: String,
    patch: Option<String>,
    devices: String,
) -> Stored {
    Stored {
        bytes,
        version,
        audience: AudienceColumns {
            kind,
            patch,
            devices,
        },
    }
}

/// Reads a document's row and locks it until the transaction ends: a no-op
/// update, because on PostgreSQL a SELECT would not lock it. No merge from
/// another process can then slip in between reading and writing it.
pub async fn lock(conn: &mut AnyConnection, id: DocId) -> Result<Option<Stored>> {
    let row: Option<LockedRow> = sqlx::query_as(
        "UPDATE documents SET version = version WHERE id = $1 \
         RETURNING bytes, version, kind, patch, devices",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|(bytes, version, kind, patch, devices)| stored(bytes, version, kind, patch, devices)))
}

/// Locks ids that have no document against their erasure until the
/// transaction ends, before they are checked for one ([`gone_ids`]) and
/// their documents inserted. On PostgreSQL, without it, the erasure of an
/// id never held could commit between that check and the insert, and the
/// erased record would be stored after all. The lock is shared, so
/// creations never wait for each other. On SQLite the writer's lock
/// already keeps an erasure and a merge apart.
pub async fn lock_new_ids(conn: &mut AnyConnection, ids: &[&String]) -> Result<()> {
    let backend = Backend::of(conn);
    if backend != Backend::Postgres {
        return Ok(());
    }
    for chunk in ids.chunks(MAX_PARAMS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, i, 1)))
            .collect();
        // Counted, so the statement returns a type every driver reads
        // (the lock functions return `void`).
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended(id, 0)) \
             FROM (VALUES {}) AS new_ids (id)) AS locked",
            values.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .persistent(chunk.len() == MAX_PARAMS);
        for id in chunk {
            query = query.bind(*id);
        }
        query.fetch_one(&mut *conn).await?;
    }
    Ok(())
}

/// Locks an id for its erasure until the transaction ends (PostgreSQL): waits
/// for any merge that may be creating its document, and holds back any that
/// would, since a merge takes a shared lock on a new id before it checks
/// for an erasure.
pub async fn lock_for_erasure(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    if Backend::of(conn) != Backend::Postgres {
        return Ok(());
    }
    sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(())
}

/// Which of `ids` (none of them stored) were erased or merged away.
pub async fn gone_ids(tx: &mut AnyConnection, ids: &[&String]) -> Result<HashSet<String>> {
    let rows: Vec<(String,)> = fetch_for_keys(tx, ids, |list| {
        format!(
            "SELECT id FROM (SELECT id FROM erased UNION ALL SELECT id FROM redirects) gone \
             WHERE id IN ({list})"
        )
    })
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What became of an id the server holds no document for.
#[derive(Debug)]
pub enum Gone {
    /// Erased: it can never be written again.
    Erased,
    /// Merged away: see [`Tombstone`].
    MergedInto(Tombstone),
    /// Never stored (a new record).
    Never,
}

/// A merged-away record: the survivor it leads to, and its heads and
/// audience when it was merged.
#[derive(Debug)]
pub struct Tombstone {
    /// The record it was merged into.
    pub survivor: DocId,
    /// Its heads when it was merged.
    pub heads: Vec<Head>,
    /// Who could see it when it was merged.
    pub audience: Audience,
}

/// Whether an id with no document was erased or merged away, in one query.
pub async fn gone(conn: &mut AnyConnection, id: DocId) -> Result<Gone> {
    #[derive(sqlx::FromRow)]
    struct Row {
        erased: Option<i64>,
        survivor: Option<String>,
        heads: Option<Vec<u8>>,
        patch: Option<String>,
        devices: Option<String>,
    }
    let row: Row = sqlx::query_as(
        "SELECT (SELECT CAST(1 AS BIGINT) FROM erased WHERE id = $1) AS erased, \
         (SELECT survivor FROM redirects WHERE id = $1) AS survivor, \
         (SELECT heads FROM redirects WHERE id = $1) AS heads, \
         (SELECT patch FROM redirects WHERE id = $1) AS patch, \
         (SELECT devices FROM redirects WHERE id = $1) AS devices",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    if row.erased.is_some() {
        return Ok(Gone::Erased);
    }
    match (row.survivor, row.heads, row.devices) {
        (Some(survivor), Some(heads), Some(devices)) => Ok(Gone::MergedInto(Tombstone {
            survivor: parse_survivor(&survivor)?,
            heads: heads_from_bytes(&heads),
            audience: audience_from(DocKind::Person.as_str(), row.patch, &devices)?,
        })),
        _ => Ok(Gone::Never),
    }
}

pub(super) fn parse_survivor(survivor: &str) -> Result<DocId> {
    survivor
        .parse()
        .map_err(|_| Error::Corrupt(format!("redirect to {survivor}")))
}

/// Heads stored one after another, 32 bytes each.
fn heads_from_bytes(bytes: &[u8]) -> Vec<Head> {
    bytes
        .chunks_exact(32)
        .map(|h| h.try_into().unwrap_or([0; 32]))
        .collect()
}

/// The record an id stands for now: the survivor for a merged-away id
/// (redirects always lead straight to a live record), else the id itself.
pub async fn current_id(conn: &mut AnyConnection, id: DocId) -> Result<DocId> {
    Ok(match gone(conn, id).await? {
        Gone::MergedInto(tombstone) => tombstone.survivor,
        Gone::Erased | Gone::Never => id,
    })
}

/// A merged document to write.
#[derive(Debug)]
pub struct ToWrite<'a> {
    /// Its id.
    pub id: &'a str,
    /// The stored version it was merged with; `None` for a new document.
    pub version: Option<i64>,
    /// The record's audience as stored (`None` for a new document).
    pub before: Option<&'a AudienceColumns>,
    /// The merge (`sync_core::merge_push`'s, of what was stored).
    pub merged: &'a Merged,
}

impl ToWrite<'_> {
    /// The patch a written update moves the record out of, if it moves.
    fn leaves(&self) -> Option<&str> {
        let before = self.before?.patch.as_deref()?;
        (self.version.is_some() && self.merged.record.patch() != Some(before)).then_some(before)
    }
}

/// What [`write()`] did.
#[derive(Debug)]
pub struct Written {
    /// Each document's feed sequence number, in the order given, or `None`
    /// where another process wrote it first.
    pub seqs: Vec<Option<u64>>,
    /// Whether a written area changed the ladder.
    pub ladder_changed: bool,
}

/// Writes merged documents with a few statements for the lot: one block of
/// feed sequence numbers (in the order given), the documents (an update
/// naming the version each was merged with, or an insert), their feed
/// entries (and, for a record moved to another patch, an entry filed
/// under the old one, which tells devices there to drop it) and their
/// projection rows. Returns each document's sequence
/// number, or `None` where another process wrote it first (the caller merges
/// it again; its number stays a gap in the feed, which readers skip), and
/// whether a written area changed the ladder (`ladder` is then the new one,
/// and the caller re-derives people's stages).
///
/// This is the only way a document row is written: every write is a
/// merge of what was stored (or a new document), so no change from
/// another process is overwritten.
pub async fn write(
    tx: &mut AnyConnection,
    documents: &[ToWrite<'_>],
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<Written> {
    if documents.is_empty() {
        return Ok(Written {
            seqs: Vec::new(),
            ladder_changed: false,
        });
    }
    let moves = documents.iter().filter(|d| d.leaves().is_some()).count();
    let last = take_seqs(tx, documents.len() + moves).await?;
    let first = last + 1 - (documents.len() + moves) as u64;
    let mut seqs = Vec::with_capacity(documents.len());
    let mut inserts = Vec::new();
    for (document, seq) in documents.iter().zip(first..) {
        match document.version {
            Some(version) => {
                let updated = update_document(tx, document, version, now).await?;
                seqs.push(updated.then_some(seq));
            }
            None => {
                // Filled in once the inserts are known.
                seqs.push(None);
                inserts.push((document, seq));
            }
        }
    }
    let inserted = insert_documents(tx, &inserts, now).await?;
    for (document, seq) in inserts {
        if inserted.contains(document.id) {
            seqs[(seq - first) as usize] = Some(seq);
        }
    }
    let written: Vec<(&ToWrite<'_>, u64)> = documents
        .iter()
        .zip(&seqs)
        .filter_map(|(document, seq)| seq.map(|seq| (document, seq)))
        .collect();
    let mut ladder_changed = false;
    for (document, _) in &written {
        if let Record::Area(area) = &document.merged.record
            && area.ladder != *ladder
        {
            *ladder = area.ladder.clone();
            ladder_changed = true;
        }
    }
    let mut left_seqs = first + documents.len() as u64..;
    let mut entries: Vec<NewEntry<'_>> = written
        .iter()
        .map(|(document, seq)| NewEntry {
            seq: *seq,
            doc: document.id,
            // A new document's entry holds no bytes: see `insert_feed`.
            changes: Some(match document.version {
                Some(_) => document.merged.changes.as_slice(),
                None => &[],
            }),
            // Filed under its record's patch (none for the area, which
            // every device receives): see migration 0009.
            patch: document.merged.record.patch(),
        })
        .collect();
    for (document, _) in &written {
        if let Some(left) = document.leaves()
            && let Some(seq) = left_seqs.next()
        {
            entries.push(NewEntry {
                seq,
                doc: document.id,
                changes: None,
                patch: Some(left),
            });
        }
    }
    insert_feed(tx, &entries).await?;
    let mut rows = projection::Rows::default();
    for (document, _) in &written {
        if document.version.is_some() {
            rows.replace(&document.merged.record, ladder, now);
        } else {
            rows.add(&document.merged.record, ladder, now);
        }
    }
    rows.write(tx).await?;
    Ok(Written {
        seqs,
        ladder_changed,
    })
}

/// Takes `count` feed sequence numbers and returns the last. The row lock
/// it takes is held until the transaction ends, so sequence numbers become
/// visible in order.
async fn take_seqs(conn: &mut AnyConnection, count: usize) -> Result<u64> {
    let (seq,): (i64,) =
        sqlx::query_as("UPDATE feed_counter SET seq = seq + $1 WHERE id = 1 RETURNING seq")
            .bind(count as i64)
            .fetch_one(&mut *conn)
            .await?;
    u64::try_from(seq).map_err(|_| Error::Corrupt(format!("feed sequence {seq}")))
}

/// Writes a merged document over the version it was merged with. `false`
/// if that version moved on. The audience columns are set only when they
/// changed: SQLite rewrites the entries of every index on a column an
/// `UPDATE` sets, equal or not, and the two indexes on them
/// (`documents_kind`, `documents_audience`) are in id order, so each
/// revisit dirtied two more pages at random (about 14% of what a sync
/// wrote to the log).
async fn update_document(
    conn: &mut AnyConnection,
    document: &ToWrite<'_>,
    version: i64,
    now: Timestamp,
) -> Result<bool> {
    let merged = document.merged;
    let audience = audience_columns(&merged.record.audience());
    let query = if document.before == Some(&audience) {
        sqlx::query(
            "UPDATE documents SET bytes = $1, version = $2, updated_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&merged.bytes)
        .bind(version + 1)
        .bind(now.as_millis())
    } else {
        sqlx::query(
            "UPDATE documents SET bytes = $1, version = $2, updated_at = $3, kind = $4, patch = $5, \
             devices = $6 WHERE id = $7 AND version = $8",
        )
        .bind(&merged.bytes)
        .bind(version + 1)
        .bind(now.as_millis())
        .bind(audience.kind)
        .bind(audience.patch)
        .bind(audience.devices)
    };
    let written = query
        .bind(document.id)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(written.rows_affected() == 1)
}

/// Inserts new documents with their first sequence numbers. Returns the
/// ids inserted: one another process created meanwhile is left as it is.
async fn insert_documents(
    tx: &mut AnyConnection,
    documents: &[(&ToWrite<'_>, u64)],
    now: Timestamp,
) -> Result<HashSet<String>> {
    const WIDTH: usize = 7;
    let backend = Backend::of(tx);
    let mut inserted = HashSet::with_capacity(documents.len());
    for chunk in documents.chunks(MAX_PARAMS / WIDTH) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| format!("({}, 1)", placeholders(backend, row * WIDTH, WIDTH)))
            .collect();
        let sql = format!(
            "INSERT INTO documents (id, kind, patch, devices, bytes, created_seq, updated_at, version) \
             VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
            rows.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
            .persistent(chunk.len() == MAX_PARAMS / WIDTH);
        for (document, seq) in chunk {
            let audience = audience_columns(&document.merged.record.audience());
            query = query
                .bind(document.id)
                .bind(audience.kind)
                .bind(audience.patch)
                .bind(audience.devices)
                .bind(&document.merged.bytes)
                .bind(*seq as i64)
                .bind(now.as_millis());
        }
        inserted.extend(query.fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id));
    }
    Ok(inserted)
}

/// A feed entry to append.
struct NewEntry<'a> {
    seq: u64,
    doc: &'a str,
    /// The changes; `None` for an entry that holds none (a record that
    /// left the patch it is filed under).
    changes: Option<&'a [u8]>,
    patch: Option<&'a str>,
}

/// Appends feed entries. A new document's entry holds no bytes: its
/// sequence number is the document's `created_seq`, so every device that
/// reads the entry has not had the document yet and is sent it whole by
/// the feed's reader; a copy of its changes would never be read, and
/// storing it cost a fifth of the database.
async fn insert_feed(tx: &mut AnyConnection, entries: &[NewEntry<'_>]) -> Result<()> {
    const WIDTH: usize = 4;
    let backend = Backend::of(tx);
    for chunk in entries.chunks(MAX_PARAMS / WIDTH) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| format!("({})", placeholders(backend, row * WIDTH, WIDTH)))
            .collect();
        let sql = format!(
            "INSERT INTO feed (seq, doc_id, changes, patch) VALUES {}",
            rows.join(", ")
        );
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == MAX_PARAMS / WIDTH);
        for entry in chunk {
            query = query
                .bind(entry.seq as i64)
                .bind(entry.doc)
                .bind(entry.changes)
                .bind(entry.patch);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Deletes a document, its feed entries that hold its changes and every
/// projection row derived from it (erasure, or a merge). Returns whether
/// it was held. Entries with no changes (an erasure, a redirect) hold only
/// the id and stay: a device that has not read them yet must still be told.
pub async fn remove(conn: &mut AnyConnection, id: DocId) -> Result<bool> {
    let held = sqlx::query("DELETE FROM documents WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0;
    sqlx::query("DELETE FROM feed WHERE doc_id = $1 AND changes IS NOT NULL")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    projection::remove(conn, id).await?;
    Ok(held)
}

/// Appends a feed entry with no changes for `id`: an erasure, or a
/// redirect while `redirects` holds the id.
async fn append_tombstone(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    let seq = take_seqs(conn, 1).await?;
    sqlx::query("INSERT INTO feed (seq, doc_id, changes) VALUES ($1, $2, NULL)")
        .bind(seq as i64)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What [`erase`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erasure {
    /// The record was held, and is now deleted.
    pub held: bool,
    /// The id was not erased before.
    pub newly_erased: bool,
}

/// Erases a record in the caller's transaction: its document, its feed
/// entries and every projection row go; its id is kept for ever, so no
/// device can bring it back; an erasure entry in the feed tells every
/// device holding it to delete its copy. Records merged into it are
/// erased with it (they held the same person's data). The bytes may still
/// be in the database's files until they are scrubbed (`Db::scrub`).
pub async fn erase(conn: &mut AnyConnection, id: DocId, now: Timestamp) -> Result<Erasure> {
    lock_for_erasure(conn, id).await?;
    // Records merged into this one held the same person's data: their ids
    // are erased with it, so a phone still holding one deletes it.
    let merged_in: Vec<(String,)> = sqlx::query_as("SELECT id FROM redirects WHERE survivor = $1")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    for (from,) in merged_in {
        let from: DocId = from
            .parse()
            .map_err(|_| Error::Corrupt(format!("redirect from {from}")))?;
        Box::pin(erase(conn, from, now)).await?;
    }
    sqlx::query("DELETE FROM redirects WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    let held = remove(conn, id).await?;
    let newly_erased = sqlx::query(
        "INSERT INTO erased (id, erased_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(now.as_millis())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if newly_erased || held {
        append_tombstone(conn, id).await?;
    }
    Ok(Erasure { held, newly_erased })
}

/// Makes `from` (whose document the caller has removed) a redirect to
/// `survivor` in the caller's transaction: records already merged into
/// `from` now lead to the survivor too, the redirect keeps `from`'s heads
/// and audience as they were (devices that could write it may still write
/// to it), and a feed entry tells devices that could read it to follow.
pub async fn redirect(
    conn: &mut AnyConnection,
    from: DocId,
    survivor: DocId,
    heads: &[Head],
    audience: &Audience,
    now: Timestamp,
) -> Result<()> {
    sqlx::query("UPDATE redirects SET survivor = $1 WHERE survivor = $2")
        .bind(survivor.to_string())
        .bind(from.to_string())
        .execute(&mut *conn)
        .await?;
    let AudienceColumns { patch, devices, .. } = audience_columns(audience);
    let heads: Vec<u8> = heads.iter().flatten().copied().collect();
    sqlx::query(
        "INSERT INTO redirects (id, survivor, heads, patch, devices, merged_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(from.to_string())
    .bind(survivor.to_string())
    .bind(heads)
    .bind(patch)
    .bind(devices)
    .bind(now.as_millis())
    .execute(&mut *conn)
    .await?;
    append_tombstone(conn, from).await
}

/// A document's bytes, if it is held (read without a lock: to read the
/// record, not to write it).
pub async fn bytes(conn: &mut AnyConnection, id: DocId) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT bytes FROM documents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(b,)| b))
}

/// A document's bytes and its audience, if it is held.
pub async fn with_audience(
    conn: &mut AnyConnection,
    id: DocId,
) -> Result<Option<(Vec<u8>, Audience)>> {
    let row: Option<(Vec<u8>, String, Option<String>, String)> =
        sqlx::query_as("SELECT bytes, kind, patch, devices FROM documents WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(bytes, kind, patch, devices)| Ok((bytes, audience_from(&kind, patch, &devices)?)))
        .transpose()
}

/// When an id was erased, if it was.
pub async fn erased_at(conn: &mut AnyConnection, id: DocId) -> Result<Option<Timestamp>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT erased_at FROM erased WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(at,)| Timestamp::from_millis(at)))
}

/// Every document of `kind` (a few: the area's groups, say), by id.
pub async fn of_kind(conn: &mut AnyConnection, kind: &str) -> Result<Vec<Vec<u8>>> {
    let rows: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM documents WHERE kind = $1 ORDER BY id")
            .bind(kind)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// Every event's document, soonest first.
pub async fn events_soonest_first(conn: &mut AnyConnection) -> Result<Vec<Vec<u8>>> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT d.bytes FROM events e JOIN documents d ON d.id = e.id ORDER BY e.starts_at, e.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// Every event's document, from the documents themselves (not the
/// events projection, which a rebuild rewrites from them).
pub async fn event_documents(conn: &mut AnyConnection) -> Result<Vec<Vec<u8>>> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT bytes FROM documents WHERE kind = 'event'")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// Every person document, a page at a time (in id order), so a million
/// people never sit in memory. Each page is decoded on a blocking thread,
/// away from the tasks answering requests.
#[derive(Debug, Default)]
pub struct PeoplePages {
    after: String,
}

impl PeoplePages {
    /// People per page.
    const PAGE: i64 = 200;

    /// The next page of people, or `None` after the last.
    pub async fn next(&mut self, conn: &mut AnyConnection) -> Result<Option<Vec<Person>>> {
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, bytes FROM documents WHERE kind = 'person' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(&self.after)
        .bind(Self::PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some((last, _)) = rows.last() else {
            return Ok(None);
        };
        self.after = last.clone();
        match tokio::task::spawn_blocking(move || Self::decode(&rows)).await {
            Ok(people) => people.map(Some),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    fn decode(rows: &[(String, Vec<u8>)]) -> Result<Vec<Person>> {
        let mut people = Vec::with_capacity(rows.len());
        for (_, bytes) in rows {
            if let Record::Person(p) = sync_core::read_record(bytes)? {
                people.push(p);
            }
        }
        Ok(people)
    }
}
