//! The replica on the phone's SQLite store: moving in from a file store,
//! and erasure and wiping that leave nothing behind in the phone's files.

use std::path::Path;

use super::tests::START;
use super::*;
use crate::ManualClock;
use crate::error::StorageError;
use crate::hub::MemoryHub;
use crate::model::EntryChannel;
use crate::protocol::SyncResponse;
use crate::scope::Scope;
use crate::store::{FileStore, Page, SqliteStore};

const DISTINCT_NAME: &str = "Quillon Vexbridge-Ampersand";

fn new_person() -> NewPerson {
    NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep)
}

/// The files in the store's directory, and beneath it, that hold `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut holding = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                holding.push(path.display().to_string());
            }
        }
    }
    holding
}

#[test]
fn a_phone_on_a_file_store_moves_into_sqlite_with_everything() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let device = DeviceId::new(START);
    let mut hub = MemoryHub::new();
    let (synced, unsynced, entry) = {
        let store = FileStore::open(dir.path()).unwrap();
        let mut phone = Replica::open(store, device, clock.clone()).unwrap();
        let synced = phone
            .create_person(&new_person(), |p| p.set_name(Some("Zoë Synced")))
            .unwrap();
        hub.sync(&Scope::Admin, &mut phone).unwrap();
        let (unsynced, entry) = phone
            .create_person_with(&new_person(), |p| {
                p.set_name(Some("Ann Unsynced"))?;
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).follow_up("Call back", None))
            })
            .unwrap();
        assert_eq!(phone.pending_changes(), 1);
        (synced, unsynced, entry)
    };

    let store = SqliteStore::open(dir.path()).unwrap();
    let mut phone = Replica::open(store, device, clock.clone()).unwrap();
    assert!(!dir.path().join("docs").exists());
    assert_eq!(phone.document_ids().unwrap().len(), 2);
    assert_eq!(phone.pending_changes(), 1);
    let found = phone.search_people("zoe", Page::ALL).unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [synced]);
    let owed = phone.follow_ups_owed().unwrap();
    assert_eq!((owed[0].person, owed[0].entry), (unsynced, entry));
    // What was waiting to sync still goes, and nothing else.
    let outcome = hub.sync(&Scope::Admin, &mut phone).unwrap();
    assert_eq!(outcome.accepted, 1);
    assert_eq!(hub.record(unsynced).map(|r| r.id()), Some(unsynced));
}

#[test]
fn an_erased_person_leaves_no_trace_in_the_phones_files() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let mut hub = MemoryHub::new();
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut phone = Replica::open(store, DeviceId::new(START), clock.clone()).unwrap();
    let erased = phone
        .create_person(&new_person(), |p| {
            p.set_name(Some(DISTINCT_NAME))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).follow_up("Ring back", None))?;
            Ok(())
        })
        .unwrap();
    // Edited a few times, so older versions of the record were written too.
    for n in 0..3 {
        phone
            .edit_person(erased, |p| p.set_phone(Some(&format!("07700 90000{n}"))))
            .unwrap();
    }
    let kept = phone
        .create_person(&new_person(), |p| p.set_name(Some("Kept")))
        .unwrap();
    hub.sync(&Scope::Admin, &mut phone).unwrap();
    let name = DISTINCT_NAME.as_bytes();
    assert!(
        !files_holding(dir.path(), name).is_empty(),
        "the name should be in the store before the erasure"
    );

    assert!(hub.erase(erased));
    let outcome = hub.sync(&Scope::Admin, &mut phone).unwrap();
    assert_eq!(outcome.erased, 1);
    assert_eq!(phone.document_ids().unwrap(), [kept]);
    assert!(phone.follow_ups_owed().unwrap().is_empty());
    assert_eq!(files_holding(dir.path(), name), Vec::<String>::new());
    drop(phone);
    assert_eq!(files_holding(dir.path(), name), Vec::<String>::new());
}

#[test]
fn a_wiped_phone_leaves_no_trace_in_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut phone = Replica::open(store, DeviceId::new(START), clock.clone()).unwrap();
    for _ in 0..20 {
        phone
            .create_person(&new_person(), |p| p.set_name(Some(DISTINCT_NAME)))
            .unwrap();
    }
    let name = DISTINCT_NAME.as_bytes();
    assert!(!files_holding(dir.path(), name).is_empty());
    let wipe = SyncResponse {
        wipe: true,
        ..SyncResponse::default()
    };
    assert!(phone.apply_sync_response(&wipe.encode()).unwrap().wiped);
    assert_eq!(files_holding(dir.path(), name), Vec::<String>::new());
    assert!(phone.storage().document_ids().unwrap().is_empty());
}

