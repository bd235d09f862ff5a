//! Advice filled in from what is known about the switch ([`AnalysisContext`]: `analyze
//! --from-config`, `--proxy`, `--dns-server`, `--switch`): the Embedded Packet Capture
//! that records exactly the switch's licensing traffic, with its real addresses instead
//! of placeholders.

use crate::model::context::AnalysisContext;

/// The Embedded Packet Capture commands that record a switch's licensing exchange
/// (Cisco Catalyst 9000 "Configuring Packet Capture"): an access list for the licensing,
/// proxy and DNS traffic, the capture on the uplink, a sync that makes the switch talk now,
/// and the export.
pub const EPC_COMMANDS: &[&str] = &[
    "ip access-list extended LICPATH",
    " permit ip any host <proxy-or-licensing-address>",
    " permit ip host <proxy-or-licensing-address> any",
    " permit udp any any eq domain",
    " permit udp any eq domain any",
    "monitor capture LICPATH interface <uplink-or-source-interface> both access-list LICPATH buffer size 100",
    "monitor capture LICPATH start",
    "license smart sync all",
    "monitor capture LICPATH stop",
    "monitor capture LICPATH export location flash:licpath.pcap",
];

/// The Embedded Packet Capture commands of [`EPC_COMMANDS`], the access list written for
/// this switch: its proxy, its name servers, the licensing addresses known without DNS,
/// from the switch's own addresses. Without a context (or without addresses in it) the
/// placeholders stay.
pub fn epc_commands(ctx: Option<&AnalysisContext>) -> Vec<String> {
    let Some(ctx) = ctx else {
        return EPC_COMMANDS.iter().map(|s| s.to_string()).collect();
    };
    let mut acl = vec!["ip access-list extended LICPATH".to_string()];
    let sources: Vec<String> = if ctx.switch_addresses.is_empty() {
        vec!["any".into()]
    } else {
        ctx.switch_addresses
            .iter()
            .map(|a| format!("host {a}"))
            .collect()
    };
    // `ip`, not `tcp`: an ICMP unreachable from the peer is part of the story.
    let mut peer = |remark: String, hosts: Vec<String>| {
        acl.push(format!(" remark {remark}"));
        for h in &hosts {
            for s in &sources {
                acl.push(format!(" permit ip {s} {h}"));
                acl.push(format!(" permit ip {h} {s}"));
            }
        }
    };
    for p in &ctx.proxies {
        let hosts = if p.addresses.is_empty() {
            vec![format!("host <address-of-{}>", p.host)]
        } else {
            p.addresses.iter().map(|a| format!("host {a}")).collect()
        };
        peer(format!("the proxy {} ({})", p.authority(), p.origin), hosts);
    }
    if !ctx.licensing_addresses.is_empty() {
        let hosts = ctx
            .licensing_addresses
            .iter()
            .map(|a| format!("host {a}"))
            .collect();
        peer("licensing hosts known without DNS".into(), hosts);
    }
    if ctx.proxies.is_empty() && ctx.licensing_addresses.is_empty() {
        acl.extend(EPC_COMMANDS[1..3].iter().map(|s| s.to_string()));
    }
    if ctx.dns_servers.is_empty() {
        acl.extend(EPC_COMMANDS[3..5].iter().map(|s| s.to_string()));
    } else {
        acl.push(" remark the name servers (ip name-server)".into());
        for ns in &ctx.dns_servers {
            for s in &sources {
                acl.push(format!(" permit udp {s} host {ns} eq domain"));
                acl.push(format!(" permit udp host {ns} eq domain {s}"));
            }
        }
    }
    acl.extend(EPC_COMMANDS[5..].iter().map(|s| s.to_string()));
    acl
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::KnownProxy;

    #[test]
    fn without_a_context_the_placeholders_stay() {
        assert_eq!(epc_commands(None), EPC_COMMANDS);
        let empty = epc_commands(Some(&AnalysisContext::default()));
        assert!(
            empty
                .iter()
                .any(|l| l.contains("<proxy-or-licensing-address>"))
        );
        assert!(empty.contains(&" permit udp any any eq domain".to_string()));
    }

    #[test]
    fn the_access_list_names_the_switch_its_proxy_and_its_name_servers() {
        let ctx = AnalysisContext {
            proxies: vec![KnownProxy::new("198.51.100.4", 3128, "license smart proxy")],
            dns_servers: vec!["198.51.100.53".parse().unwrap()],
            switch_addresses: vec!["198.51.100.10".parse().unwrap()],
            ..AnalysisContext::default()
        };
        let lines = epc_commands(Some(&ctx));
        for want in [
            " permit ip host 198.51.100.10 host 198.51.100.4",
            " permit ip host 198.51.100.4 host 198.51.100.10",
            " permit udp host 198.51.100.10 host 198.51.100.53 eq domain",
            " permit udp host 198.51.100.53 eq domain host 198.51.100.10",
            "license smart sync all",
            "monitor capture LICPATH export location flash:licpath.pcap",
        ] {
            assert!(lines.iter().any(|l| l == want), "{want:?} in {lines:#?}");
        }
        assert!(
            !lines
                .iter()
                .any(|l| l.contains('<') && l.contains("address")),
            "{lines:#?}"
        );
        // A proxy known by name only: its address is asked for, not invented.
        let named = AnalysisContext {
            proxies: vec![KnownProxy::new("proxy.corp.example", 8080, "--proxy")],
            ..AnalysisContext::default()
        };
        let lines = epc_commands(Some(&named));
        assert!(
            lines.contains(&" permit ip any host <address-of-proxy.corp.example>".to_string()),
            "{lines:#?}"
        );
    }
}
