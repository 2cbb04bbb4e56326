//! Working groups: per group, who is in it now, how many of them are new
//! to us, how membership changed quarter by quarter, who joined in the
//! last year, and how many members later took a seat on the partnership
//! board (the pipeline realised); and the groups nobody new joined in a
//! year.
//!
//! Memberships name a group by its id; those from older phones name it in
//! free text, and a name (or an id) that is not on the list of groups is
//! reported under that name, said to be not on the list.
//!
//! **Disclosure.** Being in a working group is not public the way a board
//! seat is, so every figure here is a count of people: hidden below the
//! area's threshold through the page-wide control ([`Page`]) and adjusted
//! for viewers. The pipeline counts board members, whose seats are
//! public, but through a group membership that is not: it is a count of
//! people too. A person may be in several groups, so no figure adds up
//! across groups; within a group, members now are the newcomers and the
//! longer-standing members, all three published.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::disclosure::{Cell, Page, publish};
use super::{Audience, Csv, FilterUse, Filters, Report, Setup, Suppression, Withheld};
use crate::error::Result;
use crate::store::groups::{GroupRow, MemberRow};
use crate::store::{Db, groups, report_rows};

/// How many quarter ends the report looks back over.
pub(super) const QUARTERS: usize = 8;
const YEAR: i64 = 365 * Timestamp::DAY_MILLIS;

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupFigures {
    /// What memberships name: the group's id, or a free-text name.
    pub group: String,
    /// Its name (the free text itself for a group not on the list).
    pub name: String,
    /// Whether it is on the list of groups (false: a name or an id older
    /// phones recorded that no group on the list has).
    pub on_list: bool,
    /// The patch it serves; none for the whole area (or not known).
    pub patch: Option<String>,
    /// Closed: it stays on record.
    pub closed: bool,
    /// It spends a budget of its own.
    pub devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    pub devolved_decisions: bool,
    /// It has its own constitution.
    pub constituted: bool,
    /// People in it now.
    pub members_now: Option<u64>,
    /// Of them, first contacted within the last 12 months: newcomers.
    pub newcomers: Option<u64>,
    /// Of them, first contacted longer ago (or before first contact was
    /// recorded).
    pub longer_standing: Option<u64>,
    /// People in it at the end of each of the last quarters, oldest first
    /// (see `quarters`).
    pub members_by_quarter: Vec<Option<u64>>,
    /// People who joined it in the last 12 months.
    pub joined_last_year: Option<u64>,
    /// People who were in it and later took a seat on the partnership
    /// board (after joining).
    pub went_on_to_board: Option<u64>,
    /// Nobody joined in the last 12 months (a group that is open and on
    /// the list for a year at least, or not on the list).
    pub no_new_member_in_a_year: bool,
}

/// The working groups report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupsReport {
    /// Counts from 1 to this less one are hidden.
    pub suppressed_below: u64,
    /// Whether counts are adjusted (viewers' figures).
    pub adjusted: bool,
    /// The quarters whose ends `members_by_quarter` counts at, oldest
    /// first (`2025-Q4`).
    pub quarters: Vec<String>,
    /// Every group on the list (by name), then names not on it.
    pub groups: Vec<GroupFigures>,
    /// The names of the groups nobody new joined in the last 12 months.
    pub no_new_member_in_a_year: Vec<String>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`groups.2.newcomers`): `small` or `protects`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// The start of the quarter holding `ms` (UTC).
fn quarter_start(ms: i64) -> i64 {
    let (year, month) = crate::calendar::year_month(ms);
    let first_month = (month - 1) / 3 * 3 + 1;
    crate::calendar::month_range(&format!("{year:04}-{first_month:02}"))
        .map_or(ms, |(start, _)| start)
}

/// The ends of the last `QUARTERS` quarters that have ended by `now`,
/// oldest first, each with its name (`2025-Q4` ends at 2026-01-01).
pub(super) fn quarter_ends(now: i64) -> Vec<(i64, String)> {
    let mut ends = Vec::new();
    let mut end = quarter_start(now);
    for _ in 0..QUARTERS {
        let start = quarter_start(end - 1);
        let (year, month) = crate::calendar::year_month(start);
        ends.push((end, format!("{year:04}-Q{}", (month - 1) / 3 + 1)));
        end = start;
    }
    ends.reverse();
    ends
}

