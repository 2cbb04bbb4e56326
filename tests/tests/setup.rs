//! Setting an area up from the browser, from an empty database: the first
//! admin's sign-in link, the checklist, the area's settings, patches,
//! topics and lawful bases, the doors upload with its line-by-line
//! report, named invites with their QR codes, and the chair's access.

use server::ops::{self, Action, Role};
use sync_core::{ConsentPurpose, LawfulBasis, Timestamp};
use tests::server::{TestDb, TestServer, post_json};
use tests::web::WebSession;

use crate::dashboard::code_shown;

fn an_area_is_set_up_from_the_browser(db: TestDb) {
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let first_run = || {
        server
            .block_on(ops::devices::first_run_link(&server.db, server.clock.now()))
            .expect("first-run link")
    };

    // No admin yet: a one-time admin link, pasted whole into the sign-in
    // page, lands on the checklist.
    let link = format!("{base}{}", first_run().expect("a link with no admin"));
    let mut admin = WebSession::new(&base);
    let page = admin.post("/sign-in", &[("token", &link)]);
    assert_eq!(
        (page.status, page.header("location")),
        (303, "/admin/setup"),
        "{}",
        page.body
    );
    assert_eq!(first_run(), None, "an admin now signs in");
    let again = WebSession::new(&base).post("/sign-in", &[("token", &link)]);
    assert_eq!(again.status, 400, "the link works once");
    let checklist = admin.get("/admin/setup");
    assert_eq!(checklist.status, 200);
    assert!(
        checklist.body.contains("9 of 9 steps left"),
        "{}",
        checklist.body
    );

    // The area page works with nothing stored, and a refused form says
    // why.
    let page = admin.get("/admin/area");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Nothing is set up yet"), "{}", page.body);
    let csrf = admin.csrf("/admin/area");
    let settings = |name: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", name.to_owned()),
            ("time_zone", "Europe/London".to_owned()),
            ("threshold", "60".to_owned()),
            ("seats", "12".to_owned()),
            ("suppress_below", "5".to_owned()),
        ]
    };
    let form =
        |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };
    let post = |session: &mut WebSession, path: &str, fields: &[(&str, String)]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        session.post(path, &fields)
    };
    let refused = post(&mut admin, "/admin/area", &settings("  "));
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("needs a name"), "{}", refused.body);
    // The page that says so keeps the menu.
    assert!(
        refused.body.contains("href=\"/admin/setup\""),
        "{}",
        refused.body
    );
    assert!(
        server
            .block_on(ops::area::read(&server.db))
            .unwrap()
            .is_none()
    );
    let mut elsewhere = settings("Ashby Big Local");
    elsewhere[2].1 = "Europe/Atlantis".to_owned();
    let refused = post(&mut admin, "/admin/area", &elsewhere);
    assert_eq!(refused.status, 400);
    // The form comes back as it was typed, the reason beside it.
    assert!(
        refused.body.contains("is not a time zone")
            && refused.body.contains("id=\"settings-problem\"")
            && refused.body.contains("value=\"Ashby Big Local\"")
            && refused.body.contains("value=\"Europe/Atlantis\"")
            && refused.body.contains("value=\"12\""),
        "{}",
        refused.body
    );
    let saved = post(&mut admin, "/admin/area", &settings("Ashby Big Local"));
    assert_eq!(saved.status, 303, "{}", saved.body);
    for (slug, name, households) in [
        ("elm-road", "Elm Road", "400"),
        ("oak-lane", "Oak Lane", "250"),
    ] {
        let fields = form(&[
            ("csrf", csrf.clone()),
            ("slug", slug.to_owned()),
            ("name", name.to_owned()),
            ("households", households.to_owned()),
        ]);
        assert_eq!(post(&mut admin, "/admin/patches", &fields).status, 303);
    }
    // Census figures for Elm Road: a band left out is refused beside its
    // form (422), as typed; then saved, and shown on the board report.
    let bands = ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74"];
    let names: Vec<String> = bands.iter().map(|b| format!("age-{b}")).collect();
    let mut census = vec![("csrf", csrf.clone())];
    for (name, n) in names.iter().zip(["80", "150", "140", "130", "120", "90"]) {
        census.push((name.as_str(), n.to_owned()));
    }
    census.push(("tenure-owner", "220".to_owned()));
    census.push(("tenure-social-rent", "180".to_owned()));
    let refused = post(&mut admin, "/admin/patches/elm-road/census", &census);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"census-problem-elm-road\"")
            && refused.body.contains("every adult band")
            && refused.body.contains("value=\"130\""),
        "{}",
        refused.body
    );
    census.push(("age-75+", "60".to_owned()));
    let saved = post(&mut admin, "/admin/patches/elm-road/census", &census);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let area = server
        .block_on(ops::area::read(&server.db))
        .unwrap()
        .unwrap();
    let elm = area
        .patch("elm-road")
        .and_then(|p| p.census.clone())
        .unwrap();
    assert_eq!(elm.residents_by_age.len(), 7);
    assert_eq!(area.patch("oak-lane").unwrap().census, None);
    let board = admin.get("/reports/board");
    assert_eq!(board.status, 200, "{}", board.body);
    assert!(
        board
            .body
            .contains("The census figures are residents aged 18 or over in Elm Road; Oak Lane has none entered"),
        "{}",
        board.body
    );
    let lots = form(&[
        ("csrf", csrf.clone()),
        ("slug", "canal-side".to_owned()),
        ("name", "Canal Side".to_owned()),
        ("households", "lots".to_owned()),
    ]);
    let refused = post(&mut admin, "/admin/patches", &lots);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"patch-problem\"")
            && refused.body.contains("value=\"canal-side\"")
            && refused.body.contains("value=\"lots\""),
        "{}",
        refused.body
    );
    let topics = form(&[
        ("csrf", csrf.clone()),
        (
            "topics",
            "Housing\r\n  Litter \r\n\r\nYoung people\r\n".to_owned(),
        ),
    ]);
    assert_eq!(post(&mut admin, "/admin/area/topics", &topics).status, 303);
    let mut bases = vec![("csrf", csrf.clone())];
    for purpose in ConsentPurpose::ALL {
        let basis = if *purpose == ConsentPurpose::Events {
            LawfulBasis::LegitimateInterests
        } else {
            LawfulBasis::Consent
        };
        let key: &'static str = match purpose {
            ConsentPurpose::ContactAgain => "basis-contact-again",
            ConsentPurpose::Events => "basis-events",
            ConsentPurpose::Volunteering => "basis-volunteering",
            ConsentPurpose::EqualityMonitoring => "basis-equality-monitoring",
        };
        bases.push((key, basis.as_str().to_owned()));
    }
    assert_eq!(
        post(&mut admin, "/admin/area/lawful-bases", &bases).status,
        303
    );
    // The ladder and the resident definitions are edited row by row; a
    // refused one comes back as typed.
    let ladder = |second: &str| {
        form(&[
            ("csrf", csrf.clone()),
            ("key-stage0", "met".to_owned()),
            ("label-stage0", "Met".to_owned()),
            ("rule-stage0", "conversation".to_owned()),
            ("key-stage1", second.to_owned()),
            ("label-stage1", "Joined in".to_owned()),
            ("rule-stage1", "participant".to_owned()),
            ("key-stage2", "leads".to_owned()),
            ("label-stage2", "Leads".to_owned()),
            ("rule-stage2", "leader".to_owned()),
            ("key-stage3", String::new()),
            ("label-stage3", String::new()),
            ("rule-stage3", "contacted".to_owned()),
        ])
    };
    let refused = post(&mut admin, "/admin/area/ladder", &ladder("met"));
    assert_eq!(refused.status, 400, "two stages with one key");
    assert!(
        refused.body.contains("id=\"ladder-problem\"")
            && refused.body.contains("value=\"Joined in\""),
        "{}",
        refused.body
    );
    assert_eq!(
        post(&mut admin, "/admin/area/ladder", &ladder("joined")).status,
        303
    );
    let residents = |basis: &str| {
        form(&[
            ("csrf", csrf.clone()),
            ("key-definition0", "lives-here".to_owned()),
            ("label-definition0", "Lives here".to_owned()),
            (
                if basis == "lives" {
                    "counts-definition0-lives"
                } else {
                    "counts-definition0-flies"
                },
                "yes".to_owned(),
            ),
            ("key-definition1", String::new()),
            ("label-definition1", String::new()),
        ])
    };
    let refused = post(&mut admin, "/admin/area/residents", &residents("flies"));
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"residents-problem\"")
            && refused.body.contains("value=\"Lives here\""),
        "{}",
        refused.body
    );
    assert_eq!(
        post(&mut admin, "/admin/area/residents", &residents("lives")).status,
        303
    );
    // Equality monitoring is special-category data: only consent will do.
    let special = form(&[
        ("csrf", csrf.clone()),
        ("basis-events", "legitimate-interests".to_owned()),
        (
            "basis-equality-monitoring",
            "legitimate-interests".to_owned(),
        ),
    ]);
    let refused = post(&mut admin, "/admin/area/lawful-bases", &special);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"bases-problem\"") && refused.body.contains("explicit consent"),
        "{}",
        refused.body
    );
    let unknown = form(&[("csrf", csrf.clone()), ("basis-events", "whim".to_owned())]);
    let refused = post(&mut admin, "/admin/area/lawful-bases", &unknown);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("unknown lawful basis"),
        "{}",
        refused.body
    );
    let area = server
        .block_on(ops::area::read(&server.db))
        .unwrap()
        .expect("the area");
    assert_eq!(
        (
            area.area.as_str(),
            area.name.as_str(),
            area.partnership_seats
        ),
        ("ashby-big-local", "Ashby Big Local", Some(12))
    );
    assert_eq!(area.resident_led_threshold_percent, 60);
    assert_eq!(area.time_zone, "Europe/London");
    assert_eq!(
        area.topics.iter().map(String::as_str).collect::<Vec<_>>(),
        ["Housing", "Litter", "Young people"]
    );
    assert_eq!(
        area.lawful_basis(ConsentPurpose::Events),
        LawfulBasis::LegitimateInterests
    );
    assert_eq!(area.patch("oak-lane").map(|p| p.households), Some(250));
    let stages: Vec<&str> = area
        .ladder
        .stages()
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(stages, ["met", "joined", "leads"]);
    assert_eq!(area.resident_definitions.len(), 1);
    assert_eq!(
        area.resident_definitions[0].counts,
        std::collections::BTreeSet::from([sync_core::ResidentBasis::Lives])
    );

    // The doors: an upload with one bad line keeps the rest and says
    // which line and why; a forged upload stores nothing.
    let csv = "patch,house,street,postcode\n\
               elm-road,1,Elm Road,AB1 2CD\n\
               nowhere,2,Elm Road,AB1 2CD\n\
               oak-lane,3,Oak Lane,AB1 3EF\n\
               oak-lane,5,Oak Lane,AB1 3EF\n";
    let forged = admin.post_file(
        "/admin/doors",
        &[("csrf", "forged")],
        ("file", "doors.csv", csv.as_bytes()),
    );
    assert_eq!(forged.status, 403);
    assert!(admin.get("/admin/doors").body.contains("No doors yet"));
    let csrf = admin.csrf("/admin/doors");
    let uploaded = admin.post_file(
        "/admin/doors",
        &[("csrf", &csrf)],
        ("file", "doors.csv", csv.as_bytes()),
    );
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    assert!(
        uploaded
            .body
            .contains("<span id=\"import-added\">3</span> doors added"),
        "{}",
        uploaded.body
    );
    assert!(
        uploaded
            .body
            .contains("<th scope=\"row\">3</th><td>patch is not one of the area"),
        "line 3 refused, and why: {}",
        uploaded.body
    );
    let empty = admin.post_file(
        "/admin/doors",
        &[("csrf", &csrf)],
        ("file", "none.csv", b""),
    );
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("choose a CSV file"), "{}", empty.body);

    // A champion's invite: named, its patches ticked from the area's,
    // shown as a link and a QR code with its expiry.
    let csrf = admin.csrf("/admin/devices");
    let page = admin.get("/admin/devices");
    assert!(
        page.body.contains("name=\"patches\" value=\"oak-lane\""),
        "patches are ticked, not typed: {}",
        page.body
    );
    let invite = |session: &mut WebSession, role: &str, name: &str, patches: &[&str]| {
        let mut fields = vec![("csrf", csrf.as_str()), ("role", role), ("name", name)];
        fields.extend(patches.iter().map(|p| ("patches", *p)));
        session.post("/admin/invites", &fields)
    };
    let refused = invite(&mut admin, "youth-worker", "Lost", &["atlantis"]);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"invite-problem\"")
            && refused.body.contains("atlantis")
            && refused.body.contains("value=\"Lost\"")
            && refused.body.contains("value=\"youth-worker\" selected"),
        "{}",
        refused.body
    );
    let refused = invite(&mut admin, "viewer", "Jo", &["oak-lane"]);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("value=\"oak-lane\" checked"),
        "the patch stays ticked: {}",
        refused.body
    );
    assert!(
        refused.body.contains("patches are for street champions"),
        "{}",
        refused.body
    );
    let made = invite(
        &mut admin,
        "champion",
        "Oak Lane champion",
        &["oak-lane", "elm-road"],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("<svg class=\"qr\""), "{}", made.body);
    assert!(
        made.body.contains(&format!("{base}/join/")),
        "{}",
        made.body
    );
    assert!(made.body.contains("Elm Road, Oak Lane"), "{}", made.body);
    assert!(
        made.body.contains("2026-01-15 00:00 (Europe/London)"),
        "14 days: {}",
        made.body
    );
    let code = code_shown(&made.body);
    // In a browser the link says what to do with it, and uses nothing.
    let join = WebSession::new(&base).get(&format!("/join/{code}"));
    assert_eq!(join.status, 200);
    assert!(join.body.contains(&code), "{}", join.body);
    // The phone registers with it and takes the invite's name, whatever
    // it calls itself.
    let registered: ops::Registered = post_json(
        &format!("{base}/v1/devices"),
        None,
        &serde_json::json!({ "invite_code": code, "name": "Pixel 7" }),
        201,
    );
    assert_eq!(registered.patches, ["elm-road", "oak-lane"]);
    let devices = server.block_on(ops::devices::list(&server.db)).unwrap();
    let phone = devices
        .iter()
        .find(|d| d.id == registered.device_id)
        .expect("the phone");
    assert_eq!(phone.name, "Oak Lane champion");

    // The chair: a one-time sign-in link, named; a viewer never reaches
    // an admin page.
    let made = invite(&mut admin, "viewer", "Jo, chair", &[]);
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(
        made.body.contains(&format!("{base}/sign-in/")),
        "{}",
        made.body
    );
    assert!(made.body.contains("<svg class=\"qr\""), "{}", made.body);
    let code = code_shown(&made.body);
    let mut chair = WebSession::new(&base);
    assert_eq!(chair.get(&format!("/sign-in/{code}")).status, 200);
    let signed_in = chair.post("/sign-in/link", &[("code", &code)]);
    assert_eq!(
        (signed_in.status, signed_in.header("location")),
        (303, "/reports/funnel")
    );
    for page in [
        "/admin/setup",
        "/admin/area",
        "/admin/doors",
        "/admin/devices",
    ] {
        let refused = chair.get(page);
        assert_eq!(refused.status, 403, "{page}");
        // A viewer's menu: the reports, and no admin page.
        assert!(
            refused.body.contains("href=\"/reports/funnel\"")
                && !refused.body.contains("href=\"/admin/devices\""),
            "{page}: {}",
            refused.body
        );
    }
    let upload = chair.post_file(
        "/admin/doors",
        &[("csrf", "any")],
        ("file", "doors.csv", csv.as_bytes()),
    );
    assert_eq!(upload.status, 403);
    let devices = server.block_on(ops::devices::list(&server.db)).unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d.name == "Jo, chair" && d.role == Role::Viewer),
        "{devices:?}"
    );

    // Every step is done, and each change was audited.
    let checklist = admin.get("/admin/setup");
    assert!(
        checklist.body.contains("Everything is set up"),
        "{}",
        checklist.body
    );
    let log = server
        .block_on(ops::audit_log(&server.db, 100))
        .expect("the audit log");
    for (action, detail) in [
        (Action::ChangedArea, "settings"),
        (Action::ChangedArea, "topics"),
        (Action::ChangedArea, "lawful bases"),
        (Action::ChangedArea, "patch oak-lane"),
        (Action::Invited, "admin (first admin)"),
        (Action::Invited, "champion (Oak Lane champion)"),
        (Action::Invited, "viewer (Jo, chair)"),
    ] {
        assert!(
            log.iter()
                .any(|e| e.action == action.as_str() && e.detail == detail),
            "{action:?} {detail}: {log:?}"
        );
    }
    assert!(
        log.iter()
            .any(|e| e.action == Action::ImportedAddresses.as_str() && e.detail == "3"),
        "the upload: {log:?}"
    );
}