/// The phone's store, with its `n`th document write refused (a full disk).
struct RefusingWrite {
    store: SqliteStore,
    writes_left: usize,
}

impl Storage for RefusingWrite {
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
        self.store.get_document(id)
    }
    fn put_document(
        &mut self,
        id: DocId,
        bytes: &[u8],
        listing: &crate::store::Listing,
    ) -> Result<(), StorageError> {
        if self.writes_left == 0 {
            return Err(StorageError::Corrupt("the disk is full".into()));
        }
        self.writes_left -= 1;
        self.store.put_document(id, bytes, listing)
    }
    fn delete_document(&mut self, id: DocId) -> Result<(), StorageError> {
        self.store.delete_document(id)
    }
    fn document_ids(&self) -> Result<Vec<DocId>, StorageError> {
        self.store.document_ids()
    }
    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.store.get_meta(name)
    }
    fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.store.put_meta(name, bytes)
    }
    fn wipe(&mut self) -> Result<(), StorageError> {
        self.store.wipe()
    }
    fn lists(&self) -> Option<&dyn crate::store::Lists> {
        self.store.lists()
    }
    fn begin_batch(&mut self) -> Result<(), StorageError> {
        self.store.begin_batch()
    }
    fn end_batch(&mut self, commit: bool) -> Result<(), StorageError> {
        self.store.end_batch(commit)
    }
}

#[test]
fn a_conversation_whose_last_write_fails_leaves_nothing_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let store = RefusingWrite {
        store: SqliteStore::open(dir.path()).unwrap(),
        writes_left: 1,
    };
    let mut phone = Replica::open(store, DeviceId::new(START), clock.clone()).unwrap();
    let door = phone
        .create_address(&NewAddress::new(
            "north-estate",
            "elm-road",
            "12",
            "Oak Lane",
        ))
        .unwrap();
    let before = (phone.document_ids().unwrap(), phone.pending_changes());
    let conversation = crate::model::NewConversation {
        person: None,
        area: "north-estate".into(),
        patch: "elm-road".into(),
        address: Some(door),
        details: crate::model::PersonDetails::default(),
        doorstep: Doorstep::new(DoorOutcome::Spoke),
        consent_to_contact: false,
        consent_wording_version: "2026-09".into(),
    };
    // The person is written, then the knock on the door is refused.
    phone.store.writes_left = 1;
    assert!(matches!(
        phone.log_conversation(&conversation),
        Err(Error::Storage(_))
    ));
    assert_eq!(
        (phone.document_ids().unwrap(), phone.pending_changes()),
        before
    );
    assert!(phone.address(door).unwrap().visits.is_empty());
    assert!(phone.search_people("", Page::ALL).unwrap().is_empty());
    // And the next one goes through whole.
    phone.store.writes_left = 2;
    let (person, _) = phone.log_conversation(&conversation).unwrap();
    assert_eq!(phone.address(door).unwrap().visits.len(), 1);
    assert_eq!(phone.pending_changes(), 2);
    assert!(phone.person(person).is_ok());
}

/// A store written before groups were listed (schema 1: no groups table,
/// a group held as unreadable) gains the table on open and lists the group.
#[test]
fn a_store_from_before_groups_lists_the_groups_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let device = DeviceId::new(START);
    let group = {
        let store = SqliteStore::open(dir.path()).unwrap();
        let mut phone = Replica::open(store, device, clock.clone()).unwrap();
        phone
            .create_group(&crate::model::NewGroup::new("north-estate", "Arts"))
            .unwrap()
    };
    {
        let db = rusqlite::Connection::open(dir.path().join("phone.sqlite3")).unwrap();
        db.execute_batch(
            "DROP TABLE groups;
             UPDATE documents SET kind = NULL;
             INSERT OR REPLACE INTO store_state (key, value) VALUES ('listing_version', 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let phone = Replica::open(store, device, clock).unwrap();
    let groups = phone.groups().unwrap();
    assert_eq!(groups.iter().map(|g| g.id).collect::<Vec<_>>(), [group]);
}
