//! `licpath watch` as it runs: lab captures written into a growing pcap (record by record,
//! some records in two writes), into a `tcpdump -C` rotation set and into an EPC drop
//! directory, while the real binary follows them. Each licensing connection must get its
//! line, with the verdict and primary code `licpath analyze` gives the whole file. The
//! latency from a connection's last frame reaching the disk to its line is measured and
//! printed (run with --nocapture to see it; BENCHMARKS.md has the numbers), never
//! asserted tightly: the bound is a generous timeout.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_licpath");
/// Captures whose licensing connections close (FIN or RST) inside the capture.
const CAPTURES: &[&str] = &[
    "healthy-proxy",
    "ssl-interception-tls12",
    "proxy-403",
    "tls-reset-on-sni",
    "syn-rejected",
    "cslu-plain-http",
    "healthy-direct-tls13",
];
/// How long a line may take before the test gives up on it (a generous bound: the
/// measured latency is printed, not asserted).
const PATIENCE: Duration = Duration::from_secs(20);

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A capture's frames: (time in µs since its first frame, bytes, original length).
fn frames_of(name: &str) -> Vec<(i64, Vec<u8>, u32)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(format!("{name}.pcap"));
    let mut out = Vec::new();
    let mut first = None;
    licpath::capture::read_capture_file(&path, |f| {
        let t0 = *first.get_or_insert(f.time_ns);
        out.push(((f.time_ns - t0) / 1_000, f.data.to_vec(), f.orig_len));
    })
    .unwrap();
    out
}

fn pcap_header() -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(0xa1b2_c3d4_u32.to_le_bytes());
    h.extend(2_u16.to_le_bytes());
    h.extend(4_u16.to_le_bytes());
    h.extend([0u8; 8]);
    h.extend(262_144_u32.to_le_bytes());
    h.extend(1_u32.to_le_bytes());
    h
}

fn record(t_us: i64, data: &[u8], orig: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend(((t_us / 1_000_000) as u32).to_le_bytes());
    r.extend(((t_us % 1_000_000) as u32).to_le_bytes());
    r.extend((data.len() as u32).to_le_bytes());
    r.extend(orig.to_le_bytes());
    r.extend(data);
    r
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// Where each frame of the written files is and when it reached the disk.
#[derive(Default)]
struct Written {
    /// (file name, frame number in it) → when written.
    at: HashMap<(String, u64), Instant>,
}

/// Appends `capture`'s frames to `file` (created with a header if absent), stamped from
/// now on with their original spacing, pausing a little between frames; every third
/// record goes in two writes with a pause inside it (a partial record on disk).
fn append_capture(file: &Path, capture: &str, written: &mut Written, frame_no: &mut u64) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    if f.metadata().unwrap().len() == 0 {
        f.write_all(&pcap_header()).unwrap();
        f.flush().unwrap();
    }
    let base = now_us();
    let name = file.display().to_string();
    for (i, (t, data, orig)) in frames_of(capture).into_iter().enumerate() {
        let r = record(base + t, &data, orig);
        if i % 3 == 2 {
            f.write_all(&r[..10]).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(30));
            f.write_all(&r[10..]).unwrap();
        } else {
            f.write_all(&r).unwrap();
        }
        f.flush().unwrap();
        *frame_no += 1;
        written.at.insert((name.clone(), *frame_no), Instant::now());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The watch, its lines as they come (with when each came).
struct Watch {
    child: Child,
    lines: Receiver<(Instant, serde_json::Value)>,
    got: Vec<(Instant, serde_json::Value)>,
}

impl Watch {
    fn start(args: &[&str]) -> Watch {
        let mut child = Command::new(BIN)
            .arg("watch")
            .args(args)
            .args(["--format", "jsonl"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send((Instant::now(), v)).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines: rx,
            got: Vec::new(),
        }
    }

    /// Waits until `n` connection lines came (or [`PATIENCE`] passed).
    fn wait_for_connections(&mut self, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.connections().count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.got.push(l),
                Err(_) => break,
            }
        }
    }

    fn connections(&self) -> impl Iterator<Item = &(Instant, serde_json::Value)> {
        self.got.iter().filter(|(_, v)| v["kind"] == "connection")
    }

    /// SIGTERM: the watch flushes and exits 0.
    fn stop(mut self) -> Vec<(Instant, serde_json::Value)> {
        let pid = self.child.id().to_string();
        let s = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(s.success());
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "watch exits 0 on SIGTERM");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.got.push(l);
        }
        self.got
    }
}

