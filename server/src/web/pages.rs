//! The report pages: each report's figures as tables, with a chart beside
//! each table, the filter form and a CSV download. Every figure comes from
//! the same report functions as the API (`crate::reports`), so the page and
//! `GET /v1/reports/...` always agree.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sync_core::{AgeBand, AreaConfig, EntryChannel, Ladder};

use super::sections::{self, Section};
use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::error::Error;
use crate::http::AppState;
use crate::reports::{self, Filters, Report};

/// A report the dashboard shows.
pub(crate) struct ReportInfo {
    pub(crate) slug: &'static str,
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    intro: &'static str,
    filtered: bool,
}

/// Every report, in the navigation's order.
pub(crate) const REPORTS: [ReportInfo; 8] = [
    ReportInfo {
        slug: "funnel",
        href: "/reports/funnel",
        label: "Funnel",
        intro: "How many people reached each step of the ladder, how many went on to the next, and how long each step took.",
        filtered: true,
    },
    ReportInfo {
        slug: "routes",
        href: "/reports/routes",
        label: "Routes",
        intro: "From the way people first came to us to the highest step they have reached: which routes lead to leadership.",
        filtered: true,
    },
    ReportInfo {
        slug: "resident-led",
        href: "/reports/resident-led",
        label: "Resident-led",
        intro: "Are we resident led? The share of partnership members who are residents, against the area's threshold, now and over time.",
        filtered: false,
    },
    ReportInfo {
        slug: "civic-core",
        href: "/reports/civic-core",
        label: "Civic core",
        intro: "Are we reaching beyond the same few people? Who holds several roles, how much of the activity the most active tenth does, and new faces at events.",
        filtered: true,
    },
    ReportInfo {
        slug: "reach",
        href: "/reports/reach",
        label: "Reach",
        intro: "Contacts, conversations and participants per patch (per 1,000 households), and by age, tenure, language and ethnicity.",
        filtered: true,
    },
    ReportInfo {
        slug: "turnover",
        href: "/reports/turnover",
        label: "Turnover",
        intro: "Are leavers being replaced? Members joining and leaving per year, how long they serve, empty seats and the working-group pipeline.",
        filtered: false,
    },
    ReportInfo {
        slug: "champions",
        href: "/reports/champions",
        label: "Champions",
        intro: "Street champions' doors knocked, conversations, and follow-ups promised and overdue, per champion's phone and patch.",
        filtered: true,
    },
    ReportInfo {
        slug: "households",
        href: "/reports/households",
        label: "Doors",
        intro: "Households reached: doors on the list, knocked and answered per patch, and per 1,000 households. Dates and patch filter the knocks; channel and age band describe people, not doors, and are not used here.",
        filtered: true,
    },
];

fn report_info(slug: &str) -> Result<&'static ReportInfo, WebError> {
    REPORTS
        .iter()
        .find(|r| r.slug == slug)
        .ok_or(WebError::Page(Error::NotFound("report")))
}

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
}

fn set(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl WebFilters {
    /// The report filters; dates are whole UTC days, `to` included.
    fn to_filters(&self) -> Result<Filters, Error> {
        Ok(Filters {
            from: set(&self.from)
                .map(|d| calendar::parse_date(&d, "from"))
                .transpose()?,
            to: set(&self.to)
                .map(|d| calendar::parse_date(&d, "until"))
                .transpose()?
                .map(|day| day + sync_core::Timestamp::DAY_MILLIS),
            patch: set(&self.patch),
            channel: set(&self.channel),
            age_band: set(&self.age_band),
            cohort: set(&self.cohort),
            format: None,
        })
    }

    /// The same filters as a query string, for the CSV link.
    fn query(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("cohort", &self.cohort),
            ("patch", &self.patch),
            ("channel", &self.channel),
            ("age_band", &self.age_band),
        ];
        let set: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v.trim())))
            .collect();
        if set.is_empty() {
            String::new()
        } else {
            format!("?{}", set.join("&"))
        }
    }
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
    patches: Vec<Choice>,
    channels: Vec<Choice>,
    age_bands: Vec<Choice>,
    summary: String,
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
    fn new(area: Option<&AreaConfig>, f: &WebFilters) -> Self {
        let patches = area.map_or(&[][..], |a| a.patches.as_slice());
        let mut summary = Vec::new();
        for (label, value) in [
            ("first contact from", &f.from),
            ("until", &f.to),
            ("first contacted in", &f.cohort),
            ("patch", &f.patch),
            ("channel", &f.channel),
            ("age", &f.age_band),
        ] {
            if let Some(v) = set(value) {
                summary.push(format!("{label} {v}"));
            }
        }
        Self {
            from: f.from.clone(),
            to: f.to.clone(),
            cohort: f.cohort.clone(),
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
            summary: summary.join(", "),
        }
    }
}

