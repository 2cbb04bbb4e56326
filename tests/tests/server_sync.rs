//! End to end against a real server on 127.0.0.1: phones built on
//! sync-core edit offline and sync over HTTP in random orders, on SQLite and
//! on PostgreSQL. Every test runs once per database; the module name says
//! which (`sqlite::...`, `postgres::...`).

use std::collections::{BTreeMap, BTreeSet};

use server::ops::Role;
use server::store::Db;
use sync_core::{
    DocId, DoorOutcome, Doorstep, EntryChannel, NewPerson, PushOutcome, Record, RejectionCode,
    Scope, SyncRequest, read_record,
};
use tests::server::{HttpPhone, TestDb, TestServer, decode_response, post_sync};

use tests::START;
const AREA: &str = "north-estate";

fn person(patch: &str) -> NewPerson {
    NewPerson::new(AREA, patch, EntryChannel::Doorstep)
}

/// Every record the server holds, by id.
fn server_records(server: &TestServer) -> BTreeMap<DocId, Record> {
    server.block_on(async {
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT id, bytes FROM documents")
            .fetch_all(&server.db.pool)
            .await
            .expect("documents");
        rows.into_iter()
            .map(|(id, bytes)| {
                (
                    id.parse().expect("id"),
                    read_record(&bytes).expect("record"),
                )
            })
            .collect()
    })
}

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&db.pool)
        .await
        .expect("count");
    n
}

fn phones_converge_through_the_server(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    let mut phones = vec![
        HttpPhone::register(&server, Role::Champion, &["elm-road"]),
        HttpPhone::register(&server, Role::Champion, &["elm-road", "oak-lane"]),
        HttpPhone::register(&server, Role::YouthWorker, &[]),
    ];
    let shared = admin
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Pat")))
        .unwrap();
    admin.sync(&server.base);
    for phone in &mut phones {
        phone.sync(&server.base);
    }
    phones.push(admin);
    let mut logged: Vec<(DocId, sync_core::EntryId)> = Vec::new();
    for step in 0..60 {
        server.clock.advance(60_000);
        let n = rng.usize(..phones.len());
        let phone = &mut phones[n];
        match rng.u8(..4) {
            0 | 1 => {
                let ids: Vec<DocId> = phone
                    .replica
                    .people()
                    .unwrap()
                    .into_iter()
                    .filter(|p| p.created_by == phone.replica.device() || n != 2)
                    .map(|p| p.id)
                    .collect();
                if let Some(&id) = ids.get(rng.usize(..ids.len().max(1))) {
                    let entry = phone
                        .replica
                        .edit_person(id, |p| {
                            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))
                        })
                        .unwrap();
                    logged.push((id, entry));
                }
            }
            2 => {
                let patch = if n == 1 && step % 2 == 0 {
                    "oak-lane"
                } else {
                    "elm-road"
                };
                let mut entry = None;
                let id = phone
                    .replica
                    .create_person(&person(patch), |p| {
                        entry = Some(p.log_doorstep(Doorstep::new(DoorOutcome::NotIn))?);
                        Ok(())
                    })
                    .unwrap();
                logged.push((id, entry.unwrap()));
            }
            _ => {
                let outcome = phone.sync(&server.base);
                assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
            }
        }
    }
    for _ in 0..2 {
        for phone in &mut phones {
            let outcome = phone.sync(&server.base);
            assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        }
    }
    let records = server_records(&server);
    for (doc, entry) in &logged {
        let Some(Record::Person(p)) = records.get(doc) else {
            panic!("{doc} lost")
        };
        assert!(p.interaction(*entry).is_some(), "conversation {entry} lost");
    }
    let Some(Record::Person(pat)) = records.get(&shared) else {
        panic!("Pat lost")
    };
    assert!(pat.interactions.len() >= logged.iter().filter(|(d, _)| *d == shared).count());
    let scopes = [
        Scope::Champion {
            patches: BTreeSet::from(["elm-road".to_owned()]),
        },
        Scope::Champion {
            patches: BTreeSet::from(["elm-road".to_owned(), "oak-lane".to_owned()]),
        },
        Scope::YouthWorker {
            device: phones[2].replica.device(),
        },
        Scope::Admin,
    ];
    for (phone, scope) in phones.iter().zip(&scopes) {
        assert_eq!(phone.replica.pending_changes(), 0);
        let expected: BTreeSet<DocId> = records
            .iter()
            .filter(|(_, r)| scope.can_read(&r.audience()))
            .map(|(id, _)| *id)
            .collect();
        let held: BTreeSet<DocId> = phone.replica.document_ids().unwrap().into_iter().collect();
        assert_eq!(held, expected, "{scope:?} holds exactly its scope");
        for id in held {
            assert_eq!(&phone.replica.record(id).unwrap(), &records[&id]);
        }
    }
    // Projections follow the documents.
    let people = records
        .values()
        .filter(|r| matches!(r, Record::Person(_)))
        .count() as i64;
    server.block_on(async {
        assert_eq!(
            count(&server.db, "SELECT COUNT(*) FROM people").await,
            people
        );
        assert_eq!(
            count(&server.db, "SELECT COUNT(*) FROM interactions").await,
            records
                .values()
                .map(|r| match r {
                    Record::Person(p) => p.interactions.len() as i64,
                    _ => 0,
                })
                .sum::<i64>()
        );
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM patches").await, 2);
    });
}

