//! `licpath tui`: a capture file to browse, or the live probe re-run every interval.

use super::args::TuiArgs;
use super::error::CliError;
use super::input::diagnose_config;
use super::probe::{check_binding, finish_capture, probe_setup, start_capture};
use crate::flow::AnalyzeConfig;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub fn run(args: &TuiArgs) -> Result<u8, CliError> {
    if !std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "tui needs a terminal (use analyze or probe for scripts)".into(),
        ));
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
}
