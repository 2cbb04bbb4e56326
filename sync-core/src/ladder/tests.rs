//! Unit tests of the ladder rules.

use std::collections::BTreeSet;

use super::*;
use crate::ids::{DeviceId, DocId, EntryId};
use crate::model::{
    ConsentGiver, ConsentMethod, ConsentRecord, Doorstep, EntryChannel, Interaction, LawfulBasis,
    Role,
};

// Default ladder indices.
const CONTACTED: usize = 0;
const CONVERSATION: usize = 1;
const INTERESTED: usize = 2;
const PARTICIPANT: usize = 3;
const VOLUNTEER: usize = 4;
const WORKING_GROUP: usize = 5;
const PARTNERSHIP: usize = 6;
const LEADER: usize = 7;

/// Midnight UTC, 1 January 2025: day 0 of every test.
const T0: Timestamp = Timestamp::from_millis(1_735_689_600_000);

/// Day `n` after [`T0`].
fn day(n: i64) -> Timestamp {
    T0.plus_days(n)
}

/// Far enough in the future that everything counts.
fn forever() -> Timestamp {
    day(100_000)
}

fn doc(n: u128) -> DocId {
    DocId::from_uuid(uuid::Uuid::from_u128(n))
}

fn device() -> DeviceId {
    DeviceId::from_uuid(uuid::Uuid::from_u128(0xD0))
}

/// A person with nothing recorded.
fn person() -> Person {
    Person {
        id: doc(1),
        area: "north-estate".to_owned(),
        patch: "elm-road".to_owned(),
        entry_channel: EntryChannel::Doorstep,
        name: None,
        phone: None,
        email: None,
        household: None,
        residency: BTreeSet::new(),
        age_band: None,
        tenure: None,
        language: None,
        ethnicity: None,
        interests: BTreeSet::new(),
        consents: Vec::new(),
        do_not_contact: false,
        interactions: Vec::new(),
        created_by: device(),
        created_at: T0,
    }
}

/// A fresh entry id for the next record on `p`.
fn next_entry(p: &Person) -> EntryId {
    let n = 1000 + p.interactions.len() + p.consents.len();
    EntryId::from_uuid(uuid::Uuid::from_u128(n as u128))
}

/// Records an interaction of `kind` at `at`.
fn push(p: &mut Person, at: Timestamp, kind: InteractionKind) {
    let id = next_entry(p);
    p.interactions.push(Interaction {
        id,
        at,
        recorded_by: device(),
        kind,
    });
}

/// Records a consent for `purpose` given (`granted`) or withdrawn at `at`.
fn consent(p: &mut Person, at: Timestamp, purpose: ConsentPurpose, granted: bool) {
    let id = next_entry(p);
    p.consents.push(ConsentRecord {
        id,
        purpose,
        granted,
        lawful_basis: LawfulBasis::Consent,
        wording_version: "v1".to_owned(),
        at,
        method: ConsentMethod::Doorstep,
        given_by: ConsentGiver::Subject,
        recorded_by: device(),
    });
}

fn door(outcome: DoorOutcome) -> InteractionKind {
    InteractionKind::Doorstep(Doorstep::new(outcome))
}

fn door_wanting(outcome: DoorOutcome, what: &str) -> InteractionKind {
    InteractionKind::Doorstep(Doorstep::new(outcome).wants_to_join(what))
}

fn sign_up() -> InteractionKind {
    InteractionKind::EventSignUp { event: doc(50) }
}

fn attendance() -> InteractionKind {
    InteractionKind::Attendance { event: doc(50) }
}

fn volunteering() -> InteractionKind {
    InteractionKind::Volunteering {
        activity: "litter-pick".to_owned(),
        event: Some(doc(50)),
    }
}

fn working_group(start: Timestamp, end: Option<Timestamp>) -> InteractionKind {
    InteractionKind::WorkingGroup {
        group: "green-spaces".to_owned(),
        start,
        end,
    }
}

fn role(role: Role, start: Timestamp, end: Option<Timestamp>) -> InteractionKind {
    InteractionKind::Role {
        role,
        start,
        end,
        hats: std::collections::BTreeSet::new(),
    }
}

fn referral() -> InteractionKind {
    InteractionKind::Referral {
        source: "food-bank".to_owned(),
    }
}

/// Evidence for `rule` with nothing filtered out by `as_of`.
fn evidence(rule: StageRule, p: &Person) -> Option<Timestamp> {
    rule.evidence(p, forever())
}

/// Every rule's evidence, in [`StageRule::ALL`] order.
fn all_evidence(p: &Person, as_of: Timestamp) -> Vec<Option<Timestamp>> {
    StageRule::ALL
        .iter()
        .map(|r| r.evidence(p, as_of))
        .collect()
}

fn stage(key: &str, label: &str, rule: StageRule) -> Stage {
    Stage {
        key: key.to_owned(),
        label: label.to_owned(),
        rule,
    }
}

/// A person with a single interaction of `kind` at `at`.
fn person_with(at: Timestamp, kind: InteractionKind) -> Person {
    let mut p = person();
    push(&mut p, at, kind);
    p
}

// ---------------------------------------------------------------------------
// The default ladder
// ---------------------------------------------------------------------------

#[test]
fn default_ladder_has_every_rule_once_in_declaration_order_keyed_by_rule_slug() {
    let ladder = Ladder::default();
    let rules: Vec<StageRule> = ladder.stages().iter().map(|s| s.rule).collect();
    assert_eq!(rules, StageRule::ALL.to_vec());
    assert_eq!(ladder.stages().len(), 8);
    for s in ladder.stages() {
        assert_eq!(s.key, s.rule.as_str());
    }
    let labels: Vec<&str> = ladder.stages().iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Contacted",
            "Conversation",
            "Interested",
            "Participant",
            "Volunteer",
            "Working-group member",
            "Partnership member",
            "Leader",
        ]
    );
    assert_eq!(ladder.stages()[WORKING_GROUP].key, "working-group");
    assert_eq!(ladder.stages()[PARTNERSHIP].key, "partnership-member");
}

