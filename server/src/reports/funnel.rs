//! The engagement funnel and the progression routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::{Ladder, Timestamp};

use super::disclosure::{Cell, Page, Shown, Withheld, publish};
use super::{
    Audience, Csv, Dimension, FilterUse, Filters, Report, Setup, Suppression, median_and_p90,
};
use crate::error::Result;
use crate::store::{Db, report_rows};

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
    /// Median whole days from the previous stage to this one.
    pub median_days_from_previous: Option<f64>,
    /// 90th percentile (nearest rank) of the whole days from the previous stage.
    pub p90_days_from_previous: Option<f64>,
    /// People who went through it: held it themselves (came to an event,
    /// volunteered, joined a working group ...), not only reached it by
    /// going past it to a higher stage.
    pub through: Option<u64>,
    /// Of them, people who also went through the next stage.
    pub through_next: Option<u64>,
    /// Their share (0 to 1): conversion along the path people really took.
    pub through_conversion: Option<f64>,
}

/// The engagement funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Whether the counts are adjusted by the cell key method (for
    /// viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// The stages, first first.
    pub stages: Vec<FunnelStage>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`stages.2.drop_off`): `small` (from 1 to the threshold
    /// less one), `protects` (hidden so that a small one cannot be worked
    /// out from the figures shown) or `not-applicable`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// Computes the funnel for the people matching `filters`.
pub async fn funnel(db: &Db, filters: &Filters, audience: Audience) -> Result<Funnel> {
    funnel_with(db, filters, audience, true).await
}

/// The funnel, with the days between stages only if `days_between_stages`
/// (a join of every person chosen to their stages: most of the funnel's
/// time for a period, and not among its headline figures).
async fn funnel_with(
    db: &Db,
    filters: &Filters,
    audience: Audience,
    days_between_stages: bool,
) -> Result<Funnel> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    let rows = if days_between_stages {
        report_rows::stage_gaps(db, &people).await?
    } else {
        Vec::new()
    };
    // Viewers' figures are adjusted by the record keys of the people in
    // each cell.
    let keyed = audience == Audience::Adjusted;
    let patterns = report_rows::stage_patterns(db, &people, keyed).await?;
    Ok(funnel_from(
        &setup.ladder,
        setup.suppression,
        audience,
        rows.into_iter()
            .map(|(stage, days, n)| (stage, days, n as u64)),
        patterns
            .into_iter()
            .map(|(highest, held, n, keys)| (highest, held, n as u64, keys as u64)),
    ))
}

/// People with one pattern of stages: the highest reached, the stages
/// held by their own evidence (bit `i` for stage `i`), how many, and the
/// sum of their record keys.
type Pattern = (usize, u64, u64, u64);

/// The figures the funnel publishes, as sums of people by pattern (the
/// highest stage reached, and the stages held themselves): reached is
/// the patterns at that stage or above (reaching a stage means reaching
/// every stage below it), stopped here those at it; through the patterns
/// holding it, and through the next those holding it and the next.
fn funnel_page(stages: usize, patterns: &[Pattern]) -> Page {
    let mut page = Page::new();
    let cells: Vec<(usize, u64, Cell)> = patterns
        .iter()
        .map(|(highest, held, n, keys)| (*highest, *held, page.keyed_cell(*n, *keys)))
        .collect();
    let which = |keep: &dyn Fn(usize, u64) -> bool| -> Vec<Cell> {
        cells
            .iter()
            .filter(|(h, held, _)| keep(*h, *held))
            .map(|(_, _, c)| *c)
            .collect()
    };
    for i in 0..stages {
        let bit = 1u64 << i;
        let both = bit | bit << 1;
        page.figure(format!("stages.{i}.reached"), &which(&|h, _| h >= i));
        page.figure(format!("stages.{i}.drop_off"), &which(&|h, _| h == i));
        page.figure(
            format!("stages.{i}.through"),
            &which(&|_, held| held & bit != 0),
        );
        if i + 1 < stages {
            page.figure(
                format!("stages.{i}.through_next"),
                &which(&|_, held| held & both == both),
            );
        }
    }
    page
}

