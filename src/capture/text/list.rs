//! A packet list with a header row: Wireshark's packet list copied as text, `tshark -T
//! fields -E header=y`. Tab-separated, or runs of spaces with the Info column last; any
//! column order; custom columns (ports) and field names (`frame.number`, `ip.src`,
//! `tcp.srcport`, `_ws.col.Info`) too.

use super::facts::{self, Facts};
use super::time::{self, Stated};
use super::{Level, LineReader, Out};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    No,
    Relative,
    Epoch,
    /// A UTC time column: a time of day, or a date and time.
    TimeOfDay,
    /// An absolute (local) time column: dated only when a cell says UTC.
    Absolute,
    Src,
    Dst,
    Protocol,
    Length,
    Info,
    SrcPort,
    DstPort,
    /// A column named just "Port": source or destination, learnt from the rows.
    Port,
    Other,
}

fn col_of(name: &str) -> Col {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    match n.as_str() {
        "no." | "no" | "frame.number" => Col::No,
        "time" | "relative time" | "frame.time_relative" | "delta time" => Col::Relative,
        "epoch time" | "frame.time_epoch" => Col::Epoch,
        "utc time"
        | "time of day"
        | "frame.time_utc"
        | "utc date, as yyyy-mm-dd, and time"
        | "utc date and time" => Col::TimeOfDay,
        "absolute time"
        | "arrival time"
        | "frame.time"
        | "absolute date, as yyyy-mm-dd, and time"
        | "absolute date and time" => Col::Absolute,
        "source" | "ip.src" | "ipv6.src" | "_ws.col.def_src" | "_ws.col.source" => Col::Src,
        "destination" | "ip.dst" | "ipv6.dst" | "_ws.col.def_dst" | "_ws.col.destination" => {
            Col::Dst
        }
        "protocol" | "_ws.col.protocol" => Col::Protocol,
        "length" | "frame.len" => Col::Length,
        "info" | "_ws.col.info" => Col::Info,
        "source port" | "src port" | "tcp.srcport" | "udp.srcport" | "srcport" => Col::SrcPort,
        "destination port" | "dest port" | "dst port" | "tcp.dstport" | "udp.dstport"
        | "dstport" => Col::DstPort,
        "port" | "tcp.port" => Col::Port,
        _ => Col::Other,
    }
}

/// The columns of a header row, and whether it is tab-separated; `None` when the line is
/// no header (it must name a number, source, destination, protocol and info).
pub fn header_of(line: &str) -> Option<(Vec<Col>, bool)> {
    let tabs = line.contains('\t');
    let names: Vec<&str> = if tabs {
        line.split('\t').collect()
    } else {
        split_runs(line)
    };
    let cols: Vec<Col> = names.iter().map(|n| col_of(n)).collect();
    let has = |c: Col| cols.contains(&c);
    (has(Col::No) && has(Col::Src) && has(Col::Dst) && has(Col::Protocol) && has(Col::Info))
        .then_some((cols, tabs))
}

/// A line split on runs of two or more spaces.
fn split_runs(line: &str) -> Vec<&str> {
    line.trim()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Default)]
pub struct List {
    header: Option<(Vec<Col>, bool)>,
    /// Whether a "Port" column holds the source port (learnt from rows whose Info shows
    /// both ports; until then, the source when a destination-port column exists).
    port_is_src: Option<bool>,
}

impl List {
    fn row(&mut self, n: u64, line: &str) -> Option<Facts> {
        let (cols, tabs) = self.header.as_ref()?;
        let cells: Vec<&str> = if *tabs {
            line.split('\t').collect()
        } else {
            // Runs of spaces: every column before Info is one word; Info is the rest.
            let info_at = cols.iter().position(|c| *c == Col::Info)?;
            let mut v = Vec::new();
            let mut s = line.trim_start();
            for _ in 0..info_at {
                let mut end = s.find(char::is_whitespace).unwrap_or(s.len());
                // `2026-12-07 14:32:07.563`: a dated time column is one cell.
                if time::is_date(&s[..end]) {
                    let next = s[end..].trim_start();
                    if next
                        .split(':')
                        .next()
                        .is_some_and(|h| h.parse::<u8>().is_ok())
                    {
                        let skip = s.len() - next.len();
                        end = skip + next.find(char::is_whitespace).unwrap_or(next.len());
                    }
                }
                v.push(&s[..end]);
                s = s[end..].trim_start();
            }
            v.push(s);
            v
        };
        let cell = |c: Col| {
            cols.iter()
                .position(|x| *x == c)
                .and_then(|i| cells.get(i))
                .map(|s| s.trim().trim_matches('"'))
        };
        let number: u64 = cell(Col::No)?.parse().ok()?;
        let time = if let Some(t) = cell(Col::Epoch).and_then(time::seconds) {
            Stated::Epoch(t)
        } else if let Some(t) =
            cell(Col::TimeOfDay).and_then(|c| time::date_time(c, time::Unzoned::Utc))
        {
            Stated::Dated(t, "the UTC time column's dates")
        } else if let Some(t) =
            cell(Col::Absolute).and_then(|c| time::date_time(c, time::Unzoned::Refused))
        {
            Stated::Dated(t, "the time column's dates (UTC)")
        } else if let Some(t) = cell(Col::TimeOfDay)
            .or(cell(Col::Absolute))
            .and_then(time::time_of_day)
        {
            Stated::TimeOfDay(t)
        } else if let Some(t) = cell(Col::Relative).and_then(time::seconds) {
            Stated::Relative(t)
        } else {
            Stated::None
        };
        let mut f = Facts {
            line: n,
            number: Some(number),
            time,
            src: cell(Col::Src).and_then(facts::addr),
            dst: cell(Col::Dst).and_then(facts::addr),
            protocol: cell(Col::Protocol)?.to_string(),
            frame_len: cell(Col::Length).and_then(|l| l.parse().ok()),
            ..Facts::default()
        };
        facts::read_info(&mut f, cell(Col::Info).unwrap_or_default());
        let num = |c: Col| cell(c).and_then(|s| s.split(',').next()?.trim().parse::<u16>().ok());
        let (sp, dp, port) = (num(Col::SrcPort), num(Col::DstPort), num(Col::Port));
        if let (Some(p), Some(a), Some(b)) = (port, f.sport, f.dport)
            && a != b
        {
            if p == a {
                self.port_is_src = Some(true);
            } else if p == b {
                self.port_is_src = Some(false);
            }
        }
        let port_src = self.port_is_src.unwrap_or(dp.is_some() || sp.is_none());
        let (psrc, pdst) = if port_src { (port, None) } else { (None, port) };
        f.sport = f.sport.or(sp).or(psrc);
        f.dport = f.dport.or(dp).or(pdst);
        Some(f)
    }
}

impl LineReader for List {
    fn line(&mut self, n: u64, line: &str, out: &mut Out<'_>) {
        if line.trim().is_empty() {
            return;
        }
        if let Some(h) = header_of(line) {
            self.header = Some(h);
            return;
        }
        if let Some(f) = self.row(n, line) {
            out.facts(f, Level::Summary);
        } else if let Some(t) = time::show_clock(line) {
            out.clock(Stated::Epoch(t));
        } else {
            out.skipped();
        }
    }

    fn finish(&mut self, _: &mut Out<'_>) {}
}
