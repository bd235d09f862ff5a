//! Whole pipeline on arbitrary bytes as a capture file: reader, link decode, flows, diagnosis.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut a = licpath::flow::Analyzer::new(licpath::flow::AnalyzeConfig { all: true, ..Default::default() });
    if licpath::capture::read_capture("fuzz", data, |f| a.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)).is_ok() {
        let mut t = a.finish(licpath::model::Source::Capture { files: vec![] });
        let cfg = licpath::diagnose::DiagnoseConfig { now_unix: 1_790_000_000, trust: licpath::model::trust::TrustProfile::ios_xe(None), judge_all_chains: true, ca_file: None, revocation_checked_by: None };
        licpath::diagnose::diagnose(&mut t, &cfg);
        let mut out = Vec::new();
        let _ = licpath::report::text::write_text(&mut out, "fuzz", "pcap", &t, licpath::report::text::Color::Never);
    }
});
