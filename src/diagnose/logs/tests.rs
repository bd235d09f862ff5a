use super::tech_support::{
    Outcomes, agent_error, entries_of, recovered_since, said_of, server_rejected, switch_comm_ok,
};
use super::*;

#[test]
fn reasons_map_to_steps() {
    let c = classify(FailCause::Unresolved);
    assert_eq!((c.code, c.step), (FindingCode::DnsUnresolved, Step::Dns));
    let c = classify(FailCause::TimedOut);
    assert_eq!((c.code, c.step), (FindingCode::TcpTimeout, Step::Tcp));
    let c = classify(FailCause::Aborted);
    assert_eq!((c.code, c.step), (FindingCode::CommFailed, Step::Tls));
    let c = classify(FailCause::EmptyResponse);
    assert_eq!(
        (c.code, c.step, c.confidence),
        (FindingCode::CommFailed, Step::Http, Confidence::Medium)
    );
    let c = classify(FailCause::NoTransport);
    assert_eq!(
        (c.code, c.step, c.confidence),
        (FindingCode::CommFailed, Step::Http, Confidence::High)
    );
    let c = classify(FailCause::Other);
    assert_eq!(
        (c.code, c.step, c.confidence),
        (FindingCode::CommFailed, Step::Http, Confidence::Low)
    );
}

/// A failure reason as the reader gives it.
fn reason(cause: FailCause, text: &str) -> FailReason {
    FailReason {
        cause,
        text: text.into(),
    }
}

/// A log of untimed entries (kept in file order), one per kind, lines 1, 2, ...
fn log_of(kinds: Vec<LogKind>) -> SwitchLog {
    SwitchLog {
        files: vec!["show.txt".into()],
        entries: kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| LogEntry {
                file: 0,
                line: i as u64 + 1,
                timestamp: None,
                switch_time_ns: None,
                time_inferred: false,
                time_ns: None,
                kind,
                text: format!("entry {}", i + 1),
                connection: None,
            })
            .collect(),
        ..SwitchLog::default()
    }
}

fn failed(cause: FailCause, text: &str) -> LogKind {
    LogKind::CommFailed {
        server: "cssm".into(),
        reason: reason(cause, text),
    }
}

/// A tech-support message type: attempts, last response, `Ongoing Failure` counts.
fn tech(message_type: &str, total: u64, fail: u64, reply: Reply, ongoing: (u64, u64)) -> LogKind {
    let text = match reply {
        Reply::Success => "OK",
        Reply::NoData => "NO DATA TO PROCESS",
        Reply::TryAgain => "OK_TRY_AGAIN",
        Reply::BuildError => "BUILD REQUEST ERROR",
        Reply::NoReply => "NO REPLY",
        Reply::Other => "INVALID STATUS CODE",
    };
    LogKind::TechSupport {
        message_type: message_type.into(),
        total: Some(total),
        success: Some(total - fail),
        fail: Some(fail),
        last_response: Some(LastResponse {
            reply,
            reason: reason(FailCause::Other, text),
        }),
        failure_reason: None,
        ongoing_overall: Some(ongoing.0),
        ongoing_communication: Some(ongoing.1),
        last_success: None,
        last_failure: None,
        // An ongoing failure came after the last success; another failure before it.
        last_success_ns: (fail < total).then_some(2),
        last_failure_ns: (fail > 0).then_some(if ongoing.0 > 0 { 3 } else { 1 }),
    }
}

