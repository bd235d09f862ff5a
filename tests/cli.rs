//! The `licpath` binary as a script sees it: exit codes, one-line errors, colour rules,
//! and the JSON contract (docs/json-schema.md) read with the consumer's own types.

mod common;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn licpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        // No site defaults of whoever runs the suite.
        .env("XDG_CONFIG_HOME", "/nonexistent/licpath-tests")
        .output()
        .unwrap()
}

/// The binary with XDG_CONFIG_HOME at `xdg`.
fn licpath_xdg(xdg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("XDG_CONFIG_HOME", xdg)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Site defaults: the config file's values apply where no flag is typed, a typed flag
/// wins, `config show` says which and from where, and a bad file is one line, exit 2.
#[test]
fn config_file_precedence_with_config_show() {
    let xdg = std::env::temp_dir().join(format!("licpath-cli-xdg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&xdg);
    std::fs::create_dir_all(xdg.join("licpath")).unwrap();
    let file = xdg.join("licpath/config.toml");
    let show = |args: &[&str]| {
        let mut all = vec!["config", "show"];
        all.extend_from_slice(args);
        let o = licpath_xdg(&xdg, &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let row = |out: &str, key: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} row: {out}"))
            .to_string()
    };
    // No file: built-in defaults.
    let out = show(&[]);
    assert!(out.contains("config file: none"), "{out}");
    assert!(
        row(&out, "concurrency").contains("16") && row(&out, "concurrency").ends_with("(default)")
    );
    std::fs::write(
        &file,
        "dns-server = [\"127.0.0.1:5353\"]\nproxy = \"http://alice:S3cretPW@proxy.example:3128\"\nconcurrency = 4\nformat = \"json\"\n",
    )
    .unwrap();
    let out = show(&[]);
    let f = file.display().to_string();
    assert!(
        row(&out, "concurrency").contains(" 4 ")
            && row(&out, "concurrency").ends_with(&format!("({f})")),
        "{out}"
    );
    assert!(row(&out, "format").contains("json"), "{out}");
    assert!(row(&out, "dns-server").contains("127.0.0.1:5353"), "{out}");
    assert!(
        !out.contains("S3cretPW") && row(&out, "proxy").contains("alice:***@proxy.example:3128"),
        "{out}"
    );
    assert!(row(&out, "trust-store").ends_with("(default)"), "{out}");
    // The command line wins.
    let out = show(&["--concurrency", "2", "--format", "text"]);
    assert!(
        row(&out, "concurrency").contains(" 2 ")
            && row(&out, "concurrency").ends_with("(command line)"),
        "{out}"
    );
    assert!(
        row(&out, "format").contains("text") && row(&out, "format").ends_with("(command line)"),
        "{out}"
    );
    // ... and the subcommands obey the same order: format = json from the file makes
    // `check --plan-only` print JSON; --format text or --json on the command line win.
    let any_config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ios/running-config-smart-vrf-17.9.txt")
        .display()
        .to_string();
    let any_config = any_config.as_str();
    let plan = |extra: &[&str]| {
        let mut a = vec!["check", "--plan-only", "--from-config", any_config];
        a.extend_from_slice(extra);
        stdout(&licpath_xdg(&xdg, &a))
    };
    assert!(
        plan(&[]).trim_start().starts_with('{'),
        "format = json from the file"
    );
    assert!(!plan(&["--format", "text"]).trim_start().starts_with('{'));
    assert!(plan(&["--json"]).trim_start().starts_with('{'));
    // analyze takes no site proxy or name server (they name the switch's in a capture
    // from anywhere): the same capture, the same verdict, text by default is JSON here.
    let o = licpath_xdg(&xdg, &["analyze", &cap("proxy-407.pcap")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).trim_start().starts_with('{'));
    // A bad file: one line naming it, exit 2; so is a missing --config.
    std::fs::write(&file, "dns-servers = \"10.0.0.53\"\n").unwrap();
    let o = licpath_xdg(&xdg, &["config", "show"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&f) && stderr(&o).contains("unknown field"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&file, "concurrency = 999\n").unwrap();
    let o = licpath_xdg(&xdg, &["check", "--plan-only", "--from-config", any_config]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&f) && stderr(&o).contains("999"),
        "{}",
        stderr(&o)
    );
    let o = licpath_xdg(
        &xdg,
        &["--config", "/nonexistent/licpath.toml", "config", "show"],
    );
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&xdg);
}

/// Issue 25 R1: `probe`/`check`/`tui --proxy` is parsed once, where clap reads the flags,
/// by the parser `analyze --proxy` uses: a refused value is the flag's usage error (its
/// first line says which flag, the value masked and why; exit 2, nothing on stdout),
/// before anything runs, and a config file's refused proxy names the file, for `check`
/// and `config show` alike (before: the probe refused it later without naming the file,
/// and `config show` printed it as "(not a HOST:PORT; not shown)", exit 0).
#[test]
fn a_refused_proxy_is_the_flags_usage_error() {
    for (sub, value, why) in [
        (
            "check",
            "proxy-without-port",
            "expected HOST:PORT (the switch needs an explicit port too)",
        ),
        ("probe", "::1", "an IPv6 address needs brackets: [::1]:port"),
        ("tui", "bad!proxy:80", "bad host name \"bad!proxy\""),
        (
            "analyze",
            "::1",
            "an IPv6 address needs brackets: [::1]:port",
        ),
    ] {
        let o = licpath(&[sub, "--proxy", value]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{sub} {value}: {e}");
        assert!(o.stdout.is_empty());
        assert_eq!(
            e.lines().next().unwrap_or_default(),
            format!("error: invalid value '{value}' for '--proxy <HOST:PORT>': {why}"),
            "{sub} {value}: {e}"
        );
    }
    let xdg = std::env::temp_dir().join(format!("licpath-cli-proxy-{}", std::process::id()));
    std::fs::create_dir_all(xdg.join("licpath")).unwrap();
    let file = xdg.join("licpath/config.toml");
    std::fs::write(&file, "proxy = \"alice:Pa#S3cretPW@proxy.example\"\n").unwrap();
    for args in [&["check", "smart"][..], &["config", "show"]] {
        let o = licpath_xdg(&xdg, args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let first = e.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("{}: ", file.display()))
                && first.contains("'alice:***@proxy.example' for '--proxy <HOST:PORT>'")
                && first.contains("expected HOST:PORT"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("S3cretPW"), "{args:?}: {e}");
    }
    let _ = std::fs::remove_dir_all(&xdg);
}

/// analyze --format: jsonl is one object per capture file; prometheus is refused.
#[test]
fn analyze_format_jsonl_and_refused_prometheus() {
    let o = licpath(&[
        "analyze",
        "--format",
        "jsonl",
        &cap("proxy-407.pcap"),
        &cap("healthy-direct-tls13.pcap"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "capture");
    assert_eq!(lines[0]["verdict"], "failed");
    assert_eq!(lines[0]["primary"]["code"], "proxy_auth_required");
    assert_eq!(lines[1]["verdict"], "ok");
    let o = licpath(&["analyze", "--format", "prometheus", &cap("proxy-407.pcap")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = licpath(&[
        "analyze",
        "--format",
        "json",
        "--json",
        &cap("proxy-407.pcap"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

fn cap(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .display()
        .to_string()
}

fn tmpfile(name: &str, bytes: &[u8]) -> PathBuf {
    common::tmp_file("cli", name, bytes)
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
    assert!(!f.evidence.is_empty());
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
    // --capture fails before the first packet: without the live-capture feature, without
    // the right to capture, or with a file that cannot be written.
    let o = licpath(&[
        "check",
        "--resolve",
        "smartreceiver.cisco.com=127.0.0.1",
        "--capture",
        "/nonexistent-dir/probe.pcap",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("--capture"), "{e}");
    if cfg!(not(feature = "live-capture")) {
        assert!(e.contains("--features live-capture"), "{e}");
    }
}

#[test]
fn tui_refuses_the_flags_it_would_ignore() {
    // The TUI has no JSON output and no plan-only mode: clap refuses these flags instead
    // of the TUI silently dropping them (before, they were accepted and ignored).
    for flag in ["--json", "--plan-only"] {
        let o = licpath(&["tui", flag, "smart"]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("unexpected argument '{flag}'")),
            "{flag}: {e}"
        );
    }
    // Flags the TUI does use are still accepted (it then wants a terminal).
    let o = licpath(&["tui", "--proxy", "proxy.example:80", "--interval", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tui needs a terminal"),
        "{}",
        stderr(&o)
    );
}

fn json_value(args: &[&str]) -> (serde_json::Value, i32) {
    let o = licpath(args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    (v, o.status.code().unwrap())
}

#[test]
fn analyze_logs_with_a_capture_lines_them_up() {
    // syn-dropped.pcap: one licensing connection whose SYNs go unanswered. The switch's
    // clock runs an hour ahead (CET shown as UTC), and it logs the timeout at the end.
    let (doc, _) = json_value(&["analyze", "--json", &cap("syn-dropped.pcap")]);
    let conn = &doc["reports"][0]["timeline"]["connections"][0];
    let end_s = conn["end_ns"].as_i64().unwrap() / 1_000_000_000;
    let stamp = |secs: i64| {
        let t = licpath::model::time::format_utc(secs * 1_000_000_000);
        // "YYYY-MM-DD HH:MM:SS UTC" → "2026-11-22 10:00:00.000 UTC" eventlog style.
        format!("{}.000 UTC", &t[..19])
    };
    let log = format!(
        "{} SAEVT_COMM_FAIL error=\"Connection timed out\"\n{} SAEVT_COMM_FAIL error=\"Connection timed out\"\n",
        stamp(end_s - 86_400 + 3600),
        stamp(end_s + 3600 + 1)
    );
    let logfile = tmpfile("eventlog.txt", log.as_bytes());
    let logs = logfile.to_str().unwrap();
    let (doc, code) = json_value(&[
        "analyze",
        "--json",
        "--logs",
        logs,
        &cap("syn-dropped.pcap"),
    ]);
    assert_eq!(code, 1);
    let t = &doc["reports"][0]["timeline"];
    let sl = &t["switch_log"];
    let off = sl["clock_offset_ns"].as_i64().expect("estimated offset");
    assert!((off / 1_000_000_000 - 3601).abs() <= 1, "{off}");
    assert_eq!(sl["entries"][1]["connection"], conn["id"]);
    assert_eq!(sl["entries"][1]["message"], "event_comm_fail");
    assert!(sl["entries"][0]["connection"].is_null());
    let log_finding = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "tcp_timeout" && f["evidence"][0]["log"].is_string())
        .expect("tcp_timeout from the log, with a log line as evidence");
    assert_eq!(log_finding["severity"], "error");

    // The text report shows both on one clock.
    let o = licpath(&["analyze", "--logs", logs, &cap("syn-dropped.pcap")]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Switch log"), "{text}");
    assert!(text.contains("= connection #1"), "{text}");
    assert!(text.contains("ahead of the capture's"), "{text}");

    // A given offset wins over the estimate.
    let (doc, _) = json_value(&[
        "analyze",
        "--json",
        "--clock-offset",
        "-5",
        "--logs",
        logs,
        &cap("syn-dropped.pcap"),
    ]);
    let sl = &doc["reports"][0]["timeline"]["switch_log"];
    assert_eq!(sl["clock_offset_ns"].as_i64(), Some(-5_000_000_000));
    assert!(sl["entries"][1]["connection"].is_null());
}

#[test]
fn analyze_logs_alone_and_bad_text() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ios");
    let f = data.join("show-logging-17.9-flapping.txt");
    let (doc, code) = json_value(&["analyze", "--json", "--logs", f.to_str().unwrap()]);
    assert_eq!(code, 0, "recovered since: warnings only");
    let t = &doc["reports"][0]["timeline"];
    assert_eq!(t["source"]["kind"], "logs");
    let codes: Vec<&str> = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // switch_comm_ok: the restore after the last failure is the evidence for OK.
    assert_eq!(codes, ["tcp_timeout", "comm_flapping", "switch_comm_ok"]);

    // A capture given as --logs: one line, exit 2.
    let o = licpath(&["analyze", "--logs", &cap("syn-dropped.pcap")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("binary data"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1);
    // Text with nothing to recognise: a warning, not an error.
    let p = tmpfile("nothing.txt", b"hello\nworld\n");
    let o = licpath(&["analyze", "--logs", p.to_str().unwrap()]);
    assert!(stderr(&o).contains("no licensing message recognised"));
    // Text alone that decides nothing is inconclusive: exit 3.
    assert_eq!(o.status.code(), Some(3));
    // Neither captures nor logs: usage error.
    assert_eq!(licpath(&["analyze"]).status.code(), Some(2));
}

#[test]
fn probe_from_config_plan_only() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ios");
    let f = data.join("running-config-callhome-16.12.txt");
    let (doc, code) = json_value(&[
        "probe",
        "--from-config",
        f.to_str().unwrap(),
        "--map",
        "Vlan200=eth9",
        "--plan-only",
        "--json",
    ]);
    assert_eq!(code, 1, "call-home without service call-home is an error");
    let plan = &doc["plan"]["plan"];
    assert_eq!(plan["transport"], "callhome");
    assert_eq!(plan["proxy"], "proxy.corp.example:3128");
    assert_eq!(plan["source"]["local"], "eth9");
    assert_eq!(doc["verdict"], "failed");
    assert!(doc["reports"].as_array().unwrap().is_empty());
    let codes: Vec<&str> = doc["plan"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"config_callhome_disabled"), "{codes:?}");

    let o = licpath(&["probe", "--from-config", &cap("syn-dropped.pcap")]);
    assert_eq!(o.status.code(), Some(2));
    let p = tmpfile("empty-config.txt", b"hostname sw1\ninterface Vlan1\n");
    let o = licpath(&["probe", "--from-config", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no licensing configuration"),
        "{}",
        stderr(&o)
    );
    let o = licpath(&["probe", "--plan-only"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The switch's proxy is parsed once, where the text is read: one that cannot be read is
/// refused (exit 2, one line naming the file and the value) by analyze, check and probe
/// alike. Before, analyze warned and went on without it while probe refused.
#[test]
fn a_switch_proxy_that_cannot_be_read_is_refused_by_every_command() {
    let bad = tmpfile(
        "bad-proxy.txt",
        b"license smart transport smart\nlicense smart proxy address proxy!corp\nlicense smart proxy port 3128\n",
    );
    let bad = bad.to_str().unwrap();
    let healthy = cap("healthy-direct-tls12.pcap");
    for args in [
        vec!["analyze", "--from-config", bad, &healthy],
        vec!["check", "--plan-only", "--from-config", bad],
        vec!["probe", "--from-config", bad],
    ] {
        let o = licpath(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("bad-proxy.txt: license smart proxy \"proxy!corp:3128\": bad host name"),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // The same text with a proxy that reads: no warning, the plan carries it.
    let good = tmpfile(
        "good-proxy.txt",
        b"license smart transport smart\nlicense smart proxy address proxy.corp.example\nlicense smart proxy port 3128\n",
    );
    let good = good.to_str().unwrap();
    let (doc, _) = json_value(&["check", "--plan-only", "--json", "--from-config", good]);
    assert_eq!(doc["plan"]["plan"]["proxy"], "proxy.corp.example:3128");
    let o = licpath(&["analyze", "--from-config", good, &healthy]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// `licpath probe --from-config` with the configuration `config(port)` of a switch whose
/// CSLU answers on a loopback port: the request the CSLU got, the JSON, the exit code.
fn probe_from_config_to_loopback_cslu(
    file: &str,
    config: impl FnOnce(u16) -> String,
) -> (String, serde_json::Value, i32) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let p = tmpfile(file, config(port).as_bytes());
    let (doc, code) = json_value(&[
        "probe",
        "--from-config",
        p.to_str().unwrap(),
        "--json",
        "--tcp-timeout",
        "3",
    ]);
    (server.join().unwrap(), doc, code)
}

#[test]
fn probe_from_config_runs_the_switch_plan() {
    // A CSLU on loopback: the plan derived from the config must reach it.
    let mut port = 0;
    let (request, doc, code) = probe_from_config_to_loopback_cslu("cslu-config.txt", |p| {
        port = p;
        format!(
            "version 17.12\nip name-server 127.0.0.1\nlicense smart transport cslu\nlicense smart url cslu http://127.0.0.1:{p}/cslu/v1/pi\n"
        )
    });
    assert!(request.starts_with("GET /cslu/v1/pi HTTP/1.1"), "{request}");
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["plan"]["plan"]["transport"], "cslu");
    assert_eq!(doc["reports"][0]["verdict"], "ok");
    assert!(
        doc["reports"][0]["file"]
            .as_str()
            .unwrap()
            .contains(&port.to_string())
    );
}

/// Issue 15 item 11: the configuration's `ip host` replaces DNS in the probe as on the
/// switch, and the result says so (a static entry, no DNS query), not a DNS answer.
#[test]
fn probe_from_config_uses_ip_host_and_reports_it_as_static() {
    let (request, doc, code) = probe_from_config_to_loopback_cslu(
        "cslu-ip-host-config.txt",
        |port| {
            format!(
                "version 17.12\nip host cslu.lab 127.0.0.1\nlicense smart transport cslu\nlicense smart url cslu http://cslu.lab:{port}/cslu/v1/pi\n"
            )
        },
    );
    assert!(request.starts_with("GET /cslu/v1/pi HTTP/1.1"), "{request}");
    assert_eq!(code, 0, "{doc}");
    let t = &doc["reports"][0]["timeline"];
    assert_eq!(t["dns"], serde_json::json!([]), "no DNS query was sent");
    assert_eq!(
        t["static_hosts"],
        serde_json::json!([{"name": "cslu.lab", "addresses": ["127.0.0.1"], "origin": "ip_host"}])
    );
}

fn pki(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pki")
        .join(name)
        .display()
        .to_string()
}

/// The findings of every connection and of the timeline, as (code, severity).
fn findings_of(v: &serde_json::Value) -> Vec<(String, String)> {
    let t = &v["reports"][0]["timeline"];
    let conns = t["connections"].as_array().unwrap();
    conns
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().iter())
        .chain(t["findings"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_has(f: &[(String, String)], code: &str, severity: &str) {
    assert!(
        f.iter().any(|(c, s)| c == code && s == severity),
        "no {severity} {code} in {f:?}"
    );
}

#[test]
fn ca_file_says_whether_importing_that_ca_would_fix_the_chain() {
    // tests/data/pki holds CA certificates taken out of the committed lab captures.
    let (v, code) = json_value(&[
        "analyze",
        "--json",
        "--ca-file",
        &pki("digicert-root.pem"),
        &cap("untrusted-root.pcap"),
    ]);
    let f = findings_of(&v);
    assert_eq!(
        code, 1,
        "the verdict stays the device's as configured: {f:?}"
    );
    assert_has(&f, "untrusted_root", "error");
    assert_has(&f, "ca_file_what_if", "info");

    // Another CA does not fix it.
    let (v, _) = json_value(&[
        "analyze",
        "--json",
        "--ca-file",
        &pki("interceptor-ca.pem"),
        &cap("untrusted-root.pcap"),
    ]);
    assert_has(&findings_of(&v), "ca_file_what_if", "warning");

    // The interceptor's CA would make the switch accept the intercepted chain.
    let (v, _) = json_value(&[
        "analyze",
        "--json",
        "--host",
        "proxy.lab",
        "--ca-file",
        &pki("interceptor-ca.pem"),
        &cap("ssl-interception-tls12.pcap"),
    ]);
    let f = findings_of(&v);
    assert_has(&f, "ssl_interception", "error");
    assert_has(&f, "ca_file_what_if", "info");

    // A healthy chain needs no what-if.
    let (v, code) = json_value(&[
        "analyze",
        "--json",
        "--ca-file",
        &pki("digicert-root.pem"),
        &cap("healthy-direct-tls12.pcap"),
    ]);
    assert_eq!(code, 0);
    assert!(!findings_of(&v).iter().any(|(c, _)| c == "ca_file_what_if"));

    // Not a PEM file: one line, exit 2.
    let bad = tmpfile("not-a-ca.pem", b"hello");
    let o = licpath(&[
        "analyze",
        "--ca-file",
        bad.to_str().unwrap(),
        &cap("untrusted-root.pcap"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

/// Runs licpath, killing it after `secs` (a hang is then a test failure, not a stuck suite).
fn licpath_within(secs: u64, args: &[&str]) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("licpath {args:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn pem_flags_refuse_devices_and_fifos() {
    // Before: /dev/zero was read until memory ran out and a FIFO blocked forever.
    let fifo = std::env::temp_dir().join(format!("licpath-cli-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.display().to_string();
    let cases = [
        ("/dev/zero", "a character device, not a regular file"),
        (fifo.as_str(), "a FIFO, not a regular file"),
    ];
    for flag in ["--trust-store", "--ca-file"] {
        for (path, needle) in cases {
            let o = licpath_within(20, &["analyze", flag, path, &cap("proxy-407.pcap")]);
            assert_eq!(o.status.code(), Some(2), "{flag} {path}: {}", stderr(&o));
            let e = stderr(&o);
            assert_eq!(e.trim_end().lines().count(), 1, "{e}");
            assert!(e.contains(path) && e.contains(needle), "{flag} {path}: {e}");
            assert!(o.stdout.is_empty());
        }
    }
    // The switch's text is bounded the same way.
    let o = licpath_within(20, &["probe", "--plan-only", "--from-config", &fifo]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a FIFO"), "{}", stderr(&o));
    let _ = std::fs::remove_file(&fifo);
}

#[test]
fn an_unusable_capture_does_not_hide_the_others() {
    let o = licpath(&[
        "analyze",
        "--json",
        "/nonexistent/first.pcap",
        &cap("proxy-407.pcap"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("/nonexistent/first.pcap"), "{e}");
    let doc: Doc = serde_json::from_slice(&o.stdout).expect("the other file's report");
    assert_eq!(doc.reports.len(), 1);
    assert!(doc.reports[0].file.ends_with("proxy-407.pcap"));
    // Text: the report is there too, the unusable file said on stderr.
    let o = licpath(&["analyze", &cap("proxy-407.pcap"), "/nonexistent/last.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("proxy_auth_required"));
    assert!(stderr(&o).contains("/nonexistent/last.pcap"));
}

#[test]
fn garbage_after_a_pcap_header_is_unusable_input() {
    // A valid little-endian pcap header, then bytes that are no record.
    let mut bytes = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    let mut x: u32 = 0x1234_5678;
    bytes.extend((0..4096).map(|_| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (x >> 16) as u8
    }));
    let p = tmpfile("garbage-after-magic.pcap", &bytes);
    let o = licpath(&["analyze", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("no usable frame"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(o.stdout.is_empty());
    // A capture with only a header is empty, not unusable: no licensing traffic, which is
    // inconclusive (exit 3), with the capture commands to run.
    let p = tmpfile("header-only.pcap", &bytes[..24]);
    let o = licpath(&["analyze", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("no_licensing_traffic"), "{out}");
    assert!(out.contains("monitor capture LICPATH start"), "{out}");
}

#[test]
fn odd_proxy_and_resolve_values_are_refused() {
    for args in [
        &["check", "--proxy", "::1"][..],
        &["check", "--proxy", "2001:db8::1:3128"],
        &["check", "--resolve", "=127.0.0.1"],
    ] {
        let o = licpath(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        let e = stderr(&o);
        assert!(e.contains(args[2]), "{args:?}: {e}");
    }
}

#[test]
fn proxy_credentials_in_the_url_are_sent_and_never_printed() {
    use std::io::{Read, Write};
    const SECRET: &str = "s3cr3t-pw";
    // A proxy on loopback that records the CONNECT request and answers 407.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let proxy = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut s = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(_) => return String::from("(no connection to the proxy)"),
            }
        };
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let _ =
            s.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
        String::from_utf8_lossy(&req).into_owned()
    });
    let url = format!("http://bob:{SECRET}@127.0.0.1:{port}");
    let o = licpath_within(
        60,
        &[
            "check",
            "--json",
            "--no-revocation",
            "--proxy",
            &url,
            "smart",
        ],
    );
    let request = proxy.join().unwrap();
    // base64("bob:s3cr3t-pw")
    let basic = "Ym9iOnMzY3IzdC1wdw==";
    assert!(
        request.contains(&format!("Proxy-Authorization: Basic {basic}\r\n")),
        "{request}"
    );
    assert!(request.starts_with("CONNECT "), "{request}");
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o));
    for printed in [&out, &err] {
        assert!(!printed.contains(SECRET), "password printed: {printed}");
        assert!(!printed.contains(basic), "credential printed: {printed}");
    }
    // The report says whose credentials were used, masked, and that the switch has none.
    assert!(out.contains("bob:***"), "{out}");
    assert!(
        out.contains("the switch itself cannot authenticate to a proxy"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(v.to_string().contains("proxy_auth_required"), "{v}");
    // The usage error masks it too.
    let o = licpath(&[
        "check",
        "--proxy",
        &format!("http://bob:{SECRET}@127.0.0.1"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        !e.contains(SECRET) && e.contains("bob:***@127.0.0.1"),
        "{e}"
    );
}

/// Whether `prog` is on PATH; otherwise the caller prints why it skips.
fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completes_subcommands_and_flags() {
    if !have("bash") {
        eprintln!("skipped: bash not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_licpath");
    // Source the generated script and call its completion function as bash would on TAB.
    let script = format!(
        r#"source <("{bin}" completions bash) || exit 9
complete -p licpath >/dev/null || exit 8
COMP_WORDS=(licpath ana); COMP_CWORD=1; COMP_LINE="licpath ana"; COMP_POINT=${{#COMP_LINE}}
_licpath licpath ana licpath; echo "1:${{COMPREPLY[*]}}"
COMP_WORDS=(licpath check --from-c); COMP_CWORD=2; COMP_LINE="licpath check --from-c"; COMP_POINT=${{#COMP_LINE}}
_licpath licpath --from-c check; echo "2:${{COMPREPLY[*]}}"
"#
    );
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out} {}", stderr(&o));
    assert!(out.lines().any(|l| l == "1:analyze"), "{out}");
    assert!(out.lines().any(|l| l == "2:--from-config"), "{out}");
    for shell in ["zsh", "fish"] {
        let o = licpath(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&o.stdout).contains("--from-config"));
    }
    assert_eq!(licpath(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages_render_without_warnings() {
    if !have("man") || !have("groff") {
        eprintln!("skipped: man-db or groff-base not installed");
        return;
    }
    // `man --dir` creates the directory (and its parents) itself.
    let dir = std::env::temp_dir()
        .join(format!("licpath-cli-man-{}", std::process::id()))
        .join("man1");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    let o = licpath(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout_page = licpath(&["man"]).stdout;
    std::fs::write(dir.join("stdout.1"), &stdout_page).unwrap();
    // A page with an unknown macro must warn, or the check below proves nothing.
    std::fs::write(
        dir.join("broken.1"),
        ".TH X 1\n.SH NAME\nx\n.NOSUCHMACRO y\n",
    )
    .unwrap();
    let render = |page: &Path| {
        let o = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(page)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        // Bold and underline come as overstrikes (c BS c): keep the last of each pair.
        let mut text = String::new();
        for c in String::from_utf8_lossy(&o.stdout).chars() {
            if c == '\u{8}' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        (text, stderr(&o))
    };
    assert!(render(&dir.join("broken.1")).1.contains("warning"));
    let mut pages = 0;
    for page in [
        "licpath.1",
        "licpath-analyze.1",
        "licpath-probe.1",
        "licpath-check.1",
        "licpath-tui.1",
        "stdout.1",
    ] {
        let (text, warnings) = render(&dir.join(page));
        assert!(warnings.trim().is_empty(), "{page}: {warnings}");
        assert!(text.contains("licpath"), "{page}: {text}");
        pages += 1;
    }
    assert_eq!(pages, 6);
    let (analyze, _) = render(&dir.join("licpath-analyze.1"));
    assert!(analyze.contains("--trust-store"), "{analyze}");
    let (main, _) = render(&dir.join("licpath.1"));
    assert!(main.contains("licpath-analyze(1)"), "{main}");
    // The sections a man page reader looks for, examples under EXAMPLES (not EXTRA).
    for (page, text) in [("licpath.1", &main), ("licpath-analyze.1", &analyze)] {
        for section in [
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            assert!(text.contains(section), "{page} lacks {section}: {text}");
        }
        assert!(!text.contains("EXTRA"), "{page}: {text}");
        assert!(
            text.contains("NO_COLOR") && text.contains("XDG_CONFIG_HOME"),
            "{text}"
        );
        assert!(text.contains("INCONCLUSIVE"), "{page}: {text}");
    }
    assert!(
        analyze.contains("licpath analyze flash-export.pcap"),
        "{analyze}"
    );
    // The page printed on stdout stands alone: it names no sibling page that only --dir
    // writes.
    let (alone, _) = render(&dir.join("stdout.1"));
    assert!(!alone.contains("licpath-analyze(1)"), "{alone}");
    assert!(
        alone.contains("EXIT STATUS") && alone.contains("licpath analyze"),
        "{alone}"
    );
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// One exit status table: `--help`, `check --help` and the README show the same lines.
#[test]
fn exit_status_table_is_written_once() {
    let table = licpath::exit_status!();
    let help = String::from_utf8(licpath(&["--help"]).stdout).unwrap();
    assert!(help.contains(table), "{help}");
    let check = String::from_utf8(licpath(&["check", "--help"]).stdout).unwrap();
    assert!(check.contains(table), "{check}");
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(table),
        "README.md lacks the exit status table:\n{table}"
    );
}

/// `licpath ARGS` in a network namespace of its own (only `lo`: nothing can leave this
/// machine) whose /etc/resolv.conf is `resolv_conf`, bind-mounted in a mount namespace of
/// its own, as `ip netns exec` does. `None` where namespaces cannot be made (not root).
fn licpath_with_resolv_conf(resolv_conf: &Path, args: &[&str]) -> Option<Output> {
    let script = format!(
        "ip link set lo up && mount --bind '{}' /etc/resolv.conf && exec \"$0\" \"$@\"",
        resolv_conf.display()
    );
    let o = Command::new("unshare")
        .args(["--mount", "--net", "sh", "-c", &script])
        .arg(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() && !err.contains("licpath") && o.stdout.is_empty() {
        eprintln!("SKIP: no namespaces here: {err}");
        return None;
    }
    Some(o)
}

/// Issue 22 principle 6 and issue 25 R4, end to end: `check`/`probe` from a host whose own
/// resolver (its resolv.conf: a loopback address where nothing answers DNS) fails say it
/// is this host's failure, with this host's fixes, exit 3 (inconclusive), never "the
/// switch" with a switch `ip name-server` fix; JSON carries the vantage and the blame.
#[test]
fn a_probe_whose_own_resolver_fails_blames_this_host() {
    let conf = tmpfile("resolv.conf", b"nameserver 127.77.0.1\n");
    let quick = ["--dns-timeout", "1", "--dns-retry", "0"];
    let args = |cmd: &'static str, more: &[&'static str]| -> Vec<&'static str> {
        let mut a = vec![cmd];
        a.extend(quick);
        a.extend(more);
        a.push("smart");
        a
    };
    let Some(o) = licpath_with_resolv_conf(&conf, &args("check", &[])) else {
        return;
    };
    let line = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{line}{}", stderr(&o));
    assert_eq!(
        line.trim_end(),
        "INCONCLUSIVE  smart (https://smartreceiver.cisco.com/licservice/license): dns: dns_timeout: this host's resolver (127.77.0.1, from resolv.conf): no answer to the DNS queries for smartreceiver.cisco.com: ICMP port unreachable from 127.77.0.1"
    );

    let o = licpath_with_resolv_conf(&conf, &args("probe", &[])).unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{text}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    assert!(
        text.lines().nth(1).is_some_and(|l| l
            == format!(
                "   measured from {host} (127.0.0.1 on lo), resolver 127.77.0.1 (this host's resolv.conf)"
            )),
        "{text}"
    );
    assert!(text.contains("verdict: INCONCLUSIVE"), "{text}");
    assert!(!text.contains("ip name-server <dns-server-ip>"), "{text}");
    assert!(!text.contains("the switch cannot"), "{text}");

    let o = licpath_with_resolv_conf(&conf, &args("check", &["--json"])).unwrap();
    assert_eq!(o.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &doc["reports"][0];
    assert_eq!(r["verdict"], "inconclusive");
    assert_eq!(
        r["vantage"],
        serde_json::json!({
            "host": host,
            "source_address": "127.0.0.1",
            "interface": "lo",
            "resolver": ["127.77.0.1:53"],
            "resolver_origin": "resolv_conf",
            "imitates_switch": false
        })
    );
    assert_eq!(r["timeline"]["findings"][0]["code"], "dns_timeout");
    assert_eq!(r["timeline"]["findings"][0]["blame"], "local");

    // The same server named with --dns-server: that server's failure, the switch's
    // verdict (failed, exit 1), no "this host" blame.
    let o = licpath_with_resolv_conf(
        &conf,
        &args("check", &["--dns-server", "127.77.0.1", "--json"]),
    )
    .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &doc["reports"][0];
    assert_eq!(r["vantage"]["resolver_origin"], "dns_server");
    assert!(r["timeline"]["findings"][0].get("blame").is_none(), "{r}");
}

/// The `--from-config` option's help of `probe`, `check`, `analyze`, `watch` and `tui`
/// (first sentence of it, as `--help` prints it on one line).
fn from_config_help(sub: &str) -> String {
    let o = licpath(&[sub, "--help"]);
    assert_eq!(o.status.code(), Some(0), "{sub} --help");
    let out = stdout(&o);
    let opt = out
        .lines()
        .find(|l| l.trim_start().starts_with("--from-config <"))
        .unwrap_or_else(|| panic!("{sub} --help has no --from-config: {out}"));
    let text = opt.split_once('>').unwrap().1.trim();
    text.split_inclusive("in any order is fine.")
        .next()
        .unwrap()
        .to_string()
}

/// Issue 26: `probe --from-config` and `analyze --from-config` described different input
/// commands. Every subcommand now names the same ones, and the ones the reader takes:
/// each named command's real output (../shared/ios-real) is read, not refused.
#[test]
fn from_config_help_names_the_same_switch_text_everywhere() {
    let probe = from_config_help("probe");
    assert!(probe.ends_with("in any order is fine."), "{probe}");
    for sub in ["check", "analyze", "watch", "tui"] {
        assert_eq!(from_config_help(sub), probe, "{sub} vs probe");
    }
    let named: Vec<&str> = probe.split('`').skip(1).step_by(2).collect();
    assert_eq!(
        named,
        [
            "show running-config",
            "show license status",
            "show license all",
            "show license tech support",
            "show call-home",
            "show version"
        ],
        "{probe}"
    );
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ios-real");
    if !shared.is_dir() {
        eprintln!("SKIP (truth part): ../shared/ios-real absent");
        return;
    }
    // No real `show license status` in ../shared: the lab-written one of tests/data/ios.
    let status = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ios/show-license-status-cslu-17.12.txt");
    for cmd in named {
        let prefix = cmd.replace(' ', "_") + "__";
        let file = std::fs::read_dir(&shared)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(&prefix)
            })
            .or_else(|| (cmd == "show license status").then(|| status.clone()))
            .unwrap_or_else(|| panic!("no real {cmd} text in ../shared/ios-real"));
        let o = licpath(&[
            "probe",
            "--plan-only",
            "--from-config",
            file.to_str().unwrap(),
        ]);
        assert_ne!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
    }
}