fn a_champion_is_refused_outside_its_patches(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    let oak_person = admin
        .replica
        .create_person(&person("oak-lane"), |p| p.set_name(Some("Oak resident")))
        .unwrap();
    admin.sync(&server.base);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let outside = champion
        .replica
        .create_person(&person("oak-lane"), |_| Ok(()))
        .unwrap();
    let inside = champion
        .replica
        .create_person(&person("elm-road"), |_| Ok(()))
        .unwrap();
    let outcome = champion.sync(&server.base);
    assert_eq!(outcome.accepted, 1, "the rest of the batch still applies");
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].0, outside);
    assert_eq!(outcome.rejected[0].1.code, RejectionCode::OutOfScope);
    let records = server_records(&server);
    assert!(records.contains_key(&inside));
    assert!(!records.contains_key(&outside));
    assert!(
        !champion
            .replica
            .document_ids()
            .unwrap()
            .contains(&oak_person)
    );
    // Asking for a record outside the patch gets nothing.
    let pull = SyncRequest {
        pulls: vec![sync_core::Pull {
            doc: oak_person,
            have: vec![],
        }],
        ..SyncRequest::default()
    };
    let (status, body) = post_sync(&server.base, &champion.token, &pull.encode());
    assert_eq!(status, 200);
    let response = decode_response(&body);
    assert_eq!(response.unavailable, vec![oak_person]);
    assert!(response.updates.iter().all(|u| u.doc != oak_person));
}

fn a_viewer_never_receives_a_name(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    for name in ["Viewer Should Not See", "Nor This Name"] {
        admin
            .replica
            .create_person(&person("elm-road"), |p| p.set_name(Some(name)))
            .unwrap();
    }
    admin.sync(&server.base);
    let mut viewer = HttpPhone::register(&server, Role::Viewer, &[]);
    let (outcome, body) = viewer.round_trip(&server.base);
    assert_eq!(outcome.received, 0);
    assert!(!body.windows(4).any(|w| w == b"Nor "));
    assert!(!body.windows(6).any(|w| w == b"Viewer"));
    // Pulling a known id gives nothing either, and writing is refused.
    let id = admin.replica.document_ids().unwrap()[0];
    let pull = SyncRequest {
        pulls: vec![sync_core::Pull {
            doc: id,
            have: vec![],
        }],
        ..SyncRequest::default()
    };
    let (_, body) = post_sync(&server.base, &viewer.token, &pull.encode());
    assert_eq!(decode_response(&body).unavailable, vec![id]);
    viewer
        .replica
        .create_person(&person("elm-road"), |_| Ok(()))
        .unwrap();
    let outcome = viewer.sync(&server.base);
    assert_eq!(outcome.rejected[0].1.code, RejectionCode::ReadOnly);
    assert_eq!(server_records(&server).len(), 2);
}

fn a_revoked_device_is_told_to_wipe(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    phone
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Sam")))
        .unwrap();
    phone.sync(&server.base);
    assert_eq!(phone.replica.document_ids().unwrap().len(), 1);
    let device = phone.replica.device();
    let response = tests::server::post_empty(
        &format!("{}/v1/admin/devices/{device}/revoke", server.base),
        &admin.token,
    );
    assert_eq!(response, 204);
    let outcome = phone.sync(&server.base);
    assert!(outcome.wiped);
    assert!(
        sync_core::Storage::document_ids(phone.replica.storage())
            .unwrap()
            .is_empty()
    );
    // The token no longer brings anything: only the instruction to wipe.
    let (status, body) = post_sync(&server.base, &phone.token, &SyncRequest::default().encode());
    assert_eq!(status, 200);
    let response = decode_response(&body);
    assert!(response.wipe && response.updates.is_empty());
    let (status, invites) =
        tests::server::get(&format!("{}/v1/admin/invites", server.base), &admin.token);
    assert_eq!(status, 200);
    let invites: Vec<server::ops::InviteInfo> = serde_json::from_str(&invites).unwrap();
    assert_eq!(invites.len(), 2);
    assert!(invites.iter().all(|i| i.used_at.is_some()));
    // A champion token cannot use admin endpoints.
    let (other_status, _) =
        tests::server::get(&format!("{}/v1/admin/devices", server.base), &phone.token);
    assert_eq!(other_status, 401);
}

