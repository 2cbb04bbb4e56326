//! How each report is laid out on its page: sections, each a table of the
//! figures and, beside it, a chart of the same figures.

mod board;
mod events;
mod groups;
pub(crate) mod headlines;
mod ladder;
mod map;
mod reach;
mod trends;
mod voices;

use sync_core::Ladder;

use super::charts::{self, BarInput};
use crate::error::Error;
use crate::reports;

pub(crate) struct Cell {
    pub(super) key: String,
    pub(super) text: String,
    /// What a CSV holds where the page says it in words ("about 2 months"
    /// is 61 days); else the CSV reads the text.
    pub(super) csv: Option<String>,
}

pub(crate) struct Row {
    pub(super) label: String,
    /// The label in a CSV, where it differs (it names the unit there).
    pub(super) csv_label: Option<String>,
    pub(super) cells: Vec<Cell>,
}

pub(crate) struct Table {
    pub(super) caption: String,
    pub(super) head: Vec<String>,
    /// The CSV's header where it differs from the page's (a column of
    /// times in words is in days in the CSV).
    pub(super) csv_head: Vec<String>,
    pub(super) rows: Vec<Row>,
}

/// A part of a report page: a heading, a note, a chart (SVG markup, or
/// empty), the table of its figures and where to download that table.
pub(crate) struct Section {
    pub(super) id: &'static str,
    pub(super) heading: String,
    pub(super) note: String,
    pub(super) chart: String,
    pub(super) table: Table,
    /// Its table as CSV (set by the page, which knows its filters).
    pub(super) csv_href: String,
    /// Its chart as an SVG file, for a chart that stands on its own
    /// (colours in the markup, not the stylesheet): `Some` (empty until
    /// the page, which knows its filters, sets it).
    pub(super) svg_href: Option<String>,
}

impl Table {
    /// The header and rows as a CSV wants them: numbers without thousands
    /// separators, days as ISO 8601, and hidden figures as the report CSVs
    /// mark them (`<N`, `hidden`, `n/a`).
    pub(super) fn csv_rows(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let rows = self
            .rows
            .iter()
            .map(|row| {
                std::iter::once(
                    row.csv_label
                        .clone()
                        .unwrap_or_else(|| csv_value(&row.label)),
                )
                .chain(
                    row.cells
                        .iter()
                        .map(|c| c.csv.clone().unwrap_or_else(|| csv_value(&c.text))),
                )
                .collect()
            })
            .collect();
        (self.csv_head.clone(), rows)
    }
}

/// A figure as the page writes it, as a CSV cell.
fn csv_value(text: &str) -> String {
    let text = text.trim();
    if !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return text.replace(',', "");
    }
    if let Some(marker) = reports::Withheld::marker_of_label(text) {
        return marker;
    }
    if text == TOO_FEW_TO_SAY {
        return reports::Withheld::Protects.csv_marker(0);
    }
    crate::calendar::parse_day(text).map_or_else(|| text.to_owned(), crate::calendar::date)
}

/// What a page writes for a share or a number of days left out because
/// too few people are behind it.
const TOO_FEW_TO_SAY: &str = "too few people to say";

/// The words of a bar chart.
struct Chart<'a> {
    title: &'a str,
    desc: &'a str,
    series: &'a [&'a str],
}

/// Builds a section: its table, where every cell's `data-key` is
/// `SECTION.ROW.COLUMN` (so tests and scrapers find figures without
/// depending on layout), and the bars of its chart.
struct Tabulate {
    id: &'static str,
    columns: Vec<&'static str>,
    table: Table,
    bars: Vec<BarInput>,
}

