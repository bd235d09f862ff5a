//! Diagnosis rules: a [`Timeline`] in, [`Finding`]s out (DOMAIN.md §6, §7). Pure: the
//! current time comes in [`DiagnoseConfig::now_unix`]. The probe and the capture analyser
//! share these rules; nothing else decides what a failure means.

pub mod config;
pub mod logs;
pub mod revocation;
pub mod trust;

use crate::model::*;
use crate::wire::x509::name_matches;
use trust::{ChainVerdict, TrustProfile, judge_chain};

/// Retransmitted segments on one connection before it is worth a warning.
const RETRANSMISSION_WARNING: u64 = 3;
/// Seconds of difference between the local clock and a server's `Date` worth a warning.
pub const CLOCK_SKEW_WARNING_S: i64 = 60;
/// A never-filled hole in the server's answer at least this large (about one segment on a
/// small-MTU path) is read as a path-MTU black hole.
const MTU_HOLE_MIN: u64 = 512;

#[derive(Debug, Clone)]
pub struct DiagnoseConfig {
    pub now_unix: i64,
    pub trust: TrustProfile,
    /// Judge chains of every shown connection (a trust store was given), not only
    /// licensing ones.
    pub judge_all_chains: bool,
    /// `--ca-file`: "would importing this CA fix it?" — the trust profile plus that
    /// file's certificates, and the file's name. Only judged when the chain fails against
    /// `trust`; the verdict and the switch's behaviour stay those of `trust`.
    pub ca_file: Option<(String, TrustProfile)>,
    /// The switch's trustpoint that checks revocation strictly, with its methods
    /// (`revocation-check crl` → ("SLA-TrustPoint", ["crl"]); from `--from-config`): an
    /// unreachable CRL (or OCSP responder, for "ocsp") is then an error, not a warning.
    pub revocation_checked_by: Option<(String, Vec<String>)>,
}

pub fn diagnose(t: &mut Timeline, cfg: &DiagnoseConfig) {
    let revocation_hosts = revocation::mark(t);
    diagnose_dns(t, &revocation_hosts, cfg);
    for c in &mut t.connections {
        if c.revocation {
            // With what the URL serves (CRL or OCSP), from the certificates.
            let kind = revocation::named_host(c).and_then(|h| revocation_hosts.get(&h).copied());
            revocation::apply(c, kind, cfg);
        } else {
            diagnose_connection(c, cfg);
        }
    }
}

fn finding(
    code: FindingCode,
    severity: Severity,
    step: Step,
    summary: String,
    explanation: &str,
    remediation: &[&str],
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        code,
        severity,
        step,
        confidence: Confidence::Certain,
        summary,
        explanation: explanation.to_string(),
        remediation: remediation.iter().map(|s| s.to_string()).collect(),
        evidence,
    }
}

fn ev(e: &Event, what: impl Into<String>) -> Evidence {
    Evidence {
        frame: e.frame,
        time_ns: e.time_ns,
        what: what.into(),
        log: None,
    }
}

const DNS_REMEDY: &[&str] = &[
    "ip name-server <dns-server-ip>            ! or: ip name-server vrf <VRF> <dns-server-ip>",
    "ip domain lookup source-interface <interface-that-reaches-the-dns-server>",
    "ip host smartreceiver.cisco.com <ip>      ! last resort: a static entry goes stale when Cisco's addresses change",
];

