//! The rows derived from each kind of record. People's rows carry no name
//! or contact detail; ethnicity is only ever present when the record holds
//! a current equality-monitoring consent (sync-core refuses it otherwise).

use std::collections::{BTreeMap, BTreeSet};

use sync_core::{
    Address, AreaConfig, ConsentPurpose, DocId, DoorOutcome, EntryId, Event, InteractionKind,
    Ladder, Person, Progress, StageRule, Timestamp, WorkingGroup,
};

use super::{
    ADDRESSES, AREAS, CHAMPION_CONTACTS, DOOR_VISITS, EVENTS, INTERACTIONS, PATCHES, PEOPLE, ROLES,
    Rows, STAGES, TOPICS_RAISED, WORKING_GROUPS, door_key,
};

/// `topics_raised.kind` of a topic raised in a doorstep conversation.
pub const TOPIC: &str = "topic";
/// `topics_raised.kind` of something a resident said they would like to join.
pub const WANTS_TO_JOIN: &str = "wants-to-join";

/// A record's key for the cell key method (`reports::cell_key`): a fixed
/// number, uniform over 32 bits, drawn from its id by SHA-256, so that
/// rebuilding the projections gives every person (and household) the
/// same key again. Ids are random and never shown to viewers, who are the only
/// ones whose figures the keys adjust.
fn record_key(id: DocId) -> u32 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"outreach record key\0")
        .chain_update(id.to_string().as_bytes())
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// When `p` reached the ladder's stage with `rule`, or a stage above it:
/// what "conversations" and "participants" mean on every report, so that
/// reach and the funnel's steps give one number. A ladder without such a
/// stage falls back to the evidence for it alone.
fn reached(
    ladder: &Ladder,
    progress: &Progress,
    rule: StageRule,
    p: &Person,
    now: Timestamp,
) -> Option<i64> {
    match ladder.stages().iter().position(|s| s.rule == rule) {
        Some(stage) => progress.reached_at(stage),
        None => rule.evidence(p, now),
    }
    .map(Timestamp::as_millis)
}

/// A latitude or longitude in millionths of a degree (about 11 cm), as the
/// `addresses` rows hold it.
fn micro_degrees(degrees: f64) -> i64 {
    (degrees * 1_000_000.0).round() as i64
}

impl Rows {
    pub(super) fn add_address(&mut self, a: &Address) {
        let id = a.id.to_string();
        self.insert(
            &ADDRESSES,
            [
                id.clone().into(),
                a.patch.as_str().into(),
                door_key(&a.details()).into(),
                i64::from(a.do_not_knock).into(),
                a.location.map(|l| micro_degrees(l.latitude)).into(),
                a.location.map(|l| micro_degrees(l.longitude)).into(),
            ],
        );
        for v in &a.visits {
            self.insert(
                &DOOR_VISITS,
                [
                    v.id.to_string().into(),
                    id.clone().into(),
                    a.patch.as_str().into(),
                    v.at.as_millis().into(),
                    v.outcome.as_str().into(),
                ],
            );
        }
    }

