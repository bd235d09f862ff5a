//! A connection: its TCP state, its events, and the summaries filled in from them.

use super::*;
use crate::model::url::{Scheme, Url, host_of_authority};

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    /// SYN sent, nothing came back.
    SynUnanswered,
    /// SYN answered by RST.
    Refused,
    /// SYN/ACK seen (handshake may be completing).
    Established,
    ClosedByClient,
    ClosedByServer,
    ResetByClient,
    ResetByServer,
    /// The capture holds no SYN for this connection.
    StartNotCaptured,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct Connection {
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The best name for the server side: SNI, CONNECT target or DNS answer.
    pub server_name: Option<String>,
    /// The CONNECT target when this is a connection to a proxy.
    pub proxy_target: Option<String>,
    pub first_frame: Option<u64>,
    pub start_ns: i64,
    pub end_ns: i64,
    pub state: TcpState,
    pub packets: u64,
    pub bytes_to_server: u64,
    pub bytes_to_client: u64,
    pub retransmissions: u64,
    pub handshake_rtt_ns: Option<i64>,
    pub tls: Option<TlsSummary>,
    /// The furthest step this connection reached, and whether it completed there.
    pub reached: Step,
    pub verdict: Verdict,
    pub licensing: bool,
    /// Fetches a CRL or OCSP URL of a chain in the same timeline (judged as revocation
    /// reachability, never as a licensing failure).
    pub revocation: bool,
    /// The client acknowledged server data that the capture does not hold at all: only
    /// one direction was captured.
    pub one_direction: bool,
    /// Goes to the switch's configured proxy (`analyze --from-config` / `--proxy`, the
    /// probe's `--proxy`): then licensing traffic until a CONNECT names another host, and
    /// a failed connection attempt is `proxy_unreachable`. Absent from JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub configured_proxy: bool,
    /// Loss seen on the wire, each way (absent from JSON when nothing was retransmitted).
    #[serde(skip_serializing_if = "TcpLoss::is_clean")]
    pub loss: TcpLoss,
    pub events: Vec<Event>,
    pub events_dropped: u64,
    /// The code of the finding that heads this connection: the root cause, not the symptom
    /// (`diagnose::verdict::cause_order`). `None` without findings.
    pub primary: Option<FindingCode>,
    pub findings: Vec<Finding>,
}

/// Segments and retransmissions of one connection, each way. A retransmission is a segment
/// whose bytes were already captured, sent again as a new packet (a frame captured twice is
/// a duplicate, dropped before this); `timeouts` counts those sent after the sender had
/// been silent for at least the minimum retransmission timeout (RFC 6298 §2.4: 1 s, Linux
/// 200 ms), i.e. not fast retransmits after duplicate ACKs. SYN retransmissions are timeouts;
/// `segments_*` count the data segments and SYNs sent, retransmissions included.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct TcpLoss {
    pub segments_to_server: u64,
    pub retransmitted_to_server: u64,
    pub segments_to_client: u64,
    pub retransmitted_to_client: u64,
    pub timeouts: u64,
}

impl TcpLoss {
    pub fn is_clean(&self) -> bool {
        self.retransmitted_to_server == 0 && self.retransmitted_to_client == 0
    }
}

impl Connection {
    /// A connection seen (or attempted) for the first time at `start_ns`: nothing
    /// exchanged, nothing decided yet.
    pub fn new(
        id: u64,
        client: SocketAddr,
        server: SocketAddr,
        start_ns: i64,
        state: TcpState,
    ) -> Connection {
        Connection {
            id,
            client,
            server,
            server_name: None,
            proxy_target: None,
            first_frame: None,
            start_ns,
            end_ns: start_ns,
            state,
            packets: 0,
            bytes_to_server: 0,
            bytes_to_client: 0,
            retransmissions: 0,
            handshake_rtt_ns: None,
            tls: None,
            reached: Step::Tcp,
            verdict: Verdict::Unknown,
            licensing: false,
            revocation: false,
            one_direction: false,
            configured_proxy: false,
            loss: TcpLoss::default(),
            events: Vec::new(),
            events_dropped: 0,
            primary: None,
            findings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct TlsSummary {
    pub sni: Option<String>,
    #[serde(serialize_with = "protocol::tls_version_serde::option")]
    #[cfg_attr(test, schemars(with = "Option<super::schema::TlsVersionName>"))]
    pub client_max_version: Option<TlsVersion>,
    #[serde(serialize_with = "protocol::tls_version_serde::option")]
    #[cfg_attr(test, schemars(with = "Option<super::schema::TlsVersionName>"))]
    pub version: Option<TlsVersion>,
    pub cipher: Option<String>,
    pub certificates: Vec<CertInfo>,
    pub alert: Option<String>,
    pub handshake_complete: bool,
    /// TLS 1.3 completion inferred from record sizes and directions, the ServerHello not
    /// captured ([`tls13_completion_inferred`]); absent from JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub handshake_inferred: bool,
}

/// The host part of an `http://` URL (lower case), or `None` for anything else: where a
/// CRL distribution point or an OCSP responder is fetched from.
pub fn url_host(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    (u.scheme() == Scheme::Http).then(|| u.host().to_string())
}

/// What a revocation URL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationKind {
    Crl,
    Ocsp,
}

/// The revocation URLs (CRL distribution points, OCSP responders) named by the
/// certificates of these events, with what each is for.
pub fn revocation_urls_of(events: &[Event]) -> impl Iterator<Item = (&String, RevocationKind)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TlsCertificate { certificates } => Some(certificates),
            _ => None,
        })
        .flatten()
        .flat_map(|c| {
            let crl = c.crl_urls.iter().map(|u| (u, RevocationKind::Crl));
            crl.chain(c.ocsp_urls.iter().map(|u| (u, RevocationKind::Ocsp)))
        })
}