fn diagnose_dns(
    t: &mut Timeline,
    revocation_hosts: &std::collections::BTreeMap<String, revocation::Kind>,
    cfg: &DiagnoseConfig,
) {
    // Judge per name: one successful answer for a name (A or AAAA) is enough.
    let mut names: Vec<&str> = t.dns.iter().map(|d| d.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    // An egress-only capture (SPAN of one direction, `match ... outbound`) cannot show
    // answers: unanswered queries then prove nothing about the DNS server.
    let one_direction = t.connections.iter().any(|c| c.one_direction);
    let mut out = Vec::new();
    for name in names {
        let exchanges: Vec<&DnsExchange> = t.dns.iter().filter(|d| d.name == name).collect();
        let resolved = exchanges.iter().any(|d| {
            d.response.as_ref().is_some_and(|r| {
                r.answers
                    .iter()
                    .any(|a| matches!(a.data, DnsData::A(_) | DnsData::Aaaa(_)))
            })
        });
        if resolved
            || !exchanges
                .iter()
                .any(|d| d.qtype == "A" || d.qtype == "AAAA")
        {
            continue;
        }
        let licensing = exchanges.iter().any(|d| d.licensing);
        let severity = if licensing {
            Severity::Error
        } else {
            Severity::Warning
        };
        let evidence: Vec<Evidence> = exchanges
            .iter()
            .filter(|d| d.qtype == "A" || d.qtype == "AAAA")
            .map(|d| match &d.response {
                Some(r) => Evidence {
                    frame: r.frame,
                    time_ns: r.time_ns,
                    what: format!("{} {} from {} -> {}", d.qtype, name, d.server, r.rcode),
                    log: None,
                },
                None => Evidence {
                    frame: d.query_frame,
                    time_ns: d.query_ns,
                    what: format!(
                        "{} {} to {} unanswered ({} retr{}){}",
                        d.qtype,
                        name,
                        d.server,
                        d.retries,
                        if d.retries == 1 { "y" } else { "ies" },
                        d.unreachable
                            .as_deref()
                            .map(|u| format!(": {u}"))
                            .unwrap_or_default()
                    ),
                    log: None,
                },
            })
            .collect();
        let rcodes: Vec<&str> = exchanges
            .iter()
            .filter_map(|d| d.response.as_ref().map(|r| r.rcode.as_str()))
            .collect();
        let (code, summary, explanation) = if rcodes.contains(&"NXDOMAIN") {
            (
                FindingCode::DnsNxdomain,
                format!("{name} does not exist according to the DNS server (NXDOMAIN)"),
                "The name server answered that the name does not exist. The switch logs 'Unable to resolve server hostname/domain name' (CALL_HOME ERR 218). Usually a wrong or internal-only DNS server, or a split-horizon zone without the Cisco names.",
            )
        } else if rcodes.iter().any(|r| *r == "SERVFAIL" || *r == "REFUSED") {
            (
                FindingCode::DnsServfail,
                format!(
                    "the DNS server failed or refused to resolve {name} ({})",
                    rcodes.join(", ")
                ),
                "SERVFAIL means the server could not get an answer upstream; REFUSED that it will not answer this client (recursion not allowed for the switch's address). The switch cannot resolve the licensing name.",
            )
        } else if let Some(icmp) = exchanges
            .iter()
            .find_map(|d| d.unreachable.as_deref())
            .filter(|_| rcodes.is_empty())
        {
            // Same code as silence (the switch logs the same), but the ICMP says who
            // refused and why: no DNS service there, or a filter on the way.
            (
                FindingCode::DnsTimeout,
                format!("no answer to the DNS queries for {name}: {icmp}"),
                "The queries were answered by ICMP instead of DNS: 'port unreachable' from the server means nothing listens on port 53 there (a wrong 'ip name-server' address, or the DNS service is down); 'administratively prohibited' or 'host/network unreachable' from a router means a filter or a missing route on the way. The switch logs 'Unable to resolve server hostname/domain name'.",
            )
        } else if rcodes.is_empty() {
            (
                FindingCode::DnsTimeout,
                format!("no answer to the DNS queries for {name}"),
                "Queries left but nothing came back: the name server is unreachable from the lookup source interface/VRF, or a firewall drops DNS. The switch logs 'Unable to resolve server hostname/domain name'.",
            )
        } else {
            (
                FindingCode::DnsNoAddress,
                format!("the DNS answer for {name} holds no address"),
                "The server answered NOERROR without an A or AAAA record for the name.",
            )
        };
        if let Some(kind) = revocation_hosts.get(&name.to_ascii_lowercase()) {
            let reason = if rcodes.is_empty() {
                "no answer".to_string()
            } else {
                rcodes.join(", ")
            };
            out.push(revocation::dns_finding(name, &reason, evidence, *kind, cfg));
            continue;
        }
        let mut fnd = finding(
            code,
            severity,
            Step::Dns,
            summary,
            explanation,
            DNS_REMEDY,
            evidence,
        );
        if code == FindingCode::DnsTimeout && one_direction {
            fnd.severity = Severity::Warning;
            fnd.confidence = Confidence::Low;
            fnd.explanation.push_str(
                " This capture holds only one direction of its connections, so the answers may simply not have been captured.",
            );
        }
        out.push(fnd);
    }
    t.findings.extend(out);
}

fn first(
    c: &Connection,
    dir: Direction,
    pred: impl Fn(&EventKind) -> bool,
) -> Option<(usize, &Event)> {
    c.events
        .iter()
        .enumerate()
        .find(|(_, e)| e.dir == dir && pred(&e.kind))
}

fn ms(ns: i64) -> String {
    format!("{:.0} ms", ns as f64 / 1e6)
}

/// Diagnoses one connection (its findings, verdict and failing step). Idempotent.
pub fn diagnose_connection(c: &mut Connection, cfg: &DiagnoseConfig) {
    if c.revocation {
        revocation::apply(c, None, cfg);
        return;
    }
    if c.one_direction {
        // Every rule below reads the server's answers; none are in the capture. Say so
        // instead of calling the server silent.
        let first = c
            .events
            .first()
            .map(|e| ev(e, "first packet of the connection"))
            .into_iter()
            .collect();
        c.findings = vec![Finding {
            confidence: Confidence::High,
            ..finding(
                FindingCode::CaptureOneDirection,
                Severity::Warning,
                Step::Capture,
                format!(
                    "only the client's side of the connection to {} is in the capture",
                    c.server
                ),
                "The client acknowledged a SYN/ACK and data that the capture does not hold, so the server did answer; its packets were not captured (an egress-only capture, or asymmetric routing around the capture point). Nothing can be concluded about the server's answers from this file.",
                &[
                    "monitor capture NAME interface <if> both   ! capture both directions",
                    "monitor capture NAME match ipv4 host <switch-ip> any",
                ],
                first,
            )
        }];
        c.verdict = Verdict::Unknown;
        return;
    }
    let mut f: Vec<Finding> = Vec::new();
    let target = c.server.to_string();
    let syns: Vec<&Event> = c
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TcpSyn { .. }))
        .collect();
    let rst_from_server = first(c, Direction::ToClient, |k| matches!(k, EventKind::TcpRst));
    let fin_from_server = first(c, Direction::ToClient, |k| matches!(k, EventKind::TcpFin));
    let close_from_server = match (rst_from_server, fin_from_server) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    let close_from_client = c.events.iter().enumerate().find(|(_, e)| {
        e.dir == Direction::ToServer && matches!(e.kind, EventKind::TcpRst | EventKind::TcpFin)
    });

    // TCP.
    match c.state {
        TcpState::SynUnanswered
            if let Some(e) = c
                .events
                .iter()
                .find(|e| matches!(e.kind, EventKind::TcpUnreachable { .. })) =>
        {
            let EventKind::TcpUnreachable { reason } = &e.kind else {
                unreachable!()
            };
            f.push(finding(
                FindingCode::TcpUnreachable,
                Severity::Error,
                Step::Tcp,
                format!("{target} is unreachable: {reason}"),
                "The connection attempt was answered by ICMP unreachable (or the local stack has no route): a routing problem on the source interface/VRF, not a firewall silently dropping.",
                &["show ip route <destination>              ! or: show ip route vrf <VRF> <destination>", "ip http client source-interface <interface-with-a-route>", "license smart vrf <VRF>        ! if the path lives in a VRF"],
                vec![ev(e, "unreachable")],
            ));
        }
        TcpState::SynUnanswered => {
            let last = syns.last().copied();
            // Until the last SYN, or until the client gave up (the probe's wait).
            let span = match (syns.first(), last) {
                (Some(a), Some(b)) => (b.time_ns - a.time_ns).max(c.end_ns - a.time_ns),
                _ => 0,
            };
            f.push(finding(
                FindingCode::TcpTimeout,
                Severity::Error,
                Step::Tcp,
                format!("SYN to {target} never answered ({} SYN{} over {})", syns.len(), if syns.len() == 1 { "" } else { "s" }, ms(span)),
                "The connection attempt got no SYN/ACK and no RST: something on the path drops it (routing, an ACL, a firewall), or the host is down. The switch logs 'Connection timed out' (CALL_HOME ERR 207).",
                &["! check routing and ACLs from the source interface to the destination and port:", "ip http client source-interface <interface>", "license smart vrf <VRF>        ! if the path lives in a VRF", "show ip route <destination>"],
                syns.iter().map(|e| ev(e, "SYN")).collect(),
            ));
        }
        TcpState::Refused => {
            let e = rst_from_server
                .map(|(_, e)| ev(e, "RST in answer to SYN"))
                .into_iter()
                .collect();
            f.push(finding(
                FindingCode::TcpRefused,
                Severity::Error,
                Step::Tcp,
                format!("{target} refused the connection (RST in answer to SYN)"),
                "Nothing listens on that port, or a firewall rejects the connection. With a proxy: is the proxy port right?",
                &["license smart proxy address <proxy-host-or-ip>", "license smart proxy port <port-the-proxy-listens-on>"],
                e,
            ));
        }
        _ => {}
    }

    // Proxy.
    let connect = first(c, Direction::ToServer, |k| {
        matches!(k, EventKind::HttpConnectRequest { .. })
    });
    let mut tunnel_open = connect.is_none();
    if let Some((ci, ce)) = connect {
        let ctarget = match &ce.kind {
            EventKind::HttpConnectRequest { target, .. } => target.clone(),
            _ => String::new(),
        };
        let resp = c.events.iter().skip(ci).find(|e| {
            e.dir == Direction::ToClient
                && matches!(
                    e.kind,
                    EventKind::HttpResponse { .. } | EventKind::NotTls { .. }
                )
        });
        match resp.map(|e| (e, &e.kind)) {
            Some((e, EventKind::HttpResponse { status, reason, headers, .. })) => {
                let line = format!("{status} {reason}");
                let via = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("server") || k.eq_ignore_ascii_case("via")).map(|(k, v)| format!(" ({k}: {v})")).unwrap_or_default();
                let evidence = vec![ev(ce, format!("CONNECT {ctarget}")), ev(e, format!("proxy answered {line}{via}"))];
                let took = ms(e.time_ns - ce.time_ns);
                match status {
                    200..=299 => tunnel_open = true,
                    403 => f.push(finding(FindingCode::ProxyDenied, Severity::Error, Step::Proxy, format!("the proxy refused CONNECT {ctarget}: {line}"), "The proxy's policy does not allow this client to tunnel to the licensing host (an ACL on the destination, the port, or the client's address).", &["! on the proxy: allow CONNECT from the switch to smartreceiver.cisco.com:443 (and tools.cisco.com:443)"], evidence)),
                    407 => f.push(finding(FindingCode::ProxyAuthRequired, Severity::Error, Step::Proxy, format!("the proxy wants authentication for CONNECT {ctarget}: {line}"), "IOS XE's licensing proxy settings have no username or password: the switch can never satisfy a 407. The proxy must let the switch through without authentication.", &["! on the proxy: exempt the switch's source address (ip http client source-interface) from authentication"], evidence)),
                    500..=599 => f.push(finding(FindingCode::ProxyUpstreamError, Severity::Error, Step::Proxy, format!("the proxy could not reach {ctarget}: {line} after {took}"), "The switch reached the proxy, but the proxy failed upstream: its DNS, its route or firewall toward Cisco, or Cisco's side. 504 is a timeout, 502/503 a failed or refused upstream connection.", &["! on the proxy: check that it resolves and reaches the licensing host on 443"], evidence)),
                    _ => f.push(finding(FindingCode::ProxyBadResponse, Severity::Error, Step::Proxy, format!("unexpected proxy answer to CONNECT {ctarget}: {line}"), "The proxy answered CONNECT with a status that does not open a tunnel.", &["license smart proxy address <proxy>", "license smart proxy port <port>"], evidence)),
                }
            }
            Some((e, EventKind::NotTls { preview })) => f.push(finding(
                FindingCode::ProxyBadResponse,
                Severity::Error,
                Step::Proxy,
                format!("the proxy port did not answer CONNECT with HTTP: {preview}"),
                "What listens on the configured proxy port is not an HTTP proxy (wrong port, or a TLS service).",
                &["license smart proxy address <proxy>", "license smart proxy port <http-proxy-port>"],
                vec![ev(ce, format!("CONNECT {ctarget}")), ev(e, "not HTTP")],
            )),
            _ => {
                let (what, e) = match close_from_server {
                    Some((_, e)) => ("closed the connection without answering", Some(e)),
                    None => ("never answered", None),
                };
                let mut evidence = vec![ev(ce, format!("CONNECT {ctarget}"))];
                evidence.extend(e.map(|e| ev(e, "proxy closed")));
                f.push(finding(FindingCode::ProxyBadResponse, Severity::Error, Step::Proxy, format!("the proxy {what} CONNECT {ctarget}"), "A proxy answers CONNECT with a status line; this one did not. The switch reports 'Request Aborted' or no reply.", &["license smart proxy address <proxy>", "license smart proxy port <port>"], evidence));
            }
        }
    }

    // TLS.
    let ch = if tunnel_open {
        first(c, Direction::ToServer, |k| {
            matches!(k, EventKind::TlsClientHello(_))
        })
    } else {
        None
    };
    if let Some((chi, che)) = ch {
        let after: Vec<(usize, &Event)> = c.events.iter().enumerate().skip(chi + 1).collect();
        let server_hello = after.iter().find(|(_, e)| matches!(&e.kind, EventKind::TlsServerHello(sh) if !sh.hello_retry_request)).copied();
        let server_alert = after
            .iter()
            .find(|(_, e)| {
                e.dir == Direction::ToClient
                    && matches!(&e.kind, EventKind::TlsAlert { level, .. } if level == "fatal")
            })
            .copied();
        let client_alert = after.iter().find(|(_, e)| e.dir == Direction::ToServer && matches!(&e.kind, EventKind::TlsAlert { level, description, .. } if level == "fatal" || description != "close_notify")).copied();
        let not_tls = after
            .iter()
            .find(|(_, e)| {
                e.dir == Direction::ToClient && matches!(e.kind, EventKind::NotTls { .. })
            })
            .copied();
        let sni = match &che.kind {
            EventKind::TlsClientHello(h) => h.sni.clone(),
            _ => None,
        };
        let label = sni.clone().unwrap_or_else(|| target.clone());
        if let Some((_, e)) = not_tls {
            let EventKind::NotTls { preview } = &e.kind else {
                unreachable!()
            };
            f.push(finding(
                FindingCode::TlsPlaintextAnswer,
                Severity::Error,
                Step::Tls,
                format!("a ClientHello for {label} was answered with non-TLS bytes: {}", preview.chars().take(60).collect::<String>()),
                "Something that is not the TLS server answered: a transparent proxy or captive portal (an HTTP answer such as 407 or 403 here), or a plain-HTTP service on the port.",
                &["! find the device that answers in plaintext on the path; if it is a proxy, configure it explicitly:", "license smart proxy address <proxy>", "license smart proxy port <port>"],
                vec![ev(che, "ClientHello"), ev(e, "non-TLS answer")],
            ));
        } else if let Some((_, e)) =
            server_alert.filter(|(i, _)| server_hello.is_none_or(|(s, _)| *i < s))
        {
            let EventKind::TlsAlert {
                description, code, ..
            } = &e.kind
            else {
                unreachable!()
            };
            let version_problem = *code == 70;
            let client_max = match &che.kind {
                EventKind::TlsClientHello(h) => h.max_version().to_string(),
                _ => String::new(),
            };
            f.push(finding(
                if version_problem { FindingCode::TlsVersionMismatch } else { FindingCode::TlsAlert },
                Severity::Error,
                Step::Tls,
                format!("the server rejected the ClientHello for {label} with alert {description} ({code}); the client offered up to {client_max}"),
                if version_problem { "The server does not accept the TLS versions the client offers. Releases before 17.14 most likely offer at most TLS 1.2." } else { "The server ended the handshake before ServerHello: no common cipher or version, or it refuses this client/SNI." },
                &["! compare the switch's offer with the server's policy; newer IOS XE releases offer TLS 1.3"],
                vec![ev(che, format!("ClientHello (max {client_max})")), ev(e, format!("fatal alert {description}"))],
            ));
        } else if server_hello.is_none() {
            // The server closed first: a reset/close answer. The client closing first
            // means it gave up waiting (a timeout), whatever the server did after.
            let server_close = close_from_server
                .filter(|(i, _)| *i > chi && close_from_client.is_none_or(|(j, _)| i < &j));
            match server_close {
                Some((_, e)) => {
                    let how = if matches!(e.kind, EventKind::TcpRst) {
                        "reset"
                    } else {
                        "closed (FIN)"
                    };
                    f.push(finding(
                        FindingCode::TlsReset,
                        Severity::Error,
                        Step::Tls,
                        format!("the connection was {how} {} after the ClientHello for {label}", ms(e.time_ns - che.time_ns)),
                        "The server side ended the connection right after seeing the ClientHello, before any ServerHello: typical of a firewall or DPI/URL filter acting on the SNI. The switch reports 'Request Aborted'.",
                        &["! exempt smartreceiver.cisco.com and tools.cisco.com from URL filtering / TLS inspection on the firewall or proxy"],
                        vec![ev(che, format!("ClientHello SNI {}", sni.as_deref().unwrap_or("(none)"))), ev(e, how)],
                    ));
                }
                None if let Some(lost) = c.events[chi..].iter().find(|e| {
                    e.dir == Direction::ToClient
                        && matches!(e.kind, EventKind::TcpLost { missing_bytes } if missing_bytes >= MTU_HOLE_MIN)
                }) =>
                {
                    // Later server data arrived, the bytes before it never did, and no
                    // retransmission filled the hole: large segments die on the path
                    // while small ones pass.
                    let EventKind::TcpLost { missing_bytes } = lost.kind else {
                        unreachable!()
                    };
                    let mut evidence = vec![ev(che, "ClientHello"), ev(lost, format!("{missing_bytes} bytes of the server's answer never arrived; later bytes did"))];
                    evidence.extend(close_from_client.map(|(_, e)| ev(e, "client gave up")));
                    f.push(Finding {
                        confidence: Confidence::Medium,
                        ..finding(
                            FindingCode::MtuBlackhole,
                            Severity::Error,
                            Step::Tls,
                            format!("the server's TLS answer for {label} is lost in the network: {missing_bytes} bytes never arrived while a later, smaller segment did (path MTU black hole)"),
                            "The handshake's small packets pass but the server's full-size segments (its certificate flight) are dropped on the way and never retransmitted successfully, while a shorter segment after them arrives: the signature of a path-MTU black hole (a link with a smaller MTU, a tunnel, and ICMP 'fragmentation needed' filtered so the server never learns). The switch reports NO REPLY or 'Request Aborted'. Less likely: a middlebox dropping large packets.",
                            &["interface <source-interface>", " ip tcp adjust-mss 1360          ! smaller segments from the server: below the path MTU", "! and let ICMP type 3 code 4 (fragmentation needed) reach the server's side through firewalls"],
                            evidence,
                        )
                    });
                }
                None => {
                    let waited = close_from_client
                        .map(|(_, e)| e.time_ns)
                        .unwrap_or(c.end_ns)
                        - che.time_ns;
                    let mut evidence = vec![ev(che, "ClientHello")];
                    evidence.extend(close_from_client.map(|(_, e)| ev(e, "client gave up")));
                    let gap = c
                        .events
                        .iter()
                        .any(|e| matches!(e.kind, EventKind::TcpGap { .. }));
                    f.push(Finding {
                        confidence: if gap { Confidence::Low } else { Confidence::High },
                        ..finding(
                            FindingCode::TlsTimeout,
                            Severity::Error,
                            Step::Tls,
                            format!("no ServerHello for {label} within {} of the ClientHello", ms(waited)),
                            "The ClientHello left but no TLS answer came back: a middlebox dropping TLS (DPI), or a path MTU black hole that swallows the large server flight. The switch reports NO REPLY or 'Request Aborted'.",
                            &["! exempt the licensing hosts from DPI; if large packets are lost:", "interface <source-interface>", " ip tcp adjust-mss 1360"],
                            evidence,
                        )
                    });
                }
            }
        } else if let Some((shi, she)) = server_hello {
            let EventKind::TlsServerHello(sh) = &she.kind else {
                unreachable!()
            };
            if let Some((_, e)) = client_alert {
                let EventKind::TlsAlert {
                    description,
                    code,
                    level,
                } = &e.kind
                else {
                    unreachable!()
                };
                let cert_alert = matches!(code, 42..=46 | 48);
                f.push(finding(
                    FindingCode::TlsAlert,
                    Severity::Error,
                    if cert_alert { Step::Cert } else { Step::Tls },
                    format!("the client aborted the handshake with {level} alert {description} ({code})"),
                    if cert_alert { "The client rejected the server's certificate: an unknown CA (interception or a missing root), an expired certificate, or a wrong name. See the certificate findings." } else { "The client ended the handshake with an alert." },
                    &[],
                    vec![ev(e, format!("alert {description} from client"))],
                ));
            } else if let Some((_, e)) = server_alert.filter(|(i, _)| *i > shi) {
                let EventKind::TlsAlert {
                    description, code, ..
                } = &e.kind
                else {
                    unreachable!()
                };
                f.push(finding(FindingCode::TlsAlert, Severity::Error, Step::Tls, format!("the server aborted the handshake with alert {description} ({code})"), "The server ended the handshake after its hello (e.g. it required a client certificate, or rejected the key exchange).", &[], vec![ev(e, format!("alert {description} from server"))]));
            } else if sh.version.starts_with("TLS 1.3")
                && !crate::flow::app::tls_handshake_complete(&c.events)
            {
                let server_flight = c.events.iter().skip(shi).any(|e| {
                    e.dir == Direction::ToClient && matches!(e.kind, EventKind::TlsEncrypted { .. })
                });
                let client_end = c.events.iter().skip(shi).find(|e| {
                    e.dir == Direction::ToServer
                        && matches!(
                            e.kind,
                            EventKind::TcpFin | EventKind::TcpRst | EventKind::TlsEncrypted { .. }
                        )
                });
                // The live probe records the chain its verifier saw even in TLS 1.3: then the
                // certificate findings below say what was wrong, not a guess.
                let chain_seen = c.events.iter().any(|e| {
                    matches!(&e.kind, EventKind::TlsCertificate { certificates } if !certificates.is_empty())
                });
                if let (true, Some(e), false) = (server_flight, client_end, chain_seen) {
                    f.push(Finding {
                        confidence: Confidence::Medium,
                        ..finding(
                            FindingCode::TlsClientAbort,
                            Severity::Error,
                            Step::Cert,
                            format!("the client ended the TLS 1.3 handshake with {label} after the server's encrypted flight, without a Finished"),
                            "In TLS 1.3 the certificate is encrypted, so a capture cannot show it. A client that closes or sends only a short encrypted record (an alert) right after the server's flight most likely rejected the certificate (unknown CA / interception, expiry, name). Run 'licpath probe' from the same path to see the chain.",
                            &["licpath probe --proxy <proxy:port>   ! from a host on the switch's path, to see the certificate chain"],
                            vec![ev(she, "ServerHello TLS 1.3"), ev(e, "client ends without Finished")],
                        )
                    });
                }
            }
        }
        // Certificates visible in TLS ≤ 1.2.
        if let Some((ce, certs)) = c.events.iter().find_map(|e| match &e.kind {
            EventKind::TlsCertificate { certificates }
                if e.dir == Direction::ToClient && !certificates.is_empty() =>
            {
                Some((e, certificates))
            }
            _ => None,
        }) {
            let host = sni
                .clone()
                .or_else(|| {
                    c.proxy_target
                        .as_deref()
                        .map(|t| crate::flow::app::host_of_target(t).to_string())
                })
                .or_else(|| c.server_name.clone());
            diagnose_certs(
                &mut f,
                ce,
                certs,
                host.as_deref(),
                c.licensing || cfg.judge_all_chains,
                cfg,
            );
        }
    }

    // A server RST after the handshake, before anything completed, that no step above
    // explains.
    let completed = c.tls.as_ref().is_some_and(|t| t.handshake_complete)
        || c.events.iter().any(|e| matches!(&e.kind, EventKind::HttpResponse { status, .. } if (200..400).contains(status)));
    if c.state == TcpState::ResetByServer
        && !completed
        && !f.iter().any(|x| x.severity == Severity::Error)
        && let Some((_, e)) = rst_from_server
    {
        let injected = c
            .events
            .iter()
            .position(|x| matches!(x.kind, EventKind::TcpRst) && x.dir == Direction::ToClient)
            < c.events
                .iter()
                .position(|x| matches!(x.kind, EventKind::TcpSynAck { .. }));
        let injected = injected
            && c.events
                .iter()
                .any(|x| matches!(x.kind, EventKind::TcpSynAck { .. }));
        f.push(finding(
                FindingCode::TcpReset,
                Severity::Error,
                Step::Tcp,
                format!("{target} reset the connection before the exchange completed{}", if injected { " (a RST arrived before the SYN/ACK: likely injected by a middlebox)" } else { "" }),
                "The server side sent RST on an established connection before any TLS handshake or HTTP answer completed: the service aborted, or a firewall/IPS injected the reset.",
                &["! find which device sends the RST: compare its TTL/IP ID with the server's other packets, or capture on both sides of the firewall"],
                vec![ev(e, "RST from the server side")],
            ));
    }
    if c.retransmissions >= RETRANSMISSION_WARNING && c.state != TcpState::SynUnanswered {
        f.push(finding(
            FindingCode::Retransmissions,
            Severity::Warning,
            Step::Tcp,
            format!("{} retransmitted segments on this connection", c.retransmissions),
            "Packets were lost and sent again: a lossy or congested path. Licensing messages are small, so loss shows as slowness or timeouts rather than as failure.",
            &["! check interface errors and drops on the path: show interfaces <if> | include errors|drops"],
            vec![],
        ));
    }
    if let Some(e) = c
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TcpGap { .. }))
    {
        let total: u64 = c
            .events
            .iter()
            .filter_map(|e| {
                if let EventKind::TcpGap { missing_bytes } = e.kind {
                    Some(missing_bytes)
                } else {
                    None
                }
            })
            .sum();
        f.push(Finding {
            confidence: Confidence::High,
            ..finding(FindingCode::CaptureGap, Severity::Warning, Step::Capture, format!("{total} bytes of this connection are missing from the capture"), "The peer acknowledged data the capture does not hold: the capture dropped packets (Embedded Packet Capture keeps at most 1000 packets/s) or frames were truncated. Conclusions after the gap are weaker.", &["monitor capture NAME ... match ipv4 host <switch-ip> any   ! a narrower filter drops less"], vec![ev(e, "first gap")])
        });
    }
    if let Some(e) = c
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::HttpRequest { .. }))
        && c.licensing
    {
        let EventKind::HttpRequest {
            method,
            target: path,
            ..
        } = &e.kind
        else {
            unreachable!()
        };
        let cslu = path.contains("/cslu/");
        f.push(finding(
            FindingCode::PlaintextHttp,
            if cslu {
                Severity::Info
            } else {
                Severity::Warning
            },
            Step::Http,
            format!("licensing over plain HTTP: {method} {path}"),
            if cslu {
                "CSLU uses plain HTTP on 8182 by design; it stays on the local network."
            } else {
                "Plain-HTTP call-home to Cisco is deprecated; use the smart transport over HTTPS."
            },
            if cslu {
                &[]
            } else {
                &["license smart transport smart", "license smart url default"]
            },
            vec![ev(e, format!("{method} {path}"))],
        ));
    }
    if let Some((e, skew)) = clock_skew(c) {
        f.push(finding(
            FindingCode::ClockSkew,
            Severity::Warning,
            Step::Http,
            format!(
                "this host's clock differs from the server's Date header by {skew} s"
            ),
            "Certificate validity is judged against the local clock: a clock that is off makes valid certificates look expired or not yet valid. The switch needs the right time for the same reason.",
            &["ntp server <ntp-server>", "clock timezone UTC 0 0   ! then check: show clock detail"],
            vec![ev(e, "server Date header")],
        ));
    }
    if let Some(name) = c
        .server_name
        .as_deref()
        .filter(|n| n.starts_with("smartreceiver-stage.") || n.starts_with("smartreceiver-dev."))
    {
        f.push(finding(
            FindingCode::NonProductionEndpoint,
            Severity::Warning,
            Step::Tls,
            format!("the switch talks to the non-production receiver {name}"),
            "Production switches should report to smartreceiver.cisco.com.",
            &["license smart url default"],
            vec![],
        ));
    }

    c.verdict =
        if f.iter().any(|x| x.severity == Severity::Error) {
            Verdict::Failed
        } else if c.tls.as_ref().is_some_and(|t| t.handshake_complete) || c.events.iter().any(|e| {
            matches!(&e.kind, EventKind::HttpResponse { status, .. } if (200..400).contains(status))
                && connect.is_none()
        }) {
            Verdict::Ok
        } else {
            Verdict::Unknown
        };
    if let Some(worst) = f
        .iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.step)
        .min()
    {
        c.reached = worst;
    }
    c.findings = f;
}

