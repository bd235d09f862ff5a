//! Live mode: each target's path as a pipeline of steps, re-probed every N seconds like
//! mtr, with per-step success rate and a latency sparkline, so intermittent failures (the
//! switch's COMM_FAILED / COMM_RESTORED flapping) become visible.

use super::common::*;
use super::msg::{Cmd, Effect, Key, Model, Msg, Wheel};
use crate::diagnose::steps::{StepState, StepView, steps_of};
use crate::diagnose::verdict::primary_finding;
use crate::model::time::{MsPrecision::Tenths, ms};
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::escape::shown as esc;
use crate::model::*;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use std::collections::VecDeque;

/// Rounds kept per target.
pub const HISTORY: usize = 120;

pub struct Round {
    pub at_unix: i64,
    pub timeline: Timeline,
    pub steps: Vec<StepView>,
    pub verdict: OverallVerdict,
}

pub struct TargetState {
    pub label: String,
    pub rounds: VecDeque<Round>,
    pub running: bool,
}

impl TargetState {
    pub fn last(&self) -> Option<&Round> {
        self.rounds.back()
    }
}

pub struct LiveApp {
    pub targets: Vec<TargetState>,
    pub selected: usize,
    pub interval_s: u64,
    pub paused: bool,
    /// The proxy configured (`--proxy`), and whether rounds go through it.
    pub proxy: Option<String>,
    pub use_proxy: bool,
    pub show_chain: bool,
    pub help: bool,
    pub quit: bool,
    pub scroll: u16,
    /// A one-line status ("wrote report.json", an error).
    pub message: Option<String>,
    /// The clock's last tick: how old each target's last round is.
    pub now_unix: i64,
    pub theme: Theme,
}

pub const HELP: &[(&str, &str)] = &[
    ("r", "re-probe now"),
    ("p / space", "pause / resume the re-probing"),
    ("+ / -", "interval longer / shorter"),
    ("tab / left right", "switch target"),
    ("x", "toggle the proxy (through it / direct)"),
    ("c", "certificate chain / findings"),
    ("w", "write the JSON report to a file"),
    ("PgUp/PgDn", "scroll the lower pane"),
    ("?", "this help"),
    ("q Esc", "quit"),
];

const INTERVALS: &[u64] = &[2, 5, 10, 30, 60, 300];

impl LiveApp {
    pub fn new(labels: Vec<String>, interval_s: u64, proxy: Option<String>) -> LiveApp {
        LiveApp {
            targets: labels
                .into_iter()
                .map(|label| TargetState {
                    label,
                    rounds: VecDeque::new(),
                    running: false,
                })
                .collect(),
            selected: 0,
            interval_s: interval_s.max(1),
            paused: false,
            use_proxy: proxy.is_some(),
            proxy,
            show_chain: false,
            help: false,
            quit: false,
            scroll: 0,
            message: None,
            now_unix: 0,
            theme: Theme::from_env(),
        }
    }

    pub fn started(&mut self, target: usize) {
        if let Some(t) = self.targets.get_mut(target) {
            t.running = true;
        }
    }

    pub fn record(&mut self, target: usize, at_unix: i64, timeline: Timeline) {
        let Some(t) = self.targets.get_mut(target) else {
            return;
        };
        t.running = false;
        let steps = steps_of(&timeline);
        let verdict = overall_verdict(&timeline);
        t.rounds.push_back(Round {
            at_unix,
            timeline,
            steps,
            verdict,
        });
        while t.rounds.len() > HISTORY {
            t.rounds.pop_front();
        }
    }

