//! The facts one packet's text states, and how tshark's Info column states them. Shared by
//! the summary, packet-list and dissection readers; [`super::build`] rebuilds a frame from
//! them.

use super::Level;
use super::time::Stated;
use std::net::IpAddr;

/// A TLS message as the text names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    ClientHello {
        sni: Option<String>,
    },
    ServerHello,
    HelloRetryRequest,
    /// Named, but its bytes are not in the text: rebuilt empty ("not visible").
    Certificate,
    CertificateRequest,
    ServerKeyExchange,
    ServerHelloDone,
    ClientKeyExchange,
    ChangeCipherSpec,
    EncryptedHandshake,
    ApplicationData,
    /// A plaintext alert with its description code; `None` for an encrypted one.
    Alert {
        level: u8,
        description: Option<u8>,
    },
}

/// What runs above TCP/UDP in this packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum App {
    Tls(Vec<Tls>),
    Connect {
        target: String,
        version: String,
    },
    Request {
        method: String,
        target: String,
        version: String,
    },
    Response {
        version: String,
        status: u16,
        reason: String,
    },
    DnsQuery {
        id: u16,
        name: String,
        qtype: u16,
    },
    DnsResponse {
        id: u16,
        name: String,
        qtype: u16,
        rcode: u8,
        answers: Vec<IpAddr>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tcp {
    pub flags: Flags,
    pub window: Option<u32>,
    /// Payload length (`Len=`).
    pub len: Option<u32>,
    pub mss: Option<u16>,
    pub retransmission: bool,
    /// The sequence number a dissection states (`Sequence Number: N`, relative as tshark
    /// shows it): places a segment sent again where it was first sent.
    pub seq: Option<u32>,
    /// Bytes of this segment that a later frame's message describes whole (a TLS record
    /// reassembled from segments): counted in the sequence numbers, sent with that
    /// message, not here (`len` is then `None`).
    pub described_later: Option<u32>,
    /// The acknowledgement number a dissection states (relative, as `seq`).
    pub ack: Option<u32>,
    /// The SACK blocks a dissection states (`left edge = N`, `right edge = N`), at most
    /// [`MAX_SACK_BLOCKS`]: which later bytes the receiver holds past a hole.
    pub sack: Vec<(u32, u32)>,
}

/// The largest TCP payload an IP packet holds (an IPv6 payload of 65,535 bytes less the
/// smallest TCP header; IPv4's is smaller still): a stated `Len` past it is no fact about a segment, and is not read (the
/// builder sends the bytes a `Len` states, so a hostile `Len=4000000000` would otherwise
/// be an allocation of 4 GB).
pub const MAX_STATED_LEN: u32 = 65_535 - 20;

/// A segment's stated `Len`, when it is one a segment can have.
pub fn stated_len(v: &str) -> Option<u32> {
    v.trim().parse().ok().filter(|l| *l <= MAX_STATED_LEN)
}

/// SACK blocks a TCP header holds at most (40 option bytes: 4 blocks of 8 and a kind).
pub const MAX_SACK_BLOCKS: usize = 4;

/// An ICMP or ICMPv6 message as a dissection states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Icmp {
    pub v6: bool,
    pub kind: u8,
    pub code: u8,
    /// `MTU of next hop` (fragmentation needed).
    pub mtu: Option<u16>,
    /// The header of the packet an error quotes (addresses, ports).
    pub quoted: Option<Quoted>,
}

/// The IP and TCP/UDP header an ICMP error quotes, as far as the text states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quoted {
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// 6 (TCP) or 17 (UDP); 0 when the text shows no transport header.
    pub protocol: u8,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// A quoted TCP header's sequence number (as tshark shows it: not relative).
    pub seq: Option<u32>,
}

