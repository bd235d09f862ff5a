//! Test helpers: connections, DNS exchanges, certificates and timelines built in code,
//! so that each rule's unit test states the few events it is about and nothing else.
//! Compiled for tests only.

use super::*;

/// The client and server every built connection uses unless told otherwise.
pub const CLIENT: &str = "192.0.2.10:50000";
pub const SERVER: &str = "203.0.113.10:443";
/// When built connections start: 2027-01-15 08:00:00 UTC, in ns.
pub const START_NS: i64 = 1_800_000_000_000_000_000;

/// Builds a [`Connection`] event by event. Each event is 1 ms after the one before unless
/// [`ConnectionBuilder::after_ms`] says otherwise; the connection ends at its last event.
pub struct ConnectionBuilder {
    c: Connection,
    now_ns: i64,
}

/// A licensing connection from [`CLIENT`] to [`SERVER`], state `Established`, no events.
pub fn connection() -> ConnectionBuilder {
    let c = Connection::new(
        1,
        CLIENT.parse().expect("client address"),
        SERVER.parse().expect("server address"),
        START_NS,
        TcpState::Established,
    );
    ConnectionBuilder {
        c: Connection {
            licensing: true,
            ..c
        },
        now_ns: START_NS,
    }
}

impl ConnectionBuilder {
    pub fn state(mut self, state: TcpState) -> Self {
        self.c.state = state;
        self
    }

    pub fn server(mut self, addr: &str) -> Self {
        self.c.server = addr.parse().expect("server address");
        self
    }

    pub fn server_name(mut self, name: &str) -> Self {
        self.c.server_name = Some(name.into());
        self
    }

    pub fn proxy_target(mut self, target: &str) -> Self {
        self.c.proxy_target = Some(target.into());
        self
    }

    pub fn licensing(mut self, licensing: bool) -> Self {
        self.c.licensing = licensing;
        self
    }

    pub fn one_direction(mut self) -> Self {
        self.c.one_direction = true;
        self
    }

    pub fn retransmissions(mut self, n: u64) -> Self {
        self.c.retransmissions = n;
        self
    }

    pub fn handshake_complete(mut self) -> Self {
        self.c
            .tls
            .get_or_insert_with(TlsSummary::default)
            .handshake_complete = true;
        self
    }

    /// The next event comes `ms` milliseconds after the previous one (instead of 1).
    pub fn after_ms(mut self, ms: i64) -> Self {
        self.now_ns += ms * 1_000_000 - 1_000_000;
        self
    }

    /// Any event, in direction `dir`.
    pub fn event(mut self, dir: Direction, kind: EventKind) -> Self {
        if !self.c.events.is_empty() {
            self.now_ns += 1_000_000;
        }
        let frame = Some(self.c.events.len() as u64 + 1);
        self.c.events.push(Event {
            time_ns: self.now_ns,
            frame,
            dir,
            kind,
        });
        self.c.end_ns = self.now_ns;
        self
    }

    pub fn to_server(self, kind: EventKind) -> Self {
        self.event(Direction::ToServer, kind)
    }

    pub fn to_client(self, kind: EventKind) -> Self {
        self.event(Direction::ToClient, kind)
    }

    pub fn syn(self) -> Self {
        self.to_server(EventKind::TcpSyn {
            mss: Some(536),
            window: 4128,
            retransmission: false,
        })
    }

    pub fn syn_ack(self) -> Self {
        self.to_client(EventKind::TcpSynAck {
            mss: Some(1460),
            window: 65535,
            retransmission: false,
        })
    }

    /// SYN, SYN/ACK: an established connection.
    pub fn handshake(self) -> Self {
        self.syn().syn_ack()
    }

    pub fn client_hello(self, sni: Option<&str>, max: TlsVersion) -> Self {
        self.to_server(EventKind::TlsClientHello(ClientHello {
            record_version: String::new(),
            version: TlsVersion::Tls12,
            supported_versions: vec![max],
            sni: sni.map(str::to_string),
            alpn: Vec::new(),
            cipher_count: 20,
            has_ech: false,
        }))
    }

    pub fn server_hello(self, version: TlsVersion) -> Self {
        self.to_client(EventKind::TlsServerHello(ServerHello {
            version,
            cipher: "TLS_AES_128_GCM_SHA256".into(),
            hello_retry_request: false,
        }))
    }

    pub fn certificates(self, certificates: Vec<CertInfo>) -> Self {
        self.to_client(EventKind::TlsCertificate { certificates })
    }

