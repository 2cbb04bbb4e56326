//! The map of patches drawn as SVG on the server: no tiles, no scripts,
//! nothing from elsewhere. Each patch is its outline, shaded by households
//! contacted per 1,000 households and labelled with its name and figure in
//! words (never colour alone), a link to the Reach report for that patch;
//! an admin's map also has each door, filled when knocked in the period,
//! hollow when not. Colours are attributes, not classes, so the SVG a user
//! downloads looks the same on its own.

use std::fmt::Write as _;

use super::sections::{drill_href, thousands};
use crate::reports::{PatchMap, Withheld};

/// The shades, lightest first, and the lowest rate (per 1,000
/// households) each starts at.
const SHADES: [(f64, &str, &str); 5] = [
    (0.0, "#eff3ff", "under 100 per 1,000 households"),
    (100.0, "#bdd7e7", "100 to 199 per 1,000"),
    (200.0, "#6baed6", "200 to 299 per 1,000"),
    (300.0, "#3182bd", "300 to 499 per 1,000"),
    (500.0, "#08519c", "500 or more per 1,000"),
];
const NOT_SET: &str = "#ffffff";
const INK: &str = "#1b1b1b";
const WIDTH: f64 = 720.0;
const PAD: f64 = 16.0;
/// The map's tallest drawing, before the legend.
const MAX_HEIGHT: f64 = 560.0;

/// Text made safe for SVG markup.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A patch's shade: its fill and the legend's words for it.
pub(crate) fn shade(rate: Option<f64>, why: Option<Withheld>) -> (&'static str, &'static str) {
    match (rate, why) {
        (Some(rate), _) => SHADES
            .iter()
            .rev()
            .find(|(from, ..)| rate >= *from)
            .map_or((SHADES[0].1, SHADES[0].2), |(_, fill, words)| (fill, words)),
        (None, Some(Withheld::NotApplicable) | None) => (NOT_SET, "households not set"),
        (None, Some(_)) => ("url(#HATCH)", "hidden"),
    }
}

/// The figure a patch's label and link say.
pub(crate) fn rate_words(rate: Option<f64>, why: Option<Withheld>) -> String {
    match (rate, why) {
        (Some(rate), _) => format!("{rate:.1} per 1,000"),
        (None, Some(Withheld::NotApplicable) | None) => "households not set".to_owned(),
        (None, Some(_)) => "hidden".to_owned(),
    }
}

