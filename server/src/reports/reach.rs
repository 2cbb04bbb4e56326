//! Reach and fairness: who we reach, per patch and per group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{AgeBand, AreaConfig, Timestamp};

use super::cell_key;
use super::disclosure::{Cell, Page, Shown, Withheld, publish};
use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup, Suppression};
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
    /// The group as people read it: the patch's name, the language's
    /// name ("Somali"), the tenure in words ("Rents privately").
    pub label: String,
    /// People contacted.
    pub contacts: Option<u64>,
    /// Of them, people who reached the ladder's Conversation step (spoken
    /// with, or gone further): the funnel's figure for that step.
    pub conversations: Option<u64>,
    /// Of them, people who reached the Participant step (took part, or
    /// went further): the funnel's figure for that step.
    pub participants: Option<u64>,
    /// Households in the patch, as an admin set them (patch rows only).
    pub households: Option<u32>,
    /// Households with anyone contacted (patch rows only; people whose
    /// household is not known are not in it).
    pub households_contacted: Option<u64>,
    /// Households with anyone at the Conversation step or further.
    pub households_with_conversations: Option<u64>,
    /// Households with anyone at the Participant step or further.
    pub households_with_participants: Option<u64>,
    /// Households contacted per 1,000 households (at most 1,000 while the
    /// patch's household count is right).
    pub households_contacted_per_1000_households: Option<f64>,
    /// Households with conversations per 1,000 households.
    pub households_with_conversations_per_1000_households: Option<f64>,
    /// Households with participants per 1,000 households.
    pub households_with_participants_per_1000_households: Option<f64>,
}

/// Reach and fairness: contacts, conversations and participants per patch
/// (per 1,000 households) and by age band, tenure, language and ethnicity.
/// Ethnicity is only recorded with equality-monitoring consent, so its
/// breakdown covers only people who gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reach {
    /// Counts below this are suppressed.
    pub suppressed_below: u64,
    /// Whether the counts are adjusted by the cell key method (for
    /// viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// People contacted.
    pub contacts: Option<u64>,
    /// People who reached the Conversation step or went further.
    pub conversations: Option<u64>,
    /// People who reached the Participant step or went further.
    pub participants: Option<u64>,
    /// Share of contacts with a known age band who are under 55 (0 to 1).
    pub under_55_share_of_contacts: Option<f64>,
    /// Share of participants with a known age band who are under 55 (0 to 1).
    pub under_55_share_of_participants: Option<f64>,
    /// Contacts with a known age band under 55 (the share's numerator).
    pub contacts_under_55: Option<u64>,
    /// Contacts with a known age band (the share's denominator).
    pub contacts_with_age_band: Option<u64>,
    /// Participants with a known age band under 55.
    pub participants_under_55: Option<u64>,
    /// Participants with a known age band.
    pub participants_with_age_band: Option<u64>,
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
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`by_tenure.2.participants`): `small`, `protects` or
    /// `not-applicable`. A rate per 1,000 households is missing with its
    /// count.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// One group's people: (contacts, conversations, participants,
/// participants spoken with), and the sums of their record keys in the
/// same order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    people: [u64; 4],
    keys: [u64; 4],
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        for i in 0..4 {
            self.people[i] += other.people[i];
            self.keys[i] = self.keys[i].wrapping_add(other.keys[i]);
        }
    }
}

impl From<[u64; 4]> for Counts {
    /// People with no record keys.
    fn from(people: [u64; 4]) -> Self {
        Self {
            people,
            keys: [0; 4],
        }
    }
}

/// The JSON names of a row's three published counts.
const COLUMNS: [&str; 3] = ["contacts", "conversations", "participants"];

/// The JSON names of a patch row's households, in [`COLUMNS`] order.
const HOUSEHOLD_COLUMNS: [&str; 3] = [
    "households_contacted",
    "households_with_conversations",
    "households_with_participants",
];

/// A patch's households (contacted, with conversations, with
/// participants), and the sums of their keys in the same order.
pub(super) type Households = ([u64; 3], [u64; 3]);

/// The figures behind the under-55 shares: (under 55, with a known age
/// band) of contacts, then of participants.
const AGE_FIGURES: [(&str, &str); 2] = [
    ("contacts_under_55", "contacts_with_age_band"),
    ("participants_under_55", "participants_with_age_band"),
];

