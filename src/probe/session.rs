//! Steps 2–5 over one address: TCP (socket2, bound to the source interface/address),
//! HTTP CONNECT through the proxy, TLS (rustls, driven by hand so every byte is seen) and
//! a minimal HTTP request. Every byte sent and received goes through the capture
//! analyser's own decoders (`flow::app`), so the probe's connection is the same model
//! the analyser builds from packets, and the same rules diagnose it.

use super::error::ProbeError;
use super::verifier::RecordingVerifier;
use super::{ProbeConfig, now_ns};
use crate::diagnose::DiagnoseConfig;
use crate::flow::app::AppState;
use crate::flow::event::{DnsOut, push_event};
use crate::model::url::{Scheme, Url, authority};
use crate::model::{Blame, Connection, Direction, EventKind, Step, TcpState};
use crate::wire::http::{Head, parse_response_head};
use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Bytes of an HTTP head (proxy answer, server answer) read at most.
const MAX_HEAD: usize = 16 * 1024;
/// Body bytes of a failed CONNECT answer kept for the report.
const MAX_BODY_PREVIEW: usize = 2 * 1024;
/// Received TLS bytes during one handshake before giving up (a hostile server).
const MAX_HANDSHAKE_BYTES: usize = 1024 * 1024;

/// A connection under construction: the model object plus the analyser's decoder.
pub struct Recorder {
    pub conn: Connection,
    app: AppState,
    dns_out: DnsOut,
    /// The step under way: a failure met now is this step's.
    step: Step,
}

impl Recorder {
    pub fn new(id: u64, server: SocketAddr) -> Self {
        let t = now_ns();
        Recorder {
            conn: Connection::new(
                id,
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                server,
                t,
                TcpState::SynUnanswered,
            ),
            app: AppState::default(),
            dns_out: Vec::new(),
            step: Step::Tcp,
        }
    }

    pub fn event(&mut self, dir: Direction, kind: EventKind) {
        push_event(&mut self.conn, now_ns(), None, dir, kind);
    }

    /// A failure met on this connection: its blame, the step under way, its wording.
    fn failed(&mut self, e: ProbeError) {
        self.failure(e.blame(), e.to_string());
    }

    /// A failure met on this connection, worded here.
    fn failure(&mut self, blame: Blame, detail: impl Into<String>) {
        let kind = EventKind::ProbeFailure {
            blame,
            step: self.step,
            detail: detail.into(),
        };
        self.event(Direction::ToServer, kind);
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.event(
            Direction::ToServer,
            EventKind::ProbeNote { text: text.into() },
        );
    }

    /// Bytes that went over the socket, decoded as the analyser decodes a stream.
    pub fn data(&mut self, dir: Direction, bytes: &[u8]) {
        match dir {
            Direction::ToServer => self.conn.bytes_to_server += bytes.len() as u64,
            Direction::ToClient => self.conn.bytes_to_client += bytes.len() as u64,
        }
        self.app.data(
            &mut self.conn,
            dir,
            now_ns(),
            None,
            bytes,
            &mut self.dns_out,
        );
    }

    /// The peer closed (read returned 0) or reset.
    fn peer_closed(&mut self, reset: bool) {
        if reset {
            self.event(Direction::ToClient, EventKind::TcpRst);
            self.conn.state = TcpState::ResetByServer;
        } else {
            self.event(Direction::ToClient, EventKind::TcpFin);
            self.conn.state = TcpState::ClosedByServer;
        }
    }

    /// We close; a no-op after the peer did.
    fn close(&mut self) {
        if self.conn.state == TcpState::Established {
            self.event(Direction::ToServer, EventKind::TcpFin);
            self.conn.state = TcpState::ClosedByClient;
        }
    }
}

/// What one read brought.
enum ReadOutcome {
    Data(usize),
    Closed,
    Reset,
    Timeout,
    Error(std::io::Error),
}

async fn read_until(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> ReadOutcome {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, stream.read(buf)).await {
        Err(_) => ReadOutcome::Timeout,
        Ok(Ok(0)) => ReadOutcome::Closed,
        Ok(Ok(n)) => ReadOutcome::Data(n),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => ReadOutcome::Reset,
        Ok(Err(e)) => ReadOutcome::Error(e),
    }
}

