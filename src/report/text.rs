//! The text report: verdict first, then DNS, then each connection as a timeline with its
//! findings and the IOS XE commands that fix them. Colour only when asked for (the CLI
//! decides from the terminal and NO_COLOR).

use super::words::{
    confidence_note, connection_facts, connection_route, connection_verdict, describe_event,
    dns_answer, dns_retries, listed_name, log_count, log_file, log_message, offset_ms,
    overflow_line, primary_error, span, time_base,
};
use crate::diagnose::verdict::overall_verdict;
use crate::model::time::format_utc;
// Network strings are shown cut (issue 28 item 9) and escaped.
use crate::escape::shown as esc;
use crate::model::*;
use anstyle::{AnsiColor, Style};
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}

struct Paint(Color);

/// The report's styles (SGR through anstyle; each ends with a reset).
const fn fg(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(c)))
}
const RED_BOLD: Style = fg(AnsiColor::Red).bold();
const GREEN: Style = fg(AnsiColor::Green);
const GREEN_BOLD: Style = fg(AnsiColor::Green).bold();
const YELLOW: Style = fg(AnsiColor::Yellow);
const YELLOW_BOLD: Style = fg(AnsiColor::Yellow).bold();
const CYAN: Style = fg(AnsiColor::Cyan);
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

