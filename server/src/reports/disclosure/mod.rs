//! Disclosure control for everything one page publishes together: which
//! figures to hide so that nobody can work out a small count from the
//! figures that are shown.
//!
//! A page is described as non-negative whole counts of people, its
//! **cells** (people by highest stage reached, by age band and column ...),
//! and its **figures**, each the sum of some cells: a breakdown's rows, its
//! total, "reached" and "went on" of a funnel stage, the same count shown
//! twice (two figures with one key are one figure, and always shown or
//! hidden together). Tables, charts, the CSV and the JSON of a page all
//! show the same figures, so describing the page once covers them all.
//!
//! A figure from 1 to `threshold - 1` is hidden as **small** and labelled
//! "fewer than N". Then, for each hidden figure, the page is solved as a
//! linear programme (`good_lp` with the pure-Rust `microlp` solver): the
//! least and the most it can be, given every figure shown. The page
//! protects a small figure when the figures shown allow every value from 1
//! to `threshold - 1` for it (its label is all they tell); it protects a
//! figure hidden for another's sake when they leave it a range at least
//! `threshold` wide. While a hidden figure is not protected, the smallest
//! linked figure whose hiding widens its range is hidden too, as
//! **protecting** another (or, when no single one does, figures of one
//! count that share people, together). Zero is shown: it singles nobody
//! out. A page not shown safe within 400 programmes hides every non-zero
//! figure linked to what is not yet shown safe: it errs towards hiding.
//!
//! Two kinds of figure follow other rules. A **public** figure (a public
//! board's membership, [`Page::public_figure`]) is always shown, exactly,
//! and bounds what is hidden beside it. A **guarded** figure (how many of
//! that board's members are 55 or over, [`Page::guarded_figure`]) is
//! small from 0, not 1: with the members known, a 0 would tell each
//! member's characteristic.
//!
//! The choice is made on the true figures, for admins and viewers alike;
//! viewers then see each figure shown adjusted by the cell key method
//! ([`super::cell_key`]), from the record keys each cell carries.
//!
//! Every relation here is a sum of non-negative cells. For a table and its
//! margins (a funnel, a breakdown beside its total) the constraint matrix
//! is totally unimodular, so the linear programme's bounds are whole
//! numbers and the relaxation is exact. Where pages tie several tables
//! together (reach's five breakdowns of one population) that is not proven
//! here: whole numbers could narrow a figure slightly more than real ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use good_lp::{
    Expression, ResolutionError, Solution, SolverModel, Variable, WithTimeLimit, microlp, variable,
    variables,
};
use serde::{Deserialize, Serialize};

use super::cell_key::{self, Audience};

/// Why a figure is not shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Withheld {
    /// It is from 1 to the threshold less one: "fewer than N".
    Small,
    /// It is hidden so that a small figure cannot be worked out from it.
    Protects,
    /// It does not apply (a median of nobody, a share of none).
    NotApplicable,
}

impl Withheld {
    /// What a page says in its place.
    pub fn label(self, threshold: u64) -> String {
        match self {
            Self::Small => format!("{FEWER_THAN}{threshold}"),
            Self::Protects => "hidden so that a small group cannot be worked out".to_owned(),
            Self::NotApplicable => "-".to_owned(),
        }
    }

    /// The CSV marker for what a page wrote in a hidden figure's place
    /// ([`Withheld::label`]), if `text` is such a label.
    pub fn marker_of_label(text: &str) -> Option<String> {
        if let Some(n) = text.strip_prefix(FEWER_THAN)
            && let Ok(threshold) = n.parse::<u64>()
        {
            return Some(Self::Small.csv_marker(threshold));
        }
        [Self::Protects, Self::NotApplicable]
            .into_iter()
            .find(|why| why.label(0) == text)
            .map(|why| why.csv_marker(0))
    }

    /// What a CSV says in its place: distinct for each reason.
    pub fn csv_marker(self, threshold: u64) -> String {
        match self {
            Self::Small => format!("<{threshold}"),
            Self::Protects => "hidden".to_owned(),
            Self::NotApplicable => "n/a".to_owned(),
        }
    }
}

/// How a small figure's label starts ("fewer than 5").
const FEWER_THAN: &str = "fewer than ";

