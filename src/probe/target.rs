//! Probe targets: URLs and the small declarative presets of `probes/` (embedded in the
//! binary; users add or replace them with files of their own). Pure.

use super::error::ProbeError;
use crate::model::url::{Scheme, Url, parse_host_port, shown};
use std::fmt;
use std::path::Path;

/// The presets shipped in `probes/`, embedded at build time.
pub const BUILTIN_PRESETS: &[(&str, &str)] = &[
    ("smart", include_str!("../../probes/smart.probe")),
    ("callhome", include_str!("../../probes/callhome.probe")),
    ("cslu", include_str!("../../probes/cslu.probe")),
];

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
    /// Parsed once, where the target was named (command line, preset, the switch's plan):
    /// every request the probe writes is built from it, so a host or path that could not
    /// be written safely was refused before any byte went out. Never has credentials.
    pub url: Url,
    pub trust: TrustKind,
}

impl Target {
    /// The URL as reports print it (no credentials).
    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// Lower case; an IPv6 address without its brackets.
    pub fn host(&self) -> &str {
        self.url.host()
    }

    pub fn port(&self) -> u16 {
        self.url.port()
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

/// A target URL: `scheme://host[:port][/path]` (the one URL parser, [`Url`]); credentials
/// have no place in a licensing URL.
fn parse_target_url(input: &str) -> Result<Url, ProbeError> {
    let url = Url::parse(input).map_err(|source| ProbeError::BadUrl {
        input: input.to_string(),
        source,
    })?;
    no_credentials(input, url)
}

fn no_credentials(input: &str, url: Url) -> Result<Url, ProbeError> {
    if url.credentials().is_some() {
        return Err(ProbeError::Preset {
            origin: shown(input),
            problem: "credentials in the URL are not supported".into(),
        });
    }
    Ok(url)
}

impl Target {
    /// A target of the switch's plan, its URL parsed where the text was read (`written`, the
    /// URL as the text gives it, is the label).
    pub fn of_plan(written: &str, url: &Url) -> Result<Target, ProbeError> {
        let url = no_credentials(written, url.clone())?;
        Ok(Target::from_url(written.to_string(), &url, None))
    }

    fn from_url(label: String, url: &Url, trust: Option<TrustKind>) -> Target {
        Target {
            label,
            url: url.clone(),
            trust: trust.unwrap_or(match url.scheme() {
                Scheme::Https => TrustKind::IosXe,
                Scheme::Http => TrustKind::None,
            }),
        }
    }
}

/// A preset file: `key = value` lines (name, description, url, trust), `#` comments.
pub fn parse_preset(text: &str, origin: &str) -> Result<Target, ProbeError> {
    let at = |line: usize, problem: &str| ProbeError::PresetLine {
        origin: origin.to_string(),
        line: line + 1,
        problem: problem.to_string(),
    };
    let (mut name, mut url, mut trust) = (None, None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| at(n, "expected key = value"))?;
        let v = v.trim().to_string();
        match k.trim() {
            "name" => name = Some(v),
            "url" => url = Some(v),
            "trust" => {
                trust = Some(match v.as_str() {
                    "ios-xe" => TrustKind::IosXe,
                    "mozilla" => TrustKind::Mozilla,
                    "none" => TrustKind::None,
                    _ => return Err(at(n, "trust must be ios-xe, mozilla or none")),
                })
            }
            "description" => {}
            k => return Err(at(n, &format!("unknown key {k:?}"))),
        }
    }
    let missing = |what: &str| ProbeError::Preset {
        origin: origin.to_string(),
        problem: format!("no {what}"),
    };
    let name = name.ok_or_else(|| missing("name"))?;
    let url = url.ok_or_else(|| missing("url"))?;
    let url = parse_target_url(&url).map_err(|e| ProbeError::Preset {
        origin: origin.to_string(),
        problem: e.to_string(),
    })?;
    Ok(Target::from_url(name, &url, trust))
}

/// Every preset: the built-in ones, then `*.probe` files of `dirs` (later ones replace
/// earlier ones of the same name). A directory that does not exist is skipped.
pub fn load_presets(dirs: &[&Path]) -> Result<Vec<Target>, ProbeError> {
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
            let text = std::fs::read_to_string(&f).map_err(|source| ProbeError::ReadFile {
                path: f.display().to_string(),
                source,
            })?;
            add(parse_preset(&text, &f.display().to_string())?);
        }
    }
    Ok(out)
}

/// A command-line target: a preset name, `PRESET@HOST` (the preset with another host,
/// e.g. `cslu@10.1.1.5`), or a URL.
pub fn resolve_target(arg: &str, presets: &[Target]) -> Result<Target, ProbeError> {
    if arg.contains("://") {
        let url = parse_target_url(arg)?;
        return Ok(Target::from_url(arg.to_string(), &url, None));
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
            ProbeError::UnknownTarget {
                input: arg.to_string(),
                known: names.join(", "),
            }
        })?;
    if let Some(h) = host {
        let (host, port) = parse_host_port(h).map_err(|source| ProbeError::BadUrl {
            input: h.to_string(),
            source,
        })?;
        t.url = t.url.with_authority(host, port.unwrap_or(t.url.port()));
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
        assert_eq!(
            resolve_target("smrt", &p).unwrap_err().to_string(),
            "unknown target \"smrt\": use a URL or one of smart, callhome, cslu"
        );
    }

    #[test]
    fn target_urls() {
        let p = load_presets(&[]).unwrap();
        let t = resolve_target("https://[2001:db8::5]:8443/cslu/v1/pi/VA-1", &p).unwrap();
        assert_eq!(
            (t.url.scheme(), t.host(), t.port(), t.url.path()),
            (Scheme::Https, "2001:db8::5", 8443, "/cslu/v1/pi/VA-1")
        );
        assert_eq!(t.url(), "https://[2001:db8::5]:8443/cslu/v1/pi/VA-1");
        let t = resolve_target("HTTPS://OnPrem.Example.com", &p).unwrap();
        assert_eq!((t.host(), t.url.path()), ("onprem.example.com", "/"));
        for bad in [
            "ftp://x/",
            "https://",
            "https://h:0/",
            "https://h:99999/",
            "https://u:p@h/",
            "https://[::1/",
            "https://h/a\r\nX-Injected: 1",
            "cslu@::1",
            "cslu@h:0",
        ] {
            assert!(resolve_target(bad, &p).is_err(), "{bad}");
        }
        let e = resolve_target("https://u:secret@h/", &p)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("credentials in the URL are not supported"),
            "{e}"
        );
        let e = resolve_target("https://h/a\r\nX: 1", &p)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "https://h/a\\r\\nX: 1: control character 0x0d at byte 11 (RFC 3986 allows none)"
        );
    }

    #[test]
    fn preset_errors_name_the_line() {
        let e = parse_preset("name = x\nurl https://h/\n", "f.probe").unwrap_err();
        assert_eq!(e.to_string(), "f.probe:2: expected key = value");
        let e = parse_preset("name = x\nurl = https://h/\ntrust = all\n", "f").unwrap_err();
        assert_eq!(e.to_string(), "f:3: trust must be ios-xe, mozilla or none");
        let e = parse_preset("name = x\nurl = https://h/\ncolour = red\n", "f").unwrap_err();
        assert_eq!(e.to_string(), "f:3: unknown key \"colour\"");
        let e = parse_preset("name = x\n", "f").unwrap_err();
        assert_eq!(e.to_string(), "f: no url");
    }
}
