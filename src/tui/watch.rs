//! Watch mode (`licpath tui --watch`): the attempts `licpath watch` judges, live. One row
//! per switch (its last attempt, verdict, streak and last failure's cause, kept by the
//! same [`Switches`] bookkeeping the watch's metrics use), the attempts as they come (the
//! watch's own text lines), and Enter opens a switch's latest attempt in the capture view.
//! The judging is the watch engine's, on its own thread: this screen only shows it.

use super::capture::{CaptureApp, Exit};
use super::common::*;
use super::msg::{Effect, Key, Model, Msg, Wheel};
use crate::diagnose::verdict::OverallVerdict;
use crate::escape::esc;
use crate::model::time::format_utc;
use crate::model::{Finding, Source, Timeline};
use crate::report::watch::write_attempt_text;
use crate::watch::{Attempt, SwitchState, Switches};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use std::collections::{HashMap, VecDeque};

/// Attempt lines kept for the screen (the newest).
pub const RECENT: usize = 500;

pub const HELP: &[(&str, &str)] = &[
    ("up/down j/k", "select a switch"),
    ("Enter", "its latest attempt in the capture view"),
    ("PgUp/PgDn", "scroll the attempts"),
    ("?", "this help"),
    ("q Esc", "quit (the capture view: back to the switches)"),
];

pub struct WatchApp {
    /// What is watched: the file, directory or interface.
    pub source: String,
    pub switches: Switches,
    /// Each switch's latest attempt (only of the switches kept).
    pub latest: HashMap<String, Attempt>,
    /// The attempts' lines, the newest last.
    pub recent: VecDeque<(OverallVerdict, String)>,
    pub attempts: u64,
    pub selected: usize,
    pub scroll: u16,
    /// A switch's latest attempt opened in the capture view.
    pub detail: Option<CaptureApp>,
    /// The source's last warning.
    pub message: Option<String>,
    /// Why the source ended, when it did.
    pub ended: Option<String>,
    pub help: bool,
    pub quit: bool,
    pub size: Rect,
    pub theme: Theme,
}

impl WatchApp {
    pub fn new(source: &str, max_switches: usize) -> WatchApp {
        WatchApp {
            source: source.to_string(),
            switches: Switches::new(max_switches),
            latest: HashMap::new(),
            recent: VecDeque::new(),
            attempts: 0,
            selected: 0,
            scroll: 0,
            detail: None,
            message: None,
            ended: None,
            help: false,
            quit: false,
            size: Rect::default(),
            theme: Theme::from_env(),
        }
    }

    /// Judged attempts, in the order the engine judged them.
    pub fn record(&mut self, attempts: Vec<Attempt>) {
        for a in attempts {
            self.switches.record(&a);
            self.attempts += 1;
            let mut line = Vec::new();
            let _ = write_attempt_text(&mut line, &a);
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back((a.verdict, line));
            self.latest.insert(a.switch_label(), for_the_screen(a));
        }
        let kept = &self.switches.by_label;
        self.latest.retain(|label, _| kept.contains_key(label));
        self.selected = self.selected.min(kept.len().saturating_sub(1));
    }

    pub fn selected_switch(&self) -> Option<&SwitchState> {
        self.switches.by_label.values().nth(self.selected)
    }

    /// The selected switch's latest attempt as a timeline of its own (the connection, or
    /// the lookup with its findings), in the capture view.
    fn open(&mut self) {
        let Some(a) = self
            .selected_switch()
            .and_then(|s| self.latest.get(&s.label))
        else {
            return;
        };
        let mut t = Timeline::empty(Source::Capture { files: Vec::new() });
        match &a.connection {
            Some(c) => t.connections.push((**c).clone()),
            None => {
                t.dns = a.lookups.clone();
                t.findings = a.findings.clone();
            }
        }
        t.start_ns = Some(a.start_ns);
        t.end_ns = Some(a.start_ns + a.duration_ns);
        let mut app = CaptureApp::new(&format!(
            "{}: {} at {}",
            a.switch_label(),
            a.target,
            format_utc(a.start_ns)
        ));
        app.theme = self.theme;
        app.size = self.size;
        app.exit = Exit::Back;
        app.loaded(t);
        self.detail = Some(app);
    }