/// One read of the server's answer (`waiting_for`): the number of bytes, recorded as the
/// server's; anything else (closed, reset, timeout, error) is recorded and ends the step.
async fn receive(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    waiting_for: &'static str,
    timeout: Duration,
) -> Option<usize> {
    match read_until(stream, buf, deadline).await {
        ReadOutcome::Data(n) => {
            rec.data(Direction::ToClient, &buf[..n]);
            Some(n)
        }
        other => {
            record_no_data(rec, other, waiting_for, timeout);
            None
        }
    }
}

async fn send(rec: &mut Recorder, stream: &mut TcpStream, bytes: &[u8], deadline: Instant) -> bool {
    rec.data(Direction::ToServer, bytes);
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, stream.write_all(bytes)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            rec.peer_closed(true);
            false
        }
        Ok(Err(source)) => {
            rec.failed(ProbeError::Io {
                doing: "send",
                source,
            });
            false
        }
        Err(_) => {
            rec.failed(ProbeError::SendStalled);
            false
        }
    }
}

/// Records a read that brought no data: the peer closed or reset, the wait timed out, or
/// the read failed.
fn record_no_data(
    rec: &mut Recorder,
    read: ReadOutcome,
    waiting_for: &'static str,
    timeout: Duration,
) {
    match read {
        ReadOutcome::Closed => rec.peer_closed(false),
        ReadOutcome::Reset => rec.peer_closed(true),
        ReadOutcome::Timeout => rec.failed(ProbeError::Timeout {
            waiting_for,
            after: timeout,
        }),
        ReadOutcome::Error(source) => rec.failed(ProbeError::Io {
            doing: "receive",
            source,
        }),
        ReadOutcome::Data(_) => {}
    }
}

/// A socket bound as the switch's would be: `--source-interface` (SO_BINDTODEVICE, which
/// is also how a Linux VRF device is entered) and/or `--source-address`.
pub fn bound_socket(cfg: &ProbeConfig, addr: SocketAddr) -> Result<TcpSocket, ProbeError> {
    let s = make_socket(cfg, addr)?;
    s.set_nonblocking(true)
        .map_err(|e| ProbeError::socket("setting the socket non-blocking", e))?;
    let std: std::net::TcpStream = s.into();
    Ok(TcpSocket::from_std_stream(std))
}

fn make_socket(cfg: &ProbeConfig, addr: SocketAddr) -> Result<socket2::Socket, ProbeError> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(|e| ProbeError::socket("creating a socket", e))?;
    // No Nagle: the request that follows the TLS Finished (or a ClientHello after CONNECT)
    // must not wait for the ACK of the previous small segment; over 300 ms RTT that wait
    // cost a whole round trip (measured in the lab, BENCHMARKS.md).
    s.set_tcp_nodelay(true)
        .map_err(|e| ProbeError::socket("setting TCP_NODELAY", e))?;
    if let Some(dev) = &cfg.source_interface {
        bind_to_device(&s, dev)
            .map_err(|e| ProbeError::socket(format!("binding to interface {dev}"), e))?;
    }
    if let Some(src) = cfg.source_address {
        s.bind(&SocketAddr::new(src, 0).into())
            .map_err(|e| ProbeError::socket(format!("binding to source address {src}"), e))?;
    }
    Ok(s)
}

/// SO_BINDTODEVICE: how `--source-interface` (and a Linux VRF device) is entered.
#[cfg(target_os = "linux")]
pub(crate) fn bind_to_device(s: &socket2::Socket, dev: &str) -> std::io::Result<()> {
    s.bind_device(Some(dev.as_bytes()))
}

/// Elsewhere (Windows) no socket option binds to an interface by name: said, not faked.
#[cfg(not(target_os = "linux"))]
pub(crate) fn bind_to_device(_: &socket2::Socket, _: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "--source-interface and --dns-source-interface are Linux-only (SO_BINDTODEVICE); \
         use --source-address IP (the interface's address) instead",
    ))
}

/// The MSS the kernel settled on for the connection (TCP_MAXSEG): what the SYN-ACK offered.
#[cfg(unix)]
fn negotiated_mss(stream: &TcpStream) -> Option<u16> {
    socket2::SockRef::from(stream)
        .tcp_mss()
        .ok()
        .and_then(|m| u16::try_from(m).ok())
}

/// Windows has no TCP_MAXSEG to read back: the MSS is not known (never guessed).
#[cfg(not(unix))]
fn negotiated_mss(_: &TcpStream) -> Option<u16> {
    None
}

