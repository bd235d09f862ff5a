//! The `show license tech support` statistics that are not communication failures: the
//! server saying no (`server_rejected`), failures since recovered (`comm_flapping`), the
//! agent's own errors (`agent_error`) and, when nothing is wrong, the evidence that the
//! switch communicates (`switch_comm_ok`).

use super::{Stats, failure_ns, last_evidence, says_ok, success_said, superseded};
use crate::model::*;

/// Tech-support message types that are not communication failures, by what they show:
/// each with its entry and what it says.
#[derive(Default)]
pub(super) struct Outcomes<'a> {
    /// The server answered and declined (ongoing, `Communication=0`).
    pub(super) rejected: Vec<(usize, String)>,
    /// Failed before, succeeded since.
    pub(super) recovered: Vec<(usize, String)>,
    /// `BUILD REQUEST ERROR`: the agent failed before sending.
    pub(super) agent: Vec<(usize, String)>,
    /// `NO DATA TO PROCESS`: nothing to send.
    pub(super) no_data: Vec<&'a str>,
}

impl<'a> Outcomes<'a> {
    /// `latest`: the latest success of any record; an ongoing failure older than it is
    /// history (recovered), whatever its counter says.
    pub(super) fn of(
        log: &'a SwitchLog,
        order: &[usize],
        latest: Option<(i64, usize)>,
    ) -> Outcomes<'a> {
        let mut o = Outcomes::default();
        for &i in order {
            let e = &log.entries[i];
            let Some(s) = Stats::of(&e.kind) else {
                continue;
            };
            if s.total == 0 && s.last_response.is_none() {
                continue;
            }
            if s.ongoing > 0 && superseded(failure_ns(e), latest) {
                o.recovered.push((
                    i,
                    format!(
                        "{} on {} (ongoing failure counter {}), older than a later success on the same transport ({})",
                        s.said(),
                        s.last_failure.or(e.timestamp.as_deref()).unwrap_or("?"),
                        s.ongoing,
                        success_said(log, latest)
                    ),
                ));
                continue;
            }
            if s.ongoing_comm > 0 {
                continue;
            }
            match s.response {
                Some(Reply::BuildError) => o.agent.push((i, s.said())),
                _ if s.ongoing > 0 => o.rejected.push((i, s.said())),
                Some(Reply::NoData) => o.no_data.push(s.message_type),
                _ if s.fail > 0 && s.recovered => o.recovered.push((
                    i,
                    format!(
                        "{}: {} of {} attempts failed (last on {}), succeeded since (last on {})",
                        s.message_type,
                        s.fail,
                        s.total,
                        s.last_failure.unwrap_or("?"),
                        s.last_success.unwrap_or("?")
                    ),
                )),
                _ => {}
            }
        }
        o
    }
}

/// The entries of `v`.
pub(super) fn entries_of(v: &[(usize, String)]) -> Vec<usize> {
    v.iter().map(|(i, _)| *i).collect()
}

