//! The command line's flags, each documented once: `--help`, the man pages and the shell
//! completions (`cli/docs.rs`) come from these definitions. Flags shared by subcommands live in one
//! struct flattened where they apply, so a subcommand refuses the flags it would ignore.
//! Nothing here touches the OS; value parsers are pure.

use super::proxy::{parse_proxy_arg, parse_proxy_endpoint};
use crate::model::trust::IosVersion;
use crate::model::url::ProxyAddr;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The exit status table: written once, shown by `licpath --help`, `licpath check --help`,
/// the man page's EXIT STATUS section and the README (tests/cli.rs checks the README).
#[macro_export]
#[doc(hidden)]
macro_rules! exit_status {
    () => {
        "Exit status:\n  \
0  OK: licensing was seen to work, no error finding\n  \
1  FAILED: at least one error finding (its step and code are printed)\n  \
2  unusable input or usage error (one line on stderr says which)\n  \
3  INCONCLUSIVE: nothing failed, but nothing proves the path works either (no licensing\n     \
traffic, a capture that ends too early, text that shows no exchange); the output says what\n     \
to run next"
    };
}

/// What `--from-config` reads (every subcommand: one reader, src/ios/config.rs): written
/// once, so `probe`, `check`, `analyze`, `watch` and `tui` describe the same input.
macro_rules! switch_text {
    () => {
        "The switch's own text: `show running-config`, `show license status` (or `show \
license all`, `show license tech support`), `show call-home`, `show version`; any of them, \
several pasted into one file in any order is fine."
    };
}

macro_rules! probe_examples {
    () => {
        "Targets: smart (default), callhome, cslu[@HOST], or a URL such as \
https://onprem.example.com/cslu/v1/pi/VA-1. Presets live in probes/ (embedded); add your own \
as NAME.probe files in ~/.config/licpath/probes or --presets DIR.\n\n\
Examples:\n  \
licpath probe                                   # smart transport, system resolver\n  \
licpath probe --dns-server 10.0.0.53 --proxy proxy.example.com:80\n  \
licpath probe --source-interface eth1 --ios-version 17.3.2 callhome\n  \
licpath probe --trust-store trustpool.pem --resolve smartreceiver.cisco.com=10.9.9.9\n  \
licpath check --json smart callhome > result.json\n  \
licpath probe --from-config show-run.txt --map Vlan10=eth1\n  \
licpath probe --from-config show-tech-license.txt --plan-only"
    };
}

#[derive(Parser, Debug)]
#[command(
    name = "licpath",
    version,
    about = "Why can't a Cisco switch reach Cisco licensing? Proof from the packets.",
    long_about = "licpath reconstructs the path a Catalyst switch takes to Cisco Smart Licensing \
(DNS -> TCP -> HTTP CONNECT -> TLS) from packet captures, names the step that failed with \
evidence, and prints the IOS XE configuration that fixes it.",
    after_help = concat!(
        "Examples:\n  licpath analyze flash-export.pcap\n  licpath analyze --json capture.pcapng > report.json\n  licpath analyze --ios-version 17.3.2 --host onprem.example.com capture.pcap\n\n",
        exit_status!()
    )
)]
pub struct Cli {
    /// Site defaults (--dns-server, --proxy, --trust-store, --concurrency, --format) from
    /// this TOML file instead of $XDG_CONFIG_HOME/licpath/config.toml; flags given on the
    /// command line win. `licpath config show` prints what is in force.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse capture files (.pcap, .pcapng, optionally gzipped; detected by content).
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Do from this host what the switch does (DNS, TCP, CONNECT, TLS, HTTP) and report
    /// each step with timings, evidence and the IOS XE fix.
    #[command(after_help = PROBE_EXAMPLES)]
    Probe(ProbeArgs),
    /// Like probe, one line per target (OK, FAIL with step, finding code and summary, or
    /// INCONCLUSIVE), for scripts and monitoring; the exit status is the worst line's.
    #[command(after_help = concat!(probe_examples!(), "\n\n", exit_status!()))]
    Check(ProbeArgs),
    /// Terminal UI. With a capture file: browse its connections and DNS lookups (ladder,
    /// events, findings). With --watch and --file, --dir or --interface: watch mode, each
    /// licensing attempt judged as it happens (as `licpath watch` does), one row per switch.
    /// Otherwise: live mode, re-probing the targets every --interval seconds like mtr;
    /// takes every probe option (--from-config, --proxy, --dns-server, ...).
    #[command(
        after_help = TUI_EXAMPLES,
        mut_arg("targets", |a| a
            .value_name("CAPTURE|TARGET")
            .help("A capture file to browse (.pcap, .pcapng, gzipped or not; a file that exists is \
a capture), or what to probe live: smart, callhome, cslu, cslu@HOST, a preset or a URL \
(default: smart, or what --from-config derives)."))
    )]
    Tui(TuiArgs),
    /// Judge every licensing attempt of every switch as it happens: one line per attempt
    /// (a connection reaching its verdict, a name lookup answered or given up on), from a
    /// live interface, a capture file still being written (followed like tail -F, with its
    /// rotation set) or a directory where exports land. Runs until SIGINT/SIGTERM (exit
    /// 0); a capture that cannot be opened is exit 2.
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// Print a shell completion script, generated from these flags.
    #[command(after_help = "Examples:\n  \
