//! Rules about the capture itself, not the network: a connection of which only the
//! client's side was captured, bytes the peer acknowledged that the capture lacks
//! (Embedded Packet Capture keeps at most 1000 packets/s), a capture filter that kept only
//! packets carrying data, a capture that ended while a handshake step waited for its
//! answer, and a capture clock that cannot be right. What is merely missing from a
//! capture is never made into a network failure.

use crate::model::time::{MsPrecision::Whole, ms};
use crate::model::*;

/// The findings about reading the capture (`stats.reading`, recorded by `flow` and
/// `pipeline`), in the order they were met: time going backwards, frames cut by the snap
/// length, the flow table's budget, the file cut short.
pub fn reading(t: &Timeline) -> Vec<Finding> {
    let r = &t.stats.reading;
    let mut out = Vec::new();
    out.extend(time_backwards(&t.stats));
    out.extend(truncated_frames(&t.stats));
    out.extend(r.overload.as_ref().map(overload));
    out.extend(r.cut_short.as_ref().map(|c| cut_short(c, t.end_ns)));
    out
}

/// `capture_time_backwards`.
fn time_backwards(s: &CaptureStats) -> Option<Finding> {
    let (frame, t) = s.reading.backwards_first?;
    Some(
        Finding::new(
            FindingCode::CaptureTimeBackwards,
            Severity::Info,
            Step::Capture,
            format!("{} frame(s) have a timestamp earlier than the frame before", s.time_went_backwards),
        )
        .explain("Switch exports (Embedded Packet Capture) are not guaranteed to be time-ordered, nor are merged or rewritten files. licpath follows the connections in timestamp order (file order among equal stamps; frames further out of place than 4096 frames stay where the file has them) and cites each frame by its number in the file.")
        .evidence([Evidence::frame(frame, t, "first frame whose time goes backwards")]),
    )
}

/// `capture_truncated` (info): frames cut by the snap length.
fn truncated_frames(s: &CaptureStats) -> Option<Finding> {
    let (frame, t) = s.reading.truncated_first?;
    Some(
        Finding::new(
            FindingCode::CaptureTruncated,
            Severity::Info,
            Step::Capture,
            format!("{} frame(s) were captured shorter than they were on the wire", s.frames_truncated),
        )
        .explain("Those frames were cut by the capture's snap length; bytes past the cut are treated as a capture gap, not as a protocol error.")
        .fix(["monitor capture NAME limit packet-len 9500   ! capture whole frames"])
        .evidence([Evidence::frame(frame, t, "first truncated frame")]),
    )
}

/// `capture_overload`: what the flow table's budget forced.
pub fn overload(o: &OverloadFacts) -> Finding {
    let mut parts = Vec::new();
    if o.flows_evicted > 0 {
        parts.push(format!(
            "{} flow(s) evicted under memory pressure ({}); verdicts for them are partial",
            o.flows_evicted,
            match o.licensing_evicted {
                0 => "none of them licensing".to_string(),
                n => format!("{n} of them licensing"),
            }
        ));
    }
    if o.holes_forced > 0 {
        parts.push(format!(
            "{} wait(s) for missing data cut short under memory pressure (the holes became gaps)",
            o.holes_forced
        ));
    }
    let summary = parts.join("; ");
    Finding::new(FindingCode::CaptureOverload, Severity::Warning, Step::Capture, summary)
        .explain(format!(
            "The capture holds more simultaneous flows or out-of-order data than licpath keeps in memory (at most {} live flows, {} MiB of flow state, {} MiB waiting behind holes). The least recently used flows were finished early, licensing flows last: an evicted flow is judged on what was seen before its eviction, and its later packets start a new flow without its beginning.",
            o.max_live_flows,
            o.max_flow_bytes >> 20,
            o.max_buffered_bytes >> 20
        ))
        .fix(["monitor capture NAME match ipv4 host <licensing, proxy or DNS address> any   ! capture only the licensing traffic"])
        .evidence(o.first.map(|(frame, t)| Evidence::frame(frame, t, "first eviction")))
        .evidence(o.licensing.iter().cloned())
}

