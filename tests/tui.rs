//! The terminal UI's screens against ratatui's TestBackend: whole screens as snapshots
//! (insta) over fixture timelines, plus assertions on what an engineer must see, at
//! 80x24 and at sizes too small for the layout.

mod common;

use licpath::diagnose::DiagnoseConfig;
use licpath::diagnose::steps::{StepState, steps_of};
use licpath::flow::AnalyzeConfig;
use licpath::model::Timeline;
use licpath::model::trust::TrustProfile;
use licpath::tui::capture::{self, CaptureApp};
use licpath::tui::common::Theme;
use licpath::tui::live::{self, LiveApp, sparkline};
use licpath::tui::msg::Cmd;
use licpath::tui::msg::Key;
use licpath::tui::rows::Row;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const PLAIN: Theme = Theme { color: false };

fn timeline_of(capture: &str) -> Timeline {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(capture);
    let dcfg = DiagnoseConfig {
        // Fixed "now" so validity judgements do not move with the calendar.
        now_unix: 1_795_305_600,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    };
    let acfg = AnalyzeConfig {
        all: true,
        ..AnalyzeConfig::default()
    };
    licpath::pipeline::analyze_file(&path, &acfg, &dcfg)
        .unwrap()
        .0
}

fn screen(term: &Terminal<TestBackend>) -> String {
    common::screen_text(term.backend().buffer())
}

fn draw_capture(app: &mut CaptureApp, w: u16, h: u16, theme: Theme) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| capture::render(f, app, theme)).unwrap();
    term
}

fn capture_app(name: &str) -> CaptureApp {
    let mut app = CaptureApp::new(name);
    app.loaded(timeline_of(name));
    app
}

#[test]
fn capture_screen_80x24_interception() {
    let mut app = capture_app("ssl-interception-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    insta::assert_snapshot!("capture_ladder_80x24", s);
    first_screen_says_why(&s);
    assert!(s.contains("Alert fatal unknown_ca"), "{s}");

    app.on_key(Key::Char('d'));
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    insta::assert_snapshot!("capture_findings_80x24", s);
    assert!(s.contains("ssl_interception"), "{s}");
    assert!(s.contains("fix:"), "{s}");

    app.on_key(Key::Tab);
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("ladder"), "tab cycles back to the ladder: {s}");
}

/// What the first screen of the interception capture must show without a keypress
/// (issue 17 item 1): the verdict, the primary finding (the cause, not the client's
/// alert) with its evidence frame, its first fix, the whole host in the list and the
/// certificate's leaf and issuer on the ladder.
fn first_screen_says_why(s: &str) {
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines[1].starts_with("FAILED  ssl_interception #1 frame #14: SSL interception"),
        "{s}"
    );
    assert!(
        lines[2..6]
            .iter()
            .any(|l| l.starts_with("  fix: ! preferred: exempt smartreceiver.cisco.com")),
        "{s}"
    );
    assert!(s.contains("FAIL #1  smartreceiver.cisco.com"), "{s}");
    assert!(
        s.contains("smartreceiver.cisco.com ← Lab Squid Interception CA-|"),
        "{s}"
    );
}

