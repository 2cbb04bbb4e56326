//! The partnership board's pages: resident-led, turnover, and whether the
//! board looks like the area.

use super::{Chart, Section, Show, Tabulate, charts, f, percent, thousands, yes_no};
use crate::calendar;
use crate::error::Error;
use crate::reports;

pub(super) fn resident_led(r: &reports::ResidentLed, now: i64) -> Result<Vec<Section>, Error> {
    let current = &r.current;
    let mut t = Tabulate::new(
        "current",
        &format!(
            "Partnership members now: {} (threshold {}%)",
            current.members, r.threshold_percent
        ),
        "Resident definition",
        &[
            ("residents", "Residents"),
            ("share", "Share"),
            ("meets", "Meets the threshold"),
            ("fragile", "One resignation would break it"),
        ],
    );
    for s in &current.shares {
        t.row(
            &s.definition,
            s.label.clone(),
            vec![
                thousands(s.residents),
                percent(s.share_percent),
                yes_no(s.meets_threshold),
                yes_no(s.one_resignation_breaks_it),
            ],
        );
    }
    let main = current.shares.first();
    let fragile: Vec<&str> = current
        .shares
        .iter()
        .filter(|s| s.one_resignation_breaks_it)
        .map(|s| s.label.as_str())
        .collect();
    let note = if fragile.is_empty() {
        String::new()
    } else {
        format!(
            "Warning: one resident resigning would take the partnership below the threshold ({}).",
            fragile.join(", ")
        )
    };
    let gauge = charts::gauge(
        "resident-gauge",
        "Share of members who are residents",
        &format!(
            "A gauge of the resident share ({}) against the {}% threshold.",
            main.map_or("no definition", |s| s.label.as_str()),
            r.threshold_percent
        ),
        main.and_then(|s| s.share_percent),
        r.threshold_percent,
        &format!("of {} members", current.members),
    )?;
    let mut h = Tabulate::new(
        "history",
        "The partnership's membership each time it changed",
        "Date",
        &[("members", "Members"), ("share", "Resident share")],
    );
    let mut points = Vec::new();
    for c in &r.history {
        let share = c.shares.first().and_then(|s| s.share_percent);
        let day = calendar::day(c.at);
        h.row(
            &c.at.to_string(),
            day.clone(),
            vec![thousands(c.members), percent(share)],
        );
        if let Some(p) = share {
            points.push((c.at, p, format!("{day}: {p:.1}%")));
        }
    }
    let line = charts::step_line(
        "resident-history",
        "Resident share over time",
        "A step line of the resident share each time membership changed, with the threshold drawn across.",
        &points,
        now,
        r.threshold_percent,
    )?;
    Ok(vec![
        t.section("Now", note, gauge),
        other_hats(r),
        h.section("History", String::new(), line),
    ])
}

/// The check now were members who wear each other hat not counted as
/// residents, with what would fail.
fn other_hats(r: &reports::ResidentLed) -> Section {
    let mut t = Tabulate::new(
        "hats",
        "If members wearing another hat were not counted as residents",
        "Not counting",
        &[
            ("wearing", "Members wearing it"),
            ("definition", "Resident definition"),
            ("residents", "Residents"),
            ("share", "Share"),
            ("meets", "Meets the threshold"),
        ],
    );
    let mut falls = Vec::new();
    for check in &r.not_counting_hats {
        for (s, now) in check.shares.iter().zip(&r.current.shares) {
            t.row(
                &format!("{}-{}", check.hat, s.definition),
                check.label.clone(),
                vec![
                    thousands(check.wearing),
                    s.label.clone(),
                    thousands(s.residents),
                    percent(s.share_percent),
                    yes_no(s.meets_threshold),
                ],
            );
            if now.meets_threshold && !s.meets_threshold {
                falls.push(format!(
                    "{} ({})",
                    check.label.to_lowercase(),
                    s.label.to_lowercase()
                ));
            }
        }
    }
    let note = if falls.is_empty() {
        "Whether councillors, paid workers or agency representatives count as residents does not change whether the partnership is resident led.".to_owned()
    } else {
        format!(
            "The partnership is resident led only if those wearing another hat count as residents: not counting {}, it falls below the threshold.",
            falls.join("; ")
        )
    };
    t.section("Other hats", note, String::new())
}