/// `capture_truncated` (warning): the file itself is cut short.
fn cut_short(c: &CutShort, end_ns: Option<i64>) -> Finding {
    let said = match &c.corrupt {
        Some(why) => format!("reading stopped after frame {}: {why}", c.last_frame),
        None => format!("the file ends inside a record after frame {}", c.last_frame),
    };
    Finding::new(FindingCode::CaptureTruncated, Severity::Warning, Step::Capture, said)
        .explain("The capture file is cut short (an interrupted export or copy). Everything before the cut was analysed; connections still open at the cut show as unfinished.")
        .fix(["monitor capture NAME export location flash:NAME.pcap   ! export again after 'monitor capture NAME stop'"])
        .evidence([Evidence::frame(c.last_frame, end_ns.unwrap_or(0), "last complete frame")])
}

/// `no_licensing_traffic`: a capture in which no connection and no DNS query is the
/// switch's licensing traffic. Nothing to judge, which is not "OK": say what to capture.
pub fn no_licensing_traffic(t: &Timeline) -> Option<Finding> {
    let licensing = t.connections.iter().any(|c| c.licensing) || t.dns.iter().any(|d| d.licensing);
    if licensing || !matches!(t.source, Source::Capture { .. }) {
        return None;
    }
    // Those shown and those hidden from the report (not licensing, no `--all`).
    let others = (t.connections.len() as u64).saturating_add(t.hidden_connections);
    Some(
        Finding::new(
            FindingCode::NoLicensingTraffic,
            Severity::Warning,
            Step::Capture,
            format!(
                "no licensing traffic in this capture ({} connection{} of other hosts): nothing shows whether the switch can reach licensing",
                others,
                if others == 1 { "" } else { "s" }
            ),
        )
        .explain("No DNS query for a licensing name and no connection to a licensing host, a configured proxy or a name given with --host. Either the capture was taken where the switch's licensing traffic does not pass, at a time it did not try, or the switch uses a host licpath was not told about (--host NAME, --all to see everything). Capture on the switch while forcing a report:")
        .fix(super::context::epc_commands(t.context.as_ref())),
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

/// Findings that rest on the absence of packets: a filter that removed packets makes
/// them baseless (issue 15 item 5).
const ABSENCE_BASED: &[FindingCode] = &[
    FindingCode::TlsTimeout,
    FindingCode::TlsReset,
    FindingCode::MtuBlackhole,
    FindingCode::TlsClientAbort,
    FindingCode::TcpTimeout,
    FindingCode::CaptureGap,
];

/// Whether finding `code` on `c` rests on the absence of packets: [`ABSENCE_BASED`], and
/// `proxy_unreachable` when the proxy's SYNs went unanswered (not refused, not ICMP).
pub(crate) fn absence_based(c: &Connection, code: FindingCode) -> bool {
    ABSENCE_BASED.contains(&code)
        || (code == FindingCode::ProxyUnreachable && super::tcp::syn_unanswered(c))
}

/// Packets with data of one connection at least, for "no packet without data" to mean a
/// filter: a real exchange of that many has a pure ACK, or a FIN.
const FILTER_MIN_PACKETS: u64 = 3;

/// A capture that ended sooner than this after a request (the first SYN, the
/// ClientHello) that the client had not given up on shows no timeout: the answer may
/// simply not have been captured. TCP's initial retransmission timeout is 1 s (RFC 6298
/// §2.1), so 3 s is two retransmissions.
pub const CAPTURE_ENDED_WAIT_NS: i64 = 3_000_000_000;

/// Capture times before this (2000-01-01) are a clock that was never set: the Unix epoch
/// of a device without a calendar, or IOS's 1993 default. Smart Licensing is from 2017.
pub const CLOCK_FLOOR_UNIX: i64 = 946_684_800;
/// A capture this far before the notBefore of every certificate of the chain it holds
/// (one year) has a clock behind by years, not a chain issued for the future.
const CLOCK_BEHIND_CHAIN_S: i64 = 365 * 86_400;
/// A capture this far after "now" (a year) has a clock in the future, not merely a
/// reader whose own clock is a little behind.
const CLOCK_AHEAD_S: i64 = 365 * 86_400;

/// What a connection's TCP packets show about a capture filter: every packet carried data
/// (or was a SYN), data went both ways, and none was a pure ACK, FIN or RST. A TLS-only
/// (`tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0x16`) or PSH-only (`tcp[tcpflags] & tcp-push
/// != 0`) capture filter does that; a real connection never does.
pub fn looks_filtered(c: &Connection) -> bool {
    let with_data_or_syn = c.loss.segments_to_server + c.loss.segments_to_client;
    let syns = c
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::TcpSyn { .. } | EventKind::TcpSynAck { .. }
            )
        })
        .count() as u64;
    c.packets <= with_data_or_syn
        && with_data_or_syn.saturating_sub(syns) >= FILTER_MIN_PACKETS
        && c.bytes_to_server > 0
        && c.bytes_to_client > 0
}

