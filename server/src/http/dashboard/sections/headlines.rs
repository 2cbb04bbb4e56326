//! A report's headline figures, first on its page: each for the period
//! chosen, for the period it is compared with, and the change in words.

use super::{Section, Show, Tabulate, thousands};
use crate::reports::headlines::Unit;
use crate::reports::{Headline, Headlines, Withheld};

/// A headline's value as the page writes it.
fn value(show: Show, unit: Unit, value: Option<f64>, why: Option<Withheld>) -> String {
    match unit {
        Unit::Count => show.figure(value.map(|v| v.max(0.0).round() as u64), why),
        Unit::Percent => show.derived(value.map(|v| format!("{v:.1}%")), why),
        Unit::PerThousand => show.derived(value.map(|v| format!("{v:.1} per 1,000")), why),
    }
}

/// The change in words: "up 20 (+20.0%)", "down 3.5 points", "no change",
/// or why it is not shown.
pub(crate) fn change_words(h: &Headline) -> String {
    let Some(change) = h.change else {
        return match &h.no_change_because {
            Some(why) => format!("not shown: {why}"),
            None => "no comparison".to_owned(),
        };
    };
    if change == 0.0 {
        return "no change".to_owned();
    }
    let way = if change > 0.0 { "up" } else { "down" };
    let size = change.abs();
    let amount = match h.unit {
        Unit::Count => thousands(size.round() as u64),
        Unit::Percent => format!("{size:.1} points"),
        Unit::PerThousand => format!("{size:.1} per 1,000"),
    };
    match h.change_percent {
        Some(p) => format!("{way} {amount} ({p:+.1}%)"),
        None => format!("{way} {amount}"),
    }
}

/// The section of headline figures.
pub(crate) fn section(headlines: &Headlines) -> Section {
    let show = Show {
        below: headlines.suppressed_below,
    };
    let compared = headlines.compared_with.is_some();
    let targeted = headlines.figures.iter().any(|h| h.target.is_some());
    let mut columns = vec![("value", "This period")];
    if compared {
        columns.push(("earlier", "Compared with"));
        columns.push(("change", "Change"));
    }
    if targeted {
        columns.push(("target", "Target"));
    }
    let mut table = Tabulate::new("headlines", "Headline figures", "Figure", &columns);
    for h in &headlines.figures {
        let mut texts = vec![value(show, h.unit, h.value, h.withheld)];
        if compared {
            texts.push(value(show, h.unit, h.earlier, h.earlier_withheld));
            texts.push(change_words(h));
        }
        if targeted {
            texts.push(
                h.target
                    .as_ref()
                    .map_or_else(|| "no target set".to_owned(), |t| t.words.clone()),
            );
        }
        table.row(&h.key, h.label.clone(), texts);
        if compared && let Some(row) = table.table.rows.last_mut() {
            row.cells[2].csv = Some(h.change.map(|c| c.to_string()).unwrap_or_default());
        }
    }
    let period = headlines
        .period
        .as_ref()
        .map_or("All dates".to_owned(), |p| p.label.clone());
    let note = match (&headlines.compared_with, &headlines.no_comparison_because) {
        (Some(earlier), _) => format!(
            "{period}, compared with {}. A change is shown only when both figures are: a change beside a hidden figure would give it away.",
            earlier.label
        ),
        (None, Some(why)) => format!("{period}. No comparison: {why}."),
        (None, None) => format!("{period}."),
    };
    table.section("Headline figures", note, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headline(unit: Unit, change: Option<f64>, percent: Option<f64>) -> Headline {
        Headline {
            value: Some(1.0),
            earlier: Some(1.0),
            change,
            change_percent: percent,
            no_change_because: change
                .is_none()
                .then(|| "the earlier period's figure is hidden".into()),
            ..Headline::blank("k", "K", unit)
        }
    }

    #[test]
    fn changes_are_said_in_words() {
        assert_eq!(
            change_words(&headline(Unit::Count, Some(1200.0), Some(20.0))),
            "up 1,200 (+20.0%)"
        );
        assert_eq!(
            change_words(&headline(Unit::Percent, Some(-3.5), None)),
            "down 3.5 points"
        );
        assert_eq!(
            change_words(&headline(Unit::Count, Some(0.0), Some(0.0))),
            "no change"
        );
        assert_eq!(
            change_words(&headline(Unit::Count, None, None)),
            "not shown: the earlier period's figure is hidden"
        );
    }
}
