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

/// Moved to the one calendar module; re-exported for the printers and front-ends.
pub use crate::model::time::{format_http_date, format_utc};
