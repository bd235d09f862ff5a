//! The one error type of the switch-text readers. Reading text never fails on content
//! (unknown lines are skipped); these are the inputs that are not switch text at all, and
//! the user's own mistakes (a malformed `--map`). Every message names the input and what
//! was expected.

/// Largest text accepted from a terminal paste or a file: far above any `show tech`.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IosTextError {
    /// Local: a `--map` item without `=` or with an empty side.
    #[error("--map '{item}': expected SWITCH-INTERFACE=LOCAL-INTERFACE, e.g. Vlan10=eth1")]
    BadMap { item: String },
    /// The input is larger than [`MAX_TEXT_BYTES`].
    #[error("{file}: larger than 64 MiB: not text pasted from a switch")]
    TooLarge { file: String },
    /// NUL bytes: a capture or an archive, not text.
    #[error(
        "{file}: binary data, not text from the switch (a capture goes to 'licpath analyze FILE')"
    )]
    Binary { file: String },
    /// Text, but none of the configuration or status lines `--from-config` reads.
    #[error(
        "{file}: no licensing configuration found (expected show running-config, show license status or show license tech support)"
    )]
    NoConfiguration { file: String },
    /// `--trust-store` text that holds neither PEM nor `show crypto pki trustpool` output.
    #[error(
        "{file}: no certificate found (expected PEM or the output of show crypto pki trustpool)"
    )]
    NoCertificate { file: String },
    /// PEM that does not decode.
    #[error("{reason}")]
    BadPem { file: String, reason: String },
    /// The switch's proxy or a licensing URL that licpath cannot use as the switch would.
    #[error("{file}: {source}")]
    BadPlanValue {
        file: String,
        #[source]
        source: PlanValueError,
    },
}

/// A value the probe plan rests on (the switch's proxy, a licensing URL) that does not
/// parse: the text is refused (exit 2) by every command that reads it, rather than read
/// without the value (which would take the proxy's traffic for direct traffic, or probe
/// straight past the proxy). The value is quoted as the text gives it (passwords are
/// masked when the text is read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?}: {reason}")]
pub struct PlanValueError {
    pub what: String,
    pub value: String,
    pub reason: crate::model::url::UrlError,
}

/// Bytes read from a file or a paste → text: refuses binary data and oversized input,
/// replaces invalid UTF-8 (switch output is ASCII; a terminal may add anything), and masks
/// the password of every URL in it (`license smart proxy address http://user:pw@...`)
/// before any reader, report or error sees the text.
pub fn decode_text(file: &str, bytes: &[u8]) -> Result<String, IosTextError> {
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(IosTextError::TooLarge { file: file.into() });
    }
    if bytes.iter().take(4096).filter(|&&b| b == 0).count() > 8 {
        return Err(IosTextError::Binary { file: file.into() });
    }
    let text = String::from_utf8_lossy(bytes);
    Ok(match crate::model::url::mask_userinfo_in_text(&text) {
        std::borrow::Cow::Borrowed(_) => text.into_owned(),
        std::borrow::Cow::Owned(masked) => masked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_binary_and_messages() {
        assert_eq!(
            decode_text("a", b"show version\r\n").unwrap(),
            "show version\r\n"
        );
        let bin = [0u8; 64];
        let e = decode_text("cap.pcap", &bin).unwrap_err();
        assert_eq!(
            e,
            IosTextError::Binary {
                file: "cap.pcap".into()
            }
        );
        assert!(e.to_string().starts_with("cap.pcap: binary data"));
        let e = IosTextError::BadMap {
            item: "Vlan10".into(),
        };
        assert!(e.to_string().contains("SWITCH-INTERFACE=LOCAL-INTERFACE"));
    }
}
