//! Whole pipeline on arbitrary bytes as a capture file: reader, link decode, flows, diagnosis,
//! the text report and the hand-over writers (HTML, Markdown: no raw ESC in them).
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
        // The hand-over writers (streamed HTML and Markdown): no raw escape byte reaches them.
        let reports = [licpath::report::json::report("fuzz", "pcap", &t)];
        let mut html = Vec::new();
        let _ = licpath::report::html::write_html(&mut html, "analyze", &reports);
        assert!(!html.contains(&0x1b), "raw ESC in the HTML");
        let mut md = Vec::new();
        let _ = licpath::report::markdown::write_markdown(&mut md, "analyze", &reports);
        assert!(!md.contains(&0x1b), "raw ESC in the Markdown");
    }
});
