//! Charts drawn on the server as SVG: bars (stacked when there are several
//! series), a gauge, a step line, lines over time (small
//! multiples) and a flow chart. Geometry is worked out
//! here; the templates only place it. Every chart has a title and a
//! description for screen readers, and the page puts a table of the same
//! figures beside it.

use askama::Template;

use crate::error::Result;

/// The CSS classes of the series, in order.
const SERIES: [&str; 3] = ["series-a", "series-b", "series-c"];

/// One row of a bar chart: a label, a value per series (`None`: suppressed)
/// and the text shown after the bar.
#[derive(Debug, Clone)]
pub(crate) struct BarInput {
    pub(crate) label: String,
    pub(crate) values: Vec<Option<f64>>,
    pub(crate) text: String,
    /// Where a click on the row leads (the same report filtered by it),
    /// with the link's accessible name.
    pub(crate) link: Option<(String, String)>,
}

struct Segment {
    x: i64,
    width: i64,
    class: &'static str,
    title: String,
}

struct BarRow {
    /// The label as drawn, cut to fit left of the bars.
    label: String,
    /// The whole label (its tooltip; the table beside has it too).
    full: String,
    y: i64,
    text_y: i64,
    segments: Vec<Segment>,
    suppressed: bool,
    value: String,
    value_x: i64,
    /// (href, accessible name) of the row's link.
    link: Option<(String, String)>,
}

struct LegendItem {
    x: i64,
    class: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "chart_bars.html")]
struct Bars<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    width: i64,
    height: i64,
    label_right: i64,
    bar_left: i64,
    bar_height: i64,
    rows: Vec<BarRow>,
    legend: Vec<LegendItem>,
    legend_y: i64,
}

/// The most characters of a bar's label that fit left of the bars.
const LABEL_CHARS: usize = 27;

