//! Connection tracking: decoded packets in, a [`Timeline`] out (before diagnosis).
//!
//! Pure: no I/O and no clock reads; time is the packets' own. Memory is bounded by the
//! live flows and the caps on reassembly, events and kept connections, never by the size
//! of the capture: finished flows that are not shown are dropped at once.

pub mod app;
pub mod dns;
pub mod reassembly;

use crate::model::*;
use crate::wire::link::{IcmpUnreachable, Packet, TcpSegment, Transport, decode_frame};
use app::AppState;
use reassembly::{Delivery, Reassembler};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

/// Events kept per connection; a long transfer folds into few events, this bounds the rest.
pub const MAX_EVENTS_PER_CONNECTION: usize = 512;
/// Connections kept whole for display. Further relevant ones go to the overflow sink
/// (the caller diagnoses and counts them), so memory stays flat whatever the file size.
pub const MAX_SHOWN_CONNECTIONS: usize = 1_000;
/// Live flows before idle ones are retired early.
const MAX_LIVE_FLOWS: usize = 100_000;
/// A closed flow lingers this long (capture time) to absorb late retransmissions...
const CLOSED_LINGER_NS: i64 = 5_000_000_000;
/// ...or this many frames, whichever comes first: on a busy link 5 s is millions of
/// frames, and lingering flows would make memory follow the traffic rate.
const CLOSED_LINGER_FRAMES: u64 = 20_000;
/// A flow with no packet for this long is finished.
const IDLE_TIMEOUT_NS: i64 = 300_000_000_000;
const SWEEP_EVERY_PACKETS: u64 = 4096;
/// Two identical segments closer than this are one frame captured twice (two attachment
/// points of an Embedded Packet Capture), not a retransmission: TCP's minimum RTO is 200 ms (RFC 6298).
const DUPLICATE_WINDOW_NS: i64 = 20_000_000;
const DUP_RING: usize = 32;
/// Addresses remembered from DNS answers (for labels).
const MAX_NAMED_ADDRS: usize = 65_536;
/// Revocation hosts remembered from certificates (a chain names a few; hostile ones more).
const MAX_REVOCATION_HOSTS: usize = 64;
/// Ports that identify the server side when the SYN was not captured.
const SERVER_PORTS: &[u16] = &[443, 80, 8080, 3128, 8182, 8443, 53, 8000, 8888];

/// The licensing names (Cisco's Smart Licensing Using Policy guide: smartreceiver, tools).
pub const LICENSING_NAMES: &[&str] = &[
    "smartreceiver.cisco.com",
    "tools.cisco.com",
    "smartreceiver-stage.cisco.com",
    "smartreceiver-dev.cisco.com",
];
/// URL paths of the licensing transports (smart, call-home, CSLU), for plain HTTP recognition.
pub const LICENSING_PATHS: &[&str] = &[
    "/licservice/license",
    "/its/service/oddce",
    "/cslu/v1/pi",
    "/SmartTransport",
    "/Transportgateway",
];

#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// Names whose traffic is "licensing": the built-in ones plus `--host`.
    pub names: Vec<String>,
    /// Keep every connection and DNS exchange, not only licensing ones.
    pub all: bool,
}

