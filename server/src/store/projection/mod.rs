//! Projections: relational rows derived from each record ([`derive`]),
//! rewritten in the same transaction as the merge that changed it, for
//! reports. They hold no name or contact detail.

mod derive;
mod doors;
mod rewrite;
mod value;

pub use derive::{TOPIC, WANTS_TO_JOIN};

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use sync_core::{DocId, Ladder, NewAddress, Record, Timestamp};

use self::rewrite::{delete_keys, keep_changed, read_rows, update_in_place};
use self::value::Value;
use super::documents::PeoplePages;
use super::{Backend, Db, MAX_PARAMS, area, placeholders};
use crate::error::Result;

/// The shape of the projections. Bump it when what they hold changes:
/// [`rebuild_if_outdated`] then rewrites every person's rows once, from
/// the documents, when the server next starts.
///
/// 9: events' cancellation and headcount; the stages people held. 13: topics
/// raised, with their month and any promise. 11: working groups. 14: all of them
/// together. 15: whether an attendee held a role when they came. 16: where
/// each door is (the map of patches). 17: a member's first contact and
/// record key on each role and membership.
///
/// A new column whose values the projections already hold elsewhere needs
/// no bump: its migration copies them (as 0042 copies each person's first
/// contact and step onto the rows joined to them).
pub const VERSION: i64 = 17;

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
    let ladder = area::ladder(db, &mut tx).await?;
    reproject_people(&mut tx, &ladder, now).await?;
    reproject_events(&mut tx).await?;
    reproject_groups(&mut tx, &ladder, now).await?;
    doors::reproject_addresses(&mut tx, &ladder, now).await?;
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

/// Rewrites every event's row (events are few: one batch).
async fn reproject_events(conn: &mut AnyConnection) -> Result<()> {
    let mut rows = Rows::default();
    for bytes in super::documents::event_documents(conn).await? {
        if let Record::Event(e) = sync_core::read_record(&bytes)? {
            rows.delete(EVENT_ROWS, e.id);
            rows.add_event(&e);
        }
    }
    rows.write(conn).await
}

/// Rewrites every working group's rows (groups held before they had any).
async fn reproject_groups(conn: &mut AnyConnection, ladder: &Ladder, now: Timestamp) -> Result<()> {
    let mut rows = Rows::default();
    for bytes in super::documents::of_kind(conn, "group").await? {
        rows.replace(&sync_core::read_record(&bytes)?, ladder, now);
    }
    rows.write(conn).await
}

/// The tables holding rows derived from `record`.
fn owned_by(record: &Record) -> Owned {
    match record {
        Record::Person(_) => PERSON_ROWS,
        Record::Event(_) => EVENT_ROWS,
        Record::Area(_) => AREA_ROWS,
        Record::Address(_) => ADDRESS_ROWS,
        Record::Group(_) => GROUP_ROWS,
    }
}

/// Deletes every row derived from a document, whatever its kind (erasure).
pub async fn remove(conn: &mut AnyConnection, id: DocId) -> Result<()> {
    let mut rows = Rows::default();
    for owned in [PERSON_ROWS, EVENT_ROWS, AREA_ROWS, ADDRESS_ROWS, GROUP_ROWS] {
        rows.delete(owned, id);
    }
    rows.write(conn).await
}

