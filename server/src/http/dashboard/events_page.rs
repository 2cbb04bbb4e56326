//! Events on the dashboard: those coming up first (soonest first), then
//! past ones (latest first); adding one, and changing one from its own
//! page, through the same use cases as the API (`crate::ops::events`).
//! Times are entered and shown in the area's time zone, stored in UTC.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sync_core::{AreaConfig, DocId, Event, EventKind, ValidationError};

use super::admin_pages::{Done, Notice, PatchChoice, patch_choices};
use super::confirm_page::ConfirmedForm;
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::calendar::Zone;
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::events::{EventInput, EventView};

struct EventLine {
    href: String,
    title: String,
    cancelled: bool,
    kind: String,
    patch: String,
    starts: String,
    place: String,
    /// The headcount, if counted.
    headcount: String,
}

#[derive(Template)]
#[template(path = "admin_events.html")]
struct EventsPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    /// Why the new event was refused, and what was typed.
    problem: String,
    /// The reason again, beside the headcount, when it is the headcount's.
    headcount_problem: String,
    typed: EventForm,
    zone: String,
    kinds: Vec<(&'static str, &'static str)>,
    patches: Vec<PatchChoice>,
    upcoming: Vec<EventLine>,
    past: Vec<EventLine>,
}

fn line(area: Option<&AreaConfig>, zone: &Zone, e: EventView) -> EventLine {
    EventLine {
        href: format!("/admin/events/{}", e.id),
        cancelled: e.cancelled,
        title: e.title,
        kind: EventKind::parse(&e.kind)
            .map_or(e.kind.clone(), |k| labels::event_kind(k).to_owned()),
        patch: labels::patch_name(area, &e.patch),
        starts: zone.date_time(e.starts_at),
        place: e.place.unwrap_or_default(),
        headcount: e.headcount.map(|n| n.to_string()).unwrap_or_default(),
    }
}

/// `GET /admin/events`.
pub(super) async fn events(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    events_page(&state, &user, done.notice(), None).await
}

/// The events page; a refused new event is shown again as typed, with the
/// reason beside it.
async fn events_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    refused: Option<Refused>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let zone = Zone::of(area.as_ref());
    let now = state.now().as_millis();
    // Listed soonest first: the ones to come keep that order, the past
    // ones are shown latest first.
    let (upcoming, mut past): (Vec<EventView>, Vec<EventView>) = ops::events::list(&state.db)
        .await?
        .into_iter()
        .partition(|e| e.ends_at.unwrap_or(e.starts_at) >= now);
    past.reverse();
    let (typed, refusal) = refused.map_or_else(
        || (EventForm::default(), Refusal::default()),
        |r| (r.form, r.refusal),
    );
    let page = EventsPage {
        title: "Events".into(),
        chrome: Chrome::signed_in(user, "/admin/events", area.as_ref()),
        done,
        problem: refusal.problem.clone(),
        headcount_problem: refusal.headcount_problem(),
        typed,
        zone: zone.name().to_owned(),
        kinds: EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), labels::event_kind(*k)))
            .collect(),
        patches: patch_choices(area.as_ref()),
        upcoming: upcoming
            .into_iter()
            .map(|e| line(area.as_ref(), &zone, e))
            .collect(),
        past: past
            .into_iter()
            .map(|e| line(area.as_ref(), &zone, e))
            .collect(),
    };
    Ok((refusal.status, html(&page)?).into_response())
}

/// A refused form as typed, and why.
struct Refused {
    form: EventForm,
    refusal: Refusal,
}

/// Why a form was refused: the reason, whether it was the headcount's,
/// and the status (422 for a value the rules refuse, 400 otherwise).
struct Refusal {
    problem: String,
    headcount: bool,
    status: StatusCode,
}

impl Default for Refusal {
    fn default() -> Self {
        Self {
            problem: String::new(),
            headcount: false,
            status: StatusCode::OK,
        }
    }
}