pub(super) fn turnover(r: &reports::Turnover) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let mut s = Tabulate::new(
        "summary",
        "The partnership now",
        "Measure",
        &[("value", "Value")],
    );
    let seats = r
        .seats
        .map_or_else(|| "not set".to_owned(), |n| thousands(u64::from(n)));
    let vacancies = r
        .vacancies
        .map_or_else(|| "not known".to_owned(), thousands);
    for (key, label, text) in [
        ("members", "Members now", thousands(r.members_now)),
        (
            "three_years",
            "Members now who have served three years or more",
            thousands(r.members_three_years_or_more),
        ),
        ("seats", "Seats", seats),
        ("vacancies", "Empty seats", vacancies),
        (
            "pipeline",
            "Working-group members without a seat",
            show.count(r.pipeline),
        ),
    ] {
        s.row(key, label, vec![text]);
    }
    // Times served, in words; in days in the CSV.
    for (key, label, in_days, days) in [
        (
            "tenure_current",
            "Typical time served so far (current members)",
            "Median days served so far (current members)",
            r.median_tenure_days_current,
        ),
        (
            "tenure_leavers",
            "Typical time served (leavers)",
            "Median days served (leavers)",
            r.median_tenure_days_leavers,
        ),
    ] {
        s.row(key, label, vec![show.duration(days)]);
        s.csv_label(in_days);
        s.days("value", days);
    }
    let mut y = Tabulate::new(
        "years",
        "Members joining and leaving per year",
        "Year",
        &[("joined", "Joined"), ("left", "Left")],
    );
    for year in &r.by_year {
        let (joined, left) = (thousands(year.joined), thousands(year.left));
        y.row(
            &year.year.to_string(),
            year.year.to_string(),
            vec![joined.clone(), left.clone()],
        );
        y.bar(
            format!("{} joined", year.year),
            vec![Some(year.joined as f64), Some(0.0)],
            joined,
        );
        y.bar(
            format!("{} left", year.year),
            vec![Some(0.0), Some(year.left as f64)],
            left,
        );
    }
    let mut g = Tabulate::new(
        "pipeline",
        "Working-group members without a partnership seat, per group",
        "Group",
        &[("members", "Members")],
    );
    for group in &r.pipeline_by_group {
        g.charted(
            &group.group,
            &crate::labels::slug_words(&group.group),
            vec![show.count(group.members)],
            vec![f(group.members)],
        );
    }
    let mut k = Tabulate::new(
        "retention",
        "Times on the board that began at least so long ago, and how many lasted that long",
        "Served",
        &[
            ("began", "Began that long ago"),
            ("lasted", "Lasted that long"),
            ("share", "Share"),
        ],
    );
    // A length nobody has had the chance to serve yet says nothing.
    for point in r.retention.iter().filter(|p| p.began > 0) {
        k.row(
            &point.months.to_string(),
            format!("{} months", point.months),
            vec![
                thousands(point.began),
                thousands(point.lasted),
                percent(point.share_percent),
            ],
        );
    }
    let mut a = Tabulate::new(
        "leavers",
        "Former members, and how many were still active (in a working group, or taking part in the three months before)",
        "After leaving",
        &[
            ("left", "Left at least that long ago"),
            ("active", "Still active"),
        ],
    );
    for l in &r.leavers_still_active {
        a.row(
            &l.months.to_string(),
            format!("{} months", l.months),
            vec![
                thousands(l.left),
                l.still_active.map_or_else(
                    || "not shown: too few people either way".to_owned(),
                    thousands,
                ),
            ],
        );
    }
    Ok(vec![
        s.section("Seats and tenure", String::new(), String::new()),
        k.section(
            "How long members stay",
            if r.retention.iter().any(|p| p.began > 0) {
                "Someone who left and came back has two times on the board. Membership is public, so these are exact.".to_owned()
            } else {
                "Nobody has had a seat for six months yet.".to_owned()
            },
            String::new(),
        ),
        a.section(
            "Are leavers lost?",
            "Whether former members stay involved counts people's activity, so it is hidden when it, or the rest, is a small number.".to_owned(),
            String::new(),
        ),
        y.with_bars(
            "Joining and leaving",
            String::new(),
            Chart {
                title: "Joining and leaving per year",
                desc: "Horizontal bars: for each year, members who joined and members who left.",
                series: &["joined", "left"],
            },
        )?,
        g.with_bars(
            "The pipeline",
            String::new(),
            Chart {
                title: "The pipeline per working group",
                desc: "Horizontal bars of working-group members without a seat, per group.",
                series: &["members"],
            },
        )?,
    ])
}