fn codes(fs: &[Finding]) -> Vec<&'static str> {
    fs.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn failures_group_by_meaning_and_a_later_restore_makes_history() {
    let log = log_of(vec![
        failed(FailCause::TimedOut, "Connection timed out"),
        LogKind::CallHomeFailed {
            url: None,
            error: Some(207),
            reason: reason(FailCause::TimedOut, "Connection time out"),
        },
        failed(FailCause::TimedOut, " Connection timed out "),
        LogKind::CommRestored {
            server: "cssm".into(),
        },
        failed(FailCause::Unresolved, "Unable to resolve server hostname"),
    ]);
    let order = entries_in_order(&log);
    let groups = failure_groups(&log, &order, None);
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0].reasons,
        ["Connection timed out", "Connection time out"]
    );
    assert_eq!(groups[0].positions, [0, 1, 2]);
    let (fs, history) = comm_failures(&log, &order, None);
    assert_eq!(codes(&fs), ["tcp_timeout", "dns_unresolved"]);
    // The recovered group is history, said as flapping by `log_findings`.
    assert_eq!(entries_of(&history), [2]);
    assert!(history[0].1.ends_with("restored since"), "{}", history[0].1);
    assert_eq!(
        codes(&log_findings(&log)),
        ["tcp_timeout", "dns_unresolved", "comm_flapping"]
    );
    assert_eq!(fs[0].severity, Severity::Warning);
    assert_eq!(
        fs[0].summary,
        "the switch's connection timed out: \"Connection timed out\" / \"Connection time out\" (3 messages, communication restored since)"
    );
    assert_eq!(fs[1].severity, Severity::Error);
    assert_eq!(fs[1].evidence[0].log.as_deref(), Some("show.txt:5"));
}

#[test]
fn tech_support_sorts_message_types_by_outcome() {
    let log = log_of(vec![
        tech("Usage Reporting", 5, 4, Reply::TryAgain, (2, 0)),
        tech("Trust Establishment", 3, 1, Reply::Success, (0, 0)),
        tech("Authorization Request", 1, 1, Reply::BuildError, (1, 0)),
        tech("Hello Message", 4, 0, Reply::NoData, (0, 0)),
        // Communication failures are the classifier's, not these rules'.
        tech("Result Polling", 2, 1, Reply::NoReply, (1, 1)),
    ]);
    let order = entries_in_order(&log);
    let o = Outcomes::of(&log, &order, None);
    assert_eq!(entries_of(&o.rejected), [0]);
    assert_eq!(entries_of(&o.recovered), [1]);
    assert_eq!(entries_of(&o.agent), [2]);
    assert_eq!(o.no_data, ["Hello Message"]);
    assert_eq!(said_of(&o.rejected), "Usage Reporting: OK_TRY_AGAIN");

    let fs = log_findings(&log);
    // The ongoing NO REPLY is an error: no "communicates" finding then.
    assert_eq!(
        codes(&fs),
        [
            "comm_failed",
            "server_rejected",
            "comm_flapping",
            "agent_error"
        ]
    );
    let mut quiet = log.clone();
    quiet.entries.pop();
    let fs = log_findings(&quiet);
    assert_eq!(
        codes(&fs),
        [
            "server_rejected",
            "comm_flapping",
            "agent_error",
            "switch_comm_ok"
        ]
    );
    let ok = fs.last().unwrap();
    assert!(
        ok.summary
            .contains("Trust Establishment: OK on an unknown date"),
        "{}",
        ok.summary
    );
    assert!(
        ok.explanation
            .contains(" Hello Message answered NO DATA TO PROCESS")
    );
}

#[test]
fn without_ongoing_counters_a_failing_reply_not_recovered_is_ongoing() {
    let without_counters = |reply| {
        let mut k = tech("Usage Reporting", 3, 1, reply, (0, 0));
        if let LogKind::TechSupport {
            ongoing_overall,
            ongoing_communication,
            last_success_ns,
            ..
        } = &mut k
        {
            (*ongoing_overall, *ongoing_communication, *last_success_ns) = (None, None, None);
        }
        log_findings(&log_of(vec![k]))
    };
    for reply in [Reply::NoReply, Reply::Other] {
        let fs = without_counters(reply);
        assert_eq!(codes(&fs), ["comm_failed"], "{reply:?}");
        assert_eq!(fs[0].severity, Severity::Error);
        assert!(
            fs[0].summary.contains(
                "Usage Reporting: 1 of 3 attempts failed, 1 ongoing communication failure"
            ),
            "{}",
            fs[0].summary
        );
    }
    assert!(
        without_counters(Reply::NoReply)[0]
            .summary
            .contains("\"NO REPLY\"")
    );
    // The server answered: it declined, and the transport worked.
    assert_eq!(
        codes(&without_counters(Reply::TryAgain)),
        ["server_rejected", "switch_comm_ok"]
    );
}

