//! The area page: its name, time zone, threshold, seats and small-number
//! threshold, its patches and their households, topics, lawful bases, and
//! the ladder and resident definitions it reports against. Each form posts
//! to the same use cases as the API and the command line
//! (`crate::ops::area`); a refused one is shown again as typed, with the
//! reason beside it.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sync_core::{
    AgeBand, AreaConfig, ConsentPurpose, DeviceId, DocId, LawfulBasis, ResidentBasis, StageRule,
    Tenure,
};

use super::admin_pages::{Done, Notice};
use super::confirm_page::ConfirmedForm;
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::area::{AreaChange, AreaView, ResidentDefinitionView, StageView};

struct PatchLine {
    slug: String,
    name: String,
    households: u32,
}

/// A patch's census form: each figure as stored or typed (blank: not
/// entered), and why it was refused, if it was.
struct CensusForm {
    slug: String,
    name: String,
    ages: Vec<CensusField>,
    tenures: Vec<CensusField>,
    problem: String,
}

struct CensusField {
    /// The form field's name (`age-18-24`, `tenure-owner`).
    field: String,
    label: String,
    value: String,
}

impl CensusForm {
    /// The form for `patch`, with its stored figures, or `typed` ones.
    fn of(patch: &sync_core::PatchConfig, typed: Option<&[(String, String)]>) -> Self {
        let stored = patch.census.clone().unwrap_or_default();
        let value = |field: &str, stored: Option<&u32>| match typed {
            Some(typed) => cell(typed, field).to_owned(),
            None => stored.map(u32::to_string).unwrap_or_default(),
        };
        Self {
            slug: patch.id.clone(),
            name: patch.name.clone(),
            ages: AgeBand::ALL
                .iter()
                .map(|b| {
                    let field = format!("age-{}", b.as_str());
                    CensusField {
                        value: value(&field, stored.residents_by_age.get(b)),
                        label: format!("Residents aged {}", age_words(*b)),
                        field,
                    }
                })
                .collect(),
            tenures: Tenure::ALL
                .iter()
                .map(|t| {
                    let field = format!("tenure-{}", t.as_str());
                    CensusField {
                        value: value(&field, stored.households_by_tenure.get(t)),
                        label: format!("Households: {}", labels::tenure(*t).to_lowercase()),
                        field,
                    }
                })
                .collect(),
            problem: String::new(),
        }
    }
}

/// An age band in words: "18 to 24", "under 13", "75 and over".
fn age_words(band: AgeBand) -> String {
    match band {
        AgeBand::Under13 => "under 13".to_owned(),
        AgeBand::From75 => "75 and over".to_owned(),
        other => other.as_str().replace('-', " to "),
    }
}

/// A ladder stage as a row of the ladder's form (blank rows add stages).
struct StageRow {
    key: String,
    label: String,
    rules: Vec<Choice>,
}

/// A resident definition as a row of its form (a blank row adds one).
struct DefinitionRow {
    key: String,
    label: String,
    bases: Vec<Choice>,
}

/// Rows for the ladder's form: its stages, then two blank rows.
fn stage_rows(stages: &[StageView]) -> Vec<StageRow> {
    let blank = StageView {
        key: String::new(),
        label: String::new(),
        rule: String::new(),
    };
    stages
        .iter()
        .chain([&blank, &blank])
        .map(|s| StageRow {
            key: s.key.clone(),
            label: s.label.clone(),
            rules: StageRule::ALL
                .iter()
                .map(|&r| Choice {
                    value: r.as_str(),
                    label: labels::stage_rule(r),
                    chosen: r.as_str() == s.rule,
                })
                .collect(),
        })
        .collect()
}

/// Rows for the resident definitions' form: each, then a blank row.
fn definition_rows(definitions: &[ResidentDefinitionView]) -> Vec<DefinitionRow> {
    let blank = ResidentDefinitionView {
        key: String::new(),
        label: String::new(),
        counts: Vec::new(),
    };
    definitions
        .iter()
        .chain([&blank])
        .map(|d| DefinitionRow {
            key: d.key.clone(),
            label: d.label.clone(),
            bases: ResidentBasis::ALL
                .iter()
                .map(|&b| Choice {
                    value: b.as_str(),
                    label: labels::residency(b),
                    chosen: d.counts.iter().any(|c| c == b.as_str()),
                })
                .collect(),
        })
        .collect()
}

struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

struct PurposeLine {
    key: &'static str,
    label: &'static str,
    bases: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_area.html")]
struct AreaPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    /// Nothing is stored yet: the form shows the defaults.
    new: bool,
    name: String,
    time_zone: String,
    threshold: String,
    seats: String,
    suppress_below: String,
    follow_up_days: String,
    /// Why a form was refused, beside that form (at most one is set).
    settings_problem: String,
    patch_problem: String,
    topics_problem: String,
    /// A refused new patch, as typed.
    new_slug: String,
    new_name: String,
    new_households: String,
    patches: Vec<PatchLine>,
    census: Vec<CensusForm>,
    ladder: Vec<StageRow>,
    ladder_problem: String,
    bases_problem: String,
    residents: Vec<DefinitionRow>,
    residents_problem: String,
    topics: String,
    purposes: Vec<PurposeLine>,
}

/// `GET /admin/area`.
pub(super) async fn area(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    area_page(&state, &user, done.notice(), None).await
}

/// A form on the area page that was refused: what was typed, to show
/// again.
enum Refused {
    Settings(AreaForm),
    Patch(PatchForm),
    Topics(TopicsForm),
    Ladder(Vec<StageView>),
    Residents(Vec<ResidentDefinitionView>),
    Bases(std::collections::BTreeMap<String, String>),
    /// A patch's census form: its slug and the fields as typed.
    Census(String, Vec<(String, String)>),
}

/// The area page; a refused form shows what was typed, with the reason
/// beside it.
async fn area_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    refused: Option<(Refused, String)>,
) -> Result<Response, WebError> {
    let stored = ops::area::read(&state.db).await?;
    let new = stored.is_none();
    // A new area's page shows what saving it would start from.
    let area = stored.unwrap_or_else(|| {
        let now = state.now();
        AreaConfig::new_default(DocId::new(now), "", "", DeviceId::new(now), now)
    });
    let view = AreaView::from(&area);
    let mut page = AreaPage {
        title: "Area, patches and ladder".into(),
        chrome: Chrome::signed_in(user, "/admin/area", (!new).then_some(&area)),
        done,
        new,
        name: area.name.clone(),
        time_zone: area.time_zone.clone(),
        threshold: area.resident_led_threshold_percent.to_string(),
        seats: area
            .partnership_seats
            .map(|s| s.to_string())
            .unwrap_or_default(),
        suppress_below: area.suppress_below.to_string(),
        follow_up_days: area.follow_up_overdue_days.to_string(),
        settings_problem: String::new(),
        patch_problem: String::new(),
        topics_problem: String::new(),
        new_slug: String::new(),
        new_name: String::new(),
        new_households: String::new(),
        patches: area
            .patches
            .iter()
            .map(|p| PatchLine {
                slug: p.id.clone(),
                name: p.name.clone(),
                households: p.households,
            })
            .collect(),
        census: area
            .patches
            .iter()
            .map(|p| CensusForm::of(p, None))
            .collect(),
        ladder: stage_rows(&view.ladder),
        ladder_problem: String::new(),
        bases_problem: String::new(),
        residents: definition_rows(&view.resident_definitions),
        residents_problem: String::new(),
        topics: area.topics.iter().cloned().collect::<Vec<_>>().join("\n"),
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|&purpose| PurposeLine {
                key: purpose.as_str(),
                label: labels::purpose(purpose),
                bases: LawfulBasis::ALL
                    .iter()
                    .map(|&basis| Choice {
                        value: basis.as_str(),
                        label: labels::lawful_basis(basis),
                        chosen: area.lawful_basis(purpose) == basis,
                    })
                    .collect(),
            })
            .collect(),
    };
    let Some((form, problem)) = refused else {
        return Ok(html(&page)?.into_response());
    };
    // A census that breaks a rule is a form that could not be processed
    // (422), as on the people pages; the older forms answer 400.
    let mut status = StatusCode::BAD_REQUEST;
    match form {
        Refused::Census(slug, typed) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            if let Some((form, patch)) = page
                .census
                .iter_mut()
                .zip(&area.patches)
                .find(|(f, _)| f.slug == slug)
            {
                *form = CensusForm::of(patch, Some(&typed));
                form.problem = problem;
            }
        }
        Refused::Settings(f) => {
            (page.name, page.time_zone, page.threshold) = (f.name, f.time_zone, f.threshold);
            (page.seats, page.suppress_below) = (f.seats, f.suppress_below);
            page.follow_up_days = f.follow_up_days;
            page.settings_problem = problem;
        }
        Refused::Patch(f) => {
            (page.new_slug, page.new_name, page.new_households) = (f.slug, f.name, f.households);
            page.patch_problem = problem;
        }
        Refused::Topics(f) => {
            page.topics = f.topics;
            page.topics_problem = problem;
        }
        Refused::Ladder(stages) => {
            page.ladder = stage_rows(&stages);
            page.ladder_problem = problem;
        }
        Refused::Residents(definitions) => {
            page.residents = definition_rows(&definitions);
            page.residents_problem = problem;
        }
        Refused::Bases(chosen) => {
            for purpose in &mut page.purposes {
                if let Some(basis) = chosen.get(purpose.key) {
                    for choice in &mut purpose.bases {
                        choice.chosen = choice.value == basis;
                    }
                }
            }
            page.bases_problem = problem;
        }
    }
    Ok((status, html(&page)?).into_response())
}

