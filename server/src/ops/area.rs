//! The area configuration (its name, patches, ladder, resident
//! definitions, lawful bases and reporting thresholds), as admins change
//! it, and its JSON views.

use serde::{Deserialize, Serialize};
use sync_core::{
    AgeBand, AreaConfig, Census, ConsentPurpose, DocId, Ladder, LawfulBasis, PatchConfig,
    ResidentBasis, ResidentDefinition, Stage, StageRule, Tenure, Timestamp, authoring,
};

use super::merge_own;
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Db, area, commit_if_ok, documents};

/// The area configuration, if one was made.
pub async fn read(db: &Db) -> Result<Option<AreaConfig>> {
    area::read(db).await
}

/// Edits the area configuration with `edit` (starting from a default one,
/// named `slug`, if there is none yet) on behalf of `actor`, stores the
/// result and logs the change, described by `what` ("settings", "patch
/// elm-road", ...), in the same transaction. Returns the area as stored.
pub async fn edit(
    db: &Db,
    actor: Actor,
    slug: Option<&str>,
    what: &str,
    now: Timestamp,
    edit: impl FnOnce(&mut AreaConfig) -> Result<()>,
) -> Result<AreaConfig> {
    // Before the writer's turn, which it takes itself when it makes the id.
    let by = area::server_device(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let edited = async {
        let existing = area::current(db, &mut tx).await?;
        let mut config = match &existing {
            Some(config) => AreaConfig::clone(config),
            None => {
                let slug = slug.unwrap_or("our-area");
                AreaConfig::new_default(DocId::new(now), slug, "Our area", by, now)
            }
        };
        if let (Some(slug), Some(_)) = (slug, &existing)
            && slug != config.area
        {
            return Err(Error::BadRequest(format!(
                "the area is {:?}; its slug cannot change",
                config.area
            )));
        }
        edit(&mut config)?;
        config.patches.sort_by(|a, b| a.id.cmp(&b.id));
        config
            .resident_definitions
            .sort_by(|a, b| a.key.cmp(&b.key));
        let stored = documents::lock(&mut tx, config.id).await?;
        let stored = stored.as_ref().map(|s| s.bytes.as_slice());
        if let Some(push) = authoring::area_push(stored, &config, now)? {
            merge_own(db, &mut tx, &push, by, now).await?;
            audit::record(
                &mut tx,
                now,
                actor,
                Action::ChangedArea,
                Some(config.id),
                what,
            )
            .await?;
        }
        area::current(db, &mut tx)
            .await?
            .map(|area| AreaConfig::clone(&area))
            .ok_or_else(|| Error::Corrupt("the area was not stored".into()))
    }
    .await;
    commit_if_ok(tx, edited).await
}

/// An area configuration as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaView {
    /// The document id.
    pub id: String,
    /// The area's slug.
    pub area: String,
    /// Its name.
    pub name: String,
    /// Share of partnership members (percent) who must be residents.
    pub resident_led_threshold_percent: u8,
    /// Seats on the partnership board, if fixed.
    pub partnership_seats: Option<u32>,
    /// Reports suppress counts below this.
    pub suppress_below: u32,
    /// A follow-up promised without a date is overdue this many days
    /// after it was promised.
    pub follow_up_overdue_days: u32,
    /// Patches (villages, estates), in slug order.
    pub patches: Vec<PatchView>,
    /// Topic tags.
    pub topics: Vec<String>,
    /// The engagement ladder, first stage first.
    pub ladder: Vec<StageView>,
    /// Definitions of "resident".
    pub resident_definitions: Vec<ResidentDefinitionView>,
    /// The lawful basis relied on for each purpose (contact-again, events,
    /// volunteering, equality-monitoring): consent or legitimate-interests.
    pub lawful_bases: std::collections::BTreeMap<String, String>,
    /// The IANA time zone its times are entered and shown in.
    pub time_zone: String,
}

/// A patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatchView {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Households, for per-1,000-household figures.
    pub households: u32,
    /// Its census figures, if entered.
    pub census: Option<CensusView>,
}

/// A patch's census figures, as entered from the census.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CensusView {
    /// Residents per age band (`18-24` ... `75+`, and optionally
    /// `under-13` and `13-17`): every adult band, or none.
    #[serde(default)]
    pub residents_by_age: std::collections::BTreeMap<String, u32>,
    /// Households per tenure (`owner`, `social-rent`, `private-rent`,
    /// `with-family`, `other`).
    #[serde(default)]
    pub households_by_tenure: std::collections::BTreeMap<String, u32>,
}

impl From<&Census> for CensusView {
    fn from(c: &Census) -> Self {
        Self {
            residents_by_age: c
                .residents_by_age
                .iter()
                .map(|(b, n)| (b.as_str().to_owned(), *n))
                .collect(),
            households_by_tenure: c
                .households_by_tenure
                .iter()
                .map(|(t, n)| (t.as_str().to_owned(), *n))
                .collect(),
        }
    }
}

