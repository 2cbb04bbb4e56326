//! UniFFI bindings of sync-core for Kotlin, Swift and Python apps.
//!
//! A thin layer in the app's terms: open a store for a device, log a doorstep
//! conversation, take event sign-ups, record what people go on to do, list
//! and search people, and sync, either sans-I/O (`sync_request` /
//! `apply_sync_response`, for an app that owns its HTTP client) or through an
//! [`HttpTransport`] the app implements. Everything written is durable when
//! the call returns. Bad input comes back as an [`OutreachError`], never as a
//! panic.

use std::sync::{Arc, Mutex, MutexGuard};

use sync_core::{
    DeviceId, DocId, EntryId, InteractionKind, Location, NewAddress, NewEvent, Page, PersonRow,
    Replica, SqliteStore, SystemClock, Timestamp,
};

mod types;

pub use types::{
    AgeGroup, ConsentBy, ConsentHow, ConsentKind, Conversation, ConversationLogged, DoorInput,
    DoorResident, EventInput, EventSummary, EventType, FollowUpOwed, GroupSummary, HeldRole,
    HousingTenure, OtherHat, Outcome, PersonDetail, PersonEdit, PersonSummary, RecordRedirect,
    RejectedRecord, ResidencyBasis, Revisit, RoleHeld, SignUp, SyncResult, WalkStopSummary,
};

uniffi::setup_scaffolding!();

/// Most round trips [`OutreachStore::sync`] makes.
const MAX_SYNC_ROUNDS: u32 = 1000;

/// Everything that can go wrong, in the app's terms.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum OutreachError {
    /// The input breaks a rule (too long, not an email, missing consent, ...).
    /// Nothing was stored.
    #[error("invalid: {reason}")]
    Invalid {
        /// What is wrong (names fields, never values).
        reason: String,
    },
    /// No such person, event or entry on this device.
    #[error("not found: {reason}")]
    NotFound {
        /// What was not found.
        reason: String,
    },
    /// The device's storage failed.
    #[error("storage failed: {reason}")]
    Storage {
        /// Why.
        reason: String,
    },
    /// A sync message could not be understood.
    #[error("sync failed: {reason}")]
    Sync {
        /// Why.
        reason: String,
    },
    /// The app's transport failed (no signal, server unreachable, ...).
    #[error("transport failed: {reason}")]
    Transport {
        /// Why.
        reason: String,
    },
    /// The device was revoked and its store wiped: register again.
    #[error("this device was revoked and its store wiped")]
    Wiped,
    /// The store in this directory belongs to another device.
    #[error("this store belongs to device {device}")]
    WrongDevice {
        /// The device it belongs to.
        device: String,
    },
}

impl From<sync_core::Error> for OutreachError {
    fn from(e: sync_core::Error) -> Self {
        use sync_core::Error as E;
        let reason = e.to_string();
        match e {
            E::Validation(_) => Self::Invalid { reason },
            E::NotFound { .. } | E::NoSuchRecord(_) | E::NoSuchEntry(_) | E::WrongKind { .. } => {
                Self::NotFound { reason }
            }
            E::Storage(_) | E::Document(_) => Self::Storage { reason },
            E::Protocol(_) => Self::Sync { reason },
            E::WrongDevice { stored } => Self::WrongDevice {
                device: stored.to_string(),
            },
            E::Wiped => Self::Wiped,
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for OutreachError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Transport { reason: e.reason }
    }
}

type Result<T, E = OutreachError> = std::result::Result<T, E>;

fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T> {
    text.trim().parse().map_err(|_| OutreachError::Invalid {
        reason: format!("{what} is not a valid id"),
    })
}

fn timestamp(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

/// An optional id: absent, empty or blank all mean none.
fn parse_optional_id<T: std::str::FromStr>(what: &str, text: Option<&str>) -> Result<Option<T>> {
    text.filter(|id| !id.trim().is_empty())
        .map(|id| parse_id(what, id))
        .transpose()
}

/// Sends sync requests to the server: implemented by the app (OkHttp,
/// URLSession, ...). `post_sync` POSTs the bytes to `/v1/sync` with the
/// device's bearer token and returns the response body; any failure is an
/// [`OutreachError::Transport`].
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// One round trip.
    fn post_sync(&self, body: Vec<u8>) -> Result<Vec<u8>, OutreachError>;
}

/// A device's store of the records in its scope.
#[derive(uniffi::Object)]
pub struct OutreachStore {
    replica: Mutex<Replica<SqliteStore, SystemClock>>,
}

impl std::fmt::Debug for OutreachStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutreachStore").finish_non_exhaustive()
    }
}

