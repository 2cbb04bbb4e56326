//! Records and enums crossing the FFI, and their mapping to sync-core's.
//! Times are milliseconds since the Unix epoch; ids are UUID text.

use std::collections::BTreeSet;

use sync_core::{
    AgeBand, ConsentGiver, ConsentMethod, ConsentPurpose, Detail, DoorOutcome, Doorstep, Event,
    EventKind, Hat, NewConversation, NewSignUp, OwedFollowUp, PersonDetails, PersonRow,
    ResidentBasis, Role, SyncOutcome, Tenure,
};

use crate::{OutreachError, parse_id, parse_optional_id};

/// What happened at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Outcome {
    /// Nobody answered.
    NotIn,
    /// We spoke.
    Spoke,
    /// They did not want to talk.
    Refused,
    /// They have moved away.
    MovedAway,
    /// A "no knocking" sign: the door leaves the walk list.
    NoKnocking,
}

impl From<Outcome> for DoorOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::NotIn => Self::NotIn,
            Outcome::Spoke => Self::Spoke,
            Outcome::Refused => Self::Refused,
            Outcome::MovedAway => Self::MovedAway,
            Outcome::NoKnocking => Self::NoKnocking,
        }
    }
}

impl From<DoorOutcome> for Outcome {
    fn from(o: DoorOutcome) -> Self {
        match o {
            DoorOutcome::NotIn => Self::NotIn,
            DoorOutcome::Spoke => Self::Spoke,
            DoorOutcome::Refused => Self::Refused,
            DoorOutcome::MovedAway => Self::MovedAway,
            DoorOutcome::NoKnocking => Self::NoKnocking,
        }
    }
}

/// Age bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AgeGroup {
    /// Under 13: signing up needs a guardian's consent.
    Under13,
    /// 13 to 17.
    From13To17,
    /// 18 to 24.
    From18To24,
    /// 25 to 34.
    From25To34,
    /// 35 to 44.
    From35To44,
    /// 45 to 54.
    From45To54,
    /// 55 to 64.
    From55To64,
    /// 65 to 74.
    From65To74,
    /// 75 and over.
    From75,
}

macro_rules! mirror {
    ($ours:ident <=> $theirs:ident { $($variant:ident),+ $(,)? }) => {
        impl From<$ours> for $theirs {
            fn from(v: $ours) -> Self {
                match v { $($ours::$variant => Self::$variant),+ }
            }
        }
        impl From<$theirs> for $ours {
            fn from(v: $theirs) -> Self {
                match v { $($theirs::$variant => Self::$variant),+ }
            }
        }
    };
}

mirror!(AgeGroup <=> AgeBand {
    Under13, From13To17, From18To24, From25To34, From35To44, From45To54, From55To64, From65To74, From75
});

/// Why someone counts as a resident (several may apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ResidencyBasis {
    /// Lives in the area.
    Lives,
    /// Works in the area.
    Works,
    /// Studies in the area.
    Studies,
    /// Worships in the area.
    Worships,
    /// Another connection to the area.
    Other,
}

mirror!(ResidencyBasis <=> ResidentBasis { Lives, Works, Studies, Worships, Other });

/// Housing tenure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HousingTenure {
    /// Owns their home.
    Owner,
    /// Rents from a council or housing association.
    SocialRent,
    /// Rents privately.
    PrivateRent,
    /// Lives with family.
    WithFamily,
    /// Something else.
    Other,
}

mirror!(HousingTenure <=> Tenure { Owner, SocialRent, PrivateRent, WithFamily, Other });

/// A detail of a person that an edit can clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PersonDetail {
    /// Their name.
    Name,
    /// Their phone number.
    Phone,
    /// Their email address.
    Email,
    /// Their age band.
    AgeBand,
    /// Why they count as a resident.
    Residency,
    /// Their housing tenure.
    Tenure,
    /// Their preferred language.
    Language,
}

mirror!(PersonDetail <=> Detail { Name, Phone, Email, AgeBand, Residency, Tenure, Language });

