//! Reads the licensing-relevant part of `show running-config`, `show license status` and
//! `show license tech support` (which embeds both kinds of lines). Pure and tolerant:
//! lines that do not matter are skipped, never fatal; several outputs pasted into one file
//! are fine. What the lines mean for the probe plan is decided in `ios::plan`.

use crate::model::switch::{
    CallHome, CallHomeProfile, IpHost, NameServer, StatusTransport, SwitchConfig, Trustpoint,
};
use crate::model::switch::{ConfigLine, LineKey, RevocationMethod};

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

#[derive(PartialEq, Clone, Copy)]
enum Block {
    None,
    CallHome,
    Profile,
    Trustpoint,
    /// `interface NAME`: its addresses name the switch's traffic (`watch`).
    Interface,
}

/// Longest line looked at (a pasted blob must not cost).
const LINE_CAP: usize = 4096;
/// Longest line text kept as evidence.
const TEXT_CAP: usize = 200;

/// The switch's name from its text: the first `hostname NAME` line (running-config), at
/// any indentation; `None` when there is none (the caller names the switch by its file).
pub fn hostname_of(text: &[u8]) -> Option<String> {
    super::text_lines(text).find_map(|l| {
        l.trim()
            .strip_prefix("hostname ")
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
    })
}

/// One output (one file, possibly several commands).
pub fn parse_config(text: impl AsRef<[u8]>) -> SwitchConfig {
    parse_config_files(&[(String::new(), text.as_ref())])
}

/// Several pasted files (name, text) read as one switch: later lines win.
pub fn parse_config_files<T: AsRef<[u8]>>(inputs: &[(String, T)]) -> SwitchConfig {
    let mut c = SwitchConfig {
        files: inputs.iter().map(|(n, _)| n.clone()).collect(),
        ..SwitchConfig::default()
    };
    for (file, (_, text)) in inputs.iter().enumerate() {
        c.commands
            .extend(super::command::recognise_commands(file, text.as_ref()));
        read_file(&mut c, file, text.as_ref());
    }
    c
}

fn record(c: &mut SwitchConfig, key: LineKey, file: usize, line: u64, text: &str) {
    let mut text = text.trim().to_string();
    if text.len() > TEXT_CAP {
        let mut end = TEXT_CAP;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    c.lines.push(ConfigLine {
        key,
        file,
        line,
        text,
    });
}

/// Where the reader is in a `show license status`/`all`/`tech support` output.
#[derive(PartialEq, Clone, Copy)]
enum Status {
    Outside,
    /// Inside `Transport:`; `true` once `Proxy:` was seen.
    Transport(bool),
    /// Inside `Trust Code Installed:` with per-member lines.
    TrustCode,
}

/// One line of the running-config (or `show version`) as the family readers see it.
struct Line<'a> {
    file: usize,
    no: u64,
    /// Trimmed.
    text: &'a str,
    indented: bool,
    words: Vec<&'a str>,
    /// `words` lower-cased, matched against.
    l: Vec<&'a str>,
}

impl Line<'_> {
    /// Keeps this line as evidence for `key`.
    fn record(&self, c: &mut SwitchConfig, key: LineKey) {
        record(c, key, self.file, self.no, self.text);
    }
}