/// `capture_filtered`: the capture filter removed packets (see [`looks_filtered`]).
pub fn filtered(c: &Connection) -> Finding {
    let gap: u64 = c
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TcpGap { missing_bytes } | EventKind::TcpLost { missing_bytes, .. } => {
                Some(missing_bytes)
            }
            _ => None,
        })
        .sum();
    let mut missing = vec!["every pure ACK"];
    if c.state == TcpState::StartNotCaptured {
        missing.insert(0, "the SYN and SYN/ACK");
    }
    if !matches!(
        c.state,
        TcpState::ClosedByClient
            | TcpState::ClosedByServer
            | TcpState::ResetByClient
            | TcpState::ResetByServer
            | TcpState::Refused
    ) {
        missing.push("the FIN or RST that ended it");
    }
    let gap = if gap > 0 {
        format!(", and {gap} bytes of data")
    } else {
        String::new()
    };
    Finding::new(
        FindingCode::CaptureFiltered,
        Severity::Warning,
        Step::Capture,
        format!(
            "a capture filter kept only packets carrying data on the connection to {}: {} missing{gap}",
            c.server,
            match missing.split_last() {
                Some((last, [])) => format!("{last} is"),
                Some((last, rest)) => format!("{} and {last} are", rest.join(", ")),
                None => String::new(),
            }
        ),
    )
    .confidence(Confidence::High)
    .explain(format!(
        "All {} packets of this connection carry data: a real TCP connection always has payload-less packets (the handshake's ACK, delayed ACKs, the FIN), so a capture filter removed them (a TLS-only filter such as tcpdump's 'tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0x16', or 'tcp[tcpflags] & tcp-push != 0'). Whatever rests on a packet's absence cannot be judged here: no timeout, reset, loss or black hole is concluded. What was captured (hellos, certificates, alerts) is still judged. Capture the licensing traffic whole:",
        c.packets
    ))
    .fix([
        format!("tcpdump -i <interface> -s 0 -w licensing.pcap host {}   ! no filter on flags or payload", c.server.ip()),
        "monitor capture LICPATH interface <uplink> both match ipv4 host <switch-ip> any   ! on the switch".to_string(),
    ])
    .evidence(c.events.first().map(|e| Evidence::of(e, "first packet captured")))
}

/// The first request of a connection still unanswered when the capture ended: the
/// ClientHello for `tls_timeout`, the first SYN for `tcp_timeout` and for a
/// `proxy_unreachable` whose SYN went unanswered.
fn unanswered_request(c: &Connection, code: FindingCode) -> Option<&Event> {
    c.events.iter().find(|e| match code {
        FindingCode::TlsTimeout => {
            e.dir == Direction::ToServer && matches!(e.kind, EventKind::TlsClientHello(_))
        }
        FindingCode::TcpTimeout => matches!(e.kind, EventKind::TcpSyn { .. }),
        // The configured proxy's unanswered SYN (not its RST or ICMP answer).
        FindingCode::ProxyUnreachable => {
            super::tcp::syn_unanswered(c) && matches!(e.kind, EventKind::TcpSyn { .. })
        }
        _ => false,
    })
}

/// The fix of `capture_ended`: capture until the switch has given its own verdict.
const CAPTURE_LONGER: &[&str] = &[
    "monitor capture LICPATH start",
    "license smart sync all",
    "! wait for %SMART_LIC-3-COMM_FAILED or a successful sync (show license status), at least 60 s",
    "monitor capture LICPATH stop",
];

