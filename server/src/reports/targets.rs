//! The partnership's targets on headline figures ("under-55 share of
//! participants at least 40%"), what makes one readable, and whether a
//! figure meets it: met, close (within the margin the partnership set) or
//! not met, in words. A hidden figure is never judged: "not met" beside it
//! would tell something about it.

use serde::{Deserialize, Serialize};

use super::headlines::{self, Headline, Unit};
use crate::error::Result;
use crate::store::{Db, targets::StoredTarget};

/// Which way a target points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    /// The figure should be the goal or more.
    AtLeast,
    /// The figure should be the goal or less.
    AtMost,
}

impl Comparison {
    /// In words, before the goal.
    pub fn words(self) -> &'static str {
        match self {
            Self::AtLeast => "at least",
            Self::AtMost => "at most",
        }
    }
}

/// A target as the API shows and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Target {
    /// The report (`reach`, `households`, ...).
    pub report: String,
    /// The headline's key: `under_55_share_of_participants`, or for a figure
    /// per patch `knocked_per_1000_households@elm-road`, or `@*` for every
    /// patch (a patch's own target comes first).
    pub figure: String,
    /// `at-least` or `at-most`.
    pub comparison: Comparison,
    /// The goal, in the figure's unit (a percentage from 0 to 100 for a
    /// share); to one decimal place.
    pub goal: f64,
    /// How far short of the goal still counts as close (0: never close).
    #[serde(default)]
    pub margin: f64,
}

/// Why a target cannot be set, and which of its fields is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `figure`, `goal` or `margin`.
    pub field: &'static str,
    /// Why, in words.
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Every figure a target may name in the area with `patches` (slug,
/// name): (report, key, label, unit).
pub fn choices(patches: &[(String, String)]) -> Vec<(&'static str, String, String, Unit)> {
    headlines::reports()
        .flat_map(|report| {
            headlines::target_keys(report, patches)
                .into_iter()
                .map(move |(key, label, unit)| (report, key, label, unit))
        })
        .collect()
}

impl Target {
    /// The target checked against the figures that exist in an area with
    /// `patches`: its figure's label and unit, or why it cannot be set.
    pub fn check(&self, patches: &[(String, String)]) -> Result<(String, Unit), Refused> {
        let refuse = |field, reason: String| Err(Refused { field, reason });
        let keys = headlines::target_keys(&self.report, patches);
        let Some((_, label, unit)) = keys.iter().find(|(key, ..)| *key == self.figure) else {
            if keys.is_empty() {
                return refuse(
                    "figure",
                    format!(
                        "there is no report called {:?} with headline figures",
                        self.report
                    ),
                );
            }
            if let Some((key, slug)) = self.figure.split_once('@')
                && keys
                    .iter()
                    .any(|(k, ..)| k.split_once('@').is_some_and(|(k, _)| k == key))
            {
                return refuse("figure", format!("there is no patch called {slug:?}"));
            }
            return refuse(
                "figure",
                format!(
                    "the {} report has no headline figure {:?}",
                    self.report, self.figure
                ),
            );
        };
        let (goal, margin) = (self.goal, self.margin);
        if !goal.is_finite() || goal < 0.0 {
            return refuse("goal", "a goal is a number, 0 or more".into());
        }
        match unit {
            Unit::Percent if goal > 100.0 => {
                return refuse("goal", "a share cannot be over 100%".into());
            }
            Unit::PerThousand if goal > 1000.0 => {
                return refuse(
                    "goal",
                    "a patch cannot reach more than 1,000 households per 1,000".into(),
                );
            }
            _ => {}
        }
        if !margin.is_finite() || margin < 0.0 {
            return refuse("margin", "a margin is a number, 0 or more".into());
        }
        if self.comparison == Comparison::AtLeast && margin > 0.0 && margin >= goal {
            return refuse(
                "margin",
                "the margin must be smaller than the goal, or every figure would be close".into(),
            );
        }
        Ok((label.clone(), *unit))
    }

    /// As stored.
    pub fn stored(&self) -> StoredTarget {
        StoredTarget {
            report: self.report.clone(),
            figure: self.figure.clone(),
            at_least: i64::from(self.comparison == Comparison::AtLeast),
            goal_tenths: (self.goal * 10.0).round() as i64,
            margin_tenths: (self.margin * 10.0).round() as i64,
        }
    }

    fn from_stored(s: StoredTarget) -> Self {
        Self {
            report: s.report,
            figure: s.figure,
            comparison: if s.at_least == 1 {
                Comparison::AtLeast
            } else {
                Comparison::AtMost
            },
            goal: s.goal_tenths as f64 / 10.0,
            margin: s.margin_tenths as f64 / 10.0,
        }
    }
}

/// Every target set.
pub async fn load(db: &Db) -> Result<Vec<Target>> {
    Ok(crate::store::targets::list(db)
        .await?
        .into_iter()
        .map(Target::from_stored)
        .collect())
}

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The figure meets the goal.
    Met,
    /// It misses the goal by no more than the margin.
    Close,
    /// It misses the goal by more than the margin.
    NotMet,
    /// The figure is hidden, so the page does not say.
    NotSaid,
}

/// A headline's target and whether the figure meets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Judged {
    /// `at-least` or `at-most`.
    pub comparison: Comparison,
    /// The goal.
    pub goal: f64,
    /// How far short still counts as close.
    pub margin: f64,
    /// `met`, `close`, `not-met` or `not-said` (the figure is hidden).
    pub status: Status,
    /// The target and its status in words: "at least 40%: met".
    pub words: String,
}

