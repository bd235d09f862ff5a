//! `licpath probe` and `licpath check`: the flags (and `--from-config`) merged into one
//! probe configuration (`probe_setup`), the targets probed concurrently, the reports
//! printed, the exit code decided.

use super::args::{NetArgs, OutputFormat, PlanArgs, ProbeArgs, TrustArgs};
use super::error::{CliError, written};
use super::input::{ConfigPlan, diagnose_config, plan_from_config};
use super::{EXIT_FINDINGS, color_of, now_unix, report_stdout};
use crate::diagnose::DiagnoseConfig;
use crate::diagnose::verdict::OverallVerdict;
use crate::escape::esc;
use crate::model::reach::Reach;
use crate::model::url::{Credentials, ProxyAddr};
use crate::model::{EndReason, FindingCode, ResolverOrigin, Severity, Timeline};
use crate::probe::target::{self, Target};
use crate::probe::{ProbeConfig, Timeouts};
use crate::report::{self, RunLine, json, text};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `probe` prints a report per target; `check` one line per target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Probe,
    Check,
}

/// Everything a probe run needs, from the command line (and --from-config).
pub struct ProbeSetup {
    pub targets: Vec<Target>,
    pub cfg: Arc<ProbeConfig>,
    pub trust: DiagnoseConfig,
    pub(crate) from_config: Option<ConfigPlan>,
}

/// The user's preset directories: $XDG_CONFIG_HOME/licpath/probes (default
/// ~/.config/licpath/probes) and `--presets DIR`.
fn preset_dirs(presets: Option<&Path>) -> Result<Vec<PathBuf>, CliError> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = super::config::user_config_dir() {
        dirs.push(dir.join("probes"));
    }
    if let Some(d) = presets {
        if !d.is_dir() {
            return Err(CliError::Usage(format!("{}: not a directory", d.display())));
        }
        dirs.push(d.to_path_buf());
    }
    Ok(dirs)
}

/// Merges the flags with `--from-config`: a flag given overrides what the file says.
pub fn probe_setup(
    plan_args: &PlanArgs,
    net: &NetArgs,
    trust_args: &TrustArgs,
) -> Result<ProbeSetup, CliError> {
    let from_config = match plan_args.from_config.as_slice() {
        [path] if !path.is_dir() => Some(plan_from_config(path, &plan_args.maps)?),
        [] if !plan_args.maps.is_empty() => return Err(needs_from_config()),
        [] => None,
        _ => {
            return Err(CliError::Usage(
                "several --from-config files (or a directory) go with check".into(),
            ));
        }
    };
    setup_with(from_config, plan_args, net, trust_args)
}

