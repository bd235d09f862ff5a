#!/usr/bin/env python3
"""Small misbehaving and healthy peers on 127.0.0.1, for comparing `licpath check` across
builds (scripts/release.sh --windows --check: the Windows build under Wine against the Linux
build; Wine's sockets are the host's, so only loopback is shared by both).

    loopback-servers.py DIR

DIR holds the lab's PKI (tests/lab/pki.sh DIR: names as Cisco's real chain, a device
trustpool). Writes DIR/ports (NAME=PORT lines) once every server listens, then serves until
killed (at most 15 minutes).

  ok        TLS with the current chain (leaf + HydrantID), then an HTTP 200 to the request
  expired   the same chain with an expired leaf
  wrongname a leaf for www.example.com
  digicert  a chain to a root the device lacks
  reset     reads the ClientHello, answers with a TCP RST
  plain     answers the ClientHello with a plain HTTP response (not TLS)
  proxy     HTTP proxy: CONNECT to 127.0.0.1:<ok> tunnelled, anything else 403
  proxy407  HTTP proxy that wants credentials (407)
  dns       UDP DNS: smartreceiver.cisco.com A 127.0.0.1, any other name NXDOMAIN
  dnsmute   UDP socket that never answers
  refused   a port nothing listens on (bound, then closed)
"""
import os
import socket
import ssl
import struct
import sys
import threading
import time

D = sys.argv[1]
DEADLINE = time.time() + 900
OK_HTTP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def read_head(c, limit=65536):
    """Reads up to a blank line (HTTP) or one TLS record header's worth."""
    got = b""
    c.settimeout(5)
    while len(got) < limit:
        try:
            b = c.recv(4096)
        except OSError:
            break
        if not b:
            break
        got += b
        if b"\r\n\r\n" in got or got[:1] == b"\x16":
            break
    return got


def serve(sock, handler):
    def loop():
        while time.time() < DEADLINE:
            c, _ = sock.accept()
            threading.Thread(target=guarded, args=(handler, c), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def guarded(handler, c):
    try:
        handler(c)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def tls_handler(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(D, cert), os.path.join(D, key))

    def h(c):
        t = ctx.wrap_socket(c, server_side=True)
        t.settimeout(5)
        req = b""
        while b"\r\n\r\n" not in req:
            b = t.recv(4096)
            if not b:
                return
            req += b
        t.sendall(OK_HTTP)
        t.close()
    return h


def reset(c):
    read_head(c)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def plain(c):
    read_head(c)
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def pipe(a, b):
    try:
        while True:
            d = a.recv(16384)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy_handler(ok_port):
    def h(c):
        head = read_head(c)
        line = head.split(b"\r\n", 1)[0].split()
        if len(line) >= 2 and line[0] == b"CONNECT" and line[1].endswith(b":%d" % ok_port):
            up = socket.create_connection(("127.0.0.1", ok_port), timeout=5)
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            t = threading.Thread(target=pipe, args=(up, c), daemon=True)
            t.start()
            pipe(c, up)
            t.join(5)
        else:
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    return h


def proxy407(c):
    read_head(c)
    c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
              b"Proxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\n\r\n")


def dns_answer(q):
    if len(q) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    if flags & 0x8000 or qd != 1:
        return None
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    question = q[12:i + 5]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    name = ".".join(labels)
    if name != "smartreceiver.cisco.com":
        return struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
    if qtype != 1:
        return struct.pack(">HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    return struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + rr


def dns_loop(u):
    while time.time() < DEADLINE:
        q, peer = u.recvfrom(4096)
        a = dns_answer(q)
        if a:
            u.sendto(a, peer)


def main():
    ports = {}
    ok = listener()
    ports["ok"] = ok.getsockname()[1]
    serve(ok, tls_handler("chain-current.pem", "leaf.key"))
    for name, h in (("expired", tls_handler("chain-expired.pem", "leaf-expired.key")),
                    ("wrongname", tls_handler("chain-wrongname.pem", "leaf-wrongname.key")),
                    ("digicert", tls_handler("chain-digicert.pem", "leaf-dc.key")),
                    ("reset", reset),
                    ("plain", plain), ("proxy", proxy_handler(ports["ok"])),
                    ("proxy407", proxy407)):
        s = listener()
        ports[name] = s.getsockname()[1]
        serve(s, h)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    ports["dns"] = u.getsockname()[1]
    threading.Thread(target=dns_loop, args=(u,), daemon=True).start()
    mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute.bind(("127.0.0.1", 0))
    ports["dnsmute"] = mute.getsockname()[1]
    r = listener()
    ports["refused"] = r.getsockname()[1]
    r.close()
    tmp = os.path.join(D, "ports.tmp")
    with open(tmp, "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in ports.items()))
    os.rename(tmp, os.path.join(D, "ports"))
    while time.time() < DEADLINE:
        time.sleep(1)


main()