impl OutreachStore {
    fn replica(&self) -> Result<MutexGuard<'_, Replica<SqliteStore, SystemClock>>> {
        // A panic while holding the lock cannot leave the store inconsistent
        // (every write is atomic on disk), so a poisoned lock is still usable.
        Ok(self
            .replica
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

#[uniffi::export]
impl OutreachStore {
    /// Opens (or creates) the store in `directory` for the device
    /// `device_id` (from registering with the server). A store of an older
    /// version there (a file per record) is moved into the new one.
    #[uniffi::constructor]
    pub fn open(directory: String, device_id: String) -> Result<Arc<Self>> {
        let device: DeviceId = parse_id("device id", &device_id)?;
        let store =
            SqliteStore::open(std::path::Path::new(&directory)).map_err(sync_core::Error::from)?;
        let replica = Replica::open(store, device, SystemClock)?;
        Ok(Arc::new(Self {
            replica: Mutex::new(replica),
        }))
    }

    /// Logs a doorstep conversation (or a knock with nobody in): with a new
    /// person when `person_id` is empty, else with that person, whose
    /// details given here are updated (absent ones are left as they are).
    pub fn log_conversation(&self, conversation: Conversation) -> Result<ConversationLogged> {
        let new = conversation.into_core()?;
        let (person, entry) = self.replica()?.log_conversation(&new)?;
        Ok(ConversationLogged {
            person_id: person.to_string(),
            entry_id: entry.to_string(),
        })
    }

    /// Adds a door that is not on the list (it syncs to the office like any
    /// record). Returns its id.
    pub fn add_door(&self, door: DoorInput) -> Result<String> {
        let mut new = NewAddress::new(&door.area, &door.patch, &door.house, &door.street);
        new.locality = door.locality;
        new.postcode = door.postcode;
        new.location = match (door.latitude, door.longitude) {
            (Some(latitude), Some(longitude)) => Some(Location {
                latitude,
                longitude,
            }),
            _ => None,
        };
        Ok(self.replica()?.create_address(&new)?.to_string())
    }

    /// Records a knock at a door with no conversation to log (nobody in, a
    /// "no knocking" sign, a refusal). Returns the knock's entry id.
    pub fn record_knock(&self, address_id: String, outcome: Outcome) -> Result<String> {
        let address: DocId = parse_id("address id", &address_id)?;
        let entry = self.replica()?.record_visit(address, outcome.into())?;
        Ok(entry.to_string())
    }

    /// The doors to knock in `patch`, in walking order, from this phone's
    /// own records (no signal needed): by street and number, or nearest
    /// first from the given position when doors have locations. Doors
    /// marked "do not knock", with a "no knocking" sign, where someone asked
    /// not to be contacted, or where only under-18s are recorded, are left off.
    pub fn walk_list(
        &self,
        patch: String,
        from_latitude: Option<f64>,
        from_longitude: Option<f64>,
    ) -> Result<Vec<WalkStopSummary>> {
        let from = match (from_latitude, from_longitude) {
            (Some(latitude), Some(longitude)) => Some(Location {
                latitude,
                longitude,
            }),
            _ => None,
        };
        Ok(self
            .replica()?
            .walk_list(&patch, from)?
            .into_iter()
            .map(WalkStopSummary::from)
            .collect())
    }

    /// Signs a new person up to an event (with their consent to events, or
    /// a guardian's: an under-13 needs a guardian's). Returns their id.
    pub fn sign_up(&self, sign_up: SignUp) -> Result<String> {
        let new = sign_up.into_core()?;
        Ok(self.replica()?.sign_up(&new)?.to_string())
    }

    /// Creates an event (a youth session, a fun day, ...). Returns its id.
    pub fn create_event(&self, event: EventInput) -> Result<String> {
        let new = NewEvent {
            area: event.area,
            patch: event.patch,
            title: event.title,
            kind: event.kind.into(),
            starts_at: timestamp(event.starts_at_ms),
            ends_at: event.ends_at_ms.map(timestamp),
            place: event.place,
            headcount: event.headcount,
        };
        Ok(self.replica()?.create_event(&new)?.to_string())
    }

    /// Sets the number of people counted at an event without signing each
    /// up (`None` clears it: not counted). More than 100,000 is refused.
    pub fn set_event_headcount(&self, event_id: String, headcount: Option<u32>) -> Result<()> {
        let event: DocId = parse_id("event id", &event_id)?;
        Ok(self.replica()?.set_event_headcount(event, headcount)?)
    }

    /// Records that a person came to an event. Returns the entry's id.
    pub fn record_attendance(&self, person_id: String, event_id: String) -> Result<String> {
        let event: DocId = parse_id("event id", &event_id)?;
        self.record(&person_id, InteractionKind::Attendance { event })
    }

    /// Records that a person helped run something. Returns the entry's id.
    pub fn record_volunteering(
        &self,
        person_id: String,
        activity: String,
        event_id: Option<String>,
    ) -> Result<String> {
        let event = event_id
            .map(|e| parse_id::<DocId>("event id", &e))
            .transpose()?;
        self.record(
            &person_id,
            InteractionKind::Volunteering { activity, event },
        )
    }

    /// The working groups of the area, closed ones too, by name. Only
    /// admins make and change them; every phone may join people to them.
    pub fn groups(&self) -> Result<Vec<GroupSummary>> {
        Ok(self
            .replica()?
            .groups()?
            .iter()
            .map(GroupSummary::from)
            .collect())
    }

    /// Records that a person joined the working group `group_id` at
    /// `start_ms`. Returns the membership's entry id (what ends it).
    /// Refused when the group is not on this phone or is closed, or when
    /// they are already in it.
    pub fn join_group(&self, person_id: String, group_id: String, start_ms: i64) -> Result<String> {
        let person: DocId = parse_id("person id", &person_id)?;
        let group: DocId = parse_id("group id", &group_id)?;
        let entry = self
            .replica()?
            .join_group(person, group, timestamp(start_ms))?;
        Ok(entry.to_string())
    }

    /// Records that a person left a working group at `end_ms`: ends the
    /// membership `entry_id`. Refused when the entry is not a membership
    /// or `end_ms` is before they joined.
    pub fn leave_group(&self, person_id: String, entry_id: String, end_ms: i64) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        let entry: EntryId = parse_id("entry id", &entry_id)?;
        self.replica()?
            .leave_group(person, entry, timestamp(end_ms))?;
        Ok(())
    }

    /// Records that a person joined a working group named in free text (as
    /// older apps did; prefer [`OutreachStore::join_group`], which names
    /// the group on the list). Returns the entry's id.
    pub fn record_working_group(
        &self,
        person_id: String,
        group: String,
        start_ms: i64,
    ) -> Result<String> {
        self.record(
            &person_id,
            InteractionKind::WorkingGroup {
                group,
                start: timestamp(start_ms),
                end: None,
            },
        )
    }

    /// Records a role a person took on. Returns the entry's id.
    pub fn record_role(&self, person_id: String, role: HeldRole, start_ms: i64) -> Result<String> {
        self.record(
            &person_id,
            InteractionKind::Role {
                role: role.into(),
                start: timestamp(start_ms),
                end: None,
                hats: Default::default(),
            },
        )
    }

    /// Records a role a person took on and the other hats they wear in it
    /// (a councillor sitting as a member: `[OtherHat.COUNCILLOR]`).
    /// Returns the entry's id.
    pub fn record_role_with_hats(
        &self,
        person_id: String,
        role: HeldRole,
        start_ms: i64,
        hats: Vec<OtherHat>,
    ) -> Result<String> {
        self.record(
            &person_id,
            InteractionKind::Role {
                role: role.into(),
                start: timestamp(start_ms),
                end: None,
                hats: hats.into_iter().map(Into::into).collect(),
            },
        )
    }

    /// Changes the other hats worn in a role to exactly `hats` (empty:
    /// none), also for a role recorded before hats were.
    pub fn set_role_hats(
        &self,
        person_id: String,
        entry_id: String,
        hats: Vec<OtherHat>,
    ) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        let entry: EntryId = parse_id("entry id", &entry_id)?;
        let hats = hats.into_iter().map(Into::into).collect();
        self.replica()?
            .edit_person(person, |p| p.set_role_hats(entry, &hats))?;
        Ok(())
    }

