//! Reports for partnerships, from the projections. No report returns a
//! name or a contact detail. In every breakdown of the people reached, a
//! count below [`MIN_CELL`] is suppressed (with the figures derived from it)
//! so nobody in a small group can be picked out. The resident-led monitor
//! counts the members of the partnership, a public board, and is not
//! suppressed.
//!
//! Today: the engagement funnel, progression routes and the resident-led
//! monitor. The other reports of the reports issue (civic core, reach,
//! turnover, champion activity) build on the same filters and suppression.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{AgeBand, EntryChannel, Ladder, Timestamp};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::sync::area_ladder;

/// Smallest count a report shows; smaller ones are suppressed.
pub const MIN_CELL: u64 = 5;

/// Filters every report takes (query parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
pub struct Filters {
    /// First contact at or after this time (ms since the epoch).
    pub from: Option<i64>,
    /// First contact before this time (ms since the epoch).
    pub to: Option<i64>,
    /// Only this patch.
    pub patch: Option<String>,
    /// Only this entry channel: doorstep, event, youth-session, referral or other.
    pub channel: Option<String>,
    /// Only this age band (e.g. `25-34`).
    pub age_band: Option<String>,
    /// Only people first contacted in this month (`YYYY-MM`, UTC).
    pub cohort: Option<String>,
    /// `csv` for CSV (or send `Accept: text/csv`).
    pub format: Option<String>,
}

/// Milliseconds at the start of a UTC month.
fn month_start(year: i64, month: i64) -> i64 {
    // Days from 1970-01-01 to year-month-01 (Howard Hinnant's days_from_civil).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * Timestamp::DAY_MILLIS
}

/// The `[start, end)` of a `YYYY-MM` cohort.
fn cohort_range(cohort: &str) -> Result<(i64, i64)> {
    let bad = || Error::BadRequest(format!("cohort {cohort:?} is not YYYY-MM"));
    let (year, month) = cohort.split_once('-').ok_or_else(bad)?;
    let year: i64 = year.parse().map_err(|_| bad())?;
    let month: i64 = month.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1970..=9999).contains(&year) {
        return Err(bad());
    }
    let next = if month == 12 {
        month_start(year + 1, 1)
    } else {
        month_start(year, month + 1)
    };
    Ok((month_start(year, month), next))
}

impl Filters {
    /// The SQL condition on `people p` and its parameters, checked.
    fn condition(&self) -> Result<(String, Vec<SqlValue>)> {
        let mut clauses = vec!["p.first_contact_at IS NOT NULL".to_owned()];
        let mut values = Vec::new();
        let mut push = |clause: &str, value: SqlValue| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("${}", values.len())));
        };
        if let Some(from) = self.from {
            push("p.first_contact_at >= ?", SqlValue::Int(from));
        }
        if let Some(to) = self.to {
            push("p.first_contact_at < ?", SqlValue::Int(to));
        }
        if let Some(cohort) = &self.cohort {
            let (start, end) = cohort_range(cohort)?;
            push("p.first_contact_at >= ?", SqlValue::Int(start));
            push("p.first_contact_at < ?", SqlValue::Int(end));
        }
        if let Some(patch) = &self.patch {
            push("p.patch = ?", SqlValue::Text(patch.clone()));
        }
        if let Some(channel) = &self.channel {
            let channel = EntryChannel::parse(channel)
                .ok_or_else(|| Error::BadRequest(format!("unknown entry channel {channel:?}")))?;
            push(
                "p.entry_channel = ?",
                SqlValue::Text(channel.as_str().to_owned()),
            );
        }
        if let Some(band) = &self.age_band {
            let band = AgeBand::parse(band)
                .ok_or_else(|| Error::BadRequest(format!("unknown age band {band:?}")))?;
            push("p.age_band = ?", SqlValue::Text(band.as_str().to_owned()));
        }
        Ok((clauses.join(" AND "), values))
    }

    /// Whether CSV was asked for in the query.
    pub fn wants_csv(&self) -> bool {
        self.format
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("csv"))
    }
}