/// A loaded report, whichever it is.
enum Loaded {
    Funnel(reports::Funnel),
    Routes(reports::Routes),
    ResidentLed(reports::ResidentLed),
    CivicCore(reports::CivicCore),
    Reach(reports::Reach),
    Turnover(reports::Turnover),
    Champions(reports::ChampionActivity),
    Households(reports::HouseholdReach),
}

impl Loaded {
    async fn load(state: &AppState, slug: &str, filters: &Filters) -> Result<Self, Error> {
        let db = &state.db;
        let now = state.now();
        Ok(match slug {
            "funnel" => Self::Funnel(reports::funnel(db, filters).await?),
            "routes" => Self::Routes(reports::routes(db, filters).await?),
            "resident-led" => Self::ResidentLed(reports::resident_led(db, now).await?),
            "civic-core" => Self::CivicCore(reports::civic_core(db, filters, now).await?),
            "reach" => Self::Reach(reports::reach(db, filters).await?),
            "turnover" => Self::Turnover(reports::turnover(db, now).await?),
            "champions" => Self::Champions(reports::champion_activity(db, filters, now).await?),
            "households" => {
                // Doors are not people: the people filters do not apply.
                let doors = Filters {
                    channel: None,
                    age_band: None,
                    ..filters.clone()
                };
                Self::Households(reports::household_reach(db, &doors).await?)
            }
            _ => return Err(Error::NotFound("report")),
        })
    }

    /// The report a page or CSV request names, with the form's filters
    /// (ignored by the reports that take none).
    async fn for_request(
        state: &AppState,
        slug: &str,
        web: &WebFilters,
    ) -> Result<(&'static ReportInfo, Self), WebError> {
        let info = report_info(slug)?;
        let filters = if info.filtered {
            web.to_filters()?
        } else {
            Filters::default()
        };
        Ok((info, Self::load(state, info.slug, &filters).await?))
    }

    fn csv(&self) -> String {
        match self {
            Self::Funnel(r) => r.to_csv(),
            Self::Routes(r) => r.to_csv(),
            Self::ResidentLed(r) => r.to_csv(),
            Self::CivicCore(r) => r.to_csv(),
            Self::Reach(r) => r.to_csv(),
            Self::Turnover(r) => r.to_csv(),
            Self::Champions(r) => r.to_csv(),
            Self::Households(r) => r.to_csv(),
        }
    }

    fn sections(&self, ladder: &Ladder, now: i64) -> Result<Vec<Section>, Error> {
        match self {
            Self::Funnel(r) => sections::funnel(r),
            Self::Routes(r) => sections::routes(r, ladder),
            Self::ResidentLed(r) => sections::resident_led(r, now),
            Self::CivicCore(r) => sections::civic_core(r),
            Self::Reach(r) => sections::reach(r),
            Self::Turnover(r) => sections::turnover(r),
            Self::Champions(r) => sections::champions(r),
            Self::Households(r) => sections::households(r),
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    chrome: Chrome,
    intro: &'static str,
    path: &'static str,
    filters: Option<FilterForm>,
    sections: Vec<Section>,
    csv_href: String,
}

/// `GET /reports/{report}`: one report as a page.
pub(super) async fn report_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Query(web): Query<WebFilters>,
) -> Result<Response, WebError> {
    let (info, report) = Loaded::for_request(&state, &slug, &web).await?;
    let area = crate::admin::area(&state.db).await?;
    let ladder = area.as_ref().map(|a| a.ladder.clone()).unwrap_or_default();
    let page = ReportPage {
        title: info.label.to_owned(),
        chrome: Chrome::signed_in(&user, info.href, area.as_ref()),
        intro: info.intro,
        path: info.href,
        filters: info.filtered.then(|| FilterForm::new(area.as_ref(), &web)),
        sections: report.sections(&ladder, state.now().as_millis())?,
        csv_href: format!("{}/csv{}", info.href, web.query()),
    };
    Ok(html(&page)?.into_response())
}

/// `GET /reports/{report}/csv`: the report's CSV, as the API gives it.
pub(super) async fn report_csv(
    State(state): State<AppState>,
    _user: WebUser,
    Path(slug): Path<String>,
    Query(web): Query<WebFilters>,
) -> Result<Response, WebError> {
    let (info, report) = Loaded::for_request(&state, &slug, &web).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", info.slug),
            ),
        ],
        report.csv(),
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
    }
}