/// A share of two figures shown, or why it is not.
fn share(of: Shown, part: Option<Shown>) -> std::result::Result<f64, Withheld> {
    match (of, part) {
        (_, None) | (Shown::Count(0), _) => Err(Withheld::NotApplicable),
        // Adjusted counts can make the part look the larger.
        (Shown::Count(from), Some(Shown::Count(to))) => Ok((to as f64 / from as f64).min(1.0)),
        _ => Err(Withheld::Protects),
    }
}

/// The funnel from (stage, whole days from the previous stage, people)
/// rows and the people per pattern of stages (highest stage reached,
/// stages held as bits, people, their record keys).
pub(super) fn funnel_from(
    ladder: &Ladder,
    suppression: Suppression,
    audience: Audience,
    rows: impl Iterator<Item = (i64, Option<i64>, u64)>,
    patterns: impl Iterator<Item = (i64, i64, u64, u64)>,
) -> Funnel {
    let n = ladder.stages().len();
    let mut gaps: Vec<BTreeMap<i64, u64>> = vec![BTreeMap::new(); n];
    for (stage, days, count) in rows {
        let Some(stage) = usize::try_from(stage).ok().filter(|s| *s < n) else {
            continue;
        };
        if let Some(days) = days {
            *gaps[stage].entry(days).or_default() += count;
        }
    }
    // Stages beyond the ladder (a ladder shortened since) are not held.
    let mask = (1u64 << n) - 1;
    let patterns: Vec<Pattern> = patterns
        .filter_map(|(highest, held, people, keys)| {
            let highest = usize::try_from(highest).ok().filter(|h| *h < n)?;
            Some((highest, held as u64 & mask, people, keys))
        })
        .collect();
    let count = |keep: &dyn Fn(usize, u64) -> bool| -> u64 {
        patterns
            .iter()
            .filter(|(h, held, _, _)| keep(*h, *held))
            .map(|(_, _, people, _)| people)
            .sum()
    };
    let reached: Vec<u64> = (0..n).map(|i| count(&|h, _| h >= i)).collect();
    let through: Vec<u64> = (0..n)
        .map(|i| count(&|_, held| held & (1 << i) != 0))
        .collect();
    let through_next: Vec<u64> = (0..n)
        .map(|i| {
            let both = 3u64 << i;
            count(&|_, held| held & both == both)
        })
        .collect();
    let page = funnel_page(n, &patterns);
    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut stages = Vec::with_capacity(n);
    for (i, stage) in ladder.stages().iter().enumerate() {
        let place = |field: &str| format!("stages.{i}.{field}");
        let count = hidden.shown(&place("reached"), reached[i]);
        let next =
            (i + 1 < n).then(|| hidden.shown(&format!("stages.{}.reached", i + 1), reached[i + 1]));
        let stopped = reached[i].saturating_sub(reached.get(i + 1).copied().unwrap_or(0));
        let drop_off = hidden.shown(&place("drop_off"), stopped);
        let conversion = share(count, next);
        let held = hidden.shown(&place("through"), through[i]);
        let held_next = (i + 1 < n).then(|| hidden.shown(&place("through_next"), through_next[i]));
        let through_conversion = share(held, held_next);
        let histogram: Vec<(i64, u64)> = gaps[i].iter().map(|(d, c)| (*d, *c)).collect();
        let timed: u64 = histogram.iter().map(|(_, c)| c).sum();
        let (median, p90) = match timed {
            0 => (Err(Withheld::NotApplicable), Err(Withheld::NotApplicable)),
            _ if timed < suppression.below() => (Err(Withheld::Small), Err(Withheld::Small)),
            _ => {
                let (median, p90) = median_and_p90(&histogram);
                (
                    median.ok_or(Withheld::NotApplicable),
                    p90.ok_or(Withheld::NotApplicable),
                )
            }
        };
        let w = &mut withheld;
        stages.push(FunnelStage {
            key: stage.key.clone(),
            label: stage.label.clone(),
            reached: publish(w, place("reached"), count.result()),
            conversion_to_next: publish(w, place("conversion_to_next"), conversion),
            drop_off: publish(w, place("drop_off"), drop_off.result()),
            median_days_from_previous: publish(w, place("median_days_from_previous"), median),
            p90_days_from_previous: publish(w, place("p90_days_from_previous"), p90),
            through: publish(w, place("through"), held.result()),
            through_next: publish(
                w,
                place("through_next"),
                held_next.map_or(Err(Withheld::NotApplicable), Shown::result),
            ),
            through_conversion: publish(w, place("through_conversion"), through_conversion),
        });
    }
    Funnel {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        stages,
        withheld,
        page,
    }
}

