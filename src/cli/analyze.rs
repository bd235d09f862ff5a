//! `licpath analyze`: capture files and the switch's logs into reports.

use super::args::{AnalyzeArgs, OutputFormat, TrustArgs};
use super::error::{CliError, written};
use super::input::{ConfigPlan, diagnose_config, plan_from_config, read_text_file};
use super::progress;
use super::{EXIT_USAGE, color_of, exit_code, report_stdout};
use crate::capture::text::{Form, InputFormat, TextSummary};
use crate::diagnose::DiagnoseConfig;
use crate::escape::esc;
use crate::flow::AnalyzeConfig;
use crate::model::context::{AnalysisContext, KnownProxy};
use crate::model::switch::Transport;
use crate::model::url::ProxyAddr;
use crate::model::{EndReason, Finding, SwitchLog, Timeline};
use crate::pipeline::analyze_input;
use crate::report::{self, json, text};
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One analysed input: its name, its format, its timeline.
type Analysed = (String, &'static str, Timeline);

/// What an analysis runs with, from the flags and `--from-config`.
pub struct Setup {
    pub acfg: AnalyzeConfig,
    pub dcfg: DiagnoseConfig,
    /// The configuration's findings (`--from-config`): they join every report.
    pub config_findings: Vec<Finding>,
}

/// The flags that say what surrounds the switch, shared by `analyze` and `watch`: the
/// switch texts (already read), `--proxy`, `--dns-server`, `--switch`, `--host`, `--all`
/// and the trust flags.
pub(crate) struct ContextFlags<'a> {
    pub configs: &'a [ConfigPlan],
    pub proxies: &'a [ProxyAddr],
    pub dns_servers: &'a [IpAddr],
    pub switches: &'a [IpAddr],
    pub hosts: &'a [String],
    pub all: bool,
    pub trust: &'a TrustArgs,
}

/// The flags and the switch's text (`--from-config`, read as the probe reads it) made
/// into the analyser's and the rules' settings. A file that is not switch text, or no
/// readable file, is an error (exit 2).
pub fn setup(args: &AnalyzeArgs) -> Result<Setup, CliError> {
    let configs = args
        .from_config
        .as_deref()
        .map(|p| plan_from_config(p, &[]))
        .transpose()?;
    setup_with(&ContextFlags {
        configs: configs.as_slice(),
        proxies: &args.proxy,
        dns_servers: &args.dns_servers,
        switches: &args.switches,
        hosts: &args.hosts,
        all: args.all,
        trust: &args.trust,
    })
}

/// [`setup`] from the flags of any subcommand. With several switch texts, a release or a
/// trustpoint's revocation check applies only when they all say the same.
pub(crate) fn setup_with(flags: &ContextFlags) -> Result<Setup, CliError> {
    let common = |of: &dyn Fn(&ConfigPlan) -> Option<String>| -> Option<String> {
        let first = of(flags.configs.first()?);
        flags
            .configs
            .iter()
            .all(|c| of(c) == first)
            .then_some(first)?
    };
    let ios_version = flags
        .trust
        .ios_version
        .or_else(|| common(&|c| c.plan.ios_version.clone()).and_then(|v| v.parse().ok()));
    let mut dcfg = diagnose_config(flags.trust, ios_version)?;
    // `revocation-check crl` in the configuration: an unreachable CRL fails the switch.
    let revocation = |c: &ConfigPlan| c.plan.revocation_check.clone();
    if let Some(first) = flags.configs.first().map(revocation)
        && flags.configs.iter().all(|c| revocation(c) == first)
    {
        dcfg.revocation_checked_by = first;
    }
    let mut acfg = analyze_config(flags.all, flags.hosts);
    let context = context_of(flags);
    for h in &context.licensing_hosts {
        if !acfg.names.contains(h) {
            acfg.names.push(h.clone());
        }
    }
    acfg.context = context;
    Ok(Setup {
        acfg,
        dcfg,
        config_findings: flags
            .configs
            .iter()
            .flat_map(|c| c.findings.iter().cloned())
            .collect(),
    })
}

/// The switch's surroundings: what its configurations say (the probe plan's proxy, name
/// servers and target URLs, with the static `ip host` entries that apply), then the flags.
fn context_of(flags: &ContextFlags) -> AnalysisContext {
    let mut ctx = AnalysisContext::default();
    if !flags.configs.is_empty() {
        let files: Vec<&str> = flags.configs.iter().map(|c| c.file.as_str()).collect();
        ctx.from_config = Some(files.join(", "));
    }
    for c in flags.configs {
        add_config_context(&mut ctx, c);
    }
    for p in flags.proxies {
        ctx.proxies
            .push(KnownProxy::new(&p.host, p.port, "--proxy"));
    }
    ctx.dns_servers.extend(flags.dns_servers);
    ctx.switch_addresses.extend(flags.switches);
    ctx.proxies
        .dedup_by(|a, b| a.host == b.host && a.port == b.port);
    for list in [
        &mut ctx.dns_servers,
        &mut ctx.switch_addresses,
        &mut ctx.config_addresses,
        &mut ctx.licensing_addresses,
    ] {
        let mut seen = std::collections::HashSet::new();
        list.retain(|a| seen.insert(*a));
    }
    ctx.licensing_hosts.sort();
    ctx.licensing_hosts.dedup();
    ctx
}

