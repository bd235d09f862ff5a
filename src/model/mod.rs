//! The one model every front-end reads: a [`Timeline`] of DNS exchanges and connections,
//! each a list of timed [`Event`]s, with [`Finding`]s attached.
//!
//! Both the capture analyser and the live probe produce this; the text/JSON reports and
//! the TUI only read it. Pure data: no I/O, no clock reads. Times are nanoseconds since
//! the Unix epoch as seen by whoever recorded them (the capture's clock, or the prober's).

mod blame;
mod connection;
pub mod context;
pub mod dn;
pub mod long_strings;
pub mod reach;
mod reading;
mod static_host;
pub mod switch;
mod switch_log;
pub mod time;
pub mod trust;
pub mod url;
mod vantage;

use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

mod protocol;
#[cfg(test)]
pub(crate) mod schema;
#[cfg(test)]
pub mod testing;

pub use blame::Blame;
pub use connection::{
    Connection, DupAck, RevocationKind, TcpLoss, TcpState, TlsSummary, named_host,
    revocation_hosts_of, revocation_urls_of, tls_handshake_complete, tls13_completion_inferred,
    url_host,
};
pub use protocol::{
    DnsRcode, DnsTransport, DnsType, EndReason, TlsAlert, TlsAlertDescription, TlsAlertSeverity,
    TlsOversizedMessage, TlsRecordType, TlsVersion, head_too_long_text, is_tls13,
    tls_record_type_name, tls_version_name, tls_version_rank,
};
pub use reading::{CutShort, OverloadFacts, ReadingFacts, TimeBase};
pub use static_host::{StaticHost, StaticOrigin};
pub use switch_log::{
    Attempt, AttemptResult, Chain, FailCause, FailReason, LastResponse, LogEntry, LogKind, Reply,
    SwitchLog, Trustpoint,
};
pub use vantage::{ResolverOrigin, Unasked, Vantage};

