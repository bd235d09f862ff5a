//! The one calendar module: dates as the reports print them, HTTP `Date` headers (RFC 9110
//! §5.6.7) in both directions, and the civil-date → epoch arithmetic the switch's log
//! timestamps need. The calendar arithmetic is the `time` crate's (proleptic Gregorian,
//! years −9999..=9999); this module only chooses the shapes.
//!
//! Pure: no clock reads (no `now()`), no I/O. Times are seconds or nanoseconds since the
//! Unix epoch, UTC.

use time::macros::format_description;
use time::{Date, Duration, Month, OffsetDateTime};

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7 IMF-fixdate).
const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'_>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);
/// `2023-01-26 00:00:00.123 UTC`: what the reports show for a moment.
const UTC_MS: &[time::format_description::BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3] UTC");
/// `2023-01-26`: what the reports show for a certificate's validity bounds.
const DAY: &[time::format_description::BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]");

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn at_ns(ns: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()
}

fn at_secs(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// Nanoseconds since the epoch → `YYYY-MM-DD HH:MM:SS.mmm UTC` (milliseconds truncated).
/// Every `i64` of nanoseconds (years 1677..=2262) has a calendar date.
pub fn format_utc(ns: i64) -> String {
    at_ns(ns)
        .and_then(|t| t.format(UTC_MS).ok())
        .unwrap_or_else(|| format!("{ns} ns after the epoch"))
}

/// Seconds since the epoch → `YYYY-MM-DD HH:MM:SS.000 UTC`, the shape of [`format_utc`]
/// for dates past 2262 as well (a certificate's `99991231235959Z`, RFC 5280 §4.1.2.5).
pub fn format_utc_secs(secs: i64) -> String {
    at_secs(secs)
        .and_then(|t| t.format(UTC_MS).ok())
        .unwrap_or_else(|| format!("{secs} s after the epoch"))
}

/// Seconds since the epoch → `YYYY-MM-DD`, for dates past 2262 as well (a certificate's
/// `99991231235959Z`, RFC 5280 §4.1.2.5), where nanoseconds would overflow an `i64`.
pub fn format_date(secs: i64) -> String {
    at_secs(secs)
        .and_then(|t| t.format(DAY).ok())
        .unwrap_or_else(|| format!("{secs} s after the epoch"))
}

/// The calendar year (UTC) of a moment in ns since the epoch: what dates a switch's
/// year-less log stamps when they are lined up with a capture of the same time.
pub fn year_of_ns(ns: i64) -> Option<i64> {
    at_ns(ns).map(|t| i64::from(t.year()))
}

/// Seconds since the epoch → an HTTP IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_http_date(secs: i64) -> String {
    at_secs(secs)
        .and_then(|t| t.format(HTTP_DATE).ok())
        .unwrap_or_else(|| format!("{secs} s after the epoch"))
}

/// An HTTP `Date` in IMF-fixdate form (RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`)
/// → seconds since the epoch. Other (obsolete) forms give `None`.
///
/// The tokenising is lenient the way servers are sloppy (any run of spaces, an unchecked
/// weekday, an unpadded day or hour, a leap second `:60`); the calendar is the crate's.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next()?;
    let day: i64 = it.next()?.parse().ok()?;
    let month = it.next()?;
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_since_epoch(year, month, day)? * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days from 1970-01-01 to a proleptic Gregorian date; `month` 1..=12, `day` 1..=31. A day
/// past the month's end rolls over into the next month (`Feb 30` is `Mar 2` or `Mar 1`), as
/// IOS and HTTP text are read leniently; `None` outside those ranges or years −9999..=9999.
pub fn days_since_epoch(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=31).contains(&day) {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let first = Date::from_calendar_date(i32::try_from(year).ok()?, month, 1).ok()?;
    let date = first.checked_add(Duration::days(day - 1))?;
    Some(i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY))
}

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// How finely [`ms`] says a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsPrecision {
    /// Whole milliseconds, `212 ms`: the findings' summaries and `check` lines.
    Whole,
    /// Tenths, `212.3 ms`, and seconds from 10 s on (`12.3 s`): the TUI's columns.
    Tenths,
}

