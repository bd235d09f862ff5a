//! Timestamps as IOS prints them, in all the shapes pasted text carries:
//!
//! - `show logging`: `*Nov  8 00:54:06.123:`, `.Nov 8 2020 00:54:06.123 UTC:` (`*` = clock
//!   not authoritative, `.` = NTP lost), with or without a year, milliseconds, a zone;
//! - `show license eventlog`: `2020-11-08 00:54:06.123 UTC`;
//! - `show license tech support`: `Nov 08 00:54:06 2020 UTC`;
//! - a syslog server's own prefix before the switch's (the first stamp wins).

use crate::model::time::days_since_epoch;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTime {
    /// The text it was read from.
    pub raw: String,
    pub year: Option<i64>,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub nanos: i64,
    pub zone: Option<String>,
    /// `*` before the stamp: the switch's clock is not authoritative (neither NTP nor a
    /// valid calendar set it); `.`: it was, and NTP is lost since.
    pub mark: Option<char>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Zone abbreviations IOS users commonly configure (`clock timezone NAME h m`); any name
/// can be configured, so an unknown one is treated as UTC and flagged as inferred.
fn zone_offset_s(zone: &str) -> Option<i64> {
    if let Some(o) = numeric_offset_s(zone) {
        return Some(o);
    }
    let h = match zone.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "UCT" => 0.0,
        "EST" => -5.0,
        "EDT" => -4.0,
        "CST" => -6.0,
        "CDT" => -5.0,
        "MST" => -7.0,
        "MDT" => -6.0,
        "PST" => -8.0,
        "PDT" => -7.0,
        "CET" | "MET" | "BST" => 1.0,
        "CEST" | "MEST" | "EET" => 2.0,
        "EEST" | "MSK" => 3.0,
        "IST" => 5.5,
        "SGT" | "HKT" | "AWST" => 8.0,
        "JST" | "KST" => 9.0,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        _ => return None,
    };
    Some((h * 3600.0) as i64)
}

/// `GMT-07:00`, `UTC+05:30` (call-home's statistics print their time so) → seconds.
fn numeric_offset_s(zone: &str) -> Option<i64> {
    let u = zone.to_ascii_uppercase();
    let rest = u.strip_prefix("GMT").or_else(|| u.strip_prefix("UTC"))?;
    let sign = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = rest[1..].split_once(':').unwrap_or((&rest[1..], "0"));
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

impl LogTime {
    /// Seconds since the epoch in ns, and whether anything was inferred (a missing year
    /// taken from `year_hint`, a missing or unknown zone taken as UTC).
    pub fn to_unix_ns(&self, year_hint: Option<i64>) -> Option<(i64, bool)> {
        let mut inferred = false;
        let year = match self.year {
            Some(y) => y,
            None => {
                inferred = true;
                year_hint?
            }
        };
        let offset = match self.zone.as_deref().map(zone_offset_s) {
            Some(Some(o)) => o,
            _ => {
                inferred = true;
                0
            }
        };
        let days = days_since_epoch(year, self.month, self.day)?;
        let secs = days * 86_400 + self.hour * 3600 + self.minute * 60 + self.second - offset;
        Some((secs.checked_mul(1_000_000_000)? + self.nanos, inferred))
    }
}

fn month_of(tok: &str) -> Option<i64> {
    let t = tok.trim_start_matches(['*', '.']);
    if t.len() != 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(t))
        .map(|p| p as i64 + 1)
}

