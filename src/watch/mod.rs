//! `licpath watch`: each licensing attempt judged as it completes, from a capture that
//! keeps growing (a live interface, a file still being written, a rotation set, a
//! directory where exports land).
//!
//! The engine here is the same pipeline as `analyze` run incrementally: frames go into
//! one [`Analyzer`] in streaming mode, and each connection it retires (closed and
//! lingered, reset, idle, evicted) and each DNS exchange answered or given up on is judged
//! by the same rules (`diagnose::diagnose_connection_in`, `diagnose::dns::findings`) and
//! becomes one [`Attempt`]. Nothing is kept beyond the live flows, a bounded state per
//! switch ([`Switches`], at most `max_switches`) and bounded memories of recent names and
//! files. No I/O and no clock reads: time comes in with the frames and [`Engine::advance`]
//! (the I/O is in [`follow`] and the CLI).

#[cfg(target_os = "linux")]
pub mod bpf;
pub mod filter;
pub mod follow;
#[cfg(target_os = "linux")]
pub mod packet;

use crate::diagnose::verdict::{OverallVerdict, primary_finding};
use crate::diagnose::{DiagnoseConfig, diagnose_connection_in};
use crate::flow::{AnalyzeConfig, Analyzer, Retired, Retirement};
use crate::model::*;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

/// DNS queries of one client for one name finishing within this window (capture time) are
/// one resolution: the A and AAAA of one lookup, judged together as `analyze` judges a
/// name (one address answer is enough).
const DNS_GROUP_NS: i64 = 1_000_000_000;
/// A name a client resolved this recently still counts as resolved when a straggler of
/// the same lookup (an AAAA given up on after the query timeout) fails.
const RESOLVED_MEMORY_NS: i64 = 40_000_000_000;
/// Names remembered as resolved, at most.
const MAX_RESOLVED: usize = 4_096;
/// Connections judged recently, remembered so that their late packets (a FIN or ACK
/// re-sent after the verdict) are not judged again as a new connection.
const MAX_RECENT: usize = 4_096;
const RECENT_NS: i64 = 60_000_000_000;
/// Files whose frame numbers are remembered for evidence (`file#frame`).
const MAX_FILES: usize = 256;
/// Targets remembered per switch (each with its latest verdict).
const MAX_TARGETS: usize = 16;

/// The retirement `watch` uses by default: a closed connection is judged one second
/// after its last packet, an idle one after a minute, an unanswered query after 10 s
/// (IOS XE gives up after 3 tries of `ip domain timeout` 3 s), and one still going two
/// minutes after its first packet when its next packet comes (no licensing exchange takes
/// that long; its packets would otherwise pile up events for as long as they come).
pub const WATCH_RETIREMENT: Retirement = Retirement {
    closed_linger_ns: 1_000_000_000,
    idle_timeout_ns: 60_000_000_000,
    query_timeout_ns: 10_000_000_000,
    max_attempt_ns: Some(120_000_000_000),
};

/// What the engine runs with.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub acfg: AnalyzeConfig,
    pub dcfg: DiagnoseConfig,
    pub retirement: Retirement,
    /// Switches tracked at most; past it the one quiet longest is forgotten.
    pub max_switches: usize,
    /// Hostnames by address (`--from-config`: the text's `hostname` for its interfaces).
    pub names: HashMap<IpAddr, String>,
}

/// A frame as the sources hand it over, numbered in its own file.
pub struct WatchFrame<'a> {
    pub number: u64,
    pub time_ns: i64,
    pub linktype: u32,
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// A frame of one file: where evidence points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct FrameRef {
    pub file: String,
    pub frame: u64,
}

/// Whether an attempt was a connection or a name lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    Connection,
    Dns,
}

/// One licensing attempt, judged.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: AttemptKind,
    /// Its first packet (the SYN, the query).
    pub start_ns: i64,
    pub duration_ns: i64,
    pub switch: IpAddr,
    /// The hostname of the switch, when a switch text names that address.
    pub switch_name: Option<String>,
    /// `host:port` (through a proxy: `host:port via proxy:port`), or the name looked up.
    pub target: String,
    pub verdict: OverallVerdict,
    pub primary: Option<FindingCode>,
    /// The primary finding's summary.
    pub summary: Option<String>,
    /// The primary finding's evidence frames (else the attempt's first frame).
    pub frames: Vec<FrameRef>,
    pub findings: Vec<Finding>,
    /// The connection as judged (its events and findings): what `tui --watch` opens.
    pub connection: Option<Box<Connection>>,
    /// The lookup's exchanges as judged (a DNS attempt).
    pub lookups: Vec<DnsExchange>,
}

