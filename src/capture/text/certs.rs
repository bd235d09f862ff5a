//! The certificates of a TLS Certificate message as a detailed dissection states them
//! (`tshark -V`, `show monitor capture NAME buffer detailed`): tshark cuts each
//! certificate's DER (`Certificate: 3082…`) but decodes its fields into the tree. Read
//! here: subject and issuer (the `RDNSequence item` lines, which are in encoded order; the
//! `rdnSequence: N items (...)` summary is not always), validity (`utcTime` /
//! `generalTime`), serial, subjectAltName dNSName / iPAddress, basicConstraints cA, CRL
//! distribution points (fullName URIs) and the OCSP URIs of Authority Information Access.
//! They become [`CertInfo`]s marked as read from fields ([`crate::wire::x509::cert_from_fields`]):
//! no fingerprint, no key, no signature. Bounded: [`MAX_CHAIN`] certificates a message,
//! [`MAX_CHAINS`] messages a frame; the per-certificate bounds are the DER path's.

use super::time::{NS, Unzoned, date_time};
use crate::model::CertInfo;
use crate::wire::x509::{StatedCert, cert_from_fields};

/// Certificates read per Certificate message (a real chain has 2–5; RFC 8446 §4.4.2 sets
/// no count, its 2^24-byte message does).
pub const MAX_CHAIN: usize = 16;
/// Certificate messages read per frame.
pub const MAX_CHAINS: usize = 4;
/// Values kept per certificate while reading (SANs, URLs, attributes): a hostile tree
/// stays small before [`cert_from_fields`] applies the DER path's own bounds.
const MAX_VALUES: usize = 256;
/// Nesting kept (a certificate's tree is about a dozen levels deep).
const MAX_DEPTH: usize = 32;

/// What a line of the tree is, as far as the certificate's fields go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// `signedCertificate`: one certificate.
    Cert,
    Name(Which),
    /// `RDNSequence item`: one relative distinguished name.
    Rdn,
    /// `RelativeDistinguishedName item`: one attribute.
    Attr,
    Validity,
    NotBefore,
    NotAfter,
    /// `Extension (...)`: which one its `Extension Id` says.
    Extension,
    /// `distributionPoint: fullName`: the URIs of a CRL distribution point.
    FullName,
    /// `AccessDescription`: its `accessMethod` says whether it is OCSP.
    Access,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Subject,
    Issuer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ext {
    SubjectAltName,
    BasicConstraints,
    CrlDistributionPoints,
    AuthorityInfoAccess,
    Other,
}

struct Level {
    indent: usize,
    node: Node,
    /// An `Access` whose method is OCSP.
    ocsp: bool,
}

/// Reads the certificate fields of one frame's TLS layer, line by line.
#[derive(Default)]
pub struct Reader {
    /// Inside a `Handshake Protocol: Certificate` message (not Certificate Request,
    /// Status or Verify), at this indent.
    message: Option<usize>,
    chain: Vec<StatedCert>,
    /// The chains of the messages read so far (certificates the fields did not show
    /// whole are left out of their chain).
    chains: Vec<Vec<StatedCert>>,
    stack: Vec<Level>,
    cert: Option<StatedCert>,
    ext: Option<Ext>,
    /// The attribute being read: (OID, value from its value line, value from its title).
    attr: Option<(String, Option<String>, Option<String>)>,
    values: usize,
}

impl Reader {
    /// One line of the TLS layer (with its indent).
    pub fn line(&mut self, line: &str) {
        let t = line.trim();
        if t.is_empty() {
            return;
        }
        let indent = line.len() - line.trim_start().len();
        if let Some(m) = self.message
            && indent <= m
        {
            self.end_message();
        }
        if t == "Handshake Protocol: Certificate" {
            self.end_message();
            if self.chains.len() < MAX_CHAINS {
                self.message = Some(indent);
            }
            return;
        }
        if self.message.is_none() {
            return;
        }
        while self.stack.last().is_some_and(|l| l.indent >= indent) {
            self.pop();
        }
        let node = self.node_of(t);
        if node == Node::Cert {
            self.end_cert();
            if self.chain.len() < MAX_CHAIN {
                self.cert = Some(StatedCert::default());
            }
        }
        if self.cert.is_some() {
            self.field(t);
        }
        if self.stack.len() < MAX_DEPTH {
            self.stack.push(Level {
                indent,
                node,
                ocsp: false,
            });
        }
    }

