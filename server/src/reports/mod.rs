//! Reports for partnerships, read from the projections. No report returns
//! a name or a contact detail.
//!
//! **People.** Unless a report says otherwise, it counts the people
//! contacted (who reached the ladder's first stage), chosen by [`Filters`]:
//! the date range and cohort select people by first contact.
//!
//! **Disclosure control.** Within a page, [`disclosure`] hides every count
//! from 1 to below the area's threshold (`suppress_below`, 5 unless set)
//! and whatever else would let one be worked out from the figures shown
//! together; JSON says why each missing figure is missing (`withheld`).
//! Across pages, viewers' counts of people are adjusted by the cell key
//! method ([`cell_key`]), and a viewer's filtered report must count at
//! least [`MIN_FILTERED_PEOPLE`] times the threshold in people. Admins see
//! exact figures. The partnership's own membership (a public board) is not
//! hidden or adjusted; its members' ages and housing are (see [`board`]).
//!
//! **Speed.** Each report reads the `people` rows and small tables (stages
//! through a covering index, roles, events, open follow-ups, per-champion
//! summaries), never a scan of every interaction: see BENCHMARKS.md.

mod board;
pub mod cell_key;
mod champions;
mod civic;
pub mod disclosure;
mod events;
mod funnel;
mod groups;
pub mod headlines;
mod households;
mod map;
pub mod pack;
pub mod pack_pdf;
pub mod period;
mod promises;
mod reach;
mod seats;
pub mod targets;
mod trends;
mod voices;

pub use board::{Board, BoardBreakdown, BoardGroup, BoardPublicRow, BoardSide, board};
pub use cell_key::Audience;
pub use champions::{ChampionActivity, ChampionRow, champion_activity};
pub use civic::{AttendanceMonth, CivicCore, EventAttendance, RolesHeld, civic_core};
pub use disclosure::Withheld;
pub use events::{EventGroup, EventReach, event_reach};
pub use funnel::{ChannelOutcome, Funnel, FunnelStage, Route, Routes, funnel, routes};
pub use groups::{GroupFigures, GroupsReport};
pub use headlines::{Headline, Headlines};
pub use households::{HouseholdReach, HouseholdRow, household_reach};
pub use map::{MARGIN_METRES, MapDoorPoint, MapPatch, PatchMap, patch_map};
pub use period::{Compare, Period, PeriodView};
pub use promises::{PromiseRow, YouSaidWeDid, you_said_we_did};
pub use reach::{NOT_RECORDED, Reach, ReachRow, reach};
pub use seats::{
    Composition, PipelineGroup, ResidentLed, ResidentShare, Turnover, TurnoverYear, resident_led,
    turnover,
};
pub use trends::{DoorWeeks, TrendCohort, TrendPatch, Trends, trends};
pub use voices::{VoicePatch, VoiceTopic, Voices, voices};

use serde::{Deserialize, Serialize};
use sync_core::{AgeBand, AreaConfig, DeviceId, EntryChannel, Ladder, Timestamp};

use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::report_rows::{self, Selection};

/// Filters every report takes (query parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
pub struct Filters {
    /// People first contacted on or after this day (ms since the epoch,
    /// moved back to the start of its day, UTC).
    pub from: Option<i64>,
    /// People first contacted before this day (ms since the epoch, moved
    /// back to the start of its day, UTC).
    pub to: Option<i64>,
    /// Only this patch.
    pub patch: Option<String>,
    /// Only this entry channel: doorstep, event, youth-session, referral or other.
    pub channel: Option<String>,
    /// Only this age band (e.g. `25-34`).
    pub age_band: Option<String>,
    /// Only people who have reached this step of the area's ladder, or gone
    /// past it (the step's key, e.g. `participant`): "reached" as on the
    /// funnel, so someone who volunteers has reached Participant too.
    pub stage: Option<String>,
    /// Only people this street champion knocked for: a doorstep visit
    /// recorded on the champion's phone (its device id, as the Champions
    /// report gives it). For admins only: a viewer is refused (403).
    pub champion: Option<String>,
    /// Only people first contacted in this month (`YYYY-MM`, UTC).
    pub cohort: Option<String>,
    /// The period covered: a month (`2026-09`), a quarter (`2026-Q3`) or a
    /// year (`2026`), UTC; instead of `from` and `to`, which choose any days.
    pub period: Option<String>,
    /// What the headline figures are compared with: `previous` (the
    /// period of the same length before; the default with `period`),
    /// `year-before` (the same period a year earlier) or `none`. Needs a
    /// `period`, or both `from` and `to`.
    pub compare: Option<String>,
    /// `csv` for CSV (or send `Accept: text/csv`).
    pub format: Option<String>,
}

