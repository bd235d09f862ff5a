//! The flow table: live flows, their memory budget ([`FlowLimits`]) and their retirement
//! (linger, idle timeout, eviction of the least recently used).

use super::*;

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
pub(super) struct FlowKey {
    pub(super) client: SocketAddr,
    pub(super) server: SocketAddr,
}

pub(super) struct Flow {
    pub(super) conn: Connection,
    pub(super) streams: [Reassembler; 2],
    pub(super) app: AppState,
    pub(super) syn_ns: Option<i64>,
    pub(super) syn_seq: Option<u32>,
    /// What the first SYN/ACK acknowledged (the SYN's sequence number + 1).
    pub(super) synack_ack: Option<u32>,
    /// The SYN came after its SYN/ACK in the file: the directions were captured apart and
    /// merged one after the other. The events are put in time order at the end.
    pub(super) merged: bool,
    pub(super) synack_ns: Option<i64>,
    pub(super) established: bool,
    pub(super) closed: bool,
    /// The analyser's frame count when the flow closed.
    pub(super) closed_at_frame: u64,
    pub(super) last_ns: i64,
    /// When each direction last sent a segment (to tell a retransmission timeout).
    pub(super) last_sent_ns: [Option<i64>; 2],
    /// The last SYN to the SYN/ACK: the path's round trip, without the SYN's own
    /// retransmission timeouts (which `handshake_rtt_ns` includes).
    pub(super) path_rtt_ns: Option<i64>,
    /// Evicted last: its traffic is licensing (or a revocation fetch) as far as seen.
    pub(super) priority: bool,
    /// What this flow was last counted for in [`Analyzer::flow_bytes`].
    pub(super) cost: usize,
    /// Heap of its events beyond their slots (estimated, see [`EVENT_HEAP_ESTIMATE`]).
    pub(super) event_heap: usize,
    /// ACKs of bytes of each stream not captured (yet), held until that stream's next
    /// packet that is not older than the ACK: in a file merged direction after direction
    /// (or reordered by a tool) the acknowledged bytes come later in the file, and are
    /// data, not a capture gap. In a time-ordered capture the gap is declared exactly as
    /// if at the ACK (its frame, time and place among the events).
    pub(super) held_acks: [Vec<HeldAck>; 2],
}

/// An ACK beyond the bytes captured of the stream it acknowledges (see `Flow::held_acks`).
#[derive(Debug, Clone, Copy)]
pub(super) struct HeldAck {
    pub(super) ack: u32,
    pub(super) frame: u64,
    pub(super) time_ns: i64,
    /// Where its events go among the connection's events.
    pub(super) at_event: usize,
}

/// Held ACKs per stream at most; past it the latest one is raised instead.
pub(super) const MAX_HELD_ACKS: usize = 8;

impl Flow {
    pub(super) fn key(&self) -> FlowKey {
        FlowKey {
            client: self.conn.client,
            server: self.conn.server,
        }
    }

    pub(super) fn cost(&self) -> usize {
        FLOW_BASE_COST
            + self.conn.events.capacity() * std::mem::size_of::<Event>()
            + self.event_heap
            + self.buffered()
            + self.app.buffered_bytes()
    }

    pub(super) fn buffered(&self) -> usize {
        self.streams[0].buffered_cost() + self.streams[1].buffered_cost()
    }
}

pub(super) fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

