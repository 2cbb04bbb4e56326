//! How records are laid out in automerge documents, and the only module that
//! reads or writes them field by field.
//!
//! Layout rules, chosen so that concurrent edits merge field by field and lose
//! nothing:
//! * Every container (map) a record ever needs is created in the document's
//!   first change. Two devices that each created the same container would
//!   produce two competing objects, and one side's contents would be hidden.
//! * Sets (interests, topics, residency) are maps from member to `true`, so a
//!   concurrent add and remove of different members both survive.
//! * Interactions and consents live in maps keyed by their UUIDv7 entry id,
//!   never in lists: concurrent appends cannot clash, and an entry is updated
//!   in place (a follow-up done, a role ended) by key.
//! * Scalars are last-writer-wins per field, as automerge resolves them.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, hydrate};

use crate::error::{DocumentError, Result, ValidationError};
use crate::ids::{DeviceId, DocId, EntryId, Timestamp};
use crate::ladder::{Ladder, Stage, StageRule};
use crate::model::{
    Address, AgeBand, AreaConfig, Census, ConsentGiver, ConsentMethod, ConsentPurpose,
    ConsentRecord, Detail, DocKind, DoorOutcome, DoorVisit, Doorstep, EntryChannel, Event,
    EventKind, FollowUp, FollowUpDone, Hat, Interaction, InteractionKind, LawfulBasis, Location,
    NewAddress, NewEvent, NewGroup, NewPerson, PatchConfig, Person, PersonDetails, Record,
    ResidentBasis, ResidentDefinition, Role, Tenure, WorkingGroup,
};

pub(crate) mod chunks;

/// The schema version written into every document.
pub(crate) const SCHEMA_VERSION: u64 = 1;
/// The largest document accepted, in saved bytes.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Where bytes to load come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Stored, by the server or a phone, or sent by the server from its
    /// store: documents that grew by merges.
    Stored,
    /// Pushed by a device: held to [`chunks::MAX_OPERATIONS`] as well. A
    /// stored document is not, because it may grow past that by merges
    /// that each kept within it.
    Push,
}

/// Loads document bytes (a saved document, or saved changes).
pub(crate) fn load(bytes: &[u8], origin: Origin) -> Result<AutoCommit, DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge {
            max: MAX_DOCUMENT_BYTES,
        });
    }
    chunks::screen(bytes, origin)?;
    parse_guarded(|| AutoCommit::load(bytes))
}

/// Applies saved changes from elsewhere to `doc`. On an error `doc` may be
/// half-changed: callers drop it.
pub(crate) fn load_incremental(
    doc: &mut AutoCommit,
    bytes: &[u8],
    origin: Origin,
) -> Result<usize, DocumentError> {
    chunks::screen(bytes, origin)?;
    parse_guarded(|| doc.load_incremental(bytes))
}

/// Runs automerge's parser on bytes that came from elsewhere (and that
/// [`chunks::screen`] passed). The parser panics on some malformed input
/// (fuzzing found an `unwrap` in its column decoder, in automerge 0.12):
/// the panic becomes an error here, so bad
/// bytes are refused like any other malformed input instead of failing a
/// server request or a phone's sync.
fn parse_guarded<T>(
    parse: impl FnOnce() -> Result<T, automerge::AutomergeError>,
) -> Result<T, DocumentError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(parsed) => Ok(parsed?),
        Err(_) => Err(DocumentError::Automerge(
            "malformed bytes (automerge's parser gave up)".into(),
        )),
    }
}

