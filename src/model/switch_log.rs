//! What the switch's own text says happened: the messages and statistics read from
//! `show logging`, `show license eventlog`, `show license tech support` and the like, on
//! the switch's clock, lined up with a capture's when they can be. Pure data.

use serde::Serialize;

/// Lines recognised in text pasted from the switch (`show logging`, `show license
/// eventlog`, `show license tech support`, ...), and how they line up with the packets.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct SwitchLog {
    pub files: Vec<String>,
    pub lines_read: u64,
    pub entries: Vec<LogEntry>,
    /// Switch clock minus this timeline's clock (ns), when known.
    pub clock_offset_ns: Option<i64>,
    /// How the offset was found, in words (given, estimated from N pairs, unknown).
    pub clock_offset_basis: String,
}

impl SwitchLog {
    /// The messages read, without the clock signs (`*` or `.` before a stamp, `No time
    /// source`): a sign is an entry of its own on the same line as its message, so
    /// counting entries would count that line twice.
    pub fn messages(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| !e.kind.is_clock_sign())
            .count()
    }

    /// The clock signs read (`LogKind::ClockUnsynced`).
    pub fn clock_signs(&self) -> usize {
        self.entries.len() - self.messages()
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct LogEntry {
    /// Which of `files` (0-based) and the 1-based line in it.
    pub file: usize,
    pub line: u64,
    /// The timestamp as the switch printed it.
    pub timestamp: Option<String>,
    /// The switch's clock in ns since the epoch (a missing year or an unknown zone is
    /// inferred: see `time_inferred`).
    pub switch_time_ns: Option<i64>,
    pub time_inferred: bool,
    /// On this timeline's clock (switch time minus the offset), when the offset is known.
    pub time_ns: Option<i64>,
    #[serde(flatten)]
    pub kind: LogKind,
    /// The line itself (capped).
    pub text: String,
    /// The connection of the capture this entry matches, if any.
    pub connection: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
#[serde(rename_all = "snake_case", tag = "message")]
pub enum LogKind {
    /// `%SMART_LIC-3-COMM_FAILED`; `server` is `cssm` or `cslu`.
    CommFailed { server: String, reason: FailReason },
    /// `%SMART_LIC-5-COMM_RESTORED`.
    CommRestored { server: String },
    /// `%CALL_HOME-...` with an `(ERR nnn : text)`.
    CallHomeFailed {
        url: Option<String>,
        error: Option<u16>,
        /// Classified with `error`: an `ERR 218` names resolution whatever its text says.
        reason: FailReason,
    },
    /// `show license eventlog`: `SAEVT_COMM_FAIL error="..."`.
    EventCommFail { error: FailReason },
    /// `show license eventlog`: `SAEVT_COMM_RESTORED`.
    EventCommRestored,
    /// `%PKI-3-CRL_FETCH_FAIL` / `%PKI-4-CRLHTTPFETCHFAIL`.
    CrlFetchFail {
        trustpoint: Option<Trustpoint>,
        reason: Option<String>,
    },
    /// `%PKI-3-CERTIFICATE_INVALID_NOT_YET_VALID`.
    CertNotYetValid,
    /// `%PKI-3-CERTIFICATE_INVALID_EXPIRED`.
    CertExpired,
    /// `show license tech support`: one message type's communication statistics.
    TechSupport {
        message_type: String,
        total: Option<u64>,
        success: Option<u64>,
        fail: Option<u64>,
        last_response: Option<LastResponse>,
        failure_reason: Option<FailReason>,
        /// `Ongoing Failure: Overall=N Communication=N`: failures since the last success,
        /// and how many of them never reached the server.
        ongoing_overall: Option<u64>,
        ongoing_communication: Option<u64>,
        /// `Last Success Time:` / `Last Failure Time:` as printed, and in ns (UTC; the
        /// zone as printed, an unknown one taken as UTC).
        last_success: Option<String>,
        last_failure: Option<String>,
        last_success_ns: Option<i64>,
        last_failure_ns: Option<i64>,
    },
    /// `Usage Reporting:` of `show license status`/`all`/`tech support`: the last report
    /// push and the last ACK from CSSM (or CSLU). An ACK at or after the push proves the
    /// last exchange worked.
    UsageReporting {
        last_ack: Option<String>,
        last_push: Option<String>,
        ack_after_push: Option<bool>,
    },
    /// Pre-policy `show license all`: `Last Communication Attempt: SUCCEEDED on ...`.
    LastCommAttempt { result: AttemptResult },
    /// The switch's clock is not synchronised: a `No time source` header, or log
    /// timestamps marked `*` (not authoritative). `sign` says which, as printed.
    ClockUnsynced { sign: String },
    /// `show call-home statistics`: HTTP messages sent and failed since the counters
    /// started, the message types that failed, and the last message's time as printed.
    CallHomeStatistics {
        http_success: u64,
        http_failed: u64,
        failed_types: Vec<String>,
        last_sent: Option<String>,
    },
    /// Another SMART_LIC / CALL_HOME / PKI message, kept for the timeline.
    Other { mnemonic: String },
}

impl LogKind {
    /// A sign of the switch's clock, not a message (`*`/`.` stamps, `No time source`).
    pub fn is_clock_sign(&self) -> bool {
        matches!(self, LogKind::ClockUnsynced { .. })
    }
}

/// A failure reason as the switch printed it (COMM_FAILED's text, a CALL_HOME `ERR nnn :
/// text`, an eventlog `error="..."`, a tech-support `Failure Reason`), and what it names.
/// Classified once, where the text is read (`ios::logs`); the rules match on `cause`,
/// reports and JSON show `text` as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct FailReason {
    #[serde(skip)]
    pub cause: FailCause,
    pub text: String,
}

/// What a failure reason names. The text says less than a packet: `Unresolved` does not
/// say whether the name server answered NXDOMAIN or nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailCause {
    /// "Unable to resolve server hostname/domain name", `ERR 218 : Host name resolution
    /// failed`.
    Unresolved,
    /// "Connection timed out", `ERR 207 : Connection time out`.
    TimedOut,
    /// `ERR 205 : Request Aborted`.
    Aborted,
    /// "Received empty response from server".
    EmptyResponse,
    /// "Communication transport not available."
    NoTransport,
    /// Any other text: the exchange failed, the step is not named (`text` says it as
    /// printed).
    Other,
}