    pub fn on_key(&mut self, key: Key) -> Cmd {
        if self.help {
            self.help = false;
            return Cmd::None;
        }
        let n = self.targets.len().max(1);
        match key {
            Key::Char('q') | Key::Esc => {
                self.quit = true;
                Cmd::Quit
            }
            Key::Char('?') => {
                self.help = true;
                Cmd::None
            }
            Key::Char('r') => Cmd::RunNow,
            Key::Char('p') | Key::Char(' ') => {
                self.paused = !self.paused;
                Cmd::Pause(self.paused)
            }
            Key::Char('+') | Key::Char('=') => {
                self.interval_s = INTERVALS
                    .iter()
                    .copied()
                    .find(|&i| i > self.interval_s)
                    .unwrap_or(self.interval_s);
                Cmd::SetInterval(self.interval_s)
            }
            Key::Char('-') => {
                self.interval_s = INTERVALS
                    .iter()
                    .rev()
                    .copied()
                    .find(|&i| i < self.interval_s)
                    .unwrap_or(self.interval_s);
                Cmd::SetInterval(self.interval_s)
            }
            Key::Tab | Key::Right | Key::Char('l') => {
                self.selected = (self.selected + 1) % n;
                self.scroll = 0;
                Cmd::None
            }
            Key::Left | Key::Char('h') => {
                self.selected = (self.selected + n - 1) % n;
                self.scroll = 0;
                Cmd::None
            }
            Key::Char('x') if self.proxy.is_some() => {
                self.use_proxy = !self.use_proxy;
                Cmd::UseProxy(self.use_proxy)
            }
            Key::Char('c') => {
                self.show_chain = !self.show_chain;
                Cmd::None
            }
            Key::Char('w') => Cmd::WriteJson,
            Key::PageDown | Key::Char('j') => {
                self.scroll = self.scroll.saturating_add(5);
                Cmd::None
            }
            Key::PageUp | Key::Char('k') => {
                self.scroll = self.scroll.saturating_sub(5);
                Cmd::None
            }
            _ => Cmd::None,
        }
    }
}

impl Model for LiveApp {
    fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Key(k) => {
                let before = (self.selected, self.scroll, self.show_chain, self.help);
                let cmd = self.on_key(k);
                let after = (self.selected, self.scroll, self.show_chain, self.help);
                Effect {
                    redraw: cmd != Cmd::None || before != after,
                    cmd,
                }
            }
            Msg::Wheel(w) => self.update(Msg::Key(match w {
                Wheel::Down => Key::Char('j'),
                Wheel::Up => Key::Char('k'),
            })),
            Msg::Resize { .. } => Effect::REDRAW,
            // The targets' "N s ago" moves once a second.
            Msg::Tick { now_unix } => {
                let changed = now_unix != self.now_unix;
                self.now_unix = now_unix;
                Effect::redraw_if(changed)
            }
            Msg::RoundStarted(i) => {
                self.started(i);
                Effect::REDRAW
            }
            Msg::RoundDone {
                target,
                at_unix,
                timeline,
            } => {
                self.record(target, at_unix, *timeline);
                Effect::REDRAW
            }
            Msg::Status(m) => {
                self.message = Some(m);
                Effect::REDRAW
            }
            _ => Effect::NOTHING,
        }
    }

    fn view(&self, f: &mut Frame) {
        render(f, self, self.theme, self.now_unix);
    }

    fn quit(&self) -> bool {
        self.quit
    }
}

const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Latencies as a text sparkline; a failure is `x`, a step not run a space.
pub fn sparkline(values: &[Option<Result<i64, ()>>], width: usize) -> String {
    let from = values.len().saturating_sub(width);
    let vals = &values[from..];
    let max = vals
        .iter()
        .filter_map(|v| v.and_then(|r| r.ok()))
        .max()
        .unwrap_or(1)
        .max(1);
    vals.iter()
        .map(|v| match v {
            Some(Ok(ns)) => SPARK[((*ns * 7) / max).clamp(0, 7) as usize],
            Some(Err(())) => 'x',
            None => ' ',
        })
        .collect()
}

fn step_history(t: &TargetState, idx: usize) -> (Vec<Option<Result<i64, ()>>>, u32, u32) {
    let mut ok = 0;
    let mut tried = 0;
    let v = t
        .rounds
        .iter()
        .map(|r| {
            let s = r.steps.get(idx)?;
            match s.state {
                StepState::Ok => {
                    ok += 1;
                    tried += 1;
                    Some(Ok(s.latency_ns.unwrap_or(0)))
                }
                StepState::Failed => {
                    tried += 1;
                    Some(Err(()))
                }
                _ => None,
            }
        })
        .collect();
    (v, ok, tried)
}

