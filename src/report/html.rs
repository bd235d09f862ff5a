//! `--html FILE`: one self-contained page for a ticket or an email: the verdict, the
//! findings with evidence and fix, the input's facts, each connection's ladder as inline
//! SVG and the certificate chain as presented. No script, no external font, style sheet
//! or image (a Content-Security-Policy forbids every fetch); readable when printed.
//!
//! The page is written with maud's `html!` (issue 25 item 7): every value spliced into it
//! is escaped by the template, so a string from the network (an SNI, a certificate field,
//! a proxy's reason phrase) cannot become markup by being forgotten. Strings of the report
//! go in as [`Text`], which also shows control characters and cuts long strings as the
//! terminal does. Nothing else writes to the page (a test below holds this file to it).
//! The content (and its wording) is [`super::handover`]'s, shared with the Markdown report.
//!
//! Why maud and not askama: maud's templates are Rust in this file, and each `html!` makes
//! one small piece (a table row, a ladder row) that is written to the [`Page`] at once, so
//! the page is still streamed in 64 KiB chunks (issue 28 item 9) and memory does not grow
//! with the input. maud writes the entities the page always had (`&amp; &lt; &gt; &quot;`;
//! `'` [`Text`] adds as `&#39;`), where askama writes numeric ones (`&#60;`) and would
//! change every escaped byte of the page, and its templates are a second language (Jinja)
//! beside the Rust.
//!
//! The markup maud does not escape, each for a reason:
//! - [`maud::DOCTYPE`]: maud's own `<!DOCTYPE html>`;
//! - `PreEscaped(STYLE)`: the constant style sheet (CSS quotes its font names);
//! - [`APOSTROPHE`]: the entity for `'`, which maud leaves as it is;
//! - [`HOLE`] and the two halves [`split_at_hole`] returns: an element maud rendered whole
//!   (its attributes escaped), cut where its content goes, so that the content (rows) is
//!   streamed between its opening and its closing tag.
//!
//! maud has no self-closing syntax: the SVG's `<line>` and `<path>` are closed by
//! `</line>` and `</path>`, the same elements for the HTML parser and for XML.

use super::handover::{self as doc, ConnectionBlock, Emphasis, FindingItem, Page, Section, Table};
use super::json::CaptureReport;
use crate::model::Direction;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use std::borrow::Cow;
use std::io::{self, Write};

/// A string of the report, for text content and attribute values: first made safe as for
/// a terminal ([`crate::escape::escape_shown`]: cut with its length; control characters,
/// bidirectional overrides and invalid bytes shown as `\xNN` / `\u{..}`, so nothing sent
/// hides or reorders what the reader sees), then escaped by maud (`& < > "`), and `'` as
/// `&#39;`.
struct Text<'a>(&'a str);

/// `'` as the page has always written it (maud leaves it as it is).
const APOSTROPHE: PreEscaped<&str> = PreEscaped("&#39;");

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let visible = crate::escape::escape_shown(self.0);
        for (i, part) in visible.split('\'').enumerate() {
            if i > 0 {
                APOSTROPHE.render_to(buffer);
            }
            part.render_to(buffer);
        }
    }
}

/// Where an element's streamed content goes: a NUL, which no [`Text`] holds (it shows
/// control characters as `\x00`) and no constant of this file does.
const HOLE: PreEscaped<&str> = PreEscaped("\0");

/// An element rendered with a [`HOLE`] as its content, cut there into what comes before the
/// content (the opening tag) and what comes after (the closing tag).
fn split_at_hole(element: Markup) -> (Markup, Markup) {
    let s = element.into_string();
    match s.split_once(HOLE.0) {
        Some((open, close)) => (PreEscaped(open.to_string()), PreEscaped(close.to_string())),
        None => (PreEscaped(s), PreEscaped(String::new())),
    }
}

/// Writes a piece of the page; the page's only way in.
fn put(h: &mut Page<'_>, m: Markup) {
    h.push_str(&m.into_string());
}