/// Decodes the record a document holds, as at `heads` (or now).
pub(crate) fn decode(
    doc: &AutoCommit,
    heads: Option<&[ChangeHash]>,
) -> Result<Record, DocumentError> {
    let root = doc.hydrate(ROOT, heads)?;
    let root = Fields::root(&root)?;
    let schema = root.uint("schema")?;
    if schema > SCHEMA_VERSION {
        return Err(DocumentError::UnsupportedSchema {
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    match root.required_enum("kind", DocKind::parse)? {
        DocKind::Person => decode_person(&root).map(Record::Person),
        DocKind::Event => decode_event(&root).map(Record::Event),
        DocKind::Area => decode_area(&root).map(Record::Area),
        DocKind::Address => decode_address(&root).map(Record::Address),
        DocKind::Group => decode_group(&root).map(Record::Group),
    }
}

// ---------------------------------------------------------------- reading

/// A map in a hydrated document, with the path to it for error messages.
struct Fields<'a> {
    map: &'a hydrate::Map,
    path: String,
}

impl<'a> Fields<'a> {
    fn root(value: &'a hydrate::Value) -> Result<Self, DocumentError> {
        match value {
            hydrate::Value::Map(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            _ => Err(DocumentError::WrongType {
                field: "root".into(),
                expected: "a map",
            }),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn wrong(&self, key: &str, expected: &'static str) -> DocumentError {
        DocumentError::WrongType {
            field: self.path(key),
            expected,
        }
    }

    fn scalar(&self, key: &str) -> Result<Option<&'a ScalarValue>, DocumentError> {
        match self.map.get(key) {
            None | Some(hydrate::Value::Scalar(ScalarValue::Null)) => Ok(None),
            Some(hydrate::Value::Scalar(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "a scalar")),
        }
    }

    fn require<T>(&self, key: &str, value: Option<T>) -> Result<T, DocumentError> {
        value.ok_or_else(|| DocumentError::Missing(self.path(key)))
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, DocumentError> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(self.wrong(key, "text")),
        }
    }

    fn str(&self, key: &str) -> Result<String, DocumentError> {
        let value = self.opt_str(key)?;
        self.require(key, value)
    }

    fn opt_ts(&self, key: &str) -> Result<Option<Timestamp>, DocumentError> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::Timestamp(ms) | ScalarValue::Int(ms)) => {
                Ok(Some(Timestamp::from_millis(*ms)))
            }
            Some(_) => Err(self.wrong(key, "a timestamp")),
        }
    }

    fn ts(&self, key: &str) -> Result<Timestamp, DocumentError> {
        let value = self.opt_ts(key)?;
        self.require(key, value)
    }

    fn bool(&self, key: &str) -> Result<bool, DocumentError> {
        match self.scalar(key)? {
            None => Ok(false),
            Some(ScalarValue::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.wrong(key, "true or false")),
        }
    }

    fn opt_uint(&self, key: &str) -> Result<Option<u64>, DocumentError> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::Uint(n)) => Ok(Some(*n)),
            Some(ScalarValue::Int(n)) if *n >= 0 => Ok(Some(*n as u64)),
            Some(_) => Err(self.wrong(key, "a whole number")),
        }
    }

    fn uint(&self, key: &str) -> Result<u64, DocumentError> {
        let value = self.opt_uint(key)?;
        self.require(key, value)
    }

    /// An optional whole number that must fit a `u32`.
    fn opt_u32(&self, key: &str) -> Result<Option<u32>, DocumentError> {
        self.opt_uint(key)?
            .map(|n| u32::try_from(n).map_err(|_| self.wrong(key, "a smaller number")))
            .transpose()
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, DocumentError> {
        match self.scalar(key)? {
            None => Ok(None),
            Some(ScalarValue::F64(n)) => Ok(Some(*n)),
            Some(ScalarValue::Int(n)) => Ok(Some(*n as f64)),
            Some(ScalarValue::Uint(n)) => Ok(Some(*n as f64)),
            Some(_) => Err(self.wrong(key, "a number")),
        }
    }

    fn opt_enum<T>(
        &self,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, DocumentError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(text) => parse(&text)
                .map(Some)
                .ok_or_else(|| DocumentError::UnknownValue(self.path(key))),
        }
    }

    fn required_enum<T>(
        &self,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, DocumentError> {
        let value = self.opt_enum(key, parse)?;
        self.require(key, value)
    }

    fn opt_id<T: FromStr>(&self, key: &str) -> Result<Option<T>, DocumentError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| self.wrong(key, "an id")),
        }
    }

    fn id<T: FromStr>(&self, key: &str) -> Result<T, DocumentError> {
        let value = self.opt_id(key)?;
        self.require(key, value)
    }

    fn map(&self, key: &str) -> Result<Fields<'a>, DocumentError> {
        match self.map.get(key) {
            Some(hydrate::Value::Map(map)) => Ok(Fields {
                map,
                path: self.path(key),
            }),
            None => Err(DocumentError::Missing(self.path(key))),
            Some(_) => Err(self.wrong(key, "a map")),
        }
    }

    /// The members of a set stored as a map of member to `true`. Errors
    /// name the set, never a member (members can be free text).
    fn set(&self, key: &str) -> Result<BTreeSet<String>, DocumentError> {
        let set = self.map(key)?;
        let mut members = BTreeSet::new();
        for (member, value) in set.map.iter() {
            match &value.value {
                hydrate::Value::Scalar(ScalarValue::Boolean(true)) => {
                    members.insert(member.clone());
                }
                hydrate::Value::Scalar(ScalarValue::Boolean(false) | ScalarValue::Null) => {}
                _ => return Err(self.wrong(key, "a set of members mapped to true")),
            }
        }
        Ok(members)
    }

    fn enum_set<T: Ord>(
        &self,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<BTreeSet<T>, DocumentError> {
        self.set(key)?
            .iter()
            .map(|m| parse(m).ok_or_else(|| DocumentError::UnknownValue(self.path(key))))
            .collect()
    }

    /// Each entry of a map whose values are maps.
    fn entries(
        &self,
    ) -> impl Iterator<Item = Result<(&'a String, Fields<'a>), DocumentError>> + '_ {
        self.map.iter().map(|(key, value)| match &value.value {
            hydrate::Value::Map(map) => Ok((
                key,
                Fields {
                    map,
                    path: self.path(key),
                },
            )),
            _ => Err(self.wrong(key, "a map")),
        })
    }
}

fn decode_person(root: &Fields<'_>) -> Result<Person, DocumentError> {
    let mut consents = Vec::new();
    for entry in root.map("consents")?.entries() {
        let (key, c) = entry?;
        consents.push(ConsentRecord {
            id: parse_entry_id(&c, key)?,
            purpose: c.required_enum("purpose", ConsentPurpose::parse)?,
            granted: c.bool("granted")?,
            lawful_basis: c.required_enum("lawful_basis", LawfulBasis::parse)?,
            wording_version: c.str("wording_version")?,
            at: c.ts("at")?,
            method: c.required_enum("method", ConsentMethod::parse)?,
            given_by: c.required_enum("given_by", ConsentGiver::parse)?,
            recorded_by: c.id("recorded_by")?,
        });
    }
    consents.sort_by_key(|c| (c.at, c.id));
    let mut interactions = Vec::new();
    for entry in root.map("interactions")?.entries() {
        let (key, i) = entry?;
        interactions.push(decode_interaction(key, &i)?);
    }
    interactions.sort_by_key(|i| (i.at, i.id));
    Ok(Person {
        id: root.id("id")?,
        area: root.str("area")?,
        patch: root.str("patch")?,
        entry_channel: root.required_enum("entry_channel", EntryChannel::parse)?,
        name: root.opt_str("name")?,
        phone: root.opt_str("phone")?,
        email: root.opt_str("email")?,
        household: root.opt_id("household")?,
        residency: root.enum_set("residency", ResidentBasis::parse)?,
        age_band: root.opt_enum("age_band", AgeBand::parse)?,
        tenure: root.opt_enum("tenure", Tenure::parse)?,
        language: root.opt_str("language")?,
        ethnicity: root.opt_str("ethnicity")?,
        interests: root.set("interests")?,
        consents,
        do_not_contact: root.bool("do_not_contact")?,
        interactions,
        created_by: root.id("created_by")?,
        created_at: root.ts("created_at")?,
    })
}