    pub(super) fn add_person(&mut self, p: &Person, ladder: &Ladder, now: Timestamp) {
        let id = p.id.to_string();
        let progress = ladder.progress(p, now);
        let residency: Vec<&str> = p.residency.iter().map(|r| r.as_str()).collect();
        let activity = p
            .interactions
            .iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    InteractionKind::Attendance { .. }
                        | InteractionKind::Volunteering { .. }
                        | InteractionKind::WorkingGroup { .. }
                        | InteractionKind::Role { .. }
                )
            })
            .count();
        let key = i64::from(record_key(p.id));
        let first_contact = progress.reached_at(0).map(Timestamp::as_millis);
        // The first contact and the step, on the person's row and on every
        // row of theirs that reports join to them, so that a report chosen
        // by dates or a step alone reads those rows without the person's.
        let highest = progress.highest.map(|h| h as i64);
        self.insert(
            &PEOPLE,
            [
                id.clone().into(),
                p.area.as_str().into(),
                p.patch.as_str().into(),
                p.entry_channel.as_str().into(),
                p.age_band.map(|b| b.as_str()).into(),
                p.tenure.map(|t| t.as_str()).into(),
                p.language.as_deref().into(),
                p.ethnicity
                    .as_deref()
                    .filter(|_| p.has_consent(ConsentPurpose::EqualityMonitoring))
                    .into(),
                residency.join(",").into(),
                i64::from(p.do_not_contact).into(),
                p.created_by.to_string().into(),
                p.created_at.as_millis().into(),
                first_contact.into(),
                highest.into(),
                reached(ladder, &progress, StageRule::Conversation, p, now).into(),
                reached(ladder, &progress, StageRule::Participant, p, now).into(),
                (activity as i64).into(),
                key.into(),
                p.household.map(|h| h.to_string()).into(),
                p.household.map(|h| i64::from(record_key(h))).into(),
                held_stages(ladder, p, now).into(),
            ],
        );
        // Reports count people from the first stage on: someone who has not
        // reached it has no stage rows.
        let stages = if progress.reached.first().is_some_and(Option::is_some) {
            progress.reached.as_slice()
        } else {
            &[]
        };
        for (stage, reached) in stages.iter().enumerate() {
            if let Some(at) = reached {
                let days_from_previous = stage
                    .checked_sub(1)
                    .and_then(|previous| progress.reached[previous])
                    .map(|before| (at.as_millis() - before.as_millis()) / Timestamp::DAY_MILLIS);
                self.insert(
                    &STAGES,
                    [
                        id.clone().into(),
                        (stage as i64).into(),
                        ladder.stages()[stage].key.as_str().into(),
                        at.as_millis().into(),
                        days_from_previous.into(),
                        first_contact.into(),
                        highest.into(),
                    ],
                );
            }
        }
        let first_attendance = first_attendances(p);
        // Per champion: (doors knocked, conversations).
        let mut doorsteps: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for i in &p.interactions {
            if let InteractionKind::Doorstep(d) = &i.kind {
                let entry = doorsteps.entry(i.recorded_by.to_string()).or_default();
                entry.0 += 1;
                entry.1 += i64::from(d.outcome == DoorOutcome::Spoke);
            }
        }
        for (champion, (knocks, conversations)) in doorsteps {
            self.insert(
                &CHAMPION_CONTACTS,
                [
                    id.clone().into(),
                    champion.into(),
                    p.patch.as_str().into(),
                    knocks.into(),
                    conversations.into(),
                    first_contact.into(),
                    highest.into(),
                ],
            );
        }
        for i in &p.interactions {
            let (outcome, event, follow_up) = match &i.kind {
                InteractionKind::Doorstep(d) => {
                    (Some(d.outcome.as_str()), None, d.follow_up.as_ref())
                }
                InteractionKind::EventSignUp { event } | InteractionKind::Attendance { event } => {
                    (None, Some(*event), None)
                }
                InteractionKind::Volunteering { event, .. } => (None, *event, None),
                _ => (None, None, None),
            };
            // Only the rows that reports choose by their person's first
            // contact and step (attendances, follow-ups) carry them: on
            // the others they would be rewritten at every change of step,
            // each a page at random, for no report.
            let chosen_by_person =
                matches!(i.kind, InteractionKind::Attendance { .. }) || follow_up.is_some();
            self.insert(
                &INTERACTIONS,
                [
                    i.id.to_string().into(),
                    id.clone().into(),
                    i.kind.tag().into(),
                    i.at.as_millis().into(),
                    i.recorded_by.to_string().into(),
                    outcome.into(),
                    event.map(|e| e.to_string()).into(),
                    i64::from(follow_up.is_some()).into(),
                    follow_up
                        .and_then(|f| f.due)
                        .map(Timestamp::as_millis)
                        .into(),
                    follow_up
                        .and_then(|f| f.done.as_ref())
                        .map(|d| d.at.as_millis())
                        .into(),
                    p.patch.as_str().into(),
                    first_attendance.get(&i.id).copied().into(),
                    key.into(),
                    matches!(i.kind, InteractionKind::Attendance { .. })
                        .then(|| i64::from(holds_a_role(p, i.at)))
                        .into(),
                    first_contact.filter(|_| chosen_by_person).into(),
                    highest.filter(|_| chosen_by_person).into(),
                ],
            );
            if let InteractionKind::Doorstep(d) = &i.kind {
                let raised = d.topics.iter().map(|t| (TOPIC, t));
                let wanted = d.wants_to_join.iter().map(|t| (WANTS_TO_JOIN, t));
                let (year, month) = crate::calendar::year_month(i.at.as_millis());
                let follow_up = d.follow_up.as_ref();
                for (kind, topic) in raised.chain(wanted) {
                    self.insert(
                        &TOPICS_RAISED,
                        [
                            i.id.to_string().into(),
                            kind.into(),
                            topic.as_str().into(),
                            id.clone().into(),
                            p.patch.as_str().into(),
                            i.at.as_millis().into(),
                            (year * 100 + month).into(),
                            i64::from(follow_up.is_some()).into(),
                            follow_up
                                .and_then(|f| f.due)
                                .map(Timestamp::as_millis)
                                .into(),
                            follow_up
                                .and_then(|f| f.done.as_ref())
                                .map(|d| d.at.as_millis())
                                .into(),
                        ],
                    );
                }
            }
            let membership = match &i.kind {
                InteractionKind::Role {
                    role,
                    start,
                    end,
                    hats,
                } => {
                    let hats: Vec<&str> = hats.iter().map(|h| h.as_str()).collect();
                    Some(("role", role.as_str(), *start, *end, hats.join(",")))
                }
                InteractionKind::WorkingGroup { group, start, end } => {
                    Some(("working-group", group.as_str(), *start, *end, String::new()))
                }
                _ => None,
            };
            if let Some((kind, name, start, end, hats)) = membership {
                self.insert(
                    &ROLES,
                    [
                        i.id.to_string().into(),
                        id.clone().into(),
                        kind.into(),
                        name.into(),
                        start.as_millis().into(),
                        end.map(Timestamp::as_millis).into(),
                        hats.into(),
                        first_contact.into(),
                        key.into(),
                        highest.into(),
                    ],
                );
            }
        }
    }

    pub(super) fn add_event(&mut self, e: &Event) {
        self.insert(
            &EVENTS,
            [
                e.id.to_string().into(),
                e.area.as_str().into(),
                e.patch.as_str().into(),
                e.title.as_str().into(),
                e.kind.as_str().into(),
                e.starts_at.as_millis().into(),
                e.ends_at.map(Timestamp::as_millis).into(),
                e.place.as_deref().into(),
                e.created_by.to_string().into(),
                i64::from(e.cancelled).into(),
                e.headcount.map(i64::from).into(),
            ],
        );
    }

    pub(super) fn add_group(&mut self, g: &WorkingGroup) {
        let topics: Vec<&str> = g.topics.iter().map(String::as_str).collect();
        self.insert(
            &WORKING_GROUPS,
            [
                g.id.to_string().into(),
                g.area.as_str().into(),
                g.patch.as_deref().into(),
                g.name.as_str().into(),
                topics.join(",").into(),
                i64::from(g.devolved_budget).into(),
                i64::from(g.devolved_decisions).into(),
                i64::from(g.constituted).into(),
                g.lead.map(|l| l.to_string()).into(),
                i64::from(g.closed).into(),
                g.created_at.as_millis().into(),
            ],
        );
    }

    pub(super) fn add_area(&mut self, a: &AreaConfig) {
        let id = a.id.to_string();
        self.insert(
            &AREAS,
            [
                id.clone().into(),
                a.area.as_str().into(),
                a.name.as_str().into(),
                i64::from(a.resident_led_threshold_percent).into(),
            ],
        );
        for p in &a.patches {
            self.insert(
                &PATCHES,
                [
                    id.clone().into(),
                    p.id.as_str().into(),
                    p.name.as_str().into(),
                    i64::from(p.households).into(),
                ],
            );
        }
    }
}