/// What the entries of `v` say, joined.
pub(super) fn said_of(v: &[(usize, String)]) -> String {
    v.iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The tech-support statistics that are not communication failures: the server saying
/// no, failures since recovered, the agent's own errors; and, when nothing is wrong, the
/// evidence that the switch communicates.
pub(super) fn tech_support(
    log: &SwitchLog,
    order: &[usize],
    latest: Option<(i64, usize)>,
    history: Vec<(usize, String)>,
    out: &mut Vec<Finding>,
) {
    let mut o = Outcomes::of(log, order, latest);
    out.extend(server_rejected(log, &o.rejected));
    o.recovered.extend(history);
    if let Some(f) = recovered_since(log, &o.recovered, out) {
        out.push(f);
    }
    out.extend(agent_error(log, &o.agent));
    if let Some(f) = switch_comm_ok(log, order, &o.no_data, out) {
        out.push(f);
    }
}

/// Ongoing failures that reached the server (`Communication=0`): it declined.
pub(super) fn server_rejected(log: &SwitchLog, rejected: &[(usize, String)]) -> Option<Finding> {
    if rejected.is_empty() {
        return None;
    }
    Some(
        Finding::new(
            FindingCode::ServerRejected,
            Severity::Warning,
            Step::Http,
            format!("the licensing server answered and declined: {}", said_of(rejected)),
        )
        .confidence(Confidence::High)
        .explain("These failures are counted as ongoing but not as communication failures (Communication=0): the request reached the server, which refused it or asked the switch to try again (OK_TRY_AGAIN). The network path works; the cause is on the server or account side (identity, registration, a server-side error).")
        .fix([
            "license smart sync all   (try again now)",
            "show license tech support   (does the failure persist?)",
            "check the device and its Virtual Account in CSSM (or CSLU / SSM On-Prem)",
        ])
        .evidence(last_evidence(log, &entries_of(rejected))),
    )
}

/// Message types that failed and succeeded since: flapping, unless the messages already
/// said so (a finding in `before`).
pub(super) fn recovered_since(
    log: &SwitchLog,
    recovered: &[(usize, String)],
    before: &[Finding],
) -> Option<Finding> {
    if recovered.is_empty() || before.iter().any(|f| f.code == FindingCode::CommFlapping) {
        return None;
    }
    Some(
        Finding::new(
            FindingCode::CommFlapping,
            Severity::Warning,
            Step::Http,
            format!(
                "some exchanges failed and later ones succeeded: {}",
                said_of(recovered)
            ),
        )
        .confidence(Confidence::Medium)
        .explain("The switch's records show failures followed by later successes over the same transport: the path worked after each failure (the latest record wins: an 'ongoing' counter of one message type that is older than another type's later success, or an ACK, is history). The path works now but did not always. If it keeps happening, look for what changes (a proxy or firewall cluster member, rotating DNS answers, a flapping route).")
        .evidence(last_evidence(log, &entries_of(recovered))),
    )
}

/// `BUILD REQUEST ERROR`: the agent failed before anything was sent.
pub(super) fn agent_error(log: &SwitchLog, agent: &[(usize, String)]) -> Option<Finding> {
    if agent.is_empty() {
        return None;
    }
    Some(
        Finding::new(
            FindingCode::AgentError,
            Severity::Info,
            Step::Http,
            format!(
                "the switch's licensing agent failed before sending: {}",
                said_of(agent)
            ),
        )
        .confidence(Confidence::High)
        .explain("BUILD REQUEST ERROR is printed when the switch could not build the request, before anything was sent: a local software condition, not a network failure. Other message types show whether the path works.")
        .fix(["show license tech support   (again later; if it persists, a TAC case with this output)"])
        .evidence(last_evidence(log, &entries_of(agent))),
    )
}

/// The evidence for an OK verdict from text: the entries that say the switch
/// communicates, unless a finding in `before` is an error.
pub(super) fn switch_comm_ok(
    log: &SwitchLog,
    order: &[usize],
    no_data: &[&str],
    before: &[Finding],
) -> Option<Finding> {
    if before.iter().any(|f| f.severity == Severity::Error) {
        return None;
    }
    let ok: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| says_ok(&log.entries[i].kind))
        .collect();
    if ok.is_empty() {
        return None;
    }
    let what: Vec<String> = ok.iter().map(|&i| ok_said(&log.entries[i])).collect();
    let nothing = if no_data.is_empty() {
        String::new()
    } else {
        format!(
            " {} answered NO DATA TO PROCESS: the switch had nothing to send, which is neither a success nor a failure of the path.",
            no_data.join(", ")
        )
    };
    Some(
        Finding::new(
            FindingCode::SwitchCommOk,
            Severity::Info,
            Step::Http,
            format!(
                "the switch's own records show its latest exchanges succeeded: {}",
                what.join("; ")
            ),
        )
        .confidence(Confidence::High)
        .explain(format!(
            "Each message type's latest response is a success with no ongoing failure, or the server answered (OK_TRY_AGAIN: it declined, see server_rejected), or CSSM (or CSLU) acknowledged a report, and no communication failure came after: the transport worked at those times. An ACK is the server's answer over this transport.{nothing}"
        ))
        .evidence(last_evidence(log, &ok)),
    )
}

/// What an entry that says the switch communicates says, in words.
pub(super) fn ok_said(e: &LogEntry) -> String {
    match &e.kind {
        k @ LogKind::TechSupport { .. } => Stats::of(k)
            .map(|s| {
                let on = e.timestamp.as_deref().unwrap_or("an unknown date");
                match (s.response, s.last_success) {
                    (Some(Reply::Success), _) => format!("{} on {on}", s.said()),
                    (_, Some(ok)) => format!(
                        "{} on {on}: the server answered (last success on {ok})",
                        s.said()
                    ),
                    _ => format!("{} on {on}: the server answered", s.said()),
                }
            })
            .unwrap_or_default(),
        LogKind::UsageReporting {
            last_ack,
            last_push,
            ack_after_push,
        } => {
            let ack = last_ack.as_deref().unwrap_or("?");
            match (ack_after_push, last_push) {
                (Some(false), Some(push)) => format!(
                    "ACK received {ack}: the transport worked then (the last report push, {push}, came after it and has no ACK yet)"
                ),
                (_, Some(push)) => {
                    format!("ACK received {ack} after the last report push {push}")
                }
                (_, None) => format!("ACK received {ack}"),
            }
        }
        _ => e.text.clone(),
    }
}
