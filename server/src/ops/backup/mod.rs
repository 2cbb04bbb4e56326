//! Backups and restores.
//!
//! A backup is one file: a tar archive holding `manifest.json` (format,
//! schema version, when), a checked copy of the database
//! ([`crate::store::backup`]) and the erasure log as it was then
//! (`erasures.jsonl`), encrypted to age recipients when any are given (an
//! `.age` file then: a copy on a USB stick or a cloud drive is not personal
//! data in the clear). It is written beside its final name and renamed
//! into place only once complete and checked, so a file under a backup's
//! name is always a whole backup.
//!
//! A restore puts the copy back as a new database (never over one that
//! holds records, unless forced), brings its schema up to date, starts a
//! new feed epoch (phones then send everything they hold again, so
//! changes the backup lacks come back from them), and makes again every
//! removal in the erasure log (the backup's copy and the live one) that
//! the backup does not show: a person erased after the backup was taken
//! is erased again, and phones holding them drop them at their next sync.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sync_core::{DocId, Timestamp};

mod archive;

use archive::{unpack, write_archive};

use super::people;
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::backup::{self as copies, BackupRecord, CopyFormat};
use crate::store::erasure_log::{self, Entry, ErasureLog, Removal};
use crate::store::{Db, area, commit_if_ok, documents, feed};

/// The archive format this build writes and reads.
const ARCHIVE_FORMAT: u32 = 1;

/// What a backup says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive's format version; this build writes and reads 1.
    pub format: u32,
    /// The database copy inside.
    pub copy: CopyFormat,
    /// The database's schema version then.
    pub schema_version: i64,
    /// When it was taken (ms since the epoch).
    pub taken_at: i64,
    /// The outreach version that took it.
    pub taken_by: String,
}

/// Age recipients (`age1...` public keys) a backup is encrypted to.
#[derive(Clone, Default)]
pub struct Recipients(Vec<age::x25519::Recipient>);

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recipients({})", self.0.len())
    }
}

impl Recipients {
    /// Parses `age1...` public keys; none means no encryption.
    pub fn parse(keys: &[String]) -> Result<Self> {
        keys.iter()
            .map(|key| {
                age::x25519::Recipient::from_str(key.trim()).map_err(|e| {
                    Error::BadRequest(format!("{key:?} is not an age public key (age1...): {e}"))
                })
            })
            .collect::<Result<_>>()
            .map(Self)
    }

    /// Whether backups are encrypted.
    pub fn encrypts(&self) -> bool {
        !self.0.is_empty()
    }
}

/// A backup taken.
#[derive(Debug, Clone)]
pub struct Taken {
    /// Where it is.
    pub file: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// How long it took.
    pub took: Duration,
    /// Whether it is encrypted.
    pub encrypted: bool,
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backed up to {} ({}{}), checked, in {:.1} s",
            self.file.display(),
            human_bytes(self.bytes),
            if self.encrypted { ", encrypted" } else { "" },
            self.took.as_secs_f64()
        )
    }
}

/// Takes a backup of `db` (connected to `url`) into `file`, which must not
/// exist, while phones go on syncing; logged on behalf of `actor`. The
/// copy passes its integrity check before the backup counts.
pub async fn take(
    db: &Db,
    url: &str,
    file: &Path,
    recipients: &Recipients,
    actor: Actor,
    now: Timestamp,
) -> Result<Taken> {
    let started = Instant::now();
    if file.exists() {
        return Err(Error::BadRequest(format!(
            "{} already exists: choose another name",
            file.display()
        )));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Error::BadRequest(format!(
            "there is no directory {} to write the backup in",
            dir.display()
        )));
    }
    let copy = sibling(file, "copy");
    let partial = sibling(file, "partial");
    let made = async {
        // Left by a backup that was cut short.
        remove_if_there(&copy)?;
        remove_if_there(&partial)?;
        let format = CopyFormat::of(db.backend);
        copies::copy_into(db, url, &copy).await?;
        copies::check_copy(format, &copy, url).await?;
        let schema_version = {
            let mut conn = db.pool.acquire().await?;
            copies::schema_version(&mut conn).await?
        };
        // Read after the copy: it holds every removal the copy shows.
        let erasures = match db.erasure_log() {
            Some(log) => log.bytes()?,
            None => Vec::new(),
        };
        let manifest = Manifest {
            format: ARCHIVE_FORMAT,
            copy: format,
            schema_version,
            taken_at: now.as_millis(),
            taken_by: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let (copy_path, partial_path) = (copy.clone(), partial.clone());
        let recipients = recipients.clone();
        tokio::task::spawn_blocking(move || {
            write_archive(&partial_path, &manifest, &copy_path, &erasures, &recipients)
        })
        .await
        .map_err(|e| Error::Corrupt(format!("the backup's writer failed: {e}")))??;
        copies::sync_file(&partial)?;
        std::fs::rename(&partial, file).map_err(|source| Error::Io {
            context: format!("moving the backup into place at {}", file.display()),
            source,
        })?;
        sync_dir(file)
    }
    .await;
    let _ = std::fs::remove_file(&copy);
    if made.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    made?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let taken = Taken {
        file: file.to_owned(),
        bytes,
        took: started.elapsed(),
        encrypted: recipients.encrypts(),
    };
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let recorded = async {
        let record = BackupRecord {
            taken_at: now.as_millis(),
            file: file.display().to_string(),
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
            encrypted: i64::from(taken.encrypted),
        };
        copies::record(&mut tx, &record).await?;
        audit::record(&mut tx, now, actor, Action::BackedUp, None, &record.file).await
    }
    .await;
    commit_if_ok(tx, recorded).await?;
    Ok(taken)
}

