//! The JSON report: one document, versioned (`schema_version`), described in
//! `docs/json-schema.md` and, generated from these types, `docs/schema/` (real outputs
//! are validated against it in `tests/json_schema.rs`).

use crate::diagnose::verdict::primary_of;
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::model::switch::ProbePlan;
use crate::model::{EndReason, Finding, FindingCode, SCHEMA_VERSION, Severity, Timeline, Vantage};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct CaptureReport<'a> {
    pub file: &'a str,
    pub format: &'a str,
    pub verdict: OverallVerdict,
    pub errors: u64,
    pub warnings: u64,
    /// The finding that heads the report: the root cause first (docs/findings.md).
    pub primary: Option<PrimaryRef<'a>>,
    /// `probe`/`check`: where the probe was measured from (issue 22); absent for captures
    /// and text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vantage: Option<&'a Vantage>,
    /// What proved an OK verdict, in one line (issue 22 principle 7); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<&'a str>,
    pub timeline: &'a Timeline,
}

/// Which finding heads a report, and where it is.
#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct PrimaryRef<'a> {
    pub code: FindingCode,
    pub severity: Severity,
    pub summary: &'a str,
    /// The connection's `id`; absent for DNS, capture and text findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<u64>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub(super) struct Document<'a> {
    #[cfg_attr(test, schemars(extend("const" = crate::model::SCHEMA_VERSION)))]
    schema_version: u32,
    licpath_version: &'static str,
    #[cfg_attr(test, schemars(extend("enum" = ["analyze", "probe", "check", "tui"])))]
    command: &'a str,
    /// Why the run ended: `completed`, or `interrupted` (Ctrl-C; reports are partial).
    end_reason: EndReason,
    verdict: OverallVerdict,
    /// `probe --from-config`: what was read from the switch's configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanReport<'a>>,
    reports: Vec<CaptureReport<'a>>,
}

/// The plan derived from the switch's configuration, and what is wrong with it.
#[derive(Serialize, Clone, Copy)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct PlanReport<'a> {
    pub file: &'a str,
    pub plan: &'a ProbePlan,
    pub findings: &'a [Finding],
}

pub fn report<'a>(file: &'a str, format: &'a str, t: &'a Timeline) -> CaptureReport<'a> {
    CaptureReport {
        file,
        format,
        verdict: overall_verdict(t),
        errors: t.error_count(),
        warnings: t.warning_count(),
        proof: t.proof.as_deref(),
        primary: primary_of(t).map(|(f, connection)| PrimaryRef {
            code: f.code,
            severity: f.severity,
            summary: &f.summary,
            connection,
        }),
        vantage: t.vantage.as_ref(),
        timeline: t,
    }
}

/// Worst verdict first: failed, inconclusive, ok, no traffic.
pub fn combine(verdicts: impl Iterator<Item = OverallVerdict>) -> OverallVerdict {
    let rank = |v: &OverallVerdict| match v {
        OverallVerdict::Failed => 3,
        OverallVerdict::Inconclusive => 2,
        OverallVerdict::Ok => 1,
        OverallVerdict::NoLicensingTraffic => 0,
    };
    verdicts
        .max_by_key(rank)
        .unwrap_or(OverallVerdict::NoLicensingTraffic)
}

pub fn write_json(
    out: &mut dyn Write,
    command: &str,
    end_reason: EndReason,
    reports: Vec<CaptureReport<'_>>,
    plan: Option<PlanReport<'_>>,
) -> std::io::Result<()> {
    let plan_failed =
        plan.is_some_and(|p| p.findings.iter().any(|f| f.severity == Severity::Error));
    let verdict = combine(
        reports
            .iter()
            .map(|r| r.verdict)
            .chain(plan_failed.then_some(OverallVerdict::Failed)),
    );
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        licpath_version: env!("CARGO_PKG_VERSION"),
        command,
        end_reason,
        verdict,
        plan,
        reports,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io_error)?;
    writeln!(out)
}

fn io_error(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    }
}