#[derive(Deserialize)]
pub(super) struct AreaForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    time_zone: String,
    threshold: String,
    #[serde(default)]
    seats: String,
    suppress_below: String,
    /// Older pages' forms have no such field: the stored value stays.
    #[serde(default)]
    follow_up_days: String,
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::BadRequest(format!("{what} must be a whole number, not {text:?}")))
}

/// `POST /admin/area`.
pub(super) async fn save_area(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<AreaForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let saved = save_settings(&state, &user, &form).await;
    back_to_area(&state, &user, saved, Notice::Saved, Refused::Settings(form)).await
}

async fn save_settings(state: &AppState, user: &WebUser, form: &AreaForm) -> Result<(), Error> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(Error::BadRequest("the area needs a name".into()));
    }
    // A new area's code comes from its first name; it never changes.
    let slug = match ops::area::read(&state.db).await? {
        Some(_) => None,
        None => Some(slug_of(name)),
    };
    let change = AreaChange {
        name: Some(name.to_owned()),
        time_zone: Some(form.time_zone.trim().to_owned()).filter(|z| !z.is_empty()),
        resident_led_threshold_percent: Some(number(&form.threshold, "the threshold")?),
        // Blank clears the seats (0 means not fixed).
        partnership_seats: Some(if form.seats.trim().is_empty() {
            0
        } else {
            number(&form.seats, "the number of seats")?
        }),
        suppress_below: Some(number(&form.suppress_below, "the suppression threshold")?),
        follow_up_overdue_days: Some(form.follow_up_days.trim())
            .filter(|d| !d.is_empty())
            .map(|d| number(d, "the days before an undated follow-up is overdue"))
            .transpose()?,
        ..AreaChange::default()
    };
    ops::area::edit(
        &state.db,
        user.actor(),
        slug.as_deref(),
        "settings",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(())
}

/// An area's code from its name: "Ashby Big Local" is `ashby-big-local`.
fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "our-area".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Most topics an area may have, and the longest a topic may be.
const MAX_TOPICS: usize = 50;
const MAX_TOPIC_CHARS: usize = 60;

#[derive(Deserialize)]
pub(super) struct TopicsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    topics: String,
}

