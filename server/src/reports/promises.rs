//! "You said, we did": follow-ups promised at the door and what became of
//! them, per patch and topic. (The latest promises kept, in words fit for
//! a newsletter, are an admin's page: `ops::promises`, which reads what
//! champions typed.)
//!
//! The counts are of promises (work done, as on the Champions page), exact
//! for every audience and protected like any page: from 1 to below the
//! threshold hidden, with whatever would give one away. Patches partition
//! the promises; a promise made in a conversation that raised two topics
//! counts under both, so the topics' rows are protected each on its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup};
use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::report_rows::{self, PromiseCounts};

/// What became of the promises in one patch, or on one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromiseRow {
    /// The patch slug or the topic.
    pub key: String,
    /// The patch's name, or the topic.
    pub label: String,
    /// Promised in the period.
    pub promised: Option<u64>,
    /// Of them, done.
    pub done: Option<u64>,
    /// Of them, done by the date given (or, with none, within the area's days).
    pub done_on_time: Option<u64>,
    /// Not done yet.
    pub open: Option<u64>,
    /// Not done and overdue now.
    pub overdue: Option<u64>,
    /// The median whole days from promise to done, of those done (not
    /// shown when fewer than the threshold were done).
    pub median_days_to_done: Option<f64>,
}

/// "You said, we did".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YouSaidWeDid {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// A promise with no date is overdue this many days after it was made.
    pub overdue_after_days: u32,
    /// Every patch.
    pub all: PromiseRow,
    /// Per patch, in the area's order.
    pub by_patch: Vec<PromiseRow>,
    /// Per topic raised in the conversation, most promised first.
    pub by_topic: Vec<PromiseRow>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`by_patch.1.overdue`).
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The figures of a row, in cell order: done on time, done late,
/// overdue, open and not yet overdue.
const FIELDS: [&str; 5] = ["promised", "done", "done_on_time", "open", "overdue"];

/// "You said, we did" for the promises made in the period `filters`
/// choose (dates and patch), at `now`: the same for every audience (promises are work, not people).
pub async fn you_said_we_did(db: &Db, filters: &Filters, now: Timestamp) -> Result<YouSaidWeDid> {
    you_said_we_did_with(db, filters, now, true).await
}

