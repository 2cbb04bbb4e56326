//! Merging a request's pushes as one batch, in one transaction, with a
//! thread of its own for automerge's work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use sync_core::{Ladder, Merged, Push, PushMerge, PushOutcome, Timestamp, merge_push};

use super::single::merge_in;
use super::{Author, InTransaction, Merge};
use crate::error::{Error, Result};
use crate::store::documents::{self, AudienceColumns, Stored, ToWrite};
use crate::store::{Backend, Connection, Db, area, projection};

/// Merges every push of a request in one transaction, so a phone's whole
/// session costs one durable commit. `then` runs in the same transaction
/// after the merges, with their results (marking the syncing device seen,
/// or recording what was imported in the audit log). Returns, in the
/// pushes' order, what became of each. Nothing is stored unless everything
/// is: a failure leaves the phone to send it all again.
pub async fn merge_all(
    db: &Db,
    pushes: Arc<[Push]>,
    author: &Author,
    now: Timestamp,
    then: impl for<'t> FnOnce(&'t mut Connection, &'t [Merge]) -> InTransaction<'t> + Send,
) -> Result<Vec<Merge>> {
    // Rows are locked in document order, so two requests touching the
    // same documents do not deadlock each other.
    let mut order: Vec<usize> = (0..pushes.len()).collect();
    order.sort_by_key(|&i| pushes[i].doc);
    // Each document's first push joins the batch; another push to the
    // same document (no phone sends one) is merged after it, alone.
    let (mut batch, mut alone) = (Vec::new(), Vec::new());
    for i in order {
        if batch
            .last()
            .is_some_and(|&last: &usize| pushes[last].doc == pushes[i].doc)
        {
            alone.push(i);
        } else {
            batch.push(i);
        }
    }
    let request = Request {
        pushes: &pushes,
        author,
        now,
    };
    let mut outcomes = Outcomes::new(pushes.len());
    // The merge thread starts with this request's turn to merge, not
    // before: requests waiting for a turn hold no thread.
    let (merger, ahead, rest, turn) = match db.backend {
        Backend::Sqlite if !batch.is_empty() => {
            let turn = db.merge_ahead_turn().await;
            let mut merger = Merger::start(Arc::clone(&pushes), author.clone());
            let (first, rest) = batch.split_at(MERGED_AHEAD.min(batch.len()));
            let mut conn = db.pool.acquire().await?;
            let work = to_merge(&mut conn, &pushes, first, &mut outcomes.left).await?;
            drop(conn);
            let ahead = merger.merge(work).await;
            (Some(merger), ahead, rest, Some(turn))
        }
        _ => (None, None, &batch[..], None),
    };
    // SQLite: in a transaction shared with the merges that wait after this
    // one (group commit; see `Db::shared_writer`).
    let mut writer = db.shared_writer().await?;
    drop(turn);
    let written = async {
        let mut tx = writer.begin().await?;
        // Read once per request, not per push; an area push in the request
        // updates it.
        let mut ladder = area::ladder(db, &mut tx).await?;
        merge_batch(
            &mut tx,
            &request,
            merger,
            ahead,
            rest,
            &mut ladder,
            &mut outcomes,
        )
        .await?;
        let Outcomes {
            mut results,
            mut left,
            ..
        } = outcomes;
        left.extend(alone);
        // Stable: a document's pushes stay in the order they came.
        left.sort_by_key(|&i| pushes[i].doc);
        for i in left {
            results[i] = merge_in(&mut tx, &pushes[i], author, now, &mut ladder).await?;
        }
        then(&mut tx, &results).await?;
        tx.commit().await?;
        Ok::<_, Error>(results)
    }
    .await;
    // Whatever happened, this request's turn ends here: a failed one has
    // taken back its own writes, and other requests' writes in the shared
    // transaction may be waiting for this turn to commit them.
    let committed = writer.commit().await;
    let results = written?;
    committed?;
    Ok(results)
}

/// SQLite: how many of a request's pushes are read and merged before it
/// waits for the write lock, on a reading connection. Under many phones
/// one request then merges while another writes, instead of each merging
/// with the lock held; a doorstep session's pushes all fit. Stored rows
/// read this early may be out of date by the time they are written: the
/// version check on update, and the conflict check on insert, send those
/// pushes to [`merge_in`], as for a concurrent process on PostgreSQL.
const MERGED_AHEAD: usize = 100;

