//! Events: do they reach new people, or the same ones?
//!
//! Per kind of event (every event held) and per month of the events'
//! start over the past twelve months (UTC, as the other reports' months):
//! events held, the people counted there without records (headcounts),
//! and the named attendances, first-time and returning (as on the civic
//! core) and by people who already held a role when they came.
//!
//! Months are the past twelve only: every month's figures are tied to the
//! kinds' and the whole's, and years of months' small counts (an area's
//! first months) would have the page hide most of what it shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{EventKind, Timestamp};

use super::cell_key::Audience;
use super::disclosure::{Cell, Hidden, Page, Shown, Withheld, publish};
use super::{Csv, FilterUse, Filters, Report, Setup, Suppression, month_of};
use crate::error::Result;
use crate::store::Db;
use crate::store::report_rows::{self, HeldEvent, RoleAttendance};

/// The figures of one group of events: a kind, a month, or all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventGroup {
    /// The kind (`fun-day`, `training`, ...), the month (`YYYY-MM`, UTC),
    /// or `all`.
    pub key: String,
    /// In words.
    pub label: String,
    /// Events held: started, and not cancelled. Events are not people:
    /// shown exact.
    pub events: u64,
    /// Of them, events where a headcount was taken.
    pub events_counted: u64,
    /// People counted at them without records (the sum of their
    /// headcounts): a tally, not people we hold records of, shown exact.
    pub headcount: u64,
    /// Named attendances: each person recorded at each event once
    /// (someone at three sessions counts three times).
    pub attendees: Option<u64>,
    /// Of them, by people at their first event ever.
    pub first_time: Option<u64>,
    /// Of them, by people who had been to an event before.
    pub returning: Option<u64>,
    /// First-time attendances as a share of all (0 to 1).
    pub share_first_time: Option<f64>,
    /// Of the attendances, by people who then held a role: a seat or an
    /// office on the partnership, or a working-group membership.
    pub holding_role: Option<u64>,
    /// Attendances by people holding a role, as a share of all (0 to 1).
    pub share_holding_role: Option<f64>,
}

/// Do events reach new people, or the same ones? Events held, headcounts
/// and named attendances, by kind and by month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventReach {
    /// Counts of people below this are hidden.
    pub suppressed_below: u64,
    /// Whether the counts of people are adjusted by the cell key method
    /// (for viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// Every event held.
    pub all: EventGroup,
    /// Per kind of event held.
    pub by_kind: Vec<EventGroup>,
    /// Per month of the events' start (UTC) in the past twelve months
    /// (this month and the eleven before), oldest first; months without
    /// events are left out.
    pub by_month: Vec<EventGroup>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`by_kind.1.first_time`): `small`, `protects` or
    /// `not-applicable`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The events report for the attendees matching `filters`, at `now`.
/// Filters choose whose attendances count (by their first contact, patch,
/// channel, age band, stage reached and champion); events held and headcounts are every event's.
pub async fn event_reach(
    db: &Db,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<EventReach> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    let keyed = audience == Audience::Adjusted;
    let events = report_rows::events_held(db, now).await?;
    let attendance = report_rows::attendance_by_role(db, &people, keyed).await?;
    Ok(event_reach_from(
        setup.suppression,
        audience,
        now,
        &events,
        &attendance,
    ))
}

/// The four kinds of attendance a group's figures add up: (first time,
/// holding a role).
const PARTS: [(bool, bool); 4] = [(true, false), (true, true), (false, false), (false, true)];

/// One group's events and the cells of its attendances.
#[derive(Default)]
struct Group {
    events: u64,
    counted: u64,
    headcount: u64,
    /// True counts per part of [`PARTS`], and their cells.
    counts: [u64; 4],
    cells: [Vec<Cell>; 4],
}

impl Group {
    fn add_event(&mut self, e: &HeldEvent) {
        self.events += 1;
        if let Some(n) = e.headcount {
            self.counted += 1;
            self.headcount += n.max(0) as u64;
        }
    }

    fn add_cell(&mut self, part: usize, n: u64, cell: Cell) {
        self.counts[part] += n;
        self.cells[part].push(cell);
    }

