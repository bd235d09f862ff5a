//! Revocation reachability (RFC 5280 §4.2.1.13, RFC 6960): a switch whose trustpoint checks revocation
//! (`revocation-check crl`, the default of SLA-TrustPoint) fetches the CRL distribution
//! points of the chain — for the IdenTrust chain `validation.identrust.com`, OCSP at
//! `commercial.ocsp.identrust.com`, plain HTTP — and stalls when it cannot. The live
//! probe fetches them over the same path; a capture may show the switch doing it. Either
//! way the connections (and DNS lookups) for those hosts are judged here, with one code,
//! `crl_unreachable`, as a warning: the licensing path itself may be fine.

use super::DiagnoseConfig;
use crate::model::switch::RevocationMethod;
use crate::model::*;
use std::collections::BTreeMap;

/// The revocation URLs of every certificate seen on these connections, by URL
/// (deduplicated, in a stable order), with what each is for.
pub fn urls(connections: &[Connection]) -> BTreeMap<String, RevocationKind> {
    let mut out = BTreeMap::new();
    for c in connections {
        for (u, kind) in revocation_urls_of(&c.events) {
            out.entry(u.clone()).or_insert(kind);
        }
    }
    out
}

/// The hosts of those URLs, with what they serve (a host serving both counts as CRL).
pub fn hosts(t: &Timeline) -> BTreeMap<String, RevocationKind> {
    let mut out = BTreeMap::new();
    for (u, kind) in urls(&t.connections) {
        if let Some(h) = url_host(&u) {
            let k = out.entry(h).or_insert(kind);
            if kind == RevocationKind::Crl {
                *k = RevocationKind::Crl;
            }
        }
    }
    out
}

/// Marks the connections that fetch a revocation URL (never a licensing connection), and
/// returns the revocation hosts ([`hosts`]) for the rules that follow.
pub fn mark(t: &mut Timeline) -> BTreeMap<String, RevocationKind> {
    let hosts = hosts(t);
    if hosts.is_empty() {
        return hosts;
    }
    for c in t.connections.iter_mut().filter(|c| !c.licensing) {
        if named_host(c).is_some_and(|h| hosts.contains_key(&h)) {
            c.revocation = true;
        }
    }
    hosts
}

/// Judges a revocation fetch: its findings and verdict. `kind` is what the certificates
/// say its host serves; without it, the request decides (a `.crl` path).
pub fn apply(c: &mut Connection, kind: Option<RevocationKind>, cfg: &DiagnoseConfig) {
    c.findings = judge(c, kind, cfg).into_iter().collect();
    c.verdict = if c.findings.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Failed
    };
}

const EXPLANATION: &str = "A switch that checks revocation (revocation-check crl or ocsp on the trustpoint; SLA-TrustPoint has 'revocation-check crl' by default) fetches this URL while it validates the chain, over plain HTTP, and stalls or fails when it cannot (%PKI-3-CRL_FETCH_FAIL, 'Waiting for reply'). The licensing path itself may be fine: this matters when revocation checking is on.";
const REMEDY: &[&str] = &[
    "! either let the switch reach the revocation host over HTTP (port 80) from its source interface/VRF,",
    "! or stop checking revocation on that trustpoint:",
    "crypto pki trustpoint SLA-TrustPoint",
    " revocation-check none",
];

