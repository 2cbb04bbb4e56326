//! An auditor of what a report publishes, written apart from the server's
//! disclosure control (it shares no code with the choice of what to hide).
//!
//! Given a page's relations (its figures as sums of non-negative cells)
//! and what the report's JSON actually shows, it asks a linear programme,
//! for each figure the JSON leaves out, how small and how large that figure
//! could be given every figure shown. It fails when:
//! - a figure labelled small ("fewer than N") is not 1 to N-1 (0 to N-1
//!   for a characteristic of a public group's members, whose zero is
//!   hidden too), or such a figure is shown as zero;
//! - a figure public anyway (a board's membership) is hidden;
//! - the figures shown allow a small one less than every value from 1 to
//!   N-1 (they would narrow it beyond its label);
//! - the figures shown narrow one hidden to protect another to a range
//!   narrower than N;
//! - a figure is missing from the JSON with no reason given, or shown
//!   there with a value other than its true one.

use std::collections::BTreeMap;

use good_lp::{
    Expression, ResolutionError, Solution, SolverModel, Variable, microlp, variable, variables,
};
use serde_json::Value;
use server::reports::Withheld;
use server::reports::disclosure::Page;

/// The value at `place` (`stages.2.reached`) in a report's JSON.
pub fn at<'a>(json: &'a Value, place: &str) -> Option<&'a Value> {
    place
        .split('.')
        .try_fold(json, |node, step| match step.parse::<usize>() {
            Ok(index) => node.get(index),
            Err(_) => node.get(step),
        })
}

/// The least and the most `target` (cells) can be when every `shown`
/// figure (cells, value) holds and every cell is a non-negative number.
fn range(cells: usize, shown: &[(&[usize], f64)], target: &[usize]) -> (f64, f64) {
    let mut problem = variables!();
    let x: Vec<Variable> = (0..cells).map(|_| problem.add(variable().min(0))).collect();
    let sum = |of: &[usize]| -> Expression { of.iter().map(|c| x[*c]).sum() };
    let objective = sum(target);
    let mut bounds = [0.0; 2];
    for (slot, maximise) in [(0, false), (1, true)] {
        let mut model = if maximise {
            problem.clone().maximise(objective.clone())
        } else {
            problem.clone().minimise(objective.clone())
        }
        .using(microlp);
        for (of, value) in shown {
            model = model.with(sum(of).eq(*value));
        }
        bounds[slot] = match model.solve() {
            Ok(solution) => solution.eval(&objective),
            Err(ResolutionError::Unbounded) => f64::INFINITY,
            Err(e) => panic!("the figures shown contradict each other: {e}"),
        };
    }
    (bounds[0], bounds[1])
}

/// Audits one page of a report: `json` as published, `withheld` its
/// reasons (place to reason), `page` the relations with the true counts.
/// Returns every finding, empty when the page is safe.
pub fn audit(json: &Value, page: &Page, threshold: u64) -> Vec<String> {
    let reasons: BTreeMap<String, Withheld> = json
        .get("withheld")
        .and_then(|w| serde_json::from_value(w.clone()).ok())
        .unwrap_or_default();
    let mut findings = Vec::new();
    let mut shown: Vec<(&[usize], f64)> = Vec::new();
    let mut hidden: Vec<(&str, &[usize])> = Vec::new();
    for (place, cells) in page.places() {
        let truth = page.value(place).expect("a figure of the page");
        match (at(json, place).and_then(Value::as_u64), reasons.get(place)) {
            (Some(published), _) => {
                if published != truth {
                    findings.push(format!("{place} shows {published}, not {truth}"));
                }
                if published == 0 && page.is_guarded(place) {
                    findings.push(format!(
                        "{place} shows 0 of a public group's members: it tells every member's"
                    ));
                }
                shown.push((cells, published as f64));
            }
            (None, Some(_)) if page.is_public(place) => {
                findings.push(format!("{place} is public, yet hidden"));
            }
            (None, Some(_)) => hidden.push((place, cells)),
            (None, None) => findings.push(format!("{place} is missing and says not why")),
        }
    }
    for (place, cells) in hidden {
        let truth = page.value(place).expect("a figure of the page");
        let (low, high) = range(page.cell_count(), &shown, cells);
        match reasons[place] {
            Withheld::Small => {
                let least = u64::from(!page.is_guarded(place));
                if !(least..threshold).contains(&truth) {
                    findings.push(format!(
                        "{place} is labelled fewer than {threshold} but is {truth}"
                    ));
                }
                if low > 1.0 + 1e-6 || high < (threshold - 1) as f64 - 1e-6 {
                    findings.push(format!(
                        "{place} ({truth}) can be narrowed to {low}..{high} from the figures shown"
                    ));
                }
            }
            Withheld::Protects => {
                if high - low < threshold as f64 - 1e-6 {
                    findings.push(format!(
                        "{place} ({truth}), hidden to protect another, can be narrowed to {low}..{high}"
                    ));
                }
            }
            Withheld::NotApplicable => findings.push(format!(
                "{place} is a count ({truth}) but is said not to apply"
            )),
        }
    }
    findings
}
