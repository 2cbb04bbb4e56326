//! The partnership's board on the dashboard: who holds each seat and
//! office now, with their resident basis, and the seats left vacant;
//! taking up a seat or an office and standing down are recorded from the
//! person's page (`crate::ops::board`, audited).

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{Hat, ResidentBasis, Role};

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
    /// Its other hats in words ("Councillor; Paid worker"), or "None".
    pub(super) hats: String,
    /// Where its "stood down" and hats forms post, while it is held.
    pub(super) end_action: String,
    pub(super) hats_action: String,
    pub(super) hat_boxes: Vec<HatBox>,
}

impl RoleLine {
    pub(super) fn of(h: &Holding, person: &str, now: i64) -> Self {
        let held = h.end.is_none_or(|end| end > now);
        let hats = parse_hats(&h.hats);
        let (end_action, hats_action) = if held {
            let role = format!("/admin/people/{person}/roles/{}", h.entry);
            (format!("{role}/end"), format!("{role}/hats"))
        } else {
            (String::new(), String::new())
        };
        Self {
            role: role_words(&h.role),
            since: calendar::day(h.start),
            until: h.end.map(calendar::day).unwrap_or_default(),
            hats: hats_words(&hats),
            end_action,
            hats_action,
            hat_boxes: HatBox::all(&hats),
        }
    }
}

/// A tick box for one hat.
pub(super) struct HatBox {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) checked: bool,
}

impl HatBox {
    pub(super) fn all(worn: &BTreeSet<Hat>) -> Vec<Self> {
        Hat::ALL
            .iter()
            .map(|h| Self {
                value: h.as_str(),
                label: labels::hat(*h),
                checked: worn.contains(h),
            })
            .collect()
    }
}

/// What the "took up" form shows: nothing yet, or what was typed when it
/// was refused.
#[derive(Default)]
pub(super) struct RoleTyped {
    pub(super) role: String,
    /// The start as typed; blank shows today.
    pub(super) start: String,
    pub(super) hats: BTreeSet<Hat>,
    /// Why it was refused, shown beside the form.
    pub(super) problem: String,
}

fn parse_hats(codes: &[String]) -> BTreeSet<Hat> {
    codes.iter().filter_map(|c| Hat::parse(c)).collect()
}

fn hats_words(hats: &BTreeSet<Hat>) -> String {
    if hats.is_empty() {
        return "None".to_owned();
    }
    hats.iter()
        .map(|h| labels::hat(*h))
        .collect::<Vec<_>>()
        .join("; ")
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
    hats: String,
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
    /// How many of those seated wear another hat, and which.
    other_hats: String,
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
    let other_hats = other_hats_line(&held, &seated);
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
            hats: hats_words(&parse_hats(&h.hats)),
        })
        .collect();
    let page = BoardPage {
        title: "The board and its offices".into(),
        chrome: Chrome::signed_in(&user, "/admin/board", area.as_ref()),
        holders,
        seats,
        other_hats,
    };
    Ok(html(&page)?.into_response())
}

/// "2 of the 9 people with a seat wear another hat: 1 councillor, 1
/// paid worker." (a seat held twice, as member and chair, counts once).
fn other_hats_line(held: &[Holding], seated: &[&str]) -> String {
    let mut worn: BTreeMap<Hat, BTreeSet<&str>> = BTreeMap::new();
    let mut wearers = BTreeSet::new();
    for h in held {
        if !seated.contains(&h.person.as_str()) {
            continue;
        }
        for hat in parse_hats(&h.hats) {
            worn.entry(hat).or_default().insert(h.person.as_str());
            wearers.insert(h.person.as_str());
        }
    }
    if seated.is_empty() {
        return String::new();
    }
    if wearers.is_empty() {
        return "Nobody with a seat is recorded as wearing another hat (a councillor, a paid worker, an agency's representative).".to_owned();
    }
    let which: Vec<String> = worn
        .iter()
        .map(|(hat, people)| labels::hat_count(*hat, people.len()))
        .collect();
    format!(
        "{} of the {} people with a seat wear another hat: {}.",
        wearers.len(),
        seated.len(),
        which.join(", ")
    )
}

/// The "took up" and "other hats" forms: a hat is sent when ticked.
#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    start: String,
    #[serde(default, rename = "hat_councillor")]
    councillor: Option<String>,
    #[serde(default, rename = "hat_paid-worker")]
    paid_worker: Option<String>,
    #[serde(default, rename = "hat_agency-representative")]
    agency_representative: Option<String>,
    #[serde(default, rename = "hat_other")]
    other: Option<String>,
}

impl RoleForm {
    fn hats(&self) -> BTreeSet<Hat> {
        [
            (Hat::Councillor, &self.councillor),
            (Hat::PaidWorker, &self.paid_worker),
            (Hat::AgencyRepresentative, &self.agency_representative),
            (Hat::Other, &self.other),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(hat, _)| hat)
        .collect()
    }

    fn typed(&self) -> RoleTyped {
        RoleTyped {
            role: self.role.clone(),
            start: self.start.clone(),
            hats: self.hats(),
            problem: String::new(),
        }
    }
}

/// `POST /admin/people/{id}/roles`: they took up a seat or an office.
pub(super) async fn take_up(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: sync_core::DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let taken = async {
        let role = Role::parse(&form.role).ok_or_else(|| {
            Error::BadRequest("choose the seat or office they took up".to_owned())
        })?;
        let start = calendar::parse_date(form.start.trim(), "the start")?;
        ops::board::take_up(
            &state.db,
            user.actor(),
            person,
            role,
            sync_core::Timestamp::from_millis(start),
            &form.hats(),
            state.now(),
        )
        .await
    }
    .await;
    saved_or_refused(&state, &user, person, taken.map(drop), form.typed()).await
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
    let ended = async {
        let end = calendar::parse_date(form.end.trim(), "the day they stood down")?;
        ops::board::stand_down(
            &state.db,
            user.actor(),
            person,
            entry,
            sync_core::Timestamp::from_millis(end),
            state.now(),
        )
        .await
    }
    .await;
    saved_or_refused(&state, &user, person, ended, RoleTyped::default()).await
}

/// `POST /admin/people/{id}/roles/{entry}/hats`: the other hats they
/// wear in a seat or an office they hold.
pub(super) async fn set_hats(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, entry)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: sync_core::DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let entry: sync_core::EntryId = entry.parse().map_err(|_| Error::NotFound("role"))?;
    let changed = ops::board::set_hats(
        &state.db,
        user.actor(),
        person,
        entry,
        &form.hats(),
        state.now(),
    )
    .await;
    saved_or_refused(&state, &user, person, changed, RoleTyped::default()).await
}

/// Back to the person's page: saying it was saved, or with the reason it
/// was refused beside the "took up" form, as typed.
async fn saved_or_refused(
    state: &AppState,
    user: &WebUser,
    person: sync_core::DocId,
    saved: Result<(), Error>,
    mut typed: RoleTyped,
) -> Result<Response, WebError> {
    let problem = match saved {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/admin/people/{person}?done=role")).into_response());
        }
        Err(Error::BadRequest(message)) => message,
        Err(Error::Core(sync_core::Error::Validation(broken))) => broken.to_string(),
        Err(other) => return Err(other.into()),
    };
    typed.problem = format!("Not recorded: {problem}");
    super::people_page::refused_role(state, user, person, typed).await
}