impl Attempt {
    /// The switch's name, or its address.
    pub fn switch_label(&self) -> String {
        self.switch_name
            .clone()
            .unwrap_or_else(|| self.switch.to_string())
    }
}

/// Where the engine hands each attempt the moment it is judged, one at a time: a long
/// capture's end (every live flow judged at once) never holds more than one judged attempt
/// in the engine. A `Vec` collects them.
pub trait AttemptSink {
    fn attempt(&mut self, a: Attempt);
}

impl AttemptSink for Vec<Attempt> {
    fn attempt(&mut self, a: Attempt) {
        self.push(a);
    }
}

/// The latest verdict of one switch to one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetState {
    pub verdict: OverallVerdict,
    pub last_ns: i64,
}

/// What is known of one switch, bounded: counters, the last verdicts, the last failure.
#[derive(Debug, Clone)]
pub struct SwitchState {
    pub label: String,
    pub first_attempt_ns: i64,
    pub last_attempt_ns: i64,
    /// The last connection that succeeded (a lookup alone is no licensing success).
    pub last_success_ns: Option<i64>,
    pub last_verdict: OverallVerdict,
    pub attempts: u64,
    /// Failed attempts by primary code (at most one entry per code).
    pub failures: BTreeMap<FindingCode, u64>,
    /// Consecutive attempts with the last verdict.
    pub streak: u64,
    /// The last failure's primary code and summary.
    pub last_failure: Option<(FindingCode, String)>,
    /// Per target (at most [`MAX_TARGETS`], the stalest forgotten).
    pub targets: BTreeMap<String, TargetState>,
}

/// The switches seen, at most `max` (the one whose last attempt is oldest is forgotten).
#[derive(Debug, Default)]
pub struct Switches {
    pub by_label: BTreeMap<String, SwitchState>,
    pub forgotten: u64,
    max: usize,
}

impl Switches {
    /// At most `max` switches (at least one).
    pub fn new(max: usize) -> Switches {
        Switches {
            max,
            ..Switches::default()
        }
    }

    /// One attempt of a switch: its counters, streak, last failure and target verdicts.
    pub fn record(&mut self, a: &Attempt) {
        let label = a.switch_label();
        if !self.by_label.contains_key(&label) && self.by_label.len() >= self.max.max(1) {
            let stalest = self
                .by_label
                .iter()
                .min_by_key(|(_, s)| s.last_attempt_ns)
                .map(|(k, _)| k.clone());
            if let Some(k) = stalest {
                self.by_label.remove(&k);
                self.forgotten += 1;
            }
        }
        let s = self
            .by_label
            .entry(label.clone())
            .or_insert_with(|| SwitchState {
                label,
                first_attempt_ns: a.start_ns,
                last_attempt_ns: a.start_ns,
                last_success_ns: None,
                last_verdict: a.verdict,
                attempts: 0,
                failures: BTreeMap::new(),
                streak: 0,
                last_failure: None,
                targets: BTreeMap::new(),
            });
        s.attempts += 1;
        s.streak = if s.attempts > 1 && s.last_verdict == a.verdict {
            s.streak + 1
        } else {
            1
        };
        s.last_verdict = a.verdict;
        s.first_attempt_ns = s.first_attempt_ns.min(a.start_ns);
        s.last_attempt_ns = s.last_attempt_ns.max(a.start_ns);
        if a.verdict == OverallVerdict::Ok && a.kind == AttemptKind::Connection {
            s.last_success_ns = Some(s.last_success_ns.unwrap_or(a.start_ns).max(a.start_ns));
        }
        if a.verdict == OverallVerdict::Failed
            && let Some(code) = a.primary
        {
            *s.failures.entry(code).or_default() += 1;
            s.last_failure = Some((code, a.summary.clone().unwrap_or_default()));
        }
        if !s.targets.contains_key(&a.target) && s.targets.len() >= MAX_TARGETS {
            let stalest = s
                .targets
                .iter()
                .min_by_key(|(_, t)| t.last_ns)
                .map(|(k, _)| k.clone());
            if let Some(k) = stalest {
                s.targets.remove(&k);
            }
        }
        s.targets.insert(
            a.target.clone(),
            TargetState {
                verdict: a.verdict,
                last_ns: a.start_ns,
            },
        );
    }
}

/// DNS exchanges of one client for one name, waiting for the rest of their lookup.
struct DnsGroup {
    exchanges: Vec<DnsExchange>,
    /// When the first of them finished (capture time).
    first_done_ns: i64,
}

