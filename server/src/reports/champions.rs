//! Champion activity: knocks, conversations held and follow-ups, per
//! champion (device) and patch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Audience, Csv, FilterUse, Filters, Report, Setup, Suppression};
use crate::error::Result;
use crate::store::{Db, report_rows};

/// One champion's work in one patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChampionRow {
    /// The champion's device id.
    pub champion: String,
    /// The name the device was registered with (the champion's, usually).
    pub champion_name: String,
    /// The patch of the people they knocked for.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub patch_name: String,
    /// Knocks: doorstep visits recorded, whatever the outcome (a door
    /// knocked twice is two).
    pub knocks: Option<u64>,
    /// Doorstep conversations held (someone spoken with twice is two).
    pub conversations_held: Option<u64>,
    /// Follow-ups promised and not done.
    pub follow_ups_owed: Option<u64>,
    /// Of them, past their due date.
    pub follow_ups_overdue: Option<u64>,
}

/// Champion activity, with totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChampionActivity {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Per champion and patch, by champion then patch.
    pub rows: Vec<ChampionRow>,
    /// All knocks.
    pub knocks: Option<u64>,
    /// All conversations held.
    pub conversations_held: Option<u64>,
    /// All follow-ups owed.
    pub follow_ups_owed: Option<u64>,
    /// All follow-ups overdue.
    pub follow_ups_overdue: Option<u64>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`rows.4.conversations_held`): `small`, `protects` or
    /// `not-applicable`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
    /// Whether its audience may choose people by champion (admins): the
    /// page then links each champion's row to the people they contacted.
    #[serde(skip)]
    pub by_champion: bool,
}

/// (knocks, conversations held, follow-ups owed, overdue).
type Counts = [u64; 4];

/// Champion activity with the people matching `filters`, at `now`.
///
/// Its figures count champions' work (knocks, conversations held, follow-ups),
/// not people, and are exact for every audience; a viewer's filtered
/// report must still choose enough people.
pub async fn champion_activity(
    db: &Db,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<ChampionActivity> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    let doors = report_rows::doorsteps(db, &people).await?;
    let follow_ups = report_rows::follow_ups(db, &people, setup.overdue(now)).await?;
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
    let names: BTreeMap<String, String> =
        report_rows::device_names(db).await?.into_iter().collect();
    let mut report = champion_activity_from(setup.suppression, counts);
    report.by_champion = audience == Audience::Exact;
    for row in &mut report.rows {
        row.champion_name = names.get(&row.champion).cloned().unwrap_or_default();
        row.patch_name = crate::labels::patch_name(setup.area.as_ref(), &row.patch);
    }
    Ok(report)
}

/// The names of a row's four counts, in [`Counts`] order.
const FIELDS: [&str; 4] = [
    "knocks",
    "conversations_held",
    "follow_ups_owed",
    "follow_ups_overdue",
];

/// The report from the counts per (champion, patch), without names. The
/// page's cells, per
/// row: knocks where we spoke and the others (conversations are knocks),
/// and follow-ups owed that are overdue and the others.
pub(super) fn champion_activity_from(
    suppression: Suppression,
    counts: BTreeMap<(String, String), Counts>,
) -> ChampionActivity {
    let mut page = Page::new();
    let mut all: [Vec<Cell>; 4] = Default::default();
    for (i, [knocks, spoke, owed, overdue]) in counts.values().enumerate() {
        let spoke_cell = page.cell(*spoke);
        let silent = page.cell(knocks.saturating_sub(*spoke));
        let overdue_cell = page.cell(*overdue);
        let not_yet = page.cell(owed.saturating_sub(*overdue));
        let cells = [
            vec![spoke_cell, silent],
            vec![spoke_cell],
            vec![overdue_cell, not_yet],
            vec![overdue_cell],
        ];
        for ((field, cells), sum) in FIELDS.iter().zip(cells).zip(all.iter_mut()) {
            page.figure(format!("rows.{i}.{field}"), &cells);
            sum.extend(cells);
        }
    }
    for (field, cells) in FIELDS.iter().zip(&all) {
        page.figure(*field, cells);
    }
    let hidden = page.protect(suppression.below(), Audience::Exact);
    let mut withheld = BTreeMap::new();
    let mut count = |place: String, n: u64| {
        let shown = hidden.shown(&place, n).result();
        publish(&mut withheld, place, shown)
    };
    let mut totals: Counts = [0; 4];
    let mut rows = Vec::new();
    for (i, ((champion, patch), c)) in counts.into_iter().enumerate() {
        for (t, n) in totals.iter_mut().zip(c) {
            *t += n;
        }
        rows.push(ChampionRow {
            champion,
            champion_name: String::new(),
            patch_name: patch.clone(),
            patch,
            knocks: count(format!("rows.{i}.knocks"), c[0]),
            conversations_held: count(format!("rows.{i}.conversations_held"), c[1]),
            follow_ups_owed: count(format!("rows.{i}.follow_ups_owed"), c[2]),
            follow_ups_overdue: count(format!("rows.{i}.follow_ups_overdue"), c[3]),
        });
    }
    ChampionActivity {
        suppressed_below: suppression.below(),
        rows,
        knocks: count("knocks".into(), totals[0]),
        conversations_held: count("conversations_held".into(), totals[1]),
        follow_ups_owed: count("follow_ups_owed".into(), totals[2]),
        follow_ups_overdue: count("follow_ups_overdue".into(), totals[3]),
        withheld,
        page,
        by_champion: false,
    }
}

impl Report for ChampionActivity {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        champion_activity(db, filters, audience, now).await
    }

    /// One row per champion and patch as CSV.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "champion",
                "champion_name",
                "patch",
                "patch_name",
                "knocks",
                "conversations_held",
                "follow_ups_owed",
                "follow_ups_overdue",
            ],
        );
        for (i, r) in self.rows.iter().enumerate() {
            let why = |field: &str| self.withheld.get(&format!("rows.{i}.{field}")).copied();
            let fields = [
                r.champion.clone(),
                r.champion_name.clone(),
                r.patch.clone(),
                r.patch_name.clone(),
                csv.figure(r.knocks, why("knocks")),
                csv.figure(r.conversations_held, why("conversations_held")),
                csv.figure(r.follow_ups_owed, why("follow_ups_owed")),
                csv.figure(r.follow_ups_overdue, why("follow_ups_overdue")),
            ];
            csv.row(fields);
        }
        csv.finish()
    }

    fn disclosure_page(&self) -> Option<&Page> {
        Some(&self.page)
    }
}