    /// A person's roles, held now or before, oldest first, with the hats
    /// worn in each.
    pub fn roles(&self, person_id: String) -> Result<Vec<RoleHeld>> {
        let person: DocId = parse_id("person id", &person_id)?;
        let person = self.replica()?.person(person)?;
        let mut roles: Vec<RoleHeld> = person
            .interactions
            .iter()
            .filter_map(|i| match &i.kind {
                InteractionKind::Role {
                    role,
                    start,
                    end,
                    hats,
                } => Some(RoleHeld {
                    entry_id: i.id.to_string(),
                    role: (*role).into(),
                    start_ms: start.as_millis(),
                    end_ms: end.map(|e| e.as_millis()),
                    hats: hats.iter().map(|h| (*h).into()).collect(),
                }),
                _ => None,
            })
            .collect();
        roles.sort_by_key(|r| (r.start_ms, r.entry_id.clone()));
        Ok(roles)
    }

    /// Ends a role or working-group membership.
    pub fn end_role(&self, person_id: String, entry_id: String, end_ms: i64) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        let entry: EntryId = parse_id("entry id", &entry_id)?;
        self.replica()?
            .edit_person(person, |p| p.end(entry, timestamp(end_ms)))?;
        Ok(())
    }

    /// Records that a promised follow-up was done ("you said, we did").
    pub fn complete_follow_up(
        &self,
        person_id: String,
        entry_id: String,
        note: Option<String>,
    ) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        let entry: EntryId = parse_id("entry id", &entry_id)?;
        self.replica()?
            .edit_person(person, |p| p.complete_follow_up(entry, note.as_deref()))?;
        Ok(())
    }

    /// Records a consent given (`granted`) or withdrawn, for an existing
    /// person, under the area's lawful basis for the purpose. Withdrawing
    /// equality-monitoring consent also deletes their ethnicity. Returns the
    /// consent record's id.
    pub fn record_consent(
        &self,
        person_id: String,
        purpose: ConsentKind,
        granted: bool,
        how: ConsentHow,
        by: ConsentBy,
        wording_version: String,
    ) -> Result<String> {
        let person: DocId = parse_id("person id", &person_id)?;
        let mut replica = self.replica()?;
        let new = replica.new_consent(
            purpose.into(),
            granted,
            how.into(),
            by.into(),
            &wording_version,
        )?;
        Ok(replica
            .edit_person(person, |p| p.record_consent(new))?
            .to_string())
    }

    /// Sets or clears a person's ethnic group (needs their equality-monitoring consent first).
    pub fn set_ethnicity(&self, person_id: String, ethnicity: Option<String>) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        self.replica()?
            .edit_person(person, |p| p.set_ethnicity(ethnicity.as_deref()))?;
        Ok(())
    }

    /// Changes a person's details: what `edit` gives is set, what it
    /// names in `clear` is cleared, the rest stays as it is.
    pub fn edit_person(&self, person_id: String, edit: PersonEdit) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        let details = edit.into_core();
        self.replica()?
            .edit_person(person, |p| p.fill_details(&details))?;
        Ok(())
    }

    /// Marks a person as not to be contacted again.
    pub fn set_do_not_contact(&self, person_id: String, do_not_contact: bool) -> Result<()> {
        let person: DocId = parse_id("person id", &person_id)?;
        self.replica()?
            .edit_person(person, |p| p.set_do_not_contact(do_not_contact))?;
        Ok(())
    }

    /// The people on this device (those in its patches), by name; with a
    /// `search`, those whose name, phone, email, patch or door (house and
    /// street, postcode) contains it, ignoring case and accents.
    pub fn people(&self, search: Option<String>) -> Result<Vec<PersonSummary>> {
        self.people_page(search, 0, u32::MAX)
    }

    /// A page of [`Self::people`]: at most `limit` people after the first
    /// `offset`, for a list that loads as it scrolls.
    pub fn people_page(
        &self,
        search: Option<String>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<PersonSummary>> {
        let search = search.unwrap_or_default();
        let page = Page::new(offset as usize, limit as usize);
        Ok(summaries(&self.replica()?.search_people(&search, page)?))
    }

    /// The people a street champion may knock on in `patch` (or in all
    /// their patches): never under-18s, never anyone who asked not to be
    /// contacted; by patch, then name.
    pub fn door_list(&self, patch: Option<String>) -> Result<Vec<PersonSummary>> {
        let people = self.replica()?.door_list(patch.as_deref(), Page::ALL)?;
        Ok(summaries(&people))
    }

    /// One person.
    pub fn person(&self, person_id: String) -> Result<PersonSummary> {
        let person: DocId = parse_id("person id", &person_id)?;
        let person = self.replica()?.person(person)?;
        Ok(PersonSummary::from(&PersonRow::from(&person)))
    }

    /// Follow-ups promised and not yet done, soonest due first.
    pub fn follow_ups_owed(&self) -> Result<Vec<FollowUpOwed>> {
        Ok(self
            .replica()?
            .follow_ups_owed()?
            .into_iter()
            .map(FollowUpOwed::from)
            .collect())
    }

    /// The events on this device, soonest first.
    pub fn events(&self) -> Result<Vec<EventSummary>> {
        Ok(self
            .replica()?
            .events()?
            .iter()
            .map(EventSummary::from)
            .collect())
    }

    /// How many records have changes the server has not accepted yet.
    pub fn pending_changes(&self) -> Result<u64> {
        Ok(self.replica()?.pending_changes() as u64)
    }

    /// Records the server refused, and why; they stay here until edited.
    pub fn rejections(&self) -> Result<Vec<RejectedRecord>> {
        Ok(self
            .replica()?
            .rejections()
            .into_iter()
            .map(|(id, r)| RejectedRecord {
                id: id.to_string(),
                code: format!("{:?}", r.code),
                detail: r.detail,
            })
            .collect())
    }

    /// The next sync request to POST to the server (sans-I/O sync).
    pub fn sync_request(&self) -> Result<Vec<u8>> {
        Ok(self.replica()?.sync_request()?)
    }

    /// Applies the server's answer; call [`Self::sync_request`] again while
    /// the result says `more`.
    pub fn apply_sync_response(&self, response: Vec<u8>) -> Result<SyncResult> {
        Ok(SyncResult::from(
            self.replica()?.apply_sync_response(&response)?,
        ))
    }

    /// Syncs through the app's transport until there is nothing more to
    /// exchange. The store is not locked while the transport waits.
    pub fn sync(&self, transport: Arc<dyn HttpTransport>) -> Result<SyncResult> {
        let mut total = SyncResult::default();
        for _ in 0..MAX_SYNC_ROUNDS {
            let request = self.sync_request()?;
            let response = transport.post_sync(request)?;
            let outcome = self.apply_sync_response(response)?;
            total.add(&outcome);
            if !outcome.more || outcome.wiped {
                break;
            }
        }
        Ok(total)
    }
}

impl OutreachStore {
    fn record(&self, person_id: &str, kind: InteractionKind) -> Result<String> {
        let person: DocId = parse_id("person id", person_id)?;
        let entry = self.replica()?.edit_person(person, |p| p.record(kind))?;
        Ok(entry.to_string())
    }
}

fn summaries(people: &[PersonRow]) -> Vec<PersonSummary> {
    people.iter().map(PersonSummary::from).collect()
}

#[cfg(test)]
mod tests;