impl CensusView {
    /// The census these figures make (`None` when none are given); an
    /// unknown age band or tenure is refused. The area's rules (every
    /// adult band, no figure too large) are checked when it is saved.
    pub fn to_census(&self) -> Result<Option<Census>> {
        let census = Census {
            residents_by_age: self
                .residents_by_age
                .iter()
                .map(|(b, n)| {
                    AgeBand::parse(b)
                        .map(|b| (b, *n))
                        .ok_or_else(|| Error::BadRequest(format!("unknown age band {b:?}")))
                })
                .collect::<Result<_>>()?,
            households_by_tenure: self
                .households_by_tenure
                .iter()
                .map(|(t, n)| {
                    Tenure::parse(t)
                        .map(|t| (t, *n))
                        .ok_or_else(|| Error::BadRequest(format!("unknown tenure {t:?}")))
                })
                .collect::<Result<_>>()?,
        };
        Ok((!census.is_empty()).then_some(census))
    }
}

/// A ladder stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageView {
    /// Slug.
    pub key: String,
    /// Label.
    pub label: String,
    /// What counts as reaching it: contacted, conversation, interested,
    /// participant, volunteer, working-group, partnership-member or leader.
    pub rule: String,
}

/// A definition of "resident".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentDefinitionView {
    /// Slug.
    pub key: String,
    /// Label.
    pub label: String,
    /// Which bases count: lives, works, studies, worships, other.
    pub counts: Vec<String>,
}

