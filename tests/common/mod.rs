//! Shared helpers for integration tests: run the library pipeline on a capture file.
#![allow(dead_code)]

use licpath::diagnose::DiagnoseConfig;
use licpath::flow::AnalyzeConfig;
use licpath::model::trust::TrustProfile;
use licpath::model::*;
use std::path::{Path, PathBuf};

/// Frames and pcap files built in code: the library's own test helper, included as source
/// (integration tests cannot see the library's `cfg(test)` items).
#[path = "../../src/capture/testing.rs"]
pub mod frames;

pub fn public_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} is absent (public captures are not part of a user's clone)",
            dir.display()
        );
        None
    }
}

/// Reads and analyses `path` as `licpath analyze` does (built-in IOS XE profile).
pub fn analyze_with(path: &Path, all: bool, trust: Option<TrustProfile>) -> Timeline {
    let judge_all_chains = trust.is_some();
    let cfg = DiagnoseConfig {
        now_unix: 1_790_000_000,
        trust: trust.unwrap_or_else(|| TrustProfile::ios_xe(None)),
        judge_all_chains,
        ca_file: None,
        revocation_checked_by: None,
    };
    let acfg = AnalyzeConfig {
        all,
        ..AnalyzeConfig::default()
    };
    licpath::pipeline::analyze_file(path, &acfg, &cfg)
        .expect("readable capture")
        .0
}

pub fn analyze(path: &Path) -> Timeline {
    analyze_with(path, true, None)
}

/// The capture analysed with `args` as `licpath analyze` takes them (the CLI's own flag
/// parser and setup; a `--from-config` path is relative to the repository), "now" fixed so
/// that the lab's certificates keep their verdicts. An unreadable or unusable capture is
/// the error `licpath analyze` prints (exit 2).
pub fn analyze_as_cli_args(pcap: &Path, args: &[String]) -> Result<Timeline, String> {
    use clap::Parser;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut argv = vec!["licpath".to_string(), "analyze".to_string()];
    let mut words = args.iter();
    while let Some(w) = words.next() {
        argv.push(w.to_string());
        if w == "--from-config" {
            let file = words.next().expect("--from-config FILE");
            argv.push(root.join(file).display().to_string());
        }
    }
    argv.push(pcap.display().to_string());
    let cli = licpath::cli::args::Cli::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("unsupported args: {args:?}: {e}"));
    let licpath::cli::args::Command::Analyze(a) = cli.command else {
        unreachable!("analyze")
    };
    let mut setup = licpath::cli::analyze::setup(&a).map_err(|e| e.to_string())?;
    // After the lab's captures were taken (its PKI is dated from the capture day): a
    // capture whose clock is wrong is judged against this "now".
    setup.dcfg.now_unix = 1_796_000_000;
    // The real pipeline, as `licpath analyze` runs it.
    let mut t = licpath::pipeline::analyze_file(pcap, &setup.acfg, &setup.dcfg)
        .map_err(|e| format!("{}: {e}", pcap.display()))?
        .0;
    setup.add_config(&mut t);
    Ok(t)
}

/// [`analyze_as_cli_args`] with the arguments as one string (an `.expected` file's `args`);
/// panics on an unusable capture.
pub fn analyze_as_cli(pcap: &Path, args: &str) -> Timeline {
    let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
    analyze_as_cli_args(pcap, &args).unwrap_or_else(|e| panic!("{e}"))
}