/// `POST /admin/area/topics`: the topics champions can note, one a line.
pub(super) async fn save_topics(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<TopicsForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let saved = save_topic_list(&state, &user, &form).await;
    back_to_area(&state, &user, saved, Notice::Saved, Refused::Topics(form)).await
}

async fn save_topic_list(state: &AppState, user: &WebUser, form: &TopicsForm) -> Result<(), Error> {
    let topics: BTreeSet<String> = form
        .topics
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(long) = topics.iter().find(|t| t.chars().count() > MAX_TOPIC_CHARS) {
        return Err(Error::BadRequest(format!(
            "a topic is at most {MAX_TOPIC_CHARS} characters; {long:?} is longer"
        )));
    }
    if topics.len() > MAX_TOPICS {
        return Err(Error::BadRequest(format!(
            "an area has at most {MAX_TOPICS} topics"
        )));
    }
    let change = AreaChange {
        topics: Some(topics.into_iter().collect()),
        ..AreaChange::default()
    };
    ops::area::edit(&state.db, user.actor(), None, "topics", state.now(), |a| {
        change.apply(a)
    })
    .await?;
    Ok(())
}

/// `POST /admin/area/lawful-bases`: one `basis-PURPOSE` field for each
/// purpose (besides the form's token).
pub(super) async fn save_lawful_bases(
    State(state): State<AppState>,
    user: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(token(&fields))?;
    let bases: std::collections::BTreeMap<String, String> = fields
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("basis-").map(|p| (p.to_owned(), v)))
        .collect();
    let change = AreaChange {
        lawful_bases: Some(bases.clone()),
        ..AreaChange::default()
    };
    save_change(&state, &user, "lawful bases", change, Refused::Bases(bases)).await
}

/// Saves `change` to the area (logged as `what`) and goes back to the
/// area page; refused, the page again with the form as typed (`refused`)
/// and the reason.
async fn save_change(
    state: &AppState,
    user: &WebUser,
    what: &str,
    change: AreaChange,
    refused: Refused,
) -> Result<Response, WebError> {
    let saved = ops::area::edit(&state.db, user.actor(), None, what, state.now(), |a| {
        change.apply(a)
    })
    .await;
    back_to_area(state, user, saved.map(drop), Notice::Saved, refused).await
}

/// Back to the area page saying `done`; or, refused, the page again with
/// the form as typed (`refused`) and the reason.
async fn back_to_area(
    state: &AppState,
    user: &WebUser,
    saved: Result<(), Error>,
    done: Notice,
    refused: Refused,
) -> Result<Response, WebError> {
    match saved {
        Ok(()) => Ok(done.redirect("/admin/area")),
        Err(e) => {
            let problem = refusal(e)?;
            area_page(state, user, "", Some((refused, problem))).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct PatchForm {
    #[serde(default)]
    csrf: String,
    slug: String,
    name: String,
    households: String,
}

/// `POST /admin/patches`: adds a patch or changes one.
pub(super) async fn save_patch(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<PatchForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let saved = async {
        let households: u32 = number(&form.households, "households")?;
        ops::area::save_patch(
            &state.db,
            user.actor(),
            form.slug.trim(),
            form.name.trim(),
            households,
            None,
            state.now(),
        )
        .await
    }
    .await;
    let done = Notice::PatchSaved;
    back_to_area(&state, &user, saved.map(drop), done, Refused::Patch(form)).await
}

/// `POST /admin/patches/{slug}/census`: a patch's census figures, one
/// field per age band (`age-18-24`) and tenure (`tenure-owner`); a blank
/// field is not entered, and a form left all blank takes the census away.
pub(super) async fn save_census(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(token(&fields))?;
    let saved = async {
        let mut census = sync_core::Census::default();
        let count = |field: &str, label: &str| -> Result<Option<u32>, Error> {
            let text = cell(&fields, field);
            if text.is_empty() {
                return Ok(None);
            }
            number(text, label).map(Some)
        };
        for band in AgeBand::ALL {
            let label = format!("residents aged {}", age_words(*band));
            if let Some(n) = count(&format!("age-{}", band.as_str()), &label)? {
                census.residents_by_age.insert(*band, n);
            }
        }
        for tenure in Tenure::ALL {
            let label = format!("households ({})", labels::tenure(*tenure).to_lowercase());
            if let Some(n) = count(&format!("tenure-{}", tenure.as_str()), &label)? {
                census.households_by_tenure.insert(*tenure, n);
            }
        }
        let census = (!census.is_empty()).then_some(census);
        ops::area::save_census(&state.db, user.actor(), &slug, census, state.now()).await
    }
    .await;
    let typed: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    let refused = Refused::Census(slug, typed);
    back_to_area(&state, &user, saved.map(drop), Notice::Saved, refused).await
}

/// `POST /admin/patches/{slug}/delete`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn delete_patch(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    // Only a slug goes into the redirect's Location header.
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::NotFound("patch").into());
    }
    if let Some(first) = form.check(&user, &format!("/admin/patches/{slug}/delete"))? {
        return Ok(first);
    }
    ops::area::delete_patch(&state.db, user.actor(), &slug, state.now()).await?;
    Ok(Notice::PatchRemoved.redirect("/admin/area"))
}