/// `--ca-file`: what the chain's verdict would be with that file's CAs imported.
fn ca_file_what_if(file: &str, with_ca: ChainVerdict, evidence: Vec<Evidence>) -> Finding {
    let import = [
        "crypto pki trustpoint LICENSING-CA",
        " enrollment terminal",
        " revocation-check none",
        "crypto pki authenticate LICENSING-CA   ! paste the CA certificate from the file",
    ];
    let (severity, summary, why) = match &with_ca {
        ChainVerdict::Trusted { anchor } => (
            Severity::Info,
            format!(
                "importing the CA in {file} would make this chain trusted (anchored at '{anchor}')"
            ),
            "Judged again with the file's certificates added to the device's trust profile, the chain validates. Other findings on this chain (dates, name) still apply.",
        ),
        ChainVerdict::Interception {
            issuer,
            anchor_trusted: true,
        } => (
            Severity::Info,
            format!(
                "importing the CA in {file} would make the switch accept this intercepted chain (issued by '{issuer}')"
            ),
            "The switch would then trust the interceptor. Exempting the licensing names from SSL inspection is the better fix; importing the interceptor's CA is the fallback.",
        ),
        other => (
            Severity::Warning,
            format!(
                "importing the CA in {file} would not fix this chain: {}",
                chain_problem(other)
            ),
            "Judged again with the file's certificates added, the chain still does not validate: that file does not hold the CA this chain needs.",
        ),
    };
    let fixes = matches!(severity, Severity::Info);
    Finding {
        code: FindingCode::CaFileWhatIf,
        severity,
        step: Step::Cert,
        confidence: Confidence::Certain,
        summary,
        explanation: why.into(),
        remediation: if fixes {
            import.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
        evidence,
    }
}

fn chain_problem(v: &ChainVerdict) -> String {
    match v {
        ChainVerdict::Trusted { anchor } => format!("trusted at '{anchor}'"),
        ChainVerdict::Interception { issuer, .. } => {
            format!("still an interception by '{issuer}', whose CA is not trusted")
        }
        ChainVerdict::RootMissingOnDevice { root, .. } => {
            format!("still ends at '{root}', missing on this device")
        }
        ChainVerdict::UntrustedRoot { root } => format!("still ends at '{root}', not trusted"),
        ChainVerdict::IncompleteChain { missing_issuer, .. } => {
            format!("the server still does not send '{missing_issuer}'")
        }
        ChainVerdict::Empty => "no certificate".into(),
    }
}

/// Would the switch refuse this chain (presented at `at_ns`, for `host`)? The same
/// certificate rules as [`diagnose`], run on the chain alone: the first error they find,
/// or `None` when the switch would go on. Interception by a CA the device profile trusts
/// is not refused (the handshake passes; the finding still reports it). The live probe's
/// verifier uses this to abort the handshake as the switch would, so that a capture of
/// the probe shows what a capture of the switch shows.
pub fn switch_rejects(
    certs: &[CertInfo],
    host: Option<&str>,
    at_ns: i64,
    cfg: &DiagnoseConfig,
) -> Option<FindingCode> {
    if certs.is_empty() {
        return None;
    }
    let seen = Event {
        time_ns: at_ns,
        frame: None,
        dir: Direction::ToClient,
        kind: EventKind::TlsCertificate {
            certificates: Vec::new(),
        },
    };
    let mut f = Vec::new();
    diagnose_certs(&mut f, &seen, certs, host, true, cfg);
    f.into_iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.code)
        .find(|code| {
            *code != FindingCode::SslInterception
                || !matches!(
                    judge_chain(certs, host, &cfg.trust),
                    ChainVerdict::Interception {
                        anchor_trusted: true,
                        ..
                    }
                )
        })
}

