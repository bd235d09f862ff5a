//! Real outputs validated against the committed JSON Schemas of docs/schema/ (generated
//! from the serde types by `cargo test --lib schema`, which fails when they drift): the
//! JSON report and JSON lines of every capture of captures/ (and ../shared's public
//! captures and EPC text captures when there), `--logs` and `--plan-only` of every switch
//! text of tests/data/ios (and ../shared/ios-real), a capture with the switch's context
//! and logs, `probe` and `check` against servers on loopback, and `watch` reading
//! captures. Every object of the schemas refuses properties it does not name, so a field
//! renamed in a type, or one an output carries that the schema does not know, fails here.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const REPORT: &str = "licpath-report.schema.json";
const LINE: &str = "licpath-report-line.schema.json";
const PLAN: &str = "licpath-plan.schema.json";
const WATCH: &str = "licpath-watch-line.schema.json";

/// The committed schema `file`, itself valid JSON Schema (2020-12), as a validator.
fn validator(file: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{file} is no valid JSON Schema: {e}");
    }
    jsonschema::validator_for(&schema).unwrap()
}

/// What the outputs were checked against, and how many were valid.
struct Checker {
    schemas: Vec<(&'static str, jsonschema::Validator)>,
    valid: Mutex<Vec<(&'static str, String)>>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            schemas: [REPORT, LINE, PLAN, WATCH]
                .into_iter()
                .map(|f| (f, validator(f)))
                .collect(),
            valid: Mutex::new(Vec::new()),
        }
    }

    /// `doc` is valid against `schema`, or the test fails naming `what` and the first
    /// errors with where they are.
    fn check(&self, schema: &'static str, what: &str, doc: &Value) {
        let (_, v) = self.schemas.iter().find(|(f, _)| *f == schema).unwrap();
        let errors: Vec<String> = v
            .iter_errors(doc)
            .take(5)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: not valid against docs/schema/{schema}:\n{}",
            errors.join("\n")
        );
        self.valid.lock().unwrap().push((schema, what.to_string()));
    }

    /// What `licpath ARGS` prints (stdin from `input`, if any) is valid against `schema`.
    fn run(&self, schema: &'static str, args: &[&str], input: Option<&Path>, shape: Shape) {
        let what = format!("licpath {}", args.join(" "));
        let stdout = licpath(args, input);
        if stdout.is_empty() && shape == Shape::DocumentIfAny {
            return;
        }
        assert!(!stdout.trim().is_empty(), "{what}: printed nothing");
        let docs: Vec<&str> = if shape == Shape::Lines {
            stdout.lines().collect()
        } else {
            vec![&stdout]
        };
        for (i, d) in docs.iter().enumerate() {
            let doc: Value = serde_json::from_str(d)
                .unwrap_or_else(|e| panic!("{what}: output {i} is no JSON ({e}): {d}"));
            self.check(schema, &format!("{what} (output {i})"), &doc);
        }
    }

    fn count(&self, schema: &str) -> usize {
        let valid = self.valid.lock().unwrap();
        valid.iter().filter(|(s, _)| *s == schema).count()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// One document.
    Document,
    /// One document, or nothing (an input refused: the exit code and stderr say why).
    DocumentIfAny,
    /// One document per line.
    Lines,
}
use Shape::*;

fn licpath(args: &[&str], input: Option<&Path>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(path) = input {
        let bytes = std::fs::read(path).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || stdin.write_all(&bytes));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The files of `dir` whose names end in one of `exts`, sorted; none when `dir` is absent.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            exts.iter().any(|x| name.ends_with(x))
        })
        .collect();
    out.sort();
    out
}

/// `jobs` run in two threads (the machine is shared; each job is a licpath process).
fn in_parallel(jobs: Vec<Box<dyn Fn() + Send + Sync + '_>>) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    job();
                }
            });
        }
    });
}

#[test]
fn every_capture_report_and_line_is_valid() {
    let c = Checker::new();
    let exts = [".pcap", ".pcapng", ".cap", ".gz"];
    let mut captures = files(&repo("captures"), &exts);
    captures.extend(files(&repo("../shared/captures/public"), &exts));
    let mut jobs: Vec<Box<dyn Fn() + Send + Sync>> = Vec::new();
    for f in &captures {
        let f = f.to_str().unwrap();
        let c = &c;
        jobs.push(Box::new(move || {
            c.run(REPORT, &["analyze", "--json", f], None, Document);
            c.run(REPORT, &["analyze", "--json", "--all", f], None, Document);
            c.run(LINE, &["analyze", "--format", "jsonl", f], None, Lines);
        }));
    }
    // Captures pasted as text (EPC outputs; status outputs that hold no packets are refused
    // without a document).
    for f in files(&repo("../shared/epc-real"), &[".txt"]) {
        let c = &c;
        jobs.push(Box::new(move || {
            let args = ["analyze", "--json", f.to_str().unwrap()];
            c.run(REPORT, &args, None, DocumentIfAny);
        }));
    }
    in_parallel(jobs);
    println!(
        "{} capture reports, {} JSON lines valid ({} captures)",
        c.count(REPORT),
        c.count(LINE),
        captures.len()
    );
    assert!(c.count(REPORT) >= 2 * captures.len() && captures.len() >= 40);
}