    fn cells(&self, parts: &[usize]) -> Vec<Cell> {
        parts
            .iter()
            .flat_map(|p| self.cells[*p].iter().copied())
            .collect()
    }

    fn count(&self, parts: &[usize]) -> u64 {
        parts.iter().map(|p| self.counts[*p]).sum()
    }
}

/// The parts each figure adds up.
const FIGURES: [(&str, &[usize]); 4] = [
    ("attendees", &[0, 1, 2, 3]),
    ("first_time", &[0, 1]),
    ("returning", &[2, 3]),
    ("holding_role", &[1, 3]),
];

/// The report from the events held and their attendances.
///
/// The page's cells are the attendances at the events of one kind and
/// month by (first time or returning, holding a role or not); each
/// group's figures add up its cells, so a kind's, a month's and the
/// whole's figures are protected together.
pub(super) fn event_reach_from(
    suppression: Suppression,
    audience: Audience,
    now: Timestamp,
    events: &[HeldEvent],
    attendance: &[RoleAttendance],
) -> EventReach {
    let mut all = Group::default();
    let mut kinds: BTreeMap<usize, (String, Group)> = BTreeMap::new();
    let mut months: BTreeMap<String, Group> = BTreeMap::new();
    let mut of_event: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    let first_month = twelve_months_before(now);
    for e in events {
        // Kinds in the order people choose them; one unknown to this
        // version last.
        let order = EventKind::parse(&e.kind)
            .and_then(|k| EventKind::ALL.iter().position(|x| *x == k))
            .unwrap_or(EventKind::ALL.len());
        let month = month_of(e.starts_at);
        all.add_event(e);
        kinds
            .entry(order)
            .or_insert_with(|| (e.kind.clone(), Group::default()))
            .1
            .add_event(e);
        if month >= first_month {
            months.entry(month.clone()).or_default().add_event(e);
        }
        of_event.insert(&e.id, (order, month));
    }
    // Events of one kind and month are in the same figures, so their
    // attendances make one cell per part: the page is as safe, and its
    // linear programmes as small as the kinds and months make them.
    let mut parts: BTreeMap<(usize, &str, usize), (u64, u64)> = BTreeMap::new();
    for a in attendance {
        let Some((order, month)) = of_event.get(a.event.as_str()) else {
            continue;
        };
        let Some(part) = PARTS
            .iter()
            .position(|p| *p == (a.first_time == 1, a.holding_role == 1))
        else {
            continue;
        };
        let cell = parts.entry((*order, month.as_str(), part)).or_default();
        cell.0 += a.attendees.max(0) as u64;
        cell.1 = cell.1.wrapping_add(a.keys as u64);
    }
    let mut page = Page::new();
    for ((order, month, part), (n, keys)) in parts {
        let cell = page.keyed_cell(n, keys);
        all.add_cell(part, n, cell);
        if let Some((_, group)) = kinds.get_mut(&order) {
            group.add_cell(part, n, cell);
        }
        if let Some(group) = months.get_mut(month) {
            group.add_cell(part, n, cell);
        }
    }
    let kinds: Vec<(String, Group)> = kinds.into_values().collect();
    let months: Vec<(String, Group)> = months.into_iter().collect();
    let mut describe = |place: &str, group: &Group| {
        for (figure, parts) in FIGURES {
            page.figure(format!("{place}.{figure}"), &group.cells(parts));
        }
    };
    describe("all", &all);
    for (i, (_, group)) in kinds.iter().enumerate() {
        describe(&format!("by_kind.{i}"), group);
    }
    for (k, (_, group)) in months.iter().enumerate() {
        describe(&format!("by_month.{k}"), group);
    }

    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let all = shown(&hidden, &mut withheld, "all", "all", "Every event", &all);
    let by_kind = kinds
        .iter()
        .enumerate()
        .map(|(i, (kind, group))| {
            let label = EventKind::parse(kind)
                .map_or_else(|| kind.clone(), |k| crate::labels::event_kind(k).to_owned());
            shown(
                &hidden,
                &mut withheld,
                &format!("by_kind.{i}"),
                kind,
                &label,
                group,
            )
        })
        .collect();
    let by_month = months
        .iter()
        .enumerate()
        .map(|(k, (month, group))| {
            shown(
                &hidden,
                &mut withheld,
                &format!("by_month.{k}"),
                month,
                month,
                group,
            )
        })
        .collect();
    EventReach {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        all,
        by_kind,
        by_month,
        withheld,
        page,
    }
}

