//! Admin operations shared by the `outreach admin` commands, the admin
//! HTTP endpoints and the dashboard's admin pages: invites and devices,
//! the area configuration and events.
//!
//! The server writes records as a device of its own: each edit becomes a
//! push (`sync_core::authoring`) merged through [`crate::sync::merge`], so
//! it is validated, projected and sent to phones like any other change.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sync_core::{
    AreaConfig, ConsentPurpose, DeviceId, DocId, Event, EventKind, Ladder, LawfulBasis, NewEvent,
    PatchConfig, PushOutcome, Record, ResidentBasis, ResidentDefinition, Scope, Stage, StageRule,
    Timestamp, authoring, read_record,
};

use crate::audit::{self, Action};
use crate::auth::{self, Role};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::sync;

const SERVER_DEVICE: &str = "server_device_id";

/// The server's own device id, made on first use.
pub async fn server_device(db: &Db) -> Result<DeviceId> {
    let writer = db.writer().await;
    let mut conn = writer.acquire().await?;
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(SERVER_DEVICE)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((id,)) = row {
        return id
            .parse()
            .map_err(|_| Error::Corrupt(format!("server device id {id}")));
    }
    let id = DeviceId::new(Timestamp::from_millis(0));
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(SERVER_DEVICE)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    let (stored,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(SERVER_DEVICE)
        .fetch_one(&mut *conn)
        .await?;
    stored
        .parse()
        .map_err(|_| Error::Corrupt(format!("server device id {stored}")))
}

async fn stored_bytes(conn: &mut AnyConnection, id: DocId) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT bytes FROM documents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(b,)| b))
}

async fn merge_own(db: &Db, push: Option<sync_core::Push>, now: Timestamp) -> Result<()> {
    let Some(push) = push else { return Ok(()) };
    match sync::merge(db, &push, &Scope::Admin, now).await?.0 {
        PushOutcome::Accepted { .. } => Ok(()),
        PushOutcome::Rejected(r) => Err(Error::BadRequest(r.detail)),
        PushOutcome::Resend | PushOutcome::Redirected { .. } => Err(Error::Corrupt(
            "the server's own edit was not accepted".into(),
        )),
    }
}

/// Marks a door "do not knock", or takes the mark off.
pub async fn set_do_not_knock(db: &Db, id: DocId, value: bool, now: Timestamp) -> Result<()> {
    let by = server_device(db).await?;
    let stored = {
        let mut conn = db.pool.acquire().await?;
        stored_bytes(&mut conn, id).await?
    }
    .ok_or(Error::NotFound("door"))?;
    let Record::Address(door) = read_record(&stored)? else {
        return Err(Error::NotFound("door"));
    };
    let push = authoring::address_push(Some(&stored), id, &door.details(), value, by, now)?;
    merge_own(db, push, now).await
}

/// Merges two records of one person on behalf of `actor`
/// ([`sync::merge_people`]), logs it, and scrubs the merged-away
/// document's bytes from the database files.
pub async fn merge_people(
    db: &Db,
    actor: &str,
    survivor: DocId,
    other: DocId,
    now: Timestamp,
) -> Result<()> {
    sync::merge_people(db, survivor, other, now).await?;
    audit::record(
        db,
        now,
        actor,
        Action::Merged,
        Some(other),
        &survivor.to_string(),
    )
    .await?;
    db.scrub().await
}

/// The likely duplicates, for `actor` (logged: the list holds names).
pub async fn duplicates(
    db: &Db,
    actor: &str,
    now: Timestamp,
) -> Result<Vec<crate::duplicates::Pair>> {
    let pairs = crate::duplicates::find(db).await?;
    audit::record(
        db,
        now,
        actor,
        Action::ListedDuplicates,
        None,
        &pairs.len().to_string(),
    )
    .await?;
    Ok(pairs)
}

/// Makes an invite on behalf of `actor` (a device id or
/// [`audit::COMMAND_LINE`]), valid for `lifetime_ms`, and logs it. Returns
/// the one-time code.
pub async fn invite(
    db: &Db,
    actor: &str,
    role: Role,
    patches: &BTreeSet<String>,
    now: Timestamp,
    lifetime_ms: i64,
) -> Result<String> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let expires_at = Timestamp::from_millis(now.as_millis() + lifetime_ms);
    let code = auth::create_invite(&mut tx, role, patches, now, expires_at).await?;
    audit::record_on(&mut tx, now, actor, Action::Invited, None, role.as_str()).await?;
    tx.commit().await?;
    Ok(code)
}

