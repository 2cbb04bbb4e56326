//! Dashboard sessions: the cookie secret's hash, the device a session acts
//! as, its CSRF token and its expiry.

use sqlx::AnyConnection;
use sync_core::{DeviceId, Timestamp};

use super::devices::{self, Device, hash_secret, new_secret};
use crate::error::{Error, Result};

/// Starts a session for `device` until `expires_at`, with a CSRF token of
/// its own; clears expired sessions, and the device's oldest beyond its
/// newest `keep` (this one included). Returns the cookie's secret; only
/// its hash is stored.
pub async fn start(
    conn: &mut AnyConnection,
    device: DeviceId,
    now: Timestamp,
    expires_at: Timestamp,
    keep: u32,
) -> Result<String> {
    let secret = new_secret()?;
    let csrf = new_secret()?;
    let secret_hash = hash_secret(&secret);
    sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
        .bind(now.as_millis())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO web_sessions (secret_hash, device_id, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&secret_hash)
    .bind(device.to_string())
    .bind(&csrf)
    .bind(now.as_millis())
    .bind(expires_at.as_millis())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM web_sessions WHERE device_id = $1 AND secret_hash <> $2 \
         AND secret_hash NOT IN (SELECT secret_hash FROM web_sessions \
             WHERE device_id = $1 AND secret_hash <> $2 \
             ORDER BY created_at DESC, secret_hash LIMIT $3)",
    )
    .bind(device.to_string())
    .bind(&secret_hash)
    .bind(i64::from(keep.saturating_sub(1)))
    .execute(&mut *conn)
    .await?;
    Ok(secret)
}

/// A live session.
#[derive(Debug)]
pub struct Session {
    /// The device it acts as.
    pub device: Device,
    /// Its forms' CSRF token.
    pub csrf: String,
    /// When it started.
    pub created_at: Timestamp,
    /// When it ends unless used again.
    pub expires_at: Timestamp,
}

/// The live session `secret` opens, if it opens one.
pub async fn find(
    conn: &mut AnyConnection,
    secret: &str,
    now: Timestamp,
) -> Result<Option<Session>> {
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT device_id, csrf, created_at, expires_at FROM web_sessions \
         WHERE secret_hash = $1 AND expires_at > $2",
    )
    .bind(hash_secret(secret))
    .bind(now.as_millis())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((device_id, csrf, created_at, expires_at)) = row else {
        return Ok(None);
    };
    let id = device_id
        .parse()
        .map_err(|_| Error::Corrupt(format!("session device {device_id}")))?;
    Ok(devices::find(conn, id).await?.map(|device| Session {
        device,
        csrf,
        created_at: Timestamp::from_millis(created_at),
        expires_at: Timestamp::from_millis(expires_at),
    }))
}

/// Moves a live session's end to `expires_at` (never earlier than it is).
pub async fn extend(conn: &mut AnyConnection, secret: &str, expires_at: Timestamp) -> Result<()> {
    sqlx::query(
        "UPDATE web_sessions SET expires_at = $1 WHERE secret_hash = $2 AND expires_at < $1",
    )
    .bind(expires_at.as_millis())
    .bind(hash_secret(secret))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends a session (signing out). Returns the device it was for, if it
/// was a session.
pub async fn end(conn: &mut AnyConnection, secret: &str) -> Result<Option<DeviceId>> {
    let row: Option<(String,)> =
        sqlx::query_as("DELETE FROM web_sessions WHERE secret_hash = $1 RETURNING device_id")
            .bind(hash_secret(secret))
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(device,)| {
        device
            .parse()
            .map_err(|_| Error::Corrupt(format!("session device {device}")))
    })
    .transpose()
}
