//! Capture mode: the connections and DNS lookups of a capture with verdict badges, a
//! filter, and for the selected one a ladder diagram, the decoded events and the findings
//! with their fix.

use super::common::*;
use super::msg::{Effect, Key, Model, Msg, Wheel};
use super::rows::{Row, dns_events, dns_ladder};
use crate::model::time::{MsPrecision::Tenths, ms};
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::diagnose::verdict::overall_verdict;
use crate::escape::shown as esc;
use crate::model::*;
use crate::report::words::{describe_event, time_base_short};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Licensing,
    All,
    Failed,
}

impl Filter {
    fn next(self) -> Filter {
        match self {
            Filter::Licensing => Filter::Failed,
            Filter::Failed => Filter::All,
            Filter::All => Filter::Licensing,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Filter::Licensing => "licensing",
            Filter::All => "all",
            Filter::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Ladder,
    Events,
    Findings,
}

pub enum Load {
    /// Bytes of frames read so far, of a file this size.
    Loading {
        read: u64,
        size: u64,
    },
    Loaded(Box<Timeline>),
    Failed(String),
}

pub struct CaptureApp {
    pub file: String,
    pub load: Load,
    pub filter: Filter,
    pub selected: usize,
    pub pane: Pane,
    pub scroll: u16,
    pub help: bool,
    pub quit: bool,
    /// Ticks seen while loading (the spinner's frame).
    pub tick: u64,
    /// The terminal's area (mouse clicks are placed on the layout drawn in it).
    pub size: Rect,
    pub theme: Theme,
    /// What `q` does here: quit, or (a view opened from another screen) go back.
    pub exit: Exit,
}

/// What `q` and Esc do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Back,
}

pub const HELP: &[(&str, &str)] = &[
    ("up/down j/k", "select a connection or DNS lookup"),
    ("f", "filter: licensing / failed / all"),
    ("tab l e d", "ladder / events / findings (d)"),
    ("PgUp/PgDn", "scroll the right pane"),
    ("g / G", "first / last row"),
    ("mouse", "click a row, wheel scrolls"),
    ("?", "this help"),
    ("q Esc", "quit (tui --watch: back to the switches)"),
];

impl CaptureApp {
    pub fn new(file: &str) -> CaptureApp {
        CaptureApp {
            file: file.to_string(),
            load: Load::Loading { read: 0, size: 0 },
            filter: Filter::Licensing,
            selected: 0,
            pane: Pane::Ladder,
            scroll: 0,
            help: false,
            quit: false,
            tick: 0,
            size: Rect::default(),
            theme: Theme::from_env(),
            exit: Exit::Quit,
        }
    }

    /// What a key or the mouse can change: an update that leaves it equal draws nothing.
    fn cursor(&self) -> (usize, Pane, u16, Filter, bool, bool) {
        (
            self.selected,
            self.pane,
            self.scroll,
            self.filter,
            self.help,
            self.quit,
        )
    }

    pub fn loaded(&mut self, t: Timeline) {
        // Start on the first failed licensing row: that is why we are here.
        self.load = Load::Loaded(Box::new(t));
        let first_failed = self.timeline().and_then(|t| {
            self.visible()
                .iter()
                .position(|r| r.verdict(t) == Verdict::Failed)
        });
        // Else on the first connection: the lookups before it went well enough.
        let first_connection = self
            .visible()
            .iter()
            .position(|r| matches!(r, Row::Connection(_)));
        self.selected = first_failed.or(first_connection).unwrap_or(0);
    }

    pub fn timeline(&self) -> Option<&Timeline> {
        match &self.load {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }

    /// The rows the filter shows: connections and DNS lookups, in the order they started.
    pub fn visible(&self) -> Vec<Row<'_>> {
        let Some(t) = self.timeline() else {
            return Vec::new();
        };
        Row::all(t)
            .into_iter()
            .filter(|r| match self.filter {
                Filter::All => true,
                Filter::Licensing => r.licensing(),
                Filter::Failed => r.verdict(t) == Verdict::Failed,
            })
            .collect()
    }

    pub fn selected_row(&self) -> Option<Row<'_>> {
        self.visible().get(self.selected).copied()
    }

    fn select(&mut self, i: usize) {
        let n = self.visible().len();
        self.selected = if n == 0 { 0 } else { i.min(n - 1) };
        self.scroll = 0;
    }

