//! The differencing attack, replayed: a viewer moves the end of a period
//! a day at a time until two answers differ by one person, then compares
//! their breakdowns. With exact figures the attack names that person's
//! ethnic group for certain; with the figures viewers see (adjusted by the
//! cell key method) it learns nothing certain.
//!
//! "Certain" is checked by reasoning as the attacker can: from the two
//! answers alone, knowing the method and its perturbation table (public,
//! in PRIVACY.md) but not the record keys, is there a world other than the
//! true one, consistent with every figure both answers show, in which the
//! person is in another group? The world tried: two people were first
//! contacted that day, the person in another group and someone else,
//! alike in everything else, in the person's group.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use server::reports::cell_key::MAX_NOISE;
use server::reports::disclosure::Page;
use server::reports::{Audience, Filters};
use sync_core::Timestamp;
use tests::server::{TestDb, connect, runtime};

const THRESHOLD: u64 = 5;
const LISTS: [&str; 5] = [
    "by_patch",
    "by_age_band",
    "by_tenure",
    "by_language",
    "by_ethnicity",
];
const COLUMNS: [&str; 3] = ["contacts", "conversations", "participants"];
const TOTALS: [&str; 7] = [
    "contacts",
    "conversations",
    "participants",
    "contacts_under_55",
    "contacts_with_age_band",
    "participants_under_55",
    "participants_with_age_band",
];
/// One-person differences tried (the demo has hundreds).
const MOST_DAYS: usize = 30;

/// What one answer shows of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Count(u64),
    Small,
    Protects,
    /// Its row is not listed: nobody is in it.
    Absent,
}

/// One answer of the reach report: each figure by a name that does not
/// depend on row order (`by_ethnicity/other/contacts`), as shown and as
/// it truly is.
struct Answer {
    seen: BTreeMap<String, Seen>,
    truth: BTreeMap<String, u64>,
    /// Whether the report says its figures are adjusted: the attacker
    /// reasons with the exact model unless it does.
    adjusted: bool,
}

fn answer(json: &Value, page: &Page) -> Answer {
    let mut seen = BTreeMap::new();
    let mut truth = BTreeMap::new();
    let mut add = |name: String, place: String| {
        let shown = match json.pointer(&format!("/{}", place.replace('.', "/"))) {
            Some(Value::Number(n)) => Seen::Count(n.as_u64().expect("a count")),
            _ => match json["withheld"][&place].as_str() {
                Some("small") => Seen::Small,
                Some("protects") => Seen::Protects,
                other => panic!("{place}: {other:?}"),
            },
        };
        seen.insert(name.clone(), shown);
        truth.insert(name, page.value(&place).unwrap_or(0));
    };
    for list in LISTS {
        for (i, row) in json[list]
            .as_array()
            .expect("a breakdown")
            .iter()
            .enumerate()
        {
            let group = row["group"].as_str().expect("a group");
            for column in COLUMNS {
                add(
                    format!("{list}/{group}/{column}"),
                    format!("{list}.{i}.{column}"),
                );
            }
        }
    }
    for total in TOTALS {
        add(total.to_owned(), total.to_owned());
    }
    Answer {
        seen,
        truth,
        adjusted: json["adjusted"] == Value::Bool(true),
    }
}

/// The ethnic group a figure's name is about, if it is one of that
/// breakdown's.
fn group_of(name: &str) -> Option<&str> {
    name.strip_prefix("by_ethnicity/")
        .and_then(|rest| rest.split('/').next())
}

/// Whether a figure of `n` people could be shown as `seen`.
fn could_show(seen: Seen, n: u64, adjusted: bool) -> bool {
    match seen {
        Seen::Absent | Seen::Count(0) => n == 0,
        Seen::Small => (1..THRESHOLD).contains(&n),
        Seen::Protects => n >= 1,
        Seen::Count(s) if !adjusted => s == n,
        // Adjusted: n moved by at most MAX_NOISE, never below the threshold.
        Seen::Count(s) => {
            n >= THRESHOLD
                && (n.abs_diff(s) <= MAX_NOISE || (s == THRESHOLD && n <= THRESHOLD + MAX_NOISE))
        }
    }
}

/// Whether a figure seen as `a` and then `b` could have gained `more`
/// people between the two answers.
fn could_gain(a: Seen, b: Seen, more: u64, adjusted: bool) -> bool {
    if more == 0 {
        // The same people: the same figure, always, unless one answer
        // hides it to protect another.
        return a == b || a == Seen::Protects || b == Seen::Protects;
    }
    let top = match (a, b) {
        (Seen::Count(x), Seen::Count(y)) => x.max(y),
        (Seen::Count(x), _) | (_, Seen::Count(x)) => x,
        _ => 0,
    };
    (0..=top + MAX_NOISE + THRESHOLD + more)
        .any(|n| could_show(a, n, adjusted) && could_show(b, n + more, adjusted))
}

