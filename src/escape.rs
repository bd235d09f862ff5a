//! Text that came from a capture, a peer or a pasted file, made safe for a terminal.
//!
//! A server name, a certificate subject, a proxy's reason phrase or a line of a pasted log
//! can hold `ESC [2J` (clear the screen), `ESC ]0;title BEL` (retitle the terminal) or a
//! bare `CR` (overwrite the line being read). The text report, the TUI and the CLI's
//! messages print such strings through [`Untrusted`] once, at the edge, so that every
//! control character shows as a visible escape and nothing reaches the terminal as a
//! command:
//!
//! - `\r`, `\n`, `\t` for those three; other C0 controls and DEL as `\xNN` (`\x1b`, `\x07`,
//!   `\x7f`);
//! - C1 controls (U+0080..U+009F, e.g. the single-character CSI U+009B) and the Unicode
//!   characters that reorder or split what a reader sees (bidirectional overrides and
//!   isolates, line and paragraph separators) as `\u{..}`;
//! - bytes that are not UTF-8 as `\xNN` (always `\x80` or above, so they cannot be taken
//!   for an escaped C0 control);
//! - everything else, printable Unicode included, as it is.
//!
//! The backslash itself is kept: escaping is for the terminal's safety, not a reversible
//! encoding, and it makes the escape idempotent (escaping an escaped string changes
//! nothing), so a string that passes two printers is still shown once. JSON output needs
//! none of this (serde_json escapes control characters itself).
//!
//! Pure: no I/O, no allocation in [`Untrusted`]'s `Display` beyond what the writer does.

use std::borrow::Cow;
use std::fmt::{self, Display, Write as _};

/// Bytes or text from outside, displayed with every control character escaped.
///
/// ```
/// use licpath::escape::esc;
/// assert_eq!(esc("a\x1b[2Jb").to_string(), r"a\x1b[2Jb");
/// assert_eq!(esc(&b"x\xffy"[..]).to_string(), r"x\xffy");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Untrusted<'a>(&'a [u8]);

/// Wraps a string or bytes for display with escapes (see the module documentation).
pub fn esc<S: AsRef<[u8]> + ?Sized>(s: &S) -> Untrusted<'_> {
    Untrusted(s.as_ref())
}

/// The escaped form as a string; borrowed when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| replacement(c).is_none()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(esc(s).to_string())
    }
}

/// Bytes from the wire as text for the model: valid UTF-8 as it is, each byte that is not
/// UTF-8 as the four characters `\xNN` (instead of U+FFFD, which would hide what was sent).
/// Control characters are kept: the printers escape them, JSON escapes them itself.
pub fn text_of_bytes(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            for chunk in b.utf8_chunks() {
                out.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Runs of text between whitespace longer than this many bytes are shown cut (issue 28
/// item 9): a 16 KB SNI or an 8 KB certificate name is hostile, no DNS name is longer
/// than 253 bytes and no real certificate name part comes near; the reports for people
/// (text, HTML, Markdown, TUI) show its first [`SHOWN_PREFIX`] bytes, then
/// `…[cut: N bytes]`. JSON keeps the whole string.
pub const MAX_SHOWN: usize = 256;
/// Bytes of a cut run that are shown.
pub const SHOWN_PREFIX: usize = 128;

/// `s` with each run longer than [`MAX_SHOWN`] bytes between ASCII whitespace cut to its
/// first [`SHOWN_PREFIX`] bytes (on a character boundary) and `…[cut: N bytes]`;
/// borrowed when nothing is that long. Idempotent: a cut run is short.
pub fn cut(s: &str) -> Cow<'_, str> {
    match cut_bytes(s.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(s),
        // The cut is on character boundaries and the marker is ASCII.
        Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
    }
}

fn cut_bytes(b: &[u8]) -> Cow<'_, [u8]> {
    let long = |run: &&[u8]| run.len() > MAX_SHOWN;
    if !b.split(u8::is_ascii_whitespace).any(|r| long(&r)) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len().min(4 * MAX_SHOWN));
    let mut start = 0;
    for (i, run) in b.split(u8::is_ascii_whitespace).enumerate() {
        if i > 0 {
            // The separator that ended the previous run.
            out.extend_from_slice(b.get(start - 1..start).unwrap_or_default());
        }
        start += run.len() + 1;
        if !long(&run) {
            out.extend_from_slice(run);
            continue;
        }
        let mut end = SHOWN_PREFIX;
        // Back to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
        while end > 0 && run.get(end).is_some_and(|c| c & 0xc0 == 0x80) {
            end -= 1;
        }
        out.extend_from_slice(run.get(..end).unwrap_or(run));
        out.extend_from_slice(format!("…[cut: {} bytes]", run.len()).as_bytes());
    }
    Cow::Owned(out)
}

