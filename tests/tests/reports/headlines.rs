//! Periods and comparisons: each headline figure for a period, and for the
//! period it is compared with, is the oracle's count for those days; a
//! change is given exactly when both figures are shown, and is their
//! difference.

use serde_json::Value;
use sync_core::{Person, StageRule, Timestamp};
use tests::server::TestServer;

use super::{World, fetch, first_contact, reached};

fn day(text: &str) -> i64 {
    let (y, rest) = text.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    let (y, m, d): (i64, i64, i64) = (y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap());
    super::civil_day(y, m) + (d - 1) * Timestamp::DAY_MILLIS
}

fn figure<'a>(headlines: &'a Value, key: &str) -> &'a Value {
    headlines["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == key)
        .unwrap_or_else(|| panic!("no headline {key}: {headlines}"))
}

/// Every headline: a change exactly when both figures are shown, their
/// difference; otherwise a reason.
fn check_changes(what: &str, headlines: &Value) {
    for h in headlines["figures"].as_array().unwrap() {
        let (now, then) = (h["value"].as_f64(), h["earlier"].as_f64());
        match (now, then, h["change"].as_f64()) {
            (Some(now), Some(then), Some(change)) => {
                assert!((change - (now - then)).abs() < 0.051, "{what} {h}");
            }
            (Some(_), Some(_), None) => panic!("{what}: a change is missing: {h}"),
            (_, _, Some(_)) => panic!("{what}: a change beside a hidden figure: {h}"),
            (..) => assert!(
                h["no_change_because"].is_string() || headlines["compared_with"].is_null(),
                "{what}: no change and no reason: {h}"
            ),
        }
        if h["value"].is_null() {
            assert!(
                h["withheld"].is_string(),
                "{what}: hidden without a reason: {h}"
            );
        }
    }
}

/// The oracle's contacts, conversations and participants first contacted
/// in `[from, to)`, in `patch` if given.
fn counts(w: &World, from: i64, to: i64, patch: Option<&str>) -> [u64; 3] {
    let chosen: Vec<&Person> = w
        .people
        .iter()
        .filter(|p| patch.is_none_or(|patch| p.patch == patch))
        .filter(|p| first_contact(p, w.as_of).is_some_and(|t| (from..to).contains(&t.as_millis())))
        .collect();
    let at = |rule| chosen.iter().filter(|p| reached(p, w.as_of, rule)).count() as u64;
    [
        chosen.len() as u64,
        at(StageRule::Conversation),
        at(StageRule::Participant),
    ]
}