/// The `[start, end)` of a `YYYY-MM` cohort.
fn cohort_range(cohort: &str) -> Result<(i64, i64)> {
    crate::calendar::month_range(cohort)
        .ok_or_else(|| Error::BadRequest(format!("cohort {cohort:?} is not YYYY-MM")))
}

/// The index of the stage called `key` on `ladder`.
fn stage_index(ladder: &Ladder, key: &str) -> Result<usize> {
    let key = key.trim();
    ladder
        .stages()
        .iter()
        .position(|s| s.key == key)
        .ok_or_else(|| {
            let keys: Vec<&str> = ladder.stages().iter().map(|s| s.key.as_str()).collect();
            Error::BadRequest(format!(
                "there is no stage {key:?} on this area's ladder: choose one of {}",
                keys.join(", ")
            ))
        })
}

impl Filters {
    /// The people these filters choose, checked: an unknown channel, age
    /// band or champion id, a stage `ladder` does not have, a cohort that
    /// is not a month, or a period that ends before it starts, is refused.
    /// Dates are whole days (UTC): `from` and `to` are moved back to the
    /// start of their day, so no two periods differ by less than a day's
    /// first contacts (a viewer cannot single out one person by moving a
    /// boundary a millisecond at a time).
    pub fn selection(&self, ladder: &Ladder) -> Result<Selection> {
        let Self {
            from: _,
            to: _,
            patch,
            channel,
            age_band,
            stage,
            champion,
            cohort,
            period: _,
            compare: _,
            format: _,
        } = self;
        let (from, to) = self.days()?;
        Ok(Selection {
            from,
            to,
            within: cohort.as_deref().map(cohort_range).transpose()?,
            patch: patch.clone(),
            channel: channel
                .as_deref()
                .map(|c| {
                    EntryChannel::parse(c)
                        .ok_or_else(|| Error::BadRequest(format!("unknown entry channel {c:?}")))
                })
                .transpose()?,
            age_band: age_band
                .as_deref()
                .map(|b| {
                    AgeBand::parse(b)
                        .ok_or_else(|| Error::BadRequest(format!("unknown age band {b:?}")))
                })
                .transpose()?,
            stage: stage
                .as_deref()
                .map(|key| stage_index(ladder, key))
                .transpose()?,
            champion: champion
                .as_deref()
                .map(|id| {
                    // Not echoed: a mistaken value could be a name or an email.
                    id.trim().parse::<DeviceId>().map_err(|_| {
                        Error::BadRequest(
                            "the champion filter is not a phone's id: choose a champion from the list"
                                .into(),
                        )
                    })
                })
                .transpose()?,
        })
    }

    /// The `[from, to)` of first contacts chosen, in whole UTC days, from a
    /// period or the dates; both at once, or an end before the start, are
    /// refused.
    fn days(&self) -> Result<(Option<i64>, Option<i64>)> {
        let day = |ms: &i64| ms.div_euclid(Timestamp::DAY_MILLIS) * Timestamp::DAY_MILLIS;
        let (from, to) = match &self.period {
            Some(_) if self.from.is_some() || self.to.is_some() => {
                return Err(Error::BadRequest(
                    "choose a period or \"from\" and \"to\" dates, not both".into(),
                ));
            }
            Some(period) => {
                let period = Period::parse(period)?;
                (Some(period.from), Some(period.to))
            }
            None => (self.from.as_ref().map(day), self.to.as_ref().map(day)),
        };
        if let (Some(start), Some(end)) = (from, to)
            && start > end
        {
            return Err(Error::BadRequest(
                "the period ends before it starts: choose a \"to\" date after the \"from\" date"
                    .into(),
            ));
        }
        Ok((from, to))
    }

    /// Whether a filter that describes people (entry channel, age band,
    /// stage reached, champion) is chosen: reports of what happened
    /// (doors, topics, promises, trends) refuse them.
    pub fn describes_people(&self) -> bool {
        self.channel.is_some()
            || self.age_band.is_some()
            || self.stage.is_some()
            || self.champion.is_some()
    }

