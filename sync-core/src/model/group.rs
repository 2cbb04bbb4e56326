use std::collections::BTreeSet;

use crate::ids::{DeviceId, DocId, Timestamp};

/// A working group: residents who take on a piece of the partnership's
/// work (green spaces, a youth forum), often with decisions or a budget
/// devolved to them. People join it through a
/// [`crate::InteractionKind::WorkingGroup`] entry naming its id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkingGroup {
    /// Document id.
    pub id: DocId,
    /// The area (slug) the group belongs to.
    pub area: String,
    /// The patch it serves; `None` for the whole area. Only where it
    /// works: every writer in the area may read the group.
    pub patch: Option<String>,
    /// Its name.
    pub name: String,
    /// What it is for, in a sentence or two.
    pub purpose: Option<String>,
    /// The area's topics it works on.
    pub topics: BTreeSet<String>,
    /// It spends a budget of its own.
    pub devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    pub devolved_decisions: bool,
    /// It has a constitution of its own.
    pub constituted: bool,
    /// The person who leads it, if one does.
    pub lead: Option<DocId>,
    /// Closed by an admin: the record stays, so that memberships and
    /// reports still name it.
    pub closed: bool,
    /// The device that created it.
    pub created_by: DeviceId,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What is needed to create a working group, or to change one (every
/// field is written as given; only what differs changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// The area slug.
    pub area: String,
    /// The patch it serves, or `None` for the whole area.
    pub patch: Option<String>,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub purpose: Option<String>,
    /// The area's topics it works on.
    pub topics: BTreeSet<String>,
    /// It spends a budget of its own.
    pub devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    pub devolved_decisions: bool,
    /// It has a constitution of its own.
    pub constituted: bool,
    /// The person who leads it.
    pub lead: Option<DocId>,
}

impl NewGroup {
    /// An area-wide group with this name and nothing else set yet.
    pub fn new(area: &str, name: &str) -> Self {
        Self {
            area: area.to_owned(),
            patch: None,
            name: name.to_owned(),
            purpose: None,
            topics: BTreeSet::new(),
            devolved_budget: false,
            devolved_decisions: false,
            constituted: false,
            lead: None,
        }
    }
}

impl From<&WorkingGroup> for NewGroup {
    fn from(g: &WorkingGroup) -> Self {
        Self {
            area: g.area.clone(),
            patch: g.patch.clone(),
            name: g.name.clone(),
            purpose: g.purpose.clone(),
            topics: g.topics.clone(),
            devolved_budget: g.devolved_budget,
            devolved_decisions: g.devolved_decisions,
            constituted: g.constituted,
            lead: g.lead,
        }
    }
}

/// The group a membership names: its id when the entry holds one (every
/// membership recorded since groups became records), `None` for the free
/// text older phones wrote.
pub fn group_id(group: &str) -> Option<DocId> {
    group.parse().ok()
}
