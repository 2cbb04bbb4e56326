//! The queries behind the partnership reports: SQL aggregation over the
//! projections, each returning the few rows a report is computed from (in
//! `crate::reports`). No query returns a name or a contact detail.
//!
//! **Speed.** Each reads the `people` rows and small tables (stages through
//! a covering index, roles, events, open follow-ups, per-champion
//! summaries), never a scan of every interaction: see BENCHMARKS.md.
//! Filtered queries lead with the chosen people ([`Selection`]) and read
//! per-person covering indexes (migration 0005), except when only dates
//! and a stage choose: the rows joined to people carry their first
//! contact and step (migration 0042), so those queries read the table's
//! own index, as unfiltered.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sync_core::{DocId, DoorOutcome, Timestamp};

use super::Db;
use crate::error::Result;

mod door_map;
mod happened;
mod selection;
mod trends;

pub use door_map::{MapDoor, map_doors};
pub use happened::{Overdue, PromiseCounts, promise_days, promises, promises_kept, topics_raised};
pub use selection::Selection;
use selection::{SqlValue, bind};
pub use trends::{DayPeople, Reached, doors_by_week, people_by_day};

/// Runs a report query with the parameters bound in order.
async fn fetch_bound<T>(db: &Db, sql: String, values: Vec<SqlValue>) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = match value {
            SqlValue::Int(v) => query.bind(v),
            SqlValue::Text(v) => query.bind(v),
        };
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// People per (stage reached, whole days from the previous stage).
pub async fn stage_gaps(db: &Db, people: &Selection) -> Result<Vec<(i64, Option<i64>, i64)>> {
    // Stage rows exist only for people who reached the first stage, so
    // without filters (or with only dates and a stage) the covering index
    // on stages answers alone.
    let (leading, condition, values) = people.people_leading("s");
    fetch_bound(
        db,
        format!(
            "SELECT s.stage, s.days_from_previous, COUNT(*) FROM {leading} stages s \
             WHERE {condition} GROUP BY s.stage, s.days_from_previous"
        ),
        values,
    )
    .await
}

/// The sum of the record keys of the people counted (in `column`), for
/// the cell key method (`reports::cell_key`), when `keyed`; else 0, at no
/// cost (only viewers' figures need keys). PostgreSQL sums BIGINTs as
/// NUMERIC: the sum is cast back (keys are below 2^32, so a billion
/// people fit).
///
/// A sum of no rows (a group where nobody matches a `CASE`) is NULL in SQL:
/// it reads as 0.
fn keys(keyed: bool, column: &str) -> String {
    if keyed {
        format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)")
    } else {
        "0".to_owned()
    }
}

/// People per (entry channel, highest stage reached), with the sum of
/// their record keys if `keyed`.
pub async fn routes(
    db: &Db,
    people: &Selection,
    keyed: bool,
) -> Result<Vec<(String, i64, i64, i64)>> {
    let (condition, values) = people.condition();
    let keys = keys(keyed, "p.record_key");
    let sql = format!(
        "SELECT p.entry_channel, p.highest_stage, COUNT(*), {keys} FROM people p \
         WHERE {condition} AND p.highest_stage IS NOT NULL GROUP BY p.entry_channel, p.highest_stage"
    );
    fetch_bound(db, sql, values).await
}

/// People per (highest stage reached, stages held by their own evidence
/// as bits), with the sum of their record keys if `keyed`.
pub async fn stage_patterns(
    db: &Db,
    people: &Selection,
    keyed: bool,
) -> Result<Vec<(i64, i64, i64, i64)>> {
    let (condition, values) = people.condition();
    let keys = keys(keyed, "p.record_key");
    let sql = format!(
        "SELECT p.highest_stage, p.held_stages, COUNT(*), {keys} FROM people p \
         WHERE {condition} AND p.highest_stage IS NOT NULL GROUP BY p.highest_stage, p.held_stages"
    );
    fetch_bound(db, sql, values).await
}