pub fn codes(t: &Timeline) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = t.all_findings().map(|f| f.code.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub fn events(c: &Connection) -> impl Iterator<Item = &EventKind> {
    c.events.iter().map(|e| &e.kind)
}

/// Non-comment rows of a zeek log, split on tabs.
pub fn zeek_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Headless Chromium with no network side channels; `what` is `--dump-dom` or
/// `--screenshot=PATH`, in a window of `window` pixels. None (with the reason printed) when Chromium is absent.
pub fn chromium(page: &Path, what: &str, profile: &Path, window: (u32, u32)) -> Option<String> {
    let bin = ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(bin) = bin else {
        eprintln!("SKIP: chromium is not installed (tests/run.sh installs Debian's chromium)");
        return None;
    };
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(what)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The width and height of a PNG, from its IHDR chunk.
pub fn png_size(b: &[u8]) -> (u32, u32) {
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Writes `dir/file`: a switch's text naming it `hostname` whose smart transport URL is
/// smartreceiver.cisco.com on `port` (tests/fleet.rs, tests/monitoring.rs).
pub fn switch_text(dir: &Path, file: &str, hostname: &str, port: u16) {
    std::fs::write(
        dir.join(file),
        format!(
            "hostname {hostname}\n!\nlicense smart transport smart\nlicense smart url smart https://smartreceiver.cisco.com:{port}/licservice/license\n"
        ),
    )
    .unwrap();
}

/// Writes `bytes` as `name` in this test process's directory for `suite` and returns the
/// path. Tests run in parallel and several write the same file: it is written aside and
/// renamed (atomic), so a reader never sees it truncated half-way through a rewrite.
pub fn tmp_file(suite: &str, name: &str, bytes: &[u8]) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("licpath-{suite}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let aside = dir.join(format!(".{name}.{n}"));
    std::fs::write(&aside, bytes).unwrap();
    let p = dir.join(name);
    std::fs::rename(&aside, &p).unwrap();
    p
}

/// `promtool check metrics` on `text`: whether it passed, and what it said. `None` (with a
/// SKIP line) when promtool is not installed.
pub fn promtool_check_metrics(text: &str) -> Option<(bool, String)> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(promtool) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    }) else {
        eprintln!("SKIP: promtool is not installed (Debian: prometheus)");
        return None;
    };
    let mut p = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let o = p.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Some((o.status.success(), said))
}

/// Every .rs file under `src/DIR` (`""` for all of src/), as (path relative to src/ with
/// `/` separators, text), in path order: the one source walker of the structure checks
/// (tests/layering.rs, tests/function_size.rs, tests/file_size.rs).
pub fn src_files(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for p in entries.flatten().map(|e| e.path()) {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src.join(dir), &mut files);
    files.sort();
    files
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let rel = p
                .strip_prefix(&src)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, text)
        })
        .collect()
}

/// A TestBackend's screen as text: one line per row, trailing blanks trimmed.
pub fn screen_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// An independent judgement of tests/judgements/ (format: its README.md), with its
/// `revised` fields in force where a later comparison corrected it.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub command: String,
    pub verdict: String,
    pub step: Option<String>,
    pub primary: Option<String>,
    pub codes: Vec<String>,
    pub absent: Vec<String>,
}

/// The judgement of `input` (`captures/NAME.pcap`, `../shared/ios-real/NAME.txt`, ...), by
/// its file name `<source>__<file>.json`; `None` when there is none.
pub fn judgement(input: &str) -> Option<Judgement> {
    let file = Path::new(input).file_name()?.to_string_lossy().to_string();
    let source = match input {
        i if i.starts_with("captures/") => "captures",
        i if i.contains("/captures/public/") => "public",
        i if i.contains("/ios-real/") => "ios-real",
        i if i.contains("/epc-real/") => "epc-real",
        _ => return None,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/judgements")
        .join(format!("{source}__{file}.json"));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).expect("judgement JSON");
    let revised = &j["revised"];
    let want = |k: &str| match revised.get(k) {
        Some(v) if revised.is_object() => v.clone(),
        _ => j[k].clone(),
    };
    let text = |v: serde_json::Value| v.as_str().map(str::to_string);
    let list = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    Some(Judgement {
        command: text(j["command"].clone()).unwrap_or_default(),
        verdict: text(want("verdict")).expect("a judged verdict"),
        step: text(want("step")),
        primary: text(want("primary")),
        codes: list(want("codes")),
        absent: list(want("absent")),
    })
}
