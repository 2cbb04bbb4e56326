//! `GET /metrics`: the server's numbers in the Prometheus text format, for
//! whoever watches it (an admin token on the main address, or no token on
//! a separate `--metrics-bind` address kept off the internet).
//!
//! Each server keeps its own recorder (no process-wide one: tests run
//! several servers in one process). Counted as they happen: sync requests
//! and their latency, pushes by what became of them, refusals by code, how
//! far behind the feed phones were. Read at each scrape: the database's
//! size, and when the last good backup was taken.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::{AdminDevice, AppState, Router};
use crate::error::Result;
use crate::ops;

/// Seconds, for the sync latency histogram.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Feed entries, for how far behind phones were.
const LAG_BUCKETS: [f64; 8] = [
    0.0,
    1.0,
    10.0,
    100.0,
    1_000.0,
    10_000.0,
    100_000.0,
    1_000_000.0,
];

/// One server's recorder and the handle that renders it.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("outreach_sync_request_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("outreach_sync_feed_entries".into()),
                    &LAG_BUCKETS,
                )
            })
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            recorder: Arc::new(recorder),
            handle,
        };
        metrics.record(|| {
            metrics::describe_counter!(
                "outreach_sync_requests_total",
                "Sync requests answered, by HTTP status"
            );
            metrics::describe_histogram!(
                "outreach_sync_request_seconds",
                metrics::Unit::Seconds,
                "Time to answer a sync request"
            );
            metrics::describe_counter!(
                "outreach_pushes_total",
                "Documents phones pushed, by what became of them"
            );
            metrics::describe_counter!(
                "outreach_rejections_total",
                "Pushes refused, by the code phones are given"
            );
            metrics::describe_histogram!(
                "outreach_sync_feed_entries",
                "Feed entries a sync read past the phone's cursor: how far behind it was"
            );
            metrics::describe_gauge!(
                "outreach_database_bytes",
                metrics::Unit::Bytes,
                "The database's size"
            );
            metrics::describe_gauge!(
                "outreach_last_backup_timestamp_seconds",
                metrics::Unit::Seconds,
                "When the last good backup was taken (0: never)"
            );
        });
        metrics
    }
}

impl Metrics {
    /// Runs `f` with this server's recorder behind the `metrics` macros.
    fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&*self.recorder, f)
    }

    /// Counts one sync request answered with `status` after `took`.
    pub(crate) fn sync_answered(
        &self,
        status: u16,
        took: Duration,
        exchange: Option<&ops::sync::Exchange>,
    ) {
        self.record(|| {
            metrics::counter!("outreach_sync_requests_total", "status" => status.to_string())
                .increment(1);
            metrics::histogram!("outreach_sync_request_seconds").record(took);
            let Some(exchange) = exchange else {
                return;
            };
            let pushes = [
                ("accepted", exchange.accepted),
                ("rejected", exchange.rejected.len()),
                ("resend", exchange.resend),
            ];
            for (outcome, count) in pushes {
                if count > 0 {
                    metrics::counter!("outreach_pushes_total", "outcome" => outcome)
                        .increment(count as u64);
                }
            }
            for &code in &exchange.rejected {
                metrics::counter!("outreach_rejections_total", "code" => code).increment(1);
            }
            metrics::histogram!("outreach_sync_feed_entries").record(exchange.feed_entries as f64);
        });
    }

    /// Drains histogram samples now and then when nobody scrapes, so they
    /// do not pile up. Runs until the server stops.
    pub async fn upkeep(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            self.handle.run_upkeep();
        }
    }

    /// The text Prometheus reads, with the gauges read now.
    async fn render(&self, state: &AppState) -> Result<String> {
        let health = ops::backup::health(&state.db).await?;
        self.record(|| {
            metrics::gauge!("outreach_database_bytes").set(health.database_bytes as f64);
            let last = health
                .last_backup
                .map_or(0.0, |b| b.taken_at as f64 / 1000.0);
            metrics::gauge!("outreach_last_backup_timestamp_seconds").set(last);
        });
        Ok(self.handle.render())
    }
}

/// `/metrics` for admins, on the main address.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(for_admins))
}

/// `/metrics` with no token: only for a separate address (`--metrics-bind`).
pub fn unguarded(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(for_anyone))
        .with_state(state)
}

async fn for_admins(
    State(state): State<AppState>,
    AdminDevice(_): AdminDevice,
) -> Result<impl IntoResponse> {
    for_anyone(State(state)).await
}

async fn for_anyone(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let text = state.metrics.render(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    ))
}
