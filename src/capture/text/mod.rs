//! Captures pasted as text (issue 23): tshark's summary lines (`show monitor capture NAME
//! buffer brief`), Wireshark's packet list with a header row, detailed dissections (`buffer
//! detailed`, `tshark -V`) and hex dumps (`tshark -x`, `buffer dump`, classic IOS `ADDR:
//! words`, od/text2pcap). One model and one rule set: this reader turns the text into
//! frames and hands them to the same analyser as a pcap, each with its provenance (the
//! text line, and how much the text proved: the bytes, the fields, or a summary).
//!
//! - Hex gives the real bytes: the frames are the capture's own.
//! - The other forms state facts (addresses, ports, TCP flags, the CONNECT line, TLS
//!   message names, SNI, alerts, DNS rcodes and answers): the frames are rebuilt from
//!   those facts only ([`build`]); what the text does not state is left out, never
//!   invented (a TLS certificate whose bytes are not in the text is an empty Certificate
//!   message: "not visible", which no certificate rule reads as evidence). A detailed
//!   dissection's certificate fields are read ([`certs`]) and go beside the frame
//!   ([`TextFrame::chains`]) as certificates marked as read from fields, never as bytes.
//!
//! Streamed line by line with a bounded line length: memory does not grow with the text.
//! Pure apart from reading the given reader.

mod brief;
pub mod build;
mod certs;
mod detailed;
mod detect;
mod facts;
mod hex;
mod list;
mod time;

pub use detect::{Form, detect, status_of};

use std::io::BufRead;
use std::net::SocketAddr;

/// `--input-format`: which reader reads the text; `Auto` detects it by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    #[default]
    Auto,
    Brief,
    List,
    Detailed,
    Hex,
}

/// How much a frame's text proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One summary line (or a packet list row): the facts tshark's Info column states.
    Summary,
    /// A dissection tree: the fields tshark decoded.
    Fields,
    /// The frame's own bytes (a hex dump).
    Bytes,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Summary => "summary line",
            Level::Fields => "dissection fields",
            Level::Bytes => "hex bytes",
        }
    }
}

/// One frame made from the text, with where it came from.
pub struct TextFrame<'a> {
    /// The text's frame number when it states one, else the count of frames so far.
    pub number: u64,
    pub time_ns: i64,
    pub linktype: u32,
    pub data: &'a [u8],
    pub orig_len: u32,
    /// 1-based line of the text where the frame starts.
    pub line: u64,
    pub level: Level,
    /// The certificates of the frame's Certificate messages, one chain a message, as the
    /// text's fields state them (the rebuilt bytes carry each message empty): for
    /// [`crate::flow::Analyzer::stated_certificates`]. Empty when not stated.
    pub chains: Vec<Vec<crate::model::CertInfo>>,
}

/// Where one frame of the analysis came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub frame: u64,
    pub line: u64,
    pub level: Level,
}

/// Runs of origins kept at most (bounded memory on a huge paste: frames past them keep no
/// line of origin). A summary or a list is one run per stretch of consecutive lines (a
/// repeated frame number, a banner or a skipped line starts another); a dissection or a
/// hex dump, whose frames take varying numbers of lines, one run per frame.
pub const MAX_ORIGIN_RUNS: usize = 1 << 19;
/// Endpoint pairs whose undescribed bytes are counted at most.
pub const MAX_UNDESCRIBED: usize = 1 << 16;

/// Frames numbered one after another whose first lines are equally far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    frame: u64,
    line: u64,
    /// Lines from one frame of the run to the next (0 while the run has one frame).
    step: u64,
    count: u64,
    level: Level,
}

impl Run {
    fn extend(&mut self, o: &Origin) -> bool {
        if self.frame.checked_add(self.count) != Some(o.frame) || o.level != self.level {
            return false;
        }
        let last = self.line + self.step * (self.count - 1);
        let step = match o.line.checked_sub(last) {
            Some(step) if step > 0 && (self.count == 1 || step == self.step) => step,
            _ => return false,
        };
        self.step = step;
        self.count += 1;
        true
    }