/// One packet as the text states it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub line: u64,
    pub number: Option<u64>,
    pub time: Stated,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub protocol: String,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// `Some` for TCP.
    pub tcp: Option<Tcp>,
    pub udp: bool,
    /// An ICMP message (a dissection's); a summary line's ICMP states no quote.
    pub icmp: Option<Icmp>,
    pub app: Option<App>,
    /// Further messages in the same segment after `app` (DNS over TCP: two queries in
    /// one segment, each dissected on its own).
    pub more: Vec<App>,
    /// TLS 1.3 by the protocol column (`TLSv1.3`).
    pub tls13: bool,
    /// The frame's length on the wire (the Length column, `N bytes on wire`).
    pub frame_len: Option<u32>,
    /// The certificates of each Certificate message, as a dissection's fields state them
    /// (empty: not stated; a summary never states them).
    pub chains: Vec<Vec<crate::model::CertInfo>>,
}

impl Facts {
    /// What this packet's text cannot show, at this level of evidence.
    pub fn not_shown(&self, level: Level) -> Vec<&'static str> {
        let mut v = Vec::new();
        if let Some(App::Tls(msgs)) = &self.app
            && msgs.contains(&Tls::Certificate)
            && level < Level::Bytes
        {
            let messages = msgs.iter().filter(|m| **m == Tls::Certificate).count();
            let read = self.chains.iter().filter(|c| !c.is_empty()).count();
            v.push(if read >= messages {
                "the certificates' signatures and keys (tshark cuts their DER; their fields were read: names, dates, SANs, CA flag, CRL and OCSP URLs), so the chain's trust is judged by name only: run 'show monitor capture NAME buffer dump' or export the pcap ('monitor capture NAME export location flash:NAME.pcap') for the bytes"
            } else {
                "the server's certificate chain (its bytes are not in the text): run 'show monitor capture NAME buffer dump' or export the pcap ('monitor capture NAME export location flash:NAME.pcap')"
            });
        }
        if level == Level::Summary && self.protocol.eq_ignore_ascii_case("ICMP") {
            v.push("which connection an ICMP error answers (the quoted header is only in the detail): run 'show monitor capture NAME buffer detailed'");
        }
        if level == Level::Summary && matches!(&self.app, Some(App::Response { .. })) {
            v.push("HTTP headers (a proxy's Proxy-Authenticate, Via, Server): run 'show monitor capture NAME buffer detailed'");
        }
        v
    }
}

/// `10.0.0.1`, `[::1]` or `fe80::1`: an address; MAC addresses and names are not.
pub fn addr(s: &str) -> Option<IpAddr> {
    s.trim_matches(['[', ']']).parse().ok()
}

/// Reads tshark's Info column into `f` (ports, TCP flags, the application message).
pub fn read_info(f: &mut Facts, info: &str) {
    let proto = f.protocol.to_ascii_uppercase();
    let info = info.trim();
    let (info, retrans) = strip_analysis(info);
    // A packet list may prefix Info with a port column's value (`51547 CONNECT ...`,
    // `80 Server Hello`, as in Cisco's published SLP list): a number before the message.
    let info = match info.split_once(' ') {
        Some((n, rest))
            if proto != "TCP"
                && proto != "UDP"
                && n.parse::<u16>().is_ok()
                && !rest.starts_with(['→', '-', '>']) =>
        {
            rest
        }
        _ => info,
    };
    match proto.as_str() {
        "TCP" => {
            tcp_info(f, info);
            if let Some(t) = f.tcp.as_mut() {
                t.retransmission |= retrans;
            }
        }
        "UDP" => {
            f.udp = true;
            if let Some((a, b)) = ports(info) {
                (f.sport, f.dport) = (Some(a), Some(b));
            }
        }
        "DNS" | "MDNS" => {
            f.udp = f.tcp.is_none();
            f.app = dns_info(info);
        }
        p if p.starts_with("HTTP") || p == "OCSP" || p == "PKIX-CRL" => {
            f.tcp.get_or_insert_with(Tcp::default);
            f.app = http_info(info);
        }
        p if p.starts_with("TLS") || p.starts_with("SSL") => {
            f.tcp.get_or_insert_with(Tcp::default);
            f.tls13 = p == "TLSV1.3";
            let msgs = tls_info(info);
            if !msgs.is_empty() {
                f.app = Some(App::Tls(msgs));
            }
        }
        _ => {}
    }
    if retrans && let Some(t) = f.tcp.as_mut() {
        t.retransmission = true;
    }
}

