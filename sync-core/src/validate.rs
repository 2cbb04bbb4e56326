//! Domain rules that data must keep.
//!
//! [`violations`] lists every rule a record breaks. Writers on a phone refuse
//! an edit that adds a violation; the server refuses a push whose own version
//! of a document adds one. Violations that only appear by merging two valid
//! concurrent edits (one device ends a role while another moves its start) are
//! not refused, since refusing would lose a phone's work: readers tolerate them.

use std::collections::BTreeMap;

use crate::error::ValidationError;
use crate::model::{
    Address, AgeBand, AreaConfig, ConsentGiver, ConsentPurpose, Event, InteractionKind,
    LawfulBasis, Person, Record, WorkingGroup,
};

/// Longest free text (follow-up notes).
pub const MAX_NOTE: usize = 1000;
/// Longest short text (names, titles, places).
pub const MAX_TEXT: usize = 200;
/// Longest tag (topics, interests, groups).
pub const MAX_TAG: usize = 64;
/// Most members of a set of tags.
pub const MAX_TAGS: usize = 50;
/// Most interactions on one person.
pub const MAX_INTERACTIONS: usize = 5000;
/// Most consent records on one person.
pub const MAX_CONSENTS: usize = 500;

pub(crate) fn check_slug(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::NotASlug { field })
    }
}

pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::Empty { field })
    } else if value.chars().count() > max {
        Err(ValidationError::TooLong { field, max })
    } else {
        Ok(())
    }
}

fn check_tags<'a>(
    field: &'static str,
    tags: impl ExactSizeIterator<Item = &'a String>,
    out: &mut Vec<ValidationError>,
) {
    if tags.len() > MAX_TAGS {
        out.push(ValidationError::TooMany {
            field,
            max: MAX_TAGS,
        });
    }
    for tag in tags {
        out.extend(check_text(field, tag, MAX_TAG).err());
    }
}

fn check_email(email: &str) -> Result<(), ValidationError> {
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(())
    } else {
        Err(ValidationError::InvalidEmail)
    }
}

fn check_phone(phone: &str) -> Result<(), ValidationError> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
    if allowed && (6..=20).contains(&digits) {
        Ok(())
    } else {
        Err(ValidationError::InvalidPhone)
    }
}

/// Every rule the record breaks (empty when it is valid).
pub fn violations(record: &Record) -> Vec<ValidationError> {
    let mut out = Vec::new();
    match record {
        Record::Person(p) => person_violations(p, &mut out),
        Record::Event(e) => event_violations(e, &mut out),
        Record::Area(a) => area_violations(a, &mut out),
        Record::Address(a) => address_violations(a, &mut out),
        Record::Group(g) => group_violations(g, &mut out),
    }
    out
}

