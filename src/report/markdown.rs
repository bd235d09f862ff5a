//! `--markdown FILE`: the HTML report's content as Markdown (CommonMark with tables) for
//! pasting into a ticket system; the ladder as the text report draws it, in a code block.
//!
//! Strings from the network are escaped: outside code, every ASCII punctuation character
//! a renderer could take for markup is backslash-escaped (`<script>` stays text even where
//! the ticket system passes HTML through); inside code blocks the fence is longer than any
//! run of backticks in the content. A word that is a URL, a host name or an e-mail address
//! goes in a code span (its fence longer than its own backticks), so that no GFM autolink
//! (`www.`, `http://`, `a@b.c`; GFM spec §6.9) or ticket tool's link detection makes a
//! clickable link of a name a server chose.

use super::handover::{self as doc, ConnectionBlock, FindingItem, Page, Section, Table};
use super::json::CaptureReport;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Inline text: first made safe as for a terminal ([`crate::escape`]: control characters,
/// line breaks, bidirectional overrides as visible `\xNN` / `\n` / `\u{..}`, so a string
/// cannot start a new block or reorder the line), then only what a CommonMark/GFM renderer
/// would take for markup backslash-escaped (§2.4), so that text pasted into a ticket tool
/// that is not Markdown stays readable: code, emphasis, links, raw HTML and entities
/// anywhere; a heading, quote or list marker only at the start; an underscore only where
/// it could open or close emphasis (not inside `certificate_expired`).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_in(s, Place::Prose)
}

/// Inline text placed after other text on its line (`- seen: …`, `_On:_ …`): no block
/// marker to fear at its start.
fn inline(s: &str) -> Cow<'_, str> {
    escape_in(s, Place::Inline)
}

/// A table cell's text.
fn cell(s: &str) -> Cow<'_, str> {
    escape_in(s, Place::Cell)
}

/// Where an escaped string goes: at the start of a line (block markers matter), after
/// other text on its line, or in a table cell (where `|` ends the cell).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Prose,
    Inline,
    Cell,
}