/// Checks that the kernel accepts the source binding (device exists, permission).
pub fn check_source_binding(cfg: &ProbeConfig, addr: SocketAddr) -> Result<(), ProbeError> {
    make_socket(cfg, addr).map(|_| ())
}

/// Step 2: TCP. Refused, unreachable and timeout are kept apart.
async fn connect(rec: &mut Recorder, cfg: &ProbeConfig, addr: SocketAddr) -> Option<TcpStream> {
    rec.step = Step::Tcp;
    let sock = match bound_socket(cfg, addr) {
        Ok(s) => s,
        Err(e) => {
            rec.failed(e);
            return None;
        }
    };
    // A second handle on the same socket: `connect` consumes the first, and when it fails
    // the local address the kernel chose (the SYN's source) is still worth reporting.
    let twin = socket2::SockRef::from(&sock).try_clone().ok();
    let t0 = now_ns();
    rec.event(
        Direction::ToServer,
        EventKind::TcpSyn {
            mss: None,
            window: 0,
            retransmission: false,
        },
    );
    let result = tokio::time::timeout(cfg.timeouts.tcp, sock.connect(addr)).await;
    if let Some(local) = twin
        .as_ref()
        .and_then(|t| t.local_addr().ok())
        .and_then(|a| a.as_socket())
        .filter(|a| a.port() != 0)
    {
        rec.conn.client = local;
    }
    drop(twin);
    match result {
        Err(_) => {
            rec.failure(
                Blame::Network,
                format!(
                    "no SYN/ACK within {:.1} s (--tcp-timeout)",
                    cfg.timeouts.tcp.as_secs_f64()
                ),
            );
            rec.conn.state = TcpState::SynUnanswered;
            None
        }
        Ok(Err(e)) => {
            use std::io::ErrorKind::*;
            match e.kind() {
                ConnectionRefused => {
                    rec.event(Direction::ToClient, EventKind::TcpRst);
                    rec.conn.state = TcpState::Refused;
                }
                HostUnreachable | NetworkUnreachable | AddrNotAvailable => {
                    rec.event(
                        Direction::ToClient,
                        EventKind::TcpUnreachable {
                            reason: e.to_string(),
                        },
                    );
                    rec.conn.state = TcpState::SynUnanswered;
                }
                TimedOut => {
                    rec.failure(
                        Blame::Network,
                        format!("the kernel gave up connecting: {e}"),
                    );
                    rec.conn.state = TcpState::SynUnanswered;
                }
                _ => {
                    rec.event(
                        Direction::ToClient,
                        EventKind::TcpUnreachable {
                            reason: e.to_string(),
                        },
                    );
                    rec.conn.state = TcpState::SynUnanswered;
                }
            }
            None
        }
        Ok(Ok(stream)) => {
            let rtt = now_ns() - t0;
            if let Ok(local) = stream.local_addr() {
                rec.conn.client = local;
            }
            let mss = negotiated_mss(&stream);
            rec.event(
                Direction::ToClient,
                EventKind::TcpSynAck {
                    mss,
                    window: 0,
                    retransmission: false,
                },
            );
            rec.event(
                Direction::ToServer,
                EventKind::TcpEstablished { rtt_ns: rtt },
            );
            rec.conn.handshake_rtt_ns = Some(rtt);
            rec.conn.state = TcpState::Established;
            Some(stream)
        }
    }
}

/// Reads an HTTP response head (bounded), feeding every byte to the recorder. Returns the
/// status, or `None` when the peer did not answer with a complete head.
async fn read_head(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    timeout: Duration,
    what: &'static str,
) -> Option<(u16, usize, Vec<u8>)> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = receive(rec, stream, &mut chunk, deadline, what, timeout).await?;
        buf.extend_from_slice(&chunk[..n]);
        match parse_response_head(&buf) {
            Head::Complete { head, len } => return Some((head.status, len, buf)),
            Head::Invalid(_) => return None,
            Head::NeedMore if buf.len() > MAX_HEAD => {
                rec.failed(ProbeError::HeadTooLong {
                    what,
                    limit: MAX_HEAD,
                });
                return None;
            }
            Head::NeedMore => {}
        }
    }
}

