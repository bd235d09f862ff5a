//! Proxy rules: how a proxy answered the client's `CONNECT` (RFC 9110 §9.3.6). A 2xx
//! opens the tunnel; 403, 407 (which the switch can never satisfy: IOS XE's licensing
//! proxy settings have no credentials), 5xx (the proxy failed upstream), anything else or
//! silence is a failure at the proxy step.

use super::Seen;
use crate::model::head_too_long_text;
use crate::model::time::{MsPrecision::Whole, ms};
use crate::model::*;

const PROXY_REMEDY: &[&str] = &[
    "license smart proxy address <proxy>",
    "license smart proxy port <port>",
];

/// Judges the `CONNECT` at `connect`: whether the tunnel opened, and the finding when it
/// did not.
pub fn connect(c: &Connection, (ci, ce): (usize, &Event), seen: &Seen) -> (bool, Option<Finding>) {
    let ctarget = match &ce.kind {
        EventKind::HttpConnectRequest { target, .. } => target.as_str(),
        _ => "",
    };
    let resp = c.events.iter().skip(ci).find(|e| {
        e.dir == Direction::ToClient
            && matches!(
                e.kind,
                EventKind::HttpResponse { .. }
                    | EventKind::NotTls { .. }
                    | EventKind::HttpHeadTooLong { .. }
            )
    });
    let asked = Evidence::of(ce, format!("CONNECT {ctarget}"));
    match resp.map(|e| (e, &e.kind)) {
        Some((_, EventKind::HttpResponse { status, .. })) if (200..=299).contains(status) => {
            (true, None)
        }
        Some((
            e,
            EventKind::HttpResponse {
                status,
                reason,
                headers,
                ..
            },
        )) => {
            let line = format!("{status} {reason}");
            (false, Some(refused(ce, e, ctarget, *status, &line, headers)))
        }
        Some((e, EventKind::HttpHeadTooLong { limit, preview })) => (
            false,
            Some(
                Finding::new(
                    FindingCode::ProxyBadResponse,
                    Severity::Error,
                    Step::Proxy,
                    format!(
                        "the proxy's answer to CONNECT never ended: {}",
                        head_too_long_text(*limit, preview)
                    ),
                )
                .explain("The proxy answered in HTTP but kept sending header lines past the bound a client reads (RFC 9112 §2.3 leaves the limit to the client; the switch gives up too). A broken or hostile proxy, or something in front of it that loops.")
                .fix([
                    "! check the proxy's logs for this CONNECT; try another proxy:",
                    "license smart proxy address <proxy>",
                ])
                .evidence([asked, Evidence::of(e, "endless HTTP head")]),
            ),
        ),
        Some((e, EventKind::NotTls { preview })) => (
            false,
            Some(
                Finding::new(
                    FindingCode::ProxyBadResponse,
                    Severity::Error,
                    Step::Proxy,
                    format!("the proxy port did not answer CONNECT with HTTP: {preview}"),
                )
                .explain("What listens on the configured proxy port is not an HTTP proxy (wrong port, or a TLS service).")
                .fix([
                    "license smart proxy address <proxy>",
                    "license smart proxy port <http-proxy-port>",
                ])
                .evidence([asked, Evidence::of(e, "not HTTP")]),
            ),
        ),
        // No answer captured, but the tunnel carried the server's ServerHello: only an
        // open tunnel relays that, so the CONNECT succeeded and its 2xx was not captured
        // (principle 1: the wire says it).
        None if tunnel_carried_tls(c, ci) => (true, None),
        _ => (false, Some(silent(seen, asked, ctarget))),
    }
}

/// A ServerHello (not a HelloRetryRequest) came back after the CONNECT at `ci`.
fn tunnel_carried_tls(c: &Connection, ci: usize) -> bool {
    c.events.iter().skip(ci).any(|e| {
        e.dir == Direction::ToClient
            && matches!(&e.kind, EventKind::TlsServerHello(sh) if !sh.hello_retry_request)
    })
}

/// `proxy_denied`, `proxy_auth_required`, `proxy_upstream_error` or `proxy_bad_response`:
/// the proxy answered `CONNECT` (at `ce`) with a status `line` (at `e`) that opens no
/// tunnel.
fn refused(
    ce: &Event,
    e: &Event,
    ctarget: &str,
    status: u16,
    line: &str,
    headers: &[(String, String)],
) -> Finding {
    let via = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("server") || k.eq_ignore_ascii_case("via"))
        .map(|(k, v)| format!(" ({k}: {v})"))
        .unwrap_or_default();
    let evidence = [
        Evidence::of(ce, format!("CONNECT {ctarget}")),
        Evidence::of(e, format!("proxy answered {line}{via}")),
    ];
    let took = ms(e.time_ns - ce.time_ns, Whole);
    let error = |code, summary: String| {
        Finding::new(code, Severity::Error, Step::Proxy, summary).evidence(evidence.clone())
    };
    match status {
        403 => error(FindingCode::ProxyDenied, format!("the proxy refused CONNECT {ctarget}: {line}"))
            .explain("The proxy's policy does not allow this client to tunnel to the licensing host (an ACL on the destination, the port, or the client's address).")
            .fix(["! on the proxy: allow CONNECT from the switch to smartreceiver.cisco.com:443 (and tools.cisco.com:443)"]),
        407 => error(FindingCode::ProxyAuthRequired, format!("the proxy wants authentication for CONNECT {ctarget}: {line}"))
            .explain("IOS XE's licensing proxy settings have no username or password: the switch can never satisfy a 407. The proxy must let the switch through without authentication.")
            .fix(["! on the proxy: exempt the switch's source address (ip http client source-interface) from authentication"]),
        500..=599 => error(FindingCode::ProxyUpstreamError, format!("the proxy could not reach {ctarget}: {line} after {took}"))
            .explain("The switch reached the proxy, but the proxy failed upstream: its DNS, its route or firewall toward Cisco, or Cisco's side. 504 is a timeout, 502/503 a failed or refused upstream connection.")
            .fix(["! on the proxy: check that it resolves and reaches the licensing host on 443"]),
        _ => error(FindingCode::ProxyBadResponse, format!("unexpected proxy answer to CONNECT {ctarget}: {line}"))
            .explain("The proxy answered CONNECT with a status that does not open a tunnel.")
            .fix(PROXY_REMEDY),
    }
}