enum SqlValue {
    Int(i64),
    Text(String),
}

/// Runs a report query with the filter's parameters bound in order.
async fn fetch_filtered<T>(db: &Db, sql: String, values: Vec<SqlValue>) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = match value {
            SqlValue::Int(v) => query.bind(v),
            SqlValue::Text(v) => query.bind(v),
        };
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// A count, or `None` when suppressed.
fn shown(count: u64) -> Option<u64> {
    (count == 0 || count >= MIN_CELL).then_some(count)
}

/// One stage of the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunnelStage {
    /// The stage's key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// People who reached it (`null`: fewer than the suppression threshold).
    pub reached: Option<u64>,
    /// Share of them who reached the next stage (0 to 1).
    pub conversion_to_next: Option<f64>,
    /// How many stopped here (reached this stage, not the next).
    pub drop_off: Option<u64>,
    /// Median days from the previous stage to this one.
    pub median_days_from_previous: Option<f64>,
    /// 90th percentile of the days from the previous stage to this one.
    pub p90_days_from_previous: Option<f64>,
}

/// The engagement funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
    /// The stages, first first.
    pub stages: Vec<FunnelStage>,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Computes the funnel for the people matching `filters`.
pub async fn funnel(db: &Db, filters: &Filters) -> Result<Funnel> {
    let ladder: Ladder = {
        let mut conn = db.pool.acquire().await?;
        area_ladder(&mut conn).await?
    };
    let (condition, values) = filters.condition()?;
    let sql = format!(
        "SELECT s.person_id, s.stage, s.reached_at FROM stages s JOIN people p ON p.id = s.person_id \
         WHERE {condition}"
    );
    let rows: Vec<(String, i64, i64)> = fetch_filtered(db, sql, values).await?;
    let stages = ladder.stages().len();
    let mut people: BTreeMap<String, Vec<Option<i64>>> = BTreeMap::new();
    for (person, stage, at) in rows {
        if let Ok(stage) = usize::try_from(stage)
            && stage < stages
        {
            people.entry(person).or_insert_with(|| vec![None; stages])[stage] = Some(at);
        }
    }
    Ok(funnel_from(&ladder, people.values()))
}

/// The funnel of people given by their stage dates (one entry per stage).
pub fn funnel_from<'a>(
    ladder: &Ladder,
    people: impl Iterator<Item = &'a Vec<Option<i64>>>,
) -> Funnel {
    let n = ladder.stages().len();
    let mut reached = vec![0u64; n];
    let mut gaps: Vec<Vec<f64>> = vec![Vec::new(); n];
    for dates in people {
        for stage in 0..n {
            if let Some(at) = dates[stage] {
                reached[stage] += 1;
                if stage > 0
                    && let Some(before) = dates[stage - 1]
                {
                    gaps[stage].push((at - before) as f64 / Timestamp::DAY_MILLIS as f64);
                }
            }
        }
    }
    let stages = ladder
        .stages()
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let count = reached[i];
            let next = reached.get(i + 1).copied();
            let visible = shown(count).is_some() && next.is_none_or(|c| shown(c).is_some());
            let mut days = std::mem::take(&mut gaps[i]);
            days.sort_by(f64::total_cmp);
            let days_shown = days.len() as u64 >= MIN_CELL;
            FunnelStage {
                key: stage.key.clone(),
                label: stage.label.clone(),
                reached: shown(count),
                conversion_to_next: match next {
                    Some(next) if visible && count > 0 => Some(next as f64 / count as f64),
                    _ => None,
                },
                drop_off: match next {
                    Some(next) if visible => shown(count - next.min(count)),
                    None if visible => shown(count),
                    _ => None,
                },
                median_days_from_previous: days_shown.then(|| median(&days)).flatten(),
                p90_days_from_previous: days_shown.then(|| percentile(&days, 0.9)).flatten(),
            }
        })
        .collect();
    Funnel {
        suppressed_below: MIN_CELL,
        stages,
    }
}

