//! A capture pasted as text (issue 23) on arbitrary bytes, each form forced in turn and
//! auto-detected: the text reader, the frames it rebuilds, the analyser, the rules, the
//! text-capture provenance and the text report. No panic, bounded work.
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::capture::text::{InputFormat, read_text};

fuzz_target!(|data: &[u8]| {
    for format in [InputFormat::Auto, InputFormat::Brief, InputFormat::List, InputFormat::Detailed, InputFormat::Hex] {
        let mut a = licpath::flow::Analyzer::new(licpath::flow::AnalyzeConfig { all: true, ..Default::default() });
        let Ok(s) = read_text(data, format, |f| a.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)) else {
            continue;
        };
        let mut t = a.finish(licpath::model::Source::Capture { files: vec![] });
        let cfg = licpath::diagnose::DiagnoseConfig { now_unix: 1_790_000_000, trust: licpath::model::trust::TrustProfile::ios_xe(None), judge_all_chains: true, ca_file: None, revocation_checked_by: None };
        licpath::diagnose::diagnose(&mut t, &cfg);
        licpath::diagnose::text_capture::apply(&mut t, &s);
        let mut out = Vec::new();
        let _ = licpath::report::text::write_text(&mut out, "fuzz", "text", &t, licpath::report::text::Color::Never);
    }
});
