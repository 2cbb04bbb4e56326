//! Trends: month by month, per patch, the people first contacted, first
//! spoken with (the Conversation step) and taking part for the first time
//! (the Participant step); doors knocked week by week; and the funnel by
//! month of first contact (cohorts).
//!
//! **Months and weeks.** Whole UTC days, as every report: a month is a
//! calendar month (UTC), a week runs from Monday to Sunday (UTC). With no
//! dates chosen the report covers the twelve whole months before this one;
//! with dates, the months they cover (the latest [`MAX_MONTHS`] at most),
//! and a month partly outside the dates counts only the days chosen. Doors
//! are counted in the whole weeks inside those months that are over.
//!
//! **Each person once per line.** A person is counted in the month they
//! first reached each step, so a month's figures are new people, never the
//! same people again: the months of a line add up to the people who reached
//! that step in the period. The cohorts follow the people first contacted
//! in each month to the highest step they have reached since (so far, not
//! by the end of their month).
//!
//! **Disclosure control.** A month and patch holds few people, so every
//! count of people goes through the page ([`Page::protect`]) as on Reach:
//! counts from 1 to below the threshold are hidden, with whatever would
//! give one away (a month's total beside its patches, a cohort's steps
//! beside each other), and viewers see each figure shown adjusted by the
//! cell key method. A cohort's first step is the month's contacts: one
//! figure shown twice. Doors are not people: as on the Doors page, they
//! are exact and not hidden.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{AreaConfig, Ladder, Timestamp};

use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Audience, Csv, FilterUse, Filters, Report, Setup, Suppression, month_of};
use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::report_rows::{self, DayPeople, Reached, Selection};

/// Months shown when no dates are chosen: the whole months before this one.
const DEFAULT_MONTHS: usize = 12;
/// The most months shown: longer periods show their latest months.
const MAX_MONTHS: usize = 24;

/// The three lines followed month by month, in the report's order.
const LINES: [&str; 3] = ["contacts", "conversations", "new_participants"];

/// One patch's lines, a figure per month (as `months`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPatch {
    /// The patch slug.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub label: String,
    /// People first contacted, per month.
    pub contacts: Vec<Option<u64>>,
    /// People who reached the Conversation step, per month.
    pub conversations: Vec<Option<u64>>,
    /// People who reached the Participant step for the first time, per month.
    pub new_participants: Vec<Option<u64>>,
}

/// One patch's doors, a figure per week (as `weeks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DoorWeeks {
    /// The patch slug.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub label: String,
    /// Doors knocked at least once, per week.
    pub doors_knocked: Vec<u64>,
}

/// The people first contacted in one month, and how far they have gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendCohort {
    /// The month of first contact (`YYYY-MM`, UTC).
    pub month: String,
    /// Of them, how many have reached each step of the ladder so far (as
    /// `stages`): the first is everyone in the cohort, the month's contacts.
    pub reached: Vec<Option<u64>>,
    /// Of them, how many stopped at each step so far: reached it, not the
    /// next (as the Funnel's "stopped here"). Published so that the
    /// difference of two steps is protected like any figure.
    pub stopped: Vec<Option<u64>>,
}

/// Trends month by month and week by week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trends {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Whether the counts of people are adjusted by the cell key method
    /// (for viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// The months (`YYYY-MM`, UTC), oldest first.
    pub months: Vec<String>,
    /// Every patch: people first contacted, per month.
    pub contacts: Vec<Option<u64>>,
    /// Every patch: people who reached the Conversation step, per month.
    pub conversations: Vec<Option<u64>>,
    /// Every patch: people who reached the Participant step for the first
    /// time, per month.
    pub new_participants: Vec<Option<u64>>,
    /// Per patch: every configured patch, then any other with people.
    pub by_patch: Vec<TrendPatch>,
    /// The weeks of the doors (the day each starts, a Monday, UTC,
    /// `YYYY-MM-DD`), oldest first: the whole weeks within the months.
    pub weeks: Vec<String>,
    /// Every patch: doors knocked at least once, per week (exact: doors
    /// are not people).
    pub doors_knocked: Vec<u64>,
    /// Per patch: every configured patch, then any other with doors.
    pub doors_by_patch: Vec<DoorWeeks>,
    /// The steps of the area's ladder, by label, for the cohorts.
    pub stages: Vec<String>,
    /// Per month of first contact, oldest first.
    pub cohorts: Vec<TrendCohort>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`by_patch.2.contacts.5`): `small` or `protects`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The boundaries of the months shown for `period` at `now`: each month's
