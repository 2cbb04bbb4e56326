//! Doors and duplicates end to end, on SQLite and on PostgreSQL: an admin
//! imports the doors from a CSV with `outreach admin import-addresses`,
//! champions walk them offline, and two records of one resident are found
//! and merged through the admin API.

use server::ops::Role;
use sync_core::{DocId, DoorOutcome, Doorstep, EntryChannel, NewPerson, Record, RevisitFlag};
use tests::server::{HttpPhone, TestDb, TestServer, get, outreach_admin, send_json};
use tests::{HOUR, START};

const AREA: &str = "north-estate";

/// The door list an admin might be given: good lines, and bad ones on
/// lines 4 (unknown patch), 6 (no street), 7 (not a postcode), 8 (a
/// latitude with no longitude), 10 (not yes or no) and 12 (a quote left
/// open, which must not swallow line 13); line 11 repeats line 2.
const DOORS_CSV: &str = "\
Patch,House,Street,Locality,Postcode,Latitude,Longitude,Do not knock
elm-road,2,Oak Lane,,AB1 2CD,51.002,-0.1,
elm-road,4,Oak Lane,,AB1 2CD,51.004,-0.1,no
nowhere,6,Oak Lane,,AB1 2CD,,,
elm-road,8,Oak Lane,Flat 1,AB1 2CD,,,
elm-road,10,,,AB1 2CD,,,
elm-road,12,Oak Lane,,NOT A CODE,,,
elm-road,14,Oak Lane,,AB1 2CD,51.01,,
elm-road,16,Oak Lane,,AB1 2CD,,,yes
elm-road,18,Oak Lane,,AB1 2CD,,,perhaps
elm-road,2,oak  lane,,ab12cd,,,
elm-road,\"22,Oak Lane,,AB1 2CD,,,
oak-lane,1,Ash Road,,AB1 3EF,,,
";