licpath completions bash > /etc/bash_completion.d/licpath\n  \
licpath completions zsh > \"${fpath[1]}/_licpath\"\n  \
licpath completions fish > ~/.config/fish/completions/licpath.fish")]
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Site defaults: `config show` prints the values in force (--dns-server, --proxy,
    /// --trust-store, --concurrency, --format) and where each came from: the command line,
    /// the config file ($XDG_CONFIG_HOME/licpath/config.toml or --config FILE), or the
    /// built-in default.
    #[command(after_help = CONFIG_EXAMPLE)]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print the man page (roff), generated from these flags: `licpath man > licpath.1`.
    /// With --dir, write licpath.1 and one licpath-SUBCOMMAND.1 page per subcommand there.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `licpath config ...`.
#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Print each site default in force and where it came from.
    Show(ConfigShowArgs),
}

/// The keys of the site config file (`cli/config.rs` reads it), each with the flag (clap
/// id) it stands for and the subcommands it applies to: a property of the flags, so it
/// lives with them. The key is the flag's long name (checked by a test), and `config show`
/// takes exactly these flags, with `check`'s definitions ([`ConfigShowArgs`]).
/// `analyze`'s and `watch`'s --dns-server and --proxy name the *switch's* name server and
/// proxy in a capture from anywhere, so a site default is not applied there; the trust
/// store and the format are.
pub(super) const KEYS: &[(&str, &str, &[&str])] = &[
    ("dns-server", "dns_servers", PROBES),
    ("proxy", "proxy", PROBES),
    ("trust-store", "trust_store", ALL),
    ("concurrency", "concurrency", PROBES),
    ("format", "format", ALL),
];
const PROBES: &[&str] = &["probe", "check", "tui"];
const ALL: &[&str] = &["analyze", "probe", "check", "tui", "watch"];

/// The flags a config file can set ([`KEYS`]), given here to see which wins.
/// They are `check`'s own definitions (value parser, value name, help), taken from
/// [`ProbeArgs`] without their defaults so that an untyped flag stays `None`: one
/// definition serves the file, `config show` and the subcommands.
#[derive(Debug, Default)]
pub struct ConfigShowArgs {
    pub dns_servers: Vec<SocketAddr>,
    /// The value as typed (its parser accepted it), printed masked.
    pub proxy: Option<String>,
    pub trust_store: Option<PathBuf>,
    pub concurrency: Option<u16>,
    pub format: Option<OutputFormat>,
}

