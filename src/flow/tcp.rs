//! The TCP segment machine: handshake, reassembly, held ACKs, RST and FIN.

use super::*;

impl Analyzer {
    pub(super) fn tcp(
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
        // Streaming: a connection lasting past `max_attempt_ns` is judged as it stands;
        // this packet starts the next one.
        if let Some(max) = self.retirement.max_attempt_ns {
            for k in [fwd, rev] {
                if self
                    .flows
                    .get(&k)
                    .and_then(|&i| self.table.get(i))
                    .is_some_and(|old| time_ns.saturating_sub(old.conn.start_ns) > max)
                    && let Some(f) = self.remove_flow(&k)
                {
                    self.finish_flow(*f);
                }
            }
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
        let new_events = flow
            .conn
            .events
            .get_mut(events_before..)
            .unwrap_or_default();
        Self::fill_stated(&mut self.stated_chains, new_events);
        let new_events = &flow.conn.events[events_before..];
        for host in revocation_hosts_of(new_events) {
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
}

/// Declares the ACKs held for stream `s` (see `Flow::held_acks`): their gaps, and the
/// data that waited behind them, go where the ACKs were among the events.
pub(super) fn release_held_acks(flow: &mut Flow, s: usize, dns_out: &mut DnsOut) {
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

pub(super) fn is_server_port(p: u16) -> bool {
    SERVER_PORTS.contains(&p)
}

pub(super) fn flow_segment(
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
        if f.ack && !f.rst {
            let stream = &mut flow.streams[1 - idx(dir)];
            if stream.peer_acked(seg.ack) {
                let sack = seg
                    .sack
                    .and_then(|(l, r)| Some((stream.relative(l)?, stream.relative(r)?)));
                stream.hole_frames.dup_ack.get_or_insert(DupAck {
                    frame,
                    time_ns: t,
                    sack,
                });
            }
        }
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
pub(super) fn count_segment(flow: &mut Flow, t: i64, dir: Direction, seg: &TcpSegment<'_>) -> bool {
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
pub(super) fn count_handshake_retransmission(conn: &mut Connection, dir: Direction) {
    conn.retransmissions += 1;
    match dir {
        Direction::ToServer => conn.loss.retransmitted_to_server += 1,
        Direction::ToClient => conn.loss.retransmitted_to_client += 1,
    }
    conn.loss.timeouts += 1;
}

/// The client's SYN (first or retried): the client's sequence space starts here.
pub(super) fn client_syn(
    flow: &mut Flow,
    frame: u64,
    t: i64,
    dir: Direction,
    seg: &TcpSegment<'_>,
) {
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
pub(super) fn server_syn_ack(
    flow: &mut Flow,
    frame: u64,
    t: i64,
    dir: Direction,
    seg: &TcpSegment<'_>,
) {
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
pub(super) fn adopt_uncaptured_server_side(flow: &mut Flow, dir: Direction, seg: &TcpSegment<'_>) {
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
pub(super) fn hold_ack_of_uncaptured_bytes(
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
pub(super) fn reassemble(
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
    if stream.waiting() {
        // The first segment past a hole: what shows the hole (tshark's "previous segment
        // not captured"), cited if the hole is never filled.
        stream.hole_frames.after.get_or_insert((frame, t));
    }
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
pub(super) fn reset(flow: &mut Flow, frame: u64, t: i64, dir: Direction) {
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
pub(super) fn finish(flow: &mut Flow, frame: u64, t: i64, dir: Direction, seg: &TcpSegment<'_>) {
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

pub(super) fn deliver(
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
