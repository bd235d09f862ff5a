//! `watch --textfile-dir` (src/report/prometheus.rs `write_watch_prometheus`, through the
//! atomic writer src/outfile.rs) on arbitrary attempts: switch names and targets are the
//! network's and the switch texts', so arbitrary strings. No panic; the committed file is
//! the only name in its directory; it is what node_exporter's textfile collector accepts:
//! UTF-8, every family's HELP then TYPE once, its samples right after, every sample
//! `name{k="v",...} value` with an escaped label value of at most MAX_LABEL_CHARS
//! characters and no control character, a finite value, no series twice.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use licpath::diagnose::verdict::OverallVerdict;
use licpath::model::FindingCode;
use licpath::outfile::OutputFile;
use licpath::report::prometheus::{MAX_LABEL_CHARS, write_watch_prometheus};
use licpath::watch::{Attempt, AttemptKind, Switches};
use std::collections::HashSet;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("licpath-fuzz-textfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fn attempt(u: &mut Unstructured) -> Result<Attempt> {
    Ok(Attempt {
        kind: if u.arbitrary()? { AttemptKind::Connection } else { AttemptKind::Dns },
        start_ns: u.arbitrary()?,
        duration_ns: 0,
        switch: IpAddr::V4(Ipv4Addr::from(u.int_in_range(0..=3u32)?)),
        switch_name: u.arbitrary()?,
        target: u.arbitrary()?,
        verdict: *u.choose(&[OverallVerdict::Ok, OverallVerdict::Failed, OverallVerdict::Inconclusive, OverallVerdict::NoLicensingTraffic])?,
        primary: if u.arbitrary()? { Some(*u.choose(FindingCode::ALL)?) } else { None },
        summary: u.arbitrary()?,
        frames: Vec::new(),
        findings: Vec::new(),
        connection: None,
        lookups: Vec::new(),
    })
}

/// The label set `{...}` from its start: each value unescaped is checked; the rest of the
/// line after the closing brace.
fn labels(s: &str) -> &str {
    let mut rest = s;
    loop {
        let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("label without =\": {s:?}"));
        assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "label name {key:?}");
        let mut chars = after.char_indices();
        let mut n = 0;
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let (_, e) = chars.next().expect("escape at the end");
                    assert!(matches!(e, '\\' | '"' | 'n'), "escape \\{e} in {s:?}");
                }
                Some((i, '"')) => break i,
                Some((_, c)) => assert!(!c.is_control(), "control {c:?} in {s:?}"),
                None => panic!("unclosed label value: {s:?}"),
            }
            n += 1;
        };
        assert!(n <= MAX_LABEL_CHARS, "label value of {n} characters");
        match after[end + 1..].split_at_checked(1) {
            Some((",", r)) => rest = r,
            Some(("}", r)) => return r,
            _ => panic!("after a label value: {s:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(max) = u.int_in_range(0..=6usize) else {
        return;
    };
    let drops: Option<(u64, u64)> = u.arbitrary().unwrap_or_default();
    let mut switches = Switches::new(max);
    for _ in 0..64 {
        match attempt(&mut u) {
            Ok(a) => switches.record(&a),
            Err(_) => break,
        }
    }
    let path = scratch().join("licpath-watch.prom");
    let mut out = OutputFile::create(&path, &[]).unwrap();
    let written = write_watch_prometheus(&mut out, &switches, drops).unwrap();
    out.flush().unwrap();
    out.commit().unwrap();
    let names: Vec<_> = std::fs::read_dir(scratch()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, ["licpath-watch.prom"]);
    let text = String::from_utf8(std::fs::read(&path).unwrap()).expect("UTF-8");
    assert!(text.ends_with('\n'));
    let (mut families, mut series, mut samples) = (HashSet::new(), HashSet::new(), 0);
    let mut family: Option<&str> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("# HELP ") {
            let name = h.split_once(' ').unwrap().0;
            assert!(families.insert(name), "family {name} twice");
            let ty = lines.next().unwrap();
            assert!(ty == format!("# TYPE {name} gauge") || ty == format!("# TYPE {name} counter"), "{ty:?}");
            family = Some(name);
            continue;
        }
        let name = family.expect("a sample before any HELP");
        let rest = line.strip_prefix(name).unwrap_or_else(|| panic!("{line:?} in family {name}"));
        let value = match rest.strip_prefix('{') {
            Some(l) => labels(l),
            None => rest,
        };
        let value = value.strip_prefix(' ').unwrap_or_else(|| panic!("{line:?}"));
        assert!(value.parse::<f64>().is_ok_and(f64::is_finite), "{line:?}");
        assert!(series.insert(&line[..line.len() - value.len()]), "series twice: {line:?}");
        samples += 1;
    }
    assert_eq!(written.samples, samples);
});
