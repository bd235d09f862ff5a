//! `check --from-config` over many switches: several files or a directory of one text per
//! switch (`show running-config`, `show license tech support`, ...). Each text's plan is
//! derived on its own, identical plans are probed once, at most `--concurrency` probes
//! run at once, and each switch × target gets one line named by the text's `hostname`.
//! A file that cannot be read or is not a switch's text is one `ERROR` line; the rest
//! goes on. The exit code is the worst line's: 0 all OK, 1 a failure, 2 an unusable file.

use super::args::{OutputFormat, PlanArgs, ProbeArgs};
use super::error::{CliError, written};
use super::input::{plan_from_text, read_text_file};
use super::probe::{Job, probe_jobs, setup_with};
use super::{EXIT_FINDINGS, EXIT_USAGE};
use crate::escape::esc;
use crate::model::{EndReason, Finding, Severity, Timeline};
use crate::report::{self, OverallVerdict, RunLine, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

/// Several `--from-config`, or a directory: the many-switch mode.
pub(crate) fn is_fleet(plan: &PlanArgs) -> bool {
    plan.from_config.len() > 1 || plan.from_config.iter().any(|p| p.is_dir())
}

/// The files to read: each file as given, each directory's regular files (not hidden),
/// sorted by name. A directory that cannot be listed is an error line of its own: the
/// directory, and the message.
fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, (String, String)>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(Ok(p.clone()));
            continue;
        }
        match std::fs::read_dir(p) {
            Ok(entries) => {
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok())
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect();
                files.sort();
                out.extend(files.into_iter().map(Ok));
            }
            Err(e) => out.push(Err((
                p.display().to_string(),
                format!("{}: {e}", p.display()),
            ))),
        }
    }
    out
}

/// The switch's name from its text: `hostname NAME` (running-config), else the file name.
pub(crate) fn hostname_of(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("hostname "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .next()
}

/// What one input line of the report will say.
enum Line {
    /// A file that gave no plan: which, and why.
    Unusable { file: String, message: String },
    /// A switch: its name, its text's file, its configuration's error findings, and per
    /// target the index of the probe job whose result it shares.
    Switch {
        name: String,
        file: String,
        config_errors: Vec<Finding>,
        jobs: Vec<usize>,
    },
}

/// Reads one input and sets up its probes, sharing the jobs of identical plans.
fn read_line(
    file: Result<PathBuf, (String, String)>,
    args: &ProbeArgs,
    jobs: &mut Vec<Job>,
    by_key: &mut HashMap<String, usize>,
) -> Line {
    let path = match file {
        Ok(p) => p,
        Err((file, message)) => return Line::Unusable { file, message },
    };
    let file = path.display().to_string();
    let unusable = |message: String| Line::Unusable {
        file: file.clone(),
        message,
    };
    let plan = match read_text_file(&path)
        .and_then(|text| plan_from_text(&file, &text, &args.plan.maps))
    {
        Ok(plan) => plan,
        Err(e) => return unusable(e.to_string()),
    };
    let name = plan.hostname.clone().unwrap_or_else(|| file.clone());
    let config_errors = plan
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
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
        config_errors,
        jobs: ids,
    }
}

pub fn run(args: &ProbeArgs) -> Result<u8, CliError> {
    if args.plan_only {
        return Err(CliError::Usage(
            "--plan-only takes one --from-config file".into(),
        ));
    }
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let lines: Vec<Line> = expand(&args.plan.from_config)
        .into_iter()
        .map(|f| read_line(f, args, &mut jobs, &mut by_key))
        .collect();
    if lines.is_empty() {
        return Err(CliError::Usage(
            "--from-config: no file to read (an empty directory?)".into(),
        ));
    }
    let labels: Vec<String> = jobs.iter().map(|(t, _, _)| t.to_string()).collect();
    let (done, end_reason) = probe_jobs(jobs, usize::from(args.concurrency))?;
    let results: HashMap<usize, &Timeline> = done.iter().map(|(i, t)| (*i, t)).collect();
    let mut worst = 0u8;
    let mut run_lines: Vec<RunLine> = Vec::new();
    for line in &lines {
        match line {
            Line::Unusable { file, message } => {
                worst = worst.max(EXIT_USAGE);
                run_lines.push(RunLine::Unusable { file, message });
            }
            Line::Switch {
                name,
                file,
                config_errors,
                jobs,
            } => {
                if !config_errors.is_empty() {
                    worst = worst.max(EXIT_FINDINGS);
                    run_lines.push(RunLine::Configuration {
                        switch: name,
                        file,
                        findings: config_errors,
                    });
                }
                for id in jobs {
                    let (Some(t), Some(label)) = (results.get(id), labels.get(*id)) else {
                        continue;
                    };
                    if report::overall_verdict(t) != OverallVerdict::Ok {
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

/// check's text: one line per switch × target, `NAME  FAIL  configuration: CODES` for a
/// configuration's errors, `ERROR  message` for an unusable input.
fn write_text(out: &mut dyn Write, lines: &[RunLine<'_>]) -> std::io::Result<()> {
    for line in lines {
        match *line {
            RunLine::Unusable { message, .. } => writeln!(out, "ERROR  {}", esc(message))?,
            RunLine::Configuration {
                switch, findings, ..
            } => {
                let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
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
    fn hostname_names_the_switch() {
        assert_eq!(
            hostname_of("!\nversion 17.9\n hostname  sw-01 \nlicense smart transport smart\n"),
            Some("sw-01".into())
        );
        assert_eq!(hostname_of("license smart transport smart\n"), None);
    }

    #[test]
    fn directories_expand_to_their_files_sorted() {
        let dir = std::env::temp_dir().join(format!("licpath-fleet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.txt", "a.txt", ".hidden"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let got: Vec<String> = expand(std::slice::from_ref(&dir))
            .into_iter()
            .map(|r| {
                r.unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(got, ["a.txt", "b.txt"]);
        let plan = PlanArgs {
            targets: vec![],
            from_config: vec![dir.clone()],
            maps: vec![],
        };
        assert!(is_fleet(&plan));
        let one = PlanArgs {
            from_config: vec![dir.join("a.txt")],
            ..plan
        };
        assert!(!is_fleet(&one));
    }
}
