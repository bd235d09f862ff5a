//! `--format jsonl`: one JSON object per line per switch × target, for log shippers
//! (docs/json-schema.md, "JSON lines"). Findings keep the schema of the JSON report's
//! findings; a line never holds a raw newline (JSON escapes it inside strings).

use super::json::PrimaryRef;
use super::{RunLine, certificate_expiry_seconds, probe_times, step_state_name};
use crate::diagnose::verdict::OverallVerdict;
use crate::diagnose::verdict::primary_finding;
use crate::model::{Finding, SCHEMA_VERSION, Severity, Vantage};
use serde::Serialize;
use std::io::Write;

/// One line.
#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub(super) struct Object<'a> {
    #[cfg_attr(test, schemars(extend("const" = crate::model::SCHEMA_VERSION)))]
    schema_version: u32,
    licpath_version: &'static str,
    #[cfg_attr(test, schemars(extend("enum" = ["analyze", "probe", "check"])))]
    command: &'a str,
    /// `target` (a target probed), `configuration` (a switch's configuration has error
    /// findings), `unusable` (an input that gave no plan) or `duplicate` (a text whose
    /// hostname, in `message`, another text has too; `switch` is its label).
    #[cfg_attr(test, schemars(extend("enum" = ["target", "configuration", "unusable", "duplicate", "capture"])))]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    switch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<OverallVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_unix: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_expiry_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<PrimaryRef<'a>>,
    /// Where the probe was measured from (`target` lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    vantage: Option<&'a Vantage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<StepObject>,
    findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
struct StepObject {
    #[cfg_attr(test, schemars(with = "crate::model::Step"))]
    step: &'static str,
    /// ok | failed | unknown | not_run | skipped
    #[cfg_attr(test, schemars(extend("enum" = ["ok", "failed", "unknown", "not_run", "skipped", "static"])))]
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<f64>,
}

impl<'a> Object<'a> {
    fn new(command: &'a str, kind: &'static str) -> Self {
        Object {
            schema_version: SCHEMA_VERSION,
            licpath_version: env!("CARGO_PKG_VERSION"),
            command,
            kind,
            switch: None,
            target: None,
            file: None,
            message: None,
            verdict: None,
            time_unix: None,
            duration_seconds: None,
            certificate_expiry_seconds: None,
            errors: None,
            warnings: None,
            primary: None,
            vantage: None,
            steps: Vec::new(),
            findings: Vec::new(),
        }
    }
}

fn object<'a>(command: &'a str, line: &RunLine<'a>) -> Object<'a> {
    match *line {
        RunLine::Target {
            switch,
            target,
            timeline: t,
        } => {
            let r = super::json::report(target, "live probe", t);
            let (time_unix, duration_seconds) = probe_times(t);
            Object {
                switch,
                target: Some(target),
                verdict: Some(r.verdict),
                time_unix,
                duration_seconds,
                certificate_expiry_seconds: certificate_expiry_seconds(t),
                errors: Some(r.errors),
                warnings: Some(r.warnings),
                primary: r.primary,
                vantage: r.vantage,
                steps: crate::diagnose::steps::steps_of(t)
                    .into_iter()
                    .map(|s| StepObject {
                        step: s.step.as_str(),
                        state: step_state_name(s.state),
                        duration_seconds: s.latency_ns.map(|ns| ns as f64 / 1e9),
                    })
                    .collect(),
                findings: t.all_findings().collect(),
                ..Object::new(command, "target")
            }
        }
        RunLine::Configuration {
            switch,
            file,
            findings,
        } => {
            let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
            let errors = count(Severity::Error);
            Object {
                switch: Some(switch),
                file: Some(file),
                // The configuration alone proves no path; it fails when it cannot work.
                verdict: Some(if errors > 0 {
                    OverallVerdict::Failed
                } else {
                    OverallVerdict::Ok
                }),
                errors: Some(errors as u64),
                warnings: Some(count(Severity::Warning) as u64),
                primary: primary_finding(findings.iter()).map(|f| PrimaryRef {
                    code: f.code,
                    severity: f.severity,
                    summary: &f.summary,
                    connection: None,
                }),
                findings: findings.iter().collect(),
                ..Object::new(command, "configuration")
            }
        }
        RunLine::Unusable { file, message } => Object {
            file: Some(file),
            message: Some(message),
            ..Object::new(command, "unusable")
        },
        RunLine::Duplicate {
            hostname,
            file,
            label,
        } => Object {
            switch: Some(label),
            file: Some(file),
            message: Some(hostname),
            ..Object::new(command, "duplicate")
        },
    }
}

/// `analyze --format jsonl`: one line for one capture file (kind `capture`), with the
/// verdict, the counts, the primary finding and every finding of the file.
pub fn write_capture_line(
    out: &mut dyn Write,
    file: &str,
    format: &str,
    t: &crate::model::Timeline,
) -> std::io::Result<()> {
    let r = super::json::report(file, format, t);
    let object = Object {
        file: Some(file),
        verdict: Some(r.verdict),
        errors: Some(r.errors),
        warnings: Some(r.warnings),
        primary: r.primary,
        findings: t.all_findings().collect(),
        ..Object::new("analyze", "capture")
    };
    one_line(out, &object)
}

fn one_line(out: &mut dyn Write, object: &Object<'_>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, object).map_err(|e| match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    })?;
    writeln!(out)
}

