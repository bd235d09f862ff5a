//! The switch's own configuration and the plan derived from it, as data: what
//! `show running-config` / `show license status` say ([`SwitchConfig`]) and what the switch
//! would do with it ([`ProbePlan`]). Diagnosis reads these; the text parsing that fills
//! them lives in `ios`, which the core does not import. Pure data, no I/O.

use crate::model::url::{ProxyAddr, Url, UrlError};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

pub const SMART_DEFAULT_URL: &str = "https://smartreceiver.cisco.com/licservice/license";
pub const CSLU_DISCOVERY_URL: &str = "http://cslu-local:8182/cslu/v1/pi";
pub const CALLHOME_DEFAULT_URL: &str =
    "https://tools.cisco.com/its/service/oddce/services/DDCEService";

/// The words of a plan note that says a switch interface has no local interface to probe
/// from (`--map`): how to probe, never a fact about the switch's licensing, so the
/// inconclusive summary leaves such notes out.
pub const UNMAPPED_SOURCE_NOTE: &str = "but --map gives no local interface for it";

/// Does this release run Smart Licensing Using Policy (17.3.2 and later: SLP, CSLU, the
/// cslu default transport), or the Smart Licensing before it (Call Home, registration)?
/// `None` when the text does not say: unparseable, or `17.3` without its patch level (a
/// running-config prints only `version 17.3`, and 17.3.1 predates SLP while 17.3.2 has it).
pub fn policy_release(version: &str) -> Option<bool> {
    let mut parts = version.trim().split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten();
    match (major, minor, patch) {
        (17, 3, None) => None,
        (17, 3, Some(p)) => Some(p >= 2),
        _ => Some((major, minor) > (17, 3)),
    }
}

/// VRF names compare without case; `None` is the global table.
pub fn same_vrf(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

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
    /// `license smart enable` / `no license smart enable` (releases before Smart
    /// Licensing Using Policy); `None` = not said.
    pub smart_enabled: Option<bool>,
    pub name_servers: Vec<NameServer>,
    /// `no ip domain lookup` / `no ip domain-lookup`.
    pub domain_lookup_disabled: bool,
    /// `ip domain lookup [vrf X] source-interface IF`.
    pub domain_lookup_source: Vec<(Option<String>, String)>,
    /// `ip http client source-interface IF`.
    pub http_client_source: Option<String>,
    pub hosts: Vec<IpHost>,
    /// The `ip address` / `ipv6 address` of its interfaces: the sources of its traffic.
    pub interface_addresses: Vec<IpAddr>,
    pub service_call_home: bool,
    pub call_home: Option<CallHome>,
    pub trustpoints: Vec<Trustpoint>,
    /// `show license status` / tech support "Transport:" section.
    pub status: Option<StatusTransport>,
    /// `version 17.9` (running-config) or `Cisco IOS XE Software, Version 17.09.04a`.
    pub version: Option<String>,
    /// Lines that were recognised, for "what did you read" output.
    pub lines_used: u64,
    /// Some running-config line was seen (not only `show license status`).
    pub running_config: bool,
    /// A whole running-config was seen (`Building configuration...`, `version N`,
    /// `hostname`, `end`), not a filtered `| include` extract: only then does the absence
    /// of a line (no `service call-home`, no `ip name-server`) mean something.
    pub full_config: bool,
    /// The commands whose output was recognised, where each starts.
    pub commands: Vec<CommandSeen>,
    /// The input files, by index (for `file:line` evidence).
    pub files: Vec<String>,
    /// The lines the rules rest on, by what they say.
    pub lines: Vec<ConfigLine>,
}

impl SwitchConfig {
    /// Was this command's output in the input?
    pub fn has(&self, command: Command) -> bool {
        self.commands.iter().any(|c| c.command == command)
    }

    /// Any of the license status views (`status`, `all`, `tech support`), which share the
    /// Transport and Usage Reporting sections.
    pub fn has_license_status(&self) -> bool {
        self.has(Command::LicenseStatus)
            || self.has(Command::LicenseAll)
            || self.has(Command::LicenseTechSupport)
    }

    /// The last line recorded under `key`.
    pub fn line_of(&self, key: LineKey) -> Option<&ConfigLine> {
        self.lines.iter().rev().find(|l| l.key == key)
    }

    /// `file:line` of a recorded line.
    pub fn cite(&self, l: &ConfigLine) -> String {
        let file = self
            .files
            .get(l.file)
            .map(String::as_str)
            .unwrap_or("config");
        format!("{file}:{}", l.line)
    }
}