#[test]
fn every_switch_text_and_context_report_and_plan_is_valid() {
    let c = Checker::new();
    let mut texts = files(&repo("tests/data/ios"), &[".txt"]);
    texts.extend(files(&repo("../shared/ios-real"), &[".txt"]));
    let mut jobs: Vec<Box<dyn Fn() + Send + Sync>> = Vec::new();
    for f in &texts {
        let f = f.to_str().unwrap();
        let c = &c;
        jobs.push(Box::new(move || {
            c.run(REPORT, &["analyze", "--json", "--logs", f], None, Document);
            // One text: the report document with `plan` (several: the plan document);
            // nothing from a text that gives no plan.
            let plan = ["check", "--plan-only", "--json", "--from-config", f];
            c.run(REPORT, &plan, None, DocumentIfAny);
        }));
    }
    in_parallel(jobs);
    let config = repo("captures/proxy-port-closed-config.show-run.txt");
    let capture = repo("captures/proxy-port-closed-config.pcap");
    let logs = repo("tests/data/ios/show-logging-17.9-flapping.txt");
    let (config, capture, logs) = (
        config.to_str().unwrap(),
        capture.to_str().unwrap(),
        logs.to_str().unwrap(),
    );
    c.run(
        REPORT,
        &["analyze", "--json", "--from-config", config, capture],
        None,
        Document,
    );
    c.run(
        REPORT,
        &["analyze", "--json", "--logs", logs, capture],
        None,
        Document,
    );
    // Several texts at once: one plan each, and the ones that give none.
    let dir = repo("tests/data/ios");
    c.run(
        PLAN,
        &[
            "check",
            "--plan-only",
            "--json",
            "--from-config",
            dir.to_str().unwrap(),
        ],
        None,
        Document,
    );
    println!(
        "{} switch-text reports, {} plan documents valid ({} texts)",
        c.count(REPORT),
        c.count(PLAN),
        texts.len()
    );
    // --logs of every text, the plan of most, the two with a capture.
    assert!(c.count(REPORT) > texts.len() + 2 && texts.len() >= 10);
    assert_eq!(c.count(PLAN), 1);
}

/// An HTTP server on loopback answering every request 200 until dropped.
struct Http {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Http {
    fn start() -> Http {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                let Ok((mut c, _)) = l.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let _ = c.read(&mut [0u8; 4096]);
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        });
        Http {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn probe_check_and_watch_outputs_are_valid() {
    let c = Checker::new();
    let http = Http::start();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("licpath-json-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A CSLU that answers, a smart transport whose server refuses, the same hostname twice,
    // and a file that is no switch's text.
    let cslu = format!(
        "hostname cslu-1\nversion 17.12\nip name-server 127.0.0.1\nlicense smart transport cslu\n\
         license smart url cslu http://127.0.0.1:{}/cslu/v1/pi\n",
        http.port
    );
    std::fs::write(dir.join("a.txt"), &cslu).unwrap();
    let smart = format!(
        "hostname core-1\nlicense smart transport smart\n\
         license smart url smart https://smartreceiver.cisco.com:{closed}/licservice/license\n"
    );
    std::fs::write(dir.join("b.txt"), &smart).unwrap();
    std::fs::write(dir.join("c.txt"), &smart).unwrap();
    std::fs::write(dir.join("notes.txt"), "buy milk\n").unwrap();
    let (a, d) = (
        dir.join("a.txt").display().to_string(),
        dir.display().to_string(),
    );
    let fleet = |format: &'static str| {
        [
            "check",
            "--resolve",
            "smartreceiver.cisco.com=127.0.0.1",
            "--no-revocation",
            "--tcp-timeout",
            "3",
            "--format",
            format,
            "--from-config",
        ]
    };
    c.run(
        REPORT,
        &["probe", "--json", "--tcp-timeout", "3", "--from-config", &a],
        None,
        Document,
    );
    let probe_plan = ["probe", "--plan-only", "--json", "--from-config", &a];
    c.run(REPORT, &probe_plan, None, Document);
    c.run(
        REPORT,
        &[&fleet("json")[..], &[d.as_str()]].concat(),
        None,
        Document,
    );
    c.run(
        LINE,
        &[&fleet("jsonl")[..], &[d.as_str()]].concat(),
        None,
        Lines,
    );
    let target = format!("https://127.0.0.1:{closed}/");
    c.run(
        REPORT,
        &["probe", "--json", "--tcp-timeout", "3", &target],
        None,
        Document,
    );
    for f in ["healthy-proxy.pcap", "dns-nxdomain.pcap", "proxy-407.pcap"] {
        let watch = ["watch", "--file", "-", "--format", "jsonl"];
        c.run(WATCH, &watch, Some(&repo("captures").join(f)), Lines);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{} probe/check reports, {} lines, {} watch lines valid",
        c.count(REPORT),
        c.count(LINE),
        c.count(WATCH)
    );
    assert!(c.count(LINE) >= 4 && c.count(WATCH) >= 3);
}
