//! `check --format prometheus|jsonl` and docs/monitoring (issue 18 item 2), against
//! servers on loopback: a TLS server with a chain of a test CA, a refused port, a hostile
//! hostname. The textfile is checked by the real `promtool check metrics` and scraped by a
//! real `prometheus-node-exporter` on loopback; the alert rules by `promtool check rules`
//! and `promtool test rules`; the Ansible playbook's YAML by python3-yaml. Each test says
//! SKIP (and passes) when its tool is absent; CI has them (tests/run.sh LAB_PACKAGES).

mod common;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOSTILE: &str = "evil\\\"}-sw";

fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!(
            "SKIP: {name} is not installed (Debian: prometheus / prometheus-node-exporter / python3-yaml)"
        );
    }
    found
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-mon-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The CA the lab names like Cisco's public one (an issuer of another name on
/// smartreceiver.cisco.com is an interceptor's, as docs/findings.md says).
const CISCO_LIKE_CA: &str = "HydrantID Server CA O1";

/// A CA named `ca_name`, and a TLS server on loopback for smartreceiver.cisco.com with a
/// leaf of that CA expiring in 20 days, answering every request inside TLS with an empty
/// 200. Returns the port and the CA's PEM.
fn tls_server(ca_name: &str) -> (u16, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["smartreceiver.cisco.com".into()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(20);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = leaf.signed_by(&leaf_key, &ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap(),
    );
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { break };
            let config = config.clone();
            std::thread::spawn(move || {
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, s);
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = tls.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                        got.clear();
                    }
                }
            });
        }
    });
    (port, ca.pem())
}

use common::switch_text as switch;

/// A directory of five inputs: a healthy switch, one whose port is refused, one behind a
/// TLS interceptor, one with a hostile hostname (same refused port), a file that is no
/// switch's text; and the trust-store for the healthy path's CA.
fn fleet() -> (PathBuf, PathBuf) {
    let (ok_port, ca_pem) = tls_server(CISCO_LIKE_CA);
    let (intercepted, _) = tls_server("Corporate Inspection CA");
    let refused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir("configs");
    let configs = d.join("configs");
    std::fs::create_dir_all(&configs).unwrap();
    switch(&configs, "a.txt", "core-ok", ok_port);
    switch(&configs, "b.txt", "edge-refused", refused);
    switch(&configs, "c.txt", HOSTILE, refused);
    switch(&configs, "d.txt", "branch-inspected", intercepted);
    // Not a switch's text: skipped (issue 26). A binary file, a switch's text gone bad:
    // unusable, a record of its own.
    std::fs::write(configs.join("notes.txt"), "buy milk\n").unwrap();
    std::fs::write(configs.join("zero.txt"), [0u8; 64]).unwrap();
    let ca = d.join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    (configs, ca)
}

fn check(configs: &Path, ca: &Path, format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(["check", "--format", format, "--from-config"])
        .arg(configs)
        .arg("--trust-store")
        .arg(ca)
        .args([
            "--resolve",
            "smartreceiver.cisco.com=127.0.0.1",
            "--no-revocation",
        ])
        .output()
        .unwrap()
}

/// The value of the first sample of `metric` whose labels include all of `labels`
/// (`name="value"` as printed), in exposition text.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .find(|l| labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/plain\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.").then_some(body)
}