/// A projection table and its columns, in the order rows give them.
#[derive(Debug)]
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    /// How many leading columns make the table's primary key. The first is
    /// always text (an id).
    key: usize,
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
        "record_key",
        "household",
        "household_key",
        "held_stages",
    ],
    key: 1,
};
const STAGES: Table = Table {
    name: "stages",
    columns: &[
        "person_id",
        "stage",
        "stage_key",
        "reached_at",
        "days_from_previous",
        "first_contact_at",
        "highest_stage",
    ],
    key: 2,
};
const CHAMPION_CONTACTS: Table = Table {
    name: "champion_contacts",
    columns: &[
        "person_id",
        "recorded_by",
        "patch",
        "knocks",
        "conversations",
        "first_contact_at",
        "highest_stage",
    ],
    key: 2,
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
        "record_key",
        "holding_role",
        "first_contact_at",
        "highest_stage",
    ],
    key: 1,
};
const TOPICS_RAISED: Table = Table {
    name: "topics_raised",
    columns: &[
        "interaction_id",
        "kind",
        "topic",
        "person_id",
        "patch",
        "at",
        "month",
        "follow_up_owed",
        "follow_up_due",
        "follow_up_done_at",
    ],
    key: 3,
};
const ROLES: Table = Table {
    name: "roles",
    columns: &[
        "id",
        "person_id",
        "kind",
        "name",
        "start_at",
        "end_at",
        "hats",
        "first_contact_at",
        "record_key",
        "highest_stage",
    ],
    key: 1,
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
        "cancelled",
        "headcount",
    ],
    key: 1,
};
const WORKING_GROUPS: Table = Table {
    name: "working_groups",
    columns: &[
        "id",
        "area",
        "patch",
        "name",
        "topics",
        "devolved_budget",
        "devolved_decisions",
        "constituted",
        "lead",
        "closed",
        "created_at",
    ],
    key: 1,
};
const AREAS: Table = Table {
    name: "areas",
    columns: &["id", "area", "name", "threshold_percent"],
    key: 1,
};
const PATCHES: Table = Table {
    name: "patches",
    columns: &["area_id", "slug", "name", "households"],
    key: 2,
};
const ADDRESSES: Table = Table {
    name: "addresses",
    columns: &[
        "id",
        "patch",
        "door_key",
        "do_not_knock",
        "latitude_e6",
        "longitude_e6",
    ],
    key: 1,
};
const DOOR_VISITS: Table = Table {
    name: "door_visits",
    columns: &["id", "address_id", "patch", "at", "outcome"],
    key: 1,
};

impl Table {
    /// Its columns for a `SELECT`, each cast to text (see [`TextRow`]).
    fn columns_as_text(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect();
        columns.join(", ")
    }
}

/// The rows derived from one kind of record: each table, and the column
/// naming the record.
type Owned = &'static [(&'static Table, &'static str)];

const PERSON_ROWS: Owned = &[
    (&PEOPLE, "id"),
    (&INTERACTIONS, "person_id"),
    (&STAGES, "person_id"),
    (&ROLES, "person_id"),
    (&CHAMPION_CONTACTS, "person_id"),
    (&TOPICS_RAISED, "person_id"),
];
const EVENT_ROWS: Owned = &[(&EVENTS, "id")];
const AREA_ROWS: Owned = &[(&PATCHES, "area_id"), (&AREAS, "id")];
const ADDRESS_ROWS: Owned = &[(&DOOR_VISITS, "address_id"), (&ADDRESSES, "id")];
const GROUP_ROWS: Owned = &[(&WORKING_GROUPS, "id")];

/// Projection rows to rewrite, for any number of records, written by
/// [`Rows::write`] in a few multi-row statements: each statement costs a
/// round trip to SQLite's worker thread, so one per row would dominate a
/// merge.
#[derive(Debug, Default)]
pub struct Rows {
    /// Records whose rows all go: ids per (table, column naming the record).
    deleted: BTreeMap<(&'static str, &'static str), Vec<String>>,
    /// Records whose rows are rewritten: ids per (table, column naming the
    /// record). Only their rows that changed are written.
    replaced: BTreeMap<(&'static str, &'static str), (&'static Table, Vec<String>)>,
    /// Rows to insert, per table: their values, row after row.
    inserted: BTreeMap<&'static str, (&'static Table, Vec<Value>)>,
}

/// A stored row read back as text (`CAST(... AS TEXT)`, the same on both
/// databases), or a new row put the same way, to compare them.
type TextRow = Vec<Option<String>>;

