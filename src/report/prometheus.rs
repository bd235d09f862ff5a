//! `--format prometheus`: the Prometheus text exposition format (0.0.4) as node_exporter's
//! textfile collector reads it (docs/monitoring.md lists every metric). Per switch ×
//! target: success, verdict, duration, the probe's timestamp, each step's success and
//! duration, each finding as a labelled gauge, the seconds until the path's certificate
//! chain expires, and where the probe was measured from (an info series).
//!
//! What the collector refuses, this printer never writes: client-side timestamps, a
//! family split in two, a second sample with the same labels (the first is kept and the
//! repeats are counted; two switch texts with the same `hostname` do not make one: `check`
//! labels them apart, see `RunLine::Duplicate`), a non-finite value.
//! Label values come from configurations and the network: they are escaped as the format
//! says (`\\`, `\"`, `\n`), other control characters become U+FFFD and a value is cut at
//! [`MAX_LABEL_CHARS`].
//!
//! Hand-written rather than through a metrics crate (issue 25 item 7): those are built
//! around a registry of live counters and gauges served to a scraper; this printer writes
//! one run's report as a text file, so a registry would be a second model of the same
//! numbers, and the collector's rules above are checked here line by line either way.

use super::{RunLine, certificate_expiry_seconds, probe_times};
use crate::diagnose::steps::StepState;
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::model::{Finding, Timeline};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::{Seek, Write};

/// A label value longer than this is cut (a hostile `hostname` must not make a
/// megabyte series).
pub const MAX_LABEL_CHARS: usize = 256;

/// The metric families, in the order they are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    Success,
    Verdict,
    Duration,
    Timestamp,
    StepSuccess,
    StepDuration,
    Finding,
    CertificateExpiry,
    Vantage,
    ConfigFinding,
    InputUnusable,
    InputDuplicate,
    WatchAttempts,
    WatchFailures,
    WatchFirstAttempt,
    WatchLastAttempt,
    WatchLastSuccess,
    WatchDrops,
    WatchSwitchesForgotten,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Success => "licpath_success",
            Metric::Verdict => "licpath_verdict",
            Metric::Duration => "licpath_duration_seconds",
            Metric::Timestamp => "licpath_probe_timestamp_seconds",
            Metric::StepSuccess => "licpath_step_success",
            Metric::StepDuration => "licpath_step_duration_seconds",
            Metric::Finding => "licpath_finding",
            Metric::CertificateExpiry => "licpath_certificate_expiry_seconds",
            Metric::Vantage => "licpath_vantage_info",
            Metric::ConfigFinding => "licpath_config_finding",
            Metric::InputUnusable => "licpath_input_unusable",
            Metric::InputDuplicate => "licpath_input_duplicate",
            Metric::WatchAttempts => "licpath_watch_attempts_total",
            Metric::WatchFailures => "licpath_watch_failures_total",
            Metric::WatchFirstAttempt => "licpath_watch_first_attempt_timestamp_seconds",
            Metric::WatchLastAttempt => "licpath_watch_last_attempt_timestamp_seconds",
            Metric::WatchLastSuccess => "licpath_watch_last_success_timestamp_seconds",
            Metric::WatchDrops => "licpath_watch_capture_drops_total",
            Metric::WatchSwitchesForgotten => "licpath_watch_switches_forgotten_total",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Metric::WatchAttempts
            | Metric::WatchFailures
            | Metric::WatchDrops
            | Metric::WatchSwitchesForgotten => "counter",
            _ => "gauge",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Metric::Success => {
                "1 when the licensing path of the switch to the target worked end to end (verdict ok), else 0."
            }
            Metric::Verdict => {
                "The probe's verdict as a label (ok, failed, inconclusive, no_licensing_traffic); always 1."
            }
            Metric::Duration => "Seconds the probe of the target took.",
            Metric::Timestamp => "When the probe started, in seconds since the epoch.",
            Metric::StepSuccess => {
                "1 when the step (dns, tcp, proxy, tls, cert, http) succeeded, 0 when it failed, was not reached or its outcome is unknown; absent when it does not apply."
            }
            Metric::StepDuration => "Seconds the step took, when measured.",
            Metric::Finding => {
                "A finding of the probe (docs/findings.md): code, severity and step as labels; always 1."
            }
            Metric::CertificateExpiry => {
                "Seconds from the probe until the first certificate of the chain the path presented expires (negative: expired); days = value / 86400."
            }
            Metric::Vantage => {
                "Where the probe was measured from: this host, its source address and interface, the name servers asked and where they came from (resolv_conf, dns_server, switch_config); always 1. Join on switch and target."
            }
            Metric::ConfigFinding => {
                "An error finding in the switch's configuration text (docs/findings.md); always 1."
            }
            Metric::InputUnusable => {
                "An input file that gave no plan (unreadable, binary, not a switch's text); always 1."
            }
            Metric::InputDuplicate => {
                "A switch text whose hostname another text has too; its series are labelled switch=\"HOSTNAME (FILE)\"; always 1."
            }
            Metric::WatchAttempts => {
                "Licensing attempts (connections and name lookups) licpath watch judged, per switch."
            }
            Metric::WatchFailures => {
                "Failed licensing attempts per switch, by the code of the finding that heads them (docs/findings.md)."
            }
            Metric::WatchFirstAttempt => {
                "When licpath watch saw the switch's first licensing attempt, in seconds since the epoch (capture time)."
            }
            Metric::WatchLastAttempt => {
                "When the switch's latest licensing attempt started, in seconds since the epoch (capture time)."
            }
            Metric::WatchLastSuccess => {
                "When the switch's latest successful licensing connection started, in seconds since the epoch; absent until one is seen."
            }
            Metric::WatchDrops => {
                "Packets the capture lost (where: kernel or interface), as the capture's statistics count them."
            }
            Metric::WatchSwitchesForgotten => {
                "Switches licpath watch stopped tracking to stay within --max-switches."
            }
        }
    }
}

