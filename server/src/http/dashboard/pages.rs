//! The report pages: each report's figures as tables, with a chart beside
//! each table, the filter form and a CSV download. Every figure comes from
//! the same registry entry as the API's (`http::reports::REPORTS`), so the
//! page and `GET /v1/reports/...` always agree.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sync_core::{AgeBand, AreaConfig, EntryChannel};

use super::sections::{self, Section};
use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::http::reports::{self, Compared, ReportEntry};
use crate::ops;
use crate::reports::{FilterUse, Filters};

/// The filter form's fields as the browser sends them: empty means unset.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WebFilters {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cohort: String,
    #[serde(default)]
    patch: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    age_band: String,
    /// A step of the ladder (its key): people who reached it.
    #[serde(default)]
    stage: String,
    /// A champion's phone (its device id): people it knocked for.
    #[serde(default)]
    champion: String,
    /// A month, quarter or year (`2026-Q3`), instead of the dates.
    #[serde(default)]
    period: String,
    /// What the headline figures are compared with.
    #[serde(default)]
    compare: String,
    /// Which of the page's tables a CSV download is for (its section id).
    #[serde(default)]
    table: String,
}

fn set(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl WebFilters {
    /// The report filters; dates are whole UTC days, `to` included. A
    /// period that ends before it starts is refused.
    fn to_filters(&self) -> Result<Filters, Error> {
        let from = set(&self.from)
            .map(|d| calendar::parse_date(&d, "from"))
            .transpose()?;
        let until = set(&self.to)
            .map(|d| calendar::parse_date(&d, "until"))
            .transpose()?;
        if let (Some(from), Some(until)) = (from, until)
            && until < from
        {
            return Err(Error::BadRequest(
                "\"Until\" is before \"From\": choose an end date on or after the start".into(),
            ));
        }
        Ok(Filters {
            from,
            to: until.map(|day| day + sync_core::Timestamp::DAY_MILLIS),
            patch: set(&self.patch),
            channel: set(&self.channel),
            age_band: set(&self.age_band),
            stage: set(&self.stage),
            champion: set(&self.champion),
            cohort: set(&self.cohort),
            period: set(&self.period),
            compare: set(&self.compare),
            format: None,
        })
    }

    /// The filters chosen, in the form's order: (query key, words for a
    /// page, words for a file, value). One list for the page's summary,
    /// the CSV links and a CSV's first line and name.
    fn chosen(&self) -> Vec<(&'static str, &'static str, &'static str, &str)> {
        [
            ("period", "period", "period", &self.period),
            ("compare", "compared with", "compare", &self.compare),
            ("from", "first contact from", "from", &self.from),
            ("to", "until", "until", &self.to),
            ("cohort", "first contacted in", "cohort", &self.cohort),
            ("patch", "patch", "patch", &self.patch),
            ("channel", "channel", "channel", &self.channel),
            ("age_band", "age", "age", &self.age_band),
            ("stage", "people who reached", "stage", &self.stage),
            (
                "champion",
                "people contacted by",
                "champion",
                &self.champion,
            ),
        ]
        .into_iter()
        .filter(|(.., v)| !v.trim().is_empty())
        .map(|(key, page, file, v)| (key, page, file, v.trim()))
        .collect()
    }

    /// The filters in the page's words (a CSV's first line: `patch
    /// elm-road, people who reached participant`) and as a file name's
    /// ending (`-patch-elm-road-stage-participant`).
    fn described(&self) -> (String, String) {
        let chosen = self.chosen();
        let words = if chosen.is_empty() {
            "no filters".to_owned()
        } else {
            chosen
                .iter()
                .map(|(_, words, _, v)| format!("{words} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let file: String = chosen
            .iter()
            .map(|(_, _, word, v)| format!("-{word}-{v}"))
            .collect::<String>()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        (words, file)
    }

    /// The filters chosen other than `key`, each as `key=value`.
    fn query_without(&self, key: &str) -> Vec<String> {
        self.chosen()
            .iter()
            .filter(|(k, ..)| *k != key)
            .map(|(k, _, _, v)| format!("{k}={}", encode(v)))
            .collect()
    }

    /// The same filters as a query string, for the CSV link.
    fn query(&self) -> String {
        let set: Vec<String> = self
            .chosen()
            .iter()
            .map(|(key, _, _, v)| format!("{key}={}", encode(v)))
            .collect();
        if set.is_empty() {
            String::new()
        } else {
            format!("?{}", set.join("&"))
        }
    }
}

/// Fills in a chart's drill-down links (`?drill-patch=elm-road`, see
/// [`sections::drill_href`]) with the filters the page was shown with, so
/// that a click keeps the dates and replaces only what was clicked: a link
/// shared holds every filter.
pub(super) fn fill_drill_links(markup: &str, web: &WebFilters) -> String {
    let mut markup = markup.to_owned();
    for key in sections::DRILL_KEYS {
        let mark = format!("{}{key}=", sections::DRILL);
        if !markup.contains(&mark) {
            continue;
        }
        let mut query = web.query_without(key);
        query.push(format!("{key}="));
        markup = markup.replace(&mark, &format!("?{}", query.join("&amp;")));
    }
    markup
}

/// Percent-encodes a query value (letters, digits and `-._~` stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub(crate) struct FilterForm {
    from: String,
    to: String,
    cohort: String,
    period: String,
    compares: Vec<Choice>,
    patches: Vec<Choice>,
    channels: Vec<Choice>,
    age_bands: Vec<Choice>,
    stages: Vec<Choice>,
    /// The champions' phones the user may choose people by (admins only).
    champions: Vec<Choice>,
    /// The filters applied, in words, each with the query without it.
    summary: Vec<Applied>,
    /// What the dates choose, as the form's legend.
    legend: &'static str,
    /// Whether the people filters (entry channel, age band, stage,
    /// champion) apply.
    people: bool,
}

/// A filter applied, as the page says it ("people who reached
/// Participant"), and the page's query without it (its "remove" link).
pub(crate) struct Applied {
    words: String,
    remove: String,
}

fn choices<'a>(options: impl Iterator<Item = (&'a str, &'a str)>, chosen: &str) -> Vec<Choice> {
    options
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == chosen.trim(),
        })
        .collect()
}

