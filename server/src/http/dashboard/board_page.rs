//! The partnership's board on the dashboard: who holds each seat and
//! office now, with their resident basis, and the seats left vacant;
//! taking up a seat or an office and standing down are recorded from the
//! person's page (`crate::ops::board`, audited).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{ResidentBasis, Role};

use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::board::Holding;

/// A seat or an office as a person's page shows it.
pub(super) struct RoleLine {
    pub(super) role: String,
    pub(super) since: String,
    pub(super) until: String,
    /// Where its "stood down" form posts, while it is held.
    pub(super) end_action: String,
}

impl RoleLine {
    pub(super) fn of(h: &Holding, person: &str, now: i64) -> Self {
        let held = h.end.is_none_or(|end| end > now);
        Self {
            role: role_words(&h.role),
            since: calendar::day(h.start),
            until: h.end.map(calendar::day).unwrap_or_default(),
            end_action: if held {
                format!("/admin/people/{person}/roles/{}/end", h.entry)
            } else {
                String::new()
            },
        }
    }
}

fn role_words(code: &str) -> String {
    Role::parse(code).map_or_else(|| code.to_owned(), |r| labels::role(r).to_owned())
}

struct HolderLine {
    href: String,
    name: String,
    role: String,
    since: String,
    resident: String,
}

#[derive(Template)]
#[template(path = "admin_board.html")]
struct BoardPage {
    title: String,
    chrome: Chrome,
    holders: Vec<HolderLine>,
    /// "9 of 12 seats filled; 3 vacant", or how many hold a seat when
    /// the number of seats is not set.
    seats: String,
}

/// `GET /admin/board` (listing it is audited: it holds names).
pub(super) async fn board(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.admin()?;
    let now = state.now();
    let area = ops::area::read(&state.db).await?;
    let held = ops::board::current(&state.db, user.actor(), now).await?;
    let mut seated: Vec<&str> = held
        .iter()
        .filter(|h| Role::parse(&h.role).is_some_and(Role::is_partnership_seat))
        .map(|h| h.person.as_str())
        .collect();
    seated.sort_unstable();
    seated.dedup();
    let filled = seated.len();
    let seats = match area.as_ref().and_then(|a| a.partnership_seats) {
        Some(seats) => {
            let vacant = (seats as usize).saturating_sub(filled);
            format!("{filled} of {seats} seats filled; {vacant} vacant.")
        }
        None => format!(
            "{filled} people hold a seat. Set the number of seats on the area page to see vacancies."
        ),
    };
    let holders = held
        .iter()
        .map(|h| HolderLine {
            href: format!("/admin/people/{}", h.person),
            name: h.name.clone().unwrap_or_else(|| "(no name given)".into()),
            role: role_words(&h.role),
            since: calendar::day(h.start),
            resident: if h.residency.is_empty() {
                "Not recorded as a resident".to_owned()
            } else {
                h.residency
                    .iter()
                    .filter_map(|b| ResidentBasis::parse(b))
                    .map(labels::residency)
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        })
        .collect();
    let page = BoardPage {
        title: "The board and its offices".into(),
        chrome: Chrome::signed_in(&user, "/admin/board", area.as_ref()),
        holders,
        seats,
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct TakeUpForm {
    #[serde(default)]
    csrf: String,
    role: String,
    start: String,
}

/// `POST /admin/people/{id}/roles`: they took up a seat or an office.
pub(super) async fn take_up(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<TakeUpForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: sync_core::DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| Error::BadRequest(format!("unknown role {:?}", form.role)))?;
    let start = calendar::parse_date(form.start.trim(), "the start")?;
    ops::board::take_up(
        &state.db,
        user.actor(),
        person,
        role,
        sync_core::Timestamp::from_millis(start),
        state.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/people/{person}?done=role")).into_response())
}

#[derive(Deserialize)]
pub(super) struct StandDownForm {
    #[serde(default)]
    csrf: String,
    end: String,
}

/// `POST /admin/people/{id}/roles/{entry}/end`: they stood down.
pub(super) async fn stand_down(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, entry)): Path<(String, String)>,
    Form(form): Form<StandDownForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: sync_core::DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let entry: sync_core::EntryId = entry.parse().map_err(|_| Error::NotFound("role"))?;
    let end = calendar::parse_date(form.end.trim(), "the day they stood down")?;
    ops::board::stand_down(
        &state.db,
        user.actor(),
        person,
        entry,
        sync_core::Timestamp::from_millis(end),
        state.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/people/{person}?done=role")).into_response())
}
