//! Household reach: doors knocked and answered per patch, from the knocks
//! recorded on address records (`door_visits`).
//!
//! Doors are not people: these counts are not a demographic breakdown and
//! are not suppressed. A door counts once however often it was knocked.
//! A household that has moved away is counted apart from doors answered:
//! it says how transient a patch is, not that anyone was reached.

use serde::{Deserialize, Serialize};
use sync_core::{AreaConfig, DoorOutcome, Timestamp};

use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup};
use crate::error::{Error, Result};
use crate::store::{Db, report_rows};

/// What counts as a door answered: the household came to it.
const ANSWERED: [DoorOutcome; 2] = [DoorOutcome::Spoke, DoorOutcome::Refused];

/// One patch's doors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdRow {
    /// The patch slug.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub label: String,
    /// Households in the patch, as configured (none for a patch that is not).
    pub households: Option<u32>,
    /// Doors on the list (address records) in the patch.
    pub doors_listed: u64,
    /// Doors knocked at least once in the period (finding a "no knocking"
    /// sign is not a knock).
    pub doors_knocked: u64,
    /// Of them, doors where the household answered (spoke or refused).
    pub doors_answered: u64,
    /// Of them, doors where the household had moved away (counted apart
    /// from answered; a door knocked again for its new household can be
    /// in both).
    pub doors_moved_away: u64,
    /// Doors where the household had moved away, as a share of doors
    /// knocked, in percent.
    pub moved_away_percent_of_knocked: Option<f64>,
    /// Doors knocked per 1,000 households.
    pub knocked_per_1000_households: Option<f64>,
    /// Doors answered per 1,000 households.
    pub answered_per_1000_households: Option<f64>,
}

/// Household reach per patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdReach {
    /// Doors knocked in the period, every patch.
    pub doors_knocked: u64,
    /// Doors answered in the period, every patch.
    pub doors_answered: u64,
    /// Doors where the household had moved away, every patch.
    pub doors_moved_away: u64,
    /// Every configured patch, then any other patch with doors.
    pub by_patch: Vec<HouseholdRow>,
}

/// Household reach for the knocks matching `filters`: the dates (and the
/// cohort month) select knocks by when they happened; `patch` one patch.
/// The filters that describe people (entry channel, age band, stage,
/// champion) do not describe doors: they are refused.
pub async fn household_reach(db: &Db, filters: &Filters) -> Result<HouseholdReach> {
    if filters.describes_people() {
        return Err(Error::BadRequest(
            "household reach counts doors: filter it by dates, cohort or patch".into(),
        ));
    }
    let setup = Setup::load(db).await?;
    let knocked = filters.selection(&setup.ladder)?;
    let knocks = report_rows::knocks(db, &knocked, &ANSWERED).await?;
    // Every patch's count: a few rows; the report keeps the chosen patch.
    let listed = report_rows::doors_listed(db).await?;
    Ok(household_reach_from(
        setup.area.as_ref(),
        filters.patch.as_deref(),
        &listed,
        &knocks,
    ))
}