/// What the report knows of one group, from the list or from memberships.
struct Listed<'a> {
    key: String,
    row: Option<&'a GroupRow>,
}

/// The report from the list of groups, every membership and the starts of
/// partnership seats (person, start), at `now`.
pub(super) fn groups_from(
    suppression: Suppression,
    audience: Audience,
    listed: &[GroupRow],
    members: &[MemberRow],
    seats: &[(String, i64)],
    now: i64,
) -> GroupsReport {
    let mut order: Vec<Listed<'_>> = listed
        .iter()
        .map(|g| Listed {
            key: g.id.to_string(),
            row: Some(g),
        })
        .collect();
    let on_list: BTreeSet<&str> = order.iter().map(|g| g.key.as_str()).collect();
    let unlisted: BTreeSet<&str> = members
        .iter()
        .map(|m| m.group.as_str())
        .filter(|g| !on_list.contains(g))
        .collect();
    order.extend(unlisted.into_iter().map(|g| Listed {
        key: g.to_owned(),
        row: None,
    }));
    let keys: BTreeMap<&str, i64> = members
        .iter()
        .map(|m| (m.person.as_str(), m.record_key))
        .collect();
    let first_seat: BTreeMap<&str, Vec<i64>> =
        seats
            .iter()
            .fold(BTreeMap::new(), |mut map, (person, start)| {
                map.entry(person.as_str()).or_default().push(*start);
                map
            });
    let quarters = quarter_ends(now);
    let in_at = |m: &MemberRow, t: i64| m.start <= t && m.end.is_none_or(|e| e > t);

    let mut page = Page::new();
    let cell = |page: &mut Page, people: &BTreeSet<&str>| -> Cell {
        let sum = people.iter().fold(0u64, |sum, p| {
            sum.wrapping_add(keys.get(p).copied().unwrap_or(0) as u64)
        });
        page.keyed_cell(people.len() as u64, sum)
    };
    struct Counts {
        now: u64,
        newcomers: u64,
        quarters: Vec<u64>,
        joined: u64,
        board: u64,
    }
    let mut counts = Vec::new();
    for (i, g) in order.iter().enumerate() {
        let of_group: Vec<&MemberRow> = members.iter().filter(|m| m.group == g.key).collect();
        let now_in: BTreeSet<&str> = of_group
            .iter()
            .filter(|m| in_at(m, now))
            .map(|m| m.person.as_str())
            .collect();
        let newcomers: BTreeSet<&str> = of_group
            .iter()
            .filter(|m| in_at(m, now) && m.first_contact.is_some_and(|f| f > now - YEAR))
            .map(|m| m.person.as_str())
            .collect();
        let longer: BTreeSet<&str> = now_in.difference(&newcomers).copied().collect();
        let new_cell = cell(&mut page, &newcomers);
        let longer_cell = cell(&mut page, &longer);
        page.figure(format!("groups.{i}.members_now"), &[new_cell, longer_cell]);
        page.figure(format!("groups.{i}.newcomers"), &[new_cell]);
        page.figure(format!("groups.{i}.longer_standing"), &[longer_cell]);
        let mut by_quarter = Vec::new();
        for (k, (end, _)) in quarters.iter().enumerate() {
            let at: BTreeSet<&str> = of_group
                .iter()
                .filter(|m| in_at(m, end - 1))
                .map(|m| m.person.as_str())
                .collect();
            let c = cell(&mut page, &at);
            page.figure(format!("groups.{i}.members_by_quarter.{k}"), &[c]);
            by_quarter.push(at.len() as u64);
        }
        let joined: BTreeSet<&str> = of_group
            .iter()
            .filter(|m| m.start > now - YEAR && m.start <= now)
            .map(|m| m.person.as_str())
            .collect();
        let c = cell(&mut page, &joined);
        page.figure(format!("groups.{i}.joined_last_year"), &[c]);
        let board: BTreeSet<&str> = of_group
            .iter()
            .filter(|m| {
                first_seat
                    .get(m.person.as_str())
                    .is_some_and(|starts| starts.iter().any(|s| *s > m.start && *s <= now))
            })
            .map(|m| m.person.as_str())
            .collect();
        let c = cell(&mut page, &board);
        page.figure(format!("groups.{i}.went_on_to_board"), &[c]);
        counts.push(Counts {
            now: now_in.len() as u64,
            newcomers: newcomers.len() as u64,
            quarters: by_quarter,
            joined: joined.len() as u64,
            board: board.len() as u64,
        });
    }

    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut count = |place: String, n: u64| {
        let shown = hidden.shown(&place, n).result();
        publish(&mut withheld, place, shown)
    };
    let mut figures = Vec::new();
    for (i, (g, c)) in order.iter().zip(&counts).enumerate() {
        let row = g.row;
        let quiet = c.joined == 0 && row.is_none_or(|r| !r.closed && r.created_at <= now - YEAR);
        figures.push(GroupFigures {
            group: g.key.clone(),
            name: row.map_or_else(|| g.key.clone(), |r| r.name.clone()),
            on_list: row.is_some(),
            patch: row.and_then(|r| r.patch.clone()),
            closed: row.is_some_and(|r| r.closed),
            devolved_budget: row.is_some_and(|r| r.devolved_budget),
            devolved_decisions: row.is_some_and(|r| r.devolved_decisions),
            constituted: row.is_some_and(|r| r.constituted),
            members_now: count(format!("groups.{i}.members_now"), c.now),
            newcomers: count(format!("groups.{i}.newcomers"), c.newcomers),
            longer_standing: count(format!("groups.{i}.longer_standing"), c.now - c.newcomers),
            members_by_quarter: c
                .quarters
                .iter()
                .enumerate()
                .map(|(k, n)| count(format!("groups.{i}.members_by_quarter.{k}"), *n))
                .collect(),
            joined_last_year: count(format!("groups.{i}.joined_last_year"), c.joined),
            went_on_to_board: count(format!("groups.{i}.went_on_to_board"), c.board),
            no_new_member_in_a_year: quiet,
        });
    }
    GroupsReport {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        quarters: quarters.into_iter().map(|(_, name)| name).collect(),
        no_new_member_in_a_year: figures
            .iter()
            .filter(|g| g.no_new_member_in_a_year)
            .map(|g| g.name.clone())
            .collect(),
        groups: figures,
        withheld,
        page,
    }
}

