//! Retention: people are not kept identifiable for longer than the
//! partnership's policy allows. A scheduled task in `outreach serve` (and
//! `outreach admin retention`) anonymises each person who is past a period:
//! the record is replaced by one that keeps only what reports need, under a
//! new id, and the old one is erased (see [`super::people`]).

use sync_core::authoring::{Reduction, holds_identifying_data};
use sync_core::{ConsentPurpose, DeviceId, DocId, Person, Timestamp};

use super::people::{log_removal, reduce};
use crate::error::{Error, Result};
use crate::store::audit::Actor;
use crate::store::documents::PeoplePages;
use crate::store::erasure_log::{Entry, Removal};
use crate::store::{Db, area, commit_if_ok};

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

/// Anonymises everyone who is due at `now`, each in a transaction of its
/// own with its audit record; then scrubs the files once.
pub async fn run(db: &Db, policy: Policy, now: Timestamp) -> Result<Report> {
    let due = due_people(db, policy, now).await?;
    let by = area::server_device(db).await?;
    let mut report = Report::default();
    for id in due {
        match anonymise(db, id, by, Actor::Retention, now).await {
            Ok(new_id) => report.anonymised.push((id, new_id)),
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

/// Anonymises one person on behalf of `actor`, as the server's device `by`,
/// in a transaction of its own with its audit record, and logs it in the
/// erasure log; the caller scrubs the files. Returns the new id;
/// `NotFound` if the person is not held.
pub(super) async fn anonymise(
    db: &Db,
    id: DocId,
    by: DeviceId,
    actor: Actor,
    now: Timestamp,
) -> Result<DocId> {
    let new_id = {
        let writer = db.writer().await;
        let mut tx = writer.begin().await?;
        let reduced = reduce(db, &mut tx, id, Reduction::Anonymise, by, now, actor).await;
        commit_if_ok(tx, reduced).await?
    };
    log_removal(db, &Entry::new(now, Removal::Anonymised, id))?;
    Ok(new_id)
}

/// The people due at `now`, read a page at a time ([`PeoplePages`]): a run
/// used to read every person's document at once, about 22 MB more resident
/// memory at 44,000 people, at every server start. A connection is taken
/// per page, so a long scan does not hold one of the pool's.
async fn due_people(db: &Db, policy: Policy, now: Timestamp) -> Result<Vec<DocId>> {
    let mut due = Vec::new();
    let mut pages = PeoplePages::default();
    loop {
        let mut conn = db.pool.acquire().await?;
        let Some(people) = pages.next(&mut conn).await? else {
            break;
        };
        due.extend(
            people
                .iter()
                .filter(|person| policy.is_due(person, now))
                .map(|person| person.id),
        );
    }
    Ok(due)
}
