//! From a [`SwitchConfig`] to what the switch itself would do: which URL, through which
//! proxy, from which interface/VRF, asking which name servers — the probe plan that
//! `licpath probe --from-config` runs. Misconfigurations are judged in
//! `diagnose::config`, not here.

use super::error::{IosTextError, PlanValueError};
use crate::model::switch::{
    Binding, CALLHOME_DEFAULT_URL, CSLU_DISCOVERY_URL, PlanTarget, ProbePlan, RevocationCheck,
    RevocationMethod, SMART_DEFAULT_URL, Transport, same_vrf,
};
use crate::model::switch::{StatusTransport, SwitchConfig, Trustpoint};
use crate::model::url::{ProxyAddr, parse_proxy};
use std::net::IpAddr;

/// Switch interface or VRF name → local interface (or Linux VRF device), from `--map`.
#[derive(Debug, Clone, Default)]
pub struct InterfaceMap(pub Vec<(String, String)>);

impl InterfaceMap {
    /// `Vlan10=eth1` pairs; the switch side may be abbreviated (`Gi1/0/1`).
    pub fn parse(items: &[String]) -> Result<Self, IosTextError> {
        let mut v = Vec::new();
        for it in items {
            match it.split_once('=') {
                Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                    v.push((a.trim().to_string(), b.trim().to_string()))
                }
                _ => return Err(IosTextError::BadMap { item: it.clone() }),
            }
        }
        Ok(InterfaceMap(v))
    }

    pub fn lookup(&self, switch_name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(s, _)| same_interface(s, switch_name))
            .map(|(_, l)| l.as_str())
    }
}

/// IOS accepts any unambiguous prefix of an interface type: `Gi1/0/1` is
/// `GigabitEthernet1/0/1`, `vl10` is `Vlan10`. Compare type prefixes and numbers.
pub fn same_interface(a: &str, b: &str) -> bool {
    fn split(s: &str) -> (String, String) {
        let s: String = s
            .split_whitespace()
            .collect::<String>()
            .to_ascii_lowercase();
        let i = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
        (s[..i].to_string(), s[i..].to_string())
    }
    let (ta, na) = split(a);
    let (tb, nb) = split(b);
    if na != nb || ta.is_empty() || tb.is_empty() {
        return ta == tb && na == nb;
    }
    ta.starts_with(&tb) || tb.starts_with(&ta)
}

/// `smart`, `Smart`, `Callhome`, `call-home`, `cslu`, `off`, `Transport Off` (the status
/// view's spelling) → one transport.
fn norm_transport(t: &str) -> Transport {
    let t = t.trim().to_ascii_lowercase();
    let t = t.strip_prefix("transport ").unwrap_or(&t);
    match t {
        "call-home" => Transport::Callhome,
        other => Transport::from_word(other),
    }
}

/// Where the licensing traffic goes and leaves from, as the transport decides it.
struct Route {
    targets: Vec<PlanTarget>,
    proxy: Option<ProxyAddr>,
    vrf: Option<String>,
    /// The switch interface the HTTPS connection leaves from.
    source_if: Option<String>,
}