/// The figures a page publishes, as sums of its cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    cells: Vec<u64>,
    /// Each cell's sum of its people's record keys (0 where not given).
    keys: Vec<u64>,
    figures: Vec<(String, Vec<usize>)>,
    /// Figures already public elsewhere (a public board's membership):
    /// always shown, never adjusted.
    public: BTreeSet<String>,
    /// Figures of a characteristic of a public group's members: zero is
    /// hidden too, as the group is known and a zero would tell something
    /// of every member.
    guarded: BTreeSet<String>,
}

/// A cell of a [`Page`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell(usize);

impl Page {
    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a cell holding `count` people, with no record keys: its
    /// figures are never adjusted for viewers unless other cells in them
    /// carry keys.
    pub fn cell(&mut self, count: u64) -> Cell {
        self.keyed_cell(count, 0)
    }

    /// Adds a cell holding `count` people whose record keys add up to
    /// `keys` (whole, not reduced: cells made by subtracting one sum from
    /// another subtract their keys the same way).
    pub fn keyed_cell(&mut self, count: u64, keys: u64) -> Cell {
        self.cells.push(count);
        self.keys.push(keys);
        Cell(self.cells.len() - 1)
    }

    /// Adds a figure under `key`: the sum of `cells`. A key added twice is
    /// one figure shown in two places; both must add up to the same count.
    pub fn figure(&mut self, key: impl Into<String>, cells: &[Cell]) {
        let cells = cells.iter().map(|c| c.0).collect();
        self.figures.push((key.into(), cells));
    }

    /// Adds a figure that is public anyway (the members of a public
    /// board): shown exactly to everyone, never hidden to protect another;
    /// it bounds what is hidden beside it.
    pub fn public_figure(&mut self, key: impl Into<String>, cells: &[Cell]) {
        let key = key.into();
        self.public.insert(key.clone());
        self.figure(key, cells);
    }

    /// Adds a figure of a characteristic of a public group's members
    /// (board members aged 55 or over): hidden as small from 0, not from
    /// 1, since with the members known a zero (or, by subtraction, all of
    /// them) would tell each member's.
    pub fn guarded_figure(&mut self, key: impl Into<String>, cells: &[Cell]) {
        let key = key.into();
        self.guarded.insert(key.clone());
        self.figure(key, cells);
    }

    /// Whether the figure under `key` is public anyway.
    pub fn is_public(&self, key: &str) -> bool {
        self.public.contains(key)
    }

    /// Whether the figure under `key` is guarded: a zero is small too.
    pub fn is_guarded(&self, key: &str) -> bool {
        self.guarded.contains(key)
    }

    /// The true count of the figure under `key`, if there is one.
    pub fn value(&self, key: &str) -> Option<u64> {
        self.figures
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, cells)| self.sum(cells))
    }

    fn sum(&self, cells: &[usize]) -> u64 {
        cells.iter().map(|c| self.cells[*c]).sum()
    }

    /// Every figure's key and true count, in the order they were added,
    /// each key once.
    pub fn figures(&self) -> impl Iterator<Item = (&str, u64)> {
        let mut seen = BTreeSet::new();
        self.figures
            .iter()
            .filter(move |(key, _)| seen.insert(key.as_str()))
            .map(|(key, cells)| (key.as_str(), self.sum(cells)))
    }

    /// Each place a figure is shown: its key and the cells it adds up.
    pub fn places(&self) -> impl Iterator<Item = (&str, &[usize])> {
        self.figures.iter().map(|(k, c)| (k.as_str(), c.as_slice()))
    }

    /// How many cells there are.
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// Chooses what to hide, with the area's `threshold`, and what the
    /// `audience` sees of the rest: the reason for each hidden figure, by
    /// key, and for viewers each shown figure adjusted.
    pub fn protect(&self, threshold: u64, audience: Audience) -> Hidden {
        let hidden = self.hide(threshold);
        let adjusted = match audience {
            Audience::Exact => BTreeMap::new(),
            Audience::Adjusted => self
                .figures
                .iter()
                .filter(|(key, _)| !hidden.contains_key(key) && !self.public.contains(key))
                .map(|(key, cells)| {
                    let keys = cells
                        .iter()
                        .fold(0u64, |sum, c| sum.wrapping_add(self.keys[*c]));
                    let count = self.sum(cells);
                    (key.clone(), cell_key::adjusted(count, keys, threshold))
                })
                .collect(),
        };
        Hidden {
            threshold,
            audience,
            hidden,
            adjusted,
        }
    }

    /// The reason for each figure hidden with `threshold`, by key.
    fn hide(&self, threshold: u64) -> BTreeMap<String, Withheld> {
        let index = Index::new(self);
        let mut hidden: BTreeMap<String, Withheld> = index
            .keys
            .iter()
            .filter(|(key, n)| {
                (1..threshold).contains(n) || (*n == 0 && self.guarded.contains(*key))
            })
            .map(|(key, _)| ((*key).to_owned(), Withheld::Small))
            .collect();
        // Hiding more only takes equations away, so a figure once found
        // protected stays protected: each is solved for until it is.
        let mut safe: BTreeSet<String> = BTreeSet::new();
        // Each round hides one more figure or ends; there are only so many.
        for _ in 0..=index.keys.len() {
            let exposed = match index.first_exposed(&hidden, &mut safe, threshold) {
                Step::Safe => break,
                Step::Exposed(key) if !index.out_of_time() => key,
                // Out of time: hide everything linked to what is not yet
                // known to be protected. With only zeros shown beside it,
                // nothing bounds a hidden figure from above.
                Step::Exposed(_) | Step::OutOfTime => {
                    index.hide_all_linked(&mut hidden, &safe);
                    break;
                }
            };
            let cover = index.cover_for(&exposed, &hidden);
            if cover.is_empty() {
                break;
            }
            for key in cover {
                hidden.insert(key, Withheld::Protects);
            }
        }
        hidden
    }
}

