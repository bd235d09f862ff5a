//! The `licpath` binary: parses the flags (with the site defaults of the config file, see
//! `cli::config`) and hands them to `licpath::cli`, which does the rest (subcommands, exit
//! codes).

use licpath::cli::{self, config};
use std::process::ExitCode;

fn main() -> ExitCode {
    match config::parse_command_line(std::env::args_os().collect()) {
        Ok((c, _)) => ExitCode::from(cli::run(c)),
        Err(e) if e.use_stderr() => {
            eprint!("{}", cli::clap_error_text(&e));
            ExitCode::from(cli::EXIT_USAGE)
        }
        Err(e) => {
            let _ = e.print();
            ExitCode::from(0)
        }
    }
}
