//! TLS handshake rules (RFC 8446, RFC 5246): what came back after the client's
//! ClientHello. Plaintext instead of TLS, a fatal alert before ServerHello (RFC 8446
//! §6.2), the server closing right after the ClientHello (DPI/URL filtering on the SNI),
//! a path-MTU black hole, silence, alerts after ServerHello, and a TLS 1.3 client that
//! ends the handshake after the server's encrypted flight (most likely a rejected
//! certificate, which a passive observer cannot see). The certificates themselves are
//! judged in `cert`.

use super::{Client, DiagnoseConfig, Seen, cert, first, observed};
use crate::model::head_too_long_text;
use crate::model::time::{MsPrecision::Whole, ms};
use crate::model::trust::ProfileKind;
use crate::model::*;

/// A never-filled hole in the server's answer at least this large (about one segment on a
/// small-MTU path) is read as a path-MTU black hole.
pub const MTU_HOLE_MIN: u64 = 512;

/// The handshake after the client's first ClientHello: at most one handshake finding,
/// then the certificate findings of the chain the server sent.
pub fn handshake(
    c: &Connection,
    seen: &Seen,
    cfg: &DiagnoseConfig,
    client: Client,
) -> Vec<Finding> {
    let Some(hello) = Hello::of(c, seen) else {
        // A capture that starts after the ClientHello: the chain is still judged.
        return cert::chain_of(c)
            .map(|(ce, certs)| {
                let host = cert::host_of(c, None);
                let profile = cert::profile_for(c, cfg);
                cert::judge(ce, certs, host.as_deref(), Some(profile), cfg)
            })
            .unwrap_or_default();
    };
    let mut f: Vec<Finding> = handshake_failure(c, &hello, seen)
        .map(|x| refused_in_tunnel(x, c, &hello, seen, cfg))
        .into_iter()
        .collect();
    // Certificates visible in TLS ≤ 1.2 (and those the live probe's verifier recorded).
    if let Some((ce, certs)) = cert::chain_of(c) {
        let host = cert::host_of(c, hello.sni.as_deref());
        let profile = cert::profile_for(c, cfg);
        let judged = cert::judge(ce, certs, host.as_deref(), Some(profile), cfg);
        if profile.kind == ProfileKind::Public {
            let refused = hello.client_alert.is_some_and(
                |(_, e)| matches!(e.kind, EventKind::TlsAlert(a) if a.is_about_certificate()),
            );
            let answer = if refused {
                cert::ClientAnswer::Refused
            } else if c.tls.as_ref().is_some_and(|t| t.handshake_complete) {
                cert::ClientAnswer::Completed
            } else {
                cert::ClientAnswer::NotShown
            };
            f.extend(
                judged
                    .into_iter()
                    .map(|x| cert::as_the_client_saw_it(x, answer)),
            );
        } else if client != Client::Probe && observed::observed_success(c) {
            let hint = observed::ios_xe_signature(c, hello.sni.as_deref());
            f.extend(
                judged
                    .into_iter()
                    .map(|x| observed::as_observed(x, client, hint.as_ref())),
            );
        } else {
            f.extend(judged);
        }
        if let Some((_, alert)) = hello.client_alert {
            f.extend(cert::alert_contradicts_profile(
                alert,
                ce,
                certs,
                host.as_deref(),
                profile,
                &f,
            ));
        }
    }
    f
}

