//! `check --from-config` over many switches, probed: the inputs are read first (each
//! switch kept as what its lines need: its name, file, configuration findings and the
//! indexes of its probes), then the probes run, at most `--concurrency` at once, and each
//! switch's lines are written, in input order, as soon as its probes are done. A probe's
//! timeline is dropped once the last switch that shares it is written (issue 28 item 13:
//! 20,000 switch texts held 325 MB, every task, timeline and line until the end).

use super::{Line, NOT_SWITCH_TEXT, expand, glob_of, read_plan, say_skipped};
use crate::cli::args::{OutputFormat, ProbeArgs};
use crate::cli::error::{CliError, written};
use crate::cli::probe::{Job, probe_each, say_repeated, setup_with, write_monitoring};
use crate::cli::{EXIT_FINDINGS, EXIT_USAGE};
use crate::diagnose::DiagnoseConfig;
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::escape::esc;
use crate::model::{EndReason, Finding, Severity, Timeline};
use crate::report::{self, RunLine, json, prometheus};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::Arc;

/// The probes of a run, one per distinct plan, and the trusts they share.
#[derive(Default)]
struct Jobs {
    jobs: Vec<Job>,
    /// A digest of each job's target, settings and trust number: its index.
    by_key: HashMap<[u8; 32], usize>,
    /// Each distinct trust (as Debug prints it, the clock left out): its number and one
    /// copy of it (a fleet has one or a few).
    trusts: HashMap<String, (usize, Arc<DiagnoseConfig>)>,
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Reads one input and sets up its probes, sharing the jobs of identical plans.
fn read_line(file: super::InputFile, args: &ProbeArgs, jobs: &mut Jobs) -> Line {
    let plan = match read_plan(file, args) {
        Ok(plan) => plan,
        Err(line) => return line,
    };
    let file = plan.file.clone();
    let name = plan.hostname.clone().unwrap_or_else(|| file.clone());
    let config_findings = slim(plan.findings.clone(), args.format());
    let setup = match setup_with(Some(plan), &args.plan, &args.net, &args.trust) {
        Ok(s) => s,
        Err(e) => {
            return Line::Unusable {
                file,
                message: format!("{name}: {e}"),
            };
        }
    };
    // Same target, same probe settings, same trust: same result (the clock read while
    // setting up is not part of the plan).
    let trust_key = format!(
        "{:?}",
        DiagnoseConfig {
            now_unix: 0,
            ..setup.trust.clone()
        }
    );
    let count = jobs.trusts.len();
    let (trust_id, trust) = jobs
        .trusts
        .entry(trust_key)
        .or_insert_with(|| (count, Arc::new(setup.trust)))
        .clone();
    let mut ids = Vec::new();
    for t in setup.targets {
        let key = digest(&format!("{t:?}|{:?}|{trust_id}", setup.cfg));
        let next = jobs.jobs.len();
        let id = *jobs.by_key.entry(key).or_insert(next);
        if id == next {
            jobs.jobs.push((t, setup.cfg.clone(), trust.clone()));
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

/// A configuration's findings as far as the output shows them: JSONL prints them whole;
/// Prometheus their code and severity; text and JSON only whether there are errors (and
/// text their codes).
fn slim(mut findings: Vec<Finding>, format: OutputFormat) -> Vec<Finding> {
    if format == OutputFormat::Jsonl {
        return findings;
    }
    if format != OutputFormat::Prometheus {
        findings.retain(|f| f.severity == Severity::Error);
    }
    for f in &mut findings {
        f.summary = String::new();
        f.explanation = String::new();
        f.remediation = Vec::new();
        f.evidence = Vec::new();
    }
    findings
}

pub(super) fn run(args: &ProbeArgs) -> Result<u8, CliError> {
    let mut jobs = Jobs::default();
    let inputs = expand(&args.plan.from_config, glob_of(args)?.as_ref());
    let mut skipped = inputs.skipped;
    let mut lines: VecDeque<Line> = VecDeque::new();
    for f in inputs.files {
        match read_line(f, args, &mut jobs) {
            Line::Skipped { file } => skipped.push((file, NOT_SWITCH_TEXT)),
            line => lines.push_back(line),
        }
    }
    say_skipped(&skipped);
    if lines.is_empty() {
        return Err(CliError::Usage(
            "--from-config: no file to read (an empty directory?)".into(),
        ));
    }
    let duplicates = label_uniquely(lines.make_contiguous());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut run = Run {
        sink: Sink::of(args.format())?,
        labels: jobs.jobs.iter().map(|(t, _, _)| t.to_string()).collect(),
        uses: vec![0; jobs.jobs.len()],
        results: HashMap::new(),
        lines,
        worst: 0,
    };
    for l in &run.lines {
        if let Line::Switch { jobs, .. } = l {
            jobs.iter().for_each(|&i| run.uses[i] += 1);
        }
    }
    for (hostname, file, label) in &duplicates {
        let line = RunLine::Duplicate {
            hostname,
            file,
            label,
        };
        run.sink.line(&mut out, &line)?;
    }
    let end_reason = probe_each(jobs.jobs, usize::from(args.concurrency), |i, t| {
        run.results.insert(i, t);
        run.write_ready(&mut out, false)
    })?;
    // Interrupted: the lines of the probes that finished, as far as they go.
    run.write_ready(&mut out, true)?;
    run.sink.finish(&mut out, end_reason)?;
    if end_reason == EndReason::Interrupted {
        return Ok(130);
    }
    Ok(run.worst)
}

/// A run under way: the lines not yet written, the finished probes some of them still
/// need, and the exit code so far.
struct Run {
    sink: Sink,
    /// Each job's target, as its lines name it.
    labels: Vec<String>,
    /// Per job, how many lines not yet written share it.
    uses: Vec<usize>,
    results: HashMap<usize, Timeline>,
    lines: VecDeque<Line>,
    worst: u8,
}

impl Run {
    /// Writes the lines whose probes are all done, in input order, and drops what no
    /// line needs any more; `all`: every line left, with what finished (interrupted).
    fn write_ready(&mut self, out: &mut dyn Write, all: bool) -> Result<(), CliError> {
        while let Some(line) = self.lines.front() {
            let ready = match line {
                Line::Switch { jobs, .. } => jobs.iter().all(|i| self.results.contains_key(i)),
                _ => true,
            };
            if !ready && !all {
                return Ok(());
            }
            let Some(line) = self.lines.pop_front() else {
                break;
            };
            self.write_line(out, &line)?;
            if let Line::Switch { jobs, .. } = &line {
                for &i in jobs {
                    self.uses[i] -= 1;
                    if self.uses[i] == 0 {
                        self.results.remove(&i);
                    }
                }
            }
        }
        Ok(())
    }

    fn write_line(&mut self, out: &mut dyn Write, line: &Line) -> Result<(), CliError> {
        match line {
            Line::Unusable { file, message } => {
                self.worst = self.worst.max(EXIT_USAGE);
                self.sink.line(out, &RunLine::Unusable { file, message })
            }
            Line::Skipped { .. } => Ok(()),
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
                    self.worst = self.worst.max(EXIT_FINDINGS);
                }
                if !config_findings.is_empty() {
                    let line = RunLine::Configuration {
                        switch: name,
                        file,
                        findings: config_findings,
                    };
                    self.sink.line(out, &line)?;
                }
                for id in jobs {
                    let (Some(t), Some(label)) = (self.results.get(id), self.labels.get(*id))
                    else {
                        continue;
                    };
                    if overall_verdict(t) != OverallVerdict::Ok {
                        self.worst = self.worst.max(EXIT_FINDINGS);
                    }
                    let line = RunLine::Target {
                        switch: Some(name),
                        target: label,
                        timeline: t,
                    };
                    self.sink.line(out, &line)?;
                }
                Ok(())
            }
        }
    }
}

/// Where the lines go, by format: text and JSONL straight out; Prometheus as sample lines
/// (a family is printed whole at the end); JSON reports into a temporary file, since the
/// document's verdict, which comes first, is known only at the end.
enum Sink {
    Text,
    Jsonl,
    Prometheus(prometheus::Series),
    Json(json::Spool<std::fs::File>),
}

impl Sink {
    fn of(format: OutputFormat) -> Result<Sink, CliError> {
        Ok(match format {
            OutputFormat::Text => Sink::Text,
            OutputFormat::Prometheus => Sink::Prometheus(prometheus::Series::default()),
            OutputFormat::Json => {
                let spool = tempfile::tempfile().map_err(|e| {
                    CliError::Usage(format!("a temporary file for the JSON reports: {e}"))
                })?;
                Sink::Json(json::Spool::new(spool))
            }
            _ => Sink::Jsonl,
        })
    }

    fn line(&mut self, out: &mut dyn Write, line: &RunLine<'_>) -> Result<(), CliError> {
        match self {
            Sink::Text => written(write_text(out, std::slice::from_ref(line))),
            Sink::Jsonl => write_monitoring(out, OutputFormat::Jsonl, "check", &[*line]),
            Sink::Prometheus(series) => {
                series.add(line);
                Ok(())
            }
            Sink::Json(spool) => {
                let RunLine::Target {
                    switch,
                    target,
                    timeline,
                } = *line
                else {
                    return Ok(());
                };
                let label = format!("{} {target}", switch.unwrap_or(""));
                written(spool.add(&json::report(&label, "live probe", timeline)))
            }
        }
    }

    fn finish(self, out: &mut dyn Write, end_reason: EndReason) -> Result<(), CliError> {
        match self {
            Sink::Text | Sink::Jsonl => Ok(()),
            Sink::Prometheus(series) => {
                let mut w = prometheus::Written::default();
                written(series.write(out).map(|x| w = x))?;
                say_repeated(&w);
                Ok(())
            }
            Sink::Json(spool) => written(spool.finish(out, "check", end_reason)),
        }
    }
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
