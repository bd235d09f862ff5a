//! Reports: text for people; JSON, JSONL and Prometheus for scripts and monitoring; HTML,
//! Markdown and the annotated pcapng to hand over (`handover` holds what the two documents
//! say, `words` the phrasebook the text report, the documents and the TUI share). Printers
//! write to any `io::Write` and read only the model, with one exception: `annotate` copies
//! the capture file again, through the analysis' own reader (`capture::read_blocks`).

pub mod annotate;
pub mod context;
pub mod handover;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod prometheus;
#[cfg(test)]
pub(crate) mod schema;
pub mod text;
pub mod watch;
pub mod words;

use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::model::{Timeline, Verdict};

/// One line for `licpath check`: `OK <target> ...` or `FAIL <target>: <step>: <code>:
/// <summary>` (the report's primary finding: root cause first, docs/findings.md).
pub fn check_line(label: &str, t: &Timeline) -> String {
    use crate::model::Severity;
    let took = match (t.start_ns, t.end_ns) {
        (Some(a), Some(b)) => crate::model::time::ms(b - a, crate::model::time::MsPrecision::Whole),
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
                        .and_then(|x| x.version)
                        .map(|v| format!(", {}", crate::model::tls_version_name(v)))
                        .unwrap_or_default();
                    format!(" via {}{tls}", c.server)
                })
                .unwrap_or_default();
            format!("OK    {label}{detail}, {took}")
        }
        v => {
            let worst = crate::diagnose::verdict::primary_of(t)
                .map(|(f, _)| f)
                .filter(|f| f.severity == Severity::Error);
            // This host's own failure says so, whatever the rule's wording.
            let whose = |f: &crate::model::Finding| match f.blame {
                Some(crate::model::Blame::Local) if !f.summary.starts_with("this host") => {
                    "this host: "
                }
                _ => "",
            };
            // Only this host's failures: exit 3, said as such (not the switch's FAIL).
            let word = match v {
                OverallVerdict::Failed => "FAIL",
                _ => "INCONCLUSIVE",
            };
            match worst {
                Some(f) => format!(
                    "{word}  {label}: {}: {}: {}{}",
                    f.step.as_str(),
                    f.code.as_str(),
                    whose(f),
                    f.summary
                ),
                None if v == OverallVerdict::Failed => {
                    format!("FAIL  {label}: {} ({took})", v.as_str().to_lowercase())
                }
                // Exit 3: nothing failed, nothing proved the path either.
                None => format!(
                    "INCONCLUSIVE  {label}: {} ({took})",
                    v.as_str().to_lowercase()
                ),
            }
        }
    }
}

/// One line of a `probe`/`check` run as the monitoring formats (`jsonl`, `prometheus`)
/// print it: what `check`'s text prints one line for.
#[derive(Debug, Clone, Copy)]
pub enum RunLine<'a> {
    /// A target probed, for the switch whose text gave the plan (its `hostname`; `None`
    /// when no switch's text was read).
    Target {
        switch: Option<&'a str>,
        target: &'a str,
        timeline: &'a Timeline,
    },
    /// A switch's configuration findings (text prints `NAME  FAIL  configuration:` when
    /// some are errors; the monitoring formats carry them all).
    Configuration {
        switch: &'a str,
        file: &'a str,
        findings: &'a [crate::model::Finding],
    },
    /// An input that gave no plan (`ERROR  ...`): which file, why.
    Unusable { file: &'a str, message: &'a str },
    /// A switch text whose `hostname` another text has too (a spare beside the real one):
    /// its lines are labelled `label` (`hostname (file)`) so that no series is shared.
    Duplicate {
        hostname: &'a str,
        file: &'a str,
        label: &'a str,
    },
}

/// When the probe of a timeline started (seconds since the epoch) and how long it took.
pub fn probe_times(t: &Timeline) -> (Option<f64>, Option<f64>) {
    let secs = |ns: i64| ns as f64 / 1e9;
    (
        t.start_ns.map(secs),
        t.start_ns
            .zip(t.end_ns)
            .map(|(a, b)| secs(b.saturating_sub(a))),
    )
}

/// Seconds from the probe's start until the first certificate of the chain the path
/// presented expires (negative: already expired); `None` without a chain. The chain is
/// the story connection's (a successful one, else the one that got furthest).
pub fn certificate_expiry_seconds(t: &Timeline) -> Option<i64> {
    let start = t.start_ns? / 1_000_000_000;
    let c = crate::diagnose::steps::primary(t)?;
    let soonest = c
        .tls
        .as_ref()?
        .certificates
        .iter()
        .map(|x| x.not_after)
        .min()?;
    Some(soonest.saturating_sub(start))
}

/// The step states of `diagnose::steps` as the monitoring formats name them.
pub fn step_state_name(s: crate::diagnose::steps::StepState) -> &'static str {
    use crate::diagnose::steps::StepState;
    match s {
        StepState::Ok => "ok",
        StepState::Failed => "failed",
        StepState::Unknown => "unknown",
        StepState::NotRun => "not_run",
        StepState::Skipped => "skipped",
        StepState::Static => "static",
    }
}

#[cfg(test)]
mod tests {
    use super::check_line;
    use crate::model::testing::{START_NS, connection, timeline};
    use crate::model::*;

    #[test]
    fn check_lines() {
        let mut ok = connection().build();
        ok.verdict = Verdict::Ok;
        ok.tls = Some(TlsSummary {
            version: Some(TlsVersion::Tls13),
            ..TlsSummary::default()
        });
        let mut t = timeline(vec![], vec![ok]);
        t.start_ns = Some(START_NS);
        t.end_ns = Some(START_NS + 412_000_000);
        assert_eq!(
            check_line("smart", &t),
            "OK    smart via 203.0.113.10:443, TLS 1.3, 412 ms"
        );

        let mut failed = connection().build();
        // Which error leads is diagnose::verdict's business; the line shows it.
        failed.findings = vec![
            Finding::new(
                FindingCode::CaptureGap,
                Severity::Warning,
                Step::Capture,
                "gap",
            ),
            Finding::new(FindingCode::TcpReset, Severity::Error, Step::Tcp, "reset"),
        ];
        let t = timeline(vec![], vec![failed]);
        assert_eq!(
            check_line("smart", &t),
            "FAIL  smart: tcp: tcp_reset: reset"
        );

        let t = timeline(vec![], vec![connection().build()]);
        assert_eq!(
            check_line("smart", &t),
            "INCONCLUSIVE  smart: inconclusive ()"
        );
    }
}
