//! Verdicts: one connection's (from its findings and how far it got), and the overall
//! verdict over a timeline that the summary line, the JSON and the exit codes share.

use crate::model::*;
use serde::Serialize;

/// A connection failed when a finding is an error; it is OK when its TLS handshake
/// completed, or when a direct (not proxied) HTTP exchange got a 2xx/3xx answer; else the
/// outcome is not visible.
pub fn connection(c: &Connection, findings: &[Finding]) -> Verdict {
    let connect = c.events.iter().any(|e| {
        e.dir == Direction::ToServer && matches!(e.kind, EventKind::HttpConnectRequest { .. })
    });
    let answered = || {
        !connect
            && c.events.iter().any(|e| {
                matches!(&e.kind, EventKind::HttpResponse { status, .. } if (200..400).contains(status))
            })
    };
    if findings.iter().any(|x| x.severity == Severity::Error) {
        Verdict::Failed
    } else if c.tls.as_ref().is_some_and(|t| t.handshake_complete) || answered() {
        Verdict::Ok
    } else {
        Verdict::Unknown
    }
}

/// The earliest step with an error finding: where the connection failed.
pub fn failing_step(findings: &[Finding]) -> Option<Step> {
    findings
        .iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.step)
        .min()
}

/// The one ordering rule for findings (docs/findings.md, "Root cause first"), the key of
/// [`primary_finding`]: the most severe first; within a severity a root cause before a
/// finding that only says its step failed, before a symptom ([`cause_rank`]); then the
/// earliest step. Sorting with it is stable, so the rules' own order breaks the last ties.
pub fn cause_order(f: &Finding) -> (std::cmp::Reverse<Severity>, std::cmp::Reverse<u8>, Step) {
    (
        std::cmp::Reverse(f.severity),
        std::cmp::Reverse(cause_rank(f.code)),
        f.step,
    )
}

/// Orders findings root cause first (see [`cause_order`]).
pub fn root_cause_first(findings: &mut [Finding]) {
    findings.sort_by_key(cause_order);
}

/// The finding that heads a whole report, with the connection it belongs to (`None` for
/// findings of no single connection: DNS, the capture, the switch's text).
pub fn primary_of(t: &Timeline) -> Option<(&Finding, Option<u64>)> {
    t.findings
        .iter()
        .map(|f| (f, None))
        .chain(
            t.connections
                .iter()
                .flat_map(|c| c.findings.iter().map(move |f| (f, Some(c.id)))),
        )
        .filter(|(f, _)| f.code != FindingCode::TextCapture)
        .min_by_key(|(f, _)| cause_order(f))
}

/// The verdict over one timeline, for the summary line, JSON and exit codes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OverallVerdict {
    /// Licensing connections were seen and none failed.
    Ok,
    /// At least one error finding.
    Failed,
    /// No licensing traffic in the input (use --all / --host to look wider).
    NoLicensingTraffic,
    /// Licensing traffic was seen, but its outcome is not visible.
    Inconclusive,
}

impl OverallVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            OverallVerdict::Ok => "OK",
            OverallVerdict::Failed => "FAILED",
            OverallVerdict::NoLicensingTraffic => "NO LICENSING TRAFFIC",
            OverallVerdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

pub fn overall_verdict(t: &Timeline) -> OverallVerdict {
    if t.has_errors() {
        // Only this host's own failures (its resolver, its binding): they say nothing
        // about the switch's path, so nothing is decided (issue 22, "say where you stand").
        let local_only = t.overflow.failed == 0
            && t.all_findings()
                .filter(|f| f.severity == Severity::Error)
                .all(|f| f.blame == Some(Blame::Local));
        return if local_only {
            OverallVerdict::Inconclusive
        } else {
            OverallVerdict::Failed
        };
    }
    if matches!(t.source, Source::Logs { .. }) {
        // Logs alone, no error left (a failure after the last restore is one): the switch
        // says it communicates (a restore or an OK response), or it does not say.
        let restored = t
            .switch_log
            .as_ref()
            .is_some_and(|l| l.entries.iter().any(|e| super::logs::says_ok(&e.kind)));
        return if restored {
            OverallVerdict::Ok
        } else {
            OverallVerdict::Inconclusive
        };
    }
    let licensing: Vec<_> = t.connections.iter().filter(|c| c.licensing).collect();
    if licensing.is_empty() && !t.dns.iter().any(|d| d.licensing) {
        OverallVerdict::NoLicensingTraffic
    } else if licensing.iter().any(|c| c.verdict == Verdict::Ok) {
        OverallVerdict::Ok
    } else {
        OverallVerdict::Inconclusive
    }
}