/// A share in percent, or why there is none.
fn share_text(show: Show, p: Option<f64>, why: Option<reports::Withheld>) -> String {
    show.derived(p.map(|p| format!("{p:.0}%")), why)
}

/// Does the board look like the area?
pub(super) fn board(r: &reports::Board) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let why = |place: String| r.withheld.get(&place).copied();
    let mut sections = Vec::new();
    for (name, b, heading, census_of) in [
        ("age", &r.age, "By age", "residents aged 18 or over"),
        ("tenure", &r.tenure, "By housing", "households"),
    ] {
        let mut t = Tabulate::new(
            if name == "age" { "age" } else { "tenure" },
            &format!("{heading}: the board, everyone contacted and the census"),
            if name == "age" { "Age" } else { "Housing" },
            &[
                ("board", "Board members"),
                ("board_share", "Board share"),
                ("contacts", "Everyone contacted"),
                ("contacts_share", "Share of contacts"),
                ("census_share", "Census share"),
            ],
        );
        let census_share = |p: Option<f64>| {
            if b.census_patches.is_empty() {
                "no census entered".to_owned()
            } else {
                p.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
            }
        };
        for (s, side) in b.sides.iter().enumerate() {
            let place = |f: &str| format!("{name}.sides.{s}.{f}");
            let board_share = share_text(
                show,
                side.board_share_percent,
                why(place("board_share_percent")),
            );
            let contacts_share = share_text(
                show,
                side.contacts_share_percent,
                why(place("contacts_share_percent")),
            );
            t.row(
                &side.group,
                side.label.clone(),
                vec![
                    show.figure(side.board, why(place("board"))),
                    board_share.clone(),
                    show.figure(side.contacts, why(place("contacts"))),
                    contacts_share.clone(),
                    census_share(side.census_share_percent),
                ],
            );
            // One bar each: shares of different groups do not stack.
            for (who, value, text) in [
                ("Board", side.board_share_percent, board_share),
                ("Contacts", side.contacts_share_percent, contacts_share),
                (
                    "Census",
                    side.census_share_percent,
                    census_share(side.census_share_percent),
                ),
            ] {
                t.bar(
                    format!("{who}: {}", side.label.to_lowercase()),
                    vec![value],
                    text,
                );
            }
        }
        for (i, g) in b.groups.iter().enumerate() {
            let place = |f: &str| format!("{name}.groups.{i}.{f}");
            t.row(
                &g.group,
                g.label.clone(),
                vec![
                    "not shown by group".to_owned(),
                    String::new(),
                    show.figure(g.contacts, why(place("contacts"))),
                    share_text(
                        show,
                        g.contacts_share_percent,
                        why(place("contacts_share_percent")),
                    ),
                    census_share(g.census_share_percent),
                ],
            );
        }
        let mut note = vec![summary(show, r, name, b)];
        note.push(match (b.census_patches.is_empty(), b.patches_without_census.is_empty()) {
            (true, _) => format!(
                "No patch has census figures for {census_of} yet: an admin can enter them on the Area page."
            ),
            (false, true) => format!("The census figures are {census_of} in every patch."),
            (false, false) => format!(
                "The census figures are {census_of} in {}; {} has none entered, so is not in them.",
                b.census_patches.join(", "),
                b.patches_without_census.join(", ")
            ),
        });
        if name == "age" {
            note.push(format!(
                "Board members under 18 or whose age is not recorded: {}. Shares are of adults with a known age.",
                show.figure(b.board_not_counted, why(format!("{name}.board_not_counted")))
            ));
        } else {
            note.push(format!(
                "Board members whose housing is not recorded: {}. The census counts households, the board and contacts count people.",
                show.figure(b.board_not_counted, why(format!("{name}.board_not_counted")))
            ));
        }
        let title = format!("{heading}: shares of the board, contacts and the census");
        sections.push(t.with_bars(
            heading,
            note.join(" "),
            Chart {
                title: &title,
                desc: "Horizontal bars, one for each side and group: the board's share, everyone contacted's share and the census's share, in percent.",
                series: &["share in percent"],
            },
        )?);
    }
    let mut d = Tabulate::new(
        "residents",
        "Residents under each of the area's definitions",
        "Resident definition",
        &[
            ("board", "Board members"),
            ("board_share", "Board share"),
            ("contacts", "Everyone contacted"),
            ("contacts_share", "Share of contacts"),
        ],
    );
    for (i, row) in r.resident_definitions.iter().enumerate() {
        let place = |f: &str| format!("resident_definitions.{i}.{f}");
        d.row(
            &row.group,
            row.label.clone(),
            vec![
                thousands(row.board),
                percent(row.board_share_percent),
                show.figure(row.contacts, why(place("contacts"))),
                share_text(
                    show,
                    row.contacts_share_percent,
                    why(place("contacts_share_percent")),
                ),
            ],
        );
    }
    let mut h = Tabulate::new(
        "hats",
        "Board members wearing another hat",
        "Other hat",
        &[("board", "Board members"), ("board_share", "Board share")],
    );
    for row in &r.hats {
        h.row(
            &row.group,
            row.label.clone(),
            vec![thousands(row.board), percent(row.board_share_percent)],
        );
    }
    sections.push(d.section(
        "Resident definitions",
        "Who on the board is a resident is public (see Resident-led), so the board's figures here are exact.".to_owned(),
        String::new(),
    ));
    sections.push(h.section(
        "Other hats",
        "Councillors, paid workers and agency representatives on the board declare it publicly, so these are exact. Hats are worn only in seats, so there is nothing to compare among everyone contacted.".to_owned(),
        String::new(),
    ));
    Ok(sections)
}

