//! Does the board look like the area? The partnership board now beside
//! everyone contacted, and beside the census where the area entered one.
//!
//! **Disclosure.** Who sits on the board is public, and so are the hats
//! members declare and the resident definitions they meet (the
//! resident-led report shows them): those are exact for everyone. Board
//! members' ages and housing are personal. They are shown only as two
//! sides (under 55 and 55 or over, among members with a known adult age
//! band; owns their home and any other tenure), never by band or tenure,
//! never beside a seat, hat or patch, and only through the page's
//! disclosure control with the board's membership as a public figure: a
//! side from 0 (a zero would tell every member's) to the threshold less
//! one is hidden, and so is whatever would give it away. A board smaller
//! than the threshold shows neither side. Viewers see the sides adjusted
//! by the cell key method, as every count of people.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sync_core::{AgeBand, AreaConfig, Hat, ResidentBasis, Tenure, Timestamp};

use super::disclosure::{Cell, Page, Withheld, publish};
use super::{Audience, Csv, Dimension, FilterUse, Filters, Report, Setup, Suppression};
use crate::error::Result;
use crate::store::Db;
use crate::store::report_rows::{self, BoardSeat, ContactGroup};

/// One group (an age band, a tenure) among everyone contacted and in the
/// census. The board is never shown by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardGroup {
    /// The age band or tenure.
    pub group: String,
    /// It in words.
    pub label: String,
    /// People contacted in it.
    pub contacts: Option<u64>,
    /// Their share of contacts with a known value, in percent.
    pub contacts_share_percent: Option<f64>,
    /// The census figure (residents or households) over the patches that
    /// entered one.
    pub census: Option<u64>,
    /// Its share of the census's known total, in percent.
    pub census_share_percent: Option<f64>,
}

/// One side of the two the board is shown by (under 55 and 55 or over;
/// owns their home and any other tenure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardSide {
    /// `under-55`, `55-and-over`, `owns`, `rents-or-other`.
    pub group: String,
    /// It in words.
    pub label: String,
    /// Board members on this side (`null`: see `withheld`).
    pub board: Option<u64>,
    /// Their share of the board members on either side, in percent.
    pub board_share_percent: Option<f64>,
    /// People contacted on this side.
    pub contacts: Option<u64>,
    /// Their share of contacts on either side, in percent.
    pub contacts_share_percent: Option<f64>,
    /// The census figure on this side.
    pub census: Option<u64>,
    /// Its share of the census's known total, in percent.
    pub census_share_percent: Option<f64>,
}

/// The board, contacts and census by age or by tenure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardBreakdown {
    /// Everyone contacted and the census, group by group.
    pub groups: Vec<BoardGroup>,
    /// The two sides, for the board as well.
    pub sides: Vec<BoardSide>,
    /// Board members on neither side (not recorded; for ages, also under
    /// 18).
    pub board_not_counted: Option<u64>,
    /// People contacted with a known value (the shares' base).
    pub contacts_known: Option<u64>,
    /// The census's known total (residents aged 18 or over; households).
    pub census_known: Option<u64>,
    /// The patches whose census gives these figures, by name.
    pub census_patches: Vec<String>,
    /// The patches with no census figures for this, by name.
    pub patches_without_census: Vec<String>,
}

/// Members and contacts under one resident definition, or members wearing
/// one other hat: public for the board, so exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BoardPublicRow {
    /// The definition's key, or the hat.
    pub group: String,
    /// It in words.
    pub label: String,
    /// Board members (exact: public).
    pub board: u64,
    /// Their share of the board, in percent.
    pub board_share_percent: Option<f64>,
    /// People contacted (resident definitions only; hats are worn only on
    /// the board).
    pub contacts: Option<u64>,
    /// Their share of everyone contacted, in percent.
    pub contacts_share_percent: Option<f64>,
}

/// Does the board look like the area? The partnership board now (people
/// holding a seat or office) beside everyone contacted, by age, tenure,
/// resident definition and other hats, and beside the census where the
/// area entered one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Board {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Whether counts of people are adjusted (for viewers).
    pub adjusted: bool,
    /// Board members now (public: exact).
    pub members: u64,
    /// Everyone contacted.
    pub contacts: Option<u64>,
    /// By age: bands 18-24 to 75+ for contacts and the census, under 55
    /// and 55 or over for the board too.
    pub age: BoardBreakdown,
    /// By tenure: each tenure for contacts and the census (households),
    /// owns their home or not for the board too.
    pub tenure: BoardBreakdown,
    /// By the area's resident definitions.
    pub resident_definitions: Vec<BoardPublicRow>,
    /// By the other hats members wear.
    pub hats: Vec<BoardPublicRow>,
    /// Why each figure that is `null` is missing, by its place.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing.
    #[serde(skip)]
    pub page: Page,
}

