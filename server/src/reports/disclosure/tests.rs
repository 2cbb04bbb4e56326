//! The search for what to hide, on small pages worked by hand.
use super::*;

/// A breakdown of `rows` beside its total.
fn breakdown(rows: &[u64]) -> Page {
    let mut page = Page::new();
    let cells: Vec<Cell> = rows.iter().map(|n| page.cell(*n)).collect();
    for (i, cell) in cells.iter().enumerate() {
        page.figure(format!("row {i}"), &[*cell]);
    }
    page.figure("total", &cells);
    page
}

#[test]
fn one_small_row_beside_its_total_takes_another_with_it() {
    let hidden = breakdown(&[40, 3, 12, 30]).protect(5, Audience::Exact);
    assert_eq!(hidden.why("row 1"), Some(Withheld::Small));
    assert_eq!(hidden.why("row 2"), Some(Withheld::Protects));
    assert_eq!(hidden.why("row 0"), None);
    assert_eq!(hidden.why("total"), None);
}

#[test]
fn two_small_rows_whose_sum_is_known_narrowly_are_protected_further() {
    // 1 + 2 = 3 is known from the total: each is then 0..3, which
    // does not allow 4: a third row must go.
    let hidden = breakdown(&[1, 2, 50, 60]).protect(5, Audience::Exact);
    assert_eq!(hidden.why("row 0"), Some(Withheld::Small));
    assert_eq!(hidden.why("row 1"), Some(Withheld::Small));
    assert_eq!(hidden.why("row 2"), Some(Withheld::Protects));
    assert_eq!(hidden.why("row 3"), None);
}

#[test]
fn a_funnel_stage_hides_what_would_give_stopped_here_away() {
    // People by highest stage: 20 stopped at contact, 13 at member,
    // 4 leaders. Reached = those at or above; stopped here = the cell.
    let mut page = Page::new();
    let stages: Vec<Cell> = [20, 13, 4].iter().map(|n| page.cell(*n)).collect();
    for s in 0..3 {
        page.figure(format!("reached {s}"), &stages[s..]);
        page.figure(format!("stopped {s}"), &stages[s..=s]);
        if s + 1 < 3 {
            page.figure(format!("went on {s}"), &stages[s + 1..]);
            // "went on" from s is "reached" at s + 1: one figure.
            page.figure(format!("reached {}", s + 1), &stages[s + 1..]);
        }
    }
    let hidden = page.protect(5, Audience::Exact);
    assert_eq!(hidden.why("stopped 2"), Some(Withheld::Small));
    // 13 stopped at member is not small: it is shown, or hidden only
    // to protect the leaders, never labelled "fewer than 5".
    assert_ne!(hidden.why("stopped 1"), Some(Withheld::Small));
    assert_ne!(hidden.why("reached 1"), Some(Withheld::Small));
    // And the leaders cannot be worked out: 4 = reached 2 = went on 1.
    assert!(hidden.why("reached 2").is_some());
    assert!(hidden.why("went on 1").is_some());
    // Hiding who stopped at member is enough: contacts stay shown.
    assert_eq!(hidden.why("stopped 1"), Some(Withheld::Protects));
    assert_eq!(hidden.why("reached 0"), None);
}

#[test]
fn out_of_time_it_hides_everything_linked_to_a_small_figure() {
    let page = breakdown(&[40, 3, 12, 30]);
    let index = Index::new(&page);
    let mut hidden = BTreeMap::from([("row 1".to_owned(), Withheld::Small)]);
    index.hide_all_linked(&mut hidden, &BTreeSet::new());
    assert_eq!(hidden.len(), 5, "{hidden:?}");
    assert_eq!(hidden["total"], Withheld::Protects);
}