/// The newest database schema this build knows.
pub fn known_schema_version() -> i64 {
    copies::known_schema_version()
}

/// A backup's default name, in the current directory: when it was taken,
/// and `.age` when it is encrypted.
pub fn default_file(now: Timestamp, recipients: &Recipients) -> PathBuf {
    PathBuf::from(file_name(now, recipients))
}

fn file_name(now: Timestamp, recipients: &Recipients) -> String {
    let stamp = crate::calendar::file_stamp(now.as_millis());
    let extension = if recipients.encrypts() {
        "backup.age"
    } else {
        "backup"
    };
    format!("{SCHEDULED_PREFIX}{stamp}.{extension}")
}

/// What an operator watches: the database's size and the last backup.
#[derive(Debug, Clone)]
pub struct Health {
    /// The database's size in bytes.
    pub database_bytes: u64,
    /// The last good backup, if any.
    pub last_backup: Option<BackupRecord>,
}

/// The database's size and its last good backup.
pub async fn health(db: &Db) -> Result<Health> {
    let mut conn = db.pool.acquire().await?;
    Ok(Health {
        database_bytes: copies::database_bytes(&mut conn).await?,
        last_backup: copies::last(&mut conn).await?,
    })
}

/// The last good backup, if any.
pub async fn last(db: &Db) -> Result<Option<BackupRecord>> {
    copies::last(&mut *db.pool.acquire().await?).await
}

/// How scheduled backups are kept.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Where they go.
    pub dir: PathBuf,
    /// How often.
    pub every: Duration,
    /// How many are kept at most.
    pub keep: usize,
    /// Older ones are deleted (an erased person's data lives on in a backup
    /// until then).
    pub max_age_days: i64,
    /// Who they are encrypted to.
    pub recipients: Recipients,
}

/// The name backups start with (scheduled ones are found by it).
const SCHEDULED_PREFIX: &str = "outreach-";

/// Takes one scheduled backup into `schedule.dir` and deletes those past
/// the schedule's count or age. Returns the backup and the files deleted.
pub async fn take_scheduled(
    db: &Db,
    url: &str,
    schedule: &Schedule,
    now: Timestamp,
) -> Result<(Taken, Vec<PathBuf>)> {
    std::fs::create_dir_all(&schedule.dir).map_err(|source| Error::Io {
        context: format!("making the backup directory {}", schedule.dir.display()),
        source,
    })?;
    let file = schedule.dir.join(file_name(now, &schedule.recipients));
    let taken = take(db, url, &file, &schedule.recipients, Actor::Schedule, now).await?;
    let expired = expire(schedule, now)?;
    Ok((taken, expired))
}

