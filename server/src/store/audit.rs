//! The audit log: who viewed, exported, erased or changed what, and when.
//! Entries hold device and record ids, never personal data. Entries are
//! written inside the transaction of what they record (see `crate::ops`).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sync_core::{DeviceId, DocId, Timestamp};

use super::Db;
use crate::error::Result;

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A device (a phone, or a dashboard session's device).
    Device(DeviceId),
    /// Someone at the server's command line.
    CommandLine,
    /// The retention task.
    Retention,
    /// A restore from a backup, making again the erasures the backup lacks.
    Restore,
    /// The server's scheduled backups.
    Schedule,
}

impl std::fmt::Display for Actor {
    /// As stored: the device id, `command-line`, `retention`, `restore` or
    /// `schedule`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Device(id) => id.fmt(f),
            Self::CommandLine => f.write_str("command-line"),
            Self::Retention => f.write_str("retention"),
            Self::Restore => f.write_str("restore"),
            Self::Schedule => f.write_str("schedule"),
        }
    }
}

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
    /// People were imported from a partnership's records (the detail says
    /// how many).
    ImportedPeople,
    /// The area configuration changed (the detail says what).
    ChangedArea,
    /// An event was created.
    CreatedEvent,
    /// An event's details changed.
    ChangedEvent,
    /// A door was marked do-not-knock, or the mark taken off (the detail).
    MarkedDoor,
    /// A device registered with an invite (the actor is the new device;
    /// the detail, its role).
    Registered,
    /// A device signed in to the dashboard.
    SignedIn,
    /// A device signed out of the dashboard.
    SignedOut,
    /// An unused invite was cancelled (the detail is its id).
    CancelledInvite,
    /// A copy of the whole database was taken (the detail is the file).
    BackedUp,
    /// The database was restored from a backup (the detail is the file).
    Restored,
    /// An admin changed a person's details (the detail names which, never
    /// their values).
    ChangedPerson,
    /// An admin searched people by name or contact details (the detail is
    /// how many were found; never the search, which may be a name).
    SearchedPeople,
    /// An admin opened one person's details.
    ViewedPerson,
    /// An admin listed who holds the partnership's seats and offices
    /// (names included; the detail is how many).
    ListedBoard,
    /// A working group was created.
    CreatedGroup,
    /// A working group's details changed, or it closed or opened again
    /// (the detail).
    ChangedGroup,
    /// An admin listed a working group's members (names included; the
    /// detail is how many).
    ListedGroupMembers,
    /// A target on a headline figure was set or removed (the detail names
    /// the report and figure).
    ChangedTarget,
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
            Self::ImportedPeople => "imported-people",
            Self::ChangedArea => "changed-area",
            Self::CreatedEvent => "created-event",
            Self::ChangedEvent => "changed-event",
            Self::MarkedDoor => "marked-door",
            Self::Registered => "registered",
            Self::SignedIn => "signed-in",
            Self::SignedOut => "signed-out",
            Self::CancelledInvite => "cancelled-invite",
            Self::BackedUp => "backed-up",
            Self::Restored => "restored",
            Self::ChangedPerson => "changed-person",
            Self::SearchedPeople => "searched-people",
            Self::ViewedPerson => "viewed-person",
            Self::ListedBoard => "listed-board",
            Self::CreatedGroup => "created-group",
            Self::ChangedGroup => "changed-group",
            Self::ListedGroupMembers => "listed-group-members",
            Self::ChangedTarget => "changed-target",
        }
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    /// When (ms since the epoch).
    pub at: i64,
    /// The device id, or `command-line`, `retention`, `restore` or
    /// `schedule`.
    pub actor: String,
    /// received, exported, erased, suppressed, anonymised, revoked, invited,
    /// merged, listed-duplicates, imported-addresses, imported-people, changed-area,
    /// created-event, changed-event, marked-door, registered, signed-in,
    /// signed-out, cancelled-invite, backed-up, restored, changed-person,
    /// searched-people, viewed-person, listed-board, created-group,
    /// changed-group, listed-group-members or changed-target.
    pub action: String,
    /// The record concerned, if one.
    pub record_id: Option<String>,
    /// More: the ids received, the new id of a reduced record, ...
    pub detail: String,
}

/// Appends an entry on `conn`, inside the transaction of what it records.
pub async fn record(
    conn: &mut AnyConnection,
    at: Timestamp,
    actor: Actor,
    action: Action,
    record: Option<DocId>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, record_id, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at.as_millis())
    .bind(actor.to_string())
    .bind(action.as_str())
    .bind(record.map(|r| r.to_string()))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The latest `limit` entries, the last written first.
pub async fn latest(db: &Db, limit: i64) -> Result<Vec<AuditEntry>> {
    Ok(sqlx::query_as(
        "SELECT at, actor, action, record_id, detail FROM audit_log ORDER BY id DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&db.pool)
    .await?)
}