fn read_file(c: &mut SwitchConfig, file: usize, text: &[u8]) {
    let mut block = Block::None;
    let mut status = Status::Outside;

    for (idx, raw) in super::text_lines(text).take(2_000_000).enumerate() {
        let lineno = idx as u64 + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.len() > LINE_CAP {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        let line = raw.trim();
        if line.is_empty() || line == "!" {
            if line == "!" {
                block = Block::None;
            }
            status = Status::Outside;
            continue;
        }
        if status_line(c, &mut status, file, lineno, line, indented) {
            c.lines_used += 1;
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let at = Line {
            file,
            no: lineno,
            text: line,
            indented,
            words,
            l: lower.iter().map(String::as_str).collect(),
        };
        if !indented {
            block = Block::None;
        }
        if version_line(c, &at) {
            continue;
        }
        // `show call-home ...` output: used, but not a running-config line.
        if !at.text.starts_with('!') && call_home_show_line(c, &at).is_some() {
            c.lines_used += 1;
            continue;
        }
        if config_line(c, &mut block, &at) {
            c.lines_used += 1;
            c.running_config = true;
        }
    }
}

/// A line carrying the release (see [`version_of`]); true when it was one. Counted as used
/// here; an unindented `version` line also marks a running-config.
fn version_line(c: &mut SwitchConfig, at: &Line) -> bool {
    let Some(v) = version_of(at.text) else {
        return false;
    };
    let first_is_version = at.l.first().is_some_and(|w| *w == "version");
    if c.version.is_none() || !first_is_version {
        c.version = Some(v);
    }
    c.lines_used += 1;
    if first_is_version && !at.indented {
        c.running_config = true;
        c.full_config = true;
    }
    true
}

/// A running-config line other than a version; true when it was understood (counted as
/// used). The families are tried in turn; each answers `None` for a line not its own.
fn config_line(c: &mut SwitchConfig, block: &mut Block, at: &Line) -> bool {
    let family = frame_line(c, at)
        .or_else(|| license_smart_line(c, at))
        .or_else(|| name_server_line(c, at))
        .or_else(|| domain_lookup_line(c, at))
        .or_else(|| ip_http_client_line(c, at))
        .or_else(|| ip_host_line(c, at))
        .or_else(|| block_start_line(c, block, at))
        .or_else(|| interface_line(block, at));
    match family {
        Some(used) => used,
        None if at.indented && *block != Block::None => block_body_line(c, block, at),
        None => false,
    }
}

/// The lines that frame a whole `show running-config` (never counted as used: they say
/// nothing about licensing, only that the configuration is complete).
fn frame_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    match at.l.as_slice() {
        ["building", "configuration..."] | ["current", "configuration", ":", ..] => {}
        ["hostname", _] | ["end"] if !at.indented => {}
        _ => return None,
    }
    c.full_config = true;
    Some(false)
}

/// A proxy value with its password masked, `user:***@host` (the switch cannot send
/// credentials to a proxy; the text may hold them all the same): a schemeless
/// `user:password@host` is not caught by the text-wide masking of `decode_text`.
fn masked(value: String) -> String {
    crate::model::url::mask_userinfo(&value).into_owned()
}

/// `license smart ...`: transport, URLs, proxy, VRF, server identity check.
fn license_smart_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    let words = &at.words;
    match at.l.as_slice() {
        ["license", "smart", "transport", t] => {
            c.transport = Some(t.to_string());
            at.record(c, LineKey::Transport);
        }
        ["license", "smart", "url", "smart", _] => {
            c.smart_url = Some(words[4].into());
            at.record(c, LineKey::Url);
        }
        ["license", "smart", "url", "cslu", _] => {
            c.cslu_url = Some(words[4].into());
            at.record(c, LineKey::CsluUrl);
        }
        ["license", "smart", "url", "default"] => c.url_default = true,
        ["license", "smart", "url", u] if u.contains("://") => {
            c.smart_url = Some(words[3].into());
            at.record(c, LineKey::Url);
        }
        ["license", "smart", "proxy", "address", _] => {
            c.proxy_address = Some(masked(unquote(words[4])))
        }
        ["license", "smart", "proxy", "port", p] => c.proxy_port = p.parse().ok(),
        ["license", "smart", "vrf", _] => c.vrf = Some(words[3].into()),
        ["license", "smart", "enable"] | ["no", "license", "smart", "enable"] => {
            c.smart_enabled = Some(at.l[0] != "no");
            at.record(c, LineKey::SmartEnable);
        }
        ["license", "smart", "server-identity-check"] => c.server_identity_check = Some(true),
        ["no", "license", "smart", "server-identity-check"] => {
            c.server_identity_check = Some(false)
        }
        _ => return None,
    }
    Some(true)
}

/// The profile named `name` of the call-home settings, added (inactive until a status
/// says otherwise) when the text has not shown it yet.
fn show_profile<'a>(c: &'a mut SwitchConfig, name: &str) -> &'a mut CallHomeProfile {
    let ch = c.call_home.get_or_insert_with(CallHome::default);
    let i = match ch.profiles.iter().position(|p| p.name == name) {
        Some(i) => i,
        None => {
            ch.profiles.push(CallHomeProfile {
                name: name.to_string(),
                active: false,
                urls: Vec::new(),
            });
            ch.profiles.len() - 1
        }
    };
    &mut ch.profiles[i]
}