fn bad_requests_get_typed_errors_and_change_nothing(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    phone
        .replica
        .create_person(&person("elm-road"), |_| Ok(()))
        .unwrap();
    phone.sync(&server.base);
    let before = server_records(&server);

    let (status, body) = post_sync(&server.base, &phone.token, b"not a sync message");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("bad-sync-message"));
    let (status, _) = post_sync(
        &server.base,
        "wrong-token",
        &SyncRequest::default().encode(),
    );
    assert_eq!(status, 401);
    let (status, body) = tests::server::declared_body_answer(
        &server.base,
        "/v1/sync",
        &phone.token,
        server::http::MAX_BODY_BYTES + 1,
    );
    assert_eq!(status, 413);
    // The documented JSON error, like every other refusal.
    let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(error["error"], "too-large", "{body}");
    let (status, body) = tests::server::get(&format!("{}/v1/no-such-thing", server.base), "x");
    assert_eq!(status, 404);
    let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(error["error"], "not-found", "{body}");
    // A push is refused for that document alone: the rejection for `changes`.
    let refused = |changes: Vec<u8>| {
        let request = SyncRequest {
            pushes: vec![sync_core::Push {
                doc: DocId::new(START),
                base: vec![],
                heads: vec![[1; 32]],
                changes,
            }],
            ..SyncRequest::default()
        };
        let (status, body) = post_sync(&server.base, &phone.token, &request.encode());
        assert_eq!(status, 200);
        match &decode_response(&body).pushed[0].outcome {
            sync_core::PushOutcome::Rejected(r) => r.clone(),
            other => panic!("not refused: {other:?}"),
        }
    };
    // Changes that are not automerge.
    assert_eq!(refused(b"garbage".to_vec()).code, RejectionCode::Malformed);
    // An automerge bundle chunk, a shape whose columns automerge 0.12
    // expands as far as the bytes claim (fuzzing found 28 bytes that asked
    // for more than 512 MiB): phones never send one.
    let bundle = refused(vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 3, 0]);
    assert_eq!(bundle.code, RejectionCode::Malformed);
    assert!(bundle.detail.contains("chunk type 3"), "{}", bundle.detail);
    assert_eq!(server_records(&server), before);
    // An unknown invite code.
    let answer: serde_json::Value = tests::server::post_json(
        &format!("{}/v1/devices", server.base),
        None,
        &serde_json::json!({ "invite_code": "nope" }),
        400,
    );
    assert_eq!(answer["error"], "bad-request");
}

