//! Issue 28 item 3: a proxy password is never printed, whichever path the string takes:
//! a refused `--proxy` (the password holding `#`, `?`, `/`), clap's own refusal of
//! `analyze --proxy`, and a `license smart proxy address http://user:password@...` line in
//! the switch's text, through `check` (text and JSONL) and `--plan-only`.

mod common;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "S3cretPW";

fn licpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn cap(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn refused_proxy_values_never_print_the_password() {
    for value in [
        format!("http://alice:Pa#{SECRET}@proxy.example"),
        format!("http://alice:Pa?{SECRET}@proxy.example"),
        format!("http://alice:Pa/{SECRET}@proxy.example:3128"),
        format!("http://alice:Pa/{SECRET}@proxy.example"),
        format!("alice:Pa#{SECRET}@proxy.example"),
    ] {
        for args in [
            vec!["check", "--proxy", &value, "smart"],
            vec!["probe", "--proxy", &value, "smart"],
            vec!["analyze", "--proxy", &value, &cap("proxy-407.pcap")],
        ] {
            let o = licpath(&args);
            let printed = all_output(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {printed}");
            assert!(
                !printed.contains(SECRET),
                "{args:?}: password printed: {printed}"
            );
            assert!(printed.contains("alice:***@"), "{args:?}: {printed}");
        }
    }
}

/// A switch text whose proxy address holds credentials, on a loopback port nothing
/// listens on (the probe goes no further than this host).
fn switch_text_with_credentials(port_line: bool) -> std::path::PathBuf {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let port = if port_line {
        format!("license smart proxy port {port}\n")
    } else {
        String::new()
    };
    let text = format!(
        "hostname core-sw1\n\
         license smart transport smart\n\
         license smart url smart https://smartreceiver.cisco.com/licservice/license\n\
         license smart proxy address http://alice:{SECRET}@127.0.0.1\n\
         {port}"
    );
    common::tmp_file(
        "credentials",
        &format!("switch-{port_line}.txt"),
        text.as_bytes(),
    )
}

#[test]
fn a_proxy_password_in_the_switch_text_is_never_printed() {
    for port_line in [true, false] {
        let file = switch_text_with_credentials(port_line);
        let file = file.to_str().unwrap();
        let probe = [
            "--from-config",
            file,
            "--no-revocation",
            "--tcp-timeout",
            "2",
        ];
        let plan = ["--from-config", file, "--plan-only"];
        for args in [
            [&["check"][..], &probe].concat(),
            [&["check"][..], &probe, &["--format", "jsonl"]].concat(),
            [&["check"][..], &plan].concat(),
            [&["check"][..], &plan, &["--json"]].concat(),
            [&["probe"][..], &probe, &["--json"]].concat(),
        ] {
            let o = licpath(&args);
            let printed = all_output(&o);
            assert!(
                !printed.contains(SECRET),
                "{args:?}: password printed: {printed}"
            );
            assert!(o.status.code().is_some(), "{args:?}");
        }
    }
}

/// Issue 28 item 3: a URL password quoted by a log line (`--logs`) is masked when the
/// text is read, so no finding, evidence or error quotes it.
#[test]
fn a_url_password_in_the_switch_logs_is_never_printed() {
    let log = format!(
        "Nov 22 13:53:18.795: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) : Fail to send out Call Home HTTP message. proxy http://alice:{SECRET}@proxy.example:3128\n"
    );
    let file = common::tmp_file("credentials", "show-logging.txt", log.as_bytes());
    let file = file.to_str().unwrap();
    for args in [
        vec!["analyze", "--logs", file],
        vec!["analyze", "--logs", file, "--json"],
    ] {
        let o = licpath(&args);
        let printed = all_output(&o);
        assert!(
            !printed.contains(SECRET),
            "{args:?}: password printed: {printed}"
        );
        assert!(
            printed.contains("COMM_FAILED")
                || printed.contains("comm_failed")
                || printed.contains("Communications failure"),
            "{args:?}: {printed}"
        );
    }
}
