//! How each report is laid out on its page: sections, each a table of the
//! figures and, beside it, a chart of the same figures.

use sync_core::Ladder;

use super::charts::{self, BarInput};
use crate::calendar;
use crate::error::Error;
use crate::reports;

pub(crate) struct Cell {
    pub(super) key: String,
    pub(super) text: String,
}

pub(crate) struct Row {
    pub(super) label: String,
    pub(super) cells: Vec<Cell>,
}

pub(crate) struct Table {
    pub(super) caption: String,
    pub(super) head: Vec<String>,
    pub(super) rows: Vec<Row>,
}

/// A part of a report page: a heading, a note, a chart (SVG markup, or
/// empty) and the table of its figures.
pub(crate) struct Section {
    pub(super) id: &'static str,
    pub(super) heading: String,
    pub(super) note: String,
    pub(super) chart: String,
    pub(super) table: Table,
}

/// The words of a bar chart.
struct Chart<'a> {
    title: &'a str,
    desc: &'a str,
    series: &'a [&'a str],
}

/// Builds a section: its table, where every cell's `data-key` is
/// `SECTION.ROW.COLUMN` (so tests and scrapers find figures without
/// depending on layout), and the bars of its chart.
struct Tabulate {
    id: &'static str,
    columns: Vec<&'static str>,
    table: Table,
    bars: Vec<BarInput>,
}

impl Tabulate {
    fn new(id: &'static str, caption: &str, first: &str, columns: &[(&'static str, &str)]) -> Self {
        Self {
            id,
            columns: columns.iter().map(|(k, _)| *k).collect(),
            table: Table {
                caption: caption.to_owned(),
                head: std::iter::once(first.to_owned())
                    .chain(columns.iter().map(|(_, h)| (*h).to_owned()))
                    .collect(),
                rows: Vec::new(),
            },
            bars: Vec::new(),
        }
    }

    /// A table row.
    fn row(&mut self, key: &str, label: impl Into<String>, texts: Vec<String>) {
        let cells = self
            .columns
            .iter()
            .zip(texts)
            .map(|(column, text)| Cell {
                key: format!("{}.{key}.{column}", self.id),
                text,
            })
            .collect();
        self.table.rows.push(Row {
            label: label.into(),
            cells,
        });
    }

    /// A bar of the chart (one value per series; `None`: suppressed).
    fn bar(&mut self, label: impl Into<String>, values: Vec<Option<f64>>, text: String) {
        self.bars.push(BarInput {
            label: label.into(),
            values,
            text,
        });
    }

    /// A table row and its bar, under the same label; the bar shows the
    /// row's first figure.
    fn charted(&mut self, key: &str, label: &str, texts: Vec<String>, values: Vec<Option<f64>>) {
        let text = texts.first().cloned().unwrap_or_default();
        self.row(key, label, texts);
        self.bar(label, values, text);
    }

    /// The section, with a chart given as markup (or none).
    fn section(self, heading: &str, note: String, chart: String) -> Section {
        Section {
            id: self.id,
            heading: heading.to_owned(),
            note,
            chart,
            table: self.table,
        }
    }

    /// The section with its bars drawn as a chart.
    fn with_bars(self, heading: &str, note: String, chart: Chart<'_>) -> Result<Section, Error> {
        let svg = charts::bars(
            &format!("{}-chart", self.id),
            chart.title,
            chart.desc,
            chart.series,
            &self.bars,
        )?;
        Ok(self.section(heading, note, svg))
    }
}

/// How the dashboard shows figures; `below` is the suppression threshold.
#[derive(Clone, Copy)]
pub(crate) struct Show {
    below: u64,
}

impl Show {
    /// A count; a suppressed one reads "fewer than N".
    pub(crate) fn count(self, n: Option<u64>) -> String {
        n.map_or_else(|| format!("fewer than {}", self.below), thousands)
    }

    /// A share (0 to 1) as a percentage.
    pub(crate) fn share(self, v: Option<f64>) -> String {
        v.map_or_else(|| "not shown".to_owned(), |v| format!("{:.1}%", v * 100.0))
    }

    /// A number with one decimal (days, rates).
    pub(crate) fn decimal(self, v: Option<f64>) -> String {
        v.map_or_else(|| "not shown".to_owned(), |v| format!("{v:.1}"))
    }
}

