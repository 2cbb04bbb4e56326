//! What an app does in one call: log a conversation at a door, sign someone
//! up to an event, record a consent under the area's lawful basis. Kept here,
//! not in each app or binding, so the rules live once and are tested in Rust.

use super::{PersonEditor, Replica};
use crate::error::{Error, Result, ValidationError};
use crate::ids::{Clock, DocId, EntryId, Timestamp};
use crate::model::{
    ConsentGiver, ConsentMethod, ConsentPurpose, EntryChannel, InteractionKind, LawfulBasis,
    NewConsent, NewConversation, NewPerson, NewSignUp,
};
use crate::store::Storage;

impl<S: Storage, C: Clock> Replica<S, C> {
    /// A consent to record, under the lawful basis the area configured for
    /// `purpose` (consent until an area configuration arrives, since that
    /// is the basis that never claims more than the person gave).
    pub fn new_consent(
        &self,
        purpose: ConsentPurpose,
        granted: bool,
        method: ConsentMethod,
        given_by: ConsentGiver,
        wording_version: &str,
    ) -> Result<NewConsent> {
        let lawful_basis = self
            .area()?
            .map_or(LawfulBasis::Consent, |area| area.lawful_basis(purpose));
        Ok(NewConsent {
            purpose,
            granted,
            lawful_basis,
            wording_version: wording_version.to_owned(),
            method,
            given_by,
        })
    }

    /// Logs a doorstep conversation (or a knock with nobody in) and returns
    /// the person's id and the conversation's entry id (to complete its
    /// follow-up later).
    ///
    /// With no person given, someone new is recorded; otherwise that person
    /// is updated: moved to the conversation's patch if recorded elsewhere,
    /// and given the details present (absent ones are left as they are).
    /// Either way the topics become interests, a consent to be contacted
    /// again is recorded when they agreed, and with an address the person is
    /// linked to that household and the knock is recorded on the door.
    ///
    /// Nothing is stored if the person or the door is not held here or the
    /// person's record would break a rule. Where the store can, everything
    /// is written in one transaction.
    pub fn log_conversation(&mut self, c: &NewConversation) -> Result<(DocId, EntryId)> {
        self.batched(|replica| replica.log_conversation_writes(c))
    }

    fn log_conversation_writes(&mut self, c: &NewConversation) -> Result<(DocId, EntryId)> {
        if let Some(address) = c.address {
            // Before the person is written, so an unknown door stores nothing.
            self.address(address)?;
        }
        let contact = self.new_consent(
            ConsentPurpose::ContactAgain,
            true,
            ConsentMethod::Doorstep,
            ConsentGiver::Subject,
            &c.consent_wording_version,
        )?;
        let fill = |p: &mut PersonEditor<'_>| -> Result<EntryId> {
            if let Some(address) = c.address {
                p.set_household(Some(address))?;
            }
            p.fill_details(&c.details)?;
            for topic in &c.doorstep.topics {
                p.set_interest(topic, true)?;
            }
            if c.consent_to_contact {
                p.record_consent(contact)?;
            }
            p.log_doorstep(c.doorstep.clone())
        };
        let (person, entry) = match c.person {
            Some(person) => {
                let entry = self.edit_person(person, |p| {
                    // Only when it differs: writing the patch they already
                    // have would compete with a move made meanwhile on
                    // another phone, and could undo it.
                    if p.current()?.patch != c.patch {
                        p.move_to_patch(&c.patch)?;
                    }
                    fill(p)
                })?;
                (person, entry)
            }
            None => {
                let new = NewPerson::new(&c.area, &c.patch, EntryChannel::Doorstep);
                self.create_person_with(&new, fill)?
            }
        };
        if let Some(address) = c.address {
            self.record_visit(address, c.doorstep.outcome)?;
        }
        Ok((person, entry))
    }

    /// Records that `person` joined working group `group` at `start` (a
    /// membership naming the group's id), and returns the membership's
    /// entry id. Refused, storing nothing, when the group is not held here
    /// or is closed, or when they are already a member of it.
    pub fn join_group(&mut self, person: DocId, group: DocId, start: Timestamp) -> Result<EntryId> {
        if self.group(group)?.closed {
            return Err(ValidationError::GroupClosed.into());
        }
        let member = self.person(person)?.interactions.iter().any(|i| {
            matches!(i.kind, InteractionKind::WorkingGroup { end: None, .. })
                && i.kind.working_group_id() == Some(group)
        });
        if member {
            return Err(ValidationError::Duplicate {
                field: "working-group membership",
            }
            .into());
        }
        self.edit_person(person, |p| p.join_group(group, start))
    }

    /// Ends `person`'s working-group membership `entry` at `end` (they left
    /// the group). Refused, storing nothing, when the entry is not a
    /// membership or `end` is before they joined.
    pub fn leave_group(&mut self, person: DocId, entry: EntryId, end: Timestamp) -> Result<()> {
        match self.person(person)?.interaction(entry).map(|i| &i.kind) {
            Some(InteractionKind::WorkingGroup { .. }) => {}
            Some(_) => return Err(ValidationError::NotEndable.into()),
            None => return Err(Error::NoSuchEntry(entry)),
        }
        self.edit_person(person, |p| p.end(entry, end))
    }

    /// Signs a new person up to an event, with their consent to hear about
    /// events (or a guardian's: an under-13 needs a guardian's), and records
    /// that they came when they signed up on the day. Returns their id.
    /// Nothing is stored if the record would break a rule.
    pub fn sign_up(&mut self, sign_up: &NewSignUp) -> Result<DocId> {
        let events_consent = self.new_consent(
            ConsentPurpose::Events,
            true,
            ConsentMethod::Event,
            sign_up.consent_by,
            &sign_up.consent_wording_version,
        )?;
        let event = sign_up.event;
        let new = NewPerson::new(&sign_up.area, &sign_up.patch, EntryChannel::Event);
        self.create_person(&new, |p| {
            p.fill_details(&sign_up.details)?;
            if sign_up.consent_given {
                p.record_consent(events_consent)?;
            }
            p.record(InteractionKind::EventSignUp { event })?;
            if sign_up.attended {
                p.record(InteractionKind::Attendance { event })?;
            }
            Ok(())
        })
    }
}
