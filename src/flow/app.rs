//! What runs over a TCP connection, recognised by content, not by port: an HTTP CONNECT
//! to a proxy (then TLS in the tunnel), plain HTTP, TLS, DNS over TCP. Turns reassembled
//! bytes into model events. Pure.

use super::event::{DnsOut, push_event};
use crate::model::{Connection, Direction, Event, EventKind};
use crate::wire::http::{self, Head};
use crate::wire::tls::{TlsDecoder, TlsOutput};

/// RFC 1035 §4.2.2: DNS over TCP messages carry a 2-byte length.
const MAX_DNS_TCP_BUFFER: usize = 64 * 1024 + 2;

#[derive(Default)]
pub enum AppState {
    #[default]
    Unknown,
    Tls(TlsDecoder),
    Connect(Box<ConnectState>),
    Http(Box<HttpState>),
    Dns([Vec<u8>; 2]),
    Other,
}

#[derive(Default)]
pub struct HttpState {
    request: Vec<u8>,
    response: Vec<u8>,
    request_done: bool,
    response_done: bool,
}

#[derive(Default)]
pub struct ConnectState {
    head: HttpState,
    /// Client bytes sent after the CONNECT head, before the proxy answered.
    early_client: Vec<u8>,
    tunnel: Option<TlsDecoder>,
    /// The capture lost server bytes while the proxy's answer was awaited.
    answer_lost: bool,
}

impl AppState {
    pub fn data(
        &mut self,
        conn: &mut Connection,
        dir: Direction,
        t: i64,
        frame: Option<u64>,
        data: &[u8],
        dns_out: &mut DnsOut,
    ) {
        if data.is_empty() {
            return;
        }
        if let AppState::Unknown = self {
            *self = if conn.server.port() == 53 || conn.client.port() == 53 {
                AppState::Dns([Vec::new(), Vec::new()])
            } else if dir == Direction::ToServer
                && (data.starts_with(b"CONNECT ") || b"CONNECT ".starts_with(data))
            {
                AppState::Connect(Box::default())
            } else if dir == Direction::ToServer && http::looks_like_request(data) {
                AppState::Http(Box::default())
            } else if data[0] == 22 && (dir == Direction::ToServer || data.get(1) == Some(&3)) {
                // A server's handshake record first: a capture that starts mid-stream,
                // after the ClientHello (a ServerHello and Certificate are still judged).
                AppState::Tls(TlsDecoder::new())
            } else if dir == Direction::ToServer {
                push_event(
                    conn,
                    t,
                    frame,
                    dir,
                    EventKind::Undecoded {
                        reason: format!("unrecognised client data: {}", http::preview(data, 32)),
                    },
                );
                AppState::Other
            } else {
                AppState::Other
            };
        }
        match self {
            AppState::Tls(dec) => tls_feed(dec, conn, dir, t, frame, data),
            AppState::Http(h) => {
                http_feed(h, conn, dir, t, frame, data, false);
            }
            AppState::Connect(c) => connect_feed(c, conn, dir, t, frame, data),
            AppState::Dns(bufs) => {
                let buf = &mut bufs[usize::from(dir == Direction::ToClient)];
                if buf.len() + data.len() > MAX_DNS_TCP_BUFFER {
                    buf.clear();
                    return;
                }
                buf.extend_from_slice(data);
                while buf.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
                    if buf.len() < 2 + len {
                        break;
                    }
                    let msg: Vec<u8> = buf.drain(..2 + len).skip(2).collect();
                    dns_out.push((frame, t, dir, msg));
                }
            }
            AppState::Unknown | AppState::Other => {}
        }
    }

    /// Heap bytes held for messages not yet complete: counted against the flow table's
    /// memory budget.
    pub fn buffered_bytes(&self) -> usize {
        let head = |h: &HttpState| h.request.capacity() + h.response.capacity();
        match self {
            AppState::Tls(dec) => dec.buffered_bytes(),
            AppState::Connect(c) => {
                head(&c.head)
                    + c.early_client.capacity()
                    + c.tunnel.as_ref().map_or(0, TlsDecoder::buffered_bytes)
            }
            AppState::Http(h) => head(h),
            AppState::Dns(bufs) => bufs[0].capacity() + bufs[1].capacity(),
            AppState::Unknown | AppState::Other => 0,
        }
    }

    /// Bytes of `dir` the capture lacks.
    pub fn gap(&mut self, dir: Direction, n: u64) {
        match self {
            AppState::Tls(dec) => dec.gap(dir, n),
            AppState::Connect(c) => match c.tunnel.as_mut() {
                Some(dec) => dec.gap(dir, n),
                None => {
                    c.answer_lost |= dir == Direction::ToClient && !c.head.response_done;
                    c.head.request_done = true;
                    c.head.response_done = true;
                }
            },
            AppState::Dns(bufs) => bufs[usize::from(dir == Direction::ToClient)].clear(),
            _ => {}
        }
    }
}

