//! `licpath analyze` told the switch's context (issue 15 items 8 and 9): `--from-config`,
//! `--proxy`, `--dns-server`, `--switch`. Run as a user would (the binary, JSON read with
//! this test's own types) on the lab's refused-proxy capture, taken without any DNS, and on
//! public captures from other people's networks whose addresses stand in for a switch's
//! proxy and name server.

use serde::Deserialize;
use std::path::Path;
use std::process::{Command, Output};

#[derive(Deserialize)]
struct Doc {
    verdict: String,
    reports: Vec<Report>,
}

#[derive(Deserialize)]
struct Report {
    primary: Option<Primary>,
    timeline: Timeline,
}

#[derive(Deserialize)]
struct Primary {
    code: String,
    summary: String,
}

#[derive(Deserialize)]
struct Timeline {
    findings: Vec<Finding>,
    connections: Vec<Connection>,
    dns: Vec<Dns>,
    context: Option<Context>,
}

#[derive(Deserialize)]
struct Finding {
    code: String,
    severity: String,
    step: String,
    summary: String,
    remediation: Vec<String>,
}

#[derive(Deserialize)]
struct Connection {
    server: String,
    licensing: bool,
    #[serde(default)]
    configured_proxy: bool,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct Dns {
    licensing: bool,
}

#[derive(Deserialize)]
struct Context {
    from_config: Option<String>,
    proxies: Vec<Proxy>,
    dns_servers: Vec<String>,
    switch_addresses: Vec<String>,
}

#[derive(Deserialize)]
struct Proxy {
    host: String,
    port: u16,
    origin: String,
}

fn licpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn lab(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .display()
        .to_string()
}

/// A public capture, or `None` (and the test says so) where the shared set is absent.
fn public(name: &str) -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/public")
        .join(name);
    if p.exists() {
        Some(p.display().to_string())
    } else {
        eprintln!("skipped: {} not present", p.display());
        None
    }
}

const CONFIG: &str = "proxy-port-closed-config.show-run.txt";
const CAPTURE: &str = "proxy-port-closed-config.pcap";

fn json(args: &[&str]) -> (Doc, i32) {
    let mut all = vec!["analyze", "--json"];
    all.extend_from_slice(args);
    let o = licpath(&all);
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (doc, o.status.code().unwrap_or(-1))
}

fn all_findings(r: &Report) -> impl Iterator<Item = &Finding> {
    r.timeline
        .findings
        .iter()
        .chain(r.timeline.connections.iter().flat_map(|c| &c.findings))
}

