//! DNS rules, per name (RFC 1035 §4.1.1 for the response codes): a name that got no A or
//! AAAA answer is `dns_nxdomain`, `dns_servfail` (SERVFAIL or REFUSED), `dns_timeout`
//! (silence, or ICMP instead of an answer) or `dns_no_address`. The switch logs 'Unable to
//! resolve server hostname/domain name' (CALL_HOME ERR 218) for all of them. A revocation
//! host that does not resolve is judged by `revocation` instead. A name asked once, not
//! yet retried, when the capture stopped is `capture_ended`: the answer may simply not have
//! been captured.
//!
//! Before these rules run, [`judge_name_servers`] decides which exchanges with a configured
//! name server are the switch's licensing DNS: the flow tracker records every exchange
//! with one and calls it as exchanges finish (at the end of a file, or as `watch` streams).

use super::DiagnoseConfig;
use super::revocation;
use crate::model::context::AnalysisContext;
use crate::model::time::{MsPrecision::Whole, ms};
use crate::model::*;
use std::collections::{BTreeMap, HashSet};

/// What to configure when `name` does not resolve: the static entry names the name that
/// failed (a proxy's name, tools.cisco.com), not always smartreceiver (principle 7: fixes
/// built from the evidence).
fn dns_remedy(name: &str) -> [String; 3] {
    [
        "ip name-server <dns-server-ip>            ! or: ip name-server vrf <VRF> <dns-server-ip>"
            .into(),
        "ip domain lookup source-interface <interface-that-reaches-the-dns-server>".into(),
        format!(
            "ip host {name} <ip>      ! last resort: a static entry goes stale when the addresses change"
        ),
    ]
}

