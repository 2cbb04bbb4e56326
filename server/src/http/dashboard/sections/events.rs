//! The events page: do events reach new people, or the same ones?

use super::{Chart, Section, Show, Tabulate, f, thousands};
use crate::error::Error;
use crate::reports;

/// What every figure on the page means, in plain words.
const EXPLAINED: &str = "Events held are those that have started and were not cancelled. \
Headcount is the people an event's organisers counted without signing each up (a fun day's \
crowd), added up over the events where a count was taken (how many is in brackets): it is a \
tally, not people we hold records of, so it is shown exactly and never added to the names. \
Attendances are the people recorded by name at each event, each once per event: someone at \
three training sessions is three attendances. First time: it was their first event ever; \
returning: they had been to one before. Holding a role: when they came they already held a \
seat or an office on the partnership, or were in a working group, so a high share means the \
event drew the people already involved.";

pub(super) fn events(r: &reports::EventReach) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let columns = [
        ("events", "Events held"),
        ("headcount", "Headcount (events counted)"),
        ("attendees", "Attendances"),
        ("first_time", "First time"),
        ("returning", "Returning"),
        ("share_first_time", "Share first time"),
        ("holding_role", "Holding a role"),
        ("share_holding_role", "Share holding a role"),
    ];
    let texts = |place: &str, g: &reports::EventGroup| {
        let why = |field: &str| r.withheld.get(&format!("{place}.{field}")).copied();
        let share = |v: Option<f64>, field: &str| {
            show.derived(v.map(|s| format!("{:.1}%", s * 100.0)), why(field))
        };
        vec![
            thousands(g.events),
            if g.events_counted == 0 {
                "not counted".to_owned()
            } else {
                format!(
                    "{} ({})",
                    thousands(g.headcount),
                    thousands(g.events_counted)
                )
            },
            show.figure(g.attendees, why("attendees")),
            show.figure(g.first_time, why("first_time")),
            show.figure(g.returning, why("returning")),
            share(g.share_first_time, "share_first_time"),
            show.figure(g.holding_role, why("holding_role")),
            share(g.share_holding_role, "share_holding_role"),
        ]
    };
    let mut kinds = Tabulate::new(
        "kinds",
        "Events held, headcounts and attendances per kind of event",
        "Kind of event",
        &columns,
    );
    for (i, g) in r.by_kind.iter().enumerate() {
        let texts = texts(&format!("by_kind.{i}"), g);
        // The bar is the attendances, first time then returning.
        let text = texts[2].clone();
        kinds.row(&g.key, g.label.clone(), texts);
        kinds.bar(g.label.clone(), vec![f(g.first_time), f(g.returning)], text);
    }
    kinds.row("all", "Every event", texts("all", &r.all));
    let mut months = Tabulate::new(
        "months",
        "Events held, headcounts and attendances per month, the past twelve months (UTC)",
        "Month",
        &columns,
    );
    for (k, g) in r.by_month.iter().enumerate() {
        let texts = texts(&format!("by_month.{k}"), g);
        // The bar is the attendances, first time then returning.
        let text = texts[2].clone();
        months.row(&g.key, g.label.clone(), texts);
        months.bar(g.label.clone(), vec![f(g.first_time), f(g.returning)], text);
    }
    Ok(vec![
        kinds.with_bars(
            "New faces or the same faces, by kind of event",
            EXPLAINED.to_owned(),
            Chart {
                title: "First-time and returning attendances per kind of event",
                desc: "Stacked horizontal bars per kind of event: attendances by people at their first event, then by people who had been before. Headcounts are in the table, not the bars.",
                series: &["first time", "returning"],
            },
        )?,
        months.with_bars(
            "Over time",
            "The same figures per month of the events' start, for this month and the eleven before (the table by kind above covers every event).".to_owned(),
            Chart {
                title: "First-time and returning attendances per month",
                desc: "Stacked horizontal bars per month: attendances by people at their first event, then by returning people.",
                series: &["first time", "returning"],
            },
        )?,
    ])
}