fn parse_entry_id(fields: &Fields<'_>, key: &str) -> Result<EntryId, DocumentError> {
    key.parse().map_err(|_| DocumentError::WrongType {
        field: fields.path.clone(),
        expected: "keyed by an entry id",
    })
}

fn decode_interaction(key: &str, i: &Fields<'_>) -> Result<Interaction, DocumentError> {
    let tag = i.str("type")?;
    let kind = match tag.as_str() {
        "doorstep" => {
            let follow_up = match i.opt_str("follow_up")? {
                None => None,
                Some(what) => Some(FollowUp {
                    what,
                    due: i.opt_ts("follow_up_due")?,
                    done: match i.opt_ts("follow_up_done_at")? {
                        None => None,
                        Some(at) => Some(FollowUpDone {
                            at,
                            note: i.opt_str("follow_up_done_note")?,
                            by: i.id("follow_up_done_by")?,
                        }),
                    },
                }),
            };
            InteractionKind::Doorstep(Doorstep {
                outcome: i.required_enum("outcome", DoorOutcome::parse)?,
                topics: i.set("topics")?,
                wants_to_join: i.set("wants_to_join")?,
                follow_up,
            })
        }
        "event-sign-up" => InteractionKind::EventSignUp {
            event: i.id("event")?,
        },
        "attendance" => InteractionKind::Attendance {
            event: i.id("event")?,
        },
        "volunteering" => InteractionKind::Volunteering {
            activity: i.str("activity")?,
            event: i.opt_id("event")?,
        },
        "working-group" => InteractionKind::WorkingGroup {
            group: i.str("group")?,
            start: i.ts("start")?,
            end: i.opt_ts("end")?,
        },
        "role" => InteractionKind::Role {
            role: i.required_enum("role", Role::parse)?,
            start: i.ts("start")?,
            end: i.opt_ts("end")?,
            hats: if i.map.get("hats").is_some() {
                i.enum_set("hats", Hat::parse)?
            } else {
                BTreeSet::new()
            },
        },
        "referral" => InteractionKind::Referral {
            source: i.str("source")?,
        },
        _ => return Err(DocumentError::UnknownValue(i.path("type"))),
    };
    Ok(Interaction {
        id: parse_entry_id(i, key)?,
        at: i.ts("at")?,
        recorded_by: i.id("recorded_by")?,
        kind,
    })
}

fn decode_event(root: &Fields<'_>) -> Result<Event, DocumentError> {
    Ok(Event {
        id: root.id("id")?,
        area: root.str("area")?,
        patch: root.str("patch")?,
        title: root.str("title")?,
        kind: root.required_enum("event_kind", EventKind::parse)?,
        starts_at: root.ts("starts_at")?,
        ends_at: root.opt_ts("ends_at")?,
        place: root.opt_str("place")?,
        // Added later: absent means not cancelled.
        cancelled: root.bool("cancelled")?,
        // Added later: absent means not counted.
        headcount: root.opt_u32("headcount")?,
        created_by: root.id("created_by")?,
        created_at: root.ts("created_at")?,
    })
}

fn decode_group(root: &Fields<'_>) -> Result<WorkingGroup, DocumentError> {
    Ok(WorkingGroup {
        id: root.id("id")?,
        area: root.str("area")?,
        patch: root.opt_str("patch")?,
        name: root.str("name")?,
        purpose: root.opt_str("purpose")?,
        topics: root.set("topics")?,
        devolved_budget: root.bool("devolved_budget")?,
        devolved_decisions: root.bool("devolved_decisions")?,
        constituted: root.bool("constituted")?,
        lead: root.opt_id("lead")?,
        closed: root.bool("closed")?,
        created_by: root.id("created_by")?,
        created_at: root.ts("created_at")?,
    })
}

fn decode_address(root: &Fields<'_>) -> Result<Address, DocumentError> {
    let mut visits = Vec::new();
    for entry in root.map("visits")?.entries() {
        let (key, v) = entry?;
        visits.push(DoorVisit {
            id: parse_entry_id(&v, key)?,
            at: v.ts("at")?,
            outcome: v.required_enum("outcome", DoorOutcome::parse)?,
            recorded_by: v.id("recorded_by")?,
        });
    }
    visits.sort_by_key(|v| (v.at, v.id));
    let location = match (root.opt_f64("latitude")?, root.opt_f64("longitude")?) {
        (Some(latitude), Some(longitude)) => Some(Location {
            latitude,
            longitude,
        }),
        _ => None,
    };
    Ok(Address {
        id: root.id("id")?,
        area: root.str("area")?,
        patch: root.str("patch")?,
        house: root.str("house")?,
        street: root.str("street")?,
        locality: root.opt_str("locality")?,
        postcode: root.opt_str("postcode")?,
        location,
        do_not_knock: root.bool("do_not_knock")?,
        visits,
        created_by: root.id("created_by")?,
        created_at: root.ts("created_at")?,
    })
}