#[test]
fn default_ladder_passes_its_own_validation() {
    let default = Ladder::default();
    assert_eq!(Ladder::new(default.stages().to_vec()), Ok(default));
}

#[test]
fn stage_rule_slugs_round_trip_and_unknown_slugs_do_not_parse() {
    for rule in StageRule::ALL {
        assert_eq!(StageRule::parse(rule.as_str()), Some(*rule));
        assert_eq!(rule.to_string(), rule.as_str());
    }
    assert_eq!(StageRule::parse("Leader"), None);
    assert_eq!(StageRule::parse("working_group"), None);
    assert_eq!(StageRule::parse(""), None);
}

// ---------------------------------------------------------------------------
// Contacted
// ---------------------------------------------------------------------------

#[test]
fn contacted_counts_every_interaction_kind_at_its_recorded_time() {
    let kinds = [
        door(DoorOutcome::NotIn),
        door(DoorOutcome::Refused),
        door(DoorOutcome::MovedAway),
        door(DoorOutcome::Spoke),
        sign_up(),
        attendance(),
        volunteering(),
        working_group(day(3), None),
        role(Role::Chair, day(3), None),
        referral(),
    ];
    for kind in kinds {
        let tag = kind.tag();
        let p = person_with(day(3), kind);
        assert_eq!(evidence(StageRule::Contacted, &p), Some(day(3)), "{tag}");
    }
}

#[test]
fn contacted_counts_consents_even_withdrawn_and_equality_monitoring() {
    for purpose in ConsentPurpose::ALL {
        for granted in [true, false] {
            let mut p = person();
            consent(&mut p, day(4), *purpose, granted);
            assert_eq!(
                evidence(StageRule::Contacted, &p),
                Some(day(4)),
                "{purpose} granted={granted}"
            );
        }
    }
}

#[test]
fn contacted_takes_earliest_of_interactions_and_consents() {
    let mut p = person();
    push(&mut p, day(9), door(DoorOutcome::Spoke));
    consent(&mut p, day(6), ConsentPurpose::EqualityMonitoring, true);
    push(&mut p, day(7), referral());
    assert_eq!(evidence(StageRule::Contacted, &p), Some(day(6)));
}

#[test]
fn contacted_for_a_role_uses_the_recording_time_not_the_start() {
    // Recorded on day 10, backdated to start on day 3.
    let p = person_with(day(10), role(Role::PartnershipMember, day(3), None));
    assert_eq!(evidence(StageRule::Contacted, &p), Some(day(10)));
    // But on the ladder Contacted is reached with the partnership seat.
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached_at(CONTACTED), Some(day(3)));
}

// ---------------------------------------------------------------------------
// Conversation
// ---------------------------------------------------------------------------

#[test]
fn conversation_counts_doorstep_spoke() {
    let p = person_with(day(2), door(DoorOutcome::Spoke));
    assert_eq!(evidence(StageRule::Conversation, &p), Some(day(2)));
}

#[test]
fn conversation_counts_event_sign_up() {
    let p = person_with(day(2), sign_up());
    assert_eq!(evidence(StageRule::Conversation, &p), Some(day(2)));
}

#[test]
fn not_in_refused_and_moved_away_doorsteps_are_contacted_but_not_conversation() {
    for outcome in [
        DoorOutcome::NotIn,
        DoorOutcome::Refused,
        DoorOutcome::MovedAway,
    ] {
        let p = person_with(day(2), door(outcome));
        assert_eq!(
            evidence(StageRule::Contacted, &p),
            Some(day(2)),
            "{outcome}"
        );
        assert_eq!(evidence(StageRule::Conversation, &p), None, "{outcome}");
        let progress = Ladder::default().progress(&p, forever());
        assert_eq!(progress.highest, Some(CONTACTED), "{outcome}");
    }
}

#[test]
fn conversation_ignores_other_interaction_kinds_and_consents() {
    let kinds = [
        attendance(),
        volunteering(),
        working_group(day(2), None),
        role(Role::Chair, day(2), None),
        referral(),
    ];
    for kind in kinds {
        let tag = kind.tag();
        let p = person_with(day(2), kind);
        assert_eq!(evidence(StageRule::Conversation, &p), None, "{tag}");
    }
    let mut p = person();
    consent(&mut p, day(2), ConsentPurpose::ContactAgain, true);
    assert_eq!(evidence(StageRule::Conversation, &p), None);
}

#[test]
fn conversation_takes_earliest_spoke_or_sign_up_skipping_not_in() {
    let mut p = person();
    push(&mut p, day(1), door(DoorOutcome::NotIn));
    push(&mut p, day(8), door(DoorOutcome::Spoke));
    push(&mut p, day(5), sign_up());
    assert_eq!(evidence(StageRule::Conversation, &p), Some(day(5)));
}

// ---------------------------------------------------------------------------
// Interested
// ---------------------------------------------------------------------------

#[test]
fn interested_counts_doorstep_naming_something_to_join() {
    let p = person_with(day(3), door_wanting(DoorOutcome::Spoke, "litter-pick"));
    assert_eq!(evidence(StageRule::Interested, &p), Some(day(3)));
}