/// A command whose output licpath reads. Each rule says which it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    LicenseTechSupport,
    LicenseAll,
    LicenseStatus,
    LicenseSummary,
    LicenseEventlog,
    LicenseHistoryMessage,
    Logging,
    RunningConfig,
    CryptoPkiTrustpool,
    Version,
    CallHome,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::LicenseTechSupport => "show license tech support",
            Command::LicenseAll => "show license all",
            Command::LicenseStatus => "show license status",
            Command::LicenseSummary => "show license summary",
            Command::LicenseEventlog => "show license eventlog",
            Command::LicenseHistoryMessage => "show license history message",
            Command::Logging => "show logging",
            Command::RunningConfig => "show running-config",
            Command::CryptoPkiTrustpool => "show crypto pki trustpool",
            Command::Version => "show version",
            Command::CallHome => "show call-home",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommandSeen {
    pub command: Command,
    /// Index into the input files.
    pub file: usize,
    /// 1-based line where it was recognised.
    pub line: u64,
}

/// What a recorded line says (the rules look lines up by this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKey {
    /// `license smart transport X`.
    Transport,
    /// `license smart url cslu URL`.
    CsluUrl,
    /// `service call-home`.
    ServiceCallHome,
    /// `Type: X` of the status Transport section.
    StatusType,
    /// `Cslu address: X` of the status Transport section.
    StatusCsluAddress,
    /// `Overall State: X` of the tech support's Communication Statistics.
    OverallState,
    /// `Trust Code Installed: X` / `Overall Trust: X`.
    Trust,
    /// `no ip domain lookup`.
    NoDomainLookup,
    /// `license smart url ...`, the status `URL:`, a call-home destination URL.
    Url,
    /// `license smart enable` / `no license smart enable`.
    SmartEnable,
    /// `revocation-check ...` under a trustpoint.
    RevocationCheck,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLine {
    pub key: LineKey,
    pub file: usize,
    pub line: u64,
    /// The line as printed (trimmed, capped).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServer {
    pub vrf: Option<String>,
    pub addr: IpAddr,
}

/// One `ip host [vrf V] NAME ADDR...` line of the configuration, where it was read. What a
/// report shows of a name resolved without DNS is [`crate::model::StaticHost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpHost {
    pub vrf: Option<String>,
    pub name: String,
    pub addresses: Vec<IpAddr>,
    pub line: u64,
    /// Index into the input files.
    pub file: usize,
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
    /// `revocation-check crl none` → [Crl, None].
    pub revocation_check: Vec<RevocationMethod>,
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
    /// `Overall State:` (Communication Statistics), e.g. `Device configured for Offline
    /// transport`; `None` for `<empty>`.
    pub overall_state: Option<String>,
    /// `Communication Level Allowed: DIRECT|INDIRECT`.
    pub comm_level: Option<String>,
    /// A trust code is installed (`Trust Code Installed: <date>` or per-member
    /// `INSTALLED on`, `Overall Trust: INSTALLED`); `Some(false)` for `<none>` / `No ID`.
    pub trust_installed: Option<bool>,
    /// `Smart Agent for Licensing: 5.10.1_rel/5`.
    pub agent_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct PlanTarget {
    /// `smart`, `callhome`, `cslu`.
    pub label: String,
    /// Parsed once, where the plan is derived: what the probe and the rules use.
    #[serde(skip)]
    pub url: Url,
    /// The URL as the text (or the default) writes it: what reports quote.
    #[serde(rename = "url")]
    pub written: String,
    /// Where the URL came from, in words.
    pub origin: String,
}

