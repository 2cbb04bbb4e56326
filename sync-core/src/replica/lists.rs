//! The lists an app shows, read from this device's own records (no signal
//! needed), filtered and ordered here so every app shows the same.
//!
//! A store with an index ([`crate::SqliteStore`]) answers them without
//! decoding a document; for other stores every record is decoded into a
//! [`ScanLists`] for each call.

use super::Replica;
use crate::error::{Error, Result, StorageError};
use crate::ids::Clock;
use crate::model::OwedFollowUp;
use crate::store::{Listing, Lists, Page, PersonRow, ScanLists, Search, Storage};

impl<S: Storage, C: Clock> Replica<S, C> {
    /// Answers `list` from the store's index, or from every record decoded.
    pub(super) fn with_lists<T>(
        &self,
        list: impl FnOnce(&dyn Lists) -> Result<T, StorageError>,
    ) -> Result<T> {
        if let Some(lists) = self.store.lists() {
            return Ok(list(lists)?);
        }
        let mut listings = Vec::new();
        for id in self.store.document_ids()? {
            match self.record(id) {
                Ok(record) => listings.push((id, Listing::of(&record))),
                Err(Error::Document(_) | Error::NoSuchRecord(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(list(&ScanLists::new(listings))?)
    }

    /// A page of the people held whose name, email, phone, patch or door
    /// (house and street, locality, postcode) contains `search`, ignoring
    /// case, accents and extra spaces (see [`crate::fold`]); a blank search
    /// matches everyone. By name as a person reads it (case and accents
    /// aside), then id; people without a name come first.
    pub fn search_people(&self, search: &str, page: Page) -> Result<Vec<PersonRow>> {
        let search = Search::new(search);
        self.with_lists(|lists| lists.search_people(&search, page))
    }

    /// A page of the people a street champion may knock on, in `patch` or
    /// in every patch held: never under-18s, never anyone who asked not to
    /// be contacted (see [`crate::Person::on_door_list`]); by patch, name,
    /// then id.
    pub fn door_list(&self, patch: Option<&str>, page: Page) -> Result<Vec<PersonRow>> {
        self.with_lists(|lists| lists.door_list(patch, page))
    }

    /// Follow-ups promised and not yet done, of everyone held: soonest due
    /// first, those without a date last (nothing presses them), and by when
    /// they were promised among those due together.
    pub fn follow_ups_owed(&self) -> Result<Vec<OwedFollowUp>> {
        self.with_lists(|lists| lists.follow_ups_owed())
    }
}
