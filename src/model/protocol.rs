//! Protocol values as types, not strings: TLS versions and alerts (tls-parser's newtypes,
//! so an unknown value is still its number), DNS record types and transports, and how a
//! run ended. Each serializes and displays as the name the JSON has always carried
//! (docs/json-schema.md): comparisons are on values, names are for people and scripts.

use serde::{Serialize, Serializer, ser::SerializeStruct};
use std::fmt;
pub use tls_parser::{TlsAlertDescription, TlsAlertSeverity, TlsRecordType, TlsVersion};

/// "TLS 1.2", "SSL 3.0", "TLS 1.3 draft 23"; anything else as its number ("0x7a7a").
pub fn tls_version_name(v: TlsVersion) -> String {
    let known = match v {
        TlsVersion::Ssl30 => "SSL 3.0",
        TlsVersion::Tls10 => "TLS 1.0",
        TlsVersion::Tls11 => "TLS 1.1",
        TlsVersion::Tls12 => "TLS 1.2",
        TlsVersion::Tls13 => "TLS 1.3",
        // RFC 8446 drafts were 0x7f00 + the draft's number.
        TlsVersion(n) if n >> 8 == 0x7f => return format!("TLS 1.3 draft {}", n & 0xff),
        TlsVersion(n) => return format!("0x{n:04x}"),
    };
    known.into()
}

/// TLS 1.3 or one of its drafts: everything after ServerHello is encrypted (RFC 8446 §2).
pub fn is_tls13(v: TlsVersion) -> bool {
    v == TlsVersion::Tls13 || v.0 >> 8 == 0x7f
}

/// Orders versions for "the highest offered": SSL 3.0 < TLS 1.0 < … < TLS 1.3; drafts and
/// unknown values rank below all of them.
pub fn tls_version_rank(v: TlsVersion) -> u8 {
    match v {
        TlsVersion::Ssl30 => 1,
        TlsVersion::Tls10 => 2,
        TlsVersion::Tls11 => 3,
        TlsVersion::Tls12 => 4,
        TlsVersion::Tls13 => 5,
        _ => 0,
    }
}

/// `#[serde(serialize_with)]` helpers: versions as their names.
pub mod tls_version_serde {
    use super::*;

    pub fn one<S: Serializer>(v: &TlsVersion, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&tls_version_name(*v))
    }

    pub fn option<S: Serializer>(v: &Option<TlsVersion>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&tls_version_name(*v)),
            None => s.serialize_none(),
        }
    }

    pub fn list<S: Serializer>(v: &[TlsVersion], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|v| tls_version_name(*v)))
    }
}

/// A TLS alert (RFC 8446 §6, RFC 5246 §7.2). JSON: `{"level": "fatal", "description":
/// "handshake_failure", "code": 40}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsAlert {
    pub level: TlsAlertSeverity,
    pub description: TlsAlertDescription,
}

impl TlsAlert {
    pub fn new(level: u8, description: u8) -> TlsAlert {
        TlsAlert {
            level: TlsAlertSeverity(level),
            description: TlsAlertDescription(description),
        }
    }

    pub fn is_fatal(&self) -> bool {
        self.level == TlsAlertSeverity::Fatal
    }

    /// An alert about the peer's certificate (RFC 8446 §6.2): bad_certificate (42) …
    /// certificate_unknown (46), unknown_ca (48).
    pub fn is_about_certificate(&self) -> bool {
        matches!(self.description.0, 42..=46 | 48)
    }

    /// The alert's number (the IANA TLS Alert Registry's value).
    pub fn code(&self) -> u8 {
        self.description.0
    }

    /// "warning", "fatal", or "level_N" for a value outside RFC 5246's two.
    pub fn level_name(&self) -> String {
        match self.level {
            TlsAlertSeverity::Warning => "warning".into(),
            TlsAlertSeverity::Fatal => "fatal".into(),
            TlsAlertSeverity(n) => format!("level_{n}"),
        }
    }

    /// The IANA registry's name ("handshake_failure", "unknown_ca"), or "alert_N" for a
    /// value it does not name.
    pub fn description_name(&self) -> String {
        // Where tls-parser's constant is spelled otherwise than the IANA registry, or
        // missing (ech_required, draft-ietf-tls-esni).
        let iana = match self.description.0 {
            90 => "user_canceled",
            111 => "certificate_unobtainable",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            121 => "ech_required",
            _ => "",
        };
        if !iana.is_empty() {
            return iana.into();
        }
        // tls-parser displays a known value as its constant ("UnknownCa") and an unknown
        // one as "TlsAlertDescription(200 / 0xc8)".
        let constant = self.description.to_string();
        if !constant.chars().all(|c| c.is_ascii_alphanumeric()) {
            return format!("alert_{}", self.description.0);
        }
        let mut name = String::with_capacity(constant.len() + 4);
        for (i, c) in constant.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        }
        name
    }
}

