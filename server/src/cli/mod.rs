//! The command line: `outreach serve | migrate | demo | admin ...`. Every
//! option can also come from an environment variable.
#![allow(clippy::print_stdout, reason = "a command's output goes to stdout")]

mod groups;
mod serve;
mod targets;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand};
use sync_core::{Clock, DeviceId, SystemClock};

pub use serve::ServeArgs;

use crate::error::{Error, Result};
use crate::http::PublicUrl;
use crate::ops::area::{AreaChange, AreaView, ResidentDefinitionView, StageView};
use crate::ops::{self, Actor, Role, retention};
use crate::store::{Db, redact};

/// `outreach --version`: the release, the newest database schema it
/// knows, and the sync protocol it speaks.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (database schema {}, sync protocol {})",
        env!("CARGO_PKG_VERSION"),
        ops::backup::known_schema_version(),
        sync_core::PROTOCOL_VERSION
    )
});

/// Who acts from the command line, for the audit log.
const ACTOR: Actor = Actor::CommandLine;

/// The outreach server.
#[derive(Debug, Parser)]
#[command(
    name = "outreach",
    version = VERSION.as_str(),
    about = "Offline-first outreach backend with sync"
)]
pub struct Cli {
    /// The database: `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://outreach.db",
        global = true
    )]
    pub database_url: String,
    /// The erasure log, kept outside the database so that erasures survive
    /// a restore (default: beside a SQLite file, `FILE.erasures`; set it
    /// for PostgreSQL).
    #[arg(long, env = "OUTREACH_ERASURE_LOG", global = true)]
    pub erasure_log: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the sync endpoint and the API.
    Serve(ServeArgs),
    /// Bring the database schema up to date.
    Migrate,
    /// Fill the database with a realistic synthetic area.
    Demo(DemoArgs),
    /// Administration: invites, devices and the area.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// The retention policy's periods.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Anonymise people without a consent to be contacted again this many days after they were first recorded.
    #[arg(long, env = "OUTREACH_RETENTION_NO_CONSENT_DAYS", default_value = "30")]
    pub retention_no_consent_days: i64,
    /// Anonymise people with no activity for this many days.
    #[arg(long, env = "OUTREACH_RETENTION_INACTIVE_DAYS", default_value = "1095")]
    pub retention_inactive_days: i64,
}

impl RetentionArgs {
    fn policy(&self) -> Result<retention::Policy> {
        retention::Policy {
            without_contact_consent_days: self.retention_no_consent_days,
            inactive_days: self.retention_inactive_days,
        }
        .validate()
    }
}

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many people to create.
    #[arg(long, default_value_t = ops::demo::DEFAULT_PEOPLE)]
    pub people: usize,
    /// Seed of the generator (the same seed makes the same area).
    #[arg(long, default_value_t = ops::demo::DEFAULT_SEED)]
    pub seed: u64,
}

