use std::fs::{self, File};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::file::{TEMP_SUFFIX, io, lock_directory, sync_dir};
use super::{Listing, Lists, Page, PersonRow, Search, Storage, check_meta_name};
use crate::error::StorageError;
use crate::ids::{DocId, EntryId, Timestamp};
use crate::model::{Address, Event, OwedFollowUp, WorkingGroup};

/// The database's file name inside the store's directory.
const DATABASE_FILE: &str = "phone.sqlite3";
/// The layout of the tables below (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;
/// What a [`Listing`] holds and how it is written. Raise it when either
/// changes: a store listed by another version has every document listed
/// again when the replica opens it.
///
/// 2: an event's summary holds its headcount. 3: groups are listed too.
const LISTING_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE documents (
    id BLOB PRIMARY KEY NOT NULL,
    bytes BLOB NOT NULL,
    -- 0 while the document waits to be listed (moved in from a file store,
    -- or listed by another version); the replica lists it on open.
    listed INTEGER NOT NULL,
    -- person, event, area, address or group; NULL when unreadable to the version
    -- that listed it.
    kind TEXT
) STRICT;
CREATE INDEX documents_unlisted ON documents (id) WHERE listed = 0 OR kind IS NULL;
CREATE INDEX documents_area ON documents (id) WHERE kind = 'area';
CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL) STRICT;
CREATE TABLE store_state (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) STRICT;
CREATE TABLE people (
    id BLOB PRIMARY KEY NOT NULL,
    sort_name TEXT,
    patch TEXT NOT NULL,
    household BLOB,
    on_door_list INTEGER NOT NULL,
    search_text TEXT NOT NULL,
    summary BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX people_by_name ON people (sort_name, id);
CREATE INDEX people_on_door_list ON people (patch, sort_name, id) WHERE on_door_list;
CREATE INDEX people_by_household ON people (household, id) WHERE household IS NOT NULL;
CREATE TABLE follow_ups (
    person BLOB NOT NULL,
    seq INTEGER NOT NULL,
    entry BLOB NOT NULL,
    name TEXT,
    what TEXT NOT NULL,
    promised_at INTEGER NOT NULL,
    due INTEGER,
    PRIMARY KEY (person, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX follow_ups_by_due ON follow_ups (due IS NULL, due, promised_at, person, seq);
CREATE TABLE doors (
    id BLOB PRIMARY KEY NOT NULL,
    patch TEXT NOT NULL,
    search_text TEXT NOT NULL,
    summary BLOB NOT NULL
) STRICT;
CREATE INDEX doors_by_patch ON doors (patch, id);
CREATE TABLE events (id BLOB PRIMARY KEY NOT NULL, starts_at INTEGER NOT NULL, summary BLOB NOT NULL) STRICT;
CREATE INDEX events_by_start ON events (starts_at, id);
";

/// What schema 2 added: the working groups' list.
const SCHEMA_2: &str = "
CREATE TABLE groups (id BLOB PRIMARY KEY NOT NULL, sort_name TEXT NOT NULL, summary BLOB NOT NULL) STRICT;
CREATE INDEX groups_by_name ON groups (sort_name, id);
";

/// The tables that hold listings, each keyed by document in its first column.
const LISTING_TABLES: [(&str, &str); 5] = [
    ("people", "id"),
    ("follow_ups", "person"),
    ("doors", "id"),
    ("events", "id"),
    ("groups", "id"),
];

/// The phone's store: one SQLite database in a directory, holding every
/// document with an index of what the app's lists need, written in the
/// same transaction as the document (see [`Listing`]), so a list or a
/// search reads the index and decodes no document.
///
/// Durability: the database is in WAL mode with `synchronous = FULL`, so
/// every commit appends its pages to the log and fsyncs the log before it
/// returns; after a kill or a power cut SQLite replays the committed
/// transactions in the log and ignores a torn one, so a document is always
/// its old or its new version. (A rollback journal would keep the same
/// promise at two or more fsyncs a commit; the log needs one.) The replica
/// groups the writes of one edit, one conversation or one sync response
/// into a batch ([`Storage::begin_batch`]): one transaction, one fsync, and
/// all of it or none after a crash. Statement and sort scratch space stays
/// in memory (`temp_store = MEMORY`), never in files elsewhere; lists read
/// through an 8 MiB page cache and a memory map of the file.
///
/// Privacy: `secure_delete` overwrites deleted rows with zeros, and every
/// delete and wipe ends by checkpointing the log into the database and
/// truncating it, so an erased person leaves no trace in the directory.
///
/// A `LOCK` file held with an exclusive lock keeps a second process out.
/// Opening a directory that holds a [`super::FileStore`] moves its documents
/// and state into the database in one transaction, and removes the old
/// files only once that has committed.
pub struct SqliteStore {
    root: PathBuf,
    db: Connection,
    batch: Batch,
    _lock: File,
}

/// The writes grouped into one transaction ([`Storage::begin_batch`]).
#[derive(Debug, Default)]
struct Batch {
    /// How many batches are open (they nest; the outermost commits).
    depth: u32,
    /// A write or an inner batch failed: the outermost rolls back.
    failed: bool,
    /// A document was deleted: checkpoint once the batch commits.
    deleted: bool,
}

impl Drop for SqliteStore {
    /// Leaves the database whole in its one file, with no log beside it.
    /// Nothing depends on it: a store killed instead is as durable.
    fn drop(&mut self) {
        if self.batch.depth == 0 {
            let _ = self.checkpoint();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StorageError {
    move |source| StorageError::Sqlite { context, source }
}

fn encode_row<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("serialising to a Vec cannot fail")
}

fn decode_row<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StorageError> {
    postcard::from_bytes(bytes).map_err(|e| StorageError::Corrupt(format!("{what} row: {e}")))
}

fn uuid_from(what: &str, bytes: &[u8]) -> Result<uuid::Uuid, StorageError> {
    uuid::Uuid::from_slice(bytes).map_err(|_| StorageError::Corrupt(format!("{what}: not an id")))
}

fn doc_id(bytes: &[u8]) -> Result<DocId, StorageError> {
    uuid_from("document id", bytes).map(DocId::from_uuid)
}

/// SQLite's `LIMIT` and `OFFSET` for a page (-1: no limit).
fn limit_offset(page: Page) -> (i64, i64) {
    let limit = i64::try_from(page.limit).unwrap_or(-1);
    let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
    (limit, offset)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `root`, moving a file store
    /// found there into it.
    ///
    /// Fails with [`StorageError::Locked`] if another process has it open,
    /// and with [`StorageError::NewerFormat`] if a newer version wrote it.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StorageError> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(io(format!("creating {}", root.display())))?;
        let lock = lock_directory(&root)?;
        let db = Connection::open(root.join(DATABASE_FILE)).map_err(sql("opening the database"))?;
        let mut store = Self {
            root,
            db,
            batch: Batch::default(),
            _lock: lock,
        };
        store.configure()?;
        store.migrate_schema()?;
        store.move_in_file_store()?;
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn configure(&self) -> Result<(), StorageError> {
        let mode: String = self
            .db
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql("setting the journal mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Corrupt(format!(
                "the database refused WAL mode ({mode})"
            )));
        }
        self.db
            .execute_batch(
                "PRAGMA synchronous = FULL;
                 PRAGMA secure_delete = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA foreign_keys = OFF;
                 PRAGMA cache_size = -8192;
                 PRAGMA mmap_size = 67108864;",
            )
            .map_err(sql("configuring the database"))
    }

    fn migrate_schema(&mut self) -> Result<(), StorageError> {
        let version: i64 = self
            .db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql("reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::NewerFormat {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let tx = self.write_transaction()?;
        if version == 0 {
            tx.execute_batch(SCHEMA)
                .map_err(sql("creating the tables"))?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_2)
                .map_err(sql("creating the groups' list"))?;
        }
        if version < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sql("setting the schema version"))?;
        }
        let listed_by = state(&tx, "listing_version")?;
        if listed_by != Some(LISTING_VERSION) {
            for (table, _) in LISTING_TABLES {
                tx.execute(&format!("DELETE FROM {table}"), [])
                    .map_err(sql("clearing listings"))?;
            }
            tx.execute("UPDATE documents SET listed = 0", [])
                .map_err(sql("marking documents to list"))?;
            set_state(&tx, "listing_version", LISTING_VERSION)?;
        }
        tx.commit().map_err(sql("committing the schema"))
    }

    /// Moves the documents and state of a file store in the same directory
    /// (`docs/`, `meta/`) into the database, in one transaction, then
    /// removes the old files. A store killed after the commit and before
    /// every old file was gone only removes the rest next time: the
    /// database may already hold newer writes.
    fn move_in_file_store(&mut self) -> Result<(), StorageError> {
        let docs = self.root.join("docs");
        let meta = self.root.join("meta");
        if !docs.is_dir() && !meta.is_dir() {
            return Ok(());
        }
        let tx = self.write_transaction()?;
        if state(&tx, "moved_in_file_store")? != Some(1) {
            for (name, path) in old_files(&docs)? {
                let id: DocId = name
                    .parse()
                    .map_err(|_| StorageError::Corrupt(format!("unexpected file docs/{name}")))?;
                let bytes = fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
                tx.execute(
                    "INSERT INTO documents (id, bytes, listed, kind) VALUES (?1, ?2, 0, NULL)
                     ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, listed = 0",
                    params![id.as_bytes(), bytes],
                )
                .map_err(sql("moving a document in"))?;
            }
            for (name, path) in old_files(&meta)? {
                check_meta_name(&name)?;
                let bytes = fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
                tx.execute(
                    "INSERT OR REPLACE INTO meta (name, bytes) VALUES (?1, ?2)",
                    params![name, bytes],
                )
                .map_err(sql("moving state in"))?;
            }
            set_state(&tx, "moved_in_file_store", 1)?;
        }
        tx.commit().map_err(sql("committing the move"))?;
        for dir in [&docs, &meta] {
            if !dir.is_dir() {
                continue;
            }
            for entry in fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))? {
                let path = entry.map_err(io("listing the old store"))?.path();
                fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
            }
            fs::remove_dir(dir).map_err(io(format!("removing {}", dir.display())))?;
        }
        sync_dir(&self.root)
    }

    fn write_transaction(&mut self) -> Result<Transaction<'_>, StorageError> {
        Transaction::new(&mut self.db, TransactionBehavior::Immediate)
            .map_err(sql("beginning a transaction"))
    }

    /// Runs `write` in a transaction of its own, committed before this
    /// returns, or inside the open batch (which then fails whole if it does).
    fn write<T>(
        &mut self,
        context: &'static str,
        write: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        if self.batch.depth > 0 {
            let result = write(&self.db);
            self.batch.failed |= result.is_err();
            return result;
        }
        let tx = self.write_transaction()?;
        let value = write(&tx)?;
        tx.commit().map_err(sql(context))?;
        Ok(value)
    }

    /// Copies the log into the database and truncates it to nothing, so
    /// that what was just deleted survives in no file.
    fn checkpoint(&self) -> Result<(), StorageError> {
        let busy: i64 = self
            .db
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(sql("checkpointing the log"))?;
        if busy != 0 {
            return Err(StorageError::Corrupt(
                "the log could not be checkpointed".into(),
            ));
        }
        Ok(())
    }

    /// Runs a query whose rows are one serialised value each.
    fn rows<T: DeserializeOwned>(
        &self,
        what: &'static str,
        query: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<T>, StorageError> {
        let mut statement = self.db.prepare_cached(query).map_err(sql(what))?;
        let blobs = statement
            .query_map(params, |r| r.get::<_, Vec<u8>>(0))
            .map_err(sql(what))?;
        let mut out = Vec::new();
        for blob in blobs {
            out.push(decode_row(what, &blob.map_err(sql(what))?)?);
        }
        Ok(out)
    }
}