    /// The period these filters choose, if they choose one with a start
    /// and an end, what it is compared with, and the filters of the period
    /// it is compared with. A comparison asked for without a period, or
    /// with a cohort (a month of first contacts, which no other period
    /// holds), is refused.
    pub fn periods(&self) -> Result<Periods> {
        self.days()?;
        if let Some(cohort) = &self.cohort {
            cohort_range(cohort)?;
        }
        let period = match (&self.period, self.from, self.to) {
            (Some(period), ..) => Some(Period::parse(period)?),
            (None, Some(from), Some(to)) => Some(Period::days(from, to)?),
            _ => None,
        };
        let compare = match (&self.compare, &self.period) {
            (Some(compare), _) => Compare::parse(compare)?,
            (None, Some(_)) => Some(Compare::Previous),
            (None, None) => None,
        };
        let Some(compare) = compare else {
            return Ok(Periods {
                period,
                compare: None,
                earlier: None,
            });
        };
        let Some(now) = period else {
            return Err(Error::BadRequest(
                "a comparison needs a period: choose a month, quarter or year, or both dates"
                    .into(),
            ));
        };
        if self.cohort.is_some() {
            return Err(Error::BadRequest(
                "a comparison cannot be made within one month of first contacts (a cohort): \
                 choose a period instead"
                    .into(),
            ));
        }
        let earlier = now.compared(compare)?;
        let filters = Self {
            from: Some(earlier.from),
            to: Some(earlier.to),
            period: None,
            compare: None,
            ..self.clone()
        };
        Ok(Periods {
            period,
            compare: Some(compare),
            earlier: Some((earlier, filters)),
        })
    }

    /// Whether CSV was asked for in the query.
    pub fn wants_csv(&self) -> bool {
        self.format
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("csv"))
    }
}

/// A partnership report: what the API serves as JSON (serde) or CSV, and
/// the dashboard shows as a page. To publish one, give it an entry in the
/// registry (`http::reports::REPORTS`).
pub trait Report: Serialize + utoipa::ToSchema + Send + Sized + 'static {
    /// Which of the [`Filters`] it takes.
    const FILTERS: FilterUse;

    /// What it counts people by: each can be recorded on a phone and by an
    /// admin, and a test records each one and finds it in the report.
    const BREAKDOWNS: &'static [Dimension] = &[];

    /// Computes it at `now` for what `filters` choose, as `audience` may
    /// see it.
    fn load(
        db: &Db,
        filters: &Filters,
        audience: Audience,
        now: Timestamp,
    ) -> impl Future<Output = Result<Self>> + Send;

    /// Computes it as [`Report::load`] does, but may leave out what its
    /// headline figures do not need (the board pack shows nothing else):
    /// every headline figure must come out the same, hidden or shown. By
    /// default, the whole report.
    fn load_headlines(
        db: &Db,
        filters: &Filters,
        audience: Audience,
        now: Timestamp,
    ) -> impl Future<Output = Result<Self>> + Send {
        Self::load(db, filters, audience, now)
    }

    /// Its figures as CSV; suppressed cells read `<N` (the threshold).
    fn to_csv(&self) -> String;

    /// The relations between the figures it published, with their true
    /// counts, for an auditor: `None` while the report still hides small
    /// counts breakdown by breakdown.
    fn disclosure_page(&self) -> Option<&disclosure::Page> {
        None
    }

    /// Whether its counts of people are adjusted by the cell key method
    /// (for viewers).
    fn is_adjusted(&self) -> bool {
        false
    }
}

/// A characteristic of people that a report breaks its counts down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The patch they are in.
    Patch,
    /// How they first came to us.
    EntryChannel,
    /// Their age band.
    AgeBand,
    /// Their housing tenure.
    Tenure,
    /// Their preferred language.
    Language,
    /// Their ethnic group (recorded only with equality-monitoring consent).
    Ethnicity,
    /// Why they count as a resident.
    Residency,
}

