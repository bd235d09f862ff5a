//! Incremental TLS decoder for one connection (both directions), fed with reassembled
//! stream bytes. Plaintext records are decoded with tls-parser (RFC 5246, RFC 8446);
//! encrypted records are only counted and sized, never buffered. Bounded by
//! [`MAX_RECORD_LEN`] and [`MAX_HANDSHAKE_LEN`].

use crate::model::{
    ClientHello, Direction, EventKind, ServerHello, TlsAlert, TlsRecordType, TlsVersion,
};
use crate::wire::x509::parse_certificate;
use tls_parser::{
    TlsCipherSuite, TlsExtension, TlsMessage, TlsMessageHandshake,
    parse_tls_client_hello_extensions, parse_tls_message_handshake,
    parse_tls_server_hello_extensions,
};

/// RFC 8446 §5.2 / RFC 5246 §6.2.3: TLSCiphertext.length ≤ 2^14 + 2048.
pub const MAX_RECORD_LEN: usize = 16384 + 2048;
/// Largest handshake message we reassemble (a certificate chain is the big one).
pub const MAX_HANDSHAKE_LEN: usize = 128 * 1024;
/// The HelloRetryRequest marker random, RFC 8446 §4.1.3.
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];
const EXT_ECH: u16 = 0xfe0d;

fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

#[derive(Debug, Default)]
struct HalfStream {
    /// Bytes of a record header or of a plaintext record body not yet complete.
    pending: Vec<u8>,
    /// Remaining body bytes of an encrypted record being skipped.
    skip: usize,
    /// Handshake message bytes across records.
    handshake: Vec<u8>,
    /// After ChangeCipherSpec (≤ 1.2) or ServerHello (1.3): handshake records are opaque.
    encrypted: bool,
    /// Saw something that is not TLS; ignore the rest of this direction.
    dead: bool,
    /// `dead` because bytes were missing (a capture gap), not because the bytes were not
    /// TLS: a later segment that is whole records finds the framing again.
    resync: bool,
    seen_any: bool,
}

/// Decodes one TLS connection. `feed` returns the events the new bytes completed.
#[derive(Debug, Default)]
pub struct TlsDecoder {
    to_server: HalfStream,
    to_client: HalfStream,
    tls13: bool,
    hrr: bool,
}

/// An encrypted record, reported with its size so the diagnosis can tell a Finished
/// from an alert in TLS 1.3 (RFC 8446 §5.2: an encrypted alert is 2 + 1 + 16 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpaqueRecord {
    pub content_type: TlsRecordType,
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TlsOutput {
    Event(EventKind),
    Opaque(OpaqueRecord),
}

