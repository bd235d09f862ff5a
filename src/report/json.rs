//! The JSON report: one document, versioned (`schema_version`), described in
//! `docs/json-schema.md`. Consumers are tested with their own types in `tests/json.rs`.

use crate::diagnose::verdict::primary_of;
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::model::switch::ProbePlan;
use crate::model::{EndReason, Finding, FindingCode, SCHEMA_VERSION, Severity, Timeline, Vantage};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
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
pub struct PrimaryRef<'a> {
    pub code: FindingCode,
    pub severity: Severity,
    pub summary: &'a str,
    /// The connection's `id`; absent for DNS, capture and text findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<u64>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    licpath_version: &'static str,
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
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(|e| match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    })?;
    writeln!(out)
}
