//! `--annotate` on arbitrary bytes as the capture (src/report/annotate/, through
//! src/outfile.rs), with the findings of the capture's own analysis as comments and an
//! arbitrary `--max-output` cap: no panic; a refusal (the cap, a corrupt input) leaves
//! nothing behind; what is written is within the cap; every text option of the output
//! (comments, section and interface text) is UTF-8 with no control, bidirectional or
//! invisible character but the line feed; every comment that starts with `licpath`
//! carries the mark of this annotation (the input's own cannot pass for licpath's).
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::report::annotate::{AnnotateError, Annotations, OutputCap, annotate_file, annotations};
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("licpath-fuzz-annotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn notes_of(body: &[u8]) -> Annotations {
    let mut a = licpath::flow::Analyzer::new(licpath::flow::AnalyzeConfig { all: true, ..Default::default() });
    if licpath::capture::read_capture("fuzz", body, |f| a.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)).is_err() {
        return Annotations { frames: Default::default(), section: String::new() };
    }
    let mut t = a.finish(licpath::model::Source::Capture { files: vec![] });
    let cfg = licpath::diagnose::DiagnoseConfig { now_unix: 1_790_000_000, trust: licpath::model::trust::TrustProfile::ios_xe(None), judge_all_chains: true, ca_file: None, revocation_checked_by: None };
    licpath::diagnose::diagnose(&mut t, &cfg);
    annotations("fuzz\u{1b}]0;x\u{7}", &t)
}

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// (block type, option code, value) of every text option licpath wrote (little-endian,
/// as it always writes).
fn text_options(out: &[u8]) -> Vec<(u32, u16, &[u8])> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < out.len() {
        assert!(at + 12 <= out.len(), "block header cut at {at}");
        let (ty, len) = (u32_at(out, at) as u32, u32_at(out, at + 4));
        assert!(len >= 12 && len % 4 == 0 && at + len <= out.len(), "block length {len} at {at}");
        assert_eq!(u32_at(out, at + len - 4), len, "trailing length at {at}");
        let body = &out[at + 8..at + len - 4];
        let opts = match ty {
            SHB => Some(16),
            IDB => Some(8),
            EPB => Some(20 + u32_at(body, 12).div_ceil(4) * 4),
            _ => None,
        };
        if let Some(mut o) = opts {
            while o + 4 <= body.len() {
                let code = u16::from_le_bytes([body[o], body[o + 1]]);
                let l = usize::from(u16::from_le_bytes([body[o + 2], body[o + 3]]));
                if code == 0 {
                    break;
                }
                assert!(o + 4 + l <= body.len(), "option past its block at {at}");
                let text = code == 1 || (ty == SHB && (2..=4).contains(&code)) || (ty == IDB && matches!(code, 2 | 3 | 12 | 15));
                if text {
                    found.push((ty, code, &body[o + 4..o + 4 + l]));
                }
                o += 4 + l.div_ceil(4) * 4;
            }
        }
        at += len;
    }
    found
}

fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{ad}' | '\u{e0000}'..='\u{e007f}')
}

fuzz_target!(|data: &[u8]| {
    let Some((cap, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    // 0 .. 4 MiB in 64-byte steps: most inputs pass small caps, some are refused.
    let cap = u64::from(u16::from_le_bytes(*cap)) * 64;
    let dir = scratch();
    let input = dir.join("in.pcap");
    let out = dir.join("out.pcapng");
    let _ = std::fs::remove_file(&out);
    std::fs::write(&input, body).unwrap();
    let notes = notes_of(body);
    let names = || {
        let mut v: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().into_string().unwrap()).collect();
        v.sort();
        v
    };
    match annotate_file(&input, &out, &notes, OutputCap::Bytes(cap)) {
        Ok(_) => {
            assert_eq!(names(), ["in.pcap", "out.pcapng"]);
            let written = std::fs::read(&out).unwrap();
            assert!(written.len() as u64 <= cap, "{} bytes past the cap {cap}", written.len());
            let texts = text_options(&written);
            let mut mark: Option<String> = None;
            for (i, (ty, code, value)) in texts.iter().enumerate() {
                let s = std::str::from_utf8(value).unwrap_or_else(|e| panic!("option {code} of block {ty:#x}: {e}"));
                assert!(!s.chars().any(hidden), "option {code} of block {ty:#x}: {s:?}");
                if *code != 1 {
                    continue;
                }
                if i == 0 && s.starts_with("licpath ") {
                    mark = s.split_once(": ").map(|(m, _)| format!("{m}: "));
                }
                let t = s.trim_start();
                if t.get(..7).is_some_and(|w| w.eq_ignore_ascii_case("licpath")) {
                    let m = mark.as_deref().unwrap_or_else(|| panic!("{s:?} without licpath's section comment"));
                    assert!(s.starts_with(m), "{s:?} does not carry {m:?}");
                }
            }
        }
        Err(e) => {
            assert!(!matches!(e, AnnotateError::Output(_)), "{e}");
            assert_eq!(names(), ["in.pcap"], "{e}");
        }
    }
    assert_eq!(std::fs::read(&input).unwrap(), body);
});
