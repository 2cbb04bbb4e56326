//! The partnership dashboard in a real browser: headless Chromium, driven
//! through chromedriver (WebDriver), against `outreach serve --demo` on
//! 127.0.0.1. The test signs in with a one-time link, opens every view,
//! changes a filter, checks that the figures on the pages equal the report
//! API's, that nothing is fetched from anywhere but the server, that the
//! keyboard reaches the skip link first, and saves a screenshot of each
//! page to `target/browser-screenshots/`.
//!
//! It needs Debian's `chromium` and `chromium-driver` (the README's test
//! command installs them). Without them the test is skipped, unless
//! `OUTREACH_REQUIRE_BROWSER` is set, as it is by `scripts/test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde::de::DeserializeOwned;
use serde_json::json;
use server::reports::{
    Board, ChampionActivity, CivicCore, EventReach, Funnel, HouseholdReach, Reach, ResidentLed,
    Routes, Trends, Turnover, Voices, YouSaidWeDid,
};
use tests::server::{ServeProcess, outreach_admin, post_json, register_with_cli_invite};
use tests::web::WebSession;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port; killed when dropped.
pub(crate) struct Driver {
    url: String,
    child: Child,
}

impl Driver {
    pub(crate) fn start() -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("port").port()
        };
        let child = Command::new(CHROMEDRIVER)
            .args([&format!("--port={port}"), "--allowed-ips=127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{url}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { url, child }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn browser_available() -> bool {
    let found = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
    if !found {
        assert!(
            std::env::var_os("OUTREACH_REQUIRE_BROWSER").is_none(),
            "OUTREACH_REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping the browser test: {CHROMIUM} or {CHROMEDRIVER} is missing");
    }
    found
}

/// A headless Chromium session through `driver`, its profile in
/// `profile`, 1280 px wide.
pub(crate) async fn open_browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,1600",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Opens `path` in a browser window 390 px wide and checks that the page
/// does not scroll sideways and its chart text is at least 11 px.
pub(crate) async fn fits_a_phone(client: &Client, base: &str, path: &str) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    let width = client
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (inner, scroll) = (width[0].as_u64().unwrap(), width[1].as_u64().unwrap());
    assert!(inner <= 390, "{path}: the window is {inner} px wide");
    assert!(
        scroll <= inner,
        "{path} scrolls sideways: {scroll} px in {inner}"
    );
    // The smallest chart text, in screen pixels: its font size
    // times the scale its chart is drawn at.
    let smallest = client
        .execute(
            "let least = 1e9; \
             for (const svg of document.querySelectorAll('svg.chart')) { \
               const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; \
               for (const t of svg.querySelectorAll('text')) { \
                 least = Math.min(least, parseFloat(getComputedStyle(t).fontSize) * scale); \
               } \
             } \
             return least;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(smallest >= 11.0, "{path}: chart text {smallest:.1} px");
}

/// The screenshots' directory, `target/browser-screenshots/`.
pub(crate) fn screenshots() -> PathBuf {
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    shots
}

fn api<T: DeserializeOwned>(base: &str, token: &str, path: &str) -> T {
    let (status, body) = tests::server::get(&format!("{base}{path}"), token);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The dashboard's way of writing a count, written out again here.
fn count(n: Option<u64>, below: u64) -> String {
    let Some(n) = n else {
        return format!("fewer than {below}");
    };
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

/// What the dashboard shows for a figure a report published: its count,
/// or the label of why it is hidden.
fn figure_text(
    n: Option<u64>,
    withheld: &BTreeMap<String, server::reports::Withheld>,
    place: &str,
    below: u64,
) -> String {
    match (n, withheld.get(place)) {
        (None, Some(why)) => why.label(below),
        _ => count(n, below),
    }
}

/// What the API says each page must show: `data-key` to text.
fn expected(base: &str, token: &str, slug: &str, query: &str) -> BTreeMap<String, String> {
    let mut want = BTreeMap::new();
    let path = format!("/v1/reports/{slug}{query}");
    match slug {
        "funnel" => {
            let r: Funnel = api(base, token, &path);
            let below = r.suppressed_below;
            // A hidden figure reads as what the API says it is: "fewer
            // than N" only for a true small count.
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, s) in r.stages.iter().enumerate() {
                want.insert(
                    format!("funnel.{}.reached", s.key),
                    figure(s.reached, format!("stages.{i}.reached")),
                );
                want.insert(
                    format!("funnel.{}.drop_off", s.key),
                    figure(s.drop_off, format!("stages.{i}.drop_off")),
                );
                want.insert(
                    format!("funnel.{}.through", s.key),
                    figure(s.through, format!("stages.{i}.through")),
                );
            }
        }
        "routes" => {
            let r: Routes = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, route) in r.routes.iter().enumerate() {
                want.insert(
                    format!(
                        "routes.{}.{}.people",
                        route.entry_channel, route.highest_stage
                    ),
                    figure(route.people, format!("routes.{i}.people")),
                );
            }
            for (j, c) in r.by_channel.iter().enumerate() {
                want.insert(
                    format!("channels.{}.reached_top", c.entry_channel),
                    figure(c.reached_top, format!("by_channel.{j}.reached_top")),
                );
            }
        }
        "resident-led" => {
            let r: ResidentLed = api(base, token, &path);
            for s in &r.current.shares {
                want.insert(
                    format!("current.{}.residents", s.definition),
                    count(Some(s.residents), 0),
                );
            }
            for c in &r.history {
                want.insert(
                    format!("history.{}.members", c.at),
                    count(Some(c.members), 0),
                );
            }
        }
        "civic-core" => {
            let r: CivicCore = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: &str| figure_text(n, &r.withheld, place, below);
            want.insert(
                "roles.one.people".into(),
                figure(r.roles_held.one, "roles_held.one"),
            );
            want.insert(
                "roles.two.people".into(),
                figure(r.roles_held.two, "roles_held.two"),
            );
            want.insert(
                "roles.any.people".into(),
                figure(r.roles_held.people, "roles_held.people"),
            );
            want.insert(
                "activity.active.value".into(),
                figure(r.active_people, "active_people"),
            );
            for (k, m) in r.months.iter().enumerate() {
                want.insert(
                    format!("months.{}.attendees", m.month),
                    figure(m.attendees, &format!("months.{k}.attendees")),
                );
                want.insert(
                    format!("months.{}.first_time", m.month),
                    figure(m.first_time, &format!("months.{k}.first_time")),
                );
            }
        }
        "events" => {
            let r: EventReach = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, g) in r.by_kind.iter().enumerate() {
                want.insert(
                    format!("kinds.{}.attendees", g.key),
                    figure(g.attendees, format!("by_kind.{i}.attendees")),
                );
                want.insert(
                    format!("kinds.{}.first_time", g.key),
                    figure(g.first_time, format!("by_kind.{i}.first_time")),
                );
                want.insert(
                    format!("kinds.{}.headcount", g.key),
                    if g.events_counted == 0 {
                        "not counted".to_owned()
                    } else {
                        format!(
                            "{} ({})",
                            count(Some(g.headcount), 0),
                            count(Some(g.events_counted), 0)
                        )
                    },
                );
            }
            want.insert("kinds.all.events".into(), count(Some(r.all.events), 0));
            for (k, m) in r.by_month.iter().enumerate() {
                want.insert(
                    format!("months.{}.returning", m.key),
                    figure(m.returning, format!("by_month.{k}.returning")),
                );
            }
        }
        "reach" => {
            let r: Reach = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, row) in r.by_patch.iter().enumerate() {
                want.insert(
                    format!("patches.{}.contacts", row.group),
                    figure(row.contacts, format!("by_patch.{i}.contacts")),
                );
                want.insert(
                    format!("patches.{}.participants", row.group),
                    figure(row.participants, format!("by_patch.{i}.participants")),
                );
            }
            for (i, row) in r.by_age_band.iter().enumerate() {
                want.insert(
                    format!("age.{}.contacts", row.group),
                    figure(row.contacts, format!("by_age_band.{i}.contacts")),
                );
            }
        }
        "households" => {
            let r: HouseholdReach = api(base, token, &path);
            for row in &r.by_patch {
                want.insert(
                    format!("doors.{}.knocked", row.patch),
                    count(Some(row.doors_knocked), 0),
                );
                want.insert(
                    format!("doors.{}.answered", row.patch),
                    count(Some(row.doors_answered), 0),
                );
                want.insert(
                    format!("doors.{}.moved_away", row.patch),
                    count(Some(row.doors_moved_away), 0),
                );
                want.insert(
                    format!("doors.{}.listed", row.patch),
                    count(Some(row.doors_listed), 0),
                );
            }
        }
        "board" => {
            let r: Board = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (name, b) in [("age", &r.age), ("tenure", &r.tenure)] {
                for (s, side) in b.sides.iter().enumerate() {
                    want.insert(
                        format!("{name}.{}.board", side.group),
                        figure(side.board, format!("{name}.sides.{s}.board")),
                    );
                    want.insert(
                        format!("{name}.{}.contacts", side.group),
                        figure(side.contacts, format!("{name}.sides.{s}.contacts")),
                    );
                    want.insert(
                        format!("{name}.{}.census_share", side.group),
                        side.census_share_percent
                            .map_or_else(|| "no census entered".to_owned(), |p| format!("{p:.0}%")),
                    );
                }
                for (i, g) in b.groups.iter().enumerate() {
                    want.insert(
                        format!("{name}.{}.contacts", g.group),
                        figure(g.contacts, format!("{name}.groups.{i}.contacts")),
                    );
                }
            }
            for row in &r.hats {
                want.insert(
                    format!("hats.{}.board", row.group),
                    count(Some(row.board), 0),
                );
            }
        }
        "turnover" => {
            let r: Turnover = api(base, token, &path);
            want.insert(
                "summary.members.value".into(),
                count(Some(r.members_now), 0),
            );
            for y in &r.by_year {
                want.insert(format!("years.{}.joined", y.year), count(Some(y.joined), 0));
                want.insert(format!("years.{}.left", y.year), count(Some(y.left), 0));
            }
        }
        "champions" => {
            let r: ChampionActivity = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, row) in r.rows.iter().enumerate() {
                let key = format!("champions.{}.{}", row.champion, row.patch);
                want.insert(
                    format!("{key}.doors"),
                    figure(row.knocks, format!("rows.{i}.knocks")),
                );
                want.insert(
                    format!("{key}.owed"),
                    figure(row.follow_ups_owed, format!("rows.{i}.follow_ups_owed")),
                );
            }
            want.insert(
                "champions.all.doors".into(),
                figure(r.knocks, "knocks".into()),
            );
        }
        "voices" => {
            let r: Voices = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, t) in r.topics.iter().enumerate() {
                if t.raised != Some(0) || t.on_the_list {
                    want.insert(
                        format!("topics.{}.raised", t.topic),
                        figure(t.raised, format!("topics.{i}.raised")),
                    );
                }
                for (j, p) in t.by_patch.iter().enumerate() {
                    want.insert(
                        format!("places.{}.{}.raised", t.topic, p.patch),
                        figure(p.raised, format!("topics.{i}.by_patch.{j}.raised")),
                    );
                }
                if t.raised != Some(0) {
                    for (m, month) in r.months.iter().enumerate() {
                        want.insert(
                            format!("months.{month}.{}", t.topic),
                            figure(
                                t.raised_by_month[m],
                                format!("topics.{i}.raised_by_month.{m}"),
                            ),
                        );
                    }
                }
            }
        }
        "trends" => {
            let r: Trends = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            let lines = ["contacts", "conversations", "new_participants"];
            for (m, month) in r.months.iter().enumerate() {
                let totals = [&r.contacts, &r.conversations, &r.new_participants];
                for (line, values) in lines.iter().zip(totals) {
                    want.insert(
                        format!("months.{month}.{line}"),
                        figure(values[m], format!("{line}.{m}")),
                    );
                }
                for (p, row) in r.by_patch.iter().enumerate() {
                    let values = [&row.contacts, &row.conversations, &row.new_participants];
                    for (line, values) in lines.iter().zip(values) {
                        want.insert(
                            format!("patches.{}.{month}.{line}", row.patch),
                            figure(values[m], format!("by_patch.{p}.{line}.{m}")),
                        );
                    }
                }
            }
            for (w, week) in r.weeks.iter().enumerate() {
                want.insert(
                    format!("doors.{week}.all"),
                    count(Some(r.doors_knocked[w]), below),
                );
                for row in &r.doors_by_patch {
                    want.insert(
                        format!("doors.{week}.{}", row.patch),
                        count(Some(row.doors_knocked[w]), below),
                    );
                }
            }
            for (m, c) in r.cohorts.iter().enumerate() {
                for (k, n) in c.reached.iter().enumerate() {
                    want.insert(
                        format!("cohorts.{}.{k}", c.month),
                        figure(*n, format!("cohorts.{m}.reached.{k}")),
                    );
                }
            }
        }
        "you-said-we-did" => {
            let r: YouSaidWeDid = api(base, token, &path);
            let below = r.suppressed_below;
            let figure = |n: Option<u64>, place: String| figure_text(n, &r.withheld, &place, below);
            for (i, row) in r.by_patch.iter().enumerate() {
                want.insert(
                    format!("patches.{}.promised", row.key),
                    figure(row.promised, format!("by_patch.{i}.promised")),
                );
                want.insert(
                    format!("patches.{}.overdue", row.key),
                    figure(row.overdue, format!("by_patch.{i}.overdue")),
                );
            }
            for (i, row) in r.by_topic.iter().enumerate() {
                want.insert(
                    format!("topics.{}.done", row.key),
                    figure(row.done, format!("by_topic.{i}.done")),
                );
            }
            want.insert(
                "patches.all.done".into(),
                figure(r.all.done, "all.done".into()),
            );
        }
        other => panic!("no expectations for {other}"),
    }
    want
}

