//! The board pack from end to end: what phones recorded in a quarter comes
//! back as the pack's JSON and as an A4 PDF whose text, read back, has the
//! area, the period, page numbers and the sentences, and never a figure
//! the reports hide; viewers get it too, and a period that cannot be read
//! gets a clear 400.

use serde_json::Value;
use server::ops::Role;
use sync_core::Timestamp;
use tests::server::{TestDb, TestServer, champion_who_spoke_with, configure_area, get, get_bytes};
use tests::web::WebSession;

/// 15 August 2026, in the third quarter.
const MID_AUGUST_2026: i64 = 1_786_752_000_000;

fn pdf_text(bytes: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(bytes).expect("the PDF's text");
    // Words as a reader sees them, whatever the PDF's line breaks.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn the_board_pack_is_made_for_a_quarter_as_json_and_pdf(db: TestDb) {
    let server = TestServer::start(&db, Timestamp::from_millis(MID_AUGUST_2026));
    let base = server.base.clone();
    let (_, admin) = server.register(Role::Admin, &[]);
    let (_, viewer) = server.register(Role::Viewer, &[]);
    configure_area(&server, &admin);
    // Sixty people spoken with in Elm Road (enough for a viewer's report of
    // the quarter), three in Oak Lane (too few to show).
    let champion = champion_who_spoke_with(&server, &[("elm-road", 60), ("oak-lane", 3)]);

    // The JSON: the quarter, compared with the one before, each report's
    // headlines, and sentences linking to their report for the period.
    let (status, body) = get(&format!("{base}/v1/reports/pack?period=2026-Q3"), &admin);
    assert_eq!(status, 200, "{body}");
    let pack: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(pack["area"], "North Estate");
    assert_eq!(pack["period"]["label"], "July to September 2026 (Q3)");
    assert_eq!(pack["compared_with"]["label"], "April to June 2026 (Q2)");
    let names: Vec<&str> = pack["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"reach") && names.contains(&"households"),
        "{names:?}"
    );
    let sentences: Vec<&Value> = pack["sentences"].as_array().unwrap().iter().collect();
    let contacted = sentences
        .iter()
        .find(|s| {
            s["text"]
                .as_str()
                .unwrap()
                .starts_with("The number of people contacted rose from 0 to 63")
        })
        .unwrap_or_else(|| panic!("no sentence on people contacted: {body}"));
    assert_eq!(
        contacted["href"],
        "/reports/reach?period=2026-Q3&compare=previous"
    );
    // The pack computes only what the headline figures need; they are the
    // figures each report's own page gives for the period, to the digit.
    for report in pack["reports"].as_array().unwrap() {
        let name = report["name"].as_str().unwrap();
        let (status, body) = get(
            &format!("{base}/v1/reports/{name}?period=2026-Q3&compare=previous"),
            &admin,
        );
        assert_eq!(status, 200, "{body}");
        let whole: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["headlines"], whole["headlines"], "{name}");
    }
    let reach = pack["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "reach")
        .unwrap();
    let oak = reach["headlines"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == "contacts@oak-lane")
        .unwrap();
    assert!(oak["value"].is_null(), "Oak Lane's three are hidden: {oak}");
    for s in &sentences {
        let text = s["text"].as_str().unwrap();
        assert!(
            !(text.contains("oak-lane") && text.chars().any(|c| c.is_ascii_digit())),
            "a sentence gives a hidden figure: {text}"
        );
    }

    // The PDF, read back.
    let (status, kind, bytes) = get_bytes(
        &format!("{base}/v1/reports/pack.pdf?period=2026-Q3"),
        &admin,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(kind, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    // Kept for a look, beside the browser tests' screenshots.
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("board-pack.pdf");
    std::fs::write(&kept, &bytes).expect("the PDF kept");
    let text = pdf_text(&bytes);
    assert!(text.contains("North Estate"), "{text}");
    assert!(
        text.contains("Board pack: July to September 2026 (Q3)"),
        "{text}"
    );
    assert!(text.contains("Made on 2026-08-15"), "{text}");
    assert!(text.contains("Page 1 of "), "{text}");
    let total: usize = text
        .split("Page 1 of ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the number of pages");
    for page in 1..=total {
        assert!(
            text.contains(&format!("Page {page} of {total}")),
            "page {page}: {text}"
        );
    }
    let sentence = contacted["text"].as_str().unwrap();
    assert!(text.contains(sentence), "{sentence} in {text}");
    // The sentence is a link to its report on the dashboard.
    let link = format!("/URI({base}/reports/reach?period=2026-Q3&compare=previous)");
    assert!(
        bytes.windows(link.len()).any(|w| w == link.as_bytes()),
        "no link {link} in the PDF"
    );
    // Oak Lane's row says the figure is too small, and gives no number
    // (compared without spaces: a reader may join a wrapped cell's lines).
    let squeezed: String = text.split_whitespace().collect();
    let row = squeezed
        .split("Peoplecontacted:oak-lane")
        .nth(1)
        .expect("Oak Lane's row");
    assert!(row.starts_with("toosmalltoshow0--"), "{row}");

    // A viewer gets it too (figures adjusted, and said so).
    let (status, _, bytes) = get_bytes(
        &format!("{base}/v1/reports/pack.pdf?period=2026-Q3"),
        &viewer,
    );
    assert_eq!(status, 200);
    assert!(pdf_text(&bytes).contains("slightly adjusted to protect privacy"));
    let (status, body) = get(&format!("{base}/v1/reports/pack"), &viewer);
    assert_eq!(status, 200, "{body}");
    let pack: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        pack["period"]["label"], "April to June 2026 (Q2)",
        "the last whole quarter by default"
    );
    // Nobody was met then: too few people for a viewer's reports of the
    // period, which the pack says in their place rather than failing.
    let reach = pack["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "reach")
        .unwrap();
    assert!(reach["headlines"].is_null(), "{reach}");
    assert!(
        reach["not_shown_because"]
            .as_str()
            .unwrap()
            .contains("too few to break down"),
        "{reach}"
    );

    // A period that cannot be read, and a champion's token, are refused.
    for bad in ["2026-Q5", "next-week"] {
        for path in ["pack", "pack.pdf"] {
            let (status, body) = get(&format!("{base}/v1/reports/{path}?period={bad}"), &viewer);
            assert_eq!(status, 400, "{path} {bad}: {body}");
            assert!(
                body.contains("is not a month (2026-09), a quarter (2026-Q3) or a year"),
                "{body}"
            );
        }
    }
    let (status, _) = get(&format!("{base}/v1/reports/pack"), &champion.token);
    assert_eq!(status, 403);

    // The API's description has both, and the pack's schema.
    let (status, doc) = get(&format!("{base}/openapi.json"), &viewer);
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for path in ["/v1/reports/pack", "/v1/reports/pack.pdf"] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "period"), "{path}");
    }
    assert!(doc["components"]["schemas"]["Pack"].is_object());

    // The dashboard's page, for a viewer: linked from every page, each
    // sentence linking to its report for the period, and the PDF.
    let mut web = WebSession::new(&base);
    assert_eq!(web.sign_in(&viewer).status, 303);
    let page = web.get("/board-pack?period=2026-Q3");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("href=\"/board-pack\""), "{}", page.body);
    assert!(
        page.body.contains(
            "<a href=\"/reports/reach?period=2026-Q3&#38;compare=previous\">See Reach</a>"
        ),
        "{}",
        page.body
    );
    let pdf = web.get("/board-pack.pdf?period=2026-Q3&compare=previous");
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    let refused = web.get("/board-pack?period=2026-Q9");
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"pack-problem\"")
            && refused.body.contains("a quarter (2026-Q3)"),
        "{}",
        refused.body
    );
}

