//! What the switch's own messages mean (SMART_LIC, CALL_HOME, PKI syslog), as findings with the same codes the
//! analyser and the probe use, and how they line up with a capture's connections.
//!
//! A log line says less than a packet: "Unable to resolve server hostname" does not say
//! whether the name server answered NXDOMAIN or nothing at all. The findings say what the
//! log proves and no more; the capture or the probe tells the rest.

use crate::model::*;

mod offset;
mod tech_support;

use offset::{describe_offset, estimate_offset, nearest, timed};
use tech_support::tech_support;

/// Evidence lines kept per finding.
const MAX_EVIDENCE: usize = 5;

struct Class {
    code: FindingCode,
    step: Step,
    confidence: Confidence,
    what: &'static str,
    explanation: &'static str,
    remediation: &'static [&'static str],
}

/// What a failure reason (COMM_FAILED text, CALL_HOME ERR, SAEVT error, tech-support
/// Failure Reason / Last Response), classified where it was read, says about the failing
/// step.
fn classify(cause: FailCause) -> Class {
    match cause {
        FailCause::Unresolved => Class {
            code: FindingCode::DnsUnresolved,
            step: Step::Dns,
            confidence: Confidence::High,
            what: "the switch could not resolve the licensing server's name",
            explanation: "The switch gave up at name resolution. Its log does not say whether the name server answered NXDOMAIN or SERVFAIL, answered without an address, or did not answer at all (wrong VRF or source interface, no route, DNS lookup disabled); a capture or `licpath probe --from-config` tells which.",
            remediation: &[
                "ip domain lookup",
                "ip name-server [vrf <licensing-vrf>] <dns-server-ip>",
                "ip domain lookup [vrf <licensing-vrf>] source-interface <interface>",
                "show running-config | include ip host   (a stale static entry for the name?)",
            ],
        },
        FailCause::TimedOut => Class {
            code: FindingCode::TcpTimeout,
            step: Step::Tcp,
            confidence: Confidence::Medium,
            what: "the switch's connection timed out",
            explanation: "The switch reports a connection timeout: its SYNs (to the server, or to the proxy when one is configured) were most likely not answered. A middlebox that silently drops the TLS handshake produces the same message; a capture tells which.",
            remediation: &[
                "check routing and ACLs/firewalls from the licensing source interface/VRF to TCP 443 (or to the proxy port)",
                "ip http client source-interface <interface>",
                "license smart vrf <vrf>   (if the path is in a VRF)",
            ],
        },
        FailCause::Aborted => Class {
            code: FindingCode::CommFailed,
            step: Step::Tls,
            confidence: Confidence::Low,
            what: "the switch aborted the request",
            explanation: "\"Request Aborted\" comes after the connection was set up: the proxy refused the CONNECT, or the TLS handshake failed (a certificate the switch rejects: SSL interception, a root missing from the trustpool as in FN72323, a clock outside the certificate's validity), or a middlebox cut the session. The log does not say which; a capture or the probe does.",
            remediation: &[
                "exempt smartreceiver.cisco.com / tools.cisco.com from SSL inspection",
                "crypto pki trustpool import url http://www.cisco.com/security/pki/trs/ios_core.p7b",
                "ntp server <ip>   (the clock must be within the certificate's validity)",
            ],
        },
        FailCause::EmptyResponse => Class {
            code: FindingCode::CommFailed,
            step: Step::Http,
            confidence: Confidence::Medium,
            what: "the server (or a proxy) answered with nothing",
            explanation: "The switch got an empty HTTP response: a proxy or middlebox that closes the session after the request, or a receiver that refused the message.",
            remediation: &[
                "check the proxy's logs for the licensing host; try without the proxy if the path allows it",
            ],
        },
        FailCause::NoTransport => Class {
            code: FindingCode::CommFailed,
            step: Step::Http,
            confidence: Confidence::High,
            what: "no usable licensing transport is configured",
            explanation: "The switch has no transport to send with: transport off, or cslu with no CSLU address and none discoverable.",
            remediation: &["license smart transport smart", "license smart url default"],
        },
        FailCause::Other => Class {
            code: FindingCode::CommFailed,
            step: Step::Http,
            confidence: Confidence::Low,
            what: "the switch could not complete its exchange with the licensing server",
            explanation: "The message says the exchange failed without saying at which step (DNS, TCP, proxy, TLS or HTTP). A capture or `licpath probe --from-config` finds the step.",
            remediation: &[],
        },
    }
}

