//! DNS message decoder (RFC 1035 §4), enough for query/response matching: header, first
//! question, and A/AAAA/CNAME answers. Pure and bounded: name compression pointers are
//! followed at most [`MAX_POINTER_JUMPS`] times and names are capped at 255 bytes.

use crate::model::{DnsAnswer, DnsData};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// RFC 1035 §2.3.4: a name is at most 255 octets.
const MAX_NAME_LEN: usize = 255;
/// Bounds compression loops; real messages need a handful.
const MAX_POINTER_JUMPS: usize = 16;
/// Answers kept per message; the rest are counted as truncated.
const MAX_ANSWERS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub is_response: bool,
    pub rcode: u8,
    pub qname: String,
    pub qtype: u16,
    pub answers: Vec<DnsAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    Truncated,
    BadName,
    NoQuestion,
}

pub fn rcode_name(rcode: u8) -> String {
    match rcode {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        other => format!("RCODE{other}"),
    }
}

pub fn qtype_name(qtype: u16) -> String {
    match qtype {
        1 => "A".into(),
        5 => "CNAME".into(),
        28 => "AAAA".into(),
        2 => "NS".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        33 => "SRV".into(),
        65 => "HTTPS".into(),
        other => format!("TYPE{other}"),
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, DnsError> {
    Ok(u16::from_be_bytes([
        *b.get(at).ok_or(DnsError::Truncated)?,
        *b.get(at + 1).ok_or(DnsError::Truncated)?,
    ]))
}

fn be32(b: &[u8], at: usize) -> Result<u32, DnsError> {
    Ok((u32::from(be16(b, at)?) << 16) | u32::from(be16(b, at + 2)?))
}

/// Reads a possibly compressed name at `at`; returns it and the offset after it.
fn read_name(msg: &[u8], mut at: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(at).ok_or(DnsError::Truncated)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let after = end.unwrap_or(at + 1);
                    if name.is_empty() {
                        name.push('.');
                    }
                    return Ok((name, after));
                }
                let label = msg
                    .get(at + 1..at + 1 + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    if b.is_ascii_graphic() && b != b'.' {
                        name.push(char::from(b.to_ascii_lowercase()));
                    } else {
                        name.push_str(&format!("\\{b:03}"));
                    }
                }
                if name.len() > MAX_NAME_LEN * 4 {
                    return Err(DnsError::BadName);
                }
                at += 1 + usize::from(len);
            }
            0xc0 => {
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::BadName);
                }
                let ptr = usize::from(be16(msg, at)? & 0x3fff);
                end.get_or_insert(at + 2);
                at = ptr;
            }
            _ => return Err(DnsError::BadName),
        }
    }
}

/// Decodes a DNS message (without the TCP length prefix).
pub fn parse_dns_message(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    let id = be16(msg, 0)?;
    let flags = be16(msg, 2)?;
    let qdcount = be16(msg, 4)?;
    let ancount = be16(msg, 6)?;
    if qdcount == 0 {
        return Err(DnsError::NoQuestion);
    }
    let (qname, mut at) = read_name(msg, 12)?;
    let qtype = be16(msg, at)?;
    at += 4;
    // Further questions (never seen in practice) are skipped.
    for _ in 1..qdcount {
        let (_, next) = read_name(msg, at)?;
        at = next + 4;
    }
    let is_response = flags & 0x8000 != 0;
    let mut answers = Vec::new();
    if is_response {
        for _ in 0..ancount.min(MAX_ANSWERS as u16) {
            let Ok((name, next)) = read_name(msg, at) else {
                break;
            };
            let Ok(rtype) = be16(msg, next) else { break };
            let Ok(ttl) = be32(msg, next + 4) else { break };
            let Ok(rdlen) = be16(msg, next + 8) else {
                break;
            };
            let rdata_at = next + 10;
            let Some(rdata) = msg.get(rdata_at..rdata_at + usize::from(rdlen)) else {
                break;
            };
            let data = match (rtype, rdata.len()) {
                (1, 4) => DnsData::A(IpAddr::V4(Ipv4Addr::new(
                    rdata[0], rdata[1], rdata[2], rdata[3],
                ))),
                (28, 16) => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(rdata);
                    DnsData::Aaaa(IpAddr::V6(Ipv6Addr::from(o)))
                }
                (5, _) => match read_name(msg, rdata_at) {
                    Ok((target, _)) => DnsData::Cname(target),
                    Err(_) => DnsData::Other(rtype),
                },
                _ => DnsData::Other(rtype),
            };
            answers.push(DnsAnswer { name, ttl, data });
            at = rdata_at + usize::from(rdlen);
        }
    }
    Ok(DnsMessage {
        id,
        is_response,
        rcode: (flags & 0x000f) as u8,
        qname,
        qtype,
        answers,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a query or response for `name` with the given answers (A records).
    pub(crate) fn build(
        id: u16,
        name: &str,
        qtype: u16,
        rcode: u8,
        response: bool,
        a: &[[u8; 4]],
    ) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&id.to_be_bytes());
        let flags: u16 = if response {
            0x8180 | u16::from(rcode)
        } else {
            0x0100
        };
        m.extend_from_slice(&flags.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m.extend_from_slice(&(a.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        for label in name.split('.') {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        for addr in a {
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
            m.extend_from_slice(addr);
        }
        m
    }

    #[test]
    fn response_with_compressed_answer() {
        let m = build(
            0x1234,
            "smartreceiver.cisco.com",
            1,
            0,
            true,
            &[[203, 0, 113, 10]],
        );
        let d = parse_dns_message(&m).unwrap();
        assert_eq!(d.qname, "smartreceiver.cisco.com");
        assert!(d.is_response);
        assert_eq!(d.answers.len(), 1);
        assert_eq!(d.answers[0].ttl, 3600);
        assert_eq!(
            d.answers[0].data,
            DnsData::A("203.0.113.10".parse().unwrap())
        );
    }

    #[test]
    fn nxdomain_rcode() {
        let d = parse_dns_message(&build(7, "tools.cisco.com", 28, 3, true, &[])).unwrap();
        assert_eq!(rcode_name(d.rcode), "NXDOMAIN");
        assert_eq!(qtype_name(d.qtype), "AAAA");
    }

    #[test]
    fn pointer_loop_is_refused() {
        let mut m = build(1, "a", 1, 0, true, &[]);
        m.truncate(12);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_dns_message(&m), Err(DnsError::BadName));
    }

    #[test]
    fn every_truncation_point() {
        let m = build(
            9,
            "smartreceiver.cisco.com",
            1,
            0,
            true,
            &[[1, 2, 3, 4], [5, 6, 7, 8]],
        );
        for cut in 0..m.len() {
            let r = parse_dns_message(&m[..cut]);
            if let Ok(d) = r {
                assert!(d.answers.len() < 2, "cut {cut} cannot hold both answers");
            }
        }
    }
}