/// Pushes merged on one thread before they are written on another. The
/// first chunk is small, so the writes start soon.
const MERGE_CHUNKS: (usize, usize) = (10, 100);

/// The request whose pushes are merged.
struct Request<'a> {
    pushes: &'a Arc<[Push]>,
    author: &'a Author,
    now: Timestamp,
}

/// What a batch's writes add up to as they go.
struct Outcomes {
    /// Per push, in the request's order.
    results: Vec<Merge>,
    /// Pushes for [`merge_in`]: to an erased or merged-away id, or whose
    /// document another process wrote since it was read.
    left: Vec<usize>,
    /// Whether a written area changed the ladder.
    ladder_changed: bool,
}

impl Outcomes {
    fn new(pushes: usize) -> Self {
        Self {
            results: vec![Merge::unstored(PushOutcome::Resend); pushes],
            left: Vec::new(),
            ladder_changed: false,
        }
    }
}

/// A push to merge: its index in the request, its id and its stored row
/// (`None` for a new document).
struct ToMerge {
    push: usize,
    id: String,
    stored: Option<Stored>,
}

/// A push merged in memory: its index in the request, its id, the stored
/// version it was merged with and the audience stored with it (`None` for a
/// new document) and what [`merge_push`] decided.
struct MergedPush {
    push: usize,
    id: String,
    version: Option<i64>,
    audience: Option<AudienceColumns>,
    merge: PushMerge,
}

/// Merges the pushes `batch` (indexes into the request's pushes, one per
/// document, in document order) after the chunk merged `ahead` of the write
/// lock, if any (by `merger`, the thread that merged it), with a handful of
/// statements per chunk of pushes: the chunk's documents are read in one
/// statement, merged, then written with multi-row statements (documents,
/// feed entries, projections). Every statement is a round trip to SQLite's
/// worker thread, so statements per push used to bound ingest. The merges
/// run on a thread of their own ([`Merger`]): while it merges one chunk,
/// this task writes the one before and reads the one after, so automerge's
/// work and the database's overlap on two cores, and only a few chunks'
/// documents are in memory at once.
async fn merge_batch(
    tx: &mut Connection,
    request: &Request<'_>,
    merger: Option<Merger>,
    ahead: Option<Vec<MergedPush>>,
    batch: &[usize],
    ladder: &mut Ladder,
    outcomes: &mut Outcomes,
) -> Result<()> {
    let now = request.now;
    let mut merger = match merger {
        Some(merger) => merger,
        // A request that only pulls starts no thread.
        None if batch.is_empty() => return Ok(()),
        None => Merger::start(Arc::clone(request.pushes), request.author.clone()),
    };
    let mut to_write = match ahead {
        Some(chunk) => Some(without_gone(tx, chunk, &mut outcomes.left).await?),
        None => None,
    };
    let mut in_flight = 0;
    let mut size = match to_write {
        Some(_) => MERGE_CHUNKS.1,
        None => MERGE_CHUNKS.0,
    };
    let mut rest = batch;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        (rest, size) = (after, MERGE_CHUNKS.1);
        let work = to_merge(tx, request.pushes, chunk, &mut outcomes.left).await?;
        if work.is_empty() {
            continue;
        }
        if !merger.send(work).await {
            // The thread is gone (it panicked): `finish` says why.
            break;
        }
        in_flight += 1;
        // One chunk merges while the one before it is written.
        if let Some(merged) = to_write.take() {
            write_merged(tx, merged, now, ladder, outcomes).await?;
        } else if in_flight == 2 {
            let Some(merged) = merger.merged.recv().await else {
                break;
            };
            in_flight -= 1;
            write_merged(tx, merged, now, ladder, outcomes).await?;
        }
    }
    if let Some(merged) = to_write {
        write_merged(tx, merged, now, ladder, outcomes).await?;
    }
    let mut merged_chunks = merger.finish();
    while let Some(merged) = merged_chunks.recv().await {
        write_merged(tx, merged, now, ladder, outcomes).await?;
    }
    merged_chunks.join().await;
    if outcomes.ladder_changed {
        // Stages are derived with the ladder: a new ladder re-derives them all.
        projection::reproject_people(tx, ladder, now).await?;
    }
    Ok(())
}

