//! `check --from-config` over many switches, probed: the inputs are read first (each
//! switch kept as what its lines need: its name, file, configuration findings and the
//! indexes of its probes), then the probes run, at most `--concurrency` at once, and each
//! switch's lines are written, in input order, as soon as its probes are done. A probe's
//! timeline is dropped once the last switch that shares it is written (issue 28 item 13:
//! 20,000 switch texts held 325 MB, every task, timeline and line until the end).
//! JSONL's configuration lines wait in a temporary file, not in memory.

use super::{Line, NOT_SWITCH_TEXT, expand, glob_of, read_plan, say_skipped};
use crate::cli::args::{OutputFormat, ProbeArgs};
use crate::cli::error::{CliError, written};
use crate::cli::probe::{Job, probe_each, say_repeated, setup_with, write_monitoring};
use crate::cli::{EXIT_FINDINGS, EXIT_USAGE};
use crate::diagnose::DiagnoseConfig;
use crate::diagnose::verdict::{OverallVerdict, overall_verdict};
use crate::escape::esc;
use crate::model::{EndReason, Finding, Severity, Timeline};
use crate::report::{self, RunLine, json, jsonl, prometheus};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Seek, Write};
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

/// Reads one input and sets up its probes, sharing the jobs of identical plans. With a
/// spool (JSONL), a configuration's line goes there, its switch left to fill in.
fn read_line(
    file: super::InputFile,
    args: &ProbeArgs,
    jobs: &mut Jobs,
    spool: Option<&mut std::io::BufWriter<std::fs::File>>,
) -> Result<Line, CliError> {
    let plan = match read_plan(file, args) {
        Ok(plan) => plan,
        Err(line) => return Ok(line),
    };
    let file = plan.file.clone();
    let name = plan.hostname.clone().unwrap_or_else(|| file.clone());
    let findings = plan.findings.clone();
    let setup = match setup_with(Some(plan), &args.plan, &args.net, &args.trust) {
        Ok(s) => s,
        Err(e) => {
            return Ok(Line::Unusable {
                file,
                message: format!("{name}: {e}"),
            });
        }
    };
    if let Some(spool) = spool
        && !findings.is_empty()
    {
        jsonl::configuration_line(spool, "check", &file, &findings).map_err(spool_error)?;
    }
    let config_findings = slim(findings, args.format());
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
    Ok(Line::Switch {
        name,
        file,
        config_findings,
        jobs: ids,
    })
}

/// A configuration's findings as far as the output shows them: Prometheus their code and
/// severity (JSONL too: its lines wait in the spool whole); text and JSON only whether
/// there are errors (and text their codes).
fn slim(mut findings: Vec<Finding>, format: OutputFormat) -> Vec<Finding> {
    if !matches!(format, OutputFormat::Prometheus | OutputFormat::Jsonl) {
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
    let mut spool = match args.format() {
        OutputFormat::Jsonl => Some(std::io::BufWriter::new(temporary("configuration lines")?)),
        _ => None,
    };
    for f in inputs.files {
        match read_line(f, args, &mut jobs, spool.as_mut())? {
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
        sink: Sink::of(args.format(), spool)?,
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
    /// The configurations' lines, in input order, their switch left empty.
    Jsonl(std::io::BufReader<std::fs::File>),
    Prometheus(prometheus::Series),
    Json(json::Spool<std::fs::File>),
}

impl Sink {
    fn of(
        format: OutputFormat,
        configurations: Option<std::io::BufWriter<std::fs::File>>,
    ) -> Result<Sink, CliError> {
        Ok(match format {
            OutputFormat::Text => Sink::Text,
            OutputFormat::Prometheus => Sink::Prometheus(prometheus::Series::spooled()),
            OutputFormat::Json => Sink::Json(json::Spool::new(temporary("the JSON reports")?)),
            _ => {
                let mut file = match configurations {
                    Some(w) => w.into_inner().map_err(|e| spool_error(e.into_error()))?,
                    None => temporary("configuration lines")?,
                };
                file.rewind().map_err(spool_error)?;
                Sink::Jsonl(std::io::BufReader::new(file))
            }
        })
    }

    fn line(&mut self, out: &mut dyn Write, line: &RunLine<'_>) -> Result<(), CliError> {
        match self {
            Sink::Text => written(write_text(out, std::slice::from_ref(line))),
            Sink::Jsonl(spooled) => match *line {
                RunLine::Configuration { switch, .. } => {
                    let mut spooled_line = Vec::new();
                    spooled
                        .read_until(b'\n', &mut spooled_line)
                        .map_err(spool_error)?;
                    written(jsonl::write_with_switch(out, &spooled_line, switch))
                }
                _ => write_monitoring(out, OutputFormat::Jsonl, "check", &[*line]),
            },
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
            Sink::Text | Sink::Jsonl(_) => Ok(()),
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

fn temporary(what: &str) -> Result<std::fs::File, CliError> {
    tempfile::tempfile().map_err(|e| CliError::Usage(format!("a temporary file for {what}: {e}")))
}

fn spool_error(e: std::io::Error) -> CliError {
    CliError::Usage(format!("a temporary file: {e}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, FindingCode, Step};

    /// A switch waiting for its probes keeps its findings' codes and severities only, in
    /// every format: JSONL's whole lines wait in a temporary file (issue 28 item 13).
    #[test]
    fn a_waiting_switch_keeps_no_finding_text() {
        let mut warning = Finding::new(
            FindingCode::ConfigCsluNoAddress,
            Severity::Warning,
            Step::Dns,
            "no CSLU address",
        );
        warning.evidence = vec![Evidence {
            frame: None,
            time_ns: 0,
            what: "license smart url cslu".into(),
            log: None,
        }];
        for format in [OutputFormat::Jsonl, OutputFormat::Prometheus] {
            let kept = slim(vec![warning.clone()], format);
            assert_eq!(kept.len(), 1, "{format:?}");
            assert_eq!(kept[0].code, FindingCode::ConfigCsluNoAddress);
            assert_eq!(kept[0].severity, Severity::Warning);
            assert!(kept[0].summary.is_empty(), "{format:?}");
            assert!(kept[0].explanation.is_empty(), "{format:?}");
            assert!(kept[0].evidence.is_empty(), "{format:?}");
        }
        assert!(slim(vec![warning], OutputFormat::Text).is_empty());
    }
}