/// Global frame numbers → (file, frame in that file), for the last [`MAX_FILES`] files.
#[derive(Default)]
struct Files {
    /// (first global frame number of the file, its name).
    starts: VecDeque<(u64, String)>,
}

impl Files {
    fn locate(&self, global: u64) -> Option<FrameRef> {
        let i = self.starts.partition_point(|(start, _)| *start <= global);
        let (start, name) = self.starts.get(i.checked_sub(1)?)?;
        Some(FrameRef {
            file: name.clone(),
            frame: global - start + 1,
        })
    }
}

/// What an [`Engine`] holds at one moment, counted ([`Engine::held`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineHeld {
    pub analyzer: crate::flow::HeldCounts,
    pub dns_groups: usize,
    pub resolved: usize,
    pub recent: usize,
    pub files: usize,
    pub switches: usize,
    pub targets: usize,
}

/// The incremental pipeline: frames in, judged attempts out.
pub struct Engine {
    cfg: WatchConfig,
    analyzer: Analyzer,
    retired: Rc<RefCell<Vec<Retired>>>,
    groups: HashMap<(IpAddr, String), DnsGroup>,
    /// (client, name) → when it last resolved.
    resolved: HashMap<(IpAddr, String), (i64, DnsExchange)>,
    /// Connections judged lately: (client, server) → when their last packet was.
    recent: HashMap<(SocketAddr, SocketAddr), i64>,
    recent_order: VecDeque<(SocketAddr, SocketAddr)>,
    files: Files,
    /// Frames handed to the analyzer, across files.
    frames: u64,
    last_ns: Option<i64>,
    pub switches: Switches,
    /// Late packets of connections already judged, not judged again.
    pub remnants: u64,
}

impl Engine {
    pub fn new(cfg: WatchConfig) -> Engine {
        let retired = Rc::new(RefCell::new(Vec::new()));
        let analyzer = new_analyzer(&cfg, &retired);
        Engine {
            switches: Switches::new(cfg.max_switches),
            cfg,
            analyzer,
            retired,
            groups: HashMap::new(),
            resolved: HashMap::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            files: Files::default(),
            frames: 0,
            last_ns: None,
            remnants: 0,
        }
    }

    /// A file starts: its frames are numbered from 1 in evidence.
    pub fn file_started(&mut self, name: &str) {
        if self.files.starts.len() == MAX_FILES {
            self.files.starts.pop_front();
        }
        self.files
            .starts
            .push_back((self.frames + 1, name.to_string()));
    }

    /// One frame; attempts it completed go to `out`.
    pub fn frame(&mut self, f: WatchFrame<'_>, out: &mut dyn AttemptSink) {
        self.frames += 1;
        self.last_ns = Some(self.last_ns.map_or(f.time_ns, |l| l.max(f.time_ns)));
        self.analyzer
            .frame(self.frames, f.time_ns, f.linktype, f.data, f.orig_len);
        self.drain(None, out);
        let settled = self.analyzer.settled_ns(f.time_ns);
        self.release_groups(settled, out);
    }

    /// The capture clock is at `now_ns` with no new frame: retires what waited enough.
    pub fn advance(&mut self, now_ns: i64, out: &mut dyn AttemptSink) {
        self.analyzer.advance(now_ns);
        self.drain(None, out);
        let settled = self.analyzer.settled_ns(now_ns);
        self.release_groups(settled, out);
    }

    /// The capture is over (an export of its own, a file replaced, the end of the watch):
    /// what is still open is judged as `analyze` judges the end of a file, and a new
    /// analyzer starts for what comes next. Switch states stay.
    pub fn end_capture(&mut self, out: &mut dyn AttemptSink) {
        let analyzer =
            std::mem::replace(&mut self.analyzer, new_analyzer(&self.cfg, &self.retired));
        let end = analyzer.last_ns().or(self.last_ns);
        // Each connection judged and handed over as it is finished, not all of them held
        // until the last is.
        let t = analyzer.finish_with(Source::Capture { files: Vec::new() }, || {
            self.judge_retired(end, out);
        });
        self.retired
            .borrow_mut()
            .extend(t.dns.into_iter().map(Retired::Dns));
        self.drain(end, out);
        self.release_groups(i64::MAX, out);
        self.last_ns = None;
    }

    /// The judged attempts of what the analyzer retired. `capture_end`: the capture ended
    /// there (else it goes on, and a step still waiting has simply timed out).
    fn drain(&mut self, capture_end: Option<i64>, out: &mut dyn AttemptSink) {
        self.judge_retired(capture_end, out);
        if capture_end.is_some() {
            self.release_groups_at_end(capture_end, out);
        }
    }

