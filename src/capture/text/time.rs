//! The times a text states, and how they become the analysis' clock: absolute (`Epoch
//! Time`, `Arrival Time`), relative to the first packet (tshark's default column), or a
//! time of day (a `UTC time` column) that a date elsewhere in the text (`show clock`)
//! completes. Without any absolute time, times stay relative (the report says so).

use super::TextSummary;
use crate::model::time::days_since_epoch;

pub const NS: i64 = 1_000_000_000;
const DAY_NS: i64 = 86_400 * NS;

/// A time as one line of text states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stated {
    #[default]
    None,
    /// Seconds since the first packet, in ns.
    Relative(i64),
    /// Nanoseconds since the Unix epoch.
    Epoch(i64),
    /// Nanoseconds since midnight UTC, date unknown.
    TimeOfDay(i64),
    /// A date and time (UTC) from a column or field other than `Epoch Time`, ns since the
    /// Unix epoch, with the words that say where it came from.
    Dated(i64, &'static str),
}

/// The clock the text's relative times are placed on.
#[derive(Debug, Default)]
pub struct Anchor {
    /// A date-and-time the text states outside the packets (`show clock`), ns.
    clock_ns: Option<(i64, String)>,
    /// The first absolute time of a frame, and the relative time it had.
    last_time: i64,
    seen_time: bool,
}

impl Anchor {
    pub fn clock(&mut self, t: Stated) {
        if let Stated::Epoch(ns) = t
            && self.clock_ns.is_none()
        {
            self.clock_ns = Some((ns, "show clock".into()));
        }
    }

    pub fn resolve(&mut self, t: &Stated, s: &mut TextSummary) -> i64 {
        let ns = match *t {
            Stated::None => {
                if !self.seen_time {
                    s.no_times = true;
                }
                return self.last_time;
            }
            Stated::Epoch(ns) => {
                s.anchored_by.get_or_insert_with(|| "Epoch Time".into());
                ns
            }
            Stated::Dated(ns, by) => {
                s.anchored_by.get_or_insert_with(|| by.into());
                ns
            }
            Stated::Relative(rel) => match &self.clock_ns {
                Some((base, by)) => {
                    s.anchored_by.get_or_insert_with(|| {
                        format!("{by} (the first packet placed at its time: approximate)")
                    });
                    base.saturating_add(rel)
                }
                None => rel,
            },
            Stated::TimeOfDay(tod) => match &self.clock_ns {
                Some((base, by)) => {
                    s.anchored_by
                        .get_or_insert_with(|| format!("the UTC time column, dated by {by}"));
                    base.div_euclid(DAY_NS) * DAY_NS + tod
                }
                None => {
                    s.undated_time_of_day = true;
                    tod
                }
            },
        };
        self.seen_time = true;
        s.no_times = false;
        self.last_time = ns;
        ns
    }
}

/// `12.345678` seconds → ns.
pub fn seconds(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let neg = int.starts_with('-');
    let int = int.trim_start_matches('-');
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut f = 0i64;
    for (i, b) in frac.bytes().take(9).enumerate() {
        f += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
    }
    let v = whole.checked_mul(NS)?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

/// `15:41:19.614815` → ns since midnight.
pub fn time_of_day(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, ':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec = seconds(it.next()?)?;
    ((0..24).contains(&h) && (0..60).contains(&m) && (0..61 * NS).contains(&sec))
        .then(|| (h * 3600 + m * 60) * NS + sec)
}

/// What [`date_time`] makes of a date and time that names no zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unzoned {
    /// The column is a UTC one (`UTC time`, `-t ud`): the time is UTC.
    Utc,
    /// The column says nothing of a zone: no time is placed.
    Refused,
}

