use super::*;

/// (number, time, link type, bytes, length on the wire, line, level) of each frame.
type Seen = Vec<(u64, i64, u32, Vec<u8>, u32, u64, Level)>;

fn read(text: &str, format: InputFormat) -> (Seen, TextSummary) {
    let mut frames = Vec::new();
    let s = read_text(text.as_bytes(), format, |f| {
        frames.push((
            f.number,
            f.time_ns,
            f.linktype,
            f.data.to_vec(),
            f.orig_len,
            f.line,
            f.level,
        ))
    })
    .unwrap();
    (frames, s)
}

const SYN_HEX: &str = "\
    5   0.000308 198.51.100.10 → 198.51.100.3 TCP 74 36902 → 3128 [SYN] Seq=0 Win=64240 Len=0
0000  2a a0 cf 01 eb 3c 86 ca e4 a8 58 75 08 00 45 00   *....<....Xu..E.
0010  00 3c b7 ce 40 00 40 06 2e 79 c6 33 64 0a c6 33   .<..@.@..y.3d..3
0020  64 03 90 26 0c 38 70 71 e6 5d 00 00 00 00 a0 02   d..&.8pq.]......
0030  fa f0 54 a3 00 00 02 04 05 b4 04 02 08 0a 12 a0   ..T.............
0040  3a d9 00 00 00 00 01 03 03 0a                     :.........
";

#[test]
fn a_tshark_hex_dump_gives_the_frame_itself_with_the_summary_lines_number_and_time() {
    let (f, s) = read(SYN_HEX, InputFormat::Auto);
    assert_eq!(s.form, Some(Form::Hex));
    assert_eq!(f.len(), 1);
    let (number, time, linktype, data, orig, line, level) = &f[0];
    assert_eq!(
        (*number, *time, *linktype, *line, *level),
        (5, 308_000, 1, 2, Level::Bytes)
    );
    assert_eq!(data.len(), 74);
    assert_eq!(*orig, 74);
    assert_eq!(&data[12..14], &[0x08, 0x00]);
    assert_eq!(&data[data.len() - 3..], &[0x03, 0x03, 0x0a]);
    assert_eq!((s.frames_cut, s.lines_skipped), (0, 0));
}

#[test]
fn a_cut_or_odd_hex_line_marks_its_frame_truncated() {
    // The third line lost its end and has an odd digit.
    let text = SYN_HEX.replace(
        "0020  64 03 90 26 0c 38 70 71 e6 5d 00 00 00 00 a0 02   d..&.8pq.]......",
        "0020  64 03 90 2",
    );
    let (f, s) = read(&text, InputFormat::Auto);
    assert_eq!(s.frames_cut, 1);
    let (_, _, _, data, orig, ..) = &f[0];
    assert_eq!(data.len(), 35, "bytes up to the cut");
    assert!(*orig > data.len() as u32, "marked truncated: {orig}");
}

#[test]
fn classic_ios_words_are_raw_ip_frames_timed_by_their_header() {
    let text = "\
11:13:09.435 UTC Mar 4 2014 : IPv4 LES CEF    : Gi0/1 None

2B1E6A40:                   45000028 00010000            E..(....
2B1E6A50: 40060000 C0000201 CB00710A 9C4001BB  @.......K.q..@.;
2B1E6A60: 00000001 00000000 50020400 00000000  ........P.......

11:13:10.435 UTC Mar 4 2014 : IPv4 LES CEF    : Gi0/1 None

2B1E6A40:                   45000028 00020000            E..(....
";
    let (f, s) = read(text, InputFormat::Auto);
    assert_eq!(s.form, Some(Form::Hex));
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].2, crate::wire::link::linktype::RAW);
    assert_eq!(f[0].3.len(), 40);
    assert_eq!(&f[0].3[..4], &[0x45, 0, 0, 0x28]);
    assert_eq!(f[1].1 - f[0].1, 1_000_000_000);
    assert_eq!(s.anchored_by.as_deref(), Some("Epoch Time"));
}

#[test]
fn od_octal_offsets_are_followed() {
    let text = "0000000 45 00 00 1c 00 01 00 00 40 11 00 00 c0 00 02 01\n0000020 c0 00 02 02 d4 31 00 35 00 08 00 00\n0000034\n";
    let (f, _) = read(text, InputFormat::Hex);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].3.len(), 28);
    assert_eq!(f[0].2, crate::wire::link::linktype::RAW);
}