/// A bar's label cut to [`LABEL_CHARS`], with an ellipsis when cut: a long
/// one ("Birch Close champion in Canal Side") would run off the chart.
fn fit_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Horizontal bars, one row per input, segments stacked per series.
pub(crate) fn bars(
    id: &str,
    title: &str,
    desc: &str,
    series: &[&str],
    rows: &[BarInput],
) -> Result<String> {
    const WIDTH: i64 = 720;
    const LABEL_RIGHT: i64 = 190;
    const BAR_LEFT: i64 = 198;
    const BAR_SPACE: f64 = 290.0;
    const ROW: i64 = 26;
    const BAR: i64 = 18;
    let max = rows
        .iter()
        .map(|r| r.values.iter().flatten().sum::<f64>())
        .fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { BAR_SPACE / max } else { 0.0 };
    let laid: Vec<BarRow> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let y = 8 + i as i64 * ROW;
            let mut x = BAR_LEFT;
            let mut segments = Vec::new();
            for (s, value) in row.values.iter().enumerate() {
                if let Some(v) = value {
                    let width = (v * scale).round() as i64;
                    segments.push(Segment {
                        x,
                        width,
                        class: SERIES[s % SERIES.len()],
                        title: format!("{}: {}", series.get(s).copied().unwrap_or(""), number(*v)),
                    });
                    x += width;
                }
            }
            // A row with nothing to draw but a hidden count gets a small
            // hatched box, so it does not read as zero.
            let hidden = segments.is_empty() && row.values.iter().any(Option::is_none);
            if hidden {
                x += BAR;
            }
            BarRow {
                label: fit_label(&row.label),
                full: row.label.clone(),
                y,
                text_y: y + 14,
                segments,
                suppressed: hidden,
                value: row.text.clone(),
                value_x: x + 6,
                link: row.link.clone(),
            }
        })
        .collect();
    let legend_y = 8 + rows.len() as i64 * ROW + 4;
    let legend: Vec<LegendItem> = if series.len() > 1 {
        series
            .iter()
            .enumerate()
            .map(|(i, label)| LegendItem {
                x: BAR_LEFT + i as i64 * 150,
                class: SERIES[i % SERIES.len()],
                label: (*label).to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let height = legend_y + if legend.is_empty() { 0 } else { 20 };
    render(&Bars {
        id,
        title,
        desc,
        width: WIDTH,
        height,
        label_right: LABEL_RIGHT,
        bar_left: BAR_LEFT,
        bar_height: BAR,
        rows: laid,
        legend,
        legend_y,
    })
}

#[derive(Template)]
#[template(path = "chart_gauge.html")]
struct Gauge<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    value_path: String,
    value_class: &'static str,
    tick: (i64, i64, i64, i64),
    tick_label: (i64, i64),
    threshold: u8,
    value: String,
    caption: &'a str,
}

/// The point at `percent` along the gauge's half circle of `radius`.
fn on_arc(percent: f64, radius: f64) -> (f64, f64) {
    let angle = std::f64::consts::PI * (1.0 - percent.clamp(0.0, 100.0) / 100.0);
    (160.0 + radius * angle.cos(), 160.0 - radius * angle.sin())
}

/// A half-circle gauge of a share (percent) against a threshold.
pub(crate) fn gauge(
    id: &str,
    title: &str,
    desc: &str,
    percent: Option<f64>,
    threshold: u8,
    caption: &str,
) -> Result<String> {
    let (value_path, value_class, value) = match percent {
        Some(p) => {
            let (x, y) = on_arc(p, 120.0);
            let class = if p >= f64::from(threshold) {
                "ok"
            } else {
                "warn"
            };
            (
                format!("M 40 160 A 120 120 0 0 1 {x:.1} {y:.1}"),
                class,
                format!("{p:.0}%"),
            )
        }
        None => (String::new(), "warn", "no members".to_owned()),
    };
    let (x1, y1) = on_arc(f64::from(threshold), 102.0);
    let (x2, y2) = on_arc(f64::from(threshold), 138.0);
    let (lx, ly) = on_arc(f64::from(threshold), 150.0);
    render(&Gauge {
        id,
        title,
        desc,
        value_path,
        value_class,
        tick: (x1 as i64, y1 as i64, x2 as i64, y2 as i64),
        tick_label: (lx as i64, (ly as i64).max(12)),
        threshold,
        value,
        caption,
    })
}

#[derive(Template)]
#[template(path = "chart_line.html")]
struct Line<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    width: i64,
    height: i64,
    left: i64,
    right: i64,
    gridlines: Vec<(i64, String)>,
    threshold_y: i64,
    threshold: u8,
    points: String,
    dots: Vec<(i64, i64, String)>,
    ticks: Vec<(i64, String, &'static str)>,
}

/// A step line of a share (percent) over time, with the threshold drawn
/// across: each point holds until the next. `points` are (ms, percent,
/// label), oldest first; `until` is where the last step ends.
pub(crate) fn step_line(
    id: &str,
    title: &str,
    desc: &str,
    points: &[(i64, f64, String)],
    until: i64,
    threshold: u8,
) -> Result<String> {
    const WIDTH: i64 = 600;
    const HEIGHT: i64 = 230;
    const LEFT: i64 = 48;
    const RIGHT: i64 = 585;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 200.0;
    let start = points.first().map_or(until, |p| p.0);
    let span = (until - start).max(1) as f64;
    let x = |t: i64| LEFT + (((t - start) as f64 / span) * (RIGHT - LEFT) as f64).round() as i64;
    let y = |percent: f64| (BOTTOM - percent.clamp(0.0, 100.0) / 100.0 * (BOTTOM - TOP)) as i64;
    let mut path = Vec::new();
    for (i, (t, p, _)) in points.iter().enumerate() {
        let next = points.get(i + 1).map_or(until, |n| n.0);
        path.push(format!("{},{}", x(*t), y(*p)));
        path.push(format!("{},{}", x(next), y(*p)));
    }
    let ticks = points
        .iter()
        .map(|(t, _, _)| *t)
        .chain(std::iter::once(until))
        .map(|t| (x(t), crate::calendar::date(t)))
        .fold(Vec::<(i64, String)>::new(), |mut kept, tick| {
            // Only ticks far enough apart to be read.
            if kept.last().is_none_or(|last| tick.0 - last.0 >= 90) {
                kept.push(tick);
            }
            kept
        });
    // The first and last labels stay inside the chart.
    let last = ticks.len().saturating_sub(1);
    let ticks = ticks
        .into_iter()
        .enumerate()
        .map(|(i, (x, label))| {
            let anchor = match i {
                0 => "start",
                _ if i == last => "end",
                _ => "middle",
            };
            (x, label, anchor)
        })
        .collect();
    render(&Line {
        id,
        title,
        desc,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        gridlines: [0.0, 25.0, 50.0, 75.0, 100.0]
            .iter()
            .map(|p| (y(*p), format!("{p:.0}%")))
            .collect(),
        threshold_y: y(f64::from(threshold)),
        threshold,
        points: path.join(" "),
        dots: points
            .iter()
            .map(|(t, p, label)| (x(*t), y(*p), label.clone()))
            .collect(),
        ticks,
    })
}

/// One small chart of a [`lines`] chart: a label and, per series, a value
/// per point of the x axis (`None`: hidden, drawn as a gap).
#[derive(Debug, Clone)]
pub(crate) struct LinePanel {
    pub(crate) label: String,
    pub(crate) series: Vec<Vec<Option<f64>>>,
}

struct LaidPanel {
    label: String,
    left: i64,
    right: i64,
    top: i64,
    bottom: i64,
    gridlines: Vec<(i64, String)>,
    /// (x, what is hidden there) of each gap.
    hidden: Vec<(i64, String)>,
    /// (points, class) of each unbroken run of a series.
    paths: Vec<(String, &'static str)>,
    dots: Vec<(i64, i64, &'static str, String)>,
    ticks: Vec<(i64, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "chart_lines.html")]
struct Lines<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    width: i64,
    height: i64,
    legend: Vec<LegendItem>,
    panels: Vec<LaidPanel>,
}

/// A round number at or above `max` for the top of a value axis (1, 2 or
/// 5 times a power of ten).
fn axis_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * power)
}