/// What was written: samples, and repeated series left out (the first kept).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub samples: usize,
    pub duplicates: usize,
}

/// A label value as the exposition format wants it, between the quotes.
pub fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_LABEL_CHARS) + 2);
    for c in s.chars().take(MAX_LABEL_CHARS) {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The samples gathered so far: per family its sample lines as one buffer, and a digest
/// of each series written against repeats (issue 28 item 13: a string per sample line and
/// per series name held 120 MB of a 20,000-switch fleet's 31 MB exposition).
#[derive(Default)]
struct Samples {
    families: BTreeMap<Metric, Family>,
    /// The first 128 bits of each series' SHA-256.
    seen: HashSet<[u8; 16]>,
    duplicates: usize,
    /// A family's lines beyond this many bytes go to a temporary file of its own.
    spool_at: Option<usize>,
    /// The first error writing a temporary file: the run's output fails with it.
    error: Option<std::io::Error>,
}

/// One family's sample lines, each ending in a newline, and how many: the first ones
/// in a temporary file when spooled, the latest in memory.
#[derive(Default)]
struct Family {
    file: Option<std::fs::File>,
    lines: String,
    samples: usize,
}

impl Family {
    fn spill(&mut self) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(self.lines.as_bytes())?;
        self.lines.clear();
        Ok(())
    }

    fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(mut file) = self.file.as_ref() {
            file.rewind()?;
            std::io::copy(&mut file, out)?;
        }
        out.write_all(self.lines.as_bytes())
    }
}

/// What a run's samples hold: the bytes of the sample lines and the series digests.
#[derive(Debug, PartialEq, Eq)]
pub struct Held {
    pub line_bytes: usize,
    pub series: usize,
}

fn series_digest(series: &str) -> [u8; 16] {
    let d = Sha256::digest(series.as_bytes());
    let mut out = [0; 16];
    out.copy_from_slice(&d[..16]);
    out
}

