//! The partnership's targets on headline figures, as admins set and remove
//! them: one use case each, checked against the figures the area has, and
//! audited in the same transaction, like the area's configuration.

use sync_core::{AreaConfig, Timestamp};

use crate::error::{Error, Result};
use crate::reports::headlines::Unit;
use crate::reports::targets::{self, Refused, Target};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Db, area, commit_if_ok};

/// The area's patches as (slug, name).
pub fn patches(area: Option<&AreaConfig>) -> Vec<(String, String)> {
    area.map(|a| {
        a.patches
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// Every target set.
pub async fn list(db: &Db) -> Result<Vec<Target>> {
    targets::load(db).await
}

/// Every figure a target may name: (report, key, label, unit).
pub async fn choices(db: &Db) -> Result<Vec<(&'static str, String, String, Unit)>> {
    let area = area::read(db).await?;
    Ok(targets::choices(&patches(area.as_ref())))
}

/// Checks `target` against the area's figures, saying which field is wrong.
pub async fn check(db: &Db, target: &Target) -> Result<std::result::Result<String, Refused>> {
    let area = area::read(db).await?;
    Ok(target
        .check(&patches(area.as_ref()))
        .map(|(label, _)| label))
}

/// Sets `target` (replacing any on the same figure) on behalf of `actor`,
/// and logs it in the same transaction. A target that cannot be met or
/// read (a share over 100%, a patch or figure that does not exist) is
/// refused, saying why.
pub async fn set(db: &Db, actor: Actor, target: &Target, now: Timestamp) -> Result<Target> {
    if let Err(refused) = check(db, target).await? {
        return Err(Error::BadRequest(refused.to_string()));
    }
    let stored = target.stored();
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let done = async {
        let replaced = crate::store::targets::set(&mut tx, &stored, now).await?;
        let detail = format!(
            "{} {}/{} {} {} (margin {})",
            if replaced { "changed" } else { "set" },
            stored.report,
            stored.figure,
            target.comparison.words(),
            stored.goal_tenths as f64 / 10.0,
            stored.margin_tenths as f64 / 10.0,
        );
        audit::record(&mut tx, now, actor, Action::ChangedTarget, None, &detail).await
    }
    .await;
    commit_if_ok(tx, done).await?;
    Ok(Target {
        goal: stored.goal_tenths as f64 / 10.0,
        margin: stored.margin_tenths as f64 / 10.0,
        ..target.clone()
    })
}

/// Removes the target on `figure` of `report`, logged; refused if there
/// is none.
pub async fn remove(
    db: &Db,
    actor: Actor,
    report: &str,
    figure: &str,
    now: Timestamp,
) -> Result<()> {
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let done = async {
        if !crate::store::targets::remove(&mut tx, report, figure).await? {
            return Err(Error::NotFound("target"));
        }
        audit::record(
            &mut tx,
            now,
            actor,
            Action::ChangedTarget,
            None,
            &format!("removed {report}/{figure}"),
        )
        .await
    }
    .await;
    commit_if_ok(tx, done).await
}
