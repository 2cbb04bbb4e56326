//! Keeping the database in shape: migrations (and the projection rebuild
//! they may call for), the query planner's statistics, and scrubbing erased
//! data out of the files.

use std::time::Duration;

use super::db::{Backend, Db, MIN_ANALYZED_ROWS, SCRUB_PATIENCE};
use crate::error::{Error, Result};

impl Db {
    /// Brings the schema up to date, and the projections with it.
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_schema().await?;
        let now = sync_core::Clock::now(&sync_core::SystemClock);
        if super::projection::rebuild_if_outdated(self, now).await? {
            tracing::info!(
                version = super::projection::VERSION,
                "rebuilt the projections"
            );
        }
        self.optimize().await
    }

    /// Refreshes the query planner's statistics where they are missing or
    /// stale (SQLite's `PRAGMA optimize`, which bounds its own work). The
    /// reports' plans depend on them: without statistics SQLite may walk
    /// the wrong index first. `serve` calls this after migrating and then
    /// hourly. PostgreSQL's autovacuum does the same on its own.
    ///
    /// Tables of fewer than [`MIN_ANALYZED_ROWS`] rows keep no statistics.
    /// Measured on a new server's few rows, they outlived the rows: told
    /// that `documents` held one row, SQLite read every stored document to
    /// find the ten a sync asked for, and under 500 phones that was most
    /// of the server's time. Without statistics it assumes a table is
    /// large, and looks rows up through their index.
    pub async fn optimize(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let writer = self.writer().await;
        let mut conn = writer.acquire().await?;
        // 0x10002: consider every table, not only those this connection
        // has queried.
        sqlx::query("PRAGMA optimize = 0x10002")
            .execute(&mut *conn)
            .await?;
        // A table's largest count is its own: every index but a partial
        // one holds a row for each of its rows.
        let small = "SELECT tbl FROM sqlite_stat1 GROUP BY tbl \
                     HAVING MAX(CAST(stat AS INTEGER)) < $1";
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let has_stat4: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'",
        )
        .fetch_optional(&mut *tx)
        .await?;
        if has_stat4.is_some() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM sqlite_stat4 WHERE tbl IN ({small})"
            )))
            .bind(MIN_ANALYZED_ROWS)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM sqlite_stat1 WHERE tbl IN ({small})"
        )))
        .bind(MIN_ANALYZED_ROWS)
        .execute(&mut *tx)
        .await?;
        // Each connection reads the statistics with the schema, and again
        // only when the schema changes: an ANALYZE reaches the connection
        // that ran it and no other (sqlx keeps connections for up to half
        // an hour). Changing the schema makes every connection read both
        // again before its next statement.
        sqlx::query("CREATE TABLE statistics_changed (changed INTEGER)")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DROP TABLE statistics_changed")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn migrate_schema(&self) -> Result<()> {
        // A database a newer outreach wrote is refused before anything is
        // changed: migrating it "back" is impossible, and half of it would
        // be misread.
        let version = {
            let mut conn = self.pool.acquire().await?;
            super::backup::schema_version(&mut conn).await?
        };
        let known = super::backup::known_schema_version();
        if version > known {
            return Err(Error::Config(format!(
                "this database was written by a newer outreach (schema {version}; this one knows                  up to {known}): run that version or newer, or restore a backup taken with this one"
            )));
        }
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// After an erasure: makes sure deleted data is gone from the files,
    /// not only from the tables (SQLite: moves the write-ahead log into the
    /// zeroed pages and truncates it; PostgreSQL: rewrites the tables that
    /// held it, dropping dead row versions). `Error::Busy` if SQLite's log
    /// could not be emptied within [`SCRUB_PATIENCE`].
    pub async fn scrub(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // SQLite answers busy at once, and truncates nothing, while
                // another checkpoint runs (the checkpointer's, or another
                // process's): then the erased data stayed in the log. So
                // the answer is read, and the checkpoint tried again.
                let started = tokio::time::Instant::now();
                loop {
                    let (busy, _, _): (i64, i64, i64) =
                        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                            .fetch_one(&self.pool)
                            .await?;
                    if busy == 0 {
                        break;
                    }
                    if started.elapsed() > SCRUB_PATIENCE {
                        tracing::error!(
                            "the write-ahead log could not be emptied after an erasure"
                        );
                        return Err(Error::Busy);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            Backend::Postgres => {
                sqlx::query(
                    "VACUUM FULL documents, feed, people, interactions, stages, roles, events",
                )
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::{MIN_ANALYZED_ROWS, test_sqlite};
    use sqlx::AnyConnection;

    #[tokio::test]
    async fn small_tables_keep_no_statistics_and_every_connection_forgets_them() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, _) = test_sqlite(&dir).await;
        db.migrate().await.expect("migrate");
        let add_documents = |count: i64| {
            sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
                 INSERT INTO documents (id, kind, devices, bytes, version, created_seq, updated_at) \
                 SELECT 'doc-' || (i + (SELECT COUNT(*) FROM documents)), 'person', '', x'00', 1, i, 0 FROM n",
            )
            .bind(count)
            .execute(&db.pool)
        };
        add_documents(1).await.expect("a document");
        async fn plan(conn: &mut AnyConnection) -> String {
            // The server's own statement first: a connection notices a
            // changed schema when a statement reads, which an EXPLAIN does
            // not. Then a plan prepared afresh, not one sqlx kept.
            sqlx::query("SELECT id, bytes, version FROM documents WHERE id IN ('a', 'b')")
                .fetch_all(&mut *conn)
                .await
                .expect("select");
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
                "EXPLAIN QUERY PLAN SELECT id, bytes, version FROM documents WHERE id IN ('a', 'b')",
            )
            .persistent(false)
            .fetch_all(conn)
            .await
            .expect("plan");
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
        }
        let statistics = |table: &'static str| {
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = $1")
                .bind(table)
                .fetch_one(&db.pool)
        };
        // Statistics measured on one row, as `migrate` used to leave them,
        // loaded by a reading connection: it scans the table for two ids.
        let mut reader = db.pool.acquire().await.expect("connection");
        sqlx::query("ANALYZE")
            .execute(&mut *reader)
            .await
            .expect("analyze");
        assert!(plan(&mut reader).await.starts_with("SCAN documents"));

        // Optimizing on another connection drops them, and this one
        // forgets them too.
        db.optimize().await.expect("optimize");
        assert_eq!(statistics("documents").await.expect("count").0, 0);
        let after = plan(&mut reader).await;
        assert!(after.contains("USING INDEX"), "{after}");

        // Once a table is large enough, it keeps them.
        add_documents(MIN_ANALYZED_ROWS).await.expect("documents");
        db.optimize().await.expect("optimize");
        assert!(statistics("documents").await.expect("count").0 > 0);
    }

    #[tokio::test]
    async fn a_scrub_empties_the_log_while_other_checkpoints_run() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, path) = test_sqlite(&dir).await;
        sqlx::query("CREATE TABLE filler (bytes BLOB NOT NULL)")
            .execute(&db.pool)
            .await
            .expect("table");
        // Another process's checkpoints (or this one's checkpointer), as
        // often as they come.
        let other = db.pool.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hammer = tokio::spawn({
            let stop = std::sync::Arc::clone(&stop);
            async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&other)
                        .await
                        .expect("checkpoint");
                }
            }
        });
        let log = path.with_extension("db-wal");
        for round in 0..50 {
            {
                let writer = db.writer().await;
                let mut tx = writer.begin().await.expect("begin");
                sqlx::query("INSERT INTO filler (bytes) VALUES ($1)")
                    .bind(vec![7u8; 20_000])
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
            db.scrub().await.expect("scrub");
            let left = std::fs::metadata(&log).map_or(0, |m| m.len());
            assert_eq!(left, 0, "round {round}: the log still holds {left} bytes");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        hammer.await.expect("checkpoints");
    }
}
