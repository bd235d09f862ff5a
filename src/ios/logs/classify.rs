//! What the switch's words mean, decided once where they are read: a failure reason's
//! cause, a tech-support `Last Response`, a pre-policy `Last Communication Attempt`, the
//! chain a PKI message's trustpoint serves. The
//! rules (`diagnose::logs`) match on the enums this returns, never on the text; the text
//! is kept as printed for reports and JSON.

use crate::model::{
    Attempt, AttemptResult, Chain, FailCause, FailReason, LastResponse, Reply, Trustpoint,
};

/// A failure reason as printed. `err` is a CALL_HOME `ERR nnn` code: it names the step
/// whatever the text after it says.
pub(super) fn fail_reason(text: String, err: Option<u16>) -> FailReason {
    let r = text.to_ascii_lowercase();
    let cause = if err == Some(218) || r.contains("resolve") || r.contains("resolution") {
        FailCause::Unresolved
    } else if err == Some(207) || r.contains("timed out") || r.contains("time out") {
        FailCause::TimedOut
    } else if err == Some(205) || r.contains("aborted") {
        FailCause::Aborted
    } else if r.contains("empty response") {
        FailCause::EmptyResponse
    } else if r.contains("transport not available") || r.contains("transport is not") {
        FailCause::NoTransport
    } else {
        FailCause::Other
    };
    FailReason { cause, text }
}

/// A tech-support `Last Response` without its date.
pub(super) fn last_response(text: String) -> LastResponse {
    let u = text.trim().to_ascii_uppercase();
    let reply = if u.starts_with("OK_TRY_AGAIN") {
        Reply::TryAgain
    } else if u == "OK" || u.starts_with("OK_") || u.starts_with("OK ") {
        Reply::Success
    } else if u.contains("NO DATA TO PROCESS") {
        Reply::NoData
    } else if u.contains("BUILD REQUEST ERROR") {
        Reply::BuildError
    } else if u.starts_with("NO REPLY") {
        Reply::NoReply
    } else {
        Reply::Other
    };
    LastResponse {
        reply,
        reason: fail_reason(text, None),
    }
}

/// A pre-policy `Last Communication Attempt` without its date.
pub(super) fn attempt_result(text: String) -> AttemptResult {
    let u = text.to_ascii_uppercase();
    let outcome = if u.starts_with("SUCCEEDED") {
        Attempt::Succeeded
    } else if u.starts_with("FAIL") {
        Attempt::Failed
    } else {
        Attempt::Other
    };
    AttemptResult {
        outcome,
        reason: fail_reason(text, None),
    }
}

/// A trustpoint's name as printed: SLA-TrustPoint holds Cisco Licensing Root CA and the
/// trustpool validates CSSM's server; any other serves another service.
pub(super) fn trustpoint(name: String) -> Trustpoint {
    let n = name.to_ascii_lowercase();
    let chain = if n == "sla-trustpoint" || n.contains("trustpool") {
        Chain::Licensing
    } else {
        Chain::Other
    };
    Trustpoint { chain, name }
}

#[cfg(test)]
mod tests {
    use super::super::parse_log;
    use super::*;
    use crate::model::LogKind;

    /// Each tech-support block of `text`: (message type, what its Last Response says and
    /// as printed, its Failure Reason's cause and as printed).
    type Block = (String, Option<(Reply, String)>, Option<(FailCause, String)>);

    fn blocks(text: &str) -> Vec<Block> {
        parse_log(text, 0, None)
            .entries
            .into_iter()
            .filter_map(|e| match e.kind {
                LogKind::TechSupport {
                    message_type,
                    last_response,
                    failure_reason,
                    ..
                } => Some((
                    message_type,
                    last_response.map(|r| (r.reply, r.reason.text)),
                    failure_reason.map(|r| (r.cause, r.text)),
                )),
                _ => None,
            })
            .collect()
    }

