//! One test suite, run against every [`Storage`] implementation.

use super::*;

/// The same id every time for the same `n`.
fn id(n: u128) -> DocId {
    DocId::from_uuid(uuid::Uuid::from_u128(n))
}

macro_rules! storage_suite {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn documents_round_trip_and_replace() {
                let (mut store, _guard) = $make;
                assert_eq!(store.get_document(id(1)).unwrap(), None);
                store
                    .put_document(id(1), b"one", &Listing::Unreadable)
                    .unwrap();
                store
                    .put_document(id(2), b"two", &Listing::Unreadable)
                    .unwrap();
                store
                    .put_document(id(1), b"uno", &Listing::Unreadable)
                    .unwrap();
                assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"uno");
                assert_eq!(store.document_ids().unwrap(), vec![id(1), id(2)]);
            }

            #[test]
            fn delete_removes_only_that_document() {
                let (mut store, _guard) = $make;
                store
                    .put_document(id(1), b"one", &Listing::Unreadable)
                    .unwrap();
                store
                    .put_document(id(2), b"two", &Listing::Unreadable)
                    .unwrap();
                store.delete_document(id(1)).unwrap();
                store.delete_document(id(1)).unwrap();
                assert_eq!(store.get_document(id(1)).unwrap(), None);
                assert_eq!(store.document_ids().unwrap(), vec![id(2)]);
            }

            #[test]
            fn meta_round_trips_and_wipe_clears_everything() {
                let (mut store, _guard) = $make;
                assert_eq!(store.get_meta("cursor").unwrap(), None);
                store.put_meta("cursor", b"abc").unwrap();
                store
                    .put_document(id(1), b"one", &Listing::Unreadable)
                    .unwrap();
                assert_eq!(store.get_meta("cursor").unwrap().unwrap(), b"abc");
                store.wipe().unwrap();
                assert_eq!(store.get_meta("cursor").unwrap(), None);
                assert!(store.document_ids().unwrap().is_empty());
            }

            #[test]
            fn empty_values_are_kept() {
                let (mut store, _guard) = $make;
                store
                    .put_document(id(3), b"", &Listing::Unreadable)
                    .unwrap();
                assert_eq!(store.get_document(id(3)).unwrap(), Some(Vec::new()));
            }
        }
    };
}

storage_suite!(memory, (MemoryStore::new(), ()));
storage_suite!(file, {
    let dir = tempfile::tempdir().unwrap();
    (FileStore::open(dir.path()).unwrap(), dir)
});
storage_suite!(sqlite, {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open(dir.path()).unwrap(), dir)
});

#[test]
fn file_store_survives_reopen_and_ignores_interrupted_writes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = FileStore::open(dir.path()).unwrap();
        store
            .put_document(id(1), b"kept", &Listing::Unreadable)
            .unwrap();
        store.put_meta("cursor", b"7").unwrap();
    }
    // A write killed before its rename leaves a temporary file behind.
    std::fs::write(
        dir.path().join("docs").join(format!("{}.tmp", id(1))),
        b"torn",
    )
    .unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"kept");
    assert_eq!(store.get_meta("cursor").unwrap().unwrap(), b"7");
    assert_eq!(store.document_ids().unwrap(), vec![id(1)]);
}

#[test]
fn file_store_refuses_a_second_opener() {
    let dir = tempfile::tempdir().unwrap();
    let _first = FileStore::open(dir.path()).unwrap();
    assert!(matches!(
        FileStore::open(dir.path()),
        Err(StorageError::Locked(_))
    ));
}

#[test]
fn file_store_refuses_bad_state_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    assert!(matches!(
        store.put_meta("../escape", b"x"),
        Err(StorageError::Corrupt(_))
    ));
}

#[test]
fn sqlite_store_survives_reopen_and_belongs_to_one_process() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = SqliteStore::open(dir.path()).unwrap();
        store
            .put_document(id(1), b"kept", &Listing::Unreadable)
            .unwrap();
        store.put_meta("cursor", b"7").unwrap();
        assert!(matches!(
            SqliteStore::open(dir.path()),
            Err(StorageError::Locked(_))
        ));
        assert!(matches!(
            store.put_meta("../escape", b"x"),
            Err(StorageError::Corrupt(_))
        ));
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"kept");
    assert_eq!(store.get_meta("cursor").unwrap().unwrap(), b"7");
    assert_eq!(store.document_ids().unwrap(), vec![id(1)]);
}