#[test]
fn capture_screen_120x40_interception() {
    let mut app = capture_app("ssl-interception-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 120, 40, PLAIN));
    insta::assert_snapshot!("capture_ladder_120x40", s);
    first_screen_says_why(&s);
    // Side by side from 110 columns: the list on the left keeps the whole host.
    assert!(
        s.lines()
            .any(|l| l.starts_with("│FAIL #1  smartreceiver.cisco.com  cert│")),
        "{s}"
    );
}

#[test]
fn capture_screen_100x30_gives_the_host_room() {
    // The size of the report in issue 17: the host was cut to `smartreceiver.cisco.~`.
    let mut app = capture_app("ssl-interception-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 100, 30, PLAIN));
    first_screen_says_why(&s);
    assert!(!s.contains("smartreceiver.cisco.~"), "{s}");
}

#[test]
fn long_host_names_are_shortened_in_the_middle() {
    use licpath::tui::common::fit_middle;
    assert_eq!(
        fit_middle("smartreceiver.cisco.com", 23),
        "smartreceiver.cisco.com"
    );
    assert_eq!(fit_middle("smartreceiver.cisco.com", 15), "smartre…sco.com");
    assert_eq!(fit_middle("abc", 1), "a");
    assert_eq!(fit_middle("abc", 0), "");
    assert_eq!(fit_middle("é東京ab", 4), "é東…b");
}

#[test]
fn capture_filter_and_selection() {
    let mut app = capture_app("syn-dropped.pcap");
    // One connection and its lookups (issue 26: DNS rows are rows).
    let rows = app.visible();
    let conns = rows.iter().filter(|r| matches!(r, Row::Connection(_)));
    assert_eq!(conns.count(), 1);
    assert!(rows.iter().any(|r| matches!(r, Row::Dns(_))));
    // licensing -> failed -> all
    app.on_key(Key::Char('f'));
    assert!(!app.visible().is_empty(), "the failed connection is shown");
    let t = app.timeline().unwrap();
    assert!(
        app.visible()
            .iter()
            .all(|r| r.verdict(t) == licpath::model::Verdict::Failed)
    );
    app.on_key(Key::Char('f'));
    let all = app.visible().len();
    assert!(all >= 1);
    app.on_key(Key::Char('G'));
    assert_eq!(app.selected, all - 1);
    app.on_key(Key::Char('k'));
    app.on_key(Key::Char('k'));
    assert_eq!(app.selected, (all - 1).saturating_sub(2));
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("(all)"), "{s}");
    app.on_key(Key::Char('q'));
    assert!(app.quit);
}

#[test]
fn capture_help_and_tiny_sizes() {
    let mut app = capture_app("proxy-407.pcap");
    app.on_key(Key::Char('?'));
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("keys (? closes)"), "{s}");
    assert!(s.contains("filter: licensing / failed / all"), "{s}");
    app.on_key(Key::Char('x'));
    assert!(!app.help);

    for (w, h) in [(30, 6), (39, 24), (80, 7), (12, 2), (1, 1)] {
        let s = screen(&draw_capture(&mut app, w, h, PLAIN));
        if w >= 20 && h >= 2 {
            assert!(s.contains("FAILED"), "{w}x{h}: {s}");
        }
    }
    let s = screen(&draw_capture(&mut app, 40, 6, PLAIN));
    insta::assert_snapshot!("capture_tiny_40x6", s);
    // Exactly the minimum still lays out.
    let s = screen(&draw_capture(&mut app, 40, 8, PLAIN));
    assert!(s.contains("connections"), "{s}");
}

#[test]
fn no_color_means_no_colour() {
    let mut app = capture_app("ssl-interception-tls12.pcap");
    let term = draw_capture(&mut app, 80, 24, PLAIN);
    let buf = term.backend().buffer();
    assert_eq!(buf.content().len(), 80 * 24);
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    let term = draw_capture(&mut app, 80, 24, Theme { color: true });
    assert!(
        term.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg == Color::Red),
        "FAIL badges are red with colour"
    );
}

#[test]
fn steps_from_captures() {
    let names = |t: &Timeline| -> Vec<(&'static str, StepState)> {
        steps_of(t).iter().map(|s| (s.name, s.state)).collect()
    };
    use StepState::*;
    assert_eq!(
        names(&timeline_of("proxy-407.pcap")),
        [
            ("DNS", Ok),
            ("TCP", Ok),
            ("CONNECT", Failed),
            ("TLS", NotRun),
            ("CERT", NotRun),
            ("HTTP", NotRun)
        ]
    );
    assert_eq!(
        names(&timeline_of("ssl-interception-tls12.pcap"))[4],
        ("CERT", Failed)
    );
    let healthy = steps_of(&timeline_of("healthy-direct-tls12.pcap"));
    assert_eq!(healthy[1].state, Ok);
    assert_eq!(healthy[2].state, Skipped, "no proxy");
    assert!(healthy[4].detail.contains("HydrantID"), "{:?}", healthy[4]);
}