impl Default for AnalyzeConfig {
    fn default() -> Self {
        Self {
            names: LICENSING_NAMES.iter().map(|s| s.to_string()).collect(),
            all: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    client: SocketAddr,
    server: SocketAddr,
}

struct Flow {
    conn: Connection,
    streams: [Reassembler; 2],
    app: AppState,
    syn_ns: Option<i64>,
    syn_seq: Option<u32>,
    synack_ns: Option<i64>,
    established: bool,
    closed: bool,
    /// The analyser's frame count when the flow closed.
    closed_at_frame: u64,
    last_ns: i64,
}

fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

pub struct Analyzer {
    cfg: AnalyzeConfig,
    flows: HashMap<FlowKey, Flow>,
    kept: Vec<Connection>,
    dns: dns::DnsTracker,
    stats: CaptureStats,
    name_by_addr: HashMap<IpAddr, String>,
    licensing_addrs: HashSet<IpAddr>,
    /// CRL / OCSP hosts named by the certificates seen so far: the switch's fetches of
    /// them are kept like licensing connections (judged by `diagnose::revocation`).
    revocation_hosts: HashSet<String>,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    next_id: u64,
    dup_ring: Vec<(u64, i64)>,
    backwards_first: Option<(u64, i64)>,
    truncated_first: Option<(u64, i64)>,
    hidden_connections: u64,
    overflow: Option<Box<dyn FnMut(Connection)>>,
}

impl Analyzer {
    pub fn new(cfg: AnalyzeConfig) -> Self {
        Analyzer {
            cfg,
            flows: HashMap::new(),
            kept: Vec::new(),
            dns: dns::DnsTracker::default(),
            stats: CaptureStats::default(),
            name_by_addr: HashMap::new(),
            licensing_addrs: HashSet::new(),
            revocation_hosts: HashSet::new(),
            first_ns: None,
            last_ns: None,
            next_id: 1,
            dup_ring: Vec::with_capacity(DUP_RING),
            backwards_first: None,
            truncated_first: None,
            hidden_connections: 0,
            overflow: None,
        }
    }

    /// Where relevant connections past [`MAX_SHOWN_CONNECTIONS`] go instead of being kept.
    /// Without a sink they are only counted in `hidden_connections`.
    pub fn set_overflow_sink(&mut self, sink: impl FnMut(Connection) + 'static) {
        self.overflow = Some(Box::new(sink));
    }

    pub fn stats_mut(&mut self) -> &mut CaptureStats {
        &mut self.stats
    }

    fn is_licensing_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.cfg.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// One captured frame. `frame` is 1-based; `orig_len` the length on the wire.
    pub fn frame(&mut self, frame: u64, time_ns: i64, linktype: u32, data: &[u8], orig_len: u32) {
        self.stats.frames += 1;
        self.stats.bytes += data.len() as u64;
        if (data.len() as u64) < u64::from(orig_len) {
            self.stats.frames_truncated += 1;
            self.truncated_first.get_or_insert((frame, time_ns));
        }
        if let Some(last) = self.last_ns
            && time_ns < last
        {
            self.stats.time_went_backwards += 1;
            self.backwards_first.get_or_insert((frame, time_ns));
        }
        self.first_ns = Some(self.first_ns.map_or(time_ns, |f| f.min(time_ns)));
        self.last_ns = Some(self.last_ns.map_or(time_ns, |l| l.max(time_ns)));
        match decode_frame(linktype, data) {
            Ok(p) => self.packet(frame, time_ns, &p),
            Err(_) => self.stats.frames_undecoded += 1,
        }
        if self.stats.frames.is_multiple_of(SWEEP_EVERY_PACKETS) {
            self.sweep(time_ns);
        }
    }

    fn packet(&mut self, frame: u64, time_ns: i64, p: &Packet<'_>) {
        match p.transport {
            Transport::Tcp(seg) => {
                let f = seg.flags;
                let flags = (u32::from(f.syn) << 3)
                    | (u32::from(f.fin) << 2)
                    | (u32::from(f.rst) << 1)
                    | u32::from(f.ack);
                let key = (
                    seg.src_port,
                    seg.dst_port,
                    seg.seq,
                    seg.ack,
                    (flags << 16) | u32::from(seg.window),
                );
                if self.is_duplicate(p, key, seg.payload, time_ns) {
                    self.stats.frames_duplicated += 1;
                    return;
                }
                let src = SocketAddr::new(p.src, seg.src_port);
                let dst = SocketAddr::new(p.dst, seg.dst_port);
                self.tcp(frame, time_ns, src, dst, &seg);
            }
            Transport::Udp {
                src_port,
                dst_port,
                payload,
                ..
            } => {
                if src_port == 53 || dst_port == 53 || src_port == 5353 || dst_port == 5353 {
                    if self.is_duplicate(p, (src_port, dst_port, 0, 0, 0), payload, time_ns) {
                        self.stats.frames_duplicated += 1;
                        return;
                    }
                    let src = SocketAddr::new(p.src, src_port);
                    let dst = SocketAddr::new(p.dst, dst_port);
                    self.dns_message(Some(frame), time_ns, src, dst, payload, "udp");
                }
            }
            Transport::IcmpUnreachable(u) => self.icmp_unreachable(frame, time_ns, p.src, &u),
            Transport::Other(_) => {}
        }
    }

    /// An ICMP unreachable about one of our packets: the TCP connection or the DNS query
    /// it quotes learns why it got no answer (tcp_unreachable; a DNS query's reason).
    fn icmp_unreachable(&mut self, frame: u64, time_ns: i64, from: IpAddr, u: &IcmpUnreachable) {
        let reason = format!("ICMP {} from {from}", u.reason());
        match u.protocol {
            6 => {
                let key = FlowKey {
                    client: u.orig_src,
                    server: u.orig_dst,
                };
                if let Some(flow) = self.flows.get_mut(&key) {
                    flow.last_ns = flow.last_ns.max(time_ns);
                    push_event(
                        &mut flow.conn,
                        time_ns,
                        Some(frame),
                        Direction::ToClient,
                        EventKind::TcpUnreachable { reason },
                    );
                }
            }
            _ => self
                .dns
                .unreachable(u.orig_src, u.orig_dst, time_ns, &reason),
        }
    }

    /// The same frame seen twice (two capture points): same addresses, the transport
    /// header fields in `key`, same payload start, within [`DUPLICATE_WINDOW_NS`].
    fn is_duplicate(
        &mut self,
        p: &Packet<'_>,
        key: (u16, u16, u32, u32, u32),
        payload: &[u8],
        time_ns: i64,
    ) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (p.src, p.dst, key, payload.len()).hash(&mut h);
        payload[..payload.len().min(32)].hash(&mut h);
        let key = h.finish();
        let dup = self
            .dup_ring
            .iter()
            .any(|&(k, t)| k == key && (time_ns - t).abs() <= DUPLICATE_WINDOW_NS);
        if self.dup_ring.len() == DUP_RING {
            self.dup_ring.remove(0);
        }
        self.dup_ring.push((key, time_ns));
        dup
    }

    pub(crate) fn dns_message(
        &mut self,
        frame: Option<u64>,
        time_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        msg: &[u8],
        transport: &'static str,
    ) {
        let Ok(m) = crate::wire::dns::parse_dns_message(msg) else {
            return;
        };
        if !m.is_response {
            self.stats.dns_queries += 1;
        }
        let licensing = self.is_licensing_name(&m.qname);
        if m.is_response {
            for a in &m.answers {
                if let DnsData::A(ip) | DnsData::Aaaa(ip) = a.data {
                    if licensing && self.licensing_addrs.len() < MAX_NAMED_ADDRS {
                        self.licensing_addrs.insert(ip);
                    }
                    if self.name_by_addr.len() < MAX_NAMED_ADDRS
                        || self.name_by_addr.contains_key(&ip)
                    {
                        self.name_by_addr.insert(ip, m.qname.clone());
                    }
                }
            }
        }
        let keep = licensing
            || self.cfg.all
            || self
                .revocation_hosts
                .contains(&m.qname.trim_end_matches('.').to_ascii_lowercase());
        self.dns
            .message(frame, time_ns, src, dst, &m, transport, licensing, keep);
    }

    fn tcp(
        &mut self,
        frame: u64,
        time_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &TcpSegment<'_>,
    ) {
        let fwd = FlowKey {
            client: src,
            server: dst,
        };
        let rev = FlowKey {
            client: dst,
            server: src,
        };
        // Port reuse: a fresh SYN on a closed flow starts a new connection.
        if seg.flags.syn
            && !seg.flags.ack
            && let Some(old) = self.flows.get(&fwd)
            && old.closed
            && old.syn_seq != Some(seg.seq)
            && let Some(f) = self.flows.remove(&fwd)
        {
            self.finish_flow(f);
        }
        let (key, dir) = if self.flows.contains_key(&fwd) {
            (fwd, Direction::ToServer)
        } else if self.flows.contains_key(&rev) {
            (rev, Direction::ToClient)
        } else {
            let (key, dir) = if seg.flags.syn && !seg.flags.ack {
                (fwd, Direction::ToServer)
            } else if seg.flags.syn && seg.flags.ack {
                (rev, Direction::ToClient)
            } else if is_server_port(dst.port()) && !is_server_port(src.port()) {
                (fwd, Direction::ToServer)
            } else if is_server_port(src.port()) && !is_server_port(dst.port()) {
                (rev, Direction::ToClient)
            } else if dst.port() <= src.port() {
                (fwd, Direction::ToServer)
            } else {
                (rev, Direction::ToClient)
            };
            if self.flows.len() >= MAX_LIVE_FLOWS {
                self.retire_idle(time_ns, 30_000_000_000);
            }
            self.stats.tcp_connections += 1;
            let id = self.next_id;
            self.next_id += 1;
            let state = if seg.flags.syn {
                TcpState::SynUnanswered
            } else {
                TcpState::StartNotCaptured
            };
            let flow = Flow {
                conn: Connection {
                    server_name: self.name_by_addr.get(&key.server.ip()).cloned(),
                    first_frame: Some(frame),
                    licensing: self.licensing_addrs.contains(&key.server.ip()),
                    ..Connection::new(id, key.client, key.server, time_ns, state)
                },
                streams: [Reassembler::default(), Reassembler::default()],
                app: AppState::default(),
                syn_ns: None,
                syn_seq: None,
                synack_ns: None,
                established: false,
                closed: false,
                closed_at_frame: 0,
                last_ns: time_ns,
            };
            self.flows.insert(key, flow);
            (key, dir)
        };
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let mut dns_out = Vec::new();
        let was_closed = flow.closed;
        let events_before = flow.conn.events.len();
        flow_segment(flow, frame, time_ns, dir, seg, &mut dns_out);
        for host in app::revocation_hosts_of(&flow.conn.events[events_before..]) {
            if self.revocation_hosts.len() < MAX_REVOCATION_HOSTS {
                self.revocation_hosts.insert(host);
            }
        }
        if flow.closed && !was_closed {
            flow.closed_at_frame = self.stats.frames;
        }
        self.dns_from_tcp(key, dns_out);
    }

    fn dns_from_tcp(&mut self, key: FlowKey, msgs: DnsOut) {
        for (f, t, d, msg) in msgs {
            let (s, r) = match d {
                Direction::ToServer => (key.client, key.server),
                Direction::ToClient => (key.server, key.client),
            };
            self.dns_message(f, t, s, r, &msg, "tcp");
        }
    }

    fn sweep(&mut self, now: i64) {
        let frames = self.stats.frames;
        let done: Vec<(u64, FlowKey)> = self
            .flows
            .iter()
            .filter(|(_, f)| {
                (f.closed
                    && (now - f.last_ns > CLOSED_LINGER_NS
                        || frames - f.closed_at_frame > CLOSED_LINGER_FRAMES))
                    || now - f.last_ns > IDLE_TIMEOUT_NS
            })
            .map(|(k, f)| (f.conn.id, *k))
            .collect();
        self.finish_in_order(done);
        self.dns.expire(now);
    }

    fn retire_idle(&mut self, now: i64, idle_ns: i64) {
        let done = self
            .flows
            .iter()
            .filter(|(_, f)| now - f.last_ns > idle_ns)
            .map(|(k, f)| (f.conn.id, *k))
            .collect();
        self.finish_in_order(done);
    }

    /// Finishes flows oldest first, so what is shown does not depend on hash order.
    fn finish_in_order(&mut self, mut done: Vec<(u64, FlowKey)>) {
        done.sort_unstable_by_key(|(id, _)| *id);
        for (_, k) in done {
            if let Some(f) = self.flows.remove(&k) {
                self.finish_flow(f);
            }
        }
    }

    fn finish_flow(&mut self, mut flow: Flow) {
        let mut dns_out = Vec::new();
        let t = flow.last_ns;
        let Flow {
            streams, app, conn, ..
        } = &mut flow;
        // Holes left at the end were never acknowledged by the receiver: lost on the
        // network, not by the capture (an acknowledged hole is a TcpGap, found earlier).
        for dir in [Direction::ToServer, Direction::ToClient] {
            streams[idx(dir)].flush(|d| match d {
                Delivery::Gap(n) => {
                    push_event(conn, t, None, dir, EventKind::TcpLost { missing_bytes: n });
                    app.gap(dir, n);
                }
                d => deliver(app, conn, None, t, dir, d, &mut dns_out),
            });
        }
        let key = FlowKey {
            client: flow.conn.client,
            server: flow.conn.server,
        };
        self.dns_from_tcp(key, dns_out);
        let conn = finalize_connection(flow, &self.cfg, &self.licensing_addrs);
        let revocation = !self.revocation_hosts.is_empty()
            && app::named_host(&conn).is_some_and(|h| self.revocation_hosts.contains(&h));
        if conn.licensing || revocation || self.cfg.all {
            if self.kept.len() < MAX_SHOWN_CONNECTIONS {
                self.kept.push(conn);
            } else {
                self.hidden_connections += 1;
                if let Some(sink) = self.overflow.as_mut() {
                    sink(conn);
                }
            }
        } else {
            self.hidden_connections += 1;
        }
    }

    /// Ends the analysis: flushes live flows and unanswered queries.
    pub fn finish(mut self, source: Source) -> Timeline {
        let keys: Vec<FlowKey> = self.flows.keys().copied().collect();
        let mut flows: Vec<Flow> = keys.iter().filter_map(|k| self.flows.remove(k)).collect();
        flows.sort_by_key(|f| f.conn.id);
        for f in flows {
            self.finish_flow(f);
        }
        self.kept.sort_by_key(|c| c.id);
        let (dns, hidden_dns) = self.dns.finish();
        let mut findings = Vec::new();
        if let Some((frame, t)) = self.backwards_first {
            findings.push(Finding {
                code: FindingCode::CaptureTimeBackwards,
                severity: Severity::Info,
                step: Step::Capture,
                confidence: Confidence::Certain,
                summary: format!("{} frame(s) have a timestamp earlier than the frame before", self.stats.time_went_backwards),
                explanation: "Switch exports (Embedded Packet Capture) are not guaranteed to be time-ordered. licpath keeps file order for sequencing and uses timestamps only for timings, so some intervals may look negative.".into(),
                remediation: vec![],
                evidence: vec![Evidence { frame: Some(frame), time_ns: t, what: "first frame whose time goes backwards".into(), log: None }],
            });
        }
        if let Some((frame, t)) = self.truncated_first {
            findings.push(Finding {
                code: FindingCode::CaptureTruncated,
                severity: Severity::Info,
                step: Step::Capture,
                confidence: Confidence::Certain,
                summary: format!("{} frame(s) were captured shorter than they were on the wire", self.stats.frames_truncated),
                explanation: "Those frames were cut by the capture's snap length; bytes past the cut are treated as a capture gap, not as a protocol error.".into(),
                remediation: vec!["monitor capture NAME limit packet-len 9500   ! capture whole frames".into()],
                evidence: vec![Evidence { frame: Some(frame), time_ns: t, what: "first truncated frame".into(), log: None }],
            });
        }
        Timeline {
            schema_version: SCHEMA_VERSION,
            source,
            start_ns: self.first_ns,
            end_ns: self.last_ns,
            stats: self.stats,
            dns,
            connections: self.kept,
            findings,
            hidden_connections: self.hidden_connections,
            overflow: OverflowSummary::default(),
            hidden_dns,
            switch_log: None,
        }
    }
}

fn is_server_port(p: u16) -> bool {
    SERVER_PORTS.contains(&p)
}

pub(crate) fn push_event(
    conn: &mut Connection,
    time_ns: i64,
    frame: Option<u64>,
    dir: Direction,
    kind: EventKind,
) {
    conn.end_ns = conn.end_ns.max(time_ns);
    if conn.events.len() >= MAX_EVENTS_PER_CONNECTION {
        conn.events_dropped += 1;
        return;
    }
    conn.events.push(Event {
        time_ns,
        frame,
        dir,
        kind,
    });
}

pub(crate) type DnsOut = Vec<(Option<u64>, i64, Direction, Vec<u8>)>;

fn flow_segment(
    flow: &mut Flow,
    frame: u64,
    t: i64,
    dir: Direction,
    seg: &TcpSegment<'_>,
    dns_out: &mut DnsOut,
) {
    let conn_frame = Some(frame);
    flow.last_ns = flow.last_ns.max(t);
    flow.conn.packets += 1;
    flow.conn.end_ns = flow.conn.end_ns.max(t);
    match dir {
        Direction::ToServer => flow.conn.bytes_to_server += seg.payload.len() as u64,
        Direction::ToClient => flow.conn.bytes_to_client += seg.payload.len() as u64,
    }
    let f = seg.flags;
    if f.syn && !f.ack && dir == Direction::ToServer {
        let retransmission = flow.syn_ns.is_some();
        if retransmission {
            flow.conn.retransmissions += 1;
        }
        flow.syn_ns.get_or_insert(t);
        flow.syn_seq = Some(seg.seq);
        flow.streams[0].set_base(seg.seq.wrapping_add(1));
        push_event(
            &mut flow.conn,
            t,
            conn_frame,
            dir,
            EventKind::TcpSyn {
                mss: seg.mss,
                window: seg.window,
                retransmission,
            },
        );
    } else if f.syn && f.ack && dir == Direction::ToClient {
        let retransmission = flow.synack_ns.is_some();
        if retransmission {
            flow.conn.retransmissions += 1;
        }
        flow.synack_ns.get_or_insert(t);
        if let (Some(s), None) = (flow.syn_ns, flow.conn.handshake_rtt_ns) {
            flow.conn.handshake_rtt_ns = Some(t - s);
        }
        if matches!(
            flow.conn.state,
            TcpState::SynUnanswered | TcpState::StartNotCaptured
        ) {
            flow.conn.state = TcpState::Established;
        }
        flow.streams[1].set_base(seg.seq.wrapping_add(1));
        push_event(
            &mut flow.conn,
            t,
            conn_frame,
            dir,
            EventKind::TcpSynAck {
                mss: seg.mss,
                window: seg.window,
                retransmission,
            },
        );
    } else if !f.syn
        && f.ack
        && dir == Direction::ToServer
        && flow.synack_ns.is_some()
        && !flow.established
        && !f.rst
    {
        flow.established = true;
        let rtt_ns = flow.syn_ns.map_or(0, |s| t - s);
        push_event(
            &mut flow.conn,
            t,
            conn_frame,
            dir,
            EventKind::TcpEstablished { rtt_ns },
        );
    }

    // The client acknowledges a SYN/ACK the capture lacks: the server's side was not
    // captured (an egress-only capture). Take the server's sequence space from the ACK, so
    // what the client acknowledges shows as capture gaps, not as silence.
    if dir == Direction::ToServer
        && f.ack
        && !f.syn
        && !f.rst
        && flow.synack_ns.is_none()
        && flow.conn.bytes_to_client == 0
    {
        if flow.conn.state == TcpState::SynUnanswered {
            flow.conn.state = TcpState::Established;
        }
        flow.streams[1].set_base(seg.ack);
        flow.conn.one_direction = true;
    }
    if dir == Direction::ToClient {
        flow.conn.one_direction = false;
    }

    if !f.syn {
        // Disjoint borrows: the reassembler hands in-order bytes straight to the app
        // decoder, with no copy on the common path.
        let Flow {
            streams, app, conn, ..
        } = flow;
        // The peer's ACK tells what it received from us: anything acknowledged but not
        // captured in the other direction is a capture gap.
        if f.ack && !f.rst {
            streams[1 - idx(dir)].acknowledged(seg.ack, |d| {
                deliver(app, conn, conn_frame, t, dir.flip(), d, dns_out)
            });
        }
        let stream = &mut streams[idx(dir)];
        let before = stream.retransmitted_segments;
        stream.segment(seg.seq, seg.payload, |d| {
            deliver(app, conn, conn_frame, t, dir, d, dns_out)
        });
        let after = stream.retransmitted_segments;
        conn.retransmissions += after - before;
        // Data lost to snaplen truncation is a gap of known size right after this segment.
        if seg.payload_missing > 0 && after == before {
            let end = seg
                .seq
                .wrapping_add(seg.payload.len() as u32)
                .wrapping_add(seg.payload_missing);
            stream.acknowledged(end, |d| deliver(app, conn, conn_frame, t, dir, d, dns_out));
        }
    }

    if f.rst {
        flow.closed = true;
        flow.conn.state = match (dir, flow.synack_ns.is_some(), flow.conn.state) {
            (Direction::ToClient, false, TcpState::SynUnanswered) => TcpState::Refused,
            (Direction::ToClient, _, _) => TcpState::ResetByServer,
            (Direction::ToServer, _, _) => TcpState::ResetByClient,
        };
        push_event(&mut flow.conn, t, conn_frame, dir, EventKind::TcpRst);
    } else if f.fin {
        flow.streams[idx(dir)].fin(
            seg.seq
                .wrapping_add(seg.payload.len() as u32)
                .wrapping_add(seg.payload_missing),
        );
        if !matches!(
            flow.conn.state,
            TcpState::ClosedByClient | TcpState::ClosedByServer
        ) {
            flow.conn.state = match dir {
                Direction::ToServer => TcpState::ClosedByClient,
                Direction::ToClient => TcpState::ClosedByServer,
            };
        }
        flow.closed = true;
        push_event(&mut flow.conn, t, conn_frame, dir, EventKind::TcpFin);
    }
}

fn deliver(
    app: &mut AppState,
    conn: &mut Connection,
    frame: Option<u64>,
    t: i64,
    dir: Direction,
    d: Delivery<'_>,
    dns_out: &mut DnsOut,
) {
    match d {
        Delivery::Data(bytes) => app.data(conn, dir, t, frame, bytes, dns_out),
        Delivery::Gap(n) => {
            push_event(conn, t, frame, dir, EventKind::TcpGap { missing_bytes: n });
            app.gap(dir, n);
        }
    }
}

impl Direction {
    pub fn flip(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// Fills the summary fields of a finished connection from its events.
fn finalize_connection(
    mut flow: Flow,
    cfg: &AnalyzeConfig,
    licensing_addrs: &HashSet<IpAddr>,
) -> Connection {
    summarize_connection(&mut flow.conn, cfg, licensing_addrs);
    flow.conn
}

/// Fills the summary fields (TLS summary, names, licensing, furthest step) of a
/// connection from its events. Shared by the capture analyser and the live probe.
pub fn summarize_connection(
    conn: &mut Connection,
    cfg: &AnalyzeConfig,
    licensing_addrs: &HashSet<IpAddr>,
) {
    let mut tls: Option<TlsSummary> = None;
    let mut reached = Step::Tcp;
    for e in &conn.events {
        match &e.kind {
            EventKind::HttpConnectRequest { target, .. } => {
                conn.proxy_target = Some(target.clone());
                reached = reached.max(Step::Proxy);
            }
            EventKind::TlsClientHello(ch) => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.sni = t.sni.clone().or(ch.sni.clone());
                t.client_max_version = Some(ch.max_version().to_string());
                reached = reached.max(Step::Tls);
            }
            EventKind::TlsServerHello(sh) if !sh.hello_retry_request => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.version = Some(sh.version.clone());
                t.cipher = Some(sh.cipher.clone());
            }
            EventKind::TlsCertificate { certificates } if e.dir == Direction::ToClient => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                if t.certificates.is_empty() {
                    t.certificates = certificates.clone();
                }
                reached = reached.max(Step::Cert);
            }
            EventKind::TlsAlert {
                level, description, ..
            } if level == "fatal" || description != "close_notify" => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.alert.get_or_insert_with(|| {
                    format!(
                        "{level} {description} from {}",
                        if e.dir == Direction::ToClient {
                            "server"
                        } else {
                            "client"
                        }
                    )
                });
            }
            EventKind::HttpRequest { .. } => reached = reached.max(Step::Http),
            _ => {}
        }
    }
    if let Some(t) = tls.as_mut() {
        t.handshake_complete = app::tls_handshake_complete(&conn.events);
    }
    let name_from_target = conn
        .proxy_target
        .as_deref()
        .map(|t| app::host_of_target(t).to_string());
    conn.server_name = tls
        .as_ref()
        .and_then(|t| t.sni.clone())
        .or(name_from_target.clone())
        .or_else(|| conn.server_name.clone());
    let is_name = |n: &str| {
        cfg.names
            .iter()
            .any(|x| x.eq_ignore_ascii_case(n.trim_end_matches('.')))
    };
    let http_licensing = conn.events.iter().any(|e| match &e.kind {
        EventKind::HttpRequest { target, host, .. } => {
            LICENSING_PATHS.iter().any(|p| target.contains(p))
                || host
                    .as_deref()
                    .is_some_and(|h| is_name(app::host_of_target(h)))
        }
        _ => false,
    });
    conn.licensing = conn.licensing
        || licensing_addrs.contains(&conn.server.ip())
        || conn.server_name.as_deref().is_some_and(is_name)
        || name_from_target.as_deref().is_some_and(is_name)
        || http_licensing
        || conn.server.port() == 8182;
    conn.reached = reached;
    conn.tls = tls;
}
