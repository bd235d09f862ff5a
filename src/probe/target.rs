//! Probe targets: URLs and the small declarative presets of `probes/` (embedded in the
//! binary; users add or replace them with files of their own). Pure.

use std::fmt;
use std::path::Path;

/// The presets shipped in `probes/`, embedded at build time.
pub const BUILTIN_PRESETS: &[(&str, &str)] = &[
    ("smart", include_str!("../../probes/smart.probe")),
    ("callhome", include_str!("../../probes/callhome.probe")),
    ("cslu", include_str!("../../probes/cslu.probe")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// Which trust profile judges the target's chain by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustKind {
    /// The IOS XE licensing roots (Cisco Field Notice FN72323).
    IosXe,
    /// Mozilla's roots (webpki-roots): an SSM On-Prem with a public certificate.
    Mozilla,
    /// Plain HTTP: nothing to judge.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The preset name, or the URL as given.
    pub label: String,
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub path: String,
    pub trust: TrustKind,
}

impl Target {
    pub fn url(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let default = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            format!("{scheme}://{host}{}", self.path)
        } else {
            format!("{scheme}://{host}:{}{}", self.port, self.path)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label.contains("://") {
            write!(f, "{}", self.url())
        } else {
            write!(f, "{} ({})", self.label, self.url())
        }
    }
}

/// `scheme://host[:port][/path]`, host a name, an IPv4 literal or a bracketed IPv6 one.
pub fn parse_url(url: &str) -> Result<(Scheme, String, u16, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url}: not a URL (expected https://host/path)"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        s => return Err(format!("{url}: unsupported scheme {s} (http or https)")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(format!("{url}: credentials in the URL are not supported"));
    }
    let default = if scheme == Scheme::Https { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url}: unclosed '[' in the host"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(url, p)?,
            None if after.is_empty() => default,
            None => return Err(format!("{url}: junk after the IPv6 address")),
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), parse_port(url, p)?),
            None => (authority.to_string(), default),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c))
    {
        return Err(format!("{url}: bad host name {host:?}"));
    }
    Ok((scheme, host.to_ascii_lowercase(), port, path.to_string()))
}

fn parse_port(url: &str, p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{url}: bad port {p:?}")),
    }
}

/// A preset file: `key = value` lines (name, description, url, trust), `#` comments.
pub fn parse_preset(text: &str, origin: &str) -> Result<Target, String> {
    let (mut name, mut url, mut trust) = (None, None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| format!("{origin}:{}: expected key = value", n + 1))?;
        let v = v.trim().to_string();
        match k.trim() {
            "name" => name = Some(v),
            "url" => url = Some(v),
            "trust" => {
                trust = Some(match v.as_str() {
                    "ios-xe" => TrustKind::IosXe,
                    "mozilla" => TrustKind::Mozilla,
                    "none" => TrustKind::None,
                    _ => {
                        return Err(format!(
                            "{origin}:{}: trust must be ios-xe, mozilla or none",
                            n + 1
                        ));
                    }
                })
            }
            "description" => {}
            k => return Err(format!("{origin}:{}: unknown key {k:?}", n + 1)),
        }
    }
    let name = name.ok_or_else(|| format!("{origin}: no name"))?;
    let url = url.ok_or_else(|| format!("{origin}: no url"))?;
    let (scheme, host, port, path) = parse_url(&url).map_err(|e| format!("{origin}: {e}"))?;
    Ok(Target {
        label: name,
        scheme,
        host,
        port,
        path,
        trust: trust.unwrap_or(if scheme == Scheme::Https {
            TrustKind::IosXe
        } else {
            TrustKind::None
        }),
    })
}

/// Every preset: the built-in ones, then `*.probe` files of `dirs` (later ones replace
/// earlier ones of the same name). A directory that does not exist is skipped.
pub fn load_presets(dirs: &[&Path]) -> Result<Vec<Target>, String> {
    let mut out: Vec<Target> = Vec::new();
    let mut add = |t: Target| match out.iter_mut().find(|x| x.label == t.label) {
        Some(x) => *x = t,
        None => out.push(t),
    };
    for (name, text) in BUILTIN_PRESETS {
        add(parse_preset(text, &format!("probes/{name}.probe"))?);
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "probe"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            add(parse_preset(&text, &f.display().to_string())?);
        }
    }
    Ok(out)
}

/// A command-line target: a preset name, `PRESET@HOST` (the preset with another host,
/// e.g. `cslu@10.1.1.5`), or a URL.
pub fn resolve_target(arg: &str, presets: &[Target]) -> Result<Target, String> {
    if arg.contains("://") {
        let (scheme, host, port, path) = parse_url(arg)?;
        return Ok(Target {
            label: arg.to_string(),
            scheme,
            host,
            port,
            path,
            trust: if scheme == Scheme::Https {
                TrustKind::IosXe
            } else {
                TrustKind::None
            },
        });
    }
    let (name, host) = match arg.split_once('@') {
        Some((n, h)) => (n, Some(h)),
        None => (arg, None),
    };
    let mut t = presets
        .iter()
        .find(|p| p.label == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = presets.iter().map(|p| p.label.as_str()).collect();
            format!(
                "unknown target {arg:?}: use a URL or one of {}",
                names.join(", ")
            )
        })?;
    if let Some(h) = host {
        let (_, host, port, _) = parse_url(&format!("http://{h}/"))?;
        t.host = host;
        if h.contains(':') && !h.starts_with('[') || h.contains("]:") {
            t.port = port;
        }
        t.label = format!("{name}@{h}");
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_presets_parse() {
        let p = load_presets(&[]).unwrap();
        let smart = resolve_target("smart", &p).unwrap();
        assert_eq!(
            smart.url(),
            "https://smartreceiver.cisco.com/licservice/license"
        );
        assert_eq!(smart.trust, TrustKind::IosXe);
        let cslu = resolve_target("cslu@10.1.1.5", &p).unwrap();
        assert_eq!(cslu.url(), "http://10.1.1.5:8182/cslu/v1/pi");
        assert_eq!(cslu.trust, TrustKind::None);
        let cslu = resolve_target("cslu@cslu.example.net:9000", &p).unwrap();
        assert_eq!(cslu.url(), "http://cslu.example.net:9000/cslu/v1/pi");
        assert!(resolve_target("smrt", &p).unwrap_err().contains("smart"));
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("https://[2001:db8::5]:8443/cslu/v1/pi/VA-1").unwrap(),
            (
                Scheme::Https,
                "2001:db8::5".into(),
                8443,
                "/cslu/v1/pi/VA-1".into()
            )
        );
        assert_eq!(
            parse_url("HTTPS://OnPrem.Example.com").unwrap().1,
            "onprem.example.com"
        );
        for bad in [
            "ftp://x/",
            "https://",
            "https://h:0/",
            "https://h:99999/",
            "https://u:p@h/",
            "noscheme",
            "https://[::1/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preset_errors_name_the_line() {
        let e = parse_preset("name = x\nurl https://h/\n", "f.probe").unwrap_err();
        assert!(e.starts_with("f.probe:2:"), "{e}");
        let e = parse_preset("name = x\nurl = https://h/\ntrust = all\n", "f").unwrap_err();
        assert!(e.contains("trust must be"), "{e}");
    }
}
