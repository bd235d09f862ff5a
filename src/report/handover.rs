//! What the hand-over documents (`--html`, `--markdown`) say, as plain strings: the
//! verdict, the facts of the input, the findings with their evidence and fix, each
//! connection's ladder and certificate chain. One content, two renderers: [`sections`]
//! walks a report once and each renderer only draws the [`Section`]s it is given. The
//! wording is the text report's (its `describe_event`/`describe_log`, its connection
//! headings and verdict words, the findings' own summary, explanation and remediation),
//! so no document says something the text report does not.
//!
//! Strings here are raw (unescaped): each renderer escapes for its own format.

use super::json::CaptureReport;
use super::words::{self, describe_event};
use crate::diagnose::verdict::OverallVerdict;
use crate::diagnose::verdict::primary_first;
use crate::model::time::format_date;
use crate::model::*;
use std::collections::HashMap;

use super::words::{connection_verdict, offset_ms, overflow_line};

/// A document being written (issue 28 item 9: streamed, not built whole): the renderers
/// write into it as into a `String`, and it hands what it holds to the writer every
/// [`PAGE_CHUNK`] bytes, so memory is one chunk whatever the document's size. The first
/// write error is kept and returned by [`Page::finish`].
pub struct Page<'a> {
    out: &'a mut dyn std::io::Write,
    buf: String,
    error: Option<std::io::Error>,
}

/// Bytes a [`Page`] gathers before writing them.
pub const PAGE_CHUNK: usize = 64 * 1024;

impl<'a> Page<'a> {
    pub fn new(out: &'a mut dyn std::io::Write) -> Self {
        Page {
            out,
            buf: String::with_capacity(PAGE_CHUNK + 1024),
            error: None,
        }
    }

    pub fn push_str(&mut self, s: &str) {
        self.buf.push_str(s);
        if self.buf.len() >= PAGE_CHUNK {
            self.spill();
        }
    }

    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    fn spill(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(self.buf.as_bytes())
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }

    /// Writes what is left; the first error met, if any.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.spill();
        self.error.map_or(Ok(()), Err)
    }
}

impl std::fmt::Write for Page<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// Events drawn per connection; the rest are counted ("--json has all").
pub const MAX_LADDER_ROWS: usize = 400;

pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `licpath probe from HOST` for reports measured from a host (probe, check: issue 22,
/// "say where you stand"); `licpath analyze` for captures and text.
pub fn title_of(command: &str, reports: &[CaptureReport]) -> String {
    match reports.iter().find_map(|r| r.vantage) {
        Some(v) => format!("licpath {command} from {}", v.host),
        None => format!("licpath {command}"),
    }
}

/// What the page is about: the switch's path when the input is the switch's own (a
/// capture, its text) or the probe imitated its configuration; else the path as this
/// host sees it, which is not the switch's.
/// The headline follows the verdict: a healthy report is not titled "why the switch
/// cannot reach Cisco licensing" (issue 26).
pub fn headline_of(reports: &[CaptureReport]) -> &'static str {
    let from_host = reports
        .iter()
        .find_map(|r| r.vantage)
        .is_some_and(|v| !v.imitates_switch);
    match (combined_verdict(reports), from_host) {
        (_, true) => "the licensing path as measured from this host (not from the switch)",
        (OverallVerdict::Failed, false) => "why the switch cannot reach Cisco licensing",
        (OverallVerdict::Ok, false) => "the switch's licensing path works",
        (OverallVerdict::Inconclusive, false) => {
            "what the evidence shows about the switch's licensing path (inconclusive)"
        }
        (OverallVerdict::NoLicensingTraffic, false) => "no licensing traffic in the input",
    }
}

/// `2 inputs` (analyze) or `2 targets` (probe, check).
pub fn inputs(command: &str, n: usize) -> String {
    plural(
        n as u64,
        if command == "analyze" {
            "input"
        } else {
            "target"
        },
    )
}

