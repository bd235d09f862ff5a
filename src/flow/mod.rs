//! Connection tracking: decoded packets in, a [`Timeline`] out (before diagnosis).
//!
//! Pure: no I/O and no clock reads; time is the packets' own. Memory is bounded by the
//! live flows and the caps on reassembly, events and kept connections, never by the size
//! of the capture: finished flows that are not shown are dropped at once.
//!
//! The live flows share one budget ([`FlowLimits`]): a count and an estimate of the bytes
//! each holds (its state, events, and data waiting behind holes or inside unfinished
//! messages). Past it, the least recently used flow is evicted (finished as it stands),
//! non-licensing ones first; evictions are counted and reported as `capture_overload`.
//! Retirement is O(1) amortised: live flows are threaded on least-recently-used lists
//! (one for licensing flows, one for the rest) and closed flows queued in the order they
//! closed, so no step ever scans all live flows.

pub mod app;
pub mod dns;
mod lru;
pub mod reassembly;

use crate::model::context::AnalysisContext;
use crate::model::*;
use crate::wire::link::{IcmpUnreachable, Packet, TcpSegment, Transport, decode_frame};
use app::AppState;
use lru::Lru;
use reassembly::{Delivery, Reassembler};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};

/// Events kept per connection; a long transfer folds into few events, this bounds the rest.
pub const MAX_EVENTS_PER_CONNECTION: usize = 512;
/// Connections kept whole for display. Further relevant ones go to the overflow sink
/// (the caller diagnoses and counts them), so memory stays flat whatever the file size.
pub const MAX_SHOWN_CONNECTIONS: usize = 1_000;
/// Estimated bytes of one live flow before it holds any data: the boxed state, its entry
/// in the flow table and in the retirement queues (measured: `size_of::<Flow>()` is 760).
const FLOW_BASE_COST: usize = 1024;
/// Heap owned by an event beyond its slot, estimated: certificates (names, SANs, URLs),
/// a ClientHello's lists, HTTP headers. An estimate is enough: it only has to keep the
/// budget proportional to what is really held.
const EVENT_HEAP_ESTIMATE: usize = 96;
const CERT_HEAP_ESTIMATE: usize = 1024;
/// The flow table's hash: fast on the 64-byte keys hashed several times per packet, and
/// seeded at random so that a crafted capture cannot aim at collisions.
type FlowHasher = foldhash::fast::RandomState;

/// Evidence entries naming evicted licensing connections in `capture_overload`.
const MAX_EVICTION_EVIDENCE: usize = 5;
/// The two LRU lists of the flow table.
const OTHER: usize = 0;
const PRIORITY: usize = 1;
/// A closed flow lingers this long (capture time) to absorb late retransmissions...
const CLOSED_LINGER_NS: i64 = 5_000_000_000;
/// ...or this many frames, whichever comes first: on a busy link 5 s is millions of
/// frames, and lingering flows would make memory follow the traffic rate.
const CLOSED_LINGER_FRAMES: u64 = 20_000;
/// A flow with no packet for this long is finished.
const IDLE_TIMEOUT_NS: i64 = 300_000_000_000;
const SWEEP_EVERY_PACKETS: u64 = 4096;
/// A sender silent this long before a retransmission waited for its retransmission timer
/// (Linux's minimum RTO; RFC 6298 §2.4 says 1 s), not for duplicate ACKs.
const MIN_RTO_NS: i64 = 200_000_000;
/// Two identical segments closer than this are one frame captured twice (two attachment
/// points of an Embedded Packet Capture), not a retransmission: TCP's minimum RTO is 200 ms (RFC 6298).
const DUPLICATE_WINDOW_NS: i64 = 20_000_000;
/// Recent frames remembered for that comparison. Two capture points can lie a whole burst
/// apart (a 200 KB download at line rate: 70 frames between a frame and its copy in a lab
/// capture at two points), so the memory is deep and looked up by hash, not scanned.
const DUP_RING: usize = 4096;
/// Addresses remembered from DNS answers (for labels).
const MAX_NAMED_ADDRS: usize = 65_536;
/// Revocation hosts remembered from certificates (a chain names a few; hostile ones more).
const MAX_REVOCATION_HOSTS: usize = 64;
/// How long the switch waits for a name server's answer (IOS XE `ip domain timeout`,
/// 3 s by default): an unanswered query to a configured name server is a failure of the
/// server only when the capture went on at least this long after it.
const NAME_SERVER_WAIT_NS: i64 = 3_000_000_000;
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
    /// The switch's proxy, name servers, addresses and licensing hosts, when known: a
    /// connection to the proxy that never reached CONNECT and a failed query to a name
    /// server are licensing traffic; traffic from other sources is not the switch's.
    pub context: AnalysisContext,
}

impl Default for AnalyzeConfig {
    fn default() -> Self {
        Self {
            names: LICENSING_NAMES.iter().map(|s| s.to_string()).collect(),
            all: false,
            context: AnalysisContext::default(),
        }
    }
}

/// The flow table's global budget. Past either limit the least recently used live flow
/// is evicted, licensing flows last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLimits {
    /// Live flows at most.
    pub max_live_flows: usize,
    /// Estimated bytes held by all live flows together (state, events, buffered data).
    pub max_flow_bytes: usize,
    /// Bytes (bookkeeping included) waiting behind reassembly holes in all flows together:
    /// past it, a non-licensing flow that adds more has its holes declared gaps at once.
    pub max_buffered_bytes: usize,
}