/// What `show call-home` and its `detail`, `profile all` and `smart-licensing` forms say:
/// whether call-home is on, its proxy, VRF and source interface, each profile's status and
/// HTTP destinations. `Not yet set up` is no value.
fn call_home_show_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    let (key, v) = at.text.split_once(':')?;
    let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
    let v = v.trim();
    let set = (!v.is_empty() && !v.eq_ignore_ascii_case("not yet set up")).then_some(v);
    match key.as_str() {
        "call home feature" => {
            c.service_call_home = v.eq_ignore_ascii_case("enable");
            c.call_home.get_or_insert_with(CallHome::default);
            if c.service_call_home {
                at.record(c, LineKey::ServiceCallHome);
            }
        }
        "Profile Name" => {
            show_profile(c, v);
        }
        "Profile" => {
            // `Profile: CiscoTAC-1 (status: ACTIVE)`.
            let (name, status) = v.split_once('(')?;
            let active = status.to_ascii_uppercase().contains("ACTIVE")
                && !status.to_ascii_uppercase().contains("INACTIVE");
            let p = show_profile(c, name.trim());
            p.active |= active;
        }
        "Profile status" => {
            let p = c.call_home.as_mut().and_then(|ch| ch.profiles.last_mut())?;
            p.active = v.eq_ignore_ascii_case("ACTIVE");
        }
        "HTTP address" | "HTTP address(es)" | "Destination URL(s)" => {
            let url = v.split_whitespace().next().filter(|u| u.contains("://"))?;
            let url = url.to_string();
            let p = c.call_home.as_mut().and_then(|ch| ch.profiles.last_mut())?;
            if !p.urls.contains(&url) {
                p.urls.push(url);
            }
            at.record(c, LineKey::Url);
        }
        "vrf for call-home messages" if c.call_home.is_some() => {
            if let (Some(ch), Some(v)) = (c.call_home.as_mut(), set) {
                ch.vrf = Some(v.to_string());
            }
        }
        "source interface" if c.call_home.is_some() => {
            if let (Some(ch), Some(v)) = (c.call_home.as_mut(), set) {
                ch.source_interface = Some(v.split_whitespace().collect());
            }
        }
        "http proxy" if c.call_home.is_some() => {
            let proxy = set.and_then(|v| {
                let (h, p) = v.rsplit_once([':', ' '])?;
                Some((h.trim().to_string(), p.trim().parse().ok()?))
            });
            if let (Some(ch), Some(p)) = (c.call_home.as_mut(), proxy) {
                ch.http_proxy = Some(p);
            }
        }
        _ => return None,
    }
    Some(true)
}

/// `ip name-server [vrf V] ADDR...`: the addresses that parse are kept.
fn name_server_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    let (vrf, rest) = match at.l.as_slice() {
        ["ip", "name-server", "vrf", _, rest @ ..] => (Some(at.words[3].to_string()), rest),
        ["ip", "name-server", rest @ ..] => (None, rest),
        _ => return None,
    };
    for addr in rest.iter().filter_map(|a| a.parse().ok()) {
        c.name_servers.push(NameServer {
            vrf: vrf.clone(),
            addr,
        });
    }
    Some(true)
}

/// `no ip domain lookup` and `ip domain lookup [vrf V] source-interface IF`, in both
/// spellings (`domain lookup`, `domain-lookup`). Other `ip domain lookup` lines are not used.
fn domain_lookup_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    let rest = match at.l.as_slice() {
        ["no", "ip", "domain", "lookup"] | ["no", "ip", "domain-lookup"] => {
            c.domain_lookup_disabled = true;
            at.record(c, LineKey::NoDomainLookup);
            return Some(true);
        }
        ["ip", "domain", "lookup", rest @ ..] | ["ip", "domain-lookup", rest @ ..] => rest,
        _ => return None,
    };
    // The two spellings differ by one word: index from where the options start.
    let at_opts = at.words.len() - rest.len();
    let opts = at.words.get(at_opts..).unwrap_or_default();
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
        _ => return Some(false),
    }
    Some(true)
}

