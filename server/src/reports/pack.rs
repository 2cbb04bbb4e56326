//! The board pack: one page per period for the partnership board, with the
//! headline figures of the reports it is given (each with its change and
//! its target) and plain-English sentences written from those figures.
//!
//! Everything here reads the reports as published ([`Headlines`], read from
//! each report's JSON), so a figure the disclosure control hides arrives
//! already withheld: a sentence is built only from figures that are shown,
//! and a hidden figure is either left out or said to be too small to show,
//! never given as a number, a change, a ratio or a comparison.

use serde::{Deserialize, Serialize};

use super::Withheld;
use super::headlines::{Headline, Headlines, Unit};
use super::period::{Compare, PeriodView};
use super::targets::{Comparison, Status};

/// One report's part of the pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackReport {
    /// The report's name (`reach`), as in `/v1/reports/NAME`.
    pub name: String,
    /// Its label ("Reach").
    pub label: String,
    /// Its dashboard page for the same period and comparison.
    pub href: String,
    /// Its headline figures with their changes and targets, unless the
    /// report cannot be shown for this period.
    pub headlines: Option<Headlines>,
    /// Why not, when it cannot (for a viewer, too few people in the
    /// period to break down without singling someone out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_shown_because: Option<String>,
}

/// A sentence written from published figures, with the report it comes
/// from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sentence {
    /// The sentence, ending with a full stop.
    pub text: String,
    /// The report it comes from.
    pub report: String,
    /// That report's dashboard page for the same period.
    pub href: String,
}

/// The board pack for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pack {
    /// The area's name.
    pub area: String,
    /// The period it covers.
    pub period: PeriodView,
    /// The period as a query value (`2026-Q3`).
    pub period_query: String,
    /// What it is compared with, if anything.
    pub compare: Option<Compare>,
    /// The period it is compared with.
    pub compared_with: Option<PeriodView>,
    /// The day it was made, `YYYY-MM-DD` (UTC).
    pub made: String,
    /// Whether the counts are slightly adjusted to protect privacy (as a
    /// viewer sees them).
    pub adjusted: bool,
    /// The sentences, report by report.
    pub sentences: Vec<Sentence>,
    /// The headline figures, report by report.
    pub reports: Vec<PackReport>,
}

/// The query that opens a report's page for the pack's period.
pub fn report_href(report: &str, period_query: &str, compare: Option<Compare>) -> String {
    let compare = match compare {
        Some(Compare::Previous) => "previous",
        Some(Compare::YearBefore) => "year-before",
        None => "none",
    };
    format!("/reports/{report}?period={period_query}&compare={compare}")
}

/// A figure in words: a whole number with thousands separated by commas,
/// otherwise to one decimal place ("1,204", "38.5").
pub fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let whole = rounded.trunc().abs() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded < 0.0 { "-" } else { "" };
    let tenths = ((rounded.abs() - whole as f64) * 10.0).round() as u64;
    if tenths == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{tenths}")
    }
}

/// A figure with its unit ("38%", "1,204", "55 per 1,000 households").
fn amount(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Count => number(value),
        Unit::Percent => format!("{}%", number(value)),
        Unit::PerThousand => format!("{} per 1,000 households", number(value)),
    }
}

/// The part of a headline's key before `@`, and the part of its label
/// after ": " (a patch's or a step's name) when it is one of a list.
fn parts(headline: &Headline) -> (&str, Option<&str>) {
    match headline.key.split_once('@') {
        Some((base, _)) => (base, headline.label.split_once(": ").map(|(_, item)| item)),
        None => (headline.key.as_str(), None),
    }
}

/// What a headline is about, as the subject of a sentence.
fn subject(headline: &Headline) -> String {
    let (base, item) = parts(headline);
    let item = item.unwrap_or("");
    match base {
        "contacts" if !item.is_empty() => format!("The number of people contacted in {item}"),
        "contacts" => "The number of people contacted".to_owned(),
        "conversations" => "The number of people we had a conversation with".to_owned(),
        "participants" => "The number of participants".to_owned(),
        "under_55_share_of_contacts" => "The share of people contacted who are under 55".to_owned(),
        "under_55_share_of_participants" => "The share of participants under 55".to_owned(),
        "members" => "The number of partnership members".to_owned(),
        "resident_share" => {
            format!("The share of partnership members who are residents ({item})")
        }
        "reached" => format!("The number of people who reached the step \"{item}\""),
        "doors_knocked" => "The number of doors knocked".to_owned(),
        "doors_answered" => "The number of doors answered".to_owned(),
        "knocked_per_1000_households" => format!("The rate of doors knocked in {item}"),
        "promised" => "The number of promises made".to_owned(),
        "done" => "The number of promises kept".to_owned(),
        "kept_on_time_share" => "The share of promises kept on time".to_owned(),
        _ => headline.label.clone(),
    }
}

