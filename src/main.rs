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
    /// Do from this host what the switch does (DNS, TCP, CONNECT, TLS, HTTP) and report
    /// each step with timings, evidence and the IOS XE fix.
    #[command(after_help = PROBE_EXAMPLES)]
    Probe(ProbeArgs),
    /// Like probe, one line per target (OK, or FAIL with step, finding code and summary),
    /// for scripts and monitoring. Exit 0 when every target succeeded, 1 when any failed.
    #[command(after_help = PROBE_EXAMPLES)]
    Check(ProbeArgs),
    /// Terminal UI. With a capture file: browse its connections (ladder, events, findings).
    /// Otherwise: live mode, re-probing the targets every --interval seconds like mtr;
    /// takes every probe option (--from-config, --proxy, --dns-server, ...).
    #[command(after_help = TUI_EXAMPLES)]
    Tui(TuiArgs),
}

const TUI_EXAMPLES: &str = "Examples:\n  \
licpath tui captures/ssl-interception-tls12.pcap      # browse a capture\n  \
licpath tui --interval 10 --proxy proxy.example.com:80  # live, smart transport\n  \
licpath tui --from-config show-run.txt --map Vlan10=eth1\n\n\
Keys: ? shows them all; q quits. NO_COLOR turns colour off.";

#[derive(Args)]
struct TuiArgs {
    /// Seconds between rounds in live mode.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    interval: u64,
    #[command(flatten)]
    probe: ProbeArgs,
}

const PROBE_EXAMPLES: &str = "Targets: smart (default), callhome, cslu[@HOST], or a URL such as \
https://onprem.example.com/cslu/v1/pi/VA-1. Presets live in probes/ (embedded); add your own \
as NAME.probe files in ~/.config/licpath/probes or --presets DIR.\n\n\
Examples:\n  \
licpath probe                                   # smart transport, system resolver\n  \
licpath probe --dns-server 10.0.0.53 --proxy proxy.example.com:80\n  \
licpath probe --source-interface eth1 --ios-version 17.3.2 callhome\n  \
licpath probe --trust-store trustpool.pem --resolve smartreceiver.cisco.com=10.9.9.9\n  \
licpath check --json smart callhome > result.json\n  \
licpath probe --from-config show-run.txt --map Vlan10=eth1\n  \
licpath probe --from-config show-tech-license.txt --plan-only";

