//! Following captures that are still being written, like `tail -F`: one file, the
//! rotation set of a `tcpdump -w FILE -C/-G` or `dumpcap -w FILE -b`, or a directory
//! where exports land. Runs on its own thread and hands frames (and what happens to the
//! files) over a channel; the engine never waits on the disk.
//!
//! - A partial trailing record is waited for, never an error: the reader below only ends
//!   a file when something outside says so (a newer file of the set, the file replaced or
//!   shrunk, a directory's file quiet for [`SETTLE`], the watch stopping).
//! - A file that shrinks or is replaced is followed anew from its start (a new capture).
//! - Files are taken in order (modification time, then name) and a file already read is
//!   never read again (remembered by device and inode, unless it shrank: rewritten).

use crate::capture::{Frame, read_capture};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How often a file at its end is looked at again.
const POLL: Duration = Duration::from_millis(50);
/// How often the set's files are listed while waiting.
const LIST_EVERY: Duration = Duration::from_millis(250);
/// A file of a directory that has not grown for this long is complete (an export copied
/// in); any file is complete as soon as a newer one of its set exists.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Files remembered as read.
const MAX_DONE: usize = 4_096;
/// Bytes a capture header needs before the reader looks at it (pcapng's smallest section
/// header is 28 bytes, pcap's header 24).
const HEADER_BYTES: u64 = 28;
/// A pcapng section header with its options (hardware, OS, application) fits in this.
const FULL_HEADER_BYTES: u64 = 512;
/// How long a file shorter than [`FULL_HEADER_BYTES`] is given to grow before it is read.
const HEADER_WAIT: Duration = Duration::from_millis(300);

/// Bytes of frames on their way from the sources to the engine, at most (besides the
/// channel's count of frames): a source waits while more are in flight, as it waits on a
/// full channel. The channel's 16,384 frames of a capture of 64 KiB frames (a host's own
/// offloaded traffic) would otherwise be a GiB, and of long-strings TLS 18 MB.
pub const MAX_IN_FLIGHT: usize = 4 << 20;

/// The bytes of frames in flight, process-wide (one watch per process).
static IN_FLIGHT: InFlight = InFlight {
    bytes: Mutex::new(0),
    freed: Condvar::new(),
};

struct InFlight {
    bytes: Mutex<usize>,
    freed: Condvar,
}

impl InFlight {
    /// Counts `n` more bytes, first waiting until they fit (one frame always goes).
    fn take(&self, n: usize) {
        let mut b = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        while *b > 0 && *b + n > MAX_IN_FLIGHT {
            b = self.freed.wait(b).unwrap_or_else(|e| e.into_inner());
        }
        *b += n;
    }