/// The files in a directory of an old file store, by name, without the
/// temporaries an interrupted write left (never renamed into place).
fn old_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, StorageError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))? {
        let entry = entry.map_err(io("listing the old store"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(TEMP_SUFFIX) {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn state(tx: &Transaction<'_>, key: &str) -> Result<Option<i64>, StorageError> {
    tx.query_row("SELECT value FROM store_state WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
    .map_err(sql("reading the store's state"))
}

fn set_state(tx: &Transaction<'_>, key: &str, value: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT OR REPLACE INTO store_state (key, value) VALUES (?1, ?2)",
        params![key, value],
    )
    .map_err(sql("writing the store's state"))?;
    Ok(())
}

/// Removes a document's listing from every index table.
fn clear_listing(tx: &Connection, id: DocId) -> Result<(), StorageError> {
    for (table, key) in LISTING_TABLES {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE {key} = ?1"))
            .and_then(|mut s| s.execute([id.as_bytes()]))
            .map_err(sql("clearing a listing"))?;
    }
    Ok(())
}

/// Writes a document's listing (after [`clear_listing`]) and marks it listed.
fn write_listing(tx: &Connection, id: DocId, listing: &Listing) -> Result<(), StorageError> {
    let key = id.as_bytes();
    match listing {
        Listing::Person(p) => {
            let row = &p.row;
            tx.prepare_cached(
                "INSERT INTO people
                 (id, sort_name, patch, household, on_door_list, search_text, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    p.sort_name,
                    row.patch,
                    row.household.as_ref().map(DocId::as_bytes),
                    row.on_door_list(),
                    p.search_text,
                    encode_row(row),
                ])
            })
            .map_err(sql("listing a person"))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO follow_ups (person, seq, entry, name, what, promised_at, due)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sql("listing follow-ups"))?;
            for (seq, f) in p.follow_ups.iter().enumerate() {
                insert
                    .execute(params![
                        key,
                        seq as i64,
                        f.entry.as_bytes(),
                        f.name,
                        f.what,
                        f.promised_at.as_millis(),
                        f.due.map(Timestamp::as_millis),
                    ])
                    .map_err(sql("listing follow-ups"))?;
            }
        }
        Listing::Door {
            address,
            search_text,
        } => {
            tx.prepare_cached(
                "INSERT INTO doors (id, patch, search_text, summary) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    address.patch,
                    search_text,
                    encode_row(address)
                ])
            })
            .map_err(sql("listing a door"))?;
        }
        Listing::Event(event) => {
            tx.prepare_cached("INSERT INTO events (id, starts_at, summary) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| {
                    s.execute(params![key, event.starts_at.as_millis(), encode_row(event)])
                })
                .map_err(sql("listing an event"))?;
        }
        Listing::Group(group) => {
            tx.prepare_cached("INSERT INTO groups (id, sort_name, summary) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| {
                    s.execute(params![key, super::fold(&group.name), encode_row(group)])
                })
                .map_err(sql("listing a group"))?;
        }
        Listing::Area | Listing::Unreadable => {}
    }
    tx.prepare_cached("UPDATE documents SET listed = 1, kind = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![key, listing.kind().map(|k| k.as_str())]))
        .map_err(sql("marking a document listed"))?;
    Ok(())
}

