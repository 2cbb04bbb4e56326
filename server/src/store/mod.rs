//! The store: the only code that knows SQL. Everything the server keeps in
//! SQLite or PostgreSQL is read and written here, through the [`Db`] handle:
//! documents and their change feed, erased ids and redirects ([`documents`],
//! [`feed`]), the area configuration with its decoded memo ([`area`]),
//! devices, invites and dashboard sessions ([`devices`], [`sessions`]), the
//! audit log ([`audit`]), copies for backups ([`backup`]), the erasure log kept outside the database
//! ([`erasure_log`]), the projections ([`projection`]) and the queries
//! the reports run over them ([`report_rows`]), and the database's upkeep
//! ([`maintenance`]: migrations, planner statistics, scrubbing).
//!
//! A stored document is only ever replaced by a merge of what was stored:
//! the functions that write document rows are private to this module, and
//! [`documents::write()`] is the one way in, taking merges from
//! `sync_core::merge_push`.
//!
//! Write functions take the connection of the caller's transaction
//! (`&mut AnyConnection`), so where a transaction begins and ends is
//! visible at the call site, one layer up.

pub mod area;
pub mod audit;
pub mod backup;
mod db;
pub mod devices;
pub mod documents;
pub mod erasure_log;
pub mod feed;
pub mod groups;
pub mod maintenance;
pub mod projection;
pub mod report_rows;
pub mod sessions;
pub mod targets;

pub use db::{
    Backend, Db, MAX_PARAMS, MERGING_AHEAD, MIN_ANALYZED_ROWS, SCRUB_PATIENCE, SharedWriter,
    Writer, fetch_for_keys, numbered_placeholders, placeholders, redact, sqlite_file,
};

#[cfg(test)]
pub(crate) use db::{migrated_test_sqlite, test_sqlite};

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> crate::error::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::error::Error::Config(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A connection, inside a transaction or not (`&mut *tx` of a
/// `sqlx::Transaction` is one).
pub use sqlx::AnyConnection as Connection;

/// A write transaction begun on [`Db::writer`].
pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

/// Commits `tx` if `result` is a success and returns it; otherwise rolls
/// the transaction back at once and returns the failure. A transaction
/// that is only dropped keeps SQLite's write lock until its connection is
/// next used, so a failed one is never left to be dropped.
pub async fn commit_if_ok<T>(
    tx: Transaction,
    result: crate::error::Result<T>,
) -> crate::error::Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}
