//! The report registry, and `GET /v1/reports/{report}`.
//!
//! [`REPORTS`] is the one list of published reports: each entry gives a
//! report's name (its route: `/v1/reports/NAME` in the API, `/reports/NAME`
//! in the dashboard), its label and introduction, and, through its type,
//! its filters and how it loads ([`crate::reports::Report`]), its CSV and
//! its dashboard sections ([`Sections`]). The API's routes, the OpenAPI
//! document, the dashboard's navigation and its pages all read it.

use std::future::Future;
use std::pin::Pin;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sync_core::{Ladder, Timestamp};
use utoipa::openapi::{RefOr, schema::Schema};

use super::dashboard::sections::{Section, Sections};
use super::{AppState, Authenticated, Router};
use crate::error::{Error, Result};
use crate::ops::{Device, Role};
use crate::reports::disclosure::Page;
use crate::reports::{
    Audience, Board, ChampionActivity, CivicCore, Dimension, EventReach, FilterUse, Filters,
    Funnel, GroupsReport, Headlines, HouseholdReach, PatchMap, Reach, Report, ResidentLed, Routes,
    Trends, Turnover, Voices, YouSaidWeDid, headlines,
};
use crate::store::Db;

/// A published report.
pub(crate) struct ReportEntry {
    /// Its name in routes: `/v1/reports/NAME`, `/reports/NAME`.
    pub(crate) name: &'static str,
    /// Its label in the dashboard's navigation.
    pub(crate) label: &'static str,
    /// What it answers, in plain words (the page's introduction and the
    /// API's description).
    pub(crate) intro: &'static str,
    /// The filters it takes.
    pub(crate) filters: FilterUse,
    /// What it counts people by.
    pub(crate) breakdowns: &'static [Dimension],
    /// Computes it.
    pub(crate) load: LoadFn,
    /// Computes what its headline figures need, and maybe no more
    /// ([`Report::load_headlines`]).
    pub(crate) load_headlines: LoadFn,
    /// Adds its schemas to the OpenAPI document's and returns the name of
    /// its own.
    pub(crate) schema: fn(&mut Schemas) -> String,
}

/// Named schemas for the OpenAPI document's components.
pub(crate) type Schemas = Vec<(String, RefOr<Schema>)>;

/// Computes a report for what the filters choose, as the audience may see
/// it, at a time.
pub(crate) type LoadFn = for<'a> fn(&'a Db, &'a Filters, Audience, Timestamp) -> Loading<'a>;

/// A report being computed.
pub(crate) type Loading<'a> = Pin<Box<dyn Future<Output = Result<Box<dyn Published>>> + Send + 'a>>;

/// A computed report, whichever it is: as JSON, CSV or dashboard sections.
pub(crate) trait Published: Send {
    /// The report as the API's JSON.
    fn json(&self) -> Response;
    /// The report as a JSON value.
    fn value(&self) -> serde_json::Value;
    /// Its figures' relations, for an auditor.
    fn page(&self) -> Option<&Page>;
    /// Whether its counts are adjusted (for viewers).
    fn adjusted(&self) -> bool;
    /// The report as CSV.
    fn csv(&self) -> String;
    /// The report as dashboard sections.
    fn sections(&self, ladder: &Ladder, now: i64) -> Result<Vec<Section>>;
}

impl<R: Report + Sections> Published for R {
    fn json(&self) -> Response {
        Json(self).into_response()
    }

    fn value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    fn page(&self) -> Option<&Page> {
        self.disclosure_page()
    }

    fn adjusted(&self) -> bool {
        self.is_adjusted()
    }

    fn csv(&self) -> String {
        self.to_csv()
    }

    fn sections(&self, ladder: &Ladder, now: i64) -> Result<Vec<Section>> {
        Sections::sections(self, ladder, now)
    }
}