/// What the words on the reports mean: one meaning per word, on every
/// page ("What these figures mean") and in the API's description of every
/// report.
pub const GLOSSARY: [(&str, &str); 18] = [
    (
        "People, contacts",
        "Each person once, however often we met them. Contacts are the people we have any record of contact with (a knock that found them in, a sign-up, an event, a referral): the same number on Reach and on the funnel's first step.",
    ),
    (
        "Conversations",
        "People who have reached the ladder's Conversation step, each once: spoken with at their door, signed up to something, or gone further (someone who volunteered with no conversation recorded counts). The same number on Reach and on the funnel's Conversation step.",
    ),
    (
        "Participants",
        "People who have reached the Participant step, each once: taken part in an event or activity, or gone further (volunteering, a working group, the partnership). The same number on Reach and on the funnel.",
    ),
    (
        "Conversations held",
        "On the Champions page: each doorstep conversation a champion recorded, so someone spoken with twice counts twice.",
    ),
    (
        "Knocks",
        "Each visit a champion recorded at a door, whatever happened: a door knocked twice is two knocks.",
    ),
    (
        "Doors knocked",
        "Doors knocked at least once in the period, each once (the Doors page).",
    ),
    (
        "Doors answered",
        "Doors where the household came to the door: we spoke, or they did not want to talk.",
    ),
    (
        "Household moved away",
        "Doors where we were told the household had moved away, counted apart from those answered; as a share of doors knocked it says how transient a patch is. A door knocked again for its new household can be in both.",
    ),
    (
        "Follow-ups owed, overdue",
        "Something promised at the door and not yet done. Overdue: past the date the champion gave for it, or, when none was given, more than the area's number of days (28 unless the admin changed it) after it was promised.",
    ),
    (
        "Per 1,000 households",
        "Households (doors knocked or answered on the Doors page; households with anyone contacted, spoken with or taking part on Reach) divided by the patch's households as an admin set them, times 1,000: households above the line and below, so never more than 1,000 while the patch's count is right. People whose household is not known (an event sign-up without an address) are in no household figure.",
    ),
    (
        "Reached, through",
        "On the funnel, reached counts everyone at a step or past it: someone who joined the partnership straight from a conversation has reached every step below. Through counts only those who did that step themselves (came to an event, volunteered, joined a working group), so moving on \"through\" a step follows the path people really took.",
    ),
    (
        "Headcount",
        "People counted at an event without a record of each (a fun day's crowd), as its organisers gave it. Not people we hold records of: shown exact, never added to people counted by name.",
    ),
    (
        "Attendances, first time, holding a role",
        "On the Events page each person recorded at an event counts once for that event, so someone at three sessions is three attendances. First time: their first event ever. Holding a role: they then held a seat or an office on the partnership, or were in a working group.",
    ),
    (
        "Fewer than N",
        "A count from 1 to N-1 (N is the area's threshold), hidden so that nobody can be picked out. On the Board page, board members' ages and housing also hide a count of 0: everyone knows who sits on the board, so a 0 would tell every member's.",
    ),
    (
        "Board",
        "The partnership board now: everyone holding a partnership seat (member, chair, vice-chair, treasurer) today, each once. Who sits on it, the resident definitions they meet and the other hats they declare are public, so those figures are exact; their ages and housing are shown only as two sides (under 55 or 55 and over; owns their home or not), and only when neither side would give a member's away.",
    ),
    (
        "Census",
        "Figures an admin copied from the census for a patch: residents by age band and households by tenure. The area's census is the sum over the patches that have one, and each page says which patches have none. Census ages are compared among adults (18 and over), as the board is.",
    ),
    (
        "Adjusted figures",
        "For viewers, each count of people is moved a little by a fixed rule, so that comparing two reports cannot single anyone out: most not at all, most of the rest by 1 or 2, a few by more. The same figure always reads the same, but totals may differ slightly from the sum of their parts. Admins see exact figures.",
    ),
    (
        "Hidden so that a small group cannot be worked out",
        "A larger figure hidden because, with the figures shown, it would give a small one away. A dash: the figure does not apply (a share of nobody).",
    ),
];

/// A viewer's filtered report must count at least this many times the
/// area's threshold in people (50 with the default threshold of 5).
pub const MIN_FILTERED_PEOPLE: u64 = 10;

/// Why a viewer may not choose people by the champion who knocked for
/// them: one champion's people are a small group, chosen by who met them
/// rather than by anything about them, and their breakdowns would describe
/// that champion's work person by person.
pub const CHAMPION_FILTER: &str = "only admins can choose people by the champion who knocked for them: a viewer sees every champion's people together";

