#!/usr/bin/env python3
"""Soak for `licpath watch` (BENCHMARKS.md): generated licensing attempts written for
DURATION seconds into a tcpdump -C style rotation set (cap.pcap, cap.pcap1, ...; old files
deleted like -W), while `licpath watch --file cap.pcap` follows it. The attempts are the lab
captures (captures/*.pcap) re-stamped to now, each from one of N_CLIENTS client addresses
(more than --max-switches, so the cap on switches is exercised). Prints the watch's RSS
every minute and the lines it wrote.

usage: watch-soak.py LICPATH DURATION_S WORKDIR [RATE_PER_S]
"""
import fcntl, os, struct, subprocess, sys, time

LICPATH, DURATION, WORK = sys.argv[1], float(sys.argv[2]), sys.argv[3]
RATE = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
CAPS = ["healthy-proxy", "ssl-interception-tls12", "proxy-403", "tls-reset-on-sni",
        "syn-rejected", "cslu-plain-http", "healthy-direct-tls13", "dns-nxdomain",
        "syn-dropped", "proxy-upstream-503", "untrusted-root", "dns-timeout"]
ROTATE_BYTES = 20 << 20
N_CLIENTS = 2000
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = bytes([198, 51, 100, 10])


def frames(name):
    d = open(os.path.join(HERE, "..", "captures", name + ".pcap"), "rb").read()
    out, off, t0 = [], 24, None
    while off + 16 <= len(d):
        s, us, incl, orig = struct.unpack("<IIII", d[off:off + 16])
        data = d[off + 16:off + 16 + incl]
        t = s * 1_000_000 + us
        t0 = t if t0 is None else t0
        out.append((t - t0, data, orig))
        off += 16 + incl
    return out


ALL = {c: frames(c) for c in CAPS}
HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def rss_kb(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0


os.makedirs(WORK, exist_ok=True)
# One soak per WORKDIR: a second one started on the same directory truncates the first's
# files as it reaches their names (issue 24's soak lost two files so; the watch saw them cut).
lock = open(WORK.rstrip("/") + ".lock", "w")
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(f"{WORK}: another soak is writing here")
base = os.path.join(WORK, "cap.pcap")
for f in os.listdir(WORK):
    os.unlink(os.path.join(WORK, f))
out = open(base, "wb")
out.write(HEADER)
out.flush()
lines = open(os.path.join(WORK, "..", "soak-lines.txt"), "w")
os.makedirs(WORK + "-metrics", exist_ok=True)  # watch refuses a --textfile-dir that is not there
w = subprocess.Popen([LICPATH, "watch", "--file", base, "--max-switches", "500",
                      "--textfile-dir", WORK + "-metrics"], stdout=lines)
start = time.time()
n, idx, seq, last_min = 0, 0, 0, -1
while time.time() - start < DURATION:
    cap = CAPS[n % len(CAPS)]
    client = bytes([10, 200 + (idx // 250) % 8, (idx // 250) // 8 % 256, 1 + idx % 250])
    idx = (idx + 1) % N_CLIENTS
    now = int(time.time() * 1_000_000)
    buf = bytearray()
    for (t, data, orig) in ALL[cap]:
        data = data.replace(CLIENT, client)
        tt = now + t
        buf += struct.pack("<IIII", tt // 1_000_000, tt % 1_000_000, len(data), orig) + data
    out.write(buf)
    out.flush()
    n += 1
    if out.tell() > ROTATE_BYTES:
        out.close()
        seq += 1
        out = open(f"{base}{seq}", "wb")
        out.write(HEADER)
        out.flush()
        old = base if seq == 3 else f"{base}{seq - 3}"
        if seq >= 3 and os.path.exists(old):
            os.unlink(old)
    m = int((time.time() - start) // 60)
    if m != last_min:
        last_min = m
        print(f"minute {m}: {n} attempts written, watch RSS {rss_kb(w.pid)} kB", flush=True)
    time.sleep(1.0 / RATE)
time.sleep(3)
print(f"end: {n} attempts written, watch RSS {rss_kb(w.pid)} kB", flush=True)
w.terminate()
w.wait()
lines.close()
print(f"watch exit {w.returncode}; lines {sum(1 for _ in open(os.path.join(WORK, '..', 'soak-lines.txt')))}")