    fn give(&self, n: usize) {
        let mut b = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        *b = b.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// A frame's bytes on their way to the engine: counted in flight ([`MAX_IN_FLIGHT`])
/// until dropped.
#[derive(Debug)]
pub struct FrameBytes(Vec<u8>);

impl FrameBytes {
    /// Copies `data`, once the bytes in flight leave room for it.
    pub fn new(data: &[u8]) -> FrameBytes {
        IN_FLIGHT.take(data.len());
        FrameBytes(data.to_vec())
    }

    /// Bytes in flight now, process-wide.
    pub fn in_flight() -> usize {
        *IN_FLIGHT.bytes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::ops::Deref for FrameBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for FrameBytes {
    fn drop(&mut self) {
        IN_FLIGHT.give(self.0.len());
    }
}

/// What the source thread tells the engine.
#[derive(Debug)]
pub enum SourceEvent {
    /// A file starts (its frames are numbered from 1).
    FileStarted(String),
    Frame {
        number: u64,
        time_ns: i64,
        linktype: u32,
        data: FrameBytes,
        orig_len: u32,
    },
    /// The capture so far is over: a directory's export was read whole, a followed file
    /// was replaced or cut. What is still open is judged as at the end of a file.
    CaptureEnded,
    /// Something to say on stderr; the watch goes on.
    Warning(String),
    /// Packets the kernel or the interface dropped so far (live capture), in total.
    Drops { kernel: u64, interface: u64 },
    /// The capture cannot be opened at all: one line, exit 2.
    Fatal(String),
    /// The source is finished (standard input ended, or the watch was stopped).
    Finished,
}

/// What to follow.
#[derive(Debug, Clone)]
pub enum FollowSet {
    /// A file and the rotation siblings of its name.
    File(PathBuf),
    /// Every regular file of a directory (hidden and `.part`/`.tmp` files left out).
    Dir(PathBuf),
}

/// Why a file's reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Still following (the reader has not said).
    Following,
    /// A newer file of the set exists, or a directory's file settled: read whole.
    Complete,
    /// The name now points at another file, or the file shrank: read anew.
    Replaced,
    Stopped,
}

/// A file's identity: device and inode.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inodes: the name and the creation time (a file replaced under the same name is
/// created anew).
#[cfg(not(unix))]
fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let h =
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(path);
    let created = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (h, created)
}

/// Files of the set already read, with their length then (a shorter file was rewritten).
#[derive(Default)]
struct Done {
    len: HashMap<FileId, u64>,
    order: VecDeque<FileId>,
}

impl Done {
    fn insert(&mut self, id: FileId, len: u64) {
        if self.order.len() >= MAX_DONE
            && let Some(old) = self.order.pop_front()
        {
            self.len.remove(&old);
        }
        if self.len.insert(id, len).is_none() {
            self.order.push_back(id);
        }
    }

    fn contains(&self, id: FileId, len: u64) -> bool {
        self.len.get(&id).is_some_and(|&done| len >= done)
    }
}

/// Which names of a directory belong to the set.
type NameFilter = Box<dyn Fn(&str) -> bool>;

/// A candidate file of the set.
#[derive(Debug, Clone)]
struct Candidate {
    path: PathBuf,
    id: FileId,
    len: u64,
    mtime: Option<std::time::SystemTime>,
}

impl FollowSet {
    /// The set's files now, oldest first.
    fn list(&self) -> Vec<Candidate> {
        let (dir, matches): (PathBuf, NameFilter) = match self {
            FollowSet::File(f) => {
                let dir = parent_of(f);
                let base = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (dir, Box::new(move |n: &str| is_rotation_of(&base, n)))
            }
            FollowSet::Dir(d) => (
                d.clone(),
                Box::new(|n: &str| {
                    !n.starts_with('.')
                        && ![".part", ".tmp", "~", ".filepart"]
                            .iter()
                            .any(|s| n.ends_with(s))
                }),
            ),
        };
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return out;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !matches(&name) {
                continue;
            }
            let path = e.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            out.push(Candidate {
                id: file_id(&path, &meta),
                path,
                len: meta.len(),
                mtime: meta.modified().ok(),
            });
        }
        out.sort_by(|a, b| a.mtime.cmp(&b.mtime).then_with(|| a.path.cmp(&b.path)));
        out
    }

    fn is_dir(&self) -> bool {
        matches!(self, FollowSet::Dir(_))
    }
}

fn parent_of(f: &Path) -> PathBuf {
    match f.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether `name` belongs to the rotation set of the file named `base`: `base` itself,
/// `tcpdump -C`'s `base1`, `base2`..., `dumpcap -b`'s `stem_00001_20261207031500.ext`, and
/// for a `tcpdump -G` name with strftime conversions (`cap-%Y%m%d%H%M%S.pcap`) every name
/// with digits where the conversions are.
pub fn is_rotation_of(base: &str, name: &str) -> bool {
    if name == base {
        return true;
    }
    if base.contains('%') {
        return strftime_match(base.as_bytes(), name.as_bytes());
    }
    if let Some(rest) = name.strip_prefix(base)
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    let (stem, ext) = match base.rsplit_once('.') {
        Some((s, e)) => (s, Some(e)),
        None => (base, None),
    };
    let Some(rest) = name.strip_prefix(stem).and_then(|r| r.strip_prefix('_')) else {
        return false;
    };
    let middle = match ext {
        Some(e) => match rest.strip_suffix(e).and_then(|r| r.strip_suffix('.')) {
            Some(m) => m,
            None => return false,
        },
        None => rest,
    };
    let mut parts = middle.split('_');
    let (Some(seq), Some(time), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    [seq, time]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A strftime pattern against a name: each `%X` stands for a run of digits (month and day
/// names are not what rotation uses), `%%` for `%`, any other byte for itself.
fn strftime_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern {
        [] => name.is_empty(),
        [b'%', b'%', rest @ ..] => name.first() == Some(&b'%') && strftime_match(rest, &name[1..]),
        [b'%', _, rest @ ..] => {
            let digits = name.iter().take_while(|b| b.is_ascii_digit()).count();
            (1..=digits).any(|n| strftime_match(rest, &name[n..]))
        }
        [c, rest @ ..] => name.first() == Some(c) && strftime_match(rest, &name[1..]),
    }
}

/// Reads a file as it grows: at its end it waits instead of saying end-of-file, until the
/// file is complete, replaced or the watch stops.
struct FollowReader<'a> {
    file: File,
    path: PathBuf,
    id: FileId,
    pos: u64,
    set: &'a FollowSet,
    done: &'a Done,
    stop: &'a AtomicBool,
    outcome: Outcome,
    last_growth: Instant,
    last_list: Instant,
    /// Reads that returned (the first two do not wait, see `read`).
    reads: u32,
    /// When the file first held [`HEADER_BYTES`].
    header_seen: Option<Instant>,
    /// How the file was replaced or cut ([`Outcome::Replaced`]).
    why: String,
}

impl FollowReader<'_> {
    /// At the end of what is written: whether to stop here, and why.
    fn at_end(&mut self) -> Outcome {
        if self.stop.load(Ordering::Relaxed) {
            return Outcome::Stopped;
        }
        match std::fs::metadata(&self.path) {
            Ok(m) if file_id(&self.path, &m) != self.id => {
                self.why = "replaced by another file".into();
                return Outcome::Replaced;
            }
            Ok(m) if m.len() < self.pos => {
                self.why = format!("cut from {} to {} bytes", self.pos, m.len());
                return Outcome::Replaced;
            }
            Ok(m) if m.len() > self.pos => {
                self.last_growth = Instant::now();
                return Outcome::Following;
            }
            Ok(_) => {}
            // Removed: what was written is all there will be.
            Err(_) => return Outcome::Complete,
        }
        if self.last_list.elapsed() >= LIST_EVERY {
            self.last_list = Instant::now();
            // The writer moved on to a newer file of the set; a directory's export is
            // also complete once it stopped growing.
            let newer = || {
                self.set
                    .list()
                    .iter()
                    .any(|c| c.id != self.id && !self.done.contains(c.id, c.len))
            };
            let complete = (self.set.is_dir() && self.last_growth.elapsed() >= SETTLE) || newer();
            if complete {
                return Outcome::Complete;
            }
        }
        Outcome::Following
    }
}

impl FollowReader<'_> {
    /// Whether the file holds its whole capture header: at least [`HEADER_BYTES`], and
    /// a pcapng section header's options too (a short file is given [`HEADER_WAIT`]).
    fn header_ready(&mut self) -> bool {
        let len = self.file.metadata().map_or(0, |m| m.len());
        if len < HEADER_BYTES {
            self.header_seen = None;
            return false;
        }
        let seen = *self.header_seen.get_or_insert_with(Instant::now);
        len >= FULL_HEADER_BYTES || seen.elapsed() >= HEADER_WAIT
    }
}

impl Read for FollowReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.outcome != Outcome::Following {
                return Ok(0);
            }
            // The first read must hold the whole header: the format is told from it.
            if self.reads > 0 || self.header_ready() {
                let n = self.file.read(buf)?;
                self.reads += 1;
                self.pos += n as u64;
                // pcap-parser reads twice while it sets up (the header, then the first
                // records): the second may find nothing yet, and must not wait.
                if n > 0 || self.reads <= 2 {
                    if n > 0 {
                        self.last_growth = Instant::now();
                    }
                    return Ok(n);
                }
            }
            match self.at_end() {
                Outcome::Following => std::thread::sleep(POLL),
                o => self.outcome = o,
            }
        }
    }
}

