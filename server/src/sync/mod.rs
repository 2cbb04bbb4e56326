//! The hub over the store: sync-core's hub algorithm (as in
//! `sync_core::MemoryHub::handle`) with documents, feed and projections in
//! the database.
//!
//! A request's pushes are merged in one transaction (`batch`): the
//! document rows, the change feed and the projections change together or
//! not at all, and the answer is built only after the commit. Pushes that
//! cannot join the batch (to an erased or merged-away id, a second push to
//! one document, a document another process wrote meanwhile) are merged
//! one at a time (`single`). Concurrent merges of one document (several
//! server processes on one PostgreSQL) are kept apart by the document's
//! `version`: an update that finds another version rolls back and merges
//! again from what was committed, so no change is lost. `feed` answers
//! pulls and reads the feed for the device.

mod batch;
mod feed;
mod single;

use std::collections::BTreeSet;
use std::sync::Arc;

use sync_core::{
    DeviceId, FeedCursor, Push, PushOutcome, PushResult, Scope, SyncRequest, SyncResponse,
    Timestamp,
};

pub use batch::merge_all;
pub use feed::PAGE_DOCS;
pub use single::{merge_in, merge_server_push, write_merge};

use crate::error::Result;
use crate::store::Db;
use crate::store::devices::{self, Device};

/// More work a caller does in a merge's transaction, after the merge.
pub type InTransaction<'t> = std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send + 't>>;

/// Nothing more to do in a merge's transaction.
pub fn nothing_more<'t>(_: &'t mut crate::store::Connection, _: &'t [Merge]) -> InTransaction<'t> {
    Box::pin(std::future::ready(Ok(())))
}

/// Who a push comes from: the device the hub authenticated, and what its
/// role lets it touch. New entries in a push must name the device (admins
/// and the server's own edits are exempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// What the device may read and write.
    pub scope: Scope,
    /// The device.
    pub device: DeviceId,
}

impl Author {
    /// The server itself, writing as its own device `device`.
    pub fn server(device: DeviceId) -> Self {
        Self {
            scope: Scope::Admin,
            device,
        }
    }
}

/// What became of one push: the outcome for the device and, when the
/// document changed, the feed sequence number of the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// What the device is told.
    pub outcome: PushOutcome,
    /// The change's place in the feed, if the document changed.
    pub seq: Option<u64>,
}

impl Merge {
    /// An outcome that stored nothing.
    fn unstored(outcome: PushOutcome) -> Self {
        Self { outcome, seq: None }
    }
}

/// The most operations one request's pushes may bring to merge, counted
/// without loading them (`sync_core::push_operations`): about a second of
/// automerge's loading on these machines. A phone's full request of 2,000
/// new people holds about 42,000. Pushes past it are left unanswered, and
/// the phone, which still counts them unsent, sends them next time.
const REQUEST_OPERATIONS: u64 = 2_000_000;

/// Answers one sync request from `device` (decoded from `body`): its
/// pushes merged and committed, its pulls answered and the feed after its
/// cursor read. A revoked device is told to wipe its store. The caller
/// records what the device received before sending the answer.
pub async fn handle(db: &Db, device: &Device, body: &[u8], now: Timestamp) -> Result<Answer> {
    let mut request = SyncRequest::decode(body)?;
    if device.revoked {
        return Ok(Answer {
            response: SyncResponse {
                wipe: true,
                ..SyncResponse::default()
            },
            feed_entries: 0,
        });
    }
    let scope = device.scope();
    let epoch = crate::store::feed::epoch(&mut *db.pool.acquire().await?).await?;
    let (cursor, resync) = FeedCursor::read(&request.cursor, &scope, epoch);
    let since = cursor.seq;
    let mut response = SyncResponse {
        resync,
        ..SyncResponse::default()
    };
    let mut own_seqs = BTreeSet::new();
    let (pushes, deferred) = within_budget(std::mem::take(&mut request.pushes));
    response.more |= deferred;
    let pushes: Arc<[Push]> = pushes.into();
    let author = Author {
        scope: scope.clone(),
        device: device.id,
    };
    let merged = merge_all(db, Arc::clone(&pushes), &author, now, |tx, _| {
        Box::pin(devices::touch(tx, author.device, now))
    })
    .await?;
    for (push, Merge { outcome, seq }) in pushes.iter().zip(merged) {
        own_seqs.extend(seq);
        if outcome == PushOutcome::Resend {
            response.more = true;
        }
        response.pushed.push(PushResult {
            doc: push.doc,
            outcome,
        });
    }
    let mut conn = db.pool.acquire().await?;
    let mut whole_sent = BTreeSet::new();
    for pull in &request.pulls {
        feed::answer_pull(&mut conn, pull, &scope, &mut response, &mut whole_sent).await?;
    }
    let last = feed::read_feed(
        &mut conn,
        since,
        &scope,
        &own_seqs,
        &mut whole_sent,
        &mut response,
    )
    .await?;
    response.cursor = FeedCursor { seq: last, epoch }.write(&scope);
    Ok(Answer {
        response,
        feed_entries: last.saturating_sub(since),
    })
}

/// The hub's answer to one request.
#[derive(Debug)]
pub struct Answer {
    /// What the device is sent.
    pub response: SyncResponse,
    /// Feed entries read past the device's cursor.
    pub feed_entries: u64,
}

/// The pushes, in order, that fit within [`REQUEST_OPERATIONS`] (the first
/// always does, so a phone always moves on), and whether any were left out.
fn within_budget(mut pushes: Vec<Push>) -> (Vec<Push>, bool) {
    let mut spent = 0u64;
    let fit = pushes
        .iter()
        .position(|push| {
            spent = spent.saturating_add(sync_core::push_operations(push));
            spent > REQUEST_OPERATIONS
        })
        .map_or(pushes.len(), |first_over| first_over.max(1));
    let deferred = fit < pushes.len();
    pushes.truncate(fit);
    (pushes, deferred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::DocId;

    /// A push of an automerge text of `letters` letters: that many
    /// operations, and two more (the text and the change).
    fn push_of(letters: usize) -> Push {
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        let text = doc
            .put_object(automerge::ROOT, "text", automerge::ObjType::Text)
            .expect("text");
        doc.splice_text(&text, 0, 0, &"a".repeat(letters))
            .expect("splice");
        Push {
            doc: DocId::new(crate::testing::NOW),
            base: Vec::new(),
            heads: Vec::new(),
            changes: doc.save(),
        }
    }

    #[test]
    fn a_request_merges_pushes_up_to_its_budget_and_leaves_the_rest() {
        let push = push_of(99_998);
        assert_eq!(sync_core::push_operations(&push), 100_000);
        let (kept, deferred) = within_budget(vec![push.clone(); 25]);
        assert_eq!(kept.len(), 20);
        assert!(deferred);
        let (kept, deferred) = within_budget(vec![push.clone(); 20]);
        assert_eq!(kept.len(), 20);
        assert!(!deferred);
        // Pushes that will be refused unread cost nothing.
        let refused = push_of(100_000);
        assert_eq!(sync_core::push_operations(&refused), 0);
        let (kept, _) = within_budget(vec![refused; 100]);
        assert_eq!(kept.len(), 100);
        assert_eq!(within_budget(Vec::new()), (Vec::new(), false));
    }
}