/// People per group of (patch, age band, tenure, language, ethnicity):
/// how many were contacted, spoken with and took part.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReachGroup {
    /// Their patch.
    pub patch: String,
    /// Their age band, if known.
    pub age_band: Option<String>,
    /// Their tenure, if known.
    pub tenure: Option<String>,
    /// Their preferred language, if known.
    pub language: Option<String>,
    /// Their ethnic group (only with equality-monitoring consent).
    pub ethnicity: Option<String>,
    /// People contacted.
    pub contacts: i64,
    /// Of them, who reached the ladder's Conversation step or went further.
    pub conversations: i64,
    /// Of them, who reached the Participant step or went further.
    pub participants: i64,
    /// Of them, spoken with and took part (participants need not have
    /// been spoken with at the door: a sign-up at an event is not a
    /// conversation on every ladder).
    pub conversing_participants: i64,
    /// The sums of the record keys of the people in each of the four
    /// counts above, in their order (0 unless asked for).
    pub contacts_keys: i64,
    /// See `contacts_keys`.
    pub conversations_keys: i64,
    /// See `contacts_keys`.
    pub participants_keys: i64,
    /// See `contacts_keys`.
    pub conversing_participants_keys: i64,
}

/// Reach per group, in one pass over the `people_reach` covering index,
/// with the sums of record keys if `keyed`.
pub async fn reach_groups(db: &Db, people: &Selection, keyed: bool) -> Result<Vec<ReachGroup>> {
    let (condition, values) = people.condition();
    let sum = |when: &str| {
        keys(
            keyed,
            &format!("CASE WHEN {when} THEN p.record_key ELSE 0 END"),
        )
    };
    let sql = format!(
        "SELECT p.patch AS patch, p.age_band AS age_band, p.tenure AS tenure, \
         p.language AS language, p.ethnicity AS ethnicity, COUNT(*) AS contacts, \
         COUNT(p.conversation_at) AS conversations, COUNT(p.participant_at) AS participants, \
         COUNT(CASE WHEN p.conversation_at IS NOT NULL AND p.participant_at IS NOT NULL \
         THEN 1 END) AS conversing_participants, \
         {} AS contacts_keys, {} AS conversations_keys, {} AS participants_keys, \
         {} AS conversing_participants_keys \
         FROM people p WHERE {condition} \
         GROUP BY p.patch, p.age_band, p.tenure, p.language, p.ethnicity",
        keys(keyed, "p.record_key"),
        sum("p.conversation_at IS NOT NULL"),
        sum("p.participant_at IS NOT NULL"),
        sum("p.conversation_at IS NOT NULL AND p.participant_at IS NOT NULL"),
    );
    fetch_bound(db, sql, values).await
}

/// Households per patch (the address records people live in, for those
/// whose household is known) with anyone chosen: contacted, at the
/// Conversation step or further, at the Participant step or further; and
/// the sums of those households' keys.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatchHouseholds {
    /// The patch.
    pub patch: String,
    /// Households with anyone contacted.
    pub contacted: i64,
    /// Households with anyone at the Conversation step or further.
    pub with_conversations: i64,
    /// Households with anyone at the Participant step or further.
    pub with_participants: i64,
    /// The sum of the keys of the households counted in `contacted`.
    pub contacted_keys: i64,
    /// The same for `with_conversations`.
    pub with_conversations_keys: i64,
    /// The same for `with_participants`.
    pub with_participants_keys: i64,
}

/// Households per patch, over the `people_households` index, with the
/// sums of their keys if `keyed`.
pub async fn households_reached(
    db: &Db,
    people: &Selection,
    keyed: bool,
) -> Result<Vec<PatchHouseholds>> {
    let (condition, values) = people.condition();
    // Households are counted once each, so are their keys.
    let keys = |when: &str| {
        keys(
            keyed,
            &format!("DISTINCT CASE WHEN {when} THEN p.household_key END"),
        )
    };
    let sql = format!(
        "SELECT p.patch AS patch, COUNT(DISTINCT p.household) AS contacted, \
         COUNT(DISTINCT CASE WHEN p.conversation_at IS NOT NULL THEN p.household END) \
         AS with_conversations, \
         COUNT(DISTINCT CASE WHEN p.participant_at IS NOT NULL THEN p.household END) \
         AS with_participants, \
         {} AS contacted_keys, {} AS with_conversations_keys, {} AS with_participants_keys \
         FROM people p WHERE {condition} AND p.household IS NOT NULL GROUP BY p.patch",
        keys("1 = 1"),
        keys("p.conversation_at IS NOT NULL"),
        keys("p.participant_at IS NOT NULL"),
    );
    fetch_bound(db, sql, values).await
}