/// How many people went from an entry channel to a highest stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Route {
    /// How they first came to us.
    pub entry_channel: String,
    /// The highest stage they reached.
    pub highest_stage: String,
    /// How many (`null`: fewer than the suppression threshold).
    pub people: Option<u64>,
}

/// How far people from one entry channel got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChannelOutcome {
    /// The entry channel.
    pub entry_channel: String,
    /// People who came this way.
    pub people: Option<u64>,
    /// Of them, people who reached the top stage (leadership on the default ladder).
    pub reached_top: Option<u64>,
    /// Their share (0 to 1).
    pub share_reaching_top: Option<f64>,
}

/// Progression routes: entry channel to highest stage reached (the data of
/// a flow chart), and which channels lead to the top of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Routes {
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
    /// Every (channel, highest stage) pair with anyone in it, by channel then stage.
    pub routes: Vec<Route>,
    /// Per channel, how many reached the top stage.
    pub by_channel: Vec<ChannelOutcome>,
}

/// Computes the progression routes for the people matching `filters`.
pub async fn routes(db: &Db, filters: &Filters) -> Result<Routes> {
    let ladder: Ladder = {
        let mut conn = db.pool.acquire().await?;
        area_ladder(&mut conn).await?
    };
    let (condition, values) = filters.condition()?;
    let sql = format!(
        "SELECT p.entry_channel, p.highest_stage FROM people p WHERE {condition} AND p.highest_stage IS NOT NULL"
    );
    let rows: Vec<(String, i64)> = fetch_filtered(db, sql, values).await?;
    Ok(routes_from(
        &ladder,
        rows.iter().map(|(c, h)| (c.as_str(), *h as usize)),
    ))
}

/// The routes of people given as (entry channel, highest stage index).
pub fn routes_from<'a>(ladder: &Ladder, people: impl Iterator<Item = (&'a str, usize)>) -> Routes {
    let stages = ladder.stages();
    let top = stages.len().saturating_sub(1);
    let mut pairs: BTreeMap<(String, usize), u64> = BTreeMap::new();
    let mut channels: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (channel, highest) in people {
        if highest >= stages.len() {
            continue;
        }
        *pairs.entry((channel.to_owned(), highest)).or_default() += 1;
        let entry = channels.entry(channel.to_owned()).or_default();
        entry.0 += 1;
        entry.1 += u64::from(highest == top);
    }
    Routes {
        suppressed_below: MIN_CELL,
        routes: pairs
            .into_iter()
            .map(|((channel, stage), n)| Route {
                entry_channel: channel,
                highest_stage: stages[stage].key.clone(),
                people: shown(n),
            })
            .collect(),
        by_channel: channels
            .into_iter()
            .map(|(channel, (people, top))| {
                let visible = shown(people).is_some() && shown(top).is_some();
                ChannelOutcome {
                    entry_channel: channel,
                    people: shown(people),
                    reached_top: shown(top),
                    share_reaching_top: (visible && people > 0).then(|| top as f64 / people as f64),
                }
            })
            .collect(),
    }
}

impl Routes {
    /// The routes as CSV; suppressed cells read `<5`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("entry_channel,highest_stage,people\n");
        for r in &self.routes {
            out.push_str(&format!(
                "{},{},{}\n",
                r.entry_channel,
                r.highest_stage,
                cell(r.people)
            ));
        }
        out
    }
}

fn cell<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| format!("<{MIN_CELL}"), |v| v.to_string())
}

