//! Frames and capture files built in code, for tests and the benchmark: Ethernet II +
//! IPv4 frames of TCP, UDP and ICMP unreachable, and a classic pcap around such frames.
//!
//! One file for three kinds of user: the library's unit tests (`capture::testing`, compiled
//! for tests only), and the integration tests and benches, which cannot see the library's
//! `cfg(test)` items and include this same file with `#[path = "../src/capture/testing.rs"]`.
//! So it names nothing of the crate, only `std`.
#![allow(dead_code)]

/// TCP flags (RFC 9293 §3.1).
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// An Ethernet II + IPv4 + TCP frame from `src` to `dst` (address, port), without IP or
/// TCP options, window 65535. Checksums are 0: the analyser never checks them (a switch's
/// capture often holds frames before checksum offload fills them in).
pub fn tcp_frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.1.to_be_bytes());
    tcp.extend_from_slice(&dst.1.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    // Data offset 5 words; flags; window 65535; checksum 0; urgent pointer 0.
    tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    ipv4_frame(src.0, dst.0, 6, &tcp)
}

/// An Ethernet II + IPv4 + UDP frame from `src` to `dst` (address, port); checksum 0.
pub fn udp_frame(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let mut udp = Vec::with_capacity(8 + payload.len());
    udp.extend_from_slice(&src.1.to_be_bytes());
    udp.extend_from_slice(&dst.1.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    ipv4_frame(src.0, dst.0, 17, &udp)
}

/// An ICMP destination unreachable with `code` (3: port unreachable) from `from`, about
/// `refused` (a frame of [`udp_frame`] or [`tcp_frame`]): sent to its source, quoting its
/// IP header and first 8 bytes (RFC 792).
pub fn icmp_unreachable_frame(from: [u8; 4], code: u8, refused: &[u8]) -> Vec<u8> {
    let ip = &refused[14..];
    let mut icmp = vec![3, code, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&ip[..28]);
    let to: [u8; 4] = ip[12..16].try_into().unwrap();
    ipv4_frame(from, to, 1, &icmp)
}

/// An Ethernet II frame around an IPv4 packet from `src` to `dst` carrying `l4` (IP
/// protocol `protocol`): no options, id 0, don't fragment, TTL 64, checksum 0.
fn ipv4_frame(src: [u8; 4], dst: [u8; 4], protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(34 + l4.len());
    // Destination and source MAC (locally administered), EtherType IPv4.
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let total = (20 + l4.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, protocol, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(l4);
    f
}

/// The 24-byte header of a little-endian, microsecond classic pcap of Ethernet frames
/// (linktype 1).
pub fn pcap_header(snaplen: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..4].copy_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&snaplen.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h
}

/// A record's 16-byte header for a frame of `len` bytes captured whole at `time_us`
/// (microseconds since the epoch).
pub fn pcap_record_header(time_us: u64, len: usize) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&((time_us / 1_000_000) as u32).to_le_bytes());
    h[4..8].copy_from_slice(&((time_us % 1_000_000) as u32).to_le_bytes());
    h[8..12].copy_from_slice(&(len as u32).to_le_bytes());
    h[12..16].copy_from_slice(&(len as u32).to_le_bytes());
    h
}

/// A whole pcap (snaplen 65535) of `frames`, the first at `start_s` seconds since the epoch
/// and each `step_us` microseconds after the one before.
pub fn pcap(start_s: u32, step_us: u64, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = pcap_header(65535).to_vec();
    for (i, f) in frames.iter().enumerate() {
        let time_us = u64::from(start_s) * 1_000_000 + i as u64 * step_us;
        out.extend_from_slice(&pcap_record_header(time_us, f.len()));
        out.extend_from_slice(f);
    }
    out
}

/// A TLS 1.2 ClientHello offering one suite with `sni`, in records of at most 16 KiB (a
/// long one spans several: RFC 8446 §5.1).
pub fn client_hello(sni: &str) -> Vec<u8> {
    let name = sni.as_bytes();
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut out = Vec::new();
    for part in hs.chunks(16_384) {
        out.extend_from_slice(&[0x16, 3, 1]);
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}