/// A document's reports written one at a time (`check` over many switches): each report
/// is serialised into `spool` (a temporary file) as [`write_json`] places it, and
/// [`Spool::finish`] writes the document around them, the same bytes, while one report at
/// a time is in memory (the verdict, which comes first, is known only at the end).
pub struct Spool<W> {
    spool: W,
    count: usize,
    verdict: Option<OverallVerdict>,
}

impl<W: Write + std::io::Read + std::io::Seek> Spool<W> {
    pub fn new(spool: W) -> Self {
        Spool {
            spool,
            count: 0,
            verdict: None,
        }
    }

    pub fn add(&mut self, r: &CaptureReport<'_>) -> std::io::Result<()> {
        // serde_json's pretty form of an array element two levels deep.
        let sep: &[u8] = if self.count == 0 {
            b"\n    "
        } else {
            b",\n    "
        };
        self.spool.write_all(sep)?;
        serde_json::to_writer_pretty(Indented(&mut self.spool), r).map_err(io_error)?;
        self.count += 1;
        self.verdict = Some(combine(self.verdict.into_iter().chain([r.verdict])));
        Ok(())
    }

    pub fn finish(
        mut self,
        out: &mut dyn Write,
        command: &str,
        end_reason: EndReason,
    ) -> std::io::Result<()> {
        let doc = Document {
            schema_version: SCHEMA_VERSION,
            licpath_version: env!("CARGO_PKG_VERSION"),
            command,
            end_reason,
            verdict: combine(self.verdict.into_iter()),
            plan: None,
            reports: Vec::new(),
        };
        let mut head = serde_json::to_vec_pretty(&doc).map_err(io_error)?;
        const EMPTY: &[u8] = b"[]\n}";
        if self.count == 0 {
            out.write_all(&head)?;
            return writeln!(out);
        }
        if !head.ends_with(EMPTY) {
            return Err(std::io::Error::other(
                "the JSON document's reports are not last",
            ));
        }
        head.truncate(head.len() - EMPTY.len());
        out.write_all(&head)?;
        out.write_all(b"[")?;
        self.spool.flush()?;
        self.spool.seek(std::io::SeekFrom::Start(0))?;
        std::io::copy(&mut self.spool, out)?;
        out.write_all(b"\n  ]\n}\n")
    }
}

/// Indents what is written by four spaces after each line break (a report written on its
/// own, placed two levels deep; JSON strings hold no raw line break).
struct Indented<W>(W);

impl<W: Write> Write for Indented<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.0.write_all(&rest[..=i])?;
            self.0.write_all(b"    ")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{connection, timeline};
    use crate::model::{Step, Verdict};

    /// The spooled document (check over many switches, issue 28 item 13) is the bytes of
    /// the document written whole, with none, one and several reports.
    #[test]
    fn a_spooled_document_is_the_whole_documents_bytes() {
        let mut failed = connection().syn().build();
        failed.verdict = Verdict::Failed;
        failed.reached = Step::Tcp;
        failed.findings = vec![Finding::new(
            FindingCode::TcpRefused,
            Severity::Error,
            Step::Tcp,
            "refused\nby \"203.0.113.10\"",
        )];
        let t = [
            timeline(vec![], vec![failed]),
            timeline(vec![], vec![connection().syn().build()]),
            timeline(vec![], vec![]),
        ];
        for n in 0..=t.len() {
            let labels: Vec<String> = (0..n).map(|i| format!("sw{i} https://x/{i}")).collect();
            let reports = || {
                labels
                    .iter()
                    .zip(&t)
                    .map(|(l, t)| report(l, "live probe", t))
            };
            let mut whole = Vec::new();
            write_json(
                &mut whole,
                "check",
                EndReason::Completed,
                reports().collect(),
                None,
            )
            .unwrap();
            let mut spool = Spool::new(std::io::Cursor::new(Vec::new()));
            for r in reports() {
                spool.add(&r).unwrap();
            }
            let mut streamed = Vec::new();
            spool
                .finish(&mut streamed, "check", EndReason::Completed)
                .unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{n} report(s)"
            );
        }
    }
}