/// `capture_ended`: a timeout finding in `f` whose request was sent less than
/// [`CAPTURE_ENDED_WAIT_NS`] before the capture's last packet (`capture_end_ns`), the
/// client not having given up nor re-sent its request: the capture stopped, the server
/// may have answered after.
pub fn ended(c: &Connection, f: &[Finding], capture_end_ns: i64) -> Option<Finding> {
    let client_gave_up = c.events.iter().any(|e| {
        e.dir == Direction::ToServer && matches!(e.kind, EventKind::TcpFin | EventKind::TcpRst)
    });
    // A request sent again (a SYN retried, a ClientHello retransmitted) shows the client
    // itself waited out its retransmission timeout without an answer: that is seen, not
    // missing, so the timeout stays (as a DNS query re-sent stays `dns_timeout`).
    let client_retried = c.events.iter().any(|e| {
        e.dir == Direction::ToServer
            && matches!(
                e.kind,
                EventKind::TcpSyn {
                    retransmission: true,
                    ..
                }
            )
    }) || c.loss.retransmitted_to_server > 0;
    if client_gave_up || client_retried {
        return None;
    }
    let (timeout, request) = f.iter().find_map(|x| {
        unanswered_request(c, x.code)
            .filter(|r| capture_end_ns - r.time_ns < CAPTURE_ENDED_WAIT_NS)
            .map(|r| (x, r))
    })?;
    let what = match timeout.code {
        FindingCode::TlsTimeout => "ClientHello",
        _ => "SYN",
    };
    let waited = ms(capture_end_ns - request.time_ns, Whole);
    Some(
        ended_finding(
            format!(
                "the capture ended {waited} after the {what} to {}, before any answer: not a timeout, the answer may simply not have been captured",
                c.server
            ),
            format!(
                "The client was still waiting (it had not closed or reset the connection) when the capture's last packet was taken, {waited} after its request. A switch waits far longer before it reports a failure, so nothing here shows whether the server answers."
            ),
        )
        .evidence([Evidence::of(request, what)]),
    )
}

/// `capture_ended`, built one way for a connection ([`ended`]) and for a DNS name
/// (`dns::ended`): `why` says what was still waiting; the advice to capture for longer
/// follows.
pub fn ended_finding(summary: String, why: String) -> Finding {
    Finding::new(
        FindingCode::CaptureEnded,
        Severity::Warning,
        Step::Capture,
        summary,
    )
    .confidence(Confidence::High)
    .explain(format!(
        "{why} Capture for longer: start the capture, make the switch talk, and stop it only after the switch logs success or failure (at least 60 s)."
    ))
    .fix(CAPTURE_LONGER)
}

/// Withholds what the capture cannot show (issue 15 item 5): on a filtered connection the
/// absence-based findings give way to `capture_filtered`; a timeout the capture merely
/// stopped too early to see becomes `capture_ended`. `capture_end_ns` is the last packet
/// of the whole capture (`None` outside a capture).
pub fn withhold_missing(c: &Connection, f: &mut Vec<Finding>, capture_end_ns: Option<i64>) {
    if looks_filtered(c) {
        f.retain(|x| !absence_based(c, x.code));
        f.push(filtered(c));
        return;
    }
    if let Some(ended) = capture_end_ns.and_then(|end| ended(c, f, end)) {
        f.retain(|x| unanswered_request(c, x.code).is_none());
        f.push(ended);
    }
}

/// Why a chain seen at `at_unix` says the capture clock is wrong, if it does: before
/// [`CLOCK_FLOOR_UNIX`], more than a year after `now_unix`, or more than a year before the
/// notBefore of every certificate of the chain (a chain issued for the future has at
/// least its CA certificates valid; a clock behind by years has none).
pub fn clock_invalid(at_unix: i64, certs: &[CertInfo], now_unix: i64) -> Option<String> {
    let at = crate::model::time::format_utc_secs(at_unix);
    if at_unix < CLOCK_FLOOR_UNIX {
        return Some(format!(
            "the capture's clock says {at}, before any TLS certificate of today"
        ));
    }
    if at_unix > now_unix.saturating_add(CLOCK_AHEAD_S) {
        return Some(format!("the capture's clock says {at}, in the future"));
    }
    let earliest = certs.iter().map(|c| c.not_before).min()?;
    (at_unix.saturating_add(CLOCK_BEHIND_CHAIN_S) < earliest).then(|| {
        format!(
            "the capture's clock says {at}, years before every certificate of the chain was issued (the earliest on {})",
            crate::model::time::format_utc_secs(earliest)
        )
    })
}