/// `probe_setup` once the configuration (if any) is read.
pub(crate) fn setup_with(
    from_config: Option<ConfigPlan>,
    plan_args: &PlanArgs,
    net: &NetArgs,
    trust_args: &TrustArgs,
) -> Result<ProbeSetup, CliError> {
    let dirs = preset_dirs(net.presets.as_deref())?;
    let dir_refs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let presets = target::load_presets(&dir_refs)?;
    let plan = from_config.as_ref().map(|c| &c.plan);
    let targets = match plan {
        // The plan's URLs, parsed where the text was read.
        Some(p) if plan_args.targets.is_empty() => p
            .targets
            .iter()
            .map(|t| Target::of_plan(&t.written, &t.url))
            .collect::<Result<Vec<_>, _>>()?,
        _ if plan_args.targets.is_empty() => vec![target::resolve_target("smart", &presets)?],
        _ => plan_args
            .targets
            .iter()
            .map(|t| target::resolve_target(t, &presets))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let ios_version = trust_args.ios_version.or_else(|| {
        plan.and_then(|p| p.ios_version.as_deref())
            .and_then(|v| v.parse().ok())
    });
    let mut trust = diagnose_config(trust_args, ios_version)?;
    trust.judge_all_chains = true;
    // `revocation-check crl` in the configuration: an unreachable CRL fails the switch.
    trust.revocation_checked_by = plan.and_then(|p| p.revocation_check.clone());
    let plan_proxy = plan.and_then(|p| p.proxy.clone());
    let (proxy, credentials) = proxy_of(net)?;
    let local = |b: Option<&crate::model::switch::Binding>| b.and_then(|b| b.local.clone());
    let secs = std::time::Duration::from_secs_f64;
    let dns_servers_origin = if net.dns_servers.is_empty() {
        ResolverOrigin::SwitchConfig
    } else {
        ResolverOrigin::DnsServer
    };
    let cfg = Arc::new(ProbeConfig {
        dns_servers_origin,
        imitates_switch: from_config.is_some(),
        dns_servers: if net.dns_servers.is_empty() {
            plan.map(|p| {
                p.dns_servers
                    .iter()
                    .map(|ip| std::net::SocketAddr::new(*ip, 53))
                    .collect()
            })
            .unwrap_or_default()
        } else {
            net.dns_servers.clone()
        },
        resolve: net.resolve.clone(),
        ip_hosts: plan.map(|p| p.resolve.clone()).unwrap_or_default(),
        source_interface: net
            .source_interface
            .clone()
            .or_else(|| local(plan.and_then(|p| p.source.as_ref()))),
        source_address: net.source_address,
        dns_source_interface: net
            .dns_source_interface
            .clone()
            .or_else(|| local(plan.and_then(|p| p.dns_source.as_ref()))),
        proxy: proxy.or(plan_proxy).map(|p| ProxyAddr {
            credentials: None,
            ..p
        }),
        proxy_credentials: credentials,
        timeouts: Timeouts {
            dns: secs(net.dns_timeout),
            tcp: secs(net.tcp_timeout),
            proxy: secs(net.proxy_timeout),
            tls: secs(net.tls_timeout),
            http: secs(net.http_timeout),
        },
        dns_retry: net.dns_retry,
        tls_max_12: net.tls_max == "1.2",
        http: !net.no_http,
        accept_any_cert: net.accept_any_cert,
        revocation: !net.no_revocation,
        revocation_any_chain: net.revocation_any_chain,
        revocation_reach: if net.revocation_allow_private {
            Reach::Any
        } else {
            Reach::Public
        },
        ..ProbeConfig::default()
    });
    Ok(ProbeSetup {
        targets,
        cfg,
        trust,
        from_config,
    })
}

/// `--proxy` and `--proxy-user`: the proxy's address and the credentials, from either
/// flag (not both).
fn proxy_of(net: &NetArgs) -> Result<(Option<ProxyAddr>, Option<Credentials>), CliError> {
    let in_url = net.proxy.as_ref().and_then(|p| p.credentials.clone());
    let flag = net.proxy_user.as_deref().map(Credentials::parse);
    let credentials = match (in_url, flag) {
        (Some(u), Some(_)) => {
            return Err(CliError::Usage(format!(
                "--proxy has credentials ({u}) and --proxy-user gives others: give them once"
            )));
        }
        (u, f) => u.or(f),
    };
    Ok((net.proxy.clone(), credentials))
}

fn needs_from_config() -> CliError {
    CliError::Usage("--map and --plan-only go with --from-config FILE".into())
}

/// The flag combinations `probe` and `check` refuse, whether they probe one plan or a
/// fleet (`cli::probe_or_fleet` asks before choosing).
pub(super) fn refuse_misuse(args: &ProbeArgs) -> Result<(), CliError> {
    if args.plan_only && args.plan.from_config.is_empty() {
        return Err(needs_from_config());
    }
    if args.plan_only
        && matches!(
            args.format(),
            OutputFormat::Jsonl | OutputFormat::Prometheus
        )
    {
        return Err(CliError::Usage(
            "--plan-only prints text or json (jsonl and prometheus are per probed target)".into(),
        ));
    }
    Ok(())
}

/// One plan probed (or printed, `--plan-only`), its flags passed by [`refuse_misuse`].
pub fn run(args: &ProbeArgs, mode: Mode) -> Result<u8, CliError> {
    let format = args.format();
    let ProbeSetup {
        targets,
        cfg,
        trust,
        from_config,
    } = probe_setup(&args.plan, &args.net, &args.trust)?;
    let plan_report = from_config.as_ref().map(|c| json::PlanReport {
        file: &c.file,
        plan: &c.plan,
        findings: &c.findings,
    });
    let plan_failed = from_config
        .as_ref()
        .is_some_and(|c| c.findings.iter().any(|f| f.severity == Severity::Error));
    if let Some(pr) = &plan_report
        && (args.plan_only || targets.is_empty())
    {
        let color = match format {
            OutputFormat::Json => text::Color::Never,
            _ => color_of(args.output.color),
        };
        let mut out = report_stdout(color);
        written(if format == OutputFormat::Json {
            json::write_json(
                &mut out,
                "probe",
                EndReason::Completed,
                Vec::new(),
                Some(*pr),
            )
        } else {
            text::write_plan(&mut out, pr.file, pr.plan, pr.findings, color)
        })?;
        // No plan (Smart Licensing off, transport unknown): the text does not decide.
        let plan_undecided = pr
            .findings
            .iter()
            .any(|f| f.code == FindingCode::TextInconclusive);
        return Ok(if plan_failed {
            EXIT_FINDINGS
        } else if plan_undecided {
            super::EXIT_INCONCLUSIVE
        } else {
            0
        });
    }
    check_binding(&cfg)?;
    let capture = start_capture(args.net.capture.as_deref(), &cfg, &targets)?;
    let jobs = targets
        .iter()
        .map(|t| (t.clone(), cfg.clone(), Arc::new(trust.clone())))
        .collect();
    let (timelines, end_reason) = probe_jobs(jobs, usize::from(args.concurrency))?;
    let slowest_rtt = timelines
        .iter()
        .flat_map(|(_, t)| &t.connections)
        .filter_map(|c| c.handshake_rtt_ns)
        .max()
        .unwrap_or(0);
    finish_capture(
        capture,
        args.net.capture.as_deref(),
        std::time::Duration::from_nanos(u64::try_from(slowest_rtt).unwrap_or(0)),
    );
    if end_reason == EndReason::Interrupted {
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
    let command = match mode {
        Mode::Check => "check",
        Mode::Probe => "probe",
    };
    let probed: Vec<(&str, &Timeline)> = labels
        .iter()
        .map(String::as_str)
        .zip(timelines.iter().map(|(_, t)| t))
        .collect();
    let printed = Printed {
        mode,
        command,
        end_reason,
        probed: &probed,
        plan_report,
        from_config: from_config.as_ref().filter(|_| plan_failed),
        switch: from_config.as_ref().and_then(|c| c.hostname.as_deref()),
    };
    let color = match args.format() {
        OutputFormat::Text if mode != Mode::Check => color_of(args.output.color),
        _ => text::Color::Never,
    };
    print_reports(&mut report_stdout(color), args, color, &printed)?;
    let reports: Vec<_> = timelines
        .iter()
        .zip(&labels)
        .map(|((_, t), l)| json::report(l, "live probe", t))
        .collect();
    let inputs = super::handover::input_files(
        args.plan
            .from_config
            .iter()
            .chain(&args.trust.trust_store)
            .chain(&args.trust.ca_file),
    );
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    super::handover::write_documents(&args.handover, command, &reports, &inputs)?;
    if end_reason == EndReason::Interrupted {
        return Ok(130);
    }
    let verdict = json::combine(
        timelines
            .iter()
            .map(|(_, t)| crate::diagnose::verdict::overall_verdict(t))
            .chain(plan_failed.then_some(OverallVerdict::Failed)),
    );
    Ok(super::exit_code(verdict))
}

/// What `probe`/`check` print for one switch's targets.
struct Printed<'a> {
    mode: Mode,
    command: &'a str,
    end_reason: EndReason,
    /// Each target's label and timeline.
    probed: &'a [(&'a str, &'a Timeline)],
    plan_report: Option<json::PlanReport<'a>>,
    /// The configuration, when it has error findings.
    from_config: Option<&'a ConfigPlan>,
    /// The configuration's `hostname`.
    switch: Option<&'a str>,
}

/// Prints the reports in the `--format` asked for.
fn print_reports(
    out: &mut dyn Write,
    args: &ProbeArgs,
    color: text::Color,
    p: &Printed<'_>,
) -> Result<(), CliError> {
    let probed = p.probed;
    match args.format() {
        OutputFormat::Json => {
            let reports = probed
                .iter()
                .map(|(l, t)| json::report(l, "live probe", t))
                .collect();
            written(json::write_json(
                out,
                p.command,
                p.end_reason,
                reports,
                p.plan_report,
            ))
        }
        format @ (OutputFormat::Jsonl | OutputFormat::Prometheus) => {
            let configuration = p.from_config.map(|c| RunLine::Configuration {
                switch: p.switch.unwrap_or(""),
                file: &c.file,
                findings: &c.findings,
            });
            let lines: Vec<RunLine> = configuration
                .into_iter()
                .chain(probed.iter().map(|(l, t)| RunLine::Target {
                    switch: p.switch,
                    target: l,
                    timeline: t,
                }))
                .collect();
            write_monitoring(out, format, p.command, &lines)
        }
        OutputFormat::Text if p.mode == Mode::Check => written(
            probed
                .iter()
                .try_for_each(|(l, t)| writeln!(out, "{}", esc(&report::check_line(l, t)))),
        ),
        OutputFormat::Text => {
            let plan_text = match &p.plan_report {
                Some(pr) => text::write_plan(out, pr.file, pr.plan, pr.findings, color)
                    .and_then(|_| writeln!(out)),
                None => Ok(()),
            };
            written(plan_text.and_then(|_| {
                probed.iter().try_for_each(|(l, t)| {
                    text::write_text(out, l, "live probe", t, color).and_then(|_| writeln!(out))
                })
            }))
        }
    }
}

/// A target's index and its timeline.
type Probed = (usize, Timeline);

/// One probe to run: the target, the probe's settings, the device's trust (shared by every
/// job whose trust is the same: a fleet holds one copy, not one a switch).
pub(crate) type Job = (Target, Arc<ProbeConfig>, Arc<DiagnoseConfig>);

/// Probes the jobs, at most `concurrency` at once; Ctrl-C stops them ("interrupted"). The
/// timelines come back with their job's index, in job order.
pub(crate) fn probe_jobs(
    jobs: Vec<Job>,
    concurrency: usize,
) -> Result<(Vec<Probed>, EndReason), CliError> {
    let mut done: Vec<Probed> = Vec::new();
    let end = probe_each(jobs, concurrency, |i, t| {
        done.push((i, t));
        Ok(())
    })?;
    done.sort_by_key(|(i, _)| *i);
    Ok((done, end))
}

/// Probes the jobs in their order, at most `concurrency` at once, and hands each timeline
/// to `done` as it finishes (with its job's index): only the running probes are held, not
/// one task or timeline per job (issue 28 item 13). Ctrl-C stops them ("interrupted");
/// an error of `done` stops them and is returned.
pub(crate) fn probe_each(
    jobs: Vec<Job>,
    concurrency: usize,
    mut done: impl FnMut(usize, Timeline) -> Result<(), CliError>,
) -> Result<EndReason, CliError> {
    use crate::probe::probe_target;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let now = now_unix();
    let result = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let mut waiting = jobs.into_iter().enumerate();
        let spawn = |set: &mut tokio::task::JoinSet<Probed>, job: Option<(usize, Job)>| {
            if let Some((i, (t, cfg, trust))) = job {
                set.spawn(async move { (i, probe_target(&t, cfg, &trust, now).await) });
            }
        };
        for _ in 0..concurrency.max(1) {
            spawn(&mut set, waiting.next());
        }
        loop {
            tokio::select! {
                r = set.join_next() => match r {
                    Some(r) => {
                        spawn(&mut set, waiting.next());
                        match r {
                            Ok((i, t)) => {
                                if let Err(e) = done(i, t) {
                                    set.abort_all();
                                    return Err(e);
                                }
                            }
                            Err(e) => eprintln!(
                                "licpath: warning: a probe task failed: {}",
                                esc(&e.to_string())
                            ),
                        }
                    }
                    None => return Ok(EndReason::Completed),
                },
                _ = tokio::signal::ctrl_c() => {
                    set.abort_all();
                    return Ok(EndReason::Interrupted);
                }
            }
        }
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

#[cfg(feature = "live-capture")]
pub(crate) type Capture = Option<crate::probe::capture::LiveCapture>;
#[cfg(not(feature = "live-capture"))]
pub(crate) type Capture = Option<std::convert::Infallible>;

/// `--capture`: starts recording before the first packet (an error stops the run).
#[cfg(feature = "live-capture")]
pub(crate) fn start_capture(
    path: Option<&Path>,
    cfg: &ProbeConfig,
    targets: &[Target],
) -> Result<Capture, CliError> {
    use crate::probe::capture;
    let Some(path) = path else { return Ok(None) };
    let ports: Vec<u16> = targets.iter().map(Target::port).collect();
    // DNS leaving from another interface than the sessions needs both: "any".
    let device = match (&cfg.source_interface, &cfg.dns_source_interface) {
        (Some(s), None) => s.as_str(),
        (Some(s), Some(d)) if s == d => s.as_str(),
        _ => "any",
    };
    capture::start(path, device, &capture::filter_for(cfg, &ports))
        .map(Some)
        .map_err(CliError::from)
}

#[cfg(not(feature = "live-capture"))]
pub(crate) fn start_capture(
    path: Option<&Path>,
    _cfg: &ProbeConfig,
    _targets: &[Target],
) -> Result<Capture, CliError> {
    match path {
        Some(_) => Err(CliError::Usage(
            "--capture: this licpath was built without live capture; rebuild with \
             `cargo build --release --features live-capture` (needs libpcap-dev), or record \
             with tcpdump beside the probe"
                .into(),
        )),
        None => Ok(None),
    }
}

/// Stops the capture and says on stderr what it recorded.
#[cfg(feature = "live-capture")]
pub(crate) fn finish_capture(capture: Capture, path: Option<&Path>, rtt: std::time::Duration) {
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
        Err(e) => eprintln!("licpath: warning: {}", esc(&e.to_string())),
    }
}

#[cfg(not(feature = "live-capture"))]
pub(crate) fn finish_capture(_capture: Capture, _path: Option<&Path>, _rtt: std::time::Duration) {}

/// Fail early on a source binding the kernel refuses: a usage error, not a finding.
pub(crate) fn check_binding(cfg: &ProbeConfig) -> Result<(), CliError> {
    if cfg!(not(target_os = "linux"))
        && (cfg.source_interface.is_some() || cfg.dns_source_interface.is_some())
    {
        return Err(CliError::Usage(
            "--source-interface and --dns-source-interface are Linux-only (SO_BINDTODEVICE); \
             use --source-address IP (the interface's address) instead"
                .into(),
        ));
    }
    if cfg.source_interface.is_some() || cfg.source_address.is_some() {
        let probe_addr: std::net::SocketAddr = match cfg.source_address {
            Some(std::net::IpAddr::V6(_)) => (
                std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                443,
            )
                .into(),
            _ => (std::net::Ipv4Addr::new(192, 0, 2, 1), 443).into(),
        };
        crate::probe::session::check_source_binding(cfg, probe_addr)?;
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
            say_repeated(&w);
            Ok(())
        }
        _ => written(report::jsonl::write_jsonl(out, command, lines)),
    }
}

