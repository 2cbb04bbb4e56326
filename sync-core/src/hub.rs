//! The server's side of the protocol, without storage.
//!
//! The server (and the in-memory [`MemoryHub`] used in tests and examples)
//! answer a [`SyncRequest`] with these pure functions, wrapping each in its
//! own storage transaction:
//! * [`merge_push`] merges one pushed document into the stored bytes and
//!   decides whether the push is acceptable (scope, structure, domain rules);
//! * [`pull_changes`] answers a pull;
//! * [`FeedCursor`] encodes where a device is in the change feed.
//!
//! What the server must store for the feed: for each accepted merge, the
//! `changes` of the [`Merged`] result (the automerge changes new to the
//! server), in commit order, with the document's [`Audience`] beside the
//! document. [`MemoryHub::handle`] shows the whole algorithm.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ChangeHash, ReadDoc};

use crate::authorship;
use crate::document::{self, MAX_DOCUMENT_BYTES, Origin};
use crate::error::ProtocolError;
use crate::ids::{Clock, DeviceId, DocId};
use crate::model::Record;
use crate::protocol::{
    DocUpdate, Head, Pull, Push, PushOutcome, PushResult, Redirect, Rejection, RejectionCode,
    SyncRequest, SyncResponse, heads_from_wire, heads_to_wire,
};
use crate::replica::{Replica, SyncOutcome};
use crate::scope::{Audience, Scope};
use crate::store::Storage;
use crate::validate;

/// A push that changed the document.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The whole document after the merge, to store.
    pub bytes: Vec<u8>,
    /// The changes new to the server, for the change feed.
    pub changes: Vec<u8>,
    /// The server's heads after the merge.
    pub heads: Vec<Head>,
    /// The changes the pushing device lacks, to send back.
    pub reply: Vec<u8>,
    /// The record after the merge, for projections and the audience.
    pub record: Record,
}

/// What [`merge_push`] decided.
#[derive(Debug, Clone)]
pub enum PushMerge {
    /// The server already had every change: nothing to store.
    Unchanged {
        /// The server's heads.
        heads: Vec<Head>,
        /// The changes the pushing device lacks.
        reply: Vec<u8>,
    },
    /// The document changed: store it and append to the feed.
    Merged(Box<Merged>),
    /// The server lacks changes the push builds on: the device must send the whole document.
    Resend,
    /// Refused: store nothing.
    Rejected(Rejection),
}

impl PushMerge {
    /// The outcome to send to the device, for everything but a merge.
    pub fn into_outcome(self) -> PushOutcome {
        match self {
            Self::Unchanged { heads, reply } => PushOutcome::Accepted {
                heads,
                changes: reply,
            },
            Self::Merged(m) => PushOutcome::Accepted {
                heads: m.heads,
                changes: m.reply,
            },
            Self::Resend => PushOutcome::Resend,
            Self::Rejected(r) => PushOutcome::Rejected(r),
        }
    }
}

