//! Frames rebuilt from the facts a text states (raw IP, no Ethernet), so that the one
//! analyser and the one rule set judge them. Only what the text states goes in:
//!
//! - TCP: the flags, window, MSS; sequence and acknowledgement numbers are kept
//!   consistent per connection by the builder (a summary's relative numbers are not the
//!   wire's; a retransmission re-sends the previous segment's sequence number);
//! - the application bytes the Info column names: a CONNECT or request line, a status
//!   line (no headers: the summary shows none), TLS handshake messages by name (the
//!   ClientHello with its SNI; TLS 1.3 by the protocol column), plaintext alerts with their
//!   description, encrypted records, DNS queries and answers with their rcode;
//! - nothing else: a segment whose bytes the text does not describe carries none, and a
//!   Certificate message is empty (its DER is not in the text: the certificates a
//!   dissection's fields state go beside the frame, see [`super::certs`]); an ICMP error
//!   quotes the header a dissection shows (addresses, ports), nothing from a summary
//!   (which connection it answers is not stated there).

use super::facts::{App, Facts, Icmp, Tls};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

/// Per endpoint: the next sequence number it sends, and the previous segment's.
#[derive(Clone)]
struct Side {
    next: u32,
    last: u32,
    /// The previous segment's data bytes (0: no data to re-send).
    last_used: u32,
    /// It sent its ChangeCipherSpec (or a TLS 1.3 ServerHello): its records are encrypted.
    encrypted: bool,
    /// The sequence number a dissection states for the endpoint's next new byte (its
    /// last new segment's `Sequence Number` + `Len`); `None` without one.
    stated_next: Option<u32>,
    /// The HTTP head it sent last: tshark names a head on the segment that carries it and
    /// again on the reassembled message; the second is not sent twice.
    head: Option<String>,
    /// The dissection's numbers show bytes of its stream before the next that the
    /// capture does not hold (a hole), and no message was named since.
    after_hole: bool,
    /// Stated sequence numbers (segment starts and ends) and where they were put.
    marks: VecDeque<(u32, u32)>,
    /// Every segment it sent so far was rebuilt with as many bytes as the text states
    /// (`Len`), so its stated numbers and the rebuilt ones differ by a constant: a
    /// segment numbered past the next can then be placed there (a rebuilt message
    /// shorter than its segment would make a hole of bytes that were captured).
    exact: bool,
}

/// Stated sequence numbers kept per endpoint, for acknowledgements and SACK edges.
const MAX_MARKS: usize = 32;

/// TCP endpoints seen so far (bounded: the oldest half is dropped past the cap).
#[derive(Default)]
pub struct Builder {
    sides: HashMap<(SocketAddr, SocketAddr), Side>,
    /// The ports of the latest TCP segment between two addresses: a summary line of HTTP
    /// or TLS states no ports (tshark's Info shows them only for bare TCP), so it belongs
    /// to the connection those two hosts last used.
    ports: HashMap<(IpAddr, IpAddr), (u16, u16)>,
    /// DNS questions seen, by (client, id).
    dns_asked: std::collections::HashSet<(IpAddr, u16)>,
    ip_id: u16,
    /// The last frame's bytes the text stated but did not describe: (from, to, bytes).
    pub unstated: Option<(SocketAddr, SocketAddr, u32)>,
}

const MAX_SIDES: usize = 1 << 16;

