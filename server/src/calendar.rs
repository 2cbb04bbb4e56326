//! UTC calendar dates from and to milliseconds since the epoch (through the
//! `time` crate), and the `YYYY-MM-DD`, `YYYY-MM` and `YYYY-MM-DDTHH:MM`
//! forms that reports and dashboard forms use; an area's local times in
//! its time zone ([`Zone`], through `jiff` and its built-in zone
//! database).

use time::macros::format_description;
use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::error::{Error, Result};

/// The moment `ms` milliseconds after the epoch, in UTC; moments beyond
/// the years the calendar handles (±9999) read as its first or last.
fn utc(ms: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
        .checked_add(Duration::milliseconds(ms))
        .unwrap_or_else(|| {
            let limit = if ms < 0 { Date::MIN } else { Date::MAX };
            limit.midnight().assume_utc()
        })
}

/// Milliseconds since the epoch at the start of a UTC day.
fn millis(date: Date) -> i64 {
    let seconds = date.midnight().assume_utc().unix_timestamp();
    seconds * 1000
}

/// An area's time zone: the times people enter and read on the dashboard
/// are its local times; what is stored is UTC.
#[derive(Debug, Clone)]
pub struct Zone {
    zone: jiff::tz::TimeZone,
    name: String,
}

impl Zone {
    /// The IANA zone `name` (`Europe/London`); refused when the zone
    /// database has no such zone.
    pub fn named(name: &str) -> Result<Self> {
        let name = name.trim();
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| {
            Error::BadRequest(format!(
                "{name:?} is not a time zone: give its IANA name, such as Europe/London"
            ))
        })?;
        Ok(Self {
            zone,
            name: name.to_owned(),
        })
    }

    /// The zone of `area` (the default one before an area is set up, UTC
    /// if the area names one this server does not know).
    pub fn of(area: Option<&sync_core::AreaConfig>) -> Self {
        let name = area.map_or(sync_core::AreaConfig::DEFAULT_TIME_ZONE, |a| {
            a.time_zone.as_str()
        });
        Self::named(name).unwrap_or_else(|_| Self {
            zone: jiff::tz::TimeZone::UTC,
            name: "UTC".to_owned(),
        })
    }

    /// Its IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn local(&self, ms: i64, format: &str) -> String {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(self.zone.clone()).strftime(format).to_string())
            .unwrap_or_default()
    }

    /// `YYYY-MM-DD HH:MM`, local time.
    pub fn date_time(&self, ms: i64) -> String {
        self.local(ms, "%Y-%m-%d %H:%M")
    }

    /// `YYYY-MM-DDTHH:MM`, local time: a `datetime-local` field's value.
    pub fn input_date_time(&self, ms: i64) -> String {
        self.local(ms, "%Y-%m-%dT%H:%M")
    }

    /// Milliseconds since the epoch of a local `YYYY-MM-DDTHH:MM` (what a
    /// `datetime-local` field sends; seconds, if sent, are ignored). In
    /// the hour clocks skip, a time reads as after the change; in the hour
    /// they repeat, as the first.
    pub fn parse_date_time(&self, text: &str, what: &str) -> Result<i64> {
        let bad = || Error::BadRequest(format!("{what} {text:?} is not a date and time"));
        let minutes = text.trim().get(..16).ok_or_else(bad)?;
        let local =
            jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", minutes).map_err(|_| bad())?;
        let zoned = local.to_zoned(self.zone.clone()).map_err(|_| bad())?;
        Ok(zoned.timestamp().as_millisecond())
    }
}

/// The UTC year and month (1 to 12) of milliseconds since the epoch.
pub fn year_month(ms: i64) -> (i64, i64) {
    let date = utc(ms).date();
    (i64::from(date.year()), i64::from(u8::from(date.month())))
}

/// The `[start, end)` of a `YYYY-MM` month (UTC), in milliseconds; `None`
/// if the text is not a month from 1970 to 9999.
pub fn month_range(text: &str) -> Option<(i64, i64)> {
    let (year, month) = text.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let start = Date::from_calendar_date(year, month, 1).ok()?;
    let next = match month {
        Month::December => Date::from_calendar_date(year + 1, Month::January, 1),
        _ => Date::from_calendar_date(year, month.next(), 1),
    }
    .ok()?;
    Some((millis(start), millis(next)))
}

