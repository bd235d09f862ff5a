//! `--html FILE`: one self-contained page for a ticket or an email: the verdict, the
//! findings with evidence and fix, the input's facts, each connection's ladder as inline
//! SVG and the certificate chain as presented. No script, no external font, style sheet
//! or image (a Content-Security-Policy forbids every fetch); readable when printed.
//!
//! Every string goes through [`escape`]: an SNI, a certificate field or a proxy's reason
//! phrase comes from the network and must never become markup. The content (and its
//! wording) is [`super::handover`]'s, shared with the Markdown report.

use super::handover::{self as doc, ConnectionBlock, Emphasis, FindingItem, Page, Section, Table};
use super::json::CaptureReport;
use crate::model::Direction;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Text for HTML content and attribute values: first made safe as for a terminal
/// ([`crate::escape`]: control characters, bidirectional overrides and invalid bytes shown
/// as `\xNN` / `\u{..}`, so nothing sent hides or reorders what the reader sees), then
/// `& < > " '` as entities.
pub fn escape(s: &str) -> Cow<'_, str> {
    let visible = crate::escape::escape_shown(s);
    if !visible.contains(['&', '<', '>', '"', '\'']) {
        return visible;
    }
    let mut out = String::with_capacity(visible.len() + 16);
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Several lines (a fix), each escaped.
fn escape_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

