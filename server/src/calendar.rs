//! UTC calendar dates from and to milliseconds since the epoch (Howard
//! Hinnant's `days_from_civil` and `civil_from_days`), and the `YYYY-MM-DD`
//! and `YYYY-MM-DDTHH:MM` forms that reports and dashboard forms use.

use sync_core::Timestamp;

use crate::error::{Error, Result};

/// Milliseconds at the start of a UTC day.
pub fn day_start(year: i64, month: i64, day: i64) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * Timestamp::DAY_MILLIS
}

/// The UTC (year, month, day) of milliseconds since the epoch.
pub fn civil(ms: i64) -> (i64, i64, i64) {
    let z = ms.div_euclid(Timestamp::DAY_MILLIS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD` (UTC) of milliseconds since the epoch.
pub fn date(ms: i64) -> String {
    let (y, m, d) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` (UTC) of milliseconds since the epoch.
pub fn date_time(ms: i64) -> String {
    let minutes = ms.rem_euclid(Timestamp::DAY_MILLIS) / 60_000;
    format!("{} {:02}:{:02}", date(ms), minutes / 60, minutes % 60)
}

/// The start of the day `YYYY-MM-DD` (UTC); `what` names it in the error.
pub fn parse_date(text: &str, what: &str) -> Result<i64> {
    let bad = || Error::BadRequest(format!("{what} {text:?} is not a date (YYYY-MM-DD)"));
    let mut parts = text.splitn(3, '-');
    let mut next = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next(4)?, next(2)?, next(2)?);
    let ms = day_start(y, m, d);
    // Rejects 2025-02-30 and the like: the day must come back the same.
    if y < 1970 || civil(ms) != (y, m, d) {
        return Err(bad());
    }
    Ok(ms)
}

/// `YYYY-MM-DDTHH:MM` (a form's local date and time, taken as UTC).
pub fn parse_date_time(text: &str, what: &str) -> Result<i64> {
    let bad = || Error::BadRequest(format!("{what} {text:?} is not a date and time"));
    let (day, time) = text.split_once('T').ok_or_else(bad)?;
    let day = parse_date(day, what)?;
    let (h, m) = time
        .get(..5)
        .and_then(|t| t.split_once(':'))
        .ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(day + (h * 60 + m) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_dates_are_refused() {
        for ms in [0, 951_782_400_000, 1_735_689_600_000, 4_102_444_800_000] {
            let text = date(ms);
            assert_eq!(parse_date(&text, "from").unwrap(), ms, "{text}");
        }
        assert_eq!(date(1_735_689_600_000), "2025-01-01");
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
}