/// The lines of a fix, one after the other.
fn lines(ls: &[String]) -> Markup {
    html! {
        @for (i, l) in ls.iter().enumerate() {
            @if i > 0 { "\n" }
            (Text(l))
        }
    }
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
    let verdict = doc::combined_verdict(reports).as_str();
    let names: Vec<&str> = reports.iter().map(|r| r.file).collect();
    let version = env!("CARGO_PKG_VERSION");
    let title = doc::title_of(command, reports);
    let mut h = Page::new(out);
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'"; "\n"
                meta name="generator" content={ "licpath " (version) }; "\n"
                title { (Text(&title)) ": " (verdict) " — " (Text(&names.join(", "))) } "\n"
                style { (PreEscaped(STYLE)) } "\n"
            } "\n"
            body {
                "\n"
                header {
                    "\n"
                    h1 { (Text(&title)) ": " (doc::headline_of(reports)) } "\n"
                    p class="generated" {
                        "licpath " (version) " · " (doc::inputs(command, reports.len()))
                        " · verdict " (verdict)
                    } "\n"
                } "\n"
                (HOLE)
                footer {
                    "Generated by licpath " (version) " from the same timeline and findings as its \
    text and JSON reports. Frame numbers are the capture's (Wireshark's); times count from the \
    capture's first frame (Wireshark's Time column) or the probe's start, for connections and DNS alike."
                } "\n"
            } "\n"
        } "\n"
    };
    around(&mut h, page, |h| {
        for r in reports {
            write_report(h, r);
        }
    });
    h.finish()
}

/// Writes `element`'s opening tag, what `content` writes, then its closing tag: an element
/// whose content is streamed.
fn around(h: &mut Page<'_>, element: Markup, content: impl FnOnce(&mut Page<'_>)) {
    let (open, close) = split_at_hole(element);
    put(h, open);
    content(h);
    put(h, close);
}

/// A line of its own.
fn paragraph(line: &str) -> Markup {
    html! { p { (Text(line)) } "\n" }
}

fn write_report(h: &mut Page<'_>, r: &CaptureReport) {
    around(
        h,
        html! { section class="report" { "\n" (HOLE) } "\n" },
        |h| {
            for section in doc::sections(r) {
                write_section(h, section);
            }
        },
    );
}

fn write_section(h: &mut Page<'_>, section: Section<'_>) {
    match section {
        Section::Verdict {
            file,
            verdict,
            line,
            why,
        } => put(
            h,
            html! {
                h2 { (Text(file)) } "\n"
                p class={ "verdict " (doc::verdict_class(verdict)) } {
                    "Verdict: " (Text(&line))
                    @for f in &why {
                        span class="why" { code { (f.code.as_str()) } " " (Text(&f.summary)) }
                    }
                } "\n"
            },
        ),
        Section::Facts(facts) => put(
            h,
            html! {
                h3 { "Input" } "\n"
                table class="facts" {
                    "\n"
                    @for (k, v) in &facts {
                        tr { th { (k) } td class="wrap" { (Text(v)) } } "\n"
                    }
                } "\n"
            },
        ),
        Section::Findings {
            items,
            overflow,
            proof,
        } => write_findings(h, &items, overflow, proof),
        Section::Dns(dns) => {
            put(h, html! { h3 { "DNS" } "\n" });
            table(h, dns);
        }
        Section::Connections {
            table: rows,
            drawn,
            not_drawn,
        } => {
            put(h, html! { h3 { "Connections" } "\n" });
            table(h, rows);
            for c in &drawn {
                write_connection(h, c);
            }
            if let Some(line) = not_drawn {
                put(h, paragraph(&line));
            }
        }
        Section::SwitchLog {
            title,
            clock,
            table: rows,
            not_shown,
        } => {
            put(
                h,
                html! { h3 { (Text(&title)) } "\n" p { "clock: " (Text(clock)) } "\n" },
            );
            table(h, rows);
            if let Some(line) = not_shown {
                put(h, paragraph(&line));
            }
        }
    }
}

