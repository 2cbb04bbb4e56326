//! Nothing a report hides can be worked out from what it shows: the
//! auditor (`tests::auditor`, which shares no code with the server's
//! disclosure control) checks every report of the registry that describes
//! its figures' relations, on the demo area and on generated small areas,
//! with and without filters, and the disclosure control itself on
//! generated small pages (breakdowns beside their totals, funnels of tiny
//! boards).

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use server::reports::cell_key::MAX_NOISE;
use server::reports::disclosure::{Cell, Page, Shown};
use server::reports::{Audience, Filters};
use sync_core::Clock;
use sync_core::SystemClock;
use tests::auditor::{at, audit};
use tests::server::{TestDb, connect, runtime, sqlite};

const THRESHOLD: u64 = 5;

fn no_report_on_the_demo_area_gives_away_what_it_hides(db: TestDb) {
    runtime().block_on(async {
        let store = connect(&db).await;
        server::ops::demo::fill(&store, 1500, 11, false)
            .await
            .expect("the demo area");
        let (audited, adjusted) = audit_every_report(&store).await;
        assert!(audited > 0, "no report describes its figures");
        assert!(adjusted > 0, "viewers' figures are adjusted");
    });
}

/// Small areas, generated: a few dozen people over two years, so patches
/// of a handful, boards of one or two and events with one attendee.
#[test]
fn no_report_on_a_generated_small_area_gives_away_what_it_hides() {
    // Each case writes two years of weekly events: a few cases suffice.
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 4,
        ..ProptestConfig::default()
    });
    runner
        .run(&(12usize..90, any::<u64>()), |(people, seed)| {
            let db = sqlite();
            runtime().block_on(async {
                let store = connect(&db).await;
                server::ops::demo::fill(&store, people, seed, false)
                    .await
                    .expect("a small area");
                audit_every_report(&store).await;
            });
            Ok(())
        })
        .unwrap();
}

/// Audits every report of the registry that describes its figures, as an
/// admin sees it (exact), unfiltered, per patch and for one channel; and
/// checks a viewer's (adjusted) against it. Returns how many pages were
/// audited, and how many of the viewer's figures were adjusted.
async fn audit_every_report(store: &server::store::Db) -> (usize, u64) {
    let now = SystemClock.now();
    let patches = ["elm-road", "oak-lane", "birch-close"];
    let mut filters = vec![Filters::default()];
    filters.extend(patches.iter().map(|p| Filters {
        patch: Some((*p).to_owned()),
        ..Filters::default()
    }));
    filters.push(Filters {
        channel: Some("youth-session".into()),
        ..Filters::default()
    });
    // Who reached a step, alone and within a patch: smaller groups, chosen
    // by how far people went.
    for (stage, patch) in [("participant", None), ("volunteer", Some("elm-road"))] {
        filters.push(Filters {
            stage: Some(stage.into()),
            patch: patch.map(str::to_owned),
            ..Filters::default()
        });
    }
    // The people one champion's phone knocked for (admins only).
    let (champion,): (Option<String>,) =
        sqlx::query_as("SELECT MIN(recorded_by) FROM champion_contacts")
            .fetch_one(&store.pool)
            .await
            .expect("a champion");
    if let Some(champion) = champion {
        filters.push(Filters {
            champion: Some(champion),
            ..Filters::default()
        });
    }
    let (mut audited, mut adjusted_in_all) = (0, 0);
    for (name, _) in server::http::report_breakdowns() {
        for filter in &filters {
            let (published, page) =
                match server::http::published_report(store, name, filter, Audience::Exact, now)
                    .await
                {
                    Ok(published) => published,
                    // Reports of doors, topics and promises count what
                    // happened, not people.
                    Err(server::error::Error::BadRequest(_)) if filter.describes_people() => {
                        continue;
                    }
                    Err(e) => panic!("{name} {filter:?}: {e}"),
                };
            let Some(page) = page else { continue };
            let findings = audit(&published, &page, THRESHOLD);
            assert!(
                findings.is_empty(),
                "{name} {filter:?}:\n{}",
                findings.join("\n")
            );
            audited += 1;
            // A viewer sees the same figures hidden, for the same reasons,
            // and the rest adjusted within the table's reach; a filter of
            // too few people is refused them.
            let viewer =
                match server::http::published_report(store, name, filter, Audience::Adjusted, now)
                    .await
                {
                    Ok((viewer, _)) => viewer,
                    Err(server::error::Error::BadRequest(message))
                        if *filter != Filters::default() =>
                    {
                        assert!(message.contains("fewer than 50 people"), "{message}");
                        continue;
                    }
                    // Choosing people by champion is for admins only.
                    Err(server::error::Error::Forbidden(why)) if filter.champion.is_some() => {
                        assert_eq!(why, server::reports::CHAMPION_FILTER);
                        continue;
                    }
                    Err(e) => panic!("{name} {filter:?} for a viewer: {e}"),
                };
            assert_eq!(
                viewer["withheld"], published["withheld"],
                "{name} {filter:?}"
            );
            let adjusted = viewer["adjusted"] == Value::Bool(true);
            let mut moved = 0;
            for (place, count) in page.figures() {
                let Some(exact) = at(&published, place).and_then(Value::as_u64) else {
                    continue;
                };
                assert_eq!(exact, count, "{name} {place}: the admin's is exact");
                let shown = at(&viewer, place)
                    .and_then(Value::as_u64)
                    .expect("a figure shown to admins is shown to viewers");
                assert!(
                    shown.abs_diff(count) <= MAX_NOISE && (count == 0) == (shown == 0),
                    "{name} {filter:?} {place}: {count} shown as {shown}"
                );
                assert!(count < THRESHOLD || shown >= THRESHOLD, "{name} {place}");
                moved += u64::from(shown != count);
            }
            if !adjusted {
                assert_eq!(moved, 0, "{name}: its figures are exact for everyone");
            }
            adjusted_in_all += moved;
        }
    }
    (audited, adjusted_in_all)
}