impl Builder {
    /// The frame for `f`, or `None` when the text names no IP addresses (MAC-only lines
    /// give an empty Ethernet frame instead, counted but not decoded).
    /// The frames for `f`: usually one; a DNS answer whose question the text does not
    /// show (tshark names one of two queries sent in one segment) is preceded by that
    /// question, which the answer itself states. Empty when the text names no IP
    /// addresses.
    pub fn build(&mut self, f: &Facts) -> Vec<Vec<u8>> {
        self.unstated = None;
        let dns = match &f.app {
            Some(App::DnsQuery { id, .. }) => Some((*id, true)),
            Some(App::DnsResponse { id, .. }) => Some((*id, false)),
            _ => None,
        };
        let (Some((id, query)), Some(src), Some(dst)) = (dns, f.src, f.dst) else {
            return self.build_one(f).into_iter().collect();
        };
        // DNS over a TCP connection the text shows between the same hosts (tshark's
        // summary names DNS, not the transport).
        let over_tcp = f.tcp.is_none()
            && self
                .ports
                .get(&(src, dst))
                .is_some_and(|&(a, b)| a == 53 || b == 53);
        let owned;
        let f = if over_tcp {
            let mut g = f.clone();
            g.tcp = Some(super::facts::Tcp {
                flags: super::facts::Flags {
                    ack: true,
                    psh: true,
                    ..Default::default()
                },
                ..Default::default()
            });
            g.udp = false;
            owned = g;
            &owned
        } else {
            f
        };
        let client = if query { src } else { dst };
        let mut out = Vec::new();
        if query {
            if self.dns_asked.len() > MAX_SIDES {
                self.dns_asked.clear();
            }
            self.dns_asked.insert((client, id));
            for m in &f.more {
                if let App::DnsQuery { id, .. } = m {
                    self.dns_asked.insert((client, *id));
                }
            }
        } else if !self.dns_asked.contains(&(client, id))
            && let Some(App::DnsResponse { name, qtype, .. }) = &f.app
        {
            let mut q = f.clone();
            q.src = f.dst;
            q.dst = f.src;
            (q.sport, q.dport) = (f.dport, f.sport);
            q.app = Some(App::DnsQuery {
                id,
                name: name.clone(),
                qtype: *qtype,
            });
            self.dns_asked.insert((client, id));
            out.extend(self.build_one(&q));
        }
        out.extend(self.build_one(f));
        out
    }

    fn build_one(&mut self, f: &Facts) -> Option<Vec<u8>> {
        self.ip_id = self.ip_id.wrapping_add(1);
        let (Some(src), Some(dst)) = (f.src, f.dst) else {
            return None;
        };
        if src.is_ipv4() != dst.is_ipv4() {
            return None;
        }
        let (mut sport, mut dport) = (f.sport, f.dport);
        if f.tcp.is_some() {
            match (sport, dport) {
                (Some(a), Some(b)) => {
                    if self.ports.len() > MAX_SIDES {
                        self.ports.clear();
                    }
                    self.ports.insert((src, dst), (a, b));
                    self.ports.insert((dst, src), (b, a));
                }
                _ => {
                    if let Some(&(a, b)) = self.ports.get(&(src, dst)) {
                        sport = sport.or(Some(a));
                        dport = dport.or(Some(b));
                    }
                }
            }
        }
        let (proto, l4) = if let Some(i) = &f.icmp {
            (if i.v6 { 58 } else { 1 }, icmp(i))
        } else if let Some(t) = &f.tcp
            && let (Some(sp), Some(dp)) = (sport, dport)
        {
            (
                6,
                self.tcp(f, t, SocketAddr::new(src, sp), SocketAddr::new(dst, dp)),
            )
        } else if let (Some(sp), Some(dp)) = (f.sport.or(dns_port(f)), f.dport.or(dns_port(f))) {
            (17, udp(sp, dp, &app_bytes(f, false)))
        } else if f.udp || matches!(f.app, Some(App::DnsQuery { .. } | App::DnsResponse { .. })) {
            // DNS without ports (a summary line): the well-known port by direction.
            let query = matches!(f.app, Some(App::DnsQuery { .. }));
            let (sp, dp) = if query { (53000, 53) } else { (53, 53000) };
            (17, udp(sp, dp, &app_bytes(f, false)))
        } else {
            (255, Vec::new())
        };
        Some(ip(src, dst, proto, self.ip_id, &l4))
    }

