//! The analysis pipeline end to end: read a capture file, track connections, diagnose.
//! One function so that the CLI, the benchmark, the TUI and the tests run the same thing;
//! the switch's logs (`--logs`) alone or lined up with a capture, likewise.

use crate::capture::text::{InputFormat, TextError, TextSummary, read_text};
use crate::capture::{CaptureError, ReadSummary, read_capture_file};
use crate::diagnose::{DiagnoseConfig, diagnose, diagnose_connection};
use crate::flow::{AnalyzeConfig, Analyzer};
use crate::model::*;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a file gave no timeline at all (the CLI's exit 2: unusable input).
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// Unreadable, not a capture, or empty.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A capture header followed by nothing that decodes as a frame: random bytes after a
    /// valid magic, or a file cut before its first whole record.
    #[error("{path}: no usable frame: {why}")]
    NoUsableFrame { path: String, why: String },
    /// A text that is no capture (a status output, no packet line).
    #[error("{path}: {source}")]
    Text { path: String, source: TextError },
}

/// The analyser, with connections past its display cap diagnosed and counted into the
/// returned summary.
fn analyzer_of(
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
) -> (Analyzer, Rc<RefCell<OverflowSummary>>) {
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
    (analyzer, overflow)
}

/// Magic numbers of the binary captures (pcap both orders and resolutions, pcapng, gzip).
fn is_binary_capture(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    head.starts_with(&[0x1f, 0x8b]) || MAGICS.iter().any(|m| head.starts_with(m))
}

/// One input: a capture file, or a capture pasted as text (issue 23), or `-` for stdin.
/// `input` forces the text reader's form (`--input-format`); `Auto` detects binary
/// captures by magic and text forms by content. The text's summary comes back for a text.
pub fn analyze_input(
    path: &Path,
    input: InputFormat,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    progress: Option<&AtomicU64>,
) -> Result<(Timeline, ReadSummary, Option<TextSummary>), AnalyzeError> {
    use std::io::{BufRead, BufReader, Read};
    let name = path.display().to_string();
    let io = |source| {
        AnalyzeError::Capture(CaptureError::Io {
            path: name.clone(),
            source,
        })
    };
    let stdin = path.as_os_str() == "-";
    let mut reader: Box<dyn BufRead + Send> = if stdin {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).map_err(io)?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    let head = reader.fill_buf().map_err(io)?.to_vec();
    if input == InputFormat::Auto && (head.is_empty() || is_binary_capture(&head)) {
        if !stdin {
            drop(reader);
            return analyze_binary_file(path, acfg, dcfg, progress).map(|(t, s)| (t, s, None));
        }
        return analyze_frames(&name, acfg, dcfg, |analyzer| {
            let read = crate::capture::read_capture(&name, reader.take(u64::MAX), |f| {
                if let Some(p) = progress {
                    p.fetch_add(f.data.len() as u64 + 16, Ordering::Relaxed);
                }
                analyzer.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
            });
            read.map_err(AnalyzeError::from)
        })
        .map(|(t, s)| (t, s, None));
    }
    analyze_text(&name, reader, input, acfg, dcfg, progress)
}

/// A capture pasted as text: the text reader's frames through the same analyser and
/// rules, then what the text proved ([`crate::diagnose::text_capture`]).
fn analyze_text(
    name: &str,
    reader: impl std::io::BufRead,
    input: InputFormat,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    progress: Option<&AtomicU64>,
) -> Result<(Timeline, ReadSummary, Option<TextSummary>), AnalyzeError> {
    let mut text = None;
    let (mut timeline, summary) = analyze_frames(name, acfg, dcfg, |analyzer| {
        let s = read_text(reader, input, |f| {
            if let Some(p) = progress {
                p.fetch_add(f.data.len() as u64, Ordering::Relaxed);
            }
            analyzer.stated_certificates(f.number, f.chains);
            analyzer.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
        })
        .map_err(|source| AnalyzeError::Text {
            path: name.to_string(),
            source,
        })?;
        let summary = ReadSummary {
            format: s.form.map_or("text capture", |f| f.as_str()),
            frames: s.frames,
            ..ReadSummary::default()
        };
        text = Some(s);
        Ok(summary)
    })?;
    let text = text.unwrap_or_default();
    timeline.stats.reading.time_base = match (&text.anchored_by, text.no_times) {
        (_, true) => TimeBase::NoTimes,
        (Some(_), false) => TimeBase::Dated,
        (None, false) if text.undated_time_of_day => TimeBase::UndatedTimeOfDay,
        (None, false) => TimeBase::RelativeToFirst,
    };
    crate::diagnose::text_capture::apply(&mut timeline, &text);
    Ok((timeline, summary, Some(text)))
}