#[test]
fn status_outputs_and_noise_are_refused() {
    let stop = "Capture statistics collected at software:\n        Capture duration - 56 seconds\n\nStopped capture point : cap1\n";
    let e = read_text(stop.as_bytes(), InputFormat::Auto, |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the output of 'monitor capture NAME stop', not packets: 'show monitor capture NAME buffer brief' (or 'buffer detailed', 'buffer dump') shows the packets"
    );
    let e = read_text(&b"hello\nworld\n"[..], InputFormat::Auto, |_| {}).unwrap_err();
    assert!(matches!(e, TextError::NoPackets { lines: 2 }), "{e}");
}

#[test]
fn summary_lines_between_prompts_and_logs_are_read_the_rest_counted() {
    let text = "\
Switch#show clock
*10:00:00.000 UTC Mon Dec 7 2026
Switch#show monitor capture CAP buffer brief
Starting the packet display ........ Press Ctrl + Shift + 6 to exit

    1   0.000000 10.0.0.1 -> 10.0.0.2 TCP 74 40000 -> 443 [SYN] Seq=0 Win=64240 Len=0 MSS=1460
*Dec  7 10:00:01.000: %SMART_LIC-3-COMM_FAILED: Communications failure
    2   1.000000 10.0.0.1 -> 10.0.0.2 TCP 74 [TCP Retransmission] 40000 -> 443 [SYN] Seq=0 Win=64240 Len=0 MSS=1460
Switch#
";
    let (f, s) = read(text, InputFormat::Auto);
    assert_eq!(s.form, Some(Form::Brief));
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].0, f[0].5, f[0].6), (1, 6, Level::Summary));
    // Anchored by show clock.
    let clock = crate::model::time::days_since_epoch(2026, 12, 7).unwrap() * 86_400_000_000_000
        + 36_000_000_000_000;
    assert_eq!((f[0].1, f[1].1), (clock, clock + 1_000_000_000));
    assert!(s.anchored_by.as_deref().unwrap().starts_with("show clock"));
    // The prompts, the banner and the log line: 5 lines skipped (blank lines are not).
    assert_eq!(s.lines_skipped, 5);
    // The retransmitted SYN re-sends the first one's sequence number.
    let seq = |d: &[u8]| u32::from_be_bytes([d[24], d[25], d[26], d[27]]);
    assert_eq!(seq(&f[0].3), seq(&f[1].3));
    assert_eq!(f[0].3[33] & 0x02, 0x02, "SYN");
}

