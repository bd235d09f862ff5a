//! The live probe: DNS → TCP → HTTP CONNECT → TLS → HTTP toward a licensing endpoint,
//! done from this host as the switch does it. It builds the same [`Timeline`] the capture
//! analyser builds — its bytes go through the analyser's decoders — and the same
//! `diagnose` rules judge it, so a probe and a capture of the same failure give the same
//! finding codes.

#[cfg(feature = "live-capture")]
pub mod capture;
pub mod dns;
pub mod error;
pub mod session;
pub mod target;
pub mod verifier;

use crate::diagnose::cert::switch_rejects;
use crate::diagnose::{DiagnoseConfig, diagnose};
use crate::flow::summary::summarize_connection;
use crate::flow::{AnalyzeConfig, LICENSING_NAMES};
use crate::model::reach::{self, Reach};
use crate::model::trust::TrustProfile;
use crate::model::url::{Credentials, ProxyAddr, Scheme, Url, shown};
use crate::model::*;
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use target::{Target, TrustKind};

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Per-step time limits. Each step is bounded; the whole run is bounded by their sum (DNS:
/// `dns` per try, `1 + dns_retry` tries per name server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub dns: Duration,
    pub tcp: Duration,
    pub proxy: Duration,
    pub tls: Duration,
    pub http: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            dns: dns::SWITCH_DNS_TIMEOUT,
            tcp: Duration::from_secs(10),
            proxy: Duration::from_secs(15),
            tls: Duration::from_secs(10),
            http: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// `--dns-server` (or the configuration's `ip name-server`), in order; empty: this
    /// host's name servers (`resolv_conf`).
    pub dns_servers: Vec<SocketAddr>,
    /// Where a non-empty `dns_servers` came from (for the report's vantage).
    pub dns_servers_origin: ResolverOrigin,
    /// This host's resolver configuration, read when `dns_servers` is empty.
    pub resolv_conf: std::path::PathBuf,
    /// The probe imitates the switch's configuration (`--from-config`): fixes may then be
    /// worded for the switch.
    pub imitates_switch: bool,
    /// `--resolve HOST=IP`: static entries, like `ip host`; they win over `ip_hosts`.
    pub resolve: Vec<(String, IpAddr)>,
    /// `ip host NAME IP` entries of the switch's configuration (`--from-config`).
    pub ip_hosts: Vec<(String, IpAddr)>,
    pub source_interface: Option<String>,
    pub source_address: Option<IpAddr>,
    /// Where DNS queries leave from when it differs from `source_interface` (`ip domain
    /// lookup source-interface`).
    pub dns_source_interface: Option<String>,
    /// `--proxy HOST:PORT` or the switch's proxy (its credentials are
    /// `proxy_credentials`').
    pub proxy: Option<ProxyAddr>,
    /// `--proxy-user` or the userinfo of `--proxy`: sent as `Proxy-Authorization: Basic`
    /// for testing a proxy; never printed (the switch itself cannot authenticate).
    pub proxy_credentials: Option<Credentials>,
    pub timeouts: Timeouts,
    /// `--dns-retry`: how many times an unanswered query is asked again (IOS XE `ip domain
    /// retry`, 2 by default).
    pub dns_retry: u32,
    pub tls_max_12: bool,
    /// Step 5: a GET inside the TLS session.
    pub http: bool,
    /// `--accept-any-cert`: finish the handshake whatever the chain (the switch would
    /// not); the findings are the same, the wire differs.
    pub accept_any_cert: bool,
    /// Step 6: fetch the chain's CRL / OCSP URLs over the same path.
    pub revocation: bool,
    /// `--revocation-any-chain`: step 6 also for a chain the switch refuses.
    pub revocation_any_chain: bool,
    /// How far step 6 may reach (`--revocation-allow-private`: [`Reach::Any`]).
    pub revocation_reach: Reach,
}

