//! `check --from-config` over many switches: several files or a directory of one text per
//! switch (`show running-config`, `show license tech support`, ...). Each text's plan is
//! derived on its own, identical plans are probed once, at most `--concurrency` probes
//! run at once, and each switch × target gets one line named by the text's `hostname`.
//! A file that cannot be read or is not a switch's text is one `ERROR` line; the rest
//! goes on. The exit code is the worst line's: 0 all OK, 1 a failure, 2 an unusable file.

use super::args::{OutputFormat, PlanArgs, ProbeArgs};
use super::error::{CliError, written};
use super::input::{ConfigPlan, plan_from_text, read_text_file};
use super::{EXIT_FINDINGS, EXIT_USAGE};
use crate::escape::esc;
use crate::model::{Finding, Severity};
use crate::report::json;
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::path::PathBuf;

mod check;

/// Several `--from-config`, or a directory: the many-switch mode.
pub(crate) fn is_fleet(plan: &PlanArgs) -> bool {
    plan.from_config.len() > 1 || plan.from_config.iter().any(|p| p.is_dir())
}

/// Where an input came from: named on the command line, or found in a directory (where
/// files that are not switch text are skipped, not errors).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin {
    Named,
    InDirectory,
}

/// A file to read and where it came from, or an entry that cannot be read (its name, and
/// the message).
type InputFile = Result<(PathBuf, Origin), (String, String)>;

/// The inputs of a run: the files to read, the entries that cannot be read (each an
/// `ERROR` line: the name, and the message), and the directory entries skipped (name,
/// why): every entry of a directory is accounted for.
#[derive(Default)]
struct Inputs {
    files: Vec<InputFile>,
    skipped: Vec<(String, &'static str)>,
}

/// The files to read: each file as given, each directory's entries (not hidden) sorted by
/// name. In a directory, an entry that does not match `--glob` or is a directory is
/// skipped; one that is not a regular file (a FIFO, a device, a dangling link) is an
/// error line, since a switch whose file turned into one must not vanish from the report.
fn expand(paths: &[PathBuf], glob: Option<&globset::GlobMatcher>) -> Inputs {
    let mut inputs = Inputs::default();
    for p in paths {
        if !p.is_dir() {
            inputs.files.push(Ok((p.clone(), Origin::Named)));
            continue;
        }
        let entries = match std::fs::read_dir(p) {
            Ok(entries) => entries,
            Err(e) => {
                let name = p.display().to_string();
                inputs
                    .files
                    .push(Err((name.clone(), format!("{name}: {e}"))));
                continue;
            }
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        names.sort();
        for path in names {
            let name = path.display().to_string();
            if glob.is_some_and(|g| !path.file_name().is_some_and(|n| g.is_match(n))) {
                inputs.skipped.push((name, "does not match --glob"));
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => inputs.files.push(Ok((path, Origin::InDirectory))),
                Ok(m) if m.is_dir() => inputs.skipped.push((name, "a directory")),
                Ok(_) => inputs.files.push(Err((
                    name.clone(),
                    format!("{name}: not a regular file (a FIFO, socket or device)"),
                ))),
                Err(e) => inputs.files.push(Err((
                    name.clone(),
                    format!("{name}: {e} (a dangling link?)"),
                ))),
            }
        }
    }
    inputs
}

/// `--glob`: a pattern for the file names to read in a directory.
fn glob_of(args: &ProbeArgs) -> Result<Option<globset::GlobMatcher>, CliError> {
    args.plan
        .glob
        .as_deref()
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| CliError::Usage(format!("--glob {:?}: {e}", esc(g).to_string())))
        })
        .transpose()
}

