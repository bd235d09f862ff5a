//! The one terminal loop, for every screen: messages come over one channel from the
//! input thread (keys, mouse, resizes), the ticker, and the workers (the capture loader,
//! the prober, the watch engine); the loop hands each to the screen's `update` and draws
//! only when one of them changed the screen. The network and the disk live on the other
//! threads. The terminal is restored on exit and on panic (ratatui's init installs the
//! hook).

use super::capture::{CaptureApp, Load};
use super::live::LiveApp;
use super::msg::{Cmd, Key, Model, Msg, Wheel};
use super::watch::WatchApp;
use crate::diagnose::DiagnoseConfig;
use crate::flow::AnalyzeConfig;
use crate::model::Timeline;
use crate::probe::target::Target;
use crate::probe::{ProbeConfig, probe_target};
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEventKind, MouseEventKind,
};
use ratatui::crossterm::execute;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// How long the input thread waits for an event before it looks whether to stop.
const POLL: Duration = Duration::from_millis(100);
/// The clock's period (the loading spinner's frame; the live targets' ages move by the
/// second).
const TICK: Duration = Duration::from_millis(200);

fn key_of(code: KeyCode) -> Key {
    match code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Tab => Key::Tab,
        KeyCode::Esc => Key::Esc,
        KeyCode::Enter => Key::Enter,
        _ => Key::Other,
    }
}

/// A terminal event as a message (none for what no screen reads).
fn msg_of(e: Event) -> Option<Msg> {
    match e {
        Event::Key(k) if k.kind == KeyEventKind::Press => Some(Msg::Key(key_of(k.code))),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(_) => Some(Msg::Click {
                col: m.column,
                row: m.row,
            }),
            MouseEventKind::ScrollDown => Some(Msg::Wheel(Wheel::Down)),
            MouseEventKind::ScrollUp => Some(Msg::Wheel(Wheel::Up)),
            _ => None,
        },
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Why a TUI could not run: the terminal (drawing, reading keys) or the capture file.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("{file}: {source}")]
    Open {
        file: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Terminal(#[from] std::io::Error),
    /// The live JSON document could not be written: the output file refused or failed.
    #[error(transparent)]
    Output(#[from] crate::outfile::OutputError),
    #[error("{file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

fn now_unix() -> i64 {
    crate::probe::now_ns() / 1_000_000_000
}

/// What the loop's channel carries: a message, or the terminal failing under the input
/// thread.
pub enum Incoming {
    Msg(Msg),
    InputFailed(std::io::Error),
}

impl From<Msg> for Incoming {
    fn from(m: Msg) -> Incoming {
        Incoming::Msg(m)
    }
}

/// Set when the loop ends: the input thread and the ticker stop with it.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Reads the terminal on its own thread and feeds the loop's channel.
fn spawn_input(tx: Sender<Incoming>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let e = match event::poll(POLL) {
                Ok(false) => continue,
                Ok(true) => event::read(),
                Err(e) => Err(e),
            };
            let sent = match e {
                Ok(e) => match msg_of(e) {
                    Some(m) => tx.send(m.into()),
                    None => Ok(()),
                },
                Err(e) => {
                    let _ = tx.send(Incoming::InputFailed(e));
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
    });
}

fn spawn_ticker(tx: Sender<Incoming>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let tick = Msg::Tick {
                now_unix: now_unix(),
            };
            if tx.send(tick.into()).is_err() {
                return;
            }
            std::thread::sleep(TICK);
        }
    });
}