    /// The connections retired so far judged (handed to `out`), their lookups grouped.
    fn judge_retired(&mut self, capture_end: Option<i64>, out: &mut dyn AttemptSink) {
        let retired = std::mem::take(&mut *self.retired.borrow_mut());
        for r in retired {
            match r {
                Retired::Connection(c) => {
                    if let Some(a) = self.connection(c, capture_end) {
                        self.switches.record(&a);
                        out.attempt(a);
                    }
                }
                Retired::Dns(d) if d.licensing => {
                    let done = d.response.as_ref().map_or(d.query_ns, |r| r.time_ns);
                    let key = (d.client.ip(), d.name.to_ascii_lowercase());
                    self.groups
                        .entry(key)
                        .or_insert_with(|| DnsGroup {
                            exchanges: Vec::new(),
                            first_done_ns: done,
                        })
                        .exchanges
                        .push(d);
                }
                Retired::Dns(_) => {}
            }
        }
    }

    fn connection(&mut self, mut c: Connection, capture_end: Option<i64>) -> Option<Attempt> {
        if !c.licensing {
            return None;
        }
        let key = (c.client, c.server);
        if c.state == TcpState::StartNotCaptured
            && c.bytes_to_server == 0
            && c.bytes_to_client == 0
            && self
                .recent
                .get(&key)
                .is_some_and(|&t| c.start_ns - t < RECENT_NS)
        {
            self.remnants += 1;
            return None;
        }
        self.remember(key, c.end_ns);
        // Its long strings within the attempt's own budget, before the findings copy them.
        let whole = crate::model::long_strings::ATTEMPT_LONG_STRINGS;
        let mut left = whole;
        crate::model::long_strings::bound_connection(&mut c, &mut left, whole);
        diagnose_connection_in(&mut c, &self.cfg.dcfg, capture_end);
        let verdict = match c.verdict {
            Verdict::Ok => OverallVerdict::Ok,
            Verdict::Failed => OverallVerdict::Failed,
            Verdict::Unknown => OverallVerdict::Inconclusive,
        };
        let primary = primary_finding(&c.findings);
        let frames = self.evidence_frames(primary, c.first_frame);
        let target = connection_target(&c);
        Some(Attempt {
            kind: AttemptKind::Connection,
            start_ns: c.start_ns,
            duration_ns: c.end_ns.saturating_sub(c.start_ns).max(0),
            switch: c.client.ip(),
            switch_name: self.cfg.names.get(&c.client.ip()).cloned(),
            target,
            verdict,
            primary: primary.map(|p| p.code),
            summary: primary.map(|p| p.summary.clone()),
            frames,
            findings: c.findings.clone(),
            connection: Some(Box::new(c)),
            lookups: Vec::new(),
        })
    }

    /// The primary finding's evidence frames, else the attempt's first frame.
    fn evidence_frames(&self, primary: Option<&Finding>, first: Option<u64>) -> Vec<FrameRef> {
        let mut frames: Vec<FrameRef> = primary
            .map(|p| {
                p.evidence
                    .iter()
                    .filter_map(|e| e.frame)
                    .filter_map(|f| self.files.locate(f))
                    .collect()
            })
            .unwrap_or_default();
        if frames.is_empty() {
            frames.extend(first.and_then(|f| self.files.locate(f)));
        }
        frames
    }

    fn remember(&mut self, key: (SocketAddr, SocketAddr), end_ns: i64) {
        if self.recent_order.len() >= MAX_RECENT
            && let Some(old) = self.recent_order.pop_front()
        {
            self.recent.remove(&old);
        }
        if self.recent.insert(key, end_ns).is_none() {
            self.recent_order.push_back(key);
        }
    }

    /// Lookups whose window has passed at `now_ns` are judged.
    fn release_groups(&mut self, now_ns: i64, out: &mut dyn AttemptSink) {
        if self.groups.is_empty() {
            return;
        }
        let ready: Vec<(IpAddr, String)> = self
            .groups
            .iter()
            .filter(|(_, g)| now_ns.saturating_sub(g.first_done_ns) > DNS_GROUP_NS)
            .map(|(k, _)| k.clone())
            .collect();
        for key in ready {
            if let Some(g) = self.groups.remove(&key)
                && let Some(a) = self.lookup(key, g, None)
            {
                out.attempt(a);
            }
        }
    }

    fn release_groups_at_end(&mut self, capture_end: Option<i64>, out: &mut dyn AttemptSink) {
        let all: Vec<_> = self.groups.drain().collect();
        for (key, g) in all {
            if let Some(a) = self.lookup(key, g, capture_end) {
                out.attempt(a);
            }
        }
    }

