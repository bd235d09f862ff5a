//! The phrasebook the printers share: one wording for each event, connection, DNS exchange
//! and log line, read by the text, HTML and Markdown reports and the TUI.

use crate::model::time::format_utc;
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::escape::shown as esc;
use crate::model::time::format_date;
use crate::model::*;

/// `+13.902 ms` after `start`.
pub fn offset_ms(ns: i64, start: i64) -> String {
    format!("{:+.3} ms", (ns - start) as f64 / 1e6)
}

/// What every time of a report counts from, and which frame a row cites (issue 26: one
/// convention for connections and DNS, said in every output): times count from the
/// input's start (the timeline's first frame, Wireshark's default Time column; a probe's
/// start), never from a connection's SYN or a query; a cited frame and its time are the
/// same packet's, and a DNS row gives its query's frame and its answer's.
pub fn time_base(t: &Timeline) -> &'static str {
    match t.source {
        Source::Probe { .. } => {
            "+ms from the probe's start; a DNS row: its query's time, query frame -> answer frame"
        }
        _ => {
            "+ms from the capture's first frame (Wireshark's Time column); a DNS row: its query's time, query frame -> answer frame"
        }
    }
}

/// The TUI's short form of [`time_base`], for a pane title (the capture's or the
/// probe's start: the screen's first line names which).
pub fn time_base_short(_t: &Timeline) -> &'static str {
    "ms from start"
}