/// Follows `set` until `stop`, sending what it reads to `tx`. The first file that cannot
/// be opened at all, when there is nothing else, is [`SourceEvent::Fatal`].
pub fn follow(set: FollowSet, tx: SyncSender<SourceEvent>, stop: Arc<AtomicBool>) {
    let mut done = Done::default();
    let mut first = true;
    if let FollowSet::Dir(d) = &set
        && let Err(e) = std::fs::read_dir(d)
    {
        let _ = tx.send(SourceEvent::Fatal(format!("{}: {e}", d.display())));
        return;
    }
    if let FollowSet::File(f) = &set
        && let Err(e) = std::fs::read_dir(parent_of(f))
    {
        let _ = tx.send(SourceEvent::Fatal(format!(
            "{}: {e}",
            parent_of(f).display()
        )));
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        let next = set.list().into_iter().find(|c| !done.contains(c.id, c.len));
        let Some(c) = next else {
            first = false;
            std::thread::sleep(LIST_EVERY);
            continue;
        };
        let file = match File::open(&c.path) {
            Ok(f) => f,
            Err(e) => {
                let line = format!("{}: {e}", c.path.display());
                if first && !set.is_dir() {
                    let _ = tx.send(SourceEvent::Fatal(line));
                    return;
                }
                let _ = tx.send(SourceEvent::Warning(line));
                done.insert(c.id, c.len);
                continue;
            }
        };
        first = false;
        match read_one(&set, &c, file, &done, &tx, &stop) {
            Outcome::Complete => {
                done.insert(c.id, c.len);
                if set.is_dir() {
                    let _ = tx.send(SourceEvent::CaptureEnded);
                }
            }
            // Read anew from its start: a new capture.
            Outcome::Replaced => {
                let _ = tx.send(SourceEvent::CaptureEnded);
            }
            Outcome::Stopped | Outcome::Following => break,
        }
    }
    let _ = tx.send(SourceEvent::Finished);
}