fn reject(code: RejectionCode, detail: impl ToString) -> PushMerge {
    PushMerge::Rejected(Rejection::new(code, detail))
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// Merges a pushed document into what the server stores (`stored`, `None`
/// if the server has no such document) and decides whether to accept it.
///
/// `device` is the device the push came from, as the hub authenticated it,
/// and `scope` what it may touch. A push is refused when the device may not
/// write the document as the server has it or as the device has it; when
/// the result is not a well-formed record or changes its identity (id,
/// kind, creator); when it names another device as the author of anything
/// new, or changes who recorded something (admins and the hub's own edits
/// are exempt); when the device's own version breaks a domain rule its
/// starting point did not break; or when it is too large. Violations that
/// only arise from merging with other devices' concurrent changes are
/// accepted: refusing them would lose a phone's work.
pub fn merge_push(
    stored: Option<&[u8]>,
    push: &Push,
    scope: &Scope,
    device: DeviceId,
) -> PushMerge {
    if matches!(scope, Scope::Viewer) {
        return reject(RejectionCode::ReadOnly, "viewers cannot change records");
    }
    if push.changes.len() > MAX_DOCUMENT_BYTES {
        return reject(RejectionCode::TooLarge, "the change is too large");
    }
    let (mut doc, before, loaded_whole) = match stored {
        Some(bytes) => match document::load(bytes, Origin::Stored).and_then(|d| {
            let record = document::decode(&d, None)?;
            Ok((d, record))
        }) {
            Ok((doc, record)) => (doc, Some(record), false),
            Err(e) => {
                return reject(
                    RejectionCode::Malformed,
                    format!("stored document unreadable: {e}"),
                );
            }
        },
        // A new record is loaded whole, which is quicker than applying its
        // changes to an empty document; on any trouble (missing dependencies
        // included) the general path below decides.
        None => match document::load(&push.changes, Origin::Push) {
            Ok(doc) => (doc, None, true),
            Err(_) => (AutoCommit::new(), None, false),
        },
    };
    let before_heads = if loaded_whole {
        Vec::new()
    } else {
        let heads = sorted(doc.get_heads());
        if let Err(e) = document::load_incremental(&mut doc, &push.changes, Origin::Push) {
            return reject(
                RejectionCode::Malformed,
                format!("not automerge changes: {e}"),
            );
        }
        heads
    };
    if !doc.get_missing_deps(&[]).is_empty() {
        return PushMerge::Resend;
    }
    let after_heads = sorted(doc.get_heads());
    let device_heads = sorted(heads_from_wire(&push.heads));
    if device_heads.is_empty()
        || device_heads
            .iter()
            .any(|h| after_heads.binary_search(h).is_err() && doc.get_change_by_hash(h).is_none())
    {
        return if push.base.is_empty() {
            reject(
                RejectionCode::Malformed,
                "the push does not contain its heads",
            )
        } else {
            PushMerge::Resend
        };
    }
    if after_heads == before_heads {
        return match &before {
            Some(record) if scope.can_read(&record.audience()) => PushMerge::Unchanged {
                heads: heads_to_wire(&after_heads),
                reply: doc.save_after(&device_heads),
            },
            Some(_) => reject(RejectionCode::OutOfScope, "outside this device's scope"),
            None => reject(RejectionCode::Malformed, "an empty document"),
        };
    }
    let after = match document::decode(&doc, None) {
        Ok(record) => record,
        Err(e) => return reject(RejectionCode::Malformed, e),
    };
    let device_version = if device_heads == after_heads {
        after.clone()
    } else {
        match document::decode(&doc, Some(&device_heads)) {
            Ok(record) => record,
            Err(e) => return reject(RejectionCode::Malformed, e),
        }
    };
    if device_version.id() != push.doc || after.id() != push.doc {
        return reject(
            RejectionCode::Malformed,
            "the document's id does not match the push",
        );
    }
    if let Some(before) = &before {
        let same_identity = before.kind() == after.kind()
            && before.created_by() == after.created_by()
            && before.id() == after.id();
        if !same_identity {
            return reject(
                RejectionCode::Invalid,
                "a record's kind and creator cannot change",
            );
        }
        if !scope.can_write(&before.audience()) {
            return reject(RejectionCode::OutOfScope, "outside this device's scope");
        }
    }
    if !scope.can_write(&device_version.audience()) {
        return reject(RejectionCode::OutOfScope, "outside this device's scope");
    }
    let breaks_rules = !validate::violations(&device_version).is_empty();
    let in_own_name = !matches!(scope, Scope::Admin);
    // What the device started from, when the server holds nothing to
    // measure it against (a document pushed whole, with its base).
    let base_version = if breaks_rules || (in_own_name && before.is_none()) {
        let base_heads = heads_from_wire(&push.base);
        if base_heads.is_empty() {
            None
        } else {
            document::decode(&doc, Some(&base_heads)).ok()
        }
    } else {
        None
    };
    if in_own_name {
        let baseline = before.as_ref().or(base_version.as_ref());
        if let Some(reason) = authorship::foreign_author(baseline, &device_version, device) {
            return reject(RejectionCode::Invalid, reason);
        }
    }
    if breaks_rules
        && let Some(violation) = validate::added_violation(base_version.as_ref(), &device_version)
    {
        return reject(RejectionCode::Invalid, violation);
    }
    // Bytes that loaded whole are a saved document (or changes) that loads
    // to exactly this one: they are stored as they came, not saved again.
    let bytes = if loaded_whole {
        push.changes.clone()
    } else {
        doc.save()
    };
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return reject(RejectionCode::TooLarge, "the document is too large");
    }
    // Each push keeps within chunks::MAX_OPERATIONS, but pushes to one
    // document add up: a document that held millions of operations in few
    // bytes would cost every later load of it (loaded whole, a new record's
    // bytes were counted as a push).
    if !loaded_whole
        && document::chunks::operations(&bytes)
            .is_ok_and(|n| n > document::chunks::MAX_DOCUMENT_OPERATIONS)
    {
        return reject(
            RejectionCode::TooLarge,
            format!(
                "the document would hold more than {} operations",
                document::chunks::MAX_DOCUMENT_OPERATIONS
            ),
        );
    }
    PushMerge::Merged(Box::new(Merged {
        bytes,
        // Everything in a new record is new to the server: the pushed bytes
        // are its changes, with no need to encode them again.
        changes: if before.is_none() {
            push.changes.clone()
        } else {
            doc.save_after(&before_heads)
        },
        heads: heads_to_wire(&after_heads),
        reply: if device_heads == after_heads {
            Vec::new()
        } else {
            doc.save_after(&device_heads)
        },
        record: after,
    }))
}

