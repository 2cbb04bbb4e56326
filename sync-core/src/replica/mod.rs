//! A device's replica: its documents in a [`Storage`], the typed API an app
//! edits them through, and the device's half of the sync protocol.
//!
//! Durability: every edit is committed and written through the storage
//! before the call returns, so a phone killed straight after "log
//! conversation" returned has it on disk. Each document is stored together
//! with the heads the server is known to have (one atomic write), so what
//! must be pushed is never lost even if the replica's own state is older
//! than its documents. That state (the feed cursor, and an index of the
//! documents with unsynced changes) is written *before* a document is
//! changed, so the index can hold too much after a crash, never too little.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit, ChangeHash, transaction::CommitOptions};
use serde::{Deserialize, Serialize};

use crate::document::{self, Origin, PersonField, PersonSet};
use crate::error::{Error, Result, StorageError, ValidationError};
use crate::ids::{Clock, DeviceId, DocId, EntryId, Timestamp};
use crate::model::{
    Address, AgeBand, AreaConfig, ConsentPurpose, ConsentRecord, DocKind, DoorOutcome, DoorVisit,
    Doorstep, Event, FollowUpDone, Hat, Interaction, InteractionKind, Location, NewAddress,
    NewConsent, NewEvent, NewGroup, NewPerson, Person, PersonDetails, Record, ResidentBasis,
    Tenure, WorkingGroup,
};
use crate::protocol::{
    DocUpdate, Head, MAX_DOCS_PER_REQUEST, Pull, Push, PushOutcome, Redirect, Rejection,
    RejectionCode, SyncRequest, SyncResponse, heads_from_wire, heads_to_wire,
};
use crate::store::{Listing, Storage};
use crate::validate;
use crate::walk::WalkStop;

mod lists;
mod use_cases;

const IDENTITY_META: &str = "identity";
const STATE_META: &str = "sync-state";
/// Merged-away records with changes to push: sent whole (with their base),
/// so the server can move the changes to the survivor.
const WHOLE_META: &str = "whole-pushes";
/// Set while every document is being marked to be sent again after the
/// server said it was restored from a backup ([`SyncResponse::resync`]):
/// a replica opened with it set finishes the job.
const RESEND_META: &str = "resend-everything";
const ENVELOPE_FORMAT: u8 = 1;
/// Pushes stop being added to a request once it holds this many bytes of
/// changes (at least one push is always sent).
const MAX_PUSH_BYTES: usize = 8 * 1024 * 1024;

/// Which device a store belongs to, and the automerge actor it writes as.
///
/// The actor is separate from the device id and new for every store, so a
/// store that is wiped and set up again can never reuse a sequence number
/// the server has already seen from it.
#[derive(Debug, Serialize, Deserialize)]
struct Identity {
    device: DeviceId,
    actor: [u8; 16],
}

/// The replica's own small state.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    /// Where this device is in the server's change feed.
    cursor: Vec<u8>,
    /// Documents that may have changes the server lacks (a superset).
    dirty: BTreeSet<DocId>,
    /// Documents to ask the server for, because an update could not be applied.
    pulls: BTreeSet<DocId>,
    /// Documents whose last push was refused; not pushed again until edited.
    rejected: BTreeMap<DocId, Rejection>,
}

/// A stored document and the heads the server is known to have.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    synced: Vec<Head>,
    doc: Vec<u8>,
}

/// A document loaded from the store.
struct Loaded {
    doc: AutoCommit,
    synced: Vec<ChangeHash>,
}

/// What applying a sync response did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Call [`Replica::sync_request`] again straight away: there is more to
    /// send or receive.
    pub more: bool,
    /// Pushes the server accepted.
    pub accepted: usize,
    /// Documents created or changed by the server's updates.
    pub received: usize,
    /// Documents deleted because they were erased.
    pub erased: usize,
    /// Pushes the server refused, with why. The documents stay on the
    /// device, unsynced, until they are edited again.
    pub rejected: Vec<(DocId, Rejection)>,
    /// Records deleted because they left this device's scope (moved to
    /// another patch).
    pub dropped: usize,
    /// The device was revoked and its store wiped.
    pub wiped: bool,
    /// Records this device held that were merged into another: use `to`
    /// from now on (apps showing `from` switch to it).
    pub redirected: Vec<Redirect>,
}

impl SyncOutcome {
    /// Adds the next round trip's outcome to this running total: counts add
    /// up, `more` is the latest round's.
    pub fn absorb(&mut self, round: SyncOutcome) {
        self.accepted += round.accepted;
        self.received += round.received;
        self.erased += round.erased;
        self.dropped += round.dropped;
        self.rejected.extend(round.rejected);
        for redirect in round.redirected {
            if !self.redirected.contains(&redirect) {
                self.redirected.push(redirect);
            }
        }
        self.wiped |= round.wiped;
        self.more = round.more;
    }

    /// Whether a sync loop should stop: nothing more to exchange, or wiped.
    pub fn settled(&self) -> bool {
        !self.more || self.wiped
    }
}

