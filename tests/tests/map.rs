//! The map of patches shows the Reach and Doors reports' figures, as each
//! audience sees them, and no door-level detail to a viewer; drill-down
//! links keep the page's filters, and a patch the area does not have is
//! refused with the reason.

use serde_json::Value;
use server::ops::Role;
use tests::START;
use tests::server::{TestDb, TestServer, connect, get, runtime};
use tests::web::WebSession;

fn json(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let (status, body) = get(&format!("{}{path}", server.base), token);
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, value)
}

/// The map's figures for `query` equal Reach's and Doors' for the same
/// query, as `token`'s audience sees them; returns the map.
fn check_against_reports(server: &TestServer, token: &str, query: &str, admin: bool) -> Value {
    let (status, map) = json(server, token, &format!("/v1/reports/map{query}"));
    let (reach_status, reach) = json(server, token, &format!("/v1/reports/reach{query}"));
    assert_eq!(status, reach_status, "{query}: {map} / {reach}");
    if status != 200 {
        // Refused as Reach refuses it, with the same reason.
        assert_eq!(map, reach, "{query}");
        return map;
    }
    let (_, doors) = json(server, token, &format!("/v1/reports/households{query}"));
    let patches = map["patches"].as_array().expect("patches");
    assert!(!patches.is_empty(), "{query}: {map}");
    for (i, p) in patches.iter().enumerate() {
        let slug = p["patch"].as_str().expect("a slug");
        let (j, row) = reach["by_patch"]
            .as_array()
            .expect("reach by patch")
            .iter()
            .enumerate()
            .find(|(_, r)| r["group"] == slug)
            .expect("the patch on Reach");
        for field in [
            "households_contacted",
            "households_contacted_per_1000_households",
        ] {
            assert_eq!(p[field], row[field], "{query} {slug} {field}");
            assert_eq!(
                map["withheld"][format!("patches.{i}.{field}")],
                reach["withheld"][format!("by_patch.{j}.{field}")],
                "{query} {slug} {field}: the same reason"
            );
        }
        let door_row = doors["by_patch"]
            .as_array()
            .expect("doors by patch")
            .iter()
            .find(|r| r["patch"] == slug)
            .expect("the patch on Doors");
        assert_eq!(
            p["doors_knocked"], door_row["doors_knocked"],
            "{query} {slug}"
        );
        assert_eq!(
            p["doors_listed"], door_row["doors_listed"],
            "{query} {slug}"
        );
        let listed = p["doors_listed"].as_u64().unwrap();
        let knocked = p["doors_knocked"].as_u64().unwrap();
        assert_eq!(p["doors_not_knocked"].as_u64(), Some(listed - knocked));
        let drawn: Vec<&Value> = map["doors"]
            .as_array()
            .expect("doors")
            .iter()
            .filter(|d| d["patch"] == slug)
            .collect();
        if admin {
            let placed = listed - p["doors_without_location"].as_u64().unwrap();
            assert_eq!(drawn.len() as u64, placed, "{query} {slug}");
            let knocked_drawn = drawn.iter().filter(|d| d["knocked"] == true).count() as u64;
            let knocked_unplaced = knocked.saturating_sub(knocked_drawn);
            assert!(
                knocked_unplaced <= p["doors_without_location"].as_u64().unwrap(),
                "{query} {slug}: {knocked_drawn} knocked drawn of {knocked}"
            );
        } else {
            assert!(drawn.is_empty(), "{query} {slug}: a viewer sees no door");
        }
    }
    assert_eq!(map["doors_drawn"], admin, "{query}");
    assert_eq!(map["adjusted"], reach["adjusted"], "{query}");
    map
}

