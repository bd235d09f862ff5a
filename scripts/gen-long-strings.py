#!/usr/bin/env python3
"""Writes the long-strings capture of issue 28 item 9 (BENCHMARKS.md, "peak RSS per output
format on the long-strings input"):

    scripts/gen-long-strings.py [--out /tmp/long-strings.pcap] [--connections 1000]
                                [--sni-bytes 16384] [--name-bytes 8192] [--clients 1]

A DNS exchange resolves smartreceiver.cisco.com to the server, so every connection to it
is a licensing connection with default flags. Then CONNECTIONS TLS 1.2 connections, each
with its own strings: a ClientHello whose SNI is SNI_BYTES long, the server's ServerHello,
a Certificate (one certificate whose subject and issuer common names are NAME_BYTES long
each, made with Python's `cryptography`) and ServerHelloDone, then the client's fatal
unknown_ca alert and a FIN. About 35 MB for the defaults; never committed. With --clients N
the connections come from N client addresses in turn (10.0.0.2 onwards: N "switches" for
`watch` and `tui --watch`, each with its own long strings).

Ethernet/IPv4 pcap, microsecond timestamps, 100 us apart.
"""

import argparse
import warnings
import datetime
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

warnings.filterwarnings("ignore", message="Attribute.s length")
MSS = 1448
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
SERVER = bytes([192, 0, 2, 1])
RESOLVER = bytes([192, 0, 2, 53])
CLIENT = bytes([10, 0, 0, 2])


def frame(src, dst, proto, l4):
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src, dst)
    return eth + ip + l4


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """An Ethernet+IPv4+TCP frame (checksums left 0: the analyser never drops on them)."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    return frame(src, dst, 6, hdr + payload)


def udp(src, dst, sport, dport, payload):
    return frame(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def dns_exchange(p):
    q = dns_name("smartreceiver.cisco.com") + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q
    answer = (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + q
              + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + SERVER)
    p.write(udp(CLIENT, RESOLVER, 53000, 53, query))
    p.write(udp(RESOLVER, CLIENT, 53, 53000, answer))


def records(content_type, data):
    """`data` as TLS 1.2 records of at most 16,384 bytes (RFC 8446 §5.1)."""
    out = b""
    for o in range(0, len(data), 16384):
        chunk = data[o:o + 16384]
        out += bytes([content_type]) + b"\x03\x03" + struct.pack("!H", len(chunk)) + chunk
    return out


def handshake_msg(kind, body):
    return bytes([kind]) + struct.pack("!I", len(body))[1:] + body


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    groups = struct.pack("!HHH", 10, 4, 2) + b"\x00\x17"
    exts = sni_ext + groups
    suites = b"\xc0\x2b\xc0\x2f"
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", len(suites)) + suites
            + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    return records(22, handshake_msg(1, body))


def server_flight(cert_der):
    hello = b"\x03\x03" + bytes(range(32, 64)) + b"\x00" + b"\xc0\x2b" + b"\x00"
    chain = struct.pack("!I", len(cert_der))[1:] + cert_der
    certificate = struct.pack("!I", len(chain))[1:] + chain
    msgs = handshake_msg(2, hello) + handshake_msg(11, certificate) + handshake_msg(14, b"")
    return records(22, msgs)


def long_string(tag, n, tail):
    """`tag`, then filler, then `tail`: exactly `n` bytes of DNS-name-like text."""
    filler = n - len(tag) - len(tail)
    label = ("a" * 62 + ".") * (filler // 63 + 1)
    return tag + label[:filler] + tail


def certificate(key, i, name_bytes):
    subject = long_string(f"c{i}-", name_bytes, ".subject.example")
    issuer = long_string(f"c{i}-", name_bytes, ".issuer.example")
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False)])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(i + 1)
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t_us = 1_780_000_000 * 1_000_000
        self.frames = 0

    def write(self, data, step_us=100):
        self.t_us += step_us
        s, us = divmod(self.t_us, 1_000_000)
        self.f.write(struct.pack("<IIII", s, us, len(data), len(data)))
        self.f.write(data)
        self.frames += 1

    def close(self):
        self.f.close()
        return self.frames


def send(p, src, dst, sport, dport, seq, ack, data):
    """`data` in MSS-sized segments; the next sequence number."""
    for o in range(0, len(data), MSS):
        p.write(tcp(src, dst, sport, dport, seq + o, ack, ACK | PSH, data[o:o + MSS]))
    return seq + len(data)


def client(i, clients):
    """The address of connection i's client: 10.0.0.2 onwards, `clients` of them in turn."""
    n = 2 + i % clients
    return bytes([10, 0, n >> 8, n & 0xFF])


def connection(p, i, key, sni_bytes, name_bytes, clients):
    port = 10000 + i % 50000
    cl = client(i, clients)
    c = (cl, SERVER, port, 443)
    s = (SERVER, cl, 443, port)
    p.write(tcp(*c, 1000, 0, SYN))
    p.write(tcp(*s, 5000, 1001, SYN | ACK))
    p.write(tcp(*c, 1001, 5001, ACK))
    sni = long_string(f"s{i}-", sni_bytes, ".smartreceiver.cisco.com")
    cseq = send(p, *c, 1001, 5001, client_hello(sni))
    sseq = send(p, *s, 5001, cseq, server_flight(certificate(key, i, name_bytes)))
    alert = records(21, b"\x02\x30")  # fatal unknown_ca
    cseq = send(p, *c, cseq, sseq, alert)
    p.write(tcp(*c, cseq, sseq, FIN | ACK))
    p.write(tcp(*s, sseq, cseq + 1, FIN | ACK))
    p.write(tcp(*c, cseq + 1, sseq + 1, ACK))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/long-strings.pcap")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--sni-bytes", type=int, default=16384)
    ap.add_argument("--name-bytes", type=int, default=8192)
    ap.add_argument("--clients", type=int, default=1)
    a = ap.parse_args()
    key = ec.generate_private_key(ec.SECP256R1())
    p = Pcap(a.out)
    dns_exchange(p)
    for i in range(a.connections):
        connection(p, i, key, a.sni_bytes, a.name_bytes, a.clients)
    print(f"{a.out}: {p.close()} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