/// `ip http client source-interface IF` (the interface name may be split: `Vlan 10`).
fn ip_http_client_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    match at.l.as_slice() {
        ["ip", "http", "client", "source-interface", ..] => {
            c.http_client_source = Some(at.words[4..].concat());
            Some(true)
        }
        _ => None,
    }
}

/// `ip host [vrf V] NAME ADDR...`: the name lower-cased, the addresses that parse.
fn ip_host_line(c: &mut SwitchConfig, at: &Line) -> Option<bool> {
    let (vrf, name, rest) = match at.l.as_slice() {
        ["ip", "host", "vrf", _, _, rest @ ..] => {
            (Some(at.words[3].to_string()), at.words[4], rest)
        }
        ["ip", "host", _, rest @ ..] => (None, at.words[2], rest),
        _ => return None,
    };
    c.hosts.push(IpHost {
        vrf,
        name: name.to_ascii_lowercase(),
        addresses: rest.iter().filter_map(|a| a.parse().ok()).collect(),
        line: at.no,
        file: at.file,
    });
    Some(true)
}

/// `service call-home`, and the unindented lines that open a block: `call-home`,
/// `crypto pki trustpoint NAME`.
fn block_start_line(c: &mut SwitchConfig, block: &mut Block, at: &Line) -> Option<bool> {
    match at.l.as_slice() {
        ["service", "call-home"] => {
            c.service_call_home = true;
            at.record(c, LineKey::ServiceCallHome);
        }
        ["call-home"] if !at.indented => {
            c.call_home.get_or_insert_with(CallHome::default);
            *block = Block::CallHome;
        }
        ["crypto", "pki", "trustpoint", _, ..] if !at.indented => {
            c.trustpoints.push(Trustpoint {
                name: at.words[3].to_string(),
                ..Trustpoint::default()
            });
            *block = Block::Trustpoint;
        }
        _ => return None,
    }
    Some(true)
}

/// `interface NAME` opens a block whose `ip address` lines are the switch's own addresses.
/// Never counted as used: an interface says nothing about licensing.
fn interface_line(block: &mut Block, at: &Line) -> Option<bool> {
    match at.l.as_slice() {
        ["interface", _, ..] if !at.indented => {
            *block = Block::Interface;
            Some(false)
        }
        _ => None,
    }
}

/// An indented line inside a block (see [`block_line`]); a trustpoint's
/// `revocation-check` is kept as evidence.
fn block_body_line(c: &mut SwitchConfig, block: &mut Block, at: &Line) -> bool {
    if !block_line(c, block, &at.l, &at.words) {
        return false;
    }
    if *block == Block::Trustpoint && at.l.first() == Some(&"revocation-check") {
        at.record(c, LineKey::RevocationCheck);
    }
    if *block == Block::Profile && at.l.starts_with(&["destination", "address", "http"]) {
        at.record(c, LineKey::Url);
    }
    true
}

/// `version 17.9` (running-config), `Cisco IOS XE Software, Version 17.05.01a` (show
/// version); an engineering build's `Version BLD_...` is skipped for the `Experimental
/// Version 17.15.2024...` line, read as its release (17.15).
fn version_of(line: &str) -> Option<String> {
    let numeric = |v: &str| v.starts_with(|ch: char| ch.is_ascii_digit());
    if let Some(v) = line.strip_prefix("version ") {
        let v = v.trim();
        return (numeric(v) && !v.contains(' ')).then(|| v.to_string());
    }
    if let Some(v) = line.strip_prefix("Cisco IOS XE Software, Version ") {
        let v = v.trim().trim_end_matches(',');
        return numeric(v).then(|| v.to_string());
    }
    if line.starts_with("Cisco IOS Software")
        && let Some(i) = line.find("Experimental Version ")
    {
        let v = &line[i + "Experimental Version ".len()..];
        let mut parts = v.split(['.', ' ', ':']);
        let (major, minor) = (parts.next()?, parts.next()?);
        return (numeric(major) && numeric(minor)).then(|| format!("{major}.{minor}"));
    }
    None
}

/// A line of the license status views; true when it was one.
fn st(c: &mut SwitchConfig) -> &mut StatusTransport {
    c.status.get_or_insert_with(StatusTransport::default)
}