    /// One lookup judged by the DNS rules, as `analyze` judges its name.
    fn lookup(
        &mut self,
        key: (IpAddr, String),
        g: DnsGroup,
        capture_end: Option<i64>,
    ) -> Option<Attempt> {
        let mut exchanges = g.exchanges;
        exchanges.sort_by_key(|d| (d.query_ns, d.query_frame));
        let first = exchanges.first()?.clone();
        let resolves = DnsExchange::answered_an_address;
        let resolved_now = exchanges.iter().any(resolves);
        let end_ns = exchanges
            .iter()
            .map(|d| d.response.as_ref().map_or(d.query_ns, |r| r.time_ns))
            .max()
            .unwrap_or(first.query_ns);
        let mut judged = exchanges.clone();
        if resolved_now {
            if let Some(d) = exchanges.iter().find(|d| resolves(d)) {
                self.remember_resolved(key.clone(), end_ns, d.clone());
            }
        } else if let Some((t, d)) = self.resolved.get(&key)
            && first.query_ns - t < RESOLVED_MEMORY_NS
        {
            // A straggler of a lookup that already resolved: judged with its answer.
            judged.insert(0, d.clone());
        }
        let mut t = Timeline::empty(Source::Capture { files: Vec::new() });
        t.dns = judged;
        let findings =
            crate::diagnose::dns::findings(&t, &BTreeMap::new(), &self.cfg.dcfg, capture_end);
        let error = findings.iter().any(|f| f.severity == Severity::Error);
        let resolved = t.dns.iter().any(resolves);
        let verdict = if error {
            OverallVerdict::Failed
        } else if resolved {
            OverallVerdict::Ok
        } else if findings.is_empty() {
            // Not an address lookup (nothing the rules judge): no attempt.
            return None;
        } else {
            OverallVerdict::Inconclusive
        };
        let primary = primary_finding(&findings);
        let frames = self.evidence_frames(primary, first.query_frame);
        let a = Attempt {
            kind: AttemptKind::Dns,
            start_ns: first.query_ns,
            duration_ns: end_ns.saturating_sub(first.query_ns).max(0),
            switch: key.0,
            switch_name: self.cfg.names.get(&key.0).cloned(),
            target: first.name.trim_end_matches('.').to_string(),
            verdict,
            primary: primary.map(|p| p.code),
            summary: primary.map(|p| p.summary.clone()),
            frames,
            findings,
            connection: None,
            lookups: t.dns,
        };
        self.switches.record(&a);
        Some(a)
    }

    fn remember_resolved(&mut self, key: (IpAddr, String), t: i64, d: DnsExchange) {
        if self.resolved.len() >= MAX_RESOLVED && !self.resolved.contains_key(&key) {
            let horizon = t - RESOLVED_MEMORY_NS;
            self.resolved.retain(|_, (when, _)| *when >= horizon);
            if self.resolved.len() >= MAX_RESOLVED {
                self.resolved.clear();
            }
        }
        self.resolved.insert(key, (t, d));
    }

    /// What the engine holds now: the analyzer's counts and its own tables.
    pub fn held(&self) -> EngineHeld {
        EngineHeld {
            analyzer: self.analyzer.held(),
            dns_groups: self.groups.len(),
            resolved: self.resolved.len(),
            recent: self.recent.len(),
            files: self.files.starts.len(),
            switches: self.switches.by_label.len(),
            targets: self
                .switches
                .by_label
                .values()
                .map(|s| s.targets.len())
                .sum(),
        }
    }

    /// Frames read so far, across files.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

fn new_analyzer(cfg: &WatchConfig, retired: &Rc<RefCell<Vec<Retired>>>) -> Analyzer {
    let mut a = Analyzer::new(cfg.acfg.clone());
    a.set_retirement(cfg.retirement);
    let sink = retired.clone();
    a.set_stream_sink(move |r| sink.borrow_mut().push(r));
    a
}

/// Where a connection went: `host:port`, through a proxy `host:port via proxy:port`, and
/// to a configured proxy that was never asked for a tunnel `proxy proxy:port`.
fn connection_target(c: &Connection) -> String {
    let server = match &c.server_name {
        Some(n) if c.proxy_target.is_none() => {
            crate::model::url::authority(n.trim_end_matches('.'), c.server.port())
        }
        _ => c.server.to_string(),
    };
    match &c.proxy_target {
        Some(t) => format!("{t} via {server}"),
        None if c.configured_proxy => format!("proxy {server}"),
        None => server,
    }
}

#[cfg(test)]
pub(crate) mod tests;