    fn tcp(
        &mut self,
        f: &Facts,
        t: &super::facts::Tcp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Vec<u8> {
        if self.sides.len() > MAX_SIDES {
            self.sides.clear();
        }
        let mut payload = app_bytes(f, true);
        // A peer not seen yet is acknowledged at its relative 1 (see [`isn`]); a stated
        // acknowledgement or SACK edge goes where the builder put that number.
        let peer = self.sides.get(&(dst, src));
        let peer_next = peer.map_or(isn(&dst).wrapping_add(1), |p| p.next);
        let ack_stated = t.ack.and_then(|a| peer?.rebuilt(a));
        let sack: Vec<(u32, u32)> = t
            .sack
            .iter()
            .filter_map(|&(l, r)| Some((peer?.rebuilt(l)?, peer?.rebuilt(r)?)))
            .collect();
        let fl = t.flags;
        let side = self
            .sides
            .entry((src, dst))
            .or_insert_with(|| Side::new(&src, t));
        if fl.syn && !t.retransmission {
            // A new connection (tshark's "port numbers reused", a capture pasted twice):
            // nothing of the last one's stream carries over (its numbers, holes,
            // encryption, HTTP head).
            *side = Side::new(&src, t);
            side.next = isn(&src);
        }
        let (seq, retransmission) = side.place(t);
        side.note_messages(f, t, &mut payload);
        let unstated = side.fill(f, t, retransmission, &mut payload);
        // The segment's data bytes (sent or left out), and its sequence space.
        let carried = payload.len() as u32 + unstated;
        let used = carried + u32::from(fl.syn) + u32::from(fl.fin);
        if unstated > 0 && !retransmission {
            self.unstated = Some((src, dst, unstated));
        } else if f.app.is_some() && !retransmission {
            side.after_hole = false;
        }
        if !retransmission {
            let len = t.len.or(t.described_later).unwrap_or(0);
            side.exact &= carried == len;
            side.stated_next = t
                .seq
                .map(|s| s.wrapping_add(len + u32::from(fl.syn) + u32::from(fl.fin)));
            if let (Some(s), Some(end)) = (t.seq, side.stated_next) {
                side.mark(s, seq);
                side.mark(end, seq.wrapping_add(used));
            }
            side.last = seq;
            side.last_used = carried;
            side.next = seq.wrapping_add(used);
        }
        let acks = fl.ack || (!payload.is_empty() && !fl.syn);
        let ack = if acks {
            ack_stated.unwrap_or(peer_next)
        } else {
            0
        };
        let mut opts = match t.mss.filter(|_| fl.syn) {
            Some(m) => {
                let b = m.to_be_bytes();
                vec![2, 4, b[0], b[1]]
            }
            None => Vec::new(),
        };
        if !sack.is_empty() && !fl.syn {
            opts.extend_from_slice(&[1, 1, 5, 2 + 8 * sack.len() as u8]);
            for (l, r) in &sack {
                opts.extend_from_slice(&l.to_be_bytes());
                opts.extend_from_slice(&r.to_be_bytes());
            }
        }
        let flags = u8::from(fl.fin)
            | u8::from(fl.syn) << 1
            | u8::from(fl.rst) << 2
            | u8::from(fl.psh || !payload.is_empty()) << 3
            | u8::from(acks) << 4;
        let win = t.window.unwrap_or(65535).min(65535) as u16;
        let mut h = Vec::with_capacity(20 + opts.len() + payload.len());
        h.extend_from_slice(&src.port().to_be_bytes());
        h.extend_from_slice(&dst.port().to_be_bytes());
        h.extend_from_slice(&seq.to_be_bytes());
        h.extend_from_slice(&ack.to_be_bytes());
        h.push((((20 + opts.len()) / 4) as u8) << 4);
        h.push(flags);
        h.extend_from_slice(&win.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0]);
        h.extend_from_slice(&opts);
        h.extend_from_slice(&payload);
        h
    }
}

