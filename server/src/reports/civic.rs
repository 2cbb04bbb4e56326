//! The civic core: are we reaching beyond the same few people?

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::cell_key::Audience;
use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Csv, FilterUse, Filters, Report, Setup, Suppression, month_of};
use crate::error::Result;
use crate::store::Db;
use crate::store::report_rows::{self, Attendance};

/// How many roles people hold now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RolesHeld {
    /// People holding at least one role or working-group membership now.
    pub people: Option<u64>,
    /// Of them, holding exactly one.
    pub one: Option<u64>,
    /// Holding exactly two.
    pub two: Option<u64>,
    /// Holding three or more.
    pub three_or_more: Option<u64>,
    /// Holding two or more: the civic core.
    pub two_or_more: Option<u64>,
}

/// First-time and returning attendees at one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventAttendance {
    /// The event's id.
    pub event: String,
    /// Its title.
    pub title: String,
    /// When it started (ms since the epoch).
    pub starts_at: Option<i64>,
    /// People who attended.
    pub attendees: Option<u64>,
    /// Of them, attending for the first time ever.
    pub first_time: Option<u64>,
    /// Of them, who had attended something before.
    pub returning: Option<u64>,
}

/// First-time and returning attendances at the events of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttendanceMonth {
    /// `YYYY-MM` (UTC) of the events' start.
    pub month: String,
    /// Attendances.
    pub attendees: Option<u64>,
    /// By people attending for the first time.
    pub first_time: Option<u64>,
    /// By people who had attended before.
    pub returning: Option<u64>,
}

/// The civic core: people holding several roles, how concentrated activity
/// is, and new faces at events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CivicCore {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Whether the counts of people are adjusted by the cell key method
    /// (for viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// Roles (partnership seats, group leads, working groups) held now.
    pub roles_held: RolesHeld,
    /// People who did anything (attended, volunteered, joined, held a role).
    pub active_people: Option<u64>,
    /// All they did, counted.
    pub activity: Option<u64>,
    /// Share of all activity done by the most active tenth of active people (0 to 1).
    pub top_tenth_share: Option<f64>,
    /// Per event with attendance, by start.
    pub events: Vec<EventAttendance>,
    /// Per month of the events' start, oldest first.
    pub months: Vec<AttendanceMonth>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`events.3.first_time`): `small`, `protects` or
    /// `not-applicable`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The civic core for the people matching `filters`, at `now`.
pub async fn civic_core(
    db: &Db,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<CivicCore> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    let keyed = audience == Audience::Adjusted;
    let roles = report_rows::roles_held(db, &people, now, keyed).await?;
    let activity = report_rows::activity(db, &people, keyed).await?;
    let attendance = report_rows::attendance(db, &people, keyed).await?;
    let events = report_rows::events(db).await?;
    let tally = |(value, n, keys): &(i64, i64, i64)| (*value as u64, *n as u64, *keys as u64);
    Ok(civic_core_from(
        setup.suppression,
        audience,
        roles.iter().map(tally),
        activity.iter().map(tally),
        &attendance,
        &events,
    ))
}