/// Version of the JSON schema (`docs/json-schema.md`). Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the events came from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    Capture {
        files: Vec<String>,
    },
    Probe {
        targets: Vec<String>,
    },
    /// Only text from the switch (`analyze --logs` without a capture).
    Logs {
        files: Vec<String>,
    },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Timeline {
    #[cfg_attr(test, schemars(extend("const" = crate::model::SCHEMA_VERSION)))]
    pub schema_version: u32,
    pub source: Source,
    /// First and last packet/event time (ns since epoch); `None` for an empty input.
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    pub stats: CaptureStats,
    pub dns: Vec<DnsExchange>,
    /// Names the probe took from a static entry instead of asking DNS (`--resolve`, `ip
    /// host`): no query, so no answer time and no DNS step to succeed or fail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub static_hosts: Vec<StaticHost>,
    pub connections: Vec<Connection>,
    /// Findings that belong to no single connection: DNS, the capture itself.
    pub findings: Vec<Finding>,
    /// Connections seen but not shown (not licensing-related, or over the display cap).
    pub hidden_connections: u64,
    /// Licensing connections past the display cap: diagnosed, counted, not kept.
    pub overflow: OverflowSummary,
    pub hidden_dns: u64,
    /// What the switch's own logs say (`analyze --logs`), on this timeline's clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switch_log: Option<SwitchLog>,
    /// What was known about the switch before its packets were read (`analyze
    /// --from-config`, `--proxy`, `--dns-server`, `--switch`); absent when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<context::AnalysisContext>,
    /// Where a probe was measured from (issue 22); `None` for captures and text. The
    /// JSON report prints it beside the timeline (`reports[].vantage`), not inside it.
    #[serde(skip)]
    pub vantage: Option<Vantage>,
    /// What proved a healthy verdict, in one line (issue 22 principle 7; computed by
    /// `diagnose::verdict::proof`): reported beside the verdict, not inside the timeline.
    #[serde(skip)]
    pub proof: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct CaptureStats {
    pub bytes: u64,
    pub frames: u64,
    pub frames_truncated: u64,
    pub frames_undecoded: u64,
    pub frames_duplicated: u64,
    pub time_went_backwards: u64,
    pub file_truncated: bool,
    pub tcp_connections: u64,
    pub dns_queries: u64,
    /// Flows finished early under the flow table's budget (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub flows_evicted: u64,
    /// The facts behind the capture's own findings (`diagnose/capture.rs`).
    #[serde(skip)]
    pub reading: ReadingFacts,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Capture,
    Dns,
    Tcp,
    Proxy,
    Tls,
    Cert,
    Http,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Capture => "capture",
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Proxy => "proxy",
            Step::Tls => "tls",
            Step::Cert => "cert",
            Step::Http => "http",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The finding vocabulary (docs/findings.md). Extend, never rename: these strings are a
/// contract with scripts.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    DnsNxdomain,
    DnsServfail,
    DnsTimeout,
    DnsNoAddress,
    /// Extension: the name resolved, but only after its query was asked again (info).
    DnsRetried,
    /// Extension: the answer's CNAMEs lead back to a name already in the chain.
    DnsCnameLoop,
    /// Extension: a truncated (TC) UDP answer whose retry over TCP failed.
    DnsTruncated,
    TcpTimeout,
    TcpRefused,
    TcpReset,
    /// Extension: ICMP unreachable in answer to the connection attempt (live probe).
    TcpUnreachable,
    ProxyUnreachable,
    ProxyDenied,
    ProxyAuthRequired,
    ProxyUpstreamError,
    ProxyBadResponse,
    TlsTimeout,
    TlsReset,
    TlsAlert,
    TlsVersionMismatch,
    TlsClientAbort,
    TlsPlaintextAnswer,
    /// Extension: the server's certificate is larger than a TLS client takes (live probe).
    TlsCertificateTooLarge,
    SslInterception,
    IncompleteChain,
    UntrustedRoot,
    RootMissingOnDevice,
    CertExpired,
    CertNotYetValid,
    CertHostnameMismatch,
    ClockSkew,
    Retransmissions,
    MtuBlackhole,
    PlaintextHttp,
    CrlUnreachable,
    CommFlapping,
    CaptureTruncated,
    CaptureGap,
    /// Extension: timestamps going backwards in the file (EPC exports are not time-ordered).
    CaptureTimeBackwards,
    /// Extension: a non-production receiver (smartreceiver-stage/-dev) is in use.
    NonProductionEndpoint,
    /// Extension: the capture holds only the client's side of a connection.
    CaptureOneDirection,
    /// Switch log: name resolution failed; the log does not say how (extension).
    DnsUnresolved,
    /// Switch log: the exchange failed past TCP without the log saying where (extension).
    CommFailed,
    /// Switch configuration: transport cslu with no CSLU address (extension).
    ConfigCsluNoAddress,
    /// Switch configuration: call-home transport without `service call-home` (extension).
    ConfigCallhomeDisabled,
    /// Switch configuration: a static `ip host` for a Cisco licensing name (extension).
    ConfigStaticHost,
    /// Switch configuration: no name server usable from the licensing VRF, or DNS lookup
    /// disabled (extension).
    ConfigNoNameServer,
    /// Switch configuration: `license smart transport off` (extension).
    ConfigTransportOff,
    /// `--ca-file`: whether importing that CA would make a failing chain trusted
    /// (extension; info when it would, warning when it would not).
    CaFileWhatIf,
    /// Extension: flows evicted (or waits for missing data cut short) under the flow
    /// table's memory budget; verdicts for them are partial.
    CaptureOverload,
    /// Switch text: the licensing server answered and said no (`Communication=0`
    /// failures: identity rejected, invalid status code, try again) (extension).
    ServerRejected,
    /// Switch text: the switch's own records show its latest exchanges succeeded; the
    /// evidence behind an OK verdict from text (extension, info).
    SwitchCommOk,
    /// Switch text: the switch's licensing agent failed before sending (`BUILD REQUEST
    /// ERROR`): not a network failure (extension, info).
    AgentError,
    /// Switch text: no trust code and no attempt (`Insufficient trust for direct
    /// communication`) (extension).
    ConfigNoTrust,
    /// Switch text: what was given neither proves nor disproves communication; says what
    /// to run next (extension, info).
    TextInconclusive,
    /// A capture with no licensing traffic at all: nothing to judge; says what to capture
    /// on the switch (extension, warning; exit code 3).
    NoLicensingTraffic,
    /// A capture filter removed packets the verdict would need (pure ACKs, SYN, FIN: a
    /// TLS-only or PSH-only filter); absence-based findings are withheld (extension).
    CaptureFiltered,
    /// The capture ended while a handshake step waited for its answer: inconclusive for
    /// that connection, not a timeout (extension).
    CaptureEnded,
    /// The capture's timestamps are impossible (the Unix epoch, years before every
    /// certificate of the chain, in the future): validity judged against now (extension).
    CaptureClockInvalid,
    /// Switch text: the clock is not synchronised (`No time source`, `*` stamps; extension).
    SwitchClockUnsynced,
    /// Extension: a capture read from text: what it proved and what it cannot show (info).
    TextCapture,
}

impl FindingCode {
    /// Every code, in declaration order (docs/findings.md has one row for each).
    pub const ALL: &[FindingCode] = &[
        FindingCode::DnsNxdomain,
        FindingCode::DnsServfail,
        FindingCode::DnsTimeout,
        FindingCode::DnsNoAddress,
        FindingCode::DnsRetried,
        FindingCode::DnsCnameLoop,
        FindingCode::DnsTruncated,
        FindingCode::TcpTimeout,
        FindingCode::TcpRefused,
        FindingCode::TcpReset,
        FindingCode::TcpUnreachable,
        FindingCode::ProxyUnreachable,
        FindingCode::ProxyDenied,
        FindingCode::ProxyAuthRequired,
        FindingCode::ProxyUpstreamError,
        FindingCode::ProxyBadResponse,
        FindingCode::TlsTimeout,
        FindingCode::TlsReset,
        FindingCode::TlsAlert,
        FindingCode::TlsVersionMismatch,
        FindingCode::TlsClientAbort,
        FindingCode::TlsPlaintextAnswer,
        FindingCode::TlsCertificateTooLarge,
        FindingCode::SslInterception,
        FindingCode::IncompleteChain,
        FindingCode::UntrustedRoot,
        FindingCode::RootMissingOnDevice,
        FindingCode::CertExpired,
        FindingCode::CertNotYetValid,
        FindingCode::CertHostnameMismatch,
        FindingCode::ClockSkew,
        FindingCode::Retransmissions,
        FindingCode::MtuBlackhole,
        FindingCode::PlaintextHttp,
        FindingCode::CrlUnreachable,
        FindingCode::CommFlapping,
        FindingCode::CaptureTruncated,
        FindingCode::CaptureGap,
        FindingCode::CaptureTimeBackwards,
        FindingCode::NonProductionEndpoint,
        FindingCode::CaptureOneDirection,
        FindingCode::DnsUnresolved,
        FindingCode::CommFailed,
        FindingCode::ConfigCsluNoAddress,
        FindingCode::ConfigCallhomeDisabled,
        FindingCode::ConfigStaticHost,
        FindingCode::ConfigNoNameServer,
        FindingCode::ConfigTransportOff,
        FindingCode::CaFileWhatIf,
        FindingCode::CaptureOverload,
        FindingCode::ServerRejected,
        FindingCode::SwitchCommOk,
        FindingCode::AgentError,
        FindingCode::ConfigNoTrust,
        FindingCode::TextInconclusive,
        FindingCode::NoLicensingTraffic,
        FindingCode::CaptureFiltered,
        FindingCode::CaptureEnded,
        FindingCode::CaptureClockInvalid,
        FindingCode::SwitchClockUnsynced,
        FindingCode::TextCapture,
    ];

    pub fn as_str(self) -> &'static str {
        use FindingCode::*;
        match self {
            DnsNxdomain => "dns_nxdomain",
            DnsServfail => "dns_servfail",
            DnsTimeout => "dns_timeout",
            DnsNoAddress => "dns_no_address",
            DnsRetried => "dns_retried",
            DnsCnameLoop => "dns_cname_loop",
            DnsTruncated => "dns_truncated",
            TcpTimeout => "tcp_timeout",
            TcpRefused => "tcp_refused",
            TcpReset => "tcp_reset",
            TcpUnreachable => "tcp_unreachable",
            ProxyUnreachable => "proxy_unreachable",
            ProxyDenied => "proxy_denied",
            ProxyAuthRequired => "proxy_auth_required",
            ProxyUpstreamError => "proxy_upstream_error",
            ProxyBadResponse => "proxy_bad_response",
            TlsTimeout => "tls_timeout",
            TlsReset => "tls_reset",
            TlsAlert => "tls_alert",
            TlsVersionMismatch => "tls_version_mismatch",
            TlsClientAbort => "tls_client_abort",
            TlsPlaintextAnswer => "tls_plaintext_answer",
            TlsCertificateTooLarge => "tls_certificate_too_large",
            SslInterception => "ssl_interception",
            IncompleteChain => "incomplete_chain",
            UntrustedRoot => "untrusted_root",
            RootMissingOnDevice => "root_missing_on_device",
            CertExpired => "cert_expired",
            CertNotYetValid => "cert_not_yet_valid",
            CertHostnameMismatch => "cert_hostname_mismatch",
            ClockSkew => "clock_skew",
            Retransmissions => "retransmissions",
            MtuBlackhole => "mtu_blackhole",
            PlaintextHttp => "plaintext_http",
            CrlUnreachable => "crl_unreachable",
            CommFlapping => "comm_flapping",
            CaptureTruncated => "capture_truncated",
            CaptureGap => "capture_gap",
            CaptureTimeBackwards => "capture_time_backwards",
            NonProductionEndpoint => "non_production_endpoint",
            CaptureOneDirection => "capture_one_direction",
            DnsUnresolved => "dns_unresolved",
            CommFailed => "comm_failed",
            ConfigCsluNoAddress => "config_cslu_no_address",
            ConfigCallhomeDisabled => "config_callhome_disabled",
            ConfigStaticHost => "config_static_host",
            ConfigNoNameServer => "config_no_name_server",
            ConfigTransportOff => "config_transport_off",
            CaFileWhatIf => "ca_file_what_if",
            CaptureOverload => "capture_overload",
            ServerRejected => "server_rejected",
            SwitchCommOk => "switch_comm_ok",
            AgentError => "agent_error",
            ConfigNoTrust => "config_no_trust",
            TextInconclusive => "text_inconclusive",
            NoLicensingTraffic => "no_licensing_traffic",
            CaptureFiltered => "capture_filtered",
            CaptureEnded => "capture_ended",
            CaptureClockInvalid => "capture_clock_invalid",
            SwitchClockUnsynced => "switch_clock_unsynced",
            TextCapture => "text_capture",
        }
    }
}