/// A device's replica of the records in its scope.
#[derive(Debug)]
pub struct Replica<S: Storage, C: Clock> {
    store: S,
    clock: C,
    device: DeviceId,
    actor: ActorId,
    state: SyncState,
    /// See [`WHOLE_META`].
    whole: BTreeSet<DocId>,
    wiped: bool,
    /// Where the area configuration was found (`Some(None)`: there is none;
    /// `None`: look again, after a sync).
    area_id: std::cell::Cell<Option<Option<DocId>>>,
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn decode_meta<T: for<'de> Deserialize<'de>>(name: &str, bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| StorageError::Corrupt(format!("{name}: {e}")).into())
}

fn encode_meta<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("serialising to a Vec cannot fail")
}

/// What the lists read of a document: from `record` if the caller decoded
/// it already, else decoded here. A document this version cannot read is in
/// no list (as [`Replica::records`] leaves it out).
fn listing_of(doc: &AutoCommit, record: Option<&Record>) -> Listing {
    match record {
        Some(record) => Listing::of(record),
        None => document::decode(doc, None).map_or(Listing::Unreadable, |r| Listing::of(&r)),
    }
}

impl<S: Storage, C: Clock> Replica<S, C> {
    /// Opens the replica in `store` for `device`, setting the store up if it
    /// is empty. Refuses a store that belongs to another device.
    pub fn open(mut store: S, device: DeviceId, clock: C) -> Result<Self> {
        let identity = match store.get_meta(IDENTITY_META)? {
            Some(bytes) => decode_meta::<Identity>(IDENTITY_META, &bytes)?,
            None => {
                let identity = Identity {
                    device,
                    actor: *DeviceId::new(clock.now()).as_bytes(),
                };
                store.put_meta(IDENTITY_META, &encode_meta(&identity))?;
                identity
            }
        };
        if identity.device != device {
            return Err(Error::WrongDevice {
                stored: identity.device,
            });
        }
        let state = match store.get_meta(STATE_META)? {
            Some(bytes) => decode_meta(STATE_META, &bytes)?,
            None => SyncState::default(),
        };
        let whole = match store.get_meta(WHOLE_META)? {
            Some(bytes) => decode_meta(WHOLE_META, &bytes)?,
            None => BTreeSet::new(),
        };
        let mut replica = Self {
            store,
            clock,
            device,
            actor: ActorId::from(identity.actor.as_slice()),
            state,
            whole,
            wiped: false,
            area_id: std::cell::Cell::new(None),
        };
        if replica
            .store
            .get_meta(RESEND_META)?
            .is_some_and(|b| !b.is_empty())
        {
            replica.resend_everything()?;
        }
        replica.list_unlisted()?;
        replica.prune_dirty()?;
        Ok(replica)
    }

    /// Lists the documents the store holds without a current listing (a
    /// file store just moved into SQLite, an index written by another
    /// version), a batch a transaction, so a phone killed part way resumes.
    fn list_unlisted(&mut self) -> Result<()> {
        const BATCH: usize = 500;
        let unlisted = self.store.unlisted()?;
        for ids in unlisted.chunks(BATCH) {
            let mut listings = Vec::with_capacity(ids.len());
            for &id in ids {
                if let Some(Loaded { doc, .. }) = self.load(id)? {
                    listings.push((id, listing_of(&doc, None)));
                }
            }
            self.store.relist(&listings)?;
        }
        Ok(())
    }

    /// Forgets what the server was known to hold of every document: it was
    /// restored from a backup and may lack changes it had accepted. Every
    /// document is then pushed whole, and the server keeps what it lacks.
    /// Marked in the store first, so a crash part way is finished on open.
    fn resend_everything(&mut self) -> Result<()> {
        self.store.put_meta(RESEND_META, &[1])?;
        let ids = self.store.document_ids()?;
        self.state.dirty.extend(ids.iter().copied());
        self.save_state()?;
        for id in ids {
            match self.envelope(id)? {
                Some(mut envelope) if !envelope.synced.is_empty() => {
                    envelope.synced.clear();
                    let doc = document::load(&envelope.doc, Origin::Stored)?;
                    self.put_envelope(id, &envelope, &listing_of(&doc, None))?;
                }
                _ => {}
            }
        }
        self.store.put_meta(RESEND_META, &[])?;
        Ok(())
    }

    /// Drops index entries for documents that have nothing to push (left by
    /// a crash between marking a document and writing it).
    fn prune_dirty(&mut self) -> Result<()> {
        let mut clean = Vec::new();
        for &id in &self.state.dirty {
            let has_unsynced = match self.load(id)? {
                None => false,
                Some(mut loaded) => sorted(loaded.doc.get_heads()) != loaded.synced,
            };
            if !has_unsynced {
                clean.push(id);
            }
        }
        if !clean.is_empty() {
            for id in clean {
                self.state.dirty.remove(&id);
                self.state.rejected.remove(&id);
            }
            self.save_state()?;
        }
        Ok(())
    }

    /// This replica's device.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The storage underneath.
    pub fn storage(&self) -> &S {
        &self.store
    }

    /// Closes the replica, giving back the storage.
    pub fn into_storage(self) -> S {
        self.store
    }

    fn check_not_wiped(&self) -> Result<()> {
        if self.wiped {
            Err(Error::Wiped)
        } else {
            Ok(())
        }
    }

