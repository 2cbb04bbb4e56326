//! Devices, their roles and tokens, and invites.
//!
//! An admin makes an invite (a one-time code) for a role; a phone exchanges
//! it for a device id and a bearer token. Only SHA-256 hashes of codes and
//! tokens are stored, so a copy of the database does not let anyone sync.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sync_core::{DeviceId, Scope, Timestamp};

use crate::error::{Error, Result};

/// How long an invite code stays valid.
pub const INVITE_DAYS: i64 = 14;

/// What a device may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The whole area: every record, devices, invites and configuration.
    Admin,
    /// People and events in their patches.
    Champion,
    /// Events, and the people this device signed up.
    YouthWorker,
    /// Reports only: never a name or a contact detail.
    Viewer,
}

impl Role {
    /// The stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Champion => "champion",
            Self::YouthWorker => "youth-worker",
            Self::Viewer => "viewer",
        }
    }

    /// Whether this role reads the reports (the API's and the dashboard's).
    pub const fn reads_reports(self) -> bool {
        matches!(self, Self::Admin | Self::Viewer)
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Admin, Self::Champion, Self::YouthWorker, Self::Viewer]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// A registered device, as authenticated from its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub id: DeviceId,
    /// Its role.
    pub role: Role,
    /// Its patches (champions).
    pub patches: BTreeSet<String>,
    /// Whether it was revoked (a lost phone).
    pub revoked: bool,
}

impl Device {
    /// The scope sync-core enforces for it.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Admin => Scope::Admin,
            Role::Champion => Scope::Champion {
                patches: self.patches.clone(),
            },
            Role::YouthWorker => Scope::YouthWorker { device: self.id },
            Role::Viewer => Scope::Viewer,
        }
    }
}

