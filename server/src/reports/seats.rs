//! The partnership's seats: the resident-led monitor and turnover.
//!
//! Partnership membership is public (members sit on a public board), so
//! the counts of members are not suppressed; nothing names a member. The
//! pipeline of working-group members is not public, and is suppressed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup, median, year_of};
use crate::error::Result;
use crate::store::Db;
use crate::store::report_rows::{self, Membership, Seat};

/// One definition of "resident" applied to the partnership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentShare {
    /// The definition's key.
    pub definition: String,
    /// Its label.
    pub label: String,
    /// Members who are residents under it.
    pub residents: u64,
    /// Their share of the members, in percent.
    pub share_percent: Option<f64>,
    /// Whether the share is at or above the threshold.
    pub meets_threshold: bool,
    /// Whether one resident member leaving would bring it below.
    pub one_resignation_breaks_it: bool,
}

/// The partnership's composition at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Composition {
    /// When (ms since the epoch).
    pub at: i64,
    /// Members holding a seat (member, chair, vice-chair, treasurer).
    pub members: u64,
    /// The share of residents under each definition.
    pub shares: Vec<ResidentShare>,
}

/// The resident-led check now, were members who wear one other hat (a
/// councillor, a paid worker) not counted as residents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HatCheck {
    /// councillor, paid-worker, agency-representative or other.
    pub hat: String,
    /// The hat in words.
    pub label: String,
    /// Members wearing it now, in any seat or office they hold.
    pub wearing: u64,
    /// The share of residents under each definition, those wearing it
    /// counted as members but not as residents.
    pub shares: Vec<ResidentShare>,
}

/// Is the partnership resident led, now and over time?
///
/// Partnership membership is public (members sit on a public board), and
/// so are the other hats they declare (a register of interests), so
/// these counts are not suppressed; nothing names a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentLed {
    /// The area's threshold, in percent.
    pub threshold_percent: u8,
    /// Now.
    pub current: Composition,
    /// Now, not counting those who wear each kind of other hat as
    /// residents: one check per hat.
    pub not_counting_hats: Vec<HatCheck>,
    /// After every change of membership, oldest first.
    pub history: Vec<Composition>,
}

/// The resident-led monitor at `now`.
pub async fn resident_led(db: &Db, now: Timestamp) -> Result<ResidentLed> {
    let setup = Setup::load(db).await?;
    Ok(resident_led_from(
        setup.area()?,
        &report_rows::seats(db).await?,
        now,
    ))
}

/// The monitor from the seats held.
pub(super) fn resident_led_from(
    area: &sync_core::AreaConfig,
    seats: &[Seat],
    now: Timestamp,
) -> ResidentLed {
    let threshold = area.resident_led_threshold_percent;
    // Each member now or then: their residency, and the hats they wear in
    // any seat they hold.
    let members_at = |at: i64| -> BTreeMap<&str, (&str, BTreeSet<&str>)> {
        let mut members: BTreeMap<&str, (&str, BTreeSet<&str>)> = BTreeMap::new();
        for seat in seats {
            if held(seat.start, seat.end, at) {
                let member = members
                    .entry(&seat.person)
                    .or_insert((&seat.residency, BTreeSet::new()));
                member
                    .1
                    .extend(seat.hats.split(',').filter(|h| !h.is_empty()));
            }
        }
        members
    };
    // The shares of residents among `members`, those wearing `not_counted`
    // counted as members but not as residents.
    let shares = |members: &BTreeMap<&str, (&str, BTreeSet<&str>)>, not_counted: Option<&str>| {
        let m = members.len() as u64;
        area.resident_definitions
            .iter()
            .map(|d| {
                let residents = members
                    .values()
                    .filter(|(residency, hats)| {
                        not_counted.is_none_or(|hat| !hats.contains(hat))
                            && residency
                                .split(',')
                                .filter_map(sync_core::ResidentBasis::parse)
                                .any(|b| d.counts.contains(&b))
                    })
                    .count() as u64;
                let meets = |r: u64, m: u64| m > 0 && r * 100 >= u64::from(threshold) * m;
                ResidentShare {
                    definition: d.key.clone(),
                    label: d.label.clone(),
                    residents,
                    share_percent: (m > 0).then(|| residents as f64 * 100.0 / m as f64),
                    meets_threshold: meets(residents, m),
                    one_resignation_breaks_it: meets(residents, m)
                        && residents > 0
                        && !meets(residents - 1, m - 1),
                }
            })
            .collect::<Vec<_>>()
    };
    let composition = |at: i64| -> Composition {
        let members = members_at(at);
        Composition {
            at,
            members: members.len() as u64,
            shares: shares(&members, None),
        }
    };
    let now_members = members_at(now.as_millis());
    let not_counting_hats = sync_core::Hat::ALL
        .iter()
        .map(|hat| HatCheck {
            hat: hat.as_str().to_owned(),
            label: crate::labels::hat(*hat).to_owned(),
            wearing: now_members
                .values()
                .filter(|(_, hats)| hats.contains(hat.as_str()))
                .count() as u64,
            shares: shares(&now_members, Some(hat.as_str())),
        })
        .collect();
    let mut changes: Vec<i64> = seats
        .iter()
        .flat_map(|seat| [Some(seat.start), seat.end])
        .flatten()
        .filter(|t| *t <= now.as_millis())
        .collect();
    changes.sort_unstable();
    changes.dedup();
    ResidentLed {
        threshold_percent: threshold,
        current: composition(now.as_millis()),
        not_counting_hats,
        history: changes.into_iter().map(composition).collect(),
    }
}