impl clap::FromArgMatches for ConfigShowArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        // The derive's own message for a value of the wrong type (a bug, not input).
        let bug = |e: clap::parser::MatchesError| {
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, e)
        };
        Ok(Self {
            dns_servers: m
                .try_get_many::<SocketAddr>("dns_servers")
                .map_err(bug)?
                .into_iter()
                .flatten()
                .copied()
                .collect(),
            // As typed (checked by --proxy's parser), for `config show` to print masked.
            proxy: m
                .try_get_raw("proxy")
                .map_err(bug)?
                .and_then(|mut v| v.next())
                .map(|v| v.to_string_lossy().into_owned()),
            trust_store: m
                .try_get_one::<PathBuf>("trust_store")
                .map_err(bug)?
                .cloned(),
            concurrency: m.try_get_one::<u16>("concurrency").map_err(bug)?.copied(),
            format: m
                .try_get_one::<OutputFormat>("format")
                .map_err(bug)?
                .copied(),
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for ConfigShowArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let check = ProbeArgs::augment_args(clap::Command::new("check"));
        let keys = KEYS.iter().enumerate();
        keys.fold(cmd, |cmd, (order, (_, id, _))| {
            match check.get_arguments().find(|a| a.get_id() == *id) {
                Some(a) => cmd.arg(a.clone().default_value(None).display_order(order)),
                None => cmd,
            }
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

const CONFIG_EXAMPLE: &str = "Example config.toml:\n  \
dns-server = [\"10.0.0.53\", \"10.0.0.54\"]   # the site's name servers\n  \
proxy = \"proxy.example.com:8080\"\n  \
trust-store = \"/etc/licpath/trustpool.pem\"\n  \
concurrency = 8\n  \
format = \"json\"                         # text, json, jsonl, prometheus\n\n\
Examples:\n  \
licpath config show\n  \
licpath config show --format text      # what a --format on the command line would do";

/// The shells `licpath completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

const ANALYZE_EXAMPLES: &str = "Examples:\n  \
licpath analyze flash-export.pcap\n  \
licpath analyze --from-config show-run.txt flash-export.pcap     # the switch's proxy, DNS, URLs\n  \
licpath analyze --proxy 10.0.0.5:3128 --dns-server 10.0.0.53 --switch 10.1.1.1 uplink.pcap\n  \
licpath analyze --logs show-logging.txt --clock-offset 3600 flash-export.pcap";

const WATCH_EXAMPLES: &str = "Examples:\n  \
tcpdump -i eth1 -w /var/tmp/lic.pcap 'port 53 or port 443 or port 3128' &\n  \
licpath watch --file /var/tmp/lic.pcap --from-config sw1.txt --from-config sw2.txt\n  \
licpath watch --file /var/tmp/lic.pcap   # also lic.pcap1, lic.pcap2 (tcpdump -C) or lic_00001_DATE.pcap (dumpcap -b)\n  \
licpath watch --dir /srv/tftp/epc --format jsonl            # EPC exports copied there\n  \
licpath watch --interface eth1 --textfile-dir /var/lib/prometheus/node-exporter\n  \
tcpdump -i eth1 -U -w - | licpath watch --file -\n\n\
Line: time, switch (hostname from --from-config, else address), target, verdict, the code \
of the finding that heads it, duration, evidence frames (file#frame), summary.";

const TUI_EXAMPLES: &str = "Examples:\n  \
licpath tui captures/ssl-interception-tls12.pcap      # browse a capture\n  \
licpath tui --watch --file /var/tmp/lic.pcap --from-config sw1.txt --from-config sw2.txt\n  \
licpath tui --interval 10 --proxy proxy.example.com:80  # live, smart transport\n  \
licpath tui --from-config show-run.txt --map Vlan10=eth1\n\n\
Keys: ? shows them all; q quits. NO_COLOR turns colour off.";

const PROBE_EXAMPLES: &str = probe_examples!();

/// `analyze`: capture files and the switch's logs.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Capture files exported from the switch (monitor capture ... export) or taken anywhere
    /// on the path, or captures pasted as text (EPC buffer output, tshark and Wireshark
    /// text, hex dumps; `-` reads stdin). Each file is analysed on its own.
    #[arg(required_unless_present = "logs", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Text from the switch: `show logging`, `show license eventlog`, `show license tech
    /// support`, `show license history message`, a syslog file. Its messages become
    /// findings; with captures they are lined up with the connections. Repeatable.
    #[arg(long, value_name = "TEXT-FILE")]
    pub logs: Vec<PathBuf>,
    /// With --logs: the switch clock minus the capture's clock, in seconds (e.g. 3600 when
    /// the switch runs on CET and the capture on UTC). Default: estimated by lining up
    /// failure/recovery messages with licensing connections.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub clock_offset: Option<f64>,
    /// Show every connection and DNS exchange, not only those that concern licensing.
    #[arg(long)]
    pub all: bool,
    /// Also treat NAME as a licensing host (an SSM On-Prem server, a CSLU, a proxy name).
    /// Repeatable.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    #[arg(long, value_name = "FILE", help = concat!(switch_text!(), " Read as `probe \
--from-config` reads it. Its proxy, name servers and licensing URLs tell which packets are \
the switch's licensing traffic: a connection to its proxy that never got to CONNECT \
(refused, unanswered, ICMP unreachable), a query its name server failed. Its configuration \
findings join each report, its IOS XE release picks the trust profile (unless \
--ios-version), and a capture without licensing traffic gets an Embedded Packet Capture \
filter with its addresses. The flags below add to what the file says. A proxy or licensing \
URL in it that licpath cannot read refuses the file (exit 2), as probe and check do: read \
without it, the proxy's traffic would pass for direct."))]
    pub from_config: Option<PathBuf>,
    /// The switch's proxy (`license smart proxy address` + `port`): connections to
    /// HOST:PORT that never got to CONNECT are judged as licensing traffic (tcp_refused,
    /// tcp_timeout, tcp_unreachable with the proxy's fix). HOST may be a name: DNS for it
    /// in the capture gives its addresses. Repeatable.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_proxy_endpoint)]
    pub proxy: Vec<ProxyAddr>,
    /// The switch's name server (`ip name-server`): a query to it that went unanswered
    /// or got SERVFAIL/REFUSED/ICMP unreachable is judged as licensing DNS (the switch asks
    /// the same server for the licensing names), whatever name it asked. Repeatable.
    #[arg(long = "dns-server", value_name = "IP")]
    pub dns_servers: Vec<IpAddr>,
    /// The switch's own address, the source of its traffic: only traffic from it is the
    /// switch's (licensing traffic of other hosts on the same link is hidden like any other
    /// host's; --all shows it). Repeatable (several interfaces or a stack).
    #[arg(long = "switch", value_name = "IP")]
    pub switches: Vec<IpAddr>,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to print: text (default), json (one document, same as --json) or jsonl (one
    /// JSON object per line per capture file, for log shippers). prometheus applies to
    /// probe and check only. Schemas: docs/json-schema.md.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
    #[command(flatten)]
    pub handover: super::handover::HandoverArgs,
    /// Also write the capture (exactly one) as pcapng with each finding as a packet
    /// comment on its evidence frames and the verdict in the file's comment: Wireshark
    /// shows the diagnosis (frame.comment). Every frame is kept as it was.
    #[arg(long, value_name = "OUT.pcapng")]
    pub annotate: Option<PathBuf>,
    /// With --annotate: the largest annotated capture to write (bytes, or with K, M, G:
    /// KiB, MiB, GiB). Default: no cap for a plain capture (the copy is about its size);
    /// for a gzip-compressed one 100 times its compressed size plus 16 MiB, so that a gzip
    /// bomb is refused (exit 2) instead of filling the disk.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "annotate")]
    pub max_output: Option<u64>,
    /// How to read a capture pasted as text (docs/text-captures.md): tshark's summary
    /// lines (`brief`, `show monitor capture NAME buffer brief`), a packet list with a
    /// header row (`list`), a detailed dissection (`detailed`, `buffer detailed`, `tshark
    /// -V`) or a hex dump (`hex`, `buffer dump`, `tshark -x`, classic IOS `ADDR: words`).
    /// Default: pcap/pcapng by magic, a text's form by its content.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,
}

/// `--input-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    Auto,
    Brief,
    List,
    Detailed,
    Hex,
}

impl From<InputFormatArg> for crate::capture::text::InputFormat {
    fn from(a: InputFormatArg) -> Self {
        use crate::capture::text::InputFormat as F;
        match a {
            InputFormatArg::Auto => F::Auto,
            InputFormatArg::Brief => F::Brief,
            InputFormatArg::List => F::List,
            InputFormatArg::Detailed => F::Detailed,
            InputFormatArg::Hex => F::Hex,
        }
    }
}

/// `watch`: where the packets come from, the switches' context, the outputs.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "dir", "interface"])))]
pub struct WatchArgs {
    /// A capture still being written (`tcpdump -w FILE`, `dumpcap -w FILE`), followed like
    /// `tail -F`: a partial last record is waited for, a file that shrinks or is replaced
    /// is read anew. Its rotation set is followed too, oldest first: `FILE1`, `FILE2`...
    /// (`tcpdump -C`), `STEM_NNNNN_YYYYMMDDhhmmss.EXT` (`dumpcap -b`), and for a name
    /// with strftime conversions (`tcpdump -G -w cap-%H%M%S.pcap`) every name matching
    /// it. `-` reads standard input to its end.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A directory where capture exports land (EPC `monitor capture ... export`, copied
    /// in): each file is read once, in order of modification time, as a capture of its
    /// own, when it has not grown for 2 s or a newer file landed. Files starting with `.` or ending in `.part`
    /// or `.tmp` are left alone until renamed.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Capture live on this interface (a SPAN/mirror port, or this host's) with an
    /// AF_PACKET socket and a kernel filter for DNS, the licensing ports and the proxies
    /// and name servers of the context (Linux; root or CAP_NET_RAW). A SPAN port must be
    /// promiscuous (`ip link set IFACE promisc on`): licpath warns when it is not.
    #[arg(long, value_name = "IFACE")]
    pub interface: Option<String>,
    #[arg(long, value_name = "FILE", help = concat!(switch_text!(), " Read as `analyze \
--from-config` reads it: its proxy, name servers and URLs tell which packets are licensing \
traffic, and its `hostname` names the lines of its interfaces' addresses. Repeatable: one \
per switch. A proxy or licensing URL in it that licpath cannot read refuses it (exit 2)."))]
    pub from_config: Vec<PathBuf>,
    /// A switch's proxy (`license smart proxy address` + `port`). Repeatable.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_proxy_endpoint)]
    pub proxy: Vec<ProxyAddr>,
    /// A switch's name server (`ip name-server`). Repeatable.
    #[arg(long = "dns-server", value_name = "IP")]
    pub dns_servers: Vec<IpAddr>,
    /// A switch's address: only traffic from these addresses is judged (default: any
    /// source). Repeatable.
    #[arg(long = "switch", value_name = "IP")]
    pub switches: Vec<IpAddr>,
    /// Also treat NAME as a licensing host (an SSM On-Prem server, a CSLU). Repeatable.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Line format on stdout: text, or jsonl (one JSON object per attempt and line; `json`
    /// means the same, as in a site defaults file's `format = "json"`).
    #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
    pub format: WatchFormat,
    /// Write Prometheus metrics (node_exporter's textfile collector) to
    /// DIR/licpath-watch.prom every --interval seconds, atomically (written aside, then
    /// renamed): per switch its attempts, failures by code, last attempt and last success.
    /// DIR must exist (node_exporter's textfile collector directory).
    #[arg(long, value_name = "DIR")]
    pub textfile_dir: Option<PathBuf>,
    /// Seconds between two writes of the metrics file.
    #[arg(long, value_name = "SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    /// Switches tracked at most (memory stays bounded); past it the one quiet longest is
    /// forgotten and counted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_switches: u64,
    /// Seconds without a packet after which a connection is judged as it stands (a SYN
    /// never answered, a handshake that stalled).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,
}

/// `watch --format`. `json` is taken as `jsonl`: watch's JSON is a stream, one object per
/// attempt and line, so a site defaults file's `format = "json"` (what `analyze` and
/// `check` take) gives watch its JSON form instead of exit 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    Text,
    #[value(alias = "json")]
    Jsonl,
}

/// `probe` and `check`.
#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// With --from-config: print the derived plan and the configuration findings, and
    /// probe nothing.
    #[arg(long)]
    pub plan_only: bool,
    /// At most N probes at once (several targets, or `check` over many switches);
    /// identical plans are probed once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to print: text (default; `check`: one line per target), json (one document,
    /// same as --json), jsonl (one JSON object per line per switch × target, for log
    /// shippers) or prometheus (the node_exporter textfile-collector format). Schemas:
    /// docs/json-schema.md, docs/monitoring.md.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
    #[command(flatten)]
    pub handover: super::handover::HandoverArgs,
}

impl AnalyzeArgs {
    /// `--format`, with `--json` as its alias for `--format json`.
    pub fn format(&self) -> OutputFormat {
        match self.format {
            Some(f) => f,
            None if self.output.json => OutputFormat::Json,
            None => OutputFormat::Text,
        }
    }
}

impl ProbeArgs {
    /// `--format`, with `--json` as its alias for `--format json`.
    pub fn format(&self) -> OutputFormat {
        match self.format {
            Some(f) => f,
            None if self.output.json => OutputFormat::Json,
            None => OutputFormat::Text,
        }
    }
}

/// `--format` of analyze, probe and check (`--json` is the short form of `--format
/// json`). analyze refuses prometheus: its reports are per capture file, not per switch ×
/// target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Jsonl,
    Prometheus,
}

/// `tui`: the probe's plan, network and trust flags; no output flags (the screen is the
/// output), so `--json` or `--plan-only` are refused rather than ignored.
#[derive(Args, Debug)]
pub struct TuiArgs {
    /// Seconds between rounds in live mode.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub watch: TuiWatchArgs,
}

/// `tui --watch`: `watch`'s sources and the flags of its context that `tui` has not
/// already (--from-config, --proxy, --dns-server and the trust flags are shared).
#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("watch_source").args(["file", "dir", "interface"])))]
pub struct TuiWatchArgs {
    /// Watch mode: judge each licensing attempt as it completes, as `licpath watch` does
    /// (the same engine and rules), from --file, --dir or --interface. The screen has one
    /// row per switch (last attempt, verdict, streak, last failure's cause) and the
    /// attempts as they come; Enter opens the selected switch's latest attempt in the
    /// capture view. --from-config names the switches, --proxy and --dns-server are the
    /// switches' (one each here).
    #[arg(long, requires = "watch_source")]
    pub watch: bool,
    /// With --watch: a capture still being written, followed like `tail -F` with its
    /// rotation set (as `watch --file`; `-` is standard input).
    #[arg(long, value_name = "FILE", requires = "watch")]
    pub file: Option<PathBuf>,
    /// With --watch: a directory where capture exports land (as `watch --dir`).
    #[arg(long, value_name = "DIR", requires = "watch")]
    pub dir: Option<PathBuf>,
    /// With --watch: capture live on this interface (as `watch --interface`: AF_PACKET,
    /// Linux, root or CAP_NET_RAW).
    #[arg(long, value_name = "IFACE", requires = "watch")]
    pub interface: Option<String>,
    /// With --watch: a switch's address: only its traffic is judged. Repeatable.
    #[arg(long = "switch", value_name = "IP", requires = "watch")]
    pub switches: Vec<IpAddr>,
    /// With --watch: also treat NAME as a licensing host (an SSM On-Prem server, a CSLU).
    /// Repeatable.
    #[arg(long = "host", value_name = "NAME", requires = "watch")]
    pub hosts: Vec<String>,
    /// With --watch: switches shown at most, each with its latest attempt (memory stays
    /// bounded, as `watch --max-switches`); past it the one quiet longest is forgotten.
    #[arg(long, value_name = "N", default_value_t = 1024, requires = "watch", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_switches: u64,
}

/// What to probe: targets, or the switch's own configuration.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// What to probe: smart, callhome, cslu, cslu@HOST, a preset of yours, or a URL.
    /// Default: smart, or what --from-config derives.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    #[arg(long, value_name = "FILE|DIR", help = concat!(switch_text!(), " The plan is \
derived from it: its licensing URL and transport, proxy, name servers, `ip host` entries, \
source interface and VRF, IOS XE release. Flags given here override what the file says. \
`check` takes several (repeat the flag, or give a directory of one text per switch): one \
line per switch and target, named by the text's `hostname`. A proxy or licensing URL in \
the text that licpath cannot read refuses that text (exit 2; an ERROR line per switch with \
several), as analyze does: probing without it would go straight past the switch's \
proxy."))]
    pub from_config: Vec<PathBuf>,
    /// With --from-config: the local interface (or Linux VRF device) standing in for a
    /// switch interface or VRF, e.g. --map Vlan10=eth1 --map Mgmt-vrf=mgmt; repeatable.
    #[arg(long = "map", value_name = "SWITCH=LOCAL")]
    pub maps: Vec<String>,
    /// With a --from-config directory: read only the files whose name matches this glob
    /// (e.g. '*.txt'). Default: every file that holds switch text, decided by its content;
    /// the others are skipped and listed once on stderr.
    #[arg(long, value_name = "GLOB")]
    pub glob: Option<String>,
}

/// How the probe reaches the targets: name servers, source, proxy, timeouts, steps.
#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// Ask this name server (like `ip name-server`); repeatable, asked in order.
    /// Default: the configuration's `ip name-server` (--from-config), else this host's
    /// resolv.conf, whose failure is this host's, not the switch's.
    #[arg(long = "dns-server", value_name = "IP[:PORT]", value_parser = parse_dns_server)]
    pub dns_servers: Vec<SocketAddr>,
    /// Use IP for HOST without DNS (like `ip host HOST IP`); repeatable.
    #[arg(long, value_name = "HOST=IP", value_parser = parse_resolve)]
    pub resolve: Vec<(String, IpAddr)>,
    /// Send from this interface (Linux only: SO_BINDTODEVICE, needs CAP_NET_RAW/root): the
    /// switch's `ip http client source-interface`. A Linux VRF device name works the same
    /// way (`license smart vrf`). DNS queries leave from this interface's address.
    #[arg(long, value_name = "IFACE")]
    pub source_interface: Option<String>,
    /// DNS queries leave from this interface instead (`ip domain lookup source-interface`).
    #[arg(long, value_name = "IFACE")]
    pub dns_source_interface: Option<String>,
    /// Send from this local address.
    #[arg(long, value_name = "IP")]
    pub source_address: Option<IpAddr>,
    /// Go through this HTTP proxy with CONNECT, as `license smart proxy address/port`.
    /// `http://USER:PASSWORD@HOST:PORT` is taken as HOST:PORT with --proxy-user
    /// USER:PASSWORD (the password is never printed).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_proxy_arg)]
    pub proxy: Option<ProxyAddr>,
    /// Basic credentials for the proxy, for testing only: the switch itself cannot
    /// authenticate to a proxy.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub proxy_user: Option<String>,
    /// Seconds to wait for each DNS answer, per try (IOS XE `ip domain timeout`).
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0, value_parser = parse_secs)]
    pub dns_timeout: f64,
    /// How many times an unanswered DNS query is asked again, per name server (IOS XE
    /// `ip domain retry`).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub dns_retry: u32,
    /// Seconds to wait for the TCP handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    pub tcp_timeout: f64,
    /// Seconds to wait for the proxy's answer to CONNECT (it connects upstream first).
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = parse_secs)]
    pub proxy_timeout: f64,
    /// Seconds for the whole TLS handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    pub tls_timeout: f64,
    /// Seconds for the HTTP answer inside TLS.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_secs)]
    pub http_timeout: f64,
    /// Highest TLS version to offer; 1.2 mimics releases before 17.14.
    #[arg(long, value_name = "VERSION", default_value = "1.3", value_parser = ["1.2", "1.3"])]
    pub tls_max: String,
    /// Skip step 5 (the HTTP request inside TLS).
    #[arg(long)]
    pub no_http: bool,
    /// Skip step 6: fetching the chain's CRL distribution points and OCSP responders
    /// (plain HTTP, over the same path), which a switch with `revocation-check crl` needs.
    #[arg(long)]
    pub no_revocation: bool,
    /// Step 6 for a chain the switch refuses too. By default the probe fetches the
    /// revocation URLs of a chain the switch would accept only: the server chose them, and
    /// a switch never checks revocation of a chain it refused.
    #[arg(long)]
    pub revocation_any_chain: bool,
    /// Let step 6 fetch revocation URLs on any port and at loopback, link-local, private
    /// and other non-public addresses (checked again after DNS). By default only public
    /// addresses on port 80 are fetched, except a host the configuration maps with `ip
    /// host` (the switch's internal CRL host), which may be private.
    #[arg(long)]
    pub revocation_allow_private: bool,
    /// Finish the TLS handshake whatever the certificate chain. By default the probe
    /// refuses a chain exactly when the switch would (same rules as the findings) and ends
    /// the handshake with the same alert, so its packets look like the switch's; this
    /// flag lets the HTTP step run behind an interceptor. Findings are unchanged.
    #[arg(long)]
    pub accept_any_cert: bool,
    /// A directory of extra NAME.probe presets.
    #[arg(long, value_name = "DIR")]
    pub presets: Option<PathBuf>,
    /// Record the probe's own packets into this pcap file while it runs (libpcap, on the
    /// --source-interface or on "any"; needs root or CAP_NET_RAW), for `licpath analyze`
    /// or Wireshark. Only in builds with the cargo feature `live-capture`.
    #[arg(long, value_name = "FILE.pcap")]
    pub capture: Option<PathBuf>,
}