fn tls_feed(
    dec: &mut TlsDecoder,
    conn: &mut Connection,
    dir: Direction,
    t: i64,
    frame: Option<u64>,
    data: &[u8],
) {
    let mut out = Vec::new();
    dec.feed(dir, data, &mut out);
    for o in out {
        match o {
            TlsOutput::Event(kind) => push_event(conn, t, frame, dir, kind),
            TlsOutput::Opaque(rec) => {
                // Fold consecutive encrypted records of one direction into one event.
                if let Some(Event {
                    dir: d,
                    kind:
                        EventKind::TlsEncrypted {
                            records,
                            bytes,
                            content_type,
                            largest,
                        },
                    ..
                }) = conn.events.last_mut()
                    && *d == dir
                    && *content_type == rec.content_type
                {
                    *records += 1;
                    *bytes += rec.len as u64;
                    *largest = (*largest).max(rec.len as u32);
                    conn.end_ns = conn.end_ns.max(t);
                    continue;
                }
                push_event(
                    conn,
                    t,
                    frame,
                    dir,
                    EventKind::TlsEncrypted {
                        records: 1,
                        bytes: rec.len as u64,
                        content_type: rec.content_type,
                        largest: rec.len as u32,
                    },
                );
            }
        }
    }
}

/// Feeds an HTTP/1.x exchange; returns the bytes after a completed head in `dir`.
fn http_feed(
    h: &mut HttpState,
    conn: &mut Connection,
    dir: Direction,
    t: i64,
    frame: Option<u64>,
    data: &[u8],
    connect: bool,
) -> Vec<u8> {
    match dir {
        Direction::ToServer if !h.request_done => {
            h.request.extend_from_slice(data);
            match http::parse_request_head(&h.request) {
                Head::Complete { head, len } => {
                    h.request_done = true;
                    let kind = if connect {
                        EventKind::HttpConnectRequest {
                            target: head.target.clone(),
                            version: head.version.clone(),
                        }
                    } else {
                        EventKind::HttpRequest {
                            host: head.header("host").map(str::to_string),
                            method: head.method,
                            target: head.target,
                            version: head.version,
                        }
                    };
                    push_event(conn, t, frame, dir, kind);
                    let rest = h.request.split_off(len);
                    h.request = Vec::new();
                    rest
                }
                Head::NeedMore => Vec::new(),
                Head::Invalid(reason) => {
                    h.request_done = true;
                    h.request = Vec::new();
                    push_event(
                        conn,
                        t,
                        frame,
                        dir,
                        EventKind::Undecoded {
                            reason: reason.to_string(),
                        },
                    );
                    Vec::new()
                }
            }
        }
        Direction::ToClient if !h.response_done => {
            h.response.extend_from_slice(data);
            match http::parse_response_head(&h.response) {
                Head::Complete { head, len } => {
                    h.response_done = true;
                    push_event(
                        conn,
                        t,
                        frame,
                        dir,
                        EventKind::HttpResponse {
                            version: head.version,
                            status: head.status,
                            reason: head.reason,
                            headers: head.headers,
                        },
                    );
                    let rest = h.response.split_off(len);
                    h.response = Vec::new();
                    rest
                }
                Head::NeedMore => Vec::new(),
                Head::Invalid(why) => {
                    h.response_done = true;
                    let preview = http::preview(&h.response, 64);
                    h.response = Vec::new();
                    // A head that never ends is an HTTP answer out of bounds, not "not HTTP".
                    let kind = match why {
                        crate::wire::WireError::HttpHeadTooLong { limit } => {
                            EventKind::HttpHeadTooLong { limit, preview }
                        }
                        _ => EventKind::NotTls {
                            preview: format!("not an HTTP answer: {preview}"),
                        },
                    };
                    push_event(conn, t, frame, dir, kind);
                    Vec::new()
                }
            }
        }
        _ => Vec::new(),
    }
}