/// Changes to a person's details: a field left out (`None`) stays as it
/// is; one named in `clear` is cleared.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct PersonEdit {
    /// Their name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Their phone number.
    #[uniffi(default = None)]
    pub phone: Option<String>,
    /// Their email.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// Their age band.
    #[uniffi(default = None)]
    pub age_band: Option<AgeGroup>,
    /// Why they count as a resident: replaces what was recorded (an
    /// empty list records that no reason applies).
    #[uniffi(default = None)]
    pub residency: Option<Vec<ResidencyBasis>>,
    /// Their housing tenure.
    #[uniffi(default = None)]
    pub tenure: Option<HousingTenure>,
    /// Their preferred language (an ISO 639-1 code such as "en" or "so").
    #[uniffi(default = None)]
    pub language: Option<String>,
    /// Details to clear (because what was recorded was wrong).
    #[uniffi(default = [])]
    pub clear: Vec<PersonDetail>,
}

impl PersonEdit {
    pub(crate) fn into_core(self) -> PersonDetails {
        PersonDetails {
            name: self.name,
            phone: self.phone,
            email: self.email,
            age_band: self.age_band.map(Into::into),
            residency: residency(self.residency),
            tenure: self.tenure.map(Into::into),
            language: self.language,
            clear: self.clear.into_iter().map(Into::into).collect(),
        }
    }
}

fn residency(bases: Option<Vec<ResidencyBasis>>) -> Option<BTreeSet<ResidentBasis>> {
    bases.map(|bases| bases.into_iter().map(Into::into).collect())
}

/// Roles people hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HeldRole {
    /// A member of the partnership.
    PartnershipMember,
    /// Its chair.
    Chair,
    /// Its vice-chair.
    ViceChair,
    /// Its treasurer.
    Treasurer,
    /// Lead of a group or activity.
    GroupLead,
}

mirror!(HeldRole <=> Role { PartnershipMember, Chair, ViceChair, Treasurer, GroupLead });

/// Another hat someone wears in a seat or office: what a register of
/// interests declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OtherHat {
    /// An elected councillor.
    Councillor,
    /// Paid by the partnership or a partner.
    PaidWorker,
    /// There for an agency (the council, a housing association).
    AgencyRepresentative,
    /// Another declared interest.
    Other,
}

mirror!(OtherHat <=> Hat { Councillor, PaidWorker, AgencyRepresentative, Other });

/// A role a person holds or held, with the other hats worn in it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RoleHeld {
    /// The entry's id (for `set_role_hats` and `end_role`).
    pub entry_id: String,
    /// The role.
    pub role: HeldRole,
    /// From (ms since the epoch).
    pub start_ms: i64,
    /// Until, if it ended.
    pub end_ms: Option<i64>,
    /// The other hats worn in it, in a fixed order.
    pub hats: Vec<OtherHat>,
}

/// Kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EventType {
    /// A fun day.
    FunDay,
    /// A youth session.
    YouthSession,
    /// Training.
    Training,
    /// A meeting.
    Meeting,
    /// A consultation.
    Consultation,
    /// Anything else.
    Other,
}

mirror!(EventType <=> EventKind { FunDay, YouthSession, Training, Meeting, Consultation, Other });

/// Who gave a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentBy {
    /// The person themself.
    Subject,
    /// Their parent or guardian.
    Guardian,
}

mirror!(ConsentBy <=> ConsentGiver { Subject, Guardian });

/// What a consent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentKind {
    /// Being contacted again.
    ContactAgain,
    /// Hearing about and signing up to events.
    Events,
    /// Volunteering.
    Volunteering,
    /// Equality monitoring (ethnicity): always explicit consent.
    EqualityMonitoring,
}

mirror!(ConsentKind <=> ConsentPurpose { ContactAgain, Events, Volunteering, EqualityMonitoring });

/// How a consent was given or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentHow {
    /// At the door.
    Doorstep,
    /// At an event.
    Event,
    /// Online.
    Online,
    /// By phone.
    Phone,
    /// On paper.
    Paper,
}

mirror!(ConsentHow <=> ConsentMethod { Doorstep, Event, Online, Phone, Paper });