/// How many operations (and changes) a push's bytes hold, counted from
/// their run lengths without loading them: what merging it may cost. Bytes
/// that [`merge_push`] refuses unread count as none.
pub fn push_operations(push: &Push) -> u64 {
    document::chunks::operations(&push.changes)
        .ok()
        .filter(|&n| n <= document::chunks::MAX_OPERATIONS)
        .unwrap_or(0)
}

/// What to do with a push to a record that was merged into another.
#[derive(Debug, Clone)]
pub enum Rehome {
    /// The push holds only changes after its base, which the server no
    /// longer has: answer [`PushOutcome::Redirected`] with no heads, so the
    /// device sends its whole document (keeping its base).
    SendWhole,
    /// Refused: the whole document is not an acceptable record.
    Rejected(Rejection),
    /// Move what the device wrote to the survivor, with
    /// [`crate::authoring::absorb_push`]`(survivor, &late, since.as_ref(), ..)`
    /// merged with the device's own scope and name, as if it wrote the
    /// survivor directly (refused, for example, when the survivor is in a
    /// patch it may not write, or would move it into one of its own);
    /// then answer [`PushOutcome::Redirected`] with `heads`.
    Absorb {
        /// The device's version of the merged-away person.
        late: Box<crate::model::Person>,
        /// What the device's changes are measured against: the record at
        /// the push's base (what the device last knew the server had), or
        /// else as the server had it when it was merged away. `None` when
        /// the device's history holds neither.
        since: Option<Box<crate::model::Person>>,
        /// The device's heads, to send back.
        heads: Vec<Head>,
    },
}