    /// The chains read, each certificate a [`CertInfo`] from fields.
    pub fn finish(mut self) -> Vec<Vec<CertInfo>> {
        self.end_message();
        self.chains
            .iter()
            .map(|c| c.iter().filter_map(cert_from_fields).collect())
            .collect()
    }

    fn parent(&self) -> Option<Node> {
        self.stack.last().map(|l| l.node)
    }

    fn within(&self, node: Node) -> bool {
        self.stack.iter().any(|l| l.node == node)
    }

    fn node_of(&self, t: &str) -> Node {
        let parent = self.parent();
        if t == "signedCertificate" {
            return Node::Cert;
        }
        match parent {
            Some(Node::Cert) if t.starts_with("subject: ") => Node::Name(Which::Subject),
            Some(Node::Cert) if t.starts_with("issuer: ") => Node::Name(Which::Issuer),
            Some(Node::Cert) if t == "validity" => Node::Validity,
            Some(Node::Validity) if t.starts_with("notBefore") => Node::NotBefore,
            Some(Node::Validity) if t.starts_with("notAfter") => Node::NotAfter,
            _ if t.starts_with("RDNSequence item") && self.name().is_some() => Node::Rdn,
            Some(Node::Rdn) if t.starts_with("RelativeDistinguishedName item") => Node::Attr,
            _ if t.starts_with("Extension (") || t == "Extension" => Node::Extension,
            _ if t.starts_with("distributionPoint: fullName") => Node::FullName,
            _ if t == "AccessDescription" => Node::Access,
            _ => Node::Other,
        }
    }

    /// The name being read, if inside a subject or an issuer.
    fn name(&self) -> Option<Which> {
        self.stack.iter().rev().find_map(|l| match l.node {
            Node::Name(w) => Some(w),
            _ => None,
        })
    }

    fn field(&mut self, t: &str) {
        let (key, value) = match t.split_once(": ") {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (t, ""),
        };
        let name = self.name();
        let at_cert = self.parent() == Some(Node::Cert);
        let in_attr = self.within(Node::Attr);
        let in_before = self.within(Node::NotBefore);
        let in_after = self.within(Node::NotAfter);
        let in_ext = self.within(Node::Extension);
        let in_full_name = self.within(Node::FullName);
        let access = self.stack.iter().rposition(|l| l.node == Node::Access);
        let full = self.values >= MAX_VALUES;
        let Some(cert) = self.cert.as_mut() else {
            return;
        };
        // EPC's engine prefixes a label it cut with `[truncated]`, tshark 4 ends it with
        // `…`: a name or a value read from such a line may lack a part.
        let read_here = name.is_some()
            || matches!(
                key.trim_start_matches("[truncated]"),
                "serialNumber" | "dNSName" | "iPAddress" | "uniformResourceIdentifier"
            )
            || is_time_field(key.trim_start_matches("[truncated]"));
        if read_here && (t.starts_with("[truncated]") || t.ends_with('…')) {
            cert.cut = true;
            return;
        }
        if at_cert && key == "serialNumber" {
            cert.serial = value.to_string();
        } else if t.starts_with("RDNSequence item") && name.is_some() {
            let rdns = match name {
                Some(Which::Subject) => &mut cert.subject,
                _ => &mut cert.issuer,
            };
            if !full {
                rdns.push(Vec::new());
                self.values += 1;
            }
        } else if t.starts_with("RelativeDistinguishedName item") {
            // `RelativeDistinguishedName item (id-at-commonName=x)`: the value as a title.
            let titled = t
                .split_once('(')
                .and_then(|(_, r)| r.strip_suffix(')'))
                .and_then(|r| r.split_once('='))
                .map(|(_, v)| v.to_string());
            self.attr = Some((String::new(), None, titled));
        } else if in_attr {
            if let Some(a) = self.attr.as_mut() {
                if key == "Object Id" || key == "Id" {
                    a.0 = value
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                } else if a.1.is_none() && !value.is_empty() && is_string_field(key) {
                    a.1 = Some(value.to_string());
                }
            }
        } else if in_before && is_time_field(key) {
            cert.not_before = stated_time(value);
        } else if in_after && is_time_field(key) {
            cert.not_after = stated_time(value);
        } else if key == "Extension Id" {
            self.ext = Some(match value.split_whitespace().next().unwrap_or_default() {
                "2.5.29.17" => Ext::SubjectAltName,
                "2.5.29.19" => Ext::BasicConstraints,
                "2.5.29.31" => Ext::CrlDistributionPoints,
                "1.3.6.1.5.5.7.1.1" => Ext::AuthorityInfoAccess,
                _ => Ext::Other,
            });
        } else if in_ext && !full {
            let pushed = match (self.ext, key) {
                (Some(Ext::SubjectAltName), "dNSName") => Some(&mut cert.sans),
                (Some(Ext::SubjectAltName), "iPAddress") => {
                    // x509.rs writes the address from its octets: the same form.
                    if let Ok(ip) = value.parse::<std::net::IpAddr>() {
                        cert.sans.push(ip.to_string());
                        self.values += 1;
                    }
                    None
                }
                (Some(Ext::BasicConstraints), "cA") => {
                    cert.is_ca = value == "True";
                    None
                }
                (Some(Ext::CrlDistributionPoints), "uniformResourceIdentifier") if in_full_name => {
                    Some(&mut cert.crl_urls)
                }
                (Some(Ext::AuthorityInfoAccess), "accessMethod") => {
                    let ocsp = value.split_whitespace().next() == Some("1.3.6.1.5.5.7.48.1");
                    if let Some(l) = access.and_then(|i| self.stack.get_mut(i)) {
                        l.ocsp = ocsp;
                    }
                    None
                }
                (Some(Ext::AuthorityInfoAccess), "uniformResourceIdentifier")
                    if access
                        .and_then(|i| self.stack.get(i))
                        .is_some_and(|l| l.ocsp) =>
                {
                    Some(&mut cert.ocsp_urls)
                }
                _ => None,
            };
            if let Some(v) = pushed {
                v.push(value.to_string());
                self.values += 1;
            }
        }
    }