/// 1234567 as "1,234,567".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn yes_no(v: bool) -> String {
    if v { "yes" } else { "no" }.to_owned()
}

fn f(n: Option<u64>) -> Option<f64> {
    n.map(|n| n as f64)
}

/// A percentage already in 0 to 100, or why there is none.
fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "no members".to_owned(), |p| format!("{p:.1}%"))
}

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
            ("median_days", "Median days from the stage before"),
            ("p90_days", "90% took at most (days)"),
        ],
    );
    for s in &r.stages {
        let texts = vec![
            show.count(s.reached),
            show.share(s.conversion_to_next),
            show.count(s.drop_off),
            show.decimal(s.median_days_from_previous),
            show.decimal(s.p90_days_from_previous),
        ];
        // The bar says how many went on, and how long the step took.
        let mut text = texts[0].clone();
        if s.conversion_to_next.is_some() {
            text.push_str(&format!(", {} went on", texts[1]));
        }
        if let Some(days) = s.median_days_from_previous {
            text.push_str(&format!(", median {days:.0} days"));
        }
        t.row(&s.key, s.label.clone(), texts);
        t.bar(s.label.clone(), vec![f(s.reached)], text);
    }
    Ok(vec![t.with_bars(
        "Funnel",
        String::new(),
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
    for route in &r.routes {
        let stage = label_of(&route.highest_stage);
        t.row(
            &format!("{}.{}", route.entry_channel, route.highest_stage),
            format!("{} to {stage}", route.entry_channel),
            vec![show.count(route.people)],
        );
        if let Some(n) = route.people {
            links.push((route.entry_channel.clone(), stage, n));
        }
    }
    let targets: Vec<String> = ladder.stages().iter().map(|s| s.label.clone()).collect();
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
    for ch in &r.by_channel {
        let share = show.share(ch.share_reaching_top);
        c.row(
            &ch.entry_channel,
            ch.entry_channel.clone(),
            vec![
                show.count(ch.people),
                show.count(ch.reached_top),
                share.clone(),
            ],
        );
        c.bar(
            ch.entry_channel.clone(),
            vec![ch.share_reaching_top.map(|s| s * 100.0)],
            share,
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
        let day = calendar::date(c.at);
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
        h.section("History", String::new(), line),
    ])
}

pub(super) fn civic_core(r: &reports::CivicCore) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let held = &r.roles_held;
    let mut t = Tabulate::new(
        "roles",
        "People holding roles now (partnership seats, group leads, working groups)",
        "Roles held",
        &[("people", "People")],
    );
    for (key, label, n) in [
        ("one", "One", held.one),
        ("two", "Two", held.two),
        ("three_or_more", "Three or more", held.three_or_more),
    ] {
        t.charted(key, label, vec![show.count(n)], vec![f(n)]);
    }
    t.row(
        "two_or_more",
        "Two or more (the civic core)",
        vec![show.count(held.two_or_more)],
    );
    t.row("any", "Any", vec![show.count(held.people)]);
    let mut a = Tabulate::new(
        "activity",
        "How concentrated activity is",
        "Measure",
        &[("value", "Value")],
    );
    a.row(
        "active",
        "People who did anything",
        vec![show.count(r.active_people)],
    );
    a.row("activity", "Things they did", vec![show.count(r.activity)]);
    a.row(
        "top_tenth",
        "Share done by the most active tenth",
        vec![show.share(r.top_tenth_share)],
    );
    let mut m = Tabulate::new(
        "months",
        "Attendances at events per month: first-time and returning",
        "Month",
        &[
            ("attendees", "Attendances"),
            ("first_time", "First time"),
            ("returning", "Returning"),
        ],
    );
    for month in &r.months {
        let texts = vec![
            show.count(month.attendees),
            show.count(month.first_time),
            show.count(month.returning),
        ];
        let values = vec![f(month.first_time), f(month.returning)];
        m.charted(&month.month, &month.month, texts, values);
    }
    let mut e = Tabulate::new(
        "events",
        "Attendees per event",
        "Event",
        &[
            ("date", "Date"),
            ("attendees", "Attendees"),
            ("first_time", "First time"),
            ("returning", "Returning"),
        ],
    );
    for ev in &r.events {
        e.row(
            &ev.event,
            ev.title.clone(),
            vec![
                ev.starts_at.map(calendar::date).unwrap_or_default(),
                show.count(ev.attendees),
                show.count(ev.first_time),
                show.count(ev.returning),
            ],
        );
    }
    Ok(vec![
        t.with_bars(
            "Roles held",
            String::new(),
            Chart {
                title: "People by number of roles held",
                desc: "Horizontal bars: people holding one, two, and three or more roles.",
                series: &["people"],
            },
        )?,
        a.section("Activity", String::new(), String::new()),
        m.with_bars(
            "New faces over time",
            String::new(),
            Chart {
                title: "New and returning faces at events, per month",
                desc: "Stacked horizontal bars per month: first-time attendees, then returning ones.",
                series: &["first time", "returning"],
            },
        )?,
        e.section("New faces per event", String::new(), String::new()),
    ])
}

pub(super) fn reach(r: &reports::Reach) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let counts = |row: &reports::ReachRow| {
        vec![
            show.count(row.contacts),
            show.count(row.conversations),
            show.count(row.participants),
        ]
    };
    let columns = [
        ("contacts", "Contacts"),
        ("conversations", "Conversations"),
        ("participants", "Participants"),
    ];
    let mut p = Tabulate::new(
        "patches",
        "Per patch, and per 1,000 households",
        "Patch",
        &[
            ("contacts_per_1000", "Contacts per 1,000 households"),
            columns[0],
            columns[1],
            columns[2],
            ("households", "Households"),
            ("conversations_per_1000", "Conversations per 1,000"),
            ("participants_per_1000", "Participants per 1,000"),
        ],
    );
    for row in &r.by_patch {
        let mut texts = vec![show.decimal(row.contacts_per_1000_households)];
        texts.extend(counts(row));
        texts.extend([
            row.households
                .map_or_else(|| "not set".to_owned(), |h| thousands(u64::from(h))),
            show.decimal(row.conversations_per_1000_households),
            show.decimal(row.participants_per_1000_households),
        ]);
        p.charted(
            &row.group,
            &row.group,
            texts,
            vec![row.contacts_per_1000_households],
        );
    }
    let mut sections = vec![p.with_bars(
        "Reach by patch",
        format!(
            "In all: {} contacts, {} conversations, {} participants.",
            show.count(r.contacts),
            show.count(r.conversations),
            show.count(r.participants)
        ),
        Chart {
            title: "Contacts per 1,000 households, per patch",
            desc: "Horizontal bars, one per patch, of people contacted per 1,000 households.",
            series: &["contacts per 1,000 households"],
        },
    )?];
    let breakdowns: [(&'static str, &str, &[reports::ReachRow]); 4] = [
        ("age", "By age band", &r.by_age_band),
        ("tenure", "By tenure", &r.by_tenure),
        ("language", "By language", &r.by_language),
        (
            "ethnicity",
            "By ethnicity (only people who consented to give it)",
            &r.by_ethnicity,
        ),
    ];
    for (id, heading, rows) in breakdowns {
        let mut t = Tabulate::new(id, heading, "Group", &columns);
        for row in rows {
            t.charted(&row.group, &row.group, counts(row), vec![f(row.contacts)]);
        }
        let note = if id == "age" {
            format!(
                "Under 55: {} of contacts and {} of participants (of those with a known age).",
                show.share(r.under_55_share_of_contacts),
                show.share(r.under_55_share_of_participants)
            )
        } else {
            String::new()
        };
        let title = format!("Contacts {}", heading.to_lowercase());
        sections.push(t.with_bars(
            heading,
            note,
            Chart {
                title: &title,
                desc: "Horizontal bars of people contacted per group.",
                series: &["contacts"],
            },
        )?);
    }
    Ok(sections)
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
        ("seats", "Seats", seats),
        ("vacancies", "Empty seats", vacancies),
        (
            "tenure_current",
            "Median days served so far (current members)",
            show.decimal(r.median_tenure_days_current),
        ),
        (
            "tenure_leavers",
            "Median days served (leavers)",
            show.decimal(r.median_tenure_days_leavers),
        ),
        (
            "pipeline",
            "Working-group members without a seat",
            show.count(r.pipeline),
        ),
    ] {
        s.row(key, label, vec![text]);
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
            &group.group,
            vec![show.count(group.members)],
            vec![f(group.members)],
        );
    }
    Ok(vec![
        s.section("Seats and tenure", String::new(), String::new()),
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

pub(super) fn champions(r: &reports::ChampionActivity) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let mut t = Tabulate::new(
        "champions",
        "Per champion's phone and patch",
        "Champion (phone) and patch",
        &[
            ("doors", "Doors knocked"),
            ("conversations", "Conversations"),
            ("owed", "Follow-ups owed"),
            ("overdue", "Of them overdue"),
        ],
    );
    for row in &r.rows {
        let short: String = row.champion.chars().take(8).collect();
        let texts = vec![
            show.count(row.doors_knocked),
            show.count(row.conversations),
            show.count(row.follow_ups_owed),
            show.count(row.follow_ups_overdue),
        ];
        let not_spoken = row
            .doors_knocked
            .zip(row.conversations)
            .map(|(d, c)| d.saturating_sub(c) as f64);
        t.charted(
            &format!("{}.{}", row.champion, row.patch),
            &format!("{short}… in {}", row.patch),
            texts,
            vec![f(row.conversations), not_spoken],
        );
    }
    t.row(
        "all",
        "All champions",
        vec![
            show.count(r.doors_knocked),
            show.count(r.conversations),
            show.count(r.follow_ups_owed),
            show.count(r.follow_ups_overdue),
        ],
    );
    Ok(vec![t.with_bars(
        "Doors and follow-ups",
        String::new(),
        Chart {
            title: "Doors knocked per champion and patch",
            desc: "Stacked horizontal bars per champion's phone and patch: doors where we spoke, then doors without a conversation.",
            series: &["conversations", "no conversation"],
        },
    )?])
}

pub(super) fn households(r: &reports::HouseholdReach) -> Result<Vec<Section>, Error> {
    let show = Show { below: 0 };
    let mut t = Tabulate::new(
        "doors",
        "Per patch, and per 1,000 households",
        "Patch",
        &[
            ("knocked", "Doors knocked"),
            ("answered", "Doors answered"),
            ("listed", "Doors on the list"),
            ("households", "Households"),
            ("knocked_per_1000", "Knocked per 1,000 households"),
            ("answered_per_1000", "Answered per 1,000"),
        ],
    );
    for row in &r.by_patch {
        let not_answered = row.doors_knocked.saturating_sub(row.doors_answered) as f64;
        let per_1000 = |v: Option<f64>| {
            v.map_or_else(|| "households not set".to_owned(), |v| format!("{v:.1}"))
        };
        t.charted(
            &row.patch,
            &row.patch,
            vec![
                show.count(Some(row.doors_knocked)),
                show.count(Some(row.doors_answered)),
                show.count(Some(row.doors_listed)),
                row.households
                    .map_or_else(|| "not set".to_owned(), |h| thousands(u64::from(h))),
                per_1000(row.knocked_per_1000_households),
                per_1000(row.answered_per_1000_households),
            ],
            vec![f(Some(row.doors_answered)), Some(not_answered)],
        );
    }
    Ok(vec![t.with_bars(
        "Households reached",
        format!(
            "In all: {} doors knocked, {} answered. A door counts once however often it was knocked; doors are not people, so no count is hidden.",
            show.count(Some(r.doors_knocked)),
            show.count(Some(r.doors_answered))
        ),
        Chart {
            title: "Doors knocked per patch",
            desc: "Stacked horizontal bars per patch: doors where someone answered, then doors where nobody did.",
            series: &["answered", "not answered"],
        },
    )?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_expect() {
        let show = Show { below: 5 };
        assert_eq!(show.count(Some(1_234_567)), "1,234,567");
        assert_eq!(show.count(Some(12)), "12");
        assert_eq!(show.count(None), "fewer than 5");
        assert_eq!(show.share(Some(0.8192)), "81.9%");
        assert_eq!(show.decimal(Some(7.5)), "7.5");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(999), "999");
    }
}