/// A patch's census: counts keyed by age band and by tenure, each map
/// absent or empty when not entered.
fn decode_census(c: &Fields<'_>) -> Result<Census, DocumentError> {
    fn counts<T: Ord>(
        c: &Fields<'_>,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<BTreeMap<T, u32>, DocumentError> {
        let mut out = BTreeMap::new();
        if c.map.get(key).is_none() {
            return Ok(out);
        }
        let map = c.map(key)?;
        for (group, _) in map.map.iter() {
            let parsed =
                parse(group).ok_or_else(|| DocumentError::UnknownValue(map.path(group)))?;
            let n =
                u32::try_from(map.uint(group)?).map_err(|_| map.wrong(group, "a census count"))?;
            out.insert(parsed, n);
        }
        Ok(out)
    }
    Ok(Census {
        residents_by_age: counts(c, "residents_by_age", AgeBand::parse)?,
        households_by_tenure: counts(c, "households_by_tenure", Tenure::parse)?,
    })
}

fn decode_area(root: &Fields<'_>) -> Result<AreaConfig, DocumentError> {
    let mut patches = Vec::new();
    for entry in root.map("patches")?.entries() {
        let (key, p) = entry?;
        patches.push(PatchConfig {
            id: key.clone(),
            name: p.str("name")?,
            households: u32::try_from(p.uint("households")?)
                .map_err(|_| p.wrong("households", "a household count"))?,
            // Added later: absent means none entered.
            census: if p.map.get("census").is_some() {
                Some(decode_census(&p.map("census")?)?)
            } else {
                None
            },
        });
    }
    patches.sort_by(|a, b| a.id.cmp(&b.id));
    let mut resident_definitions = Vec::new();
    for entry in root.map("resident_definitions")?.entries() {
        let (key, d) = entry?;
        resident_definitions.push(ResidentDefinition {
            key: key.clone(),
            label: d.str("label")?,
            counts: d.enum_set("counts", ResidentBasis::parse)?,
        });
    }
    resident_definitions.sort_by(|a, b| a.key.cmp(&b.key));
    let mut stages: Vec<(u64, Stage)> = Vec::new();
    for entry in root.map("ladder")?.entries() {
        let (key, s) = entry?;
        stages.push((
            s.uint("position")?,
            Stage {
                key: key.clone(),
                label: s.str("label")?,
                rule: s.required_enum("rule", StageRule::parse)?,
            },
        ));
    }
    stages.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
    let ladder = Ladder::new(stages.into_iter().map(|(_, s)| s).collect())
        .map_err(DocumentError::Invalid)?;
    // Added after schema 1's first release: older documents have none.
    let mut lawful_bases = std::collections::BTreeMap::new();
    if root.map.get("lawful_bases").is_some() {
        let bases = root.map("lawful_bases")?;
        for (purpose, _) in bases.map.iter() {
            let parsed = ConsentPurpose::parse(purpose)
                .ok_or_else(|| DocumentError::UnknownValue(bases.path("purpose")))?;
            lawful_bases.insert(parsed, bases.required_enum(purpose, LawfulBasis::parse)?);
        }
    }
    // Also added later: absent means "not set" and the default threshold.
    let partnership_seats = root.opt_u32("partnership_seats")?;
    let suppress_below = root
        .opt_u32("suppress_below")?
        .unwrap_or(AreaConfig::DEFAULT_SUPPRESS_BELOW);
    // Also added later: absent means the default.
    let time_zone = root
        .opt_str("time_zone")?
        .unwrap_or_else(|| AreaConfig::DEFAULT_TIME_ZONE.to_owned());
    let follow_up_overdue_days = root
        .opt_u32("follow_up_overdue_days")?
        .unwrap_or(AreaConfig::DEFAULT_FOLLOW_UP_OVERDUE_DAYS);
    Ok(AreaConfig {
        lawful_bases,
        time_zone,
        follow_up_overdue_days,
        partnership_seats,
        suppress_below,
        id: root.id("id")?,
        area: root.str("area")?,
        name: root.str("name")?,
        patches,
        topics: root.set("topics")?,
        ladder,
        resident_definitions,
        resident_led_threshold_percent: u8::try_from(root.uint("resident_led_threshold_percent")?)
            .map_err(|_| root.wrong("resident_led_threshold_percent", "a percentage"))?,
        created_by: root.id("created_by")?,
        created_at: root.ts("created_at")?,
    })
}

// ---------------------------------------------------------------- writing

type WriteResult = std::result::Result<(), automerge::AutomergeError>;

fn put_opt(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<ScalarValue>,
) -> WriteResult {
    match value {
        Some(v) => put_if_changed(doc, obj, key, v),
        None if doc.get(obj, key)?.is_some() => doc.delete(obj, key),
        None => Ok(()),
    }
}

fn text(value: Option<&str>) -> Option<ScalarValue> {
    value.map(ScalarValue::from)
}

fn time(value: Option<Timestamp>) -> Option<ScalarValue> {
    value.map(|t| ScalarValue::Timestamp(t.as_millis()))
}

fn id_text(value: impl ToString) -> ScalarValue {
    ScalarValue::Str(value.to_string().into())
}

fn child(doc: &AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId> {
    match doc.get(parent, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(DocumentError::Missing(key.to_owned()).into()),
    }
}

/// Makes the set stored in map `obj` hold exactly `members`.
fn put_set<'m>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    members: impl IntoIterator<Item = &'m str>,
) -> WriteResult {
    let wanted: BTreeSet<&str> = members.into_iter().collect();
    let present: Vec<String> = doc.keys(obj).collect();
    for key in &present {
        if !wanted.contains(key.as_str()) {
            doc.delete(obj, key.as_str())?;
        }
    }
    for member in wanted {
        if !present.iter().any(|p| p == member) {
            doc.put(obj, member, true)?;
        }
    }
    Ok(())
}

