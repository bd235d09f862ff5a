//! `licpath watch`: the sources on their threads, the engine on this one; lines on
//! stdout as attempts complete, the metrics file every --interval, a clean stop on
//! SIGINT/SIGTERM (what is still open is judged, the metrics written, exit 0).

use super::analyze::{ContextFlags, setup_with};
use super::args::{WatchArgs, WatchFormat};
use super::error::{CliError, written};
use super::input::plan_from_config;
use crate::escape::esc;
use crate::model::context::AnalysisContext;
use crate::report::prometheus::write_watch_prometheus;
use crate::report::watch::{write_attempt_jsonl, write_attempt_text};
use crate::watch::follow::{FollowSet, SourceEvent, follow, follow_stdin};
use crate::watch::{Attempt, AttemptSink, Engine, WATCH_RETIREMENT, WatchConfig, WatchFrame};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// Frames in flight between a source and the engine.
pub(super) const CHANNEL: usize = 16_384;
/// How often the engine's clock moves on without frames.
const TICK: Duration = Duration::from_millis(100);
/// The metrics file's name in --textfile-dir.
pub const TEXTFILE: &str = "licpath-watch.prom";

pub fn run(args: &WatchArgs) -> Result<u8, CliError> {
    let cfg = config(args)?;
    let textfile = match &args.textfile_dir {
        Some(dir) => Some(textfile_in(dir)?),
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = sync_channel(CHANNEL);
    start_source(args, &cfg.acfg.context, tx.clone(), stop.clone())?;
    let _signals = on_signal(tx, stop.clone())?;
    let mut w = Watcher {
        engine: Engine::new(cfg),
        sink: Stdout(args.format),
        textfile,
        interval: Duration::from_secs(args.interval),
        drops: args.interface.is_some().then_some((0, 0)),
    };
    let code = w.run(&rx)?;
    stop.store(true, Ordering::Relaxed);
    Ok(code)
}

/// The engine's settings from the flags and the switches' texts.
pub(super) fn config(args: &WatchArgs) -> Result<WatchConfig, CliError> {
    let configs = args
        .from_config
        .iter()
        .map(|p| plan_from_config(p, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    let setup = setup_with(&ContextFlags {
        configs: &configs,
        proxies: &args.proxy,
        dns_servers: &args.dns_servers,
        switches: &args.switches,
        hosts: &args.hosts,
        all: false,
        trust: &args.trust,
    })?;
    let mut names = HashMap::new();
    for c in &configs {
        match (&c.hostname, c.addresses.as_slice()) {
            (Some(h), []) => eprintln!(
                "licpath: warning: {}: no interface address (ip address): the lines of {} are named by address",
                esc(&c.file),
                esc(h)
            ),
            (Some(h), addrs) => {
                for a in addrs {
                    names.entry(*a).or_insert_with(|| h.clone());
                }
            }
            (None, _) => {}
        }
    }
    Ok(WatchConfig {
        acfg: setup.acfg,
        dcfg: setup.dcfg,
        retirement: {
            let idle_timeout_ns = args.idle_timeout as i64 * 1_000_000_000;
            crate::flow::Retirement {
                idle_timeout_ns,
                // Never shorter than the idle timeout asked for.
                max_attempt_ns: WATCH_RETIREMENT
                    .max_attempt_ns
                    .map(|m| m.max(idle_timeout_ns)),
                ..WATCH_RETIREMENT
            }
        },
        max_switches: args.max_switches as usize,
        names,
    })
}

/// The metrics file's path; the directory must exist and take files (checked now, so
/// that a typo is exit 2 at once and not a warning an hour later).
fn textfile_in(dir: &Path) -> Result<PathBuf, CliError> {
    // A file created exclusively under a random name (removed when it drops): no name a
    // link could be planted at.
    // The directory is checked here, at start, and said in the flag's words: tempfile's own
    // error names its random file, which the user never asked for.
    tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        CliError::Usage(format!(
            "--textfile-dir {}: cannot write there ({}); name an existing directory this user may write in (the one node_exporter's textfile collector reads)",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    Ok(dir.join(TEXTFILE))
}

/// An I/O error's reason without the path tempfile adds to its message ("... at path X"):
/// the operating system's words for its code.
fn io_reason(e: &std::io::Error) -> String {
    e.raw_os_error().map_or_else(
        || e.kind().to_string(),
        |code| std::io::Error::from_raw_os_error(code).to_string(),
    )
}

/// Starts the thread that reads the packets.
pub(super) fn start_source(
    args: &WatchArgs,
    ctx: &AnalysisContext,
    tx: SyncSender<SourceEvent>,
    stop: Arc<AtomicBool>,
) -> Result<(), CliError> {
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(f)
            .map(|_| ())
            .map_err(CliError::Runtime)
    };
    if let Some(file) = &args.file {
        if file.as_os_str() == "-" {
            return spawn("licpath-stdin", Box::new(move || follow_stdin(tx)));
        }
        let set = FollowSet::File(file.clone());
        return spawn("licpath-follow", Box::new(move || follow(set, tx, stop)));
    }
    if let Some(dir) = &args.dir {
        if !dir.is_dir() {
            return Err(CliError::WatchSource(format!(
                "{}: not a directory",
                dir.display()
            )));
        }
        let set = FollowSet::Dir(dir.clone());
        return spawn("licpath-follow", Box::new(move || follow(set, tx, stop)));
    }
    let device = args.interface.clone().unwrap_or_default();
    live(&device, ctx, tx, stop, spawn)
}

/// `--interface` on Linux: AF_PACKET with the kernel filter of the context.
#[cfg(target_os = "linux")]
fn live(
    device: &str,
    ctx: &AnalysisContext,
    tx: SyncSender<SourceEvent>,
    stop: Arc<AtomicBool>,
    spawn: impl Fn(&str, Box<dyn FnOnce() + Send>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let (cap, warnings) = crate::watch::packet::open(device, ctx)
        .map_err(|e| CliError::WatchSource(esc(&e.to_string()).to_string()))?;
    for w in warnings {
        eprintln!("licpath: warning: {}", esc(&w));
    }
    spawn(
        "licpath-capture",
        Box::new(move || crate::watch::packet::run(cap, tx, stop)),
    )
}

/// Elsewhere: tcpdump (or dumpcap) into `--file -`, with the same filter.
#[cfg(not(target_os = "linux"))]
fn live(
    device: &str,
    ctx: &AnalysisContext,
    _tx: SyncSender<SourceEvent>,
    _stop: Arc<AtomicBool>,
    _spawn: impl Fn(&str, Box<dyn FnOnce() + Send>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    Err(CliError::WatchSource(format!(
        "--interface {}: live capture is Linux-only (AF_PACKET); capture with tcpdump or dumpcap instead: tcpdump -i {} -U -w - '{}' | licpath watch --file -",
        esc(device),
        esc(device),
        crate::watch::filter::capture_filter(ctx)
    )))
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere) stop the watch: the source stops and the engine
/// flushes.
fn on_signal(
    tx: SyncSender<SourceEvent>,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    // Registered before the first packet is read: a signal from then on is caught.
    let stopped = {
        let _guard = rt.enter();
        stop_signals()?
    };
    std::thread::Builder::new()
        .name("licpath-signals".into())
        .spawn(move || {
            rt.block_on(stopped);
            stop.store(true, Ordering::Relaxed);
            let _ = tx.send(SourceEvent::Finished);
        })
        .map_err(CliError::Runtime)
}

#[cfg(unix)]
fn stop_signals() -> Result<impl std::future::Future<Output = ()> + Send, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(CliError::Runtime)?;
    let mut int = signal(SignalKind::interrupt()).map_err(CliError::Runtime)?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> Result<impl std::future::Future<Output = ()> + Send, CliError> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Where the judged attempts go: stdout's lines (`watch`) or the TUI (`tui --watch`).
pub(super) trait Sink {
    /// Attempts judged since the last call (drained).
    fn attempts(&mut self, attempts: &mut Vec<Attempt>) -> Result<(), CliError>;
    /// Something the watch goes on after.
    fn warning(&mut self, line: &str);
    /// The capture cannot be read: the watch ends (exit 2).
    fn fatal(&mut self, line: &str);
}

/// `watch`'s lines on stdout, its warnings and errors on stderr.
struct Stdout(WatchFormat);

impl Sink for Stdout {
    fn attempts(&mut self, attempts: &mut Vec<Attempt>) -> Result<(), CliError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let stdout = std::io::stdout();
        let mut o = stdout.lock();
        for a in attempts.drain(..) {
            written(match self.0 {
                WatchFormat::Text => write_attempt_text(&mut o, &a),
                WatchFormat::Jsonl => write_attempt_jsonl(&mut o, &a),
            })?;
        }
        written(o.flush())
    }

    fn warning(&mut self, line: &str) {
        eprintln!("licpath: warning: {}", esc(line));
    }

    fn fatal(&mut self, line: &str) {
        eprintln!("licpath: error: {}", esc(line));
    }
}

/// Judged attempts held at most on their way to the sink: the end of a capture judges every
/// live flow at once, and each attempt may hold its connection's long strings
/// (`model::long_strings::ATTEMPT_LONG_STRINGS`): they are written as they come, in
/// batches of this many at most, not gathered first.
pub(super) const BATCH: usize = 64;

/// The engine's attempts on their way to a [`Sink`] (see [`BATCH`]); the first failure to
/// write is kept, and nothing more is written after it.
struct Batch<'a, S: Sink> {
    sink: &'a mut S,
    held: Vec<Attempt>,
    failed: Option<CliError>,
}

impl<S: Sink> Batch<'_, S> {
    fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(e) = self.sink.attempts(&mut self.held)
        {
            self.failed = Some(e);
        }
        self.held.clear();
    }
}

impl<S: Sink> AttemptSink for Batch<'_, S> {
    fn attempt(&mut self, a: Attempt) {
        if self.failed.is_none() {
            self.held.push(a);
        }
        if self.held.len() >= BATCH {
            self.flush();
        }
    }
}

/// The engine and its outputs.
pub(super) struct Watcher<S: Sink> {
    pub engine: Engine,
    pub sink: S,
    pub textfile: Option<PathBuf>,
    pub interval: Duration,
    pub drops: Option<(u64, u64)>,
}

impl<S: Sink> Watcher<S> {
    pub fn run(&mut self, rx: &Receiver<SourceEvent>) -> Result<u8, CliError> {
        // The capture clock: the last frame's time, moved on by the time since it came.
        let mut clock: Option<(i64, Instant)> = None;
        let mut last_tick = Instant::now();
        let mut last_write = Instant::now();
        self.write_metrics();
        loop {
            match rx.recv_timeout(TICK) {
                Ok(SourceEvent::Frame {
                    number,
                    time_ns,
                    linktype,
                    data,
                    orig_len,
                }) => {
                    self.judge(|e, out| {
                        e.frame(
                            WatchFrame {
                                number,
                                time_ns,
                                linktype,
                                data: &data,
                                orig_len,
                            },
                            out,
                        )
                    })?;
                    clock = Some((time_ns, Instant::now()));
                }
                Ok(SourceEvent::FileStarted(name)) => self.engine.file_started(&name),
                Ok(SourceEvent::CaptureEnded) => {
                    self.judge(|e, out| e.end_capture(out))?;
                    clock = None;
                }
                Ok(SourceEvent::Warning(w)) => self.sink.warning(&w),
                Ok(SourceEvent::Drops { kernel, interface }) => {
                    let before = self.drops.map_or(0, |(k, i)| k + i);
                    self.sink.warning(&format!(
                        "the capture lost {} packet(s) ({kernel} dropped by the kernel, {interface} by the interface): attempts may be judged on partial evidence",
                        kernel + interface - before.min(kernel + interface)
                    ));
                    self.drops = Some((kernel, interface));
                }
                Ok(SourceEvent::Fatal(line)) => {
                    self.sink.fatal(&line);
                    return Ok(super::EXIT_USAGE);
                }
                Ok(SourceEvent::Finished) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if last_tick.elapsed() >= TICK {
                last_tick = Instant::now();
                if let Some((t, at)) = clock {
                    let now = t.saturating_add(at.elapsed().as_nanos() as i64);
                    self.judge(|e, out| e.advance(now, out))?;
                }
            }
            if last_write.elapsed() >= self.interval {
                last_write = Instant::now();
                self.write_metrics();
            }
        }
        self.judge(|e, out| e.end_capture(out))?;
        self.write_metrics();
        Ok(0)
    }

    /// Runs the engine with the sink taking its attempts as they are judged, at most
    /// [`BATCH`] held on the way.
    fn judge(&mut self, f: impl FnOnce(&mut Engine, &mut dyn AttemptSink)) -> Result<(), CliError> {
        let mut out = Batch {
            sink: &mut self.sink,
            held: Vec::new(),
            failed: None,
        };
        f(&mut self.engine, &mut out);
        out.flush();
        out.failed.map_or(Ok(()), Err)
    }

    /// The metrics file, written aside and renamed: the collector never reads half of it.
    fn write_metrics(&self) {
        let Some(path) = &self.textfile else {
            return;
        };
        // The safe output writer (crate::outfile): a random temporary name, renamed over
        // the name when complete; a link planted there is not followed.
        let result = crate::outfile::OutputFile::create(path, &[])
            .map_err(|e| e.to_string())
            .and_then(|mut f| {
                write_watch_prometheus(&mut f, &self.engine.switches, self.drops)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                f.commit().map_err(|e| e.to_string())
            });
        if let Err(e) = result {
            eprintln!("licpath: warning: {}", esc(&e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::tests::{licensing_config, tls_attempt};

    /// Records how many attempts each call hands over.
    #[derive(Default)]
    struct Batches(Vec<usize>);

    impl Sink for Batches {
        fn attempts(&mut self, attempts: &mut Vec<Attempt>) -> Result<(), CliError> {
            if !attempts.is_empty() {
                self.0.push(attempts.len());
            }
            attempts.clear();
            Ok(())
        }
        fn warning(&mut self, _: &str) {}
        fn fatal(&mut self, _: &str) {}
    }

    /// 300 connections still open when the capture ends are judged together; they reach
    /// the sink as they are judged, never more than [`BATCH`] held on the way (all 300
    /// at once before: with a 16 KB SNI each, what made `watch` peak at 175 MB).
    #[test]
    fn attempts_judged_together_reach_the_sink_in_bounded_batches() {
        let (tx, rx) = sync_channel(100_000);
        tx.send(SourceEvent::FileStarted("many.pcap".into()))
            .unwrap();
        let mut number = 0;
        for i in 0..300u16 {
            for data in tls_attempt([198, 51, 100, 10], 20_000 + i, "smartreceiver.cisco.com") {
                number += 1;
                tx.send(SourceEvent::Frame {
                    number,
                    // All within 0.3 s: still lingering (or in the time-order window) at the end.
                    time_ns: 1_790_000_000_000_000_000 + number as i64 * 200_000,
                    linktype: 1,
                    orig_len: data.len() as u32,
                    data: crate::watch::follow::FrameBytes::new(&data),
                })
                .unwrap();
            }
        }
        tx.send(SourceEvent::Finished).unwrap();
        let mut w = Watcher {
            engine: Engine::new(licensing_config()),
            sink: Batches::default(),
            textfile: None,
            interval: Duration::from_secs(3600),
            drops: None,
        };
        assert_eq!(w.run(&rx).unwrap(), 0);
        let b = &w.sink.0;
        assert_eq!(b.iter().sum::<usize>(), 300, "{b:?}");
        assert!(b.iter().all(|&n| n <= BATCH), "{b:?}");
    }
}
