//! `analyze --annotate OUT.pcapng`: the capture written back as pcapng with each finding as
//! a packet comment (`opt_comment`) on its evidence frames and a section-header comment
//! with the verdict, so Wireshark shows the diagnosis (`frame.comment`).
//!
//! Three parts: [`annotations`] (pure: timeline → comment texts), [`PcapngWriter`] (pure:
//! blocks to any `io::Write`, draft-ietf-opsawg-pcapng) and [`annotate`], a second streaming
//! pass over the input that copies every frame byte for byte with its raw timestamp and
//! interface. The analysis streams and keeps no frame, so the input is read again here,
//! by the analysis' own reader (`capture::read_blocks`): the frames are numbered by the
//! one counter the findings were cited with (Wireshark's numbering).
//! Nothing here decides anything: the comments are the findings' own wording.
//!
//! The input's own comments and text options are hostile until proven otherwise: they are
//! copied escaped as licpath's are ([`comment_text`]), and one that reads like licpath's
//! ("licpath: ERROR ...") is marked `input: `. licpath's own comments start with
//! `licpath VERSION #MARK: `, where MARK is a hash of this run's verdict and findings that
//! the file's first section comment carries too (docs/annotate.md).

use crate::capture::{BlockSink, CaptureError, Compression, Frame, Raw, ReadError, read_blocks};
use crate::model::{Finding, Timeline};
use crate::outfile::{OutputError, OutputFile};
use pcap_parser::PcapBlockOwned;
use pcap_parser::pcapng::{Block, PcapNGOption};
use pcap_parser::traits::PcapNGPacketBlock;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::Path;

// Block types and option codes, draft-ietf-opsawg-pcapng §4 and §3.5.
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const SPB: u32 = 0x0000_0003;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_ENDOFOPT: u16 = 0;
/// `opt_comment`: UTF-8 text, valid in every block (§3.5).
pub const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;
/// An option's length field is 16 bits (§3.5).
const MAX_OPTION_LEN: usize = u16::MAX as usize;

/// One option of a block: its code and value (unpadded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOption<'a> {
    pub code: u16,
    pub value: Cow<'a, [u8]>,
}

impl BlockOption<'_> {
    /// An `opt_comment` holding `text` made safe for the format: see [`comment_text`].
    pub fn comment(text: &[u8]) -> BlockOption<'static> {
        BlockOption {
            code: OPT_COMMENT,
            value: Cow::Owned(comment_text(text).into_bytes()),
        }
    }
}

