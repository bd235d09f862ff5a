//! Reads the licensing-relevant part of `show running-config`, `show license status` and
//! `show license tech support` (which embeds both kinds of lines). Pure and tolerant:
//! lines that do not matter are skipped, never fatal; several outputs pasted into one file
//! are fine. What the lines mean for the probe plan is decided in `ios::plan`.

use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwitchConfig {
    /// `license smart transport X` (`smart`, `callhome`, `cslu`, `off`, `automatic`).
    pub transport: Option<String>,
    /// `license smart url smart URL` (or the older `license smart url URL`).
    pub smart_url: Option<String>,
    /// `license smart url cslu URL`.
    pub cslu_url: Option<String>,
    /// `license smart url default` was given.
    pub url_default: bool,
    pub proxy_address: Option<String>,
    pub proxy_port: Option<u16>,
    /// `license smart vrf X`.
    pub vrf: Option<String>,
    /// `[no] license smart server-identity-check`; `None` = not said (on by default).
    pub server_identity_check: Option<bool>,
    pub name_servers: Vec<NameServer>,
    /// `no ip domain lookup` / `no ip domain-lookup`.
    pub domain_lookup_disabled: bool,
    /// `ip domain lookup [vrf X] source-interface IF`.
    pub domain_lookup_source: Vec<(Option<String>, String)>,
    /// `ip http client source-interface IF`.
    pub http_client_source: Option<String>,
    pub hosts: Vec<StaticHost>,
    pub service_call_home: bool,
    pub call_home: Option<CallHome>,
    pub trustpoints: Vec<Trustpoint>,
    /// `show license status` / tech support "Transport:" section.
    pub status: Option<StatusTransport>,
    /// `version 17.9` (running-config) or `Cisco IOS XE Software, Version 17.09.04a`.
    pub version: Option<String>,
    /// Lines that were recognised, for "what did you read" output.
    pub lines_used: u64,
    /// Some running-config line was seen (not only `show license status`): absences
    /// (no name server, ...) mean something only then.
    pub running_config: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServer {
    pub vrf: Option<String>,
    pub addr: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticHost {
    pub vrf: Option<String>,
    pub name: String,
    pub addrs: Vec<IpAddr>,
    pub line: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallHome {
    /// `http-proxy "host" port N`.
    pub http_proxy: Option<(String, u16)>,
    pub vrf: Option<String>,
    pub source_interface: Option<String>,
    pub profiles: Vec<CallHomeProfile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallHomeProfile {
    pub name: String,
    /// `active` is the default; `no active` turns a profile off.
    pub active: bool,
    /// `destination address http URL`.
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trustpoint {
    pub name: String,
    /// `revocation-check crl none` → ["crl", "none"].
    pub revocation_check: Vec<String>,
}

/// The "Transport:" section of `show license status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusTransport {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub cslu_address: Option<String>,
    pub proxy_address: Option<String>,
    pub proxy_port: Option<String>,
    pub vrf: Option<String>,
    pub server_identity_check: Option<bool>,
}

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
            ["ip", "domain", "lookup", "vrf", _, "source-interface", ..]
            | ["ip", "domain-lookup", "vrf", _, "source-interface", ..] => {
                let iface = words[6..].concat();
                c.domain_lookup_source
                    .push((Some(words[4].to_string()), iface));
            }
            ["ip", "domain", "lookup", "source-interface", ..]
            | ["ip", "domain-lookup", "source-interface", ..] => {
                let at = if l[1] == "domain" { 4 } else { 3 };
                c.domain_lookup_source.push((None, words[at..].concat()));
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