fn doors_are_imported_and_walked_offline(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("doors.csv");
    std::fs::write(&file, DOORS_CSV).expect("write the CSV");
    let path = file.to_str().expect("a UTF-8 path");

    let output = outreach_admin(&db.url, &["import-addresses", path]);
    let bad: Vec<&str> = output.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(
        bad,
        [
            "line 4: patch is not one of the area's patches",
            "line 6: street is empty",
            "line 7: postcode is not a UK postcode (like AB1 2CD)",
            "line 8: latitude and longitude must be given together",
            "line 10: do_not_knock must be yes or no",
            "line 12: a quote is not closed",
        ],
        "{output}"
    );
    assert!(
        output.contains("imported 5 doors; 1 already held; 6 bad lines"),
        "{output}"
    );
    // Importing again adds nothing.
    let again = outreach_admin(&db.url, &["import-addresses", path]);
    assert!(
        again.contains("imported 0 doors; 6 already held; 6 bad lines"),
        "{again}"
    );

    // A champion syncs once, then walks with no signal.
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    champion.sync(&server.base);
    let list = champion
        .replica
        .walk_list("elm-road", None)
        .expect("walk list");
    let labels: Vec<&str> = list.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "2 Oak Lane, AB1 2CD",
            "4 Oak Lane, AB1 2CD",
            "8 Oak Lane, Flat 1, AB1 2CD"
        ],
        "16 is marked do-not-knock; oak-lane is not this champion's"
    );
    let (two, four, eight) = (list[0].address, list[1].address, list[2].address);
    for _ in 0..2 {
        champion
            .replica
            .record_visit(two, DoorOutcome::NotIn)
            .expect("knock");
        server.clock.advance(HOUR);
    }
    champion
        .replica
        .record_visit(four, DoorOutcome::NoKnocking)
        .expect("knock");
    let resident = champion
        .replica
        .create_person(
            &NewPerson::new(AREA, "elm-road", EntryChannel::Doorstep),
            |p| {
                p.set_household(Some(eight))?;
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
                Ok(())
            },
        )
        .expect("person");
    champion
        .replica
        .record_visit(eight, DoorOutcome::Spoke)
        .expect("knock");
    let list = champion
        .replica
        .walk_list("elm-road", None)
        .expect("walk list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].flags, [RevisitFlag::TryAnotherTime]);
    assert_eq!(list[1].residents[0].id, resident);

    // A door not on the list, added on the phone.
    let new_door = champion
        .replica
        .create_address(&sync_core::NewAddress::new(
            AREA, "elm-road", "20", "Oak Lane",
        ))
        .expect("new door");
    champion
        .replica
        .record_visit(new_door, DoorOutcome::Refused)
        .expect("knock");
    // Another, where the neighbours say the household has moved away.
    let gone = champion
        .replica
        .create_address(&sync_core::NewAddress::new(
            AREA, "elm-road", "22", "Oak Lane",
        ))
        .expect("new door");
    champion
        .replica
        .record_visit(gone, DoorOutcome::MovedAway)
        .expect("knock");
    champion.sync(&server.base);
    assert_eq!(champion.replica.pending_changes(), 0);

    // Household reach in elm-road: six doors listed (2, 4, 8 and 16
    // imported, 20 and 22 added), four knocked (2, 8, 20 and 22: at 4 a "no
    // knocking" sign was found), two answered (8 spoke, 20 refused), one
    // household moved away (22), counted apart.
    let (status, body) = get(
        &format!("{}/v1/reports/households", server.base),
        &admin.token,
    );
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("json");
    let elm = &report["by_patch"][0];
    assert_eq!(elm["patch"], "elm-road");
    assert_eq!(elm["doors_listed"], 6);
    assert_eq!(elm["doors_knocked"], 4);
    assert_eq!(elm["doors_answered"], 2);
    assert_eq!(elm["doors_moved_away"], 1);
    assert_eq!(elm["moved_away_percent_of_knocked"], 25.0);
    assert_eq!(elm["knocked_per_1000_households"], 10.0);
    assert_eq!(report["doors_moved_away"], 1);
    assert_eq!(report["by_patch"][1]["doors_listed"], 1);
    let (status, csv) = get(
        &format!("{}/v1/reports/households?format=csv", server.base),
        &admin.token,
    );
    assert_eq!(status, 200);
    assert!(csv.contains("elm-road,400,6,4,2,1,10.0,5.0,25.0"), "{csv}");
    let (status, _) = get(
        &format!("{}/v1/reports/households?channel=event", server.base),
        &admin.token,
    );
    assert_eq!(status, 400);

    // The office sees the knocks too.
    admin.sync(&server.base);
    let Record::Address(door) = admin.replica.record(two).expect("door") else {
        panic!("not a door")
    };
    assert_eq!(door.visits.len(), 2);

    // The resident at 8 objects: the door is marked do-not-knock, so it
    // leaves every walk list, also on phones without the resident's record.
    let _: serde_json::Value = tests::server::post_json(
        &format!("{}/v1/admin/records/{resident}/suppress", server.base),
        Some(&admin.token),
        &serde_json::json!({}),
        200,
    );
    admin.sync(&server.base);
    let Record::Address(door) = admin.replica.record(eight).expect("door") else {
        panic!("not a door")
    };
    assert!(door.do_not_knock);
    champion.sync(&server.base);
    let list = champion
        .replica
        .walk_list("elm-road", None)
        .expect("walk list");
    assert!(list.iter().all(|s| s.address != eight));

    // Number 16 was imported as do-not-knock; an admin takes the mark off.
    let sixteen = admin
        .replica
        .records()
        .expect("records")
        .into_iter()
        .find_map(|r| match r {
            Record::Address(a) if a.house == "16" => Some(a.id),
            _ => None,
        })
        .expect("door 16");
    let id = sixteen.to_string();
    outreach_admin(&db.url, &["door", &id, "--do-not-knock", "false"]);
    champion.sync(&server.base);
    let list = champion
        .replica
        .walk_list("elm-road", None)
        .expect("walk list");
    assert!(list.iter().any(|s| s.address == sixteen));
}