enum Role {
    Fail(FailReason),
    Restore,
    Other,
}

/// One message type's statistics, as the rules read them.
struct Stats<'a> {
    message_type: &'a str,
    total: u64,
    fail: u64,
    response: Option<Reply>,
    last_response: Option<&'a LastResponse>,
    reason: Option<&'a FailReason>,
    ongoing: u64,
    ongoing_comm: u64,
    recovered: bool,
    last_success: Option<&'a str>,
    last_failure: Option<&'a str>,
}

impl<'a> Stats<'a> {
    fn of(k: &'a LogKind) -> Option<Stats<'a>> {
        let LogKind::TechSupport {
            message_type,
            total,
            fail,
            last_response,
            failure_reason,
            ongoing_overall,
            ongoing_communication,
            last_success_ns,
            last_failure_ns,
            last_success,
            last_failure,
            ..
        } = k
        else {
            return None;
        };
        let response = last_response.as_ref().map(|r| r.reply);
        let recovered = match (last_success_ns, last_failure_ns) {
            (Some(s), Some(f)) => s >= f,
            (Some(_), None) => true,
            _ => response == Some(Reply::Success),
        };
        // Agents that print no `Ongoing Failure`: a failing last response not followed
        // by a success is ongoing, and counted as a communication failure.
        let (ongoing, ongoing_comm) = match (ongoing_overall, ongoing_communication) {
            (Some(o), Some(c)) => (*o, *c),
            _ => match response {
                Some(Reply::NoReply | Reply::Other) if !recovered => (1, 1),
                Some(Reply::TryAgain) if !recovered => (1, 0),
                _ => (0, 0),
            },
        };
        Some(Stats {
            message_type,
            total: total.unwrap_or(0),
            fail: fail.unwrap_or(0),
            response,
            last_response: last_response.as_ref(),
            reason: failure_reason.as_ref(),
            ongoing,
            ongoing_comm,
            recovered,
            last_success: last_success.as_deref(),
            last_failure: last_failure.as_deref(),
        })
    }

    /// `Hello Message: NO REPLY (reason)`.
    fn said(&self) -> String {
        format!(
            "{}: {}{}",
            self.message_type,
            self.last_response
                .map_or("no response", |r| r.reason.text.as_str()),
            self.reason
                .map(|r| format!(" ({})", r.text))
                .unwrap_or_default()
        )
    }
}

/// The switch says it communicates: a restore message, a tech-support message type whose
/// latest exchange succeeded with nothing failing since, an ACK (the server's answer over
/// this transport: it worked when the ACK came, whatever was pushed since), a pre-policy
/// `Last Communication Attempt: SUCCEEDED`. Whether a later failure overrules it is the
/// rules' business (the latest record wins).
pub fn says_ok(k: &LogKind) -> bool {
    match k {
        LogKind::CommRestored { .. } | LogKind::EventCommRestored => true,
        // The latest response a success with nothing failing since; or the server's own
        // answer (OK_TRY_AGAIN, or a success recorded) with no communication failure
        // since: it declined, but the transport worked.
        LogKind::TechSupport { last_success, .. } => Stats::of(k).is_some_and(|s| {
            s.response == Some(Reply::Success) && s.ongoing == 0
                || s.ongoing_comm == 0
                    && (s.response == Some(Reply::TryAgain) || last_success.is_some())
        }),
        LogKind::UsageReporting { last_ack, .. } => last_ack.is_some(),
        LogKind::LastCommAttempt { result } => result.outcome == Attempt::Succeeded,
        _ => false,
    }
}

/// When an entry shows the transport working, on the switch's clock: a restore message's
/// stamp, a message type's `Last Success Time`, an ACK's, a SUCCEEDED attempt's.
fn success_ns(e: &LogEntry) -> Option<i64> {
    match &e.kind {
        LogKind::TechSupport {
            last_success_ns, ..
        } => *last_success_ns,
        k if says_ok(k) => e.switch_time_ns,
        _ => None,
    }
}

/// When a failing entry last failed, on the switch's clock.
fn failure_ns(e: &LogEntry) -> Option<i64> {
    match &e.kind {
        LogKind::TechSupport {
            last_failure_ns, ..
        } => last_failure_ns.or(e.switch_time_ns),
        _ => e.switch_time_ns,
    }
}

/// The latest record of the transport working: (its time, its entry).
fn latest_success(log: &SwitchLog) -> Option<(i64, usize)> {
    log.entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| success_ns(e).map(|t| (t, i)))
        .max()
}

