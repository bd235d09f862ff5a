//! Smoke test of the real binary in a real terminal: tmux runs `licpath tui`, keys go in
//! with send-keys, and the screen comes back with capture-pane. Skips when tmux is absent
//! (tests/run.sh installs it).

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Session(String);

impl Session {
    fn start(name: &str, cmd: &str) -> Session {
        Session::sized(name, cmd, (100, 30))
    }
    fn sized(name: &str, cmd: &str, (w, h): (u16, u16)) -> Session {
        let (w, h) = (w.to_string(), h.to_string());
        let name = format!("{name}-{}", std::process::id());
        let socket = format!("licpath-{name}");
        let st = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &w,
                "-y",
                &h,
            ])
            .arg(format!("NO_COLOR=1 {cmd}; sleep 30"))
            .status()
            .unwrap();
        assert!(st.success());
        Session(format!("{socket}\u{0}{name}"))
    }
    fn parts(&self) -> (&str, &str) {
        self.0.split_once('\u{0}').unwrap()
    }
    fn screen(&self) -> String {
        let (sock, name) = self.parts();
        tmux(&["-L", sock, "capture-pane", "-p", "-t", name])
    }
    fn keys(&self, keys: &[&str]) {
        let (sock, name) = self.parts();
        let mut a = vec!["-L", sock, "send-keys", "-t", name];
        a.extend_from_slice(keys);
        tmux(&a);
    }
    /// Wait until the screen contains `what` (10 s at most).
    fn wait_for(&self, what: &str) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                panic!("screen never showed {what:?}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let (sock, _) = self.parts();
        let _ = Command::new("tmux")
            .args(["-L", sock, "kill-server"])
            .status();
    }
}

#[test]
fn capture_mode_under_tmux() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let cap = format!(
        "{}/captures/ssl-interception-tls12.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = Session::start(
        "cap",
        &format!("{} tui {cap}", env!("CARGO_BIN_EXE_licpath")),
    );
    // tmux may read the pane in the middle of a redraw: wait for each part, not one
    // screen holding all of them.
    s.wait_for("FAILED");
    s.wait_for("FAIL #1");
    s.wait_for("Alert fatal unknown_ca");
    s.keys(&["d"]);
    s.wait_for("ssl_interception");
    s.keys(&["?"]);
    s.wait_for("keys (? closes)");
    s.keys(&["Escape"]);
    s.keys(&["q"]);
    // The UI is gone and the terminal is back (the shell's sleep holds the pane).
    let t0 = Instant::now();
    while s.screen().contains("connections") {
        assert!(t0.elapsed() < Duration::from_secs(5), "tui did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Issue 26: on the first screen, at 100x30 and at 80x24, the proxy's status code in the
/// verdict strip and "q quit" in the key bar (they were cut: `CONNECT smartreceiver.c~`,
/// `q q~`).
#[test]
fn first_screen_reads_the_status_and_q_quit_at_both_sizes() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let cap = format!("{}/captures/proxy-407.pcap", env!("CARGO_MANIFEST_DIR"));
    for (w, h) in [(100, 30), (80, 24)] {
        let s = Session::sized(
            &format!("first{w}"),
            &format!("{} tui {cap}", env!("CARGO_BIN_EXE_licpath")),
            (w, h),
        );
        s.wait_for("FIN-|");
        let screen = s.wait_for("? help  q quit");
        let lines: Vec<&str> = screen.lines().collect();
        assert!(
            lines[1].starts_with("FAILED  proxy_auth_required #1 frame #8"),
            "{w}x{h}:\n{screen}"
        );
        assert!(
            lines[1..4]
                .join(" ")
                .contains("407 Proxy Authentication Required"),
            "{w}x{h}:\n{screen}"
        );
        assert!(
            lines[h as usize - 1].trim_end().ends_with("q quit"),
            "{w}x{h}:\n{screen}"
        );
        s.keys(&["q"]);
    }
}

#[test]
fn live_mode_under_tmux() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    use std::io::{Read, Write};
    // A server that answers TLS with plain HTTP, on loopback: every round fails at TLS.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut s = s;
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let s = Session::start(
        "live",
        &format!(
            "{} tui --interval 2 https://127.0.0.1:{port}/licservice/license",
            env!("CARGO_BIN_EXE_licpath")
        ),
    );
    let screen = s.wait_for("tls_plaintext_answer");
    assert!(screen.contains("TLS     FAILED"), "{screen}");
    assert!(screen.contains("TCP     ok"), "{screen}");
    // Re-probing: a second round arrives on its own.
    s.wait_for("0/2 rounds ok");
    s.keys(&["p"]);
    s.wait_for("PAUSED");
    s.keys(&["q"]);
}

/// `tui --watch` in a real terminal: an EPC drop directory, empty at first; a capture
/// copied in is judged and shows as the switch's row, a second one adds its attempt,
/// Enter opens the latest in the capture view, q comes back and q quits.
#[test]
fn watch_mode_under_tmux() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("licpath-tui-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s = Session::start(
        "watch",
        &format!(
            "{} tui --watch --dir {}",
            env!("CARGO_BIN_EXE_licpath"),
            dir.display()
        ),
    );
    s.wait_for("waiting for licensing attempts");
    let captures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    std::fs::copy(captures.join("healthy-proxy.pcap"), dir.join("a.pcap")).unwrap();
    s.wait_for("1 switch  1 attempt");
    s.wait_for("OK   198.51.100.10");
    std::fs::copy(captures.join("proxy-407.pcap"), dir.join("b.pcap")).unwrap();
    let screen = s.wait_for("last failure proxy_auth_required");
    assert!(screen.contains("1 switch  2 attempts"), "{screen}");
    assert!(
        screen.contains("FAILED  proxy_auth_required 198.51.100.10"),
        "{screen}"
    );
    s.keys(&["Enter"]);
    s.wait_for("HTTP/1.1 407 Proxy Authentication Required");
    s.keys(&["q"]);
    s.wait_for("switches (Enter: latest attempt)");
    s.keys(&["q"]);
    let t0 = Instant::now();
    while s.screen().contains("switches (Enter") {
        assert!(t0.elapsed() < Duration::from_secs(5), "tui did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
