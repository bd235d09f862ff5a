//! Pieces both screens use: the colour theme (NO_COLOR honoured), the help overlay, the
//! ladder diagram and findings as lines.

use crate::diagnose::verdict::{primary_finding, primary_first};
use crate::model::time::{MsPrecision::Tenths, ms};
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::diagnose::verdict::OverallVerdict;
use crate::escape::{escape_shown as escape, shown as esc};
use crate::model::*;
use crate::report::words::describe_event;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set (and not empty).
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default()
        }
    }
    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.bad(),
            Severity::Warning => self.warn(),
            Severity::Info => self.fg(Color::Cyan),
        }
    }
}

/// A ladder diagram: the switch on the left, the server (or proxy) on the right, one
/// arrow per event, with its time since `start`, the input's (words::time_base).
pub fn ladder_lines(c: &Connection, start: i64, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let right = match &c.proxy_target {
        Some(t) => format!("proxy {} (to {})", c.server, esc(t)),
        None => format!("server {}", c.server),
    };
    let mut lines = ladder_header(
        &format!("switch {}", c.client),
        &right,
        width as usize,
        theme,
    );
    let arrow_w = (width as usize).saturating_sub(14).clamp(10, 70);
    for e in &c.events {
        let room = arrow_w.saturating_sub(6);
        let text = match &e.kind {
            EventKind::TlsCertificate { certificates } => certificate_label(certificates, room),
            kind => fit(describe_event(kind).lines().next().unwrap_or(""), room),
        };
        let pad = arrow_w.saturating_sub(text.chars().count() + 4);
        let arrow = match e.dir {
            Direction::ToServer => format!("|-{text}{}->|", "-".repeat(pad)),
            Direction::ToClient => format!("|<-{}{text}-|", "-".repeat(pad)),
        };
        let style = match &e.kind {
            EventKind::TcpRst
            | EventKind::TlsAlert { .. }
            | EventKind::NotTls { .. }
            | EventKind::HttpHeadTooLong { .. } => theme.bad(),
            EventKind::HttpResponse { status, .. } if *status >= 400 => theme.bad(),
            _ => Style::default(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>10}  ", ms(e.time_ns - start, Tenths)),
                theme.dim(),
            ),
            Span::styled(arrow, style),
        ]));
    }
    if c.events_dropped > 0 {
        lines.push(Line::from(format!(
            "            ... {} more events not kept",
            c.events_dropped
        )));
    }
    lines
}

/// The ladder's header: `time  switch A  |  server B` on one line when it fits, else the
/// server's side on a line of its own under the switch's, each shortened in its middle:
/// never wrapped into the pane's border.
pub fn ladder_header(left: &str, right: &str, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let time = Span::styled(format!("{:>10}  ", "time"), theme.dim());
    let one = 12 + left.chars().count() + 5 + right.chars().count();
    if one <= width {
        return vec![Line::from(vec![
            time,
            Span::styled(left.to_string(), theme.bold()),
            Span::raw("  |  "),
            Span::styled(right.to_string(), theme.bold()),
        ])];
    }
    let room = width.saturating_sub(12);
    vec![
        Line::from(vec![
            time,
            Span::styled(fit_middle(left, room), theme.bold()),
        ]),
        Line::from(vec![
            Span::raw(" ".repeat(12.min(width))),
            Span::styled(fit_middle(&format!("| {right}"), room), theme.bold()),
        ]),
    ]
}

/// Findings with explanation and the IOS XE fix, as lines, the primary (the cause)
/// first.
pub fn finding_lines(fs: &[&Finding], theme: Theme) -> Vec<Line<'static>> {
    let mut fs = fs.to_vec();
    primary_first(&mut fs);
    let mut lines = Vec::new();
    for f in fs {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<5} ", f.severity.as_str().to_uppercase()),
                theme.severity(f.severity),
            ),
            Span::styled(f.code.as_str().to_string(), theme.bold()),
            Span::raw(format!(" ({}) {}", f.step.as_str(), f.summary)),
        ]));
        lines.push(Line::from(Span::styled(
            format!("  why: {}", f.explanation),
            theme.dim(),
        )));
        for e in f.evidence.iter().take(3) {
            let at = match (&e.log, e.frame) {
                (Some(l), _) => l.clone(),
                (None, Some(n)) => format!("frame #{n}"),
                (None, None) => String::new(),
            };
            lines.push(Line::from(format!("  seen: {at} {}", e.what)));
        }
        if !f.remediation.is_empty() {
            lines.push(Line::from("  fix:"));
            for r in &f.remediation {
                lines.push(Line::from(Span::styled(format!("    {r}"), theme.ok())));
            }
        }
    }
    if lines.is_empty() {
        lines.push(Line::from("no findings"));
    }
    lines
}