/// Step 3: `CONNECT host:port HTTP/1.0`, as the switch sends it. True when the tunnel is
/// open.
async fn http_connect(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    cfg: &ProbeConfig,
    url: &Url,
) -> bool {
    rec.step = Step::Proxy;
    let mut req = format!("CONNECT {} HTTP/1.0\r\n", authority(url.host(), url.port()));
    if let Some(cred) = &cfg.proxy_credentials {
        req.push_str(&format!(
            "Proxy-Authorization: {}\r\n",
            cred.basic_authorization()
        ));
    }
    req.push_str("\r\n");
    let deadline = Instant::now() + cfg.timeouts.proxy;
    if !send(rec, stream, req.as_bytes(), deadline).await {
        return false;
    }
    match read_head(rec, stream, cfg.timeouts.proxy, "answer to CONNECT").await {
        Some((200..=299, len, buf)) if buf.len() == len => true,
        Some((200..=299, _, _)) => {
            rec.note("the proxy sent bytes after its 200 before the client spoke");
            true
        }
        Some((_, len, buf)) => {
            // Keep the start of the error page: it often names the policy or the upstream
            // error. Bounded in size and time.
            let mut got = buf.len() - len;
            let deadline = Instant::now() + Duration::from_millis(500);
            let mut chunk = [0u8; 1024];
            while got < MAX_BODY_PREVIEW {
                match read_until(stream, &mut chunk, deadline).await {
                    ReadOutcome::Data(n) => {
                        rec.data(Direction::ToClient, &chunk[..n]);
                        got += n;
                    }
                    ReadOutcome::Closed => {
                        rec.peer_closed(false);
                        break;
                    }
                    ReadOutcome::Reset => {
                        rec.peer_closed(true);
                        break;
                    }
                    _ => break,
                }
            }
            false
        }
        None => false,
    }
}

/// The rustls client configuration: recording verifier that refuses what the switch
/// refuses (`judge`: the diagnosis settings and the host; `None` accepts any chain),
/// `--tls-max`, no client auth.
pub fn tls_config(
    cfg: &ProbeConfig,
    judge: Option<(Arc<DiagnoseConfig>, String)>,
) -> (Arc<rustls::ClientConfig>, Arc<RecordingVerifier>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordingVerifier::new(provider.clone(), judge));
    let versions: &[&rustls::SupportedProtocolVersion] = if cfg.tls_max_12 {
        &[&rustls::version::TLS12]
    } else {
        rustls::ALL_VERSIONS
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    (Arc::new(config), verifier)
}

/// Writes whatever rustls has queued (handshake messages, alerts) to the socket.
async fn flush_tls(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    tls: &mut rustls::ClientConnection,
    deadline: Instant,
) -> bool {
    while tls.wants_write() {
        let mut out = Vec::new();
        if tls.write_tls(&mut out).is_err() {
            return false;
        }
        if !out.is_empty() && !send(rec, stream, &out, deadline).await {
            return false;
        }
    }
    true
}

/// Step 4 (and 5): the TLS handshake, then a minimal HTTP request inside the session.
async fn tls_and_http(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    cfg: &ProbeConfig,
    judge: &Arc<DiagnoseConfig>,
    url: &Url,
) {
    rec.step = Step::Tls;
    let host = url.host();
    let judge = (!cfg.accept_any_cert).then(|| (judge.clone(), host.to_string()));
    let (config, verifier) = tls_config(cfg, judge);
    let name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(e) => {
            rec.failure(
                Blame::Local,
                format!("{host} is not a valid TLS server name: {e}"),
            );
            return;
        }
    };
    let mut tls = match rustls::ClientConnection::new(config, name) {
        Ok(t) => t,
        Err(e) => {
            rec.failure(Blame::Local, format!("TLS setup failed: {e}"));
            return;
        }
    };
    let deadline = Instant::now() + cfg.timeouts.tls;
    let mut chunk = vec![0u8; 16 * 1024];
    let mut received = 0usize;
    while tls.is_handshaking() {
        if !flush_tls(rec, stream, &mut tls, deadline).await {
            return;
        }
        if !tls.is_handshaking() {
            break;
        }
        let Some(n) = receive(
            rec,
            stream,
            &mut chunk,
            deadline,
            "TLS answer",
            cfg.timeouts.tls,
        )
        .await
        else {
            return;
        };
        received += n;
        if received > MAX_HANDSHAKE_BYTES {
            rec.failed(ProbeError::HandshakeTooLong {
                limit: MAX_HANDSHAKE_BYTES,
            });
            return;
        }
        let mut slice = &chunk[..n];
        while !slice.is_empty() {
            match tls.read_tls(&mut slice) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    rec.failed(ProbeError::TlsInput(e));
                    return;
                }
            }
            if let Err(e) = tls.process_new_packets() {
                if let rustls::Error::InvalidCertificate(why) = &e {
                    rec.note(format!(
                        "certificate refused as the switch would refuse it ({why:?}); the handshake ends with an alert and no HTTP request"
                    ));
                } else {
                    if let Some(kind) = oversized(&e) {
                        rec.event(Direction::ToClient, kind);
                    }
                    rec.failed(ProbeError::TlsHandshake(e));
                }
                // rustls queued an alert for the peer: send it, as a client would.
                let _ = flush_tls(rec, stream, &mut tls, deadline).await;
                add_presented_chain(rec, &verifier);
                return;
            }
        }
    }
    let _ = flush_tls(rec, stream, &mut tls, deadline).await;
    add_presented_chain(rec, &verifier);
    if cfg.http {
        https_request(rec, stream, &mut tls, cfg, url).await;
    }
    tls.send_close_notify();
    let _ = flush_tls(
        rec,
        stream,
        &mut tls,
        Instant::now() + Duration::from_secs(1),
    )
    .await;
}