/// The map as SVG markup; `id` makes its element ids unique on a page.
pub(crate) fn map(id: &str, map: &PatchMap) -> String {
    let placed: Vec<[f64; 2]> = map
        .patches
        .iter()
        .flat_map(|p| p.outline.iter().copied())
        .collect();
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for [lon, lat] in &placed {
        west = west.min(*lon);
        east = east.max(*lon);
        south = south.min(*lat);
        north = north.max(*lat);
    }
    // Equal distances east and north: a longitude degree is shorter by the
    // cosine of the latitude.
    let squeeze = ((south + north) / 2.0).to_radians().cos().max(0.01);
    let (span_x, span_y) = (
        ((east - west) * squeeze).max(1e-6),
        (north - south).max(1e-6),
    );
    let scale = ((WIDTH - 2.0 * PAD) / span_x).min((MAX_HEIGHT - 2.0 * PAD) / span_y);
    let drawn_height = if placed.is_empty() {
        0.0
    } else {
        span_y * scale + 2.0 * PAD
    };
    let x = |lon: f64| PAD + (lon - west) * squeeze * scale;
    let y = |lat: f64| PAD + (north - lat) * scale;
    let hatch = format!("{id}-hatch");
    let title = "Households contacted per 1,000 households, per patch";
    let desc = if map.doors_drawn {
        "A map of the patches, each outlined around its doors and shaded by households contacted per 1,000 households, with each door on the list: filled when knocked in the period, hollow when not. Each patch links to the Reach report for that patch."
    } else {
        "A map of the patches, each outlined around its doors and shaded by households contacted per 1,000 households. Each patch links to the Reach report for that patch."
    };
    let mut body = String::new();
    let mut labels = String::new();
    for (i, p) in map.patches.iter().enumerate() {
        if p.outline.is_empty() {
            continue;
        }
        let why = |field: &str| map.withheld.get(&format!("patches.{i}.{field}")).copied();
        let rate_why = why("households_contacted_per_1000_households");
        let (fill, _) = shade(p.households_contacted_per_1000_households, rate_why);
        let fill = fill.replace("HATCH", &hatch);
        let points: Vec<String> = p
            .outline
            .iter()
            .map(|[lon, lat]| format!("{:.1},{:.1}", x(*lon), y(*lat)))
            .collect();
        let words = rate_words(p.households_contacted_per_1000_households, rate_why);
        let name = escape(&p.label);
        let link = format!(
            "{name}: households contacted {}. Open Reach for {name}",
            escape(&words)
        );
        let _ = write!(
            body,
            "<a href=\"{}\" aria-label=\"{link}\" class=\"patch\" data-patch=\"{}\">\
             <title>{link}</title>\
             <polygon points=\"{}\" fill=\"{fill}\" stroke=\"{INK}\" stroke-width=\"1.5\"/></a>",
            escape(&drill_href("reach", "patch", &p.patch)),
            escape(&p.patch),
            points.join(" "),
        );
        let n = p.outline.len() as f64;
        let (cx, cy) = p.outline.iter().fold((0.0, 0.0), |(a, b), [lon, lat]| {
            (a + x(*lon) / n, b + y(*lat) / n)
        });
        let halo = "stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"";
        let _ = write!(
            labels,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"700\" fill=\"{INK}\" {halo} aria-hidden=\"true\">{name}</text>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" fill=\"{INK}\" {halo} aria-hidden=\"true\">{}</text>",
            cy - 2.0,
            cy + 13.0,
            escape(&words),
        );
    }
    let mut dots = String::new();
    if map.doors_drawn {
        for door in &map.doors {
            let [lon, lat] = door.at;
            let fill = if door.knocked { INK } else { "#ffffff" };
            let _ = write!(
                dots,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.2\" fill=\"{fill}\" stroke=\"{INK}\" stroke-width=\"0.8\" class=\"door\"/>",
                x(lon),
                y(lat)
            );
        }
    }
    // The legend: every shade in words and numbers, the hidden one, and
    // the doors.
    let mut legend = String::new();
    let mut entries: Vec<(String, String, bool)> = SHADES
        .iter()
        .map(|(_, fill, words)| ((*fill).to_owned(), (*words).to_owned(), false))
        .collect();
    entries.push((
        format!("url(#{hatch})"),
        "hidden (too few to show safely)".to_owned(),
        false,
    ));
    entries.push((NOT_SET.to_owned(), "households not set".to_owned(), false));
    if map.doors_drawn {
        entries.push((
            INK.to_owned(),
            "door knocked in the period".to_owned(),
            true,
        ));
        entries.push((
            "#ffffff".to_owned(),
            "door not knocked in the period".to_owned(),
            true,
        ));
    }
    let top = drawn_height + 8.0;
    let _ = write!(
        legend,
        "<text x=\"{PAD}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"700\" fill=\"{INK}\">Households contacted per 1,000 households</text>",
        top + 12.0
    );
    for (k, (fill, words, dot)) in entries.iter().enumerate() {
        let (column, row) = ((k % 2) as f64, (k / 2) as f64);
        let (lx, ly) = (PAD + column * 330.0, top + 22.0 + row * 22.0);
        if *dot {
            let _ = write!(
                legend,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{fill}\" stroke=\"{INK}\" stroke-width=\"1\"/>",
                lx + 8.0,
                ly + 8.0
            );
        } else {
            let _ = write!(
                legend,
                "<rect x=\"{lx:.1}\" y=\"{ly:.1}\" width=\"16\" height=\"16\" fill=\"{fill}\" stroke=\"{INK}\" stroke-width=\"1\"/>"
            );
        }
        let _ = writeln!(
            legend,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"{INK}\">{}</text>",
            lx + 24.0,
            ly + 13.0,
            escape(words)
        );
    }
    let rows = entries.len().div_ceil(2) as f64;
    let mut height = top + 22.0 + rows * 22.0 + 4.0;
    if map.doors_without_location > 0 {
        let _ = writeln!(
            legend,
            "<text x=\"{PAD}\" y=\"{:.1}\" font-size=\"13\" fill=\"{INK}\">{}</text>",
            height + 10.0,
            escape(&unplaced_words(map.doors_without_location))
        );
        height += 20.0;
    }
    if placed.is_empty() {
        let _ = writeln!(
            legend,
            "<text x=\"{PAD}\" y=\"{:.1}\" font-size=\"13\" fill=\"{INK}\">No door on the list has a location yet, so there is nothing to draw.</text>",
            height + 10.0,
        );
        height += 20.0;
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\" class=\"chart map\" font-family=\"system-ui, sans-serif\">\n\
         <title id=\"{id}-t\">{title}</title>\n<desc id=\"{id}-d\">{desc}</desc>\n\
         <defs><pattern id=\"{hatch}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"8\" height=\"8\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#4a4a4a\" stroke-width=\"3\"/></pattern></defs>\n\
         <rect width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n\
         {body}{dots}\n{labels}{legend}</svg>"
    )
}

/// "312 doors have no location and are not on the map."
pub(crate) fn unplaced_words(n: u64) -> String {
    if n == 1 {
        "1 door has no location and is not on the map.".to_owned()
    } else {
        format!(
            "{} doors have no location and are not on the map.",
            thousands(n)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_say_their_range_and_a_hidden_figure_gets_none() {
        assert_eq!(shade(Some(224.0), None).1, "200 to 299 per 1,000");
        assert_eq!(shade(Some(0.0), None).1, "under 100 per 1,000 households");
        assert_eq!(shade(Some(1000.0), None).1, "500 or more per 1,000");
        assert_eq!(shade(None, Some(Withheld::Protects)).1, "hidden");
        assert_eq!(shade(None, Some(Withheld::Small)).1, "hidden");
        assert_eq!(
            shade(None, Some(Withheld::NotApplicable)).1,
            "households not set"
        );
        assert_eq!(rate_words(None, Some(Withheld::Small)), "hidden");
        assert_eq!(
            unplaced_words(312),
            "312 doors have no location and are not on the map."
        );
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