/// How certificate chains are judged (every subcommand).
#[derive(Args, Debug, Clone)]
pub struct TrustArgs {
    /// Judge certificate chains against these roots instead of the built-in IOS XE
    /// profile: PEM (`crypto pki trustpool export`, a lab CA) or the text of `show crypto
    /// pki trustpool` (matched by subject name).
    #[arg(long, value_name = "FILE")]
    pub trust_store: Option<PathBuf>,
    /// The switch's IOS XE release (e.g. 17.3.2a): applies Field Notice FN72323 (releases
    /// without the IdenTrust root) to the built-in trust profile.
    #[arg(long, value_name = "VERSION")]
    pub ios_version: Option<IosVersion>,
    /// "Would importing this CA fix it?": when a chain fails against the device's
    /// profile, judge it again with the PEM certificates of this file added, and say
    /// whether `crypto pki authenticate` of that CA would make the switch accept it. The
    /// verdict (and the probe's handshake) stays that of the device as configured now.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

/// How a report is printed (analyze, probe, check).
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// One JSON document on stdout (schema: docs/json-schema.md) instead of text;
    /// messages on stderr.
    // The short form of `--format json`: the two are refused together. The conflict is
    // declared here so that `--format`'s own definition can serve `config show`, which
    // has no `--json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Colour in text output: auto = only on a terminal and when NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A flag value its parser refuses; clap prints it after "invalid value ... for '--flag':".
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("a number of seconds, more than 0 and at most 600")]
    Seconds,
    #[error("{0:?} is not an IP address (IP or IP:PORT, [IPv6]:PORT)")]
    DnsServer(String),
    #[error("{0:?}: expected HOST=IP")]
    ResolveForm(String),
    #[error("{input:?}: {ip:?} is not an IP address")]
    ResolveIp { input: String, ip: String },
    #[error("{0:?}: no host name before '=' (expected HOST=IP)")]
    ResolveNoHost(String),
    #[error("{input:?}: {host:?} is not a host name")]
    ResolveHost { input: String, host: String },
    #[error("expected a size such as 500M, 2G or 1048576, got {0:?}")]
    Size(String),
}

