//! The doors as the map of patches reads them: where each is, and whether
//! it was knocked in the period.

use sync_core::DoorOutcome;

use super::{Db, Selection, SqlValue, bind, fetch_bound};
use crate::error::Result;

/// A door on the list, for the map.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MapDoor {
    /// Its patch.
    pub patch: String,
    /// Its latitude in millionths of a degree, if it has a location.
    pub latitude_e6: Option<i64>,
    /// Its longitude in millionths of a degree.
    pub longitude_e6: Option<i64>,
    /// 1 if it was knocked in the period (as the doors report counts a
    /// door knocked: finding a "no knocking" sign is not a knock), else 0.
    pub knocked: i64,
}

/// Every door on the list (of `knocks.patch`, if set), with whether it was
/// knocked at a time `knocks` chooses.
pub async fn map_doors(db: &Db, knocks: &Selection) -> Result<Vec<MapDoor>> {
    let mut values = Vec::new();
    let mut clauses = knocks.time_and_patch("at", "patch", &mut values);
    let no_knocking = bind(
        &mut values,
        SqlValue::Text(DoorOutcome::NoKnocking.as_str().to_owned()),
    );
    clauses.push(format!("outcome <> {no_knocking}"));
    let only = match &knocks.patch {
        Some(patch) => format!(
            "WHERE a.patch = {}",
            bind(&mut values, SqlValue::Text(patch.clone()))
        ),
        None => String::new(),
    };
    fetch_bound(
        db,
        format!(
            "SELECT a.patch, a.latitude_e6, a.longitude_e6, \
             CAST(CASE WHEN k.address_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS knocked \
             FROM addresses a LEFT JOIN \
             (SELECT DISTINCT address_id FROM door_visits WHERE {}) k ON k.address_id = a.id \
             {only} ORDER BY a.patch, a.id",
            clauses.join(" AND ")
        ),
        values,
    )
    .await
}