impl Serialize for TlsAlert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TlsAlert", 3)?;
        st.serialize_field("level", &self.level_name())?;
        st.serialize_field("description", &self.description_name())?;
        st.serialize_field("code", &self.code())?;
        st.end()
    }
}

/// A DNS RR TYPE (RFC 1035 §3.2.2, IANA DNS parameters): named when licpath knows it,
/// "TYPEn" otherwise (RFC 3597 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsType(pub u16);

impl DnsType {
    pub const A: DnsType = DnsType(1);
    pub const NS: DnsType = DnsType(2);
    pub const CNAME: DnsType = DnsType(5);
    pub const SOA: DnsType = DnsType(6);
    pub const PTR: DnsType = DnsType(12);
    pub const MX: DnsType = DnsType(15);
    pub const TXT: DnsType = DnsType(16);
    pub const AAAA: DnsType = DnsType(28);
    pub const SRV: DnsType = DnsType(33);
    pub const HTTPS: DnsType = DnsType(65);

    /// A or AAAA: a query for an address.
    pub fn is_address(self) -> bool {
        self == DnsType::A || self == DnsType::AAAA
    }
}

impl fmt::Display for DnsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            DnsType::A => "A",
            DnsType::NS => "NS",
            DnsType::CNAME => "CNAME",
            DnsType::SOA => "SOA",
            DnsType::PTR => "PTR",
            DnsType::MX => "MX",
            DnsType::TXT => "TXT",
            DnsType::AAAA => "AAAA",
            DnsType::SRV => "SRV",
            DnsType::HTTPS => "HTTPS",
            DnsType(n) => return f.pad(&format!("TYPE{n}")),
        };
        f.pad(name)
    }
}

impl Serialize for DnsType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A DNS RCODE (RFC 1035 §4.1.1, the header's 4 bits): named as RFC 1035 names it,
/// "RCODEn" otherwise. JSON and text carry the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DnsRcode(pub u8);

impl DnsRcode {
    pub const NOERROR: DnsRcode = DnsRcode(0);
    pub const FORMERR: DnsRcode = DnsRcode(1);
    pub const SERVFAIL: DnsRcode = DnsRcode(2);
    pub const NXDOMAIN: DnsRcode = DnsRcode(3);
    pub const NOTIMP: DnsRcode = DnsRcode(4);
    pub const REFUSED: DnsRcode = DnsRcode(5);
}

impl fmt::Display for DnsRcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            DnsRcode::NOERROR => "NOERROR",
            DnsRcode::FORMERR => "FORMERR",
            DnsRcode::SERVFAIL => "SERVFAIL",
            DnsRcode::NXDOMAIN => "NXDOMAIN",
            DnsRcode::NOTIMP => "NOTIMP",
            DnsRcode::REFUSED => "REFUSED",
            DnsRcode(n) => return f.pad(&format!("RCODE{n}")),
        };
        f.pad(name)
    }
}

impl Serialize for DnsRcode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A TLS record's content type (RFC 8446 §5.1, RFC 6520): its name, or "unknown".
pub fn tls_record_type_name(t: TlsRecordType) -> &'static str {
    match t {
        TlsRecordType::ChangeCipherSpec => "change_cipher_spec",
        TlsRecordType::Alert => "alert",
        TlsRecordType::Handshake => "handshake",
        TlsRecordType::ApplicationData => "application_data",
        TlsRecordType::Heartbeat => "heartbeat",
        _ => "unknown",
    }
}

/// `#[serde(serialize_with)]`: a record type as its name.
pub fn tls_record_type_serde<S: Serializer>(t: &TlsRecordType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tls_record_type_name(*t))
}

/// What an answer whose HTTP head never ended is said to be (`HttpHeadTooLong`).
pub fn head_too_long_text(limit: usize, preview: &str) -> String {
    format!(
        "its answer exceeded {} KB of headers: {preview}",
        limit / 1024
    )
}