fn escape_in(s: &str, place: Place) -> Cow<'_, str> {
    const ANYWHERE: &[char] = &['\\', '`', '*', '[', ']', '<', '~'];
    let visible = crate::escape::escape_shown(s);
    let chars: Vec<char> = visible.chars().collect();
    let alnum = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let needs = |i: usize, c: char| -> bool {
        match c {
            _ if ANYWHERE.contains(&c) => true,
            '|' => place == Place::Cell,
            // Intraword underscores never make emphasis (CommonMark §6.2 rule 2).
            '_' => !(alnum(i.checked_sub(1)) && alnum(Some(i + 1))),
            // An entity reference (`&amp;`, `&#60;`): `&`, a name or #, then `;`.
            '&' => {
                let run = chars[i + 1..]
                    .iter()
                    .take_while(|n| n.is_ascii_alphanumeric() || **n == '#')
                    .count();
                run > 0 && chars.get(i + 1 + run) == Some(&';')
            }
            '#' | '>' | '-' | '+' | '=' => i == 0 && place == Place::Prose,
            _ => false,
        }
    };
    let spans = link_words(&chars);
    if spans.is_empty() && !chars.iter().enumerate().any(|(i, &c)| needs(i, c)) {
        return visible;
    }
    let mut out = String::with_capacity(visible.len() + 16);
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if let Some(&(_, end)) = spans.iter().find(|(start, _)| *start == i) {
            let word: String = chars.get(i..end).unwrap_or_default().iter().collect();
            out.push_str(&code_span(&word, place));
            i = end;
            continue;
        }
        if needs(i, c) {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

/// The words of `chars` (runs between white space, without the punctuation around them)
/// that a renderer could make a link of, as char ranges.
fn link_words(chars: &[char]) -> Vec<(usize, usize)> {
    const LEADING: &[char] = &['(', '[', '<', '\'', '"', '*', '_', '~'];
    const TRAILING: &[char] = &[
        '.', ',', ':', ';', '!', '?', ')', ']', '>', '\'', '"', '*', '_', '~',
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let word_end = chars[i..]
            .iter()
            .position(|c| c.is_whitespace())
            .map_or(chars.len(), |n| i + n);
        let mut start = i;
        while start < word_end && LEADING.contains(&chars[start]) {
            start += 1;
        }
        let mut end = word_end;
        while end > start && TRAILING.contains(&chars[end - 1]) {
            end -= 1;
        }
        if end > start && is_link_like(&chars[start..end]) {
            out.push((start, end));
        }
        i = word_end;
    }
    out
}

/// A URL (`scheme://`, `www.`, `mailto:`), an e-mail address, or a host name: labels
/// joined by dots, the last one (before a port or a path) two letters or more, as a TLD.
fn is_link_like(word: &[char]) -> bool {
    let w: String = word.iter().collect::<String>().to_ascii_lowercase();
    let w = w.trim_matches('`');
    if w.contains("://") || w.starts_with("www.") || w.starts_with("mailto:") {
        return true;
    }
    if let Some((_, domain)) = w.split_once('@') {
        return domain.contains('.');
    }
    let host = w.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    match host.rsplit_once('.') {
        Some((labels, tld)) => {
            !labels.is_empty()
                && !labels.ends_with('.')
                && tld.len() >= 2
                && tld.chars().all(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// `word` as a code span (CommonMark §6.1): a fence one backtick longer than the longest
/// run inside, padded with a space when the word starts or ends with a backtick. In a
/// table cell a `|` still ends the cell inside code (GFM §4.10): escaped there.
fn code_span(word: &str, place: Place) -> String {
    let fence = "`".repeat(longest_backtick_run(word) + 1);
    let pad = if word.starts_with('`') || word.ends_with('`') {
        " "
    } else {
        ""
    };
    let body = if place == Place::Cell {
        word.replace('|', "\\|")
    } else {
        word.to_string()
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// The longest run of backticks in `s`: a fence must be longer.
fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A fenced code block that `content` cannot close, each line made safe as for a terminal.
fn code_block(m: &mut Page<'_>, info: &str, content: &str) {
    let lines: Vec<String> = content
        .trim_end_matches('\n')
        .lines()
        .map(|l| crate::escape::escape_shown(l).into_owned())
        .collect();
    let longest = lines
        .iter()
        .map(|l| longest_backtick_run(l))
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(m, "{fence}{info}\n{}\n{fence}", lines.join("\n"));
}

pub fn write_markdown(
    out: &mut dyn Write,
    command: &str,
    reports: &[CaptureReport],
) -> io::Result<()> {
    let verdict = doc::combined_verdict(reports);
    let mut m = Page::new(out);
    let _ = writeln!(
        m,
        "# {}: {} — {}\n\n_licpath {} · {}_\n",
        escape(&doc::title_of(command, reports)),
        verdict.as_str(),
        doc::headline_of(reports),
        env!("CARGO_PKG_VERSION"),
        doc::inputs(command, reports.len())
    );
    for r in reports {
        write_report(&mut m, r);
    }
    m.finish()
}

fn write_report(m: &mut Page<'_>, r: &CaptureReport) {
    for section in doc::sections(r) {
        match section {
            Section::Verdict {
                file, line, why, ..
            } => {
                let _ = writeln!(m, "## {}\n\n**Verdict: {}**\n", inline(file), inline(&line));
                for f in why {
                    let _ = writeln!(m, "- `{}` {}", f.code.as_str(), inline(&f.summary));
                }
            }
            Section::Facts(facts) => {
                m.push_str("\n| | |\n|---|---|\n");
                for (k, v) in facts {
                    let _ = writeln!(m, "| {k} | {} |", cell(&v));
                }
            }
            Section::Findings {
                items,
                overflow,
                proof,
            } => write_findings(m, &items, overflow, proof),
            Section::Dns(dns) => {
                m.push_str("### DNS\n\n");
                table(m, dns);
            }
            Section::Connections {
                table: rows,
                drawn,
                not_drawn,
            } => {
                m.push_str("### Connections\n\n");
                table(m, rows);
                for c in &drawn {
                    write_connection(m, c);
                }
                if let Some(line) = not_drawn {
                    let _ = writeln!(m, "{line}\n");
                }
            }
            Section::SwitchLog {
                title,
                clock,
                table: rows,
                not_shown,
            } => {
                let _ = writeln!(m, "### {title}\n\nclock: {}\n", escape(clock));
                table(m, rows);
                if let Some(line) = not_shown {
                    let _ = writeln!(m, "{line}\n");
                }
            }
        }
    }
}

/// Each finding under its own heading: summary, why, where, evidence, fix.
/// A healthy input says what proved success where a bare "No finding" stood (issue 26).
fn write_findings(
    m: &mut Page<'_>,
    items: &[FindingItem],
    overflow: Option<String>,
    proof: Option<String>,
) {
    let _ = writeln!(m, "\n### Findings ({})\n", items.len());
    match (items.is_empty(), proof) {
        (true, Some(p)) => {
            let _ = writeln!(m, "No finding. {}\n", escape(&p));
        }
        (true, None) => m.push_str("No finding.\n\n"),
        (false, Some(p)) => {
            let _ = writeln!(m, "{}\n", escape(&p));
        }
        (false, None) => {}
    }
    for i in items {
        let f = i.finding;
        let _ = writeln!(
            m,
            "#### {} `{}` ({}){}\n\n{}\n\n_Why:_ {}\n",
            doc::severity_word(f.severity),
            f.code.as_str(),
            f.step.as_str(),
            super::words::confidence_note(f)
                .map(|c| format!(" \\[{}\\]", inline(&c)))
                .unwrap_or_default(),
            escape(&f.summary),
            escape(&f.explanation)
        );
        if let Some(c) = i.connection {
            let _ = writeln!(m, "_On:_ {}\n", inline(&doc::connection_title(c)));
        }
        for e in &f.evidence {
            let _ = writeln!(m, "- seen: {}", inline(&doc::evidence_line(e, i.start_ns)));
        }
        if !f.remediation.is_empty() {
            m.push_str("\n_Fix:_\n\n");
            code_block(m, "", &f.remediation.join("\n"));
        }
        m.push('\n');
    }
    if let Some(o) = overflow {
        let _ = writeln!(m, "{}\n", escape(&o));
    }
}

/// A table of escaped cells (CommonMark tables extension) and a blank line.
fn table<const N: usize>(m: &mut Page<'_>, t: Table<N>) {
    let _ = writeln!(m, "| {} |\n|{}", t.head.join(" | "), "---|".repeat(N));
    for row in t.rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c).into_owned()).collect();
        let _ = writeln!(m, "| {} |", cells.join(" | "));
    }
    m.push('\n');
}

fn write_connection(m: &mut Page<'_>, b: &ConnectionBlock) {
    let _ = writeln!(
        m,
        "#### {} — {}\n\n{}\n",
        inline(&b.title),
        inline(&b.verdict),
        escape(&b.facts)
    );
    let mut ladder = String::new();
    for r in &b.ladder {
        let _ = writeln!(
            ladder,
            "{:>12} {:<6} {} {}",
            r.offset,
            r.frame.map(|n| format!("#{n}")).unwrap_or_default(),
            r.dir.arrow(),
            r.label
        );
        for d in &r.detail {
            let _ = writeln!(ladder, "{:>24}{d}", "");
        }
    }
    if b.events_not_shown > 0 {
        let _ = writeln!(
            ladder,
            "... {} not shown (--json has all)",
            doc::plural(b.events_not_shown, "more event")
        );
    }
    if !ladder.is_empty() {
        code_block(m, "text", &ladder);
        m.push('\n');
    }
    if !b.chain.is_empty() {
        let _ = write!(
            m,
            "Certificate chain as presented (leaf first; {}):\n\n| # | subject | issuer | valid (UTC) | serial | SHA-256 |\n|---|---|---|---|---|---|\n",
            doc::CHAIN_NAME_ORDER
        );
        for r in &b.chain {
            let mark = r.mark.map(|w| format!("**{w}** ")).unwrap_or_default();
            let _ = writeln!(
                m,
                "| {} | {}{} | {} | {mark}{} | {} | {} |",
                r.index,
                cell(&r.subject),
                if r.self_signed { " (self-signed)" } else { "" },
                cell(&r.issuer),
                cell(&r.valid),
                cell(&r.serial),
                cell(&r.sha256)
            );
        }
        m.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("smartreceiver.cisco.com:443"),
            "`smartreceiver.cisco.com:443`"
        );
        assert_eq!(
            escape("<script>alert(1)</script>"),
            r"\<script>alert(1)\</script>"
        );
        assert_eq!(
            escape("*c* _d_ `e` [f](g) &amp; ~~s~~"),
            r"\*c\* \_d\_ \`e\` \[f\](g) \&amp; \~\~s\~\~"
        );
        assert_eq!(escape("- not a list"), r"\- not a list");
        assert_eq!(escape("# x\ny"), r"\# x\\ny");
        assert_eq!(escape("> quote"), r"\> quote");
        assert_eq!(escape("a\u{202e}b"), r"a\\u{202e}b");
        assert_eq!(escape_in("a|b", Place::Cell), r"a\|b");
    }

    /// Issue 28 item 7: URLs, host names and e-mail addresses go in code spans, so that no
    /// GFM autolink fires; backticks inside lengthen the fence; a `|` in a cell stays
    /// escaped; punctuation around the word stays outside; addresses and versions do not.
    #[test]
    fn link_like_words_are_code_spans() {
        assert_eq!(
            escape("see http://evil.example/x, www.evil.example and (a@evil.example)."),
            "see `http://evil.example/x`, `www.evil.example` and (`a@evil.example`)."
        );
        assert_eq!(escape("SNI `www.x.example`"), "SNI `` `www.x.example` ``");
        assert_eq!(escape("http://a.example/``b"), "```http://a.example/``b```");
        assert_eq!(
            escape_in("http://a.example/|b", Place::Cell),
            r"`http://a.example/\|b`"
        );
        assert_eq!(escape("www.a.example\x1b[2J"), r"`www.a.example\x1b[2J`");
        for plain in ["198.51.100.10:443", "17.3.2", "e.g. this", "TLS 1.3."] {
            assert_eq!(escape(plain), plain);
        }
    }

    /// Prose that is pasted into a ticket tool that is not Markdown stays readable: no
    /// backslash where no renderer would see markup (issue 26).
    #[test]
    fn escape_adds_no_noise() {
        for plain in [
            "connection #1 198.51.100.10:59688 -> 203.0.113.12:443",
            "the client aborted the handshake with fatal alert certificate_expired (45)",
            "a|b in prose",
            "+0.000 ms",
            "R&D, 5 > 3, 100%!",
        ] {
            let place = if plain.starts_with('+') {
                Place::Cell
            } else {
                Place::Prose
            };
            assert_eq!(escape_in(plain, place), plain);
        }
    }

    #[test]
    fn code_block_fence_outlasts_the_content() {
        let block = |info: &str, content: &str| {
            let mut out = Vec::new();
            let mut m = Page::new(&mut out);
            code_block(&mut m, info, content);
            m.finish().unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            block("text", "a ``` b\n````\n"),
            "`````text\na ``` b\n````\n`````\n"
        );
        assert_eq!(block("", "x\x1b[2J"), "```\nx\\x1b[2J\n```\n");
    }
}