impl Samples {
    fn add(&mut self, m: Metric, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label_value(v)))
            .collect();
        let series = if labels.is_empty() {
            m.name().to_string()
        } else {
            format!("{}{{{}}}", m.name(), labels.join(","))
        };
        if !self.seen.insert(series_digest(&series)) {
            self.duplicates += 1;
            return;
        }
        let family = self.families.entry(m).or_default();
        // Writing into a String cannot fail.
        let _ = writeln!(family.lines, "{series} {value}");
        family.samples += 1;
        if self.spool_at.is_some_and(|at| family.lines.len() >= at)
            && let Err(e) = family.spill()
        {
            self.error.get_or_insert(e);
            self.spool_at = None;
        }
    }

    fn held(&self) -> Held {
        Held {
            line_bytes: self.families.values().map(|f| f.lines.len()).sum(),
            series: self.seen.len(),
        }
    }

    fn add_target(&mut self, switch: &str, target: &str, t: &Timeline) {
        let id = [("switch", switch), ("target", target)];
        let with = |k: &'static str, v: &'static str| [id[0], id[1], (k, v)];
        let verdict = overall_verdict(t);
        self.add(
            Metric::Success,
            &id,
            f64::from(u8::from(verdict == OverallVerdict::Ok)),
        );
        self.add(
            Metric::Verdict,
            &with("verdict", verdict_name(verdict)),
            1.0,
        );
        let (start, took) = probe_times(t);
        if let Some(took) = took {
            self.add(Metric::Duration, &id, took);
        }
        if let Some(start) = start {
            self.add(Metric::Timestamp, &id, start);
        }
        for s in crate::diagnose::steps::steps_of(t) {
            let labels = with("step", s.step.as_str());
            match s.state {
                // A static entry (`ip host`) asked no name server: no DNS sample.
                StepState::Skipped | StepState::Static => continue,
                StepState::Ok => self.add(Metric::StepSuccess, &labels, 1.0),
                StepState::Failed | StepState::Unknown | StepState::NotRun => {
                    self.add(Metric::StepSuccess, &labels, 0.0)
                }
            }
            if let Some(ns) = s.latency_ns {
                self.add(Metric::StepDuration, &labels, ns as f64 / 1e9);
            }
        }
        // The same finding on two connections is one series.
        let found: BTreeSet<_> = t
            .all_findings()
            .map(|f| (f.code.as_str(), f.severity.as_str(), f.step.as_str()))
            .collect();
        for (code, severity, step) in found {
            let labels = [
                id[0],
                id[1],
                ("code", code),
                ("severity", severity),
                ("step", step),
            ];
            self.add(Metric::Finding, &labels, 1.0);
        }
        if let Some(secs) = certificate_expiry_seconds(t) {
            self.add(Metric::CertificateExpiry, &id, secs as f64);
        }
        // An info series of its own (node_exporter's `node_uname_info` pattern): the
        // vantage as labels on every series would start new series whenever this host's
        // address or resolver changes, and break the rules' `switch`/`target` identity.
        if let Some(v) = &t.vantage {
            let source = v.source_address.map(|a| a.to_string()).unwrap_or_default();
            let resolver = v.resolver_list();
            let labels = [
                id[0],
                id[1],
                ("host", v.host.as_str()),
                ("source_address", source.as_str()),
                ("interface", v.interface.as_deref().unwrap_or("")),
                ("resolver", resolver.as_str()),
                ("resolver_origin", v.resolver_origin.as_str()),
            ];
            self.add(Metric::Vantage, &labels, 1.0);
        }
    }

    fn add_configuration(&mut self, switch: &str, file: &str, findings: &[Finding]) {
        let found: BTreeSet<_> = findings
            .iter()
            .map(|f| (f.code.as_str(), f.severity.as_str()))
            .collect();
        for (code, severity) in found {
            let labels = [
                ("switch", switch),
                ("file", file),
                ("code", code),
                ("severity", severity),
            ];
            self.add(Metric::ConfigFinding, &labels, 1.0);
        }
    }
}

fn verdict_name(v: OverallVerdict) -> &'static str {
    match v {
        OverallVerdict::Ok => "ok",
        OverallVerdict::Failed => "failed",
        OverallVerdict::Inconclusive => "inconclusive",
        OverallVerdict::NoLicensingTraffic => "no_licensing_traffic",
    }
}

