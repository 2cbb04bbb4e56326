//! Bringing in the people a partnership already knows, from a CSV of its
//! own records: each line becomes a person's record, with the lawful basis
//! and consents the line states (a line without a lawful basis is refused,
//! never guessed), in a patch of the area, at a door already on the list
//! when the line names one. Nothing from a line that cannot be read is
//! stored; every refused line is reported with its number and why. The
//! records reach champions' phones like any other, and people who look
//! recorded already are counted, for the likely-duplicates page.

use std::collections::BTreeSet;
use std::io::Read;

use serde::Serialize;
use sync_core::authoring::{self, ImportedPerson};
use sync_core::{
    ConsentGiver, ConsentMethod, ConsentPurpose, DocId, EntryChannel, Hat, LawfulBasis, NewAddress,
    NewConsent, NewPerson, Role, Timestamp,
};

use super::doors::{BadLine, csv_fields, csv_header, csv_lines, merge_lines, read_file};
use super::profiles::ProfileChange;
use crate::error::{Error, Result};
use crate::store::audit::{Action, Actor};
use crate::store::{Db, area, projection};

/// Lines merged in one transaction.
const BATCH: usize = 200;

/// The columns a file may have, in the order the docs give them; `patch`
/// and `lawful_basis` are needed.
pub const COLUMNS: [&str; 16] = [
    "patch",
    "lawful_basis",
    "consents",
    "consent_method",
    "name",
    "phone",
    "email",
    "age_band",
    "residency",
    "tenure",
    "language",
    "house",
    "street",
    "role",
    "role_start",
    "hats",
];

/// The wording version a consent brought in from a partnership's records
/// is recorded with.
const IMPORTED_WORDING: &str = "imported";

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeopleImportReport {
    /// People added.
    pub imported: usize,
    /// Of those, how many look like someone already held (same email or
    /// phone, or the same household and a similar name): offered for
    /// merging on the likely-duplicates page, never merged unasked.
    pub likely_duplicates: usize,
    /// Lines that were not imported, in file order.
    pub bad_lines: Vec<BadLine>,
}

/// Where each column is in the header.
struct Header([Option<usize>; COLUMNS.len()]);

impl Header {
    fn read(record: &csv::StringRecord) -> Result<Self> {
        let names: Vec<String> = record.iter().map(|c| c.trim().to_lowercase()).collect();
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty() && !COLUMNS.contains(n))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::BadRequest(format!(
                "the first line names columns this import does not take: {} (it takes {})",
                unknown.join(", "),
                COLUMNS.join(", ")
            )));
        }
        let index = COLUMNS.map(|c| names.iter().position(|n| n == c));
        let missing: Vec<&str> = COLUMNS[..2]
            .iter()
            .zip(&index)
            .filter(|(_, i)| i.is_none())
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(Error::BadRequest(format!(
                "the first line must name the columns; missing: {} (columns: {})",
                missing.join(", "),
                COLUMNS.join(", ")
            )));
        }
        Ok(Self(index))
    }

    /// The value of `column` on a line, trimmed; `None` when empty.
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let at = COLUMNS.iter().position(|c| *c == column)?;
        self.0[at]
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// A `;`-separated list.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A seat or office on the partnership from a line: its code, the day it
/// was taken up, and the other hats worn in it (`;`-separated).
fn imported_role(
    role: &str,
    start: &str,
    hats: Option<&str>,
) -> std::result::Result<(Role, Timestamp, BTreeSet<Hat>), String> {
    let codes = |all: &[&str]| all.join(", ");
    let role = Role::parse(role).ok_or_else(|| {
        format!(
            "role must be one of {}",
            codes(&Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>())
        )
    })?;
    let start = crate::calendar::parse_date(start, "role_start").map_err(|e| e.to_string())?;
    let mut worn = BTreeSet::new();
    for hat in list(hats) {
        worn.insert(Hat::parse(&hat).ok_or_else(|| {
            format!(
                "hats must be from {}",
                codes(&Hat::ALL.iter().map(|h| h.as_str()).collect::<Vec<_>>())
            )
        })?);
    }
    Ok((role, Timestamp::from_millis(start), worn))
}