/// The plan, its proxy and URLs parsed once: a proxy or URL the switch's text gives that
/// licpath cannot use is refused here ([`PlanValueError`]), for every command alike.
pub fn derive(c: &SwitchConfig, map: &InterfaceMap) -> Result<ProbePlan, PlanValueError> {
    let mut notes = Vec::new();
    let status = c.status.clone().unwrap_or_default();
    let transport = transport_of(c, &status, &mut notes);
    let mut route = Route {
        targets: Vec::new(),
        proxy: None,
        vrf: c.vrf.clone().or(status.vrf.clone()),
        source_if: c.http_client_source.clone(),
    };
    match transport {
        Transport::Smart => smart_route(c, &status, &mut route, &mut notes)?,
        Transport::Callhome => callhome_route(c, &mut route)?,
        Transport::Cslu => route.targets.push(cslu_target(c, &status)?),
        _ => {}
    }
    let Route {
        targets,
        proxy,
        vrf,
        source_if,
    } = route;

    // Name servers: those of the licensing VRF, else the global ones.
    let dns_servers: Vec<IpAddr> = c
        .name_servers
        .iter()
        .filter(|n| same_vrf(n.vrf.as_deref(), vrf.as_deref()))
        .map(|n| n.addr)
        .collect();
    let resolve = static_entries(c, &targets, proxy.as_ref(), vrf.as_deref());
    let (source, dns_source) = sources(c, map, source_if.as_ref(), vrf.as_ref(), &mut notes);
    let server_identity_check = c
        .server_identity_check
        .or(status.server_identity_check)
        .unwrap_or(true);
    Ok(ProbePlan {
        transport,
        targets,
        proxy,
        vrf,
        dns_servers,
        resolve,
        source,
        dns_source,
        server_identity_check,
        ios_version: c.version.clone(),
        revocation_check: revocation_check(c),
        notes,
    })
}

/// The transport, normalised: `license smart transport`, else the status view's `Type:`,
/// else what the release and the configuration make of an unstated one
/// ([`unstated_transport`]); a note says which when there is no config line.
fn transport_of(c: &SwitchConfig, status: &StatusTransport, notes: &mut Vec<String>) -> Transport {
    match (&c.transport, &status.kind) {
        (Some(t), _) => norm_transport(t),
        (None, Some(k)) => {
            notes.push(format!(
                "transport '{k}' read from show license status (no 'license smart transport' line)"
            ));
            norm_transport(k)
        }
        (None, None) => unstated_transport(c, notes),
    }
}

/// No transport line and no status view. `disabled`: `no license smart enable`. From
/// 17.3.2 (Smart Licensing Using Policy) a whole running-config without a transport line
/// means the factory default, cslu. Before 17.3.2 there is no cslu: Smart Licensing
/// reports over Call Home (`callhome` when call-home is configured). Anything else
/// (`show version` alone, an extract, a release the text does not give): `unknown`, with
/// a note saying what is needed. Never an invented plan.
fn unstated_transport(c: &SwitchConfig, notes: &mut Vec<String>) -> Transport {
    let release = c.version.as_deref();
    let era = release.and_then(crate::model::switch::policy_release);
    let call_home = c.service_call_home
        || c.call_home
            .as_ref()
            .is_some_and(|ch| ch.profiles.iter().any(|p| p.active));
    if c.smart_enabled == Some(false) {
        notes.push(
            "'no license smart enable': Smart Licensing is off on this switch, so it reports to nothing and there is nothing to probe (to turn it on: license smart enable, with call-home to tools.cisco.com)".into(),
        );
        return Transport::Disabled;
    }
    match (era, c.full_config) {
        (Some(true), true) => {
            notes.push(
                "no 'license smart transport' line: the factory default of Smart Licensing Using Policy, cslu".into(),
            );
            Transport::Cslu
        }
        (Some(false), _) if call_home || c.smart_enabled == Some(true) => {
            notes.push(format!(
                "IOS XE {} predates Smart Licensing Using Policy (17.3.2): no cslu, no 'license smart transport'; Smart Licensing reports over Call Home",
                release.unwrap_or("?")
            ));
            Transport::Callhome
        }
        (Some(false), _) => {
            notes.push(format!(
                "IOS XE {} predates Smart Licensing Using Policy (17.3.2): Smart Licensing reports over Call Home, and the text shows no call-home configuration (need: show running-config | section call-home, show call-home profile all)",
                release.unwrap_or("?")
            ));
            Transport::Unknown
        }
        (None, _) if release.is_some() => {
            notes.push(format!(
                "release {} does not say whether it runs Smart Licensing Using Policy (17.3.2 and later) or Call Home (before): need show version",
                release.unwrap_or("?")
            ));
            Transport::Unknown
        }
        (_, false) => {
            notes.push(
                "the text is not a whole running-config and states no transport: need show running-config (or show license status)".into(),
            );
            Transport::Unknown
        }
        (_, true) => {
            notes.push(
                "the running-config states no transport and no release: the default depends on the release (cslu from 17.3.2, Call Home before): need show version".into(),
            );
            Transport::Unknown
        }
    }
}

