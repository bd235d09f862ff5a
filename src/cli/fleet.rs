//! `check --from-config` over many switches: several files or a directory of one text per
//! switch (`show running-config`, `show license tech support`, ...). Each text's plan is
//! derived on its own, identical plans are probed once, at most `--concurrency` probes
//! run at once, and each switch × target gets one line named by the text's `hostname`.
//! A file that cannot be read or is not a switch's text is one `ERROR` line; the rest
//! goes on. The exit code is the worst line's: 0 all OK, 1 a failure, 2 an unusable file.

use super::args::{OutputFormat, PlanArgs, ProbeArgs};
use super::error::{CliError, written};
use super::input::{ConfigPlan, plan_from_text, read_text_file};
use super::probe::{Job, probe_jobs, setup_with};
use super::{EXIT_FINDINGS, EXIT_USAGE};
use crate::diagnose::verdict::OverallVerdict;
use crate::escape::esc;
use crate::model::{EndReason, Finding, Severity, Timeline};
use crate::report::{self, RunLine, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

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

/// The inputs of a run: the files to read, the entries that cannot be read (each an
/// `ERROR` line: the name, and the message), and the directory entries skipped (name,
/// why): every entry of a directory is accounted for.
#[derive(Default)]
struct Inputs {
    files: Vec<Result<(PathBuf, Origin), (String, String)>>,
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

/// Reads one input and sets up its probes, sharing the jobs of identical plans.
fn read_line(
    file: Result<(PathBuf, Origin), (String, String)>,
    args: &ProbeArgs,
    jobs: &mut Vec<Job>,
    by_key: &mut HashMap<String, usize>,
) -> Line {
    let plan = match read_plan(file, args) {
        Ok(plan) => plan,
        Err(line) => return line,
    };
    let file = plan.file.clone();
    let unusable = |message: String| Line::Unusable {
        file: file.clone(),
        message,
    };
    let name = plan.hostname.clone().unwrap_or_else(|| file.clone());
    let config_findings = plan.findings.clone();
    let setup = match setup_with(Some(plan), &args.plan, &args.net, &args.trust) {
        Ok(s) => s,
        Err(e) => return unusable(format!("{name}: {e}")),
    };
    let mut ids = Vec::new();
    for t in setup.targets {
        // Same target, same probe settings, same trust: same result (the clock read while
        // setting up is not part of the plan).
        let trust = crate::diagnose::DiagnoseConfig {
            now_unix: 0,
            ..setup.trust.clone()
        };
        let key = format!("{t:?}|{:?}|{trust:?}", setup.cfg);
        let next = jobs.len();
        let id = *by_key.entry(key).or_insert(next);
        if id == next {
            jobs.push((t, setup.cfg.clone(), setup.trust.clone()));
        }
        ids.push(id);
    }
    Line::Switch {
        name,
        file,
        config_findings,
        jobs: ids,
    }
}

/// One input's text into its plan, or the line that says why there is none (a directory
/// entry that is not switch text is skipped).
fn read_plan(
    file: Result<(PathBuf, Origin), (String, String)>,
    args: &ProbeArgs,
) -> Result<ConfigPlan, Line> {
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
pub fn plan_only(args: &ProbeArgs) -> Result<u8, CliError> {
    let inputs = expand(&args.plan.from_config, glob_of(args)?.as_ref());
    let mut plans: Vec<ConfigPlan> = Vec::new();
    let mut worst = 0u8;
    let mut unusable: Vec<(String, String)> = Vec::new();
    let mut skipped = inputs.skipped;
    for f in inputs.files {
        match read_plan(f, args) {
            Ok(p) => plans.push(p),
            Err(Line::Skipped { file }) => skipped.push((file, NOT_SWITCH_TEXT)),
            Err(Line::Unusable { file, message }) => unusable.push((file, message)),
            Err(Line::Switch { .. }) => {}
        }
    }
    if plans.is_empty() && unusable.is_empty() {
        say_skipped(&skipped);
        return Err(CliError::Usage(
            "--from-config: no switch text to read (an empty directory, or --glob matched none?)"
                .into(),
        ));
    }
    for p in &plans {
        if p.findings.iter().any(|f| f.severity == Severity::Error) {
            worst = worst.max(EXIT_FINDINGS);
        }
    }
    if !unusable.is_empty() {
        worst = worst.max(EXIT_USAGE);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.format() == OutputFormat::Json {
        let reports: Vec<PlanLine> = plans
            .iter()
            .map(|p| PlanLine {
                switch: p.hostname.as_deref(),
                report: json::PlanReport {
                    file: &p.file,
                    plan: &p.plan,
                    findings: &p.findings,
                },
            })
            .collect();
        let doc = PlanDocument {
            schema_version: crate::model::SCHEMA_VERSION,
            licpath_version: env!("CARGO_PKG_VERSION"),
            command: "plan",
            plans: reports,
            unusable: unusable
                .iter()
                .map(|(file, message)| Unusable { file, message })
                .collect(),
        };
        written(
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out)),
        )?;
    } else {
        for (_, message) in &unusable {
            eprintln!("ERROR  {}", esc(message));
        }
        written(plans.iter().try_for_each(|p| write_plan_line(&mut out, p)))?;
    }
    say_skipped(&skipped);
    Ok(worst)
}

#[derive(serde::Serialize)]
struct PlanDocument<'a> {
    schema_version: u32,
    licpath_version: &'static str,
    command: &'static str,
    plans: Vec<PlanLine<'a>>,
    unusable: Vec<Unusable<'a>>,
}

#[derive(serde::Serialize)]
struct PlanLine<'a> {
    switch: Option<&'a str>,
    #[serde(flatten)]
    report: json::PlanReport<'a>,
}