fn put_header(
    doc: &mut AutoCommit,
    kind: DocKind,
    id: DocId,
    by: DeviceId,
    at: Timestamp,
) -> WriteResult {
    doc.put(ROOT, "schema", ScalarValue::Uint(SCHEMA_VERSION))?;
    doc.put(ROOT, "kind", kind.as_str())?;
    doc.put(ROOT, "id", id_text(id))?;
    doc.put(ROOT, "created_by", id_text(by))?;
    doc.put(ROOT, "created_at", ScalarValue::Timestamp(at.as_millis()))
}

/// Writes a new person into an empty document.
pub(crate) fn create_person(
    doc: &mut AutoCommit,
    id: DocId,
    new: &NewPerson,
    by: DeviceId,
    at: Timestamp,
) -> Result<()> {
    put_header(doc, DocKind::Person, id, by, at)?;
    doc.put(ROOT, "area", new.area.as_str())?;
    doc.put(ROOT, "patch", new.patch.as_str())?;
    doc.put(ROOT, "entry_channel", new.entry_channel.as_str())?;
    doc.put(ROOT, "do_not_contact", false)?;
    for container in ["residency", "interests", "consents", "interactions"] {
        doc.put_object(ROOT, container, ObjType::Map)?;
    }
    Ok(())
}

/// A person's free-text and choice fields that can be set or cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PersonField {
    Name,
    Phone,
    Email,
    Language,
    Ethnicity,
    AgeBand,
    Tenure,
    Patch,
    Household,
}

impl PersonField {
    const fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Language => "language",
            Self::Ethnicity => "ethnicity",
            Self::AgeBand => "age_band",
            Self::Tenure => "tenure",
            Self::Patch => "patch",
            Self::Household => "household",
        }
    }
}

pub(crate) fn set_person_field(
    doc: &mut AutoCommit,
    field: PersonField,
    value: Option<&str>,
) -> Result<()> {
    Ok(put_opt(doc, &ROOT, field.key(), text(value))?)
}

/// Writes the details given, clears those named in `details.clear`, and
/// leaves the rest as it is.
pub(crate) fn fill_details(doc: &mut AutoCommit, details: &PersonDetails) -> Result<()> {
    let fields = [
        (Detail::Name, PersonField::Name, details.name.as_deref()),
        (Detail::Phone, PersonField::Phone, details.phone.as_deref()),
        (Detail::Email, PersonField::Email, details.email.as_deref()),
        (
            Detail::AgeBand,
            PersonField::AgeBand,
            details.age_band.map(AgeBand::as_str),
        ),
        (
            Detail::Tenure,
            PersonField::Tenure,
            details.tenure.map(Tenure::as_str),
        ),
        (
            Detail::Language,
            PersonField::Language,
            details.language.as_deref(),
        ),
    ];
    let given_and_cleared = |detail: Detail| ValidationError::GivenAndCleared {
        field: detail.as_str(),
    };
    for (detail, field, value) in fields {
        match (value, details.clear.contains(&detail)) {
            (Some(_), true) => return Err(given_and_cleared(detail).into()),
            (Some(value), false) => set_person_field(doc, field, Some(value))?,
            (None, true) => set_person_field(doc, field, None)?,
            (None, false) => {}
        }
    }
    let residency = match (
        &details.residency,
        details.clear.contains(&Detail::Residency),
    ) {
        (Some(_), true) => return Err(given_and_cleared(Detail::Residency).into()),
        (Some(bases), false) => Some(bases.clone()),
        (None, true) => Some(BTreeSet::new()),
        (None, false) => None,
    };
    if let Some(bases) = residency {
        for basis in ResidentBasis::ALL {
            set_member(
                doc,
                PersonSet::Residency,
                basis.as_str(),
                bases.contains(basis),
            )?;
        }
    }
    Ok(())
}

pub(crate) fn set_do_not_contact(doc: &mut AutoCommit, value: bool) -> Result<()> {
    Ok(doc.put(ROOT, "do_not_contact", value)?)
}

/// A person's sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PersonSet {
    Residency,
    Interests,
}

pub(crate) fn set_member(
    doc: &mut AutoCommit,
    set: PersonSet,
    member: &str,
    present: bool,
) -> Result<()> {
    let key = match set {
        PersonSet::Residency => "residency",
        PersonSet::Interests => "interests",
    };
    let obj = child(doc, &ROOT, key)?;
    if present {
        doc.put(&obj, member, true)?;
    } else if doc.get(&obj, member)?.is_some() {
        doc.delete(&obj, member)?;
    }
    Ok(())
}

pub(crate) fn add_consent(doc: &mut AutoCommit, c: &ConsentRecord) -> Result<()> {
    let consents = child(doc, &ROOT, "consents")?;
    let obj = doc.put_object(&consents, c.id.to_string(), ObjType::Map)?;
    doc.put(&obj, "purpose", c.purpose.as_str())?;
    doc.put(&obj, "granted", c.granted)?;
    doc.put(&obj, "lawful_basis", c.lawful_basis.as_str())?;
    doc.put(&obj, "wording_version", c.wording_version.as_str())?;
    doc.put(&obj, "at", ScalarValue::Timestamp(c.at.as_millis()))?;
    doc.put(&obj, "method", c.method.as_str())?;
    doc.put(&obj, "given_by", c.given_by.as_str())?;
    doc.put(&obj, "recorded_by", id_text(c.recorded_by))?;
    Ok(())
}