fn status_line(
    c: &mut SwitchConfig,
    status: &mut Status,
    file: usize,
    lineno: u64,
    line: &str,
    indented: bool,
) -> bool {
    if line == "Transport:" {
        *status = Status::Transport(false);
        st(c);
        return true;
    }
    let kv = line
        .split_once(':')
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v));
    if let Status::Transport(proxy) = *status {
        // Some releases print the proxy's `Address:` at column 0 under an indented
        // `Proxy:`: known keys stay in the section whatever their indentation.
        const KEYS: &[&str] = &[
            "type",
            "url",
            "cslu address",
            "proxy",
            "address",
            "port",
            "username",
            "password",
            "vrf",
            "server identity check",
            "ip mode",
            "trust point",
        ];
        match &kv {
            Some((k, v)) if indented || KEYS.contains(&k.as_str()) => {
                let v = value(v);
                match k.as_str() {
                    "type" => {
                        st(c).kind = v;
                        record(c, LineKey::StatusType, file, lineno, line);
                    }
                    "url" => {
                        st(c).url = v;
                        record(c, LineKey::Url, file, lineno, line);
                    }
                    "cslu address" => {
                        st(c).cslu_address = v;
                        record(c, LineKey::StatusCsluAddress, file, lineno, line);
                    }
                    "proxy" => *status = Status::Transport(true),
                    "address" if proxy => st(c).proxy_address = v.map(masked),
                    "port" if proxy => st(c).proxy_port = v,
                    "vrf" => st(c).vrf = v,
                    "server identity check" => {
                        st(c).server_identity_check = v.map(|v| v.eq_ignore_ascii_case("true"))
                    }
                    _ => {}
                }
                return true;
            }
            // `Proxy:` then `Not Configured`.
            None if indented => return true,
            _ => *status = Status::Outside,
        }
    }
    if *status == Status::TrustCode {
        if indented && line.starts_with("INSTALLED on") {
            st(c).trust_installed = Some(true);
            return true;
        }
        if indented {
            return true;
        }
        *status = Status::Outside;
    }
    let Some((k, v)) = kv else {
        return false;
    };
    match k.as_str() {
        "overall state" => st(c).overall_state = value(v),
        "communication level allowed" => st(c).comm_level = value(v),
        "smart agent for licensing" => st(c).agent_version = value(v),
        "trust code installed" => {
            let v = v.trim();
            if v.eq_ignore_ascii_case("<none>") {
                st(c).trust_installed = Some(false);
            } else if super::time::find_timestamp(v).is_some() {
                st(c).trust_installed = Some(true);
            }
            // Otherwise the per-member list follows.
            *status = Status::TrustCode;
        }
        "overall trust" => {
            let installed = v.trim().to_ascii_uppercase().starts_with("INSTALLED");
            if st(c).trust_installed.is_none() || installed {
                st(c).trust_installed = Some(installed);
            }
        }
        _ => return false,
    }
    let key = match k.as_str() {
        "overall state" => LineKey::OverallState,
        "trust code installed" | "overall trust" => LineKey::Trust,
        _ => return true,
    };
    record(c, key, file, lineno, line);
    true
}

