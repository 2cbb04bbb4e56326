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

use crate::db::{Backend, Db, MAX_PARAMS, placeholders};
use crate::error::Result;

/// The shape of the projections. Bump it when what they hold changes:
/// [`rebuild_if_outdated`] then rewrites every person's rows once, from
/// the documents, when the server next starts.
pub const VERSION: i64 = 3;

/// Rewrites every person's rows if they were written by an older
/// [`VERSION`]. Servers starting together take turns: the first rebuilds,
/// the others find the version current.
pub async fn rebuild_if_outdated(db: &Db, now: Timestamp) -> Result<bool> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
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
    let mut rows = Rows::default();
    rows.replace(record, ladder, now);
    rows.write(conn).await
}

/// The key that finds a door already held (see [`NewAddress::door_key`]).
pub fn door_key(address: &NewAddress) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(address.door_key().as_bytes()))
}

/// Rewrites every person's rows with `ladder` (after the area's ladder changed).
pub async fn reproject_people(
    conn: &mut AnyConnection,
    ladder: &Ladder,
    now: Timestamp,
) -> Result<()> {
    let mut pages = PeoplePages::default();
    while let Some(people) = pages.next(conn).await? {
        let mut rows = Rows::default();
        for p in &people {
            rows.delete(PERSON_ROWS, p.id);
            rows.add_person(p, ladder, now);
        }
        rows.write(conn).await?;
    }
    Ok(())
}

/// Every person document, a page at a time (in id order), so a million
/// people never sit in memory. Each page is decoded on a blocking thread,
/// away from the tasks answering requests.
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
        match tokio::task::spawn_blocking(move || Self::decode(&rows)).await {
            Ok(people) => people.map(Some),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    fn decode(rows: &[(String, Vec<u8>)]) -> Result<Vec<Person>> {
        let mut people = Vec::with_capacity(rows.len());
        for (_, bytes) in rows {
            if let Record::Person(p) = sync_core::read_record(bytes)? {
                people.push(p);
            }
        }
        Ok(people)
    }
}

/// Deletes every row derived from a document, whatever its kind (erasure).
pub async fn remove(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    let mut rows = Rows::default();
    for owned in [PERSON_ROWS, EVENT_ROWS, AREA_ROWS, ADDRESS_ROWS] {
        rows.delete(owned, id);
    }
    rows.write(conn).await
}

/// A value in a projection row, of a type both databases share.
#[derive(Debug, Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

/// A projection table and its columns, in the order rows give them.
#[derive(Debug)]
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
}

const PEOPLE: Table = Table {
    name: "people",
    columns: &[
        "id",
        "area",
        "patch",
        "entry_channel",
        "age_band",
        "tenure",
        "language",
        "ethnicity",
        "residency",
        "do_not_contact",
        "created_by",
        "created_at",
        "first_contact_at",
        "highest_stage",
        "conversation_at",
        "participant_at",
        "activity",
    ],
};
const STAGES: Table = Table {
    name: "stages",
    columns: &[
        "person_id",
        "stage",
        "stage_key",
        "reached_at",
        "days_from_previous",
    ],
};
const CHAMPION_CONTACTS: Table = Table {
    name: "champion_contacts",
    columns: &[
        "person_id",
        "recorded_by",
        "patch",
        "knocks",
        "conversations",
    ],
};
const INTERACTIONS: Table = Table {
    name: "interactions",
    columns: &[
        "id",
        "person_id",
        "kind",
        "at",
        "recorded_by",
        "outcome",
        "event_id",
        "follow_up_owed",
        "follow_up_due",
        "follow_up_done_at",
        "patch",
        "first_attendance",
    ],
};
const ROLES: Table = Table {
    name: "roles",
    columns: &["id", "person_id", "kind", "name", "start_at", "end_at"],
};
const EVENTS: Table = Table {
    name: "events",
    columns: &[
        "id",
        "area",
        "patch",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "place",
        "created_by",
    ],
};
const AREAS: Table = Table {
    name: "areas",
    columns: &["id", "area", "name", "threshold_percent"],
};
const PATCHES: Table = Table {
    name: "patches",
    columns: &["area_id", "slug", "name", "households"],
};
const ADDRESSES: Table = Table {
    name: "addresses",
    columns: &["id", "patch", "door_key", "do_not_knock"],
};
const DOOR_VISITS: Table = Table {
    name: "door_visits",
    columns: &["id", "address_id", "patch", "at", "outcome"],
};

