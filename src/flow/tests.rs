use super::*;
use crate::wire::tls::tests::client_hello;

pub(crate) const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

/// An Ethernet + IPv4 + TCP frame acknowledging 1 (checksums 0: never checked).
pub(crate) fn tcp(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    crate::capture::testing::tcp_frame((src, sport), (dst, dport), seq, 1, flags, payload)
}

const SERVER: [u8; 4] = [192, 0, 2, 1];

struct Feed {
    a: Analyzer,
    frame: u64,
}

impl Feed {
    fn new(limits: FlowLimits) -> Feed {
        let mut a = Analyzer::new(AnalyzeConfig::default());
        a.set_limits(limits);
        Feed { a, frame: 0 }
    }
    fn send(&mut self, f: Vec<u8>) {
        self.frame += 1;
        let len = f.len() as u32;
        self.a
            .frame(self.frame, self.frame as i64 * 1_000_000, 1, &f, len);
        // These tests look at the live flows frame by frame: no frame waits in the
        // time-order window.
        self.a.release(super::reorder::Release::All);
    }
    /// SYN, SYN/ACK, ACK and a ClientHello from client `n`.
    fn tls_start(&mut self, n: u8, sni: &str) {
        let c = [10, 0, 0, n];
        self.send(tcp(c, 40000, SERVER, 443, 100, SYN, b""));
        self.send(tcp(SERVER, 443, c, 40000, 500, SYN | ACK, b""));
        self.send(tcp(c, 40000, SERVER, 443, 101, ACK, b""));
        self.send(tcp(c, 40000, SERVER, 443, 101, PSH_ACK, &client_hello(sni)));
    }
    fn finish(self) -> Timeline {
        self.a.finish(Source::Capture { files: vec![] })
    }
}

fn live(a: &Analyzer) -> impl Iterator<Item = &Flow> {
    a.flows
        .values()
        .filter_map(|&i| a.table.get(i))
        .map(|f| &**f)
}

/// The `capture_overload` finding the rules make of what the flow table recorded.
fn overload(t: &Timeline) -> Finding {
    let facts = t.stats.reading.overload.as_ref();
    crate::diagnose::capture::overload(facts.expect("the budget forced something"))
}

fn flows_only(n: usize) -> FlowLimits {
    FlowLimits {
        max_live_flows: n,
        ..FlowLimits::default()
    }
}

#[test]
fn flows_past_the_budget_are_evicted_counted_and_licensing_kept() {
    let mut feed = Feed::new(flows_only(10));
    feed.tls_start(1, "smartreceiver.cisco.com");
    // 50 unanswered SYNs to another server: 51 flows for 10 places.
    for i in 0..50u16 {
        feed.send(tcp(
            [10, 1, 0, 1],
            2000 + i,
            [192, 0, 2, 9],
            443,
            7,
            SYN,
            b"",
        ));
    }
    let t = feed.finish();
    assert_eq!(t.stats.flows_evicted, 41);
    let f = overload(&t);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.summary
            .starts_with("41 flow(s) evicted under memory pressure (none of them licensing)"),
        "{}",
        f.summary
    );
    // The licensing flow, the oldest of all, was never evicted: one connection, whole.
    assert_eq!(t.connections.len(), 1);
    let c = &t.connections[0];
    assert_eq!((c.packets, c.licensing), (4, true));
    assert!(
        c.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::TlsClientHello(_)))
    );
    assert_eq!(t.stats.tcp_connections, 51);
}

#[test]
fn licensing_flows_go_last_but_do_go() {
    let mut feed = Feed::new(flows_only(3));
    for n in 1..=5 {
        feed.tls_start(n, "smartreceiver.cisco.com");
    }
    let t = feed.finish();
    let f = overload(&t);
    assert!(
        f.summary
            .starts_with("2 flow(s) evicted under memory pressure (2 of them licensing)"),
        "{}",
        f.summary
    );
    // The two least recently used, named in the evidence, are still judged (partially).
    let named: Vec<&str> = f.evidence.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(named.len(), 3, "{named:?}");
    assert!(
        named[1]
            .starts_with("connection #1 10.0.0.1:40000 -> 192.0.2.1:443 evicted after 4 packets"),
        "{named:?}"
    );
    assert!(named[2].starts_with("connection #2 "), "{named:?}");
    assert_eq!(t.connections.len(), 5);
}

