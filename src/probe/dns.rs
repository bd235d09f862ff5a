//! Step 1: DNS as the switch does it. The name servers are asked in order, as IOS XE walks
//! its `ip name-server` list; each A and AAAA query is waited for `--dns-timeout` seconds
//! (IOS XE `ip domain timeout`, 3 by default) and asked again up to `--dns-retry` times
//! (`ip domain retry`, 2 by default), so one lost first packet (ARP on a slow path) costs
//! a retry here as it does on the switch, and the report says on which try the answer
//! came. Queries leave from `--source-interface` / `--dns-source-interface` (as `ip domain
//! lookup source-interface`), over UDP, with a TCP retry when the answer is truncated.
//!
//! The query is built with hickory-proto; what comes back is decoded by the capture
//! analyser's own decoder (`wire::dns`), so a datagram that is not a usable answer — not
//! DNS, cut short, longer than RFC 1035 allows over UDP — is recorded as what it was
//! instead of as silence. Results are the model's [`DnsExchange`]s, judged by the shared
//! diagnosis exactly as DNS seen in a capture.

use super::ProbeConfig;
use super::error::ProbeError;
use crate::model::{DnsExchange, DnsResponse, DnsTransport, DnsType, ResolverOrigin};
use crate::wire::dns::{DnsError, DnsMessage, parse_dns_message};
use hickory_resolver::proto::op::{Message, Query};
use hickory_resolver::proto::rr::{Name, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// IOS XE's `ip domain timeout` default.
pub const SWITCH_DNS_TIMEOUT: Duration = Duration::from_secs(3);
/// IOS XE's `ip domain retry` default: a query is asked up to three times.
pub const SWITCH_DNS_RETRY: u32 = 2;
/// A UDP answer without EDNS (the probe sends none, like the switch) is at most 512 bytes
/// (RFC 1035 §4.2.1); longer ones are refused as oversized.
const MAX_UDP_ANSWER: usize = 512;
/// A DNS message over TCP is at most 65,535 bytes (RFC 1035 §4.2.2).
const MAX_TCP_ANSWER: usize = 65_535;
/// Answer records the capture decoder keeps at most (`wire::dns`).
const MAX_ANSWERS_READ: usize = 32;
/// Datagrams read per try at most (answers to other queries, junk): bounds the work a
/// hostile server can cause.
const MAX_DATAGRAMS_PER_TRY: usize = 64;

/// Where the name servers come from: `--dns-server` or the switch's `ip name-server`
/// when given, else this host's resolv.conf.
pub fn resolver_origin(cfg: &ProbeConfig) -> ResolverOrigin {
    if cfg.dns_servers.is_empty() {
        ResolverOrigin::ResolvConf
    } else {
        cfg.dns_servers_origin
    }
}

/// The name servers to ask: `--dns-server` (or the switch's), else this host's
/// (`cfg.resolv_conf`, read here and parsed by hickory's pure parser).
pub fn name_servers(cfg: &ProbeConfig) -> Result<Vec<SocketAddr>, ProbeError> {
    if !cfg.dns_servers.is_empty() {
        return Ok(cfg.dns_servers.clone());
    }
    let conf = this_hosts_resolver(&cfg.resolv_conf)?;
    let mut out: Vec<SocketAddr> = conf
        .name_servers()
        .iter()
        .filter(|n| n.protocol == Protocol::Udp)
        .map(|n| n.socket_addr)
        .collect();
    out.dedup();
    if out.is_empty() {
        return Err(ProbeError::NoNameServer);
    }
    Ok(out)
}

/// This host's resolver configuration: resolv.conf (read here, parsed by hickory's pure
/// parser) on Unix.
#[cfg(unix)]
fn this_hosts_resolver(
    path: &std::path::Path,
) -> Result<hickory_resolver::config::ResolverConfig, ProbeError> {
    let text = std::fs::read(path)
        .map_err(|e| ProbeError::ResolverConfig(format!("{}: {e}", path.display())))?;
    hickory_resolver::system_conf::parse_resolv_conf(&text)
        .map(|(conf, _)| conf)
        .map_err(|e| ProbeError::ResolverConfig(format!("{}: {e}", path.display())))
}

/// Elsewhere (Windows) hickory reads the system's own resolver settings; no resolv.conf.
#[cfg(not(unix))]
fn this_hosts_resolver(
    _path: &std::path::Path,
) -> Result<hickory_resolver::config::ResolverConfig, ProbeError> {
    hickory_resolver::system_conf::read_system_conf()
        .map(|(conf, _)| conf)
        .map_err(|e| {
            ProbeError::ResolverConfig(format!(
                "this host's resolver settings: {e} (give --dns-server IP)"
            ))
        })
}

/// A query for `name` (A or AAAA), recursion desired, no EDNS: what the switch sends.
pub fn build_query(id: u16, name: &str, qtype: RecordType) -> Result<Vec<u8>, ProbeError> {
    let bad = |e: hickory_resolver::proto::ProtoError| ProbeError::BadName {
        name: name.to_string(),
        why: e.to_string(),
    };
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    let qname = Name::from_ascii(&fqdn).map_err(bad)?;
    let mut m = Message::new();
    m.set_id(id).set_recursion_desired(true);
    m.add_query(Query::query(qname, qtype));
    m.to_vec().map_err(bad)
}

/// What one datagram (or TCP message) is, as the answer to query `id` for `qtype`. Each
/// socket asks one question, so anything else that arrives on it is reported. Pure.
#[derive(Debug, PartialEq, Eq)]
pub enum Reading {
    /// Our answer; `truncated` when the TC bit says there is more (RFC 1035 §4.1.1).
    Answer { msg: DnsMessage, truncated: bool },
    /// Something came back that is no usable answer: what it was.
    Unusable(String),
}

/// A DNS header is 12 bytes (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;

pub fn read_answer(id: u16, qtype: u16, bytes: &[u8], limit: usize) -> Reading {
    let n = bytes.len();
    let unusable = |what: String| Reading::Unusable(what);
    if n > limit {
        return unusable(format!(
            "an oversized answer ({n} bytes, more than the {limit} RFC 1035 allows here)"
        ));
    }
    let (Some(header), true) = (bytes.get(..HEADER_LEN), n >= HEADER_LEN) else {
        return unusable(format!(
            "a truncated message ({n} bytes, shorter than a DNS header)"
        ));
    };
    let got_id = u16::from_be_bytes([header[0], header[1]]);
    let truncated = header[2] & 0x02 != 0;
    let ancount = usize::from(u16::from_be_bytes([header[6], header[7]]));
    let msg = match parse_dns_message(bytes) {
        Ok(msg) => msg,
        Err(DnsError::Truncated) => {
            return unusable(format!(
                "a truncated message ({n} bytes, it ends inside the question)"
            ));
        }
        Err(DnsError::BadName) => {
            return unusable(format!(
                "a malformed answer ({n} bytes, a name that cannot be decoded)"
            ));
        }
        Err(DnsError::NoQuestion) => {
            return unusable(format!(
                "a malformed answer ({n} bytes, no question section)"
            ));
        }
    };
    if !msg.is_response {
        return unusable(format!("a DNS query instead of an answer ({n} bytes)"));
    }
    if got_id != id {
        return unusable(format!(
            "an answer to a query not asked (id {got_id:#06x}, asked {id:#06x})"
        ));
    }
    if msg.qtype != qtype {
        return unusable(format!(
            "an answer to another question ({} type {})",
            msg.qname, msg.qtype
        ));
    }
    // The decoder keeps the records it could read; fewer than announced means the
    // message was cut inside the answer section (the capture decoder's leniency).
    if msg.answers.len() < ancount.min(MAX_ANSWERS_READ) && !truncated {
        return unusable(format!(
            "a truncated message ({n} bytes, {ancount} answers announced, {} present)",
            msg.answers.len()
        ));
    }
    Reading::Answer { msg, truncated }
}

/// The interface DNS leaves from: `ip domain lookup source-interface`, else the sessions'.
fn dns_interface(cfg: &ProbeConfig) -> Option<&str> {
    cfg.dns_source_interface
        .as_deref()
        .or(cfg.source_interface.as_deref())
}

/// A UDP socket toward `server`, bound as the switch's lookups are.
fn udp_socket(cfg: &ProbeConfig, server: SocketAddr) -> Result<tokio::net::UdpSocket, ProbeError> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(server),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .map_err(|e| ProbeError::socket("creating a DNS socket", e))?;
    if let Some(dev) = dns_interface(cfg) {
        super::session::bind_to_device(&s, dev)
            .map_err(|e| ProbeError::socket(format!("binding DNS to interface {dev}"), e))?;
    }
    let local = match (cfg.source_address, server) {
        (Some(a), _) => SocketAddr::new(a, 0),
        (None, SocketAddr::V4(_)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        (None, SocketAddr::V6(_)) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    s.bind(&local.into())
        .map_err(|e| ProbeError::socket(format!("binding DNS to {local}"), e))?;
    s.connect(&server.into())
        .map_err(|e| ProbeError::socket(format!("sending DNS to {server}"), e))?;
    s.set_nonblocking(true)
        .map_err(|e| ProbeError::socket("setting the DNS socket non-blocking", e))?;
    tokio::net::UdpSocket::from_std(s.into())
        .map_err(|e| ProbeError::socket("registering the DNS socket", e))
}

/// The same question over TCP (RFC 1035 §4.2.2, RFC 7766), after a truncated UDP answer.
async fn ask_over_tcp(
    cfg: &ProbeConfig,
    server: SocketAddr,
    query: &[u8],
) -> Result<Vec<u8>, ProbeError> {
    let io = |source| ProbeError::Io {
        doing: "DNS over TCP",
        source,
    };
    // Bound like the UDP queries: `ip domain lookup source-interface` first.
    let dns_cfg = ProbeConfig {
        source_interface: dns_interface(cfg).map(str::to_string),
        ..cfg.clone()
    };
    let work = async {
        let sock = super::session::bound_socket(&dns_cfg, server)?;
        let mut s = sock.connect(server).await.map_err(io)?;
        // A query is a few dozen bytes: the length always fits.
        let len = u16::try_from(query.len()).unwrap_or(u16::MAX);
        let mut framed = len.to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        s.write_all(&framed).await.map_err(io)?;
        let mut len = [0u8; 2];
        s.read_exact(&mut len).await.map_err(io)?;
        // At most MAX_TCP_ANSWER by construction (a u16 length).
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut msg).await.map_err(io)?;
        Ok(msg)
    };
    tokio::time::timeout(cfg.timeouts.dns, work)
        .await
        .map_err(|_| ProbeError::Timeout {
            waiting_for: "DNS answer over TCP",
            after: cfg.timeouts.dns,
        })?
}

/// A query id: varies per query (a spoofed answer must guess it, RFC 5452), no RNG needed
/// for a diagnostic tool.
fn query_id(salt: u16) -> u16 {
    let t = super::now_ns();
    ((t ^ (t >> 16) ^ (t >> 32)) as u16) ^ salt
}

/// One question (A or AAAA) to one server, asked up to `1 + dns_retry` times.
async fn exchange(
    cfg: &ProbeConfig,
    server: SocketAddr,
    name: &str,
    qtype: RecordType,
    licensing: bool,
) -> Result<DnsExchange, ProbeError> {
    let qcode = u16::from(qtype);
    let id = query_id(qcode);
    let query = build_query(id, name, qtype)?;
    let sock = udp_socket(cfg, server)?;
    let client = sock
        .local_addr()
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    let mut ex = DnsExchange {
        client,
        server,
        id,
        name: name.to_string(),
        qtype: DnsType(qcode),
        transport: DnsTransport::Udp,
        query_frame: None,
        query_ns: super::now_ns(),
        retries: 0,
        response: None,
        unreachable: None,
        unusable_answer: None,
        licensing,
    };
    let mut buf = vec![0u8; MAX_UDP_ANSWER * 8 + 1];
    'tries: for try_no in 0..=cfg.dns_retry {
        ex.retries = try_no;
        if let Err(e) = sock.send(&query).await {
            ex.unreachable = Some(unreachable(server, &e));
            break;
        }
        let deadline = Instant::now() + cfg.timeouts.dns;
        for _ in 0..MAX_DATAGRAMS_PER_TRY {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = match tokio::time::timeout(left, sock.recv(&mut buf)).await {
                Err(_) => continue 'tries,
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    ex.unreachable = Some(unreachable(server, &e));
                    break 'tries;
                }
            };
            let at = super::now_ns();
            match read_answer(id, qcode, buf.get(..n).unwrap_or_default(), MAX_UDP_ANSWER) {
                Reading::Unusable(what) => {
                    ex.unusable_answer = Some(format!("{what} from {server}"));
                }
                Reading::Answer {
                    msg,
                    truncated: false,
                } => {
                    ex.response = Some(response(&msg, at));
                    break 'tries;
                }
                Reading::Answer {
                    msg,
                    truncated: true,
                } => {
                    ex.response = Some(response(&msg, at));
                    match ask_over_tcp(cfg, server, &query).await {
                        Ok(bytes) => match read_answer(id, qcode, &bytes, MAX_TCP_ANSWER) {
                            Reading::Answer { msg, .. } => {
                                ex.transport = DnsTransport::Tcp;
                                ex.response = Some(response(&msg, super::now_ns()));
                            }
                            Reading::Unusable(what) => {
                                ex.unusable_answer = Some(format!("{what} over TCP from {server}"));
                            }
                        },
                        Err(e) => {
                            ex.unusable_answer =
                                Some(format!("no answer over TCP from {server}: {e}"));
                        }
                    }
                    break 'tries;
                }
            }
        }
        // Flooded with datagrams that are not our answer: stop asking this server.
        ex.unusable_answer.get_or_insert_with(|| {
            format!("{MAX_DATAGRAMS_PER_TRY} datagrams that are no usable answer from {server}")
        });
        break;
    }
    Ok(ex)
}