impl Rows {
    /// Rewrites every row derived from `record`. `ladder` is the area's
    /// ladder. A record is in a batch at most once.
    ///
    /// Only what changed is written: its stored rows are read back, those
    /// the record still derives are left alone, those it derives with other
    /// values are updated in place, and the rest are deleted or inserted.
    /// A revisit adds one conversation to a person, and deleting and
    /// inserting every row of theirs again (each with its index entries) was
    /// a third of the server's CPU and half its disk writes under load.
    pub fn replace(&mut self, record: &Record, ladder: &Ladder, now: Timestamp) {
        let id = record.id().to_string();
        for &(table, column) in owned_by(record) {
            self.replaced
                .entry((table.name, column))
                .or_insert_with(|| (table, Vec::new()))
                .1
                .push(id.clone());
        }
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
            Record::Group(g) => self.add_group(g),
        }
    }

    /// Writes the batch: for rewritten records, reads their stored rows,
    /// deletes those stale and updates those changed in place; then every
    /// delete, then every insert.
    pub async fn write(mut self, conn: &mut AnyConnection) -> Result<()> {
        let backend = Backend::of(conn);
        for (&(name, column), (table, ids)) in &self.replaced {
            let mut stored = read_rows(conn, table, column, ids).await?;
            let updates = match self.inserted.get_mut(name) {
                Some((_, values)) => keep_changed(table, values, &mut stored),
                None => Vec::new(),
            };
            delete_keys(conn, table, stored.into_keys().collect()).await?;
            update_in_place(conn, table, updates).await?;
        }
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
        for &(table, column) in owned {
            self.deleted
                .entry((table.name, column))
                .or_default()
                .push(id.clone());
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
}

/// Whether any person is held.
pub async fn has_people(conn: &mut AnyConnection) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM people LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Whether a door with this [`door_key`] is held.
pub async fn door_held(conn: &mut AnyConnection, key: &str) -> Result<bool> {
    Ok(door_id(conn, key).await?.is_some())
}

/// The door with this [`door_key`], if it is held.
pub async fn door_id(conn: &mut AnyConnection, key: &str) -> Result<Option<DocId>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM addresses WHERE door_key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(id,)| {
        id.parse()
            .map_err(|_| crate::error::Error::Corrupt(format!("door id {id}")))
    })
    .transpose()
}

/// A stage a person reached, as projected.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StageReached {
    /// Its index on the ladder.
    pub stage: i64,
    /// Its key.
    pub stage_key: String,
    /// When (ms since the epoch).
    pub reached_at: i64,
}

