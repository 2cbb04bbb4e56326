//! Periods a report covers (a month, a quarter, a year, or from one day to
//! another) and the period it is compared with (the one before, or the
//! same one a year earlier). A period only chooses dates: it becomes the
//! `from` and `to` of [`super::Filters`], so the reports' queries never
//! know about it.

use serde::{Deserialize, Serialize};
use sync_core::Timestamp;

use crate::calendar;
use crate::error::{Error, Result};

/// A period: `[from, to)` in milliseconds, whole UTC days, and how it was
/// chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first day's start.
    pub from: i64,
    /// The start of the day after the last.
    pub to: i64,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Calendar months from a month index (`year * 12 + month - 1`): one, three
    /// (a quarter, from January, April, July or October) or twelve (a year).
    Months { first: i64, count: i64 },
    /// Any days.
    Days,
}

/// What a period is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    /// The period of the same length just before it.
    Previous,
    /// The same period a year earlier.
    YearBefore,
}

impl Compare {
    /// The comparison named `text` (`previous`, `year-before`), or `None`
    /// for `none`.
    pub fn parse(text: &str) -> Result<Option<Self>> {
        match text.trim() {
            "previous" => Ok(Some(Self::Previous)),
            "year-before" => Ok(Some(Self::YearBefore)),
            "none" | "" => Ok(None),
            other => Err(Error::BadRequest(format!(
                "compare {other:?} is not previous, year-before or none"
            ))),
        }
    }

    /// In words, after "compared with".
    pub fn words(self) -> &'static str {
        match self {
            Self::Previous => "the period before",
            Self::YearBefore => "the same period a year earlier",
        }
    }
}

fn month_start(index: i64) -> Option<i64> {
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    calendar::month_range(&format!("{year:04}-{month:02}")).map(|(start, _)| start)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Period {
    /// A period written `YYYY-MM` (a month), `YYYY-Qn` (a quarter) or
    /// `YYYY` (a year).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || {
            Error::BadRequest(format!(
                "period {text:?} is not a month (2026-09), a quarter (2026-Q3) or a year (2026)"
            ))
        };
        let year = |y: &str| -> Result<i64> {
            let year: i64 = y.parse().map_err(|_| bad())?;
            (y.len() == 4 && (1970..=9998).contains(&year))
                .then_some(year)
                .ok_or_else(bad)
        };
        let (first, count) = if let Some((y, q)) = text.split_once(['-', ' ']) {
            let y = year(y)?;
            if let Some(q) = q.strip_prefix(['Q', 'q']) {
                let q: i64 = q.parse().map_err(|_| bad())?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                (y * 12 + (q - 1) * 3, 3)
            } else {
                let m: i64 = q.parse().map_err(|_| bad())?;
                if q.len() != 2 || !(1..=12).contains(&m) {
                    return Err(bad());
                }
                (y * 12 + m - 1, 1)
            }
        } else {
            (year(text)? * 12, 12)
        };
        Self::months(first, count).ok_or_else(bad)
    }

    /// The last quarter that ended before the day of `now` (a board meets
    /// about the quarter just gone): on 6 December 2026, July to September.
    pub fn last_whole_quarter(now: i64) -> Self {
        let (year, month) = calendar::year_month(now);
        let this_quarter = year * 12 + (month - 1) / 3 * 3;
        Self::months(this_quarter - 3, 3)
            .or_else(|| Self::months(this_quarter, 3))
            .unwrap_or(Self {
                from: 0,
                to: Timestamp::DAY_MILLIS,
                kind: Kind::Days,
            })
    }

    fn months(first: i64, count: i64) -> Option<Self> {
        Some(Self {
            from: month_start(first)?,
            to: month_start(first + count)?,
            kind: Kind::Months { first, count },
        })
    }

    /// The days from `from` up to (not including) `to`, each moved back to
    /// the start of its day (UTC).
    pub fn days(from: i64, to: i64) -> Result<Self> {
        let day = |ms: i64| ms.div_euclid(Timestamp::DAY_MILLIS) * Timestamp::DAY_MILLIS;
        let (from, to) = (day(from), day(to));
        if to <= from {
            return Err(Error::BadRequest(
                "the period ends before it starts: choose a \"to\" date after the \"from\" date"
                    .into(),
            ));
        }
        Ok(Self {
            from,
            to,
            kind: Kind::Days,
        })
    }

    /// The period it is compared with.
    pub fn compared(self, compare: Compare) -> Result<Self> {
        let too_early =
            || Error::BadRequest("there is no period to compare with before 1970".into());
        match (self.kind, compare) {
            (Kind::Months { first, count }, Compare::Previous) => {
                Self::months(first - count, count).ok_or_else(too_early)
            }
            (Kind::Months { first, count }, Compare::YearBefore) => {
                Self::months(first - 12, count).ok_or_else(too_early)
            }
            (Kind::Days, Compare::Previous) => {
                let length = self.to - self.from;
                (self.from - length >= 0)
                    .then(|| Self::days(self.from - length, self.from))
                    .ok_or_else(too_early)?
            }
            (Kind::Days, Compare::YearBefore) => {
                let (from, to) = (
                    calendar::year_earlier(self.from).ok_or_else(too_early)?,
                    calendar::year_earlier(self.to).ok_or_else(too_early)?,
                );
                Self::days(from, to)
            }
        }
    }

    /// The period in words: "September 2026", "July to September 2026
    /// (Q3)", "2026", "1 Mar 2026 to 15 Apr 2026".
    pub fn label(self) -> String {
        match self.kind {
            Kind::Months { first, count } => {
                let (year, month) = (first.div_euclid(12), first.rem_euclid(12) as usize);
                match count {
                    1 => format!("{} {year}", MONTHS[month]),
                    3 => format!(
                        "{} to {} {year} (Q{})",
                        MONTHS[month],
                        MONTHS[month + 2],
                        month / 3 + 1
                    ),
                    _ => format!("{year}"),
                }
            }
            Kind::Days => format!(
                "{} to {}",
                calendar::day(self.from),
                calendar::day(self.to - Timestamp::DAY_MILLIS)
            ),
        }
    }

    /// How a period is written in a query (`2026-Q3`), if it is a calendar
    /// one.
    pub fn query(self) -> Option<String> {
        match self.kind {
            Kind::Months { first, count } => {
                let (year, month) = (first.div_euclid(12), first.rem_euclid(12) + 1);
                Some(match count {
                    1 => format!("{year:04}-{month:02}"),
                    3 => format!("{year:04}-Q{}", (month - 1) / 3 + 1),
                    _ => format!("{year:04}"),
                })
            }
            Kind::Days => None,
        }
    }

    /// As the JSON shows it.
    pub fn view(self) -> PeriodView {
        PeriodView {
            label: self.label(),
            from: calendar::date(self.from),
            until: calendar::date(self.to - Timestamp::DAY_MILLIS),
        }
    }
}