impl TlsDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_tls13(&self) -> bool {
        self.tls13
    }

    /// Heap bytes held for records and handshake messages not yet complete (both
    /// directions): what the flow table counts against its memory budget.
    pub fn buffered_bytes(&self) -> usize {
        [&self.to_server, &self.to_client]
            .iter()
            .map(|h| h.pending.capacity() + h.handshake.capacity())
            .sum()
    }

    /// `n` bytes of `dir` are missing from the capture. Inside an encrypted record that
    /// costs nothing; anywhere else the record framing is lost for that direction.
    pub fn gap(&mut self, dir: Direction, n: u64) {
        let half = self.half(dir);
        match usize::try_from(n) {
            Ok(n) if half.skip >= n && half.pending.is_empty() => half.skip -= n,
            _ => {
                half.resync = !half.dead || half.resync;
                half.dead = true;
            }
        }
    }

    /// `data` (what the capture delivers next, a segment after the gap) is read when its
    /// framing was lost to a gap and `data` is whole records end to end: the framing is
    /// found again there (a handshake message cut by the gap is dropped).
    pub fn feed(&mut self, dir: Direction, mut data: &[u8], out: &mut Vec<TlsOutput>) {
        {
            let half = self.half(dir);
            if half.dead && half.resync && whole_records(data) {
                half.dead = false;
                half.resync = false;
                half.pending.clear();
                half.handshake = Vec::new();
                half.skip = 0;
            }
        }
        loop {
            let half = match dir {
                Direction::ToServer => &mut self.to_server,
                Direction::ToClient => &mut self.to_client,
            };
            if half.dead || data.is_empty() {
                return;
            }
            if half.skip > 0 {
                let n = half.skip.min(data.len());
                half.skip -= n;
                data = &data[n..];
                continue;
            }
            // Collect a 5-byte record header.
            if half.pending.len() < 5 {
                let need = 5 - half.pending.len();
                let n = need.min(data.len());
                half.pending.extend_from_slice(&data[..n]);
                data = &data[n..];
                if half.pending.len() < 5 {
                    return;
                }
                let (ctype, major, len) = (
                    TlsRecordType(half.pending[0]),
                    half.pending[1],
                    usize::from(u16::from_be_bytes([half.pending[3], half.pending[4]])),
                );
                if !(20..=24).contains(&ctype.0) || major != 3 {
                    half.dead = true;
                    let preview =
                        crate::wire::http::preview(&[half.pending.as_slice(), data].concat(), 64);
                    out.push(TlsOutput::Event(if half.seen_any {
                        EventKind::Undecoded {
                            reason: format!("lost TLS record framing: {preview}"),
                        }
                    } else {
                        EventKind::NotTls { preview }
                    }));
                    return;
                }
                if len > MAX_RECORD_LEN {
                    half.dead = true;
                    out.push(TlsOutput::Event(EventKind::Undecoded {
                        reason: format!(
                            "TLS record of {len} bytes exceeds the {MAX_RECORD_LEN}-byte limit"
                        ),
                    }));
                    return;
                }
                half.seen_any = true;
                // An alert record of 2 bytes cannot be ciphertext (RFC 8446 §5.2: an AEAD
                // adds at least a 16-byte tag; RFC 5246 §6.2.3 ciphers likewise), so it is
                // a plaintext alert even after ChangeCipherSpec or a TLS 1.3 ServerHello.
                let plaintext_alert = ctype == TlsRecordType::Alert && len == 2;
                let opaque = ctype == TlsRecordType::ApplicationData
                    || ctype == TlsRecordType::Heartbeat
                    || (half.encrypted
                        && ctype != TlsRecordType::ChangeCipherSpec
                        && !plaintext_alert);
                if opaque {
                    out.push(TlsOutput::Opaque(OpaqueRecord {
                        content_type: ctype,
                        len,
                    }));
                    half.pending.clear();
                    half.skip = len;
                    continue;
                }
            }
            let len = usize::from(u16::from_be_bytes([half.pending[3], half.pending[4]]));
            let have = half.pending.len() - 5;
            let n = (len - have).min(data.len());
            half.pending.extend_from_slice(&data[..n]);
            data = &data[n..];
            if half.pending.len() < 5 + len {
                return;
            }
            let record = std::mem::take(&mut half.pending);
            self.record(dir, TlsRecordType(record[0]), &record[5..], out);
        }
    }

    fn record(
        &mut self,
        dir: Direction,
        ctype: TlsRecordType,
        body: &[u8],
        out: &mut Vec<TlsOutput>,
    ) {
        match ctype {
            TlsRecordType::ChangeCipherSpec => {
                out.push(TlsOutput::Event(EventKind::TlsChangeCipherSpec));
                // TLS 1.3's compatibility CCS changes nothing (RFC 8446 §D.4); neither does
                // one sent after a HelloRetryRequest.
                if !self.tls13 && !self.hrr {
                    self.half(dir).encrypted = true;
                }
            }
            TlsRecordType::Alert => {
                if let &[level, description] = body {
                    out.push(TlsOutput::Event(EventKind::TlsAlert(TlsAlert::new(
                        level,
                        description,
                    ))));
                } else {
                    out.push(TlsOutput::Opaque(OpaqueRecord {
                        content_type: TlsRecordType::Alert,
                        len: body.len(),
                    }));
                }
            }
            TlsRecordType::Handshake => {
                let half = self.half(dir);
                half.handshake.extend_from_slice(body);
                self.drain_handshake(dir, out);
            }
            _ => {}
        }
    }

    fn half(&mut self, dir: Direction) -> &mut HalfStream {
        match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        }
    }

    fn drain_handshake(&mut self, dir: Direction, out: &mut Vec<TlsOutput>) {
        loop {
            let half = self.half(dir);
            if half.handshake.len() < 4 {
                return;
            }
            let msg_len = (usize::from(half.handshake[1]) << 16)
                | (usize::from(half.handshake[2]) << 8)
                | usize::from(half.handshake[3]);
            if msg_len > MAX_HANDSHAKE_LEN {
                half.dead = true;
                half.handshake = Vec::new();
                out.push(TlsOutput::Event(EventKind::Undecoded {
                    reason: format!("handshake message of {msg_len} bytes exceeds the {MAX_HANDSHAKE_LEN}-byte limit"),
                }));
                return;
            }
            if half.handshake.len() < 4 + msg_len {
                return;
            }
            // The buffer's last message takes the buffer with it: a connection that
            // lingers after its handshake holds no buffer (a 16 KB ClientHello and a
            // certificate left 64 KiB of capacity behind each, counted as buffered).
            let msg: Vec<u8> = if half.handshake.len() == 4 + msg_len {
                std::mem::take(&mut half.handshake)
            } else {
                half.handshake.drain(..4 + msg_len).collect()
            };
            self.handshake_message(&msg, out);
        }
    }

    fn server_hello(&mut self, version: u16, cipher: u16, hrr: bool) -> EventKind {
        self.hrr |= hrr;
        if (version == 0x0304 || version >> 8 == 0x7f) && !hrr {
            self.tls13 = true;
            self.to_server.encrypted = true;
            self.to_client.encrypted = true;
        }
        let cipher = TlsCipherSuite::from_id(cipher)
            .map(|c| c.name.to_string())
            .unwrap_or_else(|| format!("0x{cipher:04x}"));
        EventKind::TlsServerHello(ServerHello {
            version: TlsVersion(version),
            cipher,
            hello_retry_request: hrr,
        })
    }

    fn handshake_message(&mut self, msg: &[u8], out: &mut Vec<TlsOutput>) {
        let event = match parse_tls_message_handshake(msg) {
            Ok((_, TlsMessage::Handshake(hs))) => match hs {
                TlsMessageHandshake::ClientHello(ch) => {
                    let mut hello = ClientHello {
                        record_version: String::new(),
                        version: ch.version,
                        supported_versions: Vec::new(),
                        sni: None,
                        alpn: Vec::new(),
                        cipher_count: ch.ciphers.len(),
                        has_ech: false,
                    };
                    if let Some(ext) = ch.ext {
                        hello.has_ech = raw_extension_types(ext).contains(&EXT_ECH);
                        if let Ok((_, exts)) = parse_tls_client_hello_extensions(ext) {
                            for e in exts {
                                match e {
                                    TlsExtension::SNI(names) => {
                                        hello.sni = names.first().map(|(_, n)| {
                                            crate::escape::text_of_bytes(n).to_ascii_lowercase()
                                        });
                                    }
                                    TlsExtension::SupportedVersions(vs) => {
                                        hello.supported_versions = vs
                                            .iter()
                                            .filter(|v| !is_grease(v.0))
                                            .copied()
                                            .collect();
                                    }
                                    TlsExtension::ALPN(protos) => {
                                        hello.alpn = protos
                                            .iter()
                                            .map(|p| crate::escape::text_of_bytes(p).into_owned())
                                            .collect();
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    EventKind::TlsClientHello(hello)
                }
                TlsMessageHandshake::ServerHello(sh) => {
                    let hrr = sh.random == HRR_RANDOM;
                    let mut version = sh.version.0;
                    if let Some(ext) = sh.ext
                        && let Ok((_, exts)) = parse_tls_server_hello_extensions(ext)
                    {
                        for e in exts {
                            if let TlsExtension::SupportedVersions(vs) = e
                                && let Some(v) = vs.first()
                            {
                                version = v.0;
                            }
                        }
                    }
                    self.server_hello(version, sh.cipher.0, hrr)
                }
                TlsMessageHandshake::ServerHelloV13Draft18(sh) => {
                    self.server_hello(sh.version.0, sh.cipher.0, false)
                }
                TlsMessageHandshake::Certificate(c) => {
                    let mut certificates = Vec::new();
                    for raw in &c.cert_chain {
                        match parse_certificate(raw.data) {
                            Ok(info) => certificates.push(info),
                            Err(e) => out.push(TlsOutput::Event(EventKind::Undecoded {
                                reason: e.to_string(),
                            })),
                        }
                    }
                    EventKind::TlsCertificate { certificates }
                }
                TlsMessageHandshake::CertificateRequest(_) => EventKind::TlsCertificateRequest,
                TlsMessageHandshake::ServerDone(_) => EventKind::TlsServerHelloDone,
                TlsMessageHandshake::ClientKeyExchange(_) => EventKind::TlsClientKeyExchange,
                _ => return,
            },
            Ok(_) => return,
            Err(_) => EventKind::Undecoded {
                reason: format!("handshake message type {} does not parse", msg[0]),
            },
        };
        out.push(TlsOutput::Event(event));
    }
}

/// Whether `data` is TLS records end to end and nothing else: each header of a known
/// content type (20–23), version 3.x (x ≤ 4), a length within [`MAX_RECORD_LEN`], the last
/// record ending exactly where `data` ends. Ciphertext cut mid-record passes this by chance
/// about once in 10^7 (1 in 64 types, 1 in 256 majors, 5 in 256 minors, then the lengths
/// must land on the end).
fn whole_records(mut data: &[u8]) -> bool {
    if data.len() < 5 {
        return false;
    }
    while let [ctype, major, minor, hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if !(20..=23).contains(ctype)
            || *major != 3
            || *minor > 4
            || len == 0
            || len > MAX_RECORD_LEN
            || rest.len() < len
        {
            return false;
        }
        data = &rest[len..];
    }
    data.is_empty()
}

/// Extension types in a raw extensions block, for those tls-parser does not name.
fn raw_extension_types(mut ext: &[u8]) -> Vec<u16> {
    let mut types = Vec::new();
    while ext.len() >= 4 {
        let t = u16::from_be_bytes([ext[0], ext[1]]);
        let l = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        types.push(t);
        ext = ext.get(4 + l..).unwrap_or_default();
    }
    types
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello record with SNI and supported_versions {1.3, 1.2}.
    pub(crate) fn client_hello(sni: &str) -> Vec<u8> {
        let mut ext = Vec::new();
        let name = sni.as_bytes();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        ext.extend_from_slice(&[0, 43, 0, 5, 4, 3, 4, 3, 3]);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        body.extend_from_slice(&[1, 0]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    fn events(out: &[TlsOutput]) -> Vec<&EventKind> {
        out.iter()
            .filter_map(|o| {
                if let TlsOutput::Event(e) = o {
                    Some(e)
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn client_hello_split_at_every_byte() {
        let rec = client_hello("smartreceiver.cisco.com");
        for split in 1..rec.len() {
            let mut d = TlsDecoder::new();
            let mut out = Vec::new();
            d.feed(Direction::ToServer, &rec[..split], &mut out);
            d.feed(Direction::ToServer, &rec[split..], &mut out);
            let ev = events(&out);
            assert_eq!(ev.len(), 1, "split {split}");
            let EventKind::TlsClientHello(ch) = ev[0] else {
                panic!()
            };
            assert_eq!(ch.sni.as_deref(), Some("smartreceiver.cisco.com"));
            assert_eq!(
                ch.supported_versions,
                vec![TlsVersion::Tls13, TlsVersion::Tls12]
            );
            assert_eq!(ch.cipher_count, 2);
        }
    }

    #[test]
    fn handshake_message_spanning_two_records() {
        let rec = client_hello("tools.cisco.com");
        let hs = &rec[5..];
        let (a, b) = hs.split_at(10);
        let mut stream = vec![22, 3, 1, 0, a.len() as u8];
        stream.extend_from_slice(a);
        stream.extend_from_slice(&[22, 3, 1, 0, b.len() as u8]);
        stream.extend_from_slice(b);
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(Direction::ToServer, &stream, &mut out);
        assert!(matches!(events(&out)[..], [EventKind::TlsClientHello(_)]));
    }

    #[test]
    fn alert_and_http_answer_and_limits() {
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(Direction::ToClient, &[21, 3, 3, 0, 2, 2, 40], &mut out);
        assert_eq!(
            events(&out),
            vec![&EventKind::TlsAlert(TlsAlert::new(2, 40))]
        );
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(
            Direction::ToClient,
            b"HTTP/1.1 407 Proxy Authentication Required\r\n",
            &mut out,
        );
        assert!(
            matches!(events(&out)[..], [EventKind::NotTls { preview }] if preview.starts_with("HTTP/1.1 407"))
        );
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(Direction::ToClient, &[22, 3, 3, 0xff, 0xff], &mut out);
        assert!(matches!(events(&out)[..], [EventKind::Undecoded { .. }]));
    }

    /// captures/ssl-interception-tls13.pcap frame 16: `15 03 03 00 02 02 30`, a plaintext
    /// fatal unknown_ca from the client after a TLS 1.3 ServerHello, is decoded; an
    /// encrypted alert (19 bytes, TLS 1.3) and an encrypted TLS 1.2 alert stay opaque.
    #[test]
    fn two_byte_alert_after_encryption_is_plaintext() {
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        let _ = d.server_hello(0x0304, 0x1302, false);
        assert!(d.is_tls13());
        d.feed(Direction::ToServer, &[0x15, 3, 3, 0, 2, 2, 0x30], &mut out);
        assert_eq!(
            events(&out),
            vec![&EventKind::TlsAlert(TlsAlert::new(2, 48))]
        );
        out.clear();
        let mut encrypted = vec![0x15, 3, 3, 0, 19];
        encrypted.extend_from_slice(&[0xab; 19]);
        d.feed(Direction::ToServer, &encrypted, &mut out);
        assert_eq!(
            out,
            vec![TlsOutput::Opaque(OpaqueRecord {
                content_type: TlsRecordType::Alert,
                len: 19
            })]
        );
        let mut d12 = TlsDecoder::new();
        let mut out = Vec::new();
        d12.feed(Direction::ToServer, &[20, 3, 3, 0, 1, 1], &mut out);
        let mut gcm = vec![21, 3, 3, 0, 26];
        gcm.extend_from_slice(&[0xcd; 26]);
        d12.feed(Direction::ToServer, &gcm, &mut out);
        d12.feed(Direction::ToServer, &[21, 3, 3, 0, 2, 1, 0], &mut out);
        assert_eq!(
            events(&out),
            vec![
                &EventKind::TlsChangeCipherSpec,
                &EventKind::TlsAlert(TlsAlert::new(1, 0))
            ]
        );
    }

    #[test]
    fn framing_lost_to_a_gap_is_found_again_at_whole_records() {
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(Direction::ToClient, &[23, 3, 3, 0, 40], &mut out);
        d.feed(Direction::ToClient, &[0; 10], &mut out);
        // 30 bytes of that record and 100 of the next are not in the capture.
        d.gap(Direction::ToClient, 130);
        // The tail of a record: not whole records, skipped.
        d.feed(Direction::ToClient, &[0x5a; 155], &mut out);
        let records = [[23u8, 3, 3, 0, 3, 1, 2, 3].as_slice(), &[23, 3, 3, 0, 1, 9]].concat();
        d.feed(Direction::ToClient, &records, &mut out);
        d.feed(Direction::ToClient, &[21, 3, 3, 0, 2, 2, 40], &mut out);
        let opaque: Vec<usize> = out
            .iter()
            .filter_map(|o| match o {
                TlsOutput::Opaque(r) => Some(r.len),
                _ => None,
            })
            .collect();
        assert_eq!(opaque, [40, 3, 1]);
        assert!(matches!(
            out.last(),
            Some(TlsOutput::Event(EventKind::TlsAlert(a))) if a.description == crate::model::TlsAlertDescription::HandshakeFailure
        ));
        // A direction that is not TLS is not "found again".
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        d.feed(Direction::ToClient, b"HTTP/1.1 200 OK\r\n", &mut out);
        d.gap(Direction::ToClient, 10);
        d.feed(Direction::ToClient, &[23, 3, 3, 0, 1, 9], &mut out);
        assert!(out.iter().all(|o| !matches!(o, TlsOutput::Opaque(_))));
        assert!(!whole_records(&[23, 3, 3, 0, 3, 1, 2]));
        assert!(!whole_records(&[23, 3, 3, 0, 1, 1, 0x17]));
    }

    /// A handshake message across two records (a 16 KB SNI, as in the long-strings
    /// capture of issue 28 item 9) leaves nothing buffered once it is decoded: before,
    /// the reassembly buffer kept its capacity (24 KB here) for as long as the
    /// connection lived, and lingering connections held it against the flow budget.
    #[test]
    fn a_decoded_handshake_message_leaves_no_buffer_behind() {
        let sni = "a".repeat(16_000);
        let rec = client_hello(&sni);
        let hs = &rec[5..];
        let (a, b) = hs.split_at(12_000);
        let mut stream = Vec::new();
        for part in [a, b] {
            stream.extend_from_slice(&[22, 3, 1]);
            stream.extend_from_slice(&(part.len() as u16).to_be_bytes());
            stream.extend_from_slice(part);
        }
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        let (first, second) = stream.split_at(12_005 + 3);
        d.feed(Direction::ToServer, first, &mut out);
        assert!(out.is_empty());
        assert!(d.buffered_bytes() >= 12_000, "the first record waits");
        d.feed(Direction::ToServer, second, &mut out);
        assert!(
            matches!(events(&out)[..], [EventKind::TlsClientHello(ch)] if ch.sni.as_deref() == Some(sni.as_str()))
        );
        assert_eq!(d.buffered_bytes(), 0);
    }

    #[test]
    fn application_data_is_skipped_not_buffered() {
        let mut d = TlsDecoder::new();
        let mut out = Vec::new();
        let mut rec = vec![23, 3, 3, 0x40, 0x00];
        rec.extend_from_slice(&vec![0xab; 0x4000]);
        for chunk in rec.chunks(536) {
            d.feed(Direction::ToClient, chunk, &mut out);
        }
        assert_eq!(
            out,
            vec![TlsOutput::Opaque(OpaqueRecord {
                content_type: TlsRecordType::ApplicationData,
                len: 0x4000
            })]
        );
        assert!(d.to_client.pending.len() <= 5);
    }
}