/// A person recorded by two champions is merged from the likely
/// duplicates, and a person who asks to be forgotten is erased, each
/// through a page that says what will happen; both are audited, and the
/// phone follows.
fn people_are_merged_and_erased_from_the_browser(db: TestDb) {
    use sync_core::{DoorOutcome, Doorstep, EntryChannel, NewPerson};
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    tests::server::configure_area(&server, &admin_token);
    let mut phone = tests::server::HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut person = |name: &str, email: &str| {
        server.clock.advance(60_000);
        phone
            .replica
            .create_person(
                &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
                |p| {
                    p.set_name(Some(name))?;
                    p.set_email(Some(email))?;
                    p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
                },
            )
            .expect("a person")
    };
    let older = person("Sam Okafor", "sam@example.org");
    let newer = person("Sam O.", "sam@example.org");
    let leaver = person("Priya Shah", "priya@example.org");
    phone.sync(&base);

    let mut admin = WebSession::new(&base);
    assert_eq!(admin.sign_in(&admin_token).status, 303);
    let list = admin.get("/admin/duplicates");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("Sam Okafor") && list.body.contains("Sam O."),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("the same email address"),
        "{}",
        list.body
    );
    let merge = format!("/admin/duplicates/merge?survivor={older}&#38;other={newer}");
    assert!(list.body.contains(&merge), "{}", list.body);
    let merge = merge.replace("&#38;", "&");
    let asked = admin.get(&merge);
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("move across"), "{}", asked.body);
    let csrf = admin.csrf(&merge);
    let unconfirmed = admin.post(&merge, &[("csrf", &csrf)]);
    assert_eq!(
        (unconfirmed.status, unconfirmed.header("location")),
        (303, merge.as_str())
    );
    let forged = admin.post(&merge, &[("csrf", "forged"), ("confirmed", "yes")]);
    assert_eq!(forged.status, 403);
    assert_eq!(
        admin.get(&format!("/admin/people/{newer}")).status,
        200,
        "nothing merged yet"
    );
    let merged = admin.post(&merge, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(
        (merged.status, merged.header("location")),
        (303, "/admin/duplicates?done=merged")
    );
    let list = admin.get("/admin/duplicates?done=merged");
    assert!(list.body.contains("No likely duplicates"), "{}", list.body);

    // Erasing asks first, then takes the person off the server and the
    // phone.
    let erase = format!("/admin/people/{leaver}/erase");
    assert!(
        admin
            .get(&format!("/admin/people/{leaver}"))
            .body
            .contains(&erase)
    );
    let asked = admin.get(&erase);
    assert!(asked.body.contains("Erase Priya Shah?"), "{}", asked.body);
    let unconfirmed = admin.post(&erase, &[("csrf", &csrf)]);
    assert_eq!(unconfirmed.status, 303);
    assert_eq!(
        admin.get(&format!("/admin/people/{leaver}")).status,
        200,
        "not yet"
    );
    let erased = admin.post(&erase, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(
        (erased.status, erased.header("location")),
        (303, "/admin/people?done=erased")
    );
    assert_eq!(admin.get(&format!("/admin/people/{leaver}")).status, 404);
    // What is held about someone downloads as a file, logged; someone
    // who objects is kept only as do-not-contact, after a confirmation.
    let export = admin.get(&format!("/admin/people/{older}/export"));
    assert_eq!(export.status, 200);
    assert_eq!(
        export.header("content-disposition"),
        format!("attachment; filename=\"person-{older}.json\"")
    );
    assert!(export.body.contains("Sam Okafor"), "{}", export.body);
    let suppress = format!("/admin/people/{older}/suppress");
    assert!(admin.get(&suppress).body.contains("do not contact"));
    let unconfirmed = admin.post(&suppress, &[("csrf", &csrf)]);
    assert_eq!(unconfirmed.status, 303);
    assert_eq!(
        admin.get(&format!("/admin/people/{older}")).status,
        200,
        "not yet"
    );
    let suppressed = admin.post(&suppress, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(
        (suppressed.status, suppressed.header("location")),
        (303, "/admin/people?done=suppressed")
    );
    assert_eq!(admin.get(&format!("/admin/people/{older}")).status, 404);
    // The audit log page says all of it in words.
    let audit = admin.get("/admin/audit");
    assert_eq!(audit.status, 200);
    for words in [
        "Two records of one person were merged",
        "Someone was erased",
        "Everything about someone was downloaded",
        "Someone was kept only as do-not-contact",
    ] {
        assert!(audit.body.contains(words), "{words}: {}", audit.body);
    }
    phone.sync(&base);
    let held: Vec<_> = phone
        .replica
        .people()
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert!(
        !held.contains(&leaver),
        "the phone erased its copy: {held:?}"
    );
    assert!(
        !held.contains(&newer),
        "the phone followed the merge: {held:?}"
    );
    assert!(
        !held.contains(&older),
        "replaced by a do-not-contact entry: {held:?}"
    );

    let log = server
        .block_on(ops::audit_log(&server.db, 100))
        .expect("the audit log");
    let newer_id = newer.to_string();
    let leaver_id = leaver.to_string();
    assert!(log.iter().any(|e| e.action == Action::Merged.as_str()
        && e.record_id.as_deref() == Some(newer_id.as_str())));
    assert!(log.iter().any(|e| e.action == Action::Erased.as_str()
        && e.record_id.as_deref() == Some(leaver_id.as_str())));
}

/// Events are listed with those to come first, soonest first, and are
/// changed from their own page (audited; the end kept when given).
fn events_come_soonest_first_and_are_changed_from_their_page(db: TestDb) {
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    tests::server::configure_area(&server, &admin_token);
    let mut admin = WebSession::new(&base);
    assert_eq!(admin.sign_in(&admin_token).status, 303);
    let csrf = admin.csrf("/admin/events");
    for (title, starts) in [
        ("Litter pick", "2025-12-20T10:00"),
        ("Later training", "2026-02-01T10:00"),
        ("Soon meeting", "2026-01-05T18:00"),
        ("Summer fun day", "2026-07-04T12:00"),
    ] {
        let added = admin.post(
            "/admin/events",
            &[
                ("csrf", &csrf),
                ("title", title),
                ("kind", "meeting"),
                ("patch", "elm-road"),
                ("starts", starts),
                ("ends", ""),
                ("place", "Community centre"),
            ],
        );
        assert_eq!(added.status, 303, "{}", added.body);
    }
    let refused = admin.post(
        "/admin/events",
        &[
            ("csrf", &csrf),
            ("title", "Treasure hunt"),
            ("kind", "fun-day"),
            ("patch", "atlantis"),
            ("starts", "2026-03-01T10:00"),
            ("ends", ""),
            ("place", "The green"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"event-problem\"")
            && refused.body.contains("value=\"Treasure hunt\"")
            && refused.body.contains("value=\"2026-03-01T10:00\"")
            && refused.body.contains("value=\"fun-day\" selected"),
        "{}",
        refused.body
    );
    // A headcount beyond any event's is refused beside its field; a count
    // typed with a thousands comma is read.
    let carnival = |headcount: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "Carnival".to_owned()),
            ("kind", "fun-day".to_owned()),
            ("patch", "elm-road".to_owned()),
            ("starts", "2025-08-02T12:00".to_owned()),
            ("ends", String::new()),
            ("place", "The green".to_owned()),
            ("headcount", headcount.to_owned()),
        ]
    };
    for bad in ["100001", "-3", "lots"] {
        let fields = carnival(bad);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = admin.post("/admin/events", &fields);
        assert_eq!(refused.status, 422, "{bad}");
        assert!(
            refused.body.contains("id=\"headcount-problem\"")
                && refused
                    .body
                    .contains("headcount must be a whole number from 0 to 100000")
                && refused.body.contains(&format!("value=\"{bad}\"")),
            "{}",
            refused.body
        );
    }
    let fields = carnival("1,000");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(admin.post("/admin/events", &fields).status, 303);
    let page = admin.get("/admin/events");
    let at = |title: &str| page.body.find(title).unwrap_or_else(|| panic!("{title}"));
    assert!(at("Soon meeting") < at("Later training"), "soonest first");
    assert!(at("Later training") < at("Past events") && at("Past events") < at("Litter pick"));

    let events = server.block_on(ops::events::list(&server.db)).unwrap();
    let event = |title: &str| {
        events
            .iter()
            .find(|e| e.title == title)
            .cloned()
            .expect("the event")
    };
    // Times are the area's (London): noon in summer is 11:00 UTC, shown
    // as noon; in January London is on UTC.
    let summer = event("Summer fun day");
    assert_eq!(summer.starts_at, 1_783_162_800_000, "2026-07-04T11:00Z");
    assert!(page.body.contains("2026-07-04 12:00"), "{}", page.body);
    assert!(
        page.body.contains("times in Europe/London"),
        "{}",
        page.body
    );
    let soon = event("Soon meeting");
    assert_eq!(soon.starts_at, 1_767_636_000_000, "2026-01-05T18:00Z");
    let path = format!("/admin/events/{}", soon.id);
    assert!(
        page.body.contains(&format!("href=\"{path}\"")),
        "{}",
        page.body
    );
    let form = admin.get(&path);
    assert!(
        form.body.contains("value=\"2026-01-05T18:00\""),
        "{}",
        form.body
    );
    let change = |patch: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "Soon meeting (moved)".to_owned()),
            ("kind", "meeting".to_owned()),
            ("patch", patch.to_owned()),
            ("starts", "2026-01-06T18:00".to_owned()),
            ("ends", "2026-01-06T20:00".to_owned()),
            ("place", "Library".to_owned()),
        ]
    };
    let post = |session: &mut WebSession, fields: &[(&str, String)]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        session.post(&path, &fields)
    };
    let refused = post(&mut admin, &change("atlantis"));
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("id=\"event-problem\"")
            && refused.body.contains("value=\"Soon meeting (moved)\"")
            && refused.body.contains("value=\"Library\""),
        "the change comes back as typed: {}",
        refused.body
    );
    let saved = post(&mut admin, &change("oak-lane"));
    assert_eq!(
        (saved.status, saved.header("location")),
        (303, "/admin/events?done=event-saved")
    );
    let moved = server
        .block_on(ops::events::list(&server.db))
        .unwrap()
        .into_iter()
        .find(|e| e.id == soon.id)
        .expect("the event");
    assert_eq!(
        (
            moved.title.as_str(),
            moved.patch.as_str(),
            moved.place.as_deref()
        ),
        ("Soon meeting (moved)", "oak-lane", Some("Library"))
    );
    assert_eq!(moved.ends_at, Some(moved.starts_at + 2 * 3_600_000));
    assert_eq!(event("Carnival").headcount, Some(1_000));
    assert_eq!(moved.headcount, None, "never counted");
    // Counted afterwards, from the event's page.
    let mut counted = change("oak-lane");
    counted.push(("headcount", "85".to_owned()));
    assert_eq!(post(&mut admin, &counted).status, 303);
    let refused = {
        let mut fields = change("oak-lane");
        fields.push(("headcount", "250000".to_owned()));
        post(&mut admin, &fields)
    };
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"headcount-problem\"")
            && refused.body.contains("value=\"250000\""),
        "{}",
        refused.body
    );
    let counted = server
        .block_on(ops::events::get(&server.db, soon.id.parse().unwrap()))
        .unwrap();
    assert_eq!(
        counted.headcount,
        Some(85),
        "the refused count stored nothing"
    );
    // Cancelling asks first; the event stays, marked cancelled.
    let later = event("Later training");
    let cancel = format!("/admin/events/{}/cancel", later.id);
    assert!(
        admin
            .get(&format!("/admin/events/{}", later.id))
            .body
            .contains(&cancel),
        "the event's page offers it"
    );
    let asked = admin.get(&cancel);
    assert!(
        asked.body.contains("stays on the events list"),
        "{}",
        asked.body
    );
    let unconfirmed = admin.post(&cancel, &[("csrf", &csrf)]);
    assert_eq!(
        (unconfirmed.status, unconfirmed.header("location")),
        (303, cancel.as_str())
    );
    let cancelled = admin.post(&cancel, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(
        (cancelled.status, cancelled.header("location")),
        (303, "/admin/events?done=event-cancelled")
    );
    let page = admin.get("/admin/events?done=event-cancelled");
    assert!(page.body.contains("(cancelled)"), "{}", page.body);
    let listed = server.block_on(ops::events::list(&server.db)).unwrap();
    assert!(listed.iter().any(|e| e.id == later.id && e.cancelled));
    assert!(listed.iter().filter(|e| e.cancelled).count() == 1);
    // The API cancels too (once is enough: again changes nothing).
    let status = tests::server::post_empty(
        &format!("{base}/v1/admin/events/{}/cancel", later.id),
        &admin_token,
    );
    assert_eq!(status, 204);
    // The API takes the headcount too, and refuses one beyond any event's.
    let event = |headcount: u32| {
        serde_json::json!({
            "title": "Gala", "kind": "fun-day", "patch": "elm-road",
            "starts_at": 1_783_162_800_000i64, "headcount": headcount,
        })
    };
    let url = format!("{base}/v1/admin/events");
    let created: serde_json::Value =
        tests::server::post_json(&url, Some(&admin_token), &event(2_500), 201);
    let gala = created["id"]
        .as_str()
        .expect("the new event's id")
        .to_owned();
    let refused: serde_json::Value =
        tests::server::post_json(&url, Some(&admin_token), &event(100_001), 422);
    assert_eq!(refused["error"], "invalid", "{refused}");
    let listed = server.block_on(ops::events::list(&server.db)).unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.id == gala && e.headcount == Some(2_500)),
        "{listed:?}"
    );

    let log = server
        .block_on(ops::audit_log(&server.db, 100))
        .expect("the audit log");
    assert!(log.iter().any(|e| e.action == Action::ChangedEvent.as_str()
        && e.record_id.as_deref() == Some(soon.id.as_str())));
    assert_eq!(
        log.iter()
            .filter(|e| e.action == Action::ChangedEvent.as_str() && e.detail == "cancelled")
            .count(),
        1,
        "{log:?}"
    );
}