/// People per number of roles they hold at `now`, with the sum of their
/// record keys if `keyed`.
pub async fn roles_held(
    db: &Db,
    people: &Selection,
    now: Timestamp,
    keyed: bool,
) -> Result<Vec<(i64, i64, i64)>> {
    let (leading, condition, mut values) = people.people_leading("r");
    let now_param = bind(&mut values, SqlValue::Int(now.as_millis()));
    // A role is recorded for anyone, contacted or not: only those
    // contacted count (each role row carries its person's first contact).
    fetch_bound(
        db,
        format!(
            "SELECT held, COUNT(*), {} FROM \
             (SELECT r.person_id, r.record_key, COUNT(*) AS held FROM {leading} roles r \
             WHERE {condition} AND r.first_contact_at IS NOT NULL AND r.start_at <= {now_param} \
             AND (r.end_at IS NULL OR r.end_at > {now_param}) GROUP BY r.person_id, r.record_key) h \
             GROUP BY held",
            keys(keyed, "record_key")
        ),
        values,
    )
    .await
}

/// People per number of things they did (attended, volunteered, joined,
/// held a role), for those who did anything, with the sum of their record
/// keys if `keyed`.
pub async fn activity(db: &Db, people: &Selection, keyed: bool) -> Result<Vec<(i64, i64, i64)>> {
    let (condition, values) = people.condition();
    // Unfiltered, the partial index people_activity answers alone. With
    // filters, the unary plus keeps SQLite off that index (it would read
    // every active person's row to check the filters) and on the filters'
    // covering index, which holds the activity too.
    let active = if people.is_empty() {
        "p.activity > 0"
    } else {
        "+p.activity > 0"
    };
    fetch_bound(
        db,
        format!(
            "SELECT p.activity, COUNT(*), {} FROM people p WHERE {condition} AND {active} \
             GROUP BY p.activity",
            keys(keyed, "p.record_key")
        ),
        values,
    )
    .await
}

/// An event's attendees.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attendance {
    /// The event.
    pub event: String,
    /// People who attended it.
    pub attendees: i64,
    /// Of them, those for whom it was their first event.
    pub first_time: i64,
    /// The sum of the attendees' record keys, when asked for (else 0).
    pub attendees_keys: i64,
    /// The sum of the first-timers' record keys, when asked for (else 0).
    pub first_time_keys: i64,
}

/// Each event's attendees, with the sums of their record keys if `keyed`
/// (each attendance row carries its person's key, in the attendance index).
pub async fn attendance(db: &Db, people: &Selection, keyed: bool) -> Result<Vec<Attendance>> {
    // Repeats at the same event have no first_attendance (see migration
    // 0005), so attendees are counted without DISTINCT.
    let (leading, condition, values) = people.people_leading("i");
    let sql = format!(
        "SELECT i.event_id AS event, COUNT(*) AS attendees, \
         CAST(SUM(i.first_attendance) AS BIGINT) AS first_time, \
         {} AS attendees_keys, {} AS first_time_keys \
         FROM {leading} interactions i WHERE i.kind = 'attendance' \
         AND i.first_attendance IS NOT NULL AND {condition} GROUP BY i.event_id",
        keys(keyed, "i.record_key"),
        keys(
            keyed,
            "CASE WHEN i.first_attendance = 1 THEN i.record_key ELSE 0 END"
        ),
    );
    fetch_bound(db, sql, values).await
}

