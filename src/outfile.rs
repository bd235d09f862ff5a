//! The one way licpath opens a file it was asked to write: `--annotate`, `--html`,
//! `--markdown`, `man --dir`. The name comes from the user, but the directory may be
//! shared and the name may already be something else, so:
//!
//! - a new or regular file is written to a temporary file created with `O_EXCL` under a
//!   random name in the same directory (the `tempfile` crate), and renamed over the name
//!   only when complete: a planted link cannot redirect the write, a reader never sees half
//!   a file, and on every error (or a panic) the temporary file is removed;
//! - a symbolic link is never followed to a regular file nor replaced; a pipe, a terminal,
//!   a character device or a socket (directly, or through a link such as `/dev/stdout`) is
//!   written straight through, never replaced by a regular file; `-` is stdout;
//! - a directory or a block device is refused before anything is created;
//! - an output that is the same file as any input (same device and inode, not the same
//!   name; the canonical path where there are no inodes) is refused.
//!
//! It must not: read the inputs, print, or leave anything behind but the finished output.

use std::fs::{File, Metadata};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{path}: is the same file as the input {input}: an output must not overwrite its input"
    )]
    SameAsInput { path: String, input: String },
    #[error("{path}: is a directory: name a file in it")]
    Directory { path: String },
    #[error("{path}: is a block device: refusing to write to it")]
    BlockDevice { path: String },
    #[error(
        "{path}: is a symbolic link to a regular file or to nothing: not followed; name the file itself"
    )]
    Symlink { path: String },
    #[error("{path}: appeared while the output was written: not replaced")]
    Appeared { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

impl OutputError {
    /// A refusal of the output named (a usage error), rather than a failure to write.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, OutputError::Io { .. })
    }
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    /// A pipe, terminal, character device or socket: written in place.
    Stream(BufWriter<File>),
    /// The temporary file, renamed over `path` by [`OutputFile::commit`]; `replace`
    /// whether a regular file was there (otherwise nothing may appear meanwhile).
    Temp {
        file: BufWriter<NamedTempFile>,
        replace: bool,
    },
}

/// An output being written. Nothing appears under its name until [`OutputFile::commit`];
/// dropped without it, the temporary file is removed.
pub struct OutputFile {
    path: PathBuf,
    sink: Sink,
}

/// What identifies a file whatever its name: (device, inode) on Unix.
#[cfg(unix)]
fn identity(m: &Metadata, _path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

/// Without inodes: the canonical path.
#[cfg(not(unix))]
fn identity(_m: &Metadata, path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok()
}

/// A pipe, character device or socket: something written in place, never replaced.
#[cfg(unix)]
fn is_stream(m: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    t.is_fifo() || t.is_char_device() || t.is_socket()
}

#[cfg(not(unix))]
fn is_stream(m: &Metadata) -> bool {
    !m.is_file() && !m.is_dir()
}

#[cfg(unix)]
fn is_block_device(m: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_block_device()
}

#[cfg(not(unix))]
fn is_block_device(_m: &Metadata) -> bool {
    false
}

/// Names that mean this process's standard output.
const STDOUT_NAMES: &[&str] = &["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

impl OutputFile {
    /// Opens `path` for writing as the module says, refusing it when it is the same file
    /// as one of `inputs`.
    pub fn create(path: &Path, inputs: &[&Path]) -> Result<OutputFile, OutputError> {
        let shown = || path.display().to_string();
        let io_err = |source| OutputError::Io {
            path: shown(),
            source,
        };
        let out = |sink| OutputFile {
            path: path.to_path_buf(),
            sink,
        };
        if STDOUT_NAMES.iter().any(|n| path == Path::new(n)) {
            return Ok(out(Sink::Stdout(BufWriter::new(io::stdout()))));
        }
        let link = match std::fs::symlink_metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(e)),
        };
        // What the name leads to (through a link).
        let target = match &link {
            Some(l) if l.file_type().is_symlink() => std::fs::metadata(path).ok(),
            other => other.clone(),
        };
        if let Some(t) = &target {
            refuse_inputs(path, t, inputs)?;
        }
        match (&link, &target) {
            (_, Some(t)) if t.is_dir() => Err(OutputError::Directory { path: shown() }),
            (_, Some(t)) if is_block_device(t) => Err(OutputError::BlockDevice { path: shown() }),
            (_, Some(t)) if is_stream(t) => Ok(out(Sink::Stream(open_stream(path, t)?))),
            (Some(l), _) if l.file_type().is_symlink() => {
                Err(OutputError::Symlink { path: shown() })
            }
            (_, t) => {
                let file = temp_beside(path, t.as_ref()).map_err(io_err)?;
                Ok(out(Sink::Temp {
                    file: BufWriter::new(file),
                    replace: t.is_some(),
                }))
            }
        }
    }

    /// Flushes and, for a file, renames the finished temporary file over the name.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.path;
        let io_err = |source| OutputError::Io {
            path: path.display().to_string(),
            source,
        };
        match self.sink {
            Sink::Stdout(mut s) => s.flush().map_err(io_err),
            Sink::Stream(mut s) => s.flush().map_err(io_err),
            Sink::Temp { file, replace } => {
                let tmp = file.into_inner().map_err(|e| io_err(e.into_error()))?;
                tmp.as_file().sync_all().map_err(io_err)?;
                let kept = if replace {
                    // A rename replaces whatever is at the name (never writes through it).
                    tmp.persist(&path).map(drop)
                } else {
                    tmp.persist_noclobber(&path).map(drop)
                };
                // On failure the temporary file comes back in the error and is removed
                // when it drops.
                kept.map_err(|e| match e.error.kind() {
                    io::ErrorKind::AlreadyExists => OutputError::Appeared {
                        path: path.display().to_string(),
                    },
                    _ => io_err(e.error),
                })
            }
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(s) => s.write(buf),
            Sink::Stream(s) => s.write(buf),
            Sink::Temp { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(s) => s.flush(),
            Sink::Stream(s) => s.flush(),
            Sink::Temp { file, .. } => file.flush(),
        }
    }
}