    fn cursor(&self) -> (usize, u16, bool, bool, bool) {
        (
            self.selected,
            self.scroll,
            self.help,
            self.quit,
            self.detail.is_some(),
        )
    }

    pub fn on_key(&mut self, key: Key) {
        if self.help {
            self.help = false;
            return;
        }
        let n = self.switches.by_label.len();
        match key {
            Key::Char('q') | Key::Esc => self.quit = true,
            Key::Char('?') => self.help = true,
            Key::Char('j') | Key::Down => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
            }
            Key::Char('k') | Key::Up => self.selected = self.selected.saturating_sub(1),
            Key::Enter => self.open(),
            Key::PageDown => self.scroll = self.scroll.saturating_add(10),
            Key::PageUp => self.scroll = self.scroll.saturating_sub(10),
            _ => {}
        }
    }
}

/// What the screen keeps of a switch's latest attempt: its findings (the verdict strip)
/// and its connection or lookups (what [`WatchApp::open`] shows). Its evidence frames and
/// summary, already in the attempt's line, are dropped: up to `--max-switches` of these
/// are held for as long as the screen runs.
fn for_the_screen(mut a: Attempt) -> Attempt {
    a.frames = Vec::new();
    a.summary = None;
    a
}

impl Model for WatchApp {
    fn update(&mut self, msg: Msg) -> Effect {
        if let Some(d) = &mut self.detail {
            match msg {
                Msg::Key(_) | Msg::Click { .. } | Msg::Wheel(_) => {
                    let e = d.update(msg);
                    if d.quit {
                        self.detail = None;
                        return Effect::REDRAW;
                    }
                    return e;
                }
                Msg::Resize { .. } => {
                    d.update(msg);
                    return Effect::REDRAW;
                }
                _ => {}
            }
        }
        let before = self.cursor();
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Wheel(Wheel::Down) => self.scroll = self.scroll.saturating_add(3),
            Msg::Wheel(Wheel::Up) => self.scroll = self.scroll.saturating_sub(3),
            Msg::Resize { width, height } => {
                self.size = Rect::new(0, 0, width, height);
                return Effect::REDRAW;
            }
            Msg::Attempts(v) => {
                self.record(v);
                // In the capture view the list is not on screen: drawn when it is back.
                return Effect::redraw_if(self.detail.is_none());
            }
            Msg::Status(m) => {
                self.message = Some(m);
                return Effect::redraw_if(self.detail.is_none());
            }
            Msg::SourceEnded(why) => {
                self.ended = Some(why.unwrap_or_else(|| "the source ended".into()));
                return Effect::redraw_if(self.detail.is_none());
            }
            _ => return Effect::NOTHING,
        }
        Effect::redraw_if(self.cursor() != before)
    }

    fn view(&self, f: &mut Frame) {
        match &self.detail {
            Some(d) => d.view(f),
            None => render(f, self, self.theme),
        }
    }

    fn quit(&self) -> bool {
        self.quit
    }
}

fn verdict_word(v: OverallVerdict, theme: Theme) -> (&'static str, ratatui::style::Style) {
    match v {
        OverallVerdict::Ok => ("OK", theme.ok()),
        OverallVerdict::Failed => ("FAIL", theme.bad()),
        _ => ("??", theme.warn()),
    }
}