pub(crate) fn add_interaction(doc: &mut AutoCommit, i: &Interaction) -> Result<()> {
    let interactions = child(doc, &ROOT, "interactions")?;
    let obj = doc.put_object(&interactions, i.id.to_string(), ObjType::Map)?;
    doc.put(&obj, "type", i.kind.tag())?;
    doc.put(&obj, "at", ScalarValue::Timestamp(i.at.as_millis()))?;
    doc.put(&obj, "recorded_by", id_text(i.recorded_by))?;
    match &i.kind {
        InteractionKind::Doorstep(d) => {
            doc.put(&obj, "outcome", d.outcome.as_str())?;
            let topics = doc.put_object(&obj, "topics", ObjType::Map)?;
            put_set(doc, &topics, d.topics.iter().map(String::as_str))?;
            let wants = doc.put_object(&obj, "wants_to_join", ObjType::Map)?;
            put_set(doc, &wants, d.wants_to_join.iter().map(String::as_str))?;
            if let Some(f) = &d.follow_up {
                doc.put(&obj, "follow_up", f.what.as_str())?;
                put_opt(doc, &obj, "follow_up_due", time(f.due))?;
                if let Some(done) = &f.done {
                    write_follow_up_done(doc, &obj, done)?;
                }
            }
        }
        InteractionKind::EventSignUp { event } | InteractionKind::Attendance { event } => {
            doc.put(&obj, "event", id_text(event))?;
        }
        InteractionKind::Volunteering { activity, event } => {
            doc.put(&obj, "activity", activity.as_str())?;
            put_opt(doc, &obj, "event", event.map(id_text))?;
        }
        InteractionKind::WorkingGroup { group, start, end } => {
            doc.put(&obj, "group", group.as_str())?;
            doc.put(&obj, "start", ScalarValue::Timestamp(start.as_millis()))?;
            put_opt(doc, &obj, "end", time(*end))?;
        }
        InteractionKind::Role {
            role,
            start,
            end,
            hats,
        } => {
            doc.put(&obj, "role", role.as_str())?;
            doc.put(&obj, "start", ScalarValue::Timestamp(start.as_millis()))?;
            put_opt(doc, &obj, "end", time(*end))?;
            let set = doc.put_object(&obj, "hats", ObjType::Map)?;
            put_set(doc, &set, hats.iter().map(|h| h.as_str()))?;
        }
        InteractionKind::Referral { source } => {
            doc.put(&obj, "source", source.as_str())?;
        }
    }
    Ok(())
}

fn write_follow_up_done(doc: &mut AutoCommit, obj: &ObjId, done: &FollowUpDone) -> WriteResult {
    doc.put(
        obj,
        "follow_up_done_at",
        ScalarValue::Timestamp(done.at.as_millis()),
    )?;
    put_opt(doc, obj, "follow_up_done_note", text(done.note.as_deref()))?;
    doc.put(obj, "follow_up_done_by", id_text(done.by))
}

fn interaction_obj(doc: &AutoCommit, entry: EntryId) -> Result<ObjId> {
    let interactions = child(doc, &ROOT, "interactions")?;
    match doc.get(&interactions, entry.to_string())? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(crate::Error::NoSuchEntry(entry)),
    }
}

/// Makes role `entry` record exactly `hats`. A role written before hats
/// were recorded has no set yet: it is made here. Two writers (phones or
/// the server) who both make it offline make two sets; automerge keeps
/// one of them whole, so one writer's choice of hats wins, as when two
/// people change any one field at once, and later changes go to it.
pub(crate) fn set_role_hats(
    doc: &mut AutoCommit,
    entry: EntryId,
    hats: &BTreeSet<Hat>,
) -> Result<()> {
    let obj = interaction_obj(doc, entry)?;
    let set = match doc.get(&obj, "hats")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(&obj, "hats", ObjType::Map)?,
    };
    Ok(put_set(doc, &set, hats.iter().map(|h| h.as_str()))?)
}

pub(crate) fn complete_follow_up(
    doc: &mut AutoCommit,
    entry: EntryId,
    done: &FollowUpDone,
) -> Result<()> {
    let obj = interaction_obj(doc, entry)?;
    Ok(write_follow_up_done(doc, &obj, done)?)
}

pub(crate) fn set_interaction_end(
    doc: &mut AutoCommit,
    entry: EntryId,
    end: Option<Timestamp>,
) -> Result<()> {
    let obj = interaction_obj(doc, entry)?;
    Ok(put_opt(doc, &obj, "end", time(end))?)
}

/// Writes a new address into an empty document.
pub(crate) fn create_address(
    doc: &mut AutoCommit,
    id: DocId,
    new: &NewAddress,
    by: DeviceId,
    at: Timestamp,
) -> Result<()> {
    put_header(doc, DocKind::Address, id, by, at)?;
    doc.put(ROOT, "area", new.area.as_str())?;
    doc.put(ROOT, "do_not_knock", false)?;
    doc.put_object(ROOT, "visits", ObjType::Map)?;
    write_address_fields(doc, new)
}

/// Overwrites an address's editable fields (its area stays).
pub(crate) fn write_address_fields(doc: &mut AutoCommit, a: &NewAddress) -> Result<()> {
    put_if_changed(doc, &ROOT, "patch", ScalarValue::from(a.patch.as_str()))?;
    put_if_changed(doc, &ROOT, "house", ScalarValue::from(a.house.as_str()))?;
    put_if_changed(doc, &ROOT, "street", ScalarValue::from(a.street.as_str()))?;
    put_opt(doc, &ROOT, "locality", text(a.locality.as_deref()))?;
    put_opt(doc, &ROOT, "postcode", text(a.postcode.as_deref()))?;
    put_opt(
        doc,
        &ROOT,
        "latitude",
        a.location.map(|l| ScalarValue::F64(l.latitude)),
    )?;
    put_opt(
        doc,
        &ROOT,
        "longitude",
        a.location.map(|l| ScalarValue::F64(l.longitude)),
    )?;
    Ok(())
}