impl Report for Funnel {
    const FILTERS: FilterUse = FilterUse::People;

    async fn load(db: &Db, filters: &Filters, audience: Audience, _now: Timestamp) -> Result<Self> {
        funnel(db, filters, audience).await
    }

    /// Its headline figures are the people reaching each stage: the days
    /// between stages are left out.
    async fn load_headlines(
        db: &Db,
        filters: &Filters,
        audience: Audience,
        _now: Timestamp,
    ) -> Result<Self> {
        funnel_with(db, filters, audience, false).await
    }

    fn disclosure_page(&self) -> Option<&Page> {
        Some(&self.page)
    }

    fn is_adjusted(&self) -> bool {
        self.adjusted
    }

    /// The funnel as CSV; a hidden figure reads `<5` (small), `hidden`
    /// (protects a small one) or `n/a` (does not apply).
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "stage",
                "label",
                "reached",
                "conversion_to_next",
                "drop_off",
                "median_days_from_previous",
                "p90_days_from_previous",
                "through",
                "through_next",
                "through_conversion",
            ],
        );
        for (i, s) in self.stages.iter().enumerate() {
            let why = |field: &str| self.withheld.get(&format!("stages.{i}.{field}")).copied();
            let fields = [
                s.key.clone(),
                s.label.clone(),
                csv.figure(s.reached, why("reached")),
                csv.figure(
                    s.conversion_to_next.map(|c| format!("{c:.4}")),
                    why("conversion_to_next"),
                ),
                csv.figure(s.drop_off, why("drop_off")),
                csv.figure(
                    s.median_days_from_previous,
                    why("median_days_from_previous"),
                ),
                csv.figure(s.p90_days_from_previous, why("p90_days_from_previous")),
                csv.figure(s.through, why("through")),
                csv.figure(s.through_next, why("through_next")),
                csv.figure(
                    s.through_conversion.map(|c| format!("{c:.4}")),
                    why("through_conversion"),
                ),
            ];
            csv.row(fields);
        }
        csv.finish()
    }
}

/// How many people went from an entry channel to a highest stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Route {
    /// How they first came to us.
    pub entry_channel: String,
    /// The highest stage they reached.
    pub highest_stage: String,
    /// How many (`null`: suppressed).
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
    /// Counts below this are hidden.
    pub suppressed_below: u64,
    /// Whether the counts are adjusted by the cell key method (for
    /// viewers; see PRIVACY.md): then they may not add up exactly.
    pub adjusted: bool,
    /// Every (channel, highest stage) pair with anyone in it, by channel
    /// then stage. A channel's routes add up to its people.
    pub routes: Vec<Route>,
    /// Per channel, how many reached the top stage.
    pub by_channel: Vec<ChannelOutcome>,
    /// Why each figure that is `null` is missing, by its place in this
    /// document (`routes.3.people`, `by_channel.0.reached_top`): `small`,
    /// `protects` or `not-applicable`.
    pub withheld: BTreeMap<String, Withheld>,
    /// The figures' relations and true counts, for auditing; never
    /// published.
    #[serde(skip)]
    pub page: Page,
}

/// Computes the progression routes for the people matching `filters`.
pub async fn routes(db: &Db, filters: &Filters, audience: Audience) -> Result<Routes> {
    let setup = Setup::load(db).await?;
    let people = setup.people(db, filters, audience).await?;
    let keyed = audience == Audience::Adjusted;
    let rows = report_rows::routes(db, &people, keyed).await?;
    Ok(routes_from(
        &setup.ladder,
        setup.suppression,
        audience,
        rows.iter()
            .map(|(c, h, n, keys)| (c.as_str(), *h as usize, *n as u64, *keys as u64)),
    ))
}

