//! `outreach admin targets ...`: the partnership's targets on headline
//! figures, through the same use cases as the API and the dashboard
//! (`crate::ops::targets`).

use clap::Subcommand;
use sync_core::{Clock, SystemClock};

use super::ACTOR;
use crate::error::{Error, Result};
use crate::ops;
use crate::reports::headlines::Unit;
use crate::reports::targets::{Comparison, Target};
use crate::store::Db;

/// `admin targets` subcommands.
#[derive(Debug, Subcommand)]
pub enum TargetsCommand {
    /// List the targets set.
    List,
    /// List every figure a target may name.
    Figures,
    /// Set a target on a report's headline figure (replacing any on it).
    Set {
        /// The report: funnel, reach, resident-led, households or
        /// you-said-we-did.
        report: String,
        /// The figure's key (see `targets figures`), e.g.
        /// `under_55_share_of_participants` or
        /// `knocked_per_1000_households@*` for every patch.
        figure: String,
        /// The figure should be at least this (a share in percent: 60 for 60%).
        #[arg(long, conflicts_with = "at_most", required_unless_present = "at_most")]
        at_least: Option<f64>,
        /// The figure should be at most this.
        #[arg(long)]
        at_most: Option<f64>,
        /// How far short of the goal still counts as close.
        #[arg(long, default_value_t = 0.0)]
        margin: f64,
    },
    /// Remove the target on a figure.
    Remove {
        /// The report.
        report: String,
        /// The figure's key.
        figure: String,
    },
}

fn line(t: &Target) -> String {
    format!(
        "{}\t{}\t{} {}\tmargin {}",
        t.report,
        t.figure,
        t.comparison.words(),
        t.goal,
        t.margin
    )
}

pub(super) async fn run(db: &Db, command: TargetsCommand, clock: SystemClock) -> Result<()> {
    let now = clock.now();
    match command {
        TargetsCommand::List => {
            for t in ops::targets::list(db).await? {
                println!("{}", line(&t));
            }
        }
        TargetsCommand::Figures => {
            for (report, key, label, unit) in ops::targets::choices(db).await? {
                let unit = match unit {
                    Unit::Count => "a count",
                    Unit::Percent => "a percentage",
                    Unit::PerThousand => "per 1,000 households",
                };
                println!("{report}\t{key}\t{label} ({unit})");
            }
        }
        TargetsCommand::Set {
            report,
            figure,
            at_least,
            at_most,
            margin,
        } => {
            let (comparison, goal) = match (at_least, at_most) {
                (Some(goal), _) => (Comparison::AtLeast, goal),
                (None, Some(goal)) => (Comparison::AtMost, goal),
                (None, None) => {
                    return Err(Error::BadRequest("give --at-least or --at-most".into()));
                }
            };
            let target = Target {
                report,
                figure,
                comparison,
                goal,
                margin,
            };
            let set = ops::targets::set(db, ACTOR, &target, now).await?;
            println!("{}", line(&set));
        }
        TargetsCommand::Remove { report, figure } => {
            ops::targets::remove(db, ACTOR, &report, &figure, now).await?;
            println!("removed {report}\t{figure}");
        }
    }
    Ok(())
}