/// `#[serde(serialize_with)]` of `EventKind::HttpHeadTooLong`: `{"type": "not_tls",
/// "preview": "its answer exceeded 16 KB of headers: ..."}`, as before it had a kind.
pub fn head_too_long_serde<S: Serializer, P: AsRef<str>>(
    limit: &usize,
    preview: &P,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("NotTls", 1)?;
    st.serialize_field("preview", &head_too_long_text(*limit, preview.as_ref()))?;
    st.end()
}

/// What a DNS exchange travelled over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DnsTransport {
    Udp,
    Tcp,
}

impl DnsTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsTransport::Udp => "udp",
            DnsTransport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for DnsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a peer sent that was longer than the probe's TLS client takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TlsOversizedMessage {
    /// One handshake message (the Certificate, in practice): rustls takes 64 KiB.
    Handshake,
    /// One record: RFC 8446 §5.1/§5.2 allow 2^14 bytes of plaintext plus expansion.
    Record,
}

/// Why a run ended: it finished, or Ctrl-C stopped it (the reports are then partial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Completed,
    Interrupted,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the JSON has carried for every alert value (the IANA TLS Alert Registry).
    fn iana(code: u8) -> String {
        let name = match code {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            121 => "ech_required",
            other => return format!("alert_{other}"),
        };
        name.into()
    }

    #[test]
    fn every_alert_keeps_its_registry_name() {
        for code in 0..=u8::MAX {
            assert_eq!(
                TlsAlert::new(2, code).description_name(),
                iana(code),
                "{code}"
            );
        }
    }

    #[test]
    fn alerts_serialize_as_before() {
        let a = TlsAlert::new(2, 40);
        assert!(a.is_fatal());
        assert_eq!(
            serde_json::to_string(&a).expect("json"),
            r#"{"level":"fatal","description":"handshake_failure","code":40}"#
        );
        let w = TlsAlert::new(1, 0);
        assert!(!w.is_fatal());
        assert!(
            TlsAlert::new(2, 48).is_about_certificate()
                && TlsAlert::new(2, 42).is_about_certificate()
        );
        assert!(
            !TlsAlert::new(2, 47).is_about_certificate()
                && !TlsAlert::new(2, 40).is_about_certificate()
        );
        assert_eq!(w.level_name(), "warning");
        assert_eq!(TlsAlert::new(7, 200).level_name(), "level_7");
    }

    #[test]
    fn version_names_and_order() {
        let names: Vec<String> = [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f17, 0x7a7a]
            .map(|v| tls_version_name(TlsVersion(v)))
            .to_vec();
        assert_eq!(
            names,
            [
                "SSL 3.0",
                "TLS 1.0",
                "TLS 1.1",
                "TLS 1.2",
                "TLS 1.3",
                "TLS 1.3 draft 23",
                "0x7a7a"
            ]
        );
        assert!(tls_version_rank(TlsVersion::Tls13) > tls_version_rank(TlsVersion::Tls12));
        assert!(is_tls13(TlsVersion::Tls13) && is_tls13(TlsVersion(0x7f17)));
        assert!(!is_tls13(TlsVersion::Tls12));
        assert!(tls_version_rank(TlsVersion::Ssl30) > tls_version_rank(TlsVersion(0x7f17)));
    }

    #[test]
    fn dns_values() {
        assert_eq!(DnsType::AAAA.to_string(), "AAAA");
        assert_eq!(DnsType(99).to_string(), "TYPE99");
        assert_eq!(
            format!("{:<5}|{:<7}|", DnsType::A, DnsType(99)),
            "A    |TYPE99 |"
        );
        assert_eq!(
            serde_json::to_string(&DnsType::HTTPS).expect("json"),
            r#""HTTPS""#
        );
        assert!(
            DnsType::A.is_address() && DnsType::AAAA.is_address() && !DnsType::TXT.is_address()
        );
        assert_eq!(
            serde_json::to_string(&DnsTransport::Tcp).expect("json"),
            r#""tcp""#
        );
        assert_eq!(DnsTransport::Udp.to_string(), "udp");
        // Response codes and record types keep the names the JSON always carried.
        assert_eq!(
            serde_json::to_string(&[DnsRcode::NXDOMAIN, DnsRcode(9)]).expect("json"),
            r#"["NXDOMAIN","RCODE9"]"#
        );
        assert_eq!(
            tls_record_type_name(TlsRecordType::ApplicationData),
            "application_data"
        );
        assert_eq!(tls_record_type_name(TlsRecordType(25)), "unknown");
        assert_eq!(
            serde_json::to_string(&EndReason::Interrupted).expect("json"),
            r#""interrupted""#
        );
    }
}