/// The ladder's Certificate row: who the leaf is and who issued it, `leaf ← issuer`,
/// the longer name shortened in its middle when the row is narrow (both ends of a host
/// or CA name say more than its middle).
fn certificate_label(certs: &[CertInfo], max: usize) -> String {
    let Some(leaf) = certs.first() else {
        return fit("Certificate (empty)", max);
    };
    let name = |cn: &Option<String>, dn: &str| {
        esc(&cn.clone().unwrap_or_else(|| crate::model::dn::display(dn))).to_string()
    };
    let subject = name(&leaf.subject_cn, &leaf.subject);
    let issuer = name(&leaf.issuer_cn, &leaf.issuer);
    let long = format!("Certificate {subject} ← {issuer}");
    if long.chars().count() <= max {
        return long;
    }
    let room = max.saturating_sub(3);
    let (s, i) = (subject.chars().count(), issuer.chars().count());
    // Each name keeps at least half the room, or all it needs when the other is short.
    let s_room = s.min(room.saturating_sub(i.min(room / 2)));
    let i_room = room.saturating_sub(s_room);
    format!(
        "{} ← {}",
        fit_middle(&subject, s_room),
        fit_middle(&issuer, i_room)
    )
}

/// Lines the summary of the verdict strip may take.
const STRIP_SUMMARY_LINES: usize = 3;
/// Lines the fix (or the explanation) under it may take.
const STRIP_FIX_LINES: usize = 2;

/// The headline of a verdict: the verdict, the primary finding's code, what it is about
/// (`#3`, a target's label) and its evidence frame or log line first, then its summary
/// wrapped (never cut before what it says: a status code is often its last word), then
/// the finding's first fix (or its explanation when it has no fix).
pub fn verdict_strip(
    verdict: &str,
    verdict_style: Style,
    subject: &str,
    findings: &[&Finding],
    width: u16,
    theme: Theme,
) -> Vec<Line<'static>> {
    let width = width as usize;
    let Some(f) = primary_finding(findings.iter().copied()) else {
        return vec![
            Line::from(vec![
                Span::styled(verdict.to_string(), verdict_style),
                Span::raw(fit(
                    &format!("  {}: no finding", escape(subject)),
                    width.saturating_sub(verdict.len()),
                )),
            ]),
            Line::from(""),
        ];
    };
    let at = f
        .evidence
        .iter()
        .find_map(|e| match (e.frame, &e.log) {
            (Some(n), _) => Some(format!(" frame #{n}")),
            (None, Some(l)) => Some(format!(" {}", esc(l))),
            _ => None,
        })
        .unwrap_or_default();
    let code = f.code.as_str();
    let after_code = format!(" {}{at}: ", escape(subject));
    let lead = verdict.chars().count() + 2 + code.len() + after_code.chars().count();
    let summary = wrap_words(
        &escape(&f.summary),
        width.saturating_sub(lead),
        width.saturating_sub(2),
        STRIP_SUMMARY_LINES,
    );
    let mut parts = summary.into_iter();
    let mut lines = vec![Line::from(vec![
        Span::styled(verdict.to_string(), verdict_style),
        Span::raw("  "),
        Span::styled(
            code.to_string(),
            theme.severity(f.severity).add_modifier(Modifier::BOLD),
        ),
        Span::raw(after_code),
        Span::raw(parts.next().unwrap_or_default()),
    ])];
    lines.extend(parts.map(|p| Line::from(format!("  {p}"))));
    let (label, text, style) = match f.remediation.first() {
        Some(fix) => ("  fix: ", escape(fix).into_owned(), theme.ok()),
        None => ("  why: ", esc(&f.explanation).to_string(), theme.dim()),
    };
    let room = width.saturating_sub(7);
    for (i, part) in wrap_words(&text, room, room, STRIP_FIX_LINES)
        .into_iter()
        .enumerate()
    {
        lines.push(Line::from(vec![
            Span::styled(if i == 0 { label } else { "       " }, theme.bold()),
            Span::styled(part, style),
        ]));
    }
    lines
}

/// Rows the verdict strip gets: its lines, at least 2, at most 5, and fewer on a short
/// terminal (the panes under it need 12 rows to be read).
pub fn strip_height(lines: usize, height: u16) -> u16 {
    let most = height.saturating_sub(12).clamp(2, 5);
    (lines as u16).clamp(2, most)
}

