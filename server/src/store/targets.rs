//! The partnership's targets on headline figures.

use sqlx::AnyConnection;
use sync_core::Timestamp;

use super::Db;
use crate::error::Result;

/// A target as stored: goal and margin in tenths.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredTarget {
    /// The report's name in the registry.
    pub report: String,
    /// The headline's key (`@*` for every patch).
    pub figure: String,
    /// 1: the figure should be at least the goal; 0: at most.
    pub at_least: i64,
    /// The goal, in tenths.
    pub goal_tenths: i64,
    /// How far from the goal still counts as close, in tenths.
    pub margin_tenths: i64,
}

/// Every target, by report and figure.
pub async fn list(db: &Db) -> Result<Vec<StoredTarget>> {
    Ok(sqlx::query_as(
        "SELECT report, figure, at_least, goal_tenths, margin_tenths FROM targets \
         ORDER BY report, figure",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Sets a target, replacing any on the same figure; returns whether one
/// was replaced.
pub async fn set(conn: &mut AnyConnection, target: &StoredTarget, now: Timestamp) -> Result<bool> {
    let removed = remove(conn, &target.report, &target.figure).await?;
    sqlx::query(
        "INSERT INTO targets (report, figure, at_least, goal_tenths, margin_tenths, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&target.report)
    .bind(&target.figure)
    .bind(target.at_least)
    .bind(target.goal_tenths)
    .bind(target.margin_tenths)
    .bind(now.as_millis())
    .execute(&mut *conn)
    .await?;
    Ok(removed)
}

/// Removes the target on a figure; returns whether there was one.
pub async fn remove(conn: &mut AnyConnection, report: &str, figure: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM targets WHERE report = $1 AND figure = $2")
        .bind(report)
        .bind(figure)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
