//! Summary lines: `N  time  src -> dst  PROTO len info` (tshark's console output,
//! `show monitor capture NAME buffer [brief]`), with `->` or `→`, between prompts, the
//! EPC banner, `show clock` output and log lines (skipped and counted).

use super::facts::{self, Facts};
use super::time::{self, Stated};
use super::{Level, LineReader, Out};

/// The facts of one summary line; `None` when the line is not one.
pub fn parse_line(line: &str, n: u64) -> Option<Facts> {
    let mut w = line.split_whitespace();
    let number: u64 = w.next()?.parse().ok()?;
    let t = w.next()?;
    let mut words = 7;
    let time = if time::is_date(t) {
        // `tshark -t ud` (or `-t ad`: the zone is not printed; read as UTC, and said so).
        words += 1;
        let at = time::date_time(&format!("{t} {}", w.next()?), time::Unzoned::Utc)?;
        Stated::Dated(at, "the summary's dates (no zone printed: read as UTC)")
    } else if t.contains(':') {
        Stated::TimeOfDay(time::time_of_day(t)?)
    } else {
        Stated::Relative(time::seconds(t)?)
    };
    let src = w.next()?;
    let arrow = w.next()?;
    if !matches!(arrow, "->" | "→") {
        return None;
    }
    let dst = w.next()?;
    let protocol = w.next()?.to_string();
    let frame_len: u32 = w.next()?.parse().ok()?;
    // The Info column: the rest of the line, its spacing kept.
    let info = after_words(line, words);
    let mut f = Facts {
        line: n,
        number: Some(number),
        time,
        src: facts::addr(src),
        dst: facts::addr(dst),
        protocol,
        frame_len: Some(frame_len),
        ..Facts::default()
    };
    facts::read_info(&mut f, info);
    Some(f)
}

/// The text after the first `k` whitespace-separated words.
fn after_words(line: &str, k: usize) -> &str {
    let mut s = line.trim_start();
    for _ in 0..k {
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        s = s[end..].trim_start();
    }
    s
}

#[derive(Default)]
pub struct Brief;

impl LineReader for Brief {
    fn line(&mut self, n: u64, line: &str, out: &mut Out<'_>) {
        if let Some(f) = parse_line(line, n) {
            out.facts(f, Level::Summary);
        } else if let Some(t) = time::show_clock(line) {
            out.clock(Stated::Epoch(t));
        } else if !line.trim().is_empty() {
            out.skipped();
        }
    }

    fn finish(&mut self, _: &mut Out<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        let f = parse_line(
            "    8   0.000595 198.51.100.10 → 198.51.100.3 HTTP 204 CONNECT smartreceiver.cisco.com:443 HTTP/1.0 ",
            3,
        )
        .unwrap();
        assert_eq!((f.number, f.line), (Some(8), 3));
        assert_eq!(f.time, Stated::Relative(595_000));
        assert_eq!(f.src, "198.51.100.10".parse().ok());
        assert!(
            matches!(f.app, Some(facts::App::Connect { ref target, .. }) if target == "smartreceiver.cisco.com:443")
        );
        // MAC addresses are no IP: the line is read, the frame cannot be rebuilt.
        let f = parse_line(
            "    1   0.000000 f4:db:e6:5b:97:04 -> 01:80:c2:00:00:00 STP 60 RST. Root = 32768",
            1,
        )
        .unwrap();
        assert_eq!(f.src, None);
        assert!(
            parse_line(
                "Starting the packet display ........ Press Ctrl + Shift + 6 to exit",
                1
            )
            .is_none()
        );
        assert!(parse_line("Router#show monitor capture CAP buffer brief", 1).is_none());
    }
}