/// The first violation `after` has more of than `before` (`before` is `None`
/// for a new record).
pub fn added_violation(before: Option<&Record>, after: &Record) -> Option<ValidationError> {
    let mut counts: BTreeMap<ValidationError, i64> = BTreeMap::new();
    for v in before.map(violations).unwrap_or_default() {
        *counts.entry(v).or_default() -= 1;
    }
    for v in violations(after) {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().find(|(_, n)| *n > 0).map(|(v, _)| v)
}

fn person_violations(p: &Person, out: &mut Vec<ValidationError>) {
    out.extend(check_slug("area", &p.area).err());
    out.extend(check_slug("patch", &p.patch).err());
    if let Some(name) = &p.name {
        out.extend(check_text("name", name, MAX_TEXT).err());
    }
    if let Some(email) = &p.email {
        out.extend(check_email(email).err());
    }
    if let Some(phone) = &p.phone {
        out.extend(check_phone(phone).err());
    }
    if let Some(language) = &p.language {
        out.extend(check_text("language", language, MAX_TAG).err());
    }
    if let Some(ethnicity) = &p.ethnicity {
        out.extend(check_text("ethnicity", ethnicity, MAX_TAG).err());
        if !p.has_consent(ConsentPurpose::EqualityMonitoring) {
            out.push(ValidationError::EthnicityWithoutConsent);
        }
    }
    check_tags("interests", p.interests.iter(), out);
    if p.consents.len() > MAX_CONSENTS {
        out.push(ValidationError::TooMany {
            field: "consents",
            max: MAX_CONSENTS,
        });
    }
    for c in &p.consents {
        out.extend(check_text("consent wording version", &c.wording_version, 32).err());
        if c.purpose == ConsentPurpose::EqualityMonitoring && c.lawful_basis != LawfulBasis::Consent
        {
            out.push(ValidationError::SpecialCategoryNeedsConsent);
        }
    }
    if p.interactions.len() > MAX_INTERACTIONS {
        out.push(ValidationError::TooMany {
            field: "interactions",
            max: MAX_INTERACTIONS,
        });
    }
    let mut signed_up = false;
    for i in &p.interactions {
        match &i.kind {
            InteractionKind::Doorstep(d) => {
                check_tags("topics", d.topics.iter(), out);
                check_tags("wants to join", d.wants_to_join.iter(), out);
                if let Some(f) = &d.follow_up {
                    out.extend(check_text("follow-up", &f.what, MAX_NOTE).err());
                    if let Some(note) = f.done.as_ref().and_then(|d| d.note.as_ref()) {
                        out.extend(check_text("follow-up note", note, MAX_NOTE).err());
                    }
                }
            }
            InteractionKind::EventSignUp { .. } => signed_up = true,
            InteractionKind::Attendance { .. } => {}
            InteractionKind::Volunteering { activity, .. } => {
                out.extend(check_text("volunteering activity", activity, MAX_TEXT).err());
            }
            InteractionKind::WorkingGroup { group, start, end } => {
                out.extend(check_text("working group", group, MAX_TEXT).err());
                if end.is_some_and(|e| e < *start) {
                    out.push(ValidationError::EndsBeforeStart {
                        field: "working-group membership",
                    });
                }
            }
            InteractionKind::Role { start, end, .. } => {
                if end.is_some_and(|e| e < *start) {
                    out.push(ValidationError::EndsBeforeStart { field: "role" });
                }
            }
            InteractionKind::Referral { source } => {
                out.extend(check_text("referral source", source, MAX_TEXT).err());
            }
        }
    }
    if signed_up && p.age_band == Some(AgeBand::Under13) {
        let guardian_consent = p
            .current_consent(ConsentPurpose::Events)
            .is_some_and(|c| c.given_by == ConsentGiver::Guardian);
        if !guardian_consent {
            out.push(ValidationError::GuardianConsentRequired);
        }
    }
}

/// Whether `postcode` has the shape of a UK postcode (outward code, then
/// a digit and two letters), with or without the space.
pub fn is_uk_postcode(postcode: &str) -> bool {
    let compact: Vec<char> = postcode
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(5..=7).contains(&compact.len()) || postcode.len() > 10 {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let outward_ok = outward[0].is_ascii_alphabetic()
        && outward.iter().all(char::is_ascii_alphanumeric)
        && outward.iter().any(char::is_ascii_digit);
    inward_ok && outward_ok
}

fn address_violations(a: &Address, out: &mut Vec<ValidationError>) {
    out.extend(check_slug("area", &a.area).err());
    out.extend(check_slug("patch", &a.patch).err());
    out.extend(check_text("house", &a.house, MAX_TAG).err());
    out.extend(check_text("street", &a.street, MAX_TEXT).err());
    if let Some(locality) = &a.locality {
        out.extend(check_text("locality", locality, MAX_TEXT).err());
    }
    if a.postcode.as_deref().is_some_and(|p| !is_uk_postcode(p)) {
        out.push(ValidationError::InvalidPostcode);
    }
    if a.location.is_some_and(|l| !l.is_valid()) {
        out.push(ValidationError::InvalidLocation);
    }
    if a.visits.len() > MAX_INTERACTIONS {
        out.push(ValidationError::TooMany {
            field: "visits",
            max: MAX_INTERACTIONS,
        });
    }
}

fn event_violations(e: &Event, out: &mut Vec<ValidationError>) {
    out.extend(check_slug("area", &e.area).err());
    out.extend(check_slug("patch", &e.patch).err());
    out.extend(check_text("title", &e.title, MAX_TEXT).err());
    if let Some(place) = &e.place {
        out.extend(check_text("place", place, MAX_TEXT).err());
    }
    if e.ends_at.is_some_and(|end| end < e.starts_at) {
        out.push(ValidationError::EndsBeforeStart { field: "event" });
    }
    if e.headcount.is_some_and(|n| n > Event::MAX_HEADCOUNT) {
        out.push(ValidationError::HeadcountOutOfRange {
            max: Event::MAX_HEADCOUNT,
        });
    }
}

fn group_violations(g: &WorkingGroup, out: &mut Vec<ValidationError>) {
    out.extend(check_slug("area", &g.area).err());
    if let Some(patch) = &g.patch {
        out.extend(check_slug("patch", patch).err());
    }
    out.extend(check_text("group name", &g.name, MAX_TEXT).err());
    if let Some(purpose) = &g.purpose {
        out.extend(check_text("group purpose", purpose, MAX_NOTE).err());
    }
    check_tags("group topics", g.topics.iter(), out);
}

fn area_violations(a: &AreaConfig, out: &mut Vec<ValidationError>) {
    out.extend(check_slug("area", &a.area).err());
    out.extend(check_text("area name", &a.name, MAX_TEXT).err());
    let mut seen = std::collections::BTreeSet::new();
    for patch in &a.patches {
        out.extend(check_slug("patch", &patch.id).err());
        out.extend(check_text("patch name", &patch.name, MAX_TEXT).err());
        if !seen.insert(&patch.id) {
            out.push(ValidationError::Duplicate { field: "patch" });
        }
        if let Some(census) = &patch.census {
            census_violations(census, out);
        }
    }
    check_tags("topics", a.topics.iter(), out);
    let mut keys = std::collections::BTreeSet::new();
    for d in &a.resident_definitions {
        out.extend(check_slug("resident definition", &d.key).err());
        out.extend(check_text("resident definition label", &d.label, MAX_TEXT).err());
        if d.counts.is_empty() {
            out.push(ValidationError::Empty {
                field: "resident definition",
            });
        }
        if !keys.insert(&d.key) {
            out.push(ValidationError::Duplicate {
                field: "resident definition",
            });
        }
    }
    if a.lawful_basis(ConsentPurpose::EqualityMonitoring) != LawfulBasis::Consent {
        out.push(ValidationError::SpecialCategoryNeedsConsent);
    }
    if !(1..=100).contains(&a.resident_led_threshold_percent) {
        out.push(ValidationError::ThresholdOutOfRange);
    }
    if !AreaConfig::SUPPRESS_BELOW_RANGE.contains(&a.suppress_below) {
        out.push(ValidationError::SuppressionOutOfRange);
    }
    if !AreaConfig::FOLLOW_UP_OVERDUE_DAYS_RANGE.contains(&a.follow_up_overdue_days) {
        out.push(ValidationError::FollowUpDaysOutOfRange);
    }
    if !time_zone_shaped(&a.time_zone) {
        out.push(ValidationError::TimeZoneMalformed);
    }
}

/// A patch's census figures: every adult age band or none, both under-18
/// bands or neither, no figure above the most, and not all zero.
fn census_violations(c: &crate::Census, out: &mut Vec<ValidationError>) {
    let ages = &c.residents_by_age;
    let children = AgeBand::ALL
        .iter()
        .filter(|b| b.is_under_18() && ages.contains_key(b))
        .count();
    let adults = crate::Census::adult_bands()
        .filter(|b| ages.contains_key(b))
        .count();
    if !ages.is_empty()
        && (adults < crate::Census::adult_bands().count() || !matches!(children, 0 | 2))
    {
        out.push(ValidationError::CensusAgesIncomplete);
    }
    let figures = || ages.values().chain(c.households_by_tenure.values());
    if figures().any(|n| *n > crate::Census::MAX_COUNT) {
        out.push(ValidationError::CensusTooLarge);
    }
    if ages.values().all(|n| *n == 0) && !ages.is_empty()
        || c.households_by_tenure.values().all(|n| *n == 0) && c.has_tenures()
    {
        out.push(ValidationError::CensusAllZero);
    }
}

/// Whether `name` has the shape of an IANA time zone name
/// (`Europe/London`, `Etc/GMT+1`, `UTC`). Whether the zone exists is the
/// server's to check: it holds the time zone database.
fn time_zone_shaped(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        && !name.starts_with('/')
        && !name.ends_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones() {
        assert!(check_email("sam@example.org").is_ok());
        for bad in [
            "",
            "sam",
            "sam@",
            "@example.org",
            "sam@example",
            "s m@x.org",
            "a@b@c.org",
        ] {
            assert_eq!(
                check_email(bad),
                Err(ValidationError::InvalidEmail),
                "{bad}"
            );
        }
        assert!(check_phone("+44 (0)1632 960 983").is_ok());
        assert!(check_phone("01632960983").is_ok());
        for bad in [
            "",
            "12345",
            "call me",
            "0163+2960983",
            "1".repeat(21).as_str(),
        ] {
            assert_eq!(
                check_phone(bad),
                Err(ValidationError::InvalidPhone),
                "{bad}"
            );
        }
    }

    #[test]
    fn slugs_and_texts() {
        assert!(check_slug("patch", "north-estate-2").is_ok());
        for bad in ["", "North", "a b", "é", &"a".repeat(65)] {
            assert!(check_slug("patch", bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_text("name", "  ", 10),
            Err(ValidationError::Empty { field: "name" })
        );
        assert_eq!(
            check_text("name", "abcdefghijk", 10),
            Err(ValidationError::TooLong {
                field: "name",
                max: 10
            })
        );
    }
}
