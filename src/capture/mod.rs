//! Reading capture files: classic pcap (µs/ns, either byte order), pcapng (several
//! interfaces, per-interface resolution and offset), optionally gzip-compressed. The
//! format is detected by magic, never by extension. Streamed through pcap-parser's
//! bounded buffer: memory does not grow with file size. A capture pasted as text (tshark's
//! lines, a packet list, dissections, hex dumps) becomes the same frames in `text`.
//!
//! This is the I/O edge: it reads files and hands frames to a callback (or every block,
//! numbered the same way, to a [`BlockSink`]: `--annotate` copies the file through it); it
//! decodes nothing above the capture format.

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

const READ_BUFFER: usize = 1 << 20;
/// Largest block we grow the buffer for; a larger one is corrupt input (real snaplens
/// are ≤ 262144).
const MAX_BLOCK: usize = 16 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One captured frame, borrowed from the reader's buffer.
pub struct Frame<'a> {
    /// 1-based, counting packet blocks only (as Wireshark numbers frames).
    pub number: u64,
    pub time_ns: i64,
    pub linktype: u32,
    pub data: &'a [u8],
    pub orig_len: u32,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadSummary {
    pub format: &'static str,
    pub frames: u64,
    pub bytes_read: u64,
    /// The file ends inside a record: what came before was analysed.
    pub truncated: bool,
    /// Reading stopped at undecodable data; what came before was analysed.
    pub corrupt: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a pcap or pcapng file (starts with {magic})")]
    NotACapture { path: String, magic: String },
    #[error("{path}: empty file")]
    Empty { path: String },
    /// Reading stopped part-way ([`ReadSummary::corrupt`] holds this error's text): what
    /// came before was analysed.
    #[error("read error")]
    ReadFailed,
    #[error("a block is larger than {} MiB", .limit >> 20)]
    BlockTooLarge { limit: usize },
    #[error("undecodable data after frame {frame}: {detail}")]
    Undecodable { frame: u64, detail: String },
    /// A pcapng timestamp plus its interface's `if_tsoffset` is no moment an `i64` of
    /// nanoseconds holds (years 1677..=2262).
    #[error(
        "frame {frame}: timestamp out of range ({units} units of 1/{resolution} s, \
         if_tsoffset {offset_s} s)"
    )]
    TimestampOutOfRange {
        frame: u64,
        units: u64,
        resolution: u64,
        offset_s: i64,
    },
}

/// A `Read` that counts bytes, for throughput and progress.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[derive(Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Units per second of the timestamps.
    resolution: u64,
    offset_s: i64,
}

/// How a capture file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// A capture file opened for reading: its bytes as a capture (decompressed), and how it
/// was stored.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub compression: Compression,
}

/// Opens a capture file for reading, decompressing it when it is gzip (by magic): the one
/// way a capture file is opened, for the analysis and for `--annotate`'s copy alike.
pub fn open(path: &Path) -> Result<Opened, CaptureError> {
    let name = path.display().to_string();
    let io_err = |source| CaptureError::Io {
        path: name.clone(),
        source,
    };
    let mut file = BufReader::with_capacity(64 * 1024, File::open(path).map_err(io_err)?);
    let peek = std::io::BufRead::fill_buf(&mut file).map_err(io_err)?;
    if peek.is_empty() {
        return Err(CaptureError::Empty { path: name });
    }
    Ok(if peek.starts_with(&GZIP_MAGIC) {
        Opened {
            reader: Box::new(flate2::read::MultiGzDecoder::new(file)),
            compression: Compression::Gzip,
        }
    } else {
        Opened {
            reader: Box::new(file),
            compression: Compression::None,
        }
    })
}