/// Writes the lines as one textfile: each family once, its HELP and TYPE first.
pub fn write_prometheus(out: &mut dyn Write, lines: &[RunLine<'_>]) -> std::io::Result<Written> {
    let mut s = Series::default();
    for line in lines {
        s.add(line);
    }
    s.write(out)
}

/// The samples of a run, gathered one line at a time: a family's samples are printed
/// together, so they wait for the end of the run, but what a line's timeline gave is kept
/// as its sample lines only, not the timeline (a fleet of 20,000 switches, issue 28).
#[derive(Default)]
pub struct Series(Samples);

impl Series {
    pub fn add(&mut self, line: &RunLine<'_>) {
        let s = &mut self.0;
        match *line {
            RunLine::Target {
                switch,
                target,
                timeline,
            } => s.add_target(switch.unwrap_or(""), target, timeline),
            RunLine::Configuration {
                switch,
                file,
                findings,
            } => s.add_configuration(switch, file, findings),
            RunLine::Unusable { file, .. } => s.add(Metric::InputUnusable, &[("file", file)], 1.0),
            RunLine::Duplicate {
                hostname,
                file,
                label,
            } => s.add(
                Metric::InputDuplicate,
                &[("hostname", hostname), ("file", file), ("switch", label)],
                1.0,
            ),
        }
    }

    /// The samples of a long run (`check` over a fleet): each family's lines past 64 KiB
    /// wait in a temporary file of its own (issue 28 item 13).
    pub fn spooled() -> Series {
        Series(Samples {
            spool_at: Some(64 * 1024),
            ..Samples::default()
        })
    }

    /// What is held in memory so far.
    pub fn held(&self) -> Held {
        self.0.held()
    }

    /// Each family once, its HELP and TYPE first.
    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<Written> {
        write_samples(out, &self.0)
    }
}

/// Each family once, its HELP and TYPE first.
fn write_samples(out: &mut dyn Write, s: &Samples) -> std::io::Result<Written> {
    let mut written = Written {
        samples: 0,
        duplicates: s.duplicates,
    };
    if let Some(e) = &s.error {
        return Err(std::io::Error::new(
            e.kind(),
            format!("a temporary file for the samples: {e}"),
        ));
    }
    for (m, family) in &s.families {
        writeln!(out, "# HELP {} {}", m.name(), m.help())?;
        writeln!(out, "# TYPE {} {}", m.name(), m.kind())?;
        family.write(out)?;
        written.samples += family.samples;
    }
    Ok(written)
}

/// `watch --textfile-dir`: per switch the latest verdict per target (the same
/// `licpath_success` and `licpath_verdict` as `check`), attempts and failures by code,
/// the first, latest and latest successful attempt's times; the capture's drops.
pub fn write_watch_prometheus(
    out: &mut dyn Write,
    switches: &crate::watch::Switches,
    drops: Option<(u64, u64)>,
) -> std::io::Result<Written> {
    let mut s = Samples::default();
    let secs = |ns: i64| ns as f64 / 1e9;
    for sw in switches.by_label.values() {
        let id = [("switch", sw.label.as_str())];
        s.add(Metric::WatchAttempts, &id, sw.attempts as f64);
        for (code, n) in &sw.failures {
            s.add(
                Metric::WatchFailures,
                &[id[0], ("code", code.as_str())],
                *n as f64,
            );
        }
        s.add(Metric::WatchFirstAttempt, &id, secs(sw.first_attempt_ns));
        s.add(Metric::WatchLastAttempt, &id, secs(sw.last_attempt_ns));
        if let Some(t) = sw.last_success_ns {
            s.add(Metric::WatchLastSuccess, &id, secs(t));
        }
        for (target, t) in &sw.targets {
            let tid = [id[0], ("target", target.as_str())];
            s.add(
                Metric::Success,
                &tid,
                f64::from(u8::from(t.verdict == OverallVerdict::Ok)),
            );
            s.add(
                Metric::Verdict,
                &[tid[0], tid[1], ("verdict", verdict_name(t.verdict))],
                1.0,
            );
        }
    }
    if let Some((kernel, interface)) = drops {
        s.add(Metric::WatchDrops, &[("where", "kernel")], kernel as f64);
        s.add(
            Metric::WatchDrops,
            &[("where", "interface")],
            interface as f64,
        );
    }
    s.add(
        Metric::WatchSwitchesForgotten,
        &[],
        switches.forgotten as f64,
    );
    write_samples(out, &s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{START_NS, cert, connection, timeline};
    use crate::model::*;

    fn print(lines: &[RunLine<'_>]) -> (String, Written) {
        let mut out = Vec::new();
        let w = write_prometheus(&mut out, lines).unwrap();
        (String::from_utf8(out).unwrap(), w)
    }

    #[test]
    fn label_values_are_escaped_and_bounded() {
        assert_eq!(label_value("sw-1"), "sw-1");
        assert_eq!(
            label_value("a\\b\"c\nd\re\u{7}f é"),
            "a\\\\b\\\"c\\nd\u{FFFD}e\u{FFFD}f é"
        );
        let long = "x".repeat(10_000);
        assert_eq!(label_value(&long).len(), MAX_LABEL_CHARS);
        // A hostile name cannot end the label or the line.
        let hostile = "sw\"} 1\nlicpath_success{switch=\"evil";
        let v = label_value(hostile);
        assert!(!v.contains('\n'));
        assert_eq!(v.matches('"').count(), v.matches("\\\"").count());
    }

    fn failed_timeline() -> Timeline {
        let mut c = connection().syn().build();
        c.verdict = Verdict::Failed;
        c.reached = Step::Tcp;
        let refused = Finding::new(FindingCode::TcpRefused, Severity::Error, Step::Tcp, "rst");
        c.findings = vec![refused.clone(), refused];
        let mut t = timeline(vec![], vec![c]);
        t.start_ns = Some(START_NS);
        t.end_ns = Some(START_NS + 250_000_000);
        t
    }

    #[test]
    fn a_failed_target_its_steps_and_findings() {
        let t = failed_timeline();
        let (text, w) = print(&[RunLine::Target {
            switch: Some("core-1"),
            target: "smart",
            timeline: &t,
        }]);
        let id = "switch=\"core-1\",target=\"smart\"";
        for want in [
            "# HELP licpath_success ".to_string(),
            "# TYPE licpath_success gauge".into(),
            format!("licpath_success{{{id}}} 0\n"),
            format!("licpath_verdict{{{id},verdict=\"failed\"}} 1\n"),
            format!("licpath_duration_seconds{{{id}}} 0.25\n"),
            format!(
                "licpath_probe_timestamp_seconds{{{id}}} {}\n",
                START_NS / 1_000_000_000
            ),
            format!("licpath_step_success{{{id},step=\"tcp\"}} 0\n"),
            format!(
                "licpath_finding{{{id},code=\"tcp_refused\",severity=\"error\",step=\"tcp\"}} 1\n"
            ),
        ] {
            assert!(text.contains(&want), "{want:?} not in\n{text}");
        }
        // The same finding on two connections (here: twice on one) is one series.
        assert_eq!(text.matches("code=\"tcp_refused\"").count(), 1, "{text}");
        assert_eq!(w.duplicates, 0);
        assert!(
            !text.contains("licpath_certificate_expiry_seconds{"),
            "{text}"
        );
    }

    #[test]
    fn a_chain_gives_the_seconds_to_its_first_expiry() {
        let start = START_NS / 1_000_000_000;
        let mut c = connection().handshake().build();
        c.tls = Some(TlsSummary {
            certificates: vec![
                cert("leaf", "ca", start - 10, start + 20 * 86_400),
                cert("ca", "ca", start - 10, start + 900 * 86_400),
            ],
            handshake_complete: true,
            ..TlsSummary::default()
        });
        c.verdict = Verdict::Ok;
        c.reached = Step::Http;
        let mut t = timeline(vec![], vec![c]);
        t.start_ns = Some(START_NS);
        let (text, _) = print(&[RunLine::Target {
            switch: None,
            target: "smart",
            timeline: &t,
        }]);
        assert!(
            text.contains(
                "licpath_certificate_expiry_seconds{switch=\"\",target=\"smart\"} 1728000\n"
            ),
            "{text}"
        );
    }

    /// What a run keeps until its end is its sample lines' bytes and a 16-byte digest per
    /// series: no timeline, no second copy of each series name (issue 28 item 13).
    #[test]
    fn a_run_holds_its_sample_bytes_and_a_digest_per_series() {
        let t = failed_timeline();
        let mut series = Series::default();
        let names: Vec<String> = (0..500).map(|i| format!("switch-{i:05}")).collect();
        for name in &names {
            series.add(&RunLine::Target {
                switch: Some(name),
                target: "smart",
                timeline: &t,
            });
        }
        let mut out = Vec::new();
        let w = series.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let sample_bytes: usize = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.len() + 1)
            .sum();
        assert_eq!(
            series.held(),
            Held {
                line_bytes: sample_bytes,
                series: w.samples,
            }
        );
        assert_eq!(w.samples % names.len(), 0, "{text}");
    }

    /// Spooled, the samples in memory stay under the spool size per family and the
    /// exposition is the same bytes.
    #[test]
    fn spooled_samples_are_the_same_bytes_in_bounded_memory() {
        let t = failed_timeline();
        let mut kept = Series::default();
        let mut spooled = Series(Samples {
            spool_at: Some(1024),
            ..Samples::default()
        });
        let names: Vec<String> = (0..300).map(|i| format!("switch-{i:05}")).collect();
        for name in &names {
            let line = RunLine::Target {
                switch: Some(name),
                target: "smart",
                timeline: &t,
            };
            kept.add(&line);
            spooled.add(&line);
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert_eq!(kept.write(&mut a).unwrap(), spooled.write(&mut b).unwrap());
        assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
        let families = spooled.0.families.len();
        let held = spooled.held().line_bytes;
        assert!(held < 1024 * families, "{held} bytes held");
        assert!(kept.held().line_bytes > 10 * 1024 * families);
        // Written twice, the same (each file is read from its start).
        let (mut c, mut d) = (Vec::new(), Vec::new());
        spooled.write(&mut c).unwrap();
        spooled.write(&mut d).unwrap();
        assert_eq!(c, d);
    }

    #[test]
    fn families_are_whole_and_repeated_series_dropped() {
        let t = failed_timeline();
        let refused = [Finding::new(
            FindingCode::TcpRefused,
            Severity::Error,
            Step::Tcp,
            "x",
        )];
        let line = |sw| RunLine::Target {
            switch: Some(sw),
            target: "smart",
            timeline: &t,
        };
        let (text, w) = print(&[
            line("a"),
            RunLine::Unusable {
                file: "notes.txt",
                message: "no licensing configuration",
            },
            line("b"),
            line("a"),
            RunLine::Configuration {
                switch: "c",
                file: "c.txt",
                findings: &refused,
            },
        ]);
        // Each family once, contiguous: its samples right after its TYPE line.
        for m in [
            "licpath_success",
            "licpath_finding",
            "licpath_input_unusable",
        ] {
            assert_eq!(text.matches(&format!("# TYPE {m} gauge")).count(), 1, "{m}");
            let at = text.find(&format!("# TYPE {m} gauge")).unwrap();
            let after = &text[at..];
            let block_end = after[1..].find("# HELP").map_or(after.len(), |i| i + 1);
            assert_eq!(
                text.matches(&format!("\n{m}{{")).count(),
                after[..block_end].matches(&format!("\n{m}{{")).count(),
                "{m} split:\n{text}"
            );
        }
        assert_eq!(text.matches("licpath_success{").count(), 2, "{text}");
        assert!(w.duplicates > 0);
        assert!(text.contains("licpath_input_unusable{file=\"notes.txt\"} 1\n"));
        assert!(text.contains(
            "licpath_config_finding{switch=\"c\",file=\"c.txt\",code=\"tcp_refused\",severity=\"error\"} 1\n"
        ));
        // No client-side timestamps: every sample line is `series value`.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(
                l.rsplit_once("} ").map(|(_, v)| v.contains(' ')),
                Some(false),
                "{l}"
            );
        }
    }
}
