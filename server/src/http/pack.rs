//! The board pack in the API: `GET /v1/reports/pack` (JSON) and
//! `GET /v1/reports/pack.pdf` (an A4 PDF), for admins and viewers. The
//! pack is composed in [`crate::reports::pack`] from the headline figures
//! of the reports in [`PACK_REPORTS`], each computed as the report's own
//! API publishes them ([`super::reports::compared_headlines`]).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sync_core::Timestamp;

use super::reports::{audience, compared_headlines, entry, reads_reports};
use super::{AppState, Authenticated, PublicUrl, Router};
use crate::error::{Error, Result};
use crate::reports::pack::{Cover, Pack};
use crate::reports::{Audience, Compare, Filters, Period, pack_pdf};
use crate::store::Db;

/// The reports whose headline figures make the pack, in its order: who we
/// reached and how far they came, whether we are resident led, the doors,
/// and the promises kept. Each is computed twice (the period and the one
/// compared with), so every report added costs the pack its time twice;
/// the other reports' headline figures are on their own pages.
pub(crate) const PACK_REPORTS: [&str; 5] = [
    "funnel",
    "reach",
    "resident-led",
    "households",
    "you-said-we-did",
];

/// Which period the pack covers.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct PackQuery {
    /// A quarter (`2026-Q3`), a month (`2026-09`) or a year (`2026`); the
    /// last whole quarter when not given.
    #[serde(default)]
    pub period: Option<String>,
    /// `previous` (the default), `year-before` or `none`.
    #[serde(default)]
    pub compare: Option<String>,
}

impl PackQuery {
    /// The period and comparison asked for, or the last whole quarter
    /// before `now` compared with the one before it.
    pub(crate) fn chosen(&self, now: Timestamp) -> Result<(Period, Option<Compare>)> {
        let period = match self.period.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => Period::parse(text)?,
            _ => Period::last_whole_quarter(now.as_millis()),
        };
        let compare = match self.compare.as_deref() {
            Some(text) if !text.trim().is_empty() => Compare::parse(text)?,
            _ => Some(Compare::Previous),
        };
        Ok((period, compare))
    }
}

/// The board pack for what `query` chooses, as `audience` may see it: the
/// reports are computed at the same time, each for the period and the one
/// it is compared with, on the database's pool.
pub async fn pack(
    db: &std::sync::Arc<Db>,
    query: &PackQuery,
    audience: Audience,
    now: Timestamp,
) -> Result<Pack> {
    let (period, compare) = query.chosen(now)?;
    let Some(period_query) = period.query() else {
        return Err(Error::BadRequest(
            "the board pack covers a month, a quarter or a year".into(),
        ));
    };
    let filters = Filters {
        period: Some(period_query.clone()),
        compare: Some(match compare {
            Some(Compare::Previous) => "previous".into(),
            Some(Compare::YearBefore) => "year-before".into(),
            None => "none".into(),
        }),
        ..Filters::default()
    };
    let mut running = tokio::task::JoinSet::new();
    for (order, name) in PACK_REPORTS.into_iter().enumerate() {
        let (db, filters) = (db.clone(), filters.clone());
        running.spawn(async move {
            let entry = entry(name)?;
            // A report that cannot be shown for the period (for a viewer,
            // too few people) is said in its place; the rest still are.
            let headlines = match compared_headlines(&db, entry, &filters, audience, now).await {
                Ok(headlines) => headlines.map(Ok),
                Err(Error::BadRequest(why)) => Some(Err(why)),
                Err(other) => return Err(other),
            };
            Ok::<_, Error>((order, entry, headlines))
        });
    }
    let mut reports = Vec::new();
    while let Some(done) = running.join_next().await {
        let (order, entry, headlines) =
            done.map_err(|e| Error::Render(format!("a report of the pack failed: {e}")))??;
        if let Some(headlines) = headlines {
            reports.push((
                order,
                entry.name.to_owned(),
                entry.label.to_owned(),
                headlines,
            ));
        }
    }
    reports.sort_by_key(|(order, ..)| *order);
    let area = crate::ops::area::read(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(crate::reports::pack::compose(
        Cover {
            area,
            period: period.view(),
            period_query,
            compare,
            made: crate::calendar::date(now.as_millis()),
            adjusted: audience == Audience::Adjusted,
        },
        reports
            .into_iter()
            .map(|(_, name, label, headlines)| (name, label, headlines))
            .collect(),
    ))
}

/// The pack as an A4 PDF, with the chart of its figures per patch; its
/// sentences link to their reports on the dashboard at `site`.
pub fn pdf(pack: &Pack, site: &PublicUrl) -> Result<Vec<u8>> {
    let charts = super::dashboard::pack_page::charts(pack)?;
    pack_pdf::render(pack, &charts, site.as_str())
}

/// The pack's PDF, made on a blocking thread (drawing it is CPU work), as
/// a download named for the period: what the API and the dashboard answer.
pub(crate) async fn pdf_download(pack: Pack, site: PublicUrl) -> Result<Response> {
    let (pack, bytes) = tokio::task::spawn_blocking(move || {
        let bytes = pdf(&pack, &site);
        (pack, bytes)
    })
    .await
    .map_err(|e| Error::Render(format!("making the PDF failed: {e}")))?;
    let bytes = bytes?;
    let name: String = format!("board-pack-{}", pack.period_query)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/reports/pack", get(board_pack))
        .route("/v1/reports/pack.pdf", get(board_pack_pdf))
}

/// The board pack: every report's headline figures for a period with their
/// change and target, and sentences written from the figures shown. Hidden
/// figures stay hidden: a sentence never gives one.
#[utoipa::path(get, path = "/v1/reports/pack", params(PackQuery), responses(
    (status = 200, description = "The board pack", body = Pack),
    (status = 400, description = "A period or comparison that cannot be read", body = super::ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn board_pack(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    Query(query): Query<PackQuery>,
) -> Result<Json<Pack>> {
    reads_reports(&device)?;
    Ok(Json(
        pack(&state.db, &query, audience(device.role), state.now()).await?,
    ))
}

/// The board pack as an A4 PDF: the area, the period, the day it was made,
/// the headline figures, the sentences and a chart, with page numbers.
#[utoipa::path(get, path = "/v1/reports/pack.pdf", params(PackQuery), responses(
    (status = 200, description = "The board pack as a PDF", content_type = "application/pdf"),
    (status = 400, description = "A period or comparison that cannot be read", body = super::ErrorBody),
), security(("bearer" = [])))]
pub(super) async fn board_pack_pdf(
    State(state): State<AppState>,
    Authenticated(device): Authenticated,
    Query(query): Query<PackQuery>,
) -> Result<Response> {
    reads_reports(&device)?;
    let pack = pack(&state.db, &query, audience(device.role), state.now()).await?;
    pdf_download(pack, state.settings.public_url.clone()).await
}
