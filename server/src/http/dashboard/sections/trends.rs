//! The trends page: month by month per patch, doors week by week, and the
//! funnel by month of first contact. Every chart is lines over time; a
//! hidden figure is a gap in its line, marked, and said in the table.

use sync_core::{Ladder, StageRule};

use super::super::charts::{self, LinePanel};
use super::{Cell, Row, Section, Show, Table, Tabulate, f, thousands};
use crate::error::Error;
use crate::reports;

/// What the lines count, in plain words.
const EXPLAINED: &str = "Each person is counted once in each line, in the month they first \
did it: contacts are people first contacted that month; conversations, people who reached the \
Conversation step that month (spoken with, or gone further); new participants, people who \
reached the Participant step for the first time that month. Months are calendar months (UTC). \
A gap in a line is a hidden figure, never a zero: the table beside says whether it is fewer \
than the threshold or hidden so that a small group cannot be worked out.";

/// The three lines, as the report names them and as the page does.
const LINES: [(&str, &str); 3] = [
    ("contacts", "Contacts"),
    ("conversations", "Conversations"),
    ("new_participants", "New participants"),
];

/// A chart's panel of the three lines of people; a hidden figure is a gap.
fn people_panel(label: String, lines: [&Vec<Option<u64>>; 3]) -> LinePanel {
    LinePanel {
        label,
        series: lines
            .iter()
            .map(|values| values.iter().map(|v| f(*v)).collect())
            .collect(),
    }
}

pub(super) fn trends(r: &reports::Trends, ladder: &Ladder) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let why = |place: String| r.withheld.get(&place).copied();
    let series_names: Vec<&str> = LINES.iter().map(|(_, label)| *label).collect();

    // Every patch, per month.
    let mut months = Tabulate::new(
        "months",
        "People per month, every patch (UTC months)",
        "Month",
        &LINES,
    );
    let totals = [&r.contacts, &r.conversations, &r.new_participants];
    for (m, month) in r.months.iter().enumerate() {
        let texts = LINES
            .iter()
            .zip(totals)
            .map(|((line, _), values)| show.figure(values[m], why(format!("{line}.{m}"))))
            .collect();
        months.row(month, month.clone(), texts);
    }
    let every = people_panel("Every patch".to_owned(), totals);
    let chart = charts::lines(
        "months-chart",
        "Contacts, conversations and new participants per month",
        "Three lines over the months, every patch together: people first contacted, people who reached the Conversation step, and new participants. Gaps are hidden figures.",
        &r.months,
        &series_names,
        &[every],
    )?;
    let months = months.section("Month by month", EXPLAINED.to_owned(), chart);

    // Per patch, per month.
    let mut patches = Tabulate::new(
        "patches",
        "People per month in each patch (UTC months)",
        "Patch and month",
        &LINES,
    );
    let mut panels = Vec::new();
    for (p, row) in r.by_patch.iter().enumerate() {
        let lines = [&row.contacts, &row.conversations, &row.new_participants];
        for (m, month) in r.months.iter().enumerate() {
            let texts = LINES
                .iter()
                .zip(lines)
                .map(|((line, _), values)| {
                    show.figure(values[m], why(format!("by_patch.{p}.{line}.{m}")))
                })
                .collect();
            patches.row(
                &format!("{}.{month}", row.patch),
                format!("{}, {month}", row.label),
                texts,
            );
        }
        panels.push(people_panel(row.label.clone(), lines));
    }
    let chart = charts::lines(
        "patches-chart",
        "Contacts, conversations and new participants per month in each patch",
        "One small chart per patch, all on the same scale, each with three lines over the months: people first contacted, people who reached the Conversation step, and new participants. Gaps are hidden figures.",
        &r.months,
        &series_names,
        &panels,
    )?;
    let patches = patches.section(
        "Per patch",
        "The same three lines for each patch, on one scale so that patches compare. In a small patch most months hold few people, so more of its figures are hidden.".to_owned(),
        chart,
    );

    Ok(vec![months, patches, doors(r)?, cohorts(r, ladder, show)?])
}

