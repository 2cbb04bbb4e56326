//! A phone's sync: the hub's answer, and what the device received in the
//! audit log before the answer leaves.

use sync_core::{PushOutcome, RejectionCode, Timestamp};

use crate::error::Result;
use crate::store::Db;
use crate::store::audit::{self, Action, Actor};
use crate::store::devices::Device;
use crate::sync::Answer;

/// One sync round trip answered: the response's bytes, and what it held,
/// for the server's metrics.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The bytes of the `sync_core::SyncResponse`.
    pub bytes: Vec<u8>,
    /// Pushes merged (or already held).
    pub accepted: usize,
    /// Pushes refused, by the code they were refused with.
    pub rejected: Vec<&'static str>,
    /// Pushes to send again.
    pub resend: usize,
    /// Documents sent to the device.
    pub sent: usize,
    /// Feed entries read past the device's cursor: how far behind it was.
    pub feed_entries: u64,
}

/// Answers one sync request (the bytes of a `sync_core::SyncRequest`) from
/// `device` with the bytes of its response. The records it receives are
/// logged first, in a transaction of their own: if the log cannot be
/// written, nothing is sent.
pub async fn exchange(db: &Db, device: &Device, body: &[u8], now: Timestamp) -> Result<Exchange> {
    let Answer {
        response,
        feed_entries,
    } = crate::sync::handle(db, device, body, now).await?;
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
    let mut exchange = Exchange {
        sent: response.updates.len(),
        feed_entries,
        ..Exchange::default()
    };
    for pushed in &response.pushed {
        match &pushed.outcome {
            PushOutcome::Accepted { .. } | PushOutcome::Redirected { .. } => exchange.accepted += 1,
            PushOutcome::Resend => exchange.resend += 1,
            PushOutcome::Rejected(r) => exchange.rejected.push(code_name(r.code)),
        }
    }
    exchange.bytes = response.encode();
    Ok(exchange)
}

/// A refusal's code as metrics label it.
fn code_name(code: RejectionCode) -> &'static str {
    match code {
        RejectionCode::OutOfScope => "out-of-scope",
        RejectionCode::Invalid => "invalid",
        RejectionCode::Malformed => "malformed",
        RejectionCode::Erased => "erased",
        RejectionCode::TooLarge => "too-large",
        RejectionCode::ReadOnly => "read-only",
    }
}
