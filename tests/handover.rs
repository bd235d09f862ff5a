//! The hand-over outputs, checked with the real clients: the annotated pcapng read by
//! tshark, the HTML report rendered by headless Chromium, and the script-injection case
//! (an SNI holding `<script>`). Tests skip with a printed reason when a client is absent.

mod common;
use common::*;
use licpath::report::annotate::{annotate_file, annotations, finding_line};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn tmp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-handover-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {tool} is not installed (tests/run.sh installs it)");
    }
    ok
}

fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark -r {} {args:?}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Frame number → comment field, as tshark shows it (several comments joined by `\u{1f}`).
fn tshark_comments(file: &Path) -> BTreeMap<u64, Vec<String>> {
    tshark(
        file,
        &[
            "-Y",
            "frame.comment",
            "-T",
            "fields",
            "-E",
            "aggregator=\u{1f}",
            "-e",
            "frame.number",
            "-e",
            "frame.comment",
        ],
    )
    .lines()
    .map(|l| {
        let (n, c) = l.split_once('\t').unwrap();
        (
            n.parse().unwrap(),
            c.split('\u{1f}').map(str::to_string).collect(),
        )
    })
    .collect()
}

/// Per frame: number, time (ns precision), lengths, protocols (and interface for pcapng),
/// then the hex dump of every frame.
fn tshark_frames(file: &Path, with_interface: bool) -> (String, String) {
    let mut fields = vec![
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
        "-e",
        "frame.protocols",
    ];
    if with_interface {
        fields.extend(["-e", "frame.interface_id", "-e", "frame.interface_name"]);
    }
    (tshark(file, &fields), tshark(file, &["-x"]))
}

/// Annotates `input` (analysed as `analyze` does) and checks it with tshark: exactly the
/// evidence frames carry comments, each finding's line on each of its frames; the same
/// frames, times, lengths, protocols and bytes as the input. Returns the output's size.
fn check_annotated(input: &Path, out_dir: &Path, with_interface: bool) -> u64 {
    let t = analyze_with(input, false, None);
    let notes = annotations(&input.display().to_string(), &t);
    let out = out_dir.join(format!(
        "{}.annotated.pcapng",
        input.file_name().unwrap().to_string_lossy()
    ));
    let s = annotate_file(input, &out, &notes).unwrap();
    assert!(s.missing_frames.is_empty(), "{s:?}");
    assert_eq!(s.frames, t.stats.frames);

    let mut expected: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in t.all_findings() {
        for e in &f.evidence {
            if let Some(n) = e.frame {
                expected.entry(n).or_default().push(finding_line(f));
            }
        }
    }
    assert!(
        !expected.is_empty(),
        "{}: no evidence frames",
        input.display()
    );
    let seen = tshark_comments(&out);
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "commented frames of {}",
        out.display()
    );
    for (n, lines) in &expected {
        for line in lines {
            assert!(
                seen[n].iter().any(|c| c.starts_with(line.as_str())),
                "frame {n}: {line:?} not in {:?}",
                seen[n]
            );
        }
    }
    assert_eq!(
        tshark_frames(input, with_interface),
        tshark_frames(&out, with_interface),
        "{} and {} differ",
        input.display(),
        out.display()
    );
    // The section comment: tshark shows it in capinfos-like output of -z? Read it back
    // from the file's first block instead: it opens with the verdict.
    let bytes = std::fs::read(&out).unwrap();
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    assert!(
        head.contains(&format!(
            "licpath {}: {}: verdict FAILED",
            env!("CARGO_PKG_VERSION"),
            input.display()
        )),
        "{head}"
    );
    bytes.len() as u64
}

/// A copy of a little-endian nanosecond pcap with `ns` added to every timestamp.
fn add_nanoseconds(path: &Path, ns: u32) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], &[0x4d, 0x3c, 0xb2, 0xa1], "LE ns pcap");
    let le = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let mut at = 24;
    while at + 16 <= b.len() {
        let frac = le(&b, at + 4) + ns;
        b[at + 4..at + 8].copy_from_slice(&frac.to_le_bytes());
        at += 16 + le(&b, at + 8) as usize;
    }
    b
}

