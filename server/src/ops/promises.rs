//! The latest promises kept, in words fit for a newsletter ("you said,
//! we did"), for admins: built from what champions typed, with the
//! resident's name, phone number, email and address taken out, and a
//! patch named only where enough promises were kept for it not to point
//! at a door. The counts are the `you-said-we-did` report's.

use serde::{Deserialize, Serialize};
use sync_core::{AreaConfig, DocId, InteractionKind, Record, Timestamp};

use crate::error::Result;
use crate::reports::Filters;
use crate::store::report_rows::{self, Overdue};
use crate::store::{Db, documents};

/// How many promises kept the list shows, latest first.
pub const LISTED: i64 = 12;

/// What the list says instead of anything taken out.
const REMOVED: &str = "[…]";

/// A promise kept, in words fit for a newsletter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromiseKept {
    /// The topics raised in the conversation.
    pub topics: Vec<String>,
    /// The patch's name, or "elsewhere in the area" where few promises
    /// were kept.
    pub place: String,
    /// The month it was promised (`YYYY-MM`).
    pub promised_in: String,
    /// Whole days from promise to done.
    pub days_to_done: i64,
    /// What we promised ("you said"), with personal details taken out.
    pub you_said: String,
    /// What was done ("we did"), with personal details taken out; empty
    /// when the champion wrote nothing.
    pub we_did: String,
}

/// The latest promises kept among those made in the period `filters`
/// choose (dates and patch), latest first, at most [`LISTED`].
pub async fn kept(db: &Db, filters: &Filters, now: Timestamp) -> Result<Vec<PromiseKept>> {
    let area = crate::store::area::read(db).await?;
    let period = filters.selection(&area.as_ref().map(|a| a.ladder.clone()).unwrap_or_default())?;
    let below = u64::from(
        area.as_ref()
            .map_or(AreaConfig::DEFAULT_SUPPRESS_BELOW, |a| a.suppress_below),
    );
    let days = area
        .as_ref()
        .map_or(AreaConfig::DEFAULT_FOLLOW_UP_OVERDUE_DAYS, |a| {
            a.follow_up_overdue_days
        });
    // Patches where enough promises were kept to name.
    let named: Vec<String> = report_rows::promises(db, &period, Overdue::new(now, days))
        .await?
        .into_iter()
        .filter(|c| c.topic.is_none() && c.done as u64 >= below)
        .map(|c| c.patch)
        .collect();
    let mut list = Vec::new();
    for (person, entry) in report_rows::promises_kept(db, &period, LISTED).await? {
        if let Some(mut kept) = promise_kept(db, &person, &entry).await? {
            kept.place = if named.contains(&kept.place) {
                crate::labels::patch_name(area.as_ref(), &kept.place)
            } else {
                "elsewhere in the area".to_owned()
            };
            list.push(kept);
        }
    }
    Ok(list)
}

/// The promise kept in the conversation `entry` with `person`, its place
/// still the patch's slug, with their personal details taken out.
async fn promise_kept(db: &Db, person: &str, entry: &str) -> Result<Option<PromiseKept>> {
    let (Ok(person), Ok(entry)) = (person.parse::<DocId>(), entry.parse()) else {
        return Ok(None);
    };
    let mut conn = db.pool.acquire().await?;
    let Some(bytes) = documents::bytes(&mut conn, person).await? else {
        return Ok(None);
    };
    let Record::Person(p) = sync_core::read_record(&bytes)? else {
        return Ok(None);
    };
    let Some(interaction) = p.interaction(entry) else {
        return Ok(None);
    };
    let InteractionKind::Doorstep(doorstep) = &interaction.kind else {
        return Ok(None);
    };
    let Some((follow_up, done)) = doorstep
        .follow_up
        .as_ref()
        .and_then(|f| f.done.as_ref().map(|d| (f, d)))
    else {
        return Ok(None);
    };
    let mut personal: Vec<String> = Vec::new();
    personal.extend(
        p.name
            .iter()
            .flat_map(|n| n.split_whitespace().map(str::to_owned)),
    );
    personal.extend(p.phone.clone());
    personal.extend(p.email.clone());
    if let Some(household) = p.household
        && let Some(bytes) = documents::bytes(&mut conn, household).await?
        && let Ok(Record::Address(a)) = sync_core::read_record(&bytes)
    {
        personal.push(format!("{} {}", a.house, a.street));
        personal.push(a.house.clone());
        personal.extend(a.locality.clone());
        personal.extend(a.postcode.clone());
    }
    Ok(Some(PromiseKept {
        topics: doorstep.topics.iter().cloned().collect(),
        place: p.patch.clone(),
        promised_in: crate::reports::month_of(interaction.at.as_millis()),
        days_to_done: (done.at.as_millis() - interaction.at.as_millis()) / Timestamp::DAY_MILLIS,
        you_said: take_out(&follow_up.what, &personal),
        we_did: done
            .note
            .as_deref()
            .map(|n| take_out(n, &personal))
            .unwrap_or_default(),
    }))
}