#[test]
fn interested_ignores_doorstep_that_names_nothing_to_join() {
    let p = person_with(
        day(3),
        InteractionKind::Doorstep(Doorstep::new(DoorOutcome::Spoke).topic("parks")),
    );
    assert_eq!(evidence(StageRule::Conversation, &p), Some(day(3)));
    assert_eq!(evidence(StageRule::Interested, &p), None);
}

#[test]
fn interested_counts_event_sign_up() {
    let p = person_with(day(3), sign_up());
    assert_eq!(evidence(StageRule::Interested, &p), Some(day(3)));
}

#[test]
fn interested_counts_granted_contact_again_events_and_volunteering_consents() {
    for purpose in [
        ConsentPurpose::ContactAgain,
        ConsentPurpose::Events,
        ConsentPurpose::Volunteering,
    ] {
        let mut p = person();
        consent(&mut p, day(5), purpose, true);
        assert_eq!(
            evidence(StageRule::Interested, &p),
            Some(day(5)),
            "{purpose}"
        );
        // A consent alone is not a conversation.
        assert_eq!(evidence(StageRule::Conversation, &p), None, "{purpose}");
    }
}

#[test]
fn interested_ignores_equality_monitoring_consent() {
    let mut p = person();
    consent(&mut p, day(5), ConsentPurpose::EqualityMonitoring, true);
    assert_eq!(evidence(StageRule::Interested, &p), None);
    assert_eq!(evidence(StageRule::Contacted, &p), Some(day(5)));
}

#[test]
fn interested_ignores_withdrawal_records() {
    for purpose in ConsentPurpose::ALL {
        let mut p = person();
        consent(&mut p, day(5), *purpose, false);
        assert_eq!(evidence(StageRule::Interested, &p), None, "{purpose}");
    }
}

#[test]
fn interested_keeps_a_grant_that_was_later_withdrawn() {
    let mut p = person();
    consent(&mut p, day(5), ConsentPurpose::Events, true);
    consent(&mut p, day(9), ConsentPurpose::Events, false);
    assert!(!p.has_consent(ConsentPurpose::Events));
    assert_eq!(evidence(StageRule::Interested, &p), Some(day(5)));
}

#[test]
fn interested_ignores_attendance_volunteering_and_roles() {
    let kinds = [
        door(DoorOutcome::Spoke),
        attendance(),
        volunteering(),
        working_group(day(2), None),
        role(Role::Chair, day(2), None),
        referral(),
    ];
    for kind in kinds {
        let tag = kind.tag();
        let p = person_with(day(2), kind);
        assert_eq!(evidence(StageRule::Interested, &p), None, "{tag}");
    }
}

#[test]
fn interested_takes_earliest_across_doorsteps_sign_ups_and_consents() {
    let mut p = person();
    push(&mut p, day(20), sign_up());
    push(
        &mut p,
        day(15),
        door_wanting(DoorOutcome::Spoke, "youth-club"),
    );
    consent(&mut p, day(2), ConsentPurpose::EqualityMonitoring, true);
    consent(&mut p, day(4), ConsentPurpose::Volunteering, false);
    consent(&mut p, day(11), ConsentPurpose::ContactAgain, true);
    assert_eq!(evidence(StageRule::Interested, &p), Some(day(11)));
}

// ---------------------------------------------------------------------------
// Participant, Volunteer, WorkingGroup
// ---------------------------------------------------------------------------

#[test]
fn participant_counts_attendance_only() {
    let p = person_with(day(6), attendance());
    assert_eq!(evidence(StageRule::Participant, &p), Some(day(6)));
    for kind in [
        door_wanting(DoorOutcome::Spoke, "litter-pick"),
        sign_up(),
        volunteering(),
        working_group(day(6), None),
        role(Role::Chair, day(6), None),
        referral(),
    ] {
        let tag = kind.tag();
        let p = person_with(day(6), kind);
        assert_eq!(evidence(StageRule::Participant, &p), None, "{tag}");
    }
}

#[test]
fn volunteer_counts_volunteering_with_or_without_an_event() {
    let p = person_with(day(7), volunteering());
    assert_eq!(evidence(StageRule::Volunteer, &p), Some(day(7)));
    let p = person_with(
        day(8),
        InteractionKind::Volunteering {
            activity: "leaflets".to_owned(),
            event: None,
        },
    );
    assert_eq!(evidence(StageRule::Volunteer, &p), Some(day(8)));
}

#[test]
fn volunteer_ignores_everything_but_volunteering() {
    for kind in [
        door_wanting(DoorOutcome::Spoke, "litter-pick"),
        sign_up(),
        attendance(),
        working_group(day(7), None),
        role(Role::GroupLead, day(7), None),
        referral(),
    ] {
        let tag = kind.tag();
        let p = person_with(day(7), kind);
        assert_eq!(evidence(StageRule::Volunteer, &p), None, "{tag}");
    }
}

#[test]
fn working_group_uses_membership_start_not_recording_time() {
    // Recorded on day 20, backdated to day 5.
    let p = person_with(day(20), working_group(day(5), None));
    assert_eq!(evidence(StageRule::WorkingGroup, &p), Some(day(5)));
    // Recorded on day 1, starting on day 12.
    let p = person_with(day(1), working_group(day(12), None));
    assert_eq!(evidence(StageRule::WorkingGroup, &p), Some(day(12)));
}

#[test]
fn working_group_ignores_roles_and_volunteering() {
    for kind in [
        volunteering(),
        attendance(),
        role(Role::GroupLead, day(7), None),
        role(Role::PartnershipMember, day(7), None),
    ] {
        let tag = kind.tag();
        let p = person_with(day(7), kind);
        assert_eq!(evidence(StageRule::WorkingGroup, &p), None, "{tag}");
    }
}