#[test]
fn annotated_pcap_shows_findings_on_evidence_frames_in_tshark() {
    if !have("tshark") {
        return;
    }
    let dir = tmp_dir("pcap");
    for name in ["ssl-interception-tls12.pcap", "proxy-407.pcap"] {
        check_annotated(&lab(name), &dir, false);
    }
    // The issue's example: the interceptor's CA in the comment of the Certificate frame.
    let out = dir.join("ssl-interception-tls12.pcap.annotated.pcapng");
    let c = tshark_comments(&out);
    assert!(
        c[&14].iter().any(|c| c.starts_with(
            "licpath: ERROR ssl_interception — SSL interception: the certificate for smartreceiver.cisco.com was issued by 'C=US, O=Lab Security Appliance, CN=Lab Squid Interception CA'"
        )),
        "{c:?}"
    );
    // Nanosecond timestamps stay nanosecond (if_tsresol 9): the lab's ns capture has
    // whole-µs values, so 7 ns are added to each record here.
    let ns_in = dir.join("odd-nanoseconds.pcap");
    std::fs::write(
        &ns_in,
        add_nanoseconds(&lab("syn-rejected-nanosecond.pcap"), 7),
    )
    .unwrap();
    check_annotated(&ns_in, &dir, false);
    let times = tshark(&ns_in, &["-T", "fields", "-e", "frame.time_epoch"]);
    assert!(times.lines().all(|l| l.ends_with("007")), "{times}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn annotated_gzip_and_multi_interface_pcapng_keep_every_frame() {
    if !have("tshark") || !have("mergecap") {
        return;
    }
    let dir = tmp_dir("ng");
    // gzip input, compressed here.
    let gz = dir.join("proxy-403.pcap.gz");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(&std::fs::read(lab("proxy-403.pcap")).unwrap())
            .unwrap();
        e.finish().unwrap();
    }
    check_annotated(&gz, &dir, false);
    // pcapng with two interfaces of different resolution (µs and ns) and link-layer
    // header types kept apart (-I none).
    let merged = dir.join("two-interfaces.pcapng");
    let st = Command::new("mergecap")
        .args(["-F", "pcapng", "-I", "none", "-w"])
        .arg(&merged)
        .arg(lab("ssl-interception-tls12.pcap"))
        .arg(lab("syn-rejected-nanosecond.pcap"))
        .status()
        .unwrap();
    assert!(st.success());
    let ifaces = tshark(&merged, &["-T", "fields", "-e", "frame.interface_id"]);
    assert!(
        ifaces.lines().any(|l| l == "1"),
        "mergecap made one interface"
    );
    check_annotated(&merged, &dir, true);
    // And the reference pcapng capture itself (no error finding: no comment, same frames).
    let ng = lab("healthy-proxy-pcapng.pcapng");
    let out = dir.join("healthy.pcapng");
    let t = analyze_with(&ng, false, None);
    let s = annotate_file(&ng, &out, &annotations("x", &t)).unwrap();
    assert_eq!(s.frames, 21);
    assert_eq!(tshark_frames(&ng, true), tshark_frames(&out, true));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn annotate_refuses_to_overwrite_its_input() {
    let dir = tmp_dir("same");
    let p = dir.join("in.pcap");
    std::fs::copy(lab("proxy-407.pcap"), &p).unwrap();
    let t = analyze_with(&p, false, None);
    let e = annotate_file(&p, &p, &annotations("x", &t)).unwrap_err();
    assert!(
        e.to_string().contains("must not overwrite its input"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&p).unwrap(),
        std::fs::read(lab("proxy-407.pcap")).unwrap()
    );
    std::fs::remove_dir_all(dir).ok();
}