/// `admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a one-time invite code for a device.
    Invite {
        /// The role it grants.
        #[arg(long, value_enum)]
        role: Role,
        /// A champion's patch (repeat for several).
        #[arg(long = "patch")]
        patches: Vec<String>,
        /// The name the phone takes on every report ("Oak Lane champion").
        #[arg(long)]
        name: Option<String>,
    },
    /// Make a one-time sign-in link to the partnership dashboard.
    SignInLink {
        /// Who signs in with it: viewer (reports) or admin.
        #[arg(long, value_enum, default_value = "viewer")]
        role: Role,
        /// Minutes until it stops working.
        #[arg(long, default_value_t = ops::devices::SIGN_IN_LINK_MINUTES)]
        minutes: i64,
        /// Who it is for ("Jo, chair"): the devices list shows that name.
        #[arg(long)]
        name: Option<String>,
        /// Where the dashboard is served, as people's browsers reach it
        /// (the server's `--public-url`).
        #[arg(
            long,
            alias = "base-url",
            env = "OUTREACH_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// List invites, newest first, with the id that cancels one.
    Invites,
    /// Cancel an unused invite (sent to the wrong person, or lost).
    CancelInvite {
        /// The invite's id, as `admin invites` lists it.
        invite: String,
    },
    /// List devices.
    Devices,
    /// Revoke a device: it wipes its store at its next sync.
    Revoke {
        /// The device id.
        device: String,
    },
    /// Erase a record (a person who asked to be forgotten): deleted here and,
    /// at their next sync, on every phone; its id can never come back.
    Erase {
        /// The record's id.
        record: String,
    },
    /// Replace a person who objects by a do-not-contact entry (no other
    /// data) under a new id, and erase the old record.
    Suppress {
        /// The person's id.
        record: String,
    },
    /// Anonymise now everyone past the retention periods.
    Retention(RetentionArgs),
    /// Print the latest audit log entries (who viewed, exported or erased personal data).
    Audit {
        /// How many entries.
        #[arg(long, default_value = "100")]
        limit: i64,
    },
    /// Print everything held about a record as JSON (a subject access request).
    Export {
        /// The record's id.
        record: String,
    },
    /// Take a backup: a checked copy of the database and the erasure log
    /// in one file, taken while phones sync (SQLite copies itself;
    /// PostgreSQL needs pg_dump).
    Backup {
        /// Where to write it (default: outreach-DATE-TIME.backup here).
        file: Option<PathBuf>,
        /// Encrypt it to this age public key (age1..., repeat for several);
        /// restoring needs the matching secret key.
        #[arg(
            long = "encrypt-to",
            env = "OUTREACH_BACKUP_ENCRYPT_TO",
            value_delimiter = ','
        )]
        encrypt_to: Vec<String>,
    },
    /// Restore a backup as the database (a new one; `--force` to replace one
    /// that holds records), and make again every erasure made since.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The age secret key file, for an encrypted backup.
        #[arg(long)]
        identity: Option<PathBuf>,
        /// Replace a database that holds records (a SQLite file is kept
        /// beside it). Stop the server first.
        #[arg(long)]
        force: bool,
    },
    /// Show or change the area configuration.
    #[command(subcommand)]
    Area(AreaCommand),
    /// List, add, change and close working groups, and join people to them.
    #[command(subcommand)]
    Groups(groups::GroupsCommand),
    /// List, set and remove the partnership's targets on headline figures.
    #[command(subcommand)]
    Targets(targets::TargetsCommand),
    /// Import doors from a CSV file whose first line names the columns:
    /// patch, house, street (required), locality, postcode, latitude,
    /// longitude, do_not_knock (yes/no). Bad lines are reported by number
    /// and skipped; doors already held are skipped too.
    ImportAddresses {
        /// The CSV file.
        file: PathBuf,
    },
    /// Import the people a partnership already knows from a CSV file whose
    /// first line names the columns: patch, lawful_basis (consent or
    /// legitimate-interests; required), consents (purposes, `;`-separated),
    /// consent_method, name, phone, email, age_band, residency (`;`),
    /// tenure, language, house and street (a door already on the list).
    /// Bad lines are reported by number and skipped.
    ImportPeople {
        /// The CSV file.
        file: PathBuf,
    },
    /// Mark a door "do not knock" (`--do-not-knock true`), or take the mark
    /// off (`false`). Doors marked leave every walk list.
    Door {
        /// The door's address record id.
        address: String,
        /// Whether nobody should knock there.
        #[arg(long, action = clap::ArgAction::Set)]
        do_not_knock: bool,
    },
    /// List people who look recorded twice (same email, same phone, or the
    /// same household and a similar name).
    Duplicates,
    /// Merge a person recorded twice: SURVIVOR gets everything OTHER holds,
    /// and OTHER's id leads to SURVIVOR from now on, on every phone.
    MergePeople {
        /// The record to keep.
        survivor: String,
        /// The record merged into it.
        other: String,
    },
}

