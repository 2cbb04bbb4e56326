//! Working groups as the projection holds them (`working_groups`), and
//! their memberships (`roles` of kind `working-group`, named by the
//! group's id, or by free text from older phones).

use sqlx::AnyConnection;
use sync_core::{DocId, Timestamp};

use crate::error::{Error, Result};

/// A working group's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// Its id.
    pub id: DocId,
    /// The patch it serves; `None` for the whole area.
    pub patch: Option<String>,
    /// Its name.
    pub name: String,
    /// The area's topics it works on.
    pub topics: Vec<String>,
    /// It spends a budget of its own.
    pub devolved_budget: bool,
    /// It makes decisions handed to it.
    pub devolved_decisions: bool,
    /// It has a constitution.
    pub constituted: bool,
    /// The person leading it.
    pub lead: Option<DocId>,
    /// Closed (it stays on record).
    pub closed: bool,
    /// When it was created (ms since the epoch).
    pub created_at: i64,
}

type Raw = (
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
);

fn parse_id(id: &str) -> Result<DocId> {
    id.parse()
        .map_err(|_| Error::Corrupt(format!("working group id {id}")))
}

fn row(raw: Raw) -> Result<GroupRow> {
    let (id, patch, name, topics, budget, decisions, constituted, lead, closed, created_at) = raw;
    Ok(GroupRow {
        id: parse_id(&id)?,
        patch,
        name,
        topics: topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        devolved_budget: budget != 0,
        devolved_decisions: decisions != 0,
        constituted: constituted != 0,
        lead: lead.as_deref().map(parse_id).transpose()?,
        closed: closed != 0,
        created_at,
    })
}

const COLUMNS: &str = "id, patch, name, topics, devolved_budget, devolved_decisions, \
                       constituted, lead, closed, created_at";

/// Every working group, by name then id.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<GroupRow>> {
    let sql = format!("SELECT {COLUMNS} FROM working_groups ORDER BY name, id");
    let rows: Vec<Raw> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(row).collect()
}

/// The working group with this id, if there is one.
pub async fn get(conn: &mut AnyConnection, id: DocId) -> Result<Option<GroupRow>> {
    let sql = format!("SELECT {COLUMNS} FROM working_groups WHERE id = $1");
    let raw: Option<Raw> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    raw.map(row).transpose()
}

/// How many people are members of each group at `now`, by what their
/// memberships name (a group's id, or a free-text name).
pub async fn members_now(conn: &mut AnyConnection, now: Timestamp) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT name, COUNT(DISTINCT person_id) FROM roles WHERE kind = 'working-group' \
         AND start_at <= $1 AND (end_at IS NULL OR end_at > $1) GROUP BY name ORDER BY name",
    )
    .bind(now.as_millis())
    .fetch_all(&mut *conn)
    .await?)
}

/// The people whose memberships name `group` (its id as text), ever.
pub async fn member_ids(conn: &mut AnyConnection, group: &str) -> Result<Vec<DocId>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT person_id FROM roles WHERE kind = 'working-group' AND name = $1 \
         ORDER BY person_id",
    )
    .bind(group)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id,)| {
            id.parse()
                .map_err(|_| Error::Corrupt(format!("person id {id}")))
        })
        .collect()
}

/// A working-group membership as the groups report reads it: the member,
/// what it names (a group's id, or a free-text name), when, and the
/// member's first contact and record key (never a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The member.
    pub person: String,
    /// What the membership names.
    pub group: String,
    /// Joined (ms since the epoch).
    pub start: i64,
    /// Left, if they have.
    pub end: Option<i64>,
    /// When the member was first contacted, if they reached that stage.
    pub first_contact: Option<i64>,
    /// The member's record key (see `reports::cell_key`).
    pub record_key: i64,
}

/// Every working-group membership ever held, with its member's first
/// contact and record key.
pub async fn member_rows(conn: &mut AnyConnection) -> Result<Vec<MemberRow>> {
    type Member = (String, String, i64, Option<i64>, Option<i64>, i64);
    let rows: Vec<Member> = sqlx::query_as(
        "SELECT person_id, name, start_at, end_at, first_contact_at, record_key \
         FROM roles WHERE kind = 'working-group' ORDER BY person_id, start_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(person, group, start, end, first_contact, record_key)| MemberRow {
                person,
                group,
                start,
                end,
                first_contact,
                record_key,
            },
        )
        .collect())
}