    /// Runs `writes` as one atomic write where the store can group writes
    /// (SQLite: one transaction, one fsync). If anything fails, none of it
    /// is kept there, and the replica's own state is read back from the
    /// store so that it says only what was kept.
    pub(super) fn batched<T>(&mut self, writes: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.store.begin_batch()?;
        let result = writes(self);
        let ended = self.store.end_batch(result.is_ok());
        match (result, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Err(e), _) => {
                self.reload_state()?;
                Err(e)
            }
            (Ok(_), Err(e)) => {
                self.reload_state()?;
                Err(e.into())
            }
        }
    }

    /// Reads the replica's own state back from the store.
    fn reload_state(&mut self) -> Result<()> {
        self.state = match self.store.get_meta(STATE_META)? {
            Some(bytes) => decode_meta(STATE_META, &bytes)?,
            None => SyncState::default(),
        };
        self.whole = match self.store.get_meta(WHOLE_META)? {
            Some(bytes) => decode_meta(WHOLE_META, &bytes)?,
            None => BTreeSet::new(),
        };
        self.area_id.set(None);
        Ok(())
    }

    fn save_state(&mut self) -> Result<()> {
        Ok(self.store.put_meta(STATE_META, &encode_meta(&self.state))?)
    }

    /// A stored document as stored, without loading it into automerge.
    fn envelope(&self, id: DocId) -> Result<Option<Envelope>> {
        let Some(bytes) = self.store.get_document(id)? else {
            return Ok(None);
        };
        match bytes.split_first() {
            Some((&ENVELOPE_FORMAT, body)) => Ok(Some(decode_meta("document", body)?)),
            _ => Err(StorageError::Corrupt(format!("document {id}: unknown format")).into()),
        }
    }

    fn put_envelope(&mut self, id: DocId, envelope: &Envelope, listing: &Listing) -> Result<()> {
        let mut bytes = vec![ENVELOPE_FORMAT];
        bytes.extend_from_slice(&encode_meta(envelope));
        Ok(self.store.put_document(id, &bytes, listing)?)
    }

    fn load(&self, id: DocId) -> Result<Option<Loaded>> {
        let Some(envelope) = self.envelope(id)? else {
            return Ok(None);
        };
        let doc = document::load(&envelope.doc, Origin::Stored)?.with_actor(self.actor.clone());
        Ok(Some(Loaded {
            doc,
            synced: sorted(heads_from_wire(&envelope.synced)),
        }))
    }

    /// Writes a document with the heads the server has, and its listing
    /// (from `record`, the document decoded, when the caller has it).
    fn write(
        &mut self,
        id: DocId,
        doc: &mut AutoCommit,
        synced: &[ChangeHash],
        record: Option<&Record>,
    ) -> Result<()> {
        let listing = listing_of(doc, record);
        let envelope = Envelope {
            synced: heads_to_wire(synced),
            doc: doc.save(),
        };
        self.put_envelope(id, &envelope, &listing)
    }

    /// Marks a document as having unsynced changes, durably, before it is written.
    fn mark_dirty(&mut self, id: DocId) -> Result<()> {
        let removed = self.state.rejected.remove(&id).is_some();
        if self.state.dirty.insert(id) || removed {
            self.save_state()?;
        }
        Ok(())
    }

    fn forget(&mut self, id: DocId) -> Result<()> {
        self.store.delete_document(id)?;
        self.state.dirty.remove(&id);
        self.state.pulls.remove(&id);
        self.state.rejected.remove(&id);
        if self.whole.remove(&id) {
            self.save_whole()?;
        }
        Ok(())
    }

    fn save_whole(&mut self) -> Result<()> {
        Ok(self.store.put_meta(WHOLE_META, &encode_meta(&self.whole))?)
    }

    fn commit(&self, doc: &mut AutoCommit, at: Timestamp) {
        doc.commit_with(CommitOptions::default().with_time(at.as_secs()));
    }

    /// Writes a new record made by `build` into a fresh document, if valid,
    /// and returns what `build` returned.
    fn create<T>(
        &mut self,
        id: DocId,
        build: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        self.check_not_wiped()?;
        let now = self.clock.now();
        let mut doc = AutoCommit::new().with_actor(self.actor.clone());
        let value = build(&mut doc)?;
        self.commit(&mut doc, now);
        let record = document::decode(&doc, None)?;
        if let Some(violation) = validate::violations(&record).into_iter().next() {
            return Err(violation.into());
        }
        self.batched(|replica| {
            replica.mark_dirty(id)?;
            replica.write(id, &mut doc, &[], Some(&record))
        })?;
        Ok(value)
    }

    /// Applies `edit` to a stored record of `kind`, keeping it only if it
    /// adds no violation of the domain rules.
    fn edit<T>(
        &mut self,
        id: DocId,
        kind: DocKind,
        edit: impl FnOnce(&mut AutoCommit, &Record, Timestamp) -> Result<T>,
    ) -> Result<T> {
        self.check_not_wiped()?;
        let Some(Loaded { mut doc, synced }) = self.load(id)? else {
            return Err(Error::NotFound { kind, id });
        };
        let before = document::decode(&doc, None)?;
        if before.kind() != kind {
            return Err(Error::WrongKind {
                id,
                expected: kind,
                actual: before.kind(),
            });
        }
        let heads_before = doc.get_heads();
        let now = self.clock.now();
        let value = edit(&mut doc, &before, now)?;
        self.commit(&mut doc, now);
        if doc.get_heads() == heads_before {
            return Ok(value);
        }
        let after = document::decode(&doc, None)?;
        if let Some(violation) = validate::added_violation(Some(&before), &after) {
            return Err(violation.into());
        }
        self.batched(|replica| {
            replica.mark_dirty(id)?;
            replica.write(id, &mut doc, &synced, Some(&after))
        })?;
        Ok(value)
    }

    // ------------------------------------------------------------ writing

    /// Records a new person, filled in by `fill`, and returns their id.
    /// Nothing is stored unless the whole record is valid.
    pub fn create_person(
        &mut self,
        new: &NewPerson,
        fill: impl FnOnce(&mut PersonEditor<'_>) -> Result<()>,
    ) -> Result<DocId> {
        self.create_person_with(new, fill).map(|(id, ())| id)
    }

    /// Records a new person, filled in by `fill`, and returns their id with
    /// what `fill` returned (say, the entry id of the conversation logged).
    /// Nothing is stored unless the whole record is valid.
    pub fn create_person_with<T>(
        &mut self,
        new: &NewPerson,
        fill: impl FnOnce(&mut PersonEditor<'_>) -> Result<T>,
    ) -> Result<(DocId, T)> {
        let now = self.clock.now();
        let id = DocId::new(now);
        let device = self.device;
        let value = self.create(id, |doc| {
            document::create_person(doc, id, new, device, now)?;
            fill(&mut PersonEditor { doc, device, now })
        })?;
        Ok((id, value))
    }

    /// Edits a person. Nothing is stored unless the edit keeps the record valid.
    pub fn edit_person<T>(
        &mut self,
        id: DocId,
        edit: impl FnOnce(&mut PersonEditor<'_>) -> Result<T>,
    ) -> Result<T> {
        let device = self.device;
        self.edit(id, DocKind::Person, |doc, _, now| {
            edit(&mut PersonEditor { doc, device, now })
        })
    }

    /// Records a new event and returns its id.
    pub fn create_event(&mut self, new: &NewEvent) -> Result<DocId> {
        let now = self.clock.now();
        let id = DocId::new(now);
        let device = self.device;
        self.create(id, |doc| document::create_event(doc, id, new, device, now))?;
        Ok(id)
    }

    /// Records a door that is not on the imported list, and returns its id.
    pub fn create_address(&mut self, new: &NewAddress) -> Result<DocId> {
        let now = self.clock.now();
        let id = DocId::new(now);
        let device = self.device;
        self.create(id, |doc| {
            document::create_address(doc, id, new, device, now)
        })?;
        Ok(id)
    }

    /// Records a knock at a door now, and returns the visit's entry id.
    /// A conversation with someone there is logged on their person record
    /// too ([`PersonEditor::log_doorstep`]).
    pub fn record_visit(&mut self, address: DocId, outcome: DoorOutcome) -> Result<EntryId> {
        let device = self.device;
        self.edit(address, DocKind::Address, |doc, _, now| {
            let id = EntryId::new(now);
            document::add_visit(
                doc,
                &DoorVisit {
                    id,
                    at: now,
                    outcome,
                    recorded_by: device,
                },
            )?;
            Ok(id)
        })
    }

    /// Records a new working group (an admin's phone: others may not write
    /// groups, and the hub refuses it) and returns its id.
    pub fn create_group(&mut self, new: &NewGroup) -> Result<DocId> {
        let now = self.clock.now();
        let id = DocId::new(now);
        let device = self.device;
        self.create(id, |doc| document::create_group(doc, id, new, device, now))?;
        Ok(id)
    }

    /// Changes a working group's details (its area stays).
    pub fn update_group(&mut self, id: DocId, details: &NewGroup) -> Result<()> {
        self.edit(id, DocKind::Group, |doc, _, _| {
            document::write_group_fields(doc, details)
        })
    }

    /// Closes a working group (`true`; it stays on record) or opens it again.
    pub fn set_group_closed(&mut self, id: DocId, closed: bool) -> Result<()> {
        self.edit(id, DocKind::Group, |doc, _, _| {
            document::set_group_closed(doc, closed)
        })
    }

    /// Changes an event's details (its area stays).
    pub fn update_event(&mut self, id: DocId, details: &NewEvent) -> Result<()> {
        self.edit(id, DocKind::Event, |doc, _, _| {
            document::write_event_fields(doc, details)
        })
    }

    /// Sets (or, with `None`, clears) the number of people counted at an
    /// event without a record of each. More than [`Event::MAX_HEADCOUNT`]
    /// is refused.
    pub fn set_event_headcount(&mut self, id: DocId, headcount: Option<u32>) -> Result<()> {
        self.edit(id, DocKind::Event, |doc, _, _| {
            document::set_event_headcount(doc, headcount)
        })
    }

    /// Creates or updates the area configuration (`config.id` names the document).
    pub fn put_area(&mut self, config: &AreaConfig) -> Result<()> {
        self.area_id.set(None);
        if self.store.get_document(config.id)?.is_none() {
            return self.create(config.id, |doc| document::write_area(doc, config));
        }
        self.edit(config.id, DocKind::Area, |doc, before, _| {
            let Record::Area(before) = before else {
                unreachable!("edit checks the kind")
            };
            if before.area != config.area {
                return Err(ValidationError::Immutable { field: "area" }.into());
            }
            document::write_area(doc, config)
        })
    }

    // ------------------------------------------------------------ reading

    /// The record with this id.
    pub fn record(&self, id: DocId) -> Result<Record> {
        match self.load(id)? {
            Some(loaded) => Ok(document::decode(&loaded.doc, None)?),
            None => Err(Error::NoSuchRecord(id)),
        }
    }

    /// The person with this id.
    pub fn person(&self, id: DocId) -> Result<Person> {
        match self.record(id) {
            Ok(Record::Person(p)) => Ok(p),
            Ok(other) => Err(Error::WrongKind {
                id,
                expected: DocKind::Person,
                actual: other.kind(),
            }),
            Err(Error::NoSuchRecord(id)) => Err(Error::NotFound {
                kind: DocKind::Person,
                id,
            }),
            Err(e) => Err(e),
        }
    }

    /// Every record held that this version can read, by id. Documents
    /// written by a newer schema are kept and synced, but not listed.
    pub fn records(&self) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for id in self.store.document_ids()? {
            match self.record(id) {
                Ok(record) => out.push(record),
                Err(Error::Document(_) | Error::NoSuchRecord(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Every person held, by id.
    pub fn people(&self) -> Result<Vec<Person>> {
        Ok(self
            .records()?
            .into_iter()
            .filter_map(|r| match r {
                Record::Person(p) => Some(p),
                _ => None,
            })
            .collect())
    }

    /// The address with this id.
    pub fn address(&self, id: DocId) -> Result<Address> {
        match self.record(id) {
            Ok(Record::Address(a)) => Ok(a),
            Ok(other) => Err(Error::WrongKind {
                id,
                expected: DocKind::Address,
                actual: other.kind(),
            }),
            Err(Error::NoSuchRecord(id)) => Err(Error::NotFound {
                kind: DocKind::Address,
                id,
            }),
            Err(e) => Err(e),
        }
    }

    /// The working group with this id.
    pub fn group(&self, id: DocId) -> Result<WorkingGroup> {
        match self.record(id) {
            Ok(Record::Group(g)) => Ok(g),
            Ok(other) => Err(Error::WrongKind {
                id,
                expected: DocKind::Group,
                actual: other.kind(),
            }),
            Err(Error::NoSuchRecord(id)) => Err(Error::NotFound {
                kind: DocKind::Group,
                id,
            }),
            Err(e) => Err(e),
        }
    }

    /// Every working group held, closed ones too, by name (folded, see
    /// [`crate::fold`]), then id.
    pub fn groups(&self) -> Result<Vec<WorkingGroup>> {
        self.with_lists(|lists| lists.groups())
    }

    /// The walk list for `patch`, from this device's own records (see
    /// [`crate::walk_list`]): the doors to knock, in walking order, nearest
    /// first from `from` when doors have locations.
    pub fn walk_list(&self, patch: &str, from: Option<Location>) -> Result<Vec<WalkStop>> {
        let (addresses, people) = self.with_lists(|lists| lists.doors(patch))?;
        Ok(crate::walk::walk_list(
            patch,
            &addresses,
            &people,
            self.clock.now(),
            from,
        ))
    }

    /// Every event held, soonest first (events starting together by id).
    pub fn events(&self) -> Result<Vec<Event>> {
        self.with_lists(|lists| lists.events())
    }

    /// The area configuration, once received. Its id is remembered, so
    /// after the first call this reads one document, not all of them.
    pub fn area(&self) -> Result<Option<AreaConfig>> {
        match self.area_id.get() {
            Some(Some(id)) => {
                if let Ok(Record::Area(area)) = self.record(id) {
                    return Ok(Some(area));
                }
            }
            Some(None) => return Ok(None),
            None => {}
        }
        let area = match self.with_lists(|lists| lists.area_id())? {
            Some(id) => match self.record(id)? {
                Record::Area(area) => Some(area),
                _ => None,
            },
            None => None,
        };
        self.area_id.set(Some(area.as_ref().map(|a| a.id)));
        Ok(area)
    }

    /// Ids of every document held.
    pub fn document_ids(&self) -> Result<Vec<DocId>> {
        Ok(self.store.document_ids()?)
    }

    /// A document's heads, sorted (`None` if not held).
    pub fn heads(&self, id: DocId) -> Result<Option<Vec<Head>>> {
        Ok(self
            .load(id)?
            .map(|mut l| heads_to_wire(&sorted(l.doc.get_heads()))))
    }

    /// How many documents have changes not yet accepted by the server.
    pub fn pending_changes(&self) -> usize {
        self.state.dirty.len()
    }

    /// Documents whose last push was refused, with why.
    pub fn rejections(&self) -> Vec<(DocId, Rejection)> {
        self.state
            .rejected
            .iter()
            .map(|(id, r)| (*id, r.clone()))
            .collect()
    }

    // ------------------------------------------------------------ syncing

    /// The next request to send the server.
    pub fn sync_request(&self) -> Result<Vec<u8>> {
        self.check_not_wiped()?;
        let mut request = SyncRequest {
            cursor: self.state.cursor.clone(),
            ..SyncRequest::default()
        };
        let mut bytes = 0;
        for &id in &self.state.dirty {
            if request.pushes.len() >= MAX_DOCS_PER_REQUEST || bytes >= MAX_PUSH_BYTES {
                break;
            }
            if self.state.rejected.contains_key(&id) {
                continue;
            }
            let Some(Loaded { mut doc, synced }) = self.load(id)? else {
                continue;
            };
            let heads = sorted(doc.get_heads());
            if heads == synced {
                continue;
            }
            let changes = if synced.is_empty() || self.whole.contains(&id) {
                doc.save()
            } else {
                doc.save_after(&synced)
            };
            bytes += changes.len();
            request.pushes.push(Push {
                doc: id,
                base: heads_to_wire(&synced),
                heads: heads_to_wire(&heads),
                changes,
            });
        }
        for &id in self.state.pulls.iter().take(MAX_DOCS_PER_REQUEST) {
            let have = match self.load(id)? {
                Some(mut l) => heads_to_wire(&sorted(l.doc.get_heads())),
                None => Vec::new(),
            };
            request.pulls.push(Pull { doc: id, have });
        }
        Ok(request.encode())
    }

    /// Applies the server's answer to [`Self::sync_request`]. Safe to apply
    /// twice, and safe to interrupt: what was applied is durable, and the
    /// feed cursor only moves once everything before it is stored.
    pub fn apply_sync_response(&mut self, response: &[u8]) -> Result<SyncOutcome> {
        self.check_not_wiped()?;
        let response = SyncResponse::decode(response)?;
        self.area_id.set(None);
        let mut outcome = SyncOutcome::default();
        if response.wipe {
            self.store.wipe()?;
            self.state = SyncState::default();
            self.whole.clear();
            self.wiped = true;
            outcome.wiped = true;
            return Ok(outcome);
        }
        self.batched(|replica| replica.apply_response(&response, outcome))
    }

    /// What [`Self::apply_sync_response`] writes, in one batch.
    fn apply_response(
        &mut self,
        response: &SyncResponse,
        mut outcome: SyncOutcome,
    ) -> Result<SyncOutcome> {
        if response.resync {
            self.resend_everything()?;
            outcome.more = true;
        }
        let mut pushed = BTreeSet::new();
        for result in &response.pushed {
            pushed.insert(result.doc);
            match &result.outcome {
                PushOutcome::Accepted { heads, changes } => {
                    self.apply_accepted(result.doc, heads, changes)?;
                    outcome.accepted += 1;
                }
                PushOutcome::Resend => {
                    if let Some(Loaded { mut doc, .. }) = self.load(result.doc)? {
                        self.write(result.doc, &mut doc, &[], None)?;
                    }
                    outcome.more = true;
                }
                PushOutcome::Rejected(rejection) if rejection.code == RejectionCode::Erased => {
                    self.forget(result.doc)?;
                    outcome.erased += 1;
                }
                PushOutcome::Rejected(rejection) => {
                    self.state.rejected.insert(result.doc, rejection.clone());
                    outcome.rejected.push((result.doc, rejection.clone()));
                }
                PushOutcome::Redirected { to, heads } => {
                    let redirect = Redirect {
                        from: result.doc,
                        to: *to,
                    };
                    outcome.more |= !self.follow_redirect(redirect, Some(heads))?;
                    outcome.redirected.push(redirect);
                }
            }
        }
        for update in &response.updates {
            if self.apply_update(update)? {
                outcome.received += 1;
            }
        }
        for &id in &response.erased {
            if self.store.get_document(id)?.is_some() {
                outcome.erased += 1;
            }
            self.forget(id)?;
        }
        for &id in &response.unavailable {
            self.state.pulls.remove(&id);
            if self.drop_if_settled(id)? {
                outcome.dropped += 1;
            }
        }
        for &redirect in &response.redirected {
            if self.store.get_document(redirect.from)?.is_some() {
                self.follow_redirect(redirect, None)?;
                if !outcome.redirected.contains(&redirect) {
                    outcome.redirected.push(redirect);
                }
            }
            self.state.pulls.remove(&redirect.from);
        }
        self.state.cursor.clone_from(&response.cursor);
        self.save_state()?;
        let unsent = self
            .state
            .dirty
            .iter()
            .any(|id| !pushed.contains(id) && !self.state.rejected.contains_key(id));
        outcome.more |= response.more || unsent || !self.state.pulls.is_empty();
        Ok(outcome)
    }

    /// Drops the copy of a merged-away record once the server holds all of
    /// it (`rehomed`: the heads the server moved to the survivor). A copy
    /// with changes the server has not re-homed stays, marked to be pushed
    /// whole with its base: the server moves the changes made since that
    /// base to the survivor. Returns whether the copy was dropped.
    fn follow_redirect(&mut self, redirect: Redirect, rehomed: Option<&[Head]>) -> Result<bool> {
        let Some(Loaded { mut doc, synced }) = self.load(redirect.from)? else {
            return Ok(true);
        };
        let heads = sorted(doc.get_heads());
        let settled = match rehomed {
            Some(rehomed) => heads == sorted(heads_from_wire(rehomed)),
            None => heads == synced,
        };
        if settled {
            self.forget(redirect.from)?;
            return Ok(true);
        }
        self.mark_dirty(redirect.from)?;
        if self.whole.insert(redirect.from) {
            self.save_whole()?;
        }
        Ok(false)
    }

    /// Deletes a record this device may no longer hold, unless it holds
    /// changes the server has not accepted (they stay, to be pushed and
    /// refused, never lost). Returns whether it was deleted.
    fn drop_if_settled(&mut self, id: DocId) -> Result<bool> {
        let Some(Loaded { mut doc, synced }) = self.load(id)? else {
            return Ok(false);
        };
        if sorted(doc.get_heads()) != synced {
            return Ok(false);
        }
        self.forget(id)?;
        Ok(true)
    }

    fn apply_accepted(&mut self, id: DocId, heads: &[Head], changes: &[u8]) -> Result<()> {
        self.state.rejected.remove(&id);
        let Some(Loaded { mut doc, .. }) = self.load(id)? else {
            // Deleted while the request was in flight (erased): nothing to do.
            self.state.dirty.remove(&id);
            return Ok(());
        };
        if !changes.is_empty()
            && document::load_incremental(&mut doc, changes, Origin::Stored).is_err()
        {
            self.state.pulls.insert(id);
            // Drop whatever the failed load left half-applied.
            let Some(Loaded { doc: stored, .. }) = self.load(id)? else {
                return Ok(());
            };
            doc = stored;
        }
        let server_heads = heads_from_wire(heads);
        let synced: Vec<ChangeHash> = server_heads
            .iter()
            .copied()
            .filter(|h| doc.get_change_by_hash(h).is_some())
            .collect();
        if synced.len() != server_heads.len() || !doc.get_missing_deps(&[]).is_empty() {
            self.state.pulls.insert(id);
        }
        let synced = self.maximal(&mut doc, synced);
        self.write(id, &mut doc, &synced, None)?;
        if sorted(doc.get_heads()) == synced {
            self.state.dirty.remove(&id);
        }
        Ok(())
    }

    /// The heads of the history made of `hashes` and their ancestors.
    fn maximal(&self, doc: &mut AutoCommit, hashes: Vec<ChangeHash>) -> Vec<ChangeHash> {
        let hashes = sorted(hashes);
        if hashes.len() <= 1 || hashes == sorted(doc.get_heads()) {
            return hashes;
        }
        match doc.fork_at(&hashes) {
            Ok(mut fork) => sorted(fork.get_heads()),
            Err(_) => hashes,
        }
    }

    /// Applies changes from the feed or a pull. Returns whether the document changed.
    fn apply_update(&mut self, update: &DocUpdate) -> Result<bool> {
        let id = update.doc;
        let (mut doc, synced) = match self.load(id)? {
            Some(Loaded { doc, synced }) => (doc, synced),
            None => (AutoCommit::new().with_actor(self.actor.clone()), Vec::new()),
        };
        let before = sorted(doc.get_heads());
        if document::load_incremental(&mut doc, &update.changes, Origin::Stored).is_err() {
            // Not something this device can apply: ask for the whole document.
            self.state.pulls.insert(id);
            return Ok(false);
        }
        if !doc.get_missing_deps(&[]).is_empty() {
            // History the device never saw (the document moved into its
            // scope): ask for what is missing, store nothing half-made.
            self.state.pulls.insert(id);
            return Ok(false);
        }
        self.state.pulls.remove(&id);
        let after = sorted(doc.get_heads());
        if after == before {
            return Ok(false);
        }
        // Everything received is on the server, and so is everything it
        // was already known to have.
        let mut known: Vec<ChangeHash> = synced.clone();
        known.extend(doc.get_changes(&before).iter().map(|c| c.hash()));
        let synced = self.maximal(&mut doc, known);
        self.write(id, &mut doc, &synced, None)?;
        Ok(true)
    }
}

/// Edits one person's record inside [`Replica::create_person`] or
/// [`Replica::edit_person`]. Every method writes straight into the document;
/// the whole edit is checked against the domain rules when the closure
/// returns, and nothing is stored if it fails.
pub struct PersonEditor<'a> {
    doc: &'a mut AutoCommit,
    device: DeviceId,
    now: Timestamp,
}

impl std::fmt::Debug for PersonEditor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonEditor")
            .field("device", &self.device)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl PersonEditor<'_> {
    fn current(&self) -> Result<Person> {
        match document::decode(self.doc, None)? {
            Record::Person(p) => Ok(p),
            other => Err(Error::WrongKind {
                id: other.id(),
                expected: DocKind::Person,
                actual: other.kind(),
            }),
        }
    }

    /// The time this edit is recorded at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Sets or clears the name.
    pub fn set_name(&mut self, name: Option<&str>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Name, name)
    }

    /// Sets or clears the phone number.
    pub fn set_phone(&mut self, phone: Option<&str>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Phone, phone)
    }

    /// Sets or clears the email address.
    pub fn set_email(&mut self, email: Option<&str>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Email, email)
    }

    /// Sets or clears the preferred language.
    pub fn set_language(&mut self, language: Option<&str>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Language, language)
    }

    /// Sets or clears the ethnic group. Setting it needs a current
    /// equality-monitoring consent (record it first, in the same edit).
    pub fn set_ethnicity(&mut self, ethnicity: Option<&str>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Ethnicity, ethnicity)
    }

    /// Sets or clears the age band.
    pub fn set_age_band(&mut self, band: Option<AgeBand>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::AgeBand, band.map(AgeBand::as_str))
    }

    /// Sets or clears the housing tenure.
    pub fn set_tenure(&mut self, tenure: Option<Tenure>) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Tenure, tenure.map(Tenure::as_str))
    }

    /// Sets the details given, clears those named in `details.clear` and
    /// leaves the others as they are.
    pub fn fill_details(&mut self, details: &PersonDetails) -> Result<()> {
        document::fill_details(self.doc, details)
    }

    /// Links the person to the household at an address (or unlinks them).
    pub fn set_household(&mut self, address: Option<DocId>) -> Result<()> {
        let id = address.map(|a| a.to_string());
        document::set_person_field(self.doc, PersonField::Household, id.as_deref())
    }

    /// Moves the person to another patch.
    pub fn move_to_patch(&mut self, patch: &str) -> Result<()> {
        document::set_person_field(self.doc, PersonField::Patch, Some(patch))
    }

    /// Adds or removes a reason they count as a resident.
    pub fn set_resident(&mut self, basis: ResidentBasis, applies: bool) -> Result<()> {
        document::set_member(self.doc, PersonSet::Residency, basis.as_str(), applies)
    }

    /// Adds or removes an interest (a topic tag).
    pub fn set_interest(&mut self, topic: &str, interested: bool) -> Result<()> {
        document::set_member(self.doc, PersonSet::Interests, topic, interested)
    }

    /// Sets or clears the do-not-contact flag.
    pub fn set_do_not_contact(&mut self, value: bool) -> Result<()> {
        document::set_do_not_contact(self.doc, value)
    }

    /// Records a consent given or withdrawn. Withdrawing equality-monitoring
    /// consent also clears the ethnic group.
    pub fn record_consent(&mut self, consent: NewConsent) -> Result<EntryId> {
        let id = EntryId::new(self.now);
        let record = ConsentRecord {
            id,
            purpose: consent.purpose,
            granted: consent.granted,
            lawful_basis: consent.lawful_basis,
            wording_version: consent.wording_version,
            at: self.now,
            method: consent.method,
            given_by: consent.given_by,
            recorded_by: self.device,
        };
        document::add_consent(self.doc, &record)?;
        if consent.purpose == ConsentPurpose::EqualityMonitoring && !consent.granted {
            self.set_ethnicity(None)?;
        }
        Ok(id)
    }

    /// Records a doorstep conversation (or a knock with nobody in) now.
    pub fn log_doorstep(&mut self, doorstep: Doorstep) -> Result<EntryId> {
        self.record(InteractionKind::Doorstep(doorstep))
    }

    /// Records an interaction that happened now.
    pub fn record(&mut self, kind: InteractionKind) -> Result<EntryId> {
        self.record_at(kind, self.now)
    }

    /// Records an interaction that happened at `at` (entered after the fact).
    pub fn record_at(&mut self, kind: InteractionKind, at: Timestamp) -> Result<EntryId> {
        let id = EntryId::new(self.now);
        document::add_interaction(
            self.doc,
            &Interaction {
                id,
                at,
                recorded_by: self.device,
                kind,
            },
        )?;
        Ok(id)
    }

    /// Records that a follow-up promised in a doorstep conversation was done.
    pub fn complete_follow_up(&mut self, entry: EntryId, note: Option<&str>) -> Result<()> {
        let person = self.current()?;
        match person.interaction(entry).map(|i| &i.kind) {
            None => return Err(Error::NoSuchEntry(entry)),
            Some(InteractionKind::Doorstep(d)) if d.follow_up.is_some() => {}
            Some(_) => return Err(ValidationError::NoFollowUp.into()),
        }
        let done = FollowUpDone {
            at: self.now,
            note: note.map(str::to_owned),
            by: self.device,
        };
        document::complete_follow_up(self.doc, entry, &done)
    }

    /// Records that the person wears exactly `hats` (none clears them) in
    /// role `entry`, also one recorded before hats were. `NoSuchEntry` if
    /// `entry` is not one of their roles.
    pub fn set_role_hats(&mut self, entry: EntryId, hats: &BTreeSet<Hat>) -> Result<()> {
        let person = self.current()?;
        match person.interaction(entry).map(|i| &i.kind) {
            Some(InteractionKind::Role { hats: worn, .. }) if worn == hats => Ok(()),
            Some(InteractionKind::Role { .. }) => document::set_role_hats(self.doc, entry, hats),
            _ => Err(Error::NoSuchEntry(entry)),
        }
    }

    /// Records that they joined working group `group` (its id) at `start`,
    /// and returns the membership's entry id. See
    /// [`Replica::join_group`], which checks the group first.
    pub fn join_group(&mut self, group: DocId, start: Timestamp) -> Result<EntryId> {
        self.record(InteractionKind::WorkingGroup {
            group: group.to_string(),
            start,
            end: None,
        })
    }

    /// Ends a working-group membership or a role at `end`.
    pub fn end(&mut self, entry: EntryId, end: Timestamp) -> Result<()> {
        let person = self.current()?;
        match person.interaction(entry).map(|i| &i.kind) {
            None => Err(Error::NoSuchEntry(entry)),
            Some(InteractionKind::WorkingGroup { .. } | InteractionKind::Role { .. }) => {
                document::set_interaction_end(self.doc, entry, Some(end))
            }
            Some(_) => Err(ValidationError::NotEndable.into()),
        }
    }
}

#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod sqlite_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod use_case_tests;