/// `admin area` subcommands.
#[derive(Debug, Subcommand)]
pub enum AreaCommand {
    /// Print the configuration as JSON.
    Show,
    /// Change the area's settings (creating the area if needed).
    Set {
        /// The area's slug (only when creating it).
        #[arg(long)]
        slug: Option<String>,
        /// Its name.
        #[arg(long)]
        name: Option<String>,
        /// Share of partnership members (percent) who must be residents.
        #[arg(long)]
        threshold: Option<u8>,
        /// Seats on the partnership board, for vacancies (0: not fixed).
        #[arg(long)]
        seats: Option<u32>,
        /// Reports suppress counts below this (3 to 100; 5 unless set).
        #[arg(long)]
        suppress_below: Option<u32>,
        /// A follow-up promised with no date is overdue this many days after
        /// it was promised (1 to 365; 28 unless set).
        #[arg(long)]
        follow_up_days: Option<u32>,
        /// Topic tags (replace the set; repeat for several).
        #[arg(long = "topic")]
        topics: Vec<String>,
        /// A JSON file with the ladder: `[{"key", "label", "rule"}, ...]`.
        #[arg(long)]
        ladder: Option<PathBuf>,
        /// A JSON file with resident definitions: `[{"key", "label", "counts": [...]}, ...]`.
        #[arg(long)]
        resident_definitions: Option<PathBuf>,
        /// The lawful basis for a purpose, e.g. `volunteering=legitimate-interests` (repeat).
        #[arg(long = "lawful-basis", value_parser = parse_pair)]
        lawful_bases: Vec<(String, String)>,
        /// The IANA time zone times are entered and shown in (Europe/London
        /// unless set).
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Add or change a patch.
    Patch {
        /// Its slug.
        slug: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its number of households.
        #[arg(long)]
        households: u32,
        /// Census residents by age band, as `18-24=310,25-34=420,...`
        /// (every band from 18-24 to 75+; under-13 and 13-17 too, or
        /// neither).
        #[arg(long)]
        census_ages: Option<String>,
        /// Census households by tenure, as `owner=200,social-rent=150,...`.
        #[arg(long)]
        census_tenures: Option<String>,
    },
    /// Remove a patch.
    RemovePatch {
        /// Its slug.
        slug: String,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &PathBuf) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        context: format!("reading {}", path.display()),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::BadRequest(format!("{}: {e}", path.display())))
}

fn parse_pair(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("expected PURPOSE=BASIS, got {text:?}"))
}

fn parse_record_id(text: &str) -> Result<sync_core::DocId> {
    text.trim()
        .parse()
        .map_err(|_| Error::BadRequest(format!("{text:?} is not a record id")))
}

fn print_area(area: &AreaView) -> Result<()> {
    let text = serde_json::to_string_pretty(area).map_err(|e| Error::Corrupt(e.to_string()))?;
    println!("{text}");
    Ok(())
}