/// A duration in nanoseconds as people read it (the one duration formatter).
pub fn ms(ns: i64, precision: MsPrecision) -> String {
    let ms = ns as f64 / 1e6;
    match precision {
        MsPrecision::Whole => format!("{ms:.0} ms"),
        MsPrecision::Tenths if ms >= 10_000.0 => format!("{:.1} s", ms / 1000.0),
        MsPrecision::Tenths => format!("{ms:.1} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun, 22 Nov 2026 00:00:00 GMT"),
            Some(1_795_305_600)
        );
        // Sloppy but readable: double spaces, unpadded day, a leap second.
        assert_eq!(
            parse_http_date("Sun,  6 Nov 1994 08:49:60 GMT"),
            Some(784_111_800)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:60:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Now 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37"), None);
        // A year no calendar holds, and one that overflowed the old arithmetic.
        assert_eq!(parse_http_date("Sun, 06 Nov 99999 08:49:37 GMT"), None);
        assert_eq!(
            parse_http_date("Sun, 06 Nov 9223372036854775807 08:49:37 GMT"),
            None
        );
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn http_date_round_trip() {
        assert_eq!(
            format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        for s in [0, 951_782_400, 1_795_305_600, 4_102_444_799, -86_400] {
            let d = format_http_date(s);
            assert_eq!(parse_http_date(&d), Some(s), "{d}");
        }
    }

    #[test]
    fn utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(
            format_utc(1_674_691_200_123_000_000),
            "2023-01-26 00:00:00.123 UTC"
        );
        assert_eq!(
            format_utc(951_782_400_000_000_000),
            "2000-02-29 00:00:00.000 UTC"
        );
        // Milliseconds are truncated, not rounded; before the epoch counts back.
        assert_eq!(format_utc(999_999_999), "1970-01-01 00:00:00.999 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59.999 UTC");
        assert_eq!(format_utc(i64::MAX), "2262-04-11 23:47:16.854 UTC");
        assert_eq!(format_utc(i64::MIN), "1677-09-21 00:12:43.145 UTC");
    }

    #[test]
    fn years() {
        assert_eq!(year_of_ns(0), Some(1970));
        assert_eq!(year_of_ns(1_674_691_200_123_000_000), Some(2023));
        assert_eq!(year_of_ns(-1), Some(1969));
    }

    #[test]
    fn durations_are_said_whole_or_in_tenths() {
        assert_eq!(ms(212_345_678, MsPrecision::Whole), "212 ms");
        assert_eq!(ms(212_345_678, MsPrecision::Tenths), "212.3 ms");
        assert_eq!(ms(12_345_000_000, MsPrecision::Tenths), "12.3 s");
        assert_eq!(ms(12_345_000_000, MsPrecision::Whole), "12345 ms");
    }

    #[test]
    fn dates_past_2262() {
        // RFC 5280's "no well-defined expiration date": 99991231235959Z.
        assert_eq!(format_date(253_402_300_799), "9999-12-31");
        assert_eq!(format_date(1_674_691_200), "2023-01-26");
        assert_eq!(
            format_date(i64::MAX),
            format!("{} s after the epoch", i64::MAX)
        );
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_since_epoch(1970, 1, 1), Some(0));
        assert_eq!(days_since_epoch(2000, 3, 1), Some(11_017));
        assert_eq!(days_since_epoch(1969, 12, 31), Some(-1));
        // Rolls over like the arithmetic it replaces: Feb 30 2020 is Mar 1.
        assert_eq!(days_since_epoch(2020, 2, 30), days_since_epoch(2020, 3, 1));
        assert_eq!(days_since_epoch(2021, 2, 29), days_since_epoch(2021, 3, 1));
        assert_eq!(days_since_epoch(2020, 13, 1), None);
        assert_eq!(days_since_epoch(2020, 0, 1), None);
        assert_eq!(days_since_epoch(2020, 1, 0), None);
        assert_eq!(days_since_epoch(2020, 1, 32), None);
        assert_eq!(days_since_epoch(10_000, 1, 1), None);
    }
}