/// Where the search for what to hide stands.
enum Step {
    /// Every hidden figure is protected.
    Safe,
    /// This hidden figure is not.
    Exposed(String),
    /// The time allowed is up.
    OutOfTime,
}

/// A page's figures indexed for the search: each key's places and each
/// cell's places, built once per [`Page::protect`].
struct Index<'a> {
    page: &'a Page,
    /// Linear programmes solved so far: past [`MAX_SOLVES`] the search
    /// stops looking and hides what it is unsure of.
    solves: std::cell::Cell<usize>,
    /// The places (indices into the page's figures) of each key.
    places_of: HashMap<&'a str, Vec<usize>>,
    /// The places each cell is in.
    places_at: Vec<Vec<usize>>,
    /// Each key once, with its count, in the order added.
    keys: Vec<(&'a str, u64)>,
}

impl<'a> Index<'a> {
    fn new(page: &'a Page) -> Self {
        let mut places_of: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut places_at = vec![Vec::new(); page.cells.len()];
        for (place, (key, cells)) in page.figures.iter().enumerate() {
            places_of.entry(key.as_str()).or_default().push(place);
            for cell in cells {
                places_at[*cell].push(place);
            }
        }
        Self {
            keys: page.figures().collect(),
            page,
            solves: std::cell::Cell::new(0),
            places_of,
            places_at,
        }
    }

    /// Whether the search has done all the work it may: counted in
    /// programmes solved, not in time, so that the same page always hides
    /// the same figures (the dashboard and the API agree, on any machine).
    fn out_of_time(&self) -> bool {
        self.solves.get() >= MAX_SOLVES
    }