/// The stages a person reached, first first.
pub async fn stages_of(conn: &mut AnyConnection, id: DocId) -> Result<Vec<StageReached>> {
    Ok(sqlx::query_as(
        "SELECT stage, stage_key, reached_at FROM stages WHERE person_id = $1 ORDER BY stage",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?)
}

#[cfg(test)]
mod migration_tests;
#[cfg(test)]
mod tests {
    use super::rewrite::text_row;
    use super::*;
    use sync_core::{
        DeviceId, DoorOutcome, Doorstep, EntryChannel, EntryId, Interaction, InteractionKind,
        Person, ResidentBasis, Role,
    };

    const DAY: i64 = Timestamp::DAY_MILLIS;

    pub(super) fn person(champion: DeviceId, start: Timestamp) -> Person {
        let at = |days: i64| Timestamp::from_millis(start.as_millis() + days * DAY);
        let interaction = |days: i64, kind: InteractionKind| Interaction {
            id: EntryId::new(at(days)),
            at: at(days),
            recorded_by: champion,
            kind,
        };
        Person {
            id: DocId::new(start),
            area: "our-area".into(),
            patch: "north".into(),
            entry_channel: EntryChannel::Doorstep,
            name: None,
            household: None,
            phone: None,
            email: None,
            residency: [ResidentBasis::Lives].into(),
            age_band: None,
            tenure: None,
            language: Some("english".into()),
            ethnicity: None,
            interests: Default::default(),
            consents: Vec::new(),
            do_not_contact: false,
            interactions: vec![
                interaction(
                    0,
                    InteractionKind::Doorstep(Doorstep::new(DoorOutcome::NotIn)),
                ),
                interaction(
                    1,
                    InteractionKind::Doorstep(Doorstep::new(DoorOutcome::Spoke)),
                ),
                interaction(
                    2,
                    InteractionKind::Role {
                        role: Role::PartnershipMember,
                        start: at(2),
                        end: None,
                        hats: Default::default(),
                    },
                ),
            ],
            created_by: champion,
            created_at: start,
        }
    }

    /// Every row of a person's tables, as text.
    pub(super) async fn person_rows(
        conn: &mut AnyConnection,
    ) -> BTreeMap<&'static str, Vec<TextRow>> {
        let mut all = BTreeMap::new();
        for &(table, _) in PERSON_ROWS {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                table.columns_as_text(),
                table.name,
                table.columns[..table.key].join(", ")
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await
                .expect("rows");
            let rows = rows
                .iter()
                .map(|row| text_row(row, table.columns.len()).expect("text"))
                .collect();
            all.insert(table.name, rows);
        }
        all
    }

    /// Where each people row is stored (SQLite's rowid), in id order: a row
    /// deleted and inserted again moves, one updated in place stays.
    async fn row_places(conn: &mut AnyConnection) -> Vec<i64> {
        sqlx::query_scalar("SELECT rowid FROM people ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .expect("rowids")
    }

    /// Rows this connection has inserted, updated or deleted so far.
    async fn rows_written(conn: &mut AnyConnection) -> i64 {
        sqlx::query_scalar("SELECT total_changes()")
            .fetch_one(&mut *conn)
            .await
            .expect("total_changes")
    }

    /// A rewrite compares with the stored rows and writes only the
    /// difference: what it leaves must be exactly what writing every row
    /// afresh leaves, in fewer row writes.
    #[tokio::test]
    async fn a_rewrite_writes_only_what_changed_and_leaves_what_a_fresh_write_would() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let mut conn = db.pool.acquire().await.expect("connection");
        let start = Timestamp::from_millis(1_789_000_000_000);
        let now = Timestamp::from_millis(start.as_millis() + 10 * DAY);
        let ladder = Ladder::default();
        let (champion, other_champion) = (DeviceId::new(start), DeviceId::new(now));
        let before = person(champion, start);
        project(&mut conn, &Record::Person(before.clone()), &ladder, now)
            .await
            .expect("first write");
        let first = person_rows(&mut conn).await;

        // A revisit by another champion, with the role dropped: a row added
        // (the conversation), rows changed (the person's counts), rows of a
        // two-column key added and gone (champion contacts, stages), a row
        // gone (the role).
        let mut after = before.clone();
        after
            .interactions
            .retain(|i| !matches!(i.kind, InteractionKind::Role { .. }));
        after.interactions.push(Interaction {
            id: EntryId::new(now),
            at: now,
            recorded_by: other_champion,
            kind: InteractionKind::Doorstep(Doorstep::new(DoorOutcome::Spoke)),
        });
        let places_before = row_places(&mut conn).await;
        project(&mut conn, &Record::Person(after.clone()), &ladder, now)
            .await
            .expect("rewrite");
        let rewritten = person_rows(&mut conn).await;
        // The person's changed row was updated where it was, not deleted
        // and inserted again (which rewrites every index of the table).
        assert_eq!(places_before, row_places(&mut conn).await);
        let fresh_rows = |person: &Person| {
            let mut fresh = Rows::default();
            fresh.delete(PERSON_ROWS, person.id);
            fresh.add(&Record::Person(person.clone()), &ladder, now);
            fresh
        };
        fresh_rows(&after)
            .write(&mut conn)
            .await
            .expect("fresh write");
        assert_eq!(rewritten, person_rows(&mut conn).await);
        assert!(
            rewritten["roles"].is_empty(),
            "the dropped role's row is gone"
        );
        assert_eq!(rewritten["champion_contacts"].len(), 2);
        assert_eq!(rewritten["interactions"].len(), 3);
        assert_ne!(first["stages"], rewritten["stages"], "the stages changed");
        assert_ne!(first["people"], rewritten["people"], "the person changed");

        // Another conversation, with a follow-up promised, which leaves the
        // step where it was: the rows it does not change are left alone.
        let mut promised = Doorstep::new(DoorOutcome::Spoke);
        promised.follow_up = Some(sync_core::FollowUp {
            what: "the youth club's times".into(),
            due: None,
            done: None,
        });
        after.interactions.push(Interaction {
            id: EntryId::new(Timestamp::from_millis(now.as_millis() + 1)),
            at: now,
            recorded_by: other_champion,
            kind: InteractionKind::Doorstep(promised),
        });
        let written_before = rows_written(&mut conn).await;
        project(&mut conn, &Record::Person(after.clone()), &ladder, now)
            .await
            .expect("rewrite");
        let rewrite_cost = rows_written(&mut conn).await - written_before;
        let rewritten = person_rows(&mut conn).await;
        let written_before = rows_written(&mut conn).await;
        fresh_rows(&after)
            .write(&mut conn)
            .await
            .expect("fresh write");
        let fresh_cost = rows_written(&mut conn).await - written_before;
        assert_eq!(rewritten, person_rows(&mut conn).await);
        // The conversations logged before, among others, were left alone.
        assert!(
            rewrite_cost + 4 <= fresh_cost,
            "{rewrite_cost} rows written against {fresh_cost} afresh"
        );

        // Rewriting with nothing changed writes nothing.
        let written_before = rows_written(&mut conn).await;
        project(&mut conn, &Record::Person(after.clone()), &ladder, now)
            .await
            .expect("rewrite again");
        assert_eq!(rows_written(&mut conn).await, written_before);

        // Every interaction row carries its person's record key (the
        // attendance index sums them for viewers' figures), and the key is
        // the same whenever the rows are written.
        let keys: Vec<(i64,)> = sqlx::query_as(
            "SELECT record_key FROM people UNION ALL SELECT record_key FROM interactions",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("keys");
        assert_eq!(keys.len(), 1 + after.interactions.len());
        assert!(keys.iter().all(|k| *k == keys[0] && k.0 != 0), "{keys:?}");

        // Every row that reports join to the person (their steps, their
        // follow-ups, their champions' contacts) carries their first contact
        // and the step they reached now (the dropped role took them down
        // from Partnership member), so that a report chosen by dates or a
        // step alone reads those rows by themselves. Other interactions
        // carry neither.
        let steps: Vec<(Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT first_contact_at, highest_stage FROM people \
             UNION ALL SELECT first_contact_at, highest_stage FROM stages \
             UNION ALL SELECT first_contact_at, highest_stage FROM interactions \
             WHERE follow_up_owed = 1 \
             UNION ALL SELECT first_contact_at, highest_stage FROM champion_contacts",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("steps");
        let first_step: Vec<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT first_contact_at, highest_stage FROM people")
                .fetch_all(&mut *conn)
                .await
                .expect("step");
        assert_eq!(
            first_step,
            [(Some(start.as_millis()), Some(1))],
            "first contacted at the start, at Conversation now"
        );
        assert_eq!(steps.len(), 1 + 2 + 1 + 2);
        assert!(steps.iter().all(|s| *s == first_step[0]), "{steps:?}");
        let unmarked: Vec<(Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT first_contact_at, highest_stage FROM interactions WHERE follow_up_owed = 0",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("other interactions");
        assert_eq!(unmarked, [(None, None); 3]);
    }
}