#[test]
fn a_flow_touched_again_is_not_the_one_evicted() {
    let mut feed = Feed::new(flows_only(2));
    feed.tls_start(1, "www.example.com");
    feed.tls_start(2, "www.example.net");
    // Flow 1 is used again (not a copy of its last frame: another sequence number);
    // flow 3 arrives: flow 2 is the least recently used.
    feed.send(tcp([10, 0, 0, 1], 40000, SERVER, 443, 102, ACK, b""));
    feed.tls_start(3, "www.example.org");
    let mut a = feed.a;
    let live: Vec<u8> = {
        let mut v: Vec<u8> = a
            .flows
            .keys()
            .map(|k| match k.client.ip() {
                IpAddr::V4(ip) => ip.octets()[3],
                IpAddr::V6(_) => 0,
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(live, vec![1, 3]);
    assert_eq!(a.stats_mut().frames, 13);
}

#[test]
fn out_of_order_data_has_one_budget_for_all_flows() {
    let limits = FlowLimits {
        max_buffered_bytes: 20_000,
        ..FlowLimits::default()
    };
    let mut feed = Feed::new(limits);
    for n in 1..=10 {
        feed.tls_start(n, "www.example.com");
    }
    // Each server sends 8 KB after a 1,000-byte hole: 80 KB would wait.
    for n in 1..=10 {
        for k in 0..8u32 {
            feed.send(tcp(
                SERVER,
                443,
                [10, 0, 0, n],
                40000,
                1501 + k * 1000,
                PSH_ACK,
                &[0x17; 1000],
            ));
        }
    }
    assert!(feed.a.buffered_bytes <= 20_000 + 1000 + reassembly::SEGMENT_OVERHEAD);
    let waiting: usize = live(&feed.a).map(|f| f.buffered()).sum();
    assert_eq!(waiting, feed.a.buffered_bytes);
    let t = feed.finish();
    let f = overload(&t);
    assert_eq!(t.stats.flows_evicted, 0);
    assert!(
        f.summary.contains("wait(s) for missing data cut short"),
        "{}",
        f.summary
    );
}

#[test]
fn flow_bytes_track_what_the_live_flows_hold() {
    let mut feed = Feed::new(FlowLimits::default());
    for n in 1..=20 {
        feed.tls_start(n, "www.example.com");
    }
    let sum: usize = live(&feed.a).map(|f| f.cost()).sum();
    assert_eq!(sum, feed.a.flow_bytes);
    assert!(feed.a.flow_bytes >= 20 * FLOW_BASE_COST);
    let t = feed.finish();
    assert_eq!(t.stats.reading.overload, None);
}

fn with_context(ctx: AnalysisContext) -> Analyzer {
    Analyzer::new(AnalyzeConfig {
        context: ctx,
        ..AnalyzeConfig::default()
    })
}

/// A DNS message for `name` (type A): a query, or a response with `rcode` and no answer.
fn dns_msg(name: &str, response: Option<u8>) -> Vec<u8> {
    let flags: u16 = match response {
        None => 0x0100,
        Some(rcode) => 0x8180 | u16::from(rcode),
    };
    let mut m = vec![0x12, 0x34];
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

const SWITCH: &str = "10.1.1.1:50000";
const NS: &str = "10.1.1.53:53";

/// One query from the switch to the name server at 0 s, the answer (if any) at 10 ms,
/// and the capture going on until `end_ms`.
fn name_server_run(ctx: AnalysisContext, rcode: Option<u8>, end_ms: i64) -> Timeline {
    let mut a = with_context(ctx);
    let (sw, ns) = (SWITCH.parse().unwrap(), NS.parse().unwrap());
    a.dns_message(
        Some(1),
        0,
        sw,
        ns,
        &dns_msg("ntp.corp.example", None),
        DnsTransport::Udp,
    );
    if let Some(rc) = rcode {
        a.dns_message(
            Some(2),
            10_000_000,
            ns,
            sw,
            &dns_msg("ntp.corp.example", Some(rc)),
            DnsTransport::Udp,
        );
    }
    a.last_ns = Some(end_ms * 1_000_000);
    a.finish(Source::Capture { files: vec![] })
}

#[test]
fn a_configured_name_server_failing_is_licensing_dns() {
    let ns = AnalysisContext {
        dns_servers: vec!["10.1.1.53".parse().unwrap()],
        ..AnalysisContext::default()
    };
    let licensing = |t: &Timeline| t.dns.iter().map(|d| d.licensing).collect::<Vec<_>>();
    // Unanswered for 5 s, or asked again and still unanswered; SERVFAIL, REFUSED:
    // the server failed the switch.
    assert_eq!(licensing(&name_server_run(ns.clone(), None, 5_000)), [true]);
    assert_eq!(licensing(&name_server_run(ns.clone(), Some(2), 20)), [true]);
    assert_eq!(licensing(&name_server_run(ns.clone(), Some(5), 20)), [true]);
    // An answer (NXDOMAIN is one) says nothing about licensing; a capture that ends
    // 1 s after the query shows nothing either way: hidden, counted.
    let t = name_server_run(ns.clone(), Some(3), 5_000);
    assert_eq!((t.dns.len(), t.hidden_dns), (0, 1));
    assert!(name_server_run(ns.clone(), None, 1_000).dns.is_empty());
    let mut retried = with_context(ns.clone());
    let (sw, server) = (SWITCH.parse().unwrap(), NS.parse().unwrap());
    for (frame, t) in [(1, 0), (2, 1_000_000_000)] {
        let q = dns_msg("ntp.corp.example", None);
        retried.dns_message(Some(frame), t, sw, server, &q, DnsTransport::Udp);
    }
    retried.last_ns = Some(1_500_000_000);
    let t = retried.finish(Source::Capture { files: vec![] });
    assert_eq!(
        licensing(&t),
        [true],
        "asked twice in 1.5 s, never answered"
    );
    // Without the context, or from another source than --switch: not the switch's.
    assert!(
        name_server_run(AnalysisContext::default(), None, 5_000)
            .dns
            .is_empty()
    );
    let elsewhere = AnalysisContext {
        switch_addresses: vec!["10.1.1.2".parse().unwrap()],
        ..ns.clone()
    };
    assert!(name_server_run(elsewhere, None, 5_000).dns.is_empty());
    assert!(name_server_run(ns, None, 5_000).context.is_some());
}

/// A SYN to the configured proxy answered by RST: licensing, marked as the proxy. The
/// same to another port, or a proxy connection that asked for a host, is not.
#[test]
fn a_connection_to_the_configured_proxy_is_licensing_until_it_names_a_host() {
    use crate::model::context::KnownProxy;
    let proxy = AnalysisContext {
        proxies: vec![KnownProxy::new("192.0.2.1", 3128, "--proxy")],
        ..AnalysisContext::default()
    };
    let run = |ctx: AnalysisContext, port: u16, connect: Option<&str>| {
        let mut f = Feed {
            a: with_context(ctx),
            frame: 0,
        };
        let c = [10, 0, 0, 7];
        f.send(tcp(c, 40000, SERVER, port, 100, SYN, b""));
        match connect {
            None => f.send(tcp(SERVER, port, c, 40000, 0, 0x14, b"")),
            Some(target) => {
                f.send(tcp(SERVER, port, c, 40000, 500, SYN | ACK, b""));
                f.send(tcp(c, 40000, SERVER, port, 101, ACK, b""));
                let req = format!("CONNECT {target} HTTP/1.0\r\n\r\n");
                f.send(tcp(c, 40000, SERVER, port, 101, PSH_ACK, req.as_bytes()));
            }
        }
        let mut t = f.finish();
        assert_eq!(t.stats.tcp_connections, 1);
        (t.connections.pop(), t.hidden_connections)
    };
    let hidden = |(c, n): (Option<Connection>, u64)| c.is_none() && n == 1;
    let (c, _) = run(proxy.clone(), 3128, None);
    let c = c.expect("kept");
    assert!(c.licensing && c.configured_proxy);
    assert_eq!(c.state, TcpState::Refused);
    assert!(hidden(run(proxy.clone(), 8080, None)));
    assert!(hidden(run(AnalysisContext::default(), 3128, None)));
    assert!(hidden(run(
        proxy.clone(),
        3128,
        Some("www.example.com:443")
    )));
    let licensing = run(proxy, 3128, Some("smartreceiver.cisco.com:443"))
        .0
        .expect("kept");
    assert!(licensing.licensing && licensing.configured_proxy);
}