    fn pop(&mut self) {
        let Some(l) = self.stack.pop() else {
            return;
        };
        match l.node {
            Node::Attr => self.end_attr(),
            Node::Extension => self.ext = None,
            Node::Cert => self.end_cert(),
            _ => {}
        }
    }

    fn end_attr(&mut self) {
        let which = self.name();
        let (Some((oid, value, titled)), Some(cert)) = (self.attr.take(), self.cert.as_mut())
        else {
            return;
        };
        let Some(value) = value.or(titled).filter(|_| !oid.is_empty()) else {
            return;
        };
        let rdns = match which {
            Some(Which::Subject) => &mut cert.subject,
            Some(Which::Issuer) => &mut cert.issuer,
            None => return,
        };
        if let Some(rdn) = rdns.last_mut()
            && self.values < MAX_VALUES
        {
            rdn.push((oid, value));
            self.values += 1;
        }
    }

    fn end_cert(&mut self) {
        while self
            .stack
            .last()
            .is_some_and(|l| !matches!(l.node, Node::Cert))
        {
            self.pop();
        }
        if self.stack.last().is_some_and(|l| l.node == Node::Cert) {
            self.stack.pop();
        }
        if let Some(c) = self.cert.take() {
            self.values = 0;
            if self.chain.len() < MAX_CHAIN {
                self.chain.push(c);
            }
        }
    }

    fn end_message(&mut self) {
        if self.message.take().is_none() {
            return;
        }
        while !self.stack.is_empty() {
            self.pop();
        }
        self.end_cert();
        let chain = std::mem::take(&mut self.chain);
        if self.chains.len() < MAX_CHAINS {
            self.chains.push(chain);
        }
    }
}

/// The value lines of a name's attribute: a DirectoryString's choice (`uTF8String: x`,
/// `printableString: x`, ...), `CountryName: US`, an IA5String (`IA5String: x`).
fn is_string_field(key: &str) -> bool {
    !matches!(key, "Object Id" | "Id" | "DirectoryString")
        && (key.ends_with("String") || key.ends_with("Name") || key == "DomainComponent")
}

