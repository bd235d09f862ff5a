//! Reads what the switch printed: `show logging`, `show license eventlog`, `show license
//! tech support`, `show license history message`, a syslog server's file. Pure and
//! tolerant: every line is looked at on its own (plus a little state for the tech-support
//! blocks and PKI continuation lines); what is not recognised is skipped, never fatal.
//! The words the rules decide on (failure reasons, `Last Response`, `Last Communication
//! Attempt`) are classified here once (`classify`); the rules that turn entries into
//! findings live in `diagnose::logs` and match on those enums, never on the text.

use super::time::{LogTime, find_last_timestamp, find_timestamp};
use crate::model::{LogEntry, LogKind, SwitchLog, Trustpoint};

mod classify;

/// Longest line kept in an entry's `text`.
const TEXT_CAP: usize = 300;
/// Lines longer than this are cut before parsing (a pasted binary blob must not cost).
const LINE_CAP: usize = 4096;

/// What one input yields.
#[derive(Debug, Default)]
pub struct ParsedLog {
    pub entries: Vec<LogEntry>,
    pub lines_read: u64,
    /// The first four-digit year seen anywhere (used for timestamps without one).
    pub year_hint: Option<i64>,
}

/// Parse one file's text. `file` is its index in the caller's list; `year_hint` is used
/// for timestamps printed without a year when the text itself names none (e.g. the
/// capture's year).
pub fn parse_log(text: impl AsRef<[u8]>, file: usize, year_hint: Option<i64>) -> ParsedLog {
    let mut reader = Reader::default();
    let mut lines_read = 0;
    for (idx, line) in super::text_lines(text.as_ref()).enumerate() {
        let lineno = idx as u64 + 1;
        lines_read = lineno;
        let line = cap(line.trim_end_matches('\r'), LINE_CAP);
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            reader.line(lineno, trimmed);
        }
    }
    let raw = reader.finish();
    let year_hint = raw
        .iter()
        .find_map(|(_, t, _, _, _)| t.as_ref().and_then(|t| t.year))
        .or(year_hint);
    ParsedLog {
        entries: on_the_switch_clock(raw, file, year_hint),
        lines_read,
        year_hint,
    }
}

/// The entries with their times resolved (`year_hint` for stamps printed without a year).
fn on_the_switch_clock(raw: Vec<RawEntry>, file: usize, year_hint: Option<i64>) -> Vec<LogEntry> {
    raw.into_iter()
        .map(|(line, ts, stamp, kind, text)| {
            let (switch_time_ns, inferred) = match &ts {
                Some(t) => match t.to_unix_ns(year_hint) {
                    Some((ns, inferred)) => (Some(ns), inferred),
                    None => (None, false),
                },
                None => (None, false),
            };
            LogEntry {
                file,
                line,
                timestamp: stamp.or_else(|| ts.map(|t| t.raw)),
                switch_time_ns,
                time_inferred: inferred,
                time_ns: None,
                kind,
                text,
                connection: None,
            }
        })
        .collect()
}

/// What has been read of one input so far.
#[derive(Default)]
struct Reader {
    raw: Vec<RawEntry>,
    /// The tech-support block being read (kind TechSupport).
    block: Option<RawEntry>,
    /// The last section title (a tech-support block's message type).
    last_header: Option<String>,
    /// The signs of an unsynchronised clock already recorded (one entry each per input).
    clock_signs: Vec<&'static str>,
    /// `show call-home statistics` being read: its entry in `raw`, and whether the rows
    /// are those of `Total Failed`.
    call_home_stats: Option<(usize, bool)>,
}

impl Reader {
    /// One non-empty, trimmed line: the first reader that takes it wins, in this order.
    fn line(&mut self, lineno: u64, line: &str) {
        self.clock_sign(lineno, line);
        let taken = self.pki_reason(line)
            || self.attempts(lineno, line)
            || self.block_line(line)
            || self.last_ack(lineno, line)
            || self.report_push(line)
            || self.last_comm_attempt(lineno, line)
            || self.call_home_statistics(lineno, line)
            || self.header(line);
        if !taken {
            self.message(lineno, line);
        }
    }

