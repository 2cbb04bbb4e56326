//! A phone's local store: a small trait with an in-memory, a file-backed
//! and a SQLite implementation (the one phones use).
//!
//! The contract every implementation keeps: when a write returns `Ok`, the
//! bytes survive the process being killed (and, for the file and SQLite
//! stores, the machine losing power). A write that fails or is interrupted
//! leaves the previous value readable. This is what lets the replica promise
//! that a conversation logged on a phone is never lost.
//!
//! Every document is written with its [`Listing`], what the app's lists read
//! of it. A store that keeps an index of listings ([`SqliteStore`]) writes it
//! in the same transaction as the bytes and answers lists from it through
//! [`Storage::lists`]; the others ignore it, and the replica answers their
//! lists by decoding every document.

mod file;
mod listing;
mod memory;
mod sqlite;

pub use file::FileStore;
pub use listing::{Listing, Lists, Page, PersonListing, PersonRow, ScanLists, Search, fold};
pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use crate::error::StorageError;
use crate::ids::DocId;

/// Where a replica keeps its documents and its own small state.
pub trait Storage {
    /// The stored bytes of a document, if any.
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores a document's bytes, replacing any previous ones, with what the
    /// lists read of it (one atomic write). Durable on return.
    fn put_document(
        &mut self,
        id: DocId,
        bytes: &[u8],
        listing: &Listing,
    ) -> Result<(), StorageError>;
    /// Deletes a document. Durable on return; deleting a missing document is not an error.
    fn delete_document(&mut self, id: DocId) -> Result<(), StorageError>;
    /// The ids of all stored documents, in order.
    fn document_ids(&self) -> Result<Vec<DocId>, StorageError>;
    /// A named piece of the replica's own state (`name` is a short ASCII slug).
    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores a named piece of state. Durable on return.
    fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError>;
    /// Deletes every document and every piece of state (a revoked phone wipes itself).
    fn wipe(&mut self) -> Result<(), StorageError>;

    /// The lists, answered from the store's own index, if it keeps one.
    fn lists(&self) -> Option<&dyn Lists> {
        None
    }
    /// Documents stored without a current listing (moved in from an older
    /// store, listed by an older version, or unreadable when written): the
    /// replica lists them when it opens. Empty for stores without an index.
    fn unlisted(&self) -> Result<Vec<DocId>, StorageError> {
        Ok(Vec::new())
    }
    /// Replaces the listings of stored documents, leaving their bytes as
    /// they are, in one atomic write. Durable on return.
    fn relist(&mut self, _listings: &[(DocId, Listing)]) -> Result<(), StorageError> {
        Ok(())
    }
    /// Starts grouping writes into one atomic write, made durable by the
    /// matching [`Storage::end_batch`] (a store may instead make each write
    /// durable as it goes, as the file and memory stores do). Batches nest;
    /// the outermost decides. A store cannot be wiped inside one.
    fn begin_batch(&mut self) -> Result<(), StorageError> {
        Ok(())
    }
    /// Ends a batch: with `commit`, everything written since the outermost
    /// [`Storage::begin_batch`] is durable when the outermost returns `Ok`;
    /// without it, or if any write in it failed, none of it is kept (and
    /// a `commit` then returns an error).
    fn end_batch(&mut self, _commit: bool) -> Result<(), StorageError> {
        Ok(())
    }
}

/// Refuses a name for a piece of state that is not a short ASCII slug.
fn check_meta_name(name: &str) -> Result<(), StorageError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(StorageError::Corrupt(format!(
            "invalid state name {name:?}"
        )))
    }
}

/// Forwards every method to the storage behind a pointer.
macro_rules! forward_storage {
    ($($ty:ty),+) => {$(
        impl<S: Storage + ?Sized> Storage for $ty {
            fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
                (**self).get_document(id)
            }
            fn put_document(
                &mut self,
                id: DocId,
                bytes: &[u8],
                listing: &Listing,
            ) -> Result<(), StorageError> {
                (**self).put_document(id, bytes, listing)
            }
            fn delete_document(&mut self, id: DocId) -> Result<(), StorageError> {
                (**self).delete_document(id)
            }
            fn document_ids(&self) -> Result<Vec<DocId>, StorageError> {
                (**self).document_ids()
            }
            fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
                (**self).get_meta(name)
            }
            fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
                (**self).put_meta(name, bytes)
            }
            fn wipe(&mut self) -> Result<(), StorageError> {
                (**self).wipe()
            }
            fn lists(&self) -> Option<&dyn Lists> {
                (**self).lists()
            }
            fn unlisted(&self) -> Result<Vec<DocId>, StorageError> {
                (**self).unlisted()
            }
            fn relist(&mut self, listings: &[(DocId, Listing)]) -> Result<(), StorageError> {
                (**self).relist(listings)
            }
            fn begin_batch(&mut self) -> Result<(), StorageError> {
                (**self).begin_batch()
            }
            fn end_batch(&mut self, commit: bool) -> Result<(), StorageError> {
                (**self).end_batch(commit)
            }
        }
    )+};
}

forward_storage!(Box<S>, &mut S);

#[cfg(test)]
mod tests;