/// `FAILED (2 errors, 0 warnings)`.
pub fn verdict_line(r: &CaptureReport) -> String {
    format!(
        "{} ({}, {})",
        r.verdict.as_str(),
        plural(r.errors, "error"),
        plural(r.warnings, "warning")
    )
}

/// What proved success (`Timeline::proof`, the text report's `proof:` line) as the
/// hand-over documents say it (issue 26): a healthy report names its evidence rather
/// than a bare "No finding".
pub fn proof_line(t: &Timeline) -> Option<String> {
    t.proof
        .as_deref()
        .map(|p| format!("What proves the path works: {p}."))
}

/// A CSS class / emphasis for a verdict.
pub fn verdict_class(v: OverallVerdict) -> &'static str {
    match v {
        OverallVerdict::Ok => "ok",
        OverallVerdict::Failed => "failed",
        _ => "unknown",
    }
}

/// A table: its column names and rows of raw cells.
pub struct Table<const N: usize> {
    pub head: [&'static str; N],
    pub rows: Vec<[String; N]>,
}

/// One connection drawn with its ladder and chain.
pub struct ConnectionBlock<'a> {
    pub connection: &'a Connection,
    /// [`connection_title`].
    pub title: String,
    /// [`connection_verdict`].
    pub verdict: String,
    /// [`connection_facts`].
    pub facts: String,
    pub ladder: Vec<LadderRow>,
    /// Events past the ladder's cap, plus those the analyser did not keep.
    pub events_not_shown: u64,
    pub chain: Vec<ChainRow>,
}

/// One part of an input's report, in document order. Parts with nothing to say (no DNS,
/// no connection, no switch log) are left out.
pub enum Section<'a> {
    /// The input's name, [`verdict_line`] and the errors that say why ([`headline`]).
    Verdict {
        file: &'a str,
        verdict: OverallVerdict,
        line: String,
        why: Vec<&'a Finding>,
    },
    /// The facts of the input ([`facts`]).
    Facts(Vec<(&'static str, String)>),
    /// Every finding, the primary first, and the line for connections past the display cap.
    Findings {
        items: Vec<FindingItem<'a>>,
        overflow: Option<String>,
        /// [`proof_line`]: what proved success, printed where a bare "No finding" stood.
        proof: Option<String>,
    },
    Dns(Table<6>),
    /// The table of every connection, the ones drawn and the line saying how many are not.
    Connections {
        table: Table<5>,
        drawn: Vec<ConnectionBlock<'a>>,
        not_drawn: Option<String>,
    },
    /// The switch's messages: `Switch log (3 messages)`, the clock they were lined up on,
    /// the rows listed and the line saying how many are not.
    SwitchLog {
        title: String,
        clock: &'a str,
        table: Table<3>,
        not_shown: Option<String>,
    },
}

/// The sections of one input's report, in the order both documents print them.
pub fn sections<'a>(r: &CaptureReport<'a>) -> Vec<Section<'a>> {
    let t = r.timeline;
    let items = findings(t);
    let mut v = vec![
        Section::Verdict {
            file: r.file,
            verdict: r.verdict,
            line: verdict_line(r),
            why: headline(&items).collect(),
        },
        Section::Facts(facts(r)),
        Section::Findings {
            items,
            overflow: overflow_line(t),
            proof: proof_line(t),
        },
    ];
    if !t.dns.is_empty() || !t.static_hosts.is_empty() {
        v.push(Section::Dns(Table {
            head: ["time", "frames", "type", "name", "answer", "server"],
            rows: dns_rows(t),
        }));
    }
    if !t.connections.is_empty() {
        let (drawn, not_drawn) = drawn_connections(t);
        v.push(Section::Connections {
            table: Table {
                head: ["#", "client -> server", "name", "verdict", "cause"],
                rows: connection_rows(t),
            },
            drawn: drawn
                .into_iter()
                .map(|c| connection_block(c, &t.source, t.start_ns.unwrap_or(0)))
                .collect(),
            not_drawn: (not_drawn > 0).then(|| {
                format!(
                    "{} not drawn: failed ones are drawn first (--json has all)",
                    plural(not_drawn as u64, "more connection")
                )
            }),
        });
    }
    if let Some(log) = &t.switch_log {
        // Rows: every entry, clock signs included.
        let n = log.entries.len();
        v.push(Section::SwitchLog {
            title: format!("Switch log ({})", words::log_count(log)),
            clock: &log.clock_offset_basis,
            table: Table {
                head: ["switch time", "message", "read from"],
                rows: log_rows(log),
            },
            not_shown: (n > MAX_LOG_ROWS)
                .then(|| format!("... {} more not shown (--json has all)", n - MAX_LOG_ROWS)),
        });
    }
    v
}