fn is_time_field(key: &str) -> bool {
    matches!(
        key,
        "utcTime" | "generalTime" | "generalizedTime" | "GeneralizedTime"
    )
}

/// `2020-01-01 00:00:00 (UTC)`, older tshark's `20-01-01 00:00:00 (UTC)` (a two-digit
/// year: RFC 5280 §4.1.2.5.1, 50–99 are 19xx), or the raw `200101000000Z` /
/// `20491231235959Z` → Unix seconds.
fn stated_time(v: &str) -> Option<i64> {
    let v = v.trim().trim_end_matches("(UTC)").trim();
    if let Some(t) = month_day_year(v) {
        return Some(t);
    }
    let (date, time) = match v.split_once(' ') {
        Some((d, t)) => (d.to_string(), t.to_string()),
        None => {
            let raw = v.strip_suffix('Z')?;
            if !raw.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (d, t) = raw.split_at(raw.len().checked_sub(6)?);
            let (y, md) = d.split_at(d.len().checked_sub(4)?);
            let (m, dd) = md.split_at(2);
            (
                format!("{y}-{m}-{dd}"),
                format!("{}:{}:{}", &t[..2], &t[2..4], &t[4..]),
            )
        }
    };
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let year = match date.split('-').next().map(str::len) {
        Some(2) if y >= 50 => 1900 + y,
        Some(2) => 2000 + y,
        _ => y,
    };
    let mut t = time
        .split(':')
        .map(|p| p.split('.').next()?.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    if !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0..61).contains(&ss) {
        return None;
    }
    let days = crate::model::time::days_since_epoch(year, m, day)?;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// tshark 4's generalizedTime: `Jul 29, 2051 19:35:51.000000000 UTC`, the form of a
/// dissection's `Arrival Time`, read by the same [`date_time`] (a zone other than UTC, or
/// none, is refused); whole seconds.
fn month_day_year(v: &str) -> Option<i64> {
    date_time(v, Unzoned::Refused).map(|ns| ns.div_euclid(NS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_tshark_writes_them() {
        assert_eq!(
            stated_time("2021-01-01 00:00:00 (UTC)"),
            Some(1_609_459_200)
        );
        assert_eq!(stated_time("21-01-01 00:00:00 (UTC)"), Some(1_609_459_200));
        assert_eq!(stated_time("210101000000Z"), Some(1_609_459_200));
        assert_eq!(stated_time("99991231235959Z"), Some(253_402_300_799));
        assert_eq!(
            stated_time("Jul 29, 2051 19:35:51.000000000 UTC"),
            Some(2_574_272_151)
        );
        assert_eq!(stated_time("Jul 29, 2051 19:35:51 CET"), None);
        assert_eq!(stated_time("2021-13-01 00:00:00 (UTC)"), None);
        assert_eq!(stated_time("garbage"), None);
        assert_eq!(stated_time(""), None);
    }
}

#[cfg(test)]
mod real {
    use super::*;

    fn read(text: &str) -> Vec<Vec<CertInfo>> {
        let mut r = Reader::default();
        for l in text.lines() {
            r.line(l);
        }
        r.finish()
    }

    /// A real tshark 4.0 dissection (`-V`) of a TLS 1.2 Certificate message from a
    /// handshake on loopback (openssl s_server), and the PEM of that certificate: six RDNs
    /// (two OUs, an emailAddress in IA5String, a comma in a value), DNS, IPv4, IPv6 and URI
    /// SANs, a generalizedTime notAfter, a CRL distribution point, OCSP beside caIssuers.
    /// The fields give the DER's CertInfo but for the fingerprint and the key.
    #[test]
    fn the_fields_of_a_real_dissection_are_the_ders() {
        let chains = read(include_str!(
            "../../../tests/data/text/tshark-V-certificate-ip-san.txt"
        ));
        let pem = include_str!("../../../tests/data/pki/ip-san-generalized-time.pem");
        let der = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .contents;
        let from_der = crate::wire::x509::parse_certificate(&der).unwrap();
        assert_eq!(
            from_der.subject,
            "C=US, O=Lab, Inc., OU=Unit A, OU=Unit B, CN=ip.lab, Email=a@lab"
        );
        assert_eq!(from_der.sans, ["ip.lab", "192.0.2.7", "2001:db8::7"]);
        assert_eq!(from_der.ocsp_urls, ["http://ocsp.lab/"]);
        assert_eq!(from_der.crl_urls, ["http://crl.lab/a.crl"]);
        assert_eq!(chains.len(), 1);
        let [fields] = &chains[0][..] else {
            panic!("{chains:?}")
        };
        assert_eq!(
            *fields,
            CertInfo {
                sha256: String::new(),
                spki_sha256: String::new(),
                read_from: crate::model::CertSource::DissectionFields,
                ..from_der
            }
        );
    }

    /// Hostile trees: bounded (16 certificates a message, 64 SANs each), a certificate
    /// without its dates left out, another handshake message's certificates not read, and
    /// no panic on lines cut anywhere.
    #[test]
    fn a_hostile_tree_is_bounded() {
        let cert = |cn: &str, sans: usize, dates: bool| {
            let mut s = String::from(
                "                    signedCertificate\n                        serialNumber: 0x01\n                        issuer: rdnSequence (0)\n                            rdnSequence: 1 item (id-at-commonName=ca)\n                                RDNSequence item: 1 item (id-at-commonName=ca)\n                                    RelativeDistinguishedName item (id-at-commonName=ca)\n                                        Object Id: 2.5.4.3 (id-at-commonName)\n                                        DirectoryString: uTF8String (4)\n                                            uTF8String: ca\n",
            );
            if dates {
                s.push_str("                        validity\n                            notBefore: utcTime (0)\n                                utcTime: 2020-01-01 00:00:00 (UTC)\n                            notAfter: utcTime (0)\n                                utcTime: 2030-01-01 00:00:00 (UTC)\n");
            }
            s.push_str(&format!("                        subject: rdnSequence (0)\n                            rdnSequence: 1 item (id-at-commonName={cn})\n                                RDNSequence item: 1 item (id-at-commonName={cn})\n                                    RelativeDistinguishedName item (id-at-commonName={cn})\n                                        Object Id: 2.5.4.3 (id-at-commonName)\n                                        DirectoryString: uTF8String (4)\n                                            uTF8String: {cn}\n                        extensions: 1 item\n                            Extension (id-ce-subjectAltName)\n                                Extension Id: 2.5.29.17 (id-ce-subjectAltName)\n                                GeneralNames: {sans} items\n"));
            for i in 0..sans {
                s.push_str(&format!("                                    GeneralName: dNSName (2)\n                                        dNSName: n{i}.lab\n"));
            }
            s
        };
        let mut text = String::from("        Handshake Protocol: Certificate\n");
        text.push_str(&cert("\u{1b}[31mred\u{7}", 1000, true));
        text.push_str(&cert("undated", 1, false));
        // A label the dissector cut (EPC's `[truncated]`): the certificate is not taken.
        text.push_str(&cert("cut", 1, true).replace(
            "RelativeDistinguishedName item (id-at-commonName=cut)",
            "[truncated]RelativeDistinguishedName item (id-at-commonName=cu",
        ));
        for i in 0..40 {
            text.push_str(&cert(&format!("c{i}"), 1, true));
        }
        text.push_str("        Handshake Protocol: Certificate Request\n");
        text.push_str(&cert("not-a-chain", 1, true));
        let chains = read(&text);
        assert_eq!(chains.len(), 1);
        let chain = &chains[0];
        assert_eq!(
            chain.len(),
            MAX_CHAIN - 2,
            "16 read, the undated and the cut one left out"
        );
        assert_eq!(chain[0].sans.len(), crate::wire::x509::MAX_SANS);
        assert!(chain.iter().all(|c| c.subject_cn.as_deref() != Some("cut")));
        // Kept as stated: the printers escape it like any network string.
        assert_eq!(chain[0].subject, "CN=\u{1b}[31mred\u{7}");
        assert!(
            chain
                .iter()
                .all(|c| c.subject_cn.as_deref() != Some("not-a-chain"))
        );
        for cut in (0..text.len()).step_by(97) {
            if text.is_char_boundary(cut) {
                let _ = read(&text[..cut]);
            }
        }
    }
}