/// Lines over time, one small chart per panel (two abreast when there are
/// several), every panel on the same value axis so they compare. A hidden
/// value breaks its line and is marked by a dashed upright with a tooltip
/// saying so: never drawn as a zero. `x_labels` name the points.
pub(crate) fn lines(
    id: &str,
    title: &str,
    desc: &str,
    x_labels: &[String],
    series: &[&str],
    panels: &[LinePanel],
) -> Result<String> {
    const WIDTH: i64 = 720;
    const LEGEND: i64 = 30;
    let columns: i64 = if panels.len() > 1 { 2 } else { 1 };
    let (panel_width, panel_height) = if columns == 1 {
        (WIDTH, 240)
    } else {
        (WIDTH / 2, 170)
    };
    let rows = (panels.len() as i64 + columns - 1) / columns;
    let max = panels
        .iter()
        .flat_map(|p| p.series.iter().flatten().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let top_value = axis_top(max);
    let points = x_labels.len().max(1);
    let laid = panels
        .iter()
        .enumerate()
        .map(|(i, panel)| {
            let (col, row) = (i as i64 % columns, i as i64 / columns);
            let left = col * panel_width + 44;
            let right = (col + 1) * panel_width - 14;
            let top = LEGEND + row * panel_height + 24;
            let bottom = LEGEND + (row + 1) * panel_height - 26;
            let x = |k: usize| {
                if points == 1 {
                    (left + right) / 2
                } else {
                    left + ((right - left) as f64 * k as f64 / (points - 1) as f64).round() as i64
                }
            };
            let y = |v: f64| bottom - ((bottom - top) as f64 * v / top_value).round() as i64;
            let mut paths = Vec::new();
            let mut dots = Vec::new();
            let mut hidden = Vec::new();
            for (s, values) in panel.series.iter().enumerate() {
                let class = SERIES[s % SERIES.len()];
                let name = series.get(s).copied().unwrap_or("");
                let mut run: Vec<String> = Vec::new();
                for (k, value) in values.iter().enumerate() {
                    let at = x_labels.get(k).map_or("", String::as_str);
                    match value {
                        Some(v) => {
                            run.push(format!("{},{}", x(k), y(*v)));
                            dots.push((
                                x(k),
                                y(*v),
                                class,
                                format!("{name}, {at}: {}", number(*v)),
                            ));
                        }
                        None => {
                            if run.len() > 1 {
                                paths.push((run.join(" "), class));
                            }
                            run.clear();
                            hidden.push((x(k), format!("{name}, {at}: hidden")));
                        }
                    }
                }
                if run.len() > 1 {
                    paths.push((run.join(" "), class));
                }
            }
            // Up to seven labels on the time axis (three on a small chart),
            // the first and last always, none closer than a label's width.
            let step = x_labels
                .len()
                .div_ceil(if columns == 1 { 6 } else { 2 })
                .max(1);
            let last = x_labels.len().saturating_sub(1);
            let room = x_labels
                .iter()
                .map(|l| l.chars().count() as i64 * 7 + 12)
                .max()
                .unwrap_or(0);
            let mut ticks: Vec<(i64, String, &'static str)> = Vec::new();
            for (k, label) in x_labels.iter().enumerate() {
                let wanted = k == last || k % step == 0;
                let near_last = k != last && x(last) - x(k) < room;
                let near_previous = ticks.last().is_some_and(|t| x(k) - t.0 < room);
                if !wanted || near_last || (near_previous && k != last) {
                    continue;
                }
                let anchor = match k {
                    0 => "start",
                    _ if k == last => "end",
                    _ => "middle",
                };
                ticks.push((x(k), label.clone(), anchor));
            }
            LaidPanel {
                label: panel.label.clone(),
                left,
                right,
                top,
                bottom,
                gridlines: [0.0, 0.5, 1.0]
                    .iter()
                    .map(|f| (y(top_value * f), number(top_value * f)))
                    .collect(),
                hidden,
                paths,
                dots,
                ticks,
            }
        })
        .collect();
    render(&Lines {
        id,
        title,
        desc,
        width: WIDTH,
        height: LEGEND + rows.max(1) * panel_height,
        legend: series
            .iter()
            .enumerate()
            .map(|(s, label)| LegendItem {
                x: 44 + s as i64 * 200,
                class: SERIES[s % SERIES.len()],
                label: (*label).to_owned(),
            })
            .collect(),
        panels: laid,
    })
}

struct FlowNode {
    x: i64,
    y: i64,
    height: i64,
    text_x: i64,
    text_y: i64,
    anchor: &'static str,
    label: String,
    /// (href, accessible name) of the node's link.
    link: Option<(String, String)>,
}

struct FlowLink {
    path: String,
    width: i64,
    title: String,
}

#[derive(Template)]
#[template(path = "chart_flow.html")]
struct Flow<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    width: i64,
    height: i64,
    nodes: Vec<FlowNode>,
    links: Vec<FlowLink>,
}

/// A flow (Sankey) chart from sources on the left to targets on the right.
/// `links` are (source, target, people) with targets in `targets` order,
/// each target with where a click on it leads (href, accessible name);
/// only shown (unsuppressed) flows are drawn.
pub(crate) fn flow(
    id: &str,
    title: &str,
    desc: &str,
    targets: &[(String, Option<(String, String)>)],
    links: &[(String, String, u64)],
) -> Result<String> {
    const WIDTH: i64 = 680;
    const SPACE: f64 = 320.0;
    const GAP: i64 = 10;
    let total: u64 = links.iter().map(|l| l.2).sum();
    let scale = if total > 0 { SPACE / total as f64 } else { 0.0 };
    let px = |n: u64| ((n as f64 * scale).round() as i64).max(1);
    let mut sources: Vec<(String, u64)> = Vec::new();
    for (source, _, n) in links {
        match sources.iter_mut().find(|(s, _)| s == source) {
            Some(entry) => entry.1 += n,
            None => sources.push((source.clone(), *n)),
        }
    }
    let target_totals: Vec<(String, u64)> = targets
        .iter()
        .map(|(t, _)| {
            let n = links.iter().filter(|l| &l.1 == t).map(|l| l.2).sum();
            (t.clone(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let link_of = |label: &str| {
        targets
            .iter()
            .find(|(t, _)| t == label)
            .and_then(|(_, link)| link.clone())
    };
    let mut nodes = Vec::new();
    let mut place = |column: &[(String, u64)], x: i64, left: bool| {
        let mut y = 10;
        let mut tops = Vec::new();
        for (label, n) in column {
            let height = px(*n);
            nodes.push(FlowNode {
                x,
                y,
                height,
                text_x: if left { x - 6 } else { x + 16 },
                text_y: y + height / 2 + 4,
                anchor: if left { "end" } else { "start" },
                label: format!("{label} ({n})"),
                link: if left { None } else { link_of(label) },
            });
            tops.push((label.clone(), y));
            y += height + GAP;
        }
        (tops, y)
    };
    let (source_tops, left_bottom) = place(&sources, 170, true);
    let (target_tops, right_bottom) = place(&target_totals, 440, false);
    let mut source_used: Vec<i64> = vec![0; source_tops.len()];
    let mut target_used: Vec<i64> = vec![0; target_tops.len()];
    let mut drawn = Vec::new();
    // Links in target order within each source, so bands do not cross more
    // than they must.
    for (si, (source, top)) in source_tops.iter().enumerate() {
        for (ti, (target, target_top)) in target_tops.iter().enumerate() {
            let Some((_, _, n)) = links.iter().find(|l| &l.0 == source && &l.1 == target) else {
                continue;
            };
            let width = px(*n);
            let y0 = top + source_used[si] + width / 2;
            let y1 = target_top + target_used[ti] + width / 2;
            source_used[si] += width;
            target_used[ti] += width;
            drawn.push(FlowLink {
                path: format!("M 180 {y0} C 310 {y0}, 310 {y1}, 440 {y1}"),
                width,
                title: format!("{source} to {target}: {n}"),
            });
        }
    }
    render(&Flow {
        id,
        title,
        desc,
        width: WIDTH,
        height: left_bottom.max(right_bottom) + 10,
        nodes,
        links: drawn,
    })
}

fn render(template: &impl Template) -> Result<String> {
    template
        .render()
        .map_err(|e| crate::error::Error::Render(e.to_string()))
}

/// A number as a chart tooltip shows it.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_to_fit_and_keep_their_whole_text_as_a_tooltip() {
        assert_eq!(fit_label("Elm Road"), "Elm Road");
        let long = "Birch Close champion in Canal Side";
        let cut = fit_label(long);
        assert!(
            cut.ends_with('…') && cut.chars().count() <= LABEL_CHARS,
            "{cut}"
        );
        let rows = vec![BarInput {
            label: long.into(),
            values: vec![Some(1.0)],
            text: "1".into(),
            link: None,
        }];
        let svg = bars("c", "Knocks", "Per champion", &["knocks"], &rows).unwrap();
        assert!(
            svg.contains(&format!("<title>{long}</title>{cut}")),
            "{svg}"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_row_and_mark_suppressed_rows() {
        let rows = vec![
            BarInput {
                label: "Contact".into(),
                values: vec![Some(100.0)],
                text: "100".into(),
                link: Some((
                    "/reports/f?drill-patch=elm-road".into(),
                    "Show Elm Road".into(),
                )),
            },
            BarInput {
                label: "Leadership <&>".into(),
                values: vec![None],
                text: "fewer than 5".into(),
                link: None,
            },
        ];
        let svg = bars("f", "Funnel", "People per stage", &["people"], &rows).unwrap();
        assert!(svg.contains(r#"width="290""#), "{svg}");
        assert!(svg.contains("class=\"suppressed\""), "{svg}");
        assert!(
            svg.contains("Leadership &#60;&#38;&#62;") || svg.contains("Leadership &lt;&amp;&gt;"),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"f-t\">Funnel</title>"));
        assert!(
            svg.contains(r#"<a href="/reports/f?drill-patch=elm-road" aria-label="Show Elm Road" class="drill">"#),
            "{svg}"
        );
        assert_eq!(svg.matches("<a ").count(), 1, "{svg}");
    }

    #[test]
    fn the_gauge_marks_a_share_below_the_threshold() {
        let svg = gauge("g", "Residents", "d", Some(40.0), 51, "of 10 members").unwrap();
        assert!(svg.contains("class=\"warn\""), "{svg}");
        assert!(svg.contains("40%"));
        let svg = gauge("g", "Residents", "d", Some(60.0), 51, "of 10 members").unwrap();
        assert!(svg.contains("class=\"ok\""), "{svg}");
    }

    #[test]
    fn hidden_values_break_the_line_and_are_marked_not_drawn_as_zero() {
        let months: Vec<String> = ["2025-01", "2025-02", "2025-03", "2025-04"]
            .map(String::from)
            .to_vec();
        let panel = LinePanel {
            label: "Elm".into(),
            series: vec![vec![Some(10.0), Some(12.0), None, Some(8.0)]],
        };
        let svg = lines("t", "Trend", "d", &months, &["contacts"], &[panel]).unwrap();
        // Two points before the gap make a line; the one after stands alone.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("contacts, 2025-03: hidden"), "{svg}");
        assert!(!svg.contains("2025-03: 0"), "{svg}");
        // Long labels on small charts: the first, the middle and the
        // last only, never two close enough to overlap.
        let weeks: Vec<String> = (1..=52).map(|w| format!("2026-W{w:02}xx")).collect();
        let panel = LinePanel {
            label: "Elm".into(),
            series: vec![vec![Some(1.0); 52]],
        };
        let svg = lines(
            "w",
            "Doors",
            "d",
            &weeks,
            &["doors"],
            &[panel.clone(), panel],
        )
        .unwrap();
        assert_eq!(svg.matches(">2026-W").count(), 6, "{svg}");
        assert_eq!(axis_top(12.0), 20.0);
        assert_eq!(axis_top(0.0), 1.0);
        assert_eq!(axis_top(500.0), 500.0);
    }

    #[test]
    fn flows_draw_only_given_links_between_their_nodes() {
        let svg = flow(
            "r",
            "Routes",
            "d",
            &[
                ("contact".into(), None),
                (
                    "leadership".into(),
                    Some(("/reports/r?drill-stage=leader".into(), "Leaders".into())),
                ),
            ],
            &[
                ("doorstep".into(), "contact".into(), 30),
                ("event".into(), "leadership".into(), 10),
            ],
        )
        .unwrap();
        assert_eq!(svg.matches("class=\"link\"").count(), 2, "{svg}");
        assert!(svg.contains("doorstep (30)"));
        assert!(
            svg.contains(
                r#"<a href="/reports/r?drill-stage=leader" aria-label="Leaders" class="drill">"#
            ),
            "{svg}"
        );
        assert_eq!(svg.matches("<a ").count(), 1, "{svg}");
    }
}