/// rustls' own bounds on what a peer sends (rustls 0.23: `MAX_HANDSHAKE_SIZE` in its
/// handshake deframer, 64 KiB per certificate list; a record is 2^14 bytes plus 2,048 of
/// expansion, RFC 8446 §5.2): a server past them is an oversized certificate in practice,
/// said as such by the diagnosis instead of a handshake the client broke off.
fn oversized(e: &rustls::Error) -> Option<EventKind> {
    use crate::model::TlsOversizedMessage;
    use rustls::InvalidMessage;
    let (message, limit) = match e {
        rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge) => {
            (TlsOversizedMessage::Handshake, 0xffff)
        }
        rustls::Error::InvalidMessage(InvalidMessage::CertificatePayloadTooLarge) => {
            (TlsOversizedMessage::Handshake, 0x1_0000)
        }
        rustls::Error::InvalidMessage(InvalidMessage::MessageTooLarge) => (
            TlsOversizedMessage::Record,
            crate::wire::tls::MAX_RECORD_LEN as u64,
        ),
        _ => return None,
    };
    Some(EventKind::TlsOversized { message, limit })
}

/// TLS 1.3 encrypts the Certificate message: the decoder saw only records. The verifier
/// saw the chain; add it to the timeline as the event a TLS 1.2 decode gives.
fn add_presented_chain(rec: &mut Recorder, verifier: &RecordingVerifier) {
    let have_certs = rec
        .conn
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::TlsCertificate { .. }));
    let seen = verifier.seen.lock().ok().and_then(|s| s.clone());
    if let (false, Some(p)) = (have_certs, seen) {
        let certificates = p
            .chain
            .iter()
            .filter_map(|der| crate::wire::x509::parse_certificate(der).ok())
            .collect();
        push_event(
            &mut rec.conn,
            p.time_ns,
            None,
            Direction::ToClient,
            EventKind::TlsCertificate { certificates },
        );
        rec.conn.events.sort_by_key(|e| e.time_ns);
    }
}