    /// What `text` is read as, the clock's signs aside.
    fn kinds(text: &str) -> Vec<LogKind> {
        parse_log(text, 0, None)
            .entries
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| !matches!(k, LogKind::ClockUnsynced { .. }))
            .collect()
    }

    fn block(name: &str, reply: Option<(Reply, &str)>, reason: Option<(FailCause, &str)>) -> Block {
        (
            name.into(),
            reply.map(|(r, t)| (r, t.into())),
            reason.map(|(c, t)| (c, t.into())),
        )
    }

    // Real text from ../shared/ios-real, byte for byte (CRLF where the file has it): every
    // Last Response value, Failure Reason, attempt result and COMM_FAILED reason it holds.

    #[test]
    fn real_build_request_error_and_its_reason() {
        // show_license_tech_support__c9410r-cslu-addr-authreq-build-request-error.txt:176-181
        let text = "Authorization Request:\n  Attempts: Total=2, Success=0, Fail=0  Ongoing Failure: Overall=0 Communication=0\n  Last Response: BUILD REQUEST ERROR\n    Failure Reason: Null pointer Error\n  Last Success Time: <none>\n  Last Failure Time: Oct 12 15:21:39 2022 PDT\n";
        assert_eq!(
            blocks(text),
            [block(
                "Authorization Request",
                Some((Reply::BuildError, "BUILD REQUEST ERROR")),
                Some((FailCause::Other, "Null pointer Error"))
            )]
        );
    }

    #[test]
    fn real_try_again_with_a_server_error() {
        // show_license_tech_support__c9300-stack-smart-offline-trustsync-try-again.txt:243-248
        let text = "Trust Sync:\n  Attempts: Total=2, Success=1, Fail=1 Ongoing Failure: Overall=1 Communication=0\n  Last Response: OK_TRY_AGAIN on Nov 15 18:45:47 2024 UTC\n    Failure Reason: Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT\n  Last Success Time: Nov 15 18:43:15 2024 UTC\n  Last Failure Time: Nov 15 18:45:47 2024 UTC\n";
        assert_eq!(
            blocks(text),
            [block(
                "Trust Sync",
                Some((Reply::TryAgain, "OK_TRY_AGAIN")),
                Some((
                    FailCause::Other,
                    "Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT"
                ))
            )]
        );
    }

    #[test]
    fn real_no_reply_without_a_reason() {
        // show_license_tech_support__c9300l-cslu-hello-noreply-205-pst.txt:187-192 (the
        // same NO REPLY in the c9300-cslu-empty-hello-noreply-30 and
        // c9300-3stack-cslu-hello-noreply-210-pdt files).
        let text = "Hello Message:\r\n  Attempts: Total=205, Success=0, Fail=205  Ongoing Failure: Overall=205 Communication=205\r\n  Last Response: NO REPLY on Dec 19 01:00:13 2023 PST\r\n    Failure Reason: <none>\r\n  Last Success Time: <none>\r\n  Last Failure Time: Dec 19 01:00:13 2023 PST\r\n";
        assert_eq!(
            blocks(text),
            [block(
                "Hello Message",
                Some((Reply::NoReply, "NO REPLY")),
                None
            )]
        );
        // Read as a failure reason (the block prints none), NO REPLY names no step.
        assert_eq!(
            last_response("NO REPLY".into()).reason.cause,
            FailCause::Other
        );
    }

    #[test]
    fn real_ok_ok_poll_and_no_data_to_process() {
        // show_license_tech_support__c9407r-smart-proxy-resultpoll-1fail.txt:167-181
        let text = "Usage Reporting:\r\n  Attempts: Total=2, Success=2, Fail=0  Ongoing Failure: Overall=0 Communication=0\r\n  Last Response: OK_POLL on Nov 28 02:38:36 2023 PDT\r\n    Failure Reason: <none>\r\n  Last Success Time: Nov 28 02:38:36 2023 PDT\r\n  Last Failure Time: <none>\r\nResult Polling:\r\n  Attempts: Total=5, Success=4, Fail=1  Ongoing Failure: Overall=0 Communication=0\r\n  Last Response: OK on Nov 28 02:43:37 2023 PDT\r\n    Failure Reason: <none>\r\n  Last Success Time: Nov 28 02:43:37 2023 PDT\r\n  Last Failure Time: Nov 27 02:39:02 2023 PDT\r\nAuthorization Request:\r\n  Attempts: Total=3, Success=3, Fail=0  Ongoing Failure: Overall=0 Communication=0\r\n  Last Response: NO DATA TO PROCESS\r\n    Failure Reason: <none>\r\n";
        assert_eq!(
            blocks(text),
            [
                block("Usage Reporting", Some((Reply::Success, "OK_POLL")), None),
                block("Result Polling", Some((Reply::Success, "OK")), None),
                block(
                    "Authorization Request",
                    Some((Reply::NoData, "NO DATA TO PROCESS")),
                    None
                ),
            ]
        );
    }

    #[test]
    fn real_pre_policy_attempt_succeeded() {
        // show_license_all__csr1000v-legacy-registered-callhome.txt:18
        let line = "  Last Communication Attempt: SUCCEEDED on Mar 13 08:09:28 2024 UTC\n";
        assert_eq!(
            kinds(line),
            [LogKind::LastCommAttempt {
                result: AttemptResult {
                    outcome: Attempt::Succeeded,
                    reason: FailReason {
                        cause: FailCause::Other,
                        text: "SUCCEEDED".into()
                    }
                }
            }]
        );
    }

    #[test]
    fn real_comm_failed_names_resolution() {
        // show_logging__c9200-cslu-dns-comm-failed.txt:28 (and the nine lines after it),
        // its trailing space as printed.
        let line = "*Nov 17 18:05:09.580: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart License Utility (CSLU) : Unable to resolve server hostname/domain name \n";
        assert_eq!(
            kinds(line),
            [LogKind::CommFailed {
                server: "cslu".into(),
                reason: FailReason {
                    cause: FailCause::Unresolved,
                    text: "Unable to resolve server hostname/domain name".into()
                }
            }]
        );
    }

    #[test]
    fn real_crl_fetch_failure_names_another_services_trustpoint() {
        // show_logging__csr1000v-17.3-pki-crl-fetch-fail.txt:66-67 (again at 85-86)
        let text = "May 31 03:29:35: %PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint DNAC-CA failed\n                      Reason : Enrollment URL not configured.\n";
        assert_eq!(
            kinds(text),
            [LogKind::CrlFetchFail {
                trustpoint: Some(Trustpoint {
                    chain: Chain::Other,
                    name: "DNAC-CA".into()
                }),
                reason: Some("Enrollment URL not configured.".into())
            }]
        );
        // The licensing chain: SLA-TrustPoint in any case, or the trustpool.
        for name in ["SLA-TrustPoint", "sla-trustpoint", "Trustpool"] {
            assert_eq!(trustpoint(name.into()).chain, Chain::Licensing, "{name}");
        }
        assert_eq!(trustpoint("TP-self-signed-1234".into()).chain, Chain::Other);
    }

    /// The reasons ../shared/DOMAIN.md lists (§4) and the CALL_HOME error codes; none of
    /// these is in the real corpus.
    #[test]
    fn documented_reasons_and_error_codes() {
        let cause = |text: &str, err| fail_reason(text.into(), err).cause;
        assert_eq!(cause("Connection timed out", None), FailCause::TimedOut);
        assert_eq!(cause("Connection time out", Some(207)), FailCause::TimedOut);
        assert_eq!(cause("Request Aborted", Some(205)), FailCause::Aborted);
        assert_eq!(
            cause("Host name resolution failed", Some(218)),
            FailCause::Unresolved
        );
        // The code names the step whatever the text says.
        assert_eq!(cause("Request Aborted", Some(218)), FailCause::Unresolved);
        assert_eq!(cause("anything", Some(207)), FailCause::TimedOut);
        assert_eq!(
            cause("Received empty response from server", None),
            FailCause::EmptyResponse
        );
        assert_eq!(
            cause("Communication transport not available.", None),
            FailCause::NoTransport
        );
        for other in [
            "Fail to send out Call Home HTTP message.",
            "Smart Call Home failed to process the request.",
            "",
        ] {
            assert_eq!(cause(other, None), FailCause::Other, "{other}");
        }
        // Other replies are failures, kept as printed.
        let r = last_response("INVALID STATUS CODE".into());
        assert_eq!(
            (r.reply, r.reason.text.as_str()),
            (Reply::Other, "INVALID STATUS CODE")
        );
        assert_eq!(attempt_result("FAILED".into()).outcome, Attempt::Failed);
        assert_eq!(attempt_result("something".into()).outcome, Attempt::Other);
    }
}
