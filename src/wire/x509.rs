//! X.509 certificate summaries (subject, issuer, validity, SANs, fingerprints) with
//! x509-parser. Pure; a certificate that does not parse becomes an error string, never a
//! panic.

use super::WireError;
use crate::model::CertInfo;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

/// SANs kept per certificate; CDN certificates can carry hundreds.
pub const MAX_SANS: usize = 64;
/// CRL / OCSP URLs kept per certificate, and their length: hostile input stays small.
const MAX_URLS: usize = 4;
const MAX_URL_LEN: usize = 256;

fn uri<'a>(g: &GeneralName<'a>) -> Option<&'a str> {
    match g {
        GeneralName::URI(u) => Some(u),
        _ => None,
    }
}

/// A certificate's revocation URLs as kept, from the DER or a dissection's fields alike:
/// each at most [`MAX_URL_LEN`] bytes (longer ones left out), at most [`MAX_URLS`].
fn bounded_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    urls.into_iter()
        .filter(|u| u.len() <= MAX_URL_LEN)
        .take(MAX_URLS)
        .map(str::to_string)
        .collect()
}

/// (CRL distribution point URIs, OCSP responder URIs) of a certificate.
fn revocation_urls(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<String>) {
    use x509_parser::extensions::{DistributionPointName, ParsedExtension};
    let (mut crl, mut ocsp) = (Vec::<&str>::new(), Vec::<&str>::new());
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in &points.points {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        crl.extend(names.iter().filter_map(uri));
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                ocsp.extend(
                    aia.accessdescs
                        .iter()
                        .filter(|d| {
                            d.access_method
                                == x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP
                        })
                        .filter_map(|d| uri(&d.access_location)),
                );
            }
            _ => {}
        }
    }
    (bounded_urls(crl), bounded_urls(ocsp))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The serial as an unsigned number in hex: DER's sign byte (a leading 0x00) is not part
/// of it (zeek and openssl print it this way).
fn serial_hex(raw: &[u8]) -> String {
    let start = raw
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    hex(&raw[start..])
}

/// The (first) common name; T61String and other legacy string types, which `as_str`
/// refuses, are read from the name's display form.
pub(crate) fn cn(name: &X509Name<'_>) -> Option<String> {
    if let Some(s) = name.iter_common_name().next().and_then(|a| a.as_str().ok()) {
        return Some(s.to_string());
    }
    name.to_string()
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .map(str::to_string)
}

/// A DER `Name` given without its outer SEQUENCE header (as trust anchors store it) →
/// (display form, common name), in the same form as [`CertInfo`]'s subject.
pub fn name_from_der_contents(contents: &[u8]) -> Option<(String, Option<String>)> {
    use x509_parser::prelude::FromDer;
    let der = der_sequence(contents);
    let (_, name) = X509Name::from_der(&der).ok()?;
    Some((name.to_string(), cn(&name)))
}

/// `contents` wrapped as a DER SEQUENCE (webpki-roots stores names and keys without their
/// outer tag and length). Contents longer than 64 KiB do not occur in a root store.
pub fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let mut der = vec![0x30];
    let n = contents.len();
    match n {
        0..=127 => der.push(n as u8),
        128..=255 => der.extend([0x81, n as u8]),
        _ => der.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    der.extend_from_slice(contents);
    der
}

pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, WireError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| WireError::Certificate(e.to_string()))?;
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(ip) => match ip.len() {
                        4 => Some(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string()),
                        16 => <[u8; 16]>::try_from(*ip)
                            .ok()
                            .map(|o| std::net::Ipv6Addr::from(o).to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .take(MAX_SANS)
                .collect()
        })
        .unwrap_or_default();
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca);
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let (crl_urls, ocsp_urls) = revocation_urls(&cert);
    Ok(CertInfo {
        crl_urls,
        ocsp_urls,
        self_signed: subject == issuer,
        subject_cn: cn(cert.subject()),
        issuer_cn: cn(cert.issuer()),
        subject,
        issuer,
        serial: serial_hex(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sans,
        sha256: hex(&Sha256::digest(der)),
        is_ca,
        spki_sha256: hex(&Sha256::digest(cert.public_key().raw)),
        read_from: crate::model::CertSource::Der,
    })
}

/// The fields of one certificate as a text dissection states them (`tshark -V`, `show
/// monitor capture NAME buffer detailed`): no DER. Names are RDNs in encoded order, each a
/// set of (attribute type OID in dotted form, value as shown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatedCert {
    pub subject: Vec<Vec<(String, String)>>,
    pub issuer: Vec<Vec<(String, String)>>,
    /// The serial as shown (`0x1001`, a decimal number, hex bytes with colons).
    pub serial: String,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// dNSName and iPAddress entries of subjectAltName, in order.
    pub sans: Vec<String>,
    pub is_ca: bool,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
    /// A line of it was cut short by the dissector (`[truncated]`, a value ending in `…`):
    /// a name or a URL may lack a part, so it is not taken.
    pub cut: bool,
}

impl StatedCert {
    /// Whether the dissection showed enough to judge it: both names and both dates, no
    /// line cut short.
    pub fn is_whole(&self) -> bool {
        !self.cut
            && !self.subject.is_empty()
            && !self.issuer.is_empty()
            && self.not_before.is_some()
            && self.not_after.is_some()
    }
}

