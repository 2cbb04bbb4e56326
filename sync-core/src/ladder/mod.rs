//! The engagement ladder and how a person's progress on it is derived.
//!
//! A person's stage is never typed in: it is derived from their interactions,
//! consents and roles. The rules:
//!
//! * Each [`StageRule`] has *evidence*: the earliest time something in the
//!   person's record satisfies it (see [`StageRule`] for what counts).
//! * A stage is reached at the earliest evidence for that stage **or any stage
//!   above it** on the configured ladder. Someone who goes straight from a
//!   knock on the door to volunteering has reached "conversation",
//!   "interested" and "participant" on the day they volunteered: they skipped
//!   them, but they are past them, and funnels must count them there.
//!   Reached dates are therefore never decreasing up the ladder.
//! * Only evidence at or before `as_of` counts, so a role recorded ahead of its
//!   start does not count yet.
//! * Stages are history: a role or membership that has ended still counts as
//!   reached. Whether a role is held *now* is [`crate::Person::roles_held_at`].

use std::collections::BTreeSet;

use crate::error::ValidationError;
use crate::ids::Timestamp;
use crate::model::{ConsentPurpose, DoorOutcome, InteractionKind, Person, string_enum};

string_enum! {
    /// What counts as evidence for a stage.
    pub enum StageRule {
        /// Any interaction or consent recorded (a door knocked, a sign-up taken).
        Contacted => "contacted",
        /// A doorstep conversation where we spoke, or an event sign-up.
        Conversation => "conversation",
        /// Consent to hear more (contact, events or volunteering), naming something
        /// they would like to join, or signing up to an event.
        Interested => "interested",
        /// Attending an event or activity.
        Participant => "participant",
        /// Helping to run something.
        Volunteer => "volunteer",
        /// Joining a working group.
        WorkingGroup => "working-group",
        /// A seat on the partnership (member, chair, vice-chair, treasurer).
        PartnershipMember => "partnership-member",
        /// A leadership role (chair, vice-chair, treasurer, group lead).
        Leader => "leader",
    }
}

impl StageRule {
    /// The earliest time at or before `as_of` when the person's record
    /// satisfies this rule on its own.
    pub fn evidence(self, person: &Person, as_of: Timestamp) -> Option<Timestamp> {
        let interactions = person.interactions.iter();
        let at = |i: &crate::model::Interaction| i.at;
        match self {
            Self::Contacted => earliest(
                interactions
                    .map(at)
                    .chain(person.consents.iter().map(|c| c.at)),
                as_of,
            ),
            Self::Conversation => earliest(
                interactions
                    .filter(|i| match &i.kind {
                        InteractionKind::Doorstep(d) => d.outcome == DoorOutcome::Spoke,
                        InteractionKind::EventSignUp { .. } => true,
                        _ => false,
                    })
                    .map(at),
                as_of,
            ),
            Self::Interested => {
                let from_interactions = interactions
                    .filter(|i| match &i.kind {
                        InteractionKind::Doorstep(d) => !d.wants_to_join.is_empty(),
                        InteractionKind::EventSignUp { .. } => true,
                        _ => false,
                    })
                    .map(at);
                let from_consents = person
                    .consents
                    .iter()
                    .filter(|c| {
                        c.granted
                            && matches!(
                                c.purpose,
                                ConsentPurpose::ContactAgain
                                    | ConsentPurpose::Events
                                    | ConsentPurpose::Volunteering
                            )
                    })
                    .map(|c| c.at);
                earliest(from_interactions.chain(from_consents), as_of)
            }
            Self::Participant => earliest(
                interactions
                    .filter(|i| matches!(i.kind, InteractionKind::Attendance { .. }))
                    .map(at),
                as_of,
            ),
            Self::Volunteer => earliest(
                interactions
                    .filter(|i| matches!(i.kind, InteractionKind::Volunteering { .. }))
                    .map(at),
                as_of,
            ),
            Self::WorkingGroup => earliest(
                interactions.filter_map(|i| match i.kind {
                    InteractionKind::WorkingGroup { start, .. } => Some(start),
                    _ => None,
                }),
                as_of,
            ),
            Self::PartnershipMember => role_starts(person, as_of, |r| r.is_partnership_seat()),
            Self::Leader => role_starts(person, as_of, |r| r.is_leadership()),
        }
    }
}

