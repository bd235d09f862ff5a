//! `analyze --annotate OUT.pcapng`: the capture written back as pcapng with each finding as
//! a packet comment (`opt_comment`) on its evidence frames and a section-header comment
//! with the verdict, so Wireshark shows the diagnosis (`frame.comment`).
//!
//! Three parts: [`annotations`] (pure: timeline → comment texts), [`PcapngWriter`] (pure:
//! blocks to any `io::Write`, draft-ietf-opsawg-pcapng) and [`annotate`], a second streaming
//! pass over the input that copies every frame byte for byte with its raw timestamp and
//! interface. The analysis streams and keeps no frame, so the input is read again here;
//! frames are numbered as `capture::read_capture` numbers them (Wireshark's numbering).
//! Nothing here decides anything: the comments are the findings' own wording.

use crate::model::{Finding, Timeline};
use crate::outfile::{OutputError, OutputFile};
use pcap_parser::pcapng::{Block, PcapNGOption};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
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
/// Same limits as `capture`: a block larger than this is corrupt input.
const READ_BUFFER: usize = 1 << 20;
const MAX_BLOCK: usize = 16 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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

/// Writes pcapng blocks (little-endian) to any `io::Write`.
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

/// One finding as a comment line: `licpath: ERROR ssl_interception — <summary>`.
pub fn finding_line(f: &Finding) -> String {
    format!(
        "licpath: {} {} — {}",
        f.severity.as_str().to_uppercase(),
        f.code.as_str(),
        f.summary
    )
}

