//! Devices and dashboard sign-in: invites, registering a phone, revoking a
//! lost one, sign-in links and sessions.

use std::collections::BTreeSet;

use sync_core::{DeviceId, Timestamp};

use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::devices::{self, Device, DeviceInfo, InviteInfo, Registered, Role};
use crate::store::{Connection, Db, commit_if_ok, sessions};

/// How long a sign-in link made from the command line works, by default.
pub const SIGN_IN_LINK_MINUTES: i64 = 30;

/// Longest a device's name may be.
const MAX_NAME_CHARS: usize = 100;

/// A dashboard session ends after this long unused...
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// ...and this long after it started, however much it is used.
pub const SESSION_LONGEST_HOURS: i64 = 12;
/// Sessions a device may hold at once; signing in again ends the oldest.
pub const SESSIONS_PER_DEVICE: u32 = 5;
/// How stale a session's end may get before a page view moves it on: a
/// write at most once a minute per session, not on every page.
const SESSION_EXTEND_AFTER_MS: i64 = 60_000;

/// How long the first admin's sign-in link, printed when the server
/// starts with no admin, works.
pub const FIRST_RUN_LINK_HOURS: i64 = 24;

/// Makes an invite on behalf of `actor`, valid for `lifetime_ms`, and logs
/// it. Returns the one-time code.
pub async fn invite(
    db: &Db,
    actor: Actor,
    role: Role,
    patches: &BTreeSet<String>,
    now: Timestamp,
    lifetime_ms: i64,
) -> Result<String> {
    invite_named(db, actor, role, patches, None, now, lifetime_ms).await
}

/// As [`invite`], naming the device it registers (`"Oak Lane champion"`),
/// so that reports show that name whatever the phone calls itself.
pub async fn invite_named(
    db: &Db,
    actor: Actor,
    role: Role,
    patches: &BTreeSet<String>,
    name: Option<&str>,
    now: Timestamp,
    lifetime_ms: i64,
) -> Result<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name {
        check_name(name)?;
    }
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let expires_at = Timestamp::from_millis(now.as_millis() + lifetime_ms);
    let made = async {
        let code = devices::create_invite(&mut tx, role, patches, name, now, expires_at).await?;
        let what = match name {
            Some(name) => format!("{} ({name})", role.as_str()),
            None => role.as_str().to_owned(),
        };
        audit::record(&mut tx, now, actor, Action::Invited, None, &what).await?;
        Ok(code)
    }
    .await;
    commit_if_ok(tx, made).await
}

/// Refuses a device name longer than [`MAX_NAME_CHARS`].
fn check_name(name: &str) -> Result<()> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::BadRequest(format!(
            "the name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(())
}

/// When no admin can sign in (a new database, or every admin revoked),
/// makes a one-time admin sign-in link that works for
/// [`FIRST_RUN_LINK_HOURS`], logged as made at the command line (whoever
/// started the server). Returns its path, `/sign-in/CODE`, or `None` when
/// there is an admin already.
pub async fn first_run_link(db: &Db, now: Timestamp) -> Result<Option<String>> {
    if devices::has_admin(&mut *db.pool.acquire().await?).await? {
        return Ok(None);
    }
    let code = invite_named(
        db,
        Actor::CommandLine,
        Role::Admin,
        &BTreeSet::new(),
        Some("first admin"),
        now,
        FIRST_RUN_LINK_HOURS * 3_600_000,
    )
    .await?;
    Ok(Some(format!("/sign-in/{code}")))
}

/// Makes a one-time dashboard sign-in link (an invite for a viewer or an
/// admin that expires after `minutes`, for the person `name`d when one
/// is), logged as an invite; returns its path, `/sign-in/CODE`.
pub async fn sign_in_link(
    db: &Db,
    actor: Actor,
    role: Role,
    name: Option<&str>,
    now: Timestamp,
    minutes: i64,
) -> Result<String> {
    if !role.reads_reports() {
        return Err(Error::BadRequest(
            "sign-in links are for viewers and admins".into(),
        ));
    }
    if !(1..=7 * 24 * 60).contains(&minutes) {
        return Err(Error::BadRequest(
            "a sign-in link lasts from 1 minute to 7 days".into(),
        ));
    }
    let lifetime = minutes * 60_000;
    let code = invite_named(db, actor, role, &BTreeSet::new(), name, now, lifetime).await?;
    Ok(format!("/sign-in/{code}"))
}

/// Exchanges an invite code for a new device called `name`, and its token,
/// logged with the new device as the actor. The code is used up in the
/// same transaction, so it cannot register two devices.
pub async fn register(db: &Db, code: &str, name: &str, now: Timestamp) -> Result<Registered> {
    check_name(name)?;
    check_invite_usable(db, code, now).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let registered = registered_on(&mut tx, code, name.trim(), now).await;
    commit_if_ok(tx, registered).await
}

/// Refuses a code that would register nothing before the writer is taken:
/// a flood of guessed codes costs reads, not the phones' writes. (The
/// registration itself checks again, in its transaction.)
async fn check_invite_usable(db: &Db, code: &str, now: Timestamp) -> Result<()> {
    if devices::invite_usable(&mut *db.pool.acquire().await?, code, now).await? {
        Ok(())
    } else {
        Err(Error::BadRequest(devices::UNUSABLE_INVITE.into()))
    }
}

/// Cancels an unused invite, named by its listed id, on behalf of
/// `actor`, and logs it. `NotFound` when no unused invite has that id.
pub async fn cancel_invite(db: &Db, actor: Actor, id: &str, now: Timestamp) -> Result<()> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let cancelled = async {
        if !devices::cancel_invite(&mut tx, id.trim(), now).await? {
            return Err(Error::NotFound("unused invite"));
        }
        audit::record(
            &mut tx,
            now,
            actor,
            Action::CancelledInvite,
            None,
            id.trim(),
        )
        .await
    }
    .await;
    commit_if_ok(tx, cancelled).await
}