/// The groups of the ethnicity breakdown the person could be in, by the
/// two answers alone: their true group `truly`, and each other group for
/// which the two-person world is consistent with everything shown.
fn groups_possible(before: &Answer, after: &Answer) -> (String, BTreeSet<String>) {
    let adjusted = before.adjusted && after.adjusted;
    let names: BTreeSet<&String> = before.seen.keys().chain(after.seen.keys()).collect();
    let gained = |name: &str| {
        after.truth.get(name).copied().unwrap_or(0) - before.truth.get(name).copied().unwrap_or(0)
    };
    let seen = |answer: &Answer, name: &str| answer.seen.get(name).copied().unwrap_or(Seen::Absent);
    let truly = names
        .iter()
        .filter(|name| name.ends_with("/contacts") && gained(name) == 1)
        .find_map(|name| group_of(name))
        .expect("the person is in some group")
        .to_owned();
    let groups: BTreeSet<&str> = names.iter().filter_map(|name| group_of(name)).collect();
    let mut possible = BTreeSet::from([truly.clone()]);
    for other in groups.into_iter().filter(|g| *g != truly) {
        let consistent = names.iter().all(|name| {
            let more = match (group_of(name), name.rsplit('/').next()) {
                (Some(g), Some(column)) if g == other => {
                    gained(&format!("by_ethnicity/{truly}/{column}"))
                }
                (Some(_), _) => gained(name),
                // Everything but ethnicity: the two are alike.
                _ => 2 * gained(name),
            };
            could_gain(seen(before, name), seen(after, name), more, adjusted)
        });
        if consistent {
            possible.insert(other.to_owned());
        }
    }
    (truly, possible)
}

/// How often something happened, of how many times it could.
#[derive(Debug, Default)]
struct Share(u64, u64);

impl Share {
    fn count(&mut self, happened: bool) {
        self.0 += u64::from(happened);
        self.1 += 1;
    }

    fn share(&self) -> f64 {
        self.0 as f64 / self.1.max(1) as f64
    }
}

/// What the adjustments did to a viewer's pairs of answers.
#[derive(Debug, Default)]
struct Noise {
    /// Figures already counted, by name, truth and reading: a figure
    /// whose people did not change reads the same in many answers, and
    /// counting it each time would weigh a few figures over the rest.
    seen: BTreeSet<(String, u64, u64)>,
    /// Figures well above the threshold that read other than they are.
    moved: Share,
    /// Figures that gained the person whose two readings differ by other
    /// than one.
    differ: Share,
}

impl Noise {
    fn add(&mut self, before: &Answer, after: &Answer) {
        for answer in [before, after] {
            for (name, seen) in &answer.seen {
                let n = answer.truth[name];
                if let Seen::Count(s) = seen
                    && n >= THRESHOLD + MAX_NOISE
                    && self.seen.insert((name.clone(), n, *s))
                {
                    self.moved.count(*s != n);
                }
            }
        }
        for (name, seen) in &after.seen {
            let gained = after.truth[name] - before.truth.get(name).copied().unwrap_or(0);
            if let (Some(Seen::Count(a)), Seen::Count(b)) = (before.seen.get(name), seen)
                && gained == 1
                && *a >= THRESHOLD + MAX_NOISE
            {
                self.differ.count(b.checked_sub(*a) != Some(1));
            }
        }
    }
}

