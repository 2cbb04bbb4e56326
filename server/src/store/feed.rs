//! Reading the change feed for a device: its end, a scan of the entries
//! after a cursor (already narrowed to what the device's scope may hold),
//! and the changes or whole documents the scan chose. Which entries a
//! device receives is decided by the sync layer; these are its queries.

use std::collections::HashMap;

use sqlx::AnyConnection;
use sync_core::{Audience, DocId, DocKind, DocUpdate, Scope};

use super::documents::{audience_from, parse_survivor};
use super::{Backend, fetch_for_keys, numbered_placeholders};
use crate::error::{Error, Result};

/// The feed's last sequence number (0 when it is empty). Sequence numbers
/// become visible in order (each merge takes its numbers from a row it
/// keeps locked until it commits), so every entry up to it has committed.
pub async fn end(conn: &mut AnyConnection) -> Result<u64> {
    let (end,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM feed")
        .fetch_one(&mut *conn)
        .await?;
    Ok(end.map_or(0, |end| end.max(0) as u64))
}

/// The epoch of the database's data (see [`sync_core::FeedCursor`]): 0
/// until it is first restored from a backup.
pub async fn epoch(conn: &mut AnyConnection) -> Result<u64> {
    let (epoch,): (i64,) = sqlx::query_as("SELECT epoch FROM feed_counter WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(epoch.max(0) as u64)
}

/// Starts a new epoch (after a restore): every device's cursor is void,
/// and each sends what it holds again. Returns it.
pub async fn start_epoch(conn: &mut AnyConnection) -> Result<u64> {
    let bytes = super::random_bytes::<8>()?;
    // Positive and never 0, so it fits a BIGINT and differs from "never
    // restored".
    let epoch = (i64::from_le_bytes(bytes) & i64::MAX).max(1);
    sqlx::query("UPDATE feed_counter SET epoch = $1 WHERE id = 1")
        .bind(epoch)
        .execute(&mut *conn)
        .await?;
    Ok(epoch as u64)
}

/// One entry of a feed scan, as stored: read its [`FeedRow::entry`] only
/// for the entries the device may receive.
#[derive(Debug, sqlx::FromRow)]
pub struct FeedRow {
    seq: i64,
    doc_id: String,
    /// 1 for an erasure or a redirect (no changes), else 0.
    tombstone: i64,
    kind: Option<String>,
    /// The record's patch now; a redirect's patch and devices are the
    /// record's when it was merged.
    patch: Option<String>,
    /// The patch the entry is filed under.
    filed_patch: Option<String>,
    devices: Option<String>,
    created_seq: Option<i64>,
    survivor: Option<String>,
}

/// What a feed entry says.
#[derive(Debug)]
pub enum FeedEntry {
    /// `doc` was merged into `to`; `audience` is who could read it then.
    Redirect {
        /// The merged-away record.
        doc: DocId,
        /// The survivor.
        to: DocId,
        /// Who could read the record when it was merged.
        audience: Audience,
    },
    /// `doc` was erased (or these are changes of a document since erased).
    Erasure(DocId),
    /// A stored document moved out of the patch `from` was in: devices
    /// that could read it there, and cannot read it now, drop it.
    Left {
        /// The document.
        doc: DocId,
        /// Who could read it before it moved.
        from: Audience,
        /// Who may read it now.
        audience: Audience,
    },
    /// Changes of a stored document.
    Changes {
        /// The document.
        doc: DocId,
        /// Who may read it.
        audience: Audience,
        /// The sequence number it was created at.
        created_seq: u64,
    },
}

impl FeedRow {
    /// Its sequence number.
    pub fn seq(&self) -> u64 {
        self.seq as u64
    }

    /// What it says.
    pub fn entry(self) -> Result<FeedEntry> {
        let doc: DocId = self
            .doc_id
            .parse()
            .map_err(|_| Error::Corrupt(format!("feed document id {}", self.doc_id)))?;
        if let (1, Some(to), Some(devices)) = (self.tombstone, &self.survivor, &self.devices) {
            return Ok(FeedEntry::Redirect {
                doc,
                to: parse_survivor(to)?,
                audience: audience_from(DocKind::Person.as_str(), self.patch, devices)?,
            });
        }
        match (self.tombstone, self.kind, self.devices, self.created_seq) {
            (0, Some(kind), Some(devices), Some(created_seq)) => Ok(FeedEntry::Changes {
                doc,
                audience: audience_from(&kind, self.patch, &devices)?,
                created_seq: created_seq as u64,
            }),
            // An entry without changes for a document still held.
            (1, Some(kind), Some(devices), Some(_)) => Ok(FeedEntry::Left {
                doc,
                from: audience_from(&kind, self.filed_patch, &devices)?,
                audience: audience_from(&kind, self.patch, &devices)?,
            }),
            _ => Ok(FeedEntry::Erasure(doc)),
        }
    }
}

/// Up to `limit` entries after `since` and up to `end`, in order, leaving
/// out entries a device with `scope` could never receive and those in the
/// `leave_out` runs of sequence numbers (first, last).
///
/// Whether each entry is an erasure is read, not its changes: those are
/// read by [`fetch`] only for what the device receives. The audience comes
/// from the covering index (migration 0007): SQLite is told to use it,
/// since without statistics (a new server) it picks the primary key and
/// then reads every document's bytes to reach `created_seq`.
pub async fn scan(
    conn: &mut AnyConnection,
    since: u64,
    end: u64,
    scope: &Scope,
    leave_out: &[(u64, u64)],
    limit: i64,
) -> Result<Vec<FeedRow>> {
    let hint = match Backend::of(conn) {
        Backend::Sqlite => "INDEXED BY documents_audience",
        Backend::Postgres => "",
    };
    let (filter, values) = scope_filter(scope);
    let leave_out_filter: String = (0..leave_out.len())
        .map(|i| {
            let first = 4 + values.len() + 2 * i;
            format!(" AND f.seq NOT BETWEEN ${first} AND ${}", first + 1)
        })
        .collect();
    let sql = format!(
        "SELECT f.seq AS seq, f.doc_id AS doc_id, \
         CAST(CASE WHEN f.changes IS NULL THEN 1 ELSE 0 END AS BIGINT) AS tombstone, \
         d.kind AS kind, COALESCE(d.patch, r.patch) AS patch, \
         f.patch AS filed_patch, COALESCE(d.devices, r.devices) AS devices, \
         d.created_seq AS created_seq, r.survivor AS survivor \
         FROM feed f LEFT JOIN documents d {hint} ON d.id = f.doc_id \
         LEFT JOIN redirects r ON r.id = f.doc_id \
         WHERE f.seq > $1 AND f.seq <= $2{filter}{leave_out_filter} ORDER BY f.seq LIMIT $3"
    );
    let mut query = sqlx::query_as::<_, FeedRow>(sqlx::AssertSqlSafe(sql))
        .bind(since as i64)
        .bind(end as i64)
        .bind(limit);
    for value in values {
        query = query.bind(value);
    }
    for (first, last) in leave_out {
        query = query.bind(*first as i64).bind(*last as i64);
    }
    Ok(query.fetch_all(&mut *conn).await?)
}

/// The SQL condition (after the feed scan's others) that keeps entries a
/// device with `scope` may receive, and the values it binds from `$4`.
///
/// Entries for other patches (or other youth workers' people) are left out
/// here, so other devices' traffic does not fill every request: a
/// champion's through the feed's own patch column and index, whatever the
/// other patches hold. Erasures and redirects always come back. The exact
/// check is the sync layer's, on what comes back.
fn scope_filter(scope: &Scope) -> (String, Vec<String>) {
    match scope {
        Scope::Admin | Scope::Viewer => (String::new(), Vec::new()),
        Scope::Champion { patches } if patches.is_empty() => {
            (" AND f.patch IS NULL".to_owned(), Vec::new())
        }
        Scope::Champion { patches } => (
            format!(
                " AND (f.patch IS NULL OR f.patch IN ({}))",
                numbered_placeholders(3, patches.len())
            ),
            patches.iter().cloned().collect(),
        ),
        Scope::YouthWorker { device } => (
            " AND (d.id IS NULL OR d.kind IN ('area', 'event', 'group') OR d.devices LIKE $4)"
                .to_owned(),
            vec![format!("%{device}%")],
        ),
    }
}

/// What a feed scan chose to send a device, in feed order.
#[derive(Debug, Clone, Copy)]
pub enum Wanted {
    /// The whole document (the device cannot hold any of it yet).
    Whole(DocId),
    /// A feed entry's changes: the document, and the entry's sequence number.
    Changes(DocId, u64),
}

/// Reads what a feed scan chose, a few statements for the lot, as updates
/// in the order given. A document erased in between is left out: its
/// erasure comes later in the feed.
pub async fn fetch(conn: &mut AnyConnection, wanted: Vec<Wanted>) -> Result<Vec<DocUpdate>> {
    let mut whole_ids = Vec::new();
    let mut seqs = Vec::new();
    for w in &wanted {
        match w {
            Wanted::Whole(doc) => whole_ids.push(doc.to_string()),
            Wanted::Changes(_, seq) => seqs.push(*seq as i64),
        }
    }
    let mut documents: HashMap<String, Vec<u8>> = fetch_for_keys(conn, &whole_ids, |list| {
        format!("SELECT id, bytes FROM documents WHERE id IN ({list})")
    })
    .await?
    .into_iter()
    .collect();
    let mut changes: HashMap<i64, Vec<u8>> = fetch_for_keys(conn, &seqs, |list| {
        format!("SELECT seq, changes FROM feed WHERE seq IN ({list}) AND changes IS NOT NULL")
    })
    .await?
    .into_iter()
    .collect();
    Ok(wanted
        .into_iter()
        .filter_map(|w| match w {
            Wanted::Whole(doc) => documents.remove(&doc.to_string()).map(|bytes| DocUpdate {
                doc,
                changes: bytes,
            }),
            Wanted::Changes(doc, seq) => changes
                .remove(&(seq as i64))
                .map(|changes| DocUpdate { doc, changes }),
        })
        .collect())
}
