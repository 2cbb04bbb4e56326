//! The reach pages: civic core, reach and fairness, champions, doors.

use super::{Chart, Section, Show, Tabulate, f, percent, thousands};
use crate::calendar;
use crate::error::Error;
use crate::reports;

pub(super) fn civic_core(r: &reports::CivicCore) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let why = |place: String| r.withheld.get(&place).copied();
    let figure = |n: Option<u64>, place: String| show.figure(n, why(place));
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
        t.charted(
            key,
            label,
            vec![figure(n, format!("roles_held.{key}"))],
            vec![f(n)],
        );
    }
    t.row(
        "two_or_more",
        "Two or more (the civic core)",
        vec![figure(held.two_or_more, "roles_held.two_or_more".into())],
    );
    t.row(
        "any",
        "Any",
        vec![figure(held.people, "roles_held.people".into())],
    );
    let mut a = Tabulate::new(
        "activity",
        "How concentrated activity is",
        "Measure",
        &[("value", "Value")],
    );
    a.row(
        "active",
        "People who did anything",
        vec![figure(r.active_people, "active_people".into())],
    );
    a.row(
        "activity",
        "Things they did",
        vec![figure(r.activity, "activity".into())],
    );
    a.row(
        "top_tenth",
        "Share done by the most active tenth",
        vec![show.derived(
            r.top_tenth_share.map(|v| format!("{:.1}%", v * 100.0)),
            why("top_tenth_share".into()),
        )],
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
    for (k, month) in r.months.iter().enumerate() {
        let texts = vec![
            figure(month.attendees, format!("months.{k}.attendees")),
            figure(month.first_time, format!("months.{k}.first_time")),
            figure(month.returning, format!("months.{k}.returning")),
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
    for (i, ev) in r.events.iter().enumerate() {
        e.row(
            &ev.event,
            ev.title.clone(),
            vec![
                ev.starts_at.map(calendar::day).unwrap_or_default(),
                figure(ev.attendees, format!("events.{i}.attendees")),
                figure(ev.first_time, format!("events.{i}.first_time")),
                figure(ev.returning, format!("events.{i}.returning")),
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
    let why = |place: String| r.withheld.get(&place).copied();
    let counts = |list: &str, i: usize, row: &reports::ReachRow| {
        vec![
            show.figure(row.contacts, why(format!("{list}.{i}.contacts"))),
            show.figure(row.conversations, why(format!("{list}.{i}.conversations"))),
            show.figure(row.participants, why(format!("{list}.{i}.participants"))),
        ]
    };
    let rate =
        |v: Option<f64>, place: String| show.derived(v.map(|v| format!("{v:.1}")), why(place));
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
            (
                "households_contacted_per_1000",
                "Households contacted per 1,000 households",
            ),
            columns[0],
            columns[1],
            columns[2],
            ("households", "Households"),
            ("households_contacted", "Households contacted"),
            (
                "households_with_conversations_per_1000",
                "Households with conversations per 1,000",
            ),
            (
                "households_with_participants_per_1000",
                "Households with participants per 1,000",
            ),
        ],
    );
    for (i, row) in r.by_patch.iter().enumerate() {
        let place = |field: &str| format!("by_patch.{i}.{field}");
        let mut texts = vec![rate(
            row.households_contacted_per_1000_households,
            place("households_contacted_per_1000_households"),
        )];
        texts.extend(counts("by_patch", i, row));
        texts.extend([
            row.households
                .map_or_else(|| "not set".to_owned(), |h| thousands(u64::from(h))),
            show.figure(row.households_contacted, why(place("households_contacted"))),
            rate(
                row.households_with_conversations_per_1000_households,
                place("households_with_conversations_per_1000_households"),
            ),
            rate(
                row.households_with_participants_per_1000_households,
                place("households_with_participants_per_1000_households"),
            ),
        ]);
        p.charted(
            &row.group,
            &row.label,
            texts,
            vec![row.households_contacted_per_1000_households],
        );
        // Configured patches (those with households) open Reach for them.
        if row.households.is_some() {
            p.drill(
                "reach",
                "patch",
                &row.group,
                format!("{}: show Reach for this patch", row.label),
            );
        }
    }
    let mut sections = vec![p.with_bars(
        "Reach by patch",
        format!(
            "In all: {} contacts, {} conversations, {} participants.",
            show.figure(r.contacts, why("contacts".into())),
            show.figure(r.conversations, why("conversations".into())),
            show.figure(r.participants, why("participants".into()))
        ),
        Chart {
            title: "Households contacted per 1,000 households, per patch",
            desc: "Horizontal bars, one per patch, of households with anyone contacted per 1,000 households.",
            series: &["households contacted per 1,000 households"],
        },
    )?];
    let breakdowns: [(&'static str, &str, &str, &[reports::ReachRow]); 4] = [
        ("age", "by_age_band", "By age band", &r.by_age_band),
        ("tenure", "by_tenure", "By tenure", &r.by_tenure),
        ("language", "by_language", "By language", &r.by_language),
        (
            "ethnicity",
            "by_ethnicity",
            "By ethnicity (only people who consented to give it)",
            &r.by_ethnicity,
        ),
    ];
    for (id, list, heading, rows) in breakdowns {
        let mut t = Tabulate::new(id, heading, "Group", &columns);
        for (i, row) in rows.iter().enumerate() {
            t.charted(
                &row.group,
                &row.label,
                counts(list, i, row),
                vec![f(row.contacts)],
            );
            if list == "by_age_band" && sync_core::AgeBand::parse(&row.group).is_some() {
                t.drill(
                    "reach",
                    "age_band",
                    &row.group,
                    format!("Age {}: show Reach for this age band", row.label),
                );
            }
        }
        let note = if id == "age" {
            let share = |v: Option<f64>, place: &str| {
                show.derived(v.map(|v| format!("{:.1}%", v * 100.0)), why(place.into()))
            };
            format!(
                "Under 55: {} of contacts and {} of participants (of those with a known age).",
                share(r.under_55_share_of_contacts, "under_55_share_of_contacts"),
                share(
                    r.under_55_share_of_participants,
                    "under_55_share_of_participants"
                )
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

pub(super) fn champions(r: &reports::ChampionActivity) -> Result<Vec<Section>, Error> {
    let show = Show {
        below: r.suppressed_below,
    };
    let figure = |n: Option<u64>, place: String| show.figure(n, r.withheld.get(&place).copied());
    // "Knocks", not "doors knocked": a door knocked twice is two knocks
    // here, and one door on the Doors page.
    let mut t = Tabulate::new(
        "champions",
        "Per champion's phone and patch",
        "Champion (phone) and patch",
        &[
            ("doors", "Knocks (each visit to a door)"),
            ("conversations", "Conversations held"),
            ("owed", "Follow-ups owed"),
            ("overdue", "Of them overdue"),
        ],
    );
    for (i, row) in r.rows.iter().enumerate() {
        // By the name the phone was registered with; a phone without one by
        // the start of its id.
        let champion = if row.champion_name.is_empty() {
            format!("{}…", row.champion.chars().take(8).collect::<String>())
        } else {
            row.champion_name.clone()
        };
        let place = |field: &str| format!("rows.{i}.{field}");
        let texts = vec![
            figure(row.knocks, place("knocks")),
            figure(row.conversations_held, place("conversations_held")),
            figure(row.follow_ups_owed, place("follow_ups_owed")),
            figure(row.follow_ups_overdue, place("follow_ups_overdue")),
        ];
        let not_spoken = row
            .knocks
            .zip(row.conversations_held)
            .map(|(d, c)| d.saturating_sub(c) as f64);
        t.charted(
            &format!("{}.{}", row.champion, row.patch),
            &format!("{champion} in {}", row.patch_name),
            texts,
            vec![f(row.conversations_held), not_spoken],
        );
        // A champion's row opens the page for the people they knocked
        // for: admins only may choose people by champion, so a viewer's
        // opens the patch they knocked in.
        if r.by_champion {
            t.drill(
                "champions",
                "champion",
                &row.champion,
                format!("{champion}: show Champions for the people {champion} contacted"),
            );
        } else {
            t.drill(
                "champions",
                "patch",
                &row.patch,
                format!(
                    "{champion} in {}: show Champions for {}",
                    row.patch_name, row.patch_name
                ),
            );
        }
    }
    t.row(
        "all",
        "All champions",
        vec![
            figure(r.knocks, "knocks".into()),
            figure(r.conversations_held, "conversations_held".into()),
            figure(r.follow_ups_owed, "follow_ups_owed".into()),
            figure(r.follow_ups_overdue, "follow_ups_overdue".into()),
        ],
    );
    Ok(vec![t.with_bars(
        "Knocks and follow-ups",
        String::new(),
        Chart {
            title: "Knocks per champion and patch",
            desc: "Stacked horizontal bars per champion's phone and patch: knocks where we spoke, then knocks without a conversation.",
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
            ("moved_away", "Household moved away"),
            ("moved_away_share", "Moved away, share of knocked"),
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
            &row.label,
            vec![
                show.count(Some(row.doors_knocked)),
                show.count(Some(row.doors_answered)),
                show.count(Some(row.doors_moved_away)),
                percent(row.moved_away_percent_of_knocked),
                show.count(Some(row.doors_listed)),
                row.households
                    .map_or_else(|| "not set".to_owned(), |h| thousands(u64::from(h))),
                per_1000(row.knocked_per_1000_households),
                per_1000(row.answered_per_1000_households),
            ],
            vec![f(Some(row.doors_answered)), Some(not_answered)],
        );
        if row.households.is_some() {
            t.drill(
                "households",
                "patch",
                &row.patch,
                format!("{}: show Doors for this patch", row.label),
            );
        }
    }
    Ok(vec![t.with_bars(
        "Households reached",
        format!(
            "In all: {} doors knocked, {} answered, and at {} the household had moved away (counted apart: a high share means a transient patch, where a knock finds new neighbours). A door counts once however often it was knocked; doors are not people, so no count is hidden.",
            show.count(Some(r.doors_knocked)),
            show.count(Some(r.doors_answered)),
            show.count(Some(r.doors_moved_away))
        ),
        Chart {
            title: "Doors knocked per patch",
            desc: "Stacked horizontal bars per patch: doors where someone answered, then doors where nobody did.",
            series: &["answered", "not answered"],
        },
    )?])
}