/// A failure at `failed` is history when the transport worked later (`latest`): the
/// latest record wins.
fn superseded(failed: Option<i64>, latest: Option<(i64, usize)>) -> bool {
    matches!((failed, latest), (Some(f), Some((s, _))) if s > f)
}

/// What the latest success was, in words: `ACK received Apr 23 ...`.
fn success_said(log: &SwitchLog, latest: Option<(i64, usize)>) -> String {
    let Some(e) = latest.and_then(|(_, i)| log.entries.get(i)) else {
        return "a later success".into();
    };
    match &e.kind {
        k @ LogKind::TechSupport { last_success, .. } => format!(
            "{} succeeded on {}",
            Stats::of(k)
                .map(|s| s.message_type)
                .unwrap_or("a message type"),
            last_success.as_deref().unwrap_or("a later date")
        ),
        LogKind::UsageReporting { last_ack, .. } => {
            format!("ACK received {}", last_ack.as_deref().unwrap_or("later"))
        }
        _ => format!(
            "{} at {}",
            e.text,
            e.timestamp.as_deref().unwrap_or("a later time")
        ),
    }
}

fn role(k: &LogKind) -> Role {
    match k {
        LogKind::CommFailed { reason, .. } | LogKind::CallHomeFailed { reason, .. } => {
            Role::Fail(reason.clone())
        }
        LogKind::EventCommFail { error } => Role::Fail(error.clone()),
        // Only ongoing failures that never reached the server are communication
        // failures; the others are judged by `tech_support`. One that prints neither a
        // reason nor a response names no step.
        LogKind::TechSupport { .. } => match Stats::of(k) {
            Some(s) if s.ongoing_comm > 0 => Role::Fail(
                s.reason
                    .or(s.last_response.map(|r| &r.reason))
                    .cloned()
                    .unwrap_or_else(|| FailReason {
                        cause: FailCause::Other,
                        text: "no reply".into(),
                    }),
            ),
            _ => Role::Other,
        },
        LogKind::LastCommAttempt { result } if result.outcome == Attempt::Failed => {
            Role::Fail(result.reason.clone())
        }
        LogKind::CommRestored { .. } | LogKind::EventCommRestored => Role::Restore,
        _ => Role::Other,
    }
}

fn evidence(log: &SwitchLog, e: &LogEntry) -> Evidence {
    let file = log.files.get(e.file).map(String::as_str).unwrap_or("log");
    Evidence::line(
        format!("{file}:{}", e.line),
        e.time_ns.or(e.switch_time_ns).unwrap_or(0),
        e.text.clone(),
    )
}

/// The last few entries of `idx` as evidence (the most recent matter most).
fn last_evidence(log: &SwitchLog, idx: &[usize]) -> Vec<Evidence> {
    let from = idx.len().saturating_sub(MAX_EVIDENCE);
    idx[from..]
        .iter()
        .map(|&i| evidence(log, &log.entries[i]))
        .collect()
}

/// Everything the switch's text proves: configuration rules (each on the commands it
/// needs), the messages and statistics, and — when nothing decides either way — what to
/// run next.
pub fn text_findings(
    c: &crate::model::switch::SwitchConfig,
    plan: &crate::model::switch::ProbePlan,
    log: &SwitchLog,
) -> Vec<Finding> {
    let names = c.files.join(", ");
    let mut out = super::config::check_config(c, plan, &names);
    // The configuration's "no plan" (Smart Licensing off, transport unknown) speaks only
    // when the records do not decide, and then only when Smart Licensing is off: else the
    // records' own "what to run next" says more.
    let no_plan = out
        .iter()
        .position(|f| f.code == FindingCode::TextInconclusive)
        .map(|i| out.remove(i));
    out.extend(log_findings(log));
    let decided = out.iter().any(|f| f.severity == Severity::Error)
        || log.entries.iter().any(|e| says_ok(&e.kind));
    if !decided {
        out.push(match no_plan {
            Some(f) if plan.transport == crate::model::switch::Transport::Disabled => f,
            _ => inconclusive(c, log),
        });
    }
    out
}

