//! The database: SQLite (embedded, the default) or PostgreSQL, through sqlx
//! `Any` pools, so every query is written once. Writes go through
//! [`Db::writer`].
//!
//! Queries use `$1`-style parameters, which both databases accept, and only
//! types both share: text, 64-bit integers and byte strings. Statements over
//! a list of values take their placeholders from [`placeholders`] instead.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::{Mutex, MutexGuard, Notify, Semaphore, SemaphorePermit, watch};
use tokio::task::JoinHandle;

use super::erasure_log::ErasureLog;
use crate::error::{Error, Result};

/// Most parameters bound in one statement. Both databases allow far more
/// (SQLite 32,766, PostgreSQL 65,535), but statements of 250 already make
/// the cost per statement small: in the sync benchmark, 1,000 a statement
/// merged only 3% more per second.
///
/// Only a full-size statement over a list stays prepared
/// (`.persistent(chunk.len() == full)`): a shorter one's text depends on
/// how many items are left, and keeping each variant in sqlx's statement
/// cache (one per connection) cost the server a fifth of its memory.
pub const MAX_PARAMS: usize = 250;

/// Placeholders for `count` parameters after the first `skip`, for a
/// statement over a list (`IN (...)`, multi-row `VALUES`) whose parameters
/// all come from this function, each placed once and bound in the order
/// they appear: `?` on SQLite, `$n` on PostgreSQL.
///
/// Why not `$n` on SQLite too: SQLite finds a numbered parameter's name by
/// a linear search, and sqlx asks for the name of every parameter it binds,
/// so binding costs grow with the square of a statement's parameters (a
/// people row cost 94 µs in statements of 4,000 `$n` parameters, 12 µs in
/// statements of 250). `?` has no name to look up: the sync benchmark's
/// ingest rose by about 4% with it, at 250 parameters a statement.
pub fn placeholders(backend: Backend, skip: usize, count: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; count].join(", "),
        Backend::Postgres => numbered_placeholders(skip, count),
    }
}

/// `$n` placeholders for `count` parameters after the first `skip`, on
/// either database: for a list in a statement that has numbered parameters
/// of its own (sqlx would bind `?` beside them out of order). Keep such
/// lists short on SQLite; see [`placeholders`].
pub fn numbered_placeholders(skip: usize, count: usize) -> String {
    (skip + 1..=skip + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the rows of `sql(list)` for every key, a chunk of at most
/// [`MAX_PARAMS`] keys at a time, `list` being the chunk's
/// [`placeholders`], which the query places once and has no other
/// parameters.
pub async fn fetch_for_keys<T, K>(
    conn: &mut AnyConnection,
    keys: &[K],
    sql: impl Fn(&str) -> String,
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    K: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send,
{
    let backend = Backend::of(conn);
    let mut rows = Vec::new();
    for chunk in keys.chunks(MAX_PARAMS) {
        let list = placeholders(backend, 0, chunk.len());
        let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql(&list)))
            .persistent(chunk.len() == MAX_PARAMS);
        for key in chunk {
            query = query.bind(key.clone());
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The database behind `conn`.
    pub fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Self::Sqlite
        } else {
            Self::Postgres
        }
    }
}

/// A connection pool and what the server needs to know about it.
#[derive(Debug)]
pub struct Db {
    /// The pool for reads. Writes begin on [`Db::writer`].
    pub pool: AnyPool,
    /// The database behind it.
    pub backend: Backend,
    /// Where write transactions run: on SQLite a pool of one connection,
    /// on PostgreSQL the pool above. Take it through [`Db::writer`].
    writers: AnyPool,
    /// SQLite allows one writer at a time: the server queues its own write
    /// transactions here instead of failing with "database is locked".
    sqlite_writer: Mutex<()>,
    /// SQLite: requests waiting for [`Db::sqlite_writer`].
    waiting_writers: AtomicUsize,
    /// SQLite: the transaction that merges share, while one is open
    /// ([`Db::shared_writer`]). Only the holder of the writer's turn
    /// touches it.
    shared: std::sync::Mutex<Option<SharedTransaction>>,
    /// SQLite: turns to merge ahead of the writer's lock; see
    /// [`Db::merge_ahead_turn`].
    merging_ahead: Semaphore,
    /// SQLite: told when a writer finishes, so the checkpointer runs.
    written: Arc<Notify>,
    /// SQLite: the task that checkpoints the write-ahead log.
    checkpointer: Option<JoinHandle<()>>,
    /// The area configuration last decoded, with the bytes it came from.
    pub(super) area: super::area::AreaMemo,
    /// Where erasures are logged outside the database, if anywhere.
    erasure_log: Option<ErasureLog>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.abort();
        }
    }
}