/// Each finding as an article: severity, code, step, summary, why, where, evidence, fix.
/// A healthy input says what proved success where a bare "No finding" stood (issue 26).
fn write_findings(
    h: &mut Page<'_>,
    items: &[FindingItem],
    overflow: Option<String>,
    proof: Option<String>,
) {
    put(
        h,
        html! {
            h3 { "Findings (" (items.len()) ")" } "\n"
            @match (items.is_empty(), &proof) {
                (true, Some(proof)) => { p class="proof" { "No finding. " (Text(proof)) } "\n" }
                (true, None) => { p { "No finding." } "\n" }
                (false, Some(proof)) => { p class="proof" { (Text(proof)) } "\n" }
                (false, None) => {}
            }
        },
    );
    for i in items {
        put(h, finding(i));
    }
    if let Some(o) = overflow {
        put(h, paragraph(&o));
    }
}

fn finding(i: &FindingItem) -> Markup {
    let f = i.finding;
    html! {
        article class={ "finding " (f.severity.as_str()) } {
            "\n"
            h4 {
                span class="sev" { (doc::severity_word(f.severity)) } " "
                code { (f.code.as_str()) } " (" (f.step.as_str()) ")"
                @if let Some(c) = super::words::confidence_note(f) {
                    " " span class="conf" { "[" (Text(&c)) "]" }
                }
            } "\n"
            p class="summary" { (Text(&f.summary)) } "\n"
            p class="why" { (Text(&f.explanation)) } "\n"
            @if let Some(c) = i.connection {
                p class="where" {
                    "On " a href={ "#c" (c.id) } { (Text(&doc::connection_title(c))) }
                } "\n"
            }
            @if !f.evidence.is_empty() {
                p class="label" { "Evidence" } "\n"
                ul {
                    "\n"
                    @for e in &f.evidence {
                        li class="mono" { (Text(&doc::evidence_line(e, i.start_ns))) } "\n"
                    }
                } "\n"
            }
            @if !f.remediation.is_empty() {
                p class="label" { "Fix" } "\n"
                pre { (lines(&f.remediation)) } "\n"
            }
        } "\n"
    }
}

/// A table under a header row, a row at a time.
fn table<const N: usize>(h: &mut Page<'_>, t: Table<N>) {
    let element = html! {
        table {
            "\n"
            tr { @for c in t.head { th { (Text(c)) } } } "\n"
            (HOLE)
        } "\n"
    };
    around(h, element, |h| {
        for row in &t.rows {
            put(
                h,
                html! { tr { @for cell in row { td { (Text(cell)) } } } "\n" },
            );
        }
    });
}

fn write_connection(h: &mut Page<'_>, b: &ConnectionBlock) {
    let c = b.connection;
    let class = match c.verdict {
        crate::model::Verdict::Ok => "cv-ok",
        crate::model::Verdict::Failed => "cv-failed",
        crate::model::Verdict::Unknown => "cv-unknown",
    };
    let element = html! {
        div class="connection" id={ "c" (c.id) } {
            "\n"
            h4 { (Text(&b.title)) " " span class=(class) { (Text(&b.verdict)) } } "\n"
            p class="facts" { (Text(&b.facts)) } "\n"
            (HOLE)
        } "\n"
    };
    around(h, element, |h| {
        ladder_svg(h, b);
        if !b.chain.is_empty() {
            put(h, chain_table(&b.chain));
        }
    });
}

