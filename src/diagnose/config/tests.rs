use super::*;
use crate::model::switch::{IpHost, NameServer, StatusTransport, Trustpoint};

const SMART: &str = "https://smartreceiver.cisco.com/licservice/license";

fn plan(transport: &str, urls: &[(&str, &str)]) -> ProbePlan {
    ProbePlan {
        transport: Transport::from_word(transport),
        targets: urls
            .iter()
            .map(|(label, url)| PlanTarget::new(label, url, "test").unwrap())
            .collect(),
        proxy: None,
        vrf: None,
        dns_servers: Vec::new(),
        resolve: Vec::new(),
        source: None,
        dns_source: None,
        server_identity_check: true,
        ios_version: None,
        revocation_check: None,
        notes: Vec::new(),
    }
}

/// A whole running-config (so absences count) read from `run.txt`.
fn full() -> SwitchConfig {
    SwitchConfig {
        full_config: true,
        running_config: true,
        files: vec!["run.txt".into()],
        ..SwitchConfig::default()
    }
}

fn line(key: LineKey, line: u64, text: &str) -> ConfigLine {
    ConfigLine {
        key,
        file: 0,
        line,
        text: text.into(),
    }
}

fn codes(fs: &[Finding]) -> Vec<&'static str> {
    fs.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn transport_off_quotes_its_line_and_silences_the_other_rules() {
    let mut c = full();
    c.lines
        .push(line(LineKey::Transport, 7, "license smart transport off"));
    let fs = check_config(&c, &plan("off", &[("smart", SMART)]), "x");
    assert_eq!(codes(&fs), ["config_transport_off"]);
    assert_eq!(fs[0].severity, Severity::Error);
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("run.txt:7"));
    assert_eq!(fs[0].evidence[0].what, "license smart transport off");
}

#[test]
fn cslu_default_needs_policy_and_a_whole_config() {
    let p = plan("cslu", &[("cslu", CSLU_DISCOVERY_URL)]);
    let mut c = full();
    c.name_servers.push(NameServer {
        vrf: None,
        addr: "10.0.0.53".parse().unwrap(),
    });
    let mut p_dns = p.clone();
    p_dns.dns_servers.push("10.0.0.53".parse().unwrap());
    let fs = check_config(&c, &p_dns, "x");
    assert_eq!(codes(&fs), ["config_cslu_no_address"]);
    assert!(fs[0].evidence[0].what.contains("factory default cslu"));
    // Before 17.3.2 there is no cslu default.
    c.version = Some("16.12".into());
    assert!(
        cslu_no_address(&Cx {
            c: &c,
            plan: &p_dns,
            file: "x"
        })
        .is_none()
    );
    // An extract (no whole config) says nothing about an absent cslu URL.
    let extract = SwitchConfig::default();
    assert!(
        cslu_no_address(&Cx {
            c: &extract,
            plan: &p,
            file: "x"
        })
        .is_none()
    );
    // The status view says it on its own.
    let status = SwitchConfig {
        status: Some(StatusTransport {
            kind: Some("CSLU".into()),
            ..StatusTransport::default()
        }),
        lines: vec![line(LineKey::StatusCsluAddress, 3, "Cslu address: <empty>")],
        ..SwitchConfig::default()
    };
    let f = cslu_no_address(&Cx {
        c: &status,
        plan: &p,
        file: "st.txt",
    })
    .unwrap();
    assert_eq!(f.evidence[0].log.as_deref(), Some("st.txt:3"));
}

#[test]
fn callhome_without_service_only_on_a_whole_config() {
    let p = plan(
        "callhome",
        &[(
            "callhome",
            "https://tools.cisco.com/its/service/oddce/services/DDCEService",
        )],
    );
    let f = callhome_disabled(&Cx {
        c: &full(),
        plan: &p,
        file: "x",
    })
    .unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.evidence[0].what,
        "no 'service call-home' line in the configuration"
    );
    let mut on = full();
    on.service_call_home = true;
    assert!(
        callhome_disabled(&Cx {
            c: &on,
            plan: &p,
            file: "x"
        })
        .is_none()
    );
    let extract = SwitchConfig::default();
    assert!(
        callhome_disabled(&Cx {
            c: &extract,
            plan: &p,
            file: "x"
        })
        .is_none()
    );
}