/// The report from doors listed and knocks counted per patch.
pub(super) fn household_reach_from(
    area: Option<&AreaConfig>,
    only: Option<&str>,
    listed: &[(String, i64)],
    knocks: &[(String, i64, i64, i64)],
) -> HouseholdReach {
    let mut patches: Vec<String> = area
        .map(|a| a.patches.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_default();
    for patch in listed
        .iter()
        .map(|l| &l.0)
        .chain(knocks.iter().map(|k| &k.0))
    {
        if !patches.contains(patch) {
            patches.push(patch.clone());
        }
    }
    patches.retain(|p| only.is_none_or(|only| only == p));
    let by_patch: Vec<HouseholdRow> = patches
        .into_iter()
        .map(|patch| {
            let households = area.and_then(|a| a.patch(&patch)).map(|p| p.households);
            let label = crate::labels::patch_name(area, &patch);
            let doors_listed = listed.iter().find(|l| l.0 == patch).map_or(0, |l| l.1) as u64;
            let (knocked, answered, moved_away) = knocks
                .iter()
                .find(|k| k.0 == patch)
                .map_or((0, 0, 0), |k| (k.1 as u64, k.2 as u64, k.3 as u64));
            let per_1000 = |n: u64| {
                households
                    .filter(|h| *h > 0)
                    .map(|h| n as f64 * 1000.0 / f64::from(h))
            };
            HouseholdRow {
                label,
                households,
                doors_listed,
                doors_knocked: knocked,
                doors_answered: answered,
                doors_moved_away: moved_away,
                moved_away_percent_of_knocked: (knocked > 0)
                    .then(|| moved_away as f64 * 100.0 / knocked as f64),
                knocked_per_1000_households: per_1000(knocked),
                answered_per_1000_households: per_1000(answered),
                patch,
            }
        })
        .collect();
    HouseholdReach {
        doors_knocked: by_patch.iter().map(|r| r.doors_knocked).sum(),
        doors_answered: by_patch.iter().map(|r| r.doors_answered).sum(),
        doors_moved_away: by_patch.iter().map(|r| r.doors_moved_away).sum(),
        by_patch,
    }
}

impl Report for HouseholdReach {
    const FILTERS: FilterUse = FilterUse::Happenings;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::Patch];

    async fn load(db: &Db, filters: &Filters, _: Audience, _now: Timestamp) -> Result<Self> {
        household_reach(db, filters).await
    }

    /// One row per patch.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            0,
            &[
                "patch",
                "patch_name",
                "households",
                "doors_listed",
                "doors_knocked",
                "doors_answered",
                "doors_moved_away",
                "knocked_per_1000_households",
                "answered_per_1000_households",
                "moved_away_percent_of_knocked",
            ],
        );
        for r in &self.by_patch {
            let rate = |v: Option<f64>| Csv::optional(v.map(|v| format!("{v:.1}")));
            csv.row([
                r.patch.clone(),
                r.label.clone(),
                Csv::optional(r.households),
                r.doors_listed.to_string(),
                r.doors_knocked.to_string(),
                r.doors_answered.to_string(),
                r.doors_moved_away.to_string(),
                rate(r.knocked_per_1000_households),
                rate(r.answered_per_1000_households),
                rate(r.moved_away_percent_of_knocked),
            ]);
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_per_patch_and_per_1000_households() {
        let mut area = AreaConfig::new_default(
            sync_core::DocId::new(sync_core::Timestamp::from_millis(0)),
            "north-estate",
            "North Estate",
            sync_core::DeviceId::new(sync_core::Timestamp::from_millis(0)),
            sync_core::Timestamp::from_millis(0),
        );
        area.patches = vec![
            sync_core::PatchConfig {
                id: "elm-road".into(),
                name: "Elm Road".into(),
                households: 400,
                census: None,
            },
            sync_core::PatchConfig {
                id: "oak-lane".into(),
                name: "Oak Lane".into(),
                households: 0,
                census: None,
            },
        ];
        let listed = [("elm-road".to_owned(), 120), ("elsewhere".to_owned(), 3)];
        let knocks = [("elm-road".to_owned(), 50, 20, 5)];
        let report = household_reach_from(Some(&area), None, &listed, &knocks);
        assert_eq!(report.doors_knocked, 50);
        assert_eq!(report.doors_answered, 20);
        assert_eq!(report.doors_moved_away, 5);
        assert_eq!(report.by_patch[0].moved_away_percent_of_knocked, Some(10.0));
        assert_eq!(report.by_patch[1].moved_away_percent_of_knocked, None);
        let patches: Vec<&str> = report.by_patch.iter().map(|r| r.patch.as_str()).collect();
        assert_eq!(patches, ["elm-road", "oak-lane", "elsewhere"]);
        assert_eq!(report.by_patch[0].label, "Elm Road");
        assert_eq!(report.by_patch[2].label, "elsewhere");
        let elm = &report.by_patch[0];
        assert_eq!(elm.knocked_per_1000_households, Some(125.0));
        assert_eq!(elm.answered_per_1000_households, Some(50.0));
        assert_eq!(report.by_patch[1].knocked_per_1000_households, None);
        assert_eq!(report.by_patch[2].households, None);
        assert!(report.to_csv().starts_with("patch,patch_name,households,"));
        let one = household_reach_from(Some(&area), Some("oak-lane"), &listed, &knocks);
        assert_eq!(one.by_patch.len(), 1);
    }
}
