//! The admin's backups page: when the last good backup was taken (a
//! warning when it is overdue or there is none), how backups are
//! scheduled, the database's size, and how to restore.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::http::AppState;
use crate::ops;

#[derive(Template)]
#[template(path = "admin_backups.html")]
struct BackupsPage {
    title: String,
    chrome: Chrome,
    /// Said first, as a warning, when there is cause.
    warning: String,
    last: Option<LastBackup>,
    schedule: String,
    database: String,
    schema: i64,
}

struct LastBackup {
    when: String,
    file: String,
    size: String,
    encrypted: bool,
}

/// `GET /admin/backups`.
pub(super) async fn backups(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    let health = ops::backup::health(&state.db).await?;
    let now = state.now().as_millis();
    let every = state.settings.backup_every;
    let warning = match (&health.last_backup, every) {
        (None, _) => "No backup has been taken. If this machine's disk fails, everything \
                      recorded here is lost. Take one now on the server's machine (outreach admin \
                      backup), and start the server with --backup-dir to take them on a \
                      schedule."
            .to_owned(),
        (Some(last), Some(every)) if now - last.taken_at > 2 * every.as_millis() as i64 => {
            format!(
                "The last good backup is older than two scheduled periods (taken {}): \
                 look in the server's log for why scheduled backups fail.",
                calendar::date_time(last.taken_at)
            )
        }
        _ => String::new(),
    };
    let schedule = match every {
        Some(every) => format!(
            "Every {} hours, into the server's --backup-dir.",
            every.as_secs() / 3600
        ),
        None => "None: the server was started without --backup-dir, so backups are only taken \
                 by hand (outreach admin backup)."
            .to_owned(),
    };
    let page = BackupsPage {
        title: "Backups".into(),
        chrome: Chrome::signed_in(
            &user,
            "/admin/backups",
            ops::area::read(&state.db).await?.as_ref(),
        ),
        warning,
        last: health.last_backup.map(|b| LastBackup {
            when: calendar::date_time(b.taken_at),
            file: b.file,
            size: ops::backup::human_bytes(u64::try_from(b.bytes).unwrap_or(0)),
            encrypted: b.encrypted != 0,
        }),
        schedule,
        database: ops::backup::human_bytes(health.database_bytes),
        schema: ops::schema_version(&state.db).await?,
    };
    Ok(html(&page)?.into_response())
}
