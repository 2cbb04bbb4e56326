//! The audit log on the dashboard: who did what, and when, newest first,
//! in words (the log holds ids and counts, never personal data).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Chrome, WebError, WebUser, html};
use crate::calendar::Zone;
use crate::http::AppState;
use crate::ops;

/// How many entries the page shows.
const SHOWN: i64 = 300;

struct EntryLine {
    when: String,
    who: String,
    what: &'static str,
    code: String,
    record: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    title: String,
    chrome: Chrome,
    zone: String,
    entries: Vec<EntryLine>,
}

/// What an audit action means, in words.
fn action_words(code: &str) -> &'static str {
    match code {
        "received" => "A phone received records",
        "exported" => "Everything about someone was downloaded",
        "erased" => "Someone was erased",
        "suppressed" => "Someone was kept only as do-not-contact",
        "anonymised" => "Someone was anonymised (retention)",
        "revoked" => "A device was revoked",
        "invited" => "An invite or sign-in link was made",
        "merged" => "Two records of one person were merged",
        "listed-duplicates" => "Likely duplicates were listed",
        "imported-addresses" => "Doors were imported",
        "imported-people" => "People were imported",
        "changed-area" => "The area's settings changed",
        "created-event" => "An event was added",
        "changed-event" => "An event changed",
        "marked-door" => "A door's do-not-knock mark changed",
        "registered" => "A device joined",
        "signed-in" => "Someone signed in to the dashboard",
        "signed-out" => "Someone signed out",
        "cancelled-invite" => "An invite was cancelled",
        "backed-up" => "A backup was taken",
        "restored" => "The database was restored from a backup",
        "changed-person" => "Someone's details changed",
        "searched-people" => "People were searched",
        "viewed-person" => "Someone's record was opened",
        "listed-board" => "The board was listed",
        "created-group" => "A working group was added",
        "changed-group" => "A working group changed",
        "listed-group-members" => "A working group's members were listed",
        "changed-target" => "A target was set or removed",
        _ => "Something else",
    }
}

/// `GET /admin/audit`.
pub(super) async fn audit(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let zone = Zone::of(area.as_ref());
    let names: std::collections::BTreeMap<String, String> = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let entries = ops::audit_log(&state.db, SHOWN)
        .await?
        .into_iter()
        .map(|e| EntryLine {
            when: zone.date_time(e.at),
            who: match e.actor.as_str() {
                "command-line" => "The command line".to_owned(),
                "retention" => "Retention".to_owned(),
                "restore" => "A restore".to_owned(),
                "schedule" => "Scheduled backups".to_owned(),
                device => names
                    .get(device)
                    .cloned()
                    .unwrap_or_else(|| device.to_owned()),
            },
            what: action_words(&e.action),
            code: e.action,
            record: e.record_id.unwrap_or_default(),
            detail: e.detail,
        })
        .collect();
    let page = AuditPage {
        title: "Audit log".into(),
        chrome: Chrome::signed_in(&user, "/admin/audit", area.as_ref()),
        zone: zone.name().to_owned(),
        entries,
    };
    Ok(html(&page)?.into_response())
}