/// A drawn connection's title, verdict, facts, ladder and chain.
/// Times count from `start`, the input's (words::time_base).
pub fn connection_block<'a>(c: &'a Connection, source: &Source, start: i64) -> ConnectionBlock<'a> {
    ConnectionBlock {
        connection: c,
        title: connection_title(c),
        verdict: connection_verdict(c),
        facts: connection_facts(c, source),
        ladder: ladder(c, start),
        events_not_shown: ladder_rows_not_shown(c),
        chain: chain(c),
    }
}

/// The facts of one input: (label, value).
pub fn facts(r: &CaptureReport) -> Vec<(&'static str, String)> {
    let t = r.timeline;
    let mut v = vec![
        ("Input", r.file.to_string()),
        ("Format", r.format.to_string()),
    ];
    let span = words::span(t);
    match &t.source {
        Source::Capture { .. } => {
            v.push(("Frames", t.stats.frames.to_string()));
            v.push(("Span", span));
            v.push(("Capture warnings", capture_warnings(t)));
        }
        Source::Probe { targets } => {
            v.push(("Targets", targets.join(", ")));
            if let Some(vantage) = &t.vantage {
                v.push(("Measured", vantage.line()));
            }
            v.push(("Connection attempts", t.connections.len().to_string()));
            v.push(("Span", span));
        }
        Source::Logs { .. } => {
            let (lines, n) = t
                .switch_log
                .as_ref()
                .map_or((0, 0), |l| (l.lines_read, l.messages()));
            v.push(("Lines read", lines.to_string()));
            v.push(("Licensing messages recognised", n.to_string()));
            v.push(("Span", span));
        }
    }
    if !t.dns.is_empty() || !t.connections.is_empty() {
        v.push(("Times", words::time_base(t).to_string()));
    }
    let licensing = t.connections.iter().filter(|c| c.licensing).count();
    v.push((
        "Connections",
        format!(
            "{} shown ({licensing} licensing){}",
            t.connections.len(),
            if t.hidden_connections > 0 {
                format!(", {} not shown (--all shows them)", t.hidden_connections)
            } else {
                String::new()
            }
        ),
    ));
    v
}

/// What may be missing from a capture: frames cut short, duplicated, out of order, not
/// decoded, and the capture's own findings; `none`.
fn capture_warnings(t: &Timeline) -> String {
    let s = &t.stats;
    let mut notes = Vec::new();
    if s.file_truncated {
        notes.push("the file ends inside a record".to_string());
    }
    if s.frames_truncated > 0 {
        notes.push(format!(
            "{} cut short by the snap length",
            plural(s.frames_truncated, "frame")
        ));
    }
    if s.frames_duplicated > 0 {
        notes.push(format!(
            "{} duplicated",
            plural(s.frames_duplicated, "frame")
        ));
    }
    if s.time_went_backwards > 0 {
        notes.push(format!(
            "time went backwards {}",
            plural(s.time_went_backwards, "time")
        ));
    }
    if s.frames_undecoded > 0 {
        notes.push(format!("{} undecoded", plural(s.frames_undecoded, "frame")));
    }
    for f in t.findings.iter().filter(|f| f.step == Step::Capture) {
        notes.push(format!("{}: {}", f.code.as_str(), f.summary));
    }
    if notes.is_empty() {
        "none".into()
    } else {
        notes.join("; ")
    }
}

