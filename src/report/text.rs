//! The text report: verdict first, then DNS, then each connection as a timeline with its
//! findings and the IOS XE commands that fix them. Colour only when asked for (the CLI
//! decides from the terminal and NO_COLOR).

use super::{format_utc, overall_verdict};
use crate::escape::esc;
use crate::model::time::format_date;
use crate::model::*;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}

struct Paint(Color);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        match self.0 {
            Color::Always => format!("\x1b[{code}m{s}\x1b[0m"),
            Color::Never => s.to_string(),
        }
    }
    fn sev(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.wrap("1;31", "ERROR"),
            Severity::Warning => self.wrap("33", "WARN "),
            Severity::Info => self.wrap("36", "INFO "),
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// `+13.902 ms` after `start`.
pub fn offset_ms(ns: i64, start: i64) -> String {
    format!("{:+.3} ms", (ns - start) as f64 / 1e6)
}

/// [`offset_ms`] right-aligned for the ladder's time column.
fn rel_ms(ns: i64, start: i64) -> String {
    format!("{:>13}", offset_ms(ns, start))
}

fn frame(f: Option<u64>) -> String {
    f.map_or_else(|| "      ".to_string(), |n| format!("#{n:<5}"))
}

/// One line (a certificate event: one line per certificate) describing an event, with
/// every string that came from the network escaped for the terminal.
pub fn describe_event(k: &EventKind) -> String {
    match k {
        // The live probe knows it sent a SYN, not its options.
        EventKind::TcpSyn {
            mss: None,
            window: 0,
            ..
        } => "SYN".into(),
        EventKind::TcpSynAck { mss, window: 0, .. } => format!(
            "SYN/ACK{}",
            mss.map(|m| format!(" (negotiated mss {m})"))
                .unwrap_or_default()
        ),
        EventKind::TcpSyn {
            mss,
            window,
            retransmission,
        } => syn_line("SYN", *mss, *window, *retransmission),
        EventKind::TcpSynAck {
            mss,
            window,
            retransmission,
        } => syn_line("SYN/ACK", *mss, *window, *retransmission),
        EventKind::TcpEstablished { rtt_ns } => format!(
            "ACK: TCP established (handshake {:.1} ms)",
            *rtt_ns as f64 / 1e6
        ),
        EventKind::TcpFin => "FIN".into(),
        EventKind::TcpRst => "RST".into(),
        EventKind::TcpGap { missing_bytes } => {
            format!("[capture gap: {missing_bytes} bytes not captured]")
        }
        EventKind::TcpLost { missing_bytes } => format!(
            "{missing_bytes} bytes lost before data that arrived (never acknowledged by the receiver)"
        ),
        EventKind::HttpConnectRequest { target, version } => {
            format!("CONNECT {} {}", esc(target), esc(version))
        }
        EventKind::HttpResponse {
            version,
            status,
            reason,
            ..
        } => format!("{} {status} {}", esc(version), esc(reason)),
        EventKind::HttpRequest {
            method,
            target,
            version,
            host,
        } => format!(
            "{} {} {}{}",
            esc(method),
            esc(target),
            esc(version),
            host.as_deref()
                .map(|h| format!(" (Host: {})", esc(h)))
                .unwrap_or_default()
        ),
        EventKind::TlsClientHello(h) => client_hello_line(h),
        EventKind::TlsServerHello(s) if s.hello_retry_request => {
            format!(
                "HelloRetryRequest {} {}",
                tls_version_name(s.version),
                s.cipher
            )
        }
        EventKind::TlsServerHello(s) => {
            format!("ServerHello {} {}", tls_version_name(s.version), s.cipher)
        }
        EventKind::TlsCertificate { certificates } => certificate_lines(certificates),
        EventKind::TlsCertificateRequest => "CertificateRequest".into(),
        EventKind::TlsServerHelloDone => "ServerHelloDone".into(),
        EventKind::TlsClientKeyExchange => "ClientKeyExchange".into(),
        EventKind::TlsChangeCipherSpec => "ChangeCipherSpec".into(),
        EventKind::TlsAlert(a) => format!(
            "Alert {} {} ({})",
            a.level_name(),
            a.description_name(),
            a.code()
        ),
        EventKind::TlsEncrypted {
            records,
            bytes,
            content_type,
            ..
        } => format!(
            "{records} encrypted {content_type} record{} ({bytes} bytes)",
            if *records == 1 { "" } else { "s" }
        ),
        EventKind::NotTls { preview } => format!("not TLS: {}", esc(preview)),
        EventKind::Undecoded { reason } => format!("undecoded: {}", esc(reason)),
        EventKind::TcpUnreachable { reason } => format!("connect failed: {}", esc(reason)),
        EventKind::HttpsExchange {
            request,
            status,
            reason,
            date,
            server,
        } => format!(
            "[inside TLS] {} -> {status} {}{}{}",
            esc(request),
            esc(reason),
            date.as_deref()
                .map(|d| format!(", Date: {}", esc(d)))
                .unwrap_or_default(),
            server
                .as_deref()
                .map(|s| format!(", Server: {}", esc(s)))
                .unwrap_or_default()
        ),
        EventKind::ProbeNote { text } => format!("[probe] {}", esc(text)),
    }
}

/// `SYN (retransmission) mss 1460 win 64240`, as a capture shows it.
fn syn_line(what: &str, mss: Option<u16>, window: u16, retransmission: bool) -> String {
    format!(
        "{what}{} mss {} win {window}",
        if retransmission {
            " (retransmission)"
        } else {
            ""
        },
        mss.map_or("-".into(), |m| m.to_string())
    )
}

/// `ClientHello SNI name offers TLS 1.3/TLS 1.2 (17 ciphers, ALPN h2, ECH)`.
fn client_hello_line(h: &ClientHello) -> String {
    format!(
        "ClientHello {}SNI {} offers {} ({} ciphers{}{})",
        "",
        h.sni
            .as_deref()
            .map_or("(none)".into(), |n| esc(n).to_string()),
        if h.supported_versions.is_empty() {
            tls_version_name(h.version)
        } else {
            h.supported_versions
                .iter()
                .map(|v| tls_version_name(*v))
                .collect::<Vec<_>>()
                .join("/")
        },
        h.cipher_count,
        if h.alpn.is_empty() {
            String::new()
        } else {
            format!(", ALPN {}", esc(&h.alpn.join(",")))
        },
        if h.has_ech { ", ECH" } else { "" }
    )
}

/// `Certificate (2 certs)` and one line per certificate, leaf first.
fn certificate_lines(certificates: &[CertInfo]) -> String {
    let mut s = format!(
        "Certificate ({} cert{})",
        certificates.len(),
        if certificates.len() == 1 { "" } else { "s" }
    );
    for (i, c) in certificates.iter().enumerate() {
        s.push_str(&format!(
            "\n{:>33}[{i}] {}  <- issued by {}  valid {} .. {}",
            "",
            esc(c.subject_cn.as_deref().unwrap_or(&c.subject)),
            esc(c.issuer_cn.as_deref().unwrap_or(&c.issuer)),
            format_date(c.not_before),
            format_date(c.not_after)
        ));
    }
    s
}

/// `OK`, `FAILED at cert`, `UNKNOWN (reached tls)`.
pub fn connection_verdict(c: &Connection) -> String {
    match c.verdict {
        Verdict::Ok => "OK".into(),
        Verdict::Failed => format!("FAILED at {}", c.reached.as_str()),
        Verdict::Unknown => format!("UNKNOWN (reached {})", c.reached.as_str()),
    }
}

fn verdict_word(p: &Paint, c: &Connection) -> String {
    let code = match c.verdict {
        Verdict::Ok => "32",
        Verdict::Failed => "1;31",
        Verdict::Unknown => "33",
    };
    p.wrap(code, &connection_verdict(c))
}

/// `confidence: high`, or nothing when the finding is certain.
pub fn confidence_note(f: &Finding) -> Option<String> {
    match f.confidence {
        Confidence::Certain => None,
        c => Some(format!("confidence: {}", format!("{c:?}").to_lowercase())),
    }
}

fn write_finding(
    out: &mut dyn Write,
    p: &Paint,
    f: &Finding,
    start: i64,
    indent: &str,
) -> io::Result<()> {
    let conf = confidence_note(f)
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    writeln!(
        out,
        "{indent}{} {} ({}): {}{conf}",
        p.sev(f.severity),
        p.bold(f.code.as_str()),
        f.step.as_str(),
        esc(&f.summary)
    )?;
    writeln!(out, "{indent}      why: {}", esc(&f.explanation))?;
    for e in &f.evidence {
        if let Some(l) = &e.log {
            writeln!(out, "{indent}      seen: {}: {}", esc(l), esc(&e.what))?;
            continue;
        }
        writeln!(
            out,
            "{indent}      seen: {} {} {}",
            frame(e.frame).trim_end(),
            rel_ms(e.time_ns, start).trim_start(),
            esc(&e.what)
        )?;
    }
    if !f.remediation.is_empty() {
        writeln!(out, "{indent}      fix:")?;
        for r in &f.remediation {
            writeln!(out, "{indent}        {}", esc(r))?;
        }
    }
    Ok(())
}

pub fn write_text(
    out: &mut dyn Write,
    file: &str,
    format: &str,
    t: &Timeline,
    color: Color,
) -> io::Result<()> {
    let p = Paint(color);
    write_heading(out, &p, file, format, t)?;
    write_verdict(out, &p, t)?;
    write_connection_list(out, &p, t)?;
    let start = t.start_ns.unwrap_or(0);
    for f in &t.findings {
        write_finding(out, &p, f, start, "   ")?;
    }
    write_dns(out, &p, t)?;
    for c in &t.connections {
        write_connection(out, &p, c, &t.source)?;
    }
    if let Some(log) = &t.switch_log {
        write_switch_log(out, &p, t, log)?;
    }
    Ok(())
}

/// `== file` and what was read: frames, connection attempts or log lines, and the span.
fn write_heading(
    out: &mut dyn Write,
    p: &Paint,
    file: &str,
    format: &str,
    t: &Timeline,
) -> io::Result<()> {
    writeln!(out, "{}", p.bold(&format!("== {}", esc(file))))?;
    let span = span(t);
    match &t.source {
        Source::Probe { .. } => writeln!(
            out,
            "   {format}, {} connection attempt{}, {span}",
            t.connections.len(),
            if t.connections.len() == 1 { "" } else { "s" }
        ),
        Source::Capture { .. } => writeln!(
            out,
            "   {format}, {} frames{}, {span}",
            t.stats.frames,
            duplicates_note(t.stats.frames_duplicated)
        ),
        Source::Logs { .. } => {
            let (lines, n) = t
                .switch_log
                .as_ref()
                .map_or((0, 0), |l| (l.lines_read, l.entries.len()));
            writeln!(
                out,
                "   {format}, {lines} lines read, {n} licensing message{} recognised, {span}",
                if n == 1 { "" } else { "s" }
            )
        }
    }
}

/// `2026-01-15 08:00:00 UTC + 1.250 s`: when the input starts and how long it lasts.
pub fn span(t: &Timeline) -> String {
    match (t.start_ns, t.end_ns) {
        (Some(a), Some(b)) => format!("{} + {:.3} s", format_utc(a), (b - a) as f64 / 1e9),
        _ => "empty".into(),
    }
}

/// The overall verdict with the counts, and the primary cause when something failed.
fn write_verdict(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    let verdict = overall_verdict(t);
    let errors = t.error_count();
    let warnings = t.warning_count();
    let vword = match verdict {
        super::OverallVerdict::Failed => p.wrap("1;31", verdict.as_str()),
        super::OverallVerdict::Ok => p.wrap("1;32", verdict.as_str()),
        _ => p.wrap("1;33", verdict.as_str()),
    };
    writeln!(
        out,
        "   verdict: {vword}  ({errors} error{}, {warnings} warning{})",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )?;
    if errors > 0
        && let Some((f, conn)) = crate::diagnose::verdict::primary_of(t)
    {
        let at = conn
            .map(|id| format!(" (connection #{id})"))
            .unwrap_or_default();
        writeln!(
            out,
            "   cause:   {}{at}: {}",
            f.code.as_str(),
            esc(&f.summary)
        )?;
    }
    Ok(())
}

/// One line per connection under the verdict, then those past the display cap and those
/// not shown.
fn write_connection_list(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    for c in &t.connections {
        let first_error = primary_error(c)
            .map(|f| format!(": {}", f.code.as_str()))
            .unwrap_or_default();
        writeln!(
            out,
            "     #{:<4} {} -> {} {}  {}{first_error}",
            c.id,
            c.client,
            c.server,
            esc(&listed_name(c)),
            verdict_word(p, c)
        )?;
    }
    if let Some(line) = overflow_line(t) {
        writeln!(out, "     {line}")?;
    }
    let unrelated = t.hidden_connections.saturating_sub(t.overflow.connections);
    if unrelated > 0 {
        writeln!(
            out,
            "     ({unrelated} other connection{} not shown; --all shows them)",
            if unrelated == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

/// A connection's name in the list of connections: `smartreceiver.cisco.com`, `crl.example
/// (revocation fetch)`, `(the switch's proxy)` (analyze's context), or nothing.
pub fn listed_name(c: &Connection) -> String {
    let name = c.server_name.as_deref().unwrap_or("");
    match (c.revocation, c.configured_proxy) {
        (true, _) => format!("{name} (revocation fetch)"),
        (false, true) if name.is_empty() => "(the switch's proxy)".into(),
        (false, true) => format!("{name} (the switch's proxy)"),
        (false, false) => name.to_string(),
    }
}

/// The error that caused the connection's failure, not its symptom
/// (diagnose::verdict::primary_finding).
pub fn primary_error(c: &Connection) -> Option<&Finding> {
    crate::diagnose::verdict::primary_finding(&c.findings).filter(|f| f.severity == Severity::Error)
}

/// `198.51.100.10:59462 -> 198.51.100.3:3131 (smartreceiver.cisco.com) via proxy to
/// smartreceiver.cisco.com:443`: a connection's ends as its heading says them.
pub fn connection_route(c: &Connection) -> String {
    format!(
        "{} -> {}{}{}{}",
        c.client,
        c.server,
        c.server_name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        match (c.revocation, c.configured_proxy, &c.server_name) {
            (true, _, _) => ", revocation fetch",
            (false, true, Some(_)) => ", the switch's proxy",
            (false, true, None) => " (the switch's proxy)",
            _ => "",
        },
        c.proxy_target
            .as_deref()
            .map(|t| format!(" via proxy to {t}"))
            .unwrap_or_default()
    )
}

/// `... and 12 more connections past the display cap: 3 failed (tls_reset x3)`, when
/// connections went past the cap: the wording the hand-over documents share.
pub fn overflow_line(t: &Timeline) -> Option<String> {
    (t.overflow.connections > 0).then(|| {
        let codes: Vec<String> = t
            .overflow
            .findings
            .iter()
            .map(|(k, v)| format!("{k} x{v}"))
            .collect();
        format!(
            "... and {} more {} past the display cap: {} failed ({})",
            t.overflow.connections,
            t.overflow.what(),
            t.overflow.failed,
            if codes.is_empty() {
                "no findings".to_string()
            } else {
                codes.join(", ")
            }
        )
    })
}

/// Every DNS exchange, unanswered ones highlighted; static entries first (no query).
fn write_dns(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    if t.dns.is_empty() && t.static_hosts.is_empty() {
        return Ok(());
    }
    let start = t.start_ns.unwrap_or(0);
    writeln!(out, "\n   {}", p.bold("DNS"))?;
    for h in &t.static_hosts {
        writeln!(out, "   {}", esc(&h.to_string()))?;
    }
    for d in &t.dns {
        let answer = match &d.response {
            Some(_) => dns_answer(d),
            None => p.wrap("33", &dns_answer(d)),
        };
        let retries = dns_retries(d);
        writeln!(
            out,
            "   {} {} {:<5} {} -> {}{retries}  via {}/{}",
            rel_ms(d.query_ns, start),
            frame(d.query_frame),
            d.qtype,
            esc(&d.name),
            answer,
            d.server,
            d.transport
        )?;
    }
    Ok(())
}

/// A connection as a timeline: its title and facts, its events, its findings.
fn write_connection(
    out: &mut dyn Write,
    p: &Paint,
    c: &Connection,
    source: &Source,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "   {} {}  {}",
        p.bold(&format!("connection #{}", c.id)),
        esc(&connection_route(c)),
        verdict_word(p, c)
    )?;
    let facts = connection_facts(c, source);
    writeln!(out, "   {}", p.dim(&facts.join(" | ")))?;
    for e in &c.events {
        writeln!(
            out,
            "   {} {} {} {}",
            rel_ms(e.time_ns, c.start_ns),
            frame(e.frame),
            e.dir.arrow(),
            describe_event(&e.kind)
        )?;
    }
    if c.events_dropped > 0 {
        writeln!(out, "   ... {} more events not kept", c.events_dropped)?;
    }
    for f in &c.findings {
        write_finding(out, p, f, c.start_ns, "   ")?;
    }
    Ok(())
}

/// A DNS exchange's outcome (`NOERROR 192.0.2.1 in 0.4 ms`, `no response, ICMP port
/// unreachable from ...`), network strings escaped: the wording the hand-over documents
/// share.
pub fn dns_answer(d: &DnsExchange) -> String {
    match &d.response {
        Some(r) => {
            let addrs: Vec<String> = r
                .answers
                .iter()
                .map(|a| match &a.data {
                    DnsData::A(ip) | DnsData::Aaaa(ip) => ip.to_string(),
                    DnsData::Cname(n) => format!("CNAME {}", esc(n)),
                    DnsData::Other(t) => format!("type {t}"),
                })
                .collect();
            format!(
                "{} {} in {:.1} ms",
                esc(&r.rcode),
                if addrs.is_empty() {
                    "(no answer)".into()
                } else {
                    addrs.join(", ")
                },
                (r.time_ns - d.query_ns) as f64 / 1e6
            )
        }
        None => match &d.unreachable {
            Some(u) => format!("no response, {}", esc(u)),
            None => "no response".into(),
        },
    }
}

/// ` (40 dropped as capture duplicates)`: frames seen twice (two capture points, same
/// bytes and IP ID) are not analysed twice, and not counted as retransmissions; or nothing.
fn duplicates_note(n: u64) -> String {
    match n {
        0 => String::new(),
        n => format!(" ({n} dropped as capture duplicates)"),
    }
}

/// ` (answered on try 2)` for an answer that needed a retry, ` (2 retries)` for a query
/// never answered, or nothing.
pub fn dns_retries(d: &DnsExchange) -> String {
    if d.retries > 0 && d.response.is_some() {
        format!(" (answered on try {})", d.retries + 1)
    } else if d.retries > 0 {
        format!(
            " ({} retr{})",
            d.retries,
            if d.retries == 1 { "y" } else { "ies" }
        )
    } else {
        String::new()
    }
}

/// The facts under a connection's title (`13 packets`, `379 B sent, 1931 B received`,
/// `TCP RTT 0.0 ms`, `TLS 1.2, handshake incomplete`), network strings escaped.
pub fn connection_facts(c: &Connection, source: &Source) -> Vec<String> {
    let mut facts = vec![format!(
        "{} B sent, {} B received",
        c.bytes_to_server, c.bytes_to_client
    )];
    if matches!(source, Source::Capture { .. }) {
        facts.insert(0, format!("{} packets", c.packets));
    }
    if let Some(rtt) = c.handshake_rtt_ns {
        facts.push(format!("TCP RTT {:.1} ms", rtt as f64 / 1e6));
    }
    if let Some(tls) = &c.tls
        && let Some(v) = tls.version
    {
        facts.push(format!(
            "{}{}",
            tls_version_name(v),
            if tls.handshake_complete {
                ", handshake complete"
            } else {
                ", handshake incomplete"
            }
        ));
    }
    if c.state == TcpState::StartNotCaptured {
        facts.push("start not captured".into());
    }
    facts
}

/// Entries of the switch log shown in the text report before "... N more".
const LOG_LINES_SHOWN: usize = 200;

/// One line describing a message of the switch's text, its pasted strings escaped for
/// the terminal.
pub fn describe_log(k: &LogKind) -> String {
    match k {
        LogKind::CommFailed { server, reason } => format!(
            "COMM_FAILED ({}): {}",
            esc(&server.to_uppercase()),
            esc(reason)
        ),
        LogKind::CommRestored { server } => {
            format!("COMM_RESTORED ({})", esc(&server.to_uppercase()))
        }
        LogKind::CallHomeFailed { error, reason, .. } => format!(
            "CALL_HOME failed{}: {}",
            error.map(|e| format!(" (ERR {e})")).unwrap_or_default(),
            esc(reason)
        ),
        LogKind::EventCommFail { error } => format!("SAEVT_COMM_FAIL: {}", esc(error)),
        LogKind::EventCommRestored => "SAEVT_COMM_RESTORED".into(),
        LogKind::CrlFetchFail { trustpoint, reason } => format!(
            "CRL fetch failed{}{}",
            trustpoint
                .as_deref()
                .map(|t| format!(" for {}", esc(t)))
                .unwrap_or_default(),
            reason
                .as_deref()
                .map(|r| format!(": {}", esc(r)))
                .unwrap_or_default()
        ),
        LogKind::CertNotYetValid => "certificate not yet valid".into(),
        LogKind::CertExpired => "certificate expired".into(),
        LogKind::TechSupport {
            message_type,
            total,
            fail,
            last_response,
            failure_reason,
            ..
        } => format!(
            "{}: {} attempts, {} failed, last response {}{}",
            esc(message_type),
            total.map_or("?".into(), |v| v.to_string()),
            fail.map_or("?".into(), |v| v.to_string()),
            esc(last_response.as_deref().unwrap_or("none")),
            failure_reason
                .as_deref()
                .map(|r| format!(" ({})", esc(r)))
                .unwrap_or_default()
        ),
        LogKind::UsageReporting {
            last_ack,
            last_push,
            ..
        } => format!(
            "usage reporting: last push {}, last ACK {}",
            esc(last_push.as_deref().unwrap_or("none")),
            esc(last_ack.as_deref().unwrap_or("none"))
        ),
        LogKind::LastCommAttempt { result } => {
            format!("last communication attempt {}", esc(result))
        }
        LogKind::ClockUnsynced { sign } => format!("clock not synchronised: {}", esc(sign)),
        LogKind::CallHomeStatistics {
            http_success,
            http_failed,
            ..
        } => format!("call-home HTTP messages: {http_success} sent, {http_failed} failed"),
        LogKind::Other { mnemonic } => esc(mnemonic).to_string(),
    }
}

/// A message of the switch's text and the connection it was lined up with:
/// `COMM_FAILED (CSSM): ...  = connection #3`.
pub fn log_message(e: &LogEntry) -> String {
    format!(
        "{}{}",
        describe_log(&e.kind),
        e.connection
            .map(|id| format!("  = connection #{id}"))
            .unwrap_or_default()
    )
}

/// The name of the file an entry was read from.
pub fn log_file<'a>(log: &'a SwitchLog, e: &LogEntry) -> &'a str {
    log.files.get(e.file).map(String::as_str).unwrap_or("log")
}

/// The switch's messages, merged with the connections on one clock when it is known.
fn write_switch_log(
    out: &mut dyn Write,
    p: &Paint,
    t: &Timeline,
    log: &SwitchLog,
) -> io::Result<()> {
    writeln!(
        out,
        "\n   {} ({} message{} from {})",
        p.bold("Switch log"),
        log.entries.len(),
        if log.entries.len() == 1 { "" } else { "s" },
        esc(&log.files.join(", "))
    )?;
    writeln!(out, "   clock: {}", esc(&log.clock_offset_basis))?;
    // (time on the timeline's clock, connection id or entry index)
    enum Row<'a> {
        Conn(&'a Connection),
        Log(&'a LogEntry),
    }
    let mut rows: Vec<(Option<i64>, Row)> = log
        .entries
        .iter()
        .map(|e| (e.time_ns, Row::Log(e)))
        .collect();
    if log.clock_offset_ns.is_some() {
        rows.extend(
            t.connections
                .iter()
                .filter(|c| c.licensing)
                .map(|c| (Some(c.start_ns), Row::Conn(c))),
        );
        rows.sort_by_key(|(time, _)| time.unwrap_or(i64::MIN));
    }
    let total = rows.len();
    for (time, row) in rows.into_iter().take(LOG_LINES_SHOWN) {
        let when = match (time, log.clock_offset_ns, &row) {
            (Some(ns), Some(_), _) => format_utc(ns),
            (_, _, Row::Log(e)) => e
                .timestamp
                .as_deref()
                .map_or_else(|| "-".into(), |s| esc(s).to_string()),
            _ => "-".into(),
        };
        match row {
            Row::Conn(c) => writeln!(
                out,
                "   {when:<24}  {} #{} {} -> {} {}",
                p.dim("capture"),
                c.id,
                c.client,
                c.server,
                verdict_word(p, c)
            )?,
            Row::Log(e) => writeln!(
                out,
                "   {when:<24}  {} {}  [{}:{}{}]",
                p.dim("switch "),
                log_message(e),
                esc(log_file(log, e)),
                e.line,
                match (&e.timestamp, log.clock_offset_ns) {
                    (Some(s), Some(_)) => format!(", switch clock {}", esc(s)),
                    _ => String::new(),
                }
            )?,
        }
    }
    if total > LOG_LINES_SHOWN {
        writeln!(
            out,
            "   ... {} more not shown (--json has all)",
            total - LOG_LINES_SHOWN
        )?;
    }
    Ok(())
}

/// `probe --from-config`: what the switch would do, and what is wrong with its
/// configuration, before the probe results.
pub fn write_plan(
    out: &mut dyn Write,
    file: &str,
    plan: &crate::ios::plan::ProbePlan,
    findings: &[Finding],
    color: Color,
) -> io::Result<()> {
    let p = Paint(color);
    writeln!(
        out,
        "{}",
        p.bold(&format!(
            "== probe plan from {file}{}",
            plan.ios_version
                .as_deref()
                .map(|v| format!(" (IOS XE {})", esc(v)))
                .unwrap_or_default()
        ))
    )?;
    writeln!(
        out,
        "   transport       {}",
        esc(&plan.transport.to_string())
    )?;
    for t in &plan.targets {
        writeln!(
            out,
            "   target          {:<9} {}  ({})",
            esc(&t.label),
            esc(&t.url),
            esc(&t.origin)
        )?;
    }
    if plan.targets.is_empty() {
        writeln!(out, "   target          (none: nothing to probe)")?;
    }
    writeln!(
        out,
        "   proxy           {}",
        esc(plan.proxy.as_deref().unwrap_or("none (direct)"))
    )?;
    writeln!(
        out,
        "   vrf             {}",
        esc(plan.vrf.as_deref().unwrap_or("global"))
    )?;
    let ns: Vec<String> = plan.dns_servers.iter().map(|a| a.to_string()).collect();
    writeln!(
        out,
        "   name servers    {}",
        if ns.is_empty() {
            "none for this VRF (probe uses this host's resolvers)".to_string()
        } else {
            ns.join(", ")
        }
    )?;
    for (n, a) in &plan.resolve {
        writeln!(out, "   ip host         {} = {a}", esc(n))?;
    }
    for (label, b) in [("source", &plan.source), ("dns source", &plan.dns_source)] {
        if let Some(b) = b {
            writeln!(
                out,
                "   {label:<15} {} -> {}",
                esc(&b.switch),
                esc(b.local.as_deref().unwrap_or("(not mapped: default route)"))
            )?;
        }
    }
    writeln!(
        out,
        "   identity check  {}",
        if plan.server_identity_check {
            "on"
        } else {
            "off"
        }
    )?;
    if let Some((tp, modes)) = &plan.revocation_check {
        writeln!(
            out,
            "   revocation      checked (trustpoint {}: revocation-check {}): the probe's step 6 must reach them",
            esc(tp),
            esc(&modes.join(" "))
        )?;
    }
    for n in &plan.notes {
        writeln!(out, "   note: {}", esc(n))?;
    }
    for f in findings {
        write_finding(out, &p, f, 0, "   ")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{self, START_NS};
    use base64::Engine;

    /// A real certificate (tests/data/pki/not-after-9999.pem, made with Python's
    /// `cryptography`) whose notAfter is RFC 5280's "no well-defined expiration date",
    /// 99991231235959Z: past 2262, where nanoseconds overflow an i64.
    fn no_expiry_cert() -> CertInfo {
        let pem = include_str!("../../tests/data/pki/not-after-9999.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        crate::wire::x509::parse_certificate(&der).unwrap()
    }

    fn report(t: &Timeline) -> String {
        let mut out = Vec::new();
        write_text(&mut out, "test.pcap", "pcap", t, Color::Never).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_certificate_valid_until_9999_shows_its_date() {
        let c = no_expiry_cert();
        assert_eq!(c.not_after, 253_402_300_799);
        let line = describe_event(&EventKind::TlsCertificate {
            certificates: vec![c.clone()],
        });
        assert!(
            line.ends_with("[0] no-expiry.example  <- issued by Device Manufacturer CA  valid 2024-01-01 .. 9999-12-31"),
            "{line}"
        );
        // The whole report, with the chain on a connection, prints it the same way.
        let conn = testing::connection()
            .handshake()
            .client_hello(Some("no-expiry.example"), TlsVersion::Tls12)
            .server_hello(TlsVersion::Tls12)
            .certificates(vec![c])
            .build();
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        t.start_ns = Some(START_NS);
        t.connections.push(conn);
        assert!(report(&t).contains("valid 2024-01-01 .. 9999-12-31"));
    }

    #[test]
    fn a_connection_heading_names_its_ends_the_name_and_the_proxy_target() {
        let mut c = testing::connection()
            .server_name("crl.example")
            .proxy_target("crl.example:80")
            .build();
        c.revocation = true;
        assert_eq!(
            connection_route(&c),
            "192.0.2.10:50000 -> 203.0.113.10:443 (crl.example), revocation fetch via proxy to crl.example:80"
        );
        assert_eq!(listed_name(&c), "crl.example (revocation fetch)");
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        t.connections.push(c);
        assert!(report(&t).contains(
            "   connection #1 192.0.2.10:50000 -> 203.0.113.10:443 (crl.example), revocation fetch via proxy to crl.example:80  UNKNOWN"
        ), "{}", report(&t));
    }

    #[test]
    fn finding_lines_escape_what_peers_said() {
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        let mut f = crate::model::Finding::new(
            FindingCode::ProxyDenied,
            Severity::Error,
            Step::Proxy,
            "the proxy said \x1b[2J",
        );
        f.explanation = "why\r".into();
        f.remediation = vec!["fix\x07".into()];
        t.findings.push(f);
        let s = report(&t);
        assert!(s.contains(r"the proxy said \x1b[2J"), "{s}");
        assert!(s.contains(r"why: why\r"), "{s}");
        assert!(s.contains(r"fix\x07"), "{s}");
        assert!(!s.contains(['\x1b', '\r', '\x07']), "{s}");
    }
}