/// Decides what to do with `push`, from `device` with `scope`, to a record
/// merged away when it had heads `merged_heads`. The device must send its
/// whole document (with its base, when it has one); it is checked like any
/// push, its changes since `since` (see [`Rehome::Absorb`]) being the
/// device's. Whether the device may write to the merged-away record is the
/// caller's check, on the record as it was merged; what is absorbed into
/// the survivor is judged again there, as if the device wrote it directly.
pub fn rehome_push(push: &Push, merged_heads: &[Head], scope: &Scope, device: DeviceId) -> Rehome {
    let merged = match merge_push(None, push, scope, device) {
        PushMerge::Merged(merged) => merged,
        PushMerge::Rejected(rejection) => return Rehome::Rejected(rejection),
        PushMerge::Resend | PushMerge::Unchanged { .. } => return Rehome::SendWhole,
    };
    let Record::Person(late) = merged.record else {
        return Rehome::Rejected(Rejection::new(
            RejectionCode::Invalid,
            "only people are merged",
        ));
    };
    let since = document::load(&merged.bytes, Origin::Stored)
        .ok()
        .and_then(|doc| {
            let at = |heads: &[Head]| -> Option<Box<crate::model::Person>> {
                let heads = heads_from_wire(heads);
                if heads.is_empty() || heads.iter().any(|h| doc.get_change_by_hash(h).is_none()) {
                    return None;
                }
                match document::decode(&doc, Some(&heads)) {
                    Ok(Record::Person(p)) => Some(Box::new(p)),
                    _ => None,
                }
            };
            at(&push.base).or_else(|| at(merged_heads))
        });
    Rehome::Absorb {
        late: Box::new(late),
        since,
        heads: push.heads.clone(),
    }
}

/// Reads the record held in stored document bytes.
pub fn read_record(stored: &[u8]) -> Result<Record, crate::Error> {
    let doc = document::load(stored, Origin::Stored)?;
    Ok(document::decode(&doc, None)?)
}

/// A stored document's heads, sorted.
pub fn document_heads(stored: &[u8]) -> Result<Vec<Head>, crate::Error> {
    let mut doc = document::load(stored, Origin::Stored)?;
    Ok(heads_to_wire(&sorted(doc.get_heads())))
}

/// Answers a pull: the changes in `stored` the device lacks given its heads
/// (the whole document if it has none, or heads the server does not know).
pub fn pull_changes(stored: &[u8], have: &[Head]) -> Result<Vec<u8>, crate::Error> {
    let mut doc = document::load(stored, Origin::Stored)?;
    let have = heads_from_wire(have);
    if have.is_empty() || have.iter().any(|h| doc.get_change_by_hash(h).is_none()) {
        Ok(stored.to_vec())
    } else {
        Ok(doc.save_after(&have))
    }
}

/// Where a device is in the server's change feed: the last sequence number it
/// has seen, in which life of the server's data (its epoch), and the
/// fingerprint of the scope it had then.
///
/// A hub's epoch changes when it is restored from a backup: its feed then
/// starts again below numbers devices have already seen, and it may lack
/// changes it had accepted from them. A cursor from another epoch is void,
/// and the device is asked to send everything again
/// ([`SyncResponse::resync`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    /// The last feed sequence number the device has seen.
    pub seq: u64,
    /// The epoch of the hub's data it was seen in (0 until the first restore).
    pub epoch: u64,
}

impl FeedCursor {
    /// A cursor's length: scope fingerprint, sequence number, epoch.
    const LEN: usize = 24;
    /// The length of cursors made before epochs (read as epoch 0).
    const LEN_BEFORE_EPOCHS: usize = 16;

    /// Reads a cursor a device sent to a hub whose data is in `epoch`:
    /// where to read its feed from, and whether the cursor is from another
    /// epoch (the device must then send everything again). An empty or
    /// unreadable cursor, or one made for another scope, starts from the
    /// beginning.
    pub fn read(bytes: &[u8], scope: &Scope, epoch: u64) -> (Self, bool) {
        let start = Self { seq: 0, epoch };
        if bytes.len() != Self::LEN && bytes.len() != Self::LEN_BEFORE_EPOCHS {
            return (start, false);
        }
        let word = |at: usize| {
            bytes
                .get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_le_bytes)
        };
        let (fingerprint, seq, sent_epoch) = (word(0), word(8), word(16));
        if sent_epoch != epoch {
            (start, true)
        } else if fingerprint == scope.fingerprint() {
            (Self { seq, epoch }, false)
        } else {
            (start, false)
        }
    }

    /// The bytes to send the device.
    pub fn write(self, scope: &Scope) -> Vec<u8> {
        let mut out = scope.fingerprint().to_le_bytes().to_vec();
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out
    }
}