/// What a page of adjusted figures says about them.
pub const ADJUSTED: &str = "These figures are adjusted slightly (most not at all, most of the rest by 1 or 2) so that comparing two reports cannot single anyone out: the same figure always reads the same, but totals may not equal the sum of their parts. Admins see exact figures.";

/// The period a report covers and the one it is compared with.
#[derive(Debug, Clone)]
pub struct Periods {
    /// The period chosen, if it has a start and an end.
    pub period: Option<Period>,
    /// What it is compared with.
    pub compare: Option<Compare>,
    /// The period it is compared with, and the filters that choose it.
    pub earlier: Option<(Period, Filters)>,
}

/// Which filters a report takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterUse {
    /// All of them: people chosen by first contact (dates, cohort), patch,
    /// entry channel, age band, the stage reached and the champion who
    /// knocked.
    People,
    /// Dates, cohort and patch, choosing what happened (door knocks, topics
    /// raised, promises made) by when it happened: the filters that
    /// describe people (entry channel, age band, stage, champion) do not
    /// describe what happened to them.
    Happenings,
    /// None: the report is about the whole partnership board.
    None,
}

/// The area's threshold for small counts; pages hide with
/// [`disclosure::Page::protect`], a figure that stands alone with
/// [`Suppression::count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    below: u64,
}

impl Default for Suppression {
    fn default() -> Self {
        Self::new(AreaConfig::DEFAULT_SUPPRESS_BELOW)
    }
}

impl Suppression {
    /// Suppresses counts from 1 to `below - 1`.
    pub fn new(below: u32) -> Self {
        Self {
            below: u64::from(below),
        }
    }

    /// The threshold.
    pub fn below(self) -> u64 {
        self.below
    }

    /// A count, or `None` when suppressed. Zero is shown: it singles nobody out.
    pub fn count(self, n: u64) -> Option<u64> {
        (n == 0 || n >= self.below).then_some(n)
    }
}

/// What every report needs from the area: the ladder, the threshold and the
/// configuration itself (`None` before an admin sets the area up).
struct Setup {
    area: Option<AreaConfig>,
    ladder: Ladder,
    suppression: Suppression,
}

impl Setup {
    async fn load(db: &Db) -> Result<Self> {
        let area = crate::store::area::read(db).await?;
        Ok(Self {
            ladder: area.as_ref().map(|a| a.ladder.clone()).unwrap_or_default(),
            suppression: area
                .as_ref()
                .map(|a| Suppression::new(a.suppress_below))
                .unwrap_or_default(),
            area,
        })
    }

    /// The people `filters` choose on this area's ladder, as `audience` may
    /// choose them. Choosing people by the champion who knocked for them is
    /// for admins: [`CHAMPION_FILTER`] says why to a viewer (403). A
    /// champion's id the server has never registered is refused, and a
    /// viewer's filters must choose enough people
    /// ([`MIN_FILTERED_PEOPLE`]).
    async fn people(&self, db: &Db, filters: &Filters, audience: Audience) -> Result<Selection> {
        let people = filters.selection(&self.ladder)?;
        if let Some(champion) = people.champion {
            if audience != Audience::Exact {
                return Err(Error::Forbidden(CHAMPION_FILTER));
            }
            let registered = crate::store::devices::find(&mut *db.pool.acquire().await?, champion)
                .await?
                .is_some();
            if !registered {
                return Err(Error::BadRequest(
                    "there is no champion's phone with this id: choose a champion from the list"
                        .into(),
                ));
            }
        }
        self.check_population(db, &people, audience).await?;
        Ok(people)
    }

    /// Refuses a viewer's filtered report of fewer people than
    /// [`MIN_FILTERED_PEOPLE`] times the threshold: the smaller the group a
    /// breakdown describes, the less any adjustment hides. Unfiltered
    /// reports and admins' are always answered.
    async fn check_population(
        &self,
        db: &Db,
        people: &Selection,
        audience: Audience,
    ) -> Result<()> {
        if audience == Audience::Exact || people.is_empty() {
            return Ok(());
        }
        let least = MIN_FILTERED_PEOPLE * self.suppression.below();
        if report_rows::population(db, people).await? < least {
            return Err(Error::BadRequest(format!(
                "fewer than {least} people match these filters, too few to break down without \
                 singling someone out: widen the dates, or choose fewer filters"
            )));
        }
        Ok(())
    }

