use crate::ids::{DeviceId, DocId, Timestamp};
use crate::model::EventKind;

/// An event, session or meeting.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Document id.
    pub id: DocId,
    /// The area (slug) the event belongs to.
    pub area: String,
    /// The patch (sub-area slug) the event is in.
    pub patch: String,
    /// Title.
    pub title: String,
    /// Kind of event.
    pub kind: EventKind,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends, if known.
    pub ends_at: Option<Timestamp>,
    /// Where it takes place.
    pub place: Option<String>,
    /// Cancelled by an admin: the record stays, so that phones and reports
    /// know it will not happen.
    pub cancelled: bool,
    /// People counted at the event without a record of each (a carnival's
    /// thousand), beside the named attendance; `None`: not counted.
    /// Documents written before it existed read as `None`.
    pub headcount: Option<u32>,
    /// The device that created it.
    pub created_by: DeviceId,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What is needed to create an event.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The area slug.
    pub area: String,
    /// The patch slug.
    pub patch: String,
    /// Title.
    pub title: String,
    /// Kind of event.
    pub kind: EventKind,
    /// Start.
    pub starts_at: Timestamp,
    /// End, if known.
    pub ends_at: Option<Timestamp>,
    /// Place, if known.
    pub place: Option<String>,
    /// People counted without records, if counted.
    pub headcount: Option<u32>,
}

impl Event {
    /// The largest headcount an event may have: more is a typing slip.
    pub const MAX_HEADCOUNT: u32 = 100_000;
}