/// What one switch text adds to the context.
fn add_config_context(ctx: &mut AnalysisContext, c: &ConfigPlan) {
    let plan = &c.plan;
    let static_of = |name: &str| -> Vec<IpAddr> {
        plan.resolve
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, a)| *a)
            .collect()
    };
    if let Some(proxy) = &plan.proxy {
        let origin = match plan.transport {
            Transport::Callhome => "call-home http-proxy",
            _ => "license smart proxy",
        };
        let mut p = KnownProxy::new(&proxy.host, proxy.port, origin);
        p.addresses.extend(static_of(&p.host));
        ctx.proxies.push(p);
    }
    ctx.dns_servers.extend(&plan.dns_servers);
    ctx.config_addresses.extend(&c.addresses);
    for t in &plan.targets {
        let host = t.url.host().to_ascii_lowercase();
        match host.parse::<IpAddr>() {
            Ok(ip) => ctx.licensing_addresses.push(ip),
            Err(_) => {
                ctx.licensing_addresses.extend(static_of(&host));
                if !crate::flow::LICENSING_NAMES.contains(&host.as_str()) {
                    ctx.licensing_hosts.push(host);
                }
            }
        }
    }
}

impl Setup {
    /// The configuration's findings join a report (once), and the context it was read
    /// with goes with it.
    pub fn add_config(&self, t: &mut Timeline) {
        add_config(t, self)
    }
}

fn add_config(t: &mut Timeline, setup: &Setup) {
    for f in &setup.config_findings {
        if !t
            .findings
            .iter()
            .any(|g| g.code == f.code && g.summary == f.summary)
        {
            t.findings.push(f.clone());
        }
    }
    if t.context.is_none() && !setup.acfg.context.is_empty() {
        t.context = Some(setup.acfg.context.clone());
    }
}

pub fn run(args: &AnalyzeArgs) -> Result<u8, CliError> {
    let format = args.format();
    if format == OutputFormat::Prometheus {
        return Err(CliError::Usage(
            "analyze --format prometheus: the Prometheus format is per switch and target; \
use text, json or jsonl here (or check/watch --format prometheus)"
                .into(),
        ));
    }
    let setup = setup(args)?;
    let (acfg, dcfg) = (&setup.acfg, &setup.dcfg);
    if args.annotate.is_some() && args.files.len() != 1 {
        return Err(CliError::Usage(
            "--annotate writes one capture: give exactly one capture file".into(),
        ));
    }
    let mut results: Vec<Analysed> = Vec::new();
    let mut texts: Vec<Option<TextSummary>> = Vec::new();
    // One unusable file does not hide the others' reports: each is said on stderr and
    // the run ends with exit 2.
    let mut unusable = 0usize;
    let input = InputFormat::from(args.input_format);
    for path in &args.files {
        match analyze_one(path, input, acfg, dcfg, format != OutputFormat::Text) {
            Ok((r, text)) => {
                results.push(r);
                texts.push(text);
            }
            Err(e) => {
                eprintln!("licpath: error: {}", esc(&e.to_string()));
                unusable += 1;
            }
        }
    }
    if unusable > 0 && results.is_empty() && args.logs.is_empty() {
        return Ok(EXIT_USAGE);
    }
    if !args.logs.is_empty() {
        let inputs = args
            .logs
            .iter()
            .map(|p| Ok((p.display().to_string(), read_text_file(p)?)))
            .collect::<Result<Vec<_>, CliError>>()?;
        add_logs(&mut results, &inputs, args.clock_offset)?;
    }
    for (_, _, t) in &mut results {
        add_config(t, &setup);
    }
    let color = match format {
        OutputFormat::Text => color_of(args.output.color),
        _ => text::Color::Never,
    };
    let mut out = report_stdout(color);
    written(if format == OutputFormat::Json {
        let reports = results
            .iter()
            .map(|(n, f, t)| json::report(n, f, t))
            .collect();
        json::write_json(&mut out, "analyze", EndReason::Completed, reports, None)
    } else if format == OutputFormat::Jsonl {
        results
            .iter()
            .try_for_each(|(n, f, t)| report::jsonl::write_capture_line(&mut out, n, f, t))
    } else {
        let context = match &acfg.context {
            c if c.is_empty() => Ok(()),
            c => report::context::write_context(&mut out, c).and_then(|_| writeln!(out)),
        };
        context.and_then(|_| {
            results.iter().try_for_each(|(n, f, t)| {
                text::write_text(&mut out, n, f, t, color).and_then(|_| writeln!(out))
            })
        })
    })?;
    let reports: Vec<_> = results
        .iter()
        .map(|(n, f, t)| json::report(n, f, t))
        .collect();
    let inputs = super::handover::input_files(
        args.files
            .iter()
            .chain(&args.logs)
            .chain(&args.from_config)
            .chain(&args.trust.trust_store)
            .chain(&args.trust.ca_file),
    );
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    super::handover::write_documents(&args.handover, "analyze", &reports, &inputs)?;
    if let (Some(out), [input], Some((name, _, t))) =
        (&args.annotate, &args.files[..], results.first())
    {
        match texts.first().and_then(Option::as_ref) {
            None => super::handover::write_annotated(out, input, name, t, output_cap(args))?,
            Some(text) => annotate_text(out, input, name, t, text, args)?,
        }
    }
    let verdict = json::combine(
        results
            .iter()
            .map(|(_, _, t)| crate::diagnose::verdict::overall_verdict(t)),
    );
    Ok(if unusable > 0 {
        EXIT_USAGE
    } else {
        exit_code(verdict)
    })
}

