//! Doors' rows rewritten when what they hold changes.

use sqlx::AnyConnection;
use sync_core::{Ladder, Timestamp};

use super::Rows;
use crate::error::Result;

/// Rewrites every door's rows (doors held before their rows had a
/// location), a page of documents at a time: an area can list many
/// thousands of doors.
pub(super) async fn reproject_addresses(
    conn: &mut AnyConnection,
    ladder: &Ladder,
    now: Timestamp,
) -> Result<()> {
    const PAGE: i64 = 500;
    let mut after = String::new();
    loop {
        let page: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, bytes FROM documents WHERE kind = 'address' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(&after)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        after = last.clone();
        let mut rows = Rows::default();
        for (_, bytes) in &page {
            rows.replace(&sync_core::read_record(bytes)?, ladder, now);
        }
        rows.write(conn).await?;
    }
}
