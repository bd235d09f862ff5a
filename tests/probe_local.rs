//! The live probe against small in-process servers on loopback: the cases that need no
//! root and no lab (the lab's probe mode covers the real dnsmasq/squid/nginx ones). Each
//! server is a few lines of std TCP that behaves like the misbehaving peer it names.

use licpath::diagnose::trust::TrustProfile;
use licpath::diagnose::{DiagnoseConfig, diagnose_connection};
use licpath::model::*;
use licpath::probe::session::Recorder;
use licpath::probe::target::{load_presets, resolve_target};
use licpath::probe::{ProbeConfig, Timeouts, probe_target};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A one-shot server: accepts one connection, reads what the client sends first (up to
/// a blank line or a TLS record), hands it to the test, and answers `reply`.
fn server(reply: &'static [u8], then_wait: Duration) -> (SocketAddr, mpsc::Receiver<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(4).any(|w| w == b"\r\n\r\n") || got.first() == Some(&22) {
                break;
            }
        }
        let _ = tx.send(got);
        let _ = s.write_all(reply);
        std::thread::sleep(then_wait);
    });
    (addr, rx)
}

fn cfg(resolve_to: SocketAddr) -> ProbeConfig {
    ProbeConfig {
        resolve: vec![("smartreceiver.cisco.com".into(), resolve_to.ip())],
        timeouts: Timeouts {
            dns: Duration::from_secs(1),
            tcp: Duration::from_secs(2),
            proxy: Duration::from_secs(2),
            tls: Duration::from_secs(1),
            http: Duration::from_secs(1),
        },
        http: true,
        ..ProbeConfig::default()
    }
}

fn device() -> DiagnoseConfig {
    DiagnoseConfig {
        now_unix: 1_795_305_600,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: true,
        ca_file: None,
        revocation_checked_by: None,
    }
}

fn run(target: &str, cfg: ProbeConfig) -> Timeline {
    let presets = load_presets(&[]).unwrap();
    let t = resolve_target(target, &presets).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(probe_target(&t, Arc::new(cfg), &device(), 1_795_305_600))
}

fn codes(t: &Timeline) -> Vec<&'static str> {
    t.all_findings().map(|f| f.code.as_str()).collect()
}

#[test]
fn proxy_407_is_reported_with_its_headers_and_the_credentials_were_sent() {
    let (addr, rx) = server(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nServer: testproxy\r\nContent-Length: 12\r\n\r\naccess denied",
        Duration::from_millis(50),
    );
    let mut c = cfg(addr);
    c.proxy = Some(("127.0.0.1".into(), addr.port()));
    c.proxy_basic = Some("bGFiOmxhYnBhc3M=".into());
    let t = run("smart", c);
    let req = String::from_utf8(rx.recv().unwrap()).unwrap();
    assert!(
        req.starts_with("CONNECT smartreceiver.cisco.com:443 HTTP/1.0\r\n"),
        "{req}"
    );
    assert!(req.contains("Proxy-Authorization: Basic bGFiOmxhYnBhc3M=\r\n"));
    assert_eq!(codes(&t), vec!["proxy_auth_required"]);
    let conn = &t.connections[0];
    let headers = conn
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::HttpResponse {
                status: 407,
                headers,
                ..
            } => Some(headers.clone()),
            _ => None,
        })
        .expect("the proxy's answer is kept");
    assert!(headers.contains(&("Proxy-Authenticate".into(), "Basic realm=\"corp\"".into())));
    assert_eq!(conn.reached, Step::Proxy);
}

#[test]
fn a_proxy_port_that_speaks_something_else_is_a_bad_proxy_answer() {
    let (addr, _rx) = server(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", Duration::from_millis(50));
    let mut c = cfg(addr);
    c.proxy = Some(("127.0.0.1".into(), addr.port()));
    let t = run("smart", c);
    assert_eq!(codes(&t), vec!["proxy_bad_response"]);
}

#[test]
fn http_where_tls_was_expected_is_a_plaintext_answer() {
    let (addr, rx) = server(
        b"HTTP/1.1 302 Found\r\nLocation: http://portal.example/login\r\n\r\n",
        Duration::from_millis(50),
    );
    let t = run(
        &format!("https://smartreceiver.cisco.com:{}/", addr.port()),
        cfg(addr),
    );
    let first = rx.recv().unwrap();
    assert_eq!(first[0], 22, "the probe sent a TLS handshake record first");
    assert!(
        codes(&t).contains(&"tls_plaintext_answer"),
        "{:?}",
        codes(&t)
    );
    assert_eq!(overall(&t), "failed");
}

#[test]
fn a_silent_server_is_a_tls_timeout_bounded_by_the_step_timeout() {
    let (addr, _rx) = server(b"", Duration::from_secs(3));
    let start = Instant::now();
    let t = run(
        &format!("https://smartreceiver.cisco.com:{}/", addr.port()),
        cfg(addr),
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(codes(&t), vec!["tls_timeout"]);
}

#[test]
fn a_closed_port_is_refused_not_a_timeout() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let t = run(
        &format!("https://smartreceiver.cisco.com:{port}/"),
        cfg(addr),
    );
    assert_eq!(codes(&t), vec!["tcp_refused"]);
    assert_eq!(t.connections[0].state, TcpState::Refused);
    // The SYN's source is reported even though the connection never came up.
    let client = t.connections[0].client;
    assert_eq!(client.ip().to_string(), "127.0.0.1");
    assert_ne!(client.port(), 0);
}

#[test]
fn plain_http_target_is_decoded_by_the_analysers_http_decoder() {
    let (addr, rx) = server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        Duration::from_millis(50),
    );
    let t = run(&format!("cslu@127.0.0.1:{}", addr.port()), cfg(addr));
    let req = String::from_utf8(rx.recv().unwrap()).unwrap();
    assert!(req.starts_with("GET /cslu/v1/pi HTTP/1.1\r\n"), "{req}");
    assert_eq!(overall(&t), "ok");
    let f = t
        .all_findings()
        .find(|f| f.code == FindingCode::PlaintextHttp)
        .unwrap();
    assert_eq!(f.severity, Severity::Info, "CSLU is plain HTTP by design");
}

