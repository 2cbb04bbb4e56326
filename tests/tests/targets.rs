//! Targets on headline figures from end to end: set through the API, the
//! command line and the dashboard (refused with the reason beside the
//! field), audited, and judged beside each figure against what the phones
//! recorded; a hidden figure is never judged.

use serde_json::{Value, json};
use server::ops::Role;
use sync_core::Timestamp;
use tests::server::{
    TestDb, TestServer, champion_who_spoke_with, configure_area, get, outreach_admin, send_json,
};
use tests::web::WebSession;

fn headline<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["headlines"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == key)
        .unwrap_or_else(|| panic!("no headline {key}: {report}"))
}

fn targets_are_set_refused_audited_and_judged(db: TestDb) {
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin) = server.register(Role::Admin, &[]);
    configure_area(&server, &admin);
    // Twelve people spoken with in Elm Road, two in Oak Lane: the truth.
    champion_who_spoke_with(&server, &[("elm-road", 12), ("oak-lane", 2)]);
    let put = |target: Value| {
        send_json(
            "PUT",
            &format!("{base}/v1/admin/targets"),
            Some(&admin),
            &target,
        )
    };
    let target = |figure: &str, goal: f64, margin: f64| json!({"report": "reach", "figure": figure, "comparison": "at-least", "goal": goal, "margin": margin});
    let reach = || -> Value {
        let (status, body) = get(&format!("{base}/v1/reports/reach"), &admin);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    // Met, close and not met, in words, against the fourteen contacted.
    for (goal, margin, status, words) in [
        (10.0, 2.0, "met", "at least 10: met"),
        (15.0, 5.0, "close", "at least 15: close, 1 short"),
        (30.0, 5.0, "not-met", "at least 30: not met, 16 short"),
    ] {
        let (code, body) = put(target("contacts", goal, margin));
        assert_eq!(code, 200, "{body}");
        let report = reach();
        let contacts = headline(&report, "contacts");
        assert_eq!(contacts["value"], 14.0, "{contacts}");
        assert_eq!(contacts["target"]["status"], status, "{contacts}");
        assert_eq!(contacts["target"]["words"], words, "{contacts}");
    }
    // Every patch: Oak Lane's two are hidden, so its target is not judged.
    let (code, body) = put(target("contacts@*", 5.0, 0.0));
    assert_eq!(code, 200, "{body}");
    let report = reach();
    let oak = headline(&report, "contacts@oak-lane");
    assert!(oak["value"].is_null(), "{oak}");
    assert_eq!(oak["target"]["status"], "not-said", "{oak}");
    let elm = headline(&report, "contacts@elm-road");
    let want = if elm["value"].is_null() {
        "not-said"
    } else {
        "met"
    };
    assert_eq!(elm["target"]["status"], want, "{elm}");
    // Targets that cannot be met or read are refused, saying why.
    for (body, why) in [
        (
            target("under_55_share_of_participants", 140.0, 0.0),
            "over 100%",
        ),
        (
            json!({"report": "households", "figure": "knocked_per_1000_households@birch-close", "comparison": "at-least", "goal": 100.0}),
            "no patch called \\\"birch-close\\\"",
        ),
        (target("happiness", 1.0, 0.0), "no headline figure"),
        (
            json!({"report": "events", "figure": "x", "comparison": "at-least", "goal": 1.0}),
            "no report called",
        ),
        (target("contacts", 10.0, 10.0), "margin"),
    ] {
        let (code, answer) = put(body.clone());
        assert_eq!(code, 400, "{body}: {answer}");
        assert!(answer.contains(why), "{why} in {answer}");
    }
    // The command line sets one through the same use case.
    let out = outreach_admin(
        &db.url,
        &[
            "targets",
            "set",
            "households",
            "knocked_per_1000_households@*",
            "--at-least",
            "100",
            "--margin",
            "20",
        ],
    );
    assert!(
        out.contains("knocked_per_1000_households@*\tat least 100"),
        "{out}"
    );
    let listed = outreach_admin(&db.url, &["targets", "list"]);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let (status, body) = get(&format!("{base}/v1/admin/targets"), &admin);
    assert_eq!(status, 200);
    let all: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(all.len(), 3, "{body}");
    // Removing: once, then there is nothing to remove.
    let remove = || {
        let url = format!("{base}/v1/admin/targets?report=reach&figure=contacts");
        tests::server::delete(&url, &admin)
    };
    assert_eq!(remove(), 204);
    assert_eq!(remove(), 404);
    // Each change is in the audit log.
    let (_, audit) = get(&format!("{base}/v1/admin/audit"), &admin);
    let changed = audit.matches("changed-target").count();
    assert!(changed >= 6, "{changed} target changes in {audit}");
    assert!(audit.contains("removed reach/contacts"), "{audit}");

    // The dashboard: refused beside the field, as typed; then set, and
    // shown beside the figure on the report's page.
    let mut web = WebSession::new(&base);
    assert_eq!(web.sign_in(&admin).status, 303);
    let csrf = web.csrf("/admin/targets");
    let refused = web.post(
        "/admin/targets",
        &[
            ("csrf", &csrf),
            ("figure", "reach|under_55_share_of_participants"),
            ("comparison", "at-least"),
            ("goal", "150"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"goal-problem\"")
            && refused.body.contains("over 100%")
            && refused.body.contains("value=\"150\""),
        "{}",
        refused.body
    );
    let saved = web.post(
        "/admin/targets",
        &[
            ("csrf", &csrf),
            ("figure", "reach|contacts"),
            ("comparison", "at-least"),
            ("goal", "12"),
            ("margin", "2"),
        ],
    );
    assert_eq!(
        (saved.status, saved.header("location")),
        (303, "/admin/targets?done=saved")
    );
    let page = web.get("/admin/targets");
    assert!(page.body.contains("at least 12"), "{}", page.body);
    let report = web.get("/reports/reach");
    assert!(
        report
            .body
            .contains("data-key=\"headlines.contacts.target\">at least 12: met<"),
        "{}",
        report.body
    );
}

tests::on_every_database!(targets_are_set_refused_audited_and_judged);