fn a_viewer_comparing_two_answers_learns_nothing_certain(db: TestDb) {
    runtime().block_on(async {
        let store = connect(&db).await;
        server::ops::demo::fill(&store, 1500, 11, false)
            .await
            .expect("the demo area");
        let now = sync_core::Clock::now(&sync_core::SystemClock);
        // The demo's first contacts come in weekly batches, so the attacker
        // narrows by patch, channel or age band as well: each (filters,
        // day) that adds exactly one person, with enough people before it
        // for a viewer's filtered report.
        let people: Vec<(i64, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT first_contact_at, patch, entry_channel, age_band, highest_stage FROM people \
             WHERE first_contact_at IS NOT NULL",
        )
        .fetch_all(&store.pool)
        .await
        .expect("first contacts");
        let ladder = sync_core::Ladder::default();
        let filters_of =
            |(_, patch, channel, band, highest): &(i64, String, String, Option<String>, i64)| {
                let mut all = vec![
                    Filters {
                        patch: Some(patch.clone()),
                        ..Filters::default()
                    },
                    Filters {
                        channel: Some(channel.clone()),
                        ..Filters::default()
                    },
                    Filters {
                        patch: Some(patch.clone()),
                        channel: Some(channel.clone()),
                        ..Filters::default()
                    },
                ];
                // A step reached: the person is among those who reached
                // Conversation (and, with their patch, in that patch too).
                if *highest >= 1 {
                    let stage = ladder.stages()[1].key.clone();
                    all.push(Filters {
                        stage: Some(stage.clone()),
                        ..Filters::default()
                    });
                    all.push(Filters {
                        patch: Some(patch.clone()),
                        stage: Some(stage),
                        ..Filters::default()
                    });
                }
                if let Some(band) = band {
                    all.push(Filters {
                        age_band: Some(band.clone()),
                        ..Filters::default()
                    });
                    all.push(Filters {
                        patch: Some(patch.clone()),
                        age_band: Some(band.clone()),
                        ..Filters::default()
                    });
                }
                all
            };
        let day_of = |at: i64| at.div_euclid(Timestamp::DAY_MILLIS);
        let mut per_day: BTreeMap<(String, i64), u64> = BTreeMap::new();
        let mut chosen: BTreeMap<String, Filters> = BTreeMap::new();
        for person in &people {
            for filters in filters_of(person) {
                let key = format!("{filters:?}");
                *per_day.entry((key.clone(), day_of(person.0))).or_default() += 1;
                chosen.insert(key, filters);
            }
        }
        let least = 2 * server::reports::MIN_FILTERED_PEOPLE * THRESHOLD;
        let mut targets = Vec::new();
        let mut before: BTreeMap<&str, u64> = BTreeMap::new();
        for ((key, day), n) in &per_day {
            let earlier = before.entry(key.as_str()).or_default();
            if *n == 1 && *earlier >= least {
                targets.push((chosen[key].clone(), *day));
            }
            *earlier += n;
        }
        assert!(
            targets.len() >= 10,
            "{} one-person differences",
            targets.len()
        );
        let step = (targets.len() / MOST_DAYS).max(1);
        let reach = |filters: &Filters, to: i64, audience: Audience| {
            let store = &store;
            let filters = Filters {
                to: Some(to * Timestamp::DAY_MILLIS),
                ..filters.clone()
            };
            async move {
                let (json, page) =
                    server::http::published_report(store, "reach", &filters, audience, now)
                        .await
                        .expect("the reach report");
                answer(&json, &page.expect("reach describes its figures"))
            }
        };
        let (mut tried, mut certain, mut by_stage) = (0, 0, 0);
        let mut noise = Noise::default();
        for (filters, day) in targets.iter().step_by(step) {
            tried += 1;
            by_stage += usize::from(filters.stage.is_some());
            // Exact figures (an admin's): the attack works.
            let (exact_before, exact_after) = (
                reach(filters, *day, Audience::Exact).await,
                reach(filters, day + 1, Audience::Exact).await,
            );
            assert_eq!(
                exact_after.truth["contacts"],
                exact_before.truth["contacts"] + 1,
                "one person more"
            );
            let (truly, possible) = groups_possible(&exact_before, &exact_after);
            certain += usize::from(possible.len() == 1);
            // A viewer's: the person could be in another group.
            let (seen_before, seen_after) = (
                reach(filters, *day, Audience::Adjusted).await,
                reach(filters, day + 1, Audience::Adjusted).await,
            );
            let (truly_seen, possible) = groups_possible(&seen_before, &seen_after);
            noise.add(&seen_before, &seen_after);
            assert_eq!(truly_seen, truly);
            assert!(
                possible.len() >= 2,
                "{filters:?} day {day}: a viewer would know the person is in {truly}"
            );
        }
        assert!(tried >= 10, "{tried} days tried");
        // Some of them narrowed by the step reached, as a drill-down does.
        assert!(by_stage > 0, "no difference by a step reached was tried");
        // And the viewer's figures are adjusted as the table says, so that
        // the difference of two answers is not the person's: about 40% of
        // figures move, and about 60% of those that gained the person show
        // a difference other than one (about 670 and 365 distinct figures
        // on the demo: the bounds are five standard deviations wide, and
        // figures left exact, or all moved alike, fall far outside them).
        let (moved, gained) = (noise.moved.share(), noise.differ.share());
        assert!((0.25..0.55).contains(&moved), "{moved} of figures adjusted");
        assert!(
            (0.4..0.8).contains(&gained),
            "{gained} of differences are not one"
        );
        // The attack is real: exact figures give most of them away (the
        // rest hide the totals that would show one person more).
        assert!(
            2 * certain > tried,
            "exact figures named the group of {certain} of {tried}"
        );
    });
}

tests::on_every_database!(a_viewer_comparing_two_answers_learns_nothing_certain);
