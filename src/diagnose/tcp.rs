//! TCP rules: the connection attempt (unreachable, unanswered, refused), a reset no
//! later step explains, and loss. Failure catalogue: a SYN never answered is what the
//! switch logs as 'Connection timed out' (CALL_HOME ERR 207); a RST in answer to the SYN
//! is a refusal (RFC 9293 §3.5.2).

use super::Seen;
use crate::model::time::{MsPrecision::Whole, ms};
use crate::model::*;

/// Retransmitted segments on one connection before it is worth a warning.
pub const RETRANSMISSION_WARNING: u64 = 3;

/// `tcp_unreachable`, `tcp_timeout` or `tcp_refused`: the connection attempt failed; on
/// a connection to the switch's configured proxy, `proxy_unreachable` with the same detail
/// (issue 15 item 8).
pub fn handshake(c: &Connection, seen: &Seen) -> Option<Finding> {
    match c.state {
        TcpState::SynUnanswered => Some(unreachable(c, seen).unwrap_or_else(|| timeout(c, seen))),
        TcpState::Refused => Some(refused(c, seen)),
        _ => None,
    }
}

/// Whether the connection attempt went unanswered (no SYN/ACK, no RST, no ICMP): the
/// failure a capture that stopped too early can fake (`capture_ended`).
pub fn syn_unanswered(c: &Connection) -> bool {
    c.state == TcpState::SynUnanswered
        && !c
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::TcpUnreachable { .. }))
}

/// The finding of a failed connection attempt: `tcp` as such, or `proxy_unreachable` when
/// the connection went to the switch's configured proxy, its summary "the configured proxy
/// A:P cannot be reached: " and the TCP detail.
fn attempt(c: &Connection, seen: &Seen, tcp: FindingCode, detail: String) -> Finding {
    if c.configured_proxy {
        Finding::new(
            FindingCode::ProxyUnreachable,
            Severity::Error,
            Step::Tcp,
            format!("{} cannot be reached: {detail}", seen.target),
        )
    } else {
        Finding::new(tcp, Severity::Error, Step::Tcp, detail)
    }
}

/// `tcp_unreachable`: ICMP unreachable (or no local route) instead of a SYN/ACK.
fn unreachable(c: &Connection, seen: &Seen) -> Option<Finding> {
    let (e, reason) = c.events.iter().find_map(|e| match &e.kind {
        EventKind::TcpUnreachable { reason } => Some((e, reason)),
        _ => None,
    })?;
    Some(
        attempt(
            c,
            seen,
            FindingCode::TcpUnreachable,
            if c.configured_proxy {
                reason.to_string()
            } else {
                format!("{} is unreachable: {reason}", seen.target)
            },
        )
        .explain("The connection attempt was answered by ICMP unreachable (or the local stack has no route): a routing problem on the source interface/VRF, not a firewall silently dropping.")
        .fix([
            "show ip route <destination>              ! or: show ip route vrf <VRF> <destination>",
            "ip http client source-interface <interface-with-a-route>",
            "license smart vrf <VRF>        ! if the path lives in a VRF",
        ])
        .fix(c.configured_proxy.then(|| proxy_fix(c, "! the configured proxy's address is unreachable from the switch's source interface/VRF")).into_iter().flatten())
        .evidence([Evidence::of(e, "unreachable")]),
    )
}

/// `tcp_timeout`: SYNs and nothing back.
fn timeout(c: &Connection, seen: &Seen) -> Finding {
    let syns: Vec<&Event> = c
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TcpSyn { .. }))
        .collect();
    // Until the last SYN, or until the client gave up (the probe's wait).
    let span = match (syns.first(), syns.last()) {
        (Some(a), Some(b)) => (b.time_ns - a.time_ns).max(c.end_ns - a.time_ns),
        _ => 0,
    };
    let n = format!(
        "{} SYN{} over {}",
        syns.len(),
        if syns.len() == 1 { "" } else { "s" },
        ms(span, Whole)
    );
    attempt(
        c,
        seen,
        FindingCode::TcpTimeout,
        if c.configured_proxy {
            format!("no answer to {n}")
        } else {
            format!("SYN to {} never answered ({n})", seen.target)
        },
    )
    .explain("The connection attempt got no SYN/ACK and no RST: something on the path drops it (routing, an ACL, a firewall), or the host is down. The switch logs 'Connection timed out' (CALL_HOME ERR 207).")
    .fix([
        "! check routing and ACLs from the source interface to the destination and port:",
        "ip http client source-interface <interface>",
        "license smart vrf <VRF>        ! if the path lives in a VRF",
        "show ip route <destination>",
    ])
    .fix(c.configured_proxy.then(|| proxy_fix(c, "! nothing answers at the configured proxy: is it up at that address, and does a route or ACL drop the switch's SYNs?")).into_iter().flatten())
    .evidence(syns.iter().map(|e| Evidence::of(e, "SYN")))
}