/// The earliest of `times` at or before `as_of`.
fn earliest(times: impl Iterator<Item = Timestamp>, as_of: Timestamp) -> Option<Timestamp> {
    times.filter(|t| *t <= as_of).min()
}

fn role_starts(
    person: &Person,
    as_of: Timestamp,
    counts: impl Fn(crate::model::Role) -> bool,
) -> Option<Timestamp> {
    earliest(
        person.interactions.iter().filter_map(|i| match i.kind {
            InteractionKind::Role { role, start, .. } if counts(role) => Some(start),
            _ => None,
        }),
        as_of,
    )
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Slug, unique within the ladder.
    pub key: String,
    /// Display label.
    pub label: String,
    /// What counts as evidence.
    pub rule: StageRule,
}

/// An area's engagement ladder: stages from first contact to leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    stages: Vec<Stage>,
}

impl Ladder {
    /// Most stages a ladder may have.
    pub const MAX_STAGES: usize = 16;

    /// A ladder from its stages, lowest first. Fails if it is empty, too long,
    /// or repeats a key or a rule.
    pub fn new(stages: Vec<Stage>) -> Result<Self, ValidationError> {
        if stages.is_empty() {
            return Err(ValidationError::Empty { field: "ladder" });
        }
        if stages.len() > Self::MAX_STAGES {
            return Err(ValidationError::TooMany {
                field: "ladder",
                max: Self::MAX_STAGES,
            });
        }
        let mut keys = BTreeSet::new();
        let mut rules = BTreeSet::new();
        for stage in &stages {
            crate::validate::check_slug("ladder stage key", &stage.key)?;
            crate::validate::check_text("ladder stage label", &stage.label, 80)?;
            if !keys.insert(stage.key.as_str()) || !rules.insert(stage.rule) {
                return Err(ValidationError::Duplicate {
                    field: "ladder stage",
                });
            }
        }
        Ok(Self { stages })
    }

    /// The stages, lowest first.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Derives a person's progress on this ladder as known at `as_of`.
    pub fn progress(&self, person: &Person, as_of: Timestamp) -> Progress {
        let mut reached: Vec<Option<Timestamp>> = self
            .stages
            .iter()
            .map(|s| s.rule.evidence(person, as_of))
            .collect();
        // Reaching a stage implies having passed every stage below it.
        for i in (0..reached.len().saturating_sub(1)).rev() {
            reached[i] = match (reached[i], reached[i + 1]) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let highest = reached.iter().rposition(Option::is_some);
        Progress { reached, highest }
    }
}

impl Default for Ladder {
    /// The default ladder from first contact to leadership.
    fn default() -> Self {
        let stage = |rule: StageRule, label: &str| Stage {
            key: rule.as_str().to_owned(),
            label: label.to_owned(),
            rule,
        };
        Self {
            stages: vec![
                stage(StageRule::Contacted, "Contacted"),
                stage(StageRule::Conversation, "Conversation"),
                stage(StageRule::Interested, "Interested"),
                stage(StageRule::Participant, "Participant"),
                stage(StageRule::Volunteer, "Volunteer"),
                stage(StageRule::WorkingGroup, "Working-group member"),
                stage(StageRule::PartnershipMember, "Partnership member"),
                stage(StageRule::Leader, "Leader"),
            ],
        }
    }
}

/// A person's progress on a ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// For each stage of the ladder (same order), when it was first reached.
    pub reached: Vec<Option<Timestamp>>,
    /// The index of the highest stage reached.
    pub highest: Option<usize>,
}

impl Progress {
    /// When the stage at `index` was first reached.
    pub fn reached_at(&self, index: usize) -> Option<Timestamp> {
        self.reached.get(index).copied().flatten()
    }
}

#[cfg(test)]
mod tests;
