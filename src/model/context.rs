//! What is known about the switch before its packets are read: its configured proxy, its
//! name servers, its own addresses and the licensing hosts its configuration names
//! (`analyze --from-config`, `--proxy`, `--dns-server`, `--switch`). `flow` uses it to
//! tell which traffic is the switch's licensing traffic; `diagnose` to fill advice in with
//! real addresses. Pure data: who reads the switch's text (`ios`) or the flags (`cli`)
//! builds it; the core only reads it.

use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// The switch's surroundings as far as they are known. Empty: nothing known, and the
/// analysis is exactly what it is without any of it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct AnalysisContext {
    /// The switch text it was read from (`--from-config`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_config: Option<String>,
    /// The proxy the switch is configured to use (`license smart proxy`, call-home's
    /// `http-proxy`, `--proxy`).
    pub proxies: Vec<KnownProxy>,
    /// The switch's name servers (`ip name-server` of the licensing VRF, `--dns-server`).
    pub dns_servers: Vec<IpAddr>,
    /// The switch's own addresses (`--switch`): only traffic from them is the switch's.
    /// Empty: any source.
    pub switch_addresses: Vec<IpAddr>,
    /// The addresses of the switch's own interfaces, from its configuration
    /// (`--from-config`: `ip address`, `ipv6 address`, the source interface's among them):
    /// a client with one of them is the switch, as with `--switch`. Unlike `--switch`, they
    /// do not limit which traffic is read (a capture behind a NAT still counts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_addresses: Vec<IpAddr>,
    /// Names the switch sends licensing traffic to beyond the built-in ones: the hosts
    /// of its configured URLs (an SSM On-Prem, a CSLU).
    pub licensing_hosts: Vec<String>,
    /// Addresses of licensing hosts known without DNS: an IP literal in a URL, a static
    /// `ip host` entry for a licensing name.
    pub licensing_addresses: Vec<IpAddr>,
}

/// A configured proxy: as the configuration names it, and the addresses known for it
/// without DNS (the address itself, or `ip host` entries for its name).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct KnownProxy {
    /// Name or address, lower case, IPv6 without brackets.
    pub host: String,
    pub port: u16,
    pub addresses: Vec<IpAddr>,
    /// Where it was learned: `--proxy`, or the configuration line's command.
    pub origin: String,
}

impl KnownProxy {
    /// `host` and `port` as configured; an address literal is its own address.
    pub fn new(host: &str, port: u16, origin: &str) -> KnownProxy {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        KnownProxy {
            addresses: host.parse::<IpAddr>().into_iter().collect(),
            host,
            port,
            origin: origin.to_string(),
        }
    }

    /// `host:port` as an authority (`[v6]:port`).
    pub fn authority(&self) -> String {
        super::url::authority(&self.host, self.port)
    }
}

impl AnalysisContext {
    pub fn is_empty(&self) -> bool {
        self.from_config.is_none()
            && self.proxies.is_empty()
            && self.dns_servers.is_empty()
            && self.switch_addresses.is_empty()
            && self.config_addresses.is_empty()
            && self.licensing_hosts.is_empty()
            && self.licensing_addresses.is_empty()
    }

    /// Whether traffic from `ip` is the switch's: any address when none was given.
    pub fn is_switch(&self, ip: IpAddr) -> bool {
        self.switch_addresses.is_empty() || self.switch_addresses.contains(&ip)
    }

    /// Whether `ip` is known to be the switch: `--switch` names it, or it is one of its
    /// configuration's interface addresses.
    pub fn is_known_switch(&self, ip: IpAddr) -> bool {
        self.switch_addresses.contains(&ip) || self.config_addresses.contains(&ip)
    }

    pub fn is_name_server(&self, ip: IpAddr) -> bool {
        self.dns_servers.contains(&ip)
    }

    /// The configured proxy a connection to `server` goes to: the port must be the
    /// proxy's, and the address the proxy's own or one DNS gave for its name (`named`).
    pub fn proxy_at(&self, server: SocketAddr, named: Option<&str>) -> Option<&KnownProxy> {
        self.proxies.iter().find(|p| {
            p.port == server.port()
                && (p.addresses.contains(&server.ip())
                    || named.is_some_and(|n| n.trim_end_matches('.').eq_ignore_ascii_case(&p.host)))
        })
    }

    /// Whether `name` is the name of a configured proxy (its DNS is the switch's
    /// licensing DNS: without it the switch cannot reach the proxy).
    pub fn is_proxy_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.proxies
            .iter()
            .any(|p| p.addresses.is_empty() && p.host.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> AnalysisContext {
        AnalysisContext {
            proxies: vec![
                KnownProxy::new("198.51.100.4", 3128, "--proxy"),
                KnownProxy::new("Proxy.Corp.Example.", 8080, "license smart proxy"),
            ],
            dns_servers: vec!["198.51.100.53".parse().unwrap()],
            ..AnalysisContext::default()
        }
    }

    #[test]
    fn a_proxy_is_its_address_and_port_or_its_name_and_port() {
        let c = ctx();
        let at = |s: &str, n: Option<&str>| c.proxy_at(s.parse().unwrap(), n).map(|p| p.port);
        assert_eq!(at("198.51.100.4:3128", None), Some(3128));
        // Same address, another port: not the proxy (a web server on the same host).
        assert_eq!(at("198.51.100.4:443", None), None);
        assert_eq!(at("192.0.2.8:8080", None), None);
        assert_eq!(
            at("192.0.2.8:8080", Some("proxy.corp.example.")),
            Some(8080)
        );
        assert!(c.is_proxy_name("PROXY.corp.example"));
        assert!(!c.is_proxy_name("198.51.100.4"));
        assert_eq!(
            KnownProxy::new("[2001:db8::1]", 80, "x").authority(),
            "[2001:db8::1]:80"
        );
    }

    #[test]
    fn without_switch_addresses_every_source_is_the_switch() {
        let mut c = ctx();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(c.is_switch(a));
        c.switch_addresses.push("10.0.0.2".parse().unwrap());
        assert!(!c.is_switch(a));
        assert!(c.is_name_server("198.51.100.53".parse().unwrap()));
        assert!(AnalysisContext::default().is_empty());
        assert!(!c.is_empty());
    }
}
