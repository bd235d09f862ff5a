//! `watch`'s lines, one per judged licensing attempt: text for a terminal or a log, or
//! `--format jsonl` (docs/json-schema.md, "watch lines"). The JSON keys are those of
//! `check --format jsonl` where they mean the same (`switch`, `target`, `verdict`,
//! `time_unix`, `duration_seconds`, `primary`, `findings`). Names and summaries come
//! from the network: escaped in text, JSON-escaped in JSON.

use super::json::PrimaryRef;
use crate::diagnose::verdict::OverallVerdict;
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::escape::shown as esc;
use crate::model::{Finding, SCHEMA_VERSION, Severity};
use crate::watch::{Attempt, AttemptKind, FrameRef};
use serde::Serialize;
use std::io::Write;

/// `2026-12-07T03:15:11.123Z  sw1  smartreceiver.cisco.com:443  FAILED  tcp_timeout
/// 21000 ms  frames cap.pcap#3,5  summary`
pub fn write_attempt_text(out: &mut dyn Write, a: &Attempt) -> std::io::Result<()> {
    let verdict = a.verdict.as_str().to_ascii_uppercase();
    let kind = match a.kind {
        AttemptKind::Connection => "",
        AttemptKind::Dns => "dns ",
    };
    write!(
        out,
        "{}  {}  {kind}{}  {verdict}  {}  {} ms  frames {}",
        crate::model::time::format_utc(a.start_ns),
        esc(&a.switch_label()),
        esc(&a.target),
        a.primary.map_or("-", |c| c.as_str()),
        a.duration_ns / 1_000_000,
        esc(&frames_text(&a.frames)),
    )?;
    match &a.summary {
        Some(s) => writeln!(out, "  {}", esc(s)),
        None => writeln!(out),
    }
}

/// `file#frame,frame file2#frame`: frames of one file after its name once.
fn frames_text(frames: &[FrameRef]) -> String {
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for f in frames {
        if last == Some(f.file.as_str()) {
            out.push_str(&format!(",{}", f.frame));
        } else {
            if last.is_some() {
                out.push(' ');
            }
            out.push_str(&format!("{}#{}", f.file, f.frame));
            last = Some(&f.file);
        }
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub(super) struct Line<'a> {
    #[cfg_attr(test, schemars(extend("const" = crate::model::SCHEMA_VERSION)))]
    schema_version: u32,
    licpath_version: &'static str,
    #[cfg_attr(test, schemars(extend("const" = "watch")))]
    command: &'static str,
    /// `connection` or `dns`.
    #[cfg_attr(test, schemars(extend("enum" = ["connection", "dns"])))]
    kind: &'static str,
    switch: String,
    switch_address: String,
    target: &'a str,
    verdict: OverallVerdict,
    time_unix: f64,
    duration_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<PrimaryRef<'a>>,
    frames: &'a [FrameRef],
    findings: &'a [Finding],
}

/// One JSON object on one line.
pub fn write_attempt_jsonl(out: &mut dyn Write, a: &Attempt) -> std::io::Result<()> {
    let primary = a.primary.map(|code| PrimaryRef {
        code,
        severity: a
            .findings
            .iter()
            .find(|f| f.code == code)
            .map_or(Severity::Info, |f| f.severity),
        summary: a.summary.as_deref().unwrap_or(""),
        connection: None,
    });
    let line = Line {
        schema_version: SCHEMA_VERSION,
        licpath_version: env!("CARGO_PKG_VERSION"),
        command: "watch",
        kind: match a.kind {
            AttemptKind::Connection => "connection",
            AttemptKind::Dns => "dns",
        },
        switch: a.switch_label(),
        switch_address: a.switch.to_string(),
        target: &a.target,
        verdict: a.verdict,
        time_unix: a.start_ns as f64 / 1e9,
        duration_seconds: a.duration_ns as f64 / 1e9,
        primary,
        frames: &a.frames,
        findings: &a.findings,
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FindingCode;

    fn attempt() -> Attempt {
        Attempt {
            kind: AttemptKind::Connection,
            start_ns: 1_796_000_000_123_000_000,
            duration_ns: 21_500_000_000,
            switch: "10.1.1.1".parse().unwrap(),
            switch_name: Some("sw\x1b[2J1".into()),
            target: "smartreceiver.cisco.com:443".into(),
            verdict: OverallVerdict::Failed,
            primary: Some(FindingCode::TcpTimeout),
            summary: Some("no answer\nto 3 SYNs".into()),
            frames: vec![
                FrameRef {
                    file: "a.pcap".into(),
                    frame: 3,
                },
                FrameRef {
                    file: "a.pcap".into(),
                    frame: 5,
                },
                FrameRef {
                    file: "b.pcap".into(),
                    frame: 1,
                },
            ],
            findings: Vec::new(),
            connection: None,
            lookups: Vec::new(),
        }
    }

    #[test]
    fn a_text_line_says_everything_on_one_escaped_line() {
        let mut out = Vec::new();
        write_attempt_text(&mut out, &attempt()).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "2026-11-30 00:53:20.123 UTC  sw\\x1b[2J1  smartreceiver.cisco.com:443  FAILED  tcp_timeout  21500 ms  frames a.pcap#3,5 b.pcap#1  no answer\\nto 3 SYNs\n"
        );
    }

    #[test]
    fn a_jsonl_line_is_one_object() {
        let mut out = Vec::new();
        write_attempt_jsonl(&mut out, &attempt()).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["command"], "watch");
        assert_eq!(v["kind"], "connection");
        assert_eq!(v["switch"], "sw\u{1b}[2J1");
        assert_eq!(v["switch_address"], "10.1.1.1");
        assert_eq!(v["verdict"], "failed");
        assert_eq!(v["primary"]["code"], "tcp_timeout");
        assert_eq!(v["duration_seconds"], 21.5);
        assert_eq!(v["frames"][2]["file"], "b.pcap");
        assert_eq!(v["frames"][1]["frame"], 5);
    }
}