    fn key_of(&self, place: usize) -> &'a str {
        &self.page.figures[place].0
    }

    fn cells_at(&self, place: usize) -> &'a [usize] {
        &self.page.figures[place].1
    }

    fn cells_of(&self, key: &str) -> BTreeSet<usize> {
        self.places_of
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|place| self.cells_at(*place).iter().copied())
            .collect()
    }

    /// The first hidden figure, not yet known to be `safe`, that the
    /// figures shown narrow too far; those found protected join `safe`.
    fn first_exposed(
        &self,
        hidden: &BTreeMap<String, Withheld>,
        safe: &mut BTreeSet<String>,
        threshold: u64,
    ) -> Step {
        for (key, why) in hidden {
            if safe.contains(key) {
                continue;
            }
            if self.out_of_time() {
                return Step::OutOfTime;
            }
            let (low, high) = self.bounds(key, hidden);
            let protected = match why {
                Withheld::Small => low <= 1.0 + EPSILON && high >= (threshold - 1) as f64 - EPSILON,
                _ => high - low >= threshold as f64 - EPSILON,
            };
            if !protected {
                return Step::Exposed(key.clone());
            }
            safe.insert(key.clone());
        }
        Step::Safe
    }

    /// The shown figures to hide to protect `exposed`: of the non-zero
    /// figures linked to it, smallest first, the first whose hiding widens
    /// the range `exposed` can take, alone or with the figures of the same
    /// count it shares people with (a row's contacts and conversations
    /// when everyone in it was spoken with); if none does, the smallest.
    fn cover_for(&self, exposed: &str, hidden: &BTreeMap<String, Withheld>) -> Vec<String> {
        let linked = self.component(exposed, hidden);
        let mut candidates: Vec<(u64, &str)> = self
            .keys
            .iter()
            .filter(|(key, n)| {
                *n > 0 && !hidden.contains_key(*key) && !self.page.public.contains(*key)
            })
            .filter(|(key, _)| self.cells_of(key).iter().any(|c| linked.contains(c)))
            .map(|(key, n)| (*n, *key))
            .collect();
        candidates.sort();
        let (low, high) = self.bounds(exposed, hidden);
        let widens = |keys: &[String]| {
            let mut trial = hidden.clone();
            for key in keys {
                trial.insert(key.clone(), Withheld::Protects);
            }
            let (l, h) = self.bounds(exposed, &trial);
            l < low - EPSILON || h > high + EPSILON
        };
        for (n, key) in candidates.iter().take(MAX_TRIALS) {
            if self.out_of_time() {
                break;
            }
            let alone = vec![(*key).to_owned()];
            if widens(&alone) {
                return alone;
            }
            let cells = self.cells_of(key);
            let ties: Vec<String> = candidates
                .iter()
                .filter(|(m, other)| {
                    m == n && self.cells_of(other).iter().any(|c| cells.contains(c))
                })
                .map(|(_, other)| (*other).to_owned())
                .collect();
            if ties.len() > 1 && widens(&ties) {
                return ties;
            }
        }
        candidates
            .first()
            .map(|(_, key)| vec![(*key).to_owned()])
            .unwrap_or_default()
    }

    /// Hides every non-zero figure linked to a hidden one not yet `safe`,
    /// and what is linked to those in turn (a figure shown in two places
    /// links both), until only zeros are shown beside them.
    fn hide_all_linked(&self, hidden: &mut BTreeMap<String, Withheld>, safe: &BTreeSet<String>) {
        loop {
            let mut linked: BTreeSet<usize> = BTreeSet::new();
            for key in hidden.keys().filter(|key| !safe.contains(*key)) {
                if !self.cells_of(key).iter().all(|c| linked.contains(c)) {
                    linked.extend(self.component(key, hidden));
                }
            }
            let more: Vec<&str> = self
                .keys
                .iter()
                .filter(|(key, n)| {
                    *n > 0
                        && !hidden.contains_key(*key)
                        && !self.page.public.contains(*key)
                        && self.cells_of(key).iter().any(|c| linked.contains(c))
                })
                .map(|(key, _)| *key)
                .collect();
            if more.is_empty() {
                return;
            }
            for key in more {
                hidden.insert(key.to_owned(), Withheld::Protects);
            }
        }
    }

    /// The least and most the figure under `key` can be, given every
    /// figure not in `hidden` (infinite when nothing bounds it). A solve
    /// cut short by its time limit answers a narrower range than the true
    /// one, so it errs towards hiding more.
    ///
    /// Cells the figures shown already tell exactly are known numbers, not
    /// variables, and link nothing: a page's total over two thousand
    /// events, each shown, leaves a programme of the few hidden ones rather
    /// than of every event. The bounds are those of the whole page's
    /// programme; only its size changes.
    fn bounds(&self, key: &str, hidden: &BTreeMap<String, Withheld>) -> (f64, f64) {
        let is_shown = self.shown_places(hidden);
        let known = self.known_cells(&is_shown);
        let cells = self.unknown_component(key, &is_shown, &known);
        let mut problem = variables!();
        let vars: BTreeMap<usize, Variable> = cells
            .iter()
            .map(|c| (*c, problem.add(variable().min(0))))
            .collect();
        // Every cell of a place that reaches the component is in it or
        // known (the component takes in each such place's unknown cells).
        let expression = |cells: &[usize]| -> Expression {
            let mut sum: Expression = cells.iter().filter_map(|c| vars.get(c)).sum();
            let told: u64 = cells
                .iter()
                .filter(|c| known[**c])
                .map(|c| self.page.cells[*c])
                .sum();
            sum += told as f64;
            sum
        };
        let places: BTreeSet<usize> = cells
            .iter()
            .flat_map(|c| self.places_at[*c].iter().copied())
            .collect();
        let key_places = self.places_of.get(key).map_or(&[][..], Vec::as_slice);
        let twins: Vec<Expression> = key_places
            .iter()
            .map(|place| expression(self.cells_at(*place)))
            .collect();
        let (Some(target), Some(first)) = (twins.first().cloned(), key_places.first()) else {
            return (0.0, 0.0);
        };
        if vars.is_empty() {
            // The figures shown tell it exactly. Counted as the two solves
            // it stands for, so the search stops where it always has.
            self.solves.set(self.solves.get() + 2);
            let told = self.page.sum(self.cells_at(*first)) as f64;
            return (told, told);
        }
        let shown: Vec<(Expression, f64)> = places
            .iter()
            .filter(|place| is_shown[**place])
            .map(|place| {
                let cells = self.cells_at(*place);
                (expression(cells), self.page.sum(cells) as f64)
            })
            .collect();
        let solve = |maximise: bool| -> f64 {
            self.solves.set(self.solves.get() + 1);
            let model = if maximise {
                problem.clone().maximise(target.clone())
            } else {
                problem.clone().minimise(target.clone())
            };
            let mut model = model.using(microlp).with_time_limit(SOLVE_SECONDS);
            for (e, value) in &shown {
                model = model.with(e.clone().eq(*value));
            }
            // The other places of a hidden figure: equal to each other.
            for twin in twins.iter().skip(1) {
                model = model.with(twin.clone().eq(target.clone()));
            }
            match model.solve() {
                Ok(solution) => solution.eval(&target),
                Err(ResolutionError::Unbounded) if maximise => f64::INFINITY,
                // The page is consistent (its figures add up), so the
                // problem always has a solution; a solver failure counts
                // as no protection, and more is hidden.
                Err(_) => {
                    if maximise {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }
                }
            }
        };
        (solve(false), solve(true))
    }

    /// Whether each place (an index into the page's figures) is shown:
    /// its key is not in `hidden`.
    fn shown_places(&self, hidden: &BTreeMap<String, Withheld>) -> Vec<bool> {
        let mut shown = vec![true; self.page.figures.len()];
        for key in hidden.keys() {
            for place in self.places_of.get(key.as_str()).into_iter().flatten() {
                shown[*place] = false;
            }
        }
        shown
    }

    /// Which cells the places `shown` tell exactly:
    /// every cell of a figure shown as 0 (counts are never negative), and
    /// the last cell of a figure shown whose other cells are told; again
    /// until nothing more is told.
    fn known_cells(&self, shown: &[bool]) -> Vec<bool> {
        let figures = &self.page.figures;
        let mut known = vec![false; self.page.cells.len()];
        // Per place shown: how many of its cells are not yet told, and
        // what they add up to.
        let mut unknown: Vec<usize> = figures.iter().map(|(_, cells)| cells.len()).collect();
        let mut left: Vec<u64> = figures
            .iter()
            .map(|(_, cells)| self.page.sum(cells))
            .collect();
        let tells = |unknown: usize, left: u64| unknown == 1 || (unknown > 1 && left == 0);
        let mut pending: Vec<usize> = (0..figures.len())
            .filter(|place| shown[*place] && tells(unknown[*place], left[*place]))
            .collect();
        while let Some(place) = pending.pop() {
            if !tells(unknown[place], left[place]) {
                continue;
            }
            let told: Vec<usize> = self
                .cells_at(place)
                .iter()
                .copied()
                .filter(|c| !known[*c])
                .collect();
            for cell in told {
                if known[cell] {
                    continue;
                }
                known[cell] = true;
                for other in &self.places_at[cell] {
                    unknown[*other] -= 1;
                    left[*other] -= self.page.cells[cell];
                    if shown[*other] && tells(unknown[*other], left[*other]) {
                        pending.push(*other);
                    }
                }
            }
        }
        known
    }

    /// The cells not `known` linked to the figure under `key` through
    /// figures that share such cells: the rest of the page cannot bear on
    /// it. A hidden figure's places are tied to each other (they are
    /// equal); a shown one's are each fixed on their own.
    fn unknown_component(&self, key: &str, shown: &[bool], known: &[bool]) -> BTreeSet<usize> {
        let mut cells: BTreeSet<usize> = self
            .cells_of(key)
            .into_iter()
            .filter(|c| !known[*c])
            .collect();
        let mut queue: Vec<usize> = cells.iter().copied().collect();
        let mut seen_places: BTreeSet<usize> = BTreeSet::new();
        while let Some(cell) = queue.pop() {
            for place in &self.places_at[cell] {
                if !seen_places.insert(*place) {
                    continue;
                }
                let more: Vec<usize> = if shown[*place] {
                    self.cells_at(*place).to_vec()
                } else {
                    self.cells_of(self.key_of(*place)).into_iter().collect()
                };
                for c in more {
                    if !known[c] && cells.insert(c) {
                        queue.push(c);
                    }
                }
            }
        }
        cells
    }

    /// The cells linked to the figure under `key` through figures that
    /// share cells: the rest of the page cannot bear on it.
    fn component(&self, key: &str, hidden: &BTreeMap<String, Withheld>) -> BTreeSet<usize> {
        let mut cells = self.cells_of(key);
        let mut queue: Vec<usize> = cells.iter().copied().collect();
        let mut seen_places: BTreeSet<usize> = BTreeSet::new();
        while let Some(cell) = queue.pop() {
            for place in &self.places_at[cell] {
                if !seen_places.insert(*place) {
                    continue;
                }
                // A hidden figure's places are tied to each other (they are
                // equal); a shown one's are each fixed on their own.
                let key = self.key_of(*place);
                let more: Vec<usize> = if hidden.contains_key(key) {
                    self.cells_of(key).into_iter().collect()
                } else {
                    self.cells_at(*place).to_vec()
                };
                for c in more {
                    if cells.insert(c) {
                        queue.push(c);
                    }
                }
            }
        }
        cells
    }
}