impl PlanTarget {
    /// A target of the plan, its URL parsed: a URL the probe could not request is refused
    /// here, where the text is read, not later by each reader.
    pub fn new(label: &str, written: &str, origin: &str) -> Result<PlanTarget, UrlError> {
        Ok(PlanTarget {
            label: label.to_string(),
            url: Url::parse(written)?,
            written: written.to_string(),
            origin: origin.to_string(),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Binding {
    /// The switch's interface or VRF.
    pub switch: String,
    /// What it maps to here (`--map`), if anything.
    pub local: Option<String>,
}

/// How the switch reports (`license smart transport X`, the status view's `Type:`, or what
/// the release makes of an unstated one). Printed and serialized as its word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Smart,
    Callhome,
    Cslu,
    Off,
    Automatic,
    /// `no license smart enable`: Smart Licensing is off, nothing to probe.
    Disabled,
    /// The text does not say.
    Unknown,
    /// A word licpath does not know, lower case, as the text gives it.
    Other(String),
}

impl Transport {
    /// A lower-case transport word.
    pub fn from_word(word: &str) -> Transport {
        match word {
            "smart" => Transport::Smart,
            "callhome" => Transport::Callhome,
            "cslu" => Transport::Cslu,
            "off" => Transport::Off,
            "automatic" => Transport::Automatic,
            "disabled" => Transport::Disabled,
            "unknown" => Transport::Unknown,
            other => Transport::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Transport::Smart => "smart",
            Transport::Callhome => "callhome",
            Transport::Cslu => "cslu",
            Transport::Off => "off",
            Transport::Automatic => "automatic",
            Transport::Disabled => "disabled",
            Transport::Unknown => "unknown",
            Transport::Other(w) => w,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Transport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A `revocation-check` method of a trustpoint (`crl`, `ocsp`, `none`), in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationMethod {
    Crl,
    Ocsp,
    /// `none` after the others: an unreachable server lets the check pass.
    None,
    /// A word licpath does not know, as given.
    Other(String),
}

impl RevocationMethod {
    /// The word as the line gives it (IOS prints keywords in lower case).
    pub fn from_word(word: &str) -> RevocationMethod {
        match word {
            "crl" => RevocationMethod::Crl,
            "ocsp" => RevocationMethod::Ocsp,
            "none" => RevocationMethod::None,
            other => RevocationMethod::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RevocationMethod::Crl => "crl",
            RevocationMethod::Ocsp => "ocsp",
            RevocationMethod::None => "none",
            RevocationMethod::Other(w) => w,
        }
    }
}

impl fmt::Display for RevocationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The trustpoint that checks revocation strictly and its methods (`revocation-check ocsp
/// crl` → [Ocsp, Crl]). JSON keeps the old shape: `["SLA-TrustPoint", ["crl"]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationCheck {
    pub trustpoint: String,
    pub methods: Vec<RevocationMethod>,
}

impl RevocationCheck {
    /// Does it check by this method?
    pub fn uses(&self, m: &RevocationMethod) -> bool {
        self.methods.contains(m)
    }

    /// The methods as the line gives them: `ocsp crl`.
    pub fn methods_line(&self) -> String {
        methods_line(&self.methods)
    }
}

/// Methods as a `revocation-check` line gives them: `ocsp crl`.
pub fn methods_line(methods: &[RevocationMethod]) -> String {
    let words: Vec<&str> = methods.iter().map(RevocationMethod::as_str).collect();
    words.join(" ")
}

impl Serialize for RevocationCheck {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let words: Vec<&str> = self.methods.iter().map(RevocationMethod::as_str).collect();
        (&self.trustpoint, words).serialize(s)
    }
}

fn opt_as_string<T: fmt::Display, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct ProbePlan {
    pub transport: Transport,
    pub targets: Vec<PlanTarget>,
    /// The switch's proxy, parsed once (`HOST:PORT` in JSON and text). The switch sends
    /// no credentials to a proxy: a userinfo in the text is dropped.
    #[serde(serialize_with = "opt_as_string")]
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub proxy: Option<ProxyAddr>,
    pub vrf: Option<String>,
    pub dns_servers: Vec<IpAddr>,
    /// Static `ip host` entries that apply (replace DNS for these names).
    pub resolve: Vec<(String, IpAddr)>,
    /// The interface the HTTPS connection leaves from.
    pub source: Option<Binding>,
    /// The interface DNS queries leave from.
    pub dns_source: Option<Binding>,
    pub server_identity_check: bool,
    pub ios_version: Option<String>,
    /// The trustpoint that checks revocation strictly (`revocation-check crl` or `ocsp`
    /// without a final `none`, which would let an unreachable server pass) and its
    /// methods: the switch then needs them before it trusts CSSM. SLA-TrustPoint, the one
    /// that validates CSSM, is preferred.
    pub revocation_check: Option<RevocationCheck>,
    /// Plain statements about how the plan was derived.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::policy_release;

    #[test]
    fn policy_release_knows_17_3_needs_its_patch() {
        assert_eq!(policy_release("16.9"), Some(false));
        assert_eq!(policy_release("16.12.05b"), Some(false));
        assert_eq!(policy_release("17.3.1"), Some(false));
        assert_eq!(policy_release("17.3.2a"), Some(true));
        assert_eq!(policy_release("17.03.04"), Some(true));
        assert_eq!(policy_release("17.3"), None);
        assert_eq!(policy_release("17.6"), Some(true));
        assert_eq!(policy_release("17.15"), Some(true));
        assert_eq!(policy_release("BLD"), None);
    }
}