/// start and the end of the last, then the `[from, to)` counted (the
/// months, narrowed to the dates chosen).
pub(super) fn months_for(period: &Selection, now: Timestamp) -> (Vec<i64>, (i64, i64)) {
    let month_range =
        |ms: i64| crate::calendar::month_range(&month_of(ms)).expect("a month from the calendar");
    let (this_month, next_month) = month_range(now.as_millis());
    let (from, to) = match (period.within, period.from, period.to) {
        (Some((start, end)), _, _) => (Some(start), Some(end)),
        (None, from, to) => (from, to),
    };
    let (from, to) = match (from, to) {
        (None, None) => (None, this_month),
        // No end chosen: up to now, this month so far included.
        (from, None) => (from, now.as_millis() + 1),
        // Months not begun yet are not shown.
        (from, Some(to)) => (from, to.min(next_month)),
    };
    let (mut month, last_end) = month_range(to - 1);
    let mut starts = vec![month];
    let wanted = |n: usize, month: i64| match from {
        Some(from) => n < MAX_MONTHS && month > from,
        None => n < DEFAULT_MONTHS,
    };
    while wanted(starts.len(), month) {
        month = month_range(month - 1).0;
        starts.push(month);
    }
    starts.reverse();
    let counted = (from.unwrap_or(starts[0]).max(starts[0]), to.min(last_end));
    starts.push(last_end);
    (starts, counted)
}