/// `text` with each of `personal` (a name, a phone number, an address)
/// taken out wherever it appears as a whole word, whatever its case, and
/// anything shaped like an email address or a phone number too.
fn take_out(text: &str, personal: &[String]) -> String {
    let mut out = text.to_owned();
    let mut personal: Vec<&str> = personal
        .iter()
        .map(|p| p.trim())
        .filter(|p| p.chars().count() >= 2)
        .collect();
    // Longest first, so that "12 Oak Lane" goes before "12".
    personal.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for item in personal {
        out = replace_words(&out, item);
    }
    // Words, with each run of number-like words (a phone number written
    // in groups) taken as one.
    fn flush<'a>(number: &mut Vec<&'a str>, words: &mut Vec<&'a str>) {
        let digits: usize = number
            .iter()
            .map(|w| w.chars().filter(char::is_ascii_digit).count())
            .sum();
        if digits >= 6 {
            words.push(REMOVED);
        } else {
            words.extend(number.iter());
        }
        number.clear();
    }
    let mut words: Vec<&str> = Vec::new();
    let mut number: Vec<&str> = Vec::new();
    let numeric =
        |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || "+-()".contains(c));
    for word in out.split(' ') {
        if numeric(word) {
            number.push(word);
            continue;
        }
        flush(&mut number, &mut words);
        let has_digits = word.chars().filter(char::is_ascii_digit).count() >= 6;
        words.push(if word.contains('@') || has_digits {
            REMOVED
        } else {
            word
        });
    }
    flush(&mut number, &mut words);
    words.join(" ")
}

/// `text` with `item` replaced where it stands as whole words (not inside
/// a longer word), case aside.
fn replace_words(text: &str, item: &str) -> String {
    let lower_text = text.to_lowercase();
    let lower_item = item.to_lowercase();
    // Lowercasing can change lengths outside ASCII: match on the original
    // when it would.
    if lower_text.len() != text.len() || lower_item.len() != item.len() {
        return text.replace(item, REMOVED);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    while let Some(found) = lower_text[rest..].find(&lower_item) {
        let start = rest + found;
        let end = start + item.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if is_word(before) || is_word(after) {
            out.push_str(&text[rest..end]);
        } else {
            out.push_str(&text[rest..start]);
            out.push_str(REMOVED);
        }
        rest = end;
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_details_are_taken_out_of_what_was_typed() {
        let personal = [
            "Zoë".to_owned(),
            "Okafor".to_owned(),
            "12 Oak Lane".to_owned(),
            "12".to_owned(),
            "AB1 2CD".to_owned(),
        ];
        assert_eq!(
            take_out(
                "Ring Zoë okafor about the bins at 12 Oak Lane (AB1 2CD)",
                &personal
            ),
            "Ring […] […] about the bins at […] ([…])"
        );
        // Only whole words: "Okaforville" and "120" stay.
        assert_eq!(
            take_out("Okaforville has 120 homes", &personal),
            "Okaforville has 120 homes"
        );
        assert_eq!(
            take_out("Email zoe@example.org or call 07700 900123", &personal),
            "Email […] or call […]"
        );
    }
}