/// Smart transport: the configured URL (else the status view's, else Cisco's default), and
/// the `license smart proxy` (a proxy without a port is taken on port 80, with a note).
fn smart_route(
    c: &SwitchConfig,
    status: &StatusTransport,
    route: &mut Route,
    notes: &mut Vec<String>,
) -> Result<(), PlanValueError> {
    let (url, origin) = match (&c.smart_url, &status.url) {
        (Some(u), _) if !c.url_default => (u.as_str(), "license smart url smart"),
        (_, Some(u)) if !c.url_default && u.contains("://") => (u.as_str(), "show license status"),
        _ => (SMART_DEFAULT_URL, "default"),
    };
    route.targets.push(target("smart", url, origin)?);
    let (address, what) = match (&c.proxy_address, &status.proxy_address) {
        (Some(a), _) => (a, "license smart proxy"),
        (None, Some(a)) => (a, "show license status Proxy"),
        (None, None) => return Ok(()),
    };
    let port = c
        .proxy_port
        .or_else(|| status.proxy_port.as_deref().and_then(|p| p.parse().ok()));
    let port = port.unwrap_or_else(|| {
        notes.push("proxy address without a port: assuming 80".into());
        80
    });
    route.proxy = Some(proxy(what, address, port)?);
    Ok(())
}

/// A target of the plan, its URL parsed once.
fn target(label: &str, url: &str, origin: &str) -> Result<PlanTarget, PlanValueError> {
    PlanTarget::new(label, url, origin).map_err(|reason| PlanValueError {
        what: format!("{label} URL ({origin})"),
        value: url.to_string(),
        reason,
    })
}

/// The switch's proxy, parsed once (the one proxy parser, `model::url::parse_proxy`). The
/// switch sends no credentials to a proxy, so a userinfo in the text is dropped.
fn proxy(what: &str, host: &str, port: u16) -> Result<ProxyAddr, PlanValueError> {
    let value = host_port(host, port);
    let mut p = parse_proxy(&value).map_err(|reason| PlanValueError {
        what: what.to_string(),
        value,
        reason,
    })?;
    p.credentials = None;
    Ok(p)
}

/// Call-home transport: the URLs of the active profiles (else CiscoTAC-1's default), and
/// the `call-home` block's proxy, VRF and source interface, which win over the others.
fn callhome_route(c: &SwitchConfig, route: &mut Route) -> Result<(), PlanValueError> {
    let ch = c.call_home.clone().unwrap_or_default();
    let urls: Vec<(String, String)> = ch
        .profiles
        .iter()
        .filter(|p| p.active)
        .flat_map(|p| {
            p.urls
                .iter()
                .map(move |u| (u.clone(), format!("call-home profile {}", p.name)))
        })
        .collect();
    if urls.is_empty() {
        let origin = "default (CiscoTAC-1)";
        route
            .targets
            .push(target("callhome", CALLHOME_DEFAULT_URL, origin)?);
    }
    for (url, origin) in urls {
        route.targets.push(target("callhome", &url, &origin)?);
    }
    route.proxy = match &ch.http_proxy {
        Some((h, p)) => Some(proxy("call-home http-proxy", h, *p)?),
        None => None,
    };
    route.vrf = ch.vrf.clone().or(route.vrf.take());
    route.source_if = ch.source_interface.clone().or(route.source_if.take());
    Ok(())
}

/// CSLU transport: the configured (or status view's) CSLU address, else discovery.
fn cslu_target(c: &SwitchConfig, status: &StatusTransport) -> Result<PlanTarget, PlanValueError> {
    let url = c.cslu_url.as_ref().or(status.cslu_address.as_ref());
    let (url, origin) = match url {
        Some(u) => (u.as_str(), "license smart url cslu"),
        // With no address the switch looks for a CSLU named cslu-local.
        None => (
            CSLU_DISCOVERY_URL,
            "default (CSLU discovery by the name cslu-local)",
        ),
    };
    target("cslu", url, origin)
}