/// Every figure on the page, by `data-key`.
pub(crate) async fn shown(client: &Client) -> BTreeMap<String, String> {
    let value = client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('[data-key]')]\
             .map(e => [e.dataset.key, e.textContent.trim()]));",
            vec![],
        )
        .await
        .expect("read the figures");
    serde_json::from_value(value).expect("a map of figures")
}

/// Asserts the page shows what the API says, figure by figure.
pub(crate) async fn check_figures(
    client: &Client,
    base: &str,
    token: &str,
    slug: &str,
    query: &str,
) {
    let want = expected(base, token, slug, query);
    assert!(!want.is_empty(), "{slug}{query}: the API gave no figures");
    let got = shown(client).await;
    for (key, text) in &want {
        assert_eq!(
            got.get(key),
            Some(text),
            "{slug}{query}: {key} on the page differs from the API"
        );
    }
}

/// Asserts the page and everything it loaded came from the server.
pub(crate) async fn check_only_local(client: &Client, base: &str) {
    let urls: Vec<String> = serde_json::from_value(
        client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)\
                 .concat([location.href])\
                 .concat([...document.querySelectorAll('[src],[href],[action]')]\
                 .map(e => new URL(e.getAttribute('src') || e.getAttribute('href') \
                 || e.getAttribute('action'), location.href).href));",
                vec![],
            )
            .await
            .expect("list resources"),
    )
    .expect("urls");
    for url in &urls {
        assert!(url.starts_with(base), "{url} is not on {base}");
    }
}

