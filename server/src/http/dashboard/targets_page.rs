//! The admin's targets page: the partnership's targets on headline
//! figures, set and removed through `ops::targets`; a target that cannot
//! be met or read comes back as typed, with the reason beside its field.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::admin_pages::{Done, Notice};
use super::{Chrome, WebError, WebUser, html, refusal};
use crate::error::Error;
use crate::http::AppState;
use crate::http::reports;
use crate::ops;
use crate::reports::headlines::Unit;
use crate::reports::targets::{Comparison, Target, amount, distance};

struct Row {
    report: String,
    figure: String,
    report_label: &'static str,
    figure_label: String,
    target: String,
    margin: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin_targets.html")]
struct TargetsPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    targets: Vec<Row>,
    figures: Vec<Choice>,
    at_most: bool,
    goal: String,
    margin: String,
    figure_problem: String,
    goal_problem: String,
    margin_problem: String,
}

/// The set-a-target form as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TargetForm {
    #[serde(default)]
    csrf: String,
    /// `REPORT|KEY`.
    #[serde(default)]
    figure: String,
    #[serde(default)]
    comparison: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    margin: String,
}

fn label_of(report: &str) -> &'static str {
    reports::entry(report).map_or("", |e| e.label)
}

fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "a count",
        Unit::Percent => "a percentage, 0 to 100",
        Unit::PerThousand => "per 1,000 households",
    }
}

/// `GET /admin/targets`.
pub(super) async fn targets(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    page(&state, &user, done.notice(), &TargetForm::default(), None).await
}

async fn page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    form: &TargetForm,
    refused: Option<(&'static str, String)>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let choices = ops::targets::choices(&state.db).await?;
    let label = |report: &str, key: &str| {
        choices
            .iter()
            .find(|(r, k, ..)| *r == report && k == key)
            .map(|(_, _, label, unit)| (label.clone(), *unit))
    };
    let targets = ops::targets::list(&state.db)
        .await?
        .into_iter()
        .map(|t| {
            let (figure_label, unit) =
                label(&t.report, &t.figure).unwrap_or_else(|| (t.figure.clone(), Unit::Count));
            Row {
                report_label: label_of(&t.report),
                target: format!("{} {}", t.comparison.words(), amount(unit, t.goal)),
                margin: if t.margin > 0.0 {
                    format!("close within {}", distance(unit, t.margin))
                } else {
                    "none".to_owned()
                },
                figure_label,
                report: t.report,
                figure: t.figure,
            }
        })
        .collect();
    let figures = choices
        .iter()
        .map(|(report, key, label, unit)| {
            let value = format!("{report}|{key}");
            Choice {
                selected: value == form.figure,
                label: format!("{}: {label} ({})", label_of(report), unit_words(*unit)),
                value,
            }
        })
        .collect();
    let (mut figure_problem, mut goal_problem, mut margin_problem) =
        (String::new(), String::new(), String::new());
    let status = match refused {
        Some((field, reason)) => {
            match field {
                "goal" => goal_problem = reason,
                "margin" => margin_problem = reason,
                _ => figure_problem = reason,
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let page = TargetsPage {
        title: "Targets".into(),
        chrome: Chrome::signed_in(user, "/admin/targets", area.as_ref()),
        done,
        targets,
        figures,
        at_most: form.comparison == "at-most",
        goal: form.goal.clone(),
        margin: form.margin.clone(),
        figure_problem,
        goal_problem,
        margin_problem,
    };
    Ok((status, html(&page)?).into_response())
}

/// The target a form describes, or which field cannot be read and why.
fn typed(form: &TargetForm) -> Result<Target, (&'static str, String)> {
    let Some((report, figure)) = form.figure.split_once('|') else {
        return Err(("figure", "choose a figure".into()));
    };
    let number = |field: &'static str, text: &str, empty: Option<f64>| {
        let text = text.trim();
        match (text.is_empty(), empty) {
            (true, Some(default)) => Ok(default),
            _ => text
                .replace(['%', ','], "")
                .parse::<f64>()
                .map_err(|_| (field, format!("{text:?} is not a number"))),
        }
    };
    Ok(Target {
        report: report.to_owned(),
        figure: figure.to_owned(),
        comparison: if form.comparison == "at-most" {
            Comparison::AtMost
        } else {
            Comparison::AtLeast
        },
        goal: number("goal", &form.goal, None)?,
        margin: number("margin", &form.margin, Some(0.0))?,
    })
}

/// `POST /admin/targets`: sets a target.
pub(super) async fn save(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<TargetForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let target = match typed(&form) {
        Ok(target) => target,
        Err(refused) => return page(&state, &user, "", &form, Some(refused)).await,
    };
    // The same rules as the use case, to put the reason beside its field.
    if let Err(refused) = ops::targets::check(&state.db, &target).await? {
        return page(
            &state,
            &user,
            "",
            &form,
            Some((refused.field, refused.reason)),
        )
        .await;
    }
    match ops::targets::set(&state.db, user.actor(), &target, state.now()).await {
        Ok(_) => Ok(Notice::Saved.redirect("/admin/targets")),
        Err(e) => {
            let reason = refusal(e)?;
            page(&state, &user, "", &form, Some(("figure", reason))).await
        }
    }
}

/// The remove button's form.
#[derive(Debug, Deserialize)]
pub(super) struct RemoveForm {
    #[serde(default)]
    csrf: String,
    report: String,
    figure: String,
}

/// `POST /admin/targets/remove`: removes a target (set it again to undo).
pub(super) async fn remove(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RemoveForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    match ops::targets::remove(
        &state.db,
        user.actor(),
        &form.report,
        &form.figure,
        state.now(),
    )
    .await
    {
        Ok(()) | Err(Error::NotFound(_)) => Ok(Notice::Saved.redirect("/admin/targets")),
        Err(other) => Err(other.into()),
    }
}