pub fn render(f: &mut Frame, app: &WatchApp, theme: Theme) {
    let area = f.area();
    let sel = app.selected_switch();
    let latest = sel.and_then(|s| app.latest.get(&s.label));
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let s = sel.map_or_else(
            || format!("watching {}", app.source),
            |s| format!("{}: {}", s.label, s.last_verdict.as_str()),
        );
        too_small(f, area, &s);
        return;
    }
    let why = match latest {
        Some(a) => {
            let fs: Vec<&Finding> = a.findings.iter().collect();
            verdict_strip(
                a.verdict.as_str(),
                verdict_style(a.verdict, theme),
                &format!("{} {}", esc(&a.switch_label()), esc(&a.target)),
                &fs,
                area.width,
                theme,
            )
        }
        None => vec![Line::from(format!(
            "waiting for licensing attempts in {} ...",
            esc(&app.source)
        ))],
    };
    let rows = app.switches.by_label.len().max(1) as u16 + 2;
    let [head, strip, list, recent, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(strip_height(why.len(), area.height)),
        Constraint::Length(rows.min(area.height / 3).max(3)),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header_line(app, theme)), head);
    f.render_widget(Paragraph::new(escaped(why)), strip);
    render_switches(f, app, list, theme);
    let lines: Vec<Line> = app
        .recent
        .iter()
        .rev()
        .map(|(v, l)| {
            let style = match v {
                OverallVerdict::Failed => theme.bad(),
                OverallVerdict::Ok => theme.ok(),
                _ => theme.warn(),
            };
            Line::from(Span::styled(l.clone(), style))
        })
        .collect();
    let title = format!(" attempts, newest first ({}) ", app.attempts);
    f.render_widget(scrolled_pane(lines, title, app.scroll), recent);
    footer(
        f,
        foot,
        (
            &["j/k select", "Enter latest attempt", "PgUp/PgDn attempts"],
            "q quit",
        ),
        app.help.then_some(HELP),
        theme,
    );
}

/// `licpath watch  FILE  2 switches  9 attempts` and the source's last word.
fn header_line(app: &WatchApp, theme: Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled("licpath watch  ", theme.bold()),
        Span::raw(format!(
            "{}  {} switch{}  {} attempt{}",
            esc(&app.source),
            app.switches.by_label.len(),
            if app.switches.by_label.len() == 1 {
                ""
            } else {
                "es"
            },
            app.attempts,
            if app.attempts == 1 { "" } else { "s" }
        )),
    ];
    if let Some(e) = &app.ended {
        spans.push(Span::styled(format!("  {}", esc(e)), theme.bad()));
    } else if let Some(m) = &app.message {
        spans.push(Span::styled(format!("  {}", esc(m)), theme.warn()));
    }
    Line::from(spans)
}

/// One row per switch: its last verdict, name, last attempt, streak, last failure's cause.
fn render_switches(f: &mut Frame, app: &WatchApp, area: Rect, theme: Theme) {
    let label_w = app
        .switches
        .by_label
        .keys()
        .map(|l| esc(l).to_string().chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let items: Vec<ListItem> = app
        .switches
        .by_label
        .values()
        .map(|s| {
            let (word, style) = verdict_word(s.last_verdict, theme);
            let cause = s.last_failure.as_ref().map_or(String::new(), |(code, _)| {
                format!("  last failure {}", code.as_str())
            });
            let line = Line::from(vec![
                Span::styled(format!("{word:<5}"), style),
                Span::raw(format!(
                    "{:<label_w$}",
                    fit_middle(&esc(&s.label).to_string(), label_w)
                )),
                Span::styled(
                    format!("  {}  {} in a row", format_utc(s.last_attempt_ns), s.streak),
                    theme.dim(),
                ),
                Span::styled(cause, theme.bad()),
                Span::styled(
                    format!(
                        "  {} attempt{}",
                        s.attempts,
                        if s.attempts == 1 { "" } else { "s" }
                    ),
                    theme.dim(),
                ),
            ]);
            ListItem::new(escaped(vec![line]).remove(0))
        })
        .collect();
    let mut state = ListState::default();
    if !items.is_empty() {
        state.select(Some(app.selected));
    }
    let title = if items.is_empty() {
        " switches: none yet ".to_string()
    } else {
        " switches (Enter: latest attempt) ".to_string()
    };
    f.render_stateful_widget(
        List::new(items)
            .block(Block::default().borders(Borders::ALL).title(title))
            .highlight_style(theme.selected()),
        area,
        &mut state,
    );
}