/// Attendances at one event by whether they were the attendee's first
/// event ever and whether the attendee then held a role (a seat or an
/// office on the partnership, or a working-group membership, begun at or
/// before the attendance and not ended by it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleAttendance {
    /// The event.
    pub event: String,
    /// 1 for attendees at their first event ever, 0 for returning ones.
    pub first_time: i64,
    /// 1 for attendees holding a role when they attended, else 0.
    pub holding_role: i64,
    /// How many attendees.
    pub attendees: i64,
    /// The sum of their record keys, when asked for (else 0).
    pub keys: i64,
}

/// Attendances at every event, per event, first time or returning, and
/// holding a role or not (worked out when the attendance was projected:
/// `interactions.holding_role`), with the sums of the attendees' record
/// keys if `keyed`. Each person counts once per event, as in
/// [`attendance`]. Which events were held (not cancelled, started) is the
/// caller's to say from [`events_held`]: joining each of a million
/// attendances to its event, and grouping by anything but the
/// `interactions_attendance` index's own columns, made SQLite sort them
/// all, four times slower. A row whose `holding_role` was never worked out
/// reads 0, in a row of its own.
pub async fn attendance_by_role(
    db: &Db,
    people: &Selection,
    keyed: bool,
) -> Result<Vec<RoleAttendance>> {
    let (leading, condition, values) = people.people_leading("i");
    let sql = format!(
        "SELECT i.event_id AS event, i.first_attendance AS first_time, \
         COALESCE(i.holding_role, 0) AS holding_role, COUNT(*) AS attendees, {} AS keys \
         FROM {leading} interactions i \
         WHERE i.kind = 'attendance' AND i.first_attendance IS NOT NULL AND {condition} \
         GROUP BY i.event_id, i.first_attendance, i.holding_role",
        keys(keyed, "i.record_key"),
    );
    fetch_bound(db, sql, values).await
}

/// An event held: not cancelled, started by the time asked about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldEvent {
    /// Its id.
    pub id: String,
    /// Its kind (`fun-day`, `training`, ...).
    pub kind: String,
    /// When it started (ms since the epoch).
    pub starts_at: i64,
    /// People counted there without records, if counted.
    pub headcount: Option<i64>,
}

/// Every event started by `now` and not cancelled.
pub async fn events_held(db: &Db, now: Timestamp) -> Result<Vec<HeldEvent>> {
    fetch_bound(
        db,
        "SELECT id, kind, starts_at, headcount FROM events WHERE cancelled = 0 AND starts_at <= $1"
            .to_owned(),
        vec![SqlValue::Int(now.as_millis())],
    )
    .await
}

/// How many people `people` chooses (everyone contacted, when empty).
pub async fn population(db: &Db, people: &Selection) -> Result<u64> {
    let (condition, values) = people.condition();
    let rows: Vec<(i64,)> = fetch_bound(
        db,
        format!("SELECT COUNT(*) FROM people p WHERE {condition}"),
        values,
    )
    .await?;
    Ok(rows.first().map_or(0, |(n,)| *n as u64))
}

/// Every event: (id, title, start).
pub async fn events(db: &Db) -> Result<Vec<(String, String, i64)>> {
    fetch_bound(
        db,
        "SELECT id, title, starts_at FROM events".to_owned(),
        Vec::new(),
    )
    .await
}

/// Per (champion, patch): doors knocked and conversations.
pub async fn doorsteps(db: &Db, people: &Selection) -> Result<Vec<(String, String, i64, i64)>> {
    let (leading, condition, values) = people.people_leading("x");
    // (PostgreSQL sums BIGINTs as NUMERIC: the sums are cast back.)
    fetch_bound(
        db,
        format!(
            "SELECT x.recorded_by, x.patch, CAST(SUM(x.knocks) AS BIGINT), \
             CAST(SUM(x.conversations) AS BIGINT) \
             FROM {leading} champion_contacts x WHERE {condition} GROUP BY x.recorded_by, x.patch"
        ),
        values,
    )
    .await
}

