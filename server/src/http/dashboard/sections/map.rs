//! The map page: the map of patches and, beside it, a table of the same
//! figures for screen readers and for anyone who prefers numbers.

use super::{Section, Show, Tabulate, thousands};
use crate::http::dashboard::map_chart;
use crate::reports;

pub(super) fn map(r: &reports::PatchMap) -> Vec<Section> {
    let show = Show {
        below: r.suppressed_below,
    };
    let mut t = Tabulate::new(
        "map",
        "Per patch: the shade, and the doors",
        "Patch",
        &[
            (
                "households_contacted_per_1000",
                "Households contacted per 1,000 households (the shade)",
            ),
            ("shade", "Shade"),
            ("households_contacted", "Households contacted"),
            ("households", "Households"),
            ("doors_knocked", "Doors knocked"),
            ("doors_not_knocked", "Doors not yet knocked"),
            ("doors_listed", "Doors on the list"),
            (
                "doors_without_location",
                "Doors with no location (not on the map)",
            ),
        ],
    );
    for (i, p) in r.patches.iter().enumerate() {
        let why = |field: &str| r.withheld.get(&format!("patches.{i}.{field}")).copied();
        let rate_why = why("households_contacted_per_1000_households");
        let rate = p.households_contacted_per_1000_households;
        t.row(
            &p.patch,
            p.label.clone(),
            vec![
                show.derived(rate.map(|v| format!("{v:.1}")), rate_why),
                map_chart::shade(rate, rate_why).1.to_owned(),
                show.figure(p.households_contacted, why("households_contacted")),
                p.households
                    .map_or_else(|| "not set".to_owned(), |h| thousands(u64::from(h))),
                thousands(p.doors_knocked),
                thousands(p.doors_not_knocked),
                thousands(p.doors_listed),
                thousands(p.doors_without_location),
            ],
        );
    }
    let mut note = String::from(
        "Each patch is drawn around its doors and shaded by the households contacted per 1,000 \
         households, the same figure as on Reach (people first contacted in the period); doors \
         knocked are those knocked in the period, as on Doors. Choose a patch to open Reach for it.",
    );
    if r.doors_without_location > 0 {
        note.push(' ');
        note.push_str(&map_chart::unplaced_words(r.doors_without_location));
    }
    note.push_str(if r.doors_drawn {
        " Each door is drawn (filled: knocked in the period; hollow: not yet): admins only see this."
    } else {
        " Which doors were knocked is not shown here: it is door-by-door detail, for admins only."
    });
    let mut section = t.section("Map of patches", note, map_chart::map("map-chart", r));
    section.svg_href = Some(String::new());
    vec![section]
}
