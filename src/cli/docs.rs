//! `licpath completions SHELL` and `licpath man`: generated from the clap definitions in
//! `args`, so every flag is documented once (ripgrep does the same).

use super::args::{Cli, CompletionShell};
use super::error::{CliError, written};
use crate::outfile::OutputFile;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

pub fn completions(shell: CompletionShell) -> Result<u8, CliError> {
    let mut out = Vec::new();
    write_completions(shell, &mut out);
    written(std::io::stdout().lock().write_all(&out))?;
    Ok(0)
}

fn write_completions(shell: CompletionShell, out: &mut dyn Write) {
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "licpath", out);
}

/// The main page on stdout, or every page (`licpath.1`, `licpath-analyze.1`, ...) in `dir`,
/// which is created when missing. The main page on stdout names no sibling pages (they
/// exist only with --dir); with --dir each page's SEE ALSO names the others.
pub fn man(dir: Option<&Path>) -> Result<u8, CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match dir {
        Some(dir) => {
            let io = |e: std::io::Error| {
                CliError::Output(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", dir.display()),
                ))
            };
            std::fs::create_dir_all(dir).map_err(io)?;
            for (name, page) in pages(&cmd, Pages::All)? {
                // As the other outputs: never through a link, nothing half-written.
                let mut out = OutputFile::create(&dir.join(name), &[])
                    .map_err(super::handover::output_error)?;
                out.write_all(&page).map_err(io)?;
                out.commit().map_err(super::handover::output_error)?;
            }
        }
        None => {
            let (_, page) = pages(&cmd, Pages::MainOnly)?.remove(0);
            written(std::io::stdout().lock().write_all(&page))?;
        }
    }
    Ok(0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pages {
    MainOnly,
    All,
}

/// Each page's file name and roff text: the main page first.
fn pages(cmd: &clap::Command, which: Pages) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    let mut out = vec![("licpath.1".to_string(), page(cmd, None, &subs, which)?)];
    if which == Pages::All {
        for sub in &subs {
            // After build(), clap names a subcommand's page `licpath-NAME`.
            let name = format!("licpath-{}", sub.get_name());
            out.push((format!("{name}.1"), page(sub, Some(cmd), &subs, which)?));
        }
    }
    Ok(out)
}

/// One page: clap_mangen's NAME, SYNOPSIS, DESCRIPTION and OPTIONS, then this project's own
/// SUBCOMMANDS, EXAMPLES (the `after_help` text clap_mangen would call EXTRA), EXIT
/// STATUS, ENVIRONMENT, FILES, SEE ALSO and VERSION.
fn page(
    cmd: &clap::Command,
    parent: Option<&clap::Command>,
    subs: &[&clap::Command],
    which: Pages,
) -> Result<Vec<u8>, CliError> {
    use roff::{Roff, bold, roman};
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    let io = CliError::Output;
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(io)?;
    }
    let mut roff = Roff::new();
    if parent.is_none() {
        roff.control("SH", ["SUBCOMMANDS"]);
        for sub in subs {
            roff.control("TP", []);
            let name = match which {
                Pages::All => format!("licpath-{}(1)", sub.get_name()),
                Pages::MainOnly => format!("licpath {}", sub.get_name()),
            };
            roff.text([bold(name)]);
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            roff.text([roman(about)]);
        }
    }
    if let Some(examples) = cmd.get_after_help().map(|h| h.to_string()) {
        // The after_help text holds the examples and, for some pages, the exit status
        // table, which gets its own section below.
        let examples = examples.split("Exit status:").next().unwrap_or_default();
        let body = examples.trim().trim_start_matches("Examples:").trim();
        if !body.is_empty() {
            roff.control("SH", ["EXAMPLES"]);
            for para in body.split("\n\n") {
                roff.control("nf", []);
                for line in para.lines() {
                    roff.text([roman(line.trim_start_matches("Examples:").trim())]);
                }
                roff.control("fi", []);
                roff.control("PP", []);
            }
        }
    }
    let top = parent.is_none();
    let name = format!("licpath-{}", cmd.get_name());
    if top || matches!(cmd.get_name(), "analyze" | "probe" | "check" | "watch") {
        roff.control("SH", ["EXIT STATUS"]);
        for line in crate::exit_status!().lines().skip(1) {
            let line = line.trim();
            match line.split_once("  ") {
                Some((code, what)) if code.len() == 1 => {
                    roff.control("TP", []);
                    roff.text([bold(code)]);
                    roff.text([roman(what)]);
                }
                _ => {
                    roff.text([roman(line)]);
                }
            }
        }
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (var, what) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*var)]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["FILES"]);
    for (file, what) in FILES {
        roff.control("TP", []);
        roff.text([bold(*file)]);
        roff.text([roman(*what)]);
    }
    if which == Pages::All {
        roff.control("SH", ["SEE ALSO"]);
        let mut see: Vec<String> = Vec::new();
        if !top {
            see.push("licpath(1)".into());
        }
        see.extend(
            subs.iter()
                .map(|s| format!("licpath-{}(1)", s.get_name()))
                .filter(|s| !s.starts_with(&format!("{name}("))),
        );
        roff.text([roman(see.join(", "))]);
    }
    if let Some(v) = cmd.get_version().or(parent.and_then(|p| p.get_version())) {
        roff.control("SH", ["VERSION"]);
        roff.text([roman(format!("v{v}"))]);
    }
    roff.to_writer(&mut out).map_err(io)?;
    Ok(out)
}

/// Variables licpath reads (ENVIRONMENT in the man pages).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colour (https://no-color.org); --color always still colours.",
    ),
    (
        "CLICOLOR_FORCE",
        "When set and not 0, colour even when stdout is not a terminal (like --color always).",
    ),
    ("CLICOLOR", "When 0, no colour, like NO_COLOR."),
    (
        "XDG_CONFIG_HOME",
        "Where the per-user configuration lives ($XDG_CONFIG_HOME/licpath; default ~/.config/licpath).",
    ),
];

/// Files licpath reads on its own (FILES in the man pages).
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/licpath/probes/*.probe",
        "Your own probe presets (targets), beside the embedded ones; --presets DIR reads another directory.",
    ),
    (
        "/etc/resolv.conf",
        "This host's resolver, used by probe and check unless --dns-server or --from-config names the switch's name servers.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_every_subcommand() {
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Zsh,
            CompletionShell::Fish,
        ] {
            let mut out = Vec::new();
            write_completions(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            // Fish names long flags without their dashes (`-l trust-store`).
            for word in [
                "analyze",
                "probe",
                "check",
                "tui",
                "from-config",
                "trust-store",
            ] {
                assert!(text.contains(word), "{shell:?} lacks {word}");
            }
        }
    }
}
