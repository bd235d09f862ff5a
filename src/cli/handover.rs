//! The hand-over outputs on the command line: `--html FILE` and `--markdown FILE`
//! (analyze, probe, check) and `analyze --annotate OUT.pcapng`. They are written besides
//! the report on stdout, from the same timelines; a short note on stderr says where.

use super::error::CliError;
use crate::escape::esc;
use crate::model::Timeline;
use crate::outfile::{OutputError, OutputFile};
use crate::report::annotate::{AnnotateError, OutputCap, annotate_file, annotations};
use crate::report::json::CaptureReport;
use crate::report::{html, markdown};
use clap::Args;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Documents for a ticket, written as well as the report on stdout.
#[derive(Args, Debug, Clone, Default)]
pub struct HandoverArgs {
    /// Also write the report as one self-contained HTML page (for a ticket or an email:
    /// verdict, findings with evidence and fix, each connection's ladder, the certificate
    /// chain; no script, nothing fetched; prints well).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the report as Markdown (the same content, text ladder), for pasting into
    /// a ticket system.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

type Writer = fn(&mut dyn Write, &str, &[CaptureReport]) -> io::Result<()>;

/// Writes the documents asked for by `args` for the reports of `command`, made from
/// `inputs` (captures, switch texts), which they must not overwrite.
pub fn write_documents(
    args: &HandoverArgs,
    command: &str,
    reports: &[CaptureReport],
    inputs: &[&Path],
) -> Result<(), CliError> {
    let outputs: [(&Option<PathBuf>, Writer, &str); 2] = [
        (&args.html, html::write_html, "HTML report"),
        (&args.markdown, markdown::write_markdown, "Markdown report"),
    ];
    for (path, write, what) in outputs {
        if let Some(path) = path {
            write_file(path, inputs, |out| write(out, command, reports))?;
            eprintln!(
                "licpath: {what} written to {}",
                esc(&path.display().to_string())
            );
        }
    }
    Ok(())
}

/// The files a run read, which no output may overwrite: `paths` (the files named on the
/// command line) with each directory's entries in place of the directory.
pub fn input_files<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::read_dir(p) {
            Ok(entries) => out.extend(entries.flatten().map(|e| e.path())),
            Err(_) => out.push(p.clone()),
        }
    }
    out
}

/// A refused output name is a usage error; a failed write, an output error.
pub(crate) fn output_error(e: OutputError) -> CliError {
    match e {
        OutputError::Io { path, source } => {
            CliError::Output(io::Error::new(source.kind(), format!("{path}: {source}")))
        }
        refused => CliError::Usage(refused.to_string()),
    }
}

/// Writes one document through [`OutputFile`] (never over an input, never through a
/// link, nothing left behind on an error).
fn write_file(
    path: &Path,
    inputs: &[&Path],
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    let mut out = OutputFile::create(path, inputs).map_err(output_error)?;
    write(&mut out).map_err(|e| {
        CliError::Output(io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    })?;
    out.commit().map_err(output_error)
}

/// `analyze --annotate OUT`: `input` (the one capture analysed into `t`) written again
/// as pcapng with the findings as packet comments.
pub fn write_annotated(
    out: &Path,
    input: &Path,
    name: &str,
    t: &Timeline,
    cap: OutputCap,
) -> Result<(), CliError> {
    let notes = annotations(name, t);
    let s = annotate_file(input, out, &notes, cap).map_err(|e| match e {
        AnnotateError::Output(e) => output_error(e),
        AnnotateError::Io { path, source } if Path::new(&path) == input => {
            CliError::read(input, source)
        }
        AnnotateError::Io { path, source } => {
            CliError::Output(io::Error::new(source.kind(), format!("{path}: {source}")))
        }
        AnnotateError::Write(source) => CliError::Output(io::Error::new(
            source.kind(),
            format!("{}: {source}", out.display()),
        )),
        AnnotateError::NotACapture { .. }
        | AnnotateError::Corrupt { .. }
        | AnnotateError::TooLarge { .. } => CliError::from(e),
    })?;
    eprintln!(
        "licpath: annotated capture written to {} ({} frames, {} with a finding as comment)",
        esc(&out.display().to_string()),
        s.frames,
        s.commented_frames
    );
    if !s.missing_frames.is_empty() {
        eprintln!(
            "licpath: warning: {}: {} evidence frame(s) not found on the second read (the file changed?)",
            esc(&input.display().to_string()),
            s.missing_frames.len()
        );
    }
    if s.blocks_dropped > 0 {
        eprintln!(
            "licpath: warning: {}: {} block(s) not carried over (packets on an undeclared interface, or undecoded blocks of a big-endian section)",
            esc(&input.display().to_string()),
            s.blocks_dropped
        );
    }
    Ok(())
}