/// The finding for one revocation fetch (a connection marked by [`mark`]), or `None`
/// when the URL answered.
pub fn judge(
    c: &Connection,
    kind: Option<RevocationKind>,
    cfg: &DiagnoseConfig,
) -> Option<Finding> {
    let host = named_host(c).unwrap_or_else(|| c.server.ip().to_string());
    let answer = c.events.iter().find_map(|e| match &e.kind {
        EventKind::HttpResponse { status, .. } if e.dir == Direction::ToClient => {
            Some((e, *status))
        }
        _ => None,
    });
    // What the certificates say the host serves; else what the request asked for.
    let is_crl = kind.map_or_else(
        || {
            c.events.iter().any(|e| {
                matches!(&e.kind, EventKind::HttpRequest { target, .. } if target.to_ascii_lowercase().contains(".crl"))
            })
        },
        |k| k == RevocationKind::Crl,
    );
    let (why, at) = match answer {
        // A CRL must come back; an OCSP responder asked with a bare GET answers 4xx when
        // it is there at all. 5xx through a proxy is the proxy failing upstream.
        // 304 Not Modified answers a conditional fetch (If-Modified-Since) of a CRL the
        // client already holds (RFC 9110 §15.4.5): the host is reachable.
        Some((_, s)) if (200..300).contains(&s) || s == 304 || (!is_crl && s < 500) => {
            return None;
        }
        Some((e, s)) => (format!("it answered HTTP {s}"), Some(e)),
        None => {
            let last = c.events.last();
            let why = match c.state {
                TcpState::SynUnanswered => c
                    .events
                    .iter()
                    .find_map(|e| match &e.kind {
                        EventKind::TcpUnreachable { reason } => {
                            Some(format!("unreachable ({reason})"))
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "no answer to the TCP SYN".into()),
                TcpState::Refused => "the connection was refused".into(),
                _ => "no HTTP answer came back".into(),
            };
            (why, last)
        }
    };
    let what = if is_crl { "CRL" } else { "revocation" };
    Some(unreachable(
        format!("the {what} URL on {host} is not reachable from here: {why}"),
        at.map(|e| Evidence::of(e, format!("{what} fetch from {host}")))
            .into_iter()
            .collect(),
        if is_crl {
            RevocationKind::Crl
        } else {
            RevocationKind::Ocsp
        },
        cfg,
    ))
}

/// `crl_unreachable`: a warning, or an error when the switch's configuration shows that
/// it checks revocation (then its handshake does wait for this fetch).
fn unreachable(
    summary: String,
    evidence: Vec<Evidence>,
    kind: RevocationKind,
    cfg: &DiagnoseConfig,
) -> Finding {
    let method = match kind {
        RevocationKind::Crl => RevocationMethod::Crl,
        RevocationKind::Ocsp => RevocationMethod::Ocsp,
    };
    let strict = cfg
        .revocation_checked_by
        .as_ref()
        .filter(|check| check.uses(&method));
    match strict {
        Some(check) => Finding::new(
            FindingCode::CrlUnreachable,
            Severity::Error,
            Step::Cert,
            format!(
                "{summary}, and trustpoint {} has 'revocation-check {}': the switch cannot finish validating the server",
                check.trustpoint,
                check.methods_line()
            ),
        )
        .explain("The configuration shows revocation checking on the trustpoint that validates the licensing server: the switch fetches this URL over plain HTTP while it validates the chain and stalls or fails when it cannot (%PKI-3-CRL_FETCH_FAIL, 'Waiting for reply'), so licensing fails even though the server itself is reachable.")
        .fix([
            "! either let the switch reach the revocation host over HTTP (port 80) from its source interface/VRF,",
            "! or stop checking revocation on that trustpoint (licensing does not need it):",
            &format!("crypto pki trustpoint {}", check.trustpoint),
            " revocation-check none",
        ])
        .evidence(evidence),
        None => Finding::new(
            FindingCode::CrlUnreachable,
            Severity::Warning,
            Step::Cert,
            summary,
        )
        .explain(EXPLANATION)
        .fix(REMEDY)
        .evidence(evidence),
    }
}

/// A revocation host that never resolved (no connection could be made): the DNS
/// evidence as a `crl_unreachable` warning instead of a generic DNS one.
pub fn dns_finding(
    name: &str,
    reason: &str,
    evidence: Vec<Evidence>,
    kind: RevocationKind,
    cfg: &DiagnoseConfig,
) -> Finding {
    unreachable(
        format!("the revocation host {name} does not resolve: {reason}"),
        evidence,
        kind,
        cfg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::test_config;
    use crate::model::switch::RevocationCheck;
    use crate::model::testing::connection;

    fn fetch() -> crate::model::testing::ConnectionBuilder {
        connection()
            .licensing(false)
            .server("192.0.2.80:80")
            .handshake()
            .request(
                "GET",
                "http://validation.identrust.com/crl/hydrantidcao1.crl",
            )
    }

    #[test]
    fn a_304_to_a_conditional_crl_fetch_is_reachable() {
        let c = fetch().response(304, "Not Modified").build();
        assert!(judge(&c, Some(RevocationKind::Crl), &test_config()).is_none());
        let c = fetch().response(404, "Not Found").build();
        assert!(judge(&c, Some(RevocationKind::Crl), &test_config()).is_some());
    }

    #[test]
    fn a_crl_must_come_back() {
        assert!(judge(&fetch().response(200, "OK").build(), None, &test_config()).is_none());
        let f = judge(
            &fetch().response(404, "Not Found").build(),
            None,
            &test_config(),
        )
        .expect("a finding");
        assert_eq!(
            (f.code, f.severity, f.step),
            (FindingCode::CrlUnreachable, Severity::Warning, Step::Cert)
        );
        assert_eq!(
            f.summary,
            "the CRL URL on validation.identrust.com is not reachable from here: it answered HTTP 404"
        );
        assert_eq!(
            f.evidence[0].what,
            "CRL fetch from validation.identrust.com"
        );
    }

    #[test]
    fn an_ocsp_responder_answering_4xx_is_there() {
        let ocsp = connection()
            .licensing(false)
            .handshake()
            .request("GET", "http://commercial.ocsp.identrust.com/")
            .response(405, "Method Not Allowed")
            .build();
        assert!(judge(&ocsp, Some(RevocationKind::Ocsp), &test_config()).is_none());
        let broken = connection()
            .licensing(false)
            .handshake()
            .request("GET", "http://commercial.ocsp.identrust.com/")
            .response(502, "Bad Gateway")
            .build();
        let f = judge(&broken, Some(RevocationKind::Ocsp), &test_config()).expect("a finding");
        assert!(
            f.summary
                .starts_with("the revocation URL on commercial.ocsp.identrust.com"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn unanswered_fetches_say_how() {
        let syn = connection()
            .licensing(false)
            .server_name("validation.identrust.com")
            .state(TcpState::SynUnanswered)
            .syn()
            .build();
        let f = judge(&syn, Some(RevocationKind::Crl), &test_config()).expect("a finding");
        assert!(
            f.summary.ends_with(": no answer to the TCP SYN"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn strict_trustpoint_makes_it_an_error() {
        let cfg = DiagnoseConfig {
            revocation_checked_by: Some(RevocationCheck {
                trustpoint: "SLA-TrustPoint".into(),
                methods: vec![RevocationMethod::Crl],
            }),
            ..test_config()
        };
        let mut c = fetch().response(503, "Service Unavailable").build();
        apply(&mut c, None, &cfg);
        assert_eq!(c.verdict, Verdict::Failed);
        let f = &c.findings[0];
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.summary
                .contains("trustpoint SLA-TrustPoint has 'revocation-check crl'"),
            "{}",
            f.summary
        );
        assert!(
            f.remediation
                .contains(&"crypto pki trustpoint SLA-TrustPoint".to_string())
        );
        // OCSP-only checking does not wait for a CRL.
        let ocsp_only = DiagnoseConfig {
            revocation_checked_by: Some(RevocationCheck {
                trustpoint: "SLA-TrustPoint".into(),
                methods: vec![RevocationMethod::Ocsp],
            }),
            ..test_config()
        };
        apply(&mut c, None, &ocsp_only);
        assert_eq!(c.findings[0].severity, Severity::Warning);
    }
}