/// The certificates as presented, leaf first; a row the findings call expired or not yet
/// valid says so in a word and is marked.
fn chain_table(rows: &[doc::ChainRow]) -> Markup {
    html! {
        p class="label" {
            b { "Certificate chain as presented" } " (leaf first; " (doc::CHAIN_NAME_ORDER) ")"
        } "\n"
        table class="chain" {
            "\n"
            tr {
                th { "#" } th { "subject" } th { "issuer" } th { "valid (UTC)" } th { "serial" }
                th { "SHA-256" }
            } "\n"
            @for r in rows {
                tr class=[r.mark.map(|_| "bad")] {
                    td { (r.index) }
                    td class="name" {
                        (Text(&r.subject))
                        @if r.self_signed { " " i { "(self-signed)" } }
                    }
                    td class="name" { (Text(&r.issuer)) }
                    td { @if let Some(m) = r.mark { b { (Text(m)) } " " } (Text(&r.valid)) }
                    td class="wrap mono" { (Text(&r.serial)) }
                    td class="wrap mono" { (Text(&r.sha256)) }
                } "\n"
            }
        } "\n"
    }
}

// Ladder geometry (SVG user units; the picture scales to the page width).
const WIDTH: u32 = 1000;
const CLIENT_X: u32 = 190;
const SERVER_X: u32 = 960;
const MID_X: u32 = (CLIENT_X + SERVER_X) / 2;
const TOP: u32 = 58;
const ROW: u32 = 30;
const DETAIL_ROW: u32 = 15;
/// Characters of a label that fit between the lanes at 12px monospace.
const LABEL_CHARS: usize = 105;
const EMPHASES: [&str; 6] = ["e-error", "e-warning", "e-tcp", "e-http", "e-tls", "e-note"];

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
    let server_name = c
        .server_name
        .as_deref()
        .map(|n| clip(n, 60).into_owned())
        .unwrap_or_default();
    let peer = if c.proxy_target.is_some() {
        "proxy"
    } else {
        "server"
    };
    let element = html! {
        svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (height) }
            role="img" aria-label={ "ladder diagram of connection #" (c.id) } {
            "\n"
            defs {
                "\n"
                @for class in EMPHASES {
                    marker id={ "m" (c.id) "-" (class) } viewBox="0 0 10 10" refX="10" refY="5"
                        markerWidth="8" markerHeight="8" orient="auto-start-reverse" {
                        path class=(class) d="M0,0 L10,5 L0,10 z" {}
                    } "\n"
                }
            } "\n"
            text class="head" x=(CLIENT_X) y="20" text-anchor="middle" {
                "client " (Text(&c.client.to_string()))
            } "\n"
            text class="head" x=(SERVER_X) y="20" text-anchor="end" {
                (peer) " " (Text(&format!("{} {server_name}", c.server)))
            } "\n"
            text class="time" x="4" y="44" { "time" }
            text class="frame" x=(CLIENT_X - 60) y="44" { "frame" } "\n"
            line class="lane" x1=(CLIENT_X) y1="30" x2=(CLIENT_X) y2=(height - 8) {} "\n"
            line class="lane" x1=(SERVER_X) y1="30" x2=(SERVER_X) y2=(height - 8) {} "\n"
            (HOLE)
        } "\n"
    };
    around(h, element, |h| {
        let mut y = TOP;
        for r in rows {
            put(h, ladder_row(c.id, y, r));
            y += ROW + DETAIL_ROW * r.detail.len() as u32;
        }
    });
    let more = b.events_not_shown;
    if more > 0 {
        put(
            h,
            html! {
                p class="facts" {
                    "... " (doc::plural(more, "more event")) " not drawn (--json has all)"
                } "\n"
            },
        );
    }
}

