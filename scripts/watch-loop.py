#!/usr/bin/env python3
"""A capture replayed in a loop, as `tcpreplay --pps=PPS --loop=0` of it is captured: every
frame PPS-spaced, the timestamps rising across passes, so each pass repeats the 4-tuples of
the one before. Written to stdout as a pcap, for `licpath watch --file -` (BENCHMARKS.md,
"watch's memory under a looping replay"): the live growth reproduced without tcpreplay,
at the reader's own speed.

usage: watch-loop.py MIX.pcap PPS SECONDS | licpath watch --file - ...
"""
import struct, sys

mix, pps, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
d = open(mix, "rb").read()
recs, off = [], 24
while off + 16 <= len(d):
    _, _, incl, orig = struct.unpack("<IIII", d[off:off + 16])
    recs.append((struct.pack("<II", incl, orig), d[off + 16:off + 16 + incl]))
    off += 16 + incl
out = sys.stdout.buffer
out.write(d[:24])
step = 1_000_000 // pps
total = int(pps * secs)
t = 1_800_000_000 * 1_000_000
pack = struct.Struct("<II").pack
buf, n = [], 0
while n < total:
    for lens, data in recs:
        buf += [pack(t // 1_000_000, t % 1_000_000), lens, data]
        t += step
        n += 1
        if len(buf) >= 30000:
            out.write(b"".join(buf))
            buf = []
        if n >= total:
            break
out.write(b"".join(buf))