impl Refusal {
    /// The refusal of `error`; an error that is not the form's fault is
    /// the error page.
    fn of(error: Error) -> Result<Self, WebError> {
        let headcount = matches!(
            error,
            Error::Core(sync_core::Error::Validation(
                ValidationError::HeadcountOutOfRange { .. }
            ))
        );
        let status = if matches!(error, Error::Core(sync_core::Error::Validation(_))) {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        Ok(Self {
            problem: refusal(error)?,
            headcount,
            status,
        })
    }

    fn headcount_problem(&self) -> String {
        if self.headcount {
            self.problem.clone()
        } else {
            String::new()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct EventForm {
    #[serde(default)]
    csrf: String,
    title: String,
    kind: String,
    patch: String,
    starts: String,
    /// When it ends: blank when not known.
    #[serde(default)]
    ends: String,
    #[serde(default)]
    place: String,
    /// People counted without records: blank when not counted.
    #[serde(default)]
    headcount: String,
}

/// A headcount as typed (blank: not counted; `1,000` reads as 1000);
/// anything but a whole number from 0 to the cap is refused.
fn typed_headcount(typed: &str) -> Result<Option<u32>, Error> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
    if digits.is_empty() {
        return Ok(None);
    }
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= Event::MAX_HEADCOUNT)
        .map(Some)
        .ok_or_else(|| {
            sync_core::Error::Validation(ValidationError::HeadcountOutOfRange {
                max: Event::MAX_HEADCOUNT,
            })
            .into()
        })
}

impl EventForm {
    /// The event it describes (its times local to the area), checked
    /// against the area.
    async fn checked(&self, state: &AppState) -> Result<sync_core::NewEvent, Error> {
        let zone = Zone::of(ops::area::read(&state.db).await?.as_ref());
        let input = EventInput {
            title: self.title.trim().to_owned(),
            kind: self.kind.clone(),
            patch: self.patch.clone(),
            starts_at: zone.parse_date_time(&self.starts, "the start")?,
            ends_at: match self.ends.trim() {
                "" => None,
                ends => Some(zone.parse_date_time(ends, "the end")?),
            },
            place: Some(self.place.trim().to_owned()).filter(|p| !p.is_empty()),
            headcount: typed_headcount(&self.headcount)?,
        };
        ops::events::checked_event(&state.db, input).await
    }
}

/// `POST /admin/events`.
pub(super) async fn create_event(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<EventForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let created = async {
        let event = form.checked(&state).await?;
        ops::events::create(&state.db, user.actor(), &event, state.now()).await
    }
    .await;
    match created {
        Ok(_) => Ok(Notice::EventAdded.redirect("/admin/events")),
        Err(e) => {
            let refusal = Refusal::of(e)?;
            events_page(&state, &user, "", Some(Refused { form, refusal })).await
        }
    }
}

struct Choice {
    value: String,
    label: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "admin_event.html")]
struct EventPage {
    title: String,
    chrome: Chrome,
    action: String,
    zone: String,
    /// Cancelled already (no "cancel" link then).
    cancelled: bool,
    /// Why a change was refused (the form then shows what was typed).
    problem: String,
    /// The reason again, beside the headcount, when it is the headcount's.
    headcount_problem: String,
    name: String,
    kinds: Vec<Choice>,
    patches: Vec<Choice>,
    starts: String,
    ends: String,
    place: String,
    headcount: String,
}

/// `GET /admin/events/{id}`: the event's details, as a form.
pub(super) async fn event(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.admin()?;
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    event_page(&state, &user, id, None).await
}

/// An event's page: its details as stored, or a refused change as typed
/// with the reason beside it.
async fn event_page(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    refused: Option<Refused>,
) -> Result<Response, WebError> {
    let event = ops::events::get(&state.db, id).await?;
    let area = ops::area::read(&state.db).await?;
    let zone = Zone::of(area.as_ref());
    let title = format!("Change {}", event.title);
    let cancelled = event.cancelled;
    let (shown, refusal) = refused.map_or_else(
        || {
            let stored = EventForm {
                csrf: String::new(),
                starts: zone.input_date_time(event.starts_at),
                ends: event
                    .ends_at
                    .map(|ends| zone.input_date_time(ends))
                    .unwrap_or_default(),
                place: event.place.unwrap_or_default(),
                headcount: event.headcount.map(|n| n.to_string()).unwrap_or_default(),
                title: event.title,
                kind: event.kind,
                patch: event.patch,
            };
            (stored, Refusal::default())
        },
        |r| (r.form, r.refusal),
    );
    let page = EventPage {
        title,
        chrome: Chrome::signed_in(user, "/admin/events", area.as_ref()),
        action: format!("/admin/events/{id}"),
        zone: zone.name().to_owned(),
        cancelled,
        kinds: EventKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                label: labels::event_kind(*k).to_owned(),
                chosen: k.as_str() == shown.kind,
            })
            .collect(),
        patches: patch_choices(area.as_ref())
            .into_iter()
            .map(|p| Choice {
                chosen: p.value == shown.patch,
                value: p.value,
                label: p.label,
            })
            .collect(),
        problem: refusal.problem.clone(),
        headcount_problem: refusal.headcount_problem(),
        starts: shown.starts,
        ends: shown.ends,
        place: shown.place,
        headcount: shown.headcount,
        name: shown.title,
    };
    Ok((refusal.status, html(&page)?).into_response())
}

/// `POST /admin/events/{id}`: new details for the event.
pub(super) async fn save_event(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    let saved = async {
        let event = form.checked(&state).await?;
        ops::events::update(&state.db, user.actor(), id, &event, state.now()).await
    }
    .await;
    match saved {
        Ok(()) => Ok(Notice::EventSaved.redirect("/admin/events")),
        Err(e) => {
            let refusal = Refusal::of(e)?;
            event_page(&state, &user, id, Some(Refused { form, refusal })).await
        }
    }
}

/// `POST /admin/events/{id}/cancel`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    // Parsed first: only an id goes into the redirect's Location header.
    let id: DocId = id.parse().map_err(|_| Error::NotFound("event"))?;
    if let Some(first) = form.check(&user, &format!("/admin/events/{id}/cancel"))? {
        return Ok(first);
    }
    ops::events::cancel(&state.db, user.actor(), id, state.now()).await?;
    Ok(Notice::EventCancelled.redirect("/admin/events"))
}