fn connect_feed(
    c: &mut ConnectState,
    conn: &mut Connection,
    dir: Direction,
    t: i64,
    frame: Option<u64>,
    data: &[u8],
) {
    if let Some(dec) = c.tunnel.as_mut() {
        return tls_feed(dec, conn, dir, t, frame, data);
    }
    let head_was_done = match dir {
        Direction::ToServer => c.head.request_done,
        Direction::ToClient => c.head.response_done,
    };
    if head_was_done {
        if dir == Direction::ToServer && c.early_client.len() < crate::wire::tls::MAX_HANDSHAKE_LEN
        {
            c.early_client.extend_from_slice(data);
        } else if dir == Direction::ToClient && c.answer_lost && starts_tls_handshake(data) {
            // The proxy's answer was not captured, but what came next is a TLS handshake
            // record: the tunnel is open (principle 1: the wire says it).
            open_tunnel(c, conn, t, frame, data);
        }
        return;
    }
    let rest = http_feed(&mut c.head, conn, dir, t, frame, data, true);
    match dir {
        Direction::ToServer => c.early_client.extend_from_slice(&rest),
        Direction::ToClient => {
            let ok = conn.events.iter().rev().find_map(|e| match &e.kind {
                EventKind::HttpResponse { status, .. } => Some((200..300).contains(status)),
                _ => None,
            });
            if ok == Some(true) {
                open_tunnel(c, conn, t, frame, &rest);
            }
        }
    }
}

/// TLS in the tunnel from here: the client's bytes held so far, then the server's `data`.
fn open_tunnel(
    c: &mut ConnectState,
    conn: &mut Connection,
    t: i64,
    frame: Option<u64>,
    data: &[u8],
) {
    let mut dec = TlsDecoder::new();
    let early = std::mem::take(&mut c.early_client);
    tls_feed(&mut dec, conn, Direction::ToServer, t, frame, &early);
    tls_feed(&mut dec, conn, Direction::ToClient, t, frame, data);
    c.tunnel = Some(dec);
}

/// A TLS handshake record's header (content type 22, version 3.x, a length a record may
/// have) at the start of `data`.
fn starts_tls_handshake(data: &[u8]) -> bool {
    matches!(data, [0x16, 0x03, 0..=4, hi, lo, ..] if u16::from_be_bytes([*hi, *lo]) <= 16_384 + 2048)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FindingCode;
    use crate::model::url::host_of_authority;

    /// A proxy that streams header lines without end is an HTTP answer out of bounds, and
    /// the connection's finding says so instead of "not an HTTP proxy (wrong port?)".
    #[test]
    fn an_endless_proxy_head_is_said_as_such() {
        let mut conn = crate::model::testing::connection()
            .server("198.51.100.3:3128")
            .build();
        let mut app = AppState::default();
        let mut dns = Vec::new();
        let connect = b"CONNECT smartreceiver.cisco.com:443 HTTP/1.0\r\n\r\n";
        app.data(
            &mut conn,
            Direction::ToServer,
            1,
            Some(1),
            connect,
            &mut dns,
        );
        let mut answer = b"HTTP/1.1 200 Connection established\r\n".to_vec();
        while answer.len() < 20_000 {
            answer.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        for chunk in answer.chunks(1400) {
            app.data(&mut conn, Direction::ToClient, 2, Some(2), chunk, &mut dns);
        }
        let event = conn
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::HttpHeadTooLong { .. }))
            .expect("the endless head is its own event");
        assert!(matches!(
            event.kind,
            EventKind::HttpHeadTooLong { limit: 16384, .. }
        ));
        // JSON: the `not_tls` event it was before it had a kind of its own.
        let json = serde_json::to_value(event).expect("json");
        assert_eq!(json["type"], "not_tls", "{json}");
        let preview = json["preview"].as_str().unwrap_or_default();
        assert!(
            preview.starts_with("its answer exceeded 16 KB of headers: HTTP/1.1 200"),
            "{json}"
        );
        crate::diagnose::diagnose_connection(&mut conn, &crate::diagnose::test_config());
        let f = conn.findings.first().expect("a finding");
        assert_eq!(f.code, FindingCode::ProxyBadResponse);
        assert!(f.summary.contains("never ended"), "{}", f.summary);
        assert!(!f.explanation.contains("wrong port"), "{}", f.explanation);
    }

    #[test]
    fn targets() {
        assert_eq!(
            host_of_authority("smartreceiver.cisco.com:443"),
            "smartreceiver.cisco.com"
        );
        assert_eq!(host_of_authority("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(host_of_authority("tools.cisco.com"), "tools.cisco.com");
    }
}