/// Per (champion, patch): follow-ups owed, and of them overdue.
pub async fn follow_ups(
    db: &Db,
    people: &Selection,
    overdue: Overdue,
) -> Result<Vec<(String, String, i64, i64)>> {
    let (leading, condition, mut values) = people.people_leading("x");
    let is_overdue = overdue.condition("x", &mut values);
    fetch_bound(
        db,
        format!(
            "SELECT x.recorded_by, x.patch, COUNT(*), \
             CAST(SUM(CASE WHEN {is_overdue} THEN 1 ELSE 0 END) AS BIGINT) \
             FROM {leading} interactions x WHERE x.follow_up_owed = 1 AND x.follow_up_done_at IS NULL \
             AND {condition} GROUP BY x.recorded_by, x.patch"
        ),
        values,
    )
    .await
}

/// Every device's id and the name it was registered with.
pub async fn device_names(db: &Db) -> Result<Vec<(String, String)>> {
    fetch_bound(db, "SELECT id, name FROM devices".to_owned(), Vec::new()).await
}

/// Knocks in the period per patch: (patch, doors knocked, doors answered,
/// doors where the household had moved away). The dates select knocks by
/// when they happened; the patch, one patch. People's channel and age band
/// do not apply to doors.
pub async fn knocks(
    db: &Db,
    knocks: &Selection,
    answered: &[DoorOutcome],
) -> Result<Vec<(String, i64, i64, i64)>> {
    let mut values = Vec::new();
    let clauses = knocks.time_and_patch("at", "patch", &mut values);
    let answered: Vec<String> = answered
        .iter()
        .map(|o| format!("'{}'", o.as_str()))
        .collect();
    let condition = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    fetch_bound(
        db,
        format!(
            "SELECT patch, \
             CAST(SUM(knocked) AS BIGINT), CAST(SUM(answered) AS BIGINT), CAST(SUM(moved) AS BIGINT) \
             FROM (SELECT address_id, patch, \
                   MAX(CASE WHEN outcome <> '{}' THEN 1 ELSE 0 END) AS knocked, \
                   MAX(CASE WHEN outcome IN ({}) THEN 1 ELSE 0 END) AS answered, \
                   MAX(CASE WHEN outcome = '{}' THEN 1 ELSE 0 END) AS moved \
                   FROM door_visits WHERE {condition} GROUP BY address_id, patch) doors \
             GROUP BY patch ORDER BY patch",
            DoorOutcome::NoKnocking.as_str(),
            answered.join(", "),
            DoorOutcome::MovedAway.as_str(),
        ),
        values,
    )
    .await
}

/// Doors on the list per patch.
pub async fn doors_listed(db: &Db) -> Result<Vec<(String, i64)>> {
    fetch_bound(
        db,
        "SELECT patch, COUNT(*) FROM addresses GROUP BY patch ORDER BY patch".to_owned(),
        Vec::new(),
    )
    .await
}

/// A partnership seat held.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Seat {
    /// The person holding it.
    pub person: String,
    /// From (ms since the epoch).
    pub start: i64,
    /// Until, if it ended.
    pub end: Option<i64>,
    /// Their residency bases, comma-separated.
    pub residency: String,
    /// The other hats worn in it, comma-separated.
    pub hats: String,
}

/// The roles that are seats on the partnership, as an SQL list.
fn seat_names() -> String {
    let names: Vec<String> = sync_core::Role::ALL
        .iter()
        .filter(|r| r.is_partnership_seat())
        .map(|r| format!("'{}'", r.as_str()))
        .collect();
    names.join(", ")
}

/// Every partnership seat ever held.
pub async fn seats(db: &Db) -> Result<Vec<Seat>> {
    fetch_bound(
        db,
        format!(
            "SELECT r.person_id AS person, r.start_at AS start, r.end_at AS \"end\", \
             p.residency AS residency, r.hats AS hats FROM roles r \
             JOIN people p ON p.id = r.person_id \
             WHERE r.kind = 'role' AND r.name IN ({})",
            seat_names()
        ),
        Vec::new(),
    )
    .await
}