/// What proved a healthy verdict, in one line (issue 22 principle 7): the licensing
/// connection that worked, its TLS handshake, the chain to which root in which trust
/// store (when the chain is visible), and data both ways; or a plain-HTTP answer. `None`
/// unless the verdict is OK.
pub fn proof(t: &Timeline, cfg: &super::DiagnoseConfig) -> Option<String> {
    if overall_verdict(t) != OverallVerdict::Ok || matches!(t.source, Source::Logs { .. }) {
        return None;
    }
    let ok = || {
        t.connections
            .iter()
            .filter(|c| c.licensing && c.verdict == Verdict::Ok)
    };
    let c = ok()
        .find(|c| c.tls.as_ref().is_some_and(|s| s.handshake_complete))
        .or_else(|| ok().next())?;
    let name = c
        .server_name
        .clone()
        .unwrap_or_else(|| c.server.to_string());
    let data = format!(
        "{} B sent, {} B received",
        c.bytes_to_server, c.bytes_to_client
    );
    let Some(tls) = c.tls.as_ref().filter(|s| s.handshake_complete) else {
        let status = c.events.iter().find_map(|e| match &e.kind {
            EventKind::HttpResponse { status, .. } => Some(*status),
            _ => None,
        })?;
        return Some(format!(
            "HTTP {status} answered by {name} over plain HTTP (connection #{}, {data})",
            c.id
        ));
    };
    let version = tls
        .version
        .map(|v| format!("{} ", tls_version_name(v)))
        .unwrap_or_default();
    let mut parts = vec![match tls13_completion_inferred(&c.events) {
        Some(finished) if tls.handshake_inferred => format!(
            "TLS 1.3 handshake with {name} inferred complete from record sizes (connection #{}: the ServerHello was not captured; the client offered TLS 1.3, sent a {finished}-byte Finished-sized application_data record after the server's flight, and the server answered it with records larger than an alert)",
            c.id
        ),
        _ => format!(
            "{version}handshake with {name} completed (connection #{})",
            c.id
        ),
    }];
    parts.push(match super::cert::chain_of(c) {
        Some((_, certs)) => {
            let host = super::cert::host_of(c, tls.sni.as_deref());
            let profile = super::cert::profile_for(c, cfg);
            match super::trust::judge_chain(certs, host.as_deref(), profile) {
                super::trust::ChainVerdict::Trusted { anchor } => {
                    format!(
                        "chain to '{}' in the {}",
                        common_name(&anchor),
                        profile.name
                    )
                }
                _ => "chain accepted by the client, not by the trust profile (see the findings)"
                    .to_string(),
            }
        }
        None => "certificate accepted by the client (encrypted in TLS 1.3, not judged)".into(),
    });
    parts.push(if super::observed::observed_success(c) {
        format!("data both ways ({data})")
    } else {
        format!("no application data seen after it ({data})")
    });
    Some(parts.join(", "))
}

/// The CN of a distinguished name ("C=US, O=IdenTrust, CN=IdenTrust Commercial Root CA 1"),
/// else the whole name.
fn common_name(dn: &str) -> &str {
    dn.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(dn)
}

/// The finding that says *why* (issue 15 item 2): the headline of a connection or a
/// timeline. The one ordering rule, so that every front-end leads with the same finding:
///
/// 1. the most severe (error, then warning, then info);
/// 2. within a severity, a root cause before a finding that merely reports the step
///    failing, before a symptom: `ssl_interception` or `untrusted_root` before the
///    `tls_alert` the client sent because of it, `mtu_blackhole` before `tls_timeout`
///    ([`cause_rank`]);
/// 3. then the earliest step, then the order the rules produced them.
pub fn primary_finding<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Option<&'a Finding> {
    findings
        .into_iter()
        .filter(|f| f.code != FindingCode::TextCapture)
        .enumerate()
        .min_by_key(|(i, f)| (headline_rank(f), *i))
        .map(|(_, f)| f)
}

