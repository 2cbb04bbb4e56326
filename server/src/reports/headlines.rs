//! Headline figures: the few figures of a report a board looks at first,
//! read from the report as published (its JSON, with `withheld` saying why
//! a missing figure is missing), so they are exactly what the page shows,
//! hidden where it hides them. Comparing two periods is then generic: the
//! same report is computed for each, and the change of each headline is
//! derived here, and shown only when both figures are shown.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Withheld;
use super::period::{Compare, PeriodView};

/// What a headline counts, and so how its change is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// A count (people, doors, promises): changes as a number and a percentage.
    Count,
    /// A percentage (0 to 100): changes in percentage points.
    Percent,
    /// A rate per 1,000 households: changes as a number.
    PerThousand,
}

/// Where a headline is in a report's JSON.
enum Place {
    /// A figure at a dotted path (`all.promised`).
    At(&'static str),
    /// A share (0 to 1) at a path, shown as a percentage.
    Share(&'static str),
    /// One figure per element of a list (`by_patch`): its key from `id`,
    /// its label's ending from `label`, the figure at `field` (a share of
    /// 0 to 1 shown as a percentage when `share`).
    Each {
        list: &'static str,
        id: &'static str,
        label: Label,
        field: &'static str,
        share: bool,
    },
    /// A percentage of one figure over another (`part` of `whole`).
    Ratio {
        part: &'static str,
        whole: &'static str,
    },
}

/// Where a list element's label comes from.
#[derive(Clone, Copy)]
enum Label {
    /// The element's field of this name (the id when it has none).
    Field(&'static str),
    /// The id itself, as the area named it (a topic).
    Id,
    /// The id is an entry channel: its words (`youth-session`, "Youth session").
    Channel,
}

struct Spec {
    key: &'static str,
    label: &'static str,
    unit: Unit,
    place: Place,
}

const fn at(key: &'static str, label: &'static str, unit: Unit, place: Place) -> Spec {
    Spec {
        key,
        label,
        unit,
        place,
    }
}

/// The headline figures of each report that has them, in the dashboard's
/// order. Events has none: a period chooses its attendees by first contact
/// but counts every event held, so two periods' figures would compare
/// unlike things. The map's figures are Reach's and Doors'.
const CATALOGUE: &[(&str, &[Spec])] = &[
    (
        "funnel",
        &[at(
            "reached",
            "Reached",
            Unit::Count,
            Place::Each {
                list: "stages",
                id: "key",
                label: Label::Field("label"),
                field: "reached",
                share: false,
            },
        )],
    ),
    (
        "routes",
        &[
            at(
                "people",
                "People by how they came to us",
                Unit::Count,
                Place::Each {
                    list: "by_channel",
                    id: "entry_channel",
                    label: Label::Channel,
                    field: "people",
                    share: false,
                },
            ),
            at(
                "share_reaching_top",
                "Share reaching the top step, by how they came to us",
                Unit::Percent,
                Place::Each {
                    list: "by_channel",
                    id: "entry_channel",
                    label: Label::Channel,
                    field: "share_reaching_top",
                    share: true,
                },
            ),
        ],
    ),
    (
        "resident-led",
        &[
            at(
                "members",
                "Partnership members",
                Unit::Count,
                Place::At("current.members"),
            ),
            at(
                "resident_share",
                "Residents among members",
                Unit::Percent,
                Place::Each {
                    list: "current.shares",
                    id: "definition",
                    label: Label::Field("label"),
                    field: "share_percent",
                    share: false,
                },
            ),
        ],
    ),
    (
        "board",
        &[
            at(
                "members",
                "Partnership members",
                Unit::Count,
                Place::At("members"),
            ),
            at(
                "board_share_by_age",
                "Share of the board",
                Unit::Percent,
                Place::Each {
                    list: "age.sides",
                    id: "group",
                    label: Label::Field("label"),
                    field: "board_share_percent",
                    share: false,
                },
            ),
            at(
                "board_share_by_tenure",
                "Share of the board",
                Unit::Percent,
                Place::Each {
                    list: "tenure.sides",
                    id: "group",
                    label: Label::Field("label"),
                    field: "board_share_percent",
                    share: false,
                },
            ),
        ],
    ),
    (
        "civic-core",
        &[
            at(
                "active_people",
                "People active (attending, volunteering, in a group or a role)",
                Unit::Count,
                Place::At("active_people"),
            ),
            at(
                "top_tenth_share",
                "Share of all activity done by the most active tenth",
                Unit::Percent,
                Place::Share("top_tenth_share"),
            ),
            at(
                "two_or_more_roles",
                "People holding two roles or more",
                Unit::Count,
                Place::At("roles_held.two_or_more"),
            ),
        ],
    ),
    (
        "reach",
        &[
            at(
                "contacts",
                "People contacted",
                Unit::Count,
                Place::At("contacts"),
            ),
            at(
                "conversations",
                "Conversations (people)",
                Unit::Count,
                Place::At("conversations"),
            ),
            at(
                "participants",
                "Participants",
                Unit::Count,
                Place::At("participants"),
            ),
            at(
                "under_55_share_of_contacts",
                "Under 55, share of contacts",
                Unit::Percent,
                Place::Share("under_55_share_of_contacts"),
            ),
            at(
                "under_55_share_of_participants",
                "Under 55, share of participants",
                Unit::Percent,
                Place::Share("under_55_share_of_participants"),
            ),
            at(
                "contacts",
                "People contacted",
                Unit::Count,
                Place::Each {
                    list: "by_patch",
                    id: "group",
                    label: Label::Field("label"),
                    field: "contacts",
                    share: false,
                },
            ),
        ],
    ),
    (
        "turnover",
        &[
            at(
                "members_now",
                "Partnership members now",
                Unit::Count,
                Place::At("members_now"),
            ),
            at(
                "vacancies",
                "Empty seats now",
                Unit::Count,
                Place::At("vacancies"),
            ),
            at(
                "pipeline",
                "In a working group, without a seat",
                Unit::Count,
                Place::At("pipeline"),
            ),
        ],
    ),
    (
        "groups",
        &[at(
            "members_now",
            "Members now",
            Unit::Count,
            Place::Each {
                list: "groups",
                id: "group",
                label: Label::Field("name"),
                field: "members_now",
                share: false,
            },
        )],
    ),
    (
        "champions",
        &[
            at(
                "knocks",
                "Doors knocked by champions",
                Unit::Count,
                Place::At("knocks"),
            ),
            at(
                "conversations_held",
                "Conversations held by champions",
                Unit::Count,
                Place::At("conversations_held"),
            ),
            at(
                "follow_ups_overdue",
                "Follow-ups overdue",
                Unit::Count,
                Place::At("follow_ups_overdue"),
            ),
        ],
    ),
    (
        "households",
        &[
            at(
                "doors_knocked",
                "Doors knocked",
                Unit::Count,
                Place::At("doors_knocked"),
            ),
            at(
                "doors_answered",
                "Doors answered",
                Unit::Count,
                Place::At("doors_answered"),
            ),
            at(
                "knocked_per_1000_households",
                "Doors knocked per 1,000 households",
                Unit::PerThousand,
                Place::Each {
                    list: "by_patch",
                    id: "patch",
                    label: Label::Field("label"),
                    field: "knocked_per_1000_households",
                    share: false,
                },
            ),
        ],
    ),
    (
        "voices",
        &[at(
            "raised",
            "Conversations raising",
            Unit::Count,
            Place::Each {
                list: "topics",
                id: "topic",
                label: Label::Id,
                field: "raised",
                share: false,
            },
        )],
    ),
    (
        "you-said-we-did",
        &[
            at(
                "promised",
                "Promises made",
                Unit::Count,
                Place::At("all.promised"),
            ),
            at("done", "Promises kept", Unit::Count, Place::At("all.done")),
            at(
                "kept_on_time_share",
                "Promises kept on time, share of promises made",
                Unit::Percent,
                Place::Ratio {
                    part: "all.done_on_time",
                    whole: "all.promised",
                },
            ),
        ],
    ),
];

/// One headline figure of one report, for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Its key: the catalogue's, with `@` and the list element's id for a
    /// figure per patch (`knocked_per_1000_households@elm-road`).
    pub key: String,
    /// In words.
    pub label: String,
    /// What it counts.
    pub unit: Unit,
    /// The figure, or why not.
    pub value: Result<f64, Withheld>,
}

/// The reports that have headline figures, in the catalogue's order.
pub fn reports() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(name, _)| *name)
}