/// The skipped directory entries, in one line on stderr.
fn say_skipped(skipped: &[(String, &'static str)]) {
    if skipped.is_empty() {
        return;
    }
    const SHOWN: usize = 8;
    let names: Vec<String> = skipped
        .iter()
        .take(SHOWN)
        .map(|(n, why)| {
            let base = std::path::Path::new(n)
                .file_name()
                .map_or(n.clone(), |b| b.to_string_lossy().into_owned());
            match *why {
                NOT_SWITCH_TEXT => esc(&base).to_string(),
                why => format!("{} ({why})", esc(&base)),
            }
        })
        .collect();
    let more = skipped.len().saturating_sub(SHOWN);
    eprintln!(
        "licpath: skipped {} file(s) that are not switch text: {}{} (--glob picks the files)",
        skipped.len(),
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
}

const NOT_SWITCH_TEXT: &str = "no switch configuration in it";

/// A directory entry whose text holds no switch configuration or status: skipped.
fn is_switch_text(text: &[u8]) -> bool {
    crate::ios::config::parse_config(text).lines_used > 0
}

/// What one input line of the report will say.
enum Line {
    /// A file that gave no plan: which, and why.
    Unusable { file: String, message: String },
    /// A directory entry that is not a switch's text.
    Skipped { file: String },
    /// A switch: its name, its text's file, its configuration's error findings, and per
    /// target the index of the probe job whose result it shares.
    Switch {
        name: String,
        file: String,
        /// Every finding of its configuration (errors fail the switch; warnings and info
        /// reach the monitoring formats too).
        config_findings: Vec<Finding>,
        jobs: Vec<usize>,
    },
}

/// One input's text into its plan, or the line that says why there is none (a directory
/// entry that is not switch text is skipped).
fn read_plan(file: InputFile, args: &ProbeArgs) -> Result<ConfigPlan, Line> {
    let (path, origin) = file.map_err(|(file, message)| Line::Unusable { file, message })?;
    let file = path.display().to_string();
    let unusable = |e: CliError| Line::Unusable {
        file: file.clone(),
        message: e.to_string(),
    };
    let text = read_text_file(&path).map_err(unusable)?;
    if origin == Origin::InDirectory && !is_switch_text(&text) {
        return Err(Line::Skipped { file });
    }
    plan_from_text(&file, &text, &args.plan.maps).map_err(unusable)
}

/// `check --plan-only` (or `probe --plan-only`) over many switch texts: the dry run. One
/// line per switch (its plan, and its configuration's findings), `ERROR` lines on stderr
/// for unusable inputs, one summary line for skipped files; nothing is probed. Exit 1 when
/// a configuration has an error finding, 2 when an input is unusable, else 0.
///
/// Streamed (issue 28 item 13): each text is read, planned and written before the next
/// one is read; what is kept is the counters, the unusable inputs' messages and the
/// skipped names. The JSON document is the same bytes as one built whole.
pub fn plan_only(args: &ProbeArgs) -> Result<u8, CliError> {
    let inputs = expand(&args.plan.from_config, glob_of(args)?.as_ref());
    let run = PlanRun {
        files: RefCell::new(inputs.files.into_iter()),
        args,
        state: RefCell::new(PlanState {
            skipped: inputs.skipped,
            ..PlanState::default()
        }),
        started: Cell::new(false),
    };
    let stdout = std::io::stdout();
    let mut out = Held {
        out: stdout.lock(),
        held: Some(Vec::new()),
        started: &run.started,
    };
    if args.format() == OutputFormat::Json {
        let doc = PlanDocument {
            schema_version: crate::model::SCHEMA_VERSION,
            licpath_version: env!("CARGO_PKG_VERSION"),
            command: "plan",
            plans: Plans(&run),
            unusable: UnusableList(&run.state),
        };
        written(
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out)),
        )?;
    } else {
        while let Some(p) = run.next_plan() {
            written(write_plan_line(&mut out, &p))?;
        }
    }
    let state = run.state.into_inner();
    if !run.started.get() {
        // Nothing was written (the document is held until the first input counts).
        say_skipped(&state.skipped);
        return Err(CliError::Usage(
            "--from-config: no switch text to read (an empty directory, or --glob matched none?)"
                .into(),
        ));
    }
    written(out.flush())?;
    say_skipped(&state.skipped);
    Ok(state.worst)
}

/// What a streamed `--plan-only` keeps while it reads.
#[derive(Default)]
struct PlanState {
    worst: u8,
    unusable: Vec<(String, String)>,
    skipped: Vec<(String, &'static str)>,
}

/// The inputs of a `--plan-only` run, read one at a time.
struct PlanRun<'a> {
    files: RefCell<std::vec::IntoIter<InputFile>>,
    args: &'a ProbeArgs,
    state: RefCell<PlanState>,
    /// An input gave a plan or was unusable: the output is no longer held back.
    started: Cell<bool>,
}

impl PlanRun<'_> {
    /// The next input's plan; unusable and skipped inputs on the way are recorded (an
    /// unusable one is said on stderr in the text format).
    fn next_plan(&self) -> Option<ConfigPlan> {
        loop {
            let f = self.files.borrow_mut().next()?;
            let mut state = self.state.borrow_mut();
            match read_plan(f, self.args) {
                Ok(p) => {
                    if p.findings.iter().any(|f| f.severity == Severity::Error) {
                        state.worst = state.worst.max(EXIT_FINDINGS);
                    }
                    self.started.set(true);
                    return Some(p);
                }
                Err(Line::Skipped { file }) => state.skipped.push((file, NOT_SWITCH_TEXT)),
                Err(Line::Unusable { file, message }) => {
                    if self.args.format() != OutputFormat::Json {
                        eprintln!("ERROR  {}", esc(&message));
                    }
                    state.worst = state.worst.max(EXIT_USAGE);
                    state.unusable.push((file, message));
                    self.started.set(true);
                }
                Err(Line::Switch { .. }) => {}
            }
        }
    }
}

