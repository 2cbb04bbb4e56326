//! The database's own tests: URLs, placeholders, page caches, the
//! checkpointer and group commit.

use super::{Backend, READER_CACHE_KIB, numbered_placeholders, placeholders, redact, test_sqlite};

#[test]
fn passwords_are_redacted_from_urls() {
    assert_eq!(
        redact("postgres://u:secret@h:5/db"),
        "postgres://u:***@h:5/db"
    );
    assert_eq!(redact("sqlite://outreach.db"), "sqlite://outreach.db");
}

#[test]
fn list_placeholders_are_anonymous_on_sqlite_and_numbered_on_postgres() {
    assert_eq!(placeholders(Backend::Sqlite, 2, 3), "?, ?, ?");
    assert_eq!(placeholders(Backend::Postgres, 2, 3), "$3, $4, $5");
    assert_eq!(placeholders(Backend::Postgres, 0, 0), "");
    assert_eq!(placeholders(Backend::Sqlite, 0, 0), "");
    assert_eq!(numbered_placeholders(3, 2), "$4, $5");
}

#[tokio::test]
async fn sqlite_readers_keep_a_small_page_cache_and_the_writer_the_default() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, _) = test_sqlite(&dir).await;
    async fn cache_size(pool: &sqlx::AnyPool) -> i64 {
        let (size,): (i64,) = sqlx::query_as("PRAGMA cache_size")
            .fetch_one(pool)
            .await
            .expect("cache size");
        size
    }
    assert_eq!(cache_size(&db.pool).await, -i64::from(READER_CACHE_KIB));
    assert_eq!(cache_size(&db.writers).await, -2_000, "SQLite's default");
}

/// A new SQLite database in `dir` with a table to fill, and its path.
async fn fillable_sqlite(dir: &tempfile::TempDir) -> (super::Db, std::path::PathBuf) {
    let (db, path) = test_sqlite(dir).await;
    sqlx::query("CREATE TABLE filler (bytes BLOB NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    (db, path)
}

/// Writes `rows` rows of 4,000 bytes in one transaction of the server's
/// writer, which tells the checkpointer.
async fn fill(db: &super::Db, rows: usize) {
    let writer = db.writer().await;
    let mut tx = writer.begin().await.expect("begin");
    for _ in 0..rows {
        sqlx::query("INSERT INTO filler (bytes) VALUES ($1)")
            .bind(vec![7u8; 4_000])
            .execute(&mut *tx)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
}

/// SQLite alone would leave these pages in the log (its own threshold
/// is raised to `WAL_SAFETY_PAGES`): the checkpointer moves them into
/// the database file soon after the write.
#[tokio::test]
async fn sqlite_checkpoints_the_log_after_a_write() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, path) = fillable_sqlite(&dir).await;
    let file_size = || std::fs::metadata(&path).expect("database file").len();
    let before = file_size();
    fill(&db, 200).await;
    // Bounded: the checkpoint is due after a tenth of a second.
    for _ in 0..100 {
        if file_size() > before + 500_000 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the write-ahead log was not checkpointed within 10 s");
}

/// Writes that never pause for `CHECKPOINT_QUIET` are checkpointed all
/// the same, after `CHECKPOINT_EVERY`: the log does not grow until
/// SQLite's own threshold checkpoints inside a request's commit.
#[tokio::test]
async fn sqlite_checkpoints_the_log_while_writes_go_on() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, path) = fillable_sqlite(&dir).await;
    let file_size = || std::fs::metadata(&path).expect("database file").len();
    let before = file_size();
    // Bounded: 500 writes of 40 KB, a write every 20 ms or so, about 10 s
    // and 20 MB in all (under `WAL_SAFETY_PAGES`).
    for _ in 0..500 {
        fill(&db, 10).await;
        if file_size() > before + 500_000 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("writes without a pause were not checkpointed within 10 s");
}

/// Group commit: a merge that another waits behind leaves the shared
/// transaction open and is not done until the one after commits it; a
/// merge that fails takes back only its own writes.
#[tokio::test]
async fn merges_share_a_commit_and_a_failed_one_takes_back_only_its_own() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, path) = test_sqlite(&dir).await;
    // Spawned merges borrow it for as long as the test runs.
    let db: &'static super::Db = Box::leak(Box::new(db));
    sqlx::query("CREATE TABLE written (name TEXT NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    async fn write(tx: &mut sqlx::AnyConnection, name: &str) {
        sqlx::query("INSERT INTO written (name) VALUES ($1)")
            .bind(name)
            .execute(tx)
            .await
            .expect("insert");
    }
    async fn committed(db: &super::Db) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM written ORDER BY name")
            .fetch_all(&db.pool)
            .await
            .expect("names")
    }

    let mut first = db.shared_writer().await.expect("first turn");
    let mut tx = first.begin().await.expect("savepoint");
    write(&mut tx, "first").await;
    tx.commit().await.expect("release");
    // The second merge waits for the writer's turn meanwhile.
    let (taken, turn_taken) = tokio::sync::oneshot::channel();
    let (go_on, told_to_go_on) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(async move {
        let mut second = db.shared_writer().await.expect("second turn");
        taken.send(()).expect("told");
        told_to_go_on.await.expect("go on");
        let mut tx = second.begin().await.expect("savepoint");
        write(&mut tx, "failed").await;
        // It fails: its savepoint is dropped, not released.
        drop(tx);
        second.commit().await
    });
    while db.waiting_writers.load(super::Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let first = tokio::spawn(first.commit());
    turn_taken.await.expect("the second has the turn");
    assert!(
        committed(db).await.is_empty(),
        "nothing is committed while the second merge writes"
    );
    assert!(!first.is_finished(), "the first is not acknowledged yet");
    go_on.send(()).expect("go on");
    second.await.expect("second").expect("the shared commit");
    first.await.expect("first").expect("the shared commit");
    assert_eq!(committed(db).await, vec!["first".to_owned()]);

    // A merge alone in the shared transaction that is dropped before
    // its commit (its request failed or went away) takes its writes
    // back at once: it does not hold the write lock for another process.
    let mut alone = db.shared_writer().await.expect("a turn alone");
    let mut tx = alone.begin().await.expect("savepoint");
    write(&mut tx, "abandoned").await;
    tx.commit().await.expect("release");
    drop(alone);
    use sqlx::ConnectOptions;
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .busy_timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
        .expect("another connection");
    sqlx::query("INSERT INTO written (name) VALUES ('other')")
        .execute(&mut other)
        .await
        .expect("another process can write at once");
    assert_eq!(
        committed(db).await,
        vec!["first".to_owned(), "other".to_owned()]
    );
}