fn parse_secs(s: &str) -> Result<f64, ArgError> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 600.0 => Ok(v),
        _ => Err(ArgError::Seconds),
    }
}

fn parse_dns_server(s: &str) -> Result<SocketAddr, ArgError> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| ArgError::DnsServer(s.to_string()))
}

fn parse_resolve(s: &str) -> Result<(String, IpAddr), ArgError> {
    let (h, ip) = s
        .split_once('=')
        .ok_or_else(|| ArgError::ResolveForm(s.to_string()))?;
    let ip = ip.parse().map_err(|_| ArgError::ResolveIp {
        input: s.to_string(),
        ip: ip.to_string(),
    })?;
    let host = h.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(ArgError::ResolveNoHost(s.to_string()));
    }
    match crate::model::url::parse_host_port(&host) {
        Ok((host, None)) => Ok((host, ip)),
        _ => Err(ArgError::ResolveHost {
            input: s.to_string(),
            host: h.to_string(),
        }),
    }
}

/// `--max-output`: bytes, or a number with K, M or G (KiB, MiB, GiB; a trailing B or iB
/// allowed).
fn parse_size(s: &str) -> Result<u64, ArgError> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| ArgError::Size(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("licpath").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tui_refuses_flags_it_would_ignore() {
        for flag in [
            &["tui", "--json"][..],
            &["tui", "--plan-only"],
            &["tui", "--color", "never"],
        ] {
            let e = parse(flag).expect_err("tui must refuse it");
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::UnknownArgument,
                "{flag:?}"
            );
        }
        let ok = parse(&["tui", "--proxy", "p.example:80", "--ios-version", "17.3.2"]).unwrap();
        let Command::Tui(t) = ok.command else {
            panic!("not tui")
        };
        assert_eq!(
            t.net.proxy.as_ref().map(|p| (p.host.as_str(), p.port)),
            Some(("p.example", 80))
        );
        assert!(t.trust.ios_version.is_some());
    }

    #[test]
    fn tui_watch_takes_one_source_and_the_sources_need_watch() {
        use clap::error::ErrorKind;
        let ok = parse(&[
            "tui", "--watch", "--dir", "/srv/epc", "--switch", "10.0.0.1",
        ])
        .unwrap();
        let Command::Tui(t) = ok.command else {
            panic!("not tui")
        };
        assert!(t.watch.watch);
        assert_eq!(
            t.watch.dir.as_deref(),
            Some(std::path::Path::new("/srv/epc"))
        );
        assert_eq!(t.watch.switches, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        for (args, kind) in [
            (&["tui", "--watch"][..], ErrorKind::MissingRequiredArgument),
            (
                &["tui", "--file", "a.pcap"],
                ErrorKind::MissingRequiredArgument,
            ),
            (
                &["tui", "--watch", "--file", "a", "--dir", "b"],
                ErrorKind::ArgumentConflict,
            ),
        ] {
            let e = parse(args).expect_err("refused");
            assert_eq!(e.kind(), kind, "{args:?}");
        }
    }

    #[test]
    fn shared_flags_reach_every_subcommand() {
        for sub in ["analyze", "probe", "check"] {
            let mut args = vec![sub, "--trust-store", "t.pem", "--json"];
            if sub == "analyze" {
                args.push("x.pcap");
            }
            let cli = parse(&args).unwrap();
            let (trust, output) = match &cli.command {
                Command::Analyze(a) => (&a.trust, &a.output),
                Command::Probe(p) | Command::Check(p) => (&p.trust, &p.output),
                _ => unreachable!(),
            };
            assert_eq!(trust.trust_store, Some(PathBuf::from("t.pem")), "{sub}");
            assert!(output.json, "{sub}");
        }
    }

    #[test]
    fn format_and_its_json_alias() {
        use OutputFormat::*;
        for (args, want) in [
            (&["check"][..], Text),
            (&["check", "--json"], Json),
            (&["probe", "--format", "json"], Json),
            (&["check", "--format", "jsonl"], Jsonl),
            (&["probe", "--format", "prometheus"], Prometheus),
        ] {
            let (Command::Probe(p) | Command::Check(p)) = parse(args).unwrap().command else {
                panic!("not probe")
            };
            assert_eq!(p.format(), want, "{args:?}");
        }
        for bad in [
            &["check", "--json", "--format", "text"][..],
            &["check", "--format", "xml"],
            &["analyze", "--format", "json", "--json", "x.pcap"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        // analyze takes --format too (issue 26: one set of conventions).
        for (args, want) in [
            (&["analyze", "x.pcap"][..], Text),
            (&["analyze", "--json", "x.pcap"], Json),
            (&["analyze", "--format", "jsonl", "x.pcap"], Jsonl),
        ] {
            let Command::Analyze(a) = parse(args).unwrap().command else {
                panic!("not analyze")
            };
            assert_eq!(a.format(), want, "{args:?}");
        }
    }

    #[test]
    fn value_parsers() {
        assert_eq!(
            parse_resolve("Host.Example.=192.0.2.1").unwrap().0,
            "host.example"
        );
        assert!(parse_resolve("host").is_err());
        assert!(parse_resolve("=192.0.2.1").is_err());
        assert!(parse_resolve(".=192.0.2.1").is_err());
        assert!(parse_resolve("bad host=192.0.2.1").is_err());
        assert_eq!(parse_dns_server("192.0.2.53").unwrap().port(), 53);
        assert_eq!(
            parse_dns_server("[2001:db8::53]:5353").unwrap().port(),
            5353
        );
        let endpoint = |s: &str| parse_proxy_endpoint(s).map(|p| (p.host, p.port));
        assert_eq!(
            endpoint("Proxy.Example:3128"),
            Ok(("proxy.example".into(), 3128))
        );
        assert_eq!(
            endpoint("[2001:db8::5]:8080"),
            Ok(("2001:db8::5".into(), 8080))
        );
        assert!(
            parse_proxy_endpoint("proxy.example")
                .unwrap_err()
                .to_string()
                .contains("HOST:PORT")
        );
        assert!(parse_proxy_endpoint("10.0.0.5:0").is_err());
        assert!(
            parse_proxy_endpoint("http://u:secret@10.0.0.5:80")
                .unwrap_err()
                .to_string()
                .contains("cannot authenticate")
        );
        assert!(
            !parse_proxy_endpoint("http://u:secret@10.0.0.5:80")
                .unwrap_err()
                .to_string()
                .contains("secret")
        );
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("601").is_err());
        assert_eq!(parse_secs("2.5"), Ok(2.5));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64kB"), Ok(64 << 10));
        for bad in ["0", "", "M", "-1", "1T", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