#[derive(Args, Clone)]
struct ProbeArgs {
    /// What to probe: smart, callhome, cslu, cslu@HOST, a preset of yours, or a URL.
    /// Default: smart, or what --from-config derives.
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    /// Derive the plan from the switch's own text: `show running-config`, `show license
    /// status`, `show license tech support` (pasted into one file is fine). Flags given
    /// here override what the file says.
    #[arg(long, value_name = "FILE")]
    from_config: Option<PathBuf>,
    /// With --from-config: the local interface (or Linux VRF device) standing in for a
    /// switch interface or VRF, e.g. --map Vlan10=eth1 --map Mgmt-vrf=mgmt; repeatable.
    #[arg(long = "map", value_name = "SWITCH=LOCAL")]
    maps: Vec<String>,
    /// With --from-config: print the derived plan and the configuration findings, and
    /// probe nothing.
    #[arg(long)]
    plan_only: bool,
    /// Ask this name server (like `ip name-server`); repeatable, asked in order.
    /// Default: the system's resolvers.
    #[arg(long = "dns-server", value_name = "IP[:PORT]", value_parser = parse_dns_server)]
    dns_servers: Vec<std::net::SocketAddr>,
    /// Use IP for HOST without DNS (like `ip host HOST IP`); repeatable.
    #[arg(long, value_name = "HOST=IP", value_parser = parse_resolve)]
    resolve: Vec<(String, std::net::IpAddr)>,
    /// Send from this interface (SO_BINDTODEVICE, needs CAP_NET_RAW/root): the switch's
    /// `ip http client source-interface`. A Linux VRF device name works the same way
    /// (`license smart vrf`). DNS queries leave from this interface's address.
    #[arg(long, value_name = "IFACE")]
    source_interface: Option<String>,
    /// DNS queries leave from this interface instead (`ip domain lookup source-interface`).
    #[arg(long, value_name = "IFACE")]
    dns_source_interface: Option<String>,
    /// Send from this local address.
    #[arg(long, value_name = "IP")]
    source_address: Option<std::net::IpAddr>,
    /// Go through this HTTP proxy with CONNECT, as `license smart proxy address/port`.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_proxy)]
    proxy: Option<(String, u16)>,
    /// Basic credentials for the proxy, for testing only: the switch itself cannot
    /// authenticate to a proxy.
    #[arg(long, value_name = "USER:PASSWORD")]
    proxy_user: Option<String>,
    /// Seconds to wait for each DNS answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_secs)]
    dns_timeout: f64,
    /// Seconds to wait for the TCP handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    tcp_timeout: f64,
    /// Seconds to wait for the proxy's answer to CONNECT (it connects upstream first).
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = parse_secs)]
    proxy_timeout: f64,
    /// Seconds for the whole TLS handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    tls_timeout: f64,
    /// Seconds for the HTTP answer inside TLS.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    http_timeout: f64,
    /// Highest TLS version to offer; 1.2 mimics releases before 17.14.
    #[arg(long, value_name = "VERSION", default_value = "1.3", value_parser = ["1.2", "1.3"])]
    tls_max: String,
    /// Skip step 5 (the HTTP request inside TLS).
    #[arg(long)]
    no_http: bool,
    /// Skip step 6: fetching the chain's CRL distribution points and OCSP responders
    /// (plain HTTP, over the same path), which a switch with `revocation-check crl` needs.
    #[arg(long)]
    no_revocation: bool,
    /// Finish the TLS handshake whatever the certificate chain. By default the probe
    /// refuses a chain exactly when the switch would (same rules as the findings) and ends
    /// the handshake with the same alert, so its packets look like the switch's; this
    /// flag lets the HTTP step run behind an interceptor. Findings are unchanged.
    #[arg(long)]
    accept_any_cert: bool,
    /// Judge chains against these PEM roots (a trustpool exported from the switch: `show
    /// crypto pki trustpool` / `crypto pki trustpool export`) instead of the built-in
    /// IOS XE profile.
    #[arg(long, value_name = "PEM")]
    trust_store: Option<PathBuf>,
    /// The switch's IOS XE release: applies FN72323 to the built-in trust profile.
    #[arg(long, value_name = "VERSION")]
    ios_version: Option<IosVersion>,
    /// "Would importing this CA fix it?": when a chain fails against the device's
    /// profile, judge it again with the PEM certificates of this file added, and say
    /// whether `crypto pki authenticate` of that CA would make the switch accept it. The
    /// verdict (and the probe's handshake) stays that of the device as configured now.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// A directory of extra NAME.probe presets.
    #[arg(long, value_name = "DIR")]
    presets: Option<PathBuf>,
    /// Record the probe's own packets into this pcap file while it runs (libpcap, on the
    /// --source-interface or on "any"; needs root or CAP_NET_RAW), for `licpath analyze`
    /// or Wireshark. Only in builds with the cargo feature `live-capture`.
    #[arg(long, value_name = "FILE.pcap")]
    capture: Option<PathBuf>,
    /// One JSON document on stdout (schema: docs/json-schema.md); messages on stderr.
    #[arg(long)]
    json: bool,
    /// Colour in text output: auto = only on a terminal and when NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 600.0 => Ok(v),
        _ => Err("a number of seconds, more than 0 and at most 600".into()),
    }
}

fn parse_dns_server(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(a) = s.parse::<std::net::SocketAddr>() {
        return Ok(a);
    }
    s.parse::<std::net::IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not an IP address (IP or IP:PORT, [IPv6]:PORT)"))
}