/// Write-ahead log pages past which a SQLite commit checkpoints on its own
/// connection, as SQLite does by default at 1,000. Only a safety net: the
/// checkpointer keeps the log far shorter (see [`CHECKPOINT_EVERY`]).
const WAL_SAFETY_PAGES: u32 = 20_000;

/// The page cache of each of SQLite's reading connections, in KiB (SQLite's
/// default is 2,000). In WAL mode a connection empties its cache whenever
/// another connection committed since its last read, so while phones sync,
/// the readers' caches are refilled from the system's file cache after
/// every write whatever their size. At SQLite's default the four readers
/// held about 7 MB, a seventh of the server's memory budget; at 256 KiB the
/// reports at 200,000 people and a first sync of 10,000 people ran as fast
/// (BENCHMARKS.md). The writer keeps SQLite's default: its cache stays warm.
const READER_CACHE_KIB: u32 = 256;

/// The file of a `sqlite://FILE` (or `sqlite:FILE`) URL; `None` for
/// another database, or SQLite in memory.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or("");
    (!file.is_empty() && !file.starts_with(":memory:")).then(|| PathBuf::from(file))
}

/// Rows below which a SQLite table keeps no planner statistics; see
/// [`Db::optimize`].
pub const MIN_ANALYZED_ROWS: i64 = 1_000;

/// Requests that may merge ahead of SQLite's writer at once: one per core
/// on these machines, with the writer's own request beside them.
pub const MERGING_AHEAD: usize = 2;

/// How long [`Db::scrub`] keeps trying to empty SQLite's write-ahead log
/// while other checkpoints run: as long as a statement waits for a lock
/// (`busy_timeout`).
pub const SCRUB_PATIENCE: Duration = Duration::from_secs(10);

/// How long the checkpointer waits for writes to pause, so that a burst of
/// commits shares one checkpoint.
const CHECKPOINT_QUIET: Duration = Duration::from_millis(100);

/// How long the checkpointer lets writes go on without a pause before it
/// checkpoints all the same. A page written again before its checkpoint is
/// copied into the database file once: with 50 phones syncing back to back,
/// checkpointing every second instead of every 100 ms wrote about a fifth
/// fewer bytes a merged change (BENCHMARKS.md); at that rate a second of
/// writes is about 6,000 pages (24 MiB) of log.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies committed pages from SQLite's write-ahead log into the database
/// file after writes, on a connection of its own. SQLite would do it in
/// the commit that filled the log past 1,000 pages, making that request
/// wait: in the sync benchmark a third of commit time was checkpoints. A
/// passive checkpoint waits for no one: pages a reader still needs are
/// left for the next one.
async fn checkpoint_after_writes(pool: AnyPool, written: Arc<Notify>) {
    loop {
        written.notified().await;
        // Until writes pause, or have gone on for `CHECKPOINT_EVERY`.
        let first = Instant::now();
        while first.elapsed() < CHECKPOINT_EVERY
            && tokio::time::timeout(CHECKPOINT_QUIET, written.notified())
                .await
                .is_ok()
        {}
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "checkpointing the write-ahead log failed; SQLite will at commit");
        }
    }
}