/// The routes from (entry channel, highest stage index, people, their
/// record keys) rows. The
/// page's cells are the routes (pairs nobody took are not listed, so are
/// known to be none); a channel's people add up its routes, and those who
/// reached the top are its route to the top stage.
pub(super) fn routes_from<'a>(
    ladder: &Ladder,
    suppression: Suppression,
    audience: Audience,
    rows: impl Iterator<Item = (&'a str, usize, u64, u64)>,
) -> Routes {
    let stages = ladder.stages();
    let top = stages.len().saturating_sub(1);
    let mut channels: BTreeMap<String, BTreeMap<usize, u64>> = BTreeMap::new();
    let mut keys: BTreeMap<(String, usize), u64> = BTreeMap::new();
    for (channel, highest, n, sum) in rows {
        if highest < stages.len() {
            *channels
                .entry(channel.to_owned())
                .or_default()
                .entry(highest)
                .or_default() += n;
            let k = keys.entry((channel.to_owned(), highest)).or_default();
            *k = k.wrapping_add(sum);
        }
    }
    let mut page = Page::new();
    let mut route_cells = Vec::new();
    for (j, (channel, counts)) in channels.iter().enumerate() {
        let mut mine = Vec::new();
        for (stage, n) in counts {
            let sum = keys.get(&(channel.clone(), *stage)).copied().unwrap_or(0);
            let cell = page.keyed_cell(*n, sum);
            page.figure(format!("routes.{}.people", route_cells.len()), &[cell]);
            if *stage == top {
                page.figure(format!("by_channel.{j}.reached_top"), &[cell]);
            }
            route_cells.push(cell);
            mine.push(cell);
        }
        page.figure(format!("by_channel.{j}.people"), &mine);
        if !counts.contains_key(&top) {
            page.figure(format!("by_channel.{j}.reached_top"), &[]);
        }
    }
    let hidden = page.protect(suppression.below(), audience);
    let mut withheld = BTreeMap::new();
    let mut routes = Vec::new();
    let mut by_channel = Vec::new();
    for (j, (channel, counts)) in channels.into_iter().enumerate() {
        for (stage, n) in &counts {
            let place = format!("routes.{}.people", routes.len());
            let people = publish(
                &mut withheld,
                place.clone(),
                hidden.shown(&place, *n).result(),
            );
            routes.push(Route {
                entry_channel: channel.clone(),
                highest_stage: stages[*stage].key.clone(),
                people,
            });
        }
        let total: u64 = counts.values().sum();
        let at_top = counts.get(&top).copied().unwrap_or(0);
        let people_place = format!("by_channel.{j}.people");
        let top_place = format!("by_channel.{j}.reached_top");
        let people = hidden.shown(&people_place, total);
        let reached_top = hidden.shown(&top_place, at_top);
        let share = match (people, reached_top) {
            (Shown::Count(0), _) => Err(Withheld::NotApplicable),
            (Shown::Count(p), Shown::Count(t)) => Ok((t as f64 / p as f64).min(1.0)),
            (Shown::Withheld(Withheld::Small), _) | (_, Shown::Withheld(Withheld::Small)) => {
                Err(Withheld::Small)
            }
            _ => Err(Withheld::Protects),
        };
        by_channel.push(ChannelOutcome {
            entry_channel: channel,
            people: publish(&mut withheld, people_place, people.result()),
            reached_top: publish(&mut withheld, top_place, reached_top.result()),
            share_reaching_top: publish(
                &mut withheld,
                format!("by_channel.{j}.share_reaching_top"),
                share,
            ),
        });
    }
    Routes {
        suppressed_below: suppression.below(),
        adjusted: hidden.is_adjusted(),
        routes,
        by_channel,
        withheld,
        page,
    }
}

impl Report for Routes {
    const FILTERS: FilterUse = FilterUse::People;
    const BREAKDOWNS: &'static [Dimension] = &[Dimension::EntryChannel];

    async fn load(db: &Db, filters: &Filters, audience: Audience, _now: Timestamp) -> Result<Self> {
        routes(db, filters, audience).await
    }