    /// `No time source, *17:05:54.449 UTC ...` (a command's header), a log stamp marked
    /// `*` (`*Nov 17 18:05:09.580:`, also after a sequence number) or `.` (`.Nov 8 2020
    /// 00:54:06 UTC:`: the clock was set once but NTP is not synchronised now), or `show
    /// license status`/`tech support`'s `Clock sync-ed with NTP: False`: the switch's
    /// clock is not synchronised. Recorded once per sign and input, at its first line.
    fn clock_sign(&mut self, lineno: u64, line: &str) {
        let marked = |mark: char| {
            let toks: Vec<&str> = line.split_whitespace().take(8).collect();
            let at = toks
                .iter()
                .take(3)
                .position(|t| t.starts_with(mark) && starts_a_stamp(t));
            at.and_then(|p| find_timestamp(&toks[p..].join(" ")))
                .is_some_and(|t| t.mark == Some(mark))
        };
        let ntp_false = || {
            strip_label(line, "Clock sync-ed with NTP")
                .is_some_and(|v| v.eq_ignore_ascii_case("false"))
        };
        let sign = if line.starts_with("No time source") {
            "No time source"
        } else if line.contains('*') && marked('*') {
            "timestamps marked '*' (clock not authoritative)"
        } else if line.contains('.') && marked('.') {
            "timestamps marked '.' (NTP not synchronised)"
        } else if line.starts_with("Clock sync-ed") && ntp_false() {
            "Clock sync-ed with NTP: False"
        } else {
            return;
        };
        if self.clock_signs.contains(&sign) {
            return;
        }
        self.clock_signs.push(sign);
        let kind = LogKind::ClockUnsynced { sign: sign.into() };
        self.raw
            .push((lineno, None, None, kind, cap(line, TEXT_CAP)));
    }