impl From<&AreaConfig> for AreaView {
    fn from(a: &AreaConfig) -> Self {
        Self {
            id: a.id.to_string(),
            area: a.area.clone(),
            name: a.name.clone(),
            resident_led_threshold_percent: a.resident_led_threshold_percent,
            partnership_seats: a.partnership_seats,
            suppress_below: a.suppress_below,
            follow_up_overdue_days: a.follow_up_overdue_days,
            time_zone: a.time_zone.clone(),
            patches: a
                .patches
                .iter()
                .map(|p| PatchView {
                    slug: p.id.clone(),
                    name: p.name.clone(),
                    households: p.households,
                    census: p.census.as_ref().map(CensusView::from),
                })
                .collect(),
            topics: a.topics.iter().cloned().collect(),
            ladder: a
                .ladder
                .stages()
                .iter()
                .map(|s| StageView {
                    key: s.key.clone(),
                    label: s.label.clone(),
                    rule: s.rule.as_str().to_owned(),
                })
                .collect(),
            resident_definitions: a
                .resident_definitions
                .iter()
                .map(|d| ResidentDefinitionView {
                    key: d.key.clone(),
                    label: d.label.clone(),
                    counts: d.counts.iter().map(|b| b.as_str().to_owned()).collect(),
                })
                .collect(),
            lawful_bases: ConsentPurpose::ALL
                .iter()
                .map(|p| {
                    (
                        p.as_str().to_owned(),
                        a.lawful_basis(*p).as_str().to_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// Changes to the area configuration; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaChange {
    /// The area's slug (only when creating it).
    pub area: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// The resident-led threshold, percent (1 to 100).
    pub resident_led_threshold_percent: Option<u8>,
    /// Seats on the partnership board (0: not fixed).
    pub partnership_seats: Option<u32>,
    /// Reports suppress counts below this (3 to 100).
    pub suppress_below: Option<u32>,
    /// A follow-up promised without a date is overdue this many days
    /// after it was promised (1 to 365).
    pub follow_up_overdue_days: Option<u32>,
    /// Topic tags (replaces the set).
    pub topics: Option<Vec<String>>,
    /// The ladder (replaces it).
    pub ladder: Option<Vec<StageView>>,
    /// Resident definitions (replace them).
    pub resident_definitions: Option<Vec<ResidentDefinitionView>>,
    /// Lawful bases by purpose (set the ones given).
    pub lawful_bases: Option<std::collections::BTreeMap<String, String>>,
    /// The IANA time zone its times are entered and shown in
    /// (`Europe/London`).
    pub time_zone: Option<String>,
}

impl AreaChange {
    /// Applies the change to a configuration.
    pub fn apply(self, config: &mut AreaConfig) -> Result<()> {
        if let Some(name) = self.name {
            config.name = name;
        }
        if let Some(zone) = self.time_zone {
            config.time_zone = crate::calendar::Zone::named(&zone)?.name().to_owned();
        }
        if let Some(threshold) = self.resident_led_threshold_percent {
            config.resident_led_threshold_percent = threshold;
        }
        if let Some(seats) = self.partnership_seats {
            config.partnership_seats = (seats > 0).then_some(seats);
        }
        if let Some(days) = self.follow_up_overdue_days {
            config.follow_up_overdue_days = days;
        }
        if let Some(below) = self.suppress_below {
            config.suppress_below = below;
        }
        if let Some(topics) = self.topics {
            config.topics = topics.into_iter().collect();
        }
        if let Some(stages) = self.ladder {
            let stages = stages
                .into_iter()
                .map(|s| {
                    let rule = StageRule::parse(&s.rule).ok_or_else(|| {
                        Error::BadRequest(format!("unknown ladder rule {:?}", s.rule))
                    })?;
                    Ok(Stage {
                        key: s.key,
                        label: s.label,
                        rule,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            config.ladder = Ladder::new(stages).map_err(sync_core::Error::from)?;
        }
        if let Some(bases) = self.lawful_bases {
            for (purpose, basis) in bases {
                let purpose = ConsentPurpose::parse(&purpose).ok_or_else(|| {
                    Error::BadRequest(format!("unknown consent purpose {purpose:?}"))
                })?;
                let basis = LawfulBasis::parse(&basis)
                    .ok_or_else(|| Error::BadRequest(format!("unknown lawful basis {basis:?}")))?;
                config.lawful_bases.insert(purpose, basis);
            }
        }
        if let Some(definitions) = self.resident_definitions {
            config.resident_definitions = definitions
                .into_iter()
                .map(|d| {
                    let counts = d
                        .counts
                        .iter()
                        .map(|c| {
                            ResidentBasis::parse(c).ok_or_else(|| {
                                Error::BadRequest(format!("unknown resident basis {c:?}"))
                            })
                        })
                        .collect::<Result<_>>()?;
                    Ok(ResidentDefinition {
                        key: d.key,
                        label: d.label,
                        counts,
                    })
                })
                .collect::<Result<_>>()?;
        }
        Ok(())
    }
}

/// Adds a patch or changes one, on behalf of `actor`, with its census
/// figures when `census` is given (`Some(None)` takes them away): one
/// change, one audit record.
pub async fn save_patch(
    db: &Db,
    actor: Actor,
    slug: &str,
    name: &str,
    households: u32,
    census: Option<Option<Census>>,
    now: Timestamp,
) -> Result<AreaConfig> {
    let what = format!("patch {slug}");
    edit(db, actor, None, &what, now, |area| {
        set_patch(area, slug, name, households);
        if let Some(census) = census
            && let Some(patch) = area.patches.iter_mut().find(|p| p.id == slug)
        {
            patch.census = census;
        }
        Ok(())
    })
    .await
}

/// Enters a patch's census figures (`None` takes them away), on behalf
/// of `actor`; `NotFound` if the area has no such patch. Figures that
/// break the area's rules are refused with the rule.
pub async fn save_census(
    db: &Db,
    actor: Actor,
    slug: &str,
    census: Option<Census>,
    now: Timestamp,
) -> Result<AreaConfig> {
    let what = format!("census of patch {slug}");
    edit(db, actor, None, &what, now, |area| {
        let patch = area
            .patches
            .iter_mut()
            .find(|p| p.id == slug)
            .ok_or(Error::NotFound("patch"))?;
        patch.census = census;
        Ok(())
    })
    .await
}

/// Removes a patch, on behalf of `actor`; `NotFound` if there is none.
pub async fn delete_patch(db: &Db, actor: Actor, slug: &str, now: Timestamp) -> Result<AreaConfig> {
    let what = format!("removed patch {slug}");
    edit(db, actor, None, &what, now, |area| remove_patch(area, slug)).await
}

/// Sets a patch (adding it if new).
pub fn set_patch(config: &mut AreaConfig, slug: &str, name: &str, households: u32) {
    match config.patches.iter_mut().find(|p| p.id == slug) {
        Some(p) => {
            p.name = name.to_owned();
            p.households = households;
        }
        None => config.patches.push(PatchConfig {
            id: slug.to_owned(),
            name: name.to_owned(),
            households,
            census: None,
        }),
    }
}

/// Removes a patch; `NotFound` if the area has no such patch.
pub fn remove_patch(config: &mut AreaConfig, slug: &str) -> Result<()> {
    let before = config.patches.len();
    config.patches.retain(|p| p.id != slug);
    if config.patches.len() == before {
        Err(Error::NotFound("patch"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The area is decoded once per distinct stored bytes (the memo in
    /// `Db`): every change to it, however made, must still be read back.
    #[tokio::test]
    async fn the_area_read_back_is_always_the_stored_one() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = crate::store::migrated_test_sqlite(&dir).await;
        let now = crate::testing::NOW;
        let ladder = || async {
            let mut conn = db.pool.acquire().await.expect("connection");
            area::ladder(&db, &mut conn).await.expect("ladder")
        };
        assert_eq!(ladder().await, Ladder::default());
        for (round, stages) in [3, 5, 3].into_iter().enumerate() {
            let wanted =
                Ladder::new(Ladder::default().stages()[..stages].to_vec()).expect("a ladder");
            let set = wanted.clone();
            edit(
                &db,
                Actor::CommandLine,
                Some("our-area"),
                "ladder",
                now,
                |area| {
                    area.ladder = set;
                    Ok(())
                },
            )
            .await
            .expect("edit the area");
            assert_eq!(ladder().await, wanted, "round {round}");
            let read_twice = read(&db).await.expect("area").expect("an area");
            assert_eq!(read_twice.ladder, wanted, "round {round}");
        }
    }
}
