//! Working groups, as admins set them up (create, change, close) and
//! join people to them (a membership on the person's record naming the
//! group's id, ended when they leave). Each is written by the server like
//! any other edit, so phones, projections and reports follow.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sync_core::{
    DocId, EntryId, InteractionKind, NewGroup, Person, Record, Timestamp, ValidationError,
    WorkingGroup, authoring, group_id, read_record,
};

use super::{Logged, create_as_server, edit_as_server};
use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Db, area, commit_if_ok, documents, groups};

/// A broken rule, answered as any record's (422, with its field).
fn invalid(broken: ValidationError) -> Error {
    Error::Core(sync_core::Error::Validation(broken))
}

/// A working group as the API and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupView {
    /// The document id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The patch it serves; none for the whole area.
    pub patch: Option<String>,
    /// What it is for.
    pub purpose: Option<String>,
    /// The area's topics it works on.
    pub topics: Vec<String>,
    /// It spends a budget of its own.
    pub devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    pub devolved_decisions: bool,
    /// It has a constitution of its own.
    pub constituted: bool,
    /// The id of the person leading it.
    pub lead: Option<String>,
    /// Closed: it stays on record, and takes no new members.
    pub closed: bool,
    /// How many people are members now.
    pub members_now: i64,
}

impl GroupView {
    fn of(g: &WorkingGroup, members_now: i64) -> Self {
        Self {
            id: g.id.to_string(),
            name: g.name.clone(),
            patch: g.patch.clone(),
            purpose: g.purpose.clone(),
            topics: g.topics.iter().cloned().collect(),
            devolved_budget: g.devolved_budget,
            devolved_decisions: g.devolved_decisions,
            constituted: g.constituted,
            lead: g.lead.map(|l| l.to_string()),
            closed: g.closed,
            members_now,
        }
    }
}

/// A working group to create, or the new details of one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupInput {
    /// Its name.
    pub name: String,
    /// The patch it serves (a slug); none for the whole area.
    #[serde(default)]
    pub patch: Option<String>,
    /// What it is for.
    #[serde(default)]
    pub purpose: Option<String>,
    /// The area's topics it works on.
    #[serde(default)]
    pub topics: Vec<String>,
    /// It spends a budget of its own.
    #[serde(default)]
    pub devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    #[serde(default)]
    pub devolved_decisions: bool,
    /// It has a constitution of its own.
    #[serde(default)]
    pub constituted: bool,
    /// The id of the person leading it.
    #[serde(default)]
    pub lead: Option<String>,
}

/// A group from the admin's input, checked against the area: the area
/// must be configured, the patch one of its patches, each topic one of
/// its topics, and the lead a person held.
pub async fn checked_group(db: &Db, input: GroupInput) -> Result<NewGroup> {
    let config = area::read(db)
        .await?
        .ok_or_else(|| Error::BadRequest("set up the area before adding groups".into()))?;
    let patch = input
        .patch
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if patch.as_deref().is_some_and(|p| config.patch(p).is_none()) {
        return Err(invalid(ValidationError::UnknownPatch));
    }
    let topics: BTreeSet<String> = input
        .topics
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if topics.iter().any(|t| !config.topics.contains(t)) {
        return Err(invalid(ValidationError::UnknownTopic {
            field: "group topics",
        }));
    }
    let lead = match input
        .lead
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        None => None,
        Some(text) => {
            let id: DocId = text
                .parse()
                .map_err(|_| Error::BadRequest("the lead must be a person's id".into()))?;
            let mut conn = db.pool.acquire().await?;
            let id = documents::current_id(&mut conn, id).await?;
            match documents::bytes(&mut conn, id).await? {
                Some(bytes) if matches!(read_record(&bytes)?, Record::Person(_)) => Some(id),
                _ => {
                    return Err(Error::BadRequest(
                        "the lead is not a person on record".into(),
                    ));
                }
            }
        }
    };
    Ok(NewGroup {
        area: config.area,
        patch,
        name: input.name.trim().to_owned(),
        purpose: input
            .purpose
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
        topics,
        devolved_budget: input.devolved_budget,
        devolved_decisions: input.devolved_decisions,
        constituted: input.constituted,
        lead,
    })
}