fn refused_round() -> Timeline {
    // A real probe against a port nothing listens on (loopback only).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let presets = licpath::probe::target::load_presets(&[]).unwrap();
    let target = licpath::probe::target::resolve_target(
        &format!("https://127.0.0.1:{port}/licservice/license"),
        &presets,
    )
    .unwrap();
    let cfg = std::sync::Arc::new(licpath::probe::ProbeConfig {
        timeouts: licpath::probe::Timeouts {
            dns: std::time::Duration::from_secs(2),
            tcp: std::time::Duration::from_secs(2),
            proxy: std::time::Duration::from_secs(2),
            tls: std::time::Duration::from_secs(2),
            http: std::time::Duration::from_secs(2),
        },
        ..Default::default()
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(licpath::probe::probe_target(
        &target,
        cfg,
        &licpath::diagnose::DiagnoseConfig {
            now_unix: 1_795_305_600,
            trust: TrustProfile::ios_xe(None),
            judge_all_chains: true,
            ca_file: None,
            revocation_checked_by: None,
        },
        1_795_305_600,
    ))
}

#[test]
fn live_screen_shows_the_failing_step_and_history() {
    let mut app = LiveApp::new(vec!["onprem".into(), "smart".into()], 10, None);
    for i in 0..3 {
        app.record(0, 1_795_305_600 + i, refused_round());
    }
    app.started(1);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| live::render(f, &app, PLAIN, 1_795_305_605))
        .unwrap();
    let s = screen(&term);
    assert!(s.contains("TCP     FAILED"), "{s}");
    assert!(s.contains("  0%"), "{s}");
    assert!(s.contains("xxx"), "three failed rounds in the history: {s}");
    assert!(s.contains("tcp_refused"), "{s}");
    assert!(s.contains("0/3 rounds ok"), "{s}");
    assert!(s.contains("RUNNING"), "the second target is probing: {s}");
    assert!(s.contains("every 10 s"), "{s}");

    // Keys: interval, pause, target, chain, help, quit.
    assert_eq!(app.on_key(Key::Char('+')), Cmd::SetInterval(30));
    assert_eq!(app.on_key(Key::Char('-')), Cmd::SetInterval(10));
    assert_eq!(app.on_key(Key::Char('p')), Cmd::Pause(true));
    assert_eq!(app.on_key(Key::Char('r')), Cmd::RunNow);
    assert_eq!(app.on_key(Key::Char('x')), Cmd::None, "no proxy to toggle");
    app.on_key(Key::Tab);
    assert_eq!(app.selected, 1);
    app.on_key(Key::Char('c'));
    app.on_key(Key::Char('?'));
    term.draw(|f| live::render(f, &app, PLAIN, 1_795_305_605))
        .unwrap();
    let s = screen(&term);
    assert!(s.contains("PAUSED"), "{s}");
    assert!(s.contains("re-probe now"), "{s}");
    app.on_key(Key::Char('?'));
    assert_eq!(app.on_key(Key::Char('w')), Cmd::WriteJson);
    assert_eq!(app.on_key(Key::Char('q')), Cmd::Quit);

    // Tiny: one line of verdict, no panic.
    for (w, h) in [(20, 3), (39, 7), (1, 1)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| live::render(f, &app, PLAIN, 0)).unwrap();
    }
}

#[test]
fn sparkline_scales_and_marks_failures() {
    let v = vec![Some(Ok(1)), Some(Ok(8)), Some(Err(())), None, Some(Ok(4))];
    assert_eq!(sparkline(&v, 10), "▁█x ▄");
    assert_eq!(sparkline(&v, 2), " █", "scaled to the window shown");
}

#[test]
fn loading_screen_shows_progress() {
    let mut app = CaptureApp::new("big.pcap");
    app.load = capture::Load::Loading {
        read: 5_000_000,
        size: 10_000_000,
    };
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("5.0 of 10.0 MB (50%)"), "{s}");
    assert!(s.contains(&"#".repeat(40)), "{s}");

    // The counter the loader feeds is the bytes of the frames read: the file's size less
    // its 24-byte header for an uncompressed pcap.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/syn-dropped.pcap");
    let counter = std::sync::atomic::AtomicU64::new(0);
    let dcfg = DiagnoseConfig {
        now_unix: 0,
        trust: TrustProfile::ios_xe(None),
        judge_all_chains: false,
        ca_file: None,
        revocation_checked_by: None,
    };
    licpath::pipeline::analyze_file_with_progress(
        &path,
        &AnalyzeConfig::default(),
        &dcfg,
        Some(&counter),
    )
    .unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(counter.into_inner(), size - 24);
}

/// Live mode over two targets whose last rounds are the interception and the 407
/// captures (the same Timeline a probe round yields; fixed, so the screen is too).
fn live_app() -> LiveApp {
    let mut app = LiveApp::new(vec!["smart".into(), "onprem".into()], 10, None);
    app.record(0, 1_795_305_600, timeline_of("ssl-interception-tls12.pcap"));
    app.record(1, 1_795_305_600, timeline_of("proxy-407.pcap"));
    app
}

fn draw_live(app: &mut LiveApp, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| live::render(f, app, PLAIN, 1_795_305_605))
        .unwrap();
    screen(&term)
}

