//! The area configuration as stored (one `area` document), decoded once per
//! stored version; and the server's own device id, in `settings`.

use std::sync::{Arc, Mutex, PoisonError};

use sqlx::AnyConnection;
use sync_core::{AreaConfig, DeviceId, Ladder, Record, Timestamp, read_record};

use super::Db;
use crate::error::{Error, Result};

/// The last area document decoded, with the bytes it was decoded from.
/// Every sync request reads the area's ladder, with the writer's turn
/// held; decoding the area each time took about 10 ms of the turn under
/// 500 phones, with 500 patches (the load generator's area), half of it.
/// Keyed by the stored bytes themselves, so no write, by any path or
/// process, can leave it stale. One per [`Db`], not per process: two
/// databases in one process (tests, benchmarks) keep their own.
#[derive(Debug, Default)]
pub(crate) struct AreaMemo(Mutex<Option<(Vec<u8>, Arc<AreaConfig>)>>);

impl AreaMemo {
    fn decode(&self, bytes: Vec<u8>) -> Result<Arc<AreaConfig>> {
        // Nothing panics with the lock held, but a poisoned lock only means
        // a memo to refill.
        let last = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
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
}

/// The area configuration, read on `conn` (inside the caller's transaction,
/// if any), shared with the last caller that read the same bytes. `None`
/// before an admin configures the area.
pub async fn current(db: &Db, conn: &mut AnyConnection) -> Result<Option<Arc<AreaConfig>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM documents WHERE kind = 'area' ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(bytes,)| db.area.decode(bytes)).transpose()
}

/// The area configuration, read on a connection of the pool.
pub async fn read(db: &Db) -> Result<Option<AreaConfig>> {
    let mut conn = db.pool.acquire().await?;
    Ok(current(db, &mut conn).await?.map(Arc::unwrap_or_clone))
}

/// The area's ladder (the default one until an area is configured).
pub async fn ladder(db: &Db, conn: &mut AnyConnection) -> Result<Ladder> {
    Ok(current(db, conn)
        .await?
        .map(|area| area.ladder.clone())
        .unwrap_or_default())
}

const SERVER_DEVICE: &str = "server_device_id";

/// The server's own device id (the author of the records it writes), made
/// on first use.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The same stored bytes are decoded once; other bytes are decoded
    /// afresh.
    #[test]
    fn the_memo_decodes_each_stored_version_once() {
        let now = Timestamp::from_millis(1_789_000_000_000);
        let by = DeviceId::new(now);
        let area = |slug: &str| {
            let config = AreaConfig::new_default(sync_core::DocId::new(now), slug, "Area", by, now);
            sync_core::authoring::area_push(None, &config, now)
                .expect("area push")
                .expect("a change")
                .changes
        };
        let memo = AreaMemo::default();
        let first_bytes = area("first");
        let first = memo.decode(first_bytes.clone()).expect("decode");
        let again = memo.decode(first_bytes).expect("decode");
        assert!(Arc::ptr_eq(&first, &again), "decoded twice");
        let second = memo.decode(area("second")).expect("decode");
        assert_eq!(
            (first.area.as_str(), second.area.as_str()),
            ("first", "second")
        );
    }
}
