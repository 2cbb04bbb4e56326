//! The admin's people pages: find a person by name, email or phone, and
//! record or correct their details (residency, age band, tenure, language,
//! contact details), through the same use cases as the API
//! ([`crate::ops::profiles`]). A refused change shows the page again with
//! what was typed and the reason.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{AgeBand, DocId, ResidentBasis, Tenure};

use super::board_page::{HatBox, RoleLine, RoleTyped};
use super::confirm_page::ConfirmedForm;
use super::groups_page::{GroupChoice, JoinTyped, MembershipLine, person_groups};
use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::languages::{self, LANGUAGES};
use crate::ops;
use crate::ops::profiles::{Profile, ProfileChange};

struct Found {
    href: String,
    name: String,
    patch: String,
    age_band: String,
    recorded: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    search: String,
    /// Why the search could not run, if it could not.
    problem: String,
    searched: bool,
    found: Vec<Found>,
    more: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    search: String,
    /// `erased` after an erasure.
    #[serde(default)]
    done: String,
}

/// `GET /admin/people`: the search form, and what it found.
pub(super) async fn people(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let patch_name = |slug: &str| crate::labels::patch_name(area.as_ref(), slug);
    let search = query.search.trim().to_owned();
    let (mut found, mut more, mut problem) = (Vec::new(), false, String::new());
    if !search.is_empty() {
        match ops::profiles::find(&state.db, user.actor(), &search, state.now()).await {
            Ok((people, over)) => {
                more = over;
                found = people
                    .into_iter()
                    .map(|p| Found {
                        href: format!("/admin/people/{}", p.id),
                        name: p.name.clone().unwrap_or_else(|| "(no name given)".into()),
                        patch: patch_name(&p.patch),
                        age_band: p.age_band.clone().unwrap_or_default(),
                        recorded: calendar::day(p.created_at),
                        contact: [p.email.as_deref(), p.phone.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                    .collect();
            }
            Err(Error::BadRequest(message)) => problem = message,
            Err(other) => return Err(other.into()),
        }
    }
    let page = PeoplePage {
        title: "People".into(),
        chrome: Chrome::signed_in(&user, "/admin/people", area.as_ref()),
        done: match query.done.as_str() {
            "erased" => "Erased. Every phone holding them deletes its copy at its next sync.",
            "suppressed" => {
                "Done: only a do-not-contact entry is kept. Phones replace their copy at their next sync."
            }
            _ => "",
        },
        searched: !search.is_empty() && problem.is_empty(),
        search,
        problem,
        found,
        more,
    };
    Ok(html(&page)?.into_response())
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices<'a>(
    all: impl IntoIterator<Item = (&'a str, String)>,
    current: Option<&str>,
) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| Choice {
            selected: Some(value) == current,
            value: value.to_owned(),
            label,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    /// Why the last change was refused, if it was.
    problem: String,
    action: String,
    name: String,
    phone: String,
    email: String,
    patch: String,
    recorded: String,
    age_bands: Vec<Choice>,
    residency: Vec<Choice>,
    tenures: Vec<Choice>,
    languages: Vec<Choice>,
    /// A language recorded that the list does not know, kept as typed.
    other_language: String,
    /// The seats and offices they hold or held.
    roles: Vec<RoleLine>,
    role_choices: Vec<Choice>,
    /// The "took up" form's start and hats: blank and none, or as typed.
    role_start: String,
    role_hats: Vec<HatBox>,
    role_problem: String,
    /// The working groups they are or were in.
    memberships: Vec<MembershipLine>,
    /// The open groups they could join, and the "joined" form as typed.
    group_choices: Vec<GroupChoice>,
    group_start: String,
    group_problem: String,
    today: String,
}

/// What the form shows: the record's values, or what was typed.
struct Shown {
    name: String,
    phone: String,
    email: String,
    age_band: String,
    residency: Vec<String>,
    tenure: String,
    language: String,
    /// The "took up" form.
    role: RoleTyped,
    /// The "joined a group" form.
    group: JoinTyped,
}

impl From<&Profile> for Shown {
    fn from(p: &Profile) -> Self {
        Self {
            name: p.name.clone().unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            age_band: p.age_band.clone().unwrap_or_default(),
            residency: p.residency.clone(),
            tenure: p.tenure.clone().unwrap_or_default(),
            language: p.language.clone().unwrap_or_default(),
            role: RoleTyped::default(),
            group: JoinTyped::default(),
        }
    }
}

impl From<&PersonForm> for Shown {
    fn from(f: &PersonForm) -> Self {
        Self {
            name: f.name.clone(),
            phone: f.phone.clone(),
            email: f.email.clone(),
            age_band: f.age_band.clone(),
            residency: f.residency(),
            tenure: f.tenure.clone(),
            language: f.language.clone(),
            role: RoleTyped::default(),
            group: JoinTyped::default(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn person_page(
    user: &WebUser,
    area: Option<&sync_core::AreaConfig>,
    profile: &Profile,
    groups: &[ops::groups::GroupView],
    shown: &Shown,
    done: &'static str,
    problem: String,
    now: i64,
) -> Result<Response, WebError> {
    let (memberships, group_choices) = person_groups(profile, groups, &shown.group, now);
    let patch = crate::labels::patch_name(area, &profile.patch);
    let known_language = LANGUAGES.iter().any(|(code, _)| *code == shown.language);
    let page = PersonPage {
        title: profile
            .name
            .clone()
            .unwrap_or_else(|| "A person with no name given".into()),
        chrome: Chrome::signed_in(user, "/admin/people", area),
        done,
        problem,
        action: format!("/admin/people/{}", profile.id),
        name: shown.name.clone(),
        phone: shown.phone.clone(),
        email: shown.email.clone(),
        patch,
        recorded: calendar::day(profile.created_at),
        age_bands: choices(
            AgeBand::ALL
                .iter()
                .map(|b| (b.as_str(), b.as_str().to_owned())),
            Some(&shown.age_band),
        ),
        residency: ResidentBasis::ALL
            .iter()
            .map(|b| Choice {
                value: b.as_str().to_owned(),
                label: labels::residency(*b).to_owned(),
                selected: shown.residency.iter().any(|r| r == b.as_str()),
            })
            .collect(),
        tenures: choices(
            Tenure::ALL
                .iter()
                .map(|t| (t.as_str(), labels::tenure(*t).to_owned())),
            Some(&shown.tenure),
        ),
        languages: choices(
            LANGUAGES
                .iter()
                .map(|(code, name)| (*code, (*name).to_owned())),
            Some(&shown.language),
        ),
        other_language: if known_language {
            String::new()
        } else {
            languages::name(&shown.language)
        },
        roles: profile
            .roles
            .iter()
            .map(|h| RoleLine::of(h, &profile.id, now))
            .collect(),
        role_choices: choices(
            sync_core::Role::ALL
                .iter()
                .map(|r| (r.as_str(), labels::role(*r).to_owned())),
            Some(&shown.role.role),
        ),
        role_start: if shown.role.start.is_empty() {
            calendar::date(now)
        } else {
            shown.role.start.clone()
        },
        role_hats: HatBox::all(&shown.role.hats),
        role_problem: shown.role.problem.clone(),
        memberships,
        group_choices,
        group_start: if shown.group.start.is_empty() {
            calendar::date(now)
        } else {
            shown.group.start.clone()
        },
        group_problem: shown.group.problem.clone(),
        today: calendar::date(now),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PersonQuery {
    #[serde(default)]
    done: String,
}

fn person_id(id: &str) -> Result<DocId, WebError> {
    id.parse()
        .map_err(|_| WebError::Page(Error::NotFound("person")))
}

/// What an admin can do to a person's whole record, from its confirmation
/// page.
#[derive(Debug, Clone, Copy)]
enum Removal {
    Erase,
    Suppress,
}

impl Removal {
    /// Its action's last path segment, and the people page's `?done=`.
    fn key(self) -> (&'static str, &'static str) {
        match self {
            Self::Erase => ("erase", "erased"),
            Self::Suppress => ("suppress", "suppressed"),
        }
    }
}

/// The post behind a removal's confirmation page (a post without the
/// confirmation is sent there).
async fn remove(
    state: &AppState,
    user: &WebUser,
    id: &str,
    form: &ConfirmedForm,
    how: Removal,
) -> Result<Response, WebError> {
    let id = person_id(id)?;
    let (action, done) = how.key();
    if let Some(first) = form.check(user, &format!("/admin/people/{id}/{action}"))? {
        return Ok(first);
    }
    match how {
        Removal::Erase => {
            ops::people::erase(&state.db, user.actor(), id, state.now()).await?;
        }
        Removal::Suppress => {
            ops::people::suppress(&state.db, user.actor(), id, state.now()).await?;
        }
    }
    Ok(Redirect::to(&format!("/admin/people?done={done}")).into_response())
}

/// `POST /admin/people/{id}/erase`.
pub(super) async fn erase(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    remove(&state, &user, &id, &form, Removal::Erase).await
}

/// `POST /admin/people/{id}/suppress`.
pub(super) async fn suppress(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    remove(&state, &user, &id, &form, Removal::Suppress).await
}

/// `GET /admin/people/{id}/export`: everything held about them, as a
/// JSON file (a subject access request), logged.
pub(super) async fn export(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.admin()?;
    let id = person_id(&id)?;
    let held = ops::people::export(&state.db, user.actor(), id, state.now()).await?;
    let body = serde_json::to_string_pretty(&held)
        .map_err(|e| Error::Render(format!("the export as JSON: {e}")))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /admin/people/{id}`: their details, as a form.
pub(super) async fn person(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(query): Query<PersonQuery>,
) -> Result<Response, WebError> {
    user.admin()?;
    let id = person_id(&id)?;
    let area = ops::area::read(&state.db).await?;
    let profile = ops::profiles::view(&state.db, user.actor(), id, state.now()).await?;
    let done = match query.done.as_str() {
        "saved" => "Saved. Phones receive the change at their next sync.",
        "role" => "Saved: the board and the resident-led report count it now.",
        "group" => "Saved: the groups report counts it now, and phones see it at their next sync.",
        _ => "",
    };
    let groups = ops::groups::list(&state.db, state.now()).await?;
    person_page(
        &user,
        area.as_ref(),
        &profile,
        &groups,
        &Shown::from(&profile),
        done,
        String::new(),
        state.now().as_millis(),
    )
}

/// The person's page again after a seat, an office or its hats was
/// refused: the reason, and the "took up" form as typed.
pub(super) async fn refused_role(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    typed: RoleTyped,
) -> Result<Response, WebError> {
    refused(state, user, id, |shown| Shown {
        role: typed,
        ..shown
    })
    .await
}

/// The person's page again after joining or leaving a group was
/// refused: the reason, and the "joined" form as typed.
pub(super) async fn refused_group(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    typed: JoinTyped,
) -> Result<Response, WebError> {
    refused(state, user, id, |shown| Shown {
        group: typed,
        ..shown
    })
    .await
}

/// The person's page with what `typed` puts back into its forms, answered
/// 422: a form on it was refused.
async fn refused(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    typed: impl FnOnce(Shown) -> Shown,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let profile = ops::profiles::view(&state.db, user.actor(), id, state.now()).await?;
    let shown = typed(Shown::from(&profile));
    let groups = ops::groups::list(&state.db, state.now()).await?;
    let mut page = person_page(
        user,
        area.as_ref(),
        &profile,
        &groups,
        &shown,
        "",
        String::new(),
        state.now().as_millis(),
    )?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

/// The person form: every field is sent; a blank one is cleared.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    age_band: String,
    #[serde(default)]
    tenure: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    residency_lives: Option<String>,
    #[serde(default)]
    residency_works: Option<String>,
    #[serde(default)]
    residency_studies: Option<String>,
    #[serde(default)]
    residency_worships: Option<String>,
    #[serde(default)]
    residency_other: Option<String>,
}

impl PersonForm {
    /// The reasons ticked.
    fn residency(&self) -> Vec<String> {
        [
            (ResidentBasis::Lives, &self.residency_lives),
            (ResidentBasis::Works, &self.residency_works),
            (ResidentBasis::Studies, &self.residency_studies),
            (ResidentBasis::Worships, &self.residency_worships),
            (ResidentBasis::Other, &self.residency_other),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(basis, _)| basis.as_str().to_owned())
        .collect()
    }

    /// The change: what is filled in is set, what is blank is cleared.
    fn change(&self) -> ProfileChange {
        let mut change = ProfileChange {
            residency: Some(self.residency()),
            ..ProfileChange::default()
        };
        let fields = [
            ("name", &self.name, &mut change.name),
            ("phone", &self.phone, &mut change.phone),
            ("email", &self.email, &mut change.email),
            ("age-band", &self.age_band, &mut change.age_band),
            ("tenure", &self.tenure, &mut change.tenure),
            ("language", &self.language, &mut change.language),
        ];
        let mut clear = Vec::new();
        for (detail, typed, field) in fields {
            let typed = typed.trim();
            if typed.is_empty() {
                clear.push(detail.to_owned());
            } else {
                *field = Some(typed.to_owned());
            }
        }
        change.clear = clear;
        change
    }
}

/// `POST /admin/people/{id}`: saves the form.
pub(super) async fn save_person(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let id = person_id(&id)?;
    let saved = match form.change().into_details() {
        Ok(details) => {
            ops::profiles::edit(&state.db, user.actor(), id, &details, state.now()).await
        }
        Err(refused) => Err(refused),
    };
    let problem = match saved {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/admin/people/{id}?done=saved")).into_response());
        }
        Err(Error::BadRequest(message)) => message,
        Err(Error::Core(sync_core::Error::Validation(broken))) => broken.to_string(),
        Err(other) => return Err(other.into()),
    };
    let area = ops::area::read(&state.db).await?;
    let profile = ops::profiles::view(&state.db, user.actor(), id, state.now()).await?;
    let groups = ops::groups::list(&state.db, state.now()).await?;
    let mut page = person_page(
        &user,
        area.as_ref(),
        &profile,
        &groups,
        &Shown::from(&form),
        "",
        format!("Not saved: {problem}"),
        state.now().as_millis(),
    )?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}
