//! Names resolved without DNS (the switch's `ip host`, the probe's `--resolve`): what the
//! report shows instead of a DNS exchange. Data only.

use serde::Serialize;
use std::net::IpAddr;

/// A name resolved without DNS, from a static entry: the switch's `ip host NAME IP`, or
/// the probe's `--resolve NAME=IP` standing in for one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct StaticHost {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    pub origin: StaticOrigin,
}

/// Where a [`StaticHost`] came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaticOrigin {
    /// `--resolve NAME=IP` on the command line.
    ResolveFlag,
    /// `ip host NAME IP` in the switch's configuration (`--from-config`).
    IpHost,
}

/// `static: ip host smartreceiver.cisco.com 192.0.2.1 — no DNS query`, written as the
/// entry was given. The name is not escaped: printers escape it.
impl std::fmt::Display for StaticHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addrs: Vec<String> = self.addresses.iter().map(IpAddr::to_string).collect();
        match self.origin {
            StaticOrigin::IpHost => write!(f, "static: ip host {} {}", self.name, addrs.join(" "))?,
            StaticOrigin::ResolveFlag => write!(
                f,
                "static: --resolve {}",
                addrs
                    .iter()
                    .map(|a| format!("{}={a}", self.name))
                    .collect::<Vec<_>>()
                    .join(" --resolve ")
            )?,
        }
        f.write_str(" — no DNS query")
    }
}