/// "Board: 6 of 11 members with a known age are 55 and over (55%);
/// everyone contacted: 30%; the census: 50%."
fn summary(show: Show, r: &reports::Board, name: &str, b: &reports::BoardBreakdown) -> String {
    let Some(side) = b.sides.get(1 - usize::from(name == "tenure")) else {
        return String::new();
    };
    // "are 55 and over", "own their home".
    let what = if name == "age" {
        format!("are {}", side.label.to_lowercase())
    } else {
        "own their home".to_owned()
    };
    let board = match (
        side.board,
        b.sides.iter().map(|s| s.board).sum::<Option<u64>>(),
    ) {
        (Some(n), Some(of)) => format!(
            "Board: {n} of {of} members whose {} is known ({}) {what}",
            if name == "age" {
                "adult age"
            } else {
                "housing"
            },
            share_text(show, side.board_share_percent, None)
        ),
        _ if r.members == 0 => "The board has no members now".to_owned(),
        _ => format!(
            "Board ({} members): how many {} is not shown, so that no member's {} can be worked out",
            r.members,
            what,
            if name == "age" { "age" } else { "housing" }
        ),
    };
    let contacts = share_text(
        show,
        side.contacts_share_percent,
        r.withheld
            .get(&format!(
                "{name}.sides.{}.contacts_share_percent",
                1 - usize::from(name == "tenure")
            ))
            .copied(),
    );
    let census = side
        .census_share_percent
        .map_or_else(|| "not entered".to_owned(), |p| format!("{p:.0}%"));
    format!("{board}; everyone contacted: {contacts}; the census: {census}.")
}