/// A doorstep conversation to log.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Conversation {
    /// The person, or `None` (or empty) for someone new.
    pub person_id: Option<String>,
    /// The area's slug.
    pub area: String,
    /// The patch's slug.
    pub patch: String,
    /// What happened at the door.
    pub outcome: Outcome,
    /// Their name, if they gave it.
    pub name: Option<String>,
    /// Their phone number, if they gave it.
    pub phone: Option<String>,
    /// Their email, if they gave it.
    pub email: Option<String>,
    /// Their age band, if known.
    pub age_band: Option<AgeGroup>,
    /// Topics they raised (tags).
    pub topics: Vec<String>,
    /// What they would like to get involved in (tags).
    pub wants_to_join: Vec<String>,
    /// What we promised to do, if anything.
    pub follow_up: Option<String>,
    /// When by.
    pub follow_up_due_ms: Option<i64>,
    /// They agreed to be contacted again.
    pub consent_to_contact: bool,
    /// The version of the consent wording shown.
    pub consent_wording_version: String,
    /// The door it happened at (an address id from the walk list): the
    /// person is linked to that household and the knock is recorded there.
    #[uniffi(default = None)]
    pub address_id: Option<String>,
    /// Why they count as a resident, if they said (replaces what was
    /// recorded; an empty list: no reason applies).
    #[uniffi(default = None)]
    pub residency: Option<Vec<ResidencyBasis>>,
    /// Their housing tenure, if they said.
    #[uniffi(default = None)]
    pub tenure: Option<HousingTenure>,
    /// Their preferred language, if they said (an ISO 639-1 code).
    #[uniffi(default = None)]
    pub language: Option<String>,
}

impl Conversation {
    pub(crate) fn into_core(self) -> Result<NewConversation, OutreachError> {
        Ok(NewConversation {
            // Address before person: with both ids bad, the error names the
            // address, as it always has.
            address: parse_optional_id("address id", self.address_id.as_deref())?,
            person: parse_optional_id("person id", self.person_id.as_deref())?,
            doorstep: self.doorstep(),
            details: PersonDetails {
                name: self.name,
                phone: self.phone,
                email: self.email,
                age_band: self.age_band.map(Into::into),
                residency: residency(self.residency),
                tenure: self.tenure.map(Into::into),
                language: self.language,
                clear: BTreeSet::new(),
            },
            area: self.area,
            patch: self.patch,
            consent_to_contact: self.consent_to_contact,
            consent_wording_version: self.consent_wording_version,
        })
    }

    fn doorstep(&self) -> Doorstep {
        let mut d = Doorstep::new(self.outcome.into());
        for topic in &self.topics {
            d = d.topic(topic);
        }
        for what in &self.wants_to_join {
            d = d.wants_to_join(what);
        }
        if let Some(what) = &self.follow_up {
            d = d.follow_up(
                what,
                self.follow_up_due_ms.map(sync_core::Timestamp::from_millis),
            );
        }
        d
    }
}

/// A logged conversation.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConversationLogged {
    /// The person.
    pub person_id: String,
    /// The conversation's entry (to complete its follow-up later).
    pub entry_id: String,
}

/// An event sign-up of a new person.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SignUp {
    /// The event.
    pub event_id: String,
    /// The area's slug.
    pub area: String,
    /// The patch they live in.
    pub patch: String,
    /// Their name.
    pub name: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their email.
    pub email: Option<String>,
    /// Their age band.
    pub age_band: Option<AgeGroup>,
    /// Consent to events was given.
    pub consent_given: bool,
    /// By whom (a guardian for an under-13).
    pub consent_by: ConsentBy,
    /// The version of the consent wording shown.
    pub consent_wording_version: String,
    /// They also came (signed up on the day).
    pub attended: bool,
    /// Why they count as a resident, if they said.
    #[uniffi(default = None)]
    pub residency: Option<Vec<ResidencyBasis>>,
    /// Their housing tenure, if they said.
    #[uniffi(default = None)]
    pub tenure: Option<HousingTenure>,
    /// Their preferred language, if they said (an ISO 639-1 code).
    #[uniffi(default = None)]
    pub language: Option<String>,
}

impl SignUp {
    pub(crate) fn into_core(self) -> Result<NewSignUp, OutreachError> {
        Ok(NewSignUp {
            event: parse_id("event id", &self.event_id)?,
            area: self.area,
            patch: self.patch,
            details: PersonDetails {
                name: self.name,
                phone: self.phone,
                email: self.email,
                age_band: self.age_band.map(Into::into),
                residency: residency(self.residency),
                tenure: self.tenure.map(Into::into),
                language: self.language,
                clear: BTreeSet::new(),
            },
            consent_given: self.consent_given,
            consent_by: self.consent_by.into(),
            consent_wording_version: self.consent_wording_version,
            attended: self.attended,
        })
    }
}