/// Truncated and garbled sync messages are refused with 400, never a
/// server fault, and change nothing; a request sent twice (a phone that
/// never saw the first answer) is merged once.
fn truncated_garbled_and_replayed_sync_messages(db: TestDb) {
    // Hundreds of requests from one phone: not a rate-limit test.
    let generous = server::http::Settings {
        per_device: server::http::RateLimit::new(10_000, 10_000),
        ..TestServer::settings()
    };
    let server = TestServer::start_with(&db, START, generous);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    for _ in 0..3 {
        phone
            .replica
            .create_person(&person("elm-road"), |p| {
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
                Ok(())
            })
            .unwrap();
    }
    let request = phone.replica.sync_request().unwrap();
    assert!(request.len() > 100, "a request with pushes");
    let before = server_records(&server);
    // Every truncation up to 300 bytes, then every 97th.
    let cuts = (0..request.len().min(300)).chain((300..request.len()).step_by(97));
    for cut in cuts {
        let (status, body) = post_sync(&server.base, &phone.token, &request[..cut]);
        assert_eq!(
            status,
            400,
            "cut at {cut}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let mut rng = fastrand::Rng::with_seed(5);
    for round in 0..200 {
        let mut garbled = request.clone();
        for _ in 0..rng.usize(1..8) {
            let at = rng.usize(..garbled.len());
            garbled[at] = rng.u8(..);
        }
        let (status, body) = post_sync(&server.base, &phone.token, &garbled);
        assert!(
            status == 200 || status == 400,
            "garbled {round}: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    // Garbling may have landed valid changes: what counts is that the
    // server still holds only valid records, and that a replay merges once.
    let (status, first) = post_sync(&server.base, &phone.token, &request);
    assert_eq!(status, 200);
    let after_first = server_records(&server);
    let (status, _) = post_sync(&server.base, &phone.token, &request);
    assert_eq!(status, 200);
    assert_eq!(
        server_records(&server),
        after_first,
        "a replay changes nothing"
    );
    assert!(after_first.len() >= before.len() + 3);
    let people: Vec<_> = after_first
        .values()
        .filter_map(|r| match r {
            Record::Person(p) => Some(p),
            _ => None,
        })
        .collect();
    for p in &people {
        let ids: BTreeSet<_> = p.interactions.iter().map(|i| i.id).collect();
        assert_eq!(ids.len(), p.interactions.len(), "no interaction twice");
    }
    phone.replica.apply_sync_response(&first).unwrap();
    phone.sync(&server.base);
    assert_eq!(phone.replica.pending_changes(), 0);
}

fn each_device_token_is_rate_limited(db: TestDb) {
    let limit = server::http::Settings {
        per_device: server::http::RateLimit::new(1, 3),
        ..TestServer::settings()
    };
    let server = TestServer::start_with(&db, START, limit);
    let noisy = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let quiet = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let request = SyncRequest::default().encode();
    let statuses: Vec<u16> = (0..10)
        .map(|_| post_sync(&server.base, &noisy.token, &request).0)
        .collect();
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    // Another device is not held back by the noisy one.
    assert_eq!(post_sync(&server.base, &quiet.token, &request).0, 200);
}

fn changing_the_ladder_re_derives_every_stage(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut admin = HttpPhone::register(&server, Role::Admin, &[]);
    tests::server::configure_area(&server, &admin.token);
    admin.sync(&server.base);
    for outcome in [DoorOutcome::Spoke, DoorOutcome::NotIn] {
        admin
            .replica
            .create_person(&person("elm-road"), |p| {
                p.log_doorstep(Doorstep::new(outcome)).map(drop)
            })
            .unwrap();
    }
    admin.sync(&server.base);
    let keys = |server: &TestServer| -> Vec<(String, i64)> {
        server.block_on(async {
            sqlx::query_as(
                "SELECT stage_key, COUNT(*) FROM stages GROUP BY stage_key ORDER BY stage_key",
            )
            .fetch_all(&server.db.pool)
            .await
            .expect("stages")
        })
    };
    assert_eq!(
        keys(&server),
        vec![("contacted".to_owned(), 2), ("conversation".to_owned(), 1)]
    );
    let _: serde_json::Value = tests::server::post_json_method(
        "PUT",
        &format!("{}/v1/admin/area", server.base),
        Some(&admin.token),
        &serde_json::json!({ "ladder": [
            { "key": "met", "label": "Met us", "rule": "conversation" },
            { "key": "leads", "label": "Leads", "rule": "leader" },
        ] }),
        200,
    );
    assert_eq!(keys(&server), vec![("met".to_owned(), 1)]);
}

/// Every byte of every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn an_erased_person_leaves_no_trace_and_cannot_come_back(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    let mut a = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    // Phone b keeps its records on disk, as a real phone does.
    let b_dir = tempfile::tempdir().unwrap();
    let b_store = sync_core::SqliteStore::open(b_dir.path()).unwrap();
    let mut b = HttpPhone::<sync_core::SqliteStore>::register_with(
        &server,
        Role::Champion,
        &["elm-road"],
        b_store,
    );
    const NAME: &str = "Robin Erasable-Person";
    let id = a
        .replica
        .create_person(&person("elm-road"), |p| {
            p.set_name(Some(NAME))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks"))
                .map(drop)
        })
        .unwrap();
    let kept = a
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Kept")))
        .unwrap();
    a.sync(&server.base);
    b.sync(&server.base);
    // Phone b edits the person offline, before the erasure.
    b.replica
        .edit_person(id, |p| p.set_phone(Some("07700 900999")))
        .unwrap();
    assert!(contains(&server.database_bytes(&db), NAME));
    // Subject access: everything held, as JSON.
    let (status, export) = tests::server::get(
        &format!("{}/v1/admin/records/{id}/export", server.base),
        &admin.token,
    );
    assert_eq!(status, 200, "{export}");
    let export: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(export["record"]["name"], NAME);
    assert_eq!(export["record"]["interactions"][0]["type"], "doorstep");
    assert_eq!(export["stages_reached"][1]["key"], "conversation");
    assert_eq!(export["recorded_by_devices"].as_array().unwrap().len(), 1);

    let status = tests::server::post_empty(
        &format!("{}/v1/admin/records/{id}/erase", server.base),
        &admin.token,
    );
    assert_eq!(status, 204);
    assert!(
        !contains(&server.database_bytes(&db), NAME),
        "the name is still in the database"
    );
    assert!(!contains(&server.database_bytes(&db), "07700 900999"));

    let outcome = a.sync(&server.base);
    assert_eq!(outcome.erased, 1);
    assert_eq!(a.replica.document_ids().unwrap(), vec![kept]);
    // The phone that comes back days later with an edit made before the
    // erasure cannot bring the person back.
    server.clock.advance(9 * sync_core::Timestamp::DAY_MILLIS);
    let outcome = b.sync(&server.base);
    assert_eq!(outcome.erased, 1);
    assert_eq!(b.replica.document_ids().unwrap(), vec![kept]);
    assert_eq!(b.replica.pending_changes(), 0);
    let on_disk = files_under(b_dir.path());
    assert!(contains(&on_disk, "Kept"), "the phone's files are searched");
    assert!(
        !contains(&on_disk, NAME),
        "the name is still in the phone's files"
    );
    assert!(!contains(&on_disk, "07700 900999"));
    let records = server_records(&server);
    assert!(!records.contains_key(&id));
    assert!(records.contains_key(&kept));
    assert!(!contains(&server.database_bytes(&db), NAME));
    let (_, export) = tests::server::get(
        &format!("{}/v1/admin/records/{id}/export", server.base),
        &admin.token,
    );
    let export: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert!(
        export["erased_at"].is_i64() && export.get("record").is_none(),
        "{export}"
    );
    server.block_on(async {
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM people").await, 1);
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM erased").await, 1);
    });
    // The audit log says who saw, exported and erased what (ids only).
    let (status, log) =
        tests::server::get(&format!("{}/v1/admin/audit", server.base), &admin.token);
    assert_eq!(status, 200);
    assert!(!log.contains(NAME));
    let log: Vec<server::ops::AuditEntry> = serde_json::from_str(&log).unwrap();
    let admin_id = admin.replica.device().to_string();
    let did = |actor: &str, action: &str| {
        log.iter().any(|e| {
            e.actor == actor
                && e.action == action
                && e.record_id.as_deref() == Some(&id.to_string())
        })
    };
    assert!(
        did(&admin_id, "exported") && did(&admin_id, "erased"),
        "{log:?}"
    );
    let b_id = b.replica.device().to_string();
    assert!(
        log.iter().any(|e| e.actor == b_id
            && e.action == "received"
            && e.detail.contains(&id.to_string())),
        "{log:?}"
    );
}

fn stage_dates(server: &TestServer, id: DocId) -> Vec<(i64, i64)> {
    server.block_on(async {
        sqlx::query_as("SELECT stage, reached_at FROM stages WHERE person_id = $1 ORDER BY stage")
            .bind(id.to_string())
            .fetch_all(&server.db.pool)
            .await
            .expect("stages")
    })
}

/// A resident's consent, given at the door, to be contacted again.
fn contact_again_consent() -> sync_core::NewConsent {
    sync_core::NewConsent {
        purpose: sync_core::ConsentPurpose::ContactAgain,
        granted: true,
        lawful_basis: sync_core::LawfulBasis::Consent,
        wording_version: "2026-09".into(),
        method: sync_core::ConsentMethod::Doorstep,
        given_by: sync_core::ConsentGiver::Subject,
    }
}

fn retention_anonymises_people_past_their_period(db: TestDb) {
    use server::ops::retention::{Policy, run};
    let server = TestServer::start(&db, START);
    let mut phone = HttpPhone::register(&server, Role::Admin, &[]);
    let contact = contact_again_consent();
    let no_consent = phone
        .replica
        .create_person(&person("elm-road"), |p| {
            p.set_name(Some("Nocon Person"))?;
            p.set_age_band(Some(sync_core::AgeBand::From25To34))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke).wants_to_join("litter-pick"))
                .map(drop)
        })
        .unwrap();
    let consenting = phone
        .replica
        .create_person(&person("oak-lane"), |p| {
            p.set_name(Some("Keeps Consent"))?;
            p.record_consent(contact.clone())?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
        })
        .unwrap();
    phone.sync(&server.base);
    let stages_before = stage_dates(&server, no_consent);
    let policy = Policy::default();

    let report = server
        .block_on(run(&server.db, policy, START.plus_days(29)))
        .unwrap();
    assert!(report.anonymised.is_empty(), "{report:?}");

    let report = server
        .block_on(run(&server.db, policy, START.plus_days(31)))
        .unwrap();
    assert_eq!(report.anonymised.len(), 1);
    let (old, new) = report.anonymised[0];
    assert_eq!(old, no_consent);
    let records = server_records(&server);
    assert!(!records.contains_key(&no_consent));
    let Some(Record::Person(anonymous)) = records.get(&new) else {
        panic!("no replacement")
    };
    assert_eq!(anonymous.name, None);
    assert_eq!(anonymous.patch, "elm-road");
    assert_eq!(anonymous.age_band, Some(sync_core::AgeBand::From25To34));
    assert_eq!(
        stage_dates(&server, new),
        stages_before,
        "stage dates are kept"
    );
    assert!(!contains(&server.database_bytes(&db), "Nocon Person"));

    // Three years without activity: the consenting person goes too; a
    // second run finds nothing more to do.
    let later = START.plus_days(3 * 365 + 1);
    let report = server.block_on(run(&server.db, policy, later)).unwrap();
    assert_eq!(
        report
            .anonymised
            .iter()
            .map(|(old, _)| *old)
            .collect::<Vec<_>>(),
        vec![consenting]
    );
    assert!(
        server
            .block_on(run(&server.db, policy, later))
            .unwrap()
            .anonymised
            .is_empty()
    );

    // The phone follows: old records deleted, anonymous ones in their place.
    let outcome = phone.sync(&server.base);
    assert_eq!(outcome.erased, 2);
    let names: Vec<Option<String>> = phone
        .replica
        .people()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, vec![None, None]);
    server.block_on(async {
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM people").await, 2);
    });
}

