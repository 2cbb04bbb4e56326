//! Retention: people are not kept identifiable for longer than the
//! partnership's policy allows. A scheduled task in `outreach serve` (and
//! `outreach admin retention`) anonymises each person who is past a period:
//! the record is replaced by one that keeps only what reports need, under a
//! new id, and the old one is erased (see [`crate::sync::reduce_person`]).

use sync_core::authoring::{Reduction, holds_identifying_data};
use sync_core::{ConsentPurpose, DocId, Person, Record, Timestamp, read_record};

use crate::admin::server_device;
use crate::audit::{self, Action};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::sync::reduce_person;

/// How long people are kept identifiable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Without a current consent to be contacted again, after this many
    /// days from the first record.
    pub without_contact_consent_days: i64,
    /// Without any activity, after this many days from the last.
    pub inactive_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            without_contact_consent_days: 30,
            inactive_days: 3 * 365,
        }
    }
}

impl Policy {
    /// Checks the periods make sense.
    pub fn validate(self) -> Result<Self> {
        if self.without_contact_consent_days < 1 || self.inactive_days < 1 {
            return Err(Error::Config(
                "retention periods must be at least one day".into(),
            ));
        }
        Ok(self)
    }

    /// Whether `person` must be anonymised at `now`.
    pub fn is_due(&self, person: &Person, now: Timestamp) -> bool {
        if !holds_identifying_data(person) {
            return false;
        }
        let without_consent = !person.has_consent(ConsentPurpose::ContactAgain)
            && person.created_at <= now.plus_days(-self.without_contact_consent_days);
        let last_activity = person
            .interactions
            .iter()
            .map(|i| i.at)
            .chain(person.consents.iter().map(|c| c.at))
            .chain([person.created_at])
            .max()
            .unwrap_or(person.created_at);
        let inactive = last_activity <= now.plus_days(-self.inactive_days);
        without_consent || inactive
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// People anonymised: (old id, new id).
    pub anonymised: Vec<(DocId, DocId)>,
}

/// People read and checked at a time. A run used to read every person's
/// document at once: about 22 MB more resident memory at 44,000 people,
/// growing with the area, at every server start.
const PAGE_PEOPLE: usize = 500;

/// Anonymises everyone who is due at `now`.
pub async fn run(db: &Db, policy: Policy, now: Timestamp) -> Result<Report> {
    let due = due_people(db, policy, now).await?;
    let by = server_device(db).await?;
    let mut report = Report::default();
    for id in due {
        match reduce_person(db, id, Reduction::Anonymise, by, now).await {
            Ok(new_id) => {
                audit::record(
                    db,
                    now,
                    audit::RETENTION,
                    Action::Anonymised,
                    Some(id),
                    &new_id.to_string(),
                )
                .await?;
                report.anonymised.push((id, new_id));
            }
            // Erased or changed meanwhile: the next run looks again.
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if !report.anonymised.is_empty() {
        db.scrub().await?;
    }
    Ok(report)
}

/// The people due at `now`, a page at a time in id order, so memory stays
/// bounded whatever the number of people. Each page is decoded on a
/// blocking thread, away from the tasks answering requests.
async fn due_people(db: &Db, policy: Policy, now: Timestamp) -> Result<Vec<DocId>> {
    let mut due = Vec::new();
    let mut after = String::new();
    loop {
        let page: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, bytes FROM documents WHERE kind = 'person' AND id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(&after)
        .bind(PAGE_PEOPLE as i64)
        .fetch_all(&db.pool)
        .await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.clone();
        let last_page = page.len() < PAGE_PEOPLE;
        let checked = tokio::task::spawn_blocking(move || due_in(page, policy, now)).await;
        match checked {
            Ok(page_due) => due.extend(page_due?),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
        if last_page {
            break;
        }
    }
    Ok(due)
}

/// The people of `page` (ids and document bytes) due at `now`.
fn due_in(page: Vec<(String, Vec<u8>)>, policy: Policy, now: Timestamp) -> Result<Vec<DocId>> {
    let mut due = Vec::new();
    for (id, bytes) in page {
        if let Record::Person(person) = read_record(&bytes)?
            && policy.is_due(&person, now)
        {
            due.push(
                id.parse::<DocId>()
                    .map_err(|_| Error::Corrupt(format!("document id {id}")))?,
            );
        }
    }
    Ok(due)
}
