//! Captures pasted as text (issue 23), end to end through the CLI.
//!
//! - The real EPC outputs and Cisco's published packet list (../shared/epc-real; skipped
//!   when absent): status outputs refused with the command that shows packets, the
//!   packet list read as a healthy proxy path that ends mid-handshake (not failed).
//! - Every capture of captures/ made into its text forms by the real tshark, in the test
//!   (skipped with SKIP when tshark is absent), and judged against the pcap's analysis:
//!   hex (`tshark -x -P`, what `buffer dump` prints) the same verdict and codes; the
//!   detailed dissection (`-V`), the summary (`tshark -r F`, and with `->` arrows and the
//!   EPC banner), a bare hex dump without times (`-x`) and a tab-separated list (`-T
//!   fields -E header=y`) never the opposite verdict. The table of agreement is printed.
//!   tshark starts in ~0.3 s and `-V` of a large capture takes seconds: by default the
//!   forms of a representative set of captures (one of each failure class, [`DEFAULT`])
//!   are made and judged, in 4 threads; `LICPATH_TEXT_CAPTURES=all` takes every capture of
//!   captures/ (docs/text-captures.md has that table).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn licpath(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .output()
        .expect("run licpath");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `licpath ARGS` with `input` on stdin: its JSON.
fn licpath_stdin(args: &[&str], input: &[u8]) -> Value {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn epc_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/epc-real");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("SKIP: {} is absent", d.display());
        None
    }
}

/// Every finding code of a report (timeline and connections).
fn codes(report: &Value) -> Vec<String> {
    let t = &report["timeline"];
    let mut v: Vec<String> = t["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            t["connections"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["findings"].as_array().into_iter().flatten()),
        )
        .filter_map(|f| f["code"].as_str().map(String::from))
        .filter(|c| c != "text_capture")
        .collect();
    v.sort();
    v.dedup();
    v
}

fn verdict(report: &Value) -> String {
    report["verdict"].as_str().unwrap_or("?").to_string()
}

fn primary(report: &Value) -> String {
    report["primary"]["code"]
        .as_str()
        .unwrap_or("-")
        .to_string()
}