/// The server's turn to write, from [`Db::writer`]: begin write
/// transactions on it. On SQLite it holds the writers' lock, and tells the
/// checkpointer on drop that the write is over (committed or not).
#[derive(Debug)]
pub struct Writer<'a> {
    db: &'a Db,
    turn: Option<MutexGuard<'a, ()>>,
}

impl Writer<'_> {
    /// Begins a transaction on the writers' connection.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.db.writers.begin().await?)
    }

    /// The writers' connection, for writes outside a transaction.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.db.writers.acquire().await?)
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if self.turn.take().is_some() {
            self.db.written.notify_one();
        }
    }
}

impl Db {
    /// Connects to `url` (`sqlite://FILE` or `postgres://...`), creating a
    /// SQLite file if it is missing.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL (use sqlite://FILE or postgres://...): {}",
                redact(url)
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| Error::Config(format!("bad database URL {}: {e}", redact(&url))))?;
        let max_connections = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        };
        // `page_cache_kib`: `None` keeps SQLite's default.
        let pool_options = |page_cache_kib: Option<u32>| {
            AnyPoolOptions::new()
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // First, so that the next statements wait for a
                            // writer instead of failing at once: setting the
                            // journal mode takes a lock, and pools open
                            // connections while others write.
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // WAL lets readers run beside the writer; FULL sync
                            // makes a commit durable before the server answers.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA wal_autocheckpoint = {WAL_SAFETY_PAGES}"
                            )))
                            .await?;
                            // Deleted rows are overwritten with zeros, so an
                            // erased person's data does not linger in free pages.
                            conn.execute("PRAGMA secure_delete = ON").await?;
                            // Statement journals (a multi-row statement's undo
                            // log inside a transaction) stay in memory instead
                            // of spilling into temporary files: they were a
                            // fifth of the writer's time in the sync benchmark.
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            if let Some(kib) = page_cache_kib {
                                // Negative: a size in KiB, not in pages.
                                conn.execute(sqlx::AssertSqlSafe(format!(
                                    "PRAGMA cache_size = -{kib}"
                                )))
                                .await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options(Some(READER_CACHE_KIB))
            .max_connections(max_connections)
            .connect_with(options.clone())
            .await?;
        // SQLite empties a connection's page cache when another connection
        // wrote since its last transaction. With writes spread over the
        // pool, every write transaction began cold and read each B-tree
        // page it touched from the file again: under 500 phones, two thirds
        // of the server's CPU was SQLite, a third of that copying pages in.
        // One connection for all writes keeps its cache warm.
        let writers = match backend {
            Backend::Sqlite => {
                pool_options(None)
                    .max_connections(1)
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => pool.clone(),
        };
        let written = Arc::new(Notify::new());
        let checkpointer = (backend == Backend::Sqlite)
            .then(|| tokio::spawn(checkpoint_after_writes(pool.clone(), Arc::clone(&written))));
        Ok(Self {
            pool,
            backend,
            writers,
            sqlite_writer: Mutex::new(()),
            waiting_writers: AtomicUsize::new(0),
            shared: std::sync::Mutex::new(None),
            merging_ahead: Semaphore::new(MERGING_AHEAD),
            written,
            checkpointer,
            area: super::area::AreaMemo::default(),
            erasure_log: sqlite_file(&url).map(|file| ErasureLog::beside(&file)),
        })
    }

    /// The erasure log ([`super::erasure_log`]): beside a SQLite database
    /// file unless set here; nowhere for PostgreSQL unless set.
    pub fn erasure_log(&self) -> Option<&ErasureLog> {
        self.erasure_log.as_ref()
    }

    /// Keeps the erasure log in the file at `path`.
    pub fn log_erasures_to(&mut self, path: impl Into<PathBuf>) {
        self.erasure_log = Some(ErasureLog::at(path));
    }

    /// Keeps the erasure log at `log` instead (`None`: keeps none, as
    /// while a restore makes again what the log already holds).
    pub fn set_erasure_log(&mut self, log: Option<ErasureLog>) {
        self.erasure_log = log;
    }

    /// Closes the database's connections.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite {
            // Returns the shared transaction's connection to its pool.
            drop(self.writer().await);
        }
        self.writers.close().await;
        self.pool.close().await;
    }

    /// SQLite: a turn to read and merge a request's first pushes before it
    /// waits for [`Db::writer`] (the sync layer's batch merge); give it back once the
    /// writer's turn is taken. Only [`MERGING_AHEAD`] requests hold one at
    /// a time, so a crowd of requests waiting for the writer does not hold
    /// a crowd of merged documents in memory.
    pub async fn merge_ahead_turn(&self) -> SemaphorePermit<'_> {
        self.merging_ahead
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }

    /// The server's turn to write: take it before a write transaction, and
    /// begin the transaction on it. On SQLite writers queue here, one at a
    /// time, on one connection, and a transaction that merges left open
    /// for others to share ([`Db::shared_writer`]) is committed first;
    /// PostgreSQL needs no queue (row locks and version checks keep
    /// concurrent merges correct).
    pub async fn writer(&self) -> Writer<'_> {
        let turn = match self.backend {
            Backend::Sqlite => {
                let turn = self.writers_turn().await;
                if let Some(shared) = self.take_shared() {
                    shared.commit().await;
                }
                Some(turn)
            }
            Backend::Postgres => None,
        };
        Writer { db: self, turn }
    }

    /// SQLite: the writer's turn, counted while it is awaited, so that the
    /// writer before knows someone will come after it.
    async fn writers_turn(&self) -> MutexGuard<'_, ()> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.waiting_writers.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting_writers);
        self.sqlite_writer.lock().await
    }

    /// SQLite: the shared transaction, if one is open, taken out for the
    /// holder of the writer's turn.
    fn take_shared(&self) -> Option<SharedTransaction> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// The writer's turn for a merge. On SQLite, in a transaction that
    /// merges share (group commit), opened by the first of them: each
    /// writes in a savepoint of its own, so a failing one takes back only
    /// its own writes, then leaves the transaction open for the request
    /// waiting after it, or commits it when none waits or it has reached
    /// `SHARED_MEMBERS` merges or `SHARED_AGE`. Requests that wait on
    /// each other then share one commit and one `fsync`, and the pages
    /// they all touch (the feed's tail, the tails of every time-ordered
    /// index, the upper levels of each B-tree) go to the log once instead
    /// of once each. [`SharedWriter::commit`] returns only once the shared
    /// transaction is committed: nothing is acknowledged before it is
    /// durable. On PostgreSQL every merge has a transaction of its own.
    pub async fn shared_writer(&self) -> Result<SharedWriter<'_>> {
        if self.backend != Backend::Sqlite {
            return Ok(SharedWriter {
                db: self,
                turn: None,
                shared: None,
                committed: None,
            });
        }
        let turn = self.writers_turn().await;
        let mut shared = match self.take_shared() {
            Some(shared) => shared,
            None => SharedTransaction {
                tx: self.writers.begin().await?,
                members: 0,
                opened: Instant::now(),
                committed: watch::channel(None).0,
            },
        };
        shared.members += 1;
        let committed = shared.committed.subscribe();
        Ok(SharedWriter {
            db: self,
            turn: Some(turn),
            shared: Some(shared),
            committed: Some(committed),
        })
    }
}