impl Cli {
    /// Runs the command.
    pub async fn run(self) -> Result<()> {
        let clock = SystemClock;
        let command = match self.command {
            // Before connecting: a restore makes the database it connects to.
            Command::Admin(AdminCommand::Restore {
                file,
                identity,
                force,
            }) => {
                let restored = ops::backup::restore(
                    &self.database_url,
                    &file,
                    identity.as_deref(),
                    force,
                    self.erasure_log.as_deref(),
                    clock.now(),
                )
                .await?;
                println!("{restored}");
                return Ok(());
            }
            other => other,
        };
        let mut db = Db::connect(&self.database_url).await?;
        if let Some(log) = &self.erasure_log {
            db.log_erasures_to(log);
        }
        db.migrate().await?;
        match command {
            Command::Admin(AdminCommand::Restore { .. }) => {}
            Command::Admin(AdminCommand::Backup { file, encrypt_to }) => {
                let recipients = ops::backup::Recipients::parse(&encrypt_to)?;
                let now = clock.now();
                let file = file.unwrap_or_else(|| ops::backup::default_file(now, &recipients));
                let taken =
                    ops::backup::take(&db, &self.database_url, &file, &recipients, ACTOR, now)
                        .await?;
                println!("{taken}");
            }
            Command::Migrate => {
                tracing::info!(database = %redact(&self.database_url), "schema is up to date");
            }
            Command::Serve(args) => serve::serve(db, &self.database_url, args).await?,
            Command::Demo(args) => {
                let summary = ops::demo::fill(&db, args.people, args.seed, true).await?;
                println!("{summary}");
            }
            Command::Admin(AdminCommand::Invite {
                role,
                patches,
                name,
            }) => {
                let patches: BTreeSet<String> = patches.into_iter().collect();
                let lifetime = ops::INVITE_DAYS * sync_core::Timestamp::DAY_MILLIS;
                let name = name.as_deref();
                let code = ops::devices::invite_named(
                    &db,
                    ACTOR,
                    role,
                    &patches,
                    name,
                    clock.now(),
                    lifetime,
                )
                .await?;
                println!("{code}");
            }
            Command::Admin(AdminCommand::SignInLink {
                role,
                minutes,
                name,
                public_url,
            }) => {
                let public_url = PublicUrl::parse(&public_url)?;
                let path = ops::devices::sign_in_link(
                    &db,
                    ACTOR,
                    role,
                    name.as_deref(),
                    clock.now(),
                    minutes,
                )
                .await?;
                println!("{}", public_url.join(&path));
            }
            Command::Admin(AdminCommand::Invites) => {
                let now = clock.now();
                for i in ops::devices::invites(&db).await? {
                    let state = match (i.used_at, i.cancelled_at) {
                        (Some(_), _) => "used",
                        (None, Some(_)) => "cancelled",
                        (None, None) if !i.usable(now) => "expired",
                        (None, None) => "open",
                    };
                    let expires = crate::calendar::date_time(i.expires_at);
                    println!(
                        "{}  {:<12} {:<9} expires {expires}  {}",
                        i.id, i.role, state, i.patches
                    );
                }
            }
            Command::Admin(AdminCommand::CancelInvite { invite }) => {
                ops::devices::cancel_invite(&db, ACTOR, &invite, clock.now()).await?;
                println!("cancelled invite {}", invite.trim());
            }
            Command::Admin(AdminCommand::Devices) => {
                for d in ops::devices::list(&db).await? {
                    let state = if d.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!(
                        "{}  {:<12} {:<8} {:<24} {}",
                        d.id,
                        d.role.as_str(),
                        state,
                        d.patches.join(","),
                        d.name
                    );
                }
            }
            Command::Admin(AdminCommand::Revoke { device }) => {
                let id: DeviceId = device
                    .parse()
                    .map_err(|_| Error::BadRequest(format!("{device:?} is not a device id")))?;
                ops::devices::revoke(&db, ACTOR, id, clock.now()).await?;
                println!("revoked {id}: it wipes its store at its next sync");
            }
            Command::Admin(AdminCommand::Erase { record }) => {
                let id = parse_record_id(&record)?;
                let held = ops::people::erase(&db, ACTOR, id, clock.now()).await?;
                if held {
                    println!("erased {id}: phones delete it at their next sync");
                } else {
                    println!("{id} is not held here; it is marked erased so it can never arrive");
                }
            }
            Command::Admin(AdminCommand::Suppress { record }) => {
                let id = parse_record_id(&record)?;
                let new_id = ops::people::suppress(&db, ACTOR, id, clock.now()).await?;
                println!("{id} is now the do-not-contact entry {new_id}");
            }
            Command::Admin(AdminCommand::Retention(args)) => {
                let report = retention::run(&db, args.policy()?, clock.now()).await?;
                println!("anonymised {} people", report.anonymised.len());
            }
            Command::Admin(AdminCommand::Audit { limit }) => {
                for entry in ops::audit_log(&db, limit).await? {
                    println!(
                        "{}  {:<36}  {:<10}  {}  {}",
                        entry.at,
                        entry.actor,
                        entry.action,
                        entry.record_id.unwrap_or_default(),
                        entry.detail
                    );
                }
            }
            Command::Admin(AdminCommand::Export { record }) => {
                let id = parse_record_id(&record)?;
                let export = ops::people::export(&db, ACTOR, id, clock.now()).await?;
                let text = serde_json::to_string_pretty(&export)
                    .map_err(|e| Error::Corrupt(e.to_string()))?;
                println!("{text}");
            }
            Command::Admin(AdminCommand::Area(command)) => {
                area_command(&db, command, clock).await?
            }
            Command::Admin(AdminCommand::Groups(command)) => {
                groups::run(&db, command, clock).await?
            }
            Command::Admin(AdminCommand::Targets(command)) => {
                targets::run(&db, command, clock).await?
            }
            Command::Admin(AdminCommand::ImportAddresses { file }) => {
                import_addresses(&db, &file, clock).await?
            }
            Command::Admin(AdminCommand::ImportPeople { file }) => {
                let input = std::fs::File::open(&file).map_err(|e| {
                    Error::BadRequest(format!("cannot read {}: {e}", file.display()))
                })?;
                let report = ops::people_import::import(&db, ACTOR, input, clock.now()).await?;
                for bad in &report.bad_lines {
                    println!("line {}: {}", bad.line, bad.error);
                }
                println!(
                    "imported {} people ({} look recorded already: see `admin duplicates`); \
                     {} bad lines",
                    report.imported,
                    report.likely_duplicates,
                    report.bad_lines.len()
                );
            }
            Command::Admin(AdminCommand::Door {
                address,
                do_not_knock,
            }) => {
                let id = parse_record_id(&address)?;
                ops::doors::set_do_not_knock(&db, ACTOR, id, do_not_knock, clock.now()).await?;
                let state = if do_not_knock { "marked" } else { "unmarked" };
                println!("{id} is {state} do-not-knock; phones see it at their next sync");
            }
            Command::Admin(AdminCommand::Duplicates) => {
                let pairs = ops::people::duplicates(&db, ACTOR, clock.now()).await?;
                for pair in &pairs {
                    let reasons: Vec<&str> = pair.reasons.iter().map(|r| r.as_str()).collect();
                    println!(
                        "{}  {}  {:<24} | {}  {:<24} | {}",
                        pair.first.patch,
                        pair.first.id,
                        pair.first.name.as_deref().unwrap_or("-"),
                        pair.second.id,
                        pair.second.name.as_deref().unwrap_or("-"),
                        reasons.join(", ")
                    );
                }
                println!("{} likely duplicates", pairs.len());
            }
            Command::Admin(AdminCommand::MergePeople { survivor, other }) => {
                let survivor = parse_record_id(&survivor)?;
                let other = parse_record_id(&other)?;
                ops::people::merge(&db, ACTOR, survivor, other, clock.now()).await?;
                println!("merged {other} into {survivor}: phones follow at their next sync");
            }
        }
        Ok(())
    }
}