/// A board of 9, public: one member aged 18 to 24, eight aged 55 or
/// over. Neither side can be shown (the one would be given away by
/// subtraction); a board all one side hides its zero too.
#[test]
fn a_public_group_hides_what_would_tell_a_members_characteristic() {
    let board = |young: u64, old: u64| {
        let mut page = Page::new();
        let (y, o) = (page.keyed_cell(young, 7), page.keyed_cell(old, 9));
        page.public_figure("members", &[y, o]);
        page.guarded_figure("under 55", &[y]);
        page.guarded_figure("55 and over", &[o]);
        page
    };
    let hidden = board(1, 8).protect(5, Audience::Adjusted);
    assert_eq!(hidden.why("under 55"), Some(Withheld::Small));
    assert_eq!(hidden.why("55 and over"), Some(Withheld::Protects));
    assert_eq!(hidden.shown("members", 9), Shown::Count(9), "exact");
    let all_old = board(0, 9).protect(5, Audience::Exact);
    assert_eq!(all_old.why("under 55"), Some(Withheld::Small));
    assert_eq!(all_old.why("55 and over"), Some(Withheld::Protects));
    let even = board(5, 6).protect(5, Audience::Exact);
    assert_eq!(even.iter().count(), 0);
}

#[test]
fn zeros_are_shown_and_nothing_is_hidden_without_a_small_figure() {
    let hidden = breakdown(&[0, 10, 7]).protect(5, Audience::Exact);
    assert_eq!(hidden.iter().count(), 0);
}

/// The bounds of the figure under `key` from the whole page's programme:
/// every cell a variable, every figure shown an equation, as the search
/// solved it before cells told exactly were taken out as numbers.
fn whole_page_bounds(page: &Page, key: &str, hidden: &BTreeMap<String, Withheld>) -> (f64, f64) {
    let mut problem = variables!();
    let vars: Vec<Variable> = page
        .cells
        .iter()
        .map(|_| problem.add(variable().min(0)))
        .collect();
    let expression = |cells: &[usize]| -> Expression { cells.iter().map(|c| vars[*c]).sum() };
    let twins: Vec<Expression> = page
        .figures
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, cells)| expression(cells))
        .collect();
    let solve = |maximise: bool| -> f64 {
        let target = twins[0].clone();
        let model = if maximise {
            problem.clone().maximise(target.clone())
        } else {
            problem.clone().minimise(target.clone())
        };
        let mut model = model.using(microlp);
        for (k, cells) in &page.figures {
            if !hidden.contains_key(k) {
                model = model.with(expression(cells).eq(page.sum(cells) as f64));
            }
        }
        for twin in twins.iter().skip(1) {
            model = model.with(twin.clone().eq(target.clone()));
        }
        match model.solve() {
            Ok(solution) => solution.eval(&target),
            Err(ResolutionError::Unbounded) => f64::INFINITY,
            Err(e) => panic!("a consistent page has a solution: {e}"),
        }
    };
    (solve(false), solve(true))
}

#[test]
fn cells_told_exactly_leave_the_bounds_as_the_whole_pages_programme_gives() {
    // Pages of a few small cells and overlapping figures (rows, totals,
    // zeros, a figure shown twice), with random figures hidden: the
    // programme without the told cells answers what the whole one does.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |below: u64| -> u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let mut compared = 0;
    for _ in 0..300 {
        let mut page = Page::new();
        let cells: Vec<Cell> = (0..2 + next(9))
            .map(|_| {
                let n = if next(3) == 0 { 0 } else { next(12) };
                page.cell(n)
            })
            .collect();
        for f in 0..1 + next(8) {
            let chosen: Vec<Cell> = cells.iter().copied().filter(|_| next(3) == 0).collect();
            if chosen.is_empty() {
                continue;
            }
            page.figure(format!("figure {f}"), &chosen);
            if next(6) == 0 {
                // The same figure in a second place, over other cells with
                // the same count when there are some.
                page.figure(format!("figure {f}"), &chosen);
            }
        }
        page.figure("total", &cells);
        let keys: Vec<String> = page.figures().map(|(k, _)| k.to_owned()).collect();
        let hidden: BTreeMap<String, Withheld> = keys
            .iter()
            .filter(|_| next(2) == 0)
            .map(|k| (k.clone(), Withheld::Protects))
            .collect();
        let index = Index::new(&page);
        for key in hidden.keys() {
            let (low, high) = index.bounds(key, &hidden);
            let (whole_low, whole_high) = whole_page_bounds(&page, key, &hidden);
            assert!(
                (low - whole_low).abs() < 1e-6
                    && (high == whole_high || (high - whole_high).abs() < 1e-6),
                "{key} of {page:?} hiding {hidden:?}: {low}..{high}, whole page {whole_low}..{whole_high}"
            );
            compared += 1;
        }
    }
    assert!(
        compared > 300,
        "too few hidden figures compared: {compared}"
    );
}