/// Revokes a device on behalf of `actor`, and logs it. Fails with
/// `NotFound` when there is no such device.
pub async fn revoke(db: &Db, actor: &str, device: DeviceId, now: Timestamp) -> Result<()> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    if !auth::revoke_device(&mut tx, device, now).await? {
        return Err(Error::NotFound("device"));
    }
    audit::record_on(
        &mut tx,
        now,
        actor,
        Action::Revoked,
        None,
        &device.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The area configuration, if one was made.
pub async fn area(db: &Db) -> Result<Option<AreaConfig>> {
    area_on(&mut *db.pool.acquire().await?).await
}

/// The area configuration, read on `conn` (inside the caller's transaction).
pub async fn area_on(conn: &mut AnyConnection) -> Result<Option<AreaConfig>> {
    Ok(shared_area_on(conn).await?.map(Arc::unwrap_or_clone))
}

/// [`area_on`], shared with the last caller that read the same bytes.
pub async fn shared_area_on(conn: &mut AnyConnection) -> Result<Option<Arc<AreaConfig>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM documents WHERE kind = 'area' ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(bytes,)| decode_area(bytes)).transpose()
}

/// The last area document decoded, with the bytes it was decoded from.
/// Every sync request reads the area's ladder, with the writer's turn
/// held; decoding the area each time took about 10 ms of the turn under
/// 500 phones, with 500 patches (the load generator's area), half of it.
/// Keyed by the stored bytes themselves, so no write, by any path or
/// process, can leave it stale.
static LAST_AREA: Mutex<Option<(Vec<u8>, Arc<AreaConfig>)>> = Mutex::new(None);

fn decode_area(bytes: Vec<u8>) -> Result<Arc<AreaConfig>> {
    // Nothing panics with the lock held, but a poisoned lock only means a
    // memo to refill.
    let last = || LAST_AREA.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((decoded_from, area)) = &*last()
        && *decoded_from == bytes
    {
        return Ok(Arc::clone(area));
    }
    let area = match read_record(&bytes)? {
        Record::Area(a) => Arc::new(a),
        _ => return Err(Error::Corrupt("an area row holds another kind".into())),
    };
    *last() = Some((bytes, Arc::clone(&area)));
    Ok(area)
}

/// Edits the area configuration with `edit` (starting from a default one,
/// named `slug`, if there is none yet) and stores the result.
pub async fn edit_area(
    db: &Db,
    slug: Option<&str>,
    now: Timestamp,
    edit: impl FnOnce(&mut AreaConfig) -> Result<()>,
) -> Result<AreaConfig> {
    let existing = area(db).await?;
    let mut config = match existing.clone() {
        Some(config) => config,
        None => {
            let slug = slug.unwrap_or("our-area");
            let by = server_device(db).await?;
            AreaConfig::new_default(DocId::new(now), slug, "Our area", by, now)
        }
    };
    if let (Some(slug), Some(_)) = (slug, &existing)
        && slug != config.area
    {
        return Err(Error::BadRequest(format!(
            "the area is {:?}; its slug cannot change",
            config.area
        )));
    }
    edit(&mut config)?;
    config.patches.sort_by(|a, b| a.id.cmp(&b.id));
    config
        .resident_definitions
        .sort_by(|a, b| a.key.cmp(&b.key));
    let stored = {
        let mut conn = db.pool.acquire().await?;
        stored_bytes(&mut conn, config.id).await?
    };
    let push = authoring::area_push(stored.as_deref(), &config, now)?;
    merge_own(db, push, now).await?;
    area(db)
        .await?
        .ok_or_else(|| Error::Corrupt("the area was not stored".into()))
}

/// Creates an event and returns its id.
pub async fn create_event(db: &Db, event: &NewEvent, now: Timestamp) -> Result<DocId> {
    let by = server_device(db).await?;
    let id = DocId::new(now);
    let push = authoring::event_push(None, id, event, by, now)?;
    merge_own(db, push, now).await?;
    Ok(id)
}

/// Changes an event's details.
pub async fn update_event(db: &Db, id: DocId, event: &NewEvent, now: Timestamp) -> Result<()> {
    let by = server_device(db).await?;
    let stored = {
        let mut conn = db.pool.acquire().await?;
        stored_bytes(&mut conn, id).await?
    }
    .ok_or(Error::NotFound("event"))?;
    let push = authoring::event_push(Some(&stored), id, event, by, now).map_err(|e| match e {
        sync_core::Error::WrongKind { .. } => Error::NotFound("event"),
        other => other.into(),
    })?;
    merge_own(db, push, now).await
}