/// One capture file into a timeline; a file with no usable frame at all (bytes after a
/// valid header that are not records) is unusable input, not an empty capture.
fn analyze_one(
    path: &Path,
    input: InputFormat,
    acfg: &AnalyzeConfig,
    dcfg: &DiagnoseConfig,
    json: bool,
) -> Result<(Analysed, Option<TextSummary>), CliError> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    use progress::Reader::{Person, Program};
    let stdout = if json { Program } else { Person };
    let stderr = if std::io::stderr().is_terminal() {
        Person
    } else {
        Program
    };
    let meter = progress::wanted(stdout, stderr, size).then(|| progress::Meter::start(&name, size));
    let analysed = analyze_input(path, input, acfg, dcfg, meter.as_ref().map(|m| m.counter()));
    if let Some(m) = meter {
        m.finish();
    }
    let (timeline, summary, text) = analysed?;
    if summary.frames == 0 && (summary.truncated || summary.corrupt.is_some()) {
        return Err(CliError::BadInput(format!(
            "{name}: no usable frame after the {} header: {}",
            summary.format,
            summary
                .corrupt
                .as_deref()
                .unwrap_or("the first record's length runs past the end of the file (random data, or an export cut short)")
        )));
    }
    let shown = esc(&name);
    if summary.truncated {
        eprintln!(
            "licpath: warning: {shown}: the file ends inside a record (truncated capture); results are partial"
        );
    }
    if let Some(why) = &summary.corrupt {
        eprintln!(
            "licpath: warning: {shown}: stopped reading: {}; results are partial",
            esc(why)
        );
    }
    Ok(((name, summary.format, timeline), text))
}

/// `--annotate` on a capture pasted as text: only a hex dump holds the frames themselves
/// (they are written to a pcapng and annotated like a capture file); other forms hold
/// facts, not frames, and are refused with why.
fn annotate_text(
    out: &Path,
    input: &Path,
    name: &str,
    t: &Timeline,
    text: &TextSummary,
    args: &AnalyzeArgs,
) -> Result<(), CliError> {
    let all_bytes = text.origins.all_of(crate::capture::text::Level::Bytes);
    if !all_bytes || text.form == Some(Form::Brief) || text.form == Some(Form::List) {
        return Err(CliError::Usage(format!(
            "--annotate writes the capture's own frames: {} is {}, which states facts about the packets, not their bytes; paste 'show monitor capture NAME buffer dump' (or tshark -x) or export the pcap",
            esc(name),
            text.form.map_or("text", Form::as_str)
        )));
    }
    if input.as_os_str() == "-" {
        return Err(CliError::Usage(
            "--annotate reads the input twice: give the hex dump as a file, not on stdin".into(),
        ));
    }
    // Created exclusively under a random name, removed when it drops (every path).
    let tmp = tempfile::Builder::new()
        .prefix("licpath-hex-")
        .suffix(".pcapng")
        .tempfile()
        .map_err(CliError::Output)?;
    let file = tmp.as_file().try_clone().map_err(CliError::Output)?;
    write_hex_as_pcapng(input, file, InputFormat::from(args.input_format))?;
    super::handover::write_annotated(out, tmp.path(), name, t, output_cap(args))
}

/// `--max-output`, else the cap from the input's kind and size.
fn output_cap(args: &AnalyzeArgs) -> crate::report::annotate::OutputCap {
    use crate::report::annotate::OutputCap;
    args.max_output.map_or(OutputCap::Auto, OutputCap::Bytes)
}