impl Storage for SqliteStore {
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
        self.db
            .prepare_cached("SELECT bytes FROM documents WHERE id = ?1")
            .and_then(|mut s| s.query_row([id.as_bytes()], |r| r.get(0)).optional())
            .map_err(sql("reading a document"))
    }

    fn put_document(
        &mut self,
        id: DocId,
        bytes: &[u8],
        listing: &Listing,
    ) -> Result<(), StorageError> {
        self.write("committing a document", |tx| {
            tx.prepare_cached(
                "INSERT INTO documents (id, bytes, listed) VALUES (?1, ?2, 1)
                 ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes",
            )
            .and_then(|mut s| s.execute(params![id.as_bytes(), bytes]))
            .map_err(sql("writing a document"))?;
            clear_listing(tx, id)?;
            write_listing(tx, id, listing)
        })
    }

    fn delete_document(&mut self, id: DocId) -> Result<(), StorageError> {
        let deleted = self.write("committing a deletion", |tx| {
            let deleted = tx
                .execute("DELETE FROM documents WHERE id = ?1", [id.as_bytes()])
                .map_err(sql("deleting a document"))?;
            clear_listing(tx, id)?;
            Ok(deleted > 0)
        })?;
        if deleted && self.batch.depth > 0 {
            self.batch.deleted = true;
        } else if deleted {
            self.checkpoint()?;
        }
        Ok(())
    }

    fn document_ids(&self) -> Result<Vec<DocId>, StorageError> {
        let mut statement = self
            .db
            .prepare_cached("SELECT id FROM documents ORDER BY id")
            .map_err(sql("listing documents"))?;
        let ids = statement
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(sql("listing documents"))?;
        ids.map(|id| doc_id(&id.map_err(sql("listing documents"))?))
            .collect()
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        check_meta_name(name)?;
        self.db
            .prepare_cached("SELECT bytes FROM meta WHERE name = ?1")
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .map_err(sql("reading state"))
    }

    fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        check_meta_name(name)?;
        self.write("committing state", |db| {
            db.prepare_cached("INSERT OR REPLACE INTO meta (name, bytes) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![name, bytes]))
                .map_err(sql("writing state"))?;
            Ok(())
        })
    }

    fn wipe(&mut self) -> Result<(), StorageError> {
        if self.batch.depth > 0 {
            // VACUUM and the checkpoint cannot run inside a transaction.
            return Err(StorageError::Corrupt(
                "a store cannot be wiped in a batch".into(),
            ));
        }
        let tx = self.write_transaction()?;
        for table in [
            "documents",
            "meta",
            "people",
            "follow_ups",
            "doors",
            "events",
            "groups",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])
                .map_err(sql("wiping the store"))?;
        }
        tx.commit().map_err(sql("committing the wipe"))?;
        // Give the emptied pages back too: nothing of the wiped store stays
        // in the file, even as zeros in its size.
        self.db
            .execute_batch("VACUUM")
            .map_err(sql("compacting the store"))?;
        self.checkpoint()
    }

    fn lists(&self) -> Option<&dyn Lists> {
        Some(self)
    }

    fn unlisted(&self) -> Result<Vec<DocId>, StorageError> {
        let mut statement = self
            .db
            .prepare_cached("SELECT id FROM documents WHERE listed = 0 OR kind IS NULL ORDER BY id")
            .map_err(sql("finding documents to list"))?;
        let ids = statement
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(sql("finding documents to list"))?;
        ids.map(|id| doc_id(&id.map_err(sql("finding documents to list"))?))
            .collect()
    }

    fn relist(&mut self, listings: &[(DocId, Listing)]) -> Result<(), StorageError> {
        self.write("committing listings", |tx| {
            for (id, listing) in listings {
                clear_listing(tx, *id)?;
                write_listing(tx, *id, listing)?;
            }
            Ok(())
        })
    }

    fn begin_batch(&mut self) -> Result<(), StorageError> {
        if self.batch.depth == 0 {
            self.db
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(sql("beginning a batch"))?;
            self.batch = Batch::default();
        }
        self.batch.depth += 1;
        Ok(())
    }

    fn end_batch(&mut self, commit: bool) -> Result<(), StorageError> {
        let Some(depth) = self.batch.depth.checked_sub(1) else {
            return Err(StorageError::Corrupt("no batch is open".into()));
        };
        self.batch.depth = depth;
        self.batch.failed |= !commit;
        if depth > 0 {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        if batch.failed {
            self.db
                .execute_batch("ROLLBACK")
                .map_err(sql("rolling a batch back"))?;
            return if commit {
                Err(StorageError::Corrupt(
                    "a write in the batch failed, so none of it was kept".into(),
                ))
            } else {
                Ok(())
            };
        }
        if let Err(e) = self.db.execute_batch("COMMIT") {
            // A commit that failed may leave the transaction open.
            let _ = self.db.execute_batch("ROLLBACK");
            return Err(sql("committing a batch")(e));
        }
        if batch.deleted {
            self.checkpoint()?;
        }
        Ok(())
    }
}