/// A fixed, distinct starting number per endpoint. A relative sequence number N as a
/// dissection states it (tshark's, counted from the SYN, or from the first number the
/// peer acknowledged when the start was not captured) is `isn + N`.
fn isn(a: &SocketAddr) -> u32 {
    let p = u32::from(a.port());
    p.wrapping_mul(2_654_435_761).wrapping_add(1000)
}

impl Side {
    /// An endpoint first seen in `t`: after its SYN (not captured) it starts at the
    /// number the text states, and bytes before it were not captured (a hole the
    /// analyser sees, as in the pcap), else at relative 1.
    fn new(src: &SocketAddr, t: &super::facts::Tcp) -> Side {
        let first = match t.seq {
            Some(s) if !t.flags.syn => s,
            _ => 1,
        };
        let n = isn(src).wrapping_add(first);
        Side {
            next: n,
            last: n,
            last_used: 0,
            encrypted: false,
            stated_next: None,
            head: None,
            after_hole: first > 1,
            marks: VecDeque::new(),
            exact: true,
        }
    }

    /// Where segment `t` goes, and whether it re-sends bytes sent before. A segment a
    /// dissection numbers before what the endpoint has sent already (a retransmission,
    /// tshark's out-of-order segment) is sent again where it was; one numbered past it
    /// leaves the bytes between out: the capture does not hold them (a hole).
    fn place(&mut self, t: &super::facts::Tcp) -> (u32, bool) {
        let fl = t.flags;
        let ahead = match (t.seq, self.stated_next) {
            (Some(s), Some(n)) if !fl.syn => s.wrapping_sub(n) as i32,
            _ => 0,
        };
        let behind = ahead < 0;
        // A retransmission re-sends the previous segment; one with nothing before it to
        // re-send (a "spurious" one in a text that lacks the first) is new data.
        let retransmission = behind || (t.retransmission && (fl.syn || self.last_used > 0));
        let seq = if behind {
            self.next.wrapping_sub(ahead.unsigned_abs())
        } else if retransmission {
            self.last
        } else if ahead > 0 && self.exact {
            self.after_hole = true;
            self.next.wrapping_add(ahead as u32)
        } else {
            self.next
        };
        (seq, retransmission)
    }

    /// Notes what the segment's messages tell of the endpoint: its records encrypted
    /// from its ChangeCipherSpec (TLS 1.3: its ServerHello) on; an HTTP head named again
    /// (tshark names it on its segment and on the reassembled message) is not sent
    /// twice; a response head whose segment carried more (`Len`) begins its body.
    fn note_messages(&mut self, f: &Facts, t: &super::facts::Tcp, payload: &mut Vec<u8>) {
        if let Some(App::Tls(msgs)) = &f.app
            && msgs.iter().any(|m| {
                matches!(
                    m,
                    Tls::ChangeCipherSpec | Tls::EncryptedHandshake | Tls::ApplicationData
                ) || (f.tls13 && *m == Tls::ServerHello)
            })
        {
            self.encrypted = true;
        }
        if let Some(App::Connect { .. } | App::Request { .. } | App::Response { .. }) = &f.app {
            let head = String::from_utf8_lossy(payload).into_owned();
            if self.head.as_deref() == Some(head.as_str()) {
                payload.clear();
            } else {
                self.head = Some(head);
            }
        }
        if let (Some(App::Response { .. }), Some(l)) = (&f.app, t.len)
            && !payload.is_empty()
        {
            payload.resize(payload.len().max(l as usize), b' ');
        }
    }