/// The civic core from its parts: (roles held, people, their record keys),
/// (activity, people, their record keys), each event's attendance and the
/// events (id, title, start).
///
/// The page's cells: people by roles held (one, two, three or more) and
/// the active people holding none (everyone holding a role is active);
/// per event, first-time and returning attendees, whose sums over a
/// month's events are that month's attendances.
pub(super) fn civic_core_from(
    suppression: Suppression,
    audience: Audience,
    roles: impl Iterator<Item = (u64, u64, u64)>,
    activity: impl Iterator<Item = (u64, u64, u64)>,
    attendance: &[Attendance],
    events: &[(String, String, i64)],
) -> CivicCore {
    let mut by_count = [0u64; 3];
    let mut by_count_keys = [0u64; 3];
    for (held, people, keys) in roles {
        let at = (held.clamp(1, 3) - 1) as usize;
        by_count[at] += people;
        by_count_keys[at] = by_count_keys[at].wrapping_add(keys);
    }
    let holders: u64 = by_count.iter().sum();
    let holders_keys = by_count_keys.iter().fold(0u64, |a, k| a.wrapping_add(*k));

    // Most active first: the top tenth is the first ceil(n / 10) people.
    let mut active_keys = 0u64;
    let mut histogram: Vec<(u64, u64)> = activity
        .map(|(a, n, keys)| {
            active_keys = active_keys.wrapping_add(keys);
            (a, n)
        })
        .collect();
    histogram.sort_unstable_by_key(|(activity, _)| std::cmp::Reverse(*activity));
    let active: u64 = histogram.iter().map(|(_, n)| n).sum();
    let total: u64 = histogram.iter().map(|(a, n)| a * n).sum();
    let mut left = active.div_ceil(10);
    let mut top = 0;
    for (a, n) in &histogram {
        let take = left.min(*n);
        top += a * take;
        left -= take;
    }

    let mut page = Page::new();
    let held: Vec<Cell> = by_count
        .iter()
        .zip(by_count_keys)
        .map(|(n, keys)| page.keyed_cell(*n, keys))
        .collect();
    for (key, cells) in [
        ("roles_held.one", &held[0..1]),
        ("roles_held.two", &held[1..2]),
        ("roles_held.three_or_more", &held[2..3]),
        ("roles_held.two_or_more", &held[1..3]),
        ("roles_held.people", &held[..]),
    ] {
        page.figure(key, cells);
    }
    if holders <= active {
        let rest = page.keyed_cell(active - holders, active_keys.wrapping_sub(holders_keys));
        let mut everyone = held.clone();
        everyone.push(rest);
        page.figure("active_people", &everyone);
    } else {
        // Roles held now beyond the activity counted (a role recorded
        // ahead of its start): no relation to publish.
        let all = page.keyed_cell(active, active_keys);
        page.figure("active_people", &[all]);
    }

    let titles: BTreeMap<&str, (&str, i64)> = events
        .iter()
        .map(|(id, title, starts)| (id.as_str(), (title.as_str(), *starts)))
        .collect();
    let mut rows: Vec<(String, &str, Option<i64>, u64, u64)> = Vec::new();
    let mut keys: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for a in attendance {
        let (title, starts_at) = titles
            .get(a.event.as_str())
            .map_or(("(event not on the server)", None), |(t, s)| (*t, Some(*s)));
        let (attendees, first) = (a.attendees as u64, a.first_time as u64);
        rows.push((a.event.clone(), title, starts_at, attendees, first));
        let (all_keys, first_keys) = (a.attendees_keys as u64, a.first_time_keys as u64);
        keys.insert(&a.event, (first_keys, all_keys.wrapping_sub(first_keys)));
    }
    rows.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    let mut months: BTreeMap<String, (u64, u64, Vec<Cell>, Vec<Cell>)> = BTreeMap::new();
    for (i, (event, _, starts_at, attendees, first)) in rows.iter().enumerate() {
        let (first_keys, returning_keys) = keys.get(event.as_str()).copied().unwrap_or_default();
        let first_cell = page.keyed_cell(*first, first_keys);
        let returning_cell = page.keyed_cell(attendees - first, returning_keys);
        page.figure(
            format!("events.{i}.attendees"),
            &[first_cell, returning_cell],
        );
        page.figure(format!("events.{i}.first_time"), &[first_cell]);
        page.figure(format!("events.{i}.returning"), &[returning_cell]);
        if let Some(starts) = starts_at {
            let month = months.entry(month_of(*starts)).or_default();
            month.0 += attendees;
            month.1 += first;
            month.2.push(first_cell);
            month.3.push(returning_cell);
        }
    }
    for (k, (_, _, first, returning)) in months.values().enumerate() {
        let both: Vec<Cell> = first.iter().chain(returning).copied().collect();
        page.figure(format!("months.{k}.attendees"), &both);
        page.figure(format!("months.{k}.first_time"), first);
        page.figure(format!("months.{k}.returning"), returning);
    }

    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut count = |place: String, n: u64| {
        let shown = hidden.shown(&place, n).result();
        publish(&mut withheld, place, shown)
    };
    let roles_held = RolesHeld {
        people: count("roles_held.people".into(), holders),
        one: count("roles_held.one".into(), by_count[0]),
        two: count("roles_held.two".into(), by_count[1]),
        three_or_more: count("roles_held.three_or_more".into(), by_count[2]),
        two_or_more: count("roles_held.two_or_more".into(), by_count[1] + by_count[2]),
    };
    let active_people = count("active_people".into(), active);
    let events_shown: Vec<EventAttendance> = rows
        .iter()
        .enumerate()
        .map(
            |(i, (event, title, starts_at, attendees, first))| EventAttendance {
                event: event.clone(),
                title: (*title).to_owned(),
                starts_at: *starts_at,
                attendees: count(format!("events.{i}.attendees"), *attendees),
                first_time: count(format!("events.{i}.first_time"), *first),
                returning: count(format!("events.{i}.returning"), attendees - first),
            },
        )
        .collect();
    let months_shown: Vec<AttendanceMonth> = months
        .into_iter()
        .enumerate()
        .map(|(k, (month, (attendees, first, _, _)))| AttendanceMonth {
            month,
            attendees: count(format!("months.{k}.attendees"), attendees),
            first_time: count(format!("months.{k}.first_time"), first),
            returning: count(format!("months.{k}.returning"), attendees - first),
        })
        .collect();
    // What the active people did, and the top tenth's share, go with them.
    let active_reason = hidden.why("active_people");
    let with_active = |value: Option<f64>| match (active_reason, value) {
        (Some(why), _) => Err(why),
        (None, Some(v)) => Ok(v),
        (None, None) => Err(Withheld::NotApplicable),
    };
    let activity = with_active(Some(total as f64)).map(|t| t as u64);
    let top_tenth_share = with_active((total > 0).then(|| top as f64 / total as f64));
    CivicCore {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        roles_held,
        active_people,
        activity: publish(&mut withheld, "activity".into(), activity),
        top_tenth_share: publish(&mut withheld, "top_tenth_share".into(), top_tenth_share),
        events: events_shown,
        months: months_shown,
        withheld,
        page,
    }
}

