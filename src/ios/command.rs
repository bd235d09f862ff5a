//! Which command printed which part of a pasted file. A ticket holds several outputs in
//! any order, with or without the echoed command and prompt (`Switch#show license all`,
//! `sh ver`), `Load for five secs` / `Time source is NTP` headers, CRLF, no final newline.
//! Each output is recognised by the echoed command when there is one, else by the marks
//! that command prints (section titles, table headers, message shapes). The rules use
//! this to judge only what their input can show (a `show license status` says nothing
//! about `service call-home`).

use crate::model::switch::{Command, CommandSeen};

/// Lines longer than this are not looked at (a pasted blob must not cost).
const LINE_CAP: usize = 4096;

/// The commands whose output appears in `text` (file index `file`), in order, each with
/// the line where it was recognised. One output is one entry: `show license all` is not
/// also counted as `show license status`, a tech support not also as either.
pub fn recognise_commands(file: usize, text: &[u8]) -> Vec<CommandSeen> {
    let mut out: Vec<CommandSeen> = Vec::new();
    for (idx, raw) in super::text_lines(text).enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.len() > LINE_CAP {
            continue;
        }
        let current = out.last().map(|c| c.command);
        let Some(found) = echoed(line).or_else(|| marked(line, current)) else {
            continue;
        };
        let lineno = idx as u64 + 1;
        match (current, found) {
            (Some(c), f) if c == f => {}
            // The longer views contain the shorter one's sections: upgrade, don't add.
            (Some(Command::LicenseStatus), Command::LicenseAll | Command::LicenseTechSupport)
            | (Some(Command::LicenseAll), Command::LicenseTechSupport) => {
                if let Some(last) = out.last_mut() {
                    last.command = found;
                }
            }
            (Some(Command::LicenseTechSupport), Command::LicenseStatus | Command::LicenseAll)
            | (Some(Command::LicenseAll), Command::LicenseStatus) => {}
            _ => out.push(CommandSeen {
                command: found,
                file,
                line: lineno,
            }),
        }
    }
    out
}

/// `Switch#show license all`, `show license tech support`, `sh ver`: the echoed command
/// (with or without a prompt). IOS accepts any unambiguous prefix of each keyword.
fn echoed(line: &str) -> Option<Command> {
    let t = line.trim();
    let t = match t.find(['#', '>']) {
        Some(i) if !t[..i].contains(char::is_whitespace) => t[i + 1..].trim_start(),
        _ => t,
    };
    let mut w = t.split_whitespace().map(str::to_ascii_lowercase);
    let first = w.next()?;
    if !is_prefix(&first, "show", 2) {
        return None;
    }
    let second = w.next()?;
    let third = w.next().unwrap_or_default();
    if is_prefix(&second, "license", 3) {
        return [
            ("tech", Command::LicenseTechSupport),
            ("all", Command::LicenseAll),
            ("status", Command::LicenseStatus),
            ("summary", Command::LicenseSummary),
            ("eventlog", Command::LicenseEventlog),
            ("history", Command::LicenseHistoryMessage),
        ]
        .into_iter()
        .find(|(k, _)| is_prefix(&third, k, 2))
        .map(|(_, c)| c);
    }
    if is_prefix(&second, "crypto", 3) {
        return (w.next().is_some_and(|w| w == "trustpool") || third == "pki")
            .then_some(Command::CryptoPkiTrustpool);
    }
    [
        ("logging", Command::Logging, 3),
        ("running-config", Command::RunningConfig, 3),
        ("version", Command::Version, 3),
        ("call-home", Command::CallHome, 4),
    ]
    .into_iter()
    .find(|(k, _, min)| is_prefix(&second, k, *min))
    .map(|(_, c, _)| c)
}

fn is_prefix(word: &str, keyword: &str, min: usize) -> bool {
    word.len() >= min && keyword.starts_with(word)
}