#[test]
fn sqlite_store_refuses_a_database_from_a_newer_version_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = SqliteStore::open(dir.path()).unwrap();
        store
            .put_document(id(1), b"kept", &Listing::Unreadable)
            .unwrap();
    }
    let path = dir.path().join("phone.sqlite3");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    assert!(matches!(
        SqliteStore::open(dir.path()),
        Err(StorageError::NewerFormat {
            found: 99,
            known: 2
        })
    ));
    let db = rusqlite::Connection::open(&path).unwrap();
    let bytes: Vec<u8> = db
        .query_row("SELECT bytes FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bytes, b"kept");
}

/// A file store as today's `FileStore` writes it, with a write that was
/// interrupted before its rename.
fn old_file_store(dir: &std::path::Path) {
    let mut store = FileStore::open(dir).unwrap();
    store
        .put_document(id(1), b"one", &Listing::Unreadable)
        .unwrap();
    store
        .put_document(id(2), b"two", &Listing::Unreadable)
        .unwrap();
    store.put_meta("sync-state", b"state").unwrap();
    drop(store);
    std::fs::write(dir.join("docs").join(format!("{}.tmp", id(3))), b"torn").unwrap();
}

#[test]
fn opening_a_file_store_moves_it_into_sqlite_then_removes_the_old_files() {
    let dir = tempfile::tempdir().unwrap();
    old_file_store(dir.path());
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.document_ids().unwrap(), vec![id(1), id(2)]);
    assert_eq!(store.get_document(id(2)).unwrap().unwrap(), b"two");
    assert_eq!(store.get_meta("sync-state").unwrap().unwrap(), b"state");
    // Moved in without listings: the replica lists them when it opens.
    assert_eq!(store.unlisted().unwrap(), vec![id(1), id(2)]);
    assert!(!dir.path().join("docs").exists());
    assert!(!dir.path().join("meta").exists());
}

#[test]
fn old_files_left_by_a_kill_after_the_move_committed_are_removed_not_moved_again() {
    let dir = tempfile::tempdir().unwrap();
    old_file_store(dir.path());
    {
        let mut store = SqliteStore::open(dir.path()).unwrap();
        store
            .put_document(id(1), b"newer", &Listing::Unreadable)
            .unwrap();
    }
    // As if the phone was killed while removing the old files.
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join(id(1).to_string()), b"one").unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"newer");
    assert!(!docs.exists());
}

#[test]
fn a_file_store_that_cannot_be_moved_in_is_left_whole() {
    let dir = tempfile::tempdir().unwrap();
    old_file_store(dir.path());
    let stray = dir.path().join("docs").join("not-an-id");
    std::fs::write(&stray, b"?").unwrap();
    assert!(matches!(
        SqliteStore::open(dir.path()),
        Err(StorageError::Corrupt(_))
    ));
    // Nothing was moved, and nothing of the old store was removed.
    let old = FileStore::open(dir.path());
    assert!(old.is_ok_and(|old| old.get_document(id(2)).unwrap().unwrap() == b"two"));
    std::fs::remove_file(stray).unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.document_ids().unwrap(), vec![id(1), id(2)]);
}

#[test]
fn a_sqlite_batch_keeps_all_of_its_writes_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store.begin_batch().unwrap();
    store
        .put_document(id(1), b"dropped", &Listing::Unreadable)
        .unwrap();
    store.put_meta("cursor", b"dropped").unwrap();
    store.end_batch(false).unwrap();
    assert_eq!(store.get_document(id(1)).unwrap(), None);
    assert_eq!(store.get_meta("cursor").unwrap(), None);

    // An inner batch that fails takes the outer one with it.
    store.begin_batch().unwrap();
    store
        .put_document(id(1), b"dropped", &Listing::Unreadable)
        .unwrap();
    store.begin_batch().unwrap();
    store.put_meta("cursor", b"dropped").unwrap();
    store.end_batch(false).unwrap();
    assert!(matches!(
        store.end_batch(true),
        Err(StorageError::Corrupt(_))
    ));
    assert_eq!(store.get_document(id(1)).unwrap(), None);
    assert!(matches!(store.wipe(), Ok(())));

    store.begin_batch().unwrap();
    store
        .put_document(id(1), b"kept", &Listing::Unreadable)
        .unwrap();
    store.put_meta("cursor", b"kept").unwrap();
    store.delete_document(id(2)).unwrap();
    assert!(matches!(store.wipe(), Err(StorageError::Corrupt(_))));
    store.end_batch(true).unwrap();
    assert!(matches!(
        store.end_batch(true),
        Err(StorageError::Corrupt(_))
    ));
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"kept");
    assert_eq!(store.get_meta("cursor").unwrap().unwrap(), b"kept");
}
