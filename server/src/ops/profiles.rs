//! What a person told us about themselves, as an admin finds, reads and
//! corrects it: every dimension the reports break counts down by
//! (residency, age band, tenure, language) can be recorded here as well as
//! on a phone. Searching and opening a record show personal data, and
//! changing one changes it: each is audited in its own transaction.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sync_core::authoring;
use sync_core::{AgeBand, Detail, DocId, Person, PersonDetails, ResidentBasis, Tenure, Timestamp};

use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::documents::{self, PeoplePages};
use crate::store::{Db, commit_if_ok};

/// Most people a search lists.
pub const MAX_FOUND: usize = 50;

/// A person's details, as an admin sees and edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Profile {
    /// Their id.
    pub id: String,
    /// Their name, if given.
    pub name: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// Their email address.
    pub email: Option<String>,
    /// Their patch's slug.
    pub patch: String,
    /// How they first came to us.
    pub entry_channel: String,
    /// Their age band (`18-24` ...).
    pub age_band: Option<String>,
    /// Why they count as a resident: lives, works, studies, worships, other.
    pub residency: Vec<String>,
    /// Their housing tenure: owner, social-rent, private-rent, with-family, other.
    pub tenure: Option<String>,
    /// Their preferred language (an ISO 639-1 code).
    pub language: Option<String>,
    /// They asked not to be contacted.
    pub do_not_contact: bool,
    /// When the record was made (ms since the epoch).
    pub created_at: i64,
    /// The seats and offices they hold or held, oldest first.
    pub roles: Vec<super::board::Holding>,
    /// The working groups they are or were in, oldest first.
    pub groups: Vec<super::groups::Membership>,
}

impl From<&Person> for Profile {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            patch: p.patch.clone(),
            entry_channel: p.entry_channel.as_str().to_owned(),
            age_band: p.age_band.map(|b| b.as_str().to_owned()),
            residency: p.residency.iter().map(|b| b.as_str().to_owned()).collect(),
            tenure: p.tenure.map(|t| t.as_str().to_owned()),
            language: p.language.clone(),
            do_not_contact: p.do_not_contact,
            created_at: p.created_at.as_millis(),
            roles: super::board::holdings(p),
            groups: super::groups::memberships(p),
        }
    }
}

/// A change to a person's details: a field left out stays as it is; one
/// named in `clear` is cleared.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Their email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Their age band: under-13, 13-17, 18-24, 25-34, 35-44, 45-54, 55-64,
    /// 65-74 or 75+.
    #[serde(default)]
    pub age_band: Option<String>,
    /// Why they count as a resident (replaces what was recorded; an empty
    /// list: no reason applies): lives, works, studies, worships, other.
    #[serde(default)]
    pub residency: Option<Vec<String>>,
    /// Their housing tenure: owner, social-rent, private-rent, with-family
    /// or other.
    #[serde(default)]
    pub tenure: Option<String>,
    /// Their preferred language (an ISO 639-1 code such as `en` or `so`).
    #[serde(default)]
    pub language: Option<String>,
    /// Details to clear: name, phone, email, age-band, residency, tenure,
    /// language.
    #[serde(default)]
    pub clear: Vec<String>,
}

impl ProfileChange {
    /// The change as the domain takes it; a value that is not one of a
    /// field's choices is refused, naming the choices.
    pub fn into_details(self) -> Result<PersonDetails> {
        Ok(PersonDetails {
            name: self.name,
            phone: self.phone,
            email: self.email,
            age_band: choice("age band", self.age_band, AgeBand::parse, AgeBand::ALL)?,
            residency: self
                .residency
                .map(|bases| {
                    bases
                        .iter()
                        .map(|b| one_of("residency", b, ResidentBasis::parse, ResidentBasis::ALL))
                        .collect::<Result<BTreeSet<_>>>()
                })
                .transpose()?,
            tenure: choice("tenure", self.tenure, Tenure::parse, Tenure::ALL)?,
            language: self.language.map(|l| l.trim().to_lowercase()),
            clear: self
                .clear
                .iter()
                .map(|d| one_of("clear", d, Detail::parse, Detail::ALL))
                .collect::<Result<_>>()?,
        })
    }
}

/// Parses an optional choice ([`one_of`]).
fn choice<T: Copy + std::fmt::Display>(
    field: &str,
    text: Option<String>,
    parse: fn(&str) -> Option<T>,
    all: &[T],
) -> Result<Option<T>> {
    text.map(|text| one_of(field, &text, parse, all))
        .transpose()
}

/// Parses one of a field's choices, or refuses it naming the choices.
fn one_of<T: Copy + std::fmt::Display>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
) -> Result<T> {
    parse(text.trim()).ok_or_else(|| {
        let choices: Vec<String> = all.iter().map(ToString::to_string).collect();
        Error::BadRequest(format!(
            "{field} {text:?} is not one of {}",
            choices.join(", ")
        ))
    })
}