#[test]
fn live_screen_opens_with_the_verdict_strip() {
    let mut app = live_app();
    let s = draw_live(&mut app, 80, 24);
    insta::assert_snapshot!("live_80x24", s);
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines[1].starts_with("FAILED  ssl_interception smart frame #14: SSL interception"),
        "{s}"
    );
    assert!(
        lines[2..6]
            .iter()
            .any(|l| l.starts_with("  fix: ! preferred: exempt")),
        "{s}"
    );
    // Each target's row names its cause.
    assert!(
        s.contains("│FAIL    smart   0/1 rounds ok  5 s ago  ssl_interception"),
        "{s}"
    );
    assert!(
        s.contains("│FAIL    onprem  0/1 rounds ok  5 s ago  proxy_auth_required"),
        "{s}"
    );
    // The CERT step names the cause too, not the client's alert.
    assert!(
        s.contains("CERT    FAILED             0% x             ssl_interception"),
        "{s}"
    );

    app.on_key(Key::Tab);
    let s = draw_live(&mut app, 120, 40);
    insta::assert_snapshot!("live_120x40", s);
    assert!(
        s.lines()
            .nth(1)
            .unwrap()
            .starts_with("FAILED  proxy_auth_required onprem frame #"),
        "{s}"
    );
}

#[test]
fn strip_for_a_healthy_path_and_for_a_capture_without_connections() {
    let mut app = capture_app("healthy-direct-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    let strip = s.lines().nth(1).unwrap();
    assert!(
        strip.starts_with("OK  #") && strip.ends_with(": no finding"),
        "{s}"
    );

    // NXDOMAIN: no connection at all; the lookup is a row, and the strip names the
    // finding that cites it.
    let mut app = capture_app("dns-nxdomain.pcap");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(
        s.lines()
            .nth(1)
            .unwrap()
            .starts_with("FAILED  dns_nxdomain dns smartreceiver.cisco.com frame #2:"),
        "{s}"
    );
    assert!(s.lines().any(|l| l.starts_with("  fix: ")), "{s}");
}

/// The README's picture of the first screen is the TUI's own screen: the capture screen
/// of the interception capture at 100x30, drawn into a TestBackend, must be the text block
/// under README's `tui-picture` marker, character for character. After a change to the
/// screen, `LICPATH_UPDATE_README=1 cargo test --test tui readme_picture` writes the new
/// rendering into README.md (to be read and committed with the change).
#[test]
fn readme_picture_is_the_tui_s_own_screen() {
    const MARKER: &str =
        "<!-- tui-picture: tests/tui.rs::readme_picture_is_the_tui_s_own_screen -->\n```text\n";
    let mut app = capture_app("ssl-interception-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 100, 30, PLAIN));
    first_screen_says_why(&s);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(MARKER)
        .expect("README has the tui-picture marker")
        + MARKER.len();
    let len = readme[start..].find("```\n").expect("the block is closed");
    if std::env::var_os("LICPATH_UPDATE_README").is_some() {
        let updated = format!("{}{s}{}", &readme[..start], &readme[start + len..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..start + len],
        s,
        "README's TUI picture is not the screen (LICPATH_UPDATE_README=1 rewrites it)"
    );
}

/// `update` is a pure function of the state and the message (issue 25, R5): what it
/// changes, and whether the screen must be drawn again (a tick redraws only what
/// animates, a key with no binding draws nothing).
#[test]
fn capture_update_redraws_only_on_change() {
    use licpath::tui::capture::{Load, Pane};
    use licpath::tui::msg::{Effect, Model, Msg, Wheel};
    let mut app = CaptureApp::new("crl-fetch-ok.pcap");
    app.load = Load::Loading {
        read: 0,
        size: 1000,
    };
    assert!(app.update(Msg::Tick { now_unix: 1 }).redraw, "the spinner");
    assert_eq!(app.update(Msg::Progress(10)), Effect::REDRAW);
    assert_eq!(app.update(Msg::Progress(10)), Effect::NOTHING);
    let t = timeline_of("crl-fetch-ok.pcap");
    assert_eq!(app.update(Msg::Loaded(Box::new(t))), Effect::REDRAW);
    assert_eq!(app.update(Msg::Tick { now_unix: 2 }), Effect::NOTHING);
    assert_eq!(app.update(Msg::Key(Key::Char('z'))), Effect::NOTHING);
    assert_eq!(app.update(Msg::Key(Key::Char('d'))), Effect::REDRAW);
    assert_eq!(app.pane, Pane::Findings);
    assert_eq!(app.update(Msg::Key(Key::Char('d'))), Effect::NOTHING);
    assert_eq!(app.update(Msg::Wheel(Wheel::Down)), Effect::REDRAW);
    assert_eq!(app.scroll, 3);
    // A click selects the row under it, in the layout of the size last received.
    app.update(Msg::Key(Key::Char('f')));
    app.update(Msg::Key(Key::Char('f')));
    assert!(app.visible().len() >= 2, "the 'all' filter shows more rows");
    assert_eq!(
        app.update(Msg::Resize {
            width: 80,
            height: 24
        }),
        Effect::REDRAW
    );
    app.update(Msg::Click { col: 10, row: 5 });
    assert_eq!(app.selected, 1, "row 5 is the list's second row at 80x24");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("(all)"), "{s}");
    assert!(!app.quit());
    app.update(Msg::Key(Key::Char('q')));
    assert!(app.quit());
}

#[test]
fn live_update_redraws_only_on_change() {
    use licpath::tui::msg::{Effect, Model, Msg};
    let mut app = LiveApp::new(vec!["smart".into()], 10, None);
    app.theme = PLAIN;
    assert_eq!(app.update(Msg::RoundStarted(0)), Effect::REDRAW);
    assert!(app.targets[0].running);
    let round = Msg::RoundDone {
        target: 0,
        at_unix: 1_795_305_600,
        timeline: Box::new(timeline_of("proxy-407.pcap")),
    };
    assert_eq!(app.update(round), Effect::REDRAW);
    assert_eq!(app.targets[0].rounds.len(), 1);
    assert!(!app.targets[0].running);
    let tick = |now_unix| Msg::Tick { now_unix };
    assert_eq!(app.update(tick(1_795_305_605)), Effect::REDRAW);
    assert_eq!(
        app.update(tick(1_795_305_605)),
        Effect::NOTHING,
        "same second"
    );
    assert_eq!(app.update(Msg::Key(Key::Other)), Effect::NOTHING);
    assert_eq!(app.update(Msg::Key(Key::Char('r'))).cmd, Cmd::RunNow);
    assert_eq!(
        app.update(Msg::Key(Key::Char('+'))),
        Effect {
            redraw: true,
            cmd: Cmd::SetInterval(30)
        }
    );
    assert_eq!(
        app.update(Msg::Status("wrote x.json".into())),
        Effect::REDRAW
    );
    // The view draws the state: the clock of the last tick, the status line.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| app.view(f)).unwrap();
    let s = screen(&term);
    assert!(s.contains("5 s ago"), "{s}");
    assert!(s.contains("every 30 s  direct  wrote x.json"), "{s}");
    assert_eq!(app.update(Msg::Key(Key::Char('q'))).cmd, Cmd::Quit);
    assert!(app.quit());
}

/// The first screen of the 407 capture at the sizes of issue 26 (tmux at 100x30 and
/// 80x24): the verdict and the finding's code first, the summary wrapped to its end (the
/// status code 407 is its last word: it was cut), "q quit" in the key bar, the ladder's
/// header on lines of its own inside the border.
#[test]
fn first_screen_of_a_407_at_80x24_and_100x30() {
    for (w, h, name) in [
        (80, 24, "capture_407_80x24"),
        (100, 30, "capture_407_100x30"),
    ] {
        let mut app = capture_app("proxy-407.pcap");
        let s = screen(&draw_capture(&mut app, w, h, PLAIN));
        insta::assert_snapshot!(name, s);
        let lines: Vec<&str> = s.lines().collect();
        assert!(
            lines[1].starts_with("FAILED  proxy_auth_required #1 frame #8: the proxy wants"),
            "{s}"
        );
        let strip = lines[1..4].join(" ");
        assert!(
            strip.contains("407 Proxy Authentication Required"),
            "{w}x{h}: {s}"
        );
        assert!(lines[h as usize - 1].ends_with("? help  q quit"), "{s}");
        ladder_stays_inside(&s);
        assert!(
            s.contains("│            | proxy 198.51.100.3:3130 (to smartreceiver.cisco.com:443)")
                || s.contains("switch 198.51.100.10:40444  |  proxy 198.51.100.3:3130"),
            "{s}"
        );
    }
}

/// Every row of the ladder pane starts with the time column (blank at its left), never
/// with text wrapped into the border.
fn ladder_stays_inside(s: &str) {
    let pane: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains(" ladder [tab"))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .collect();
    assert!(pane.len() > 3, "{s}");
    for l in pane {
        assert!(l.starts_with("│ "), "wrapped into the border: {l:?}\n{s}");
    }
}

#[test]
fn the_key_bar_always_ends_with_q_quit() {
    use licpath::tui::common::key_bar;
    let hints = ["j/k select", "f filter", "tab ladder/events/findings"];
    for w in 14..200 {
        let bar = key_bar(&hints, w);
        assert!(bar.ends_with("? help  q quit"), "{w}: {bar}");
        assert!(bar.chars().count() <= w, "{w}: {bar}");
    }
    assert_eq!(key_bar(&hints, 8), "q quit");
    assert_eq!(key_bar(&hints, 30), "j/k select  ? help  q quit");
    // The live screen's bar at 80 columns.
    let mut app = live_app();
    let s = draw_live(&mut app, 80, 24);
    assert!(s.lines().last().unwrap().ends_with("? help  q quit"), "{s}");
}

#[test]
fn summaries_wrap_at_spaces_and_say_when_cut() {
    use licpath::tui::common::wrap_words;
    assert_eq!(
        wrap_words("the proxy wants authentication: 407", 12, 20, 3),
        ["the proxy", "wants", "authentication: 407"]
    );
    assert_eq!(wrap_words("a b c d e f", 3, 3, 2), ["a b", "c ~"]);
    assert_eq!(wrap_words("abcdefgh", 3, 3, 5), ["abc", "def", "gh"]);
    assert_eq!(
        wrap_words("abcdefgh", 0, 0, 2),
        ["", ""],
        "no room, not even for ~"
    );
    assert_eq!(wrap_words("", 5, 5, 2), [""]);
}

/// All the proxy's headers, scrolled to (issue 26: 6 of 13 were shown and
/// Proxy-Authenticate was hidden).
#[test]
fn every_proxy_header_can_be_scrolled_to() {
    use licpath::model::EventKind;
    let mut app = capture_app("proxy-407.pcap");
    let t = timeline_of("proxy-407.pcap");
    let headers: Vec<String> = t.connections[0]
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::HttpResponse { headers, .. } => {
                Some(headers.iter().map(|(k, v)| format!("{k}: {v}")).collect())
            }
            _ => None,
        })
        .unwrap();
    assert!(headers.len() >= 10, "{headers:?}");
    app.on_key(Key::Char('e'));
    let mut seen = String::new();
    for _ in 0..4 {
        seen.push_str(&screen(&draw_capture(&mut app, 80, 24, PLAIN)));
        app.on_key(Key::PageDown);
    }
    assert!(seen.contains("events (PgUp/PgDn)"), "{seen}");
    for h in &headers {
        let h: String = h.chars().take(60).collect();
        assert!(seen.contains(&h), "{h} never shown:\n{seen}");
    }
    assert!(seen.contains("Proxy-Authenticate: Basic"), "{seen}");
}