/// A retention run reads people a page at a time (`PeoplePages`, 200 a
/// page): people due on the first page, a middle one and the last are all
/// found.
fn retention_finds_people_due_on_every_page(db: TestDb) {
    use server::ops::retention::{Policy, run};
    let server = TestServer::start(&db, START);
    let mut phone = HttpPhone::register(&server, Role::Admin, &[]);
    let contact = contact_again_consent();
    let people = 1_010;
    let due_at = [0, 505, people - 1];
    let mut due = BTreeSet::new();
    for i in 0..people {
        let id = phone
            .replica
            .create_person(&person("elm-road"), |p| {
                p.set_name(Some("Named Person"))?;
                if !due_at.contains(&i) {
                    p.record_consent(contact.clone())?;
                }
                Ok(())
            })
            .unwrap();
        if due_at.contains(&i) {
            due.insert(id);
        }
    }
    phone.sync(&server.base);
    let report = server
        .block_on(run(&server.db, Policy::default(), START.plus_days(31)))
        .unwrap();
    let anonymised: BTreeSet<DocId> = report.anonymised.iter().map(|(old, _)| *old).collect();
    assert_eq!(anonymised, due);
}

fn a_suppressed_person_becomes_a_do_not_contact_entry(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let id = champion
        .replica
        .create_person(&person("elm-road"), |p| {
            p.set_name(Some("Objecting Resident"))?;
            p.set_phone(Some("07700 900321"))?;
            p.log_doorstep(Doorstep::new(DoorOutcome::Refused))
                .map(drop)
        })
        .unwrap();
    champion.sync(&server.base);
    let created: server::http::Created = tests::server::post_json(
        &format!("{}/v1/admin/records/{id}/suppress", server.base),
        Some(&admin.token),
        &serde_json::json!({}),
        200,
    );
    let new: DocId = created.id.parse().unwrap();
    assert!(
        !contains(&server.database_bytes(&db), "Objecting Resident"),
        "right after suppressing"
    );
    let outcome = champion.sync(&server.base);
    assert_eq!(outcome.erased, 1);
    let people = champion.replica.people().unwrap();
    assert_eq!(people.len(), 1);
    let entry = &people[0];
    assert_eq!(entry.id, new);
    assert!(entry.do_not_contact);
    assert_eq!((entry.name.clone(), entry.phone.clone()), (None, None));
    assert!(entry.interactions.is_empty() && entry.consents.is_empty());
    assert_eq!(entry.patch, "elm-road");
    assert!(!contains(&server.database_bytes(&db), "Objecting Resident"));
    assert!(!contains(&server.database_bytes(&db), "07700 900321"));
}