/// `[TCP Retransmission] rest` → (`rest`, true); other `[TCP ...]` notes are dropped.
fn strip_analysis(info: &str) -> (&str, bool) {
    let mut s = info;
    let mut retrans = false;
    while let Some(rest) = s.strip_prefix("[TCP ") {
        let Some(end) = rest.find(']') else { break };
        let note = &rest[..end];
        retrans |= note.contains("Retransmission");
        s = rest[end + 1..].trim_start();
    }
    (s, retrans)
}

/// `51547 → 80` / `51547 -> 80` / `51547 > 80` at the start.
fn ports(info: &str) -> Option<(u16, u16)> {
    let mut w = info.split_whitespace();
    let a = w.next()?.parse().ok()?;
    let arrow = w.next()?;
    if !matches!(arrow, "→" | "->" | ">") {
        return None;
    }
    let b = w.next()?.parse().ok()?;
    Some((a, b))
}

fn tcp_info(f: &mut Facts, info: &str) {
    let mut t = f.tcp.take().unwrap_or_default();
    if let Some((a, b)) = ports(info) {
        (f.sport, f.dport) = (Some(a), Some(b));
    }
    if let Some(open) = info.find('[')
        && let Some(close) = info[open..].find(']')
    {
        for flag in info[open + 1..open + close].split(',') {
            match flag.trim() {
                "SYN" => t.flags.syn = true,
                "ACK" => t.flags.ack = true,
                "FIN" => t.flags.fin = true,
                "RST" => t.flags.rst = true,
                "PSH" => t.flags.psh = true,
                _ => {}
            }
        }
    }
    // `HTTP/1.1 403 Forbidden  [TCP segment of a reassembled PDU]`: a segment that
    // carries an HTTP head tshark names before reassembling the message.
    let rest = match ports(info) {
        Some(_) => "",
        None => info.split(" [TCP").next().unwrap_or_default(),
    };
    if !rest.is_empty()
        && let Some(app) = http_info(rest)
    {
        f.app = Some(app);
    }
    for w in info.split_whitespace() {
        if let Some(v) = w.strip_prefix("Win=") {
            t.window = v.parse().ok();
        } else if let Some(v) = w.strip_prefix("Len=") {
            t.len = stated_len(v);
        } else if let Some(v) = w.strip_prefix("MSS=") {
            t.mss = v.parse().ok();
        }
    }
    f.tcp = Some(t);
}

/// `CONNECT host:443 HTTP/1.1`, `GET /x HTTP/1.1`, `HTTP/1.1 407 Proxy Authentication
/// Required  (text/html)`.
fn http_info(info: &str) -> Option<App> {
    let mut w = info.split_whitespace();
    let first = w.next()?;
    if first.starts_with("HTTP/") {
        let status: u16 = w.next()?.parse().ok()?;
        let rest: Vec<&str> = w.collect();
        let mut reason = rest.join(" ");
        // `OK  (text/html)`, `OK , JavaScript Object Notation (application/json)`.
        if let Some(i) = reason.find(" (").into_iter().chain(reason.find(" ,")).min() {
            reason.truncate(i);
        }
        reason.truncate(reason.trim_end().len());
        return Some(App::Response {
            version: first.to_string(),
            status,
            reason,
        });
    }
    let target = w.next()?.to_string();
    let version = w.next().filter(|v| v.starts_with("HTTP/"))?.to_string();
    if !first.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(if first == "CONNECT" {
        App::Connect { target, version }
    } else {
        App::Request {
            method: first.to_string(),
            target,
            version,
        }
    })
}

