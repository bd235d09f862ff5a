//! Known misconfigurations in what the switch is told to do: findings with the shared
//! codes, each quoting the line(s) it rests on as `file:line`.
//!
//! Every rule knows its input: a rule that judges an absence (no `service call-home`, no
//! `ip name-server`) needs a whole `show running-config` and is silent without one; a rule
//! on the status views (`Transport: Type: ...`, `Overall State: ...`) needs one of `show
//! license status`/`all`/`tech support`. `show license status` alone never produces a
//! running-config finding.
//!
//! [`check_config`] runs one function per rule family, in a fixed order (the order of the
//! findings): transport, the agent's overall state, the licensing URLs, static hosts, name
//! resolution, revocation checking.

use crate::model::switch::{
    CSLU_DISCOVERY_URL, ConfigLine, LineKey, PlanTarget, ProbePlan, RevocationMethod, SwitchConfig,
    Transport, UNMAPPED_SOURCE_NOTE, methods_line, policy_release, same_vrf,
};
use crate::model::url::{Scheme, Url};
use crate::model::*;

/// A line a finding rests on: `file:line` (or just `file` for an absence) and what it says.
type Seen = (Option<String>, String);

/// What every rule reads: the configuration, the plan derived from it, and the name of a
/// nameless input for the evidence.
struct Cx<'a> {
    c: &'a SwitchConfig,
    plan: &'a ProbePlan,
    file: &'a str,
}

impl Cx<'_> {
    /// A configuration finding: the lines it rests on are quoted, so confidence is high.
    fn finding(
        &self,
        code: FindingCode,
        severity: Severity,
        step: Step,
        summary: impl Into<String>,
    ) -> Finding {
        Finding::new(code, severity, step, summary).confidence(Confidence::High)
    }

    /// The last recorded line under `key`, quoted.
    fn q(&self, key: LineKey) -> Option<Seen> {
        self.c.line_of(key).map(|l| quote(self.c, l, self.file))
    }

    /// What the input as a whole shows (an absence), without a line number.
    fn file_only(&self, what: impl Into<String>) -> Seen {
        (Some(self.file.to_string()), what.into())
    }

    /// The status view's `Type:` is `kind`.
    fn status_says(&self, kind: &str) -> bool {
        self.c
            .status
            .as_ref()
            .and_then(|s| s.kind.as_deref())
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
    }

    /// The transport line, or the status view's `Type:` line.
    fn transport_line(&self) -> Option<Seen> {
        self.q(LineKey::Transport)
            .or_else(|| self.q(LineKey::StatusType))
    }

    /// The last line under `key` that states `needle`, quoted.
    fn q_stating(&self, key: LineKey, needle: &str) -> Option<Seen> {
        self.c
            .lines
            .iter()
            .rev()
            .find(|l| l.key == key && l.text.contains(needle))
            .map(|l| quote(self.c, l, self.file))
    }

    /// The line that states `t`'s URL (`license smart url`, a call-home destination), else
    /// where the URL came from.
    fn url_seen(&self, t: &PlanTarget) -> Seen {
        self.q_stating(LineKey::Url, &t.written)
            .unwrap_or_else(|| self.file_only(format!("{} ({})", t.written, t.origin)))
    }
}

/// The evidence of a configuration finding: the lines it rests on.
fn seen(lines: impl IntoIterator<Item = Seen>) -> impl Iterator<Item = Evidence> {
    lines
        .into_iter()
        .map(|(log, what)| Evidence::line(log.unwrap_or_default(), 0, what))
}

/// `file:line` and the text of a recorded line; `file` names a nameless input.
fn quote(c: &SwitchConfig, l: &ConfigLine, file: &str) -> Seen {
    let name = c.files.get(l.file).map(String::as_str).unwrap_or("");
    let name = if name.is_empty() { file } else { name };
    (Some(format!("{name}:{}", l.line)), l.text.clone())
}

/// Before 17.3.2 (Smart Licensing Using Policy) there is no cslu default.
fn pre_policy(c: &SwitchConfig) -> bool {
    c.version.as_deref().and_then(policy_release) == Some(false)
}

