//! The dashboard's admin pages: devices and invites (revoke, invite), the
//! area (threshold, seats, suppression, topics, lawful bases), patches and
//! household counts, and the ladder. Each form posts to the same use cases as the API and
//! the command line (`crate::ops`), then redirects back.

use std::collections::BTreeSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sync_core::{AreaConfig, ConsentPurpose, DeviceId, DocId, LawfulBasis};

use super::confirm_page::ConfirmedForm;
use super::invite_page::NewInvite;
use super::{Chrome, WebError, WebUser, html};
use crate::calendar::Zone;
use crate::error::Error;
use crate::http::AppState;
use crate::labels;
use crate::ops;
use crate::ops::area::AreaChange;

struct DeviceLine {
    id: String,
    name: String,
    role: &'static str,
    patches: String,
    created: String,
    last_seen: String,
    revoked: String,
}

struct InviteLine {
    id: String,
    /// The name the device it registers takes, when given.
    name: String,
    role: String,
    patches: String,
    created: String,
    expires: String,
    /// Used, cancelled or expired, and when; empty while it still works.
    ended: String,
}

#[derive(Template)]
#[template(path = "admin_devices.html")]
struct DevicesPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    devices: Vec<DeviceLine>,
    invites: Vec<InviteLine>,
    new_invite: Option<NewInvite>,
    patches: Vec<PatchChoice>,
}

fn when(zone: &Zone, ms: Option<i64>) -> String {
    ms.map(|ms| zone.date_time(ms)).unwrap_or_default()
}

/// `GET /admin/devices`.
pub(super) async fn devices(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    devices_page(&state, &user, done.notice(), None).await
}