impl Funnel {
    /// The funnel as CSV; suppressed cells read `<5`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "stage,label,reached,conversion_to_next,drop_off,median_days_from_previous,p90_days_from_previous\n",
        );
        for s in &self.stages {
            let label = s.label.replace('"', "\"\"");
            out.push_str(&format!(
                "{},\"{label}\",{},{},{},{},{}\n",
                s.key,
                cell(s.reached),
                cell(s.conversion_to_next.map(|c| format!("{c:.4}"))),
                cell(s.drop_off),
                cell(s.median_days_from_previous.map(|d| format!("{d:.2}"))),
                cell(s.p90_days_from_previous.map(|d| format!("{d:.2}"))),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_are_calendar_months() {
        assert_eq!(
            cohort_range("1970-01").unwrap(),
            (0, 31 * Timestamp::DAY_MILLIS)
        );
        let (start, end) = cohort_range("2024-02").unwrap();
        assert_eq!((end - start) / Timestamp::DAY_MILLIS, 29);
        assert_eq!(start, 1_706_745_600_000); // 2024-02-01T00:00:00Z
        assert!(cohort_range("2024-13").is_err());
        assert!(cohort_range("24-1-1").is_err());
    }

    #[test]
    fn percentiles_use_nearest_rank_and_medians_the_middle() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.9), Some(9.0));
        assert_eq!(median(&values), Some(5.5));
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn small_counts_and_what_is_derived_from_them_are_suppressed() {
        let ladder = Ladder::new(vec![
            sync_core::Stage {
                key: "met".into(),
                label: "Met".into(),
                rule: sync_core::StageRule::Contacted,
            },
            sync_core::Stage {
                key: "came".into(),
                label: "Came".into(),
                rule: sync_core::StageRule::Participant,
            },
        ])
        .unwrap();
        let mut people = vec![vec![Some(0), None]; 8];
        for p in people.iter_mut().take(3) {
            p[1] = Some(Timestamp::DAY_MILLIS);
        }
        let funnel = funnel_from(&ladder, people.iter());
        assert_eq!(funnel.stages[0].reached, Some(8));
        assert_eq!(funnel.stages[1].reached, None, "3 is below the threshold");
        assert_eq!(
            funnel.stages[0].conversion_to_next, None,
            "it would reveal the 3"
        );
        assert_eq!(funnel.stages[1].median_days_from_previous, None);
        assert!(funnel.to_csv().contains("came,\"Came\",<5"));
    }
}

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

/// Is the partnership resident led, now and over time?
///
/// Partnership membership is public (members sit on a public board), so
/// these counts are not suppressed; nothing names a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentLed {
    /// The area's threshold, in percent.
    pub threshold_percent: u8,
    /// Now.
    pub current: Composition,
    /// After every change of membership, oldest first.
    pub history: Vec<Composition>,
}

/// A seat held: (person, start, end, residency bases).
type Seat = (String, i64, Option<i64>, String);

/// The resident-led monitor at `now`.
pub async fn resident_led(db: &Db, now: Timestamp) -> Result<ResidentLed> {
    let area = crate::admin::area(db)
        .await?
        .ok_or_else(|| Error::BadRequest("configure the area first".into()))?;
    let seats: Vec<Seat> = sqlx::query_as(
        "SELECT r.person_id, r.start_at, r.end_at, p.residency FROM roles r JOIN people p ON p.id = r.person_id \
         WHERE r.kind = 'role' AND r.name IN ('partnership-member', 'chair', 'vice-chair', 'treasurer')",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(resident_led_from(&area, &seats, now))
}

/// The monitor from the seats held.
pub fn resident_led_from(
    area: &sync_core::AreaConfig,
    seats: &[Seat],
    now: Timestamp,
) -> ResidentLed {
    let threshold = area.resident_led_threshold_percent;
    let composition = |at: i64| -> Composition {
        let mut members: BTreeMap<&str, &str> = BTreeMap::new();
        for (person, start, end, residency) in seats {
            if *start <= at && end.is_none_or(|e| e > at) {
                members.insert(person, residency);
            }
        }
        let m = members.len() as u64;
        let shares = area
            .resident_definitions
            .iter()
            .map(|d| {
                let residents = members
                    .values()
                    .filter(|residency| {
                        residency
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
            .collect();
        Composition {
            at,
            members: m,
            shares,
        }
    };
    let mut changes: Vec<i64> = seats
        .iter()
        .flat_map(|(_, start, end, _)| [Some(*start), *end])
        .flatten()
        .filter(|t| *t <= now.as_millis())
        .collect();
    changes.sort_unstable();
    changes.dedup();
    ResidentLed {
        threshold_percent: threshold,
        current: composition(now.as_millis()),
        history: changes.into_iter().map(composition).collect(),
    }
}