/// Standard output held back until `started`: a run with no input to report writes
/// nothing (its error is a usage error), else everything goes straight through.
struct Held<'a, W: Write> {
    out: W,
    held: Option<Vec<u8>>,
    started: &'a Cell<bool>,
}

impl<W: Write> Write for Held<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(h) = &mut self.held {
            if !self.started.get() {
                h.extend_from_slice(buf);
                return Ok(buf.len());
            }
            self.out.write_all(h)?;
            self.held = None;
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(h) = self.held.take_if(|_| self.started.get()) {
            self.out.write_all(&h)?;
        }
        self.out.flush()
    }
}

#[derive(serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
struct PlanDocument<'a> {
    #[cfg_attr(test, schemars(extend("const" = crate::model::SCHEMA_VERSION)))]
    schema_version: u32,
    licpath_version: &'static str,
    #[cfg_attr(test, schemars(extend("const" = "plan")))]
    command: &'static str,
    #[cfg_attr(test, schemars(with = "Vec<PlanLine<'static>>"))]
    plans: Plans<'a>,
    #[cfg_attr(test, schemars(with = "Vec<Unusable<'static>>"))]
    unusable: UnusableList<'a>,
}

/// The plans, read and serialised one at a time.
struct Plans<'a>(&'a PlanRun<'a>);

impl serde::Serialize for Plans<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(std::iter::from_fn(|| self.0.next_plan()).map(OwnedPlanLine))
    }
}

/// A plan as [`PlanLine`] serialises it.
struct OwnedPlanLine(ConfigPlan);

impl serde::Serialize for OwnedPlanLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = &self.0;
        PlanLine {
            switch: p.hostname.as_deref(),
            report: json::PlanReport {
                file: &p.file,
                plan: &p.plan,
                findings: &p.findings,
            },
        }
        .serialize(s)
    }
}

/// The unusable inputs, once the plans are written.
struct UnusableList<'a>(&'a RefCell<PlanState>);

impl serde::Serialize for UnusableList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let state = self.0.borrow();
        s.collect_seq(
            state
                .unusable
                .iter()
                .map(|(file, message)| Unusable { file, message }),
        )
    }
}

#[derive(serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
struct PlanLine<'a> {
    switch: Option<&'a str>,
    #[serde(flatten)]
    report: json::PlanReport<'a>,
}

#[derive(serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
struct Unusable<'a> {
    file: &'a str,
    message: &'a str,
}