impl Default for FlowLimits {
    /// Sized so that peak memory stays under 64 MiB whatever the flow mix (BENCHMARKS.md).
    fn default() -> Self {
        FlowLimits {
            max_live_flows: 100_000,
            max_flow_bytes: 32 << 20,
            max_buffered_bytes: 16 << 20,
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
    /// What the first SYN/ACK acknowledged (the SYN's sequence number + 1).
    synack_ack: Option<u32>,
    /// The SYN came after its SYN/ACK in the file: the directions were captured apart and
    /// merged one after the other. The events are put in time order at the end.
    merged: bool,
    synack_ns: Option<i64>,
    established: bool,
    closed: bool,
    /// The analyser's frame count when the flow closed.
    closed_at_frame: u64,
    last_ns: i64,
    /// When each direction last sent a segment (to tell a retransmission timeout).
    last_sent_ns: [Option<i64>; 2],
    /// The last SYN to the SYN/ACK: the path's round trip, without the SYN's own
    /// retransmission timeouts (which `handshake_rtt_ns` includes).
    path_rtt_ns: Option<i64>,
    /// Evicted last: its traffic is licensing (or a revocation fetch) as far as seen.
    priority: bool,
    /// What this flow was last counted for in [`Analyzer::flow_bytes`].
    cost: usize,
    /// Heap of its events beyond their slots (estimated, see [`EVENT_HEAP_ESTIMATE`]).
    event_heap: usize,
    /// ACKs of bytes of each stream not captured (yet), held until that stream's next
    /// packet that is not older than the ACK: in a file merged direction after direction
    /// (or reordered by a tool) the acknowledged bytes come later in the file, and are
    /// data, not a capture gap. In a time-ordered capture the gap is declared exactly as
    /// if at the ACK (its frame, time and place among the events).
    held_acks: [Vec<HeldAck>; 2],
}

/// An ACK beyond the bytes captured of the stream it acknowledges (see `Flow::held_acks`).
#[derive(Debug, Clone, Copy)]
struct HeldAck {
    ack: u32,
    frame: u64,
    time_ns: i64,
    /// Where its events go among the connection's events.
    at_event: usize,
}

/// Held ACKs per stream at most; past it the latest one is raised instead.
const MAX_HELD_ACKS: usize = 8;

impl Flow {
    fn key(&self) -> FlowKey {
        FlowKey {
            client: self.conn.client,
            server: self.conn.server,
        }
    }

    fn cost(&self) -> usize {
        FLOW_BASE_COST
            + self.conn.events.capacity() * std::mem::size_of::<Event>()
            + self.event_heap
            + self.buffered()
            + self.app.buffered_bytes()
    }

    fn buffered(&self) -> usize {
        self.streams[0].buffered_cost() + self.streams[1].buffered_cost()
    }
}

/// What [`FlowLimits`] forced: reported as `capture_overload`.
#[derive(Debug, Default)]
struct Overload {
    flows_evicted: u64,
    licensing_evicted: u64,
    /// First eviction (frame, time).
    first: Option<(u64, i64)>,
    /// Licensing connections evicted: (id, first frame, time, description).
    licensing: Vec<Evidence>,
    holes_forced: u64,
}

fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

pub struct Analyzer {
    cfg: AnalyzeConfig,
    limits: FlowLimits,
    /// Where each live flow is in `table`.
    flows: HashMap<FlowKey, u32, FlowHasher>,
    /// The live flows on two LRU lists: [`OTHER`] and [`PRIORITY`] (evicted last).
    table: Lru<Box<Flow>>,
    /// Flows in the order they closed (FIN or RST), for the linger rule.
    closing: VecDeque<(FlowKey, u64)>,
    /// Sum of the live flows' `cost`, and of their reassembly buffers alone.
    flow_bytes: usize,
    buffered_bytes: usize,
    overload: Overload,
    kept: Vec<Connection>,
    dns: dns::DnsTracker,
    stats: CaptureStats,
    name_by_addr: HashMap<IpAddr, String>,
    licensing_addrs: HashSet<IpAddr>,
    /// Addresses DNS gave for a configured proxy's name.
    proxy_addrs: HashSet<IpAddr>,
    /// CRL / OCSP hosts named by the certificates seen so far: the switch's fetches of
    /// them are kept like licensing connections (judged by `diagnose::revocation`).
    revocation_hosts: HashSet<String>,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    next_id: u64,
    dup_ring: VecDeque<(u64, i64)>,
    /// The frames of `dup_ring` by hash: when each was last seen.
    dup_seen: HashMap<u64, i64, FlowHasher>,
    dup_hasher: FlowHasher,
    backwards_first: Option<(u64, i64)>,
    truncated_first: Option<(u64, i64)>,
    hidden_connections: u64,
    overflow: Option<Box<dyn FnMut(Connection)>>,
}

impl Analyzer {
    pub fn new(cfg: AnalyzeConfig) -> Self {
        let licensing_addrs = cfg.context.licensing_addresses.iter().copied().collect();
        Analyzer {
            cfg,
            limits: FlowLimits::default(),
            flows: HashMap::default(),
            table: Lru::default(),
            closing: VecDeque::new(),
            flow_bytes: 0,
            buffered_bytes: 0,
            overload: Overload::default(),
            kept: Vec::new(),
            dns: dns::DnsTracker::default(),
            stats: CaptureStats::default(),
            name_by_addr: HashMap::new(),
            licensing_addrs,
            proxy_addrs: HashSet::new(),
            revocation_hosts: HashSet::new(),
            first_ns: None,
            last_ns: None,
            next_id: 1,
            dup_ring: VecDeque::with_capacity(DUP_RING),
            dup_seen: HashMap::with_capacity_and_hasher(DUP_RING, FlowHasher::default()),
            dup_hasher: FlowHasher::default(),
            backwards_first: None,
            truncated_first: None,
            hidden_connections: 0,
            overflow: None,
        }
    }

    /// Replaces the default [`FlowLimits`] (tests use small ones).
    pub fn set_limits(&mut self, limits: FlowLimits) {
        self.limits = limits;
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
                let tag = (p.ip_id, seg.tsval);
                if self.is_duplicate(p, key, tag, seg.payload, time_ns) {
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
                    // A resolver's quick re-ask is a new packet too, but stays folded
                    // into one exchange as before: only TCP tells them apart.
                    let key = (src_port, dst_port, 0, 0, 0);
                    if self.is_duplicate(p, key, (None, None), payload, time_ns) {
                        self.stats.frames_duplicated += 1;
                        return;
                    }
                    let src = SocketAddr::new(p.src, src_port);
                    let dst = SocketAddr::new(p.dst, dst_port);
                    self.dns_message(Some(frame), time_ns, src, dst, payload, DnsTransport::Udp);
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
                if let Some(flow) = self.flow_mut(&key) {
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

    /// The same frame seen twice (two capture points): same addresses, IPv4 ID, the
    /// transport header fields in `key`, same TCP timestamp, same payload start, within
    /// [`DUPLICATE_WINDOW_NS`]. A retransmission is a new packet (new IP ID or TSval) and
    /// stays, however soon it follows (fast retransmit on a short path: microseconds).
    fn is_duplicate(
        &mut self,
        p: &Packet<'_>,
        key: (u16, u16, u32, u32, u32),
        (ip_id, tsval): (Option<u16>, Option<u32>),
        payload: &[u8],
        time_ns: i64,
    ) -> bool {
        use std::hash::BuildHasher;
        let head = payload.get(..32).unwrap_or(payload);
        let key = self
            .dup_hasher
            .hash_one((p.src, p.dst, ip_id, key, tsval, payload.len(), head));
        let dup = self
            .dup_seen
            .get(&key)
            .is_some_and(|&t| (time_ns - t).abs() <= DUPLICATE_WINDOW_NS);
        if self.dup_ring.len() == DUP_RING
            && let Some((old, t)) = self.dup_ring.pop_front()
            && self.dup_seen.get(&old) == Some(&t)
        {
            self.dup_seen.remove(&old);
        }
        self.dup_ring.push_back((key, time_ns));
        self.dup_seen.insert(key, time_ns);
        dup
    }

    pub(crate) fn dns_message(
        &mut self,
        frame: Option<u64>,
        time_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        msg: &[u8],
        transport: DnsTransport,
    ) {
        let Ok(m) = crate::wire::dns::parse_dns_message(msg) else {
            return;
        };
        if !m.is_response {
            self.stats.dns_queries += 1;
        }
        let by_name = self.is_licensing_name(&m.qname);
        let proxy_name = self.cfg.context.is_proxy_name(&m.qname);
        if m.is_response {
            for a in &m.answers {
                if let DnsData::A(ip) | DnsData::Aaaa(ip) = a.data {
                    if by_name && self.licensing_addrs.len() < MAX_NAMED_ADDRS {
                        self.licensing_addrs.insert(ip);
                    }
                    if proxy_name && self.proxy_addrs.len() < MAX_NAMED_ADDRS {
                        self.proxy_addrs.insert(ip);
                    }
                    if self.name_by_addr.len() < MAX_NAMED_ADDRS
                        || self.name_by_addr.contains_key(&ip)
                    {
                        self.name_by_addr.insert(ip, m.qname.clone());
                    }
                }
            }
        }
        let (client, server) = if m.is_response {
            (dst, src)
        } else {
            (src, dst)
        };
        let ctx = &self.cfg.context;
        let from_switch = ctx.is_switch(client.ip());
        let licensing = (by_name || proxy_name) && from_switch;
        // Kept for now; only a failure of the server itself stays (see `finish`).
        let to_name_server = from_switch && ctx.is_name_server(server.ip());
        let keep = licensing
            || to_name_server
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
            && let Some(old) = self.flows.get(&fwd).and_then(|&i| self.table.get(i))
            && old.closed
            && old.syn_seq != Some(seg.seq)
            // ...unless it is the SYN its SYN/ACK answered, later in a merged file.
            && !(old.syn_seq.is_none() && old.synack_ack == Some(seg.seq.wrapping_add(1)))
            && let Some(f) = self.remove_flow(&fwd)
        {
            self.finish_flow(*f);
        }
        let known = match self.flows.get(&fwd) {
            Some(&slot) => Some((fwd, Direction::ToServer, slot)),
            None => self
                .flows
                .get(&rev)
                .map(|&slot| (rev, Direction::ToClient, slot)),
        };
        let (key, dir, slot) = if let Some(k) = known {
            k
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
            let slot = self.new_flow(frame, time_ns, key, seg.flags.syn);
            (key, dir, slot)
        };
        self.table.touch(slot);
        let Some(flow) = self.table.get_mut(slot) else {
            return;
        };
        let mut dns_out = Vec::new();
        let was_closed = flow.closed;
        let was_priority = flow.priority;
        let events_before = flow.conn.events.len();
        let buffered_before = flow.buffered();
        flow_segment(flow, frame, time_ns, dir, seg, &mut dns_out);
        let new_events = &flow.conn.events[events_before..];
        for host in app::revocation_hosts_of(new_events) {
            if self.revocation_hosts.len() < MAX_REVOCATION_HOSTS {
                self.revocation_hosts.insert(host);
            }
        }
        flow.event_heap += new_events.iter().map(event_heap_estimate).sum::<usize>();
        if !flow.priority {
            let (cfg, hosts) = (&self.cfg, &self.revocation_hosts);
            flow.priority = new_events.iter().any(|e| event_is_licensing(cfg, hosts, e))
        }
        if flow.closed && !was_closed {
            flow.closed_at_frame = self.stats.frames;
            self.closing.push_back((key, flow.conn.id));
        }
        // One global budget on data waiting behind holes: a non-licensing flow that adds
        // to it past the limit stops waiting (its holes become gaps, as at its own cap).
        self.buffered_bytes = self.buffered_bytes + flow.buffered() - buffered_before;
        if self.buffered_bytes > self.limits.max_buffered_bytes
            && !flow.priority
            && flow.buffered() > 0
        {
            let before = flow.buffered();
            force_holes(flow, frame, time_ns, &mut dns_out);
            self.buffered_bytes -= before - flow.buffered();
            self.overload.holes_forced += 1;
        }
        let cost = flow.cost();
        self.flow_bytes = self.flow_bytes + cost - flow.cost;
        flow.cost = cost;
        if flow.priority && !was_priority {
            self.table.move_to(slot, PRIORITY);
        }
        self.dns_from_tcp(key, dns_out);
        if self.flow_bytes > self.limits.max_flow_bytes {
            self.relieve_pressure(time_ns, slot);
        }
    }

    /// A flow seen for the first time: counted, queued, and room made for it.
    fn new_flow(&mut self, frame: u64, time_ns: i64, key: FlowKey, syn: bool) -> u32 {
        self.stats.tcp_connections += 1;
        let id = self.next_id;
        self.next_id += 1;
        let state = if syn {
            TcpState::SynUnanswered
        } else {
            TcpState::StartNotCaptured
        };
        let server_name = self.name_by_addr.get(&key.server.ip()).cloned();
        let ctx = &self.cfg.context;
        let from_switch = ctx.is_switch(key.client.ip());
        let configured_proxy = from_switch
            && (ctx.proxy_at(key.server, server_name.as_deref()).is_some()
                || (self.proxy_addrs.contains(&key.server.ip())
                    && ctx.proxies.iter().any(|p| p.port == key.server.port())));
        let licensing = self.licensing_addrs.contains(&key.server.ip()) && from_switch;
        let mut flow = Box::new(Flow {
            conn: Connection {
                server_name,
                first_frame: Some(frame),
                licensing,
                configured_proxy,
                ..Connection::new(id, key.client, key.server, time_ns, state)
            },
            streams: [Reassembler::default(), Reassembler::default()],
            app: AppState::default(),
            syn_ns: None,
            syn_seq: None,
            synack_ack: None,
            merged: false,
            synack_ns: None,
            established: false,
            closed: false,
            closed_at_frame: 0,
            last_ns: time_ns,
            last_sent_ns: [None; 2],
            path_rtt_ns: None,
            priority: licensing || configured_proxy || key.server.port() == 8182,
            cost: 0,
            event_heap: 0,
            held_acks: [Vec::new(), Vec::new()],
        });
        flow.cost = flow.cost();
        self.flow_bytes += flow.cost;
        let list = if flow.priority { PRIORITY } else { OTHER };
        let slot = self.table.insert(flow, list);
        self.flows.insert(key, slot);
        if self.flows.len() > self.limits.max_live_flows
            || self.flow_bytes > self.limits.max_flow_bytes
        {
            self.relieve_pressure(time_ns, slot);
        }
        slot
    }

    fn flow_mut(&mut self, key: &FlowKey) -> Option<&mut Flow> {
        let slot = *self.flows.get(key)?;
        self.table.get_mut(slot).map(|b| &mut **b)
    }

    /// Takes a flow out of the table and of the budget.
    fn remove_flow(&mut self, key: &FlowKey) -> Option<Box<Flow>> {
        let slot = self.flows.remove(key)?;
        let f = self.table.remove(slot)?;
        self.flow_bytes -= f.cost;
        self.buffered_bytes -= f.buffered();
        Some(f)
    }

    /// Evicts least recently used flows, non-licensing ones first, until the live flows
    /// fit [`FlowLimits`] again. `spare` (the flow of the packet in hand, maybe not yet
    /// recognisable as licensing) goes only if nothing else is left.
    fn relieve_pressure(&mut self, now: i64, spare: u32) {
        while self.flows.len() > self.limits.max_live_flows
            || self.flow_bytes > self.limits.max_flow_bytes
        {
            let Some(key) = self.least_recently_used(spare) else {
                return;
            };
            let Some(f) = self.remove_flow(&key) else {
                continue;
            };
            let o = &mut self.overload;
            o.flows_evicted += 1;
            o.first.get_or_insert((self.stats.frames, now));
            if f.priority {
                o.licensing_evicted += 1;
                if o.licensing.len() < MAX_EVICTION_EVIDENCE {
                    o.licensing.push(Evidence {
                        frame: f.conn.first_frame,
                        time_ns: f.conn.start_ns,
                        what: format!(
                            "connection #{} {} -> {} evicted after {} packets",
                            f.conn.id, f.conn.client, f.conn.server, f.conn.packets
                        ),
                        log: None,
                    });
                }
            }
            self.finish_flow(*f);
        }
    }

    /// The flow to evict: the least recently used non-licensing flow, else licensing.
    fn least_recently_used(&self, spare: u32) -> Option<FlowKey> {
        [OTHER, PRIORITY]
            .into_iter()
            .flat_map(|list| {
                self.table
                    .iter_from_front(list)
                    .filter(|&i| i != spare)
                    .take(1)
            })
            .chain(std::iter::once(spare))
            .find_map(|i| self.table.get(i).map(|f| f.key()))
    }

    fn dns_from_tcp(&mut self, key: FlowKey, msgs: DnsOut) {
        for (f, t, d, msg) in msgs {
            let (s, r) = match d {
                Direction::ToServer => (key.client, key.server),
                Direction::ToClient => (key.server, key.client),
            };
            self.dns_message(f, t, s, r, &msg, DnsTransport::Tcp);
        }
    }

    /// Retires closed flows past their linger and flows idle past [`IDLE_TIMEOUT_NS`],
    /// looking only at the fronts of the queues.
    fn sweep(&mut self, now: i64) {
        let frames = self.stats.frames;
        let mut done: Vec<(u64, FlowKey)> = Vec::new();
        while let Some(&(key, id)) = self.closing.front() {
            match self
                .flows
                .get(&key)
                .and_then(|&i| self.table.get(i))
                .filter(|f| f.conn.id == id)
            {
                Some(f)
                    if !(now - f.last_ns > CLOSED_LINGER_NS
                        || frames - f.closed_at_frame > CLOSED_LINGER_FRAMES) =>
                {
                    break;
                }
                Some(_) => done.push((id, key)),
                None => {}
            }
            self.closing.pop_front();
        }
        for list in [OTHER, PRIORITY] {
            done.extend(
                self.table
                    .iter_from_front(list)
                    .map_while(|i| {
                        self.table
                            .get(i)
                            .filter(|f| now - f.last_ns > IDLE_TIMEOUT_NS)
                    })
                    .map(|f| (f.conn.id, f.key())),
            );
        }
        done.sort_unstable_by_key(|(id, _)| *id);
        done.dedup();
        for (_, k) in done {
            if let Some(f) = self.remove_flow(&k) {
                self.finish_flow(*f);
            }
        }
        self.dns.expire(now);
    }

    fn finish_flow(&mut self, mut flow: Flow) {
        let mut dns_out = Vec::new();
        let t = flow.last_ns;
        release_held_acks(&mut flow, 0, &mut dns_out);
        release_held_acks(&mut flow, 1, &mut dns_out);
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
        self.dns_from_tcp(flow.key(), dns_out);
        let mut conn = finalize_connection(flow, &self.cfg, &self.licensing_addrs);
        apply_context(&mut conn, &self.cfg.context);
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
        self.flows.clear();
        let mut flows = self.table.drain();
        flows.sort_by_key(|f| f.conn.id);
        for f in flows {
            self.finish_flow(*f);
        }
        self.kept.sort_by_key(|c| c.id);
        let overload = self.overload_finding();
        let (mut dns, mut hidden_dns) = self.dns.finish();
        hidden_dns += judge_name_servers(&mut dns, &self.cfg, &self.revocation_hosts, self.last_ns);
        let mut findings = Vec::new();
        if let Some((frame, t)) = self.backwards_first {
            findings.push(
                Finding::new(
                    FindingCode::CaptureTimeBackwards,
                    Severity::Info,
                    Step::Capture,
                    format!("{} frame(s) have a timestamp earlier than the frame before", self.stats.time_went_backwards),
                )
                .explain("Switch exports (Embedded Packet Capture) are not guaranteed to be time-ordered. licpath keeps file order for sequencing and uses timestamps only for timings, so some intervals may look negative.")
                .evidence([Evidence::frame(frame, t, "first frame whose time goes backwards")]),
            );
        }
        if let Some((frame, t)) = self.truncated_first {
            findings.push(
                Finding::new(
                    FindingCode::CaptureTruncated,
                    Severity::Info,
                    Step::Capture,
                    format!("{} frame(s) were captured shorter than they were on the wire", self.stats.frames_truncated),
                )
                .explain("Those frames were cut by the capture's snap length; bytes past the cut are treated as a capture gap, not as a protocol error.")
                .fix(["monitor capture NAME limit packet-len 9500   ! capture whole frames"])
                .evidence([Evidence::frame(frame, t, "first truncated frame")]),
            );
        }
        findings.extend(overload);
        self.stats.flows_evicted = self.overload.flows_evicted;
        Timeline {
            schema_version: SCHEMA_VERSION,
            source,
            start_ns: self.first_ns,
            end_ns: self.last_ns,
            stats: self.stats,
            dns,
            static_hosts: Vec::new(),
            connections: self.kept,
            findings,
            hidden_connections: self.hidden_connections,
            overflow: OverflowSummary::default(),
            hidden_dns,
            switch_log: None,
            context: (!self.cfg.context.is_empty()).then(|| self.cfg.context.clone()),
        }
    }
}

impl Analyzer {
    /// `capture_overload`: what the budget of [`FlowLimits`] forced, if anything.
    fn overload_finding(&self) -> Option<Finding> {
        let o = &self.overload;
        if o.flows_evicted == 0 && o.holes_forced == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if o.flows_evicted > 0 {
            parts.push(format!(
                "{} flow(s) evicted under memory pressure ({}); verdicts for them are partial",
                o.flows_evicted,
                match o.licensing_evicted {
                    0 => "none of them licensing".to_string(),
                    n => format!("{n} of them licensing"),
                }
            ));
        }
        if o.holes_forced > 0 {
            parts.push(format!(
                "{} wait(s) for missing data cut short under memory pressure (the holes became gaps)",
                o.holes_forced
            ));
        }
        let summary = parts.join("; ");
        Some(
            Finding::new(FindingCode::CaptureOverload, Severity::Warning, Step::Capture, summary)
                .explain(format!(
                    "The capture holds more simultaneous flows or out-of-order data than licpath keeps in memory (at most {} live flows, {} MiB of flow state, {} MiB waiting behind holes). The least recently used flows were finished early, licensing flows last: an evicted flow is judged on what was seen before its eviction, and its later packets start a new flow without its beginning.",
                    self.limits.max_live_flows,
                    self.limits.max_flow_bytes >> 20,
                    self.limits.max_buffered_bytes >> 20
                ))
                .fix(["monitor capture NAME match ipv4 host <licensing, proxy or DNS address> any   ! capture only the licensing traffic"])
                .evidence(o.first.map(|(frame, t)| Evidence::frame(frame, t, "first eviction")))
                .evidence(o.licensing.iter().cloned()),
        )
    }
}

/// Whether an event shows licensing traffic (or a fetch of a revocation host): such
/// flows are evicted last. A cheap look at what a new event says, not the verdict.
fn event_is_licensing(cfg: &AnalyzeConfig, revocation_hosts: &HashSet<String>, e: &Event) -> bool {
    let named = |h: &str| {
        let h = h.trim_end_matches('.');
        cfg.names.iter().any(|n| n.eq_ignore_ascii_case(h))
            || revocation_hosts.contains(&h.to_ascii_lowercase())
    };
    match &e.kind {
        EventKind::TlsClientHello(ch) => ch.sni.as_deref().is_some_and(named),
        EventKind::HttpConnectRequest { target, .. } => named(app::host_of_target(target)),
        EventKind::HttpRequest { target, host, .. } => {
            LICENSING_PATHS.iter().any(|p| target.contains(p))
                || host
                    .as_deref()
                    .is_some_and(|h| named(app::host_of_target(h)))
                || app::url_host(target).is_some_and(|h| named(&h))
        }
        _ => false,
    }
}

fn event_heap_estimate(e: &Event) -> usize {
    match &e.kind {
        EventKind::TlsCertificate { certificates } => certificates.len() * CERT_HEAP_ESTIMATE,
        EventKind::TcpSyn { .. }
        | EventKind::TcpSynAck { .. }
        | EventKind::TcpEstablished { .. }
        | EventKind::TcpFin
        | EventKind::TcpRst
        | EventKind::TcpGap { .. }
        | EventKind::TcpLost { .. } => 0,
        _ => EVENT_HEAP_ESTIMATE,
    }
}

/// Delivers what waits behind the holes of both directions now, the holes as gaps: the
/// flow table's buffer budget ran out.
fn force_holes(flow: &mut Flow, frame: u64, t: i64, dns_out: &mut DnsOut) {
    release_held_acks(flow, 0, dns_out);
    release_held_acks(flow, 1, dns_out);
    let Flow {
        streams, app, conn, ..
    } = flow;
    for dir in [Direction::ToServer, Direction::ToClient] {
        streams[idx(dir)].flush(|d| deliver(app, conn, Some(frame), t, dir, d, dns_out));
    }
}

/// Declares the ACKs held for stream `s` (see `Flow::held_acks`): their gaps, and the
/// data that waited behind them, go where the ACKs were among the events.
fn release_held_acks(flow: &mut Flow, s: usize, dns_out: &mut DnsOut) {
    let held = std::mem::take(&mut flow.held_acks[s]);
    let dir = if s == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    };
    let Flow {
        streams, app, conn, ..
    } = flow;
    let mut shift = 0;
    for h in held {
        let before = conn.events.len();
        streams[s].acknowledged(h.ack, |d| {
            deliver(app, conn, Some(h.frame), h.time_ns, dir, d, dns_out)
        });
        let added = conn.events.len() - before;
        let at = (h.at_event + shift).min(before);
        if let Some(tail) = conn.events.get_mut(at..) {
            tail.rotate_right(added);
        }
        shift += added;
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
    // Grown by half, not doubled: most flows hold a handful of events, and a flood of
    // them should not pay for slots never used.
    if conn.events.len() == conn.events.capacity() {
        conn.events.reserve_exact((conn.events.len() / 2).max(2));
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
    // A packet of a stream, not older than the ACKs held for it: the acknowledged bytes
    // did not come first, they are missing.
    match flow.held_acks[idx(dir)].last() {
        Some(h) if t >= h.time_ns => release_held_acks(flow, idx(dir), dns_out),
        // Data sent before an ACK of it that came first in the file: merged directions.
        Some(_) if !seg.payload.is_empty() => flow.merged = true,
        _ => {}
    }
    let timed_out = count_segment(flow, t, dir, seg);
    let f = seg.flags;
    if f.syn && !f.ack && dir == Direction::ToServer {
        client_syn(flow, frame, t, dir, seg);
    } else if f.syn && f.ack && dir == Direction::ToClient {
        server_syn_ack(flow, frame, t, dir, seg);
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
            Some(frame),
            dir,
            EventKind::TcpEstablished { rtt_ns },
        );
    }
    adopt_uncaptured_server_side(flow, dir, seg);
    if !f.syn {
        hold_ack_of_uncaptured_bytes(flow, frame, t, dir, seg);
        reassemble(flow, frame, t, dir, seg, timed_out, dns_out);
    }
    if f.rst {
        reset(flow, frame, t, dir);
    } else if f.fin {
        finish(flow, frame, t, dir, seg);
    }
}

/// Counts the segment (packets, bytes, segments for the loss rate) and its sending time;
/// true when its sender had been quiet long enough for a retransmission timeout.
fn count_segment(flow: &mut Flow, t: i64, dir: Direction, seg: &TcpSegment<'_>) -> bool {
    flow.last_ns = flow.last_ns.max(t);
    flow.conn.packets += 1;
    flow.conn.end_ns = flow.conn.end_ns.max(t);
    match dir {
        Direction::ToServer => flow.conn.bytes_to_server += seg.payload.len() as u64,
        Direction::ToClient => flow.conn.bytes_to_client += seg.payload.len() as u64,
    }
    let f = seg.flags;
    if f.syn && f.ack && flow.path_rtt_ns.is_none() {
        flow.path_rtt_ns = flow.last_sent_ns[0].map(|syn| t - syn);
    }
    // Fast retransmits come about one round trip after the loss; a sender quiet for
    // longer than that (and the minimum RTO) before a retransmission waited for its timer.
    let rto_floor = MIN_RTO_NS.max(flow.path_rtt_ns.map_or(0, |r| r + r / 2));
    let timed_out = flow.last_sent_ns[idx(dir)].is_some_and(|l| t - l >= rto_floor);
    flow.last_sent_ns[idx(dir)] = Some(t);
    if !seg.payload.is_empty() || f.syn {
        match dir {
            Direction::ToServer => flow.conn.loss.segments_to_server += 1,
            Direction::ToClient => flow.conn.loss.segments_to_client += 1,
        }
    }
    timed_out
}

/// A SYN or SYN/ACK sent again: the first went unanswered for a whole retransmission
/// timeout.
fn count_handshake_retransmission(conn: &mut Connection, dir: Direction) {
    conn.retransmissions += 1;
    match dir {
        Direction::ToServer => conn.loss.retransmitted_to_server += 1,
        Direction::ToClient => conn.loss.retransmitted_to_client += 1,
    }
    conn.loss.timeouts += 1;
}

/// The client's SYN (first or retried): the client's sequence space starts here.
fn client_syn(flow: &mut Flow, frame: u64, t: i64, dir: Direction, seg: &TcpSegment<'_>) {
    let retransmission = flow.syn_ns.is_some();
    if retransmission {
        count_handshake_retransmission(&mut flow.conn, dir);
    }
    if flow.syn_ns.is_none()
        && let Some(synack) = flow.synack_ns
    {
        // The SYN/ACK answering this SYN came first in the file (a merged file).
        flow.merged = true;
        flow.conn.start_ns = flow.conn.start_ns.min(t);
        flow.conn.handshake_rtt_ns.get_or_insert(synack - t);
    }
    flow.syn_ns.get_or_insert(t);
    flow.syn_seq = Some(seg.seq);
    flow.streams[0].set_base(seg.seq.wrapping_add(1));
    push_event(
        &mut flow.conn,
        t,
        Some(frame),
        dir,
        EventKind::TcpSyn {
            mss: seg.mss,
            window: seg.window,
            retransmission,
        },
    );
}

/// The server's SYN/ACK (first or retried): the handshake's round trip, the server's
/// sequence space, and an established connection.
fn server_syn_ack(flow: &mut Flow, frame: u64, t: i64, dir: Direction, seg: &TcpSegment<'_>) {
    let retransmission = flow.synack_ns.is_some();
    if retransmission {
        count_handshake_retransmission(&mut flow.conn, dir);
    }
    flow.synack_ns.get_or_insert(t);
    flow.synack_ack.get_or_insert(seg.ack);
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
        Some(frame),
        dir,
        EventKind::TcpSynAck {
            mss: seg.mss,
            window: seg.window,
            retransmission,
        },
    );
}

/// The client acknowledges a SYN/ACK the capture lacks: the server's side was not
/// captured (an egress-only capture). Take the server's sequence space from the ACK, so
/// what the client acknowledges shows as capture gaps, not as silence.
fn adopt_uncaptured_server_side(flow: &mut Flow, dir: Direction, seg: &TcpSegment<'_>) {
    let f = seg.flags;
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
}

/// The peer's ACK tells what it received from us: anything acknowledged but not captured
/// in the other direction is a capture gap (declared when that direction's next packet
/// shows the bytes did not merely come later in the file). Held until then.
fn hold_ack_of_uncaptured_bytes(
    flow: &mut Flow,
    frame: u64,
    t: i64,
    dir: Direction,
    seg: &TcpSegment<'_>,
) {
    let peer = 1 - idx(dir);
    let f = seg.flags;
    if f.ack && !f.rst && flow.streams[peer].acked_beyond(seg.ack) {
        let held = &mut flow.held_acks[peer];
        let h = HeldAck {
            ack: seg.ack,
            frame,
            time_ns: t,
            at_event: flow.conn.events.len(),
        };
        if held.len() < MAX_HELD_ACKS {
            held.push(h);
        } else if let Some(last) = held.last_mut() {
            last.ack = seg.ack;
            last.time_ns = t;
        }
    }
}

/// The segment's bytes into its direction's reassembler, which hands in-order bytes to
/// the app decoder; counts the retransmitted segments it found, and declares the bytes
/// snaplen truncation cut off as a gap.
fn reassemble(
    flow: &mut Flow,
    frame: u64,
    t: i64,
    dir: Direction,
    seg: &TcpSegment<'_>,
    timed_out: bool,
    dns_out: &mut DnsOut,
) {
    let conn_frame = Some(frame);
    // Disjoint borrows: the reassembler hands in-order bytes straight to the app
    // decoder, with no copy on the common path.
    let Flow {
        streams, app, conn, ..
    } = flow;
    let stream = &mut streams[idx(dir)];
    let before = stream.retransmitted_segments;
    stream.segment(seg.seq, seg.payload, |d| {
        deliver(app, conn, conn_frame, t, dir, d, dns_out)
    });
    let after = stream.retransmitted_segments;
    conn.retransmissions += after - before;
    if after > before {
        match dir {
            Direction::ToServer => conn.loss.retransmitted_to_server += after - before,
            Direction::ToClient => conn.loss.retransmitted_to_client += after - before,
        }
        if timed_out {
            conn.loss.timeouts += 1;
        }
    }
    // Data lost to snaplen truncation is a gap of known size right after this segment.
    if seg.payload_missing > 0 && after == before {
        let end = seg
            .seq
            .wrapping_add(seg.payload.len() as u32)
            .wrapping_add(seg.payload_missing);
        stream.acknowledged(end, |d| deliver(app, conn, conn_frame, t, dir, d, dns_out));
    }
}

/// An RST: the connection is closed, refused when it answers an unanswered SYN.
fn reset(flow: &mut Flow, frame: u64, t: i64, dir: Direction) {
    flow.closed = true;
    flow.conn.state = match (dir, flow.synack_ns.is_some(), flow.conn.state) {
        // Each retried SYN answered by RST again is still a refusal.
        (Direction::ToClient, false, TcpState::SynUnanswered | TcpState::Refused) => {
            TcpState::Refused
        }
        (Direction::ToClient, _, _) => TcpState::ResetByServer,
        (Direction::ToServer, _, _) => TcpState::ResetByClient,
    };
    push_event(&mut flow.conn, t, Some(frame), dir, EventKind::TcpRst);
}

/// A FIN: its direction's stream ends after this segment's bytes; the first side to
/// close names the state.
fn finish(flow: &mut Flow, frame: u64, t: i64, dir: Direction, seg: &TcpSegment<'_>) {
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
    push_event(&mut flow.conn, t, Some(frame), dir, EventKind::TcpFin);
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

/// Exchanges with a configured name server: an address query the server failed (no
/// answer, SERVFAIL, REFUSED, ICMP unreachable) for a name that never resolved is the
/// switch's licensing DNS whatever it asked, since the switch asks that server for the
/// licensing names too; one it answered says nothing about licensing and is hidden
/// (unless kept anyway). Returns how many were hidden.
fn judge_name_servers(
    dns: &mut Vec<DnsExchange>,
    cfg: &AnalyzeConfig,
    revocation_hosts: &HashSet<String>,
    capture_end: Option<i64>,
) -> u64 {
    let ctx = &cfg.context;
    // Silence counts once the capture went on past the switch's wait for an answer; a
    // capture that ends right after the query shows nothing either way.
    let silent = |d: &DnsExchange| {
        capture_end.is_some_and(|end| end.saturating_sub(d.query_ns) >= NAME_SERVER_WAIT_NS)
    };
    if ctx.dns_servers.is_empty() {
        return 0;
    }
    // A name with an address answer was resolved, whatever its other queries got (an
    // AAAA refused next to an answered A): the rules judge names, not queries.
    let resolved: HashSet<String> = dns
        .iter()
        .filter(|d| {
            d.response.as_ref().is_some_and(|r| {
                r.answers
                    .iter()
                    .any(|a| matches!(a.data, DnsData::A(_) | DnsData::Aaaa(_)))
            })
        })
        .map(|d| d.name.to_ascii_lowercase())
        .collect();
    let before = dns.len();
    dns.retain_mut(|d| {
        if d.licensing || !ctx.is_switch(d.client.ip()) || !ctx.is_name_server(d.server.ip()) {
            return true;
        }
        let failed = !resolved.contains(&d.name.to_ascii_lowercase())
            && d.qtype.is_address()
            && (d.unreachable.is_some()
                || match &d.response {
                    Some(r) => matches!(r.rcode.as_str(), "SERVFAIL" | "REFUSED"),
                    // Asked again: the client itself waited in vain.
                    None => d.retries > 0 || silent(d),
                });
        d.licensing = failed;
        failed
            || cfg.all
            || revocation_hosts.contains(&d.name.trim_end_matches('.').to_ascii_lowercase())
    });
    (before - dns.len()) as u64
}

/// What the switch's context decides about a finished connection: one to the configured
/// proxy on which the client never sent a byte (refused, unanswered, unreachable, or
/// silent after the handshake) is licensing traffic: it never got as far as saying where
/// it was going, and the switch's proxy is there for licensing. Once the client sent
/// something (a CONNECT, a request) the names in it decide, as everywhere. One from
/// another source than the switch's addresses is not the switch's.
fn apply_context(conn: &mut Connection, ctx: &AnalysisContext) {
    if conn.configured_proxy && conn.bytes_to_server == 0 {
        conn.licensing = true;
    }
    if !ctx.is_switch(conn.client.ip()) {
        conn.licensing = false;
    }
}

/// Fills the summary fields of a finished connection from its events.
fn finalize_connection(
    mut flow: Flow,
    cfg: &AnalyzeConfig,
    licensing_addrs: &HashSet<IpAddr>,
) -> Connection {
    if flow.merged {
        // Each direction's events are in order; interleave them as they happened.
        flow.conn.events.sort_by_key(|e| e.time_ns);
    }
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
                t.client_max_version = Some(ch.max_version());
                reached = reached.max(Step::Tls);
            }
            EventKind::TlsServerHello(sh) if !sh.hello_retry_request => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.version = Some(sh.version);
                t.cipher = Some(sh.cipher.clone());
            }
            EventKind::TlsCertificate { certificates } if e.dir == Direction::ToClient => {
                let t = tls.get_or_insert_with(TlsSummary::default);
                if t.certificates.is_empty() {
                    t.certificates = certificates.clone();
                }
                reached = reached.max(Step::Cert);
            }
            EventKind::TlsAlert(a)
                if a.is_fatal() || a.description != TlsAlertDescription::CloseNotify =>
            {
                let t = tls.get_or_insert_with(TlsSummary::default);
                t.alert.get_or_insert_with(|| {
                    format!(
                        "{} {} from {}",
                        a.level_name(),
                        a.description_name(),
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
    let is_name = |n: &str| {
        cfg.names
            .iter()
            .any(|x| x.eq_ignore_ascii_case(n.trim_end_matches('.')))
    };
    // With neither DNS, SNI nor CONNECT captured (a capture that starts at the server's
    // answer), a licensing name the leaf certificate is issued for names the server.
    let name_from_leaf = || {
        let leaf = tls.as_ref()?.certificates.first()?;
        leaf.sans
            .iter()
            .chain(leaf.subject_cn.iter())
            .find(|n| is_name(n))
            .cloned()
    };
    conn.server_name = tls
        .as_ref()
        .and_then(|t| t.sni.clone())
        .or(name_from_target.clone())
        .or_else(|| conn.server_name.clone())
        .or_else(name_from_leaf);
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

#[cfg(test)]
pub(crate) mod tests {
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

    fn overload(t: &Timeline) -> &Finding {
        t.findings
            .iter()
            .find(|f| f.code == FindingCode::CaptureOverload)
            .expect("a capture_overload finding")
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
            named[1].starts_with(
                "connection #1 10.0.0.1:40000 -> 192.0.2.1:443 evicted after 4 packets"
            ),
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
        assert!(
            t.findings
                .iter()
                .all(|f| f.code != FindingCode::CaptureOverload)
        );
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
}