/// The analyser and the rules over the frames `read` gives the analyser. Text inputs skip
/// the "no usable frame" check: a text of MAC-only lines is a capture with no IP traffic,
/// not garbage.
fn analyze_frames(
    name: &str,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    read: impl FnOnce(&mut Analyzer) -> Result<ReadSummary, AnalyzeError>,
) -> Result<(Timeline, ReadSummary), AnalyzeError> {
    let (mut analyzer, overflow) = analyzer_of(acfg, dcfg);
    let summary = read(&mut analyzer)?;
    if summary.truncated {
        analyzer.stats_mut().file_truncated = true;
    }
    let mut timeline = analyzer.finish(Source::Capture {
        files: vec![name.to_string()],
    });
    timeline.overflow = overflow.take();
    diagnose(&mut timeline, dcfg);
    Ok((timeline, summary))
}

/// Analyses one capture file. A truncated or corrupt file still gives a timeline (with a
/// `capture_truncated` warning) when at least one frame in it decoded; an unreadable or
/// non-capture file, or one with no usable frame at all, is an error.
pub fn analyze_file(
    path: &Path,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
) -> Result<(Timeline, ReadSummary), AnalyzeError> {
    analyze_file_with_progress(path, acfg, dcfg, None)
}

/// [`analyze_file`], adding the bytes of each frame read (record header included, about
/// the file offset for uncompressed files) to `progress`: the TUI's loading indicator. A
/// capture pasted as text is read too (its form detected by content).
pub fn analyze_file_with_progress(
    path: &Path,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    progress: Option<&AtomicU64>,
) -> Result<(Timeline, ReadSummary), AnalyzeError> {
    analyze_input(path, InputFormat::Auto, acfg, dcfg, progress).map(|(t, s, _)| (t, s))
}

/// A binary capture file (pcap, pcapng, gzip).
fn analyze_binary_file(
    path: &Path,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    progress: Option<&AtomicU64>,
) -> Result<(Timeline, ReadSummary), AnalyzeError> {
    let name = path.display().to_string();
    let (mut analyzer, overflow) = analyzer_of(acfg, dcfg);
    let summary = read_capture_file(path, |f| {
        if let Some(p) = progress {
            p.fetch_add(f.data.len() as u64 + 16, Ordering::Relaxed);
        }
        analyzer.frame(f.number, f.time_ns, f.linktype, f.data, f.orig_len)
    })?;
    if summary.truncated {
        analyzer.stats_mut().file_truncated = true;
    }
    let mut timeline = analyzer.finish(Source::Capture {
        files: vec![name.clone()],
    });
    let stats = &timeline.stats;
    if stats.frames == stats.frames_undecoded
        && (stats.frames > 0 || summary.truncated || summary.corrupt.is_some())
    {
        let why = match (&summary.corrupt, stats.frames) {
            (Some(why), 0) => format!("reading stopped before the first frame: {why}"),
            (None, 0) => "the file ends inside its first record".to_string(),
            (Some(why), n) => format!("none of the {n} frame(s) read decodes, then: {why}"),
            (None, n) => format!("none of the {n} frame(s) decodes"),
        };
        return Err(AnalyzeError::NoUsableFrame { path: name, why });
    }
    timeline.overflow = overflow.take();
    if summary.truncated || summary.corrupt.is_some() {
        timeline.stats.reading.cut_short = Some(CutShort {
            last_frame: summary.frames,
            corrupt: summary.corrupt.clone(),
        });
    }
    diagnose(&mut timeline, dcfg);
    Ok((timeline, summary))
}

