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
                store.put_document(id(1), b"one").unwrap();
                store.put_document(id(2), b"two").unwrap();
                store.put_document(id(1), b"uno").unwrap();
                assert_eq!(store.get_document(id(1)).unwrap().unwrap(), b"uno");
                assert_eq!(store.document_ids().unwrap(), vec![id(1), id(2)]);
            }

            #[test]
            fn delete_removes_only_that_document() {
                let (mut store, _guard) = $make;
                store.put_document(id(1), b"one").unwrap();
                store.put_document(id(2), b"two").unwrap();
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
                store.put_document(id(1), b"one").unwrap();
                assert_eq!(store.get_meta("cursor").unwrap().unwrap(), b"abc");
                store.wipe().unwrap();
                assert_eq!(store.get_meta("cursor").unwrap(), None);
                assert!(store.document_ids().unwrap().is_empty());
            }

            #[test]
            fn empty_values_are_kept() {
                let (mut store, _guard) = $make;
                store.put_document(id(3), b"").unwrap();
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

#[test]
fn file_store_survives_reopen_and_ignores_interrupted_writes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = FileStore::open(dir.path()).unwrap();
        store.put_document(id(1), b"kept").unwrap();
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
