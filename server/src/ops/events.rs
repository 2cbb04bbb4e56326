//! Events (fun days, youth sessions, meetings ...), as admins create and
//! change them, and their JSON views.

use serde::{Deserialize, Serialize};
use sync_core::{
    DocId, Event, EventKind, NewEvent, Record, Timestamp, ValidationError, authoring, read_record,
};

use super::{Logged, create_as_server, edit_as_server};
use crate::error::{Error, Result};
use crate::store::audit::{Action, Actor};
use crate::store::{Db, area, documents};

/// Creates an event on behalf of `actor`, logged, and returns its id.
pub async fn create(db: &Db, actor: Actor, event: &NewEvent, now: Timestamp) -> Result<DocId> {
    create_as_server(db, actor, Action::CreatedEvent, now, |id, by| {
        Ok(authoring::event_push(None, id, event, by, now)?)
    })
    .await
}

/// Changes an event's details on behalf of `actor`, logged. `NotFound` if
/// there is no such event.
pub async fn update(
    db: &Db,
    actor: Actor,
    id: DocId,
    event: &NewEvent,
    now: Timestamp,
) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedEvent,
        detail: "",
    };
    edit_as_server(db, actor, id, "event", logged, now, |stored, by| {
        Ok(authoring::event_push(Some(stored), id, event, by, now)?)
    })
    .await
}

/// Cancels an event on behalf of `actor`, logged: it stays on every list,
/// marked cancelled, so that phones and reports know it will not happen.
/// `NotFound` if there is no such event.
pub async fn cancel(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedEvent,
        detail: "cancelled",
    };
    edit_as_server(db, actor, id, "event", logged, now, |stored, _| {
        Ok(authoring::cancel_event_push(stored, now)?)
    })
    .await
}

/// An event from the admin's input, checked against the area: the area
/// must be configured and the patch one of its patches.
pub async fn checked_event(db: &Db, input: EventInput) -> Result<NewEvent> {
    let area = area::read(db)
        .await?
        .ok_or_else(|| Error::BadRequest("configure the area before adding events".into()))?;
    if area.patch(&input.patch).is_none() {
        return Err(Error::BadRequest(format!(
            "{:?} is not one of the area's patches",
            input.patch
        )));
    }
    input.into_new_event(&area.area)
}

/// Every event, soonest first.
pub async fn list(db: &Db) -> Result<Vec<EventView>> {
    let mut conn = db.pool.acquire().await?;
    let mut events = Vec::new();
    for bytes in documents::events_soonest_first(&mut conn).await? {
        if let Record::Event(e) = read_record(&bytes)? {
            events.push(EventView::from(&e));
        }
    }
    Ok(events)
}

/// The event with this id; `NotFound` if there is none.
pub async fn get(db: &Db, id: DocId) -> Result<EventView> {
    let mut conn = db.pool.acquire().await?;
    let bytes = documents::bytes(&mut conn, id)
        .await?
        .ok_or(Error::NotFound("event"))?;
    match read_record(&bytes)? {
        Record::Event(e) => Ok(EventView::from(&e)),
        _ => Err(Error::NotFound("event")),
    }
}

/// An event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    /// The document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// fun-day, youth-session, training, meeting, consultation or other.
    pub kind: String,
    /// The patch it is in.
    pub patch: String,
    /// Start (ms since the epoch).
    pub starts_at: i64,
    /// End, if known.
    pub ends_at: Option<i64>,
    /// Where.
    pub place: Option<String>,
    /// Cancelled: it will not happen.
    pub cancelled: bool,
    /// People counted at it without a record of each; `null`: not counted.
    pub headcount: Option<u32>,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            title: e.title.clone(),
            kind: e.kind.as_str().to_owned(),
            patch: e.patch.clone(),
            starts_at: e.starts_at.as_millis(),
            ends_at: e.ends_at.map(Timestamp::as_millis),
            place: e.place.clone(),
            cancelled: e.cancelled,
            headcount: e.headcount,
        }
    }
}

/// An event to create or the new details of one.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventInput {
    /// Title.
    pub title: String,
    /// fun-day, youth-session, training, meeting, consultation or other.
    pub kind: String,
    /// The patch it is in.
    pub patch: String,
    /// Start (ms since the epoch).
    pub starts_at: i64,
    /// End, if known.
    pub ends_at: Option<i64>,
    /// Where.
    pub place: Option<String>,
    /// People counted at it without a record of each (0 to 100,000);
    /// absent or `null`: not counted.
    #[serde(default)]
    pub headcount: Option<u32>,
}

impl EventInput {
    /// The event for the area `area`.
    pub fn into_new_event(self, area: &str) -> Result<NewEvent> {
        if self.headcount.is_some_and(|n| n > Event::MAX_HEADCOUNT) {
            return Err(
                sync_core::Error::Validation(ValidationError::HeadcountOutOfRange {
                    max: Event::MAX_HEADCOUNT,
                })
                .into(),
            );
        }
        Ok(NewEvent {
            area: area.to_owned(),
            patch: self.patch,
            title: self.title,
            kind: EventKind::parse(&self.kind)
                .ok_or_else(|| Error::BadRequest(format!("unknown event kind {:?}", self.kind)))?,
            starts_at: Timestamp::from_millis(self.starts_at),
            ends_at: self.ends_at.map(Timestamp::from_millis),
            place: self.place,
            headcount: self.headcount,
        })
    }
}
