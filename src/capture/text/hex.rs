//! Hex dumps: the frames' own bytes.
//!
//! - tshark / Wireshark (`tshark -x`, `buffer dump`, the hex after a detailed frame):
//!   `0000  2a a0 cf 01 ...   *....`: an offset, bytes of two digits, the ASCII column
//!   after a run of spaces. A frame starts at offset 0.
//! - od / text2pcap (`od -Ax -tx1`): `000000 45 00 ...`; octal offsets (`od -tx1`) are
//!   recognised by their second line.
//! - Classic IOS EPC (`show monitor capture buffer NAME dump`): `2B1E6A40: 45000054
//!   00000000 ...  E..T....`: memory addresses, words of up to 8 digits, starting at the IP
//!   header (no Ethernet: the raw-IP link type), a frame after each header or blank line.
//!
//! A summary line before a frame's hex gives its number and time (`tshark -x -P`,
//! `buffer dump`); a classic header line gives its time.

use super::time::{self, Stated};
use super::{Level, LineReader, Out, RawFrame, brief};
use crate::wire::link::linktype;

/// One line of hex.
#[derive(Debug, PartialEq, Eq)]
pub struct HexLine {
    pub offset: u64,
    pub bytes: Vec<u8>,
    /// A token of an odd number of digits: the line's bytes end early.
    pub odd: bool,
    /// Classic IOS words (`ADDR: XXXXXXXX ...`).
    pub words: bool,
    /// The offset's digits (od's octal offsets are told from hex by the second line).
    pub offset_text_len: usize,
    offset_raw: u64,
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `line` is a line of any hex dump.
pub fn is_hex_line(line: &str) -> bool {
    parse_hex_line(line).is_some_and(|h| !h.bytes.is_empty())
}

/// The offset and bytes of a hex dump line; `None` when it is not one.
pub fn parse_hex_line(line: &str) -> Option<HexLine> {
    let l = line.trim_start();
    let (off, rest) = l.split_at(l.find([' ', '\t', ':']).unwrap_or(l.len()));
    if !is_hex(off) || !(4..=8).contains(&off.len()) {
        return None;
    }
    let words = rest.starts_with(':');
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    if words && off.len() != 8 {
        return None;
    }
    if !words && !rest.starts_with([' ', '\t']) && !rest.is_empty() {
        return None;
    }
    let offset_raw = u64::from_str_radix(off, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    let mut odd = false;
    let mut s = rest;
    let mut first = true;
    let max_token = if words { 8 } else { 2 };
    let mut tokens = 0;
    loop {
        let gap = s.len() - s.trim_start_matches([' ', '\t']).len();
        s = &s[gap..];
        if s.is_empty() {
            break;
        }
        // The ASCII column follows a wider gap (tshark: 3 spaces; IOS: 2 or more).
        let wide = if words { 2 } else { 3 };
        if !first && (gap >= wide || s.starts_with('\t')) && tokens > 0 {
            break;
        }
        if s.as_bytes()[0] == b'\t' {
            break;
        }
        let end = s.find([' ', '\t']).unwrap_or(s.len());
        let tok = &s[..end];
        if !is_hex(tok) || tok.len() > max_token {
            if tokens == 0 {
                return None;
            }
            break;
        }
        if tok.len() % 2 == 1 {
            odd = true;
        }
        for pair in tok.as_bytes().chunks(2) {
            if pair.len() == 2 {
                let v = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
                bytes.push(v);
            }
        }
        tokens += 1;
        first = false;
        s = &s[end..];
        if odd {
            break;
        }
        if !words && tokens == 16 {
            break;
        }
        if words && tokens == 4 {
            break;
        }
    }
    Some(HexLine {
        offset: offset_raw,
        bytes,
        odd,
        words,
        offset_text_len: off.len(),
        offset_raw,
    })
}

/// Hex lines gathered into frames. Shared by the hex reader and the dissection reader.
#[derive(Default)]
pub struct Frames {
    data: Vec<u8>,
    line: u64,
    next_offset: u64,
    cut: bool,
    words: bool,
    octal: Option<bool>,
    open: bool,
}

/// A frame's bytes beyond this are dropped (the frame is marked cut): 256 KiB, a snaplen.
const MAX_FRAME: usize = 256 * 1024;

impl Frames {
    /// Adds a hex line; returns the finished previous frame when this line starts a new one.
    pub fn add(&mut self, n: u64, h: HexLine) -> Option<(Vec<u8>, u64, bool, bool)> {
        let mut done = None;
        let starts = if h.words { !self.open } else { h.offset == 0 };
        if starts && self.open {
            done = self.take();
        }
        if !self.open {
            self.open = true;
            self.line = n;
            self.words = h.words;
            self.next_offset = h.offset;
            self.octal = None;
        }
        let mut offset = h.offset;
        if !h.words && offset != self.next_offset {
            // od's octal offsets: 0000020 is 16.
            let as_octal = u64::from_str_radix(&format!("{:x}", h.offset_raw), 8).ok();
            if self.octal != Some(false) && as_octal == Some(self.next_offset) {
                self.octal = Some(true);
                offset = self.next_offset;
            } else if self.octal == Some(true) && as_octal.is_some() {
                offset = as_octal.unwrap_or(offset);
            }
        } else if !h.words && offset > 0 {
            self.octal.get_or_insert(false);
        }
        if !h.words && offset != self.next_offset {
            self.cut = true;
        }
        if !self.cut || h.words {
            if self.data.len() + h.bytes.len() > MAX_FRAME {
                self.cut = true;
            } else {
                self.data.extend_from_slice(&h.bytes);
            }
        }
        if h.odd {
            self.cut = true;
        }
        self.next_offset = offset + h.bytes.len() as u64;
        done
    }

    /// Ends the current frame (a blank or other line after a classic dump's words).
    pub fn end_words(&mut self) -> Option<(Vec<u8>, u64, bool, bool)> {
        if self.open && self.words {
            self.take()
        } else {
            None
        }
    }

    /// The frame being gathered, if any: (bytes, first line, cut, raw IP).
    pub fn take(&mut self) -> Option<(Vec<u8>, u64, bool, bool)> {
        if !self.open {
            return None;
        }
        self.open = false;
        let cut = std::mem::take(&mut self.cut);
        let data = std::mem::take(&mut self.data);
        let raw = self.words || looks_like_ip(&data);
        (!data.is_empty()).then_some((data, self.line, cut, raw))
    }
}

/// A frame that starts with an IPv4 or IPv6 header rather than Ethernet.
fn looks_like_ip(d: &[u8]) -> bool {
    if d.len() >= 14
        && matches!(
            u16::from_be_bytes([d[12], d[13]]),
            0x0800 | 0x86dd | 0x8100 | 0x88a8 | 0x8909
        )
    {
        return false;
    }
    match d.first().map(|b| b >> 4) {
        Some(4) => {
            d.len() >= 20
                && d[0] & 0x0f >= 5
                && usize::from(u16::from_be_bytes([d[2], d[3]])) >= d.len().min(20)
        }
        Some(6) => d.len() >= 40,
        _ => false,
    }
}

/// The hex reader.
#[derive(Default)]
pub struct Hex {
    frames: Frames,
    /// The number and time of the frame the next hex belongs to (a summary line before it).
    next: Option<(Option<u64>, Stated)>,
    current: Option<(Option<u64>, Stated)>,
}

impl Hex {
    fn flush(&mut self, f: Option<(Vec<u8>, u64, bool, bool)>, out: &mut Out<'_>) {
        let Some((data, line, cut, raw)) = f else {
            return;
        };
        let (number, time) = self.current.take().unwrap_or((None, Stated::None));
        out.frame(RawFrame {
            number,
            line,
            time,
            linktype: if raw {
                linktype::RAW
            } else {
                linktype::ETHERNET
            },
            data,
            orig_len: None,
            cut,
            chains: Vec::new(),
            level: Level::Bytes,
        });
    }
}

impl LineReader for Hex {
    fn line(&mut self, n: u64, line: &str, out: &mut Out<'_>) {
        if let Some(h) = parse_hex_line(line).filter(|h| !h.bytes.is_empty() || h.odd) {
            let starts = if h.words {
                !self.frames.open
            } else {
                h.offset == 0
            };
            let done = self.frames.add(n, h);
            self.flush(done, out);
            if starts {
                self.current = self.next.take();
            }
            return;
        }
        let done = self.frames.end_words();
        self.flush(done, out);
        if line.trim().is_empty() {
            return;
        }
        if let Some(b) = brief::parse_line(line, n) {
            let done = self.frames.take();
            self.flush(done, out);
            self.next = Some((b.number, b.time));
            return;
        }
        if let Some(t) = classic_header_time(line) {
            self.next = Some((None, Stated::Epoch(t)));
            return;
        }
        if let Some(t) = time::show_clock(line) {
            out.clock(Stated::Epoch(t));
            return;
        }
        // od's last line: the length alone.
        if parse_hex_line(line).is_some() {
            return;
        }
        out.skipped();
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        let done = self.frames.take();
        self.flush(done, out);
    }
}

/// A classic IOS dump's header: `11:13:09.435 UTC Mar 4 2014 : IPv4 LES CEF : Gi0/1 None`.
fn classic_header_time(line: &str) -> Option<i64> {
    let (when, _) = line.split_once(" : ")?;
    let w: Vec<&str> = when.split_whitespace().collect();
    if w.len() != 5 || !w[1].eq_ignore_ascii_case("UTC") {
        return None;
    }
    let tod = time::time_of_day(w[0])?;
    let day = crate::model::time::days_since_epoch(
        w[4].parse().ok()?,
        time::month(w[2])?,
        w[3].parse().ok()?,
    )?;
    Some(day * 86_400_000_000_000 + tod)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_each_dump() {
        let t = parse_hex_line("0040  00 00 01 00 01                                    .....")
            .unwrap();
        assert_eq!(
            (t.offset, t.bytes, t.odd),
            (0x40, vec![0, 0, 1, 0, 1], false)
        );
        // An ASCII column that looks like hex is not bytes.
        let t =
            parse_hex_line("0000  64 65                                             de").unwrap();
        assert_eq!(t.bytes, [0x64, 0x65]);
        let t = parse_hex_line("0010  00 3").unwrap();
        assert_eq!((t.bytes, t.odd), (vec![0], true));
        let w = parse_hex_line("2B1E6A40:                   45000054 00000000            E..T....")
            .unwrap();
        assert!(w.words);
        assert_eq!(w.bytes, [0x45, 0, 0, 0x54, 0, 0, 0, 0]);
        let od = parse_hex_line("0000020 45 00 00 54").unwrap();
        assert_eq!(od.bytes, [0x45, 0, 0, 0x54]);
        assert!(parse_hex_line("Frame 1: 74 bytes on wire").is_none());
        assert!(parse_hex_line("    1   0.000000 10.0.0.1 -> 10.0.0.2 TCP 74").is_none());
        assert_eq!(
            classic_header_time("11:13:09.435 UTC Mar 4 2014 : IPv4 LES CEF    : Gi0/1 None"),
            Some(1_393_931_589_435_000_000)
        );
    }
}
