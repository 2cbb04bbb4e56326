//! The voices and "you said, we did" pages: what residents raise at the
//! door, and the promises made there.

use super::{Cell, Chart, Row, Section, Show, Table, Tabulate, f};
use crate::error::Error;
use crate::reports;

pub(super) fn voices(r: &reports::Voices) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let figure = |n: Option<u64>, place: String| show.figure(n, r.withheld.get(&place).copied());
    let mut topics = Tabulate::new(
        "topics",
        "Per topic, in the period",
        "Topic",
        &[("raised", "Conversations where it was raised")],
    );
    let mut joining = Tabulate::new(
        "joining",
        "Per activity or topic, in the period",
        "What they would like to join",
        &[(
            "wants_to_join",
            "Conversations where someone said they would like to join",
        )],
    );
    let mut places = Tabulate::new(
        "places",
        "Per topic and patch",
        "Topic and patch",
        &[
            ("raised", "Conversations where it was raised"),
            ("wants_to_join", "Would like to join in"),
            ("groups", "Working groups on it there"),
        ],
    );
    // The places where a topic comes up most, in words.
    let mut loudest: Vec<(u64, String)> = Vec::new();
    for (i, t) in r.topics.iter().enumerate() {
        let label = if t.on_the_list {
            t.topic.clone()
        } else {
            format!("{} (not on the area's list)", t.topic)
        };
        if t.raised != Some(0) || t.on_the_list {
            topics.charted(
                &t.topic,
                &label,
                vec![figure(t.raised, format!("topics.{i}.raised"))],
                vec![f(t.raised)],
            );
        }
        if t.wants_to_join != Some(0) {
            joining.charted(
                &t.topic,
                &t.topic,
                vec![figure(t.wants_to_join, format!("topics.{i}.wants_to_join"))],
                vec![f(t.wants_to_join)],
            );
        }
        for (j, p) in t.by_patch.iter().enumerate() {
            let place = |field: &str| format!("topics.{i}.by_patch.{j}.{field}");
            places.row(
                &format!("{}.{}", t.topic, p.patch),
                format!("{} in {}", t.topic, p.patch_name),
                vec![
                    figure(p.raised, place("raised")),
                    figure(p.wants_to_join, place("wants_to_join")),
                    if p.groups.is_empty() {
                        "none".to_owned()
                    } else {
                        p.groups.join(", ")
                    },
                ],
            );
            if let Some(n) = p.raised.filter(|n| *n > 0) {
                let working = if p.groups.is_empty() {
                    format!("no working group on {} there", t.topic)
                } else {
                    format!("{} on it", p.groups.join(" and "))
                };
                loudest.push((
                    n,
                    format!(
                        "{} raised {} times in {}: {working}",
                        t.topic, n, p.patch_name
                    ),
                ));
            }
        }
    }
    loudest.sort_by_key(|l| std::cmp::Reverse(l.0));
    let said: Vec<String> = loudest.into_iter().take(3).map(|(_, s)| s).collect();
    let note = if said.is_empty() {
        "No topic was raised often enough to show where.".to_owned()
    } else {
        format!(
            "Raised most: {}. Each figure counts conversations, so someone who raised housing twice counts twice.",
            said.join("; ")
        )
    };
    let nobody: Vec<&str> = r
        .topics
        .iter()
        .filter(|t| t.on_the_list && t.groups.is_empty() && t.raised.is_some_and(|n| n > 0))
        .map(|t| t.topic.as_str())
        .collect();
    let note = if nobody.is_empty() {
        format!("{note} Every topic raised has a working group on it somewhere.")
    } else {
        format!("{note} No working group works on: {}.", nobody.join(", "))
    };
    let mut sections = vec![
        topics.with_bars(
            "What residents raise",
            note,
            Chart {
                title: "Conversations per topic",
                desc: "Horizontal bars per topic: conversations where it was raised.",
                series: &["raised"],
            },
        )?,
        joining.with_bars(
            "What residents would like to join",
            "What people said at the door they would like to get involved in.".to_owned(),
            Chart {
                title: "Conversations per thing to join",
                desc: "Horizontal bars per activity or topic: conversations where someone said they would like to join it.",
                series: &["would like to join"],
            },
        )?,
        places.section(
            "Where it comes up",
            "Only the patches where a topic came up are listed.".to_owned(),
            String::new(),
        ),
    ];
    // Month by month: a column per topic raised.
    let shown: Vec<(usize, &reports::VoiceTopic)> = r
        .topics
        .iter()
        .enumerate()
        .filter(|(_, t)| t.raised != Some(0))
        .collect();
    if !shown.is_empty() {
        let head: Vec<String> = std::iter::once("Month".to_owned())
            .chain(shown.iter().map(|(_, t)| t.topic.clone()))
            .collect();
        let rows = r
            .months
            .iter()
            .enumerate()
            .map(|(m, month)| Row {
                label: month.clone(),
                csv_label: None,
                cells: shown
                    .iter()
                    .map(|(i, t)| Cell {
                        key: format!("months.{month}.{}", t.topic),
                        text: figure(
                            t.raised_by_month.get(m).copied().flatten(),
                            format!("topics.{i}.raised_by_month.{m}"),
                        ),
                        csv: None,
                    })
                    .collect(),
            })
            .collect();
        sections.push(Section {
            id: "months",
            heading: "Month by month".to_owned(),
            note: "Conversations where each topic was raised, per calendar month.".to_owned(),
            chart: String::new(),
            table: Table {
                caption: "Per month and topic".to_owned(),
                head: head.clone(),
                csv_head: head,
                rows,
            },
            csv_href: String::new(),
            svg_href: None,
        });
    }
    Ok(sections)
}