/// `tcp_refused`: RST in answer to the SYN. The advice fits the path: a connection to
/// 443 (or CSLU's 8182) goes straight to the licensing server, one to another port is most
/// likely the configured proxy.
fn refused(c: &Connection, seen: &Seen) -> Finding {
    let direct =
        matches!(c.server.port(), 443 | 8182) && c.proxy_target.is_none() && !c.configured_proxy;
    let f = attempt(
        c,
        seen,
        FindingCode::TcpRefused,
        if c.configured_proxy {
            "it refused the connection (RST in answer to SYN)".into()
        } else {
            format!(
                "{} refused the connection (RST in answer to SYN)",
                seen.target
            )
        },
    );
    let f = if c.configured_proxy {
        f.explain("This is the proxy the switch is configured to use (license smart proxy): nothing listens on that port at that address, or a firewall in front of the proxy rejects the connection with a reset. The switch cannot reach licensing until it can connect to its proxy.")
            .fix(proxy_fix(c, "! is the proxy running and listening on this port? (squid: http_port; a firewall allowing the switch to it?)"))
    } else if direct {
        f.explain("Nothing listens on that port at that address, or a firewall on the path rejects the connection with a reset. A direct connection to the licensing server is normally never refused: look for the device that sends the RST.")
            .fix([
                "! a firewall or ACL rejecting the switch's source address to this port:",
                "show ip route <destination>",
                "ip http client source-interface <interface>",
                "! or the URL points at the wrong host/port:",
                "show license status | include URL",
            ])
    } else {
        f.explain("Nothing listens on that port, or a firewall rejects the connection. If this is the proxy: is the proxy address and port right?")
            .fix([
                "license smart proxy address <proxy-host-or-ip>",
                "license smart proxy port <port-the-proxy-listens-on>",
            ])
    };
    f.evidence(
        seen.rst_from_server
            .map(|(_, e)| Evidence::of(e, "RST in answer to SYN")),
    )
}

/// The fix for a configured proxy that cannot be connected to: the check to make, then
/// the lines that point the switch at the right proxy, its address filled in.
fn proxy_fix(c: &Connection, check: &str) -> Vec<String> {
    vec![
        // The address: the server name may be what DNS called that address, not the
        // name the configuration gives the proxy.
        format!("! the switch is configured for the proxy at {}", c.server),
        check.to_string(),
        "! or point the switch at the proxy's real address and port:".into(),
        "license smart proxy address <proxy-host-or-ip>".into(),
        "license smart proxy port <port-the-proxy-listens-on>".into(),
    ]
}

/// `tcp_reset`: a server RST after the handshake, before anything completed, that no
/// finding in `so_far` explains.
pub fn reset(c: &Connection, seen: &Seen, so_far: &[Finding]) -> Option<Finding> {
    let completed = c.tls.as_ref().is_some_and(|t| t.handshake_complete)
        || c.events.iter().any(|e| matches!(&e.kind, EventKind::HttpResponse { status, .. } if (200..400).contains(status)));
    if c.state != TcpState::ResetByServer
        || completed
        || so_far.iter().any(|x| x.severity == Severity::Error)
    {
        return None;
    }
    let (_, e) = seen.rst_from_server?;
    let rst = c
        .events
        .iter()
        .position(|x| matches!(x.kind, EventKind::TcpRst) && x.dir == Direction::ToClient);
    let syn_ack = c
        .events
        .iter()
        .position(|x| matches!(x.kind, EventKind::TcpSynAck { .. }));
    let injected = syn_ack.is_some() && rst < syn_ack;
    Some(
        Finding::new(
            FindingCode::TcpReset,
            Severity::Error,
            Step::Tcp,
            format!(
                "{} reset the connection before the exchange completed{}",
                seen.target,
                if injected {
                    " (a RST arrived before the SYN/ACK: likely injected by a middlebox)"
                } else {
                    ""
                }
            ),
        )
        .explain("The server side sent RST on an established connection before any TLS handshake or HTTP answer completed: the service aborted, or a firewall/IPS injected the reset.")
        .fix(["! find which device sends the RST: compare its TTL/IP ID with the server's other packets, or capture on both sides of the firewall"])
        .evidence([Evidence::of(e, "RST from the server side")]),
    )
}