/// The week (Monday to Sunday, UTC) a whole UTC day since the epoch falls
/// in, numbered so that week 0 holds 1970-01-01 (a Thursday).
pub(super) fn week_of_day(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

/// The first day (a Monday) of week `week`, in days since the epoch.
pub(super) fn monday_of(week: i64) -> i64 {
    week * 7 - 3
}

/// The whole weeks within `[from, to)` that are over by `now`.
pub(super) fn whole_weeks((from, to): (i64, i64), now: Timestamp) -> std::ops::Range<i64> {
    let day = |ms: i64| ms.div_euclid(Timestamp::DAY_MILLIS);
    // The first Monday on or after `from`'s day; the last week ending by `to`.
    let first = week_of_day(day(from) + 6);
    // The week holding `end_day` is the first not wholly before it.
    let last = week_of_day(day(to.min(now.as_millis())));
    first..last.max(first)
}

/// Trends for what `filters` choose: the dates (or cohort month) choose
/// the months, `patch` one patch. The filters that describe people (entry
/// channel, age band, stage, champion) are refused:
/// doors are not people, and a person's line is chosen by when they
/// reached a step.
pub async fn trends(
    db: &Db,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<Trends> {
    if filters.describes_people() {
        return Err(Error::BadRequest(
            "trends follow months and patches: filter them by dates or patch".into(),
        ));
    }
    let setup = Setup::load(db).await?;
    let period = filters.selection(&setup.ladder)?;
    setup.check_population(db, &period, audience).await?;
    let (months, counted) = months_for(&period, now);
    let patch = period.patch.as_deref();
    let keyed = audience == Audience::Adjusted;
    let weeks = whole_weeks(counted, now);
    // Four queries of their own, each on a connection of the pool at once.
    let (contacts, conversations, participants, doors) = tokio::try_join!(
        report_rows::people_by_day(db, Reached::Contact, counted, patch, keyed),
        report_rows::people_by_day(db, Reached::Conversation, counted, patch, keyed),
        report_rows::people_by_day(db, Reached::Participant, counted, patch, keyed),
        report_rows::doors_by_week(
            db,
            (
                monday_of(weeks.start) * Timestamp::DAY_MILLIS,
                monday_of(weeks.end) * Timestamp::DAY_MILLIS,
            ),
            patch,
        ),
    )?;
    Ok(trends_from(
        TrendRows {
            months: &months,
            weeks,
            contacts: &contacts,
            conversations: &conversations,
            participants: &participants,
            doors: &doors,
        },
        setup.area.as_ref(),
        &setup.ladder,
        patch,
        setup.suppression,
        audience,
    ))
}

/// What the report is computed from.
pub(super) struct TrendRows<'a> {
    /// Each month's start and the end of the last.
    pub(super) months: &'a [i64],
    /// The weeks of the doors.
    pub(super) weeks: std::ops::Range<i64>,
    /// People first contacted, per day, patch and highest step.
    pub(super) contacts: &'a [DayPeople],
    /// People who reached the Conversation step, per day and patch.
    pub(super) conversations: &'a [DayPeople],
    /// People who reached the Participant step, per day and patch.
    pub(super) participants: &'a [DayPeople],
    /// Doors knocked per (week, patch).
    pub(super) doors: &'a [(i64, String, i64)],
}

/// People and the sum of their record keys.
type Counted = (u64, u64);

fn add(sum: &mut Counted, people: i64, keys: i64) {
    sum.0 += people as u64;
    sum.1 = sum.1.wrapping_add(keys as u64);
}

/// The index of the month holding `day` (whole days since the epoch).
fn month_index(months: &[i64], day: i64) -> Option<usize> {
    let at = day * Timestamp::DAY_MILLIS;
    let n = months.len().checked_sub(1)?;
    (0..n).find(|m| months[*m] <= at && at < months[m + 1])
}

pub(super) fn trends_from(
    rows: TrendRows<'_>,
    area: Option<&AreaConfig>,
    ladder: &Ladder,
    only: Option<&str>,
    suppression: Suppression,
    audience: Audience,
) -> Trends {
    let n_months = rows.months.len().saturating_sub(1);
    let n_stages = ladder.stages().len().max(1);
    // The patches: configured ones first, then any other seen.
    let mut patches: Vec<String> = area
        .map(|a| a.patches.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_default();
    let seen = rows
        .contacts
        .iter()
        .chain(rows.conversations)
        .chain(rows.participants)
        .map(|r| &r.patch)
        .chain(rows.doors.iter().map(|d| &d.1));
    for patch in seen {
        if !patches.contains(patch) {
            patches.push(patch.clone());
        }
    }
    patches.retain(|p| only.is_none_or(|only| only == p));
    let patch_index = |patch: &str| patches.iter().position(|p| p == patch);

    // Cells: first contacts by (month, patch, highest step); the other
    // two lines by (month, patch).
    let mut first = vec![vec![vec![Counted::default(); n_stages]; patches.len()]; n_months];
    for r in rows.contacts {
        if let (Some(m), Some(p)) = (month_index(rows.months, r.day), patch_index(&r.patch)) {
            let stage = r
                .highest_stage
                .and_then(|s| usize::try_from(s).ok())
                .unwrap_or(0)
                .min(n_stages - 1);
            add(&mut first[m][p][stage], r.people, r.keys);
        }
    }
    let by_month = |people: &[DayPeople]| {
        let mut cells = vec![vec![Counted::default(); patches.len()]; n_months];
        for r in people {
            if let (Some(m), Some(p)) = (month_index(rows.months, r.day), patch_index(&r.patch)) {
                add(&mut cells[m][p], r.people, r.keys);
            }
        }
        cells
    };
    let later = [by_month(rows.conversations), by_month(rows.participants)];

    let mut page = Page::new();
    // Each month's contacts cells, by patch and highest step.
    for (m, month) in first.iter().enumerate() {
        let cells: Vec<Vec<Cell>> = month
            .iter()
            .map(|stages| {
                stages
                    .iter()
                    .map(|(n, k)| page.keyed_cell(*n, *k))
                    .collect()
            })
            .collect();
        for (p, stages) in cells.iter().enumerate() {
            page.figure(format!("by_patch.{p}.contacts.{m}"), stages);
        }
        let all: Vec<Cell> = cells.iter().flatten().copied().collect();
        page.figure(format!("contacts.{m}"), &all);
        // A cohort's steps: everyone at that step or past it. The first
        // is the month's contacts again, one figure.
        for k in 1..n_stages {
            let at_or_past: Vec<Cell> = cells.iter().flat_map(|s| s[k..].iter().copied()).collect();
            page.figure(format!("cohorts.{m}.reached.{k}"), &at_or_past);
        }
        for k in 0..n_stages {
            let stopped: Vec<Cell> = cells.iter().map(|s| s[k]).collect();
            page.figure(format!("cohorts.{m}.stopped.{k}"), &stopped);
        }
    }
    for (line, cells) in LINES[1..].iter().zip(&later) {
        for (m, month) in cells.iter().enumerate() {
            let cells: Vec<Cell> = month.iter().map(|(n, k)| page.keyed_cell(*n, *k)).collect();
            for (p, cell) in cells.iter().enumerate() {
                page.figure(format!("by_patch.{p}.{line}.{m}"), &[*cell]);
            }
            page.figure(format!("{line}.{m}"), &cells);
        }
    }
    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut count = |place: String, key: &str, n: u64| {
        let shown = hidden.shown(key, n).result();
        publish(&mut withheld, place, shown)
    };
    let first_total = |m: usize, p: usize| first[m][p].iter().map(|c| c.0).sum::<u64>();
    let line_of = |line: usize, m: usize, p: usize| match line {
        0 => first_total(m, p),
        _ => later[line - 1][m][p].0,
    };
    let mut totals: [Vec<Option<u64>>; 3] = Default::default();
    for (l, line) in LINES.iter().enumerate() {
        totals[l] = (0..n_months)
            .map(|m| {
                let n = (0..patches.len()).map(|p| line_of(l, m, p)).sum();
                let key = format!("{line}.{m}");
                count(key.clone(), &key, n)
            })
            .collect();
    }
    let by_patch = patches
        .iter()
        .enumerate()
        .map(|(p, patch)| {
            let mut series: [Vec<Option<u64>>; 3] = Default::default();
            for (l, line) in LINES.iter().enumerate() {
                series[l] = (0..n_months)
                    .map(|m| {
                        let key = format!("by_patch.{p}.{line}.{m}");
                        count(key.clone(), &key, line_of(l, m, p))
                    })
                    .collect();
            }
            let [contacts, conversations, new_participants] = series;
            TrendPatch {
                patch: patch.clone(),
                label: crate::labels::patch_name(area, patch),
                contacts,
                conversations,
                new_participants,
            }
        })
        .collect();
    let cohorts = (0..n_months)
        .map(|m| TrendCohort {
            month: month_of(rows.months[m]),
            reached: (0..n_stages)
                .map(|k| {
                    let n = first[m]
                        .iter()
                        .map(|s| s[k..].iter().map(|c| c.0).sum::<u64>())
                        .sum();
                    let key = if k == 0 {
                        format!("contacts.{m}")
                    } else {
                        format!("cohorts.{m}.reached.{k}")
                    };
                    count(format!("cohorts.{m}.reached.{k}"), &key, n)
                })
                .collect(),
            stopped: (0..n_stages)
                .map(|k| {
                    let n = first[m].iter().map(|s| s[k].0).sum();
                    let key = format!("cohorts.{m}.stopped.{k}");
                    count(key.clone(), &key, n)
                })
                .collect(),
        })
        .collect();

    // Doors: exact, per week and patch.
    let n_weeks = usize::try_from(rows.weeks.end - rows.weeks.start).unwrap_or(0);
    let mut doors = vec![vec![0u64; n_weeks]; patches.len()];
    for (week, patch, n) in rows.doors {
        let w = usize::try_from(week - rows.weeks.start)
            .ok()
            .filter(|w| *w < n_weeks);
        if let (Some(w), Some(p)) = (w, patch_index(patch)) {
            doors[p][w] += *n as u64;
        }
    }
    let doors_knocked = (0..n_weeks)
        .map(|w| doors.iter().map(|d| d[w]).sum())
        .collect();
    let doors_by_patch = patches
        .iter()
        .zip(doors)
        .map(|(patch, doors_knocked)| DoorWeeks {
            patch: patch.clone(),
            label: crate::labels::patch_name(area, patch),
            doors_knocked,
        })
        .collect();
    let [contacts, conversations, new_participants] = totals;
    Trends {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        months: rows.months[..n_months]
            .iter()
            .map(|m| month_of(*m))
            .collect(),
        contacts,
        conversations,
        new_participants,
        by_patch,
        weeks: rows
            .weeks
            .map(|w| crate::calendar::date(monday_of(w) * Timestamp::DAY_MILLIS))
            .collect(),
        doors_knocked,
        doors_by_patch,
        stages: ladder.stages().iter().map(|s| s.label.clone()).collect(),
        cohorts,
        withheld,
        page,
    }
}

impl Report for Trends {
    // Its patches are Reach's, shown month by month rather than as one
    // figure each, and the months shown are whole ones before today's: the
    // test that records a patch and finds its count at once reads Reach.
    const FILTERS: FilterUse = FilterUse::Happenings;

    async fn load(db: &Db, filters: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        trends(db, filters, audience, now).await
    }

    /// One row per figure: the line (`contacts`, `conversations`,
    /// `new_participants`, `doors_knocked`, or `reached:STEP` for a
    /// cohort, `stopped:STEP` for those who stopped there), the patch
    /// (`all` for every patch), the month or week, and
    /// the figure (`<5` small, `hidden` protecting a small one).
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &["line", "patch", "label", "period", "value"],
        );
        let why = |place: String| self.withheld.get(&place).copied();
        // Every patch together first, then each patch: (patch, label, the
        // figures' place in the document, the three lines).
        let every = [&self.contacts, &self.conversations, &self.new_participants];
        let people = std::iter::once(("all", "Every patch", String::new(), every)).chain(
            self.by_patch.iter().enumerate().map(|(p, row)| {
                let lines = [&row.contacts, &row.conversations, &row.new_participants];
                (
                    row.patch.as_str(),
                    row.label.as_str(),
                    format!("by_patch.{p}."),
                    lines,
                )
            }),
        );
        for (patch, label, place, lines) in people {
            for (line, values) in LINES.iter().zip(lines) {
                for (m, v) in values.iter().enumerate() {
                    let value = csv.figure(*v, why(format!("{place}{line}.{m}")));
                    csv.row([
                        (*line).to_owned(),
                        patch.to_owned(),
                        label.to_owned(),
                        self.months[m].clone(),
                        value,
                    ]);
                }
            }
        }
        let doors = std::iter::once(("all", "Every patch", &self.doors_knocked)).chain(
            self.doors_by_patch
                .iter()
                .map(|row| (row.patch.as_str(), row.label.as_str(), &row.doors_knocked)),
        );
        for (patch, label, weeks) in doors {
            for (w, n) in weeks.iter().enumerate() {
                csv.row([
                    "doors_knocked".to_owned(),
                    patch.to_owned(),
                    label.to_owned(),
                    self.weeks[w].clone(),
                    n.to_string(),
                ]);
            }
        }
        for (m, cohort) in self.cohorts.iter().enumerate() {
            for (line, values) in [("reached", &cohort.reached), ("stopped", &cohort.stopped)] {
                for (k, v) in values.iter().enumerate() {
                    let value = csv.figure(*v, why(format!("cohorts.{m}.{line}.{k}")));
                    csv.row([
                        format!("{line}:{}", self.stages.get(k).cloned().unwrap_or_default()),
                        "all".to_owned(),
                        "Every patch".to_owned(),
                        cohort.month.clone(),
                        value,
                    ]);
                }
            }
        }
        csv.finish()
    }

    fn disclosure_page(&self) -> Option<&Page> {
        Some(&self.page)
    }

    fn is_adjusted(&self) -> bool {
        self.adjusted
    }
}

#[cfg(test)]
mod tests;