#[derive(Debug, Clone)]
struct HubDoc {
    bytes: Vec<u8>,
    audience: Audience,
    created_seq: u64,
}

#[derive(Debug, Clone)]
enum FeedEntry {
    Changes {
        doc: DocId,
        changes: Vec<u8>,
    },
    Erased(DocId),
    Redirected(Redirect),
    /// `doc` moved out of the audience `from` (another patch): devices
    /// that could read it there and cannot now are told to drop it.
    Left {
        doc: DocId,
        from: Audience,
    },
}

/// A merged-away record: where it leads, and its heads and audience when
/// it was merged (devices that could write it may still write to it).
#[derive(Debug, Clone)]
struct Tombstone {
    to: DocId,
    heads: Vec<Head>,
    audience: Audience,
}

/// A complete sync server held in memory: the reference implementation of
/// the server's algorithm, used by property tests, examples and simulations.
#[derive(Debug, Clone)]
pub struct MemoryHub {
    docs: BTreeMap<DocId, HubDoc>,
    feed: BTreeMap<u64, FeedEntry>,
    erased: BTreeSet<DocId>,
    redirects: BTreeMap<DocId, Tombstone>,
    last_seq: u64,
    page_docs: usize,
    /// The hub's own device: the author of what it writes itself.
    device: DeviceId,
    /// The life of its data: one more at each [`MemoryHub::restore`].
    epoch: u64,
}

impl Default for MemoryHub {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryHub {
    /// Default most documents sent in one response.
    pub const DEFAULT_PAGE_DOCS: usize = 500;

    /// An empty hub.
    pub fn new() -> Self {
        Self::with_page_size(Self::DEFAULT_PAGE_DOCS)
    }

    /// An empty hub sending at most `page_docs` documents per response.
    pub fn with_page_size(page_docs: usize) -> Self {
        Self {
            docs: BTreeMap::new(),
            feed: BTreeMap::new(),
            erased: BTreeSet::new(),
            redirects: BTreeMap::new(),
            last_seq: 0,
            page_docs: page_docs.max(1),
            device: DeviceId::new(crate::ids::Timestamp::from_millis(0)),
            epoch: 0,
        }
    }

    /// Goes back to `backup` (a clone of this hub taken earlier), as a
    /// server restored from a backup does: in a new epoch, so devices that
    /// synced since send what they hold again.
    pub fn restore(&mut self, backup: MemoryHub) {
        let epoch = self.epoch.max(backup.epoch) + 1;
        *self = backup;
        self.epoch = epoch;
    }

    fn append(&mut self, entry: FeedEntry) -> u64 {
        self.last_seq += 1;
        self.feed.insert(self.last_seq, entry);
        self.last_seq
    }

