//! Known misconfigurations in what the switch is told to do (`probe --from-config`):
//! findings with the shared codes, each pointing at the configuration it comes from.

use crate::model::switch::{CSLU_DISCOVERY_URL, ProbePlan, SwitchConfig, same_vrf};
use crate::model::url::{Scheme, Url};
use crate::model::*;

/// What a configuration finding says; `seen` are the configuration lines behind it.
struct Said<'a> {
    code: FindingCode,
    severity: Severity,
    step: Step,
    summary: String,
    explanation: &'a str,
    remediation: &'a [&'a str],
    seen: Vec<String>,
}

fn config_finding(s: Said<'_>, file: &str) -> Finding {
    Finding::new(s.code, s.severity, s.step, s.summary)
        .confidence(Confidence::High)
        .explain(s.explanation)
        .fix(s.remediation)
        .evidence(s.seen.into_iter().map(|what| Evidence::line(file, 0, what)))
}

/// Findings about the configuration itself; `file` names it in the evidence.
pub fn check_config(c: &SwitchConfig, plan: &ProbePlan, file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |code,
                    severity,
                    step,
                    summary: String,
                    explanation: &str,
                    remediation: &[&str],
                    seen: Vec<String>| {
        out.push(config_finding(
            Said {
                code,
                severity,
                step,
                summary,
                explanation,
                remediation,
                seen,
            },
            file,
        ));
    };

    match plan.transport.as_str() {
        "off" => push(
            FindingCode::ConfigTransportOff,
            Severity::Warning,
            Step::Http,
            "license smart transport off: the switch sends nothing to CSSM".into(),
            "With transport off the switch never reports: usage must be exchanged by file (license smart save usage / license smart import). Nothing to probe.",
            &["license smart transport smart", "license smart url default"],
            vec!["license smart transport off".into()],
        ),
        "cslu" if plan.targets.iter().any(|t| t.url == CSLU_DISCOVERY_URL) => push(
            FindingCode::ConfigCsluNoAddress,
            Severity::Warning,
            Step::Dns,
            "transport cslu with no CSLU address: the switch looks for a host named cslu-local"
                .into(),
            "cslu is the factory default transport and its address is empty by default. The switch then tries http://cslu-local:8182/cslu/v1/pi, which only works when DNS has a cslu-local entry. If you report directly to CSSM, the transport is simply not set.",
            &[
                "license smart transport smart",
                "license smart url default",
                "(or) license smart url cslu http://<cslu-host>:8182/cslu/v1/pi",
            ],
            vec!["license smart transport cslu (no license smart url cslu)".into()],
        ),
        "callhome" if !c.service_call_home => push(
            FindingCode::ConfigCallhomeDisabled,
            Severity::Error,
            Step::Http,
            "transport callhome without 'service call-home': the switch sends nothing".into(),
            "The callhome transport hands licensing messages to Smart Call Home, which is off without 'service call-home'.",
            &[
                "service call-home",
                "(or better) license smart transport smart",
            ],
            vec!["license smart transport callhome".into()],
        ),
        _ => {}
    }

    for t in &plan.targets {
        let Ok(url) = Url::parse(&t.url) else {
            continue;
        };
        let (scheme, host) = (url.scheme(), url.host());
        if scheme == Scheme::Http && t.label != "cslu" {
            push(
                FindingCode::PlaintextHttp,
                Severity::Warning,
                Step::Http,
                format!("{} URL is plain HTTP: {}", t.label, t.url),
                "Cisco's receivers expect HTTPS; plain HTTP to tools.cisco.com is deprecated and is refused or redirected.",
                &["license smart url default"],
                vec![format!("{} ({})", t.url, t.origin)],
            );
        }
        if scheme == Scheme::Https
            && host.parse::<std::net::IpAddr>().is_ok()
            && plan.server_identity_check
        {
            push(
                FindingCode::CertHostnameMismatch,
                Severity::Warning,
                Step::Cert,
                format!(
                    "{} URL uses an IP address ({host}) with the server identity check on",
                    t.label
                ),
                "The switch checks the server's certificate against the host in the URL. A certificate issued for a name does not match an IP literal, and the handshake fails unless the certificate carries that IP address.",
                &[
                    "license smart url smart https://<server-name>/...   (the name on the certificate)",
                    "(or, knowingly) no license smart server-identity-check",
                ],
                vec![format!("{} ({})", t.url, t.origin)],
            );
        }
        let h = host.to_ascii_lowercase();
        if h.contains("-stage.") || h.contains("-dev.") || h.starts_with("stage.") {
            push(
                FindingCode::NonProductionEndpoint,
                Severity::Warning,
                Step::Http,
                format!("{} points at a non-production receiver: {host}", t.label),
                "Staging and development receivers do not hold production licences.",
                &["license smart url default"],
                vec![t.url.clone()],
            );
        }
    }

    for h in &c.hosts {
        if h.name.ends_with("cisco.com") || h.name.ends_with("identrust.com") {
            push(
                FindingCode::ConfigStaticHost,
                Severity::Warning,
                Step::Dns,
                format!("static 'ip host {}' replaces DNS for a Cisco name", h.name),
                "A static entry for a Cisco name goes stale when Cisco moves the service, and the switch then connects to an address that no longer answers. Let DNS resolve it.",
                &[&format!(
                    "no ip host {}{}",
                    h.vrf
                        .as_ref()
                        .map(|v| format!("vrf {v} "))
                        .unwrap_or_default(),
                    h.name
                )],
                vec![format!("line {}: ip host {} ...", h.line, h.name)],
            );
        }
    }

    let needs_dns = plan.targets.iter().any(|t| {
        Url::parse(&t.url).is_ok_and(|u| {
            let host = u.host();
            host.parse::<std::net::IpAddr>().is_err()
                && !plan
                    .resolve
                    .iter()
                    .any(|(n, _)| *n == host.to_ascii_lowercase())
        })
    });
    if needs_dns && plan.transport != "off" {
        if c.domain_lookup_disabled {
            push(
                FindingCode::ConfigNoNameServer,
                Severity::Error,
                Step::Dns,
                "'no ip domain lookup': the switch cannot resolve the licensing server's name"
                    .into(),
                "DNS lookup is disabled, so every name in a licensing URL fails to resolve (COMM_FAILED: Unable to resolve server hostname).",
                &[
                    "ip domain lookup",
                    "ip name-server [vrf <vrf>] <dns-server-ip>",
                ],
                vec!["no ip domain lookup".into()],
            );
        } else if plan.dns_servers.is_empty() && c.running_config {
            let elsewhere: Vec<String> = c
                .name_servers
                .iter()
                .filter(|n| !same_vrf(n.vrf.as_deref(), plan.vrf.as_deref()))
                .map(|n| {
                    format!(
                        "ip name-server {}{}",
                        n.vrf
                            .as_ref()
                            .map(|v| format!("vrf {v} "))
                            .unwrap_or_default(),
                        n.addr
                    )
                })
                .collect();
            let vrf = plan.vrf.as_deref();
            let fix = format!(
                "ip name-server {}<dns-server-ip>",
                vrf.map(|v| format!("vrf {v} ")).unwrap_or_default()
            );
            let summary = match (vrf, elsewhere.is_empty()) {
                (Some(v), false) => format!(
                    "licensing runs in vrf {v} but the name servers are configured elsewhere"
                ),
                (Some(v), true) => format!("no name server for vrf {v}, where licensing runs"),
                (None, false) => {
                    "no global name server; the ones configured are in a VRF licensing does not use"
                        .into()
                }
                (None, true) => "no 'ip name-server' in the configuration".into(),
            };
            push(
                FindingCode::ConfigNoNameServer,
                Severity::Warning,
                Step::Dns,
                summary,
                "Name servers are per VRF on IOS XE: the licensing VRF needs its own 'ip name-server vrf' line. (If the text you gave is only part of the configuration, check the full one.)",
                &[&fix],
                if elsewhere.is_empty() {
                    vec!["no ip name-server line".into()]
                } else {
                    elsewhere
                },
            );
        }
    }

    for tp in &c.trustpoints {
        if tp.revocation_check.first().map(String::as_str) == Some("crl") {
            push(
                FindingCode::CrlUnreachable,
                Severity::Warning,
                Step::Cert,
                format!(
                    "trustpoint {} has 'revocation-check {}': the switch must fetch a CRL before it trusts the server",
                    tp.name,
                    tp.revocation_check.join(" ")
                ),
                "With revocation-check crl the switch fetches the CRL over plain HTTP; when it cannot (no route, proxy only, firewall) it logs %PKI-3-CRL_FETCH_FAIL and the licensing handshake waits or fails. Licensing does not need it.",
                &[
                    &format!("crypto pki trustpoint {}", tp.name),
                    " revocation-check none",
                ],
                vec![format!(
                    "crypto pki trustpoint {} / revocation-check {}",
                    tp.name,
                    tp.revocation_check.join(" ")
                )],
            );
        }
    }
    out
}
