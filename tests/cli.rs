//! The `licpath` binary as a script sees it: exit codes, one-line errors, colour rules,
//! and the JSON contract (docs/json-schema.md) read with the consumer's own types.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn licpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn cap(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .display()
        .to_string()
}

fn tmpfile(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("licpath-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn exit_codes_follow_the_verdict() {
    assert_eq!(
        licpath(&["analyze", &cap("healthy-direct-tls13.pcap")])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        licpath(&["analyze", &cap("proxy-407.pcap")]).status.code(),
        Some(1)
    );
    // Several files: the worst wins.
    assert_eq!(
        licpath(&[
            "analyze",
            &cap("healthy-proxy.pcap"),
            &cap("dns-nxdomain.pcap")
        ])
        .status
        .code(),
        Some(1)
    );
}

#[test]
fn unusable_input_is_exit_2_with_one_line() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["analyze".into(), "/nonexistent/x.pcap".into()],
            "No such file",
        ),
        (
            vec![
                "analyze".into(),
                tmpfile("readme.pcap", b"# not a capture at all\n")
                    .display()
                    .to_string(),
            ],
            "not a pcap or pcapng",
        ),
        (
            vec![
                "analyze".into(),
                tmpfile("empty.pcap", b"").display().to_string(),
            ],
            "empty file",
        ),
        (
            vec![
                "analyze".into(),
                "--ios-version".into(),
                "seventeen".into(),
                cap("proxy-407.pcap"),
            ],
            "not an IOS XE version",
        ),
        (
            vec![
                "analyze".into(),
                "--trust-store".into(),
                tmpfile("bad.pem", b"nothing").display().to_string(),
                cap("proxy-407.pcap"),
            ],
            "no certificate",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = licpath(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(needle), "{args:?}: {err}");
        // clap usage errors end with "For more information, try '--help'": the message is still one line.
        if !err.contains("Usage") && !err.contains("For more information") {
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        }
        assert!(o.stdout.is_empty());
    }
    assert_eq!(licpath(&[]).status.code(), Some(2));
    assert_eq!(licpath(&["analyze"]).status.code(), Some(2));
    assert_eq!(licpath(&["--help"]).status.code(), Some(0));
}

#[test]
fn truncated_file_warns_and_reports_partial_results() {
    let bytes = std::fs::read(cap("proxy-403.pcap")).unwrap();
    let p = tmpfile("cut.pcap", &bytes[..bytes.len() - 10]);
    let o = licpath(&["analyze", "--json", p.to_str().unwrap()]);
    assert!(stderr(&o).contains("truncated capture"), "{}", stderr(&o));
    let doc: Doc = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = doc.reports[0]
        .timeline
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert!(codes.contains(&"capture_truncated"), "{codes:?}");
    // The 403 came before the cut: the verdict survives.
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = licpath(&["analyze", &cap("proxy-407.pcap")]);
    assert!(!plain.stdout.contains(&0x1b), "not a terminal: no escapes");
    let forced = licpath(&["analyze", "--color", "always", &cap("proxy-407.pcap")]);
    assert!(forced.stdout.contains(&0x1b));
}

#[test]
fn text_report_leads_with_the_verdict_and_the_fix() {
    let o = licpath(&["analyze", &cap("ssl-interception-tls12.pcap")]);
    let text = String::from_utf8(o.stdout).unwrap();
    let verdict_line = text
        .lines()
        .position(|l| l.contains("verdict: FAILED"))
        .unwrap();
    let finding_line = text
        .lines()
        .position(|l| l.contains("ERROR ssl_interception"))
        .unwrap();
    assert!(verdict_line < 4 && verdict_line < finding_line);
    assert!(text.contains("Lab Squid Interception CA"));
    assert!(
        text.contains("crypto pki trustpoint"),
        "remediation printed"
    );
}

// --- the consumer's side of the JSON contract -------------------------------------------

#[derive(Deserialize)]
struct Doc {
    schema_version: u32,
    command: String,
    verdict: String,
    reports: Vec<Report>,
}

#[derive(Deserialize)]
struct Report {
    file: String,
    format: String,
    verdict: String,
    errors: usize,
    timeline: Timeline,
}