/// Reads one file of the set until it is complete, replaced or the watch stops.
fn read_one(
    set: &FollowSet,
    c: &Candidate,
    file: File,
    done: &Done,
    tx: &SyncSender<SourceEvent>,
    stop: &AtomicBool,
) -> Outcome {
    let name = c.path.display().to_string();
    let _ = tx.send(SourceEvent::FileStarted(name.clone()));
    let mut reader = FollowReader {
        file,
        path: c.path.clone(),
        id: c.id,
        pos: 0,
        set,
        done,
        stop,
        outcome: Outcome::Following,
        last_growth: Instant::now(),
        last_list: Instant::now(),
        reads: 0,
        header_seen: None,
        why: String::new(),
    };
    let result = read_capture(&name, &mut reader, |f| send_frame(tx, f));
    let outcome = reader.outcome;
    match result {
        Ok(summary) => {
            if let Some(why) = summary.corrupt {
                let _ = tx.send(SourceEvent::Warning(format!(
                    "{name}: {why}; the rest of this file is skipped (attempts open in it are judged without it)"
                )));
            }
        }
        Err(e) if outcome == Outcome::Stopped => drop(e),
        Err(e) => {
            let _ = tx.send(SourceEvent::Warning(format!("{e}; file skipped")));
        }
    }
    if outcome == Outcome::Replaced {
        // What was open is judged as at the end of a capture: a query whose answer was
        // still to come is judged unanswered, so the judgement is never silent.
        let _ = tx.send(SourceEvent::Warning(format!(
            "{name}: {} while being read; read anew from its start, and the attempts still open are judged as at the end of a capture (two writers on one file do this too)",
            reader.why
        )));
    }
    match outcome {
        // Reading stopped by itself (corrupt data): the file is done.
        Outcome::Following => Outcome::Complete,
        o => o,
    }
}

/// A frame read, handed over (owned) to the engine's thread.
fn send_frame(tx: &SyncSender<SourceEvent>, f: Frame<'_>) {
    let _ = tx.send(SourceEvent::Frame {
        number: f.number,
        time_ns: f.time_ns,
        linktype: f.linktype,
        data: FrameBytes::new(f.data),
        orig_len: f.orig_len,
    });
}

