//! Rules about the capture itself, not the network: a connection of which only the
//! client's side was captured, and bytes the peer acknowledged that the capture lacks
//! (Embedded Packet Capture keeps at most 1000 packets/s).

use crate::model::*;

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