// ---------------------------------------------------------------------------
// PartnershipMember and Leader
// ---------------------------------------------------------------------------

#[test]
fn role_kinds_split_into_partnership_seats_and_leadership_as_documented() {
    let seats: Vec<Role> = Role::ALL
        .iter()
        .copied()
        .filter(|r| r.is_partnership_seat())
        .collect();
    assert_eq!(
        seats,
        [
            Role::PartnershipMember,
            Role::Chair,
            Role::ViceChair,
            Role::Treasurer
        ]
    );
    let leaders: Vec<Role> = Role::ALL
        .iter()
        .copied()
        .filter(|r| r.is_leadership())
        .collect();
    assert_eq!(
        leaders,
        [
            Role::Chair,
            Role::ViceChair,
            Role::Treasurer,
            Role::GroupLead
        ]
    );
}

#[test]
fn partnership_member_counts_member_chair_vice_chair_and_treasurer_but_not_group_lead() {
    let expected = [
        (Role::PartnershipMember, true),
        (Role::Chair, true),
        (Role::ViceChair, true),
        (Role::Treasurer, true),
        (Role::GroupLead, false),
    ];
    assert_eq!(expected.len(), Role::ALL.len());
    for (r, counts) in expected {
        // Recorded on day 1, starting on day 4: the start is what counts.
        let p = person_with(day(1), role(r, day(4), None));
        let want = counts.then_some(day(4));
        assert_eq!(evidence(StageRule::PartnershipMember, &p), want, "{r}");
    }
}

#[test]
fn leader_counts_chair_vice_chair_treasurer_and_group_lead_but_not_plain_member() {
    let expected = [
        (Role::PartnershipMember, false),
        (Role::Chair, true),
        (Role::ViceChair, true),
        (Role::Treasurer, true),
        (Role::GroupLead, true),
    ];
    assert_eq!(expected.len(), Role::ALL.len());
    for (r, counts) in expected {
        let p = person_with(day(1), role(r, day(4), None));
        let want = counts.then_some(day(4));
        assert_eq!(evidence(StageRule::Leader, &p), want, "{r}");
    }
}

#[test]
fn role_rules_ignore_working_group_membership_and_volunteering() {
    let mut p = person();
    push(&mut p, day(1), working_group(day(1), None));
    push(&mut p, day(2), volunteering());
    assert_eq!(evidence(StageRule::PartnershipMember, &p), None);
    assert_eq!(evidence(StageRule::Leader, &p), None);
}

#[test]
fn role_rules_take_earliest_matching_role_start() {
    let mut p = person();
    push(&mut p, day(1), role(Role::Treasurer, day(40), None));
    push(&mut p, day(2), role(Role::GroupLead, day(25), None));
    push(&mut p, day(3), role(Role::PartnershipMember, day(10), None));
    assert_eq!(evidence(StageRule::PartnershipMember, &p), Some(day(10)));
    assert_eq!(evidence(StageRule::Leader, &p), Some(day(25)));
}

// ---------------------------------------------------------------------------
// Earliest evidence wins
// ---------------------------------------------------------------------------

#[test]
fn every_rule_takes_the_earliest_evidence_whatever_the_record_order() {
    let later_first = |later: InteractionKind, earlier: InteractionKind| {
        let mut p = person();
        push(&mut p, day(30), later);
        push(&mut p, day(10), earlier);
        p
    };
    let cases = [
        (StageRule::Contacted, later_first(referral(), referral())),
        (
            StageRule::Conversation,
            later_first(door(DoorOutcome::Spoke), door(DoorOutcome::Spoke)),
        ),
        (
            StageRule::Interested,
            later_first(
                door_wanting(DoorOutcome::Spoke, "a"),
                door_wanting(DoorOutcome::Spoke, "b"),
            ),
        ),
        (
            StageRule::Participant,
            later_first(attendance(), attendance()),
        ),
        (
            StageRule::Volunteer,
            later_first(volunteering(), volunteering()),
        ),
        (
            StageRule::WorkingGroup,
            later_first(working_group(day(30), None), working_group(day(10), None)),
        ),
        (
            StageRule::PartnershipMember,
            later_first(
                role(Role::Chair, day(30), None),
                role(Role::PartnershipMember, day(10), None),
            ),
        ),
        (
            StageRule::Leader,
            later_first(
                role(Role::Chair, day(30), None),
                role(Role::GroupLead, day(10), None),
            ),
        ),
    ];
    assert_eq!(cases.len(), StageRule::ALL.len());
    for (rule, p) in &cases {
        assert_eq!(evidence(*rule, p), Some(day(10)), "{rule}");
    }
}

#[test]
fn progress_reports_earliest_date_for_each_stage_from_repeated_evidence() {
    let mut p = person();
    push(&mut p, day(50), attendance());
    push(&mut p, day(20), attendance());
    push(&mut p, day(35), attendance());
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached_at(PARTICIPANT), Some(day(20)));
    assert_eq!(progress.reached_at(CONTACTED), Some(day(20)));
}

// ---------------------------------------------------------------------------
// as_of
// ---------------------------------------------------------------------------

#[test]
fn evidence_exactly_at_as_of_counts_and_a_millisecond_later_does_not() {
    let at = day(10);
    let p = person_with(at, attendance());
    assert_eq!(StageRule::Participant.evidence(&p, at), Some(at));
    let just_before = Timestamp::from_millis(at.as_millis() - 1);
    assert_eq!(StageRule::Participant.evidence(&p, just_before), None);
    assert_eq!(StageRule::Contacted.evidence(&p, just_before), None);
}