    pub fn alert(
        self,
        dir: Direction,
        level: TlsAlertSeverity,
        description: TlsAlertDescription,
    ) -> Self {
        self.event(dir, EventKind::TlsAlert(TlsAlert { level, description }))
    }

    pub fn encrypted(self, dir: Direction, bytes: u64) -> Self {
        self.event(
            dir,
            EventKind::TlsEncrypted {
                records: 1,
                bytes,
                content_type: TlsRecordType::ApplicationData,
                largest: bytes as u32,
            },
        )
    }

    pub fn connect(self, target: &str) -> Self {
        self.to_server(EventKind::HttpConnectRequest {
            target: target.into(),
            version: "HTTP/1.0".into(),
        })
    }

    pub fn response(self, status: u16, reason: &str) -> Self {
        self.to_client(EventKind::HttpResponse {
            version: "HTTP/1.1".into(),
            status,
            reason: reason.into(),
            headers: Vec::new(),
        })
    }

    pub fn request(self, method: &str, target: &str) -> Self {
        self.to_server(EventKind::HttpRequest {
            method: method.into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            host: None,
        })
    }

    pub fn rst(self, dir: Direction) -> Self {
        self.event(dir, EventKind::TcpRst)
    }

    pub fn fin(self, dir: Direction) -> Self {
        self.event(dir, EventKind::TcpFin)
    }

    pub fn build(self) -> Connection {
        self.c
    }
}

/// A server certificate for `cn` (also its only SAN) issued by `issuer_cn`, valid
/// between the two Unix times.
pub fn cert(cn: &str, issuer_cn: &str, not_before: i64, not_after: i64) -> CertInfo {
    CertInfo {
        subject: format!("CN={cn}"),
        issuer: format!("CN={issuer_cn}"),
        subject_cn: Some(cn.into()),
        issuer_cn: Some(issuer_cn.into()),
        serial: "01".into(),
        not_before,
        not_after,
        sans: vec![cn.into()],
        sha256: String::new(),
        self_signed: cn == issuer_cn,
        is_ca: false,
        crl_urls: Vec::new(),
        ocsp_urls: Vec::new(),
        spki_sha256: cn.into(),
        read_from: crate::model::CertSource::Der,
    }
}

/// A CA certificate for `cn` issued by `issuer_cn`, valid from 2020 to 2030.
pub fn ca(cn: &str, issuer_cn: &str) -> CertInfo {
    CertInfo {
        sans: Vec::new(),
        is_ca: true,
        ..cert(cn, issuer_cn, 1_600_000_000, 1_900_000_000)
    }
}

/// Cisco's current public chain for `host` (leaf, HydrantID, IdenTrust root name),
/// valid from 2020 to 2030.
pub fn cisco_chain(host: &str) -> Vec<CertInfo> {
    vec![
        cert(host, "HydrantID Server CA O1", 1_600_000_000, 1_900_000_000),
        ca("HydrantID Server CA O1", "IdenTrust Commercial Root CA 1"),
    ]
}

/// A query from [`CLIENT`]'s address to 198.51.100.53 for `name`, answered with `rcode`
/// and `answers` (`None`: unanswered).
pub fn dns(
    name: &str,
    qtype: DnsType,
    rcode: Option<DnsRcode>,
    answers: Vec<DnsData>,
) -> DnsExchange {
    DnsExchange {
        client: "192.0.2.10:53000".parse().expect("client"),
        server: "198.51.100.53:53".parse().expect("server"),
        id: 1,
        name: name.into(),
        qtype,
        transport: DnsTransport::Udp,
        query_frame: Some(1),
        query_ns: START_NS,
        retries: 0,
        response: rcode.map(|rcode| DnsResponse {
            frame: Some(2),
            time_ns: START_NS + 20_000_000,
            rcode,
            answers: answers
                .into_iter()
                .map(|data| DnsAnswer {
                    name: name.into(),
                    ttl: 60,
                    data,
                })
                .collect(),
            truncated: false,
        }),
        unreachable: None,
        unusable_answer: None,
        licensing: true,
    }
}

/// A capture's timeline holding these DNS exchanges and connections.
pub fn timeline(dns: Vec<DnsExchange>, connections: Vec<Connection>) -> Timeline {
    Timeline {
        dns,
        connections,
        ..Timeline::empty(Source::Capture {
            files: vec!["test.pcap".into()],
        })
    }
}
