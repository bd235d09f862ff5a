//! The analysis pipeline end to end: read a capture file, track connections, diagnose.
//! One function so that the CLI, the benchmark, the TUI and the tests run the same thing.

use crate::capture::{CaptureError, ReadSummary, read_capture_file};
use crate::diagnose::{DiagnoseConfig, diagnose, diagnose_connection};
use crate::flow::{AnalyzeConfig, Analyzer};
use crate::model::*;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Analyses one capture file. A truncated or corrupt file still gives a timeline (with a
/// `capture_truncated` warning); only an unreadable or non-capture file is an error.
pub fn analyze_file(
    path: &Path,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
) -> Result<(Timeline, ReadSummary), CaptureError> {
    analyze_file_with_progress(path, acfg, dcfg, None)
}

/// [`analyze_file`], adding the bytes of each frame read (record header included, about
/// the file offset for uncompressed files) to `progress`: the TUI's loading indicator.
pub fn analyze_file_with_progress(
    path: &Path,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    progress: Option<&AtomicU64>,
) -> Result<(Timeline, ReadSummary), CaptureError> {
    let name = path.display().to_string();
    let mut analyzer = Analyzer::new(acfg.clone());
    let overflow = Rc::new(RefCell::new(OverflowSummary::default()));
    {
        let overflow = overflow.clone();
        let dcfg = dcfg.clone();
        analyzer.set_overflow_sink(move |mut c| {
            diagnose_connection(&mut c, &dcfg);
            overflow.borrow_mut().add(&c);
        });
    }
    let summary = read_capture_file(path, |f| {
        if let Some(p) = progress {
            p.fetch_add(f.data.len() as u64 + 16, Ordering::Relaxed);
        }
        analyzer.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
    })?;
    if summary.truncated {
        analyzer.stats_mut().file_truncated = true;
    }
    let mut timeline = analyzer.finish(Source::Capture { files: vec![name] });
    timeline.overflow = overflow.take();
    if summary.truncated || summary.corrupt.is_some() {
        let end = timeline.end_ns.unwrap_or(0);
        timeline.findings.push(Finding {
            code: FindingCode::CaptureTruncated,
            severity: Severity::Warning,
            step: Step::Capture,
            confidence: Confidence::Certain,
            summary: match &summary.corrupt {
                Some(why) => format!("reading stopped after frame {}: {why}", summary.frames),
                None => format!("the file ends inside a record after frame {}", summary.frames),
            },
            explanation: "The capture file is cut short (an interrupted export or copy). Everything before the cut was analysed; connections still open at the cut show as unfinished.".into(),
            remediation: vec!["monitor capture NAME export location flash:NAME.pcap   ! export again after 'monitor capture NAME stop'".into()],
            evidence: vec![Evidence { frame: Some(summary.frames), time_ns: end, what: "last complete frame".into(), log: None }],
        });
    }
    diagnose(&mut timeline, dcfg);
    Ok((timeline, summary))
}