/// The hosts of those URLs.
pub fn revocation_hosts_of(events: &[Event]) -> impl Iterator<Item = String> + '_ {
    revocation_urls_of(events).filter_map(|(u, _)| url_host(u))
}

/// The host a connection talks to by name (lower case): the `Host` of a plain HTTP
/// request, the server name, or the CONNECT target.
pub fn named_host(c: &Connection) -> Option<String> {
    let from_request = c.events.iter().find_map(|e| match &e.kind {
        EventKind::HttpRequest { host: Some(h), .. } => Some(host_of_authority(h).to_string()),
        EventKind::HttpRequest { target, .. } => url_host(target),
        _ => None,
    });
    from_request
        .or_else(|| c.server_name.clone())
        .or_else(|| {
            c.proxy_target
                .as_deref()
                .map(|t| host_of_authority(t).to_string())
        })
        .map(|h| h.to_ascii_lowercase())
}

/// Whether the TLS handshake visibly completed: both ChangeCipherSpecs in TLS ≤ 1.2; in
/// TLS 1.3 an encrypted client record large enough to be a Finished (RFC 8446 §4.4.4:
/// 4 + hash length + 1 + 16-byte tag ≥ 53) after the ServerHello.
pub fn tls_handshake_complete(events: &[Event]) -> bool {
    let hello = events.iter().enumerate().find_map(|(i, e)| match &e.kind {
        EventKind::TlsServerHello(sh) if !sh.hello_retry_request => {
            Some((i, e.time_ns, is_tls13(sh.version)))
        }
        _ => None,
    });
    if let Some((at, sh_time, true)) = hello {
        // The client's first encrypted record large enough to hold its Finished, after
        // the ServerHello: in the file, or in time when the file was merged direction
        // after direction (the client's packets then come first in the file).
        return events.iter().enumerate().any(|(i, e)| {
            matches!(e.kind, EventKind::TlsEncrypted { largest, .. } if largest >= 53)
                && e.dir == Direction::ToServer
                && (i > at || e.time_ns > sh_time)
        });
    }
    let ccs = |dir| {
        events
            .iter()
            .any(|e| e.dir == dir && matches!(e.kind, EventKind::TlsChangeCipherSpec))
    };
    ccs(Direction::ToServer) && ccs(Direction::ToClient)
}

/// The smallest encrypted TLS 1.3 Finished record (RFC 8446 §4.4.4: 4 + a 32-byte hash + 1
/// content type + a 16-byte tag); an encrypted alert is 2 + 1 + 16 = 19.
const MIN_TLS13_FINISHED: u32 = 53;

/// TLS 1.3 completion from what is left when the capture lost the server's flight (a gap
/// where its ServerHello was), all of which must hold, in this order in time:
/// 1. the client offered TLS 1.3 and no ServerHello was decoded;
/// 2. the server's direction lost bytes to the capture;
/// 3. after server data, the client's first record is encrypted `application_data` (in
///    TLS 1.2 its next records would be a ClientKeyExchange and a `handshake`-typed
///    Finished; before any server data it would be early data) of a Finished's size, not
///    an alert's: the client accepted the server's flight and finished;
/// 4. the server then sent an encrypted record larger than an alert (a ticket, an answer):
///    it accepted the client's Finished.
///
/// Inferred, never decoded: the record sizes are the evidence. Returns the size of the
/// client's Finished-sized record.
pub fn tls13_completion_inferred(events: &[Event]) -> Option<u32> {
    let mut offered = false;
    let mut server_lost = false;
    let mut server_data = false;
    let mut finished: Option<u32> = None;
    for e in events {
        let to_client = e.dir == Direction::ToClient;
        match &e.kind {
            EventKind::TlsClientHello(ch) => {
                offered |= ch.supported_versions.iter().any(|v| v.0 == 0x0304)
            }
            EventKind::TlsServerHello(sh) if !sh.hello_retry_request => return None,
            EventKind::TlsClientKeyExchange => return None,
            EventKind::TcpGap { .. } | EventKind::TcpLost { .. } if to_client => {
                server_lost = true;
                server_data = true;
            }
            EventKind::TlsEncrypted {
                content_type,
                largest,
                records,
                bytes,
            } => match (to_client, finished) {
                (true, None) => server_data = true,
                (true, Some(size)) if *largest >= MIN_TLS13_FINISHED => {
                    return Some(size);
                }
                (false, None) => {
                    // The client's records sent together are folded into one event (its
                    // Finished and its request, when the request left before the server's
                    // tickets came): the first is Finished-sized when even the smallest
                    // record they can hold is, and it is at least what the others leave.
                    let others = u64::from(*largest) * u64::from(records.saturating_sub(1));
                    let smallest = bytes.saturating_sub(others);
                    let first_is_finished = *records >= 1
                        && smallest >= u64::from(MIN_TLS13_FINISHED)
                        && *largest >= MIN_TLS13_FINISHED;
                    if !(offered && server_lost && server_data)
                        || *content_type != TlsRecordType::ApplicationData
                        || !first_is_finished
                    {
                        return None;
                    }
                    finished = Some(if *records == 1 {
                        *largest
                    } else {
                        smallest as u32
                    });
                }
                _ => {}
            },
            _ => {}
        }
    }
    None
}

/// A receiver's duplicate ACK reporting a hole: its frame, time, and first SACK block as
/// tshark's relative sequence numbers (what it holds past the hole).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema), schemars(deny_unknown_fields))]
pub struct DupAck {
    pub frame: u64,
    pub time_ns: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sack: Option<(u64, u64)>,
}
