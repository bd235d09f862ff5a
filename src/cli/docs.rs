//! `licpath completions SHELL` and `licpath man`: generated from the clap definitions in
//! `args`, so every flag is documented once (ripgrep does the same).

use super::args::{Cli, CompletionShell};
use super::error::{CliError, written};
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

/// The main page on stdout, or every page (`licpath.1`, `licpath-analyze.1`, ...) in `dir`.
pub fn man(dir: Option<&Path>) -> Result<u8, CliError> {
    let cmd = Cli::command();
    match dir {
        Some(dir) => clap_mangen::generate_to(cmd, dir).map_err(|e| {
            CliError::Output(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", dir.display()),
            ))
        })?,
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(CliError::Output)?;
            written(std::io::stdout().lock().write_all(&out))?;
        }
    }
    Ok(0)
}

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