/// Linear programmes one page's search may solve before it hides
/// everything linked to what it has not yet shown to be protected.
const MAX_SOLVES: usize = 400;

/// The longest one linear programme may take (seconds): a guard against a
/// solver that cycles, far beyond what a page's programmes need.
const SOLVE_SECONDS: f64 = 2.0;

/// Slack for the solver's floating point.
const EPSILON: f64 = 1e-6;

/// Figures tried, smallest first, when choosing which to hide next.
const MAX_TRIALS: usize = 12;

/// What a page hides, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    threshold: u64,
    audience: Audience,
    hidden: BTreeMap<String, Withheld>,
    /// For viewers: each shown figure as adjusted, by key.
    adjusted: BTreeMap<String, u64>,
}

impl Hidden {
    /// The threshold used.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// Why the figure under `key` is hidden, if it is.
    pub fn why(&self, key: &str) -> Option<Withheld> {
        self.hidden.get(key).copied()
    }

    /// The figure under `key` as published: its count (`count`, or as
    /// adjusted for viewers), or why it is not shown.
    pub fn shown(&self, key: &str, count: u64) -> Shown {
        match self.why(key) {
            Some(why) => Shown::Withheld(why),
            None => Shown::Count(self.adjusted.get(key).copied().unwrap_or(count)),
        }
    }