/// `text` in lines of at most `first` characters (the first) and `rest` (the others),
/// broken at spaces (a word longer than a line is cut), at most `max` lines: the last
/// one ends in `~` when text was left out.
pub fn wrap_words(text: &str, first: usize, rest: usize, max: usize) -> Vec<String> {
    let room = |i: usize| if i == 0 { first } else { rest };
    let mut lines = vec![String::new()];
    let mut left_out = false;
    'words: for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut w = word;
        loop {
            let i = lines.len() - 1;
            let (r, used) = (room(i), lines[i].chars().count());
            let sep = usize::from(used > 0);
            if used + sep + w.chars().count() <= r {
                if sep == 1 {
                    lines[i].push(' ');
                }
                lines[i].push_str(w);
                continue 'words;
            }
            if used == 0 && w.chars().count() > rest.max(r) {
                // A word longer than any line: as much of it as fits, the rest below.
                let head: String = w.chars().take(r).collect();
                w = &w[head.len()..];
                lines[i] = head;
            }
            if lines.len() >= max {
                left_out = true;
                break 'words;
            }
            lines.push(String::new());
        }
    }
    let r = room(lines.len() - 1);
    if left_out && let Some(last) = lines.last_mut() {
        if last.chars().count() >= r {
            last.pop();
        }
        if r > 0 {
            last.push('~');
        }
    }
    lines
}

/// Style of an overall verdict word.
pub fn verdict_style(v: OverallVerdict, theme: Theme) -> Style {
    match v {
        OverallVerdict::Failed => theme.bad(),
        OverallVerdict::Ok => theme.ok(),
        _ => theme.warn(),
    }
}

/// `s` in at most `max` characters, the middle replaced by `…` when it is longer: a host
/// name keeps its first label and its domain (`smartrec…isco.com`).
pub fn fit_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if max <= 1 {
        return s.chars().take(max).collect();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

pub fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else if max <= 1 {
        s.chars().take(max).collect()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('~');
        t
    }
}

/// A centred box with the key bindings.
pub fn help_overlay(f: &mut Frame, lines: &[(&str, &str)], theme: Theme) {
    let area = f.area();
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 60.min(area.width);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(v);
    f.render_widget(Clear, r);
    let text: Vec<Line> = lines
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!("{k:>12}  "), theme.bold()),
                Span::raw(d.to_string()),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(text)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" keys (? closes) "),
            )
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// Every span with its control characters escaped ([`crate::escape`]): the panes' edge
/// for what came from a capture, a peer or a pasted text. Escaping is idempotent, so text
/// escaped before (the ladder's event labels) is unchanged.
pub fn escaped(mut lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    for span in lines.iter_mut().flat_map(|l| l.spans.iter_mut()) {
        if let Cow::Owned(e) = escape(&span.content) {
            span.content = Cow::Owned(e);
        }
    }
    lines
}

/// A bordered, titled pane of wrapped lines scrolled down by `scroll` rows; its text is
/// [`escaped`].
pub fn scrolled_pane<'a>(
    lines: Vec<Line<'a>>,
    title: impl Into<Line<'a>>,
    scroll: u16,
) -> Paragraph<'a> {
    Paragraph::new(escaped(lines))
        .block(Block::default().borders(Borders::ALL).title(title))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
}

/// The key bar: as many of `hints` as fit whole, then `? help  q quit`, which is always
/// there (`q quit` alone on the narrowest terminal).
pub fn key_bar(hints: &[&str], width: usize) -> String {
    key_bar_ending(hints, "q quit", width)
}

/// The key bar ending in `? help` and `q` (`q quit`, or `q back` in a view opened from
/// another).
pub fn key_bar_ending(hints: &[&str], q: &str, width: usize) -> String {
    let pinned = format!("? help  {q}");
    if width < pinned.len() {
        return fit(q, width);
    }
    let mut out = String::new();
    for h in hints {
        let more = out.chars().count() + h.chars().count() + 2;
        if more + 2 + pinned.len() > width {
            break;
        }
        out.push_str(h);
        out.push_str("  ");
    }
    out.push_str(&pinned);
    out
}

/// The key bar on the last line (ending in `q`, see [`key_bar_ending`]), and the help
/// overlay when it is open.
pub fn footer(
    f: &mut Frame,
    area: Rect,
    (hints, q): (&[&str], &str),
    help: Option<&[(&str, &str)]>,
    theme: Theme,
) {
    f.render_widget(
        Paragraph::new(Span::styled(
            key_bar_ending(hints, q, area.width as usize),
            theme.dim(),
        )),
        area,
    );
    if let Some(lines) = help {
        help_overlay(f, lines, theme);
    }
}

/// Below this the screens show a one-line notice instead of a broken layout.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 8;

pub fn too_small(f: &mut Frame, area: Rect, summary: &str) {
    let text = vec![
        Line::from(fit(&escape(summary), area.width as usize)),
        Line::from(fit(
            &format!("{}x{}: too small (q quits)", area.width, area.height),
            area.width as usize,
        )),
    ];
    f.render_widget(Paragraph::new(text), area);
}