/// `retransmissions`: a lossy path (a warning).
pub fn retransmissions(c: &Connection) -> Option<Finding> {
    (c.retransmissions >= RETRANSMISSION_WARNING && c.state != TcpState::SynUnanswered).then(|| {
        let l = &c.loss;
        let rate = |re: u64, n: u64| match n {
            0 => String::new(),
            n => format!(" of {n} ({:.1}%)", re as f64 * 100.0 / n as f64),
        };
        let detail = if l.is_clean() {
            String::new()
        } else {
            format!(
                ": to the server {}{}, to the client {}{}; {} after a retransmission timeout",
                l.retransmitted_to_server,
                rate(l.retransmitted_to_server, l.segments_to_server),
                l.retransmitted_to_client,
                rate(l.retransmitted_to_client, l.segments_to_client),
                l.timeouts
            )
        };
        Finding::new(
            FindingCode::Retransmissions,
            Severity::Warning,
            Step::Tcp,
            format!("{} retransmitted segments on this connection{detail}", c.retransmissions),
        )
        .explain("Packets were lost and sent again: a lossy or congested path. Licensing messages are small, so loss shows as slowness or timeouts rather than as failure.")
        .fix(["! check interface errors and drops on the path: show interfaces <if> | include errors|drops"])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::connection;

    #[test]
    fn syns_never_answered_are_a_timeout_over_the_whole_wait() {
        let c = connection()
            .state(TcpState::SynUnanswered)
            .syn()
            .after_ms(1000)
            .syn()
            .after_ms(2000)
            .syn()
            .build();
        let f = handshake(&c, &Seen::of(&c)).expect("a finding");
        assert_eq!(
            (f.code, f.severity, f.step),
            (FindingCode::TcpTimeout, Severity::Error, Step::Tcp)
        );
        assert_eq!(
            f.summary,
            "SYN to 203.0.113.10:443 never answered (3 SYNs over 3000 ms)"
        );
        assert_eq!(f.evidence.len(), 3);
    }

    #[test]
    fn icmp_unreachable_beats_timeout() {
        let c = connection()
            .state(TcpState::SynUnanswered)
            .syn()
            .to_client(EventKind::TcpUnreachable {
                reason: "no route to host".into(),
            })
            .build();
        let f = handshake(&c, &Seen::of(&c)).expect("a finding");
        assert_eq!(f.code, FindingCode::TcpUnreachable);
        assert_eq!(
            f.summary,
            "203.0.113.10:443 is unreachable: no route to host"
        );
    }

    /// A refused direct connection is not told to fix proxy settings; one to a proxy port is.
    #[test]
    fn refused_advice_fits_the_path() {
        let refused_at = |addr: &str| {
            let c = connection()
                .server(addr)
                .state(TcpState::Refused)
                .syn()
                .rst(Direction::ToClient)
                .build();
            handshake(&c, &Seen::of(&c)).expect("a finding")
        };
        let direct = refused_at("203.0.113.21:443");
        assert!(
            !direct
                .remediation
                .iter()
                .any(|l| l.contains("license smart proxy")),
            "{:?}",
            direct.remediation
        );
        assert!(direct.explanation.contains("direct connection"));
        let proxy = refused_at("198.51.100.4:3128");
        assert!(
            proxy
                .remediation
                .iter()
                .any(|l| l.contains("license smart proxy port"))
        );
    }

    /// Issue 15 item 8: a failed connection attempt to the switch's configured proxy is
    /// `proxy_unreachable`, its summary the TCP detail, its fix the proxy's; the same
    /// attempt elsewhere keeps its `tcp_*` code.
    #[test]
    fn a_failed_attempt_at_the_configured_proxy_is_proxy_unreachable() {
        let at_proxy = |c: Connection| {
            let mut c = c;
            c.configured_proxy = true;
            handshake(&c, &Seen::of(&c)).expect("a finding")
        };
        let attempt = |i: usize| {
            let b = connection().server("198.51.100.4:3128");
            match i {
                0 => b.state(TcpState::Refused).syn().rst(Direction::ToClient),
                1 => b.state(TcpState::SynUnanswered).syn().after_ms(1000).syn(),
                _ => b
                    .state(TcpState::SynUnanswered)
                    .syn()
                    .to_client(EventKind::TcpUnreachable {
                        reason: "ICMP host unreachable from 192.0.2.1".into(),
                    }),
            }
            .build()
        };
        let summaries = [
            "the configured proxy 198.51.100.4:3128 cannot be reached: it refused the connection (RST in answer to SYN)",
            "the configured proxy 198.51.100.4:3128 cannot be reached: no answer to 2 SYNs over 1000 ms",
            "the configured proxy 198.51.100.4:3128 cannot be reached: ICMP host unreachable from 192.0.2.1",
        ];
        let evidence = ["RST in answer to SYN", "SYN", "unreachable"];
        let plain = [
            FindingCode::TcpRefused,
            FindingCode::TcpTimeout,
            FindingCode::TcpUnreachable,
        ];
        for i in 0..3 {
            let direct = attempt(i);
            let f = handshake(&direct, &Seen::of(&direct)).expect("a finding");
            assert_eq!(f.code, plain[i]);
            assert!(!f.summary.contains("configured proxy"), "{}", f.summary);
            let f = at_proxy(attempt(i));
            assert_eq!(
                (f.code, f.severity, f.step, f.summary.as_str()),
                (
                    FindingCode::ProxyUnreachable,
                    Severity::Error,
                    Step::Tcp,
                    summaries[i]
                )
            );
            assert_eq!(f.evidence[0].what, evidence[i]);
            for line in [
                "! the switch is configured for the proxy at 198.51.100.4:3128",
                "license smart proxy address <proxy-host-or-ip>",
                "license smart proxy port <port-the-proxy-listens-on>",
            ] {
                assert!(
                    f.remediation.iter().any(|l| l == line),
                    "{i}: {:?}",
                    f.remediation
                );
            }
        }
        // Unanswered, not answered by RST or ICMP: what a capture that stopped can fake.
        let mut c = connection().state(TcpState::SynUnanswered).syn().build();
        assert!(syn_unanswered(&c));
        c.events.push(c.events[0].clone());
        c.events[1].kind = EventKind::TcpUnreachable { reason: "x".into() };
        assert!(!syn_unanswered(&c));
        let refused = connection().state(TcpState::Refused).syn().build();
        assert!(!syn_unanswered(&refused));
    }

    #[test]
    fn rst_to_syn_is_refused() {
        let c = connection()
            .state(TcpState::Refused)
            .syn()
            .rst(Direction::ToClient)
            .build();
        let f = handshake(&c, &Seen::of(&c)).expect("a finding");
        assert_eq!((f.code, f.step), (FindingCode::TcpRefused, Step::Tcp));
        assert!(
            f.summary.contains("refused the connection"),
            "{}",
            f.summary
        );
        assert_eq!(f.evidence[0].what, "RST in answer to SYN");
        let open = connection().handshake().build();
        assert!(handshake(&open, &Seen::of(&open)).is_none());
    }

    #[test]
    fn reset_after_the_handshake_unless_something_else_explains_it() {
        let c = connection()
            .state(TcpState::ResetByServer)
            .handshake()
            .rst(Direction::ToClient)
            .build();
        let seen = Seen::of(&c);
        let f = reset(&c, &seen, &[]).expect("a finding");
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::TcpReset, Severity::Error)
        );
        assert_eq!(
            f.summary,
            "203.0.113.10:443 reset the connection before the exchange completed"
        );
        let earlier = Finding::new(FindingCode::TlsAlert, Severity::Error, Step::Tls, "x");
        assert!(reset(&c, &seen, &[earlier]).is_none());
        let warning = Finding::new(
            FindingCode::CaptureGap,
            Severity::Warning,
            Step::Capture,
            "x",
        );
        assert!(reset(&c, &seen, &[warning]).is_some());
    }

    #[test]
    fn reset_before_the_syn_ack_looks_injected() {
        let c = connection()
            .state(TcpState::ResetByServer)
            .syn()
            .rst(Direction::ToClient)
            .syn_ack()
            .build();
        let f = reset(&c, &Seen::of(&c), &[]).expect("a finding");
        assert!(f.summary.contains("likely injected"), "{}", f.summary);
    }

    #[test]
    fn no_reset_finding_once_the_exchange_completed() {
        let c = connection()
            .state(TcpState::ResetByServer)
            .handshake()
            .handshake_complete()
            .rst(Direction::ToClient)
            .build();
        assert!(reset(&c, &Seen::of(&c), &[]).is_none());
    }

    #[test]
    fn retransmissions_from_three_on() {
        let lossy = connection().retransmissions(3).build();
        let f = retransmissions(&lossy).expect("a finding");
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::Retransmissions, Severity::Warning)
        );
        assert_eq!(f.summary, "3 retransmitted segments on this connection");
        assert!(retransmissions(&connection().retransmissions(2).build()).is_none());
        // Repeated SYNs are the timeout's evidence, not loss.
        let syns = connection()
            .state(TcpState::SynUnanswered)
            .retransmissions(5)
            .build();
        assert!(retransmissions(&syns).is_none());
    }
}