/// Deletes scheduled backups past the schedule's count or age; the newest
/// is always kept.
fn expire(schedule: &Schedule, now: Timestamp) -> Result<Vec<PathBuf>> {
    let listing = std::fs::read_dir(&schedule.dir).map_err(|source| Error::Io {
        context: format!("listing {}", schedule.dir.display()),
        source,
    })?;
    let mut backups: Vec<(std::time::SystemTime, PathBuf)> = listing
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(SCHEDULED_PREFIX)
                && (name.ends_with(".backup") || name.ends_with(".backup.age"))
        })
        .filter_map(|entry| {
            let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
            Some((modified, entry.path()))
        })
        .collect();
    backups.sort_by_key(|b| std::cmp::Reverse(b.0));
    let oldest_kept = std::time::UNIX_EPOCH
        + Duration::from_millis(
            u64::try_from(now.plus_days(-schedule.max_age_days).as_millis()).unwrap_or(0),
        );
    let mut deleted = Vec::new();
    for (index, (modified, path)) in backups.into_iter().enumerate() {
        // The newest, just taken, stays whatever its age.
        if index > 0 && (index >= schedule.keep || modified < oldest_kept) {
            std::fs::remove_file(&path).map_err(|source| Error::Io {
                context: format!("deleting the expired backup {}", path.display()),
                source,
            })?;
            deleted.push(path);
        }
    }
    Ok(deleted)
}

/// What a restore did.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// The schema version of the backup.
    pub schema_from: i64,
    /// The schema version after migrating it.
    pub schema_to: i64,
    /// When the backup was taken (ms since the epoch).
    pub taken_at: i64,
    /// A SQLite database that was there, kept under this name.
    pub kept: Option<PathBuf>,
    /// People erased again.
    pub erased: usize,
    /// People reduced to do-not-contact entries again.
    pub suppressed: usize,
    /// People anonymised again.
    pub anonymised: usize,
    /// Merges made again.
    pub merged: usize,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "restored the backup of {} (schema {} -> {}); made again since: {} erasures, \
             {} suppressions, {} anonymisations, {} merges. Phones send what they hold \
             again at their next sync.",
            crate::calendar::date_time(self.taken_at),
            self.schema_from,
            self.schema_to,
            self.erased,
            self.suppressed,
            self.anonymised,
            self.merged
        )?;
        if let Some(kept) = &self.kept {
            write!(
                f,
                " The database that was there is kept as {}.",
                kept.display()
            )?;
        }
        Ok(())
    }
}

/// Restores the backup `archive` as the database at `url`, decrypting it
/// with the age identities in `identity` if it is encrypted. Refuses a
/// database that holds records unless `force`. `live_log` is the file of
/// the erasure log of the database being replaced (beside a SQLite file
/// unless given): its removals are made again too, and it is rewritten to
/// hold the backup's as well.
pub async fn restore(
    url: &str,
    archive: &Path,
    identity: Option<&Path>,
    force: bool,
    live_log: Option<&Path>,
    now: Timestamp,
) -> Result<Restored> {
    if !force && copies::holds_records(url).await? {
        return Err(Error::BadRequest(format!(
            "{} holds records: restore into a new database, or add --force to replace it \
             (stop the server first)",
            crate::store::redact(url)
        )));
    }
    let live_log = live_log
        .map(ErasureLog::at)
        .or_else(|| crate::store::sqlite_file(url).map(|file| ErasureLog::beside(&file)));
    let scratch = scratch_dir(url)?;
    let unpacked = {
        let (archive, identity, scratch) = (
            archive.to_owned(),
            identity.map(Path::to_owned),
            scratch.path().to_owned(),
        );
        tokio::task::spawn_blocking(move || unpack(&archive, identity.as_deref(), &scratch))
            .await
            .map_err(|e| Error::Corrupt(format!("the backup's reader failed: {e}")))??
    };
    let known = copies::known_schema_version();
    if unpacked.manifest.schema_version > known {
        return Err(Error::Config(format!(
            "this backup was taken by a newer outreach (schema {}; this one knows up to {known}): \
             restore it with that version",
            unpacked.manifest.schema_version
        )));
    }
    copies::check_copy(unpacked.manifest.copy, &unpacked.copy, url).await?;
    let kept = copies::restore_copy(unpacked.manifest.copy, &unpacked.copy, url).await?;

    let mut db = Db::connect(url).await?;
    // The removals are made again below from the logs, not logged again.
    db.set_erasure_log(None);
    db.migrate().await?;
    feed::start_epoch(&mut *db.writer().await.acquire().await?).await?;
    let mut entries = erasure_log::parse(&unpacked.erasures[..], "in the backup")?;
    if let Some(log) = &live_log {
        entries.extend(log.read()?);
    }
    entries.sort_by_key(|e| e.at);
    entries.dedup();
    let mut restored = replay(&db, &entries, now).await?;
    restored.schema_from = unpacked.manifest.schema_version;
    restored.schema_to = known;
    restored.taken_at = unpacked.manifest.taken_at;
    restored.kept = kept;
    if let Some(log) = &live_log {
        rewrite_log(log, &entries)?;
    }
    {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let detail = archive.display().to_string();
        let logged = audit::record(
            &mut tx,
            now,
            Actor::CommandLine,
            Action::Restored,
            None,
            &detail,
        )
        .await;
        commit_if_ok(tx, logged).await?;
    }
    db.scrub().await?;
    db.close().await;
    Ok(restored)
}

