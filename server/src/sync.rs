//! The sync endpoint's logic: sync-core's hub algorithm (as in
//! `sync_core::MemoryHub::handle`) over the database.
//!
//! A request's pushes are merged in one transaction: the document rows, the
//! change feed and the projections change together or not at all, and the
//! answer is built only after the commit. Concurrent merges of one document (several
//! server processes on one PostgreSQL) are kept apart by the document's
//! `version`: an update that finds another version rolls back and merges
//! again from what was committed, so no change is lost.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use sqlx::AnyConnection;
use sync_core::authoring::{self, Reduction};
use sync_core::hub::{Rehome, rehome_push};
use sync_core::{
    Audience, DeviceId, DocId, DocKind, DocUpdate, FeedCursor, Head, Ladder, Merged, Pull, Push,
    PushMerge, PushOutcome, PushResult, Record, Redirect, Rejection, RejectionCode, Scope,
    SyncRequest, SyncResponse, Timestamp, merge_push, pull_changes, read_record,
};

use crate::audit::{self, Action};
use crate::auth::{self, Device};
use crate::db::{Backend, Db, MAX_PARAMS, fetch_for_keys, numbered_placeholders, placeholders};
use crate::error::{Error, Result};
use crate::projection;

/// Most documents sent in one response.
pub const PAGE_DOCS: usize = 500;
/// Most feed entries read for one response.
const SCAN_ROWS: i64 = 2000;
/// How often a merge is retried when another process changed the document.
const MERGE_ATTEMPTS: usize = 20;
/// The most operations one request's pushes may bring to merge, counted
/// without loading them (`sync_core::push_operations`): about a second of
/// automerge's loading on these machines. A phone's full request of 2,000
/// new people holds about 42,000. Pushes past it are left unanswered, and
/// the phone, which still counts them unsent, sends them next time.
const REQUEST_OPERATIONS: u64 = 2_000_000;

/// Answers one sync request from `device`.
pub async fn handle(db: &Db, device: &Device, body: &[u8], now: Timestamp) -> Result<Vec<u8>> {
    let mut request = SyncRequest::decode(body)?;
    if device.revoked {
        return Ok(SyncResponse {
            wipe: true,
            ..SyncResponse::default()
        }
        .encode());
    }
    let scope = device.scope();
    let since = FeedCursor::read(&request.cursor, &scope).seq;
    let mut response = SyncResponse::default();
    let mut own_seqs = BTreeSet::new();
    let (pushes, deferred) = within_budget(std::mem::take(&mut request.pushes));
    response.more |= deferred;
    let pushes: Arc<[Push]> = pushes.into();
    let merged = merge_all(db, Arc::clone(&pushes), &scope, now, Some(device.id)).await?;
    for (push, (outcome, seq)) in pushes.iter().zip(merged) {
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
        answer_pull(&mut conn, pull, &scope, &mut response, &mut whole_sent).await?;
    }
    let last = read_feed(
        &mut conn,
        since,
        &scope,
        &own_seqs,
        &mut whole_sent,
        &mut response,
    )
    .await?;
    response.cursor = FeedCursor { seq: last }.write(&scope);
    drop(conn);
    if !response.updates.is_empty() {
        let writer = db.writer().await;
        let mut conn = writer.acquire().await?;
        let ids: Vec<String> = response.updates.iter().map(|u| u.doc.to_string()).collect();
        audit::record_on(
            &mut conn,
            now,
            &device.id.to_string(),
            Action::Received,
            None,
            &ids.join(","),
        )
        .await?;
    }
    Ok(response.encode())
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

/// The document's stored row.
struct Stored {
    bytes: Vec<u8>,
    version: i64,
}

fn audience_columns(audience: &Audience) -> (String, Option<String>, String) {
    let devices: Vec<String> = audience.devices.iter().map(ToString::to_string).collect();
    (
        audience.kind.as_str().to_owned(),
        audience.patch.clone(),
        devices.join(","),
    )
}

fn audience_from(kind: &str, patch: Option<String>, devices: &str) -> Result<Audience> {
    Ok(Audience {
        kind: DocKind::parse(kind)
            .ok_or_else(|| Error::Corrupt(format!("document kind {kind}")))?,
        patch,
        devices: devices
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.parse()
                    .map_err(|_| Error::Corrupt(format!("device id {d}")))
            })
            .collect::<Result<_>>()?,
    })
}

/// Whether an id was erased.
pub async fn is_erased(conn: &mut AnyConnection, id: DocId) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM erased WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// The area's ladder (the default one until an area is configured).
pub async fn area_ladder(conn: &mut AnyConnection) -> Result<Ladder> {
    Ok(crate::admin::shared_area_on(conn)
        .await?
        .map(|area| area.ladder.clone())
        .unwrap_or_default())
}

/// Merges one push and commits it. Returns the outcome for the device and,
/// when the document changed, the feed sequence number of the change.
pub async fn merge(
    db: &Db,
    push: &Push,
    scope: &Scope,
    now: Timestamp,
) -> Result<(PushOutcome, Option<u64>)> {
    let mut merged = merge_all(db, Arc::from([push.clone()]), scope, now, None).await?;
    Ok(merged.remove(0))
}