#[test]
fn status_outputs_are_refused_with_the_command_that_shows_packets() {
    let Some(dir) = epc_dir() else { return };
    for (file, what) in [
        (
            "show_monitor_capture__golden_output1.txt",
            "the status of a capture point",
        ),
        (
            "show_monitor_capture__golden_output2.txt",
            "the status of a capture point",
        ),
        (
            "show_monitor_capture__golden_output3.txt",
            "the status of a capture point",
        ),
        (
            "show_monitor_capture_statistics__golden_output.txt",
            "the statistics of a capture point",
        ),
        (
            "monitor_capture_stop__golden_output.txt",
            "the output of 'monitor capture NAME stop'",
        ),
    ] {
        let p = dir.join(file);
        let (code, _, err) = licpath(&["analyze", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{file}: {err}");
        assert_eq!(err.lines().count(), 1, "{file}: one line: {err}");
        assert!(err.contains(what), "{file}: {err}");
        assert!(
            err.contains("'show monitor capture NAME buffer brief'"),
            "{file}: {err}"
        );
    }
    // Two lines of a dissection with no frame: no packet at all.
    let p = dir.join("show_monitor_capture_file_detailed__golden_output.txt");
    let (code, _, err) = licpath(&["analyze", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no packets recognised in 2 line(s)"), "{err}");
}

#[test]
fn the_published_packet_list_is_a_healthy_proxy_path_that_ends_mid_handshake() {
    let Some(dir) = epc_dir() else { return };
    let p = dir.join("wireshark_packet_list__c9k-slp-proxy-https-ok.txt");
    let (code, json, err) = licpath(&["analyze", "--json", p.to_str().unwrap()]);
    let r = &json["reports"][0];
    assert_ne!(verdict(r), "failed", "{err}");
    assert_eq!(
        code, 3,
        "inconclusive: the list stops before the handshake ends"
    );
    assert_eq!(r["format"], "text capture (packet list)");
    let c = &r["timeline"]["connections"][0];
    assert_eq!(c["client"], "10.31.121.118:51547");
    assert_eq!(c["server"], "192.168.217.105:80");
    assert_eq!(c["licensing"], true);
    let events: Vec<&Value> = c["events"].as_array().unwrap().iter().collect();
    let has = |t: &str, f: &dyn Fn(&Value) -> bool| events.iter().any(|e| e["type"] == t && f(e));
    assert!(has("http_connect_request", &|e| e["target"]
        == "smartreceiver.cisco.com:443"));
    assert!(has("http_response", &|e| e["status"] == 200));
    assert!(has("tls_client_hello", &|e| e["sni"]
        == "smartreceiver.cisco.com"));
    assert!(has("tls_server_hello", &|e| e["version"] == "TLS 1.3"));
    assert!(
        codes(r)
            .iter()
            .all(|c| c != "tls_client_abort" && c != "tls_timeout")
    );
    // The ClientHello's evidence line: frame 8 is line 9 of the text (a header row first).
    let note = r["timeline"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "text_capture")
        .expect("text_capture note");
    assert!(
        note["summary"]
            .as_str()
            .unwrap()
            .starts_with("read from text capture (packet list): 14 frame(s) from 15 line(s)"),
        "{note}"
    );
    // Issue 23 item 3: its `UTC time` column is a time of day with no date anywhere in
    // the text: said so, not called relative.
    assert!(
        note["summary"].as_str().unwrap().ends_with(
            "; times are UTC times of day without a date (the date shown is not the text's)"
        ),
        "{note}"
    );
}

/// The text note's summary and the timeline's start of one report.
fn note_and_start(r: &Value) -> (String, i64) {
    let note = r["timeline"]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "text_capture")
        .map(|f| f["summary"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    (note, r["timeline"]["start_ns"].as_i64().unwrap_or(-1))
}

/// Issue 23 item 3: a time column or field that carries a date anchors the times: tshark's
/// `-t ud` summary (it was not read at all), `-t u` (a time of day: said undated), a packet
/// list whose `UTC time` column has dates (the published list with the date put in), a
/// detailed dissection whose `Arrival Time` is UTC and whose `Epoch Time` lines are gone.
#[test]
fn a_time_column_with_a_date_anchors_the_times() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pcap = root.join("captures/healthy-direct-tls12.pcap");
    // Frame 1 of the pcap: 2026-11-22 13:51:57.519974 UTC (tshark -T fields -e frame.time_epoch).
    let first_ns = 1_795_355_517_519_974_000;
    if tshark_present() {
        let p = pcap.to_str().unwrap();
        let run = |name: &str, text: String| {
            let f = tmp_text(name, &text);
            let (code, json, err) = licpath(&["analyze", "--json", f.to_str().unwrap()]);
            assert_ne!(code, 2, "{name}: {err}");
            note_and_start(&json["reports"][0])
        };
        let (note, start) = run("ud.txt", tshark(&["-r", p, "-t", "ud"]));
        assert!(
            note.ends_with(
                "; times anchored by the summary's dates (no zone printed: read as UTC)"
            ),
            "{note}"
        );
        assert_eq!(start, first_ns);
        let (note, _) = run("u.txt", tshark(&["-r", p, "-t", "u"]));
        assert!(
            note.contains("times are UTC times of day without a date"),
            "{note}"
        );
        let detailed: String = tshark(&["-r", p, "-V"])
            .lines()
            .filter(|l| !l.contains("Epoch Time:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let (note, start) = run("arrival.txt", detailed);
        assert!(
            note.ends_with("; times anchored by Arrival Time (UTC)"),
            "{note}"
        );
        assert_eq!(start, first_ns);
    }
    let Some(dir) = epc_dir() else { return };
    let list =
        std::fs::read_to_string(dir.join("wireshark_packet_list__c9k-slp-proxy-https-ok.txt"))
            .unwrap();
    let dated: String = list
        .lines()
        .enumerate()
        .map(|(i, l)| match (i, l.split_once('\t')) {
            (0, _) | (_, None) => format!("{l}\n"),
            (_, Some((no, rest))) => format!("{no}\t2023-03-14 {rest}\n"),
        })
        .collect();
    let f = tmp_text("dated-list.txt", &dated);
    let (_, json, err) = licpath(&["analyze", "--json", f.to_str().unwrap()]);
    let (note, start) = note_and_start(&json["reports"][0]);
    assert!(
        note.ends_with("; times anchored by the UTC time column's dates"),
        "{note} {err}"
    );
    // 2023-03-14 15:41:19.614815 UTC
    assert_eq!(start, 1_678_808_479_614_815_000);
}

/// Issue 23 item 5 through stdin: a hex line cut short (an odd digit) marks its frame
/// truncated, as for a file.
#[test]
fn a_cut_hex_line_on_stdin_marks_its_frame_truncated() {
    if !tshark_present() {
        return;
    }
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/syn-rejected.pcap");
    let hex = tshark(&["-r", pcap.to_str().unwrap(), "-x"]);
    // The last hex line of the dump loses its end: 3 hex digits of its first byte group.
    let mut lines: Vec<String> = hex.lines().map(str::to_string).collect();
    let last = lines
        .iter()
        .rposition(|l| {
            l.len() > 10 && l.as_bytes()[4] == b' ' && l[..4].chars().all(|c| c.is_ascii_hexdigit())
        })
        .expect("a hex line");
    let cut = lines[last][..10].to_string(); // `0030  00 0`: offset, one byte and a half
    lines[last] = cut;
    let text = lines.join("\n") + "\n";
    let json = licpath_stdin(&["analyze", "--json", "--all", "-"], text.as_bytes());
    let r = &json["reports"][0];
    assert_eq!(r["file"], "-");
    let (note, _) = note_and_start(r);
    assert!(
        note.contains("1 frame(s) cut short in the hex (marked truncated)"),
        "{note}"
    );
}

#[test]
fn every_epc_buffer_output_is_read() {
    let Some(dir) = epc_dir() else { return };
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("show_monitor_capture_buffer") || !name.ends_with(".txt") {
            continue;
        }
        let (code, json, err) = licpath(&["analyze", "--json", e.path().to_str().unwrap()]);
        let r = &json["reports"][0];
        // No licensing traffic in these samples (LLDP, RADIUS, ICMP, STP): read, not refused.
        assert_eq!(
            (code, verdict(r).as_str()),
            (3, "no_licensing_traffic"),
            "{name}: {err}"
        );
        let detailed = name.contains("detailed");
        assert_eq!(
            r["format"],
            if detailed {
                "text capture (detailed dissection)"
            } else {
                "text capture (tshark summary lines)"
            },
            "{name}"
        );
        assert!(
            r["timeline"]["stats"]["frames"].as_u64().unwrap() >= 1,
            "{name}"
        );
    }
}

fn tshark_present() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("tshark");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `.expected` file's `args=` (the flags the lab capture is judged with).
fn args_of(capture: &Path) -> Vec<String> {
    let exp = capture.with_extension("expected");
    std::fs::read_to_string(exp)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("args="))
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// `licpath analyze --json EXTRA FILE`: its first report and stderr.
fn report_with(extra: &[String], file: &Path) -> (Value, String) {
    let mut a: Vec<&str> = vec!["analyze", "--json"];
    a.extend(extra.iter().map(String::as_str));
    a.push(file.to_str().unwrap());
    let (_, json, err) = licpath(&a);
    (json["reports"][0].clone(), err)
}

/// The captures judged by default: one of each failure class and the healthy paths.
const DEFAULT: &[&str] = &[
    "healthy-proxy",
    "healthy-direct-tls13",
    "dns-nxdomain",
    "dns-over-tcp",
    "dns-timeout",
    "syn-dropped",
    "syn-rejected",
    "proxy-407",
    "proxy-403",
    "tls-reset-on-sni",
    "tls-version-mismatch",
    "untrusted-root",
    "ssl-interception-tls13",
    "merged-directions",
    "callhome-plain-http",
    "capture-ended-tls",
];

const FORMS: [&str; 6] = ["hex", "hex-bare", "detailed", "brief", "brief-epc", "list"];

/// The text forms of one capture, written next to each other in `dir`.
fn text_forms(capture: &Path, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let f = capture.to_str().unwrap();
    let brief = tshark(&["-r", f]);
    let epc = format!(
        "Switch#show monitor capture LIC buffer brief\nStarting the packet display ........ Press Ctrl + Shift + 6 to exit\n\n{}\nSwitch#\n",
        brief.replace(" → ", " -> ")
    );
    let list = tshark(&[
        "-r",
        f,
        "-T",
        "fields",
        "-E",
        "header=y",
        "-e",
        "frame.number",
        "-e",
        "frame.time_relative",
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "frame.len",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
        "-e",
        "_ws.col.Info",
    ]);
    let texts = [
        ("hex", tshark(&["-r", f, "-x", "-P"])),
        ("hex-bare", tshark(&["-r", f, "-x"])),
        ("detailed", tshark(&["-r", f, "-V"])),
        ("brief", brief),
        ("brief-epc", epc),
        ("list", list),
    ];
    texts
        .into_iter()
        .map(|(form, text)| {
            let p = dir.join(form);
            std::fs::write(&p, text).unwrap();
            (form, p)
        })
        .collect()
}

/// (capture, pcap verdict, pcap primary, per form (form, verdict, primary, codes), pcap codes).
type Row = (
    String,
    String,
    String,
    Vec<(String, String, String, Vec<String>)>,
    Vec<String>,
);

fn opposite(a: &str, b: &str) -> bool {
    matches!((a, b), ("ok", "failed") | ("failed", "ok"))
}

#[test]
fn captures_as_text_agree_with_their_pcap() {
    if !tshark_present() {
        println!("SKIP: tshark is absent: the text forms of captures/ are not made");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut captures: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    let all = std::env::var("LICPATH_TEXT_CAPTURES").is_ok_and(|v| v == "all");
    if !all {
        captures.retain(|p| {
            DEFAULT.contains(&p.file_stem().unwrap_or_default().to_string_lossy().as_ref())
        });
        println!(
            "NOTE: {} representative captures (LICPATH_TEXT_CAPTURES=all for every capture)",
            captures.len()
        );
    }
    captures.sort();
    let tmp = std::env::temp_dir().join(format!("licpath-textcap-{}", std::process::id()));
    let chunks: Vec<Vec<PathBuf>> = captures
        .chunks(captures.len().div_ceil(4))
        .map(<[_]>::to_vec)
        .collect();
    let rows: Vec<Row> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let tmp = tmp.clone();
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|cap| {
                            let name = cap.file_stem().unwrap().to_string_lossy().into_owned();
                            let dir = tmp.join(&name);
                            std::fs::create_dir_all(&dir).unwrap();
                            let extra = args_of(cap);
                            let run = |p: &Path| report_with(&extra, p);
                            let (pcap, _) = run(cap);
                            let forms = text_forms(cap, &dir)
                                .into_iter()
                                .map(|(form, p)| {
                                    let (r, err) = run(&p);
                                    let v = if r.is_null() {
                                        format!("unusable: {}", err.trim())
                                    } else {
                                        verdict(&r)
                                    };
                                    (form.to_string(), v, primary(&r), codes(&r))
                                })
                                .collect();
                            (name, verdict(&pcap), primary(&pcap), forms, codes(&pcap))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let _ = std::fs::remove_dir_all(&tmp);
    let mut failures = Vec::new();
    let mut agree = [0usize; FORMS.len()];
    println!("capture | pcap | {}", FORMS.join(" | "));
    for (name, pv, pp, forms, pcodes) in &rows {
        let mut line = format!("{name} | {pv} {pp}");
        for (i, (form, v, p, c)) in forms.iter().enumerate() {
            let same = v == pv && p == pp;
            agree[i] += usize::from(same);
            line.push_str(&format!(" | {}{v} {p}", if same { "=" } else { "" }));
            if opposite(pv, v) {
                failures.push(format!("{name} {form}: {v} where the pcap is {pv}"));
            }
            if form == "hex" {
                // The text states relative times only: the clock rule has no date to judge.
                let strip = |c: &Vec<String>| {
                    c.iter()
                        .filter(|x| *x != "capture_clock_invalid")
                        .cloned()
                        .collect::<Vec<_>>()
                };
                let pv_hex = if pp == "capture_clock_invalid" {
                    v.clone()
                } else {
                    pv.clone()
                };
                if *v != pv_hex || strip(c) != strip(pcodes) {
                    failures.push(format!(
                        "{name} hex: {v} {c:?} where the pcap is {pv} {pcodes:?}"
                    ));
                }
            }
        }
        println!("{line}");
    }
    let total = rows.len();
    println!(
        "agreement (same verdict and primary) of {total}: {}",
        FORMS
            .iter()
            .zip(agree)
            .map(|(f, n)| format!("{f} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        total >= if all { 40 } else { DEFAULT.len() },
        "captures/ read: {total}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn tmp_text(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("licpath-textcap-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const EVIL: &str = "    1   0.000000 10.0.0.1 → 10.0.0.2 TCP 66 40000 → 443 [ACK] Seq=1 Ack=1 Win=501 Len=0\n    2   0.000100 10.0.0.1 → 10.0.0.2 TLSv1.3 300 Client Hello (SNI=evil\u{1b}]0;owned\u{7}name)\n";

#[test]
fn a_hostile_string_in_the_text_is_escaped_and_annotate_is_refused_without_bytes() {
    let p = tmp_text("evil.txt", EVIL);
    let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(["analyze", "--all", "--color", "never", p.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(text.contains(r"evil\x1b]0;owned\x07name"), "{text}");
    // --annotate needs the frames' bytes: a summary has facts only.
    let out_file =
        std::env::temp_dir().join(format!("licpath-annot-{}.pcapng", std::process::id()));
    let (code, _, err) = licpath(&[
        "analyze",
        "--annotate",
        out_file.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("states facts about the packets, not their bytes"),
        "{err}"
    );
    assert!(!out_file.exists());
}

#[test]
fn annotate_writes_the_frames_of_a_hex_dump() {
    if !tshark_present() {
        println!("SKIP: tshark is absent");
        return;
    }
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/syn-rejected.pcap");
    let hex = tshark(&["-r", cap.to_str().unwrap(), "-x", "-P"]);
    let p = tmp_text("syn-rejected.hex", &hex);
    let out_file =
        std::env::temp_dir().join(format!("licpath-annot-hex-{}.pcapng", std::process::id()));
    let _ = std::fs::remove_file(&out_file);
    let (code, _, err) = licpath(&[
        "analyze",
        "--annotate",
        out_file.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "failed, like the pcap: {err}");
    let comments = tshark(&[
        "-r",
        out_file.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "frame.comment",
    ]);
    assert!(comments.contains("tcp_refused"), "{comments}");
    let _ = std::fs::remove_file(&out_file);
}

#[test]
fn stdin_and_a_forced_format() {
    let json = licpath_stdin(
        &["analyze", "--json", "--input-format", "brief", "-"],
        b"    1   0.000000 10.0.0.1 -> 10.0.0.2 TCP 74 40000 -> 8443 [SYN] Seq=0 Win=64240 Len=0\n    2   0.000100 10.0.0.2 -> 10.0.0.1 TCP 54 8443 -> 40000 [RST, ACK] Seq=1 Ack=1 Win=0 Len=0\n",
    );
    let r = &json["reports"][0];
    assert_eq!(r["file"], "-");
    assert_eq!(r["format"], "text capture (tshark summary lines)");
    // A summary's RST to the SYN: the connection was refused (not a licensing port: --all
    // is not needed for the frames to be counted).
    assert_eq!(r["timeline"]["stats"]["frames"], 2);
}

/// `licpath analyze FILE`'s text report, or the `--html`/`--markdown` file it writes.
fn report_of(format: &str, file: &Path) -> String {
    let written = file.with_extension(format);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_licpath"));
    cmd.args(["analyze", "--color", "never"]);
    if format != "text" {
        let _ = std::fs::remove_file(&written);
        cmd.arg(format!("--{format}")).arg(&written);
    }
    let out = cmd.arg(file).output().expect("run licpath");
    if format == "text" {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        std::fs::read_to_string(&written).unwrap_or_default()
    }
}

/// A text whose times are relative to its first packet (a tshark summary), one with UTC
/// times of day and no date, and a bare hex dump without times: the report's heading
/// (text, HTML, Markdown) says what the times are and never prints the 1970 date the
/// frames sit on for want of one.
#[test]
fn a_text_without_a_date_is_never_dated_1970() {
    let refused = "    1   0.000000 10.0.0.1 -> 10.0.0.2 TCP 74 40000 -> 443 [SYN] Seq=0 Win=64240 Len=0\n    2   0.003000 10.0.0.2 -> 10.0.0.1 TCP 54 443 -> 40000 [RST, ACK] Seq=1 Ack=1 Win=0 Len=0\n";
    let relative = tmp_text("relative.txt", refused);
    let time_of_day = tmp_text(
        "time-of-day.txt",
        &refused
            .replace("0.000000", "08:15:02.000000")
            .replace("0.003000", "08:15:02.003000"),
    );
    for format in ["text", "html", "markdown"] {
        let r = report_of(format, &relative);
        assert!(!r.contains("1970"), "{format}: {r}");
        assert!(
            r.contains("times relative to the first packet (no date or time of day) + 0.003 s"),
            "{format}: {r}"
        );
    }
    let r = report_of("text", &time_of_day);
    assert!(!r.contains("1970"), "{r}");
    assert!(
        r.contains("08:15:02.000 UTC (a time of day without a date) + 0.003 s"),
        "{r}"
    );
}

/// Captures whose detailed dissection (`tshark -V`, `buffer detailed`) gives the pcap's
/// verdict and primary code: the fields carry the evidence the pcap's verdict rests on.
const DETAILED_AGREES: &[&str] = &[
    // The status line and headers are dissected on the response's last segment (tshark's
    // one pass); `[3 Reassembled TCP Segments ...: #10(1448), ...]` says the head began in
    // the first: the head goes there, the segments after it are its body.
    "proxy-403",
    "proxy-407",
    "proxy-upstream-503",
    // The ICMP error's quoted IP and TCP header (addresses, ports) says which connection
    // it refused.
    "syn-admin-prohibited",
    // The certificate chain read from the certificates' fields (names, dates, SANs, CA
    // flag, CRL/OCSP URLs; tshark cuts the DER), judged by the pcap's certificate rules:
    // the failing chains give the pcap's code, not the client's `tls_alert` ...
    "cert-expired",
    "cert-not-yet-valid",
    "cert-wrong-name",
    "incomplete-chain",
    "leaf-direct-root",
    "untrusted-root",
    "ssl-interception-tls12",
    // ... the FN72323 root missing on the device (its `.expected` args: an old IOS XE) ...
    "root-missing-fn72323",
    // ... and a completed TLS 1.2 handshake is OK (the chain is trusted, by name) where it
    // was inconclusive, the CRL fetch judged as the pcap's (the CRL host a certificate
    // names is the revocation host) ...
    "healthy-direct-tls12",
    "healthy-proxy",
    "healthy-proxy-pcapng",
    "healthy-proxy-vlan10",
    "old-quovadis-chain",
    "crl-fetch-ok",
    "crl-fetch-unreachable",
    "rtt-300ms",
    "proxy-port-80",
    // ... also where the Certificate is reassembled from segments (`#13(407), #14(524),
    // #16(162)`): the named segments are described by the frame that carries it, no hole.
    "mss536-proxy",
    // TLS 1.3: the certificate is encrypted, nothing to read; the alert decides, as in the
    // pcap.
    "ssl-interception-tls13",
    // Each segment's stated `Sequence Number` places a retransmission or an out-of-order
    // segment where it was first sent, and each encrypted handshake record counts once:
    // no invented capture gap.
    "lossy-loopback",
    "packet-loss",
    "lossy-epc-duplicates",
    "capture-clock-1970",
    // Two queries in one TCP segment: each its own `Domain Name System` layer, both
    // rebuilt (the A query was lost: `dns_retried` where the pcap had none).
    "dns-over-tcp",
    "dns-slow-first-answer",
    // A capture that starts at the ServerHello: the certificate's names (read from its
    // fields) say it is the licensing host.
    "midstream-server-hello",
    // Stated numbers past what an endpoint sent are a hole the capture does not hold:
    // mtu-blackhole's server segment `Seq: 1449, Len: 24` goes past the 1,448 lost bytes
    // and the client's duplicate ACK names them with its SACK 1449-1473 (mtu_blackhole,
    // not capture_gap); push-only-filter's server, first seen at 1449 (its start not
    // captured), starts there, so its records reach the TLS reader and every segment
    // carries its stated bytes (capture_filtered, and the TLS 1.3 inference from record
    // sizes, not capture_ended with false retransmissions).
    "mtu-blackhole",
    "push-only-filter",
];

/// Captures of captures/ whose detailed form does not (yet) give the pcap's verdict and
/// primary code, each with why.
const DETAILED_DIFFERS: &[(&str, &str)] = &[
    // Frames out of time order: the pcap's primary (capture_time_backwards) is found, but
    // tshark flags every segment against file order as a (suspected) spurious
    // retransmission and does not dissect it, so what the pcap's OK rests on is payload
    // only in -V: merged-server-first's ClientHello (frame 15: `TCP payload (234 bytes)`,
    // no TLS layer), merged-directions' server flight, reversed-order's every TLS record.
    // Placing segments by their raw sequence numbers was tried: no change here.
    (
        "merged-server-first",
        "inconclusive capture_time_backwards: tshark does not dissect the ClientHello it flags as a spurious retransmission",
    ),
    (
        "merged-directions",
        "inconclusive capture_gap: tshark does not dissect the server's flight it flags as spurious retransmissions",
    ),
    (
        "reversed-order",
        "inconclusive capture_time_backwards: tshark does not dissect the segments it flags as spurious retransmissions",
    ),
];

/// Issue 23: "detailed: the same verdict and primary code, wherever the fields carry it".
/// Every capture of [`DETAILED_AGREES`] (pcap and `tshark -V` made here): verdict and primary
/// code equal.
#[test]
fn detailed_dissections_give_the_pcaps_verdict_and_primary_code() {
    if !tshark_present() {
        println!("SKIP: tshark is absent");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for (name, _) in DETAILED_DIFFERS {
        assert!(!DETAILED_AGREES.contains(name), "{name} in both lists");
    }
    let mut wrong = Vec::new();
    for name in DETAILED_AGREES {
        let cap = ["pcap", "pcapng"]
            .iter()
            .map(|x| root.join(format!("{name}.{x}")))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{name}: no capture"));
        let extra = args_of(&cap);
        let text = tmp_text(
            &format!("{name}.V"),
            &tshark(&["-r", cap.to_str().unwrap(), "-V"]),
        );
        let run = |p: &Path| {
            let (r, err) = report_with(&extra, p);
            assert!(!r.is_null(), "{name}: {err}");
            (verdict(&r), primary(&r))
        };
        let (pcap, detailed) = (run(&cap), run(&text));
        if pcap != detailed {
            wrong.push(format!("{name}: pcap {pcap:?}, detailed {detailed:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A chain read from a dissection's fields is marked so in the JSON (no fingerprint, no
/// key), said so beside the certificates in the text report, judged by the pcap's rules,
/// and the note says what the text still cannot show (signatures and keys) instead of
/// "the chain". Fails without the certificate fields (an empty Certificate, `tls_alert`).
#[test]
fn a_chain_read_from_fields_is_marked_and_judged() {
    if !tshark_present() {
        println!("SKIP: tshark is absent");
        return;
    }
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/cert-expired.pcap");
    let p = tmp_text(
        "cert-expired.V",
        &tshark(&["-r", cap.to_str().unwrap(), "-V"]),
    );
    let (r, err) = report_with(&[], &p);
    assert!(!r.is_null(), "{err}");
    assert_eq!(primary(&r), "cert_expired");
    let c = &r["timeline"]["connections"][0];
    let certs = &c["tls"]["certificates"];
    assert_eq!(certs.as_array().map(Vec::len), Some(2), "{c}");
    for x in certs.as_array().unwrap() {
        assert_eq!(x["read_from"], "dissection_fields");
        assert_eq!(x["sha256"], "");
    }
    assert_eq!(
        certs[0]["subject"],
        "CN=smartreceiver.cisco.com, O=Cisco Systems Inc., C=US"
    );
    assert_eq!(certs[0]["not_after"], 1_609_459_200);
    let note = r["timeline"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "text_capture")
        .unwrap()["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains("the certificates' signatures and keys"),
        "{note}"
    );
    assert!(!note.contains("the server's certificate chain"), "{note}");
    let text = report_of("text", &p);
    assert!(
        text.contains("Certificate (2 certs, read from the text's dissection fields: no fingerprint, key or signature)"),
        "{text}"
    );
    let html = report_of("html", &p);
    assert!(
        html.contains("none: read from the text&#39;s dissection fields")
            || html.contains("none: read from the text's dissection fields"),
        "the fingerprint cell"
    );
}