impl Default for ProbeConfig {
    /// The switch's defaults: system name servers, no proxy, no binding, every step.
    fn default() -> Self {
        ProbeConfig {
            dns_servers: Vec::new(),
            dns_servers_origin: ResolverOrigin::DnsServer,
            resolv_conf: std::path::PathBuf::from(RESOLV_CONF),
            imitates_switch: false,
            resolve: Vec::new(),
            ip_hosts: Vec::new(),
            source_interface: None,
            source_address: None,
            dns_source_interface: None,
            proxy: None,
            proxy_credentials: None,
            timeouts: Timeouts::default(),
            dns_retry: dns::SWITCH_DNS_RETRY,
            tls_max_12: false,
            http: false,
            accept_any_cert: false,
            revocation: false,
            revocation_any_chain: false,
            revocation_reach: Reach::Public,
        }
    }
}

/// This host's resolver configuration (resolv.conf(5)).
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The name servers, or why none can be asked (shared by concurrent fetches).
type NameServers = Result<Vec<SocketAddr>, Arc<error::ProbeError>>;

/// Revocation URLs fetched per target at most (a chain lists a few; hostile ones more).
const MAX_REVOCATION_FETCHES: usize = 4;

/// The static entry for `name`, if any: `--resolve` first, then the configuration's `ip
/// host` (a flag given for a test overrides what the switch has).
fn static_entry(name: &str, cfg: &ProbeConfig) -> Option<StaticHost> {
    [
        (&cfg.resolve, StaticOrigin::ResolveFlag),
        (&cfg.ip_hosts, StaticOrigin::IpHost),
    ]
    .into_iter()
    .find_map(|(entries, origin)| {
        let addresses: Vec<IpAddr> = entries
            .iter()
            .filter(|(h, _)| h.eq_ignore_ascii_case(name))
            .map(|(_, ip)| *ip)
            .collect();
        (!addresses.is_empty()).then(|| StaticHost {
            name: name.to_string(),
            addresses,
            origin,
        })
    })
}

/// How addresses for a name were found: a literal, a static entry (recorded in `statics`,
/// no query), or DNS (the exchanges in `dns_out`).
async fn addresses(
    name: &str,
    cfg: &ProbeConfig,
    servers: &NameServers,
    licensing: bool,
    dns_out: &mut Vec<DnsExchange>,
    statics: &mut Vec<StaticHost>,
    notes: &mut Vec<EventKind>,
) -> Vec<IpAddr> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return vec![ip];
    }
    if let Some(entry) = static_entry(name, cfg) {
        notes.push(note(match entry.origin {
            StaticOrigin::ResolveFlag => {
                format!("{name}: address from --resolve (like 'ip host'), no DNS query")
            }
            StaticOrigin::IpHost => {
                format!("{name}: address from 'ip host' in the configuration, no DNS query")
            }
        }));
        let addrs = entry.addresses.clone();
        if !statics.contains(&entry) {
            statics.push(entry);
        }
        return addrs;
    }
    match servers {
        Ok(servers) => {
            let (ex, addrs, errors) = dns::resolve(name, cfg, servers, licensing).await;
            dns_out.extend(ex);
            for e in errors {
                notes.push(dns_failure(&e, format!("{name}: DNS query not sent: {e}")));
            }
            addrs
        }
        Err(e) => {
            notes.push(dns_failure(e, format!("{name}: not resolved: {e}")));
            Vec::new()
        }
    }
}

/// The revocation URLs step 6 may consider: those of the chains the switch would accept
/// (it never checks revocation of a chain it refused), or of every chain under
/// `--revocation-any-chain`. What is left out is said in `notes`.
fn urls_to_fetch(
    licensing: &[Connection],
    cfg: &ProbeConfig,
    judge: &DiagnoseConfig,
    host: &str,
    notes: &mut Vec<EventKind>,
) -> Vec<String> {
    let mut out = BTreeMap::new();
    let mut refused = BTreeMap::new();
    for c in licensing {
        for e in &c.events {
            let EventKind::TlsCertificate { certificates } = &e.kind else {
                continue;
            };
            let why = switch_rejects(certificates, Some(host), e.time_ns, judge)
                .filter(|_| !cfg.revocation_any_chain);
            let urls = certificates
                .iter()
                .flat_map(|c| c.crl_urls.iter().chain(&c.ocsp_urls));
            for u in urls {
                match why {
                    None => {
                        out.insert(u.clone(), ());
                    }
                    Some(code) => {
                        refused.insert(u.clone(), code);
                    }
                }
            }
        }
    }
    let refused: Vec<_> = refused
        .iter()
        .filter(|(u, _)| !out.contains_key(*u))
        .collect();
    if refused.len() > MAX_REVOCATION_FETCHES {
        notes.push(note(format!(
            "{} revocation URL(s) of a chain the switch refuses not fetched",
            refused.len()
        )));
    }
    for (u, code) in refused.into_iter().take(MAX_REVOCATION_FETCHES) {
        notes.push(note(format!(
            "revocation URL {} not fetched: it comes with a chain the switch refuses ({}), and a switch checks revocation only for a chain it accepts (--revocation-any-chain fetches it)",
            shown(u),
            code.as_str()
        )));
    }
    out.into_keys().collect()
}

