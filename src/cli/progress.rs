//! A progress line on stderr while `analyze` reads a big capture (issue 17 item 4): bytes
//! read, rate and time left, redrawn in place, cleared when the file is done. Only for
//! people: never with `--json`, never when stderr is not a terminal (a pipe, a file, a CI
//! log), never for a file under [`MIN_BYTES`], which takes well under a second.
//!
//! The counter is the one the TUI's loading screen reads
//! ([`crate::pipeline::analyze_file_with_progress`]); the line itself is a pure function
//! of it and the elapsed time ([`line`]).

use crate::escape::esc;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Files from this size on get a progress line (~50 MB: at a few hundred MB/s the read
/// takes long enough to wonder whether anything happens).
pub const MIN_BYTES: u64 = 50_000_000;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// Who reads an output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A person: text on stdout, a terminal on stderr.
    Person,
    /// A program: JSON on stdout, a pipe or file on stderr.
    Program,
}

/// Whether a file of `size` bytes gets a progress line: only when people read both the
/// report (`stdout`) and the terminal the line is drawn on (`stderr`).
pub fn wanted(stdout: Reader, stderr: Reader, size: u64) -> bool {
    stdout == Reader::Person && stderr == Reader::Person && size >= MIN_BYTES
}

/// `licpath: reading big.pcap: 120.0 of 480.0 MB (25%), 60 MB/s, 6 s left`. A compressed
/// file yields more bytes than its size: then only what was read and the rate.
pub fn line(name: &str, read: u64, size: u64, elapsed: Duration) -> String {
    let mb = |b: u64| b as f64 / 1e6;
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { read as f64 / secs } else { 0.0 };
    let mut s = format!("licpath: reading {}: {:.1}", esc(name), mb(read));
    let known = size > 0 && read <= size;
    if known {
        s.push_str(&format!(" of {:.1} MB ({}%)", mb(size), read * 100 / size));
    } else {
        s.push_str(" MB");
    }
    if rate > 0.0 {
        s.push_str(&format!(", {:.0} MB/s", rate / 1e6));
        if known {
            let left = ((size - read) as f64 / rate).ceil() as u64;
            s.push_str(&format!(", {} left", duration(left)));
        }
    }
    s
}

fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// A running progress line; [`Meter::finish`] stops it and clears the line.
pub struct Meter {
    counter: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Meter {
    /// Starts redrawing the line for `name` (of `size` bytes) on stderr.
    pub fn start(name: &str, size: u64) -> Meter {
        let counter = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, name) = (Arc::clone(&counter), Arc::clone(&stop), name.to_string());
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                let text = line(&name, c.load(Ordering::Relaxed), size, started.elapsed());
                // CR and "erase to end of line": redraw in place (a terminal, by `wanted`).
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{text}\x1b[K");
                let _ = err.flush();
            }
        });
        Meter {
            counter,
            stop,
            thread: Some(thread),
        }
    }

    /// The counter to hand to the pipeline.
    pub fn counter(&self) -> &AtomicU64 {
        &self.counter
    }

    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_for_people_and_big_files() {
        use Reader::{Person, Program};
        assert!(wanted(Person, Person, MIN_BYTES));
        assert!(!wanted(Program, Person, 1 << 30), "never with --json");
        assert!(
            !wanted(Person, Program, 1 << 30),
            "never when stderr is not a terminal"
        );
        assert!(
            !wanted(Person, Person, MIN_BYTES - 1),
            "small files are quick"
        );
    }

    #[test]
    fn bytes_rate_and_time_left() {
        assert_eq!(
            line("big.pcap", 120_000_000, 480_000_000, Duration::from_secs(2)),
            "licpath: reading big.pcap: 120.0 of 480.0 MB (25%), 60 MB/s, 6 s left"
        );
        assert_eq!(
            line("big.pcap", 0, 480_000_000, Duration::ZERO),
            "licpath: reading big.pcap: 0.0 of 480.0 MB (0%)"
        );
        assert_eq!(
            line(
                "huge.pcapng",
                100_000_000,
                10_000_000_000,
                Duration::from_secs(10)
            ),
            "licpath: reading huge.pcapng: 100.0 of 10000.0 MB (1%), 10 MB/s, 16 min 30 s left"
        );
        // gzip: more bytes come out than the file holds; no percentage, no guess.
        assert_eq!(
            line("x.pcap.gz", 90_000_000, 60_000_000, Duration::from_secs(1)),
            "licpath: reading x.pcap.gz: 90.0 MB, 90 MB/s"
        );
        // The name is what the user typed, escaped like every echoed string.
        assert!(line("a\x1b[2J.pcap", 0, 1, Duration::ZERO).contains(r"a\x1b[2J.pcap"));
        assert_eq!(duration(7200 + 180), "2 h 3 min");
    }
}
