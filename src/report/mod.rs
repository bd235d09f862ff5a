//! Reports: text for people, JSON for scripts. Printers write to any `io::Write`; they
//! read only the model.

pub mod annotate;
pub mod handover;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

pub use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::model::{Timeline, Verdict};

/// One line for `licpath check`: `OK <target> ...` or `FAIL <target>: <step>: <code>:
/// <summary>` (the report's primary finding: root cause first, docs/findings.md).
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
        assert_eq!(check_line("smart", &t), "FAIL  smart: inconclusive ()");
    }
}