/// The report, with the days promises took to keep only if `days_to_keep`
/// (not among its headline figures).
async fn you_said_we_did_with(
    db: &Db,
    filters: &Filters,
    now: Timestamp,
    days_to_keep: bool,
) -> Result<YouSaidWeDid> {
    if filters.describes_people() {
        return Err(Error::BadRequest(
            "\"you said, we did\" counts promises: filter it by dates, cohort or patch".into(),
        ));
    }
    let setup = Setup::load(db).await?;
    let period = filters.selection(&setup.ladder)?;
    let overdue = setup.overdue(now);
    let counts = report_rows::promises(db, &period, overdue).await?;
    let days = if days_to_keep {
        report_rows::promise_days(db, &period).await?
    } else {
        Vec::new()
    };
    let patch_order: Vec<String> = setup
        .area
        .as_ref()
        .map(|a| a.patches.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_default();
    let mut report = you_said_we_did_from(setup.suppression.below(), &patch_order, &counts, &days);
    report.overdue_after_days = overdue.undated_days;
    for row in &mut report.by_patch {
        row.label = crate::labels::patch_name(setup.area.as_ref(), &row.key);
    }
    Ok(report)
}

/// The report from the counts and days per (patch, topic), without names
/// or the list of promises kept.
pub(super) fn you_said_we_did_from(
    below: u64,
    patch_order: &[String],
    counts: &[PromiseCounts],
    days: &[(String, Option<String>, i64, i64)],
) -> YouSaidWeDid {
    let mut patches: Vec<&PromiseCounts> = counts.iter().filter(|c| c.topic.is_none()).collect();
    patches.sort_by_key(|c| {
        (
            patch_order
                .iter()
                .position(|o| *o == c.patch)
                .unwrap_or(usize::MAX),
            c.patch.clone(),
        )
    });
    // A topic's promises over every patch.
    let mut topics: BTreeMap<&str, PromiseCounts> = BTreeMap::new();
    for c in counts {
        if let Some(topic) = &c.topic {
            let sum = topics.entry(topic).or_insert_with(|| PromiseCounts {
                patch: String::new(),
                topic: Some(topic.clone()),
                promised: 0,
                done: 0,
                on_time: 0,
                overdue: 0,
                days_to_done: 0,
            });
            sum.promised += c.promised;
            sum.done += c.done;
            sum.on_time += c.on_time;
            sum.overdue += c.overdue;
            sum.days_to_done += c.days_to_done;
        }
    }
    let mut topics: Vec<PromiseCounts> = topics.into_values().collect();
    topics.sort_by_key(|t| std::cmp::Reverse(t.promised));
    // Histograms of days per patch, per topic, and for all.
    let mut patch_days: BTreeMap<&str, Vec<(i64, u64)>> = BTreeMap::new();
    let mut topic_days: BTreeMap<&str, BTreeMap<i64, u64>> = BTreeMap::new();
    let mut all_days: BTreeMap<i64, u64> = BTreeMap::new();
    for (patch, topic, d, n) in days {
        match topic {
            None => {
                patch_days.entry(patch).or_default().push((*d, *n as u64));
                *all_days.entry(*d).or_default() += *n as u64;
            }
            Some(t) => *topic_days.entry(t).or_default().entry(*d).or_default() += *n as u64,
        }
    }
    let median = |histogram: Vec<(i64, u64)>| super::median_and_p90(&histogram).0;

    let mut page = Page::new();
    let mut cells_of = |prefix: &str, c: &PromiseCounts| -> [Cell; 4] {
        let late = c.done.saturating_sub(c.on_time);
        let waiting = (c.promised - c.done).saturating_sub(c.overdue);
        let cells = [
            page.cell(c.on_time as u64),
            page.cell(late as u64),
            page.cell(c.overdue as u64),
            page.cell(waiting as u64),
        ];
        declare(&mut page, prefix, &cells);
        cells
    };
    let patch_cells: Vec<[Cell; 4]> = patches
        .iter()
        .enumerate()
        .map(|(i, c)| cells_of(&format!("by_patch.{i}."), c))
        .collect();
    for (i, t) in topics.iter().enumerate() {
        cells_of(&format!("by_topic.{i}."), t);
    }
    let mut all_cells: [Vec<Cell>; 4] = Default::default();
    for cells in &patch_cells {
        for (sum, cell) in all_cells.iter_mut().zip(cells) {
            sum.push(*cell);
        }
    }
    declare_sums(&mut page, "all.", &all_cells);
    let hidden = page.protect(below, Audience::Exact);
    let mut withheld = BTreeMap::new();
    let mut row = |prefix: String, key: &str, c: &PromiseCounts, histogram: Vec<(i64, u64)>| {
        let mut count = |field: &str, n: i64| {
            let place = format!("{prefix}{field}");
            let shown = hidden.shown(&place, n as u64).result();
            publish(&mut withheld, place, shown)
        };
        let done = count("done", c.done);
        PromiseRow {
            key: key.to_owned(),
            label: key.to_owned(),
            promised: count("promised", c.promised),
            done_on_time: count("done_on_time", c.on_time),
            open: count("open", c.promised - c.done),
            overdue: count("overdue", c.overdue),
            median_days_to_done: done.filter(|d| *d >= below).and_then(|_| median(histogram)),
            done,
        }
    };
    let by_patch: Vec<PromiseRow> = patches
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let histogram = patch_days.remove(c.patch.as_str()).unwrap_or_default();
            row(format!("by_patch.{i}."), &c.patch, c, histogram)
        })
        .collect();
    let by_topic: Vec<PromiseRow> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let topic = t.topic.as_deref().unwrap_or_default();
            let histogram = topic_days
                .remove(topic)
                .map(|h| h.into_iter().collect())
                .unwrap_or_default();
            row(format!("by_topic.{i}."), topic, t, histogram)
        })
        .collect();
    let total = patches.iter().fold(
        PromiseCounts {
            patch: String::new(),
            topic: None,
            promised: 0,
            done: 0,
            on_time: 0,
            overdue: 0,
            days_to_done: 0,
        },
        |mut sum, c| {
            sum.promised += c.promised;
            sum.done += c.done;
            sum.on_time += c.on_time;
            sum.overdue += c.overdue;
            sum
        },
    );
    let mut all = row(
        "all.".to_owned(),
        "all",
        &total,
        all_days.into_iter().collect(),
    );
    all.label = "Every patch".to_owned();
    YouSaidWeDid {
        suppressed_below: below,
        overdue_after_days: 0,
        all,
        by_patch,
        by_topic,
        withheld,
        page,
    }
}

/// A row's figures from its cells (done on time, done late, overdue,
/// open and not yet overdue).
fn declare(page: &mut Page, prefix: &str, cells: &[Cell; 4]) {
    declare_sums(page, prefix, &cells.map(|c| vec![c]));
}