/// The frames of a hex dump as a pcapng (interface 0 Ethernet, 1 raw IP; µs times).
fn write_hex_as_pcapng(
    input: &Path,
    file: std::fs::File,
    format: InputFormat,
) -> Result<(), CliError> {
    use crate::report::annotate::PcapngWriter;
    let f = std::fs::File::open(input).map_err(|e| CliError::read(input, e))?;
    let mut w = PcapngWriter::new(std::io::BufWriter::new(file));
    let mut err = None;
    let mut put = |r: std::io::Result<()>| {
        if let Err(e) = r {
            err.get_or_insert(e);
        }
    };
    put(w.section_header(&[]));
    put(w.interface(1, 262_144, &[]));
    put(w.interface(101, 262_144, &[]));
    crate::capture::text::read_text(std::io::BufReader::new(f), format, |fr| {
        let iface = u32::from(fr.linktype != 1);
        let us = (fr.time_ns / 1000).max(0) as u64;
        put(w.enhanced_packet(iface, us, fr.data, fr.orig_len, &[]));
    })
    .map_err(|e| CliError::BadInput(format!("{}: {e}", input.display())))?;
    if let Some(e) = err {
        return Err(CliError::Output(e));
    }
    std::io::Write::flush(&mut w.into_inner()).map_err(CliError::Output)
}

/// `--all` and `--host`: which connections concern licensing.
fn analyze_config(all: bool, hosts: &[String]) -> AnalyzeConfig {
    let mut acfg = AnalyzeConfig {
        all,
        ..AnalyzeConfig::default()
    };
    acfg.names.extend(
        hosts
            .iter()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase()),
    );
    acfg
}

/// `--logs`: alone, the logs become one timeline of their own; with captures, they are
/// lined up with each capture's connections (`clock_offset_s`: the switch clock minus the
/// capture's, estimated when absent). The pipeline does the work; this says on stderr when
/// nothing was recognised.
fn add_logs(
    results: &mut Vec<Analysed>,
    inputs: &[(String, Vec<u8>)],
    clock_offset_s: Option<f64>,
) -> Result<(), CliError> {
    let offset = clock_offset_s.map(|s| (s * 1e9) as i64);
    if results.is_empty() {
        let logs = crate::pipeline::logs_timeline(inputs)?;
        if let (false, Some(log)) = (logs.config_read, &logs.timeline.switch_log) {
            warn_if_nothing_recognised(log);
        }
        let names = inputs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>();
        results.push((names.join(", "), "switch log", logs.timeline));
    } else {
        for (_, _, t) in results.iter_mut() {
            crate::pipeline::add_logs(t, inputs, offset);
        }
        if let Some((_, _, t)) = results.first()
            && let Some(log) = &t.switch_log
        {
            warn_if_nothing_recognised(log);
        }
    }
    Ok(())
}

fn warn_if_nothing_recognised(log: &SwitchLog) {
    if log.entries.is_empty() {
        eprintln!(
            "licpath: warning: {}: no licensing message recognised in {} line(s) (SMART_LIC, CALL_HOME, PKI, SAEVT_, tech-support statistics)",
            esc(&log.files.join(", ")),
            log.lines_read
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use clap::Parser;

    fn args(a: &[&str]) -> AnalyzeArgs {
        match Cli::parse_from(std::iter::once("licpath").chain(a.iter().copied())).command {
            Command::Analyze(a) => a,
            _ => panic!("not analyze"),
        }
    }

    #[test]
    fn host_names_are_normalised() {
        let a = args(&["analyze", "--host", " OnPrem.Example.com. ", "x.pcap"]);
        let c = analyze_config(a.all, &a.hosts);
        assert!(c.names.iter().any(|n| n == "onprem.example.com"));
        assert!(!c.all);
        assert!(analyze_config(true, &[]).all);
    }

    #[test]
    fn logs_alone_make_one_timeline() {
        let line = "*Nov 22 13:52:16.474: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart License Utility (CSLU) : Unable to resolve server hostname/domain name\n";
        let mut results = Vec::new();
        add_logs(&mut results, &[("show-log.txt".into(), line.into())], None).unwrap();
        assert_eq!(results.len(), 1);
        let (name, format, t) = &results[0];
        assert_eq!((name.as_str(), *format), ("show-log.txt", "switch log"));
        let log = t.switch_log.as_ref().expect("the log");
        // The message, and the `*` that says the clock is not synchronised.
        assert_eq!(log.entries.len(), 2);
        assert!(!t.findings.is_empty());
        // No year in the stamp: none is invented (not this host's), so no time either.
        assert_eq!(t.start_ns, None);
        assert!(
            log.clock_offset_basis.contains("1 stamp without a year"),
            "{}",
            log.clock_offset_basis
        );
    }
}
