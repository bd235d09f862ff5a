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
mod dedup;
pub mod dns;
pub(crate) mod event;
mod lru;
pub mod reassembly;
mod reorder;
pub mod summary;
pub mod table;
mod tcp;

use crate::diagnose::dns::{NameServerFacts, judge_name_servers};
use crate::model::context::AnalysisContext;
use crate::model::*;
use crate::wire::link::{IcmpUnreachable, Packet, TcpSegment, Transport, decode_frame};
use app::AppState;
use event::{DnsOut, insert_event, push_event};
use lru::Lru;
use reassembly::{Delivery, Reassembler};
use reorder::Release;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use summary::{apply_context, event_is_licensing, finalize_connection};
use table::{
    Flow, FlowKey, FlowLimits, HeldAck, MAX_HELD_ACKS, event_heap_estimate, force_holes, idx,
};
use tcp::{deliver, release_held_acks};

/// Events kept per connection; a long transfer folds into few events, this bounds the rest.
pub const MAX_EVENTS_PER_CONNECTION: usize = 512;
/// Connections kept whole for display. Further relevant ones go to the overflow sink
/// (the caller diagnoses and counts them), so memory stays flat whatever the file size.
pub const MAX_SHOWN_CONNECTIONS: usize = 1_000;
/// Events the kept connections hold in all: 1,000 connections of 512 events each would be
/// ~60 MB (a pasted text repeated over and over continues the same few connections, issue
/// 23). Past it, relevant connections go to the overflow sink as past
/// [`MAX_SHOWN_CONNECTIONS`].
pub const MAX_KEPT_EVENTS: usize = 1 << 16;
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

/// When finished flows and queries leave the tracker (capture time). A file's analysis
/// keeps the defaults; `watch` judges each attempt as it completes and shortens them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retirement {
    /// A closed flow lingers this long to absorb late retransmissions.
    pub closed_linger_ns: i64,
    /// A flow with no packet for this long is finished.
    pub idle_timeout_ns: i64,
    /// A query unanswered for this long is final.
    pub query_timeout_ns: i64,
    /// Streaming: a connection whose packets still come this long after its first is
    /// judged as it stands when the next one comes, and that packet starts a new one (a
    /// SYN resent for minutes, a replayed capture: it would never go idle, and never be
    /// judged). `None`: a connection lasts as long as its packets.
    pub max_attempt_ns: Option<i64>,
}

impl Default for Retirement {
    fn default() -> Self {
        Retirement {
            closed_linger_ns: CLOSED_LINGER_NS,
            idle_timeout_ns: IDLE_TIMEOUT_NS,
            query_timeout_ns: dns::QUERY_TIMEOUT_NS,
            max_attempt_ns: None,
        }
    }
}

/// What leaves the tracker in streaming mode ([`Analyzer::set_stream_sink`]): a finished
/// connection worth reporting, or a DNS exchange answered or given up on.
#[derive(Debug)]
pub enum Retired {
    Connection(Connection),
    Dns(DnsExchange),
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
    /// What the budget forced so far (its limits are filled in at the end).
    overload: OverloadFacts,
    kept: Vec<Connection>,
    /// Bytes of long strings the kept connections may still hold whole
    /// ([`crate::model::long_strings`]).
    kept_strings_left: usize,
    /// Events the kept connections may still hold ([`MAX_KEPT_EVENTS`]).
    kept_events_left: usize,
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
    hidden_connections: u64,
    overflow: Option<Box<dyn FnMut(Connection)>>,
    retirement: Retirement,
    /// Streaming mode: every finished connection and DNS exchange worth reporting goes
    /// here at once, none is kept for the timeline.
    stream: Option<Box<dyn FnMut(Retired)>>,
    /// Frames waiting to be analysed in time order (streaming: at most a second of the
    /// capture's clock, so that a live capture's results do not wait for a window to fill).
    /// `None`: frames are analysed as they come.
    reorder: Option<reorder::Reorder>,
    /// The latest time of a frame analysed (let go by `reorder`): the clock of retirement.
    analysed_ns: Option<i64>,
    /// Certificates a text states for a frame's Certificate messages (read from a detailed
    /// dissection's fields: the frame rebuilt from the text carries the message empty), by
    /// frame number, oldest first; consulted where the message's event is made
    /// ([`Analyzer::stated_certificates`]).
    stated_chains: VecDeque<(u64, VecDeque<Vec<CertInfo>>)>,
}