/// Reads a chunk's stored documents and makes its work for the [`Merger`].
/// Pushes to erased or merged-away ids go to `left` instead.
async fn to_merge(
    conn: &mut Connection,
    pushes: &[Push],
    chunk: &[usize],
    left: &mut Vec<usize>,
) -> Result<Vec<ToMerge>> {
    let ids: Vec<String> = chunk.iter().map(|&i| pushes[i].doc.to_string()).collect();
    let mut stored = documents::read_for_merge(conn, &ids).await?;
    let absent: Vec<&String> = ids.iter().filter(|id| !stored.contains_key(*id)).collect();
    documents::lock_new_ids(conn, &absent).await?;
    let gone = documents::gone_ids(conn, &absent).await?;
    let mut work = Vec::with_capacity(chunk.len());
    for (&push, id) in chunk.iter().zip(ids) {
        if gone.contains(&id) {
            left.push(push);
        } else {
            let stored = stored.remove(&id);
            work.push(ToMerge { push, id, stored });
        }
    }
    Ok(work)
}

/// A chunk merged ahead of the write lock, without its new documents that
/// were erased or merged away since they were read (created, then erased,
/// meanwhile): those go to `left`, so that an erased id is not inserted
/// again.
async fn without_gone(
    tx: &mut Connection,
    chunk: Vec<MergedPush>,
    left: &mut Vec<usize>,
) -> Result<Vec<MergedPush>> {
    let new: Vec<&String> = chunk
        .iter()
        .filter(|merged| merged.version.is_none())
        .map(|merged| &merged.id)
        .collect();
    let gone = documents::gone_ids(tx, &new).await?;
    if gone.is_empty() {
        return Ok(chunk);
    }
    Ok(chunk
        .into_iter()
        .filter(|merged| {
            let erased = merged.version.is_none() && gone.contains(&merged.id);
            if erased {
                left.push(merged.push);
            }
            !erased
        })
        .collect())
}

/// [`merge_push`] on a blocking thread, a chunk at a time, in the order the
/// chunks are sent. Each channel holds one chunk, so at most four chunks
/// exist at once: one waiting, one merging, one merged and one being
/// written.
struct Merger {
    work: tokio::sync::mpsc::Sender<Vec<ToMerge>>,
    merged: tokio::sync::mpsc::Receiver<Vec<MergedPush>>,
    thread: tokio::task::JoinHandle<()>,
}

impl Merger {
    fn start(pushes: Arc<[Push]>, author: Author) -> Self {
        let (work, mut todo) = tokio::sync::mpsc::channel::<Vec<ToMerge>>(1);
        let (done, merged) = tokio::sync::mpsc::channel(1);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(work) = todo.blocking_recv() {
                let chunk = merge_chunk(work, &pushes, &author);
                if done.blocking_send(chunk).is_err() {
                    // The writer stopped (its request failed): nothing to do.
                    return;
                }
            }
        });
        Self {
            work,
            merged,
            thread,
        }
    }

    /// Queues a chunk. `false` if the thread is gone.
    async fn send(&self, work: Vec<ToMerge>) -> bool {
        self.work.send(work).await.is_ok()
    }

    /// Merges a chunk, with nothing else in flight, and waits for it.
    /// `None` if the thread is gone (it panicked: `finish` says why).
    async fn merge(&mut self, work: Vec<ToMerge>) -> Option<Vec<MergedPush>> {
        if work.is_empty() || !self.send(work).await {
            return None;
        }
        self.merged.recv().await
    }

    /// No more work: what is left to receive, then [`Finished::join`].
    fn finish(self) -> Finished {
        Finished {
            merged: self.merged,
            thread: self.thread,
        }
    }
}

/// Merges a chunk on this thread and, where a core is free, on a helper
/// thread: both take the next push until none is left. The helper runs at
/// the lowest priority (on Linux), so it takes only time that the request's
/// writes and other requests leave idle: at normal priority it slowed the
/// writes as much as it sped the merges. In the sync benchmark it raised
/// ingest by about 8%.
fn merge_chunk(work: Vec<ToMerge>, pushes: &[Push], author: &Author) -> Vec<MergedPush> {
    let outcomes: Vec<OnceLock<PushMerge>> = work.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let merge_until_done = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = work.get(i) else {
            break;
        };
        let outcome = merge_push(
            item.stored.as_ref().map(|s| s.bytes.as_slice()),
            &pushes[item.push],
            &author.scope,
            author.device,
        );
        let first = outcomes[i].set(outcome).is_ok();
        debug_assert!(first, "each push is taken once");
    };
    std::thread::scope(|threads| {
        if work.len() > 1 {
            threads.spawn(|| {
                lower_this_threads_priority();
                merge_until_done();
            });
        }
        merge_until_done();
    });
    work.into_iter()
        .zip(outcomes)
        .map(|(item, outcome)| {
            let (version, audience) = match item.stored {
                Some(stored) => (Some(stored.version), Some(stored.audience)),
                None => (None, None),
            };
            MergedPush {
                push: item.push,
                id: item.id,
                version,
                audience,
                merge: outcome.into_inner().expect("every push was merged"),
            }
        })
        .collect()
}

