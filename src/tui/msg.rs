//! What moves the screens (the Elm shape: one `Msg` enum in, `update` changes the state,
//! `view` draws it): keys, mouse, resizes and ticks from the terminal's thread, results
//! from the loader, the prober and the watch engine. Every screen is a [`Model`]; the one
//! loop in `run` feeds it and draws only when an update says the screen changed.

use crate::model::Timeline;
use crate::watch::Attempt;
use ratatui::Frame;

/// A key the screens act on. Keys with no binding are [`Key::Other`]: they still close
/// the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    Esc,
    Enter,
    Other,
}

/// Which way the mouse wheel turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wheel {
    Up,
    Down,
}

/// Everything that can change a screen.
#[derive(Debug)]
pub enum Msg {
    Key(Key),
    Click {
        col: u16,
        row: u16,
    },
    Wheel(Wheel),
    /// The terminal's size (at start and when it changes).
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock, a few times a second: screens that animate (the loading spinner, the
    /// live targets' "N s ago") redraw on it, the others ignore it.
    Tick {
        now_unix: i64,
    },
    /// Capture mode: bytes of frames read so far.
    Progress(u64),
    /// Capture mode: the capture read and judged.
    Loaded(Box<Timeline>),
    /// Capture mode: it could not be read (the error's line).
    LoadFailed(String),
    /// Live mode: a round of target `n` started.
    RoundStarted(usize),
    /// Live mode: a round of target `target` finished at `at_unix`.
    RoundDone {
        target: usize,
        at_unix: i64,
        timeline: Box<Timeline>,
    },
    /// A one-line status ("wrote licpath-live-....json", a warning of the watch source).
    Status(String),
    /// Watch mode: attempts judged by the watch engine.
    Attempts(Vec<Attempt>),
    /// Watch mode: the source ended (standard input closed, a fatal error: its line).
    SourceEnded(Option<String>),
}

/// What an update asks of the loop besides drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    None,
    /// Live mode: probe every target now.
    RunNow,
    SetInterval(u64),
    Pause(bool),
    UseProxy(bool),
    /// Live mode: write the last round of every target as the `probe --json` document.
    WriteJson,
    Quit,
}

/// The outcome of one update: whether the screen changed, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub redraw: bool,
    pub cmd: Cmd,
}

impl Effect {
    pub const NOTHING: Effect = Effect {
        redraw: false,
        cmd: Cmd::None,
    };
    pub const REDRAW: Effect = Effect {
        redraw: true,
        cmd: Cmd::None,
    };
    pub fn redraw_if(changed: bool) -> Effect {
        Effect {
            redraw: changed,
            cmd: Cmd::None,
        }
    }
}

/// A screen: state, `update` (pure: no I/O, no clock), `view` (draws the state, no I/O).
pub trait Model {
    fn update(&mut self, msg: Msg) -> Effect;
    fn view(&self, f: &mut Frame);
    /// The screen asked to end.
    fn quit(&self) -> bool;
}