impl Lists for SqliteStore {
    fn search_people(&self, search: &Search, page: Page) -> Result<Vec<PersonRow>, StorageError> {
        let (limit, offset) = limit_offset(page);
        if search.is_blank() {
            return self.rows(
                "listing people",
                "SELECT summary FROM people ORDER BY sort_name, id LIMIT ?1 OFFSET ?2",
                params![limit, offset],
            );
        }
        self.rows(
            "searching people",
            // The doors that match are found once, not looked up for each
            // person.
            "SELECT summary FROM people
             WHERE instr(search_text, ?1)
                OR (?2 IS NOT NULL AND instr(search_text, ?2))
                OR household IN (SELECT id FROM doors WHERE instr(search_text, ?1))
             ORDER BY sort_name, id LIMIT ?3 OFFSET ?4",
            params![search.text, search.phone_digits, limit, offset],
        )
    }

    fn door_list(&self, patch: Option<&str>, page: Page) -> Result<Vec<PersonRow>, StorageError> {
        let (limit, offset) = limit_offset(page);
        match patch {
            Some(patch) => self.rows(
                "listing doors",
                "SELECT summary FROM people WHERE on_door_list AND patch = ?1
                 ORDER BY patch, sort_name, id LIMIT ?2 OFFSET ?3",
                params![patch, limit, offset],
            ),
            None => self.rows(
                "listing doors",
                "SELECT summary FROM people WHERE on_door_list
                 ORDER BY patch, sort_name, id LIMIT ?1 OFFSET ?2",
                params![limit, offset],
            ),
        }
    }