/// `capture_clock_invalid`: the capture's timestamps cannot be right (see
/// [`clock_invalid`]); certificate validity was judged against now instead.
pub fn clock_finding(ce: &Event, reason: &str) -> Finding {
    Finding::new(
        FindingCode::CaptureClockInvalid,
        Severity::Warning,
        Step::Capture,
        // Not the current time itself: the report of a file must not change by the minute.
        format!(
            "{reason}: the capture clock is wrong; certificate validity judged against the current time instead"
        ),
    )
    .confidence(Confidence::High)
    .explain("The timestamps of this capture cannot be when the traffic happened, so a certificate's dates are not compared with them: licpath judged the chain against the current time instead, as a switch connecting now would. Timings between packets are still right. If the capture was taken on the switch (Embedded Packet Capture), the switch's own clock is wrong too, and a switch with a wrong clock rejects valid certificates (%PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID): set it.")
    .fix(CLOCK_FIX)
    .evidence([Evidence::of(ce, "Certificate (capture time)")])
}

/// `capture_clock_invalid` for the capture as a whole, when no certificate was judged:
/// its first packet's time is before [`CLOCK_FLOOR_UNIX`] or a year after now.
pub fn clock(t: &Timeline, now_unix: i64) -> Option<Finding> {
    let start = t.start_ns?;
    let judged = t
        .connections
        .iter()
        .flat_map(|c| &c.findings)
        .any(|f| f.code == FindingCode::CaptureClockInvalid);
    if judged || !matches!(t.source, Source::Capture { .. }) {
        return None;
    }
    let why = clock_invalid(start.div_euclid(1_000_000_000), &[], now_unix)?;
    Some(
        Finding::new(
            FindingCode::CaptureClockInvalid,
            Severity::Warning,
            Step::Capture,
            format!("{why}: the capture clock is wrong"),
        )
        .confidence(Confidence::High)
        .explain("The timestamps of this capture cannot be when the traffic happened; timings between packets are still right. If the capture was taken on the switch (Embedded Packet Capture), the switch's own clock is wrong too, and a switch with a wrong clock rejects valid certificates (%PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID): set it.")
        .fix(CLOCK_FIX)
        .evidence([Evidence {
            frame: None,
            time_ns: start,
            what: "the capture's first timestamp".into(),
            log: None,
        }]),
    )
}