impl Analyzer {
    /// A flow seen for the first time: counted, queued, and room made for it.
    pub(super) fn new_flow(&mut self, frame: u64, time_ns: i64, key: FlowKey, syn: bool) -> u32 {
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

    pub(super) fn flow_mut(&mut self, key: &FlowKey) -> Option<&mut Flow> {
        let slot = *self.flows.get(key)?;
        self.table.get_mut(slot).map(|b| &mut **b)
    }

    /// Takes a flow out of the table and of the budget.
    pub(super) fn remove_flow(&mut self, key: &FlowKey) -> Option<Box<Flow>> {
        let slot = self.flows.remove(key)?;
        let f = self.table.remove(slot)?;
        self.flow_bytes -= f.cost;
        self.buffered_bytes -= f.buffered();
        Some(f)
    }

    /// Evicts least recently used flows, non-licensing ones first, until the live flows
    /// fit [`FlowLimits`] again. `spare` (the flow of the packet in hand, maybe not yet
    /// recognisable as licensing) goes only if nothing else is left.
    pub(super) fn relieve_pressure(&mut self, now: i64, spare: u32) {
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
    pub(super) fn least_recently_used(&self, spare: u32) -> Option<FlowKey> {
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

    /// Retires closed flows past their linger and flows idle past [`IDLE_TIMEOUT_NS`],
    /// looking only at the fronts of the queues.
    pub(super) fn sweep(&mut self, now: i64) {
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
                    if !(now - f.last_ns > self.retirement.closed_linger_ns
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
                            .filter(|f| now - f.last_ns > self.retirement.idle_timeout_ns)
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
        self.dns.expire(now, self.retirement.query_timeout_ns);
    }

    pub(super) fn finish_flow(&mut self, mut flow: Flow) {
        let mut dns_out = Vec::new();
        let t = flow.last_ns;
        release_held_acks(&mut flow, 0, &mut dns_out);
        release_held_acks(&mut flow, 1, &mut dns_out);
        let Flow {
            streams, app, conn, ..
        } = &mut flow;
        // Holes left at the end were never acknowledged by the receiver: lost on the
        // network, not by the capture (an acknowledged hole is a TcpGap, found earlier).
        // The first such hole is cited on the frames that show it: the segment past it and
        // the receiver's duplicate ACK (what tshark's expert info points at).
        for dir in [Direction::ToServer, Direction::ToClient] {
            let mut shown = std::mem::take(&mut streams[idx(dir)].hole_frames);
            streams[idx(dir)].flush(|d| match d {
                Delivery::Gap(n) => {
                    let (frame, at) = shown.after.map_or((None, t), |(f, at)| (Some(f), at));
                    let kind = EventKind::TcpLost {
                        missing_bytes: n,
                        dup_ack: shown.dup_ack,
                    };
                    shown = Default::default();
                    insert_event(conn, at, frame, dir, kind);
                    app.gap(dir, n);
                }
                d => deliver(app, conn, None, t, dir, d, &mut dns_out),
            });
        }
        self.dns_from_tcp(flow.key(), dns_out);
        let mut conn = finalize_connection(flow, &self.cfg, &self.licensing_addrs);
        apply_context(&mut conn, &self.cfg.context);
        let revocation = !self.revocation_hosts.is_empty()
            && named_host(&conn).is_some_and(|h| self.revocation_hosts.contains(&h));
        if conn.licensing || revocation || self.cfg.all {
            if let Some(sink) = self.stream.as_mut() {
                sink(Retired::Connection(conn));
            } else if self.kept.len() < MAX_SHOWN_CONNECTIONS
                && conn.events.len() < self.kept_events_left
            {
                self.kept_events_left -= conn.events.len();
                crate::model::long_strings::bound_connection(
                    &mut conn,
                    &mut self.kept_strings_left,
                    crate::model::long_strings::KEPT_LONG_STRINGS,
                );
                self.kept.push(conn);
            } else {
                // Once one did not fit, none is kept after it: the kept ones stay the first.
                self.kept_events_left = 0;
                self.hidden_connections += 1;
                if let Some(sink) = self.overflow.as_mut() {
                    sink(conn);
                }
            }
        } else {
            self.hidden_connections += 1;
        }
    }
}

pub(super) fn event_heap_estimate(e: &Event) -> usize {
    match &e.kind {
        EventKind::TlsCertificate { certificates } => {
            crate::model::long_strings::heap_bytes(&e.kind, certificates.len() * CERT_HEAP_ESTIMATE)
        }
        EventKind::TcpSyn { .. }
        | EventKind::TcpSynAck { .. }
        | EventKind::TcpEstablished { .. }
        | EventKind::TcpFin
        | EventKind::TcpRst
        | EventKind::TcpGap { .. }
        | EventKind::TcpLost { .. } => 0,
        // The strings an event holds: a 16 KB SNI is not a 96-byte event.
        k => crate::model::long_strings::heap_bytes(k, EVENT_HEAP_ESTIMATE),
    }
}

/// Delivers what waits behind the holes of both directions now, the holes as gaps: the
/// flow table's buffer budget ran out.
pub(super) fn force_holes(flow: &mut Flow, frame: u64, t: i64, dns_out: &mut DnsOut) {
    release_held_acks(flow, 0, dns_out);
    release_held_acks(flow, 1, dns_out);
    let Flow {
        streams, app, conn, ..
    } = flow;
    for dir in [Direction::ToServer, Direction::ToClient] {
        streams[idx(dir)].flush(|d| deliver(app, conn, Some(frame), t, dir, d, dns_out));
    }
}