/// The switch's texts (`--logs` without a capture) as a timeline of their own.
pub struct LogsOnly {
    pub timeline: Timeline,
    /// Some configuration or status command was read (not only log lines).
    pub config_read: bool,
}

/// `--logs` alone: every command's output is read (configuration and status too), each
/// rule on the commands it needs. No year is invented for stamps printed without one (not
/// this host's clock's): they stay undated, in the order printed.
pub fn logs_timeline(inputs: &[(String, Vec<u8>)]) -> Result<LogsOnly, crate::ios::IosTextError> {
    let files: Vec<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
    let mut t = Timeline::empty(Source::Logs { files });
    let text =
        crate::ios::read_switch_text(inputs, None, &crate::ios::plan::InterfaceMap::default())?;
    let mut log = text.log;
    for e in &mut log.entries {
        e.time_ns = e.switch_time_ns;
    }
    t.start_ns = log.entries.iter().filter_map(|e| e.time_ns).min();
    t.end_ns = log.entries.iter().filter_map(|e| e.time_ns).max();
    t.findings = crate::diagnose::logs::text_findings(&text.config, &text.plan, &log);
    t.switch_log = Some(log);
    Ok(LogsOnly {
        timeline: t,
        config_read: !text.config.commands.is_empty(),
    })
}

