//! Hostile strings never reach the terminal (issue 14 item 2): captures built here from lab
//! captures, with the SNI, a certificate name, the proxy's reason phrase and its Server /
//! Via headers replaced (same length, so the DER and TLS lengths stay valid) by escape
//! sequences, a bare CR and bytes that are not UTF-8; and a pasted switch log with the
//! same. The text report, the TUI's screens and the binary's real output must show them
//! as visible escapes and hold no control byte.

mod common;
use common::*;
use licpath::model::Timeline;
use licpath::report::text::{Color, write_text};
use licpath::tui::capture::{self, CaptureApp};
use licpath::tui::common::Theme;
use licpath::tui::msg::Key;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Clear the screen, retitle the terminal, return to the line start, one invalid byte.
const ATTACK: &[u8] = b"\x1b[2J\x1b]0;x\x07\r\xff";

/// `ATTACK` padded with `z` (or cut) to exactly `len` bytes.
fn hostile(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = ATTACK
        .iter()
        .copied()
        .chain(std::iter::repeat(b'z'))
        .take(len)
        .collect();
    v.truncate(len);
    v
}

/// Every occurrence of `from` replaced by a hostile string of the same length.
fn poison(bytes: &mut [u8], from: &[u8]) -> usize {
    replace_all(bytes, from, &hostile(from.len()))
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    common::tmp_file("hostile", name, bytes)
}

fn lab(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name),
    )
    .unwrap()
}

/// The interception capture with a hostile SNI (only in the ClientHello, where the name
/// follows its type 0 and 2-byte length: the CONNECT still names the licensing host),
/// a hostile interception CA name and a hostile reason phrase on the proxy's 200.
fn hostile_interception() -> PathBuf {
    let mut b = lab("ssl-interception-tls12.pcap");
    let sni = b"\x00\x17smartreceiver.cisco.com";
    let at = b.windows(sni.len()).position(|w| w == sni).unwrap() + 2;
    b[at..at + 23].copy_from_slice(&hostile(23));
    // The CA's name (a UTF8String, tag 0x0c: the certificate parser refuses one that is
    // not UTF-8) holds the attack without the invalid byte.
    let ca = b"Lab Squid Interception CA";
    let name = [&[0x0c, ca.len() as u8][..], ca].concat();
    let attack = [&name[..2], &hostile(ca.len())].concat().into_iter();
    let attack: Vec<u8> = attack.map(|c| if c == 0xff { b'z' } else { c }).collect();
    assert!(replace_all(&mut b, &name, &attack) >= 2);
    assert_eq!(poison(&mut b, b"Connection established"), 1);
    tmp("interception.pcap", &b)
}

/// The 403 capture with a hostile Server and Via header value (`squid/5.7`) and reason.
fn hostile_403() -> PathBuf {
    let mut b = lab("proxy-403.pcap");
    assert!(replace_all(&mut b, b"squid/5.7", SERVER) >= 2);
    assert!(poison(&mut b, b"Forbidden") >= 1);
    tmp("proxy-403.pcap", &b)
}

/// The proxy's Server and Via headers: retitle, return, an invalid byte.
const SERVER: &[u8] = b"\x1b]0;x\x07\r\xff!";

/// What the attacker's bytes must look like once escaped.
const VISIBLE: &[&str] = &[r"\x1b[2J", r"\x1b]0;x\x07\r"];

fn assert_no_control(what: &str, s: &str) {
    let bad: Vec<(usize, char)> = s
        .char_indices()
        .filter(|&(_, c)| c != '\n' && (c.is_control() || c == '\u{202e}'))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: raw control characters {bad:?} in:\n{s}"
    );
}

fn text_report(t: &Timeline) -> String {
    let mut out = Vec::new();
    write_text(&mut out, "hostile.pcap", "pcap", t, Color::Never).unwrap();
    String::from_utf8(out).expect("the report is UTF-8")
}

#[test]
fn text_report_escapes_sni_certificate_reason_and_headers() {
    let t = analyze(&hostile_interception());
    let c = &t.connections[0];
    let sni = c.tls.as_ref().and_then(|x| x.sni.clone()).expect("an SNI");
    assert!(
        sni.starts_with('\x1b'),
        "the model keeps the raw string: {sni:?}"
    );
    let s = text_report(&t);
    assert_no_control("interception text report", &s);
    for v in VISIBLE {
        assert!(s.contains(v), "missing {v} in:\n{s}");
    }
    assert!(
        s.contains(r"\xff"),
        "the byte that is not UTF-8 shows as \\xff:\n{s}"
    );
    assert!(
        s.contains("ClientHello SNI \\x1b[2j"),
        "the SNI (lowercased):\n{s}"
    );
    assert!(s.contains("<- issued by \\x1b[2J"), "the CA name:\n{s}");
    assert!(
        s.contains(r"HTTP/1.1 200 \x1b[2J"),
        "the reason phrase:\n{s}"
    );

    let t = analyze(&hostile_403());
    let s = text_report(&t);
    assert_no_control("403 text report", &s);
    assert!(
        s.contains(r"(Server: \x1b]0;x\x07\r\xff!)"),
        "the Server header:\n{s}"
    );
    assert!(s.contains(r"403 \x1b[2J"), "the reason:\n{s}");
}

fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn tui_screens_escape_what_the_network_sent() {
    for (path, needle) in [
        (hostile_interception(), r"\x1b[2J"),
        (hostile_403(), r"Server: \x1b]0;x\x07\r\xff!"),
    ] {
        let mut app = CaptureApp::new("hostile.pcap");
        app.loaded(analyze(&path));
        let mut seen = String::new();
        for key in ['l', 'e', 'd'] {
            app.on_key(Key::Char(key));
            let mut term = Terminal::new(TestBackend::new(160, 50)).unwrap();
            term.draw(|f| capture::render(f, &app, Theme { color: false }))
                .unwrap();
            let s = screen(&term);
            assert_no_control(&format!("pane {key}"), &s);
            seen.push_str(&s);
        }
        app.on_key(Key::Tab);
        assert!(seen.contains(needle), "{needle} not shown:\n{seen}");
        assert!(seen.contains(r"\xff"), "\\xff not shown:\n{seen}");
    }
}

#[test]
fn binary_stdout_holds_no_escape_byte() {
    let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .arg("analyze")
        .arg(hostile_interception())
        .arg(hostile_403())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "error findings");
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for bad in [0x1bu8, 0x07, b'\r', 0x9b] {
            assert!(
                !bytes.contains(&bad),
                "{name} holds byte {bad:#04x}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains(r"\x1b[2J"), "{s}");
}

#[test]
fn pasted_log_lines_are_escaped() {
    let log = tmp(
        "switch.log",
        b"Nov 22 13:52:18.795: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : \x1b]0;x\x07\rConnection timed out\x1b[2J\xff\n\
          Nov 22 13:53:18.795: %PKI-3-CRL_FETCH_FAIL: CRL fetch for trustpoint SLA\x1b[5m-TrustPoint failed\n\
          Reason : \x1b[8mhidden\r\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(["analyze", "--logs"])
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_no_control("analyze --logs", &stdout);
    assert!(
        stdout.contains(r"COMM_FAILED (CSSM): \x1b]0;x\x07\rConnection timed out\x1b[2J\xff"),
        "{stdout}"
    );
    assert!(
        !out.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn live_screen_escapes_steps_findings_and_chain() {
    use licpath::tui::live::{self, LiveApp};
    let mut app = LiveApp::new(
        vec!["smart\x1b[2J".into()],
        10,
        Some("proxy\x1b]0;x\x07:3128".into()),
    );
    app.record(0, 1_795_305_600, analyze(&hostile_interception()));
    app.message = Some("wrote \x1b[31mreport.json".into());
    let mut seen = String::new();
    for chain in [false, true] {
        app.show_chain = chain;
        let mut term = Terminal::new(TestBackend::new(160, 50)).unwrap();
        term.draw(|f| live::render(f, &app, Theme { color: false }, 1_795_305_605))
            .unwrap();
        let s = screen(&term);
        assert_no_control(&format!("live, chain {chain}"), &s);
        seen.push_str(&s);
    }
    for needle in [
        r"smart\x1b[2J",
        r"via proxy proxy\x1b]0;x\x07:3128",
        r"wrote \x1b[31mreport.json",
        r"SNI \x1b[2j\x1b]0;x\x07\r\xff",
        r"issuer  CN=\x1b[2J\x1b]0;x\x07\r",
    ] {
        assert!(seen.contains(needle), "{needle} not shown:\n{seen}");
    }
}

#[test]
fn stderr_escapes_file_names_and_errors() {
    let dir = std::env::temp_dir().join(format!("licpath-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A capture that does not exist, and a log that holds nothing licensing-related.
    let missing = dir.join("gone\x1b]0;x\x07.pcap");
    let log = dir.join("log\x1b[2J.txt");
    std::fs::write(&log, "nothing to see\n").unwrap();
    for args in [
        vec![std::ffi::OsString::from("analyze"), missing.into()],
        vec!["analyze".into(), "--logs".into(), log.into()],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_licpath"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.is_empty(), "{args:?}: a message on stderr");
        assert_no_control("stderr", &err);
        assert!(
            err.contains(r"gone\x1b]0;x\x07.pcap") || err.contains(r"log\x1b[2J.txt"),
            "{err}"
        );
    }
}