/// Why a revocation URL is not fetched, said after "revocation URL U not fetched: ".
#[derive(Debug, thiserror::Error)]
enum NotFetched {
    #[error("only http:// is")]
    NotHttp,
    #[error("refused as malformed: {0}")]
    Malformed(crate::model::url::UrlError),
    #[error("{0} (--revocation-allow-private fetches it)")]
    Outside(reach::Refused),
}

/// The request for a revocation URL, or why it is not made: malformed, not `http://`, or
/// outside the allow-list (`model::reach`) before any lookup.
fn revocation_request(url: &str, cfg: &ProbeConfig) -> Result<(Target, Reach), NotFetched> {
    // The server chose these URLs: one that cannot be written safely on a request line
    // is reported, never fetched.
    let parsed = match Url::parse(url) {
        Ok(u) if u.scheme() == Scheme::Http => u,
        Ok(_) => return Err(NotFetched::NotHttp),
        Err(e) => return Err(NotFetched::Malformed(e)),
    };
    let reach = match cfg.revocation_reach {
        // `ip host` in the switch's configuration: its CRL host is internal.
        Reach::Public
            if cfg
                .ip_hosts
                .iter()
                .any(|(h, _)| h.eq_ignore_ascii_case(parsed.host())) =>
        {
            Reach::Internal
        }
        r => r,
    };
    reach::check_url(&parsed, reach).map_err(NotFetched::Outside)?;
    let target = Target {
        label: parsed.to_string(),
        url: parsed.without_credentials(),
        trust: TrustKind::None,
    };
    Ok((target, reach))
}

fn note(text: String) -> EventKind {
    EventKind::ProbeNote { text }
}

/// A DNS step that could not be done, with whose fault it is.
fn dns_failure(e: &error::ProbeError, detail: String) -> EventKind {
    EventKind::ProbeFailure {
        blame: e.blame(),
        step: Step::Dns,
        detail,
    }
}