/// The JSON a report would publish for `page`: each figure's count, or
/// `null` and its reason.
fn published(page: &Page) -> Value {
    let hidden = page.protect(THRESHOLD, Audience::Exact);
    let mut fields = Map::new();
    let mut withheld = Map::new();
    for (key, count) in page.figures() {
        match hidden.shown(key, count) {
            Shown::Count(n) => {
                fields.insert(key.to_owned(), json!(n));
            }
            Shown::Withheld(why) => {
                fields.insert(key.to_owned(), Value::Null);
                withheld.insert(key.to_owned(), json!(why));
            }
        }
    }
    fields.insert("withheld".into(), Value::Object(withheld));
    Value::Object(fields)
}

/// A table of `rows` x `columns` with its row totals, column totals and
/// grand total.
fn table(counts: &[Vec<u64>]) -> Page {
    let mut page = Page::new();
    let cells: Vec<Vec<Cell>> = counts
        .iter()
        .map(|row| row.iter().map(|n| page.cell(*n)).collect())
        .collect();
    for (r, row) in cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            page.figure(format!("r{r}c{c}"), &[*cell]);
        }
        page.figure(format!("r{r}"), row);
    }
    let columns = cells.first().map_or(0, Vec::len);
    for c in 0..columns {
        let column: Vec<Cell> = cells.iter().map(|row| row[c]).collect();
        page.figure(format!("c{c}"), &column);
    }
    let all: Vec<Cell> = cells.iter().flatten().copied().collect();
    page.figure("total", &all);
    page
}

/// A funnel: people by the highest stage they reached.
fn funnel(highest: &[u64]) -> Page {
    let mut page = Page::new();
    let cells: Vec<Cell> = highest.iter().map(|n| page.cell(*n)).collect();
    for i in 0..cells.len() {
        page.figure(format!("reached{i}"), &cells[i..]);
        page.figure(format!("stopped{i}"), &cells[i..=i]);
    }
    page
}

