#!/usr/bin/env bash
# Makes small real captures for captures/ with real tools on loopback, each in a network
# namespace of its own (unique name, deleted afterwards). Needs root, tcpdump, python3.
#   scripts/gen-captures.sh syn-refused-retried|lossy-loopback [OUT_DIR]
# syn-refused-retried: three SYNs with one sequence number (a raw socket, 1 s then 2 s
#   apart, MSS 536 and window 4128 like a switch's) to closed port 8182; the kernel answers
#   each with RST. A switch retrying a refused connection looks like this.
# lossy-loopback: curl fetches 80 KB over TLS 1.3 from openssl s_server (SNI
#   smartreceiver.cisco.com) on lo with MTU 1500 and no offloads, INPUT dropping 20% of TCP
#   packets at random (iptables -m statistic); tcpdump sees packets before the drop, so the
#   originals and their retransmissions are both captured. Random: counts differ per run.
set -euo pipefail
what=${1:?usage: gen-captures.sh syn-refused-retried|lossy-loopback [OUT_DIR]}
out=${2:-captures}
ns=licpath-gen-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

capture() { # FILE FILTER: tcpdump on lo in the namespace, in the background
  ip netns exec "$ns" tcpdump -i lo -U -w "$1" "$2" 2>/dev/null &
  tcpdump_pid=$!
  sleep 1
}
stop_capture() { sleep 1; kill "$tcpdump_pid"; wait "$tcpdump_pid" || true; }

case "$what" in
syn-refused-retried)
  capture "$out/syn-refused-retried.pcap" 'tcp port 8182'
  ip netns exec "$ns" python3 - <<'PY'
import socket, struct, time
src = dst = "127.0.0.1"
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF
hdr = struct.pack("!HHIIBBHHH", 51515, 8182, 0x1234ABCD, 0, 6 << 4, 0x02, 4128, 0, 0)
hdr += struct.pack("!BBH", 2, 4, 536)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for wait in (1.0, 2.0, 0.0):
    s.sendto(hdr, (dst, 0))
    time.sleep(wait)
PY
  stop_capture
  ;;
lossy-loopback)
  tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 3650 -subj /CN=smartreceiver.cisco.com 2>/dev/null
  head -c 80000 /dev/urandom > "$tmp/payload.bin"
  ip netns exec "$ns" ip link set lo mtu 1500
  ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$ns" iptables -A INPUT -i lo -p tcp -m statistic --mode random --probability 0.2 -j DROP
  (cd "$tmp" && exec ip netns exec "$ns" openssl s_server -accept 443 -cert cert.pem -key key.pem -WWW -quiet >/dev/null 2>&1) &
  server_pid=$!
  capture "$out/lossy-loopback.pcap" 'tcp port 443'
  ip netns exec "$ns" curl -sk --max-time 30 --resolve smartreceiver.cisco.com:443:127.0.0.1 \
    https://smartreceiver.cisco.com/payload.bin -o /dev/null
  stop_capture
  kill "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
  ;;
*)
  echo "unknown capture: $what" >&2
  exit 2
  ;;
esac
