//! Likely duplicates: people who look recorded twice (two champions met
//! the same resident offline), with why they matched, and merging a pair
//! through its confirmation page (`ops::people::merge`, audited).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::confirm_page::{ConfirmedForm, MergePair};
use super::{Chrome, WebError, WebUser, html};
use crate::calendar;
use crate::http::AppState;
use crate::ops::{self, duplicates::Reason};

struct Side {
    href: String,
    name: String,
    patch: String,
    recorded: String,
    interactions: usize,
}

struct PairLine {
    first: Side,
    second: Side,
    why: String,
    merge: String,
}

#[derive(Template)]
#[template(path = "admin_duplicates.html")]
struct DuplicatesPage {
    title: String,
    chrome: Chrome,
    done: &'static str,
    pairs: Vec<PairLine>,
}

/// Why two records look like one person, in words.
fn reason(reason: Reason) -> &'static str {
    match reason {
        Reason::SameEmail => "the same email address",
        Reason::SamePhone => "the same phone number",
        Reason::SameHouseholdSimilarName => "the same household and a similar name",
    }
}

/// The `?done=` after a merge.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Merged {
    #[serde(default)]
    done: String,
}

/// `GET /admin/duplicates`: the list (reading it is audited: it holds
/// names).
pub(super) async fn duplicates(
    State(state): State<AppState>,
    user: WebUser,
    Query(merged): Query<Merged>,
) -> Result<Response, WebError> {
    user.admin()?;
    let area = ops::area::read(&state.db).await?;
    let side = |c: &ops::duplicates::Candidate| Side {
        href: format!("/admin/people/{}", c.id),
        name: c.name.clone().unwrap_or_else(|| "(no name given)".into()),
        patch: crate::labels::patch_name(area.as_ref(), &c.patch),
        recorded: calendar::day(c.created_at),
        interactions: c.interactions,
    };
    let pairs = ops::people::duplicates(&state.db, user.actor(), state.now())
        .await?
        .iter()
        .map(|p| PairLine {
            first: side(&p.first),
            second: side(&p.second),
            why: p
                .reasons
                .iter()
                .map(|r| reason(*r))
                .collect::<Vec<_>>()
                .join("; "),
            merge: format!(
                "/admin/duplicates/merge?survivor={}&other={}",
                p.first.id, p.second.id
            ),
        })
        .collect();
    let page = DuplicatesPage {
        title: "Likely duplicates".into(),
        chrome: Chrome::signed_in(&user, "/admin/duplicates", area.as_ref()),
        done: if merged.done == "merged" {
            "Merged. Phones holding the merged-away record follow it at their next sync."
        } else {
            ""
        },
        pairs,
    };
    Ok(html(&page)?.into_response())
}

/// `POST /admin/duplicates/merge?survivor=A&other=B`, from its
/// confirmation page (a post without the confirmation is sent there).
pub(super) async fn merge(
    State(state): State<AppState>,
    user: WebUser,
    Query(pair): Query<MergePair>,
    Form(form): Form<ConfirmedForm>,
) -> Result<Response, WebError> {
    // Parsed first: only ids go into the redirect's Location header.
    user.admin()?;
    let (survivor, other) = pair.ids()?;
    let page = format!("/admin/duplicates/merge?survivor={survivor}&other={other}");
    if let Some(first) = form.check(&user, &page)? {
        return Ok(first);
    }
    ops::people::merge(&state.db, user.actor(), survivor, other, state.now()).await?;
    Ok(Redirect::to("/admin/duplicates?done=merged").into_response())
}
