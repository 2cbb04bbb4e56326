//! `outreach-load`: simulated street champions' phones logging doorstep
//! sessions offline and syncing with `outreach serve` on 127.0.0.1, with
//! optional SIGKILL restarts of the server. Prints what it measured and
//! exits non-zero if any acknowledged change was lost or a phone did not
//! converge. See BENCHMARKS.md and RELIABILITY.md.
//!
//! ```text
//! cargo build --release -p server -p tests
//! target/release/outreach-load --phones 100 --seconds 30
//! target/release/outreach-load --phones 50 --seconds 60 --kills 5 --database-url postgres://...
//! ```

#![allow(clippy::print_stdout, reason = "a command-line tool prints its report")]

use std::time::Duration;

use clap::Parser;

/// Load and crash test against a real `outreach serve`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The server's database (default: a new SQLite file in a temporary
    /// directory). PostgreSQL works too: `postgres://...`.
    #[arg(long)]
    database_url: Option<String>,
    /// Simulated phones.
    #[arg(long, default_value_t = 100)]
    phones: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Conversations per doorstep session.
    #[arg(long, default_value_t = 30)]
    session_size: usize,
    /// Average seconds a phone waits after a sync before its next session
    /// (0: none, the phones keep the server saturated).
    #[arg(long, default_value_t = 0.0)]
    pause_seconds: f64,
    /// Times to SIGKILL and restart the server during the run.
    #[arg(long, default_value_t = 0)]
    kills: usize,
    /// Seed of the phones' choices.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = args
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("load.db").display()));
    let config = tests::load::Config {
        database_url,
        phones: args.phones.max(1),
        duration: Duration::from_secs(args.seconds.max(1)),
        session_size: args.session_size.max(1),
        pause: Duration::from_secs_f64(if args.pause_seconds.is_nan() {
            0.0
        } else {
            args.pause_seconds.clamp(0.0, 3600.0)
        }),
        kills: args.kills,
        seed: args.seed,
    };
    let report = tests::load::run(&config);
    println!("{report}");
    if report.lost == 0 && report.diverged == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        println!("FAILED: acknowledged changes were lost or phones diverged");
        std::process::ExitCode::FAILURE
    }
}
