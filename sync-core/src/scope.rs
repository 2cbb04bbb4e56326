//! Who may read and write which records.
//!
//! The server decides a device's [`Scope`] from its token; sync-core applies
//! it to every document both ways: a device is only sent what it may read,
//! and a push is refused unless the device may write the document both as it
//! was and as it would be (a champion cannot move a person out of, or into,
//! a patch that is not theirs).

use std::collections::BTreeSet;

use crate::ids::DeviceId;
use crate::model::{DocKind, InteractionKind, Record};

/// What a device may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole area.
    Admin,
    /// People and events in these patches.
    Champion {
        /// Patch slugs.
        patches: BTreeSet<String>,
    },
    /// Events, and the people this device created or signed up.
    YouthWorker {
        /// The device.
        device: DeviceId,
    },
    /// Aggregates only: no document at all, not even to read.
    Viewer,
}

/// The facts about a record that scopes are decided on. The server keeps
/// these beside each stored document so it can filter its change feed
/// without loading documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// The kind of record.
    pub kind: DocKind,
    /// Its patch, if it has one.
    pub patch: Option<String>,
    /// Devices with a claim on it: its creator and, for a person, every
    /// device that signed them up to an event.
    pub devices: BTreeSet<DeviceId>,
}

impl Record {
    /// The facts scopes are decided on.
    pub fn audience(&self) -> Audience {
        let mut devices = BTreeSet::from([self.created_by()]);
        if let Record::Person(p) = self {
            devices.extend(p.interactions.iter().filter_map(|i| match i.kind {
                InteractionKind::EventSignUp { .. } => Some(i.recorded_by),
                _ => None,
            }));
        }
        Audience {
            kind: self.kind(),
            patch: self.patch().map(str::to_owned),
            devices,
        }
    }
}

impl Scope {
    /// Whether a device with this scope may receive the record.
    pub fn can_read(&self, audience: &Audience) -> bool {
        match (self, audience.kind) {
            (Self::Admin, _) => true,
            (Self::Viewer, _) => false,
            // Every writer needs the area's patches, topics and ladder, and
            // its working groups, to join people to them.
            (_, DocKind::Area | DocKind::Group) => true,
            (Self::Champion { patches }, _) => {
                audience.patch.as_ref().is_some_and(|p| patches.contains(p))
            }
            // Youth workers sign people up at any event, so they see them all.
            (Self::YouthWorker { .. }, DocKind::Event) => true,
            // People and doors: only those the youth worker recorded.
            (Self::YouthWorker { device }, DocKind::Person | DocKind::Address) => {
                audience.devices.contains(device)
            }
        }
    }

    /// Whether a device with this scope may change the record.
    pub fn can_write(&self, audience: &Audience) -> bool {
        match (self, audience.kind) {
            (Self::Admin, _) => true,
            // The area and its groups are the partnership's to set up.
            (Self::Viewer, _) | (_, DocKind::Area | DocKind::Group) => false,
            (Self::Champion { .. }, _) => self.can_read(audience),
            (Self::YouthWorker { device }, _) => audience.devices.contains(device),
        }
    }

    /// A stable fingerprint, stored in feed cursors so that a device whose
    /// scope changed starts its feed again and receives what it newly may read.
    pub fn fingerprint(&self) -> u64 {
        let text = match self {
            Self::Admin => "admin".to_owned(),
            Self::Viewer => "viewer".to_owned(),
            Self::Champion { patches } => {
                let patches: Vec<&str> = patches.iter().map(String::as_str).collect();
                format!("champion:{}", patches.join(","))
            }
            Self::YouthWorker { device } => format!("youth:{device}"),
        };
        // FNV-1a: stable across builds and platforms, unlike std's hasher.
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DocId, Timestamp};
    use crate::model::WorkingGroup;

    #[test]
    fn every_writer_reads_a_group_and_only_admins_write_one() {
        let at = Timestamp::from_millis(1_760_000_000_000);
        let youth = DeviceId::new(at);
        let group = Record::Group(WorkingGroup {
            id: DocId::new(at),
            area: "north-estate".into(),
            patch: Some("oak-lane".into()),
            name: "Oak Lane residents".into(),
            purpose: None,
            topics: BTreeSet::new(),
            devolved_budget: false,
            devolved_decisions: false,
            constituted: false,
            lead: None,
            closed: false,
            created_by: DeviceId::new(at),
            created_at: at,
        });
        let audience = group.audience();
        // Whatever patch it serves, it belongs to none: the feed files it
        // for everyone.
        assert_eq!(audience.patch, None);
        let elsewhere = Scope::Champion {
            patches: BTreeSet::from(["elm-road".to_owned()]),
        };
        let there = Scope::Champion {
            patches: BTreeSet::from(["oak-lane".to_owned()]),
        };
        for scope in [&elsewhere, &there, &Scope::YouthWorker { device: youth }] {
            assert!(scope.can_read(&audience), "{scope:?}");
            assert!(!scope.can_write(&audience), "{scope:?}");
        }
        assert!(Scope::Admin.can_write(&audience));
        assert!(!Scope::Viewer.can_read(&audience));
    }
}