#[derive(Deserialize)]
struct Timeline {
    stats: Stats,
    dns: Vec<Dns>,
    connections: Vec<Conn>,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct Stats {
    frames: u64,
}

#[derive(Deserialize)]
struct Dns {
    name: String,
    qtype: String,
    response: Option<DnsResponse>,
}

#[derive(Deserialize)]
struct DnsResponse {
    rcode: String,
}

#[derive(Deserialize)]
struct Conn {
    server: String,
    server_name: Option<String>,
    proxy_target: Option<String>,
    state: String,
    verdict: String,
    reached: String,
    tls: Option<Tls>,
    events: Vec<serde_json::Value>,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct Tls {
    version: Option<String>,
    sni: Option<String>,
    certificates: Vec<Cert>,
    handshake_complete: bool,
}

#[derive(Deserialize)]
struct Cert {
    subject_cn: Option<String>,
    issuer_cn: Option<String>,
    not_after: i64,
    sha256: String,
}

#[derive(Deserialize)]
struct Finding {
    code: String,
    severity: String,
    step: String,
    confidence: String,
    summary: String,
    remediation: Vec<String>,
    evidence: Vec<Evidence>,
}

#[derive(Deserialize)]
struct Evidence {
    frame: Option<u64>,
    what: String,
}

fn json(args: &[&str]) -> (Doc, i32) {
    let o = licpath(args);
    (
        serde_json::from_slice(&o.stdout).expect("one JSON document on stdout"),
        o.status.code().unwrap(),
    )
}

#[test]
fn json_proxy_407_from_the_consumer_side() {
    let (doc, code) = json(&["analyze", "--json", &cap("proxy-407.pcap")]);
    assert_eq!(
        (
            doc.schema_version,
            doc.command.as_str(),
            doc.verdict.as_str(),
            code
        ),
        (1, "analyze", "failed", 1)
    );
    let r = &doc.reports[0];
    assert!(r.file.ends_with("proxy-407.pcap"));
    assert_eq!(
        (r.format.as_str(), r.verdict.as_str(), r.errors),
        ("pcap", "failed", 1)
    );
    assert!(r.timeline.stats.frames > 5);
    let c = &r.timeline.connections[0];
    assert_eq!(
        c.proxy_target.as_deref(),
        Some("smartreceiver.cisco.com:443")
    );
    assert_eq!(
        (c.verdict.as_str(), c.reached.as_str()),
        ("failed", "proxy")
    );
    let f = &c.findings[0];
    assert_eq!(
        (
            f.code.as_str(),
            f.severity.as_str(),
            f.step.as_str(),
            f.confidence.as_str()
        ),
        ("proxy_auth_required", "error", "proxy", "certain")
    );
    assert!(f.summary.contains("407"));
    assert!(!f.remediation.is_empty());
    assert!(
        f.evidence
            .iter()
            .any(|e| e.frame.is_some() && e.what.contains("407"))
    );
    let types: Vec<&str> = c
        .events
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.starts_with(&[
            "tcp_syn",
            "tcp_syn_ack",
            "tcp_established",
            "http_connect_request",
            "http_response"
        ]),
        "{types:?}"
    );
}

#[test]
fn json_certificates_and_dns() {
    let (doc, code) = json(&["analyze", "--json", &cap("healthy-direct-tls12.pcap")]);
    assert_eq!((doc.verdict.as_str(), code), ("ok", 0));
    let t = &doc.reports[0].timeline;
    assert!(t.dns.iter().any(|d| d.name == "smartreceiver.cisco.com"
        && d.qtype == "A"
        && d.response.as_ref().is_some_and(|r| r.rcode == "NOERROR")));
    let c = &t.connections[0];
    assert_eq!(c.server, "203.0.113.10:443");
    assert_eq!(c.server_name.as_deref(), Some("smartreceiver.cisco.com"));
    assert!(c.state.starts_with("closed_by"));
    let tls = c.tls.as_ref().unwrap();
    assert_eq!(
        (
            tls.version.as_deref(),
            tls.sni.as_deref(),
            tls.handshake_complete
        ),
        (Some("TLS 1.2"), Some("smartreceiver.cisco.com"), true)
    );
    assert_eq!(
        tls.certificates[0].issuer_cn.as_deref(),
        Some("HydrantID Server CA O1")
    );
    assert_eq!(
        tls.certificates[1].subject_cn.as_deref(),
        Some("HydrantID Server CA O1")
    );
    assert_eq!(tls.certificates[0].sha256.len(), 64);
    assert!(tls.certificates[0].not_after > 1_700_000_000);
}

#[test]
fn json_dns_failure_is_a_timeline_finding() {
    let (doc, code) = json(&["analyze", "--json", &cap("dns-timeout.pcap")]);
    assert_eq!(code, 1);
    let f = &doc.reports[0].timeline.findings[0];
    assert_eq!((f.code.as_str(), f.step.as_str()), ("dns_timeout", "dns"));
    assert!(f.evidence.iter().all(|e| e.what.contains("unanswered")));
}

#[test]
fn check_prints_one_line_per_target_and_exits_by_verdict() {
    // A loopback port nobody listens on: refused, the first failing step is TCP.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://smartreceiver.cisco.com:{port}/licservice/license");
    let o = licpath(&[
        "check",
        "--resolve",
        "smartreceiver.cisco.com=127.0.0.1",
        &url,
        "cslu@127.0.0.1:1",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&format!("FAIL  {url}: tcp: tcp_refused: ")),
        "{out}"
    );
    assert!(
        lines[1].starts_with(
            "FAIL  cslu@127.0.0.1:1 (http://127.0.0.1:1/cslu/v1/pi): tcp: tcp_refused"
        ),
        "{out}"
    );

    let o = licpath(&[
        "check",
        "--json",
        "--resolve",
        "smartreceiver.cisco.com=127.0.0.1",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["command"], "check");
    assert_eq!(doc["end_reason"], "completed");
    assert_eq!(doc["reports"][0]["format"], "live probe");
    assert_eq!(
        doc["reports"][0]["timeline"]["connections"][0]["findings"][0]["code"],
        "tcp_refused"
    );
}

#[test]
fn probe_usage_errors_exit_2_with_one_line() {
    for args in [
        &["check", "--proxy", "proxy-without-port"][..],
        &["check", "nosuchpreset"],
        &["check", "ftp://example.com/"],
        &["check", "--dns-server", "not-an-ip"],
        &["check", "--tcp-timeout", "0"],
        &["check", "--source-interface", "no-such-if0"],
        &["probe", "--presets", "/nonexistent-dir"],
    ] {
        let o = licpath(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!stderr(&o).trim().is_empty(), "{args:?}");
    }
}