#[test]
fn overall_state_offline_and_insufficient_trust() {
    let c = SwitchConfig {
        status: Some(StatusTransport {
            overall_state: Some(
                "Device configured for Offline transport, Insufficient trust".into(),
            ),
            ..StatusTransport::default()
        }),
        ..SwitchConfig::default()
    };
    let fs = check_config(&c, &plan("smart", &[]), "ts.txt");
    assert_eq!(codes(&fs), ["config_transport_off", "config_no_trust"]);
    assert!(fs.iter().all(|f| f.severity == Severity::Warning));
    assert!(fs[0].summary.contains("\"Device configured for Offline"));
    // With the transport off, the off rule speaks, not the offline one.
    let fs = check_config(&c, &plan("off", &[]), "ts.txt");
    assert_eq!(codes(&fs), ["config_transport_off", "config_no_trust"]);
    assert_eq!(fs[0].severity, Severity::Error);
}

#[test]
fn url_rules_per_target_in_order() {
    let c = SwitchConfig {
        lines: vec![line(
            LineKey::Url,
            9,
            "license smart url smart http://smartreceiver-stage.cisco.com/x",
        )],
        ..SwitchConfig::default()
    };
    let p = plan(
        "smart",
        &[
            ("smart", "http://smartreceiver-stage.cisco.com/x"),
            ("cslu", "http://cslu.corp:8182/cslu/v1/pi"),
            ("smart", "https://192.0.2.1/licservice/license"),
        ],
    );
    let fs = licensing_urls(&Cx {
        c: &c,
        plan: &p,
        file: "run.txt",
    });
    assert_eq!(
        codes(&fs),
        [
            "plaintext_http",
            "non_production_endpoint",
            "cert_hostname_mismatch"
        ]
    );
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("run.txt:9"));
    // A URL no line states is quoted with where it came from.
    assert_eq!(
        fs[2].evidence[0].what,
        "https://192.0.2.1/licservice/license (test)"
    );
    let mut off = p.clone();
    off.server_identity_check = false;
    let fs = licensing_urls(&Cx {
        c: &c,
        plan: &off,
        file: "run.txt",
    });
    assert_eq!(codes(&fs), ["plaintext_http", "non_production_endpoint"]);
}

#[test]
fn call_home_plain_http_destinations_of_active_profiles() {
    use crate::model::switch::{CallHome, CallHomeProfile};
    let profile = |name: &str, active: bool, url: &str| CallHomeProfile {
        name: name.into(),
        active,
        urls: vec![url.into()],
    };
    let c = SwitchConfig {
        call_home: Some(CallHome {
            profiles: vec![
                profile("CiscoTAC-1", true, "http://tools.cisco.com/its/x"),
                profile("off", false, "http://198.51.100.20/c"),
                profile("tls", true, "https://tools.cisco.com/its/x"),
            ],
            ..CallHome::default()
        }),
        lines: vec![line(
            LineKey::Url,
            12,
            "HTTP  address: http://tools.cisco.com/its/x",
        )],
        ..SwitchConfig::default()
    };
    let cx = Cx {
        c: &c,
        plan: &plan("smart", &[("smart", SMART)]),
        file: "ch.txt",
    };
    let fs = call_home_plaintext(&cx);
    assert_eq!(codes(&fs), ["plaintext_http"]);
    assert_eq!(fs[0].severity, Severity::Warning);
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("ch.txt:12"));
    // A URL the plan already probes is judged there, once.
    let p = plan("callhome", &[("callhome", "http://tools.cisco.com/its/x")]);
    assert!(
        call_home_plaintext(&Cx {
            c: &c,
            plan: &p,
            file: "ch.txt"
        })
        .is_empty()
    );
}

#[test]
fn static_hosts_for_cisco_names_only_with_their_vrf() {
    let host = |vrf: Option<&str>, name: &str, line| IpHost {
        vrf: vrf.map(Into::into),
        name: name.into(),
        addresses: Vec::new(),
        line,
        file: 0,
    };
    let c = SwitchConfig {
        hosts: vec![
            host(Some("Mgmt"), "tools.cisco.com", 4),
            host(None, "printer.corp", 5),
            host(None, "validation.identrust.com", 6),
        ],
        ..SwitchConfig::default()
    };
    let fs = static_hosts(&Cx {
        c: &c,
        plan: &plan("smart", &[]),
        file: "f.txt",
    });
    assert_eq!(fs.len(), 2);
    assert_eq!(fs[0].remediation, ["no ip host vrf Mgmt tools.cisco.com"]);
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("f.txt:4"));
    assert_eq!(fs[1].remediation, ["no ip host validation.identrust.com"]);
}