/// Comment text from any bytes, line by line made safe as for a terminal
/// ([`crate::escape`]: bytes that are not UTF-8 as `\xNN` — the format requires UTF-8,
/// §3.5 —, control characters and bidirectional overrides visible, so a NUL cannot end the
/// string in a reader and nothing reaches the terminal of someone running tshark), cut at
/// a character boundary to fit the 16-bit option length.
pub fn comment_text(raw: &[u8]) -> String {
    let mut s = raw
        .split(|&b| b == b'\n')
        .map(|line| crate::escape::esc(line).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    if s.len() > MAX_OPTION_LEN {
        let mut cut = MAX_OPTION_LEN;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Writes pcapng blocks (little-endian) to any `io::Write`. Hand-written (issue 25 item 7):
/// pcap-parser, which reads the input, has no writer, and the copy must keep what it does
/// not decode byte for byte ([`PcapngWriter::raw_block`]) and each frame's bytes, timestamp
/// units, interface and options as read; these hundred lines do that with no second
/// capture library in the tree.
pub struct PcapngWriter<W: Write> {
    out: W,
    bytes: u64,
}

fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

impl<W: Write> PcapngWriter<W> {
    pub fn new(out: W) -> Self {
        PcapngWriter { out, bytes: 0 }
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// A block: type, total length, body padded to 32 bits, options (each padded, then
    /// `opt_endofopt`), total length again (§3.1).
    fn block(&mut self, block_type: u32, body: &[u8], options: &[BlockOption]) -> io::Result<()> {
        let mut opts = Vec::new();
        for o in options {
            let len = o.value.len().min(MAX_OPTION_LEN);
            opts.extend_from_slice(&o.code.to_le_bytes());
            opts.extend_from_slice(&(len as u16).to_le_bytes());
            opts.extend_from_slice(&o.value[..len]);
            opts.resize(opts.len() + padding(len), 0);
        }
        if !opts.is_empty() {
            opts.extend_from_slice(&OPT_ENDOFOPT.to_le_bytes());
            opts.extend_from_slice(&0u16.to_le_bytes());
        }
        let total = 12 + body.len() + padding(body.len()) + opts.len();
        let total32 = u32::try_from(total)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pcapng block too large"))?;
        let mut b = Vec::with_capacity(total);
        b.extend_from_slice(&block_type.to_le_bytes());
        b.extend_from_slice(&total32.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(b.len() + padding(body.len()), 0);
        b.extend_from_slice(&opts);
        b.extend_from_slice(&total32.to_le_bytes());
        self.out.write_all(&b)?;
        self.bytes += total as u64;
        Ok(())
    }

    /// Section Header Block, version 1.0, section length unspecified (-1).
    pub fn section_header(&mut self, options: &[BlockOption]) -> io::Result<()> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        self.block(SHB, &body, options)
    }

    /// Interface Description Block.
    pub fn interface(
        &mut self,
        linktype: u16,
        snaplen: u32,
        options: &[BlockOption],
    ) -> io::Result<()> {
        let mut body = Vec::with_capacity(8);
        body.extend_from_slice(&linktype.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        self.block(IDB, &body, options)
    }

    /// Enhanced Packet Block: `timestamp` in the interface's units (`if_tsresol`), kept
    /// as it was read so that no resolution is lost.
    pub fn enhanced_packet(
        &mut self,
        interface: u32,
        timestamp: u64,
        data: &[u8],
        orig_len: u32,
        options: &[BlockOption],
    ) -> io::Result<()> {
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let mut body = Vec::with_capacity(20 + data.len());
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((timestamp >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(timestamp as u32).to_le_bytes());
        body.extend_from_slice(&caplen.to_le_bytes());
        body.extend_from_slice(&orig_len.to_le_bytes());
        body.extend_from_slice(data);
        self.block(EPB, &body, options)
    }

    /// Simple Packet Block (no timestamp, no options: it cannot carry a comment).
    pub fn simple_packet(&mut self, data: &[u8], orig_len: u32) -> io::Result<()> {
        let mut body = Vec::with_capacity(4 + data.len());
        body.extend_from_slice(&orig_len.to_le_bytes());
        body.extend_from_slice(data);
        self.block(SPB, &body, &[])
    }

    /// A block already encoded little-endian (copied from a little-endian input section).
    pub fn raw_block(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// What the annotated file says: comments per frame, and the section header's comment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Annotations {
    /// Frame number (1-based, as in the report) → comments, in report order.
    pub frames: BTreeMap<u64, Vec<String>>,
    pub section: String,
}

/// One finding as a comment's text: `ERROR ssl_interception — <summary>`.
pub fn finding_line(f: &Finding) -> String {
    format!(
        "{} {} — {}",
        f.severity.as_str().to_uppercase(),
        f.code.as_str(),
        f.summary
    )
}

/// What starts each of licpath's comments: `licpath VERSION #MARK: `, MARK the first 12
/// hex digits of SHA-256 over licpath's version and the section comment's text (the
/// verdict and every finding): the same in every comment of one annotated file.
fn mark_of(section_body: &str) -> String {
    use sha2::{Digest, Sha256};
    let version = env!("CARGO_PKG_VERSION");
    let digest = Sha256::new()
        .chain_update(version.as_bytes())
        .chain_update([0])
        .chain_update(section_body.as_bytes())
        .finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("licpath {version} #{hex}: ")
}

/// What an input comment that reads like licpath's is prefixed with.
pub const INPUT_MARK: &str = "input: ";

/// The comments for `t` (the report of `file`): each finding on each of its evidence
/// frames with that evidence's description; all findings, with their frames, in the
/// section header's comment under the verdict. Each starts with licpath's mark.
pub fn annotations(file: &str, t: &Timeline) -> Annotations {
    let report = super::json::report(file, "", t);
    let mut section = format!(
        "{file}: verdict {} ({} error{}, {} warning{})",
        report.verdict.as_str(),
        report.errors,
        if report.errors == 1 { "" } else { "s" },
        report.warnings,
        if report.warnings == 1 { "" } else { "s" },
    );
    let mut frames: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in super::handover::findings(t).iter().map(|i| i.finding) {
        // Long network strings are shown cut (issue 28 item 9), as in the text report.
        let line = crate::escape::cut(&finding_line(f)).into_owned();
        let mut seen_in: Vec<String> = Vec::new();
        for e in &f.evidence {
            if let Some(n) = e.frame {
                let comment = format!("{line} [evidence: {}]", crate::escape::cut(&e.what));
                let list = frames.entry(n).or_default();
                if !list.contains(&comment) {
                    list.push(comment);
                }
                let at = format!("#{n}");
                if !seen_in.contains(&at) {
                    seen_in.push(at);
                }
            }
        }
        section.push('\n');
        section.push_str(&line);
        if !seen_in.is_empty() {
            section.push_str(&format!(" (frame {})", seen_in.join(", ")));
        }
    }
    if t.overflow.connections > 0 {
        section.push_str(&format!(
            "\n... and {} more {} past the display cap: {} failed",
            t.overflow.connections,
            t.overflow.what(),
            t.overflow.failed
        ));
    }
    let mark = mark_of(&section);
    for list in frames.values_mut() {
        for c in list.iter_mut() {
            c.insert_str(0, &mark);
        }
    }
    Annotations {
        frames,
        section: format!("{mark}{section}"),
    }
}

/// What the second pass wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AnnotateSummary {
    pub frames: u64,
    /// Frames that received at least one comment.
    pub commented_frames: u64,
    /// Evidence frames of the report that the file does not hold (it changed since).
    pub missing_frames: Vec<u64>,
    pub bytes_written: u64,
    /// Blocks that could not be carried over (big-endian sections' undecoded blocks,
    /// packets on an undeclared interface), counted, never silently.
    pub blocks_dropped: u64,
    /// The input ends inside a record: everything before it was written.
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not a pcap or pcapng file")]
    NotACapture { path: String },
    #[error("{path}: {why}")]
    Corrupt { path: String, why: String },
    #[error("writing the annotated capture: {0}")]
    Write(io::Error),
    /// The output refused (the input itself, a directory, a link) or not finished.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The output would pass its cap ([`OutputCap`]): a compressed input that inflates
    /// far beyond any capture (a gzip bomb), or `--max-output`. Nothing is left behind.
    #[error(
        "{path}: the annotated capture would be larger than {limit} bytes ({why}): not written; give --max-output SIZE to allow more"
    )]
    TooLarge {
        path: String,
        limit: u64,
        why: String,
    },
}

/// How large the annotated capture may grow. A pcapng copy is about as large as the
/// capture it copies, which for a plain file is bounded by the file; a gzip-compressed one
/// is bounded here by [`GZIP_RATIO`] times its compressed size (real captures compress 2 to
/// 20 times; deflate allows 1,032) plus [`CAP_SLACK`] for the comments, unless the user
/// gives `--max-output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCap {
    /// The default: from the input's kind and size.
    Auto,
    /// `--max-output SIZE` bytes.
    Bytes(u64),
}

/// Inflation allowed to a gzip input by default.
pub const GZIP_RATIO: u64 = 100;
/// Bytes allowed beyond the ratio (comments, block overhead, tiny inputs).
pub const CAP_SLACK: u64 = 16 << 20;

/// A writer that refuses a write that would pass `left` bytes, and remembers it
/// (`refused`), so that a full disk or a file-size limit is not mistaken for the cap.
struct Capped<W> {
    inner: W,
    left: u64,
    refused: bool,
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            self.refused = true;
            return Err(io::Error::other("output cap reached"));
        }
        let n = self.inner.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Option values of a big-endian section, re-encoded little-endian: text as it is,
/// `if_tsresol` as it is, `if_tsoffset` swapped; other options (their layout depends on
/// the code) are left out rather than written in the wrong byte order.
fn option_to_le<'a>(block: u32, o: &'a PcapNGOption, big_endian: bool) -> Option<BlockOption<'a>> {
    let value = o.as_bytes().ok()?;
    let code = o.code.0;
    if code == OPT_ENDOFOPT {
        return None;
    }
    let text = is_text_option(block, code);
    if text {
        return Some(BlockOption {
            code,
            value: Cow::Owned(input_text(code, value)),
        });
    }
    let value: Cow<[u8]> = if !big_endian {
        Cow::Borrowed(value)
    } else {
        if block == IDB && code == IF_TSRESOL {
            Cow::Borrowed(value)
        } else if block == IDB && code == IF_TSOFFSET && value.len() == 8 {
            let mut v = value.to_vec();
            v.reverse();
            Cow::Owned(v)
        } else {
            return None;
        }
    };
    Some(BlockOption { code, value })
}

/// Options whose value is UTF-8 text (§3.5, §4.1, §4.2): comments, the section's hardware,
/// OS and application, the interface's name, description, OS and hardware.
fn is_text_option(block: u32, code: u16) -> bool {
    code == OPT_COMMENT
        || (block == SHB && (2..=4).contains(&code))
        || (block == IDB && matches!(code, 2 | 3 | 12 | 15))
}

/// An input's text option as licpath writes it: escaped like licpath's own comments, and a
/// comment that reads like licpath's marked as the input's ([`INPUT_MARK`]).
fn input_text(code: u16, value: &[u8]) -> Vec<u8> {
    let text = comment_text(value);
    let imitates = text
        .trim_start()
        .get(..7)
        .is_some_and(|w| w.eq_ignore_ascii_case("licpath"));
    let text = if code == OPT_COMMENT && imitates {
        let mut t = format!("{INPUT_MARK}{text}");
        // The mark must not push the text past the option's length field.
        while t.len() > MAX_OPTION_LEN {
            t.pop();
        }
        t
    } else {
        text
    };
    text.into_bytes()
}

fn copy_options<'a>(
    block: u32,
    options: &'a [PcapNGOption],
    big_endian: bool,
) -> Vec<BlockOption<'a>> {
    options
        .iter()
        .filter_map(|o| option_to_le(block, o, big_endian))
        .collect()
}

