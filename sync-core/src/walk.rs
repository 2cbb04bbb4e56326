//! Walk lists: the doors in a patch, in the order a street champion walks
//! them, with what happened last time. Built from a device's own records,
//! so it works with no signal.

use std::cmp::Ordering;

use crate::ids::{DocId, Timestamp};
use crate::model::{Address, DoorOutcome, DoorVisit, Location};
use crate::store::PersonRow;

crate::model::string_enum! {
    /// Why a door on the walk list wants a particular kind of visit.
    pub enum RevisitFlag {
        /// Nobody was in the last two times: try another time of day.
        TryAnotherTime => "try-another-time",
        /// Someone here is owed a follow-up that is due.
        FollowUpDue => "follow-up-due",
        /// The last knock found the household had moved away: new residents
        /// may be there to meet.
        NewResidents => "new-residents",
    }
}

/// A person at a door, as the walk list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// The person's record.
    pub id: DocId,
    /// Their name, if they gave it.
    pub name: Option<String>,
}

/// One door on a walk list.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkStop {
    /// The address record.
    pub address: DocId,
    /// The door as one line.
    pub label: String,
    /// Where the door is, if known.
    pub location: Option<Location>,
    /// The latest knock.
    pub last_visit: Option<DoorVisit>,
    /// How many times the door was knocked.
    pub knocks: usize,
    /// What the next visit should bear in mind.
    pub flags: Vec<RevisitFlag>,
    /// The people recorded at this door who may be contacted.
    pub residents: Vec<Resident>,
}

/// Why a door is left off walk lists, if it is.
fn hidden(address: &Address, household: &[&PersonRow]) -> bool {
    let sign = address
        .last_visit()
        .is_some_and(|v| v.outcome == DoorOutcome::NoKnocking);
    // Someone here asked not to be contacted (the suppression list), or
    // only under-18s are recorded here: young people are reached through
    // youth workers, not by knocking.
    let suppressed = household.iter().any(|p| p.do_not_contact);
    let only_young = !household.is_empty() && household.iter().all(|p| p.is_under_18());
    address.do_not_knock || sign || suppressed || only_young
}

fn flags(address: &Address, household: &[&PersonRow], now: Timestamp) -> Vec<RevisitFlag> {
    let mut flags = Vec::new();
    let latest: Vec<&DoorVisit> = address.visits.iter().rev().take(2).collect();
    if latest.len() == 2 && latest.iter().all(|v| v.outcome == DoorOutcome::NotIn) {
        flags.push(RevisitFlag::TryAnotherTime);
    }
    let follow_up_due = household.iter().any(|p| {
        p.follow_ups_due
            .iter()
            .any(|due| due.is_none_or(|due| due <= now))
    });
    if follow_up_due {
        flags.push(RevisitFlag::FollowUpDue);
    }
    if latest
        .first()
        .is_some_and(|v| v.outcome == DoorOutcome::MovedAway)
    {
        flags.push(RevisitFlag::NewResidents);
    }
    flags
}

