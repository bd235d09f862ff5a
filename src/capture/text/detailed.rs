//! Detailed dissections: `Frame N: ...` blocks, one indented block a layer (`show monitor
//! capture NAME buffer detailed`, `show monitor capture file F detailed`, `tshark -V`,
//! Wireshark's "Export Packet Dissections as Plain Text"). A block with its hex dump
//! (`tshark -V -x`, EPC's detail with data) gives the frame's own bytes; otherwise the
//! frame is rebuilt from the fields the tree states.

use super::certs;
use super::detect::is_frame_header;
use super::facts::{self, App, Facts, Tls};
use super::hex::{self, Frames};
use super::time::{self, Stated};
use super::{Level, LineReader, Out, RawFrame};
use crate::wire::link::linktype;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    Frame,
    Link,
    Ip,
    Tcp,
    Udp,
    Tls,
    Http,
    Dns,
    /// An ICMP or ICMPv6 message; the layers after it (a DNS query, ...) are its quote.
    Icmp,
    Other,
}

#[derive(Default)]
struct Block {
    facts: Facts,
    orig_len: Option<u32>,
    captured: Option<u32>,
    tls: Vec<Tls>,
    http_head: Vec<String>,
    http_done: bool,
    /// The DNS message being read, and those read before it in this frame (DNS over TCP
    /// carries several in one segment: each its own `Domain Name System` layer).
    dns: Dns,
    dns_done: Vec<App>,
    sni: Option<String>,
    /// The last TLS record line named an encrypted handshake message (its nested
    /// `Handshake Protocol:` line is the same message).
    encrypted_record_named: bool,
    /// `TCP segment data (N bytes)`: the segment's bytes belong to a message tshark
    /// reassembles and dissects in a later frame.
    segment_data: bool,
    /// `[3 Reassembled TCP Segments (3434 bytes): #10(1448), #12(1448), #14(538)]`: the
    /// frames whose bytes make the message this frame dissects, in order.
    reassembled: Vec<u64>,
    certs: certs::Reader,
}

/// A frame read but not handed on yet: frames wait while an earlier segment's bytes are
/// still to be dissected (tshark -V, one pass, dissects a message split over segments on
/// its last segment only; the message starts in the first).
enum Held {
    Bytes(RawFrame),
    Facts {
        facts: Box<Facts>,
        /// Its bytes await the frame that dissects them.
        open: bool,
    },
}

/// Frames held at most while a message is reassembled (a longer message: its first
/// segments go on undescribed, as without the hold).
const MAX_HELD: usize = 4096;

/// One DNS message's fields.
#[derive(Default)]
struct Dns {
    id: Option<u16>,
    response: bool,
    rcode: u8,
    name: Option<(String, u16)>,
    answers: Vec<std::net::IpAddr>,
    section: u8,
}

impl Dns {
    fn into_app(self) -> Option<App> {
        let (Some(id), Some((name, qtype))) = (self.id, self.name) else {
            return None;
        };
        Some(if self.response {
            App::DnsResponse {
                id,
                name,
                qtype,
                rcode: self.rcode,
                answers: self.answers,
            }
        } else {
            App::DnsQuery { id, name, qtype }
        })
    }
}

#[derive(Default)]
pub struct Detailed {
    block: Option<Block>,
    layer: Option<Layer>,
    hex: Frames,
    hex_seen: bool,
    held: std::collections::VecDeque<Held>,
}

impl Detailed {
    fn close(&mut self, out: &mut Out<'_>) {
        let Some(mut b) = self.block.take() else {
            return;
        };
        let bytes = self.hex.take();
        let hex_seen = std::mem::take(&mut self.hex_seen);
        let held = match bytes.filter(|_| hex_seen) {
            Some((data, _, cut, raw)) => Held::Bytes(RawFrame {
                number: b.facts.number,
                line: b.facts.line,
                time: b.facts.time,
                linktype: if raw {
                    linktype::RAW
                } else {
                    linktype::ETHERNET
                },
                cut: cut || b.captured.is_some_and(|c| (data.len() as u32) < c),
                orig_len: b.orig_len,
                data,
                chains: Vec::new(),
                level: Level::Bytes,
            }),
            None => {
                let reassembled = std::mem::take(&mut b.reassembled);
                let open = b.segment_data
                    && reassembled.is_empty()
                    && b.facts.app.is_none()
                    && b.tls.is_empty()
                    && b.http_head.is_empty()
                    && b.facts.tcp.as_ref().is_some_and(|t| t.len.unwrap_or(0) > 0);
                let mut facts = b.into_facts();
                self.reassemble(&mut facts, &reassembled);
                Held::Facts {
                    facts: Box::new(facts),
                    open,
                }
            }
        };
        self.held.push_back(held);
        self.release(out, false);
    }