impl FilterForm {
    /// The form for `f` on a report taking `uses`; `champions` are the
    /// (device id, name) of the phones the user may choose people by.
    fn new(
        area: Option<&AreaConfig>,
        f: &WebFilters,
        uses: FilterUse,
        champions: &[(String, String)],
    ) -> Self {
        let patches = area.map_or(&[][..], |a| a.patches.as_slice());
        let ladder = area.map(|a| a.ladder.clone()).unwrap_or_default();
        let summary = f
            .chosen()
            .iter()
            .map(|(key, words, _, v)| {
                let words = match *key {
                    "stage" => ladder.stages().iter().find(|s| s.key == *v).map_or_else(
                        || format!("{words} {v}"),
                        |s| format!("{words} {}", s.label),
                    ),
                    "champion" => champions.iter().find(|(id, _)| id == v).map_or_else(
                        || format!("{words} a champion's phone"),
                        |(_, name)| format!("{words} {name}"),
                    ),
                    _ => format!("{words} {v}"),
                };
                let rest = f.query_without(key);
                let remove = if rest.is_empty() {
                    String::new()
                } else {
                    format!("?{}", rest.join("&"))
                };
                Applied { words, remove }
            })
            .collect();
        Self {
            from: f.from.clone(),
            to: f.to.clone(),
            cohort: f.cohort.clone(),
            period: f.period.clone(),
            compares: choices(
                [
                    ("previous", "the period before"),
                    ("year-before", "the same period a year earlier"),
                    ("none", "nothing"),
                ]
                .into_iter(),
                &f.compare,
            ),
            patches: choices(
                patches.iter().map(|p| (p.id.as_str(), p.name.as_str())),
                &f.patch,
            ),
            channels: choices(
                EntryChannel::ALL.iter().map(|c| (c.as_str(), c.as_str())),
                &f.channel,
            ),
            age_bands: choices(
                AgeBand::ALL.iter().map(|b| (b.as_str(), b.as_str())),
                &f.age_band,
            ),
            stages: choices(
                ladder
                    .stages()
                    .iter()
                    .map(|s| (s.key.as_str(), s.label.as_str())),
                &f.stage,
            ),
            champions: choices(
                champions
                    .iter()
                    .map(|(id, name)| (id.as_str(), name.as_str())),
                &f.champion,
            ),
            summary,
            legend: match uses {
                FilterUse::Happenings => "Show what happened",
                FilterUse::People | FilterUse::None => "Show people first contacted",
            },
            people: uses == FilterUse::People,
        }
    }
}

