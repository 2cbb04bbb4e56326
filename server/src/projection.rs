//! Projections: relational rows derived from each record, rewritten in the
//! same transaction as the merge that changed it, for reports.
//!
//! People's rows carry no name or contact detail; ethnicity is only ever
//! present when the record holds a current equality-monitoring consent
//! (sync-core refuses it otherwise).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;
use sync_core::{
    Address, AreaConfig, ConsentPurpose, DocId, DoorOutcome, EntryId, Event, InteractionKind,
    Ladder, NewAddress, Person, Record, StageRule, Timestamp,
};

use crate::db::Db;
use crate::error::Result;

/// The shape of the projections. Bump it when what they hold changes:
/// [`rebuild_if_outdated`] then rewrites every person's rows once, from
/// the documents, when the server next starts.
pub const VERSION: i64 = 3;

/// Rewrites every person's rows if they were written by an older
/// [`VERSION`]. Servers starting together take turns: the first rebuilds,
/// the others find the version current.
pub async fn rebuild_if_outdated(db: &Db, now: Timestamp) -> Result<bool> {
    let _guard = db.write_guard().await;
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('projection_version', '0') ON CONFLICT (key) DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    // A no-op update locks the row until commit (PostgreSQL), so two
    // servers starting at once do not rebuild side by side.
    let (stored,): (String,) = sqlx::query_as(
        "UPDATE settings SET value = value WHERE key = 'projection_version' RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await?;
    if stored.parse::<i64>().is_ok_and(|v| v >= VERSION) {
        // Ends the no-op update's lock now (a dropped transaction would
        // hold it until its connection is next used).
        tx.rollback().await?;
        return Ok(false);
    }
    let ladder = crate::sync::area_ladder(&mut tx).await?;
    reproject_people(&mut tx, &ladder, now).await?;
    sqlx::query("UPDATE settings SET value = $1 WHERE key = 'projection_version'")
        .bind(VERSION.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Rewrites every row derived from `record`. `ladder` is the area's ladder.
pub async fn project(
    conn: &mut AnyConnection,
    record: &Record,
    ladder: &Ladder,
    now: Timestamp,
) -> Result<()> {
    match record {
        Record::Person(p) => project_person(conn, p, ladder, now).await,
        Record::Event(e) => project_event(conn, e).await,
        Record::Area(a) => project_area(conn, a).await,
        Record::Address(a) => project_address(conn, a).await,
    }
}

/// The key that finds a door already held (see [`NewAddress::door_key`]).
pub fn door_key(address: &NewAddress) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(address.door_key().as_bytes()))
}

async fn project_address(conn: &mut AnyConnection, a: &Address) -> Result<()> {
    delete_rows(conn, a.id, &ADDRESS_ROWS).await?;
    let id = a.id.to_string();
    let key = door_key(&a.details());
    sqlx::query(
        "INSERT INTO addresses (id, patch, door_key, do_not_knock) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(&a.patch)
    .bind(key)
    .bind(i64::from(a.do_not_knock))
    .execute(&mut *conn)
    .await?;
    for v in &a.visits {
        sqlx::query(
            "INSERT INTO door_visits (id, address_id, patch, at, outcome) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(v.id.to_string())
        .bind(&id)
        .bind(&a.patch)
        .bind(v.at.as_millis())
        .bind(v.outcome.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rewrites every person's rows with `ladder` (after the area's ladder changed).
pub async fn reproject_people(
    conn: &mut AnyConnection,
    ladder: &Ladder,
    now: Timestamp,
) -> Result<()> {
    let mut pages = PeoplePages::default();
    while let Some(people) = pages.next(conn).await? {
        for p in &people {
            project_person(conn, p, ladder, now).await?;
        }
    }
    Ok(())
}

/// Every person document, a page at a time (in id order), so a million
/// people never sit in memory.
#[derive(Debug, Default)]
pub struct PeoplePages {
    after: String,
}

impl PeoplePages {
    /// People per page.
    const PAGE: i64 = 200;

    /// The next page of people, or `None` after the last.
    pub async fn next(&mut self, conn: &mut AnyConnection) -> Result<Option<Vec<Person>>> {
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, bytes FROM documents WHERE kind = 'person' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(&self.after)
        .bind(Self::PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some((last, _)) = rows.last() else {
            return Ok(None);
        };
        self.after = last.clone();
        let mut people = Vec::with_capacity(rows.len());
        for (_, bytes) in &rows {
            if let Record::Person(p) = sync_core::read_record(bytes)? {
                people.push(p);
            }
        }
        Ok(Some(people))
    }
}

/// The rows derived from a person.
const PERSON_ROWS: [&str; 5] = [
    "DELETE FROM people WHERE id = $1",
    "DELETE FROM interactions WHERE person_id = $1",
    "DELETE FROM stages WHERE person_id = $1",
    "DELETE FROM roles WHERE person_id = $1",
    "DELETE FROM champion_contacts WHERE person_id = $1",
];
/// The rows derived from an event.
const EVENT_ROWS: [&str; 1] = ["DELETE FROM events WHERE id = $1"];
/// The rows derived from an area configuration.
const AREA_ROWS: [&str; 2] = [
    "DELETE FROM patches WHERE area_id = $1",
    "DELETE FROM areas WHERE id = $1",
];

/// The rows derived from an address.
const ADDRESS_ROWS: [&str; 2] = [
    "DELETE FROM door_visits WHERE address_id = $1",
    "DELETE FROM addresses WHERE id = $1",
];

/// Deletes every row derived from a document, whatever its kind (erasure).
pub async fn remove(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    delete_rows(conn, id, &PERSON_ROWS).await?;
    delete_rows(conn, id, &EVENT_ROWS).await?;
    delete_rows(conn, id, &AREA_ROWS).await?;
    delete_rows(conn, id, &ADDRESS_ROWS).await
}

/// Runs `deletes` for the document `id`. Rewriting a record deletes only
/// its own kind's rows: every statement costs a round trip to SQLite's
/// worker thread, on every merge.
async fn delete_rows(conn: &mut AnyConnection, id: DocId, deletes: &[&'static str]) -> Result<()> {
    let id = id.to_string();
    for sql in deletes {
        sqlx::query(*sql).bind(&id).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn project_person(
    conn: &mut AnyConnection,
    p: &Person,
    ladder: &Ladder,
    now: Timestamp,
) -> Result<()> {
    delete_rows(conn, p.id, &PERSON_ROWS).await?;
    let id = p.id.to_string();
    let progress = ladder.progress(p, now);
    let residency: Vec<&str> = p.residency.iter().map(|r| r.as_str()).collect();
    let activity = p
        .interactions
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                InteractionKind::Attendance { .. }
                    | InteractionKind::Volunteering { .. }
                    | InteractionKind::WorkingGroup { .. }
                    | InteractionKind::Role { .. }
            )
        })
        .count();
    sqlx::query(
        "INSERT INTO people (id, area, patch, entry_channel, age_band, tenure, language, ethnicity, \
         residency, do_not_contact, created_by, created_at, first_contact_at, highest_stage, \
         conversation_at, participant_at, activity) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&id)
    .bind(&p.area)
    .bind(&p.patch)
    .bind(p.entry_channel.as_str())
    .bind(p.age_band.map(|b| b.as_str()))
    .bind(p.tenure.map(|t| t.as_str()))
    .bind(p.language.as_deref())
    .bind(
        p.ethnicity
            .as_deref()
            .filter(|_| p.has_consent(ConsentPurpose::EqualityMonitoring)),
    )
    .bind(residency.join(","))
    .bind(i64::from(p.do_not_contact))
    .bind(p.created_by.to_string())
    .bind(p.created_at.as_millis())
    .bind(progress.reached_at(0).map(Timestamp::as_millis))
    .bind(progress.highest.map(|h| h as i64))
    .bind(StageRule::Conversation.evidence(p, now).map(Timestamp::as_millis))
    .bind(StageRule::Participant.evidence(p, now).map(Timestamp::as_millis))
    .bind(activity as i64)
    .execute(&mut *conn)
    .await?;
    // Reports count people from the first stage on: someone who has not
    // reached it has no stage rows.
    let stages = if progress.reached.first().is_some_and(Option::is_some) {
        progress.reached.as_slice()
    } else {
        &[]
    };
    for (stage, reached) in stages.iter().enumerate() {
        if let Some(at) = reached {
            let days_from_previous = stage
                .checked_sub(1)
                .and_then(|previous| progress.reached[previous])
                .map(|before| (at.as_millis() - before.as_millis()) / Timestamp::DAY_MILLIS);
            sqlx::query(
                "INSERT INTO stages (person_id, stage, stage_key, reached_at, days_from_previous) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(stage as i64)
            .bind(&ladder.stages()[stage].key)
            .bind(at.as_millis())
            .bind(days_from_previous)
            .execute(&mut *conn)
            .await?;
        }
    }
    let first_attendance = first_attendances(p);
    // Per champion: (doors knocked, conversations).
    let mut doorsteps: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for i in &p.interactions {
        if let InteractionKind::Doorstep(d) = &i.kind {
            let entry = doorsteps.entry(i.recorded_by.to_string()).or_default();
            entry.0 += 1;
            entry.1 += i64::from(d.outcome == DoorOutcome::Spoke);
        }
    }
    for (champion, (knocks, conversations)) in doorsteps {
        sqlx::query(
            "INSERT INTO champion_contacts (person_id, recorded_by, patch, knocks, conversations) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(champion)
        .bind(&p.patch)
        .bind(knocks)
        .bind(conversations)
        .execute(&mut *conn)
        .await?;
    }
    for i in &p.interactions {
        let (outcome, event, follow_up) = match &i.kind {
            InteractionKind::Doorstep(d) => (Some(d.outcome.as_str()), None, d.follow_up.as_ref()),
            InteractionKind::EventSignUp { event } | InteractionKind::Attendance { event } => {
                (None, Some(*event), None)
            }
            InteractionKind::Volunteering { event, .. } => (None, *event, None),
            _ => (None, None, None),
        };
        sqlx::query(
            "INSERT INTO interactions (id, person_id, kind, at, recorded_by, outcome, event_id, \
             follow_up_owed, follow_up_due, follow_up_done_at, patch, first_attendance) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(i.id.to_string())
        .bind(&id)
        .bind(i.kind.tag())
        .bind(i.at.as_millis())
        .bind(i.recorded_by.to_string())
        .bind(outcome)
        .bind(event.map(|e| e.to_string()))
        .bind(i64::from(follow_up.is_some()))
        .bind(follow_up.and_then(|f| f.due).map(Timestamp::as_millis))
        .bind(
            follow_up
                .and_then(|f| f.done.as_ref())
                .map(|d| d.at.as_millis()),
        )
        .bind(&p.patch)
        .bind(first_attendance.get(&i.id).copied())
        .execute(&mut *conn)
        .await?;
        let membership = match &i.kind {
            InteractionKind::Role { role, start, end } => {
                Some(("role", role.as_str(), *start, *end))
            }
            InteractionKind::WorkingGroup { group, start, end } => {
                Some(("working-group", group.as_str(), *start, *end))
            }
            _ => None,
        };
        if let Some((kind, name, start, end)) = membership {
            sqlx::query("INSERT INTO roles (id, person_id, kind, name, start_at, end_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(i.id.to_string())
                .bind(&id)
                .bind(kind)
                .bind(name)
                .bind(start.as_millis())
                .bind(end.map(Timestamp::as_millis))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Per attendance, its `interactions.first_attendance`: 1 for the person's
/// first attendance at anything, 0 for their first at each later event.
/// Repeats at an event already attended (recorded twice) are left out, so
/// they are stored as NULL and attendees are counted once.
fn first_attendances(p: &Person) -> BTreeMap<EntryId, i64> {
    let mut attendances: Vec<(Timestamp, EntryId, DocId)> = p
        .interactions
        .iter()
        .filter_map(|i| match i.kind {
            InteractionKind::Attendance { event } => Some((i.at, i.id, event)),
            _ => None,
        })
        .collect();
    attendances.sort_unstable();
    let mut seen = BTreeSet::new();
    let mut flags = BTreeMap::new();
    for (_, id, event) in attendances {
        if seen.insert(event) {
            flags.insert(id, i64::from(flags.is_empty()));
        }
    }
    flags
}

async fn project_event(conn: &mut AnyConnection, e: &Event) -> Result<()> {
    delete_rows(conn, e.id, &EVENT_ROWS).await?;
    sqlx::query(
        "INSERT INTO events (id, area, patch, title, kind, starts_at, ends_at, place, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.id.to_string())
    .bind(&e.area)
    .bind(&e.patch)
    .bind(&e.title)
    .bind(e.kind.as_str())
    .bind(e.starts_at.as_millis())
    .bind(e.ends_at.map(Timestamp::as_millis))
    .bind(e.place.as_deref())
    .bind(e.created_by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn project_area(conn: &mut AnyConnection, a: &AreaConfig) -> Result<()> {
    delete_rows(conn, a.id, &AREA_ROWS).await?;
    let id = a.id.to_string();
    sqlx::query("INSERT INTO areas (id, area, name, threshold_percent) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(&a.area)
        .bind(&a.name)
        .bind(i64::from(a.resident_led_threshold_percent))
        .execute(&mut *conn)
        .await?;
    for p in &a.patches {
        sqlx::query(
            "INSERT INTO patches (area_id, slug, name, households) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&p.id)
        .bind(&p.name)
        .bind(i64::from(p.households))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