#[test]
fn the_latest_record_wins() {
    let at = |mut e: LogEntry, t: i64| {
        e.switch_time_ns = Some(t);
        e
    };
    // Result Polling: one NO REPLY counted as ongoing (Communication=1) at t=100, then
    // Trust Sync OK at t=150 and an ACK at t=200: the counter is history.
    let mut polling = tech("Result Polling", 5, 1, Reply::NoReply, (1, 1));
    if let LogKind::TechSupport {
        last_failure_ns,
        last_success_ns,
        ..
    } = &mut polling
    {
        *last_failure_ns = Some(100);
        *last_success_ns = Some(50);
    }
    let mut sync = tech("Trust Sync", 3, 0, Reply::Success, (0, 0));
    if let LogKind::TechSupport {
        last_success_ns, ..
    } = &mut sync
    {
        *last_success_ns = Some(150);
    }
    let ack = LogKind::UsageReporting {
        last_ack: Some("Nov 28".into()),
        last_push: Some("Nov 28".into()),
        ack_after_push: Some(false),
    };
    let mut log = log_of(vec![polling, sync, ack]);
    log.entries[0] = at(log.entries[0].clone(), 100);
    log.entries[2] = at(log.entries[2].clone(), 200);
    let fs = log_findings(&log);
    assert_eq!(codes(&fs), ["comm_flapping", "switch_comm_ok"]);
    assert!(
        fs[0].summary.contains("Result Polling: NO REPLY")
            && fs[0].summary.contains("ACK received Nov 28"),
        "{}",
        fs[0].summary
    );
    // An ACK before the last push still proves the transport worked then.
    assert!(
        fs[1].summary.contains("the transport worked then"),
        "{}",
        fs[1].summary
    );
    // The same failure after the last success: an error, not history.
    log.entries[0].switch_time_ns = Some(300);
    if let LogKind::TechSupport {
        last_failure_ns, ..
    } = &mut log.entries[0].kind
    {
        *last_failure_ns = Some(300);
    }
    let fs = log_findings(&log);
    assert_eq!(codes(&fs), ["comm_failed"]);
    assert_eq!(fs[0].severity, Severity::Error);
    // A syslog failure older than an ACK: a warning and flapping; newer: an error.
    let mut log = log_of(vec![
        failed(FailCause::TimedOut, "Connection timed out"),
        ack_only(),
    ]);
    log.entries[0].switch_time_ns = Some(10);
    log.entries[1].switch_time_ns = Some(20);
    let fs = log_findings(&log);
    assert_eq!(
        codes(&fs),
        ["tcp_timeout", "comm_flapping", "switch_comm_ok"]
    );
    assert_eq!(fs[0].severity, Severity::Warning);
    log.entries[0].switch_time_ns = Some(30);
    assert_eq!(log_findings(&log)[0].severity, Severity::Error);
}

fn ack_only() -> LogKind {
    LogKind::UsageReporting {
        last_ack: Some("Nov 28".into()),
        last_push: None,
        ack_after_push: Some(true),
    }
}

#[test]
fn clock_signs_and_call_home_statistics() {
    let log = log_of(vec![
        LogKind::ClockUnsynced {
            sign: "No time source".into(),
        },
        LogKind::CallHomeStatistics {
            http_success: 0,
            http_failed: 3,
            failed_types: vec!["Inventory 1".into(), "SysLog 2".into()],
            last_sent: None,
        },
        LogKind::ClockUnsynced {
            sign: "No time source".into(),
        },
    ]);
    let fs = log_findings(&log);
    assert_eq!(codes(&fs), ["comm_failed", "switch_clock_unsynced"]);
    // Call-home's counters are not licensing's alone: never an error by themselves.
    assert_eq!(fs[0].severity, Severity::Warning);
    assert!(fs[0].summary.contains("(failed: Inventory 1, SysLog 2)"));
    assert_eq!(fs[1].severity, Severity::Info);
    assert_eq!(
        fs[1].summary,
        "the switch's clock is not synchronised: No time source"
    );
    assert_eq!(fs[1].evidence.len(), 2);
}