/// Whether the report called `report` has headline figures.
pub fn has_headlines(report: &str) -> bool {
    CATALOGUE.iter().any(|(name, _)| *name == report)
}

/// The headline keys a target may name for the report called `report`:
/// each key, and for a figure per patch `KEY@*` (every patch) and
/// `KEY@SLUG` for each of `patches`. With their labels and units.
pub fn target_keys(report: &str, patches: &[(String, String)]) -> Vec<(String, String, Unit)> {
    let mut keys = Vec::new();
    for spec in specs(report) {
        match spec.place {
            Place::Each {
                list: "by_patch", ..
            } => {
                keys.push((
                    format!("{}@*", spec.key),
                    format!("{}: every patch", spec.label),
                    spec.unit,
                ));
                for (slug, name) in patches {
                    keys.push((
                        format!("{}@{slug}", spec.key),
                        format!("{}: {name}", spec.label),
                        spec.unit,
                    ));
                }
            }
            Place::Each { .. } => keys.push((
                format!("{}@*", spec.key),
                format!("{}: each", spec.label),
                spec.unit,
            )),
            _ => keys.push((spec.key.to_owned(), spec.label.to_owned(), spec.unit)),
        }
    }
    keys
}

fn specs(report: &str) -> &'static [Spec] {
    CATALOGUE
        .iter()
        .find(|(name, _)| *name == report)
        .map_or(&[], |(_, specs)| specs)
}

fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, step| match v {
        Value::Object(map) => map.get(step),
        Value::Array(items) => items.get(step.parse::<usize>().ok()?),
        _ => None,
    })
}

/// The figure at `path` of a published report, or why it is missing.
fn figure(report: &Value, path: &str) -> Result<f64, Withheld> {
    match get(report, path).and_then(Value::as_f64) {
        Some(n) => Ok(n),
        None => Err(report
            .get("withheld")
            .and_then(|w| w.get(path))
            .and_then(|why| serde_json::from_value(why.clone()).ok())
            .unwrap_or(Withheld::NotApplicable)),
    }
}

/// A share of 0 to 1 as a percentage, to one decimal place.
fn percent(share: f64) -> f64 {
    (share * 1000.0).round() / 10.0
}

/// The headline figures of the report called `name`, as published in
/// `report`.
pub fn read(name: &str, report: &Value) -> Vec<Figure> {
    let mut figures = Vec::new();
    for spec in specs(name) {
        let one = |key: String, label: String, value| Figure {
            key,
            label,
            unit: spec.unit,
            value,
        };
        match spec.place {
            Place::At(path) => {
                figures.push(one(
                    spec.key.into(),
                    spec.label.into(),
                    figure(report, path),
                ));
            }
            Place::Share(path) => figures.push(one(
                spec.key.into(),
                spec.label.into(),
                figure(report, path).map(percent),
            )),
            Place::Ratio { part, whole } => {
                let value = figure(report, part).and_then(|part| {
                    let whole = figure(report, whole)?;
                    if whole > 0.0 {
                        Ok(percent(part / whole))
                    } else {
                        Err(Withheld::NotApplicable)
                    }
                });
                figures.push(one(spec.key.into(), spec.label.into(), value));
            }
            Place::Each {
                list,
                id,
                label,
                field,
                share,
            } => {
                let items = get(report, list).and_then(Value::as_array);
                for (i, item) in items.into_iter().flatten().enumerate() {
                    let Some(item_id) = item.get(id).and_then(Value::as_str) else {
                        continue;
                    };
                    let item_label = match label {
                        Label::Field(name) => item
                            .get(name)
                            .and_then(Value::as_str)
                            .unwrap_or(item_id)
                            .to_owned(),
                        Label::Id => item_id.to_owned(),
                        Label::Channel => crate::labels::channel_text(item_id),
                    };
                    let value = figure(report, &format!("{list}.{i}.{field}"));
                    figures.push(one(
                        format!("{}@{item_id}", spec.key),
                        format!("{}: {item_label}", spec.label),
                        if share { value.map(percent) } else { value },
                    ));
                }
            }
        }
    }
    figures
}