/// The devices page; `new_invite` is an invite just made, shown this once.
pub(super) async fn devices_page(
    state: &AppState,
    user: &WebUser,
    done: &'static str,
    new_invite: Option<NewInvite>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let zone = Zone::of(area.as_ref());
    let devices = ops::devices::list(&state.db)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.id,
            name: d.name,
            role: d.role.as_str(),
            patches: d.patches.join(", "),
            created: when(&zone, Some(d.created_at)),
            last_seen: when(&zone, d.last_seen_at),
            revoked: when(&zone, d.revoked_at),
        })
        .collect();
    let now = state.now();
    let invites = ops::devices::invites(&state.db)
        .await?
        .into_iter()
        .map(|i| {
            let ended = match (i.used_at, i.cancelled_at) {
                (Some(used), _) => format!("used {}", when(&zone, Some(used))),
                (None, Some(cancelled)) => format!("cancelled {}", when(&zone, Some(cancelled))),
                (None, None) if !i.usable(now) => "expired".to_owned(),
                (None, None) => String::new(),
            };
            InviteLine {
                id: i.id,
                name: i.device_name.unwrap_or_default(),
                role: i.role,
                patches: i.patches,
                created: when(&zone, Some(i.created_at)),
                expires: when(&zone, Some(i.expires_at)),
                ended,
            }
        })
        .collect();
    let patches = patch_choices(area.as_ref());
    let page = DevicesPage {
        title: "Devices and invites".into(),
        chrome: Chrome::signed_in(user, "/admin/devices", area.as_ref()),
        done,
        devices,
        invites,
        new_invite,
        patches,
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/devices/{id}/revoke`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    // Parsed first: only an id goes into the redirect's Location header.
    let id: sync_core::DeviceId = id.parse().map_err(|_| Error::NotFound("device"))?;
    if let Some(first) = form.check(&user, &format!("/admin/devices/{id}/revoke"))? {
        return Ok(first);
    }
    ops::devices::revoke(&state.db, user.actor(), id, state.now()).await?;
    Ok(Redirect::to("/admin/devices").into_response())
}

/// `POST /admin/invites/{id}/cancel`.
pub(super) async fn cancel_invite(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    ops::devices::cancel_invite(&state.db, user.actor(), &id, state.now()).await?;
    Ok(Notice::InviteCancelled.redirect("/admin/devices"))
}

struct PatchLine {
    slug: String,
    name: String,
    households: u32,
}

struct StageLine {
    key: String,
    label: String,
    rule: String,
}

struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

struct PurposeLine {
    key: &'static str,
    label: &'static str,
    bases: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_area.html")]
struct AreaPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    /// Nothing is stored yet: the form shows the defaults.
    new: bool,
    name: String,
    time_zone: String,
    threshold: u8,
    seats: String,
    suppress_below: u32,
    patches: Vec<PatchLine>,
    ladder: Vec<StageLine>,
    residents: Vec<String>,
    topics: String,
    purposes: Vec<PurposeLine>,
}

/// A confirmation after a form, shown by the page it redirects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notice {
    Saved,
    PatchSaved,
    PatchRemoved,
    EventAdded,
    EventSaved,
    InviteCancelled,
}

impl Notice {
    const ALL: [Self; 6] = [
        Self::Saved,
        Self::PatchSaved,
        Self::PatchRemoved,
        Self::EventAdded,
        Self::EventSaved,
        Self::InviteCancelled,
    ];

    /// Its key in the redirect's `?done=`.
    fn key(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::PatchSaved => "patch-saved",
            Self::PatchRemoved => "patch-removed",
            Self::EventAdded => "event-added",
            Self::EventSaved => "event-saved",
            Self::InviteCancelled => "invite-cancelled",
        }
    }

    /// What the page says.
    fn message(self) -> &'static str {
        match self {
            Self::Saved => "Saved.",
            Self::PatchSaved => "Patch saved.",
            Self::PatchRemoved => "Patch removed.",
            Self::EventAdded => "Event added.",
            Self::EventSaved => "Event saved. Phones receive the change at their next sync.",
            Self::InviteCancelled => "Invite cancelled: its code no longer works.",
        }
    }

    /// A redirect to `page` that shows this notice.
    pub(super) fn redirect(self, page: &str) -> Response {
        Redirect::to(&format!("{page}?done={}", self.key())).into_response()
    }
}

/// The `?done=` of a redirect: a fixed key, so a page never shows text a
/// link could put in it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

impl Done {
    /// The notice's words, or nothing for an unknown key.
    pub(super) fn notice(&self) -> &'static str {
        Notice::ALL
            .into_iter()
            .find(|n| n.key() == self.done)
            .map_or("", Notice::message)
    }
}

/// `GET /admin/area`.
pub(super) async fn area(
    State(state): State<AppState>,
    user: WebUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    user.admin()?;
    let stored = ops::area::read(&state.db).await?;
    let new = stored.is_none();
    // A new area's page shows what saving it would start from.
    let area = stored.unwrap_or_else(|| {
        let now = state.now();
        AreaConfig::new_default(DocId::new(now), "", "", DeviceId::new(now), now)
    });
    let page = AreaPage {
        title: "Area, patches and ladder".into(),
        chrome: Chrome::signed_in(&user, "/admin/area", (!new).then_some(&area)),
        done: done.notice(),
        new,
        name: area.name.clone(),
        time_zone: area.time_zone.clone(),
        threshold: area.resident_led_threshold_percent,
        seats: area
            .partnership_seats
            .map(|s| s.to_string())
            .unwrap_or_default(),
        suppress_below: area.suppress_below,
        patches: area
            .patches
            .iter()
            .map(|p| PatchLine {
                slug: p.id.clone(),
                name: p.name.clone(),
                households: p.households,
            })
            .collect(),
        ladder: area
            .ladder
            .stages()
            .iter()
            .map(|s| StageLine {
                key: s.key.clone(),
                label: s.label.clone(),
                rule: s.rule.as_str().to_owned(),
            })
            .collect(),
        residents: area
            .resident_definitions
            .iter()
            .map(|d| {
                let counts: Vec<&str> = d.counts.iter().map(|b| labels::residency(*b)).collect();
                format!("{}: {}", d.label, counts.join("; "))
            })
            .collect(),
        topics: area.topics.iter().cloned().collect::<Vec<_>>().join("\n"),
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|&purpose| PurposeLine {
                key: purpose.as_str(),
                label: labels::purpose(purpose),
                bases: LawfulBasis::ALL
                    .iter()
                    .map(|&basis| Choice {
                        value: basis.as_str(),
                        label: labels::lawful_basis(basis),
                        chosen: area.lawful_basis(purpose) == basis,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub(super) struct AreaForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    time_zone: String,
    threshold: String,
    #[serde(default)]
    seats: String,
    suppress_below: String,
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Error> {
    text.trim()
        .parse()
        .map_err(|_| Error::BadRequest(format!("{what} must be a whole number, not {text:?}")))
}

/// `POST /admin/area`.
pub(super) async fn save_area(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<AreaForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(Error::BadRequest("the area needs a name".into()).into());
    }
    // A new area's code comes from its first name; it never changes.
    let slug = match ops::area::read(&state.db).await? {
        Some(_) => None,
        None => Some(slug_of(name)),
    };
    let change = AreaChange {
        name: Some(name.to_owned()),
        time_zone: Some(form.time_zone.trim().to_owned()).filter(|z| !z.is_empty()),
        resident_led_threshold_percent: Some(number(&form.threshold, "the threshold")?),
        // Blank clears the seats (0 means not fixed).
        partnership_seats: Some(if form.seats.trim().is_empty() {
            0
        } else {
            number(&form.seats, "the number of seats")?
        }),
        suppress_below: Some(number(&form.suppress_below, "the suppression threshold")?),
        ..AreaChange::default()
    };
    ops::area::edit(
        &state.db,
        user.actor(),
        slug.as_deref(),
        "settings",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(Notice::Saved.redirect("/admin/area"))
}

/// An area's code from its name: "Ashby Big Local" is `ashby-big-local`.
fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "our-area".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Most topics an area may have, and the longest a topic may be.
const MAX_TOPICS: usize = 50;
const MAX_TOPIC_CHARS: usize = 60;

#[derive(Deserialize)]
pub(super) struct TopicsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    topics: String,
}

/// `POST /admin/area/topics`: the topics champions can note, one a line.
pub(super) async fn save_topics(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<TopicsForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let topics: BTreeSet<String> = form
        .topics
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(long) = topics.iter().find(|t| t.chars().count() > MAX_TOPIC_CHARS) {
        return Err(Error::BadRequest(format!(
            "a topic is at most {MAX_TOPIC_CHARS} characters; {long:?} is longer"
        ))
        .into());
    }
    if topics.len() > MAX_TOPICS {
        return Err(Error::BadRequest(format!("an area has at most {MAX_TOPICS} topics")).into());
    }
    let change = AreaChange {
        topics: Some(topics.into_iter().collect()),
        ..AreaChange::default()
    };
    ops::area::edit(&state.db, user.actor(), None, "topics", state.now(), |a| {
        change.apply(a)
    })
    .await?;
    Ok(Notice::Saved.redirect("/admin/area"))
}

/// `POST /admin/area/lawful-bases`: one `basis-PURPOSE` field for each
/// purpose (besides the form's token).
pub(super) async fn save_lawful_bases(
    State(state): State<AppState>,
    user: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.admin()?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    user.check_form(csrf)?;
    let bases = fields
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("basis-").map(|p| (p.to_owned(), v)))
        .collect();
    let change = AreaChange {
        lawful_bases: Some(bases),
        ..AreaChange::default()
    };
    ops::area::edit(
        &state.db,
        user.actor(),
        None,
        "lawful bases",
        state.now(),
        |a| change.apply(a),
    )
    .await?;
    Ok(Notice::Saved.redirect("/admin/area"))
}

#[derive(Deserialize)]
pub(super) struct PatchForm {
    #[serde(default)]
    csrf: String,
    slug: String,
    name: String,
    households: String,
}

/// `POST /admin/patches`: adds a patch or changes one.
pub(super) async fn save_patch(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<PatchForm>,
) -> Result<Response, WebError> {
    user.admin()?;
    user.check_form(&form.csrf)?;
    let households: u32 = number(&form.households, "households")?;
    ops::area::save_patch(
        &state.db,
        user.actor(),
        form.slug.trim(),
        form.name.trim(),
        households,
        state.now(),
    )
    .await?;
    Ok(Notice::PatchSaved.redirect("/admin/area"))
}

/// `POST /admin/patches/{slug}/delete`, from its confirmation page (a post
/// without the confirmation is sent there).
pub(super) async fn delete_patch(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    // Only a slug goes into the redirect's Location header.
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::NotFound("patch").into());
    }
    if let Some(first) = form.check(&user, &format!("/admin/patches/{slug}/delete"))? {
        return Ok(first);
    }
    ops::area::delete_patch(&state.db, user.actor(), &slug, state.now()).await?;
    Ok(Notice::PatchRemoved.redirect("/admin/area"))
}

pub(super) struct PatchChoice {
    pub(super) value: String,
    pub(super) label: String,
}

/// The area's patches, to choose from.
pub(super) fn patch_choices(area: Option<&AreaConfig>) -> Vec<PatchChoice> {
    area.map_or_else(Vec::new, |a| {
        a.patches
            .iter()
            .map(|p| PatchChoice {
                value: p.id.clone(),
                label: p.name.clone(),
            })
            .collect()
    })
}