#[test]
fn a_hostile_server_name_is_kept_as_stated_for_the_printers_to_escape() {
    let text =
        "    1   0.000000 10.0.0.1 → 10.0.0.2 TCP 66 40000 → 443 [ACK] Seq=1 Ack=1 Win=501 Len=0
    2   0.000100 10.0.0.1 → 10.0.0.2 TLSv1.3 300 Client Hello (SNI=evil\u{1b}[2Jname)\n";
    let (f, _) = read(text, InputFormat::Brief);
    let data = &f[1].3;
    let needle = b"evil\x1b[2Jname";
    assert!(data.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn lines_are_bounded_and_the_text_is_streamed() {
    // One 8 MiB line with no end: kept to MAX_LINE, no packet.
    let big = vec![b'x'; 8 << 20];
    let e = read_text(&big[..], InputFormat::Auto, |_| {}).unwrap_err();
    assert!(matches!(e, TextError::NoPackets { lines: 1 }), "{e}");
    // Many packets through a reader that is never held whole.
    struct Gen(u64, Vec<u8>, usize);
    impl std::io::Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.2 >= self.1.len() {
                if self.0 == 0 {
                    return Ok(0);
                }
                self.0 -= 1;
                self.1 = format!(
                    "{} 0.{:06} 10.0.0.1 -> 10.0.0.2 TCP 74 40000 -> 443 [ACK] Seq=1 Ack=1 Win=64240 Len=0\n",
                    100_000 - self.0,
                    self.0 % 1_000_000
                )
                .into_bytes();
                self.2 = 0;
            }
            let n = buf.len().min(self.1.len() - self.2);
            buf[..n].copy_from_slice(&self.1[self.2..self.2 + n]);
            self.2 += n;
            Ok(n)
        }
    }
    let mut n = 0u64;
    let s = read_text(
        std::io::BufReader::new(Gen(100_000, Vec::new(), 0)),
        InputFormat::Auto,
        |_| n += 1,
    )
    .unwrap();
    assert_eq!((n, s.frames, s.lines), (100_000, 100_000, 100_000));
}

#[test]
fn origins_are_kept_as_runs_and_give_each_frames_line() {
    let mut o = Origins::default();
    let at = |frame, line, level| Origin { frame, line, level };
    // A summary: frames 1..=100_000 one a line from line 3; then a banner and the same
    // capture again (its numbers start at 1 once more); then a dissection's frames.
    for k in 0..100_000 {
        o.push(at(1 + k, 3 + k, Level::Summary));
    }
    for k in 0..10 {
        o.push(at(1 + k, 200_010 + k, Level::Summary));
    }
    o.push(at(500_000, 300_000, Level::Fields));
    o.push(at(500_001, 300_041, Level::Fields));
    o.push(at(500_002, 300_050, Level::Fields));
    // The repeated numbers are the first frames so numbered: no run of their own.
    assert_eq!(o.runs.len(), 3, "{:?}", o.runs);
    assert_eq!(o.get(1), Some(at(1, 3, Level::Summary)));
    assert_eq!(o.get(77_777), Some(at(77_777, 77_779, Level::Summary)));
    assert_eq!(o.get(100_000), Some(at(100_000, 100_002, Level::Summary)));
    assert_eq!(o.get(500_001), Some(at(500_001, 300_041, Level::Fields)));
    assert_eq!(o.get(500_002), Some(at(500_002, 300_050, Level::Fields)));
    assert_eq!(o.get(100_001), None);
    assert_eq!(o.weakest(), Some(Level::Summary));
    assert!(!o.all_of(Level::Fields));
    // Past the cap of runs, frames keep no line but still count for the weakest level.
    let mut o = Origins::default();
    for k in 0..(MAX_ORIGIN_RUNS as u64 + 10) {
        o.push(at(1 + 2 * k, 1 + 3 * k, Level::Bytes));
    }
    o.push(at(u64::MAX, u64::MAX, Level::Summary));
    assert_eq!(o.runs.len(), MAX_ORIGIN_RUNS);
    assert_eq!(o.get(u64::MAX), None);
    assert_eq!(o.weakest(), Some(Level::Summary));
}

/// Issue 23 item 5: a capture pasted over and over (its numbers start at 1 each time)
/// costs the runs of its distinct numbers, not one run per repetition: a 1 GB paste of one
/// capture held 524,288 runs (21 MB).
#[test]
fn a_capture_pasted_again_and_again_adds_no_runs() {
    let mut o = Origins::default();
    let at = |frame, line, level| Origin { frame, line, level };
    for rep in 0..10_000u64 {
        for k in 0..17 {
            o.push(at(1 + k, 1 + rep * 20 + k, Level::Summary));
        }
    }
    assert_eq!(o.runs.len(), 1, "{:?}", &o.runs[..o.runs.len().min(4)]);
    assert_eq!(o.covered.len(), 1);
    assert_eq!(o.get(5), Some(at(5, 5, Level::Summary)));
    assert_eq!(o.get(18), None);
    // Numbers met out of order merge into ranges: 5, 3, 4 then 1, 2 are one range.
    let mut o = Origins::default();
    for (f, l) in [(5, 1), (3, 2), (4, 3), (1, 4), (2, 5), (4, 6)] {
        o.push(at(f, l, Level::Summary));
    }
    assert_eq!(o.covered.iter().collect::<Vec<_>>(), [(&1, &6)]);
    assert_eq!(o.get(4), Some(at(4, 3, Level::Summary)));
}

#[test]
fn a_long_summary_holds_a_few_runs_not_a_record_per_frame() {
    let mut text = String::new();
    for k in 1..=5_000u64 {
        text.push_str(&format!(
            "{k} 0.{k:06} 10.0.0.1 -> 10.0.0.2 TCP 74 40000 -> 443 [ACK] Seq=1 Ack=1 Win=64240 Len=0\n"
        ));
    }
    let (f, s) = read(&text, InputFormat::Auto);
    assert_eq!(f.len(), 5_000);
    assert_eq!(s.origins.runs.len(), 1);
    assert_eq!(s.origin_of(4_321).map(|o| o.line), Some(4_321));
}

/// tshark -V (one pass) dissects a response split over segments on its last segment; the
/// reassembly line says the head began in the first. The head goes to the first segment's
/// bytes (the frames wait for it), the rest of every segment is the message's body.
#[test]
fn a_reassembled_http_head_goes_to_the_segment_that_began_it() {
    let seg = |n: u32, len: u32, tail: &str| {
        format!(
            "Frame {n}: 1514 bytes on wire (12112 bits), 1514 bytes captured (12112 bits)\n    Epoch Time: 1795355535.3179{n:02} seconds\nInternet Protocol Version 4, Src: 198.51.100.3, Dst: 198.51.100.10\nTransmission Control Protocol, Src Port: 3129, Dst Port: 49938, Seq: 1, Ack: 139, Len: {len}\n    Flags: 0x010 (ACK)\n    TCP payload ({len} bytes)\n    TCP segment data ({len} bytes)\n{tail}\n"
        )
    };
    let ack = "Frame 2: 66 bytes on wire (528 bits), 66 bytes captured (528 bits)\n    Epoch Time: 1795355535.317950 seconds\nInternet Protocol Version 4, Src: 198.51.100.10, Dst: 198.51.100.3\nTransmission Control Protocol, Src Port: 49938, Dst Port: 3129, Seq: 139, Ack: 1449, Len: 0\n    Flags: 0x010 (ACK)\n\n";
    let head = "[2 Reassembled TCP Segments (1548 bytes): #1(1448), #3(100)]\n    [Frame: 1, payload: 0-1447 (1448 bytes)]\nHypertext Transfer Protocol\n    HTTP/1.1 407 Proxy Authentication Required\\r\\n\n        Status Code: 407\n    Proxy-Authenticate: Basic realm=\"lab\"\\r\\n\n    \\r\\n\n";
    let text = seg(1, 1448, "") + ack + &seg(3, 100, head);
    let (f, _) = read(&text, InputFormat::Detailed);
    assert_eq!(f.len(), 3);
    let payload = |i: usize| -> &[u8] { &f[i].3[40..] };
    assert_eq!(f[0].0, 1);
    let first = String::from_utf8_lossy(payload(0)).into_owned();
    assert!(
        first.starts_with(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"lab\"\r\n\r\n"
        ),
        "{first}"
    );
    assert_eq!(payload(0).len(), 1448, "the segment's Len: head, then body");
    assert_eq!(f[1].0, 2);
    assert_eq!(payload(1).len(), 0);
    assert_eq!((f[2].0, payload(2)), (3, &[b' '; 100][..]), "body");
}

/// A dissected ICMP error: its quoted header (one indent in) says which connection it
/// answers, and the quoted packet's layers after it (a DNS query) are not a packet of
/// their own.
#[test]
fn a_dissected_icmp_error_quotes_the_header_it_shows() {
    let text = "Frame 7: 102 bytes on wire (816 bits), 102 bytes captured (816 bits)\n    Epoch Time: 1795355535.317900 seconds\nInternet Protocol Version 4, Src: 203.0.113.22, Dst: 198.51.100.10\nInternet Control Message Protocol\n    Type: 3 (Destination unreachable)\n    Code: 13 (Communication administratively filtered)\n    Unused: 00000000\n    Internet Protocol Version 4, Src: 198.51.100.10, Dst: 203.0.113.22\n        Source Address: 198.51.100.10\n    Transmission Control Protocol, Src Port: 38702, Dst Port: 443, Seq: 2331838810\n        Source Port: 38702\nDomain Name System (query)\n    Transaction ID: 0x5d91\n    Queries\n        proxy.lab: type A, class IN\n";
    let (f, _) = read(text, InputFormat::Detailed);
    assert_eq!(f.len(), 1);
    let data = &f[0].3;
    assert_eq!(data[9], 1, "ICMP");
    let u =
        crate::wire::link::decode_icmp_unreachable(crate::wire::link::IcmpVersion::V4, &data[20..])
            .expect("an unreachable with its quote");
    assert_eq!(u.code, 13);
    assert_eq!(u.protocol, 6);
    assert_eq!(u.orig_src, "198.51.100.10:38702".parse().unwrap());
    assert_eq!(u.orig_dst, "203.0.113.22:443".parse().unwrap());
    assert_eq!(&data[data.len() - 4..], &2_331_838_810u32.to_be_bytes());
}

/// DNS over TCP: two queries in one segment are two `Domain Name System` layers; both are
/// rebuilt in the segment (the second was lost: its answer looked unasked).
#[test]
fn two_dns_messages_in_one_segment_are_both_rebuilt() {
    let q = |id: &str, ty: &str| {
        format!(
            "Domain Name System (query)\n    Length: 41\n    Transaction ID: {id}\n    Queries\n        smartreceiver.cisco.com: type {ty}, class IN\n            Name: smartreceiver.cisco.com\n"
        )
    };
    let text = format!(
        "Frame 4: 152 bytes on wire (1216 bits), 152 bytes captured (1216 bits)\n    Epoch Time: 1795355535.317900 seconds\nInternet Protocol Version 4, Src: 198.51.100.10, Dst: 198.51.100.53\nTransmission Control Protocol, Src Port: 58990, Dst Port: 53, Seq: 1, Ack: 1, Len: 86\n    Flags: 0x018 (PSH, ACK)\n{}{}",
        q("0x22ee", "A"),
        q("0xccd1", "AAAA")
    );
    let (f, _) = read(&text, InputFormat::Detailed);
    assert_eq!(f.len(), 1);
    let payload = &f[0].3[40..];
    assert_eq!(
        payload.len(),
        86,
        "two messages of 41 bytes, each after its length"
    );
    assert_eq!(&payload[..4], &[0, 41, 0x22, 0xee]);
    assert_eq!(&payload[43..47], &[0, 41, 0xcc, 0xd1]);
    assert_eq!(&payload[84..86], &[0, 1], "class IN of the AAAA question");
}

/// Every certificate in the connections of `timeline`, in order.
fn certificates_of(t: &crate::model::Timeline) -> Vec<crate::model::CertInfo> {
    t.connections
        .iter()
        .flat_map(|c| &c.events)
        .filter_map(|e| match &e.kind {
            crate::model::EventKind::TlsCertificate { certificates } => Some(certificates),
            _ => None,
        })
        .flatten()
        .cloned()
        .collect()
}

fn analyzer() -> crate::flow::Analyzer {
    crate::flow::Analyzer::new(crate::flow::AnalyzeConfig {
        all: true,
        ..Default::default()
    })
}

/// Every certificate of captures/, read from its DER in the pcap and from the fields of
/// tshark's dissection (`-V`), is the same CertInfo but for what the fields cannot give
/// (the fingerprint, the key) and the mark saying where it was read from: the names (in
/// encoded order, as x509-parser writes them), dates, SANs, CA flag, URLs and serial.
/// Skipped without tshark.
#[test]
fn every_certificate_of_the_captures_reads_the_same_from_fields_as_from_der() {
    use crate::model::{CertSource, Source};
    let Ok(v) = std::process::Command::new("tshark")
        .arg("--version")
        .output()
    else {
        eprintln!("SKIP: tshark is absent");
        return;
    };
    assert!(v.status.success());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut captures: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    captures.sort();
    let mut compared = 0;
    let mut with_chain = 0;
    for cap in &captures {
        let mut a = analyzer();
        crate::capture::read_capture_file(cap, |f| {
            a.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
        })
        .unwrap();
        let source = || Source::Capture { files: vec![] };
        let der = certificates_of(&a.finish(source()));
        let text = std::process::Command::new("tshark")
            .arg("-r")
            .arg(cap)
            .arg("-V")
            .output()
            .unwrap()
            .stdout;
        // The chains the fields state, frame by frame (the analyser's handling of the
        // rebuilt frames is not what this compares).
        let mut fields = Vec::new();
        read_text(&text[..], InputFormat::Detailed, |f| {
            fields.extend(f.chains.into_iter().flatten())
        })
        .unwrap();
        let name = cap.display();
        // As sets: a retransmitted or re-dissected message states a certificate twice.
        let key = |c: &crate::model::CertInfo| {
            (
                c.subject.clone(),
                c.serial.clone(),
                c.not_before,
                c.issuer.clone(),
            )
        };
        let mut der: Vec<_> = der
            .iter()
            .map(|d| {
                assert_eq!(d.read_from, CertSource::Der);
                crate::model::CertInfo {
                    sha256: String::new(),
                    spki_sha256: String::new(),
                    read_from: CertSource::DissectionFields,
                    ..d.clone()
                }
            })
            .collect();
        der.sort_by_key(key);
        der.dedup();
        fields.sort_by_key(key);
        fields.dedup();
        if fields.is_empty() {
            // tshark did not dissect the message (merged-directions: its segments out of
            // order): the text states no certificate, which is not a field misread.
            continue;
        }
        for f in &fields {
            assert_eq!(f.read_from, CertSource::DissectionFields);
            assert!(f.sha256.is_empty() && f.spki_sha256.is_empty() && f.fingerprint().is_none());
        }
        assert_eq!(der, fields, "{name}");
        with_chain += usize::from(!der.is_empty());
        compared += der.len();
    }
    // The lab's chains: 2 or 3 certificates on each of a score of captures.
    assert!(
        with_chain >= 20 && compared >= 45,
        "{with_chain} captures, {compared} certificates"
    );
}

/// A dissection numbers its segments: one numbered before what the endpoint has sent
/// already (tshark's `Out-Of-Order`, a retransmission it does not flag) is sent again where
/// it was, not as new data after the FIN; an encrypted handshake record named on its
/// record line and again inside it is one record.
#[test]
fn a_segment_numbered_before_the_last_is_sent_again_where_it_was() {
    let seg = |n: u32, seq: u32, len: u32, flags: &str, tls: &str| {
        format!(
            "Frame {n}: 97 bytes on wire (776 bits), 97 bytes captured (776 bits)\n    Epoch Time: 1795355535.3179{n:02} seconds\nInternet Protocol Version 4, Src: 198.51.100.10, Dst: 203.0.113.16\nTransmission Control Protocol, Src Port: 60612, Dst Port: 443, Seq: {seq}, Len: {len}\n    Sequence Number: {seq}    (relative sequence number)\n    Sequence Number (raw): 1185438572\n    Flags: {flags}\n{tls}\n"
        )
    };
    let record = "Transport Layer Security\n    TLSv1.2 Record Layer: Handshake Protocol: Encrypted Handshake Message\n        Content Type: Handshake (22)\n        Length: 26\n        Handshake Protocol: Encrypted Handshake Message\n";
    let text = seg(1, 0, 0, "0x002 (SYN)", "")
        + &seg(2, 1, 31, "0x018 (PSH, ACK)", record)
        + &seg(3, 32, 0, "0x011 (FIN, ACK)", "")
        + &seg(4, 1, 31, "0x018 (PSH, ACK)", record);
    let (f, _) = read(&text, InputFormat::Detailed);
    let seq = |i: usize| u32::from_be_bytes(f[i].3[24..28].try_into().unwrap());
    let payload = |i: usize| &f[i].3[40..];
    assert_eq!(payload(1).len(), 31);
    assert_eq!(
        &payload(1)[..5],
        &[22, 3, 3, 0, 26],
        "one record of 26 bytes"
    );
    assert_eq!(
        seq(2),
        seq(1).wrapping_add(31),
        "the FIN after the 31 bytes"
    );
    assert_eq!(seq(3), seq(1), "sent again where it was");
    assert_eq!(payload(3).len(), 31);
}

/// One TCP segment of a dissection, 55432 <-> 443: `from_client`, stated numbers, flags,
/// SACK blocks and what follows the TCP layer.
fn dissected(
    n: u32,
    from_client: bool,
    (seq, ack, len): (u32, u32, u32),
    flags: &str,
    sack: &[(u32, u32)],
    after: &str,
) -> String {
    let (src, dst, sp, dp) = if from_client {
        ("192.0.2.51", "203.0.113.23", 55432, 443)
    } else {
        ("203.0.113.23", "192.0.2.51", 443, 55432)
    };
    let edges: String = sack
        .iter()
        .map(|(l, r)| {
            format!(
                "            left edge = {l} (relative)\n            right edge = {r} (relative)\n"
            )
        })
        .collect();
    format!(
        "Frame {n}: 76 bytes on wire (608 bits), 76 bytes captured (608 bits)\n    Epoch Time: 1795355535.3179{n:02} seconds\nInternet Protocol Version 4, Src: {src}, Dst: {dst}\nTransmission Control Protocol, Src Port: {sp}, Dst Port: {dp}, Seq: {seq}, Ack: {ack}, Len: {len}\n    [TCP Segment Len: {len}]\n    Sequence Number: {seq}    (relative sequence number)\n    Acknowledgment Number: {ack}    (relative ack number)\n    Flags: {flags}\n    Options: (12 bytes), SACK\n        TCP Option - SACK\n{edges}    TCP payload ({len} bytes)\n{after}"
    )
}

/// The rebuilt TCP header's sequence and acknowledgement numbers, SACK edges and payload.
fn tcp_of(frame: &[u8]) -> (u32, u32, Vec<(u32, u32)>, &[u8]) {
    let word = |i: usize| u32::from_be_bytes(frame[i..i + 4].try_into().unwrap());
    let off = 20 + usize::from(frame[32] >> 4) * 4;
    let mut sack = Vec::new();
    let mut i = 40;
    while i < off {
        match frame[i] {
            1 => i += 1,
            5 => {
                let end = i + usize::from(frame[i + 1]);
                sack.extend((i + 2..end).step_by(8).map(|j| (word(j), word(j + 4))));
                i = end;
            }
            _ => i += usize::from(frame[i + 1]).max(2),
        }
    }
    (word(24), word(28), sack, &frame[off..])
}

/// A path-MTU black hole as a dissection states it (captures/mtu-blackhole): the server's
/// segment numbered 1449 after its SYN/ACK leaves the 1,448 bytes before it out (the
/// capture does not hold them), and the client's duplicate ACK with SACK 1449-1473 names
/// the hole and the segment past it in the rebuilt numbers, so the analyser sees what the
/// pcap shows. Without the stated numbers the segment went right after the SYN/ACK, the
/// ACK acknowledged it, and the text said capture_gap where the pcap says mtu_blackhole.
#[test]
fn a_segment_numbered_past_the_next_leaves_a_hole_that_acks_and_sacks_name() {
    let tls_continuation = "Transport Layer Security\n\n";
    let text = dissected(1, true, (0, 0, 0), "0x002 (SYN)", &[], "")
        + &dissected(2, false, (0, 1, 0), "0x012 (SYN, ACK)", &[], "")
        + &dissected(3, true, (1, 1, 0), "0x010 (ACK)", &[], "")
        + &dissected(
            4,
            false,
            (1449, 1, 24),
            "0x018 (PSH, ACK)",
            &[],
            tls_continuation,
        )
        + &dissected(5, true, (1, 1, 0), "0x010 (ACK)", &[(1449, 1473)], "")
        + &dissected(6, false, (1473, 1, 0), "0x010 (ACK)", &[], "");
    check_hole(&text);
    // Wireshark before 3.4 names the fields in lower case after the first word.
    let old = text
        .replace("Sequence Number: ", "Sequence number: ")
        .replace("Acknowledgment Number: ", "Acknowledgment number: ");
    assert_ne!(old, text);
    check_hole(&old);
}

fn check_hole(text: &str) {
    let (f, _) = read(text, InputFormat::Detailed);
    assert_eq!(f.len(), 6);
    let (server_isn, ..) = tcp_of(&f[1].3);
    let (seq, _, _, data) = tcp_of(&f[3].3);
    assert_eq!(seq, server_isn.wrapping_add(1449), "placed past the hole");
    assert_eq!(
        data,
        &[0u8; 24][..],
        "the stated 24 bytes, which no reader takes for a record"
    );
    let (_, ack, sack, _) = tcp_of(&f[4].3);
    assert_eq!(
        ack,
        server_isn.wrapping_add(1),
        "the duplicate ACK acknowledges the SYN only"
    );
    assert_eq!(
        sack,
        [(server_isn.wrapping_add(1449), server_isn.wrapping_add(1473))]
    );
    let (seq, ..) = tcp_of(&f[5].3);
    assert_eq!(
        seq,
        server_isn.wrapping_add(1473),
        "numbers go on past the segment"
    );
}

/// A connection whose start was not captured (captures/push-only-filter): the client
/// acknowledged the server's relative 1, and the server's first captured segment is
/// numbered 1449 and is Continuation Data. It goes 1,448 bytes past what the client
/// acknowledged (not right after it, nor at the peer's unrelated number, which made its
/// later records look like retransmissions that never reached the TLS reader) and carries
/// its 155 bytes, so "every packet carries data" (a capture filter) can be judged.
#[test]
fn an_endpoint_first_seen_mid_stream_starts_at_its_stated_number() {
    let record = "Transport Layer Security\n    TLSv1.2 Record Layer: Application Data Protocol: Hypertext Transfer Protocol\n        Content Type: Application Data (23)\n        Length: 298\n";
    let text = dissected(1, true, (1, 1, 40), "0x018 (PSH, ACK)", &[], "")
        + &dissected(
            2,
            false,
            (1449, 41, 155),
            "0x018 (PSH, ACK)",
            &[],
            "Transport Layer Security\n\n",
        )
        + &dissected(3, false, (1604, 41, 303), "0x018 (PSH, ACK)", &[], record);
    let (f, _) = read(&text, InputFormat::Detailed);
    let (_, client_ack, ..) = tcp_of(&f[0].3);
    let (seq, _, _, data) = tcp_of(&f[1].3);
    assert_eq!(seq, client_ack.wrapping_add(1448));
    assert_eq!(data.len(), 155);
    let (seq3, _, _, data3) = tcp_of(&f[2].3);
    assert_eq!(seq3, seq.wrapping_add(155), "the record right after it");
    assert_eq!(&data3[..5], &[23, 3, 3, 1, 42], "one record of 298 bytes");
}

/// A stated `Len` is sent as bytes: one no segment can have (`Len=4000000000`, hostile)
/// is not read (it was a 4 GB allocation, which aborted); a large one past the
/// ChangeCipherSpec (a host capture's offloaded 30,000-byte segment) is encrypted records
/// no larger than TLS allows (one record of 30,000 bytes made the TLS reader give up the
/// direction: "TLS record of 29995 bytes exceeds the limit").
#[test]
fn a_stated_len_is_bounded_and_its_encrypted_bytes_are_valid_records() {
    let text = "    1 0.000000 10.0.0.1 → 10.0.0.2 TCP 74 40000 → 443 [SYN] Seq=0 Win=64240 Len=0\n    2 0.001 10.0.0.1 → 10.0.0.2 TLSv1.2 100 Change Cipher Spec\n    3 0.002 10.0.0.1 → 10.0.0.2 TCP 60 40000 → 443 [ACK] Seq=1 Ack=1 Win=5 Len=4000000000\n    4 0.003 10.0.0.1 → 10.0.0.2 TCP 30054 40000 → 443 [ACK] Seq=1 Ack=1 Win=5 Len=30000\n";
    let (f, _) = read(text, InputFormat::Brief);
    assert_eq!(f.len(), 4);
    assert_eq!(f[2].3.len(), 40, "no bytes for an impossible Len");
    let mut data = &f[3].3[40..];
    assert_eq!(data.len(), 30_000);
    let mut sizes = Vec::new();
    while data.len() >= 5 {
        assert_eq!(&data[..3], &[23, 3, 3]);
        let len = usize::from(u16::from_be_bytes([data[3], data[4]]));
        sizes.push(len);
        data = &data[(5 + len).min(data.len())..];
    }
    assert!(data.is_empty());
    assert_eq!(sizes, [14_995, 14_995]);
    assert!(sizes.iter().all(|l| *l <= crate::wire::tls::MAX_RECORD_LEN));
}

/// The same ports again after a SYN are a new connection (a capture pasted twice): what
/// the last one's stream left (its encryption, its holes, where its numbers went) does
/// not carry over. Undescribed bytes of the second connection before any message were
/// taken for encrypted records because the first had sent its ChangeCipherSpec.
#[test]
fn a_new_syn_on_the_same_ports_starts_a_new_stream() {
    let syn = "    1 0.000000 10.0.0.1 → 10.0.0.2 TCP 74 40000 → 443 [SYN] Seq=0 Win=64240 Len=0\n";
    let ccs = "    2 0.001 10.0.0.1 → 10.0.0.2 TLSv1.2 100 Change Cipher Spec\n";
    let data =
        "    3 0.002 10.0.0.1 → 10.0.0.2 TCP 60 40000 → 443 [ACK] Seq=1 Ack=1 Win=5 Len=40\n";
    let (f, s) = read(&format!("{syn}{ccs}{data}{syn}{data}"), InputFormat::Brief);
    assert_eq!(f.len(), 5);
    let payload = |i: usize| &f[i].3[40..];
    assert_eq!(
        &payload(2)[..3],
        &[23, 3, 3],
        "after its ChangeCipherSpec: a record"
    );
    assert!(
        payload(4).is_empty(),
        "the new connection sent no ChangeCipherSpec"
    );
    assert_eq!(s.undescribed.values().map(|v| v.0).sum::<u64>(), 40);
    assert_eq!(
        f[3].3[24..28],
        f[0].3[24..28],
        "the second SYN where the first was"
    );
}
