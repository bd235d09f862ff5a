//! The kernel filter (`pcap-filter(7)` syntax) of `watch --interface`: only the traffic
//! that can be a licensing attempt reaches licpath. Pure: built from the context.

use crate::model::context::AnalysisContext;

/// Ports every licensing path uses: DNS, HTTPS (smart, call-home, On-Prem), HTTP
/// (call-home's deprecated plain transport, CRL and OCSP fetches), CSLU.
pub(crate) const PORTS: &[u16] = &[53, 443, 80, 8182];

/// DNS, the licensing ports, the proxies' ports, every packet to or from a configured
/// proxy, name server or licensing address, and ICMP (unreachables answer SYNs and
/// queries); the same again inside an 802.1Q tag (SPAN ports often keep it).
pub fn capture_filter(ctx: &AnalysisContext) -> String {
    let mut ports: Vec<u16> = PORTS.to_vec();
    ports.extend(ctx.proxies.iter().map(|p| p.port));
    ports.sort_unstable();
    ports.dedup();
    let mut hosts: Vec<String> = ctx
        .proxies
        .iter()
        .flat_map(|p| p.addresses.iter())
        .chain(&ctx.dns_servers)
        .chain(&ctx.licensing_addresses)
        .map(|a| a.to_string())
        .collect();
    hosts.sort();
    hosts.dedup();
    let mut parts = vec![format!(
        "((tcp or udp) and ({}))",
        ports
            .iter()
            .map(|p| format!("port {p}"))
            .collect::<Vec<_>>()
            .join(" or ")
    )];
    parts.extend(hosts.iter().map(|h| format!("host {h}")));
    parts.push("icmp or icmp6".into());
    let one = parts.join(" or ");
    let from = match ctx.switch_addresses.as_slice() {
        [] => String::new(),
        addrs => format!(
            "({}) and ",
            addrs
                .iter()
                .map(|a| format!("host {a}"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    format!("({from}({one})) or (vlan and {from}({one}))")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::KnownProxy;

    #[test]
    fn the_filter_names_ports_and_hosts_of_the_context() {
        let plain = capture_filter(&AnalysisContext::default());
        assert_eq!(
            plain,
            "((((tcp or udp) and (port 53 or port 80 or port 443 or port 8182)) or icmp or icmp6)) or (vlan and (((tcp or udp) and (port 53 or port 80 or port 443 or port 8182)) or icmp or icmp6))"
        );
        let ctx = AnalysisContext {
            proxies: vec![KnownProxy::new("10.0.0.5", 3128, "--proxy")],
            dns_servers: vec!["10.0.0.53".parse().unwrap()],
            switch_addresses: vec!["10.1.1.1".parse().unwrap()],
            ..AnalysisContext::default()
        };
        let f = capture_filter(&ctx);
        assert!(f.starts_with("((host 10.1.1.1) and (((tcp or udp) and (port 53 or port 80 or port 443 or port 3128 or port 8182)) or host 10.0.0.5 or host 10.0.0.53 or icmp or icmp6)) or (vlan and (host 10.1.1.1) and "), "{f}");
    }
}
