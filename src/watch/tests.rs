//! The engine against `analyze`: the lab captures fed frame by frame give, per
//! connection and per name, the verdict and primary code `analyze` gives the whole file.

use super::*;
use crate::model::trust::TrustProfile;
use crate::pipeline::analyze_file;
use std::path::Path;

fn dcfg() -> DiagnoseConfig {
    DiagnoseConfig {
        now_unix: 1_796_000_000,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    }
}

fn config() -> WatchConfig {
    WatchConfig {
        acfg: AnalyzeConfig::default(),
        dcfg: dcfg(),
        retirement: WATCH_RETIREMENT,
        max_switches: 8,
        names: HashMap::new(),
    }
}

/// Every frame of `path` into a fresh engine, the clock moved on a minute, then the end:
/// the attempts judged while the capture went on, and those judged at its end.
fn watch_file(path: &Path) -> (Vec<Attempt>, Vec<Attempt>) {
    let mut e = Engine::new(config());
    e.file_started(&path.display().to_string());
    let mut during = Vec::new();
    let mut last = 0;
    crate::capture::read_capture_file(path, |f| {
        last = f.time_ns;
        e.frame(
            WatchFrame {
                number: f.number,
                time_ns: f.time_ns,
                linktype: f.linktype,
                data: f.data,
                orig_len: f.orig_len,
            },
            &mut during,
        );
    })
    .unwrap();
    e.advance(last + 2_000_000_000, &mut during);
    let mut at_end = Vec::new();
    e.end_capture(&mut at_end);
    (during, at_end)
}