/// Merges that may share one transaction at most.
const SHARED_MEMBERS: usize = 8;

/// How long a shared transaction may stay open for more merges to join.
const SHARED_AGE: Duration = Duration::from_millis(200);

/// SQLite: a write transaction that merges share, and the outcome of its
/// commit for those waiting on it.
#[derive(Debug)]
struct SharedTransaction {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Merges written in it so far.
    members: usize,
    opened: Instant,
    /// Set once it is committed: `Ok` if it was, else why not.
    committed: watch::Sender<Option<std::result::Result<(), String>>>,
}

impl SharedTransaction {
    /// Commits it and tells those waiting on it how it went.
    async fn commit(self) {
        let members = self.members;
        let outcome = self.tx.commit().await.map_err(|e| {
            tracing::warn!(error = %e, members, "a shared commit failed");
            e.to_string()
        });
        self.committed.send_replace(Some(outcome));
    }
}

/// A merge's turn to write ([`Db::shared_writer`]).
#[derive(Debug)]
pub struct SharedWriter<'a> {
    db: &'a Db,
    /// SQLite: the writer's turn.
    turn: Option<MutexGuard<'a, ()>>,
    /// SQLite: the shared transaction during this turn. Dropped with the
    /// turn, it is put back for the next writer when other requests' writes
    /// are in it, so that they are committed all the same.
    shared: Option<SharedTransaction>,
    /// SQLite: where the shared transaction's commit is told.
    committed: Option<CommitOutcome>,
}

