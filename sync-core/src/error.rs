//! Errors. One enum for the crate, [`Error`], with a variant per layer so
//! callers can handle each kind differently.

use crate::ids::{DeviceId, DocId, EntryId};
use crate::model::DocKind;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in sync-core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data breaks a rule of the domain (too long, missing consent, ...).
    /// Nothing was written.
    #[error("invalid data: {0}")]
    Validation(#[from] ValidationError),
    /// A stored or received document is not a well-formed record.
    #[error("malformed document: {0}")]
    Document(#[from] DocumentError),
    /// A sync message could not be decoded.
    #[error("bad sync message: {0}")]
    Protocol(#[from] ProtocolError),
    /// The local store failed.
    #[error("local store failed: {0}")]
    Storage(#[from] StorageError),
    /// No record with this id is held here.
    #[error("no {kind} {id} here")]
    NotFound {
        /// The kind looked for.
        kind: DocKind,
        /// The id.
        id: DocId,
    },
    /// The record exists but is of another kind.
    #[error("{id} is a {actual}, not a {expected}")]
    WrongKind {
        /// The id.
        id: DocId,
        /// The kind expected.
        expected: DocKind,
        /// The kind found.
        actual: DocKind,
    },
    /// No record of any kind with this id is held here.
    #[error("no record {0} here")]
    NoSuchRecord(DocId),
    /// The record has no interaction or consent with this id.
    #[error("no entry {0} in this record")]
    NoSuchEntry(EntryId),
    /// The store was created for another device: a store is never shared.
    #[error("this store belongs to device {stored}")]
    WrongDevice {
        /// The device the store belongs to.
        stored: DeviceId,
    },
    /// The store was wiped on the server's instruction (a revoked device).
    #[error("this device was revoked and its store wiped")]
    Wiped,
}

/// A rule of the domain that data breaks. Messages name fields, never values,
/// so they carry no personal data into logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, thiserror::Error)]
pub enum ValidationError {
    /// A required text is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A text is too long.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Most characters allowed.
        max: usize,
    },
    /// A list or set has too many members.
    #[error("{field} has more than {max} entries")]
    TooMany {
        /// The field.
        field: &'static str,
        /// Most entries allowed.
        max: usize,
    },
    /// A key that must be unique is repeated.
    #[error("{field} is repeated")]
    Duplicate {
        /// The field.
        field: &'static str,
    },
    /// A slug holds something other than lowercase letters, digits and dashes.
    #[error("{field} must be 1 to 64 lowercase letters, digits or dashes")]
    NotASlug {
        /// The field.
        field: &'static str,
    },
    /// Not an email address.
    #[error("email is not a valid address")]
    InvalidEmail,
    /// Not a phone number.
    #[error(
        "phone must be 6 to 20 digits, optionally with spaces, dashes, brackets and a leading +"
    )]
    InvalidPhone,
    /// An event's headcount is beyond any event's.
    #[error("headcount must be a whole number from 0 to {max}")]
    HeadcountOutOfRange {
        /// The largest headcount allowed.
        max: u32,
    },
    /// Something ends before it starts.
    #[error("{field} ends before it starts")]
    EndsBeforeStart {
        /// The field.
        field: &'static str,
    },
    /// Ethnicity is special-category data: it needs equality-monitoring consent.
    #[error("ethnicity can only be recorded with equality-monitoring consent")]
    EthnicityWithoutConsent,
    /// An under-13 was signed up without a guardian's consent to events.
    #[error("signing up an under-13 needs a guardian's consent to events")]
    GuardianConsentRequired,
    /// The resident-led threshold is not a percentage from 1 to 100.
    #[error("the resident-led threshold must be from 1 to 100 percent")]
    ThresholdOutOfRange,
    /// The reports' suppression threshold is outside 3 to 100.
    #[error("the suppression threshold must be from 3 to 100")]
    SuppressionOutOfRange,
    /// The days after which an undated follow-up is overdue are outside 1 to 365.
    #[error("a follow-up with no date must be overdue after 1 to 365 days")]
    FollowUpDaysOutOfRange,
    /// The area's time zone is not shaped like an IANA name.
    #[error("the time zone must be an IANA name such as Europe/London")]
    TimeZoneMalformed,
    /// A detail is both given and cleared in one edit.
    #[error("{field} is both given and cleared")]
    GivenAndCleared {
        /// The field.
        field: &'static str,
    },
    /// The interaction is not a doorstep conversation with a follow-up.
    #[error("that interaction has no follow-up")]
    NoFollowUp,
    /// The interaction is not a membership or role, so it cannot end.
    #[error("only working-group memberships and roles can end")]
    NotEndable,
    /// Special-category data (equality monitoring) needs explicit consent as
    /// its lawful basis.
    #[error("equality monitoring needs explicit consent as its lawful basis")]
    SpecialCategoryNeedsConsent,
    /// A field that identifies a record cannot change.
    #[error("{field} cannot change")]
    Immutable {
        /// The field.
        field: &'static str,
    },
    /// The patch is not one of the area's patches.
    #[error("unknown patch")]
    UnknownPatch,
    /// Not a UK postcode.
    #[error("postcode is not a UK postcode (like AB1 2CD)")]
    InvalidPostcode,
    /// A membership of a working group that is closed.
    #[error("that working group is closed")]
    GroupClosed,
    /// A topic that is not one of the area's topics.
    #[error("{field} must be one of the area's topics")]
    UnknownTopic {
        /// The field.
        field: &'static str,
    },
    /// A location outside the map.
    #[error("location must be a latitude from -90 to 90 and a longitude from -180 to 180")]
    InvalidLocation,
    /// Census residents by age that leave out an adult band, or give some
    /// of the under-18 bands and not the others.
    #[error(
        "census residents by age must give every adult band (18-24 to 75+), and either both under-18 bands or neither"
    )]
    CensusAgesIncomplete,
    /// A census figure above [`crate::Census::MAX_COUNT`].
    #[error("a census figure must be at most 1,000,000")]
    CensusTooLarge,
    /// Census figures that are all zero.
    #[error("census figures must not all be zero")]
    CensusAllZero,
}

