use std::collections::BTreeSet;

use crate::ids::{DeviceId, DocId, EntryId, Timestamp};
use crate::model::{
    AgeBand, ConsentGiver, ConsentMethod, ConsentPurpose, Detail, DoorOutcome, EntryChannel, Hat,
    LawfulBasis, ResidentBasis, Role, Tenure,
};

/// A person and everything that happened with them.
///
/// Everything but the id, area, patch and entry channel is optional: a resident
/// who does not want to be recorded can still be counted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Person {
    /// Document id.
    pub id: DocId,
    /// The area slug.
    pub area: String,
    /// The patch (sub-area) slug.
    pub patch: String,
    /// How they first came to us.
    pub entry_channel: EntryChannel,
    /// Name, if they agreed to give it.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// The household they live in: the id of its address record.
    pub household: Option<DocId>,
    /// Why they count as a resident (several may apply).
    pub residency: BTreeSet<ResidentBasis>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Housing tenure.
    pub tenure: Option<Tenure>,
    /// Preferred language.
    pub language: Option<String>,
    /// Ethnic group: special-category data, only stored with a current
    /// equality-monitoring consent.
    pub ethnicity: Option<String>,
    /// Topics they care about.
    pub interests: BTreeSet<String>,
    /// Every consent given or withdrawn, oldest first.
    pub consents: Vec<ConsentRecord>,
    /// They asked not to be contacted.
    pub do_not_contact: bool,
    /// Everything that happened with them, oldest first.
    pub interactions: Vec<Interaction>,
    /// The device that created the record.
    pub created_by: DeviceId,
    /// When the record was created.
    pub created_at: Timestamp,
}

impl Person {
    /// The consent in force for a purpose: the latest record for it, if it grants.
    pub fn current_consent(&self, purpose: ConsentPurpose) -> Option<&ConsentRecord> {
        self.consents
            .iter()
            .filter(|c| c.purpose == purpose)
            .max_by_key(|c| (c.at, c.id))
            .filter(|c| c.granted)
    }

    /// Whether a door list may show them: not for anyone who asked not to be
    /// contacted, and never for under-18s (young people are reached through
    /// youth workers, not by knocking).
    pub fn on_door_list(&self) -> bool {
        !self.do_not_contact && !self.is_under_18()
    }

    /// Whether their age band is under 18.
    pub fn is_under_18(&self) -> bool {
        self.age_band.is_some_and(AgeBand::is_under_18)
    }

    /// What happened at the latest doorstep conversation or knock.
    pub fn last_door_outcome(&self) -> Option<DoorOutcome> {
        self.interactions
            .iter()
            .filter_map(|i| match &i.kind {
                InteractionKind::Doorstep(d) => Some((i.at, d.outcome)),
                _ => None,
            })
            .max_by_key(|(at, _)| *at)
            .map(|(_, outcome)| outcome)
    }

    /// When anything last happened with them.
    pub fn last_contact(&self) -> Option<Timestamp> {
        self.interactions.iter().map(|i| i.at).max()
    }

    /// Whether a consent for the purpose is in force.
    pub fn has_consent(&self, purpose: ConsentPurpose) -> bool {
        self.current_consent(purpose).is_some()
    }

    /// The interaction with this id.
    pub fn interaction(&self, id: EntryId) -> Option<&Interaction> {
        self.interactions.iter().find(|i| i.id == id)
    }

    /// Doorstep follow-ups promised and not yet done.
    pub fn follow_ups_owed(&self) -> impl Iterator<Item = (&Interaction, &FollowUp)> {
        self.interactions.iter().filter_map(|i| match &i.kind {
            InteractionKind::Doorstep(d) => d
                .follow_up
                .as_ref()
                .filter(|f| f.done.is_none())
                .map(|f| (i, f)),
            _ => None,
        })
    }

    /// Whether a role is held at `at` (started, and not ended).
    pub fn roles_held_at(&self, at: Timestamp) -> impl Iterator<Item = Role> + '_ {
        self.interactions.iter().filter_map(move |i| match i.kind {
            InteractionKind::Role {
                role, start, end, ..
            } if start <= at && end.is_none_or(|e| e > at) => Some(role),
            _ => None,
        })
    }
}

