//! Every use case that changes something, or shows personal data, leaves
//! its entry in the audit log: each is called here in turn, and the entry
//! it wrote is read back.

use std::collections::BTreeSet;

use sync_core::{
    DeviceId, DocId, EntryChannel, ManualClock, MemoryStore, NewEvent, NewPerson, Replica,
};

use super::retention::Policy;
use super::{
    Action, Actor, AuditEntry, Role, area, board, devices, doors, events, people, people_import,
    profiles, retention,
};
use crate::store::Db;
use crate::testing::NOW;

/// The newest entry of the audit log.
async fn last(db: &Db) -> AuditEntry {
    super::audit_log(db, 1)
        .await
        .expect("the audit log")
        .pop()
        .expect("an entry")
}

/// Checks the newest entry: what was done, by whom, to which record.
async fn logged(db: &Db, action: Action, actor: Actor, record: Option<DocId>) -> AuditEntry {
    let entry = last(db).await;
    assert_eq!(
        (
            entry.action.as_str(),
            entry.actor.as_str(),
            entry.record_id.as_deref()
        ),
        (
            action.as_str(),
            actor.to_string().as_str(),
            record.map(|r| r.to_string()).as_deref()
        ),
        "{entry:?}"
    );
    entry
}

/// A champion's phone, registered through an invite: its replica and token.
async fn champion(db: &Db, clock: &ManualClock) -> (Replica<MemoryStore, ManualClock>, String) {
    let patches = BTreeSet::from(["elm-road".to_owned()]);
    let code = devices::invite(
        db,
        Actor::CommandLine,
        Role::Champion,
        &patches,
        clock.now(),
        60_000,
    )
    .await
    .expect("an invite");
    assert_eq!(last(db).await.action, Action::Invited.as_str());
    let registered = devices::register(db, &code, "Sam's phone", clock.now())
        .await
        .expect("registered");
    let id: DeviceId = registered.device_id.parse().expect("a device id");
    let entry = logged(db, Action::Registered, Actor::Device(id), None).await;
    assert_eq!(entry.detail, "champion");
    let phone = Replica::open(MemoryStore::new(), id, clock.clone()).expect("a phone");
    (phone, registered.token)
}

/// Syncs a phone once through the use case, as over HTTP.
async fn sync(db: &Db, phone: &mut Replica<MemoryStore, ManualClock>, token: &str) {
    let device = devices::authenticate(db, token).await.expect("the token");
    let request = phone.sync_request().expect("a request");
    let response = super::sync::exchange(db, &device, &request, NOW)
        .await
        .expect("a response")
        .bytes;
    phone.apply_sync_response(&response).expect("applied");
}

