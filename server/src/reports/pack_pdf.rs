//! The board pack as an A4 PDF, made by the server: krilla writes the PDF
//! (text shaped and subset in an embedded font, so it can be selected and
//! searched), krilla-svg draws the dashboard's SVG charts into it as
//! vectors. The pack is laid out first into pages of drawing steps, so
//! that every page can say "Page 2 of 3". Each sentence is a link to its
//! report on the dashboard, as on the pack's page.

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use super::Withheld;
use super::headlines::{Headline, Unit};
use super::pack::{Pack, number};
use crate::error::{Error, Result};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The font's family name, for the charts' text.
const FAMILY: &str = "DejaVu Sans";

/// A4 in points, and the margins.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 14.0;
const WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// What the charts' classes look like on paper (the dashboard's stylesheet
/// does it on screen).
const CHART_STYLE: &str = "<style>text{font-family:'DejaVu Sans';font-size:13px;fill:#0b0c0c}\
    .value{font-weight:bold}.series-a{fill:#1d4f91}.series-b{fill:#8fb1dd}.series-c{fill:#d98a2b}\
    .suppressed{fill:none;stroke:#505a5f;stroke-dasharray:3 2}.grid{stroke:#b1b4b6}</style>";

/// A chart for the pack: its heading and its SVG.
pub struct Chart {
    /// The heading above it.
    pub heading: String,
    /// The SVG, as the dashboard draws it.
    pub svg: String,
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: ttf_parser::Face<'static>,
    bold_face: ttf_parser::Face<'static>,
    svg: Arc<usvg::fontdb::Database>,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    let mut svg = usvg::fontdb::Database::new();
    svg.load_font_data(REGULAR.to_vec());
    svg.load_font_data(BOLD.to_vec());
    Some(Fonts {
        regular: Font::new(REGULAR.to_vec().into(), 0)?,
        bold: Font::new(BOLD.to_vec().into(), 0)?,
        regular_face: ttf_parser::Face::parse(REGULAR, 0).ok()?,
        bold_face: ttf_parser::Face::parse(BOLD, 0).ok()?,
        svg: Arc::new(svg),
    })
});

fn fonts() -> Result<&'static Fonts> {
    FONTS
        .as_ref()
        .ok_or_else(|| Error::Render("the PDF's font could not be read".into()))
}

/// The width of `text` in points at `size`.
fn width(face: &ttf_parser::Face<'_>, size: f32, text: &str) -> f32 {
    let units: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(0.0, f32::from)
        })
        .sum();
    units * size / f32::from(face.units_per_em())
}

/// `text` broken into lines no wider than `max` (a word longer than a
/// line is put on a line of its own).
fn wrap(face: &ttf_parser::Face<'_>, size: f32, text: &str, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && width(face, size, &candidate) > max {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// One drawing step on a page.
enum Step {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        grey: bool,
        text: String,
    },
    Rule {
        y: f32,
    },
    Svg {
        y: f32,
        height: f32,
        tree: Box<usvg::Tree>,
    },
    /// A clickable area (from `top`, `height` points down, across the text
    /// column) opening `uri`.
    Link {
        top: f32,
        height: f32,
        uri: String,
        alt: String,
    },
}

/// Lays steps out down the pages, starting a page when the next block
/// does not fit.
struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Step>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn face(&self, bold: bool) -> &'f ttf_parser::Face<'static> {
        if bold {
            &self.fonts.bold_face
        } else {
            &self.fonts.regular_face
        }
    }

    /// Makes room for `height` points, on a new page if need be.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn push(&mut self, step: Step) {
        if let Some(page) = self.pages.last_mut() {
            page.push(step);
        }
    }

    /// A paragraph wrapped to `max` points from `x`; `keep` more points
    /// are kept on the same page after it (a heading with what follows).
    fn paragraph(&mut self, x: f32, max: f32, size: f32, bold: bool, text: &str, keep: f32) {
        let lines = wrap(self.face(bold), size, text, max);
        let leading = size * 1.35;
        self.room(leading * lines.len() as f32 + keep);
        for line in lines {
            self.y += leading;
            self.push(Step::Text {
                x,
                y: self.y - size * 0.3,
                size,
                bold,
                grey: false,
                text: line,
            });
        }
    }

    /// A row of cells, each wrapped to its column; the row is kept whole.
    fn row(&mut self, columns: &[(f32, f32)], cells: &[String], size: f32, bold: bool) {
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|((_, w), text)| wrap(self.face(bold), size, text, *w - 6.0))
            .collect();
        let leading = size * 1.3;
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = leading * lines as f32 + 4.0;
        self.room(height);
        for ((x, _), lines) in columns.iter().zip(wrapped) {
            for (i, line) in lines.into_iter().enumerate() {
                self.push(Step::Text {
                    x: *x,
                    y: self.y + leading * (i as f32 + 1.0) - size * 0.25,
                    size,
                    bold,
                    grey: false,
                    text: line,
                });
            }
        }
        self.y += height;
        self.push(Step::Rule { y: self.y - 1.0 });
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }
}