/// What is needed to create a person record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    /// The area slug.
    pub area: String,
    /// The patch slug.
    pub patch: String,
    /// How they came to us.
    pub entry_channel: EntryChannel,
}

impl NewPerson {
    /// A person in `area` and `patch` who came to us through `entry_channel`.
    pub fn new(area: &str, patch: &str, entry_channel: EntryChannel) -> Self {
        Self {
            area: area.to_owned(),
            patch: patch.to_owned(),
            entry_channel,
        }
    }
}

/// Details a person gave about themselves. A field left `None` is left as
/// it is on their record, not cleared: a champion only asks what the
/// moment allows, and a second conversation must not erase the first's.
/// A detail that was wrong is cleared by naming it in `clear`.
///
/// Every dimension the reports break a count down by (residency, age
/// band, tenure, language) is here; ethnicity is not, because it needs
/// an equality-monitoring consent recorded first
/// ([`crate::PersonEditor::set_ethnicity`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonDetails {
    /// Their name.
    pub name: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their email address.
    pub email: Option<String>,
    /// Their age band.
    pub age_band: Option<AgeBand>,
    /// Why they count as a resident: replaces what was recorded (an empty
    /// set records that no reason applies).
    pub residency: Option<BTreeSet<ResidentBasis>>,
    /// Their housing tenure.
    pub tenure: Option<Tenure>,
    /// Their preferred language (an ISO 639-1 code such as `en` or `so`,
    /// or its name when it has none).
    pub language: Option<String>,
    /// Details to clear, because what was recorded was wrong. A detail
    /// both given and cleared is an error.
    pub clear: BTreeSet<Detail>,
}

/// A doorstep conversation (or a knock with nobody in) to log in one step
/// with [`crate::Replica::log_conversation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversation {
    /// The person spoken to, or `None` for someone new.
    pub person: Option<DocId>,
    /// The area slug (for someone new).
    pub area: String,
    /// The patch slug where it happened: an existing person recorded in
    /// another patch is moved here.
    pub patch: String,
    /// The door it happened at: the person is linked to that household and
    /// the knock is recorded on the door.
    pub address: Option<DocId>,
    /// What they told us about themselves.
    pub details: PersonDetails,
    /// What happened. Its topics are also kept as the person's interests.
    pub doorstep: Doorstep,
    /// They agreed to be contacted again.
    pub consent_to_contact: bool,
    /// The version of the consent wording shown.
    pub consent_wording_version: String,
}

/// A new person signing up to an event, for [`crate::Replica::sign_up`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignUp {
    /// The event.
    pub event: DocId,
    /// The area slug.
    pub area: String,
    /// The patch they live in.
    pub patch: String,
    /// What they told us about themselves.
    pub details: PersonDetails,
    /// Consent to hear about events was given.
    pub consent_given: bool,
    /// By whom: an under-13's must come from a guardian.
    pub consent_by: ConsentGiver,
    /// The version of the consent wording shown.
    pub consent_wording_version: String,
    /// They also came (signed up on the day).
    pub attended: bool,
}

/// A consent given or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsentRecord {
    /// Entry id.
    pub id: EntryId,
    /// What it is for.
    pub purpose: ConsentPurpose,
    /// `true` when given, `false` when withdrawn.
    pub granted: bool,
    /// The lawful basis relied on.
    pub lawful_basis: LawfulBasis,
    /// The version of the wording shown to the person.
    pub wording_version: String,
    /// When.
    pub at: Timestamp,
    /// How.
    pub method: ConsentMethod,
    /// Who gave it: the person, or a guardian.
    pub given_by: ConsentGiver,
    /// The device that recorded it.
    pub recorded_by: DeviceId,
}

/// A consent to record; the id, time and device are filled in by the replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    /// What it is for.
    pub purpose: ConsentPurpose,
    /// `true` to give, `false` to withdraw.
    pub granted: bool,
    /// The lawful basis relied on.
    pub lawful_basis: LawfulBasis,
    /// The version of the wording shown.
    pub wording_version: String,
    /// How.
    pub method: ConsentMethod,
    /// Who gave it.
    pub given_by: ConsentGiver,
}

/// Something that happened with a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Interaction {
    /// Entry id.
    pub id: EntryId,
    /// When it happened (for memberships and roles, when it was recorded).
    pub at: Timestamp,
    /// The device that recorded it.
    pub recorded_by: DeviceId,
    /// What happened.
    #[serde(flatten)]
    pub kind: InteractionKind,
}

