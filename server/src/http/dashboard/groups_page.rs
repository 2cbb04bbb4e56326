//! Working groups on the dashboard: the list (where each works, members
//! now, what is devolved to it, its lead), adding one, a group's own page
//! to change or close it and see who is and was in it; and, on a
//! person's page, joining them to a group and recording that they left.
//! All through the same use cases as the API (`crate::ops::groups`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{AreaConfig, DocId, EntryId, Timestamp};

use super::admin_pages::{PatchChoice, patch_choices};
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::groups::{GroupInput, GroupView};

struct GroupLine {
    href: String,
    name: String,
    patch: String,
    members: i64,
    devolved: String,
    lead: String,
    closed: bool,
}

/// "Budget and decisions; constituted", or "Nothing devolved".
fn devolved_words(g: &GroupView) -> String {
    let devolved = match (g.devolved_budget, g.devolved_decisions) {
        (true, true) => "Budget and decisions",
        (true, false) => "Budget",
        (false, true) => "Decisions",
        (false, false) => "Nothing devolved",
    };
    if g.constituted {
        format!("{devolved}; constituted")
    } else {
        devolved.to_owned()
    }
}

/// Where a group works, in words.
fn patch_words(area: Option<&AreaConfig>, patch: Option<&str>) -> String {
    patch.map_or_else(|| "Whole area".to_owned(), |p| labels::patch_name(area, p))
}

/// A lead's name as the admin sees it.
async fn lead_name(state: &AppState, lead: Option<&str>) -> Result<String, Error> {
    let Some(id) = lead.and_then(|l| l.parse::<DocId>().ok()) else {
        return Ok(String::new());
    };
    Ok(ops::groups::person_name(&state.db, id)
        .await?
        .unwrap_or_else(|| "Someone with no name given".to_owned()))
}

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct GroupsPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    problem: String,
    typed: GroupForm,
    patches: Vec<PatchChoice>,
    topics: Vec<TopicBox>,
    groups: Vec<GroupLine>,
}

struct TopicBox {
    value: String,
    checked: bool,
}

fn topic_boxes(area: Option<&AreaConfig>, chosen: &[String]) -> Vec<TopicBox> {
    area.map_or_else(Vec::new, |a| {
        a.topics
            .iter()
            .map(|t| TopicBox {
                checked: chosen.contains(t),
                value: t.clone(),
            })
            .collect()
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// `GET /admin/groups`.
pub(super) async fn groups(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<DoneQuery>,
) -> Result<Response, WebError> {
    user.admin()?;
    let done = match done.done.as_str() {
        "added" => "Added. Phones see it at their next sync.",
        _ => "",
    };
    groups_page(&state, &user, done, None).await
}

async fn groups_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    refused: Option<(GroupForm, String)>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let mut lines = Vec::new();
    for g in ops::groups::list(&state.db, state.now()).await? {
        lines.push(GroupLine {
            href: format!("/admin/groups/{}", g.id),
            patch: patch_words(area.as_ref(), g.patch.as_deref()),
            members: g.members_now,
            devolved: devolved_words(&g),
            lead: lead_name(state, g.lead.as_deref()).await?,
            closed: g.closed,
            name: g.name,
        });
    }
    let (typed, problem) = refused.unwrap_or_default();
    let page = GroupsPage {
        title: "Working groups".into(),
        chrome: Chrome::signed_in(user, "/admin/groups", area.as_ref()),
        done,
        problem: problem.clone(),
        patches: patch_choices(area.as_ref()),
        topics: topic_boxes(area.as_ref(), &typed.topics()),
        typed,
        groups: lines,
    };
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html(&page)?).into_response())
}

/// A group's form: its name, patch (blank: the whole area), purpose,
/// topics (`topic` once for each ticked) and what is devolved to it.
#[derive(Debug, Default)]
pub(super) struct GroupForm {
    csrf: String,
    name: String,
    patch: String,
    purpose: String,
    topic: Vec<String>,
    devolved_budget: Option<String>,
    devolved_decisions: Option<String>,
    constituted: Option<String>,
    lead: String,
}

impl GroupForm {
    fn topics(&self) -> Vec<String> {
        self.topic.clone()
    }

    fn input(&self) -> GroupInput {
        GroupInput {
            name: self.name.clone(),
            patch: Some(self.patch.clone()),
            purpose: Some(self.purpose.clone()),
            topics: self.topics(),
            devolved_budget: self.devolved_budget.is_some(),
            devolved_decisions: self.devolved_decisions.is_some(),
            constituted: self.constituted.is_some(),
            lead: Some(self.lead.clone()),
        }
    }

