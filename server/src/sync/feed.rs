//! What a device receives: pulls answered and the change feed after its
//! cursor, as `MemoryHub::handle` does it, over the store's feed queries.

use std::collections::BTreeSet;

use sync_core::{DocId, DocUpdate, Pull, Redirect, Scope, SyncResponse, pull_changes};

use crate::error::Result;
use crate::store::Connection;
use crate::store::documents::{self, Gone};
use crate::store::feed::{self, FeedEntry, Wanted};

/// Most documents sent in one response.
pub const PAGE_DOCS: usize = 500;
/// Most feed entries read for one response.
const SCAN_ROWS: i64 = 2000;

/// How many runs of a request's own feed entries the feed scan leaves out
/// in SQL. A few, so that the scan's statement comes in few shapes (each is
/// prepared and cached); the rest are skipped as they are read.
const OWN_RUNS_LEFT_OUT: usize = 4;

/// Adds the feed after `since` to the response, leaving out the request's
/// own entries (`own_seqs`) and documents already sent whole; returns the
/// sequence number the device has now read up to.
pub(super) async fn read_feed(
    conn: &mut Connection,
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
    // The feed's end as this request starts: every entry up to it has
    // committed and the scan below sees it, so a device that reads to the
    // end has read up to here, including what it may not see.
    let end = feed::end(conn).await?;
    if end <= since {
        return Ok(since);
    }
    // The entries this request wrote itself are skipped below; the largest
    // runs of them are left out of the scan already, so a phone's own
    // session (usually one run) is neither joined nor sent across from
    // SQLite.
    let own = own_runs(own_seqs, OWN_RUNS_LEFT_OUT);
    let rows = feed::scan(conn, since, end, scope, &own, SCAN_ROWS).await?;
    let mut read_to_end = (rows.len() as i64) < SCAN_ROWS;
    let mut last = since;
    let mut wanted = Vec::new();
    for row in rows {
        if response.updates.len() + wanted.len() >= PAGE_DOCS {
            read_to_end = false;
            break;
        }
        let seq = row.seq();
        last = seq;
        if own_seqs.contains(&seq) {
            continue;
        }
        match row.entry()? {
            FeedEntry::Redirect { doc, to, audience } => {
                // Only devices that could read the record when it was
                // merged hear of it: a redirect says two ids were one person.
                let redirect = Redirect { from: doc, to };
                if scope.can_read(&audience) && !response.redirected.contains(&redirect) {
                    response.redirected.push(redirect);
                }
            }
            FeedEntry::Erasure(doc) => {
                if !response.erased.contains(&doc) {
                    response.erased.push(doc);
                }
            }
            FeedEntry::Left {
                doc,
                from,
                audience,
            } => {
                // A record this device could hold, and no longer may.
                if scope.can_read(&from)
                    && !scope.can_read(&audience)
                    && !response.unavailable.contains(&doc)
                {
                    response.unavailable.push(doc);
                }
            }
            FeedEntry::Changes {
                doc,
                audience,
                created_seq,
            } => {
                if whole_sent.contains(&doc) || !scope.can_read(&audience) {
                    continue;
                }
                if created_seq > since {
                    // The device cannot have any of it yet: send it whole, once.
                    whole_sent.insert(doc);
                    wanted.push(Wanted::Whole(doc));
                } else {
                    wanted.push(Wanted::Changes(doc, seq));
                }
            }
        }
    }
    response.updates.extend(feed::fetch(conn, wanted).await?);
    if read_to_end {
        Ok(end)
    } else {
        response.more = true;
        Ok(last)
    }
}

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

/// Answers a pull: the changes the device lacks, or why it gets none.
pub(super) async fn answer_pull(
    conn: &mut Connection,
    pull: &Pull,
    scope: &Scope,
    response: &mut SyncResponse,
    whole_sent: &mut BTreeSet<DocId>,
) -> Result<()> {
    if documents::is_erased(conn, pull.doc).await? {
        response.erased.push(pull.doc);
        return Ok(());
    }
    if let Gone::MergedInto(tombstone) = documents::gone(conn, pull.doc).await? {
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
    match documents::with_audience(conn, pull.doc).await? {
        Some((bytes, audience)) if scope.can_read(&audience) => {
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

#[cfg(test)]
mod tests {
    use super::*;

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