/// The champions' phones `user` may choose people by, as (device id,
/// name), by name: every champion's for an admin (and any other phone
/// `chosen` names), none for a viewer, who may not choose people by
/// champion.
async fn champion_choices(
    state: &AppState,
    user: &WebUser,
    chosen: &str,
) -> Result<Vec<(String, String)>, WebError> {
    if user.device.role != ops::Role::Admin {
        return Ok(Vec::new());
    }
    let mut phones: Vec<(String, String)> = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .filter(|d| d.role == ops::Role::Champion || d.id == chosen.trim())
        .map(|d| {
            let name = if d.name.trim().is_empty() {
                format!("phone {}…", d.id.chars().take(8).collect::<String>())
            } else {
                d.name
            };
            (d.id, name)
        })
        .collect();
    phones.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(phones)
}

/// The report a page or CSV request names, with the form's filters (as
/// far as the report takes them), computed.
async fn load(
    state: &AppState,
    user: &WebUser,
    name: &str,
    web: &WebFilters,
) -> Result<(&'static ReportEntry, Compared), WebError> {
    let entry = reports::entry(name)?;
    let filters = match entry.filters {
        FilterUse::People => web.to_filters()?,
        // Doors, topics and promises are not people: the people filters do not apply.
        FilterUse::Happenings => Filters {
            channel: None,
            age_band: None,
            stage: None,
            champion: None,
            ..web.to_filters()?
        },
        FilterUse::None => Filters::default(),
    };
    let audience = reports::audience(user.device.role);
    let compared = reports::compared(&state.db, entry, &filters, audience, state.now()).await?;
    Ok((entry, compared))
}

/// A report's sections, its headline figures first when it has them.
fn sections_of(
    compared: &Compared,
    ladder: &sync_core::Ladder,
    now: i64,
) -> Result<Vec<Section>, WebError> {
    let mut sections = Vec::new();
    if let Some(headlines) = &compared.headlines {
        sections.push(super::sections::headlines::section(headlines));
    }
    sections.extend(compared.report.sections(ladder, now)?);
    Ok(sections)
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    chrome: Chrome,
    intro: &'static str,
    path: String,
    filters: Option<FilterForm>,
    /// Why the filters could not be applied, shown beside them.
    problem: String,
    /// Why the page has no figures, when it has none.
    empty: &'static str,
    /// Whether its counts are adjusted (for viewers), and what that means.
    adjusted: bool,
    adjusted_note: &'static str,
    sections: Vec<Section>,
    csv_href: String,
    glossary: &'static [(&'static str, &'static str)],
}

