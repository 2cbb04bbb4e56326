//! A phone's sync: the hub's answer, and what the device received in the
//! audit log before the answer leaves.

use sync_core::Timestamp;

use crate::error::Result;
use crate::store::Db;
use crate::store::audit::{self, Action, Actor};
use crate::store::devices::Device;

/// Answers one sync request (the bytes of a `sync_core::SyncRequest`) from
/// `device` with the bytes of its response. The records it receives are
/// logged first, in a transaction of their own: if the log cannot be
/// written, nothing is sent.
pub async fn exchange(db: &Db, device: &Device, body: &[u8], now: Timestamp) -> Result<Vec<u8>> {
    let response = crate::sync::handle(db, device, body, now).await?;
    if !response.updates.is_empty() {
        let writer = db.writer().await;
        let mut conn = writer.acquire().await?;
        let ids: Vec<String> = response.updates.iter().map(|u| u.doc.to_string()).collect();
        audit::record(
            &mut conn,
            now,
            Actor::Device(device.id),
            Action::Received,
            None,
            &ids.join(","),
        )
        .await?;
    }
    Ok(response.encode())
}