/// Neither a failure nor a success in the text: say what was read and what would decide.
fn inconclusive(c: &crate::model::switch::SwitchConfig, log: &SwitchLog) -> Finding {
    use crate::model::switch::Command;
    let read: Vec<&str> = c.commands.iter().map(|s| s.command.as_str()).collect();
    let attempts: u64 = log
        .entries
        .iter()
        .filter_map(|e| Stats::of(&e.kind))
        .map(|s| s.total)
        .sum();
    let why = if c.has(Command::LicenseTechSupport) && attempts == 0 {
        "the switch has not tried to reach CSSM or CSLU (every attempt counter is 0)".to_string()
    } else if read.is_empty() {
        "no licensing output was recognised".into()
    } else {
        "no message, counter or acknowledgement that shows an exchange succeeding or failing".into()
    };
    let mut next: Vec<String> = Vec::new();
    if !c.has(Command::LicenseTechSupport) {
        next.push("show license tech support   (per message type: attempts, last response, failure reason)".into());
    }
    if !c.has(Command::Logging) {
        next.push("show logging | include SMART_LIC|CALL_HOME|PKI".into());
    }
    if !c.full_config {
        next.push("show running-config   (transport, proxy, VRF, name servers)".into());
    }
    next.push(
        "licpath probe --from-config <this text>   (from a host on the switch's path)".into(),
    );
    let summary = format!(
        "the switch's text does not decide: {why} (read: {})",
        if read.is_empty() {
            "nothing".to_string()
        } else {
            read.join(", ")
        }
    );
    Finding::new(
        FindingCode::TextInconclusive,
        Severity::Info,
        Step::Http,
        summary,
    )
    .confidence(Confidence::High)
    .explain("A verdict from the switch's text needs the switch's own record of an exchange: a tech-support Last Response, a COMM_FAILED or COMM_RESTORED message, an ACK from CSSM or CSLU. None is in what was given.")
    .fix(next)
    .evidence(c.commands.iter().map(|s| {
        let file = c.files.get(s.file).map(String::as_str).unwrap_or("text");
        Evidence::line(format!("{file}:{}", s.line), 0, s.command.as_str())
    }))
}

/// Findings from the switch's messages, in a fixed order: communication failures by
/// meaning, flapping, the tech-support statistics (which look at the findings before
/// them), CRL fetch failures, certificate validity, the switch's clock.
///
/// The latest record wins: a failure older than a later success (a restore message, a
/// message type's success, an ACK) is history, said as `comm_flapping`, not a failure.
pub fn log_findings(log: &SwitchLog) -> Vec<Finding> {
    let order = entries_in_order(log);
    let latest = latest_success(log);
    let (mut out, history) = comm_failures(log, &order, latest);
    flapping(log, &order, &mut out);
    tech_support(log, &order, latest, history, &mut out);
    out.extend(crl_fetch_failures(log, &order));
    out.extend(cert_validity(log, &order));
    out.extend(call_home_statistics(log, &order));
    out.extend(clock_not_synced(log));
    out
}

/// Failures that mean the same (one code and step), with what they say.
struct FailGroup {
    class: Class,
    /// The distinct reasons, as printed (trimmed), first seen first.
    reasons: Vec<String>,
    /// Positions in the entry order.
    positions: Vec<usize>,
}

