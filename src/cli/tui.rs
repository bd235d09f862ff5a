//! `licpath tui`: a capture file to browse, the live probe re-run every interval, or
//! (`--watch`) `watch`'s engine judging attempts as they come.

use super::args::{TuiArgs, WatchArgs, WatchFormat};
use super::error::CliError;
use super::input::diagnose_config;
use super::probe::{check_binding, finish_capture, probe_setup, start_capture};
use super::watch::Sink;
use crate::flow::AnalyzeConfig;
use crate::tui::msg::Msg;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn run(args: &TuiArgs) -> Result<u8, CliError> {
    if !std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "tui needs a terminal (use analyze or probe for scripts)".into(),
        ));
    }
    if args.watch.watch {
        return watch(args);
    }
    if let Some(file) = capture_file(&args.plan.targets) {
        return browse(file, args);
    }
    let setup = probe_setup(&args.plan, &args.net, &args.trust)?;
    if setup.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to probe (the configuration's transport is off?)".into(),
        ));
    }
    check_binding(&setup.cfg)?;
    // --capture records the whole live session (every round), stopped when the TUI quits.
    let capture = start_capture(args.net.capture.as_deref(), &setup.cfg, &setup.targets)?;
    let r = crate::tui::run::run_live(setup.targets, setup.cfg, setup.trust, args.interval);
    finish_capture(
        capture,
        args.net.capture.as_deref(),
        std::time::Duration::ZERO,
    );
    r?;
    Ok(0)
}

/// One positional that is a file: capture mode.
fn capture_file(targets: &[String]) -> Option<&str> {
    match targets {
        [only] if Path::new(only).is_file() => Some(only),
        _ => None,
    }
}

fn browse(file: &str, args: &TuiArgs) -> Result<u8, CliError> {
    if args.net.capture.is_some() {
        return Err(CliError::Usage(
            "--capture records a live probe; here the TUI reads a capture file".into(),
        ));
    }
    let dcfg = diagnose_config(&args.trust, args.trust.ios_version)?;
    let acfg = AnalyzeConfig {
        all: true,
        ..AnalyzeConfig::default()
    };
    crate::tui::run::run_capture(PathBuf::from(file), acfg, dcfg)?;
    Ok(0)
}

/// `tui --watch`: the sources and the engine of `watch` (same configuration, same
/// judging), the attempts sent to the screen instead of stdout.
fn watch(args: &TuiArgs) -> Result<u8, CliError> {
    if !args.plan.targets.is_empty() {
        return Err(CliError::Usage(
            "tui --watch reads --file, --dir or --interface, not a target or a capture".into(),
        ));
    }
    if args.net.capture.is_some() {
        return Err(CliError::Usage(
            "--capture records a live probe; tui --watch reads a capture".into(),
        ));
    }
    let wargs = watch_args(args)?;
    let source = wargs
        .file
        .as_ref()
        .or(wargs.dir.as_ref())
        .map(|p| p.display().to_string())
        .or_else(|| wargs.interface.clone())
        .unwrap_or_default();
    let cfg = super::watch::config(&wargs)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::sync_channel(super::watch::CHANNEL);
    super::watch::start_source(&wargs, &cfg.acfg.context, tx, stop.clone())?;
    let r = crate::tui::run::run_watch(&source, cfg.max_switches, move |feed| {
        // The engine keeps Rc state: it is made and run on its own thread.
        std::thread::spawn(move || {
            let mut w = super::watch::Watcher {
                engine: crate::watch::Engine::new(cfg),
                sink: ToScreen(feed),
                textfile: None,
                interval: std::time::Duration::from_secs(3600),
                drops: None,
            };
            match w.run(&rx) {
                Ok(0) => w.sink.ended(),
                // The source's fatal line was sent.
                Ok(_) => {}
                Err(e) => w.sink.fatal(&e.to_string()),
            }
        });
    });
    stop.store(true, Ordering::Relaxed);
    r?;
    Ok(0)
}

/// `watch`'s flags from `tui`'s: one proxy and the name servers' addresses.
fn watch_args(args: &TuiArgs) -> Result<WatchArgs, CliError> {
    // A capture is judged without the proxy's credentials (`analyze --proxy` takes none).
    let proxy = match &args.net.proxy {
        Some(p) if p.credentials.is_some() => {
            return Err(CliError::Usage(format!(
                "--proxy: {}",
                super::proxy::ProxyArgError::Credentials
            )));
        }
        p => p.iter().cloned().collect(),
    };
    let w = &args.watch;
    Ok(WatchArgs {
        file: w.file.clone(),
        dir: w.dir.clone(),
        interface: w.interface.clone(),
        from_config: args.plan.from_config.clone(),
        proxy,
        dns_servers: args.net.dns_servers.iter().map(|s| s.ip()).collect(),
        switches: w.switches.clone(),
        hosts: w.hosts.clone(),
        trust: args.trust.clone(),
        format: WatchFormat::Text,
        textfile_dir: None,
        interval: 3600,
        max_switches: w.max_switches,
        idle_timeout: 60,
    })
}

/// The attempts and the source's words go to the screen.
struct ToScreen(crate::tui::run::Feed);

impl Sink for ToScreen {
    fn attempts(&mut self, attempts: &mut Vec<crate::watch::Attempt>) -> Result<(), CliError> {
        if !attempts.is_empty() {
            self.0.send(Msg::Attempts(std::mem::take(attempts)));
        }
        Ok(())
    }

    fn warning(&mut self, line: &str) {
        self.0.send(Msg::Status(line.to_string()));
    }

    fn fatal(&mut self, line: &str) {
        self.0.send(Msg::SourceEnded(Some(line.to_string())));
    }
}

impl ToScreen {
    fn ended(&self) {
        self.0.send(Msg::SourceEnded(None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_existing_file_is_a_capture() {
        let here = env!("CARGO_MANIFEST_DIR").to_string() + "/Cargo.toml";
        assert_eq!(
            capture_file(std::slice::from_ref(&here)),
            Some(here.as_str())
        );
        assert_eq!(capture_file(&["smart".into()]), None);
        assert_eq!(capture_file(&[here.clone(), here]), None);
    }

    /// `tui --watch --max-switches N` caps the switches the screen keeps (each with its
    /// latest attempt), as `watch --max-switches` does; 1024 by default.
    #[test]
    fn tui_watch_takes_the_cap_on_switches() {
        use clap::Parser;
        let max = |extra: &[&str]| {
            let mut argv = vec!["licpath", "tui", "--watch", "--file", "/tmp/x.pcap"];
            argv.extend_from_slice(extra);
            let cli = crate::cli::args::Cli::try_parse_from(argv).unwrap();
            let crate::cli::args::Command::Tui(t) = cli.command else {
                panic!("not tui")
            };
            watch_args(&t).unwrap().max_switches
        };
        assert_eq!(max(&[]), 1024);
        assert_eq!(max(&["--max-switches", "5"]), 5);
        let zero = [
            "licpath",
            "tui",
            "--watch",
            "--file",
            "x",
            "--max-switches",
            "0",
        ];
        assert!(crate::cli::args::Cli::try_parse_from(zero).is_err());
    }
}