/// An event from the admin's input, checked against the area: the area
/// must be configured and the patch one of its patches.
pub async fn checked_event(db: &Db, input: EventInput) -> Result<NewEvent> {
    let area = area(db)
        .await?
        .ok_or_else(|| Error::BadRequest("configure the area before adding events".into()))?;
    if area.patch(&input.patch).is_none() {
        return Err(Error::BadRequest(format!(
            "{:?} is not one of the area's patches",
            input.patch
        )));
    }
    input.into_new_event(&area.area)
}

/// Every event, soonest first.
pub async fn events(db: &Db) -> Result<Vec<EventView>> {
    let mut conn = db.pool.acquire().await?;
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM events ORDER BY starts_at, id")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        let id: DocId = id
            .parse()
            .map_err(|_| Error::Corrupt(format!("event id {id}")))?;
        if let Some(bytes) = stored_bytes(&mut conn, id).await?
            && let Record::Event(e) = read_record(&bytes)?
        {
            out.push(EventView::from(&e));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------ JSON views

/// An area configuration as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaView {
    /// The document id.
    pub id: String,
    /// The area's slug.
    pub area: String,
    /// Its name.
    pub name: String,
    /// Share of partnership members (percent) who must be residents.
    pub resident_led_threshold_percent: u8,
    /// Seats on the partnership board, if fixed.
    pub partnership_seats: Option<u32>,
    /// Reports suppress counts below this.
    pub suppress_below: u32,
    /// Patches (villages, estates), in slug order.
    pub patches: Vec<PatchView>,
    /// Topic tags.
    pub topics: Vec<String>,
    /// The engagement ladder, first stage first.
    pub ladder: Vec<StageView>,
    /// Definitions of "resident".
    pub resident_definitions: Vec<ResidentDefinitionView>,
    /// The lawful basis relied on for each purpose (contact-again, events,
    /// volunteering, equality-monitoring): consent or legitimate-interests.
    pub lawful_bases: std::collections::BTreeMap<String, String>,
}

/// A patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatchView {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Households, for per-1,000-household figures.
    pub households: u32,
}

/// A ladder stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageView {
    /// Slug.
    pub key: String,
    /// Label.
    pub label: String,
    /// What counts as reaching it: contacted, conversation, interested,
    /// participant, volunteer, working-group, partnership-member or leader.
    pub rule: String,
}

/// A definition of "resident".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentDefinitionView {
    /// Slug.
    pub key: String,
    /// Label.
    pub label: String,
    /// Which bases count: lives, works, studies, worships, other.
    pub counts: Vec<String>,
}

