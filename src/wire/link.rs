//! Link-layer and IP/TCP/UDP decoding of one captured frame into a [`Packet`].
//!
//! Pure: bytes in, a borrowed view out. Handles what switch exports contain (Embedded Packet Capture):
//! 802.1Q/QinQ tags, the Cisco MetaData header (EtherType 0x8909) before IP, Ethernet
//! trailers, truncated frames and bad checksums (checksums are never verified: egress
//! frames on a switch are captured before rewrite). IP and transport headers are read by
//! etherparse in its lax mode, which accepts a payload shorter than the IP length says.

use super::WireError;
use etherparse::{LaxNetSlice, LaxSlicedPacket, TcpOptionElement, TransportSlice};
use std::net::IpAddr;

/// pcap LINKTYPE_* values this decoder understands (tcpdump.org/linktypes.html).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_BSD: u32 = 12;
    pub const RAW_BSD2: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// Cisco MetaData (carries the SGT): version(1) length(1) option(2) SGT(2) then the
/// inner EtherType(2), as Wireshark's packet-cmd.c reads it.
const ETHERTYPE_CISCO_METADATA: u16 = 0x8909;
const CISCO_METADATA_LEN: usize = 6;
/// Tags we peel before giving up: QinQ is 2, a MetaData header may sit among them.
const MAX_TAGS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub mss: Option<u16>,
    /// The timestamp option's TSval (RFC 7323 §3): a retransmission sent a tick later
    /// carries a new one, a frame captured twice the same.
    pub tsval: Option<u32>,
    /// The first SACK block (RFC 2018), left and right edge: what a receiver holds past
    /// a hole it reports with a duplicate ACK.
    pub sack: Option<(u32, u32)>,
    pub payload: &'a [u8],
    /// Payload bytes the sender put on the wire that the capture lacks (snaplen/truncation).
    pub payload_missing: u32,
}

#[derive(Debug, Clone, Copy)]
pub enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
        truncated: bool,
    },
    /// An ICMP / ICMPv6 destination unreachable about a TCP or UDP packet.
    IcmpUnreachable(IcmpUnreachable),
    Other(u8),
}

/// What an ICMP destination-unreachable says, and about which packet (its quoted
/// addresses and ports, RFC 792 / RFC 4443: the original IP header + at least 8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpUnreachable {
    pub v6: bool,
    pub code: u8,
    /// 6 (TCP) or 17 (UDP).
    pub protocol: u8,
    pub orig_src: std::net::SocketAddr,
    pub orig_dst: std::net::SocketAddr,
    /// ICMPv4 code 4 (fragmentation needed, DF set): the next-hop MTU.
    pub next_hop_mtu: Option<u16>,
}

impl IcmpUnreachable {
    /// The reason in the words of the RFCs (and of `show ip traffic`).
    pub fn reason(&self) -> &'static str {
        match (self.v6, self.code) {
            (false, 0) => "network unreachable",
            (false, 1) => "host unreachable",
            (false, 2) => "protocol unreachable",
            (false, 3) => "port unreachable",
            (false, 4) => "fragmentation needed and DF set",
            (false, 6 | 7) => "destination network/host unknown",
            (false, 9 | 10 | 13) => "administratively prohibited",
            (true, 0) => "no route to destination",
            (true, 1) => "administratively prohibited",
            (true, 3) => "address unreachable",
            (true, 4) => "port unreachable",
            (true, 5) => "source address failed ingress/egress policy",
            (true, 6) => "reject route to destination",
            _ => "unreachable",
        }
    }
}

/// Which ICMP a message body is: ICMP (over IPv4) or ICMPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpVersion {
    V4,
    V6,
}