/// An event to create.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EventInput {
    /// The area's slug.
    pub area: String,
    /// The patch it is in.
    pub patch: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: EventType,
    /// Start.
    pub starts_at_ms: i64,
    /// End, if known.
    pub ends_at_ms: Option<i64>,
    /// Where.
    pub place: Option<String>,
    /// People counted there without signing each up (a fun day's crowd),
    /// if counted: at most 100,000.
    #[uniffi(default = None)]
    pub headcount: Option<u32>,
}

/// A person, as a list shows them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PersonSummary {
    /// Their id.
    pub id: String,
    /// Their name, if given.
    pub name: Option<String>,
    /// Their patch.
    pub patch: String,
    /// Their age band.
    pub age_band: Option<AgeGroup>,
    /// Why they count as a resident (empty: not recorded, or none applies).
    pub residency: Vec<ResidencyBasis>,
    /// Their housing tenure.
    pub tenure: Option<HousingTenure>,
    /// Their preferred language.
    pub language: Option<String>,
    /// Under 18 (never shown on door lists).
    pub under_18: bool,
    /// They asked not to be contacted.
    pub do_not_contact: bool,
    /// Their interests.
    pub interests: Vec<String>,
    /// How many interactions are recorded.
    pub interactions: u32,
    /// The last doorstep outcome.
    pub last_outcome: Option<Outcome>,
    /// When we were last in touch.
    pub last_contact_ms: Option<i64>,
}

impl From<&PersonRow> for PersonSummary {
    fn from(p: &PersonRow) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            patch: p.patch.clone(),
            age_band: p.age_band.map(Into::into),
            residency: p.residency.iter().copied().map(Into::into).collect(),
            tenure: p.tenure.map(Into::into),
            language: p.language.clone(),
            under_18: p.is_under_18(),
            do_not_contact: p.do_not_contact,
            interests: p.interests.iter().cloned().collect(),
            interactions: p.interactions,
            last_outcome: p.last_outcome.map(Into::into),
            last_contact_ms: p.last_contact.map(sync_core::Timestamp::as_millis),
        }
    }
}

/// A follow-up owed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FollowUpOwed {
    /// The person.
    pub person_id: String,
    /// The conversation it was promised in.
    pub entry_id: String,
    /// Their name.
    pub name: Option<String>,
    /// What we promised.
    pub what: String,
    /// When we promised it.
    pub promised_at_ms: i64,
    /// When by.
    pub due_ms: Option<i64>,
}

impl From<OwedFollowUp> for FollowUpOwed {
    fn from(f: OwedFollowUp) -> Self {
        Self {
            person_id: f.person.to_string(),
            entry_id: f.entry.to_string(),
            name: f.name,
            what: f.what,
            promised_at_ms: f.promised_at.as_millis(),
            due_ms: f.due.map(sync_core::Timestamp::as_millis),
        }
    }
}

/// A working group, as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupSummary {
    /// Its id (what [`crate::OutreachStore::join_group`] takes).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The patch it serves; none for the whole area.
    pub patch: Option<String>,
    /// What it is for.
    pub purpose: Option<String>,
    /// The area's topics it works on.
    pub topics: Vec<String>,
    /// Closed: it stays on the list, and takes no new members.
    pub closed: bool,
}

impl From<&sync_core::WorkingGroup> for GroupSummary {
    fn from(g: &sync_core::WorkingGroup) -> Self {
        Self {
            id: g.id.to_string(),
            name: g.name.clone(),
            patch: g.patch.clone(),
            purpose: g.purpose.clone(),
            topics: g.topics.iter().cloned().collect(),
            closed: g.closed,
        }
    }
}

/// An event, as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventSummary {
    /// Its id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: EventType,
    /// Patch.
    pub patch: String,
    /// Start.
    pub starts_at_ms: i64,
    /// Cancelled: it will not happen (shown struck through, say).
    pub cancelled: bool,
    /// People counted there without signing each up, if counted.
    pub headcount: Option<u32>,
}

impl From<&Event> for EventSummary {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            title: e.title.clone(),
            kind: e.kind.into(),
            patch: e.patch.clone(),
            starts_at_ms: e.starts_at.as_millis(),
            cancelled: e.cancelled,
            headcount: e.headcount,
        }
    }
}