/// [`escape`] of [`cut`]: a string from outside as the reports for people show it.
pub fn escape_shown(s: &str) -> Cow<'_, str> {
    match cut(s) {
        Cow::Borrowed(b) => escape(b),
        Cow::Owned(o) => Cow::Owned(escape(&o).into_owned()),
    }
}

/// Bytes or text from outside, displayed cut ([`cut`]) and escaped ([`esc`]): what the
/// text report and the TUI print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a>(&'a [u8]);

/// Wraps a string or bytes for display, cut and escaped.
///
/// ```
/// use licpath::escape::shown;
/// let sni = format!("{}.example", "a".repeat(300));
/// assert_eq!(shown(&sni).to_string(), format!("{}…[cut: 308 bytes]", "a".repeat(128)));
/// ```
pub fn shown<S: AsRef<[u8]> + ?Sized>(s: &S) -> Shown<'_> {
    Shown(s.as_ref())
}

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(&Untrusted(&cut_bytes(self.0)), f)
    }
}

/// How `c` is shown when it must not reach the terminal as it is.
enum Replacement {
    Named(&'static str),
    Byte(u8),
    Code(u32),
}

fn replacement(c: char) -> Option<Replacement> {
    Some(match c {
        '\r' => Replacement::Named("\\r"),
        '\n' => Replacement::Named("\\n"),
        '\t' => Replacement::Named("\\t"),
        // C0 controls and DEL: the ASCII range, one byte each.
        '\0'..='\x1f' | '\x7f' => Replacement::Byte(c as u8),
        // C1 controls: 8-bit CSI/OSC/DCS etc., which some terminals obey.
        '\u{80}'..='\u{9f}'
        // Arabic letter mark, LRM/RLM, bidi embeddings/overrides (LRE..RLO), isolates
        // (LRI..PDI): they reorder what is displayed (the "Trojan Source" class, CVE-2021-42574).
        | '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators: some terminals and viewers break lines on them.
        | '\u{2028}'
        | '\u{2029}'
        // Invisible characters (issue 28 item 7): soft hyphen, zero-width space/non-joiner/
        // joiner, word joiner, BOM / zero-width no-break space, tag characters. They make
        // "smartreceiver.cisco.com\u{200b}" read as the real name and break widths.
        | '\u{00ad}'
        | '\u{200b}'..='\u{200d}'
        | '\u{2060}'
        | '\u{feff}'
        | '\u{e0000}'..='\u{e007f}' => Replacement::Code(c as u32),
        _ => return None,
    })
}

fn write_escaped_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let mut clean_from = 0;
    for (i, c) in s.char_indices() {
        let Some(r) = replacement(c) else { continue };
        f.write_str(s.get(clean_from..i).unwrap_or(""))?;
        match r {
            Replacement::Named(n) => f.write_str(n)?,
            Replacement::Byte(b) => write!(f, "\\x{b:02x}")?,
            Replacement::Code(u) => write!(f, "\\u{{{u:x}}}")?,
        }
        clean_from = i + c.len_utf8();
    }
    f.write_str(s.get(clean_from..).unwrap_or(""))
}