/// `proxy_bad_response`: no status line came back (the proxy closed, or said nothing).
fn silent(seen: &Seen, asked: Evidence, ctarget: &str) -> Finding {
    let (what, closed) = match seen.close_from_server {
        Some((_, e)) => ("closed the connection without answering", Some(e)),
        None => ("never answered", None),
    };
    Finding::new(
        FindingCode::ProxyBadResponse,
        Severity::Error,
        Step::Proxy,
        format!("the proxy {what} CONNECT {ctarget}"),
    )
    .explain("A proxy answers CONNECT with a status line; this one did not. The switch reports 'Request Aborted' or no reply.")
    .fix(PROXY_REMEDY)
    .evidence([asked])
    .evidence(closed.map(|e| Evidence::of(e, "proxy closed")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{ConnectionBuilder, connection};

    const TARGET: &str = "smartreceiver.cisco.com:443";

    fn judged(b: ConnectionBuilder) -> (bool, Option<Finding>) {
        let c = b.build();
        let seen = Seen::of(&c);
        connect(&c, seen.connect.expect("a CONNECT"), &seen)
    }

    fn answered(status: u16, reason: &str) -> (bool, Option<Finding>) {
        judged(
            connection()
                .handshake()
                .connect(TARGET)
                .response(status, reason),
        )
    }

    /// Principle 1: a ServerHello through the tunnel proves the CONNECT succeeded even when
    /// the proxy's 200 is not in the capture; without it, silence is still a failure.
    #[test]
    fn a_handshake_through_the_tunnel_proves_the_connect() {
        let (open, f) = judged(
            connection()
                .handshake()
                .connect(TARGET)
                .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12)
                .server_hello(TlsVersion::Tls12),
        );
        assert!(open);
        assert!(f.is_none(), "{f:?}");
        let (open, f) = judged(
            connection()
                .handshake()
                .connect(TARGET)
                .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12),
        );
        assert!(!open);
        assert_eq!(f.map(|f| f.code), Some(FindingCode::ProxyBadResponse));
    }

    #[test]
    fn a_2xx_opens_the_tunnel() {
        let (open, f) = answered(200, "Connection established");
        assert!(open);
        assert!(f.is_none());
    }

    #[test]
    fn refusals_by_status() {
        for (status, code, summary) in [
            (
                403,
                FindingCode::ProxyDenied,
                "the proxy refused CONNECT smartreceiver.cisco.com:443: 403 Forbidden",
            ),
            (
                407,
                FindingCode::ProxyAuthRequired,
                "the proxy wants authentication for CONNECT smartreceiver.cisco.com:443: 407 Forbidden",
            ),
            (
                504,
                FindingCode::ProxyUpstreamError,
                "the proxy could not reach smartreceiver.cisco.com:443: 504 Forbidden after 1 ms",
            ),
            (
                302,
                FindingCode::ProxyBadResponse,
                "unexpected proxy answer to CONNECT smartreceiver.cisco.com:443: 302 Forbidden",
            ),
        ] {
            let (open, f) = answered(status, "Forbidden");
            assert!(!open, "{status}");
            let f = f.expect("a finding");
            assert_eq!(
                (f.code, f.severity, f.step),
                (code, Severity::Error, Step::Proxy)
            );
            assert_eq!(f.summary, summary);
            assert_eq!(f.evidence.len(), 2, "{status}");
            assert!(!f.remediation.is_empty(), "{status}");
        }
    }

    #[test]
    fn the_proxy_names_itself_in_the_evidence() {
        let (_, f) = judged(
            connection()
                .connect(TARGET)
                .to_client(EventKind::HttpResponse {
                    version: "HTTP/1.1".into(),
                    status: 403,
                    reason: "Forbidden".into(),
                    headers: vec![("Server".into(), "squid/6.1".into())],
                }),
        );
        let f = f.expect("a finding");
        assert_eq!(
            f.evidence[1].what,
            "proxy answered 403 Forbidden (Server: squid/6.1)"
        );
    }

    #[test]
    fn not_http_or_silence_is_a_bad_response() {
        let (open, f) = judged(connection().connect(TARGET).to_client(EventKind::NotTls {
            preview: "SSH-2.0-OpenSSH".into(),
        }));
        assert!(!open);
        let f = f.expect("a finding");
        assert_eq!(f.code, FindingCode::ProxyBadResponse);
        assert_eq!(
            f.summary,
            "the proxy port did not answer CONNECT with HTTP: SSH-2.0-OpenSSH"
        );

        let (_, f) = judged(connection().connect(TARGET).fin(Direction::ToClient));
        let f = f.expect("a finding");
        assert_eq!(
            f.summary,
            "the proxy closed the connection without answering CONNECT smartreceiver.cisco.com:443"
        );
        assert_eq!(f.evidence[1].what, "proxy closed");

        let (_, f) = judged(connection().connect(TARGET));
        let f = f.expect("a finding");
        assert_eq!(
            f.summary,
            "the proxy never answered CONNECT smartreceiver.cisco.com:443"
        );
        assert_eq!(f.evidence.len(), 1);
    }
}
