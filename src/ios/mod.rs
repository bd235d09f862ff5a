//! What the switch already says: its configuration (`show running-config`, `show license
//! status`) and its logs (`show logging`, `show license eventlog`, `show license tech
//! support`). Pure, tolerant parsers; the rules that judge what they read live in
//! `diagnose::config` and `diagnose::logs`.

pub mod command;
pub mod config;
mod error;
pub mod logs;
pub mod plan;
pub mod time;
pub mod trustpool;

pub use error::{IosTextError, decode_text};

use crate::model::SwitchLog;
use crate::model::switch::{ProbePlan, SwitchConfig};
use std::borrow::Cow;

/// Bytes of one line made into text at most: the readers look at the first 4,096 bytes of
/// a line or skip a longer one, and a URL's password is masked within this reach.
const LINE_BYTES: usize = 64 * 1024 + 4096;

/// The lines of a switch's text as the readers see them, made when each is read: the text
/// is held once, as the bytes read (issue 28: a 60 MiB paste of 0xFF bytes made 240 MiB of
/// `\xff` text before a reader ran). Split as `str::lines` splits (`\n` or `\r\n`); each
/// line cut at [`LINE_BYTES`], its bytes that are not UTF-8 as `\xNN`
/// ([`crate::escape::text_of_bytes`]), the password of every URL in it masked.
pub fn text_lines(raw: &[u8]) -> impl Iterator<Item = Cow<'_, str>> {
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    let empty = raw.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = crate::escape::text_of_bytes(line.get(..LINE_BYTES).unwrap_or(line));
            match crate::model::url::mask_userinfo_in_text(&text) {
                Cow::Borrowed(_) => text,
                Cow::Owned(masked) => Cow::Owned(masked),
            }
        })
}

/// Everything read from the switch's text, once: its configuration and status, the plan
/// derived from them, and its messages on its own clock.
#[derive(Debug, Clone)]
pub struct SwitchText {
    pub config: SwitchConfig,
    pub plan: ProbePlan,
    pub log: SwitchLog,
}

/// Read several pasted files (name, text), each holding any number of commands' output in
/// any order. `year_hint` dates messages printed without a year.
pub fn read_switch_text<T: AsRef<[u8]>>(
    inputs: &[(String, T)],
    year_hint: Option<i64>,
    map: &plan::InterfaceMap,
) -> Result<SwitchText, error::IosTextError> {
    let config = config::parse_config_files(inputs);
    let plan = plan::derive(&config, map).map_err(|source| error::IosTextError::BadPlanValue {
        file: inputs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        source,
    })?;
    let log = logs::read_logs(inputs, year_hint);
    Ok(SwitchText { config, plan, log })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as `str::lines` gives them; bytes escaped, passwords masked, per line.
    #[test]
    fn text_lines_are_made_per_line() {
        for text in ["", "a", "a\n", "a\n\nb", "a\r\nb\r\n", "\n", "a\rb"] {
            let got: Vec<String> = text_lines(text.as_bytes()).map(Cow::into_owned).collect();
            let want: Vec<&str> = text.lines().collect();
            assert_eq!(got, want, "{text:?}");
        }
        let got: Vec<Cow<str>> = text_lines(b"ok\n\xff\xfeproxy http://u:pw@p.example\n").collect();
        assert!(matches!(got[0], Cow::Borrowed("ok")));
        assert_eq!(got[1], "\\xff\\xfeproxy http://u:***@p.example");
        let long = vec![0xffu8; 10 << 20];
        let one: Vec<Cow<str>> = text_lines(&long).collect();
        assert_eq!(one[0].len(), LINE_BYTES * 4);
    }
}