const STYLE: &str = r#"
:root { --err: #b71c1c; --warn: #a15c00; --ok: #1b5e20; --tls: #0d47a1; --http: #2e7d32;
  --tcp: #455a64; --note: #6a1b9a; --line: #cfd8dc; --bg: #f5f7f8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1a1a1a; margin: 0 auto; max-width: 1100px; padding: 16px 24px; line-height: 1.4; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
h1 { font-size: 1.4em; margin: 0 0 4px; }
h2 { font-size: 1.2em; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 28px; word-break: break-all; }
h3 { font-size: 1.05em; margin: 20px 0 8px; }
h4 { font-size: 1em; margin: 0 0 4px; }
.generated { color: #555; font-size: .9em; margin: 0; }
.verdict { font-size: 1.3em; font-weight: 700; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.verdict.failed { background: #fdecea; color: var(--err); border-left: 6px solid var(--err); }
.verdict.ok { background: #e8f5e9; color: var(--ok); border-left: 6px solid var(--ok); }
.verdict.unknown { background: #fff8e1; color: var(--warn); border-left: 6px solid var(--warn); }
.verdict .why { display: block; font-size: .75em; font-weight: 400; color: #1a1a1a; margin-top: 4px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: .92em; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
table.facts th { width: 190px; }
td.wrap { word-break: break-all; }
/* Names break at their spaces and after commas only, never inside a word. */
td.name { word-break: normal; overflow-wrap: normal; }
/* A certificate the findings call expired or not yet valid: a word, bold, and a bar. */
table.chain tr.bad td { background: #fdecea; }
table.chain tr.bad td:first-child { border-left: 4px solid var(--err); font-weight: 700; }
table.chain tr.bad b { color: var(--err); }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--tcp); border-radius: 4px;
  padding: 8px 12px; margin: 10px 0; }
.finding.error { border-left-color: var(--err); }
.finding.warning { border-left-color: var(--warn); }
.finding .sev { font-weight: 700; }
.finding.error .sev { color: var(--err); }
.finding.warning .sev { color: var(--warn); }
.finding p { margin: 4px 0; }
.finding .label { font-weight: 600; margin: 6px 0 2px; }
.finding ul { margin: 2px 0; padding-left: 20px; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 6px 10px; margin: 4px 0;
  white-space: pre-wrap; word-break: break-all; font-size: .9em; }
.connection { margin: 18px 0 26px; }
.connection .facts { color: #444; font-size: .9em; margin: 2px 0 8px; }
.cv-ok { color: var(--ok); font-weight: 700; }
.cv-failed { color: var(--err); font-weight: 700; }
.cv-unknown { color: var(--warn); font-weight: 700; }
svg.ladder { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
svg.ladder text { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
svg.ladder .lane { stroke: #90a4ae; stroke-width: 2; }
svg.ladder .head { font-weight: 700; font-size: 13px; }
svg.ladder .time, svg.ladder .frame, svg.ladder .detail { fill: #555; font-size: 11px; }
.e-error { stroke: var(--err); fill: var(--err); } .e-warning { stroke: var(--warn); fill: var(--warn); }
.e-tcp { stroke: var(--tcp); fill: var(--tcp); } .e-http { stroke: var(--http); fill: var(--http); }
.e-tls { stroke: var(--tls); fill: var(--tls); } .e-note { stroke: var(--note); fill: var(--note); }
svg.ladder line.arrow { stroke-width: 1.6; }
svg.ladder text.label { stroke: none; }
footer { color: #666; font-size: .85em; border-top: 1px solid var(--line); margin-top: 30px; padding-top: 6px; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  .finding, .connection table, svg.ladder { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The whole page for `reports` of one run of `command` (`analyze`, `probe`).
pub fn write_html(out: &mut dyn Write, command: &str, reports: &[CaptureReport]) -> io::Result<()> {
    let verdict = doc::combined_verdict(reports);
    let names: Vec<&str> = reports.iter().map(|r| r.file).collect();
    let version = env!("CARGO_PKG_VERSION");
    let title = doc::title_of(command, reports);
    let mut h = Page::new(out);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<meta name=\"generator\" content=\"licpath {version}\">\n\
<title>{}: {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<header>\n<h1>{}: {}</h1>\n\
<p class=\"generated\">licpath {version} · {} · verdict {}</p>\n</header>\n",
        escape(&title),
        verdict.as_str(),
        escape(&names.join(", ")),
        escape(&title),
        doc::headline_of(reports),
        doc::inputs(command, reports.len()),
        verdict.as_str(),
    );
    for r in reports {
        write_report(&mut h, r);
    }
    let _ = write!(
        h,
        "<footer>Generated by licpath {version} from the same timeline and findings as its text and JSON reports. \
Frame numbers are the capture's (Wireshark's); times count from the capture's first frame (Wireshark's Time column) or the probe's start, for connections and DNS alike.</footer>\n</body>\n</html>\n"
    );
    h.finish()
}

fn write_report(h: &mut Page<'_>, r: &CaptureReport) {
    h.push_str("<section class=\"report\">\n");
    for section in doc::sections(r) {
        match section {
            Section::Verdict {
                file,
                verdict,
                line,
                why,
            } => {
                let why: String = why
                    .iter()
                    .map(|f| {
                        format!(
                            "<span class=\"why\"><code>{}</code> {}</span>",
                            f.code.as_str(),
                            escape(&f.summary)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    h,
                    "<h2>{}</h2>\n<p class=\"verdict {}\">Verdict: {}{why}</p>",
                    escape(file),
                    doc::verdict_class(verdict),
                    escape(&line)
                );
            }
            Section::Facts(facts) => {
                h.push_str("<h3>Input</h3>\n<table class=\"facts\">\n");
                for (k, v) in facts {
                    let _ = writeln!(
                        h,
                        "<tr><th>{k}</th><td class=\"wrap\">{}</td></tr>",
                        escape(&v)
                    );
                }
                h.push_str("</table>\n");
            }
            Section::Findings {
                items,
                overflow,
                proof,
            } => write_findings(h, &items, overflow, proof),
            Section::Dns(dns) => {
                h.push_str("<h3>DNS</h3>\n");
                table(h, dns);
            }
            Section::Connections {
                table: rows,
                drawn,
                not_drawn,
            } => {
                h.push_str("<h3>Connections</h3>\n");
                table(h, rows);
                for c in &drawn {
                    write_connection(h, c);
                }
                if let Some(line) = not_drawn {
                    let _ = writeln!(h, "<p>{}</p>", escape(&line));
                }
            }
            Section::SwitchLog {
                title,
                clock,
                table: rows,
                not_shown,
            } => {
                let _ = write!(
                    h,
                    "<h3>{}</h3>\n<p>clock: {}</p>\n",
                    escape(&title),
                    escape(clock)
                );
                table(h, rows);
                if let Some(line) = not_shown {
                    let _ = writeln!(h, "<p>{}</p>", escape(&line));
                }
            }
        }
    }
    h.push_str("</section>\n");
}

/// Each finding as an article: severity, code, step, summary, why, where, evidence, fix.
/// A healthy input says what proved success where a bare "No finding" stood (issue 26).
fn write_findings(
    h: &mut Page<'_>,
    items: &[FindingItem],
    overflow: Option<String>,
    proof: Option<String>,
) {
    let _ = writeln!(h, "<h3>Findings ({})</h3>", items.len());
    match (items.is_empty(), proof) {
        (true, Some(p)) => {
            let _ = writeln!(h, "<p class=\"proof\">No finding. {}</p>", escape(&p));
        }
        (true, None) => h.push_str("<p>No finding.</p>\n"),
        (false, Some(p)) => {
            let _ = writeln!(h, "<p class=\"proof\">{}</p>", escape(&p));
        }
        (false, None) => {}
    }
    for i in items {
        let f = i.finding;
        let sev = doc::severity_word(f.severity);
        let _ = write!(
            h,
            "<article class=\"finding {}\">\n<h4><span class=\"sev\">{sev}</span> <code>{}</code> ({}){}</h4>\n\
<p class=\"summary\">{}</p>\n<p class=\"why\">{}</p>\n",
            f.severity.as_str(),
            f.code.as_str(),
            f.step.as_str(),
            super::words::confidence_note(f)
                .map(|c| format!(" <span class=\"conf\">[{}]</span>", escape(&c)))
                .unwrap_or_default(),
            escape(&f.summary),
            escape(&f.explanation),
        );
        if let Some(c) = i.connection {
            let _ = writeln!(
                h,
                "<p class=\"where\">On <a href=\"#c{}\">{}</a></p>",
                c.id,
                escape(&doc::connection_title(c))
            );
        }
        if !f.evidence.is_empty() {
            h.push_str("<p class=\"label\">Evidence</p>\n<ul>\n");
            for e in &f.evidence {
                let _ = writeln!(
                    h,
                    "<li class=\"mono\">{}</li>",
                    escape(&doc::evidence_line(e, i.start_ns))
                );
            }
            h.push_str("</ul>\n");
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"label\">Fix</p>\n<pre>{}</pre>",
                escape_lines(&f.remediation)
            );
        }
        h.push_str("</article>\n");
    }
    if let Some(o) = overflow {
        let _ = writeln!(h, "<p>{}</p>", escape(&o));
    }
}

/// A table of escaped cells under a header row.
fn table<const N: usize>(h: &mut Page<'_>, t: Table<N>) {
    h.push_str("<table>\n<tr>");
    for c in t.head {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    for row in t.rows {
        h.push_str("<tr>");
        for cell in row {
            let _ = write!(h, "<td>{}</td>", escape(&cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn write_connection(h: &mut Page<'_>, b: &ConnectionBlock) {
    let c = b.connection;
    let class = match c.verdict {
        crate::model::Verdict::Ok => "cv-ok",
        crate::model::Verdict::Failed => "cv-failed",
        crate::model::Verdict::Unknown => "cv-unknown",
    };
    let _ = write!(
        h,
        "<div class=\"connection\" id=\"c{}\">\n<h4>{} <span class=\"{class}\">{}</span></h4>\n<p class=\"facts\">{}</p>\n",
        c.id,
        escape(&b.title),
        escape(&b.verdict),
        escape(&b.facts)
    );
    ladder_svg(h, b);
    if !b.chain.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"label\"><b>Certificate chain as presented</b> (leaf first; {})</p>\n<table class=\"chain\">\n<tr><th>#</th><th>subject</th><th>issuer</th><th>valid (UTC)</th><th>serial</th><th>SHA-256</th></tr>",
            doc::CHAIN_NAME_ORDER
        );
        for r in &b.chain {
            let (row, mark) = match r.mark {
                Some(m) => (" class=\"bad\"", format!("<b>{}</b> ", escape(m))),
                None => ("", String::new()),
            };
            let _ = writeln!(
                h,
                "<tr{row}><td>{}</td><td class=\"name\">{}{}</td><td class=\"name\">{}</td><td>{mark}{}</td><td class=\"wrap mono\">{}</td><td class=\"wrap mono\">{}</td></tr>",
                r.index,
                escape(&r.subject),
                if r.self_signed {
                    " <i>(self-signed)</i>"
                } else {
                    ""
                },
                escape(&r.issuer),
                escape(&r.valid),
                escape(&r.serial),
                escape(&r.sha256)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</div>\n");
}

// Ladder geometry (SVG user units; the picture scales to the page width).
const WIDTH: u32 = 1000;
const CLIENT_X: u32 = 190;
const SERVER_X: u32 = 960;
const TOP: u32 = 58;
const ROW: u32 = 30;
const DETAIL_ROW: u32 = 15;
/// Characters of a label that fit between the lanes at 12px monospace.
const LABEL_CHARS: usize = 105;

fn emphasis_class(e: Emphasis) -> &'static str {
    match e {
        Emphasis::Error => "e-error",
        Emphasis::Warning => "e-warning",
        Emphasis::Tcp => "e-tcp",
        Emphasis::Http => "e-http",
        Emphasis::Tls => "e-tls",
        Emphasis::Note => "e-note",
    }
}

fn clip(s: &str, n: usize) -> Cow<'_, str> {
    if s.chars().count() <= n {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("{}…", s.chars().take(n - 1).collect::<String>()))
    }
}

/// The connection's events as a ladder: the client's lane on the left, the server's (or
/// proxy's) on the right, one arrow per event with its time and frame.
fn ladder_svg(h: &mut Page<'_>, b: &ConnectionBlock) {
    let (c, rows) = (b.connection, &b.ladder);
    let height = TOP
        + rows
            .iter()
            .map(|r| ROW + DETAIL_ROW * r.detail.len() as u32)
            .sum::<u32>()
        + 16;
    let _ = write!(
        h,
        "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"ladder diagram of connection #{}\">\n<defs>\n",
        c.id
    );
    for class in ["e-error", "e-warning", "e-tcp", "e-http", "e-tls", "e-note"] {
        let _ = writeln!(
            h,
            "<marker id=\"m{}-{class}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path class=\"{class}\" d=\"M0,0 L10,5 L0,10 z\"/></marker>",
            c.id
        );
    }
    h.push_str("</defs>\n");
    let server_name = c
        .server_name
        .as_deref()
        .map(|n| clip(n, 60).into_owned())
        .unwrap_or_default();
    let _ = write!(
        h,
        "<text class=\"head\" x=\"{CLIENT_X}\" y=\"20\" text-anchor=\"middle\">client {}</text>\n\
<text class=\"head\" x=\"{SERVER_X}\" y=\"20\" text-anchor=\"end\">{} {}</text>\n\
<text class=\"time\" x=\"4\" y=\"44\">time</text><text class=\"frame\" x=\"{}\" y=\"44\">frame</text>\n\
<line class=\"lane\" x1=\"{CLIENT_X}\" y1=\"30\" x2=\"{CLIENT_X}\" y2=\"{}\"/>\n\
<line class=\"lane\" x1=\"{SERVER_X}\" y1=\"30\" x2=\"{SERVER_X}\" y2=\"{}\"/>\n",
        escape(&c.client.to_string()),
        if c.proxy_target.is_some() {
            "proxy"
        } else {
            "server"
        },
        escape(&format!("{} {server_name}", c.server)),
        CLIENT_X - 60,
        height - 8,
        height - 8,
    );
    let mut y = TOP;
    let mid = (CLIENT_X + SERVER_X) / 2;
    for r in rows {
        let class = emphasis_class(r.emphasis);
        let (x1, x2) = match r.dir {
            Direction::ToServer => (CLIENT_X, SERVER_X - 2),
            Direction::ToClient => (SERVER_X, CLIENT_X + 2),
        };
        let _ = write!(
            h,
            "<g class=\"row\"><title>{}</title>\
<text class=\"time\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
<text class=\"frame\" x=\"{}\" y=\"{}\">{}</text>\
<line class=\"arrow {class}\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" marker-end=\"url(#m{}-{class})\"/>\
<text class=\"label {class}\" x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            escape(&r.label),
            CLIENT_X - 66,
            y + 4,
            escape(&r.offset),
            CLIENT_X - 60,
            y + 4,
            r.frame.map(|n| format!("#{n}")).unwrap_or_default(),
            c.id,
            y - 6,
            escape(&clip(&r.label, LABEL_CHARS)),
        );
        for (i, d) in r.detail.iter().enumerate() {
            let _ = write!(
                h,
                "<text class=\"detail\" x=\"{}\" y=\"{}\">{}</text>",
                CLIENT_X + 16,
                y + 16 + DETAIL_ROW * i as u32,
                escape(&clip(d, LABEL_CHARS + 10))
            );
        }
        h.push_str("</g>\n");
        y += ROW + DETAIL_ROW * r.detail.len() as u32;
    }
    h.push_str("</svg>\n");
    let more = b.events_not_shown;
    if more > 0 {
        let _ = writeln!(
            h,
            "<p class=\"facts\">... {} not drawn (--json has all)</p>",
            doc::plural(more, "more event")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(escape("plain text"), "plain text");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a\x1b[2J\0b\nc"), "a\\x1b[2J\\x00b\\nc");
        // A right-to-left override would reorder what the reader sees.
        assert_eq!(escape("moc.\u{202e}txt"), "moc.\\u{202e}txt");
        assert_eq!(
            escape_lines(&["a<b".into(), "c\x07".into()]),
            "a&lt;b\nc\\x07"
        );
        assert_eq!(escape("é — ok"), "é — ok");
    }

    #[test]
    fn clip_keeps_whole_characters() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("ééééé", 3), "éé…");
    }

    #[test]
    fn ladder_draws_one_arrow_per_event_in_its_direction() {
        use crate::model::*;
        let mut c = Connection::new(
            1,
            "198.51.100.10:4000".parse().unwrap(),
            "203.0.113.5:443".parse().unwrap(),
            1_000,
            TcpState::Established,
        );
        c.server_name = Some("a<b".into());
        for (i, (dir, kind)) in [
            (
                Direction::ToServer,
                EventKind::TcpSyn {
                    mss: Some(536),
                    window: 4128,
                    retransmission: false,
                },
            ),
            (Direction::ToClient, EventKind::TcpRst),
        ]
        .into_iter()
        .enumerate()
        {
            c.events.push(Event {
                time_ns: 1_000 + i as i64 * 2_000_000,
                frame: Some(i as u64 + 1),
                dir,
                kind,
            });
        }
        let mut out = Vec::new();
        let mut page = Page::new(&mut out);
        ladder_svg(
            &mut page,
            &doc::connection_block(&c, &Source::Capture { files: vec![] }, 1_000),
        );
        page.finish().unwrap();
        let h = String::from_utf8(out).unwrap();
        assert_eq!(h.matches("<line class=\"arrow").count(), 2);
        assert!(h.contains(&format!(
            "<line class=\"arrow e-tcp\" x1=\"{CLIENT_X}\" y1=\"{TOP}\" x2=\"{}\"",
            SERVER_X - 2
        )));
        assert!(h.contains(&format!(
            "<line class=\"arrow e-error\" x1=\"{SERVER_X}\" y1=\"{}\" x2=\"{}\"",
            TOP + ROW,
            CLIENT_X + 2
        )));
        assert!(h.contains(">+2.000 ms</text>"));
        assert!(h.contains(">#2</text>"));
        assert!(h.contains("SYN mss 536 win 4128"));
        assert!(h.contains("a&lt;b") && !h.contains("a<b"));
    }
}