    /// Answers one sync request from `device`, which has `scope`.
    pub fn handle(
        &mut self,
        scope: &Scope,
        device: DeviceId,
        request: &[u8],
    ) -> Result<Vec<u8>, ProtocolError> {
        let request = SyncRequest::decode(request)?;
        let (cursor, resync) = FeedCursor::read(&request.cursor, scope, self.epoch);
        let since = cursor.seq;
        let mut response = SyncResponse {
            resync,
            ..SyncResponse::default()
        };
        let mut own_seqs = BTreeSet::new();
        for push in &request.pushes {
            let outcome = if self.erased.contains(&push.doc) {
                PushOutcome::Rejected(Rejection::new(
                    RejectionCode::Erased,
                    "this record was erased",
                ))
            } else if let Some(tombstone) = self.redirects.get(&push.doc).cloned() {
                self.rehome(push, &tombstone, scope, device)
            } else {
                let stored = self.docs.get(&push.doc).map(|d| d.bytes.as_slice());
                match merge_push(stored, push, scope, device) {
                    PushMerge::Merged(merged) => {
                        own_seqs.insert(self.store(push.doc, &merged));
                        PushMerge::Merged(merged).into_outcome()
                    }
                    PushMerge::Resend => {
                        response.more = true;
                        PushOutcome::Resend
                    }
                    other => other.into_outcome(),
                }
            };
            response.pushed.push(PushResult {
                doc: push.doc,
                outcome,
            });
        }
        let mut whole_sent = BTreeSet::new();
        for Pull { doc, have } in &request.pulls {
            if self.erased.contains(doc) {
                response.erased.push(*doc);
                continue;
            }
            if let Some(tombstone) = self.redirects.get(doc) {
                if scope.can_read(&tombstone.audience) {
                    response.redirected.push(Redirect {
                        from: *doc,
                        to: tombstone.to,
                    });
                } else {
                    response.unavailable.push(*doc);
                }
                continue;
            }
            match self.docs.get(doc) {
                Some(d) if scope.can_read(&d.audience) => {
                    let changes = pull_changes(&d.bytes, have).unwrap_or_else(|_| d.bytes.clone());
                    response.updates.push(DocUpdate { doc: *doc, changes });
                    whole_sent.insert(*doc);
                }
                _ => response.unavailable.push(*doc),
            }
        }
        let mut last = since;
        for (&seq, entry) in self.feed.range(since + 1..) {
            if response.updates.len() >= self.page_docs {
                response.more = true;
                break;
            }
            last = seq;
            if own_seqs.contains(&seq) {
                continue;
            }
            match entry {
                FeedEntry::Erased(doc) => response.erased.push(*doc),
                FeedEntry::Left { doc, from } => {
                    // A record this device could hold, and no longer may.
                    let gone = self
                        .docs
                        .get(doc)
                        .is_some_and(|d| scope.can_read(from) && !scope.can_read(&d.audience));
                    if gone && !response.unavailable.contains(doc) {
                        response.unavailable.push(*doc);
                    }
                }
                FeedEntry::Redirected(redirect) => {
                    // Only devices that could read the record when it was
                    // merged hear of it.
                    let may_read = self
                        .redirects
                        .get(&redirect.from)
                        .is_some_and(|t| scope.can_read(&t.audience));
                    if may_read {
                        response.redirected.push(*redirect);
                    }
                }
                FeedEntry::Changes { doc, changes } => {
                    let stored = &self.docs[doc];
                    if !scope.can_read(&stored.audience) || whole_sent.contains(doc) {
                        continue;
                    }
                    if stored.created_seq > since {
                        // The device cannot have any of it: send it whole, once.
                        whole_sent.insert(*doc);
                        response.updates.push(DocUpdate {
                            doc: *doc,
                            changes: stored.bytes.clone(),
                        });
                    } else {
                        response.updates.push(DocUpdate {
                            doc: *doc,
                            changes: changes.clone(),
                        });
                    }
                }
            }
        }
        response.cursor = FeedCursor {
            seq: last,
            epoch: self.epoch,
        }
        .write(scope);
        Ok(response.encode())
    }

    /// Stores a merged document and appends its changes to the feed;
    /// returns the feed sequence number.
    fn store(&mut self, id: DocId, merged: &Merged) -> u64 {
        let seq = self.append(FeedEntry::Changes {
            doc: id,
            changes: merged.changes.clone(),
        });
        let audience = merged.record.audience();
        let before = self
            .docs
            .get(&id)
            .map(|d| (d.created_seq, d.audience.clone()));
        if let Some((_, from)) = &before
            && from.patch != audience.patch
        {
            let from = from.clone();
            self.append(FeedEntry::Left { doc: id, from });
        }
        self.docs.insert(
            id,
            HubDoc {
                bytes: merged.bytes.clone(),
                audience,
                created_seq: before.map_or(seq, |(created_seq, _)| created_seq),
            },
        );
        seq
    }

