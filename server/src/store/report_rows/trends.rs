//! The queries of the trends report: people by the day they reached a step
//! of the ladder, and doors knocked by week, per patch. Days and weeks are
//! whole UTC days counted from the epoch, so the report (in Rust) puts
//! them into months and weeks the same way on SQLite and PostgreSQL.

use sync_core::{DoorOutcome, Timestamp};

use super::{SqlValue, bind, fetch_bound, keys};
use crate::error::Result;
use crate::store::Db;

/// The step of the ladder a trend follows: the column of `people` holding
/// when each person first reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// First contact (the ladder's first step).
    Contact,
    /// The Conversation step.
    Conversation,
    /// The Participant step.
    Participant,
}

impl Reached {
    fn column(self) -> &'static str {
        match self {
            Self::Contact => "first_contact_at",
            Self::Conversation => "conversation_at",
            Self::Participant => "participant_at",
        }
    }
}

/// People who first reached a step on one day in one patch, with the
/// highest step they have reached since.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayPeople {
    /// Whole UTC days since the epoch.
    pub day: i64,
    /// The patch.
    pub patch: String,
    /// The highest step of the ladder they have reached (its index).
    pub highest_stage: Option<i64>,
    /// How many people.
    pub people: i64,
    /// The sum of their record keys (0 unless asked for).
    pub keys: i64,
}

/// The condition that `day` (an expression of whole days) is in the days
/// of `[from, to)` (ms since the epoch; a part day counts whole), and the
/// patch, binding their values.
fn range(
    day: &str,
    patch_column: &str,
    (from, to): (i64, i64),
    patch: Option<&str>,
    values: &mut Vec<SqlValue>,
) -> String {
    let from = bind(
        values,
        SqlValue::Int(from.div_euclid(Timestamp::DAY_MILLIS)),
    );
    let to = bind(
        values,
        SqlValue::Int((to + Timestamp::DAY_MILLIS - 1).div_euclid(Timestamp::DAY_MILLIS)),
    );
    let mut condition = format!("{day} >= {from} AND {day} < {to}");
    if let Some(patch) = patch {
        let patch = bind(values, SqlValue::Text(patch.to_owned()));
        condition.push_str(&format!(" AND {patch_column} = {patch}"));
    }
    condition
}

/// People who first reached `step` in `[from, to)` (ms since the epoch),
/// per (day, patch, highest step reached), in one patch if given; with
/// the sums of their record keys if `keyed`. Reads the index of each
/// step's day (migration 0033) in its order.
pub async fn people_by_day(
    db: &Db,
    step: Reached,
    period: (i64, i64),
    patch: Option<&str>,
    keyed: bool,
) -> Result<Vec<DayPeople>> {
    let column = format!("p.{}", step.column());
    // The day as the indexes of migration 0033 hold it, word for word.
    let day = format!("{column} / {}", Timestamp::DAY_MILLIS);
    let mut values = Vec::new();
    let condition = range(&day, "p.patch", period, patch, &mut values);
    // Only first contacts are followed to the highest step (the cohorts).
    let highest = match step {
        Reached::Contact => "p.highest_stage",
        Reached::Conversation | Reached::Participant => "CAST(NULL AS BIGINT)",
    };
    // Grouped in the index's order: the patch and step after the day.
    let group = match step {
        Reached::Contact => format!("{day}, p.patch, p.highest_stage"),
        Reached::Conversation | Reached::Participant => format!("{day}, p.patch"),
    };
    let sql = format!(
        "SELECT {day} AS day, p.patch AS patch, {highest} AS highest_stage, \
         COUNT(*) AS people, {keys} AS keys FROM people p \
         WHERE {column} IS NOT NULL AND {condition} GROUP BY {group}",
        keys = keys(keyed, "p.record_key"),
    );
    fetch_bound(db, sql, values).await
}

/// Doors knocked per (week, patch) in `[from, to)` (ms since the epoch),
/// in one patch if given: each door once a week however often it was
/// knocked (finding a "no knocking" sign is not a knock). A week is
/// Monday to Sunday (UTC), numbered from the week of 1970-01-01 (a
/// Thursday: day 0 is in week 0, day 4, the first Monday, starts week 1).
pub async fn doors_by_week(
    db: &Db,
    period: (i64, i64),
    patch: Option<&str>,
) -> Result<Vec<(i64, String, i64)>> {
    let mut values = Vec::new();
    let day = format!("at / {}", Timestamp::DAY_MILLIS);
    let condition = range(&day, "patch", period, patch, &mut values);
    let week = format!("({day} + 3) / 7");
    fetch_bound(
        db,
        format!(
            "SELECT {week}, patch, COUNT(DISTINCT address_id) FROM door_visits \
             WHERE outcome <> '{}' AND {condition} GROUP BY {week}, patch",
            DoorOutcome::NoKnocking.as_str(),
        ),
        values,
    )
    .await
}