/// One event of connection `id` at height `y`: its time, frame, arrow and label, the label
/// whole in a tooltip and its further lines below.
fn ladder_row(id: u64, y: u32, r: &doc::LadderRow) -> Markup {
    let class = emphasis_class(r.emphasis);
    let (x1, x2) = match r.dir {
        Direction::ToServer => (CLIENT_X, SERVER_X - 2),
        Direction::ToClient => (SERVER_X, CLIENT_X + 2),
    };
    html! {
        g class="row" {
            title { (Text(&r.label)) }
            text class="time" x=(CLIENT_X - 66) y=(y + 4) text-anchor="end" { (Text(&r.offset)) }
            text class="frame" x=(CLIENT_X - 60) y=(y + 4) {
                @if let Some(n) = r.frame { "#" (n) }
            }
            line class={ "arrow " (class) } x1=(x1) y1=(y) x2=(x2) y2=(y)
                marker-end={ "url(#m" (id) "-" (class) ")" } {}
            text class={ "label " (class) } x=(MID_X) y=(y - 6) text-anchor="middle" {
                (Text(&clip(&r.label, LABEL_CHARS)))
            }
            @for (i, d) in r.detail.iter().enumerate() {
                text class="detail" x=(CLIENT_X + 16) y=(y + 16 + DETAIL_ROW * i as u32) {
                    (Text(&clip(d, LABEL_CHARS + 10)))
                }
            }
        } "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        Text(s).render().into_string()
    }

    #[test]
    fn text_is_shown_as_the_terminal_shows_it_and_escaped() {
        assert_eq!(text("plain text"), "plain text");
        assert_eq!(
            text(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(text("a\x1b[2J\0b\nc"), "a\\x1b[2J\\x00b\\nc");
        // A right-to-left override would reorder what the reader sees.
        assert_eq!(text("moc.\u{202e}txt"), "moc.\\u{202e}txt");
        assert_eq!(
            lines(&["a<b".into(), "c\x07".into()]).into_string(),
            "a&lt;b\nc\\x07"
        );
        assert_eq!(text("é — ok"), "é — ok");
        let long = "a".repeat(300);
        assert_eq!(text(&long), format!("{}…[cut: 300 bytes]", "a".repeat(128)));
    }

    #[test]
    fn an_element_is_cut_where_its_content_goes() {
        let (open, close) = split_at_hole(html! {
            div id={ "c" (7) } title=(Text("a\"b")) { "\n" (HOLE) } "\n"
        });
        assert_eq!(open.into_string(), "<div id=\"c7\" title=\"a&quot;b\">\n");
        assert_eq!(close.into_string(), "</div>\n");
        // A NUL from the report is shown, so it cannot pass for the hole.
        let (open, close) = split_at_hole(html! { p { (Text("x\0y")) (HOLE) } });
        assert_eq!(open.into_string(), "<p>x\\x00y");
        assert_eq!(close.into_string(), "</p>");
    }

    /// Issue 25 item 7: the page is written only by maud's templates, and the markup they
    /// do not escape is the short list in the module's comment. A `write!`, a `push_str`
    /// or a new `PreEscaped` in this file fails here.
    #[test]
    fn only_templates_write_the_page() {
        let source = include_str!("html.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let code_lines = || code.lines().filter(|l| !l.trim_start().starts_with("//"));
        let pre_escaped: Vec<&str> = code_lines()
            .filter(|l| l.contains("PreEscaped("))
            .map(str::trim)
            .collect();
        assert_eq!(
            pre_escaped,
            [
                "const APOSTROPHE: PreEscaped<&str> = PreEscaped(\"&#39;\");",
                "const HOLE: PreEscaped<&str> = PreEscaped(\"\\0\");",
                "Some((open, close)) => (PreEscaped(open.to_string()), PreEscaped(close.to_string())),",
                "None => (PreEscaped(s), PreEscaped(String::new())),",
                "style { (PreEscaped(STYLE)) } \"\\n\"",
            ]
        );
        for needle in ["write!(", "writeln!(", ".push(", "write_str(", "write_all("] {
            assert!(
                !code_lines().any(|l| l.contains(needle)),
                "{needle} in html.rs"
            );
        }
        let pushes: Vec<&str> = code_lines().filter(|l| l.contains("push_str(")).collect();
        assert_eq!(pushes, ["    h.push_str(&m.into_string());"]);
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
        assert!(h.starts_with("<svg class=\"ladder\"") && h.ends_with("</g>\n</svg>\n"));
    }
}