/// `licpath analyze --json FILE`: per licensing connection (client address, start in ms)
/// → (verdict, primary code, the file's frame numbers of its events).
fn analyze(file: &Path) -> Vec<(String, i64, String, Option<String>, u64)> {
    let o = Command::new(BIN)
        .args(["analyze", "--json"])
        .arg(file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &doc["reports"][0]["timeline"];
    t["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["licensing"] == true)
        .map(|c| {
            let client: std::net::SocketAddr = c["client"].as_str().unwrap().parse().unwrap();
            let last = c["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["frame"].as_u64())
                .max()
                .unwrap();
            (
                client.ip().to_string(),
                c["start_ns"].as_i64().unwrap() / 1_000_000,
                c["verdict"].as_str().unwrap().to_string(),
                c["primary"].as_str().map(str::to_string),
                last,
            )
        })
        .collect()
}

/// Each connection `analyze` finds in `file` has one line with its verdict and primary
/// code; returns the latencies (its last frame written → its line read).
fn compare(
    file: &Path,
    lines: &[(Instant, serde_json::Value)],
    written: &Written,
) -> Vec<Duration> {
    let name = file.display().to_string();
    let mut latencies = Vec::new();
    let want = analyze(file);
    for (client, start_ms, verdict, primary, last_frame) in want {
        let line = lines.iter().find(|(_, v)| {
            v["kind"] == "connection"
                && v["switch_address"] == client.as_str()
                && ((v["time_unix"].as_f64().unwrap() * 1000.0).round() as i64 - start_ms).abs()
                    <= 1
        });
        let Some((at, v)) = line else {
            let got: Vec<_> = lines.iter().map(|(_, v)| v.to_string()).collect();
            panic!(
                "{name}: no line for the connection of {client} at {start_ms} ms in\n{}",
                got.join("\n")
            );
        };
        let verdict = match verdict.as_str() {
            "unknown" => "inconclusive".to_string(),
            v => v.to_string(),
        };
        assert_eq!(v["verdict"], verdict.as_str(), "{name}: {v}");
        assert_eq!(
            v["primary"]["code"].as_str().map(str::to_string),
            primary,
            "{name}: {v}"
        );
        if let Some(w) = written.at.get(&(name.clone(), last_frame)) {
            latencies.push(at.saturating_duration_since(*w));
        }
    }
    latencies
}

fn report(what: &str, mut l: Vec<Duration>) {
    l.sort();
    let ms = |d: &Duration| d.as_millis();
    eprintln!(
        "watch latency ({what}): {} connections, median {} ms, max {} ms",
        l.len(),
        l.get(l.len() / 2).map_or(0, ms),
        l.last().map_or(0, ms)
    );
}

#[test]
fn a_growing_file_gets_one_line_per_connection_with_analyze_s_verdict() {
    let dir = tmp_dir("grow");
    let file = dir.join("grow.pcap");
    std::fs::write(&file, pcap_header()).unwrap();
    let w = Watch::start(&["--file", file.to_str().unwrap()]);
    let mut written = Written::default();
    let mut n = 0;
    for c in CAPTURES {
        append_capture(&file, c, &mut written, &mut n);
        std::thread::sleep(Duration::from_millis(300));
    }
    let (latencies, _) = judged_as_analyze_judges(w, &[file], &written);
    assert_eq!(latencies.len(), CAPTURES.len());
    report("growing file", latencies);
}

/// Waits for the lines of every connection `analyze` finds in `files`, stops the watch,
/// and checks each line against `analyze` (one line per connection); the latencies.
fn judged_as_analyze_judges(
    mut w: Watch,
    files: &[PathBuf],
    written: &Written,
) -> (Vec<Duration>, Vec<(Instant, serde_json::Value)>) {
    let want: usize = files.iter().map(|f| analyze(f).len()).sum();
    w.wait_for_connections(want);
    let lines = w.stop();
    let mut latencies = Vec::new();
    for f in files {
        latencies.extend(compare(f, &lines, written));
    }
    let conns = lines
        .iter()
        .filter(|(_, v)| v["kind"] == "connection")
        .count();
    assert_eq!(conns, want, "one line per connection, each file read once");
    (latencies, lines)
}

#[test]
fn a_rotation_set_is_read_in_order_and_each_file_once() {
    let dir = tmp_dir("rotate");
    let base = dir.join("cap.pcap");
    let w = Watch::start(&["--file", base.to_str().unwrap()]);
    let mut written = Written::default();
    let mut files = Vec::new();
    for (i, c) in CAPTURES.iter().take(4).enumerate() {
        // tcpdump -C: cap.pcap, cap.pcap1, cap.pcap2...
        let f = match i {
            0 => base.clone(),
            i => dir.join(format!("cap.pcap{i}")),
        };
        let mut n = 0;
        append_capture(&f, c, &mut written, &mut n);
        files.push(f);
        std::thread::sleep(Duration::from_millis(400));
    }
    let (latencies, _) = judged_as_analyze_judges(w, &files, &written);
    report("rotation set", latencies);
}

#[test]
fn an_epc_drop_directory_reads_each_export_as_a_capture() {
    let dir = tmp_dir("drop");
    let w = Watch::start(&["--dir", dir.to_str().unwrap()]);
    let mut written = Written::default();
    let mut files = Vec::new();
    for (i, c) in ["dns-nxdomain", "healthy-proxy", "proxy-403"]
        .iter()
        .enumerate()
    {
        // Exported aside, then renamed into place (as docs/watch.md says to drop files).
        let part = dir.join(format!("epc-{i}.pcap.part"));
        let f = dir.join(format!("epc-{i}.pcap"));
        let mut n = 0;
        let mut w_part = Written::default();
        append_capture(&part, c, &mut w_part, &mut n);
        std::fs::rename(&part, &f).unwrap();
        let landed = Instant::now();
        for frame in 1..=n {
            written.at.insert((f.display().to_string(), frame), landed);
        }
        files.push(f);
        std::thread::sleep(Duration::from_millis(300));
    }
    let (latencies, lines) = judged_as_analyze_judges(w, &files, &written);
    // The lookup of the first export is judged with it.
    let dns: Vec<_> = lines.iter().filter(|(_, v)| v["kind"] == "dns").collect();
    assert!(
        dns.iter()
            .any(|(_, v)| v["verdict"] == "failed" && v["primary"]["code"] == "dns_nxdomain"),
        "{dns:?}"
    );
    report("EPC drop directory (from the rename)", latencies);
}

#[test]
fn a_capture_that_cannot_be_opened_is_one_line_and_exit_2() {
    let o = Command::new(BIN)
        .args(["watch", "--dir", "/nonexistent/licpath-watch"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/licpath-watch"), "{err}");
    let dir = tmp_dir("unreadable");
    let f = dir.join("x.pcap");
    std::fs::write(&f, b"").unwrap();
    let o = Command::new(BIN)
        .args(["watch", "--file", "/nonexistent/dir/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    // A missing interface (or a build without live capture, which says how to do without).
    let o = Command::new(BIN)
        .args(["watch", "--interface", "licpath-nonexistent0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("licpath-nonexistent0"), "{err}");
}

/// A --textfile-dir that is not there is refused at start in the flag's own words, not by
/// the name of a temporary file licpath tried to create in it.
#[test]
fn a_textfile_dir_that_is_not_there_is_one_line_naming_the_flag() {
    let dir = tmp_dir("textfile-missing");
    let capture = dir.join("x.pcap");
    std::fs::write(&capture, pcap_header()).unwrap();
    let missing = dir.join("no-such-dir");
    let o = Command::new(BIN)
        .args(["watch", "--file"])
        .arg(&capture)
        .arg("--textfile-dir")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--textfile-dir"), "{err}");
    assert!(err.contains(&*missing.to_string_lossy()), "{err}");
    assert!(err.contains("existing directory"), "{err}");
    assert!(!err.contains(".tmp"), "a temporary file's name: {err}");
}

#[test]
fn the_textfile_names_switches_by_hostname_and_passes_promtool() {
    let dir = tmp_dir("metrics");
    let prom = dir.join("prom");
    std::fs::create_dir_all(&prom).unwrap();
    let config = dir.join("sw1.txt");
    std::fs::write(
        &config,
        "hostname access-sw1\n!\ninterface Vlan10\n ip address 198.51.100.10 255.255.255.0\n!\n\
         ip name-server 198.51.100.53\nlicense smart transport smart\n\
         license smart url smart https://smartreceiver.cisco.com/licservice/license\n",
    )
    .unwrap();
    let file = dir.join("grow.pcap");
    std::fs::write(&file, pcap_header()).unwrap();
    let mut w = Watch::start(&[
        "--file",
        file.to_str().unwrap(),
        "--from-config",
        config.to_str().unwrap(),
        "--textfile-dir",
        prom.to_str().unwrap(),
        "--interval",
        "1",
    ]);
    let (mut written, mut n) = (Written::default(), 0);
    for c in ["healthy-proxy", "proxy-403", "syn-rejected"] {
        append_capture(&file, c, &mut written, &mut n);
    }
    w.wait_for_connections(3);
    std::thread::sleep(Duration::from_millis(1500));
    let text = std::fs::read_to_string(prom.join("licpath-watch.prom")).unwrap();
    let lines = w.stop();
    assert!(
        lines
            .iter()
            .all(|(_, v)| v["switch"] == "access-sw1" && v["switch_address"] == "198.51.100.10"),
        "{lines:?}"
    );
    for want in [
        "# TYPE licpath_watch_attempts_total counter",
        // 3 connections, the lookup of smartreceiver (answered) and one of proxy.lab that
        // the configured name server failed (licensing DNS by the configuration).
        "licpath_watch_attempts_total{switch=\"access-sw1\"} 5",
        "licpath_watch_failures_total{switch=\"access-sw1\",code=\"dns_servfail\"} 1",
        "licpath_watch_failures_total{switch=\"access-sw1\",code=\"proxy_denied\"} 1",
        "licpath_watch_failures_total{switch=\"access-sw1\",code=\"tcp_refused\"} 1",
        "# TYPE licpath_watch_last_success_timestamp_seconds gauge",
        "licpath_success{switch=\"access-sw1\",target=\"smartreceiver.cisco.com:443 via 198.51.100.3:3128\"} 1",
        "licpath_verdict{switch=\"access-sw1\",target=\"smartreceiver.cisco.com:443 via 198.51.100.3:3128\",verdict=\"ok\"} 1",
    ] {
        assert!(text.contains(want), "{want} not in\n{text}");
    }
    // After the stop the file holds the final state too; no temporary file is left.
    let left: Vec<_> = std::fs::read_dir(&prom)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["licpath-watch.prom"], "{left:?}");
    if let Some((ok, said)) = common::promtool_check_metrics(&text) {
        assert!(
            ok && said.is_empty(),
            "promtool check metrics: {said}\n{text}"
        );
    }
}

#[test]
fn a_file_replaced_or_cut_is_followed_anew() {
    let dir = tmp_dir("replace");
    let file = dir.join("cap.pcap");
    std::fs::write(&file, pcap_header()).unwrap();
    let mut w = Watch::start(&["--file", file.to_str().unwrap()]);
    let (mut written, mut n) = (Written::default(), 0);
    append_capture(&file, "healthy-proxy", &mut written, &mut n);
    w.wait_for_connections(1);
    // tcpdump restarted: a new file under the same name.
    let fresh = dir.join("fresh.tmp");
    std::fs::write(&fresh, pcap_header()).unwrap();
    append_capture(&fresh, "proxy-403", &mut written, &mut n);
    std::fs::rename(&fresh, &file).unwrap();
    w.wait_for_connections(2);
    // Cut back to its header (truncated in place), then written again.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(24)
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    append_capture(&file, "syn-rejected", &mut written, &mut n);
    w.wait_for_connections(3);
    let lines = w.stop();
    let codes: Vec<_> = lines
        .iter()
        .filter(|(_, v)| v["kind"] == "connection")
        .map(|(_, v)| v["primary"]["code"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(codes, ["-", "proxy_denied", "tcp_refused"], "{lines:?}");
}

/// A site defaults file's `format = "json"` (what analyze and check take) gives watch its
/// JSON form, one object per line, instead of exit 2; `--format json` the same.
#[test]
fn a_site_format_of_json_is_jsonl_for_watch() {
    let dir = tmp_dir("site-json");
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "format = \"json\"\n").unwrap();
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/proxy-403.pcap");
    let runs: [&[&str]; 2] = [
        &["--config", cfg.to_str().unwrap(), "watch", "--file", "-"],
        &["watch", "--format", "json", "--file", "-"],
    ];
    for args in runs {
        let o = Command::new(BIN)
            .args(args)
            .stdin(std::fs::File::open(&cap).unwrap())
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert!(lines.iter().all(|v| v["command"] == "watch"), "{out}");
        assert!(
            lines
                .iter()
                .any(|v| v["kind"] == "connection" && v["primary"]["code"] == "proxy_denied"),
            "{args:?}: {out}"
        );
    }
}