/// Merges every push of a request in one transaction, so a phone's whole
/// session costs one durable commit; the syncing `device`, if any, is
/// marked seen in the same commit. Returns, in the pushes' order, each
/// outcome and, when the document changed, its feed sequence number.
/// Nothing is stored unless everything is: a failure leaves the phone to
/// send it all again.
pub async fn merge_all(
    db: &Db,
    pushes: Arc<[Push]>,
    scope: &Scope,
    now: Timestamp,
    device: Option<DeviceId>,
) -> Result<Vec<(PushOutcome, Option<u64>)>> {
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
    let mut left = Vec::new();
    // The merge thread starts with this request's turn to merge, not
    // before: requests waiting for a turn hold no thread.
    let (merger, ahead, rest, turn) = match db.backend {
        Backend::Sqlite if !batch.is_empty() => {
            let turn = db.merge_ahead_turn().await;
            let mut merger = Merger::start(Arc::clone(&pushes), scope.clone());
            let (first, rest) = batch.split_at(MERGED_AHEAD.min(batch.len()));
            let mut conn = db.pool.acquire().await?;
            let work = chunk_work(&mut conn, &pushes, first, &mut left).await?;
            drop(conn);
            let ahead = merger.merge(work).await;
            (Some(merger), ahead, rest, Some(turn))
        }
        _ => (None, None, &batch[..], None),
    };
    let writer = db.writer().await;
    drop(turn);
    let mut tx = writer.begin().await?;
    // Read once per request, not per push; an area push in the request
    // updates it.
    let mut ladder = area_ladder(&mut tx).await?;
    let mut results = vec![(PushOutcome::Resend, None); pushes.len()];
    left.extend(
        merge_batch(
            &mut tx,
            merger,
            ahead,
            (&pushes, scope, rest),
            now,
            &mut ladder,
            &mut results,
        )
        .await?,
    );
    left.extend(alone);
    // Stable: a document's pushes stay in the order they came.
    left.sort_by_key(|&i| pushes[i].doc);
    for i in left {
        results[i] = merge_in(&mut tx, &pushes[i], scope, now, &mut ladder).await?;
    }
    if let Some(device) = device {
        auth::touch_device(&mut tx, device, now).await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// SQLite: how many of a request's pushes are read and merged before it
/// waits for the write lock, on a reading connection. Under many phones
/// one request then merges while another writes, instead of each merging
/// with the lock held; a doorstep session's pushes all fit. Stored rows
/// read this early may be out of date by the time they are written: the
/// version check on update, and the conflict check on insert, send those
/// pushes to `merge_in`, as for a concurrent process on PostgreSQL.
const MERGED_AHEAD: usize = 100;

/// Merges the pushes `batch.2` (indexes into `batch.0`, one per document,
/// in document order) after the chunk merged `ahead` of the write lock,
/// if any (by `merger`, the thread that merged it), with a handful of
/// statements per chunk of pushes: the chunk's documents are read in one
/// statement, merged, then written with multi-row statements (documents,
/// feed entries, projections). Every statement is a round trip to SQLite's
/// worker thread, so statements per push used to bound ingest. The merges run on a thread of their own
/// ([`Merger`]): while it merges one chunk, this task writes the one before
/// and reads the one after, so automerge's work and the database's overlap
/// on two cores, and only a few chunks' documents are in memory at once.
///
/// Writes each outcome into `results`, and returns the pushes left for
/// [`merge_in`]: those to an erased or merged-away id, and those whose
/// document another process wrote since it was read.
async fn merge_batch(
    tx: &mut AnyConnection,
    merger: Option<Merger>,
    ahead: Option<MergedChunk>,
    (pushes, scope, batch): (&Arc<[Push]>, &Scope, &[usize]),
    now: Timestamp,
    ladder: &mut Ladder,
    results: &mut [(PushOutcome, Option<u64>)],
) -> Result<Vec<usize>> {
    let mut merger = match merger {
        Some(merger) => merger,
        // A request that only pulls starts no thread.
        None if batch.is_empty() => return Ok(Vec::new()),
        None => Merger::start(Arc::clone(pushes), scope.clone()),
    };
    let mut left = Vec::new();
    let mut ladder_changed = false;
    let mut to_write = match ahead {
        Some(chunk) => Some(without_gone(tx, chunk, &mut left).await?),
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
        let work = chunk_work(tx, pushes, chunk, &mut left).await?;
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
            ladder_changed |= write_merged(tx, merged, now, ladder, results, &mut left).await?;
        } else if in_flight == 2 {
            let Some(merged) = merger.merged.recv().await else {
                break;
            };
            in_flight -= 1;
            ladder_changed |= write_merged(tx, merged, now, ladder, results, &mut left).await?;
        }
    }
    if let Some(merged) = to_write {
        ladder_changed |= write_merged(tx, merged, now, ladder, results, &mut left).await?;
    }
    let mut merged_chunks = merger.finish();
    while let Some(merged) = merged_chunks.recv().await {
        ladder_changed |= write_merged(tx, merged, now, ladder, results, &mut left).await?;
    }
    merged_chunks.join().await;
    if ladder_changed {
        // Stages are derived with the ladder: a new ladder re-derives them all.
        projection::reproject_people(tx, ladder, now).await?;
    }
    Ok(left)
}

/// Reads a chunk's stored documents and makes its work for the [`Merger`].
/// Pushes to erased or merged-away ids go to `left` instead.
async fn chunk_work(
    conn: &mut AnyConnection,
    pushes: &[Push],
    chunk: &[usize],
    left: &mut Vec<usize>,
) -> Result<Work> {
    let ids: Vec<String> = chunk.iter().map(|&i| pushes[i].doc.to_string()).collect();
    let mut stored = read_documents(conn, &ids).await?;
    let absent: Vec<&String> = ids.iter().filter(|id| !stored.contains_key(*id)).collect();
    lock_new_ids(conn, &absent).await?;
    let gone = gone_ids(conn, &absent).await?;
    let mut work = Vec::with_capacity(chunk.len());
    for (&push, id) in chunk.iter().zip(ids) {
        if gone.contains(&id) {
            left.push(push);
        } else {
            let row = stored.remove(&id);
            work.push((push, id, row));
        }
    }
    Ok(work)
}

/// A chunk merged ahead of the write lock, without its new documents that
/// were erased or merged away since they were read (created, then erased,
/// meanwhile): those go to `left`, so that an erased id is not inserted
/// again.
async fn without_gone(
    tx: &mut AnyConnection,
    chunk: MergedChunk,
    left: &mut Vec<usize>,
) -> Result<MergedChunk> {
    let new: Vec<&String> = chunk
        .iter()
        .filter(|(_, _, version, _)| version.is_none())
        .map(|(_, id, _, _)| id)
        .collect();
    let gone = gone_ids(tx, &new).await?;
    if gone.is_empty() {
        return Ok(chunk);
    }
    Ok(chunk
        .into_iter()
        .filter(|(push, id, version, _)| {
            let erased = version.is_none() && gone.contains(id);
            if erased {
                left.push(*push);
            }
            !erased
        })
        .collect())
}

/// Pushes merged on one thread before they are written on another. The
/// first chunk is small, so the writes start soon.
const MERGE_CHUNKS: (usize, usize) = (10, 100);

/// Pushes to merge: each push's index, id and stored row (`None` for a new
/// document).
type Work = Vec<(usize, String, Option<Stored>)>;

/// A merged chunk: each push's index, id, the stored version it was merged
/// with (`None` for a new document) and what [`merge_push`] decided.
type MergedChunk = Vec<(usize, String, Option<i64>, PushMerge)>;

/// [`merge_push`] on a blocking thread, a chunk at a time, in the order the
/// chunks are sent. Each channel holds one chunk, so at most four chunks
/// exist at once: one waiting, one merging, one merged and one being
/// written.
struct Merger {
    work: tokio::sync::mpsc::Sender<Work>,
    merged: tokio::sync::mpsc::Receiver<MergedChunk>,
    thread: tokio::task::JoinHandle<()>,
}

impl Merger {
    fn start(pushes: Arc<[Push]>, scope: Scope) -> Self {
        let (work, mut todo) = tokio::sync::mpsc::channel::<Work>(1);
        let (done, merged) = tokio::sync::mpsc::channel(1);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(work) = todo.blocking_recv() {
                let chunk = merge_chunk(work, &pushes, &scope);
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
    async fn send(&self, work: Work) -> bool {
        self.work.send(work).await.is_ok()
    }

    /// Merges a chunk, with nothing else in flight, and waits for it.
    /// `None` if the thread is gone (it panicked: `finish` says why).
    async fn merge(&mut self, work: Work) -> Option<MergedChunk> {
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
fn merge_chunk(work: Work, pushes: &[Push], scope: &Scope) -> MergedChunk {
    let outcomes: Vec<OnceLock<PushMerge>> = work.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let merge_until_done = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some((push, _, row)) = work.get(i) else {
            break;
        };
        let outcome = merge_push(
            row.as_ref().map(|r| r.bytes.as_slice()),
            &pushes[*push],
            scope,
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
        .map(|((push, id, row), outcome)| {
            let outcome = outcome.into_inner().expect("every push was merged");
            (push, id, row.map(|r| r.version), outcome)
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
    merged: tokio::sync::mpsc::Receiver<MergedChunk>,
    thread: tokio::task::JoinHandle<()>,
}

impl Finished {
    async fn recv(&mut self) -> Option<MergedChunk> {
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

/// Writes a chunk of merged pushes ([`write_documents`]). Records each
/// push's outcome in `results` and adds to `left` those another process
/// wrote first. Returns whether the chunk changed the area's ladder
/// (`ladder` is then the new one).
async fn write_merged(
    tx: &mut AnyConnection,
    chunk: MergedChunk,
    now: Timestamp,
    ladder: &mut Ladder,
    results: &mut [(PushOutcome, Option<u64>)],
    left: &mut Vec<usize>,
) -> Result<bool> {
    let mut merged = Vec::with_capacity(chunk.len());
    for (push, id, version, outcome) in chunk {
        match outcome {
            PushMerge::Merged(m) => merged.push(Pending {
                push,
                id,
                version,
                merged: m,
            }),
            other => results[push] = (other.into_outcome(), None),
        }
    }
    let documents: Vec<ToWrite<'_>> = merged
        .iter()
        .map(|p| ToWrite {
            id: &p.id,
            version: p.version,
            merged: &p.merged,
        })
        .collect();
    let (seqs, ladder_changed) = write_documents(tx, &documents, now, ladder).await?;
    for (pending, seq) in merged.into_iter().zip(seqs) {
        match seq {
            Some(seq) => {
                results[pending.push] =
                    (PushMerge::Merged(pending.merged).into_outcome(), Some(seq));
            }
            None => left.push(pending.push),
        }
    }
    Ok(ladder_changed)
}

/// A merged document to write: its id, the stored version it was merged
/// with (`None` for a new document) and the merge.
struct ToWrite<'a> {
    id: &'a str,
    version: Option<i64>,
    merged: &'a Merged,
}

/// Writes merged documents with a few statements for the lot: one block of
/// feed sequence numbers (in the order given), the documents (an update
/// naming the version each was merged with, or an insert), their feed
/// entries and their projection rows. Returns each document's sequence
/// number, or `None` where another process wrote it first (the caller merges
/// it again; its number stays a gap in the feed, which readers skip), and
/// whether a written area changed the ladder (`ladder` is then the new one,
/// and the caller re-derives people's stages).
async fn write_documents(
    tx: &mut AnyConnection,
    documents: &[ToWrite<'_>],
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<(Vec<Option<u64>>, bool)> {
    if documents.is_empty() {
        return Ok((Vec::new(), false));
    }
    let last = take_seqs(tx, documents.len()).await?;
    let first = last + 1 - documents.len() as u64;
    let mut seqs = Vec::with_capacity(documents.len());
    let mut inserts = Vec::new();
    for (document, seq) in documents.iter().zip(first..) {
        match document.version {
            Some(version) => {
                let updated =
                    update_document(tx, document.id, version, document.merged, now).await?;
                seqs.push(updated.then_some(seq));
            }
            None => {
                // Filled in once the inserts are known.
                seqs.push(None);
                inserts.push((document, seq));
            }
        }
    }
    let inserted = insert_documents(tx, &inserts, now).await?;
    for (document, seq) in inserts {
        if inserted.contains(document.id) {
            seqs[(seq - first) as usize] = Some(seq);
        }
    }
    let written: Vec<(&ToWrite<'_>, u64)> = documents
        .iter()
        .zip(&seqs)
        .filter_map(|(document, seq)| seq.map(|seq| (document, seq)))
        .collect();
    let mut ladder_changed = false;
    for (document, _) in &written {
        if let Record::Area(area) = &document.merged.record
            && area.ladder != *ladder
        {
            *ladder = area.ladder.clone();
            ladder_changed = true;
        }
    }
    insert_feed(tx, &written).await?;
    let mut rows = projection::Rows::default();
    for (document, _) in &written {
        if document.version.is_some() {
            rows.replace(&document.merged.record, ladder, now);
        } else {
            rows.add(&document.merged.record, ladder, now);
        }
    }
    rows.write(tx).await?;
    Ok((seqs, ladder_changed))
}

/// A push merged in memory, not yet written.
struct Pending {
    /// Its index in the request.
    push: usize,
    id: String,
    /// The stored version it was merged with; `None` for a new document.
    version: Option<i64>,
    merged: Box<Merged>,
}

/// Reads the stored documents among `ids` (in document order). On
/// PostgreSQL they are locked until the transaction ends, in that same
/// order (byte order, whatever the database's collation, as `merge_in`
/// locks), so no merge from another process slips in between reading and
/// writing them. On SQLite the writer's lock keeps writers apart, and rows
/// read before it (see [`MERGED_AHEAD`]) are checked when written.
async fn read_documents(tx: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, Stored>> {
    let lock = match Backend::of(tx) {
        Backend::Sqlite => "",
        Backend::Postgres => " ORDER BY id COLLATE \"C\" FOR UPDATE",
    };
    let rows: Vec<(String, Vec<u8>, i64)> = fetch_for_keys(tx, ids, |list| {
        format!("SELECT id, bytes, version FROM documents WHERE id IN ({list}){lock}")
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, bytes, version)| (id, Stored { bytes, version }))
        .collect())
}

/// Locks ids that have no document against their erasure until the
/// transaction ends, before they are checked for one ([`gone_ids`]) and
/// their documents inserted. On PostgreSQL, without it, the erasure of an
/// id never held could commit between that check and the insert, and the
/// erased record would be stored after all. The lock is shared, so
/// creations never wait for each other. On SQLite the writer's lock
/// already keeps an erasure and a merge apart.
async fn lock_new_ids(conn: &mut AnyConnection, ids: &[&String]) -> Result<()> {
    let backend = Backend::of(conn);
    if backend != Backend::Postgres {
        return Ok(());
    }
    for chunk in ids.chunks(MAX_PARAMS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, i, 1)))
            .collect();
        // Counted, so the statement returns a type every driver reads
        // (the lock functions return `void`).
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended(id, 0)) \
             FROM (VALUES {}) AS new_ids (id)) AS locked",
            values.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .persistent(chunk.len() == MAX_PARAMS);
        for id in chunk {
            query = query.bind(*id);
        }
        query.fetch_one(&mut *conn).await?;
    }
    Ok(())
}

/// Locks an id for its erasure until the transaction ends (PostgreSQL): waits
/// for any merge that may be creating its document, and holds back any that
/// would, since a merge takes a shared lock on a new id before it checks
/// for an erasure. Public for the test that holds an erasure open.
pub async fn lock_for_erasure(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    if Backend::of(conn) != Backend::Postgres {
        return Ok(());
    }
    sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(())
}

/// Which of `ids` (none of them stored) were erased or merged away.
async fn gone_ids(tx: &mut AnyConnection, ids: &[&String]) -> Result<HashSet<String>> {
    let rows: Vec<(String,)> = fetch_for_keys(tx, ids, |list| {
        format!(
            "SELECT id FROM (SELECT id FROM erased UNION ALL SELECT id FROM redirects) gone \
             WHERE id IN ({list})"
        )
    })
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Takes `count` feed sequence numbers and returns the last. The row lock
/// it takes is held until the transaction ends, so sequence numbers become
/// visible in order.
async fn take_seqs(conn: &mut AnyConnection, count: usize) -> Result<u64> {
    let (seq,): (i64,) =
        sqlx::query_as("UPDATE feed_counter SET seq = seq + $1 WHERE id = 1 RETURNING seq")
            .bind(count as i64)
            .fetch_one(&mut *conn)
            .await?;
    u64::try_from(seq).map_err(|_| Error::Corrupt(format!("feed sequence {seq}")))
}

/// Writes a merged document over the version it was merged with. `false`
/// if that version moved on.
async fn update_document(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    merged: &Merged,
    now: Timestamp,
) -> Result<bool> {
    let (kind, patch, devices) = audience_columns(&merged.record.audience());
    let written = sqlx::query(
        "UPDATE documents SET bytes = $1, version = $2, kind = $3, patch = $4, devices = $5, updated_at = $6 \
         WHERE id = $7 AND version = $8",
    )
    .bind(&merged.bytes)
    .bind(version + 1)
    .bind(&kind)
    .bind(&patch)
    .bind(&devices)
    .bind(now.as_millis())
    .bind(id)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Inserts new documents with their first sequence numbers. Returns the
/// ids inserted: one another process created meanwhile is left as it is.
async fn insert_documents(
    tx: &mut AnyConnection,
    documents: &[(&ToWrite<'_>, u64)],
    now: Timestamp,
) -> Result<HashSet<String>> {
    const WIDTH: usize = 7;
    let backend = Backend::of(tx);
    let mut inserted = HashSet::with_capacity(documents.len());
    for chunk in documents.chunks(MAX_PARAMS / WIDTH) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| format!("({}, 1)", placeholders(backend, row * WIDTH, WIDTH)))
            .collect();
        let sql = format!(
            "INSERT INTO documents (id, kind, patch, devices, bytes, created_seq, updated_at, version) \
             VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
            rows.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
            .persistent(chunk.len() == MAX_PARAMS / WIDTH);
        for (document, seq) in chunk {
            let (kind, patch, devices) = audience_columns(&document.merged.record.audience());
            query = query
                .bind(document.id)
                .bind(kind)
                .bind(patch)
                .bind(devices)
                .bind(&document.merged.bytes)
                .bind(*seq as i64)
                .bind(now.as_millis());
        }
        inserted.extend(query.fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id));
    }
    Ok(inserted)
}

/// Appends each written document's new changes to the feed. A new
/// document's entry holds no bytes: its sequence number is the document's
/// `created_seq`, so every device that reads the entry has not had the
/// document yet and is sent it whole (`read_feed`); a copy of its changes
/// would never be read, and storing it cost a fifth of the database.
async fn insert_feed(tx: &mut AnyConnection, written: &[(&ToWrite<'_>, u64)]) -> Result<()> {
    const WIDTH: usize = 4;
    let backend = Backend::of(tx);
    for chunk in written.chunks(MAX_PARAMS / WIDTH) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| format!("({})", placeholders(backend, row * WIDTH, WIDTH)))
            .collect();
        let sql = format!(
            "INSERT INTO feed (seq, doc_id, changes, patch) VALUES {}",
            rows.join(", ")
        );
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == MAX_PARAMS / WIDTH);
        for (document, seq) in chunk {
            query = query
                .bind(*seq as i64)
                .bind(document.id)
                .bind(match document.version {
                    Some(_) => document.merged.changes.as_slice(),
                    None => &[],
                })
                // Filed under its record's patch (none for the area, which
                // every device receives): see migration 0009.
                .bind(document.merged.record.patch());
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Merges one push inside the caller's transaction; `ladder` is the area's
/// ladder as of this transaction.
async fn merge_in(
    tx: &mut AnyConnection,
    push: &Push,
    scope: &Scope,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<(PushOutcome, Option<u64>)> {
    for _ in 0..MERGE_ATTEMPTS {
        // Merges of one document from several processes queue here
        // instead of racing.
        let stored = lock_document(tx, push.doc).await?;
        // A stored document is neither erased nor merged away (both delete
        // it in the transaction that records them). Without one, look: this
        // runs after the lock above, so an erasure or a merge that held the
        // row has committed and is seen.
        if stored.is_none() {
            lock_new_ids(tx, &[&push.doc.to_string()]).await?;
            match gone(tx, push.doc).await? {
                Gone::Erased => {
                    return Ok((
                        PushOutcome::Rejected(Rejection::new(
                            RejectionCode::Erased,
                            "this record was erased",
                        )),
                        None,
                    ));
                }
                Gone::MergedInto(tombstone) => {
                    let outcome = rehome(tx, push, tombstone, scope, now, ladder).await?;
                    // The survivor's change is not this push's own: the
                    // feed carries it to the device in this same response.
                    return Ok((outcome, None));
                }
                Gone::Never => {}
            }
        }
        let merged = match merge_push(stored.as_ref().map(|s| s.bytes.as_slice()), push, scope) {
            PushMerge::Merged(merged) => merged,
            other => return Ok((other.into_outcome(), None)),
        };
        // `None`: another process created the document since we looked
        // (its insert has committed by now): read it and merge again.
        if let Some(seq) = store_merge(
            tx,
            push.doc,
            stored.as_ref().map(|s| s.version),
            &merged,
            now,
            ladder,
        )
        .await?
        {
            return Ok((PushMerge::Merged(merged).into_outcome(), Some(seq)));
        }
    }
    Err(Error::Busy)
}

/// What became of an id the server holds no document for.
enum Gone {
    /// Erased: it can never be written again.
    Erased,
    /// Merged away: see [`Tombstone`].
    MergedInto(Tombstone),
    /// Never stored (a new record).
    Never,
}

/// A merged-away record: the survivor it leads to, and its heads and
/// audience when it was merged.
struct Tombstone {
    survivor: DocId,
    heads: Vec<Head>,
    audience: Audience,
}

/// Whether an id with no document was erased or merged away, in one query.
async fn gone(conn: &mut AnyConnection, id: DocId) -> Result<Gone> {
    /// (erased, survivor, heads, patch, devices).
    type Row = (
        Option<i64>,
        Option<String>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
    );
    let (erased, survivor, heads, patch, devices): Row = sqlx::query_as(
        "SELECT (SELECT CAST(1 AS BIGINT) FROM erased WHERE id = $1), \
         (SELECT survivor FROM redirects WHERE id = $1), \
         (SELECT heads FROM redirects WHERE id = $1), \
         (SELECT patch FROM redirects WHERE id = $1), \
         (SELECT devices FROM redirects WHERE id = $1)",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    if erased.is_some() {
        return Ok(Gone::Erased);
    }
    match (survivor, heads, devices) {
        (Some(survivor), Some(heads), Some(devices)) => Ok(Gone::MergedInto(Tombstone {
            survivor: parse_survivor(&survivor)?,
            heads: heads_from_bytes(&heads),
            audience: audience_from(DocKind::Person.as_str(), patch, &devices)?,
        })),
        _ => Ok(Gone::Never),
    }
}

fn parse_survivor(survivor: &str) -> Result<DocId> {
    survivor
        .parse()
        .map_err(|_| Error::Corrupt(format!("redirect to {survivor}")))
}

/// Heads stored one after another, 32 bytes each.
fn heads_from_bytes(bytes: &[u8]) -> Vec<Head> {
    bytes
        .chunks_exact(32)
        .map(|h| h.try_into().unwrap_or([0; 32]))
        .collect()
}

/// The record an id stands for now: the survivor for a merged-away id
/// (redirects always lead straight to a live record), else the id itself.
pub async fn current_id(conn: &mut AnyConnection, id: DocId) -> Result<DocId> {
    Ok(match gone(conn, id).await? {
        Gone::MergedInto(tombstone) => tombstone.survivor,
        Gone::Erased | Gone::Never => id,
    })
}

/// Reads a document's row and locks it until the transaction ends: a no-op
/// update, because on PostgreSQL a SELECT would not lock it. No merge from
/// another process can then slip in between reading and writing it.
async fn lock_document(conn: &mut AnyConnection, id: DocId) -> Result<Option<Stored>> {
    let row: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "UPDATE documents SET version = version WHERE id = $1 RETURNING bytes, version",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(bytes, version)| Stored { bytes, version }))
}

/// Answers a push to a merged-away record: what the device wrote there is
/// moved to the survivor (see [`sync_core::hub::rehome_push`]), so a phone
/// that had not heard of the merge loses nothing. A device that could
/// write the record when it was merged may still write to it, whatever the
/// survivor's patch: its work must land somewhere, and it receives nothing
/// back it could not read before.
async fn rehome(
    tx: &mut AnyConnection,
    push: &Push,
    mut tombstone: Tombstone,
    scope: &Scope,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<PushOutcome> {
    if !scope.can_write(&tombstone.audience) {
        return Ok(PushOutcome::Rejected(Rejection::new(
            RejectionCode::OutOfScope,
            "outside this device's scope",
        )));
    }
    let (late, since, heads) = match rehome_push(push, &tombstone.heads, scope) {
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
        let Some(stored) = lock_document(tx, tombstone.survivor).await? else {
            // The survivor was merged away or erased since the redirect was
            // read (another process): read where the record leads now.
            match gone(tx, push.doc).await? {
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
            store_server_push(tx, tombstone.survivor, &stored, &absorb, now, ladder).await?;
        }
        return Ok(PushOutcome::Redirected {
            to: tombstone.survivor,
            heads,
        });
    }
    Err(Error::Busy)
}

/// Merges a push the server wrote itself into the locked, stored `id`.
async fn store_server_push(
    tx: &mut AnyConnection,
    id: DocId,
    stored: &Stored,
    push: &Push,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<u64> {
    let merged = match merge_push(Some(&stored.bytes), push, &Scope::Admin) {
        PushMerge::Merged(merged) => merged,
        other => {
            return Err(Error::Corrupt(format!(
                "the server's own change was not accepted: {:?}",
                other.into_outcome()
            )));
        }
    };
    // The row is locked, so its version cannot have moved.
    store_merge(tx, id, Some(stored.version), &merged, now, ladder)
        .await?
        .ok_or(Error::Busy)
}

/// Merges two records of one person: `survivor` gets what `other` holds
/// ([`sync_core::authoring::absorb_push`]), and `other` becomes a
/// tombstone, its id alone, that leads to the survivor. Its document, feed
/// entries and projection rows go, and devices holding it are told to
/// follow at their next sync; a later push to it is moved to the survivor.
/// Records already merged into `other` now lead to the survivor. One
/// transaction; the caller logs it and scrubs the files ([`Db::scrub`]).
pub async fn merge_people(db: &Db, survivor: DocId, other: DocId, now: Timestamp) -> Result<()> {
    if survivor == other {
        return Err(Error::BadRequest(
            "a record cannot be merged into itself".into(),
        ));
    }
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let merged = merge_people_in(&mut tx, survivor, other, now).await;
    match merged {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            tx.rollback().await?;
            return Err(e);
        }
    }
    Ok(())
}

async fn merge_people_in(
    tx: &mut AnyConnection,
    survivor: DocId,
    other: DocId,
    now: Timestamp,
) -> Result<()> {
    // Rows are locked in id order, as merges lock them.
    let (first, second) = if survivor < other {
        (survivor, other)
    } else {
        (other, survivor)
    };
    let first = lock_document(tx, first).await?;
    let second = lock_document(tx, second).await?;
    let (kept, gone) = match (first, second) {
        (Some(a), Some(b)) if survivor < other => (a, b),
        (Some(a), Some(b)) => (b, a),
        _ => return Err(Error::NotFound("person")),
    };
    let gone_record = read_record(&gone.bytes)?;
    // Devices that could write it as it is now may still write to it.
    let gone_audience = gone_record.audience();
    let (Record::Person(kept_person), Record::Person(absorbed)) =
        (read_record(&kept.bytes)?, gone_record)
    else {
        return Err(Error::BadRequest("only people can be merged".into()));
    };
    if kept_person.area != absorbed.area {
        return Err(Error::BadRequest(
            "the two records are in different areas".into(),
        ));
    }
    // The merged-away record goes first: the survivor takes over its entry
    // ids, which its projection rows hold.
    remove_document(tx, other).await?;
    let mut ladder = area_ladder(tx).await?;
    if let Some(push) = authoring::absorb_push(&kept.bytes, &absorbed, None, now)? {
        store_server_push(tx, survivor, &kept, &push, now, &mut ladder).await?;
    }
    let heads: Vec<u8> = sync_core::hub::document_heads(&gone.bytes)?
        .into_iter()
        .flatten()
        .collect();
    sqlx::query("UPDATE redirects SET survivor = $1 WHERE survivor = $2")
        .bind(survivor.to_string())
        .bind(other.to_string())
        .execute(&mut *tx)
        .await?;
    let (_, patch, devices) = audience_columns(&gone_audience);
    sqlx::query(
        "INSERT INTO redirects (id, survivor, heads, patch, devices, merged_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(other.to_string())
    .bind(survivor.to_string())
    .bind(heads)
    .bind(patch)
    .bind(devices)
    .bind(now.as_millis())
    .execute(&mut *tx)
    .await?;
    append_tombstone(tx, other).await
}

/// Deletes a document, its feed entries and every projection row derived
/// from it (erasure, or a merge). Returns whether it was held.
async fn remove_document(conn: &mut AnyConnection, id: DocId) -> Result<bool> {
    let held = sqlx::query("DELETE FROM documents WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0;
    sqlx::query("DELETE FROM feed WHERE doc_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    projection::remove(conn, id).await?;
    Ok(held)
}

/// Appends a feed entry with no changes for `id`: an erasure, or a
/// redirect while `redirects` holds the id.
async fn append_tombstone(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    let seq = next_seq(conn).await?;
    sqlx::query("INSERT INTO feed (seq, doc_id, changes) VALUES ($1, $2, NULL)")
        .bind(seq as i64)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes a merged document, its feed entry and its projections
/// ([`write_documents`], for one). `None` if the stored version moved on
/// (the caller retries).
async fn store_merge(
    conn: &mut AnyConnection,
    id: DocId,
    version: Option<i64>,
    merged: &Merged,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<Option<u64>> {
    let id = id.to_string();
    let document = ToWrite {
        id: &id,
        version,
        merged,
    };
    let (seqs, ladder_changed) = write_documents(conn, &[document], now, ladder).await?;
    if ladder_changed {
        // Stages are derived with the ladder: a new ladder re-derives them all.
        projection::reproject_people(conn, ladder, now).await?;
    }
    Ok(seqs.into_iter().next().flatten())
}

/// Erases a record: its document, its feed entries and every projection
/// row go in one transaction; its id is kept for ever, so no device can
/// bring it back; an erasure entry in the feed tells every device holding it
/// to delete its copy at its next sync. Then the files are scrubbed.
/// Returns whether the record was held. Erasing twice is harmless, and is
/// how a failed scrub is finished: if the files could not be scrubbed
/// (`Error::Busy`), the erasure is committed but the call fails, and
/// erasing again scrubs again.
pub async fn erase(db: &Db, id: DocId, now: Timestamp) -> Result<bool> {
    let Erasure { held, newly_erased } = {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        // A merged-away id is the same person as its survivor: erasing it
        // erases the survivor, and with it every id merged into it.
        let id = current_id(&mut tx, id).await?;
        let erasure = erase_in(&mut tx, id, now).await?;
        tx.commit().await?;
        erasure
    };
    // Only an id never held nor erased before (marked so that it can
    // never arrive) leaves nothing to scrub.
    if held || !newly_erased {
        db.scrub().await?;
    }
    Ok(held)
}

/// What [`erase_in`] did.
struct Erasure {
    /// The record was held, and is now deleted.
    held: bool,
    /// The id was not erased before.
    newly_erased: bool,
}

async fn erase_in(conn: &mut AnyConnection, id: DocId, now: Timestamp) -> Result<Erasure> {
    lock_for_erasure(conn, id).await?;
    // Records merged into this one held the same person's data: their ids
    // are erased with it, so a phone still holding one deletes it.
    let merged_in: Vec<(String,)> = sqlx::query_as("SELECT id FROM redirects WHERE survivor = $1")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    for (from,) in merged_in {
        let from: DocId = from
            .parse()
            .map_err(|_| Error::Corrupt(format!("redirect from {from}")))?;
        Box::pin(erase_in(conn, from, now)).await?;
    }
    sqlx::query("DELETE FROM redirects WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    let held = remove_document(conn, id).await?;
    let newly_erased = sqlx::query(
        "INSERT INTO erased (id, erased_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(now.as_millis())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if newly_erased || held {
        append_tombstone(conn, id).await?;
    }
    Ok(Erasure { held, newly_erased })
}

/// Replaces a person by a reduced record under a new id (see
/// [`sync_core::authoring::Reduction`]) and erases the old one, in one
/// transaction. Returns the new id. The caller scrubs the files after
/// ([`Db::scrub`]), once for a whole batch.
pub async fn reduce_person(
    db: &Db,
    id: DocId,
    reduction: Reduction,
    by: sync_core::DeviceId,
    now: Timestamp,
) -> Result<DocId> {
    let new_id = {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let id = current_id(&mut tx, id).await?;
        let Some(stored) = lock_document(&mut tx, id).await? else {
            tx.rollback().await?;
            return Err(Error::NotFound("person"));
        };
        let Record::Person(person) = read_record(&stored.bytes)? else {
            tx.rollback().await?;
            return Err(Error::NotFound("person"));
        };
        let reduced = authoring::reduced_person(&person, reduction, DocId::new(now), by);
        let push = authoring::new_person_push(&reduced, now)?;
        let merged = match merge_push(None, &push, &Scope::Admin) {
            PushMerge::Merged(merged) => merged,
            other => {
                return Err(Error::Corrupt(format!(
                    "a reduced record was not accepted: {:?}",
                    other.into_outcome()
                )));
            }
        };
        // The old record goes first: the new one reuses its entry ids.
        erase_in(&mut tx, id, now).await?;
        let mut ladder = area_ladder(&mut tx).await?;
        if store_merge(&mut tx, reduced.id, None, &merged, now, &mut ladder)
            .await?
            .is_none()
        {
            return Err(Error::Busy);
        }
        if let (Reduction::Suppress, Some(door)) = (reduction, person.household) {
            mark_do_not_knock(&mut tx, door, by, now, &mut ladder).await?;
        }
        tx.commit().await?;
        reduced.id
    };
    Ok(new_id)
}

/// Marks a door "do not knock" (someone there objected), so it leaves
/// every walk list, on phones that do not hold the objector's record too.
async fn mark_do_not_knock(
    tx: &mut AnyConnection,
    door: DocId,
    by: sync_core::DeviceId,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<()> {
    let Some(stored) = lock_document(tx, door).await? else {
        return Ok(());
    };
    let Record::Address(address) = read_record(&stored.bytes)? else {
        return Ok(());
    };
    let same = address.details();
    if let Some(push) = authoring::address_push(Some(&stored.bytes), door, &same, true, by, now)? {
        store_server_push(tx, door, &stored, &push, now, ladder).await?;
    }
    Ok(())
}

/// Takes the next feed sequence number. The row lock it takes is held until
/// the transaction ends, so sequence numbers become visible in order.
pub async fn next_seq(conn: &mut AnyConnection) -> Result<u64> {
    take_seqs(conn, 1).await
}

async fn answer_pull(
    conn: &mut AnyConnection,
    pull: &Pull,
    scope: &Scope,
    response: &mut SyncResponse,
    whole_sent: &mut BTreeSet<DocId>,
) -> Result<()> {
    if is_erased(conn, pull.doc).await? {
        response.erased.push(pull.doc);
        return Ok(());
    }
    if let Gone::MergedInto(tombstone) = gone(conn, pull.doc).await? {
        if scope.can_read(&tombstone.audience) {
            response.redirected.push(Redirect {
                from: pull.doc,
                to: tombstone.survivor,
            });
        } else {
            response.unavailable.push(pull.doc);
        }
        return Ok(());
    }
    let row: Option<(Vec<u8>, String, Option<String>, String)> =
        sqlx::query_as("SELECT bytes, kind, patch, devices FROM documents WHERE id = $1")
            .bind(pull.doc.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((bytes, kind, patch, devices))
            if scope.can_read(&audience_from(&kind, patch.clone(), &devices)?) =>
        {
            let changes = pull_changes(&bytes, &pull.have)?;
            response.updates.push(DocUpdate {
                doc: pull.doc,
                changes,
            });
            whole_sent.insert(pull.doc);
        }
        _ => response.unavailable.push(pull.doc),
    }
    Ok(())
}

/// (seq, document, 1 for an erasure or a redirect, kind, patch, devices,
/// created_seq, the survivor a redirect leads to). A redirect's patch and
/// devices are the record's when it was merged.
type FeedRow = (
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Adds the feed after `since` to the response; returns the sequence number
/// the device has now read up to.
async fn read_feed(
    conn: &mut AnyConnection,
    since: u64,
    scope: &Scope,
    own_seqs: &BTreeSet<u64>,
    whole_sent: &mut BTreeSet<DocId>,
    response: &mut SyncResponse,
) -> Result<u64> {
    if matches!(scope, Scope::Viewer) {
        // Viewers hold no documents: their cursor stays where it is.
        return Ok(since);
    }
    // The feed's end as this request starts. Sequence numbers become
    // visible in order (see `take_seqs`), so every entry up to it has
    // committed and the scan below sees it: a device that reads to the end
    // has read up to here, including what it may not see.
    let (end,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM feed")
        .fetch_one(&mut *conn)
        .await?;
    let end = end.map_or(0, |end| end.max(0) as u64);
    if end <= since {
        return Ok(since);
    }
    // Whether each entry is an erasure, not its changes: those are read
    // below only for the documents this device receives. The audience
    // comes from the covering index (migration 0007): SQLite is told to
    // use it, since without statistics (a new server) it picks the primary
    // key and then reads every document's bytes to reach `created_seq`.
    let hint = match Backend::of(conn) {
        Backend::Sqlite => "INDEXED BY documents_audience",
        Backend::Postgres => "",
    };
    // Entries for other patches (or other youth workers' people) are left
    // out here, so other devices' traffic does not fill every request: a
    // champion's through the feed's own patch column and index, whatever
    // the other patches hold. Erasures and redirects always come back. The
    // checks below stay the authority on what the device receives.
    let (filter, values) = feed_filter(scope);
    // The entries this request wrote itself are skipped below; the largest
    // runs of them are left out here already, so a phone's own session
    // (usually one run) is neither joined nor sent across from SQLite.
    let own = own_runs(own_seqs, OWN_RUNS_LEFT_OUT);
    let own_filter: String = (0..own.len())
        .map(|i| {
            let first = 4 + values.len() + 2 * i;
            format!(" AND f.seq NOT BETWEEN ${first} AND ${}", first + 1)
        })
        .collect();
    let sql = format!(
        "SELECT f.seq, f.doc_id, CAST(CASE WHEN f.changes IS NULL THEN 1 ELSE 0 END AS BIGINT), \
         d.kind, COALESCE(d.patch, r.patch), COALESCE(d.devices, r.devices), d.created_seq, \
         r.survivor \
         FROM feed f LEFT JOIN documents d {hint} ON d.id = f.doc_id \
         LEFT JOIN redirects r ON r.id = f.doc_id \
         WHERE f.seq > $1 AND f.seq <= $2{filter}{own_filter} ORDER BY f.seq LIMIT $3"
    );
    let mut query = sqlx::query_as::<_, FeedRow>(sqlx::AssertSqlSafe(sql))
        .bind(since as i64)
        .bind(end as i64)
        .bind(SCAN_ROWS);
    for value in values {
        query = query.bind(value);
    }
    for (first, last) in own {
        query = query.bind(first as i64).bind(last as i64);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut read_to_end = (rows.len() as i64) < SCAN_ROWS;
    let mut last = since;
    let mut wanted = Vec::new();
    for (seq, doc, erasure, kind, patch, devices, created_seq, survivor) in rows {
        if response.updates.len() + wanted.len() >= PAGE_DOCS {
            read_to_end = false;
            break;
        }
        let seq = seq as u64;
        last = seq;
        if own_seqs.contains(&seq) {
            continue;
        }
        let doc: DocId = doc
            .parse()
            .map_err(|_| Error::Corrupt(format!("feed document id {doc}")))?;
        if let (1, Some(to), Some(devices)) = (erasure, &survivor, &devices) {
            // Only devices that could read the record when it was merged
            // hear of it: a redirect says two ids were one person.
            let merged = audience_from(DocKind::Person.as_str(), patch.clone(), devices)?;
            let redirect = Redirect {
                from: doc,
                to: parse_survivor(to)?,
            };
            if scope.can_read(&merged) && !response.redirected.contains(&redirect) {
                response.redirected.push(redirect);
            }
            continue;
        }
        let (0, Some(kind), Some(devices), Some(created_seq)) =
            (erasure, kind, devices, created_seq)
        else {
            // An erasure (or changes of a document since erased).
            if !response.erased.contains(&doc) {
                response.erased.push(doc);
            }
            continue;
        };
        if whole_sent.contains(&doc) || !scope.can_read(&audience_from(&kind, patch, &devices)?) {
            continue;
        }
        if created_seq as u64 > since {
            // The device cannot have any of it yet: send it whole, once.
            whole_sent.insert(doc);
            wanted.push(Wanted::Whole(doc));
        } else {
            wanted.push(Wanted::Changes(doc, seq));
        }
    }
    send_wanted(conn, wanted, response).await?;
    if read_to_end {
        Ok(end)
    } else {
        response.more = true;
        Ok(last)
    }
}

/// How many runs of a request's own feed entries the feed scan leaves out
/// in SQL. A few, so that the scan's statement comes in few shapes (each is
/// prepared and cached); the rest are skipped as they are read.
const OWN_RUNS_LEFT_OUT: usize = 4;

/// The longest `most` runs of consecutive numbers in `seqs`, as (first,
/// last), in order.
fn own_runs(seqs: &BTreeSet<u64>, most: usize) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &seq in seqs {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(seq) => *last = seq,
            _ => runs.push((seq, seq)),
        }
    }
    if runs.len() > most {
        runs.sort_by_key(|&(first, last)| std::cmp::Reverse(last - first));
        runs.truncate(most);
        runs.sort_unstable();
    }
    runs
}

/// The SQL condition (after the feed scan's others) that keeps entries a
/// device with `scope` may receive, and the values it binds from `$4`.
fn feed_filter(scope: &Scope) -> (String, Vec<String>) {
    match scope {
        Scope::Admin | Scope::Viewer => (String::new(), Vec::new()),
        Scope::Champion { patches } if patches.is_empty() => {
            (" AND f.patch IS NULL".to_owned(), Vec::new())
        }
        Scope::Champion { patches } => (
            format!(
                " AND (f.patch IS NULL OR f.patch IN ({}))",
                numbered_placeholders(3, patches.len())
            ),
            patches.iter().cloned().collect(),
        ),
        Scope::YouthWorker { device } => (
            " AND (d.id IS NULL OR d.kind IN ('area', 'event') OR d.devices LIKE $4)".to_owned(),
            vec![format!("%{device}%")],
        ),
    }
}

/// What the feed scan chose to send a device, in feed order.
enum Wanted {
    /// The whole document (the device cannot hold any of it yet).
    Whole(DocId),
    /// A feed entry's changes.
    Changes(DocId, u64),
}

/// Reads what the feed scan chose, a few statements for the lot, and adds
/// it to the response in feed order. A document erased in between is left
/// out: its erasure comes later in the feed.
async fn send_wanted(
    conn: &mut AnyConnection,
    wanted: Vec<Wanted>,
    response: &mut SyncResponse,
) -> Result<()> {
    let mut whole_ids = Vec::new();
    let mut seqs = Vec::new();
    for w in &wanted {
        match w {
            Wanted::Whole(doc) => whole_ids.push(doc.to_string()),
            Wanted::Changes(_, seq) => seqs.push(*seq as i64),
        }
    }
    let mut documents: HashMap<String, Vec<u8>> = fetch_for_keys(conn, &whole_ids, |list| {
        format!("SELECT id, bytes FROM documents WHERE id IN ({list})")
    })
    .await?
    .into_iter()
    .collect();
    let mut changes: HashMap<i64, Vec<u8>> = fetch_for_keys(conn, &seqs, |list| {
        format!("SELECT seq, changes FROM feed WHERE seq IN ({list}) AND changes IS NOT NULL")
    })
    .await?
    .into_iter()
    .collect();
    for w in wanted {
        let update = match w {
            Wanted::Whole(doc) => documents.remove(&doc.to_string()).map(|bytes| DocUpdate {
                doc,
                changes: bytes,
            }),
            Wanted::Changes(doc, seq) => changes
                .remove(&(seq as i64))
                .map(|changes| DocUpdate { doc, changes }),
        };
        response.updates.extend(update);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::{EntryChannel, ManualClock, MemoryStore, NewPerson, Replica};

    fn test_phone(now: Timestamp) -> Replica<MemoryStore, ManualClock> {
        Replica::open(
            MemoryStore::new(),
            DeviceId::new(now),
            ManualClock::new(now),
        )
        .expect("replica")
    }

    /// The phone records a new person called `name`: that person's push.
    fn new_person_push(phone: &mut Replica<MemoryStore, ManualClock>, name: &str) -> Push {
        let id = phone
            .create_person(
                &NewPerson::new("area", "patch", EntryChannel::Doorstep),
                |p| p.set_name(Some(name)),
            )
            .expect("person");
        let request = SyncRequest::decode(&phone.sync_request().expect("request")).expect("decode");
        request
            .pushes
            .into_iter()
            .find(|p| p.doc == id)
            .expect("push")
    }

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
            doc: DocId::new(Timestamp::from_millis(1_789_000_000_000)),
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

    #[tokio::test]
    async fn a_new_person_erased_after_being_merged_ahead_is_not_inserted() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::db::migrated_test_sqlite(&dir).await;
        let now = Timestamp::from_millis(1_789_000_000_000);
        let mut phone = test_phone(now);
        let mut push = |name: &str| {
            let push = new_person_push(&mut phone, name);
            let merged = merge_push(None, &push, &Scope::Admin);
            assert!(matches!(merged, PushMerge::Merged(_)));
            (push.doc.to_string(), merged)
        };
        let (kept, kept_merge) = push("Kept");
        let (erased, erased_merge) = push("Erased meanwhile");
        // Merged ahead, both new; then the second is created and erased by
        // someone else before this request takes the writer's turn.
        let chunk = vec![
            (0, kept.clone(), None, kept_merge),
            (1, erased.clone(), None, erased_merge),
        ];
        sqlx::query("INSERT INTO erased (id, erased_at) VALUES ($1, $2)")
            .bind(&erased)
            .bind(now.as_millis())
            .execute(&db.pool)
            .await
            .expect("erase");
        let writer = db.writer().await;
        let mut tx = writer.begin().await.expect("begin");
        let mut left = Vec::new();
        let chunk = without_gone(&mut tx, chunk, &mut left)
            .await
            .expect("without gone");
        assert_eq!(left, vec![1], "the erased person goes to merge_in");
        let ids: Vec<&str> = chunk.iter().map(|(_, id, _, _)| id.as_str()).collect();
        assert_eq!(ids, vec![kept.as_str()]);
    }

    /// A scrub that gave up (`Error::Busy`) leaves an erased person's
    /// bytes in SQLite's log; erasing again must scrub again, though the
    /// record is no longer held.
    #[tokio::test]
    async fn erasing_an_erased_record_again_scrubs_the_files_again() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::db::migrated_test_sqlite(&dir).await;
        let now = Timestamp::from_millis(1_789_000_000_000);
        let mut phone = test_phone(now);
        let mut store_person = async |name: &str| {
            let push = new_person_push(&mut phone, name);
            let id = push.doc;
            let merged = merge_all(&db, Arc::from([push]), &Scope::Admin, now, None)
                .await
                .expect("merge");
            assert!(merged[0].1.is_some(), "stored");
            id
        };
        let log_bytes = || std::fs::metadata(dir.path().join("test.db-wal")).map_or(0, |m| m.len());
        let erased = store_person("Erased").await;
        assert!(erase(&db, erased, now).await.expect("erase"));
        assert_eq!(log_bytes(), 0, "the first erasure scrubs");
        // As if that scrub had given up: the log holds writes again.
        store_person("Written after").await;
        assert!(log_bytes() > 0);
        assert!(!erase(&db, erased, now).await.expect("erase again"));
        assert_eq!(log_bytes(), 0, "erasing again scrubs again");
        // An id never held nor erased leaves nothing to scrub.
        store_person("Written after that").await;
        assert!(
            !erase(&db, DocId::new(now), now)
                .await
                .expect("erase unknown")
        );
        assert!(log_bytes() > 0);
    }

    #[test]
    fn own_runs_are_the_longest_runs_in_feed_order() {
        let seqs: BTreeSet<u64> = [3, 4, 5, 9, 12, 13, 20, 21, 22, 23, 30].into();
        assert_eq!(own_runs(&seqs, 4), vec![(3, 5), (9, 9), (12, 13), (20, 23)]);
        assert_eq!(own_runs(&seqs, 2), vec![(3, 5), (20, 23)]);
        assert_eq!(own_runs(&seqs, 10).len(), 5);
        assert!(own_runs(&BTreeSet::new(), 4).is_empty());
        assert_eq!(own_runs(&[u64::MAX].into(), 4), vec![(u64::MAX, u64::MAX)]);
    }
}