    pub fn on_key(&mut self, key: Key) {
        if self.help {
            self.help = false;
            if key == Key::Char('q') {
                self.quit = true;
            }
            return;
        }
        match key {
            Key::Char('q') | Key::Esc => self.quit = true,
            Key::Char('?') => self.help = true,
            Key::Char('j') | Key::Down => self.select(self.selected + 1),
            Key::Char('k') | Key::Up => self.select(self.selected.saturating_sub(1)),
            Key::Char('g') | Key::Home => self.select(0),
            Key::Char('G') | Key::End => self.select(usize::MAX),
            Key::Char('f') => {
                self.filter = self.filter.next();
                self.select(0);
            }
            Key::Char('l') => self.pane = Pane::Ladder,
            Key::Char('e') => self.pane = Pane::Events,
            Key::Char('d') => self.pane = Pane::Findings,
            Key::Tab => {
                self.pane = match self.pane {
                    Pane::Ladder => Pane::Events,
                    Pane::Events => Pane::Findings,
                    Pane::Findings => Pane::Ladder,
                };
                self.scroll = 0;
            }
            Key::PageDown => self.scroll = self.scroll.saturating_add(10),
            Key::PageUp => self.scroll = self.scroll.saturating_sub(10),
            _ => {}
        }
    }

    /// A click at (column, row): select the connection under it, in the layout drawn for
    /// the terminal's size.
    fn on_click(&mut self, col: u16, row: u16) {
        if too_small_for_layout(self.size) {
            return;
        }
        let Some(t) = self.timeline() else {
            return;
        };
        let strip = why_lines(self, t, self.size.width, self.theme).len();
        let a = layout(self.size, strip, self.visible().len()).list;
        if col >= a.x && col < a.x + a.width && row > a.y && row < a.y + a.height.saturating_sub(1)
        {
            self.select((row - a.y - 1) as usize);
        }
    }

    fn on_wheel(&mut self, w: Wheel) {
        self.scroll = match w {
            Wheel::Down => self.scroll.saturating_add(3),
            Wheel::Up => self.scroll.saturating_sub(3),
        };
    }
}

impl Model for CaptureApp {
    fn update(&mut self, msg: Msg) -> Effect {
        let before = self.cursor();
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Click { col, row } => self.on_click(col, row),
            Msg::Wheel(w) => self.on_wheel(w),
            Msg::Resize { width, height } => {
                self.size = Rect::new(0, 0, width, height);
                return Effect::REDRAW;
            }
            Msg::Tick { .. } => {
                self.tick += 1;
                // Only the loading screen animates (its spinner).
                return Effect::redraw_if(matches!(self.load, Load::Loading { .. }));
            }
            Msg::Progress(n) => {
                if let Load::Loading { read, .. } = &mut self.load
                    && *read != n
                {
                    *read = n;
                    return Effect::REDRAW;
                }
                return Effect::NOTHING;
            }
            Msg::Loaded(t) => {
                self.loaded(*t);
                return Effect::REDRAW;
            }
            Msg::LoadFailed(e) => {
                self.load = Load::Failed(e);
                return Effect::REDRAW;
            }
            _ => return Effect::NOTHING,
        }
        Effect::redraw_if(self.cursor() != before)
    }

    fn view(&self, f: &mut Frame) {
        render(f, self, self.theme);
    }

    fn quit(&self) -> bool {
        self.quit
    }
}

/// From this width on the list and the selected connection sit side by side.
pub const SIDE_BY_SIDE: u16 = 110;

fn badge(v: Verdict) -> (&'static str, bool) {
    match v {
        Verdict::Ok => ("OK  ", true),
        Verdict::Failed => ("FAIL", false),
        Verdict::Unknown => ("??  ", true),
    }
}

pub fn render(f: &mut Frame, app: &CaptureApp, theme: Theme) {
    let area = f.area();
    let t = match &app.load {
        Load::Loading { read, size } => {
            render_loading(f, app, *read, *size);
            return;
        }
        Load::Failed(e) => {
            f.render_widget(
                Paragraph::new(vec![
                    Line::from(format!("licpath: {}", esc(e))),
                    Line::from("(q quits)"),
                ])
                .wrap(Wrap { trim: false }),
                area,
            );
            return;
        }
        Load::Loaded(t) => t,
    };
    let verdict = overall_verdict(t);
    let visible = app.visible();
    let why = why_lines(app, t, area.width, theme);
    if too_small_for_layout(area) {
        let failed = visible
            .iter()
            .filter(|r| r.verdict(t) == Verdict::Failed)
            .count();
        too_small(
            f,
            area,
            &format!("{}: {} ({failed} failed)", app.file, verdict.as_str()),
        );
        return;
    }
    let Areas {
        head,
        strip,
        list,
        pane,
        foot,
    } = layout(area, why.len(), visible.len());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("licpath ", theme.bold()),
            Span::raw(fit_middle(
                &esc(&app.file).to_string(),
                (area.width as usize).saturating_sub(40),
            )),
            Span::raw(format!(
                "  {} shown ({}) of {}",
                visible.len(),
                app.filter.name(),
                t.connections.len() + t.dns.len()
            )),
        ])),
        head,
    );
    f.render_widget(Paragraph::new(why), strip);
    render_list(f, app, t, &visible, list, theme);
    let (title, lines) = selected_pane(app, t, visible.is_empty(), pane.width, theme);
    let scroll = app
        .scroll
        .min(rows_of(&lines, pane.width.saturating_sub(2)));
    f.render_widget(scrolled_pane(lines, title, scroll), pane);
    footer(
        f,
        foot,
        (
            &[
                "j/k select",
                "f filter",
                "tab ladder/events/findings",
                "PgUp/PgDn scroll",
            ],
            match app.exit {
                Exit::Quit => "q quit",
                Exit::Back => "q back",
            },
        ),
        app.help.then_some(HELP),
        theme,
    );
}