/// Findings about the configuration itself; `file` names it in the evidence.
pub fn check_config(c: &SwitchConfig, plan: &ProbePlan, file: &str) -> Vec<Finding> {
    let cx = Cx { c, plan, file };
    let mut out = Vec::new();
    out.extend(plan_undecided(&cx));
    out.extend(transport_off(&cx));
    out.extend(cslu_no_address(&cx));
    out.extend(callhome_disabled(&cx));
    out.extend(offline_state(&cx));
    out.extend(no_trust(&cx));
    out.extend(licensing_urls(&cx));
    out.extend(call_home_plaintext(&cx));
    out.extend(static_hosts(&cx));
    if needs_dns(&cx) {
        out.extend(domain_lookup_disabled(&cx).or_else(|| no_name_server(&cx)));
    }
    out.extend(crl_checks(&cx));
    out
}

// --- Transport -------------------------------------------------------------------------

/// The text does not say how this switch reports (transport `unknown`: `show version`
/// alone, an extract, a release before 17.3.2 without call-home), Smart Licensing is off
/// (`disabled`: `no license smart enable`), or a filtered running-config extract states a
/// transport but hides the rest: no plan is invented or taken as complete. Inconclusive
/// (exit 3), with the plan's notes (what the text shows) and what is needed.
fn plan_undecided(cx: &Cx) -> Option<Finding> {
    let c = cx.c;
    let extract = c.running_config && !c.full_config && c.status.is_none();
    let what = match &cx.plan.transport {
        Transport::Disabled => {
            "Smart Licensing is off on this switch ('no license smart enable'): it reports to nothing, so there is no licensing path to judge".to_string()
        }
        Transport::Unknown => {
            "the text does not say how this switch reports licensing, so no probe plan is made".to_string()
        }
        Transport::Off => return None,
        t if extract => format!(
            "a filtered extract of the running-config: it states transport {t}, but what the filter removed (URL, proxy, VRF, name servers, release) is taken as the default, so the plan is not known to be complete"
        ),
        _ => return None,
    };
    let lines: Vec<Seen> = cx
        .q(LineKey::SmartEnable)
        .into_iter()
        .chain(
            cx.c.version
                .as_ref()
                .map(|v| cx.file_only(format!("release {v}"))),
        )
        .chain(cx.c.commands.iter().map(|s| {
            let name =
                cx.c.files
                    .get(s.file)
                    .filter(|n| !n.is_empty())
                    .map(String::as_str)
                    .unwrap_or(cx.file);
            (
                Some(format!("{name}:{}", s.line)),
                s.command.as_str().to_string(),
            )
        }))
        .collect();
    let lines = if lines.is_empty() {
        vec![cx.file_only("no transport, release or licensing line")]
    } else {
        lines
    };
    let mut fix: Vec<String> = Vec::new();
    if cx.plan.transport == Transport::Disabled {
        fix.push("(if the switch should use Smart Licensing) license smart enable".into());
        fix.push("show license all   (registration and the last communication attempt)".into());
    } else {
        fix.push("show running-config   (the whole configuration: transport, call-home, proxy, VRF, name servers)".into());
        fix.push("show version   (the release decides the default transport: cslu from 17.3.2, Call Home before)".into());
        fix.push("show license status   (the transport the switch uses)".into());
    }
    Some(
        cx.finding(
            FindingCode::TextInconclusive,
            Severity::Info,
            Step::Http,
            undecided_summary(what, cx.plan),
        )
        .explain("licpath plans the switch's licensing exchange only from what the text shows: the transport line, the status view's Type, or the release's own default with a whole configuration. Before 17.3.2 Smart Licensing reports over Call Home (no CSLU, no SLP); from 17.3.2 a configuration without a transport line means cslu.")
        .fix(fix)
        .evidence(seen(lines)),
    )
}

/// What the text leaves undecided, with the plan's notes that say why. Not the notes on
/// how a probe would be sent (`--map`: nothing is probed), and none when Smart Licensing is
/// off: its one note says again what `what` says.
fn undecided_summary(what: String, plan: &ProbePlan) -> String {
    let notes: Vec<&str> = plan
        .notes
        .iter()
        .map(String::as_str)
        .filter(|n| plan.transport != Transport::Disabled && !n.contains(UNMAPPED_SOURCE_NOTE))
        .collect();
    if notes.is_empty() {
        what
    } else {
        format!("{what}: {}", notes.join("; "))
    }
}