/// A name's display form as x509-parser writes it from the DER ([`CertInfo::subject`]):
/// `TYPE=value` per attribute, ` + ` within an RDN, `, ` between RDNs, the type by the
/// same registry (`CN`, `O`, `serialNumber`, `OID(2.5.4.97)`).
fn stated_name(rdns: &[Vec<(String, String)>]) -> String {
    use x509_parser::objects::{oid_registry, oid2abbrev};
    let attr = |(oid, value): &(String, String)| {
        let ty = match oid.parse::<x509_parser::asn1_rs::Oid<'static>>() {
            Ok(o) => oid2abbrev(&o, oid_registry())
                .map(str::to_string)
                .unwrap_or_else(|_| format!("{o:?}")),
            Err(_) => oid.clone(),
        };
        format!("{ty}={value}")
    };
    rdns.iter()
        .map(|rdn| rdn.iter().map(attr).collect::<Vec<_>>().join(" + "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first common name (2.5.4.3) of a stated name.
fn stated_cn(rdns: &[Vec<(String, String)>]) -> Option<String> {
    rdns.iter()
        .flatten()
        .find(|(oid, _)| oid == "2.5.4.3")
        .map(|(_, v)| v.clone())
}

/// `0x1001`, `4097`, `00:c3:1f` → the serial as [`serial_hex`] writes it from the DER; empty
/// when the text's form is not a whole number (cut short, say).
fn stated_serial(shown: &str) -> String {
    let s = shown.trim();
    let digits = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        h.replace(':', "")
    } else if s.contains(':') {
        s.replace(':', "")
    } else if let Ok(n) = s.parse::<u128>() {
        format!("{n:X}")
    } else {
        return String::new();
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return String::new();
    }
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    let bytes: Vec<u8> = even
        .as_bytes()
        .chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect();
    serial_hex(&bytes)
}

/// A certificate read from a text dissection's fields, bounded as one read from the DER
/// ([`MAX_SANS`], [`MAX_URLS`], [`MAX_URL_LEN`]) and marked as such: no fingerprint and no
/// key (empty), so nothing passes for a DER that was not read. `None` when the text did
/// not show both names and both dates.
pub fn cert_from_fields(f: &StatedCert) -> Option<CertInfo> {
    let (not_before, not_after) = (f.not_before?, f.not_after?);
    if !f.is_whole() {
        return None;
    }
    let subject = stated_name(&f.subject);
    let issuer = stated_name(&f.issuer);
    Some(CertInfo {
        self_signed: subject == issuer,
        subject_cn: stated_cn(&f.subject),
        issuer_cn: stated_cn(&f.issuer),
        subject,
        issuer,
        serial: stated_serial(&f.serial),
        not_before,
        not_after,
        sans: f.sans.iter().take(MAX_SANS).cloned().collect(),
        sha256: String::new(),
        is_ca: f.is_ca,
        crl_urls: bounded_urls(f.crl_urls.iter().map(String::as_str)),
        ocsp_urls: bounded_urls(f.ocsp_urls.iter().map(String::as_str)),
        spki_sha256: String::new(),
        read_from: crate::model::CertSource::DissectionFields,
    })
}

/// RFC 6125 §6.4 matching of a DNS name against a certificate: SANs when present (CN
/// only when there are none), a wildcard only as the whole left-most label.
pub fn name_matches(cert: &CertInfo, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let names: Vec<&str> = if cert.sans.is_empty() {
        cert.subject_cn.iter().map(String::as_str).collect()
    } else {
        cert.sans.iter().map(String::as_str).collect()
    };
    names.iter().any(|pattern| {
        let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(suffix) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
            None => pattern == host,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str, sans: &[&str]) -> CertInfo {
        CertInfo {
            subject: format!("CN={cn}"),
            issuer: "CN=x".into(),
            subject_cn: Some(cn.into()),
            issuer_cn: Some("x".into()),
            serial: "01".into(),
            not_before: 0,
            not_after: 1,
            sans: sans.iter().map(|s| s.to_string()).collect(),
            sha256: String::new(),
            self_signed: false,
            is_ca: false,
            crl_urls: vec![],
            ocsp_urls: vec![],
            spki_sha256: String::new(),
            read_from: crate::model::CertSource::Der,
        }
    }

    #[test]
    fn wildcard_and_san_rules() {
        let c = cert("ignored.example", &["*.badssl.com", "badssl.com"]);
        assert!(!name_matches(&c, "wrong.host.badssl.com"));
        assert!(name_matches(&c, "host.badssl.com"));
        assert!(name_matches(&c, "BADSSL.com."));
        assert!(
            !name_matches(&c, "ignored.example"),
            "CN is ignored when SANs exist"
        );
        assert!(name_matches(
            &cert("smartreceiver.cisco.com", &[]),
            "smartreceiver.cisco.com"
        ));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_certificate(b"\x30\x03\x02\x01").is_err());
        assert!(parse_certificate(&[]).is_err());
    }

    fn der(pem: &str) -> Vec<u8> {
        let item = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .expect("one PEM block")
            .expect("valid PEM");
        item.contents
    }

    #[test]
    fn a_certificate_at_every_truncation_point() {
        let d = der(include_str!("../../tests/data/pki/digicert-root.pem"));
        let full = parse_certificate(&d).unwrap();
        assert_eq!(full.subject_cn.as_deref(), Some("DigiCert Global Root G2"));
        assert!(full.self_signed && full.is_ca);
        for cut in 0..d.len() {
            match parse_certificate(&d[..cut]) {
                Err(WireError::Certificate(why)) => assert!(!why.is_empty()),
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_certificate_valid_until_9999() {
        // RFC 5280 §4.1.2.5: 99991231235959Z, past what nanoseconds in an i64 hold.
        let c = parse_certificate(&der(include_str!(
            "../../tests/data/pki/not-after-9999.pem"
        )))
        .unwrap();
        assert_eq!(c.not_after, 253_402_300_799);
        assert_eq!(crate::model::time::format_date(c.not_after), "9999-12-31");
    }
}
