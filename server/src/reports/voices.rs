//! Voices: what residents raise at the door (the area's topics) and what
//! they would like to join, per patch and per month, from the doorstep
//! conversations (`topics_raised`).
//!
//! The figures count conversations, not people: someone who raises
//! housing twice is two. They are work done at doors, as on the Champions
//! page, and exact for every audience; but a topic raised in one
//! conversation in a small patch could point at a household, so the page
//! is protected like any other: each figure from 1 to below the threshold
//! is hidden, with whatever would give it away. A topic's total is shown
//! both as the sum of its patches and as the sum of its months, and the
//! page says so to the disclosure control.
//!
//! Beside each topic and patch: the open working groups on that topic
//! serving that patch (or the whole area), so a partnership sees where
//! residents raise something nobody is working on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup, month_of};
use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::projection::{TOPIC, WANTS_TO_JOIN};
use crate::store::report_rows::{self, Selection};

/// Months a trend shows when no dates are chosen.
const TREND_MONTHS: usize = 12;
/// The most months a trend shows.
const MAX_MONTHS: usize = 24;

/// One topic in one patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoicePatch {
    /// The patch slug.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub patch_name: String,
    /// Conversations in which the topic was raised.
    pub raised: Option<u64>,
    /// Conversations in which someone said they would like to join in on it.
    pub wants_to_join: Option<u64>,
    /// The open working groups on the topic that serve this patch (it, or
    /// the whole area), by name: none says nobody is working on it there.
    pub groups: Vec<String>,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoiceTopic {
    /// The topic, as the area names it.
    pub topic: String,
    /// Whether it is on the area's list of topics (older phones may have
    /// recorded others).
    pub on_the_list: bool,
    /// Conversations in which it was raised, in the period.
    pub raised: Option<u64>,
    /// Conversations in which someone said they would like to join in on it.
    pub wants_to_join: Option<u64>,
    /// Per patch where it came up, in the area's order.
    pub by_patch: Vec<VoicePatch>,
    /// Conversations in which it was raised, per month (as `months`).
    pub raised_by_month: Vec<Option<u64>>,
    /// The open working groups on the topic, anywhere, by name.
    pub groups: Vec<String>,
}

/// What residents raise at the door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Voices {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// The months of `raised_by_month` (`YYYY-MM`, UTC), oldest first.
    pub months: Vec<String>,
    /// Every topic on the area's list, then any other raised, most
    /// raised first.
    pub topics: Vec<VoiceTopic>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`topics.0.by_patch.1.raised`).
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The boundaries of the months a trend over `period` shows: the months
/// it covers (the last [`TREND_MONTHS`] to `now` when it has no dates), at
/// most [`MAX_MONTHS`], the latest last; each month's start and the end of
/// the last.
pub(super) fn month_boundaries(period: &Selection, now: Timestamp) -> Vec<i64> {
    let end = period
        .within
        .map(|w| w.1)
        .or(period.to)
        .unwrap_or(now.as_millis() + 1);
    let start = period.within.map(|w| w.0).or(period.from);
    let month_of_ms =
        |ms: i64| crate::calendar::month_range(&month_of(ms)).expect("a month from the calendar");
    let (mut month, last_end) = month_of_ms(end - 1);
    let mut starts = vec![month];
    while starts.len() < MAX_MONTHS && start.map_or(starts.len() < TREND_MONTHS, |s| month > s) {
        month = month_of_ms(month - 1).0;
        starts.push(month);
    }
    starts.reverse();
    starts.push(last_end);
    starts
}