#[test]
fn evidence_after_as_of_is_ignored_but_earlier_evidence_still_counts() {
    let mut p = person();
    push(&mut p, day(5), door(DoorOutcome::NotIn));
    push(&mut p, day(12), door(DoorOutcome::Spoke));
    push(&mut p, day(20), attendance());
    let ladder = Ladder::default();

    let at_4 = ladder.progress(&p, day(4));
    assert_eq!(at_4.reached, vec![None; 8]);
    assert_eq!(at_4.highest, None);

    let at_11 = ladder.progress(&p, day(11));
    let mut want = vec![None; 8];
    want[CONTACTED] = Some(day(5));
    assert_eq!(at_11.reached, want);
    assert_eq!(at_11.highest, Some(CONTACTED));

    let at_19 = ladder.progress(&p, day(19));
    want[CONVERSATION] = Some(day(12));
    assert_eq!(at_19.reached, want);
    assert_eq!(at_19.highest, Some(CONVERSATION));

    let at_20 = ladder.progress(&p, day(20));
    want[INTERESTED] = Some(day(20));
    want[PARTICIPANT] = Some(day(20));
    assert_eq!(at_20.reached, want);
    assert_eq!(at_20.highest, Some(PARTICIPANT));
}

#[test]
fn rule_evidence_skips_later_evidence_to_find_earliest_before_as_of() {
    let mut p = person();
    push(&mut p, day(30), attendance());
    push(&mut p, day(10), attendance());
    push(&mut p, day(20), attendance());
    assert_eq!(StageRule::Participant.evidence(&p, day(25)), Some(day(10)));
    assert_eq!(StageRule::Participant.evidence(&p, day(9)), None);
}

#[test]
fn role_recorded_with_future_start_does_not_count_until_as_of_reaches_start() {
    // Elected on day 1, taking the chair on day 30.
    let p = person_with(day(1), role(Role::Chair, day(30), None));
    let ladder = Ladder::default();

    assert_eq!(StageRule::Leader.evidence(&p, day(29)), None);
    assert_eq!(StageRule::PartnershipMember.evidence(&p, day(29)), None);

    let before = ladder.progress(&p, day(29));
    let mut want = vec![None; 8];
    want[CONTACTED] = Some(day(1));
    assert_eq!(before.reached, want);
    assert_eq!(before.highest, Some(CONTACTED));
    assert_eq!(p.roles_held_at(day(29)).count(), 0);

    let on_start = ladder.progress(&p, day(30));
    let mut want = vec![Some(day(30)); 8];
    want[CONTACTED] = Some(day(1));
    assert_eq!(on_start.reached, want);
    assert_eq!(on_start.highest, Some(LEADER));
    assert_eq!(p.roles_held_at(day(30)).collect::<Vec<_>>(), [Role::Chair]);
}

#[test]
fn working_group_with_future_start_does_not_count_until_as_of_reaches_start() {
    let p = person_with(day(2), working_group(day(14), None));
    let ladder = Ladder::default();
    let before = ladder.progress(&p, day(13));
    assert_eq!(before.highest, Some(CONTACTED));
    assert_eq!(before.reached_at(WORKING_GROUP), None);
    assert_eq!(before.reached_at(CONVERSATION), None);

    let after = ladder.progress(&p, day(14));
    assert_eq!(after.highest, Some(WORKING_GROUP));
    assert_eq!(
        after.reached,
        vec![
            Some(day(2)),
            Some(day(14)),
            Some(day(14)),
            Some(day(14)),
            Some(day(14)),
            Some(day(14)),
            None,
            None,
        ]
    );
}

#[test]
fn backdated_role_counts_from_its_start_even_when_as_of_precedes_recording() {
    // Recorded on day 20 as having started on day 5; viewed as of day 10.
    let p = person_with(day(20), role(Role::Chair, day(5), None));
    assert_eq!(StageRule::Contacted.evidence(&p, day(10)), None);
    assert_eq!(StageRule::Leader.evidence(&p, day(10)), Some(day(5)));
    let progress = Ladder::default().progress(&p, day(10));
    assert_eq!(progress.reached, vec![Some(day(5)); 8]);
    assert_eq!(progress.highest, Some(LEADER));
}

// ---------------------------------------------------------------------------
// Skipping stages
// ---------------------------------------------------------------------------

#[test]
fn chair_only_reaches_every_stage_at_the_role_start() {
    let p = person_with(day(5), role(Role::Chair, day(5), None));
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached, vec![Some(day(5)); 8]);
    assert_eq!(progress.highest, Some(LEADER));
    // Only the role rules have evidence of their own (and Contacted, the record).
    let own = all_evidence(&p, forever());
    assert_eq!(
        own,
        vec![
            Some(day(5)),
            None,
            None,
            None,
            None,
            None,
            Some(day(5)),
            Some(day(5)),
        ]
    );
}

#[test]
fn plain_partnership_member_reaches_every_stage_below_leader_but_not_leader() {
    let p = person_with(day(3), role(Role::PartnershipMember, day(8), None));
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(
        progress.reached,
        vec![
            Some(day(3)),
            Some(day(8)),
            Some(day(8)),
            Some(day(8)),
            Some(day(8)),
            Some(day(8)),
            Some(day(8)),
            None,
        ]
    );
    assert_eq!(progress.highest, Some(PARTNERSHIP));
}

#[test]
fn group_lead_reaches_partnership_stage_by_being_above_it_though_not_a_seat() {
    let p = person_with(day(6), role(Role::GroupLead, day(6), None));
    assert_eq!(evidence(StageRule::PartnershipMember, &p), None);
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached_at(PARTNERSHIP), Some(day(6)));
    assert_eq!(progress.reached_at(LEADER), Some(day(6)));
    assert_eq!(progress.highest, Some(LEADER));
}

