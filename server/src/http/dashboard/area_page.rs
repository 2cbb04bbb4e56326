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
use sync_core::{AreaConfig, ConsentPurpose, DeviceId, DocId, LawfulBasis};

use super::admin_pages::{Done, Notice};
use super::confirm_page::ConfirmedForm;
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::area::AreaChange;

struct PatchLine {
    slug: String,
    name: String,
    households: u32,
}

struct StageLine {
    key: String,
    label: String,
    rule: String,
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
    /// Why a form was refused, beside that form (at most one is set).
    settings_problem: String,
    patch_problem: String,
    topics_problem: String,
    /// A refused new patch, as typed.
    new_slug: String,
    new_name: String,
    new_households: String,
    patches: Vec<PatchLine>,
    ladder: Vec<StageLine>,
    residents: Vec<String>,
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
        ladder: area
            .ladder
            .stages()
            .iter()
            .map(|s| StageLine {
                key: s.key.clone(),
                label: s.label.clone(),
                rule: s.rule.as_str().to_owned(),
            })
            .collect(),
        residents: area
            .resident_definitions
            .iter()
            .map(|d| {
                let counts: Vec<&str> = d.counts.iter().map(|b| labels::residency(*b)).collect();
                format!("{}: {}", d.label, counts.join("; "))
            })
            .collect(),
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
    match form {
        Refused::Settings(f) => {
            (page.name, page.time_zone, page.threshold) = (f.name, f.time_zone, f.threshold);
            (page.seats, page.suppress_below) = (f.seats, f.suppress_below);
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
    }
    Ok((StatusCode::BAD_REQUEST, html(&page)?).into_response())
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
    match save_settings(&state, &user, &form).await {
        Ok(()) => Ok(Notice::Saved.redirect("/admin/area")),
        Err(e) => {
            let problem = refusal(e)?;
            area_page(&state, &user, "", Some((Refused::Settings(form), problem))).await
        }
    }
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
    match save_topic_list(&state, &user, &form).await {
        Ok(()) => Ok(Notice::Saved.redirect("/admin/area")),
        Err(e) => {
            let problem = refusal(e)?;
            area_page(&state, &user, "", Some((Refused::Topics(form), problem))).await
        }
    }
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
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    user.check_form(csrf)?;
    let bases = fields
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("basis-").map(|p| (p.to_owned(), v)))
        .collect();
    let change = AreaChange {
        lawful_bases: Some(bases),
        ..AreaChange::default()
    };
    ops::area::edit(
        &state.db,
        user.actor(),
        None,
        "lawful bases",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(Notice::Saved.redirect("/admin/area"))
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
            state.now(),
        )
        .await
    }
    .await;
    match saved {
        Ok(_) => Ok(Notice::PatchSaved.redirect("/admin/area")),
        Err(e) => {
            let problem = refusal(e)?;
            area_page(&state, &user, "", Some((Refused::Patch(form), problem))).await
        }
    }
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