    /// Fills a segment whose bytes the text states (`Len=N`) but does not describe, as
    /// far as what is known of the stream says what they are; returns the bytes left
    /// out: skipped in the sequence space, so the analyser sees bytes the capture lacks
    /// (a gap), neither silence nor invented content.
    fn fill(
        &self,
        f: &Facts,
        t: &super::facts::Tcp,
        retransmission: bool,
        payload: &mut Vec<u8>,
    ) -> u32 {
        let unstated = match t.len {
            Some(l) if payload.is_empty() && f.app.is_none() && !t.flags.syn => l,
            _ => 0,
        };
        if self.encrypted && unstated > 5 {
            // Past its ChangeCipherSpec (TLS 1.3: the ServerHello) an endpoint sends only
            // encrypted records: undescribed bytes then are encrypted data (their record
            // boundaries are not stated: as few records as hold them, each no larger
            // than a TLS record can be, so a large segment is not an invalid record).
            *payload = opaque_records(unstated as usize);
        } else if self.after_hole && unstated > 0 && !retransmission {
            // Past bytes the capture does not hold, a reader of the stream has lost its
            // framing and skips what comes until whole records do, as it skips the real
            // bytes in the pcap (tshark's "Continuation Data"): zeros, which no reader
            // takes for a record, so the segment carries the data the text says it did.
            *payload = vec![0; unstated as usize];
        } else if self.head.is_some() && !self.encrypted && unstated > 0 {
            // After an HTTP head (not a CONNECT tunnel's TLS): the message's body.
            *payload = vec![b' '; unstated as usize];
        } else {
            return unstated;
        }
        0
    }

    /// Keeps where stated number `stated` went (the latest [`MAX_MARKS`]).
    fn mark(&mut self, stated: u32, rebuilt: u32) {
        if self.marks.back().is_some_and(|m| m.0 == stated) {
            return;
        }
        if self.marks.len() == MAX_MARKS {
            self.marks.pop_front();
        }
        self.marks.push_back((stated, rebuilt));
    }

    /// Where the builder put stated number `stated`, when it is a segment's start or end.
    fn rebuilt(&self, stated: u32) -> Option<u32> {
        self.marks.iter().rev().find(|m| m.0 == stated).map(|m| m.1)
    }
}

/// An ICMP message with the header it quotes, as far as the text states it: the quoted
/// IP header (addresses, protocol) and the first 8 bytes after it (ports; a TCP sequence
/// number), which is what tells which connection an error answers.
fn icmp(i: &Icmp) -> Vec<u8> {
    let mut m = vec![i.kind, i.code, 0, 0, 0, 0];
    m.extend_from_slice(&i.mtu.unwrap_or(0).to_be_bytes());
    if let Some(q) = &i.quoted
        && let (Some(src), Some(dst)) = (q.src, q.dst)
        && src.is_ipv4() == dst.is_ipv4()
    {
        let mut l4 = Vec::new();
        if let (Some(sp), Some(dp)) = (q.sport, q.dport) {
            l4.extend_from_slice(&sp.to_be_bytes());
            l4.extend_from_slice(&dp.to_be_bytes());
            l4.extend_from_slice(&match q.protocol {
                6 => q.seq.unwrap_or(0).to_be_bytes(),
                _ => [0, 8, 0, 0],
            });
        }
        m.extend(ip(src, dst, q.protocol, 0, &l4));
    }
    m
}

fn dns_port(f: &Facts) -> Option<u16> {
    matches!(f.app, Some(App::DnsQuery { .. } | App::DnsResponse { .. }))
        .then_some(53)
        .filter(|_| f.sport.is_some() || f.dport.is_some())
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(8 + payload.len());
    h.extend_from_slice(&sp.to_be_bytes());
    h.extend_from_slice(&dp.to_be_bytes());
    h.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(payload);
    h
}

fn ip(src: IpAddr, dst: IpAddr, proto: u8, id: u16, l4: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + l4.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let len = (20 + l4.len()).min(65535) as u16;
            p.extend_from_slice(&[0x45, 0]);
            p.extend_from_slice(&len.to_be_bytes());
            p.extend_from_slice(&id.to_be_bytes());
            p.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            let sum = checksum(&p);
            p[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&[0x60, 0, 0, 0]);
            p.extend_from_slice(&(l4.len().min(65535) as u16).to_be_bytes());
            p.extend_from_slice(&[proto, 64]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
        }
        _ => {}
    }
    p.extend_from_slice(l4);
    p
}

fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The application bytes the facts state (`tcp`: DNS gets its length prefix), the
/// further messages of the segment after the first.
fn app_bytes(f: &Facts, tcp: bool) -> Vec<u8> {
    let mut v = message_bytes(f.app.as_ref(), f, tcp);
    for m in &f.more {
        v.extend(message_bytes(Some(m), f, tcp));
    }
    v
}

fn message_bytes(app: Option<&App>, f: &Facts, tcp: bool) -> Vec<u8> {
    match app {
        None => Vec::new(),
        Some(App::Connect { target, version }) => {
            format!("CONNECT {target} {version}\r\n\r\n").into_bytes()
        }
        Some(App::Request {
            method,
            target,
            version,
        }) => format!("{method} {target} {version}\r\n\r\n").into_bytes(),
        Some(App::Response {
            version,
            status,
            reason,
        }) => format!("{version} {status} {reason}\r\n\r\n").into_bytes(),
        Some(App::Tls(msgs)) => tls_records(msgs, f),
        Some(App::DnsQuery { id, name, qtype }) => framed(dns(*id, name, *qtype, None), tcp),
        Some(App::DnsResponse {
            id,
            name,
            qtype,
            rcode,
            answers,
        }) => framed(dns(*id, name, *qtype, Some((*rcode, answers))), tcp),
    }
}

fn framed(msg: Vec<u8>, tcp: bool) -> Vec<u8> {
    if !tcp {
        return msg;
    }
    let mut v = (msg.len() as u16).to_be_bytes().to_vec();
    v.extend(msg);
    v
}

/// `n` bytes (more than 5) of encrypted application data records: as few as hold them,
/// each at most 2^14 + 256 bytes of ciphertext (RFC 5246 §6.2.3), of even sizes.
fn opaque_records(n: usize) -> Vec<u8> {
    const MAX_BODY: usize = 16_384 + 256;
    let count = n.div_ceil(5 + MAX_BODY);
    let mut out = Vec::with_capacity(n);
    for i in 0..count {
        let size = n / count + usize::from(i < n % count);
        out.extend(record(23, &vec![0; size - 5]));
    }
    out
}