/// The ClientHello and the answers that decide the handshake's fate, found once.
struct Hello<'a> {
    /// Position and event of the client's first ClientHello.
    at: usize,
    event: &'a Event,
    sni: Option<String>,
    /// How summaries name the server: the SNI, else its address.
    label: String,
    server_hello: Option<(usize, &'a Event)>,
    /// The server's first fatal alert after the ClientHello.
    server_alert: Option<(usize, &'a Event)>,
    /// The client's first alert that is not a warning-level close_notify.
    client_alert: Option<(usize, &'a Event)>,
    not_tls: Option<&'a Event>,
}

impl<'a> Hello<'a> {
    fn of(c: &'a Connection, seen: &Seen) -> Option<Hello<'a>> {
        let (at, event) = first(c, Direction::ToServer, |k| {
            matches!(k, EventKind::TlsClientHello(_))
        })?;
        let after = || c.events.iter().enumerate().skip(at + 1);
        let sni = match &event.kind {
            EventKind::TlsClientHello(h) => h.sni.clone(),
            _ => None,
        };
        Some(Hello {
            at,
            event,
            label: sni.clone().unwrap_or_else(|| seen.target.clone()),
            sni,
            server_hello: after().find(|(_, e)| {
                matches!(&e.kind, EventKind::TlsServerHello(sh) if !sh.hello_retry_request)
            }),
            server_alert: after().find(|(_, e)| {
                e.dir == Direction::ToClient
                    && matches!(&e.kind, EventKind::TlsAlert(a) if a.is_fatal())
            }),
            client_alert: after().find(|(_, e)| {
                e.dir == Direction::ToServer
                    && matches!(&e.kind, EventKind::TlsAlert(a) if a.is_fatal() || a.description != TlsAlertDescription::CloseNotify)
            }),
            not_tls: after()
                .find(|(_, e)| {
                    e.dir == Direction::ToClient
                        && matches!(
                            e.kind,
                            EventKind::NotTls { .. } | EventKind::HttpHeadTooLong { .. }
                        )
                })
                .map(|(_, e)| e),
        })
    }
}

/// The one finding that says how the handshake failed, if it did.
fn handshake_failure(c: &Connection, h: &Hello, seen: &Seen) -> Option<Finding> {
    if let Some(e) = h.not_tls {
        return Some(plaintext_answer(h, e));
    }
    if let Some(f) = oversized(c, h) {
        return Some(f);
    }
    if let Some((_, e)) = h
        .server_alert
        .filter(|(i, _)| h.server_hello.is_none_or(|(s, _)| *i < s))
    {
        return Some(alert_before_server_hello(h, e));
    }
    match h.server_hello {
        None => Some(no_server_hello(c, h, seen)),
        Some((shi, she)) => after_server_hello(c, h, shi, she),
    }
}

/// `tls_certificate_too_large`: the live probe's TLS client gave up on a handshake message
/// (or record) longer than it takes. Before the chain could be judged, so it is said here,
/// not as the client breaking the handshake off (`tls_client_abort`) nor left unsaid.
fn oversized(c: &Connection, h: &Hello) -> Option<Finding> {
    let (e, message, limit) = c.events.iter().skip(h.at).find_map(|e| match &e.kind {
        EventKind::TlsOversized { message, limit } => Some((e, *message, *limit)),
        _ => None,
    })?;
    let what = match message {
        TlsOversizedMessage::Handshake => {
            format!("a handshake message over {limit} bytes")
        }
        TlsOversizedMessage::Record => {
            format!("a TLS record over {limit} bytes, more than RFC 8446 §5.2 allows")
        }
    };
    Some(
        Finding::new(
            FindingCode::TlsCertificateTooLarge,
            Severity::Error,
            Step::Cert,
            format!(
                "the server's certificate message is larger than a TLS client accepts ({what}) for {}",
                h.label
            ),
        )
        .explain("The server's certificate flight was larger than the probe's TLS client reads, so the handshake ended before the chain could be judged. A real chain is a few KiB (the licensing service's is about 4 KiB); one this large is not the licensing service's: a device answering in its place, or a server presenting a huge certificate (thousands of names, a large extension). TLS clients bound this too (OpenSSL takes 100 KiB for the whole chain), so the switch is expected to fail the same way.")
        .fix(["! find what answers in the licensing server's place (interception, a wrong address or proxy) and why its certificate is this large"])
        .evidence([
            Evidence::of(h.event, "ClientHello"),
            Evidence::of(e, format!("{what}: the TLS client gave up")),
        ]),
    )
}

/// `tls_plaintext_answer`: bytes that are not TLS came back.
fn plaintext_answer(h: &Hello, e: &Event) -> Finding {
    let preview = match &e.kind {
        EventKind::NotTls { preview } => preview.chars().take(60).collect::<String>(),
        EventKind::HttpHeadTooLong { limit, preview } => head_too_long_text(*limit, preview)
            .chars()
            .take(60)
            .collect::<String>(),
        _ => String::new(),
    };
    Finding::new(
        FindingCode::TlsPlaintextAnswer,
        Severity::Error,
        Step::Tls,
        format!("a ClientHello for {} was answered with non-TLS bytes: {preview}", h.label),
    )
    .explain("Something that is not the TLS server answered: a transparent proxy or captive portal (an HTTP answer such as 407 or 403 here), or a plain-HTTP service on the port.")
    .fix([
        "! find the device that answers in plaintext on the path; if it is a proxy, configure it explicitly:",
        "license smart proxy address <proxy>",
        "license smart proxy port <port>",
    ])
    .evidence([Evidence::of(h.event, "ClientHello"), Evidence::of(e, "non-TLS answer")])
}

/// `tls_version_mismatch` (alert protocol_version, 70) or `tls_alert`: the server refused
/// the ClientHello with a fatal alert.
fn alert_before_server_hello(h: &Hello, e: &Event) -> Finding {
    let (description, code) = match &e.kind {
        EventKind::TlsAlert(a) => (a.description_name(), a.code()),
        _ => (String::new(), 0),
    };
    let version_problem = code == TlsAlertDescription::ProtocolVersion.0;
    let client_max = match &h.event.kind {
        EventKind::TlsClientHello(ch) => tls_version_name(ch.max_version()),
        _ => String::new(),
    };
    Finding::new(
        if version_problem {
            FindingCode::TlsVersionMismatch
        } else {
            FindingCode::TlsAlert
        },
        Severity::Error,
        Step::Tls,
        format!(
            "the server rejected the ClientHello for {} with alert {description} ({code}); the client offered up to {client_max}",
            h.label
        ),
    )
    .explain(if version_problem {
        "The server does not accept the TLS versions the client offers. Releases before 17.14 most likely offer at most TLS 1.2."
    } else {
        "The server ended the handshake before ServerHello: no common cipher or version, or it refuses this client/SNI."
    })
    .fix(["! compare the switch's offer with the server's policy; newer IOS XE releases offer TLS 1.3"])
    .evidence([
        Evidence::of(h.event, format!("ClientHello (max {client_max})")),
        Evidence::of(e, format!("fatal alert {description}")),
    ])
}

/// `tls_reset`, `mtu_blackhole` or `tls_timeout`: no ServerHello came back.
fn no_server_hello(c: &Connection, h: &Hello, seen: &Seen) -> Finding {
    // The server closed first: a reset/close answer. The client closing first means it
    // gave up waiting (a timeout), whatever the server did after.
    let server_close = seen
        .close_from_server
        .filter(|(i, _)| *i > h.at && seen.close_from_client.is_none_or(|(j, _)| *i < j));
    if let Some((_, e)) = server_close {
        return reset(h, e);
    }
    let lost = c.events.iter().skip(h.at).find_map(|e| match e.kind {
        EventKind::TcpLost {
            missing_bytes,
            dup_ack,
        } if e.dir == Direction::ToClient && missing_bytes >= MTU_HOLE_MIN => {
            Some((e, missing_bytes, dup_ack))
        }
        _ => None,
    });
    match lost {
        Some((e, missing_bytes, dup_ack)) => mtu_blackhole(h, seen, e, missing_bytes, dup_ack),
        None => timeout(c, h, seen),
    }
}

/// `tls_reset`: the server side closed right after the ClientHello.
fn reset(h: &Hello, e: &Event) -> Finding {
    let how = if matches!(e.kind, EventKind::TcpRst) {
        "reset"
    } else {
        "closed (FIN)"
    };
    Finding::new(
        FindingCode::TlsReset,
        Severity::Error,
        Step::Tls,
        format!(
            "the connection was {how} {} after the ClientHello for {}",
            ms(e.time_ns - h.event.time_ns, Whole),
            h.label
        ),
    )
    .explain("The server side ended the connection right after seeing the ClientHello, before any ServerHello: typical of a firewall or DPI/URL filter acting on the SNI. The switch reports 'Request Aborted'.")
    .fix(["! exempt smartreceiver.cisco.com and tools.cisco.com from URL filtering / TLS inspection on the firewall or proxy"])
    .evidence([
        Evidence::of(
            h.event,
            format!("ClientHello SNI {}", h.sni.as_deref().unwrap_or("(none)")),
        ),
        Evidence::of(e, how),
    ])
}

/// `mtu_blackhole`: later server data arrived, the bytes before it (at `lost`: the first
/// segment past the hole) never did, and no retransmission filled the hole: large segments
/// die on the path while small ones pass. The evidence is on the frames that prove it, as
/// tshark's expert info points at them: that segment ("previous segment not captured")
/// and the client's duplicate ACK ("Dup ACK", its SACK block naming what it holds).
fn mtu_blackhole(
    h: &Hello,
    seen: &Seen,
    lost: &Event,
    missing_bytes: u64,
    dup_ack: Option<DupAck>,
) -> Finding {
    let (before, that) = match lost.frame {
        Some(n) => (format!(" before frame #{n}"), "that later, smaller segment"),
        None => (String::new(), "a later, smaller segment"),
    };
    let sack = |a: &DupAck| {
        a.sack
            .map(|(l, r)| format!(" with SACK {l}-{r}"))
            .unwrap_or_default()
    };
    Finding::new(
        FindingCode::MtuBlackhole,
        Severity::Error,
        Step::Tls,
        format!(
            "the server's TLS answer for {} is lost in the network: {missing_bytes} bytes{before} never arrived while {that} did (path MTU black hole)",
            h.label
        ),
    )
    .confidence(Confidence::Medium)
    .explain("The handshake's small packets pass but the server's full-size segments (its certificate flight) are dropped on the way and never retransmitted successfully, while a shorter segment after them arrives: the signature of a path-MTU black hole (a link with a smaller MTU, a tunnel, and ICMP 'fragmentation needed' filtered so the server never learns). The switch reports NO REPLY or 'Request Aborted'. Less likely: a middlebox dropping large packets.")
    .fix([
        "interface <source-interface>",
        " ip tcp adjust-mss 1360          ! smaller segments from the server: below the path MTU",
        "! and let ICMP type 3 code 4 (fragmentation needed) reach the server's side through firewalls",
    ])
    .evidence([
        Evidence::of(h.event, "ClientHello"),
        Evidence::of(
            lost,
            format!("the server's data arrived past a hole: the {missing_bytes} bytes before it never did"),
        ),
    ])
    .evidence(dup_ack.map(|a| {
        Evidence::frame(
            a.frame,
            a.time_ns,
            format!(
                "the client's duplicate ACK{}: it got the later bytes, not the {missing_bytes} before them",
                sack(&a)
            ),
        )
    }))
    .evidence(
        seen.close_from_client
            .map(|(_, e)| Evidence::of(e, "client gave up")),
    )
}

/// `tls_timeout`: the ClientHello left and nothing came back before the client gave up
/// (or the capture ended).
fn timeout(c: &Connection, h: &Hello, seen: &Seen) -> Finding {
    let waited = seen
        .close_from_client
        .map(|(_, e)| e.time_ns)
        .unwrap_or(c.end_ns)
        - h.event.time_ns;
    let gap = c
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::TcpGap { .. }));
    Finding::new(
        FindingCode::TlsTimeout,
        Severity::Error,
        Step::Tls,
        format!(
            "no ServerHello for {} within {} of the ClientHello",
            h.label,
            ms(waited, Whole)
        ),
    )
    .confidence(if gap {
        Confidence::Low
    } else {
        Confidence::High
    })
    .explain("The ClientHello left but no TLS answer came back: a middlebox dropping TLS (DPI), or a path MTU black hole that swallows the large server flight. The switch reports NO REPLY or 'Request Aborted'.")
    .fix([
        "! exempt the licensing hosts from DPI; if large packets are lost:",
        "interface <source-interface>",
        " ip tcp adjust-mss 1360",
    ])
    .evidence([Evidence::of(h.event, "ClientHello")])
    .evidence(
        seen.close_from_client
            .map(|(_, e)| Evidence::of(e, "client gave up")),
    )
}

/// `tls_alert` from either side after ServerHello (at `shi`), or `tls_client_abort`.
fn after_server_hello(c: &Connection, h: &Hello, shi: usize, she: &Event) -> Option<Finding> {
    if let Some((_, e)) = h.client_alert {
        return Some(client_alert(e));
    }
    if let Some((_, e)) = h.server_alert.filter(|(i, _)| *i > shi) {
        let (description, code) = match &e.kind {
            EventKind::TlsAlert(a) => (a.description_name(), a.code()),
            _ => (String::new(), 0),
        };
        return Some(
            Finding::new(
                FindingCode::TlsAlert,
                Severity::Error,
                Step::Tls,
                format!("the server aborted the handshake with alert {description} ({code})"),
            )
            .explain("The server ended the handshake after its hello (e.g. it required a client certificate, or rejected the key exchange).")
            .evidence([Evidence::of(e, format!("alert {description} from server"))]),
        );
    }
    let tls13 = matches!(&she.kind, EventKind::TlsServerHello(sh) if is_tls13(sh.version));
    if tls13 && !tls_handshake_complete(&c.events) {
        return client_abort(c, h, shi, she);
    }
    None
}

/// `tls_alert` from the client: at the cert step when the alert is about the certificate
/// (RFC 8446 §6.2: bad_certificate 42 … certificate_unknown 46, unknown_ca 48).
fn client_alert(e: &Event) -> Finding {
    let (level, description, code, cert_alert) = match &e.kind {
        EventKind::TlsAlert(a) => (
            a.level_name(),
            a.description_name(),
            a.code(),
            a.is_about_certificate(),
        ),
        _ => (String::new(), String::new(), 0, false),
    };
    Finding::new(
        FindingCode::TlsAlert,
        Severity::Error,
        if cert_alert { Step::Cert } else { Step::Tls },
        format!("the client aborted the handshake with {level} alert {description} ({code})"),
    )
    .explain(if cert_alert {
        "The client rejected the server's certificate: an unknown CA (interception or a missing root), an expired certificate, or a wrong name. See the certificate findings."
    } else {
        "The client ended the handshake with an alert."
    })
    .evidence([Evidence::of(e, format!("alert {description} from client"))])
}

/// `tls_client_abort`: in TLS 1.3 the client closed (or sent only a short encrypted
/// record) after the server's encrypted flight, without a Finished, and no chain was
/// recorded that would say why.
fn client_abort(c: &Connection, h: &Hello, shi: usize, she: &Event) -> Option<Finding> {
    let server_flight =
        c.events.iter().skip(shi).any(|e| {
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
    // certificate findings say what was wrong, not a guess.
    let chain_seen = c.events.iter().any(|e| {
        matches!(&e.kind, EventKind::TlsCertificate { certificates } if !certificates.is_empty())
    });
    let e = client_end.filter(|_| server_flight && !chain_seen)?;
    Some(
        Finding::new(
            FindingCode::TlsClientAbort,
            Severity::Error,
            Step::Cert,
            format!(
                "the client ended the TLS 1.3 handshake with {} after the server's encrypted flight, without a Finished",
                h.label
            ),
        )
        .confidence(Confidence::Medium)
        .explain("In TLS 1.3 the certificate is encrypted, so a capture cannot show it. A client that closes or sends only a short encrypted record (an alert) right after the server's flight most likely rejected the certificate (unknown CA / interception, expiry, name). Run 'licpath probe' from the same path to see the chain.")
        .fix([probe_fix(c, seen_connect(c))])
        .evidence([
            Evidence::of(she, "ServerHello TLS 1.3"),
            Evidence::of(e, "client ends without Finished"),
        ]),
    )
}

/// The client's CONNECT, if the connection is a proxy tunnel.
fn seen_connect(c: &Connection) -> Option<&Event> {
    super::first(c, Direction::ToServer, |k| {
        matches!(k, EventKind::HttpConnectRequest { .. })
    })
    .map(|(_, e)| e)
}

/// The probe that shows the chain a capture cannot, from the same path: through the proxy
/// the capture shows (its address filled in, never a placeholder), else direct.
fn probe_fix(c: &Connection, connect: Option<&Event>) -> String {
    match connect {
        Some(_) => format!(
            "licpath probe --proxy {}   ! from a host on the switch's path, to see the certificate chain",
            c.server
        ),
        None => "licpath probe   ! from a host on the switch's path, to see the certificate chain"
            .to_string(),
    }
}

/// The client's `tls_alert` read with what the capture shows around it: a fatal
/// `unknown_ca` after a ServerHello whose chain is invisible (TLS 1.3), inside a proxy
/// tunnel, for one of Cisco's licensing names whose real chain the trust profile holds
/// (IdenTrust). The alert is proven; who issued the refused certificate is not (the chain
/// is encrypted), so no `ssl_interception` is claimed: the alert says that interception by
/// the proxy is the likely cause, and the fix names the proxy the capture shows.
fn refused_in_tunnel(
    f: Finding,
    c: &Connection,
    h: &Hello,
    seen: &Seen,
    cfg: &DiagnoseConfig,
) -> Finding {
    let Some(((_, alert), (_, connect))) = h.client_alert.zip(seen.connect) else {
        return f;
    };
    let unknown_ca = matches!(alert.kind, EventKind::TlsAlert(a) if a.description == TlsAlertDescription::UnknownCa);
    let host = cert::host_of(c, h.sni.as_deref());
    if f.code != FindingCode::TlsAlert
        || !unknown_ca
        || h.server_hello.is_none()
        || cert::chain_of(c).is_some()
        || !super::trust::is_cisco_public_name(host.as_deref())
        || cfg.trust.fn72323_affected.is_some()
    {
        return f;
    }
    let summary = format!(
        "{} inside the tunnel through the proxy {}",
        f.summary, c.server
    );
    let mut g = f
        .explain(format!(
            "The client did not know the CA of the certificate it was shown for {}. Cisco's licensing chain ends at IdenTrust Commercial Root CA 1, which the {} holds; a client holding it that still answers unknown_ca was most likely shown a re-signed certificate, and the proxy is what stands between it and Cisco: SSL interception by the proxy is the likely cause (or this client lacks the root). The handshake is TLS 1.3, so the certificate is encrypted and the capture cannot name its issuer; a probe through the same proxy shows it.",
            host.unwrap_or_default(),
            cfg.trust.name
        ))
        .fix([
            "! likely: exempt smartreceiver.cisco.com and tools.cisco.com from SSL inspection on the proxy".to_string(),
            probe_fix(c, Some(connect)),
        ])
        .evidence([Evidence::of(connect, format!("CONNECT through {}", c.server))]);
    g.summary = summary;
    g
}

/// `non_production_endpoint`: the switch talks to smartreceiver-stage or -dev.
pub fn non_production_endpoint(c: &Connection) -> Option<Finding> {
    let name = c
        .server_name
        .as_deref()
        .filter(|n| n.starts_with("smartreceiver-stage.") || n.starts_with("smartreceiver-dev."))?;
    Some(
        Finding::new(
            FindingCode::NonProductionEndpoint,
            Severity::Warning,
            Step::Tls,
            format!("the switch talks to the non-production receiver {name}"),
        )
        .explain("Production switches should report to smartreceiver.cisco.com.")
        .fix(["license smart url default"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::test_config;
    use crate::model::testing::{ConnectionBuilder, cisco_chain, connection};

    const HOST: &str = "smartreceiver.cisco.com";

    fn hello() -> ConnectionBuilder {
        connection()
            .handshake()
            .client_hello(Some(HOST), TlsVersion::Tls12)
    }

    fn judged(b: ConnectionBuilder) -> Vec<Finding> {
        let c = b.build();
        handshake(&c, &Seen::of(&c), &test_config(), Client::Unknown)
    }

    /// The built-in profile trusts Cisco's chain, yet the switch answered unknown_ca: it
    /// lacks the root (issue: the client's alert contradicts the profile).
    #[test]
    fn unknown_ca_to_a_trusted_chain_means_the_switch_lacks_the_root() {
        let answered = |alert| {
            judged(
                hello()
                    .server_hello(TlsVersion::Tls12)
                    .certificates(cisco_chain(HOST))
                    .alert(Direction::ToServer, TlsAlertSeverity::Fatal, alert),
            )
        };
        let f = answered(TlsAlertDescription::UnknownCa);
        let missing = f
            .iter()
            .find(|x| x.code == FindingCode::RootMissingOnDevice)
            .expect("root_missing_on_device");
        assert_eq!(missing.confidence, Confidence::Medium);
        assert!(
            missing.summary.contains("evidently lacks that root"),
            "{}",
            missing.summary
        );
        assert!(
            missing
                .remediation
                .iter()
                .any(|l| l.contains("show crypto pki trustpool"))
        );
        // A bad_certificate alert is no statement about the root: no such finding.
        let f = answered(TlsAlertDescription::BadCertificate);
        assert!(!f.iter().any(|x| x.code == FindingCode::RootMissingOnDevice));
    }

    /// Hosts that are not the switch's concern are judged against public roots, and an
    /// unknown root is as serious as the client found it.
    #[test]
    fn other_hosts_are_judged_against_public_roots_by_what_the_client_did() {
        let private = vec![
            crate::model::testing::cert("intranet.example", "Corp Root", 0, i64::MAX / 2),
            crate::model::testing::ca("Corp Root", "Corp Root"),
        ];
        let base = || {
            connection()
                .licensing(false)
                .handshake()
                .client_hello(Some("intranet.example"), TlsVersion::Tls12)
                .server_hello(TlsVersion::Tls12)
                .certificates(private.clone())
        };
        let severity_of = |f: &[Finding]| {
            f.iter()
                .find(|x| x.code == FindingCode::UntrustedRoot)
                .map(|x| (x.severity, x.summary.contains("Mozilla")))
        };
        let refused = judged(base().alert(
            Direction::ToServer,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::UnknownCa,
        ));
        assert_eq!(severity_of(&refused), Some((Severity::Error, true)));
        let accepted = judged(base().handshake_complete());
        assert_eq!(severity_of(&accepted), Some((Severity::Info, true)));
        let unseen = judged(base());
        assert_eq!(severity_of(&unseen), Some((Severity::Warning, true)));
    }

    fn only(f: Vec<Finding>) -> Finding {
        assert_eq!(f.len(), 1, "{f:#?}");
        f.into_iter().next().expect("one finding")
    }

    #[test]
    fn no_client_hello_no_finding() {
        assert!(judged(connection().handshake().rst(Direction::ToClient)).is_empty());
    }

    #[test]
    fn plaintext_answer() {
        let f = only(judged(hello().to_client(EventKind::NotTls {
            preview: "HTTP/1.1 403 Forbidden".into(),
        })));
        assert_eq!(
            (f.code, f.step),
            (FindingCode::TlsPlaintextAnswer, Step::Tls)
        );
        assert_eq!(
            f.summary,
            "a ClientHello for smartreceiver.cisco.com was answered with non-TLS bytes: HTTP/1.1 403 Forbidden"
        );
    }

    #[test]
    fn fatal_alert_before_server_hello() {
        let f = only(judged(hello().alert(
            Direction::ToClient,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::ProtocolVersion,
        )));
        assert_eq!(f.code, FindingCode::TlsVersionMismatch);
        assert_eq!(
            f.summary,
            "the server rejected the ClientHello for smartreceiver.cisco.com with alert protocol_version (70); the client offered up to TLS 1.2"
        );
        let f = only(judged(hello().alert(
            Direction::ToClient,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::HandshakeFailure,
        )));
        assert_eq!((f.code, f.step), (FindingCode::TlsAlert, Step::Tls));
        // A warning from the server is no rejection: silence follows, a timeout.
        let f = only(judged(hello().alert(
            Direction::ToClient,
            TlsAlertSeverity::Warning,
            TlsAlertDescription::UserCancelled,
        )));
        assert_eq!(f.code, FindingCode::TlsTimeout);
    }

    #[test]
    fn server_closing_after_the_client_hello_is_a_reset() {
        let f = only(judged(hello().after_ms(40).rst(Direction::ToClient)));
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::TlsReset, Severity::Error)
        );
        assert_eq!(
            f.summary,
            "the connection was reset 40 ms after the ClientHello for smartreceiver.cisco.com"
        );
        assert_eq!(
            f.evidence[0].what,
            "ClientHello SNI smartreceiver.cisco.com"
        );
        let f = only(judged(hello().fin(Direction::ToClient)));
        assert!(
            f.summary.starts_with("the connection was closed (FIN)"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn client_giving_up_first_is_a_timeout() {
        let f = only(judged(
            hello()
                .after_ms(30_000)
                .fin(Direction::ToServer)
                .fin(Direction::ToClient),
        ));
        assert_eq!(
            (f.code, f.confidence),
            (FindingCode::TlsTimeout, Confidence::High)
        );
        assert_eq!(
            f.summary,
            "no ServerHello for smartreceiver.cisco.com within 30000 ms of the ClientHello"
        );
        assert_eq!(f.evidence[1].what, "client gave up");
        // A capture gap weakens it: the answer may be in the missing bytes.
        let f = only(judged(hello().to_client(EventKind::TcpGap {
            missing_bytes: 1400,
        })));
        assert_eq!(
            (f.code, f.confidence),
            (FindingCode::TlsTimeout, Confidence::Low)
        );
    }

    #[test]
    fn large_hole_in_the_answer_is_an_mtu_black_hole() {
        let f = only(judged(hello().to_client(EventKind::TcpLost {
            missing_bytes: 2800,
            dup_ack: None,
        })));
        assert_eq!(
            (f.code, f.confidence, f.step),
            (FindingCode::MtuBlackhole, Confidence::Medium, Step::Tls)
        );
        assert!(
            f.summary.contains("2800 bytes") && f.summary.contains("never arrived"),
            "{}",
            f.summary
        );
        let small = only(judged(hello().to_client(EventKind::TcpLost {
            missing_bytes: MTU_HOLE_MIN - 1,
            dup_ack: None,
        })));
        assert_eq!(small.code, FindingCode::TlsTimeout);
    }

    /// Principle 1 (captures/ssl-interception-tls13.pcap): a plaintext unknown_ca from the
    /// client after a TLS 1.3 ServerHello, inside a proxy tunnel, is the proven tls_alert
    /// (never the guessed tls_client_abort), which names the likely interception by the
    /// proxy without claiming ssl_interception (the chain is encrypted); the fix names the
    /// proxy the capture shows.
    #[test]
    fn unknown_ca_inside_a_tls13_tunnel_points_at_the_proxy() {
        let tunnel = || {
            connection()
                .server("198.51.100.3:3131")
                .handshake()
                .connect("smartreceiver.cisco.com:443")
                .response(200, "Connection established")
                .client_hello(Some(HOST), TlsVersion::Tls13)
                .server_hello(TlsVersion::Tls13)
                .encrypted(Direction::ToClient, 1872)
        };
        let i = only(judged(tunnel().alert(
            Direction::ToServer,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::UnknownCa,
        )));
        assert_eq!(
            (i.code, i.confidence, i.step),
            (FindingCode::TlsAlert, Confidence::Certain, Step::Cert)
        );
        assert!(
            i.summary
                .ends_with("unknown_ca (48) inside the tunnel through the proxy 198.51.100.3:3131")
        );
        assert!(
            i.explanation
                .contains("SSL interception by the proxy is the likely cause")
        );
        assert!(
            i.remediation
                .iter()
                .any(|l| l.starts_with("licpath probe --proxy 198.51.100.3:3131"))
        );
        assert!(!i.remediation.iter().any(|l| l.contains('<')));
        // Direct (no proxy) or another alert: no interception claimed.
        let direct = judged(
            hello()
                .server_hello(TlsVersion::Tls13)
                .encrypted(Direction::ToClient, 1872)
                .alert(
                    Direction::ToServer,
                    TlsAlertSeverity::Fatal,
                    TlsAlertDescription::UnknownCa,
                ),
        );
        assert!(!direct[0].summary.contains("tunnel"), "{direct:#?}");
        let expired = judged(tunnel().alert(
            Direction::ToServer,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::CertificateExpired,
        ));
        assert!(!expired[0].summary.contains("tunnel"), "{expired:#?}");
        // Without the alert, the guess names the proxy too (no placeholder).
        let abort = judged(tunnel().rst(Direction::ToServer));
        assert_eq!(abort[0].code, FindingCode::TlsClientAbort);
        assert_eq!(
            abort[0].remediation,
            [
                "licpath probe --proxy 198.51.100.3:3131   ! from a host on the switch's path, to see the certificate chain"
            ]
        );
    }

    #[test]
    fn alerts_after_server_hello() {
        let f = only(judged(hello().server_hello(TlsVersion::Tls12).alert(
            Direction::ToServer,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::UnknownCa,
        )));
        assert_eq!((f.code, f.step), (FindingCode::TlsAlert, Step::Cert));
        assert_eq!(
            f.summary,
            "the client aborted the handshake with fatal alert unknown_ca (48)"
        );
        let f = only(judged(hello().server_hello(TlsVersion::Tls12).alert(
            Direction::ToServer,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::DecodeError,
        )));
        assert_eq!(f.step, Step::Tls);
        let f = only(judged(hello().server_hello(TlsVersion::Tls12).alert(
            Direction::ToClient,
            TlsAlertSeverity::Fatal,
            TlsAlertDescription::HandshakeFailure,
        )));
        assert_eq!(
            f.summary,
            "the server aborted the handshake with alert handshake_failure (40)"
        );
        // close_notify from the client is an orderly end.
        let ok = judged(hello().server_hello(TlsVersion::Tls12).alert(
            Direction::ToServer,
            TlsAlertSeverity::Warning,
            TlsAlertDescription::CloseNotify,
        ));
        assert!(ok.is_empty(), "{ok:#?}");
    }

    #[test]
    fn tls13_client_ending_after_the_server_flight() {
        let aborted = || {
            hello()
                .server_hello(TlsVersion::Tls13)
                .encrypted(Direction::ToClient, 4000)
                .fin(Direction::ToServer)
        };
        let f = only(judged(aborted()));
        assert_eq!(
            (f.code, f.step, f.confidence),
            (FindingCode::TlsClientAbort, Step::Cert, Confidence::Medium)
        );
        assert_eq!(f.evidence[1].what, "client ends without Finished");
        // The client's Finished (an encrypted record of 53 bytes or more) completes it.
        let done = judged(
            hello()
                .server_hello(TlsVersion::Tls13)
                .encrypted(Direction::ToClient, 4000)
                .encrypted(Direction::ToServer, 80),
        );
        assert!(done.is_empty(), "{done:#?}");
        // With the chain recorded (the live probe), the certificate rules speak instead.
        let probed = judged(aborted().certificates(cisco_chain(HOST)));
        assert!(probed.is_empty(), "{probed:#?}");
    }

    #[test]
    fn the_chain_is_judged_for_the_sni() {
        let f = only(judged(
            hello()
                .server_hello(TlsVersion::Tls12)
                .certificates(cisco_chain("tools.cisco.com")),
        ));
        assert_eq!(f.code, FindingCode::CertHostnameMismatch);
        assert_eq!(
            f.summary,
            "the certificate is for tools.cisco.com, not smartreceiver.cisco.com"
        );
    }

    #[test]
    fn non_production_receivers() {
        let c = connection()
            .server_name("smartreceiver-stage.cisco.com")
            .build();
        let f = non_production_endpoint(&c).expect("a finding");
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::NonProductionEndpoint, Severity::Warning)
        );
        assert_eq!(
            f.summary,
            "the switch talks to the non-production receiver smartreceiver-stage.cisco.com"
        );
        let prod = connection().server_name(HOST).build();
        assert!(non_production_endpoint(&prod).is_none());
    }
}
