//! Known misconfigurations in what the switch is told to do: findings with the shared
//! codes, each quoting the line(s) it rests on as `file:line`.
//!
//! Every rule knows its input: a rule that judges an absence (no `service call-home`, no
//! `ip name-server`) needs a whole `show running-config` and is silent without one; a rule
//! on the status views (`Transport: Type: ...`, `Overall State: ...`) needs one of `show
//! license status`/`all`/`tech support`. `show license status` alone never produces a
//! running-config finding.

use crate::model::switch::{
    CSLU_DISCOVERY_URL, ConfigLine, LineKey, ProbePlan, SwitchConfig, same_vrf,
};
use crate::model::url::{Scheme, Url};
use crate::model::*;

/// What a configuration finding says; `seen` are the lines behind it (`file:line`, text).
struct Said<'a> {
    code: FindingCode,
    severity: Severity,
    step: Step,
    summary: String,
    explanation: &'a str,
    remediation: &'a [&'a str],
    seen: Vec<(Option<String>, String)>,
}

fn config_finding(s: Said<'_>) -> Finding {
    Finding::new(s.code, s.severity, s.step, s.summary)
        .confidence(Confidence::High)
        .explain(s.explanation)
        .fix(s.remediation)
        .evidence(
            s.seen
                .into_iter()
                .map(|(log, what)| Evidence::line(log.unwrap_or_default(), 0, what)),
        )
}