/// The kinds of interaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum InteractionKind {
    /// A doorstep conversation (or a knock with nobody in).
    Doorstep(Doorstep),
    /// Signed up to an event.
    EventSignUp {
        /// The event.
        event: DocId,
    },
    /// Attended an event or activity.
    Attendance {
        /// The event.
        event: DocId,
    },
    /// Helped run something.
    Volunteering {
        /// What they did.
        activity: String,
        /// The event, if it was at one.
        event: Option<DocId>,
    },
    /// Membership of a working group.
    WorkingGroup {
        /// The group.
        group: String,
        /// When they joined.
        start: Timestamp,
        /// When they left, if they have.
        end: Option<Timestamp>,
    },
    /// A role held.
    Role {
        /// The role.
        role: Role,
        /// When it started.
        start: Timestamp,
        /// When it ended, if it has.
        end: Option<Timestamp>,
        /// Other hats they wear in it (a councillor, a paid worker); empty
        /// in documents written before hats were recorded.
        hats: BTreeSet<Hat>,
    },
    /// Referred to us by someone.
    Referral {
        /// Who referred them (an organisation, not a person's name).
        source: String,
    },
}

impl InteractionKind {
    /// The stored type tag.
    pub const fn tag(&self) -> &'static str {
        match self {
            Self::Doorstep(_) => "doorstep",
            Self::EventSignUp { .. } => "event-sign-up",
            Self::Attendance { .. } => "attendance",
            Self::Volunteering { .. } => "volunteering",
            Self::WorkingGroup { .. } => "working-group",
            Self::Role { .. } => "role",
            Self::Referral { .. } => "referral",
        }
    }

    /// The working group a membership names by its id (see
    /// [`crate::group_id`]); `None` for other entries, and for memberships
    /// older phones recorded under a group's name.
    pub fn working_group_id(&self) -> Option<DocId> {
        match self {
            Self::WorkingGroup { group, .. } => crate::model::group_id(group),
            _ => None,
        }
    }
}

/// A doorstep conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Doorstep {
    /// What happened at the door.
    pub outcome: DoorOutcome,
    /// Topics raised.
    pub topics: BTreeSet<String>,
    /// What they said they would like to get involved in.
    pub wants_to_join: BTreeSet<String>,
    /// What we promised to do ("you said, we did").
    pub follow_up: Option<FollowUp>,
}

impl Doorstep {
    /// A conversation with this outcome and nothing else recorded yet.
    pub fn new(outcome: DoorOutcome) -> Self {
        Self {
            outcome,
            topics: BTreeSet::new(),
            wants_to_join: BTreeSet::new(),
            follow_up: None,
        }
    }

    /// Adds a topic they raised.
    pub fn topic(mut self, topic: &str) -> Self {
        self.topics.insert(topic.to_owned());
        self
    }

    /// Adds something they would like to get involved in.
    pub fn wants_to_join(mut self, what: &str) -> Self {
        self.wants_to_join.insert(what.to_owned());
        self
    }

    /// Records a follow-up we promised, due by `due` if given.
    pub fn follow_up(mut self, what: &str, due: Option<Timestamp>) -> Self {
        self.follow_up = Some(FollowUp {
            what: what.to_owned(),
            due,
            done: None,
        });
        self
    }
}

/// A follow-up promised on the doorstep.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUp {
    /// What we promised.
    pub what: String,
    /// When by.
    pub due: Option<Timestamp>,
    /// Whether, when and how it was done.
    pub done: Option<FollowUpDone>,
}

/// A follow-up promised to someone and not yet done, as a to-do list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedFollowUp {
    /// The person it was promised to.
    pub person: DocId,
    /// Their name, if they gave it.
    pub name: Option<String>,
    /// The doorstep conversation it was promised in.
    pub entry: EntryId,
    /// What we promised.
    pub what: String,
    /// When we promised it.
    pub promised_at: Timestamp,
    /// When by, if a date was given.
    pub due: Option<Timestamp>,
}

/// A follow-up that was done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUpDone {
    /// When.
    pub at: Timestamp,
    /// What was done ("we did").
    pub note: Option<String>,
    /// The device that recorded it.
    pub by: DeviceId,
}