async fn import_addresses(db: &Db, file: &std::path::Path, clock: SystemClock) -> Result<()> {
    let input = std::fs::File::open(file)
        .map_err(|e| Error::BadRequest(format!("cannot read {}: {e}", file.display())))?;
    let report = ops::doors::import(db, ACTOR, input, clock.now(), |p| {
        eprintln!("read {} lines, imported {} doors", p.lines, p.imported);
    })
    .await?;
    for bad in &report.bad_lines {
        println!("line {}: {}", bad.line, bad.error);
    }
    println!(
        "imported {} doors; {} already held; {} bad lines",
        report.imported,
        report.already_held,
        report.bad_lines.len()
    );
    Ok(())
}

async fn area_command(db: &Db, command: AreaCommand, clock: SystemClock) -> Result<()> {
    let area = match command {
        AreaCommand::Show => ops::area::read(db).await?.ok_or(Error::NotFound("area"))?,
        AreaCommand::Set {
            slug,
            name,
            threshold,
            seats,
            suppress_below,
            follow_up_days,
            topics,
            ladder,
            resident_definitions,
            lawful_bases,
            time_zone,
        } => {
            let change = AreaChange {
                area: slug.clone(),
                name,
                resident_led_threshold_percent: threshold,
                partnership_seats: seats,
                suppress_below,
                follow_up_overdue_days: follow_up_days,
                topics: (!topics.is_empty()).then_some(topics),
                ladder: ladder
                    .as_ref()
                    .map(read_json::<Vec<StageView>>)
                    .transpose()?,
                resident_definitions: resident_definitions
                    .as_ref()
                    .map(read_json::<Vec<ResidentDefinitionView>>)
                    .transpose()?,
                lawful_bases: (!lawful_bases.is_empty())
                    .then(|| lawful_bases.into_iter().collect()),
                time_zone,
            };
            ops::area::edit(db, ACTOR, slug.as_deref(), "settings", clock.now(), |a| {
                change.apply(a)
            })
            .await?
        }
        AreaCommand::Patch {
            slug,
            name,
            households,
            census_ages,
            census_tenures,
        } => {
            let area =
                ops::area::save_patch(db, ACTOR, &slug, &name, households, None, clock.now())
                    .await?;
            if census_ages.is_none() && census_tenures.is_none() {
                area
            } else {
                let mut census = area
                    .patch(&slug)
                    .and_then(|p| p.census.as_ref())
                    .map(ops::area::CensusView::from)
                    .unwrap_or_default();
                if let Some(ages) = census_ages {
                    census.residents_by_age = census_pairs(&ages)?;
                }
                if let Some(tenures) = census_tenures {
                    census.households_by_tenure = census_pairs(&tenures)?;
                }
                ops::area::save_census(db, ACTOR, &slug, census.to_census()?, clock.now()).await?
            }
        }
        AreaCommand::RemovePatch { slug } => {
            ops::area::delete_patch(db, ACTOR, &slug, clock.now()).await?
        }
    };
    print_area(&AreaView::from(&area))
}

/// `18-24=310,25-34=420` as pairs; an empty text is none.
fn census_pairs(text: &str) -> Result<std::collections::BTreeMap<String, u32>> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, n) = pair.split_once('=').ok_or_else(|| {
                Error::BadRequest(format!("{pair:?} is not GROUP=NUMBER, as in 18-24=310"))
            })?;
            let n = n.trim().parse().map_err(|_| {
                Error::BadRequest(format!("{pair:?}: the figure must be a whole number"))
            })?;
            Ok((key.trim().to_owned(), n))
        })
        .collect()
}