/// Reads `path` and calls `on_frame` for every packet, in file order.
pub fn read_capture_file(
    path: &Path,
    on_frame: impl FnMut(Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    let name = path.display().to_string();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let input = Counting {
        inner: open(path)?.reader,
        count: count.clone(),
    };
    read_capture(&name, input, on_frame).map(|mut s| {
        s.bytes_read = count.load(std::sync::atomic::Ordering::Relaxed);
        s
    })
}

/// Reads a capture from any reader (already decompressed).
pub fn read_capture<R: Read + Send>(
    name: &str,
    reader: R,
    on_frame: impl FnMut(Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    /// Hands the frames to the callback; wants no raw bytes.
    struct Frames<F>(F);
    impl<F: FnMut(Frame<'_>)> BlockSink for Frames<F> {
        type Error = std::convert::Infallible;
        fn block(
            &mut self,
            _: &PcapBlockOwned<'_>,
            frame: Option<Frame<'_>>,
        ) -> Result<Raw, Self::Error> {
            if let Some(f) = frame {
                (self.0)(f);
            }
            Ok(Raw::NotWanted)
        }
    }
    let reading = match read_blocks(name, reader, &mut Frames(on_frame)) {
        Ok(r) => r,
        Err(ReadError::Capture(e)) => return Err(e),
        Err(ReadError::Sink(never)) => match never {},
    };
    if reading.summary.format.is_empty() {
        return Err(CaptureError::NotACapture {
            path: name.to_string(),
            magic: "no capture header".into(),
        });
    }
    Ok(reading.summary)
}

/// Whether a [`BlockSink`] wants the bytes of the block it was just handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    Wanted,
    NotWanted,
}

/// What [`read_blocks`] hands every block of a capture to, in file order, with the frame
/// the reader numbers it as (`None` for a block that carries no frame: a header, an
/// interface, a packet on an interface the file did not declare). One reader numbers the
/// frames for the analysis and for `--annotate`'s copy, so a comment cannot land on
/// another frame than the one its finding cites.
pub trait BlockSink {
    type Error;
    /// One block, with its frame when it is one.
    fn block(
        &mut self,
        block: &PcapBlockOwned<'_>,
        frame: Option<Frame<'_>>,
    ) -> Result<Raw, Self::Error>;
    /// The bytes of the block just handed over, as read, when [`Raw::Wanted`].
    fn raw(&mut self, _bytes: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// What [`read_blocks`] read, and why it stopped before the end when it did (also in
/// `summary.corrupt`, as text).
pub struct Reading {
    pub summary: ReadSummary,
    pub stopped: Option<CaptureError>,
}

/// Why [`read_blocks`] gave no [`Reading`]: the input is no capture, or the sink failed.
#[derive(Debug)]
pub enum ReadError<E> {
    Capture(CaptureError),
    Sink(E),
}

/// Reads a capture from any reader (already decompressed) and hands each block to `sink`.
/// Memory is bounded by the largest block (16 MiB; a larger one stops the reading).
pub fn read_blocks<R: Read + Send, S: BlockSink>(
    name: &str,
    reader: R,
    sink: &mut S,
) -> Result<Reading, ReadError<S::Error>> {
    let mut reader = match create_reader(READ_BUFFER, reader) {
        Ok(r) => r,
        Err(PcapError::Eof) => {
            return Err(ReadError::Capture(CaptureError::Empty {
                path: name.to_string(),
            }));
        }
        Err(PcapError::ReadError) => {
            return Err(ReadError::Capture(CaptureError::Io {
                path: name.to_string(),
                source: std::io::Error::other("read error"),
            }));
        }
        Err(_) => {
            return Err(ReadError::Capture(CaptureError::NotACapture {
                path: name.to_string(),
                magic: "an unknown magic number".into(),
            }));
        }
    };
    let mut blocks = Blocks::default();
    let mut stopped = None;
    let mut buffer = READ_BUFFER;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let wanted = match blocks.read(&block) {
                    BlockRead::Frame {
                        time_ns,
                        linktype,
                        data,
                        orig_len,
                    } => {
                        blocks.summary.frames += 1;
                        let frame = Frame {
                            number: blocks.summary.frames,
                            time_ns,
                            linktype,
                            data,
                            orig_len,
                        };
                        sink.block(&block, Some(frame))
                    }
                    BlockRead::NoFrame => sink.block(&block, None),
                    BlockRead::Stop(why) => {
                        stopped = Some(why);
                        break;
                    }
                };
                drop(block);
                if wanted.map_err(ReadError::Sink)? == Raw::Wanted {
                    let raw = reader.data().get(..offset).unwrap_or_default();
                    sink.raw(raw).map_err(ReadError::Sink)?;
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    blocks.summary.truncated = true;
                    break;
                }
                if reader.refill().is_err() {
                    stopped = Some(CaptureError::ReadFailed);
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if buffer >= MAX_BLOCK || !reader.grow(buffer * 2) {
                    stopped = Some(CaptureError::BlockTooLarge { limit: MAX_BLOCK });
                    break;
                }
                buffer *= 2;
                if reader.refill().is_err() {
                    stopped = Some(CaptureError::ReadFailed);
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                blocks.summary.truncated = true;
                break;
            }
            Err(e) => {
                stopped = Some(CaptureError::Undecodable {
                    frame: blocks.summary.frames,
                    detail: format!("{e:?}"),
                });
                break;
            }
        }
    }
    blocks.summary.corrupt = stopped.as_ref().map(ToString::to_string);
    Ok(Reading {
        summary: blocks.summary,
        stopped,
    })
}

/// What one block of the file is to the reader.
enum BlockRead<'b> {
    /// A frame, numbered by the caller.
    Frame {
        time_ns: i64,
        linktype: u32,
        data: &'b [u8],
        orig_len: u32,
    },
    /// A header, an interface, a block that carries no frame, or a packet on an interface
    /// the file did not declare (skipped).
    NoFrame,
    /// Reading stops here, for this reason.
    Stop(CaptureError),
}

/// The interfaces declared so far and the summary of what was read.
#[derive(Default)]
struct Blocks {
    summary: ReadSummary,
    /// A classic pcap's one interface.
    legacy: Option<Interface>,
    /// The current pcapng section's interfaces, by id.
    interfaces: Vec<Interface>,
}

impl Blocks {
    fn read<'b>(&mut self, block: &'b PcapBlockOwned<'_>) -> BlockRead<'b> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                let nanos = h.is_nanosecond_precision();
                self.summary.format = if nanos { "pcap (nanosecond)" } else { "pcap" };
                self.legacy = Some(Interface {
                    linktype: h.network.0 as u32,
                    resolution: if nanos { 1_000_000_000 } else { 1_000_000 },
                    offset_s: 0,
                });
                BlockRead::NoFrame
            }
            PcapBlockOwned::Legacy(b) => match self.legacy {
                Some(i) => BlockRead::Frame {
                    time_ns: i64::from(b.ts_sec) * 1_000_000_000
                        + scale(u64::from(b.ts_usec), i.resolution) as i64,
                    linktype: i.linktype,
                    data: b.data,
                    orig_len: b.origlen,
                },
                None => BlockRead::NoFrame,
            },
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.summary.format = "pcapng";
                self.interfaces.clear();
                BlockRead::NoFrame
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                self.interfaces.push(Interface {
                    linktype: idb.linktype.0 as u32,
                    resolution: idb.ts_resolution().unwrap_or(1_000_000),
                    offset_s: idb.ts_offset(),
                });
                BlockRead::NoFrame
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let Some(i) = self.interfaces.get(epb.if_id as usize) else {
                    return BlockRead::NoFrame;
                };
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                match pcapng_time_ns(units, i.resolution, i.offset_s) {
                    Some(time_ns) => BlockRead::Frame {
                        time_ns,
                        linktype: i.linktype,
                        data: epb.packet_data(),
                        orig_len: epb.origlen,
                    },
                    None => BlockRead::Stop(CaptureError::TimestampOutOfRange {
                        frame: self.summary.frames + 1,
                        units,
                        resolution: i.resolution,
                        offset_s: i.offset_s,
                    }),
                }
            }
            // SPBs carry no timestamp (RFC draft-ietf-opsawg-pcapng §4.4).
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => match self.interfaces.first() {
                Some(i) => BlockRead::Frame {
                    time_ns: 0,
                    linktype: i.linktype,
                    data: spb.packet_data(),
                    orig_len: spb.origlen,
                },
                None => BlockRead::NoFrame,
            },
            PcapBlockOwned::NG(_) => BlockRead::NoFrame,
        }
    }
}