fn year_of(tok: &str) -> Option<i64> {
    let t = tok.trim_end_matches([':', ',']);
    (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
        .filter(|y| (1990..=2200).contains(y))
}

/// `HH:MM:SS[.fff][:]` → (h, m, s, ns).
fn clock_of(tok: &str) -> Option<(i64, i64, i64, i64)> {
    let t = tok.trim_end_matches([':', ',']);
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let mut it = hms.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let s: i64 = it.next()?.parse().ok()?;
    if it.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<i64>().ok()? * 10_i64.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    Some((h, m, s, nanos))
}

fn zone_of(tok: &str) -> Option<String> {
    let t = tok.trim_end_matches([':', ',']);
    (!t.is_empty()
        && t.len() <= 12
        && (t.bytes().all(|b| b.is_ascii_alphabetic()) || numeric_offset_s(t).is_some()))
    .then(|| t.to_string())
}

/// The first timestamp in `s`, if any.
pub fn find_timestamp(s: &str) -> Option<LogTime> {
    let toks: Vec<&str> = s.split_whitespace().take(64).collect();
    (0..toks.len()).find_map(|i| parse_at(&toks, i))
}

/// The last timestamp in `s`: before a `%MNEMONIC`, the switch's own stamp comes last
/// (a syslog server's prefix comes first).
pub fn find_last_timestamp(s: &str) -> Option<LogTime> {
    let toks: Vec<&str> = s.split_whitespace().take(64).collect();
    (0..toks.len()).rev().find_map(|i| parse_at(&toks, i))
}

fn parse_at(toks: &[&str], i: usize) -> Option<LogTime> {
    {
        // ISO: 2020-11-08 00:54:06.123 [UTC]
        if let Some((y, m, d)) = iso_date(toks[i])
            && let Some(&c) = toks.get(i + 1)
            && let Some((hh, mm, ss, ns)) = clock_of(c)
        {
            let zone = toks.get(i + 2).and_then(|z| zone_of(z));
            let used = 2 + usize::from(zone.is_some());
            return Some(LogTime {
                raw: toks[i..i + used]
                    .join(" ")
                    .trim_end_matches(':')
                    .to_string(),
                year: Some(y),
                month: m,
                day: d,
                hour: hh,
                minute: mm,
                second: ss,
                nanos: ns,
                zone,
                mark: None,
            });
        }
        // Nov  8 [2020] 00:54:06.123 [2020] [UTC]:
        let month = month_of(toks[i])?;
        let day = toks
            .get(i + 1)
            .and_then(|d| d.trim_end_matches(',').parse::<i64>().ok())
            .filter(|d| (1..=31).contains(d))?;
        let mut j = i + 2;
        let mut year = toks.get(j).and_then(|t| year_of(t));
        if year.is_some() {
            j += 1;
        }
        let (hh, mm, ss, ns) = toks.get(j).and_then(|t| clock_of(t))?;
        j += 1;
        // The license agent prints `Mon DD HH:MM:SS YYYY ZONE`: after a year that follows
        // the clock, the next word is always the zone, in whatever case it was configured
        // (`pacific` is seen).
        let mut agent_style = false;
        if year.is_none()
            && let Some(y) = toks.get(j).and_then(|t| year_of(t))
        {
            year = Some(y);
            agent_style = true;
            j += 1;
        }
        let zone = toks.get(j).and_then(|z| zone_of(z)).filter(|z| {
            // A word that starts a log message is not a zone: zones are upper case.
            agent_style
                || z.bytes().all(|b| b.is_ascii_uppercase()) && zone_offset_s(z).is_some()
                || toks[j].ends_with(':')
        });
        if zone.is_some() {
            j += 1;
        }
        Some(LogTime {
            raw: toks[i..j]
                .join(" ")
                .trim_start_matches(['*', '.'])
                .trim_end_matches(':')
                .to_string(),
            year,
            month,
            day,
            hour: hh,
            minute: mm,
            second: ss,
            nanos: ns,
            zone,
            mark: toks[i].chars().next().filter(|c| matches!(c, '*' | '.')),
        })
    }
}

fn iso_date(tok: &str) -> Option<(i64, i64, i64)> {
    let mut it = tok.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 {
        return None;
    }
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str, hint: Option<i64>) -> Option<(i64, bool)> {
        find_timestamp(s)?.to_unix_ns(hint)
    }

    #[test]
    fn shapes_ios_prints() {
        // 2020-11-08 00:54:06 UTC = 1604796846
        let want = 1_604_796_846_000_000_000 + 123_000_000;
        assert_eq!(
            ns("*Nov  8 00:54:06.123: %SMART_LIC", Some(2020)),
            Some((want, true))
        );
        assert_eq!(
            ns("Nov 8 2020 00:54:06.123 UTC: %SMART", None),
            Some((want, false))
        );
        assert_eq!(
            ns("2020-11-08 00:54:06.123 UTC SAEVT_COMM_FAIL", None),
            Some((want, false))
        );
        assert_eq!(
            ns("NO REPLY on Nov 08 00:54:06 2020 UTC", None),
            Some((want - 123_000_000, false))
        );
        // A configured zone: 01:54:06 CET is 00:54:06 UTC.
        assert_eq!(
            ns(".Nov  8 2020 01:54:06.123 CET: %X", None),
            Some((want, false))
        );
        // Sequence number and syslog host before the stamp.
        assert_eq!(
            ns("000123: sw1: Nov  8 2020 00:54:06.123 UTC: %X", None),
            Some((want, false))
        );
        // No year and no hint: no time, not a wrong one.
        assert_eq!(ns("Nov  8 00:54:06.123: %X", None), None);
        assert_eq!(find_timestamp("Attempts: Total=3"), None);
        assert_eq!(find_timestamp("Mar 32 10:00:00"), None);
        // The license agent's style, with a zone configured in lower case: kept, and
        // flagged as inferred (its offset is not known).
        let t = find_timestamp("Last ACK received: Apr 05 21:11:50 2023 pacific").unwrap();
        assert_eq!(t.zone.as_deref(), Some("pacific"));
        assert_eq!(t.raw, "Apr 05 21:11:50 2023 pacific");
        assert!(t.to_unix_ns(None).unwrap().1);
        // IST is +05:30: 11:18:06 IST is 05:48:06 UTC.
        assert_eq!(
            ns("Feb 27 11:18:06 2024 IST", None),
            Some((1_709_012_886_000_000_000, false))
        );
    }

    #[test]
    fn numeric_zones_and_marks() {
        // show call-home statistics: `2016-09-16 10:07:07 GMT-07:00` is 17:07:07 UTC.
        let t = find_timestamp("Last call-home message sent time: 2016-09-16 10:07:07 GMT-07:00")
            .unwrap();
        assert_eq!(t.zone.as_deref(), Some("GMT-07:00"));
        assert_eq!(t.to_unix_ns(None), Some((1_474_045_627_000_000_000, false)));
        assert_eq!(numeric_offset_s("UTC+05:30"), Some(19_800));
        assert_eq!(numeric_offset_s("GMT+25:00"), None);
        assert_eq!(numeric_offset_s("PDT"), None);
        // `*`: the clock is not authoritative; `.`: NTP lost; none.
        assert_eq!(
            find_timestamp("*Nov 17 18:05:09.580: %X").unwrap().mark,
            Some('*')
        );
        assert_eq!(
            find_timestamp(".Nov 8 2020 00:54:06 UTC: %X").unwrap().mark,
            Some('.')
        );
        assert_eq!(
            find_timestamp("Nov 8 2020 00:54:06 UTC: %X").unwrap().mark,
            None
        );
    }

    #[test]
    fn unknown_zone_is_flagged() {
        let (t, inferred) = ns("Nov 8 2020 00:54:06 XYZT: %X", None).unwrap();
        assert!(inferred);
        assert_eq!(t, 1_604_796_846_000_000_000);
    }
}
