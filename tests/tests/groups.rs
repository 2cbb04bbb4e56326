//! Working groups from end to end: an admin sets one up in the browser
//! (refusals beside the form), joins people to it from their page and
//! through the API, closes it; every phone, whatever its patch, receives
//! it and may join people to it, none but an admin may change it.

use server::ops::Role;
use sync_core::{
    DocId, DoorOutcome, Doorstep, EntryChannel, InteractionKind, NewGroup, NewPerson, Timestamp,
};
use tests::server::{HttpPhone, TestDb, TestServer, configure_area, get, post_json, send_json};
use tests::web::WebSession;

fn groups_are_set_up_and_joined_from_the_browser_and_the_api(db: TestDb) {
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    configure_area(&server, &admin_token);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut youth = HttpPhone::register(&server, Role::YouthWorker, &[]);
    let jo = champion
        .replica
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Jo Adeyemi"))?;
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
            },
        )
        .expect("a person");
    champion.sync(&base);

    let mut admin = WebSession::new(&base);
    assert_eq!(admin.sign_in(&admin_token).status, 303);
    let csrf = admin.csrf("/admin/groups");
    let page = admin.get("/admin/groups");
    assert!(page.body.contains("No working groups yet"), "{}", page.body);
    // A topic the area does not have is refused beside the form, as typed.
    let refused = admin.post(
        "/admin/groups",
        &[
            ("csrf", &csrf),
            ("name", "Oak Lane gardeners"),
            ("patch", "oak-lane"),
            ("topic", "housing"),
            ("devolved_budget", "yes"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"group-problem\"")
            && refused.body.contains("one of the area&#39;s topics")
            && refused.body.contains("value=\"Oak Lane gardeners\"")
            && refused
                .body
                .contains("name=\"devolved_budget\" value=\"yes\" checked"),
        "{}",
        refused.body
    );
    let blank = admin.post("/admin/groups", &[("csrf", &csrf), ("name", "  ")]);
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert!(
        blank.body.contains("group name must not be empty"),
        "{}",
        blank.body
    );
    let added = admin.post(
        "/admin/groups",
        &[
            ("csrf", &csrf),
            ("name", "Oak Lane gardeners"),
            ("patch", "oak-lane"),
            ("topic", "parks"),
            ("devolved_budget", "yes"),
            ("devolved_decisions", "yes"),
        ],
    );
    assert_eq!(
        (added.status, added.header("location")),
        (303, "/admin/groups?done=added"),
        "{}",
        added.body
    );
    let list = admin.get("/admin/groups");
    assert!(
        list.body.contains("Oak Lane gardeners")
            && list.body.contains("Budget and decisions")
            && list.body.contains("<td>oak-lane</td><td>0</td>"),
        "{}",
        list.body
    );
    let (status, groups) = get(&format!("{base}/v1/admin/groups"), &admin_token);
    assert_eq!(status, 200, "{groups}");
    let groups: serde_json::Value = serde_json::from_str(&groups).unwrap();
    let group: DocId = groups[0]["id"].as_str().unwrap().parse().unwrap();

    // Every phone receives it, the Elm Road champion too; none may change it.
    champion.sync(&base);
    youth.sync(&base);
    for phone in [&champion, &youth] {
        let held = phone.replica.groups().expect("groups");
        assert_eq!(held.iter().map(|g| g.id).collect::<Vec<_>>(), [group]);
        assert_eq!(held[0].patch.as_deref(), Some("oak-lane"));
    }
    let mut renamed = NewGroup::from(&champion.replica.group(group).unwrap());
    renamed.name = "Renamed by a phone".into();
    champion.replica.update_group(group, &renamed).unwrap();
    champion.sync(&base);
    assert_eq!(champion.replica.rejections().len(), 1);
    let (_, shown) = get(&format!("{base}/v1/admin/groups/{group}"), &admin_token);
    assert!(shown.contains("Oak Lane gardeners"), "{shown}");

    // The champion joins Jo to it on the phone; the admin sees them.
    server.clock.advance(60_000);
    champion
        .replica
        .join_group(jo, group, server.clock.now())
        .expect("joined");
    champion.sync(&base);
    let page = admin.get(&format!("/admin/groups/{group}"));
    assert!(
        page.body.contains("Jo Adeyemi") && page.body.contains("Members now"),
        "{}",
        page.body
    );

    // From Jo's page: joining twice is refused; leaving before joining too.
    let person = admin.get(&format!("/admin/people/{jo}"));
    assert!(
        person.body.contains("Oak Lane gardeners"),
        "{}",
        person.body
    );
    let twice = admin.post(
        &format!("/admin/people/{jo}/groups"),
        &[
            ("csrf", &csrf),
            ("group", &group.to_string()),
            ("start", "2026-01-01"),
        ],
    );
    assert_eq!(twice.status, 422, "{}", twice.body);
    assert!(
        twice.body.contains("id=\"group-problem\"") && twice.body.contains("repeated"),
        "{}",
        twice.body
    );
    let marker = format!("action=\"/admin/people/{jo}/groups/");
    let at = person.body.find(&marker).expect("a left form") + "action=\"".len();
    let end_action = person.body[at..at + person.body[at..].find('"').unwrap()].to_owned();
    let early = admin.post(&end_action, &[("csrf", &csrf), ("end", "2025-01-01")]);
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(early.body.contains("before it starts"), "{}", early.body);
    let left = admin.post(&end_action, &[("csrf", &csrf), ("end", "2026-01-02")]);
    assert_eq!(left.status, 303, "{}", left.body);

    // Through the API: join again, and an unknown group is not found.
    let joined: serde_json::Value = post_json(
        &format!("{base}/v1/admin/people/{jo}/groups"),
        Some(&admin_token),
        &serde_json::json!({ "group": group.to_string() }),
        201,
    );
    assert!(joined["entry"].is_string(), "{joined}");
    let (status, _) = send_json(
        "POST",
        &format!("{base}/v1/admin/people/{jo}/groups"),
        Some(&admin_token),
        &serde_json::json!({ "group": DocId::new(server.clock.now()).to_string() }),
    );
    assert_eq!(status, 404);
    let (_, members) = get(
        &format!("{base}/v1/admin/groups/{group}/members"),
        &admin_token,
    );
    let members: Vec<serde_json::Value> = serde_json::from_str(&members).unwrap();
    assert_eq!(members.len(), 2, "{members:?}");

    // Closed: it stays, says so, and takes nobody new.
    let closed = admin.post(&format!("/admin/groups/{group}/close"), &[("csrf", &csrf)]);
    assert_eq!(closed.status, 303, "{}", closed.body);
    let (status, body) = send_json(
        "POST",
        &format!("{base}/v1/admin/people/{jo}/groups"),
        Some(&admin_token),
        &serde_json::json!({ "group": group.to_string() }),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("closed"), "{body}");
    champion.sync(&base);
    assert!(champion.replica.group(group).unwrap().closed);
    let memberships: Vec<_> = champion
        .replica
        .person(jo)
        .unwrap()
        .interactions
        .into_iter()
        .filter(|i| matches!(i.kind, InteractionKind::WorkingGroup { .. }))
        .collect();
    assert_eq!(memberships.len(), 2);
    assert!(
        memberships
            .iter()
            .all(|m| m.kind.working_group_id() == Some(group))
    );
    let list = admin.get("/admin/groups");
    assert!(list.body.contains("(closed)"), "{}", list.body);
}

tests::on_every_database!(groups_are_set_up_and_joined_from_the_browser_and_the_api);