/// The rows of a form, in order of their index: the fields named
/// `FIELD-{row}N` (and, for checkboxes, `FIELD-{row}N-VALUE`, kept as
/// `FIELD-VALUE`).
fn rows(fields: &[(String, String)], prefix: &str) -> Vec<Vec<(String, String)>> {
    let mut rows: std::collections::BTreeMap<usize, Vec<(String, String)>> =
        std::collections::BTreeMap::new();
    for (name, value) in fields {
        let Some((field, rest)) = name.split_once('-') else {
            continue;
        };
        let Some(rest) = rest.strip_prefix(prefix) else {
            continue;
        };
        let (index, part) = rest.split_once('-').unwrap_or((rest, ""));
        if let Ok(index) = index.parse::<usize>() {
            let key = if part.is_empty() {
                field.to_owned()
            } else {
                format!("{field}-{part}")
            };
            rows.entry(index).or_default().push((key, value.clone()));
        }
    }
    rows.into_values().collect()
}

/// The value of `name` in a row.
fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// The form's CSRF token.
fn token(fields: &[(String, String)]) -> &str {
    fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

/// `POST /admin/area/ladder`: the stages in order, one row each
/// (`key-stageN`, `label-stageN`, `rule-stageN`); a row without a key is
/// left out.
pub(super) async fn save_ladder(
    State(state): State<AppState>,
    user: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(token(&fields))?;
    let stages: Vec<StageView> = rows(&fields, "stage")
        .iter()
        .filter(|row| !cell(row, "key").is_empty())
        .map(|row| StageView {
            key: cell(row, "key").to_owned(),
            label: cell(row, "label").to_owned(),
            rule: cell(row, "rule").to_owned(),
        })
        .collect();
    let change = AreaChange {
        ladder: Some(stages.clone()),
        ..AreaChange::default()
    };
    save_change(&state, &user, "ladder", change, Refused::Ladder(stages)).await
}

/// `POST /admin/area/residents`: the resident definitions, one row each
/// (`key-definitionN`, `label-definitionN`, and `counts-definitionN-BASIS`
/// for each basis ticked); a row without a key is left out.
pub(super) async fn save_residents(
    State(state): State<AppState>,
    user: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(token(&fields))?;
    let definitions: Vec<ResidentDefinitionView> = rows(&fields, "definition")
        .iter()
        .filter(|row| !cell(row, "key").is_empty())
        .map(|row| ResidentDefinitionView {
            key: cell(row, "key").to_owned(),
            label: cell(row, "label").to_owned(),
            counts: row
                .iter()
                .filter_map(|(k, _)| k.strip_prefix("counts-"))
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    let change = AreaChange {
        resident_definitions: Some(definitions.clone()),
        ..AreaChange::default()
    };
    let refused = Refused::Residents(definitions);
    save_change(&state, &user, "resident definitions", change, refused).await
}