fn comments_for(notes: &Annotations, frame: u64) -> Vec<BlockOption<'static>> {
    notes
        .frames
        .get(&frame)
        .into_iter()
        .flatten()
        .map(|c| BlockOption::comment(c.as_bytes()))
        .collect()
}

/// The section header's options: the input's (if any), our comment first, and
/// `shb_userappl` naming licpath unless the input named its own.
fn section_options<'a>(notes: &Annotations, input: Vec<BlockOption<'a>>) -> Vec<BlockOption<'a>> {
    let mut opts = vec![BlockOption::comment(notes.section.as_bytes())];
    let has_userappl = input.iter().any(|o| o.code == SHB_USERAPPL);
    opts.extend(input);
    if !has_userappl {
        opts.push(BlockOption {
            code: SHB_USERAPPL,
            value: Cow::Owned(format!("licpath {}", env!("CARGO_PKG_VERSION")).into_bytes()),
        });
    }
    opts
}

/// Second pass: reads a pcap or pcapng capture (already decompressed) from `input` through
/// the analysis' own reader ([`crate::capture::read_blocks`], so frames are numbered as the
/// findings cite them) and writes it to `out` as pcapng with `notes`. Memory is bounded by
/// the largest block.
pub fn annotate<R: Read + Send, W: Write>(
    name: &str,
    input: R,
    out: W,
    notes: &Annotations,
) -> Result<AnnotateSummary, AnnotateError> {
    let mut copier = Copier {
        w: PcapngWriter::new(out),
        notes,
        summary: AnnotateSummary::default(),
        big_endian: false,
        first_section: true,
        legacy_per_second: 1_000_000,
    };
    let reading = read_blocks(name, input, &mut copier).map_err(|e| match e {
        ReadError::Sink(e) => e,
        ReadError::Capture(CaptureError::Io { path, source }) => AnnotateError::Io { path, source },
        ReadError::Capture(_) => AnnotateError::NotACapture {
            path: name.to_string(),
        },
    })?;
    match reading.stopped {
        // The reader could not go on: the copy would be cut where nothing says why.
        Some(e @ (CaptureError::BlockTooLarge { .. } | CaptureError::ReadFailed)) => {
            return Err(AnnotateError::Corrupt {
                path: name.to_string(),
                why: e.to_string(),
            });
        }
        // Undecodable data: what came before is written, as the analysis used it.
        Some(_) => copier.summary.truncated = true,
        None => copier.summary.truncated |= reading.summary.truncated,
    }
    let Copier { w, mut summary, .. } = copier;
    summary.missing_frames = notes
        .frames
        .keys()
        .copied()
        .filter(|&n| n > summary.frames)
        .collect();
    summary.bytes_written = w.bytes();
    w.into_inner().flush().map_err(AnnotateError::Write)?;
    Ok(summary)
}