/// The one loop: draws the screen, then waits for messages, hands each to `update`, and
/// draws again only when one changed the screen. `on_cmd` carries out what an update
/// asks (a live probe's round, a file to write).
fn run_loop<M: Model>(
    app: &mut M,
    tx: Sender<Incoming>,
    rx: Receiver<Incoming>,
    mut on_cmd: impl FnMut(Cmd, &M),
) -> Result<(), TuiError> {
    let mut terminal = ratatui::init();
    let _restore = Restore;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let stop = Stop(Arc::new(AtomicBool::new(false)));
    spawn_input(tx.clone(), stop.0.clone());
    spawn_ticker(tx, stop.0.clone());
    let size = terminal.size()?;
    app.update(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    app.update(Msg::Tick {
        now_unix: now_unix(),
    });
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|f| app.view(f))?;
            dirty = false;
        }
        let Ok(first) = rx.recv() else {
            return Ok(());
        };
        // Everything already queued is applied before the next draw.
        let mut next = Some(first);
        while let Some(incoming) = next {
            let msg = match incoming {
                Incoming::Msg(m) => m,
                Incoming::InputFailed(e) => return Err(e.into()),
            };
            let effect = app.update(msg);
            dirty |= effect.redraw;
            if effect.cmd != Cmd::None {
                on_cmd(effect.cmd, app);
            }
            if app.quit() {
                return Ok(());
            }
            next = rx.try_recv().ok();
        }
    }
}

pub fn run_capture(
    path: PathBuf,
    acfg: AnalyzeConfig,
    dcfg: DiagnoseConfig,
) -> Result<(), TuiError> {
    let name = path.display().to_string();
    let size = std::fs::metadata(&path)
        .map_err(|source| TuiError::Open {
            file: name.clone(),
            source,
        })?
        .len();
    let (tx, rx) = mpsc::channel::<Incoming>();
    let progress = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    {
        let (progress, done, tx) = (progress.clone(), done.clone(), tx.clone());
        std::thread::spawn(move || {
            let r =
                crate::pipeline::analyze_file_with_progress(&path, &acfg, &dcfg, Some(&progress));
            done.store(true, Ordering::Relaxed);
            let _ = tx.send(
                match r {
                    Ok((t, _)) => Msg::Loaded(Box::new(t)),
                    Err(e) => Msg::LoadFailed(e.to_string()),
                }
                .into(),
            );
        });
    }
    {
        // How far the loader is, while it reads.
        let tx = tx.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let read = progress.load(Ordering::Relaxed);
                if tx.send(Msg::Progress(read).into()).is_err() {
                    return;
                }
                std::thread::sleep(TICK);
            }
        });
    }
    let mut app = CaptureApp::new(&name);
    app.load = Load::Loading { read: 0, size };
    run_loop(&mut app, tx, rx, |_, _| {})
}

/// Where a worker started outside the TUI (the watch engine) sends its messages.
#[derive(Clone)]
pub struct Feed(Sender<Incoming>);

impl Feed {
    /// False once the screen is gone.
    pub fn send(&self, m: Msg) -> bool {
        self.0.send(m.into()).is_ok()
    }
}

/// Watch mode: `start` starts the watch engine with the feed it sends its attempts to;
/// the screen shows them until `q`.
pub fn run_watch(
    source: &str,
    max_switches: usize,
    start: impl FnOnce(Feed),
) -> Result<(), TuiError> {
    let (tx, rx) = mpsc::channel::<Incoming>();
    start(Feed(tx.clone()));
    let mut app = WatchApp::new(source, max_switches);
    run_loop(&mut app, tx, rx, |_, _| {})
}

