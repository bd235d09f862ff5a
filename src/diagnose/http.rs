//! HTTP rules: licensing over plain HTTP (RFC 9112), and a server `Date` header (RFC 9110
//! §6.6.1) far from the clock that saw it.

use crate::model::*;

/// Seconds of difference between the local clock and a server's `Date` worth a warning.
pub const CLOCK_SKEW_WARNING_S: i64 = 60;

/// `plaintext_http`: a licensing request in clear; by design for CSLU (info), deprecated
/// call-home otherwise (warning).
pub fn plaintext(c: &Connection) -> Option<Finding> {
    if !c.licensing {
        return None;
    }
    let (e, method, path) = c.events.iter().find_map(|e| match &e.kind {
        EventKind::HttpRequest { method, target, .. } => Some((e, method, target)),
        _ => None,
    })?;
    let cslu = path.contains("/cslu/");
    let f = Finding::new(
        FindingCode::PlaintextHttp,
        if cslu {
            Severity::Info
        } else {
            Severity::Warning
        },
        Step::Http,
        format!("licensing over plain HTTP: {method} {path}"),
    )
    .evidence([Evidence::of(e, format!("{method} {path}"))]);
    Some(if cslu {
        f.explain("CSLU uses plain HTTP on 8182 by design; it stays on the local network.")
    } else {
        f.explain(
            "Plain-HTTP call-home to Cisco is deprecated; use the smart transport over HTTPS.",
        )
        .fix(["license smart transport smart", "license smart url default"])
    })
}

/// `clock_skew`: the local clock differs from a server's `Date` by more than
/// [`CLOCK_SKEW_WARNING_S`].
pub fn clock_skew(c: &Connection) -> Option<Finding> {
    let (e, skew) = skew(c)?;
    Some(
        Finding::new(
            FindingCode::ClockSkew,
            Severity::Warning,
            Step::Http,
            format!("this host's clock differs from the server's Date header by {skew} s"),
        )
        .explain("Certificate validity is judged against the local clock: a clock that is off makes valid certificates look expired or not yet valid. The switch needs the right time for the same reason.")
        .fix(["ntp server <ntp-server>", "clock timezone UTC 0 0   ! then check: show clock detail"])
        .evidence([Evidence::of(e, "server Date header")]),
    )
}

/// Clock difference (seconds, signed: positive when the server is ahead) beyond
/// [`CLOCK_SKEW_WARNING_S`] between an HTTP `Date` seen inside TLS and when it was seen.
fn skew(c: &Connection) -> Option<(&Event, i64)> {
    c.events.iter().find_map(|e| match &e.kind {
        EventKind::HttpsExchange {
            date: Some(date), ..
        } => {
            let server = crate::model::time::parse_http_date(date)?;
            let skew = server - e.time_ns.div_euclid(1_000_000_000);
            (skew.abs() > CLOCK_SKEW_WARNING_S).then_some((e, skew))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{START_NS, connection};

    #[test]
    fn plain_http_licensing() {
        let cslu = connection().request("POST", "/cslu/v1/pi").build();
        let f = plaintext(&cslu).expect("a finding");
        assert_eq!(
            (f.code, f.severity, f.step),
            (FindingCode::PlaintextHttp, Severity::Info, Step::Http)
        );
        assert_eq!(f.summary, "licensing over plain HTTP: POST /cslu/v1/pi");
        assert!(f.remediation.is_empty());
        let callhome = connection()
            .request("POST", "/its/service/oddce/services/DDCEService")
            .build();
        let f = plaintext(&callhome).expect("a finding");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.remediation,
            ["license smart transport smart", "license smart url default"]
        );
        let other = connection().licensing(false).request("GET", "/").build();
        assert!(plaintext(&other).is_none());
    }

    fn exchange(date: &str) -> EventKind {
        EventKind::HttpsExchange {
            request: "POST /licservice/license".into(),
            status: 200,
            reason: "OK".into(),
            date: Some(date.into()),
            server: None,
        }
    }

    #[test]
    fn server_date_far_from_the_local_clock() {
        let at = START_NS / 1_000_000_000;
        let ahead = crate::model::time::format_http_date(at + 3600);
        let c = connection().to_client(exchange(&ahead)).build();
        let f = clock_skew(&c).expect("a finding");
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::ClockSkew, Severity::Warning)
        );
        assert_eq!(
            f.summary,
            "this host's clock differs from the server's Date header by 3600 s"
        );
        let close = crate::model::time::format_http_date(at + CLOCK_SKEW_WARNING_S);
        assert!(clock_skew(&connection().to_client(exchange(&close)).build()).is_none());
        let behind = crate::model::time::format_http_date(at - 61);
        let f = clock_skew(&connection().to_client(exchange(&behind)).build()).expect("a finding");
        assert!(f.summary.ends_with("by -61 s"), "{}", f.summary);
    }
}