#[test]
fn name_server_rules_by_vrf() {
    let ns = |vrf: Option<&str>| NameServer {
        vrf: vrf.map(Into::into),
        addr: "10.0.0.53".parse().unwrap(),
    };
    let mut p = plan("smart", &[("smart", SMART)]);
    let summary = |c: &SwitchConfig, p: &ProbePlan| {
        let cx = Cx {
            c,
            plan: p,
            file: "x",
        };
        assert!(needs_dns(&cx));
        no_name_server(&cx).map(|f| (f.summary, f.remediation))
    };
    assert_eq!(
        summary(&full(), &p).unwrap().0,
        "no 'ip name-server' in the configuration"
    );
    let mut in_vrf = full();
    in_vrf.name_servers.push(ns(Some("Other")));
    assert!(
        summary(&in_vrf, &p)
            .unwrap()
            .0
            .starts_with("no global name server")
    );
    p.vrf = Some("Mgmt".into());
    let (s, fix) = summary(&full(), &p).unwrap();
    assert_eq!(s, "no name server for vrf Mgmt, where licensing runs");
    assert_eq!(fix, ["ip name-server vrf Mgmt <dns-server-ip>"]);
    let mut global = SwitchConfig::default();
    global.name_servers.push(ns(None));
    assert!(
        summary(&global, &p)
            .unwrap()
            .0
            .contains("configured elsewhere")
    );
    // An extract without name servers proves no absence.
    assert!(summary(&SwitchConfig::default(), &p).is_none());
    // A static entry for the name, or an IP literal, needs no DNS.
    p.resolve.push((
        "smartreceiver.cisco.com".into(),
        "192.0.2.1".parse().unwrap(),
    ));
    assert!(!needs_dns(&Cx {
        c: &full(),
        plan: &p,
        file: "x"
    }));
}

#[test]
fn domain_lookup_disabled_wins_over_missing_name_servers() {
    let mut c = full();
    c.domain_lookup_disabled = true;
    c.lines
        .push(line(LineKey::NoDomainLookup, 2, "no ip domain lookup"));
    let fs = check_config(&c, &plan("smart", &[("smart", SMART)]), "x");
    assert_eq!(codes(&fs), ["config_no_name_server"]);
    assert_eq!(fs[0].severity, Severity::Error);
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("run.txt:2"));
    // Before 17.3.2 with no transport stated, nothing is known to need DNS.
    c.version = Some("16.9".into());
    assert!(check_config(&c, &plan("smart", &[("smart", SMART)]), "x").is_empty());
}

#[test]
fn crl_checks_pair_trustpoints_with_their_lines() {
    let tp = |name: &str, check: &[&str]| Trustpoint {
        name: name.into(),
        revocation_check: check
            .iter()
            .map(|s| RevocationMethod::from_word(s))
            .collect(),
    };
    let c = SwitchConfig {
        trustpoints: vec![
            tp("A", &["none"]),
            tp("B", &[]),
            tp("C", &["crl", "none"]),
            tp("D", &["crl"]),
        ],
        // Only A and C have their line recorded: D's is missing.
        lines: vec![
            line(LineKey::RevocationCheck, 3, "revocation-check none"),
            line(LineKey::RevocationCheck, 8, "revocation-check crl none"),
        ],
        ..SwitchConfig::default()
    };
    let fs = crl_checks(&Cx {
        c: &c,
        plan: &plan("smart", &[]),
        file: "r.txt",
    });
    assert_eq!(fs.len(), 2);
    assert_eq!(fs[0].evidence[0].log.as_deref(), Some("r.txt:8"));
    assert_eq!(
        fs[0].evidence[0].what,
        "crypto pki trustpoint C / revocation-check crl none"
    );
    assert!(fs[0].summary.contains("'revocation-check crl none'"));
    // Without a CRL failure to back it, the line is context.
    assert!(fs.iter().all(|f| f.severity == Severity::Info));
    assert_eq!(fs[1].evidence[0].log.as_deref(), Some("r.txt"));
    assert_eq!(
        fs[1].remediation,
        ["crypto pki trustpoint D", " revocation-check none"]
    );
}