pub(super) fn check_headlines(server: &TestServer, admin: &str, viewer: &str, w: &World) {
    // A quarter against the quarter before, against the oracle (exact, for
    // an admin).
    let reach: Value = fetch(server, admin, "reach", "period=2025-Q2");
    let headlines = &reach["headlines"];
    assert_eq!(headlines["period"]["label"], "April to June 2025 (Q2)");
    assert_eq!(headlines["compare"], "previous");
    assert_eq!(headlines["compared_with"]["from"], "2025-01-01");
    assert_eq!(headlines["compared_with"]["until"], "2025-03-31");
    check_changes("reach 2025-Q2", headlines);
    let (q1, q2, q3) = (day("2025-01-01"), day("2025-04-01"), day("2025-07-01"));
    let below = reach["suppressed_below"].as_f64().unwrap();
    for patch in [None, Some("elm-road"), Some("oak-lane")] {
        let (now, then) = (counts(w, q2, q3, patch), counts(w, q1, q2, patch));
        let keys: Vec<String> = match patch {
            None => ["contacts", "conversations", "participants"]
                .map(str::to_owned)
                .to_vec(),
            Some(patch) => vec![format!("contacts@{patch}")],
        };
        for (i, key) in keys.iter().enumerate() {
            let h = figure(headlines, key);
            for (field, truth) in [("value", now[i]), ("earlier", then[i])] {
                match h[field].as_f64() {
                    Some(v) => assert_eq!(v, truth as f64, "reach {key} {field}"),
                    None => assert!(
                        (truth as f64) < below || h[format!("{field}_withheld")].is_string()
                    ),
                }
            }
            if h["change"].is_number() {
                assert_eq!(
                    h["change"].as_f64(),
                    Some(now[i] as f64 - then[i] as f64),
                    "{key}"
                );
            }
        }
    }
    // The report's own figures for a period are those of the same days.
    let same_days: Value = fetch(server, admin, "reach", &format!("from={q2}&to={q3}"));
    let mut without = reach.clone();
    without.as_object_mut().unwrap().remove("headlines");
    let mut same = same_days.clone();
    same.as_object_mut().unwrap().remove("headlines");
    assert_eq!(without, same, "a period is its days");
    // Nothing was recorded a year earlier: every earlier figure is 0.
    let year: Value = fetch(server, admin, "reach", "period=2025-Q2&compare=year-before");
    assert_eq!(
        year["headlines"]["compared_with"]["label"],
        "April to June 2024 (Q2)"
    );
    let contacts = figure(&year["headlines"], "contacts");
    assert_eq!(contacts["earlier"].as_f64(), Some(0.0));
    assert_eq!(contacts["change"], contacts["value"]);
    assert!(
        contacts["change_percent"].is_null(),
        "no percentage of nothing"
    );
    // Every month, every report with headlines, for an admin; every
    // quarter for a viewer (a month holds too few people for a viewer).
    for report in [
        "funnel",
        "routes",
        "civic-core",
        "reach",
        "champions",
        "households",
        "voices",
        "you-said-we-did",
    ] {
        for month in 2..=10 {
            let query = format!("period=2025-{month:02}");
            let r: Value = fetch(server, admin, report, &query);
            check_changes(&format!("{report} {query}"), &r["headlines"]);
        }
        for quarter in 2..=3 {
            let query = format!("period=2025-Q{quarter}");
            let r: Value = fetch(server, viewer, report, &query);
            check_changes(&format!("viewer {report} {query}"), &r["headlines"]);
        }
    }
    // The board and the groups now have no period.
    for report in ["resident-led", "board", "turnover", "groups"] {
        let now: Value = fetch(server, admin, report, "period=2025-Q2");
        let headlines = &now["headlines"];
        assert!(headlines["compared_with"].is_null(), "{report}");
        assert!(
            headlines["no_comparison_because"]
                .as_str()
                .unwrap()
                .contains("as they are now"),
            "{report}: {headlines}"
        );
        assert!(
            !headlines["figures"].as_array().unwrap().is_empty(),
            "{report}"
        );
        check_changes(report, headlines);
    }
    // A headline is the report's own figure, as it publishes it: a share
    // of 0 to 1 as a percentage.
    let routes: Value = fetch(server, admin, "routes", "period=2025-Q2");
    for channel in routes["by_channel"].as_array().unwrap() {
        let key = channel["entry_channel"].as_str().unwrap();
        let share = figure(&routes["headlines"], &format!("share_reaching_top@{key}"));
        match channel["share_reaching_top"].as_f64() {
            Some(s) => assert_eq!(share["value"].as_f64(), Some((s * 1000.0).round() / 10.0)),
            None => assert!(share["value"].is_null() && share["withheld"].is_string()),
        }
    }
    let civic: Value = fetch(server, admin, "civic-core", "period=2025-Q2");
    assert_eq!(
        figure(&civic["headlines"], "active_people")["value"].as_f64(),
        civic["active_people"].as_f64()
    );
    // The headlines alone, as CSV.
    let (status, csv) = tests::server::get_with_accept(
        &format!("{}/v1/reports/reach/headlines?period=2025-Q2", server.base),
        admin,
        "text/csv",
    );
    assert_eq!(status, 200, "{csv}");
    let contacts = figure(headlines, "contacts");
    let line = format!(
        "contacts,People contacted,count,{},{},{},",
        contacts["value"].as_f64().unwrap(),
        contacts["earlier"].as_f64().unwrap(),
        contacts["change"].as_f64().unwrap()
    );
    assert!(csv.lines().any(|l| l.starts_with(&line)), "{line} in {csv}");
    assert!(
        csv.starts_with(
            "# Headline figures: April to June 2025 (Q2), compared with January to March 2025 (Q1)"
        ),
        "{csv}"
    );
    // The API's description names the period, the comparison and the
    // headlines.
    let (status, doc) = tests::server::get(&format!("{}/openapi.json", server.base), admin);
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let headlines_op = &doc["paths"]["/v1/reports/reach/headlines"]["get"];
    let params = headlines_op["parameters"].as_array().unwrap();
    for name in ["period", "compare"] {
        assert!(
            params.iter().any(|p| p["name"] == name),
            "{name} in {headlines_op}"
        );
    }
    assert!(doc["components"]["schemas"]["Headlines"].is_object());
    // Periods that cannot be read, and comparisons without a period.
    for query in [
        "period=2025-Q5",
        &format!("period=2025-Q2&from={q1}"),
        "compare=previous",
        "compare=sometime&period=2025",
        "cohort=2025-03&period=2025-Q1",
    ] {
        let url = format!("{}/v1/reports/reach?{query}", server.base);
        let (status, body) = tests::server::get(&url, admin);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains("\"error\""), "{body}");
    }
}