    /// `show call-home statistics`: `Total Success|In-Queue|Failed  TOTAL EMAIL HTTP`, the
    /// message types under `Total Failed`, `Last call-home message sent time: ...`.
    fn call_home_statistics(&mut self, lineno: u64, line: &str) -> bool {
        if let Some(rest) = strip_label(line, "Last call-home message sent time") {
            let Some((i, _)) = self.call_home_stats.take() else {
                return false;
            };
            if let Some((_, ts, _, LogKind::CallHomeStatistics { last_sent, .. }, text)) =
                self.raw.get_mut(i)
            {
                *ts = find_timestamp(rest);
                *last_sent = none_if_empty(rest).filter(|v| !v.eq_ignore_ascii_case("n/a"));
                text.push_str(" / ");
                text.push_str(&cap(line, TEXT_CAP / 2));
            }
            return true;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let counts = |w: &[&str]| -> Option<u64> {
            match w {
                [_, _, http] if w.iter().all(|n| n.parse::<u64>().is_ok()) => http.parse().ok(),
                _ => None,
            }
        };
        match words.as_slice() {
            ["Total", what, rest @ ..] => {
                let http = counts(rest);
                if *what == "Success" {
                    let kind = LogKind::CallHomeStatistics {
                        http_success: http.unwrap_or(0),
                        http_failed: 0,
                        failed_types: Vec::new(),
                        last_sent: None,
                    };
                    self.raw
                        .push((lineno, None, None, kind, cap(line, TEXT_CAP)));
                    self.call_home_stats = Some((self.raw.len() - 1, false));
                    return true;
                }
                let Some((i, failed_rows)) = self.call_home_stats.as_mut() else {
                    return false;
                };
                *failed_rows = *what == "Failed";
                if let (
                    true,
                    Some((_, _, _, LogKind::CallHomeStatistics { http_failed, .. }, text)),
                ) = (*failed_rows, self.raw.get_mut(*i))
                {
                    *http_failed = http.unwrap_or(0);
                    text.push_str(" / ");
                    text.push_str(&cap(line, TEXT_CAP / 2));
                }
                true
            }
            [name, rest @ ..] if counts(rest).is_some() => {
                let Some((i, failed_rows)) = self.call_home_stats else {
                    return false;
                };
                if failed_rows
                    && counts(rest).unwrap_or(0) > 0
                    && let Some((_, _, _, LogKind::CallHomeStatistics { failed_types, .. }, _)) =
                        self.raw.get_mut(i)
                {
                    failed_types.push(format!("{name} {}", counts(rest).unwrap_or(0)));
                }
                true
            }
            _ => false,
        }
    }

    /// Every entry, the open tech-support block last.
    fn finish(mut self) -> Vec<RawEntry> {
        self.raw.extend(self.block.take());
        self.raw
    }

    /// A PKI message's reason often comes on the next, indented line.
    fn pki_reason(&mut self, line: &str) -> bool {
        if let Some(reason) = strip_label(line, "Reason")
            && let Some((_, _, _, LogKind::CrlFetchFail { reason: r, .. }, text)) =
                self.raw.last_mut()
            && r.is_none()
        {
            *r = Some(reason.to_string());
            text.push_str(" / ");
            text.push_str(&cap(line, TEXT_CAP / 2));
            return true;
        }
        false
    }

    /// show license tech support: `Attempts: Total=.., Fail=..` opens a message type's
    /// statistics block (closing the one before).
    fn attempts(&mut self, lineno: u64, line: &str) -> bool {
        let Some(rest) = strip_label(line, "Attempts") else {
            return false;
        };
        self.raw.extend(self.block.take());
        let count = |key: &str| {
            rest.split([',', ' '])
                .filter_map(|part| part.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .and_then(|(_, v)| v.trim().parse().ok())
        };
        let kind = LogKind::TechSupport {
            message_type: self.last_header.clone().unwrap_or_else(|| "message".into()),
            total: count("Total"),
            success: count("Success"),
            fail: count("Fail"),
            last_response: None,
            failure_reason: None,
            ongoing_overall: count("Overall"),
            ongoing_communication: count("Communication"),
            last_success: None,
            last_failure: None,
            last_success_ns: None,
            last_failure_ns: None,
        };
        self.block = Some((lineno, None, None, kind, cap(line, TEXT_CAP)));
        true
    }

    /// Inside a tech-support block: `Last Response`, `Failure Reason`, `Last Success
    /// Time`, `Last Failure Time`.
    fn block_line(&mut self, line: &str) -> bool {
        let Some((
            _,
            time,
            _,
            LogKind::TechSupport {
                last_response,
                failure_reason,
                last_success,
                last_failure,
                last_success_ns,
                last_failure_ns,
                ..
            },
            text,
        )) = self.block.as_mut()
        else {
            return false;
        };
        if let Some(rest) = strip_label(line, "Last Response") {
            let (resp, date) = match rest.rfind(" on ") {
                Some(i) => (&rest[..i], Some(&rest[i + 4..])),
                None => (rest, None),
            };
            *last_response = none_if_empty(resp).map(classify::last_response);
            if let Some(d) = date.and_then(find_timestamp) {
                *time = Some(d);
            }
            text.push_str(" / ");
            text.push_str(&cap(line, TEXT_CAP / 2));
            return true;
        }
        if let Some(rest) = strip_label(line, "Failure Reason") {
            *failure_reason = none_if_empty(rest).map(|r| classify::fail_reason(r, None));
            if failure_reason.is_some() {
                text.push_str(" / ");
                text.push_str(&cap(line, TEXT_CAP / 2));
            }
            return true;
        }
        for (label, raw_out, ns_out) in [
            ("Last Success Time", last_success, last_success_ns),
            ("Last Failure Time", last_failure, last_failure_ns),
        ] {
            if let Some(rest) = strip_label(line, label) {
                let ts = find_timestamp(rest);
                *ns_out = ts
                    .as_ref()
                    .and_then(|t| t.to_unix_ns(None))
                    .map(|(ns, _)| ns);
                *raw_out = ts.map(|t| t.raw);
            }
        }
        if strip_label(line, "Last Success Time").is_some() {
            return true;
        }
        if strip_label(line, "Last Failure Time").is_some() {
            // A block without a dated response is placed at its last failure.
            if time.is_none() {
                *time = find_timestamp(line);
            }
            return true;
        }
        false
    }

    /// Usage Reporting (status views): `Last ACK received` opens the entry.
    fn last_ack(&mut self, lineno: u64, line: &str) -> bool {
        let Some(rest) = strip_label(line, "Last ACK received") else {
            return false;
        };
        let ts = find_timestamp(rest);
        let kind = LogKind::UsageReporting {
            last_ack: ts.as_ref().map(|t| t.raw.clone()),
            last_push: None,
            ack_after_push: None,
        };
        self.raw.push((lineno, ts, None, kind, cap(line, TEXT_CAP)));
        true
    }

    /// Usage Reporting: `Last report push` completes the entry `Last ACK received` opened
    /// (was the last ACK at or after it?); without one it is skipped.
    fn report_push(&mut self, line: &str) -> bool {
        let Some(rest) = strip_label(line, "Last report push") else {
            return false;
        };
        let push = find_timestamp(rest);
        if let Some((
            _,
            ack,
            _,
            LogKind::UsageReporting {
                last_push: p @ None,
                ack_after_push,
                ..
            },
            text,
        )) = self.raw.last_mut()
        {
            let ns =
                |t: &Option<LogTime>| t.as_ref().and_then(|t| t.to_unix_ns(None)).map(|(n, _)| n);
            *ack_after_push = match (ns(ack), ns(&push)) {
                (Some(a), Some(p)) => Some(a >= p),
                (Some(_), None) if push.is_none() => Some(true),
                (None, Some(_)) => Some(false),
                _ => None,
            };
            *p = push.map(|t| t.raw);
            text.push_str(" / ");
            text.push_str(&cap(line, TEXT_CAP / 2));
        }
        true
    }

    /// Pre-policy agents: `Last Communication Attempt: SUCCEEDED on <date>`.
    fn last_comm_attempt(&mut self, lineno: u64, line: &str) -> bool {
        let Some(rest) = strip_label(line, "Last Communication Attempt") else {
            return false;
        };
        let (result, date) = match rest.find(" on ") {
            Some(i) => (&rest[..i], Some(&rest[i + 4..])),
            None => (rest, None),
        };
        if let Some(result) = none_if_empty(result) {
            let ts = date.and_then(find_timestamp);
            let kind = LogKind::LastCommAttempt {
                result: classify::attempt_result(result),
            };
            self.raw.push((lineno, ts, None, kind, cap(line, TEXT_CAP)));
        }
        true
    }

    /// A section title closes the tech-support block and names the next one.
    fn header(&mut self, line: &str) -> bool {
        if !is_header(line) {
            return false;
        }
        self.raw.extend(self.block.take());
        self.last_header = Some(line.trim_end_matches(':').trim().to_string());
        true
    }

    /// A syslog or eventlog message ([`recognise`]), stamped with the last timestamp
    /// before its `%` (eventlog lines: anywhere).
    fn message(&mut self, lineno: u64, line: &str) {
        let Some(kind) = recognise(line) else {
            return;
        };
        let ts_area = match line.find('%') {
            Some(i) if !matches!(kind, LogKind::EventCommFail { .. }) => &line[..i],
            _ => line,
        };
        let ts = find_last_timestamp(ts_area);
        let stamp = ts.as_ref().map(|t| t.raw.clone());
        self.raw
            .push((lineno, ts, stamp, kind, cap(line, TEXT_CAP)));
    }
}

/// Parse several pasted files (name, text) into one [`SwitchLog`] on the switch's clock.
pub fn read_logs<T: AsRef<[u8]>>(inputs: &[(String, T)], year_hint: Option<i64>) -> SwitchLog {
    let mut log = SwitchLog {
        files: inputs.iter().map(|(n, _)| n.clone()).collect(),
        ..SwitchLog::default()
    };
    for (i, (_, text)) in inputs.iter().enumerate() {
        let p = parse_log(text, i, year_hint);
        log.lines_read += p.lines_read;
        log.entries.extend(p.entries);
    }
    log.clock_offset_basis = clock_basis(&log);
    log
}

/// "the switch's own clock", and what its stamps leave out: stamps without a year are not
/// dated (no year is invented), stamps without a known zone are read as UTC.
fn clock_basis(log: &SwitchLog) -> String {
    let undated = log
        .entries
        .iter()
        .filter(|e| e.timestamp.is_some() && e.switch_time_ns.is_none())
        .count();
    let zoneless = log.entries.iter().filter(|e| e.time_inferred).count();
    let mut basis = String::from("the switch's own clock");
    if undated > 0 {
        basis.push_str(&format!(
            "; {undated} stamp{} without a year: not dated, kept in the order printed",
            if undated == 1 { "" } else { "s" }
        ));
    }
    if zoneless > 0 {
        basis.push_str(&format!(
            "; {zoneless} stamp{} without a known zone: read as UTC",
            if zoneless == 1 { "" } else { "s" }
        ));
    }
    basis
}

/// (line, parsed time, printed stamp, kind, text) before times are resolved.
type RawEntry = (u64, Option<LogTime>, Option<String>, LogKind, String);

/// `*Nov`: a token that opens a month-first stamp (`*` or `.` then a month name).
fn starts_a_stamp(tok: &str) -> bool {
    let t = tok.trim_start_matches(['*', '.']);
    t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic())
}

/// `Label: value` (any spacing around the colon, case-insensitive label) → value.
fn strip_label<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let head = line.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    let rest = line[label.len()..].trim_start();
    rest.strip_prefix(':').map(str::trim)
}

