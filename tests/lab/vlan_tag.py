#!/usr/bin/env python3
"""Adds an 802.1Q tag to every Ethernet frame of a little-endian classic pcap.

The kernel here has no VLAN devices, so VLAN-tagged captures are made from real lab
captures afterwards. Usage: vlan_tag.py VLAN_ID IN.pcap OUT.pcap
"""
import struct, sys

vid, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack("<I", data[20:24])[0] == 1, "LE Ethernet pcap expected"
out = bytearray(data[:24])
at = 24
tag = struct.pack(">HH", 0x8100, vid & 0x0FFF)
while at + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack("<IIII", data[at:at + 16])
    frame = data[at + 16:at + 16 + incl]
    frame = frame[:12] + tag + frame[12:]
    out += struct.pack("<IIII", sec, frac, incl + 4, orig + 4) + frame
    at += 16 + incl
open(dst, "wb").write(out)