/// Members joining and leaving in a calendar year (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TurnoverYear {
    /// The year.
    pub year: i64,
    /// People who took a seat, not holding one just before.
    pub joined: u64,
    /// People who left the partnership (gave up their last seat).
    pub left: u64,
}

/// Working-group members in one group who hold no seat: the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PipelineGroup {
    /// The group.
    pub group: String,
    /// Members now without a partnership seat (`null`: suppressed).
    pub members: Option<u64>,
}

/// Of the members who had served at least so long ago, how many served
/// that long: one point of the retention curve. Membership is public:
/// exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RetentionPoint {
    /// Months served (a month is 30.4 days).
    pub months: u32,
    /// Times on the board that began at least this long ago (someone who
    /// left and came back has two).
    pub began: u64,
    /// Of them, those that lasted at least this long (or still do).
    pub lasted: u64,
    /// `lasted` as a share of `began`, in percent.
    pub share_percent: Option<f64>,
}

/// Former members who left at least so long ago, and how many of them were
/// still active then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeaversActive {
    /// Months after leaving.
    pub months: u32,
    /// Former members (not members now) who left at least this long ago.
    /// Leaving a public board is public: exact.
    pub left: u64,
    /// Of them, those active this long after leaving: in a working group
    /// then, or taking part (attending, volunteering, signing up) in the
    /// three months before (`null`: hidden, as it or the rest is a small
    /// count of people's activity).
    pub still_active: Option<u64>,
}

/// Are leavers being replaced? Joining and leaving per year, tenure,
/// vacancies and the pipeline of working-group members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Turnover {
    /// Counts below this are suppressed (the pipeline only).
    pub suppressed_below: u64,
    /// Members now.
    pub members_now: u64,
    /// Seats on the board, if the area sets them.
    pub seats: Option<u32>,
    /// Empty seats now (when seats are set; 0 when over-full).
    pub vacancies: Option<u64>,
    /// Every year from the first join to now, oldest first.
    pub by_year: Vec<TurnoverYear>,
    /// Median days current members have served so far.
    pub median_tenure_days_current: Option<f64>,
    /// Median days served by those who left.
    pub median_tenure_days_leavers: Option<f64>,
    /// People in a working group now who hold no seat (`null`: suppressed).
    pub pipeline: Option<u64>,
    /// The same per group (a person in two groups counts in both).
    pub pipeline_by_group: Vec<PipelineGroup>,
    /// Members now who have served three years or more without a break
    /// (partnerships find it hard to keep members past three years).
    pub members_three_years_or_more: u64,
    /// The retention curve: at 6, 12, 24, 36, 48 and 60 months served,
    /// those with a time on the board begun that long ago.
    pub retention: Vec<RetentionPoint>,
    /// Former members 6 and 12 months after leaving: are they lost, or
    /// still active?
    pub leavers_still_active: Vec<LeaversActive>,
}