/// How sure a finding is. Passive TLS 1.3 inferences are never `Certain`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
    Certain,
}

/// A pointer into the evidence: a frame of the capture (1-based, as Wireshark numbers
/// them) and its time, with what it shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Evidence {
    pub frame: Option<u64>,
    pub time_ns: i64,
    pub what: String,
    /// A line of the switch's own text (`file:line`) instead of a frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    pub step: Step,
    pub confidence: Confidence,
    pub summary: String,
    pub explanation: String,
    /// IOS XE configuration or commands that fix it, one per line; may be empty.
    pub remediation: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Whose fault, when a rule knows it: `local` for a failure of this host's own
    /// resolver, binding or routing, which says nothing about the switch's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blame: Option<Blame>,
}

impl Evidence {
    /// What an event of a connection shows.
    pub fn of(e: &Event, what: impl Into<String>) -> Evidence {
        Evidence {
            frame: e.frame,
            time_ns: e.time_ns,
            what: what.into(),
            log: None,
        }
    }

    /// What a captured frame shows, without an event of a connection (capture-wide facts).
    pub fn frame(frame: u64, time_ns: i64, what: impl Into<String>) -> Evidence {
        Evidence {
            frame: Some(frame),
            time_ns,
            what: what.into(),
            log: None,
        }
    }