/// A period as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PeriodView {
    /// In words ("July to September 2026 (Q3)").
    pub label: String,
    /// Its first day, `YYYY-MM-DD` (UTC).
    pub from: String,
    /// Its last day, included.
    pub until: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> i64 {
        calendar::parse_date(text, "day").unwrap()
    }

    #[test]
    fn calendar_periods_are_whole_months() {
        let q3 = Period::parse("2026-Q3").unwrap();
        assert_eq!((q3.from, q3.to), (day("2026-07-01"), day("2026-10-01")));
        assert_eq!(q3.label(), "July to September 2026 (Q3)");
        assert_eq!(q3.query().as_deref(), Some("2026-Q3"));
        let before = q3.compared(Compare::Previous).unwrap();
        assert_eq!(
            (before.from, before.to),
            (day("2026-04-01"), day("2026-07-01"))
        );
        let year = q3.compared(Compare::YearBefore).unwrap();
        assert_eq!(year.label(), "July to September 2025 (Q3)");
        let q1 = Period::parse("2026-q1")
            .unwrap()
            .compared(Compare::Previous)
            .unwrap();
        assert_eq!(q1.query().as_deref(), Some("2025-Q4"));
        let jan = Period::parse("2026-01").unwrap();
        assert_eq!(jan.label(), "January 2026");
        assert_eq!(
            jan.compared(Compare::Previous).unwrap().label(),
            "December 2025"
        );
        let y = Period::parse("2025").unwrap();
        assert_eq!((y.from, y.to), (day("2025-01-01"), day("2026-01-01")));
        assert_eq!(y.compared(Compare::Previous).unwrap().label(), "2024");
        assert_eq!(y.view().until, "2025-12-31");
    }

    #[test]
    fn the_last_whole_quarter_is_the_one_before_today() {
        let q = |day_text: &str| Period::last_whole_quarter(day(day_text)).query();
        assert_eq!(q("2026-12-06").as_deref(), Some("2026-Q3"));
        assert_eq!(q("2026-10-01").as_deref(), Some("2026-Q3"));
        assert_eq!(q("2026-09-30").as_deref(), Some("2026-Q2"));
        assert_eq!(q("2027-02-01").as_deref(), Some("2026-Q4"));
    }

    #[test]
    fn periods_that_cannot_be_read_are_refused() {
        for bad in [
            "2026-Q5", "2026-Q0", "2026-13", "2026-1", "26", "1969", "soon", "2026-Qx",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Period::parse("1970-01")
                .unwrap()
                .compared(Compare::Previous)
                .is_err()
        );
        assert!(Compare::parse("last-week").is_err());
        assert_eq!(Compare::parse("none").unwrap(), None);
    }

    #[test]
    fn any_days_compare_with_as_many_days_before() {
        let p = Period::days(day("2026-03-01"), day("2026-03-15") + 5).unwrap();
        assert_eq!(p.label(), "1 Mar 2026 to 14 Mar 2026");
        let before = p.compared(Compare::Previous).unwrap();
        assert_eq!(
            (before.from, before.to),
            (day("2026-02-15"), day("2026-03-01"))
        );
        let year = p.compared(Compare::YearBefore).unwrap();
        assert_eq!((year.from, year.to), (day("2025-03-01"), day("2025-03-15")));
        assert!(Period::days(day("2026-03-01"), day("2026-03-01")).is_err());
    }
}