/// One finding per name asked for an address that never resolved. One successful answer
/// for a name (A or AAAA) is enough. `capture_end_ns`: the capture's last packet (`None`
/// outside a capture).
pub fn findings(
    t: &Timeline,
    revocation_hosts: &BTreeMap<String, RevocationKind>,
    cfg: &DiagnoseConfig,
    capture_end_ns: Option<i64>,
) -> Vec<Finding> {
    let mut names: Vec<&str> = t.dns.iter().map(|d| d.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    // An egress-only capture (SPAN of one direction, `match ... outbound`) cannot show
    // answers: unanswered queries then prove nothing about the DNS server.
    let one_direction = t.connections.iter().any(|c| c.one_direction);
    let mut out = Vec::new();
    for name in names {
        let exchanges: Vec<&DnsExchange> = t.dns.iter().filter(|d| d.name == name).collect();
        let resolved = exchanges.iter().any(|d| d.answered_an_address());
        if resolved {
            out.extend(retried(name, &exchanges));
            continue;
        }
        if !exchanges.iter().any(|d| asks_address(d)) {
            continue;
        }
        let rcodes: Vec<DnsRcode> = exchanges
            .iter()
            .filter_map(|d| d.response.as_ref().map(|r| r.rcode))
            .collect();
        let evidence = evidence(name, &exchanges);
        if let Some(kind) = revocation_hosts.get(&name.to_ascii_lowercase()) {
            let reason = if rcodes.is_empty() {
                "no answer".to_string()
            } else {
                rcode_names(&rcodes)
            };
            out.push(revocation::dns_finding(name, &reason, evidence, *kind, cfg));
            continue;
        }
        // In a one-direction capture the missing answers are explained by that (below).
        let capture_end_ns = capture_end_ns.filter(|_| !one_direction);
        if let Some(ended) = capture_end_ns.and_then(|end| ended(name, &exchanges, end)) {
            out.push(ended.evidence(evidence));
            continue;
        }
        let finding = unresolved(name, &exchanges, &rcodes, one_direction);
        out.push(
            match t.vantage.as_ref() {
                Some(v) if v.resolver_origin == ResolverOrigin::ResolvConf => {
                    this_hosts_resolver(finding, v)
                }
                _ => finding,
            }
            .evidence(evidence),
        );
    }
    out
}

/// A live probe that asked this host's own name servers (resolv.conf), not the switch's:
/// the failure is this host's (`Blame::Local`) and says nothing about whether the switch
/// resolves the name, so no switch command is offered as the fix.
fn this_hosts_resolver(f: Finding, v: &Vantage) -> Finding {
    let summary = format!(
        "this host's resolver ({}, from resolv.conf): {}",
        v.resolver_list(),
        f.summary
    );
    let why = format!(
        "This probe asked the name servers of this host's resolv.conf, not the switch's: the failure is this host's own and says nothing about whether the switch can resolve the name. What this host's resolver did: {}",
        f.summary
    );
    let mut f = f.explain(why).blame(Blame::Local);
    f.summary = summary;
    f.remediation = THIS_HOST_REMEDY.iter().map(|s| s.to_string()).collect();
    f
}

const THIS_HOST_REMEDY: &[&str] = &[
    "licpath probe --dns-server <the switch's ip name-server> ...   ! ask the switch's name server from this host",
    "licpath probe --from-config <show running-config> ...          ! imitate the switch's DNS, source interface and proxy",
    "! this host: check /etc/resolv.conf and its resolver (resolvectl status, systemctl status systemd-resolved)",
];

/// `capture_ended` for a name asked once (no query re-sent, none answered, no ICMP) less
/// than [`super::capture::CAPTURE_ENDED_WAIT_NS`] before the capture's last packet: the
/// resolver was still within its first wait (IOS XE: `ip domain timeout`, 3 s by default)
/// when the capture stopped. A re-sent query shows the client itself saw no answer in time,
/// so that stays `dns_timeout`.
fn ended(name: &str, exchanges: &[&DnsExchange], capture_end_ns: i64) -> Option<Finding> {
    let waiting = exchanges
        .iter()
        .all(|d| d.response.is_none() && d.unreachable.is_none() && d.unusable_answer.is_none());
    let mut per_type: Vec<(DnsType, u32)> = Vec::new();
    for d in exchanges {
        match per_type.iter_mut().find(|(q, _)| *q == d.qtype) {
            Some((_, sent)) => *sent = sent.saturating_add(d.retries.saturating_add(1)),
            None => per_type.push((d.qtype, d.retries.saturating_add(1))),
        }
    }
    let asked_once = per_type.iter().all(|(_, sent)| *sent == 1);
    let first = exchanges.iter().map(|d| d.query_ns).min()?;
    let waited = capture_end_ns.saturating_sub(first);
    if !waiting || !asked_once || waited >= super::capture::CAPTURE_ENDED_WAIT_NS {
        return None;
    }
    let waited = ms(waited, Whole);
    Some(super::capture::ended_finding(
        format!(
            "the capture ended {waited} after the DNS query for {name}, before any answer or retry: not a DNS timeout, the answer may simply not have been captured"
        ),
        format!(
            "The query was sent once and the capture's last packet came {waited} later, before the resolver's first wait was over (IOS XE: 'ip domain timeout', 3 s by default, then 'ip domain retry' more tries). Nothing here shows whether the name server answers."
        ),
    ))
}

fn asks_address(d: &DnsExchange) -> bool {
    d.qtype.is_address()
}

/// Each address query for `name`: its answer's code, or that it went unanswered.
fn evidence(name: &str, exchanges: &[&DnsExchange]) -> Vec<Evidence> {
    exchanges
        .iter()
        .filter(|d| asks_address(d))
        .map(|d| match &d.response {
            Some(r) => Evidence {
                frame: r.frame,
                time_ns: r.time_ns,
                what: format!("{} {} from {} -> {}", d.qtype, name, d.server, r.rcode),
                log: None,
            },
            None => Evidence {
                frame: d.query_frame,
                time_ns: d.query_ns,
                what: format!(
                    "{} {} to {} unanswered ({} retr{}){}",
                    d.qtype,
                    name,
                    d.server,
                    d.retries,
                    if d.retries == 1 { "y" } else { "ies" },
                    d.unreachable
                        .as_deref()
                        .or(d.unusable_answer.as_deref())
                        .map(|u| format!(": {u}"))
                        .unwrap_or_default()
                ),
                log: None,
            },
        })
        .collect()
}

/// `dns_retried` (info) for a name that resolved only after a query was asked again: each
/// earlier try went unanswered for as long as the resolver waits (lost, or answered later
/// than that). Not an error: the switch got its address, `ip domain timeout` (3 s) per
/// unanswered try later; a path that loses more would exhaust `ip domain retry`.
fn retried(name: &str, exchanges: &[&DnsExchange]) -> Option<Finding> {
    let late: Vec<(&DnsExchange, &DnsResponse)> = exchanges
        .iter()
        .filter(|d| asks_address(d) && d.retries > 0)
        .filter_map(|d| d.response.as_ref().map(|r| (*d, r)))
        .collect();
    let (last, r) = late.iter().max_by_key(|(d, _)| d.retries)?;
    let after = |d: &DnsExchange, r: &DnsResponse| (r.time_ns - d.query_ns) as f64 / 1e9;
    let unanswered = match last.retries {
        1 => "the first query went unanswered".to_string(),
        n => format!("the first {n} queries went unanswered"),
    };
    let summary = format!(
        "{name} resolved on try {}: {unanswered}, the answer came {:.1} s after the first query",
        last.retries + 1,
        after(last, r)
    );
    let evidence = late
        .iter()
        .map(|(d, r)| Evidence {
            frame: r.frame,
            time_ns: r.time_ns,
            what: format!(
                "{} {name} from {} -> {} on try {}, {:.1} s after the first query",
                d.qtype,
                d.server,
                r.rcode,
                d.retries + 1,
                after(d, r)
            ),
            log: None,
        })
        .collect::<Vec<_>>();
    Some(
        Finding::new(FindingCode::DnsRetried, Severity::Info, Step::Dns, summary)
            .explain("The name server's answer came only after the query was asked again: the earlier try was lost on the way (to or from the server) or answered later than the resolver waited. The switch waits 'ip domain timeout' (3 s by default) per try and asks 'ip domain retry' (2) more times, so it got its address, seconds late; a path that loses more queries would exhaust the retries and log 'Unable to resolve server hostname/domain name'.")
            .fix([
                "ping <dns-server-ip> repeat 100 source <lookup-source-interface>   ! loss toward the name server?",
                "ip domain retry 2   ! the default; do not lower it on this path",
            ])
            .evidence(evidence),
    )
}

/// Response codes as the summaries list them: `SERVFAIL, REFUSED`.
fn rcode_names(rcodes: &[DnsRcode]) -> String {
    let names: Vec<String> = rcodes.iter().map(DnsRcode::to_string).collect();
    names.join(", ")
}

/// The finding for a name that did not resolve, from the response codes seen (`rcodes`).
fn unresolved(
    name: &str,
    exchanges: &[&DnsExchange],
    rcodes: &[DnsRcode],
    one_direction: bool,
) -> Finding {
    let severity = if exchanges.iter().any(|d| d.licensing) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let finding = |code, summary: String, why: &str| {
        Finding::new(code, severity, Step::Dns, summary)
            .explain(why)
            .fix(dns_remedy(name))
    };
    let icmp = exchanges.iter().find_map(|d| d.unreachable.as_deref());
    if rcodes.contains(&DnsRcode::NXDOMAIN) {
        finding(
            FindingCode::DnsNxdomain,
            format!("{name} does not exist according to the DNS server (NXDOMAIN)"),
            "The name server answered that the name does not exist. The switch logs 'Unable to resolve server hostname/domain name' (CALL_HOME ERR 218). Usually a wrong or internal-only DNS server, or a split-horizon zone without the Cisco names.",
        )
    } else if rcodes
        .iter()
        .any(|r| *r == DnsRcode::SERVFAIL || *r == DnsRcode::REFUSED)
    {
        finding(
            FindingCode::DnsServfail,
            format!(
                "the DNS server failed or refused to resolve {name} ({})",
                rcode_names(rcodes)
            ),
            "SERVFAIL means the server could not get an answer upstream; REFUSED that it will not answer this client (recursion not allowed for the switch's address). The switch cannot resolve the licensing name.",
        )
    } else if let Some(chain) = cname_loop(name, exchanges) {
        finding(
            FindingCode::DnsCnameLoop,
            format!("the DNS answer for {name} is a CNAME loop: {chain}"),
            "The answer holds CNAME records that lead back to a name already in the chain, so no A or AAAA record can ever be reached: the switch's resolver gives up as if the name had no address and logs 'Unable to resolve server hostname/domain name'. A broken zone, or a name server or middlebox forging answers.",
        )
    } else if let Some(what) = truncation(exchanges) {
        finding(
            FindingCode::DnsTruncated,
            format!(
                "the DNS answer for {name} was truncated (TC bit) and the retry over TCP failed: {what}"
            ),
            "The UDP answer had the TC bit set (it did not fit), so a resolver asks again over TCP (RFC 1035 §4.2.2, RFC 7766), and that retry brought no usable answer: cut, garbage, refused or silent. The switch then has no address and logs 'Unable to resolve server hostname/domain name'. Allow DNS over TCP port 53 to the name server, or find what cuts it.",
        )
    } else if !rcodes.is_empty() {
        finding(
            FindingCode::DnsNoAddress,
            format!("the DNS answer for {name} holds no address"),
            "The server answered NOERROR without an A or AAAA record for the name.",
        )
    } else if let Some(what) = exchanges.iter().find_map(|d| d.unusable_answer.as_deref()) {
        // The live probe saw what came back: say what it was, not "nothing came back".
        finding(
            FindingCode::DnsTimeout,
            format!("no usable answer to the DNS queries for {name}: {what}"),
            "Something answered the queries, but not with a DNS answer the switch can use (cut short, malformed or larger than a UDP answer may be): the switch waits as if nothing came back and logs 'Unable to resolve server hostname/domain name'. Suspect a middlebox rewriting or truncating DNS, a broken DNS server, or something else listening on the DNS port.",
        )
    } else {
        timeout(name, icmp, one_direction, finding)
    }
}

/// The CNAME chain from `name` when it comes back to a name already in it ("a -> b -> a"),
/// read from every answer for the name. Bounded by the answers' count.
fn cname_loop(name: &str, exchanges: &[&DnsExchange]) -> Option<String> {
    let cnames: Vec<(String, &str)> = exchanges
        .iter()
        .filter_map(|d| d.response.as_ref())
        .flat_map(|r| &r.answers)
        .filter_map(|a| match &a.data {
            DnsData::Cname(target) => Some((a.name.to_ascii_lowercase(), target.as_str())),
            _ => None,
        })
        .collect();
    let mut chain = vec![name.trim_end_matches('.').to_ascii_lowercase()];
    for _ in 0..cnames.len() {
        let last = chain.last()?;
        let (_, target) = cnames.iter().find(|(owner, _)| owner == last)?;
        let target = target.trim_end_matches('.').to_ascii_lowercase();
        let looped = chain.contains(&target);
        chain.push(target);
        if looped {
            return Some(chain.join(" -> "));
        }
    }
    None
}

/// What became of the retry over TCP when an answer was truncated (TC) and no answer over
/// TCP came: the probe's account of it, else what the capture shows.
fn truncation(exchanges: &[&DnsExchange]) -> Option<String> {
    let cut = exchanges
        .iter()
        .find(|d| d.response.as_ref().is_some_and(|r| r.truncated))?;
    let answered_over_tcp = exchanges.iter().any(|d| {
        d.transport == DnsTransport::Tcp && d.response.as_ref().is_some_and(|r| !r.truncated)
    });
    if answered_over_tcp {
        return None;
    }
    let asked_over_tcp = exchanges.iter().any(|d| d.transport == DnsTransport::Tcp);
    Some(match (&cut.unusable_answer, asked_over_tcp) {
        (Some(what), _) => what.clone(),
        (None, true) => "no answer over TCP".to_string(),
        (None, false) => "no query over TCP followed".to_string(),
    })
}

/// `dns_timeout`: no DNS answer at all, perhaps ICMP instead. Same code for both (the
/// switch logs the same), but the ICMP says who refused and why: no DNS service there, or
/// a filter on the way.
fn timeout(
    name: &str,
    icmp: Option<&str>,
    one_direction: bool,
    finding: impl Fn(FindingCode, String, &str) -> Finding,
) -> Finding {
    let f = match icmp {
        Some(icmp) => finding(
            FindingCode::DnsTimeout,
            format!("no answer to the DNS queries for {name}: {icmp}"),
            "The queries were answered by ICMP instead of DNS: 'port unreachable' from the server means nothing listens on port 53 there (a wrong 'ip name-server' address, or the DNS service is down); 'administratively prohibited' or 'host/network unreachable' from a router means a filter or a missing route on the way. The switch logs 'Unable to resolve server hostname/domain name'.",
        ),
        None => finding(
            FindingCode::DnsTimeout,
            format!("no answer to the DNS queries for {name}"),
            "Queries left but nothing came back: the name server is unreachable from the lookup source interface/VRF, or a firewall drops DNS. The switch logs 'Unable to resolve server hostname/domain name'.",
        ),
    };
    if !one_direction {
        return f;
    }
    let why = format!(
        "{} This capture holds only one direction of its connections, so the answers may simply not have been captured.",
        f.explanation
    );
    f.severity(Severity::Warning)
        .confidence(Confidence::Low)
        .explain(why)
}

/// `dns_timeout` from the probe: it could not ask any name server (no configuration, a
/// name that is no DNS name; `Vantage::unasked`), said with whose fault it is.
pub fn unasked(t: &Timeline) -> Option<Finding> {
    let u = t.vantage.as_ref()?.unasked.as_ref()?;
    let summary = match u.blame {
        Blame::Local => format!("this host: {}", u.detail),
        _ => u.detail.clone(),
    };
    Some(
        Finding::new(FindingCode::DnsTimeout, Severity::Error, Step::Dns, summary)
            .explain("The probe could not ask any name server.")
            .fix(["licpath probe --dns-server <ip> ...   ! the switch's ip name-server"])
            .blame(u.blame),
    )
}

/// How long the switch waits for a name server's answer (IOS XE `ip domain timeout`,
/// 3 s by default): an unanswered query to a configured name server is a failure of the
/// server only when the capture went on at least this long after it.
const NAME_SERVER_WAIT_NS: i64 = 3_000_000_000;

/// What the flow tracker knows when it hands over finished DNS exchanges: the facts
/// [`judge_name_servers`] decides on.
pub struct NameServerFacts<'a> {
    /// The switch's addresses and name servers (`--from-config`, `--dns-server`, ...).
    pub context: &'a AnalysisContext,
    /// Every exchange is kept (`--all`), licensing or not.
    pub keep_all: bool,
    /// CRL / OCSP hosts named by the certificates seen so far (lower case, no final dot):
    /// their exchanges are kept for `revocation`.
    pub revocation_hosts: &'a HashSet<String>,
    /// The capture's last packet so far (`None` before any).
    pub capture_end: Option<i64>,
}