#[tokio::test]
async fn every_use_case_that_changes_something_or_shows_personal_data_is_audited() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = crate::store::migrated_test_sqlite(&dir).await;
    let clock = ManualClock::new(NOW);
    let admin = Actor::CommandLine;

    // The area and its patches.
    let area = area::edit(&db, admin, Some("north-estate"), "settings", NOW, |a| {
        a.name = "North Estate".into();
        Ok(())
    })
    .await
    .expect("the area");
    logged(&db, Action::ChangedArea, admin, Some(area.id)).await;
    area::save_patch(&db, admin, "elm-road", "Elm Road", 400, None, NOW)
        .await
        .expect("a patch");
    let entry = logged(&db, Action::ChangedArea, admin, Some(area.id)).await;
    assert_eq!(entry.detail, "patch elm-road");
    area::save_patch(&db, admin, "oak-lane", "Oak Lane", 250, None, NOW)
        .await
        .expect("a patch");
    area::delete_patch(&db, admin, "oak-lane", NOW)
        .await
        .expect("removed");
    let entry = logged(&db, Action::ChangedArea, admin, Some(area.id)).await;
    assert_eq!(entry.detail, "removed patch oak-lane");

    // A phone registers and receives the area.
    let (mut phone, token) = champion(&db, &clock).await;
    let device = Actor::Device(phone.device());
    sync(&db, &mut phone, &token).await;
    let entry = logged(&db, Action::Received, device, None).await;
    assert_eq!(entry.detail, area.id.to_string());

    // Events.
    let new_event = NewEvent {
        area: "north-estate".into(),
        patch: "elm-road".into(),
        title: "Fun day".into(),
        kind: sync_core::EventKind::FunDay,
        starts_at: NOW.plus_days(7),
        ends_at: None,
        place: None,
        headcount: None,
    };
    let event = events::create(&db, admin, &new_event, NOW)
        .await
        .expect("an event");
    logged(&db, Action::CreatedEvent, admin, Some(event)).await;
    let moved = NewEvent {
        starts_at: NOW.plus_days(8),
        ..new_event
    };
    events::update(&db, admin, event, &moved, NOW)
        .await
        .expect("changed");
    logged(&db, Action::ChangedEvent, admin, Some(event)).await;
    events::cancel(&db, admin, event, NOW)
        .await
        .expect("cancelled");
    let entry = logged(&db, Action::ChangedEvent, admin, Some(event)).await;
    assert_eq!(entry.detail, "cancelled");

    // Doors.
    let csv = "patch,house,street\nelm-road,2,Elm Road\n";
    let report = doors::import(&db, admin, csv.as_bytes(), NOW, |_| {})
        .await
        .expect("imported");
    assert_eq!(report.imported, 1);
    let entry = logged(&db, Action::ImportedAddresses, admin, None).await;
    assert_eq!(entry.detail, "1");
    // People a partnership already knew.
    let csv = "patch,lawful_basis,consents,name\nelm-road,consent,events,Kit\n";
    let report = people_import::import(&db, admin, csv.as_bytes(), NOW)
        .await
        .expect("imported");
    assert_eq!(report.imported, 1);
    let entry = logged(&db, Action::ImportedPeople, admin, None).await;
    assert_eq!(entry.detail, "1");
    sync(&db, &mut phone, &token).await;
    let door = phone.walk_list("elm-road", None).expect("a walk list")[0].address;
    doors::set_do_not_knock(&db, admin, door, true, NOW)
        .await
        .expect("marked");
    let entry = logged(&db, Action::MarkedDoor, admin, Some(door)).await;
    assert_eq!(entry.detail, "do-not-knock");

    // People: two records of one person, then everything done to people.
    let new_person = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
    let mut person = |name: &str| {
        phone
            .create_person(&new_person, |p| {
                p.set_name(Some(name))?;
                p.set_email(Some("sam@example.org"))
            })
            .expect("a person")
    };
    let (first, second, third) = (person("Sam Jones"), person("Sam Jone"), person("Ali"));
    sync(&db, &mut phone, &token).await;
    let pairs = people::duplicates(&db, admin, NOW).await.expect("pairs");
    let entry = logged(&db, Action::ListedDuplicates, admin, None).await;
    assert_eq!(entry.detail, pairs.len().to_string());
    people::merge(&db, admin, first, second, NOW)
        .await
        .expect("merged");
    let entry = logged(&db, Action::Merged, admin, Some(second)).await;
    assert_eq!(entry.detail, first.to_string());
    let details = sync_core::PersonDetails {
        tenure: Some(sync_core::Tenure::SocialRent),
        clear: BTreeSet::from([sync_core::Detail::AgeBand]),
        ..sync_core::PersonDetails::default()
    };
    profiles::edit(&db, admin, first, &details, NOW)
        .await
        .expect("changed");
    let entry = logged(&db, Action::ChangedPerson, admin, Some(first)).await;
    assert_eq!(entry.detail, "set tenure; cleared age-band");
    // Sam Jones by name; Ali by the email the three share (Sam Jone was
    // merged away).
    let (found, more) = profiles::find(&db, admin, "sam", NOW).await.expect("found");
    assert_eq!((found.len(), more), (2, false));
    let entry = logged(&db, Action::SearchedPeople, admin, None).await;
    assert_eq!(entry.detail, "2");
    let profile = profiles::view(&db, admin, first, NOW)
        .await
        .expect("viewed");
    assert_eq!(profile.tenure.as_deref(), Some("social-rent"));
    logged(&db, Action::ViewedPerson, admin, Some(first)).await;
    // The board: a seat taken up, the list of who holds one, standing down.
    let councillor = [sync_core::Hat::Councillor].into();
    let seat = board::take_up(
        &db,
        admin,
        first,
        sync_core::Role::Chair,
        NOW,
        &councillor,
        NOW,
    )
    .await
    .expect("a seat");
    let entry = logged(&db, Action::ChangedPerson, admin, Some(first)).await;
    assert_eq!(entry.detail, "took up chair as councillor");
    board::set_hats(&db, admin, first, seat, &Default::default(), NOW)
        .await
        .expect("hats changed");
    let entry = logged(&db, Action::ChangedPerson, admin, Some(first)).await;
    assert_eq!(entry.detail, "hats: none");
    let held = board::current(&db, admin, NOW.plus_millis(1))
        .await
        .expect("the board");
    assert_eq!(held.len(), 1);
    let entry = logged(&db, Action::ListedBoard, admin, None).await;
    assert_eq!(entry.detail, "1");
    board::stand_down(&db, admin, first, seat, NOW.plus_days(1), NOW)
        .await
        .expect("stood down");
    let entry = logged(&db, Action::ChangedPerson, admin, Some(first)).await;
    assert_eq!(entry.detail, "stood down");
    people::export(&db, admin, first, NOW)
        .await
        .expect("exported");
    logged(&db, Action::Exported, admin, Some(first)).await;
    let suppressed = people::suppress(&db, admin, third, NOW)
        .await
        .expect("suppressed");
    let entry = logged(&db, Action::Suppressed, admin, Some(third)).await;
    assert_eq!(entry.detail, suppressed.to_string());
    people::erase(&db, admin, first, NOW).await.expect("erased");
    logged(&db, Action::Erased, admin, Some(first)).await;

    // Retention anonymises someone recorded without consent long ago.
    let kept = phone
        .create_person(&new_person, |p| p.set_name(Some("Kim")))
        .expect("a person");
    sync(&db, &mut phone, &token).await;
    let later = NOW.plus_days(400);
    let run = retention::run(&db, Policy::default(), later)
        .await
        .expect("retention");
    assert!(run.anonymised.iter().any(|(old, _)| *old == kept));
    // Others recorded at the same moment go too, in the order of their
    // random ids: find Kim's entry among the run's.
    let log = super::audit_log(&db, run.anonymised.len() as i64)
        .await
        .expect("the audit log");
    let entry = log
        .iter()
        .find(|e| e.record_id == Some(kept.to_string()))
        .unwrap_or_else(|| panic!("no entry for {kept}: {log:?}"));
    assert_eq!(
        (entry.action.as_str(), entry.actor.as_str()),
        (
            Action::Anonymised.as_str(),
            Actor::Retention.to_string().as_str()
        )
    );
    assert!(!entry.detail.is_empty());

    // The dashboard: a sign-in link, its device, a session.
    let link = devices::sign_in_link(&db, admin, Role::Viewer, None, NOW, 30)
        .await
        .expect("a link");
    let entry = logged(&db, Action::Invited, admin, None).await;
    assert_eq!(entry.detail, "viewer");
    let code = link.trim_start_matches("/sign-in/");
    let viewer = devices::register_dashboard(&db, code, NOW)
        .await
        .expect("a dashboard device");
    logged(&db, Action::Registered, Actor::Device(viewer.id), None).await;
    let secret = devices::start_session(&db, viewer.id, NOW)
        .await
        .expect("a session");
    logged(&db, Action::SignedIn, Actor::Device(viewer.id), None).await;
    devices::end_session(&db, &secret, NOW)
        .await
        .expect("signed out");
    logged(&db, Action::SignedOut, Actor::Device(viewer.id), None).await;

    // An invite sent to the wrong person, cancelled.
    devices::sign_in_link(&db, admin, Role::Viewer, None, NOW, 30)
        .await
        .expect("a link");
    let unused = devices::invites(&db)
        .await
        .expect("invites")
        .into_iter()
        .find(|i| i.usable(NOW))
        .expect("the unused invite");
    devices::cancel_invite(&db, admin, &unused.id, NOW)
        .await
        .expect("cancelled");
    let entry = logged(&db, Action::CancelledInvite, admin, None).await;
    assert_eq!(entry.detail, unused.id);

    // A lost phone.
    devices::revoke(&db, admin, phone.device(), NOW)
        .await
        .expect("revoked");
    let entry = logged(&db, Action::Revoked, admin, None).await;
    assert_eq!(entry.detail, phone.device().to_string());

    // A backup, and restoring it into a new database.
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let file = dir.path().join("audited.backup");
    let recipients = super::backup::Recipients::default();
    super::backup::take(&db, &url, &file, &recipients, admin, NOW)
        .await
        .expect("a backup");
    let entry = logged(&db, Action::BackedUp, admin, None).await;
    assert_eq!(entry.detail, file.display().to_string());
    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    super::backup::restore(&restored, &file, None, false, None, NOW)
        .await
        .expect("restored");
    let restored = Db::connect(&restored).await.expect("the restored database");
    let entry = logged(&restored, Action::Restored, admin, None).await;
    assert_eq!(entry.detail, file.display().to_string());
}