/// Whether a headline gets a sentence of its own: the report's main
/// figures, and any figure the partnership set a target for. (A figure for
/// each patch or step is in the table; patches are compared below.)
fn told(headline: &Headline) -> bool {
    !headline.key.contains('@')
        || headline.target.is_some()
        || parts(headline).0 == "resident_share"
}

/// ", meeting the target of at least 40%", for a shown figure with a
/// target.
fn target_clause(headline: &Headline) -> String {
    let Some(target) = &headline.target else {
        return String::new();
    };
    let goal = format!(
        "{} {}",
        match target.comparison {
            Comparison::AtLeast => "at least",
            Comparison::AtMost => "at most",
        },
        amount(headline.unit, target.goal)
    );
    match target.status {
        Status::Met => format!(", meeting the target of {goal}"),
        Status::Close => format!(", close to the target of {goal} but not meeting it"),
        Status::NotMet => format!(", not meeting the target of {goal}"),
        Status::NotSaid => String::new(),
    }
}

/// The sentence for one headline figure, if it has one. Only shown figures
/// are given as numbers; a hidden one is said to be too small to show (or
/// hidden to protect a small one), with no number, change or target.
pub fn figure_sentence(headline: &Headline, earlier_label: Option<&str>) -> Option<String> {
    let who = subject(headline);
    let unit = headline.unit;
    let Some(now) = headline.value else {
        return match headline.withheld {
            Some(Withheld::Small) => Some(format!("{who} is too small to show for this period.")),
            Some(Withheld::Protects) => Some(format!(
                "{who} is not shown, so that a small group cannot be worked out from it."
            )),
            Some(Withheld::NotApplicable) | None => None,
        };
    };
    let target = target_clause(headline);
    let sentence = match (headline.earlier, headline.change) {
        (Some(then), Some(change)) => {
            if change == 0.0 {
                format!("{who} stayed at {}{target}.", amount(unit, now))
            } else {
                let (verb, direction) = if change > 0.0 {
                    ("rose", "up")
                } else {
                    ("fell", "down")
                };
                let by = match (unit, headline.change_percent) {
                    (Unit::Percent, _) => {
                        format!(" ({direction} {} points)", number(change.abs()))
                    }
                    (_, Some(percent)) => format!(" ({direction} {}%)", number(percent.abs())),
                    (_, None) => String::new(),
                };
                // "from 100 to 44.4 per 1,000 households": the unit once.
                let from = match unit {
                    Unit::PerThousand => number(then),
                    _ => amount(unit, then),
                };
                format!(
                    "{who} {verb} from {from} to {}{by}{target}.",
                    amount(unit, now)
                )
            }
        }
        _ => {
            let earlier = match (headline.earlier_withheld, earlier_label) {
                (Some(Withheld::Small), Some(label)) => {
                    format!("; the figure for {label} is too small to show, so no change is given")
                }
                (Some(Withheld::Protects), Some(label)) => format!(
                    "; the figure for {label} is hidden to protect a small one, so no change is \
                     given"
                ),
                _ => String::new(),
            };
            format!("{who} was {}{target}{earlier}.", amount(unit, now))
        }
    };
    Some(sentence)
}

/// How often one rate is beside another, in words that say how they were
/// rounded: "half as often" (exactly), "about a third as often" (within
/// two percentage points of a third), "about 62% as often".
pub fn ratio_words(low: f64, high: f64) -> String {
    let ratio = low / high;
    const FRACTIONS: [(f64, &str); 7] = [
        (0.75, "three quarters"),
        (2.0 / 3.0, "two thirds"),
        (0.5, "half"),
        (1.0 / 3.0, "a third"),
        (0.25, "a quarter"),
        (0.2, "a fifth"),
        (0.1, "a tenth"),
    ];
    for (fraction, words) in FRACTIONS {
        let off = (ratio - fraction).abs();
        if off < 0.0005 {
            return format!("{words} as often");
        }
        if off <= 0.02 {
            return format!("about {words} as often");
        }
    }
    let percent = (ratio * 100.0).round();
    if (ratio * 100.0 - percent).abs() < 0.0005 {
        format!("{percent:.0}% as often")
    } else if percent < 1.0 {
        "less than 1% as often".to_owned()
    } else {
        format!("about {percent:.0}% as often")
    }
}