/// `findings` in the order of [`primary_finding`] (stable): the primary first, for lists
/// that lead with the cause.
pub fn primary_first(findings: &mut [&Finding]) {
    findings.sort_by_key(|f| headline_rank(f));
}

fn headline_rank(f: &Finding) -> impl Ord {
    cause_order(f)
}

/// 3 for interception (a chain re-signed by another CA explains the wrong name, the odd
/// dates and the unknown root that come with it: principle 7, causes in the order they
/// explain each other), 2 for a root cause (what the chain, the clock or the path is), 0
/// for a symptom (what the client or the peer did because of it), 1 for the rest (a step
/// that failed on its own terms: a refused SYN, a proxy's 403, an NXDOMAIN).
pub fn cause_rank(code: FindingCode) -> u8 {
    use FindingCode::*;
    match code {
        // The text's own "does not decide" heads what cannot decide (it is only ever info
        // and only when nothing decided): context such as another service's CRL does not.
        TextInconclusive => 4,
        SslInterception => 3,
        RootMissingOnDevice | UntrustedRoot | IncompleteChain | CertExpired | CertNotYetValid
        | CertHostnameMismatch | ClockSkew | MtuBlackhole | TlsVersionMismatch | CrlUnreachable => {
            2
        }
        TlsAlert | TlsTimeout | TlsReset | TlsClientAbort | CommFailed | Retransmissions
        | CommFlapping | SwitchClockUnsynced => 0,
        _ => 1,
    }
}

#[cfg(test)]
mod proof_tests {
    use super::*;
    use crate::model::testing::{cisco_chain, connection, timeline};

    /// Issue 22 principle 7: a healthy report says in one line what proved it; nothing
    /// when the verdict is not OK.
    #[test]
    fn a_healthy_verdict_says_what_proved_it() {
        let cfg = crate::diagnose::test_config();
        let mut c = connection()
            .server_name("smartreceiver.cisco.com")
            .licensing(true)
            .handshake()
            .client_hello(Some("smartreceiver.cisco.com"), TlsVersion::Tls12)
            .server_hello(TlsVersion::Tls12)
            .certificates(cisco_chain("smartreceiver.cisco.com"))
            .handshake_complete()
            .encrypted(Direction::ToServer, 129)
            .encrypted(Direction::ToClient, 193)
            .build();
        c.tls.get_or_insert_with(Default::default).version = Some(TlsVersion::Tls12);
        c.verdict = Verdict::Ok;
        let t = timeline(vec![], vec![c.clone()]);
        let p = proof(&t, &cfg).expect("a proof");
        assert!(
            p.starts_with("TLS 1.2 handshake with smartreceiver.cisco.com completed (connection #"),
            "{p}"
        );
        assert!(
            p.contains(
                "chain to 'IdenTrust Commercial Root CA 1' in the IOS XE built-in trustpool"
            ),
            "{p}"
        );
        assert!(p.contains("data both ways ("), "{p}");
        c.verdict = Verdict::Unknown;
        assert_eq!(proof(&timeline(vec![], vec![c]), &cfg), None);
    }
}

#[cfg(test)]
mod primary_tests {
    use super::*;

    fn f(code: FindingCode, severity: Severity, step: Step) -> Finding {
        Finding::new(code, severity, step, code.as_str())
    }

    fn primary(fs: &[Finding]) -> Option<FindingCode> {
        primary_finding(fs).map(|f| f.code)
    }