    /// The area's rule for an overdue follow-up, at `now`.
    fn overdue(&self, now: Timestamp) -> report_rows::Overdue {
        report_rows::Overdue::new(
            now,
            self.area
                .as_ref()
                .map_or(AreaConfig::DEFAULT_FOLLOW_UP_OVERDUE_DAYS, |a| {
                    a.follow_up_overdue_days
                }),
        )
    }

    fn area(&self) -> Result<&AreaConfig> {
        self.area
            .as_ref()
            .ok_or_else(|| Error::BadRequest("configure the area first".into()))
    }
}

/// Median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The value at a 1-based rank of a histogram of (value, count), in value order.
fn ranked(histogram: &[(i64, u64)], rank: u64) -> Option<i64> {
    let mut seen = 0;
    for (value, count) in histogram {
        seen += count;
        if seen >= rank {
            return Some(*value);
        }
    }
    None
}

/// The median and nearest-rank 90th percentile of a histogram of
/// (value, count) sorted by value.
fn median_and_p90(histogram: &[(i64, u64)]) -> (Option<f64>, Option<f64>) {
    let n: u64 = histogram.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return (None, None);
    }
    let middle = if n % 2 == 1 {
        ranked(histogram, n / 2 + 1).map(|v| v as f64)
    } else {
        ranked(histogram, n / 2)
            .zip(ranked(histogram, n / 2 + 1))
            .map(|(a, b)| (a + b) as f64 / 2.0)
    };
    let p90_rank = ((0.9 * n as f64).ceil() as u64).clamp(1, n);
    (middle, ranked(histogram, p90_rank).map(|v| v as f64))
}

/// CSV with a header row (the `csv` crate's writer, quoting fields only
/// where needed), where text that a spreadsheet would run as a formula is
/// defused.
struct Csv {
    writer: csv::Writer<Vec<u8>>,
    below: u64,
}

impl Csv {
    fn new(suppressed_below: u64, header: &[&str]) -> Self {
        let mut csv = Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new()),
            below: suppressed_below,
        };
        csv.row(header.iter().map(|h| (*h).to_owned()));
        csv
    }

    fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let fields = fields.into_iter().map(|f| defuse(&f));
        self.writer
            .write_record(fields)
            .expect("writing CSV into memory cannot fail");
    }

    /// A figure: the value, or the marker of why it is not shown.
    fn figure<T: std::fmt::Display>(&self, value: Option<T>, why: Option<Withheld>) -> String {
        match (value, why) {
            (Some(v), _) => v.to_string(),
            (None, Some(why)) => why.csv_marker(self.below),
            (None, None) => String::new(),
        }
    }

    /// A cell for a figure that is empty rather than suppressed when missing.
    fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
        value.map(|v| v.to_string()).unwrap_or_default()
    }

    fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing CSV into memory cannot fail");
        String::from_utf8(bytes).expect("CSV written from text is text")
    }
}

/// A field that a spreadsheet would run as a formula, with a `'` before it:
/// one that starts with a formula's first character, even after spaces or
/// line breaks (some spreadsheets skip those), or with a tab or line break.
/// A table as CSV (the `csv` crate's writer, formulas defused), after a
/// first line `# comment` that says what it is and how it was filtered.
pub fn table_csv(comment: &str, header: &[String], rows: &[Vec<String>]) -> String {
    let mut csv = Csv::new(0, &header.iter().map(String::as_str).collect::<Vec<_>>());
    for row in rows {
        csv.row(row.iter().cloned());
    }
    let comment: String = comment
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .collect();
    format!("# {comment}\n{}", csv.finish())
}

fn defuse(field: &str) -> String {
    let start = field.trim_start();
    if field.starts_with(['\t', '\r', '\n'])
        || start.starts_with(['=', '+', '@'])
        || (start.starts_with('-') && start.parse::<f64>().is_err())
    {
        format!("'{field}")
    } else {
        field.to_owned()
    }
}

/// A UTC month `YYYY-MM` from milliseconds since the epoch.
pub(crate) fn month_of(ms: i64) -> String {
    let (year, month) = crate::calendar::year_month(ms);
    format!("{year:04}-{month:02}")
}

/// The UTC year of milliseconds since the epoch.
fn year_of(ms: i64) -> i64 {
    crate::calendar::year_month(ms).0
}

#[cfg(test)]
mod tests;
