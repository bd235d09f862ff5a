//! The CLI layer's one error type. Every variant is exit code 2 ("unusable input or usage
//! error", README); findings are not errors (they are exit 1, decided from the verdict).
//! Each variant says whose fault it is (`Blame`), in the spirit of rustls' `Error`.

use std::io;
use thiserror::Error;

/// Whose fault a CLI error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// This host's side: a bad flag or combination, a file that cannot be read, a
    /// permission or binding the kernel refuses, stdout closed.
    Local,
    /// The data given is not what was asked for: not a capture, not the switch's text.
    Input,
}

#[derive(Debug, Error)]
pub enum CliError {
    /// A flag value or a combination of flags that cannot work.
    #[error("{0}")]
    Usage(String),
    /// A file named on the command line that cannot be opened or read.
    #[error("{path}: {source}")]
    Read { path: String, source: io::Error },
    /// A file that was read but is not what the flag expects (binary, too large, no
    /// licensing configuration, no PEM certificate).
    #[error("{0}")]
    BadInput(String),
    /// A capture file the pipeline could not read at all.
    #[error("{0}")]
    Capture(String),
    /// The probe could not be set up here: presets, targets, the source binding, the
    /// live capture.
    #[error("{0}")]
    ProbeSetup(String),
    /// The terminal UI could not run.
    #[error("{0}")]
    Tui(String),
    #[error("starting the runtime: {0}")]
    Runtime(io::Error),
    #[error("writing the report: {0}")]
    Output(io::Error),
}

impl CliError {
    pub fn blame(&self) -> Blame {
        match self {
            CliError::BadInput(_) | CliError::Capture(_) => Blame::Input,
            CliError::Usage(_)
            | CliError::Read { .. }
            | CliError::ProbeSetup(_)
            | CliError::Tui(_)
            | CliError::Runtime(_)
            | CliError::Output(_) => Blame::Local,
        }
    }

    /// The process exit code (README: 2 = unusable input or usage error).
    pub fn exit_code(&self) -> u8 {
        super::EXIT_USAGE
    }

    pub(crate) fn read(path: &std::path::Path, source: io::Error) -> Self {
        CliError::Read {
            path: path.display().to_string(),
            source,
        }
    }
}

/// A report written to stdout: a closed pipe (`| head`) is not an error.
pub(crate) fn written(r: io::Result<()>) -> Result<(), CliError> {
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_blame() {
        let e = CliError::read(
            std::path::Path::new("/nope"),
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(e.to_string(), "/nope: entity not found");
        assert_eq!(e.blame(), Blame::Local);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(CliError::BadInput("x".into()).blame(), Blame::Input);
        let w = CliError::Output(io::Error::other("disk full"));
        assert_eq!(w.to_string(), "writing the report: disk full");
        assert!(written(Err(io::Error::from(io::ErrorKind::BrokenPipe))).is_ok());
        assert!(matches!(
            written(Err(io::Error::other("x"))),
            Err(CliError::Output(_))
        ));
    }
}