/// Exchanges with a configured name server: an address query the server failed (no
/// answer, SERVFAIL, REFUSED, ICMP unreachable) for a name that never resolved is the
/// switch's licensing DNS whatever it asked, since the switch asks that server for the
/// licensing names too; one it answered says nothing about licensing and is hidden
/// (unless kept anyway). Returns how many were hidden.
pub fn judge_name_servers(dns: &mut Vec<DnsExchange>, facts: &NameServerFacts) -> u64 {
    let ctx = facts.context;
    // Silence counts once the capture went on past the switch's wait for an answer; a
    // capture that ends right after the query shows nothing either way.
    let silent = |d: &DnsExchange| {
        facts
            .capture_end
            .is_some_and(|end| end.saturating_sub(d.query_ns) >= NAME_SERVER_WAIT_NS)
    };
    if ctx.dns_servers.is_empty() {
        return 0;
    }
    // A name with an address answer was resolved, whatever its other queries got (an
    // AAAA refused next to an answered A): the rules judge names, not queries.
    let resolved: HashSet<String> = dns
        .iter()
        .filter(|d| d.answered_an_address())
        .map(|d| d.name.to_ascii_lowercase())
        .collect();
    let before = dns.len();
    dns.retain_mut(|d| {
        if d.licensing || !ctx.is_switch(d.client.ip()) || !ctx.is_name_server(d.server.ip()) {
            return true;
        }
        let failed = !resolved.contains(&d.name.to_ascii_lowercase())
            && d.qtype.is_address()
            && (d.unreachable.is_some()
                || match &d.response {
                    Some(r) => matches!(r.rcode, DnsRcode::SERVFAIL | DnsRcode::REFUSED),
                    // Asked again: the client itself waited in vain.
                    None => d.retries > 0 || silent(d),
                });
        d.licensing = failed;
        failed
            || facts.keep_all
            || facts
                .revocation_hosts
                .contains(&d.name.trim_end_matches('.').to_ascii_lowercase())
    });
    (before - dns.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::test_config;
    use crate::model::testing::{START_NS, connection, dns, timeline};

    const NAME: &str = "smartreceiver.cisco.com";

    fn judged(exchanges: Vec<DnsExchange>) -> Vec<Finding> {
        findings(
            &timeline(exchanges, vec![]),
            &BTreeMap::new(),
            &test_config(),
            None,
        )
    }

    fn judged_at_end(exchanges: Vec<DnsExchange>, end_ns: i64) -> Vec<Finding> {
        findings(
            &timeline(exchanges, vec![]),
            &BTreeMap::new(),
            &test_config(),
            Some(end_ns),
        )
    }

    /// Exchanges of the switch (192.0.2.10) with its name server (198.51.100.53), none
    /// licensing by name, judged with `keep_all` and `revocation_hosts` as given.
    fn name_server_judged(
        exchanges: Vec<DnsExchange>,
        keep_all: bool,
        revocation: &[&str],
    ) -> (Vec<(String, DnsType, bool)>, u64) {
        let context = AnalysisContext {
            switch_addresses: vec!["192.0.2.10".parse().unwrap()],
            dns_servers: vec!["198.51.100.53".parse().unwrap()],
            ..AnalysisContext::default()
        };
        let revocation_hosts = revocation.iter().map(|h| h.to_string()).collect();
        let facts = NameServerFacts {
            context: &context,
            keep_all,
            revocation_hosts: &revocation_hosts,
            capture_end: Some(START_NS + 5_000_000_000),
        };
        let mut dns = exchanges
            .into_iter()
            .map(|d| DnsExchange {
                licensing: false,
                ..d
            })
            .collect();
        let hidden = judge_name_servers(&mut dns, &facts);
        let kept = dns.into_iter().map(|d| (d.name, d.qtype, d.licensing));
        (kept.collect(), hidden)
    }

    #[test]
    fn a_name_server_failing_the_switch_is_licensing_dns_and_answers_are_hidden() {
        let ip = DnsData::A("192.0.2.80".parse().unwrap());
        let exchanges = || {
            vec![
                dns(
                    "ntp.corp.example",
                    DnsType::A,
                    Some(DnsRcode::SERVFAIL),
                    vec![],
                ),
                dns(
                    "crl.corp.example",
                    DnsType::A,
                    Some(DnsRcode::NOERROR),
                    vec![ip.clone()],
                ),
                // Refused, but its A was answered: the name resolved.
                dns(
                    "crl.corp.example",
                    DnsType::AAAA,
                    Some(DnsRcode::REFUSED),
                    vec![],
                ),
                dns(
                    "www.corp.example",
                    DnsType::A,
                    Some(DnsRcode::NXDOMAIN),
                    vec![],
                ),
            ]
        };
        let failed = ("ntp.corp.example".to_string(), DnsType::A, true);
        let (kept, hidden) = name_server_judged(exchanges(), false, &[]);
        assert_eq!((kept, hidden), (vec![failed.clone()], 3));
        // A revocation host's exchanges stay (for `revocation`), not as licensing DNS.
        let (kept, hidden) = name_server_judged(exchanges(), false, &["crl.corp.example"]);
        let crl = |t| ("crl.corp.example".to_string(), t, false);
        let expected = vec![failed.clone(), crl(DnsType::A), crl(DnsType::AAAA)];
        assert_eq!((kept, hidden), (expected, 1));
        // --all keeps every exchange; only the failure is licensing.
        let (kept, hidden) = name_server_judged(exchanges(), true, &[]);
        let licensing: Vec<bool> = kept.iter().map(|k| k.2).collect();
        assert_eq!((licensing, hidden), (vec![true, false, false, false], 0));
    }

    #[test]
    fn a_query_the_capture_stopped_on_is_capture_ended_not_a_timeout() {
        let asked = || dns(NAME, DnsType::A, None, vec![]);
        let aaaa = DnsExchange {
            qtype: DnsType::AAAA,
            ..asked()
        };
        // Asked once (A and AAAA), the capture's last packet 500 ms later.
        let f = only(judged_at_end(vec![asked(), aaaa], START_NS + 500_000_000));
        assert_eq!(
            (f.code, f.severity, f.step),
            (FindingCode::CaptureEnded, Severity::Warning, Step::Capture)
        );
        assert_eq!(
            f.summary,
            "the capture ended 500 ms after the DNS query for smartreceiver.cisco.com, before any answer or retry: not a DNS timeout, the answer may simply not have been captured"
        );
        assert_eq!(f.evidence.len(), 2);
        // The resolver re-sent its query: it saw no answer in time itself.
        let retried = DnsExchange {
            retries: 1,
            ..asked()
        };
        let f = only(judged_at_end(vec![retried], START_NS + 500_000_000));
        assert_eq!(f.code, FindingCode::DnsTimeout);
        // Two exchanges of the same type (a new ID) are a retry too.
        let again = DnsExchange { id: 2, ..asked() };
        let f = only(judged_at_end(vec![asked(), again], START_NS + 500_000_000));
        assert_eq!(f.code, FindingCode::DnsTimeout);
        // The capture went on past the first wait: silence is a timeout.
        let f = only(judged_at_end(vec![asked()], START_NS + 5_000_000_000));
        assert_eq!(f.code, FindingCode::DnsTimeout);
        // ICMP is an answer of sorts: not waiting any more.
        let refused = DnsExchange {
            unreachable: Some("ICMP port unreachable from 198.51.100.53".into()),
            ..asked()
        };
        let f = only(judged_at_end(vec![refused], START_NS + 500_000_000));
        assert_eq!(f.code, FindingCode::DnsTimeout);
    }

    fn only(f: Vec<Finding>) -> Finding {
        assert_eq!(f.len(), 1, "{f:#?}");
        f.into_iter().next().expect("one finding")
    }

    /// Principle 7: the static entry of the fix names the name that failed.
    #[test]
    fn the_ip_host_fix_names_the_name_that_failed() {
        for name in ["tools.cisco.com", "proxy.corp.example"] {
            let f = only(judged(vec![DnsExchange {
                licensing: true,
                ..dns(name, DnsType::A, Some(DnsRcode::NXDOMAIN), vec![])
            }]));
            let want = format!("ip host {name} <ip>");
            assert!(
                f.remediation.iter().any(|l| l.starts_with(&want)),
                "{:?}",
                f.remediation
            );
            assert!(
                !f.remediation.iter().any(|l| l.contains("smartreceiver"))
                    || name.contains("smartreceiver")
            );
        }
    }

    #[test]
    fn by_response_code() {
        for (rcode, code, summary) in [
            (
                DnsRcode::NXDOMAIN,
                FindingCode::DnsNxdomain,
                "smartreceiver.cisco.com does not exist according to the DNS server (NXDOMAIN)",
            ),
            (
                DnsRcode::SERVFAIL,
                FindingCode::DnsServfail,
                "the DNS server failed or refused to resolve smartreceiver.cisco.com (SERVFAIL)",
            ),
            (
                DnsRcode::REFUSED,
                FindingCode::DnsServfail,
                "the DNS server failed or refused to resolve smartreceiver.cisco.com (REFUSED)",
            ),
            (
                DnsRcode::NOERROR,
                FindingCode::DnsNoAddress,
                "the DNS answer for smartreceiver.cisco.com holds no address",
            ),
        ] {
            let f = only(judged(vec![dns(NAME, DnsType::A, Some(rcode), vec![])]));
            assert_eq!(
                (f.code, f.severity, f.step),
                (code, Severity::Error, Step::Dns),
                "{rcode}"
            );
            assert_eq!(f.summary, summary);
            assert_eq!(f.remediation.len(), 3);
            assert_eq!(
                f.evidence[0].what,
                format!("A {NAME} from 198.51.100.53:53 -> {rcode}")
            );
        }
    }

    #[test]
    fn silence_and_icmp_are_a_timeout() {
        let f = only(judged(vec![dns(NAME, DnsType::A, None, vec![])]));
        assert_eq!(
            (f.code, f.confidence),
            (FindingCode::DnsTimeout, Confidence::Certain)
        );
        assert_eq!(
            f.summary,
            "no answer to the DNS queries for smartreceiver.cisco.com"
        );
        assert_eq!(
            f.evidence[0].what,
            "A smartreceiver.cisco.com to 198.51.100.53:53 unanswered (0 retries)"
        );
        let refused = DnsExchange {
            unreachable: Some("ICMP port unreachable from 198.51.100.53".into()),
            retries: 1,
            ..dns(NAME, DnsType::A, None, vec![])
        };
        let f = only(judged(vec![refused]));
        assert_eq!(f.code, FindingCode::DnsTimeout);
        assert_eq!(
            f.summary,
            "no answer to the DNS queries for smartreceiver.cisco.com: ICMP port unreachable from 198.51.100.53"
        );
        assert!(
            f.evidence[0]
                .what
                .ends_with("(1 retry): ICMP port unreachable from 198.51.100.53")
        );
    }

    #[test]
    fn one_address_answer_resolves_the_name() {
        let a = dns(
            NAME,
            DnsType::A,
            Some(DnsRcode::NOERROR),
            vec![DnsData::A("146.112.59.25".parse().expect("ip"))],
        );
        let aaaa = dns(NAME, DnsType::AAAA, Some(DnsRcode::NOERROR), vec![]);
        assert!(judged(vec![aaaa, a]).is_empty());
        // Names never asked for an address are not judged.
        assert!(
            judged(vec![dns(
                NAME,
                DnsType::TXT,
                Some(DnsRcode::NXDOMAIN),
                vec![]
            )])
            .is_empty()
        );
    }

    #[test]
    fn an_answer_after_a_retry_is_said_not_judged_a_timeout() {
        let mut late = dns(
            NAME,
            DnsType::A,
            Some(DnsRcode::NOERROR),
            vec![DnsData::A("203.0.113.10".parse().expect("ip"))],
        );
        late.retries = 1;
        if let Some(r) = late.response.as_mut() {
            r.frame = Some(3);
            r.time_ns = START_NS + 3_004_000_000;
        }
        let f = only(judged(vec![late.clone()]));
        assert_eq!(
            (f.code, f.severity, f.step),
            (FindingCode::DnsRetried, Severity::Info, Step::Dns)
        );
        assert_eq!(
            f.summary,
            "smartreceiver.cisco.com resolved on try 2: the first query went unanswered, the answer came 3.0 s after the first query"
        );
        assert_eq!(
            f.evidence[0].what,
            "A smartreceiver.cisco.com from 198.51.100.53:53 -> NOERROR on try 2, 3.0 s after the first query"
        );
        assert_eq!(f.evidence[0].frame, Some(3));
        // The latest try is the one reported; an answer on the first try says nothing.
        let third = DnsExchange {
            retries: 2,
            qtype: DnsType::AAAA,
            ..late
        };
        let first = dns(NAME, DnsType::A, Some(DnsRcode::NOERROR), vec![]);
        let f = only(judged(vec![first, third]));
        assert!(
            f.summary.starts_with(
                "smartreceiver.cisco.com resolved on try 3: the first 2 queries went unanswered"
            ),
            "{}",
            f.summary
        );
        assert_eq!(f.evidence.len(), 1);
    }

    /// Issue 28 item 6: CNAMEs that come back to a name of the chain, over several hops and
    /// in other case, are a loop; a chain that ends on a name without address is not.
    #[test]
    fn a_cname_chain_back_to_itself_is_a_loop() {
        let answer = |owner: &str, target: &str| DnsAnswer {
            name: owner.into(),
            ttl: 60,
            data: DnsData::Cname(target.into()),
        };
        let mut ex = dns(NAME, DnsType::A, Some(DnsRcode::NOERROR), vec![]);
        if let Some(r) = ex.response.as_mut() {
            r.answers = vec![
                answer("b.example", "SmartReceiver.cisco.com"),
                answer(NAME, "a.example"),
                answer("a.example", "b.example"),
            ];
        }
        let f = only(judged(vec![ex.clone()]));
        assert_eq!(f.code, FindingCode::DnsCnameLoop);
        assert_eq!(
            f.summary,
            "the DNS answer for smartreceiver.cisco.com is a CNAME loop: smartreceiver.cisco.com -> a.example -> b.example -> smartreceiver.cisco.com"
        );
        if let Some(r) = ex.response.as_mut() {
            r.answers.remove(0);
        }
        assert_eq!(only(judged(vec![ex])).code, FindingCode::DnsNoAddress);
    }

    /// A truncated (TC) answer in a capture: no TCP retry seen, or one left unanswered, is
    /// `dns_truncated`; an answer over TCP that holds no address stays `dns_no_address`.
    #[test]
    fn a_truncated_answer_without_an_answer_over_tcp_is_said() {
        let mut udp = dns(NAME, DnsType::A, Some(DnsRcode::NOERROR), vec![]);
        if let Some(r) = udp.response.as_mut() {
            r.truncated = true;
        }
        let f = only(judged(vec![udp.clone()]));
        assert_eq!(f.code, FindingCode::DnsTruncated);
        assert!(
            f.summary
                .ends_with("the retry over TCP failed: no query over TCP followed"),
            "{}",
            f.summary
        );
        let tcp = DnsExchange {
            transport: DnsTransport::Tcp,
            ..dns(NAME, DnsType::A, None, vec![])
        };
        let f = only(judged(vec![udp.clone(), tcp.clone()]));
        assert!(
            f.summary.ends_with("failed: no answer over TCP"),
            "{}",
            f.summary
        );
        let answered = DnsExchange {
            transport: DnsTransport::Tcp,
            ..dns(NAME, DnsType::A, Some(DnsRcode::NOERROR), vec![])
        };
        assert_eq!(
            only(judged(vec![udp, answered])).code,
            FindingCode::DnsNoAddress
        );
    }

    #[test]
    fn other_names_are_warnings() {
        let other = DnsExchange {
            licensing: false,
            ..dns(
                "www.example.com",
                DnsType::A,
                Some(DnsRcode::NXDOMAIN),
                vec![],
            )
        };
        assert_eq!(only(judged(vec![other])).severity, Severity::Warning);
    }

    #[test]
    fn unanswered_in_a_one_direction_capture_proves_little() {
        let t = timeline(
            vec![dns(NAME, DnsType::A, None, vec![])],
            vec![connection().one_direction().build()],
        );
        // However soon the capture ended: one direction is the reason, said once.
        for end in [None, Some(START_NS + 1)] {
            let f = only(findings(&t, &BTreeMap::new(), &test_config(), end));
            assert_eq!(
                (f.code, f.severity, f.confidence),
                (FindingCode::DnsTimeout, Severity::Warning, Confidence::Low)
            );
            assert!(
                f.explanation
                    .ends_with("may simply not have been captured.")
            );
        }
    }

    #[test]
    fn revocation_hosts_are_judged_as_revocation() {
        let hosts = BTreeMap::from([("validation.identrust.com".to_string(), RevocationKind::Crl)]);
        let t = timeline(
            vec![dns(
                "validation.identrust.com",
                DnsType::A,
                Some(DnsRcode::NXDOMAIN),
                vec![],
            )],
            vec![],
        );
        let f = only(findings(&t, &hosts, &test_config(), None));
        assert_eq!(
            (f.code, f.severity),
            (FindingCode::CrlUnreachable, Severity::Warning)
        );
        assert_eq!(
            f.summary,
            "the revocation host validation.identrust.com does not resolve: NXDOMAIN"
        );
    }
}