/// Registers a device in the caller's transaction, with its audit record.
async fn registered_on(
    tx: &mut Connection,
    code: &str,
    name: &str,
    now: Timestamp,
) -> Result<Registered> {
    let registered = devices::register(tx, code, name, now).await?;
    let id: DeviceId = registered
        .device_id
        .parse()
        .map_err(|_| Error::Corrupt(format!("new device id {}", registered.device_id)))?;
    let role = registered.role.as_str();
    audit::record(tx, now, Actor::Device(id), Action::Registered, None, role).await?;
    Ok(registered)
}

/// Revokes a device on behalf of `actor`, and logs it: the device wipes
/// its store at its next sync. `NotFound` when there is no such device.
pub async fn revoke(db: &Db, actor: Actor, device: DeviceId, now: Timestamp) -> Result<()> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    if !devices::revoke(&mut tx, device, now).await? {
        tx.rollback().await?;
        return Err(Error::NotFound("device"));
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Action::Revoked,
        None,
        &device.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The device a bearer token belongs to (`Unauthorized` if none).
pub async fn authenticate(db: &Db, token: &str) -> Result<Device> {
    let mut conn = db.pool.acquire().await?;
    devices::authenticate(&mut conn, token).await
}

/// Every device, newest first.
pub async fn list(db: &Db) -> Result<Vec<DeviceInfo>> {
    devices::list(&mut *db.pool.acquire().await?).await
}

/// Every invite, newest first.
pub async fn invites(db: &Db) -> Result<Vec<InviteInfo>> {
    devices::list_invites(&mut *db.pool.acquire().await?).await
}

/// Exchanges a dashboard sign-in link's code (a viewer or admin invite)
/// for a new device named "dashboard". A phone's invite is refused and
/// left unused, so the phone it was made for can still register.
pub async fn register_dashboard(db: &Db, code: &str, now: Timestamp) -> Result<Device> {
    check_invite_usable(db, code, now).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let registered = async {
        let registered = registered_on(&mut tx, code, "dashboard", now).await?;
        if !registered.role.reads_reports() {
            // Rolled back: the invite stays unused for the phone it was
            // made for.
            return Err(Error::Forbidden(
                "that code is an invite for a phone, not a dashboard sign-in link",
            ));
        }
        let id = registered
            .device_id
            .parse()
            .map_err(|_| Error::Corrupt(format!("new device id {}", registered.device_id)))?;
        devices::find(&mut tx, id)
            .await?
            .ok_or_else(|| Error::Corrupt("the new device is missing".into()))
    }
    .await;
    commit_if_ok(tx, registered).await
}

/// Starts a dashboard session for `device`, logged as a sign-in. It ends
/// after [`SESSION_IDLE_MINUTES`] unused, or [`SESSION_LONGEST_HOURS`]
/// after it started; the device's sessions beyond its newest
/// [`SESSIONS_PER_DEVICE`] end now. Returns the cookie's secret; only its
/// hash is stored.
pub async fn start_session(db: &Db, device: DeviceId, now: Timestamp) -> Result<String> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let started = async {
        let idle_end = now.plus_millis(SESSION_IDLE_MINUTES * 60_000);
        let secret = sessions::start(&mut tx, device, now, idle_end, SESSIONS_PER_DEVICE).await?;
        let actor = Actor::Device(device);
        audit::record(&mut tx, now, actor, Action::SignedIn, None, "dashboard").await?;
        Ok(secret)
    }
    .await;
    commit_if_ok(tx, started).await
}

/// The device and CSRF token of a live session, if `secret` opens one;
/// using it keeps it open for another [`SESSION_IDLE_MINUTES`] (within
/// its longest life).
pub async fn session(db: &Db, secret: &str, now: Timestamp) -> Result<Option<(Device, String)>> {
    let Some(session) = sessions::find(&mut *db.pool.acquire().await?, secret, now).await? else {
        return Ok(None);
    };
    let longest_end = session
        .created_at
        .plus_millis(SESSION_LONGEST_HOURS * 3_600_000);
    let idle_end = now
        .plus_millis(SESSION_IDLE_MINUTES * 60_000)
        .min(longest_end);
    if idle_end.as_millis() - session.expires_at.as_millis() > SESSION_EXTEND_AFTER_MS {
        let writer = db.writer().await;
        sessions::extend(&mut *writer.acquire().await?, secret, idle_end).await?;
    }
    Ok(Some((session.device, session.csrf)))
}

/// Ends a session (signing out), logged if it was one.
pub async fn end_session(db: &Db, secret: &str, now: Timestamp) -> Result<()> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let ended = async {
        if let Some(device) = sessions::end(&mut tx, secret).await? {
            let actor = Actor::Device(device);
            audit::record(&mut tx, now, actor, Action::SignedOut, None, "dashboard").await?;
        }
        Ok(())
    }
    .await;
    commit_if_ok(tx, ended).await
}