fn the_map_shows_the_reach_and_doors_figures_and_no_door_to_a_viewer(db: TestDb) {
    runtime().block_on(async {
        let store = connect(&db).await;
        server::ops::demo::fill(&store, 600, 7, false)
            .await
            .expect("the demo area");
    });
    let server = TestServer::start(&db, START);
    let (_, admin) = server.register(Role::Admin, &[]);
    let (_, viewer) = server.register(Role::Viewer, &[]);
    let queries = [
        "",
        "?patch=elm-road",
        "?patch=birch-close",
        "?from=1748736000000",
        "?from=4070908800000",
    ];
    for query in queries {
        let exact = check_against_reports(&server, &admin, query, true);
        let adjusted = check_against_reports(&server, &viewer, query, false);
        if query.is_empty() {
            assert_eq!(exact["adjusted"], false);
            assert_eq!(adjusted["adjusted"], true);
            assert!(exact["doors_without_location"].as_u64() > Some(0));
            assert_eq!(
                exact["doors_without_location"],
                adjusted["doors_without_location"]
            );
        }
    }

    // The page and its SVG: each door for the admin, none for the viewer.
    for (token, doors) in [(&admin, true), (&viewer, false)] {
        let mut web = WebSession::new(&server.base);
        assert_eq!(web.sign_in(token).status, 303);
        let page = web.get("/reports/map?from=2025-06-01");
        assert_eq!(page.status, 200, "{}", page.body);
        let svg = web.get("/reports/map/svg?from=2025-06-01&table=map");
        assert_eq!(svg.status, 200, "{}", svg.body);
        assert!(svg.header("content-type").starts_with("image/svg+xml"));
        assert!(svg.body.starts_with("<svg xmlns="), "{}", svg.body);
        for body in [&page.body, &svg.body] {
            assert_eq!(
                body.contains("class=\"door\""),
                doors,
                "doors drawn: {doors}"
            );
            assert!(body.contains("doors have no location and are not on the map"));
            // Each patch opens Reach for it, keeping the dates.
            assert!(
                body.contains("href=\"/reports/reach?from=2025-06-01&amp;patch=elm-road\""),
                "{body}"
            );
        }
        assert!(
            page.body
                .contains("aria-label=\"Elm Road: households contacted")
        );
        // A patch the area does not have is refused, with the reason.
        let unknown = web.get("/reports/map?patch=nowhere");
        assert_eq!(unknown.status, 400);
        assert!(
            unknown.body.contains("there is no patch"),
            "{}",
            unknown.body
        );
        let unknown = web.get("/reports/reach?patch=nowhere");
        assert_eq!(unknown.status, 400);
        // Bars on charts open their report filtered by what they show,
        // keeping the dates: a patch, an age band, an entry channel.
        let reach = web.get("/reports/reach?from=2025-06-01");
        for link in [
            "href=\"/reports/reach?from=2025-06-01&amp;patch=elm-road\" aria-label=\"Elm Road: show Reach for this patch\"",
            "href=\"/reports/reach?from=2025-06-01&amp;age_band=25-34\"",
        ] {
            assert!(reach.body.contains(link), "{link}: {}", reach.body);
        }
        let routes = web.get("/reports/routes?patch=oak-lane");
        assert!(
            routes
                .body
                .contains("href=\"/reports/routes?patch=oak-lane&amp;channel=doorstep\""),
            "{}",
            routes.body
        );
        let doors_page = web.get("/reports/households");
        assert!(
            doors_page
                .body
                .contains("href=\"/reports/households?patch=elm-road\"")
        );
        // A drill-down a viewer may not have is refused with the reason,
        // beside the filters.
        let narrow = web.get("/reports/reach?from=2099-01-01&patch=elm-road");
        if doors {
            assert_eq!(narrow.status, 200);
        } else {
            assert_eq!(narrow.status, 400);
            assert!(
                narrow.body.contains("fewer than 50 people"),
                "{}",
                narrow.body
            );
        }
        // A chart that does not stand on its own is not offered as SVG.
        assert_eq!(web.get("/reports/reach/svg?table=patches").status, 404);
    }
}

tests::on_every_database!(the_map_shows_the_reach_and_doors_figures_and_no_door_to_a_viewer);

// ------------------------------------------------ in a real browser

/// Signs the browser in with `token` through the sign-in form.
pub(crate) async fn sign_in(client: &fantoccini::Client, base: &str, token: &str) {
    use fantoccini::Locator;
    client.goto(&format!("{base}/sign-in")).await.unwrap();
    client
        .find(Locator::Css("#token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    crate::dashboard::click_and_wait(client, "main form button[type=submit]", |url| {
        url.contains("/reports/")
    })
    .await;
}

/// The map page's figures, by `data-key`, are the map API's.
async fn check_map_page(client: &fantoccini::Client, base: &str, token: &str, query: &str) {
    let (_, map) = {
        let (status, body) = get(&format!("{base}/v1/reports/map{query}"), token);
        (
            status,
            serde_json::from_str::<Value>(&body).expect("map JSON"),
        )
    };
    let shown = crate::dashboard::shown(client).await;
    let thousands = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for p in map["patches"].as_array().expect("patches") {
        let slug = p["patch"].as_str().unwrap();
        for field in ["doors_knocked", "doors_not_knocked", "doors_listed"] {
            assert_eq!(
                shown.get(&format!("map.{slug}.{field}")),
                Some(&thousands(p[field].as_u64().unwrap())),
                "{slug} {field}"
            );
        }
        if let Some(n) = p["households_contacted"].as_u64() {
            assert_eq!(
                shown.get(&format!("map.{slug}.households_contacted")),
                Some(&thousands(n)),
                "{slug}"
            );
        }
        if let Some(rate) = p["households_contacted_per_1000_households"].as_f64() {
            assert_eq!(
                shown.get(&format!("map.{slug}.households_contacted_per_1000")),
                Some(&format!("{rate:.1}")),
                "{slug}"
            );
        }
    }
}