/// `license smart transport off` (or `Type: Transport Off`): nothing is ever sent.
fn transport_off(cx: &Cx) -> Option<Finding> {
    (cx.plan.transport == Transport::Off).then(|| {
        cx.finding(
            FindingCode::ConfigTransportOff,
            Severity::Error,
            Step::Http,
            "licensing transport off: the switch never reports to CSSM",
        )
        .explain("With the transport off the switch sends nothing: usage must be exchanged by file (license smart save usage / license smart import), or a transport turned on. Nothing to probe.")
        .fix([
            "license smart transport smart",
            "license smart url default",
            "(offline on purpose) license smart save usage all file flash:usage.txt",
        ])
        .evidence(seen(cx.transport_line()))
    })
}

/// Transport cslu with no CSLU address: the switch looks for `cslu-local`. Said by the
/// status view (`Type: cslu`, `Cslu address: <empty>`), or by a whole configuration
/// without `license smart url cslu` (17.3.2 and later: before, there is no cslu default).
fn cslu_no_address(cx: &Cx) -> Option<Finding> {
    let c = cx.c;
    if cx.plan.transport != Transport::Cslu
        || !cx
            .plan
            .targets
            .iter()
            .any(|t| t.written == CSLU_DISCOVERY_URL)
    {
        return None;
    }
    let from_status = cx.status_says("cslu") && c.line_of(LineKey::StatusCsluAddress).is_some();
    let from_config = c.full_config && c.line_of(LineKey::CsluUrl).is_none() && !pre_policy(c);
    if !from_status && !from_config {
        return None;
    }
    let mut lines: Vec<Seen> = [
        LineKey::Transport,
        LineKey::StatusType,
        LineKey::StatusCsluAddress,
    ]
    .into_iter()
    .filter_map(|k| cx.q(k))
    .collect();
    if lines.is_empty() {
        lines.push(cx.file_only(
            "no license smart transport / license smart url cslu line: factory default cslu",
        ));
    }
    Some(
        cx.finding(
            FindingCode::ConfigCsluNoAddress,
            Severity::Warning,
            Step::Dns,
            "transport cslu with no CSLU address: the switch looks for a host named cslu-local",
        )
        .explain("cslu is the factory default transport and its address is empty by default. The switch then tries http://cslu-local:8182/cslu/v1/pi, which only works when DNS has a cslu-local entry. If you report directly to CSSM, the transport is simply not set.")
        .fix([
            "license smart transport smart",
            "license smart url default",
            "(or) license smart url cslu http://<cslu-host>:8182/cslu/v1/pi",
        ])
        .evidence(seen(lines)),
    )
}

/// Transport callhome without `service call-home`. An absence: only a whole running-config
/// can show it.
fn callhome_disabled(cx: &Cx) -> Option<Finding> {
    if cx.plan.transport != Transport::Callhome || !cx.c.full_config || cx.c.service_call_home {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::ConfigCallhomeDisabled,
            Severity::Error,
            Step::Http,
            "transport callhome without 'service call-home': the switch sends nothing",
        )
        .explain("The callhome transport hands licensing messages to Smart Call Home, which is off without 'service call-home'.")
        .fix(["service call-home", "(or better) license smart transport smart"])
        .evidence(seen(cx.transport_line().into_iter().chain([
            cx.file_only("no 'service call-home' line in the configuration"),
        ]))),
    )
}

// --- The agent's overall state (status views) ------------------------------------------

/// `Overall State:` as printed, `""` when not shown.
fn overall_state(c: &SwitchConfig) -> &str {
    c.status
        .as_ref()
        .and_then(|s| s.overall_state.as_deref())
        .unwrap_or_default()
}