/// Writes one line per [`RunLine`].
pub fn write_jsonl(
    out: &mut dyn Write,
    command: &str,
    lines: &[RunLine<'_>],
) -> std::io::Result<()> {
    for line in lines {
        one_line(out, &object(command, line))?;
    }
    Ok(())
}

/// A configuration's line with its switch left empty, to be kept (spooled) until the
/// switch's label is known: [`write_with_switch`] writes it with the label, the same
/// bytes as the line written at once (issue 28 item 13: `check` held every switch's
/// findings whole until its line was written, 30 MB over 20,000 switches).
pub fn configuration_line(
    out: &mut dyn Write,
    command: &str,
    file: &str,
    findings: &[Finding],
) -> std::io::Result<()> {
    let line = RunLine::Configuration {
        switch: "",
        file,
        findings,
    };
    one_line(out, &object(command, &line))
}

/// A line from [`configuration_line`] (its newline included) with `switch` as its switch.
pub fn write_with_switch(out: &mut dyn Write, line: &[u8], switch: &str) -> std::io::Result<()> {
    // The first one: only fixed fields (version, command, kind) come before it.
    const EMPTY: &[u8] = b"\"switch\":\"\"";
    let at = line
        .windows(EMPTY.len())
        .position(|w| w == EMPTY)
        .ok_or_else(|| std::io::Error::other("a spooled configuration line without its switch"))?
        + EMPTY.len()
        - 2;
    out.write_all(&line[..at])?;
    serde_json::to_writer(&mut *out, switch).map_err(std::io::Error::other)?;
    out.write_all(&line[at + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{START_NS, connection, timeline};
    use crate::model::*;

    /// A spooled configuration line, given its switch, is the line written at once.
    #[test]
    fn a_spooled_configuration_line_is_the_same_bytes() {
        let mut f = Finding::new(
            FindingCode::ConfigCsluNoAddress,
            Severity::Error,
            Step::Dns,
            "summary with \"switch\":\"\" in it",
        );
        f.evidence = vec![Evidence {
            frame: None,
            time_ns: 0,
            what: "\"switch\":\"\"".into(),
            log: None,
        }];
        let findings = [f];
        for switch in ["sw1", "", "a \"b\" (c\\d.txt)\n\u{1}é"] {
            let mut direct = Vec::new();
            let line = RunLine::Configuration {
                switch,
                file: "f.txt",
                findings: &findings,
            };
            write_jsonl(&mut direct, "check", &[line]).unwrap();
            let mut spooled = Vec::new();
            configuration_line(&mut spooled, "check", "f.txt", &findings).unwrap();
            let mut out = Vec::new();
            write_with_switch(&mut out, &spooled, switch).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(direct).unwrap()
            );
        }
    }

    /// The plan's own warnings (config_cslu_no_address, non_production_endpoint) reach
    /// the line: they said "warnings": 0 and listed nothing.
    #[test]
    fn a_configurations_warnings_are_carried() {
        let f = [Finding::new(
            FindingCode::ConfigCsluNoAddress,
            Severity::Warning,
            Step::Dns,
            "no CSLU address",
        )];
        let mut out = Vec::new();
        write_jsonl(
            &mut out,
            "check",
            &[RunLine::Configuration {
                switch: "sw1",
                file: "sw1.txt",
                findings: &f,
            }],
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["kind"], "configuration");
        assert_eq!(v["verdict"], "ok");
        assert_eq!(
            (v["errors"].as_u64(), v["warnings"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(v["findings"][0]["code"], "config_cslu_no_address");
        assert_eq!(v["primary"]["code"], "config_cslu_no_address");
    }

    #[test]
    fn one_object_per_line_with_the_reports_findings() {
        let mut c = connection().syn().build();
        c.verdict = Verdict::Failed;
        c.reached = Step::Tcp;
        c.findings = vec![Finding::new(
            FindingCode::TcpRefused,
            Severity::Error,
            Step::Tcp,
            "refused\nby 203.0.113.10",
        )];
        let mut t = timeline(vec![], vec![c]);
        t.start_ns = Some(START_NS);
        t.end_ns = Some(START_NS + 500_000_000);
        let cfg = [Finding::new(
            FindingCode::TcpRefused,
            Severity::Error,
            Step::Tcp,
            "x",
        )];
        let mut out = Vec::new();
        write_jsonl(
            &mut out,
            "check",
            &[
                RunLine::Target {
                    switch: Some("sw\"1\n"),
                    target: "smart",
                    timeline: &t,
                },
                RunLine::Configuration {
                    switch: "sw2",
                    file: "b.txt",
                    findings: &cfg,
                },
                RunLine::Unusable {
                    file: "c.txt",
                    message: "c.txt: binary",
                },
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        let t0 = &lines[0];
        assert_eq!(t0["kind"], "target");
        assert_eq!(t0["switch"], "sw\"1\n");
        assert_eq!(t0["verdict"], "failed");
        assert_eq!(t0["duration_seconds"], 0.5);
        assert_eq!(t0["time_unix"], (START_NS / 1_000_000_000) as f64);
        assert_eq!(t0["primary"]["code"], "tcp_refused");
        // The report's finding schema, whole.
        let finding = serde_json::to_value(&t.connections[0].findings[0]).unwrap();
        assert_eq!(t0["findings"][0], finding);
        assert_eq!(t0["steps"][1]["step"], "tcp");
        assert_eq!(t0["steps"][1]["state"], "failed");
        assert_eq!(lines[1]["kind"], "configuration");
        assert_eq!(lines[1]["file"], "b.txt");
        assert_eq!(lines[1]["errors"], 1);
        assert_eq!(lines[2]["kind"], "unusable");
        assert_eq!(lines[2]["message"], "c.txt: binary");
        assert!(
            lines[2]
                .get("findings")
                .is_some_and(|f| f == &serde_json::json!([]))
        );
    }
}
