//! Issue 28 item 2: the files licpath writes (`--annotate`, `--html`, `--markdown`) never
//! clobber what they should not: a link planted at a predictable name, an input whose
//! name looks like a temporary file, a pipe or a device (written through, never replaced),
//! the input itself (by device and inode, not by name), a directory. Through the binary,
//! on real files, links, FIFOs and /dev/null.
#![cfg(unix)]

use std::ffi::OsStr;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn tmp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licpath-outfile-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn licpath(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licpath"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `licpath analyze FLAG OUT INPUT`.
fn analyze_into(flag: &str, out: &Path, input: &Path) -> Output {
    licpath(&[
        "analyze".as_ref(),
        flag.as_ref(),
        out.as_os_str(),
        input.as_os_str(),
    ])
}

fn assert_exit(r: &Output, code: i32) {
    assert_eq!(
        r.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// pcapng starts with a Section Header Block (type 0x0A0D0D0A).
const PCAPNG_MAGIC: &[u8] = &[0x0a, 0x0d, 0x0d, 0x0a];

#[test]
fn a_link_planted_at_the_temporary_name_is_not_followed() {
    let dir = tmp_dir("planted");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    // The name the old code wrote to first, whatever was there.
    symlink(&victim, dir.join("out.pcapng.partial")).unwrap();
    symlink(&victim, dir.join("out.html.partial")).unwrap();
    let out = dir.join("out.pcapng");
    let html = dir.join("out.html");
    let input = lab("proxy-407.pcap");
    let r = licpath(&[
        "analyze".as_ref(),
        "--annotate".as_ref(),
        out.as_os_str(),
        "--html".as_ref(),
        html.as_os_str(),
        input.as_os_str(),
    ]);
    assert_exit(&r, 1);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(std::fs::read(&out).unwrap().starts_with(PCAPNG_MAGIC));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("proxy_auth_required")
    );
    assert_eq!(
        names_in(&dir),
        [
            "out.html",
            "out.html.partial",
            "out.pcapng",
            "out.pcapng.partial",
            "victim.txt"
        ],
        "no temporary file left, the planted links untouched"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_input_named_like_the_temporary_file_survives() {
    let dir = tmp_dir("partial-input");
    let input = dir.join("x.pcapng.partial");
    std::fs::copy(lab("healthy-proxy-pcapng.pcapng"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let out = dir.join("x.pcapng");
    let r = analyze_into("--annotate", &out, &input);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{stderr}");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input was changed"
    );
    assert!(stderr.contains("(21 frames, "), "{stderr}");
    assert!(std::fs::read(&out).unwrap().starts_with(PCAPNG_MAGIC));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn html_and_markdown_never_overwrite_an_input_even_under_another_name() {
    let dir = tmp_dir("same-input");
    let input = dir.join("in.pcap");
    std::fs::copy(lab("proxy-407.pcap"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let hard = dir.join("hard-link.pcap");
    std::fs::hard_link(&input, &hard).unwrap();
    let soft = dir.join("soft-link.pcap");
    symlink(&input, &soft).unwrap();
    for flag in ["--html", "--markdown", "--annotate"] {
        for out in [&input, &hard, &soft] {
            let r = analyze_into(flag, out, &input);
            let stderr = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(2), "{flag} {out:?}: {stderr}");
            assert!(
                stderr.contains("must not overwrite its input"),
                "{flag}: {stderr}"
            );
            assert_eq!(std::fs::read(&input).unwrap(), before, "{flag} {out:?}");
        }
    }
    assert!(is_symlink(&soft), "{:?} was replaced", soft);
    assert_eq!(
        names_in(&dir),
        ["hard-link.pcap", "in.pcap", "soft-link.pcap"]
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_directory_as_output_is_refused_and_leaves_nothing_behind() {
    let dir = tmp_dir("directory");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let input = lab("proxy-407.pcap");
    for flag in ["--annotate", "--html", "--markdown"] {
        let r = analyze_into(flag, &sub, &input);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(names_in(&dir), ["sub"], "{flag}: something left behind");
        assert!(names_in(&sub).is_empty(), "{flag}");
        assert_eq!(r.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("is a directory"), "{flag}: {stderr}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_link_to_a_device_and_a_fifo_are_written_through_never_replaced() {
    let dir = tmp_dir("devices");
    let null_link = dir.join("to-null");
    symlink("/dev/null", &null_link).unwrap();
    let input = lab("proxy-407.pcap");
    let r = analyze_into("--annotate", &null_link, &input);
    assert_exit(&r, 1);
    assert!(is_symlink(&null_link), "{:?} was replaced", null_link);
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // A FIFO with a reader: the annotated capture arrives through it.
    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let r = analyze_into("--annotate", &fifo, &input);
    assert_exit(&r, 1);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let got = reader.join().unwrap();
    assert!(got.starts_with(PCAPNG_MAGIC), "{} bytes", got.len());
    // A link to this process's stdout (what /dev/stdout is): the pipe gets the capture.
    let stdout_link = dir.join("stdout");
    symlink("/proc/self/fd/1", &stdout_link).unwrap();
    let r = analyze_into("--annotate", &stdout_link, &input);
    assert_exit(&r, 1);
    assert!(is_symlink(&stdout_link), "{:?} was replaced", stdout_link);
    assert!(
        r.stdout.windows(4).any(|w| w == PCAPNG_MAGIC),
        "the capture went to the pipe"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The TUI's saved rounds (`licpath-live-*.json`) go through the same writer: a link
/// planted at the name is refused and its target kept; a file there is replaced whole.
#[test]
fn the_tuis_live_json_does_not_follow_a_planted_link() {
    let dir = tmp_dir("live-json");
    let victim = dir.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let link = dir.join("licpath-live-1.json");
    symlink(&victim, &link).unwrap();
    let e = licpath::tui::run::write_live_json(&link, &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("symbolic link"), "{e}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(is_symlink(&link));
    let plain = dir.join("licpath-live-2.json");
    std::fs::write(&plain, b"old").unwrap();
    licpath::tui::run::write_live_json(&plain, &[]).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&plain).unwrap()).unwrap();
    assert_eq!(doc["command"], "tui");
    assert_eq!(
        names_in(&dir),
        ["licpath-live-1.json", "licpath-live-2.json", "victim"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A classic pcap of `frames` Ethernet frames of 65,535 zero bytes, gzip-compressed into
/// `path`: it inflates about 1,000 times (a gzip bomb).
fn gzip_bomb(path: &Path, frames: u32) {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::best(),
    );
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65_535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    gz.write_all(&header).unwrap();
    // Ethernet, IPv4, UDP 198.51.100.10:40000 -> 203.0.113.9:9, then zeros.
    let mut frame = vec![0u8; 65_535];
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip_len = (65_535u32 - 14) as u16;
    let ip = [
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        0,
        0,
        0,
        64,
        17,
        0,
        0,
        198,
        51,
        100,
        10,
        203,
        0,
        113,
        9,
    ];
    frame[14..34].copy_from_slice(&ip);
    let udp_len = ip_len - 20;
    frame[34..42].copy_from_slice(&[0x9c, 0x40, 0, 9, (udp_len >> 8) as u8, udp_len as u8, 0, 0]);
    for i in 0..frames {
        let mut rec = Vec::with_capacity(16);
        rec.extend_from_slice(&(1_790_000_000 + i).to_le_bytes());
        rec.extend_from_slice(&0u32.to_le_bytes());
        rec.extend_from_slice(&65_535u32.to_le_bytes());
        rec.extend_from_slice(&65_535u32.to_le_bytes());
        gz.write_all(&rec).unwrap();
        gz.write_all(&frame).unwrap();
    }
    gz.finish().unwrap();
}

/// Issue 28 item 11: `--annotate` of a gzip bomb (32 MiB of frames in about 35 KB) is
/// refused by its cap, 100 times the compressed size plus 16 MiB: one line, exit 2, nothing
/// left behind; `--max-output` raises or lowers the cap, for any input.
#[test]
fn annotating_a_gzip_bomb_is_refused_by_the_output_cap() {
    fn flag(f: &'static str) -> &'static OsStr {
        f.as_ref()
    }
    let dir = tmp_dir("bomb");
    let bomb = dir.join("bomb.pcap.gz");
    gzip_bomb(&bomb, 512);
    let compressed = std::fs::metadata(&bomb).unwrap().len();
    assert!(compressed < 100_000, "{compressed}");
    let out = dir.join("out.pcapng");
    let r = licpath(&[
        flag("analyze"),
        flag("--annotate"),
        out.as_os_str(),
        bomb.as_os_str(),
    ]);
    assert_exit(&r, 2);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("the annotated capture would be larger than")
            && err.contains("a gzip bomb?")
            && err.contains("--max-output"),
        "{err}"
    );
    assert_eq!(names_in(&dir), ["bomb.pcap.gz"]);
    // Allowed explicitly, it is written.
    let r = licpath(&[
        flag("analyze"),
        flag("--annotate"),
        out.as_os_str(),
        flag("--max-output"),
        flag("100M"),
        bomb.as_os_str(),
    ]);
    assert_exit(&r, 3);
    assert!(std::fs::metadata(&out).unwrap().len() > 32 << 20);
    // And a plain capture under a cap it passes: refused, nothing left.
    let small = dir.join("small.pcapng");
    let r = licpath(&[
        flag("analyze"),
        flag("--annotate"),
        small.as_os_str(),
        flag("--max-output"),
        flag("1K"),
        lab("ssl-interception-tls12.pcap").as_os_str(),
    ]);
    assert_exit(&r, 2);
    assert!(!small.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