/// A line inside `call-home` or `crypto pki trustpoint`; false when not understood.
fn block_line(c: &mut SwitchConfig, block: &mut Block, l: &[&str], words: &[&str]) -> bool {
    match *block {
        Block::Interface => {
            // `ip address A M [secondary]`, `ipv6 address A/LEN`: not counted as used.
            let addr = match l {
                ["ip", "address", a, _, ..] => a.parse::<std::net::IpAddr>().ok(),
                ["ipv6", "address", a, ..] => a.split('/').next().and_then(|a| a.parse().ok()),
                _ => None,
            };
            c.interface_addresses.extend(addr);
            false
        }
        Block::Trustpoint => match l {
            ["revocation-check", modes @ ..] => {
                if let Some(tp) = c.trustpoints.last_mut() {
                    tp.revocation_check = modes
                        .iter()
                        .map(|m| RevocationMethod::from_word(m))
                        .collect();
                }
                true
            }
            _ => false,
        },
        Block::CallHome | Block::Profile => {
            let ch = c.call_home.get_or_insert_with(CallHome::default);
            match l {
                ["http-proxy", _, "port", p] => {
                    ch.http_proxy = p.parse().ok().map(|p| (masked(unquote(words[1])), p));
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
    use crate::model::switch::methods_line;

    #[test]
    fn hostname_names_the_switch() {
        assert_eq!(
            hostname_of(b"!\nversion 17.9\n hostname  sw-01 \nlicense smart transport smart\n"),
            Some("sw-01".into())
        );
        assert_eq!(hostname_of(b"license smart transport smart\n"), None);
    }

    fn keys(c: &SwitchConfig) -> Vec<LineKey> {
        c.lines.iter().map(|l| l.key).collect()
    }

    #[test]
    fn frame_lines_say_a_full_config_but_are_not_used() {
        let c = parse_config("Building configuration...\nCurrent configuration : 9 bytes\n");
        assert!(c.full_config);
        assert_eq!((c.lines_used, c.running_config), (0, false));
        let c = parse_config("hostname sw1\n");
        assert!(c.full_config && !c.running_config, "{c:?}");
        // Indented, outside any block: neither a hostname nor used.
        let c = parse_config("  hostname sw1\n  end\n");
        assert_eq!((c.full_config, c.lines_used), (false, 0), "{c:?}");
    }

    #[test]
    fn version_lines_first_running_config_version_kept() {
        let c = parse_config("version 17.9\nversion 17.12\n");
        assert_eq!(c.version.as_deref(), Some("17.9"));
        assert_eq!(c.lines_used, 2);
        assert!(c.running_config && c.full_config);
        // show version's line wins over an earlier running-config one.
        let c = parse_config("version 17.9\nCisco IOS XE Software, Version 17.12.04,\n");
        assert_eq!(c.version.as_deref(), Some("17.12.04"));
        // Indented: read, but not the mark of a running-config.
        let c = parse_config("  version 17.3\n");
        assert_eq!(c.version.as_deref(), Some("17.3"));
        assert_eq!(
            (c.lines_used, c.running_config, c.full_config),
            (1, false, false)
        );
    }

    #[test]
    fn license_smart_lines() {
        let c = parse_config(
            "license smart transport smart\n\
             license smart url cslu http://cslu.example:8182/cslu/v1/pi\n\
             license smart url https://Smart.example/its\n\
             license smart url default\n\
             license smart proxy address \"proxy.example\"\n\
             license smart proxy port 3128\n\
             license smart vrf Mgmt-vrf\n\
             no license smart server-identity-check\n",
        );
        assert_eq!(c.transport.as_deref(), Some("smart"));
        assert_eq!(
            c.cslu_url.as_deref(),
            Some("http://cslu.example:8182/cslu/v1/pi")
        );
        // The URL keeps its case (words, not the lower-cased match).
        assert_eq!(c.smart_url.as_deref(), Some("https://Smart.example/its"));
        assert!(c.url_default);
        assert_eq!(c.proxy_address.as_deref(), Some("proxy.example"));
        assert_eq!(c.proxy_port, Some(3128));
        assert_eq!(c.vrf.as_deref(), Some("Mgmt-vrf"));
        assert_eq!(c.server_identity_check, Some(false));
        assert_eq!(c.lines_used, 8);
        assert_eq!(
            keys(&c),
            [LineKey::Transport, LineKey::CsluUrl, LineKey::Url]
        );
        // A bare URL word that is no URL is not read, and not used.
        let c = parse_config("license smart url somewhere\nlicense smart server-identity-check\n");
        assert_eq!((c.smart_url, c.server_identity_check), (None, Some(true)));
        assert_eq!(c.lines_used, 1);
    }

    #[test]
    fn name_servers_and_static_hosts_with_and_without_vrf() {
        let c = parse_config(
            "ip name-server vrf Mgmt-vrf 10.0.0.53 bogus\n\
             ip name-server 192.0.2.1 2001:db8::53\n\
             ip host vrf Mgmt-vrf Tools.Cisco.com 198.51.100.7\n\
             ip host proxy.example 192.0.2.10 junk 192.0.2.11\n\
             ip http client source-interface Vlan 10\n",
        );
        let servers: Vec<_> = c
            .name_servers
            .iter()
            .map(|n| (n.vrf.as_deref(), n.addr.to_string()))
            .collect();
        assert_eq!(
            servers,
            [
                (Some("Mgmt-vrf"), "10.0.0.53".to_string()),
                (None, "192.0.2.1".to_string()),
                (None, "2001:db8::53".to_string()),
            ]
        );
        let hosts: Vec<_> = c
            .hosts
            .iter()
            .map(|h| (h.vrf.as_deref(), h.name.as_str(), h.addresses.len(), h.line))
            .collect();
        assert_eq!(
            hosts,
            [
                (Some("Mgmt-vrf"), "tools.cisco.com", 1, 3),
                (None, "proxy.example", 2, 4),
            ]
        );
        assert_eq!(c.http_client_source.as_deref(), Some("Vlan10"));
        assert_eq!(c.lines_used, 5);
        assert!(c.running_config);
    }

    #[test]
    fn domain_lookup_off_is_recorded_other_options_unused() {
        let c = parse_config("no ip domain lookup\nip domain lookup recursive\n");
        assert!(c.domain_lookup_disabled);
        assert_eq!(keys(&c), [LineKey::NoDomainLookup]);
        assert_eq!(c.lines_used, 1);
        assert!(parse_config("no ip domain-lookup\n").domain_lookup_disabled);
    }

    #[test]
    fn interface_addresses_name_the_switch_and_are_not_licensing_lines() {
        let c = parse_config(
            "interface Vlan10\n ip address 10.1.1.1 255.255.255.0\n ip address 10.1.2.1 255.255.255.0 secondary\n ipv6 address 2001:db8::1/64\n!\n\
             interface GigabitEthernet0/0\n vrf forwarding Mgmt-vrf\n ip address dhcp\n!\n\
             ip address 192.0.2.9 255.255.255.0\n",
        );
        let want: Vec<std::net::IpAddr> = ["10.1.1.1", "10.1.2.1", "2001:db8::1"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(c.interface_addresses, want);
        assert_eq!(c.lines_used, 0);
    }

    #[test]
    fn call_home_block_and_its_profiles() {
        let c = parse_config(
            "service call-home\n\
             call-home\n \
             http-proxy \"proxy.example\" port 8080\n \
             vrf Mgmt-vrf\n \
             source-interface Gig 0/0\n \
             profile \"CiscoTAC-1\"\n  \
             no active\n  \
             destination address http https://tools.cisco.com/its/service/oddce/services/DDCEService\n \
             profile mine\n  \
             destination address http https://sch.example/its\n  \
             something unknown\n\
             !\n \
             vrf after-the-block\n",
        );
        assert!(c.service_call_home);
        let ch = c.call_home.clone().unwrap_or_default();
        assert_eq!(ch.http_proxy, Some(("proxy.example".into(), 8080)));
        assert_eq!(ch.vrf.as_deref(), Some("Mgmt-vrf"));
        assert_eq!(ch.source_interface.as_deref(), Some("Gig0/0"));
        let profiles: Vec<_> = ch
            .profiles
            .iter()
            .map(|p| (p.name.as_str(), p.active, p.urls.len()))
            .collect();
        assert_eq!(profiles, [("CiscoTAC-1", false, 1), ("mine", true, 1)]);
        assert_eq!(ch.profiles[1].urls, ["https://sch.example/its"]);
        // service call-home, call-home and the 8 block lines understood; not the unknown
        // one, nor the indented line after `!`. Each destination is kept as evidence.
        assert_eq!(c.lines_used, 10);
        assert_eq!(
            keys(&c),
            [LineKey::ServiceCallHome, LineKey::Url, LineKey::Url]
        );
    }

    #[test]
    fn trustpoint_revocation_check_recorded() {
        let c = parse_config(
            "crypto pki trustpoint SLA-TrustPoint\n \
             enrollment pkcs12\n \
             revocation-check crl none\n\
             crypto pki trustpoint TP-self-signed\n \
             revocation-check none\n",
        );
        let tps: Vec<_> = c
            .trustpoints
            .iter()
            .map(|t| (t.name.as_str(), methods_line(&t.revocation_check)))
            .collect();
        assert_eq!(
            tps,
            [
                ("SLA-TrustPoint", "crl none".to_string()),
                ("TP-self-signed", "none".to_string())
            ]
        );
        assert_eq!(
            keys(&c),
            [LineKey::RevocationCheck, LineKey::RevocationCheck]
        );
        // `enrollment` is not understood.
        assert_eq!(c.lines_used, 4);
    }

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
