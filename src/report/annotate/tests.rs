//! Tests of the annotated capture: the writer, the comments, the copy of each block.

use super::*;
use crate::model::*;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapError, PcapNGReader};

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
    let body = "x.pcap: verdict FAILED (1 error, 1 warning)\nERROR ssl_interception — issued by 'Corp\0 Proxy CA' (frame #2, #3)\nWARNING capture_gap — no frame";
    // The mark: SHA-256 over the version, a NUL and the section's text (sha256sum).
    let mark = {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(format!("{}\0{body}", env!("CARGO_PKG_VERSION")));
        d[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let prefix = format!("licpath {} #{mark}: ", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        a.frames[&2],
        vec![format!(
            "{prefix}ERROR ssl_interception — issued by 'Corp\0 Proxy CA' [evidence: frame 2]"
        )]
    );
    assert_eq!(a.section, format!("{prefix}{body}"));
    // Another verdict or finding, another mark.
    let mut t = timeline();
    t.findings.clear();
    assert!(!annotations("x.pcap", &t).section.starts_with(&prefix));
}

/// Issue 28 item 8: the input's comments and text options are escaped; a comment that
/// reads like licpath's is marked as the input's; licpath's own are untouched.
#[test]
fn the_inputs_comments_are_escaped_and_cannot_pass_for_licpaths() {
    let mut w = PcapngWriter::new(Vec::new());
    let raw = |code, v: &[u8]| BlockOption {
        code,
        value: Cow::Owned(v.to_vec()),
    };
    w.section_header(&[raw(1, b" LICPATH: ERROR forged"), raw(2, b"hw\x1b[2J")])
        .unwrap();
    w.interface(1, 65535, &[raw(2, b"eth0\x1b]0;t\x07")])
        .unwrap();
    w.enhanced_packet(0, 1, b"x", 1, &[raw(1, b"licpath: ERROR forged \x1b[31m")])
        .unwrap();
    let mut out = Vec::new();
    annotate("in", &w.into_inner()[..], &mut out, &notes()).unwrap();
    let blocks = read_back(&out);
    assert_eq!(
        blocks[0].options[..3],
        [
            (1, b"verdict FAILED".to_vec()),
            (1, b"input:  LICPATH: ERROR forged".to_vec()),
            (2, br"hw\x1b[2J".to_vec()),
        ]
    );
    assert_eq!(blocks[1].options, vec![(2, br"eth0\x1b]0;t\x07".to_vec())]);
    assert_eq!(
        blocks[2].options,
        vec![(1, br"input: licpath: ERROR forged \x1b[31m".to_vec())]
    );
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

#[test]
fn frames_are_numbered_by_the_analysis_reader_and_the_copy_stops_where_it_stops() {
    // Interface 1's if_tsoffset puts its packets past what an i64 of nanoseconds holds:
    // the analysis stops reading at frame 2 (capture::TimestampOutOfRange). The copy must
    // stop there too, or its frame 2 would not be the frame the report cites as frame 2.
    let mut w = PcapngWriter::new(Vec::new());
    let opt = |code, v: &[u8]| BlockOption {
        code,
        value: Cow::Owned(v.to_vec()),
    };
    w.section_header(&[]).unwrap();
    w.interface(1, 262144, &[]).unwrap();
    w.interface(1, 262144, &[opt(IF_TSOFFSET, &i64::MAX.to_le_bytes())])
        .unwrap();
    w.enhanced_packet(0, 1, b"first", 5, &[]).unwrap();
    w.enhanced_packet(1, 2, b"out of range", 12, &[]).unwrap();
    w.enhanced_packet(0, 3, b"third", 5, &[]).unwrap();
    let input = w.into_inner();
    let mut seen = Vec::new();
    let read = crate::capture::read_capture("in", &input[..], |f| seen.push(f.number)).unwrap();
    assert_eq!(seen, [1]);
    assert!(read.corrupt.is_some_and(|c| c.contains("out of range")));
    let mut notes = notes();
    notes.frames.insert(2, vec!["on frame 2".into()]);
    let mut out = Vec::new();
    let s = annotate("in", &input[..], &mut out, &notes).unwrap();
    assert_eq!(s.frames, 1, "the frames the analysis read");
    assert!(s.truncated);
    assert_eq!(s.missing_frames, vec![2]);
    assert_eq!(read_back(&out).len(), 4, "SHB, two IDBs, one packet");
}

/// Found by fuzzing (fuzz/fuzz_targets/annotate.rs): a block of an unknown type whose
/// trailing length disagrees with its leading one was copied as read, and the annotated
/// file could not be read past it. It is dropped and counted; the frames are kept.
#[test]
fn a_block_with_broken_framing_is_dropped_not_copied() {
    let mut w = PcapngWriter::new(Vec::new());
    w.section_header(&[]).unwrap();
    w.interface(1, 262144, &[]).unwrap();
    // Type 0x100, 16 bytes long by its head, 5120 by its tail.
    w.raw_block(&[0, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0])
        .unwrap();
    w.enhanced_packet(0, 43, b"ethframe", 8, &[]).unwrap();
    let input = w.into_inner();
    let mut out = Vec::new();
    let s = annotate("in", &input[..], &mut out, &notes()).unwrap();
    assert_eq!((s.frames, s.blocks_dropped), (1, 1));
    // Every block of the output is framed: head and tail lengths agree, end to end.
    let mut at = 0;
    while at < out.len() {
        let len = le32(&out, at + 4) as usize;
        assert!(len >= 12 && at + len <= out.len(), "block at {at}");
        assert_eq!(le32(&out, at + len - 4) as usize, len, "block at {at}");
        at += len;
    }
    assert_eq!(read_back(&out).len(), 3);
}