/// The groups of one breakdown and which side each is on.
struct Kind {
    name: &'static str,
    groups: Vec<(String, String, bool)>,
    sides: [(&'static str, &'static str); 2],
}

fn kinds() -> [Kind; 2] {
    [
        Kind {
            name: "age",
            groups: sync_core::Census::adult_bands()
                .map(|b| {
                    (
                        b.as_str().to_owned(),
                        b.as_str().to_owned(),
                        b.is_under_55(),
                    )
                })
                .collect(),
            sides: [("under-55", "Under 55"), ("55-and-over", "55 and over")],
        },
        Kind {
            name: "tenure",
            groups: Tenure::ALL
                .iter()
                .map(|t| {
                    let label = crate::labels::tenure(*t).to_owned();
                    (t.as_str().to_owned(), label, *t == Tenure::Owner)
                })
                .collect(),
            sides: [
                ("owns", "Owns their home"),
                ("rents-or-other", "Rents, or another tenure"),
            ],
        },
    ]
}

/// The board report at `now`.
pub async fn board(db: &Db, audience: Audience, now: Timestamp) -> Result<Board> {
    let setup = Setup::load(db).await?;
    let keyed = audience == Audience::Adjusted;
    Ok(board_from(
        setup.area()?,
        setup.suppression,
        audience,
        &report_rows::board_seats(db, now).await?,
        &report_rows::contact_groups(db, keyed).await?,
    ))
}

/// A count and the sum of its people's record keys.
#[derive(Debug, Clone, Copy, Default)]
struct Tally(u64, u64);

impl Tally {
    fn add(&mut self, n: u64, keys: u64) {
        self.0 += n;
        self.1 = self.1.wrapping_add(keys);
    }
}

fn share(part: Option<u64>, of: Option<u64>) -> Result<f64, Withheld> {
    match (part, of) {
        (Some(p), Some(o)) if o > 0 => Ok((p as f64 * 100.0 / o as f64).min(100.0)),
        (Some(_), Some(_)) => Err(Withheld::NotApplicable),
        _ => Err(Withheld::Protects),
    }
}