/// Refuses `path` (leading to `target`) when it is one of `inputs`.
fn refuse_inputs(path: &Path, target: &Metadata, inputs: &[&Path]) -> Result<(), OutputError> {
    let Some(out) = identity(target, path) else {
        return Ok(());
    };
    for input in inputs {
        let same = std::fs::metadata(input)
            .ok()
            .and_then(|m| identity(&m, input))
            .is_some_and(|i| i == out);
        if same {
            return Err(OutputError::SameAsInput {
                path: path.display().to_string(),
                input: input.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Opens a pipe, terminal, device or socket for writing in place (no create, no truncate),
/// and checks that what was opened is still that (not a regular file swapped in).
fn open_stream(path: &Path, expected: &Metadata) -> Result<BufWriter<File>, OutputError> {
    let io_err = |source| OutputError::Io {
        path: path.display().to_string(),
        source,
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err)?;
    let opened = f.metadata().map_err(io_err)?;
    if !is_stream(&opened) || identity(&opened, path) != identity(expected, path) {
        return Err(OutputError::Appeared {
            path: path.display().to_string(),
        });
    }
    Ok(BufWriter::new(f))
}

/// A new file created exclusively under a random name in `path`'s directory, with the
/// permissions of the file it will replace (else those `File::create` gives).
fn temp_beside(path: &Path, replaced: Option<&Metadata>) -> io::Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".partial");
    match replaced {
        Some(m) => {
            b.permissions(m.permissions());
        }
        None => default_permissions(&mut b),
    }
    b.tempfile_in(dir)
}

#[cfg(unix)]
fn default_permissions(b: &mut tempfile::Builder) {
    use std::os::unix::fs::PermissionsExt;
    // The kernel applies the umask, as for `File::create` (tempfile's own is 0600).
    b.permissions(std::fs::Permissions::from_mode(0o666));
}

/// Elsewhere a new file has no mode to widen.
#[cfg(not(unix))]
fn default_permissions(_b: &mut tempfile::Builder) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("licpath-outfile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn nothing_appears_before_commit_and_nothing_stays_without_it() {
        let dir = scratch("drop");
        let path = dir.join("report.html");
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"half").unwrap();
        out.flush().unwrap();
        assert!(!path.exists(), "visible before commit");
        drop(out);
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"whole").unwrap();
        out.commit().unwrap();
        assert_eq!(names(&dir), ["report.html"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_name_taken_meanwhile_is_not_replaced() {
        let dir = scratch("appeared");
        let path = dir.join("out.md");
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"mine").unwrap();
        std::fs::write(&path, b"theirs").unwrap();
        let e = out.commit().unwrap_err();
        assert!(matches!(e, OutputError::Appeared { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs");
        assert_eq!(names(&dir), ["out.md"]);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        let dir = scratch("mode");
        let path = dir.join("out.pcapng");
        std::fs::write(&path, b"old").unwrap();
        let mut p = std::fs::metadata(&path).unwrap().permissions();
        p.set_readonly(true);
        std::fs::set_permissions(&path, p).unwrap();
        let mut out = OutputFile::create(&path, &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        std::fs::remove_dir_all(dir).ok();
    }
}