/// While the capture is read: how far, and a bar when the size is known.
fn render_loading(f: &mut Frame, app: &CaptureApp, read: u64, size: u64) {
    let area = f.area();
    let spin = ["|", "/", "-", "\\"][(app.tick % 4) as usize];
    // Compressed files read more than their size: show MB only then.
    let pct = (size > 0 && read <= size).then(|| read * 100 / size);
    let msg = format!(
        "{spin} reading {} {:.1} of {:.1} MB{} ... q quits",
        esc(&app.file),
        read as f64 / 1e6,
        size as f64 / 1e6,
        pct.map(|p| format!(" ({p}%)")).unwrap_or_default()
    );
    let [line, bar] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(fit(&msg, area.width as usize)), line);
    if let Some(p) = pct {
        let w = area.width as usize * p as usize / 100;
        f.render_widget(Paragraph::new("#".repeat(w)), bar);
    }
}

/// Why: the verdict and the selected row's primary finding with its fix (the timeline's
/// own findings when the row has none, or nothing is selected).
fn why_lines(app: &CaptureApp, t: &Timeline, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let verdict = overall_verdict(t);
    let sel = app.selected_row();
    let own: Vec<&Finding> = sel.map(|r| r.findings(t)).unwrap_or_default();
    let (subject, findings) = match sel {
        Some(r) if !own.is_empty() || t.findings.is_empty() => (r.subject(), own),
        _ => ("capture".to_string(), t.findings.iter().collect()),
    };
    verdict_strip(
        verdict.as_str(),
        verdict_style(verdict, theme),
        &subject,
        &findings,
        width,
        theme,
    )
}

/// Rows `lines` take in a pane `width` wide once wrapped (at least): how far it scrolls.
fn rows_of(lines: &[Line], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(w)).sum();
    u16::try_from(rows.saturating_sub(1)).unwrap_or(u16::MAX)
}

fn too_small_for_layout(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// Where the parts of the loaded screen go.
struct Areas {
    head: Rect,
    strip: Rect,
    list: Rect,
    pane: Rect,
    foot: Rect,
}

/// The header, the verdict strip, the list beside the selected connection when there is
/// room for both to be read (above it on a narrow terminal: the ladder needs the width
/// more than the list), the key bar. Drawing and mouse clicks both place things by it.
fn layout(area: Rect, strip_lines: usize, shown: usize) -> Areas {
    let [head, strip, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(strip_height(strip_lines, area.height)),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let (list, pane) = if area.width >= SIDE_BY_SIDE {
        let list_w = (area.width / 3).clamp(34, 44);
        let [l, r] =
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(10)]).areas(body);
        (l, r)
    } else {
        let rows = (shown as u16 + 2).clamp(3, 7);
        let [l, r] = Layout::vertical([Constraint::Length(rows), Constraint::Min(2)]).areas(body);
        (l, r)
    };
    Areas {
        head,
        strip,
        list,
        pane,
        foot,
    }
}