/// Writes each block read as pcapng, with the comments of its frame; counts what it wrote
/// and dropped.
struct Copier<'n, W: Write> {
    w: PcapngWriter<W>,
    notes: &'n Annotations,
    summary: AnnotateSummary,
    /// The current section's byte order.
    big_endian: bool,
    first_section: bool,
    /// Timestamp units per second of a classic pcap (µs or ns).
    legacy_per_second: u64,
}

impl<W: Write> BlockSink for Copier<'_, W> {
    type Error = AnnotateError;

    /// Writes one block; [`Raw::Wanted`] when it is to be copied as it was read (a
    /// little-endian pcapng block that carries no frame). A packet block is a frame when
    /// the reader numbers it one (`frame`), and dropped (counted) when it does not.
    fn block(
        &mut self,
        block: &PcapBlockOwned<'_>,
        frame: Option<Frame<'_>>,
    ) -> Result<Raw, AnnotateError> {
        let number = frame.map(|f| f.number);
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.w
                    .section_header(&section_options(self.notes, Vec::new()))
                    .map_err(AnnotateError::Write)?;
                self.first_section = false;
                let tsresol: u8 = if h.is_nanosecond_precision() { 9 } else { 6 };
                self.legacy_per_second = 10u64.pow(u32::from(tsresol));
                self.w
                    .interface(
                        h.network.0 as u16,
                        h.snaplen,
                        &[BlockOption {
                            code: IF_TSRESOL,
                            value: Cow::Owned(vec![tsresol]),
                        }],
                    )
                    .map_err(AnnotateError::Write)?;
            }
            PcapBlockOwned::Legacy(b) => match number {
                None => self.summary.blocks_dropped += 1,
                Some(n) => {
                    self.summary.frames = n;
                    // Units of if_tsresol 6 or 9: seconds scaled, plus the fraction as
                    // written (µs or ns).
                    let units = u64::from(b.ts_sec) * self.legacy_per_second + u64::from(b.ts_usec);
                    let opts = comments_for(self.notes, n);
                    self.summary.commented_frames += u64::from(!opts.is_empty());
                    self.w
                        .enhanced_packet(0, units, b.data, b.origlen, &opts)
                        .map_err(AnnotateError::Write)?;
                }
            },
            PcapBlockOwned::NG(block) => return self.ng_block(block, number),
        }
        Ok(Raw::NotWanted)
    }

    /// Copies a block as read, unless its framing is broken (its two lengths disagree, or
    /// are not its size): copied, it would make the rest of the output unreadable, so it
    /// is dropped and counted.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), AnnotateError> {
        let n = bytes.len();
        let le = |at: usize| {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        if n < 12 || !n.is_multiple_of(4) || le(4) != Some(n) || le(n - 4) != Some(n) {
            self.summary.blocks_dropped += 1;
            return Ok(());
        }
        self.w.raw_block(bytes).map_err(AnnotateError::Write)
    }
}

