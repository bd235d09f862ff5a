#!/usr/bin/env python3
"""A stand-in for a DPI middlebox (the kernel here has no iptables `string` match).

Listens on ADDR:443, reads the client's first bytes (the ClientHello), then either
  blackhole: keeps the connection open and silent until the client gives up, or
  reset:     aborts it with an RST (SO_LINGER 0) when the SNI bytes contain "cisco.com".
Bounded: every connection ends within 30 s; the process exits after 300 s.
"""
import socket, struct, sys, threading, time

mode, addr = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, 443))
srv.listen(16)
srv.settimeout(1.0)
deadline = time.time() + 300


def handle(c):
    c.settimeout(30)
    try:
        data = c.recv(4096)
        if mode == "reset" and b"cisco.com" in data:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
            return
        while c.recv(4096):
            pass
    except OSError:
        pass
    finally:
        c.close()


while time.time() < deadline:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
