//! The queries of the reports that count what happened at doors, by when
//! and where (voices, "you said, we did"), and the one rule for an overdue
//! follow-up.

use sync_core::Timestamp;

use super::{Selection, SqlValue, bind, fetch_bound};
use crate::error::Result;
use crate::store::Db;

/// When a follow-up promised at the door is overdue: past the date given
/// for it, or, with none, `undated_days` after it was promised. One rule
/// for every report that says "overdue".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    /// The time it is judged at.
    pub now: Timestamp,
    /// Days after which a follow-up with no date is overdue.
    pub undated_days: u32,
}

impl Overdue {
    /// The area's rule, at `now`.
    pub fn new(now: Timestamp, undated_days: u32) -> Self {
        Self { now, undated_days }
    }

    /// When a follow-up promised at `promised`, due at `due` if dated,
    /// becomes overdue.
    pub fn deadline(self, promised: i64, due: Option<i64>) -> i64 {
        due.unwrap_or(promised + i64::from(self.undated_days) * Timestamp::DAY_MILLIS)
    }

    /// The SQL condition that an open follow-up on the interaction aliased
    /// `alias` is overdue, binding its values after those in `values`.
    pub(super) fn condition(self, alias: &str, values: &mut Vec<SqlValue>) -> String {
        let now = bind(values, SqlValue::Int(self.now.as_millis()));
        let undated_before = bind(
            values,
            SqlValue::Int(
                self.now.as_millis() - i64::from(self.undated_days) * Timestamp::DAY_MILLIS,
            ),
        );
        format!(
            "({alias}.follow_up_due < {now} \
             OR ({alias}.follow_up_due IS NULL AND {alias}.at < {undated_before}))"
        )
    }
}

/// Topics raised (or things residents would like to join, by `kind`) in
/// doorstep conversations in the period, per (month as `YYYYMM`, patch,
/// topic): the number of conversations, for the months from `first` to
/// `last` (`YYYYMM`) only.
pub async fn topics_raised(
    db: &Db,
    period: &Selection,
    kind: &str,
    (first, last): (i64, i64),
) -> Result<Vec<(i64, String, String, i64)>> {
    let mut values = vec![
        SqlValue::Text(kind.to_owned()),
        SqlValue::Int(first),
        SqlValue::Int(last),
    ];
    let mut clauses = vec!["kind = $1 AND month >= $2 AND month <= $3".to_owned()];
    clauses.extend(period.time_and_patch("at", "patch", &mut values));
    // In the order of `topics_raised_months`, so it is counted as read.
    fetch_bound(
        db,
        format!(
            "SELECT month, patch, topic, COUNT(*) FROM topics_raised \
             WHERE {} GROUP BY month, patch, topic",
            clauses.join(" AND ")
        ),
        values,
    )
    .await
}

/// Follow-ups promised in the period, counted per (patch, topic) — `None`
/// for the promise itself whatever its topics, so that a promise with
/// several topics is one promise — and by what became of it: (patch,
/// topic, promised, done, done by its deadline, open and overdue, days
/// from promise to done summed over those done).
pub async fn promises(db: &Db, period: &Selection, overdue: Overdue) -> Result<Vec<PromiseCounts>> {
    let mut values = Vec::new();
    let mut clauses = Vec::new();
    clauses.extend(period.time_and_patch("x.at", "x.patch", &mut values));
    let is_overdue = overdue.condition("x", &mut values);
    let undated = i64::from(overdue.undated_days) * Timestamp::DAY_MILLIS;
    let day = Timestamp::DAY_MILLIS;
    let measures = format!(
        "COUNT(*) AS promised, \
         CAST(SUM(CASE WHEN x.follow_up_done_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS done, \
         CAST(SUM(CASE WHEN x.follow_up_done_at IS NOT NULL AND x.follow_up_done_at <= \
             COALESCE(x.follow_up_due, x.at + {undated}) THEN 1 ELSE 0 END) AS BIGINT) AS on_time, \
         CAST(SUM(CASE WHEN x.follow_up_done_at IS NULL AND {is_overdue} THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN x.follow_up_done_at IS NOT NULL THEN (x.follow_up_done_at - x.at) / {day} ELSE 0 END) AS BIGINT) AS days_to_done"
    );
    let condition = clauses
        .iter()
        .map(|c| format!(" AND {c}"))
        .collect::<String>();
    // Each from its own partial index: interactions per patch, topics
    // (with the promise copied beside them) per topic.
    fetch_bound(
        db,
        format!(
            "SELECT x.patch, CAST(NULL AS TEXT) AS topic, {measures} FROM interactions x \
             WHERE x.follow_up_owed = 1{condition} GROUP BY x.patch \
             UNION ALL \
             SELECT x.patch, x.topic, {measures} FROM topics_raised x \
             WHERE x.follow_up_owed = 1 AND x.kind = 'topic'{condition} GROUP BY x.patch, x.topic"
        ),
        values,
    )
    .await
}

/// What became of the follow-ups promised in one patch (on one topic):
/// see [`promises`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PromiseCounts {
    /// The patch of the person it was promised to.
    pub patch: String,
    /// The topic, or `None` for every promise in the patch.
    pub topic: Option<String>,
    /// Promised.
    pub promised: i64,
    /// Done.
    pub done: i64,
    /// Done by its date (or, with none, within the area's days).
    pub on_time: i64,
    /// Not done and overdue.
    pub overdue: i64,
    /// Whole days from promise to done, summed over those done.
    pub days_to_done: i64,
}

/// Whole days from promise to done of the follow-ups promised in the
/// period and done, per (patch, topic) as [`promises`] counts them, with
/// how many took that long, in days' order: for medians.
pub async fn promise_days(
    db: &Db,
    period: &Selection,
) -> Result<Vec<(String, Option<String>, i64, i64)>> {
    let mut values = Vec::new();
    let condition = period
        .time_and_patch("x.at", "x.patch", &mut values)
        .iter()
        .map(|c| format!(" AND {c}"))
        .collect::<String>();
    let days = format!(
        "CAST((x.follow_up_done_at - x.at) / {} AS BIGINT)",
        Timestamp::DAY_MILLIS
    );
    let done = "x.follow_up_owed = 1 AND x.follow_up_done_at IS NOT NULL";
    fetch_bound(
        db,
        format!(
            "SELECT x.patch, CAST(NULL AS TEXT) AS topic, {days} AS d, COUNT(*) AS n \
             FROM interactions x WHERE {done}{condition} GROUP BY x.patch, d \
             UNION ALL \
             SELECT x.patch, x.topic, {days} AS d, COUNT(*) AS n FROM topics_raised x \
             WHERE {done} AND x.kind = 'topic'{condition} GROUP BY x.patch, x.topic, d ORDER BY d"
        ),
        values,
    )
    .await
}

/// The latest follow-ups done in the period, latest first, at most
/// `limit`: (person id, interaction id).
pub async fn promises_kept(
    db: &Db,
    period: &Selection,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let mut values = Vec::new();
    let mut clauses = vec![
        "x.follow_up_owed = 1".to_owned(),
        "x.follow_up_done_at IS NOT NULL".to_owned(),
    ];
    clauses.extend(period.time_and_patch("x.at", "x.patch", &mut values));
    let limit = bind(&mut values, SqlValue::Int(limit));
    fetch_bound(
        db,
        format!(
            "SELECT x.person_id, x.id FROM interactions x WHERE {} \
             ORDER BY x.follow_up_done_at DESC, x.id LIMIT {limit}",
            clauses.join(" AND ")
        ),
        values,
    )
    .await
}
