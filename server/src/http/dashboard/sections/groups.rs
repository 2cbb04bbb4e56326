//! The working groups page.

use super::{Chart, Section, Show, Tabulate, f, yes_no};
use crate::error::Error;
use crate::reports::GroupsReport;

/// A group's name as the page says it: free text from older phones, or
/// an id no group on the list has, is said to be not on the list.
fn named(g: &crate::reports::GroupFigures) -> String {
    if g.on_list {
        if g.closed {
            format!("{} (closed)", g.name)
        } else {
            g.name.clone()
        }
    } else {
        format!("{} (not on the list of groups)", g.name)
    }
}

pub(super) fn groups(r: &GroupsReport) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let why = |i: usize, field: &str| r.withheld.get(&format!("groups.{i}.{field}")).copied();
    let mut now = Tabulate::new(
        "now",
        "Each working group now",
        "Group",
        &[
            ("members", "Members now"),
            ("newcomers", "New to us in the last year"),
            ("longer", "Known to us longer"),
            ("joined", "Joined in the last year"),
            ("board", "Went on to the board"),
            ("devolved", "Decides or spends for itself"),
        ],
    );
    for (i, g) in r.groups.iter().enumerate() {
        let devolved = if g.on_list {
            yes_no(g.devolved_decisions || g.devolved_budget)
        } else {
            "not known".to_owned()
        };
        now.charted(
            &i.to_string(),
            &named(g),
            vec![
                show.figure(g.members_now, why(i, "members_now")),
                show.figure(g.newcomers, why(i, "newcomers")),
                show.figure(g.longer_standing, why(i, "longer_standing")),
                show.figure(g.joined_last_year, why(i, "joined_last_year")),
                show.figure(g.went_on_to_board, why(i, "went_on_to_board")),
                devolved,
            ],
            vec![f(g.newcomers), f(g.longer_standing)],
        );
    }
    let now = now.with_bars(
        "Now",
        "Members now are the people in each group today. New to us: first contacted in the last 12 months. Went on to the board: people who were in the group and later took a seat on the partnership board. A person can be in several groups, so the groups do not add up to a total.".to_owned(),
        Chart {
            title: "Members of each group now",
            desc: "Bars of each group's members now: those new to us in the last year, and those known to us longer.",
            series: &["New to us in the last year", "Known to us longer"],
        },
    )?;

    let mut columns: Vec<(&'static str, &str)> = Vec::new();
    let keys: [&'static str; 8] = ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7"];
    for (key, quarter) in keys.iter().zip(&r.quarters) {
        columns.push((key, quarter.as_str()));
    }
    let mut over_time = Tabulate::new(
        "quarters",
        "Members at the end of each quarter",
        "Group",
        &columns,
    );
    for (i, g) in r.groups.iter().enumerate() {
        over_time.row(
            &i.to_string(),
            named(g),
            g.members_by_quarter
                .iter()
                .enumerate()
                .map(|(k, n)| show.figure(*n, why(i, &format!("members_by_quarter.{k}"))))
                .collect(),
        );
    }
    let over_time = over_time.section(
        "Over time",
        "How many people were in each group on the last day of each of the past eight quarters (2025-Q4 is October to December 2025).".to_owned(),
        String::new(),
    );

    let mut quiet = Tabulate::new(
        "quiet",
        "Groups nobody new joined in the last 12 months",
        "Group",
        &[("members", "Members now")],
    );
    for (i, g) in r.groups.iter().enumerate() {
        if g.no_new_member_in_a_year {
            quiet.row(
                &i.to_string(),
                named(g),
                vec![show.figure(g.members_now, why(i, "members_now"))],
            );
        }
    }
    let note = if r.no_new_member_in_a_year.is_empty() {
        "Every group that has been going for a year took someone new in the last 12 months."
            .to_owned()
    } else {
        "These open groups have been going for a year or more and nobody new has joined in the last 12 months: they may need new faces.".to_owned()
    };
    Ok(vec![
        now,
        over_time,
        quiet.section("No new members", note, String::new()),
    ])
}