/// The JSON names of the breakdowns, in [`BREAKDOWNS`] order.
const LISTS: [&str; 5] = [
    "by_patch",
    "by_age_band",
    "by_tenure",
    "by_language",
    "by_ethnicity",
];

/// The people-table columns broken down by, in the report's order.
const BREAKDOWNS: [&str; 5] = ["patch", "age_band", "tenure", "language", "ethnicity"];

/// Reach and fairness for the people matching `filters`.
pub async fn reach(db: &Db, filters: &Filters, audience: Audience) -> Result<Reach> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    // The five breakdowns are summed from the few thousand groups of one
    // pass over the people.
    let keyed = audience == Audience::Adjusted;
    // The groups and the households are two passes over two indexes: at
    // once, each on its own connection.
    let (rows, households) = tokio::try_join!(
        report_rows::reach_groups(db, &people, keyed),
        report_rows::households_reached(db, &people, keyed),
    )?;
    let households: BTreeMap<String, Households> = households
        .into_iter()
        .map(|h| {
            let n = |v: i64| v as u64;
            (
                h.patch,
                (
                    [h.contacted, h.with_conversations, h.with_participants].map(n),
                    [
                        h.contacted_keys,
                        h.with_conversations_keys,
                        h.with_participants_keys,
                    ]
                    .map(n),
                ),
            )
        })
        .collect();
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
        conversing_participants,
        contacts_keys,
        conversations_keys,
        participants_keys,
        conversing_participants_keys,
    } in rows
    {
        let counts = Counts {
            people: [
                contacts as u64,
                conversations as u64,
                participants as u64,
                conversing_participants as u64,
            ],
            keys: [
                contacts_keys as u64,
                conversations_keys as u64,
                participants_keys as u64,
                conversing_participants_keys as u64,
            ],
        };
        for (breakdown, group) in
            groups
                .iter_mut()
                .zip([Some(patch), age_band, tenure, language, ethnicity])
        {
            breakdown.entry(group).or_default().add(&counts);
        }
    }
    Ok(reach_from(
        setup.area.as_ref(),
        setup.suppression,
        audience,
        groups,
        &households,
    ))
}

/// One group's people in four cells no two of which share anyone: spoken
/// with and took part, only spoken with, only took part, neither. Its
/// contacts are all four, its conversations the first two, its
/// participants the first and third.
fn group_cells(page: &mut Page, c: Counts) -> [Vec<Cell>; 3] {
    let [contacts, conversations, participants, both] = c.people;
    let [contacts_k, conversations_k, participants_k, both_k] = c.keys;
    let spoke_and_came = page.keyed_cell(both, both_k);
    let spoke = page.keyed_cell(
        conversations.saturating_sub(both),
        conversations_k.wrapping_sub(both_k),
    );
    let came = page.keyed_cell(
        participants.saturating_sub(both),
        participants_k.wrapping_sub(both_k),
    );
    let neither = page.keyed_cell(
        (contacts + both).saturating_sub(conversations + participants),
        contacts_k
            .wrapping_add(both_k)
            .wrapping_sub(conversations_k)
            .wrapping_sub(participants_k),
    );
    [
        vec![spoke_and_came, spoke, came, neither],
        vec![spoke_and_came, spoke],
        vec![spoke_and_came, came],
    ]
}

/// A group of a breakdown: its name, counts and households (patches only).
type Group = (Option<String>, Counts, Option<u32>);