/// `#1 -> #2`: a DNS exchange's query frame and its answer's (`#1` unanswered).
pub fn dns_frames(d: &DnsExchange) -> String {
    let frame = |f: Option<u64>| f.map_or_else(|| "?".to_string(), |n| format!("#{n}"));
    match &d.response {
        Some(r) => format!("{} -> {}", frame(d.query_frame), frame(r.frame)),
        None => frame(d.query_frame),
    }
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
        EventKind::TcpLost {
            missing_bytes,
            dup_ack: Some(a),
        } => format!(
            "{missing_bytes} bytes lost before this segment (the receiver got this one, not them: duplicate ACK #{}{})",
            a.frame,
            a.sack
                .map(|(l, r)| format!(" with SACK {l}-{r}"))
                .unwrap_or_default()
        ),
        EventKind::TcpLost { missing_bytes, .. } => format!(
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
            "{records} encrypted {} record{} ({bytes} bytes)",
            crate::model::tls_record_type_name(*content_type),
            if *records == 1 { "" } else { "s" }
        ),
        EventKind::NotTls { preview } => format!("not TLS: {}", esc(preview)),
        EventKind::HttpHeadTooLong { limit, preview } => format!(
            "not TLS: {}",
            esc(&crate::model::head_too_long_text(*limit, preview))
        ),
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
        // This host's own failures say so: they are not the switch's path.
        EventKind::ProbeFailure {
            blame: Blame::Local,
            detail,
            ..
        } => format!("[probe] this host: {}", esc(detail)),
        EventKind::ProbeFailure { detail, .. } => format!("[probe] {}", esc(detail)),
        EventKind::TlsOversized { message, limit } => format!(
            "{} over {limit} bytes: the TLS client gave up",
            match message {
                crate::model::TlsOversizedMessage::Handshake => "handshake message",
                crate::model::TlsOversizedMessage::Record => "TLS record",
            }
        ),
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
        "ClientHello SNI {} offers {} ({} ciphers{}{})",
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
        "Certificate ({} cert{}{})",
        certificates.len(),
        if certificates.len() == 1 { "" } else { "s" },
        if certificates.iter().any(CertInfo::key_unknown) {
            ", read from the text's dissection fields: no fingerprint, key or signature"
        } else {
            ""
        }
    );
    for (i, c) in certificates.iter().enumerate() {
        s.push_str(&format!(
            "\n{:>33}[{i}] {}  <- issued by {}  valid {} .. {}",
            "",
            esc(&c
                .subject_cn
                .clone()
                .unwrap_or_else(|| dn::display(&c.subject))),
            esc(&c
                .issuer_cn
                .clone()
                .unwrap_or_else(|| dn::display(&c.issuer))),
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

/// `confidence: high`, or nothing when the finding is certain.
pub fn confidence_note(f: &Finding) -> Option<String> {
    match f.confidence {
        Confidence::Certain => None,
        c => Some(format!("confidence: {}", format!("{c:?}").to_lowercase())),
    }
}

/// `2026-01-15 08:00:00.000 UTC + 1.250 s`: when the input starts and how long it lasts,
/// said as the input states its times: a text capture's times without a date are never
/// printed as a 1970 date, and switch log stamps without a year are quoted as printed.
/// Log stamps are escaped here, like every input string of the phrasebook.
pub fn span(t: &Timeline) -> String {
    let (Some(a), Some(b)) = (t.start_ns, t.end_ns) else {
        return undated_log_span(t).unwrap_or_else(|| "empty".into());
    };
    let length = (b - a) as f64 / 1e9;
    match t.stats.reading.time_base {
        TimeBase::Dated => format!("{} + {length:.3} s", format_utc(a)),
        TimeBase::UndatedTimeOfDay => {
            let utc = format_utc(a);
            let time_of_day = utc.split_once(' ').map_or(utc.as_str(), |(_, t)| t);
            format!("{time_of_day} (a time of day without a date) + {length:.3} s")
        }
        TimeBase::RelativeToFirst => {
            format!("times relative to the first packet (no date or time of day) + {length:.3} s")
        }
        TimeBase::NoTimes => "the text states no times".into(),
    }
}

/// `3 messages`, `2 messages, 1 clock sign`: what a switch log section lists.
pub fn log_count(log: &SwitchLog) -> String {
    let n = log.messages();
    let mut s = format!("{n} message{}", if n == 1 { "" } else { "s" });
    match log.clock_signs() {
        0 => {}
        1 => s.push_str(", 1 clock sign"),
        k => s.push_str(&format!(", {k} clock signs")),
    }
    s
}

/// A switch log whose stamps have no year (`*Mar  1 00:01:02.123`): its first and last
/// stamps as the switch printed them, since no calendar date can be given.
fn undated_log_span(t: &Timeline) -> Option<String> {
    let log = t.switch_log.as_ref()?;
    let mut stamps = log.entries.iter().filter_map(|e| e.timestamp.as_deref());
    let first = stamps.next()?;
    let last = stamps.next_back().unwrap_or(first);
    Some(format!(
        "{} to {} as the switch printed them (no year: not placed on a calendar)",
        esc(first),
        esc(last)
    ))
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
                r.rcode,
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
        && tls.handshake_inferred
    {
        facts.push("TLS 1.3, handshake complete (inferred from record sizes)".into());
    } else if let Some(tls) = &c.tls
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

/// One line describing a message of the switch's text, its pasted strings escaped for
/// the terminal.
pub fn describe_log(k: &LogKind) -> String {
    match k {
        LogKind::CommFailed { server, reason } => format!(
            "COMM_FAILED ({}): {}",
            esc(&server.to_uppercase()),
            esc(&reason.text)
        ),
        LogKind::CommRestored { server } => {
            format!("COMM_RESTORED ({})", esc(&server.to_uppercase()))
        }
        LogKind::CallHomeFailed { error, reason, .. } => format!(
            "CALL_HOME failed{}: {}",
            error.map(|e| format!(" (ERR {e})")).unwrap_or_default(),
            esc(&reason.text)
        ),
        LogKind::EventCommFail { error } => format!("SAEVT_COMM_FAIL: {}", esc(&error.text)),
        LogKind::EventCommRestored => "SAEVT_COMM_RESTORED".into(),
        LogKind::CrlFetchFail { trustpoint, reason } => format!(
            "CRL fetch failed{}{}",
            trustpoint
                .as_ref()
                .map(|t| format!(" for {}", esc(&t.name)))
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
            esc(last_response
                .as_ref()
                .map_or("none", |r| r.reason.text.as_str())),
            failure_reason
                .as_ref()
                .map(|r| format!(" ({})", esc(&r.text)))
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
            format!("last communication attempt {}", esc(&result.reason.text))
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