#[test]
fn volunteering_first_reaches_lower_stages_on_that_day_and_later_doorstep_does_not_move_them() {
    let mut p = person();
    push(&mut p, day(10), volunteering());
    push(
        &mut p,
        day(20),
        door_wanting(DoorOutcome::Spoke, "litter-pick"),
    );
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(
        progress.reached,
        vec![
            Some(day(10)),
            Some(day(10)),
            Some(day(10)),
            Some(day(10)),
            Some(day(10)),
            None,
            None,
            None,
        ]
    );
    assert_eq!(progress.highest, Some(VOLUNTEER));
}

#[test]
fn lower_stage_keeps_its_own_earlier_date_when_higher_stage_comes_later() {
    let mut p = person();
    push(&mut p, day(1), door(DoorOutcome::NotIn));
    push(&mut p, day(4), door(DoorOutcome::Spoke));
    push(&mut p, day(8), attendance());
    push(&mut p, day(50), role(Role::Chair, day(50), None));
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(
        progress.reached,
        vec![
            Some(day(1)),
            Some(day(4)),
            Some(day(8)),
            Some(day(8)),
            Some(day(50)),
            Some(day(50)),
            Some(day(50)),
            Some(day(50)),
        ]
    );
    assert_eq!(progress.highest, Some(LEADER));
}

#[test]
fn reached_dates_never_decrease_up_the_ladder_for_a_mixed_journey() {
    // Evidence arrives in an order that does not follow the ladder.
    let mut p = person();
    push(&mut p, day(2), referral());
    push(&mut p, day(30), door(DoorOutcome::Spoke));
    consent(&mut p, day(25), ConsentPurpose::ContactAgain, true);
    push(&mut p, day(15), working_group(day(15), None));
    push(&mut p, day(40), attendance());
    push(
        &mut p,
        day(60),
        role(Role::Treasurer, day(60), Some(day(90))),
    );
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(
        progress.reached,
        vec![
            Some(day(2)),
            Some(day(15)),
            Some(day(15)),
            Some(day(15)),
            Some(day(15)),
            Some(day(15)),
            Some(day(60)),
            Some(day(60)),
        ]
    );
    assert_eq!(progress.highest, Some(LEADER));
    for w in progress.reached.windows(2) {
        assert!(w[0] <= w[1], "{w:?}");
    }
}

#[test]
fn every_stage_below_a_reached_stage_is_reached_no_later() {
    let ladder = Ladder::default();
    let people = [
        person_with(day(3), attendance()),
        person_with(day(3), volunteering()),
        person_with(day(3), sign_up()),
        person_with(day(3), working_group(day(9), Some(day(12)))),
        person_with(day(9), role(Role::ViceChair, day(3), None)),
        person_with(day(3), role(Role::GroupLead, day(9), None)),
    ];
    for (n, p) in people.iter().enumerate() {
        let progress = ladder.progress(p, forever());
        let top = progress.highest.expect("something reached");
        for i in 0..=top {
            let here = progress.reached_at(i).expect("below highest is reached");
            if i < top {
                let above = progress.reached_at(i + 1).unwrap();
                assert!(here <= above, "person {n} stage {i}");
            }
        }
        for i in top + 1..ladder.stages().len() {
            assert_eq!(progress.reached_at(i), None, "person {n} stage {i}");
        }
    }
}

#[test]
fn highest_is_the_top_reached_index() {
    let ladder = Ladder::default();
    let cases = [
        (person_with(day(1), door(DoorOutcome::NotIn)), CONTACTED),
        (person_with(day(1), door(DoorOutcome::Spoke)), CONVERSATION),
        (person_with(day(1), sign_up()), INTERESTED),
        (person_with(day(1), attendance()), PARTICIPANT),
        (person_with(day(1), volunteering()), VOLUNTEER),
        (
            person_with(day(1), working_group(day(1), None)),
            WORKING_GROUP,
        ),
        (
            person_with(day(1), role(Role::PartnershipMember, day(1), None)),
            PARTNERSHIP,
        ),
        (
            person_with(day(1), role(Role::Treasurer, day(1), None)),
            LEADER,
        ),
    ];
    for (p, top) in &cases {
        let progress = ladder.progress(p, forever());
        assert_eq!(progress.highest, Some(*top));
        assert_eq!(progress.reached_at(*top), Some(day(1)));
    }
}

#[test]
fn event_sign_up_alone_reaches_contacted_conversation_and_interested_only() {
    let p = person_with(day(4), sign_up());
    let progress = Ladder::default().progress(&p, forever());
    let mut want = vec![None; 8];
    want[CONTACTED] = Some(day(4));
    want[CONVERSATION] = Some(day(4));
    want[INTERESTED] = Some(day(4));
    assert_eq!(progress.reached, want);
    assert_eq!(progress.highest, Some(INTERESTED));
}

#[test]
fn consent_only_person_is_interested_without_a_conversation_of_their_own() {
    let mut p = person();
    consent(&mut p, day(7), ConsentPurpose::Events, true);
    let own = all_evidence(&p, forever());
    assert_eq!(
        own,
        vec![
            Some(day(7)),
            None,
            Some(day(7)),
            None,
            None,
            None,
            None,
            None,
        ]
    );
    let progress = Ladder::default().progress(&p, forever());
    // Interested implies the conversation stage below it.
    assert_eq!(progress.reached_at(CONVERSATION), Some(day(7)));
    assert_eq!(progress.highest, Some(INTERESTED));
}

// ---------------------------------------------------------------------------
// Ended roles and memberships
// ---------------------------------------------------------------------------