/// The report from each breakdown's counts per group (in [`BREAKDOWNS`]
/// order). Every breakdown is a partition of the same people: each has its
/// own cells, and the three totals are one figure shown beside each.
pub(super) fn reach_from(
    area: Option<&AreaConfig>,
    suppression: Suppression,
    audience: Audience,
    mut groups: Vec<BTreeMap<Option<String>, Counts>>,
    households_reached: &BTreeMap<String, Households>,
) -> Reach {
    groups.resize(BREAKDOWNS.len(), BTreeMap::new());
    // Patches: the configured ones first (with their households), even
    // where nobody has been reached yet.
    let mut patches: Vec<Group> = Vec::new();
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
    let mut bands: Vec<Group> = std::mem::take(&mut groups[1])
        .into_iter()
        .map(|(g, c)| (g, c, None))
        .collect();
    bands.sort_by_key(|(g, _, _)| band_order(g));
    let mut lists: Vec<Vec<Group>> = vec![patches, bands];
    lists.extend(
        groups
            .into_iter()
            .skip(2)
            .map(|g| g.into_iter().map(|(g, c)| (g, c, None)).collect()),
    );

    let mut page = Page::new();
    let mut totals = Counts::default();
    // (under 55, with a known age band) of contacts, then of participants.
    let mut ages: [(Vec<Cell>, Vec<Cell>); 2] = Default::default();
    for (list, groups) in LISTS.iter().zip(&lists) {
        let mut all: [Vec<Cell>; 3] = Default::default();
        for (i, (group, counts, _)) in groups.iter().enumerate() {
            let cells = group_cells(&mut page, *counts);
            for (column, cells) in COLUMNS.iter().zip(&cells) {
                page.figure(format!("{list}.{i}.{column}"), cells);
            }
            for (sum, cells) in all.iter_mut().zip(&cells) {
                sum.extend(cells);
            }
            if *list == "by_age_band"
                && let Some(band) = group.as_deref().and_then(AgeBand::parse)
            {
                for (k, column) in [0, 2].into_iter().enumerate() {
                    ages[k].1.extend(&cells[column]);
                    if band.is_under_55() {
                        ages[k].0.extend(&cells[column]);
                    }
                }
            }
        }
        for (column, cells) in COLUMNS.iter().zip(&all) {
            page.figure(*column, cells);
        }
        if *list == "by_patch" {
            totals = groups.iter().fold(Counts::default(), |mut sum, (_, c, _)| {
                sum.add(c);
                sum
            });
        }
    }
    // The under-55 shares publish their numerators and denominators.
    for ((under, known), (under_key, known_key)) in ages.iter().zip(AGE_FIGURES) {
        page.figure(under_key, under);
        page.figure(known_key, known);
    }
    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut published: Vec<Vec<ReachRow>> = Vec::new();
    for (list, groups) in LISTS.iter().zip(lists) {
        let mut rows = Vec::new();
        for (i, (group, counts, households)) in groups.into_iter().enumerate() {
            let mut shown = [None; 3];
            let mut homes = [None; 3];
            let mut rates = [None; 3];
            let reached = group
                .as_ref()
                .filter(|_| *list == "by_patch")
                .map(|patch| households_reached.get(patch).copied().unwrap_or_default());
            for (c, column) in COLUMNS.iter().enumerate() {
                let place = format!("{list}.{i}.{column}");
                let figure = hidden.shown(&place, counts.people[c]);
                shown[c] = publish(&mut withheld, place, figure.result());
                // Households are small on their own terms, and otherwise go
                // with their people: hidden when the people are (households
                // are no more than people).
                let below = suppression.below();
                let home = match (reached, figure) {
                    (None, _) => Err(Withheld::NotApplicable),
                    (Some((n, _)), _) if (1..below).contains(&n[c]) => Err(Withheld::Small),
                    (Some((n, _)), Shown::Withheld(why)) if n[c] > 0 => Err(why),
                    (Some((n, keys)), _) => Ok(match audience {
                        Audience::Exact => n[c],
                        Audience::Adjusted => cell_key::adjusted(n[c], keys[c], below),
                    }),
                };
                let home_place = format!("{list}.{i}.{}", HOUSEHOLD_COLUMNS[c]);
                let rate = match (home, households.filter(|h| *h > 0)) {
                    (_, None) => Err(Withheld::NotApplicable),
                    (Ok(n), Some(h)) => Ok(n as f64 * 1000.0 / f64::from(h)),
                    (Err(why), Some(_)) => Err(why),
                };
                rates[c] = publish(
                    &mut withheld,
                    format!("{home_place}_per_1000_households"),
                    rate,
                );
                homes[c] = publish(&mut withheld, home_place, home);
            }
            let group = group.unwrap_or_else(|| NOT_RECORDED.to_owned());
            let label = if group == NOT_RECORDED {
                group.clone()
            } else {
                match *list {
                    "by_patch" => crate::labels::patch_name(area, &group),
                    "by_tenure" => crate::labels::tenure_text(&group),
                    "by_language" => crate::languages::name(&group),
                    _ => group.clone(),
                }
            };
            rows.push(ReachRow {
                group,
                label,
                contacts: shown[0],
                conversations: shown[1],
                participants: shown[2],
                households,
                households_contacted: homes[0],
                households_with_conversations: homes[1],
                households_with_participants: homes[2],
                households_contacted_per_1000_households: rates[0],
                households_with_conversations_per_1000_households: rates[1],
                households_with_participants_per_1000_households: rates[2],
            });
        }
        published.push(rows);
    }
    let mut total = |c: usize| {
        publish(
            &mut withheld,
            COLUMNS[c].to_owned(),
            hidden.shown(COLUMNS[c], totals.people[c]).result(),
        )
    };
    let (contacts, conversations, participants) = (total(0), total(1), total(2));
    let mut shares = Vec::new();
    for (under_key, known_key) in AGE_FIGURES {
        let under = hidden.shown(under_key, page.value(under_key).unwrap_or(0));
        let known = hidden.shown(known_key, page.value(known_key).unwrap_or(0));
        let share = match (under, known) {
            (_, Shown::Count(0)) => Err(Withheld::NotApplicable),
            // Adjusted counts can make the part look the larger.
            (Shown::Count(u), Shown::Count(k)) => Ok((u as f64 / k as f64).min(1.0)),
            (Shown::Withheld(why), _) | (_, Shown::Withheld(why)) => Err(why),
        };
        let kind = under_key.trim_end_matches("_under_55");
        shares.push((
            publish(&mut withheld, under_key.to_owned(), under.result()),
            publish(&mut withheld, known_key.to_owned(), known.result()),
            publish(&mut withheld, format!("under_55_share_of_{kind}"), share),
        ));
    }
    let [
        (contacts_under_55, contacts_with_age_band, under_55_share_of_contacts),
        (participants_under_55, participants_with_age_band, under_55_share_of_participants),
    ]: [(Option<u64>, Option<u64>, Option<f64>); 2] = shares.try_into().unwrap_or_default();
    let [by_patch, by_age_band, by_tenure, by_language, by_ethnicity]: [Vec<ReachRow>; 5] =
        published.try_into().unwrap_or_default();
    Reach {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        contacts,
        conversations,
        participants,
        under_55_share_of_contacts,
        under_55_share_of_participants,
        contacts_under_55,
        contacts_with_age_band,
        participants_under_55,
        participants_with_age_band,
        by_patch,
        by_age_band,
        by_tenure,
        by_language,
        by_ethnicity,
        withheld,
        page,
    }
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

    async fn load(db: &Db, filters: &Filters, audience: Audience, _now: Timestamp) -> Result<Self> {
        reach(db, filters, audience).await
    }

    /// Every breakdown as CSV, one row per group; a hidden figure reads
    /// `<5` (small), `hidden` (protects a small one) or `n/a`.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "breakdown",
                "group",
                "label",
                "contacts",
                "conversations",
                "participants",
                "households",
                "households_contacted",
                "households_with_conversations",
                "households_with_participants",
                "households_contacted_per_1000_households",
                "households_with_conversations_per_1000_households",
                "households_with_participants_per_1000_households",
            ],
        );
        let breakdowns = [
            &self.by_patch,
            &self.by_age_band,
            &self.by_tenure,
            &self.by_language,
            &self.by_ethnicity,
        ];
        for ((name, list), rows) in BREAKDOWNS.iter().zip(LISTS).zip(breakdowns) {
            for (i, r) in rows.iter().enumerate() {
                let why = |field: &str| self.withheld.get(&format!("{list}.{i}.{field}")).copied();
                // A rate hidden with its count is marked hidden, never
                // "<5": it is not a count.
                let rate = |v: Option<f64>, field: &str| {
                    let why = why(field).map(|w| match w {
                        Withheld::NotApplicable => w,
                        _ => Withheld::Protects,
                    });
                    csv.figure(v.map(|v| format!("{v:.1}")), why)
                };
                let fields = [
                    (*name).to_owned(),
                    r.group.clone(),
                    r.label.clone(),
                    csv.figure(r.contacts, why("contacts")),
                    csv.figure(r.conversations, why("conversations")),
                    csv.figure(r.participants, why("participants")),
                    Csv::optional(r.households),
                    csv.figure(r.households_contacted, why("households_contacted")),
                    csv.figure(
                        r.households_with_conversations,
                        why("households_with_conversations"),
                    ),
                    csv.figure(
                        r.households_with_participants,
                        why("households_with_participants"),
                    ),
                    rate(
                        r.households_contacted_per_1000_households,
                        "households_contacted_per_1000_households",
                    ),
                    rate(
                        r.households_with_conversations_per_1000_households,
                        "households_with_conversations_per_1000_households",
                    ),
                    rate(
                        r.households_with_participants_per_1000_households,
                        "households_with_participants_per_1000_households",
                    ),
                ];
                csv.row(fields);
            }
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

    fn groups(entries: &[(Option<&str>, [u64; 4])]) -> BTreeMap<Option<String>, Counts> {
        entries
            .iter()
            .map(|(g, c)| (g.map(str::to_owned), Counts::from(*c)))
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
            census: None,
        });
        area.patches.push(sync_core::PatchConfig {
            id: "oak".into(),
            name: "Oak".into(),
            households: 100,
            census: None,
        });
        let report = reach_from(
            Some(&area),
            Suppression::default(),
            Audience::Exact,
            vec![
                groups(&[(Some("elm"), [40, 20, 10, 10]), (Some("ash"), [6, 6, 6, 6])]),
                groups(&[
                    (Some("75+"), [10, 6, 0, 0]),
                    (Some("18-24"), [30, 20, 16, 16]),
                    (None, [6, 0, 0, 0]),
                ]),
            ],
            // Elm's 40 people live in 32 households, 16 of them with a
            // conversation and 3 with a participant.
            &BTreeMap::from([("elm".to_owned(), ([32, 16, 3], [0; 3]))]),
        );
        assert_eq!(report.contacts, Some(46));
        let elm = &report.by_patch[0];
        assert_eq!(elm.households_contacted, Some(32));
        assert_eq!(elm.households_contacted_per_1000_households, Some(80.0));
        assert_eq!(
            elm.households_with_conversations_per_1000_households,
            Some(40.0)
        );
        // Three households is a small count, hidden with its rate.
        assert_eq!(elm.households_with_participants, None);
        assert_eq!(
            report.withheld["by_patch.0.households_with_participants"],
            Withheld::Small
        );
        assert_eq!(elm.households_with_participants_per_1000_households, None);
        // Oak has nobody; Ash is not configured, so has no rate.
        assert_eq!(report.by_patch[1].households_contacted, Some(0));
        assert_eq!(
            report.by_patch[2].households_contacted_per_1000_households,
            None
        );
        assert_eq!(report.by_age_band[0].households_contacted, None);
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
                .contains("patch,elm,Elm,40,20,10,400,32,16,<5,80.0,40.0,hidden")
        );
    }
}
#[cfg(test)]
mod page_tests {
    use super::*;

