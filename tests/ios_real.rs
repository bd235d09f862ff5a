//! Real switch output (../shared/ios-real: 39 outputs byte for byte from public parser
//! test suites, listed in its README), one test per file: the verdict and the finding
//! codes the text itself supports, and the values read (transport, proxy, counters, last
//! success in UTC). Skipped, with a printed reason, when the folder is absent.

use licpath::diagnose::logs::text_findings;
use licpath::diagnose::verdict::{OverallVerdict, overall_verdict};
use licpath::ios::plan::InterfaceMap;
use licpath::ios::{SwitchText, read_switch_text};
use licpath::model::switch::Command;
use licpath::model::*;

mod common;

struct Judged {
    text: SwitchText,
    findings: Vec<Finding>,
    verdict: OverallVerdict,
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ios-real")
}

/// The files pasted together, judged as `analyze --logs` does; `None` when the corpus is
/// absent.
fn judge(names: &[&str]) -> Option<Judged> {
    let d = dir();
    if !d.is_dir() {
        eprintln!("skipped: {} is absent", d.display());
        return None;
    }
    let inputs: Vec<(String, String)> = names
        .iter()
        .map(|n| {
            let p = d.join(n);
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (n.to_string(), licpath::ios::decode_text(n, &bytes).unwrap())
        })
        .collect();
    // As `analyze --logs` reads them: no year is invented for stamps without one.
    let text = read_switch_text(&inputs, None, &InterfaceMap::default()).unwrap();
    let findings = text_findings(&text.config, &text.plan, &text.log);
    let mut t = Timeline::empty(Source::Logs {
        files: names.iter().map(|n| n.to_string()).collect(),
    });
    t.findings = findings.clone();
    t.switch_log = Some(text.log.clone());
    let verdict = overall_verdict(&t);
    Some(Judged {
        text,
        findings,
        verdict,
    })
}

/// `code:severity`, sorted.
fn codes(fs: &[Finding]) -> Vec<String> {
    let mut v: Vec<String> = fs
        .iter()
        .map(|f| format!("{}:{}", f.code.as_str(), f.severity.as_str()))
        .collect();
    v.sort();
    v
}

/// The verdict and codes, and every finding quoting `file:line` of the files given. The
/// verdict is the file's independent judgement (tests/judgements, issue 22), never what
/// licpath printed: a `logs` judgement's verdict; a text judged as a plan (a configuration,
/// `show version`) records no exchange, so `analyze --logs` cannot decide: inconclusive.
fn check(j: &Judged, want: &[&str]) {
    let [file] = j.text.config.files.as_slice() else {
        panic!("one file per judgement: {:?}", j.text.config.files)
    };
    let judged = common::judgement(&format!("../shared/ios-real/{file}"))
        .unwrap_or_else(|| panic!("{file}: no judgement in tests/judgements"));
    let verdict = match judged.command.as_str() {
        "logs" => judged.verdict.clone(),
        _ => "inconclusive".to_string(),
    };
    let said = match j.verdict {
        OverallVerdict::Ok => "ok",
        OverallVerdict::Failed => "failed",
        OverallVerdict::Inconclusive => "inconclusive",
        OverallVerdict::NoLicensingTraffic => "no_licensing_traffic",
    };
    let found = codes(&j.findings);
    for c in &judged.codes {
        assert!(
            found
                .iter()
                .any(|f| f.split(':').next() == Some(c.as_str())),
            "{file}: judged {c} missing from {found:?}"
        );
    }
    for c in &judged.absent {
        assert!(
            !found
                .iter()
                .any(|f| f.split(':').next() == Some(c.as_str())),
            "{file}: {c} present, judged absent"
        );
    }
    assert_eq!(
        (said, found),
        (
            verdict.as_str(),
            want.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        ),
        "{:#?}",
        j.findings
    );
    for f in &j.findings {
        assert!(!f.evidence.is_empty(), "{} quotes nothing", f.code.as_str());
        for e in &f.evidence {
            let at = e.log.as_deref().unwrap_or("");
            assert!(
                j.text
                    .config
                    .files
                    .iter()
                    .any(|n| at.starts_with(n.as_str())),
                "{}: evidence {at:?} names no input file",
                f.code.as_str()
            );
        }
    }
}

/// The commands recognised, in order.
fn commands(j: &Judged) -> Vec<Command> {
    j.text.config.commands.iter().map(|c| c.command).collect()
}

