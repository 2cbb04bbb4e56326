//! The erasure log: every use case that removes a person's data (erasure,
//! suppression, anonymisation, a merge), appended to a file outside the
//! database, one JSON line each, and copied into every backup. Restoring a
//! backup makes each one again that the backup does not show, so a person
//! erased after the backup was taken is erased again (UK GDPR: an erasure
//! must survive a restore). It holds ids and times, never personal data.
//!
//! The file sits next to a SQLite database (`FILE.erasures`), or where
//! `--erasure-log` says; keep it off the database's disk if you can, as a
//! backup's copy is only as new as the backup.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sync_core::{DocId, Timestamp};

use crate::error::{Error, Result};

/// What removed the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Removal {
    /// The record was erased.
    Erased,
    /// The person objected: reduced to a do-not-contact entry.
    Suppressed,
    /// Retention anonymised the person.
    Anonymised,
    /// The record was merged into `into`.
    Merged,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When (ms since the epoch).
    pub at: i64,
    /// What was done.
    pub removal: Removal,
    /// The record whose data went.
    pub record: DocId,
    /// The survivor of a merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<DocId>,
}

impl Entry {
    /// An entry for `removal` of `record` at `at`.
    pub fn new(at: Timestamp, removal: Removal, record: DocId) -> Self {
        Self {
            at: at.as_millis(),
            removal,
            record,
            into: None,
        }
    }
}

/// The log's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureLog {
    path: PathBuf,
}

impl ErasureLog {
    /// The log at `path` (created at the first entry).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The log that belongs beside a SQLite database file.
    pub fn beside(database: &Path) -> Self {
        let mut name = database.as_os_str().to_owned();
        name.push(".erasures");
        Self::at(PathBuf::from(name))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry` and waits until it is on disk.
    pub fn append(&self, entry: &Entry) -> Result<()> {
        let failed = |source| Error::Io {
            context: format!("writing the erasure log {}", self.path.display()),
            source,
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| Error::Corrupt(e.to_string()))?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(failed)?;
        // One write of one line: appends from several processes do not
        // interleave within it.
        file.write_all(&line).map_err(failed)?;
        file.sync_data().map_err(failed)
    }

    /// Every entry, oldest first; an empty list when there is no file yet.
    pub fn read(&self) -> Result<Vec<Entry>> {
        match std::fs::File::open(&self.path) {
            Ok(file) => parse(
                std::io::BufReader::new(file),
                &self.path.display().to_string(),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(Error::Io {
                context: format!("reading the erasure log {}", self.path.display()),
                source,
            }),
        }
    }

    /// The file's bytes (empty when there is none), to copy into a backup.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(Error::Io {
                context: format!("reading the erasure log {}", self.path.display()),
                source,
            }),
        }
    }
}

/// Reads log lines from `reader` (named `source` in errors). A line cut
/// short by a crash while it was written (the last one, unterminated) is
/// skipped; any other unreadable line is an error naming it.
pub fn parse(reader: impl BufRead, source: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut lines = reader.split(b'\n').peekable();
    let mut number = 0;
    while let Some(line) = lines.next() {
        number += 1;
        let line = line.map_err(|source_error| Error::Io {
            context: format!("reading the erasure log {source}"),
            source: source_error,
        })?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(&line) {
            Ok(entry) => entries.push(entry),
            Err(_) if lines.peek().is_none() => {
                tracing::warn!(
                    line = number,
                    "the erasure log's last line is incomplete; skipped"
                );
            }
            Err(e) => {
                return Err(Error::Corrupt(format!(
                    "the erasure log {source}, line {number}: {e}"
                )));
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_in_order_and_a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().expect("a directory");
        let log = ErasureLog::beside(&dir.path().join("outreach.db"));
        assert_eq!(log.path(), dir.path().join("outreach.db.erasures"));
        assert_eq!(log.read().expect("no file yet"), vec![]);
        let first = Entry::new(
            Timestamp::from_millis(1),
            Removal::Erased,
            DocId::new(Timestamp::from_millis(1)),
        );
        let mut second = Entry::new(
            Timestamp::from_millis(2),
            Removal::Merged,
            DocId::new(Timestamp::from_millis(2)),
        );
        second.into = Some(DocId::new(Timestamp::from_millis(3)));
        log.append(&first).expect("appended");
        log.append(&second).expect("appended");
        assert_eq!(
            log.read().expect("read"),
            vec![first.clone(), second.clone()]
        );

        let mut torn = log.bytes().expect("bytes");
        torn.extend_from_slice(b"{\"at\":3,\"remo");
        let read = parse(&torn[..], "test").expect("the torn line is skipped");
        assert_eq!(read, vec![first.clone(), second]);
        let mut broken = b"not json\n".to_vec();
        broken.extend(log.bytes().expect("bytes"));
        let error = parse(&broken[..], "test").expect_err("a bad line inside");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