pub(crate) fn set_do_not_knock(doc: &mut AutoCommit, value: bool) -> Result<()> {
    Ok(put_if_changed(
        doc,
        &ROOT,
        "do_not_knock",
        ScalarValue::Boolean(value),
    )?)
}

pub(crate) fn add_visit(doc: &mut AutoCommit, v: &DoorVisit) -> Result<()> {
    let visits = child(doc, &ROOT, "visits")?;
    let obj = doc.put_object(&visits, v.id.to_string(), ObjType::Map)?;
    doc.put(&obj, "at", ScalarValue::Timestamp(v.at.as_millis()))?;
    doc.put(&obj, "outcome", v.outcome.as_str())?;
    doc.put(&obj, "recorded_by", id_text(v.recorded_by))?;
    Ok(())
}

/// Writes a new event into an empty document.
pub(crate) fn create_event(
    doc: &mut AutoCommit,
    id: DocId,
    new: &NewEvent,
    by: DeviceId,
    at: Timestamp,
) -> Result<()> {
    put_header(doc, DocKind::Event, id, by, at)?;
    doc.put(ROOT, "area", new.area.as_str())?;
    write_event_fields(doc, new)
}

/// Marks an event cancelled.
pub(crate) fn cancel_event(doc: &mut AutoCommit) -> Result<()> {
    put_if_changed(doc, &ROOT, "cancelled", ScalarValue::Boolean(true))?;
    Ok(())
}

/// Overwrites an event's editable fields.
pub(crate) fn write_event_fields(doc: &mut AutoCommit, e: &NewEvent) -> Result<()> {
    doc.put(ROOT, "patch", e.patch.as_str())?;
    doc.put(ROOT, "title", e.title.as_str())?;
    doc.put(ROOT, "event_kind", e.kind.as_str())?;
    doc.put(
        ROOT,
        "starts_at",
        ScalarValue::Timestamp(e.starts_at.as_millis()),
    )?;
    put_opt(doc, &ROOT, "ends_at", time(e.ends_at))?;
    put_opt(doc, &ROOT, "place", text(e.place.as_deref()))?;
    set_event_headcount(doc, e.headcount)
}

/// Sets (or, with `None`, clears) an event's headcount of people counted
/// without records.
pub(crate) fn set_event_headcount(doc: &mut AutoCommit, headcount: Option<u32>) -> Result<()> {
    put_opt(
        doc,
        &ROOT,
        "headcount",
        headcount.map(|n| ScalarValue::Uint(u64::from(n))),
    )?;
    Ok(())
}

/// Writes a new working group into an empty document.
pub(crate) fn create_group(
    doc: &mut AutoCommit,
    id: DocId,
    new: &NewGroup,
    by: DeviceId,
    at: Timestamp,
) -> Result<()> {
    put_header(doc, DocKind::Group, id, by, at)?;
    doc.put(ROOT, "area", new.area.as_str())?;
    doc.put(ROOT, "closed", false)?;
    doc.put_object(ROOT, "topics", ObjType::Map)?;
    write_group_fields(doc, new)
}

/// Changes a group's editable fields to `g`, writing only what differs
/// (its area stays), so that concurrent edits of different fields both
/// survive.
pub(crate) fn write_group_fields(doc: &mut AutoCommit, g: &NewGroup) -> Result<()> {
    put_opt(doc, &ROOT, "patch", text(g.patch.as_deref()))?;
    put_if_changed(doc, &ROOT, "name", ScalarValue::from(g.name.as_str()))?;
    put_opt(doc, &ROOT, "purpose", text(g.purpose.as_deref()))?;
    for (key, value) in [
        ("devolved_budget", g.devolved_budget),
        ("devolved_decisions", g.devolved_decisions),
        ("constituted", g.constituted),
    ] {
        put_if_changed(doc, &ROOT, key, ScalarValue::Boolean(value))?;
    }
    put_opt(doc, &ROOT, "lead", g.lead.map(id_text))?;
    let topics = child(doc, &ROOT, "topics")?;
    put_set(doc, &topics, g.topics.iter().map(String::as_str))?;
    Ok(())
}

/// Closes a group (`true`) or opens it again.
pub(crate) fn set_group_closed(doc: &mut AutoCommit, closed: bool) -> Result<()> {
    Ok(put_if_changed(
        doc,
        &ROOT,
        "closed",
        ScalarValue::Boolean(closed),
    )?)
}

