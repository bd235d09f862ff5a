//! The `licpath` binary: parses the flags and hands them to `licpath::cli`, which does the
//! rest (configuration, subcommands, exit codes).

use clap::Parser;
use licpath::cli::{self, args::Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(c) => ExitCode::from(cli::run(c)),
        Err(e) => {
            let code = if e.use_stderr() { cli::EXIT_USAGE } else { 0 };
            let _ = e.print();
            ExitCode::from(code)
        }
    }
}
