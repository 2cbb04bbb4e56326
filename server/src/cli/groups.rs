//! `outreach admin groups ...`: working groups from the command line,
//! through the same use cases as the API and the dashboard
//! (`crate::ops::groups`).

use clap::Subcommand;
use sync_core::{Clock, SystemClock, Timestamp};

use super::{ACTOR, parse_record_id};
use crate::calendar;
use crate::error::{Error, Result};
use crate::ops;
use crate::ops::groups::GroupInput;
use crate::store::Db;

/// `admin groups` subcommands.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List the working groups, with how many are members now.
    List,
    /// Add a working group.
    Add {
        /// Its name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        details: GroupDetails,
    },
    /// Change a working group: its details become those given.
    Change {
        /// The group's id.
        group: String,
        /// Its name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        details: GroupDetails,
    },
    /// Close a working group: it stays on record and takes no new members.
    Close {
        /// The group's id.
        group: String,
    },
    /// Open a closed working group again.
    Open {
        /// The group's id.
        group: String,
    },
    /// List everyone who was ever a member of a group, with names.
    Members {
        /// The group's id.
        group: String,
    },
    /// Record that someone joined a group.
    Join {
        /// The person's record id.
        person: String,
        /// The group's id.
        group: String,
        /// The day they joined (YYYY-MM-DD; today if not given).
        #[arg(long)]
        start: Option<String>,
    },
    /// Record that someone left a group.
    Leave {
        /// The person's record id.
        person: String,
        /// Their membership's entry (`admin groups members` shows it).
        entry: String,
        /// The day they left (YYYY-MM-DD; today if not given).
        #[arg(long)]
        end: Option<String>,
    },
}

/// A group's details besides its name.
#[derive(Debug, clap::Args)]
pub struct GroupDetails {
    /// The patch it serves (a slug); the whole area if not given.
    #[arg(long)]
    patch: Option<String>,
    /// What it is for.
    #[arg(long)]
    purpose: Option<String>,
    /// One of the area's topics it works on (repeat for several).
    #[arg(long = "topic")]
    topics: Vec<String>,
    /// It spends a budget of its own.
    #[arg(long)]
    devolved_budget: bool,
    /// It makes decisions the partnership handed to it.
    #[arg(long)]
    devolved_decisions: bool,
    /// It has a constitution of its own.
    #[arg(long)]
    constituted: bool,
    /// The record id of the person leading it.
    #[arg(long)]
    lead: Option<String>,
}

impl GroupDetails {
    fn input(self, name: String) -> GroupInput {
        GroupInput {
            name,
            patch: self.patch,
            purpose: self.purpose,
            topics: self.topics,
            devolved_budget: self.devolved_budget,
            devolved_decisions: self.devolved_decisions,
            constituted: self.constituted,
            lead: self.lead,
        }
    }
}

fn day_or_now(text: Option<&str>, what: &str, now: Timestamp) -> Result<Timestamp> {
    match text {
        None => Ok(now),
        Some(text) => Ok(Timestamp::from_millis(calendar::parse_date(text, what)?)),
    }
}

/// Runs one `admin groups` subcommand.
pub(super) async fn run(db: &Db, command: GroupsCommand, clock: SystemClock) -> Result<()> {
    let now = clock.now();
    match command {
        GroupsCommand::List => {
            for g in ops::groups::list(db, now).await? {
                let mut devolved = Vec::new();
                if g.devolved_budget {
                    devolved.push("budget");
                }
                if g.devolved_decisions {
                    devolved.push("decisions");
                }
                if g.constituted {
                    devolved.push("constituted");
                }
                println!(
                    "{}  {:<28} {:<16} {:>4} members{}{}",
                    g.id,
                    g.name,
                    g.patch.as_deref().unwrap_or("whole area"),
                    g.members_now,
                    if devolved.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", devolved.join(", "))
                    },
                    if g.closed { "  closed" } else { "" },
                );
            }
        }
        GroupsCommand::Add { name, details } => {
            let group = ops::groups::checked_group(db, details.input(name)).await?;
            let id = ops::groups::create(db, ACTOR, &group, now).await?;
            println!("{id}");
        }
        GroupsCommand::Change {
            group,
            name,
            details,
        } => {
            let id = parse_record_id(&group)?;
            let new = ops::groups::checked_group(db, details.input(name)).await?;
            ops::groups::update(db, ACTOR, id, &new, now).await?;
            println!("{id} changed; phones see it at their next sync");
        }
        GroupsCommand::Close { group } => {
            let id = parse_record_id(&group)?;
            ops::groups::set_closed(db, ACTOR, id, true, now).await?;
            println!("{id} is closed");
        }
        GroupsCommand::Open { group } => {
            let id = parse_record_id(&group)?;
            ops::groups::set_closed(db, ACTOR, id, false, now).await?;
            println!("{id} is open");
        }
        GroupsCommand::Members { group } => {
            let id = parse_record_id(&group)?;
            for m in ops::groups::members(db, ACTOR, id, now).await? {
                println!(
                    "{}  {}  {:<24} joined {}{}",
                    m.entry,
                    m.person,
                    m.name.as_deref().unwrap_or("-"),
                    calendar::date(m.start),
                    m.end
                        .map(|end| format!(", left {}", calendar::date(end)))
                        .unwrap_or_default()
                );
            }
        }
        GroupsCommand::Join {
            person,
            group,
            start,
        } => {
            let person = parse_record_id(&person)?;
            let group = parse_record_id(&group)?;
            let start = day_or_now(start.as_deref(), "the start", now)?;
            let entry = ops::groups::join(db, ACTOR, person, group, start, now).await?;
            println!("{entry}");
        }
        GroupsCommand::Leave { person, entry, end } => {
            let person = parse_record_id(&person)?;
            let entry = entry
                .trim()
                .parse()
                .map_err(|_| Error::BadRequest(format!("{entry:?} is not an entry id")))?;
            let end = day_or_now(end.as_deref(), "the end", now)?;
            ops::groups::leave(db, ACTOR, person, entry, end, now).await?;
            println!("membership ended");
        }
    }
    Ok(())
}
