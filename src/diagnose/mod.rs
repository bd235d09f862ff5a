//! Diagnosis rules: a [`Timeline`] in, [`Finding`]s out. Pure: the current time comes in
//! [`DiagnoseConfig::now_unix`]; no I/O, no printing. The probe and the capture analyser
//! share these rules; nothing else decides what a failure means (tests/finding_table.rs
//! checks that no other file builds a finding: readers record facts, these rules judge them).
//!
//! This module only orchestrates: one module per family of rules, in the order of the
//! steps a switch goes through (`dns`, `tcp`, `proxy`, `tls`, `cert`, `http`), plus
//! `capture` (what the capture itself lacks), `text_capture` (what a capture read from text
//! proved), `observed` (what the packets show outranks a derived trust profile),
//! `revocation` (CRL/OCSP fetches), `config` and `logs` (the switch's own text), `vantage`
//! (where a live probe stood) and `verdict`. Beside them, building no finding themselves:
//! `trust` (chain judgement, for `cert`), `interceptors` (the TLS-inspection catalogue),
//! `context` (advice from what is known of the switch) and `steps` (the path as steps, for
//! the monitoring formats and the TUI). docs/findings.md maps every finding code to the
//! file and function that emits it.

pub mod capture;
pub mod cert;
pub mod config;
pub mod context;
pub mod dns;
pub mod http;
pub mod interceptors;
pub mod logs;
pub mod observed;
pub mod proxy;
pub mod revocation;
pub mod steps;
pub mod tcp;
pub mod text_capture;
pub mod tls;
pub mod trust;
pub mod vantage;
pub mod verdict;

use crate::model::trust::TrustProfile;
use crate::model::*;

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
    pub revocation_checked_by: Option<crate::model::switch::RevocationCheck>,
}

/// Whether a connection's client is known to be the switch (`--switch`, or an interface
/// address of its configuration with `--from-config`): then what the
/// packets show the switch did outranks what a derived trust profile predicts of it
/// (principle 2, docs/findings.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// `--switch` names this client's address, or the configuration's interfaces hold it.
    KnownSwitch,
    /// Nothing says whether this client is the switch.
    Unknown,
    /// licpath's own live probe: it completes a handshake the switch would refuse only
    /// when told to (`--accept-any-cert`), so its success says nothing of the switch.
    Probe,
}

impl Client {
    /// The client of `c` as the context (`--switch`, the configuration's addresses)
    /// knows it.
    pub fn of(c: &Connection, ctx: Option<&crate::model::context::AnalysisContext>) -> Client {
        match ctx {
            Some(ctx) if ctx.is_known_switch(c.client.ip()) => Client::KnownSwitch,
            _ => Client::Unknown,
        }
    }
}

pub fn diagnose(t: &mut Timeline, cfg: &DiagnoseConfig) {
    // The reading's own findings come first, as they were met.
    let reading = capture::reading(t);
    t.findings.splice(0..0, reading);
    let unasked = dns::unasked(t);
    t.findings.extend(unasked);
    let revocation_hosts = revocation::mark(t);
    let capture_end = match t.source {
        Source::Capture { .. } => t.end_ns,
        _ => None,
    };
    let dns = dns::findings(t, &revocation_hosts, cfg, capture_end);
    t.findings.extend(dns);
    // A probe that stood for nothing but this host: its connection failures are this host's.
    let here = match (&t.source, &t.vantage) {
        (Source::Probe { .. }, Some(v)) if !v.imitates_switch => Some(v.clone()),
        _ => None,
    };
    for c in &mut t.connections {
        if c.revocation {
            // With what the URL serves (CRL or OCSP), from the certificates.
            let kind = named_host(c).and_then(|h| revocation_hosts.get(&h).copied());
            revocation::apply(c, kind, cfg);
        } else {
            let client = match t.source {
                Source::Probe { .. } => Client::Probe,
                _ => Client::of(c, t.context.as_ref()),
            };
            diagnose_connection_as(c, cfg, capture_end, client);
            if let Some(v) = &here {
                vantage::from_this_host(c, v);
            }
        }
    }
    let clock = capture::clock(t, cfg.now_unix);
    t.findings.extend(clock);
    let nothing = capture::no_licensing_traffic(t);
    t.findings.extend(nothing);
    t.proof = verdict::proof(t, cfg);
}