/// Gives the calling thread the lowest scheduling priority. Linux keeps
/// nice values per thread, so this leaves the rest of the process alone.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // Failing leaves the helper at normal priority: slower, still correct.
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// A [`Merger`] with no more work coming.
struct Finished {
    merged: tokio::sync::mpsc::Receiver<Vec<MergedPush>>,
    thread: tokio::task::JoinHandle<()>,
}

impl Finished {
    async fn recv(&mut self) -> Option<Vec<MergedPush>> {
        self.merged.recv().await
    }

    /// Waits for the thread. A panic there carries on here, as if the
    /// merge had run on this task.
    async fn join(self) {
        if let Err(e) = self.thread.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// A push merged in memory, not yet written.
struct Pending {
    /// Its index in the request.
    push: usize,
    id: String,
    /// The stored version it was merged with; `None` for a new document.
    version: Option<i64>,
    /// The audience stored with that version.
    audience: Option<AudienceColumns>,
    merged: Box<Merged>,
}

/// Writes a chunk of merged pushes ([`documents::write()`]). Records each
/// push's outcome, and leaves for [`merge_in`] those another process wrote
/// first. When the chunk changed the area's ladder, `ladder` is the new one.
async fn write_merged(
    tx: &mut Connection,
    chunk: Vec<MergedPush>,
    now: Timestamp,
    ladder: &mut Ladder,
    outcomes: &mut Outcomes,
) -> Result<()> {
    let mut merged = Vec::with_capacity(chunk.len());
    for item in chunk {
        match item.merge {
            PushMerge::Merged(m) => merged.push(Pending {
                push: item.push,
                id: item.id,
                version: item.version,
                audience: item.audience,
                merged: m,
            }),
            other => outcomes.results[item.push] = Merge::unstored(other.into_outcome()),
        }
    }
    let to_write: Vec<ToWrite<'_>> = merged
        .iter()
        .map(|p| ToWrite {
            id: &p.id,
            version: p.version,
            before: p.audience.as_ref(),
            merged: &p.merged,
        })
        .collect();
    let written = documents::write(tx, &to_write, now, ladder).await?;
    outcomes.ladder_changed |= written.ladder_changed;
    for (pending, seq) in merged.into_iter().zip(written.seqs) {
        match seq {
            Some(seq) => {
                outcomes.results[pending.push] = Merge {
                    outcome: PushMerge::Merged(pending.merged).into_outcome(),
                    seq: Some(seq),
                };
            }
            None => outcomes.left.push(pending.push),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{NOW, new_person_push, test_phone};
    use sync_core::Scope;

    #[tokio::test]
    async fn a_new_person_erased_after_being_merged_ahead_is_not_inserted() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let mut phone = test_phone(NOW);
        let mut push = |index: usize, name: &str| {
            let push = new_person_push(&mut phone, name);
            let merge = merge_push(None, &push, &Scope::Admin, phone.device());
            assert!(matches!(merge, PushMerge::Merged(_)));
            (
                push.doc,
                MergedPush {
                    push: index,
                    id: push.doc.to_string(),
                    version: None,
                    audience: None,
                    merge,
                },
            )
        };
        let (_, kept) = push(0, "Kept");
        let (erased, erased_meanwhile) = push(1, "Erased meanwhile");
        let kept_id = kept.id.clone();
        // Merged ahead, both new; then the second is created and erased by
        // someone else before this request takes the writer's turn.
        let writer = db.writer().await;
        let mut tx = writer.begin().await.expect("begin");
        documents::erase(&mut tx, erased, NOW).await.expect("erase");
        let mut left = Vec::new();
        let chunk = without_gone(&mut tx, vec![kept, erased_meanwhile], &mut left)
            .await
            .expect("without gone");
        assert_eq!(left, vec![1], "the erased person goes to merge_in");
        let ids: Vec<&str> = chunk.iter().map(|merged| merged.id.as_str()).collect();
        assert_eq!(ids, vec![kept_id.as_str()]);
    }
}
