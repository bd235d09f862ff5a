#!/usr/bin/env python3
"""Writes the frames of a little-endian classic pcap in reverse order, timestamps unchanged.

A capture "reordered by a tool": every answer comes before its question in the file, the
FIN before the SYN. Usage: reverse_pcap.py IN.pcap OUT.pcap
"""
import struct, sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
assert data[:4] == b"\xd4\xc3\xb2\xa1", "LE classic pcap expected"
frames, at = [], 24
while at + 16 <= len(data):
    incl = struct.unpack("<I", data[at + 8:at + 12])[0]
    frames.append(data[at:at + 16 + incl])
    at += 16 + incl
open(dst, "wb").write(data[:24] + b"".join(reversed(frames)))
