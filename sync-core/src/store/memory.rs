use std::collections::BTreeMap;

use super::{Listing, Storage};
use crate::error::StorageError;
use crate::ids::DocId;

/// A store held in memory: for tests, simulations and the server's scratch work.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    documents: BTreeMap<DocId, Vec<u8>>,
    meta: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Storage for MemoryStore {
    fn get_document(&self, id: DocId) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.documents.get(&id).cloned())
    }

    fn put_document(
        &mut self,
        id: DocId,
        bytes: &[u8],
        _listing: &Listing,
    ) -> Result<(), StorageError> {
        self.documents.insert(id, bytes.to_vec());
        Ok(())
    }

    fn delete_document(&mut self, id: DocId) -> Result<(), StorageError> {
        self.documents.remove(&id);
        Ok(())
    }

    fn document_ids(&self) -> Result<Vec<DocId>, StorageError> {
        Ok(self.documents.keys().copied().collect())
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.meta.get(name).cloned())
    }

    fn put_meta(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.meta.insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn wipe(&mut self) -> Result<(), StorageError> {
        self.documents.clear();
        self.meta.clear();
        Ok(())
    }
}