impl<W: Write> Copier<'_, W> {
    fn ng_block(&mut self, block: &Block, frame: Option<u64>) -> Result<Raw, AnnotateError> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                let input = copy_options(SHB, &shb.options, self.big_endian);
                let opts = if self.first_section {
                    section_options(self.notes, input)
                } else {
                    input
                };
                self.first_section = false;
                self.w.section_header(&opts).map_err(AnnotateError::Write)?;
            }
            Block::InterfaceDescription(idb) => {
                self.w
                    .interface(
                        idb.linktype.0 as u16,
                        idb.snaplen,
                        &copy_options(IDB, &idb.options, self.big_endian),
                    )
                    .map_err(AnnotateError::Write)?;
            }
            Block::EnhancedPacket(epb) => match frame {
                Some(n) => {
                    self.summary.frames = n;
                    let mut opts = copy_options(EPB, &epb.options, self.big_endian);
                    let ours = comments_for(self.notes, n);
                    self.summary.commented_frames += u64::from(!ours.is_empty());
                    opts.extend(ours);
                    let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                    self.w
                        .enhanced_packet(epb.if_id, units, epb.packet_data(), epb.origlen, &opts)
                        .map_err(AnnotateError::Write)?;
                }
                // On an interface the section did not declare: no frame to the reader.
                None => self.summary.blocks_dropped += 1,
            },
            Block::SimplePacket(spb) => self.simple_packet(spb, frame)?,
            _ => {
                if self.big_endian {
                    self.summary.blocks_dropped += 1;
                } else {
                    return Ok(Raw::Wanted);
                }
            }
        }
        Ok(Raw::NotWanted)
    }

    fn simple_packet(
        &mut self,
        spb: &pcap_parser::pcapng::SimplePacketBlock,
        frame: Option<u64>,
    ) -> Result<(), AnnotateError> {
        let Some(n) = frame else {
            self.summary.blocks_dropped += 1;
            return Ok(());
        };
        self.summary.frames = n;
        let ours = comments_for(self.notes, n);
        if ours.is_empty() {
            self.w
                .simple_packet(spb.packet_data(), spb.origlen)
                .map_err(AnnotateError::Write)?;
        } else {
            // An SPB has no options: carry the comment in an EPB with the SPB's (absent,
            // zero) timestamp.
            self.summary.commented_frames += 1;
            self.w
                .enhanced_packet(0, 0, spb.packet_data(), spb.origlen, &ours)
                .map_err(AnnotateError::Write)?;
        }
        Ok(())
    }
}

