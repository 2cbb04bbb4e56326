//! The audit log: who viewed, exported or erased personal data, and when.
//! Entries hold device and record ids, never personal data.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sync_core::{DocId, Timestamp};

use crate::db::Db;
use crate::error::Result;

/// Who acted when it was not a device: the command line.
pub const COMMAND_LINE: &str = "command-line";
/// Who acted when it was not a device: the retention task.
pub const RETENTION: &str = "retention";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A device received records in a sync (the ids are in the detail).
    Received,
    /// Everything about a record was exported (subject access).
    Exported,
    /// A record was erased.
    Erased,
    /// A person was reduced to a do-not-contact entry.
    Suppressed,
    /// A person was anonymised by retention.
    Anonymised,
    /// A device was revoked.
    Revoked,
    /// An invite was made.
    Invited,
    /// A person recorded twice was merged into one (the record is the
    /// merged-away id; the detail, the survivor).
    Merged,
    /// An admin listed likely duplicates (names included).
    ListedDuplicates,
    /// Doors were imported (the detail says how many).
    ImportedAddresses,
}

impl Action {
    /// The stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Exported => "exported",
            Self::Erased => "erased",
            Self::Suppressed => "suppressed",
            Self::Anonymised => "anonymised",
            Self::Revoked => "revoked",
            Self::Invited => "invited",
            Self::Merged => "merged",
            Self::ListedDuplicates => "listed-duplicates",
            Self::ImportedAddresses => "imported-addresses",
        }
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    /// When (ms since the epoch).
    pub at: i64,
    /// The device id, or `command-line` or `retention`.
    pub actor: String,
    /// received, exported, erased, suppressed, anonymised, revoked, invited,
    /// merged, listed-duplicates or imported-addresses.
    pub action: String,
    /// The record concerned, if one.
    pub record_id: Option<String>,
    /// More: the ids received, the new id of a reduced record, ...
    pub detail: String,
}

/// Appends an entry on `conn` (inside the caller's transaction, if any).
pub async fn record_on(
    conn: &mut AnyConnection,
    at: Timestamp,
    actor: &str,
    action: Action,
    record: Option<DocId>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, record_id, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at.as_millis())
    .bind(actor)
    .bind(action.as_str())
    .bind(record.map(|r| r.to_string()))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an entry.
pub async fn record(
    db: &Db,
    at: Timestamp,
    actor: &str,
    action: Action,
    record: Option<DocId>,
    detail: &str,
) -> Result<()> {
    let writer = db.writer().await;
    let mut conn = writer.acquire().await?;
    record_on(&mut conn, at, actor, action, record, detail).await
}

/// The latest `limit` entries, newest first.
pub async fn latest(db: &Db, limit: i64) -> Result<Vec<AuditEntry>> {
    Ok(sqlx::query_as(
        "SELECT at, actor, action, record_id, detail FROM audit_log ORDER BY at DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&db.pool)
    .await?)
}
