use crate::ids::{DeviceId, DocId, EntryId, Timestamp};
use crate::model::DoorOutcome;

/// A door: one address in a patch, the household behind it, and every knock.
///
/// Addresses are imported by admins from a list, or created on a phone for a
/// door that is not on it. People link to one with `Person::household`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    /// Document id.
    pub id: DocId,
    /// The area slug.
    pub area: String,
    /// The patch (sub-area) slug.
    pub patch: String,
    /// House number or name, as written on the door ("12", "12a", "Rose Cottage").
    pub house: String,
    /// The street.
    pub street: String,
    /// A flat, village or estate line, if any.
    pub locality: Option<String>,
    /// The postcode, as given (checked to look like a UK postcode).
    pub postcode: Option<String>,
    /// Where the door is, if known.
    pub location: Option<Location>,
    /// An admin marked the door "do not knock" (a no-cold-calling zone, a
    /// request made by letter).
    pub do_not_knock: bool,
    /// Every knock at this door, oldest first.
    pub visits: Vec<DoorVisit>,
    /// The device that created the record.
    pub created_by: DeviceId,
    /// When the record was created.
    pub created_at: Timestamp,
}

impl Address {
    /// The latest knock, if any.
    pub fn last_visit(&self) -> Option<&DoorVisit> {
        self.visits.iter().max_by_key(|v| (v.at, v.id))
    }

    /// The door's details as an input, to write them again (with a
    /// changed do-not-knock mark, say).
    pub fn details(&self) -> NewAddress {
        NewAddress {
            area: self.area.clone(),
            patch: self.patch.clone(),
            house: self.house.clone(),
            street: self.street.clone(),
            locality: self.locality.clone(),
            postcode: self.postcode.clone(),
            location: self.location,
        }
    }

    /// The door as one line, for lists ("12 Oak Lane, Flat 2, AB1 2CD").
    pub fn one_line(&self) -> String {
        let mut line = format!("{} {}", self.house, self.street);
        for part in [&self.locality, &self.postcode].into_iter().flatten() {
            line.push_str(", ");
            line.push_str(part);
        }
        line
    }
}

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// Latitude, -90 to 90.
    pub latitude: f64,
    /// Longitude, -180 to 180.
    pub longitude: f64,
}

impl Location {
    /// Distance to `other` in metres (haversine; plenty for a street walk).
    pub fn metres_to(self, other: Location) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_000.0;
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.longitude - self.longitude).to_radians();
        let a = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }

    /// Whether both coordinates are finite and in range.
    pub fn is_valid(self) -> bool {
        self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
    }
}

/// One knock at a door.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DoorVisit {
    /// Entry id.
    pub id: EntryId,
    /// When.
    pub at: Timestamp,
    /// What happened.
    pub outcome: DoorOutcome,
    /// The device that recorded it.
    pub recorded_by: DeviceId,
}

/// What is needed to create an address.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAddress {
    /// The area slug.
    pub area: String,
    /// The patch slug.
    pub patch: String,
    /// House number or name.
    pub house: String,
    /// The street.
    pub street: String,
    /// A flat, village or estate line.
    pub locality: Option<String>,
    /// The postcode.
    pub postcode: Option<String>,
    /// Where the door is.
    pub location: Option<Location>,
}

impl NewAddress {
    /// A door at `house` on `street`, in `area` and `patch`.
    pub fn new(area: &str, patch: &str, house: &str, street: &str) -> Self {
        Self {
            area: area.to_owned(),
            patch: patch.to_owned(),
            house: house.to_owned(),
            street: street.to_owned(),
            locality: None,
            postcode: None,
            location: None,
        }
    }

    /// A key that is the same for two spellings of one door ("12 Oak Lane"
    /// and "12  oak lane"): used to skip doors already imported.
    pub fn door_key(&self) -> String {
        let squash = |text: &str| {
            text.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let postcode: String = self
            .postcode
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        format!(
            "{}|{}|{}|{}|{}",
            self.patch,
            squash(&self.house),
            squash(&self.street),
            squash(self.locality.as_deref().unwrap_or_default()),
            postcode
        )
    }
}