/// Step 6: the chain's CRL distribution points and OCSP responders, fetched with a bounded
/// GET over the same path (source binding, DNS servers, proxy) as the switch would, all at
/// once. Only URLs [`urls_to_fetch`] keeps and the allow-list passes are fetched, and
/// only to an address that passes it too (the one connected to is one that was checked).
/// The connections come back for the shared rules (`diagnose::revocation`).
#[allow(clippy::too_many_arguments)]
async fn revocation_fetches(
    licensing: &[Connection],
    target_host: &str,
    cfg: &Arc<ProbeConfig>,
    servers: &NameServers,
    judge: &Arc<DiagnoseConfig>,
    dns_out: &mut Vec<DnsExchange>,
    statics_out: &mut Vec<StaticHost>,
    notes: &mut Vec<EventKind>,
) -> Vec<Connection> {
    let urls = urls_to_fetch(licensing, cfg, judge, target_host, notes);
    let mut set = tokio::task::JoinSet::new();
    let mut next_id = licensing.iter().map(|c| c.id).max().unwrap_or(0) + 1;
    if urls.len() > MAX_REVOCATION_FETCHES {
        notes.push(note(format!(
            "{} more revocation URL(s) not fetched: at most {MAX_REVOCATION_FETCHES} per target",
            urls.len() - MAX_REVOCATION_FETCHES
        )));
    }
    for url in urls.iter().take(MAX_REVOCATION_FETCHES) {
        let (t, reach) = match revocation_request(url, cfg) {
            Ok(r) => r,
            Err(why) => {
                notes.push(note(format!(
                    "revocation URL {} not fetched: {why}",
                    shown(url)
                )));
                continue;
            }
        };
        let (cfg, servers, judge, id) = (cfg.clone(), servers.clone(), judge.clone(), next_id);
        next_id += 1;
        // Each URL resolves and connects on its own: the step costs one fetch, not the sum.
        set.spawn(async move {
            let (connect_host, connect_port, via_proxy) = first_hop(&cfg, &t);
            let (mut dns, mut statics, mut notes) = (Vec::new(), Vec::new(), Vec::new());
            let addrs = addresses(
                &connect_host,
                &cfg,
                &servers,
                false,
                &mut dns,
                &mut statics,
                &mut notes,
            )
            .await;
            // Through a proxy the first hop is the proxy the user named; the proxy
            // resolves the URL's host (what can be judged without it was, above).
            let checked = addrs.iter().map(|ip| {
                if via_proxy {
                    Ok(*ip)
                } else {
                    reach::check_address(*ip, reach).map(|_| *ip)
                }
            });
            let (allowed, refused): (Vec<_>, Vec<_>) = checked.partition(|r| r.is_ok());
            // One address is enough to say whether the URL can be fetched.
            let conn = match allowed.first() {
                Some(Ok(ip)) => {
                    let addr = SocketAddr::new(*ip, connect_port);
                    Some(session::attempt(id, addr, &cfg, &t, via_proxy, &judge).await)
                }
                _ => {
                    if let Some(Err(e)) = refused.first() {
                        notes.push(note(format!(
                            "revocation URL {} not fetched: {} resolves only to refused addresses: {e} (--revocation-allow-private fetches it)",
                            t.label,
                            t.host()
                        )));
                    }
                    None
                }
            };
            (dns, statics, notes, conn)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok((dns, statics, n, conn)) = r {
            dns_out.extend(dns);
            for s in statics {
                if !statics_out.contains(&s) {
                    statics_out.push(s);
                }
            }
            notes.extend(n);
            out.extend(conn);
        }
    }
    out.sort_by_key(|c| c.id);
    dns_out.sort_by_key(|d| d.query_ns);
    out
}

/// Where the TCP connection goes (host, port) and whether that is the proxy.
fn first_hop(cfg: &ProbeConfig, target: &Target) -> (String, u16, bool) {
    match &cfg.proxy {
        Some(p) => (p.host.clone(), p.port, true),
        None => (target.host().to_string(), target.port(), false),
    }
}

/// The trust profile that judges `target`'s chain.
pub fn profile_for(target: &Target, device: &TrustProfile) -> TrustProfile {
    match target.trust {
        TrustKind::Mozilla => TrustProfile::mozilla(),
        TrustKind::IosXe | TrustKind::None => device.clone(),
    }
}

/// Probes one target over every address it resolves to (concurrently) and diagnoses the
/// result with the shared rules. `device` is how the switch judges chains (its trust
/// profile, `--ca-file`); a target with its own trust kind swaps the profile.
pub async fn probe_target(
    target: &Target,
    cfg: Arc<ProbeConfig>,
    device: &DiagnoseConfig,
    now_unix: i64,
) -> Timeline {
    let start = now_ns();
    let mut dns_ex = Vec::new();
    let mut statics = Vec::new();
    let mut notes = Vec::new();
    let servers = dns::name_servers(&cfg).map_err(Arc::new);
    let licensing_names: Vec<String> = LICENSING_NAMES
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once(target.host().to_string()))
        .collect();
    let (connect_host, connect_port, via_proxy) = first_hop(&cfg, target);
    if let (true, Some(cred)) = (via_proxy, &cfg.proxy_credentials) {
        notes.push(note(format!(
            "proxy credentials {cred} are for testing the proxy only (sent as Proxy-Authorization): the switch itself cannot authenticate to a proxy (IOS XE's licensing proxy has no username/password setting)"
        )));
    }
    let dns_notes_from = notes.len();
    let addrs = addresses(
        &connect_host,
        &cfg,
        &servers,
        true,
        &mut dns_ex,
        &mut statics,
        &mut notes,
    )
    .await;
    let dcfg = Arc::new(DiagnoseConfig {
        now_unix,
        trust: profile_for(target, &device.trust),
        judge_all_chains: true,
        ..device.clone()
    });

    let mut set = tokio::task::JoinSet::new();
    for (i, ip) in addrs.iter().enumerate() {
        let cfg = cfg.clone();
        let target = target.clone();
        let addr = SocketAddr::new(*ip, connect_port);
        let judge = dcfg.clone();
        set.spawn(async move {
            session::attempt(i as u64 + 1, addr, &cfg, &target, via_proxy, &judge).await
        });
    }
    let mut connections = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(c) = r {
            connections.push(c);
        }
    }
    connections.sort_by_key(|c| c.id);
    let acfg = AnalyzeConfig {
        names: licensing_names,
        all: true,
        ..AnalyzeConfig::default()
    };
    let revocation = if cfg.revocation {
        revocation_fetches(
            &connections,
            target.host(),
            &cfg,
            &servers,
            &dcfg,
            &mut dns_ex,
            &mut statics,
            &mut notes,
        )
        .await
    } else {
        Vec::new()
    };
    let licensing_addrs: HashSet<IpAddr> = if via_proxy {
        HashSet::new()
    } else {
        addrs.iter().copied().collect()
    };
    for c in &mut connections {
        // In the order they were noted, before the connection's own events.
        let noted = notes.iter().map(|n| Event {
            time_ns: c.start_ns,
            frame: None,
            dir: Direction::ToServer,
            kind: n.clone(),
        });
        c.events.splice(0..0, noted);
        summarize_connection(c, &acfg, &licensing_addrs);
        // Through a proxy the connection goes to the proxy's address; it is the licensing
        // connection all the same.
        c.licensing = true;
    }
    for mut c in revocation {
        summarize_connection(&mut c, &acfg, &HashSet::new());
        c.licensing = false;
        connections.push(c);
    }
    let end = now_ns();
    let mut t = Timeline {
        start_ns: Some(start),
        end_ns: Some(end),
        stats: CaptureStats {
            tcp_connections: connections.len() as u64,
            dns_queries: dns_ex.len() as u64,
            ..CaptureStats::default()
        },
        dns: dns_ex,
        static_hosts: statics,
        connections,
        ..Timeline::empty(Source::Probe {
            targets: vec![target.url()],
        })
    };
    let mut vantage = vantage_of(&cfg, &t, &servers);
    if addrs.is_empty()
        && t.dns.is_empty()
        && let Some(EventKind::ProbeFailure { blame, detail, .. }) = notes.get(dns_notes_from)
    {
        // No DNS server could even be asked (no configuration, a name that is no DNS
        // name): a fact for diagnose/dns.rs, with the reason and whose fault it is.
        vantage.unasked = Some(Unasked {
            blame: *blame,
            detail: detail.clone(),
        });
    }
    t.vantage = Some(vantage);
    diagnose(&mut t, &dcfg);
    t
}