/// The stages `p` held by their own evidence (not only implied by a
/// higher stage), as bits (stage `i` is bit `i`): the funnel's "through".
fn held_stages(ladder: &Ladder, p: &Person, now: Timestamp) -> i64 {
    ladder
        .stages()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.rule.evidence(p, now).is_some())
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// Whether `p` held a role at `at`: a seat, an office or a working-group
/// membership begun by then and not ended (what the events report counts
/// as "holding a role when they came").
fn holds_a_role(p: &Person, at: Timestamp) -> bool {
    p.interactions.iter().any(|i| match i.kind {
        InteractionKind::Role { start, end, .. }
        | InteractionKind::WorkingGroup { start, end, .. } => {
            start <= at && end.is_none_or(|e| e > at)
        }
        _ => false,
    })
}

/// Per attendance, its `interactions.first_attendance`: 1 for the person's
/// first attendance at anything, 0 for their first at each later event.
/// Repeats at an event already attended (recorded twice) are left out, so
/// they are stored as NULL and attendees are counted once.
fn first_attendances(p: &Person) -> BTreeMap<EntryId, i64> {
    let mut attendances: Vec<(Timestamp, EntryId, DocId)> = p
        .interactions
        .iter()
        .filter_map(|i| match i.kind {
            InteractionKind::Attendance { event } => Some((i.at, i.id, event)),
            _ => None,
        })
        .collect();
    attendances.sort_unstable();
    let mut seen = BTreeSet::new();
    let mut flags = BTreeMap::new();
    for (_, id, event) in attendances {
        if seen.insert(event) {
            flags.insert(id, i64::from(flags.is_empty()));
        }
    }
    flags
}