    /// The routes as CSV; a hidden figure reads `<5` (small), `hidden`
    /// (protects a small one) or `n/a`.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &["entry_channel", "highest_stage", "people"],
        );
        for (i, r) in self.routes.iter().enumerate() {
            let why = self.withheld.get(&format!("routes.{i}.people")).copied();
            let fields = [
                r.entry_channel.clone(),
                r.highest_stage.clone(),
                csv.figure(r.people, why),
            ];
            csv.row(fields);
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
    use sync_core::{Stage, StageRule};

    fn two_stages() -> Ladder {
        Ladder::new(vec![
            Stage {
                key: "met".into(),
                label: "Met".into(),
                rule: StageRule::Contacted,
            },
            Stage {
                key: "came".into(),
                label: "Came".into(),
                rule: StageRule::Participant,
            },
        ])
        .unwrap()
    }

    #[test]
    fn small_counts_and_what_is_derived_from_them_are_suppressed() {
        // 8 people met, 3 of them came a day later.
        let rows = [(0, None, 8), (1, Some(1), 3)];
        let funnel = funnel_from(
            &two_stages(),
            Suppression::default(),
            Audience::Exact,
            rows.into_iter(),
            [(0, 0b01, 5, 0), (1, 0b11, 3, 0)].into_iter(),
        );
        assert_eq!(funnel.stages[0].reached, Some(8));
        assert_eq!(funnel.stages[1].reached, None, "3 is below the threshold");
        assert_eq!(
            funnel.stages[0].conversion_to_next, None,
            "it would reveal the 3"
        );
        assert_eq!(funnel.stages[1].median_days_from_previous, None);
        assert!(funnel.to_csv().contains("came,Came,<5"));
        // A higher threshold hides more.
        let rows = [(0, None, 8), (1, Some(1), 6)];
        let funnel = funnel_from(
            &two_stages(),
            Suppression::new(7),
            Audience::Exact,
            rows.into_iter(),
            [(0, 0b01, 2, 0), (1, 0b11, 6, 0)].into_iter(),
        );
        assert_eq!(funnel.stages[1].reached, None);
        assert!(funnel.to_csv().contains("came,Came,<7"));
    }

    #[test]
    fn through_counts_only_the_stages_people_held_themselves() {
        // On the default ladder: 30 only contacted; 10 spoke with us; 20
        // came straight to an event (conversation and interest implied);
        // 8 went step by step to taking part.
        let patterns = [
            (0, 0b0001, 30, 0),
            (1, 0b0011, 10, 0),
            (3, 0b1001, 20, 0),
            (3, 0b1111, 8, 0),
        ];
        let funnel = funnel_from(
            &Ladder::default(),
            Suppression::default(),
            Audience::Exact,
            std::iter::empty(),
            patterns.into_iter(),
        );
        let conversation = &funnel.stages[1];
        assert_eq!(conversation.reached, Some(38));
        assert_eq!(conversation.through, Some(18));
        assert_eq!(conversation.through_next, Some(8), "held it and interest");
        assert_eq!(conversation.through_conversion, Some(8.0 / 18.0));
        assert_eq!(conversation.conversion_to_next, Some(28.0 / 38.0));
        assert_eq!(funnel.stages[3].through, Some(28));
        assert_eq!(funnel.stages[3].through_next, Some(0));
        assert_eq!(funnel.stages[4].through_conversion, None, "nobody held it");
        assert_eq!(
            funnel.withheld["stages.7.through_next"],
            Withheld::NotApplicable,
            "the top stage has no next"
        );
        assert!(funnel.to_csv().contains(",18,8,0.4444\n"));
    }

    #[test]
    fn a_channel_with_one_small_route_hides_another() {
        let rows = [
            ("doorstep", 0, 30, 0),
            ("doorstep", 1, 2, 0),
            ("event", 1, 9, 0),
        ];
        let routes = routes_from(
            &two_stages(),
            Suppression::default(),
            Audience::Exact,
            rows.into_iter(),
        );
        let doorstep: Vec<Option<u64>> = routes
            .routes
            .iter()
            .filter(|r| r.entry_channel == "doorstep")
            .map(|r| r.people)
            .collect();
        assert_eq!(doorstep, vec![None, None]);
        assert_eq!(routes.withheld["routes.1.people"], Withheld::Small);
        assert_eq!(routes.withheld["routes.0.people"], Withheld::Protects);
        assert_eq!(routes.by_channel[0].people, Some(32));
        assert_eq!(routes.by_channel[1].share_reaching_top, Some(1.0));
        assert!(routes.to_csv().contains("doorstep,met,hidden"));
        assert!(routes.to_csv().contains("doorstep,came,<5"));
    }
}