/// The people holding a seat or an office (a role) at `now`.
pub async fn role_holders(conn: &mut AnyConnection, now: Timestamp) -> Result<Vec<DocId>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT person_id FROM roles WHERE kind = 'role' AND start_at <= $1 \
         AND (end_at IS NULL OR end_at > $1) ORDER BY person_id",
    )
    .bind(now.as_millis())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id,)| {
            id.parse()
                .map_err(|_| crate::error::Error::Corrupt(format!("person id {id}")))
        })
        .collect()
}

/// When people who ever held a partnership seat took part in something
/// (attended, volunteered, signed up): (person, when), for whether leavers
/// stay active.
pub async fn seat_holders_taking_part(db: &Db) -> Result<Vec<(String, i64)>> {
    fetch_bound(
        db,
        format!(
            "SELECT person_id, at FROM interactions WHERE kind IN \
             ('attendance', 'volunteering', 'event-sign-up') AND person_id IN \
             (SELECT person_id FROM roles WHERE kind = 'role' AND name IN ({}))",
            seat_names()
        ),
        Vec::new(),
    )
    .await
}

/// A working-group membership.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Membership {
    /// The member.
    pub person: String,
    /// The group.
    pub group: String,
    /// From (ms since the epoch).
    pub start: i64,
    /// Until, if it ended.
    pub end: Option<i64>,
}

/// Every working-group membership ever held.
pub async fn memberships(db: &Db) -> Result<Vec<Membership>> {
    fetch_bound(
        db,
        "SELECT person_id AS person, name AS \"group\", start_at AS start, end_at AS \"end\" \
         FROM roles WHERE kind = 'working-group'"
            .to_owned(),
        Vec::new(),
    )
    .await
}

/// A partnership seat held at a moment, with what the board report
/// compares members by.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BoardSeat {
    /// The person holding it.
    pub person: String,
    /// Their age band, if known.
    pub age_band: Option<String>,
    /// Their tenure, if known.
    pub tenure: Option<String>,
    /// Their residency bases, comma-separated.
    pub residency: String,
    /// The other hats worn in it, comma-separated.
    pub hats: String,
    /// Their record key (for the cell key method).
    pub record_key: i64,
}

/// The partnership seats held at `now` (a member holding two has two).
pub async fn board_seats(db: &Db, now: Timestamp) -> Result<Vec<BoardSeat>> {
    let mut values = Vec::new();
    let at = bind(&mut values, SqlValue::Int(now.as_millis()));
    fetch_bound(
        db,
        format!(
            "SELECT r.person_id AS person, p.age_band AS age_band, p.tenure AS tenure, \
             p.residency AS residency, r.hats AS hats, p.record_key AS record_key \
             FROM roles r JOIN people p ON p.id = r.person_id \
             WHERE r.kind = 'role' AND r.name IN ({}) AND r.start_at <= {at} \
             AND (r.end_at IS NULL OR r.end_at > {at})",
            seat_names()
        ),
        values,
    )
    .await
}

/// Everyone contacted, per (age band, tenure, residency): how many, and
/// the sum of their record keys if `keyed`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactGroup {
    /// Their age band, if known.
    pub age_band: Option<String>,
    /// Their tenure, if known.
    pub tenure: Option<String>,
    /// Their residency bases, comma-separated.
    pub residency: String,
    /// How many.
    pub people: i64,
    /// The sum of their record keys (0 unless asked for).
    pub key_sum: i64,
}

/// Everyone contacted, grouped by age band, tenure and residency.
pub async fn contact_groups(db: &Db, keyed: bool) -> Result<Vec<ContactGroup>> {
    fetch_bound(
        db,
        format!(
            "SELECT p.age_band AS age_band, p.tenure AS tenure, p.residency AS residency, \
             COUNT(*) AS people, {} AS key_sum FROM people p \
             WHERE p.first_contact_at IS NOT NULL GROUP BY p.age_band, p.tenure, p.residency",
            keys(keyed, "p.record_key")
        ),
        Vec::new(),
    )
    .await
}

#[cfg(test)]
mod tests;
