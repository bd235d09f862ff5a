//! The engine against `analyze`: the lab captures fed frame by frame give, per
//! connection and per name, the verdict and primary code `analyze` gives the whole file.

use super::*;
use crate::model::trust::TrustProfile;
use crate::pipeline::analyze_file;
use std::path::Path;

fn dcfg() -> DiagnoseConfig {
    DiagnoseConfig {
        now_unix: 1_796_000_000,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    }
}

fn config() -> WatchConfig {
    WatchConfig {
        acfg: AnalyzeConfig::default(),
        dcfg: dcfg(),
        retirement: WATCH_RETIREMENT,
        max_switches: 8,
        names: HashMap::new(),
    }
}

/// Every frame of `path` into a fresh engine, the clock moved on a minute, then the end:
/// the attempts judged while the capture went on, and those judged at its end.
fn watch_file(path: &Path) -> (Vec<Attempt>, Vec<Attempt>) {
    let mut e = Engine::new(config());
    e.file_started(&path.display().to_string());
    let mut during = Vec::new();
    let mut last = 0;
    crate::capture::read_capture_file(path, |f| {
        last = f.time_ns;
        e.frame(
            WatchFrame {
                number: f.number,
                time_ns: f.time_ns,
                linktype: f.linktype,
                data: f.data,
                orig_len: f.orig_len,
            },
            &mut during,
        );
    })
    .unwrap();
    e.advance(last + 2_000_000_000, &mut during);
    let mut at_end = Vec::new();
    e.end_capture(&mut at_end);
    (during, at_end)
}

fn captures(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

#[test]
fn a_closed_connection_is_judged_before_the_capture_ends() {
    let (during, at_end) = watch_file(&captures("healthy-proxy.pcap"));
    assert_eq!(during.len(), 1, "{during:?} / {at_end:?}");
    let a = &during[0];
    assert_eq!(a.kind, AttemptKind::Connection);
    assert_eq!(a.verdict, OverallVerdict::Ok);
    assert_eq!(
        a.target,
        "smartreceiver.cisco.com:443 via 198.51.100.3:3128"
    );
    assert_eq!(a.switch, "198.51.100.10".parse::<IpAddr>().unwrap());
    assert!(at_end.is_empty(), "{at_end:?}");
}

/// What analyze says of each licensing connection (by client and start) and each name.
fn analyze_says(path: &Path) -> (Vec<(String, OverallVerdict, Option<FindingCode>)>, Timeline) {
    let (t, _) = analyze_file(path, &AnalyzeConfig::default(), &dcfg()).unwrap();
    let conns = t
        .connections
        .iter()
        .filter(|c| c.licensing && !c.revocation)
        .map(|c| {
            let v = match c.verdict {
                Verdict::Ok => OverallVerdict::Ok,
                Verdict::Failed => OverallVerdict::Failed,
                Verdict::Unknown => OverallVerdict::Inconclusive,
            };
            (format!("{} {}", c.client, c.start_ns), v, c.primary)
        })
        .collect();
    (conns, t)
}

#[test]
fn every_lab_capture_gets_the_verdicts_analyze_gives() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() > 40);
    let mut mismatches = Vec::new();
    let (mut compared, mut names) = (0, 0);
    for path in &files {
        let (during, at_end) = watch_file(path);
        let all: Vec<&Attempt> = during.iter().chain(&at_end).collect();
        let (conns, t) = analyze_says(path);
        let watched: Vec<(String, OverallVerdict, Option<FindingCode>)> = all
            .iter()
            .filter(|a| a.kind == AttemptKind::Connection)
            .map(|a| (format!("{} {}", a.switch, a.start_ns), a.verdict, a.primary))
            .collect();
        compared += conns.len();
        for c in &conns {
            let key_ip =
                c.0.rsplit_once(':')
                    .map(|(ip, _)| ip.to_string())
                    .unwrap_or_default();
            let start =
                c.0.rsplit_once(' ')
                    .map(|(_, s)| s.to_string())
                    .unwrap_or_default();
            let found = watched.iter().find(|w| {
                w.0 == format!(
                    "{} {start}",
                    key_ip.trim_start_matches('[').trim_end_matches(']')
                )
            });
            match found {
                Some(w) if w.1 == c.1 && w.2 == c.2 => {}
                other => mismatches.push(format!(
                    "{}: analyze {c:?}, watch {other:?}",
                    path.display()
                )),
            }
        }
        // Names: analyze's DNS error findings against watch's failed lookups.
        let dns_errors: Vec<FindingCode> = t
            .findings
            .iter()
            .filter(|f| f.step == Step::Dns && f.severity == Severity::Error)
            .map(|f| f.code)
            .collect();
        let mut watched_dns: Vec<FindingCode> = all
            .iter()
            .filter(|a| a.kind == AttemptKind::Dns && a.verdict == OverallVerdict::Failed)
            .filter_map(|a| a.primary)
            .collect();
        watched_dns.dedup();
        let mut want = dns_errors.clone();
        want.dedup();
        names += want.len();
        if want != watched_dns {
            mismatches.push(format!(
                "{}: DNS analyze {want:?}, watch {watched_dns:?}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        compared > 40 && names > 5,
        "{compared} connections, {names} names"
    );
}
