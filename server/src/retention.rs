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

/// Anonymises everyone who is due at `now`.
pub async fn run(db: &Db, policy: Policy, now: Timestamp) -> Result<Report> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT id, bytes FROM documents WHERE kind = 'person' ORDER BY id")
            .fetch_all(&db.pool)
            .await?;
    let mut due = Vec::new();
    for (id, bytes) in rows {
        if let Record::Person(person) = read_record(&bytes)?
            && policy.is_due(&person, now)
        {
            due.push(
                id.parse::<DocId>()
                    .map_err(|_| Error::Corrupt(format!("document id {id}")))?,
            );
        }
    }
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