/// Failures grouped by what they mean, in order of first appearance. A tech-support
/// message type whose ongoing failure is older than the latest success is not one (its
/// counter is history: [`Outcomes`] says so).
fn failure_groups(
    log: &SwitchLog,
    order: &[usize],
    latest: Option<(i64, usize)>,
) -> Vec<FailGroup> {
    let mut groups: Vec<FailGroup> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let e = &log.entries[i];
        let Role::Fail(reason) = role(&e.kind) else {
            continue;
        };
        if matches!(e.kind, LogKind::TechSupport { .. }) && superseded(failure_ns(e), latest) {
            continue;
        }
        let class = classify(reason.cause);
        let reason = reason.text.trim().to_string();
        let g = match groups
            .iter()
            .position(|g| (g.class.code, g.class.step) == (class.code, class.step))
        {
            Some(g) => g,
            None => {
                groups.push(FailGroup {
                    class,
                    reasons: Vec::new(),
                    positions: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[g];
        if !g.reasons.contains(&reason) {
            g.reasons.push(reason);
        }
        g.positions.push(pos);
    }
    groups
}

/// One finding per group of communication failures (its code from [`classify`]): an
/// error, or a warning when communication was restored (or succeeded: `latest`) after the
/// group's last failure. Also each recovered group's last entry and what it says, for
/// `comm_flapping`.
fn comm_failures(
    log: &SwitchLog,
    order: &[usize],
    latest: Option<(i64, usize)>,
) -> (Vec<Finding>, Vec<(usize, String)>) {
    // The last restore, per clock position: a failure followed by a restore is history.
    let last_restore = order
        .iter()
        .rposition(|&i| matches!(role(&log.entries[i].kind), Role::Restore));
    let mut history = Vec::new();
    let findings = failure_groups(log, order, latest)
        .into_iter()
        .map(|g| {
            let last_pos = *g.positions.last().unwrap_or(&0);
            let last = &log.entries[order[last_pos]];
            let recovered =
                last_restore.is_some_and(|r| r > last_pos) || superseded(failure_ns(last), latest);
            let summary = failure_summary(log, order, &g, recovered);
            let severity = if recovered {
                history.push((
                    order[last_pos],
                    format!(
                        "{} (last on {}), {} since",
                        g.class.what,
                        last.timestamp.as_deref().unwrap_or("an undated line"),
                        if last_restore.is_some_and(|r| r > last_pos) {
                            "restored".to_string()
                        } else {
                            success_said(log, latest)
                        }
                    ),
                ));
                Severity::Warning
            } else {
                Severity::Error
            };
            let idx: Vec<usize> = g.positions.iter().map(|&p| order[p]).collect();
            Finding::new(g.class.code, severity, g.class.step, summary)
                .confidence(g.class.confidence)
                .explain(g.class.explanation)
                .fix(g.class.remediation)
                .evidence(last_evidence(log, &idx))
        })
        .collect();
    (findings, history)
}

/// `what: "reason" / "reason" (n messages[, restored since])[; tech-support counts]`.
fn failure_summary(log: &SwitchLog, order: &[usize], g: &FailGroup, recovered: bool) -> String {
    let n = g.positions.len();
    let quoted: Vec<String> = g
        .reasons
        .iter()
        .take(3)
        .map(|r| format!("\"{r}\""))
        .collect();
    let tech: Vec<String> = g
        .positions
        .iter()
        .filter_map(|&p| match &log.entries[order[p]].kind {
            k @ LogKind::TechSupport { .. } => Stats::of(k).map(|s| {
                format!(
                    "{}: {} of {} attempts failed, {} ongoing communication failure{}",
                    s.message_type,
                    s.fail,
                    s.total,
                    s.ongoing_comm,
                    if s.ongoing_comm == 1 { "" } else { "s" }
                )
            }),
            _ => None,
        })
        .collect();
    format!(
        "{}: {} ({} message{}{})",
        g.class.what,
        quoted.join(" / "),
        n,
        if n == 1 { "" } else { "s" },
        if recovered {
            ", communication restored since"
        } else {
            ""
        }
    ) + &if tech.is_empty() {
        String::new()
    } else {
        format!("; {}", tech.join("; "))
    }
}

/// PKI: CRL fetch failures, one finding per trustpoint. Only a trustpoint on the licensing
/// chain makes one a licensing failure (error); an unnamed one may be (warning); another
/// service's is context (info).
fn crl_fetch_failures(log: &SwitchLog, order: &[usize]) -> Vec<Finding> {
    let mut crl: Vec<(Option<Trustpoint>, Vec<usize>)> = Vec::new();
    for &i in order {
        if let LogKind::CrlFetchFail { trustpoint, .. } = &log.entries[i].kind {
            match crl.iter_mut().find(|(t, _)| t == trustpoint) {
                Some(g) => g.1.push(i),
                None => crl.push((trustpoint.clone(), vec![i])),
            }
        }
    }
    crl.into_iter().map(|(tp, idx)| {
        // `None`: the message named no trustpoint, so its chain cannot be said.
        let on_chain = tp.as_ref().map(|t| t.chain);
        let reason = idx.iter().rev().find_map(|&i| match &log.entries[i].kind {
            LogKind::CrlFetchFail { reason, .. } => reason.clone(),
            _ => None,
        });
        let times = format!(
            "{}{} ({} time{})",
            tp.as_ref().map(|t| format!("trustpoint {}", t.name)).unwrap_or_else(|| "a trustpoint the message does not name".into()),
            reason.map(|r| format!(": {r}")).unwrap_or_default(),
            idx.len(),
            if idx.len() == 1 { "" } else { "s" }
        );
        let (severity, summary, explanation) = match on_chain {
            Some(Chain::Licensing) => (
                Severity::Error,
                format!("the switch could not fetch the CRL for {times}"),
                "With `revocation-check crl` the switch fetches the issuer's CRL over plain HTTP before it accepts the server's certificate, and waits when it cannot. Licensing needs no CRL check: turn it off for the trustpoint, or let the switch reach the CRL host on TCP 80.",
            ),
            None => (
                Severity::Warning,
                format!("the switch could not fetch the CRL for {times}: it may be on the licensing chain"),
                "The message does not name its trustpoint. If it is SLA-TrustPoint (or the trustpool), the licensing handshake waits on the CRL: `show crypto pki trustpoint | include Trustpoint|Revocation` tells which trustpoints check CRLs.",
            ),
            Some(Chain::Other) => (
                Severity::Info,
                format!("context, not a licensing failure: the switch could not fetch the CRL for {times}, a trustpoint not on the licensing chain"),
                "Licensing validates CSSM with the trustpool and SLA-TrustPoint; this trustpoint serves another service (DNAC-CA is Catalyst Center's, TP-self-signed-* the switch's own HTTPS server). Its CRL does not decide whether licensing works. Only if this trustpoint holds the CA of a proxy that re-signs the licensing traffic is it on the chain.",
            ),
        };
        let name = tp.map_or_else(|| "<trustpoint>".into(), |t| t.name);
        Finding::new(FindingCode::CrlUnreachable, severity, Step::Cert, summary)
            .confidence(Confidence::High)
            .explain(explanation)
            .fix([format!("crypto pki trustpoint {name}"), " revocation-check none".into()])
            .evidence(last_evidence(log, &idx))
    }).collect()
}

/// PKI: certificates the switch found not yet valid or expired (its clock, mostly).
fn cert_validity(log: &SwitchLog, order: &[usize]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (kind, code, summary, explanation) in [
        (
            LogKind::CertNotYetValid,
            FindingCode::CertNotYetValid,
            "the switch found a certificate not yet valid: its clock is behind",
            "IOS logs CERTIFICATE_INVALID_NOT_YET_VALID when its own clock is earlier than the certificate's notBefore: almost always a switch clock that was never set (1993/2000 after a reload without NTP or calendar).",
        ),
        (
            LogKind::CertExpired,
            FindingCode::CertExpired,
            "the switch found an expired certificate (or its clock is ahead)",
            "IOS logs CERTIFICATE_INVALID_EXPIRED when a certificate's notAfter is before its own clock: an old chain (QuoVadis-era), an intercepting proxy's stale certificate, or a switch clock far ahead.",
        ),
    ] {
        let idx: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| log.entries[i].kind == kind)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let summary = format!(
            "{summary} ({} time{})",
            idx.len(),
            if idx.len() == 1 { "" } else { "s" }
        );
        out.push(
            Finding::new(code, Severity::Error, Step::Cert, summary)
                .confidence(Confidence::High)
                .explain(explanation)
                .fix([
                    "ntp server <ip>",
                    "clock calendar-valid",
                    "show clock detail",
                ])
                .evidence(
                    idx.iter()
                        .take(MAX_EVIDENCE)
                        .map(|&i| evidence(log, &log.entries[i])),
                ),
        );
    }
    out
}

/// The switch's clock is not synchronised (`No time source`, `*` or `.` stamps, `Clock
/// sync-ed with NTP: False`): one finding
/// quoting each sign, info (context: certificates are checked against that clock; a
/// validity failure the switch logged is its own error, `cert_validity`).
fn clock_not_synced(log: &SwitchLog) -> Option<Finding> {
    let idx: Vec<usize> = (0..log.entries.len())
        .filter(|&i| matches!(log.entries[i].kind, LogKind::ClockUnsynced { .. }))
        .collect();
    let signs: Vec<&str> = idx
        .iter()
        .filter_map(|&i| match &log.entries[i].kind {
            LogKind::ClockUnsynced { sign } => Some(sign.as_str()),
            _ => None,
        })
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    if signs.is_empty() {
        return None;
    }
    Some(
        Finding::new(
            FindingCode::SwitchClockUnsynced,
            Severity::Info,
            Step::Cert,
            format!(
                "the switch's clock is not synchronised: {}",
                signs.join("; ")
            ),
        )
        .confidence(Confidence::High)
        .explain("IOS prints `No time source` in a command's header, and `*` before a log stamp, when neither NTP nor a calendar declared valid set the clock; `.` before a stamp when the clock was set but NTP is not synchronised now; `show license status` and `show license tech support` say `Clock sync-ed with NTP: False`. The switch checks CSSM's certificate against that clock (a clock before its notBefore or after its notAfter fails the handshake: %PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID / _EXPIRED), and CSSM rejects reports dated outside its tolerance. Its own stamps are then not reliable either.")
        .fix([
            "ntp server <ip>",
            "clock calendar-valid   (when the hardware calendar is set)",
            "show clock detail",
        ])
        .evidence(last_evidence(log, &idx)),
    )
}

/// `show call-home statistics`: failed HTTP messages. They count every call-home message
/// (Smart Call Home's inventory, syslog, configuration reports as well as licensing's) and
/// carry no time each: a warning about the transport licensing uses in the Call Home era,
/// never alone a licensing failure.
fn call_home_statistics(log: &SwitchLog, order: &[usize]) -> Vec<Finding> {
    order
        .iter()
        .filter_map(|&i| match &log.entries[i].kind {
            LogKind::CallHomeStatistics {
                http_success,
                http_failed,
                failed_types,
                last_sent,
            } if *http_failed > 0 => Some((i, *http_success, *http_failed, failed_types, last_sent)),
            _ => None,
        })
        .map(|(i, ok, failed, types, last)| {
            let summary = format!(
                "call-home HTTP messages failed: {failed} failed, {ok} succeeded{}{}",
                if types.is_empty() {
                    String::new()
                } else {
                    format!(" (failed: {})", types.join(", "))
                },
                match last {
                    Some(t) => format!("; last message sent {t}"),
                    None => "; no message sent time printed".into(),
                }
            );
            Finding::new(FindingCode::CommFailed, Severity::Warning, Step::Http, summary)
                .confidence(Confidence::Medium)
                .explain("The counters run since the switch started (or they were cleared) and count every call-home message over HTTP, Smart Call Home's own (inventory, syslog, configuration) as well as Smart Licensing's; they say neither which failed last nor when. Before 17.3.2 licensing travels the same call-home transport, so these failures point at it, but only the switch's licensing records decide.")
                .fix([
                    "show call-home profile all   (the destination URL and transport of each profile)",
                    "show logging | include CALL_HOME|SMART_LIC",
                    "show license all | include Last Communication Attempt",
                ])
                .evidence([evidence(log, &log.entries[i])])
        })
        .collect()
}

/// Failure → restore cycles. Syslog and eventlog lines of the same events are counted
/// apart (the larger count wins), so pasting both does not double the count.
fn flapping(log: &SwitchLog, order: &[usize], out: &mut Vec<Finding>) {
    let mut best: (usize, Vec<usize>) = (0, Vec::new());
    for eventlog in [false, true] {
        let mut failing = false;
        let mut cycles = 0;
        let mut idx = Vec::new();
        for &i in order {
            let k = &log.entries[i].kind;
            let is_event = matches!(
                k,
                LogKind::EventCommFail { .. } | LogKind::EventCommRestored
            );
            if is_event != eventlog || matches!(k, LogKind::TechSupport { .. }) {
                continue;
            }
            match role(k) {
                Role::Fail(..) => failing = true,
                Role::Restore if failing => {
                    failing = false;
                    cycles += 1;
                    idx.push(i);
                }
                _ => {}
            }
        }
        if cycles > best.0 {
            best = (cycles, idx);
        }
    }
    if best.0 < 2 {
        return;
    }
    let (cycles, idx) = best;
    out.push(
        Finding::new(
            FindingCode::CommFlapping,
            Severity::Warning,
            Step::Http,
            format!(
                "communication with licensing failed and recovered {cycles} times: an intermittent path"
            ),
        )
        .confidence(Confidence::High)
        .explain("COMM_FAILED followed by COMM_RESTORED, again and again: the path works sometimes. Look for what changes: a proxy or firewall cluster member, DNS answers that rotate to an unreachable address, loss on a link, a VRF/route that flaps. Run `licpath tui` to re-probe like mtr and watch which step fails.")
        .evidence(last_evidence(log, &idx)),
    );
}

/// Entries in time order when every entry has a time; otherwise in file order (logs are
/// printed oldest first; tech support has no order to respect).
fn entries_in_order(log: &SwitchLog) -> Vec<usize> {
    let mut v: Vec<usize> = (0..log.entries.len()).collect();
    let timed = log
        .entries
        .iter()
        .filter(|e| !matches!(e.kind, LogKind::TechSupport { .. }))
        .all(|e| e.switch_time_ns.is_some());
    if timed {
        v.sort_by_key(|&i| {
            let e = &log.entries[i];
            (e.switch_time_ns.unwrap_or(i64::MIN), e.file, e.line)
        });
    }
    v
}

/// Put the log on the timeline's clock and tie its failure/recovery messages to
/// connections. `given_offset_ns` (switch clock − capture clock) wins over the estimate.
pub fn correlate(log: &mut SwitchLog, t: &Timeline, given_offset_ns: Option<i64>) {
    let fails: Vec<(usize, i64)> = timed(log, |k| matches!(role(k), Role::Fail(..)));
    let restores: Vec<(usize, i64)> = timed(log, |k| matches!(role(k), Role::Restore));
    let mut failed_ends: Vec<(i64, u64)> = t
        .connections
        .iter()
        .filter(|c| c.licensing && c.verdict == Verdict::Failed)
        .map(|c| (c.end_ns, c.id))
        .collect();
    let mut ok_ends: Vec<(i64, u64)> = t
        .connections
        .iter()
        .filter(|c| c.licensing && c.verdict == Verdict::Ok)
        .map(|c| (c.end_ns, c.id))
        .collect();
    failed_ends.sort_unstable();
    ok_ends.sort_unstable();

    let offset = match given_offset_ns {
        Some(o) => {
            log.clock_offset_basis = format!(
                "given: the switch clock is {} the capture's",
                describe_offset(o)
            );
            Some(o)
        }
        None => {
            let best = estimate_offset(&fails, &restores, &failed_ends, &ok_ends);
            match best {
                Some((o, n)) => {
                    log.clock_offset_basis = format!(
                        "estimated: {n} failure/recovery message{} line up with licensing connections when the switch clock is {} the capture's{}",
                        if n == 1 { "" } else { "s" },
                        describe_offset(o),
                        if n == 1 { " (one pair only: weak)" } else { "" }
                    );
                    Some(o)
                }
                None => {
                    log.clock_offset_basis = if t.connections.is_empty() {
                        "no capture connections to line up with".into()
                    } else {
                        "unknown: no failure or recovery message lines up with a licensing connection; give --clock-offset".into()
                    };
                    None
                }
            }
        }
    };
    log.clock_offset_ns = offset;
    let Some(offset) = offset else {
        return;
    };
    for e in &mut log.entries {
        e.time_ns = e.switch_time_ns.map(|s| s - offset);
    }
    for (list, ends) in [(&fails, &failed_ends), (&restores, &ok_ends)] {
        for &(i, ts) in list {
            if let Some(id) = nearest(ends, ts - offset) {
                log.entries[i].connection = Some(id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
