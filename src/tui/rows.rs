//! The rows of the capture screen: connections and DNS exchanges alike (a DNS-only
//! capture has rows too), each with its verdict, its findings and the panes drawn for it.
//! A DNS row's verdict comes from the rules' findings that cite its frames: the TUI
//! judges nothing itself.

use super::common::*;
use crate::model::time::{MsPrecision::Tenths, ms};
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::escape::shown as esc;
use crate::model::*;
use crate::report::words::{dns_answer, dns_retries};
use ratatui::text::{Line, Span};

/// One row of the list.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Connection(&'a Connection),
    Dns(&'a DnsExchange),
}

impl<'a> Row<'a> {
    /// The rows of a timeline in the order they started.
    pub fn all(t: &'a Timeline) -> Vec<Row<'a>> {
        let mut rows: Vec<Row> = t
            .connections
            .iter()
            .map(Row::Connection)
            .chain(t.dns.iter().map(Row::Dns))
            .collect();
        rows.sort_by_key(|r| r.start_ns());
        rows
    }

    pub fn start_ns(&self) -> i64 {
        match self {
            Row::Connection(c) => c.start_ns,
            Row::Dns(d) => d.query_ns,
        }
    }

    pub fn licensing(&self) -> bool {
        match self {
            Row::Connection(c) => c.licensing,
            Row::Dns(d) => d.licensing,
        }
    }

    /// A connection's verdict; a lookup failed when an error finding cites it, is done
    /// when its name server answered NOERROR, and is unknown otherwise.
    pub fn verdict(&self, t: &Timeline) -> Verdict {
        match self {
            Row::Connection(c) => c.verdict,
            Row::Dns(d) => {
                if citing(d, t).any(|f| f.severity == Severity::Error) {
                    Verdict::Failed
                } else if d
                    .response
                    .as_ref()
                    .is_some_and(|r| r.rcode == DnsRcode::NOERROR)
                {
                    Verdict::Ok
                } else {
                    Verdict::Unknown
                }
            }
        }
    }

    /// The findings about this row: a connection's own, the timeline's that cite a
    /// lookup's query or answer.
    pub fn findings(&self, t: &'a Timeline) -> Vec<&'a Finding> {
        match self {
            Row::Connection(c) => c.findings.iter().collect(),
            Row::Dns(d) => citing(d, t).collect(),
        }
    }

    /// What names the row in the verdict strip and the panes' titles.
    pub fn subject(&self) -> String {
        match self {
            Row::Connection(c) => format!("#{}", c.id),
            Row::Dns(d) => format!("dns {}", esc(d.name.trim_end_matches('.'))),
        }
    }
}

/// The timeline's findings whose evidence is one of the lookup's frames.
fn citing<'t>(d: &DnsExchange, t: &'t Timeline) -> impl Iterator<Item = &'t Finding> {
    let frames = [d.query_frame, d.response.as_ref().and_then(|r| r.frame)];
    t.findings.iter().filter(move |f| {
        f.evidence
            .iter()
            .any(|e| e.frame.is_some() && frames.contains(&e.frame))
    })
}

/// A lookup as a ladder: the query to the name server, its answer back (or what came
/// instead), times from the query.
pub fn dns_ladder(d: &DnsExchange, start: i64, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let width = width as usize;
    let mut lines = ladder_header(
        &format!("switch {}", d.client),
        &format!("name server {}", d.server),
        width,
        theme,
    );
    let arrow_w = width.saturating_sub(14).clamp(10, 70);
    let room = arrow_w.saturating_sub(6);
    let query = fit(
        &format!(
            "query {} {}{}",
            d.qtype,
            esc(&d.name),
            if d.retries > 0 {
                format!(" ({} retries)", d.retries)
            } else {
                String::new()
            }
        ),
        room,
    );
    let pad = arrow_w.saturating_sub(query.chars().count() + 4);
    lines.push(Line::from(vec![
        Span::styled(
            format!("{:>10}  ", ms(d.query_ns - start, Tenths)),
            theme.dim(),
        ),
        Span::raw(format!("|-{query}{}->|", "-".repeat(pad))),
    ]));
    let answer = fit(&dns_answer(d), room);
    let bad = d
        .response
        .as_ref()
        .is_none_or(|r| r.rcode != DnsRcode::NOERROR);
    let at = d
        .response
        .as_ref()
        .map_or(String::new(), |r| ms(r.time_ns - start, Tenths));
    let pad = arrow_w.saturating_sub(answer.chars().count() + 4);
    lines.push(Line::from(vec![
        Span::styled(format!("{at:>10}  "), theme.dim()),
        Span::styled(
            format!("|<-{}{answer}-|", "-".repeat(pad)),
            if bad { theme.bad() } else { theme.ok() },
        ),
    ]));
    lines
}

/// A lookup's facts: who asked whom, the frames, every answer.
pub fn dns_events(d: &DnsExchange, start: i64, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{} -> {}  DNS {} {} over {}{}",
            d.client,
            d.server,
            d.qtype,
            esc(&d.name),
            d.transport.as_str(),
            dns_retries(d)
        ),
        theme.bold(),
    ))];
    let frame = |f: Option<u64>| f.map(|n| format!("#{n}")).unwrap_or_default();
    lines.push(Line::from(format!(
        "{:>10} {} -> query {} {}",
        ms(d.query_ns - start, Tenths),
        frame(d.query_frame),
        d.qtype,
        esc(&d.name)
    )));
    match &d.response {
        Some(r) => {
            lines.push(Line::from(format!(
                "{:>10} {} <- {}",
                ms(r.time_ns - start, Tenths),
                frame(r.frame),
                dns_answer(d)
            )));
            for a in &r.answers {
                let data = match &a.data {
                    DnsData::A(ip) => format!("A {ip}"),
                    DnsData::Aaaa(ip) => format!("AAAA {ip}"),
                    DnsData::Cname(n) => format!("CNAME {}", esc(n)),
                    DnsData::Other(t) => format!("type {t}"),
                };
                lines.push(Line::from(Span::styled(
                    format!("             {} ttl {} {data}", esc(&a.name), a.ttl),
                    theme.dim(),
                )));
            }
        }
        None => lines.push(Line::from(format!("           {}", dns_answer(d)))),
    }
    lines
}