/// Decodes the body of an ICMP or ICMPv6 message when it is a destination unreachable
/// quoting a TCP or UDP packet; `None` for anything else.
pub fn decode_icmp_unreachable(version: IcmpVersion, icmp: &[u8]) -> Option<IcmpUnreachable> {
    let v6 = version == IcmpVersion::V6;
    let (&kind, &code) = (icmp.first()?, icmp.get(1)?);
    if kind != if v6 { 1 } else { 3 } {
        return None;
    }
    let quoted = icmp.get(8..)?;
    let (src, dst, protocol, ports) = if v6 {
        // IPv6 header: next header at 6, addresses at 8..24 and 24..40. Extension headers
        // before TCP/UDP are not followed (rare in an ICMP quote).
        let src: [u8; 16] = quoted.get(8..24)?.try_into().ok()?;
        let dst: [u8; 16] = quoted.get(24..40)?.try_into().ok()?;
        (
            IpAddr::from(src),
            IpAddr::from(dst),
            *quoted.get(6)?,
            quoted.get(40..44)?,
        )
    } else {
        if quoted.first()? >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(quoted.first()? & 0x0f) * 4;
        if ihl < 20 {
            return None;
        }
        let src: [u8; 4] = quoted.get(12..16)?.try_into().ok()?;
        let dst: [u8; 4] = quoted.get(16..20)?.try_into().ok()?;
        (
            IpAddr::from(src),
            IpAddr::from(dst),
            *quoted.get(9)?,
            quoted.get(ihl..ihl + 4)?,
        )
    };
    if !matches!(protocol, 6 | 17) {
        return None;
    }
    let port = |i: usize| u16::from_be_bytes([ports[i], ports[i + 1]]);
    Some(IcmpUnreachable {
        v6,
        code,
        protocol,
        orig_src: std::net::SocketAddr::new(src, port(0)),
        orig_dst: std::net::SocketAddr::new(dst, port(2)),
        next_hop_mtu: (!v6 && code == 4).then(|| be16(icmp, 6)).flatten(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub vlan_tags: u8,
    pub cisco_metadata: bool,
    /// IPv4 Identification: a frame captured twice keeps it, a retransmission is a new
    /// packet with (on most stacks) a new one. `None` for IPv6.
    pub ip_id: Option<u16>,
    pub transport: Transport<'a>,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Decodes one frame of the given link type down to TCP/UDP.
pub fn decode_frame(linktype: u32, frame: &[u8]) -> Result<Packet<'_>, WireError> {
    let (ip, tags, cmd) = match linktype {
        linktype::ETHERNET => {
            let ethertype = be16(frame, 12).ok_or(WireError::Truncated("Ethernet header"))?;
            strip_ethertypes(ethertype, frame.get(14..).unwrap_or_default())?
        }
        linktype::LINUX_SLL => {
            let proto = be16(frame, 14).ok_or(WireError::Truncated("Linux cooked header"))?;
            strip_ethertypes(proto, frame.get(16..).unwrap_or_default())?
        }
        linktype::LINUX_SLL2 => {
            let proto = be16(frame, 0).ok_or(WireError::Truncated("Linux cooked v2 header"))?;
            strip_ethertypes(proto, frame.get(20..).unwrap_or_default())?
        }
        linktype::RAW
        | linktype::RAW_BSD
        | linktype::RAW_BSD2
        | linktype::IPV4
        | linktype::IPV6 => (frame, 0, false),
        linktype::NULL | linktype::LOOP => {
            // 4-byte address family, host byte order for NULL, network for LOOP; the
            // IP version nibble that follows is what we trust.
            let rest = frame
                .get(4..)
                .ok_or(WireError::Truncated("loopback header"))?;
            (rest, 0, false)
        }
        other => return Err(WireError::UnsupportedLinktype(other)),
    };
    decode_ip(ip, tags, cmd)
}

/// Peels VLAN tags and Cisco MetaData headers until an IP EtherType.
fn strip_ethertypes(mut ethertype: u16, mut rest: &[u8]) -> Result<(&[u8], u8, bool), WireError> {
    let mut tags = 0u8;
    let mut cmd = false;
    for _ in 0..MAX_TAGS {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return Ok((rest, tags, cmd)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                ethertype = be16(rest, 2).ok_or(WireError::Truncated("802.1Q tag"))?;
                rest = rest.get(4..).unwrap_or_default();
                tags += 1;
            }
            ETHERTYPE_CISCO_METADATA => {
                ethertype = be16(rest, CISCO_METADATA_LEN)
                    .ok_or(WireError::Truncated("Cisco MetaData header"))?;
                rest = rest.get(CISCO_METADATA_LEN + 2..).unwrap_or_default();
                cmd = true;
            }
            other => return Err(WireError::NotIp(other)),
        }
    }
    Err(WireError::NotIp(ethertype))
}

fn decode_ip(ip: &[u8], vlan_tags: u8, cisco_metadata: bool) -> Result<Packet<'_>, WireError> {
    // Lax: the IP total length may exceed what was captured (truncated frames), and an
    // Ethernet trailer after the IP packet is cut off by the IP length.
    let sliced = LaxSlicedPacket::from_ip(ip).map_err(|e| WireError::Ip(e.to_string()))?;
    let (src, dst, payload, ip_id) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload(),
            Some(v4.header().identification()),
        ),
        Some(LaxNetSlice::Ipv6(v6)) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload(),
            None,
        ),
        _ => return Err(WireError::Ip("no IP header".into())),
    };
    if payload.fragmented {
        return Err(WireError::Fragment);
    }
    let ip_number = payload.ip_number.0;
    let transport = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let mss = tcp.options_iterator().find_map(|o| match o {
                Ok(TcpOptionElement::MaximumSegmentSize(m)) => Some(m),
                _ => None,
            });
            let tsval = tcp.options_iterator().find_map(|o| match o {
                Ok(TcpOptionElement::Timestamp(v, _)) => Some(v),
                _ => None,
            });
            let sack = tcp.options_iterator().find_map(|o| match o {
                Ok(TcpOptionElement::SelectiveAcknowledgement(first, _)) => Some(first),
                _ => None,
            });
            // What the IP header promised minus what we hold = bytes lost to truncation.
            let promised = ip_payload_len(&sliced).unwrap_or(payload.payload.len());
            let header_len = usize::from(tcp.data_offset()) * 4;
            let captured_payload = tcp.payload();
            let expected_payload = promised.saturating_sub(header_len);
            let missing = expected_payload.saturating_sub(captured_payload.len());
            Transport::Tcp(TcpSegment {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: TcpFlags {
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                },
                window: tcp.window_size(),
                mss,
                tsval,
                sack,
                payload: &captured_payload[..captured_payload.len().min(expected_payload)],
                payload_missing: u32::try_from(missing).unwrap_or(u32::MAX),
            })
        }
        Some(TransportSlice::Udp(udp)) => {
            let declared = usize::from(udp.length()).saturating_sub(8);
            let payload = udp.payload();
            Transport::Udp {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: &payload[..payload.len().min(declared)],
                truncated: payload.len() < declared
                    || payload.len() < udp.payload().len().min(declared),
            }
        }
        _ => {
            if matches!(ip_number, 6 | 17) {
                return Err(WireError::Truncated("transport header"));
            }
            match ip_number {
                1 | 58 => decode_icmp_unreachable(
                    if ip_number == 58 {
                        IcmpVersion::V6
                    } else {
                        IcmpVersion::V4
                    },
                    payload.payload,
                )
                .map_or(Transport::Other(ip_number), Transport::IcmpUnreachable),
                _ => Transport::Other(ip_number),
            }
        }
    };
    Ok(Packet {
        src,
        dst,
        vlan_tags,
        cisco_metadata,
        ip_id,
        transport,
    })
}