    /// The message this frame dissects began in an earlier segment (`reassembled` lists
    /// the frames): an HTTP head goes to the segment that carried it, the first; the
    /// segments after it carry the rest of the message (its body).
    fn reassemble(&mut self, f: &mut Facts, reassembled: &[u64]) {
        let [first, ..] = reassembled else {
            return;
        };
        let same_flow =
            |g: &Facts| (g.src, g.dst, g.sport, g.dport) == (f.src, f.dst, f.sport, f.dport);
        for h in &mut self.held {
            let Held::Facts { facts: g, open } = h else {
                continue;
            };
            let Some(n) = g.number.filter(|n| reassembled.contains(n)) else {
                continue;
            };
            if !*open || !same_flow(g) {
                continue;
            }
            *open = false;
            if matches!(f.app, Some(App::Tls(_)))
                && let Some(t) = g.tcp.as_mut()
            {
                // Part of TLS records this frame carries whole (a Certificate split over
                // segments, `#13(407), #14(524), #16(162)`): described there, so no
                // bytes of its own and no hole.
                t.described_later = t.len.take();
            }
            if n == *first
                && matches!(
                    f.app,
                    Some(App::Response { .. } | App::Request { .. } | App::Connect { .. })
                )
            {
                g.app = f.app.take();
            }
        }
    }

    /// Hands on the frames that wait for nothing (all of them at the end, or the oldest
    /// past [`MAX_HELD`]).
    fn release(&mut self, out: &mut Out<'_>, all: bool) {
        while let Some(h) = self.held.front() {
            let waits = matches!(h, Held::Facts { open: true, .. });
            if waits && !all && self.held.len() <= MAX_HELD {
                break;
            }
            match self.held.pop_front() {
                Some(Held::Bytes(f)) => out.frame(f),
                Some(Held::Facts { facts, .. }) => out.facts(*facts, Level::Fields),
                None => {}
            }
        }
    }
}

impl Block {
    fn into_facts(mut self) -> Facts {
        let f = &mut self.facts;
        if !self.tls.is_empty() {
            for m in &mut self.tls {
                if let Tls::ClientHello { sni } = m
                    && sni.is_none()
                {
                    sni.clone_from(&self.sni);
                }
            }
            if self.tls.contains(&Tls::Certificate) {
                f.chains = self.certs.finish();
            }
            f.app = Some(App::Tls(self.tls));
        } else if !self.http_head.is_empty() {
            let head = self.http_head.join("\r\n");
            let mut h = Facts {
                protocol: "HTTP".into(),
                ..Facts::default()
            };
            facts::read_info(&mut h, &self.http_head[0]);
            f.app = h.app.map(|a| with_headers(a, head));
        } else {
            let mut msgs = std::mem::take(&mut self.dns_done);
            msgs.extend(self.dns.into_app());
            let mut msgs = msgs.into_iter();
            f.app = msgs.next();
            f.more = msgs.collect();
        }
        self.facts
    }
}

/// An HTTP head the tree states whole: the status or request line keeps its headers.
fn with_headers(a: App, head: String) -> App {
    match a {
        App::Response {
            version, status, ..
        } => {
            let reason = head.lines().next().unwrap_or_default().to_string();
            let rest: String = head
                .split_once("\r\n")
                .map(|x| x.1.to_string())
                .unwrap_or_default();
            let reason = reason.splitn(3, ' ').nth(2).unwrap_or_default().to_string();
            let reason = if rest.is_empty() {
                reason
            } else {
                format!("{reason}\r\n{rest}")
            };
            App::Response {
                version,
                status,
                reason,
            }
        }
        other => other,
    }
}

fn layer_of(line: &str) -> Layer {
    let l = line;
    if l.starts_with("Internet Protocol Version") {
        Layer::Ip
    } else if l.starts_with("Transmission Control Protocol") {
        Layer::Tcp
    } else if l.starts_with("User Datagram Protocol") {
        Layer::Udp
    } else if l.starts_with("Transport Layer Security") || l.starts_with("Secure Sockets Layer") {
        Layer::Tls
    } else if l.starts_with("Hypertext Transfer Protocol") {
        Layer::Http
    } else if l.starts_with("Domain Name System") {
        Layer::Dns
    } else if l.starts_with("Internet Control Message Protocol") {
        Layer::Icmp
    } else if l.starts_with("Ethernet")
        || l.starts_with("802.1Q")
        || l.starts_with("Cisco MetaData")
    {
        Layer::Link
    } else {
        Layer::Other
    }
}

