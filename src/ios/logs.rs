//! Reads what the switch printed: `show logging`, `show license eventlog`, `show license
//! tech support`, `show license history message`, a syslog server's file. Pure and
//! tolerant: every line is looked at on its own (plus a little state for the tech-support
//! blocks and PKI continuation lines); what is not recognised is skipped, never fatal.
//! Rules that turn entries into findings live in `diagnose::logs`.

use super::time::{LogTime, find_last_timestamp, find_timestamp};
use crate::model::{LogEntry, LogKind, SwitchLog};

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
pub fn parse_log(text: &str, file: usize, year_hint: Option<i64>) -> ParsedLog {
    let mut out = ParsedLog::default();
    let mut raw: Vec<RawEntry> = Vec::new();
    // The tech-support block being read (kind TechSupport).
    let mut block: Option<RawEntry> = None;
    let mut last_header: Option<String> = None;

    for (idx, line) in text.lines().enumerate() {
        let lineno = idx as u64 + 1;
        out.lines_read = lineno;
        let line = cap(line.trim_end_matches('\r'), LINE_CAP);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }

        // A PKI message's reason often comes on the next, indented line.
        if let Some(reason) = strip_label(trimmed, "Reason")
            && let Some((_, _, _, LogKind::CrlFetchFail { reason: r, .. }, text)) = raw.last_mut()
            && r.is_none()
        {
            *r = Some(reason.to_string());
            text.push_str(" / ");
            text.push_str(&cap(trimmed, TEXT_CAP / 2));
            continue;
        }

        // show license tech support: per message type statistics.
        if let Some(rest) = strip_label(trimmed, "Attempts") {
            raw.extend(block.take());
            let count = |key: &str| {
                rest.split([',', ' '])
                    .filter_map(|part| part.split_once('='))
                    .find(|(k, _)| k.trim() == key)
                    .and_then(|(_, v)| v.trim().parse().ok())
            };
            let kind = LogKind::TechSupport {
                message_type: last_header.clone().unwrap_or_else(|| "message".into()),
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
            block = Some((lineno, None, None, kind, cap(trimmed, TEXT_CAP)));
            continue;
        }
        if let Some((
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
        )) = block.as_mut()
        {
            if let Some(rest) = strip_label(trimmed, "Last Response") {
                let (resp, date) = match rest.rfind(" on ") {
                    Some(i) => (&rest[..i], Some(&rest[i + 4..])),
                    None => (rest, None),
                };
                *last_response = none_if_empty(resp);
                if let Some(d) = date.and_then(find_timestamp) {
                    *time = Some(d);
                }
                text.push_str(" / ");
                text.push_str(&cap(trimmed, TEXT_CAP / 2));
                continue;
            }
            if let Some(rest) = strip_label(trimmed, "Failure Reason") {
                *failure_reason = none_if_empty(rest);
                if failure_reason.is_some() {
                    text.push_str(" / ");
                    text.push_str(&cap(trimmed, TEXT_CAP / 2));
                }
                continue;
            }
            for (label, raw_out, ns_out) in [
                (
                    "Last Success Time",
                    &mut *last_success,
                    &mut *last_success_ns,
                ),
                (
                    "Last Failure Time",
                    &mut *last_failure,
                    &mut *last_failure_ns,
                ),
            ] {
                if let Some(rest) = strip_label(trimmed, label) {
                    let ts = find_timestamp(rest);
                    *ns_out = ts
                        .as_ref()
                        .and_then(|t| t.to_unix_ns(None))
                        .map(|(ns, _)| ns);
                    *raw_out = ts.map(|t| t.raw);
                }
            }
            if strip_label(trimmed, "Last Success Time").is_some() {
                continue;
            }
            if strip_label(trimmed, "Last Failure Time").is_some() {
                // A block without a dated response is placed at its last failure.
                if time.is_none() {
                    *time = find_timestamp(trimmed);
                }
                continue;
            }
        }
        // Usage Reporting (status views): the last push and the last ACK.
        if let Some(rest) = strip_label(trimmed, "Last ACK received") {
            let ts = find_timestamp(rest);
            let kind = LogKind::UsageReporting {
                last_ack: ts.as_ref().map(|t| t.raw.clone()),
                last_push: None,
                ack_after_push: None,
            };
            raw.push((lineno, ts, None, kind, cap(trimmed, TEXT_CAP)));
            continue;
        }
        if let Some(rest) = strip_label(trimmed, "Last report push") {
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
            )) = raw.last_mut()
            {
                let ns = |t: &Option<LogTime>| {
                    t.as_ref().and_then(|t| t.to_unix_ns(None)).map(|(n, _)| n)
                };
                *ack_after_push = match (ns(ack), ns(&push)) {
                    (Some(a), Some(p)) => Some(a >= p),
                    (Some(_), None) if push.is_none() => Some(true),
                    (None, Some(_)) => Some(false),
                    _ => None,
                };
                *p = push.map(|t| t.raw);
                text.push_str(" / ");
                text.push_str(&cap(trimmed, TEXT_CAP / 2));
            }
            continue;
        }
        // Pre-policy agents: `Last Communication Attempt: SUCCEEDED on <date>`.
        if let Some(rest) = strip_label(trimmed, "Last Communication Attempt") {
            let (result, date) = match rest.find(" on ") {
                Some(i) => (&rest[..i], Some(&rest[i + 4..])),
                None => (rest, None),
            };
            if let Some(result) = none_if_empty(result) {
                let ts = date.and_then(find_timestamp);
                let kind = LogKind::LastCommAttempt { result };
                raw.push((lineno, ts, None, kind, cap(trimmed, TEXT_CAP)));
            }
            continue;
        }
        if is_header(trimmed) {
            raw.extend(block.take());
            last_header = Some(trimmed.trim_end_matches(':').trim().to_string());
            continue;
        }

        if let Some(kind) = recognise(trimmed) {
            let ts_area = match trimmed.find('%') {
                Some(i) if !matches!(kind, LogKind::EventCommFail { .. }) => &trimmed[..i],
                _ => trimmed,
            };
            let ts = find_last_timestamp(ts_area);
            let stamp = ts.as_ref().map(|t| t.raw.clone());
            raw.push((lineno, ts, stamp, kind, cap(trimmed, TEXT_CAP)));
        }
    }
    raw.extend(block.take());

    out.year_hint = raw
        .iter()
        .find_map(|(_, t, _, _, _)| t.as_ref().and_then(|t| t.year))
        .or(year_hint);
    for (line, ts, stamp, kind, text) in raw {
        let (switch_time_ns, inferred) = match &ts {
            Some(t) => match t.to_unix_ns(out.year_hint) {
                Some((ns, inferred)) => (Some(ns), inferred),
                None => (None, false),
            },
            None => (None, false),
        };
        out.entries.push(LogEntry {
            file,
            line,
            timestamp: stamp.or_else(|| ts.map(|t| t.raw)),
            switch_time_ns,
            time_inferred: inferred,
            time_ns: None,
            kind,
            text,
            connection: None,
        });
    }
    out
}

