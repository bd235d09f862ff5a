//! The command line's logic: flags (`args`) become one checked configuration, the
//! subcommands run it and map the result to an exit code. `src/main.rs` only parses and
//! dispatches here. Everything printed comes from `report`; everything decided comes from
//! `diagnose`. This layer reads files and the clock and talks to the terminal: it is an
//! edge, and nothing in the core imports it.

pub mod analyze;
pub mod args;
pub mod config;
mod docs;
mod error;
mod fleet;
pub mod handover;
mod input;
pub mod probe;
pub mod progress;
pub mod proxy;
pub mod tui;
pub mod watch;

pub use error::CliError;

use crate::report::text;
use args::ColorChoice;
use std::io::IsTerminal;

/// Exit codes: 0 ok, 1 error findings, 2 unusable input or usage error, 3 inconclusive.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
/// 3: inconclusive — nothing failed, but nothing shows the path working either: no
/// licensing traffic in a capture, licensing traffic whose outcome is not visible, a probe
/// that could not finish, text that shows no exchange either way.
pub const EXIT_INCONCLUSIVE: u8 = 3;

/// The exit code of a verdict: 0 ok, 1 failed, 3 inconclusive or no licensing traffic.
pub fn exit_code(verdict: crate::diagnose::verdict::OverallVerdict) -> u8 {
    use crate::diagnose::verdict::OverallVerdict as V;
    match verdict {
        V::Ok => 0,
        V::Failed => EXIT_FINDINGS,
        V::Inconclusive | V::NoLicensingTraffic => EXIT_INCONCLUSIVE,
    }
}

/// Runs one parsed command line: its exit code, after printing a one-line error if any.
pub fn run(cli: args::Cli) -> u8 {
    use args::Command;
    let result = match cli.command {
        Command::Analyze(a) => analyze::run(&a),
        Command::Probe(a) => probe_or_fleet(&a, probe::Mode::Probe),
        Command::Check(a) => probe_or_fleet(&a, probe::Mode::Check),
        Command::Tui(a) => tui::run(&a),
        Command::Watch(a) => watch::run(&a),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
        Command::Config {
            action: args::ConfigAction::Show(a),
        } => config::load(&std::env::args_os().collect::<Vec<_>>())
            .and_then(|loaded| config::show(&a, &loaded)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Errors quote file names, flags and what peers answered; a URL's password is
            // masked once more, whatever path the message took.
            let text = e.to_string();
            let text = crate::model::url::mask_userinfo_in_text(&text);
            eprintln!("licpath: error: {}", crate::escape::esc(text.as_ref()));
            e.exit_code()
        }
    }
}

/// `probe` and `check`: the fleet (`fleet`, which probes through `probe`) for `check` or
/// `--plan-only` over several switch texts, else the one plan.
fn probe_or_fleet(args: &args::ProbeArgs, mode: probe::Mode) -> Result<u8, CliError> {
    probe::refuse_misuse(args)?;
    if fleet::is_fleet(&args.plan) {
        if args.plan_only {
            return fleet::plan_only(args);
        }
        if mode == probe::Mode::Check {
            return fleet::run(args);
        }
    }
    probe::run(args, mode)
}

/// A clap error as printed: clap quotes a refused value as typed, so a `--proxy` password
/// is masked first (`main.rs`, and the config file's values in `config`).
pub fn clap_error_text(e: &clap::Error) -> String {
    use crate::model::url::{mask_userinfo, mask_userinfo_in_text};
    use clap::error::{ContextKind, ContextValue};
    let mut text = e.render().to_string();
    if let Some(ContextValue::String(v)) = e.get(ContextKind::InvalidValue) {
        text = text.replace(v.as_str(), &mask_userinfo(v));
    }
    mask_userinfo_in_text(&text).into_owned()
}

/// Whether the text report is coloured. The decision is licpath's own, not anstream's
/// `AutoStream::choice`: that one lets NO_COLOR override CLICOLOR_FORCE and takes
/// CLICOLOR_FORCE=0 as forcing, where the documented behaviour (the man page's ENVIRONMENT,
/// bixense.com/clicolors) is "set and not 0" forces and forcing wins; and it refuses colour
/// on a terminal whose TERM is unset. anstream carries the colours out ([`report_stdout`]).
fn color_of(choice: ColorChoice) -> text::Color {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => text::Color::Always,
        ColorChoice::Never => text::Color::Never,
        // The CLICOLOR conventions (https://bixense.com/clicolors/) and NO_COLOR: forcing
        // wins over the terminal test, NO_COLOR and CLICOLOR=0 turn colour off.
        ColorChoice::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => text::Color::Always,
        ColorChoice::Auto
            if std::io::stdout().is_terminal()
                && var("NO_COLOR").is_none()
                && var("CLICOLOR").is_none_or(|v| v != "0") =>
        {
            text::Color::Always
        }
        ColorChoice::Auto => text::Color::Never,
    }
}

/// Standard output for a report, through anstream: coloured text passes through, or on a
/// Windows console without ANSI support goes through the console API; uncoloured output
/// (which holds no escape: untrusted text is escaped) is passed through, never scanned.
fn report_stdout(color: text::Color) -> anstream::AutoStream<std::io::StdoutLock<'static>> {
    let choice = match color {
        text::Color::Always => anstream::ColorChoice::Always,
        text::Color::Never => anstream::ColorChoice::AlwaysAnsi,
    };
    anstream::AutoStream::new(std::io::stdout().lock(), choice)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