/// A headline figure beside the same figure for the period it is compared
/// with, and the change between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Headline {
    /// Its key (`contacts`; `knocked_per_1000_households@elm-road` for a
    /// patch's): what a target names.
    pub key: String,
    /// In words.
    pub label: String,
    /// What it counts: `count`, `percent` or `per-thousand` (households).
    pub unit: Unit,
    /// The figure for the period, or `null` with `withheld` saying why.
    pub value: Option<f64>,
    /// Why `value` is missing (`small`, `protects`, `not-applicable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
    /// The same figure for the period it is compared with.
    pub earlier: Option<f64>,
    /// Why `earlier` is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_withheld: Option<Withheld>,
    /// `value` less `earlier` (percentage points for a percentage): only
    /// when both are shown.
    pub change: Option<f64>,
    /// The change as a percentage of `earlier`, for counts and rates.
    pub change_percent: Option<f64>,
    /// Why there is no change, in words, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_change_because: Option<String>,
    /// The partnership's target for it, and whether the figure meets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<super::targets::Judged>,
}

#[cfg(test)]
impl Headline {
    /// A headline with no figures, change or target, for tests to fill in.
    pub(crate) fn blank(key: &str, label: &str, unit: Unit) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
            unit,
            value: None,
            withheld: None,
            earlier: None,
            earlier_withheld: None,
            change: None,
            change_percent: None,
            no_change_because: None,
            target: None,
        }
    }
}

/// A report's headlines for a period, compared with another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Headlines {
    /// The period the report covers, when one was chosen.
    pub period: Option<PeriodView>,
    /// What it is compared with (`previous`, `year-before`), if anything.
    pub compare: Option<Compare>,
    /// The period it is compared with.
    pub compared_with: Option<PeriodView>,
    /// Why there is no comparison, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_comparison_because: Option<String>,
    /// Each headline figure with its change.
    pub figures: Vec<Headline>,
    /// The area's threshold the report hid small figures with, for saying
    /// "fewer than N" where a figure is hidden (the JSON says why instead).
    #[serde(skip)]
    pub suppressed_below: u64,
}

fn round(n: f64) -> f64 {
    (n * 10.0).round() / 10.0
}