    /// Answers a push to a merged-away record by moving what it adds to
    /// the survivor ([`rehome_push`]).
    fn rehome(
        &mut self,
        push: &Push,
        tombstone: &Tombstone,
        scope: &Scope,
        device: DeviceId,
    ) -> PushOutcome {
        if !scope.can_write(&tombstone.audience) {
            return PushOutcome::Rejected(Rejection::new(
                RejectionCode::OutOfScope,
                "outside this device's scope",
            ));
        }
        let (late, since, heads) = match rehome_push(push, &tombstone.heads, scope, device) {
            Rehome::SendWhole => {
                return PushOutcome::Redirected {
                    to: tombstone.to,
                    heads: Vec::new(),
                };
            }
            Rehome::Rejected(rejection) => return PushOutcome::Rejected(rejection),
            Rehome::Absorb { late, since, heads } => (late, since, heads),
        };
        if !self.docs.contains_key(&tombstone.to) {
            return PushOutcome::Rejected(Rejection::new(
                RejectionCode::Erased,
                "this record was erased",
            ));
        }
        // The hub has no clock: the absorbed change carries the latest time
        // the device recorded anything.
        let at = late
            .interactions
            .iter()
            .map(|i| i.at)
            .chain([late.created_at])
            .max()
            .unwrap_or(late.created_at);
        match self.absorb(tombstone.to, &late, since.as_deref(), at, scope, device) {
            Ok(None) => PushOutcome::Redirected {
                to: tombstone.to,
                heads,
            },
            Ok(Some(refused)) => PushOutcome::Rejected(refused),
            Err(e) => PushOutcome::Rejected(Rejection::new(RejectionCode::Invalid, e)),
        }
    }

    /// Moves what `absorbed` holds into the stored `survivor`
    /// ([`crate::authoring::absorb_push`]), merged as `device` with `scope`
    /// would write it there (the hub's own merges write as admin). Returns
    /// the refusal when the survivor may not take it.
    fn absorb(
        &mut self,
        survivor: DocId,
        absorbed: &crate::model::Person,
        since: Option<&crate::model::Person>,
        at: crate::ids::Timestamp,
        scope: &Scope,
        device: DeviceId,
    ) -> Result<Option<Rejection>, crate::Error> {
        let Some(kept) = self.docs.get(&survivor) else {
            return Err(crate::Error::NoSuchRecord(survivor));
        };
        let stored = kept.bytes.clone();
        if let Some(push) = crate::authoring::absorb_push(&stored, absorbed, since, at)? {
            match merge_push(Some(&stored), &push, scope, device) {
                PushMerge::Merged(merged) => {
                    self.store(survivor, &merged);
                }
                PushMerge::Rejected(refused) => return Ok(Some(refused)),
                PushMerge::Unchanged { .. } | PushMerge::Resend => {}
            }
        }
        Ok(None)
    }

    /// Deletes a document and the feed entries holding its changes;
    /// returns whether it was held.
    fn remove(&mut self, id: DocId) -> bool {
        let held = self.docs.remove(&id).is_some();
        self.feed
            .retain(|_, e| !matches!(e, FeedEntry::Changes { doc, .. } if *doc == id));
        held
    }