/// The report from the seats held now and everyone contacted by group.
pub(super) fn board_from(
    area: &AreaConfig,
    suppression: Suppression,
    audience: Audience,
    seats: &[BoardSeat],
    contacts: &[ContactGroup],
) -> Board {
    let threshold = suppression.below();
    // Each member once: their age band, tenure, residency, hats, key.
    let mut members: BTreeMap<&str, (&BoardSeat, BTreeSet<&str>)> = BTreeMap::new();
    for seat in seats {
        members
            .entry(&seat.person)
            .or_insert((seat, BTreeSet::new()))
            .1
            .extend(seat.hats.split(',').filter(|h| !h.is_empty()));
    }
    let m = members.len() as u64;
    let value_of = |kind: &str, age: &Option<String>, tenure: &Option<String>| match kind {
        "age" => age
            .as_deref()
            .and_then(AgeBand::parse)
            .filter(|b| !b.is_under_18())
            .map(|b| b.as_str().to_owned()),
        _ => tenure
            .as_deref()
            .and_then(Tenure::parse)
            .map(|t| t.as_str().to_owned()),
    };

    let mut page = Page::new();
    let mut withheld = BTreeMap::new();
    let kinds = kinds();
    // Per breakdown: contacts per group and on neither; board per side and
    // on neither.
    let mut contact_cells: Vec<(Vec<Cell>, Cell)> = Vec::new();
    let mut board_tallies: Vec<[Tally; 3]> = Vec::new();
    for kind in &kinds {
        let mut per_group = vec![Tally::default(); kind.groups.len()];
        let mut unknown = Tally::default();
        for g in contacts {
            let at = value_of(kind.name, &g.age_band, &g.tenure)
                .and_then(|v| kind.groups.iter().position(|(k, _, _)| *k == v));
            let t = match at {
                Some(i) => &mut per_group[i],
                None => &mut unknown,
            };
            t.add(g.people as u64, g.key_sum as u64);
        }
        let cells: Vec<Cell> = per_group
            .iter()
            .map(|t| page.keyed_cell(t.0, t.1))
            .collect();
        let rest = page.keyed_cell(unknown.0, unknown.1);
        let mut all = cells.clone();
        all.push(rest);
        page.figure("contacts", &all);
        page.figure(format!("{}.contacts_known", kind.name), &cells);
        for (i, cell) in cells.iter().enumerate() {
            page.figure(format!("{}.groups.{i}.contacts", kind.name), &[*cell]);
        }
        for (s, first) in [(0, true), (1, false)] {
            let side: Vec<Cell> = cells
                .iter()
                .zip(&kind.groups)
                .filter(|(_, (_, _, on_first))| *on_first == first)
                .map(|(c, _)| *c)
                .collect();
            page.figure(format!("{}.sides.{s}.contacts", kind.name), &side);
        }
        contact_cells.push((cells, rest));

        let mut board = [Tally::default(); 3];
        for (seat, _) in members.values() {
            let side = value_of(kind.name, &seat.age_band, &seat.tenure)
                .and_then(|v| kind.groups.iter().find(|(k, _, _)| *k == v))
                .map_or(2, |(_, _, first)| usize::from(!first));
            board[side].add(1, seat.record_key as u64);
        }
        // A board smaller than the threshold shows neither side: every
        // figure of it would be below the threshold.
        if m >= threshold {
            let c = board.map(|t| page.keyed_cell(t.0, t.1));
            page.public_figure("members", &c);
            page.guarded_figure(format!("{}.sides.0.board", kind.name), &[c[0]]);
            page.guarded_figure(format!("{}.sides.1.board", kind.name), &[c[1]]);
            page.figure(format!("{}.board_not_counted", kind.name), &[c[2]]);
        }
        board_tallies.push(board);
    }
    // Contacts under each resident definition: sums of the groups of
    // people with the same residency (a third partition of everyone).
    let bases = |residency: &str| -> BTreeSet<ResidentBasis> {
        residency
            .split(',')
            .filter_map(ResidentBasis::parse)
            .collect()
    };
    let mut by_residency: BTreeMap<BTreeSet<ResidentBasis>, Tally> = BTreeMap::new();
    for g in contacts {
        by_residency
            .entry(bases(&g.residency))
            .or_default()
            .add(g.people as u64, g.key_sum as u64);
    }
    let residency_cells: Vec<(BTreeSet<ResidentBasis>, Cell)> = by_residency
        .into_iter()
        .map(|(b, t)| (b, page.keyed_cell(t.0, t.1)))
        .collect();
    page.figure(
        "contacts",
        &residency_cells.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
    );
    for (i, d) in area.resident_definitions.iter().enumerate() {
        let cells: Vec<Cell> = residency_cells
            .iter()
            .filter(|(b, _)| d.includes(b))
            .map(|(_, c)| *c)
            .collect();
        page.figure(format!("resident_definitions.{i}.contacts"), &cells);
    }
    let hidden = page.protect(threshold, audience);
    let figure = |withheld: &mut BTreeMap<String, Withheld>, place: String| {
        let value = page.value(&place).unwrap_or(0);
        publish(
            withheld,
            place.clone(),
            hidden.shown(&place, value).result(),
        )
    };
    let all_contacts = figure(&mut withheld, "contacts".to_owned());

    let mut breakdowns = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let name = kind.name;
        // The census over the patches that entered it.
        let mut census = vec![0u64; kind.groups.len()];
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for patch in &area.patches {
            let entered: Option<BTreeMap<String, u32>> = patch.census.as_ref().and_then(|c| {
                let counts: BTreeMap<String, u32> = if name == "age" {
                    c.residents_by_age
                        .iter()
                        .map(|(b, n)| (b.as_str().to_owned(), *n))
                        .collect()
                } else {
                    c.households_by_tenure
                        .iter()
                        .map(|(t, n)| (t.as_str().to_owned(), *n))
                        .collect()
                };
                (!counts.is_empty()).then_some(counts)
            });
            match entered {
                Some(counts) => {
                    for (i, (group, _, _)) in kind.groups.iter().enumerate() {
                        census[i] += u64::from(counts.get(group).copied().unwrap_or(0));
                    }
                    with.push(patch.name.clone());
                }
                None => without.push(patch.name.clone()),
            }
        }
        let has_census = !with.is_empty();
        let census_known = has_census.then(|| census.iter().sum::<u64>());
        let contacts_known = figure(&mut withheld, format!("{name}.contacts_known"));
        let mut groups = Vec::new();
        for (i, (group, label, _)) in kind.groups.iter().enumerate() {
            let contacts = figure(&mut withheld, format!("{name}.groups.{i}.contacts"));
            let place = |f: &str| format!("{name}.groups.{i}.{f}");
            groups.push(BoardGroup {
                group: group.clone(),
                label: label.clone(),
                contacts,
                contacts_share_percent: publish(
                    &mut withheld,
                    place("contacts_share_percent"),
                    share(contacts, contacts_known),
                ),
                census: has_census.then_some(census[i]),
                census_share_percent: has_census
                    .then(|| share(Some(census[i]), census_known).ok())
                    .flatten(),
            });
        }
        let board = &board_tallies[k];
        let board_shown: Vec<Result<u64, Withheld>> = (0..3)
            .map(|s| {
                let place = if s < 2 {
                    format!("{name}.sides.{s}.board")
                } else {
                    format!("{name}.board_not_counted")
                };
                if m == 0 {
                    Err(Withheld::NotApplicable)
                } else if m < threshold {
                    Err(Withheld::Small)
                } else {
                    hidden.shown(&place, board[s].0).result()
                }
            })
            .collect();
        let both = match (&board_shown[0], &board_shown[1]) {
            (Ok(a), Ok(b)) => Some(a + b),
            _ => None,
        };
        let contact_sides: Vec<Option<u64>> = (0..2)
            .map(|s| figure(&mut withheld, format!("{name}.sides.{s}.contacts")))
            .collect();
        let contact_both = contact_sides[0].zip(contact_sides[1]).map(|(a, b)| a + b);
        let mut sides = Vec::new();
        for (s, (group, label)) in kind.sides.iter().enumerate() {
            let place = |f: &str| format!("{name}.sides.{s}.{f}");
            let board_count = publish(&mut withheld, place("board"), board_shown[s]);
            let board_share = match board_shown[s] {
                Err(why) => Err(why),
                Ok(_) => share(board_count, both),
            };
            let census_side: Option<u64> = has_census.then(|| {
                kind.groups
                    .iter()
                    .zip(&census)
                    .filter(|((_, _, first), _)| *first == (s == 0))
                    .map(|(_, n)| *n)
                    .sum()
            });
            sides.push(BoardSide {
                group: (*group).to_owned(),
                label: (*label).to_owned(),
                board: board_count,
                board_share_percent: publish(
                    &mut withheld,
                    place("board_share_percent"),
                    board_share,
                ),
                contacts: contact_sides[s],
                contacts_share_percent: publish(
                    &mut withheld,
                    place("contacts_share_percent"),
                    share(contact_sides[s], contact_both),
                ),
                census: census_side,
                census_share_percent: census_side.and_then(|c| share(Some(c), census_known).ok()),
            });
        }
        let board_not_counted = publish(
            &mut withheld,
            format!("{name}.board_not_counted"),
            board_shown[2],
        );
        breakdowns.push(BoardBreakdown {
            groups,
            sides,
            board_not_counted,
            contacts_known,
            census_known,
            census_patches: with,
            patches_without_census: without,
        });
    }
    let [age, tenure]: [BoardBreakdown; 2] = breakdowns
        .try_into()
        .unwrap_or_else(|_| unreachable!("two breakdowns"));

    // Resident definitions and hats: public for the board.
    let share_of = |n: u64, of: u64| (of > 0).then(|| n as f64 * 100.0 / of as f64);
    let resident_definitions = area
        .resident_definitions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let board = members
                .values()
                .filter(|(seat, _)| d.includes(&bases(&seat.residency)))
                .count() as u64;
            let place = format!("resident_definitions.{i}.contacts");
            let contacts = figure(&mut withheld, place.clone());
            BoardPublicRow {
                group: d.key.clone(),
                label: d.label.clone(),
                board,
                board_share_percent: share_of(board, m),
                contacts,
                contacts_share_percent: publish(
                    &mut withheld,
                    format!("{place}_share_percent"),
                    share(contacts, all_contacts),
                ),
            }
        })
        .collect();
    let hats = Hat::ALL
        .iter()
        .map(|hat| {
            let board = members
                .values()
                .filter(|(_, hats)| hats.contains(hat.as_str()))
                .count() as u64;
            BoardPublicRow {
                group: hat.as_str().to_owned(),
                label: crate::labels::hat(*hat).to_owned(),
                board,
                board_share_percent: share_of(board, m),
                contacts: None,
                contacts_share_percent: None,
            }
        })
        .collect();
    Board {
        suppressed_below: threshold,
        adjusted: hidden.is_adjusted(),
        members: m,
        contacts: all_contacts,
        age,
        tenure,
        resident_definitions,
        hats,
        withheld,
        page,
    }
}