/// The rows derived from one kind of record: each table, and the column
/// naming the record.
type Owned = &'static [(&'static str, &'static str)];

const PERSON_ROWS: Owned = &[
    ("people", "id"),
    ("interactions", "person_id"),
    ("stages", "person_id"),
    ("roles", "person_id"),
    ("champion_contacts", "person_id"),
];
const EVENT_ROWS: Owned = &[("events", "id")];
const AREA_ROWS: Owned = &[("patches", "area_id"), ("areas", "id")];
const ADDRESS_ROWS: Owned = &[("door_visits", "address_id"), ("addresses", "id")];

/// Projection rows to rewrite, for any number of records, written by
/// [`Rows::write`] in a few multi-row statements: each statement costs a
/// round trip to SQLite's worker thread, so one per row would dominate a
/// merge.
#[derive(Debug, Default)]
pub struct Rows {
    /// Rows to delete: ids per (table, column naming the record).
    deleted: BTreeMap<(&'static str, &'static str), Vec<String>>,
    /// Rows to insert, per table: their values, row after row.
    inserted: BTreeMap<&'static str, (&'static Table, Vec<Value>)>,
}

impl Rows {
    /// Replaces every row derived from `record`: its old rows are deleted
    /// first. `ladder` is the area's ladder. A record is in a batch at most
    /// once.
    pub fn replace(&mut self, record: &Record, ladder: &Ladder, now: Timestamp) {
        let owned = match record {
            Record::Person(_) => PERSON_ROWS,
            Record::Event(_) => EVENT_ROWS,
            Record::Area(_) => AREA_ROWS,
            Record::Address(_) => ADDRESS_ROWS,
        };
        self.delete(owned, record.id());
        self.add(record, ladder, now);
    }

    /// Adds the rows derived from a record the server did not hold before,
    /// so there are no old rows to delete.
    pub fn add(&mut self, record: &Record, ladder: &Ladder, now: Timestamp) {
        match record {
            Record::Person(p) => self.add_person(p, ladder, now),
            Record::Event(e) => self.add_event(e),
            Record::Area(a) => self.add_area(a),
            Record::Address(a) => self.add_address(a),
        }
    }