fn captures(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

#[test]
fn a_closed_connection_is_judged_before_the_capture_ends() {
    let (during, at_end) = watch_file(&captures("healthy-proxy.pcap"));
    assert_eq!(during.len(), 1, "{during:?} / {at_end:?}");
    let a = &during[0];
    assert_eq!(a.kind, AttemptKind::Connection);
    assert_eq!(a.verdict, OverallVerdict::Ok);
    assert_eq!(
        a.target,
        "smartreceiver.cisco.com:443 via 198.51.100.3:3128"
    );
    assert_eq!(a.switch, "198.51.100.10".parse::<IpAddr>().unwrap());
    assert!(at_end.is_empty(), "{at_end:?}");
}

/// What analyze says of each licensing connection (by client and start) and each name.
fn analyze_says(path: &Path) -> (Vec<(String, OverallVerdict, Option<FindingCode>)>, Timeline) {
    let (t, _) = analyze_file(path, &AnalyzeConfig::default(), &dcfg()).unwrap();
    let conns = t
        .connections
        .iter()
        .filter(|c| c.licensing && !c.revocation)
        .map(|c| {
            let v = match c.verdict {
                Verdict::Ok => OverallVerdict::Ok,
                Verdict::Failed => OverallVerdict::Failed,
                Verdict::Unknown => OverallVerdict::Inconclusive,
            };
            (format!("{} {}", c.client, c.start_ns), v, c.primary)
        })
        .collect();
    (conns, t)
}

#[test]
fn every_lab_capture_gets_the_verdicts_analyze_gives() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() > 40);
    let mut mismatches = Vec::new();
    let (mut compared, mut names) = (0, 0);
    for path in &files {
        let (during, at_end) = watch_file(path);
        let all: Vec<&Attempt> = during.iter().chain(&at_end).collect();
        let (conns, t) = analyze_says(path);
        let watched: Vec<(String, OverallVerdict, Option<FindingCode>)> = all
            .iter()
            .filter(|a| a.kind == AttemptKind::Connection)
            .map(|a| (format!("{} {}", a.switch, a.start_ns), a.verdict, a.primary))
            .collect();
        compared += conns.len();
        for c in &conns {
            let key_ip =
                c.0.rsplit_once(':')
                    .map(|(ip, _)| ip.to_string())
                    .unwrap_or_default();
            let start =
                c.0.rsplit_once(' ')
                    .map(|(_, s)| s.to_string())
                    .unwrap_or_default();
            let found = watched.iter().find(|w| {
                w.0 == format!(
                    "{} {start}",
                    key_ip.trim_start_matches('[').trim_end_matches(']')
                )
            });
            match found {
                Some(w) if w.1 == c.1 && w.2 == c.2 => {}
                other => mismatches.push(format!(
                    "{}: analyze {c:?}, watch {other:?}",
                    path.display()
                )),
            }
        }
        // Names: analyze's DNS error findings against watch's failed lookups.
        let dns_errors: Vec<FindingCode> = t
            .findings
            .iter()
            .filter(|f| f.step == Step::Dns && f.severity == Severity::Error)
            .map(|f| f.code)
            .collect();
        let mut watched_dns: Vec<FindingCode> = all
            .iter()
            .filter(|a| a.kind == AttemptKind::Dns && a.verdict == OverallVerdict::Failed)
            .filter_map(|a| a.primary)
            .collect();
        watched_dns.dedup();
        let mut want = dns_errors.clone();
        want.dedup();
        names += want.len();
        if want != watched_dns {
            mismatches.push(format!(
                "{}: DNS analyze {want:?}, watch {watched_dns:?}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        compared > 40 && names > 5,
        "{compared} connections, {names} names"
    );
}

/// The server of [`tls_attempt`], a licensing address in [`licensing_config`].
const SERVER: ([u8; 4], u16) = ([203, 0, 113, 99], 443);

/// An engine's settings where [`SERVER`] is a licensing address.
pub(crate) fn licensing_config() -> WatchConfig {
    let mut cfg = config();
    cfg.acfg.context.licensing_addresses = vec![IpAddr::from(SERVER.0)];
    cfg
}

/// The frames of one licensing attempt from `client` port `port` to [`SERVER`]: the
/// handshake, a ClientHello with `sni`, the server's reset.
pub(crate) fn tls_attempt(client: [u8; 4], port: u16, sni: &str) -> Vec<Vec<u8>> {
    use crate::capture::testing::{ACK, PSH, RST, SYN, client_hello, tcp_frame};
    let hello = client_hello(sni);
    let c = (client, port);
    vec![
        tcp_frame(c, SERVER, 1000, 0, SYN, &[]),
        tcp_frame(SERVER, c, 5000, 1001, SYN | ACK, &[]),
        tcp_frame(c, SERVER, 1001, 5001, ACK, &[]),
        tcp_frame(c, SERVER, 1001, 5001, PSH | ACK, &hello),
        tcp_frame(SERVER, c, 5001, 1001 + hello.len() as u32, RST | ACK, &[]),
    ]
}

/// `frames` into `e`, numbered on from `first`, 1 ms apart from `t0_ns`.
pub(crate) fn feed(
    e: &mut Engine,
    first: u64,
    t0_ns: i64,
    frames: &[Vec<u8>],
    out: &mut dyn AttemptSink,
) {
    for (i, data) in frames.iter().enumerate() {
        e.frame(
            WatchFrame {
                number: first + i as u64,
                time_ns: t0_ns + i as i64 * 1_000_000,
                linktype: 1,
                data,
                orig_len: data.len() as u32,
            },
            out,
        );
    }
}

/// Issue 28 item 9 in `watch`: each attempt holds its connection's long strings whole
/// within its own budget (`ATTEMPT_LONG_STRINGS`), and cut past it, before the findings
/// copy them; so a hostile SNI costs each line and each attempt a bounded size.
#[test]
fn an_attempt_holds_its_long_strings_within_its_own_budget() {
    use crate::model::long_strings::{ATTEMPT_LONG_STRINGS, LONG_STRING};
    let mut e = Engine::new(licensing_config());
    e.file_started("hostile.pcap");
    let fits = format!("{}.example", "f".repeat(16_000));
    let over = format!("{}.example", "o".repeat(40_000));
    let mut out = Vec::new();
    feed(
        &mut e,
        1,
        1_790_000_000_000_000_000,
        &tls_attempt([198, 51, 100, 10], 51000, &fits),
        &mut out,
    );
    feed(
        &mut e,
        6,
        1_790_000_001_000_000_000,
        &tls_attempt([198, 51, 100, 10], 51001, &over),
        &mut out,
    );
    e.end_capture(&mut out);
    assert_eq!(out.len(), 2, "{out:?}");
    let sni = |a: &Attempt| {
        let c = a.connection.as_ref().unwrap();
        c.tls.as_ref().and_then(|t| t.sni.clone()).unwrap()
    };
    assert_eq!(sni(&out[0]), fits, "within the budget: whole");
    let cut = sni(&out[1]);
    assert!(cut.starts_with(&over[..128]), "{cut}");
    assert!(
        cut.contains(&format!("…[cut: {} bytes, fnv1a ", over.len())),
        "{cut}"
    );
    assert!(cut.ends_with("; over the 64 KiB kept whole]"), "{cut}");
    // What the attempt holds of long strings: its connection's, its findings' texts, its
    // line's; within the budget whatever the input.
    let mut line = Vec::new();
    crate::report::watch::write_attempt_jsonl(&mut line, &out[1]).unwrap();
    let c = out[1].connection.as_ref().unwrap();
    let held = serde_json::to_string(&**c).unwrap().len() + line.len();
    assert!(held < ATTEMPT_LONG_STRINGS, "{held} bytes held");
    assert!(
        !String::from_utf8(line)
            .unwrap()
            .contains(&"o".repeat(LONG_STRING))
    );
}

/// A SYN resent every 10 s for 5 minutes to a licensing server that never answers (or a
/// replayed capture that repeats its connections): its packets keep coming, so it never
/// goes idle. It is judged every `max_attempt_ns` (two minutes), each time as an unanswered
/// handshake, and its flow holds the events of two minutes at most, not of the whole run.
#[test]
fn a_connection_whose_packets_keep_coming_is_judged_every_two_minutes() {
    use crate::capture::testing::{SYN, tcp_frame};
    let mut e = Engine::new(licensing_config());
    e.file_started("resent.pcap");
    let syn = tcp_frame(([198, 51, 100, 10], 40000), SERVER, 1000, 0, SYN, &[]);
    let t0 = 1_790_000_000_000_000_000i64;
    let mut during = Vec::new();
    let mut most_events = 0;
    for i in 0..=30 {
        feed(
            &mut e,
            i + 1,
            t0 + i as i64 * 10_000_000_000,
            std::slice::from_ref(&syn),
            &mut during,
        );
        most_events = most_events.max(e.held().analyzer.flow_events);
    }
    assert_eq!(during.len(), 2, "{during:?}");
    for a in &during {
        assert_eq!(a.verdict, OverallVerdict::Failed, "{a:?}");
        assert_eq!(a.primary, Some(FindingCode::TcpTimeout), "{a:?}");
        assert!(a.duration_ns <= 120_000_000_000, "{a:?}");
    }
    assert!(most_events <= 13, "{most_events} events held by one flow");
}

/// The switch and name server of the DNS tests below.
const SWITCH_IP: [u8; 4] = [198, 51, 100, 10];
const NAME_SERVER: ([u8; 4], u16) = ([198, 51, 100, 53], 53);

/// A query for `name` from the switch's port `port` to [`NAME_SERVER`], or its answer
/// (`Some` addresses).
fn dns_frame(port: u16, name: &str, answer: Option<&[[u8; 4]]>) -> Vec<u8> {
    use crate::capture::testing::udp_frame;
    let switch = (SWITCH_IP, port);
    match answer {
        None => udp_frame(
            switch,
            NAME_SERVER,
            &crate::wire::dns::tests::build(7, name, 1, 0, false, &[]),
        ),
        Some(a) => udp_frame(
            NAME_SERVER,
            switch,
            &crate::wire::dns::tests::build(7, name, 1, 0, true, a),
        ),
    }
}

/// One frame at `time_ns`, then the clock at that time (watch's tick).
fn feed_at(e: &mut Engine, time_ns: i64, data: &[u8], out: &mut Vec<Attempt>) {
    let number = e.frames() + 1;
    e.frame(
        WatchFrame {
            number,
            time_ns,
            linktype: 1,
            data,
            orig_len: data.len() as u32,
        },
        out,
    );
    e.advance(time_ns, out);
}

/// The lookups of the licensing name judged, as (verdict, primary code, ICMP reason).
fn licensing_lookups(
    out: &[Attempt],
) -> Vec<(OverallVerdict, Option<FindingCode>, Option<String>)> {
    out.iter()
        .filter(|a| a.kind == AttemptKind::Dns && a.target == "smartreceiver.cisco.com")
        .map(|a| {
            let icmp = a.lookups.iter().find_map(|d| d.unreachable.clone());
            (a.verdict, a.primary, icmp)
        })
        .collect()
}

/// A busy watch answers many lookups: none of them is held once answered, so an answer
/// that comes before its query (by more than the time-order window: two mirrored ports,
/// one late) still finds room after 2,000 of them in 8 s. Every answered one used to be
/// kept as well among the answers waiting for their query (1,024 at most, never let go),
/// so the table stayed full and that answer was dropped: the lookup timed out. An answer
/// that matches no query is let go after the query timeout.
#[test]
fn an_answer_before_its_query_is_matched_after_thousands_of_answered_lookups() {
    let mut e = Engine::new(config());
    e.file_started("span.pcap");
    let mut out = Vec::new();
    let t0 = 1_790_000_000_000_000_000i64;
    let ms = 1_000_000;
    for i in 0..2_000 {
        let name = format!("host{i}.corp.example");
        let t = t0 + i * 4 * ms;
        feed_at(&mut e, t, &dns_frame(40_000, &name, None), &mut out);
        feed_at(
            &mut e,
            t + ms,
            &dns_frame(40_000, &name, Some(&[[10, 0, 0, 1]])),
            &mut out,
        );
    }
    let held_after_answers = e.held().analyzer.dns_early_answers;
    // The answer at t + 5 ms, its query (at t) 2 s later in the capture.
    let t = t0 + 8_500 * ms;
    let name = "smartreceiver.cisco.com";
    feed_at(
        &mut e,
        t + 5 * ms,
        &dns_frame(40_001, name, Some(&[[203, 0, 113, 10]])),
        &mut out,
    );
    e.advance(t + 2_000 * ms, &mut out);
    feed_at(&mut e, t, &dns_frame(40_001, name, None), &mut out);
    let stray = dns_frame(40_002, "stray.corp.example", Some(&[[10, 0, 0, 2]]));
    feed_at(&mut e, t + 3_000 * ms, &stray, &mut out);
    e.advance(t + 5_000 * ms, &mut out);
    let held_stray = e.held().analyzer.dns_early_answers;
    e.advance(t + 20_000 * ms, &mut out);
    assert_eq!(
        licensing_lookups(&out),
        [(OverallVerdict::Ok, None, None)],
        "{:?}",
        out.iter().map(|a| &a.summary).collect::<Vec<_>>()
    );
    assert_eq!(held_after_answers, 0, "answered: not held");
    assert_eq!(held_stray, 1, "matching no query: held");
    assert_eq!(e.held().analyzer.dns_early_answers, 0, "10 s on: let go");
}

/// A long watch sees many ICMP errors. Those of the last few seconds are held for the
/// queries they refuse; older ones let go, so after 5,000 a new one is still recorded and
/// says why a query got no answer, also for a socket pair refused once before. They used
/// to be kept forever, the first per socket pair, 4,096 at most: the later ones were not
/// recorded and the lookups timed out with no reason.
#[test]
fn an_icmp_error_is_attributed_after_thousands_of_earlier_ones() {
    use crate::capture::testing::{icmp_unreachable_frame, udp_frame};
    let mut e = Engine::new(config());
    e.file_started("span.pcap");
    let mut out = Vec::new();
    let t0 = 1_790_000_000_000_000_000i64;
    let ms = 1_000_000;
    let name = "smartreceiver.cisco.com";
    let refused = |e: &mut Engine, t: i64, port: u16, out: &mut Vec<Attempt>| {
        let query = dns_frame(port, name, None);
        feed_at(e, t, &query, out);
        feed_at(
            e,
            t + ms,
            &icmp_unreachable_frame(NAME_SERVER.0, 3, &query),
            out,
        );
    };
    // Port 50000 refused once at the start: attributed.
    refused(&mut e, t0, 50_000, &mut out);
    // 5,000 traceroute probes refused by their last hop, one socket pair each.
    for i in 0..5_000u16 {
        let probe = udp_frame(([10, 20, 0, 1], 20_000 + i), ([192, 0, 2, 1], 33_434), b"");
        let t = t0 + 20_000 * ms + i64::from(i) * 10 * ms;
        feed_at(
            &mut e,
            t,
            &icmp_unreachable_frame([192, 0, 2, 1], 3, &probe),
            &mut out,
        );
    }
    let held_after_flood = e.held().analyzer.dns_unreachable;
    // Then a new socket pair refused, and port 50000 again.
    let t = t0 + 80_000 * ms;
    refused(&mut e, t, 50_001, &mut out);
    refused(&mut e, t + 60_000 * ms, 50_000, &mut out);
    e.advance(t + 90_000 * ms, &mut out);
    let why = Some("ICMP port unreachable from 198.51.100.53".to_string());
    let refused = (OverallVerdict::Failed, Some(FindingCode::DnsTimeout), why);
    assert_eq!(
        licensing_lookups(&out),
        [refused.clone(), refused.clone(), refused]
    );
    // Those of the last 10 s (the query timeout) at most; none once all are older.
    assert!(held_after_flood <= 1_001, "{held_after_flood} held");
    assert_eq!(e.held().analyzer.dns_unreachable, 0);
}

/// A closed connection's late packet (the client's RST 15 ms after the server's, still in
/// the one-second time-order window) belongs to that connection: the clock of a quiet link
/// retires closed connections only up to the earliest frame still waiting, so the late
/// packet is not left to start an attempt of its own (the lab's watch check saw 21 lines
/// for 20 attempts: an extra "inconclusive, capture_one_direction").
#[test]
fn a_late_packet_still_in_the_window_does_not_start_an_attempt_of_its_own() {
    use crate::capture::testing::{RST, client_hello, tcp_frame};
    let mut e = Engine::new(licensing_config());
    e.file_started("late.pcap");
    let t0 = 1_790_000_000_000_000_000i64;
    let ms = 1_000_000i64;
    let mut out = Vec::new();
    // SYN ... the server's RST at t0 + 4 ms.
    feed(
        &mut e,
        1,
        t0,
        &tls_attempt([198, 51, 100, 10], 40000, "smartreceiver.cisco.com"),
        &mut out,
    );
    let seq = 1001 + client_hello("smartreceiver.cisco.com").len() as u32;
    let late = tcp_frame(([198, 51, 100, 10], 40000), SERVER, seq, 0, RST, &[]);
    e.frame(
        WatchFrame {
            number: 6,
            time_ns: t0 + 19 * ms,
            linktype: 1,
            data: &late,
            orig_len: late.len() as u32,
        },
        &mut out,
    );
    // A quiet link: the clock past the linger of the closed connection (1 s after its
    // last analysed frame) but not yet past the late frame's second in the window.
    e.advance(t0 + 1_009 * ms, &mut out);
    e.advance(t0 + 3_000 * ms, &mut out);
    e.end_capture(&mut out);
    let connections: Vec<_> = out
        .iter()
        .filter(|a| a.kind == AttemptKind::Connection)
        .collect();
    assert_eq!(connections.len(), 1, "{connections:?}");
    assert_ne!(
        connections[0].primary,
        Some(FindingCode::CaptureOneDirection),
        "{connections:?}"
    );
}

/// Issue 28 item 9: the end of a capture judges every connection still open (lingering,
/// or still in the time-order window), and each is judged and handed over as it is
/// finished. Before, all of them were finished first and held at once (with their long
/// strings: 450 connections of the long-strings capture, +17 MB) until the last was.
#[test]
fn the_end_of_a_capture_hands_over_each_connection_as_it_is_finished() {
    use std::cell::Cell;
    let mut e = Engine::new(licensing_config());
    e.file_started("many.pcap");
    // Retired by the analyzer and not judged yet: counted up by the analyzer's sink,
    // down by the engine's.
    let waiting = Rc::new(Cell::new(0usize));
    let most = Rc::new(Cell::new(0usize));
    {
        let (retired, waiting, most) = (e.retired.clone(), waiting.clone(), most.clone());
        e.analyzer.set_stream_sink(move |r| {
            waiting.set(waiting.get() + 1);
            most.set(most.get().max(waiting.get()));
            retired.borrow_mut().push(r);
        });
    }
    struct Judged(Rc<Cell<usize>>, usize);
    impl AttemptSink for Judged {
        fn attempt(&mut self, _: Attempt) {
            self.0.set(self.0.get() - 1);
            self.1 += 1;
        }
    }
    let mut out = Judged(waiting.clone(), 0);
    for i in 0..100u16 {
        let frames = tls_attempt([198, 51, 100, 10], 20_000 + i, "smartreceiver.cisco.com");
        // All within 0.5 s: every one still open or in the window at the end.
        let t0 = 1_790_000_000_000_000_000 + i64::from(i) * 5_000_000;
        feed(&mut e, u64::from(i) * 5 + 1, t0, &frames, &mut out);
    }
    assert_eq!(out.1, 0, "none judged before the end");
    e.end_capture(&mut out);
    assert_eq!(out.1, 100);
    assert_eq!(
        most.get(),
        1,
        "connections retired and not yet judged, at most"
    );
}