impl Report for Board {
    const FILTERS: FilterUse = FilterUse::None;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::AgeBand, Dimension::Tenure];

    async fn load(db: &Db, _filters: &Filters, audience: Audience, now: Timestamp) -> Result<Self> {
        board(db, audience, now).await
    }

    /// One row per breakdown and group or side: the board (sides only),
    /// contacts and the census, with their shares; a hidden figure reads
    /// `<5`, `hidden` or `n/a`.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "breakdown",
                "group",
                "label",
                "board",
                "board_share_percent",
                "contacts",
                "contacts_share_percent",
                "census",
                "census_share_percent",
            ],
        );
        let pct = |p: Option<f64>| p.map(|p| format!("{p:.1}"));
        for (name, b) in [("age", &self.age), ("tenure", &self.tenure)] {
            let why = |place: String| self.withheld.get(&place).copied();
            for (i, g) in b.groups.iter().enumerate() {
                let place = |f: &str| format!("{name}.groups.{i}.{f}");
                csv.row([
                    name.to_owned(),
                    g.group.clone(),
                    g.label.clone(),
                    "not shown by group".to_owned(),
                    String::new(),
                    csv.figure(g.contacts, why(place("contacts"))),
                    csv.figure(
                        pct(g.contacts_share_percent),
                        why(place("contacts_share_percent")),
                    ),
                    Csv::optional(g.census),
                    Csv::optional(pct(g.census_share_percent)),
                ]);
            }
            for (s, side) in b.sides.iter().enumerate() {
                let place = |f: &str| format!("{name}.sides.{s}.{f}");
                csv.row([
                    name.to_owned(),
                    side.group.clone(),
                    side.label.clone(),
                    csv.figure(side.board, why(place("board"))),
                    csv.figure(
                        pct(side.board_share_percent),
                        why(place("board_share_percent")),
                    ),
                    csv.figure(side.contacts, why(place("contacts"))),
                    csv.figure(
                        pct(side.contacts_share_percent),
                        why(place("contacts_share_percent")),
                    ),
                    Csv::optional(side.census),
                    Csv::optional(pct(side.census_share_percent)),
                ]);
            }
        }
        for (name, rows) in [
            ("resident_definition", &self.resident_definitions),
            ("hat", &self.hats),
        ] {
            for (i, r) in rows.iter().enumerate() {
                let why = |f: &str| {
                    self.withheld
                        .get(&format!("resident_definitions.{i}.{f}"))
                        .copied()
                };
                let (contacts, share) = if name == "hat" {
                    (String::new(), String::new())
                } else {
                    (
                        csv.figure(r.contacts, why("contacts")),
                        csv.figure(pct(r.contacts_share_percent), why("contacts_share_percent")),
                    )
                };
                csv.row([
                    name.to_owned(),
                    r.group.clone(),
                    r.label.clone(),
                    r.board.to_string(),
                    Csv::optional(pct(r.board_share_percent)),
                    contacts,
                    share,
                    String::new(),
                    String::new(),
                ]);
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

    fn area() -> AreaConfig {
        let zero = Timestamp::from_millis(0);
        let mut area = AreaConfig::new_default(
            sync_core::DocId::new(zero),
            "north-estate",
            "North Estate",
            sync_core::DeviceId::new(zero),
            zero,
        );
        for (id, census) in [("elm", true), ("oak", false)] {
            area.patches.push(sync_core::PatchConfig {
                id: id.into(),
                name: id.to_uppercase(),
                households: 100,
                census: census.then(|| sync_core::Census {
                    residents_by_age: sync_core::Census::adult_bands().map(|b| (b, 100)).collect(),
                    households_by_tenure: [(Tenure::Owner, 60), (Tenure::SocialRent, 40)].into(),
                }),
            });
        }
        area
    }

    fn seat(person: &str, age: &str, tenure: &str, hats: &str) -> BoardSeat {
        BoardSeat {
            person: person.to_owned(),
            age_band: Some(age.to_owned()),
            tenure: Some(tenure.to_owned()),
            residency: "lives".to_owned(),
            hats: hats.to_owned(),
            record_key: 12_345,
        }
    }

    fn everyone() -> Vec<ContactGroup> {
        let group = |age: &str, tenure: &str, people: i64| ContactGroup {
            age_band: Some(age.to_owned()),
            tenure: Some(tenure.to_owned()),
            residency: "lives".to_owned(),
            people,
            key_sum: people * 1000,
        };
        vec![
            group("18-24", "private-rent", 40),
            group("35-44", "social-rent", 30),
            group("55-64", "owner", 20),
            group("75+", "owner", 10),
        ]
    }

    #[test]
    fn the_board_beside_everyone_contacted_and_the_census() {
        let mut seats: Vec<BoardSeat> = (0..6)
            .map(|i| seat(&format!("old{i}"), "65-74", "owner", ""))
            .collect();
        seats.extend((0..5).map(|i| seat(&format!("young{i}"), "25-34", "social-rent", "")));
        // A member who is also chair, as a councillor: one member.
        seats.push(seat("old0", "65-74", "owner", "councillor"));
        let r = board_from(
            &area(),
            Suppression::default(),
            Audience::Exact,
            &seats,
            &everyone(),
        );
        assert_eq!(r.members, 11);
        assert_eq!(r.contacts, Some(100));
        assert_eq!(r.age.sides[1].board, Some(6));
        assert_eq!(r.age.sides[0].board, Some(5));
        let share = r.age.sides[1].board_share_percent.unwrap();
        assert!((share - 600.0 / 11.0).abs() < 1e-9);
        assert_eq!(r.age.sides[1].contacts, Some(30));
        assert_eq!(r.age.sides[1].contacts_share_percent, Some(30.0));
        // The census: 3 of 7 adult bands are 55 or over, each 100.
        assert_eq!(r.age.sides[1].census, Some(300));
        let census = r.age.sides[1].census_share_percent.unwrap();
        assert!((census - 300.0 / 7.0).abs() < 1e-9);
        assert_eq!(r.age.census_patches, vec!["ELM".to_owned()]);
        assert_eq!(r.age.patches_without_census, vec!["OAK".to_owned()]);
        assert_eq!(r.tenure.sides[0].census_share_percent, Some(60.0));
        assert_eq!(r.hats[0].group, "councillor");
        assert_eq!(r.hats[0].board, 1);
        assert_eq!(r.resident_definitions[0].board, 11);
        assert!(
            r.to_csv()
                .contains("age,55-and-over,55 and over,6,54.5,30,30.0,300,42.9")
        );
    }

    #[test]
    fn one_young_member_is_never_given_away() {
        let mut seats: Vec<BoardSeat> = (0..8)
            .map(|i| seat(&format!("old{i}"), "65-74", "owner", ""))
            .collect();
        seats.push(seat("young", "18-24", "private-rent", ""));
        for audience in [Audience::Exact, Audience::Adjusted] {
            let r = board_from(
                &area(),
                Suppression::default(),
                audience,
                &seats,
                &everyone(),
            );
            assert_eq!(r.members, 9, "public: exact");
            assert_eq!(r.age.sides[0].board, None);
            assert_eq!(r.withheld["age.sides.0.board"], Withheld::Small);
            assert_eq!(r.age.sides[1].board, None, "9 - 8 would give it away");
            assert_eq!(r.tenure.sides[1].board, None);
            assert_eq!(r.tenure.sides[0].board, None);
            assert_eq!(r.age.sides[0].board_share_percent, None);
        }
        // A board of four shows neither side at all.
        let r = board_from(
            &area(),
            Suppression::default(),
            Audience::Exact,
            &seats[4..],
            &everyone(),
        );
        assert_eq!(r.members, 5);
        let r = board_from(
            &area(),
            Suppression::default(),
            Audience::Exact,
            &seats[5..],
            &everyone(),
        );
        assert_eq!(r.members, 4);
        assert_eq!(r.withheld["age.sides.1.board"], Withheld::Small);
        assert!(r.page.figures().all(|(key, _)| !key.contains("board")));
    }
}