/// A new random secret, as hex (256 bits).
pub fn new_secret() -> Result<String> {
    Ok(hex::encode(super::random_bytes::<32>()?))
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

fn join_patches(patches: &BTreeSet<String>) -> String {
    patches.iter().cloned().collect::<Vec<_>>().join(",")
}

fn split_patches(text: &str) -> BTreeSet<String> {
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks a role's patches: champions need at least one, others none.
pub fn check_patches(role: Role, patches: &BTreeSet<String>) -> Result<()> {
    for patch in patches {
        let ok = !patch.is_empty()
            && patch.len() <= 64
            && patch
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(Error::BadRequest(format!(
                "patch {patch:?} is not a slug (lowercase letters, digits and hyphens)"
            )));
        }
    }
    match (role, patches.is_empty()) {
        (Role::Champion, true) => Err(Error::BadRequest(
            "a champion needs at least one patch".into(),
        )),
        (Role::Champion, false) | (_, true) => Ok(()),
        (_, false) => Err(Error::BadRequest("only champions have patches".into())),
    }
}

/// Makes an invite, valid until `expires_at`, and returns its one-time code.
/// The device it registers is called `device_name` when one is given
/// (otherwise by the name the phone sends).
pub async fn create_invite(
    conn: &mut AnyConnection,
    role: Role,
    patches: &BTreeSet<String>,
    device_name: Option<&str>,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<String> {
    check_patches(role, patches)?;
    let code = new_secret()?[..INVITE_CODE_CHARS].to_owned();
    sqlx::query(
        "INSERT INTO invites (code_hash, role, patches, device_name, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash_secret(&code))
    .bind(role.as_str())
    .bind(join_patches(patches))
    .bind(device_name)
    .bind(now.as_millis())
    .bind(expires_at.as_millis())
    .execute(&mut *conn)
    .await?;
    Ok(code)
}

/// How many characters an invite's code has (a token has 64).
pub const INVITE_CODE_CHARS: usize = 24;

/// An invite as listed for admins (never its code: only the hash is kept).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct InviteInfo {
    /// What names it, to cancel it: the start of its code's hash, which
    /// says nothing of the code.
    pub id: String,
    /// The role it grants.
    pub role: String,
    /// The patches it grants, comma-separated.
    pub patches: String,
    /// The name the device it registers takes, when the admin gave one.
    pub device_name: Option<String>,
    /// When it was made (ms since the epoch).
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
    /// The device it registered.
    pub device_id: Option<String>,
    /// When an admin cancelled it, if one did.
    pub cancelled_at: Option<i64>,
}

impl InviteInfo {
    /// Whether it would still register a device at `now`.
    pub fn usable(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && self.cancelled_at.is_none() && self.expires_at > now.as_millis()
    }
}

/// How many hex digits of an invite's code hash name it (the `16` in the
/// statements that list and cancel invites).
const INVITE_ID_DIGITS: usize = 16;

/// Every invite, newest first.
pub async fn list_invites(conn: &mut AnyConnection) -> Result<Vec<InviteInfo>> {
    Ok(sqlx::query_as(
        "SELECT substr(code_hash, 1, 16) AS id, role, patches, device_name, created_at, \
         expires_at, used_at, \
         device_id, cancelled_at FROM invites ORDER BY created_at DESC, code_hash",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Cancels an unused invite named by its [`InviteInfo::id`]. Returns
/// whether there was such an invite to cancel.
pub async fn cancel_invite(conn: &mut AnyConnection, id: &str, now: Timestamp) -> Result<bool> {
    let named = id.len() == INVITE_ID_DIGITS && id.bytes().all(|b| b.is_ascii_hexdigit());
    if !named {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE invites SET cancelled_at = $1 \
         WHERE substr(code_hash, 1, 16) = $2 AND used_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(now.as_millis())
    .bind(id.to_ascii_lowercase())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `code` would register a device at `now`: read without taking
/// the writer, so that guessed codes never hold up phones' syncs.
pub async fn invite_usable(conn: &mut AnyConnection, code: &str, now: Timestamp) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM invites WHERE code_hash = $1 AND used_at IS NULL \
         AND cancelled_at IS NULL AND expires_at > $2",
    )
    .bind(hash_secret(code))
    .bind(now.as_millis())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// What a code that registers nothing is told.
pub const UNUSABLE_INVITE: &str = "the invite code is unknown, used, cancelled or expired";

/// A device registered from an invite.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registered {
    /// The new device's id.
    pub device_id: String,
    /// Its bearer token: shown once, stored only hashed.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its patches.
    pub patches: Vec<String>,
}

/// Exchanges an invite code for a new device and its token. The code is
/// used up in the same transaction, so it cannot register two devices.
pub async fn register(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    now: Timestamp,
) -> Result<Registered> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "UPDATE invites SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
         AND cancelled_at IS NULL AND expires_at > $1 RETURNING role, patches, device_name",
    )
    .bind(now.as_millis())
    .bind(hash_secret(code))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((role, patches, named)) = row else {
        return Err(Error::BadRequest(UNUSABLE_INVITE.into()));
    };
    // The admin's name for it wins over the phone's own.
    let name = named.as_deref().unwrap_or(name);
    let role = Role::parse(&role).ok_or_else(|| Error::Corrupt(format!("invite role {role}")))?;
    let id = DeviceId::new(now);
    let token = new_secret()?;
    sqlx::query(
        "INSERT INTO devices (id, token_hash, role, patches, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(hash_secret(&token))
    .bind(role.as_str())
    .bind(&patches)
    .bind(name)
    .bind(now.as_millis())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE invites SET device_id = $1 WHERE code_hash = $2")
        .bind(id.to_string())
        .bind(hash_secret(code))
        .execute(&mut *conn)
        .await?;
    Ok(Registered {
        device_id: id.to_string(),
        token,
        role,
        patches: split_patches(&patches).into_iter().collect(),
    })
}

/// The device a bearer token belongs to.
pub async fn authenticate(conn: &mut AnyConnection, token: &str) -> Result<Device> {
    device_where(conn, "token_hash", &hash_secret(token))
        .await?
        .ok_or(Error::Unauthorized)
}

/// The device with this id, if there is one.
pub async fn find(conn: &mut AnyConnection, id: DeviceId) -> Result<Option<Device>> {
    device_where(conn, "id", &id.to_string()).await
}

async fn device_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<Device>> {
    let sql = format!("SELECT id, role, patches, revoked_at FROM devices WHERE {column} = $1");
    let row: Option<(String, String, String, Option<i64>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((id, role, patches, revoked_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Device {
        id: id
            .parse()
            .map_err(|_| Error::Corrupt(format!("device id {id}")))?,
        role: Role::parse(&role).ok_or_else(|| Error::Corrupt(format!("device role {role}")))?,
        patches: split_patches(&patches),
        revoked: revoked_at.is_some(),
    }))
}

/// Whether any admin device can still sign in (one not revoked).
pub async fn has_admin(conn: &mut AnyConnection) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM devices WHERE role = $1 AND revoked_at IS NULL LIMIT 1")
            .bind(Role::Admin.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

/// A device as listed for admins.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its patches.
    pub patches: Vec<String>,
    /// When it registered (ms since the epoch).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it last synced.
    pub last_seen_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: String,
    name: String,
    role: String,
    patches: String,
    created_at: i64,
    revoked_at: Option<i64>,
    last_seen_at: Option<i64>,
}

/// Every device, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<DeviceInfo>> {
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT id, name, role, patches, created_at, revoked_at, last_seen_at FROM devices ORDER BY created_at DESC, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(DeviceInfo {
                role: Role::parse(&row.role)
                    .ok_or_else(|| Error::Corrupt(format!("device role {}", row.role)))?,
                patches: split_patches(&row.patches).into_iter().collect(),
                id: row.id,
                name: row.name,
                created_at: row.created_at,
                revoked_at: row.revoked_at,
                last_seen_at: row.last_seen_at,
            })
        })
        .collect()
}

/// Revokes a device: its next sync wipes its store. Returns whether it existed.
pub async fn revoke(conn: &mut AnyConnection, id: DeviceId, now: Timestamp) -> Result<bool> {
    let done =
        sqlx::query("UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(now.as_millis())
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Records that a device synced.
pub async fn touch(conn: &mut AnyConnection, id: DeviceId, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
        .bind(now.as_millis())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A device's name and role as stored, if there is such a device (for a
/// subject access export: who recorded what).
pub async fn name_and_role(conn: &mut AnyConnection, id: &str) -> Result<Option<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT name, role FROM devices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hashes_compare() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_secret(&a), hash_secret(&format!(" {a}\n")));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }

    #[test]
    fn only_champions_have_patches() {
        let elm = BTreeSet::from(["elm-road".to_owned()]);
        assert!(check_patches(Role::Champion, &elm).is_ok());
        assert!(check_patches(Role::Champion, &BTreeSet::new()).is_err());
        assert!(check_patches(Role::Viewer, &elm).is_err());
        assert!(check_patches(Role::Admin, &BTreeSet::new()).is_ok());
        assert!(check_patches(Role::Champion, &BTreeSet::from(["Elm Road".to_owned()])).is_err());
    }
}