/// Kills the exporter when the test ends, passed or not.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prometheus_textfile_passes_promtool_and_is_scraped_by_node_exporter() {
    let (configs, ca) = fleet();
    let o = check(&configs, &ca, "prometheus");
    let text = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // The worst line: an unusable file.
    assert_eq!(o.status.code(), Some(2), "{text}{err}");

    let ok = "switch=\"core-ok\"";
    let refused = "switch=\"edge-refused\"";
    assert_eq!(
        sample(&text, "licpath_success", &[ok]),
        Some(1.0),
        "{text}{err}"
    );
    assert_eq!(
        sample(&text, "licpath_verdict", &[ok, "verdict=\"ok\""]),
        Some(1.0)
    );
    // The fleet's names come from --resolve: a static entry, no DNS query, so no DNS
    // sample (issue 15 item 11), as for a switch with `ip host`.
    assert_eq!(
        sample(&text, "licpath_step_success", &[ok, "step=\"dns\""]),
        None,
        "{text}"
    );
    for step in ["tcp", "tls", "cert", "http"] {
        let s = format!("step=\"{step}\"");
        assert_eq!(
            sample(&text, "licpath_step_success", &[ok, &s]),
            Some(1.0),
            "{step}: {text}"
        );
    }
    // No proxy: the step does not apply, no sample.
    assert_eq!(
        sample(&text, "licpath_step_success", &[ok, "step=\"proxy\""]),
        None
    );
    let days = sample(&text, "licpath_certificate_expiry_seconds", &[ok]).unwrap() / 86_400.0;
    assert!((19.0..=20.01).contains(&days), "{days} days: {text}");
    assert!(sample(&text, "licpath_duration_seconds", &[ok]).is_some_and(|s| s > 0.0 && s < 60.0));
    let started = sample(&text, "licpath_probe_timestamp_seconds", &[ok]).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - started).abs() < 120.0, "{started} vs {now}");

    assert_eq!(sample(&text, "licpath_success", &[refused]), Some(0.0));
    assert_eq!(
        sample(
            &text,
            "licpath_finding",
            &[
                refused,
                "code=\"tcp_refused\"",
                "severity=\"error\"",
                "step=\"tcp\""
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "licpath_step_success", &[refused, "step=\"tcp\""]),
        Some(0.0)
    );
    // The hostile hostname is one escaped label value, its line intact.
    let hostile = "switch=\"evil\\\\\\\"}-sw\"";
    assert_eq!(
        sample(&text, "licpath_success", &[hostile]),
        Some(0.0),
        "{text}"
    );
    assert!(
        text.contains("licpath_input_unusable{file=\"") && text.contains("zero.txt\"} 1\n"),
        "{text}"
    );
    // The plan's own warnings are series too (they were dropped: only errors were kept).
    assert_eq!(
        sample(
            &text,
            "licpath_config_finding",
            &[ok, "code=\"config_no_name_server\"", "severity=\"warning\""]
        ),
        Some(1.0),
        "{text}"
    );
    let inspected = "switch=\"branch-inspected\"";
    assert_eq!(
        sample(
            &text,
            "licpath_finding",
            &[inspected, "code=\"ssl_interception\""]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "licpath_verdict", &[inspected, "verdict=\"failed\""]),
        Some(1.0)
    );

    // Issue 22 principle 6: where the probe stood is an info series of its own; the
    // other series keep `switch` and `target` as their whole identity (the alert rules'
    // series do not change when this host's address or resolver does).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host_label = format!("host=\"{}\"", host.trim());
    assert_eq!(
        sample(
            &text,
            "licpath_vantage_info",
            &[ok, &host_label, "resolver_origin=\"resolv_conf\""]
        ),
        Some(1.0),
        "{text}"
    );
    for l in text.lines().filter(|l| l.starts_with("licpath_success{")) {
        let labels = &l[l.find('{').unwrap()..l.rfind('}').unwrap()];
        assert!(
            labels.starts_with("{switch=\"")
                && !labels.contains("host=")
                && !labels.contains("resolver"),
            "{l}"
        );
    }

    // Every family printed is documented.
    let doc = std::fs::read_to_string(docs("docs/monitoring.md")).unwrap();
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert!(families.len() >= 9, "{families:?}");
    for f in families {
        assert!(
            doc.contains(&format!("| `{f}` |")),
            "{f} not in docs/monitoring.md"
        );
    }

    promtool_accepts(&text);

    let Some(exporter) = tool("prometheus-node-exporter") else {
        return;
    };
    // Written as docs/monitoring.md says: by licpath-textfile, atomically.
    let collector = dir("textfile");
    let o = Command::new(docs("docs/monitoring/licpath-textfile.sh"))
        .env("LICPATH", env!("CARGO_BIN_EXE_licpath"))
        .env("LICPATH_CONFIGS", &configs)
        .env("LICPATH_TEXTFILE_DIR", &collector)
        .arg("--trust-store")
        .arg(&ca)
        .args([
            "--resolve",
            "smartreceiver.cisco.com=127.0.0.1",
            "--no-revocation",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = std::fs::read_dir(&collector)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["licpath.prom"], "the temporary file is left behind");
    let file = std::fs::read_to_string(collector.join("licpath.prom")).unwrap();
    assert_eq!(sample(&file, "licpath_success", &[ok]), Some(1.0), "{file}");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _exporter = Child(
        Command::new(exporter)
            .arg(format!("--web.listen-address={addr}"))
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .arg(format!(
                "--collector.textfile.directory={}",
                collector.display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        if let Some(p) = http_get(addr, "/metrics") {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "node_exporter never answered on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The collector read the file without error, and our series are on the page
    // (node_exporter sorts the labels by name).
    assert_eq!(
        sample(&page, "node_textfile_scrape_error", &[]),
        Some(0.0),
        "{page}"
    );
    assert_eq!(sample(&page, "licpath_success", &[ok]), Some(1.0), "{page}");
    assert_eq!(
        sample(
            &page,
            "licpath_finding",
            &["code=\"tcp_refused\"", refused, "step=\"tcp\""]
        ),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "licpath_success", &[hostile]),
        Some(0.0),
        "{page}"
    );
    assert!(
        page.contains("# TYPE licpath_certificate_expiry_seconds gauge"),
        "{page}"
    );
}

#[test]
fn jsonl_one_object_per_switch_and_target() {
    let (configs, ca) = fleet();
    let o = check(&configs, &ca, "jsonl");
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(2), "{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // Four targets, one unusable file, and the configuration lines of the switches whose
    // plans have findings (warnings too: no 'ip name-server' in these texts).
    let targets = lines.iter().filter(|l| l["kind"] == "target").count();
    let configurations = lines
        .iter()
        .filter(|l| l["kind"] == "configuration")
        .count();
    assert_eq!(
        (targets, lines.len() - targets - configurations),
        (4, 1),
        "{text}"
    );
    assert!(configurations >= 1, "{text}");
    assert!(
        lines
            .iter()
            .filter(|l| l["kind"] == "configuration")
            .all(|l| l["findings"].as_array().is_some_and(|f| !f.is_empty())
                && l["warnings"].as_u64().unwrap() + l["errors"].as_u64().unwrap() > 0),
        "{text}"
    );
    let by = |sw: &str| {
        lines
            .iter()
            .find(|l| l["switch"] == sw && l["kind"] == "target")
            .unwrap_or_else(|| panic!("{sw}: {text}"))
    };
    let ok = by("core-ok");
    assert_eq!(ok["kind"], "target");
    assert_eq!(ok["verdict"], "ok", "{ok}");
    assert_eq!(ok["command"], "check");
    assert!(
        ok["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://smartreceiver.cisco.com:"))
    );
    let days = ok["certificate_expiry_seconds"].as_f64().unwrap() / 86_400.0;
    assert!((19.0..=20.01).contains(&days), "{ok}");
    // The name came from --resolve: DNS is a static entry, with no duration (issue 15 item 11).
    assert_eq!(
        ok["steps"][0],
        serde_json::json!({"step": "dns", "state": "static"}),
        "{ok}"
    );
    // Where the probe stood (issue 22): this host, from loopback, imitating the
    // configuration, with this host's resolver (the configuration names none).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(ok["vantage"]["host"], host.trim(), "{ok}");
    assert_eq!(ok["vantage"]["source_address"], "127.0.0.1", "{ok}");
    assert_eq!(ok["vantage"]["interface"], "lo", "{ok}");
    assert_eq!(ok["vantage"]["resolver_origin"], "resolv_conf", "{ok}");
    assert_eq!(ok["vantage"]["imitates_switch"], true, "{ok}");
    let refused = by("edge-refused");
    assert_eq!(refused["verdict"], "failed");
    assert_eq!(refused["primary"]["code"], "tcp_refused");
    assert_eq!(refused["findings"][0]["code"], "tcp_refused");
    assert_eq!(refused["findings"][0]["step"], "tcp");
    assert!(refused["findings"][0]["remediation"].is_array());
    assert_eq!(by(HOSTILE)["verdict"], "failed");
    assert_eq!(
        by("branch-inspected")["primary"]["code"],
        "ssl_interception"
    );
    let unusable = lines.iter().find(|l| l["kind"] == "unusable").unwrap();
    assert!(
        unusable["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("zero.txt")),
        "{unusable}"
    );
    assert!(
        unusable["message"]
            .as_str()
            .is_some_and(|m| m.contains("binary"))
    );
}

#[test]
fn json_stays_and_format_is_consistent_across_probe_and_check() {
    let (port, _) = tls_server("Corporate Inspection CA");
    let url = format!("https://smartreceiver.cisco.com:{port}/x");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_licpath"))
            .args(args)
            .args([
                "--resolve",
                "smartreceiver.cisco.com=127.0.0.1",
                "--no-revocation",
                &url,
            ])
            .output()
            .unwrap()
    };
    for sub in ["probe", "check"] {
        let a: serde_json::Value = serde_json::from_slice(&run(&[sub, "--json"]).stdout).unwrap();
        let b: serde_json::Value =
            serde_json::from_slice(&run(&[sub, "--format", "json"]).stdout).unwrap();
        assert_eq!(a["command"], sub);
        assert_eq!(a["command"], b["command"]);
        assert_eq!(a["reports"][0]["file"], b["reports"][0]["file"]);
        let p = String::from_utf8(run(&[sub, "--format", "prometheus"]).stdout).unwrap();
        // An interceptor's chain: a failure, said the same way by every format.
        assert_eq!(
            sample(&p, "licpath_success", &["switch=\"\""]),
            Some(0.0),
            "{p}"
        );
        let l = String::from_utf8(run(&[sub, "--format", "jsonl"]).stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(l.trim_end()).unwrap();
        assert_eq!(v["command"], sub);
        assert_eq!(v["verdict"], "failed");
    }
    let o = run(&["check", "--json", "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(2));
}

fn docs(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn alert_rules_pass_promtool_and_fire_when_they_should() {
    let rules = docs("docs/monitoring/licpath.rules.yml");
    let tests = docs("docs/monitoring/licpath.rules.test.yml");
    let text = std::fs::read_to_string(&rules).unwrap();
    for name in [
        "LicensingPathDown",
        "LicensingCertificateExpiring",
        "LicensingInterception",
        "LicpathStale",
        "LicensingNoSuccess24h",
    ] {
        assert!(text.contains(&format!("alert: {name}")), "{name}");
    }
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let o = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // The rule tests run from their directory (rule_files is relative).
    let o = Command::new(&promtool)
        .args(["test", "rules"])
        .arg(&tests)
        .current_dir(docs("docs/monitoring"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn systemd_units_verify() {
    let units = dir("units");
    let service = std::fs::read_to_string(docs("docs/monitoring/licpath.service")).unwrap();
    assert!(service.contains("ExecStart=/usr/local/bin/licpath-textfile"));
    // verify checks that ExecStart exists: point it at the script here.
    let script = docs("docs/monitoring/licpath-textfile.sh");
    std::fs::write(
        units.join("licpath.service"),
        service.replace(
            "/usr/local/bin/licpath-textfile",
            &script.display().to_string(),
        ),
    )
    .unwrap();
    std::fs::copy(
        docs("docs/monitoring/licpath.timer"),
        units.join("licpath.timer"),
    )
    .unwrap();
    let Some(analyze) = tool("systemd-analyze") else {
        return;
    };
    let o = Command::new(analyze)
        .args(["verify", "./licpath.service", "./licpath.timer"])
        .current_dir(&units)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // An unknown key is only a warning for systemd: refuse it here.
    assert!(
        !err.contains("Unknown") && !err.contains("ignoring"),
        "{err}"
    );
}

#[test]
fn ansible_playbook_is_yaml_and_feeds_check() {
    let book = docs("docs/monitoring/collect-license-tech.yml");
    let text = std::fs::read_to_string(&book).unwrap();
    for want in [
        "cisco.ios.ios_command",
        "show license tech support",
        "licpath check --from-config",
        "--format prometheus",
    ] {
        assert!(text.contains(want), "{want}");
    }
    let Some(python) = tool("python3") else {
        return;
    };
    let o = Command::new(python)
        .args([
            "-c",
            "import sys\n\
             try:\n    import yaml\n\
             except ImportError:\n    sys.exit(77)\n\
             doc = yaml.safe_load(open(sys.argv[1]))\n\
             assert isinstance(doc, list) and doc, 'a playbook is a list of plays'\n\
             tasks = [t for play in doc for t in play.get('tasks', [])]\n\
             assert any('cisco.ios.ios_command' in t for t in tasks), tasks\n",
        ])
        .arg(&book)
        .output()
        .unwrap();
    if o.status.code() == Some(77) {
        eprintln!("SKIP: python3-yaml is not installed");
        return;
    }
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn readme_and_docs_describe_the_formats() {
    let readme = std::fs::read_to_string(docs("README.md")).unwrap();
    let section = readme
        .split("## Monitoring many switches")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    for want in [
        "--format prometheus",
        "--format jsonl",
        "`--json` stays",
        "licpath_certificate_expiry_seconds",
        "docs/monitoring.md",
        "promtool",
        "cisco.ios.ios_command",
        "lab.sh fleet-bench",
        "--concurrency 1",
        "lab.sh chroot-probe",
        "docs/monitoring.md#one-binary-that-runs-anywhere",
    ] {
        assert!(section.contains(want), "README section lacks {want:?}");
    }
    let monitoring = std::fs::read_to_string(docs("docs/monitoring.md")).unwrap();
    for want in [
        "OnUnitActiveSec=15min",
        "mv \"$tmp\" \"$dir/licpath.prom\"",
        "LicensingPathDown",
        "LicensingCertificateExpiring",
        "LicensingInterception",
        "ansible catalyst -m cisco.ios.ios_command",
        "`analyze` has `--json` only",
        "lab.sh fleet-bench 50",
        "## One binary that runs anywhere",
        "chroot DIR /licpath probe",
    ] {
        assert!(
            monitoring.contains(want),
            "docs/monitoring.md lacks {want:?}"
        );
    }
    let bench = std::fs::read_to_string(docs("BENCHMARKS.md")).unwrap();
    assert!(bench.contains("## A fleet: 50 switches over the 300 ms path"));
    assert!(bench.contains("tests/lab/lab.sh fleet-bench 50"));
    let lab = std::fs::read_to_string(docs("tests/lab/lab.sh")).unwrap();
    for sub in ["fleet-bench)", "chroot-probe)"] {
        assert!(lab.contains(sub), "lab.sh lacks {sub}");
    }
    let schema = std::fs::read_to_string(docs("docs/json-schema.md")).unwrap();
    assert!(schema.contains("## JSON lines (`probe` / `check` / `analyze --format jsonl`)"));
    assert!(schema.contains("\"kind\": \"target\""));
}

/// `promtool check metrics` on `text`, when promtool is installed.
fn promtool_accepts(text: &str) {
    if let Some((ok, said)) = common::promtool_check_metrics(text) {
        assert!(ok, "promtool check metrics: {said}\n{text}");
    }
}

/// Issue 28 item 4: a spare's text with the real switch's `hostname` must not mask the
/// real switch's failure (one `licpath_success` series, both verdicts, the wrong chain's
/// expiry). Each text of the shared name is labelled `hostname (file)`, every series is
/// kept, and `licpath_input_duplicate` says which texts share the name.
#[test]
fn two_texts_with_one_hostname_keep_their_own_series() {
    let (ok_port, ca_pem) = tls_server(CISCO_LIKE_CA);
    let refused = free_port();
    let d = dir("duplicate-hostname");
    let configs = d.join("configs");
    std::fs::create_dir_all(&configs).unwrap();
    switch(&configs, "a-spare.txt", "core-sw1", ok_port);
    switch(&configs, "b-real.txt", "core-sw1", refused);
    let ca = d.join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let o = check(&configs, &ca, "prometheus");
    let text = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{text}{err}");
    let label = |f: &str| format!("switch=\"core-sw1 ({})\"", configs.join(f).display());
    let (spare, real) = (label("a-spare.txt"), label("b-real.txt"));
    assert_eq!(
        sample(&text, "licpath_success", &[&spare]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "licpath_success", &[&real]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "licpath_verdict", &[&real, "verdict=\"failed\""]),
        Some(1.0),
        "{text}"
    );
    assert!(sample(&text, "licpath_certificate_expiry_seconds", &[&spare]).is_some());
    assert_eq!(
        sample(&text, "licpath_certificate_expiry_seconds", &[&real]),
        None,
        "the spare's chain counted for the real switch: {text}"
    );
    assert!(!text.contains("switch=\"core-sw1\""), "{text}");
    for f in ["a-spare.txt", "b-real.txt"] {
        let file = format!("file=\"{}\"", configs.join(f).display());
        assert_eq!(
            sample(
                &text,
                "licpath_input_duplicate",
                &["hostname=\"core-sw1\"", &file]
            ),
            Some(1.0),
            "{text}"
        );
    }
    assert!(!err.contains("repeated"), "a series was dropped: {err}");
    promtool_accepts(&text);
    // JSONL: one `duplicate` object per text, and the targets under their labels.
    let o = check(&configs, &ca, "jsonl");
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap(),
                l["switch"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let (spare, real) = (
        format!("core-sw1 ({})", configs.join("a-spare.txt").display()),
        format!("core-sw1 ({})", configs.join("b-real.txt").display()),
    );
    for want in [
        ("duplicate", spare.as_str()),
        ("duplicate", real.as_str()),
        ("target", spare.as_str()),
        ("target", real.as_str()),
    ] {
        assert!(kinds.contains(&want), "{want:?} not in {kinds:?}");
    }
    std::fs::remove_dir_all(d).ok();
}

/// `--accept-any-cert` finishes the probe's handshake behind an interceptor to see the
/// HTTP answer; the probe's own completed handshake is not the switch's success, so the
/// verdict stays what the switch would meet (the lab's accept-any-cert scenario found it
/// turned OK when "packets beat assumptions" was applied to the probe's own client).
#[test]
fn accept_any_cert_keeps_the_interception_verdict() {
    let (port, _) = tls_server("Corporate Inspection CA");
    let url = format!("https://smartreceiver.cisco.com:{port}/x");
    let o = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args([
            "check",
            "--accept-any-cert",
            "--resolve",
            "smartreceiver.cisco.com=127.0.0.1",
            "--no-revocation",
            &url,
        ])
        .env("XDG_CONFIG_HOME", "/nonexistent/licpath-tests")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.starts_with("FAIL ") && out.contains(": cert: ssl_interception: "),
        "{out}"
    );
}