#[test]
fn tech_support_defers_to_the_findings_before_it() {
    let log = log_of(vec![tech(
        "Trust Establishment",
        3,
        1,
        Reply::Success,
        (0, 0),
    )]);
    let recovered = [(0, "x".to_string())];
    let flapping = Finding::new(FindingCode::CommFlapping, Severity::Warning, Step::Http, "");
    assert!(recovered_since(&log, &recovered, std::slice::from_ref(&flapping)).is_none());
    assert!(recovered_since(&log, &recovered, &[]).is_some());
    let error = Finding::new(FindingCode::TcpTimeout, Severity::Error, Step::Tcp, "");
    assert!(switch_comm_ok(&log, &[0], &[], &[error]).is_none());
    assert!(switch_comm_ok(&log, &[0], &[], &[flapping]).is_some());
    assert!(server_rejected(&log, &[]).is_none() && agent_error(&log, &[]).is_none());
}

#[test]
fn pki_messages_per_trustpoint_and_validity() {
    let crl = |tp: Option<(Chain, &str)>, reason: Option<&str>| LogKind::CrlFetchFail {
        trustpoint: tp.map(|(chain, name)| Trustpoint {
            chain,
            name: name.into(),
        }),
        reason: reason.map(Into::into),
    };
    let log = log_of(vec![
        crl(Some((Chain::Licensing, "SLA-TrustPoint")), Some("old")),
        crl(Some((Chain::Other, "DNAC-CA")), None),
        crl(
            Some((Chain::Licensing, "SLA-TrustPoint")),
            Some("Enrollment URL not configured"),
        ),
        crl(Some((Chain::Licensing, "SLA-TrustPoint")), None),
        crl(None, None),
        LogKind::CertExpired,
        LogKind::CertExpired,
    ]);
    let order = entries_in_order(&log);
    let fs = crl_fetch_failures(&log, &order);
    let severities: Vec<Severity> = fs.iter().map(|f| f.severity).collect();
    // On the licensing chain an error; unnamed a warning; another service's context.
    assert_eq!(
        severities,
        [Severity::Error, Severity::Info, Severity::Warning]
    );
    assert_eq!(
        fs[0].summary,
        "the switch could not fetch the CRL for trustpoint SLA-TrustPoint: Enrollment URL not configured (3 times)"
    );
    assert!(
        fs[1]
            .summary
            .starts_with("context, not a licensing failure"),
        "{}",
        fs[1].summary
    );
    assert_eq!(
        fs[1].remediation,
        ["crypto pki trustpoint DNAC-CA", " revocation-check none"]
    );
    let fs = cert_validity(&log, &order);
    assert_eq!(codes(&fs), ["cert_expired"]);
    assert!(fs[0].summary.ends_with("(2 times)"));
    assert_eq!(fs[0].evidence.len(), 2);
}

#[test]
fn offset_prefers_most_matches() {
    // Three failures 3600 s ahead of three failed connections; one decoy.
    let s = 1_000_000_000;
    let ends = vec![(100 * s, 1), (400 * s, 2), (900 * s, 3), (5000 * s, 4)];
    let fails: Vec<(usize, i64)> = [102, 401, 905]
        .iter()
        .enumerate()
        .map(|(i, t)| (i, (t + 3600) * s))
        .collect();
    let (o, n) = estimate_offset(&fails, &[], &ends, &[]).unwrap();
    assert_eq!(n, 3);
    assert!((o - 3600 * s).abs() <= 5 * s, "{o}");
    assert_eq!(nearest(&ends, 399 * s), Some(2));
    assert_eq!(nearest(&ends, 2000 * s), None);
}
