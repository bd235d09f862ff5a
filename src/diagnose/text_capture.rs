//! A capture read from text (issue 23): the same rules judged the frames the text gave;
//! this says how much the text proved. Each finding cites the text line of its evidence
//! frames and is no surer than the weakest of them (a summary line: medium; dissection
//! fields: high; hex bytes: as from a pcap). What the text cannot show is one
//! `text_capture` note, with the command that shows it, and no verdict rests on it: a
//! connection whose handshake completed but whose certificate chain the text does not
//! carry is not called OK (the switch's trust would judge that chain). A chain read from
//! a dissection's fields is judged by the certificate rules like a chain from the DER,
//! by name only (no key, no signature: `diagnose/cert.rs` caps what rests on a
//! name-only anchor at medium).

use crate::capture::text::{Level, TextSummary};
use crate::model::*;

/// The confidence a finding can have from frames of this level.
fn cap(level: Level) -> Confidence {
    match level {
        Level::Bytes => Confidence::Certain,
        Level::Fields => Confidence::High,
        Level::Summary => Confidence::Medium,
    }
}

/// Cites text lines, caps confidences, withholds verdicts the text cannot carry, and adds
/// the `text_capture` note. Run after [`super::diagnose`].
pub fn apply(t: &mut Timeline, s: &TextSummary) {
    let weakest = s.weakest().unwrap_or(Level::Bytes);
    let cite = |f: &mut Finding| {
        let mut level: Option<Level> = None;
        for e in &mut f.evidence {
            if let Some(n) = e.frame
                && let Some(o) = s.origin_of(n)
            {
                level = Some(level.map_or(o.level, |l| l.min(o.level)));
                e.log = Some(format!("line {}, frame {n}", o.line));
            }
        }
        f.confidence = f.confidence.min(cap(level.unwrap_or(weakest)));
    };
    if s.anchored_by.is_none() {
        // The text states no date: the clock rule has nothing to judge.
        t.findings
            .retain(|f| f.code != FindingCode::CaptureClockInvalid);
    }
    if s.no_times {
        // No times: a DNS timeout cannot be told from an answer not yet captured.
        t.findings.retain(|f| f.code != FindingCode::DnsTimeout);
    }
    t.findings.iter_mut().for_each(cite);
    let mut withheld = 0usize;
    for c in &mut t.connections {
        if s.anchored_by.is_none() {
            c.findings
                .retain(|f| f.code != FindingCode::CaptureClockInvalid);
        }
        if s.no_times {
            untimed(c);
        } else {
            undescribed(c, s);
        }
        c.findings.iter_mut().for_each(cite);
        let chain_hidden = c.events.iter().any(|e| {
            matches!(&e.kind, EventKind::TlsCertificate { certificates } if certificates.is_empty())
                && e.frame
                    .and_then(|n| s.origin_of(n))
                    .is_some_and(|o| o.level < Level::Bytes)
        });
        if chain_hidden && c.verdict == Verdict::Ok {
            c.verdict = Verdict::Unknown;
            withheld += 1;
        }
    }
    t.findings.push(note(s, withheld));
}

/// `text_capture`: what was read, how much it proves, and what it cannot show.
fn note(s: &TextSummary, withheld: usize) -> Finding {
    let form = s.form.map_or("text", |f| f.as_str());
    let mut summary = format!(
        "read from {form}: {} frame(s) from {} line(s)",
        s.frames, s.lines
    );
    if s.lines_skipped > 0 {
        summary.push_str(&format!(
            ", {} line(s) of no packet skipped",
            s.lines_skipped
        ));
    }
    if s.frames_cut > 0 {
        summary.push_str(&format!(
            ", {} frame(s) cut short in the hex (marked truncated)",
            s.frames_cut
        ));
    }
    match (&s.anchored_by, s.no_times) {
        (_, true) => summary.push_str("; the text states no times (timeouts cannot be judged)"),
        (Some(by), _) => summary.push_str(&format!("; times anchored by {by}")),
        (None, _) if s.undated_time_of_day => summary.push_str(
            "; times are UTC times of day without a date (the date shown is not the text's)",
        ),
        (None, _) => summary.push_str("; times are relative to the first packet"),
    }
    let levels = match s.weakest() {
        Some(Level::Bytes) | None => {
            "The frames are the text's own bytes: the analysis is the pcap's.".to_string()
        }
        Some(l) => format!(
            "Frames were rebuilt from the facts the text states ({}): findings from them are at most {} confidence and cite the text line (and frame number) that proved them.",
            l.as_str(),
            match l {
                Level::Fields => "high",
                _ => "medium",
            }
        ),
    };
    let mut why = levels;
    if withheld > 0 {
        why.push_str(&format!(
            " {withheld} connection(s) completed a TLS handshake whose certificate chain the text does not show: not called OK (the switch's trust judges that chain)."
        ));
    }
    if !s.not_shown.is_empty() {
        why.push_str(" The text cannot show: ");
        why.push_str(&s.not_shown.join("; "));
        why.push('.');
    }
    let mut fix = Vec::new();
    if s.weakest().is_some_and(|l| l < Level::Bytes) {
        fix.push("show monitor capture NAME buffer detailed   ! the fields: flags, SNI, alerts, certificates, HTTP headers, DNS answers");
        fix.push(
            "show monitor capture NAME buffer dump   ! the bytes: the same analysis as the pcap",
        );
        fix.push("monitor capture NAME export location flash:NAME.pcap   ! or the pcap itself");
    }
    Finding::new(
        FindingCode::TextCapture,
        Severity::Info,
        Step::Capture,
        summary,
    )
    .explain(why)
    .fix(fix)
}