/// `Src: a, Dst: b` / `Src Port: 1, Dst Port: 2` in a layer's title.
fn title_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let i = line.find(key)? + key.len();
    let rest = &line[i..];
    Some(rest.split(',').next()?.trim())
}

impl LineReader for Detailed {
    fn line(&mut self, n: u64, line: &str, out: &mut Out<'_>) {
        if is_frame_header(line) {
            self.close(out);
            let num = line[6..].split(':').next().and_then(|x| x.parse().ok());
            let mut b = Block::default();
            b.facts.line = n;
            b.facts.number = num;
            let words: Vec<&str> = line.split_whitespace().collect();
            b.orig_len = words.get(2).and_then(|w| w.parse().ok());
            b.facts.frame_len = b.orig_len;
            b.captured = words
                .iter()
                .position(|w| w.starts_with("captured"))
                .and_then(|i| words.get(i.checked_sub(3)?))
                .and_then(|w| w.parse().ok());
            self.block = Some(b);
            self.layer = Some(Layer::Frame);
            return;
        }
        let Some(b) = self.block.as_mut() else {
            if let Some(t) = time::show_clock(line) {
                out.clock(Stated::Epoch(t));
            } else if !line.trim().is_empty() {
                out.skipped();
            }
            return;
        };
        if let Some(h) = hex::parse_hex_line(line).filter(|h| !h.words) {
            self.hex_seen = true;
            if let Some((data, ..)) = self.hex.add(n, h) {
                // A second frame's hex in one block (reassembled data shown apart): the
                // frame's own bytes are the first.
                drop(data);
            }
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        if let Some(r) = line.strip_prefix('[')
            && r.contains(" Reassembled TCP Segments (")
        {
            // `[3 Reassembled TCP Segments (3434 bytes): #10(1448), #12(1448), #14(538)]`
            b.reassembled = r
                .split('#')
                .skip(1)
                .filter_map(|x| x.split('(').next()?.parse().ok())
                .collect();
            self.layer = Some(Layer::Other);
            return;
        }
        if !line.starts_with(' ') && !line.starts_with('\t') {
            let l = layer_of(line);
            let f = &mut b.facts;
            if f.icmp.is_some() {
                // The layers of the packet an ICMP error quotes: not this frame's.
                self.layer = Some(Layer::Other);
                return;
            }
            self.layer = Some(l);
            match l {
                Layer::Ip => {
                    f.src = title_field(line, "Src: ").and_then(facts::addr);
                    f.dst = title_field(line, "Dst: ").and_then(facts::addr);
                }
                Layer::Tcp | Layer::Udp => {
                    f.sport = title_field(line, "Src Port: ").and_then(|p| p.parse().ok());
                    f.dport = title_field(line, "Dst Port: ").and_then(|p| p.parse().ok());
                    if l == Layer::Tcp {
                        f.tcp = Some(facts::Tcp {
                            len: title_field(line, "Len: ").and_then(facts::stated_len),
                            ..facts::Tcp::default()
                        });
                        f.protocol = "TCP".into();
                    } else {
                        f.udp = true;
                        f.protocol = "UDP".into();
                    }
                }
                Layer::Dns => {
                    let before = std::mem::take(&mut b.dns);
                    b.dns_done.extend(before.into_app());
                    b.dns.response = line.contains("(response)");
                }
                Layer::Icmp => {
                    f.icmp = Some(facts::Icmp {
                        v6: line.contains("Protocol v6"),
                        ..facts::Icmp::default()
                    });
                    f.protocol = "ICMP".into();
                }
                _ => {}
            }
            return;
        }
        let t = line.trim();
        match self.layer {
            Some(Layer::Frame) => {
                if let Some(v) = t.strip_prefix("Epoch Time: ") {
                    if let Some(s) = v.split_whitespace().next().and_then(time::seconds) {
                        b.facts.time = Stated::Epoch(s);
                    }
                } else if let Some(v) = t.strip_prefix("Arrival Time: ")
                    && !matches!(b.facts.time, Stated::Epoch(_))
                    && let Some(s) = time::date_time(v, time::Unzoned::Refused)
                {
                    b.facts.time = Stated::Dated(s, "Arrival Time (UTC)");
                } else if let Some(v) = t.strip_prefix("[Time since reference or first frame: ")
                    && b.facts.time == Stated::None
                    && let Some(s) = v.split_whitespace().next().and_then(time::seconds)
                {
                    b.facts.time = Stated::Relative(s);
                }
            }
            Some(Layer::Tcp) => tcp_field(b, t),
            Some(Layer::Tls) => {
                b.certs.line(line);
                tls_field(b, t);
            }
            Some(Layer::Http) if !b.http_done => http_field(b, line, t),
            Some(Layer::Dns) => dns_field(b, line, t),
            Some(Layer::Icmp) => icmp_field(b, line, t),
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        self.close(out);
        self.release(out, true);
    }
}

/// A line of the HTTP head (`CONNECT ... HTTP/1.0\\r\\n`, `Host: x\\r\\n`, then `\\r\\n`),
/// at the layer's first indent (deeper lines are tshark's own annotations).
fn http_field(b: &mut Block, line: &str, t: &str) {
    if t == "\\r\\n" {
        b.http_done = true;
    } else if let Some(h) = t.strip_suffix("\\r\\n")
        && line.starts_with("    ")
        && !line.starts_with("     ")
    {
        b.http_head.push(h.to_string());
    }
}

fn tcp_field(b: &mut Block, t: &str) {
    let Some(tcp) = b.facts.tcp.as_mut() else {
        return;
    };
    if let Some(v) = t.strip_prefix("Flags: ") {
        if let (Some(o), Some(c)) = (v.find('('), v.rfind(')')) {
            for flag in v[o + 1..c].split(',') {
                match flag.trim() {
                    "SYN" => tcp.flags.syn = true,
                    "ACK" => tcp.flags.ack = true,
                    "FIN" => tcp.flags.fin = true,
                    "RST" => tcp.flags.rst = true,
                    "PSH" => tcp.flags.psh = true,
                    _ => {}
                }
            }
        }
    } else if let Some(v) = t
        .strip_prefix("Window: ")
        .or_else(|| t.strip_prefix("Window size value: "))
    {
        tcp.window = v.trim().parse().ok();
    } else if let Some(v) = t
        .strip_prefix("Sequence Number: ")
        .or_else(|| t.strip_prefix("Sequence number: "))
    {
        // Wireshark before 3.4 (older IOS XE EPC engines) writes the field names in
        // lower case after the first word.
        tcp.seq = leading_number(v);
    } else if let Some(v) = t
        .strip_prefix("Acknowledgment Number: ")
        .or_else(|| t.strip_prefix("Acknowledgment number: "))
    {
        tcp.ack = leading_number(v);
    } else if let Some(v) = t.strip_prefix("left edge = ") {
        if let Some(l) = leading_number(v)
            && tcp.sack.len() < super::facts::MAX_SACK_BLOCKS
        {
            tcp.sack.push((l, l));
        }
    } else if let Some(v) = t.strip_prefix("right edge = ") {
        if let (Some(r), Some(block)) = (leading_number(v), tcp.sack.last_mut()) {
            block.1 = r;
        }
    } else if let Some(v) = t.strip_prefix("MSS Value: ") {
        tcp.mss = v.trim().parse().ok();
    } else if t.starts_with("TCP segment data (") {
        b.segment_data = true;
    } else if t.contains("(suspected) retransmission")
        || t.starts_with("[This frame is a (suspected) spurious retransmission")
    {
        tcp.retransmission = true;
    }
}

/// The number a field's value begins with (`1449    (relative sequence number)`).
fn leading_number(v: &str) -> Option<u32> {
    v.split_whitespace().next()?.parse().ok()
}

fn tls_field(b: &mut Block, t: &str) {
    if let Some(v) = t.strip_prefix("Server Name: ") {
        b.sni.get_or_insert_with(|| v.trim().to_string());
        return;
    }
    if t.starts_with("Supported Version: TLS 1.3") {
        b.facts.tls13 = true;
        return;
    }
    // `TLSv1.2 Record Layer: Handshake Protocol: Client Hello`, `Handshake Protocol:
    // Server Hello`, `TLSv1.2 Record Layer: Alert (Level: Fatal, ...)`, `... Change Cipher
    // Spec Protocol: Change Cipher Spec`, `... Application Data Protocol: ...`.
    let named = if let Some((_, m)) = t.split_once("Handshake Protocol: ") {
        if t.contains("Record Layer") && t.ends_with("Multiple Handshake Messages") {
            return;
        }
        if t.contains("Record Layer") && !t.contains("Encrypted Handshake Message") {
            // The message itself follows as its own `Handshake Protocol:` line.
            return;
        }
        if !t.contains("Record Layer") && std::mem::take(&mut b.encrypted_record_named) {
            // `Handshake Protocol: Encrypted Handshake Message` inside the record the
            // `Record Layer` line named already: one record, not two.
            return;
        }
        b.encrypted_record_named =
            t.contains("Record Layer") && m.starts_with("Encrypted Handshake Message");
        m
    } else if let Some((_, m)) = t.split_once("Record Layer: ") {
        b.encrypted_record_named = false;
        if m.starts_with("Change Cipher Spec") {
            "Change Cipher Spec"
        } else if m.starts_with("Application Data") {
            "Application Data"
        } else {
            m
        }
    } else {
        return;
    };
    if let Some(m) = facts::tls_info(named).into_iter().next() {
        b.tls.push(m);
    }
}

fn dns_field(b: &mut Block, line: &str, t: &str) {
    let b = &mut b.dns;
    if let Some(v) = t.strip_prefix("Transaction ID: ") {
        b.id = u16::from_str_radix(v.trim().trim_start_matches("0x"), 16).ok();
    } else if t.contains("= Reply code: ") {
        b.rcode = t
            .rsplit_once('(')
            .and_then(|(_, c)| c.trim_end_matches(')').parse().ok())
            .unwrap_or(0);
    } else if t == "Queries" {
        b.section = 1;
    } else if t == "Answers" {
        b.section = 2;
    } else if t == "Authoritative nameservers" || t == "Additional records" {
        b.section = 3;
    } else if line.starts_with("        ") && !line.starts_with("         ") {
        // `proxy.lab: type A, class IN[, addr 198.51.100.3]`
        let Some((name, rest)) = t.split_once(": type ") else {
            return;
        };
        let qtype = match rest.split(',').next().unwrap_or_default() {
            "A" => 1,
            "AAAA" => 28,
            "CNAME" => 5,
            "HTTPS" => 65,
            "SRV" => 33,
            "PTR" => 12,
            "TXT" => 16,
            _ => 0,
        };
        match b.section {
            1 if b.name.is_none() => b.name = Some((name.to_string(), qtype)),
            2 => {
                if let Some(a) = rest
                    .split_once("addr ")
                    .and_then(|(_, a)| a.trim().parse().ok())
                {
                    b.answers.push(a);
                }
            }
            _ => {}
        }
    }
}

/// The ICMP message's type, code and next-hop MTU, and the header it quotes: `Internet
/// Protocol Version 4, Src: a, Dst: b` and `Transmission Control Protocol, Src Port: 1,
/// Dst Port: 2, Seq: N` (or UDP) one indent in (their own fields are deeper).
fn icmp_field(b: &mut Block, line: &str, t: &str) {
    let Some(i) = b.facts.icmp.as_mut() else {
        return;
    };
    let number = |v: &str| -> Option<u16> { v.split_whitespace().next()?.parse().ok() };
    let top = line.starts_with("    ") && !line.starts_with("     ");
    if !top {
        return;
    }
    if let Some(v) = t.strip_prefix("Type: ") {
        i.kind = number(v).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
    } else if let Some(v) = t.strip_prefix("Code: ") {
        i.code = number(v).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
    } else if let Some(v) = t.strip_prefix("MTU of next hop: ") {
        i.mtu = number(v);
    } else if t.starts_with("Internet Protocol Version") {
        let q = i.quoted.get_or_insert_with(facts::Quoted::default);
        q.src = title_field(t, "Src: ").and_then(facts::addr);
        q.dst = title_field(t, "Dst: ").and_then(facts::addr);
    } else if let Some(q) = i.quoted.as_mut() {
        let protocol = if t.starts_with("Transmission Control Protocol") {
            6
        } else if t.starts_with("User Datagram Protocol") {
            17
        } else {
            return;
        };
        q.protocol = protocol;
        q.sport = title_field(t, "Src Port: ").and_then(|p| p.parse().ok());
        q.dport = title_field(t, "Dst Port: ").and_then(|p| p.parse().ok());
        q.seq = title_field(t, "Seq: ").and_then(|p| p.parse().ok());
    }
}