impl Tabulate {
    fn new(id: &'static str, caption: &str, first: &str, columns: &[(&'static str, &str)]) -> Self {
        let head: Vec<String> = std::iter::once(first.to_owned())
            .chain(columns.iter().map(|(_, h)| (*h).to_owned()))
            .collect();
        Self {
            id,
            columns: columns.iter().map(|(k, _)| *k).collect(),
            table: Table {
                caption: caption.to_owned(),
                head: head.clone(),
                csv_head: head,
                rows: Vec::new(),
            },
            bars: Vec::new(),
        }
    }

    /// A table row.
    fn row(&mut self, key: &str, label: impl Into<String>, texts: Vec<String>) {
        let cells = self
            .columns
            .iter()
            .zip(texts)
            .map(|(column, text)| Cell {
                key: format!("{}.{key}.{column}", self.id),
                text,
                csv: None,
            })
            .collect();
        self.table.rows.push(Row {
            label: label.into(),
            csv_label: None,
            cells,
        });
    }

    /// A column of times said in words on the page and held in days in
    /// the CSV, under `header`.
    fn in_days(&mut self, column: &str, header: &str) {
        if let Some(at) = self.columns.iter().position(|c| *c == column) {
            self.table.csv_head[at + 1] = header.to_owned();
        }
    }

    /// The last row's cell in `column` holds `days` in the CSV.
    fn days(&mut self, column: &str, days: Option<f64>) {
        let at = self.columns.iter().position(|c| *c == column);
        if let (Some(at), Some(row), Some(days)) = (at, self.table.rows.last_mut(), days) {
            row.cells[at].csv = Some(format!("{days:.1}"));
        }
    }

    /// The last row's label in the CSV.
    fn csv_label(&mut self, label: &str) {
        if let Some(row) = self.table.rows.last_mut() {
            row.csv_label = Some(label.to_owned());
        }
    }

    /// A bar of the chart (one value per series; `None`: suppressed).
    fn bar(&mut self, label: impl Into<String>, values: Vec<Option<f64>>, text: String) {
        self.bars.push(BarInput {
            label: label.into(),
            values,
            text,
            link: None,
        });
    }

    /// The last bar opens `report` filtered by `key` = `value` (see
    /// [`drill_href`]); `name` is the link's accessible name.
    fn drill(&mut self, report: &str, key: &str, value: &str, name: String) {
        if let Some(bar) = self.bars.last_mut() {
            bar.link = Some((drill_href(report, key, value), name));
        }
    }

    /// A table row and its bar, under the same label; the bar shows the
    /// row's first figure.
    fn charted(&mut self, key: &str, label: &str, texts: Vec<String>, values: Vec<Option<f64>>) {
        let text = texts.first().cloned().unwrap_or_default();
        self.row(key, label, texts);
        self.bar(label, values, text);
    }

    /// The section, with a chart given as markup (or none).
    fn section(self, heading: &str, note: String, chart: String) -> Section {
        Section {
            id: self.id,
            heading: heading.to_owned(),
            note,
            chart,
            table: self.table,
            csv_href: String::new(),
            svg_href: None,
        }
    }

    /// The section with its bars drawn as a chart.
    fn with_bars(self, heading: &str, note: String, chart: Chart<'_>) -> Result<Section, Error> {
        let svg = charts::bars(
            &format!("{}-chart", self.id),
            chart.title,
            chart.desc,
            chart.series,
            &self.bars,
        )?;
        Ok(self.section(heading, note, svg))
    }
}

/// What marks a drill-down link's filter until the page fills in the
/// filters it was shown with: `?drill-patch=elm-road` becomes
/// `?from=2025-01-01&patch=elm-road` (see `pages::fill_drill_links`).
pub(crate) const DRILL: &str = "?drill-";

/// The filters a drill-down link can set, as query keys.
pub(crate) const DRILL_KEYS: [&str; 5] = ["patch", "channel", "age_band", "stage", "champion"];

/// A link to `report` filtered by `key` = `value`, on top of the filters
/// the page was shown with (filled in by the page).
pub(crate) fn drill_href(report: &str, key: &str, value: &str) -> String {
    debug_assert!(DRILL_KEYS.contains(&key), "{key}");
    let value: String = value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/reports/{report}{DRILL}{key}={value}")
}

/// How the dashboard shows figures; `below` is the suppression threshold.
#[derive(Clone, Copy)]
pub(crate) struct Show {
    below: u64,
}