/// `file:line` and the text of a recorded line; `file` names a nameless input.
fn quote(c: &SwitchConfig, l: &ConfigLine, file: &str) -> (Option<String>, String) {
    let name = c.files.get(l.file).map(String::as_str).unwrap_or("");
    let name = if name.is_empty() { file } else { name };
    (Some(format!("{name}:{}", l.line)), l.text.clone())
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
                    seen: Vec<(Option<String>, String)>| {
        out.push(config_finding(Said {
            code,
            severity,
            step,
            summary,
            explanation,
            remediation,
            seen,
        }));
    };
    let q = |key: LineKey| c.line_of(key).map(|l| quote(c, l, file));
    // Before 17.3.2 (Smart Licensing Using Policy) there is no cslu default: a transport
    // that no line states is then unknown, not cslu.
    let pre_policy = c.version.as_deref().is_some_and(|v| {
        v.parse::<crate::diagnose::trust::IosVersion>()
            .is_ok_and(|v| v < crate::diagnose::trust::IosVersion(17, 3, 2))
    });
    let transport_said = c.line_of(LineKey::Transport).is_some()
        || c.line_of(LineKey::StatusType).is_some()
        || !pre_policy;
    let file_only = |what: String| (Some(file.to_string()), what);
    let status = c.status.clone().unwrap_or_default();
    let status_says = |kind: &str| {
        status
            .kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
    };

    match plan.transport.as_str() {
        "off" => push(
            FindingCode::ConfigTransportOff,
            Severity::Error,
            Step::Http,
            "licensing transport off: the switch never reports to CSSM".into(),
            "With the transport off the switch sends nothing: usage must be exchanged by file (license smart save usage / license smart import), or a transport turned on. Nothing to probe.",
            &[
                "license smart transport smart",
                "license smart url default",
                "(offline on purpose) license smart save usage all file flash:usage.txt",
            ],
            q(LineKey::Transport)
                .or_else(|| q(LineKey::StatusType))
                .into_iter()
                .collect(),
        ),
        "cslu" if plan.targets.iter().any(|t| t.url == CSLU_DISCOVERY_URL) => {
            // Said by the status view (`Type: cslu`, `Cslu address: <empty>`), or by a
            // whole configuration without `license smart url cslu`.
            let from_status =
                status_says("cslu") && c.line_of(LineKey::StatusCsluAddress).is_some();
            // Before 17.3.2 (Smart Licensing Using Policy) there is no cslu default.
            let pre_policy = c.version.as_deref().is_some_and(|v| {
                v.parse::<crate::diagnose::trust::IosVersion>()
                    .is_ok_and(|v| v < crate::diagnose::trust::IosVersion(17, 3, 2))
            });
            let from_config = c.full_config && c.line_of(LineKey::CsluUrl).is_none() && !pre_policy;
            if from_status || from_config {
                let mut seen: Vec<_> = [
                    LineKey::Transport,
                    LineKey::StatusType,
                    LineKey::StatusCsluAddress,
                ]
                .into_iter()
                .filter_map(q)
                .collect();
                if seen.is_empty() {
                    seen.push(file_only("no license smart transport / license smart url cslu line: factory default cslu".into()));
                }
                push(
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
                    seen,
                );
            }
        }
        // An absence: only a whole running-config can show it.
        "callhome" if c.full_config && !c.service_call_home => push(
            FindingCode::ConfigCallhomeDisabled,
            Severity::Error,
            Step::Http,
            "transport callhome without 'service call-home': the switch sends nothing".into(),
            "The callhome transport hands licensing messages to Smart Call Home, which is off without 'service call-home'.",
            &[
                "service call-home",
                "(or better) license smart transport smart",
            ],
            q(LineKey::Transport)
                .or_else(|| q(LineKey::StatusType))
                .into_iter()
                .chain([file_only(
                    "no 'service call-home' line in the configuration".into(),
                )])
                .collect(),
        ),
        _ => {}
    }

    let state = status.overall_state.clone().unwrap_or_default();
    let state_lower = state.to_ascii_lowercase();
    if state_lower.contains("offline") && plan.transport != "off" {
        push(
            FindingCode::ConfigTransportOff,
            Severity::Warning,
            Step::Http,
            format!("the licensing agent says \"{state}\": it does not report online"),
            "In offline mode the switch exchanges usage reports and ACKs by file only, whatever transport type is set; its counters stay at zero. If it should report online, set a transport and sync; if offline is intended, nothing here can fail on the network.",
            &[
                "license smart transport smart",
                "license smart url default",
                "license smart sync all",
            ],
            q(LineKey::OverallState).into_iter().collect(),
        );
    }
    if state_lower.contains("insufficient trust") {
        push(
            FindingCode::ConfigNoTrust,
            Severity::Warning,
            Step::Http,
            format!("the licensing agent says \"{state}\": no trust code is installed"),
            "Direct communication with CSSM needs a trust code (an ID token from the Smart Account). Without one the switch does not try to report, so nothing has failed on the network yet.",
            &[
                "license smart trust idtoken <token from CSSM> all",
                "show license status   (Trust Code Installed)",
            ],
            [LineKey::OverallState, LineKey::Trust]
                .into_iter()
                .filter_map(q)
                .collect(),
        );
    }

    let url_seen = |t: &crate::model::switch::PlanTarget| {
        q(LineKey::Url)
            .filter(|(_, text)| text.contains(t.url.as_str()))
            .unwrap_or_else(|| file_only(format!("{} ({})", t.url, t.origin)))
    };
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
                vec![url_seen(t)],
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
                vec![url_seen(t)],
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
                vec![url_seen(t)],
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
                vec![(
                    Some(format!(
                        "{}:{}",
                        c.files
                            .get(h.file)
                            .filter(|n| !n.is_empty())
                            .map(String::as_str)
                            .unwrap_or(file),
                        h.line
                    )),
                    format!("ip host {} ...", h.name),
                )],
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
    if needs_dns && plan.transport != "off" && transport_said {
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
                q(LineKey::NoDomainLookup).into_iter().collect(),
            );
        // No name server at all is an absence (a whole configuration only); name servers
        // only in other VRFs are visible in any extract that shows name servers.
        } else if plan.dns_servers.is_empty() && (c.full_config || !c.name_servers.is_empty()) {
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
                    vec![file_only("no ip name-server line".into())]
                } else {
                    elsewhere.into_iter().map(file_only).collect()
                },
            );
        }
    }

    // Revocation lines are recorded in trustpoint order, one per trustpoint that has one.
    let mut revocation_lines = c.lines.iter().filter(|l| l.key == LineKey::RevocationCheck);
    for tp in c
        .trustpoints
        .iter()
        .filter(|tp| !tp.revocation_check.is_empty())
    {
        let seen = revocation_lines.next();
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
                vec![match seen {
                    Some(l) => {
                        let (at, text) = quote(c, l, file);
                        (at, format!("crypto pki trustpoint {} / {text}", tp.name))
                    }
                    None => file_only(format!(
                        "crypto pki trustpoint {} / revocation-check {}",
                        tp.name,
                        tp.revocation_check.join(" ")
                    )),
                }],
            );
        }
    }
    out
}