/// Topics raised and wanted per patch and month, for the things that
/// happened in the period `filters` choose (dates and patch).
pub async fn voices(db: &Db, filters: &Filters, now: Timestamp) -> Result<Voices> {
    if filters.describes_people() {
        return Err(Error::BadRequest(
            "voices counts conversations: filter it by dates, cohort or patch".into(),
        ));
    }
    let setup = Setup::load(db).await?;
    let period = filters.selection(&setup.ladder)?;
    let months = month_boundaries(&period, now);
    let yyyymm = |ms: i64| {
        let (year, month) = crate::calendar::year_month(ms);
        year * 100 + month
    };
    let first_last = (yyyymm(months[0]), yyyymm(months[months.len() - 1] - 1));
    let index_of = |rows: Vec<(i64, String, String, i64)>| -> Vec<(i64, String, String, i64)> {
        rows.into_iter()
            .filter_map(|(month, patch, topic, n)| {
                let at = months[..months.len() - 1]
                    .iter()
                    .position(|start| yyyymm(*start) == month)?;
                Some((at as i64, patch, topic, n))
            })
            .collect()
    };
    let raised = index_of(report_rows::topics_raised(db, &period, TOPIC, first_last).await?);
    let wanted =
        index_of(report_rows::topics_raised(db, &period, WANTS_TO_JOIN, first_last).await?);
    let topics: Vec<String> = setup
        .area
        .as_ref()
        .map(|a| a.topics.iter().cloned().collect())
        .unwrap_or_default();
    let patches: Vec<String> = setup
        .area
        .as_ref()
        .map(|a| a.patches.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_default();
    let mut report = voices_from(
        setup.suppression.below(),
        &topics,
        &patches,
        months.len() - 1,
        &raised,
        &wanted,
    );
    report.months = months[..months.len() - 1]
        .iter()
        .map(|m| month_of(*m))
        .collect();
    // Who is working on what: the open groups on each topic, and where.
    let mut conn = db.pool.acquire().await?;
    let groups: Vec<_> = crate::store::groups::list(&mut conn)
        .await?
        .into_iter()
        .filter(|g| !g.closed)
        .collect();
    for topic in &mut report.topics {
        let on_it: Vec<_> = groups
            .iter()
            .filter(|g| g.topics.contains(&topic.topic))
            .collect();
        topic.groups = on_it.iter().map(|g| g.name.clone()).collect();
        for row in &mut topic.by_patch {
            row.patch_name = crate::labels::patch_name(setup.area.as_ref(), &row.patch);
            row.groups = on_it
                .iter()
                .filter(|g| g.patch.as_ref().is_none_or(|p| *p == row.patch))
                .map(|g| g.name.clone())
                .collect();
        }
    }
    Ok(report)
}

/// Counts per (month index, patch, topic).
type Counted = [(i64, String, String, i64)];

/// The report from the counts, without patch names or months' names.
pub(super) fn voices_from(
    below: u64,
    listed: &[String],
    patch_order: &[String],
    months: usize,
    raised: &Counted,
    wanted: &Counted,
) -> Voices {
    // (topic) -> (patch) -> [raised, wanted]; (topic) -> raised per month.
    let mut by_patch: BTreeMap<&str, BTreeMap<&str, [u64; 2]>> = BTreeMap::new();
    let mut by_month: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (which, rows) in [raised, wanted].into_iter().enumerate() {
        for (month, patch, topic, n) in rows {
            let n = *n as u64;
            by_patch.entry(topic).or_default().entry(patch).or_default()[which] += n;
            if which == 0 {
                let counts = by_month.entry(topic).or_insert_with(|| vec![0; months]);
                if let Some(c) = usize::try_from(*month).ok().and_then(|m| counts.get_mut(m)) {
                    *c += n;
                }
            }
        }
    }
    let total = |t: &str, which: usize| -> u64 {
        by_patch
            .get(t)
            .map_or(0, |p| p.values().map(|c| c[which]).sum())
    };
    let mut others: Vec<&str> = by_patch
        .keys()
        .copied()
        .filter(|t| !listed.iter().any(|l| l == t))
        .collect();
    others.sort_by_key(|t| std::cmp::Reverse(total(t, 0)));
    let mut order: Vec<(&str, bool)> = listed.iter().map(|t| (t.as_str(), true)).collect();
    order.sort_by_key(|(t, _)| std::cmp::Reverse(total(t, 0)));
    order.extend(others.into_iter().map(|t| (t, false)));

    let mut page = Page::new();
    let empty = BTreeMap::new();
    let mut layout = Vec::new();
    for (i, (topic, _)) in order.iter().enumerate() {
        let patches = by_patch.get(topic).unwrap_or(&empty);
        let mut rows: Vec<&str> = patches.keys().copied().collect();
        rows.sort_by_key(|p| {
            (
                patch_order
                    .iter()
                    .position(|o| o == p)
                    .unwrap_or(usize::MAX),
                p.to_string(),
            )
        });
        let mut raised_cells: Vec<Cell> = Vec::new();
        let mut wanted_cells: Vec<Cell> = Vec::new();
        for (j, patch) in rows.iter().enumerate() {
            let [r, w] = patches[patch];
            let (r, w) = (page.cell(r), page.cell(w));
            page.figure(format!("topics.{i}.by_patch.{j}.raised"), &[r]);
            page.figure(format!("topics.{i}.by_patch.{j}.wants_to_join"), &[w]);
            raised_cells.push(r);
            wanted_cells.push(w);
        }
        page.figure(format!("topics.{i}.raised"), &raised_cells);
        page.figure(format!("topics.{i}.wants_to_join"), &wanted_cells);
        let monthly = by_month
            .get(topic)
            .cloned()
            .unwrap_or_else(|| vec![0; months]);
        let month_cells: Vec<Cell> = monthly
            .iter()
            .enumerate()
            .map(|(m, n)| {
                let cell = page.cell(*n);
                page.figure(format!("topics.{i}.raised_by_month.{m}"), &[cell]);
                cell
            })
            .collect();
        // The same total, month by month: one figure shown two ways.
        page.figure(format!("topics.{i}.raised"), &month_cells);
        layout.push((rows, monthly));
    }
    let hidden = page.protect(below, Audience::Exact);
    let mut withheld = BTreeMap::new();
    let mut count = |place: String, n: u64| {
        let shown = hidden.shown(&place, n).result();
        publish(&mut withheld, place, shown)
    };
    let topics = order
        .iter()
        .zip(layout)
        .enumerate()
        .map(|(i, ((topic, on_the_list), (rows, monthly)))| {
            let patches = by_patch.get(topic).unwrap_or(&empty);
            VoiceTopic {
                topic: (*topic).to_owned(),
                on_the_list: *on_the_list,
                raised: count(format!("topics.{i}.raised"), total(topic, 0)),
                wants_to_join: count(format!("topics.{i}.wants_to_join"), total(topic, 1)),
                by_patch: rows
                    .iter()
                    .enumerate()
                    .map(|(j, patch)| {
                        let [r, w] = patches[patch];
                        VoicePatch {
                            patch: (*patch).to_owned(),
                            patch_name: (*patch).to_owned(),
                            raised: count(format!("topics.{i}.by_patch.{j}.raised"), r),
                            wants_to_join: count(
                                format!("topics.{i}.by_patch.{j}.wants_to_join"),
                                w,
                            ),
                            groups: Vec::new(),
                        }
                    })
                    .collect(),
                raised_by_month: monthly
                    .iter()
                    .enumerate()
                    .map(|(m, n)| count(format!("topics.{i}.raised_by_month.{m}"), *n))
                    .collect(),
                groups: Vec::new(),
            }
        })
        .collect();
    Voices {
        suppressed_below: below,
        months: Vec::new(),
        topics,
        withheld,
        page,
    }
}

impl Report for Voices {
    const FILTERS: FilterUse = FilterUse::Happenings;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::Patch];

    async fn load(db: &Db, filters: &Filters, _: Audience, now: Timestamp) -> Result<Self> {
        voices(db, filters, now).await
    }

    /// One row per topic and patch, then one per topic for every patch.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "topic",
                "on_the_list",
                "patch",
                "patch_name",
                "raised",
                "wants_to_join",
                "working_groups",
            ],
        );
        for (i, t) in self.topics.iter().enumerate() {
            let why = |place: String| self.withheld.get(&place).copied();
            for (j, p) in t.by_patch.iter().enumerate() {
                let place = |field: &str| format!("topics.{i}.by_patch.{j}.{field}");
                let fields = [
                    t.topic.clone(),
                    t.on_the_list.to_string(),
                    p.patch.clone(),
                    p.patch_name.clone(),
                    csv.figure(p.raised, why(place("raised"))),
                    csv.figure(p.wants_to_join, why(place("wants_to_join"))),
                    p.groups.join("; "),
                ];
                csv.row(fields);
            }
            let fields = [
                t.topic.clone(),
                t.on_the_list.to_string(),
                "all".to_owned(),
                "Every patch".to_owned(),
                csv.figure(t.raised, why(format!("topics.{i}.raised"))),
                csv.figure(t.wants_to_join, why(format!("topics.{i}.wants_to_join"))),
                t.groups.join("; "),
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

    fn rows(list: &[(i64, &str, &str, i64)]) -> Vec<(i64, String, String, i64)> {
        list.iter()
            .map(|(m, p, t, n)| (*m, (*p).to_owned(), (*t).to_owned(), *n))
            .collect()
    }

    #[test]
    fn topics_per_patch_and_month_with_small_counts_hidden() {
        let listed = ["housing".to_owned(), "youth".to_owned(), "parks".to_owned()];
        let patches = ["elm-road".to_owned(), "oak-lane".to_owned()];
        let raised = rows(&[
            (0, "elm-road", "housing", 40),
            (1, "elm-road", "housing", 80),
            (1, "oak-lane", "housing", 9),
            (1, "oak-lane", "youth", 2),
            (0, "elm-road", "bins", 7),
        ]);
        let wanted = rows(&[(1, "elm-road", "housing", 12)]);
        let report = voices_from(5, &listed, &patches, 2, &raised, &wanted);
        let names: Vec<&str> = report.topics.iter().map(|t| t.topic.as_str()).collect();
        // Most raised first; topics not on the list after those that are.
        assert_eq!(names, ["housing", "youth", "parks", "bins"]);
        let housing = &report.topics[0];
        assert_eq!(housing.raised, Some(129));
        assert_eq!(housing.wants_to_join, Some(12));
        assert_eq!(housing.raised_by_month, [Some(40), Some(89)]);
        assert_eq!(housing.by_patch[0].patch, "elm-road");
        assert_eq!(housing.by_patch[0].raised, Some(120));
        assert_eq!(housing.by_patch[1].raised, Some(9));
        // Two conversations about youth: hidden everywhere they show.
        let youth = &report.topics[1];
        assert_eq!(youth.raised, None);
        assert_eq!(youth.raised_by_month[1], None);
        assert_eq!(
            report.withheld.get("topics.1.raised"),
            Some(&Withheld::Small)
        );
        assert_eq!(report.topics[2].raised, Some(0));
        assert!(!report.topics[3].on_the_list);
        assert!(report.to_csv().starts_with("topic,on_the_list,patch,"));
    }

    #[test]
    fn trends_cover_the_period_or_the_last_twelve_months() {
        let now = Timestamp::from_millis(1_796_000_000_000); // 2026-11-28
        let last_year = month_boundaries(&Selection::default(), now);
        assert_eq!(last_year.len(), TREND_MONTHS + 1);
        assert_eq!(month_of(last_year[TREND_MONTHS - 1]), "2026-11");
        let (start, end) = crate::calendar::month_range("2026-03").unwrap();
        let one = Selection {
            within: Some((start, end)),
            ..Selection::default()
        };
        assert_eq!(month_boundaries(&one, now), [start, end]);
        let long = Selection {
            from: Some(0),
            ..Selection::default()
        };
        assert_eq!(month_boundaries(&long, now).len(), MAX_MONTHS + 1);
    }
}