/// A month, for tenure: a year's days over twelve.
const MONTH_MILLIS: i64 = 2_629_746_000;
/// How far back "taking part" reaches from a moment, for leavers.
const ACTIVE_WITHIN_MILLIS: i64 = 3 * MONTH_MILLIS;

fn held(start: i64, end: Option<i64>, at: i64) -> bool {
    start <= at && end.is_none_or(|e| e > at)
}

/// Each person's times on the board up to `now`, oldest first: their seats
/// merged where they overlap or follow on (a member becoming chair has not
/// left); an end still to come is no end yet.
fn spells_by_person(seats: &[Seat], now: i64) -> BTreeMap<&str, Vec<(i64, Option<i64>)>> {
    let mut by_person: BTreeMap<&str, Vec<(i64, Option<i64>)>> = BTreeMap::new();
    for seat in seats {
        if seat.start <= now {
            by_person
                .entry(&seat.person)
                .or_default()
                .push((seat.start, seat.end.filter(|e| *e <= now)));
        }
    }
    for held in by_person.values_mut() {
        held.sort_unstable();
        let mut spells = Vec::new();
        let mut current: Option<(i64, Option<i64>)> = None;
        for &(start, end) in held.iter() {
            current = match current {
                Some((s, None)) => Some((s, None)),
                Some((s, Some(e))) if start <= e => Some((s, end.map(|n| n.max(e)))),
                Some(done) => {
                    spells.push(done);
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        spells.extend(current);
        *held = spells;
    }
    by_person
}

/// The retention curve from every time on the board.
fn retention(spells: &[(i64, Option<i64>)], now: i64) -> Vec<RetentionPoint> {
    [6, 12, 24, 36, 48, 60]
        .into_iter()
        .map(|months: u32| {
            let served = i64::from(months) * MONTH_MILLIS;
            let began: Vec<&(i64, Option<i64>)> =
                spells.iter().filter(|(s, _)| now - s >= served).collect();
            let lasted = began
                .iter()
                .filter(|(s, e)| e.is_none_or(|e| e - s >= served))
                .count() as u64;
            let began = began.len() as u64;
            RetentionPoint {
                months,
                began,
                lasted,
                share_percent: (began > 0).then(|| lasted as f64 * 100.0 / began as f64),
            }
        })
        .collect()
}

/// Former members 6 and 12 months after they left: active then if in a
/// working group, or taking part within the three months before. A count
/// of people's activity: hidden when it, or the former members not
/// active, is small (the two add up to the public number who left).
fn leavers_still_active(
    suppression: super::Suppression,
    spells: &BTreeMap<&str, Vec<(i64, Option<i64>)>>,
    memberships: &[Membership],
    taking_part: &[(String, i64)],
    now: i64,
) -> Vec<LeaversActive> {
    let left_at: Vec<(&str, i64)> = spells
        .iter()
        .filter_map(|(person, spells)| match spells.last() {
            Some((_, Some(end))) => Some((*person, *end)),
            _ => None,
        })
        .collect();
    // Each former member's groups and times taking part, found once.
    let mut groups: BTreeMap<&str, Vec<&Membership>> = BTreeMap::new();
    let mut took_part: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (person, _) in &left_at {
        groups.insert(person, Vec::new());
        took_part.insert(person, Vec::new());
    }
    for m in memberships {
        if let Some(held) = groups.get_mut(m.person.as_str()) {
            held.push(m);
        }
    }
    for (person, at) in taking_part {
        if let Some(times) = took_part.get_mut(person.as_str()) {
            times.push(*at);
        }
    }
    [6, 12]
        .into_iter()
        .map(|months: u32| {
            let after = i64::from(months) * MONTH_MILLIS;
            let gone: Vec<&(&str, i64)> = left_at
                .iter()
                .filter(|(_, end)| now - end >= after)
                .collect();
            let active = gone
                .iter()
                .filter(|(person, end)| {
                    let then = end + after;
                    groups[person].iter().any(|m| held(m.start, m.end, then))
                        || took_part[person]
                            .iter()
                            .any(|at| *at <= then && *at > then - ACTIVE_WITHIN_MILLIS)
                })
                .count() as u64;
            let left = gone.len() as u64;
            let shown =
                suppression.count(active).is_some() && suppression.count(left - active).is_some();
            LeaversActive {
                months,
                left,
                still_active: shown.then_some(active),
            }
        })
        .collect()
}

/// Turnover at `now`.
pub async fn turnover(db: &Db, now: Timestamp) -> Result<Turnover> {
    let setup = Setup::load(db).await?;
    let memberships = report_rows::memberships(db).await?;
    let mut report = turnover_from(
        setup.area.as_ref().and_then(|a| a.partnership_seats),
        setup.suppression,
        &report_rows::seats(db).await?,
        &memberships,
        &report_rows::seat_holders_taking_part(db).await?,
        now,
    );
    // Memberships name groups on the list by id: show their names.
    let listed = crate::store::groups::list(&mut *db.pool.acquire().await?).await?;
    for g in &mut report.pipeline_by_group {
        if let Some(row) = listed.iter().find(|l| l.id.to_string() == g.group) {
            g.group = row.name.clone();
        }
    }
    Ok(report)
}

/// Turnover from the seats, working-group memberships and when people
/// who held a seat took part in something.
pub(super) fn turnover_from(
    seats_on_board: Option<u32>,
    suppression: super::Suppression,
    seats: &[Seat],
    memberships: &[Membership],
    taking_part: &[(String, i64)],
    now: Timestamp,
) -> Turnover {
    let now = now.as_millis();
    let by_person = spells_by_person(seats, now);
    let spells: Vec<(i64, Option<i64>)> = by_person.values().flatten().copied().collect();
    let mut years: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    if let Some(first) = spells.iter().map(|(s, _)| *s).min() {
        for year in year_of(first)..=year_of(now) {
            years.insert(year, (0, 0));
        }
    }
    for (start, end) in &spells {
        years.entry(year_of(*start)).or_default().0 += 1;
        if let Some(end) = end {
            years.entry(year_of(*end)).or_default().1 += 1;
        }
    }
    let days = |ms: i64| ms as f64 / Timestamp::DAY_MILLIS as f64;
    let mut current: Vec<f64> = spells
        .iter()
        .filter(|(_, end)| end.is_none())
        .map(|(start, _)| days(now - start))
        .collect();
    let mut leavers: Vec<f64> = spells
        .iter()
        .filter_map(|(start, end)| end.map(|e| days(e - start)))
        .collect();
    current.sort_by(f64::total_cmp);
    leavers.sort_by(f64::total_cmp);
    let members_now = current.len() as u64;
    let three_years = 36.0 * MONTH_MILLIS as f64 / Timestamp::DAY_MILLIS as f64;
    let members_three_years_or_more = current.iter().filter(|d| **d >= three_years).count() as u64;

    let seated: BTreeSet<&str> = seats
        .iter()
        .filter(|seat| held(seat.start, seat.end, now))
        .map(|seat| seat.person.as_str())
        .collect();
    let mut groups: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in memberships {
        if held(m.start, m.end, now) && !seated.contains(m.person.as_str()) {
            groups.entry(&m.group).or_default().insert(&m.person);
        }
    }
    let pipeline: BTreeSet<&str> = groups.values().flatten().copied().collect();
    Turnover {
        suppressed_below: suppression.below(),
        members_now,
        seats: seats_on_board,
        vacancies: seats_on_board.map(|s| u64::from(s).saturating_sub(members_now)),
        by_year: years
            .into_iter()
            .map(|(year, (joined, left))| TurnoverYear { year, joined, left })
            .collect(),
        median_tenure_days_current: median(&current),
        median_tenure_days_leavers: median(&leavers),
        pipeline: suppression.count(pipeline.len() as u64),
        pipeline_by_group: groups
            .into_iter()
            .map(|(group, people)| PipelineGroup {
                group: group.to_owned(),
                members: suppression.count(people.len() as u64),
            })
            .collect(),
        members_three_years_or_more,
        retention: retention(&spells, now),
        leavers_still_active: leavers_still_active(
            suppression,
            &by_person,
            memberships,
            taking_part,
            now,
        ),
    }
}

impl Report for Turnover {
    const FILTERS: FilterUse = FilterUse::None;

    async fn load(db: &Db, _filters: &Filters, _: Audience, now: Timestamp) -> Result<Self> {
        turnover(db, now).await
    }

    /// Joining and leaving per year as CSV.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(self.suppressed_below, &["year", "joined", "left"]);
        for y in &self.by_year {
            csv.row([y.year.to_string(), y.joined.to_string(), y.left.to_string()]);
        }
        csv.finish()
    }
}

impl Report for ResidentLed {
    const FILTERS: FilterUse = FilterUse::None;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::Residency];

    async fn load(db: &Db, _filters: &Filters, _: Audience, now: Timestamp) -> Result<Self> {
        resident_led(db, now).await
    }

    /// The history as CSV: one row per time (ISO 8601) and definition;
    /// then, now, one per hat and definition with those wearing the hat
    /// not counted as residents (`not_counting` names the hat).
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            0,
            &[
                "at",
                "members",
                "not_counting",
                "definition",
                "residents",
                "share_percent",
                "meets_threshold",
                "one_resignation_breaks_it",
            ],
        );
        let mut rows = |at: i64, members: u64, not_counting: &str, shares: &[ResidentShare]| {
            for s in shares {
                csv.row([
                    crate::calendar::iso(at),
                    members.to_string(),
                    not_counting.to_owned(),
                    s.definition.clone(),
                    s.residents.to_string(),
                    Csv::optional(s.share_percent.map(|p| format!("{p:.1}"))),
                    s.meets_threshold.to_string(),
                    s.one_resignation_breaks_it.to_string(),
                ]);
            }
        };
        for c in self.history.iter().chain([&self.current]) {
            rows(c.at, c.members, "", &c.shares);
        }
        for check in &self.not_counting_hats {
            rows(
                self.current.at,
                self.current.members,
                &check.hat,
                &check.shares,
            );
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = Timestamp::DAY_MILLIS;

    #[test]
    fn a_member_becoming_chair_has_not_left() {
        let year = 365 * DAY;
        let seat = |p: &str, start: i64, end: Option<i64>| Seat {
            person: p.to_owned(),
            start,
            end,
            residency: String::new(),
            hats: String::new(),
        };
        let seats = vec![
            seat("a", 0, Some(100 * DAY)),
            seat("a", 100 * DAY, None), // member, then chair
            seat("b", 10 * DAY, Some(400 * DAY)),
            seat("c", 2 * year, None),
        ];
        let member = |p: &str| Membership {
            person: p.to_owned(),
            group: "green".to_owned(),
            start: 0,
            end: None,
        };
        let groups = vec![member("c"), member("d")];
        let t = turnover_from(
            Some(5),
            super::super::Suppression::new(3),
            &seats,
            &groups,
            &[],
            Timestamp::from_millis(2 * year + 10 * DAY),
        );
        assert_eq!(t.members_now, 2);
        assert_eq!(t.vacancies, Some(3));
        let joined: Vec<(i64, u64, u64)> = t
            .by_year
            .iter()
            .map(|y| (y.year, y.joined, y.left))
            .collect();
        assert_eq!(joined, vec![(1970, 2, 0), (1971, 0, 1), (1972, 1, 0)]);
        assert_eq!(t.median_tenure_days_leavers, Some(390.0));
        assert_eq!(t.pipeline, None, "one person (d): suppressed");
    }

    #[test]
    fn retention_long_servers_and_leavers_who_stay_active() {
        let year = 365 * DAY;
        let seat = |p: &str, start: i64, end: Option<i64>| Seat {
            person: p.to_owned(),
            start,
            end,
            residency: String::new(),
            hats: String::new(),
        };
        let seats = vec![
            seat("a", 0, None),
            seat("b", 0, Some(200 * DAY)),
            seat("c", 0, Some(400 * DAY)),
            seat("d", 3 * year, None),
        ];
        // b stays in a working group; c takes part just before a year out.
        let groups = vec![Membership {
            person: "b".to_owned(),
            group: "green".to_owned(),
            start: 100 * DAY,
            end: None,
        }];
        let c_took_part = 400 * DAY + 12 * MONTH_MILLIS - 10 * DAY;
        let taking_part = vec![("c".to_owned(), c_took_part)];
        let now = Timestamp::from_millis(4 * year);
        let exact = super::super::Suppression::new(1);
        let t = turnover_from(None, exact, &seats, &groups, &taking_part, now);
        assert_eq!(t.members_now, 2);
        assert_eq!(t.members_three_years_or_more, 1, "a, not d");
        let curve: Vec<(u32, u64, u64)> = t
            .retention
            .iter()
            .map(|p| (p.months, p.began, p.lasted))
            .collect();
        // d began 365 days ago: a year is 365.24 days, so not at 12 yet.
        assert_eq!(
            curve,
            [
                (6, 4, 4),
                (12, 3, 2),
                (24, 3, 1),
                (36, 3, 1),
                (48, 0, 0),
                (60, 0, 0)
            ]
        );
        assert_eq!(t.retention[2].share_percent, Some(100.0 / 3.0));
        assert_eq!(t.retention[4].share_percent, None);
        let active: Vec<(u32, u64, Option<u64>)> = t
            .leavers_still_active
            .iter()
            .map(|l| (l.months, l.left, l.still_active))
            .collect();
        assert_eq!(active, [(6, 2, Some(1)), (12, 2, Some(2))]);
        // With a threshold of 3 both are small counts of people: hidden,
        // while who left (public) is not.
        let hidden = turnover_from(
            None,
            super::super::Suppression::new(3),
            &seats,
            &groups,
            &taking_part,
            now,
        );
        let active: Vec<(u64, Option<u64>)> = hidden
            .leavers_still_active
            .iter()
            .map(|l| (l.left, l.still_active))
            .collect();
        assert_eq!(active, [(2, None), (2, None)]);
    }

    #[test]
    fn the_check_without_a_hat_counts_its_wearers_as_members_not_residents() {
        let area = sync_core::AreaConfig::new_default(
            sync_core::DocId::new(Timestamp::from_millis(0)),
            "north-estate",
            "North Estate",
            sync_core::DeviceId::new(Timestamp::from_millis(0)),
            Timestamp::from_millis(0),
        );
        let seat = |p: &str, residency: &str, hats: &str| Seat {
            person: p.to_owned(),
            start: 0,
            end: None,
            residency: residency.to_owned(),
            hats: hats.to_owned(),
        };
        let seats = vec![
            seat("a", "lives", "councillor"),
            seat("b", "lives", ""),
            // Works here; a member, and chair as a paid worker: one member.
            seat("c", "works", ""),
            seat("c", "works", "paid-worker"),
            // Sat as a councillor once, and left.
            Seat {
                end: Some(DAY),
                ..seat("d", "lives", "councillor")
            },
        ];
        let r = resident_led_from(&area, &seats, Timestamp::from_millis(10 * DAY));
        let residents = |shares: &[ResidentShare]| -> Vec<(String, u64)> {
            shares
                .iter()
                .map(|s| (s.definition.clone(), s.residents))
                .collect()
        };
        let defaults = |lives: u64, connected: u64| {
            vec![
                ("connected".to_owned(), connected),
                ("lives-here".to_owned(), lives),
            ]
        };
        assert_eq!(r.current.members, 3);
        assert_eq!(residents(&r.current.shares), defaults(2, 3));
        let check = |hat: &str| {
            r.not_counting_hats
                .iter()
                .find(|c| c.hat == hat)
                .unwrap_or_else(|| panic!("no check for {hat}"))
        };
        assert_eq!(check("councillor").wearing, 1);
        assert_eq!(residents(&check("councillor").shares), defaults(1, 2));
        assert_eq!(check("paid-worker").wearing, 1);
        assert_eq!(residents(&check("paid-worker").shares), defaults(2, 2));
        assert_eq!(check("other").wearing, 0);
        assert_eq!(residents(&check("other").shares), defaults(2, 3));
        let share = check("councillor").shares[1].share_percent.unwrap();
        assert!((share - 100.0 / 3.0).abs() < 1e-9, "{share}");
    }
}