/// A repeated Prometheus series (the first is kept), said on stderr.
pub(crate) fn say_repeated(w: &report::prometheus::Written) {
    if w.duplicates > 0 {
        eprintln!(
            "licpath: warning: {} metric series repeated (two switch texts with the same hostname?): the first kept",
            w.duplicates
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use clap::Parser;

    fn args(a: &[&str]) -> ProbeArgs {
        match Cli::parse_from(std::iter::once("licpath").chain(a.iter().copied())).command {
            Command::Probe(p) | Command::Check(p) => p,
            _ => panic!("not probe"),
        }
    }

    fn setup(a: &[&str]) -> Result<ProbeSetup, CliError> {
        let p = args(a);
        probe_setup(&p.plan, &p.net, &p.trust)
    }

    fn config_file(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("licpath-cli-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    #[test]
    fn defaults_probe_smart_with_the_builtin_profile() {
        let s = setup(&["probe"]).unwrap();
        assert_eq!(s.targets.len(), 1);
        assert!(
            s.targets[0].to_string().contains("smart"),
            "{}",
            s.targets[0]
        );
        assert!(s.trust.judge_all_chains);
        assert!(s.cfg.proxy.is_none() && s.cfg.proxy_credentials.is_none());
        assert_eq!(s.cfg.timeouts.proxy, std::time::Duration::from_secs(15));
        assert!(s.cfg.http && s.cfg.revocation && !s.cfg.tls_max_12);
    }

    #[test]
    fn flags_override_the_configuration() {
        let f = config_file(
            "proxy.txt",
            "license smart transport smart\nlicense smart url smart https://smartreceiver.cisco.com/licservice/license\nlicense smart proxy address 192.0.2.8\nlicense smart proxy port 3128\nip name-server 192.0.2.53\n",
        );
        let s = setup(&["probe", "--from-config", &f]).unwrap();
        assert_eq!(
            s.cfg.proxy.as_ref().map(|p| (p.host.as_str(), p.port)),
            Some(("192.0.2.8", 3128))
        );
        assert_eq!(s.cfg.dns_servers, vec!["192.0.2.53:53".parse().unwrap()]);
        assert!(s.from_config.is_some());
        let s = setup(&[
            "probe",
            "--from-config",
            &f,
            "--proxy",
            "other.example:8080",
            "--dns-server",
            "192.0.2.99",
            "--proxy-user",
            "Aladdin:open sesame",
        ])
        .unwrap();
        assert_eq!(
            s.cfg.proxy.as_ref().map(|p| (p.host.as_str(), p.port)),
            Some(("other.example", 8080))
        );
        assert_eq!(s.cfg.dns_servers, vec!["192.0.2.99:53".parse().unwrap()]);
        // RFC 7617 §2's example.
        assert_eq!(
            s.cfg
                .proxy_credentials
                .as_ref()
                .map(|c| c.basic_authorization()),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".into())
        );
    }

    #[test]
    fn proxy_credentials_from_the_url_or_the_flag_once() {
        let s = setup(&["probe", "--proxy", "http://bob:pw@Proxy.Example:3128"]).unwrap();
        assert_eq!(
            s.cfg.proxy.as_ref().map(|p| (p.host.as_str(), p.port)),
            Some(("proxy.example", 3128))
        );
        let c = s.cfg.proxy_credentials.as_ref().unwrap();
        assert_eq!(c.basic_authorization(), "Basic Ym9iOnB3");
        assert_eq!(c.to_string(), "bob:***");
        let s = setup(&["probe", "--proxy", "p.example:80", "--proxy-user", "bob:pw"]).unwrap();
        let c = s.cfg.proxy_credentials.as_ref().unwrap();
        assert_eq!(c.basic_authorization(), "Basic Ym9iOnB3");
        let e = setup(&[
            "probe",
            "--proxy",
            "http://bob:pw@p.example:80",
            "--proxy-user",
            "eve:other",
        ])
        .err()
        .unwrap();
        assert!(matches!(e, CliError::Usage(_)), "{e:?}");
        assert!(
            !e.to_string().contains(":pw") && !e.to_string().contains("eve"),
            "{e}"
        );
        // A refused value never gets this far: clap refuses it (tests/cli.rs).
        let e = Cli::try_parse_from(["licpath", "probe", "--proxy", "::1"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn misuse_is_a_usage_error() {
        let e = setup(&["probe", "--map", "Vlan10=eth1"]).err().unwrap();
        assert_eq!(
            e.to_string(),
            "--map and --plan-only go with --from-config FILE"
        );
        assert_eq!(e.blame(), crate::model::Blame::Local);
        let e = setup(&["probe", "--presets", "/nonexistent/licpath"])
            .err()
            .unwrap();
        assert!(matches!(e, CliError::Usage(_)), "{e:?}");
        assert!(setup(&["probe", "--from-config", "/nonexistent/licpath"]).is_err());
    }
}