/// Writes an area configuration: creates the document's containers when
/// `doc` is empty, otherwise edits only what differs, so that concurrent
/// admin edits of different patches both survive.
pub(crate) fn write_area(doc: &mut AutoCommit, config: &AreaConfig) -> Result<()> {
    if doc.get(ROOT, "kind")?.is_none() {
        put_header(
            doc,
            DocKind::Area,
            config.id,
            config.created_by,
            config.created_at,
        )?;
        doc.put(ROOT, "area", config.area.as_str())?;
        for container in [
            "patches",
            "topics",
            "ladder",
            "resident_definitions",
            "lawful_bases",
        ] {
            doc.put_object(ROOT, container, ObjType::Map)?;
        }
    }
    let bases = match doc.get(ROOT, "lawful_bases")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        // A document from before lawful bases were configurable.
        _ => doc.put_object(ROOT, "lawful_bases", ObjType::Map)?,
    };
    let present: Vec<String> = doc.keys(&bases).collect();
    for key in present {
        if ConsentPurpose::parse(&key).is_none_or(|p| !config.lawful_bases.contains_key(&p)) {
            doc.delete(&bases, key.as_str())?;
        }
    }
    for (purpose, basis) in &config.lawful_bases {
        put_if_changed(
            doc,
            &bases,
            purpose.as_str(),
            ScalarValue::from(basis.as_str()),
        )?;
    }
    doc.put(ROOT, "name", config.name.as_str())?;
    doc.put(
        ROOT,
        "resident_led_threshold_percent",
        ScalarValue::Uint(u64::from(config.resident_led_threshold_percent)),
    )?;
    put_opt(
        doc,
        &ROOT,
        "partnership_seats",
        config
            .partnership_seats
            .map(|n| ScalarValue::Uint(u64::from(n))),
    )?;
    put_if_changed(
        doc,
        &ROOT,
        "suppress_below",
        ScalarValue::Uint(u64::from(config.suppress_below)),
    )?;
    put_if_changed(
        doc,
        &ROOT,
        "time_zone",
        ScalarValue::from(config.time_zone.as_str()),
    )?;
    put_if_changed(
        doc,
        &ROOT,
        "follow_up_overdue_days",
        ScalarValue::Uint(u64::from(config.follow_up_overdue_days)),
    )?;
    let topics = child(doc, &ROOT, "topics")?;
    put_set(doc, &topics, config.topics.iter().map(String::as_str))?;

    let patches = child(doc, &ROOT, "patches")?;
    sync_keyed(doc, &patches, config.patches.iter().map(|p| p.id.as_str()))?;
    for p in &config.patches {
        let obj = child(doc, &patches, &p.id)?;
        put_if_changed(doc, &obj, "name", ScalarValue::from(p.name.as_str()))?;
        put_if_changed(
            doc,
            &obj,
            "households",
            ScalarValue::Uint(u64::from(p.households)),
        )?;
        write_census(doc, &obj, p.census.as_ref())?;
    }

    let ladder = child(doc, &ROOT, "ladder")?;
    sync_keyed(
        doc,
        &ladder,
        config.ladder.stages().iter().map(|s| s.key.as_str()),
    )?;
    for (position, s) in config.ladder.stages().iter().enumerate() {
        let obj = child(doc, &ladder, &s.key)?;
        put_if_changed(doc, &obj, "position", ScalarValue::Uint(position as u64))?;
        put_if_changed(doc, &obj, "label", ScalarValue::from(s.label.as_str()))?;
        put_if_changed(doc, &obj, "rule", ScalarValue::from(s.rule.as_str()))?;
    }

    let definitions = child(doc, &ROOT, "resident_definitions")?;
    sync_keyed(
        doc,
        &definitions,
        config.resident_definitions.iter().map(|d| d.key.as_str()),
    )?;
    for d in &config.resident_definitions {
        let obj = child(doc, &definitions, &d.key)?;
        put_if_changed(doc, &obj, "label", ScalarValue::from(d.label.as_str()))?;
        let counts = match doc.get(&obj, "counts")? {
            Some((automerge::Value::Object(ObjType::Map), id)) => id,
            _ => doc.put_object(&obj, "counts", ObjType::Map)?,
        };
        put_set(doc, &counts, d.counts.iter().map(|b| b.as_str()))?;
    }
    Ok(())
}

/// Makes patch `obj` hold `census` (or none), count by count, so that
/// two admins entering different figures both keep theirs.
fn write_census(doc: &mut AutoCommit, obj: &ObjId, census: Option<&Census>) -> WriteResult {
    let Some(census) = census else {
        return match doc.get(obj, "census")? {
            Some(_) => doc.delete(obj, "census"),
            None => Ok(()),
        };
    };
    let map_at = |doc: &mut AutoCommit, parent: &ObjId, key: &str| match doc.get(parent, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => doc.put_object(parent, key, ObjType::Map),
    };
    let c = map_at(doc, obj, "census")?;
    let mut counts = |key: &str, wanted: Vec<(&str, u32)>| -> WriteResult {
        let m = map_at(doc, &c, key)?;
        let present: Vec<String> = doc.keys(&m).collect();
        for old in present {
            if !wanted.iter().any(|(k, _)| *k == old) {
                doc.delete(&m, old.as_str())?;
            }
        }
        for (k, n) in wanted {
            put_if_changed(doc, &m, k, ScalarValue::Uint(u64::from(n)))?;
        }
        Ok(())
    };
    counts(
        "residents_by_age",
        census
            .residents_by_age
            .iter()
            .map(|(b, n)| (b.as_str(), *n))
            .collect(),
    )?;
    counts(
        "households_by_tenure",
        census
            .households_by_tenure
            .iter()
            .map(|(t, n)| (t.as_str(), *n))
            .collect(),
    )
}

/// Makes map `obj` hold a child map for exactly the given keys, keeping existing ones.
fn sync_keyed<'k>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    keys: impl IntoIterator<Item = &'k str>,
) -> WriteResult {
    let wanted: BTreeSet<&str> = keys.into_iter().collect();
    let present: Vec<String> = doc.keys(obj).collect();
    for key in &present {
        if !wanted.contains(key.as_str()) {
            doc.delete(obj, key.as_str())?;
        }
    }
    for key in wanted {
        if !present.iter().any(|p| p == key) {
            doc.put_object(obj, key, ObjType::Map)?;
        }
    }
    Ok(())
}

fn put_if_changed(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: ScalarValue) -> WriteResult {
    let same = matches!(doc.get(obj, key)?, Some((automerge::Value::Scalar(v), _)) if *v == value);
    if same {
        Ok(())
    } else {
        doc.put(obj, key, value)
    }
}

#[cfg(test)]
mod fixture_tests;