    /// Everyone was spoken with, nobody took part yet: a row's contacts
    /// and conversations are one count, and hiding one alone would not
    /// protect anything.
    #[test]
    fn a_group_of_three_takes_the_next_row_and_nothing_else() {
        let g = |entries: &[(Option<&str>, [u64; 4])]| {
            entries
                .iter()
                .map(|(g, c)| (g.map(str::to_owned), Counts::from(*c)))
                .collect::<BTreeMap<_, _>>()
        };
        let everyone = g(&[(None, [35, 35, 0, 0])]);
        let report = reach_from(
            None,
            Suppression::default(),
            Audience::Exact,
            vec![
                g(&[
                    (Some("big"), [20, 20, 0, 0]),
                    (Some("mid"), [12, 12, 0, 0]),
                    (Some("tiny"), [3, 3, 0, 0]),
                ]),
                everyone.clone(),
                everyone.clone(),
                everyone.clone(),
                everyone,
            ],
            &BTreeMap::new(),
        );
        let counts: Vec<(Withheld, &str)> = report
            .withheld
            .iter()
            .filter(|(place, _)| place.starts_with("by_patch") && !place.contains("households"))
            .map(|(place, why)| (*why, place.as_str()))
            .collect();
        assert_eq!(
            counts,
            vec![
                (Withheld::Protects, "by_patch.1.contacts"),
                (Withheld::Protects, "by_patch.1.conversations"),
                (Withheld::Small, "by_patch.2.contacts"),
                (Withheld::Small, "by_patch.2.conversations"),
            ]
        );
        assert_eq!(report.by_patch[0].contacts, Some(20));
        assert_eq!(report.contacts, Some(35));
        assert_eq!(report.by_age_band[0].contacts, Some(35));
    }
}