/// Told a shared transaction's commit: `Ok` if it was, else why not.
type CommitOutcome = watch::Receiver<Option<std::result::Result<(), String>>>;

impl SharedWriter<'_> {
    /// Begins this merge's transaction: on SQLite a savepoint in the shared
    /// transaction, which, dropped without [`sqlx::Transaction::commit`],
    /// takes back this merge's writes only.
    pub async fn begin(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Any>> {
        match &mut self.shared {
            Some(shared) => Ok(sqlx::Connection::begin(&mut *shared.tx).await?),
            None => Ok(self.db.writers.begin().await?),
        }
    }

    /// Ends this merge's turn (its transaction committed, or dropped, before)
    /// and, on SQLite, waits until the shared transaction is committed: at
    /// once if no one waits for the writer or the transaction is full, else
    /// by a writer after it. `Err` if that commit failed: nothing of this
    /// merge is stored then.
    pub async fn commit(mut self) -> Result<()> {
        let db = self.db;
        let (Some(shared), Some(mut committed)) = (self.shared.take(), self.committed.take())
        else {
            return Ok(());
        };
        let full = shared.members >= SHARED_MEMBERS || shared.opened.elapsed() >= SHARED_AGE;
        if full || db.waiting_writers.load(Ordering::SeqCst) == 0 {
            shared.commit().await;
        } else {
            *db.shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shared);
        }
        drop(self.turn.take());
        db.written.notify_one();
        loop {
            if let Some(outcome) = committed.borrow_and_update().clone() {
                return outcome.map_err(|e| {
                    Error::Database(sqlx::Error::Protocol(format!(
                        "the shared commit failed: {e}"
                    )))
                });
            }
            // The writer that was to come next may have given up waiting
            // (its request was dropped): commit it in a turn of our own.
            match tokio::time::timeout(SHARED_AGE, committed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => {
                    return Err(Error::Database(sqlx::Error::Protocol(
                        "the shared transaction was dropped uncommitted".into(),
                    )));
                }
                Err(_) => drop(db.writer().await),
            }
        }
    }
}

impl Drop for SharedWriter<'_> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            // Another merge's writes in it are waiting for its commit: put
            // it back for the next writer (or that merge's own turn after
            // `SHARED_AGE`). Written in by this merge alone, which was not
            // acknowledged (it failed, or its request was dropped), it is
            // dropped, which rolls it back at once, so that it does not hold
            // SQLite's write lock until the next phone syncs.
            if shared.members > 1 {
                *self
                    .db
                    .shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shared);
            }
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A new SQLite database in `dir` (`test.db`), not yet migrated, and its
/// path, for tests.
#[cfg(test)]
pub(crate) async fn test_sqlite(dir: &tempfile::TempDir) -> (Db, std::path::PathBuf) {
    let path = dir.path().join("test.db");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("database");
    (db, path)
}

/// A migrated SQLite database in `dir` (`test.db`), for tests.
#[cfg(test)]
pub(crate) async fn migrated_test_sqlite(dir: &tempfile::TempDir) -> Db {
    let (db, _) = test_sqlite(dir).await;
    db.migrate().await.expect("migrate");
    db
}

#[cfg(test)]
mod tests;