#[test]
fn ended_role_still_counts_as_reached_but_is_not_held_after_its_end() {
    let p = person_with(day(5), role(Role::Chair, day(5), Some(day(20))));
    let progress = Ladder::default().progress(&p, day(100));
    assert_eq!(progress.reached, vec![Some(day(5)); 8]);
    assert_eq!(progress.highest, Some(LEADER));

    assert_eq!(p.roles_held_at(day(4)).count(), 0);
    assert_eq!(p.roles_held_at(day(5)).collect::<Vec<_>>(), [Role::Chair]);
    assert_eq!(p.roles_held_at(day(19)).collect::<Vec<_>>(), [Role::Chair]);
    // The end is exclusive.
    assert_eq!(p.roles_held_at(day(20)).count(), 0);
    assert_eq!(p.roles_held_at(day(100)).count(), 0);
}

#[test]
fn ended_role_counts_for_as_of_between_start_and_end() {
    let p = person_with(day(5), role(Role::PartnershipMember, day(5), Some(day(20))));
    let progress = Ladder::default().progress(&p, day(10));
    assert_eq!(progress.highest, Some(PARTNERSHIP));
    assert_eq!(progress.reached_at(PARTNERSHIP), Some(day(5)));
    assert_eq!(
        p.roles_held_at(day(10)).collect::<Vec<_>>(),
        [Role::PartnershipMember]
    );
}

#[test]
fn ended_working_group_membership_still_counts_as_reached() {
    let p = person_with(day(3), working_group(day(3), Some(day(9))));
    let progress = Ladder::default().progress(&p, day(365));
    assert_eq!(progress.highest, Some(WORKING_GROUP));
    assert_eq!(progress.reached_at(WORKING_GROUP), Some(day(3)));
    assert_eq!(progress.reached_at(CONTACTED), Some(day(3)));
    // A membership is not a role.
    assert_eq!(p.roles_held_at(day(5)).count(), 0);
}

#[test]
fn roles_held_lists_only_current_roles_while_ladder_keeps_all() {
    let mut p = person();
    push(&mut p, day(1), role(Role::Treasurer, day(1), Some(day(10))));
    push(&mut p, day(10), role(Role::Chair, day(10), None));
    push(&mut p, day(2), role(Role::GroupLead, day(2), Some(day(5))));
    assert_eq!(
        p.roles_held_at(day(3)).collect::<Vec<_>>(),
        [Role::Treasurer, Role::GroupLead]
    );
    assert_eq!(p.roles_held_at(day(10)).collect::<Vec<_>>(), [Role::Chair]);
    let progress = Ladder::default().progress(&p, day(50));
    assert_eq!(progress.reached_at(LEADER), Some(day(1)));
    assert_eq!(progress.reached_at(PARTNERSHIP), Some(day(1)));
}

// ---------------------------------------------------------------------------
// Nothing recorded
// ---------------------------------------------------------------------------

#[test]
fn person_with_no_records_reaches_nothing_and_has_no_highest() {
    let p = person();
    assert_eq!(all_evidence(&p, forever()), vec![None; 8]);
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached, vec![None; 8]);
    assert_eq!(progress.highest, None);
    assert_eq!(progress.reached_at(CONTACTED), None);
}

#[test]
fn reached_at_out_of_range_is_none() {
    let p = person_with(day(1), role(Role::Chair, day(1), None));
    let progress = Ladder::default().progress(&p, forever());
    assert_eq!(progress.reached_at(LEADER), Some(day(1)));
    assert_eq!(progress.reached_at(8), None);
    assert_eq!(progress.reached_at(usize::MAX), None);
}

// ---------------------------------------------------------------------------
// Custom ladders
// ---------------------------------------------------------------------------

fn three_stage_ladder() -> Ladder {
    Ladder::new(vec![
        stage("met", "Met us", StageRule::Contacted),
        stage("came-along", "Came along", StageRule::Participant),
        stage("leads", "Leads something", StageRule::Leader),
    ])
    .expect("valid ladder")
}

#[test]
fn custom_ladder_keeps_its_stages_in_the_given_order() {
    let ladder = three_stage_ladder();
    let keys: Vec<&str> = ladder.stages().iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["met", "came-along", "leads"]);
    assert_eq!(ladder.stages()[1].label, "Came along");
    assert_eq!(ladder.stages()[2].rule, StageRule::Leader);
    assert_ne!(ladder, Ladder::default());
}

#[test]
fn custom_ladder_progress_has_one_entry_per_stage() {
    let ladder = three_stage_ladder();
    let progress = ladder.progress(&person(), forever());
    assert_eq!(progress.reached, vec![None; 3]);
    assert_eq!(progress.highest, None);

    let p = person_with(day(2), attendance());
    let progress = ladder.progress(&p, forever());
    assert_eq!(progress.reached, vec![Some(day(2)), Some(day(2)), None]);
    assert_eq!(progress.highest, Some(1));
}

#[test]
fn custom_ladder_only_propagates_through_its_own_stages() {
    // Volunteering is not on this ladder, so it does not imply "came along".
    let mut p = person();
    push(&mut p, day(1), door(DoorOutcome::Spoke));
    push(&mut p, day(5), volunteering());
    push(&mut p, day(20), role(Role::GroupLead, day(20), None));
    let ladder = three_stage_ladder();

    let at_10 = ladder.progress(&p, day(10));
    assert_eq!(at_10.reached, vec![Some(day(1)), None, None]);
    assert_eq!(at_10.highest, Some(0));

    let at_30 = ladder.progress(&p, day(30));
    assert_eq!(
        at_30.reached,
        vec![Some(day(1)), Some(day(20)), Some(day(20))]
    );
    assert_eq!(at_30.highest, Some(2));
}