/// `Overall State: Device configured for Offline transport` with a transport set.
fn offline_state(cx: &Cx) -> Option<Finding> {
    let state = overall_state(cx.c);
    if !state.to_ascii_lowercase().contains("offline") || cx.plan.transport == Transport::Off {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::ConfigTransportOff,
            Severity::Warning,
            Step::Http,
            format!("the licensing agent says \"{state}\": it does not report online"),
        )
        .explain("In offline mode the switch exchanges usage reports and ACKs by file only, whatever transport type is set; its counters stay at zero. If it should report online, set a transport and sync; if offline is intended, nothing here can fail on the network.")
        .fix([
            "license smart transport smart",
            "license smart url default",
            "license smart sync all",
        ])
        .evidence(seen(cx.q(LineKey::OverallState))),
    )
}

/// `Overall State: Insufficient trust for direct communication`: no trust code.
fn no_trust(cx: &Cx) -> Option<Finding> {
    let state = overall_state(cx.c);
    if !state.to_ascii_lowercase().contains("insufficient trust") {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::ConfigNoTrust,
            Severity::Warning,
            Step::Http,
            format!("the licensing agent says \"{state}\": no trust code is installed"),
        )
        .explain("Direct communication with CSSM needs a trust code (an ID token from the Smart Account). Without one the switch does not try to report, so nothing has failed on the network yet.")
        .fix([
            "license smart trust idtoken <token from CSSM> all",
            "show license status   (Trust Code Installed)",
        ])
        .evidence(seen(
            [LineKey::OverallState, LineKey::Trust]
                .into_iter()
                .filter_map(|k| cx.q(k)),
        )),
    )
}

// --- The licensing URLs ----------------------------------------------------------------

/// Per target, in plan order: plain HTTP, an IP literal under the identity check, a
/// non-production receiver.
fn licensing_urls(cx: &Cx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &cx.plan.targets {
        out.extend(plaintext_url(cx, t, &t.url));
        out.extend(ip_literal_url(cx, t, &t.url));
        out.extend(non_production_url(cx, t, &t.url));
    }
    out
}

/// A plain-HTTP URL other than CSLU's (which is HTTP by design).
fn plaintext_url(cx: &Cx, t: &PlanTarget, url: &Url) -> Option<Finding> {
    if url.scheme() != Scheme::Http || t.label == "cslu" {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::PlaintextHttp,
            Severity::Warning,
            Step::Http,
            format!("{} URL is plain HTTP: {}", t.label, t.written),
        )
        .explain("Cisco's receivers expect HTTPS; plain HTTP to tools.cisco.com is deprecated and is refused or redirected.")
        .fix(["license smart url default"])
        .evidence(seen([cx.url_seen(t)])),
    )
}

/// An HTTPS URL to an IP literal while the server identity check is on.
fn ip_literal_url(cx: &Cx, t: &PlanTarget, url: &Url) -> Option<Finding> {
    let host = url.host();
    if url.scheme() != Scheme::Https
        || host.parse::<std::net::IpAddr>().is_err()
        || !cx.plan.server_identity_check
    {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::CertHostnameMismatch,
            Severity::Warning,
            Step::Cert,
            format!(
                "{} URL uses an IP address ({host}) with the server identity check on",
                t.label
            ),
        )
        .explain("The switch checks the server's certificate against the host in the URL. A certificate issued for a name does not match an IP literal, and the handshake fails unless the certificate carries that IP address.")
        .fix([
            "license smart url smart https://<server-name>/...   (the name on the certificate)",
            "(or, knowingly) no license smart server-identity-check",
        ])
        .evidence(seen([cx.url_seen(t)])),
    )
}

/// A staging or development receiver (`-stage.`, `-dev.`, `stage.`).
fn non_production_url(cx: &Cx, t: &PlanTarget, url: &Url) -> Option<Finding> {
    let host = url.host();
    let h = host.to_ascii_lowercase();
    if !(h.contains("-stage.") || h.contains("-dev.") || h.starts_with("stage.")) {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::NonProductionEndpoint,
            Severity::Warning,
            Step::Http,
            format!("{} points at a non-production receiver: {host}", t.label),
        )
        .explain("Staging and development receivers do not hold production licences.")
        .fix(["license smart url default"])
        .evidence(seen([cx.url_seen(t)])),
    )
}

