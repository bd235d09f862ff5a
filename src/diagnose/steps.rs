//! The path as a pipeline of steps (DNS → TCP → CONNECT → TLS → CERT → HTTP), read from a
//! [`Timeline`] — the same model the text and JSON reports read. No rule lives here: the
//! failing step and its finding come from the diagnosis.

use crate::diagnose::verdict::primary_finding;
use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Ok,
    Failed,
    /// Reached, outcome unknown (capture ended, probe interrupted).
    Unknown,
    /// Not reached because an earlier step failed.
    NotRun,
    /// Does not apply (no proxy; HTTP not requested; plain HTTP has no TLS).
    Skipped,
    /// Answered by a static entry (`ip host`, `--resolve`): no query, nothing to time.
    Static,
}

impl StepState {
    pub fn badge(self) -> &'static str {
        match self {
            StepState::Ok => "ok",
            StepState::Failed => "FAILED",
            StepState::Unknown => "?",
            StepState::NotRun => "-",
            StepState::Skipped => "n/a",
            StepState::Static => "static",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepView {
    pub name: &'static str,
    pub step: Step,
    pub state: StepState,
    pub latency_ns: Option<i64>,
    pub detail: String,
}

/// The connection that tells the story: a successful one if any, else the one that got
/// furthest.
pub fn primary(t: &Timeline) -> Option<&Connection> {
    t.connections
        .iter()
        .filter(|c| c.licensing || t.connections.len() == 1)
        .max_by_key(|c| (c.verdict == Verdict::Ok, c.reached, std::cmp::Reverse(c.id)))
}

fn first(c: &Connection, pred: impl Fn(&EventKind) -> bool) -> Option<&Event> {
    c.events.iter().find(|e| pred(&e.kind))
}

/// The six steps of `t`'s path: DNS from the whole timeline, the others from the
/// [`primary`] connection (not run when there is none).
pub fn steps_of(t: &Timeline) -> Vec<StepView> {
    let c = primary(t);
    let dns = dns_step(t, c.is_some());
    let plain_target = probes_plain_http(t);
    let Some(c) = c else {
        let not_run = [
            ("TCP", Step::Tcp),
            ("CONNECT", Step::Proxy),
            ("TLS", Step::Tls),
            ("CERT", Step::Cert),
            ("HTTP", Step::Http),
        ]
        .map(|(name, step)| StepView {
            name,
            step,
            state: if plain_target && matches!(step, Step::Tls | Step::Cert) {
                StepState::Skipped
            } else {
                StepState::NotRun
            },
            latency_ns: None,
            detail: String::new(),
        });
        return std::iter::once(dns).chain(not_run).collect();
    };
    let mut path = ConnectionPath::new(c);
    // A probe of an http:// target (a CSLU) has no TLS or certificate step, whether or
    // not it got as far as its request.
    path.plain |= plain_target && c.proxy_target.is_none();
    vec![
        dns,
        path.tcp(),
        path.connect(),
        path.tls(),
        path.cert(),
        path.http(),
    ]
}

/// A live probe whose every target is a plain `http://` URL (a CSLU): TLS and the
/// certificate do not apply to it.
fn probes_plain_http(t: &Timeline) -> bool {
    match &t.source {
        crate::model::Source::Probe { targets } => {
            !targets.is_empty()
                && targets
                    .iter()
                    .all(|s| s.contains("http://") && !s.contains("https://"))
        }
        _ => false,
    }
}

/// DNS: failed when the diagnosis says so, else the addresses answered and the slowest
/// answer. `connected`: a connection was seen, so the name was resolved somehow.
fn dns_step(t: &Timeline, connected: bool) -> StepView {
    let dns_failed = t
        .all_findings()
        .any(|f| f.step == Step::Dns && f.severity == Severity::Error);
    let answered: Vec<&DnsExchange> = t.dns.iter().filter(|d| d.response.is_some()).collect();
    let addrs: Vec<String> = answered
        .iter()
        .flat_map(|d| d.response.iter().flat_map(|r| r.answers.iter()))
        .filter_map(|a| match &a.data {
            DnsData::A(ip) | DnsData::Aaaa(ip) => Some(ip.to_string()),
            _ => None,
        })
        .collect();
    let dns_latency = answered
        .iter()
        .filter_map(|d| d.response.as_ref().map(|r| r.time_ns - d.query_ns))
        .max();
    let dns_state = if dns_failed {
        StepState::Failed
    } else if t.dns.is_empty() && !t.static_hosts.is_empty() {
        StepState::Static
    } else if !t.dns.is_empty() || connected {
        StepState::Ok
    } else {
        StepState::NotRun
    };
    let dns_detail = if dns_failed {
        primary_finding(
            t.all_findings()
                .filter(|f| f.step == Step::Dns && f.severity == Severity::Error),
        )
        .map(|f| f.code.as_str().to_string())
        .unwrap_or_default()
    } else if dns_state == StepState::Static {
        let entries: Vec<String> = t.static_hosts.iter().map(ToString::to_string).collect();
        entries.join("; ")
    } else if addrs.is_empty() {
        if t.dns.is_empty() {
            "no query seen (static entry, literal, or before the capture)".into()
        } else {
            "no address".into()
        }
    } else {
        let mut a = addrs.clone();
        a.dedup();
        format!(
            "{}{}",
            a.iter().take(2).cloned().collect::<Vec<_>>().join(", "),
            answered
                .first()
                .map(|d| format!("  via {}", d.server.ip()))
                .unwrap_or_default()
        )
    };
    StepView {
        name: "DNS",
        step: Step::Dns,
        state: dns_state,
        latency_ns: dns_latency,
        detail: dns_detail,
    }
}

/// The steps after DNS, read from one connection.
struct ConnectionPath<'a> {
    c: &'a Connection,
    /// The first HTTP exchange seen inside TLS.
    https: Option<&'a Event>,
    /// Plain HTTP: a request, no ClientHello and no TLS (TLS and CERT do not apply).
    plain: bool,
}

impl<'a> ConnectionPath<'a> {
    fn new(c: &'a Connection) -> Self {
        let hello = first(c, |k| matches!(k, EventKind::TlsClientHello(_)));
        let plain = hello.is_none()
            && c.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::HttpRequest { .. }))
            && c.tls.is_none();
        ConnectionPath {
            c,
            https: first(c, |k| matches!(k, EventKind::HttpsExchange { .. })),
            plain,
        }
    }

    /// A step's state from how far the connection got and its verdict.
    fn state_for(&self, step: Step) -> StepState {
        let c = self.c;
        match c.verdict {
            Verdict::Ok if step <= c.reached => StepState::Ok,
            Verdict::Ok => StepState::Skipped,
            Verdict::Failed if step < c.reached => StepState::Ok,
            Verdict::Failed if step == c.reached => StepState::Failed,
            Verdict::Unknown if step < c.reached => StepState::Ok,
            Verdict::Unknown if step == c.reached => StepState::Unknown,
            _ => StepState::NotRun,
        }
    }

    /// The step's cause before its symptom (ssl_interception, not the client's tls_alert).
    fn error_at(&self, step: Step) -> Option<String> {
        primary_finding(
            self.c
                .findings
                .iter()
                .filter(|f| f.step == step && f.severity == Severity::Error),
        )
        .map(|f| format!("{}: {}", f.code.as_str(), f.summary))
    }

    fn tcp(&self) -> StepView {
        let c = self.c;
        StepView {
            name: "TCP",
            step: Step::Tcp,
            state: self.state_for(Step::Tcp),
            latency_ns: c.handshake_rtt_ns,
            detail: self.error_at(Step::Tcp).unwrap_or_else(|| {
                format!(
                    "{} -> {}{}",
                    c.client,
                    c.server,
                    if c.retransmissions > 0 {
                        format!("  ({} retransmissions)", c.retransmissions)
                    } else {
                        String::new()
                    }
                )
            }),
        }
    }

    /// The proxy's CONNECT and its answer; skipped on a direct connection.
    fn connect(&self) -> StepView {
        let c = self.c;
        let req = first(c, |k| matches!(k, EventKind::HttpConnectRequest { .. }));
        let resp = req.and_then(|r| {
            c.events.iter().find(|e| {
                e.time_ns >= r.time_ns && matches!(e.kind, EventKind::HttpResponse { .. })
            })
        });
        let proxy_state = if req.is_some() {
            self.state_for(Step::Proxy)
        } else {
            StepState::Skipped
        };
        StepView {
            name: "CONNECT",
            step: Step::Proxy,
            state: proxy_state,
            latency_ns: req.zip(resp).map(|(a, b)| b.time_ns - a.time_ns),
            detail: match (req, resp) {
                (None, _) => "direct (no proxy)".into(),
                (
                    Some(_),
                    Some(Event {
                        kind:
                            EventKind::HttpResponse {
                                status,
                                reason,
                                version,
                                ..
                            },
                        ..
                    }),
                ) => format!(
                    "{} -> {version} {status} {reason}",
                    c.proxy_target.as_deref().unwrap_or("?")
                ),
                (Some(_), _) => self
                    .error_at(Step::Proxy)
                    .unwrap_or_else(|| "no answer".into()),
            },
        }
    }

    /// The handshake, from the ClientHello to the server's last handshake record.
    fn tls(&self) -> StepView {
        let c = self.c;
        let hello = first(c, |k| matches!(k, EventKind::TlsClientHello(_)));
        let tls_end = hello.and_then(|h| {
            c.events
                .iter()
                .filter(|e| {
                    e.time_ns >= h.time_ns
                        && self.https.is_none_or(|x| e.time_ns <= x.time_ns)
                        && matches!(
                            e.kind,
                            EventKind::TlsServerHello(_)
                                | EventKind::TlsCertificate { .. }
                                | EventKind::TlsServerHelloDone
                                | EventKind::TlsChangeCipherSpec
                                | EventKind::TlsEncrypted { .. }
                        )
                })
                .map(|e| e.time_ns)
                .max()
        });
        StepView {
            name: "TLS",
            step: Step::Tls,
            state: if self.plain {
                StepState::Skipped
            } else {
                self.state_for(Step::Tls)
            },
            latency_ns: hello.zip(tls_end).map(|(a, b)| b - a.time_ns),
            detail: self.error_at(Step::Tls).unwrap_or_else(|| match &c.tls {
                Some(tls) => format!(
                    "{} {}{}",
                    tls.version
                        .map(crate::model::tls_version_name)
                        .unwrap_or_else(|| "?".into()),
                    tls.cipher.as_deref().unwrap_or(""),
                    tls.sni
                        .as_deref()
                        .map(|s| format!("  SNI {s}"))
                        .unwrap_or_default()
                ),
                None if self.plain => "plain HTTP".into(),
                None => String::new(),
            }),
        }
    }

    /// The chain as presented: leaf <- issuer <- the last certificate's issuer.
    fn cert(&self) -> StepView {
        let c = self.c;
        let certs = c.tls.as_ref().map(|t| &t.certificates[..]).unwrap_or(&[]);
        let cert_state = if self.plain {
            StepState::Skipped
        } else if certs.is_empty() && self.state_for(Step::Cert) == StepState::Ok {
            StepState::Unknown
        } else {
            self.state_for(Step::Cert)
        };
        StepView {
            name: "CERT",
            step: Step::Cert,
            state: cert_state,
            latency_ns: None,
            detail: self
                .error_at(Step::Cert)
                .unwrap_or_else(|| match certs.first() {
                    Some(leaf) => format!(
                        "{} <- {}{}",
                        leaf.subject_cn.as_deref().unwrap_or(&leaf.subject),
                        leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer),
                        certs
                            .last()
                            .filter(|_| certs.len() > 1)
                            .map(|r| format!(" <- {}", r.issuer_cn.as_deref().unwrap_or(&r.issuer)))
                            .unwrap_or_default()
                    ),
                    None if self.plain || cert_state == StepState::NotRun => String::new(),
                    None => "chain not seen (TLS 1.3 encrypts it; the probe sees it)".into(),
                }),
        }
    }

    /// The HTTP answer: inside TLS, or in the clear on a plain connection.
    fn http(&self) -> StepView {
        let c = self.c;
        let plain = self.plain;
        let http_ev = self
            .https
            .or_else(|| first(c, |k| matches!(k, EventKind::HttpResponse { .. }) && plain));
        StepView {
            name: "HTTP",
            step: Step::Http,
            // An answer on a connection that succeeded is a step done, even when `reached`
            // stops at the certificate (the probe's HTTPS exchange is not a plain HTTP
            // event of the capture flow).
            state: if http_ev.is_some() && c.verdict == Verdict::Ok {
                StepState::Ok
            } else if http_ev.is_some() {
                self.state_for(Step::Http)
            } else if self.state_for(Step::Http) == StepState::Failed {
                StepState::Failed
            } else if c.verdict == Verdict::Ok {
                StepState::Skipped
            } else {
                StepState::NotRun
            },
            latency_ns: http_ev.and_then(|h| {
                c.events
                    .iter()
                    .filter(|e| e.time_ns < h.time_ns)
                    .map(|e| h.time_ns - e.time_ns)
                    .min()
            }),
            detail: match http_ev.map(|e| &e.kind) {
                Some(EventKind::HttpsExchange {
                    status,
                    reason,
                    date,
                    ..
                }) => format!(
                    "{status} {reason}{}",
                    date.as_deref()
                        .map(|d| format!("  Date: {d}"))
                        .unwrap_or_default()
                ),
                Some(EventKind::HttpResponse { status, reason, .. }) => {
                    format!("{status} {reason}")
                }
                _ => self.error_at(Step::Http).unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{connection, timeline};

    /// A probe of a plain-HTTP CSLU refused at TCP: TLS and CERT do not apply (they were
    /// "not run", so Prometheus said 0 for steps the path never has).
    #[test]
    fn a_plain_http_probe_has_no_tls_or_cert_step() {
        let mut c = connection().syn().rst(Direction::ToClient).build();
        c.verdict = Verdict::Failed;
        c.reached = Step::Tcp;
        let mut t = timeline(vec![], vec![c]);
        let state = |t: &Timeline, step: Step| {
            steps_of(t)
                .into_iter()
                .find(|s| s.step == step)
                .unwrap()
                .state
        };
        t.source = crate::model::Source::Probe {
            targets: vec!["cslu@127.0.0.1:1 (http://127.0.0.1:1/cslu/v1/pi)".into()],
        };
        assert_eq!(state(&t, Step::Tls), StepState::Skipped);
        assert_eq!(state(&t, Step::Cert), StepState::Skipped);
        assert_eq!(state(&t, Step::Http), StepState::NotRun);
        t.source = crate::model::Source::Probe {
            targets: vec!["https://smartreceiver.cisco.com/licservice/license".into()],
        };
        assert_eq!(state(&t, Step::Tls), StepState::NotRun);
        // No connection at all (the name did not resolve): the same.
        let mut none = timeline(vec![], vec![]);
        none.source = crate::model::Source::Probe {
            targets: vec!["http://cslu.example:8182/cslu/v1/pi".into()],
        };
        assert_eq!(state(&none, Step::Cert), StepState::Skipped);
    }

    /// The probe's answer inside TLS on a successful connection: the HTTP step is done,
    /// though `reached` stops at the certificate (it was shown "n/a").
    #[test]
    fn an_https_answer_on_a_successful_connection_is_the_http_step_done() {
        let answered = |verdict| {
            let mut c = connection()
                .handshake()
                .client_hello(
                    Some("smartreceiver.cisco.com"),
                    crate::model::TlsVersion::Tls12,
                )
                .after_ms(40)
                .to_client(EventKind::HttpsExchange {
                    request: "POST /licservice/license".into(),
                    status: 200,
                    reason: "OK".into(),
                    date: None,
                    server: None,
                })
                .build();
            c.verdict = verdict;
            c.reached = Step::Cert;
            timeline(vec![], vec![c])
        };
        let http = |t: &Timeline| {
            steps_of(t)
                .into_iter()
                .find(|s| s.step == Step::Http)
                .expect("an HTTP step")
        };
        let ok = http(&answered(Verdict::Ok));
        assert_eq!(ok.state, StepState::Ok);
        assert!(ok.latency_ns.is_some_and(|l| l > 0), "{:?}", ok.latency_ns);
        // Not on a connection that failed: the state follows the failing step.
        assert_eq!(http(&answered(Verdict::Failed)).state, StepState::NotRun);
        // No answer at all on a successful connection: not done, just not needed.
        let mut quiet = connection().handshake().build();
        quiet.verdict = Verdict::Ok;
        quiet.reached = Step::Cert;
        assert_eq!(
            http(&timeline(vec![], vec![quiet])).state,
            StepState::Skipped
        );
    }
}