/// Parse several pasted files (name, text) into one [`SwitchLog`] on the switch's clock.
pub fn read_logs(inputs: &[(String, String)], year_hint: Option<i64>) -> SwitchLog {
    let mut log = SwitchLog {
        files: inputs.iter().map(|(n, _)| n.clone()).collect(),
        ..SwitchLog::default()
    };
    for (i, (_, text)) in inputs.iter().enumerate() {
        let p = parse_log(text, i, year_hint);
        log.lines_read += p.lines_read;
        log.entries.extend(p.entries);
    }
    log.clock_offset_basis = "the switch's own clock".into();
    log
}

/// (line, parsed time, printed stamp, kind, text) before times are resolved.
type RawEntry = (u64, Option<LogTime>, Option<String>, LogKind, String);

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
                error: quoted_value(&rest[name_end..], "error")
                    .unwrap_or_else(|| rest[name_end..].trim().to_string()),
            }),
            "SAEVT_COMM_RESTORED" => Some(LogKind::EventCommRestored),
            _ => None,
        };
    }
    let (fac, mn, text) = mnemonic(line)?;
    match (fac, mn) {
        ("SMART_LIC", "COMM_FAILED") => Some(LogKind::CommFailed {
            server: server_of(text),
            reason: comm_reason(text),
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
                reason,
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
fn trustpoint_of(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let i = lower.find("trustpoint")? + "trustpoint".len();
    let name = text[i..]
        .split_whitespace()
        .next()?
        .trim_matches(|c| c == '"' || c == '\'' || c == ':' || c == ',');
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
