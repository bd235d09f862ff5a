//! Rules about the capture itself, not the network: a connection of which only the
//! client's side was captured, and bytes the peer acknowledged that the capture lacks
//! (Embedded Packet Capture keeps at most 1000 packets/s).

use crate::model::*;

/// The Embedded Packet Capture commands that record a switch's licensing exchange
/// (Cisco Catalyst 9000 "Configuring Packet Capture"): an access list for the licensing,
/// proxy and DNS traffic, the capture on the uplink, a sync that makes the switch talk now,
/// and the export.
pub const EPC_COMMANDS: &[&str] = &[
    "ip access-list extended LICPATH",
    " permit ip any host <proxy-or-licensing-address>",
    " permit ip host <proxy-or-licensing-address> any",
    " permit udp any any eq domain",
    " permit udp any eq domain any",
    "monitor capture LICPATH interface <uplink-or-source-interface> both access-list LICPATH buffer size 100",
    "monitor capture LICPATH start",
    "license smart sync all",
    "monitor capture LICPATH stop",
    "monitor capture LICPATH export location flash:licpath.pcap",
];

/// `no_licensing_traffic`: a capture in which no connection and no DNS query is the
/// switch's licensing traffic. Nothing to judge, which is not "OK": say what to capture.
pub fn no_licensing_traffic(t: &Timeline) -> Option<Finding> {
    let licensing = t.connections.iter().any(|c| c.licensing) || t.dns.iter().any(|d| d.licensing);
    if licensing || !matches!(t.source, Source::Capture { .. }) {
        return None;
    }
    Some(
        Finding::new(
            FindingCode::NoLicensingTraffic,
            Severity::Warning,
            Step::Capture,
            format!(
                "no licensing traffic in this capture ({} connection{} of other hosts): nothing shows whether the switch can reach licensing",
                t.connections.len(),
                if t.connections.len() == 1 { "" } else { "s" }
            ),
        )
        .explain("No DNS query for a licensing name and no connection to a licensing host, a configured proxy or a name given with --host. Either the capture was taken where the switch's licensing traffic does not pass, at a time it did not try, or the switch uses a host licpath was not told about (--host NAME, --all to see everything). Capture on the switch while forcing a report:")
        .fix(EPC_COMMANDS.iter().copied()),
    )
}

/// `capture_one_direction`: the client acknowledged server data the capture lacks.
pub fn one_direction(c: &Connection) -> Finding {
    Finding::new(
        FindingCode::CaptureOneDirection,
        Severity::Warning,
        Step::Capture,
        format!(
            "only the client's side of the connection to {} is in the capture",
            c.server
        ),
    )
    .confidence(Confidence::High)
    .explain("The client acknowledged a SYN/ACK and data that the capture does not hold, so the server did answer; its packets were not captured (an egress-only capture, or asymmetric routing around the capture point). Nothing can be concluded about the server's answers from this file.")
    .fix([
        "monitor capture NAME interface <if> both   ! capture both directions",
        "monitor capture NAME match ipv4 host <switch-ip> any",
    ])
    .evidence(
        c.events
            .first()
            .map(|e| Evidence::of(e, "first packet of the connection")),
    )
}

/// `capture_gap`: bytes of this connection are missing from the capture (a warning).
pub fn gap(c: &Connection) -> Option<Finding> {
    let first = c
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::TcpGap { .. }))?;
    let total: u64 = c
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TcpGap { missing_bytes } => Some(missing_bytes),
            _ => None,
        })
        .sum();
    Some(
        Finding::new(
            FindingCode::CaptureGap,
            Severity::Warning,
            Step::Capture,
            format!("{total} bytes of this connection are missing from the capture"),
        )
        .confidence(Confidence::High)
        .explain("The peer acknowledged data the capture does not hold: the capture dropped packets (Embedded Packet Capture keeps at most 1000 packets/s) or frames were truncated. Conclusions after the gap are weaker.")
        .fix(["monitor capture NAME ... match ipv4 host <switch-ip> any   ! a narrower filter drops less"])
        .evidence([Evidence::of(first, "first gap")]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::connection;

    #[test]
    fn one_direction_points_at_the_first_packet() {
        let c = connection().one_direction().syn().build();
        let f = one_direction(&c);
        assert_eq!(
            (f.code, f.severity, f.step, f.confidence),
            (
                FindingCode::CaptureOneDirection,
                Severity::Warning,
                Step::Capture,
                Confidence::High
            )
        );
        assert_eq!(
            f.summary,
            "only the client's side of the connection to 203.0.113.10:443 is in the capture"
        );
        assert_eq!(f.evidence[0].what, "first packet of the connection");
        assert_eq!(f.evidence[0].frame, Some(1));
    }

    #[test]
    fn gaps_add_up() {
        let c = connection()
            .handshake()
            .to_client(EventKind::TcpGap {
                missing_bytes: 1000,
            })
            .to_client(EventKind::TcpGap { missing_bytes: 460 })
            .build();
        let f = gap(&c).expect("a finding");
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::CaptureGap, Severity::Warning)
        );
        assert_eq!(
            f.summary,
            "1460 bytes of this connection are missing from the capture"
        );
        assert_eq!(f.evidence[0].frame, Some(3));
        assert!(gap(&connection().handshake().build()).is_none());
    }
}