pub fn render(f: &mut Frame, app: &LiveApp, theme: Theme, now_unix: i64) {
    let area = f.area();
    let cur = app.targets.get(app.selected);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let s = cur
            .and_then(|t| {
                t.last()
                    .map(|r| format!("{}: {}", t.label, r.verdict.as_str()))
            })
            .unwrap_or_else(|| "probing...".into());
        too_small(f, area, &s);
        return;
    }
    let why = strip_lines(cur, area.width, theme);
    let [head, strip, targets_a, pipe_a, lower_a, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(strip_height(why.len(), area.height)),
        Constraint::Length((app.targets.len() as u16 + 2).min(6)),
        Constraint::Length(8),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header_line(app, theme)), head);
    f.render_widget(Paragraph::new(why), strip);
    render_targets(f, app, targets_a, theme, now_unix);
    f.render_widget(
        Paragraph::new(pipeline_lines(cur, pipe_a.width, theme)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" step     state   latency  ok%  history "),
        ),
        pipe_a,
    );
    // Findings (explanation and fix) or the certificate chain of the last round.
    let last = cur.and_then(|t| t.last());
    let (title, lower): (&str, Vec<Line>) = match (last, app.show_chain) {
        (None, _) => (" findings ", vec![]),
        (Some(r), false) => {
            let fs: Vec<&Finding> = r.timeline.all_findings().collect();
            (" findings and fix (c: chain) ", finding_lines(&fs, theme))
        }
        (Some(r), true) => (
            " certificate chain (c: findings) ",
            chain_lines(&r.timeline, theme),
        ),
    };
    f.render_widget(scrolled_pane(lower, title, app.scroll), lower_a);
    footer(
        f,
        foot,
        (
            &[
                "r re-probe",
                "p pause",
                "+/- interval",
                "tab target",
                "x proxy",
                "c chain",
                "w write JSON",
            ],
            "q quit",
        ),
        app.help.then_some(HELP),
        theme,
    );
}

/// The top line: the re-probing interval (or PAUSED), the path taken, the status message.
fn header_line(app: &LiveApp, theme: Theme) -> Line<'static> {
    let mode = if app.paused {
        Span::styled("PAUSED", theme.warn())
    } else {
        Span::raw(format!("every {} s", app.interval_s))
    };
    let proxy = match (&app.proxy, app.use_proxy) {
        (Some(p), true) => format!("via proxy {}", esc(p)),
        (Some(_), false) => "direct (proxy off: x)".into(),
        (None, _) => "direct".into(),
    };
    Line::from(vec![
        Span::styled("licpath live  ", theme.bold()),
        mode,
        Span::raw(format!("  {proxy}")),
        Span::styled(
            app.message
                .as_deref()
                .map(|m| format!("  {}", esc(m)))
                .unwrap_or_default(),
            theme.warn(),
        ),
    ])
}

/// Why, for the selected target: its last verdict, the primary finding and its fix.
fn strip_lines(cur: Option<&TargetState>, width: u16, theme: Theme) -> Vec<Line<'static>> {
    match cur.map(|t| (t, t.last())) {
        Some((t, Some(r))) => {
            let fs: Vec<&Finding> = r.timeline.all_findings().collect();
            verdict_strip(
                r.verdict.as_str(),
                verdict_style(r.verdict, theme),
                &t.label,
                &fs,
                width,
                theme,
            )
        }
        Some((t, None)) => vec![Line::from(format!("{}: probing ...", esc(&t.label)))],
        None => vec![Line::from("no target")],
    }
}

/// Targets, with the last verdict, how often each round succeeded and the cause.
fn render_targets(f: &mut Frame, app: &LiveApp, area: Rect, theme: Theme, now_unix: i64) {
    let label_w = app
        .targets
        .iter()
        .map(|t| esc(&t.label).to_string().chars().count())
        .max()
        .unwrap_or(0)
        .min((f.area().width as usize).saturating_sub(40));
    let items: Vec<ListItem> = app
        .targets
        .iter()
        .map(|t| target_item(t, label_w, theme, now_unix))
        .collect();
    let mut ls = ListState::default();
    ls.select(Some(app.selected));
    f.render_stateful_widget(
        List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" targets (tab) "),
            )
            .highlight_style(theme.selected()),
        area,
        &mut ls,
    );
}

fn target_item(t: &TargetState, label_w: usize, theme: Theme, now_unix: i64) -> ListItem<'static> {
    let ok = t
        .rounds
        .iter()
        .filter(|r| r.verdict == OverallVerdict::Ok)
        .count();
    let (word, style) = match t.last().map(|r| r.verdict) {
        _ if t.running && t.rounds.is_empty() => ("RUNNING", theme.dim()),
        Some(OverallVerdict::Ok) => ("OK", theme.ok()),
        Some(OverallVerdict::Failed) => ("FAIL", theme.bad()),
        Some(_) => ("??", theme.warn()),
        None => ("pending", theme.dim()),
    };
    let age = t
        .last()
        .map(|r| format!("  {} s ago", (now_unix - r.at_unix).max(0)))
        .unwrap_or_default();
    let cause = t
        .last()
        .and_then(|r| primary_finding(r.timeline.all_findings()))
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("  {}", f.code.as_str()))
        .unwrap_or_default();
    ListItem::new(Line::from(vec![
        Span::styled(format!("{word:<8}"), style),
        Span::raw(format!(
            "{:<label_w$}",
            fit(&esc(&t.label).to_string(), label_w)
        )),
        Span::styled(
            format!(
                "  {ok}/{} rounds ok{age}{}",
                t.rounds.len(),
                if t.running { "  (probing)" } else { "" }
            ),
            theme.dim(),
        ),
        Span::styled(cause, theme.bad()),
    ]))
}

