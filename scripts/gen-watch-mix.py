#!/usr/bin/env python3
"""A large mixed capture for `licpath watch --interface` under tcpreplay (BENCHMARKS.md,
"watch keeping up"): the lab captures (healthy, through a proxy, intercepted, refused,
NXDOMAIN, timeouts...) repeated N times, each repetition from its own client address
(10.x.y.z), 1 ms apart. Ethernet/IPv4 pcap, microsecond timestamps.

usage: gen-watch-mix.py OUT.pcap N
"""
import os, struct, sys

OUT, N = sys.argv[1], int(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
CAPS = ["healthy-proxy", "ssl-interception-tls12", "proxy-403", "tls-reset-on-sni",
        "syn-rejected", "cslu-plain-http", "healthy-direct-tls13", "dns-nxdomain",
        "syn-dropped", "proxy-upstream-503", "untrusted-root", "dns-timeout",
        "healthy-direct-tls12", "proxy-407", "tls-version-mismatch", "mtu-blackhole"]
CLIENT = bytes([198, 51, 100, 10])


def frames(name):
    d = open(os.path.join(HERE, "..", "captures", name + ".pcap"), "rb").read()
    out, off = [], 24
    while off + 16 <= len(d):
        _, _, incl, orig = struct.unpack("<IIII", d[off:off + 16])
        out.append((d[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return out


ALL = [frames(c) for c in CAPS]
t = 1_800_000_000 * 1_000_000
packets = 0
with open(OUT, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for i in range(N):
        client = bytes([10, 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255 or 1])
        for data, orig in ALL[i % len(ALL)]:
            data = data.replace(CLIENT, client)
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(data), orig) + data)
            t += 1000
            packets += 1
print(f"{OUT}: {N} attempts, {packets} packets")
