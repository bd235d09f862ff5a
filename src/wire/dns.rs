//! DNS message decoder (RFC 1035 §4), enough for query/response matching: header, first
//! question, and A/AAAA/CNAME answers. Pure and bounded: name compression pointers are
//! followed at most [`MAX_POINTER_JUMPS`] times and names are capped at 255 bytes.
//!
//! The header and the record types are hickory-proto's (`Header::read`, `RecordType`).
//! The rest stays hand-written, for three reasons a capture imposes:
//! - a message cut inside the answer section (a snaplen, a lost TCP segment) still yields
//!   its question and the answers before the cut; hickory's `Message::from_vec` refuses the
//!   whole message, and the probe reports "N answers announced, M present" from this;
//! - hickory's `Name::read` follows compression pointers by recursion, one stack frame per
//!   hop, bounded only by the message length: a 64 KiB message (DNS over TCP) of pointers
//!   each to the one before overflowed a 2 MiB thread stack (tokio's worker default) in a
//!   test with hickory-proto 0.25.2. [`read_name`] is a loop with [`MAX_POINTER_JUMPS`];
//! - names are shown as the reports always showed them (lower case, no trailing dot,
//!   `\DDD` for bytes that are not printable), which the JSON of every capture holds.

use crate::model::{DnsAnswer, DnsData};
use hickory_resolver::proto::op::{Header, MessageType};
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder};
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
    /// The TC bit (RFC 1035 §4.1.1): the answer was cut to fit; ask again over TCP.
    pub truncated: bool,
}

/// Why a DNS message does not decode; wrapped as [`super::WireError::Dns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The message ends inside the header or the question.
    #[error("DNS message truncated: it ends inside the header or the question")]
    Truncated,
    /// A label type other than length or pointer (RFC 1035 §4.1.4), a name longer than
    /// RFC 1035 §2.3.4 allows, or more than [`MAX_POINTER_JUMPS`] pointers.
    #[error("DNS name that cannot be decoded (bad label type, too long, or a pointer loop)")]
    BadName,
    /// QDCOUNT is 0: nothing to match a query and an answer on.
    #[error("DNS message without a question (QDCOUNT 0)")]
    NoQuestion,
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
    let header = Header::read(&mut BinDecoder::new(msg)).map_err(|_| DnsError::Truncated)?;
    let qdcount = header.query_count();
    let ancount = header.answer_count();
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
    let is_response = header.message_type() == MessageType::Response;
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
            let data = match RecordType::from(rtype) {
                RecordType::A if let Ok(o) = <[u8; 4]>::try_from(rdata) => {
                    DnsData::A(IpAddr::V4(Ipv4Addr::from(o)))
                }
                RecordType::AAAA if let Ok(o) = <[u8; 16]>::try_from(rdata) => {
                    DnsData::Aaaa(IpAddr::V6(Ipv6Addr::from(o)))
                }
                RecordType::CNAME => match read_name(msg, rdata_at) {
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
        id: header.id(),
        is_response,
        rcode: header.response_code().low(),
        qname,
        qtype,
        answers,
        truncated: header.truncated(),
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
        assert_eq!(d.rcode, 3);
        assert_eq!(d.qtype, 28);
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

    #[test]
    fn each_truncation_point_of_a_response() {
        let name = "smartreceiver.cisco.com";
        let m = build(9, name, 1, 0, true, &[[1, 2, 3, 4], [5, 6, 7, 8]]);
        let question_end = 12 + name.len() + 2 + 4;
        for cut in 0..=m.len() {
            let got = parse_dns_message(&m[..cut]);
            let answers = (cut.saturating_sub(question_end)) / 16;
            match cut {
                // Header, name and QTYPE are needed; QCLASS is not read.
                c if c < question_end - 2 => assert_eq!(got, Err(DnsError::Truncated), "cut {c}"),
                c => {
                    let d = got.unwrap_or_else(|e| panic!("cut {c}: {e}"));
                    assert_eq!(d.qname, name);
                    assert_eq!(d.answers.len(), answers.min(2), "cut {c}");
                }
            }
        }
    }

    #[test]
    fn limits_and_bad_names() {
        assert_eq!(
            parse_dns_message(&build(1, "a", 1, 0, false, &[])[..4]),
            Err(DnsError::Truncated)
        );
        // No question.
        let mut m = build(1, "a", 1, 0, true, &[]);
        m[5] = 0;
        assert_eq!(parse_dns_message(&m), Err(DnsError::NoQuestion));
        // A reserved label type (0x40, RFC 6891 §5).
        let mut m = build(1, "a", 1, 0, true, &[]);
        m[12] = 0x41;
        assert_eq!(parse_dns_message(&m), Err(DnsError::BadName));
        // MAX_POINTER_JUMPS pointers are followed, one more is refused.
        let chain = |hops: usize| {
            let mut m = build(1, "a", 1, 0, false, &[]);
            m.truncate(12);
            m.extend_from_slice(&[0xc0, 14]); // the question's name: a pointer at 14
            m.extend_from_slice(&[1, b'x', 0]); // 14: "x"
            let mut target = 14u16;
            for _ in 1..hops {
                let here = m.len() as u16;
                m.extend_from_slice(&(0xc000 | target).to_be_bytes());
                target = here;
            }
            m[12..14].copy_from_slice(&(0xc000 | target).to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 1]);
            m
        };
        // The name pointer sits before the QTYPE, so the QTYPE is read after the first pointer.
        assert!(matches!(parse_dns_message(&chain(MAX_POINTER_JUMPS)), Ok(d) if d.qname == "x"));
        assert_eq!(
            parse_dns_message(&chain(MAX_POINTER_JUMPS + 1)),
            Err(DnsError::BadName)
        );
        // A name past RFC 1035's 255 octets (as shown, up to four characters per byte).
        let long = ["abcdefghijklmnopqrstuvwxyz0123456789"; 30].join(".");
        let mut m = build(1, "a", 1, 0, false, &[]);
        m.truncate(12);
        for label in long.split('.') {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse_dns_message(&m), Err(DnsError::BadName));
        // The wire layer's error says what it was.
        assert_eq!(
            crate::wire::WireError::from(DnsError::NoQuestion).to_string(),
            "DNS message without a question (QDCOUNT 0)"
        );
    }

    #[test]
    fn answer_record_shapes() {
        let mut m = build(3, "tools.cisco.com", 1, 0, true, &[]);
        m[7] = 4;
        // CNAME to a compressed name, an A with a 5-byte RDATA, an AAAA, an MX.
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, b'w', b'w', b'w']);
        m.extend_from_slice(&[0xc0, 12]);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5]);
        m.extend_from_slice(&[0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16]);
        m.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        m.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 2, 0, 10]);
        let d = parse_dns_message(&m).unwrap();
        let data: Vec<_> = d.answers.iter().map(|a| a.data.clone()).collect();
        assert_eq!(
            data,
            [
                DnsData::Cname("www.tools.cisco.com".into()),
                DnsData::Other(1),
                DnsData::Aaaa("2001:db8::1".parse().unwrap()),
                DnsData::Other(15),
            ]
        );
        assert_eq!(d.answers[0].ttl, 60);
    }
}
