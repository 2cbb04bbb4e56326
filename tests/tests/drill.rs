//! Drill-down by a step of the ladder and by a champion, in a real
//! browser, on SQLite and PostgreSQL: a stage's bar on the funnel and a
//! stage on the routes chart open the same report for the people who
//! reached it; a champion's row on the Champions page opens it for the
//! people that champion knocked for. Choosing people by champion is an
//! admin's: a viewer's rows open the patch, the form offers no champion,
//! and a link by champion shared with a viewer is refused with the reason.
//! Screenshots at 1280 and 390 px wide.

use fantoccini::{Client, Locator};
use server::ops::Role;
use tests::START;
use tests::server::{TestDb, TestServer, connect, runtime};

use crate::dashboard::screenshot_at;

/// The text of the element `selector` (empty when there is none).
async fn text_of(client: &Client, selector: &str) -> String {
    match client.find(Locator::Css(selector)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// How many elements `selector` finds.
async fn how_many(client: &Client, selector: &str) -> usize {
    client
        .find_all(Locator::Css(selector))
        .await
        .map_or(0, |found| found.len())
}

fn drilling_by_stage_and_champion_in_a_real_browser(db: TestDb) {
    if !crate::dashboard::browser_available() {
        return;
    }
    // The champion with the most people knocked for, and their phone's name.
    let (champion, name) = runtime().block_on(async {
        let store = connect(&db).await;
        server::ops::demo::fill(&store, 900, 7, false)
            .await
            .expect("the demo area");
        let (id, name): (String, String) = sqlx::query_as(
            "SELECT c.recorded_by, d.name FROM champion_contacts c \
             JOIN devices d ON d.id = c.recorded_by \
             GROUP BY c.recorded_by, d.name ORDER BY COUNT(*) DESC, c.recorded_by LIMIT 1",
        )
        .fetch_one(&store.pool)
        .await
        .expect("a champion who knocked");
        (id, name)
    });
    let server = TestServer::start(&db, START);
    let base = server.base.clone();
    let (_, admin) = server.register(Role::Admin, &[]);
    let (_, viewer) = server.register(Role::Viewer, &[]);
    let shots = crate::dashboard::screenshots();
    let driver = crate::dashboard::Driver::start();
    let suffix = if db.url.starts_with("postgres") {
        "-postgres"
    } else {
        ""
    };
    for (who, token) in [("admin", &admin), ("viewer", &viewer)] {
        let profile = tempfile::tempdir().expect("browser profile");
        let shot = |name: String| format!("{name}-{who}{suffix}");
        runtime().block_on(async {
            let client = crate::dashboard::open_browser(&driver, profile.path()).await;
            crate::map::sign_in(&client, &base, token).await;

            // The funnel: each stage's bar is a named link; Participant's
            // opens the funnel of the people who reached it, and says so.
            client
                .goto(&format!("{base}/reports/funnel"))
                .await
                .unwrap();
            let stages = sync_core::Ladder::default().stages().len();
            // Each named, and reached by the keyboard.
            assert_eq!(
                crate::map::check_links_reachable(&client, "svg a.drill[href*=\"stage=\"]").await,
                stages as u64
            );
            crate::dashboard::click_and_wait(
                &client,
                "svg a.drill[href*=\"stage=participant\"] rect",
                |url| url.ends_with("/reports/funnel?stage=participant"),
            )
            .await;
            crate::dashboard::check_figures(&client, &base, token, "funnel", "?stage=participant")
                .await;
            let applied = text_of(&client, "#applied").await;
            assert!(
                applied.contains("people who reached Participant"),
                "{applied}"
            );
            let chosen = text_of(&client, "#f-stage option[selected]").await;
            assert_eq!(chosen, "Participant");
            // The funnel's chart, drawn for those people.
            screenshot_at(
                &client,
                &shots,
                "funnel-h",
                &shot("funnel-drill-participant".into()),
            )
            .await;

            // A step the ladder does not have (a stale or mistyped link) is
            // said beside the form, which keeps the other filters.
            client
                .goto(&format!(
                    "{base}/reports/funnel?patch=elm-road&stage=astronaut"
                ))
                .await
                .unwrap();
            let problem = text_of(&client, "#filters-problem").await;
            assert!(
                problem.contains("there is no stage \"astronaut\""),
                "{problem}"
            );
            assert_eq!(how_many(&client, "table[data-table]").await, 0);
            let patch = text_of(&client, "#f-patch option[selected]").await;
            assert!(!patch.is_empty(), "the patch chosen is kept");

            // Routes with a channel chosen: a stage on the flow chart keeps
            // the channel and adds the stage.
            client
                .goto(&format!("{base}/reports/routes?channel=doorstep"))
                .await
                .unwrap();
            assert!(crate::map::check_links_reachable(&client, "svg.flow a.drill").await >= 2);
            crate::dashboard::click_and_wait(
                &client,
                "svg.flow a.drill[href*=\"stage=conversation\"] rect",
                |url| url.ends_with("/reports/routes?channel=doorstep&stage=conversation"),
            )
            .await;
            crate::dashboard::check_figures(
                &client,
                &base,
                token,
                "routes",
                "?channel=doorstep&stage=conversation",
            )
            .await;
            screenshot_at(
                &client,
                &shots,
                "applied",
                &shot("routes-drill-conversation".into()),
            )
            .await;
            // Removing the stage keeps the channel.
            crate::dashboard::click_and_wait(
                &client,
                "#applied a.remove[aria-label*=\"reached\"]",
                |url| url.ends_with("/reports/routes?channel=doorstep"),
            )
            .await;

            // Champions: an admin's rows open the people the champion
            // knocked for; a viewer's open the patch, and no page offers a
            // viewer a champion.
            client
                .goto(&format!("{base}/reports/champions"))
                .await
                .unwrap();
            let by_champion = how_many(&client, "svg a.drill[href*=\"champion=\"]").await;
            let by_patch = how_many(&client, "svg a.drill[href*=\"patch=\"]").await;
            let offered = how_many(&client, "#f-champion option").await;
            assert_eq!(
                crate::map::check_links_reachable(&client, "svg a.drill").await as usize,
                by_champion + by_patch
            );
            if who == "admin" {
                assert!(
                    by_champion >= 2 && by_patch == 0,
                    "{by_champion} {by_patch}"
                );
                assert!(offered >= 2, "{offered} champions offered");
                crate::dashboard::click_and_wait(
                    &client,
                    &format!("svg a.drill[href*=\"champion={champion}\"] rect"),
                    |url| url.ends_with(&format!("/reports/champions?champion={champion}")),
                )
                .await;
                crate::dashboard::check_figures(
                    &client,
                    &base,
                    token,
                    "champions",
                    &format!("?champion={champion}"),
                )
                .await;
                let applied = text_of(&client, "#applied").await;
                assert!(
                    applied.contains(&format!("people contacted by {name}")),
                    "{applied}"
                );
                assert!(
                    !applied.contains(&champion),
                    "the page names the phone: {applied}"
                );
                screenshot_at(&client, &shots, "applied", &shot("champions-drill".into())).await;
            } else {
                assert!(
                    by_champion == 0 && by_patch >= 2,
                    "{by_champion} {by_patch}"
                );
                assert_eq!(offered, 0, "a viewer is offered champions");
                // A link by champion, shared with a viewer, says why not.
                client
                    .goto(&format!("{base}/reports/champions?champion={champion}"))
                    .await
                    .unwrap();
                let problem = text_of(&client, "#filters-problem").await;
                assert!(problem.contains("only admins"), "{problem}");
                assert_eq!(how_many(&client, "table[data-table]").await, 0);
                crate::dashboard::screenshot(&client, &shots, &shot("champions-refused".into()))
                    .await;
            }

            // On a phone: the filtered pages fit, form and all.
            client.set_window_size(390, 844).await.unwrap();
            crate::dashboard::fits_a_phone(&client, &base, "/reports/funnel?stage=participant")
                .await;
            screenshot_at(
                &client,
                &shots,
                "applied",
                &shot("funnel-drill-participant-390px".into()),
            )
            .await;
            crate::dashboard::fits_a_phone(
                &client,
                &base,
                &format!("/reports/champions?champion={champion}"),
            )
            .await;
            screenshot_at(
                &client,
                &shots,
                "applied",
                &shot("champions-drill-390px".into()),
            )
            .await;
            client.close().await.unwrap();
        });
    }
}

tests::on_every_database!(drilling_by_stage_and_champion_in_a_real_browser);