impl Paint {
    fn wrap(&self, style: Style, s: &str) -> String {
        match self.0 {
            Color::Always => format!("{style}{s}{style:#}"),
            Color::Never => s.to_string(),
        }
    }
    fn sev(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.wrap(RED_BOLD, "ERROR"),
            Severity::Warning => self.wrap(YELLOW, "WARN "),
            Severity::Info => self.wrap(CYAN, "INFO "),
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap(BOLD, s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap(DIM, s)
    }
}

/// [`offset_ms`] right-aligned for the ladder's time column.
fn rel_ms(ns: i64, start: i64) -> String {
    format!("{:>13}", offset_ms(ns, start))
}

fn frame(f: Option<u64>) -> String {
    f.map_or_else(|| "      ".to_string(), |n| format!("#{n:<5}"))
}

fn verdict_word(p: &Paint, c: &Connection) -> String {
    let style = match c.verdict {
        Verdict::Ok => GREEN,
        Verdict::Failed => RED_BOLD,
        Verdict::Unknown => YELLOW,
    };
    p.wrap(style, &connection_verdict(c))
}

fn write_finding(
    out: &mut dyn Write,
    p: &Paint,
    f: &Finding,
    start: i64,
    indent: &str,
) -> io::Result<()> {
    let conf = confidence_note(f)
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    writeln!(
        out,
        "{indent}{} {} ({}): {}{conf}",
        p.sev(f.severity),
        p.bold(f.code.as_str()),
        f.step.as_str(),
        esc(&f.summary)
    )?;
    writeln!(out, "{indent}      why: {}", esc(&f.explanation))?;
    for e in &f.evidence {
        if let Some(l) = &e.log {
            writeln!(out, "{indent}      seen: {}: {}", esc(l), esc(&e.what))?;
            continue;
        }
        writeln!(
            out,
            "{indent}      seen: {} {} {}",
            frame(e.frame).trim_end(),
            rel_ms(e.time_ns, start).trim_start(),
            esc(&e.what)
        )?;
    }
    if !f.remediation.is_empty() {
        writeln!(out, "{indent}      fix:")?;
        for r in &f.remediation {
            writeln!(out, "{indent}        {}", esc(r))?;
        }
    }
    Ok(())
}

pub fn write_text(
    out: &mut dyn Write,
    file: &str,
    format: &str,
    t: &Timeline,
    color: Color,
) -> io::Result<()> {
    let p = Paint(color);
    write_heading(out, &p, file, format, t)?;
    write_verdict(out, &p, t)?;
    write_connection_list(out, &p, t)?;
    let start = t.start_ns.unwrap_or(0);
    for f in &t.findings {
        write_finding(out, &p, f, start, "   ")?;
    }
    write_dns(out, &p, t)?;
    for c in &t.connections {
        write_connection(out, &p, c, &t.source, start)?;
    }
    if let Some(log) = &t.switch_log {
        write_switch_log(out, &p, t, log)?;
    }
    Ok(())
}

/// `== file` and what was read: frames, connection attempts or log lines, and the span.
fn write_heading(
    out: &mut dyn Write,
    p: &Paint,
    file: &str,
    format: &str,
    t: &Timeline,
) -> io::Result<()> {
    writeln!(out, "{}", p.bold(&format!("== {}", esc(file))))?;
    if let Some(v) = &t.vantage {
        writeln!(out, "   measured {}", esc(&v.line()))?;
    }
    let span = span(t);
    (match &t.source {
        Source::Probe { .. } => writeln!(
            out,
            "   {format}, {} connection attempt{}, {span}",
            t.connections.len(),
            if t.connections.len() == 1 { "" } else { "s" }
        ),
        Source::Capture { .. } => writeln!(
            out,
            "   {format}, {} frames{}, {span}",
            t.stats.frames,
            duplicates_note(t.stats.frames_duplicated)
        ),
        Source::Logs { .. } => {
            let (lines, n) = t
                .switch_log
                .as_ref()
                .map_or((0, 0), |l| (l.lines_read, l.messages()));
            writeln!(
                out,
                "   {format}, {lines} lines read, {n} licensing message{} recognised, {span}",
                if n == 1 { "" } else { "s" }
            )
        }
    })?;
    if !t.dns.is_empty() || !t.connections.is_empty() {
        writeln!(out, "   times:   {}", time_base(t))?;
    }
    Ok(())
}

/// The overall verdict with the counts, and the primary cause when something failed.
fn write_verdict(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    let verdict = overall_verdict(t);
    let errors = t.error_count();
    let warnings = t.warning_count();
    let vword = match verdict {
        super::OverallVerdict::Failed => p.wrap(RED_BOLD, verdict.as_str()),
        super::OverallVerdict::Ok => p.wrap(GREEN_BOLD, verdict.as_str()),
        _ => p.wrap(YELLOW_BOLD, verdict.as_str()),
    };
    writeln!(
        out,
        "   verdict: {vword}  ({errors} error{}, {warnings} warning{})",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )?;
    if let Some(proof) = &t.proof {
        writeln!(out, "   proof:   {}", esc(proof))?;
    }
    if errors > 0
        && let Some((f, conn)) = crate::diagnose::verdict::primary_of(t)
    {
        let at = conn
            .map(|id| format!(" (connection #{id})"))
            .unwrap_or_default();
        writeln!(
            out,
            "   cause:   {}{at}: {}",
            f.code.as_str(),
            esc(&f.summary)
        )?;
    }
    Ok(())
}

/// One line per connection under the verdict, then those past the display cap and those
/// not shown.
fn write_connection_list(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    for c in &t.connections {
        let first_error = primary_error(c)
            .map(|f| format!(": {}", f.code.as_str()))
            .unwrap_or_default();
        writeln!(
            out,
            "     #{:<4} {} -> {} {}  {}{first_error}",
            c.id,
            c.client,
            c.server,
            esc(&listed_name(c)),
            verdict_word(p, c)
        )?;
    }
    if let Some(line) = overflow_line(t) {
        writeln!(out, "     {line}")?;
    }
    let unrelated = t.hidden_connections.saturating_sub(t.overflow.connections);
    if unrelated > 0 {
        writeln!(
            out,
            "     ({unrelated} other connection{} not shown; --all shows them)",
            if unrelated == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

/// Every DNS exchange, unanswered ones highlighted; static entries first (no query).
fn write_dns(out: &mut dyn Write, p: &Paint, t: &Timeline) -> io::Result<()> {
    if t.dns.is_empty() && t.static_hosts.is_empty() {
        return Ok(());
    }
    let start = t.start_ns.unwrap_or(0);
    writeln!(out, "\n   {}", p.bold("DNS"))?;
    for h in &t.static_hosts {
        writeln!(out, "   {}", esc(&h.to_string()))?;
    }
    for d in &t.dns {
        let answer = match &d.response {
            Some(_) => dns_answer(d),
            None => p.wrap(YELLOW, &dns_answer(d)),
        };
        let retries = dns_retries(d);
        writeln!(
            out,
            "   {} {} {:<5} {} -> {}{answer}{retries}  via {}/{}",
            rel_ms(d.query_ns, start),
            frame(d.query_frame),
            d.qtype,
            esc(&d.name),
            d.response
                .as_ref()
                .and_then(|r| r.frame)
                .map(|n| format!("#{n} "))
                .unwrap_or_default(),
            d.server,
            d.transport
        )?;
    }
    Ok(())
}

/// A connection as a timeline: its title and facts, its events, its findings.
fn write_connection(
    out: &mut dyn Write,
    p: &Paint,
    c: &Connection,
    source: &Source,
    start: i64,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "   {} {}  {}",
        p.bold(&format!("connection #{}", c.id)),
        esc(&connection_route(c)),
        verdict_word(p, c)
    )?;
    let facts = connection_facts(c, source);
    writeln!(out, "   {}", p.dim(&facts.join(" | ")))?;
    for e in &c.events {
        writeln!(
            out,
            "   {} {} {} {}",
            rel_ms(e.time_ns, start),
            frame(e.frame),
            e.dir.arrow(),
            describe_event(&e.kind)
        )?;
    }
    if c.events_dropped > 0 {
        writeln!(out, "   ... {} more events not kept", c.events_dropped)?;
    }
    for f in &c.findings {
        write_finding(out, p, f, start, "   ")?;
    }
    Ok(())
}

/// ` (40 dropped as capture duplicates)`: frames seen twice (two capture points, same
/// bytes and IP ID) are not analysed twice, and not counted as retransmissions; or nothing.
fn duplicates_note(n: u64) -> String {
    match n {
        0 => String::new(),
        n => format!(" ({n} dropped as capture duplicates)"),
    }
}

/// Entries of the switch log shown in the text report before "... N more".
const LOG_LINES_SHOWN: usize = 200;

/// The switch's messages, merged with the connections on one clock when it is known.
fn write_switch_log(
    out: &mut dyn Write,
    p: &Paint,
    t: &Timeline,
    log: &SwitchLog,
) -> io::Result<()> {
    writeln!(
        out,
        "\n   {} ({} from {})",
        p.bold("Switch log"),
        log_count(log),
        esc(&log.files.join(", "))
    )?;
    writeln!(out, "   clock: {}", esc(&log.clock_offset_basis))?;
    // (time on the timeline's clock, connection id or entry index)
    enum Row<'a> {
        Conn(&'a Connection),
        Log(&'a LogEntry),
    }
    let mut rows: Vec<(Option<i64>, Row)> = log
        .entries
        .iter()
        .map(|e| (e.time_ns, Row::Log(e)))
        .collect();
    if log.clock_offset_ns.is_some() {
        rows.extend(
            t.connections
                .iter()
                .filter(|c| c.licensing)
                .map(|c| (Some(c.start_ns), Row::Conn(c))),
        );
        rows.sort_by_key(|(time, _)| time.unwrap_or(i64::MIN));
    }
    let total = rows.len();
    for (time, row) in rows.into_iter().take(LOG_LINES_SHOWN) {
        let when = match (time, log.clock_offset_ns, &row) {
            (Some(ns), Some(_), _) => format_utc(ns),
            (_, _, Row::Log(e)) => e
                .timestamp
                .as_deref()
                .map_or_else(|| "-".into(), |s| esc(s).to_string()),
            _ => "-".into(),
        };
        match row {
            Row::Conn(c) => writeln!(
                out,
                "   {when:<24}  {} #{} {} -> {} {}",
                p.dim("capture"),
                c.id,
                c.client,
                c.server,
                verdict_word(p, c)
            )?,
            Row::Log(e) => writeln!(
                out,
                "   {when:<24}  {} {}  [{}:{}{}]",
                p.dim("switch "),
                log_message(e),
                esc(log_file(log, e)),
                e.line,
                match (&e.timestamp, log.clock_offset_ns) {
                    (Some(s), Some(_)) => format!(", switch clock {}", esc(s)),
                    _ => String::new(),
                }
            )?,
        }
    }
    if total > LOG_LINES_SHOWN {
        writeln!(
            out,
            "   ... {} more not shown (--json has all)",
            total - LOG_LINES_SHOWN
        )?;
    }
    Ok(())
}

/// `probe --from-config`: what the switch would do, and what is wrong with its
/// configuration, before the probe results.
pub fn write_plan(
    out: &mut dyn Write,
    file: &str,
    plan: &crate::model::switch::ProbePlan,
    findings: &[Finding],
    color: Color,
) -> io::Result<()> {
    let p = Paint(color);
    writeln!(
        out,
        "{}",
        p.bold(&format!(
            "== probe plan from {file}{}",
            plan.ios_version
                .as_deref()
                .map(|v| format!(" (IOS XE {})", esc(v)))
                .unwrap_or_default()
        ))
    )?;
    writeln!(
        out,
        "   transport       {}",
        esc(&plan.transport.to_string())
    )?;
    for t in &plan.targets {
        writeln!(
            out,
            "   target          {:<9} {}  ({})",
            esc(&t.label),
            esc(&t.written),
            esc(&t.origin)
        )?;
    }
    if plan.targets.is_empty() {
        writeln!(out, "   target          (none: nothing to probe)")?;
    }
    writeln!(
        out,
        "   proxy           {}",
        esc(&plan
            .proxy
            .as_ref()
            .map_or("none (direct)".to_string(), |p| p.to_string()))
    )?;
    writeln!(
        out,
        "   vrf             {}",
        esc(plan.vrf.as_deref().unwrap_or("global"))
    )?;
    let ns: Vec<String> = plan.dns_servers.iter().map(|a| a.to_string()).collect();
    writeln!(
        out,
        "   name servers    {}",
        if ns.is_empty() {
            "none for this VRF (probe uses this host's resolvers)".to_string()
        } else {
            ns.join(", ")
        }
    )?;
    for (n, a) in &plan.resolve {
        writeln!(out, "   ip host         {} = {a}", esc(n))?;
    }
    for (label, b) in [("source", &plan.source), ("dns source", &plan.dns_source)] {
        if let Some(b) = b {
            writeln!(
                out,
                "   {label:<15} {} -> {}",
                esc(&b.switch),
                esc(b.local.as_deref().unwrap_or("(not mapped: default route)"))
            )?;
        }
    }
    writeln!(
        out,
        "   identity check  {}",
        if plan.server_identity_check {
            "on"
        } else {
            "off"
        }
    )?;
    if let Some(check) = &plan.revocation_check {
        writeln!(
            out,
            "   revocation      checked (trustpoint {}: revocation-check {}): the probe's step 6 must reach them",
            esc(&check.trustpoint),
            esc(&check.methods_line())
        )?;
    }
    for n in &plan.notes {
        writeln!(out, "   note: {}", esc(n))?;
    }
    for f in findings {
        write_finding(out, &p, f, 0, "   ")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{self, START_NS};
    use base64::Engine;

    /// A real certificate (tests/data/pki/not-after-9999.pem, made with Python's
    /// `cryptography`) whose notAfter is RFC 5280's "no well-defined expiration date",
    /// 99991231235959Z: past 2262, where nanoseconds overflow an i64.
    fn no_expiry_cert() -> CertInfo {
        let pem = include_str!("../../tests/data/pki/not-after-9999.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        crate::wire::x509::parse_certificate(&der).unwrap()
    }

    fn report(t: &Timeline) -> String {
        let mut out = Vec::new();
        write_text(&mut out, "test.pcap", "pcap", t, Color::Never).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_certificate_valid_until_9999_shows_its_date() {
        let c = no_expiry_cert();
        assert_eq!(c.not_after, 253_402_300_799);
        let line = describe_event(&EventKind::TlsCertificate {
            certificates: vec![c.clone()],
        });
        assert!(
            line.ends_with("[0] no-expiry.example  <- issued by Device Manufacturer CA  valid 2024-01-01 .. 9999-12-31"),
            "{line}"
        );
        // The whole report, with the chain on a connection, prints it the same way.
        let conn = testing::connection()
            .handshake()
            .client_hello(Some("no-expiry.example"), TlsVersion::Tls12)
            .server_hello(TlsVersion::Tls12)
            .certificates(vec![c])
            .build();
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        t.start_ns = Some(START_NS);
        t.connections.push(conn);
        assert!(report(&t).contains("valid 2024-01-01 .. 9999-12-31"));
    }

    #[test]
    fn a_connection_heading_names_its_ends_the_name_and_the_proxy_target() {
        let mut c = testing::connection()
            .server_name("crl.example")
            .proxy_target("crl.example:80")
            .build();
        c.revocation = true;
        assert_eq!(
            connection_route(&c),
            "192.0.2.10:50000 -> 203.0.113.10:443 (crl.example), revocation fetch via proxy to crl.example:80"
        );
        assert_eq!(listed_name(&c), "crl.example (revocation fetch)");
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        t.connections.push(c);
        assert!(report(&t).contains(
            "   connection #1 192.0.2.10:50000 -> 203.0.113.10:443 (crl.example), revocation fetch via proxy to crl.example:80  UNKNOWN"
        ), "{}", report(&t));
    }

    #[test]
    fn finding_lines_escape_what_peers_said() {
        let mut t = Timeline::empty(Source::Capture { files: vec![] });
        let mut f = crate::model::Finding::new(
            FindingCode::ProxyDenied,
            Severity::Error,
            Step::Proxy,
            "the proxy said \x1b[2J",
        );
        f.explanation = "why\r".into();
        f.remediation = vec!["fix\x07".into()];
        t.findings.push(f);
        let s = report(&t);
        assert!(s.contains(r"the proxy said \x1b[2J"), "{s}");
        assert!(s.contains(r"why: why\r"), "{s}");
        assert!(s.contains(r"fix\x07"), "{s}");
        assert!(!s.contains(['\x1b', '\r', '\x07']), "{s}");
    }
}
