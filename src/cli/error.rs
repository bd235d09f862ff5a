//! The CLI layer's one error type. Every variant is exit code 2 ("unusable input or usage
//! error", README); findings are not errors (they are exit 1, decided from the verdict).
//! The lower layers' errors are wrapped as they are (`#[from]`, hickory's pattern), so
//! each keeps whose fault it is (the model's [`Blame`], rustls' idea).

use crate::ios::IosTextError;
use crate::model::Blame;
use crate::model::trust::TrustError;
use crate::pipeline::AnalyzeError;
use crate::probe::error::ProbeError;
use crate::report::annotate::AnnotateError;
use crate::tui::run::TuiError;
use std::io;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// A flag value or a combination of flags that cannot work.
    #[error("{0}")]
    Usage(String),
    /// A file named on the command line that cannot be opened or read.
    #[error("{path}: {source}")]
    Read { path: String, source: io::Error },
    /// A file that was read but is not what the flag expects (binary, too large, a
    /// configuration's proxy that is no address).
    #[error("{0}")]
    BadInput(String),
    /// A capture file the pipeline could not read at all.
    #[error(transparent)]
    Capture(#[from] AnalyzeError),
    /// A capture `--annotate` could not read.
    #[error(transparent)]
    Annotate(#[from] AnnotateError),
    /// The probe could not be set up here: presets, targets, the source binding, the
    /// live capture.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// Text that is not the switch's (or a `--map` that cannot be read).
    #[error(transparent)]
    Ios(#[from] IosTextError),
    /// A release or a PEM trust store that cannot be read.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// `watch`'s capture cannot be opened: a missing directory or interface, no
    /// permission, a build without live capture.
    #[error("{0}")]
    WatchSource(String),
    /// The terminal UI could not run.
    #[error(transparent)]
    Tui(#[from] TuiError),
    #[error("starting the runtime: {0}")]
    Runtime(io::Error),
    #[error("writing the report: {0}")]
    Output(io::Error),
}

impl CliError {
    pub fn blame(&self) -> Blame {
        match self {
            CliError::BadInput(_) | CliError::Capture(_) | CliError::Annotate(_) => Blame::Input,
            CliError::Probe(e) => e.blame(),
            CliError::Ios(IosTextError::BadMap { .. }) => Blame::Local,
            CliError::Ios(_) => Blame::Input,
            CliError::Trust(TrustError::BadVersion(_)) => Blame::Local,
            CliError::Trust(_) => Blame::Input,
            CliError::Usage(_)
            | CliError::Read { .. }
            | CliError::WatchSource(_)
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
        // A wrapped probe error keeps its own blame and wording.
        let p = CliError::from(ProbeError::Timeout {
            waiting_for: "TLS answer",
            after: std::time::Duration::from_secs(1),
        });
        assert_eq!(p.blame(), Blame::Network);
        assert_eq!(p.to_string(), "no TLS answer within 1.0 s; giving up");
        let m = CliError::from(IosTextError::BadMap { item: "x".into() });
        assert_eq!(m.blame(), Blame::Local);
        let b = CliError::from(IosTextError::Binary { file: "f".into() });
        assert_eq!(b.blame(), Blame::Input);
        let w = CliError::Output(io::Error::other("disk full"));
        assert_eq!(w.to_string(), "writing the report: disk full");
        assert!(written(Err(io::Error::from(io::ErrorKind::BrokenPipe))).is_ok());
        assert!(matches!(
            written(Err(io::Error::other("x"))),
            Err(CliError::Output(_))
        ));
    }
}
