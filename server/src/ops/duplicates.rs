//! Finding people recorded twice: two champions who met the same resident
//! offline each made a record. Admins see the likely pairs and merge them
//! ([`super::people::merge`]).
//!
//! Contact details and names are not in the projections (they hold no
//! personal data), so this reads the person documents, a page at a time,
//! keeping only the keys it compares.

use std::collections::BTreeMap;

use serde::Serialize;
use sync_core::{DocId, Person};

use crate::error::Result;
use crate::store::Db;
use crate::store::documents::PeoplePages;

/// Two names this alike (Jaro-Winkler, 0 to 1) at one door are taken to be
/// one person: "Sam Jones" and "Sam Jone", "Katherine" and "Kathryn".
const SIMILAR_NAME: f64 = 0.88;

/// Why two records look like one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The same email address.
    SameEmail,
    /// The same phone number.
    SamePhone,
    /// The same household and a similar name.
    SameHouseholdSimilarName,
}

impl Reason {
    /// The text shown in lists and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SameEmail => "same-email",
            Self::SamePhone => "same-phone",
            Self::SameHouseholdSimilarName => "same-household-similar-name",
        }
    }
}

/// One side of a likely duplicate, as an admin needs it to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    /// The record's id.
    pub id: String,
    /// Their name, if recorded.
    pub name: Option<String>,
    /// Their patch.
    pub patch: String,
    /// When the record was made (ms since the epoch).
    pub created_at: i64,
    /// How many interactions it holds.
    pub interactions: usize,
}

/// A likely duplicate: two records, the older first (the usual survivor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pair {
    /// The older record.
    pub first: Candidate,
    /// The newer record.
    pub second: Candidate,
    /// Why they look like one person.
    pub reasons: Vec<Reason>,
}

/// Lowercase letters and single spaces: "  SAM  o'Neil" is "sam oneil".
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Digits only, with a UK +44 prefix read as a leading 0.
fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("44") {
        Some(rest) if phone.trim_start().starts_with('+') || digits.len() == 12 => {
            format!("0{rest}")
        }
        _ => digits,
    }
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn similar_names(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    !a.is_empty() && !b.is_empty() && strsim::jaro_winkler(&a, &b) >= SIMILAR_NAME
}

/// What is kept of each person while looking.
struct Seen {
    candidate: Candidate,
    id: DocId,
}

fn candidate(p: &Person) -> Seen {
    Seen {
        id: p.id,
        candidate: Candidate {
            id: p.id.to_string(),
            name: p.name.clone(),
            patch: p.patch.clone(),
            created_at: p.created_at.as_millis(),
            interactions: p.interactions.len(),
        },
    }
}

/// Every likely duplicate among the people held, oldest pairs first. The
/// list holds names: entry points ask [`super::people::duplicates`], which
/// logs who saw it.
pub(super) async fn find(db: &Db) -> Result<Vec<Pair>> {
    let mut people: Vec<Seen> = Vec::new();
    let mut by_email: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_phone: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_household: BTreeMap<DocId, Vec<(usize, String)>> = BTreeMap::new();
    let mut conn = db.pool.acquire().await?;
    let mut pages = PeoplePages::default();
    while let Some(page) = pages.next(&mut conn).await? {
        for p in page {
            let index = people.len();
            if let Some(email) = p.email.as_deref().map(email_key) {
                by_email.entry(email).or_default().push(index);
            }
            if let Some(phone) = p.phone.as_deref().map(phone_key) {
                by_phone.entry(phone).or_default().push(index);
            }
            if let (Some(household), Some(name)) = (p.household, &p.name) {
                by_household
                    .entry(household)
                    .or_default()
                    .push((index, name.clone()));
            }
            people.push(candidate(&p));
        }
    }
    let mut reasons: BTreeMap<(usize, usize), Vec<Reason>> = BTreeMap::new();
    let mut add = |a: usize, b: usize, reason: Reason| {
        let key = (a.min(b), a.max(b));
        let list = reasons.entry(key).or_default();
        if !list.contains(&reason) {
            list.push(reason);
        }
    };
    for (group, reason) in [
        (&by_email, Reason::SameEmail),
        (&by_phone, Reason::SamePhone),
    ] {
        for members in group.values() {
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    add(a, b, reason);
                }
            }
        }
    }
    for members in by_household.values() {
        for (i, (a, name_a)) in members.iter().enumerate() {
            for (b, name_b) in &members[i + 1..] {
                if similar_names(name_a, name_b) {
                    add(*a, *b, Reason::SameHouseholdSimilarName);
                }
            }
        }
    }
    let mut pairs: Vec<Pair> = reasons
        .into_iter()
        .map(|((a, b), mut reasons)| {
            reasons.sort();
            let (a, b) = (&people[a], &people[b]);
            let (first, second) =
                if (a.candidate.created_at, a.id) <= (b.candidate.created_at, b.id) {
                    (a, b)
                } else {
                    (b, a)
                };
            Pair {
                first: first.candidate.clone(),
                second: second.candidate.clone(),
                reasons,
            }
        })
        .collect();
    pairs.sort_by(|x, y| {
        (x.first.created_at, &x.first.id, &x.second.id).cmp(&(
            y.first.created_at,
            &y.first.id,
            &y.second.id,
        ))
    });
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_compare_in_one_form() {
        assert_eq!(phone_key("+44 7700 900123"), "07700900123");
        assert_eq!(phone_key("07700 900-123"), "07700900123");
        assert_eq!(phone_key("(0161) 496 0000"), "01614960000");
        assert_eq!(email_key(" Sam@Example.ORG "), "sam@example.org");
    }

    #[test]
    fn names_alike_at_one_door_match_and_different_people_do_not() {
        assert!(similar_names("Sam Jones", "sam  jones"));
        assert!(similar_names("Sam Jones", "Sam Jone"));
        assert!(similar_names("Katherine O'Neil", "Katherine ONeil"));
        assert!(!similar_names("Sam Jones", "Priya Jones"));
        assert!(!similar_names("Sam Jones", "Ali Khan"));
        assert!(!similar_names("", "Ali Khan"));
    }
}