#[derive(serde::Serialize)]
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
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let inputs = expand(&args.plan.from_config, glob_of(args)?.as_ref());
    let mut skipped = inputs.skipped;
    let lines: Vec<Line> = inputs
        .files
        .into_iter()
        .map(|f| read_line(f, args, &mut jobs, &mut by_key))
        .filter(|l| match l {
            Line::Skipped { file } => {
                skipped.push((file.clone(), NOT_SWITCH_TEXT));
                false
            }
            _ => true,
        })
        .collect();
    say_skipped(&skipped);
    if lines.is_empty() {
        return Err(CliError::Usage(
            "--from-config: no file to read (an empty directory?)".into(),
        ));
    }
    let mut lines = lines;
    let duplicates = label_uniquely(&mut lines);
    let labels: Vec<String> = jobs.iter().map(|(t, _, _)| t.to_string()).collect();
    let (done, end_reason) = probe_jobs(jobs, usize::from(args.concurrency))?;
    let results: HashMap<usize, &Timeline> = done.iter().map(|(i, t)| (*i, t)).collect();
    let mut worst = 0u8;
    let mut run_lines: Vec<RunLine> = duplicates
        .iter()
        .map(|(hostname, file, label)| RunLine::Duplicate {
            hostname,
            file,
            label,
        })
        .collect();
    for line in &lines {
        match line {
            Line::Unusable { file, message } => {
                worst = worst.max(EXIT_USAGE);
                run_lines.push(RunLine::Unusable { file, message });
            }
            Line::Skipped { .. } => {}
            Line::Switch {
                name,
                file,
                config_findings,
                jobs,
            } => {
                if config_findings
                    .iter()
                    .any(|f| f.severity == Severity::Error)
                {
                    worst = worst.max(EXIT_FINDINGS);
                }
                if !config_findings.is_empty() {
                    run_lines.push(RunLine::Configuration {
                        switch: name,
                        file,
                        findings: config_findings,
                    });
                }
                for id in jobs {
                    let (Some(t), Some(label)) = (results.get(id), labels.get(*id)) else {
                        continue;
                    };
                    if crate::diagnose::verdict::overall_verdict(t) != OverallVerdict::Ok {
                        worst = worst.max(EXIT_FINDINGS);
                    }
                    run_lines.push(RunLine::Target {
                        switch: Some(name),
                        target: label,
                        timeline: t,
                    });
                }
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format() {
        OutputFormat::Json => {
            let labelled: Vec<(String, &Timeline)> = run_lines
                .iter()
                .filter_map(|l| match l {
                    RunLine::Target {
                        switch,
                        target,
                        timeline,
                    } => Some((format!("{} {target}", switch.unwrap_or("")), *timeline)),
                    _ => None,
                })
                .collect();
            let reports = labelled
                .iter()
                .map(|(l, t)| json::report(l, "live probe", t))
                .collect();
            written(json::write_json(
                &mut out, "check", end_reason, reports, None,
            ))?;
        }
        OutputFormat::Text => written(write_text(&mut out, &run_lines))?,
        f => write_monitoring(&mut out, f, "check", &run_lines)?,
    }
    if end_reason == EndReason::Interrupted {
        return Ok(130);
    }
    Ok(worst)
}

/// Two texts with the same `hostname` (a spare beside the real switch) must not share
/// one name, hence one monitoring series: each of them is labelled `hostname (file)`
/// instead. Returns (hostname, file, label) of each one relabelled.
fn label_uniquely(lines: &mut [Line]) -> Vec<(String, String, String)> {
    let mut count: HashMap<String, usize> = HashMap::new();
    for l in lines.iter() {
        if let Line::Switch { name, .. } = l {
            *count.entry(name.clone()).or_default() += 1;
        }
    }
    let mut relabelled = Vec::new();
    for l in lines.iter_mut() {
        if let Line::Switch { name, file, .. } = l
            && count.get(name.as_str()).is_some_and(|&n| n > 1)
        {
            let label = format!("{name} ({file})");
            relabelled.push((std::mem::replace(name, label.clone()), file.clone(), label));
        }
    }
    relabelled
}

/// check's text: one line per switch × target, `NAME  FAIL  configuration: CODES` for a
/// configuration's errors, `ERROR  message` for an unusable input.
fn write_text(out: &mut dyn Write, lines: &[RunLine<'_>]) -> std::io::Result<()> {
    for line in lines {
        match *line {
            // An input that gave no plan is a message, not a result: stderr (the other
            // formats keep it as a record).
            RunLine::Unusable { message, .. } => eprintln!("ERROR  {}", esc(message)),
            RunLine::Duplicate {
                hostname, label, ..
            } => eprintln!(
                "licpath: warning: several switch texts say hostname {}: this one is shown as {}",
                esc(hostname),
                esc(label)
            ),
            RunLine::Configuration {
                switch, findings, ..
            } => {
                let codes: Vec<&str> = findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| f.code.as_str())
                    .collect();
                if codes.is_empty() {
                    continue;
                }
                writeln!(
                    out,
                    "{}  FAIL  configuration: {}",
                    esc(switch),
                    codes.join(", ")
                )?
            }
            RunLine::Target {
                switch,
                target,
                timeline,
            } => writeln!(
                out,
                "{}  {}",
                esc(switch.unwrap_or("")),
                esc(&report::check_line(target, timeline))
            )?,
        }
    }
    Ok(())
}

/// `--format jsonl` and `--format prometheus` (probe, check, and check over many
/// switches). A repeated series (two texts with the same `hostname`) is said on stderr.
pub(crate) fn write_monitoring(
    out: &mut dyn Write,
    format: OutputFormat,
    command: &str,
    lines: &[RunLine<'_>],
) -> Result<(), CliError> {
    match format {
        OutputFormat::Prometheus => {
            let mut w = report::prometheus::Written::default();
            written(report::prometheus::write_prometheus(out, lines).map(|x| w = x))?;
            if w.duplicates > 0 {
                eprintln!(
                    "licpath: warning: {} metric series repeated (two switch texts with the same hostname?): the first kept",
                    w.duplicates
                );
            }
            Ok(())
        }
        _ => written(report::jsonl::write_jsonl(out, command, lines)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_expand_to_their_files_sorted() {
        let dir = std::env::temp_dir().join(format!("licpath-fleet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.txt", "a.txt", ".hidden"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let name = |r: &Result<(PathBuf, Origin), (String, String)>| {
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
