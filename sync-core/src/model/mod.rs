//! The typed domain model: what a person, an event and an area configuration
//! hold. These are plain Rust values; `crate::document` maps them to and from
//! automerge documents, one document per record.

use std::fmt;

mod address;
mod area;
mod event;
mod group;
mod person;

pub use address::{Address, DoorVisit, Location, NewAddress};
pub use area::{AreaConfig, Census, PatchConfig, ResidentDefinition};
pub use event::{Event, NewEvent};
pub use group::{NewGroup, WorkingGroup, group_id};
pub use person::{
    ConsentRecord, Doorstep, FollowUp, FollowUpDone, Interaction, InteractionKind, NewConsent,
    NewConversation, NewPerson, NewSignUp, OwedFollowUp, Person, PersonDetails,
};

use crate::ids::{DeviceId, DocId};

/// Declares an enum stored in documents as a short lowercase string, so that
/// documents stay readable and a value added later does not renumber others.
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The text stored in documents and shown in APIs.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the stored text; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// The kind of record a document holds.
    pub enum DocKind {
        /// A person and everything that happened with them.
        Person => "person",
        /// An event, session or meeting.
        Event => "event",
        /// The admin-written configuration of an area.
        Area => "area",
        /// A door: an address and the household behind it.
        Address => "address",
        /// A working group.
        Group => "group",
    }
}

string_enum! {
    /// Why someone counts as a resident. Several may apply.
    pub enum ResidentBasis {
        /// Lives in the area.
        Lives => "lives",
        /// Works in the area.
        Works => "works",
        /// Studies in the area.
        Studies => "studies",
        /// Worships in the area.
        Worships => "worships",
        /// Another connection to the area.
        Other => "other",
    }
}

string_enum! {
    /// Age band. Bands, not birth dates: reports need no more.
    pub enum AgeBand {
        /// Under 13: sign-ups need a guardian's consent.
        Under13 => "under-13",
        /// 13 to 17.
        From13To17 => "13-17",
        /// 18 to 24.
        From18To24 => "18-24",
        /// 25 to 34.
        From25To34 => "25-34",
        /// 35 to 44.
        From35To44 => "35-44",
        /// 45 to 54.
        From45To54 => "45-54",
        /// 55 to 64.
        From55To64 => "55-64",
        /// 65 to 74.
        From65To74 => "65-74",
        /// 75 and over.
        From75 => "75+",
    }
}

impl AgeBand {
    /// Whether the whole band is under 55 (the research asks about reaching under-55s).
    pub const fn is_under_55(self) -> bool {
        !matches!(self, Self::From55To64 | Self::From65To74 | Self::From75)
    }

    /// Whether the whole band is under 18.
    pub const fn is_under_18(self) -> bool {
        matches!(self, Self::Under13 | Self::From13To17)
    }
}

string_enum! {
    /// A detail of a person that can be cleared ([`PersonDetails::clear`]).
    pub enum Detail {
        /// Their name.
        Name => "name",
        /// Their phone number.
        Phone => "phone",
        /// Their email address.
        Email => "email",
        /// Their age band.
        AgeBand => "age-band",
        /// Why they count as a resident.
        Residency => "residency",
        /// Their housing tenure.
        Tenure => "tenure",
        /// Their preferred language.
        Language => "language",
    }
}

string_enum! {
    /// Housing tenure.
    pub enum Tenure {
        /// Owns their home.
        Owner => "owner",
        /// Rents from a council or housing association.
        SocialRent => "social-rent",
        /// Rents privately.
        PrivateRent => "private-rent",
        /// Lives with family.
        WithFamily => "with-family",
        /// Something else.
        Other => "other",
    }
}

string_enum! {
    /// How a person first came to us.
    pub enum EntryChannel {
        /// A street champion knocked on their door.
        Doorstep => "doorstep",
        /// Signed up at an event.
        Event => "event",
        /// Signed up at a youth session.
        YouthSession => "youth-session",
        /// Referred by someone else (a partner organisation, a neighbour).
        Referral => "referral",
        /// Any other route.
        Other => "other",
    }
}

string_enum! {
    /// What happened at a door.
    pub enum DoorOutcome {
        /// Nobody answered.
        NotIn => "not-in",
        /// We spoke.
        Spoke => "spoke",
        /// They did not want to talk.
        Refused => "refused",
        /// They have moved away.
        MovedAway => "moved-away",
        /// A "no knocking" sign: nobody knocks at this door again.
        NoKnocking => "no-knocking",
    }
}