pub(super) fn promises(r: &reports::YouSaidWeDid) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let figure = |n: Option<u64>, place: String| show.figure(n, r.withheld.get(&place).copied());
    let columns = [
        ("promised", "Promised"),
        ("done", "Done"),
        ("done_on_time", "Done on time"),
        ("open", "Still to do"),
        ("overdue", "Overdue"),
        ("median", "Median time to do it"),
    ];
    let texts = |prefix: &str, row: &reports::PromiseRow| {
        let place = |field: &str| format!("{prefix}{field}");
        vec![
            figure(row.promised, place("promised")),
            figure(row.done, place("done")),
            figure(row.done_on_time, place("done_on_time")),
            figure(row.open, place("open")),
            figure(row.overdue, place("overdue")),
            if row.median_days_to_done.is_some() {
                show.duration(row.median_days_to_done)
            } else {
                show.derived(None, Some(reports::Withheld::Small))
            },
        ]
    };
    let mut patches = Tabulate::new("patches", "Per patch", "Patch", &columns);
    patches.in_days("median", "Median days to do it");
    for (i, row) in r.by_patch.iter().enumerate() {
        patches.charted(
            &row.key,
            &row.label,
            texts(&format!("by_patch.{i}."), row),
            vec![f(row.done), f(row.open)],
        );
        patches.days("median", row.median_days_to_done);
    }
    patches.row("all", "Every patch", texts("all.", &r.all));
    patches.days("median", r.all.median_days_to_done);
    let mut topics = Tabulate::new("topics", "Per topic raised", "Topic", &columns);
    topics.in_days("median", "Median days to do it");
    for (i, row) in r.by_topic.iter().enumerate() {
        topics.row(
            &row.key,
            row.label.clone(),
            texts(&format!("by_topic.{i}."), row),
        );
        topics.days("median", row.median_days_to_done);
    }
    let overdue = format!(
        "Overdue: not done by the date given, or, when none was given, {} days after it was promised (the area page sets this). On time: done by then. Admins find the latest promises kept, in words for a newsletter, under Promises kept.",
        r.overdue_after_days
    );
    Ok(vec![
        patches.with_bars(
            "Promises made and kept",
            overdue,
            Chart {
                title: "Promises per patch",
                desc: "Stacked horizontal bars per patch: promises done, then those still to do.",
                series: &["done", "still to do"],
            },
        )?,
        topics.section(
            "By topic",
            "By the topics raised in the conversation where it was promised: a promise made when two topics came up counts under both.".to_owned(),
            String::new(),
        ),
    ])
}