/// Diagnoses one connection (its findings, verdict and failing step). Idempotent.
pub fn diagnose_connection(c: &mut Connection, cfg: &DiagnoseConfig) {
    diagnose_connection_in(c, cfg, None);
}

/// [`diagnose_connection`] for a connection of a capture whose last packet was at
/// `capture_end_ns`: a handshake step still waiting then is "capture ended".
pub fn diagnose_connection_in(
    c: &mut Connection,
    cfg: &DiagnoseConfig,
    capture_end_ns: Option<i64>,
) {
    diagnose_connection_as(c, cfg, capture_end_ns, Client::Unknown);
}

/// [`diagnose_connection_in`] for a connection whose client is `client`.
fn diagnose_connection_as(
    c: &mut Connection,
    cfg: &DiagnoseConfig,
    capture_end_ns: Option<i64>,
    client: Client,
) {
    if c.revocation {
        revocation::apply(c, None, cfg);
        return;
    }
    if c.one_direction {
        // Every other rule reads the server's answers; none are in the capture. Say so
        // instead of calling the server silent.
        c.findings = vec![capture::one_direction(c)];
        c.verdict = Verdict::Unknown;
        return;
    }
    let mut f = connection_findings(c, cfg, client);
    capture::withhold_missing(c, &mut f, capture_end_ns);
    verdict::root_cause_first(&mut f);
    c.verdict = verdict::connection(c, &f);
    if let Some(worst) = verdict::failing_step(&f) {
        c.reached = worst;
    }
    c.primary = verdict::primary_finding(&f).map(|p| p.code);
    c.findings = f;
}

/// Every rule family on one connection, step by step, in the order findings are listed.
fn connection_findings(c: &Connection, cfg: &DiagnoseConfig, client: Client) -> Vec<Finding> {
    let seen = Seen::of(c);
    let mut f: Vec<Finding> = Vec::new();
    f.extend(tcp::handshake(c, &seen));
    let tunnel_open = match seen.connect {
        Some(connect) => {
            let (open, finding) = proxy::connect(c, connect, &seen);
            f.extend(finding);
            open
        }
        None => true,
    };
    if tunnel_open {
        f.extend(tls::handshake(c, &seen, cfg, client));
    }
    let reset = tcp::reset(c, &seen, &f);
    f.extend(reset);
    f.extend(tcp::retransmissions(c));
    f.extend(capture::gap(c));
    f.extend(http::plaintext(c));
    f.extend(http::clock_skew(c));
    f.extend(tls::non_production_endpoint(c));
    f
}

