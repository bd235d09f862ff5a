//! The `licpath` binary: parses the flags (with the site defaults of the config file, see
//! `cli::config`) and hands them to `licpath::cli`, which does the rest (subcommands, exit
//! codes).

use licpath::cli::{self, config};
use std::process::ExitCode;

fn main() -> ExitCode {
    match config::parse_command_line(std::env::args_os().collect()) {
        Ok((c, _)) => ExitCode::from(cli::run(c)),
        Err(e) if e.use_stderr() => {
            // clap quotes the refused value: a `--proxy` password is masked first.
            use clap::error::{ContextKind, ContextValue};
            use licpath::model::url::{mask_userinfo, mask_userinfo_in_text};
            let mut text = e.render().to_string();
            if let Some(ContextValue::String(v)) = e.get(ContextKind::InvalidValue) {
                text = text.replace(v.as_str(), &mask_userinfo(v));
            }
            eprint!("{}", mask_userinfo_in_text(&text));
            ExitCode::from(cli::EXIT_USAGE)
        }
        Err(e) => {
            let _ = e.print();
            ExitCode::from(0)
        }
    }
}