    fn get(&self, frame: u64) -> Option<Origin> {
        let k = frame.checked_sub(self.frame).filter(|&k| k < self.count)?;
        Some(Origin {
            frame,
            line: self.line + self.step * k,
            level: self.level,
        })
    }
}

/// Where each frame came from, run-length encoded (memory grows with the runs, not the
/// frames: a 1 GB summary is a few runs per repeated capture).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    runs: Vec<Run>,
    /// The frame numbers the runs cover, as merged ranges (start → end, exclusive): a
    /// number already covered is the first frame so numbered, so a later frame with it
    /// needs no run (a text pasted over and over costs its distinct numbers, not its
    /// length).
    covered: std::collections::BTreeMap<u64, u64>,
    /// Every run's numbers follow the previous run's (no number repeated).
    unsorted: bool,
    /// The weakest level of every frame, kept or not.
    weakest: Option<Level>,
}

impl Origins {
    pub fn push(&mut self, o: Origin) {
        self.weakest = Some(self.weakest.map_or(o.level, |w| w.min(o.level)));
        if self.is_covered(o.frame) {
            return;
        }
        if self.runs.last_mut().is_some_and(|r| r.extend(&o)) {
            self.cover(o.frame);
            return;
        }
        if self.runs.len() >= MAX_ORIGIN_RUNS {
            return;
        }
        // Every covered range holds a run's numbers: no more ranges than runs.
        self.cover(o.frame);
        self.unsorted |= self
            .runs
            .last()
            .is_some_and(|r| r.frame.saturating_add(r.count) > o.frame);
        self.runs.push(Run {
            frame: o.frame,
            line: o.line,
            step: 0,
            count: 1,
            level: o.level,
        });
    }

    fn is_covered(&self, frame: u64) -> bool {
        self.covered
            .range(..=frame)
            .next_back()
            .is_some_and(|(_, &end)| frame < end)
    }

    /// Marks `frame` covered, merging it with the ranges it touches.
    fn cover(&mut self, frame: u64) {
        let end = frame.saturating_add(1);
        let mut start = frame;
        if let Some((&s, &e)) = self.covered.range(..=frame).next_back()
            && e >= frame
        {
            start = s;
        }
        let mut new_end = end;
        if let Some(&e) = self.covered.get(&end) {
            self.covered.remove(&end);
            new_end = e;
        }
        self.covered.insert(start, new_end.max(end));
    }

    /// The origin of frame `frame`: a number the text repeats (texts pasted one after
    /// another) is the first frame so numbered.
    pub fn get(&self, frame: u64) -> Option<Origin> {
        if self.unsorted {
            return self.runs.iter().find_map(|r| r.get(frame));
        }
        // Numbers rise with the text (the usual case): a binary search.
        let i = self
            .runs
            .partition_point(|r| r.frame.saturating_add(r.count) <= frame);
        self.runs.get(i).and_then(|r| r.get(frame))
    }

    /// Every frame's level, the frames past the runs kept included.
    pub fn weakest(&self) -> Option<Level> {
        self.weakest
    }

    /// Whether every frame read is of `level` (true when none was read).
    pub fn all_of(&self, level: Level) -> bool {
        self.weakest.is_none_or(|w| w == level) && self.runs.iter().all(|r| r.level == level)
    }
}

/// What was read from the text.
#[derive(Debug, Clone, Default)]
pub struct TextSummary {
    pub form: Option<Form>,
    pub frames: u64,
    pub lines: u64,
    /// Lines that belong to no packet (prompts, banners, log lines, noise): skipped.
    pub lines_skipped: u64,
    /// Frames whose hex ends early or has an odd digit (marked truncated).
    pub frames_cut: u64,
    /// What anchored the times (`Epoch Time`, `show clock`, ...); `None`: relative only.
    pub anchored_by: Option<String>,
    /// The text states no time at all (a bare hex dump).
    pub no_times: bool,
    /// Times of day (a `UTC time` column) that nothing in the text dates.
    pub undated_time_of_day: bool,
    /// Where each frame came from (the first [`MAX_ORIGIN_RUNS`] runs).
    pub origins: Origins,
    /// What the text cannot show, in words, each once.
    pub not_shown: Vec<&'static str>,
    /// Bytes a TCP endpoint sent that the text states (`Len=N`) but does not describe, by
    /// (from, to): (bytes, first such frame, its line).
    pub undescribed: std::collections::BTreeMap<(SocketAddr, SocketAddr), (u64, u64, u64)>,
}