fn parse_resolve(s: &str) -> Result<(String, std::net::IpAddr), String> {
    let (h, ip) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected HOST=IP"))?;
    let ip = ip
        .parse()
        .map_err(|_| format!("{s:?}: {ip:?} is not an IP address"))?;
    Ok((h.trim().trim_end_matches('.').to_ascii_lowercase(), ip))
}

fn parse_proxy(s: &str) -> Result<(String, u16), String> {
    let s = s.trim_start_matches("http://").trim_end_matches('/');
    let (h, p) = s.rsplit_once(':').ok_or_else(|| {
        format!("{s:?}: expected HOST:PORT (the switch needs an explicit port too)")
    })?;
    let port = p
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{s:?}: bad port {p:?}"))?;
    let h = h.trim_start_matches('[').trim_end_matches(']');
    if h.is_empty() {
        return Err(format!("{s:?}: no host"));
    }
    Ok((h.to_ascii_lowercase(), port))
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
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
    #[arg(required_unless_present = "logs", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Text from the switch: `show logging`, `show license eventlog`, `show license tech
    /// support`, `show license history message`, a syslog file. Its messages become
    /// findings; with captures they are lined up with the connections. Repeatable.
    #[arg(long, value_name = "TEXT-FILE")]
    logs: Vec<PathBuf>,
    /// With --logs: the switch clock minus the capture's clock, in seconds (e.g. 3600 when
    /// the switch runs on CET and the capture on UTC). Default: estimated by lining up
    /// failure/recovery messages with licensing connections.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    clock_offset: Option<f64>,
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
    /// "Would importing this CA fix it?": judge failing chains again with the PEM
    /// certificates of this file added (the verdict stays the device's as configured).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
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
    let result = match cli.command {
        Command::Analyze(args) => analyze(&args),
        Command::Probe(args) => probe(&args, false),
        Command::Check(args) => probe(&args, true),
        Command::Tui(args) => tui(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("licpath: error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn color_of(choice: ColorChoice) -> text::Color {
    match choice {
        ColorChoice::Always => text::Color::Always,
        ColorChoice::Never => text::Color::Never,
        ColorChoice::Auto
            if std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) =>
        {
            text::Color::Always
        }
        ColorChoice::Auto => text::Color::Never,
    }
}

/// Everything a probe run needs, from the command line (and --from-config).
struct ProbeSetup {
    targets: Vec<licpath::probe::target::Target>,
    cfg: std::sync::Arc<licpath::probe::ProbeConfig>,
    trust: DiagnoseConfig,
    from_config: Option<(
        String,
        licpath::ios::plan::ProbePlan,
        Vec<licpath::model::Finding>,
    )>,
}

fn probe_setup(args: &ProbeArgs) -> Result<ProbeSetup, String> {
    use licpath::probe::{ProbeConfig, Timeouts, target};
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".config/licpath/probes"));
    }
    if let Some(d) = &args.presets {
        if !d.is_dir() {
            return Err(format!("{}: not a directory", d.display()));
        }
        dirs.push(d.clone());
    }
    let dir_refs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
    let presets = target::load_presets(&dir_refs)?;
    let from_config = match &args.from_config {
        Some(path) => Some(plan_from_config(path, &args.maps)?),
        None if !args.maps.is_empty() || args.plan_only => {
            return Err("--map and --plan-only go with --from-config FILE".into());
        }
        None => None,
    };
    let plan = from_config.as_ref().map(|(_, p, _)| p);
    let mut target_names = args.targets.clone();
    if target_names.is_empty() {
        match plan {
            Some(p) => target_names.extend(p.targets.iter().map(|t| t.url.clone())),
            None => target_names.push("smart".into()),
        }
    }
    let targets = target_names
        .iter()
        .map(|t| target::resolve_target(t, &presets))
        .collect::<Result<Vec<_>, _>>()?;
    let ios_version = args.ios_version.or_else(|| {
        plan.and_then(|p| p.ios_version.as_deref())
            .and_then(|v| v.parse().ok())
    });
    let mut trust = diagnose_config(
        args.trust_store.as_deref(),
        args.ca_file.as_deref(),
        ios_version,
    )?;
    trust.judge_all_chains = true;
    // `revocation-check crl` in the configuration: an unreachable CRL fails the switch.
    trust.revocation_checked_by = plan.and_then(|p| p.revocation_check.clone());
    let plan_proxy = match plan.and_then(|p| p.proxy.as_deref()) {
        Some(pp) => Some(parse_proxy(pp)?),
        None => None,
    };
    let local = |b: Option<&licpath::ios::plan::Binding>| b.and_then(|b| b.local.clone());
    let mut resolve = args.resolve.clone();
    if let Some(p) = plan {
        resolve.extend(p.resolve.iter().cloned());
    }
    let secs = std::time::Duration::from_secs_f64;
    let cfg = std::sync::Arc::new(ProbeConfig {
        dns_servers: if args.dns_servers.is_empty() {
            plan.map(|p| {
                p.dns_servers
                    .iter()
                    .map(|ip| std::net::SocketAddr::new(*ip, 53))
                    .collect()
            })
            .unwrap_or_default()
        } else {
            args.dns_servers.clone()
        },
        resolve,
        source_interface: args
            .source_interface
            .clone()
            .or_else(|| local(plan.and_then(|p| p.source.as_ref()))),
        source_address: args.source_address,
        dns_source_interface: args
            .dns_source_interface
            .clone()
            .or_else(|| local(plan.and_then(|p| p.dns_source.as_ref()))),
        proxy: args.proxy.clone().or(plan_proxy),
        proxy_basic: args.proxy_user.as_deref().map(|u| base64(u.as_bytes())),
        timeouts: Timeouts {
            dns: secs(args.dns_timeout),
            tcp: secs(args.tcp_timeout),
            proxy: secs(args.proxy_timeout),
            tls: secs(args.tls_timeout),
            http: secs(args.http_timeout),
        },
        tls_max_12: args.tls_max == "1.2",
        http: !args.no_http,
        accept_any_cert: args.accept_any_cert,
        revocation: !args.no_revocation,
    });
    Ok(ProbeSetup {
        targets,
        cfg,
        trust,
        from_config,
    })
}