fn record(content: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() as u32;
    let mut h = vec![kind, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    h.extend_from_slice(body);
    record(22, &h)
}

fn ext(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut e = kind.to_be_bytes().to_vec();
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

fn with_len16(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// The records of one frame. An encrypted record's size is not stated; the frame's length
/// bounds it: what the frame holds past the smallest headers (Ethernet, IPv4, TCP: 54
/// bytes; the TCP `Len` when stated) and the records of known size, shared among the
/// encrypted ones. (A TLS 1.3 Finished is told from an alert by its size.)
fn tls_records(msgs: &[Tls], f: &Facts) -> Vec<u8> {
    let tls13 = f.tls13;
    let opaque = |m: &Tls| {
        matches!(
            m,
            Tls::ApplicationData
                | Tls::EncryptedHandshake
                | Tls::Alert {
                    description: None,
                    ..
                }
        )
    };
    let known: Vec<Vec<u8>> = msgs
        .iter()
        .filter(|m| !opaque(m))
        .map(|m| tls_record(m, tls13, 0))
        .collect();
    let n_opaque = msgs.iter().filter(|m| opaque(m)).count() as u32;
    let payload = f
        .tcp
        .as_ref()
        .and_then(|t| t.len.filter(|l| *l > 0))
        .or_else(|| f.frame_len.map(|l| l.saturating_sub(54)));
    let known_len: u32 = known.iter().map(|r| r.len() as u32).sum();
    let share = match payload {
        Some(p) if n_opaque > 0 => (p.saturating_sub(known_len) / n_opaque)
            .saturating_sub(5)
            .clamp(1, 16_640),
        _ => 0,
    };
    msgs.iter()
        .flat_map(|m| tls_record(m, tls13, share))
        .collect()
}

/// One record; `opaque_len` is the body size of an encrypted record (0: a default).
fn tls_record(m: &Tls, tls13: bool, opaque_len: u32) -> Vec<u8> {
    let body = |default: usize| {
        vec![
            0u8;
            if opaque_len > 0 {
                opaque_len as usize
            } else {
                default
            }
        ]
    };
    match m {
        Tls::ClientHello { sni } => {
            let mut b = vec![3, 3];
            b.extend_from_slice(&[0; 32]);
            b.push(0);
            let suites: &[u8] = if tls13 {
                &[0x13, 0x01]
            } else {
                &UNSTATED_CIPHER
            };
            b.extend(with_len16(suites));
            b.extend_from_slice(&[1, 0]);
            let mut exts = Vec::new();
            if let Some(name) = sni {
                let n = name.as_bytes();
                let mut entry = vec![0];
                entry.extend(with_len16(n));
                exts.extend(ext(0, &with_len16(&entry)));
            }
            if tls13 {
                exts.extend(ext(43, &[4, 3, 4, 3, 3]));
            }
            b.extend(with_len16(&exts));
            handshake(1, &b)
        }
        Tls::ServerHello | Tls::HelloRetryRequest => {
            let mut b = vec![3, 3];
            if *m == Tls::HelloRetryRequest {
                b.extend_from_slice(&HRR_RANDOM);
            } else {
                b.extend_from_slice(&[1; 32]);
            }
            b.push(0);
            b.extend_from_slice(if tls13 {
                &[0x13, 0x01]
            } else {
                &UNSTATED_CIPHER
            });
            b.push(0);
            let exts = if tls13 { ext(43, &[3, 4]) } else { Vec::new() };
            b.extend(with_len16(&exts));
            handshake(2, &b)
        }
        Tls::Certificate => handshake(11, &[0, 0, 0]),
        Tls::CertificateRequest => handshake(13, &[1, 1, 0, 2, 4, 1, 0, 0]),
        Tls::ServerKeyExchange => handshake(12, &[]),
        Tls::ServerHelloDone => handshake(14, &[]),
        Tls::ClientKeyExchange => handshake(16, &[]),
        Tls::ChangeCipherSpec => record(20, &[1]),
        Tls::EncryptedHandshake => record(22, &body(40)),
        Tls::ApplicationData => record(23, &body(32)),
        Tls::Alert {
            level,
            description: Some(d),
        } => record(21, &[*level, *d]),
        Tls::Alert {
            description: None, ..
        } => record(21, &body(26)),
    }
}

/// RFC 8446 §4.1.3: the random of a HelloRetryRequest.
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

fn dns(id: u16, name: &str, qtype: u16, answer: Option<(u8, &Vec<IpAddr>)>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    let (flags, an) = match answer {
        None => (0x0100u16, 0u16),
        Some((rcode, a)) => (0x8180 | u16::from(rcode & 0x0f), a.len() as u16),
    };
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&an.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let l = &label.as_bytes()[..label.len().min(63)];
        m.push(l.len() as u8);
        m.extend_from_slice(l);
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    if let Some((_, answers)) = answer {
        for a in answers {
            m.extend_from_slice(&[0xc0, 0x0c]);
            let (t, data) = match a {
                IpAddr::V4(v) => (1u16, v.octets().to_vec()),
                IpAddr::V6(v) => (28u16, v.octets().to_vec()),
            };
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend(with_len16(&data));
        }
    }
    m
}

/// The cipher suite a summary does not state: a GREASE value (RFC 8701), shown as
/// `0x0a0a`, which no rule reads as a real suite. (TLS 1.3 rebuilt hellos use
/// TLS_AES_128_GCM_SHA256 only so that the hello parses as TLS 1.3.)
const UNSTATED_CIPHER: [u8; 2] = [0x0a, 0x0a];