/// Doors knocked per week: every patch, then each patch, as columns.
fn doors(r: &reports::Trends) -> Result<Section, Error> {
    let mut head = vec![
        "Week starting (Monday)".to_owned(),
        "Every patch".to_owned(),
    ];
    head.extend(r.doors_by_patch.iter().map(|d| d.label.clone()));
    let rows = r
        .weeks
        .iter()
        .enumerate()
        .map(|(w, week)| {
            let mut cells = vec![Cell {
                key: format!("doors.{week}.all"),
                text: thousands(r.doors_knocked[w]),
                csv: None,
            }];
            cells.extend(r.doors_by_patch.iter().map(|d| Cell {
                key: format!("doors.{week}.{}", d.patch),
                text: thousands(d.doors_knocked[w]),
                csv: None,
            }));
            Row {
                label: week.clone(),
                csv_label: None,
                cells,
            }
        })
        .collect();
    let as_values = |v: &[u64]| v.iter().map(|n| Some(*n as f64)).collect();
    let mut panels = vec![LinePanel {
        label: "Every patch".to_owned(),
        series: vec![as_values(&r.doors_knocked)],
    }];
    panels.extend(r.doors_by_patch.iter().map(|d| LinePanel {
        label: d.label.clone(),
        series: vec![as_values(&d.doors_knocked)],
    }));
    let chart = charts::lines(
        "doors-chart",
        "Doors knocked per week",
        "One small chart for every patch together, then one per patch, on the same scale: doors knocked each week, Monday to Sunday.",
        &r.weeks,
        &["doors knocked"],
        &panels,
    )?;
    Ok(Section {
        id: "doors",
        heading: "Doors knocked week by week".to_owned(),
        note: "Doors knocked at least once in each week, Monday to Sunday (UTC), each door once a week however often it was knocked; only whole weeks within the months shown that are over. Doors are not people: these figures are exact.".to_owned(),
        chart,
        table: Table {
            caption: "Doors knocked per week, every patch and each patch".to_owned(),
            csv_head: head.clone(),
            head,
            rows,
        },
        csv_href: String::new(),
        svg_href: None,
    })
}

/// The funnel by month of first contact: a column per step of the ladder.
fn cohorts(r: &reports::Trends, ladder: &Ladder, show: Show) -> Result<Section, Error> {
    let mut head = vec!["Month of first contact".to_owned()];
    head.extend(r.stages.iter().cloned());
    let why = |place: String| r.withheld.get(&place).copied();
    let rows = r
        .cohorts
        .iter()
        .enumerate()
        .map(|(m, c)| Row {
            label: c.month.clone(),
            csv_label: None,
            cells: c
                .reached
                .iter()
                .enumerate()
                .map(|(k, v)| Cell {
                    key: format!("cohorts.{}.{k}", c.month),
                    text: show.figure(*v, why(format!("cohorts.{m}.reached.{k}"))),
                    csv: None,
                })
                .collect(),
        })
        .collect();
    // The chart follows the first step, the Conversation step and the
    // Participant step; the table has every step.
    let stages = ladder.stages();
    let at = |rule: StageRule, otherwise: usize| {
        stages
            .iter()
            .position(|s| s.rule == rule)
            .unwrap_or(otherwise)
    };
    let mut charted = vec![
        0,
        at(StageRule::Conversation, 1),
        at(StageRule::Participant, 3),
    ];
    charted.retain(|k| *k < r.stages.len());
    charted.dedup();
    let names: Vec<&str> = charted.iter().map(|k| r.stages[*k].as_str()).collect();
    let months: Vec<String> = r.cohorts.iter().map(|c| c.month.clone()).collect();
    let panel = LinePanel {
        label: "Every patch".to_owned(),
        series: charted
            .iter()
            .map(|k| {
                r.cohorts
                    .iter()
                    .map(|c| f(c.reached.get(*k).copied().flatten()))
                    .collect()
            })
            .collect(),
    };
    let chart = charts::lines(
        "cohorts-chart",
        "How far the people first contacted each month have gone",
        "Lines over the months of first contact: everyone first contacted that month, and of them those who have reached the Conversation and the Participant steps so far. Gaps are hidden figures.",
        &months,
        &names,
        &[panel],
    )?;
    Ok(Section {
        id: "cohorts",
        heading: "The funnel by month of first contact".to_owned(),
        note: "Of the people first contacted in each month, how many have reached each step of the ladder so far (at that step or past it, as on the Funnel page). Earlier months have had longer to go further, so compare a month with its neighbours, not with the latest.".to_owned(),
        chart,
        table: Table {
            caption: "People first contacted each month, by the steps they have reached so far".to_owned(),
            csv_head: head.clone(),
            head,
            rows,
        },
        csv_href: String::new(),
        svg_href: None,
    })
}