/// The `ip host` entries of the licensing VRF for the targets' hosts and the proxy's.
fn static_entries(
    c: &SwitchConfig,
    targets: &[PlanTarget],
    proxy: Option<&ProxyAddr>,
    vrf: Option<&str>,
) -> Vec<(String, IpAddr)> {
    let names: Vec<String> = targets
        .iter()
        .map(|t| t.url.host())
        .chain(proxy.map(|p| p.host.as_str()))
        .map(|h| h.to_ascii_lowercase())
        .collect();
    c.hosts
        .iter()
        .filter(|h| names.contains(&h.name))
        .filter(|h| same_vrf(h.vrf.as_deref(), vrf))
        .flat_map(|h| h.addresses.iter().map(move |a| (h.name.clone(), *a)))
        .collect()
}

/// Where the HTTPS connection (source interface, else VRF) and the DNS queries (`ip domain
/// lookup source-interface` of the VRF, else the same) leave from, bound to local
/// interfaces by `--map`; a note for each one the map does not give.
fn sources(
    c: &SwitchConfig,
    map: &InterfaceMap,
    source_if: Option<&String>,
    vrf: Option<&String>,
    notes: &mut Vec<String>,
) -> (Option<Binding>, Option<Binding>) {
    let bind = |name: &String| Binding {
        switch: name.clone(),
        local: map.lookup(name).map(str::to_string),
    };
    let source = source_if.map(bind).or_else(|| vrf.map(bind));
    let dns_if = c
        .domain_lookup_source
        .iter()
        .find(|(v, _)| same_vrf(v.as_deref(), vrf.map(String::as_str)))
        .map(|(_, i)| i.clone());
    let dns_source = dns_if.as_ref().map(bind).or_else(|| source.clone());
    for b in [&source, &dns_source].into_iter().flatten() {
        if b.local.is_none() {
            let note = format!(
                "the switch sends from {} {}: probing from this host's default route (use --map {}=IF)",
                b.switch,
                crate::model::switch::UNMAPPED_SOURCE_NOTE,
                b.switch
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    (source, dns_source)
}

/// The trustpoint whose `revocation-check` makes the switch fetch CRLs/OCSP (one without
/// `none`): SLA-TrustPoint first, else the first such one.
fn revocation_check(c: &SwitchConfig) -> Option<RevocationCheck> {
    let strict = |tp: &&Trustpoint| {
        !tp.revocation_check.is_empty() && !tp.revocation_check.contains(&RevocationMethod::None)
    };
    c.trustpoints
        .iter()
        .filter(strict)
        .find(|tp| tp.name.eq_ignore_ascii_case("SLA-TrustPoint"))
        .or_else(|| c.trustpoints.iter().find(strict))
        .map(|tp| RevocationCheck {
            trustpoint: tp.name.clone(),
            methods: tp.revocation_check.clone(),
        })
}

fn host_port(host: &str, port: u16) -> String {
    crate::model::url::authority(host.trim_start_matches('[').trim_end_matches(']'), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ios::config::parse_config;

    fn plan(text: &str) -> ProbePlan {
        derive(&parse_config(text), &InterfaceMap::default()).unwrap()
    }

    #[test]
    fn transport_from_config_else_status_else_cslu_with_a_note() {
        let p = plan("license smart transport Call-Home\n");
        assert_eq!((p.transport.as_str(), p.notes.len()), ("callhome", 0));
        let p = plan("Transport:\n  Type: Smart\n  URL: https://smart.example/its\n");
        assert_eq!(p.transport.as_str(), "smart");
        assert_eq!(
            p.notes,
            ["transport 'Smart' read from show license status (no 'license smart transport' line)"]
        );
        assert_eq!(p.targets[0].written, "https://smart.example/its");
        assert_eq!(p.targets[0].origin, "show license status");
        // A whole 17.3.2+ configuration without a transport line: the factory default.
        let p = plan("version 17.9\nhostname sw1\nip name-server 192.0.2.1\n");
        assert_eq!(p.transport.as_str(), "cslu");
        assert_eq!(p.targets[0].written, CSLU_DISCOVERY_URL);
        assert_eq!(
            p.notes,
            [
                "no 'license smart transport' line: the factory default of Smart Licensing Using Policy, cslu"
            ]
        );
    }

    #[test]
    fn the_era_decides_an_unstated_transport_never_an_invented_cslu() {
        let transport = |text: &str| {
            let p = plan(text);
            (p.transport, p.targets.len(), p.notes.join(" "))
        };
        // Smart Licensing switched off (16.9): nothing to probe.
        let (t, n, note) = transport("version 16.9\nhostname r1\nno license smart enable\n");
        assert_eq!((t.as_str(), n), ("disabled", 0));
        assert!(note.contains("no license smart enable"), "{note}");
        // Before 17.3.2 with call-home: the era's own transport, to tools.cisco.com.
        let p = plan(
            "version 16.12\nhostname s\nservice call-home\ncall-home\n profile \"CiscoTAC-1\"\n  active\n",
        );
        assert_eq!(p.transport.as_str(), "callhome");
        assert_eq!(p.targets[0].written, CALLHOME_DEFAULT_URL);
        // Before 17.3.2 without call-home, `show version` alone, an extract, `version 17.3`:
        // unknown, with what is needed.
        for text in [
            "version 16.9\nhostname r1\n",
            "Cisco IOS XE Software, Version 17.06.01\n",
            "ip name-server 192.0.2.1\n",
            "version 17.3\nhostname s\n",
            "hostname s\nip name-server 192.0.2.1\n",
        ] {
            let (t, n, note) = transport(text);
            assert_eq!((t.as_str(), n), ("unknown", 0), "{text}");
            assert!(note.contains("need"), "{text}: {note}");
        }
    }

    #[test]
    fn smart_url_default_wins_and_a_proxy_without_port_is_80() {
        let p = plan(
            "license smart transport smart\n\
             license smart url https://smart.example/its\n\
             license smart url default\n\
             license smart proxy address proxy.example\n",
        );
        assert_eq!(p.targets[0].written, SMART_DEFAULT_URL);
        assert_eq!(p.targets[0].origin, "default");
        assert_eq!(
            p.proxy.as_ref().map(ToString::to_string).as_deref(),
            Some("proxy.example:80")
        );
        assert_eq!(p.notes, ["proxy address without a port: assuming 80"]);
    }

    #[test]
    fn callhome_block_wins_over_the_global_vrf_and_source() {
        let p = plan(
            "license smart transport callhome\n\
             license smart vrf global-vrf\n\
             ip http client source-interface Vlan10\n\
             call-home\n \
             vrf Mgmt-vrf\n \
             source-interface GigabitEthernet0/0\n \
             http-proxy \"192.0.2.10\" port 3128\n \
             profile \"CiscoTAC-1\"\n  \
             no active\n",
        );
        // No active profile: CiscoTAC-1's default URL.
        let t: Vec<_> = p
            .targets
            .iter()
            .map(|t| (t.written.as_str(), t.origin.as_str()))
            .collect();
        assert_eq!(t, [(CALLHOME_DEFAULT_URL, "default (CiscoTAC-1)")]);
        assert_eq!(p.vrf.as_deref(), Some("Mgmt-vrf"));
        assert_eq!(
            p.proxy.as_ref().map(ToString::to_string).as_deref(),
            Some("192.0.2.10:3128")
        );
        let source = p.source.as_ref().map(|b| b.switch.as_str());
        assert_eq!(source, Some("GigabitEthernet0/0"));
    }

    #[test]
    fn static_entries_of_the_targets_and_proxy_in_the_vrf_only() {
        let p = plan(
            "license smart transport smart\n\
             license smart vrf Mgmt-vrf\n\
             license smart proxy address Proxy.Example\n\
             license smart proxy port 8080\n\
             ip host vrf Mgmt-vrf proxy.example 192.0.2.10\n\
             ip host proxy.example 192.0.2.99\n\
             ip host vrf Mgmt-vrf other.example 192.0.2.11\n\
             ip name-server vrf Mgmt-vrf 192.0.2.53\n\
             ip name-server 198.51.100.53\n",
        );
        assert_eq!(
            p.resolve,
            [("proxy.example".to_string(), "192.0.2.10".parse().unwrap())]
        );
        assert_eq!(p.dns_servers, ["192.0.2.53".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn sources_bound_by_the_map_one_note_per_unmapped_interface() {
        let c = parse_config(
            "license smart transport smart\n\
             license smart vrf Mgmt-vrf\n\
             ip domain lookup vrf Mgmt-vrf source-interface Gi0/0\n",
        );
        // No source interface: the VRF stands in; DNS leaves from its own interface.
        let p = derive(&c, &InterfaceMap::default()).unwrap();
        assert_eq!(
            p.source.as_ref().map(|b| b.switch.as_str()),
            Some("Mgmt-vrf")
        );
        assert_eq!(
            p.dns_source.as_ref().map(|b| b.switch.as_str()),
            Some("Gi0/0")
        );
        assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
        let map = InterfaceMap::parse(&["mgmt-vrf=mgmt".into(), "GigabitEthernet0/0=eth1".into()]);
        let p = derive(&c, &map.unwrap_or_default()).unwrap();
        assert_eq!(p.source.and_then(|b| b.local).as_deref(), Some("mgmt"));
        assert_eq!(p.dns_source.and_then(|b| b.local).as_deref(), Some("eth1"));
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        // The same unmapped interface for both: one note.
        let p = plan("license smart transport smart\nip http client source-interface Vlan10\n");
        assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
        assert!(p.notes[0].contains("--map Vlan10=IF"), "{:?}", p.notes);
    }

    #[test]
    fn revocation_check_prefers_sla_trustpoint_ignores_none() {
        let p = plan(
            "crypto pki trustpoint TP-none\n \
             revocation-check none\n\
             crypto pki trustpoint TP-crl\n \
             revocation-check crl\n\
             crypto pki trustpoint sla-trustpoint\n \
             revocation-check ocsp crl\n",
        );
        let want = RevocationCheck {
            trustpoint: "sla-trustpoint".to_string(),
            methods: vec![RevocationMethod::Ocsp, RevocationMethod::Crl],
        };
        assert_eq!(p.revocation_check, Some(want));
        let p = plan(
            "crypto pki trustpoint SLA-TrustPoint\n revocation-check crl none\n\
                      crypto pki trustpoint TP-crl\n revocation-check crl\n",
        );
        assert_eq!(
            p.revocation_check.map(|r| r.trustpoint).as_deref(),
            Some("TP-crl")
        );
        assert_eq!(plan("crypto pki trustpoint X\n").revocation_check, None);
    }

    #[test]
    fn a_proxy_or_url_that_does_not_parse_refuses_the_plan() {
        let c =
            parse_config("license smart transport smart\nlicense smart proxy address proxy!corp\n");
        let e = derive(&c, &InterfaceMap::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "license smart proxy \"proxy!corp:80\": bad host name \"proxy!corp\""
        );
        let c = parse_config("license smart transport cslu\nlicense smart url cslu cslu.example\n");
        let e = derive(&c, &InterfaceMap::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cslu URL (license smart url cslu) \"cslu.example\": not a URL (expected https://host/path)"
        );
    }

    #[test]
    fn interface_abbreviations() {
        assert!(same_interface("Gi1/0/1", "GigabitEthernet1/0/1"));
        assert!(same_interface("vlan 10", "Vlan10"));
        assert!(!same_interface("Vlan10", "Vlan100"));
        assert!(!same_interface("Gi1/0/1", "TenGigabitEthernet1/0/1"));
        assert!(same_interface("Mgmt-vrf", "mgmt-vrf"));
    }
}