impl Report for GroupsReport {
    const FILTERS: FilterUse = FilterUse::None;

    async fn load(db: &Db, _: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        let setup = Setup::load(db).await?;
        let mut conn = db.pool.acquire().await?;
        let listed = groups::list(&mut conn).await?;
        let members = groups::member_rows(&mut conn).await?;
        drop(conn);
        let seats: Vec<(String, i64)> = report_rows::seats(db)
            .await?
            .into_iter()
            .map(|s| (s.person, s.start))
            .collect();
        Ok(groups_from(
            setup.suppression,
            audience,
            &listed,
            &members,
            &seats,
            now.as_millis(),
        ))
    }

    /// One row per group.
    fn to_csv(&self) -> String {
        let mut header: Vec<String> = [
            "group",
            "name",
            "on_list",
            "patch",
            "members_now",
            "newcomers",
            "longer_standing",
            "joined_last_year",
            "went_on_to_board",
            "no_new_member_in_a_year",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
        header.extend(self.quarters.iter().map(|q| format!("members_end_{q}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut csv = Csv::new(self.suppressed_below, &header);
        for (i, g) in self.groups.iter().enumerate() {
            let why = |field: &str| self.withheld.get(&format!("groups.{i}.{field}")).copied();
            let mut row = vec![
                g.group.clone(),
                g.name.clone(),
                g.on_list.to_string(),
                g.patch.clone().unwrap_or_default(),
                csv.figure(g.members_now, why("members_now")),
                csv.figure(g.newcomers, why("newcomers")),
                csv.figure(g.longer_standing, why("longer_standing")),
                csv.figure(g.joined_last_year, why("joined_last_year")),
                csv.figure(g.went_on_to_board, why("went_on_to_board")),
                g.no_new_member_in_a_year.to_string(),
            ];
            for (k, n) in g.members_by_quarter.iter().enumerate() {
                row.push(csv.figure(*n, why(&format!("members_by_quarter.{k}"))));
            }
            csv.row(row);
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
    use sync_core::DocId;

    const DAY: i64 = Timestamp::DAY_MILLIS;
    // 2026-05-15T00:00:00Z
    const NOW: i64 = 1_778_803_200_000;

    fn member(person: usize, group: &str, start: i64, end: Option<i64>, first: i64) -> MemberRow {
        MemberRow {
            person: format!("p{person:03}"),
            group: group.to_owned(),
            start,
            end,
            first_contact: Some(first),
            record_key: person as i64 * 7919,
        }
    }

    fn group(name: &str, created_at: i64) -> GroupRow {
        GroupRow {
            id: DocId::new(Timestamp::from_millis(created_at)),
            patch: None,
            name: name.into(),
            topics: Vec::new(),
            devolved_budget: true,
            devolved_decisions: false,
            constituted: false,
            lead: None,
            closed: false,
            created_at,
        }
    }

    #[test]
    fn quarters_end_on_the_first_day_of_the_next() {
        let ends = quarter_ends(NOW);
        assert_eq!(ends.len(), QUARTERS);
        assert_eq!(ends[7].1, "2026-Q1");
        assert_eq!(ends[7].0, 1_775_001_600_000); // 2026-04-01
        assert_eq!(ends[0].1, "2024-Q2");
        assert_eq!(ends[6].1, "2025-Q4");
    }

    #[test]
    fn members_newcomers_quarters_and_the_pipeline_per_group() {
        let green = group("Green spaces", NOW - 800 * DAY);
        let new = group("New starters", NOW - 30 * DAY);
        let id = green.id.to_string();
        let mut members = Vec::new();
        // Seven in Green spaces now: four newcomers, three known longer.
        for p in 0..4 {
            members.push(member(p, &id, NOW - 400 * DAY, None, NOW - 100 * DAY));
        }
        for p in 4..7 {
            members.push(member(p, &id, NOW - 500 * DAY, None, NOW - 700 * DAY));
        }
        // One left last year; one of the members went on to the board.
        members.push(member(
            7,
            &id,
            NOW - 600 * DAY,
            Some(NOW - 380 * DAY),
            NOW - 700 * DAY,
        ));
        // An older phone's free-text group.
        for p in 10..17 {
            members.push(member(
                p,
                "litter pickers",
                NOW - 20 * DAY,
                None,
                NOW - 20 * DAY,
            ));
        }
        let seats = [
            ("p004".to_owned(), NOW - 100 * DAY),
            ("p007".to_owned(), NOW - 700 * DAY), // before joining: not the pipeline
        ];
        let report = groups_from(
            Suppression::new(3),
            Audience::Exact,
            &[green, new],
            &members,
            &seats,
            NOW,
        );
        let names: Vec<&str> = report.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["Green spaces", "New starters", "litter pickers"]);
        let g = &report.groups[0];
        assert_eq!(g.members_now, Some(7));
        assert_eq!(g.newcomers, Some(4));
        assert_eq!(g.longer_standing, Some(3));
        assert_eq!(g.joined_last_year, Some(0));
        assert_eq!(g.went_on_to_board, None, "one is fewer than 3");
        assert_eq!(
            report.withheld.get("groups.0.went_on_to_board"),
            Some(&Withheld::Small)
        );
        assert!(g.no_new_member_in_a_year);
        // At the end of 2025-Q1 (day -410 or so) only the leaver and the
        // three known longer were in.
        assert_eq!(g.members_by_quarter[3], Some(4));
        assert_eq!(g.members_by_quarter[7], Some(7));
        // Too young to say it has stalled.
        assert!(!report.groups[1].no_new_member_in_a_year);
        assert_eq!(report.groups[1].members_now, Some(0));
        let free = &report.groups[2];
        assert!(!free.on_list);
        assert_eq!((free.members_now, free.newcomers), (Some(7), Some(7)));
        assert_eq!(report.no_new_member_in_a_year, ["Green spaces"]);
        let csv = report.to_csv();
        assert!(
            csv.starts_with("group,name,on_list,patch,members_now,"),
            "{csv}"
        );
        assert!(
            csv.contains(",Green spaces,true,,7,4,3,0,<3,true,"),
            "{csv}"
        );
        assert!(
            csv.trim_end().ends_with(",7,7,0,7,0,false,0,0,0,0,0,0,0,0"),
            "{csv}"
        );
    }
}