    #[test]
    fn the_cause_before_the_symptom() {
        use FindingCode::*;
        let alert = f(TlsAlert, Severity::Error, Step::Cert);
        let intercepted = f(SslInterception, Severity::Error, Step::Cert);
        assert_eq!(
            primary(&[alert.clone(), intercepted.clone()]),
            Some(SslInterception)
        );
        assert_eq!(
            primary(&[intercepted.clone(), alert.clone()]),
            Some(SslInterception)
        );
        // Principle 7: interception explains the wrong name and the odd dates that come
        // with a re-signed chain, so it heads them whatever order the rules gave.
        let mismatch = f(CertHostnameMismatch, Severity::Error, Step::Cert);
        let expired = f(CertExpired, Severity::Error, Step::Cert);
        assert_eq!(
            primary(&[mismatch.clone(), expired.clone(), intercepted.clone()]),
            Some(SslInterception)
        );
        let mut all = vec![mismatch, expired, alert.clone(), intercepted.clone()];
        root_cause_first(&mut all);
        assert_eq!(all[0].code, SslInterception);
        let timeout = f(TlsTimeout, Severity::Error, Step::Tls);
        let blackhole = f(MtuBlackhole, Severity::Error, Step::Tls);
        assert_eq!(primary(&[timeout.clone(), blackhole]), Some(MtuBlackhole));
        // A symptom alone is still the headline.
        assert_eq!(primary(std::slice::from_ref(&timeout)), Some(TlsTimeout));
        assert_eq!(primary(&[]), None);
        // Severity first: a root-cause warning does not hide an error.
        let expired_warning = f(CertExpired, Severity::Warning, Step::Cert);
        assert_eq!(primary(&[expired_warning, timeout]), Some(TlsTimeout));
        // Among equals, the earlier step, then the rules' order.
        let refused = f(TcpRefused, Severity::Error, Step::Tcp);
        let denied = f(ProxyDenied, Severity::Error, Step::Proxy);
        assert_eq!(primary(&[denied.clone(), refused]), Some(TcpRefused));
        let upstream = f(ProxyUpstreamError, Severity::Error, Step::Proxy);
        assert_eq!(primary(&[upstream, denied]), Some(ProxyUpstreamError));
        // The configured proxy not reached: a step that failed, before the switch log's
        // symptom (comm_failed) and at the rank of the tcp_* code it replaces.
        assert_eq!(cause_rank(ProxyUnreachable), cause_rank(TcpRefused));
        let log = f(CommFailed, Severity::Error, Step::Tcp);
        let unreachable = f(ProxyUnreachable, Severity::Error, Step::Tcp);
        assert_eq!(primary(&[log, unreachable]), Some(ProxyUnreachable));
    }