fn probe(args: &ProbeArgs, check: bool) -> Result<u8, String> {
    use licpath::probe::probe_target;
    let ProbeSetup {
        targets,
        cfg,
        trust,
        from_config,
    } = probe_setup(args)?;
    let plan_report = from_config
        .as_ref()
        .map(|(file, plan, findings)| json::PlanReport {
            file,
            plan,
            findings,
        });
    let plan_failed = from_config.as_ref().is_some_and(|(_, _, f)| {
        f.iter()
            .any(|f| f.severity == licpath::model::Severity::Error)
    });
    if let Some(pr) = &plan_report
        && (args.plan_only || targets.is_empty())
    {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let r = if args.json {
            json::write_json(&mut out, "probe", "completed", Vec::new(), Some(*pr))
        } else {
            text::write_plan(
                &mut out,
                pr.file,
                pr.plan,
                pr.findings,
                color_of(args.color),
            )
        };
        if let Err(e) = r
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(format!("writing the report: {e}"));
        }
        return Ok(if plan_failed { EXIT_FINDINGS } else { 0 });
    }
    check_binding(&cfg)?;
    let capture = start_capture(args.capture.as_deref(), &cfg, &targets)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let now = now_unix();
    let (timelines, end_reason) = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let (t, cfg, trust) = (t.clone(), cfg.clone(), trust.clone());
            set.spawn(async move { (i, probe_target(&t, cfg, &trust, now).await) });
        }
        let mut done: Vec<(usize, Timeline)> = Vec::new();
        let interrupted = loop {
            tokio::select! {
                r = set.join_next() => match r {
                    Some(Ok(x)) => done.push(x),
                    Some(Err(e)) => eprintln!("licpath: warning: a probe task failed: {e}"),
                    None => break false,
                },
                _ = tokio::signal::ctrl_c() => {
                    set.abort_all();
                    break true;
                }
            }
        };
        done.sort_by_key(|(i, _)| *i);
        (
            done,
            if interrupted {
                "interrupted"
            } else {
                "completed"
            },
        )
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    let slowest_rtt = timelines
        .iter()
        .flat_map(|(_, t)| &t.connections)
        .filter_map(|c| c.handshake_rtt_ns)
        .max()
        .unwrap_or(0);
    finish_capture(
        capture,
        args.capture.as_deref(),
        std::time::Duration::from_nanos(u64::try_from(slowest_rtt).unwrap_or(0)),
    );
    if end_reason == "interrupted" {
        eprintln!(
            "licpath: interrupted: {} of {} target(s) finished",
            timelines.len(),
            targets.len()
        );
    }
    let labels: Vec<String> = timelines
        .iter()
        .map(|(i, _)| targets[*i].to_string())
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let command = if check { "check" } else { "probe" };
    let write_result = if args.json {
        let reports = timelines
            .iter()
            .zip(&labels)
            .map(|((_, t), l)| json::report(l, "live probe", t))
            .collect();
        json::write_json(&mut out, command, end_reason, reports, plan_report)
    } else if check {
        timelines
            .iter()
            .zip(&labels)
            .try_for_each(|((_, t), l)| writeln!(out, "{}", report::check_line(l, t)))
    } else {
        let color = color_of(args.color);
        let plan_text = match &plan_report {
            Some(pr) => text::write_plan(&mut out, pr.file, pr.plan, pr.findings, color)
                .and_then(|_| writeln!(out)),
            None => Ok(()),
        };
        plan_text.and_then(|_| {
            timelines.iter().zip(&labels).try_for_each(|((_, t), l)| {
                text::write_text(&mut out, l, "live probe", t, color).and_then(|_| writeln!(out))
            })
        })
    };
    if let Err(e) = write_result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(format!("writing the report: {e}"));
    }
    if end_reason == "interrupted" {
        return Ok(130);
    }
    let all_ok = timelines
        .iter()
        .all(|(_, t)| report::overall_verdict(t) == OverallVerdict::Ok);
    Ok(if all_ok && !plan_failed {
        0
    } else {
        EXIT_FINDINGS
    })
}