/// Probes all targets every interval (or on demand) on its own thread and runtime.
fn prober(
    targets: Vec<Target>,
    cfg: Arc<ProbeConfig>,
    trust: DiagnoseConfig,
    interval_s: u64,
    cmds: Receiver<Cmd>,
    out: Sender<Incoming>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        return;
    };
    let direct = Arc::new(ProbeConfig {
        proxy: None,
        ..(*cfg).clone()
    });
    let mut interval = Duration::from_secs(interval_s.max(1));
    let mut paused = false;
    let mut use_proxy = true;
    let mut next = Instant::now();
    loop {
        let wait = if paused {
            Duration::from_secs(3600)
        } else {
            next.saturating_duration_since(Instant::now())
        };
        let mut force = false;
        match cmds.recv_timeout(wait) {
            Ok(Cmd::RunNow) => force = true,
            Ok(Cmd::SetInterval(s)) => {
                interval = Duration::from_secs(s.max(1));
                next = next.min(Instant::now() + interval);
            }
            Ok(Cmd::Pause(p)) => paused = p,
            Ok(Cmd::UseProxy(u)) => {
                use_proxy = u;
                force = true;
            }
            Ok(Cmd::Quit) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !(force || (!paused && Instant::now() >= next)) {
            continue;
        }
        let cfg = if use_proxy {
            cfg.clone()
        } else {
            direct.clone()
        };
        for i in 0..targets.len() {
            let _ = out.send(Msg::RoundStarted(i).into());
        }
        rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, t) in targets.iter().enumerate() {
                let (t, cfg, trust) = (t.clone(), cfg.clone(), trust.clone());
                set.spawn(async move {
                    let now = now_unix();
                    (i, now, probe_target(&t, cfg, &trust, now).await)
                });
            }
            while let Some(r) = set.join_next().await {
                if let Ok((target, at_unix, t)) = r {
                    let done = Msg::RoundDone {
                        target,
                        at_unix,
                        timeline: Box::new(t),
                    };
                    let _ = out.send(done.into());
                }
            }
        });
        next = Instant::now() + interval;
    }
}

pub fn run_live(
    targets: Vec<Target>,
    cfg: Arc<ProbeConfig>,
    trust: DiagnoseConfig,
    interval_s: u64,
) -> Result<(), TuiError> {
    let labels: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let proxy = cfg.proxy.as_ref().map(|p| format!("{}:{}", p.host, p.port));
    let mut app = LiveApp::new(labels, interval_s, proxy);
    let (cmd_tx, cmd_rx) = mpsc::channel();
    let (tx, rx) = mpsc::channel::<Incoming>();
    {
        let out = tx.clone();
        std::thread::spawn(move || prober(targets, cfg, trust, interval_s, cmd_rx, out));
    }
    let status = tx.clone();
    run_loop(&mut app, tx, rx, |cmd, app| match cmd {
        Cmd::WriteJson => write_json_in_background(app, status.clone()),
        cmd => {
            let _ = cmd_tx.send(cmd);
        }
    })
    // Leaving drops `cmd_tx`: the prober sees the channel closed and ends.
}

/// The last round of every target as the `probe --json` document, written on another
/// thread; the outcome comes back as the status line.
fn write_json_in_background(app: &LiveApp, done: Sender<Incoming>) {
    let rounds: Vec<(String, Timeline)> = app
        .targets
        .iter()
        .filter_map(|t| t.last().map(|r| (t.label.clone(), r.timeline.clone())))
        .collect();
    let path = format!("licpath-live-{}.json", now_unix());
    std::thread::spawn(move || {
        let msg = match write_live_json(std::path::Path::new(&path), &rounds) {
            Ok(()) => format!("wrote {path}"),
            Err(e) => e.to_string(),
        };
        let _ = done.send(Msg::Status(msg).into());
    });
}

/// The `probe --json` document of `rounds` at `path`, through the safe output writer
/// (`crate::outfile`): a link planted at the name is not followed, a file there is replaced
/// only when the document is complete, an error leaves nothing behind.
pub fn write_live_json(
    path: &std::path::Path,
    rounds: &[(String, Timeline)],
) -> Result<(), TuiError> {
    let mut out = crate::outfile::OutputFile::create(path, &[])?;
    let reports = rounds
        .iter()
        .map(|(l, t)| crate::report::json::report(l, "live probe", t))
        .collect();
    crate::report::json::write_json(
        &mut out,
        "tui",
        crate::model::EndReason::Completed,
        reports,
        None,
    )
    .map_err(|source| TuiError::Write {
        file: path.display().to_string(),
        source,
    })?;
    Ok(out.commit()?)
}