pub fn annotate_file(
    input: &Path,
    output: &Path,
    notes: &Annotations,
    cap: OutputCap,
) -> Result<AnnotateSummary, AnnotateError> {
    let name = input.display().to_string();
    let io_err = |source| AnnotateError::Io {
        path: name.clone(),
        source,
    };
    let opened = crate::capture::open(input).map_err(|e| match e {
        CaptureError::Io { path, source } => AnnotateError::Io { path, source },
        _ => AnnotateError::NotACapture { path: name.clone() },
    })?;
    let compressed = std::fs::metadata(input).map_err(io_err)?.len();
    let (limit, why) = match cap {
        OutputCap::Bytes(n) => (n, "--max-output".to_string()),
        OutputCap::Auto if opened.compression == Compression::Gzip => (
            compressed
                .saturating_mul(GZIP_RATIO)
                .saturating_add(CAP_SLACK),
            format!(
                "{GZIP_RATIO} times the {compressed} bytes of the gzip-compressed input: a gzip bomb?"
            ),
        ),
        OutputCap::Auto => (u64::MAX, String::new()),
    };
    // Never the input itself, never through a planted link, never a half-written file.
    let mut out = OutputFile::create(output, &[input])?;
    let mut capped = Capped {
        inner: &mut out,
        left: limit,
        refused: false,
    };
    let s = match annotate(&name, opened.reader, &mut capped, notes) {
        // `out` drops unfinished: its temporary file is removed.
        Err(_) if capped.refused => {
            return Err(AnnotateError::TooLarge {
                path: output.display().to_string(),
                limit,
                why,
            });
        }
        other => other?,
    };
    out.commit()?;
    Ok(s)
}

#[cfg(test)]
mod tests;