/// One finding, where it belongs and the clock its evidence is measured on (the input's
/// start for every finding: words::time_base).
pub struct FindingItem<'a> {
    pub finding: &'a Finding,
    pub connection: Option<&'a Connection>,
    pub start_ns: i64,
}

/// All findings, the primary first (the TUI's and the text report's order).
pub fn findings(t: &Timeline) -> Vec<FindingItem<'_>> {
    let start = t.start_ns.unwrap_or(0);
    let mut v: Vec<FindingItem> = t
        .findings
        .iter()
        .map(|f| FindingItem {
            finding: f,
            connection: None,
            start_ns: start,
        })
        .chain(t.connections.iter().flat_map(|c| {
            c.findings.iter().map(move |f| FindingItem {
                finding: f,
                connection: Some(c),
                start_ns: start,
            })
        }))
        .collect();
    // The one ordering rule (diagnose::verdict::primary_first: severity, then root cause
    // before symptom, then step), applied to the items through each finding's place in it.
    let mut order: Vec<&Finding> = v.iter().map(|i| i.finding).collect();
    primary_first(&mut order);
    let rank: HashMap<*const Finding, usize> = order
        .iter()
        .enumerate()
        .map(|(r, f)| (*f as *const Finding, r))
        .collect();
    v.sort_by_key(|i| rank.get(&(i.finding as *const Finding)).copied());
    v
}

/// Findings shown under the verdict: the errors, at most [`HEADLINE_ERRORS`].
pub fn headline<'a, 'b>(items: &'b [FindingItem<'a>]) -> impl Iterator<Item = &'a Finding> + 'b {
    items
        .iter()
        .map(|i| i.finding)
        .filter(|f| f.severity == Severity::Error)
        .take(HEADLINE_ERRORS)
}

pub const HEADLINE_ERRORS: usize = 5;

/// `ERROR`, `WARNING`, `INFO`.
pub fn severity_word(s: Severity) -> String {
    s.as_str().to_uppercase()
}

/// An evidence line as the text report's `seen:` line: `#14 +13.902 ms what`, or
/// `file:line: what` for the switch's text.
pub fn evidence_line(e: &Evidence, start: i64) -> String {
    match (&e.log, e.frame) {
        (Some(l), _) => format!("{l}: {}", e.what),
        (None, Some(n)) => format!("#{n} {} {}", offset_ms(e.time_ns, start), e.what),
        (None, None) => format!("{} {}", offset_ms(e.time_ns, start), e.what),
    }
}

/// How a ladder row is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    /// Evidence of an error finding, an alert or a reset.
    Error,
    /// Evidence of a warning, a retransmission, a gap.
    Warning,
    Tcp,
    Http,
    Tls,
    Note,
}

pub struct LadderRow {
    pub offset: String,
    pub frame: Option<u64>,
    pub dir: Direction,
    /// The event's first line (as the text report's ladder).
    pub label: String,
    /// Further lines (a Certificate's chain).
    pub detail: Vec<String>,
    pub emphasis: Emphasis,
}