/// `GET /reports/{report}`: one report as a page.
pub(super) async fn report_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    Query(web): Query<WebFilters>,
) -> Result<Response, WebError> {
    let area = ops::area::read(&state.db).await?;
    let ladder = area.as_ref().map(|a| a.ladder.clone()).unwrap_or_default();
    // Filters that cannot apply (a period that ends before it starts) are
    // said beside the form, which keeps what was chosen.
    let filtered = !web.query().is_empty();
    let mut refused = false;
    let (entry, sections, problem, empty, adjusted) = match load(&state, &user, &name, &web).await {
        Ok((entry, compared)) => {
            let report = &compared.report;
            // A page whose every figure is zero says why, and what would
            // fill it, rather than a table of zeros.
            let nothing = report
                .page()
                .is_some_and(|page| page.figures().all(|(_, n)| n == 0));
            let empty = match (nothing, filtered) {
                (false, _) => "",
                (true, true) => {
                    "Nobody matches these filters: widen the dates, or choose another patch, channel, age band, stage or champion."
                }
                (true, false) => {
                    "Nothing recorded yet. These figures fill in as champions and youth workers sync their first conversations and sign-ups."
                }
            };
            let mut sections = sections_of(&compared, &ladder, state.now().as_millis())?;
            let query = web.query();
            let join = if query.is_empty() { '?' } else { '&' };
            for section in &mut sections {
                section.csv_href = format!(
                    "/reports/{}/csv{query}{join}table={}",
                    entry.name, section.id
                );
                if let Some(svg) = &mut section.svg_href {
                    *svg = format!(
                        "/reports/{}/svg{query}{join}table={}",
                        entry.name, section.id
                    );
                }
                section.chart = fill_drill_links(&section.chart, &web);
            }
            (entry, sections, String::new(), empty, report.adjusted())
        }
        Err(WebError::Page(Error::BadRequest(problem))) => {
            (reports::entry(&name)?, Vec::new(), problem, "", false)
        }
        // A filter this user may not choose (a viewer following an admin's
        // link by champion) is said beside the form too, as refused.
        Err(WebError::Page(Error::Forbidden(why))) => {
            refused = true;
            (
                reports::entry(&name)?,
                Vec::new(),
                why.to_owned(),
                "",
                false,
            )
        }
        Err(other) => return Err(other),
    };
    let path = format!("/reports/{}", entry.name);
    let status = match (problem.is_empty(), refused) {
        (true, _) => StatusCode::OK,
        (false, false) => StatusCode::BAD_REQUEST,
        (false, true) => StatusCode::FORBIDDEN,
    };
    let champions = if entry.filters == FilterUse::People {
        champion_choices(&state, &user, &web.champion).await?
    } else {
        Vec::new()
    };
    let page = ReportPage {
        title: entry.label.to_owned(),
        chrome: Chrome::signed_in(&user, &path, area.as_ref()),
        intro: entry.intro,
        filters: (entry.filters != FilterUse::None)
            .then(|| FilterForm::new(area.as_ref(), &web, entry.filters, &champions)),
        problem,
        empty,
        adjusted,
        adjusted_note: crate::reports::ADJUSTED,
        sections,
        csv_href: format!("{path}/csv{}", web.query()),
        path,
        glossary: &crate::reports::GLOSSARY,
    };
    Ok((status, html(&page)?).into_response())
}