impl Report for CivicCore {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        civic_core(db, filters, audience, now).await
    }

    /// First-time and returning attendees per event as CSV, starts in
    /// ISO 8601.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "event",
                "title",
                "starts_at",
                "attendees",
                "first_time",
                "returning",
            ],
        );
        for (i, e) in self.events.iter().enumerate() {
            let why = |field: &str| self.withheld.get(&format!("events.{i}.{field}")).copied();
            let fields = [
                e.event.clone(),
                e.title.clone(),
                Csv::optional(e.starts_at.map(crate::calendar::iso)),
                csv.figure(e.attendees, why("attendees")),
                csv.figure(e.first_time, why("first_time")),
                csv.figure(e.returning, why("returning")),
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

    #[test]
    fn the_top_tenth_is_the_most_active_tenth_of_people() {
        // 20 people: two did 10 things each, eighteen did 1.
        let core = civic_core_from(
            Suppression::default(),
            Audience::Exact,
            [(1, 30, 0), (2, 6, 0), (4, 1, 0)].into_iter(),
            [(1, 18, 0), (10, 2, 0)].into_iter(),
            &[Attendance {
                event: "e".into(),
                attendees: 12,
                first_time: 3,
                attendees_keys: 0,
                first_time_keys: 0,
            }],
            &[("e".into(), "Fun day".into(), 0)],
        );
        assert_eq!(core.active_people, Some(20));
        assert_eq!(core.activity, Some(38));
        assert_eq!(core.top_tenth_share, Some(20.0 / 38.0));
        assert_eq!(core.roles_held.people, Some(37));
        assert_eq!(
            (
                core.roles_held.one,
                core.roles_held.two,
                core.roles_held.three_or_more
            ),
            (Some(30), None, None),
            "the lone 1 takes the 6 with it"
        );
        assert_eq!(core.roles_held.two_or_more, Some(7));
        assert_eq!(core.events[0].attendees, Some(12));
        assert_eq!(
            (core.events[0].first_time, core.events[0].returning),
            (None, None)
        );
        assert_eq!(core.months[0].month, "1970-01");
    }
}