impl Show {
    /// A count; a suppressed one reads "fewer than N".
    pub(crate) fn count(self, n: Option<u64>) -> String {
        n.map_or_else(|| format!("fewer than {}", self.below), thousands)
    }

    /// A figure a report published with its reason when hidden: "fewer
    /// than N" only for a true small count.
    pub(crate) fn figure(self, n: Option<u64>, why: Option<reports::Withheld>) -> String {
        match (n, why) {
            (Some(n), _) => thousands(n),
            (None, Some(why)) => why.label(self.below),
            (None, None) => "-".to_owned(),
        }
    }

    /// A value derived from figures (a share, a number of days), or why it
    /// is not shown.
    pub(crate) fn derived(self, text: Option<String>, why: Option<reports::Withheld>) -> String {
        match (text, why) {
            (Some(text), _) => text,
            (None, Some(reports::Withheld::Small)) => TOO_FEW_TO_SAY.to_owned(),
            (None, Some(why)) => why.label(self.below),
            (None, None) => reports::Withheld::NotApplicable.label(self.below),
        }
    }

    /// A length of time in days, in words ("about 2 months").
    pub(crate) fn duration(self, days: Option<f64>) -> String {
        days.map_or_else(|| "not shown".to_owned(), crate::calendar::duration_words)
    }
}

/// 1234567 as "1,234,567".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn yes_no(v: bool) -> String {
    if v { "yes" } else { "no" }.to_owned()
}

fn f(n: Option<u64>) -> Option<f64> {
    n.map(|n| n as f64)
}

/// A percentage already in 0 to 100, or why there is none.
fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "no members".to_owned(), |p| format!("{p:.1}%"))
}

/// How a report is laid out on its dashboard page.
pub(crate) trait Sections {
    /// Its sections; `ladder` is the area's, `now` the time shown.
    fn sections(&self, ladder: &Ladder, now: i64) -> Result<Vec<Section>, Error>;
}

impl Sections for reports::Funnel {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        ladder::funnel(self)
    }
}

impl Sections for reports::Routes {
    fn sections(&self, ladder: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        ladder::routes(self, ladder)
    }
}

impl Sections for reports::ResidentLed {
    fn sections(&self, _: &Ladder, now: i64) -> Result<Vec<Section>, Error> {
        board::resident_led(self, now)
    }
}

impl Sections for reports::Board {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        board::board(self)
    }
}

impl Sections for reports::Turnover {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        board::turnover(self)
    }
}

impl Sections for reports::CivicCore {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        reach::civic_core(self)
    }
}

impl Sections for reports::EventReach {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        events::events(self)
    }
}

impl Sections for reports::Reach {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        reach::reach(self)
    }
}

impl Sections for reports::ChampionActivity {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        reach::champions(self)
    }
}

impl Sections for reports::HouseholdReach {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        reach::households(self)
    }
}

impl Sections for reports::PatchMap {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        Ok(map::map(self))
    }
}

impl Sections for reports::Voices {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        voices::voices(self)
    }
}

impl Sections for reports::YouSaidWeDid {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        voices::promises(self)
    }
}

impl Sections for reports::Trends {
    fn sections(&self, ladder: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        trends::trends(self, ladder)
    }
}

impl Sections for reports::GroupsReport {
    fn sections(&self, _: &Ladder, _: i64) -> Result<Vec<Section>, Error> {
        groups::groups(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_expect() {
        let show = Show { below: 5 };
        assert_eq!(show.count(Some(1_234_567)), "1,234,567");
        assert_eq!(show.count(Some(12)), "12");
        assert_eq!(show.count(None), "fewer than 5");
        assert_eq!(
            show.figure(None, Some(reports::Withheld::Small)),
            "fewer than 5"
        );
        assert_eq!(
            show.figure(None, Some(reports::Withheld::Protects)),
            "hidden so that a small group cannot be worked out"
        );
        assert_eq!(
            show.derived(None, Some(reports::Withheld::Small)),
            "too few people to say"
        );
        assert_eq!(show.duration(Some(61.0)), "about 2 months");
        assert_eq!(show.duration(None), "not shown");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(999), "999");
    }
}