fn overall(t: &Timeline) -> &'static str {
    match licpath::report::overall_verdict(t) {
        licpath::report::OverallVerdict::Ok => "ok",
        licpath::report::OverallVerdict::Failed => "failed",
        _ => "other",
    }
}

fn diagnosed_with_date(date: String, dcfg: &DiagnoseConfig) -> licpath::model::Connection {
    let mut rec = Recorder::new(1, "192.0.2.1:443".parse().unwrap());
    rec.event(
        Direction::ToClient,
        EventKind::HttpsExchange {
            request: "GET / HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            date: Some(date),
            server: None,
        },
    );
    let mut c = rec.conn;
    diagnose_connection(&mut c, dcfg);
    c
}

#[test]
fn clock_skew_from_the_https_date_header() {
    let dcfg = DiagnoseConfig {
        now_unix: 0,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: true,
        ca_file: None,
        revocation_checked_by: None,
    };
    // Decades before the local clock: this host's clock (or the server's) is off.
    let c = diagnosed_with_date("Thu, 01 Jan 1970 00:00:00 GMT".into(), &dcfg);
    let f = c
        .findings
        .iter()
        .find(|f| f.code == FindingCode::ClockSkew)
        .expect("clock_skew");
    assert_eq!(f.severity, Severity::Warning);

    // Within the threshold: nothing.
    let now = licpath::probe::now_ns() / 1_000_000_000;
    let c = diagnosed_with_date(licpath::report::format_http_date(now + 30), &dcfg);
    assert!(
        !c.findings.iter().any(|f| f.code == FindingCode::ClockSkew),
        "{:?}",
        c.findings
    );
}

/// `--capture` (cargo feature `live-capture`; libpcap needs root): the probe's own packets
/// on loopback, read back by the capture analyser, tell the probe's story — a plain-HTTP
/// answer to the ClientHello in both.
#[cfg(feature = "live-capture")]
#[test]
fn the_probes_own_capture_gives_the_analyser_the_same_verdict() {
    use licpath::probe::capture;
    let root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:\t0\t")));
    let (addr, _rx) = server(
        b"HTTP/1.1 302 Found\r\nLocation: http://portal.example/login\r\n\r\n",
        Duration::from_millis(50),
    );
    let c = cfg(addr);
    let path = std::env::temp_dir().join(format!("licpath-probe-{}.pcap", std::process::id()));
    let cap = match capture::start(&path, "lo", &capture::filter_for(&c, &[addr.port()])) {
        Ok(cap) => cap,
        Err(e) if !root => return eprintln!("SKIP: not root: {e}"),
        Err(e) => panic!("{e}"),
    };
    let probed = run(
        &format!("https://smartreceiver.cisco.com:{}/", addr.port()),
        c,
    );
    let summary = cap.finish(Duration::ZERO).unwrap();
    let analysed =
        licpath::pipeline::analyze_file(&path, &licpath::flow::AnalyzeConfig::default(), &device())
            .unwrap()
            .0;
    let _ = std::fs::remove_file(&path);
    // SYN, SYN/ACK, ACK, ClientHello, the HTTP answer, their ACKs, the closes.
    assert!(summary.packets >= 6, "{summary:?}");
    assert_eq!(overall(&probed), "failed");
    assert_eq!(overall(&analysed), overall(&probed));
    let errors = |t: &Timeline| -> Vec<&'static str> {
        let mut v: Vec<_> = t
            .all_findings()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code.as_str())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(errors(&analysed), errors(&probed));
    assert!(errors(&analysed).contains(&"tls_plaintext_answer"));
    let c = &analysed.connections[0];
    assert_eq!(c.server, addr, "the analyser found the probe's connection");
}