/// Call-home profiles (running-config, `show call-home ...`) that send to a plain-HTTP
/// destination the plan does not already judge: `http://` is plaintext.
fn call_home_plaintext(cx: &Cx) -> Vec<Finding> {
    let Some(ch) = &cx.c.call_home else {
        return Vec::new();
    };
    ch.profiles
        .iter()
        .filter(|p| p.active)
        .flat_map(|p| p.urls.iter().map(move |u| (p, u)))
        .filter(|(_, u)| u.to_ascii_lowercase().starts_with("http://"))
        .filter(|(_, u)| !cx.plan.targets.iter().any(|t| &t.written == *u))
        .map(|(p, u)| {
            let at = cx
                .q_stating(LineKey::Url, u)
                .unwrap_or_else(|| cx.file_only(format!("call-home profile {}: {u}", p.name)));
            cx.finding(
                FindingCode::PlaintextHttp,
                Severity::Warning,
                Step::Http,
                format!("call-home profile {} sends to a plain-HTTP destination: {u}", p.name),
            )
            .explain("Plain HTTP carries the call-home messages (Smart Licensing's too, before 17.3.2 or with transport callhome) unencrypted; Cisco's receiver expects HTTPS and plain HTTP to tools.cisco.com is deprecated.")
            .fix([
                "call-home".to_string(),
                format!(" profile \"{}\"", p.name),
                format!("  no destination address http {u}"),
                "  destination address http https://tools.cisco.com/its/service/oddce/services/DDCEService".into(),
            ])
            .evidence(seen([at]))
        })
        .collect()
}

// --- Name resolution -------------------------------------------------------------------

/// `ip host` entries for Cisco (or IdenTrust) names, one finding each.
fn static_hosts(cx: &Cx) -> Vec<Finding> {
    let c = cx.c;
    c.hosts
        .iter()
        .filter(|h| h.name.ends_with("cisco.com") || h.name.ends_with("identrust.com"))
        .map(|h| {
            let vrf = h.vrf.as_ref().map(|v| format!("vrf {v} ")).unwrap_or_default();
            let file = c
                .files
                .get(h.file)
                .filter(|n| !n.is_empty())
                .map(String::as_str)
                .unwrap_or(cx.file);
            cx.finding(
                FindingCode::ConfigStaticHost,
                Severity::Warning,
                Step::Dns,
                format!("static 'ip host {}' replaces DNS for a Cisco name", h.name),
            )
            .explain("A static entry for a Cisco name goes stale when Cisco moves the service, and the switch then connects to an address that no longer answers. Let DNS resolve it.")
            .fix([format!("no ip host {vrf}{}", h.name)])
            .evidence(seen([(
                Some(format!("{file}:{}", h.line)),
                format!("ip host {} ...", h.name),
            )]))
        })
        .collect()
}

/// The switch must resolve a name: some target's host is neither an IP literal nor a
/// static entry, the transport is on and said (before 17.3.2 an unstated transport is
/// unknown, not cslu).
fn needs_dns(cx: &Cx) -> bool {
    let plan = cx.plan;
    let transport_said = cx.c.line_of(LineKey::Transport).is_some()
        || cx.c.line_of(LineKey::StatusType).is_some()
        || !pre_policy(cx.c);
    let a_name = plan.targets.iter().any(|t| {
        let host = t.url.host();
        host.parse::<std::net::IpAddr>().is_err()
            && !plan
                .resolve
                .iter()
                .any(|(n, _)| *n == host.to_ascii_lowercase())
    });
    a_name && plan.transport != Transport::Off && transport_said
}

/// `no ip domain lookup`: no name resolves.
fn domain_lookup_disabled(cx: &Cx) -> Option<Finding> {
    if !cx.c.domain_lookup_disabled {
        return None;
    }
    Some(
        cx.finding(
            FindingCode::ConfigNoNameServer,
            Severity::Error,
            Step::Dns,
            "'no ip domain lookup': the switch cannot resolve the licensing server's name",
        )
        .explain("DNS lookup is disabled, so every name in a licensing URL fails to resolve (COMM_FAILED: Unable to resolve server hostname).")
        .fix([
            "ip domain lookup",
            "ip name-server [vrf <vrf>] <dns-server-ip>",
        ])
        .evidence(seen(cx.q(LineKey::NoDomainLookup))),
    )
}

