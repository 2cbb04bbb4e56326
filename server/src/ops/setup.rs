//! The first-run checklist: what an area needs before its champions go
//! out, each step read from what is stored, so that a step counts as done
//! however it was done (the dashboard, the command line or the API).

use sync_core::{AreaConfig, ConsentPurpose};

use crate::error::Result;
use crate::store::devices::{self, Role};
use crate::store::{Db, report_rows};

/// The name a new area has until someone names it.
const UNNAMED: &str = "Our area";

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to do, in words.
    pub title: &'static str,
    /// Where on the dashboard it is done.
    pub href: &'static str,
    /// Whether what is stored already does it.
    pub done: bool,
    /// What is stored now, or what is missing, in words.
    pub detail: String,
}

impl Step {
    fn new(title: &'static str, href: &'static str, done: bool, detail: String) -> Self {
        Self {
            title,
            href,
            done,
            detail,
        }
    }
}

/// The checklist, in the order the steps are best done.
pub async fn checklist(db: &Db) -> Result<Vec<Step>> {
    let area = super::area::read(db).await?;
    let doors: i64 = report_rows::doors_listed(db)
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let mut conn = db.pool.acquire().await?;
    let devices = devices::list(&mut conn).await?;
    let invites = devices::list_invites(&mut conn).await?;
    drop(conn);
    // A role counts as reached when a device holds it or an invite for it
    // was made (and not cancelled): the invite may not be used yet.
    let reached = |roles: &[Role]| {
        devices
            .iter()
            .any(|d| d.revoked_at.is_none() && roles.contains(&d.role))
            || invites.iter().any(|i| {
                i.cancelled_at.is_none()
                    && Role::parse(&i.role).is_some_and(|role| roles.contains(&role))
            })
    };
    let mut steps = area_steps(area.as_ref());
    steps.push(Step::new(
        "Import the list of doors",
        "/admin/doors",
        doors > 0,
        if doors > 0 {
            format!("{doors} doors on the list.")
        } else {
            "No doors yet: upload the addresses as a CSV file.".into()
        },
    ));
    steps.push(Step::new(
        "Invite the first champion",
        "/admin/devices#invite",
        reached(&[Role::Champion, Role::YouthWorker]),
        "A champion's phone joins with an invite you make here.".into(),
    ));
    steps.push(Step::new(
        "Give the chair access to the reports",
        "/admin/devices#invite",
        reached(&[Role::Viewer]),
        "A viewer sees the reports and nothing else, from a sign-in link.".into(),
    ));
    Ok(steps)
}

/// The steps that read the area's configuration.
fn area_steps(area: Option<&AreaConfig>) -> Vec<Step> {
    let Some(area) = area else {
        let todo = |title, href, detail: &str| Step::new(title, href, false, detail.to_owned());
        return vec![
            todo(
                "Name the area and its time zone",
                "/admin/area#settings",
                "Nothing is set up yet.",
            ),
            todo(
                "Set the resident-led threshold and the board's seats",
                "/admin/area#settings",
                "",
            ),
            todo(
                "Add the patches and their households",
                "/admin/area#patches",
                "",
            ),
            todo(
                "Choose the topics champions can note",
                "/admin/area#topics",
                "",
            ),
            todo(
                "Choose the lawful basis for each purpose",
                "/admin/area#lawful-bases",
                "",
            ),
            todo(
                "Check the ladder and who counts as a resident",
                "/admin/area#ladder",
                "",
            ),
        ];
    };
    let named = !area.name.trim().is_empty() && area.name != UNNAMED;
    let households_missing: Vec<&str> = area
        .patches
        .iter()
        .filter(|p| p.households == 0)
        .map(|p| p.name.as_str())
        .collect();
    let bases_missing: Vec<&str> = ConsentPurpose::ALL
        .iter()
        .filter(|p| !area.lawful_bases.contains_key(p))
        .map(|p| p.as_str())
        .collect();
    vec![
        Step::new(
            "Name the area and its time zone",
            "/admin/area#settings",
            named,
            if named {
                format!("{}, times in {}.", area.name, area.time_zone)
            } else {
                "The area has no name yet.".into()
            },
        ),
        Step::new(
            "Set the resident-led threshold and the board's seats",
            "/admin/area#settings",
            area.partnership_seats.is_some(),
            match area.partnership_seats {
                Some(seats) => format!(
                    "{}% of {seats} seats must be residents; counts under {} are hidden.",
                    area.resident_led_threshold_percent, area.suppress_below
                ),
                None => "The number of seats on the board is not set.".into(),
            },
        ),
        Step::new(
            "Add the patches and their households",
            "/admin/area#patches",
            !area.patches.is_empty() && households_missing.is_empty(),
            if area.patches.is_empty() {
                "No patches yet.".into()
            } else if households_missing.is_empty() {
                format!("{} patches.", area.patches.len())
            } else {
                format!(
                    "No households counted in {}.",
                    households_missing.join(", ")
                )
            },
        ),
        Step::new(
            "Choose the topics champions can note",
            "/admin/area#topics",
            !area.topics.is_empty(),
            if area.topics.is_empty() {
                "No topics yet.".into()
            } else {
                format!("{} topics.", area.topics.len())
            },
        ),
        Step::new(
            "Choose the lawful basis for each purpose",
            "/admin/area#lawful-bases",
            bases_missing.is_empty(),
            if bases_missing.is_empty() {
                "Every purpose has one.".into()
            } else {
                format!("None for {}.", bases_missing.join(", "))
            },
        ),
        Step::new(
            "Check the ladder and who counts as a resident",
            "/admin/area#ladder",
            !area.ladder.stages().is_empty() && !area.resident_definitions.is_empty(),
            format!(
                "{} stages, {} resident definitions.",
                area.ladder.stages().len(),
                area.resident_definitions.len()
            ),
        ),
    ]
}

/// Whether every step is done.
pub fn complete(steps: &[Step]) -> bool {
    steps.iter().all(|s| s.done)
}
