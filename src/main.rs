//! The `licpath` command line: argument parsing, file I/O, exit codes. Everything it
//! prints comes from `report`; everything it decides comes from `diagnose`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use licpath::diagnose::DiagnoseConfig;
use licpath::diagnose::trust::{IosVersion, TrustProfile};
use licpath::flow::AnalyzeConfig;
use licpath::model::Timeline;
use licpath::pipeline::analyze_file;
use licpath::report::{self, OverallVerdict, json, text};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: 0 no error finding, 1 error findings, 2 unusable input or usage error.
const EXIT_FINDINGS: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "licpath",
    version,
    about = "Why can't a Cisco switch reach Cisco licensing? Proof from the packets.",
    long_about = "licpath reconstructs the path a Catalyst switch takes to Cisco Smart Licensing \
(DNS -> TCP -> HTTP CONNECT -> TLS) from packet captures, names the step that failed with \
evidence, and prints the IOS XE configuration that fixes it.\n\n\
Exit codes: 0 = no error finding, 1 = error findings, 2 = unusable input or usage error.",
    after_help = "Examples:\n  licpath analyze flash-export.pcap\n  licpath analyze --json capture.pcapng > report.json\n  licpath analyze --ios-version 17.3.2 --host onprem.example.com capture.pcap"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse capture files (.pcap, .pcapng, optionally gzipped; detected by content).
    Analyze(AnalyzeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Capture files exported from the switch (monitor capture ... export) or taken anywhere
    /// on the path. Each file is analysed on its own.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON document (schema: docs/json-schema.md) instead of text.
    #[arg(long)]
    json: bool,
    /// Show every connection and DNS exchange, not only those that concern licensing.
    #[arg(long)]
    all: bool,
    /// Also treat NAME as a licensing host (an SSM On-Prem server, a CSLU, a proxy name).
    /// Repeatable.
    #[arg(long = "host", value_name = "NAME")]
    hosts: Vec<String>,
    /// Judge certificate chains against these PEM roots (a trustpool exported from the
    /// switch, or a lab CA) instead of the built-in IOS XE profile.
    #[arg(long, value_name = "PEM")]
    trust_store: Option<PathBuf>,
    /// The switch's IOS XE release (e.g. 17.3.2a): applies Field Notice FN72323 (releases
    /// without the IdenTrust root) to the built-in trust profile.
    #[arg(long, value_name = "VERSION")]
    ios_version: Option<IosVersion>,
    /// Colour in text output: auto = only on a terminal and when NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Analyze(args) => match analyze(&args) {
            Ok(code) => ExitCode::from(code),
            Err(msg) => {
                eprintln!("licpath: error: {msg}");
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn analyze(args: &AnalyzeArgs) -> Result<u8, String> {
    let trust = match &args.trust_store {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            TrustProfile::from_pem(&path.display().to_string(), &pem)?
        }
        None => TrustProfile::ios_xe(args.ios_version),
    };
    let dcfg = DiagnoseConfig {
        now_unix: now_unix(),
        trust,
        judge_all_chains: args.trust_store.is_some(),
    };
    let mut acfg = AnalyzeConfig {
        all: args.all,
        ..AnalyzeConfig::default()
    };
    acfg.names.extend(
        args.hosts
            .iter()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase()),
    );

    let mut results: Vec<(String, &'static str, Timeline)> = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let (timeline, summary) = analyze_file(path, &acfg, &dcfg).map_err(|e| e.to_string())?;
        if summary.truncated {
            eprintln!(
                "licpath: warning: {name}: the file ends inside a record (truncated capture); results are partial"
            );
        }
        if let Some(why) = &summary.corrupt {
            eprintln!("licpath: warning: {name}: stopped reading: {why}; results are partial");
        }
        results.push((name, summary.format, timeline));
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let write_result = if args.json {
        let reports = results
            .iter()
            .map(|(n, f, t)| json::report(n, f, t))
            .collect();
        json::write_json(&mut out, "analyze", reports)
    } else {
        let color = match args.color {
            ColorChoice::Always => text::Color::Always,
            ColorChoice::Never => text::Color::Never,
            ColorChoice::Auto
                if std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) =>
            {
                text::Color::Always
            }
            ColorChoice::Auto => text::Color::Never,
        };
        results.iter().try_for_each(|(n, f, t)| {
            text::write_text(&mut out, n, f, t, color).and_then(|_| writeln!(out))
        })
    };
    if let Err(e) = write_result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(format!("writing the report: {e}"));
    }
    let verdict = json::combine(results.iter().map(|(_, _, t)| report::overall_verdict(t)));
    Ok(if verdict == OverallVerdict::Failed {
        EXIT_FINDINGS
    } else {
        0
    })
}