#[test]
fn single_stage_ladder_works() {
    let ladder = Ladder::new(vec![stage("leader", "Leader", StageRule::Leader)]).unwrap();
    let p = person_with(day(2), role(Role::ViceChair, day(3), None));
    let progress = ladder.progress(&p, forever());
    assert_eq!(progress.reached, vec![Some(day(3))]);
    assert_eq!(progress.highest, Some(0));
    let progress = ladder.progress(&person_with(day(2), attendance()), forever());
    assert_eq!(progress.reached, vec![None]);
    assert_eq!(progress.highest, None);
}

#[test]
fn custom_ladder_order_is_taken_as_given_even_against_rule_order() {
    // Ladder::new does not check that stages follow the rules' declaration
    // order: a stage configured lower is implied by any stage above it.
    let ladder = Ladder::new(vec![
        stage("participant", "Participant", StageRule::Participant),
        stage("contacted", "Contacted", StageRule::Contacted),
    ])
    .unwrap();
    let p = person_with(day(4), door(DoorOutcome::NotIn));
    let progress = ladder.progress(&p, forever());
    assert_eq!(progress.reached, vec![Some(day(4)), Some(day(4))]);
    assert_eq!(progress.highest, Some(1));
}

// ---------------------------------------------------------------------------
// Ladder::new validation
// ---------------------------------------------------------------------------

#[test]
fn new_rejects_an_empty_ladder() {
    assert_eq!(
        Ladder::new(Vec::new()),
        Err(ValidationError::Empty { field: "ladder" })
    );
}

#[test]
fn new_rejects_more_than_max_stages_before_checking_stages() {
    let stages: Vec<Stage> = (0..=Ladder::MAX_STAGES)
        .map(|i| stage(&format!("s{i}"), "Stage", StageRule::ALL[i % 8]))
        .collect();
    assert_eq!(stages.len(), 17);
    assert_eq!(
        Ladder::new(stages),
        Err(ValidationError::TooMany {
            field: "ladder",
            max: 16
        })
    );
}

#[test]
fn new_rejects_a_repeated_key() {
    let result = Ladder::new(vec![
        stage("first", "First", StageRule::Contacted),
        stage("second", "Second", StageRule::Conversation),
        stage("first", "Again", StageRule::Participant),
    ]);
    assert_eq!(
        result,
        Err(ValidationError::Duplicate {
            field: "ladder stage"
        })
    );
}

#[test]
fn new_rejects_a_repeated_rule_under_another_key() {
    let result = Ladder::new(vec![
        stage("first", "First", StageRule::Contacted),
        stage("second", "Second", StageRule::Contacted),
    ]);
    assert_eq!(
        result,
        Err(ValidationError::Duplicate {
            field: "ladder stage"
        })
    );
}

#[test]
fn sixteen_stages_cannot_be_built_because_only_eight_rules_exist() {
    let stages: Vec<Stage> = (0..Ladder::MAX_STAGES)
        .map(|i| stage(&format!("s{i}"), "Stage", StageRule::ALL[i % 8]))
        .collect();
    assert_eq!(
        Ladder::new(stages),
        Err(ValidationError::Duplicate {
            field: "ladder stage"
        })
    );
}

#[test]
fn new_rejects_keys_that_are_not_slugs() {
    let too_long = "a".repeat(65);
    for bad in [
        "",
        "Contacted",
        "has space",
        "under_score",
        "café",
        &too_long,
    ] {
        let result = Ladder::new(vec![
            stage("ok", "Fine", StageRule::Contacted),
            stage(bad, "Label", StageRule::Conversation),
        ]);
        assert_eq!(
            result,
            Err(ValidationError::NotASlug {
                field: "ladder stage key"
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn new_accepts_slug_keys_up_to_64_characters() {
    let longest = "a".repeat(64);
    for good in ["a", "stage-2", "0", &longest] {
        assert!(
            Ladder::new(vec![stage(good, "Label", StageRule::Contacted)]).is_ok(),
            "{good:?}"
        );
    }
}

#[test]
fn new_rejects_empty_or_blank_labels() {
    for bad in ["", "   ", "\t\n"] {
        assert_eq!(
            Ladder::new(vec![stage("key", bad, StageRule::Contacted)]),
            Err(ValidationError::Empty {
                field: "ladder stage label"
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn new_rejects_labels_over_80_characters_counting_chars_not_bytes() {
    let too_long = "x".repeat(81);
    assert_eq!(
        Ladder::new(vec![stage("key", &too_long, StageRule::Contacted)]),
        Err(ValidationError::TooLong {
            field: "ladder stage label",
            max: 80
        })
    );
    // 80 two-byte characters are 160 bytes but only 80 characters.
    let longest = "é".repeat(80);
    let ladder = Ladder::new(vec![stage("key", &longest, StageRule::Contacted)]).unwrap();
    assert_eq!(ladder.stages()[0].label, longest);
}

#[test]
fn new_reports_the_first_problem_in_stage_order() {
    // A bad key on stage 1 comes before the repeated key on stage 2.
    let result = Ladder::new(vec![
        stage("dup", "One", StageRule::Contacted),
        stage("Bad", "Two", StageRule::Conversation),
        stage("dup", "Three", StageRule::Interested),
    ]);
    assert_eq!(
        result,
        Err(ValidationError::NotASlug {
            field: "ladder stage key"
        })
    );
    // The repeated key on stage 1 comes before the blank label on stage 2.
    let result = Ladder::new(vec![
        stage("dup", "One", StageRule::Contacted),
        stage("dup", "Two", StageRule::Conversation),
        stage("other", " ", StageRule::Interested),
    ]);
    assert_eq!(
        result,
        Err(ValidationError::Duplicate {
            field: "ladder stage"
        })
    );
}
