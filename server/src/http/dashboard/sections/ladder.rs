//! The ladder's pages: the funnel and the progression routes.

use sync_core::Ladder;

use super::charts;
use super::{Chart, Section, Show, Tabulate, f};
use crate::error::Error;
use crate::reports;

/// Reached and through, in plain words.
const THROUGH: &str = "Reached counts everyone at a step or past it: someone who went from a \
conversation straight onto the partnership has reached every step in between. Through counts \
only the people who took that step themselves (came to an event, volunteered, joined a working \
group), and \"went on through the next\" (of them, those who took the next step themselves too) \
follows the path people really took, step by step.";

pub(super) fn funnel(r: &reports::Funnel) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let mut t = Tabulate::new(
        "funnel",
        "People per stage of the ladder",
        "Stage",
        &[
            ("reached", "Reached"),
            ("conversion", "Went on to the next stage"),
            ("drop_off", "Stopped here"),
            ("median_days", "Typical time from the stage before"),
            ("p90_days", "Nine in ten took at most"),
            ("through", "Through (did it themselves)"),
            ("through_conversion", "Went on through the next"),
        ],
    );
    t.in_days("median_days", "Median days from the stage before");
    t.in_days("p90_days", "90% took at most (days)");
    for (i, s) in r.stages.iter().enumerate() {
        let why = |field: &str| r.withheld.get(&format!("stages.{i}.{field}")).copied();
        let texts = vec![
            show.figure(s.reached, why("reached")),
            show.derived(
                s.conversion_to_next.map(|v| format!("{:.1}%", v * 100.0)),
                why("conversion_to_next"),
            ),
            show.figure(s.drop_off, why("drop_off")),
            show.derived(
                s.median_days_from_previous
                    .map(crate::calendar::duration_words),
                why("median_days_from_previous"),
            ),
            show.derived(
                s.p90_days_from_previous
                    .map(crate::calendar::duration_words),
                why("p90_days_from_previous"),
            ),
            show.figure(s.through, why("through")),
            show.derived(
                s.through_conversion.map(|v| format!("{:.1}%", v * 100.0)),
                why("through_conversion"),
            ),
        ];
        // The bar says how many went on; the table, how long it took.
        let mut text = texts[0].clone();
        if s.conversion_to_next.is_some() {
            text.push_str(&format!(", {} went on", texts[1]));
        }
        t.row(&s.key, s.label.clone(), texts);
        t.days("median_days", s.median_days_from_previous);
        t.days("p90_days", s.p90_days_from_previous);
        t.bar(s.label.clone(), vec![f(s.reached)], text);
        t.drill(
            "funnel",
            "stage",
            &s.key,
            format!("{}: show the funnel for the people who reached it", s.label),
        );
    }
    Ok(vec![t.with_bars(
        "Funnel",
        THROUGH.to_owned(),
        Chart {
            title: "People reaching each stage",
            desc: "Horizontal bars, one per stage of the ladder from first contact to leadership; the table beside gives the figures.",
            series: &["people"],
        },
    )?])
}

pub(super) fn routes(r: &reports::Routes, ladder: &Ladder) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let label_of = |key: &str| {
        ladder
            .stages()
            .iter()
            .find(|s| s.key == key)
            .map_or_else(|| key.to_owned(), |s| s.label.clone())
    };
    let mut t = Tabulate::new(
        "routes",
        "People by entry channel and highest stage reached",
        "Route",
        &[("people", "People")],
    );
    let mut links = Vec::new();
    for (i, route) in r.routes.iter().enumerate() {
        let stage = label_of(&route.highest_stage);
        let why = r.withheld.get(&format!("routes.{i}.people")).copied();
        let channel = crate::labels::channel_text(&route.entry_channel);
        t.row(
            &format!("{}.{}", route.entry_channel, route.highest_stage),
            format!("{channel} to {stage}"),
            vec![show.figure(route.people, why)],
        );
        if let Some(n) = route.people {
            links.push((channel, stage, n));
        }
    }
    // Each stage on the right opens Routes for the people who reached it.
    let targets: Vec<(String, Option<(String, String)>)> = ladder
        .stages()
        .iter()
        .map(|s| {
            let href = super::drill_href("routes", "stage", &s.key);
            let name = format!("{}: show Routes for the people who reached it", s.label);
            (s.label.clone(), Some((href, name)))
        })
        .collect();
    let flow = charts::flow(
        "routes-chart",
        "Routes from entry channel to highest stage",
        "A flow chart: entry channels on the left, highest stage reached on the right; band widths are people. Hidden small groups are not drawn; the table lists every route.",
        &targets,
        &links,
    )?;
    let mut c = Tabulate::new(
        "channels",
        "How far people from each channel got",
        "Entry channel",
        &[
            ("people", "People"),
            ("reached_top", "Reached the top stage"),
            ("share", "Share reaching the top"),
        ],
    );
    for (j, ch) in r.by_channel.iter().enumerate() {
        let why = |field: &str| r.withheld.get(&format!("by_channel.{j}.{field}")).copied();
        let share = show.derived(
            ch.share_reaching_top.map(|v| format!("{:.1}%", v * 100.0)),
            why("share_reaching_top"),
        );
        let channel = crate::labels::channel_text(&ch.entry_channel);
        c.row(
            &ch.entry_channel,
            channel.clone(),
            vec![
                show.figure(ch.people, why("people")),
                show.figure(ch.reached_top, why("reached_top")),
                share.clone(),
            ],
        );
        c.bar(
            channel.clone(),
            vec![ch.share_reaching_top.map(|s| s * 100.0)],
            share,
        );
        c.drill(
            "routes",
            "channel",
            &ch.entry_channel,
            format!("{channel}: show Routes for this entry channel"),
        );
    }
    Ok(vec![
        t.section("Progression routes", String::new(), flow),
        c.with_bars(
            "Which routes lead to leadership",
            String::new(),
            Chart {
                title: "Share of each channel reaching the top stage",
                desc: "Horizontal bars, one per entry channel, of the share reaching the top of the ladder.",
                series: &["share reaching the top"],
            },
        )?,
    ])
}