/// The same day a year earlier (29 February becomes the 28th), at its
/// start (UTC); `None` before 1970.
pub fn year_earlier(ms: i64) -> Option<i64> {
    let date = utc(ms).date();
    let earlier = date
        .replace_year(date.year() - 1)
        .or_else(|_| {
            date.replace_day(28)
                .and_then(|d| d.replace_year(date.year() - 1))
        })
        .ok()?;
    let ms = millis(earlier);
    (ms >= 0).then_some(ms)
}

/// `YYYY-MM-DD` (UTC) of milliseconds since the epoch.
pub fn date(ms: i64) -> String {
    utc(ms)
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// The day as people write it, `3 Mar 2026` (UTC), for pages.
pub fn day(ms: i64) -> String {
    utc(ms)
        .format(format_description!(
            "[day padding:none] [month repr:short] [year]"
        ))
        .unwrap_or_default()
}

/// The start (UTC) of a day written as [`day`] writes it, if `text` is one.
pub fn parse_day(text: &str) -> Option<i64> {
    Date::parse(
        text,
        format_description!("[day padding:none] [month repr:short] [year]"),
    )
    .ok()
    .map(millis)
}

/// `YYYY-MM-DD HH:MM` (UTC) of milliseconds since the epoch.
pub fn date_time(ms: i64) -> String {
    utc(ms)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_default()
}

/// ISO 8601 (UTC) of milliseconds since the epoch, `2026-03-03T10:00:00Z`:
/// what a CSV holds.
pub fn iso(ms: i64) -> String {
    utc(ms)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// A length of time in days as a person says it: "the same day",
/// "3 days", "about 2 weeks", "about 5 months", "1 year 2 months".
pub fn duration_words(days: f64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    // A month as the calendar averages it.
    const MONTH: f64 = 365.25 / 12.0;
    match days {
        d if d < 0.5 => "the same day".to_owned(),
        d if d < 13.5 => plural(d.round() as i64, "day"),
        d if d < 8.0 * 7.0 => format!("about {}", plural((d / 7.0).round() as i64, "week")),
        d if d < 365.25 - MONTH / 2.0 => {
            format!(
                "about {}",
                plural((d / MONTH).round().max(2.0) as i64, "month")
            )
        }
        d => {
            let months = (d / MONTH).round() as i64;
            let (years, months) = (months / 12, months % 12);
            match months {
                0 => plural(years, "year"),
                _ => format!("{} {}", plural(years, "year"), plural(months, "month")),
            }
        }
    }
}

/// A UTC time for a file name, sorting as it reads: `YYYYMMDD-HHMMSS`.
pub fn file_stamp(ms: i64) -> String {
    utc(ms)
        .format(format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default()
}

/// The start of the day `YYYY-MM-DD` (UTC); `what` names it in the error.
pub fn parse_date(text: &str, what: &str) -> Result<i64> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]"))
        .ok()
        .filter(|d| d.year() >= 1970)
        .ok_or_else(|| Error::BadRequest(format!("{what} {text:?} is not a date (YYYY-MM-DD)")))?;
    Ok(millis(date))
}

/// `YYYY-MM-DDTHH:MM` (a form's local date and time, taken as UTC); seconds
/// after the minutes are ignored.
pub fn parse_date_time(text: &str, what: &str) -> Result<i64> {
    let bad = || Error::BadRequest(format!("{what} {text:?} is not a date and time"));
    let (day, time) = text.split_once('T').ok_or_else(bad)?;
    let day = parse_date(day, what)?;
    let time = time
        .get(..5)
        .and_then(|t| Time::parse(t, format_description!("[hour]:[minute]")).ok())
        .ok_or_else(bad)?;
    let minutes = i64::from(time.hour()) * 60 + i64::from(time.minute());
    Ok(day + minutes * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::Timestamp;

    #[test]
    fn durations_read_as_a_person_says_them() {
        for (days, words) in [
            (0.0, "the same day"),
            (0.4, "the same day"),
            (1.0, "1 day"),
            (6.5, "7 days"),
            (13.0, "13 days"),
            (14.0, "about 2 weeks"),
            (30.0, "about 4 weeks"),
            (61.0, "about 2 months"),
            (200.0, "about 7 months"),
            (360.0, "1 year"),
            (395.0, "1 year 1 month"),
            (426.0, "1 year 2 months"),
            (800.0, "2 years 2 months"),
        ] {
            assert_eq!(duration_words(days), words, "{days}");
        }
        assert_eq!(iso(1_735_689_600_000 + 90 * 60_000), "2025-01-01T01:30:00Z");
    }

    #[test]
    fn days_round_trip_and_bad_dates_are_refused() {
        for ms in [0, 951_782_400_000, 1_735_689_600_000, 4_102_444_800_000] {
            let text = date(ms);
            assert_eq!(parse_date(&text, "from").unwrap(), ms, "{text}");
        }
        assert_eq!(date(1_735_689_600_000), "2025-01-01");
        assert_eq!(day(1_735_689_600_000), "1 Jan 2025");
        assert_eq!(day(1_772_496_000_000), "3 Mar 2026");
        assert_eq!(parse_day("3 Mar 2026"), Some(1_772_496_000_000));
        assert_eq!(parse_day("3 March 2026"), None);
        assert_eq!(
            date_time(1_735_689_600_000 + 90 * 60_000),
            "2025-01-01 01:30"
        );
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "25-01-01",
            "2025-1-01",
            "soon",
            "",
        ] {
            assert!(parse_date(bad, "from").is_err(), "{bad}");
        }
        assert_eq!(
            parse_date_time("2025-01-01T01:30", "start").unwrap(),
            1_735_689_600_000 + 90 * 60_000
        );
        assert!(parse_date_time("2025-01-01T25:00", "start").is_err());
    }

    #[test]
    fn local_times_are_read_and_shown_in_the_area_time_zone() {
        let london = Zone::named("Europe/London").unwrap();
        // British Summer Time: 18:00 in London is 17:00 UTC.
        let summer = london.parse_date_time("2026-07-01T18:00", "start").unwrap();
        assert_eq!(iso(summer), "2026-07-01T17:00:00Z");
        assert_eq!(london.date_time(summer), "2026-07-01 18:00");
        assert_eq!(london.input_date_time(summer), "2026-07-01T18:00");
        // Winter: London is on UTC.
        let winter = london
            .parse_date_time("2026-01-05T18:00:00", "start")
            .unwrap();
        assert_eq!(iso(winter), "2026-01-05T18:00:00Z");
        // 01:30 on the morning the clocks go forward does not happen: it
        // reads as 02:30 BST.
        let skipped = london.parse_date_time("2026-03-29T01:30", "start").unwrap();
        assert_eq!(iso(skipped), "2026-03-29T01:30:00Z");
        assert!(london.parse_date_time("2026-07-01 18:00", "start").is_err());
        assert!(Zone::named("Europe/Atlantis").is_err());
        assert_eq!(Zone::of(None).name(), "Europe/London");
    }

    #[test]
    fn months_are_calendar_months_and_times_far_off_do_not_panic() {
        assert_eq!(
            month_range("1970-01"),
            Some((0, 31 * Timestamp::DAY_MILLIS))
        );
        let (start, end) = month_range("2024-02").expect("a month");
        assert_eq!((end - start) / Timestamp::DAY_MILLIS, 29);
        assert_eq!(start, 1_706_745_600_000); // 2024-02-01T00:00:00Z
        assert_eq!(
            month_range("2024-12").map(|(_, end)| date(end)),
            Some("2025-01-01".into())
        );
        for bad in ["2024-13", "24-1-1", "1969-12", "2024", "soon"] {
            assert_eq!(month_range(bad), None, "{bad}");
        }
        assert_eq!(year_month(1_706_745_600_000), (2024, 2));
        assert_eq!(year_month(1_706_745_600_000 - 1), (2024, 1));
        assert_eq!(year_month(i64::MAX).0, 9999);
        assert_eq!(year_month(i64::MIN).0, -9999);
    }
}