fn small_count() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..8, 0u64..40]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_breakdown_and_its_totals_never_give_a_hidden_count_away(
        counts in prop::collection::vec(prop::collection::vec(small_count(), 1..4), 1..5)
            .prop_filter("rows of one length", |rows| rows.iter().all(|r| r.len() == rows[0].len()))
    ) {
        let page = table(&counts);
        let findings = audit(&published(&page), &page, THRESHOLD);
        prop_assert!(findings.is_empty(), "{counts:?}:\n{}", findings.join("\n"));
    }

    #[test]
    fn a_small_funnel_never_gives_a_hidden_count_away(
        highest in prop::collection::vec(small_count(), 2..7)
    ) {
        let page = funnel(&highest);
        let findings = audit(&published(&page), &page, THRESHOLD);
        prop_assert!(findings.is_empty(), "{highest:?}:\n{}", findings.join("\n"));
    }
}

#[test]
fn the_auditor_catches_a_page_that_hides_too_little() {
    // 40, 3, 12 beside their total, with only the 3 hidden: the total
    // gives it back.
    let mut page = Page::new();
    let cells: Vec<Cell> = [40, 3, 12].iter().map(|n| page.cell(*n)).collect();
    for (i, cell) in cells.iter().enumerate() {
        page.figure(format!("row{i}"), &[*cell]);
    }
    page.figure("total", &cells);
    let leaky = json!({
        "row0": 40, "row1": null, "row2": 12, "total": 55,
        "withheld": { "row1": "small" }
    });
    let findings = audit(&leaky, &page, THRESHOLD);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("row1 (3) can be narrowed to 3..3")),
        "{findings:?}"
    );
    // Labelling 12 "fewer than 5" is a lie the auditor names.
    let lying = json!({
        "row0": 40, "row1": null, "row2": null, "total": 55,
        "withheld": { "row1": "small", "row2": "small" }
    });
    let findings = audit(&lying, &page, THRESHOLD);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("row2 is labelled fewer than 5 but is 12")),
        "{findings:?}"
    );
    // And what the server publishes for it passes.
    assert!(audit(&published(&page), &page, THRESHOLD).is_empty());
}

/// A board of nine: eight members aged 65 to 74 who own their homes and
/// one aged 18 to 24 who rents. Membership is public, so the one young
/// member's band (or side of 55, or housing) must not follow from
/// anything the board report shows, to an admin or a viewer.
fn one_young_board_member_is_not_given_away(db: TestDb) {
    use server::store::audit::Actor;
    runtime().block_on(async {
        let store = connect(&db).await;
        let now = SystemClock.now();
        server::ops::area::edit(
            &store,
            Actor::CommandLine,
            Some("north-estate"),
            "settings",
            now,
            |a| {
                server::ops::area::set_patch(a, "elm-road", "Elm Road", 300);
                Ok(())
            },
        )
        .await
        .expect("the area");
        let mut csv =
            String::from("patch,lawful_basis,name,age_band,tenure,residency,role,role_start\n");
        for i in 0..8 {
            csv.push_str(&format!(
                "elm-road,legitimate-interests,Elder {i},65-74,owner,lives,partnership-member,2024-01-0{}\n",
                i + 1
            ));
        }
        csv.push_str(
            "elm-road,legitimate-interests,Young One,18-24,private-rent,lives,partnership-member,2024-02-01\n",
        );
        let report =
            server::ops::people_import::import(&store, Actor::CommandLine, csv.as_bytes(), now)
                .await
                .expect("the import");
        assert_eq!(report.bad_lines, vec![], "every line imported");
        for audience in [Audience::Exact, Audience::Adjusted] {
            let (json, page) =
                server::http::published_report(&store, "board", &Filters::default(), audience, now)
                    .await
                    .expect("the board report");
            assert_eq!(json["members"], 9, "membership is public and exact");
            for side in ["age", "tenure"] {
                for place in [
                    format!("{side}.sides.0.board"),
                    format!("{side}.sides.1.board"),
                    format!("{side}.sides.0.board_share_percent"),
                ] {
                    assert_eq!(
                        at(&json, &place),
                        Some(&Value::Null),
                        "{audience:?} {place}"
                    );
                }
            }
            assert_eq!(json["withheld"]["age.sides.0.board"], "small");
            if audience == Audience::Exact {
                let page = page.expect("the board describes its figures");
                let findings = audit(&json, &page, THRESHOLD);
                assert!(findings.is_empty(), "{}", findings.join("\n"));
            }
        }
    });
}

tests::on_every_database!(
    no_report_on_the_demo_area_gives_away_what_it_hides,
    one_young_board_member_is_not_given_away
);