/// Frames whose stated certificates wait for their frame to be analysed (the time-order
/// window holds a few): past this the oldest are dropped.
const MAX_STATED_FRAMES: usize = 256;

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
            overload: OverloadFacts::default(),
            kept: Vec::new(),
            kept_strings_left: crate::model::long_strings::KEPT_LONG_STRINGS,
            kept_events_left: MAX_KEPT_EVENTS,
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
            hidden_connections: 0,
            overflow: None,
            retirement: Retirement::default(),
            stream: None,
            reorder: Some(reorder::Reorder::default()),
            analysed_ns: None,
            stated_chains: VecDeque::new(),
        }
    }

    /// Replaces the default [`Retirement`] times.
    pub fn set_retirement(&mut self, r: Retirement) {
        self.retirement = r;
    }

    /// Streaming mode (`watch`): each connection that would be shown goes to `sink` when
    /// its flow retires (closed and lingered, idle, or evicted), and each kept DNS exchange
    /// when answered or timed out (name-server failures judged as in [`Analyzer::finish`]).
    /// Nothing is kept: memory stays that of the live flows (and of the DNS answers and
    /// ICMP unreachables of the last query timeout: [`dns::DnsTracker::expire`]).
    pub fn set_stream_sink(&mut self, sink: impl FnMut(Retired) + 'static) {
        self.stream = Some(Box::new(sink));
        self.reorder = Some(reorder::Reorder::streaming());
        self.dns.set_streaming();
    }

    /// The capture's clock moved to `now_ns` with no frame (a quiet link): retires what
    /// has waited long enough, as a frame at that time would.
    pub fn advance(&mut self, now_ns: i64) {
        if let Some(r) = self.reorder.as_mut() {
            r.clock(now_ns);
        }
        self.release(Release::Due);
        // Retire only up to the earliest frame still waiting in the window: a closed
        // connection's late packet may be one of them, and retired first it would start
        // a connection of its own (as the frame path sweeps at the analysed clock).
        let clock = self
            .reorder
            .as_ref()
            .and_then(reorder::Reorder::oldest_held_ns)
            .map_or(now_ns, |t| t.min(now_ns));
        self.sweep(clock);
        self.stream_dns();
    }

    /// Streaming mode: the DNS exchanges finished since the last call go to the sink.
    fn stream_dns(&mut self) {
        if self.stream.is_none() {
            return;
        }
        let mut done = self.dns.take_done();
        if done.is_empty() {
            return;
        }
        judge_name_servers(&mut done, &self.name_server_facts());
        if let Some(sink) = self.stream.as_mut() {
            for d in done {
                sink(Retired::Dns(d));
            }
        }
    }

    /// What the tracker knows for [`judge_name_servers`] to decide which exchanges with a
    /// configured name server are the switch's licensing DNS.
    fn name_server_facts(&self) -> NameServerFacts<'_> {
        NameServerFacts {
            context: &self.cfg.context,
            keep_all: self.cfg.all,
            revocation_hosts: &self.revocation_hosts,
            capture_end: self.last_ns,
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

    /// The chains frame `frame` carries, one a Certificate message in order, as a text
    /// states them (a detailed dissection's fields; the frame itself, rebuilt from the
    /// text, carries each message empty): given before the frame. The message's event
    /// takes its chain when the frame is analysed; no bytes are made up for them.
    pub fn stated_certificates(&mut self, frame: u64, chains: Vec<Vec<CertInfo>>) {
        if chains.is_empty() {
            return;
        }
        if self.stated_chains.len() >= MAX_STATED_FRAMES {
            self.stated_chains.pop_front();
        }
        self.stated_chains.push_back((frame, chains.into()));
    }

    /// Fills the empty Certificate events among `events` with the chains stated for their
    /// frames ([`Analyzer::stated_certificates`]).
    fn fill_stated(stated: &mut VecDeque<(u64, VecDeque<Vec<CertInfo>>)>, events: &mut [Event]) {
        if stated.is_empty() {
            return;
        }
        for e in events {
            let (Some(frame), EventKind::TlsCertificate { certificates }) = (e.frame, &mut e.kind)
            else {
                continue;
            };
            if !certificates.is_empty() {
                continue;
            }
            let Some(i) = stated.iter().position(|(f, _)| *f == frame) else {
                continue;
            };
            if let Some(chain) = stated[i].1.pop_front() {
                *certificates = chain;
            }
            if stated[i].1.is_empty() {
                stated.remove(i);
            }
        }
    }

    /// One captured frame. `frame` is 1-based; `orig_len` the length on the wire.
    pub fn frame(&mut self, frame: u64, time_ns: i64, linktype: u32, data: &[u8], orig_len: u32) {
        self.stats.frames += 1;
        self.stats.bytes += data.len() as u64;
        if (data.len() as u64) < u64::from(orig_len) {
            self.stats.frames_truncated += 1;
            self.stats
                .reading
                .truncated_first
                .get_or_insert((frame, time_ns));
        }
        if let Some(last) = self.last_ns
            && time_ns < last
        {
            self.stats.time_went_backwards += 1;
            self.stats
                .reading
                .backwards_first
                .get_or_insert((frame, time_ns));
        }
        self.first_ns = Some(self.first_ns.map_or(time_ns, |f| f.min(time_ns)));
        self.last_ns = Some(self.last_ns.map_or(time_ns, |l| l.max(time_ns)));
        match self.reorder.as_mut() {
            Some(r) => {
                r.push(frame, time_ns, linktype, data);
                self.release(Release::Due);
            }
            None => self.analyse_frame(frame, time_ns, linktype, data),
        }
        if self.stats.frames.is_multiple_of(SWEEP_EVERY_PACKETS) {
            self.sweep(self.analysed_ns.unwrap_or(time_ns));
        }
    }

    /// The capture time up to which every frame has been analysed, when streaming: what
    /// a consumer's own clock (watch's grouping of lookups) must follow, since a frame
    /// waits up to a second in the time-order window. `now_ns` otherwise.
    pub fn settled_ns(&self, now_ns: i64) -> i64 {
        self.reorder
            .as_ref()
            .and_then(reorder::Reorder::settled_ns)
            .map_or(now_ns, |s| s.min(now_ns))
    }

    /// Analyses the frames the time-order window lets go (all of them: [`Release::All`]).
    fn release(&mut self, release: Release) {
        self.release_each(release, &mut || {});
    }

    /// [`Analyzer::release`], calling `each` after each frame analysed.
    fn release_each(&mut self, release: Release, each: &mut dyn FnMut()) {
        while let Some(h) = self.reorder.as_mut().and_then(|r| r.pop(release)) {
            self.analyse_frame(h.frame, h.time_ns, h.linktype, &h.data);
            if let Some(r) = self.reorder.as_mut() {
                r.recycle(h.data);
            }
            each();
        }
    }

    fn analyse_frame(&mut self, frame: u64, time_ns: i64, linktype: u32, data: &[u8]) {
        self.analysed_ns = Some(self.analysed_ns.map_or(time_ns, |t| t.max(time_ns)));
        match decode_frame(linktype, data) {
            Ok(p) => self.packet(frame, time_ns, &p),
            Err(_) => self.stats.frames_undecoded += 1,
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
        // Kept for now; only a failure of the server itself stays (`judge_name_servers`).
        let to_name_server = from_switch && ctx.is_name_server(server.ip());
        let interest = if licensing {
            dns::Interest::Licensing
        } else if to_name_server
            || self.cfg.all
            || self
                .revocation_hosts
                .contains(&m.qname.trim_end_matches('.').to_ascii_lowercase())
        {
            dns::Interest::Kept
        } else {
            dns::Interest::Hidden
        };
        self.dns
            .message(frame, time_ns, src, dst, &m, transport, interest);
        self.stream_dns();
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

    /// Ends the analysis: flushes live flows and unanswered queries.
    pub fn finish(self, source: Source) -> Timeline {
        self.finish_with(source, || {})
    }

    /// [`Analyzer::finish`], calling `between` after each step that may retire something
    /// (each frame the time-order window lets go, each live flow finished): a streaming
    /// sink's consumer takes each connection as it is retired, instead of every
    /// connection still open at the end being held at once (`watch`, issue 28 item 9).
    pub fn finish_with(mut self, source: Source, mut between: impl FnMut()) -> Timeline {
        self.release_each(Release::All, &mut between);
        self.flows.clear();
        let mut flows = self.table.drain();
        flows.sort_by_key(|f| f.conn.id);
        for f in flows {
            self.finish_flow(*f);
            between();
        }
        self.kept.sort_by_key(|c| c.id);
        self.stats.reading.overload = self.overload_facts();
        let (mut dns, mut hidden_dns) = std::mem::take(&mut self.dns).finish();
        hidden_dns += judge_name_servers(&mut dns, &self.name_server_facts());
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
            findings: Vec::new(),
            hidden_connections: self.hidden_connections,
            overflow: OverflowSummary::default(),
            hidden_dns,
            switch_log: None,
            context: (!self.cfg.context.is_empty()).then(|| self.cfg.context.clone()),
            vantage: None,
            proof: None,
        }
    }
}

/// What an analyzer holds at one moment, counted: what a long `watch` must keep bounded
/// (tests hold each count to its bound).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldCounts {
    pub live_flows: usize,
    /// The live flows' estimated bytes (the budget's measure) and their events.
    pub flow_bytes: usize,
    pub flow_events: usize,
    pub closing: usize,
    pub dns_pending: usize,
    pub dns_early_answers: usize,
    pub dns_unreachable: usize,
    pub named_addrs: usize,
    pub reorder_frames: usize,
}