/// The IP payload length the header declares (IPv4 total length − IHL; IPv6 payload
/// length minus extension headers), independent of how much was captured.
fn ip_payload_len(sliced: &LaxSlicedPacket<'_>) -> Option<usize> {
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            Some(usize::from(h.total_len()).saturating_sub(usize::from(h.ihl()) * 4))
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let ext_len = v6.extensions().slice().len();
            Some(usize::from(v6.header().payload_length()).saturating_sub(ext_len))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4/TCP SYN to 443 with MSS 536, as a switch sends it.
    pub(crate) fn ipv4_syn() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 44, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 10, 203, 0, 113, 10,
        ];
        p.extend_from_slice(&[
            0xc0, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0x10, 0x20, 0, 0, 0, 0,
        ]);
        p.extend_from_slice(&[2, 4, 0x02, 0x18]);
        p
    }

    fn eth(ethertype_chain: &[u8], ip: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(ethertype_chain);
        f.extend_from_slice(ip);
        f
    }

    #[test]
    fn icmp_unreachable_quotes_the_packet_it_refused() {
        // ICMPv4 type 3 code 13 from a firewall, quoting the SYN of ipv4_syn().
        let syn = ipv4_syn();
        let mut icmp = vec![3, 13, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&syn[..28]);
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0, 203, 0, 113, 22, 198, 51, 100, 10,
        ];
        ip[3] = (20 + icmp.len()) as u8;
        ip.extend_from_slice(&icmp);
        let p = decode_frame(linktype::RAW, &ip).unwrap();
        let Transport::IcmpUnreachable(u) = p.transport else {
            panic!("{:?}", p.transport)
        };
        assert_eq!(u.orig_src.to_string(), "198.51.100.10:49153");
        assert_eq!(u.orig_dst.to_string(), "203.0.113.10:443");
        assert_eq!((u.protocol, u.reason()), (6, "administratively prohibited"));
        assert_eq!(u.next_hop_mtu, None);

        // Fragmentation needed carries the next-hop MTU.
        let mut frag = icmp.clone();
        frag[1] = 4;
        frag[6..8].copy_from_slice(&1400u16.to_be_bytes());
        let u = decode_icmp_unreachable(IcmpVersion::V4, &frag).unwrap();
        assert_eq!(u.next_hop_mtu, Some(1400));

        // ICMPv6 type 1 code 4 (port unreachable) quoting a UDP query to [2001:db8::53]:53.
        let mut v6 = vec![1, 4, 0, 0, 0, 0, 0, 0];
        let mut inner = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        inner.extend_from_slice(
            &"2001:db8::10"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        inner.extend_from_slice(
            &"2001:db8::53"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        inner.extend_from_slice(&[0xd4, 0x31, 0, 53, 0, 8, 0, 0]);
        v6.extend_from_slice(&inner);
        let u = decode_icmp_unreachable(IcmpVersion::V6, &v6).unwrap();
        assert_eq!(u.orig_dst.to_string(), "[2001:db8::53]:53");
        assert_eq!((u.protocol, u.reason()), (17, "port unreachable"));

        // Echo replies, short quotes and quotes of other protocols are not unreachables.
        assert_eq!(
            decode_icmp_unreachable(IcmpVersion::V4, &[0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
        assert_eq!(decode_icmp_unreachable(IcmpVersion::V4, &icmp[..30]), None);
        let mut gre = icmp.clone();
        gre[8 + 9] = 47;
        assert_eq!(decode_icmp_unreachable(IcmpVersion::V4, &gre), None);
    }

    #[test]
    fn plain_ethernet_syn_with_mss() {
        let f = eth(&[0x08, 0x00], &ipv4_syn());
        let p = decode_frame(linktype::ETHERNET, &f).unwrap();
        let Transport::Tcp(t) = p.transport else {
            panic!("not tcp")
        };
        assert_eq!(
            (t.src_port, t.dst_port, t.mss, t.window),
            (49153, 443, Some(536), 4128)
        );
        assert!(t.flags.syn && !t.flags.ack);
        assert_eq!(p.dst.to_string(), "203.0.113.10");
    }

    #[test]
    fn qinq_and_cisco_metadata_are_peeled() {
        // S-tag, C-tag, then CMD header (ver 1, len 1, option 0x0001, SGT 0x0010), then IPv4.
        let chain = [
            0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a, 0x89, 0x09, 0x01, 0x01, 0x00, 0x01,
            0x00, 0x10, 0x08, 0x00,
        ];
        let frame = eth(&chain, &ipv4_syn());
        let p = decode_frame(linktype::ETHERNET, &frame).unwrap();
        assert_eq!(p.vlan_tags, 2);
        assert!(p.cisco_metadata);
        assert!(matches!(p.transport, Transport::Tcp(t) if t.dst_port == 443));
    }

    #[test]
    fn trailer_is_not_payload_and_truncation_is_counted() {
        let mut ip = ipv4_syn();
        ip[3] = 44 + 10; // claims 10 payload bytes
        ip.extend_from_slice(b"0123456789");
        let mut f = eth(&[0x08, 0x00], &ip);
        f.extend_from_slice(&[0xee; 6]); // Ethernet trailer
        let Transport::Tcp(t) = decode_frame(linktype::ETHERNET, &f).unwrap().transport else {
            panic!()
        };
        assert_eq!(t.payload, b"0123456789");
        assert_eq!(t.payload_missing, 0);

        f.truncate(14 + 44 + 4); // snaplen cut inside the payload
        let Transport::Tcp(t) = decode_frame(linktype::ETHERNET, &f).unwrap().transport else {
            panic!()
        };
        assert_eq!(t.payload, b"0123");
        assert_eq!(t.payload_missing, 6);
    }

    #[test]
    fn every_truncation_point_is_an_error_or_a_packet_never_a_panic() {
        let f = eth(
            &[0x81, 0x00, 0, 1, 0x89, 0x09, 1, 1, 0, 1, 0, 2, 0x08, 0x00],
            &ipv4_syn(),
        );
        // Ethernet 0..14, 802.1Q 14..18, Cisco MetaData 18..26, IPv4 26..46, TCP 46..70.
        for cut in 0..f.len() {
            let got = decode_frame(linktype::ETHERNET, &f[..cut]).map(|_| ());
            let want = match cut {
                0..14 => Err(WireError::Truncated("Ethernet header")),
                14..18 => Err(WireError::Truncated("802.1Q tag")),
                18..26 => Err(WireError::Truncated("Cisco MetaData header")),
                26..46 => {
                    assert!(matches!(got, Err(WireError::Ip(_))), "cut {cut}: {got:?}");
                    continue;
                }
                _ => Err(WireError::Truncated("transport header")),
            };
            assert_eq!(got, want, "cut {cut}");
        }
        assert!(matches!(
            decode_frame(linktype::ETHERNET, &f).map(|p| p.transport),
            Ok(Transport::Tcp(_))
        ));
        assert!(decode_frame(linktype::ETHERNET, &f[..13]).is_err());
    }

    #[test]
    fn other_link_types() {
        let ip = ipv4_syn();
        assert!(decode_frame(linktype::RAW, &ip).is_ok());
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert!(decode_frame(linktype::LINUX_SLL, &sll).is_ok());
        let mut lo = vec![2, 0, 0, 0];
        lo.extend_from_slice(&ip);
        assert!(decode_frame(linktype::NULL, &lo).is_ok());
        assert_eq!(
            decode_frame(147, &ip).unwrap_err(),
            WireError::UnsupportedLinktype(147)
        );
        assert_eq!(
            decode_frame(linktype::ETHERNET, &eth(&[0x08, 0x06], &[0; 28])).unwrap_err(),
            WireError::NotIp(0x0806)
        );
    }
}