/// Width of a step's latency sparkline.
const SPARK_W: usize = 12;

/// The pipeline of the selected target: one line per step of its last round, with the
/// success rate and latency history of every round kept.
fn pipeline_lines(cur: Option<&TargetState>, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let Some(t) = cur else {
        return Vec::new();
    };
    let Some(r) = t.last() else {
        return vec![Line::from("waiting for the first round ...")];
    };
    r.steps
        .iter()
        .enumerate()
        .map(|(i, s)| step_line(t, i, s, width, theme))
        .collect()
}

fn step_line(t: &TargetState, idx: usize, s: &StepView, width: u16, theme: Theme) -> Line<'static> {
    let spark_w = SPARK_W;
    let (hist, ok, tried) = step_history(t, idx);
    let style = match s.state {
        StepState::Ok => theme.ok(),
        StepState::Failed => theme.bad(),
        StepState::Unknown => theme.warn(),
        _ => theme.dim(),
    };
    let rate = (ok * 100)
        .checked_div(tried)
        .map_or_else(|| "    ".to_string(), |r| format!("{r:>3}%"));
    let fixed = 8 + 7 + 10 + 5 + spark_w + 3;
    Line::from(vec![
        Span::styled(format!("{:<8}", s.name), theme.bold()),
        Span::styled(format!("{:<7}", s.state.badge()), style),
        Span::raw(format!(
            "{:>9} ",
            s.latency_ns.map(|n| ms(n, Tenths)).unwrap_or_default()
        )),
        Span::raw(format!("{rate} ")),
        Span::styled(
            format!("{:<spark_w$}", sparkline(&hist, spark_w)),
            theme.ok(),
        ),
        Span::raw("  "),
        Span::raw(fit(
            &esc(&s.detail).to_string(),
            (width as usize).saturating_sub(fixed + 2),
        )),
    ])
}

fn chain_lines(t: &Timeline, theme: Theme) -> Vec<Line<'static>> {
    let Some(c) = crate::diagnose::steps::primary(t) else {
        return vec![Line::from("no connection")];
    };
    let certs = c.tls.as_ref().map(|t| &t.certificates[..]).unwrap_or(&[]);
    if certs.is_empty() {
        return vec![Line::from("no certificate seen in the last round")];
    }
    let mut lines = Vec::new();
    for (i, cert) in certs.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("[{i}] "), theme.bold()),
            Span::raw(crate::model::dn::display(&cert.subject)),
        ]));
        lines.push(Line::from(format!(
            "    issuer  {}",
            crate::model::dn::display(&cert.issuer)
        )));
        lines.push(Line::from(format!(
            "    valid   {} .. {}",
            crate::model::time::format_date(cert.not_before),
            crate::model::time::format_date(cert.not_after)
        )));
        lines.push(Line::from(Span::styled(
            format!(
                "    serial  {}  sha256 {}",
                cert.serial,
                fit(
                    cert.fingerprint()
                        .unwrap_or(crate::report::handover::NO_FINGERPRINT),
                    16
                )
            ),
            theme.dim(),
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing;

    #[test]
    fn chain_dates_past_2262_are_shown_as_they_are() {
        let leaf = testing::cert(
            "no-expiry.example",
            "Device CA",
            1_704_067_200,
            253_402_300_799,
        );
        let mut c = testing::connection().licensing(true).handshake().build();
        c.tls = Some(TlsSummary {
            certificates: vec![leaf],
            ..TlsSummary::default()
        });
        let mut t = Timeline::empty(Source::Probe { targets: vec![] });
        t.connections.push(c);
        let text: Vec<String> = chain_lines(&t, Theme { color: false })
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(
            text.contains(&"    valid   2024-01-01 .. 9999-12-31".to_string()),
            "{text:?}"
        );
    }
}
