#!/usr/bin/env python3
"""A userspace delay line between two network namespaces (the kernel here has no netem).

    delay.py NS_A DEV_A NS_B DEV_B ONE_WAY_MS [LIFETIME_S [BLACK_HOLE_OVER]]

Creates a TUN device DEV_A inside namespace NS_A and DEV_B inside NS_B (both IP-only, no
packet-information header), then moves every IP packet read from one to the other after
ONE_WAY_MS milliseconds: a round trip across it costs twice that. Order is kept (a constant
delay is a FIFO per direction). The devices exist only while this process runs, so killing
it removes them. Bounded: at most 4096 packets wait per direction (beyond that a packet is
dropped, as a full router queue would), and the process exits after LIFETIME_S seconds
(default 1800) whatever happens.

With BLACK_HOLE_OVER, IP packets longer than that many bytes are silently dropped, both
ways: a link with a small MTU whose ICMP "fragmentation needed" never reaches the sender (a
path-MTU black hole). The senders' devices keep MTU 1500, so their full-size segments die
here while shorter ones pass.

The lab configures addresses and routes on the devices once they appear; this program only
moves packets. Python 3.11 has no os.setns, hence ctypes.
"""
import collections
import ctypes
import fcntl
import os
import select
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
QUEUE_MAX = 4096

libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def tun(ns, name):
    enter(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    ns_a, dev_a, ns_b, dev_b = sys.argv[1:5]
    delay = float(sys.argv[5]) / 1000.0
    lifetime = float(sys.argv[6]) if len(sys.argv) > 6 else 1800.0
    black_hole_over = int(sys.argv[7]) if len(sys.argv) > 7 else None
    fa = tun(ns_a, dev_a)
    fb = tun(ns_b, dev_b)
    peer = {fa: fb, fb: fa}
    queues = {fa: collections.deque(), fb: collections.deque()}  # keyed by destination fd
    end = time.monotonic() + lifetime
    print(f"delay: {ns_a}/{dev_a} <-> {ns_b}/{dev_b}, {delay * 1000:.0f} ms each way"
          + (f", packets over {black_hole_over} bytes dropped" if black_hole_over else ""), flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - now) if due else 1.0
        readable, _, _ = select.select([fa, fb], [], [], min(timeout, 1.0))
        now = time.monotonic()
        for fd in readable:
            for _ in range(64):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if black_hole_over is not None and len(pkt) > black_hole_over:
                    continue
                q = queues[peer[fd]]
                if len(q) < QUEUE_MAX:
                    q.append((now + delay, pkt))
        now = time.monotonic()
        for dst, q in queues.items():
            while q and q[0][0] <= now:
                _, pkt = q.popleft()
                try:
                    os.write(dst, pkt)
                except OSError:
                    pass  # device down or queue full: a dropped packet, as on a wire


if __name__ == "__main__":
    main()