    fn follow_ups_owed(&self) -> Result<Vec<OwedFollowUp>, StorageError> {
        const WHAT: &str = "listing follow-ups";
        let mut statement = self
            .db
            .prepare_cached(
                "SELECT person, entry, name, what, promised_at, due FROM follow_ups
                 ORDER BY due IS NULL, due, promised_at, person, seq",
            )
            .map_err(sql(WHAT))?;
        let rows = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })
            .map_err(sql(WHAT))?;
        let mut owed = Vec::new();
        for row in rows {
            let (person, entry, name, what, promised_at, due) = row.map_err(sql(WHAT))?;
            owed.push(OwedFollowUp {
                person: doc_id(&person)?,
                name,
                entry: EntryId::from_uuid(uuid_from("entry id", &entry)?),
                what,
                promised_at: Timestamp::from_millis(promised_at),
                due: due.map(Timestamp::from_millis),
            });
        }
        Ok(owed)
    }

    fn doors(&self, patch: &str) -> Result<(Vec<Address>, Vec<PersonRow>), StorageError> {
        let addresses = self.rows(
            "listing a patch's doors",
            "SELECT summary FROM doors WHERE patch = ?1 ORDER BY id",
            [patch],
        )?;
        let people = self.rows(
            "listing a patch's households",
            "SELECT p.summary FROM doors d JOIN people p ON p.household = d.id
             WHERE d.patch = ?1 ORDER BY p.id",
            [patch],
        )?;
        Ok((addresses, people))
    }

    fn events(&self) -> Result<Vec<Event>, StorageError> {
        self.rows(
            "listing events",
            "SELECT summary FROM events ORDER BY starts_at, id",
            [],
        )
    }

    fn groups(&self) -> Result<Vec<WorkingGroup>, StorageError> {
        self.rows(
            "listing groups",
            "SELECT summary FROM groups ORDER BY sort_name, id",
            [],
        )
    }

    fn area_id(&self) -> Result<Option<DocId>, StorageError> {
        let id: Option<Vec<u8>> = self
            .db
            .prepare_cached("SELECT id FROM documents WHERE kind = 'area' ORDER BY id LIMIT 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
            .map_err(sql("finding the area"))?;
        id.map(|id| doc_id(&id)).transpose()
    }
}
