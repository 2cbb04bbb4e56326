//! Reach and fairness: who we reach, per patch and per group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{AgeBand, AreaConfig, Timestamp};

use super::{Csv, Dimension, FilterUse, Filters, Report, Setup, Suppression};
use crate::error::Result;
use crate::store::Db;
use crate::store::report_rows::{self, ReachGroup};

/// The label of people a breakdown has no value for.
pub const NOT_RECORDED: &str = "not recorded";

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReachRow {
    /// The group: a patch slug, an age band, a tenure, a language or an
    /// ethnic group; `not recorded` for people without one.
    pub group: String,
    /// People contacted.
    pub contacts: Option<u64>,
    /// Of them, people we have had a conversation with.
    pub conversations: Option<u64>,
    /// Of them, people who have taken part (attended something).
    pub participants: Option<u64>,
    /// Households in the patch (patch rows only).
    pub households: Option<u32>,
    /// Contacts per 1,000 households (patch rows only).
    pub contacts_per_1000_households: Option<f64>,
    /// Conversations per 1,000 households (patch rows only).
    pub conversations_per_1000_households: Option<f64>,
    /// Participants per 1,000 households (patch rows only).
    pub participants_per_1000_households: Option<f64>,
}

/// Reach and fairness: contacts, conversations and participants per patch
/// (per 1,000 households) and by age band, tenure, language and ethnicity.
/// Ethnicity is only recorded with equality-monitoring consent, so its
/// breakdown covers only people who gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reach {
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
    /// People contacted.
    pub contacts: Option<u64>,
    /// People we have had a conversation with.
    pub conversations: Option<u64>,
    /// People who have taken part.
    pub participants: Option<u64>,
    /// Share of contacts with a known age band who are under 55 (0 to 1).
    pub under_55_share_of_contacts: Option<f64>,
    /// Share of participants with a known age band who are under 55 (0 to 1).
    pub under_55_share_of_participants: Option<f64>,
    /// Per patch: every configured patch, then any other patch people are in.
    pub by_patch: Vec<ReachRow>,
    /// Per age band, youngest first.
    pub by_age_band: Vec<ReachRow>,
    /// Per tenure.
    pub by_tenure: Vec<ReachRow>,
    /// Per preferred language.
    pub by_language: Vec<ReachRow>,
    /// Per ethnic group (people who consented to equality monitoring).
    pub by_ethnicity: Vec<ReachRow>,
}

/// (contacts, conversations, participants) of one group.
type Counts = [u64; 3];

/// The people-table columns broken down by, in the report's order.
const BREAKDOWNS: [&str; 5] = ["patch", "age_band", "tenure", "language", "ethnicity"];

/// Reach and fairness for the people matching `filters`.
pub async fn reach(db: &Db, filters: &Filters) -> Result<Reach> {
    let people = filters.selection()?;
    let setup = Setup::load(db).await?;
    // The five breakdowns are summed from the few thousand groups of one
    // pass over the people.
    let rows = report_rows::reach_groups(db, &people).await?;
    let mut groups: Vec<BTreeMap<Option<String>, Counts>> = vec![BTreeMap::new(); BREAKDOWNS.len()];
    for ReachGroup {
        patch,
        age_band,
        tenure,
        language,
        ethnicity,
        contacts,
        conversations,
        participants,
    } in rows
    {
        let counts = [contacts as u64, conversations as u64, participants as u64];
        for (breakdown, group) in
            groups
                .iter_mut()
                .zip([Some(patch), age_band, tenure, language, ethnicity])
        {
            let sum = breakdown.entry(group).or_default();
            for (s, n) in sum.iter_mut().zip(counts) {
                *s += n;
            }
        }
    }
    Ok(reach_from(setup.area.as_ref(), setup.suppression, groups))
}

/// The report from each breakdown's counts per group (in [`BREAKDOWNS`] order).
pub(super) fn reach_from(
    area: Option<&AreaConfig>,
    suppression: Suppression,
    mut groups: Vec<BTreeMap<Option<String>, Counts>>,
) -> Reach {
    groups.resize(BREAKDOWNS.len(), BTreeMap::new());
    let totals: Counts = groups[0].values().fold([0; 3], |mut sum, c| {
        for (s, n) in sum.iter_mut().zip(c) {
            *s += n;
        }
        sum
    });
    // Patches: the configured ones first (with their households), even
    // where nobody has been reached yet.
    let mut patches: Vec<(Option<String>, Counts, Option<u32>)> = Vec::new();
    if let Some(area) = area {
        for patch in &area.patches {
            let counts = groups[0]
                .remove(&Some(patch.id.clone()))
                .unwrap_or_default();
            patches.push((Some(patch.id.clone()), counts, Some(patch.households)));
        }
    }
    patches.extend(
        std::mem::take(&mut groups[0])
            .into_iter()
            .map(|(g, c)| (g, c, None)),
    );

    let band_order = |g: &Option<String>| {
        g.as_deref()
            .and_then(AgeBand::parse)
            .map_or(usize::MAX, |b| b as usize)
    };
    let mut bands: Vec<(Option<String>, Counts)> =
        std::mem::take(&mut groups[1]).into_iter().collect();
    bands.sort_by_key(|(g, _)| band_order(g));
    let under_55 = |column: usize| {
        let mut under = 0;
        let mut known = 0;
        for (g, c) in &bands {
            if let Some(band) = g.as_deref().and_then(AgeBand::parse) {
                known += c[column];
                under += c[column] * u64::from(band.is_under_55());
            }
        }
        suppression.derived(&[under, known - under], || {
            (known > 0).then(|| under as f64 / known as f64)
        })
    };
    let (under_55_share_of_contacts, under_55_share_of_participants) = (under_55(0), under_55(2));

    let rest: Vec<Vec<ReachRow>> = groups
        .into_iter()
        .skip(2)
        .map(|g| {
            rows(
                suppression,
                g.into_iter().map(|(g, c)| (g, c, None)).collect(),
            )
        })
        .collect();
    let [by_tenure, by_language, by_ethnicity]: [Vec<ReachRow>; 3] =
        rest.try_into().unwrap_or_default();
    Reach {
        suppressed_below: suppression.below(),
        contacts: suppression.count(totals[0]),
        conversations: suppression.count(totals[1]),
        participants: suppression.count(totals[2]),
        under_55_share_of_contacts,
        under_55_share_of_participants,
        by_patch: rows(suppression, patches),
        by_age_band: rows(
            suppression,
            bands.into_iter().map(|(g, c)| (g, c, None)).collect(),
        ),
        by_tenure,
        by_language,
        by_ethnicity,
    }
}

