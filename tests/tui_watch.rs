//! `licpath tui --watch`'s screen against ratatui's TestBackend: the attempts come from
//! the real watch engine fed the lab captures frame by frame (the same engine and rules as
//! `licpath watch`), and `update` is driven with them as the loop would.

mod common;

use licpath::diagnose::DiagnoseConfig;
use licpath::flow::AnalyzeConfig;
use licpath::model::trust::TrustProfile;
use licpath::tui::common::Theme;
use licpath::tui::msg::{Effect, Key, Model, Msg};
use licpath::tui::watch::{RECENT, WatchApp};
use licpath::watch::{Attempt, Engine, WATCH_RETIREMENT, WatchConfig, WatchFrame};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::path::Path;

/// The attempts the engine judges over these captures, one after the other; the
/// switch's address is named by a hostile hostname (a switch text is pasted input).
fn attempts(captures: &[&str]) -> Vec<Attempt> {
    let cfg = WatchConfig {
        acfg: AnalyzeConfig::default(),
        dcfg: DiagnoseConfig {
            now_unix: 1_795_305_600,
            trust: TrustProfile::ios_xe(None),
            judge_all_chains: false,
            ca_file: None,
            revocation_checked_by: None,
        },
        retirement: WATCH_RETIREMENT,
        max_switches: 8,
        names: HashMap::from([("198.51.100.10".parse().unwrap(), "sw1\x1b[2J".to_string())]),
    };
    let mut e = Engine::new(cfg);
    let mut out = Vec::new();
    for name in captures {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name);
        e.file_started(name);
        licpath::capture::read_capture_file(&path, |f| {
            e.frame(
                WatchFrame {
                    number: f.number,
                    time_ns: f.time_ns,
                    linktype: f.linktype,
                    data: f.data,
                    orig_len: f.orig_len,
                },
                &mut out,
            );
        })
        .unwrap();
        e.end_capture(&mut out);
    }
    out
}

fn screen(app: &WatchApp, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.view(f)).unwrap();
    common::screen_text(term.backend().buffer())
}

#[test]
fn one_row_per_switch_its_attempts_and_enter_opens_the_latest() {
    let v = attempts(&["healthy-proxy.pcap", "dns-nxdomain.pcap", "proxy-407.pcap"]);
    assert!(v.len() >= 3, "{v:?}");
    let last = v.last().unwrap().clone();
    assert_eq!(
        last.target,
        "smartreceiver.cisco.com:443 via 198.51.100.3:3130"
    );
    let mut app = WatchApp::new("/var/tmp/lic.pcap", 8);
    app.theme = Theme { color: false };
    assert_eq!(
        app.update(Msg::Resize {
            width: 100,
            height: 30
        }),
        Effect::REDRAW
    );
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("waiting for licensing attempts in /var/tmp/lic.pcap"),
        "{s}"
    );
    assert!(s.contains("q quit"), "{s}");
    let n = v.len();
    assert_eq!(app.update(Msg::Attempts(v)), Effect::REDRAW);
    assert_eq!(app.update(Msg::Tick { now_unix: 1 }), Effect::NOTHING);
    let s = screen(&app, 100, 30);
    assert!(!s.contains('\x1b'), "{s}");
    assert!(
        s.starts_with(&format!(
            "licpath watch  /var/tmp/lic.pcap  1 switch  {n} attempts"
        )),
        "{s}"
    );
    // The strip: the latest attempt's verdict and cause, code first.
    assert!(
        s.lines()
            .nth(1)
            .unwrap()
            .starts_with(r"FAILED  proxy_auth_required sw1\x1b[2J smartreceiver.cisco.com:443 via"),
        "{s}"
    );
    // The switch's row: last verdict, streak, last failure's cause.
    let row = s.lines().find(|l| l.starts_with("│FAIL ")).expect(&s);
    assert!(row.contains(r"sw1\x1b[2J  2026-"), "{row}");
    assert!(row.contains("2 in a row"), "the lookup failed too: {row}");
    assert!(row.contains("last failure proxy_auth_required"), "{row}");
    // The attempts, newest first, in watch's own words (the pane's rows joined: long
    // lines wrap).
    let pane = s.replace("│\n│", "");
    let newest = pane.find("FAILED proxy_auth_required  2 ms  frames proxy-407.pcap#8,10");
    let lookup = pane.find(
        "dns smartreceiver.cisco.com  FAILED  dns_nxdomain  0 ms  frames dns-nxdomain.pcap#2,4",
    );
    let healthy = pane.find("via 198.51.100.3:3128  OK  - 8 ms  frames healthy-proxy.pcap#5");
    assert!(
        newest < lookup && lookup < healthy && newest.is_some(),
        "{s}"
    );

    // Enter: the latest attempt in the capture view; q comes back, q again quits.
    assert_eq!(app.update(Msg::Key(Key::Enter)), Effect::REDRAW);
    let s = screen(&app, 100, 30);
    assert!(s.contains("ladder [tab: events, findings]"), "{s}");
    assert!(
        s.contains("HTTP/1.1 407 Proxy Authentication Required"),
        "{s}"
    );
    assert!(s.contains("FAIL #"), "{s}");
    assert!(s.lines().last().unwrap().ends_with("? help  q back"), "{s}");
    app.update(Msg::Key(Key::Char('d')));
    assert!(screen(&app, 100, 30).contains("ERROR proxy_auth_required"));
    assert_eq!(app.update(Msg::Key(Key::Char('q'))), Effect::REDRAW);
    assert!(app.detail.is_none() && !app.quit());
    app.update(Msg::SourceEnded(Some("reading eth1: gone".into())));
    assert!(
        screen(&app, 80, 24)
            .lines()
            .next()
            .unwrap()
            .contains("reading eth1: gone")
    );
    app.update(Msg::Key(Key::Char('q')));
    assert!(app.quit());
}

#[test]
fn attempts_kept_are_bounded_and_switches_capped() {
    let v = attempts(&["proxy-407.pcap"]);
    let mut app = WatchApp::new("eth1", 2);
    for _ in 0..(RECENT + 20) {
        app.update(Msg::Attempts(v.clone()));
    }
    assert_eq!(app.recent.len(), RECENT);
    assert_eq!(app.attempts as usize, (RECENT + 20) * v.len());
    // Three switches with a cap of two: the quietest is forgotten, with its attempt.
    for (i, ip) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
        let mut a = v[0].clone();
        a.switch = ip.parse().unwrap();
        a.switch_name = None;
        a.start_ns += i as i64 * 1_000_000_000_000;
        app.update(Msg::Attempts(vec![a]));
    }
    assert_eq!(app.switches.by_label.len(), 2);
    assert_eq!(app.latest.len(), 2);
    assert!(!app.latest.contains_key("10.0.0.1"));
}