    /// Merges two records of one person: `survivor` gets what `other` holds
    /// ([`crate::authoring::absorb_push`]), `other` becomes a tombstone that
    /// redirects to it, and devices are told at their next sync. Pushes to
    /// `other` from then on are moved to the survivor.
    pub fn merge_people(
        &mut self,
        survivor: DocId,
        other: DocId,
        at: crate::ids::Timestamp,
    ) -> Result<(), crate::Error> {
        if survivor == other {
            return Err(crate::Error::NoSuchRecord(other));
        }
        let (true, Some(gone)) = (self.docs.contains_key(&survivor), self.docs.get(&other)) else {
            return Err(crate::Error::NoSuchRecord(other));
        };
        let audience = gone.audience.clone();
        let Record::Person(absorbed) = read_record(&gone.bytes)? else {
            return Err(crate::Error::NoSuchRecord(other));
        };
        let heads = document_heads(&gone.bytes)?;
        // As admin: never refused for scope or authorship.
        let device = self.device;
        self.absorb(survivor, &absorbed, None, at, &Scope::Admin, device)?;
        self.remove(other);
        for tombstone in self.redirects.values_mut() {
            if tombstone.to == other {
                tombstone.to = survivor;
            }
        }
        for entry in self.feed.values_mut() {
            if let FeedEntry::Redirected(redirect) = entry
                && redirect.to == other
            {
                redirect.to = survivor;
            }
        }
        self.redirects.insert(
            other,
            Tombstone {
                to: survivor,
                heads,
                audience,
            },
        );
        self.append(FeedEntry::Redirected(Redirect {
            from: other,
            to: survivor,
        }));
        Ok(())
    }

    /// Most round trips [`Self::sync`] makes before giving up.
    pub const MAX_SYNC_ROUNDS: usize = 1000;

    /// Syncs a replica with this hub until neither side has more to send
    /// (or [`Self::MAX_SYNC_ROUNDS`] round trips were made: then the
    /// returned outcome still says `more`). Returns the outcomes added up.
    pub fn sync<S: Storage, C: Clock>(
        &mut self,
        scope: &Scope,
        replica: &mut Replica<S, C>,
    ) -> Result<SyncOutcome, crate::Error> {
        let mut total = SyncOutcome::default();
        for _ in 0..Self::MAX_SYNC_ROUNDS {
            let request = replica.sync_request()?;
            let response = self.handle(scope, replica.device(), &request)?;
            total.absorb(replica.apply_sync_response(&response)?);
            if total.settled() {
                break;
            }
        }
        Ok(total)
    }

    /// Erases a record: its document and every feed entry with its changes go,
    /// its id is kept for ever so no device can bring it back, and devices are
    /// told to delete their copies. Returns whether the record was held.
    pub fn erase(&mut self, id: DocId) -> bool {
        // Records merged into this one held the same person's data.
        let merged_in: Vec<DocId> = self
            .redirects
            .iter()
            .filter(|(_, t)| t.to == id)
            .map(|(from, _)| *from)
            .collect();
        for from in merged_in {
            self.redirects.remove(&from);
            if self.erased.insert(from) {
                self.append(FeedEntry::Erased(from));
            }
        }
        self.redirects.remove(&id);
        let held = self.remove(id);
        if self.erased.insert(id) {
            self.append(FeedEntry::Erased(id));
        }
        held
    }

    /// The record held for an id.
    pub fn record(&self, id: DocId) -> Option<Record> {
        read_record(&self.docs.get(&id)?.bytes).ok()
    }

    /// Every record held, by id.
    pub fn records(&self) -> Vec<Record> {
        self.docs.keys().filter_map(|id| self.record(*id)).collect()
    }

    /// The heads of a document, sorted.
    pub fn heads(&self, id: DocId) -> Option<Vec<Head>> {
        document_heads(&self.docs.get(&id)?.bytes).ok()
    }

    /// Ids of the documents held.
    pub fn document_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// Every byte the hub holds (documents and feed), to check that erased
    /// data is really gone.
    pub fn raw_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for doc in self.docs.values() {
            out.extend_from_slice(&doc.bytes);
        }
        for entry in self.feed.values() {
            if let FeedEntry::Changes { changes, .. } = entry {
                out.extend_from_slice(changes);
            }
        }
        out
    }
}