/// The drill-down links of the page: every one has an accessible name
/// and takes the keyboard's focus.
pub(crate) async fn check_links_reachable(client: &fantoccini::Client, selector: &str) -> u64 {
    let found = client
        .execute(
            "const links = [...document.querySelectorAll(arguments[0])]; \
             return links.map(a => { a.focus(); \
               return [document.activeElement === a, a.getAttribute('aria-label') || '']; });",
            vec![Value::String(selector.to_owned())],
        )
        .await
        .expect("the links");
    let links = found.as_array().expect("a list").clone();
    for link in &links {
        assert_eq!(link[0], true, "{selector}: {link} takes no focus");
        assert!(
            link[1].as_str().is_some_and(|name| name.len() > 5),
            "{selector}: {link} has no name"
        );
    }
    links.len() as u64
}

#[test]
fn the_map_and_a_drill_down_click_in_a_real_browser() {
    use fantoccini::Locator;
    if !crate::dashboard::browser_available() {
        return;
    }
    let db = tests::server::sqlite();
    runtime().block_on(async {
        let store = connect(&db).await;
        server::ops::demo::fill(&store, 900, 7, false)
            .await
            .expect("the demo area");
    });
    let server = TestServer::start(&db, START);
    let base = server.base.clone();
    let (_, admin) = server.register(Role::Admin, &[]);
    let (_, viewer) = server.register(Role::Viewer, &[]);
    let shots = crate::dashboard::screenshots();
    let driver = crate::dashboard::Driver::start();
    for (who, token) in [("admin", &admin), ("viewer", &viewer)] {
        let profile = tempfile::tempdir().expect("browser profile");
        runtime().block_on(async {
            let client = crate::dashboard::open_browser(&driver, profile.path()).await;
            sign_in(&client, &base, token).await;

            // The map: its figures are the API's, each patch a named link
            // the keyboard reaches, each door drawn for the admin only.
            client.goto(&format!("{base}/reports/map")).await.unwrap();
            check_map_page(&client, &base, token, "").await;
            crate::dashboard::check_only_local(&client, &base).await;
            let doors = client
                .find_all(Locator::Css("svg.map circle.door"))
                .await
                .unwrap();
            assert_eq!(!doors.is_empty(), who == "admin", "{who}: doors drawn");
            assert_eq!(check_links_reachable(&client, "svg.map a.patch").await, 5);
            crate::dashboard::screenshot(&client, &shots, &format!("map-{who}")).await;

            // Clicking a patch opens Reach for it, its figures the API's
            // with the same filter.
            crate::dashboard::click_and_wait(
                &client,
                "svg.map a.patch[data-patch=\"oak-lane\"] polygon",
                |url| url.contains("/reports/reach?patch=oak-lane"),
            )
            .await;
            crate::dashboard::check_figures(&client, &base, token, "reach", "?patch=oak-lane")
                .await;
            crate::dashboard::screenshot(&client, &shots, &format!("map-drill-oak-lane-{who}"))
                .await;

            // A bar on Reach, with dates chosen: the click keeps them.
            client
                .goto(&format!("{base}/reports/reach?from=2025-01-01"))
                .await
                .unwrap();
            assert!(check_links_reachable(&client, "svg a.drill").await >= 5);
            crate::dashboard::click_and_wait(
                &client,
                "svg a.drill[href*=\"patch=elm-road\"] rect",
                |url| url.contains("/reports/reach?from=2025-01-01&patch=elm-road"),
            )
            .await;
            // The API takes the day as milliseconds since the epoch.
            crate::dashboard::check_figures(
                &client,
                &base,
                token,
                "reach",
                "?from=1735689600000&patch=elm-road",
            )
            .await;
            crate::dashboard::screenshot(&client, &shots, &format!("reach-drill-elm-road-{who}"))
                .await;

            // On a phone the map fits, scrolling inside its own box.
            client.set_window_size(390, 844).await.unwrap();
            crate::dashboard::fits_a_phone(&client, &base, "/reports/map").await;
            crate::dashboard::screenshot_at(&client, &shots, "map-h", &format!("map-{who}-390px"))
                .await;
            // And a patch chosen there opens Reach for it, fitting too.
            crate::dashboard::click_and_wait(
                &client,
                "svg.map a.patch[data-patch=\"canal-side\"] polygon",
                |url| url.contains("/reports/reach?patch=canal-side"),
            )
            .await;
            crate::dashboard::check_figures(&client, &base, token, "reach", "?patch=canal-side")
                .await;
            crate::dashboard::screenshot_at(
                &client,
                &shots,
                "patches-h",
                &format!("map-drill-canal-side-{who}-390px"),
            )
            .await;
            client.close().await.unwrap();
        });
    }
}