/// A record the server refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RejectedRecord {
    /// Its id.
    pub id: String,
    /// Why, as a code (OutOfScope, Invalid, ...).
    pub code: String,
    /// Why, for people.
    pub detail: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncResult {
    /// Sync again straight away.
    pub more: bool,
    /// Records the server accepted.
    pub accepted: u32,
    /// Records received or updated.
    pub received: u32,
    /// Records deleted because they were erased.
    pub erased: u32,
    /// Records the server refused.
    pub rejected: u32,
    /// The device was revoked and its store wiped.
    pub wiped: bool,
    /// Records merged into another (one person recorded twice): show
    /// `to_id` wherever `from_id` was shown.
    pub redirected: Vec<RecordRedirect>,
}

/// A record merged into another.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordRedirect {
    /// The merged-away record (gone from this device).
    pub from_id: String,
    /// The record that now holds what it held.
    pub to_id: String,
}

impl SyncResult {
    pub(crate) fn add(&mut self, other: &Self) {
        self.redirected.extend(other.redirected.iter().cloned());
        self.more = other.more;
        self.accepted += other.accepted;
        self.received += other.received;
        self.erased += other.erased;
        self.rejected += other.rejected;
        self.wiped |= other.wiped;
    }
}

impl From<SyncOutcome> for SyncResult {
    fn from(o: SyncOutcome) -> Self {
        Self {
            more: o.more,
            accepted: o.accepted as u32,
            received: o.received as u32,
            erased: o.erased as u32,
            rejected: o.rejected.len() as u32,
            wiped: o.wiped,
            redirected: o
                .redirected
                .iter()
                .map(|r| RecordRedirect {
                    from_id: r.from.to_string(),
                    to_id: r.to.to_string(),
                })
                .collect(),
        }
    }
}

/// A door to add: one not on the imported list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DoorInput {
    /// The area's slug.
    pub area: String,
    /// The patch's slug.
    pub patch: String,
    /// House number or name ("12", "12a", "Rose Cottage").
    pub house: String,
    /// The street.
    pub street: String,
    /// A flat, village or estate line.
    pub locality: Option<String>,
    /// The postcode.
    pub postcode: Option<String>,
    /// Latitude, if the phone knows where the door is.
    pub latitude: Option<f64>,
    /// Longitude, with the latitude.
    pub longitude: Option<f64>,
}

/// Why a door on the walk list wants a particular kind of visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Revisit {
    /// Nobody was in the last two times: try another time of day.
    TryAnotherTime,
    /// Someone here is owed a follow-up that is due.
    FollowUpDue,
    /// The household had moved away: new residents may be there.
    NewResidents,
}

impl From<sync_core::RevisitFlag> for Revisit {
    fn from(f: sync_core::RevisitFlag) -> Self {
        match f {
            sync_core::RevisitFlag::TryAnotherTime => Self::TryAnotherTime,
            sync_core::RevisitFlag::FollowUpDue => Self::FollowUpDue,
            sync_core::RevisitFlag::NewResidents => Self::NewResidents,
        }
    }
}

/// Someone recorded at a door.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DoorResident {
    /// Their record.
    pub person_id: String,
    /// Their name, if they gave it.
    pub name: Option<String>,
}

/// One door on a walk list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WalkStopSummary {
    /// The address record.
    pub address_id: String,
    /// The door as one line.
    pub label: String,
    /// What happened at the last knock, if any.
    pub last_outcome: Option<Outcome>,
    /// When.
    pub last_knock_ms: Option<i64>,
    /// How many times the door was knocked.
    pub knocks: u32,
    /// What the next visit should bear in mind.
    pub revisit: Vec<Revisit>,
    /// The people recorded here who may be contacted.
    pub residents: Vec<DoorResident>,
}

impl From<sync_core::WalkStop> for WalkStopSummary {
    fn from(s: sync_core::WalkStop) -> Self {
        Self {
            address_id: s.address.to_string(),
            label: s.label,
            last_outcome: s.last_visit.as_ref().map(|v| v.outcome.into()),
            last_knock_ms: s.last_visit.as_ref().map(|v| v.at.as_millis()),
            knocks: s.knocks as u32,
            revisit: s.flags.into_iter().map(Revisit::from).collect(),
            residents: s
                .residents
                .into_iter()
                .map(|r| DoorResident {
                    person_id: r.id.to_string(),
                    name: r.name,
                })
                .collect(),
        }
    }
}