/// A pcapng timestamp (`units` of 1/`resolution` s) plus the interface's `if_tsoffset`
/// seconds (draft-ietf-opsawg-pcapng §4.2) → nanoseconds since the epoch; `None` when the
/// sum is no `i64` of nanoseconds (a corrupt or hostile offset).
fn pcapng_time_ns(units: u64, resolution: u64, offset_s: i64) -> Option<i64> {
    let resolution = resolution.max(1);
    let secs = i64::try_from(units / resolution)
        .ok()?
        .checked_add(offset_s)?;
    let fraction = i64::try_from(scale(units % resolution, resolution)).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(fraction)
}

/// Fraction in `resolution` units per second → nanoseconds.
fn scale(units: u64, resolution: u64) -> u64 {
    if resolution == 1_000_000_000 {
        units
    } else {
        (u128::from(units) * 1_000_000_000 / u128::from(resolution.max(1))) as u64
    }
}

pub mod text;

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        [
            &kind.to_le_bytes()[..],
            &len.to_le_bytes(),
            body,
            &len.to_le_bytes(),
        ]
        .concat()
    }

    /// A little-endian pcapng: one Ethernet interface with `if_tsoffset` = `offset_s` (µs
    /// resolution by default) and one 4-byte packet stamped `units`.
    fn pcapng(offset_s: i64, units: u64) -> Vec<u8> {
        let shb = block(
            0x0A0D_0D0A,
            &[
                &0x1A2B_3C4D_u32.to_le_bytes()[..],
                &[1, 0, 0, 0],
                &[0xff; 8],
            ]
            .concat(),
        );
        let idb = block(
            1,
            &[
                &[1, 0, 0, 0][..],
                &65535_u32.to_le_bytes(),
                &14_u16.to_le_bytes(), // if_tsoffset
                &8_u16.to_le_bytes(),
                &offset_s.to_le_bytes(),
                &[0, 0, 0, 0], // opt_endofopt
            ]
            .concat(),
        );
        let epb = block(
            6,
            &[
                &0_u32.to_le_bytes()[..],
                &((units >> 32) as u32).to_le_bytes(),
                &(units as u32).to_le_bytes(),
                &4_u32.to_le_bytes(),
                &4_u32.to_le_bytes(),
                &[0xde, 0xad, 0xbe, 0xef],
            ]
            .concat(),
        );
        [shb, idb, epb].concat()
    }

    #[test]
    fn the_test_helpers_pcap_is_read_with_its_times_and_frames_whole() {
        use etherparse::{NetSlice, SlicedPacket, TransportSlice};
        let frame = testing::tcp_frame(
            ([192, 0, 2, 1], 40000),
            ([203, 0, 113, 5], 443),
            7,
            9,
            testing::PSH | testing::ACK,
            b"hi",
        );
        let file = testing::pcap(1_700_000_000, 1_500, &[frame.clone(), frame.clone()]);
        let mut seen = Vec::new();
        let summary = read_capture("t.pcap", &file[..], |f| {
            seen.push((f.time_ns, f.linktype, f.data.to_vec(), f.orig_len))
        })
        .unwrap();
        assert_eq!(summary.frames, 2);
        let start = 1_700_000_000 * 1_000_000_000;
        assert_eq!(
            seen.iter().map(|s| (s.0, s.1, s.3)).collect::<Vec<_>>(),
            [(start, 1, 56), (start + 1_500_000, 1, 56)]
        );
        let p = SlicedPacket::from_ethernet(&seen[0].2).unwrap();
        let Some(NetSlice::Ipv4(ip)) = p.net else {
            panic!("IPv4")
        };
        assert_eq!(
            (ip.header().source(), ip.header().destination()),
            ([192, 0, 2, 1], [203, 0, 113, 5])
        );
        let Some(TransportSlice::Tcp(tcp)) = p.transport else {
            panic!("TCP")
        };
        assert_eq!((tcp.source_port(), tcp.destination_port()), (40000, 443));
        assert_eq!((tcp.sequence_number(), tcp.acknowledgment_number()), (7, 9));
        assert!(tcp.psh() && tcp.ack() && !tcp.syn());
        assert_eq!(tcp.payload(), b"hi");
    }

    fn times(file: &[u8]) -> (Vec<i64>, ReadSummary) {
        let mut seen = Vec::new();
        let summary = read_capture("t.pcapng", file, |f| seen.push(f.time_ns)).unwrap();
        (seen, summary)
    }

    #[test]
    fn pcapng_offset_is_added() {
        let (t, s) = times(&pcapng(3600, 1_500_000));
        assert_eq!(t, [3_601_500_000_000]);
        assert_eq!((s.format, s.frames, s.corrupt), ("pcapng", 1, None));
        let (t, _) = times(&pcapng(-3600, 1_500_000));
        assert_eq!(t, [-3_598_500_000_000]);
    }

    #[test]
    fn pcapng_offset_past_i64_stops_with_a_reason() {
        // Overflowed (a panic in debug builds) before the checked arithmetic.
        for (offset, units) in [(i64::MAX, 1_000_000), (i64::MIN, 0), (0, u64::MAX)] {
            let (t, s) = times(&pcapng(offset, units));
            assert!(t.is_empty(), "{offset} {units}: {t:?}");
            assert_eq!(s.frames, 0);
            let why = s.corrupt.expect("a reason");
            assert!(
                why.starts_with("frame 1: timestamp out of range")
                    && why.contains(&format!("if_tsoffset {offset} s")),
                "{why}"
            );
        }
    }

    #[test]
    fn pcapng_time_arithmetic() {
        assert_eq!(pcapng_time_ns(1_500_000, 1_000_000, 0), Some(1_500_000_000));
        assert_eq!(pcapng_time_ns(7, 1_000_000_000, 2), Some(2_000_000_007));
        // The last and first representable nanoseconds, and one past each.
        assert_eq!(
            pcapng_time_ns(i64::MAX as u64, 1_000_000_000, 0),
            Some(i64::MAX)
        );
        assert_eq!(pcapng_time_ns(i64::MAX as u64 + 1, 1_000_000_000, 0), None);
        assert_eq!(
            pcapng_time_ns(0, 1, i64::MIN / 1_000_000_000),
            Some(i64::MIN / 1_000_000_000 * 1_000_000_000)
        );
        assert_eq!(pcapng_time_ns(0, 1, i64::MIN / 1_000_000_000 - 1), None);
        // A resolution of zero is no division by zero.
        assert_eq!(pcapng_time_ns(5, 0, 0), Some(5_000_000_000));
    }
}