/// `--logs` with a capture: the switch's logs lined up with the capture's connections
/// (`clock_offset_ns`: the switch clock minus the capture's, estimated when `None`).
/// Year-less stamps are dated by the capture (flagged as inferred), its year taken from
/// the capture's first frame.
pub fn add_logs(t: &mut Timeline, inputs: &[(String, Vec<u8>)], clock_offset_ns: Option<i64>) {
    let year = t.start_ns.and_then(crate::model::time::year_of_ns);
    let mut log = crate::ios::logs::read_logs(inputs, year);
    crate::diagnose::logs::correlate(&mut log, t, clock_offset_ns);
    t.findings.extend(crate::diagnose::logs::log_findings(&log));
    t.switch_log = Some(log);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::tests::{SYN, tcp};
    use crate::model::trust::TrustProfile;
    use crate::report::{json, text};
    use std::path::PathBuf;

    fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
        // One second apart: an unanswered SYN is a timeout, not a capture that ended.
        crate::capture::testing::pcap(1_700_000_000, 1_000_000, frames)
    }

    fn file(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("licpath-pipeline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn run(path: &Path, all: bool) -> Result<Timeline, AnalyzeError> {
        let dcfg = DiagnoseConfig {
            now_unix: 1_790_000_000,
            trust: TrustProfile::ios_xe(None),
            judge_all_chains: false,
            ca_file: None,
            revocation_checked_by: None,
        };
        let acfg = AnalyzeConfig {
            all,
            ..AnalyzeConfig::default()
        };
        analyze_file(path, &acfg, &dcfg).map(|(t, _)| t)
    }

    /// `n` unanswered SYNs to a CSLU port (licensing by port: each is a tcp_timeout error)
    /// and `others` to a web server.
    fn syns(n: u16, others: u16) -> Vec<Vec<u8>> {
        let to = |port, i: u16| {
            tcp(
                [10, 0, (i >> 8) as u8, i as u8],
                30000,
                [192, 0, 2, 1],
                port,
                1,
                SYN,
                b"",
            )
        };
        (0..n)
            .map(|i| to(8182, i))
            .chain((0..others).map(|i| to(443, i)))
            .collect()
    }

    #[test]
    fn a_file_cut_inside_a_record_says_where() {
        let mut bytes = pcap(&syns(3, 0));
        bytes.truncate(bytes.len() - 10);
        let t = run(&file("cut.pcap", &bytes), false).unwrap();
        let f = t
            .findings
            .iter()
            .find(|f| f.code == FindingCode::CaptureTruncated)
            .expect("capture_truncated");
        assert_eq!(
            (f.severity, f.step, f.confidence),
            (Severity::Warning, Step::Capture, Confidence::Certain)
        );
        assert_eq!(f.summary, "the file ends inside a record after frame 2");
        assert!(f.explanation.starts_with("The capture file is cut short"));
        assert_eq!(f.remediation.len(), 1);
        assert!(f.remediation[0].starts_with("monitor capture NAME export"));
        assert_eq!(
            f.evidence,
            [Evidence::frame(
                2,
                t.end_ns.unwrap_or(0),
                "last complete frame"
            )]
        );
    }

    #[test]
    fn text_and_json_count_the_same_errors_past_the_display_cap() {
        let t = run(&file("cap.pcap", &pcap(&syns(1_200, 0))), false).unwrap();
        assert_eq!(t.connections.len(), crate::flow::MAX_SHOWN_CONNECTIONS);
        assert_eq!(t.error_count(), 1_200);
        let mut out = Vec::new();
        json::write_json(
            &mut out,
            "analyze",
            crate::model::EndReason::Completed,
            vec![json::report("f", "pcap", &t)],
            None,
        )
        .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["reports"][0]["errors"], 1_200);
        let mut out = Vec::new();
        text::write_text(&mut out, "f", "pcap", &t, text::Color::Never).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("(1200 errors, 0 warnings)"), "{out}");
        assert!(
            out.contains("... and 200 more licensing connections past the display cap"),
            "{out}"
        );
    }

    /// Issue 23 item 5: the connections kept for display hold at most
    /// `MAX_KEPT_EVENTS` events in all; the rest are diagnosed and counted like those
    /// past the 1,000 (200 connections of 600 SYNs each kept 102,400 events).
    #[test]
    fn the_kept_connections_hold_a_bounded_number_of_events() {
        let frames: Vec<Vec<u8>> = (0..200u16)
            .flat_map(|i| {
                (0..600).map(move |_| {
                    tcp(
                        [10, 1, (i >> 8) as u8, i as u8],
                        30000,
                        [192, 0, 2, 1],
                        8182,
                        1,
                        SYN,
                        b"",
                    )
                })
            })
            .collect();
        let t = run(&file("events.pcap", &pcap(&frames)), false).unwrap();
        let kept: usize = t.connections.iter().map(|c| c.events.len()).sum();
        assert!(kept <= crate::flow::MAX_KEPT_EVENTS, "{kept} events kept");
        assert!(t.connections.len() >= 100, "{}", t.connections.len());
        assert_eq!(t.connections.len() as u64 + t.overflow.connections, 200);
    }

    #[test]
    fn with_all_the_connections_past_the_cap_are_not_called_licensing() {
        let t = run(&file("cap-all.pcap", &pcap(&syns(1_100, 300))), true).unwrap();
        assert_eq!((t.overflow.connections, t.overflow.licensing), (400, 100));
        let mut out = Vec::new();
        text::write_text(&mut out, "f", "pcap", &t, text::Color::Never).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("... and 400 more connections (100 licensing) past the display cap"),
            "{out}"
        );
    }

    #[test]
    fn random_bytes_after_a_pcap_magic_are_no_capture() {
        let mut bytes = pcap(&[]);
        let mut x: u32 = 0x1234_5678;
        bytes.extend((0..4096).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        let e = run(&file("random.pcap", &bytes), false).unwrap_err();
        assert!(matches!(e, AnalyzeError::NoUsableFrame { .. }), "{e:?}");
        assert!(
            e.to_string().contains("random.pcap: no usable frame: "),
            "{e}"
        );
        // A header and nothing else is an empty capture, not an unusable one.
        let t = run(&file("header-only.pcap", &pcap(&[])), false).unwrap();
        assert_eq!(t.stats.frames, 0);
        // Frames that do not decode, however many, are no capture either.
        let e = run(
            &file("garbage.pcap", &pcap(&[vec![0xff; 10], vec![1, 2, 3]])),
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string().ends_with("none of the 2 frame(s) decodes"),
            "{e}"
        );
    }
}