/// The rows: the host (or the name looked up) is the key, so it gets the room, shortened
/// in its middle; then where a failed connection stopped, or `done`.
fn render_list(
    f: &mut Frame,
    app: &CaptureApp,
    t: &Timeline,
    visible: &[Row],
    area: Rect,
    theme: Theme,
) {
    let inner = area.width.saturating_sub(2) as usize;
    let id_w = visible
        .iter()
        .map(|r| match r {
            Row::Connection(c) => c.id.to_string().len() + 1,
            Row::Dns(_) => 3,
        })
        .max()
        .unwrap_or(2);
    let items: Vec<ListItem> = visible
        .iter()
        .map(|r| {
            let verdict = r.verdict(t);
            let (b, good) = badge(verdict);
            let (id, name, stop) = match r {
                Row::Connection(c) => (
                    format!("#{}", c.id),
                    c.server_name
                        .as_deref()
                        .map_or_else(|| c.server.to_string(), |n| esc(n).to_string()),
                    c.reached.as_str().to_string(),
                ),
                Row::Dns(d) => (
                    "dns".to_string(),
                    format!("{} {}", d.qtype, esc(d.name.trim_end_matches('.'))),
                    d.response
                        .as_ref()
                        .map_or("no answer".to_string(), |r| r.rcode.to_string()),
                ),
            };
            let fixed = b.len() + 1 + id_w + 2;
            let host = fit_middle(&name, inner.saturating_sub(fixed));
            let tail = match verdict {
                Verdict::Ok => "  done".to_string(),
                _ => format!("  {stop}"),
            };
            let tail = if fixed + host.chars().count() + tail.len() <= inner {
                tail
            } else {
                String::new()
            };
            ListItem::new(Line::from(vec![
                Span::styled(b, if good { theme.ok() } else { theme.bad() }),
                Span::raw(format!(" {id:<id_w$}  ")),
                Span::raw(host),
                Span::styled(tail, theme.dim()),
            ]))
        })
        .collect();
    let mut state = ListState::default();
    if !visible.is_empty() {
        state.select(Some(app.selected));
    }
    f.render_stateful_widget(
        List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" connections and lookups "),
            )
            .highlight_style(theme.selected()),
        area,
        &mut state,
    );
}

/// The selected connection's pane (ladder, events or findings) and its title.
fn selected_pane(
    app: &CaptureApp,
    t: &Timeline,
    empty: bool,
    width: u16,
    theme: Theme,
) -> (String, Vec<Line<'static>>) {
    let start = t.start_ns.unwrap_or(0);
    match (app.selected_row(), app.pane) {
        (None, _) => (
            " nothing selected ".into(),
            if empty {
                let mut l = vec![Line::from(format!(
                    "no connection matches the filter '{}' (f changes it)",
                    app.filter.name()
                ))];
                let tf: Vec<&Finding> = t.findings.iter().collect();
                l.extend(finding_lines(&tf, theme));
                l
            } else {
                vec![]
            },
        ),
        (Some(r), Pane::Ladder) => (
            format!(
                " {} ladder [tab: events, findings], {} ",
                r.subject(),
                time_base_short(t)
            ),
            match r {
                Row::Connection(c) => ladder_lines(c, start, width.saturating_sub(2), theme),
                Row::Dns(d) => dns_ladder(d, start, width.saturating_sub(2), theme),
            },
        ),
        (Some(r), Pane::Events) => (
            format!(
                " {} events (PgUp/PgDn), {} ",
                r.subject(),
                time_base_short(t)
            ),
            match r {
                Row::Connection(c) => event_lines(c, start, theme),
                Row::Dns(d) => dns_events(d, start, theme),
            },
        ),
        (Some(r), Pane::Findings) => {
            let fs: Vec<&Finding> = match r {
                Row::Connection(c) => c.findings.iter().chain(t.findings.iter()).collect(),
                Row::Dns(_) => r.findings(t),
            };
            (
                format!(" {} findings ", r.subject()),
                finding_lines(&fs, theme),
            )
        }
    }
}

fn event_lines(c: &Connection, start: i64, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{} -> {}  {}  {} B out, {} B in{}",
            c.client,
            c.server,
            match c.verdict {
                Verdict::Ok => "OK".to_string(),
                Verdict::Failed => format!("FAILED at {}", c.reached.as_str()),
                Verdict::Unknown => format!("UNKNOWN (reached {})", c.reached.as_str()),
            },
            c.bytes_to_server,
            c.bytes_to_client,
            c.handshake_rtt_ns
                .map(|r| format!(", RTT {}", ms(r, Tenths)))
                .unwrap_or_default()
        ),
        theme.bold(),
    ))];
    for e in &c.events {
        let d = describe_event(&e.kind);
        for (i, part) in d.lines().enumerate() {
            lines.push(Line::from(if i == 0 {
                format!(
                    "{:>10} {} {} {}",
                    ms(e.time_ns - start, Tenths),
                    e.frame.map(|n| format!("#{n}")).unwrap_or_default(),
                    e.dir.arrow(),
                    part
                )
            } else {
                format!("      {}", part.trim_start())
            }));
        }
        if let EventKind::HttpResponse { headers, .. } = &e.kind {
            for (k, v) in headers {
                lines.push(Line::from(Span::styled(
                    format!("             {k}: {v}"),
                    theme.dim(),
                )));
            }
        }
    }
    lines
}
