//! Every dimension a report breaks its counts down by can be recorded
//! where the work happens. The test walks the report registry: for each
//! report and each dimension it declares, a champion's phone records six
//! people (or doors) with one value of it through the phone's use cases,
//! syncs over HTTP, and the report (read by an admin) shows that value
//! with six in it. A report that declares a dimension this test cannot
//! record fails it, so a new breakdown cannot ship without a way to fill it.
//! Then an admin corrects a person's details through the API, and the
//! report follows.

use std::collections::BTreeSet;

use serde_json::Value;
use server::ops::Role;
use server::reports::Dimension;
use sync_core::{
    AgeBand, ConsentGiver, ConsentMethod, ConsentPurpose, DoorOutcome, Doorstep, EventKind,
    LawfulBasis, NewAddress, NewConsent, NewConversation, NewEvent, NewSignUp, PersonDetails,
    ResidentBasis, Role as HeldRole, Tenure,
};
use tests::START;
use tests::server::{
    HttpPhone, TestDb, TestServer, configure_area, get, post_json_method, send_json,
};

/// People (or doors) recorded with the value: above the threshold of 5, so
/// the figure is published.
const HOW_MANY: usize = 6;

/// A conversation at the door in `patch` with someone new, who gave
/// `details`.
fn conversation(patch: &str, details: PersonDetails) -> NewConversation {
    NewConversation {
        person: None,
        area: "north-estate".into(),
        patch: patch.into(),
        address: None,
        details,
        // A topic raised and a promise made, so that the reports of what
        // is raised and promised at doors count these conversations too.
        doorstep: Doorstep::new(DoorOutcome::Spoke)
            .topic("housing")
            .follow_up("send the housing surgery's times", None),
        consent_to_contact: true,
        consent_wording_version: "2026-09".into(),
    }
}

/// Records `HOW_MANY` people or doors with one value of `dimension` on the
/// phone; returns the value as the report shows it.
fn record(phone: &mut HttpPhone, dimension: Dimension) -> &'static str {
    let replica = &mut phone.replica;
    for n in 0..HOW_MANY {
        let details = PersonDetails {
            name: Some(format!("Resident {n}")),
            ..PersonDetails::default()
        };
        match dimension {
            Dimension::Patch => {
                replica
                    .log_conversation(&conversation("oak-lane", details))
                    .expect("logged");
                let door = replica
                    .create_address(&NewAddress::new(
                        "north-estate",
                        "oak-lane",
                        &n.to_string(),
                        "Oak Lane",
                    ))
                    .expect("a door");
                replica
                    .record_visit(door, DoorOutcome::NotIn)
                    .expect("a knock");
            }
            Dimension::AgeBand => {
                let details = PersonDetails {
                    age_band: Some(AgeBand::From25To34),
                    ..details
                };
                replica
                    .log_conversation(&conversation("elm-road", details))
                    .expect("logged");
            }
            Dimension::Tenure => {
                let details = PersonDetails {
                    tenure: Some(Tenure::WithFamily),
                    ..details
                };
                replica
                    .log_conversation(&conversation("elm-road", details))
                    .expect("logged");
            }
            Dimension::Language => {
                let details = PersonDetails {
                    language: Some("so".into()),
                    ..details
                };
                replica
                    .log_conversation(&conversation("elm-road", details))
                    .expect("logged");
            }
            Dimension::Ethnicity => {
                let (person, _) = replica
                    .log_conversation(&conversation("elm-road", details))
                    .expect("logged");
                replica
                    .edit_person(person, |p| {
                        p.record_consent(NewConsent {
                            purpose: ConsentPurpose::EqualityMonitoring,
                            granted: true,
                            lawful_basis: LawfulBasis::Consent,
                            wording_version: "2026-09".into(),
                            method: ConsentMethod::Doorstep,
                            given_by: ConsentGiver::Subject,
                        })?;
                        p.set_ethnicity(Some("mixed-white-black-caribbean"))
                    })
                    .expect("ethnicity with consent");
            }
            Dimension::EntryChannel => {
                let event = match replica.events().expect("events").first() {
                    Some(event) => event.id,
                    None => replica
                        .create_event(&NewEvent {
                            area: "north-estate".into(),
                            patch: "elm-road".into(),
                            title: "Fun day".into(),
                            kind: EventKind::FunDay,
                            starts_at: START,
                            ends_at: None,
                            place: None,
                            headcount: None,
                        })
                        .expect("an event"),
                };
                replica
                    .sign_up(&NewSignUp {
                        event,
                        area: "north-estate".into(),
                        patch: "elm-road".into(),
                        details,
                        consent_given: true,
                        consent_by: ConsentGiver::Subject,
                        consent_wording_version: "2026-09".into(),
                        attended: true,
                    })
                    .expect("signed up");
            }
            Dimension::Residency => {
                let details = PersonDetails {
                    residency: Some(BTreeSet::from([ResidentBasis::Studies])),
                    ..details
                };
                let (person, _) = replica
                    .log_conversation(&conversation("elm-road", details))
                    .expect("logged");
                replica
                    .edit_person(person, |p| {
                        let start = p.now();
                        p.record(sync_core::InteractionKind::Role {
                            role: HeldRole::PartnershipMember,
                            start,
                            end: None,
                            hats: Default::default(),
                        })
                    })
                    .expect("a partnership member");
            }
        }
    }
    match dimension {
        Dimension::Patch => "oak-lane",
        Dimension::AgeBand => "25-34",
        Dimension::Tenure => "with-family",
        Dimension::Language => "so",
        Dimension::Ethnicity => "mixed-white-black-caribbean",
        Dimension::EntryChannel => "event",
        // The default definition that counts studying in the area.
        Dimension::Residency => "connected",
    }
}