/// Compares the patches' rates of one figure per 1,000 households: the
/// lowest shown beside the highest shown. Hidden patches are left out
/// (nothing is said about them, not even that they are lower or higher).
fn patch_sentence(base: &str, figures: &[&Headline]) -> Option<String> {
    let shown: Vec<(&str, f64)> = figures
        .iter()
        .filter_map(|h| Some((parts(h).1?, h.value?)))
        .collect();
    if shown.len() < 2 {
        return None;
    }
    let high = shown.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let low = shown.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    if high.1 <= 0.0 {
        return None;
    }
    let (verb, per) = match base {
        "knocked_per_1000_households" => ("Doors in", "were knocked"),
        _ => return None,
    };
    let rates = format!(
        "({} against {} per 1,000 households)",
        number(low.1),
        number(high.1)
    );
    Some(if low.1 == high.1 {
        format!(
            "{verb} every patch shown {per} equally often per household ({})",
            amount(Unit::PerThousand, high.1)
        ) + "."
    } else if low.1 == 0.0 {
        format!(
            "No doors in {} were knocked in this period, against {} in {}.",
            low.0,
            amount(Unit::PerThousand, high.1),
            high.0
        )
    } else {
        format!(
            "{verb} {} {per} {} per household as in {} {rates}.",
            low.0,
            ratio_words(low.1, high.1),
            high.0
        )
    })
}

/// The sentences for one report's headline figures.
pub fn sentences(report: &str, headlines: &Headlines, href: &str) -> Vec<Sentence> {
    let earlier_label = headlines.compared_with.as_ref().map(|p| p.label.as_str());
    let mut texts: Vec<String> = headlines
        .figures
        .iter()
        .filter(|h| told(h))
        .filter_map(|h| figure_sentence(h, earlier_label))
        .collect();
    let mut families: Vec<&str> = Vec::new();
    for h in &headlines.figures {
        let base = parts(h).0;
        if h.unit == Unit::PerThousand && h.key.contains('@') && !families.contains(&base) {
            families.push(base);
        }
    }
    for base in families {
        let figures: Vec<&Headline> = headlines
            .figures
            .iter()
            .filter(|h| h.key.contains('@') && parts(h).0 == base)
            .collect();
        texts.extend(patch_sentence(base, &figures));
    }
    texts
        .into_iter()
        .map(|text| Sentence {
            text,
            report: report.to_owned(),
            href: href.to_owned(),
        })
        .collect()
}

/// What the pack is made of besides the reports.
pub struct Cover {
    /// The area's name.
    pub area: String,
    /// The period.
    pub period: PeriodView,
    /// The period as a query value.
    pub period_query: String,
    /// What it is compared with.
    pub compare: Option<Compare>,
    /// The day it is made.
    pub made: String,
    /// Whether the counts are adjusted for viewers.
    pub adjusted: bool,
}