    /// Whether the figures shown are adjusted (for viewers).
    pub fn is_adjusted(&self) -> bool {
        self.audience == Audience::Adjusted
    }

    /// Every hidden figure's key and reason.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Withheld)> {
        self.hidden.iter().map(|(k, w)| (k.as_str(), *w))
    }
}

/// A figure as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The count.
    Count(u64),
    /// Why it is not shown.
    Withheld(Withheld),
}

impl Shown {
    /// The count, if shown.
    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            Self::Withheld(_) => None,
        }
    }

    /// Why it is not shown, if it is not.
    pub fn withheld(self) -> Option<Withheld> {
        match self {
            Self::Count(_) => None,
            Self::Withheld(why) => Some(why),
        }
    }

    /// The count, or why it is not shown.
    pub fn result(self) -> Result<u64, Withheld> {
        match self {
            Self::Count(n) => Ok(n),
            Self::Withheld(why) => Err(why),
        }
    }
}

/// A figure as a report's JSON carries it: the value, or `None` with the
/// reason noted in `withheld` under its place.
pub fn publish<T>(
    withheld: &mut BTreeMap<String, Withheld>,
    place: String,
    value: Result<T, Withheld>,
) -> Option<T> {
    match value {
        Ok(v) => Some(v),
        Err(why) => {
            withheld.insert(place, why);
            None
        }
    }
}

#[cfg(test)]
mod tests;