impl Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() || f.precision().is_some() {
            // `{:<9}` and the like: pad (or cut) the escaped form, as a `str` would be.
            return f.pad(&Untrusted(self.0).to_string());
        }
        for chunk in self.0.utf8_chunks() {
            write_escaped_str(f, chunk.valid())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> String {
        esc(s).to_string()
    }

    #[test]
    fn long_runs_are_cut_with_their_length_and_short_ones_kept() {
        let sni = "s".repeat(16_384);
        let name = format!("CN={}", "é".repeat(4_096));
        let prose = format!("the certificate is for {name}, not {sni}");
        let c = cut(&prose);
        assert_eq!(
            c,
            format!(
                "the certificate is for CN={}…[cut: 8196 bytes] not {}…[cut: 16384 bytes]",
                "é".repeat(62),
                "s".repeat(128)
            )
        );
        assert_eq!(cut(&c), c, "idempotent");
        for s in [
            "",
            "smartreceiver.cisco.com",
            &"x".repeat(MAX_SHOWN),
            "a b\tc\nd",
        ] {
            assert!(matches!(cut(s), Cow::Borrowed(_)), "{s}");
        }
        // Escaped after the cut: controls in the part shown stay visible.
        let hostile = format!("\x1b[2J{}", "z".repeat(1_000));
        assert_eq!(
            shown(&hostile).to_string(),
            format!("\\x1b[2J{}…[cut: 1004 bytes]", "z".repeat(124))
        );
        assert_eq!(escape_shown(&hostile), shown(&hostile).to_string());
        // Bytes that are not UTF-8 are cut on a byte and shown as \xNN.
        let bytes = [vec![0xffu8; 300], b" ok".to_vec()].concat();
        assert_eq!(
            shown(&bytes).to_string(),
            format!("{}…[cut: 300 bytes] ok", "\\xff".repeat(128))
        );
    }

    #[test]
    fn width_and_alignment_apply_to_the_escaped_form() {
        assert_eq!(format!("{:<5}|", esc("A")), "A    |");
        assert_eq!(format!("{:>6}|", esc("\x1b")), "  \\x1b|");
        assert_eq!(format!("{:.3}", esc("abcdef")), "abc");
    }

    #[test]
    fn printable_text_is_unchanged_and_borrowed() {
        for s in [
            "",
            "smartreceiver.cisco.com",
            "C=US, O=Lab, CN=Corp Proxy CA",
            "Zürich – 東京 ← émoji 🙂",
            r"C:\path\x1b already escaped",
        ] {
            assert_eq!(e(s), s);
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn terminal_attacks_and_reordering_characters_become_visible() {
        for (raw, shown) in [
            ("\x1b[2J", r"\x1b[2J"),
            ("\x1b]0;pwned\x07x", r"\x1b]0;pwned\x07x"),
            ("OK\rFAILED", r"OK\rFAILED"),
            ("a\nb\tc", r"a\nb\tc"),
            ("\0\x08\x7f", r"\x00\x08\x7f"),
            // C1 controls (the one-character CSI), bidi overrides and isolates, separators.
            ("\u{9b}2J", r"\u{9b}2J"),
            ("\u{80}\u{9f}", r"\u{80}\u{9f}"),
            ("abc\u{202e}fed", r"abc\u{202e}fed"),
            ("\u{2066}x\u{2069}", r"\u{2066}x\u{2069}"),
            ("a\u{2028}b", r"a\u{2028}b"),
            // Invisible characters (issue 28 item 7).
            (
                "smartreceiver.cisco.com\u{200b}",
                r"smartreceiver.cisco.com\u{200b}",
            ),
            ("a\u{200c}\u{200d}\u{2060}b", r"a\u{200c}\u{200d}\u{2060}b"),
            ("\u{feff}x\u{ad}y", r"\u{feff}x\u{ad}y"),
            ("t\u{e0041}\u{e007f}", r"t\u{e0041}\u{e007f}"),
        ] {
            assert_eq!(e(raw), shown);
            assert_eq!(escape(raw), shown);
        }
    }

    #[test]
    fn every_c0_c1_control_and_del_is_escaped() {
        for b in (0u8..0x20).chain([0x7f]) {
            let s = e(&char::from(b).to_string());
            assert!(s.starts_with('\\'), "{b:#x} -> {s:?}");
            assert!(s.bytes().all(|c| (0x20..0x7f).contains(&c)), "{s:?}");
        }
        for c in '\u{80}'..='\u{9f}' {
            assert_eq!(e(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        // Neighbours that are ordinary printable characters stay.
        assert_eq!(e("\u{a0}\u{a9}\u{2030}"), "\u{a0}\u{a9}\u{2030}");
    }

    #[test]
    fn invalid_utf8_bytes_show_as_hex() {
        assert_eq!(esc(&b"a\xffb"[..]).to_string(), r"a\xffb");
        // A truncated multi-byte sequence, then an escape sequence.
        assert_eq!(esc(&b"\xe2\x82\x1b[0m"[..]).to_string(), r"\xe2\x82\x1b[0m");
        // Overlong encoding of '/' and a lone continuation byte.
        assert_eq!(esc(&b"\xc0\xaf\x80"[..]).to_string(), r"\xc0\xaf\x80");
        // Valid UTF-8 in bytes is text.
        assert_eq!(esc("é".as_bytes()).to_string(), "é");
    }

    #[test]
    fn text_of_bytes_keeps_what_was_sent() {
        assert!(matches!(text_of_bytes(b"plain"), Cow::Borrowed("plain")));
        assert_eq!(text_of_bytes(b"x\xffy\xc3"), r"x\xffy\xc3");
        // Controls are left for the printers.
        assert_eq!(text_of_bytes(b"\x1b[2J\xfe"), "\x1b[2J\\xfe");
        // ... which then escape them, and only them.
        assert_eq!(e(&text_of_bytes(b"\x1b[2J\xfe")), r"\x1b[2J\xfe");
    }

    #[test]
    fn escaping_is_idempotent() {
        let hostile = "\x1b]0;x\x07\r\u{9b}\u{202e}\n\t\x7f";
        let once = e(hostile);
        assert_eq!(e(&once), once);
        assert!(once.chars().all(|c| replacement(c).is_none()));
    }

    #[test]
    fn long_strings_are_escaped_whole_and_bounded() {
        let n = 1 << 20;
        let clean = "a".repeat(n);
        assert_eq!(escape(&clean).len(), n);
        let hostile = "\x1b".repeat(n);
        let out = escape(&hostile);
        assert_eq!(
            out.len(),
            4 * n,
            "each ESC becomes the four characters \\x1b"
        );
        assert!(!out.contains('\x1b'));
        // The worst case: a two-byte C1 control becomes \u{9b}, six bytes for two.
        let c1 = "\u{9b}".repeat(n);
        assert_eq!(escape(&c1).len(), 3 * c1.len());
        let bytes = vec![0xffu8; n];
        assert_eq!(esc(&bytes).to_string().len(), 4 * n);
    }

    #[test]
    fn random_bytes_hold_the_fuzz_target_properties() {
        // The properties fuzz/fuzz_targets/escape.rs checks, over 20,000 pseudo-random
        // inputs (xorshift, fixed seed) biased towards controls and UTF-8 lead bytes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const PICK: &[u8] = b"\x1b\x07\r\n\x00\x7f\x9b\xc2\xe2\x80\x81\xaa\xf0\x9f\xffa\\";
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 {
                        r as u8
                    } else {
                        PICK[(r >> 8) as usize % PICK.len()]
                    }
                })
                .collect();
            let shown = esc(&data).to_string();
            assert!(
                !shown.chars().any(char::is_control),
                "{data:?} -> {shown:?}"
            );
            assert_eq!(escape(&shown), shown.as_str(), "{data:?}");
            assert_eq!(esc(text_of_bytes(&data).as_ref()).to_string(), shown);
        }
    }

    #[test]
    fn output_never_holds_a_control_character() {
        // Every byte value, alone and after a lead byte, and every char up to U+3000.
        let mut all: Vec<u8> = (0..=255).collect();
        for lead in [0xc2u8, 0xe2, 0xf0] {
            for b in 0..=255 {
                all.extend([lead, b]);
            }
        }
        let s = esc(&all).to_string();
        assert!(s.chars().all(|c| !c.is_control()), "{s:?}");
        let chars: String = (0..0x3000).filter_map(char::from_u32).collect();
        assert!(e(&chars).chars().all(|c| replacement(c).is_none()));
    }
}