/// The first month (`YYYY-MM`, UTC) of the twelve ending with `now`'s.
fn twelve_months_before(now: Timestamp) -> String {
    let (year, month) = crate::calendar::year_month(now.as_millis());
    let index = year * 12 + month - 1 - 11;
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// A group's figures as published at `place`.
fn shown(
    hidden: &Hidden,
    withheld: &mut BTreeMap<String, Withheld>,
    place: &str,
    key: &str,
    label: &str,
    group: &Group,
) -> EventGroup {
    let at = |figure: &str| format!("{place}.{figure}");
    let [attendees, first_time, returning, holding_role] =
        FIGURES.map(|(figure, parts)| hidden.shown(&at(figure), group.count(parts)));
    let share = |part: Shown| match (attendees, part) {
        (Shown::Count(0), _) => Err(Withheld::NotApplicable),
        // Adjusted counts can make the part look the larger.
        (Shown::Count(all), Shown::Count(n)) => Ok((n as f64 / all as f64).min(1.0)),
        (Shown::Withheld(Withheld::Small), _) | (_, Shown::Withheld(Withheld::Small)) => {
            Err(Withheld::Small)
        }
        _ => Err(Withheld::Protects),
    };
    EventGroup {
        key: key.to_owned(),
        label: label.to_owned(),
        events: group.events,
        events_counted: group.counted,
        headcount: group.headcount,
        attendees: publish(withheld, at("attendees"), attendees.result()),
        first_time: publish(withheld, at("first_time"), first_time.result()),
        returning: publish(withheld, at("returning"), returning.result()),
        share_first_time: publish(withheld, at("share_first_time"), share(first_time)),
        holding_role: publish(withheld, at("holding_role"), holding_role.result()),
        share_holding_role: publish(withheld, at("share_holding_role"), share(holding_role)),
    }
}

impl Report for EventReach {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        event_reach(db, filters, audience, now).await
    }

    /// Every group as a row (`breakdown` is `all`, `kind` or `month`); a
    /// hidden figure reads `<5` (small), `hidden` (protects a small one)
    /// or `n/a`.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "breakdown",
                "group",
                "label",
                "events",
                "events_counted",
                "headcount",
                "attendees",
                "first_time",
                "returning",
                "share_first_time",
                "holding_role",
                "share_holding_role",
            ],
        );
        let groups = std::iter::once(("all", "all".to_owned(), &self.all))
            .chain(
                self.by_kind
                    .iter()
                    .enumerate()
                    .map(|(i, g)| ("kind", format!("by_kind.{i}"), g)),
            )
            .chain(
                self.by_month
                    .iter()
                    .enumerate()
                    .map(|(k, g)| ("month", format!("by_month.{k}"), g)),
            );
        for (breakdown, place, g) in groups {
            let why = |field: &str| self.withheld.get(&format!("{place}.{field}")).copied();
            let share = |v: Option<f64>| v.map(|s| format!("{s:.4}"));
            let fields = [
                breakdown.to_owned(),
                g.key.clone(),
                g.label.clone(),
                g.events.to_string(),
                g.events_counted.to_string(),
                g.headcount.to_string(),
                csv.figure(g.attendees, why("attendees")),
                csv.figure(g.first_time, why("first_time")),
                csv.figure(g.returning, why("returning")),
                csv.figure(share(g.share_first_time), why("share_first_time")),
                csv.figure(g.holding_role, why("holding_role")),
                csv.figure(share(g.share_holding_role), why("share_holding_role")),
            ];
            csv.row(fields);
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
mod tests {
    use super::*;

    fn event(id: &str, kind: &str, starts_at: i64, headcount: Option<i64>) -> HeldEvent {
        HeldEvent {
            id: id.into(),
            kind: kind.into(),
            starts_at,
            headcount,
        }
    }

    fn came(event: &str, first: bool, role: bool, n: i64) -> RoleAttendance {
        RoleAttendance {
            event: event.into(),
            first_time: i64::from(first),
            holding_role: i64::from(role),
            attendees: n,
            keys: 0,
        }
    }

    #[test]
    fn kinds_and_months_add_up_their_events_and_hide_small_parts() {
        const DAY: i64 = Timestamp::DAY_MILLIS;
        let events = [
            event("carnival", "fun-day", 0, Some(900)),
            event("t1", "training", 0, None),
            event("t2", "training", 40 * DAY, Some(12)),
        ];
        let attendance = [
            came("carnival", true, false, 40),
            came("carnival", false, false, 10),
            came("t1", true, true, 6),
            came("t1", false, true, 2),
            came("t2", false, true, 8),
            came("t2", false, false, 7),
        ];
        let r = event_reach_from(
            Suppression::default(),
            Audience::Exact,
            Timestamp::from_millis(45 * DAY),
            &events,
            &attendance,
        );
        assert_eq!((r.all.events, r.all.events_counted), (3, 2));
        assert_eq!(r.all.headcount, 912);
        assert_eq!(r.all.attendees, Some(73));
        assert_eq!(r.all.first_time, Some(46));
        assert_eq!(r.all.holding_role, Some(16));
        let kinds: Vec<&str> = r.by_kind.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(kinds, ["fun-day", "training"]);
        let training = &r.by_kind[1];
        assert_eq!(training.label, "Training");
        assert_eq!(
            (training.attendees, training.first_time, training.returning),
            (Some(23), Some(6), Some(17))
        );
        assert_eq!(training.share_holding_role, Some(16.0 / 23.0));
        // January: the carnival and the first session; February: the
        // second session.
        let months: Vec<&str> = r.by_month.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(months, ["1970-01", "1970-02"]);
        assert_eq!(r.by_month[1].first_time, Some(0), "zero is shown");
        assert_eq!(r.by_month[1].share_first_time, Some(0.0));
        // The carnival's attendees hold no role, so holding a role in
        // January is the first session's 8; returning in January is 12.
        assert_eq!(r.by_month[0].holding_role, Some(8));
        assert_eq!(r.by_month[0].headcount, 900);
        assert!(
            r.to_csv()
                .contains("kind,training,Training,2,1,12,23,6,17,")
        );
        // Thirteen months on, January has left the months; the kinds keep it.
        let later = event_reach_from(
            Suppression::default(),
            Audience::Exact,
            Timestamp::from_millis(370 * DAY),
            &events,
            &attendance,
        );
        let months: Vec<&str> = later.by_month.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(months, ["1970-02"]);
        assert_eq!(later.all.attendees, Some(73));
    }

    #[test]
    fn the_months_are_this_one_and_the_eleven_before() {
        let at = |ms: i64| twelve_months_before(Timestamp::from_millis(ms));
        assert_eq!(at(0), "1969-02");
        assert_eq!(at(1_735_689_600_000), "2024-02"); // 2025-01-01
        assert_eq!(at(1_764_547_200_000), "2025-01"); // 2025-12-01
    }

    #[test]
    fn a_small_group_is_hidden_with_what_would_give_it_away() {
        let events = [
            event("a", "meeting", 0, None),
            event("b", "fun-day", 0, Some(300)),
        ];
        let attendance = [
            came("a", true, false, 3),
            came("b", true, false, 30),
            came("b", false, false, 12),
        ];
        let r = event_reach_from(
            Suppression::default(),
            Audience::Exact,
            Timestamp::from_millis(0),
            &events,
            &attendance,
        );
        let meeting = r.by_kind.iter().position(|g| g.key == "meeting").unwrap();
        assert_eq!(r.by_kind[meeting].attendees, None);
        assert_eq!(
            r.withheld[&format!("by_kind.{meeting}.attendees")],
            Withheld::Small
        );
        assert_eq!(r.by_kind[meeting].events, 1, "events are not people");
        // The whole minus the fun day would give the meeting's 3 away.
        let fun_day = 1 - meeting;
        assert!(r.all.attendees.is_none() || r.by_kind[fun_day].attendees.is_none());
        assert_eq!(r.all.headcount, 300);
    }
}