/// Clicks the element `selector` and waits (at most 20 s) until the
/// browser has navigated to a page whose URL satisfies `arrived`: a click
/// that submits a form can return before the next page has loaded.
pub(crate) async fn click_and_wait(
    client: &Client,
    selector: &str,
    arrived: impl Fn(&str) -> bool,
) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
    let started = Instant::now();
    loop {
        let url = client.current_url().await.expect("the current URL");
        if arrived(url.as_str()) && client.find(Locator::Css("h1")).await.is_ok() {
            return;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let page = client.source().await.unwrap_or_default();
            panic!("clicking {selector} did not lead on: still at {url}, showing {page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn screenshot(client: &Client, dir: &Path, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("save the screenshot");
}

/// A screenshot named `name`, scrolled to the element with the id `id`.
pub(crate) async fn screenshot_at(client: &Client, dir: &Path, id: &str, name: &str) {
    client
        .execute(
            &format!("document.getElementById('{id}').scrollIntoView()"),
            vec![],
        )
        .await
        .unwrap();
    screenshot(client, dir, name).await;
}

const REPORTS: [&str; 13] = [
    "funnel",
    "routes",
    "resident-led",
    "board",
    "civic-core",
    "events",
    "reach",
    "turnover",
    "champions",
    "households",
    "voices",
    "you-said-we-did",
    "trends",
];

#[test]
fn the_dashboard_shows_the_report_figures_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let db = tests::server::sqlite();
    let server = ServeProcess::start_with_args(&db.url, &["--demo"]);
    let base = server.base.clone();
    let viewer = register_with_cli_invite(&db.url, &base, "viewer", "api viewer").token;
    // The browser signs in as an admin, who sees exact figures: the page
    // is checked against an admin's API answers.
    let admin_api = register_with_cli_invite(&db.url, &base, "admin", "api admin").token;
    let link = outreach_admin(
        &db.url,
        &["sign-in-link", "--role", "admin", "--base-url", &base],
    );
    let link = link.trim().to_owned();
    assert!(link.starts_with(&format!("{base}/sign-in/")), "{link}");
    let shots = screenshots();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start();

    tests::server::runtime().block_on(async {
        let client = open_browser(&driver, profile.path()).await;

        // Signed out, every page leads to the sign-in form.
        client.goto(&format!("{base}/reports/reach")).await.unwrap();
        assert_eq!(client.current_url().await.unwrap().path(), "/sign-in");

        // The one-time link signs in (after a click, so a link preview
        // cannot use it up), then lands on the funnel.
        client.goto(&link).await.unwrap();
        click_and_wait(&client, "main form button[type=submit]", |url| {
            url.ends_with("/reports/funnel")
        })
        .await;

        // The keyboard reaches "Skip to the content" first.
        client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let focused = client.active_element().await.unwrap().text().await.unwrap();
        assert_eq!(focused.trim(), "Skip to the content");

        for slug in REPORTS {
            client
                .goto(&format!("{base}/reports/{slug}"))
                .await
                .unwrap();
            let heading = client
                .find(Locator::Css("h1"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!heading.is_empty(), "{slug} has a heading");
            let charts = client
                .find_all(Locator::Css("svg[role=img] title"))
                .await
                .unwrap();
            assert!(!charts.is_empty(), "{slug} has a labelled chart");
            check_figures(&client, &base, &admin_api, slug, "").await;
            if slug == "board" {
                // The demo entered a census for four patches of five: the
                // page says so, and that the board is hidden by side.
                let text = text_of(&client, "main").await;
                assert!(
                    text.contains("The census figures are residents aged 18 or over in Birch Close, Canal Side, Elm Road, Oak Lane; Old Village has none entered"),
                    "{text}"
                );
                assert!(text.contains("everyone contacted:"), "{text}");
            }
            check_only_local(&client, &base).await;
            screenshot(&client, &shots, slug).await;
        }

        // The trends page's later charts: per patch, doors per week and
        // the cohorts, each scrolled into view.
        client
            .goto(&format!("{base}/reports/trends"))
            .await
            .unwrap();
        for section in ["patches", "doors", "cohorts"] {
            screenshot_at(&client, &shots, &format!("{section}-h"), &format!("trends-{section}")).await;
        }

        // The funnel prints on A4 (the print stylesheet drops navigation
        // and forms); the PDF is kept beside the screenshots.
        client
            .goto(&format!("{base}/reports/funnel"))
            .await
            .unwrap();
        let pdf = client
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .expect("print to PDF");
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        std::fs::write(shots.join("funnel-a4.pdf"), pdf).expect("save the PDF");

        // A filter chosen in the form narrows the figures as the API does.
        let reach: Reach = api(&base, &viewer, "/v1/reports/reach");
        let busiest = reach
            .by_patch
            .iter()
            .max_by_key(|r| r.contacts.unwrap_or(0))
            .expect("a patch")
            .group
            .clone();
        for slug in ["funnel", "reach", "champions"] {
            client
                .goto(&format!("{base}/reports/{slug}"))
                .await
                .unwrap();
            client
                .find(Locator::Css("#f-patch"))
                .await
                .unwrap()
                .select_by_value(&busiest)
                .await
                .unwrap();
            let wanted = format!("patch={busiest}");
            click_and_wait(&client, "form.filters button[type=submit]", |url| {
                url.contains(&wanted)
            })
            .await;
            check_figures(
                &client,
                &base,
                &admin_api,
                slug,
                &format!("?patch={busiest}"),
            )
            .await;
            screenshot(&client, &shots, &format!("{slug}-{busiest}")).await;
        }
        // The narrowed funnel starts lower than the whole area's.
        let all: Funnel = api(&base, &viewer, "/v1/reports/funnel");
        let one: Funnel = api(
            &base,
            &viewer,
            &format!("/v1/reports/funnel?patch={busiest}"),
        );
        assert!(one.stages[0].reached < all.stages[0].reached);

        // The CSV beside a chart is the API's CSV.
        let csv_href = client
            .find(Locator::Css(".download a"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .expect("a CSV link");
        assert!(csv_href.contains("/csv"), "{csv_href}");

        // Every report page says what its words mean.
        let glossary = client
            .find(Locator::Css("section.glossary"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(glossary.contains("Knocks"), "{glossary}");

        // A period that ends before it starts is refused beside the form,
        // which keeps the dates chosen.
        client
            .goto(&format!(
                "{base}/reports/funnel?from=2026-02-01&to=2026-01-01"
            ))
            .await
            .unwrap();
        let problem = client
            .find(Locator::Css("#filters-problem"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(problem.contains("before"), "{problem}");
        let kept = client
            .find(Locator::Css("#f-from"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("2026-02-01"));

        // A quarter chosen in the form is compared with the quarter before:
        // each headline figure beside the earlier one, the change in words,
        // and the demo partnership's targets beside their figures.
        client
            .goto(&format!("{base}/reports/reach"))
            .await
            .unwrap();
        fill(&client, "#f-period", "2026-Q3").await;
        click_and_wait(&client, "form.filters button[type=submit]", |url| {
            url.contains("period=2026-Q3")
        })
        .await;
        let headlines: serde_json::Value = api(
            &base,
            &admin_api,
            "/v1/reports/reach/headlines?period=2026-Q3",
        );
        assert_eq!(headlines["compared_with"]["label"], "April to June 2026 (Q2)");
        let figures = shown(&client).await;
        let contacts = headlines["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["key"] == "contacts")
            .unwrap();
        for (field, key) in [("value", "value"), ("earlier", "earlier")] {
            let n = contacts[field].as_f64().map(|v| v as u64);
            assert_eq!(
                figures.get(&format!("headlines.contacts.{key}")),
                Some(&count(n, 5)),
                "{contacts}"
            );
        }
        let change = &figures["headlines.contacts.change"];
        assert!(
            ["up ", "down ", "no change"].iter().any(|w| change.starts_with(w)),
            "{change}"
        );
        let target = &figures["headlines.under_55_share_of_participants.target"];
        assert!(target.starts_with("at least 40%: "), "{target}");
        let section = text_of(&client, "section[aria-labelledby=headlines-h]").await;
        assert!(
            section.contains("July to September 2026 (Q3), compared with April to June 2026 (Q2)"),
            "{section}"
        );
        screenshot(&client, &shots, "reach-headlines").await;
        client
            .goto(&format!("{base}/reports/households?period=2026-Q3"))
            .await
            .unwrap();
        let doors = text_of(&client, "section[aria-labelledby=headlines-h]").await;
        assert!(doors.contains("at least 100 per 1,000 households"), "{doors}");
        screenshot(&client, &shots, "households-headlines").await;
        client.goto(&format!("{base}/admin/targets")).await.unwrap();
        let targets = text_of(&client, "#targets").await;
        assert!(targets.contains("Under 55, share of participants"), "{targets}");
        assert!(targets.contains("close within 5 points"), "{targets}");
        screenshot(&client, &shots, "admin-targets").await;

        // Admin pages: devices (the API viewer is listed), the area with
        // its household counts, events, backups.
        client.goto(&format!("{base}/admin/devices")).await.unwrap();
        let devices = client
            .find(Locator::Css("table[data-table=devices]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(devices.contains("api viewer"), "{devices}");
        screenshot(&client, &shots, "admin-devices").await;
        client.goto(&format!("{base}/admin/area")).await.unwrap();
        let figures = shown(&client).await;
        let households: Vec<_> = figures
            .keys()
            .filter(|k| k.ends_with(".households"))
            .collect();
        assert!(!households.is_empty(), "{figures:?}");
        screenshot(&client, &shots, "admin-area").await;
        // Removing a patch asks first, and says what will happen.
        click_and_wait(&client, "a[href='/admin/patches/elm-road/delete']", |url| {
            url.ends_with("/admin/patches/elm-road/delete")
        })
        .await;
        let asked = client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(asked.contains("Remove the patch Elm Road?"), "{asked}");
        assert!(asked.contains("stay where they are"), "{asked}");
        screenshot(&client, &shots, "admin-remove-patch").await;
        client.goto(&format!("{base}/admin/events")).await.unwrap();
        check_only_local(&client, &base).await;
        screenshot(&client, &shots, "admin-events").await;
        client
            .goto(&format!("{base}/admin/duplicates"))
            .await
            .unwrap();
        check_only_local(&client, &base).await;
        screenshot(&client, &shots, "admin-duplicates").await;
        client.goto(&format!("{base}/admin/board")).await.unwrap();
        let seats = text_of(&client, "#board-seats").await;
        assert!(seats.contains("of 16 seats filled"), "{seats}");
        screenshot(&client, &shots, "admin-board").await;
        // The demo keeps most of its promises: the latest are listed, in
        // the demo's words, with no resident's name.
        client
            .goto(&format!("{base}/admin/promises-kept"))
            .await
            .unwrap();
        let kept = text_of(&client, "[data-table=promises-kept]").await;
        assert!(kept.contains("Sent the details of the next session") || kept.contains("council"), "{kept}");
        screenshot(&client, &shots, "admin-promises-kept").await;
        // Backups: the demo server was started without a schedule and none
        // was taken, so the page warns.
        client.goto(&format!("{base}/admin/backups")).await.unwrap();
        let warning = client
            .find(Locator::Css("#backup-warning"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(warning.contains("No backup has been taken"), "{warning}");
        check_only_local(&client, &base).await;
        screenshot(&client, &shots, "admin-backups").await;

        // People: find someone, record why they count as a resident and
        // their housing; the page says it is saved and shows it. A refused
        // change keeps what was typed and says why.
        client
            .goto(&format!("{base}/admin/people?search=priya"))
            .await
            .unwrap();
        screenshot(&client, &shots, "admin-people").await;
        click_and_wait(&client, "table[data-table=people] a", |url| {
            url.contains("/admin/people/")
        })
        .await;
        let person_page = client.current_url().await.unwrap().to_string();
        client
            .find(Locator::Css("input[name=residency_studies]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .find(Locator::Css("#tenure option[value=private-rent]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click_and_wait(&client, "main form.stacked button[type=submit]", |url| {
            url.ends_with("?done=saved")
        })
        .await;
        let studies = client
            .find(Locator::Css("input[name=residency_studies]"))
            .await
            .unwrap();
        assert!(studies.prop("checked").await.unwrap().as_deref() == Some("true"));
        let tenure = client
            .find(Locator::Css("#tenure"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(tenure.as_deref(), Some("private-rent"));
        screenshot(&client, &shots, "admin-person").await;
        let email = client.find(Locator::Css("#email")).await.unwrap();
        email.clear().await.unwrap();
        email.send_keys("not an address").await.unwrap();
        // The browser's own check would stop the form: take it off to see
        // the server's answer.
        client
            .execute(
                "document.querySelector('main form.stacked').noValidate = true",
                vec![],
            )
            .await
            .unwrap();
        click_and_wait(&client, "main form.stacked button[type=submit]", |url| {
            url == person_page
        })
        .await;
        let problem = client
            .find(Locator::Css("#person-problem"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(problem.contains("email"), "{problem}");
        let kept = client
            .find(Locator::Css("#email"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("not an address"));
        check_only_local(&client, &base).await;

        // Priya joins the board as a councillor: the seat and its hat show
        // on her page, with a form to change the hats.
        client.goto(&person_page).await.unwrap();
        for choice in [
            "#new-role option[value=partnership-member]",
            "#take-up input[name=hat_councillor]",
        ] {
            client
                .find(Locator::Css(choice))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        click_and_wait(&client, "#take-up button[type=submit]", |url| {
            url.ends_with("?done=role")
        })
        .await;
        let hats = client
            .find(Locator::Css(
                "form[data-form=hats] input[name=hat_councillor]",
            ))
            .await
            .unwrap();
        assert_eq!(hats.prop("checked").await.unwrap().as_deref(), Some("true"));
        let held = text_of(&client, "table[data-table=roles] tbody").await;
        assert!(held.contains("Councillor"), "{held}");
        client
            .execute(
                "document.querySelector('#roles details').open = true; document.getElementById('roles').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        screenshot(&client, &shots, "admin-person-roles").await;

        // On a phone (390 px wide) no page scrolls sideways: tables and
        // charts scroll inside their own boxes, and chart text stays at
        // least 11 px.
        client.set_window_size(390, 844).await.unwrap();
        let mut pages: Vec<String> = REPORTS.iter().map(|s| format!("/reports/{s}")).collect();
        pages.extend(
            [
                "/admin/devices",
                "/admin/area",
                "/admin/events",
                "/admin/duplicates",
                "/admin/board",
                "/admin/promises-kept",
                "/admin/people/import",
                "/admin/audit",
                "/admin/doors",
                "/admin/setup",
                "/admin/backups",
                "/admin/people?search=priya",
                "/admin/targets",
                "/reports/reach?period=2026-Q3",
            ]
            .map(str::to_owned),
        );
        pages.push(person_page.trim_start_matches(&base).to_owned());
        for path in &pages {
            fits_a_phone(&client, &base, path).await;
        }
        for slug in ["reach", "funnel", "trends"] {
            client
                .goto(&format!("{base}/reports/{slug}"))
                .await
                .unwrap();
            screenshot(&client, &shots, &format!("{slug}-390px")).await;
        }
        for section in ["months", "patches", "doors", "cohorts"] {
            screenshot_at(&client, &shots, &format!("{section}-h"), &format!("trends-{section}-390px")).await;
        }
        client
            .goto(&format!("{base}/reports/reach?period=2026-Q3"))
            .await
            .unwrap();
        screenshot_at(&client, &shots, "headlines-h", "reach-headlines-390px").await;
        client.goto(&format!("{base}/admin/targets")).await.unwrap();
        screenshot_at(&client, &shots, "targets-h", "admin-targets-390px").await;
        client.goto(&person_page).await.unwrap();
        screenshot_at(&client, &shots, "roles", "admin-person-roles-390px").await;
        client.set_window_size(1280, 1600).await.unwrap();

        // Signing out ends the session.
        click_and_wait(&client, "form.sign-out button", |url| {
            url.ends_with("/sign-in")
        })
        .await;
        client
            .goto(&format!("{base}/reports/funnel"))
            .await
            .unwrap();
        assert_eq!(client.current_url().await.unwrap().path(), "/sign-in");
        client.close().await.unwrap();
    });
}

// ------------------------------------------------ setting an area up

/// Types `text` into the field `selector` (after clearing it).
async fn fill(client: &Client, selector: &str, text: &str) {
    let field = client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"));
    field
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clearing {selector}: {e}"));
    field
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
}

/// The text of the element `selector`.
async fn text_of(client: &Client, selector: &str) -> String {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("the text of {selector}: {e}"))
}

/// A partnership worker sets an area up in the browser, from a new
/// database: the first-run link, the checklist, the area, the doors (one
/// bad line), a champion's invite a phone then joins with, and the chair's
/// sign-in link; the champion's conversations reach the reports under the
/// name the invite gave; every page fits a phone.
#[test]
fn an_area_is_set_up_in_a_real_browser_from_an_empty_database() {
    use sync_core::{
        Clock, DoorOutcome, Doorstep, EntryChannel, ManualClock, MemoryStore, NewPerson, Replica,
        SystemClock,
    };
    if !browser_available() {
        return;
    }
    let db = tests::server::sqlite();
    let printed = db.path("serve.out");
    let server = ServeProcess::start_printing_to(
        &db.url,
        &[],
        std::fs::File::create(&printed).expect("stdout file"),
    );
    let base = server.base.clone();
    let text = std::fs::read_to_string(&printed).expect("what serve printed");
    let line = text
        .lines()
        .find(|l| l.contains("/sign-in/"))
        .unwrap_or_else(|| panic!("no first-run link in {text:?}"));
    let first_run = format!("{base}{}", &line[line.find("/sign-in/").expect("a path")..]);
    let doors = db.path("doors.csv");
    std::fs::write(
        &doors,
        "patch,house,street,postcode\n\
         oak-lane,1,Oak Lane,AB1 2CD\n\
         oak-lane,3,Oak Lane,AB1 2CD\n\
         atlantis,5,Sunken Road,AB1 2CD\n\
         elm-road,2,Elm Road,AB1 3EF\n",
    )
    .expect("the doors file");
    let shots = screenshots();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start();

    tests::server::runtime().block_on(async {
        let client = open_browser(&driver, profile.path()).await;
        client.goto(&first_run).await.unwrap();
        click_and_wait(&client, "main form button[type=submit]", |url| {
            url.ends_with("/admin/setup")
        })
        .await;
        assert!(text_of(&client, "#setup-left").await.starts_with("9 of 9"));
        screenshot(&client, &shots, "setup-checklist-empty").await;

        // The area, from its checklist step.
        click_and_wait(
            &client,
            "ol.checklist a[href='/admin/area#settings']",
            |url| url.contains("/admin/area"),
        )
        .await;
        fill(&client, "#name", "Ashby Big Local").await;
        fill(&client, "#seats", "12").await;
        click_and_wait(&client, "#settings button[type=submit]", |url| {
            url.contains("done=saved")
        })
        .await;
        // (Each form from a fresh page: the last one's `?done=` would
        // otherwise count as the next one's arrival.)
        let area_page = format!("{base}/admin/area");
        for (slug, name, households) in [
            ("oak-lane", "Oak Lane", "250"),
            ("elm-road", "Elm Road", "400"),
        ] {
            client.goto(&area_page).await.unwrap();
            fill(&client, "#new-slug", slug).await;
            fill(&client, "#new-name", name).await;
            fill(&client, "#new-households", households).await;
            click_and_wait(
                &client,
                "#patches form.stacked button[type=submit]",
                |url| url.contains("done=patch-saved"),
            )
            .await;
        }
        client.goto(&area_page).await.unwrap();
        fill(&client, "#topics-list", "Housing\nLitter\nYoung people").await;
        click_and_wait(&client, "#topics button[type=submit]", |url| {
            url.contains("done=saved")
        })
        .await;
        client.goto(&area_page).await.unwrap();
        click_and_wait(&client, "#lawful-bases button[type=submit]", |url| {
            url.contains("done=saved")
        })
        .await;
        screenshot(&client, &shots, "setup-area").await;

        // The doors: one bad line is reported with its number and reason,
        // the rest kept.
        client.goto(&format!("{base}/admin/doors")).await.unwrap();
        client
            .find(Locator::Css("#doors-file"))
            .await
            .unwrap()
            .send_keys(&doors.display().to_string())
            .await
            .unwrap();
        // The answer is at the same address as the form: wait for what it
        // shows.
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#import-added"))
            .await
            .expect("the upload's report");
        assert_eq!(text_of(&client, "#import-added").await, "3");
        assert_eq!(text_of(&client, "#import-refused").await, "1");
        let refused = text_of(&client, "table[data-table=refused] tbody").await;
        assert!(
            refused.contains('4') && refused.contains("patch is not one of"),
            "{refused}"
        );
        screenshot(&client, &shots, "setup-doors").await;

        // A champion's invite, named, with its patch ticked.
        client.goto(&format!("{base}/admin/devices")).await.unwrap();
        fill(&client, "#invite-name", "Oak Lane champion").await;
        client
            .find(Locator::Css("input[name=patches][value=oak-lane]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click_and_wait(&client, "#invite button[type=submit]", |url| {
            url.ends_with("/admin/invites")
        })
        .await;
        assert!(
            client
                .find(Locator::Css("#new-invite svg.qr"))
                .await
                .is_ok()
        );
        let phone_link = text_of(&client, "#new-invite-link").await;
        assert!(
            phone_link.starts_with(&format!("{base}/join/")),
            "{phone_link}"
        );
        screenshot(&client, &shots, "setup-invite-champion").await;

        // The phone joins with it (the bindings' Replica, over HTTP) and
        // logs twelve conversations in Oak Lane.
        let code = phone_link.rsplit('/').next().unwrap().to_owned();
        let registered: server::ops::Registered = post_json(
            &format!("{base}/v1/devices"),
            None,
            &json!({ "invite_code": code, "name": "Pixel 7" }),
            201,
        );
        let clock = ManualClock::new(SystemClock.now());
        let replica = Replica::open(
            MemoryStore::new(),
            registered.device_id.parse().unwrap(),
            clock.clone(),
        )
        .unwrap();
        let mut phone = tests::server::HttpPhone {
            replica,
            token: registered.token,
        };
        phone.sync(&base);
        let area = phone
            .replica
            .area()
            .unwrap()
            .expect("the area reached the phone");
        assert_eq!(area.name, "Ashby Big Local");
        assert_eq!(phone.replica.walk_list("oak-lane", None).unwrap().len(), 2);
        for i in 0..12 {
            clock.advance(60_000);
            phone
                .replica
                .create_person(
                    &NewPerson::new(&area.area, "oak-lane", EntryChannel::Doorstep),
                    |p| {
                        p.set_name(Some(&format!("Resident {i}")))?;
                        p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
                        Ok(())
                    },
                )
                .unwrap();
        }
        phone.sync(&base);
        client
            .goto(&format!("{base}/reports/champions"))
            .await
            .unwrap();
        let page = text_of(&client, "main").await;
        assert!(page.contains("Oak Lane champion"), "{page}");
        assert!(!page.contains("Pixel 7"), "{page}");
        screenshot(&client, &shots, "setup-champions").await;

        // Revoking the phone asks first.
        client.goto(&format!("{base}/admin/devices")).await.unwrap();
        click_and_wait(
            &client,
            &format!("a[href='/admin/devices/{}/revoke']", registered.device_id),
            |url| url.ends_with("/revoke"),
        )
        .await;
        let asked = text_of(&client, "main").await;
        assert!(asked.contains("deletes everything it holds"), "{asked}");

        // The chair's sign-in link; the checklist is then done.
        client.goto(&format!("{base}/admin/devices")).await.unwrap();
        client
            .find(Locator::Css("#role"))
            .await
            .unwrap()
            .select_by_value("viewer")
            .await
            .unwrap();
        fill(&client, "#invite-name", "Jo, chair").await;
        click_and_wait(&client, "#invite button[type=submit]", |url| {
            url.ends_with("/admin/invites")
        })
        .await;
        let chair_link = text_of(&client, "#new-invite-link").await;
        assert!(
            chair_link.starts_with(&format!("{base}/sign-in/")),
            "{chair_link}"
        );
        client.goto(&format!("{base}/admin/setup")).await.unwrap();
        assert!(client.find(Locator::Css("#setup-done")).await.is_ok());
        screenshot(&client, &shots, "setup-checklist-done").await;

        // Every page an admin used fits a phone.
        client.set_window_size(390, 844).await.unwrap();
        for path in [
            "/admin/setup",
            "/admin/area",
            "/admin/doors",
            "/admin/devices",
            "/reports/champions",
        ] {
            fits_a_phone(&client, &base, path).await;
        }
        client.goto(&format!("{base}/admin/area")).await.unwrap();
        screenshot(&client, &shots, "setup-area-390px").await;
        client.set_window_size(1280, 1600).await.unwrap();

        // The chair signs in with the link, as a viewer, in a browser of
        // their own: reports, and no admin page.
        client.delete_all_cookies().await.unwrap();
        client.goto(&chair_link).await.unwrap();
        click_and_wait(&client, "main form button[type=submit]", |url| {
            url.ends_with("/reports/funnel")
        })
        .await;
        client.goto(&format!("{base}/admin/devices")).await.unwrap();
        let refused = text_of(&client, "main").await;
        assert!(refused.contains("only admins"), "{refused}");
        client.close().await.unwrap();
    });
}

// ------------------------------------------------ sessions and forms

fn sessions_and_forms_are_guarded(db: tests::server::TestDb) {
    use server::ops::Role;
    let server =
        tests::server::TestServer::start(&db, sync_core::Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    let (viewer_id, viewer_token) = server.register(Role::Viewer, &[]);
    let (_, champion_token) = server.register(Role::Champion, &["elm-road"]);

    // Signed out: every page sends you to sign in.
    let mut browser = WebSession::new(&base);
    let page = browser.get("/reports/funnel");
    assert_eq!((page.status, page.header("location")), (303, "/sign-in"));

    // Unknown and phone tokens are refused with a page that says why.
    let page = browser.post("/sign-in", &[("token", "not-a-token")]);
    assert_eq!(page.status, 401);
    assert!(page.body.contains("not known"), "{}", page.body);
    let page = browser.post("/sign-in", &[("token", &champion_token)]);
    assert_eq!(page.status, 403);
    assert!(browser.cookie.is_none());

    // A viewer signs in: the cookie is HttpOnly and SameSite=Strict.
    let page = browser.post("/sign-in", &[("token", &viewer_token)]);
    assert_eq!(page.status, 303);
    let cookie = page.header("set-cookie");
    assert!(cookie.starts_with("outreach_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let page = browser.get("/reports/reach");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg"), "reach has charts");
    assert!(
        page.body.contains("These figures are adjusted slightly"),
        "a viewer is told the figures are adjusted: {}",
        page.body
    );
    // Nothing recorded yet says so; a viewer's filter matching fewer
    // people than a breakdown needs is refused beside the form.
    let page = browser.get("/reports/funnel");
    assert!(page.body.contains("Nothing recorded yet"), "{}", page.body);
    let page = browser.get("/reports/funnel?cohort=2001-01");
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("fewer than 50 people match these filters"),
        "{}",
        page.body
    );
    // Viewers see reports, not the admin pages; bad filters get a page.
    assert_eq!(browser.get("/admin/devices").status, 403);
    let page = browser.get("/reports/funnel?from=31%2F01%2F2025");
    assert_eq!(page.status, 400);
    assert!(page.body.contains("is not a date"), "{}", page.body);
    assert_eq!(browser.get("/reports/no-such-report").status, 404);
    let csv = browser.get("/reports/funnel/csv");
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("stage,label,reached,"), "{}", csv.body);
    // A viewer's filtered download of too few people is refused too.
    let csv = browser.get("/reports/funnel/csv?cohort=2001-01&table=funnel");
    assert_eq!(csv.status, 400, "{}", csv.body);
    assert_eq!(
        browser
            .get("/reports/funnel/csv?table=no-such-table")
            .status,
        404
    );

    // An admin: forms without the session's CSRF token are refused.
    let mut admin = WebSession::new(&base);
    assert_eq!(
        admin.post("/sign-in", &[("token", &admin_token)]).status,
        303
    );
    // Each table downloads on its own (an admin's, whose filters any
    // number of people may match), saying what it is and how it was
    // filtered, with the filters in its name.
    let csv = admin.get("/reports/funnel/csv?cohort=2001-01&table=funnel");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut lines = csv.body.lines();
    let comment = lines.next().unwrap_or_default();
    assert!(
        comment.starts_with("# Funnel: ") && comment.contains("first contacted in 2001-01"),
        "{comment}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "Stage,Reached,Went on to the next stage,Stopped here,Median days from the stage before,90% took at most (days),Through (did it themselves),Went on through the next"
        )
    );
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"funnel-funnel-cohort-2001-01.csv\""
    );
    let refused = admin.post("/admin/invites", &[("role", "viewer"), ("csrf", "forged")]);
    assert_eq!(refused.status, 403);
    let csrf = admin.csrf("/admin/devices");
    let made = admin.post("/admin/invites", &[("role", "viewer"), ("csrf", &csrf)]);
    assert_eq!(
        made.status, 200,
        "the code is shown in the answer, not in a URL"
    );
    assert!(
        made.body.contains("id=\"new-invite-link\""),
        "{}",
        made.body
    );
    assert!(
        made.body.contains(&format!("{base}/sign-in/")),
        "a viewer invite doubles as a sign-in link: {}",
        made.body
    );
    // Links start with the public URL, whatever Host a request names.
    server.clock.advance(1000); // This invite is listed first.
    let csrf = admin.csrf("/admin/devices");
    admin.headers.push(("Host".into(), "evil.example".into()));
    let made = admin.post("/admin/invites", &[("role", "viewer"), ("csrf", &csrf)]);
    admin.headers.clear();
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(
        made.body.contains(&format!("{base}/sign-in/")),
        "{}",
        made.body
    );
    assert!(!made.body.contains("evil.example"), "{}", made.body);
    let code = code_shown(&made.body);

    // An invite sent to the wrong person is cancelled from its row; its
    // code then works nowhere.
    let page = admin.get("/admin/devices");
    let action = "action=\"/admin/invites/";
    let at = page.body.find(action).expect("a cancel button") + action.len();
    let id = &page.body[at..at + 16];
    let csrf = admin.csrf("/admin/devices");
    let cancelled = admin.post(&format!("/admin/invites/{id}/cancel"), &[("csrf", &csrf)]);
    assert_eq!(
        (cancelled.status, cancelled.header("location")),
        (303, "/admin/devices?done=invite-cancelled")
    );
    let page = admin.get("/admin/devices?done=invite-cancelled");
    assert!(page.body.contains("Invite cancelled"), "{}", page.body);
    assert!(page.body.contains("cancelled "), "its row says so");
    let refused = WebSession::new(&base).post("/sign-in/link", &[("code", &code)]);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("cancelled"), "{}", refused.body);
    // A notice is one of the server's own sentences, never the link's text.
    let page = admin.get("/admin/devices?done=%3Cb%3EYour+account+is+locked%3C%2Fb%3E");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("locked"), "{}", page.body);

    // A one-time sign-in link works once.
    let link = server.block_on(server::ops::devices::sign_in_link(
        &server.db,
        server::ops::Actor::CommandLine,
        Role::Viewer,
        None,
        server.clock.now(),
        30,
    ));
    let code = link.unwrap().trim_start_matches("/sign-in/").to_owned();
    let mut linked = WebSession::new(&base);
    assert_eq!(linked.get(&format!("/sign-in/{code}")).status, 200);
    assert_eq!(linked.post("/sign-in/link", &[("code", &code)]).status, 303);
    assert_eq!(linked.get("/reports/turnover").status, 200);
    let again = WebSession::new(&base).post("/sign-in/link", &[("code", &code)]);
    assert_eq!(again.status, 400);
    // A phone's invite is not a sign-in link, and stays usable by the phone.
    let phone_code = server.block_on(server::ops::devices::invite(
        &server.db,
        server::ops::Actor::CommandLine,
        Role::Champion,
        &["elm-road".to_owned()].into_iter().collect(),
        server.clock.now(),
        3_600_000,
    ));
    let phone_code = phone_code.unwrap();
    let refused = WebSession::new(&base).post("/sign-in/link", &[("code", &phone_code)]);
    assert_eq!(refused.status, 403);
    let _: server::ops::Registered = post_json(
        &format!("{base}/v1/devices"),
        None,
        &json!({ "invite_code": phone_code, "name": "phone" }),
        201,
    );

    // Revoking asks first, saying what will happen; a post without the
    // confirmation (a stale page, a hand-made form) is sent to it and
    // revokes nothing.
    let revoke = format!("/admin/devices/{viewer_id}/revoke");
    let devices = admin.get("/admin/devices");
    assert!(
        devices.body.contains(&format!("href=\"{revoke}\"")),
        "{}",
        devices.body
    );
    let asked = admin.get(&revoke);
    assert_eq!(asked.status, 200);
    assert!(
        asked
            .body
            .contains("deletes everything it holds at its next sync"),
        "{}",
        asked.body
    );
    let csrf = admin.csrf(&revoke);
    let unconfirmed = admin.post(&revoke, &[("csrf", &csrf)]);
    assert_eq!(
        (unconfirmed.status, unconfirmed.header("location")),
        (303, revoke.as_str())
    );
    assert_eq!(browser.get("/reports/reach").status, 200, "not revoked yet");
    // A forged confirmation is refused like any form without the token.
    let forged = admin.post(&revoke, &[("csrf", "forged"), ("confirmed", "yes")]);
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get("/reports/reach").status, 200, "not revoked yet");
    // Confirmed, it ends the viewer's browser session at once.
    let revoked = admin.post(&revoke, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(revoked.status, 303);
    assert_eq!(browser.get("/reports/reach").status, 303);

    // Signing out ends the admin's session.
    // (No area is configured here: its page offers to start one.)
    let page = admin.get("/admin/area");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Nothing is set up yet"), "{}", page.body);
    let csrf = admin.csrf("/admin/events");
    assert_eq!(admin.post("/sign-out", &[("csrf", &csrf)]).status, 303);
    assert!(admin.cookie.is_none());
}

/// The one-time code in the link an invite page shows (a sign-in link's
/// or a phone's).
pub(crate) fn code_shown(page: &str) -> String {
    let start = "<code id=\"new-invite-link\">";
    let at = page.find(start).expect("a new invite link") + start.len();
    let link = &page[at..at + page[at..].find('<').expect("its end")];
    link.rsplit('/').next().expect("a code").to_owned()
}

mod sqlite {
    #[test]
    fn sessions_and_forms_are_guarded() {
        super::sessions_and_forms_are_guarded(tests::server::sqlite());
    }
}

mod postgres {
    #[test]
    fn sessions_and_forms_are_guarded() {
        if let Some(db) = tests::server::postgres() {
            super::sessions_and_forms_are_guarded(db);
        }
    }
}