/// A document that is not a well-formed record of this schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The bytes are not an automerge document.
    #[error("not an automerge document: {0}")]
    Automerge(String),
    /// A required field is missing.
    #[error("missing field {0}")]
    Missing(String),
    /// A field holds the wrong type of value.
    #[error("field {field} should be {expected}")]
    WrongType {
        /// Path of the field.
        field: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A field holds a value this version does not know.
    #[error("field {0} holds an unknown value")]
    UnknownValue(String),
    /// The document was written by a newer schema.
    #[error("schema version {found} is newer than this version supports ({supported})")]
    UnsupportedSchema {
        /// Version found.
        found: u64,
        /// Version supported.
        supported: u64,
    },
    /// The document's configuration is invalid.
    #[error("invalid configuration: {0}")]
    Invalid(ValidationError),
    /// The bytes would cost automerge far more than they are worth to
    /// load: a chunk kind sync-core never writes, compressed data that
    /// inflates too far, or more operations than a record can hold. Refused
    /// before automerge reads them (see `document::chunks`).
    #[error("refused unread: {0}")]
    Expands(String),
    /// The document is larger than allowed.
    #[error("document is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
}

impl From<automerge::AutomergeError> for DocumentError {
    fn from(e: automerge::AutomergeError) -> Self {
        Self::Automerge(e.to_string())
    }
}

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Self::Document(e.into())
    }
}

/// A sync message that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Too short to hold a header.
    #[error("message is truncated")]
    Truncated,
    /// The message does not start with the protocol's magic bytes.
    #[error("not an outreach sync message")]
    BadMagic,
    /// The message was written by an unsupported protocol version.
    #[error("protocol version {found} is not supported (this side speaks {supported})")]
    UnsupportedVersion {
        /// Version found.
        found: u16,
        /// Version supported.
        supported: u16,
    },
    /// A request where a response was expected, or the reverse.
    #[error("expected a {expected} message")]
    WrongMessageType {
        /// What was expected.
        expected: &'static str,
    },
    /// The body does not decode.
    #[error("message body is malformed: {0}")]
    Malformed(String),
    /// The message holds more than the protocol allows.
    #[error("message is too large: {0}")]
    TooLarge(&'static str),
}

/// The local store failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An I/O error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the store open.
    #[error("the store at {0} is open in another process")]
    Locked(String),
    /// A stored file is not in the expected format.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The phone's SQLite database failed.
    #[error("{context}: {source}")]
    Sqlite {
        /// What was being done.
        context: &'static str,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// The store was written by a newer version of this library, which
    /// this one cannot read without risking what it holds.
    #[error("the store has format {found}; this version knows up to {known}")]
    NewerFormat {
        /// The store's format.
        found: i64,
        /// The newest format this version knows.
        known: i64,
    },
}
