//! Dashboard sessions: the cookie secret's hash, the device a session acts
//! as, its CSRF token and its expiry.

use sqlx::AnyConnection;
use sync_core::{DeviceId, Timestamp};

use super::devices::{self, Device, hash_secret, new_secret};
use crate::error::{Error, Result};

/// Starts a session for `device` until `expires_at`, with a CSRF token of
/// its own, and clears expired ones. Returns the cookie's secret; only its
/// hash is stored.
pub async fn start(
    conn: &mut AnyConnection,
    device: DeviceId,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<String> {
    let secret = new_secret()?;
    let csrf = new_secret()?;
    sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
        .bind(now.as_millis())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO web_sessions (secret_hash, device_id, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_secret(&secret))
    .bind(device.to_string())
    .bind(&csrf)
    .bind(now.as_millis())
    .bind(expires_at.as_millis())
    .execute(&mut *conn)
    .await?;
    Ok(secret)
}

/// The device and CSRF token of a live session, if `secret` is one.
pub async fn find(
    conn: &mut AnyConnection,
    secret: &str,
    now: Timestamp,
) -> Result<Option<(Device, String)>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT device_id, csrf FROM web_sessions WHERE secret_hash = $1 AND expires_at > $2",
    )
    .bind(hash_secret(secret))
    .bind(now.as_millis())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((device_id, csrf)) = row else {
        return Ok(None);
    };
    let id = device_id
        .parse()
        .map_err(|_| Error::Corrupt(format!("session device {device_id}")))?;
    Ok(devices::find(conn, id).await?.map(|d| (d, csrf)))
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
