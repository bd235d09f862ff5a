//! The one output opener (src/outfile.rs) on arbitrary names and contents in a scratch
//! directory holding an input, a link to it, a dangling link, a directory, a FIFO (drained
//! by a reader thread), a link to the FIFO and a link to /dev/null: no panic; the input is
//! never changed; whatever is refused leaves the directory as it was; whatever is committed
//! to a regular file holds exactly the bytes written, and to the FIFO reaches its reader;
//! a link is never replaced; no temporary file is left.
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::outfile::OutputFile;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("licpath-fuzz-outfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("dir")).unwrap();
        std::fs::write(d.join("input"), b"input bytes").unwrap();
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(d.join("input"), d.join("link"));
            let _ = std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling"));
            let _ = std::os::unix::fs::symlink("/dev/null", d.join("null"));
            let _ = std::os::unix::fs::symlink(d.join("pipe"), d.join("pipe-link"));
            if std::process::Command::new("mkfifo").arg(d.join("pipe")).status().is_ok_and(|s| s.success()) {
                let fifo = d.join("pipe");
                // Opening a FIFO to write waits for a reader: one is always there.
                std::thread::spawn(move || loop {
                    if let Ok(mut f) = std::fs::File::open(&fifo) {
                        let mut got = Vec::new();
                        let _ = std::io::Read::read_to_end(&mut f, &mut got);
                        *piped().lock().unwrap() += got.len();
                    }
                });
            }
        }
        d
    })
}

/// Bytes the FIFO's reader has read so far.
fn piped() -> &'static std::sync::Mutex<usize> {
    static N: OnceLock<std::sync::Mutex<usize>> = OnceLock::new();
    N.get_or_init(|| std::sync::Mutex::new(0))
}

/// Every name in the scratch directory and in its subdirectory `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["", "dir"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).unwrap().flatten().map(move |e| format!("{sub}/{}", e.file_name().to_string_lossy())))
        .collect();
    v.sort();
    v
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let (name, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    // Names inside the scratch directory only (a component may be `..`: it stays under
    // /tmp, where nothing of value is named like this).
    if name.is_empty() || name.starts_with('/') || name.contains("..") || name.len() > 64 {
        return;
    }
    let input = dir.join("input");
    let path = dir.join(name);
    let before = names(dir);
    let was_link = is_link(&path);
    let to_pipe = std::fs::canonicalize(&path).is_ok_and(|p| p == dir.join("pipe"));
    match OutputFile::create(&path, &[input.as_path(), Path::new("/nonexistent")]) {
        Ok(mut out) => {
            let piped_before = *piped().lock().unwrap();
            let _ = out.write_all(body);
            let committed = out.commit().is_ok();
            if committed && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                assert_eq!(std::fs::read(&path).unwrap(), body);
            }
            if committed && to_pipe && !body.is_empty() {
                // The writer closed: the reader gets it all (wait for it, bounded).
                for _ in 0..2_000 {
                    if *piped().lock().unwrap() >= piped_before + body.len() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                assert!(*piped().lock().unwrap() >= piped_before + body.len(), "{name:?}: the FIFO's reader got less");
            }
            assert_eq!(is_link(&path), was_link, "{name:?}: a link was replaced or made");
            let fixed = ["input", "link", "dangling", "null", "pipe", "pipe-link", "dir"];
            if path.parent() == Some(dir.as_path()) && !fixed.contains(&name) {
                let _ = std::fs::remove_file(&path);
            }
        }
        Err(_) => {
            assert_eq!(before, names(dir), "{name:?}: a refusal changed the directory");
        }
    }
    assert_eq!(std::fs::read(&input).unwrap(), b"input bytes", "{name:?}");
    // Nothing new but the output itself (a temporary file is `.NAME.RANDOM.partial`; the
    // output may be named anything, `.partial` too).
    let parts: Vec<_> = Path::new(name).components().filter(|c| !matches!(c, std::path::Component::CurDir)).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let shown = if parts.len() == 1 { format!("/{}", parts[0]) } else { parts.join("/") };
    let left: Vec<_> = names(dir).into_iter().filter(|n| !before.contains(n) && *n != shown).collect();
    assert!(left.is_empty(), "{name:?}: left behind: {left:?}");
});