    fn of(g: &GroupView) -> Self {
        Self {
            csrf: String::new(),
            name: g.name.clone(),
            patch: g.patch.clone().unwrap_or_default(),
            purpose: g.purpose.clone().unwrap_or_default(),
            topic: g.topics.clone(),
            devolved_budget: g.devolved_budget.then(|| "yes".into()),
            devolved_decisions: g.devolved_decisions.then(|| "yes".into()),
            constituted: g.constituted.then(|| "yes".into()),
            lead: g.lead.clone().unwrap_or_default(),
        }
    }
}

/// `POST /admin/groups`.
pub(super) async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    let form = GroupForm::from_pairs(form);
    user.check_form(&form.csrf)?;
    let created = async {
        let group = ops::groups::checked_group(&state.db, form.input()).await?;
        ops::groups::create(&state.db, user.actor(), &group, state.now()).await
    }
    .await;
    match created {
        Ok(_) => Ok(Redirect::to("/admin/groups?done=added").into_response()),
        Err(e) => {
            let problem = refusal(e)?;
            groups_page(&state, &user, "", Some((form, problem))).await
        }
    }
}

impl GroupForm {
    /// The form from its fields as sent (topics repeat, so the form is
    /// read as pairs).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "name" => form.name = value,
                "patch" => form.patch = value,
                "purpose" => form.purpose = value,
                "topic" => form.topic.push(value),
                "devolved_budget" => form.devolved_budget = Some(value),
                "devolved_decisions" => form.devolved_decisions = Some(value),
                "constituted" => form.constituted = Some(value),
                "lead" => form.lead = value,
                _ => {}
            }
        }
        form
    }
}

struct MemberLine {
    person_href: String,
    name: String,
    since: String,
    until: String,
}

#[derive(Template)]
#[template(path = "admin_group.html")]
struct GroupPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    action: String,
    closed: bool,
    problem: String,
    typed: GroupForm,
    patches: Vec<PatchChoice>,
    topics: Vec<TopicBox>,
    lead: String,
    current: Vec<MemberLine>,
    former: Vec<MemberLine>,
}

fn group_id(id: &str) -> Result<DocId, Error> {
    id.parse().map_err(|_| Error::NotFound("working group"))
}

/// `GET /admin/groups/{id}`.
pub(super) async fn group(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, WebError> {
    user.admin()?;
    let id = group_id(&id)?;
    let done = match done.done.as_str() {
        "saved" => "Saved. Phones see the change at their next sync.",
        "closed" => "Closed. It stays on record and takes no new members.",
        "opened" => "Open again.",
        _ => "",
    };
    group_page(&state, &user, id, done, None).await
}

async fn group_page(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    done: &'static str,
    refused: Option<(GroupForm, String)>,
) -> Result<Response, WebError> {
    let now = state.now();
    let group = ops::groups::get(&state.db, id, now).await?;
    let area = ops::area::read(&state.db).await?;
    let members = ops::groups::members(&state.db, user.actor(), id, now).await?;
    let line = |m: &ops::groups::Membership| MemberLine {
        person_href: format!("/admin/people/{}", m.person),
        name: m
            .name
            .clone()
            .unwrap_or_else(|| "Someone with no name given".into()),
        since: calendar::day(m.start),
        until: m.end.map(calendar::day).unwrap_or_default(),
    };
    let (current, former): (Vec<_>, Vec<_>) = members
        .iter()
        .partition(|m| m.end.is_none_or(|end| end > now.as_millis()));
    let (typed, problem) = refused.unwrap_or_else(|| (GroupForm::of(&group), String::new()));
    let page = GroupPage {
        title: group.name.clone(),
        chrome: Chrome::signed_in(user, "/admin/groups", area.as_ref()),
        done,
        action: format!("/admin/groups/{id}"),
        closed: group.closed,
        problem: problem.clone(),
        patches: patch_choices(area.as_ref()),
        topics: topic_boxes(area.as_ref(), &typed.topics()),
        lead: lead_name(state, group.lead.as_deref()).await?,
        typed,
        current: current.into_iter().map(line).collect(),
        former: former.into_iter().map(line).collect(),
    };
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html(&page)?).into_response())
}