/// The pack from each report's name, label and published headlines (or
/// why the report cannot be shown), in the order given.
pub fn compose(cover: Cover, reports: Vec<(String, String, Result<Headlines, String>)>) -> Pack {
    let compared_with = reports
        .iter()
        .find_map(|(_, _, h)| h.as_ref().ok()?.compared_with.clone());
    let mut sentences_all = Vec::new();
    let reports: Vec<PackReport> = reports
        .into_iter()
        .map(|(name, label, headlines)| {
            let href = report_href(&name, &cover.period_query, cover.compare);
            if let Ok(headlines) = &headlines {
                sentences_all.extend(sentences(&name, headlines, &href));
            }
            let (headlines, not_shown_because) = match headlines {
                Ok(headlines) => (Some(headlines), None),
                Err(why) => (None, Some(why)),
            };
            PackReport {
                name,
                label,
                href,
                headlines,
                not_shown_because,
            }
        })
        .collect();
    Pack {
        area: cover.area,
        period: cover.period,
        period_query: cover.period_query,
        compare: cover.compare,
        compared_with,
        made: cover.made,
        adjusted: cover.adjusted,
        sentences: sentences_all,
        reports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::targets::Judged;

    fn shown(mut h: Headline, now: f64, then: Option<f64>) -> Headline {
        h.value = Some(now);
        h.earlier = then;
        h.change = then.map(|t| ((now - t) * 10.0).round() / 10.0);
        h.change_percent = then
            .filter(|t| *t > 0.0 && h.unit != Unit::Percent)
            .map(|t| ((now - t) * 1000.0 / t).round() / 10.0);
        h
    }

    fn hidden(mut h: Headline, why: Withheld, then: Option<f64>) -> Headline {
        h.withheld = Some(why);
        h.earlier = then;
        h
    }

    fn headlines(figures: Vec<Headline>) -> Headlines {
        Headlines {
            period: None,
            compare: Some(Compare::Previous),
            compared_with: Some(PeriodView {
                label: "April to June 2026 (Q2)".into(),
                from: "2026-04-01".into(),
                until: "2026-06-30".into(),
            }),
            no_comparison_because: None,
            figures,
            suppressed_below: 5,
        }
    }

    fn texts(report: &str, figures: Vec<Headline>) -> Vec<String> {
        sentences(report, &headlines(figures), "/reports/x?period=2026-Q3")
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    fn digits(text: &str) -> bool {
        text.chars().any(|c| c.is_ascii_digit())
    }

    #[test]
    fn a_share_that_rose_to_its_target_says_so() {
        let mut h = shown(
            Headline::blank(
                "under_55_share_of_participants",
                "Under 55, share of participants",
                Unit::Percent,
            ),
            40.0,
            Some(31.0),
        );
        h.target = Some(Judged {
            comparison: Comparison::AtLeast,
            goal: 40.0,
            margin: 0.0,
            status: Status::Met,
            words: String::new(),
        });
        assert_eq!(
            texts("reach", vec![h.clone()]),
            [
                "The share of participants under 55 rose from 31% to 40% (up 9 points), \
              meeting the target of at least 40%."
            ]
        );
        h.value = Some(38.0);
        h.change = Some(7.0);
        h.target.as_mut().unwrap().status = Status::NotMet;
        assert_eq!(
            texts("reach", vec![h]),
            [
                "The share of participants under 55 rose from 31% to 38% (up 7 points), \
              not meeting the target of at least 40%."
            ]
        );
    }

    #[test]
    fn counts_say_their_change_in_words_and_percent() {
        let h = shown(
            Headline::blank("contacts", "People contacted", Unit::Count),
            1080.0,
            Some(1200.0),
        );
        assert_eq!(
            texts("reach", vec![h]),
            ["The number of people contacted fell from 1,200 to 1,080 (down 10%)."]
        );
        let same = shown(
            Headline::blank("promised", "Promises made", Unit::Count),
            12.0,
            Some(12.0),
        );
        assert_eq!(
            texts("you-said-we-did", vec![same]),
            ["The number of promises made stayed at 12."]
        );
    }

    #[test]
    fn hidden_figures_give_no_number() {
        let small = hidden(
            Headline::blank("participants", "Participants", Unit::Count),
            Withheld::Small,
            Some(40.0),
        );
        let protects = hidden(
            Headline::blank("conversations", "Conversations (people)", Unit::Count),
            Withheld::Protects,
            Some(17.0),
        );
        let none = hidden(
            Headline::blank("under_55_share_of_contacts", "Under 55", Unit::Percent),
            Withheld::NotApplicable,
            None,
        );
        let mut targeted = hidden(
            Headline::blank("kept_on_time_share", "Kept on time", Unit::Percent),
            Withheld::Small,
            None,
        );
        targeted.target = Some(Judged {
            comparison: Comparison::AtLeast,
            goal: 80.0,
            margin: 5.0,
            status: Status::NotSaid,
            words: String::new(),
        });
        let said = texts("reach", vec![small, protects, none, targeted]);
        assert_eq!(
            said,
            [
                "The number of participants is too small to show for this period.",
                "The number of people we had a conversation with is not shown, so that a \
                 small group cannot be worked out from it.",
                "The share of promises kept on time is too small to show for this period.",
            ]
        );
        assert!(said.iter().all(|s| !digits(s)), "{said:?}");
    }

    #[test]
    fn a_rate_says_its_unit_once() {
        let h = shown(
            Headline::blank(
                "knocked_per_1000_households@birch",
                "Doors knocked per 1,000 households: Birch Close",
                Unit::PerThousand,
            ),
            44.4,
            Some(100.0),
        );
        assert_eq!(
            figure_sentence(&h, None).unwrap(),
            "The rate of doors knocked in Birch Close fell from 100 to 44.4 per 1,000 \
             households (down 55.6%)."
        );
    }

    #[test]
    fn an_earlier_hidden_figure_gives_no_change() {
        let mut h = shown(
            Headline::blank("doors_knocked", "Doors knocked", Unit::Count),
            300.0,
            None,
        );
        h.earlier_withheld = Some(Withheld::Protects);
        assert_eq!(
            texts("households", vec![h.clone()]),
            [
                "The number of doors knocked was 300; the figure for April to June 2026 (Q2) \
              is hidden to protect a small one, so no change is given."
            ]
        );
        h.earlier_withheld = Some(Withheld::Small);
        assert_eq!(
            texts("households", vec![h]),
            [
                "The number of doors knocked was 300; the figure for April to June 2026 (Q2) \
              is too small to show, so no change is given."
            ]
        );
    }

    #[test]
    fn patches_are_compared_with_their_rounding_said() {
        let rate = |slug: &str, name: &str, value: Option<f64>| {
            let h = Headline::blank(
                &format!("knocked_per_1000_households@{slug}"),
                &format!("Doors knocked per 1,000 households: {name}"),
                Unit::PerThousand,
            );
            match value {
                Some(v) => shown(h, v, None),
                None => hidden(h, Withheld::Small, None),
            }
        };
        let exact = texts(
            "households",
            vec![
                rate("elm", "Elm Road", Some(96.0)),
                rate("oak", "Oak Lane", Some(48.0)),
            ],
        );
        assert_eq!(
            exact,
            [
                "Doors in Oak Lane were knocked half as often per household as in Elm Road \
              (48 against 96 per 1,000 households)."
            ]
        );
        let near = texts(
            "households",
            vec![
                rate("elm", "Elm Road", Some(97.0)),
                rate("oak", "Oak Lane", Some(47.0)),
                rate("ash", "Ash Green", None),
            ],
        );
        assert_eq!(
            near,
            [
                "Doors in Oak Lane were knocked about half as often per household as in Elm \
              Road (47 against 97 per 1,000 households)."
            ]
        );
        assert_eq!(
            texts(
                "households",
                vec![
                    rate("elm", "Elm Road", Some(100.0)),
                    rate("oak", "Oak Lane", Some(62.4))
                ],
            ),
            [
                "Doors in Oak Lane were knocked about 62% as often per household as in Elm \
              Road (62.4 against 100 per 1,000 households)."
            ]
        );
        // One patch shown beside a hidden one: nothing to compare, and the
        // hidden patch is not named.
        let alone = texts(
            "households",
            vec![
                rate("elm", "Elm Road", Some(97.0)),
                rate("oak", "Oak Lane", None),
            ],
        );
        assert!(alone.is_empty(), "{alone:?}");
    }

    #[test]
    fn ratios_are_worded_honestly() {
        assert_eq!(ratio_words(50.0, 100.0), "half as often");
        assert_eq!(ratio_words(49.0, 100.0), "about half as often");
        assert_eq!(ratio_words(1.0, 3.0), "a third as often");
        assert_eq!(ratio_words(35.0, 100.0), "about a third as often");
        assert_eq!(ratio_words(60.0, 100.0), "60% as often");
        assert_eq!(ratio_words(90.0, 100.0), "90% as often");
        assert_eq!(ratio_words(0.1, 100.0), "less than 1% as often");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(1_204_000.0), "1,204,000");
        assert_eq!(number(38.46), "38.5");
        assert_eq!(number(-7.0), "-7");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn each_sentence_links_to_its_report_for_the_period() {
        let cover = Cover {
            area: "Riverside".into(),
            period: PeriodView {
                label: "July to September 2026 (Q3)".into(),
                from: "2026-07-01".into(),
                until: "2026-09-30".into(),
            },
            period_query: "2026-Q3".into(),
            compare: Some(Compare::Previous),
            made: "2026-12-06".into(),
            adjusted: true,
        };
        let pack = compose(
            cover,
            vec![(
                "reach".into(),
                "Reach".into(),
                Ok(headlines(vec![shown(
                    Headline::blank("contacts", "People contacted", Unit::Count),
                    10.0,
                    Some(5.0),
                )])),
            )],
        );
        assert_eq!(pack.sentences.len(), 1);
        assert_eq!(
            pack.sentences[0].href,
            "/reports/reach?period=2026-Q3&compare=previous"
        );
        assert_eq!(pack.reports[0].href, pack.sentences[0].href);
        assert_eq!(
            pack.compared_with.map(|p| p.label).as_deref(),
            Some("April to June 2026 (Q2)")
        );
    }
}
