//! The map of patches: each patch's outline from its doors, shaded by the
//! households contacted per 1,000 households, with its doors knocked and
//! not yet knocked in the period.
//!
//! It publishes no figure of its own about people: the households
//! contacted and their rate per 1,000 are the Reach report's, as that
//! report shows them to the same audience (hidden where it hides them,
//! adjusted for viewers), and the doors are the Doors report's. Where each
//! door is, and whether it was knocked, is door-level data: it is in the
//! map for admins only. A viewer's map draws each patch's outline, which
//! passes [`MARGIN_METRES`] outside its outermost doors, so that no corner
//! of it is a door.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use super::disclosure::Withheld;
use super::{Audience, Csv, FilterUse, Filters, Reach, Report, reach};
use crate::error::Result;
use crate::store::{Db, report_rows};

/// How far outside its outermost doors a patch's outline passes.
pub const MARGIN_METRES: f64 = 25.0;

/// Metres in a degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// One patch on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MapPatch {
    /// The patch slug.
    pub patch: String,
    /// The patch's name, as the area configures it.
    pub label: String,
    /// Households in the patch, as configured (none for a patch that is not).
    pub households: Option<u32>,
    /// Households with anyone contacted: the Reach report's figure.
    pub households_contacted: Option<u64>,
    /// Households contacted per 1,000 households: the Reach report's
    /// figure, and the patch's shade.
    pub households_contacted_per_1000_households: Option<f64>,
    /// Doors on the list in the patch.
    pub doors_listed: u64,
    /// Doors knocked in the period: the Doors report's figure.
    pub doors_knocked: u64,
    /// Doors on the list not knocked in the period.
    pub doors_not_knocked: u64,
    /// Doors on the list with no location, left off the map.
    pub doors_without_location: u64,
    /// The outline: a convex hull around the doors with a location, as
    /// `[longitude, latitude]` corners, [`MARGIN_METRES`] outside them
    /// (empty for a patch with fewer than one door placed).
    pub outline: Vec<[f64; 2]>,
}

/// A door on an admin's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MapDoorPoint {
    /// Its patch.
    pub patch: String,
    /// `[longitude, latitude]`.
    pub at: [f64; 2],
    /// Whether it was knocked in the period.
    pub knocked: bool,
}

/// The map of patches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatchMap {
    /// Counts below this are suppressed (on the Reach report).
    pub suppressed_below: u64,
    /// Whether the households contacted are adjusted by the cell key
    /// method (for viewers).
    pub adjusted: bool,
    /// Whether each door is drawn (admins only; see PRIVACY.md).
    pub doors_drawn: bool,
    /// Doors on the list with no location, every patch.
    pub doors_without_location: u64,
    /// Every configured patch, then any other patch with doors or people.
    pub patches: Vec<MapPatch>,
    /// Each door with a location (admins only; empty for viewers).
    pub doors: Vec<MapDoorPoint>,
    /// Why each figure that is `null` is missing, by its place
    /// (`patches.2.households_contacted`), as on the Reach report.
    pub withheld: BTreeMap<String, Withheld>,
}

/// The map for the people and knocks `filters` choose, as `audience` may
/// see it. The dates choose people by first contact (for households
/// contacted, as on Reach) and knocks by when they happened (as on Doors).
pub async fn patch_map(db: &Db, filters: &Filters, audience: Audience) -> Result<PatchMap> {
    // Doors are not people: the filters that describe people do not apply.
    let doors_filters = Filters {
        channel: None,
        age_band: None,
        stage: None,
        champion: None,
        ..filters.clone()
    };
    let ladder = super::Setup::load(db).await?.ladder;
    let knocked = doors_filters.selection(&ladder)?;
    // Three independent reads, at once, each on its own connection.
    let (reach, doors, placed) = tokio::try_join!(
        reach(db, &doors_filters, audience),
        super::household_reach(db, &doors_filters),
        report_rows::map_doors(db, &knocked),
    )?;
    Ok(patch_map_from(
        &reach,
        &doors,
        &placed,
        filters.patch.as_deref(),
        audience,
    ))
}

/// A location in degrees from millionths.
fn degrees(door: &report_rows::MapDoor) -> Option<[f64; 2]> {
    let (lat, lon) = (door.latitude_e6?, door.longitude_e6?);
    Some([lon as f64 / 1e6, lat as f64 / 1e6])
}