/// What several rule families read from one connection, found once: who closed first
/// and whether the client asked a proxy for a tunnel. Positions index `c.events`.
pub struct Seen<'a> {
    /// The server's address, as summaries name it.
    pub target: String,
    pub rst_from_server: Option<(usize, &'a Event)>,
    /// The server's first RST or FIN.
    pub close_from_server: Option<(usize, &'a Event)>,
    /// The client's first RST or FIN.
    pub close_from_client: Option<(usize, &'a Event)>,
    /// The client's `CONNECT` to a proxy.
    pub connect: Option<(usize, &'a Event)>,
}

impl<'a> Seen<'a> {
    pub fn of(c: &'a Connection) -> Seen<'a> {
        let rst_from_server = first(c, Direction::ToClient, |k| matches!(k, EventKind::TcpRst));
        let fin_from_server = first(c, Direction::ToClient, |k| matches!(k, EventKind::TcpFin));
        let close_from_server = match (rst_from_server, fin_from_server) {
            (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let connect = first(c, Direction::ToServer, |k| {
            matches!(k, EventKind::HttpConnectRequest { .. })
        });
        // Before any CONNECT, a connection to the switch's configured proxy is the proxy
        // leg of the licensing path, and summaries say so.
        let target = if c.configured_proxy && connect.is_none() {
            format!("the configured proxy {}", c.server)
        } else {
            c.server.to_string()
        };
        Seen {
            target,
            rst_from_server,
            close_from_server,
            close_from_client: first(c, Direction::ToServer, |k| {
                matches!(k, EventKind::TcpRst | EventKind::TcpFin)
            }),
            connect,
        }
    }
}

/// The first event in direction `dir` whose kind satisfies `pred`, with its position.
pub(crate) fn first(
    c: &Connection,
    dir: Direction,
    pred: impl Fn(&EventKind) -> bool,
) -> Option<(usize, &Event)> {
    c.events
        .iter()
        .enumerate()
        .find(|(_, e)| e.dir == dir && pred(&e.kind))
}

/// The configuration rule tests use: a recent IOS XE trust profile, "now" one day after
/// [`crate::model::testing::START_NS`].
#[cfg(test)]
pub(crate) fn test_config() -> DiagnoseConfig {
    DiagnoseConfig {
        now_unix: crate::model::testing::START_NS / 1_000_000_000 + 86_400,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{cisco_chain, connection, dns, timeline};

    fn codes(c: &Connection) -> Vec<FindingCode> {
        c.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_healthy_connection_is_ok_and_idempotent() {
        let mut c = connection()
            .handshake()
            .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12)
            .server_hello(TlsVersion::Tls12)
            .certificates(cisco_chain("smartreceiver.cisco.com"))
            .handshake_complete()
            .build();
        diagnose_connection(&mut c, &test_config());
        assert!(c.findings.is_empty(), "{:#?}", c.findings);
        assert_eq!(c.verdict, Verdict::Ok);
        diagnose_connection(&mut c, &test_config());
        assert!(c.findings.is_empty());
    }

    #[test]
    fn a_refused_connect_stops_before_tls() {
        let mut c = connection()
            .handshake()
            .connect("smartreceiver.cisco.com:443")
            .response(403, "Forbidden")
            .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12)
            .state(TcpState::ResetByServer)
            .rst(Direction::ToClient)
            .build();
        diagnose_connection(&mut c, &test_config());
        // No tls_* (the tunnel never opened), no tcp_reset (the 403 explains it).
        assert_eq!(codes(&c), [FindingCode::ProxyDenied]);
        assert_eq!((c.verdict, c.reached), (Verdict::Failed, Step::Proxy));
    }

    #[test]
    fn findings_come_root_cause_first_and_reached_is_the_earliest_error() {
        let mut c = connection()
            .server_name("smartreceiver-dev.cisco.com")
            .retransmissions(4)
            .handshake()
            .client_hello(Some("smartreceiver-dev.cisco.com"), TlsVersion::Tls12)
            .to_client(EventKind::TcpGap { missing_bytes: 100 })
            .after_ms(20)
            .rst(Direction::ToClient)
            .build();
        diagnose_connection(&mut c, &test_config());
        assert_eq!(
            codes(&c),
            // Root cause first (verdict::cause_order): the error, then the warnings with
            // the symptom (retransmissions) after the others, capture before tls step.
            [
                FindingCode::TlsReset,
                FindingCode::CaptureGap,
                FindingCode::NonProductionEndpoint,
                FindingCode::Retransmissions
            ]
        );
        assert_eq!((c.verdict, c.reached), (Verdict::Failed, Step::Tls));
    }

    #[test]
    fn one_direction_connections_get_only_that_warning() {
        let mut c = connection()
            .one_direction()
            .state(TcpState::SynUnanswered)
            .syn()
            .build();
        diagnose_connection(&mut c, &test_config());
        assert_eq!(codes(&c), [FindingCode::CaptureOneDirection]);
        assert_eq!(c.verdict, Verdict::Unknown);
    }

    #[test]
    fn the_timeline_gets_dns_findings_and_each_connection_its_own() {
        let mut t = timeline(
            vec![dns(
                "smartreceiver.cisco.com",
                DnsType::A,
                Some(DnsRcode::NXDOMAIN),
                vec![],
            )],
            vec![
                connection()
                    .state(TcpState::Refused)
                    .syn()
                    .rst(Direction::ToClient)
                    .build(),
            ],
        );
        diagnose(&mut t, &test_config());
        assert_eq!(t.findings.len(), 1);
        assert_eq!(t.findings[0].code, FindingCode::DnsNxdomain);
        assert_eq!(codes(&t.connections[0]), [FindingCode::TcpRefused]);
    }
}