/// `NAME  PLAN  transport T: URL[, URL] [via proxy P] [dns S,..]  [warnings: codes]`, or
/// `NAME  FAIL  configuration: codes` first when the configuration has errors.
fn write_plan_line(out: &mut dyn Write, p: &ConfigPlan) -> std::io::Result<()> {
    let name = esc(p.hostname.as_deref().unwrap_or(&p.file)).to_string();
    let codes = |sev: Severity| {
        p.findings
            .iter()
            .filter(|f| f.severity == sev)
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
    };
    let errors = codes(Severity::Error);
    if !errors.is_empty() {
        writeln!(out, "{name}  FAIL  configuration: {}", errors.join(", "))?;
    }
    let urls: Vec<String> = p
        .plan
        .targets
        .iter()
        .map(|t| esc(&t.written).to_string())
        .collect();
    let mut line = format!(
        "{name}  PLAN  transport {}: {}",
        esc(&p.plan.transport.to_string()),
        if urls.is_empty() {
            "no target".to_string()
        } else {
            urls.join(", ")
        }
    );
    if let Some(proxy) = &p.plan.proxy {
        line.push_str(&format!(" via proxy {}", esc(&proxy.to_string())));
    }
    if !p.plan.dns_servers.is_empty() {
        let dns: Vec<String> = p.plan.dns_servers.iter().map(|a| a.to_string()).collect();
        line.push_str(&format!(", dns {}", dns.join(" ")));
    }
    let warnings = codes(Severity::Warning);
    if !warnings.is_empty() {
        line.push_str(&format!("  (warnings: {})", warnings.join(", ")));
    }
    writeln!(out, "{line}")
}

pub fn run(args: &ProbeArgs) -> Result<u8, CliError> {
    if args.plan_only {
        return plan_only(args);
    }
    check::run(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_plan_schema_is_what_the_types_generate() {
        crate::report::schema::check_committed(
            "licpath-plan.schema.json",
            &crate::report::schema::generate::<PlanDocument>(
                "licpath plan JSON",
                "What `licpath probe|check --plan-only --format json` prints (docs/json-schema.md)",
            ),
        );
    }

    #[test]
    fn directories_expand_to_their_files_sorted() {
        let dir = std::env::temp_dir().join(format!("licpath-fleet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.txt", "a.txt", ".hidden"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let name = |r: &InputFile| {
            r.as_ref()
                .unwrap()
                .0
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        let inputs = expand(std::slice::from_ref(&dir), None);
        let got: Vec<String> = inputs.files.iter().map(name).collect();
        assert_eq!(got, ["a.txt", "b.txt"]);
        assert!(
            inputs
                .files
                .iter()
                .all(|r| r.as_ref().unwrap().1 == Origin::InDirectory)
        );
        assert_eq!(
            inputs.skipped.len(),
            1,
            "the sub-directory is accounted for"
        );
        // --glob picks by name; the others are listed as skipped, not dropped.
        let g = globset::Glob::new("b*").unwrap().compile_matcher();
        let inputs = expand(std::slice::from_ref(&dir), Some(&g));
        assert_eq!(inputs.files.iter().map(name).collect::<Vec<_>>(), ["b.txt"]);
        assert_eq!(inputs.skipped.len(), 2);
        // A dangling link is an error line of its own, not silence.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("gone"), dir.join("c.txt")).unwrap();
            let inputs = expand(std::slice::from_ref(&dir), None);
            assert!(
                inputs
                    .files
                    .iter()
                    .any(|r| r.as_ref().is_err_and(|(f, _)| f.ends_with("c.txt"))),
                "dangling link accounted for"
            );
        }
        let plan = PlanArgs {
            targets: vec![],
            from_config: vec![dir.clone()],
            maps: vec![],
            glob: None,
        };
        assert!(is_fleet(&plan));
        let one = PlanArgs {
            from_config: vec![dir.join("a.txt")],
            ..plan
        };
        assert!(!is_fleet(&one));
    }
}