/// The connection's events as ladder rows, at most [`MAX_LADDER_ROWS`], timed from
/// `start` (the input's).
pub fn ladder(c: &Connection, start: i64) -> Vec<LadderRow> {
    let evidence_of = |sev: Severity| -> Vec<u64> {
        c.findings
            .iter()
            .filter(|f| f.severity == sev)
            .flat_map(|f| f.evidence.iter().filter_map(|e| e.frame))
            .collect()
    };
    let (errors, warnings) = (evidence_of(Severity::Error), evidence_of(Severity::Warning));
    c.events
        .iter()
        .take(MAX_LADDER_ROWS)
        .map(|e| {
            let text = describe_event(&e.kind);
            let mut lines = text.lines().map(|l| l.trim().to_string());
            let label = lines.next().unwrap_or_default();
            let in_list = |l: &[u64]| e.frame.is_some_and(|n| l.contains(&n));
            let emphasis = match &e.kind {
                _ if in_list(&errors) => Emphasis::Error,
                EventKind::TlsAlert { .. }
                | EventKind::TcpRst
                | EventKind::TcpUnreachable { .. }
                | EventKind::TlsOversized { .. } => Emphasis::Error,
                _ if in_list(&warnings) => Emphasis::Warning,
                EventKind::TcpGap { .. } | EventKind::TcpLost { .. } => Emphasis::Warning,
                EventKind::TcpSyn {
                    retransmission: true,
                    ..
                }
                | EventKind::TcpSynAck {
                    retransmission: true,
                    ..
                } => Emphasis::Warning,
                EventKind::TcpSyn { .. }
                | EventKind::TcpSynAck { .. }
                | EventKind::TcpEstablished { .. }
                | EventKind::TcpFin => Emphasis::Tcp,
                EventKind::HttpConnectRequest { .. }
                | EventKind::HttpResponse { .. }
                | EventKind::HttpRequest { .. }
                | EventKind::HttpsExchange { .. } => Emphasis::Http,
                EventKind::TlsClientHello(_)
                | EventKind::TlsServerHello(_)
                | EventKind::TlsCertificate { .. }
                | EventKind::TlsCertificateRequest
                | EventKind::TlsServerHelloDone
                | EventKind::TlsClientKeyExchange
                | EventKind::TlsChangeCipherSpec
                | EventKind::TlsEncrypted { .. } => Emphasis::Tls,
                EventKind::NotTls { .. }
                | EventKind::HttpHeadTooLong { .. }
                | EventKind::Undecoded { .. }
                | EventKind::ProbeNote { .. }
                | EventKind::ProbeFailure { .. } => Emphasis::Note,
            };
            LadderRow {
                offset: offset_ms(e.time_ns, start),
                frame: e.frame,
                dir: e.dir,
                label,
                detail: lines.collect(),
                emphasis,
            }
        })
        .collect()
}

/// Connections drawn with their ladder and chain; the others are rows of the connection
/// table only. A ticket needs the failed ones: failed first, then unknown, then OK.
pub const MAX_LADDERS: usize = 50;

/// The connections to draw (in report order) and how many are not drawn.
pub fn drawn_connections(t: &Timeline) -> (Vec<&Connection>, usize) {
    let rank = |c: &Connection| match c.verdict {
        Verdict::Failed => 0,
        Verdict::Unknown => 1,
        Verdict::Ok => 2,
    };
    let mut chosen: Vec<&Connection> = t.connections.iter().collect();
    chosen.sort_by_key(|c| rank(c));
    chosen.truncate(MAX_LADDERS);
    chosen.sort_by_key(|c| c.id);
    (chosen, t.connections.len().saturating_sub(MAX_LADDERS))
}

