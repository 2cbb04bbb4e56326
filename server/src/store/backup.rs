//! Copies of the whole database for backups, and putting one back: SQLite
//! copies itself (`VACUUM INTO`, a consistent snapshot taken while others
//! write); PostgreSQL through `pg_dump` and `pg_restore` in their custom
//! format. Each copy is checked before it counts.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use sqlx::{AnyConnection, Connection as _};

use super::db::{Backend, Db, redact, sqlite_file};
use crate::error::{Error, Result};

/// What a copy of the database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyFormat {
    /// A SQLite database file.
    Sqlite,
    /// A `pg_dump --format=custom` archive.
    PostgresDump,
}

impl CopyFormat {
    /// The copy format of a database.
    pub fn of(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::Sqlite,
            Backend::Postgres => Self::PostgresDump,
        }
    }
}

/// The newest schema this build knows (the last migration's number).
pub fn known_schema_version() -> i64 {
    // Both databases have the same migrations, numbered alike.
    sqlx::migrate!("migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The schema version a database is at (0 before its first migration).
pub async fn schema_version(conn: &mut AnyConnection) -> Result<i64> {
    let applied: std::result::Result<(Option<i64>,), _> =
        sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await;
    match applied {
        Ok((version,)) => Ok(version.unwrap_or(0)),
        // No migrations table yet: a new database.
        Err(sqlx::Error::Database(_)) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// Copies the database at `url` (which `db` is connected to) into `file`,
/// which must not exist, as it is at one moment while others go on writing.
pub async fn copy_into(db: &Db, url: &str, file: &Path) -> Result<()> {
    match db.backend {
        Backend::Sqlite => {
            // SQLite reads one snapshot for the whole copy; writers carry on.
            let path = file.to_str().ok_or_else(|| {
                Error::Config(format!("the backup path {} is not text", file.display()))
            })?;
            sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(&db.pool)
                .await?;
            Ok(())
        }
        Backend::Postgres => {
            let target = format!("--file={}", file.display());
            run_tool(
                "pg_dump",
                &["--format=custom", "--no-password", &target, &dbname(url)],
                url,
            )
            .await
        }
    }
}

/// Checks a copy made by [`copy_into`]: SQLite's `integrity_check` on the
/// copy, or `pg_restore --list` reading the whole archive.
pub async fn check_copy(format: CopyFormat, file: &Path, url: &str) -> Result<()> {
    match format {
        CopyFormat::Sqlite => {
            let mut conn = open_sqlite_read_only(file).await?;
            let problems: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                .fetch_all(&mut conn)
                .await?;
            conn.close().await?;
            match problems.as_slice() {
                [(ok,)] if ok == "ok" => Ok(()),
                _ => Err(Error::Corrupt(format!(
                    "the copy failed SQLite's integrity check: {}",
                    problems
                        .iter()
                        .map(|(p,)| p.as_str())
                        .take(5)
                        .collect::<Vec<_>>()
                        .join("; ")
                ))),
            }
        }
        CopyFormat::PostgresDump => {
            let archive = file.display().to_string();
            run_tool("pg_restore", &["--list", &archive], url).await
        }
    }
}

/// Whether the database at `url` holds any record: a restore over it
/// would lose them.
pub async fn holds_records(url: &str) -> Result<bool> {
    if let Some(file) = sqlite_file(url)
        && !file.exists()
    {
        return Ok(false);
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let held: std::result::Result<(i64,), _> =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM documents")
            .fetch_one(&mut conn)
            .await;
    conn.close().await?;
    match held {
        Ok((n,)) => Ok(n > 0),
        // No documents table: never migrated, nothing to lose.
        Err(sqlx::Error::Database(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Puts a copy back as the database at `url`. A SQLite file already there
/// is kept beside it, renamed (returned), never deleted; a PostgreSQL
/// database must exist, and its tables are replaced.
pub async fn restore_copy(format: CopyFormat, copy: &Path, url: &str) -> Result<Option<PathBuf>> {
    match (format, sqlite_file(url)) {
        (CopyFormat::Sqlite, Some(target)) => {
            let with_suffix = |path: &Path, suffix: &str| {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                PathBuf::from(name)
            };
            let kept = if target.exists() {
                let now = sync_core::Clock::now(&sync_core::SystemClock).as_millis();
                let stamp = crate::calendar::file_stamp(now);
                let kept = with_suffix(&target, &format!(".before-restore-{stamp}"));
                rename(&target, &kept)?;
                Some(kept)
            } else {
                None
            };
            // The old database's log (committed writes not yet copied into
            // its file) goes with it; its shared memory is rebuilt from
            // the log. Left here, either would be read as the new one's.
            for suffix in ["-wal", "-journal", "-shm"] {
                let file = with_suffix(&target, suffix);
                if !file.exists() {
                    continue;
                }
                match (&kept, suffix) {
                    (Some(kept), "-wal" | "-journal") => rename(&file, &with_suffix(kept, suffix))?,
                    _ => std::fs::remove_file(&file).map_err(|source| Error::Io {
                        context: format!("removing {}", file.display()),
                        source,
                    })?,
                }
            }
            std::fs::copy(copy, &target).map_err(|source| Error::Io {
                context: format!("writing {}", target.display()),
                source,
            })?;
            sync_file(&target)?;
            Ok(kept)
        }
        (CopyFormat::PostgresDump, None) if !url.starts_with("sqlite:") => {
            let archive = copy.display().to_string();
            run_tool(
                "pg_restore",
                &[
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    &dbname(url),
                    &archive,
                ],
                url,
            )
            .await?;
            Ok(None)
        }
        (CopyFormat::Sqlite, None) => Err(Error::BadRequest(format!(
            "this backup is of a SQLite database: restore it to a sqlite://FILE URL, not {}",
            redact(url)
        ))),
        (CopyFormat::PostgresDump, _) => Err(Error::BadRequest(format!(
            "this backup is of a PostgreSQL database: restore it to a postgres:// URL, not {}",
            redact(url)
        ))),
    }
}

/// A connection to a SQLite file that only reads it.
async fn open_sqlite_read_only(file: &Path) -> Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", file.display());
    Ok(sqlx::AnyConnection::connect(&url).await?)
}

fn dbname(url: &str) -> String {
    format!("--dbname={url}")
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| Error::Io {
        context: format!("moving {} to {}", from.display(), to.display()),
        source,
    })
}

/// Flushes a written file to disk.
pub fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|source| Error::Io {
            context: format!("flushing {}", path.display()),
            source,
        })
}

/// Runs a PostgreSQL tool, saying plainly what to install or run when it
/// is missing, and what it said when it failed (the URL's password never
/// shown).
async fn run_tool(tool: &str, args: &[&str], url: &str) -> Result<()> {
    let output = tokio::process::Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let shown: Vec<String> = args.iter().map(|a| redact(a)).collect();
            return Err(Error::Config(format!(
                "{tool} is not installed here (Debian: apt install postgresql-client); \
                 it is what backs up and restores PostgreSQL. Install it, or run by hand: \
                 {tool} {}",
                shown.join(" ")
            )));
        }
        Err(source) => {
            return Err(Error::Io {
                context: format!("running {tool}"),
                source,
            });
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr).replace(url, &redact(url));
    Err(Error::Config(format!(
        "{tool} failed ({}): {}",
        output.status,
        said.trim()
    )))
}

/// A good backup, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct BackupRecord {
    /// When it was taken (ms since the epoch).
    pub taken_at: i64,
    /// Where it was written.
    pub file: String,
    /// Its size in bytes.
    pub bytes: i64,
    /// 1 if it is encrypted.
    pub encrypted: i64,
}

/// Records a good backup, in the caller's transaction.
pub async fn record(conn: &mut AnyConnection, backup: &BackupRecord) -> Result<()> {
    sqlx::query("INSERT INTO backups (taken_at, file, bytes, encrypted) VALUES ($1, $2, $3, $4)")
        .bind(backup.taken_at)
        .bind(&backup.file)
        .bind(backup.bytes)
        .bind(backup.encrypted)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The last good backup, if any was taken.
pub async fn last(conn: &mut AnyConnection) -> Result<Option<BackupRecord>> {
    Ok(sqlx::query_as(
        "SELECT taken_at, file, bytes, encrypted FROM backups ORDER BY taken_at DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// The database's size in bytes.
pub async fn database_bytes(conn: &mut AnyConnection) -> Result<u64> {
    let bytes: i64 = match Backend::of(conn) {
        Backend::Sqlite => {
            let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
                .fetch_one(&mut *conn)
                .await?;
            let (size,): (i64,) = sqlx::query_as("PRAGMA page_size")
                .fetch_one(&mut *conn)
                .await?;
            pages * size
        }
        Backend::Postgres => {
            let (size,): (i64,) =
                sqlx::query_as("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
                    .fetch_one(&mut *conn)
                    .await?;
            size
        }
    };
    Ok(bytes.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_postgres_tool_says_what_to_install_and_run() {
        let url = "postgres://outreach:secret@db.example/outreach";
        let error = run_tool("outreach-no-such-tool", &["--list", &dbname(url)], url)
            .await
            .expect_err("not installed");
        let said = error.to_string();
        assert!(said.contains("apt install postgresql-client"), "{said}");
        assert!(
            said.contains("--dbname=postgres://outreach:***@db.example/outreach"),
            "{said}"
        );
        assert!(!said.contains("secret"), "{said}");
    }

    #[tokio::test]
    async fn a_sqlite_copy_is_checked_and_knows_its_schema() {
        let dir = tempfile::tempdir().expect("a directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let copy = dir.path().join("copy.db");
        copy_into(&db, &url, &copy).await.expect("copied");
        check_copy(CopyFormat::Sqlite, &copy, &url)
            .await
            .expect("checked");
        let mut conn = open_sqlite_read_only(&copy).await.expect("the copy opens");
        assert_eq!(
            schema_version(&mut conn).await.expect("its version"),
            known_schema_version()
        );
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, vec![7u8; 8192]).expect("garbage");
        assert!(
            check_copy(CopyFormat::Sqlite, &garbage, &url)
                .await
                .is_err()
        );
    }
}