/// People whose name, email or phone contains `search` (any case), by
/// name, at most [`MAX_FOUND`]; for `actor`, who is logged (the list holds
/// names). The second value says whether more matched.
pub async fn find(
    db: &Db,
    actor: Actor,
    search: &str,
    now: Timestamp,
) -> Result<(Vec<Profile>, bool)> {
    let needle = search.trim().to_lowercase();
    if needle.chars().count() < 2 {
        return Err(Error::BadRequest(
            "type at least two letters of a name, an email or a phone number".into(),
        ));
    }
    let mut found = Vec::new();
    {
        let mut conn = db.pool.acquire().await?;
        let mut pages = PeoplePages::default();
        while let Some(page) = pages.next(&mut conn).await? {
            found.extend(
                page.iter()
                    .filter(|p| {
                        [&p.name, &p.email, &p.phone].into_iter().any(|field| {
                            field
                                .as_deref()
                                .is_some_and(|f| f.to_lowercase().contains(&needle))
                        })
                    })
                    .map(Profile::from),
            );
        }
    }
    found.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let more = found.len() > MAX_FOUND;
    found.truncate(MAX_FOUND);
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let detail = found.len().to_string();
    let logged = audit::record(&mut tx, now, actor, Action::SearchedPeople, None, &detail).await;
    commit_if_ok(tx, logged).await?;
    Ok((found, more))
}

/// One person's details, for `actor`, who is logged. `NotFound` if there
/// is no such person.
pub async fn view(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<Profile> {
    let person = {
        let mut conn = db.pool.acquire().await?;
        let bytes = documents::bytes(&mut conn, id)
            .await?
            .ok_or(Error::NotFound("person"))?;
        match sync_core::read_record(&bytes)? {
            sync_core::Record::Person(p) => p,
            _ => return Err(Error::NotFound("person")),
        }
    };
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let logged = audit::record(&mut tx, now, actor, Action::ViewedPerson, Some(id), "").await;
    commit_if_ok(tx, logged).await?;
    Ok(Profile::from(&person))
}

/// Changes a person's details on behalf of `actor` (an admin correcting or
/// completing a record), logged with the names of the details changed,
/// never their values. `NotFound` if there is no such person; a detail
/// that breaks the domain's rules is refused and nothing is stored.
pub async fn edit(
    db: &Db,
    actor: Actor,
    id: DocId,
    details: &PersonDetails,
    now: Timestamp,
) -> Result<()> {
    let detail = changed_details(details);
    let logged = super::Logged {
        action: Action::ChangedPerson,
        detail: &detail,
    };
    super::edit_as_server(db, actor, id, "person", logged, now, |stored, _| {
        Ok(authoring::person_details_push(stored, details, now)?)
    })
    .await
}

/// The names of the details an edit sets and clears, for the audit log.
fn changed_details(details: &PersonDetails) -> String {
    let given = [
        (Detail::Name, details.name.is_some()),
        (Detail::Phone, details.phone.is_some()),
        (Detail::Email, details.email.is_some()),
        (Detail::AgeBand, details.age_band.is_some()),
        (Detail::Residency, details.residency.is_some()),
        (Detail::Tenure, details.tenure.is_some()),
        (Detail::Language, details.language.is_some()),
    ];
    let set: Vec<&str> = given
        .iter()
        .filter(|(_, given)| *given)
        .map(|(detail, _)| detail.as_str())
        .collect();
    let cleared: Vec<&str> = details.clear.iter().map(|d| d.as_str()).collect();
    match (set.is_empty(), cleared.is_empty()) {
        (false, true) => format!("set {}", set.join(", ")),
        (true, false) => format!("cleared {}", cleared.join(", ")),
        _ => format!("set {}; cleared {}", set.join(", "), cleared.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_the_choices_it_refuses() {
        let change = ProfileChange {
            tenure: Some("council".into()),
            ..ProfileChange::default()
        };
        let refused = change.into_details().expect_err("refused");
        assert!(
            refused
                .to_string()
                .contains("tenure \"council\" is not one of owner, social-rent"),
            "{refused}"
        );
        let change = ProfileChange {
            residency: Some(vec!["lives".into(), "works".into()]),
            language: Some(" SO ".into()),
            clear: vec!["age-band".into()],
            ..ProfileChange::default()
        };
        let details = change.into_details().expect("parsed");
        assert_eq!(
            details.residency,
            Some(BTreeSet::from([ResidentBasis::Lives, ResidentBasis::Works]))
        );
        assert_eq!(details.language.as_deref(), Some("so"));
        assert_eq!(details.clear, BTreeSet::from([Detail::AgeBand]));
    }
}