/// The comments for `t` (the report of `file`): each finding on each of its evidence
/// frames with that evidence's description; all findings, with their frames, in the
/// section header's comment under the verdict.
pub fn annotations(file: &str, t: &Timeline) -> Annotations {
    let report = super::json::report(file, "", t);
    let mut section = format!(
        "licpath {}: {file}: verdict {} ({} error{}, {} warning{})",
        env!("CARGO_PKG_VERSION"),
        report.verdict.as_str(),
        report.errors,
        if report.errors == 1 { "" } else { "s" },
        report.warnings,
        if report.warnings == 1 { "" } else { "s" },
    );
    let mut frames: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in super::handover::findings(t).iter().map(|i| i.finding) {
        let line = finding_line(f);
        let mut seen_in: Vec<String> = Vec::new();
        for e in &f.evidence {
            if let Some(n) = e.frame {
                let comment = format!("{line} [evidence: {}]", e.what);
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
    Annotations { frames, section }
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
    let value: Cow<[u8]> = if !big_endian {
        Cow::Borrowed(value)
    } else {
        let text = code == OPT_COMMENT
            || (block == SHB && (2..=4).contains(&code))
            || (block == IDB && matches!(code, 2 | 3 | 12 | 15));
        if text || (block == IDB && code == IF_TSRESOL) {
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

/// Second pass: reads a pcap or pcapng capture (already decompressed) from `input` and
/// writes it to `out` as pcapng with `notes`. Memory is bounded by the largest block.
pub fn annotate<R: Read + Send, W: Write>(
    name: &str,
    input: R,
    out: W,
    notes: &Annotations,
) -> Result<AnnotateSummary, AnnotateError> {
    let corrupt = |why: String| AnnotateError::Corrupt {
        path: name.to_string(),
        why,
    };
    let mut reader = create_reader(READ_BUFFER, input).map_err(|e| match e {
        PcapError::ReadError => AnnotateError::Io {
            path: name.to_string(),
            source: io::Error::other("read error"),
        },
        _ => AnnotateError::NotACapture {
            path: name.to_string(),
        },
    })?;
    let mut copier = Copier {
        w: PcapngWriter::new(out),
        notes,
        summary: AnnotateSummary::default(),
        interfaces: 0,
        big_endian: false,
        first_section: true,
        legacy_per_second: 1_000_000,
    };
    let mut buffer = READ_BUFFER;
    loop {
        let (offset, copy_raw) = match reader.next() {
            Ok((offset, block)) => (offset, copier.block(block)?),
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    copier.summary.truncated = true;
                    break;
                }
                reader.refill().map_err(|_| corrupt("read error".into()))?;
                continue;
            }
            Err(PcapError::BufferTooSmall) => {
                if buffer >= MAX_BLOCK || !reader.grow(buffer * 2) {
                    return Err(corrupt(format!(
                        "a block is larger than {} MiB",
                        MAX_BLOCK >> 20
                    )));
                }
                buffer *= 2;
                reader.refill().map_err(|_| corrupt("read error".into()))?;
                continue;
            }
            Err(PcapError::UnexpectedEof) => {
                copier.summary.truncated = true;
                break;
            }
            Err(_) => {
                // Undecodable data: what came before is written, as the analysis used it.
                copier.summary.truncated = true;
                break;
            }
        };
        if copy_raw {
            let raw = reader.data().get(..offset).unwrap_or_default();
            copier.w.raw_block(raw).map_err(AnnotateError::Write)?;
        }
        reader.consume(offset);
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
    /// Interfaces of the current section (pcapng), 1 after a classic pcap header.
    interfaces: u32,
    /// The current section's byte order.
    big_endian: bool,
    first_section: bool,
    /// Timestamp units per second of a classic pcap (µs or ns).
    legacy_per_second: u64,
}

impl<W: Write> Copier<'_, W> {
    /// Writes one block; true when it is to be copied as it was read (a little-endian
    /// pcapng block that carries no frame).
    fn block(&mut self, block: PcapBlockOwned) -> Result<bool, AnnotateError> {
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
                self.interfaces = 1;
            }
            PcapBlockOwned::Legacy(b) => {
                if self.interfaces == 0 {
                    self.summary.blocks_dropped += 1;
                } else {
                    self.summary.frames += 1;
                    // Units of if_tsresol 6 or 9: seconds scaled, plus the fraction as
                    // written (µs or ns).
                    let units = u64::from(b.ts_sec) * self.legacy_per_second + u64::from(b.ts_usec);
                    let opts = comments_for(self.notes, self.summary.frames);
                    self.summary.commented_frames += u64::from(!opts.is_empty());
                    self.w
                        .enhanced_packet(0, units, b.data, b.origlen, &opts)
                        .map_err(AnnotateError::Write)?;
                }
            }
            PcapBlockOwned::NG(block) => return self.ng_block(block),
        }
        Ok(false)
    }

    fn ng_block(&mut self, block: Block) -> Result<bool, AnnotateError> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces = 0;
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
                self.interfaces += 1;
                self.w
                    .interface(
                        idb.linktype.0 as u16,
                        idb.snaplen,
                        &copy_options(IDB, &idb.options, self.big_endian),
                    )
                    .map_err(AnnotateError::Write)?;
            }
            Block::EnhancedPacket(ref epb) => {
                if epb.if_id < self.interfaces {
                    self.summary.frames += 1;
                    let mut opts = copy_options(EPB, &epb.options, self.big_endian);
                    let ours = comments_for(self.notes, self.summary.frames);
                    self.summary.commented_frames += u64::from(!ours.is_empty());
                    opts.extend(ours);
                    let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                    self.w
                        .enhanced_packet(epb.if_id, units, epb.packet_data(), epb.origlen, &opts)
                        .map_err(AnnotateError::Write)?;
                } else {
                    // The reader skips it too: same frame numbers.
                    self.summary.blocks_dropped += 1;
                }
            }
            Block::SimplePacket(ref spb) => self.simple_packet(spb)?,
            _ => {
                if self.big_endian {
                    self.summary.blocks_dropped += 1;
                } else {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn simple_packet(
        &mut self,
        spb: &pcap_parser::pcapng::SimplePacketBlock,
    ) -> Result<(), AnnotateError> {
        if self.interfaces == 0 {
            self.summary.blocks_dropped += 1;
            return Ok(());
        }
        self.summary.frames += 1;
        let ours = comments_for(self.notes, self.summary.frames);
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
) -> Result<AnnotateSummary, AnnotateError> {
    let name = input.display().to_string();
    let io_err = |source| AnnotateError::Io {
        path: name.clone(),
        source,
    };
    let mut file = BufReader::with_capacity(64 * 1024, std::fs::File::open(input).map_err(io_err)?);
    let gzip = file.fill_buf().map_err(io_err)?.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    // Never the input itself, never through a planted link, never a half-written file.
    let mut out = OutputFile::create(output, &[input])?;
    let s = annotate(&name, reader, &mut out, notes)?;
    out.commit()?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use pcap_parser::PcapNGReader;
    use pcap_parser::traits::PcapReaderIterator;

    fn le32(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn block_lengths_and_32_bit_padding() {
        let mut w = PcapngWriter::new(Vec::new());
        w.enhanced_packet(
            0,
            0x1_0000_0002,
            b"abcde",
            60,
            &[BlockOption::comment(b"xyz")],
        )
        .unwrap();
        let b = w.into_inner();
        // 12 header/trailer + 20 fixed + 5 data + 3 pad + (4 + 3 + 1 pad) comment + 4 end.
        assert_eq!(b.len(), 52);
        assert_eq!(le32(&b, 0), EPB);
        assert_eq!(le32(&b, 4), 52);
        assert_eq!(le32(&b, 48), 52);
        assert_eq!(le32(&b, 12), 1, "timestamp high word");
        assert_eq!(le32(&b, 16), 2, "timestamp low word");
        assert_eq!(le32(&b, 20), 5, "captured length");
        assert_eq!(le32(&b, 24), 60, "original length");
        assert_eq!(&b[28..36], b"abcde\0\0\0");
        assert_eq!(&b[36..40], &[1, 0, 3, 0], "opt_comment, length 3");
        assert_eq!(&b[40..44], b"xyz\0");
        assert_eq!(&b[44..48], &[0, 0, 0, 0], "opt_endofopt");

        // No options: no opt_endofopt either; a 4-byte body needs no padding.
        let mut w = PcapngWriter::new(Vec::new());
        w.simple_packet(b"abcd", 4).unwrap();
        let b = w.into_inner();
        assert_eq!(b.len(), 20);
        assert_eq!(le32(&b, 4), 20);
        assert_eq!(le32(&b, 16), 20);
    }

    #[test]
    fn comments_are_valid_utf8_without_controls_and_fit_the_length_field() {
        assert_eq!(comment_text(b"ok \xff\xfe end"), r"ok \xff\xfe end");
        assert_eq!(
            comment_text(b"a\0b\x1b[31mc\nd\te\n\nf"),
            "a\\x00b\\x1b[31mc\nd\\te\n\nf"
        );
        assert_eq!(comment_text("— é".as_bytes()), "— é");
        // 'é' is 2 bytes: a cut inside it would leave invalid UTF-8.
        let long = "é".repeat(40_000);
        let c = comment_text(long.as_bytes());
        assert_eq!(c.len(), 65_534);
        assert!(c.chars().all(|ch| ch == 'é'));
        let o = BlockOption::comment(long.as_bytes());
        assert!(std::str::from_utf8(&o.value).is_ok());
    }

    fn finding(code: FindingCode, sev: Severity, frames: &[u64], summary: &str) -> Finding {
        Finding {
            code,
            severity: sev,
            step: Step::Cert,
            confidence: Confidence::Certain,
            summary: summary.into(),
            explanation: String::new(),
            remediation: vec![],
            blame: None,
            evidence: frames
                .iter()
                .map(|&n| Evidence {
                    frame: Some(n),
                    time_ns: 0,
                    what: format!("frame {n}"),
                    log: None,
                })
                .collect(),
        }
    }

    fn timeline() -> Timeline {
        let mut t = Timeline::empty(Source::Capture {
            files: vec!["x.pcap".into()],
        });
        t.findings.push(finding(
            FindingCode::SslInterception,
            Severity::Error,
            &[2, 2, 3],
            "issued by 'Corp\0 Proxy CA'",
        ));
        t.findings.push(finding(
            FindingCode::CaptureGap,
            Severity::Warning,
            &[],
            "no frame",
        ));
        t
    }

    #[test]
    fn each_finding_goes_on_its_evidence_frames_once() {
        let a = annotations("x.pcap", &timeline());
        assert_eq!(a.frames.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(
            a.frames[&2],
            vec![
                "licpath: ERROR ssl_interception — issued by 'Corp\0 Proxy CA' [evidence: frame 2]"
            ]
        );
        let lines: Vec<&str> = a.section.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "licpath {}: x.pcap: verdict FAILED (1 error, 1 warning)",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(
            lines[1],
            "licpath: ERROR ssl_interception — issued by 'Corp\0 Proxy CA' (frame #2, #3)"
        );
        assert_eq!(lines[2], "licpath: WARNING capture_gap — no frame");
    }

    /// A little-endian pcap: (seconds, fraction, data) records.
    fn pcap(nanos: bool, recs: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(if nanos { 0xa1b2_3c4d_u32 } else { 0xa1b2_c3d4 }).to_le_bytes());
        b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        for (s, f, d) in recs {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&f.to_le_bytes());
            b.extend_from_slice(&(d.len() as u32).to_le_bytes());
            b.extend_from_slice(&(d.len() as u32 + 10).to_le_bytes());
            b.extend_from_slice(d);
        }
        b
    }

    /// Every block of a pcapng file, owned: (kind, if_id, timestamp, data, options).
    #[derive(Debug, PartialEq)]
    struct Read {
        kind: &'static str,
        if_id: u32,
        ts: u64,
        data: Vec<u8>,
        orig: u32,
        options: Vec<(u16, Vec<u8>)>,
    }

    fn read_back(b: &[u8]) -> Vec<Read> {
        let mut r = PcapNGReader::new(1 << 16, b).unwrap();
        let mut out = Vec::new();
        let opts = |o: &[PcapNGOption]| -> Vec<(u16, Vec<u8>)> {
            o.iter()
                .map(|o| (o.code.0, o.as_bytes().unwrap().to_vec()))
                .filter(|(c, _)| *c != 0)
                .collect()
        };
        loop {
            match r.next() {
                Ok((off, block)) => {
                    let rec = match block {
                        PcapBlockOwned::NG(Block::SectionHeader(s)) => Read {
                            kind: "shb",
                            if_id: 0,
                            ts: 0,
                            data: vec![],
                            orig: 0,
                            options: opts(&s.options),
                        },
                        PcapBlockOwned::NG(Block::InterfaceDescription(i)) => Read {
                            kind: "idb",
                            if_id: u32::from(i.linktype.0 as u16),
                            ts: u64::from(i.snaplen),
                            data: vec![],
                            orig: 0,
                            options: opts(&i.options),
                        },
                        PcapBlockOwned::NG(Block::EnhancedPacket(e)) => Read {
                            kind: "epb",
                            if_id: e.if_id,
                            ts: (u64::from(e.ts_high) << 32) | u64::from(e.ts_low),
                            data: e.packet_data().to_vec(),
                            orig: e.origlen,
                            options: opts(&e.options),
                        },
                        _ => panic!("unexpected block"),
                    };
                    out.push(rec);
                    r.consume(off);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => r.refill().unwrap(),
                Err(e) => panic!("{e:?}"),
            }
        }
        out
    }

    fn notes() -> Annotations {
        let mut frames = BTreeMap::new();
        frames.insert(
            2,
            vec!["licpath: ERROR x — y".to_string(), "second".to_string()],
        );
        Annotations {
            frames,
            section: "verdict FAILED".into(),
        }
    }

    #[test]
    fn pcap_frames_keep_bytes_time_and_resolution() {
        for (nanos, tsresol) in [(false, 6u8), (true, 9)] {
            let input = pcap(
                nanos,
                &[(1_700_000_000, 999_999, b"one"), (5, 7, b"second!")],
            );
            let mut out = Vec::new();
            let s = annotate("in", &input[..], &mut out, &notes()).unwrap();
            assert_eq!((s.frames, s.commented_frames), (2, 1));
            assert!(s.missing_frames.is_empty() && !s.truncated);
            assert_eq!(s.bytes_written, out.len() as u64);
            let blocks = read_back(&out);
            assert_eq!(blocks.len(), 4);
            assert_eq!(blocks[0].kind, "shb");
            assert_eq!(blocks[0].options[0], (1, b"verdict FAILED".to_vec()));
            assert_eq!(
                blocks[0].options[1],
                (
                    4,
                    format!("licpath {}", env!("CARGO_PKG_VERSION")).into_bytes()
                )
            );
            assert_eq!(
                (blocks[1].kind, blocks[1].if_id, blocks[1].ts),
                ("idb", 1, 65535)
            );
            assert_eq!(blocks[1].options, vec![(9, vec![tsresol])]);
            let per_s = 10u64.pow(u32::from(tsresol));
            assert_eq!(blocks[2].ts, 1_700_000_000 * per_s + 999_999);
            assert_eq!((&blocks[2].data[..], blocks[2].orig), (&b"one"[..], 13));
            assert!(blocks[2].options.is_empty());
            assert_eq!(blocks[3].ts, 5 * per_s + 7);
            assert_eq!(&blocks[3].data[..], b"second!");
            assert_eq!(
                blocks[3].options,
                vec![
                    (1, b"licpath: ERROR x \xe2\x80\x94 y".to_vec()),
                    (1, b"second".to_vec())
                ]
            );
        }
    }

    #[test]
    fn pcapng_interfaces_options_and_other_blocks_are_kept() {
        let mut w = PcapngWriter::new(Vec::new());
        let opt = |code, v: &[u8]| BlockOption {
            code,
            value: Cow::Owned(v.to_vec()),
        };
        w.section_header(&[opt(2, b"hw"), opt(4, b"dumpcap")])
            .unwrap();
        w.interface(1, 262144, &[opt(2, b"eth0")]).unwrap();
        w.interface(101, 1500, &[opt(9, &[9]), opt(14, &5i64.to_le_bytes())])
            .unwrap();
        w.enhanced_packet(
            1,
            42,
            b"ipframe",
            7,
            &[opt(1, b"theirs"), opt(2, &[1, 0, 0, 0])],
        )
        .unwrap();
        // A Name Resolution Block (type 4) with no records but the end marker.
        w.raw_block(&[4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0])
            .unwrap();
        w.enhanced_packet(0, 43, b"ethframe", 8, &[]).unwrap();
        w.enhanced_packet(7, 44, b"no such interface", 17, &[])
            .unwrap();
        let input = w.into_inner();
        let mut notes = notes();
        notes.frames.insert(1, vec!["ours".into()]);
        notes.frames.insert(9, vec!["beyond".into()]);
        let mut out = Vec::new();
        let s = annotate("in", &input[..], &mut out, &notes).unwrap();
        assert_eq!(s.frames, 2);
        assert_eq!(s.blocks_dropped, 1);
        assert_eq!(s.missing_frames, vec![9]);
        // The NRB is copied as it was.
        assert!(
            out.windows(16)
                .any(|b| b == [4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0])
        );
        let mut r = read_back_skipping_nrb(&out);
        assert_eq!(r.len(), 5);
        assert_eq!(
            r[0].options,
            vec![
                (1, b"verdict FAILED".to_vec()),
                (2, b"hw".to_vec()),
                (4, b"dumpcap".to_vec())
            ]
        );
        assert_eq!((r[1].if_id, r[1].ts), (1, 262144));
        assert_eq!(r[1].options, vec![(2, b"eth0".to_vec())]);
        assert_eq!((r[2].if_id, r[2].ts), (101, 1500));
        assert_eq!(
            r[2].options,
            vec![(9, vec![9]), (14, 5i64.to_le_bytes().to_vec())]
        );
        let last = r.pop().unwrap();
        assert_eq!(
            (last.if_id, last.ts, &last.data[..]),
            (0, 43, &b"ethframe"[..])
        );
        assert_eq!(
            last.options,
            vec![
                (1, b"licpath: ERROR x \xe2\x80\x94 y".to_vec()),
                (1, b"second".to_vec())
            ]
        );
        let first = r.pop().unwrap();
        assert_eq!(
            (first.if_id, first.ts, &first.data[..]),
            (1, 42, &b"ipframe"[..])
        );
        assert_eq!(
            first.options,
            vec![
                (1, b"theirs".to_vec()),
                (2, vec![1, 0, 0, 0]),
                (1, b"ours".to_vec())
            ]
        );
    }

    fn read_back_skipping_nrb(b: &[u8]) -> Vec<Read> {
        // Drop the 16-byte empty NRB so that read_back sees only the blocks it decodes.
        let nrb = [4u8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0];
        let at = b.windows(16).position(|w| w == nrb).unwrap();
        let mut v = b[..at].to_vec();
        v.extend_from_slice(&b[at + 16..]);
        read_back(&v)
    }

    #[test]
    fn truncated_input_keeps_what_came_before_and_garbage_is_refused() {
        let input = pcap(false, &[(1, 1, b"one"), (2, 2, b"two-two")]);
        let mut out = Vec::new();
        let s = annotate("in", &input[..input.len() - 3], &mut out, &notes()).unwrap();
        assert!(s.truncated);
        assert_eq!(s.frames, 1);
        assert_eq!(s.missing_frames, vec![2]);
        assert_eq!(read_back(&out).len(), 3);
        let e = annotate(
            "in",
            &b"hello world, not a capture"[..],
            Vec::new(),
            &notes(),
        );
        assert!(matches!(e, Err(AnnotateError::NotACapture { .. })), "{e:?}");
    }
}