/// A tech-support message type's statistics: (total, success, fail, ongoing overall,
/// ongoing communication, last response, failure reason, last success ns, last failure ns).
type Block = (
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn block(j: &Judged, name: &str) -> Block {
    let found: Vec<Block> = j
        .text
        .log
        .entries
        .iter()
        .filter_map(|e| match &e.kind {
            LogKind::TechSupport {
                message_type,
                total,
                success,
                fail,
                ongoing_overall,
                ongoing_communication,
                last_response,
                failure_reason,
                last_success_ns,
                last_failure_ns,
                ..
            } if message_type == name => Some((
                *total,
                *success,
                *fail,
                *ongoing_overall,
                *ongoing_communication,
                last_response.as_ref().map(|r| r.reason.text.clone()),
                failure_reason.as_ref().map(|r| r.text.clone()),
                *last_success_ns,
                *last_failure_ns,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found.into_iter().next().unwrap_or_default()
}

const S: i64 = 1_000_000_000;

/// The plan's proxy as it prints (`HOST:PORT`), if any.
fn plan_proxy(j: &Judged) -> Option<String> {
    j.text.plan.proxy.as_ref().map(ToString::to_string)
}

fn status(j: &Judged) -> licpath::model::switch::StatusTransport {
    j.text.config.status.clone().unwrap_or_default()
}

fn usage(j: &Judged) -> (Option<String>, Option<String>, Option<bool>) {
    j.text
        .log
        .entries
        .iter()
        .find_map(|e| match &e.kind {
            LogKind::UsageReporting {
                last_ack,
                last_push,
                ack_after_push,
            } => Some((last_ack.clone(), last_push.clone(), *ack_after_push)),
            _ => None,
        })
        .unwrap_or_default()
}

fn finding(j: &Judged, code: FindingCode) -> &Finding {
    j.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code:?}"))
}

// ---- show license tech support -------------------------------------------------------

#[test]
fn tech_support_c9300_stack_smart_direct_all_ok() {
    let Some(j) = judge(&["show_license_tech_support__c9300-stack-smart-direct-all-ok.txt"]) else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(commands(&j), [Command::LicenseTechSupport]);
    assert_eq!(j.text.plan.transport.as_str(), "smart");
    assert_eq!(
        j.text.plan.targets[0].written,
        "https://smartreceiver.cisco.com/licservice/license"
    );
    assert_eq!(j.text.plan.proxy, None);
    let st = status(&j);
    assert_eq!(st.comm_level.as_deref(), Some("DIRECT"));
    assert_eq!(st.overall_state, None, "<empty>");
    assert_eq!(
        st.trust_installed,
        Some(true),
        "Overall Trust: INSTALLED (2)"
    );
    assert_eq!(st.agent_version.as_deref(), Some("5.1.26_rel/120"));
    let b = block(&j, "Result Polling");
    assert_eq!(
        (b.0, b.1, b.2, b.3, b.4),
        (Some(4), Some(4), Some(0), Some(0), Some(0))
    );
    assert_eq!(b.5.as_deref(), Some("OK"));
    assert_eq!(b.7, Some(1_647_951_541 * S), "Mar 22 12:19:01 2022 UTC");
    assert_eq!(block(&j, "Usage Reporting").5.as_deref(), Some("OK_POLL"));
    assert_eq!(
        usage(&j),
        (
            Some("Mar 22 12:19:01 2022 UTC".into()),
            Some("Mar 22 12:14:02 2022 UTC".into()),
            Some(true)
        )
    );
}

#[test]
fn tech_support_c9410r_cslu_build_request_error_is_local() {
    let Some(j) =
        judge(&["show_license_tech_support__c9410r-cslu-addr-authreq-build-request-error.txt"])
    else {
        return;
    };
    // BUILD REQUEST ERROR: the agent failed before sending; every other type succeeded.
    // `Clock sync-ed with NTP: False` (Other Info): the clock sign, context.
    check(
        &j,
        &[
            "agent_error:info",
            "switch_clock_unsynced:info",
            "switch_comm_ok:info",
        ],
    );
    assert_eq!(
        commands(&j),
        [Command::LicenseTechSupport],
        "echoed command, then the output"
    );
    assert_eq!(j.text.plan.transport.as_str(), "cslu");
    assert_eq!(
        j.text.plan.targets[0].written,
        "http://1.4.135.115:8182/cslu/v1/pi"
    );
    // Counters that do not add up are kept as printed.
    let b = block(&j, "Authorization Request");
    assert_eq!((b.0, b.1, b.2), (Some(2), Some(0), Some(0)));
    assert_eq!(
        (b.5.as_deref(), b.6.as_deref()),
        (Some("BUILD REQUEST ERROR"), Some("Null pointer Error"))
    );
    let hello = block(&j, "Hello Message");
    assert_eq!(
        (hello.0, hello.1),
        (Some(11), Some(11)),
        "not the following Telemetry Reporting's zeros"
    );
    assert_eq!(hello.7, Some(1_665_699_509 * S), "Oct 13 15:18:29 2022 PDT");
    // Last ACK (Oct 11) before the last push (Oct 13): no proof by itself.
    assert_eq!(usage(&j).2, Some(false));
}

#[test]
fn tech_support_c9300_cslu_empty_hello_no_reply_30() {
    let Some(j) = judge(&["show_license_tech_support__c9300-cslu-empty-hello-noreply-30.txt"])
    else {
        return;
    };
    // Line 386, `Clock sync-ed with NTP: False` (Other Info): the clock sign.
    check(
        &j,
        &[
            "comm_failed:error",
            "config_cslu_no_address:warning",
            "switch_clock_unsynced:info",
        ],
    );
    let clock = finding(&j, FindingCode::SwitchClockUnsynced);
    assert_eq!(
        (
            clock.evidence[0].log.as_deref(),
            clock.evidence[0].what.as_str()
        ),
        (
            Some("show_license_tech_support__c9300-cslu-empty-hello-noreply-30.txt:386"),
            "Clock sync-ed with NTP: False"
        )
    );
    let st = status(&j);
    assert_eq!(
        (st.kind.as_deref(), st.cslu_address.as_deref()),
        (Some("cslu"), None)
    );
    // `Proxy: ` then `Address: <empty>` at column 0: still the proxy, still empty.
    assert_eq!(st.proxy_address, None);
    assert_eq!(st.vrf, None);
    assert_eq!(st.comm_level.as_deref(), Some("INDIRECT"));
    let b = block(&j, "Hello Message");
    assert_eq!(
        (b.0, b.1, b.2, b.3, b.4),
        (Some(30), Some(0), Some(30), Some(30), Some(30))
    );
    assert_eq!((b.7, b.8), (None, Some(1_689_254_275 * S)));
    let f = finding(&j, FindingCode::CommFailed);
    assert!(
        f.summary
            .contains("Hello Message: 30 of 30 attempts failed, 30 ongoing"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("show_license_tech_support__c9300-cslu-empty-hello-noreply-30.txt:234")
    );
}

#[test]
fn tech_support_c9407r_one_old_result_polling_failure_is_not_failed() {
    let Some(j) = judge(&["show_license_tech_support__c9407r-smart-proxy-resultpoll-1fail.txt"])
    else {
        return;
    };
    check(&j, &["comm_flapping:warning", "switch_comm_ok:info"]);
    assert_eq!(plan_proxy(&j).as_deref(), Some("173.36.224.109:80"));
    let b = block(&j, "Result Polling");
    assert_eq!(
        (b.0, b.1, b.2, b.3, b.4),
        (Some(5), Some(4), Some(1), Some(0), Some(0))
    );
    assert_eq!(b.7, Some(1_701_164_617 * S), "Nov 28 02:43:37 2023 PDT");
    assert_eq!(b.8, Some(1_701_077_942 * S), "Nov 27 02:39:02 2023 PDT");
    let f = finding(&j, FindingCode::CommFlapping);
    assert!(
        f.summary.contains(
            "Result Polling: 1 of 5 attempts failed (last on Nov 27 02:39:02 2023 PDT), succeeded since (last on Nov 28 02:43:37 2023 PDT)"
        ),
        "{}",
        f.summary
    );
    // NO DATA TO PROCESS: nothing to send, said as such, not a failure.
    let a = block(&j, "Authorization Request");
    assert_eq!((a.5.as_deref(), a.7), (Some("NO DATA TO PROCESS"), None));
    let ok = finding(&j, FindingCode::SwitchCommOk);
    assert!(
        ok.explanation
            .contains("Authorization Request answered NO DATA TO PROCESS"),
        "{}",
        ok.explanation
    );
}

#[test]
fn tech_support_c9300_3stack_cslu_hello_no_reply_210_pdt() {
    let Some(j) =
        judge(&["show_license_tech_support__c9300-3stack-cslu-hello-noreply-210-pdt.txt"])
    else {
        return;
    };
    check(
        &j,
        &[
            "comm_failed:error",
            "config_cslu_no_address:warning",
            "switch_clock_unsynced:info", // Clock sync-ed with NTP: False
        ],
    );
    assert_eq!(
        j.text.plan.targets[0].written,
        "http://cslu-local:8182/cslu/v1/pi"
    );
    let b = block(&j, "Hello Message");
    assert_eq!((b.0, b.2, b.4), (Some(210), Some(210), Some(210)));
    assert_eq!(b.8, Some(1_701_537_151 * S), "Dec 02 10:12:31 2023 PDT");
    assert_eq!(block(&j, "Telemetry Reporting").0, Some(0));
    assert_eq!(
        status(&j).trust_installed,
        Some(false),
        "Trust Code Installed: <none>"
    );
}

#[test]
fn tech_support_c9300l_without_title_hello_no_reply_205_pst() {
    let Some(j) = judge(&["show_license_tech_support__c9300l-cslu-hello-noreply-205-pst.txt"])
    else {
        return;
    };
    check(
        &j,
        &[
            "comm_failed:error",
            "config_cslu_no_address:warning",
            "switch_clock_unsynced:info", // Clock sync-ed with NTP: False
        ],
    );
    assert_eq!(commands(&j), [Command::LicenseTechSupport]);
    let b = block(&j, "Hello Message");
    assert_eq!(
        (b.0, b.4, b.5.as_deref()),
        (Some(205), Some(205), Some("NO REPLY"))
    );
    assert_eq!(b.8, Some(1_702_976_413 * S), "Dec 19 01:00:13 2023 PST");
}

#[test]
fn tech_support_c9606r_proxy_ist_ok() {
    let Some(j) = judge(&["show_license_tech_support__c9606r-smart-proxy-ist-ok.txt"]) else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(plan_proxy(&j).as_deref(), Some("173.36.224.108:80"));
    assert_eq!(
        block(&j, "Trust Sync").7,
        Some(1_709_012_886 * S),
        "Feb 27 11:18:06 2024 IST"
    );
    assert_eq!(
        status(&j).trust_installed,
        Some(true),
        "Trust Code Installed: <date>"
    );
}

#[test]
fn tech_support_c9300_offline_state_no_attempts_is_inconclusive() {
    let Some(j) =
        judge(&["show_license_tech_support__c9300-stack-smart-offline-state-no-attempts.txt"])
    else {
        return;
    };
    // `No time source, *17:05:54.449 UTC ...`: the clock is not synchronised.
    check(
        &j,
        &[
            "config_transport_off:warning",
            "switch_clock_unsynced:info",
            "text_inconclusive:info",
        ],
    );
    assert_eq!(
        status(&j).overall_state.as_deref(),
        Some("Device configured for Offline transport")
    );
    assert_eq!(
        finding(&j, FindingCode::SwitchClockUnsynced).evidence[0]
            .log
            .as_deref(),
        Some("show_license_tech_support__c9300-stack-smart-offline-state-no-attempts.txt:2")
    );
    let inc = finding(&j, FindingCode::TextInconclusive);
    assert!(
        inc.summary.contains("every attempt counter is 0"),
        "{}",
        inc.summary
    );
    assert!(
        inc.remediation
            .iter()
            .any(|r| r.starts_with("show logging"))
    );
}

#[test]
fn tech_support_c9300_offline_trust_sync_try_again_is_server_side() {
    let Some(j) =
        judge(&["show_license_tech_support__c9300-stack-smart-offline-trustsync-try-again.txt"])
    else {
        return;
    };
    // Communication=0: the server answered (OK_TRY_AGAIN) after a success, so the transport
    // worked; it declined, which is not a transport failure (judgement: ok).
    check(
        &j,
        &[
            "config_transport_off:warning",
            "server_rejected:warning",
            "switch_clock_unsynced:info",
            "switch_comm_ok:info",
        ],
    );
    let ok = finding(&j, FindingCode::SwitchCommOk);
    assert!(
        ok.summary
            .contains("the server answered (last success on Nov 15 18:43:15 2024 UTC)"),
        "{}",
        ok.summary
    );
    let b = block(&j, "Trust Sync");
    assert_eq!(
        (b.0, b.1, b.2, b.3, b.4),
        (Some(2), Some(1), Some(1), Some(1), Some(0)),
        "one space before Ongoing"
    );
    assert_eq!(
        b.6.as_deref(),
        Some("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT")
    );
    assert_eq!(
        (b.7, b.8),
        (Some(1_731_696_195 * S), Some(1_731_696_347 * S))
    );
    let f = finding(&j, FindingCode::ServerRejected);
    assert!(
        f.summary.contains("LS_LICENGINE_FAIL_TO_CONNECT"),
        "{}",
        f.summary
    );
}

#[test]
fn tech_support_c9500_svl_offline_state_ist() {
    let Some(j) =
        judge(&["show_license_tech_support__c9500-svl-smart-proxy-offline-state-ist.txt"])
    else {
        return;
    };
    check(
        &j,
        &["config_transport_off:warning", "text_inconclusive:info"],
    );
    assert_eq!(plan_proxy(&j).as_deref(), Some("173.36.224.108:80"));
    assert_eq!(
        status(&j).trust_installed,
        Some(false),
        "No Trust Data / No ID"
    );
}

#[test]
fn tech_support_c9500_trust_established_utc() {
    let Some(j) =
        judge(&["show_license_tech_support__c9500-smart-proxy-trust-established-utc.txt"])
    else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(block(&j, "Trust Sync").7, Some(1_745_298_132 * S));
    // `Trust Code Installed:    Trust Code Type: CSSM`, then per-member INSTALLED lines.
    assert_eq!(status(&j).trust_installed, Some(true));
    assert_eq!(
        usage(&j),
        (Some("Apr 22 05:01:33 2025 UTC".into()), None, Some(true))
    );
}

// ---- show license all ---------------------------------------------------------------

#[test]
fn license_all_c9300_callhome_2021_says_nothing_either_way() {
    let Some(j) = judge(&["show_license_all__c9300-stack-callhome-2021.txt"]) else {
        return;
    };
    // No running-config: no call-home judgement (a status view cannot show
    // `service call-home`).
    check(&j, &["text_inconclusive:info"]);
    assert_eq!(commands(&j), [Command::LicenseAll]);
    assert_eq!(j.text.plan.transport.as_str(), "callhome");
    assert_eq!(usage(&j), (None, None, None));
}

#[test]
fn license_all_c9407r_ack_after_push_is_ok() {
    let Some(j) = judge(&["show_license_all__c9407r-smart-proxy-pdt.txt"]) else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(plan_proxy(&j).as_deref(), Some("173.36.224.109:80"));
    assert_eq!(usage(&j).2, Some(true));
    assert_eq!(status(&j).trust_installed, Some(true));
}

#[test]
fn license_all_csr1000v_legacy_last_communication_succeeded() {
    let Some(j) = judge(&["show_license_all__csr1000v-legacy-registered-callhome.txt"]) else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(j.text.plan.transport.as_str(), "callhome");
    let e = j
        .text
        .log
        .entries
        .iter()
        .find(|e| matches!(e.kind, LogKind::LastCommAttempt { .. }))
        .expect("the legacy line");
    assert_eq!(
        e.kind,
        LogKind::LastCommAttempt {
            result: AttemptResult {
                outcome: Attempt::Succeeded,
                reason: FailReason {
                    cause: FailCause::Other,
                    text: "SUCCEEDED".into()
                }
            }
        }
    );
    assert_eq!(e.line, 18);
}

#[test]
fn license_all_c9350_4member_stack_proxy() {
    let Some(j) = judge(&["show_license_all__c9350-4member-stack-smart-proxy.txt"]) else {
        return;
    };
    check(&j, &["switch_comm_ok:info"]);
    assert_eq!(plan_proxy(&j).as_deref(), Some("173.36.224.109:80"));
    assert_eq!(status(&j).trust_installed, Some(true));
}

#[test]
fn license_all_c9350_stage_url_ack_before_push() {
    let Some(j) = judge(&["show_license_all__c9350-stack-stage-url-proxy-not-configured-ist.txt"])
    else {
        return;
    };
    // Last ACK 15:28:43, last push 15:29:20 (IST): the ACK is the server's answer over
    // this transport, so the path worked then; the push since is not a failure.
    check(
        &j,
        &["non_production_endpoint:warning", "switch_comm_ok:info"],
    );
    assert_eq!(j.text.plan.proxy, None, "Proxy: Not Configured");
    let ok = finding(&j, FindingCode::SwitchCommOk);
    assert!(
        ok.summary
            .contains("ACK received Apr 23 15:28:43 2025 IST: the transport worked then"),
        "{}",
        ok.summary
    );
}

#[test]
fn license_all_c9300_48u_cslu_pacific() {
    let Some(j) =
        judge(&["show_license_all__c9300-48u-cslu-empty-proxy-not-configured-pacific.txt"])
    else {
        return;
    };
    check(
        &j,
        &["config_cslu_no_address:warning", "switch_comm_ok:info"],
    );
    assert_eq!(
        usage(&j),
        (
            Some("Apr 05 21:11:50 2023 pacific".into()),
            Some("Apr 05 21:07:53 2023 pacific".into()),
            Some(true)
        )
    );
}

// ---- the other commands -------------------------------------------------------------

/// Outputs that cannot show an exchange either way: inconclusive, with what to run next.
macro_rules! inconclusive_alone {
    ($name:ident, $file:literal, $command:expr) => {
        #[test]
        fn $name() {
            let Some(j) = judge(&[$file]) else {
                return;
            };
            check(&j, &["text_inconclusive:info"]);
            assert_eq!(commands(&j), [$command]);
        }
    };
}

inconclusive_alone!(
    summary_c9300_unindented,
    "show_license_summary__c9300-unindented-table.txt",
    Command::LicenseSummary
);
inconclusive_alone!(
    summary_router_indented,
    "show_license_summary__router-premier-5g-indented.txt",
    Command::LicenseSummary
);
inconclusive_alone!(
    summary_c9300_account_ntp_header,
    "show_license_summary__c9300-stack-account-none-ntp-header.txt",
    Command::LicenseSummary
);
inconclusive_alone!(
    summary_c9300_account_pdt,
    "show_license_summary__c9300-48-account-pdt.txt",
    Command::LicenseSummary
);
inconclusive_alone!(
    eventlog_endpoint_usage_only,
    "show_license_eventlog__erm-reset-endpoint-usage.txt",
    Command::LicenseEventlog
);
inconclusive_alone!(
    eventlog_none_found,
    "show_license_eventlog__no-eventlog-found.txt",
    Command::LicenseEventlog
);
inconclusive_alone!(
    history_no_past_history,
    "show_license_history_message__no-past-history.txt",
    Command::LicenseHistoryMessage
);

#[test]
fn logging_no_licensing_messages_but_an_unsynchronised_clock() {
    let Some(j) = judge(&["show_logging__c9300-stack-pdt-no-licensing-messages.txt"]) else {
        return;
    };
    // `*Nov 13 15:53:49.926 PDT:`: `*` says the clock is not authoritative.
    check(
        &j,
        &["switch_clock_unsynced:info", "text_inconclusive:info"],
    );
    assert_eq!(commands(&j), [Command::Logging]);
}
inconclusive_alone!(
    logging_btrace_pki,
    "show_logging_process_ios_module_pki__c8000v-17.19-btrace.txt",
    Command::Logging
);

#[test]
fn call_home_settings_are_read() {
    let Some(j) = judge(&["show_call-home__enabled-tac-profile-active.txt"]) else {
        return;
    };
    check(&j, &["text_inconclusive:info"]);
    assert_eq!(commands(&j), [Command::CallHome]);
    let c = &j.text.config;
    // `call home feature : enable`; CiscoTAC-1 ACTIVE for Smart Licensing, muskan INACTIVE;
    // `http proxy: Not yet set up` is no proxy.
    assert!(c.service_call_home);
    let ch = c.call_home.clone().unwrap_or_default();
    let active: Vec<&str> = ch
        .profiles
        .iter()
        .filter(|p| p.active)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(active, ["CiscoTAC-1"]);
    assert_eq!(ch.profiles.len(), 6, "{:?}", ch.profiles);
    assert_eq!(
        (ch.http_proxy, ch.vrf, ch.source_interface),
        (None, None, None)
    );
    // Neither a release nor a transport: no plan.
    assert_eq!(j.text.plan.transport.as_str(), "unknown");
}

#[test]
fn call_home_smart_licensing_destination_is_read() {
    let Some(j) = judge(&["show_call-home_smart-licensing__tac-profile-ddce-url.txt"]) else {
        return;
    };
    check(&j, &["text_inconclusive:info"]);
    assert_eq!(commands(&j), [Command::CallHome]);
    let ch = j.text.config.call_home.clone().unwrap_or_default();
    let p = &ch.profiles[0];
    assert_eq!((p.name.as_str(), p.active), ("CiscoTAC-1", true));
    // HTTPS: no plaintext finding.
    assert_eq!(
        p.urls,
        ["https://tools.cisco.com/its/service/oddce/services/DDCEService"]
    );
}
inconclusive_alone!(
    running_config_filtered_transport,
    "show_running-config_inc_transport__license-smart-transport-smart.txt",
    Command::RunningConfig
);

#[test]
fn logging_c9200_cslu_dns_comm_failed() {
    let Some(j) = judge(&["show_logging__c9200-cslu-dns-comm-failed.txt"]) else {
        return;
    };
    check(&j, &["dns_unresolved:error", "switch_clock_unsynced:info"]);
    let fails: Vec<&LogEntry> = j
        .text
        .log
        .entries
        .iter()
        .filter(|e| matches!(e.kind, LogKind::CommFailed { .. }))
        .collect();
    assert_eq!(fails.len(), 10);
    assert_eq!(
        fails[0].kind,
        LogKind::CommFailed {
            server: "cslu".into(),
            reason: FailReason {
                cause: FailCause::Unresolved,
                text: "Unable to resolve server hostname/domain name".into()
            }
        }
    );
    // `*Nov 17 18:05:09.580` has no year and no zone: no year is invented, so it is
    // not dated; it is kept as printed, and the log says so.
    assert_eq!(fails[0].switch_time_ns, None);
    assert_eq!(fails[0].timestamp.as_deref(), Some("Nov 17 18:05:09.580"));
    assert!(
        j.text
            .log
            .clock_offset_basis
            .contains("10 stamps without a year"),
        "{}",
        j.text.log.clock_offset_basis
    );
}

#[test]
fn logging_csr1000v_crl_fetch_fail_with_continuation() {
    let Some(j) = judge(&["show_logging__csr1000v-17.3-pki-crl-fetch-fail.txt"]) else {
        return;
    };
    // Catalyst Center's trustpoint, not the licensing chain's, and no SMART_LIC line:
    // context, and the licensing verdict stays open with what to run next.
    check(&j, &["crl_unreachable:info", "text_inconclusive:info"]);
    let f = finding(&j, FindingCode::CrlUnreachable);
    assert!(
        f.summary.starts_with("context, not a licensing failure")
            && f.summary
                .contains("DNAC-CA: Enrollment URL not configured."),
        "{}",
        f.summary
    );
    assert!(
        finding(&j, FindingCode::TextInconclusive)
            .remediation
            .iter()
            .any(|r| r.starts_with("show license tech support"))
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("show_logging__csr1000v-17.3-pki-crl-fetch-fail.txt:66")
    );
}

#[test]
fn running_config_c9200l_17_6_factory_default_cslu() {
    let Some(j) = judge(&["show_running-config__c9200l-17.6-callhome-sla-trustpoint.txt"]) else {
        return;
    };
    check(
        &j,
        &[
            "config_cslu_no_address:warning",
            "config_no_name_server:warning",
            // SLA-TrustPoint's factory-default CRL check, with no CRL failure: context.
            "crl_unreachable:info",
            "text_inconclusive:info",
        ],
    );
    let c = &j.text.config;
    assert!(c.full_config && c.service_call_home);
    assert_eq!(c.version.as_deref(), Some("17.6"));
    assert_eq!(
        j.text
            .plan
            .revocation_check
            .as_ref()
            .map(|r| (r.trustpoint.clone(), r.methods_line())),
        Some(("SLA-TrustPoint".to_string(), "crl".to_string()))
    );
    assert_eq!(
        finding(&j, FindingCode::CrlUnreachable).evidence[0]
            .log
            .as_deref(),
        Some("show_running-config__c9200l-17.6-callhome-sla-trustpoint.txt:43")
    );
}

#[test]
fn running_config_csr1000v_16_9_no_license_smart_enable() {
    let Some(j) = judge(&["show_running-config__csr1000v-16.9-no-license-smart-enable.txt"]) else {
        return;
    };
    // `no license smart enable` on 16.9: Smart Licensing is off, before SLP (no CSLU):
    // no plan is invented, and the text says what it shows.
    check(&j, &["text_inconclusive:info"]);
    assert_eq!(
        j.text.config.http_client_source.as_deref(),
        Some("GigabitEthernet1")
    );
    assert_eq!(j.text.config.version.as_deref(), Some("16.9"));
    assert_eq!(j.text.plan.transport.as_str(), "disabled");
    assert!(j.text.plan.targets.is_empty());
    let f = finding(&j, FindingCode::TextInconclusive);
    assert!(
        f.summary.contains("'no license smart enable'"),
        "{}",
        f.summary
    );
    // Said once, and nothing about how a probe would be sent (nothing is probed): the
    // plan's `--map` note stays in the plan.
    assert_eq!(
        f.summary.matches("Smart Licensing is off").count(),
        1,
        "{}",
        f.summary
    );
    assert!(!f.summary.contains("--map"), "{}", f.summary);
    assert!(
        j.text
            .plan
            .notes
            .iter()
            .any(|n| n.contains("--map GigabitEthernet1=IF"))
    );
    assert_eq!(
        f.evidence[0].log.as_deref(),
        Some("show_running-config__csr1000v-16.9-no-license-smart-enable.txt:98")
    );
}

/// `licpath check --plan-only --from-config FILE`: exit code and the plan's transport.
fn plan_only(name: &str) -> Option<(Option<i32>, String)> {
    let d = dir();
    if !d.is_dir() {
        eprintln!("skipped: {} is absent", d.display());
        return None;
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(["check", "--plan-only", "--json", "--from-config"])
        .arg(d.join(name))
        .output()
        .expect("licpath runs");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let transport = v["plan"]["plan"]["transport"]
        .as_str()
        .unwrap_or("")
        .to_string();
    Some((o.status.code(), transport))
}

/// The exit status a `plan` judgement stands for (0 ok, 1 failed, 3 inconclusive).
fn judged_exit(name: &str) -> Option<i32> {
    let j = common::judgement(&format!("../shared/ios-real/{name}"))?;
    assert_eq!(j.command, "plan", "{name}");
    Some(match j.verdict.as_str() {
        "ok" => 0,
        "failed" => 1,
        _ => 3,
    })
}

#[test]
fn no_plan_is_invented_for_smart_licensing_off_or_show_version_alone() {
    // The exit statuses are the independent judgements' (tests/judgements); the transport
    // is what the text states: none for 16.9 with `no license smart enable`, none for
    // `show version` alone (the release, not how the switch reports), the `| inc transport`
    // extract's own line (it hides URL, proxy, VRF: kept, not taken as complete), and the
    // factory default cslu for a whole 17.6 configuration without a transport line.
    for (name, transport) in [
        (
            "show_running-config__csr1000v-16.9-no-license-smart-enable.txt",
            "disabled",
        ),
        ("show_version__c9300-24p-17.6-bundle.txt", "unknown"),
        ("show_version__c8000v-17.15-slp.txt", "unknown"),
        (
            "show_running-config_inc_transport__license-smart-transport-smart.txt",
            "smart",
        ),
        (
            "show_running-config__c9200l-17.6-callhome-sla-trustpoint.txt",
            "cslu",
        ),
    ] {
        let Some(r) = plan_only(name) else {
            return;
        };
        assert_eq!(r, (judged_exit(name), transport.to_string()), "{name}");
    }
}

macro_rules! version_alone {
    ($name:ident, $file:literal, $version:literal) => {
        #[test]
        fn $name() {
            let Some(j) = judge(&[$file]) else {
                return;
            };
            check(&j, &["text_inconclusive:info"]);
            assert_eq!(commands(&j), [Command::Version]);
            assert_eq!(j.text.plan.ios_version.as_deref(), Some($version));
            // The release alone is no plan: never cslu-local.
            assert_eq!(j.text.plan.transport.as_str(), "unknown");
            assert!(j.text.plan.targets.is_empty());
        }
    };
}

version_alone!(
    version_asr1001x_17_5,
    "show_version__asr1001x-17.5-controller-managed.txt",
    "17.05.01a"
);
version_alone!(
    version_c8000v_engineering_build,
    "show_version__c8000v-17.15-slp.txt",
    "17.15"
);
version_alone!(
    version_c9300_bundle,
    "show_version__c9300-24p-17.6-bundle.txt",
    "17.6"
);
version_alone!(
    version_c9606r_svl,
    "show_version__c9606r-svl-17.8.txt",
    "17.8"
);

macro_rules! trustpool {
    ($name:ident, $file:literal) => {
        #[test]
        fn $name() {
            let Some(j) = judge(&[$file]) else {
                return;
            };
            check(&j, &["text_inconclusive:info"]);
            assert_eq!(commands(&j), [Command::CryptoPkiTrustpool]);
            let text = std::fs::read_to_string(dir().join($file)).unwrap();
            let certs = licpath::ios::trustpool::parse_trustpool(&text);
            assert_eq!(certs.len(), 16);
            let p = licpath::ios::trustpool::parse_trust_store_text($file, &text).unwrap();
            let names: Vec<&str> = p.roots.iter().map(|r| r.subject_cn.as_str()).collect();
            for want in [
                "IdenTrust Commercial Root CA 1",
                "QuoVadis Root CA 2",
                "Cisco Licensing Root CA",
                "High Assurance SUDI CA",
            ] {
                assert!(names.contains(&want), "{want} not in {names:?}");
            }
            let with_crl = certs.iter().filter(|c| c.crl_url.is_some()).count();
            assert!(with_crl > 0 && with_crl < 16, "{with_crl}");
        }
    };
}

trustpool!(
    trustpool_builtin_utc,
    "show_crypto_pki_trustpool__builtin-16-certs-utc.txt"
);
trustpool!(
    trustpool_builtin_ist_storage,
    "show_crypto_pki_trustpool__builtin-16-certs-ist-storage.txt"
);

// ---- several commands in one ticket ---------------------------------------------------

#[test]
fn a_ticket_with_several_outputs_in_any_order() {
    let d = dir();
    if !d.is_dir() {
        eprintln!("skipped: {} is absent", d.display());
        return;
    }
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap();
    // One file: version, a failing CSLU tech support, the logging of the same symptom.
    let ticket = format!(
        "sw#show version\r\n{}\r\nsw#show license tech support\r\n{}\r\nsw#show logging\r\n{}",
        read("show_version__c9300-24p-17.6-bundle.txt"),
        read("show_license_tech_support__c9300-cslu-empty-hello-noreply-30.txt"),
        read("show_logging__c9200-cslu-dns-comm-failed.txt"),
    );
    let text = read_switch_text(
        &[("ticket.txt".to_string(), ticket)],
        None,
        &InterfaceMap::default(),
    )
    .unwrap();
    let cmds: Vec<Command> = text.config.commands.iter().map(|c| c.command).collect();
    assert_eq!(
        cmds,
        [
            Command::Version,
            Command::LicenseTechSupport,
            Command::Logging
        ]
    );
    assert_eq!(text.config.version.as_deref(), Some("17.6"));
    let fs = text_findings(&text.config, &text.plan, &text.log);
    assert_eq!(
        codes(&fs),
        [
            "comm_failed:error",
            "config_cslu_no_address:warning",
            "dns_unresolved:error",
            "switch_clock_unsynced:info"
        ]
    );
    // The same outputs in the other order, no echoed commands, LF: the same reading.
    let reversed = format!(
        "{}\n{}\n{}",
        read("show_logging__c9200-cslu-dns-comm-failed.txt"),
        read("show_license_tech_support__c9300-cslu-empty-hello-noreply-30.txt"),
        read("show_version__c9300-24p-17.6-bundle.txt"),
    );
    let text = read_switch_text(
        &[("ticket.txt".to_string(), reversed)],
        None,
        &InterfaceMap::default(),
    )
    .unwrap();
    let cmds: Vec<Command> = text.config.commands.iter().map(|c| c.command).collect();
    assert_eq!(
        cmds,
        [
            Command::Logging,
            Command::LicenseTechSupport,
            Command::Version
        ]
    );
    assert_eq!(
        codes(&text_findings(&text.config, &text.plan, &text.log)),
        codes(&fs)
    );
    assert_eq!(text.config.version.as_deref(), Some("17.6"));
}

#[test]
fn trust_store_takes_show_crypto_pki_trustpool_text() {
    let d = dir();
    if !d.is_dir() {
        eprintln!("skipped: {} is absent", d.display());
        return;
    }
    let pool = d.join("show_crypto_pki_trustpool__builtin-16-certs-utc.txt");
    let cap = |n: &str| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(n)
    };
    let run = |capture: &std::path::Path, store: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_licpath"))
            .arg("analyze")
            .arg("--trust-store")
            .arg(store)
            .arg(capture)
            .output()
            .expect("licpath runs")
    };
    // The lab's healthy chain ends at IdenTrust, which the built-in pool lists.
    let o = run(&cap("healthy-direct-tls12.pcap"), &pool);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&cap("ssl-interception-tls12.pcap"), &pool);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ssl_interception"));
    // Text that is neither PEM nor a trustpool: one line, exit 2.
    let summary = d.join("show_license_summary__c9300-unindented-table.txt");
    let o = run(&cap("healthy-direct-tls12.pcap"), &summary);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no certificate found"), "{err}");
    assert_eq!(err.lines().count(), 1);
}