fn none_if_empty(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("<none>") || v.eq_ignore_ascii_case("<empty>") {
        None
    } else {
        Some(v.to_string())
    }
}

/// A section title such as `Usage Reporting:` (words, then a colon, nothing after).
fn is_header(line: &str) -> bool {
    let Some(body) = line.strip_suffix(':') else {
        return false;
    };
    !body.is_empty()
        && body.len() <= 60
        && !body.contains(':')
        && body.starts_with(|c: char| c.is_ascii_alphabetic())
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_()/".contains(c))
}

fn cap(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `%FACILITY-SEVERITY-MNEMONIC:` anywhere in the line → (facility, mnemonic, text after).
pub(crate) fn mnemonic(line: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    while let Some(i) = line[from..].find('%') {
        let start = from + i + 1;
        let rest = &line[start..];
        let end = rest.find(':').unwrap_or(rest.len());
        let tag = &rest[..end];
        let mut parts = tag.splitn(3, '-');
        if let (Some(fac), Some(sev), Some(mn)) = (parts.next(), parts.next(), parts.next())
            && !fac.is_empty()
            && fac
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && sev.len() == 1
            && sev.as_bytes()[0].is_ascii_digit()
            && !mn.is_empty()
            && mn
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            let text = rest.get(end + 1..).unwrap_or("").trim();
            return Some((fac, mn, text));
        }
        from = start;
    }
    None
}