/// A row's figures from its cells, each a sum.
fn declare_sums(page: &mut Page, prefix: &str, cells: &[Vec<Cell>; 4]) {
    let [on_time, late, overdue, waiting] = cells;
    let join = |parts: &[&Vec<Cell>]| -> Vec<Cell> {
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    };
    for (field, parts) in FIELDS.iter().zip([
        join(&[on_time, late, overdue, waiting]),
        join(&[on_time, late]),
        join(&[on_time]),
        join(&[overdue, waiting]),
        join(&[overdue]),
    ]) {
        page.figure(format!("{prefix}{field}"), &parts);
    }
}

impl Report for YouSaidWeDid {
    const FILTERS: FilterUse = FilterUse::Happenings;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::Patch];

    async fn load(db: &Db, filters: &Filters, _: Audience, now: Timestamp) -> Result<Self> {
        you_said_we_did(db, filters, now).await
    }

    /// Its headline figures are counts of promises: the days they took to
    /// keep are left out.
    async fn load_headlines(
        db: &Db,
        filters: &Filters,
        _: Audience,
        now: Timestamp,
    ) -> Result<Self> {
        you_said_we_did_with(db, filters, now, false).await
    }

    /// One row per patch, then per topic, then every patch.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "by",
                "key",
                "label",
                "promised",
                "done",
                "done_on_time",
                "open",
                "overdue",
                "median_days_to_done",
            ],
        );
        let rows = self
            .by_patch
            .iter()
            .enumerate()
            .map(|(i, r)| ("patch", format!("by_patch.{i}."), r))
            .chain(
                self.by_topic
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ("topic", format!("by_topic.{i}."), r)),
            )
            .chain(std::iter::once(("all", "all.".to_owned(), &self.all)));
        for (by, prefix, r) in rows {
            let why = |field: &str| self.withheld.get(&format!("{prefix}{field}")).copied();
            let fields = [
                by.to_owned(),
                r.key.clone(),
                r.label.clone(),
                csv.figure(r.promised, why("promised")),
                csv.figure(r.done, why("done")),
                csv.figure(r.done_on_time, why("done_on_time")),
                csv.figure(r.open, why("open")),
                csv.figure(r.overdue, why("overdue")),
                Csv::optional(r.median_days_to_done),
            ];
            csv.row(fields);
        }
        csv.finish()
    }

    fn disclosure_page(&self) -> Option<&Page> {
        Some(&self.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(patch: &str, topic: Option<&str>, c: [i64; 4]) -> PromiseCounts {
        PromiseCounts {
            patch: patch.to_owned(),
            topic: topic.map(str::to_owned),
            promised: c[0],
            done: c[1],
            on_time: c[2],
            overdue: c[3],
            days_to_done: 0,
        }
    }

    #[test]
    fn promises_per_patch_and_topic_with_small_counts_hidden() {
        let order = ["elm-road".to_owned(), "oak-lane".to_owned()];
        let rows = [
            counts("oak-lane", None, [30, 20, 15, 6]),
            counts("elm-road", None, [20, 14, 8, 2]),
            counts("elm-road", Some("housing"), [20, 14, 8, 2]),
            counts("oak-lane", Some("housing"), [10, 5, 5, 0]),
        ];
        let days: Vec<(String, Option<String>, i64, i64)> = vec![
            ("elm-road".into(), None, 3, 8),
            ("elm-road".into(), None, 40, 6),
            ("oak-lane".into(), None, 10, 20),
        ];
        let r = you_said_we_did_from(5, &order, &rows, &days);
        assert_eq!(r.by_patch[0].key, "elm-road");
        assert_eq!(r.all.promised, Some(50));
        assert_eq!(r.all.done, Some(34));
        assert_eq!(r.all.open, Some(16));
        assert_eq!(r.by_patch[1].promised, Some(30));
        assert_eq!(r.by_patch[0].median_days_to_done, Some(3.0));
        assert_eq!(r.all.median_days_to_done, Some(10.0));
        // Two overdue in Elm Road: hidden, and so is what gives it away.
        assert_eq!(r.by_patch[0].overdue, None);
        assert_eq!(r.withheld.get("by_patch.0.overdue"), Some(&Withheld::Small));
        // Every patch's 8 less Oak Lane's 6 would give Elm Road's 2 away.
        assert!(r.all.overdue.is_none() || r.by_patch[1].overdue.is_none());
        assert_eq!(r.by_topic[0].key, "housing");
        assert_eq!(r.by_topic[0].promised, Some(30));
        assert!(r.to_csv().starts_with("by,key,label,promised,"));
    }
}