/// Where this probe stood: this host, the source address its connections (else its DNS
/// queries) left from and the interface that holds it, the name servers and their origin.
fn vantage_of(cfg: &ProbeConfig, t: &Timeline, servers: &NameServers) -> Vantage {
    let used = |a: &SocketAddr| (!a.ip().is_unspecified()).then_some(a.ip());
    let source_address = t
        .connections
        .iter()
        .find_map(|c| used(&c.client))
        .or_else(|| t.dns.iter().find_map(|d| used(&d.client)))
        .or(cfg.source_address);
    let interface = cfg
        .source_interface
        .clone()
        .or_else(|| source_address.and_then(interface_holding));
    Vantage {
        host: this_host(),
        source_address,
        interface,
        resolver: servers.clone().unwrap_or_default(),
        resolver_origin: dns::resolver_origin(cfg),
        imitates_switch: cfg.imitates_switch,
        unasked: None,
    }
}

/// This host's name as the kernel has it (gethostname(2) reads the same), else
/// `/etc/hostname`, else "this host".
fn this_host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "this host".into())
}

/// The interface that holds `addr` (getifaddrs(3)); `None` when none does or the list
/// cannot be read.
fn interface_holding(addr: IpAddr) -> Option<String> {
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find(|i| i.ip() == addr)
        .map(|i| i.name)
}