const CLOCK_FIX: [&str; 3] = [
    "show clock",
    "ntp server <ntp-server>",
    "clock calendar-valid",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::connection;

    #[test]
    fn no_licensing_traffic_counts_the_connections_hidden_from_the_report() {
        use crate::model::testing::timeline;
        let other = connection().licensing(false).handshake().build();
        let mut t = timeline(vec![], vec![other]);
        t.hidden_connections = 2;
        let f = no_licensing_traffic(&t).expect("no_licensing_traffic");
        assert_eq!(
            f.summary,
            "no licensing traffic in this capture (3 connections of other hosts): nothing shows whether the switch can reach licensing"
        );
        t.connections[0].licensing = true;
        assert!(no_licensing_traffic(&t).is_none());
    }

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
    fn a_capture_that_stops_after_the_client_hello_ended_it_did_not_time_out() {
        use crate::model::testing::START_NS;
        let c = connection()
            .handshake()
            .after_ms(10)
            .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12)
            .build();
        let timeout = Finding::new(FindingCode::TlsTimeout, Severity::Error, Step::Tls, "x");
        let hello_ns = c.events.last().map(|e| e.time_ns).unwrap_or_default();
        let f = ended(&c, std::slice::from_ref(&timeout), hello_ns + 500_000_000)
            .expect("capture_ended");
        assert_eq!((f.code, f.step), (FindingCode::CaptureEnded, Step::Capture));
        assert!(
            f.summary
                .starts_with("the capture ended 500 ms after the ClientHello"),
            "{}",
            f.summary
        );
        // Waited long enough: a timeout the capture shows.
        assert!(
            ended(
                &c,
                std::slice::from_ref(&timeout),
                hello_ns + CAPTURE_ENDED_WAIT_NS
            )
            .is_none()
        );
        // The client gave up: a timeout whatever the capture's end.
        let gave_up = connection()
            .handshake()
            .client_hello(None, TlsVersion::Tls12)
            .fin(Direction::ToServer)
            .build();
        assert!(ended(&gave_up, std::slice::from_ref(&timeout), START_NS).is_none());
        // The client re-sent its SYN: it waited out its own timeout, which the capture
        // shows, however soon after the retry the capture ended.
        let syn_timeout = Finding::new(FindingCode::TcpTimeout, Severity::Error, Step::Tcp, "x");
        let once = connection().syn().build();
        let syn_ns = once.events.last().map(|e| e.time_ns).unwrap_or_default();
        assert!(ended(&once, std::slice::from_ref(&syn_timeout), syn_ns + 1).is_some());
        let retried = connection()
            .syn()
            .after_ms(1000)
            .to_server(EventKind::TcpSyn {
                mss: Some(536),
                window: 4128,
                retransmission: true,
            })
            .build();
        let retry_ns = retried.events.last().map(|e| e.time_ns).unwrap_or_default();
        assert!(ended(&retried, &[syn_timeout], retry_ns + 1).is_none());
        // A ClientHello retransmitted: the same.
        let mut hello_again = c.clone();
        hello_again.loss.retransmitted_to_server = 1;
        assert!(ended(&hello_again, &[timeout], hello_ns + 1).is_none());
    }

    /// A `proxy_unreachable` from SYNs the capture stopped too soon after gives way to
    /// `capture_ended` like `tcp_timeout`; one from a RST stays.
    #[test]
    fn an_unanswered_syn_to_the_configured_proxy_can_be_capture_ended() {
        let at_proxy = |state: TcpState| {
            let b = connection().server("198.51.100.4:3128").state(state).syn();
            let mut c = match state {
                TcpState::Refused => b.rst(Direction::ToClient),
                _ => b,
            }
            .build();
            c.configured_proxy = true;
            c
        };
        for (state, expected) in [
            (TcpState::SynUnanswered, FindingCode::CaptureEnded),
            (TcpState::Refused, FindingCode::ProxyUnreachable),
        ] {
            let c = at_proxy(state);
            let mut f: Vec<Finding> =
                crate::diagnose::tcp::handshake(&c, &crate::diagnose::Seen::of(&c))
                    .into_iter()
                    .collect();
            assert_eq!(f[0].code, FindingCode::ProxyUnreachable);
            let syn_ns = c.events[0].time_ns;
            withhold_missing(&c, &mut f, Some(syn_ns + 500_000_000));
            let codes: Vec<FindingCode> = f.iter().map(|x| x.code).collect();
            assert_eq!(codes, [expected], "{state:?}");
        }
        // Waited long enough: the proxy is unreachable.
        let c = at_proxy(TcpState::SynUnanswered);
        let mut f: Vec<Finding> =
            crate::diagnose::tcp::handshake(&c, &crate::diagnose::Seen::of(&c))
                .into_iter()
                .collect();
        withhold_missing(
            &c,
            &mut f,
            Some(c.events[0].time_ns + CAPTURE_ENDED_WAIT_NS),
        );
        assert_eq!(f[0].code, FindingCode::ProxyUnreachable);
    }

    #[test]
    fn clocks_that_cannot_be_right() {
        use crate::model::testing::{START_NS, cert};
        let now = START_NS / 1_000_000_000;
        let chain = [cert("leaf", "ca", now - 86_400, now + 86_400)];
        assert!(
            clock_invalid(1, &chain, now)
                .unwrap()
                .contains("1970-01-01")
        );
        assert!(
            clock_invalid(now + 2 * 365 * 86_400, &chain, now)
                .unwrap()
                .contains("in the future")
        );
        assert!(
            clock_invalid(now - 3 * 365 * 86_400, &chain, now)
                .unwrap()
                .contains("years before")
        );
        assert_eq!(clock_invalid(now, &chain, now), None);
        // A leaf issued for the future under a current CA: the certificate, not the clock.
        let future_leaf = [
            cert(
                "leaf",
                "ca",
                now + 10 * 365 * 86_400,
                now + 11 * 365 * 86_400,
            ),
            cert("ca", "root", now - 86_400, now + 365 * 86_400),
        ];
        assert_eq!(clock_invalid(now, &future_leaf, now), None);
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
