#!/usr/bin/env python3
"""A name server whose first answer comes late: a UDP relay in front of the lab's dnsmasq.

    slow_dns.py LISTEN_ADDR UPSTREAM_ADDR HOLD_S [LIFETIME_S]

Listens on LISTEN_ADDR:53 and relays every query to UPSTREAM_ADDR:53 and its answer back,
except that the answer to the FIRST query of each name and type from each client socket
(address, port, name, type) is held HOLD_S seconds before it is sent: longer than the
resolver waits (IOS XE `ip domain timeout` 3 s; glibc `timeout:1` here), so the client asks
again, and the retry, the same question from the same socket, is answered at once. The late
answer to the first try still goes out afterwards, as a slow server's would. A new socket
(the next run) is a new client: every run sees the slow first answer, deterministically.

Bounded: at most 64 answers wait at once (beyond that one is dropped, as a full queue
would), 4096 client sockets remembered, and the process exits after LIFETIME_S seconds
(default 1800).
"""
import socket
import struct
import sys
import threading
import time

listen, upstream, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 1800
MAX_WAITING, MAX_SEEN = 64, 4096

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind((listen, 53))
srv.settimeout(1.0)
seen = set()
waiting = threading.Semaphore(MAX_WAITING)
lock = threading.Lock()


def question(msg):
    """(name, qtype) of a DNS query (RFC 1035 §4.1.2), or None when it is not one."""
    if len(msg) < 12 or struct.unpack("!H", msg[4:6])[0] != 1:
        return None
    labels, i = [], 12
    while i < len(msg) and msg[i] != 0:
        n = msg[i]
        if n > 63 or i + 1 + n > len(msg):
            return None
        labels.append(msg[i + 1 : i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    if i + 3 >= len(msg):
        return None
    return ".".join(labels), struct.unpack("!H", msg[i + 1 : i + 3])[0]


def relay(query, client, delay):
    try:
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2.0)
        up.sendto(query, (upstream, 53))
        answer, _ = up.recvfrom(4096)
        up.close()
        if delay:
            time.sleep(delay)
        srv.sendto(answer, client)
    except OSError:
        pass
    finally:
        waiting.release()


deadline = time.time() + lifetime
while time.time() < deadline:
    try:
        query, client = srv.recvfrom(4096)
    except socket.timeout:
        continue
    q = question(query)
    if q is None:
        continue
    key = (client, q)
    with lock:
        first = key not in seen and len(seen) < MAX_SEEN
        if first:
            seen.add(key)
    if not waiting.acquire(blocking=False):
        continue
    threading.Thread(target=relay, args=(query, client, hold if first else 0), daemon=True).start()