/// A figure as the table shows it: the number in its unit, or why not.
fn cell(unit: Unit, value: Option<f64>, why: Option<Withheld>) -> String {
    match (value, why) {
        (Some(v), _) => match unit {
            Unit::Count => number(v),
            Unit::Percent => format!("{}%", number(v)),
            Unit::PerThousand => number(v),
        },
        (None, Some(Withheld::Small)) => "too small to show".to_owned(),
        (None, Some(Withheld::Protects)) => "hidden".to_owned(),
        _ => "-".to_owned(),
    }
}

fn change(h: &Headline) -> String {
    match (h.change, h.unit) {
        (Some(c), Unit::Percent) => {
            format!("{}{} points", if c > 0.0 { "+" } else { "" }, number(c))
        }
        (Some(c), _) => {
            let sign = if c > 0.0 { "+" } else { "" };
            match h.change_percent {
                Some(p) => format!("{sign}{} ({sign}{}%)", number(c), number(p)),
                None => format!("{sign}{}", number(c)),
            }
        }
        (None, _) => "-".to_owned(),
    }
}

fn target(h: &Headline) -> String {
    h.target
        .as_ref()
        .map_or("-".to_owned(), |t| t.words.clone())
}

/// The pack as an A4 PDF with `charts` after the figures; `site` is the
/// dashboard's address (`https://host`), in front of each sentence's link.
pub fn render(pack: &Pack, charts: &[Chart], site: &str) -> Result<Vec<u8>> {
    let fonts = fonts()?;
    let mut layout = Layout::new(fonts);
    layout.paragraph(MARGIN, WIDTH, 20.0, true, &pack.area, 0.0);
    layout.paragraph(
        MARGIN,
        WIDTH,
        14.0,
        false,
        &format!("Board pack: {}", pack.period.label),
        0.0,
    );
    let compared = pack
        .compared_with
        .as_ref()
        .map_or("Not compared with another period.".to_owned(), |p| {
            format!("Changes are against {}.", p.label)
        });
    layout.paragraph(
        MARGIN,
        WIDTH,
        10.0,
        false,
        &format!("Made on {}. {compared}", pack.made),
        0.0,
    );
    if pack.adjusted {
        layout.paragraph(
            MARGIN,
            WIDTH,
            9.0,
            false,
            "Figures are slightly adjusted to protect privacy; totals may not equal the sum of \
             their parts. A figure too small to show is not given.",
            0.0,
        );
    }
    layout.gap(10.0);
    layout.paragraph(MARGIN, WIDTH, 14.0, true, "What the figures say", 30.0);
    layout.gap(4.0);
    if pack.sentences.is_empty() {
        layout.paragraph(
            MARGIN,
            WIDTH,
            10.5,
            false,
            "There are no figures to show for this period.",
            0.0,
        );
    }
    for sentence in &pack.sentences {
        let label = pack
            .reports
            .iter()
            .find(|r| r.name == sentence.report)
            .map_or(sentence.report.as_str(), |r| r.label.as_str());
        let before = layout.y;
        layout.paragraph(
            MARGIN + 12.0,
            WIDTH - 12.0,
            10.5,
            false,
            &format!("{} ({label})", sentence.text),
            0.0,
        );
        // The bullet and the link go beside the sentence's lines, wherever
        // the sentence landed (a paragraph is never split across pages).
        let top = if layout.y < before { MARGIN } else { before };
        let first = top + 10.5 * 1.35;
        layout.push(Step::Link {
            top,
            height: layout.y - top,
            uri: format!("{site}{}", sentence.href),
            alt: format!("Open {label} for this period"),
        });
        layout.push(Step::Text {
            x: MARGIN,
            y: first - 10.5 * 0.3,
            size: 10.5,
            bold: false,
            grey: false,
            text: "•".to_owned(),
        });
        layout.gap(3.0);
    }
    layout.gap(12.0);
    layout.paragraph(MARGIN, WIDTH, 14.0, true, "Headline figures", 60.0);
    let columns = [
        (MARGIN, 175.0),
        (MARGIN + 175.0, 70.0),
        (MARGIN + 245.0, 70.0),
        (MARGIN + 315.0, 78.0),
        (MARGIN + 393.0, WIDTH - 393.0),
    ];
    for report in &pack.reports {
        layout.gap(8.0);
        layout.paragraph(MARGIN, WIDTH, 12.0, true, &report.label, 40.0);
        let Some(headlines) = &report.headlines else {
            let why = report.not_shown_because.as_deref().unwrap_or("");
            layout.paragraph(
                MARGIN,
                WIDTH,
                9.0,
                false,
                &format!("Not shown: {why}."),
                0.0,
            );
            continue;
        };
        if let Some(why) = &headlines.no_comparison_because {
            layout.paragraph(
                MARGIN,
                WIDTH,
                8.5,
                false,
                &format!("No change shown: {why}."),
                30.0,
            );
        }
        let head = ["Figure", "This period", "Earlier", "Change", "Target"].map(str::to_owned);
        layout.row(&columns, &head, 8.5, true);
        for h in &headlines.figures {
            let unit = if h.unit == Unit::PerThousand {
                " (per 1,000 households)"
            } else {
                ""
            };
            layout.row(
                &columns,
                &[
                    format!("{}{unit}", h.label),
                    cell(h.unit, h.value, h.withheld),
                    cell(h.unit, h.earlier, h.earlier_withheld),
                    change(h),
                    target(h),
                ],
                8.5,
                false,
            );
        }
    }
    for chart in charts {
        let options = usvg::Options {
            fontdb: fonts.svg.clone(),
            font_family: FAMILY.to_owned(),
            ..usvg::Options::default()
        };
        let svg = match chart.svg.find('>') {
            Some(end) => format!(
                "{}{CHART_STYLE}{}",
                &chart.svg[..=end],
                &chart.svg[end + 1..]
            ),
            None => continue,
        };
        let tree = usvg::Tree::from_str(&svg, &options)
            .map_err(|e| Error::Render(format!("a chart could not be read: {e}")))?;
        let size = tree.size();
        let height = WIDTH * size.height() / size.width();
        layout.gap(12.0);
        layout.paragraph(MARGIN, WIDTH, 12.0, true, &chart.heading, height + 8.0);
        layout.gap(6.0);
        layout.room(height);
        let y = layout.y;
        layout.push(Step::Svg {
            y,
            height,
            tree: Box::new(tree),
        });
        layout.y += height;
    }
    draw(pack, layout.pages, fonts)
}