/// The CSLU variants name the utility instead of CSSM.
fn server_of(text: &str) -> String {
    let t = text.to_ascii_lowercase();
    if t.contains("cslu") || t.contains("smart license utility") || t.contains("licensing utility")
    {
        "cslu".into()
    } else {
        "cssm".into()
    }
}

/// The reason after the last ` : ` (IOS puts it after the server's name); without one,
/// whatever follows "failure with ...".
fn comm_reason(text: &str) -> String {
    if let Some(i) = text.rfind(" : ") {
        return text[i + 3..].trim().to_string();
    }
    if let Some(i) = text.rfind("):") {
        return text[i + 2..].trim().to_string();
    }
    text.trim().to_string()
}

/// `(ERR 205 : Request Aborted)` → (205, "Request Aborted").
fn call_home_err(text: &str) -> Option<(u16, String)> {
    let i = text.find("ERR ")?;
    let rest = &text[i + 4..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let code = digits.parse().ok()?;
    let after = rest[digits.len()..].trim_start();
    let after = after.strip_prefix(':').unwrap_or(after).trim();
    let reason = after.split(')').next().unwrap_or(after).trim().to_string();
    Some((code, reason))
}

fn recognise(line: &str) -> Option<LogKind> {
    if let Some(i) = line.find("SAEVT_") {
        let rest = &line[i..];
        let name_end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        return match name {
            "SAEVT_COMM_FAIL" | "SAEVT_COMM_FAILED" => Some(LogKind::EventCommFail {
                error: classify::fail_reason(
                    quoted_value(&rest[name_end..], "error")
                        .unwrap_or_else(|| rest[name_end..].trim().to_string()),
                    None,
                ),
            }),
            "SAEVT_COMM_RESTORED" => Some(LogKind::EventCommRestored),
            _ => None,
        };
    }
    let (fac, mn, text) = mnemonic(line)?;
    match (fac, mn) {
        ("SMART_LIC", "COMM_FAILED") => Some(LogKind::CommFailed {
            server: server_of(text),
            reason: classify::fail_reason(comm_reason(text), None),
        }),
        ("SMART_LIC", "COMM_RESTORED") => Some(LogKind::CommRestored {
            server: server_of(text),
        }),
        ("CALL_HOME", _) => match call_home_err(text) {
            Some((code, reason)) => Some(LogKind::CallHomeFailed {
                url: text
                    .find("to: ")
                    .map(|i| text[i + 4..].split_whitespace().next().unwrap_or(""))
                    .filter(|u| u.contains("://"))
                    .map(str::to_string),
                error: Some(code),
                reason: classify::fail_reason(reason, Some(code)),
            }),
            None => Some(LogKind::Other {
                mnemonic: format!("{fac}-{mn}"),
            }),
        },
        ("PKI", "CRL_FETCH_FAIL") | ("PKI", "CRLHTTPFETCHFAIL") => Some(LogKind::CrlFetchFail {
            trustpoint: trustpoint_of(text),
            reason: text
                .find("Reason")
                .and_then(|i| strip_label(&text[i..], "Reason"))
                .and_then(none_if_empty),
        }),
        ("PKI", "CERTIFICATE_INVALID_NOT_YET_VALID") => Some(LogKind::CertNotYetValid),
        ("PKI", "CERTIFICATE_INVALID_EXPIRED") => Some(LogKind::CertExpired),
        ("SMART_LIC", _) | ("PKI", _) => Some(LogKind::Other {
            mnemonic: format!("{fac}-{mn}"),
        }),
        _ => None,
    }
}

/// `key="value"` in an eventlog line.
fn quoted_value(s: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let i = s.find(&pat)? + pat.len();
    let end = s[i..].find('"').map(|e| i + e).unwrap_or(s.len());
    Some(s[i..end].to_string())
}

/// `... for trustpoint SLA-TrustPoint ...` / `trustpoint "SLA-TrustPoint"`.
fn trustpoint_of(text: &str) -> Option<Trustpoint> {
    let lower = text.to_ascii_lowercase();
    let i = lower.find("trustpoint")? + "trustpoint".len();
    let name = text[i..]
        .split_whitespace()
        .next()?
        .trim_matches(|c| c == '"' || c == '\'' || c == ':' || c == ',');
    (!name.is_empty()).then(|| classify::trustpoint(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attempt, AttemptResult, Chain, FailCause, FailReason, Reply};

    #[test]
    fn mnemonic_needs_the_whole_shape() {
        assert_eq!(
            mnemonic("*Nov  8 00:54:06.123: %SMART_LIC-5-COMM_RESTORED: Communications restored"),
            Some(("SMART_LIC", "COMM_RESTORED", "Communications restored"))
        );
        assert_eq!(mnemonic("50% done: %foo"), None);
        assert_eq!(mnemonic("100%"), None);
    }

    #[test]
    fn tech_support_blocks_take_their_header_and_close_on_the_next() {
        let text = "Trust Establishment:\n  Attempts: Total=3, Success=2, Fail=1  Ongoing Failure: Overall=0 Communication=0\n  Last Response: NO REPLY on Nov 21 2026 10:00:00 UTC\n    Failure Reason: <none>\n  Last Failure Time: Nov 20 2026 10:00:00 UTC\nHello Message:\n  Attempts: Total=1, Fail=1\n  Last Response: <none>\n  Last Failure Time: Nov 19 2026 09:00:00 UTC\n";
        let p = parse_log(text, 3, None);
        assert_eq!(p.lines_read, 9);
        assert_eq!(p.year_hint, Some(2026));
        let [a, b] = p.entries.as_slice() else {
            panic!("{:?}", p.entries)
        };
        let LogKind::TechSupport {
            message_type,
            total,
            fail,
            last_response,
            failure_reason,
            ongoing_communication,
            last_failure,
            last_failure_ns,
            ..
        } = &a.kind
        else {
            panic!("{:?}", a.kind)
        };
        assert_eq!(message_type, "Trust Establishment");
        assert_eq!(
            (*total, *fail, *ongoing_communication),
            (Some(3), Some(1), Some(0))
        );
        assert_eq!(
            last_response
                .as_ref()
                .map(|r| (r.reply, r.reason.text.as_str())),
            Some((Reply::NoReply, "NO REPLY"))
        );
        assert_eq!(*failure_reason, None);
        assert_eq!(last_failure.as_deref(), Some("Nov 20 2026 10:00:00 UTC"));
        assert!(last_failure_ns.is_some());
        // Dated by its response; an empty Failure Reason adds nothing to the text.
        assert_eq!((a.file, a.line), (3, 2));
        assert_eq!(a.timestamp.as_deref(), Some("Nov 21 2026 10:00:00 UTC"));
        assert!(
            a.text
                .ends_with(" / Last Response: NO REPLY on Nov 21 2026 10:00:00 UTC")
        );
        // No dated response: placed at its last failure.
        assert!(
            matches!(&b.kind, LogKind::TechSupport { message_type, last_response: None, .. } if message_type == "Hello Message")
        );
        assert_eq!(b.timestamp.as_deref(), Some("Nov 19 2026 09:00:00 UTC"));
    }

    #[test]
    fn usage_reporting_pairs_the_ack_with_the_push_after_it() {
        let ack = |text: &str| match parse_log(text, 0, None).entries.as_slice() {
            [e] => match &e.kind {
                LogKind::UsageReporting { ack_after_push, .. } => *ack_after_push,
                k => panic!("{k:?}"),
            },
            es => panic!("{es:?}"),
        };
        let both = |a: &str, p: &str| format!("Last ACK received: {a}\nLast report push: {p}\n");
        let (early, late) = ("Nov 20 2026 10:00:00 UTC", "Nov 21 2026 10:00:00 UTC");
        assert_eq!(ack(&both(late, early)), Some(true));
        assert_eq!(ack(&both(early, late)), Some(false));
        assert_eq!(ack(&both(late, "<none>")), Some(true));
        assert_eq!(ack(&both("<none>", late)), Some(false));
        assert_eq!(ack(&both("<none>", "<none>")), None);
        // A push with no ACK line before it is read and dropped, not taken for a message.
        assert!(
            parse_log(format!("Last report push: {late}\n"), 0, None)
                .entries
                .is_empty()
        );
    }

    #[test]
    fn pki_reason_on_the_next_line_and_pre_policy_attempts() {
        let text = "Nov 21 2026 08:00:09 UTC: %PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint TP1 failed\n   Reason : Enrollment URL not configured\n   Reason : a second one is no reason\nLast Communication Attempt: FAILED on Nov 21 2026 08:00:00 UTC\nLast Communication Attempt: <none>\n";
        let p = parse_log(text, 0, None);
        assert_eq!(p.entries.len(), 2, "{:?}", p.entries);
        assert_eq!(
            p.entries[0].kind,
            LogKind::CrlFetchFail {
                trustpoint: Some(Trustpoint {
                    chain: Chain::Other,
                    name: "TP1".into()
                }),
                reason: Some("Enrollment URL not configured".into())
            }
        );
        assert!(
            p.entries[0]
                .text
                .ends_with(" / Reason : Enrollment URL not configured")
        );
        assert_eq!(
            p.entries[1].kind,
            LogKind::LastCommAttempt {
                result: AttemptResult {
                    outcome: Attempt::Failed,
                    reason: FailReason {
                        cause: FailCause::Other,
                        text: "FAILED".into()
                    }
                }
            }
        );
        assert_eq!(
            p.entries[1].timestamp.as_deref(),
            Some("Nov 21 2026 08:00:00 UTC")
        );
    }

    #[test]
    fn clock_signs_once_per_input_and_not_in_tables() {
        let clock = |text: &str| -> Vec<(u64, String)> {
            parse_log(text, 0, None)
                .entries
                .into_iter()
                .filter_map(|e| match e.kind {
                    LogKind::ClockUnsynced { sign } => Some((e.line, sign)),
                    _ => None,
                })
                .collect()
        };
        let text = "No time source, *17:05:54.449 UTC Mon Jul 29 2024\n\
                    000123: *Nov 17 18:05:09.580: %SYS-5-CONFIG_I: x\n\
                    *Nov 17 18:06:09.580: %SYS-5-CONFIG_I: y\n";
        assert_eq!(
            clock(text),
            [
                (1, "No time source".to_string()),
                (
                    2,
                    "timestamps marked '*' (clock not authoritative)".to_string()
                )
            ]
        );
        // An NTP-lost `.` stamp (after a sequence number too) and show license status's
        // NTP line: each its own sign, quoted at its first line.
        let ntp = "000124: .Nov 8 2020 00:54:06.123 UTC: %X-1-Y: z\n\
                   .Nov 8 2020 00:55:06.123 UTC: %X-1-Y: z\n\
                   Clock sync-ed with NTP: False\n";
        assert_eq!(
            clock(ntp),
            [
                (
                    1,
                    "timestamps marked '.' (NTP not synchronised)".to_string()
                ),
                (3, "Clock sync-ed with NTP: False".to_string())
            ]
        );
        // show version's switch table, a synchronised stamp, NTP in sync, a sentence
        // ending in a period: nothing.
        let quiet = "*    1 41    C9300-24P          17.06.01\n\
                     Nov 8 2020 00:54:06.123 UTC: %X-1-Y: z\n\
                     Clock sync-ed with NTP: True\n\
                     . Nov 8 2020 is not a stamp\n";
        assert!(clock(quiet).is_empty());
    }

    #[test]
    fn call_home_error_codes() {
        assert_eq!(
            call_home_err(
                "Fail to send out Smart Licensing message to: https://x/y (ERR 205 : Request Aborted)"
            ),
            Some((205, "Request Aborted".into()))
        );
        assert_eq!(call_home_err("no code here"), None);
    }
}
