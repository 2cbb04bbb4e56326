//! Champion activity: doors knocked, conversations and follow-ups, per
//! champion (device) and patch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::{Csv, FilterUse, Filters, Report, Setup, Suppression};
use crate::error::Result;
use crate::store::{Db, report_rows};

/// One champion's work in one patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChampionRow {
    /// The champion's device id (admins see which device is whose).
    pub champion: String,
    /// The patch of the people they knocked for.
    pub patch: String,
    /// Doors knocked (doorstep visits recorded, whatever the outcome).
    pub doors_knocked: Option<u64>,
    /// Doorstep conversations (we spoke).
    pub conversations: Option<u64>,
    /// Follow-ups promised and not done.
    pub follow_ups_owed: Option<u64>,
    /// Of them, past their due date.
    pub follow_ups_overdue: Option<u64>,
}

/// Champion activity, with totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChampionActivity {
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
    /// Per champion and patch, by champion then patch.
    pub rows: Vec<ChampionRow>,
    /// All doors knocked.
    pub doors_knocked: Option<u64>,
    /// All conversations.
    pub conversations: Option<u64>,
    /// All follow-ups owed.
    pub follow_ups_owed: Option<u64>,
    /// All follow-ups overdue.
    pub follow_ups_overdue: Option<u64>,
}

/// (doors knocked, conversations, follow-ups owed, overdue).
type Counts = [u64; 4];

/// Champion activity with the people matching `filters`, at `now`.
pub async fn champion_activity(
    db: &Db,
    filters: &Filters,
    now: Timestamp,
) -> Result<ChampionActivity> {
    let people = filters.selection()?;
    let setup = Setup::load(db).await?;
    let doors = report_rows::doorsteps(db, &people).await?;
    let follow_ups = report_rows::follow_ups(db, &people, now).await?;
    let mut counts: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for (champion, patch, knocks, spoke) in doors {
        let c = counts.entry((champion, patch)).or_default();
        c[0] += knocks as u64;
        c[1] += spoke as u64;
    }
    for (champion, patch, owed, overdue) in follow_ups {
        let c = counts.entry((champion, patch)).or_default();
        c[2] += owed as u64;
        c[3] += overdue as u64;
    }
    Ok(champion_activity_from(setup.suppression, counts))
}

/// The report from the counts per (champion, patch).
pub(super) fn champion_activity_from(
    suppression: Suppression,
    counts: BTreeMap<(String, String), Counts>,
) -> ChampionActivity {
    let cells: Vec<Counts> = counts.values().copied().collect();
    let [doors, spoke, owed, overdue] = suppression.columns(&cells);
    let total = |i: usize| suppression.count(cells.iter().map(|c| c[i]).sum());
    ChampionActivity {
        suppressed_below: suppression.below(),
        rows: counts
            .into_keys()
            .enumerate()
            .map(|(i, (champion, patch))| ChampionRow {
                champion,
                patch,
                doors_knocked: doors[i],
                conversations: spoke[i],
                follow_ups_owed: owed[i],
                follow_ups_overdue: overdue[i],
            })
            .collect(),
        doors_knocked: total(0),
        conversations: total(1),
        follow_ups_owed: total(2),
        follow_ups_overdue: total(3),
    }
}

impl Report for ChampionActivity {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, now: Timestamp) -> Result<Self> {
        champion_activity(db, filters, now).await
    }

    /// One row per champion and patch as CSV.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "champion",
                "patch",
                "doors_knocked",
                "conversations",
                "follow_ups_owed",
                "follow_ups_overdue",
            ],
        );
        for r in &self.rows {
            let fields = [
                r.champion.clone(),
                r.patch.clone(),
                csv.cell(r.doors_knocked),
                csv.cell(r.conversations),
                csv.cell(r.follow_ups_owed),
                csv.cell(r.follow_ups_overdue),
            ];
            csv.row(fields);
        }
        csv.finish()
    }
}