/// The marks each command prints, for text pasted without the command.
fn marked(line: &str, current: Option<Command>) -> Option<Command> {
    let t = line.trim();
    let indented = line.starts_with([' ', '\t']);
    Some(match t {
        "Smart Licensing Tech Support info" | "Communication Statistics:" => {
            Command::LicenseTechSupport
        }
        "Smart Licensing Status" => Command::LicenseStatus,
        "Product Information" | "License Authorizations" | "Agent Version" => match current {
            Some(Command::LicenseStatus) => Command::LicenseAll,
            _ => return None,
        },
        "**** Event Log ****" | "No EventLog Found." => Command::LicenseEventlog,
        "Message History (oldest to newest):" => Command::LicenseHistoryMessage,
        "Building configuration..." => Command::RunningConfig,
        "CA Certificate" => Command::CryptoPkiTrustpool,
        "Current call home settings:" | "Current smart-licensing transport settings:" => {
            Command::CallHome
        }
        // `show call-home statistics` (its header) and `show call-home profile all`.
        _ if t.starts_with("Message Types") && t.contains("HTTP") => Command::CallHome,
        _ if t.starts_with("Profile Name:") && !indented => Command::CallHome,
        _ if t.starts_with("Syslog logging:")
            || t.starts_with("Log Buffer (")
            || t.starts_with("Logging display requested on") =>
        {
            Command::Logging
        }
        _ if t.starts_with("Current configuration :") => Command::RunningConfig,
        _ if t.starts_with("Cisco IOS XE Software, Version") => Command::Version,
        _ if t.starts_with("License") && t.contains("Entitlement Tag") && t.contains("Count") => {
            Command::LicenseSummary
        }
        _ if t.contains(" SAEVT_") => Command::LicenseEventlog,
        _ if current != Some(Command::LicenseTechSupport) && super::logs::mnemonic(t).is_some() => {
            Command::Logging
        }
        _ if !indented && config_line(t) => Command::RunningConfig,
        _ => return None,
    })
}

/// A top-level configuration line licpath reads (or that only a configuration prints).
fn config_line(t: &str) -> bool {
    const STARTS: &[&str] = &[
        "license smart ",
        "no license smart",
        "service call-home",
        "crypto pki trustpoint ",
        "ip name-server ",
        "ip domain lookup",
        "ip domain-lookup",
        "no ip domain",
        "ip host ",
        "ip http client ",
        "hostname ",
    ];
    STARTS.iter().any(|s| t.starts_with(s))
        || t == "call-home"
        || t.strip_prefix("version ")
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(text: &str) -> Vec<(Command, u64)> {
        recognise_commands(0, text.as_bytes())
            .into_iter()
            .map(|c| (c.command, c.line))
            .collect()
    }

    #[test]
    fn echoed_commands_with_and_without_prompt() {
        assert_eq!(echoed("Switch#show license all"), Some(Command::LicenseAll));
        assert_eq!(echoed("sh lic tech sup"), Some(Command::LicenseTechSupport));
        assert_eq!(echoed("show ver"), Some(Command::Version));
        assert_eq!(
            echoed("show running-config | inc transport"),
            Some(Command::RunningConfig)
        );
        assert_eq!(
            echoed("sw1#show crypto pki trustpool"),
            Some(Command::CryptoPkiTrustpool)
        );
        assert_eq!(echoed("PDX-RO#"), None);
        assert_eq!(echoed("shutdown"), None);
        assert_eq!(echoed("Smart Licensing Status"), None);
    }

    #[test]
    fn several_outputs_in_one_paste() {
        let text = "Switch#show version\r\nCisco IOS XE Software, Version 17.09.04a\r\n\
                    Switch#show license status\r\nSmart Licensing Status\r\nTransport:\r\n\
                    \r\nLicense Usage:\r\n  License   Entitlement Tag   Count Status\r\n\
                    *Nov 17 18:05:09.580: %SMART_LIC-3-COMM_FAILED: x : y\r\n\
                    Smart Licensing Tech Support info\r\nSmart Licensing Status\r\n\
                    Agent Version\r\nCommunication Statistics:\r\n\
                    version 17.9\r\nlicense smart transport smart";
        assert_eq!(
            cmds(text),
            vec![
                (Command::Version, 1),
                (Command::LicenseStatus, 3),
                (Command::LicenseSummary, 8),
                (Command::Logging, 9),
                (Command::LicenseTechSupport, 10),
                (Command::RunningConfig, 14),
            ]
        );
    }

    #[test]
    fn status_becomes_all_then_tech_support() {
        // A tech support printed without its title line (seen on a C9300L).
        let text = "Smart Licensing Status\nAgent Version\nCommunication Statistics:\n";
        assert_eq!(cmds(text), vec![(Command::LicenseTechSupport, 1)]);
        assert_eq!(
            cmds("Smart Licensing Status\nProduct Information\n"),
            vec![(Command::LicenseAll, 1)]
        );
    }
}