/// Step 5: `GET path` inside TLS; the status line, `Date` and `Server`, read with limits.
async fn https_request(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    tls: &mut rustls::ClientConnection,
    cfg: &ProbeConfig,
    url: &Url,
) {
    rec.step = Step::Http;
    let request = format!("GET {} HTTP/1.1", url.path());
    let req = format!(
        "{request}\r\nHost: {}\r\nUser-Agent: licpath/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.host_header(),
        env!("CARGO_PKG_VERSION")
    );
    if tls.writer().write_all(req.as_bytes()).is_err() {
        return;
    }
    let deadline = Instant::now() + cfg.timeouts.http;
    if !flush_tls(rec, stream, tls, deadline).await {
        return;
    }
    let mut plain = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let mut pbuf = [0u8; 4096];
        loop {
            match tls.reader().read(&mut pbuf) {
                Ok(0) => break,
                Ok(n) => plain.extend_from_slice(&pbuf[..n]),
                Err(_) => break,
            }
            if plain.len() > MAX_HEAD {
                break;
            }
        }
        match parse_response_head(&plain) {
            _ if plain.is_empty() => {}
            Head::Complete { head, .. } => {
                rec.event(
                    Direction::ToClient,
                    EventKind::HttpsExchange {
                        request,
                        status: head.status,
                        reason: head.reason.clone(),
                        date: head.header("date").map(str::to_string),
                        server: head.header("server").map(str::to_string),
                    },
                );
                return;
            }
            Head::Invalid(why) => {
                rec.failed(ProbeError::NotHttp {
                    why: why.to_string(),
                });
                return;
            }
            Head::NeedMore if plain.len() > MAX_HEAD => {
                rec.failed(ProbeError::HeadTooLong {
                    what: "HTTPS answer",
                    limit: MAX_HEAD,
                });
                return;
            }
            Head::NeedMore => {}
        }
        let Some(n) = receive(
            rec,
            stream,
            &mut chunk,
            deadline,
            "HTTP answer inside TLS",
            cfg.timeouts.http,
        )
        .await
        else {
            return;
        };
        let mut slice = &chunk[..n];
        while !slice.is_empty() {
            if tls.read_tls(&mut slice).is_err() || tls.process_new_packets().is_err() {
                let _ = flush_tls(rec, stream, tls, deadline).await;
                return;
            }
        }
    }
}

/// Plain HTTP (CSLU, call-home over port 80): a GET, as origin-form or through the proxy
/// in absolute form.
async fn plain_http(
    rec: &mut Recorder,
    stream: &mut TcpStream,
    cfg: &ProbeConfig,
    url: &Url,
    via_proxy: bool,
) {
    rec.step = Step::Http;
    // Through a proxy the absolute form (RFC 9112 §3.2.2), else the origin form.
    let target = if via_proxy {
        url.to_string()
    } else {
        url.path().to_string()
    };
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: licpath/{}\r\nConnection: close\r\n\r\n",
        url.host_header(),
        env!("CARGO_PKG_VERSION")
    );
    let deadline = Instant::now() + cfg.timeouts.http;
    if send(rec, stream, req.as_bytes(), deadline).await {
        let _ = read_head(rec, stream, cfg.timeouts.http, "HTTP answer").await;
    }
}

/// One attempt over one address: TCP, then CONNECT when `proxy`, then TLS/HTTP. Every
/// byte written is built from the target parsed again as a [`Url`]: a host or path that
/// could not go safely on a request line is noted and nothing is sent.
pub async fn attempt(
    id: u64,
    addr: SocketAddr,
    cfg: &ProbeConfig,
    target: &super::target::Target,
    via_proxy: bool,
    judge: &Arc<DiagnoseConfig>,
) -> Connection {
    let mut rec = Recorder::new(id, addr);
    let url = &target.url;
    if via_proxy {
        rec.conn.proxy_target = Some(authority(url.host(), url.port()));
        // The switch's proxy (`--proxy`), as `analyze --from-config`/`--proxy` marks it:
        // a failed connection to it is `proxy_unreachable`, by the same rule.
        rec.conn.configured_proxy = true;
    } else {
        rec.conn.server_name = Some(url.host().to_string());
    }
    let Some(mut stream) = connect(&mut rec, cfg, addr).await else {
        return rec.conn;
    };
    let tunnel = match (via_proxy, url.scheme()) {
        (true, Scheme::Https) => http_connect(&mut rec, &mut stream, cfg, url).await,
        _ => true,
    };
    if tunnel {
        match url.scheme() {
            Scheme::Https => tls_and_http(&mut rec, &mut stream, cfg, judge, url).await,
            Scheme::Http => plain_http(&mut rec, &mut stream, cfg, url, via_proxy).await,
        }
    }
    rec.close();
    let _ = stream.shutdown().await;
    rec.conn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Blame;

    #[test]
    fn a_source_binding_the_kernel_refuses_is_this_hosts_fault() {
        let cfg = ProbeConfig {
            source_interface: Some("licpath-none0".into()),
            ..ProbeConfig::default()
        };
        // No such device as root, no permission otherwise: a local problem either way.
        let e = check_source_binding(&cfg, "192.0.2.1:443".parse().expect("literal"))
            .expect_err("no such interface");
        assert_eq!(e.blame(), Blame::Local);
        assert!(
            e.to_string()
                .starts_with("binding to interface licpath-none0: "),
            "{e}"
        );
    }
}