    #[test]
    fn lists_lead_with_the_primary() {
        use FindingCode::*;
        let fs = [
            f(CaptureGap, Severity::Warning, Step::Capture),
            f(TlsAlert, Severity::Error, Step::Cert),
            f(SslInterception, Severity::Error, Step::Cert),
            f(Retransmissions, Severity::Warning, Step::Tcp),
        ];
        let mut refs: Vec<&Finding> = fs.iter().collect();
        primary_first(&mut refs);
        let codes: Vec<FindingCode> = refs.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [SslInterception, TlsAlert, CaptureGap, Retransmissions]
        );
        assert_eq!(primary_finding(&fs).map(|f| f.code), Some(codes[0]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{connection as built, dns, timeline};

    fn error(step: Step) -> Finding {
        Finding::new(FindingCode::TcpTimeout, Severity::Error, step, "x")
    }

    /// Root cause first: the cause heads, the symptom follows, whatever order the rules
    /// produced them in.
    #[test]
    fn the_cause_heads_the_symptom() {
        let f = |code, severity| Finding::new(code, severity, Step::Cert, "x");
        let mut v = vec![
            f(FindingCode::Retransmissions, Severity::Warning),
            f(FindingCode::TlsAlert, Severity::Error),
            f(FindingCode::SslInterception, Severity::Error),
        ];
        root_cause_first(&mut v);
        let codes: Vec<_> = v.iter().map(|x| x.code).collect();
        assert_eq!(
            codes,
            [
                FindingCode::SslInterception,
                FindingCode::TlsAlert,
                FindingCode::Retransmissions
            ]
        );
        let v = [
            f(FindingCode::TlsTimeout, Severity::Error),
            f(FindingCode::MtuBlackhole, Severity::Error),
        ];
        assert_eq!(
            primary_finding(&v).map(|x| x.code),
            Some(FindingCode::MtuBlackhole)
        );
        // An error symptom still outranks a warning cause.
        let v = [
            f(FindingCode::CrlUnreachable, Severity::Warning),
            f(FindingCode::TlsTimeout, Severity::Error),
        ];
        assert_eq!(
            primary_finding(&v).map(|x| x.code),
            Some(FindingCode::TlsTimeout)
        );
        assert!(primary_finding(&[]).is_none());
    }

    /// The report's primary names its connection; DNS findings have none.
    #[test]
    fn the_report_primary_names_its_connection() {
        let mut c = built().build();
        c.id = 7;
        c.findings = vec![
            Finding::new(FindingCode::TlsAlert, Severity::Error, Step::Cert, "alert"),
            Finding::new(
                FindingCode::UntrustedRoot,
                Severity::Error,
                Step::Cert,
                "root",
            ),
        ];
        let mut t = timeline(vec![], vec![c]);
        t.findings.push(Finding::new(
            FindingCode::DnsTimeout,
            Severity::Warning,
            Step::Dns,
            "slow",
        ));
        let (f, conn) = primary_of(&t).expect("a primary");
        assert_eq!((f.code, conn), (FindingCode::UntrustedRoot, Some(7)));
        t.connections.clear();
        let (f, conn) = primary_of(&t).expect("a primary");
        assert_eq!((f.code, conn), (FindingCode::DnsTimeout, None));
    }

    #[test]
    fn connection_verdicts() {
        let done = built().handshake().handshake_complete().build();
        assert_eq!(connection(&done, &[]), Verdict::Ok);
        assert_eq!(connection(&done, &[error(Step::Tls)]), Verdict::Failed);
        let warning = Finding::new(
            FindingCode::Retransmissions,
            Severity::Warning,
            Step::Tcp,
            "x",
        );
        assert_eq!(connection(&done, &[warning]), Verdict::Ok);
        let plain = built()
            .handshake()
            .request("POST", "/cslu/v1/pi")
            .response(200, "OK")
            .build();
        assert_eq!(connection(&plain, &[]), Verdict::Ok);
        // A proxy's 200 to CONNECT opens a tunnel; it is not the server's answer.
        let tunnel = built()
            .handshake()
            .connect("smartreceiver.cisco.com:443")
            .response(200, "OK")
            .build();
        assert_eq!(connection(&tunnel, &[]), Verdict::Unknown);
        assert_eq!(
            connection(&built().handshake().build(), &[]),
            Verdict::Unknown
        );
    }

    #[test]
    fn the_earliest_failing_step() {
        assert_eq!(
            failing_step(&[error(Step::Cert), error(Step::Proxy)]),
            Some(Step::Proxy)
        );
        let warning = Finding::new(
            FindingCode::CaptureGap,
            Severity::Warning,
            Step::Capture,
            "x",
        );
        assert_eq!(failing_step(&[warning]), None);
    }

    #[test]
    fn overall() {
        let mut ok = built().build();
        ok.verdict = Verdict::Ok;
        assert_eq!(
            overall_verdict(&timeline(vec![], vec![ok.clone()])),
            OverallVerdict::Ok
        );
        let mut failed = ok.clone();
        failed.findings = vec![error(Step::Tcp)];
        assert_eq!(
            overall_verdict(&timeline(vec![], vec![ok.clone(), failed])),
            OverallVerdict::Failed
        );
        let unknown = built().build();
        assert_eq!(
            overall_verdict(&timeline(vec![], vec![unknown])),
            OverallVerdict::Inconclusive
        );
        let other = built().licensing(false).build();
        assert_eq!(
            overall_verdict(&timeline(vec![], vec![other])),
            OverallVerdict::NoLicensingTraffic
        );
        let asked = dns("smartreceiver.cisco.com", DnsType::A, None, vec![]);
        assert_eq!(
            overall_verdict(&timeline(vec![asked], vec![])),
            OverallVerdict::Inconclusive
        );
        let mut overflow = timeline(vec![], vec![ok]);
        overflow.overflow.failed = 1;
        assert_eq!(overall_verdict(&overflow), OverallVerdict::Failed);
        assert_eq!(
            OverallVerdict::NoLicensingTraffic.as_str(),
            "NO LICENSING TRAFFIC"
        );
    }

    #[test]
    fn logs_alone_are_ok_only_when_the_switch_says_so() {
        let mut t = Timeline::empty(Source::Logs {
            files: vec!["show-logging.txt".into()],
        });
        assert_eq!(overall_verdict(&t), OverallVerdict::Inconclusive);
        t.switch_log = Some(SwitchLog {
            entries: vec![LogEntry {
                file: 0,
                line: 1,
                timestamp: None,
                switch_time_ns: None,
                time_inferred: false,
                time_ns: None,
                kind: LogKind::CommRestored {
                    server: "cssm".into(),
                },
                text: "%SMART_LIC-5-COMM_RESTORED".into(),
                connection: None,
            }],
            ..SwitchLog::default()
        });
        assert_eq!(overall_verdict(&t), OverallVerdict::Ok);
    }
}