string_enum! {
    /// What a consent is for.
    pub enum ConsentPurpose {
        /// Being contacted again.
        ContactAgain => "contact-again",
        /// Hearing about events.
        Events => "events",
        /// Being asked to volunteer.
        Volunteering => "volunteering",
        /// Equality monitoring: needed before any special-category data (ethnicity) is stored.
        EqualityMonitoring => "equality-monitoring",
    }
}

string_enum! {
    /// The UK GDPR lawful basis a record relies on.
    pub enum LawfulBasis {
        /// Article 6(1)(a): consent.
        Consent => "consent",
        /// Article 6(1)(f): legitimate interests.
        LegitimateInterests => "legitimate-interests",
    }
}

string_enum! {
    /// How a consent was given or withdrawn.
    pub enum ConsentMethod {
        /// On the doorstep.
        Doorstep => "doorstep",
        /// At an event.
        Event => "event",
        /// Online.
        Online => "online",
        /// By phone.
        Phone => "phone",
        /// On paper.
        Paper => "paper",
    }
}

string_enum! {
    /// Who gave a consent.
    pub enum ConsentGiver {
        /// The person themselves.
        Subject => "subject",
        /// A parent or guardian (required for under-13s).
        Guardian => "guardian",
    }
}

string_enum! {
    /// A role held in the partnership or a group.
    pub enum Role {
        /// A member of the partnership board.
        PartnershipMember => "partnership-member",
        /// Chair of the partnership.
        Chair => "chair",
        /// Vice-chair of the partnership.
        ViceChair => "vice-chair",
        /// Treasurer of the partnership.
        Treasurer => "treasurer",
        /// Lead of a working group or project.
        GroupLead => "group-lead",
    }
}

string_enum! {
    /// Another hat someone on the board wears, besides living or working
    /// in the area: it matters to whether the board is resident led, and
    /// partnerships report it.
    pub enum Hat {
        /// An elected councillor.
        Councillor => "councillor",
        /// Paid to work in the area (by the programme or a local service).
        PaidWorker => "paid-worker",
        /// Represents an agency or organisation (a housing association,
        /// the police, a school).
        AgencyRepresentative => "agency-representative",
        /// Another interest they declared.
        Other => "other",
    }
}

impl Role {
    /// Whether the role is a seat on the partnership board.
    pub const fn is_partnership_seat(self) -> bool {
        !matches!(self, Self::GroupLead)
    }

    /// Whether the role is a leadership role.
    pub const fn is_leadership(self) -> bool {
        !matches!(self, Self::PartnershipMember)
    }
}

string_enum! {
    /// The kind of an event.
    pub enum EventKind {
        /// A fun day or carnival.
        FunDay => "fun-day",
        /// A youth session.
        YouthSession => "youth-session",
        /// Training.
        Training => "training",
        /// A meeting.
        Meeting => "meeting",
        /// A consultation.
        Consultation => "consultation",
        /// Anything else.
        Other => "other",
    }
}

/// A decoded record of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A person.
    Person(Person),
    /// An event.
    Event(Event),
    /// An area configuration.
    Area(AreaConfig),
    /// A door.
    Address(Address),
    /// A working group.
    Group(WorkingGroup),
}

impl Record {
    /// The document id.
    pub fn id(&self) -> DocId {
        match self {
            Self::Person(p) => p.id,
            Self::Event(e) => e.id,
            Self::Area(a) => a.id,
            Self::Address(a) => a.id,
            Self::Group(g) => g.id,
        }
    }

    /// The kind of record.
    pub fn kind(&self) -> DocKind {
        match self {
            Self::Person(_) => DocKind::Person,
            Self::Event(_) => DocKind::Event,
            Self::Area(_) => DocKind::Area,
            Self::Address(_) => DocKind::Address,
            Self::Group(_) => DocKind::Group,
        }
    }

    /// The device that created the record.
    pub fn created_by(&self) -> DeviceId {
        match self {
            Self::Person(p) => p.created_by,
            Self::Event(e) => e.created_by,
            Self::Area(a) => a.created_by,
            Self::Address(a) => a.created_by,
            Self::Group(g) => g.created_by,
        }
    }

    /// The patch the record belongs to, if it belongs to one. A working
    /// group belongs to none, whatever patch it serves: every writer in
    /// the area reads groups, to join people to them.
    pub fn patch(&self) -> Option<&str> {
        match self {
            Self::Person(p) => Some(&p.patch),
            Self::Event(e) => Some(&e.patch),
            Self::Address(a) => Some(&a.patch),
            Self::Area(_) | Self::Group(_) => None,
        }
    }
}

impl fmt::Display for Record {
    /// Never prints personal data: only kind and id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.id())
    }
}