/// Sorts doors along each street: by street, then house number (12 before
/// 12a before 14), then house name.
fn street_order(a: &Address, b: &Address) -> Ordering {
    fn number(house: &str) -> Option<(u64, String)> {
        let start = house.find(|c: char| c.is_ascii_digit())?;
        let digits: String = house[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let rest = house[start + digits.len()..].trim().to_lowercase();
        Some((digits.parse().ok()?, rest))
    }
    let key = |x: &Address| {
        (
            x.street.to_lowercase(),
            x.locality.as_deref().map(str::to_lowercase),
            number(&x.house).is_none(),
            number(&x.house),
            x.house.to_lowercase(),
            x.id,
        )
    };
    key(a).cmp(&key(b))
}

/// The walk list for `patch`: every door there that may be knocked, in
/// walking order. With `from`, doors with a location come first, each the
/// nearest to the one before (starting from `from`), then the rest in street
/// order; without it, all in street order.
pub fn walk_list(
    patch: &str,
    addresses: &[Address],
    people: &[PersonRow],
    now: Timestamp,
    from: Option<Location>,
) -> Vec<WalkStop> {
    let mut doors: Vec<&Address> = addresses.iter().filter(|a| a.patch == patch).collect();
    doors.sort_by(|a, b| street_order(a, b));
    if let Some(start) = from {
        let (mut located, unlocated): (Vec<&Address>, Vec<&Address>) =
            doors.into_iter().partition(|a| a.location.is_some());
        let mut ordered = Vec::with_capacity(located.len() + unlocated.len());
        let mut here = start;
        while !located.is_empty() {
            let distance = |a: &&Address| a.location.map_or(f64::MAX, |l| here.metres_to(l));
            let nearest = (0..located.len())
                .min_by(|&i, &j| distance(&located[i]).total_cmp(&distance(&located[j])))
                .unwrap_or(0);
            let next = located.remove(nearest);
            here = next.location.unwrap_or(here);
            ordered.push(next);
        }
        ordered.extend(unlocated);
        doors = ordered;
    }
    doors
        .into_iter()
        .filter_map(|address| {
            let household: Vec<&PersonRow> = people
                .iter()
                .filter(|p| p.household == Some(address.id))
                .collect();
            if hidden(address, &household) {
                return None;
            }
            Some(WalkStop {
                address: address.id,
                label: address.one_line(),
                location: address.location,
                last_visit: address.last_visit().cloned(),
                knocks: address.visits.len(),
                flags: flags(address, &household, now),
                residents: household
                    .iter()
                    .filter(|p| p.on_door_list())
                    .map(|p| Resident {
                        id: p.id,
                        name: p.name.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, EntryId};
    use crate::model::{AgeBand, EntryChannel, NewAddress, Person};

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_millis(1_789_000_000_000 + hours * 3_600_000)
    }

    fn door(house: &str, street: &str, location: Option<(f64, f64)>) -> Address {
        let new = NewAddress::new("north-estate", "elm-road", house, street);
        Address {
            id: DocId::new(at(0)),
            area: new.area,
            patch: new.patch,
            house: new.house,
            street: new.street,
            locality: None,
            postcode: None,
            location: location.map(|(latitude, longitude)| Location {
                latitude,
                longitude,
            }),
            do_not_knock: false,
            visits: Vec::new(),
            created_by: DeviceId::new(at(0)),
            created_at: at(0),
        }
    }

    fn visit(address: &mut Address, hours: i64, outcome: DoorOutcome) {
        address.visits.push(DoorVisit {
            id: EntryId::new(at(hours)),
            at: at(hours),
            outcome,
            recorded_by: address.created_by,
        });
    }

    fn resident(address: &Address, age_band: Option<AgeBand>) -> Person {
        Person {
            id: DocId::new(at(0)),
            area: address.area.clone(),
            patch: address.patch.clone(),
            entry_channel: EntryChannel::Doorstep,
            name: Some("Sam".into()),
            phone: None,
            email: None,
            household: Some(address.id),
            residency: Default::default(),
            age_band,
            tenure: None,
            language: None,
            ethnicity: None,
            interests: Default::default(),
            consents: Vec::new(),
            do_not_contact: false,
            interactions: Vec::new(),
            created_by: address.created_by,
            created_at: at(0),
        }
    }

    fn labels(stops: &[WalkStop]) -> Vec<&str> {
        stops.iter().map(|s| s.label.as_str()).collect()
    }

    #[test]
    fn doors_are_walked_by_street_then_number() {
        let doors = [
            door("14", "Oak Lane", None),
            door("Rose Cottage", "Ash Road", None),
            door("12a", "Oak Lane", None),
            door("2", "oak lane", None),
            door("12", "Oak Lane", None),
            door("3", "Ash Road", None),
        ];
        let stops = walk_list("elm-road", &doors, &[], at(0), None);
        assert_eq!(
            labels(&stops),
            [
                "3 Ash Road",
                "Rose Cottage Ash Road",
                "2 oak lane",
                "12 Oak Lane",
                "12a Oak Lane",
                "14 Oak Lane"
            ]
        );
        assert!(walk_list("other-patch", &doors, &[], at(0), None).is_empty());
    }

    #[test]
    fn with_a_starting_point_the_nearest_door_comes_next() {
        let doors = [
            door("1", "Far Street", Some((51.010, -0.100))),
            door("2", "Near Street", Some((51.001, -0.100))),
            door("3", "Middle Street", Some((51.005, -0.100))),
            door("4", "Unmapped Street", None),
        ];
        let start = Location {
            latitude: 51.0,
            longitude: -0.1,
        };
        let stops = walk_list("elm-road", &doors, &[], at(0), Some(start));
        assert_eq!(
            labels(&stops),
            [
                "2 Near Street",
                "3 Middle Street",
                "1 Far Street",
                "4 Unmapped Street"
            ]
        );
    }

    #[test]
    fn doors_not_to_knock_are_hidden_and_revisits_are_flagged() {
        let mut sign = door("1", "Oak Lane", None);
        visit(&mut sign, 1, DoorOutcome::NoKnocking);
        let mut marked = door("2", "Oak Lane", None);
        marked.do_not_knock = true;
        let suppressed_door = door("3", "Oak Lane", None);
        let mut suppressed = resident(&suppressed_door, None);
        suppressed.do_not_contact = true;
        let young_door = door("4", "Oak Lane", None);
        let young = resident(&young_door, Some(AgeBand::From13To17));
        let mut twice = door("5", "Oak Lane", None);
        visit(&mut twice, 1, DoorOutcome::NotIn);
        visit(&mut twice, 2, DoorOutcome::NotIn);
        let family_door = door("6", "Oak Lane", None);
        let family = [
            resident(&family_door, Some(AgeBand::From13To17)),
            resident(&family_door, Some(AgeBand::From35To44)),
        ];
        let mut moved = door("7", "Oak Lane", None);
        visit(&mut moved, 1, DoorOutcome::NotIn);
        visit(&mut moved, 3, DoorOutcome::MovedAway);

        let doors = [
            sign,
            marked,
            suppressed_door,
            young_door,
            twice,
            family_door,
            moved,
        ];
        let people = [&suppressed, &young, &family[0], &family[1]].map(PersonRow::from);
        let stops = walk_list("elm-road", &doors, &people, at(4), None);
        assert_eq!(labels(&stops), ["5 Oak Lane", "6 Oak Lane", "7 Oak Lane"]);
        assert_eq!(stops[0].flags, [RevisitFlag::TryAnotherTime]);
        assert_eq!(stops[0].knocks, 2);
        assert_eq!(
            stops[0].last_visit.as_ref().map(|v| v.outcome),
            Some(DoorOutcome::NotIn)
        );
        // The under-18 in a family is not listed by name; the adult is.
        assert_eq!(stops[1].residents.len(), 1);
        assert_eq!(stops[1].residents[0].id, family[1].id);
        assert_eq!(stops[2].flags, [RevisitFlag::NewResidents]);
    }
}