fn load<'a, R: Report + Sections>(
    db: &'a Db,
    filters: &'a Filters,
    audience: Audience,
    now: Timestamp,
) -> Loading<'a> {
    boxed(R::load(db, filters, audience, now))
}

fn load_headlines<'a, R: Report + Sections>(
    db: &'a Db,
    filters: &'a Filters,
    audience: Audience,
    now: Timestamp,
) -> Loading<'a> {
    boxed(R::load_headlines(db, filters, audience, now))
}

/// A report being computed, as any published report.
fn boxed<'a, R: Report + Sections>(
    computing: impl Future<Output = Result<R>> + Send + 'a,
) -> Loading<'a> {
    Box::pin(async move { Ok(Box::new(computing.await?) as Box<dyn Published>) })
}

/// What a device with `role` sees of the reports: admins, exact figures;
/// viewers, figures adjusted by the cell key method.
pub(crate) fn audience(role: Role) -> Audience {
    if role == Role::Admin {
        Audience::Exact
    } else {
        Audience::Adjusted
    }
}

fn schema<R: Report>(schemas: &mut Schemas) -> String {
    let name = R::name().into_owned();
    schemas.push((name.clone(), R::schema()));
    R::schemas(schemas);
    name
}

impl ReportEntry {
    /// The entry for the report `R`.
    const fn of<R: Report + Sections>(
        name: &'static str,
        label: &'static str,
        intro: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            intro,
            filters: R::FILTERS,
            breakdowns: R::BREAKDOWNS,
            load: load::<R>,
            load_headlines: load_headlines::<R>,
            schema: schema::<R>,
        }
    }
}

/// Every published report, in the dashboard's navigation order.
pub(crate) const REPORTS: [ReportEntry; 15] = [
    ReportEntry::of::<Funnel>(
        "funnel",
        "Funnel",
        "How many people reached each step of the ladder, how many went on to the next, and how long each step took.",
    ),
    ReportEntry::of::<Routes>(
        "routes",
        "Routes",
        "From the way people first came to us to the highest step they have reached: which routes lead to leadership.",
    ),
    ReportEntry::of::<ResidentLed>(
        "resident-led",
        "Resident-led",
        "Are we resident led? The share of partnership members who are residents, against the area's threshold, now and over time.",
    ),
    ReportEntry::of::<Board>(
        "board",
        "Board and area",
        "Does the board look like the area? The partnership board now beside everyone contacted, and beside the census where the area entered it: by age, housing, resident definition and other hats.",
    ),
    ReportEntry::of::<CivicCore>(
        "civic-core",
        "Civic core",
        "Are we reaching beyond the same few people? Who holds several roles, how much of the activity the most active tenth does, and new faces at events.",
    ),
    ReportEntry::of::<EventReach>(
        "events",
        "Events",
        "Do events reach new people, or the same ones? Per kind of event and per month: events held, people counted without records, and named attendances, first-time or returning, and by people already holding a role.",
    ),
    ReportEntry::of::<Reach>(
        "reach",
        "Reach",
        "Contacts, conversations and participants per patch, with the households reached per 1,000 households, and by age, tenure, language and ethnicity.",
    ),
    ReportEntry::of::<Trends>(
        "trends",
        "Trends",
        "Month by month, per patch: people first contacted, first spoken with and taking part for the first time; doors knocked week by week; and how far the people first contacted in each month have gone. Dates and patch choose the months; channel, age band, stage and champion are not used here.",
    ),
    ReportEntry::of::<Turnover>(
        "turnover",
        "Turnover",
        "Are leavers being replaced? Members joining and leaving per year, how long they serve and stay (past three years, a retention curve), whether leavers stay active, empty seats and the working-group pipeline.",
    ),
    ReportEntry::of::<GroupsReport>(
        "groups",
        "Group membership",
        "Who is in each working group, how many of them are new to us, how membership changed over two years, which groups nobody new has joined in a year, and how many members went on to the partnership board.",
    ),
    ReportEntry::of::<ChampionActivity>(
        "champions",
        "Champions",
        "Street champions' knocks, conversations held, and follow-ups promised and overdue, per champion and patch.",
    ),
    ReportEntry::of::<HouseholdReach>(
        "households",
        "Doors",
        "Households reached: doors on the list, knocked and answered per patch, and per 1,000 households. Dates and patch filter the knocks; channel, age band, stage and champion describe people, not doors, and are not used here.",
    ),
    ReportEntry::of::<PatchMap>(
        "map",
        "Map",
        "A map of the patches drawn from the doors on the list: each shaded by households contacted per 1,000 households (as on Reach), with the doors knocked and not yet knocked in the period (as on Doors). Dates and patch filter it.",
    ),
    ReportEntry::of::<Voices>(
        "voices",
        "Voices",
        "What residents raise at the door, and what they would like to join: each topic per patch and month, counted in conversations. Dates and patch choose the conversations.",
    ),
    ReportEntry::of::<YouSaidWeDid>(
        "you-said-we-did",
        "You said, we did",
        "Promises made at the door and whether we kept them: promised, done, done on time, still to do and overdue, per patch and topic, the median time to do them, and the latest promises kept in words fit for a newsletter. Dates and patch choose when promises were made.",
    ),
];