/// `POST /admin/groups/{id}`: new details.
pub(super) async fn save(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    let form = GroupForm::from_pairs(form);
    user.check_form(&form.csrf)?;
    let id = group_id(&id)?;
    let saved = async {
        let group = ops::groups::checked_group(&state.db, form.input()).await?;
        ops::groups::update(&state.db, user.actor(), id, &group, state.now()).await
    }
    .await;
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/admin/groups/{id}?done=saved")).into_response()),
        Err(e) => {
            let problem = refusal(e)?;
            group_page(&state, &user, id, "", Some((form, problem))).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/groups/{id}/close`: closing can be undone, so it needs
/// no confirmation.
pub(super) async fn close(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    set_closed(state, user, id, form, true).await
}

/// `POST /admin/groups/{id}/open`.
pub(super) async fn open(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    set_closed(state, user, id, form, false).await
}

async fn set_closed(
    state: AppState,
    user: WebUser,
    id: String,
    form: CsrfForm,
    closed: bool,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let id = group_id(&id)?;
    ops::groups::set_closed(&state.db, user.actor(), id, closed, state.now()).await?;
    let done = if closed { "closed" } else { "opened" };
    Ok(Redirect::to(&format!("/admin/groups/{id}?done={done}")).into_response())
}

/// A working-group membership as a person's page shows it.
pub(super) struct MembershipLine {
    pub(super) group: String,
    /// The group's page; blank for a name older phones recorded.
    pub(super) href: String,
    pub(super) since: String,
    pub(super) until: String,
    /// Where its "left" form posts, while they are a member.
    pub(super) end_action: String,
}

/// A group to join, on a person's page.
pub(super) struct GroupChoice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The "joined a group" form as typed, and why it was refused.
#[derive(Debug, Default, Clone)]
pub(super) struct JoinTyped {
    pub(super) group: String,
    pub(super) start: String,
    pub(super) problem: String,
}

/// A person's memberships, each with its group's name (or the name an
/// older phone recorded, said to be not on the list), and the open
/// groups they could join.
pub(super) fn person_groups(
    profile: &ops::profiles::Profile,
    groups: &[GroupView],
    typed: &JoinTyped,
    now: i64,
) -> (Vec<MembershipLine>, Vec<GroupChoice>) {
    let lines = profile
        .groups
        .iter()
        .map(|m| {
            let known = groups.iter().find(|g| g.id == m.group);
            let held = m.end.is_none_or(|end| end > now);
            MembershipLine {
                group: known.map_or_else(
                    || format!("{} (not on the list of groups)", m.group),
                    |g| g.name.clone(),
                ),
                href: known.map_or_else(String::new, |g| format!("/admin/groups/{}", g.id)),
                since: calendar::day(m.start),
                until: m.end.map(calendar::day).unwrap_or_default(),
                end_action: if held {
                    format!("/admin/people/{}/groups/{}/end", profile.id, m.entry)
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let choices = groups
        .iter()
        .filter(|g| !g.closed)
        .map(|g| GroupChoice {
            selected: g.id == typed.group,
            value: g.id.clone(),
            label: g.name.clone(),
        })
        .collect();
    (lines, choices)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct JoinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    start: String,
}

/// `POST /admin/people/{id}/groups`: they joined a group.
pub(super) async fn join(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<JoinForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let joined = async {
        let group: DocId = form
            .group
            .parse()
            .map_err(|_| Error::BadRequest("choose the group they joined".to_owned()))?;
        let start = calendar::parse_date(form.start.trim(), "the day they joined")?;
        ops::groups::join(
            &state.db,
            user.actor(),
            person,
            group,
            Timestamp::from_millis(start),
            state.now(),
        )
        .await
    }
    .await;
    let typed = JoinTyped {
        group: form.group,
        start: form.start,
        problem: String::new(),
    };
    membership_saved_or_refused(&state, &user, person, joined.map(drop), typed).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LeaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    end: String,
}

/// `POST /admin/people/{id}/groups/{entry}/end`: they left a group.
pub(super) async fn leave(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, entry)): Path<(String, String)>,
    Form(form): Form<LeaveForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let person: DocId = id.parse().map_err(|_| Error::NotFound("person"))?;
    let entry: EntryId = entry.parse().map_err(|_| Error::NotFound("membership"))?;
    let left = async {
        let end = calendar::parse_date(form.end.trim(), "the day they left")?;
        ops::groups::leave(
            &state.db,
            user.actor(),
            person,
            entry,
            Timestamp::from_millis(end),
            state.now(),
        )
        .await
    }
    .await;
    membership_saved_or_refused(&state, &user, person, left, JoinTyped::default()).await
}

async fn membership_saved_or_refused(
    state: &AppState,
    user: &WebUser,
    person: DocId,
    saved: Result<(), Error>,
    mut typed: JoinTyped,
) -> Result<Response, WebError> {
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/admin/people/{person}?done=group")).into_response()),
        Err(e) => {
            typed.problem = format!("Not recorded: {}", refusal(e)?);
            super::people_page::refused_group(state, user, person, typed).await
        }
    }
}