/// The rows of one breakdown, each column suppressed as a whole.
fn rows(
    suppression: Suppression,
    groups: Vec<(Option<String>, Counts, Option<u32>)>,
) -> Vec<ReachRow> {
    let counts: Vec<Counts> = groups.iter().map(|(_, c, _)| *c).collect();
    let [contacts, conversations, participants] = suppression.columns(&counts);
    groups
        .into_iter()
        .enumerate()
        .map(|(i, (group, _, households))| {
            let per_1000 = |count: Option<u64>| {
                count
                    .zip(households.filter(|h| *h > 0))
                    .map(|(n, h)| n as f64 * 1000.0 / f64::from(h))
            };
            ReachRow {
                group: group.unwrap_or_else(|| NOT_RECORDED.to_owned()),
                contacts: contacts[i],
                conversations: conversations[i],
                participants: participants[i],
                households,
                contacts_per_1000_households: per_1000(contacts[i]),
                conversations_per_1000_households: per_1000(conversations[i]),
                participants_per_1000_households: per_1000(participants[i]),
            }
        })
        .collect()
}

impl Report for Reach {
    const FILTERS: FilterUse = FilterUse::People;
    const BREAKDOWNS: &'static [Dimension] = &[
        Dimension::Patch,
        Dimension::AgeBand,
        Dimension::Tenure,
        Dimension::Language,
        Dimension::Ethnicity,
    ];

    async fn load(db: &Db, filters: &Filters, _now: Timestamp) -> Result<Self> {
        reach(db, filters).await
    }

    /// Every breakdown as CSV, one row per group.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "breakdown",
                "group",
                "contacts",
                "conversations",
                "participants",
                "households",
                "contacts_per_1000_households",
                "conversations_per_1000_households",
                "participants_per_1000_households",
            ],
        );
        let breakdowns = [
            &self.by_patch,
            &self.by_age_band,
            &self.by_tenure,
            &self.by_language,
            &self.by_ethnicity,
        ];
        for (name, rows) in BREAKDOWNS.iter().zip(breakdowns) {
            for r in rows {
                let rate = |v: Option<f64>| Csv::optional(v.map(|v| format!("{v:.1}")));
                let fields = [
                    (*name).to_owned(),
                    r.group.clone(),
                    csv.cell(r.contacts),
                    csv.cell(r.conversations),
                    csv.cell(r.participants),
                    Csv::optional(r.households),
                    rate(r.contacts_per_1000_households),
                    rate(r.conversations_per_1000_households),
                    rate(r.participants_per_1000_households),
                ];
                csv.row(fields);
            }
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(entries: &[(Option<&str>, Counts)]) -> BTreeMap<Option<String>, Counts> {
        entries
            .iter()
            .map(|(g, c)| (g.map(str::to_owned), *c))
            .collect()
    }

    #[test]
    fn rates_per_households_and_the_under_55_share() {
        let mut area = AreaConfig::new_default(
            sync_core::DocId::new(sync_core::Timestamp::from_millis(0)),
            "a",
            "A",
            sync_core::DeviceId::new(sync_core::Timestamp::from_millis(0)),
            sync_core::Timestamp::from_millis(0),
        );
        area.patches.push(sync_core::PatchConfig {
            id: "elm".into(),
            name: "Elm".into(),
            households: 400,
        });
        area.patches.push(sync_core::PatchConfig {
            id: "oak".into(),
            name: "Oak".into(),
            households: 100,
        });
        let report = reach_from(
            Some(&area),
            Suppression::default(),
            vec![
                groups(&[(Some("elm"), [40, 20, 10]), (Some("ash"), [6, 6, 6])]),
                groups(&[
                    (Some("75+"), [10, 6, 0]),
                    (Some("18-24"), [30, 20, 16]),
                    (None, [6, 0, 0]),
                ]),
            ],
        );
        assert_eq!(report.contacts, Some(46));
        let elm = &report.by_patch[0];
        assert_eq!(elm.contacts_per_1000_households, Some(100.0));
        assert_eq!(elm.participants_per_1000_households, Some(25.0));
        assert_eq!(report.by_patch[1].group, "oak");
        assert_eq!(report.by_patch[1].contacts, Some(0));
        assert_eq!(report.by_patch[2].group, "ash");
        assert_eq!(report.by_patch[2].households, None);
        assert_eq!(report.by_age_band[0].group, "18-24");
        assert_eq!(report.by_age_band[2].group, NOT_RECORDED);
        assert_eq!(report.under_55_share_of_contacts, Some(0.75));
        assert_eq!(report.under_55_share_of_participants, Some(1.0));
        assert!(
            report
                .to_csv()
                .contains("patch,elm,40,20,10,400,100.0,50.0,25.0")
        );
    }
}
