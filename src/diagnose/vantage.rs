//! Principle 6 of issue 22, say where you stand, for the connection steps: a live probe
//! that did not imitate the switch's configuration (no `--from-config`: this host's source
//! address, routes, proxy settings and resolver) measured *this host's* path. Its TCP,
//! proxy and TLS failures are said of this host ("from this host HOST ..."), and their
//! fixes are not the switch's configuration: what to check from here, and how to make the
//! probe stand for the switch. The verdict and the blame stay the rules' own
//! ([`crate::model::Blame`]): a refused or silent path is the network's wherever it is
//! seen from. DNS has its own wording (`dns.rs::this_hosts_resolver`). Pure.

use crate::model::Vantage;
use crate::model::*;

/// The steps whose findings are worded for this host when the probe stood for nothing but
/// this host.
const STEPS: &[Step] = &[Step::Tcp, Step::Proxy, Step::Tls];

/// IOS configuration commands: a fix line starting with one of these changes the switch.
const SWITCH_CONFIG: &[&str] = &[
    "license ",
    "ip ",
    "ipv6 ",
    "interface ",
    "crypto ",
    "revocation-check",
    "ntp ",
    "clock ",
    "call-home",
    "service ",
    "http-proxy",
    "no ",
    "show ",
];

/// The connection findings of a probe from this host (`imitates_switch` false), worded for
/// this host.
pub fn from_this_host(c: &mut Connection, v: &Vantage) {
    if v.imitates_switch {
        return;
    }
    for f in &mut c.findings {
        if STEPS.contains(&f.step) {
            reword(f, v, c.server);
        }
    }
}

fn reword(f: &mut Finding, v: &Vantage, server: std::net::SocketAddr) {
    let here = match v.source_address {
        Some(a) => format!("{} ({a})", v.host),
        None => v.host.clone(),
    };
    f.summary = format!("from this host {here}: {}", f.summary);
    f.explanation = format!(
        "Measured from this host ({}), not with the switch's source interface, proxy or name servers (the probe ran without --from-config): the path seen is this host's, and the switch's may differ. What the probe saw: {}",
        v.line(),
        f.explanation
    );
    let kept: Vec<String> = f
        .remediation
        .iter()
        .filter(|l| {
            let t = l.trim_start();
            let switch_config = SWITCH_CONFIG.iter().any(|p| t.starts_with(p));
            let about_the_switch = t.starts_with('!') && t.to_ascii_lowercase().contains("switch");
            !switch_config && !about_the_switch && !t.is_empty()
        })
        .cloned()
        .collect();
    let mut fix = vec![here_check(f.step, server)];
    fix.extend(kept);
    fix.push(
        "licpath probe --from-config <show running-config> ...   ! imitate the switch's source interface, proxy and name servers: then the result is the switch's"
            .into(),
    );
    f.remediation = fix;
}

/// What to check on this host's own path at `step`.
fn here_check(step: Step, server: std::net::SocketAddr) -> String {
    match step {
        Step::Tcp => format!(
            "! this host: its route and firewalls to {server} (ip route get {}; a local or site egress rule for port {})",
            server.ip(),
            server.port()
        ),
        Step::Proxy => format!(
            "! this host's CONNECT through {server}: the proxy's ACL or authentication may treat this host's address differently from the switch's"
        ),
        _ => format!(
            "! this host's path to {server}: a middlebox (DPI, TLS inspection, a smaller MTU) between this host and the server"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResolverOrigin;
    use crate::model::testing::connection;

    fn vantage(imitates_switch: bool) -> Vantage {
        Vantage {
            host: "noc-1".into(),
            source_address: Some("192.0.2.10".parse().unwrap()),
            interface: Some("eth0".into()),
            resolver: vec![],
            resolver_origin: ResolverOrigin::ResolvConf,
            imitates_switch,
            unasked: None,
        }
    }

    #[test]
    fn a_failure_from_this_host_is_said_of_this_host_without_switch_config() {
        let mut c = connection().build();
        c.findings = vec![
            Finding::new(
                FindingCode::TcpTimeout,
                Severity::Error,
                Step::Tcp,
                "SYN never answered",
            )
            .blame(Blame::Network)
            .fix([
                "! check routing and ACLs from the source interface to the destination and port:",
                "ip http client source-interface <interface>",
                "license smart vrf <VRF>        ! if the path lives in a VRF",
                "show ip route <destination>",
                "! a firewall or ACL rejecting the switch's source address to this port:",
            ]),
            Finding::new(
                FindingCode::CertExpired,
                Severity::Error,
                Step::Cert,
                "expired",
            )
            .fix(["ntp server <ip>"]),
        ];
        let before = c.clone();
        from_this_host(&mut c, &vantage(true));
        let texts = |c: &Connection| -> Vec<(String, Vec<String>)> {
            c.findings
                .iter()
                .map(|f| (f.summary.clone(), f.remediation.clone()))
                .collect()
        };
        assert_eq!(
            texts(&c),
            texts(&before),
            "a probe that imitated the switch keeps the switch's wording"
        );
        from_this_host(&mut c, &vantage(false));
        let f = &c.findings[0];
        assert_eq!(
            f.summary,
            "from this host noc-1 (192.0.2.10): SYN never answered"
        );
        assert_eq!(
            f.blame,
            Some(Blame::Network),
            "the blame rules decide, not the vantage"
        );
        assert!(
            f.explanation
                .starts_with("Measured from this host (from noc-1 (192.0.2.10 on eth0)")
        );
        assert!(f.remediation[0].starts_with("! this host: its route and firewalls to "));
        assert!(
            f.remediation.iter().all(|l| !l.starts_with("ip ")
                && !l.starts_with("license ")
                && !l.starts_with("show ")),
            "{:?}",
            f.remediation
        );
        assert!(
            f.remediation
                .iter()
                .any(|l| l.starts_with("! check routing and ACLs"))
        );
        assert!(
            f.remediation
                .last()
                .unwrap()
                .starts_with("licpath probe --from-config")
        );
        // The certificate is the server's wherever it is seen from.
        assert_eq!(texts(&c)[1], texts(&before)[1]);
    }
}