/// `capture_ended` for a connection of a text with no times (a bare hex dump): its
/// absence-based findings (no answer within a time) give way to it.
fn untimed(c: &mut Connection) {
    let conn = c.clone();
    let before = c.findings.len();
    c.findings.retain(|f| {
        !(f.severity == Severity::Error && super::capture::absence_based(&conn, f.code))
    });
    if c.findings.len() == before {
        return;
    }
    let first = c.events.first().map(|e| Evidence::of(e, "first packet"));
    c.findings.push(
        Finding::new(
            FindingCode::CaptureEnded,
            Severity::Warning,
            Step::Capture,
            "the text states no times: whether an answer was missing cannot be judged",
        )
        .confidence(Confidence::Medium)
        .explain("A hex dump without its summary lines (tshark -x) gives the frames' bytes but not when they were captured, so a timeout (no answer within a time) cannot be told from an answer that simply is not in the text. Paste the dump with the summary lines ('show monitor capture NAME buffer dump' prints both) or export the pcap.")
        .fix(["show monitor capture NAME buffer dump"])
        .evidence(first),
    );
    super::verdict::root_cause_first(&mut c.findings);
    c.verdict = super::verdict::connection(c, &c.findings);
    c.primary = super::verdict::primary_finding(&c.findings).map(|p| p.code);
}

/// `capture_gap` for a connection the text says carried bytes it does not describe (a
/// segment's `Len=N` with no message named): the absence-based findings (no answer, no
/// Finished) give way to it, as they do to a capture filter: the answer may be in them.
fn undescribed(c: &mut Connection, s: &TextSummary) {
    let mut bytes = 0;
    let mut first: Option<(u64, u64)> = None;
    for key in [(c.client, c.server), (c.server, c.client)] {
        if let Some(&(n, frame, line)) = s.undescribed.get(&key) {
            bytes += n;
            first = Some(first.map_or((frame, line), |f| f.min((frame, line))));
        }
    }
    let Some((frame, line)) = first else {
        return;
    };
    let before = c.findings.len();
    let conn = c.clone();
    c.findings.retain(|f| {
        !(f.severity == Severity::Error && super::capture::absence_based(&conn, f.code))
    });
    if c.findings.len() == before {
        return;
    }
    c.findings.push(
        Finding::new(
            FindingCode::CaptureGap,
            Severity::Warning,
            Step::Capture,
            format!("{bytes} byte(s) of this connection are stated in the text but not described (no message named): what they held is unknown"),
        )
        .confidence(Confidence::Medium)
        .explain("The text gives these segments' lengths but not their content (tshark could not dissect them, e.g. out of order or a reassembly it did not finish), so the absence of an answer cannot be concluded: the answer may be in them. Paste the detailed dissection or the hex dump of these frames.")
        .fix(["show monitor capture NAME buffer dump   ! the bytes"])
        .evidence([Evidence::frame(frame, c.start_ns, format!("first undescribed segment (line {line})"))]),
    );
    super::verdict::root_cause_first(&mut c.findings);
    c.verdict = super::verdict::connection(c, &c.findings);
    c.primary = super::verdict::primary_finding(&c.findings).map(|p| p.code);
}
