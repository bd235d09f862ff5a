//! `analyze`'s progress line (issue 17 item 4) is for people only: a capture over the size
//! limit, analysed with stderr a pipe (as here, in CI or in a script), prints no progress
//! on stderr, with or without `--json`.

use licpath::cli::progress::MIN_BYTES;
use std::process::Command;

/// A lab capture's records repeated until the file is past the progress threshold.
fn big_capture() -> std::path::PathBuf {
    let lab = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-direct-tls12.pcap"),
    )
    .unwrap();
    let (header, records) = lab.split_at(24);
    let mut out = header.to_vec();
    while (out.len() as u64) <= MIN_BYTES {
        out.extend_from_slice(records);
    }
    let p = std::env::temp_dir().join(format!("licpath-progress-{}.pcap", std::process::id()));
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let p = big_capture();
    assert!(std::fs::metadata(&p).unwrap().len() > MIN_BYTES);
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_licpath"));
        cmd.arg("analyze");
        if json {
            cmd.arg("--json");
        }
        let out = cmd.arg(&p).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            stdout.contains("healthy") || stdout.contains("smartreceiver.cisco.com"),
            "the capture was analysed: {stdout}"
        );
        assert!(!stderr.contains("reading"), "json={json}: {stderr}");
        assert!(
            !stderr.contains('\r') && !stderr.contains('\x1b'),
            "{stderr:?}"
        );
    }
    std::fs::remove_file(&p).unwrap();
}