/// Makes again each removal in `entries` (oldest first) that the restored
/// database does not show yet.
async fn replay(db: &Db, entries: &[Entry], now: Timestamp) -> Result<Restored> {
    let mut done = Restored::default();
    let by = area::server_device(db).await?;
    for entry in entries {
        let held = |id: DocId| async move {
            let mut conn = db.pool.acquire().await?;
            Ok::<_, Error>(documents::bytes(&mut conn, id).await?.is_some())
        };
        match entry.removal {
            Removal::Erased => {
                let mut conn = db.pool.acquire().await?;
                if !documents::is_erased(&mut conn, entry.record).await? {
                    drop(conn);
                    people::erase(db, Actor::Restore, entry.record, now).await?;
                    done.erased += 1;
                }
            }
            Removal::Suppressed if held(entry.record).await? => {
                people::suppress(db, Actor::Restore, entry.record, now).await?;
                done.suppressed += 1;
            }
            Removal::Anonymised if held(entry.record).await? => {
                super::retention::anonymise(db, entry.record, by, Actor::Restore, now).await?;
                done.anonymised += 1;
            }
            // Not in the backup: it must not arrive from a phone either.
            Removal::Suppressed | Removal::Anonymised => {
                let mut conn = db.pool.acquire().await?;
                if !documents::is_erased(&mut conn, entry.record).await? {
                    drop(conn);
                    people::erase(db, Actor::Restore, entry.record, now).await?;
                    done.erased += 1;
                }
            }
            Removal::Merged => {
                if let Some(survivor) = entry.into
                    && held(entry.record).await?
                    && held(survivor).await?
                {
                    people::merge(db, Actor::Restore, survivor, entry.record, now).await?;
                    done.merged += 1;
                }
            }
        }
    }
    Ok(done)
}

/// Replaces the log's file by `entries`, atomically.
fn rewrite_log(log: &ErasureLog, entries: &[Entry]) -> Result<()> {
    let partial = sibling(log.path(), "partial");
    let mut text = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut text, entry).map_err(|e| Error::Corrupt(e.to_string()))?;
        text.push(b'\n');
    }
    std::fs::write(&partial, &text)
        .and_then(|()| std::fs::File::open(&partial).and_then(|f| f.sync_all()))
        .and_then(|()| std::fs::rename(&partial, log.path()))
        .map_err(|source| Error::Io {
            context: format!("writing the erasure log {}", log.path().display()),
            source,
        })
}

/// A scratch directory for an unpacked backup: beside a SQLite target (the
/// same disk, which has room for the database), else the system's.
fn scratch_dir(url: &str) -> Result<tempfile::TempDir> {
    let parent = crate::store::sqlite_file(url)
        .and_then(|f| f.parent().map(Path::to_owned))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(std::env::temp_dir);
    tempfile::Builder::new()
        .prefix(".outreach-restore-")
        .tempdir_in(&parent)
        .map_err(|source| Error::Io {
            context: format!("making a scratch directory in {}", parent.display()),
            source,
        })
}

/// `file` with `.suffix` added, in the same directory.
fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Io {
            context: format!("removing {}", path.display()),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Flushes the directory holding `file`, so its new name survives a crash.
fn sync_dir(file: &Path) -> Result<()> {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| Error::Io {
            context: format!("flushing {}", dir.display()),
            source,
        })
}

/// A size for people: bytes, KB, MB or GB.
pub fn human_bytes(bytes: u64) -> String {
    let units = [("GB", 1e9), ("MB", 1e6), ("KB", 1e3)];
    for (unit, size) in units {
        if bytes as f64 >= size {
            return format!("{:.1} {unit}", bytes as f64 / size);
        }
    }
    format!("{bytes} bytes")
}