/// Each figure of `now` beside the same figure of `earlier` (when there is
/// a comparison; `None` when there is none), with the change between them.
/// A change is given only when both figures are shown: a hidden figure's
/// change would give it away.
pub fn compare(now: Vec<Figure>, earlier: Option<&[Figure]>) -> Vec<Headline> {
    now.into_iter()
        .map(|figure| {
            let before = earlier.map(|e| e.iter().find(|f| f.key == figure.key));
            let before_value = before.flatten().map(|f| f.value);
            let (change, change_percent, because) = match (figure.value, before_value) {
                (_, None) if earlier.is_none() => (None, None, None),
                (_, None) => (
                    None,
                    None,
                    Some("there is no such figure for the earlier period"),
                ),
                (Ok(now), Some(Ok(then))) => {
                    let change = round(now - then);
                    let percent = (figure.unit != Unit::Percent && then > 0.0)
                        .then(|| round((now - then) * 100.0 / then));
                    (Some(change), percent, None)
                }
                (Err(_), Some(Ok(_))) => (
                    None,
                    None,
                    Some("this period's figure is hidden, so its change would give it away"),
                ),
                (Ok(_), Some(Err(Withheld::NotApplicable))) => (
                    None,
                    None,
                    Some("the earlier period has no such figure (a share of nobody)"),
                ),
                (Ok(_), Some(Err(_))) => (
                    None,
                    None,
                    Some("the earlier period's figure is hidden, so the change would give it away"),
                ),
                (Err(_), Some(Err(_))) => (None, None, Some("both figures are hidden")),
            };
            Headline {
                key: figure.key,
                label: figure.label,
                unit: figure.unit,
                value: figure.value.ok(),
                withheld: figure.value.err(),
                earlier: before_value.and_then(Result::ok),
                earlier_withheld: before_value.and_then(Result::err),
                change,
                change_percent,
                no_change_because: because.map(str::to_owned),
                target: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headlines_are_read_where_the_report_publishes_them() {
        let report = json!({
            "contacts": 120, "conversations": null, "participants": 40,
            "under_55_share_of_contacts": 0.456, "under_55_share_of_participants": null,
            "by_patch": [
                {"group": "elm-road", "label": "Elm Road", "contacts": 70},
                {"group": "oak-lane", "label": "Oak Lane", "contacts": null},
            ],
            "withheld": {"conversations": "protects", "by_patch.1.contacts": "small"},
        });
        let figures = read("reach", &report);
        let value = |key: &str| figures.iter().find(|f| f.key == key).unwrap().value;
        assert_eq!(value("contacts"), Ok(120.0));
        assert_eq!(value("conversations"), Err(Withheld::Protects));
        assert_eq!(value("under_55_share_of_contacts"), Ok(45.6));
        assert_eq!(
            value("under_55_share_of_participants"),
            Err(Withheld::NotApplicable)
        );
        assert_eq!(value("contacts@elm-road"), Ok(70.0));
        assert_eq!(value("contacts@oak-lane"), Err(Withheld::Small));
        let label = &figures
            .iter()
            .find(|f| f.key == "contacts@oak-lane")
            .unwrap()
            .label;
        assert_eq!(label, "People contacted: Oak Lane");
        assert!(read("events", &report).is_empty());
    }

    #[test]
    fn list_figures_take_their_labels_and_shares_as_the_report_says() {
        let routes = json!({
            "by_channel": [
                {"entry_channel": "youth-session", "people": 40, "share_reaching_top": 0.125},
                {"entry_channel": "doorstep", "people": null, "share_reaching_top": null},
            ],
            "withheld": {"by_channel.1.people": "small", "by_channel.1.share_reaching_top": "small"},
        });
        let figures = read("routes", &routes);
        let find = |key: &str| figures.iter().find(|f| f.key == key).unwrap();
        assert_eq!(find("share_reaching_top@youth-session").value, Ok(12.5));
        assert_eq!(find("people@youth-session").value, Ok(40.0));
        assert_eq!(
            find("people@youth-session").label,
            "People by how they came to us: Signed up at a youth session"
        );
        assert_eq!(
            find("share_reaching_top@doorstep").value,
            Err(Withheld::Small)
        );
        let groups =
            json!({"groups": [{"group": "g-1", "name": "Events team", "members_now": 12}]});
        let figures = read("groups", &groups);
        assert_eq!(figures[0].key, "members_now@g-1");
        assert_eq!(figures[0].label, "Members now: Events team");
        let voices = json!({"topics": [{"topic": "litter", "raised": 27}]});
        assert_eq!(
            read("voices", &voices)[0].label,
            "Conversations raising: litter"
        );
    }

    #[test]
    fn a_ratio_is_hidden_with_either_of_its_figures() {
        let report = |done_on_time: Value| {
            json!({"all": {"promised": 40, "done_on_time": done_on_time},
                   "withheld": {"all.done_on_time": "small"}})
        };
        let share = |r: &Value| read("you-said-we-did", r)[2].value;
        assert_eq!(share(&report(json!(30))), Ok(75.0));
        assert_eq!(share(&report(Value::Null)), Err(Withheld::Small));
    }

    #[test]
    fn a_change_is_shown_only_when_both_figures_are() {
        let f = |key: &str, unit, value| Figure {
            key: key.into(),
            label: key.into(),
            unit,
            value,
        };
        let now = vec![
            f("a", Unit::Count, Ok(120.0)),
            f("b", Unit::Count, Err(Withheld::Small)),
            f("c", Unit::Count, Ok(50.0)),
            f("d", Unit::Percent, Ok(61.5)),
            f("e", Unit::Count, Ok(9.0)),
        ];
        let earlier = vec![
            f("a", Unit::Count, Ok(100.0)),
            f("b", Unit::Count, Ok(30.0)),
            f("c", Unit::Count, Err(Withheld::Protects)),
            f("d", Unit::Percent, Ok(58.0)),
        ];
        let h = compare(now.clone(), Some(&earlier));
        assert_eq!((h[0].change, h[0].change_percent), (Some(20.0), Some(20.0)));
        assert_eq!(h[1].change, None);
        assert!(
            h[1].no_change_because
                .as_deref()
                .unwrap()
                .contains("this period's")
        );
        assert_eq!(h[1].earlier, Some(30.0));
        assert_eq!(
            (h[2].change, h[2].earlier_withheld),
            (None, Some(Withheld::Protects))
        );
        assert_eq!((h[3].change, h[3].change_percent), (Some(3.5), None));
        assert!(h[4].no_change_because.is_some());
        let alone = compare(now, None);
        assert!(
            alone
                .iter()
                .all(|h| h.change.is_none() && h.no_change_because.is_none())
        );
    }
}