impl TextSummary {
    pub fn origin_of(&self, frame: u64) -> Option<Origin> {
        self.origins.get(frame)
    }

    /// The weakest level of evidence among the frames read (`None` when none was).
    pub fn weakest(&self) -> Option<Level> {
        self.origins.weakest()
    }

    fn note(&mut self, what: &'static str) {
        if !self.not_shown.contains(&what) {
            self.not_shown.push(what);
        }
    }
}

/// Why the text gave no packets.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A status output (`show monitor capture`, its statistics, `monitor capture stop`).
    #[error("{what}, not packets: {command} shows the packets")]
    Status {
        what: &'static str,
        command: &'static str,
    },
    #[error(
        "not a pcap or pcapng file, and no packets recognised in {lines} line(s) of text (expected tshark's summary lines, a packet list with a header row, a detailed dissection or a hex dump)"
    )]
    NoPackets { lines: u64 },
}

/// Longest line kept; the rest of a longer line is dropped (the line counts as cut).
const MAX_LINE: usize = 64 * 1024;
/// Lines read ahead to detect the form.
const SNIFF_LINES: usize = 400;

/// What each form's reader implements: lines in, frames out.
trait LineReader {
    fn line(&mut self, n: u64, line: &str, out: &mut Out<'_>);
    fn finish(&mut self, out: &mut Out<'_>);
}

/// The frames' destination and the summary being written.
pub(crate) struct Out<'a> {
    emit: &'a mut dyn FnMut(TextFrame<'_>),
    summary: TextSummary,
    anchor: time::Anchor,
    /// Frames without a number of their own are numbered after the last one.
    last_number: u64,
    builder: build::Builder,
}

impl Out<'_> {
    /// A frame of real bytes.
    fn frame(&mut self, f: RawFrame) {
        self.summary.frames += 1;
        let number = f.number.unwrap_or(self.last_number + 1);
        self.last_number = number;
        if f.cut {
            self.summary.frames_cut += 1;
        }
        let time_ns = self.anchor.resolve(&f.time, &mut self.summary);
        self.summary.origins.push(Origin {
            frame: number,
            line: f.line,
            level: f.level,
        });
        let orig_len = f.orig_len.unwrap_or(f.data.len() as u32).max(if f.cut {
            f.data.len() as u32 + 1
        } else {
            0
        });
        (self.emit)(TextFrame {
            number,
            time_ns,
            linktype: f.linktype,
            data: &f.data,
            orig_len,
            line: f.line,
            level: f.level,
            chains: f.chains,
        });
    }

    /// A frame rebuilt from stated facts.
    fn facts(&mut self, f: facts::Facts, level: Level) {
        for w in f.not_shown(level) {
            self.summary.note(w);
        }
        // No IP addresses in the text (MAC-only lines: STP, LLDP): a frame that is counted
        // but carries nothing (an empty Ethernet header of no type).
        let frames = self.builder.build(&f);
        if let Some((from, to, n)) = self.builder.unstated.take()
            && self.summary.undescribed.len() < MAX_UNDESCRIBED
        {
            let frame = f.number.unwrap_or(self.last_number + 1);
            let e = self
                .summary
                .undescribed
                .entry((from, to))
                .or_insert((0, frame, f.line));
            e.0 += u64::from(n);
        }
        let empty = frames.is_empty();
        let rebuilt = frames
            .into_iter()
            .map(|d| (crate::wire::link::linktype::RAW, d));
        let none = empty.then(|| (crate::wire::link::linktype::ETHERNET, vec![0; 14]));
        let mut chains = f.chains;
        for (linktype, data) in rebuilt.chain(none) {
            self.frame(RawFrame {
                number: f.number,
                line: f.line,
                time: f.time,
                linktype,
                data,
                orig_len: None,
                cut: false,
                level,
                // A TLS message's facts make one frame.
                chains: std::mem::take(&mut chains),
            });
        }
    }

    fn skipped(&mut self) {
        self.summary.lines_skipped += 1;
    }

    fn clock(&mut self, t: time::Stated) {
        self.anchor.clock(t);
    }
}