/// A DNS-only capture has rows, selectable, with their ladder, events and findings;
/// an OK row says "done", not the step it reached.
#[test]
fn dns_rows_are_rows_and_ok_rows_are_done() {
    let mut app = capture_app("dns-nxdomain.pcap");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    insta::assert_snapshot!("capture_dns_nxdomain_80x24", s);
    assert!(!s.contains("no connection matches"), "{s}");
    assert!(
        s.contains("│FAIL dns  A smartreceiver.cisco.com  NXDOMAIN"),
        "{s}"
    );
    assert!(
        s.contains("│FAIL dns  AAAA smartreceiver.cisco.com  NXDOMAIN"),
        "{s}"
    );
    assert!(s.contains("|-query A smartreceiver.cisco.com"), "{s}");
    assert!(s.contains("NXDOMAIN (no answer) in 0.1 ms-|"), "{s}");
    app.on_key(Key::Char('j'));
    assert_eq!(app.selected, 1);
    app.on_key(Key::Char('e'));
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(
        s.contains("#3 -> query AAAA smartreceiver.cisco.com"),
        "{s}"
    );
    assert!(s.contains("#4 <- NXDOMAIN"), "{s}");
    app.on_key(Key::Char('d'));
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    assert!(s.contains("ERROR dns_nxdomain"), "{s}");

    let mut app = capture_app("healthy-direct-tls12.pcap");
    let s = screen(&draw_capture(&mut app, 80, 24, PLAIN));
    let ok_rows: Vec<&str> = s.lines().filter(|l| l.starts_with("│OK ")).collect();
    assert!(ok_rows.len() >= 2, "{s}");
    for row in ok_rows {
        assert!(
            row.trim_end_matches([' ', '│']).ends_with("  done"),
            "{row}\n{s}"
        );
    }
}