/// A line read into a person (the household still to find), or why not.
fn parse_line(
    header: &Header,
    record: &csv::StringRecord,
    area: &sync_core::AreaConfig,
) -> std::result::Result<(ImportedPerson, Option<NewAddress>), String> {
    let patch = header.get(record, "patch").ok_or("patch is empty")?;
    if area.patch(patch).is_none() {
        return Err("patch is not one of the area's patches".into());
    }
    let basis = header.get(record, "lawful_basis").ok_or(
        "lawful_basis is empty: say what the partnership relies on (consent or \
         legitimate-interests); it is never guessed",
    )?;
    let basis =
        LawfulBasis::parse(basis).ok_or("lawful_basis must be consent or legitimate-interests")?;
    let mut purposes = Vec::new();
    for purpose in list(header.get(record, "consents")) {
        purposes.push(ConsentPurpose::parse(&purpose).ok_or_else(|| {
            format!(
                "consents names a purpose this area does not use; the purposes are {}",
                ConsentPurpose::ALL
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?);
    }
    if purposes.is_empty() {
        if basis == LawfulBasis::Consent {
            return Err(
                "consents is empty: with consent as the lawful basis, name what they consented to"
                    .into(),
            );
        }
        // Legitimate interests: the basis for contacting them again.
        purposes.push(ConsentPurpose::ContactAgain);
    }
    let method = match header.get(record, "consent_method") {
        None => ConsentMethod::Paper,
        Some(m) => ConsentMethod::parse(m)
            .ok_or("consent_method must be doorstep, event, online, phone or paper")?,
    };
    let consents = purposes
        .into_iter()
        .map(|purpose| NewConsent {
            purpose,
            granted: true,
            lawful_basis: basis,
            wording_version: IMPORTED_WORDING.to_owned(),
            method,
            given_by: ConsentGiver::Subject,
        })
        .collect();
    let text = |column| header.get(record, column).map(str::to_owned);
    let residency = header.get(record, "residency").map(|r| list(Some(r)));
    let details = ProfileChange {
        name: text("name"),
        phone: text("phone"),
        email: text("email"),
        age_band: text("age_band"),
        residency,
        tenure: text("tenure"),
        language: text("language"),
        clear: Vec::new(),
    }
    .into_details()
    .map_err(|e| e.to_string())?;
    let door = match (header.get(record, "house"), header.get(record, "street")) {
        (Some(house), Some(street)) => Some(NewAddress::new(&area.area, patch, house, street)),
        (None, None) => None,
        _ => return Err("house and street must be given together".into()),
    };
    let role = match (header.get(record, "role"), header.get(record, "role_start")) {
        (None, None) => None,
        (Some(role), Some(start)) => Some(imported_role(role, start, header.get(record, "hats"))?),
        (Some(_), None) => return Err("role_start is empty: say when they took the role up".into()),
        (None, Some(_)) => return Err("role_start is given without a role".into()),
    };
    if role.is_none() && header.get(record, "hats").is_some() {
        return Err("hats are worn in a role: give role and role_start too".into());
    }
    let person = ImportedPerson {
        new: NewPerson::new(&area.area, patch, EntryChannel::Other),
        details,
        household: None,
        consents,
        role,
    };
    Ok((person, door))
}

/// Imports the people in the CSV read from `input` (see [`COLUMNS`]) on
/// behalf of `actor`, a batch at a time, each batch's transaction logging
/// how many people it added. Fails as a whole only if the area is not
/// configured, the file cannot be read or its header is unusable.
pub async fn import(
    db: &Db,
    actor: Actor,
    input: impl Read,
    now: Timestamp,
) -> Result<PeopleImportReport> {
    let area = area::read(db)
        .await?
        .ok_or_else(|| Error::BadRequest("configure the area before importing people".into()))?;
    let by = area::server_device(db).await?;
    let bytes = read_file(input)?;
    let header = Header::read(&csv_header(&bytes)?)?;
    let mut report = PeopleImportReport::default();
    let mut imported = BTreeSet::new();
    let mut batch: Vec<(u64, sync_core::Push)> = Vec::new();
    for (line, text) in csv_lines(&bytes) {
        let text = match text {
            Ok(text) => text,
            Err(bad) => {
                report.bad_lines.push(bad);
                continue;
            }
        };
        let parsed = csv_fields(text).and_then(|record| parse_line(&header, &record, &area));
        let (mut person, door) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                report.bad_lines.push(BadLine { line, error });
                continue;
            }
        };
        if let Some(door) = door {
            let key = projection::door_key(&door);
            match projection::door_id(&mut *db.pool.acquire().await?, &key).await? {
                Some(id) => person.household = Some(id),
                None => {
                    report.bad_lines.push(BadLine {
                        line,
                        error: "house and street are not a door on the list in that patch: \
                                import the doors first, or leave them empty"
                            .into(),
                    });
                    continue;
                }
            }
        }
        match authoring::imported_person_push(DocId::new(now), &person, by, now) {
            Ok(Some(push)) => batch.push((line, push)),
            Ok(None) => {}
            Err(sync_core::Error::Validation(e)) => report.bad_lines.push(BadLine {
                line,
                error: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
        if batch.len() >= BATCH {
            let added = merge_lines(
                db,
                actor,
                by,
                Action::ImportedPeople,
                &mut batch,
                &mut report.bad_lines,
                now,
            )
            .await?;
            report.imported += added.len();
            imported.extend(added);
        }
    }
    let added = merge_lines(
        db,
        actor,
        by,
        Action::ImportedPeople,
        &mut batch,
        &mut report.bad_lines,
        now,
    )
    .await?;
    report.imported += added.len();
    imported.extend(added);
    report.bad_lines.sort_by_key(|b| b.line);
    if !imported.is_empty() {
        report.likely_duplicates = super::duplicates::find(db)
            .await?
            .iter()
            .flat_map(|pair| [&pair.first.id, &pair.second.id])
            .filter_map(|id| id.parse::<DocId>().ok())
            .filter(|id| imported.contains(id))
            .collect::<BTreeSet<_>>()
            .len();
    }
    Ok(report)
}