/// One row per connection, as the text report lists them under the verdict: (id, client
/// -> server, name, verdict, the primary error's code).
pub fn connection_rows(t: &Timeline) -> Vec<[String; 5]> {
    t.connections
        .iter()
        .map(|c| {
            [
                format!("#{}", c.id),
                format!("{} -> {}", c.client, c.server),
                words::listed_name(c),
                connection_verdict(c),
                words::primary_error(c)
                    .map(|f| f.code.as_str().to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

/// Entries of the switch log listed, as in the text report.
pub const MAX_LOG_ROWS: usize = 200;

/// Events past the ladder's cap, plus those the analyser did not keep.
pub fn ladder_rows_not_shown(c: &Connection) -> u64 {
    c.events.len().saturating_sub(MAX_LADDER_ROWS) as u64 + c.events_dropped
}

/// `connection #1 198.51.100.10:59462 -> 198.51.100.3:3131 (smartreceiver.cisco.com) via
/// proxy to smartreceiver.cisco.com:443`, as the text report heads a connection.
pub fn connection_title(c: &Connection) -> String {
    format!("connection #{} {}", c.id, words::connection_route(c))
}

/// `13 packets | 379 B sent, 1931 B received | TCP RTT 0.0 ms | TLS 1.2, handshake
/// incomplete`, as the text report says it under the title.
pub fn connection_facts(c: &Connection, source: &Source) -> String {
    words::connection_facts(c, source).join(" | ")
}

/// The certificates as presented, leaf first: one row per certificate. Names are written
/// CN first … C last whatever order the certificate stored them in ([`dn::display`]).
pub struct ChainRow {
    pub index: usize,
    pub subject: String,
    pub issuer: String,
    pub valid: String,
    pub serial: String,
    pub sha256: String,
    pub self_signed: bool,
    /// What the diagnosis found wrong with this certificate's dates (`EXPIRED when
    /// seen`), shown as a word and a row style, never by colour alone.
    pub mark: Option<&'static str>,
}

/// The chain table's header note: what order the names are written in.
pub const CHAIN_NAME_ORDER: &str = "names written CN first, C last (RFC 4514 order), whatever order the certificate stores them in";

/// The fingerprint cell of a certificate read from a text's fields (no DER, so none).
pub const NO_FINGERPRINT: &str = "none: read from the text's dissection fields";

pub fn chain(c: &Connection) -> Vec<ChainRow> {
    let certs = c.tls.as_ref().map(|t| &t.certificates[..]).unwrap_or(&[]);
    certs
        .iter()
        .enumerate()
        .map(|(index, x)| ChainRow {
            index,
            subject: dn::display(&x.subject),
            issuer: dn::display(&x.issuer),
            valid: format!(
                "{} .. {}",
                format_date(x.not_before),
                format_date(x.not_after)
            ),
            serial: x.serial.clone(),
            sha256: x.fingerprint().unwrap_or(NO_FINGERPRINT).to_string(),
            self_signed: x.self_signed,
            mark: date_mark(c, x),
        })
        .collect()
}

/// The word for a certificate the connection's date findings name (diagnose/cert.rs
/// cites each as `Certificate <CN or name>`): the table says what the findings say.
fn date_mark(c: &Connection, x: &CertInfo) -> Option<&'static str> {
    let cited = format!(
        "Certificate {}",
        x.subject_cn.as_deref().unwrap_or(&x.subject)
    );
    // A capture clock that cannot be right: the dates were judged against now.
    let now = c
        .findings
        .iter()
        .any(|f| f.code == FindingCode::CaptureClockInvalid);
    c.findings
        .iter()
        .filter(|f| f.evidence.iter().any(|e| e.what == cited))
        .find_map(|f| match (f.code, f.severity, now) {
            (FindingCode::CertExpired, Severity::Error, false) => Some("EXPIRED when seen"),
            (FindingCode::CertExpired, Severity::Error, true) => Some("EXPIRED now"),
            (FindingCode::CertExpired, _, _) => Some("expired since"),
            (FindingCode::CertNotYetValid, _, false) => Some("NOT YET VALID when seen"),
            (FindingCode::CertNotYetValid, _, true) => Some("NOT YET VALID now"),
            _ => None,
        })
}

/// DNS exchanges: (time, frame, type, name, answer, server); static entries (`ip host`,
/// `--resolve`) first, as what they are: no query, no time, no server.
pub fn dns_rows(t: &Timeline) -> Vec<[String; 6]> {
    let start = t.start_ns.unwrap_or(0);
    let statics = t.static_hosts.iter().map(|h| {
        [
            String::new(),
            String::new(),
            "static".to_string(),
            h.name.clone(),
            h.to_string(),
            String::new(),
        ]
    });
    statics
        .chain(t.dns.iter().map(|d| {
            [
                offset_ms(d.query_ns, start),
                words::dns_frames(d),
                d.qtype.to_string(),
                d.name.clone(),
                format!("{}{}", words::dns_answer(d), words::dns_retries(d)),
                format!("{}/{}", d.server, d.transport),
            ]
        }))
        .collect()
}

/// The switch's messages: (switch time, message, where it was read).
pub fn log_rows(log: &SwitchLog) -> Vec<[String; 3]> {
    log.entries
        .iter()
        .take(MAX_LOG_ROWS)
        .map(|e| {
            [
                e.timestamp.clone().unwrap_or_else(|| "-".into()),
                words::log_message(e),
                format!("{}:{}", words::log_file(log, e), e.line),
            ]
        })
        .collect()
}

/// The verdict of several inputs together (worst first), for a document's title.
pub fn combined_verdict(reports: &[CaptureReport]) -> OverallVerdict {
    super::json::combine(reports.iter().map(|r| r.verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_hands_its_text_to_the_writer_in_chunks() {
        /// Records the size of each write.
        struct Sizes(Vec<usize>);
        impl std::io::Write for Sizes {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.push(b.len());
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut sizes = Sizes(Vec::new());
        let mut page = Page::new(&mut sizes);
        let line = "x".repeat(1000);
        for _ in 0..1000 {
            std::fmt::Write::write_str(&mut page, &line).unwrap();
            page.push('\n');
        }
        page.finish().unwrap();
        assert_eq!(sizes.0.iter().sum::<usize>(), 1_001_000);
        assert!(sizes.0.len() >= 15, "{:?}", sizes.0);
        assert!(
            sizes.0.iter().all(|&n| n < PAGE_CHUNK + 1001),
            "{:?}",
            sizes.0
        );
    }

    fn finding(code: FindingCode, severity: Severity) -> Finding {
        Finding {
            code,
            severity,
            step: Step::Tls,
            confidence: Confidence::Certain,
            summary: code.as_str().into(),
            explanation: String::new(),
            remediation: vec![],
            evidence: vec![],
            blame: None,
        }
    }

    #[test]
    fn findings_list_errors_first_on_the_input_s_clock() {
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        t.start_ns = Some(100);
        t.findings
            .push(finding(FindingCode::CaptureGap, Severity::Warning));
        let mut c = Connection::new(
            7,
            "10.0.0.1:1".parse().unwrap(),
            "10.0.0.2:443".parse().unwrap(),
            5_000,
            TcpState::Established,
        );
        c.findings
            .push(finding(FindingCode::TlsReset, Severity::Error));
        t.connections.push(c);
        let items = findings(&t);
        let seen: Vec<_> = items
            .iter()
            .map(|i| (i.finding.code, i.connection.map(|c| c.id), i.start_ns))
            .collect();
        assert_eq!(
            seen,
            vec![
                (FindingCode::TlsReset, Some(7), 100),
                (FindingCode::CaptureGap, None, 100)
            ]
        );
        assert_eq!(
            headline(&items).map(|f| f.code).collect::<Vec<_>>(),
            vec![FindingCode::TlsReset]
        );
    }

    #[test]
    fn failed_connections_are_drawn_first_up_to_the_cap() {
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        for id in 1..=(MAX_LADDERS as u64 + 10) {
            let mut c = Connection::new(
                id,
                "10.0.0.1:1".parse().unwrap(),
                "10.0.0.2:443".parse().unwrap(),
                0,
                TcpState::Established,
            );
            c.verdict = if id == MAX_LADDERS as u64 + 7 {
                Verdict::Failed
            } else {
                Verdict::Ok
            };
            t.connections.push(c);
        }
        let (drawn, not_drawn) = drawn_connections(&t);
        assert_eq!((drawn.len(), not_drawn), (MAX_LADDERS, 10));
        assert_eq!(drawn[0].id, 1, "report order");
        assert_eq!(drawn.last().map(|c| c.id), Some(MAX_LADDERS as u64 + 7));
        assert_eq!(connection_rows(&t).len(), MAX_LADDERS + 10);
    }

    /// The kind of each section, in order.
    fn kinds(r: &CaptureReport) -> Vec<&'static str> {
        sections(r)
            .iter()
            .map(|s| match s {
                Section::Verdict { .. } => "verdict",
                Section::Facts(_) => "facts",
                Section::Findings { .. } => "findings",
                Section::Dns(_) => "dns",
                Section::Connections { .. } => "connections",
                Section::SwitchLog { .. } => "switch log",
            })
            .collect()
    }

    #[test]
    fn sections_come_in_document_order_and_empty_parts_are_left_out() {
        use crate::model::testing;
        let empty = Timeline::empty(Source::Capture { files: vec![] });
        assert_eq!(
            kinds(&super::super::json::report("a.pcap", "pcap", &empty)),
            ["verdict", "facts", "findings"]
        );
        let mut t = testing::timeline(
            vec![testing::dns(
                "smartreceiver.cisco.com",
                DnsType::A,
                Some(DnsRcode::NOERROR),
                vec![],
            )],
            vec![
                testing::connection()
                    .handshake()
                    .rst(Direction::ToClient)
                    .build(),
            ],
        );
        t.switch_log = Some(SwitchLog {
            clock_offset_basis: "unknown".into(),
            ..SwitchLog::default()
        });
        let r = super::super::json::report("b.pcap", "pcap", &t);
        assert_eq!(
            kinds(&r),
            [
                "verdict",
                "facts",
                "findings",
                "dns",
                "connections",
                "switch log"
            ]
        );
        let Some(Section::Connections {
            table,
            drawn,
            not_drawn,
        }) = sections(&r).into_iter().nth(4)
        else {
            panic!("connections fifth");
        };
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0][1], "192.0.2.10:50000 -> 203.0.113.10:443");
        assert_eq!((drawn.len(), not_drawn), (1, None));
        assert_eq!(
            drawn[0].title,
            "connection #1 192.0.2.10:50000 -> 203.0.113.10:443"
        );
        let labels: Vec<&str> = drawn[0].ladder.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["SYN mss 536 win 4128", "SYN/ACK mss 1460 win 65535", "RST"]
        );
        assert_eq!(drawn[0].ladder[2].emphasis, Emphasis::Error);
    }

    #[test]
    fn evidence_lines_read_like_the_text_report() {
        let mut e = Evidence {
            frame: Some(14),
            time_ns: 13_902_000 + 1_000,
            what: "Certificate".into(),
            log: None,
        };
        assert_eq!(evidence_line(&e, 1_000), "#14 +13.902 ms Certificate");
        e.frame = None;
        assert_eq!(evidence_line(&e, 1_000), "+13.902 ms Certificate");
        e.log = Some("show-log.txt:3".into());
        assert_eq!(evidence_line(&e, 1_000), "show-log.txt:3: Certificate");
    }

    #[test]
    fn chain_dates_past_2262_are_dates() {
        let mut c = Connection::new(
            1,
            "10.0.0.1:1".parse().unwrap(),
            "10.0.0.2:443".parse().unwrap(),
            0,
            TcpState::Established,
        );
        c.tls = Some(TlsSummary {
            certificates: vec![CertInfo {
                subject: "CN=a".into(),
                issuer: "CN=b".into(),
                subject_cn: None,
                issuer_cn: None,
                serial: "01".into(),
                not_before: 0,
                // 9999-12-31T23:59:59Z (RFC 5280 §4.1.2.5's "no well-defined expiration").
                not_after: 253_402_300_799,
                sans: vec![],
                sha256: "ab".into(),
                self_signed: false,
                is_ca: false,
                crl_urls: vec![],
                ocsp_urls: vec![],
                spki_sha256: String::new(),
                read_from: crate::model::CertSource::Der,
            }],
            ..TlsSummary::default()
        });
        let rows = chain(&c);
        assert_eq!(rows[0].valid, "1970-01-01 .. 9999-12-31");
        assert_eq!(
            (rows[0].subject.as_str(), rows[0].issuer.as_str()),
            ("CN=a", "CN=b")
        );
    }
}