/// A tech-support `Last Response` (the date after ` on ` taken off): what it says, and
/// the same text read as a failure reason (used when the block prints no `Failure
/// Reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct LastResponse {
    #[serde(skip)]
    pub reply: Reply,
    pub reason: FailReason,
}

/// What a tech-support `Last Response` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `OK`, `OK_POLL`: the exchange worked.
    Success,
    /// `NO DATA TO PROCESS`: nothing to send (counted as a success, proves nothing).
    NoData,
    /// `OK_TRY_AGAIN`: the server answered and asked the switch to retry later.
    TryAgain,
    /// `BUILD REQUEST ERROR`: the switch's agent failed before sending anything.
    BuildError,
    /// `NO REPLY`.
    NoReply,
    /// Anything else (`INVALID STATUS CODE`, ...): a failure, as printed in the text.
    Other,
}

/// A pre-policy `Last Communication Attempt` (the date after ` on ` taken off): what it
/// says, and the same text read as a failure reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct AttemptResult {
    #[serde(skip)]
    pub outcome: Attempt,
    pub reason: FailReason,
}

/// A trustpoint a PKI message names, as printed, and whether it is on the licensing chain
/// (classified where it is read, `ios::logs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Trustpoint {
    #[serde(skip)]
    pub chain: Chain,
    pub name: String,
}

/// Which chain a trustpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// SLA-TrustPoint (Cisco Licensing Root CA) or the trustpool (which validates CSSM's
    /// server).
    Licensing,
    /// Another service's (DNAC-CA of Catalyst Center, TP-self-signed-..., a VPN's CA).
    Other,
}

/// What a pre-policy `Last Communication Attempt` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED` (anything starting `FAIL`).
    Failed,
    /// Anything else: neither a success nor a failure.
    Other,
}