/// The lab capture: a SYN to the proxy port 3128, answered by RST, no DNS at all. Alone it
/// holds no licensing traffic; with the switch's running-config it is the switch failing to
/// reach its proxy, said with the proxy's fix, and the configuration's findings join in.
#[test]
fn a_refused_proxy_port_is_licensing_traffic_with_the_config() {
    let (plain, code) = json(&[&lab(CAPTURE)]);
    assert_eq!((plain.verdict.as_str(), code), ("no_licensing_traffic", 3));
    assert!(plain.reports[0].timeline.context.is_none());

    let (doc, code) = json(&["--from-config", &lab(CONFIG), &lab(CAPTURE)]);
    assert_eq!((doc.verdict.as_str(), code), ("failed", 1));
    let r = &doc.reports[0];
    let p = r.primary.as_ref().expect("a primary finding");
    assert_eq!(p.code, "proxy_unreachable");
    assert_eq!(
        p.summary,
        "the configured proxy 198.51.100.4:3128 cannot be reached: it refused the connection (RST in answer to SYN)",
        "{}",
        p.summary
    );
    let c = &r.timeline.connections[0];
    assert_eq!(c.server, "198.51.100.4:3128");
    assert!(c.licensing && c.configured_proxy);
    assert!(!all_findings(r).any(|f| f.code.starts_with("tcp_")));
    let refused = c
        .findings
        .iter()
        .find(|f| f.code == "proxy_unreachable")
        .unwrap();
    assert_eq!(
        (refused.severity.as_str(), refused.step.as_str()),
        ("error", "tcp")
    );
    assert!(
        refused
            .remediation
            .iter()
            .any(|l| l == "license smart proxy port <port-the-proxy-listens-on>")
    );
    assert!(
        refused
            .remediation
            .iter()
            .any(|l| l == "! the switch is configured for the proxy at 198.51.100.4:3128")
    );
    // The configuration's own finding (SLA-TrustPoint's revocation-check crl), cited by line.
    let crl = r
        .timeline
        .findings
        .iter()
        .find(|f| f.code == "crl_unreachable");
    assert!(crl.is_some_and(|f| f.summary.contains("SLA-TrustPoint")));
    let ctx = r
        .timeline
        .context
        .as_ref()
        .expect("the context in the report");
    assert!(
        ctx.from_config
            .as_deref()
            .is_some_and(|f| f.ends_with(CONFIG))
    );
    let proxy = &ctx.proxies[0];
    assert_eq!(
        (proxy.host.as_str(), proxy.port, proxy.origin.as_str()),
        ("198.51.100.4", 3128, "license smart proxy")
    );
    assert_eq!(ctx.dns_servers, ["198.51.100.53"]);

    // Text: the context first, then the report with the proxy's fix.
    let o = licpath(&["analyze", "--from-config", &lab(CONFIG), &lab(CAPTURE)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("== switch context from "), "{text}");
    assert!(
        text.contains("   proxy           198.51.100.4:3128 (license smart proxy)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "cause:   proxy_unreachable (connection #1): the configured proxy 198.51.100.4:3128 cannot be reached"
        ),
        "{text}"
    );
}

/// The proxy by name (`license smart proxy address proxy-closed.lab`): the capture's DNS
/// answer for that name says which connection goes to it (the lab's proxy-port-closed.pcap,
/// curl given the proxy's name), and the DNS for the proxy's name is the switch's too.
#[test]
fn a_proxy_named_in_the_config_is_found_through_its_dns_answer() {
    let cfg = std::env::temp_dir().join(format!("licpath-ctx-named-{}.txt", std::process::id()));
    std::fs::write(
        &cfg,
        "license smart transport smart\nlicense smart proxy address proxy-closed.lab\nlicense smart proxy port 3128\nip name-server 198.51.100.53\n",
    )
    .unwrap();
    let capture = lab("proxy-port-closed.pcap");
    let (plain, _) = json(&[&capture]);
    assert_eq!(plain.verdict, "no_licensing_traffic");
    let (doc, code) = json(&["--from-config", &cfg.display().to_string(), &capture]);
    assert_eq!((doc.verdict.as_str(), code), ("failed", 1));
    let r = &doc.reports[0];
    let c = &r.timeline.connections[0];
    assert!(c.licensing && c.configured_proxy, "{}", c.server);
    let refused = c
        .findings
        .iter()
        .find(|f| f.code == "proxy_unreachable")
        .unwrap();
    assert!(
        refused
            .remediation
            .iter()
            .any(|l| l == "! the switch is configured for the proxy at 198.51.100.4:3128"),
        "{:#?}",
        refused.remediation
    );
    // A answered, AAAA refused: both the switch's, and the name resolved (no DNS error).
    assert_eq!(r.timeline.dns.len(), 2);
    assert!(r.timeline.dns.iter().all(|d| d.licensing));
    assert!(!all_findings(r).any(|f| f.code.starts_with("dns_")));
    let o = licpath(&[
        "analyze",
        "--from-config",
        &cfg.display().to_string(),
        &capture,
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(
            "-> 198.51.100.4:3128 proxy-closed.lab (the switch's proxy)  FAILED at tcp: proxy_unreachable"
        ),
        "{text}"
    );
}

/// `--proxy` says the same without a file; the wrong port, or another source than the
/// switch (`--switch`), leaves the packets someone else's.
#[test]
fn proxy_and_switch_flags() {
    let (doc, code) = json(&["--proxy", "198.51.100.4:3128", &lab(CAPTURE)]);
    assert_eq!((doc.verdict.as_str(), code), ("failed", 1));
    let ctx = doc.reports[0].timeline.context.as_ref().unwrap();
    assert_eq!(ctx.proxies[0].origin, "--proxy");
    assert!(ctx.from_config.is_none());

    let (doc, code) = json(&["--proxy", "198.51.100.4:8080", &lab(CAPTURE)]);
    assert_eq!((doc.verdict.as_str(), code), ("no_licensing_traffic", 3));

    let (doc, _) = json(&[
        "--proxy",
        "198.51.100.4:3128",
        "--switch",
        "198.51.100.10",
        &lab(CAPTURE),
    ]);
    assert_eq!(doc.verdict, "failed");
    assert_eq!(
        doc.reports[0]
            .timeline
            .context
            .as_ref()
            .unwrap()
            .switch_addresses,
        ["198.51.100.10"]
    );
    let (doc, code) = json(&[
        "--proxy",
        "198.51.100.4:3128",
        "--switch",
        "198.51.100.99",
        &lab(CAPTURE),
    ]);
    assert_eq!((doc.verdict.as_str(), code), ("no_licensing_traffic", 3));
    // Nothing matched: the capture advice names the switch, its proxy, no placeholder.
    let nothing = doc.reports[0]
        .timeline
        .findings
        .iter()
        .find(|f| f.code == "no_licensing_traffic")
        .expect("no_licensing_traffic");
    for line in [
        " permit ip host 198.51.100.99 host 198.51.100.4",
        " permit ip host 198.51.100.4 host 198.51.100.99",
        "license smart sync all",
    ] {
        assert!(
            nothing.remediation.iter().any(|l| l == line),
            "{line:?} in {:#?}",
            nothing.remediation
        );
    }
}

/// Item 9: with `--from-config`, the Embedded Packet Capture of a capture without
/// licensing traffic is written for that switch: its proxy and name server filled in.
#[test]
fn capture_advice_is_filled_in_from_the_config() {
    let Some(other) = public("zeek__tls1.2.pcap") else {
        return;
    };
    let (plain, _) = json(&[&other]);
    let fix = |d: &Doc| {
        d.reports[0]
            .timeline
            .findings
            .iter()
            .find(|f| f.code == "no_licensing_traffic")
            .map(|f| f.remediation.clone())
            .expect("no_licensing_traffic")
    };
    assert!(
        fix(&plain)
            .iter()
            .any(|l| l.contains("<proxy-or-licensing-address>"))
    );
    let (doc, code) = json(&["--from-config", &lab(CONFIG), &other]);
    assert_eq!(
        code, 3,
        "still nothing to judge: inconclusive, not failed by the config's warning"
    );
    let lines = fix(&doc);
    for line in [
        " permit ip any host 198.51.100.4",
        " permit ip host 198.51.100.4 any",
        " permit udp any host 198.51.100.53 eq domain",
        " permit udp host 198.51.100.53 eq domain any",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line:?} in {lines:#?}");
    }
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("<proxy-or-licensing-address>")),
        "{lines:#?}"
    );
}

/// Public captures: a refused SYN and an unanswered SYN become the switch's failed proxy
/// leg once their address is the proxy; a proxy connection that asked for another host
/// stays someone else's business.
#[test]
fn proxy_on_public_captures() {
    if let Some(f) = public("suricata-verify__tls-duplicate-hello_input.pcap") {
        let (plain, _) = json(&[&f]);
        assert!(
            !plain.reports[0]
                .timeline
                .connections
                .iter()
                .any(|c| c.licensing)
        );
        let (doc, code) = json(&["--proxy", "127.0.0.1:8442", &f]);
        assert_eq!(code, 1);
        let c: Vec<&Connection> = doc.reports[0]
            .timeline
            .connections
            .iter()
            .filter(|c| c.licensing)
            .collect();
        assert_eq!(c.len(), 1, "only the refused one");
        assert_eq!(c[0].server, "127.0.0.1:8442");
        assert!(c[0].findings.iter().any(|f| {
            f.code == "proxy_unreachable"
                && f.summary.starts_with(
                    "the configured proxy 127.0.0.1:8442 cannot be reached: it refused",
                )
        }));
    }
    if let Some(f) = public("suricata-verify__ssl_version_negated_input.pcap") {
        let (doc, code) = json(&[
            "--proxy",
            "10.150.9.69:443",
            "--switch",
            "10.150.98.145",
            &f,
        ]);
        assert_eq!(code, 1);
        let r = &doc.reports[0];
        let timeout = all_findings(r)
            .find(|f| f.code == "proxy_unreachable")
            .expect("proxy_unreachable");
        assert!(
            timeout.summary.starts_with(
                "the configured proxy 10.150.9.69:443 cannot be reached: no answer to "
            ),
            "{}",
            timeout.summary
        );
        assert!(
            timeout
                .remediation
                .iter()
                .any(|l| l.starts_with("license smart proxy address"))
        );
        // Port 443 on the proxy: the fix is still the proxy's, not "a direct connection".
        let (other, _) = json(&["--proxy", "10.150.9.69:443", "--switch", "10.9.9.9", &f]);
        assert!(
            !other.reports[0]
                .timeline
                .connections
                .iter()
                .any(|c| c.licensing)
        );
    }
    // ICMP instead of a SYN/ACK (the lab's firewall, admin-prohibited) at the proxy.
    let (doc, code) = json(&[
        "--proxy",
        "203.0.113.22:443",
        &lab("syn-admin-prohibited.pcap"),
    ]);
    assert_eq!(code, 1);
    let r = &doc.reports[0];
    let unreachable = all_findings(r)
        .find(|f| f.code == "proxy_unreachable")
        .expect("proxy_unreachable");
    assert_eq!(
        unreachable.summary,
        "the configured proxy 203.0.113.22:443 cannot be reached: ICMP administratively prohibited from 203.0.113.22"
    );
    assert!(
        unreachable
            .remediation
            .iter()
            .any(|l| l == "! the switch is configured for the proxy at 203.0.113.22:443")
    );
    if let Some(f) = public("ndpi__http_connect.pcap") {
        // 192.168.1.103 CONNECTs to apache.org through 192.168.1.146:8080: not licensing.
        let (doc, code) = json(&["--proxy", "192.168.1.146:8080", &f]);
        assert_eq!((doc.verdict.as_str(), code), ("no_licensing_traffic", 3));
    }
}

/// The lab: the switch's resolver asks its name server (198.51.100.55, which drops DNS) for
/// its proxy's name, twice, and gets nothing. No licensing name anywhere; the name server
/// makes it the switch's licensing DNS.
#[test]
fn a_silent_name_server_is_licensing_dns() {
    let capture = lab("dns-timeout-proxy-name.pcap");
    let (plain, code) = json(&[&capture]);
    assert_eq!((plain.verdict.as_str(), code), ("no_licensing_traffic", 3));
    let (doc, code) = json(&["--dns-server", "198.51.100.55", &capture]);
    assert_eq!((doc.verdict.as_str(), code), ("failed", 1));
    let r = &doc.reports[0];
    assert_eq!(r.timeline.dns.len(), 2, "A and AAAA");
    assert!(r.timeline.dns.iter().all(|d| d.licensing));
    let p = r.primary.as_ref().unwrap();
    assert_eq!(
        (p.code.as_str(), p.summary.as_str()),
        ("dns_timeout", "no answer to the DNS queries for proxy.lab")
    );
    let (other, _) = json(&["--dns-server", "198.51.100.53", &capture]);
    assert_eq!(other.verdict, "no_licensing_traffic");
}

/// Public captures: an answer (NXDOMAIN is one) or a resolved name from the configured
/// name server is not licensing DNS, and a query in a capture that ends as it leaves
/// (one frame) shows nothing either way: the verdicts stay. The failing cases (silence
/// past the switch's 3 s wait, SERVFAIL, REFUSED) are flow's unit tests.
#[test]
fn dns_server_on_public_captures() {
    for (name, server) in [
        ("arkime__dns-error.pcap", "10.0.0.2"),
        ("zeek__pcapng-multi-interface.pcapng", "1.1.1.1"),
        ("tcpdump__LINKTYPE_RAW_ipv6.pcap", "2620:fe::9"),
    ] {
        if let Some(f) = public(name) {
            let (plain, _) = json(&[&f]);
            let (doc, code) = json(&["--dns-server", server, &f]);
            assert_eq!(
                (doc.verdict.as_str(), code),
                ("no_licensing_traffic", 3),
                "{name}"
            );
            assert_eq!(doc.verdict, plain.verdict, "{name}");
            assert!(
                doc.reports[0].timeline.dns.iter().all(|d| !d.licensing),
                "{name}"
            );
            let ctx = doc.reports[0].timeline.context.as_ref().unwrap();
            assert_eq!(ctx.dns_servers, [server], "{name}");
        }
    }
}

/// Bad values and files that are not the switch's text: one line, exit 2, nothing on stdout.
#[test]
fn bad_context_is_a_one_line_usage_error() {
    let not_switch_text =
        std::env::temp_dir().join(format!("licpath-ctx-{}.txt", std::process::id()));
    std::fs::write(&not_switch_text, "hello\nthis is a shopping list\n").unwrap();
    let not_switch_text = not_switch_text.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--proxy", "proxy.example"], "HOST:PORT"),
        (
            vec!["--proxy", "http://u:pw@10.0.0.5:80"],
            "cannot authenticate",
        ),
        (vec!["--dns-server", "dns.example"], "--dns-server"),
        (vec!["--switch", "10.0.0.300"], "--switch"),
        (
            vec!["--from-config", &not_switch_text],
            "no licensing configuration found",
        ),
        (
            vec!["--from-config", "/nonexistent/show-run.txt"],
            "show-run.txt",
        ),
    ];
    let capture = lab(CAPTURE);
    let binary = lab(CAPTURE);
    for (mut args, needle) in cases
        .into_iter()
        .chain([(vec!["--from-config", binary.as_str()], "binary data")])
    {
        args.insert(0, "analyze");
        args.push(&capture);
        let o = licpath(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains(needle),
            "the message is its first line: {err}"
        );
        if !err.contains("For more information") {
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
}

/// `--help` teaches what each flag changes.
#[test]
fn help_teaches_the_context_flags() {
    let o = licpath(&["analyze", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    for want in [
        "--from-config <FILE>",
        "show running-config",
        "--proxy <HOST:PORT>",
        "never got to CONNECT",
        "--dns-server <IP>",
        "SERVFAIL",
        "--switch <IP>",
        "licpath analyze --from-config show-run.txt flash-export.pcap",
    ] {
        assert!(help.contains(want), "{want:?} missing from:\n{help}");
    }
}
