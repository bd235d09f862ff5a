//! Where a probe stands (issue 22, "say where you stand"): this host's name, the source
//! address and interface its connections left from, the name servers it asked and where
//! that list came from. A probe measures the path from *this host*; it stands for the
//! switch only as far as it imitated the switch's configuration (`--from-config`). Pure
//! data: the probe fills it in, the reports print it.

use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Where the name servers the probe asked came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResolverOrigin {
    /// This host's own resolver configuration (`/etc/resolv.conf`).
    ResolvConf,
    /// `--dns-server` on the command line.
    DnsServer,
    /// `ip name-server` in the switch's configuration (`--from-config`).
    SwitchConfig,
}

impl ResolverOrigin {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolverOrigin::ResolvConf => "resolv_conf",
            ResolverOrigin::DnsServer => "dns_server",
            ResolverOrigin::SwitchConfig => "switch_config",
        }
    }

    /// In words: "this host's resolv.conf", "--dns-server", "the switch's configuration".
    pub fn words(self) -> &'static str {
        match self {
            ResolverOrigin::ResolvConf => "this host's resolv.conf",
            ResolverOrigin::DnsServer => "--dns-server",
            ResolverOrigin::SwitchConfig => "the switch's ip name-server",
        }
    }
}

/// Where a probe was measured from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Vantage {
    /// This host's name (the kernel's), escaped by whoever prints it.
    pub host: String,
    /// The source address the connections (else the DNS queries) left from; `None` when
    /// nothing left.
    pub source_address: Option<IpAddr>,
    /// The interface that holds the source address (or `--source-interface`).
    pub interface: Option<String>,
    /// The name servers asked, in order; empty when none could be read.
    pub resolver: Vec<SocketAddr>,
    pub resolver_origin: ResolverOrigin,
    /// The probe imitated the switch's configuration (`--from-config`: its name servers,
    /// source interface, proxy); false when it stood for nothing but this host.
    pub imitates_switch: bool,
    /// No name server could be asked at all (no configuration, a name that is no DNS
    /// name), and why: a fact `diagnose/dns.rs` judges as a DNS failure. Not in the JSON:
    /// its finding says it.
    #[serde(skip)]
    pub unasked: Option<Unasked>,
}

/// Why the probe could ask no name server, and whose fault that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unasked {
    pub blame: super::Blame,
    pub detail: String,
}

impl Vantage {
    /// The name servers asked, as one string (`-` when none).
    pub fn resolver_list(&self) -> String {
        if self.resolver.is_empty() {
            return "-".into();
        }
        self.resolver
            .iter()
            .map(|s| match s.port() {
                53 => s.ip().to_string(),
                _ => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One line for people: `from HOST (SRC on IFACE), resolver R (ORIGIN)`. Unescaped.
    pub fn line(&self) -> String {
        let at = match (&self.source_address, &self.interface) {
            (Some(a), Some(i)) => format!(" ({a} on {i})"),
            (Some(a), None) => format!(" ({a})"),
            (None, Some(i)) => format!(" (on {i})"),
            (None, None) => String::new(),
        };
        let imitating = if self.imitates_switch {
            ", imitating the switch's configuration"
        } else {
            ""
        };
        format!(
            "from {}{at}, resolver {} ({}){imitating}",
            self.host,
            self.resolver_list(),
            self.resolver_origin.words()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_host_source_interface_and_resolver() {
        let v = Vantage {
            host: "noc-1".into(),
            source_address: Some("192.0.2.10".parse().unwrap()),
            interface: Some("eth0".into()),
            resolver: vec![
                "127.0.0.53:53".parse().unwrap(),
                "127.0.0.1:5353".parse().unwrap(),
            ],
            resolver_origin: ResolverOrigin::ResolvConf,
            unasked: None,
            imitates_switch: false,
        };
        assert_eq!(
            v.line(),
            "from noc-1 (192.0.2.10 on eth0), resolver 127.0.0.53, 127.0.0.1:5353 (this host's resolv.conf)"
        );

        let v = Vantage {
            source_address: None,
            interface: None,
            resolver: vec![],
            resolver_origin: ResolverOrigin::SwitchConfig,
            unasked: None,
            imitates_switch: true,
            ..v
        };
        assert_eq!(
            v.line(),
            "from noc-1, resolver - (the switch's ip name-server), imitating the switch's configuration"
        );
    }
}