/// A connected UDP socket reports the ICMP error of an earlier datagram on the next call:
/// port unreachable as "connection refused", host or network unreachable as such.
fn unreachable(server: SocketAddr, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            format!("ICMP port unreachable from {}", server.ip())
        }
        _ => format!("{e} (toward {server})"),
    }
}

fn response(msg: &DnsMessage, at: i64) -> DnsResponse {
    DnsResponse {
        frame: None,
        time_ns: at,
        rcode: crate::model::DnsRcode(msg.rcode),
        answers: msg.answers.clone(),
        truncated: msg.truncated,
    }
}

/// Resolves `name` (A and AAAA at once) server by server until one gives a usable answer
/// (addresses, or an authoritative "does not exist"). Returns every exchange, the
/// addresses (IPv4 first), and what stopped a server from being asked (local errors).
pub async fn resolve(
    name: &str,
    cfg: &ProbeConfig,
    servers: &[SocketAddr],
    licensing: bool,
) -> (Vec<DnsExchange>, Vec<IpAddr>, Vec<ProbeError>) {
    let mut exchanges = Vec::new();
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut errors = Vec::new();
    for &server in servers {
        let (a, aaaa) = tokio::join!(
            exchange(cfg, server, name, RecordType::A, licensing),
            exchange(cfg, server, name, RecordType::AAAA, licensing),
        );
        let mut conclusive = false;
        for ex in [a, aaaa] {
            let ex = match ex {
                Ok(ex) => ex,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if let Some(r) = &ex.response {
                for a in &r.answers {
                    if let crate::model::DnsData::A(ip) | crate::model::DnsData::Aaaa(ip) = a.data
                        && !addrs.contains(&ip)
                    {
                        addrs.push(ip);
                    }
                }
                conclusive |= r.rcode == crate::model::DnsRcode::NXDOMAIN || !addrs.is_empty();
            }
            exchanges.push(ex);
        }
        if conclusive {
            break;
        }
    }
    addrs.sort_by_key(|a| a.is_ipv6());
    (exchanges, addrs, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DnsAnswer, DnsData};

    fn answer(id: u16, qtype: u16, tc: bool, a: Option<[u8; 4]>) -> Vec<u8> {
        let mut m = build_query(id, "smartreceiver.cisco.com", RecordType::from(qtype)).unwrap();
        m[2] |= 0x80 | if tc { 0x02 } else { 0 };
        m[3] |= 0x80;
        if let Some(ip) = a {
            m[7] = 1;
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.extend_from_slice(&ip);
        }
        m
    }

    #[test]
    fn answers_are_read_by_the_capture_decoder() {
        let r = read_answer(7, 1, &answer(7, 1, false, Some([192, 0, 2, 1])), 512);
        let Reading::Answer { msg, truncated } = r else {
            panic!("{r:?}")
        };
        assert!(!truncated);
        assert_eq!(
            msg.answers,
            vec![DnsAnswer {
                name: "smartreceiver.cisco.com".into(),
                ttl: 60,
                data: DnsData::A("192.0.2.1".parse().unwrap()),
            }]
        );
        assert!(matches!(
            read_answer(7, 1, &answer(7, 1, true, None), 512),
            Reading::Answer {
                truncated: true,
                ..
            }
        ));
    }

    #[test]
    fn what_is_not_an_answer_is_said() {
        let unusable = |r: Reading| match r {
            Reading::Unusable(what) => what,
            r => panic!("{r:?}"),
        };
        assert_eq!(
            unusable(read_answer(7, 1, &answer(8, 1, false, None), 512)),
            "an answer to a query not asked (id 0x0008, asked 0x0007)"
        );
        assert_eq!(
            unusable(read_answer(7, 28, &answer(7, 1, false, None), 512)),
            "an answer to another question (smartreceiver.cisco.com type 1)"
        );
        let query = build_query(7, "h", RecordType::A).unwrap();
        assert_eq!(
            unusable(read_answer(7, 1, &query, 512)),
            "a DNS query instead of an answer (19 bytes)"
        );
        assert_eq!(
            unusable(read_answer(7, 1, b"\x00\x07garbage", 512)),
            "a truncated message (9 bytes, shorter than a DNS header)"
        );
        let full = answer(7, 1, false, Some([192, 0, 2, 1]));
        assert_eq!(
            unusable(read_answer(7, 1, &full[..20], 512)),
            "a truncated message (20 bytes, it ends inside the question)"
        );
        let cut = full.len() - 3;
        assert_eq!(
            unusable(read_answer(7, 1, &full[..cut], 512)),
            format!("a truncated message ({cut} bytes, 1 answers announced, 0 present)")
        );
        let mut big = full.clone();
        big.resize(600, 0);
        assert_eq!(
            unusable(read_answer(7, 1, &big, 512)),
            "an oversized answer (600 bytes, more than the 512 RFC 1035 allows here)"
        );
        let mut no_q = full.clone();
        no_q[5] = 0;
        assert_eq!(
            unusable(read_answer(7, 1, &no_q, 512)),
            "a malformed answer (57 bytes, no question section)"
        );
    }
}
