//! Step 1: DNS with hickory-resolver. Each name server is asked on its own, in order, as
//! IOS XE walks its `ip name-server` list, so the report says which server answered what
//! and how long it took. Results become the model's [`DnsExchange`]s, which the shared
//! diagnosis judges exactly as it judges DNS seen in a capture.

use super::ProbeConfig;
use crate::model::{DnsAnswer, DnsData, DnsExchange, DnsResponse};
use hickory_resolver::Resolver;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The name servers to ask: `--dns-server`, else the system's (resolv.conf).
pub fn name_servers(cfg: &ProbeConfig) -> Result<Vec<SocketAddr>, String> {
    if !cfg.dns_servers.is_empty() {
        return Ok(cfg.dns_servers.clone());
    }
    let (conf, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| format!("reading the system resolver configuration: {e}"))?;
    let mut out: Vec<SocketAddr> = conf
        .name_servers()
        .iter()
        .filter(|n| n.protocol == Protocol::Udp)
        .map(|n| n.socket_addr)
        .collect();
    out.dedup();
    if out.is_empty() {
        return Err("no name server configured: give one with --dns-server IP".into());
    }
    Ok(out)
}

/// The source address for queries to `server`: `--source-address`, or the address the
/// kernel picks on `--source-interface` toward that server (as `ip domain lookup
/// source-interface` sets the source of the switch's queries).
fn bind_addr(cfg: &ProbeConfig, server: SocketAddr) -> Option<SocketAddr> {
    if let Some(a) = cfg.source_address {
        return Some(SocketAddr::new(a, 0));
    }
    let iface = cfg
        .dns_source_interface
        .as_deref()
        .or(cfg.source_interface.as_deref())?;
    let domain = socket2::Domain::for_address(server);
    let s = socket2::Socket::new(domain, socket2::Type::DGRAM, None).ok()?;
    s.bind_device(Some(iface.as_bytes())).ok()?;
    s.connect(&server.into()).ok()?;
    let local = s.local_addr().ok()?.as_socket()?;
    Some(SocketAddr::new(local.ip(), 0))
}

fn answers(lookup: &hickory_resolver::lookup::Lookup) -> Vec<DnsAnswer> {
    lookup
        .records()
        .iter()
        .map(|r| DnsAnswer {
            name: r.name().to_utf8().trim_end_matches('.').to_string(),
            ttl: r.ttl(),
            data: match r.data() {
                RData::A(a) => DnsData::A(IpAddr::V4(a.0)),
                RData::AAAA(a) => DnsData::Aaaa(IpAddr::V6(a.0)),
                RData::CNAME(c) => DnsData::Cname(c.0.to_utf8().trim_end_matches('.').into()),
                other => DnsData::Other(u16::from(other.record_type())),
            },
        })
        .collect()
}

/// Resolves `name` (A and AAAA) server by server until one gives a usable answer
/// (addresses, or an authoritative "does not exist"). Returns every exchange and the
/// addresses, IPv4 first.
pub async fn resolve(
    name: &str,
    cfg: &ProbeConfig,
    servers: &[SocketAddr],
    licensing: bool,
) -> (Vec<DnsExchange>, Vec<IpAddr>) {
    let mut exchanges = Vec::new();
    let mut addrs: Vec<IpAddr> = Vec::new();
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    for &server in servers {
        let bind = bind_addr(cfg, server);
        let mut ns = NameServerConfig::new(server, Protocol::Udp);
        ns.bind_addr = bind;
        ns.trust_negative_responses = true;
        let mut opts = ResolverOpts::default();
        opts.timeout = cfg.timeouts.dns;
        opts.attempts = 1;
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.ndots = 0;
        opts.try_tcp_on_error = true;
        let resolver = Resolver::builder_with_config(
            ResolverConfig::from_parts(None, vec![], vec![ns]),
            TokioConnectionProvider::default(),
        )
        .with_options(opts)
        .build();
        let client = bind.unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        let start = super::now_ns();
        let (a, aaaa) = tokio::join!(
            async {
                let r = resolver.lookup(fqdn.as_str(), RecordType::A).await;
                (r, super::now_ns())
            },
            async {
                let r = resolver.lookup(fqdn.as_str(), RecordType::AAAA).await;
                (r, super::now_ns())
            }
        );
        let mut conclusive = false;
        for (qtype, (result, at)) in [("A", a), ("AAAA", aaaa)] {
            let response = match result {
                Ok(lookup) => {
                    let ans = answers(&lookup);
                    for a in &ans {
                        if let DnsData::A(ip) | DnsData::Aaaa(ip) = a.data
                            && !addrs.contains(&ip)
                        {
                            addrs.push(ip);
                        }
                    }
                    conclusive = true;
                    Some(DnsResponse {
                        frame: None,
                        time_ns: at,
                        rcode: "NOERROR".into(),
                        answers: ans,
                    })
                }
                Err(e) => match e.proto().map(|p| p.kind()) {
                    Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => {
                        let rcode =
                            crate::wire::dns::rcode_name(u16::from(*response_code).min(255) as u8);
                        conclusive |= rcode == "NXDOMAIN";
                        Some(DnsResponse {
                            frame: None,
                            time_ns: at,
                            rcode,
                            answers: vec![],
                        })
                    }
                    _ => None,
                },
            };
            exchanges.push(DnsExchange {
                client,
                server,
                id: 0,
                name: name.to_string(),
                qtype: qtype.into(),
                transport: "udp".into(),
                query_frame: None,
                query_ns: start,
                retries: 0,
                response,
                // hickory's UDP client does not surface ICMP errors: a refused query ends
                // as a timeout here; a capture of it shows the ICMP.
                unreachable: None,
                licensing,
            });
        }
        if conclusive {
            break;
        }
    }
    addrs.sort_by_key(|a| a.is_ipv6());
    (exchanges, addrs)
}
