#!/usr/bin/env python3
"""Writes the flow-table stress captures of issue 14 (BENCHMARKS.md, "Any flow mix").

    scripts/gen-stress.py [--out /tmp] [--scale 1.0] [NAME ...]

NAME is one or more of: syn-flood, tls-unfinished, ooo, inorder, dns-unanswered (default:
all five).
The files are large (100 MB .. 1 GB): they go to --out, never into the repository.
--scale shrinks them proportionally (0.01 for a quick try).

  syn-flood       2,000,000 SYNs, each from its own client address/port: 2M distinct flows,
                  none answered.
  tls-unfinished  200,000 flows: SYN, SYN/ACK, ACK, ClientHello (SNI smartreceiver.cisco.com
                  on one flow in 100, www.example.com on the others), never answered.
  ooo             1,000 flows, each with 256 KiB of server data sent after a hole (the first
                  1,448 bytes never come): out-of-order data waiting in every flow at once,
                  interleaved one segment per flow.
  inorder         1 GiB of in-order TLS application data (16 KiB records in full-size
                  segments) over 4 flows with one licensing handshake each.
  dns-unanswered  200,000 distinct DNS queries (A q<N>.example from 16 clients to one
                  name server, UDP), none answered, 10 us apart (issue 28 item 12).

Ethernet/IPv4 pcap, microsecond timestamps, 1 ms apart (the whole file spans less than the
analyser's idle timeout of 300 s only for the small ones: that is part of the test).
"""

import argparse
import struct
import sys

MSS = 1448


def client_addr(n):
    return bytes([10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def csum_free_tcp(src, dst, sport, dport, seq, ack, flags, payload, mss=False):
    """An Ethernet+IPv4+TCP frame (checksums left 0: the analyser never drops on them)."""
    opts = struct.pack("!BBH", 2, 4, MSS) if mss else b""
    thl = 20 + len(opts)
    total = 20 + thl + len(payload)
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (thl // 4) << 4, flags, 65535, 0, 0)
    return eth + ip + tcp + opts + payload


SYN, ACK, PSH = 0x02, 0x10, 0x08


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    versions = struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    groups = struct.pack("!HHH", 10, 4, 2) + b"\x00\x1d"
    exts = sni_ext + versions + groups
    suites = b"\x13\x01\x13\x02\xc0\x2f\xc0\x30"
    body = (
        b"\x03\x03" + bytes(range(32)) + b"\x00"
        + struct.pack("!H", len(suites)) + suites + b"\x01\x00"
        + struct.pack("!H", len(exts)) + exts
    )
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t_us = 1_700_000_000 * 1_000_000
        self.frames = 0

    def write(self, frame, step_us=1000):
        self.t_us += step_us
        s, us = divmod(self.t_us, 1_000_000)
        self.f.write(struct.pack("<IIII", s, us, len(frame), len(frame)))
        self.f.write(frame)
        self.frames += 1

    def close(self):
        self.f.close()
        return self.frames


SERVER = bytes([192, 0, 2, 1])


def handshake(p, c, port, hello, step_us=1000):
    """SYN, SYN/ACK, ACK and the ClientHello of one flow (server sequence 5001 next)."""
    p.write(csum_free_tcp(c, SERVER, port, 443, 1000, 0, SYN, b"", mss=True), step_us)
    p.write(csum_free_tcp(SERVER, c, 443, port, 5000, 1001, SYN | ACK, b"", mss=True), step_us)
    p.write(csum_free_tcp(c, SERVER, port, 443, 1001, 5001, ACK, b""), step_us)
    p.write(csum_free_tcp(c, SERVER, port, 443, 1001, 5001, ACK | PSH, hello), step_us)


def syn_flood(out, scale):
    p = Pcap(f"{out}/stress-syn-flood.pcap")
    for i in range(int(2_000_000 * scale)):
        p.write(csum_free_tcp(client_addr(i >> 4), SERVER, 1024 + (i & 15), 443, (i * 7919) & 0xFFFFFFFF, 0, SYN, b"", mss=True), 10)
    return p.close()


def tls_unfinished(out, scale):
    p = Pcap(f"{out}/stress-tls-unfinished.pcap")
    hello_lic = client_hello("smartreceiver.cisco.com")
    hello_other = client_hello("www.example.com")
    for i in range(int(200_000 * scale)):
        c, port = client_addr(i >> 4), 1024 + (i & 15)
        hello = hello_lic if i % 100 == 0 else hello_other
        handshake(p, c, port, hello, 10)
    return p.close()


def out_of_order(out, scale):
    p = Pcap(f"{out}/stress-ooo.pcap")
    flows = int(1000 * scale) or 1
    per_flow = 256 * 1024 // MSS + 1
    payload = bytes(MSS)
    hello = client_hello("www.example.com")
    for i in range(flows):
        handshake(p, client_addr(i), 40000, hello)
    # Segment 0 of every flow is never sent: segments 1.. wait behind the hole.
    for k in range(1, per_flow + 1):
        for i in range(flows):
            seq = 5001 + k * MSS
            p.write(csum_free_tcp(SERVER, client_addr(i), 443, 40000, seq, 1001 + len(hello), ACK, payload), 10)
    return p.close()


def in_order(out, scale):
    p = Pcap(f"{out}/stress-inorder.pcap")
    total = int((1 << 30) * scale)
    flows = 4
    record = b"\x17\x03\x03" + struct.pack("!H", 16384) + bytes(16384)
    stream = record * 4  # 65,620 bytes, cut into full-size segments below
    hello = client_hello("smartreceiver.cisco.com")
    seqs = []
    for i in range(flows):
        handshake(p, client_addr(i), 50000, hello)
        seqs.append(5001)
    # The server's answer is not a real ServerHello: the records are opaque application
    # data, which is what the bulk of a real download is to a passive decoder.
    segments = [stream[o:o + MSS] for o in range(0, len(stream), MSS)]
    written = 0
    k = 0
    while written < total:
        seg = segments[k % len(segments)]
        for i in range(flows):
            c = client_addr(i)
            p.write(csum_free_tcp(SERVER, c, 443, 50000, seqs[i] & 0xFFFFFFFF, 1001 + len(hello), ACK, seg), 5)
            seqs[i] += len(seg)
            written += len(seg) + 70
        k += 1
    return p.close()


def udp_frame(src, dst, sport, dport, payload):
    """An Ethernet+IPv4+UDP frame (checksums left 0)."""
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0x4000, 64, 17, 0, src, dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return eth + ip + udp + payload


def dns_query(qid, name):
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def dns_unanswered(out, scale):
    p = Pcap(f"{out}/stress-dns-unanswered.pcap")
    resolver = bytes([192, 0, 2, 53])
    for i in range(int(200_000 * scale)):
        query = dns_query(i & 0xFFFF, f"q{i}.example")
        p.write(udp_frame(client_addr(i & 15), resolver, 1024 + (i >> 4) % 60000, 53, query), 10)
    return p.close()


GENERATORS = {
    "syn-flood": syn_flood,
    "tls-unfinished": tls_unfinished,
    "ooo": out_of_order,
    "inorder": in_order,
    "dns-unanswered": dns_unanswered,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("names", nargs="*", metavar="NAME")
    a = ap.parse_args()
    for name in a.names:
        if name not in GENERATORS:
            ap.error(f"unknown capture {name!r}: one of {', '.join(GENERATORS)}")
    for name in a.names or list(GENERATORS):
        n = GENERATORS[name](a.out, a.scale)
        print(f"{a.out}/stress-{name}.pcap: {n} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