/// Read the switch's configuration text: (file name, plan, configuration findings).
fn plan_from_config(
    path: &std::path::Path,
    maps: &[String],
) -> Result<
    (
        String,
        licpath::ios::plan::ProbePlan,
        Vec<licpath::model::Finding>,
    ),
    String,
> {
    let name = path.display().to_string();
    let text = read_text_file(path)?;
    let cfg = licpath::ios::config::parse_config(&text);
    if cfg.lines_used == 0 {
        return Err(format!(
            "{name}: no licensing configuration found (expected show running-config, show license status or show license tech support)"
        ));
    }
    let map = licpath::ios::plan::InterfaceMap::parse(maps)?;
    let plan = licpath::ios::plan::derive(&cfg, &map);
    let findings = licpath::diagnose::config::check_config(&cfg, &plan, &name);
    Ok((name, plan, findings))
}

/// Text pasted from a terminal: at most 64 MiB, any encoding (invalid UTF-8 replaced).
fn read_text_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    const MAX: u64 = 64 << 20;
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if buf.len() as u64 > MAX {
        return Err(format!(
            "{}: larger than 64 MiB: not text pasted from a switch",
            path.display()
        ));
    }
    if buf.iter().take(4096).filter(|&&b| b == 0).count() > 8 {
        return Err(format!(
            "{}: binary data, not text from the switch (a capture goes to 'licpath analyze FILE')",
            path.display()
        ));
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn analyze(args: &AnalyzeArgs) -> Result<u8, String> {
    let dcfg = diagnose_config(
        args.trust_store.as_deref(),
        args.ca_file.as_deref(),
        args.ios_version,
    )?;
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

    if !args.logs.is_empty() {
        let inputs = args
            .logs
            .iter()
            .map(|p| Ok((p.display().to_string(), read_text_file(p)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let offset = args.clock_offset.map(|s| (s * 1e9) as i64);
        if results.is_empty() {
            let names: Vec<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
            let mut t = Timeline::empty(licpath::model::Source::Logs {
                files: names.clone(),
            });
            let year = licpath::report::format_utc(now_unix() * 1_000_000_000)[..4]
                .parse()
                .ok();
            let mut log = licpath::ios::logs::read_logs(&inputs, year);
            for e in &mut log.entries {
                e.time_ns = e.switch_time_ns;
            }
            t.start_ns = log.entries.iter().filter_map(|e| e.time_ns).min();
            t.end_ns = log.entries.iter().filter_map(|e| e.time_ns).max();
            t.findings = licpath::diagnose::logs::log_findings(&log);
            warn_if_nothing_recognised(&log);
            t.switch_log = Some(log);
            results.push((names.join(", "), "switch log", t));
        } else {
            for (_, _, t) in &mut results {
                let year = t
                    .start_ns
                    .and_then(|s| licpath::report::format_utc(s)[..4].parse().ok());
                let mut log = licpath::ios::logs::read_logs(&inputs, year);
                licpath::diagnose::logs::correlate(&mut log, t, offset);
                t.findings
                    .extend(licpath::diagnose::logs::log_findings(&log));
                t.switch_log = Some(log);
            }
            if let Some((_, _, t)) = results.first()
                && let Some(log) = &t.switch_log
            {
                warn_if_nothing_recognised(log);
            }
        }
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let write_result = if args.json {
        let reports = results
            .iter()
            .map(|(n, f, t)| json::report(n, f, t))
            .collect();
        json::write_json(&mut out, "analyze", "completed", reports, None)
    } else {
        let color = color_of(args.color);
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

fn warn_if_nothing_recognised(log: &licpath::model::SwitchLog) {
    if log.entries.is_empty() {
        eprintln!(
            "licpath: warning: {}: no licensing message recognised in {} line(s) (SMART_LIC, CALL_HOME, PKI, SAEVT_, tech-support statistics)",
            log.files.join(", "),
            log.lines_read
        );
    }
}

#[cfg(feature = "live-capture")]
type Capture = Option<licpath::probe::capture::LiveCapture>;
#[cfg(not(feature = "live-capture"))]
type Capture = Option<std::convert::Infallible>;

/// `--capture`: starts recording before the first packet (an error stops the run).
#[cfg(feature = "live-capture")]
fn start_capture(
    path: Option<&std::path::Path>,
    cfg: &licpath::probe::ProbeConfig,
    targets: &[licpath::probe::target::Target],
) -> Result<Capture, String> {
    use licpath::probe::capture;
    let Some(path) = path else { return Ok(None) };
    let ports: Vec<u16> = targets.iter().map(|t| t.port).collect();
    // DNS leaving from another interface than the sessions needs both: "any".
    let device = match (&cfg.source_interface, &cfg.dns_source_interface) {
        (Some(s), None) => s.as_str(),
        (Some(s), Some(d)) if s == d => s.as_str(),
        _ => "any",
    };
    capture::start(path, device, &capture::filter_for(cfg, &ports)).map(Some)
}

#[cfg(not(feature = "live-capture"))]
fn start_capture(
    path: Option<&std::path::Path>,
    _cfg: &licpath::probe::ProbeConfig,
    _targets: &[licpath::probe::target::Target],
) -> Result<Capture, String> {
    match path {
        Some(_) => Err(
            "--capture: this licpath was built without live capture; rebuild with \
             `cargo build --release --features live-capture` (needs libpcap-dev), or record \
             with tcpdump beside the probe"
                .into(),
        ),
        None => Ok(None),
    }
}

/// Stops the capture and says on stderr what it recorded.
#[cfg(feature = "live-capture")]
fn finish_capture(capture: Capture, path: Option<&std::path::Path>, rtt: std::time::Duration) {
    let (Some(c), Some(path)) = (capture, path) else {
        return;
    };
    match c.finish(rtt) {
        Ok(s) => eprintln!(
            "licpath: capture: {} packet{} on {} written to {}{} (licpath analyze {} reads it)",
            s.packets,
            if s.packets == 1 { "" } else { "s" },
            s.device,
            path.display(),
            if s.dropped > 0 {
                format!(", {} dropped by the kernel", s.dropped)
            } else {
                String::new()
            },
            path.display()
        ),
        Err(e) => eprintln!("licpath: warning: {e}"),
    }
}

#[cfg(not(feature = "live-capture"))]
fn finish_capture(_capture: Capture, _path: Option<&std::path::Path>, _rtt: std::time::Duration) {}

/// Fail early on a source binding the kernel refuses: a usage error, not a finding.
fn check_binding(cfg: &licpath::probe::ProbeConfig) -> Result<(), String> {
    if cfg.source_interface.is_some() || cfg.source_address.is_some() {
        let probe_addr = match cfg.source_address {
            Some(std::net::IpAddr::V6(_)) => "[2001:db8::1]:443",
            _ => "192.0.2.1:443",
        };
        licpath::probe::session::bound_socket_std(cfg, probe_addr.parse().expect("literal"))?;
    }
    Ok(())
}

fn tui(args: &TuiArgs) -> Result<u8, String> {
    if !std::io::stdout().is_terminal() {
        return Err("tui needs a terminal (use analyze or probe for scripts)".into());
    }
    let p = &args.probe;
    // One positional that is a file: capture mode.
    if let [only] = p.targets.as_slice()
        && std::path::Path::new(only).is_file()
    {
        if p.capture.is_some() {
            return Err("--capture records a live probe; here the TUI reads a capture file".into());
        }
        let dcfg = diagnose_config(
            p.trust_store.as_deref(),
            p.ca_file.as_deref(),
            p.ios_version,
        )?;
        let acfg = AnalyzeConfig {
            all: true,
            ..AnalyzeConfig::default()
        };
        licpath::tui::run::run_capture(PathBuf::from(only), acfg, dcfg)?;
        return Ok(0);
    }
    let setup = probe_setup(p)?;
    if setup.targets.is_empty() {
        return Err("nothing to probe (the configuration's transport is off?)".into());
    }
    check_binding(&setup.cfg)?;
    // --capture records the whole live session (every round), stopped when the TUI quits.
    let capture = start_capture(p.capture.as_deref(), &setup.cfg, &setup.targets)?;
    let r = licpath::tui::run::run_live(setup.targets, setup.cfg, setup.trust, args.interval);
    finish_capture(capture, p.capture.as_deref(), std::time::Duration::ZERO);
    r?;
    Ok(0)
}

/// The diagnosis settings: a trust store judges every chain; otherwise the built-in IOS
/// XE profile (FN72323 applied for the given release) judges licensing ones. `--ca-file`
/// adds a what-if profile (that profile plus the file's CAs).
fn diagnose_config(
    trust_store: Option<&std::path::Path>,
    ca_file: Option<&std::path::Path>,
    ios_version: Option<IosVersion>,
) -> Result<DiagnoseConfig, String> {
    let pem_profile = |path: &std::path::Path| -> Result<TrustProfile, String> {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        TrustProfile::from_pem(&path.display().to_string(), &pem)
    };
    let trust = match trust_store {
        Some(path) => pem_profile(path)?,
        None => TrustProfile::ios_xe(ios_version),
    };
    let ca_file = match ca_file {
        Some(path) => Some((
            path.display().to_string(),
            trust.with_roots_of(&pem_profile(path)?),
        )),
        None => None,
    };
    Ok(DiagnoseConfig {
        now_unix: now_unix(),
        trust,
        judge_all_chains: trust_store.is_some(),
        ca_file,
        revocation_checked_by: None,
    })
}
