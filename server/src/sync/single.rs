//! Merging one push at a time, inside the caller's transaction: pushes to
//! erased or merged-away ids, a second push to one document, documents
//! another process wrote meanwhile, and the server's own edits.

use sync_core::authoring;
use sync_core::hub::{Rehome, rehome_push};
use sync_core::{
    DeviceId, DocId, Ladder, Merged, Push, PushMerge, PushOutcome, Rejection, RejectionCode, Scope,
    Timestamp, merge_push,
};

use super::{Author, Merge};
use crate::error::{Error, Result};
use crate::store::documents::{self, Gone, Stored, ToWrite, Tombstone};
use crate::store::{Connection, projection};

/// How often a merge is retried when another process changed the document.
const MERGE_ATTEMPTS: usize = 20;

/// Merges one push inside the caller's transaction, as a device with
/// `scope`; `ladder` is the area's ladder as of this transaction. The
/// server's own edits (the area, events, doors) come this way too, with
/// the admin's scope.
pub async fn merge_in(
    tx: &mut Connection,
    push: &Push,
    author: &Author,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<Merge> {
    for _ in 0..MERGE_ATTEMPTS {
        // Merges of one document from several processes queue here
        // instead of racing.
        let stored = documents::lock(tx, push.doc).await?;
        // A stored document is neither erased nor merged away (both delete
        // it in the transaction that records them). Without one, look: this
        // runs after the lock above, so an erasure or a merge that held the
        // row has committed and is seen.
        if stored.is_none() {
            documents::lock_new_ids(tx, &[&push.doc.to_string()]).await?;
            match documents::gone(tx, push.doc).await? {
                Gone::Erased => {
                    return Ok(Merge::unstored(PushOutcome::Rejected(Rejection::new(
                        RejectionCode::Erased,
                        "this record was erased",
                    ))));
                }
                Gone::MergedInto(tombstone) => {
                    // The survivor's change is not this push's own: the
                    // feed carries it to the device in this same response.
                    let outcome = rehome(tx, push, tombstone, author, now, ladder).await?;
                    return Ok(Merge::unstored(outcome));
                }
                Gone::Never => {}
            }
        }
        let stored_bytes = stored.as_ref().map(|s| s.bytes.as_slice());
        let merged = match merge_push(stored_bytes, push, &author.scope, author.device) {
            PushMerge::Merged(merged) => merged,
            other => return Ok(Merge::unstored(other.into_outcome())),
        };
        // `None`: another process created the document since we looked
        // (its insert has committed by now): read it and merge again.
        if let Some(seq) = write_merge(tx, push.doc, stored.as_ref(), &merged, now, ladder).await? {
            return Ok(Merge {
                outcome: PushMerge::Merged(merged).into_outcome(),
                seq: Some(seq),
            });
        }
    }
    Err(Error::Busy)
}

/// Answers a push to a merged-away record: what the device wrote there is
/// moved to the survivor (see [`sync_core::hub::rehome_push`]), so a phone
/// that had not heard of the merge loses nothing. The device must have been
/// able to write the record when it was merged, and what moves to the
/// survivor is judged as if the device wrote the survivor directly, as it
/// is and as it would become: a late edit never reaches a survivor in a
/// patch the device may not write, nor moves one into its patches.
async fn rehome(
    tx: &mut Connection,
    push: &Push,
    mut tombstone: Tombstone,
    author: &Author,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<PushOutcome> {
    if !author.scope.can_write(&tombstone.audience) {
        return Ok(PushOutcome::Rejected(Rejection::new(
            RejectionCode::OutOfScope,
            "outside this device's scope",
        )));
    }
    let (late, since, heads) =
        match rehome_push(push, &tombstone.heads, &author.scope, author.device) {
            Rehome::SendWhole => {
                return Ok(PushOutcome::Redirected {
                    to: tombstone.survivor,
                    heads: Vec::new(),
                });
            }
            Rehome::Rejected(rejection) => return Ok(PushOutcome::Rejected(rejection)),
            Rehome::Absorb { late, since, heads } => (late, since, heads),
        };
    for _ in 0..MERGE_ATTEMPTS {
        let Some(stored) = documents::lock(tx, tombstone.survivor).await? else {
            // The survivor was merged away or erased since the redirect was
            // read (another process): read where the record leads now.
            match documents::gone(tx, push.doc).await? {
                Gone::MergedInto(now_leads) if now_leads.survivor != tombstone.survivor => {
                    tombstone = now_leads;
                    continue;
                }
                _ => {
                    return Ok(PushOutcome::Rejected(Rejection::new(
                        RejectionCode::Erased,
                        "this record was erased",
                    )));
                }
            }
        };
        let absorb = match authoring::absorb_push(&stored.bytes, &late, since.as_deref(), now) {
            Ok(absorb) => absorb,
            Err(sync_core::Error::Validation(e)) => {
                return Ok(PushOutcome::Rejected(Rejection::new(
                    RejectionCode::Invalid,
                    e,
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(absorb) = absorb {
            match merge_push(Some(&stored.bytes), &absorb, &author.scope, author.device) {
                PushMerge::Merged(merged) => {
                    // The row is locked, so its version cannot have moved.
                    let survivor = tombstone.survivor;
                    write_merge(tx, survivor, Some(&stored), &merged, now, ladder)
                        .await?
                        .ok_or(Error::Busy)?;
                }
                PushMerge::Rejected(refused) => return Ok(PushOutcome::Rejected(refused)),
                PushMerge::Unchanged { .. } | PushMerge::Resend => {}
            }
        }
        return Ok(PushOutcome::Redirected {
            to: tombstone.survivor,
            heads,
        });
    }
    Err(Error::Busy)
}

/// Merges a push the server wrote itself, as its device `by`, into the
/// stored `id`, which the caller has locked ([`documents::lock`]) in this
/// transaction.
pub async fn merge_server_push(
    tx: &mut Connection,
    id: DocId,
    stored: &Stored,
    push: &Push,
    by: DeviceId,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<u64> {
    let merged = match merge_push(Some(&stored.bytes), push, &Scope::Admin, by) {
        PushMerge::Merged(merged) => merged,
        other => {
            return Err(Error::Corrupt(format!(
                "the server's own change was not accepted: {:?}",
                other.into_outcome()
            )));
        }
    };
    // The row is locked, so its version cannot have moved.
    write_merge(tx, id, Some(stored), &merged, now, ladder)
        .await?
        .ok_or(Error::Busy)
}

/// Writes a merged document over what was `stored` (`None` for a new
/// document): its row, its feed entries and its projections
/// ([`documents::write()`], for one), and re-derives every person's stages
/// if it changed the ladder. `None` if the stored version moved on (the
/// caller merges again).
pub async fn write_merge(
    conn: &mut Connection,
    id: DocId,
    stored: Option<&Stored>,
    merged: &Merged,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<Option<u64>> {
    let id = id.to_string();
    let document = ToWrite {
        id: &id,
        version: stored.map(|s| s.version),
        before: stored.map(|s| &s.audience),
        merged,
    };
    let written = documents::write(conn, &[document], now, ladder).await?;
    if written.ladder_changed {
        // Stages are derived with the ladder: a new ladder re-derives them all.
        projection::reproject_people(conn, ladder, now).await?;
    }
    Ok(written.seqs.into_iter().next().flatten())
}