fn fill(grey: bool) -> Fill {
    let shade = if grey { 80 } else { 11 };
    Fill {
        paint: rgb::Color::new(shade, shade + 1, shade + 1).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn text(surface: &mut Surface<'_>, fonts: &Fonts, step: (f32, f32, f32, bool, bool, &str)) {
    let (x, y, size, bold, grey, words) = step;
    surface.set_fill(Some(fill(grey)));
    let font = if bold { &fonts.bold } else { &fonts.regular };
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        words,
        false,
        TextDirection::Auto,
    );
}

fn draw(pack: &Pack, pages: Vec<Vec<Step>>, fonts: &Fonts) -> Result<Vec<u8>> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{}: board pack, {}", pack.area, pack.period.label))
            .creator("outreach".to_owned()),
    );
    let total = pages.len();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| Error::Render("the page size is not valid".into()))?;
    for (index, steps) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut links = Vec::new();
        for step in steps {
            match step {
                Step::Text {
                    x,
                    y,
                    size,
                    bold,
                    grey,
                    text: words,
                } => text(&mut surface, fonts, (x, y, size, bold, grey, &words)),
                Step::Rule { y } => {
                    let mut line = PathBuilder::new();
                    line.push_rect(
                        krilla::geom::Rect::from_xywh(MARGIN, y, WIDTH, 0.5)
                            .ok_or_else(|| Error::Render("a rule is not valid".into()))?,
                    );
                    if let Some(path) = line.finish() {
                        surface.set_fill(Some(Fill {
                            paint: rgb::Color::new(177, 180, 182).into(),
                            opacity: NormalizedF32::ONE,
                            rule: Default::default(),
                        }));
                        surface.draw_path(&path);
                    }
                }
                Step::Svg { y, height, tree } => {
                    surface.push_transform(&Transform::from_translate(MARGIN, y));
                    let size = Size::from_wh(WIDTH, height)
                        .ok_or_else(|| Error::Render("a chart's size is not valid".into()))?;
                    surface.draw_svg(&tree, size, SvgSettings::default());
                    surface.pop();
                }
                Step::Link {
                    top,
                    height,
                    uri,
                    alt,
                } => links.push((top, height, uri, alt)),
            }
        }
        let footer_y = PAGE_HEIGHT - MARGIN + 18.0;
        text(
            &mut surface,
            fonts,
            (
                MARGIN,
                footer_y,
                8.5,
                false,
                true,
                &format!("{}: board pack, {}", pack.area, pack.period.label),
            ),
        );
        let numbering = format!("Page {} of {total}", index + 1);
        let right = MARGIN + WIDTH - width(&fonts.regular_face, 8.5, &numbering);
        text(
            &mut surface,
            fonts,
            (right, footer_y, 8.5, false, true, &numbering),
        );
        surface.finish();
        for (top, height, uri, alt) in links {
            let area = krilla::geom::Rect::from_xywh(MARGIN, top, WIDTH, height)
                .ok_or_else(|| Error::Render("a link's area is not valid".into()))?;
            page.add_annotation(Annotation::new_link(
                LinkAnnotation::new(area, Target::Action(LinkAction::new(uri).into())),
                Some(alt),
            ));
        }
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::Render(format!("the PDF could not be written: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_within_the_width() {
        let fonts = fonts().unwrap();
        let text = "The share of participants under 55 rose from 31% to 38% (up 7 points), \
                    not meeting the target of at least 40%.";
        let lines = wrap(&fonts.regular_face, 10.5, text, 200.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| width(&fonts.regular_face, 10.5, l) <= 200.0)
        );
        assert_eq!(lines.join(" "), text);
    }
}