/// Clock difference (seconds, signed: positive when the server is ahead) beyond
/// [`CLOCK_SKEW_WARNING_S`] between an HTTP `Date` seen inside TLS and when it was seen.
fn clock_skew(c: &Connection) -> Option<(&Event, i64)> {
    c.events.iter().find_map(|e| match &e.kind {
        EventKind::HttpsExchange {
            date: Some(date), ..
        } => {
            let server = crate::wire::http::parse_http_date(date)?;
            let skew = server - e.time_ns.div_euclid(1_000_000_000);
            (skew.abs() > CLOCK_SKEW_WARNING_S).then_some((e, skew))
        }
        _ => None,
    })
}

fn diagnose_certs(
    f: &mut Vec<Finding>,
    ce: &Event,
    certs: &[CertInfo],
    host: Option<&str>,
    judge_trust: bool,
    cfg: &DiagnoseConfig,
) {
    let leaf = &certs[0];
    let at = ce.time_ns.div_euclid(1_000_000_000);
    let leaf_label = leaf
        .subject_cn
        .clone()
        .unwrap_or_else(|| leaf.subject.clone());
    let date = |s: i64| crate::report::format_utc(s * 1_000_000_000);
    for c in certs {
        let name = c.subject_cn.clone().unwrap_or_else(|| c.subject.clone());
        if at > c.not_after {
            f.push(finding(FindingCode::CertExpired, Severity::Error, Step::Cert, format!("certificate '{name}' had expired when seen (notAfter {})", date(c.not_after)), "A certificate in the chain was past its validity at the time of the capture or probe. If the switch's clock is right, the server must renew it; if the switch's clock is wrong, fix the clock.", &["show clock", "ntp server <ntp-server>", "clock calendar-valid"], vec![ev(ce, format!("Certificate {name}"))]));
        } else if at < c.not_before {
            f.push(finding(FindingCode::CertNotYetValid, Severity::Error, Step::Cert, format!("certificate '{name}' was not yet valid when seen (notBefore {})", date(c.not_before)), "The certificate's validity starts after the time it was seen: either the capturing clock is behind (the switch logs %PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID) or the certificate was issued with a future date.", &["show clock", "ntp server <ntp-server>", "clock calendar-valid"], vec![ev(ce, format!("Certificate {name}"))]));
        } else if cfg.now_unix > c.not_after {
            f.push(finding(
                FindingCode::CertExpired,
                Severity::Info,
                Step::Cert,
                format!(
                    "certificate '{name}' was valid when captured but has expired since ({})",
                    date(c.not_after)
                ),
                "Valid at capture time; a switch connecting today would reject it.",
                &[],
                vec![ev(ce, format!("Certificate {name}"))],
            ));
        }
    }
    if let Some(h) = host.filter(|h| h.parse::<std::net::IpAddr>().is_err())
        && !name_matches(leaf, h)
    {
        let names = if leaf.sans.is_empty() {
            leaf.subject_cn.clone().unwrap_or_default()
        } else {
            leaf.sans.join(", ")
        };
        f.push(finding(FindingCode::CertHostnameMismatch, Severity::Error, Step::Cert, format!("the certificate is for {names}, not {h}"), "The server identity check (on by default in IOS XE) fails when the certificate does not name the host the switch asked for. A URL with an IP address, or a wrong host name, causes this.", &["license smart url https://smartreceiver.cisco.com/licservice/license   ! a name, never an IP"], vec![ev(ce, format!("Certificate {leaf_label}"))]));
    }
    if !judge_trust {
        return;
    }
    let evidence = vec![ev(
        ce,
        format!(
            "Certificate chain of {} cert(s), leaf {leaf_label}",
            certs.len()
        ),
    )];
    let verdict = judge_chain(certs, host, &cfg.trust);
    let what_if = if let Some((file, with_ca)) = &cfg.ca_file
        && !matches!(
            verdict,
            ChainVerdict::Trusted { .. }
                | ChainVerdict::Empty
                | ChainVerdict::Interception {
                    anchor_trusted: true,
                    ..
                }
        ) {
        Some(ca_file_what_if(
            file,
            judge_chain(certs, host, with_ca),
            evidence.clone(),
        ))
    } else {
        None
    };
    match verdict {
        ChainVerdict::Trusted { .. } | ChainVerdict::Empty => {}
        ChainVerdict::Interception { issuer, anchor_trusted } => f.push(Finding {
            confidence: Confidence::High,
            ..finding(FindingCode::SslInterception, Severity::Error, Step::Cert, format!("SSL interception: the certificate for {} was issued by '{issuer}', not by Cisco's public CA chain", host.unwrap_or("?")), &format!("Cisco's licensing servers use certificates from HydrantID under IdenTrust (formerly QuoVadis). This chain was re-signed by another CA, almost certainly an intercepting proxy or firewall. {}", if anchor_trusted { "The device profile trusts that CA, so the handshake may still pass." } else { "The switch does not trust it and rejects the handshake." }), &["! preferred: exempt smartreceiver.cisco.com and tools.cisco.com from SSL inspection", "! or trust the interceptor's CA on the switch:", "crypto pki trustpoint PROXY-CA", " enrollment terminal", " revocation-check none", "crypto pki authenticate PROXY-CA   ! paste the interceptor's CA certificate"], evidence)
        }),
        ChainVerdict::RootMissingOnDevice { root, why } => f.push(finding(FindingCode::RootMissingOnDevice, Severity::Error, Step::Cert, format!("the chain ends at '{root}', which this device does not have ({why})"), "Field Notice FN72323: releases without IdenTrust Commercial Root CA 1 in their trustpool cannot validate Cisco's current certificates.", &["crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b", "! or upgrade to 16.12.6, 17.3.4, 17.4.2, 17.5.1, 17.6.1 or later"], evidence)),
        ChainVerdict::UntrustedRoot { root } => f.push(finding(FindingCode::UntrustedRoot, Severity::Error, Step::Cert, format!("the chain ends at '{root}', which is not in the {}", cfg.trust.name), "The device cannot anchor this chain in its trustpool, so the handshake fails with unknown_ca.", &["crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b", "! or, for a private CA: crypto pki trustpoint <name> / enrollment terminal / crypto pki authenticate <name>"], evidence)),
        ChainVerdict::IncompleteChain { top, missing_issuer } => f.push(finding(FindingCode::IncompleteChain, Severity::Error, Step::Cert, format!("incomplete chain: '{top}' was sent without its issuer '{missing_issuer}'"), "The server sent its certificate without the intermediate CA that signed it; clients that do not fetch missing intermediates cannot build the chain.", &["! on the server: configure the full chain (leaf + intermediates)"], evidence)),
    }
    f.extend(what_if);
}
