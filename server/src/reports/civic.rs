//! The civic core: are we reaching beyond the same few people?

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::{Csv, FilterUse, Filters, Report, Setup, Suppression, month_of};
use crate::error::Result;
use crate::store::{Db, report_rows};

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
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
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
}

/// The civic core for the people matching `filters`, at `now`.
pub async fn civic_core(db: &Db, filters: &Filters, now: Timestamp) -> Result<CivicCore> {
    let people = filters.selection()?;
    let setup = Setup::load(db).await?;
    let roles = report_rows::roles_held(db, &people, now).await?;
    let activity = report_rows::activity(db, &people).await?;
    let attendance = report_rows::attendance(db, &people).await?;
    let events = report_rows::events(db).await?;
    Ok(civic_core_from(
        setup.suppression,
        roles.iter().map(|(held, n)| (*held as u64, *n as u64)),
        activity.iter().map(|(a, n)| (*a as u64, *n as u64)),
        &attendance,
        &events,
    ))
}

/// The civic core from its parts: (roles held, people), (activity, people),
/// per event (id, attendees, first-time) and the events (id, title, start).
pub(super) fn civic_core_from(
    suppression: Suppression,
    roles: impl Iterator<Item = (u64, u64)>,
    activity: impl Iterator<Item = (u64, u64)>,
    attendance: &[(String, i64, i64)],
    events: &[(String, String, i64)],
) -> CivicCore {
    let mut by_count = [0u64; 3];
    for (held, people) in roles {
        by_count[(held.clamp(1, 3) - 1) as usize] += people;
    }
    let holders: u64 = by_count.iter().sum();
    let cells = suppression.breakdown(&by_count);
    let core = by_count[1] + by_count[2];
    let roles_held = RolesHeld {
        people: suppression.count(holders),
        one: cells[0],
        two: cells[1],
        three_or_more: cells[2],
        // Shown only beside a shown count of one role: with the total it
        // would otherwise reveal that count.
        two_or_more: cells[0].and_then(|_| suppression.count(core)),
    };

    // Most active first: the top tenth is the first ceil(n / 10) people.
    let mut histogram: Vec<(u64, u64)> = activity.collect();
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
    let shown_active = suppression.count(active);

    let titles: BTreeMap<&str, (&str, i64)> = events
        .iter()
        .map(|(id, title, starts)| (id.as_str(), (title.as_str(), *starts)))
        .collect();
    let mut rows: Vec<EventAttendance> = Vec::new();
    let mut months: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (event, attendees, first) in attendance {
        let (attendees, first) = (*attendees as u64, *first as u64);
        let (title, starts_at) = titles
            .get(event.as_str())
            .map_or(("(event not on the server)", None), |(t, s)| (*t, Some(*s)));
        if let Some(starts) = starts_at {
            let month = months.entry(month_of(starts)).or_default();
            month.0 += attendees;
            month.1 += first;
        }
        let pair = suppression.breakdown(&[first, attendees - first]);
        rows.push(EventAttendance {
            event: event.clone(),
            title: title.to_owned(),
            starts_at,
            attendees: suppression.count(attendees),
            first_time: pair[0],
            returning: pair[1],
        });
    }
    rows.sort_by(|a, b| (a.starts_at, &a.event).cmp(&(b.starts_at, &b.event)));
    CivicCore {
        suppressed_below: suppression.below(),
        roles_held,
        active_people: shown_active,
        activity: shown_active.map(|_| total),
        top_tenth_share: shown_active
            .filter(|_| total > 0)
            .map(|_| top as f64 / total as f64),
        events: rows,
        months: months
            .into_iter()
            .map(|(month, (attendees, first))| {
                let pair = suppression.breakdown(&[first, attendees - first]);
                AttendanceMonth {
                    month,
                    attendees: suppression.count(attendees),
                    first_time: pair[0],
                    returning: pair[1],
                }
            })
            .collect(),
    }
}

impl Report for CivicCore {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, now: Timestamp) -> Result<Self> {
        civic_core(db, filters, now).await
    }

    /// First-time and returning attendees per event as CSV.
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
        for e in &self.events {
            let fields = [
                e.event.clone(),
                e.title.clone(),
                Csv::optional(e.starts_at),
                csv.cell(e.attendees),
                csv.cell(e.first_time),
                csv.cell(e.returning),
            ];
            csv.row(fields);
        }
        csv.finish()
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
            [(1, 30), (2, 6), (4, 1)].into_iter(),
            [(1, 18), (10, 2)].into_iter(),
            &[("e".into(), 12, 3)],
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