    /// Writes the batch: every delete, then every insert.
    pub async fn write(self, conn: &mut AnyConnection) -> Result<()> {
        let backend = Backend::of(conn);
        for ((table, column), ids) in &self.deleted {
            for chunk in ids.chunks(MAX_PARAMS) {
                let sql = format!(
                    "DELETE FROM {table} WHERE {column} IN ({})",
                    placeholders(backend, 0, chunk.len())
                );
                let mut query =
                    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == MAX_PARAMS);
                for id in chunk {
                    query = query.bind(id);
                }
                query.execute(&mut *conn).await?;
            }
        }
        for (table, values) in self.inserted.values() {
            let width = table.columns.len();
            let full = MAX_PARAMS / width * width;
            for chunk in values.chunks(full) {
                let rows: Vec<String> = (0..chunk.len() / width)
                    .map(|row| format!("({})", placeholders(backend, row * width, width)))
                    .collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    table.name,
                    table.columns.join(", "),
                    rows.join(", ")
                );
                let mut query =
                    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == full);
                for value in chunk {
                    query = match value {
                        Value::Int(v) => query.bind(*v),
                        Value::Text(v) => query.bind(v.clone()),
                    };
                }
                query.execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, owned: Owned, id: DocId) {
        let id = id.to_string();
        for &key in owned {
            self.deleted.entry(key).or_default().push(id.clone());
        }
    }

    fn insert<const N: usize>(&mut self, table: &'static Table, row: [Value; N]) {
        debug_assert_eq!(N, table.columns.len(), "{}", table.name);
        self.inserted
            .entry(table.name)
            .or_insert_with(|| (table, Vec::new()))
            .1
            .extend(row);
    }

    fn add_address(&mut self, a: &Address) {
        let id = a.id.to_string();
        self.insert(
            &ADDRESSES,
            [
                id.clone().into(),
                a.patch.as_str().into(),
                door_key(&a.details()).into(),
                i64::from(a.do_not_knock).into(),
            ],
        );
        for v in &a.visits {
            self.insert(
                &DOOR_VISITS,
                [
                    v.id.to_string().into(),
                    id.clone().into(),
                    a.patch.as_str().into(),
                    v.at.as_millis().into(),
                    v.outcome.as_str().into(),
                ],
            );
        }
    }

    fn add_person(&mut self, p: &Person, ladder: &Ladder, now: Timestamp) {
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
        self.insert(
            &PEOPLE,
            [
                id.clone().into(),
                p.area.as_str().into(),
                p.patch.as_str().into(),
                p.entry_channel.as_str().into(),
                p.age_band.map(|b| b.as_str()).into(),
                p.tenure.map(|t| t.as_str()).into(),
                p.language.as_deref().into(),
                p.ethnicity
                    .as_deref()
                    .filter(|_| p.has_consent(ConsentPurpose::EqualityMonitoring))
                    .into(),
                residency.join(",").into(),
                i64::from(p.do_not_contact).into(),
                p.created_by.to_string().into(),
                p.created_at.as_millis().into(),
                progress.reached_at(0).map(Timestamp::as_millis).into(),
                progress.highest.map(|h| h as i64).into(),
                StageRule::Conversation
                    .evidence(p, now)
                    .map(Timestamp::as_millis)
                    .into(),
                StageRule::Participant
                    .evidence(p, now)
                    .map(Timestamp::as_millis)
                    .into(),
                (activity as i64).into(),
            ],
        );
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
                self.insert(
                    &STAGES,
                    [
                        id.clone().into(),
                        (stage as i64).into(),
                        ladder.stages()[stage].key.as_str().into(),
                        at.as_millis().into(),
                        days_from_previous.into(),
                    ],
                );
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
            self.insert(
                &CHAMPION_CONTACTS,
                [
                    id.clone().into(),
                    champion.into(),
                    p.patch.as_str().into(),
                    knocks.into(),
                    conversations.into(),
                ],
            );
        }
        for i in &p.interactions {
            let (outcome, event, follow_up) = match &i.kind {
                InteractionKind::Doorstep(d) => {
                    (Some(d.outcome.as_str()), None, d.follow_up.as_ref())
                }
                InteractionKind::EventSignUp { event } | InteractionKind::Attendance { event } => {
                    (None, Some(*event), None)
                }
                InteractionKind::Volunteering { event, .. } => (None, *event, None),
                _ => (None, None, None),
            };
            self.insert(
                &INTERACTIONS,
                [
                    i.id.to_string().into(),
                    id.clone().into(),
                    i.kind.tag().into(),
                    i.at.as_millis().into(),
                    i.recorded_by.to_string().into(),
                    outcome.into(),
                    event.map(|e| e.to_string()).into(),
                    i64::from(follow_up.is_some()).into(),
                    follow_up
                        .and_then(|f| f.due)
                        .map(Timestamp::as_millis)
                        .into(),
                    follow_up
                        .and_then(|f| f.done.as_ref())
                        .map(|d| d.at.as_millis())
                        .into(),
                    p.patch.as_str().into(),
                    first_attendance.get(&i.id).copied().into(),
                ],
            );
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
                self.insert(
                    &ROLES,
                    [
                        i.id.to_string().into(),
                        id.clone().into(),
                        kind.into(),
                        name.into(),
                        start.as_millis().into(),
                        end.map(Timestamp::as_millis).into(),
                    ],
                );
            }
        }
    }

    fn add_event(&mut self, e: &Event) {
        self.insert(
            &EVENTS,
            [
                e.id.to_string().into(),
                e.area.as_str().into(),
                e.patch.as_str().into(),
                e.title.as_str().into(),
                e.kind.as_str().into(),
                e.starts_at.as_millis().into(),
                e.ends_at.map(Timestamp::as_millis).into(),
                e.place.as_deref().into(),
                e.created_by.to_string().into(),
            ],
        );
    }

    fn add_area(&mut self, a: &AreaConfig) {
        let id = a.id.to_string();
        self.insert(
            &AREAS,
            [
                id.clone().into(),
                a.area.as_str().into(),
                a.name.as_str().into(),
                i64::from(a.resident_led_threshold_percent).into(),
            ],
        );
        for p in &a.patches {
            self.insert(
                &PATCHES,
                [
                    id.clone().into(),
                    p.id.as_str().into(),
                    p.name.as_str().into(),
                    i64::from(p.households).into(),
                ],
            );
        }
    }
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