/// Creates a working group on behalf of `actor`, logged, and returns its id.
pub async fn create(db: &Db, actor: Actor, group: &NewGroup, now: Timestamp) -> Result<DocId> {
    create_as_server(db, actor, Action::CreatedGroup, now, |id, by| {
        Ok(authoring::group_push(None, id, group, by, now)?)
    })
    .await
}

/// Changes a working group's details on behalf of `actor`, logged.
/// `NotFound` if there is no such group.
pub async fn update(
    db: &Db,
    actor: Actor,
    id: DocId,
    group: &NewGroup,
    now: Timestamp,
) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedGroup,
        detail: "",
    };
    edit_as_server(db, actor, id, "working group", logged, now, |stored, by| {
        Ok(authoring::group_push(Some(stored), id, group, by, now)?)
    })
    .await
}

/// Closes a working group (`closed`), or opens it again, on behalf of
/// `actor`, logged. It stays on record either way. `NotFound` if there is
/// no such group.
pub async fn set_closed(
    db: &Db,
    actor: Actor,
    id: DocId,
    closed: bool,
    now: Timestamp,
) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedGroup,
        detail: if closed { "closed" } else { "opened again" },
    };
    edit_as_server(db, actor, id, "working group", logged, now, |stored, _| {
        Ok(authoring::group_closed_push(stored, closed, now)?)
    })
    .await
}

/// Every working group, by name, with how many are members at `now`.
pub async fn list(db: &Db, now: Timestamp) -> Result<Vec<GroupView>> {
    let mut conn = db.pool.acquire().await?;
    let counts: BTreeMap<String, i64> = groups::members_now(&mut conn, now)
        .await?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for row in groups::list(&mut conn).await? {
        if let Some(bytes) = documents::bytes(&mut conn, row.id).await?
            && let Record::Group(g) = read_record(&bytes)?
        {
            let members = counts.get(&g.id.to_string()).copied().unwrap_or(0);
            out.push(GroupView::of(&g, members));
        }
    }
    Ok(out)
}

/// The working group with this id; `NotFound` if there is none.
pub async fn get(db: &Db, id: DocId, now: Timestamp) -> Result<GroupView> {
    let group = read_group(db, id).await?;
    let mut conn = db.pool.acquire().await?;
    let members = groups::members_now(&mut conn, now)
        .await?
        .into_iter()
        .find(|(name, _)| *name == id.to_string())
        .map_or(0, |(_, n)| n);
    Ok(GroupView::of(&group, members))
}