/// Reads a capture from standard input (`tcpdump -w - | licpath watch --file -`) to its
/// end.
pub fn follow_stdin(tx: SyncSender<SourceEvent>) {
    let _ = tx.send(SourceEvent::FileStarted("-".into()));
    let result = read_capture("standard input", std::io::stdin(), |f| send_frame(&tx, f));
    match result {
        Ok(s) => {
            if let Some(why) = s.corrupt {
                let _ = tx.send(SourceEvent::Warning(format!("standard input: {why}")));
            }
        }
        Err(e) => {
            let _ = tx.send(SourceEvent::Fatal(e.to_string()));
            return;
        }
    }
    let _ = tx.send(SourceEvent::Finished);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names() {
        for (base, name) in [
            ("cap.pcap", "cap.pcap"),
            ("cap.pcap", "cap.pcap1"),
            ("cap.pcap", "cap.pcap17"),
            ("cap.pcapng", "cap_00001_20261207031500.pcapng"),
            ("cap", "cap_00003_20261207031500"),
            ("cap-%Y%m%d-%H%M%S.pcap", "cap-20261207-031500.pcap"),
            ("x%%-%s.pcap", "x%-1796000000.pcap"),
        ] {
            assert!(is_rotation_of(base, name), "{base} {name}");
        }
        for (base, name) in [
            ("cap.pcap", "cap.pcapx"),
            ("cap.pcap", "other.pcap"),
            ("cap.pcap", "cap.pcap.1.gz"),
            ("cap.pcapng", "cap_00001.pcapng"),
            ("cap.pcapng", "cap_1_2_3.pcapng"),
            ("cap.pcapng", "cap_00001_2026x.pcapng"),
            ("cap-%Y%m%d.pcap", "cap-.pcap"),
            ("cap-%Y%m%d.pcap", "cap-2026.pcapng"),
        ] {
            assert!(!is_rotation_of(base, name), "{base} {name}");
        }
    }

    #[test]
    fn a_file_read_is_not_read_again_unless_rewritten() {
        let mut d = Done::default();
        d.insert((1, 2), 100);
        assert!(d.contains((1, 2), 100));
        assert!(d.contains((1, 2), 150), "grown after: still read");
        assert!(!d.contains((1, 2), 10), "shorter: rewritten");
        assert!(!d.contains((1, 3), 100));
    }
}

