//! A phone's local store: a small trait with an in-memory and a file-backed
//! implementation.
//!
//! The contract every implementation keeps: when a write returns `Ok`, the
//! bytes survive the process being killed (and, for the file store, the
//! machine losing power). A write that fails or is interrupted leaves the
//! previous value readable. This is what lets the replica promise that a
//! conversation logged on a phone is never lost.

mod file;
mod memory;

pub use file::FileStore;
pub use memory::MemoryStore;

use crate::error::StorageError;
use crate::ids::DocId;

/// Where a replica keeps its documents and its own small state.
pub trait Storage {
    /// The stored bytes of a document, if any.
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores a document's bytes, replacing any previous ones. Durable on return.
    fn put_document(&mut self, id: DocId, bytes: &[u8]) -> Result<(), StorageError>;
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
}

/// Forwards every method to the storage behind a pointer.
macro_rules! forward_storage {
    ($($ty:ty),+) => {$(
        impl<S: Storage + ?Sized> Storage for $ty {
            fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
                (**self).get_document(id)
            }
            fn put_document(&mut self, id: DocId, bytes: &[u8]) -> Result<(), StorageError> {
                (**self).put_document(id, bytes)
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
        }
    )+};
}

forward_storage!(Box<S>, &mut S);

#[cfg(test)]
mod tests;