/// TLS message names in tshark's Info (comma-separated, several records possible).
pub fn tls_info(info: &str) -> Vec<Tls> {
    let mut v = Vec::new();
    let mut rest = info;
    while !rest.trim().is_empty() {
        let r = rest.trim_start_matches([',', ' ']);
        let (item, tail) = split_item(r);
        rest = tail;
        if let Some(m) = tls_message(item.trim()) {
            v.push(m);
        }
    }
    v
}

/// The first comma-separated item, a parenthesised part kept whole.
fn split_item(s: &str) -> (&str, &str) {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

fn tls_message(item: &str) -> Option<Tls> {
    let lower = item.to_ascii_lowercase();
    Some(if lower.starts_with("client hello") {
        let sni = item
            .find("SNI=")
            .map(|i| item[i + 4..].trim_end_matches(')').trim().to_string())
            .filter(|s| !s.is_empty());
        Tls::ClientHello { sni }
    } else if lower.starts_with("hello retry request") {
        Tls::HelloRetryRequest
    } else if lower.starts_with("server hello done") {
        Tls::ServerHelloDone
    } else if lower.starts_with("server hello") {
        Tls::ServerHello
    } else if lower.starts_with("certificate request") {
        Tls::CertificateRequest
    } else if lower.starts_with("certificate") {
        Tls::Certificate
    } else if lower.starts_with("server key exchange") {
        Tls::ServerKeyExchange
    } else if lower.starts_with("client key exchange") {
        Tls::ClientKeyExchange
    } else if lower.starts_with("change cipher spec") {
        Tls::ChangeCipherSpec
    } else if lower.starts_with("encrypted handshake message") {
        Tls::EncryptedHandshake
    } else if lower.starts_with("application data") || lower.starts_with("continuation data") {
        Tls::ApplicationData
    } else if lower.starts_with("encrypted alert") {
        Tls::Alert {
            level: 2,
            description: None,
        }
    } else if lower.starts_with("alert") {
        // `Alert (Level: Fatal, Description: Unknown CA)`
        let level = if lower.contains("level: warning") {
            1
        } else {
            2
        };
        let description = lower
            .split_once("description: ")
            .and_then(|(_, d)| alert_code(d.trim_end_matches(')').trim()));
        Tls::Alert { level, description }
    } else {
        return None;
    })
}

/// Wireshark's alert description names (RFC 8446 §6) → codes.
fn alert_code(name: &str) -> Option<u8> {
    const NAMES: &[(&str, u8)] = &[
        ("close notify", 0),
        ("unexpected message", 10),
        ("bad record mac", 20),
        ("decryption failed", 21),
        ("record overflow", 22),
        ("decompression failure", 30),
        ("handshake failure", 40),
        ("no certificate", 41),
        ("bad certificate", 42),
        ("unsupported certificate", 43),
        ("certificate revoked", 44),
        ("certificate expired", 45),
        ("certificate unknown", 46),
        ("illegal parameter", 47),
        ("unknown ca", 48),
        ("access denied", 49),
        ("decode error", 50),
        ("decrypt error", 51),
        ("export restriction", 60),
        ("protocol version", 70),
        ("insufficient security", 71),
        ("internal error", 80),
        ("inappropriate fallback", 86),
        ("user canceled", 90),
        ("no renegotiation", 100),
        ("missing extension", 109),
        ("unsupported extension", 110),
        ("unrecognized name", 112),
        ("bad certificate status response", 113),
        ("unknown psk identity", 115),
        ("certificate required", 116),
        ("no application protocol", 120),
    ];
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// `Standard query 0xa5ae A proxy.lab`, `Standard query response 0xa5ae A proxy.lab A
/// 198.51.100.3`, `Standard query response 0x42ac Refused AAAA proxy.lab`, `... No such
/// name A x`.
fn dns_info(info: &str) -> Option<App> {
    let (response, rest) = if let Some(r) = info.strip_prefix("Standard query response ") {
        (true, r)
    } else if let Some(r) = info.strip_prefix("Standard query ") {
        (false, r)
    } else {
        return None;
    };
    let mut w = rest.split_whitespace().peekable();
    let id = u16::from_str_radix(w.next()?.trim_start_matches("0x"), 16).ok()?;
    let mut rcode = 0u8;
    const RCODES: &[(&str, u8)] = &[
        ("Format error", 1),
        ("Server failure", 2),
        ("No such name", 3),
        ("Not implemented", 4),
        ("Refused", 5),
    ];
    let mut tail: String = w.clone().collect::<Vec<_>>().join(" ");
    for (name, code) in RCODES {
        if let Some(t) = tail.strip_prefix(name) {
            rcode = *code;
            tail = t.trim_start().to_string();
        }
    }
    let mut w = tail.split_whitespace();
    let qtype = qtype_of(w.next()?)?;
    let name = w.next()?.to_string();
    if !response {
        return Some(App::DnsQuery { id, name, qtype });
    }
    let mut answers = Vec::new();
    let rest: Vec<&str> = w.collect();
    for pair in rest.windows(2) {
        if matches!(pair[0], "A" | "AAAA")
            && let Ok(a) = pair[1].trim_end_matches(',').parse()
        {
            answers.push(a);
        }
    }
    Some(App::DnsResponse {
        id,
        name,
        qtype,
        rcode,
        answers,
    })
}

fn qtype_of(s: &str) -> Option<u16> {
    Some(match s {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "PTR" => 12,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        "HTTPS" => 65,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(proto: &str, s: &str) -> Facts {
        let mut f = Facts {
            protocol: proto.into(),
            ..Facts::default()
        };
        read_info(&mut f, s);
        f
    }

    #[test]
    fn info_columns() {
        let f = info(
            "TCP",
            "51547 → 80 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0 MSS=536",
        );
        assert_eq!((f.sport, f.dport), (Some(51547), Some(80)));
        let t = f.tcp.unwrap();
        assert!(t.flags.syn && t.flags.ack && !t.flags.rst);
        assert_eq!((t.window, t.len, t.mss), (Some(65535), Some(0), Some(536)));
        let f = info(
            "TCP",
            "[TCP Retransmission] 36902 -> 8182 [SYN] Seq=0 Win=64240 Len=0",
        );
        assert!(f.tcp.unwrap().retransmission);
        assert_eq!(
            info("TLSv1.3", "Client Hello (SNI=smartreceiver.cisco.com)").app,
            Some(App::Tls(vec![Tls::ClientHello {
                sni: Some("smartreceiver.cisco.com".into())
            }]))
        );
        assert_eq!(
            tls_info("Server Hello, Change Cipher Spec, Application Data"),
            [
                Tls::ServerHello,
                Tls::ChangeCipherSpec,
                Tls::ApplicationData
            ]
        );
        assert_eq!(
            tls_info("Alert (Level: Fatal, Description: Unknown CA)"),
            [Tls::Alert {
                level: 2,
                description: Some(48)
            }]
        );
        assert_eq!(
            info(
                "HTTP",
                "HTTP/1.1 407 Proxy Authentication Required  (text/html)"
            )
            .app,
            Some(App::Response {
                version: "HTTP/1.1".into(),
                status: 407,
                reason: "Proxy Authentication Required".into()
            })
        );
        assert_eq!(
            info(
                "DNS",
                "Standard query response 0x42ac Refused AAAA proxy.lab"
            )
            .app,
            Some(App::DnsResponse {
                id: 0x42ac,
                name: "proxy.lab".into(),
                qtype: 28,
                rcode: 5,
                answers: vec![]
            })
        );
        let Some(App::DnsResponse { answers, .. }) = info(
            "DNS",
            "Standard query response 0xa5ae A proxy.lab A 198.51.100.3",
        )
        .app
        else {
            panic!()
        };
        assert_eq!(answers, ["198.51.100.3".parse::<IpAddr>().unwrap()]);
    }
}