impl From<&AreaConfig> for AreaView {
    fn from(a: &AreaConfig) -> Self {
        Self {
            id: a.id.to_string(),
            area: a.area.clone(),
            name: a.name.clone(),
            resident_led_threshold_percent: a.resident_led_threshold_percent,
            partnership_seats: a.partnership_seats,
            suppress_below: a.suppress_below,
            patches: a
                .patches
                .iter()
                .map(|p| PatchView {
                    slug: p.id.clone(),
                    name: p.name.clone(),
                    households: p.households,
                })
                .collect(),
            topics: a.topics.iter().cloned().collect(),
            ladder: a
                .ladder
                .stages()
                .iter()
                .map(|s| StageView {
                    key: s.key.clone(),
                    label: s.label.clone(),
                    rule: s.rule.as_str().to_owned(),
                })
                .collect(),
            resident_definitions: a
                .resident_definitions
                .iter()
                .map(|d| ResidentDefinitionView {
                    key: d.key.clone(),
                    label: d.label.clone(),
                    counts: d.counts.iter().map(|b| b.as_str().to_owned()).collect(),
                })
                .collect(),
            lawful_bases: ConsentPurpose::ALL
                .iter()
                .map(|p| {
                    (
                        p.as_str().to_owned(),
                        a.lawful_basis(*p).as_str().to_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// Changes to the area configuration; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaChange {
    /// The area's slug (only when creating it).
    pub area: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// The resident-led threshold, percent (1 to 100).
    pub resident_led_threshold_percent: Option<u8>,
    /// Seats on the partnership board (0: not fixed).
    pub partnership_seats: Option<u32>,
    /// Reports suppress counts below this (3 to 100).
    pub suppress_below: Option<u32>,
    /// Topic tags (replaces the set).
    pub topics: Option<Vec<String>>,
    /// The ladder (replaces it).
    pub ladder: Option<Vec<StageView>>,
    /// Resident definitions (replace them).
    pub resident_definitions: Option<Vec<ResidentDefinitionView>>,
    /// Lawful bases by purpose (set the ones given).
    pub lawful_bases: Option<std::collections::BTreeMap<String, String>>,
}

impl AreaChange {
    /// Applies the change to a configuration.
    pub fn apply(self, config: &mut AreaConfig) -> Result<()> {
        if let Some(name) = self.name {
            config.name = name;
        }
        if let Some(threshold) = self.resident_led_threshold_percent {
            config.resident_led_threshold_percent = threshold;
        }
        if let Some(seats) = self.partnership_seats {
            config.partnership_seats = (seats > 0).then_some(seats);
        }
        if let Some(below) = self.suppress_below {
            config.suppress_below = below;
        }
        if let Some(topics) = self.topics {
            config.topics = topics.into_iter().collect();
        }
        if let Some(stages) = self.ladder {
            let stages = stages
                .into_iter()
                .map(|s| {
                    let rule = StageRule::parse(&s.rule).ok_or_else(|| {
                        Error::BadRequest(format!("unknown ladder rule {:?}", s.rule))
                    })?;
                    Ok(Stage {
                        key: s.key,
                        label: s.label,
                        rule,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            config.ladder = Ladder::new(stages).map_err(sync_core::Error::from)?;
        }
        if let Some(bases) = self.lawful_bases {
            for (purpose, basis) in bases {
                let purpose = ConsentPurpose::parse(&purpose).ok_or_else(|| {
                    Error::BadRequest(format!("unknown consent purpose {purpose:?}"))
                })?;
                let basis = LawfulBasis::parse(&basis)
                    .ok_or_else(|| Error::BadRequest(format!("unknown lawful basis {basis:?}")))?;
                config.lawful_bases.insert(purpose, basis);
            }
        }
        if let Some(definitions) = self.resident_definitions {
            config.resident_definitions = definitions
                .into_iter()
                .map(|d| {
                    let counts = d
                        .counts
                        .iter()
                        .map(|c| {
                            ResidentBasis::parse(c).ok_or_else(|| {
                                Error::BadRequest(format!("unknown resident basis {c:?}"))
                            })
                        })
                        .collect::<Result<_>>()?;
                    Ok(ResidentDefinition {
                        key: d.key,
                        label: d.label,
                        counts,
                    })
                })
                .collect::<Result<_>>()?;
        }
        Ok(())
    }
}

/// Sets a patch (adding it if new).
pub fn set_patch(config: &mut AreaConfig, slug: &str, name: &str, households: u32) {
    match config.patches.iter_mut().find(|p| p.id == slug) {
        Some(p) => {
            p.name = name.to_owned();
            p.households = households;
        }
        None => config.patches.push(PatchConfig {
            id: slug.to_owned(),
            name: name.to_owned(),
            households,
        }),
    }
}

/// Removes a patch; `NotFound` if the area has no such patch.
pub fn remove_patch(config: &mut AreaConfig, slug: &str) -> Result<()> {
    let before = config.patches.len();
    config.patches.retain(|p| p.id != slug);
    if config.patches.len() == before {
        Err(Error::NotFound("patch"))
    } else {
        Ok(())
    }
}

/// An event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    /// The document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// fun-day, youth-session, training, meeting, consultation or other.
    pub kind: String,
    /// The patch it is in.
    pub patch: String,
    /// Start (ms since the epoch).
    pub starts_at: i64,
    /// End, if known.
    pub ends_at: Option<i64>,
    /// Where.
    pub place: Option<String>,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            title: e.title.clone(),
            kind: e.kind.as_str().to_owned(),
            patch: e.patch.clone(),
            starts_at: e.starts_at.as_millis(),
            ends_at: e.ends_at.map(Timestamp::as_millis),
            place: e.place.clone(),
        }
    }
}

/// An event to create or the new details of one.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    /// Title.
    pub title: String,
    /// fun-day, youth-session, training, meeting, consultation or other.
    pub kind: String,
    /// The patch it is in.
    pub patch: String,
    /// Start (ms since the epoch).
    pub starts_at: i64,
    /// End, if known.
    pub ends_at: Option<i64>,
    /// Where.
    pub place: Option<String>,
}

impl EventInput {
    /// The event for the area `area`.
    pub fn into_new_event(self, area: &str) -> Result<NewEvent> {
        Ok(NewEvent {
            area: area.to_owned(),
            patch: self.patch,
            title: self.title,
            kind: EventKind::parse(&self.kind)
                .ok_or_else(|| Error::BadRequest(format!("unknown event kind {:?}", self.kind)))?,
            starts_at: Timestamp::from_millis(self.starts_at),
            ends_at: self.ends_at.map(Timestamp::from_millis),
            place: self.place,
        })
    }
}

/// Everything held about one record, for a subject access request: the
/// record as stored (every field, consent and interaction), the rows derived
/// from it, and the devices that recorded anything in it. An erased record
/// shows only that it was erased, and when.
pub async fn subject_access(db: &Db, id: DocId, now: Timestamp) -> Result<serde_json::Value> {
    let mut conn = db.pool.acquire().await?;
    let erased: Option<(i64,)> = sqlx::query_as("SELECT erased_at FROM erased WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((erased_at,)) = erased {
        return Ok(serde_json::json!({ "id": id.to_string(), "erased_at": erased_at }));
    }
    // A merged-away id: everything about the person is in the survivor.
    let asked = id;
    let id = sync::current_id(&mut conn, id).await?;
    let bytes = stored_bytes(&mut conn, id)
        .await?
        .ok_or(Error::NotFound("record"))?;
    let record = read_record(&bytes)?;
    let (record_json, devices) = match &record {
        Record::Person(p) => {
            let devices: std::collections::BTreeSet<String> = p
                .interactions
                .iter()
                .map(|i| i.recorded_by)
                .chain(p.consents.iter().map(|c| c.recorded_by))
                .chain([p.created_by])
                .map(|d| d.to_string())
                .collect();
            (serde_json::to_value(p), devices)
        }
        Record::Event(e) => (serde_json::to_value(e), [e.created_by.to_string()].into()),
        Record::Address(a) => {
            let devices = a
                .visits
                .iter()
                .map(|v| v.recorded_by)
                .chain([a.created_by])
                .map(|d| d.to_string())
                .collect();
            (serde_json::to_value(a), devices)
        }
        Record::Area(_) => {
            return Err(Error::BadRequest(
                "the area configuration holds no personal data".into(),
            ));
        }
    };
    let record_json = record_json.map_err(|e| Error::Corrupt(e.to_string()))?;
    let mut device_rows = Vec::new();
    for device in &devices {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, role FROM devices WHERE id = $1")
                .bind(device)
                .fetch_optional(&mut *conn)
                .await?;
        device_rows.push(match row {
            Some((name, role)) => serde_json::json!({ "id": device, "name": name, "role": role }),
            None => serde_json::json!({ "id": device }),
        });
    }
    let stages: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT stage, stage_key, reached_at FROM stages WHERE person_id = $1 ORDER BY stage",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(serde_json::json!({
        "id": id.to_string(),
        "merged_from": (asked != id).then(|| asked.to_string()),
        "kind": record.kind().as_str(),
        "exported_at": now.as_millis(),
        "record": record_json,
        "stages_reached": stages
            .into_iter()
            .map(|(stage, key, at)| serde_json::json!({ "stage": stage, "key": key, "reached_at": at }))
            .collect::<Vec<_>>(),
        "recorded_by_devices": device_rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The area is decoded once per distinct stored bytes (`LAST_AREA`):
    /// every change to it, however made, must still be read back.
    #[tokio::test]
    async fn the_area_read_back_is_always_the_stored_one() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::db::migrated_test_sqlite(&dir).await;
        let now = Timestamp::from_millis(1_789_000_000_000);
        let ladder = || async {
            let mut conn = db.pool.acquire().await.expect("connection");
            sync::area_ladder(&mut conn).await.expect("ladder")
        };
        assert_eq!(ladder().await, Ladder::default());
        for (round, stages) in [3, 5, 3].into_iter().enumerate() {
            let wanted =
                Ladder::new(Ladder::default().stages()[..stages].to_vec()).expect("a ladder");
            let set = wanted.clone();
            edit_area(&db, Some("our-area"), now, |area| {
                area.ladder = set;
                Ok(())
            })
            .await
            .expect("edit the area");
            assert_eq!(ladder().await, wanted, "round {round}");
            let read_twice = area(&db).await.expect("area").expect("an area");
            assert_eq!(read_twice.ladder, wanted, "round {round}");
        }
    }
}