/// The name of person `id`, for an admin's page naming a group's lead
/// (`None` when they gave none or are not held).
pub async fn person_name(db: &Db, id: DocId) -> Result<Option<String>> {
    let mut conn = db.pool.acquire().await?;
    let id = documents::current_id(&mut conn, id).await?;
    match documents::bytes(&mut conn, id).await? {
        Some(bytes) => match read_record(&bytes)? {
            Record::Person(p) => Ok(p.name),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

async fn read_group(db: &Db, id: DocId) -> Result<WorkingGroup> {
    let mut conn = db.pool.acquire().await?;
    let bytes = documents::bytes(&mut conn, id)
        .await?
        .ok_or(Error::NotFound("working group"))?;
    match read_record(&bytes)? {
        Record::Group(g) => Ok(g),
        _ => Err(Error::NotFound("working group")),
    }
}

/// A membership of a working group, as a person's page and a group's
/// page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Membership {
    /// The membership's entry on the person's record (what ends it).
    pub entry: String,
    /// The person.
    pub person: String,
    /// Their name, if given.
    pub name: Option<String>,
    /// The group's id, or the name an older phone recorded.
    pub group: String,
    /// Whether `group` is a group's id.
    pub by_id: bool,
    /// Joined (ms since the epoch).
    pub start: i64,
    /// Left, if they have.
    pub end: Option<i64>,
}

/// The working-group memberships recorded on a person, oldest first.
pub fn memberships(person: &Person) -> Vec<Membership> {
    let mut held: Vec<Membership> = person
        .interactions
        .iter()
        .filter_map(|i| match &i.kind {
            InteractionKind::WorkingGroup { group, start, end } => Some(Membership {
                entry: i.id.to_string(),
                person: person.id.to_string(),
                name: person.name.clone(),
                group: group.clone(),
                by_id: group_id(group).is_some(),
                start: start.as_millis(),
                end: end.map(Timestamp::as_millis),
            }),
            _ => None,
        })
        .collect();
    held.sort_by_key(|m| (m.start, m.entry.clone()));
    held
}

/// Everyone who was ever a member of group `id` (current members first,
/// then by when they joined), for `actor`, who is logged: the list holds
/// names. `NotFound` if there is no such group.
pub async fn members(db: &Db, actor: Actor, id: DocId, now: Timestamp) -> Result<Vec<Membership>> {
    read_group(db, id).await?;
    let key = id.to_string();
    let mut found = Vec::new();
    {
        let mut conn = db.pool.acquire().await?;
        for person in groups::member_ids(&mut conn, &key).await? {
            let Some(bytes) = documents::bytes(&mut conn, person).await? else {
                continue;
            };
            if let Record::Person(p) = read_record(&bytes)? {
                found.extend(memberships(&p).into_iter().filter(|m| m.group == key));
            }
        }
    }
    let current = |m: &Membership| m.end.is_none_or(|end| end > now.as_millis());
    found.sort_by_key(|m| (!current(m), m.start, m.entry.clone()));
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let detail = found.len().to_string();
    let logged = audit::record(
        &mut tx,
        now,
        actor,
        Action::ListedGroupMembers,
        Some(id),
        &detail,
    )
    .await;
    commit_if_ok(tx, logged).await?;
    Ok(found)
}

/// Records that `person` joined working group `group` at `start`, on
/// behalf of `actor`, logged. Refused when the group is closed or they
/// are a member already. Returns the membership's entry.
pub async fn join(
    db: &Db,
    actor: Actor,
    person: DocId,
    group: DocId,
    start: Timestamp,
    now: Timestamp,
) -> Result<EntryId> {
    if read_group(db, group).await?.closed {
        return Err(invalid(ValidationError::GroupClosed));
    }
    let logged = Logged {
        action: Action::ChangedPerson,
        detail: "joined a working group",
    };
    let mut joined = None;
    edit_as_server(db, actor, person, "person", logged, now, |stored, by| {
        if let Record::Person(p) = read_record(stored)? {
            let key = group.to_string();
            let member = memberships(&p)
                .iter()
                .any(|m| m.group == key && m.end.is_none());
            if member {
                return Err(invalid(ValidationError::Duplicate {
                    field: "working-group membership",
                }));
            }
        }
        let (entry, push) = authoring::join_group_push(stored, group, start, by, now)?;
        joined = Some(entry);
        Ok(push)
    })
    .await?;
    joined.ok_or_else(|| Error::Corrupt("a new membership made no change".into()))
}

/// Records that `person` left the working group of membership `entry` at
/// `end`, on behalf of `actor`, logged. `NotFound` if they have no such
/// membership; refused when `end` is before they joined.
pub async fn leave(
    db: &Db,
    actor: Actor,
    person: DocId,
    entry: EntryId,
    end: Timestamp,
    now: Timestamp,
) -> Result<()> {
    let logged = Logged {
        action: Action::ChangedPerson,
        detail: "left a working group",
    };
    edit_as_server(db, actor, person, "person", logged, now, |stored, _| {
        authoring::end_membership_push(stored, entry, end, now).map_err(|e| match e {
            sync_core::Error::NoSuchEntry(_)
            | sync_core::Error::Validation(ValidationError::NotEndable) => {
                Error::NotFound("membership")
            }
            other => other.into(),
        })
    })
    .await
}