/// No name server in the licensing VRF. No name server at all is an absence (a whole
/// configuration only); name servers only in other VRFs are visible in any extract that
/// shows name servers.
fn no_name_server(cx: &Cx) -> Option<Finding> {
    let (c, plan) = (cx.c, cx.plan);
    // What the text shows about name servers: all of them, or at least the ones it has.
    let visible = c.full_config || !c.name_servers.is_empty();
    if !plan.dns_servers.is_empty() || !visible {
        return None;
    }
    let in_vrf = |v: Option<&String>| v.map(|v| format!("vrf {v} ")).unwrap_or_default();
    let elsewhere: Vec<String> = c
        .name_servers
        .iter()
        .filter(|n| !same_vrf(n.vrf.as_deref(), plan.vrf.as_deref()))
        .map(|n| format!("ip name-server {}{}", in_vrf(n.vrf.as_ref()), n.addr))
        .collect();
    let vrf = plan.vrf.as_deref();
    let summary = match (vrf, elsewhere.is_empty()) {
        (Some(v), false) => {
            format!("licensing runs in vrf {v} but the name servers are configured elsewhere")
        }
        (Some(v), true) => format!("no name server for vrf {v}, where licensing runs"),
        (None, false) => {
            "no global name server; the ones configured are in a VRF licensing does not use".into()
        }
        (None, true) => "no 'ip name-server' in the configuration".into(),
    };
    let lines: Vec<Seen> = if elsewhere.is_empty() {
        vec![cx.file_only("no ip name-server line")]
    } else {
        elsewhere.into_iter().map(|l| cx.file_only(l)).collect()
    };
    Some(
        cx.finding(FindingCode::ConfigNoNameServer, Severity::Warning, Step::Dns, summary)
            .explain("Name servers are per VRF on IOS XE: the licensing VRF needs its own 'ip name-server vrf' line. (If the text you gave is only part of the configuration, check the full one.)")
            .fix([format!(
                "ip name-server {}<dns-server-ip>",
                in_vrf(plan.vrf.as_ref())
            )])
            .evidence(seen(lines)),
    )
}

// --- Revocation --------------------------------------------------------------------------

/// Trustpoints whose revocation check starts with `crl`: the switch must fetch a CRL.
fn crl_checks(cx: &Cx) -> Vec<Finding> {
    let c = cx.c;
    // Revocation lines are recorded in trustpoint order, one per trustpoint that has one.
    let mut revocation_lines = c.lines.iter().filter(|l| l.key == LineKey::RevocationCheck);
    let mut out = Vec::new();
    for tp in c
        .trustpoints
        .iter()
        .filter(|tp| !tp.revocation_check.is_empty())
    {
        let line = revocation_lines.next();
        if tp.revocation_check.first() != Some(&RevocationMethod::Crl) {
            continue;
        }
        let check = methods_line(&tp.revocation_check);
        let at = match line {
            Some(l) => {
                let (at, text) = quote(c, l, cx.file);
                (at, format!("crypto pki trustpoint {} / {text}", tp.name))
            }
            None => cx.file_only(format!(
                "crypto pki trustpoint {} / revocation-check {check}",
                tp.name
            )),
        };
        let licensing = tp.name.eq_ignore_ascii_case("SLA-TrustPoint");
        let summary = if licensing {
            format!(
                "context: trustpoint {} has 'revocation-check {check}' (the factory default): the switch fetches a CRL before it trusts CSSM; nothing here says the fetch fails",
                tp.name
            )
        } else {
            format!(
                "context: trustpoint {} has 'revocation-check {check}'; it is not on the licensing chain",
                tp.name
            )
        };
        out.push(
            cx.finding(FindingCode::CrlUnreachable, Severity::Info, Step::Cert, summary)
            .explain("With revocation-check crl the switch fetches the CRL over plain HTTP; only when it cannot (no route, proxy only, firewall) does it log %PKI-3-CRL_FETCH_FAIL and the licensing handshake waits or fails. The line alone is not a failure: `show logging | include CRL_FETCH|CRLHTTPFETCH` tells whether the fetch fails. Licensing does not need the check.")
            .fix([format!("crypto pki trustpoint {}", tp.name), " revocation-check none".into()])
            .evidence(seen([at])),
        );
    }
    out
}

#[cfg(test)]
mod tests;