/// A date and time in UTC, as a time column or field prints it: `2026-12-07
/// 14:32:07.563` (also with `T`, and `Z`, `+0000`, `+00:00` or ` UTC` after it) or tshark's
/// `Dec  7, 2026 14:32:07.563000000 UTC`. A zone other than UTC is refused (the text does
/// not state its offset); no zone at all is taken as UTC only when the column says so.
pub fn date_time(s: &str, unzoned: Unzoned) -> Option<i64> {
    let s = s.trim();
    let (rest, zoned) = match ["Z", "+0000", "+00:00", " UTC", " GMT"]
        .iter()
        .find_map(|z| s.strip_suffix(z))
    {
        Some(r) => (r.trim_end(), true),
        None => (s, false),
    };
    if !zoned && unzoned == Unzoned::Refused {
        return None;
    }
    let (y, mon, d, clock) = if rest.as_bytes().get(4) == Some(&b'-') {
        let (date, clock) = rest.split_once(['T', ' '])?;
        let mut it = date.splitn(3, '-');
        let y: i64 = it.next()?.parse().ok()?;
        let mon: i64 = it.next()?.parse().ok()?;
        let d: i64 = it.next()?.parse().ok()?;
        (y, mon, d, clock.trim())
    } else {
        // `Dec  7, 2026 14:32:07.563000000`: a zone name must have been UTC.
        let w: Vec<&str> = rest.split_whitespace().collect();
        let [m, d, y, clock] = w.as_slice() else {
            return None;
        };
        if !zoned {
            return None;
        }
        let d: i64 = d.trim_end_matches(',').parse().ok()?;
        (y.parse().ok()?, month(m)?, d, *clock)
    };
    if clock.contains(['+', '-']) {
        return None;
    }
    let tod = time_of_day(clock)?;
    days_since_epoch(y, mon, d)?
        .checked_mul(DAY_NS)?
        .checked_add(tod)
}

/// `2026-12-07`.
pub fn is_date(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

pub fn month(m: &str) -> Option<i64> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.get(..3)?.to_ascii_lowercase();
    M.iter().position(|x| *x == m).map(|i| i as i64 + 1)
}

/// `show clock`: `*10:15:30.123 UTC Mon Dec 7 2026` (also `.` or no mark first). Only a
/// UTC clock anchors (another zone's offset is not stated in the text).
pub fn show_clock(line: &str) -> Option<i64> {
    let t = line.trim().trim_start_matches(['*', '.']);
    let w: Vec<&str> = t.split_whitespace().collect();
    if w.len() < 6 || !w[1].eq_ignore_ascii_case("UTC") {
        return None;
    }
    let tod = time_of_day(w[0])?;
    let mon = month(w[3])?;
    let day: i64 = w[4].parse().ok()?;
    let year: i64 = w[5].parse().ok()?;
    Some(days_since_epoch(year, mon, day)?.checked_mul(DAY_NS)? + tod)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_time_columns_and_fields() {
        let t = (days_since_epoch(2026, 12, 7).unwrap() * 86_400 + 14 * 3600 + 32 * 60 + 7) * NS
            + 563_000_000;
        assert_eq!(date_time("2026-12-07 14:32:07.563", Unzoned::Utc), Some(t));
        assert_eq!(
            date_time("2026-12-07T14:32:07.563Z", Unzoned::Refused),
            Some(t)
        );
        assert_eq!(
            date_time("2026-12-07 14:32:07.563000000+0000", Unzoned::Refused),
            Some(t)
        );
        assert_eq!(
            date_time("Dec  7, 2026 14:32:07.563000000 UTC", Unzoned::Refused),
            Some(t)
        );
        // No zone: UTC only for a UTC column; another zone: never.
        assert_eq!(date_time("2026-12-07 14:32:07.563", Unzoned::Refused), None);
        assert_eq!(
            date_time("Dec  7, 2026 14:32:07.563000000 CET", Unzoned::Utc),
            None
        );
        assert_eq!(
            date_time("2026-12-07 14:32:07.563+01:00", Unzoned::Utc),
            None
        );
        // A time of day alone is not a date.
        assert_eq!(date_time("14:32:07.563", Unzoned::Utc), None);
    }

    #[test]
    fn seconds_and_clock() {
        assert_eq!(seconds("2.000739"), Some(2_000_739_000));
        assert_eq!(
            seconds("1675443515.770592000"),
            Some(1_675_443_515_770_592_000)
        );
        assert_eq!(seconds("x"), None);
        assert_eq!(
            time_of_day("15:41:19.5"),
            Some((15 * 3600 + 41 * 60 + 19) * NS + NS / 2)
        );
        assert_eq!(
            show_clock("*10:15:30.000 UTC Mon Dec 7 2026"),
            Some(days_since_epoch(2026, 12, 7).unwrap() * DAY_NS + (10 * 3600 + 15 * 60 + 30) * NS)
        );
        assert_eq!(show_clock("*10:15:30.000 EST Mon Dec 7 2026"), None);
    }
}