    /// What a line of the switch's own text shows; `place` is `file` or `file:line`.
    pub fn line(place: impl Into<String>, time_ns: i64, what: impl Into<String>) -> Evidence {
        Evidence {
            frame: None,
            time_ns,
            what: what.into(),
            log: Some(place.into()),
        }
    }
}

/// The one way findings are built: `Finding::new(code, severity, step, summary)`, then
/// `.explain(..)`, `.fix(..)`, `.evidence(..)` and `.confidence(..)` as needed.
impl Finding {
    /// A finding of [`Confidence::Certain`] with no explanation, remediation or evidence.
    pub fn new(
        code: FindingCode,
        severity: Severity,
        step: Step,
        summary: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity,
            step,
            confidence: Confidence::Certain,
            summary: summary.into(),
            explanation: String::new(),
            remediation: Vec::new(),
            evidence: Vec::new(),
            blame: None,
        }
    }

    /// Whose fault it is (see [`Blame`]).
    pub fn blame(mut self, blame: Blame) -> Finding {
        self.blame = Some(blame);
        self
    }

    /// Why it happens and what the switch shows when it does.
    pub fn explain(mut self, why: impl Into<String>) -> Finding {
        self.explanation = why.into();
        self
    }

    /// Lines of IOS XE configuration or commands that fix it (appended).
    pub fn fix<I>(mut self, lines: I) -> Finding
    where
        I: IntoIterator,
        I::Item: ToString,
    {
        self.remediation
            .extend(lines.into_iter().map(|l| l.to_string()));
        self
    }

    /// The evidence behind it (appended).
    pub fn evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Finding {
        self.evidence.extend(evidence);
        self
    }

    pub fn confidence(mut self, confidence: Confidence) -> Finding {
        self.confidence = confidence;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the side that opened the connection (the switch, or the proxy's client leg).
    ToServer,
    ToClient,
}

impl Direction {
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ToServer => "->",
            Direction::ToClient => "<-",
        }
    }

    pub fn flip(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Event {
    pub time_ns: i64,
    pub frame: Option<u64>,
    pub dir: Direction,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventKind {
    TcpSyn {
        mss: Option<u16>,
        window: u16,
        retransmission: bool,
    },
    TcpSynAck {
        mss: Option<u16>,
        window: u16,
        retransmission: bool,
    },
    TcpEstablished {
        rtt_ns: i64,
    },
    TcpFin,
    TcpRst,
    /// Bytes the peer acknowledged or later data shows were sent, but the capture lacks.
    TcpGap {
        missing_bytes: u64,
    },
    /// Bytes lost on the network before the segment this event sits on (never ACKed).
    TcpLost {
        missing_bytes: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        dup_ack: Option<DupAck>,
    },
    HttpConnectRequest {
        target: String,
        version: String,
    },
    HttpResponse {
        version: String,
        status: u16,
        reason: String,
        headers: Vec<(String, String)>,
    },
    HttpRequest {
        method: String,
        target: String,
        version: String,
        host: Option<String>,
    },
    TlsClientHello(ClientHello),
    TlsServerHello(ServerHello),
    TlsCertificate {
        certificates: Vec<CertInfo>,
    },
    TlsCertificateRequest,
    TlsServerHelloDone,
    TlsClientKeyExchange,
    TlsChangeCipherSpec,
    TlsAlert(TlsAlert),
    /// Consecutive encrypted records in one direction, folded into one event.
    TlsEncrypted {
        records: u32,
        bytes: u64,
        #[serde(serialize_with = "protocol::tls_record_type_serde")]
        #[cfg_attr(test, schemars(with = "schema::TlsRecordTypeName"))]
        content_type: TlsRecordType,
        largest: u32,
    },
    /// Bytes where a TLS record was expected that are not TLS.
    NotTls {
        preview: String,
    },
    /// An HTTP answer whose head ran past the decoder's bound (`limit` bytes): a peer
    /// streaming header lines without end. JSON: the `not_tls` event it always was.
    #[serde(rename = "not_tls", serialize_with = "protocol::head_too_long_serde")]
    #[cfg_attr(test, schemars(with = "schema::WrittenAsAnother"))]
    HttpHeadTooLong {
        limit: usize,
        preview: String,
    },
    Undecoded {
        reason: String,
    },
    /// Live probe: connect() failed with ICMP unreachable (no route, host or network
    /// unreachable) instead of a timeout or a RST.
    TcpUnreachable {
        reason: String,
    },
    /// Live probe: an HTTP exchange inside the TLS session, which only the probe sees in
    /// clear.
    HttpsExchange {
        request: String,
        status: u16,
        reason: String,
        date: Option<String>,
        server: Option<String>,
    },
    /// Live probe: something the probe did or could not do that is not on the wire (a
    /// local error, a step given up).
    ProbeNote {
        text: String,
    },
    /// Live probe: a failure met during a step, with whose fault it is (a local error,
    /// a timeout, a peer that broke the protocol).
    ProbeFailure {
        blame: Blame,
        step: Step,
        detail: String,
    },
    /// Live probe: the server sent a `message` longer than the probe's TLS client takes
    /// (`limit` bytes), which gave up: an oversized certificate in practice.
    TlsOversized {
        message: protocol::TlsOversizedMessage,
        limit: u64,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct ClientHello {
    /// Always empty: kept for the JSON's shape (the record layer's version is not kept).
    pub record_version: String,
    #[serde(serialize_with = "protocol::tls_version_serde::one")]
    #[cfg_attr(test, schemars(with = "schema::TlsVersionName"))]
    pub version: TlsVersion,
    #[serde(serialize_with = "protocol::tls_version_serde::list")]
    #[cfg_attr(test, schemars(with = "Vec<schema::TlsVersionName>"))]
    pub supported_versions: Vec<TlsVersion>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub cipher_count: usize,
    pub has_ech: bool,
}

impl ClientHello {
    /// The highest version offered (supported_versions, else the legacy field).
    pub fn max_version(&self) -> TlsVersion {
        self.supported_versions
            .iter()
            .copied()
            .max_by_key(|v| tls_version_rank(*v))
            .unwrap_or(self.version)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct ServerHello {
    /// The negotiated version (supported_versions wins over the legacy field, RFC 8446 §4.2.1).
    #[serde(serialize_with = "protocol::tls_version_serde::one")]
    #[cfg_attr(test, schemars(with = "schema::TlsVersionName"))]
    pub version: TlsVersion,
    pub cipher: String,
    pub hello_retry_request: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub subject_cn: Option<String>,
    pub issuer_cn: Option<String>,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub sans: Vec<String>,
    pub sha256: String,
    pub self_signed: bool,
    pub is_ca: bool,
    /// CRL distribution points (URIs), at most a few, as the certificate lists them.
    pub crl_urls: Vec<String>,
    /// OCSP responders from Authority Information Access (URIs).
    pub ocsp_urls: Vec<String>,
    /// SHA-256 of the certificate's SubjectPublicKeyInfo (its public key as encoded in it),
    /// hex; kept so trust can be judged by key, not only by name. Empty when not known
    /// ([`CertSource::DissectionFields`]).
    #[serde(skip)]
    pub spki_sha256: String,
    /// What the fields were read from: the DER (JSON: absent), or a text dissection's
    /// fields (`"read_from": "dissection_fields"`: no DER, so `sha256` is empty and no key
    /// or signature is known).
    #[serde(skip_serializing_if = "CertSource::is_der")]
    pub read_from: CertSource,
}

/// Where a certificate's fields were read from.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CertSource {
    /// Its DER (a capture's bytes, a probe's handshake, a PEM file): every field, its
    /// fingerprint and its key.
    #[default]
    Der,
    /// The fields a text dissection states (`tshark -V`, `show monitor capture NAME buffer
    /// detailed`; issue 23): names, dates, SANs, CA flag, CRL and OCSP URLs, serial. Not
    /// the DER (tshark cuts it), so neither its fingerprint nor its key nor its signature.
    DissectionFields,
}

impl CertSource {
    pub fn is_der(&self) -> bool {
        *self == CertSource::Der
    }
}

impl CertInfo {
    /// Its key is not known (read from a text's fields): trust can judge it by name only.
    pub fn key_unknown(&self) -> bool {
        self.read_from == CertSource::DissectionFields
    }

    /// The SHA-256 of its DER, or `None` when the DER was not read (printers show what
    /// it was read from instead of an empty fingerprint).
    pub fn fingerprint(&self) -> Option<&str> {
        (self.read_from == CertSource::Der && !self.sha256.is_empty())
            .then_some(self.sha256.as_str())
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Failed,
    /// The capture ends before the outcome is visible.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct DnsExchange {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub id: u16,
    pub name: String,
    pub qtype: DnsType,
    pub transport: DnsTransport,
    pub query_frame: Option<u64>,
    pub query_ns: i64,
    pub retries: u32,
    pub response: Option<DnsResponse>,
    /// No answer because the query was refused by ICMP ("ICMP port unreachable from
    /// 198.51.100.53"): nothing listens there, or a filter says so.
    pub unreachable: Option<String>,
    /// Something came back that was no usable answer ("a truncated message (7 bytes ...)
    /// from 127.0.0.1:53"): the live probe says what it was instead of "no answer".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unusable_answer: Option<String>,
    pub licensing: bool,
}

impl DnsExchange {
    /// The answer holds an address (A or AAAA): the name resolved, whatever was asked.
    pub fn answered_an_address(&self) -> bool {
        self.response.as_ref().is_some_and(|r| {
            r.answers
                .iter()
                .any(|a| matches!(a.data, DnsData::A(_) | DnsData::Aaaa(_)))
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct DnsResponse {
    pub frame: Option<u64>,
    pub time_ns: i64,
    pub rcode: DnsRcode,
    pub answers: Vec<DnsAnswer>,
    /// The TC bit: the answer did not fit (RFC 1035 §4.1.1), a resolver asks over TCP.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct DnsAnswer {
    pub name: String,
    pub ttl: u32,
    #[serde(flatten)]
    pub data: DnsData,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum DnsData {
    A(IpAddr),
    Aaaa(IpAddr),
    Cname(String),
    Other(u16),
}

/// What the connections past the display cap had: how many, how many failed, and how
/// often each finding code occurred among them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct OverflowSummary {
    pub connections: u64,
    pub failed: u64,
    pub findings: std::collections::BTreeMap<String, u64>,
    /// Of `connections`, the licensing ones (the rest are there with `--all`).
    #[serde(skip_serializing_if = "is_zero")]
    pub licensing: u64,
    /// Error and warning findings of those connections: part of a report's counts.
    #[serde(skip_serializing_if = "is_zero")]
    pub errors: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub warnings: u64,
}

impl OverflowSummary {
    /// What the connections past the display cap are, in words: all licensing ones, or
    /// (with `--all`) connections of which some are.
    pub fn what(&self) -> String {
        if self.licensing == self.connections {
            "licensing connections".to_string()
        } else {
            format!("connections ({} licensing)", self.licensing)
        }
    }

    pub fn add(&mut self, c: &Connection) {
        self.connections += 1;
        if c.verdict == Verdict::Failed {
            self.failed += 1;
        }
        if c.licensing {
            self.licensing += 1;
        }
        for f in &c.findings {
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => {}
            }
            *self
                .findings
                .entry(f.code.as_str().to_string())
                .or_default() += 1;
        }
    }
}

impl Timeline {
    /// A timeline with no packets: for logs read on their own.
    pub fn empty(source: Source) -> Timeline {
        Timeline {
            schema_version: SCHEMA_VERSION,
            source,
            start_ns: None,
            end_ns: None,
            stats: CaptureStats::default(),
            dns: Vec::new(),
            static_hosts: Vec::new(),
            connections: Vec::new(),
            findings: Vec::new(),
            hidden_connections: 0,
            overflow: OverflowSummary::default(),
            hidden_dns: 0,
            switch_log: None,
            context: None,
            vantage: None,
            proof: None,
        }
    }

    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.connections.iter().flat_map(|c| c.findings.iter()))
    }

    /// Error findings in the report, those of connections past the display cap included:
    /// the one count the text and JSON reports give.
    pub fn error_count(&self) -> u64 {
        self.severity_count(Severity::Error) + self.overflow.errors
    }

    pub fn warning_count(&self) -> u64 {
        self.severity_count(Severity::Warning) + self.overflow.warnings
    }

    fn severity_count(&self, s: Severity) -> u64 {
        self.all_findings().filter(|f| f.severity == s).count() as u64
    }

    pub fn has_errors(&self) -> bool {
        self.overflow.failed > 0 || self.all_findings().any(|f| f.severity == Severity::Error)
    }
}

#[cfg(test)]
mod tests;