/// A frame as a reader found it.
pub(crate) struct RawFrame {
    number: Option<u64>,
    line: u64,
    time: time::Stated,
    linktype: u32,
    data: Vec<u8>,
    orig_len: Option<u32>,
    /// An odd digit or a short line: the bytes end early.
    cut: bool,
    level: Level,
    /// The certificates the text's fields state for its Certificate messages.
    chains: Vec<Vec<crate::model::CertInfo>>,
}

/// Reads text from `reader` and calls `on_frame` for every frame, in text order. The form
/// is `format`, or detected from the first lines. A status output or a text with no
/// packet is an error.
pub fn read_text<R: BufRead>(
    mut reader: R,
    format: InputFormat,
    mut on_frame: impl FnMut(TextFrame<'_>),
) -> Result<TextSummary, TextError> {
    let mut head: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut eof = false;
    while head.len() < SNIFF_LINES {
        match read_line(&mut reader, &mut buf)? {
            Some(l) => head.push(l),
            None => {
                eof = true;
                break;
            }
        }
    }
    let form = match format {
        InputFormat::Auto => match detect(head.iter().map(String::as_str)) {
            Some(f) => f,
            None => {
                if let Some((what, command)) = status_of(head.iter().map(String::as_str)) {
                    return Err(TextError::Status { what, command });
                }
                return Err(TextError::NoPackets {
                    lines: head.len() as u64,
                });
            }
        },
        InputFormat::Brief => Form::Brief,
        InputFormat::List => Form::List,
        InputFormat::Detailed => Form::Detailed,
        InputFormat::Hex => Form::Hex,
    };
    let mut out = Out {
        emit: &mut on_frame,
        summary: TextSummary {
            form: Some(form),
            ..TextSummary::default()
        },
        anchor: time::Anchor::default(),
        last_number: 0,
        builder: build::Builder::default(),
    };
    let mut r: Box<dyn LineReader> = match form {
        Form::Brief => Box::new(brief::Brief),
        Form::List => Box::new(list::List::default()),
        Form::Detailed => Box::new(detailed::Detailed::default()),
        Form::Hex => Box::new(hex::Hex::default()),
    };
    let mut n = 0u64;
    for l in head {
        n += 1;
        r.line(n, &l, &mut out);
    }
    if !eof {
        while let Some(l) = read_line(&mut reader, &mut buf)? {
            n += 1;
            r.line(n, &l, &mut out);
        }
    }
    r.finish(&mut out);
    out.summary.lines = n;
    if out.summary.frames == 0 {
        return Err(TextError::NoPackets { lines: n });
    }
    let mut s = out.summary;
    if s.anchored_by.is_none() && s.undated_time_of_day {
        s.note("the date: the text's times are UTC times of day, and nothing in it says which day");
    } else if s.anchored_by.is_none() && !s.no_times {
        s.note("the absolute time: the text's times are relative to its first packet");
    }
    Ok(s)
}

/// One line without its end (`\n`, `\r\n`), at most [`MAX_LINE`] bytes kept; bytes that
/// are not UTF-8 become U+FFFD for parsing (the model's strings are escaped when shown).
fn read_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Option<String>> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        total += take;
        reader.consume(take);
        if done {
            break;
        }
    }
    if total == 0 {
        return Ok(None);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

#[cfg(test)]
mod tests;