fn admin_json(server: &TestServer, token: &str, path: &str) -> serde_json::Value {
    let (status, body) = get(&format!("{}{path}", server.base), token);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("json")
}

/// Duplicates found and merged through the admin API; what becomes of a
/// late edit to the merged-away record, on every hub, is in `conformance`.
fn duplicates_are_listed_merged_exported_and_erased_through_the_admin_api(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    let mut alice = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut bob = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let new = NewPerson::new(AREA, "elm-road", EntryChannel::Doorstep);
    // Both meet the same resident, offline, and record them.
    let first = alice
        .replica
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_phone(Some("07700 900123"))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))?;
            Ok(())
        })
        .expect("alice's record");
    server.clock.advance(HOUR);
    let second = bob
        .replica
        .create_person(&new, |p| {
            p.set_name(Some("Sam Jones"))?;
            p.set_phone(Some("+44 7700 900123"))?;
            p.set_email(Some("sam@example.org"))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("youth"))?;
            Ok(())
        })
        .expect("bob's record");
    alice.sync(&server.base);
    bob.sync(&server.base);

    let pairs = admin_json(&server, &admin.token, "/v1/admin/duplicates");
    let pairs = pairs.as_array().expect("a list");
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!(pairs[0]["first"]["id"], first.to_string());
    assert_eq!(pairs[0]["second"]["id"], second.to_string());
    assert_eq!(pairs[0]["reasons"], serde_json::json!(["same-phone"]));

    let merge = |survivor: DocId, other: DocId| {
        send_json(
            "POST",
            &format!("{}/v1/admin/people/merge", server.base),
            Some(&admin.token),
            &serde_json::json!({ "survivor": survivor.to_string(), "other": other.to_string() }),
        )
    };
    assert_eq!(merge(first, first).0, 400);
    assert_eq!(merge(first, DocId::new(START)).0, 404);
    let (status, body) = merge(first, second);
    assert_eq!(status, 204, "{body}");
    assert!(
        admin_json(&server, &admin.token, "/v1/admin/duplicates")
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // The merge is in the audit log; the merged-away id holds nothing.
    let audit = admin_json(&server, &admin.token, "/v1/admin/audit");
    assert!(
        audit.as_array().expect("entries").iter().any(|e| {
            e["action"] == "merged"
                && e["record_id"] == second.to_string()
                && e["detail"] == first.to_string()
        }),
        "{audit}"
    );
    let held: Option<(String,)> = server
        .block_on(
            sqlx::query_as("SELECT id FROM documents WHERE id = $1")
                .bind(second.to_string())
                .fetch_optional(&server.db.pool),
        )
        .expect("query");
    assert!(held.is_none());

    // A subject access request for the old id answers with the survivor.
    let export = admin_json(
        &server,
        &admin.token,
        &format!("/v1/admin/records/{second}/export"),
    );
    assert_eq!(export["id"], first.to_string());
    assert_eq!(export["merged_from"], second.to_string());

    // Asked to erase the old id, the server erases the person: the
    // survivor and every id merged into it.
    admin.sync(&server.base);
    let status = tests::server::post_empty(
        &format!("{}/v1/admin/records/{second}/erase", server.base),
        &admin.token,
    );
    assert_eq!(status, 204);
    let left: Option<(String,)> = server
        .block_on(
            sqlx::query_as("SELECT id FROM documents WHERE id = $1")
                .bind(first.to_string())
                .fetch_optional(&server.db.pool),
        )
        .expect("query");
    assert!(left.is_none(), "the survivor outlived the erasure");
    let outcome = bob.sync(&server.base);
    assert!(outcome.erased >= 1, "{outcome:?}");
    assert!(bob.replica.person(first).is_err());
}

tests::on_every_database!(
    doors_are_imported_and_walked_offline,
    duplicates_are_listed_merged_exported_and_erased_through_the_admin_api,
);