/// One request holding a new record, a changed one, the same push twice and
/// a push to an erased record (the server merges a request's pushes as one
/// batch): each push gets its own outcome, and the projections match the
/// documents.
fn one_request_mixes_new_changed_repeated_and_erased_records(db: TestDb) {
    let server = TestServer::start(&db, START);
    let admin = HttpPhone::register(&server, Role::Admin, &[]);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let changed = phone
        .replica
        .create_person(&person("elm-road"), |p| {
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
        })
        .unwrap();
    let erased = phone
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Gone")))
        .unwrap();
    phone.sync(&server.base);
    let status = tests::server::post_empty(
        &format!("{}/v1/admin/records/{erased}/erase", server.base),
        &admin.token,
    );
    assert_eq!(status, 204);
    phone
        .replica
        .edit_person(changed, |p| {
            p.log_doorstep(Doorstep::new(DoorOutcome::NotIn)).map(drop)
        })
        .unwrap();
    phone
        .replica
        .edit_person(erased, |p| p.set_name(Some("Still here")))
        .unwrap();
    let fresh = phone
        .replica
        .create_person(&person("elm-road"), |p| {
            p.log_doorstep(Doorstep::new(DoorOutcome::Refused))
                .map(drop)
        })
        .unwrap();
    let mut request = SyncRequest::decode(&phone.replica.sync_request().unwrap()).unwrap();
    let repeated = request
        .pushes
        .iter()
        .find(|p| p.doc == fresh)
        .expect("the new record is pushed")
        .clone();
    request.pushes.push(repeated);
    let (status, body) = post_sync(&server.base, &phone.token, &request.encode());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let response = decode_response(&body);
    assert_eq!(response.pushed.len(), 4);
    for result in &response.pushed {
        match &result.outcome {
            PushOutcome::Accepted { .. } => {
                assert!(result.doc == changed || result.doc == fresh, "{result:?}");
            }
            PushOutcome::Rejected(r) => {
                assert_eq!((result.doc, r.code), (erased, RejectionCode::Erased));
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    let records = server_records(&server);
    assert!(
        !records.contains_key(&erased),
        "an erased record stays erased"
    );
    let people: Vec<_> = records
        .values()
        .filter_map(|r| match r {
            Record::Person(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(people.len(), 2);
    let interactions: usize = people.iter().map(|p| p.interactions.len()).sum();
    assert_eq!(interactions, 3, "two knocks on one, one on the other");
    server.block_on(async {
        assert_eq!(count(&server.db, "SELECT COUNT(*) FROM people").await, 2);
        assert_eq!(
            count(&server.db, "SELECT COUNT(*) FROM interactions").await,
            3
        );
        assert_eq!(
            count(
                &server.db,
                &format!("SELECT COUNT(*) FROM interactions WHERE person_id = '{changed}'")
            )
            .await,
            2
        );
        assert_eq!(
            count(
                &server.db,
                &format!("SELECT COUNT(*) FROM people WHERE id = '{erased}'")
            )
            .await,
            0
        );
    });
    phone.replica.apply_sync_response(&body).unwrap();
    phone.sync(&server.base);
    assert_eq!(phone.replica.pending_changes(), 0);
    // The sync marked the device seen (in its merge's transaction).
    let seen = server.block_on(count(
        &server.db,
        &format!(
            "SELECT COUNT(*) FROM devices WHERE id = '{}' AND last_seen_at IS NOT NULL",
            phone.replica.device()
        ),
    ));
    assert_eq!(seen, 1, "the device's last sync is recorded");
}

/// Another patch's traffic costs a champion nothing: more entries than one
/// feed scan reads (2,000) arrive in another patch, and the champion's next
/// sync is one round trip that brings nothing and moves its cursor past them.
fn other_patches_traffic_is_skipped_in_one_round_trip(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut busy = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut quiet = HttpPhone::register(&server, Role::Champion, &["oak-lane"]);
    quiet.sync(&server.base);
    for _ in 0..2_050 {
        busy.replica
            .create_person(&person("elm-road"), |p| {
                p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
            })
            .unwrap();
    }
    busy.sync(&server.base);
    assert_eq!(busy.replica.pending_changes(), 0);
    let (outcome, body) = quiet.round_trip(&server.base);
    let response = decode_response(&body);
    assert!(outcome.settled(), "one round trip: {outcome:?}");
    assert!(!response.more);
    assert!(response.updates.is_empty());
    // The cursor moved past the other patch's entries: a new person in the
    // quiet patch is the only thing the next sync brings.
    let mut neighbour = HttpPhone::register(&server, Role::Champion, &["oak-lane"]);
    let id = neighbour
        .replica
        .create_person(&person("oak-lane"), |p| p.set_name(Some("Next door")))
        .unwrap();
    neighbour.sync(&server.base);
    let (outcome, body) = quiet.round_trip(&server.base);
    let response = decode_response(&body);
    assert!(outcome.settled(), "one round trip: {outcome:?}");
    let received: Vec<DocId> = response.updates.iter().map(|u| u.doc).collect();
    assert_eq!(received, vec![id]);
}

/// A new record's feed entry keeps no copy of its changes (a device that
/// reads that entry is sent the record whole), while later changes are
/// filed and sent as changes.
fn a_new_records_feed_entry_holds_no_copy_of_it(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut author = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut neighbour = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    neighbour.sync(&server.base);
    let id = author
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Ada")))
        .unwrap();
    author.sync(&server.base);
    let filed_bytes = server.block_on(count(
        &server.db,
        &format!("SELECT SUM(LENGTH(changes)) FROM feed WHERE doc_id = '{id}'"),
    ));
    assert_eq!(filed_bytes, 0);
    let (outcome, body) = neighbour.round_trip(&server.base);
    assert!(outcome.settled(), "{outcome:?}");
    let response = decode_response(&body);
    assert_eq!(response.updates.len(), 1);
    assert_eq!(
        neighbour.replica.person(id).unwrap().name.as_deref(),
        Some("Ada")
    );

    author
        .replica
        .edit_person(id, |p| p.set_name(Some("Ada Lovelace")))
        .unwrap();
    author.sync(&server.base);
    let filed: Vec<u8> = server.block_on(async {
        let (changes,): (Vec<u8>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT changes FROM feed WHERE doc_id = '{id}' AND LENGTH(changes) > 0"
        )))
        .fetch_one(&server.db.pool)
        .await
        .expect("the edit's entry");
        changes
    });
    let (outcome, body) = neighbour.round_trip(&server.base);
    assert!(outcome.settled(), "{outcome:?}");
    let response = decode_response(&body);
    assert_eq!(response.updates.len(), 1);
    assert_eq!(
        response.updates[0].changes, filed,
        "sent as the edit's changes"
    );
    assert_eq!(
        neighbour.replica.person(id).unwrap().name.as_deref(),
        Some("Ada Lovelace")
    );
}

/// A phone's answer holds what others wrote since its last sync, not its
/// own pushes echoed back: the feed scan leaves out the entries the request
/// itself wrote, around another device's entry.
fn an_answer_brings_others_changes_and_not_the_phones_own(db: TestDb) {
    let server = TestServer::start(&db, START);
    let mut champion = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let mut neighbour = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    champion.sync(&server.base);
    let theirs = neighbour
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Theirs")))
        .unwrap();
    neighbour.sync(&server.base);
    let mine: Vec<DocId> = (0..5)
        .map(|_| {
            champion
                .replica
                .create_person(&person("elm-road"), |p| {
                    p.log_doorstep(Doorstep::new(DoorOutcome::Spoke)).map(drop)
                })
                .unwrap()
        })
        .collect();
    let (outcome, body) = champion.round_trip(&server.base);
    assert!(outcome.settled(), "{outcome:?}");
    let response = decode_response(&body);
    let pushed: Vec<DocId> = response.pushed.iter().map(|p| p.doc).collect();
    assert_eq!(pushed.len(), mine.len());
    assert!(mine.iter().all(|id| pushed.contains(id)));
    let received: Vec<DocId> = response.updates.iter().map(|u| u.doc).collect();
    assert_eq!(received, vec![theirs]);
    assert_eq!(champion.replica.people().unwrap().len(), mine.len() + 1);

    // The neighbour's next sync brings the champion's five, and nothing
    // is left for the champion.
    let (_, body) = neighbour.round_trip(&server.base);
    assert_eq!(decode_response(&body).updates.len(), mine.len());
    let (_, body) = champion.round_trip(&server.base);
    assert!(decode_response(&body).updates.is_empty());
}

/// An erasure of an id the server never held, still open while a phone
/// sends that record for the first time, wins: the push waits for it and is
/// refused. Without a lock between the two on PostgreSQL, the push checked
/// for an erasure before it committed, and stored the erased record. (On
/// SQLite the writer's lock keeps them apart.)
#[test]
fn postgres_a_record_sent_while_its_erasure_commits_stays_erased() {
    let Some(db) = tests::server::postgres() else {
        return;
    };
    let server = TestServer::start(&db, START);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    let id = phone
        .replica
        .create_person(&person("elm-road"), |p| p.set_name(Some("Never here")))
        .unwrap();
    // The erasure's transaction as `sync::erase` begins it, held open.
    let erasure = server.block_on(async {
        let mut tx = server.db.pool.begin().await.expect("transaction");
        server::store::documents::lock_for_erasure(&mut tx, id)
            .await
            .expect("lock");
        sqlx::query("INSERT INTO erased (id, erased_at) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(START.as_millis())
            .execute(&mut *tx)
            .await
            .expect("erased");
        tx
    });
    let base = server.base.clone();
    let pushing = std::thread::spawn(move || phone.round_trip(&base).1);
    // The push reaches the erasure's lock and waits there (PostgreSQL
    // lists a lock not granted) rather than finishing first.
    let waiting = || {
        server.block_on(
            sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_locks \
                 WHERE locktype = 'advisory' AND NOT granted",
            )
            .fetch_one(&server.db.pool),
        )
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while waiting().expect("pg_locks") == 0 {
        assert!(
            !pushing.is_finished(),
            "the push did not wait for the erasure"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the push never reached the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!pushing.is_finished(), "the push waits for the erasure");
    server.block_on(erasure.commit()).expect("commit");
    let response = decode_response(&pushing.join().expect("the phone"));
    let outcome = response
        .pushed
        .iter()
        .find(|p| p.doc == id)
        .map(|p| p.outcome.clone());
    assert!(
        matches!(&outcome, Some(PushOutcome::Rejected(r)) if r.code == RejectionCode::Erased),
        "{outcome:?}"
    );
    assert!(
        !server_records(&server).contains_key(&id),
        "stored after all"
    );
}

tests::on_every_database!(
    phones_converge_through_the_server,
    a_champion_is_refused_outside_its_patches,
    a_viewer_never_receives_a_name,
    a_revoked_device_is_told_to_wipe,
    bad_requests_get_typed_errors_and_change_nothing,
    truncated_garbled_and_replayed_sync_messages,
    each_device_token_is_rate_limited,
    changing_the_ladder_re_derives_every_stage,
    an_erased_person_leaves_no_trace_and_cannot_come_back,
    retention_anonymises_people_past_their_period,
    retention_finds_people_due_on_every_page,
    a_suppressed_person_becomes_a_do_not_contact_entry,
    one_request_mixes_new_changed_repeated_and_erased_records,
    other_patches_traffic_is_skipped_in_one_round_trip,
    a_new_records_feed_entry_holds_no_copy_of_it,
    an_answer_brings_others_changes_and_not_the_phones_own,
);
