//! Reads the licensing-relevant part of `show running-config`, `show license status` and
//! `show license tech support` (which embeds both kinds of lines). Pure and tolerant:
//! lines that do not matter are skipped, never fatal; several outputs pasted into one file
//! are fine. What the lines mean for the probe plan is decided in `ios::plan`.

pub use crate::model::switch::{
    CallHome, CallHomeProfile, NameServer, StaticHost, StatusTransport, SwitchConfig, Trustpoint,
};

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

fn value(s: &str) -> Option<String> {
    let v = s.trim();
    let lower = v.to_ascii_lowercase();
    if v.is_empty()
        || lower == "<empty>"
        || lower == "<none>"
        || lower == "not configured"
        || lower == "not supported"
    {
        None
    } else {
        Some(v.to_string())
    }
}

#[derive(PartialEq)]
enum Block {
    None,
    CallHome,
    Profile,
    Trustpoint,
}

pub fn parse_config(text: &str) -> SwitchConfig {
    let mut c = SwitchConfig::default();
    let mut block = Block::None;
    let mut in_transport_status = false;
    let mut status_proxy = false;

    for (idx, raw) in text.lines().take(2_000_000).enumerate() {
        let lineno = idx as u64 + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.len() > 4096 {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        let line = raw.trim();
        if line.is_empty() || line == "!" {
            if line == "!" {
                block = Block::None;
            }
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();

        // show license status: "Transport:" then indented "Key: value" lines.
        if line == "Transport:" {
            in_transport_status = true;
            status_proxy = false;
            c.status.get_or_insert_with(StatusTransport::default);
            c.lines_used += 1;
            continue;
        }
        if in_transport_status {
            if !indented {
                in_transport_status = false;
            } else if let Some((k, v)) = line.split_once(':') {
                let st = c.status.get_or_insert_with(StatusTransport::default);
                let v = value(v);
                match k.trim().to_ascii_lowercase().as_str() {
                    "type" => st.kind = v,
                    "url" => st.url = v,
                    "cslu address" => st.cslu_address = v,
                    "proxy" => status_proxy = true,
                    "address" if status_proxy => st.proxy_address = v,
                    "port" if status_proxy => st.proxy_port = v,
                    "vrf" => st.vrf = v,
                    "server identity check" => {
                        st.server_identity_check = v.map(|v| v.eq_ignore_ascii_case("true"))
                    }
                    _ => {}
                }
                c.lines_used += 1;
                continue;
            } else {
                continue;
            }
        }

        if !indented {
            block = Block::None;
        }
        match l.as_slice() {
            ["version", v] => {
                c.version.get_or_insert_with(|| v.to_string());
            }
            ["cisco", "ios", "xe", "software,", "version", v, ..] => {
                c.version = Some(v.trim_end_matches(',').to_string());
            }
            ["license", "smart", "transport", t] => c.transport = Some(t.to_string()),
            ["license", "smart", "url", "smart", _] => c.smart_url = Some(words[4].into()),
            ["license", "smart", "url", "cslu", _] => c.cslu_url = Some(words[4].into()),
            ["license", "smart", "url", "default"] => c.url_default = true,
            ["license", "smart", "url", u] if u.contains("://") => {
                c.smart_url = Some(words[3].into())
            }
            ["license", "smart", "proxy", "address", _] => {
                c.proxy_address = Some(unquote(words[4]))
            }
            ["license", "smart", "proxy", "port", p] => c.proxy_port = p.parse().ok(),
            ["license", "smart", "vrf", _] => c.vrf = Some(words[3].into()),
            ["license", "smart", "server-identity-check"] => c.server_identity_check = Some(true),
            ["no", "license", "smart", "server-identity-check"] => {
                c.server_identity_check = Some(false)
            }
            ["ip", "name-server", "vrf", _, rest @ ..] => {
                let vrf = Some(words[3].to_string());
                for a in rest.iter().filter_map(|a| a.parse().ok()) {
                    c.name_servers.push(NameServer {
                        vrf: vrf.clone(),
                        addr: a,
                    });
                }
            }
            ["ip", "name-server", rest @ ..] => {
                for a in rest.iter().filter_map(|a| a.parse().ok()) {
                    c.name_servers.push(NameServer { vrf: None, addr: a });
                }
            }
            ["no", "ip", "domain", "lookup"] | ["no", "ip", "domain-lookup"] => {
                c.domain_lookup_disabled = true
            }
            ["ip", "domain", "lookup", rest @ ..] | ["ip", "domain-lookup", rest @ ..] => {
                // The two spellings differ by one word: index from where the options start.
                let at = words.len() - rest.len();
                let opts = words.get(at..).unwrap_or_default();
                match rest {
                    ["vrf", _, "source-interface", iface @ ..] if !iface.is_empty() => {
                        let vrf = opts.get(1).map(|v| v.to_string());
                        c.domain_lookup_source
                            .push((vrf, opts.get(3..).unwrap_or_default().concat()));
                    }
                    ["source-interface", iface @ ..] if !iface.is_empty() => {
                        c.domain_lookup_source
                            .push((None, opts.get(1..).unwrap_or_default().concat()));
                    }
                    _ => continue,
                }
            }
            ["ip", "http", "client", "source-interface", ..] => {
                c.http_client_source = Some(words[4..].concat())
            }
            ["ip", "host", "vrf", _, _, rest @ ..] => c.hosts.push(StaticHost {
                vrf: Some(words[3].to_string()),
                name: words[4].to_ascii_lowercase(),
                addrs: rest.iter().filter_map(|a| a.parse().ok()).collect(),
                line: lineno,
            }),
            ["ip", "host", _, rest @ ..] => c.hosts.push(StaticHost {
                vrf: None,
                name: words[2].to_ascii_lowercase(),
                addrs: rest.iter().filter_map(|a| a.parse().ok()).collect(),
                line: lineno,
            }),
            ["service", "call-home"] => c.service_call_home = true,
            ["call-home"] if !indented => {
                c.call_home.get_or_insert_with(CallHome::default);
                block = Block::CallHome;
            }
            ["crypto", "pki", "trustpoint", _, ..] if !indented => {
                c.trustpoints.push(Trustpoint {
                    name: words[3].to_string(),
                    ..Trustpoint::default()
                });
                block = Block::Trustpoint;
            }
            _ if indented && block != Block::None => {
                if !block_line(&mut c, &mut block, &l, &words) {
                    continue;
                }
            }
            _ => continue,
        }
        c.lines_used += 1;
        c.running_config = true;
    }
    c
}

/// A line inside `call-home` or `crypto pki trustpoint`; false when not understood.
fn block_line(c: &mut SwitchConfig, block: &mut Block, l: &[&str], words: &[&str]) -> bool {
    match *block {
        Block::Trustpoint => match l {
            ["revocation-check", modes @ ..] => {
                if let Some(tp) = c.trustpoints.last_mut() {
                    tp.revocation_check = modes.iter().map(|m| m.to_string()).collect();
                }
                true
            }
            _ => false,
        },
        Block::CallHome | Block::Profile => {
            let ch = c.call_home.get_or_insert_with(CallHome::default);
            match l {
                ["http-proxy", _, "port", p] => {
                    ch.http_proxy = p.parse().ok().map(|p| (unquote(words[1]), p));
                    *block = Block::CallHome;
                }
                ["vrf", _] => ch.vrf = Some(words[1].to_string()),
                ["source-interface", ..] => ch.source_interface = Some(words[1..].concat()),
                ["profile", ..] => {
                    ch.profiles.push(CallHomeProfile {
                        name: unquote(&words[1..].join(" ")),
                        active: true,
                        urls: Vec::new(),
                    });
                    *block = Block::Profile;
                }
                ["no", "active"] if *block == Block::Profile => {
                    if let Some(p) = ch.profiles.last_mut() {
                        p.active = false;
                    }
                }
                ["active"] if *block == Block::Profile => {
                    if let Some(p) = ch.profiles.last_mut() {
                        p.active = true;
                    }
                }
                ["destination", "address", "http", _] if *block == Block::Profile => {
                    if let Some(p) = ch.profiles.last_mut() {
                        p.urls.push(unquote(words[3]));
                    }
                }
                _ => return false,
            }
            true
        }
        Block::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_lookup_source_both_spellings_and_short_lines() {
        // Issue 13 item 5: the hyphenated spelling indexed past a 5-word line.
        for short in [
            "ip domain-lookup vrf Mgmt source-interface",
            "ip domain lookup vrf Mgmt source-interface",
            "ip domain-lookup source-interface",
            "ip domain-lookup vrf",
        ] {
            let c = parse_config(short);
            assert!(c.domain_lookup_source.is_empty(), "{short}: {c:?}");
        }
        let c = parse_config(
            "ip domain-lookup vrf Mgmt-vrf source-interface GigabitEthernet0/0\n\
             ip domain lookup vrf blue source-interface Vlan 10\n\
             ip domain-lookup source-interface Loopback0\n\
             ip domain lookup source-interface Vlan20\n",
        );
        assert_eq!(
            c.domain_lookup_source,
            vec![
                (Some("Mgmt-vrf".into()), "GigabitEthernet0/0".into()),
                (Some("blue".into()), "Vlan10".into()),
                (None, "Loopback0".into()),
                (None, "Vlan20".into()),
            ]
        );
    }
}