/// Whether some object in `json` has a string field equal to `value` and a
/// number field equal to `count`.
fn shows(json: &Value, value: &str, count: u64) -> bool {
    match json {
        Value::Object(fields) => {
            let named = fields.values().any(|v| v.as_str() == Some(value));
            let counted = fields.values().any(|v| v.as_u64() == Some(count));
            (named && counted) || fields.values().any(|v| shows(v, value, count))
        }
        Value::Array(items) => items.iter().any(|v| shows(v, value, count)),
        _ => false,
    }
}

fn report(server: &TestServer, token: &str, name: &str) -> Value {
    let (status, body) = get(&format!("{}/v1/reports/{name}", server.base), token);
    assert_eq!(status, 200, "{name}: {body}");
    serde_json::from_str(&body).expect("the report's JSON")
}

/// Walks the registry, each breakdown on a fresh database from `fresh`.
fn walk(fresh: impl Fn() -> Option<TestDb>) {
    let mut walked = 0;
    for (name, breakdowns) in server::http::report_breakdowns() {
        for &dimension in breakdowns {
            let Some(db) = fresh() else { return };
            let server = TestServer::start(&db, START);
            let (_, admin) = server.register(Role::Admin, &[]);
            configure_area(&server, &admin);
            let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road", "oak-lane"]);
            let value = record(&mut phone, dimension);
            let synced = phone.sync(&server.base);
            assert!(
                synced.rejected.is_empty(),
                "{name} by {dimension:?}: {synced:?}"
            );
            let json = report(&server, &admin, name);
            assert!(
                shows(&json, value, HOW_MANY as u64),
                "{} {name} by {dimension:?}: {value} with {HOW_MANY} is not in {json:#}",
                db.label
            );
            walked += 1;
        }
    }
    assert!(
        walked >= 7,
        "the registry declares only {walked} breakdowns"
    );
}

#[test]
fn every_dimension_a_report_breaks_down_by_is_recorded_on_a_phone_and_shown() {
    walk(|| Some(tests::server::sqlite()));
}

#[test]
fn every_dimension_a_report_breaks_down_by_is_shown_on_postgres_too() {
    walk(tests::server::postgres);
}

#[test]
fn an_admin_corrects_a_persons_details_and_the_report_follows() {
    let db = tests::server::sqlite();
    let server = TestServer::start(&db, START);
    let (_, admin) = server.register(Role::Admin, &[]);
    configure_area(&server, &admin);
    let mut phone = HttpPhone::register(&server, Role::Champion, &["elm-road"]);
    record(&mut phone, Dimension::Tenure);
    phone.sync(&server.base);

    let found: Value = serde_json::from_str(
        &get(
            &format!("{}/v1/admin/people?search=resident%203", server.base),
            &admin,
        )
        .1,
    )
    .expect("people found");
    let id = found["people"][0]["id"].as_str().expect("an id").to_owned();
    let person = format!("{}/v1/admin/people/{id}", server.base);
    let (status, body) = send_json(
        "PATCH",
        &person,
        Some(&admin),
        &serde_json::json!({ "tenure": "social-rent", "language": "ur", "residency": ["lives"] }),
    );
    assert_eq!(status, 204, "{body}");
    let refused: Value = post_json_method(
        "PATCH",
        &person,
        Some(&admin),
        &serde_json::json!({ "tenure": "council" }),
        400,
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|e| e.contains("owner, social-rent")),
        "{refused}"
    );
    let profile: Value = serde_json::from_str(&get(&person, &admin).1).expect("a profile");
    assert_eq!(profile["tenure"], "social-rent");
    assert_eq!(profile["language"], "ur");
    assert_eq!(profile["residency"], serde_json::json!(["lives"]));

    // Six lived with their family; one no longer does (the reach report
    // now hides the tenure breakdown, one being a small count), and the
    // phone hears of the change.
    let reach = report(&server, &admin, "reach");
    assert!(!shows(&reach, "with-family", HOW_MANY as u64), "{reach:#}");
    phone.sync(&server.base);
    let id = id.parse().expect("a person id");
    assert_eq!(
        phone.replica.person(id).expect("held").tenure,
        Some(Tenure::SocialRent)
    );
}