#[cfg(test)]
mod soak_tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc::sync_channel;

    /// A pcap record carrying its sequence number, of a length that varies with it.
    fn record(seq: u64) -> Vec<u8> {
        let mut data = seq.to_le_bytes().to_vec();
        data.resize(8 + (seq as usize * 37) % 700, 0xab);
        let t = 1_800_000_000_000_000 + seq * 1_000;
        let mut r = Vec::new();
        for v in [
            (t / 1_000_000) as u32,
            (t % 1_000_000) as u32,
            data.len() as u32,
            data.len() as u32,
        ] {
            r.extend_from_slice(&v.to_le_bytes());
        }
        r.extend_from_slice(&data);
        r
    }

    fn header() -> Vec<u8> {
        let mut h = Vec::new();
        for v in [0xa1b2_c3d4u32.to_le_bytes().to_vec(), vec![2, 0, 4, 0]] {
            h.extend_from_slice(&v);
        }
        for v in [0u32, 0, 262_144, 1] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h
    }

    /// Writes a `tcpdump -C` rotation set slowly, in chunks that split headers and records,
    /// with pauses longer than the reader's polls, deleting the file 3 back at each
    /// rotation (as `-W` does, so inodes are freed and reused). Returns the frames written.
    fn write_set(base: &Path, files: usize, per_file: u64) -> u64 {
        let mut seq = 0;
        let mut rng = 12_345u64;
        let mut next = move |n: u64| {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (rng >> 33) % n
        };
        let name = |i: usize| {
            let mut n = base.as_os_str().to_owned();
            if i > 0 {
                n.push(i.to_string());
            }
            PathBuf::from(n)
        };
        for i in 0..files {
            let mut f = File::create(name(i)).unwrap();
            let h = header();
            f.write_all(&h[..10]).unwrap();
            std::thread::sleep(Duration::from_millis(60));
            f.write_all(&h[10..]).unwrap();
            if i >= 3 {
                std::fs::remove_file(name(i - 3)).unwrap();
            }
            std::thread::sleep(Duration::from_millis(400));
            let mut bytes = Vec::new();
            for _ in 0..per_file {
                bytes.extend(record(seq));
                seq += 1;
            }
            let mut at = 0;
            while at < bytes.len() {
                let n = (1 + next(3_000) as usize).min(bytes.len() - at);
                f.write_all(&bytes[at..at + n]).unwrap();
                at += n;
                let pause = match next(20) {
                    0 => 400,
                    1..=3 => 120,
                    _ => next(8),
                };
                std::thread::sleep(Duration::from_millis(pause));
            }
        }
        seq
    }

    /// A new directory of its own for a test, and the capture name in it.
    fn fresh_dir(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("licpath-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("cap.pcap");
        (dir, base)
    }

    /// The soak of issue 24 as a test: every frame of a rotation set written slowly, in
    /// pieces, with deletions, reaches the engine once and in order, with no capture
    /// ended inside a file.
    #[test]
    fn a_rotation_set_written_slowly_reaches_the_engine_whole_and_once() {
        let (dir, base) = fresh_dir("follow");
        let mut written = 0;
        let (events, seqs) = follow_while(&base, || written = write_set(&base, 6, 400));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(events, ["started"; 6], "one start per file, nothing else");
        assert_eq!(
            seqs,
            (0..written).collect::<Vec<_>>(),
            "every frame once, in order"
        );
    }

    /// Follows `base` on a thread while `write` runs; what the source said, in order
    /// (frames as their sequence numbers).
    fn follow_while(base: &Path, write: impl FnOnce()) -> (Vec<String>, Vec<u64>) {
        let (tx, rx) = sync_channel(1 << 14);
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (set, stop) = (FollowSet::File(base.to_path_buf()), stop.clone());
            std::thread::spawn(move || follow(set, tx, stop))
        };
        write();
        std::thread::sleep(Duration::from_secs(1));
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
        let (mut events, mut seqs) = (Vec::new(), Vec::new());
        for e in rx.try_iter() {
            match e {
                SourceEvent::Frame { data, .. } => {
                    seqs.push(u64::from_le_bytes(data[..8].try_into().unwrap()))
                }
                SourceEvent::FileStarted(_) => events.push("started".to_string()),
                SourceEvent::Warning(w) => events.push(w),
                SourceEvent::Finished => {}
                other => events.push(format!("{other:?}")),
            }
        }
        (events, seqs)
    }

    /// A file cut while it is followed (a second writer truncating it, tcpdump restarted
    /// in place) is read anew, and the judging of what was open is said on stderr: the
    /// soak of issue 24 lost two files to a second writer without a word.
    #[test]
    fn a_file_cut_while_followed_is_read_anew_with_a_warning() {
        let (dir, base) = fresh_dir("cut");
        let mut first = header();
        for seq in 0..50 {
            first.extend(record(seq));
        }
        std::fs::write(&base, &first).unwrap();
        let (events, seqs) = follow_while(&base, || {
            std::thread::sleep(Duration::from_millis(800));
            let mut f = std::fs::OpenOptions::new().write(true).open(&base).unwrap();
            f.set_len(24).unwrap();
            std::thread::sleep(Duration::from_millis(800));
            let mut more = Vec::new();
            for seq in 100..110 {
                more.extend(record(seq));
            }
            use std::io::Seek;
            f.seek(std::io::SeekFrom::Start(24)).unwrap();
            f.write_all(&more).unwrap();
        });
        let _ = std::fs::remove_dir_all(&dir);
        let cut = format!(
            "{}: cut from {} to 24 bytes while being read; read anew from its start, and the attempts still open are judged as at the end of a capture (two writers on one file do this too)",
            base.display(),
            first.len()
        );
        assert_eq!(events, ["started", &cut, "CaptureEnded", "started"]);
        let want: Vec<u64> = (0..50).chain(100..110).collect();
        assert_eq!(seqs, want);
    }
}
