//! Reports: text for people, JSON for scripts. Printers write to any `io::Write`; they
//! read only the model.

pub mod annotate;
pub mod json;
pub mod text;

use crate::model::{Source, Timeline, Verdict};
use serde::Serialize;

/// The verdict over one timeline, for the summary line, JSON and exit codes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OverallVerdict {
    /// Licensing connections were seen and none failed.
    Ok,
    /// At least one error finding.
    Failed,
    /// No licensing traffic in the input (use --all / --host to look wider).
    NoLicensingTraffic,
    /// Licensing traffic was seen, but its outcome is not visible.
    Inconclusive,
}

impl OverallVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            OverallVerdict::Ok => "OK",
            OverallVerdict::Failed => "FAILED",
            OverallVerdict::NoLicensingTraffic => "NO LICENSING TRAFFIC",
            OverallVerdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

pub fn overall_verdict(t: &Timeline) -> OverallVerdict {
    if t.has_errors() {
        return OverallVerdict::Failed;
    }
    if matches!(t.source, Source::Logs { .. }) {
        // Logs alone, no error left (a failure after the last restore is one): the switch
        // says it communicates (a restore or an OK response), or it does not say.
        let restored = t.switch_log.as_ref().is_some_and(|l| {
            l.entries
                .iter()
                .any(|e| crate::diagnose::logs::says_ok(&e.kind))
        });
        return if restored {
            OverallVerdict::Ok
        } else {
            OverallVerdict::Inconclusive
        };
    }
    let licensing: Vec<_> = t.connections.iter().filter(|c| c.licensing).collect();
    if licensing.is_empty() && !t.dns.iter().any(|d| d.licensing) {
        OverallVerdict::NoLicensingTraffic
    } else if licensing.iter().any(|c| c.verdict == Verdict::Ok) {
        OverallVerdict::Ok
    } else {
        OverallVerdict::Inconclusive
    }
}

/// One line for `licpath check`: `OK <target> ...` or `FAIL <target>: <step>: <code>:
/// <summary>` (the earliest failing step's first error).
pub fn check_line(label: &str, t: &Timeline) -> String {
    use crate::model::Severity;
    let took = match (t.start_ns, t.end_ns) {
        (Some(a), Some(b)) => format!("{:.0} ms", (b - a) as f64 / 1e6),
        _ => String::new(),
    };
    match overall_verdict(t) {
        OverallVerdict::Ok => {
            let c = t.connections.iter().find(|c| c.verdict == Verdict::Ok);
            let detail = c
                .map(|c| {
                    let tls = c
                        .tls
                        .as_ref()
                        .and_then(|x| x.version.clone())
                        .map(|v| format!(", {v}"))
                        .unwrap_or_default();
                    format!(" via {}{tls}", c.server)
                })
                .unwrap_or_default();
            format!("OK    {label}{detail}, {took}")
        }
        v => {
            let worst = t
                .all_findings()
                .filter(|f| f.severity == Severity::Error)
                .min_by_key(|f| f.step);
            match worst {
                Some(f) => format!(
                    "FAIL  {label}: {}: {}: {}",
                    f.step.as_str(),
                    f.code.as_str(),
                    f.summary
                ),
                None => format!("FAIL  {label}: {} ({took})", v.as_str().to_lowercase()),
            }
        }
    }
}

/// Nanoseconds since the epoch → "YYYY-MM-DD HH:MM:SS.mmm UTC" (proleptic Gregorian,
/// Howard Hinnant's days-from-civil inverse).
pub fn format_utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03} UTC",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Seconds since the epoch → an HTTP IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_http_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil(days);
    let sod = secs.rem_euclid(86_400);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        MON[(m - 1) as usize],
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Days since the epoch → (year, month, day), Howard Hinnant's civil_from_days.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_date_round_trip() {
        assert_eq!(
            super::format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        for s in [0, 951_782_400, 1_795_305_600, 4_102_444_799] {
            let d = super::format_http_date(s);
            assert_eq!(crate::wire::http::parse_http_date(&d), Some(s), "{d}");
        }
    }

    #[test]
    fn utc() {
        assert_eq!(super::format_utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(
            super::format_utc(1_674_691_200_123_000_000),
            "2023-01-26 00:00:00.123 UTC"
        );
        assert_eq!(
            super::format_utc(951_782_400_000_000_000),
            "2000-02-29 00:00:00.000 UTC"
        );
    }
}