/// Seats and offices are taken up and stood down from a person's page;
/// the board page lists who holds them now and the vacancies; each change
/// is audited and reaches the phone.
fn the_board_is_recorded_from_the_browser(db: TestDb) {
    use sync_core::{DoorOutcome, Doorstep, EntryChannel, NewPerson, ResidentBasis};
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    tests::server::configure_area(&server, &admin_token);
    let mut phone = tests::server::HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut person = |name: &str| {
        server.clock.advance(60_000);
        phone
            .replica
            .create_person(
                &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
                |p| {
                    p.set_name(Some(name))?;
                    p.set_resident(ResidentBasis::Lives, true)?;
                    p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
                },
            )
            .expect("a person")
    };
    let jo = person("Jo Adeyemi");
    let sam = person("Sam Okafor");
    phone.sync(&base);

    let mut admin = WebSession::new(&base);
    assert_eq!(admin.sign_in(&admin_token).status, 303);
    let csrf = admin.csrf("/admin/area");
    let seats = admin.post(
        "/admin/area",
        &[
            ("csrf", &csrf),
            ("name", "North Estate"),
            ("time_zone", "Europe/London"),
            ("threshold", "51"),
            ("seats", "5"),
            ("suppress_below", "5"),
        ],
    );
    assert_eq!(seats.status, 303, "{}", seats.body);
    let page = admin.get(&format!("/admin/people/{jo}"));
    assert!(page.body.contains("No seat or office"), "{}", page.body);
    let take_up = |session: &mut WebSession, who: sync_core::DocId, role: &str, start: &str| {
        session.post(
            &format!("/admin/people/{who}/roles"),
            &[("csrf", &csrf), ("role", role), ("start", start)],
        )
    };
    // Refused: the reason beside the form, and the form as it was typed.
    let unknown = take_up(&mut admin, jo, "king", "2025-12-01");
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert!(
        unknown
            .body
            .contains("choose the seat or office they took up")
            && unknown.body.contains("value=\"2025-12-01\""),
        "{}",
        unknown.body
    );
    let refused = admin.post(
        &format!("/admin/people/{jo}/roles"),
        &[
            ("csrf", &csrf),
            ("role", "treasurer"),
            ("start", "last week"),
            ("hat_paid-worker", "yes"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"role-problem\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"last week\"")
            && refused
                .body
                .contains("<option value=\"treasurer\" selected>")
            && refused
                .body
                .contains("name=\"hat_paid-worker\" value=\"yes\" checked"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Jo Adeyemi"), "the menu and the page");
    // Sam sits as a councillor.
    let sat = admin.post(
        &format!("/admin/people/{sam}/roles"),
        &[
            ("csrf", &csrf),
            ("role", "chair"),
            ("start", "2025-12-01"),
            ("hat_councillor", "yes"),
        ],
    );
    assert_eq!(sat.status, 303, "{}", sat.body);
    let taken = take_up(&mut admin, jo, "chair", "2025-12-01");
    assert_eq!(
        (taken.status, taken.header("location")),
        (303, format!("/admin/people/{jo}?done=role").as_str())
    );
    let board = admin.get("/admin/board");
    assert!(
        board.body.contains("2 of 5 seats filled; 3 vacant."),
        "{}",
        board.body
    );
    assert!(
        board.body.contains("Jo Adeyemi") && board.body.contains("Chair"),
        "{}",
        board.body
    );
    assert!(board.body.contains("Lives in the area"), "{}", board.body);
    assert!(
        board
            .body
            .contains("1 of the 2 people with a seat wear another hat: 1 councillor."),
        "{}",
        board.body
    );

    // Jo is also paid to work in the area: the hats of the seat change.
    let page = admin.get(&format!("/admin/people/{jo}"));
    let marker = format!("action=\"/admin/people/{jo}/roles/");
    let at = page.body.find(&marker).expect("a role's forms") + "action=\"".len();
    let role_path = page.body[at..at + page.body[at..].find("/end\"").unwrap()].to_owned();
    let hats = admin.post(
        &format!("{role_path}/hats"),
        &[("csrf", &csrf), ("hat_paid-worker", "yes")],
    );
    assert_eq!(hats.status, 303, "{}", hats.body);
    let board = admin.get("/admin/board");
    assert!(
        board.body.contains(
            "2 of the 2 people with a seat wear another hat: 1 councillor, 1 paid worker."
        ) && board.body.contains("<td>Paid worker</td>"),
        "{}",
        board.body
    );

    // Sam stands down; a day before the role began is refused, and said.
    let page = admin.get(&format!("/admin/people/{sam}"));
    let marker = format!("action=\"/admin/people/{sam}/roles/");
    let at = page.body.find(&marker).expect("a stood-down form") + "action=\"".len();
    let end_action = page.body[at..at + page.body[at..].find('"').unwrap()].to_owned();
    let early = admin.post(&end_action, &[("csrf", &csrf), ("end", "2025-11-01")]);
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(
        early.body.contains("id=\"role-problem\"") && early.body.contains("before"),
        "{}",
        early.body
    );
    let ended = admin.post(&end_action, &[("csrf", &csrf), ("end", "2025-12-20")]);
    assert_eq!(ended.status, 303, "{}", ended.body);
    let board = admin.get("/admin/board");
    assert!(
        board.body.contains("1 of 5 seats filled; 4 vacant."),
        "{}",
        board.body
    );
    assert!(!board.body.contains("Sam Okafor"), "{}", board.body);
    let forged = admin.post(
        &format!("/admin/people/{jo}/roles"),
        &[
            ("csrf", "forged"),
            ("role", "treasurer"),
            ("start", "2025-12-01"),
        ],
    );
    assert_eq!(forged.status, 403);

    phone.sync(&base);
    let now = server.clock.now();
    let held = |id| {
        phone
            .replica
            .person(id)
            .unwrap()
            .roles_held_at(now)
            .collect::<Vec<_>>()
    };
    assert_eq!(held(jo), [sync_core::Role::Chair]);
    assert!(held(sam).is_empty());
    let jo_hats: Vec<_> = phone
        .replica
        .person(jo)
        .unwrap()
        .interactions
        .into_iter()
        .filter_map(|i| match i.kind {
            sync_core::InteractionKind::Role { hats, .. } => Some(hats),
            _ => None,
        })
        .collect();
    assert_eq!(jo_hats, [[sync_core::Hat::PaidWorker].into()]);
    let log = server
        .block_on(ops::audit_log(&server.db, 100))
        .expect("the audit log");
    for (action, detail) in [
        (Action::ChangedPerson, "took up chair"),
        (Action::ChangedPerson, "took up chair as councillor"),
        (Action::ChangedPerson, "hats: paid-worker"),
        (Action::ChangedPerson, "stood down"),
        (Action::ListedBoard, "2"),
    ] {
        assert!(
            log.iter()
                .any(|e| e.action == action.as_str() && e.detail == detail),
            "{action:?} {detail}: {log:?}"
        );
    }
}

/// A partnership brings in the people it already knows from a
/// spreadsheet, from the browser and the command line: lawful basis and
/// consents per line (a line without a basis refused), households matched
/// to the doors list, someone already held offered for merging, and the
/// records reach a champion's phone.
fn people_are_brought_in_from_a_spreadsheet(db: TestDb) {
    use sync_core::{ConsentPurpose, DoorOutcome, Doorstep, EntryChannel, NewPerson};
    let server = TestServer::start(&db, Timestamp::from_millis(1_767_225_600_000));
    let base = server.base.clone();
    let (_, admin_token) = server.register(Role::Admin, &[]);
    tests::server::configure_area(&server, &admin_token);
    let doors = "patch,house,street\nelm-road,4,Elm Road\n";
    server
        .block_on(ops::doors::import(
            &server.db,
            ops::Actor::CommandLine,
            doors.as_bytes(),
            server.clock.now(),
            |_| {},
        ))
        .expect("the doors");
    let mut phone = tests::server::HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    phone
        .replica
        .create_person(
            &NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_name(Some("Sam Okafor"))?;
                p.set_email(Some("sam@example.org"))?;
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
            },
        )
        .expect("a person");
    phone.sync(&base);
    server.clock.advance(60_000);

    let mut admin = WebSession::new(&base);
    assert_eq!(admin.sign_in(&admin_token).status, 303);
    let csrf = admin.csrf("/admin/people/import");
    let records = "name,email,patch,lawful_basis,consents,residency,house,street,age_band,role,role_start,hats\n\
                   Priya Shah,priya@example.org,elm-road,consent,contact-again;events,lives,4,Elm Road,35-44,chair,2025-06-01,councillor\n\
                   Sam O,sam@example.org,elm-road,legitimate-interests,,lives,,,,,,\n\
                   No Basis,nb@example.org,elm-road,,,,,,,,,\n\
                   Lost Soul,ls@example.org,atlantis,consent,events,,,,,,,\n\
                   Bad Door,bd@example.org,elm-road,consent,events,,99,Nowhere Street,,,,\n\
                   Only Basis,ob@example.org,oak-lane,consent,,,,,,,,\n\
                   Queen Bee,qb@example.org,elm-road,consent,events,,,,,queen,2025-06-01,\n\
                   No Start,ns@example.org,elm-road,consent,events,,,,,treasurer,,\n";
    let found = |name: &str| {
        let now = server.clock.now();
        let actor = ops::Actor::CommandLine;
        server
            .block_on(ops::profiles::find(&server.db, actor, name, now))
            .expect("a search")
            .0
            .len()
    };
    let forged = admin.post_file(
        "/admin/people/import",
        &[("csrf", "forged")],
        ("file", "people.csv", records.as_bytes()),
    );
    assert_eq!(forged.status, 403);
    assert_eq!(found("priya"), 0, "nothing stored");
    let unreadable = admin.post_file(
        "/admin/people/import",
        &[("csrf", &csrf)],
        (
            "file",
            "people.csv",
            b"name,patch,lawful_basis,shoe_size\nJo,elm-road,consent,9\n",
        ),
    );
    assert_eq!(unreadable.status, 400);
    assert!(unreadable.body.contains("shoe_size"), "{}", unreadable.body);
    assert_eq!(found("jo"), 0, "nothing from a file that cannot be read");
    let uploaded = admin.post_file(
        "/admin/people/import",
        &[("csrf", &csrf)],
        ("file", "people.csv", records.as_bytes()),
    );
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let body = &uploaded.body;
    assert!(
        body.contains("<span id=\"import-added\">2</span> people added"),
        "{body}"
    );
    assert!(
        body.contains("<span id=\"import-refused\">6</span> lines refused"),
        "{body}"
    );
    for (line, why) in [
        (4, "lawful_basis is empty"),
        (5, "patch is not one of the area"),
        (6, "house and street are not a door on the list"),
        (7, "consents is empty"),
        (8, "role must be one of partnership-member, chair,"),
        (9, "role_start is empty"),
    ] {
        assert!(
            body.contains(&format!("<th scope=\"row\">{line}</th><td>{why}")),
            "line {line}: {body}"
        );
    }
    assert!(
        body.contains("id=\"import-duplicates\""),
        "Sam O looks like Sam Okafor: {body}"
    );
    // The board came in with its people: Priya chairs, as a councillor.
    let board = admin.get("/admin/board");
    assert!(
        board.body.contains("Priya Shah")
            && board.body.contains("<td>Chair</td><td>1 Jun 2025</td>")
            && board.body.contains("<td>Councillor</td>"),
        "{}",
        board.body
    );
    let pairs = server
        .block_on(ops::people::duplicates(
            &server.db,
            ops::Actor::CommandLine,
            server.clock.now(),
        ))
        .unwrap();
    assert!(
        pairs
            .iter()
            .any(|p| p.first.name.as_deref() == Some("Sam Okafor")
                && p.second.name.as_deref() == Some("Sam O")),
        "{pairs:?}"
    );

    // The command line takes the same file format.
    let file = db.path("more.csv");
    std::fs::write(
        &file,
        "patch,lawful_basis,consents,name\noak-lane,consent,volunteering,Kim Lee\noak-lane,,,No Basis\n",
    )
    .expect("a CSV file");
    let printed =
        tests::server::outreach_admin(&db.url, &["import-people", &file.display().to_string()]);
    assert!(
        printed.contains("line 3: lawful_basis is empty"),
        "{printed}"
    );
    assert!(printed.contains("imported 1 people"), "{printed}");

    // The champion's phone receives the people of its patch, with their
    // household and consents.
    phone.sync(&base);
    let held = phone.replica.people().unwrap();
    let priya = held
        .iter()
        .find(|p| p.name.as_deref() == Some("Priya Shah"))
        .expect("Priya reached the phone");
    assert!(priya.household.is_some(), "{priya:?}");
    assert!(
        priya
            .consents
            .iter()
            .any(|c| c.purpose == ConsentPurpose::Events && c.granted)
    );
    assert!(
        !held.iter().any(|p| p.name.as_deref() == Some("Kim Lee")),
        "another patch"
    );
    let log = server
        .block_on(ops::audit_log(&server.db, 100))
        .expect("the audit log");
    assert!(
        log.iter()
            .any(|e| e.action == Action::ImportedPeople.as_str() && e.detail == "2"),
        "{log:?}"
    );
}

tests::on_every_database!(
    people_are_brought_in_from_a_spreadsheet,
    an_area_is_set_up_from_the_browser,
    people_are_merged_and_erased_from_the_browser,
    events_come_soonest_first_and_are_changed_from_their_page,
    the_board_is_recorded_from_the_browser
);

/// `outreach serve` on a new database prints the first admin's link (and
/// only while no admin can sign in), which opens the checklist.
#[test]
fn a_new_server_prints_the_first_admin_link() {
    let db = tests::server::sqlite();
    let printed = |run: &str| {
        let out = db.path(&format!("serve-{run}.out"));
        let file = std::fs::File::create(&out).expect("stdout file");
        let server = tests::server::ServeProcess::start_printing_to(&db.url, &[], file);
        // Printed before it serves, so before /healthz answered.
        let text = std::fs::read_to_string(&out).expect("stdout");
        (server, text)
    };
    let (server, text) = printed("first");
    let line = text
        .lines()
        .find(|l| l.contains("/sign-in/"))
        .unwrap_or_else(|| panic!("no link in {text:?}"));
    assert!(text.contains("works once, for 24 hours"), "{text}");
    let path = &line[line.find("/sign-in/").expect("a path")..];
    let mut admin = WebSession::new(&server.base);
    assert_eq!(admin.get(path).status, 200);
    let code = path.trim_start_matches("/sign-in/").trim();
    let page = admin.post("/sign-in/link", &[("code", code)]);
    assert_eq!(
        (page.status, page.header("location")),
        (303, "/admin/setup")
    );
    assert_eq!(admin.get("/admin/setup").status, 200);
    drop(server);
    let (_server, text) = printed("again");
    assert!(!text.contains("/sign-in/"), "an admin exists: {text}");
}