/// `GET /reports/{report}/csv`: the report's CSV, as the API gives it.
pub(super) async fn report_csv(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    Query(web): Query<WebFilters>,
) -> Result<Response, WebError> {
    let (entry, compared) = load(&state, &user, &name, &web).await?;
    let report = &compared.report;
    let (words, file) = web.described();
    let (file, body) = if web.table.is_empty() {
        // The whole report, as the API gives it.
        (format!("{}{file}", entry.name), report.csv())
    } else {
        // One table of the page, with what it is and how it was filtered.
        let ladder = ops::area::read(&state.db)
            .await?
            .map(|a| a.ladder.clone())
            .unwrap_or_default();
        let sections = sections_of(&compared, &ladder, state.now().as_millis())?;
        let section = sections
            .iter()
            .find(|s| s.id == web.table)
            .ok_or(Error::NotFound("table"))?;
        let (header, rows) = section.table.csv_rows();
        let comment = format!(
            "{}: {} ({}); {words}; made {}",
            entry.label,
            section.heading,
            section.table.caption,
            calendar::date(state.now().as_millis())
        );
        (
            format!("{}-{}{file}", entry.name, section.id),
            crate::reports::table_csv(&comment, &header, &rows),
        )
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /reports/{report}/svg?table=ID`: a chart that stands on its own
/// (the map) as an SVG file, with the page's filters.
pub(super) async fn report_svg(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    Query(web): Query<WebFilters>,
) -> Result<Response, WebError> {
    let (entry, report) = load(&state, &user, &name, &web).await?;
    let ladder = ops::area::read(&state.db)
        .await?
        .map(|a| a.ladder.clone())
        .unwrap_or_default();
    let sections = report.report.sections(&ladder, state.now().as_millis())?;
    let section = sections
        .iter()
        .find(|s| s.id == web.table && s.svg_href.is_some() && !s.chart.is_empty())
        .ok_or(Error::NotFound("chart"))?;
    let (_, file) = web.described();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}{file}.svg\"",
                    entry.name, section.id
                ),
            ),
        ],
        fill_drill_links(&section.chart, &web),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_filters_become_report_filters_with_the_end_day_included() {
        let web = WebFilters {
            from: "2025-01-01".into(),
            to: "2025-01-31".into(),
            patch: " elm-road ".into(),
            ..WebFilters::default()
        };
        let filters = web.to_filters().unwrap();
        assert_eq!(filters.from, Some(1_735_689_600_000));
        assert_eq!(filters.to, Some(1_735_689_600_000 + 31 * 86_400_000));
        assert_eq!(filters.patch.as_deref(), Some("elm-road"));
        assert_eq!(filters.channel, None);
        assert_eq!(web.query(), "?from=2025-01-01&to=2025-01-31&patch=elm-road");
        let bad = WebFilters {
            from: "31/01/2025".into(),
            ..WebFilters::default()
        };
        assert!(bad.to_filters().is_err());
        let reversed = WebFilters {
            from: "2025-02-01".into(),
            to: "2025-01-31".into(),
            ..WebFilters::default()
        };
        let refused = reversed.to_filters().expect_err("refused");
        assert!(refused.to_string().contains("before"), "{refused}");
        let drilled = fill_drill_links(r#"<a href="/reports/reach?drill-patch=oak-lane">"#, &web);
        assert_eq!(
            drilled,
            r#"<a href="/reports/reach?from=2025-01-01&amp;to=2025-01-31&amp;patch=oak-lane">"#
        );
        // A stage or a champion clicked replaces only itself.
        let drilled = fill_drill_links(
            r#"<a href="/reports/funnel?drill-stage=volunteer">"#,
            &WebFilters {
                stage: "participant".into(),
                ..web
            },
        );
        assert_eq!(
            drilled,
            r#"<a href="/reports/funnel?from=2025-01-01&amp;to=2025-01-31&amp;patch=elm-road&amp;stage=volunteer">"#
        );
        let one_day = WebFilters {
            from: "2025-01-31".into(),
            to: "2025-01-31".into(),
            ..WebFilters::default()
        };
        assert!(one_day.to_filters().is_ok());
    }

    #[test]
    fn the_page_says_in_words_whom_a_stage_and_a_champion_choose() {
        let champion = "0193a0b2-0000-7000-8000-000000000001";
        let web = WebFilters {
            patch: "elm-road".into(),
            stage: "participant".into(),
            champion: champion.into(),
            ..WebFilters::default()
        };
        let champions = [(champion.to_owned(), "Elm Road champion".to_owned())];
        let form = FilterForm::new(None, &web, FilterUse::People, &champions);
        let said: Vec<(&str, &str)> = form
            .summary
            .iter()
            .map(|a| (a.words.as_str(), a.remove.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "patch elm-road",
                    "?stage=participant&champion=0193a0b2-0000-7000-8000-000000000001"
                ),
                (
                    "people who reached Participant",
                    "?patch=elm-road&champion=0193a0b2-0000-7000-8000-000000000001"
                ),
                (
                    "people contacted by Elm Road champion",
                    "?patch=elm-road&stage=participant"
                ),
            ]
        );
        assert!(
            form.stages
                .iter()
                .any(|c| c.selected && c.label == "Participant")
        );
        assert!(form.champions.iter().any(|c| c.selected));
        // A viewer has no champions to choose from, and the form says so
        // by leaving the choice out.
        let viewer = FilterForm::new(None, &web, FilterUse::People, &[]);
        assert!(viewer.champions.is_empty());
    }
}