tests::on_every_database!(the_board_pack_is_made_for_a_quarter_as_json_and_pdf);

#[test]
fn the_board_pack_page_in_a_real_browser() {
    use fantoccini::Locator;
    if !crate::dashboard::browser_available() {
        return;
    }
    let db = tests::server::sqlite();
    tests::server::runtime().block_on(async {
        let store = tests::server::connect(&db).await;
        server::ops::demo::fill(&store, 900, 7, false)
            .await
            .expect("the demo area");
    });
    let server = TestServer::start(&db, tests::START);
    let base = server.base.clone();
    let (_, viewer) = server.register(Role::Viewer, &[]);
    let shots = crate::dashboard::screenshots();
    let driver = crate::dashboard::Driver::start();
    let profile = tempfile::tempdir().expect("browser profile");
    tests::server::runtime().block_on(async {
        let client = crate::dashboard::open_browser(&driver, profile.path()).await;
        client.goto(&format!("{base}/sign-in")).await.unwrap();
        client
            .find(Locator::Css("#token"))
            .await
            .unwrap()
            .send_keys(&viewer)
            .await
            .unwrap();
        crate::dashboard::click_and_wait(&client, "main form button[type=submit]", |url| {
            url.contains("/reports/")
        })
        .await;
        // From the navigation, the last whole quarter's pack.
        crate::dashboard::click_and_wait(&client, "nav a[href=\"/board-pack\"]", |url| {
            url.ends_with("/board-pack")
        })
        .await;
        let sentences = client
            .find_all(Locator::Css("ul.sentences li a"))
            .await
            .unwrap();
        assert!(!sentences.is_empty(), "no sentences");
        crate::dashboard::check_only_local(&client, &base).await;
        crate::dashboard::screenshot(&client, &shots, "board-pack").await;
        // On a phone it fits, tables scrolling inside their own box.
        client.set_window_size(390, 844).await.unwrap();
        crate::dashboard::fits_a_phone(&client, &base, "/board-pack").await;
        crate::dashboard::screenshot(&client, &shots, "board-pack-390px").await;
        client.close().await.unwrap();
    });
}
