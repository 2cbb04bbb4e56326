//! The board pack page (`/board-pack`): the pack for a period, with a
//! period picker, each sentence linking to the report it comes from, the
//! headline figures report by report, a chart, and the PDF to download
//! (`/board-pack.pdf`, the same file as `GET /v1/reports/pack.pdf`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::charts::{self, BarInput};
use super::{Chrome, WebError, WebUser, html};
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::pack::{PackQuery, pack, pdf_download};
use crate::http::reports::audience;
use crate::ops;
use crate::reports::Withheld;
use crate::reports::headlines::{Headline, Unit};
use crate::reports::pack::{Pack, number};
use crate::reports::pack_pdf::Chart;

/// The pack's charts: the doors knocked per 1,000 households in each patch,
/// from the headline figures as published (a hidden patch is drawn as
/// hidden, with no bar).
pub(crate) fn charts(pack: &Pack) -> Result<Vec<Chart>> {
    let rates: Vec<&Headline> = pack
        .reports
        .iter()
        .filter_map(|r| r.headlines.as_ref())
        .flat_map(|h| &h.figures)
        .filter(|h| h.key.starts_with("knocked_per_1000_households@"))
        .collect();
    if rates.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BarInput> = rates
        .iter()
        .map(|h| BarInput {
            label: h
                .label
                .split_once(": ")
                .map_or(h.label.clone(), |(_, patch)| patch.to_owned()),
            values: vec![h.value],
            text: figure(h.unit, h.value, h.withheld),
            link: None,
        })
        .collect();
    let heading = format!("Doors knocked per 1,000 households, {}", pack.period.label);
    let svg = charts::bars(
        "pack-doors",
        &heading,
        "Doors knocked per 1,000 households in each patch; a patch too small to show has no bar.",
        &["Doors knocked per 1,000 households"],
        &rows,
    )?;
    Ok(vec![Chart { heading, svg }])
}

/// A figure as the page shows it.
fn figure(unit: Unit, value: Option<f64>, why: Option<Withheld>) -> String {
    match (value, why) {
        (Some(v), _) if unit == Unit::Percent => format!("{}%", number(v)),
        (Some(v), _) => number(v),
        (None, Some(Withheld::Small)) => "too small to show".to_owned(),
        (None, Some(Withheld::Protects)) => "hidden to protect a small figure".to_owned(),
        _ => "-".to_owned(),
    }
}

fn change(h: &Headline) -> String {
    let sign = |c: f64| if c > 0.0 { "+" } else { "" };
    match (h.change, h.change_percent) {
        (Some(c), _) if h.unit == Unit::Percent => format!("{}{} points", sign(c), number(c)),
        (Some(c), Some(p)) => format!("{}{} ({}{}%)", sign(c), number(c), sign(p), number(p)),
        (Some(c), None) => format!("{}{}", sign(c), number(c)),
        (None, _) => h
            .no_change_because
            .clone()
            .unwrap_or_else(|| "-".to_owned()),
    }
}

struct Row {
    label: String,
    value: String,
    earlier: String,
    change: String,
    target: String,
    status: &'static str,
}

struct Table {
    label: String,
    href: String,
    note: String,
    rows: Vec<Row>,
}

struct Line {
    text: String,
    href: String,
    report: String,
}

#[derive(Template)]
#[template(path = "board_pack.html")]
struct PackPage {
    title: String,
    chrome: Chrome,
    period: String,
    period_label: String,
    compare: String,
    compared_with: String,
    made: String,
    adjusted: bool,
    adjusted_note: &'static str,
    problem: String,
    pdf_href: String,
    sentences: Vec<Line>,
    tables: Vec<Table>,
    charts: Vec<String>,
}

/// `GET /board-pack`: the pack for the period chosen (the last whole
/// quarter unless another is).
pub(super) async fn board_pack(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<PackQuery>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let chrome = Chrome::signed_in(&user, "/board-pack", area.as_ref());
    let compare = query.compare.clone().unwrap_or_default();
    let mut page = PackPage {
        title: "Board pack".into(),
        chrome,
        period: query.period.clone().unwrap_or_default(),
        period_label: String::new(),
        compare: compare.clone(),
        compared_with: String::new(),
        made: String::new(),
        adjusted: false,
        adjusted_note: crate::reports::ADJUSTED,
        problem: String::new(),
        pdf_href: String::new(),
        sentences: Vec::new(),
        tables: Vec::new(),
        charts: Vec::new(),
    };
    let pack = match pack(&state.db, &query, audience(user.device.role), state.now()).await {
        Ok(pack) => pack,
        Err(Error::BadRequest(problem)) => {
            page.problem = problem;
            return Ok((StatusCode::BAD_REQUEST, html(&page)?).into_response());
        }
        Err(other) => return Err(other.into()),
    };
    let report_label = |name: &str| {
        pack.reports
            .iter()
            .find(|r| r.name == name)
            .map_or(name.to_owned(), |r| r.label.clone())
    };
    page.period = pack.period_query.clone();
    page.period_label = pack.period.label.clone();
    page.compared_with = pack
        .compared_with
        .as_ref()
        .map_or(String::new(), |p| p.label.clone());
    page.made = pack.made.clone();
    page.adjusted = pack.adjusted;
    page.pdf_href = format!(
        "/board-pack.pdf?period={}&compare={}",
        pack.period_query,
        if compare.is_empty() {
            "previous"
        } else {
            compare.as_str()
        }
    );
    page.sentences = pack
        .sentences
        .iter()
        .map(|s| Line {
            text: s.text.clone(),
            href: s.href.clone(),
            report: report_label(&s.report),
        })
        .collect();
    page.tables = pack
        .reports
        .iter()
        .map(|r| Table {
            label: r.label.clone(),
            href: r.href.clone(),
            note: r.headlines.as_ref().map_or_else(
                || {
                    format!(
                        "Not shown: {}.",
                        r.not_shown_because.as_deref().unwrap_or("")
                    )
                },
                |h| {
                    h.no_comparison_because
                        .as_ref()
                        .map_or(String::new(), |why| format!("No change shown: {why}."))
                },
            ),
            rows: r
                .headlines
                .iter()
                .flat_map(|h| &h.figures)
                .map(|h| Row {
                    label: if h.unit == Unit::PerThousand {
                        format!("{} (per 1,000 households)", h.label)
                    } else {
                        h.label.clone()
                    },
                    value: figure(h.unit, h.value, h.withheld),
                    earlier: figure(h.unit, h.earlier, h.earlier_withheld),
                    change: change(h),
                    target: h.target.as_ref().map_or(String::new(), |t| t.words.clone()),
                    status: h.target.as_ref().map_or("", |t| match t.status {
                        crate::reports::targets::Status::Met => "met",
                        crate::reports::targets::Status::Close => "close",
                        crate::reports::targets::Status::NotMet => "not-met",
                        crate::reports::targets::Status::NotSaid => "",
                    }),
                })
                .collect(),
        })
        .collect();
    page.charts = charts(&pack)?.into_iter().map(|c| c.svg).collect();
    Ok((StatusCode::OK, html(&page)?).into_response())
}

/// `GET /board-pack.pdf`: the pack as an A4 PDF.
pub(super) async fn board_pack_pdf(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<PackQuery>,
) -> Result<Response, WebError> {
    let pack = pack(&state.db, &query, audience(user.device.role), state.now()).await?;
    Ok(pdf_download(pack, state.settings.public_url.clone()).await?)
}