/// Every published report's name and what it counts people by, in the
/// registry's order.
pub fn breakdowns() -> impl Iterator<Item = (&'static str, &'static [Dimension])> {
    REPORTS.iter().map(|r| (r.name, r.breakdowns))
}

/// The report called `name` as the API publishes it (JSON) to `audience`,
/// and the relations between its figures with their true counts when it
/// has them: what an auditor needs to check that nothing hidden can be
/// worked out.
pub async fn published(
    db: &Db,
    name: &str,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<(serde_json::Value, Option<Page>)> {
    let report = (entry(name)?.load)(db, filters, audience, now).await?;
    Ok((report.value(), report.page().cloned()))
}

/// The registry entry of the report called `name`.
pub(crate) fn entry(name: &str) -> Result<&'static ReportEntry> {
    REPORTS
        .iter()
        .find(|r| r.name == name)
        .ok_or(Error::NotFound("report"))
}

/// A report computed for the period its filters choose, with its headline
/// figures beside the same figures for the period it is compared with.
pub(crate) struct Compared {
    /// The report for the period chosen.
    pub(crate) report: Box<dyn Published>,
    /// Its headline figures and their changes, if it has headline figures.
    pub(crate) headlines: Option<Headlines>,
}

/// Computes the report of `entry` for what `filters` choose and, when they
/// ask for a comparison, its headline figures for the period it is
/// compared with (at the same time), and derives the change of each
/// headline figure from the two reports as published (so a change is never
/// of a hidden figure). A comparison that cannot be computed (for a viewer,
/// too few people in the earlier period) is left out, saying why; the
/// report is still given.
pub(crate) async fn compared(
    db: &Db,
    entry: &ReportEntry,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<Compared> {
    compute(db, entry, filters, audience, now, entry.load).await
}

/// The headline figures of the report of `entry` as [`compared`] gives
/// them, computing only what they need (the board pack and
/// `/v1/reports/{report}/headlines` show nothing else); `None` for a report
/// without headline figures.
pub(crate) async fn compared_headlines(
    db: &Db,
    entry: &ReportEntry,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
) -> Result<Option<Headlines>> {
    Ok(
        compute(db, entry, filters, audience, now, entry.load_headlines)
            .await?
            .headlines,
    )
}

async fn compute(
    db: &Db,
    entry: &ReportEntry,
    filters: &Filters,
    audience: Audience,
    now: Timestamp,
    load: LoadFn,
) -> Result<Compared> {
    let periods = filters.periods()?;
    // A patch the area does not have (a mistyped or stale link) is said,
    // not answered with empty figures.
    if let Some(patch) = filters.patch.as_deref().filter(|p| !p.trim().is_empty())
        && entry.filters != FilterUse::None
        && let Some(area) = crate::ops::area::read(db).await?
        && area.patch(patch).is_none()
    {
        return Err(Error::BadRequest(format!(
            "there is no patch {patch:?} in this area: choose one from the list"
        )));
    }
    let dated = entry.filters != FilterUse::None;
    let comparing = headlines::has_headlines(entry.name)
        .then_some(periods.earlier.as_ref())
        .flatten()
        .filter(|_| dated);
    // The earlier period's report is read for its headline figures only.
    let earlier_report = async {
        match comparing {
            Some((_, earlier_filters)) => {
                Some((entry.load_headlines)(db, earlier_filters, audience, now).await)
            }
            None => None,
        }
    };
    let (report, earlier_report) = tokio::join!(load(db, filters, audience, now), earlier_report);
    let report = report?;
    if !headlines::has_headlines(entry.name) {
        return Ok(Compared {
            report,
            headlines: None,
        });
    }
    let value = report.value();
    let figures = headlines::read(entry.name, &value);
    let suppressed_below = value["suppressed_below"]
        .as_u64()
        .unwrap_or(u64::from(sync_core::AreaConfig::DEFAULT_SUPPRESS_BELOW));
    let (mut earlier, mut because) = (None, None);
    if !dated {
        because = Some(
            "this report is about the board and the working groups as they are now: periods and comparisons do not apply"
                .to_owned(),
        );
    } else if let Some(earlier_report) = earlier_report {
        match earlier_report {
            Ok(report) => earlier = Some(headlines::read(entry.name, &report.value())),
            Err(Error::BadRequest(why)) => {
                because = Some(format!("the earlier period could not be shown: {why}"));
            }
            Err(other) => return Err(other),
        }
    } else if periods.period.is_none() {
        because = Some("no period was chosen to compare".to_owned());
    }
    let mut figures = headlines::compare(figures, earlier.as_deref());
    crate::reports::targets::judge_all(
        entry.name,
        &mut figures,
        &crate::reports::targets::load(db).await?,
    );
    Ok(Compared {
        report,
        headlines: Some(Headlines {
            period: periods.period.filter(|_| dated).map(|p| p.view()),
            compare: periods.compare.filter(|_| dated),
            compared_with: periods
                .earlier
                .as_ref()
                .filter(|_| earlier.is_some())
                .map(|(p, _)| p.view()),
            no_comparison_because: because,
            figures,
            suppressed_below,
        }),
    })
}

/// The headlines as CSV: one line a figure, with the figure for the period
/// compared with and the change; hidden figures marked as the reports' CSVs
/// mark them (`<N`, `hidden`, `n/a`). A share or a rate hidden because it
/// is of a few people is `hidden`: `<5` beside a percentage would read as
/// under 5%.
pub(crate) fn headlines_csv(headlines: &Headlines) -> String {
    use crate::reports::{Withheld, headlines::Unit};
    let below = headlines.suppressed_below;
    let mark = |unit: Unit, value: Option<f64>, why: Option<Withheld>| match (value, why) {
        (Some(v), _) => v.to_string(),
        (None, Some(Withheld::Small)) if unit != Unit::Count => {
            Withheld::Protects.csv_marker(below)
        }
        (None, Some(why)) => why.csv_marker(below),
        (None, None) => String::new(),
    };
    let rows: Vec<Vec<String>> = headlines
        .figures
        .iter()
        .map(|h| {
            vec![
                h.key.clone(),
                h.label.clone(),
                serde_json::to_value(h.unit)
                    .ok()
                    .and_then(|u| u.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                mark(h.unit, h.value, h.withheld),
                mark(h.unit, h.earlier, h.earlier_withheld),
                h.change.map(|c| c.to_string()).unwrap_or_default(),
                h.change_percent.map(|c| c.to_string()).unwrap_or_default(),
                h.no_change_because.clone().unwrap_or_default(),
                h.target.as_ref().map_or(String::new(), |t| {
                    format!(
                        "{} {}",
                        t.comparison.words(),
                        crate::reports::targets::amount(h.unit, t.goal)
                    )
                }),
                h.target.as_ref().map_or(String::new(), |t| {
                    serde_json::to_value(t.status)
                        .ok()
                        .and_then(|s| s.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
            ]
        })
        .collect();
    let period = headlines
        .period
        .as_ref()
        .map_or("no period chosen".to_owned(), |p| p.label.clone());
    let with = headlines
        .compared_with
        .as_ref()
        .map_or(String::new(), |p| format!(", compared with {}", p.label));
    crate::reports::table_csv(
        &format!("Headline figures: {period}{with}"),
        &[
            "key",
            "figure",
            "unit",
            "value",
            "earlier",
            "change",
            "change_percent",
            "note",
            "target",
            "target_status",
        ]
        .map(str::to_owned),
        &rows,
    )
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/reports/{report}", get(report))
        .route("/v1/reports/{report}/headlines", get(report_headlines))
}

/// `GET /v1/reports/{report}/headlines`: a report's headline figures for a
/// period, compared with another, as JSON or CSV.
async fn report_headlines(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Response> {
    reads_reports(&device)?;
    let entry = entry(&name)?;
    let headlines = compared_headlines(
        &state.db,
        entry,
        &filters,
        audience(device.role),
        state.now(),
    )
    .await?;
    let Some(headlines) = headlines else {
        return Err(Error::NotFound("headline figures for this report"));
    };
    Ok(if wants_csv(&filters, &headers) {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            headlines_csv(&headlines),
        )
            .into_response()
    } else {
        Json(headlines).into_response()
    })
}

/// Refuses a revoked token, and any but an admin's or a viewer's.
pub(crate) fn reads_reports(device: &Device) -> Result<()> {
    if device.revoked {
        return Err(Error::Unauthorized);
    }
    if !device.role.reads_reports() {
        return Err(Error::Forbidden("reports are for admins and viewers"));
    }
    Ok(())
}

fn wants_csv(filters: &Filters, headers: &HeaderMap) -> bool {
    filters.wants_csv()
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))
}

/// `GET /v1/reports/{report}`: a report as JSON, or as CSV with
/// `?format=csv` or `Accept: text/csv`, for admin and viewer tokens.
/// Described per report in the OpenAPI document.
async fn report(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Response> {
    reads_reports(&device)?;
    let entry = entry(&name)?;
    let csv = wants_csv(&filters, &headers);
    let Compared { report, headlines } = compared(
        &state.db,
        entry,
        &filters,
        audience(device.role),
        state.now(),
    )
    .await?;
    Ok(if csv {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report.csv(),
        )
            .into_response()
    } else if let Some(headlines) = headlines {
        // The report as it is, with its headline figures beside it.
        let mut value = report.value();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "headlines".to_owned(),
                serde_json::to_value(headlines).unwrap_or_default(),
            );
        }
        Json(value).into_response()
    } else {
        report.json()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Withheld;
    use crate::reports::headlines::Unit;

    fn hidden(key: &str, unit: Unit) -> crate::reports::Headline {
        crate::reports::Headline {
            withheld: Some(Withheld::Small),
            ..crate::reports::Headline::blank(key, key, unit)
        }
    }

    #[test]
    fn a_small_share_is_not_marked_as_under_the_threshold_in_percent() {
        let csv = headlines_csv(&Headlines {
            period: None,
            compare: None,
            compared_with: None,
            no_comparison_because: None,
            figures: vec![
                hidden("people", Unit::Count),
                hidden("share", Unit::Percent),
            ],
            suppressed_below: 5,
        });
        assert!(csv.contains("\npeople,people,count,<5,"), "{csv}");
        assert!(csv.contains("\nshare,share,percent,hidden,"), "{csv}");
    }
}