impl Analyzer {
    /// What is held now ([`HeldCounts`]).
    pub fn held(&self) -> HeldCounts {
        let (dns_pending, dns_early_answers, dns_unreachable) = self.dns.held();
        let flow_events = self
            .flows
            .values()
            .filter_map(|&i| self.table.get(i))
            .map(|f| f.conn.events.len())
            .sum();
        HeldCounts {
            live_flows: self.flows.len(),
            flow_bytes: self.flow_bytes,
            flow_events,
            closing: self.closing.len(),
            dns_pending,
            dns_early_answers,
            dns_unreachable,
            named_addrs: self.name_by_addr.len()
                + self.licensing_addrs.len()
                + self.proxy_addrs.len(),
            reorder_frames: self
                .reorder
                .as_ref()
                .map_or(0, reorder::Reorder::held_frames),
        }
    }
}

impl Analyzer {
    /// The latest time of a frame given to [`Analyzer::frame`]: the capture's end so far.
    pub fn last_ns(&self) -> Option<i64> {
        self.last_ns
    }

    /// What the budget of [`FlowLimits`] forced, if anything (`capture_overload`).
    fn overload_facts(&self) -> Option<OverloadFacts> {
        let o = &self.overload;
        (o.flows_evicted > 0 || o.holes_forced > 0).then(|| OverloadFacts {
            max_live_flows: self.limits.max_live_flows,
            max_flow_bytes: self.limits.max_flow_bytes,
            max_buffered_bytes: self.limits.max_buffered_bytes,
            ..o.clone()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
