//! `licpath check --from-config` over many switches (issue 18 item 1), against servers on
//! loopback: one line per switch × target named by the hostname, identical plans probed
//! once, unusable files reported one line each while the rest goes on, exit = the worst.

mod common;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn licpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .output()
        .unwrap()
}

/// A TCP server on loopback that accepts and closes every connection, counting them.
struct Counting {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Counting {
    fn start() -> Counting {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let (accepted, stop) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (a, s) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                match l.accept() {
                    Ok((c, _)) => {
                        a.fetch_add(1, Ordering::SeqCst);
                        drop(c);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        Counting {
            port,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn count(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

use common::switch_text as switch;

fn check(from: &[&Path], extra: &[&str]) -> (String, String, Option<i32>) {
    let mut args = vec![
        "check",
        "--resolve",
        "smartreceiver.cisco.com=127.0.0.1",
        "--no-revocation",
    ];
    let froms: Vec<String> = from.iter().map(|p| p.display().to_string()).collect();
    for f in &froms {
        args.extend(["--from-config", f.as_str()]);
    }
    args.extend(extra);
    let o = licpath(&args);
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

#[test]
fn a_directory_of_switches_one_line_each_identical_plans_probed_once() {
    let server = Counting::start();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // Alone, one switch's plan costs this many connections to the server.
    let one = dir("one");
    switch(&one, "sw1.txt", "sw1", server.port);
    let (out, err, code) = check(&[&one], &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    let alone = server.count();
    assert!(alone >= 1, "the probe never reached the server: {out}{err}");
    assert!(
        out.starts_with("sw1  FAIL  https://smartreceiver.cisco.com:"),
        "{out}"
    );

    // Three switches with the same plan, one with another, and two files that are not a
    // switch's text.
    let many = dir("many");
    for (f, h) in [
        ("a.txt", "core-1"),
        ("b.txt", "core-2"),
        ("c.txt", "core-3"),
    ] {
        switch(&many, f, h, server.port);
    }
    switch(&many, "d.txt", "edge-1", closed);
    std::fs::write(many.join("notes.txt"), "buy milk\n").unwrap();
    std::fs::write(many.join("zero.txt"), [0u8; 64]).unwrap();
    let (out, err, code) = check(&[&many], &["--concurrency", "2"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}{err}");
    assert!(lines[0].starts_with("core-1  FAIL  "), "{out}");
    assert!(lines[1].starts_with("core-2  FAIL  "), "{out}");
    assert!(lines[2].starts_with("core-3  FAIL  "), "{out}");
    // The three identical plans share one probe: the same line after the name.
    let rest = |l: &str| l.split_once("  ").map(|(_, r)| r.to_string());
    assert_eq!(rest(lines[0]), rest(lines[1]));
    assert_eq!(rest(lines[0]), rest(lines[2]));
    assert!(lines[3].starts_with("edge-1  FAIL  "), "{out}");
    assert!(lines[3].contains("tcp_refused"), "{out}");
    // A text that is not a switch's is skipped and listed once on stderr; a binary file
    // (a switch's text gone bad?) is an ERROR line on stderr in text mode.
    let err_lines: Vec<&str> = err.lines().collect();
    assert!(
        err_lines.iter().any(
            |l| l.starts_with("licpath: skipped 1 file(s) that are not switch text: notes.txt")
        ),
        "{err}"
    );
    assert!(
        err_lines
            .iter()
            .any(|l| l.starts_with("ERROR  ") && l.contains("zero.txt") && l.contains("binary")),
        "{err}"
    );
    assert_eq!(
        server.count(),
        2 * alone,
        "identical plans probed more than once"
    );
    // The worst line decides: an unusable file is 2.
    assert_eq!(code, Some(2), "{out}{err}");
    // Without the bad files the worst is a failure: 1; several files work like a directory.
    let (out, _, code) = check(&[&many.join("a.txt"), &many.join("d.txt")], &[]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(code, Some(1));
}

/// Issue 28 item 13: a fleet's lines are written in input order as their probes finish,
/// not held until the last probe ends (20,000 switches held every task, timeline and line:
/// 325 MB). The first switches' lines must come out while the last switch's probe still
/// waits on a server that accepted and says nothing (its TLS timeout is a minute).
#[test]
fn lines_are_written_as_probes_finish_not_held_to_the_end() {
    use std::io::BufRead;
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let d = dir("stream");
    for h in ["a1", "a2", "a3"] {
        switch(&d, &format!("{h}.txt"), h, closed);
    }
    switch(&d, "z.txt", "z-silent", silent.local_addr().unwrap().port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args([
            "check",
            "--resolve",
            "smartreceiver.cisco.com=127.0.0.1",
            "--no-revocation",
            "--tls-timeout",
            "60",
            "--concurrency",
            "4",
            "--from-config",
        ])
        .arg(&d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(l.unwrap());
        }
    });
    silent.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let held = loop {
        match silent.accept() {
            Ok((c, _)) => break Some(c),
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Err(_) => break None,
        }
    };
    assert!(held.is_some(), "the last switch's probe never connected");
    let wait = std::time::Duration::from_secs(20);
    let first: Vec<String> = (0..3).map_while(|_| rx.recv_timeout(wait).ok()).collect();
    // Now the silent server lets go: the last probe ends, and its line follows.
    drop(held);
    let code = child.wait().unwrap().code();
    reader.join().unwrap();
    let last: Vec<String> = rx.try_iter().collect();
    assert_eq!(
        first.len(),
        3,
        "no line came out while the last probe was still running: {first:?} then {last:?}"
    );
    for (l, h) in first.iter().zip(["a1", "a2", "a3"]) {
        assert!(
            l.starts_with(&format!("{h}  FAIL  ")) && l.contains("tcp_refused"),
            "{first:?}"
        );
    }
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(last[0].starts_with("z-silent  FAIL  "), "{last:?}");
    assert_eq!(code, Some(1));
}

/// Issue 28 item 13: `--plan-only` writes each switch's line before it reads the next
/// text (it held every plan: 20,000 texts took 98 MB). 2,000 texts make more lines than a
/// pipe holds, so while this test has read one line licpath is blocked writing, long
/// before the last file, which is written only then: read first, it would be missing.
#[test]
fn plan_only_reads_each_text_after_writing_the_lines_before() {
    use std::io::{BufRead, Read};
    let d = dir("plan-stream");
    let mut args: Vec<std::ffi::OsString> = vec!["check".into(), "--plan-only".into()];
    for i in 0..2000 {
        let f = format!("sw{i:04}.txt");
        switch(&d, &f, &format!("sw{i:04}"), 443);
        args.extend(["--from-config".into(), d.join(&f).into_os_string()]);
    }
    args.extend(["--from-config".into(), d.join("late.txt").into_os_string()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    switch(&d, "late.txt", "late-sw", 443);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = child.wait().unwrap().code();
    assert!(first.starts_with("sw0000  PLAN  "), "{first}");
    assert_eq!(rest.lines().count(), 2000, "{err}");
    assert!(
        rest.lines().last().unwrap().starts_with("late-sw  PLAN  "),
        "the last text was read before the first lines were written: {err}"
    );
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn many_configs_are_for_check_only() {
    let d = dir("probe");
    switch(&d, "a.txt", "a", 1);
    let o = licpath(&["probe", "--from-config", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("go with check"));
    let o = licpath(&["check", "--concurrency", "0", "smart"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The dry run an operator starts with: `check --plan-only` over a directory probes
/// nothing and prints one line per switch; files that are not switch text are skipped and
/// listed once; a configuration error fails it (1); an unusable entry is 2.
#[test]
fn plan_only_over_a_directory_is_a_dry_run() {
    let d = dir("dry");
    switch(&d, "a.txt", "core-1", 1);
    std::fs::write(
        d.join("b.txt"),
        "hostname edge-1\n!\nlicense smart transport off\n",
    )
    .unwrap();
    std::fs::write(d.join("README.md"), "# switch texts\n").unwrap();
    std::fs::write(d.join("inventory.json"), "{\"switches\": 2}\n").unwrap();
    let o = licpath(&["check", "--plan-only", "--from-config", d.to_str().unwrap()]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(
        out.lines()
            .any(|l| l
                .starts_with("core-1  PLAN  transport smart: https://smartreceiver.cisco.com:1/")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("edge-1  FAIL  configuration: ")
                && l.contains("config_transport_off")),
        "{out}"
    );
    let skipped: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skipped.len(), 1, "{err}");
    assert!(
        skipped[0].contains("2 file(s)")
            && skipped[0].contains("README.md")
            && skipped[0].contains("inventory.json"),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    // --glob picks the files by name: only a.txt, which is healthy: exit 0.
    let o = licpath(&[
        "check",
        "--plan-only",
        "--glob",
        "a.*",
        "--from-config",
        d.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    // JSON: one plan per switch, named.
    let o = licpath(&[
        "check",
        "--plan-only",
        "--json",
        "--from-config",
        d.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let switches: Vec<&str> = v["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["switch"].as_str().unwrap())
        .collect();
    assert_eq!(switches, ["core-1", "edge-1"]);
    // A FIFO in the directory is accounted for (an ERROR line on stderr, exit 2).
    #[cfg(unix)]
    {
        let fifo = d.join("c.txt");
        let ok = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let o = licpath(&["check", "--plan-only", "--from-config", d.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.lines()
                    .any(|l| l.starts_with("ERROR  ") && l.contains("c.txt")),
                "{err}"
            );
            assert_eq!(o.status.code(), Some(2));
        }
    }
}

/// The dry run over real switch texts nobody here wrote: one line per switch text, one
/// summary line for everything else, and exit 0 unless a configuration fails.
#[test]
fn plan_only_over_ios_real() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ios-real");
    let Some(shared) = Some(shared).filter(|d| d.is_dir()) else {
        eprintln!("SKIP: ../shared/ios-real absent");
        return;
    };
    let o = licpath(&[
        "check",
        "--plan-only",
        "--from-config",
        shared.to_str().unwrap(),
    ]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    let texts = std::fs::read_dir(&shared)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .count();
    let plan_lines = out.lines().filter(|l| l.contains("  PLAN  ")).count();
    assert!(plan_lines >= 10, "{out}");
    assert_eq!(
        err.lines().filter(|l| l.contains("skipped")).count(),
        1,
        "{err}"
    );
    assert!(!err.contains("ERROR"), "{err}");
    let skipped: usize = err
        .split("skipped ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    // Every file is accounted for: planned, or skipped (the .json provenance files and the
    // README among them).
    let all = std::fs::read_dir(&shared).unwrap().count();
    assert_eq!(plan_lines + skipped, all, "{texts} texts\n{out}{err}");
    let failed = out.lines().any(|l| l.contains("  FAIL  "));
    assert_eq!(
        o.status.code(),
        Some(if failed { 1 } else { 0 }),
        "{out}{err}"
    );
}

/// Issue 28 item 5: every entry of the directory is accounted for. A FIFO, a link to
/// /dev/zero and a dangling link are each an `ERROR` line and a
/// `licpath_input_unusable` sample (a switch whose file turned into one of them must not
/// vanish from monitoring), and a 2 GiB sparse file is refused by its size before a byte
/// of it is read: the run stays small and quick.
#[cfg(unix)]
#[test]
fn every_directory_entry_is_accounted_for_and_a_huge_file_is_not_read() {
    let d = dir("hostile-entries");
    let refused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    switch(&d, "a.txt", "sw-a", refused);
    assert!(
        Command::new("mkfifo")
            .arg(d.join("fifo.txt"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.txt")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling.txt")).unwrap();
    std::fs::File::create(d.join("big.txt"))
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let (out, err, code) = check(&[&d], &["--format", "prometheus"]);
    assert_eq!(code, Some(2), "{out}{err}");
    for f in ["big.txt", "dangling.txt", "fifo.txt", "zero.txt"] {
        let sample = format!(
            "licpath_input_unusable{{file=\"{}\"}} 1\n",
            d.join(f).display()
        );
        assert!(out.contains(&sample), "{f}: {out}{err}");
    }
    assert!(out.contains("licpath_success{switch=\"sw-a\""), "{out}");
    let (_, err, _) = check(&[&d], &[]);
    for f in ["big.txt", "dangling.txt", "fifo.txt", "zero.txt"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("ERROR  ") && l.contains(f)),
            "{f}: {err}"
        );
    }
    assert!(err.contains("big.txt: larger than 64 MiB"), "{err}");
    // Peak RSS: reading the sparse file's first 64 MiB costs that much.
    let time = Path::new("/usr/bin/time");
    if time.is_file() {
        let o = Command::new(time)
            .args(["-f", "rss_kb=%M"])
            .arg(env!("CARGO_BIN_EXE_licpath"))
            .args(["check", "--no-revocation", "--plan-only", "--from-config"])
            .arg(&d)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let rss: u64 = err
            .lines()
            .find_map(|l| l.strip_prefix("rss_kb="))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{err}"));
        assert!(rss < 40_000, "peak RSS {rss} kB: the 2 GiB file was read");
    } else {
        eprintln!("SKIP: /usr/bin/time is absent: peak RSS not measured");
    }
    std::fs::remove_dir_all(d).ok();
}