/// A value in its unit, in words: "40%", "100 per 1,000 households", "12".
pub fn amount(unit: Unit, value: f64) -> String {
    let n = if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    match unit {
        Unit::Count => n,
        Unit::Percent => format!("{n}%"),
        Unit::PerThousand => format!("{n} per 1,000 households"),
    }
}

/// How close to the goal in words ("3 points", "12").
pub fn distance(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Percent => format!("{} points", amount(Unit::Count, value)),
        _ => amount(Unit::Count, value),
    }
}

/// Judges `headline` against `target`.
pub fn judge(headline: &Headline, target: &Target) -> Judged {
    let (goal, margin) = (target.goal, target.margin);
    let aim = format!(
        "{} {}",
        target.comparison.words(),
        amount(headline.unit, goal)
    );
    let (status, words) = match headline.value {
        None => (
            Status::NotSaid,
            format!("{aim}: not said, because the figure is hidden"),
        ),
        Some(v) => {
            let short = match target.comparison {
                Comparison::AtLeast => goal - v,
                Comparison::AtMost => v - goal,
            };
            let short = (short * 10.0).round() / 10.0;
            if short <= 0.0 {
                (Status::Met, format!("{aim}: met"))
            } else if short <= margin {
                (
                    Status::Close,
                    format!("{aim}: close, {} short", distance(headline.unit, short)),
                )
            } else {
                (
                    Status::NotMet,
                    format!("{aim}: not met, {} short", distance(headline.unit, short)),
                )
            }
        }
    };
    Judged {
        comparison: target.comparison,
        goal,
        margin,
        status,
        words,
    }
}

/// Puts each headline of the report `report` beside its target: the
/// target on its own key, or on `KEY@*` (every patch, every stage).
pub fn judge_all(report: &str, figures: &mut [Headline], targets: &[Target]) {
    for headline in figures {
        let every = headline
            .key
            .split_once('@')
            .map(|(key, _)| format!("{key}@*"));
        let target = targets
            .iter()
            .filter(|t| t.report == report)
            .find(|t| t.figure == headline.key)
            .or_else(|| {
                targets
                    .iter()
                    .filter(|t| t.report == report)
                    .find(|t| Some(&t.figure) == every.as_ref())
            });
        headline.target = target.map(|t| judge(headline, t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patches() -> Vec<(String, String)> {
        vec![("elm-road".into(), "Elm Road".into())]
    }

    fn target(report: &str, figure: &str, goal: f64, margin: f64) -> Target {
        Target {
            report: report.into(),
            figure: figure.into(),
            comparison: Comparison::AtLeast,
            goal,
            margin,
        }
    }

    #[test]
    fn targets_that_cannot_be_met_or_read_are_refused_with_the_field() {
        let refused = |t: Target| t.check(&patches()).unwrap_err();
        assert_eq!(
            refused(target(
                "reach",
                "under_55_share_of_participants",
                140.0,
                0.0
            ))
            .field,
            "goal"
        );
        let r = refused(target(
            "households",
            "knocked_per_1000_households@birch",
            100.0,
            0.0,
        ));
        assert_eq!(
            (r.field, r.reason.as_str()),
            ("figure", "there is no patch called \"birch\"")
        );
        assert!(
            refused(target("reach", "happiness", 1.0, 0.0))
                .reason
                .contains("no headline figure")
        );
        assert!(
            refused(target("events", "x", 1.0, 0.0))
                .reason
                .contains("no report")
        );
        assert_eq!(
            refused(target("reach", "contacts", -1.0, 0.0)).field,
            "goal"
        );
        assert_eq!(
            refused(target("reach", "contacts", 10.0, 10.0)).field,
            "margin"
        );
        assert_eq!(
            refused(target(
                "households",
                "knocked_per_1000_households@*",
                1001.0,
                0.0
            ))
            .field,
            "goal"
        );
        let (label, unit) = target("households", "knocked_per_1000_households@*", 100.0, 10.0)
            .check(&patches())
            .unwrap();
        assert_eq!(
            (label.as_str(), unit),
            (
                "Doors knocked per 1,000 households: every patch",
                Unit::PerThousand
            )
        );
        assert!(
            target(
                "households",
                "knocked_per_1000_households@elm-road",
                100.0,
                0.0
            )
            .check(&patches())
            .is_ok()
        );
    }

    #[test]
    fn figures_are_met_close_or_not_met_and_hidden_ones_are_not_judged() {
        let headline = |key: &str, value: Option<f64>| Headline {
            value,
            withheld: value.is_none().then_some(super::super::Withheld::Protects),
            ..Headline::blank(key, key, Unit::Percent)
        };
        let mut figures = vec![
            headline("share", Some(62.0)),
            headline("rate@a", Some(57.0)),
            headline("rate@b", Some(50.0)),
            headline("rate@c", None),
        ];
        let targets = vec![
            target("r", "share", 60.0, 5.0),
            target("r", "rate@*", 60.0, 5.0),
            target("r", "rate@b", 45.0, 0.0),
            target("other", "share", 90.0, 0.0),
        ];
        judge_all("r", &mut figures, &targets);
        let words: Vec<&str> = figures
            .iter()
            .map(|h| h.target.as_ref().unwrap().words.as_str())
            .collect();
        assert_eq!(
            words,
            [
                "at least 60%: met",
                "at least 60%: close, 3 points short",
                "at least 45%: met",
                "at least 60%: not said, because the figure is hidden",
            ]
        );
        let mut low = vec![headline("share", Some(50.0))];
        judge_all("r", &mut low, &targets);
        assert_eq!(low[0].target.as_ref().unwrap().status, Status::NotMet);
    }
}
