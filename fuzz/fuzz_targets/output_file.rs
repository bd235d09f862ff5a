//! The one output opener (src/outfile.rs) on arbitrary names and contents in a scratch
//! directory holding an input, a link to it, a directory and a FIFO-free mix of files: no
//! panic; the input is never changed; whatever is refused leaves the directory as it was;
//! whatever is committed holds exactly the bytes written; no temporary file is left.
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
        }
        d
    })
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
    let before: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    match OutputFile::create(&path, &[input.as_path(), Path::new("/nonexistent")]) {
        Ok(mut out) => {
            let _ = out.write_all(body);
            if out.commit().is_ok() && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                assert_eq!(std::fs::read(&path).unwrap(), body);
            }
            if path.parent() == Some(dir.as_path()) && path != input {
                let _ = std::fs::remove_file(&path);
            }
        }
        Err(_) => {
            let after: Vec<_> =
                std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
            assert_eq!(before, after, "{name:?}: a refusal changed the directory");
        }
    }
    assert_eq!(std::fs::read(&input).unwrap(), b"input bytes", "{name:?}");
    let leftovers = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .count();
    assert_eq!(leftovers, 0, "{name:?}: a temporary file was left");
});
