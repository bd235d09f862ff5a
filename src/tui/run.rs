//! The terminal loops. The network and the disk live on other threads: the UI thread only
//! draws, reads keys (100 ms poll) and drains channels. The terminal is restored on exit
//! and on panic (ratatui's init installs the hook).

use super::capture::{self, CaptureApp, Load};
use super::common::{Key, Theme};
use super::live::{self, Action, LiveApp};
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(100);

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
}

fn now_unix() -> i64 {
    crate::probe::now_ns() / 1_000_000_000
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
    let (tx, rx) = mpsc::channel();
    let progress = Arc::new(AtomicU64::new(0));
    {
        let progress = progress.clone();
        std::thread::spawn(move || {
            let r =
                crate::pipeline::analyze_file_with_progress(&path, &acfg, &dcfg, Some(&progress))
                    .map(|(t, _)| t)
                    .map_err(|e| e.to_string());
            let _ = tx.send(r);
        });
    }
    let mut app = CaptureApp::new(&name);
    app.load = Load::Loading { read: 0, size };
    let theme = Theme::from_env();
    let mut terminal = ratatui::init();
    let _restore = Restore;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    loop {
        match rx.try_recv() {
            Ok(Ok(t)) => app.loaded(t),
            Ok(Err(e)) => app.load = Load::Failed(e),
            Err(_) => {
                if let Load::Loading { read, .. } = &mut app.load {
                    *read = progress.load(Ordering::Relaxed);
                }
            }
        }
        terminal.draw(|f| capture::render(f, &mut app, theme))?;
        if event::poll(POLL)? {
            match event::read()? {
                Event::Key(k) if k.kind == KeyEventKind::Press => {
                    app.on_key(key_of(k.code));
                }
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::Down(_) => app.on_click(m.column, m.row),
                    MouseEventKind::ScrollDown => app.on_wheel(true),
                    MouseEventKind::ScrollUp => app.on_wheel(false),
                    _ => {}
                },
                _ => {}
            }
        }
        app.tick += 1;
        if app.quit {
            return Ok(());
        }
    }
}

enum FromWorker {
    Started(usize),
    Done(usize, i64, Box<Timeline>),
}

/// Probes all targets every interval (or on demand) on its own thread and runtime.
fn prober(
    targets: Vec<Target>,
    cfg: Arc<ProbeConfig>,
    trust: DiagnoseConfig,
    interval_s: u64,
    cmds: mpsc::Receiver<Action>,
    out: mpsc::Sender<FromWorker>,
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
            Ok(Action::RunNow) => force = true,
            Ok(Action::SetInterval(s)) => {
                interval = Duration::from_secs(s.max(1));
                next = next.min(Instant::now() + interval);
            }
            Ok(Action::Pause(p)) => paused = p,
            Ok(Action::UseProxy(u)) => {
                use_proxy = u;
                force = true;
            }
            Ok(Action::Quit) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
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
            let _ = out.send(FromWorker::Started(i));
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
                if let Ok((i, at, t)) = r {
                    let _ = out.send(FromWorker::Done(i, at, Box::new(t)));
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
    let proxy = cfg.proxy.as_ref().map(|(h, p)| format!("{h}:{p}"));
    let mut app = LiveApp::new(labels, interval_s, proxy);
    let (cmd_tx, cmd_rx) = mpsc::channel();
    let (res_tx, res_rx) = mpsc::channel();
    let (msg_tx, msg_rx) = mpsc::channel::<String>();
    {
        let (targets, cfg, trust) = (targets.clone(), cfg.clone(), trust.clone());
        std::thread::spawn(move || prober(targets, cfg, trust, interval_s, cmd_rx, res_tx));
    }
    let theme = Theme::from_env();
    let mut terminal = ratatui::init();
    let _restore = Restore;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    loop {
        while let Ok(m) = res_rx.try_recv() {
            match m {
                FromWorker::Started(i) => app.started(i),
                FromWorker::Done(i, at, t) => app.record(i, at, *t),
            }
        }
        if let Ok(m) = msg_rx.try_recv() {
            app.message = Some(m);
        }
        let now = now_unix();
        terminal.draw(|f| live::render(f, &mut app, theme, now))?;
        if event::poll(POLL)? {
            let action = match event::read()? {
                Event::Key(k) if k.kind == KeyEventKind::Press => app.on_key(key_of(k.code)),
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::ScrollDown => app.on_key(Key::Char('j')),
                    MouseEventKind::ScrollUp => app.on_key(Key::Char('k')),
                    _ => Action::None,
                },
                _ => Action::None,
            };
            match action {
                Action::None => {}
                Action::WriteJson => write_json_in_background(&app, msg_tx.clone()),
                Action::Quit => {
                    let _ = cmd_tx.send(Action::Quit);
                    return Ok(());
                }
                a => {
                    let _ = cmd_tx.send(a);
                }
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// The last round of every target as the `probe --json` document, written on another
/// thread; the outcome comes back as the status line.
fn write_json_in_background(app: &LiveApp, done: mpsc::Sender<String>) {
    let rounds: Vec<(String, Timeline)> = app
        .targets
        .iter()
        .filter_map(|t| t.last().map(|r| (t.label.clone(), r.timeline.clone())))
        .collect();
    let path = format!("licpath-live-{}.json", now_unix());
    std::thread::spawn(move || {
        let msg = match std::fs::File::create(&path) {
            Ok(mut f) => {
                let reports = rounds
                    .iter()
                    .map(|(l, t)| crate::report::json::report(l, "live probe", t))
                    .collect();
                match crate::report::json::write_json(
                    &mut f,
                    "tui",
                    crate::model::EndReason::Completed,
                    reports,
                    None,
                ) {
                    Ok(()) => format!("wrote {path}"),
                    Err(e) => format!("{path}: {e}"),
                }
            }
            Err(e) => format!("{path}: {e}"),
        };
        let _ = done.send(msg);
    });
}
