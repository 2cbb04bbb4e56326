//! The heart of the outreach backend: the domain model as automerge CRDT
//! documents, the engagement ladder, a phone's durable local store and the
//! sans-I/O sync protocol.
//!
//! This crate does no network I/O and starts no threads. The only I/O it does
//! is through the [`Storage`] trait, whose SQLite implementation a phone uses
//! to keep its documents and the index its lists read; the server stores documents in its own database and
//! uses the pure functions in [`hub`] to merge them.
//!
//! # One document per record
//!
//! Every person, event and area configuration is its own automerge document,
//! identified by a [`DocId`]. Devices only ever hold the documents in their
//! scope, erasing a person deletes exactly one document, and a sync moves
//! only the documents that changed.
//!
//! # A phone in a few lines
//!
//! ```
//! use sync_core::{
//!     DeviceId, DoorOutcome, Doorstep, EntryChannel, ManualClock, MemoryHub, MemoryStore,
//!     NewPerson, Replica, Scope, Timestamp,
//! };
//!
//! let clock = ManualClock::new(Timestamp::from_millis(1_760_000_000_000));
//! let device = DeviceId::new(clock.now());
//! let mut phone = Replica::open(MemoryStore::new(), device, clock)?;
//! let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
//! let person = phone.create_person(&new, |p| {
//!     p.set_name(Some("Sam"))?;
//!     p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks").wants_to_join("litter-pick"))?;
//!     Ok(())
//! })?;
//!
//! let mut hub = MemoryHub::new();
//! let request = phone.sync_request()?;
//! let response = hub.handle(&Scope::Admin, phone.device(), &request)?;
//! let outcome = phone.apply_sync_response(&response)?;
//! assert_eq!(outcome.accepted, 1);
//! assert_eq!(hub.record(person).map(|r| r.id()), Some(person));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod authoring;
mod authorship;
mod document;
mod error;
pub mod hub;
mod ids;
mod ladder;
mod model;
pub mod protocol;
mod replica;
mod scope;
mod store;
pub mod validate;
mod walk;

pub use error::{DocumentError, Error, ProtocolError, Result, StorageError, ValidationError};
pub use hub::{
    FeedCursor, MemoryHub, Merged, PushMerge, merge_push, pull_changes, push_operations,
    read_record,
};
pub use ids::{Clock, DeviceId, DocId, EntryId, ManualClock, ParseIdError, SystemClock, Timestamp};
pub use ladder::{Ladder, Progress, Stage, StageRule};
pub use model::*;
pub use protocol::{
    DocUpdate, Head, PROTOCOL_VERSION, Pull, Push, PushOutcome, PushResult, Redirect, Rejection,
    RejectionCode, SyncRequest, SyncResponse,
};
pub use replica::{PersonEditor, Replica, SyncOutcome};
pub use scope::{Audience, Scope};
pub use store::{
    FileStore, Listing, Lists, MemoryStore, Page, PersonListing, PersonRow, ScanLists, Search,
    SqliteStore, Storage, fold,
};
pub use walk::{Resident, RevisitFlag, WalkStop, walk_list};