/// The map from the Reach and Doors reports as published to `audience`,
/// and the doors on the list.
pub(super) fn patch_map_from(
    reach: &Reach,
    doors: &super::HouseholdReach,
    placed: &[report_rows::MapDoor],
    only: Option<&str>,
    audience: Audience,
) -> PatchMap {
    let mut patches: Vec<MapPatch> = Vec::new();
    let mut withheld = BTreeMap::new();
    let mut order: Vec<(String, String, Option<u32>)> = reach
        .by_patch
        .iter()
        .map(|r| (r.group.clone(), r.label.clone(), r.households))
        .collect();
    for d in &doors.by_patch {
        if !order.iter().any(|(p, ..)| *p == d.patch) {
            order.push((d.patch.clone(), d.label.clone(), d.households));
        }
    }
    // Reach lists every patch whatever the filter (the others as zeros):
    // the map of one patch draws that patch alone, as Doors counts it.
    order.retain(|(p, ..)| only.is_none_or(|only| only == p));
    for (i, (patch, label, households)) in order.into_iter().enumerate() {
        let row = reach
            .by_patch
            .iter()
            .enumerate()
            .find(|(_, r)| r.group == patch);
        let (contacted, rate) = row.map_or((None, None), |(_, r)| {
            (
                r.households_contacted,
                r.households_contacted_per_1000_households,
            )
        });
        if let Some((j, _)) = row {
            for field in [
                "households_contacted",
                "households_contacted_per_1000_households",
            ] {
                if let Some(why) = reach.withheld.get(&format!("by_patch.{j}.{field}")) {
                    withheld.insert(format!("patches.{i}.{field}"), *why);
                }
            }
        } else {
            withheld.insert(
                format!("patches.{i}.households_contacted"),
                Withheld::NotApplicable,
            );
            withheld.insert(
                format!("patches.{i}.households_contacted_per_1000_households"),
                Withheld::NotApplicable,
            );
        }
        let row_doors = doors.by_patch.iter().find(|d| d.patch == patch);
        let here: Vec<&report_rows::MapDoor> = placed.iter().filter(|d| d.patch == patch).collect();
        let points: Vec<[f64; 2]> = here.iter().filter_map(|d| degrees(d)).collect();
        let (listed, knocked) = row_doors.map_or((here.len() as u64, 0), |d| {
            (d.doors_listed, d.doors_knocked)
        });
        patches.push(MapPatch {
            label,
            households,
            households_contacted: contacted,
            households_contacted_per_1000_households: rate,
            doors_listed: listed,
            doors_knocked: knocked,
            doors_not_knocked: listed.saturating_sub(knocked),
            doors_without_location: (here.len() - points.len()) as u64,
            outline: outline(&points, MARGIN_METRES),
            patch,
        });
    }
    let doors_drawn = audience == Audience::Exact;
    let points = if doors_drawn {
        placed
            .iter()
            .filter_map(|d| {
                degrees(d).map(|at| MapDoorPoint {
                    patch: d.patch.clone(),
                    at,
                    knocked: d.knocked != 0,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    PatchMap {
        suppressed_below: reach.suppressed_below,
        adjusted: reach.adjusted,
        doors_drawn,
        doors_without_location: patches.iter().map(|p| p.doors_without_location).sum(),
        patches,
        doors: points,
        withheld,
    }
}

/// The convex hull of `points` (`[longitude, latitude]`), anticlockwise,
/// each corner moved `margin` metres further from the hull's middle, so
/// that the outline contains every point with room to spare and no corner
/// is a point. One or two points give a small diamond or a band around
/// them.
pub(crate) fn outline(points: &[[f64; 2]], margin: f64) -> Vec<[f64; 2]> {
    if points.is_empty() {
        return Vec::new();
    }
    // Work in metres east and north of the first point, so that a margin
    // is the same distance every way.
    let origin = points[0];
    let east = METRES_PER_DEGREE * origin[1].to_radians().cos().max(0.01);
    let to_m = |p: &[f64; 2]| {
        [
            (p[0] - origin[0]) * east,
            (p[1] - origin[1]) * METRES_PER_DEGREE,
        ]
    };
    let from_m = |p: [f64; 2]| {
        [
            origin[0] + p[0] / east,
            origin[1] + p[1] / METRES_PER_DEGREE,
        ]
    };
    let mut pts: Vec<[f64; 2]> = points.iter().map(to_m).collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    let mut hull = convex_hull(&pts);
    if hull.len() < 3 {
        // A point or a line: a diamond around each end.
        let ends = hull.clone();
        hull = ends
            .iter()
            .flat_map(|p| {
                [
                    [p[0] + margin, p[1]],
                    [p[0], p[1] + margin],
                    [p[0] - margin, p[1]],
                    [p[0], p[1] - margin],
                ]
            })
            .collect();
        hull.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        hull = convex_hull(&hull);
        return hull.into_iter().map(from_m).collect();
    }
    let n = hull.len() as f64;
    let middle = hull
        .iter()
        .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n]);
    hull.into_iter()
        .map(|p| {
            let (dx, dy) = (p[0] - middle[0], p[1] - middle[1]);
            let length = dx.hypot(dy).max(1e-9);
            // Pushed out along the line from the middle by more than the
            // margin, so that the edges between corners are outside
            // the doors too.
            let push = margin * std::f64::consts::SQRT_2;
            from_m([p[0] + dx / length * push, p[1] + dy / length * push])
        })
        .collect()
}

/// Andrew's monotone chain over points sorted by x then y: the hull's
/// corners, anticlockwise, without collinear points.
fn convex_hull(sorted: &[[f64; 2]]) -> Vec<[f64; 2]> {
    if sorted.len() < 3 {
        return sorted.to_vec();
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(sorted.len() * 2);
    for pass in [sorted.to_vec(), sorted.iter().rev().copied().collect()] {
        let start = hull.len();
        for p in pass {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

impl Report for PatchMap {
    const FILTERS: FilterUse = FilterUse::Happenings;

    async fn load(db: &Db, filters: &Filters, audience: Audience, _now: Timestamp) -> Result<Self> {
        patch_map(db, filters, audience).await
    }

    fn is_adjusted(&self) -> bool {
        self.adjusted
    }

    /// One row per patch: the map's figures, without the outlines.
    fn to_csv(&self) -> String {
        let mut csv = Csv::new(
            self.suppressed_below,
            &[
                "patch",
                "patch_name",
                "households",
                "households_contacted",
                "households_contacted_per_1000_households",
                "doors_listed",
                "doors_knocked",
                "doors_not_knocked",
                "doors_without_location",
            ],
        );
        for (i, p) in self.patches.iter().enumerate() {
            let why = |field: &str| self.withheld.get(&format!("patches.{i}.{field}")).copied();
            // A rate hidden with its count is marked hidden, never "<5"
            // (as on Reach): it is not a count.
            let rate_why = why("households_contacted_per_1000_households").map(|w| match w {
                Withheld::NotApplicable => w,
                _ => Withheld::Protects,
            });
            let rate = csv.figure(
                p.households_contacted_per_1000_households
                    .map(|v| format!("{v:.1}")),
                rate_why,
            );
            let contacted = csv.figure(p.households_contacted, why("households_contacted"));
            csv.row([
                p.patch.clone(),
                p.label.clone(),
                Csv::optional(p.households),
                contacted,
                rate,
                p.doors_listed.to_string(),
                p.doors_knocked.to_string(),
                p.doors_not_knocked.to_string(),
                p.doors_without_location.to_string(),
            ]);
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `p` is inside the anticlockwise convex polygon `poly`.
    fn inside(poly: &[[f64; 2]], p: [f64; 2]) -> bool {
        (0..poly.len()).all(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) > 0.0
        })
    }

    #[test]
    fn an_outline_holds_every_door_with_room_to_spare_and_no_corner_is_a_door() {
        let doors: Vec<[f64; 2]> = (0..40)
            .map(|i| {
                let i = f64::from(i);
                [
                    -2.24 + (i % 7.0) * 0.0005,
                    53.4 + (i / 7.0).floor() * 0.0004,
                ]
            })
            .collect();
        let hull = outline(&doors, MARGIN_METRES);
        assert!(hull.len() >= 4, "{hull:?}");
        for door in &doors {
            assert!(inside(&hull, *door), "{door:?} outside {hull:?}");
            // At least the margin from every corner.
            for corner in &hull {
                let east = (corner[0] - door[0]) * METRES_PER_DEGREE * 53.4_f64.to_radians().cos();
                let north = (corner[1] - door[1]) * METRES_PER_DEGREE;
                assert!(
                    east.hypot(north) >= MARGIN_METRES * 0.99,
                    "{corner:?} {door:?}"
                );
            }
        }
        // One door, or doors in a line, still give an area around them.
        assert!(outline(&[[-2.24, 53.4]], MARGIN_METRES).len() >= 4);
        let line = outline(
            &[[-2.24, 53.4], [-2.23, 53.4], [-2.235, 53.4]],
            MARGIN_METRES,
        );
        assert!(inside(&line, [-2.235, 53.4]), "{line:?}");
        assert!(outline(&[], MARGIN_METRES).is_empty());
    }
}
