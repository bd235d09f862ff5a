#!/usr/bin/env bash
# The licpath lab: real dnsmasq, squid (CONNECT, 403, 407, 5xx, ssl-bump), nginx and a DPI
# stand-in in network namespaces, a lab PKI, and real clients (curl) on a "switch" whose
# traffic tcpdump records. See tests/lab/README.md.
#
#   lab.sh capture [SCENARIO...]  regenerate captures/NAME.pcap + NAME.expected
#   lab.sh check                  regenerate into a temp dir and check licpath's verdicts on
#                                 the fresh captures, and tshark on the committed ones
#   lab.sh probe [SCENARIO...]    only the live-probe checks (licpath check in the switch)
#   lab.sh tui                    only the TUI live-mode checks (tmux in the switch)
#   lab.sh rtt-bench [RUNS]       licpath check vs curl -w over the 300 ms delay line
#   lab.sh fleet-bench [N]        check --from-config over N switches on the 300 ms path,
#                                 --concurrency default vs 1 (BENCHMARKS.md; LICPATH_BIN=
#                                 benchmarks that binary instead of building one)
#   lab.sh watch                  only `licpath watch --interface` on the lab's bridge, four
#                                 switches trying (LICPATH_BIN= that binary; WATCH_SECONDS=)
#   lab.sh chroot-probe           the static binary (scripts/release.sh: musl; another one
#                                 with LICPATH_STATIC_BIN=PATH) probing the lab from an
#                                 empty chroot in the switch namespace
#   lab.sh up | down              bring the lab up (and leave it) / tear it down
#
# Needs root. Only sends packets inside the namespaces it creates. Tears down on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${LAB_WORK:-/tmp/licpath-lab}
SW=lp-sw SRV=lp-srv FAR=lp-far
SWX="ip netns exec $SW"
# watch_check's four switches (namespaces on the bridge wbr0 in lp-srv).
WATCH_NS=(lp-w1 lp-w2 lp-w3 lp-w4)
SRVX="ip netns exec $SRV"
FARX="ip netns exec $FAR"

if [ "$(id -u)" != 0 ]; then echo "lab.sh: SKIP: needs root (network namespaces)"; exit 0; fi
for t in ip dnsmasq squid nginx tcpdump curl openssl python3 ethtool editcap tshark; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "lab.sh: SKIP: $t not installed (tests/run.sh installs it)"; exit 0; }
done
[ -f /usr/include/pcap/pcap.h ] || { echo "lab.sh: SKIP: libpcap-dev not installed (tests/run.sh installs it)"; exit 0; }
export PATH=$PATH:/usr/sbin

# ---------------------------------------------------------------- topology
# switch (lp-sw) sw0 198.51.100.10/24  <->  srv0 198.51.100.1 (lp-srv: every server)
# switch (lp-sw) sw1 192.0.2.10/24      <->  srv1 192.0.2.1     (a second source interface)
# lp-srv also holds 203.0.113.0/24: the "internet" (CSSM stand-ins, middleboxes).
down() {
  for p in "$WORK"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; rm -f "$p"; done
  ip netns pids $SRV 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids $SW 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids $FAR 2>/dev/null | xargs -r kill 2>/dev/null || true
  for ns in "${WATCH_NS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  ip netns del $SW 2>/dev/null || true
  ip netns del $SRV 2>/dev/null || true
  ip netns del $FAR 2>/dev/null || true
  rm -rf /etc/netns/$SW
}

up() {
  down
  mkdir -p "$WORK/logs"
  bash "$HERE/pki.sh" "$WORK/pki"
  ip netns add $SW; ip netns add $SRV
  ip link add sw0 netns $SW type veth peer name srv0 netns $SRV
  ip link add sw1 netns $SW type veth peer name srv1 netns $SRV
  $SWX ip link set lo up; $SRVX ip link set lo up
  $SWX ip addr add 198.51.100.10/24 dev sw0; $SWX ip link set sw0 up
  $SWX ip addr add 192.0.2.10/24 dev sw1; $SWX ip link set sw1 up
  $SRVX ip addr add 198.51.100.1/24 dev srv0; $SRVX ip link set srv0 up
  $SRVX ip addr add 192.0.2.1/24 dev srv1; $SRVX ip link set srv1 up
  for a in 3 4 53 54 55 56; do $SRVX ip addr add 198.51.100.$a/32 dev srv0; done
  for a in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 30 31 40 41 42; do $SRVX ip addr add 203.0.113.$a/32 dev lo; done
  # No segmentation/receive offloads: a switch's capture shows wire-sized segments, and the
  # MSS-536 scenario must show the server flight in 536-byte segments, not GRO aggregates.
  for dev in sw0 sw1; do $SWX ethtool -K $dev gro off gso off tso off >/dev/null 2>&1 || true; done
  for dev in srv0 srv1; do $SRVX ethtool -K $dev gro off gso off tso off >/dev/null 2>&1 || true; done
  $SWX ip route add 203.0.113.0/24 via 198.51.100.1
  # sw1 has its own route table (policy routing), as a second source interface would.
  $SWX ip route add default via 192.0.2.1 dev sw1 table 100
  $SWX ip rule add from 192.0.2.10 table 100
  # Middleboxes made of iptables: SYNs dropped, SYNs rejected, DNS dropped, loss by nth.
  $SRVX iptables -A INPUT -p tcp -d 203.0.113.20 --dport 443 --syn -j DROP
  $SRVX iptables -A INPUT -p tcp -d 203.0.113.21 --dport 443 -j REJECT --reject-with tcp-reset
  # A firewall that answers with ICMP (as firewalld's and many ACLs' "reject" do).
  $SRVX iptables -A INPUT -p tcp -d 203.0.113.22 --dport 443 -j REJECT --reject-with icmp-admin-prohibited
  $SRVX iptables -A INPUT -p udp -d 198.51.100.55 --dport 53 -j DROP
  # Loss after the capture point (the switch sees its own retransmissions; loss before it
  # would only show as delay). Deterministic: every 2nd client packet to .16.
  $SRVX iptables -A INPUT -p tcp -d 203.0.113.16 --dport 443 -m statistic --mode nth --every 2 --packet 1 -j DROP
  # Random loss, 20% each way, on the path to 203.0.113.25 (a 200 KB download), after both
  # capture points of lossy-epc-duplicates (sw0 egress/ingress, srv0): client packets die in
  # lp-srv's INPUT, server packets in lp-sw's INPUT, so originals and retransmissions are
  # both captured, on both sides.
  $SRVX iptables -A INPUT -p tcp -d 203.0.113.25 --dport 443 -m statistic --mode random --probability 0.2 -j DROP
  $SWX iptables -A INPUT -p tcp -s 203.0.113.25 --sport 443 -m statistic --mode random --probability 0.2 -j DROP
  mkdir -p /etc/netns/$SW
  mkdir -p "$WORK/www/licservice"; head -c 204800 /dev/zero > "$WORK/www/licservice/usage-200k.bin"
  far_up

  # nginx: one server block per certificate scenario.
  P=$WORK/pki
  {
    echo "worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/logs/nginx.err;"
    echo "events { worker_connections 64; }"
    echo "http { access_log $WORK/logs/nginx.access; ssl_protocols TLSv1.2 TLSv1.3;"
    for pair in 10:current 11:old 12:expired 13:future 14:wrongname 15:digicert 16:current 23:current 24:dcdirect; do
      ip=${pair%%:*} chain=${pair#*:}
      key=leaf; case $chain in old) key=leaf-old;; expired) key=leaf-expired;; future) key=leaf-future;; wrongname) key=leaf-wrongname;; digicert) key=leaf-dc;; dcdirect) key=leaf-dcdirect;; esac
      echo " server { listen 203.0.113.$ip:443 ssl; ssl_certificate $P/chain-$chain.pem; ssl_certificate_key $P/$key.key;"
      echo "   location / { default_type application/json; return 200 '{\"status\":\"OK\"}'; } }"
    done
    # 200 KB to download over the lossy path (lossy-epc-duplicates).
    echo " server { listen 203.0.113.25:443 ssl; ssl_certificate $P/chain-current.pem; ssl_certificate_key $P/leaf.key; root $WORK/www; }"
    # Leaf without its intermediate; TLS 1.3 only; plain HTTP for CSLU (8182) and call-home (80).
    echo " server { listen 203.0.113.17:443 ssl; ssl_certificate $P/leaf.pem; ssl_certificate_key $P/leaf.key; return 200; }"
    echo " server { listen 203.0.113.18:443 ssl; ssl_protocols TLSv1.3; ssl_certificate $P/chain-current.pem; ssl_certificate_key $P/leaf.key; return 200; }"
    # The far end of the 300 ms delay line (see below): the current chain again.
    echo " server { listen 203.0.113.40:443 ssl; ssl_certificate $P/chain-current.pem; ssl_certificate_key $P/leaf.key;"
    echo "   location / { default_type application/json; return 200 '{\"status\":\"OK\"}'; } }"
    echo " server { listen 203.0.113.40:80; location / { default_type application/pkix-crl; return 200 'crl'; } }"
    echo " server { listen 203.0.113.19:8182; listen 203.0.113.19:80; location / { default_type application/json; return 200 '{\"status\":\"OK\"}'; } }"
    echo "}"
  } > "$WORK/nginx.conf"
  $SRVX nginx -c "$WORK/nginx.conf"

  # squid: 3128 and 80 open; 3129 denies (403); 3130 wants auth (407); 3131 ssl-bump.
  printf 'lab:%s\n' "$(openssl passwd -apr1 labpass)" > "$WORK/squid.passwd"
  printf '203.0.113.10 smartreceiver.cisco.com\n203.0.113.21 tools.cisco.com\n' > "$WORK/squid.hosts"
  rm -rf "$WORK/ssl_db"; /usr/lib/squid/security_file_certgen -c -s "$WORK/ssl_db" -M 4MB >/dev/null
  chown -R proxy:proxy "$WORK/ssl_db" "$WORK/logs" 2>/dev/null || true
  cat > "$WORK/squid.conf" <<SQ
http_port 198.51.100.3:3128 name=open
http_port 198.51.100.3:80 name=open80
http_port 198.51.100.3:3129 name=deny
http_port 198.51.100.3:3130 name=auth
http_port 203.0.113.41:3128 name=far
http_port 198.51.100.3:3131 name=bump ssl-bump generate-host-certificates=on cert=$WORK/pki/interceptor-bundle.pem
sslcrtd_program /usr/lib/squid/security_file_certgen -s $WORK/ssl_db -M 4MB
sslcrtd_children 2
sslproxy_cert_error allow all
tls_outgoing_options flags=DONT_VERIFY_PEER
auth_param basic program /usr/lib/squid/basic_ncsa_auth $WORK/squid.passwd
acl p_deny myportname deny
acl p_auth myportname auth
acl p_bump myportname bump
acl authed proxy_auth REQUIRED
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump p_bump
ssl_bump splice all
http_access deny p_deny
http_access deny p_auth !authed
http_access allow all
hosts_file $WORK/squid.hosts
dns_nameservers 198.51.100.53
connect_timeout 3 seconds
cache deny all
pid_filename $WORK/squid.pid
access_log $WORK/logs/squid.access
cache_log $WORK/logs/squid.cache
coredump_dir $WORK
shutdown_lifetime 0 seconds
SQ
  $SRVX squid -f "$WORK/squid.conf" -N >"$WORK/logs/squid.out" 2>&1 &
  for mode in blackhole:30 reset:31; do
    $SRVX python3 "$HERE/dpi_relay.py" "${mode%%:*}" "203.0.113.${mode#*:}" &
    echo $! > "$WORK/relay-${mode%%:*}.pid"
  done
  # 300 ms RTT: a userspace delay line (tests/lab/delay.py, TUN devices; no netem here)
  # between the switch's dly0 (source 192.0.2.50) and lp-srv's dly1. Behind it: nginx on
  # 203.0.113.40, squid on 203.0.113.41:3128, dnsmasq on 203.0.113.42: every leg of a probe
  # that uses them (DNS, TCP, CONNECT, TLS) costs 150 ms each way.
  python3 "$HERE/delay.py" $SW dly0 $SRV dly1 150 >"$WORK/logs/delay.out" 2>&1 &
  echo $! > "$WORK/delay.pid"
  for i in $(seq 1 50); do $SWX ip link show dly0 >/dev/null 2>&1 && $SRVX ip link show dly1 >/dev/null 2>&1 && break; sleep 0.1; done
  $SWX ip addr add 192.0.2.50/32 dev dly0; $SWX ip link set dly0 up
  $SWX ip route add 203.0.113.40/30 dev dly0 src 192.0.2.50
  $SRVX ip link set dly1 up; $SRVX ip route add 192.0.2.50/32 dev dly1
  # A path-MTU black hole in front of nginx on 203.0.113.23: the same forwarder with no
  # delay, dropping IP packets over 1000 bytes (a small-MTU link whose ICMP "fragmentation
  # needed" never reaches the server; iptables cannot stand in: a local drop is an error the
  # server's TCP sees, and it stops sending). Switch side mtu0 (source 192.0.2.51).
  python3 "$HERE/delay.py" $SW mtu0 $SRV mtu1 0 1800 1000 >"$WORK/logs/blackhole.out" 2>&1 &
  echo $! > "$WORK/blackhole.pid"
  for i in $(seq 1 50); do $SWX ip link show mtu0 >/dev/null 2>&1 && $SRVX ip link show mtu1 >/dev/null 2>&1 && break; sleep 0.1; done
  $SWX ip addr add 192.0.2.51/32 dev mtu0; $SWX ip link set mtu0 up
  $SWX ip route add 203.0.113.23/32 dev mtu0 src 192.0.2.51
  $SRVX ip link set mtu1 up; $SRVX ip route add 192.0.2.51/32 dev mtu1
  # SERVFAIL from real software: a DNSSEC-validating dnsmasq on .54 in front of the lab's
  # dnsmasq (.53, unsigned answers) with the real root trust anchor: validation cannot be
  # completed, the answer is SERVFAIL (as a validating resolver behind a broken upstream).
  $SRVX dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=198.51.100.54 \
    --port=53 --pid-file= --user=root --server=198.51.100.53 --dnssec --dnssec-no-timecheck \
    --trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D \
    --log-facility="$WORK/logs/dnsmasq-validating.log" &
  echo $! > "$WORK/dnsmasq-validating.pid"
  # A slow first answer: tests/lab/slow_dns.py on .56 relays to the lab dnsmasq but holds
  # the answer to each client socket's first query of a name 4 s (past IOS XE's 3 s `ip
  # domain timeout`): the retry is answered at once.
  $SRVX python3 "$HERE/slow_dns.py" 198.51.100.56 198.51.100.53 4 >"$WORK/logs/slow_dns.out" 2>&1 &
  echo $! > "$WORK/slow-dns.pid"
  # Bounded wait for the servers.
  for i in $(seq 1 50); do
    $SRVX bash -c "exec 3<>/dev/tcp/198.51.100.3/3128" 2>/dev/null && $SRVX bash -c "exec 3<>/dev/tcp/203.0.113.10/443" 2>/dev/null \
      && $SRVX bash -c "exec 3<>/dev/tcp/203.0.113.31/443" 2>/dev/null && break
    sleep 0.2
  done
}

# Loss between the server and the capture point (issue 22): a third namespace lp-far holds
# nginx on 203.0.113.26 (the 200 KB file, TLS 1.3 allowed) one routed hop behind lp-srv, which
# forwards far1 <-> srv0 and drops 20% of the server's packets in FORWARD (iptables
# `statistic`; no netem on this kernel). A forwarded packet dropped is a loss on the path:
# the server's TCP never hears of it and retransmits on the switch's dup-ACKs/SACK, so the
# capture on sw0 (the client's side of the loss) shows the holes and their fills. (A drop
# in the server's own namespace is an error its TCP sees, not a loss: README.)
far_up() {
  ip netns add $FAR
  ip link add far0 netns $FAR type veth peer name far1 netns $SRV
  $FARX ip link set lo up
  $FARX ip addr add 203.0.113.26/32 dev far0; $FARX ip link set far0 up
  $SRVX ip addr add 203.0.113.1/32 dev far1; $SRVX ip link set far1 up
  $FARX ip route add default via 203.0.113.1 dev far0 onlink
  $SRVX ip route add 203.0.113.26/32 dev far1
  $FARX ethtool -K far0 gro off gso off tso off >/dev/null 2>&1 || true
  $SRVX ethtool -K far1 gro off gso off tso off >/dev/null 2>&1 || true
  # Forwarding only where this path enters lp-srv (the ingress device decides).
  $SRVX sysctl -qw net.ipv4.conf.far1.forwarding=1 net.ipv4.conf.srv0.forwarding=1
  $SRVX iptables -A FORWARD -p tcp -s 203.0.113.26 --sport 443 -m statistic --mode random --probability 0.2 -j DROP
  local P=$WORK/pki
  cat > "$WORK/nginx-far.conf" <<NG
worker_processes 1; pid $WORK/nginx-far.pid; error_log $WORK/logs/nginx-far.err;
events { worker_connections 64; }
http { access_log $WORK/logs/nginx-far.access; ssl_protocols TLSv1.2 TLSv1.3;
 server { listen 203.0.113.26:443 ssl; ssl_certificate $P/chain-current.pem; ssl_certificate_key $P/leaf.key; root $WORK/www; } }
NG
  $FARX nginx -c "$WORK/nginx-far.conf"
}

# dnsmasq for one scenario: "ip" answers the licensing names with ip; nxdomain; refused.
# A suffix ",crl=IP" (or ",crl=nxdomain") changes where the revocation hosts of the lab
# chain (validation.identrust.com, commercial.ocsp.identrust.com) point; default: the lab
# web server on 203.0.113.19:80.
dns() {
  local crl=203.0.113.19
  case $1 in *,crl=*) crl=${1#*,crl=}; set -- "${1%%,crl=*}" "${@:2}";; esac
  local crlarg=/$crl; [ "$crl" = nxdomain ] && crlarg=/
  # The old dnsmasq must be gone before the new one binds the same addresses: under load
  # a 0.1 s sleep was not enough, the new one failed to bind and the next scenario met no
  # name server at all (a dns_timeout on healthy-direct-tls13 in a loaded CI run).
  if [ -f "$WORK/dnsmasq.pid" ]; then
    local old; old=$(cat "$WORK/dnsmasq.pid")
    kill "$old" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done
  fi
  local args=(--keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=198.51.100.53
    --listen-address=198.51.100.55 --listen-address=203.0.113.42 --port=53 --log-facility="$WORK/logs/dnsmasq.log" --pid-file= --user=root
    --address=/proxy.lab/198.51.100.3 --address=/proxy-closed.lab/198.51.100.4 --address=/cslu-local/203.0.113.19 --local-ttl=60
    --address=/validation.identrust.com$crlarg --address=/commercial.ocsp.identrust.com$crlarg)
  case $1 in
    nxdomain) args+=(--local=/cisco.com/) ;;
    refused) ;;  # no upstream and no local data: dnsmasq answers REFUSED
    *) args+=(--address=/smartreceiver.cisco.com/$1 --address=/tools.cisco.com/$1) ;;
  esac
  $SRVX dnsmasq "${args[@]}" &
  echo $! > "$WORK/dnsmasq.pid"
  # "tcp:IP" asks the resolver for DNS over TCP (glibc's use-vc).
  local server=${2:-198.51.100.53} opts="timeout:1 attempts:2"
  case $server in tcp:*) server=${server#tcp:}; opts="$opts use-vc";; esac
  printf 'nameserver %s\noptions %s\n' "$server" "$opts" > /etc/netns/$SW/resolv.conf
  # Ready when dnsmasq listens on UDP 53 of every address (a UDP "connect" proves nothing).
  for _ in $(seq 1 100); do
    [ "$($SRVX ss -ulnH 'sport = :53' 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.05
  done
}

CURL_BASE=(curl -sS -o /dev/null --max-time 8 --cacert "$WORK/pki/device-trustpool.pem")
URL=https://smartreceiver.cisco.com/licservice/license

# ---------------------------------------------------------------- scenarios
# Each: name | dns answer | client command | expected lines (key=value; see README).
scenario() {
  local name=$1 answer=$2 dnsserver=$3; shift 3
  local expected=$1; shift
  SCEN_NAMES+=("$name"); SCEN_DNS[$name]=$answer; SCEN_DNSSRV[$name]=$dnsserver; SCEN_EXPECTED[$name]=$expected; SCEN_CMD[$name]="$*"
}
declare -A SCEN_DNS SCEN_DNSSRV SCEN_EXPECTED SCEN_CMD; SCEN_NAMES=()
T12="--tls-max 1.2"
scenario healthy-direct-tls12 203.0.113.10 198.51.100.53 \
  $'verdict=ok\ntls_version=TLS 1.2\nsni=smartreceiver.cisco.com\nissuer=HydrantID Server CA O1\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario healthy-direct-tls13 203.0.113.10 198.51.100.53 \
  $'verdict=ok\ntls_version=TLS 1.3\nsni=smartreceiver.cisco.com\ntshark=tls.handshake.extensions.supported_version == 0x0304' \
  "${CURL_BASE[@]}" --tlsv1.3 $URL
scenario healthy-proxy 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nargs=--host proxy.lab\ntls_version=TLS 1.2\nsni=smartreceiver.cisco.com\nissuer=HydrantID Server CA O1\ntshark=http.response.code == 200' \
  "${CURL_BASE[@]}" $T12 --proxy1.0 proxy.lab:3128 $URL
# The switch fetching the CRL of the chain it was shown (revocation-check crl), over plain
# HTTP: answered, and refused (nothing listens on port 80 there: crl_unreachable, a warning).
scenario crl-fetch-ok 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nrevocation=ok\ntls_version=TLS 1.2\ntshark=http.request.uri contains ".crl"' \
  "${CURL_BASE[@]}" $T12 $URL http://validation.identrust.com/crl/hydrant.crl
scenario crl-fetch-unreachable 203.0.113.10,crl=203.0.113.20 198.51.100.53 \
  $'verdict=ok\nrevocation=failed\nfinding=crl_unreachable\ntls_version=TLS 1.2\ntshark=tcp.flags.syn == 1 && ip.dst == 203.0.113.20' \
  "${CURL_BASE[@]}" --connect-timeout 2 $T12 $URL http://validation.identrust.com/crl/hydrant.crl
scenario proxy-port-80 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nargs=--host proxy.lab\ntls_version=TLS 1.2\ntshark=http.request.method == "CONNECT"' \
  "${CURL_BASE[@]}" $T12 --proxy1.0 proxy.lab:80 $URL
scenario dns-nxdomain nxdomain 198.51.100.53 \
  $'verdict=failed\nstep=dns\nfinding=dns_nxdomain\ntshark=dns.flags.rcode == 3' \
  "${CURL_BASE[@]}" $URL
scenario dns-refused refused 198.51.100.53 \
  $'verdict=failed\nstep=dns\nfinding=dns_servfail\ntshark=dns.flags.rcode == 5' \
  "${CURL_BASE[@]}" $URL
scenario dns-servfail 203.0.113.10 198.51.100.54 \
  $'verdict=failed\nstep=dns\nfinding=dns_servfail\ntshark=dns.flags.rcode == 2' \
  "${CURL_BASE[@]}" $URL
scenario dns-timeout 203.0.113.10 198.51.100.55 \
  $'verdict=failed\nstep=dns\nfinding=dns_timeout\ntshark=dns.flags.response == 0' \
  "${CURL_BASE[@]}" $URL
scenario syn-dropped 203.0.113.20 198.51.100.53 \
  $'verdict=failed\nstep=tcp\nfinding=tcp_timeout\ntshark=tcp.analysis.retransmission' \
  "${CURL_BASE[@]}" --connect-timeout 4 $URL
scenario syn-rejected 203.0.113.21 198.51.100.53 \
  $'verdict=failed\nstep=tcp\nfinding=tcp_refused\ntshark=tcp.flags.reset == 1' \
  "${CURL_BASE[@]}" $URL
scenario syn-admin-prohibited 203.0.113.22 198.51.100.53 \
  $'verdict=failed\nstep=tcp\nfinding=tcp_unreachable\nsummary=ICMP administratively prohibited from 203.0.113.22\ntshark=icmp.type == 3 && icmp.code == 13' \
  "${CURL_BASE[@]}" $URL
# The name server address answers, but nothing listens on 53 there (198.51.100.3 is the
# proxy): ICMP port unreachable, which the switch reports like silence.
scenario dns-port-unreachable 203.0.113.10 198.51.100.3 \
  $'verdict=failed\nstep=dns\nfinding=dns_timeout\nsummary=ICMP port unreachable from 198.51.100.3\ntshark=icmp.type == 3 && icmp.code == 3' \
  "${CURL_BASE[@]}" $URL
scenario proxy-port-closed 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy-closed.lab\nstep=tcp\nfinding=tcp_refused\ntshark=tcp.flags.reset == 1 && tcp.srcport == 3128' \
  "${CURL_BASE[@]}" --proxy1.0 proxy-closed.lab:3128 $URL
# The same closed proxy port with the switch's proxy given by address (no DNS in the
# capture, nothing names a licensing host): only the switch's running-config, committed
# next to the capture, says 198.51.100.4:3128 is its proxy (analyze --from-config).
scenario proxy-port-closed-config 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--from-config captures/proxy-port-closed-config.show-run.txt\nstep=tcp\nfinding=proxy_unreachable\nsummary=the configured proxy 198.51.100.4:3128 cannot be reached: it refused the connection\ntshark=tcp.flags.reset == 1 && tcp.srcport == 3128' \
  "${CURL_BASE[@]}" --proxy1.0 198.51.100.4:3128 $URL
# The switch's name server silent (.55 drops DNS) when the switch looks up its proxy's
# name: nothing names a licensing host, the name server (analyze --dns-server) says whose
# queries these are.
scenario dns-timeout-proxy-name 203.0.113.10 198.51.100.55 \
  $'verdict=failed\nargs=--dns-server 198.51.100.55\nstep=dns\nfinding=dns_timeout\nsummary=proxy.lab\ntshark=dns.flags.response == 0 && dns.qry.name == "proxy.lab"' \
  "${CURL_BASE[@]}" --proxy1.0 proxy.lab:3128 $URL
scenario proxy-403 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy.lab\nstep=proxy\nfinding=proxy_denied\ntshark=http.response.code == 403' \
  "${CURL_BASE[@]}" --proxy1.0 proxy.lab:3129 $URL
scenario proxy-407 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy.lab\nstep=proxy\nfinding=proxy_auth_required\ntshark=http.response.code == 407' \
  "${CURL_BASE[@]}" --proxy1.0 proxy.lab:3130 $URL
scenario proxy-upstream-503 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy.lab\nstep=proxy\nfinding=proxy_upstream_error\ntshark=http.response.code == 503' \
  "${CURL_BASE[@]}" --proxy1.0 proxy.lab:3128 https://tools.cisco.com/its/service/oddce/services/DDCEService
scenario ssl-interception-tls12 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy.lab\nstep=cert\nfinding=ssl_interception\nissuer=Lab Squid Interception CA\ntshark=x509sat.printableString == "Lab Squid Interception CA" || x509sat.uTF8String == "Lab Squid Interception CA"' \
  "${CURL_BASE[@]}" $T12 --proxy1.0 proxy.lab:3131 $URL
scenario ssl-interception-tls13 203.0.113.10 198.51.100.53 \
  $'verdict=failed\nargs=--host proxy.lab\nstep=cert\nfinding=tls_alert\nabsent=tls_client_abort\nsummary=unknown_ca (48) inside the tunnel through the proxy 198.51.100.3:3131\ntls_version=TLS 1.3\ntshark=tls.alert_message.desc == 48' \
  "${CURL_BASE[@]}" --tlsv1.3 --proxy1.0 proxy.lab:3131 $URL
scenario untrusted-root 203.0.113.15 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=untrusted_root\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
# A leaf signed directly by a well-known root the device lacks, the root not sent: the
# device is missing a root (untrusted_root), the server did not forget an intermediate.
scenario leaf-direct-root 203.0.113.24 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=untrusted_root\nissuer=DigiCert Global Root G2\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
# curl trusts the lab's IdenTrust root and completes the handshake: the packets show a
# success, so a switch on 17.3.2 refusing the chain is a warning (principle 2), not FAILED.
scenario root-missing-fn72323 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nargs=--ios-version 17.3.2\nfinding=root_missing_on_device\nsummary=the handshake completed with data both ways, but a switch judged by the trust profile would refuse it\nissuer=HydrantID Server CA O1\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario old-quovadis-chain 203.0.113.11 198.51.100.53 \
  $'verdict=ok\nissuer=QuoVadis Root CA 2\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario cert-expired 203.0.113.12 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=cert_expired\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario cert-not-yet-valid 203.0.113.13 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=cert_not_yet_valid\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario cert-wrong-name 203.0.113.14 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=cert_hostname_mismatch\ntshark=tls.handshake.type == 11' \
  "${CURL_BASE[@]}" $T12 $URL
scenario tls-no-answer 203.0.113.30 198.51.100.53 \
  $'verdict=failed\nstep=tls\nfinding=tls_timeout\ntshark=tls.handshake.type == 1' \
  "${CURL_BASE[@]}" --max-time 3 $URL
scenario mtu-blackhole 203.0.113.23 198.51.100.53 \
  $'verdict=failed\nstep=tls\nfinding=mtu_blackhole\ninterface=mtu0\ntshark=tcp.analysis.lost_segment' \
  "${CURL_BASE[@]}" $T12 --max-time 3 $URL
scenario tls-reset-on-sni 203.0.113.31 198.51.100.53 \
  $'verdict=failed\nstep=tls\nfinding=tls_reset\ntshark=tcp.flags.reset == 1 && tcp.srcport == 443' \
  "${CURL_BASE[@]}" $URL
scenario mss536-proxy 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nargs=--host proxy.lab\nmss=536\ntls_version=TLS 1.2\nissuer=HydrantID Server CA O1\ntshark=tcp.options.mss_val == 536' \
  "${CURL_BASE[@]}" $T12 --proxy1.0 proxy.lab:3128 $URL
scenario packet-loss 203.0.113.16 198.51.100.53 \
  $'verdict=ok\nfinding=retransmissions\ntls_version=TLS 1.2\ntshark=tcp.analysis.retransmission' \
  "${CURL_BASE[@]}" $T12 --max-time 20 $URL
# A lossy path (20% random loss each way, after the capture points) captured at two points
# (sw0 and srv0, merged: every frame twice, microseconds apart, as an Embedded Packet Capture
# at ingress and egress): the duplicates are dropped and counted, the retransmissions kept.
scenario lossy-epc-duplicates 203.0.113.25 198.51.100.53 \
  $'verdict=ok\nfinding=retransmissions\nsummary=retransmitted segments on this connection: to the server\nduplicates=45%\nmirror=srv0\ntls_version=TLS 1.2\ntshark=tcp.analysis.retransmission' \
  "${CURL_BASE[@]}" $T12 --max-time 30 https://smartreceiver.cisco.com/licservice/usage-200k.bin
# The same 200 KB download in TLS 1.3 with 20% of the server's packets lost before the
# capture point (lp-srv's FORWARD, see far_up): captured on the client's side of the loss,
# every hole is reported by the switch's dup-ACKs/SACK and filled by a retransmission that
# the capture never saw the original of. Retransmissions, not capture gaps; the path works.
scenario loss-before-capture-tls13 203.0.113.26 198.51.100.53 \
  $'verdict=ok\nfinding=retransmissions\nabsent=capture_gap\nsummary=to the client\ntls_version=TLS 1.3\ntshark=tcp.analysis.lost_segment' \
  "${CURL_BASE[@]}" --tlsv1.3 --max-time 30 https://smartreceiver.cisco.com/licservice/usage-200k.bin

scenario incomplete-chain 203.0.113.17 198.51.100.53 \
  $'verdict=failed\nstep=cert\nfinding=incomplete_chain\ntshark=tls.handshake.certificates_length < 700' \
  "${CURL_BASE[@]}" $T12 $URL
scenario tls-version-mismatch 203.0.113.18 198.51.100.53 \
  $'verdict=failed\nstep=tls\nfinding=tls_version_mismatch\ntshark=tls.alert_message.desc == 70' \
  "${CURL_BASE[@]}" $T12 $URL
scenario cslu-plain-http 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nfinding=plaintext_http\ntshark=http.request.uri contains "/cslu/v1/pi" && tcp.dstport == 8182' \
  "${CURL_BASE[@]}" http://cslu-local:8182/cslu/v1/pi
scenario callhome-plain-http 203.0.113.19 198.51.100.53 \
  $'verdict=ok\nfinding=plaintext_http\ntshark=http.request.uri contains "/its/service/oddce"' \
  "${CURL_BASE[@]}" http://tools.cisco.com/its/service/oddce/services/DDCEService
scenario rtt-300ms 203.0.113.40 203.0.113.42 \
  $'verdict=ok\ninterface=dly0\nrtt_ms=290\ntls_version=TLS 1.2\nsni=smartreceiver.cisco.com\nissuer=HydrantID Server CA O1\ntshark=tcp.analysis.ack_rtt > 0.29' \
  "${CURL_BASE[@]}" $T12 $URL
# The first DNS answer comes 4 s late (slow_dns.py), after the resolver (timeout:1) asked
# again; the retry is answered at once: DNS retried and answered on try 2, not dns_timeout.
scenario dns-slow-first-answer 203.0.113.10 198.51.100.56 \
  $'verdict=ok\nfinding=dns_retried\nsummary=resolved on try 2: the first query went unanswered\ntls_version=TLS 1.2\ntshark=dns.retransmission == 1' \
  "${CURL_BASE[@]}" $T12 $URL
scenario dns-over-tcp 203.0.113.10 tcp:198.51.100.53 \
  $'verdict=ok\ndns_transport=tcp\ntls_version=TLS 1.2\ntshark=dns && tcp' \
  "${CURL_BASE[@]}" $T12 $URL
# A healthy connection captured with tcpdump's own filter for TLS-bearing packets only (no
# SYN, no pure ACK, no FIN; the server's continuation segments dropped): capture_filtered,
# never a timeout or black hole made of what the filter removed.
scenario tls-only-filter 203.0.113.10 198.51.100.53 \
  $'verdict=inconclusive\nfinding=capture_filtered\nfilter=tcp port 443 and (tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0x16)\ntls_version=TLS 1.2\nsni=smartreceiver.cisco.com\ntshark=tls.handshake.type == 1' \
  "${CURL_BASE[@]}" $T12 $URL
scenario push-only-filter 203.0.113.10 198.51.100.53 \
  $'verdict=ok\nfinding=capture_filtered\nfilter=tcp port 443 and tcp[tcpflags] & tcp-push != 0\nsni=smartreceiver.cisco.com\ntshark=tls.handshake.type == 1' \
  "${CURL_BASE[@]}" --tlsv1.3 $URL

run_scenario() { # name outdir
  local name=$1 out=$2
  dns "${SCEN_DNS[$name]}" "${SCEN_DNSSRV[$name]}"
  local expected=${SCEN_EXPECTED[$name]}
  if grep -q '^mss=536' <<<"$expected"; then
    $SWX iptables -t mangle -A OUTPUT -p tcp --syn -j TCPMSS --set-mss 536
  fi
  local pcap="$out/$name.pcap"
  # -Z root: the privilege drop loses writes here; --immediate-mode: without it packets
  # still in the TPACKET_V3 block are lost when tcpdump is stopped.
  local iface; iface=$(sed -n 's/^interface=//p' <<<"$expected"); iface=${iface:-sw0}
  # filter=: the scenario's own tcpdump capture filter (a capture that lacks packets).
  local filter; filter=$(sed -n 's/^filter=//p' <<<"$expected"); filter=${filter:-not arp and not icmp6}
  $SWX tcpdump -Z root --immediate-mode -i "$iface" -s 0 -U -w "$pcap" "$filter" 2>"$WORK/logs/tcpdump.err" &
  local tpid=$!
  for i in $(seq 1 50); do grep -q "listening on" "$WORK/logs/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
  # mirror=IFACE: a second capture point on the server side of the link (as an Embedded
  # Packet Capture attached at ingress and egress): every frame is in the file twice,
  # microseconds apart, same bytes and IP ID. Merged by time after the run.
  local mirror mpid=""; mirror=$(sed -n 's/^mirror=//p' <<<"$expected")
  if [ -n "$mirror" ]; then
    $SRVX tcpdump -Z root --immediate-mode -i "$mirror" -s 0 -U -w "$WORK/mirror.pcap" "$filter" 2>"$WORK/logs/tcpdump-mirror.err" &
    mpid=$!
    for i in $(seq 1 50); do grep -q "listening on" "$WORK/logs/tcpdump-mirror.err" 2>/dev/null && break; sleep 0.1; done
  fi
  sleep 0.3
  $SWX ${SCEN_CMD[$name]} >/dev/null 2>"$WORK/logs/$name.curl" || true
  sleep 0.5
  kill -INT $tpid; wait $tpid 2>/dev/null || true
  if [ -n "$mpid" ]; then
    kill -INT $mpid; wait $mpid 2>/dev/null || true
    mergecap -F pcap -w "$WORK/merged.pcap" "$pcap" "$WORK/mirror.pcap" && mv "$WORK/merged.pcap" "$pcap"
  fi
  $SWX iptables -t mangle -F OUTPUT
  printf '# Generated by tests/lab/lab.sh capture %s; client: %s\n%s\n' "$name" "${SCEN_CMD[$name]%% *}" "$expected" > "$out/$name.expected"
}

derived_variants() { # out: a nanosecond pcap and a pcapng of the healthy proxy path
  local out=$1
  editcap -F pcapng "$out/healthy-proxy.pcap" "$out/healthy-proxy-pcapng.pcapng"
  sed 's/^# Generated.*/# Generated: healthy-proxy.pcap converted to pcapng by editcap/' "$out/healthy-proxy.expected" > "$out/healthy-proxy-pcapng.expected"
  python3 "$HERE/vlan_tag.py" 10 "$out/healthy-proxy.pcap" "$out/healthy-proxy-vlan10.pcap"
  sed -e 's/^# Generated.*/# Generated: healthy-proxy.pcap with an 802.1Q tag (VLAN 10) added to every frame by tests\/lab\/vlan_tag.py (no VLAN devices on this kernel)/' \
    -e 's/^tshark=.*/tshark=vlan.id == 10 \&\& http.response.code == 200/' "$out/healthy-proxy.expected" > "$out/healthy-proxy-vlan10.expected"
  editcap -F nsecpcap "$out/syn-rejected.pcap" "$out/syn-rejected-nanosecond.pcap"
  sed 's/^# Generated.*/# Generated: syn-rejected.pcap converted to nanosecond pcap by editcap/' "$out/syn-rejected.expected" > "$out/syn-rejected-nanosecond.expected"
  [ -f "$out/healthy-direct-tls12.pcap" ] && partial_variants "$out"
  return 0
}

partial_variants() { # out: partial captures of the healthy TLS 1.2 connection (issue 15)
  local out=$1
  local h="$out/healthy-direct-tls12.pcap"
  # expect NAME HOW KEY=VALUE...: the expected file of a variant (how it was made, its keys).
  expect() {
    local name=$1 how=$2; shift 2
    { printf '# Generated: healthy-direct-tls12.pcap %s\n' "$how"; printf '%s\n' "$@"; } > "$out/$name.expected"
  }
  # Each direction captured alone, the files appended one after the other (mergecap -a):
  # the client's ACKs come before the server data they acknowledge.
  tcpdump -r "$h" -w "$WORK/client-side.pcap" 'src host 198.51.100.10' 2>/dev/null
  tcpdump -r "$h" -w "$WORK/server-side.pcap" 'not src host 198.51.100.10' 2>/dev/null
  mergecap -a -F pcap -w "$out/merged-directions.pcap" "$WORK/client-side.pcap" "$WORK/server-side.pcap"
  expect merged-directions "split by direction with tcpdump and appended with mergecap -a" verdict=ok \
    'tls_version=TLS 1.2' sni=smartreceiver.cisco.com 'issuer=HydrantID Server CA O1' tshark=tcp.analysis.spurious_retransmission
  # The same, the server's side first: the SYN/ACK and every answer before the question.
  mergecap -a -F pcap -w "$out/merged-server-first.pcap" "$WORK/server-side.pcap" "$WORK/client-side.pcap"
  expect merged-server-first "split by direction with tcpdump and appended server side first with mergecap -a" verdict=ok \
    'tls_version=TLS 1.2' sni=smartreceiver.cisco.com 'issuer=HydrantID Server CA O1' 'tshark=tcp.flags.syn == 1 && tcp.flags.ack == 1 && frame.number < 8'
  # The whole file in reverse order (answers before questions, FIN before SYN): nothing
  # decides, but nothing may fail.
  python3 "$HERE/reverse_pcap.py" "$h" "$out/reversed-order.pcap"
  expect reversed-order "with its frames in reverse order by tests/lab/reverse_pcap.py" "verdict=ok" \
    'tshark=tcp.flags.fin == 1 && frame.number < 5'
  # Starts at the server's ServerHello + Certificate packet: no DNS, SYN or ClientHello.
  local sh; sh=$(tshark -r "$h" -Y 'tls.handshake.type == 2' -T fields -e frame.number | head -1)
  editcap -F pcap -r "$h" "$out/midstream-server-hello.pcap" "$sh-1000"
  expect midstream-server-hello "from frame $sh (the ServerHello) on, by editcap -r" verdict=ok \
    'tls_version=TLS 1.2' 'issuer=HydrantID Server CA O1' 'tshark=tls.handshake.type == 11 && !tls.handshake.type == 1'
  # The capture clock at the Unix epoch (a device whose clock was never set).
  local t0; t0=$(tshark -r "$h" -c 1 -T fields -e frame.time_epoch | cut -d. -f1)
  editcap -F pcap -t "-$t0" "$h" "$out/capture-clock-1970.pcap"
  expect capture-clock-1970 "moved to 1970-01-01 by editcap -t -$t0" verdict=ok finding=capture_clock_invalid \
    'tls_version=TLS 1.2' 'tshark=frame.time_epoch < 86400'
  # A capture with no certificate at the epoch: the clock is still said to be wrong.
  local n="$out/dns-nxdomain.pcap" t1
  if [ -f "$n" ]; then
    t1=$(tshark -r "$n" -c 1 -T fields -e frame.time_epoch | cut -d. -f1)
    editcap -F pcap -t "-$t1" "$n" "$out/capture-clock-1970-dns.pcap"
    { printf '# Generated: dns-nxdomain.pcap moved to 1970-01-01 by editcap -t -%s\n' "$t1"
      printf '%s\n' verdict=failed step=dns finding=capture_clock_invalid 'tshark=frame.time_epoch < 86400 && dns.flags.rcode == 3'; } > "$out/capture-clock-1970-dns.expected"
  fi
  # The capture stopped right after the ClientHello (and the server's ACK of it).
  local ch; ch=$(tshark -r "$h" -Y 'tls.handshake.type == 1' -T fields -e frame.number | head -1)
  editcap -F pcap -r "$h" "$out/capture-ended-tls.pcap" "1-$((ch + 1))"
  expect capture-ended-tls "up to the frame after the ClientHello ($((ch + 1))), by editcap -r" verdict=inconclusive \
    finding=capture_ended 'tshark=tls.handshake.type == 1'
  # The capture stopped right after the first DNS queries (A and AAAA), before any retry.
  local d="$out/dns-timeout.pcap"
  if [ -f "$d" ]; then
    editcap -F pcap -r "$d" "$out/dns-capture-ended.pcap" 1-2
    { printf '# Generated: dns-timeout.pcap up to its first two queries (A, AAAA), by editcap -r\n'
      printf '%s\n' verdict=inconclusive finding=capture_ended 'summary=before any answer or retry: not a DNS timeout' 'tshark=dns.flags.response == 0 && !dns.retransmission'; } > "$out/dns-capture-ended.expected"
  fi
}

capture_all() { # outdir [names]
  local out=$1; shift
  mkdir -p "$out"
  local names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${SCEN_NAMES[@]}")
  for n in "${names[@]}"; do
    [ -n "${SCEN_CMD[$n]:-}" ] || { echo "lab.sh: no scenario $n" >&2; exit 2; }
    run_scenario "$n" "$out"
    printf '  captured %-24s %6s bytes\n' "$n" "$(stat -c %s "$out/$n.pcap")"
  done
  [ -f "$out/healthy-proxy.pcap" ] && [ -f "$out/syn-rejected.pcap" ] && derived_variants "$out"
  return 0
}

licpath_bin() {
  # live-capture: the probe scenarios marked capture= record with --capture (libpcap-dev,
  # installed by tests/run.sh).
  (cd "$REPO" && cargo build --release -q --features live-capture) && echo "$REPO/target/release/licpath"
}

# Checks one capture against its expected file with licpath's JSON output.
check_capture() { # pcap expected bin
  local pcap=$1 exp=$2 bin=$3
  local args; args=$(sed -n 's/^args=//p' "$exp")
  # shellcheck disable=SC2086
  "$bin" analyze --json $args "$pcap" > "$WORK/check.json" 2>/dev/null || true
  python3 - "$WORK/check.json" "$exp" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
exp = dict(l.split("=", 1) for l in open(sys.argv[2]).read().splitlines() if l and not l.startswith("#"))
r = doc["reports"][0]
codes = {f["code"] for f in r["timeline"]["findings"]} | {f["code"] for c in r["timeline"]["connections"] for f in c["findings"]}
errors = [f"verdict {r['verdict']} != {exp['verdict']}"] if r["verdict"] not in exp["verdict"].split("|") else []
if "finding" in exp and exp["finding"] not in codes:
    errors.append(f"finding {exp['finding']} not in {sorted(codes)}")
for code in filter(None, exp.get("absent", "").split(",")):
    if code in codes:
        errors.append(f"finding {code} present, expected absent")
if "summary" in exp:
    summaries = [f["summary"] for f in r["timeline"]["findings"]] + [f["summary"] for c in r["timeline"]["connections"] for f in c["findings"]]
    if not any(exp["summary"] in x for x in summaries):
        errors.append(f"no finding summary contains {exp['summary']!r}: {summaries}")
if "revocation" in exp:
    rev = [c["verdict"] for c in r["timeline"]["connections"] if c["revocation"]]
    got = "none" if not rev else "failed" if "failed" in rev else "ok"
    if got != exp["revocation"]:
        errors.append(f"revocation fetches {rev}, expected {exp['revocation']}")
if "rtt_ms" in exp:
    rtts = [c["handshake_rtt_ns"] / 1e6 for c in r["timeline"]["connections"] if c["licensing"] and c.get("handshake_rtt_ns")]
    if not rtts or min(rtts) < float(exp["rtt_ms"]):
        errors.append(f"licensing TCP handshake RTTs {rtts} ms, expected >= {exp['rtt_ms']}")
if "duplicates" in exp:
    st = r["timeline"]["stats"]; dropped = st["frames_duplicated"]
    want = exp["duplicates"]
    if not (dropped * 100 >= st["frames"] * int(want[:-1]) if want.endswith("%") else dropped >= int(want)):
        errors.append(f"{dropped} of {st['frames']} frames dropped as capture duplicates, expected {exp['duplicates']}")
if errors:
    print("; ".join(errors)); sys.exit(1)
PY
}

# ---------------------------------------------------------------- probe mode
# `licpath check --json` inside the switch namespace against every scenario the probe can
# meet. Each: name | dns answer | dns server | expected (key=value; see README) | args.
probe_scenario() {
  local name=$1 answer=$2 dnsserver=$3 expected=$4; shift 4
  PROBE_NAMES+=("$name"); PROBE_DNS[$name]=$answer; PROBE_DNSSRV[$name]=$dnsserver; PROBE_EXPECTED[$name]=$expected; PROBE_ARGS[$name]="$*"
}
declare -A PROBE_DNS PROBE_DNSSRV PROBE_EXPECTED PROBE_ARGS; PROBE_NAMES=()
R=smartreceiver.cisco.com
probe_scenario healthy-direct-tls13 203.0.113.10 198.51.100.53 $'verdict=ok\ntls_version=TLS 1.3\nissuer=HydrantID Server CA O1\nhttp_status=200\nrevocation=ok\ncapture=same' smart
probe_scenario healthy-direct-tls12 203.0.113.10 198.51.100.53 $'verdict=ok\ntls_version=TLS 1.2\nissuer=HydrantID Server CA O1' --tls-max 1.2 smart
probe_scenario healthy-proxy 203.0.113.10 198.51.100.53 $'verdict=ok\nproxy_status=200\ncapture=same' --proxy proxy.lab:3128
# Step 6, revocation: the chain's CRL/OCSP hosts refusing port 80, not resolving, and fetched
# through the proxy. The licensing path is fine: a warning, verdict ok.
probe_scenario crl-unreachable 203.0.113.10,crl=203.0.113.20 198.51.100.53 $'verdict=ok\nfinding=crl_unreachable\nrevocation=failed\ncapture=same'
probe_scenario crl-nxdomain 203.0.113.10,crl=nxdomain 198.51.100.53 $'verdict=ok\nfinding=crl_unreachable'
probe_scenario crl-via-proxy 203.0.113.10 198.51.100.53 $'verdict=ok\nproxy_status=200\nrevocation=ok' --proxy proxy.lab:3128
# The same unreachable CRL on a switch whose configuration says revocation-check crl:
# now it fails the switch (an error at cert), as the configuration makes it.
probe_scenario crl-unreachable-checked 203.0.113.10,crl=203.0.113.20 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=crl_unreachable\nrevocation=failed' --from-config $HERE/data/revocation-crl.cfg
probe_scenario crl-skipped 203.0.113.10,crl=203.0.113.20 198.51.100.53 $'verdict=ok\nrevocation=none' --no-revocation
probe_scenario proxy-port-80 203.0.113.10 198.51.100.53 $'verdict=ok\nproxy_status=200' --proxy proxy.lab:80
probe_scenario proxy-basic-auth 203.0.113.10 198.51.100.53 $'verdict=ok\nproxy_status=200' --proxy proxy.lab:3130 --proxy-user lab:labpass
probe_scenario source-interface-sw1 203.0.113.10 198.51.100.53 $'verdict=ok\nclient=192.0.2.10' --source-interface sw1
probe_scenario source-address 203.0.113.10 198.51.100.53 $'verdict=ok\nclient=192.0.2.10' --source-address 192.0.2.10
probe_scenario static-host 203.0.113.11 198.51.100.55 $'verdict=ok\ndns_queries=0\nstatic=resolve_flag' --no-revocation --resolve $R=203.0.113.10
# The switch's own `ip host` (--from-config): used instead of DNS (the name server given
# drops queries, and would answer another address) and reported as static.
probe_scenario ip-host-static 203.0.113.11 198.51.100.55 $'verdict=ok\ndns_queries=0\nstatic=ip_host' --no-revocation --from-config $HERE/data/ip-host.cfg
probe_scenario old-quovadis-chain 203.0.113.11 198.51.100.53 $'verdict=ok\nissuer=QuoVadis Root CA 2'
probe_scenario dns-nxdomain nxdomain 198.51.100.53 $'verdict=failed\nstep=dns\nfinding=dns_nxdomain\ncapture=same'
probe_scenario dns-refused refused 198.51.100.53 $'verdict=failed\nstep=dns\nfinding=dns_servfail'
probe_scenario dns-servfail 203.0.113.10 198.51.100.54 $'verdict=failed\nstep=dns\nfinding=dns_servfail'
probe_scenario dns-timeout 203.0.113.10 198.51.100.55 $'verdict=failed\nstep=dns\nfinding=dns_timeout\ncapture=same' --dns-timeout 1
# The first answer 4 s late (slow_dns.py), past the probe's 3 s wait (IOS XE's default):
# answered on try 2, the check succeeds and says so (dns_retried, info).
probe_scenario dns-slow-first-answer 203.0.113.10 198.51.100.56 $'verdict=ok\nfinding=dns_retried\ndns_try=2\nhttp_status=200\ncapture=same' --no-revocation
probe_scenario dns-second-server 203.0.113.10 198.51.100.55 $'verdict=ok\ndns_server=198.51.100.53:53' --dns-timeout 1 --dns-server 198.51.100.53
probe_scenario syn-dropped 203.0.113.20 198.51.100.53 $'verdict=failed\nstep=tcp\nfinding=tcp_timeout\ncapture=same'
probe_scenario syn-rejected 203.0.113.21 198.51.100.53 $'verdict=failed\nstep=tcp\nfinding=tcp_refused\ncapture=same'
probe_scenario syn-admin-prohibited 203.0.113.22 198.51.100.53 $'verdict=failed\nstep=tcp\nfinding=tcp_unreachable\ncapture=same'
probe_scenario dns-port-unreachable 203.0.113.10 198.51.100.3 $'verdict=failed\nstep=dns\nfinding=dns_timeout\ncapture=same' --dns-timeout 1
probe_scenario no-route 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=tcp\nfinding=tcp_unreachable' --resolve $R=2001:db8::99
probe_scenario proxy-port-closed 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=tcp\nfinding=proxy_unreachable' --proxy proxy-closed.lab:3128
probe_scenario proxy-403 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=proxy\nfinding=proxy_denied\nproxy_status=403\ncapture=same' --proxy proxy.lab:3129
probe_scenario proxy-407 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=proxy\nfinding=proxy_auth_required\nproxy_status=407\ncapture=same' --proxy proxy.lab:3130
probe_scenario proxy-upstream-503 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=proxy\nfinding=proxy_upstream_error\nproxy_status=503' --proxy proxy.lab:3128 callhome
probe_scenario ssl-interception-tls12 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=ssl_interception\nissuer=Lab Squid Interception CA\nclient_alert=unknown_ca\nhttp_status=none\ncapture=same' --tls-max 1.2 --proxy proxy.lab:3131
probe_scenario ssl-interception-tls13 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=ssl_interception\ntls_version=TLS 1.3\nissuer=Lab Squid Interception CA\ncapture=step' --proxy proxy.lab:3131
probe_scenario untrusted-root 203.0.113.15 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=untrusted_root\nhttp_status=none'
# Refusing like the switch can be turned off: the HTTP step then runs behind the interceptor.
probe_scenario accept-any-cert 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=ssl_interception\nhttp_status=200' --accept-any-cert --proxy proxy.lab:3131
# --ca-file: would importing this CA fix it? The right root: yes; another CA: no; the
# interceptor's CA: the switch would accept the intercepted chain.
probe_scenario ca-file-right-root 203.0.113.15 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=untrusted_root\nwhat_if=info' --ca-file $WORK/pki/digicert.pem
probe_scenario ca-file-wrong-ca 203.0.113.15 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=untrusted_root\nwhat_if=warning' --ca-file $WORK/pki/quovadis.pem
probe_scenario ca-file-interceptor 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=ssl_interception\nwhat_if=info' --ca-file $WORK/pki/interceptor.pem --proxy proxy.lab:3131
probe_scenario root-missing-fn72323 203.0.113.10 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=root_missing_on_device\nno_trust_store=1\ncapture=step' --ios-version 17.3.2
probe_scenario cert-expired 203.0.113.12 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=cert_expired\ncapture=step'
probe_scenario cert-not-yet-valid 203.0.113.13 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=cert_not_yet_valid'
probe_scenario cert-wrong-name 203.0.113.14 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=cert_hostname_mismatch'
probe_scenario leaf-direct-root 203.0.113.24 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=untrusted_root\nhttp_status=none'
probe_scenario incomplete-chain 203.0.113.17 198.51.100.53 $'verdict=failed\nstep=cert\nfinding=incomplete_chain'
probe_scenario tls-version-mismatch 203.0.113.18 198.51.100.53 $'verdict=failed\nstep=tls\nfinding=tls_version_mismatch' --tls-max 1.2
probe_scenario tls-no-answer 203.0.113.30 198.51.100.53 $'verdict=failed\nstep=tls\nfinding=tls_timeout\ncapture=same' --tls-timeout 2
# The probe (rustls) only sees no ServerHello; its own capture shows why: mtu_blackhole.
probe_scenario mtu-blackhole 203.0.113.23 198.51.100.53 $'verdict=failed\nstep=tls\nfinding=tls_timeout\ncapture=step' --tls-timeout 2
probe_scenario tls-reset-on-sni 203.0.113.31 198.51.100.53 $'verdict=failed\nstep=tls\nfinding=tls_reset\ncapture=same'
probe_scenario tls-plaintext-answer 203.0.113.19 198.51.100.53 $'verdict=failed\nstep=tls\nfinding=tls_plaintext_answer' https://$R:80/licservice/license
probe_scenario packet-loss 203.0.113.16 198.51.100.53 $'verdict=ok'
probe_scenario rtt-300ms 203.0.113.40 203.0.113.42 $'verdict=ok\nrtt_ms=290\nclient=192.0.2.50\nhttp_status=200'
probe_scenario rtt-300ms-proxy 203.0.113.40 203.0.113.42 $'verdict=ok\nrtt_ms=290\nproxy_status=200\ncapture=same' --proxy 203.0.113.41:3128
probe_scenario cslu-plain-http 203.0.113.10 198.51.100.53 $'verdict=ok\nfinding=plaintext_http' cslu
probe_scenario callhome-plain-http 203.0.113.19 198.51.100.53 $'verdict=ok\nfinding=plaintext_http' http://tools.cisco.com/its/service/oddce/services/DDCEService

# Checks one probe result (JSON) against its expected lines.
check_probe_json() { # json expected
  python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
exp = dict(l.split("=", 1) for l in sys.argv[2].splitlines() if l)
r = doc["reports"][0]; t = r["timeline"]
findings = t["findings"] + [f for c in t["connections"] for f in c["findings"]]
codes = {f["code"] for f in findings}
errs = []
want = {"ok": "ok", "failed": "failed"}[exp["verdict"]]
if r["verdict"] != want: errs.append(f"verdict {r['verdict']} != {want} ({sorted(codes)})")
if doc["end_reason"] != "completed": errs.append(f"end_reason {doc['end_reason']}")
if "finding" in exp and exp["finding"] not in codes: errs.append(f"finding {exp['finding']} not in {sorted(codes)}")
if "step" in exp:
    steps = sorted({f["step"] for f in findings if f["severity"] == "error"}, key=["dns","tcp","proxy","tls","cert","http"].index)
    if not steps or steps[0] != exp["step"]: errs.append(f"step {steps} != {exp['step']}")
conns = t["connections"]
tls = [c["tls"] for c in conns if c.get("tls")]
if "tls_version" in exp and not any(x.get("version") == exp["tls_version"] for x in tls): errs.append(f"tls_version not {exp['tls_version']}: {[x.get('version') for x in tls]}")
if "issuer" in exp and not any(exp["issuer"] in (ce.get("issuer") or "") for x in tls for ce in x.get("certificates", [])): errs.append(f"no certificate issued by {exp['issuer']}")
events = [e for c in conns for e in c["events"]]
if "proxy_status" in exp and not any(e["type"] == "http_response" and str(e["status"]) == exp["proxy_status"] for e in events): errs.append(f"no proxy answer {exp['proxy_status']}")
https = [str(e["status"]) for e in events if e["type"] == "https_exchange"]
if exp.get("http_status") == "none":
    if https: errs.append(f"an HTTPS exchange happened ({https}): the chain should have been refused")
elif "http_status" in exp and exp["http_status"] not in https: errs.append(f"no HTTPS answer {exp['http_status']} ({https})")
if "client_alert" in exp and not any(e["type"] == "tls_alert" and e["dir"] == "to_server" and e["description"] == exp["client_alert"] for e in events): errs.append(f"no {exp['client_alert']} alert from the probe")
if "what_if" in exp:
    w = [f["severity"] for f in findings if f["code"] == "ca_file_what_if"]
    if w != [exp["what_if"]]: errs.append(f"ca_file_what_if severities {w}, expected [{exp['what_if']}]")
if "client" in exp and not any(c["client"].startswith(exp["client"] + ":") for c in conns): errs.append(f"client not {exp['client']}: {[c['client'] for c in conns]}")
lic_dns = [d for d in t["dns"] if d["licensing"]]
if "dns_queries" in exp and len(lic_dns) != int(exp["dns_queries"]): errs.append(f"{len(lic_dns)} licensing DNS exchanges")
if "dns_try" in exp and not any(d.get("response") and d["retries"] + 1 == int(exp["dns_try"]) for d in lic_dns): errs.append(f"no licensing DNS answer on try {exp['dns_try']}: {[(d['qtype'], d['retries'], bool(d.get('response'))) for d in lic_dns]}")
if "static" in exp and not any(h["name"] == "smartreceiver.cisco.com" and h["origin"] == exp["static"] for h in t.get("static_hosts", [])): errs.append(f"no static entry from {exp['static']}: {t.get('static_hosts')}")
rev = [c["verdict"] for c in conns if c["revocation"]]
if exp.get("revocation") == "none" and rev: errs.append(f"revocation fetched: {rev}")
if exp.get("revocation") in ("ok", "failed") and (not rev or any(v != exp["revocation"] for v in rev)): errs.append(f"revocation fetches {rev}, expected all {exp['revocation']}")
if "dns_server" in exp and not any(d["server"] == exp["dns_server"] and d.get("response") and d["response"]["rcode"] == "NOERROR" for d in t["dns"]): errs.append(f"no answer from {exp['dns_server']}")
if "rtt_ms" in exp:
    rtts = [c["handshake_rtt_ns"] / 1e6 for c in conns if c["licensing"] and c.get("handshake_rtt_ns")]
    if not rtts or min(rtts) < float(exp["rtt_ms"]): errs.append(f"TCP handshake RTTs {rtts} ms, expected >= {exp['rtt_ms']}")
if errs: print("; ".join(errs)); sys.exit(1)
PY
}

# `--capture`: the probe's JSON and `licpath analyze --json` of the probe's own capture
# must agree: verdict and earliest failing step; with "same" also the error codes. "step"
# is for TLS 1.3, where the probe sees the chain and the capture only the probe's alert.
same_verdict() { # probe.json analyze.json same|step
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
ORDER = ["capture", "dns", "tcp", "proxy", "tls", "cert", "http"]
def facts(path):
    r = json.load(open(path))["reports"][0]; t = r["timeline"]
    fs = t["findings"] + [f for c in t["connections"] if c["licensing"] for f in c["findings"]]
    errs = [f for f in fs if f["severity"] == "error"]
    step = min((f["step"] for f in errs), key=ORDER.index, default=None)
    return r["verdict"], step, sorted({f["code"] for f in errs}), t["stats"]["frames"]
p, a = facts(sys.argv[1]), facts(sys.argv[2])
problems = []
if p[0] != a[0]: problems.append(f"verdict: probe {p[0]}, analysis of its capture {a[0]}")
if p[1] != a[1]: problems.append(f"failing step: probe {p[1]}, analysis {a[1]}")
if sys.argv[3] == "same" and p[2] != a[2]: problems.append(f"errors: probe {p[2]}, analysis {a[2]}")
if problems: print("; ".join(problems)); sys.exit(1)
print(f"{a[3]} frames, analyze says {a[0]}" + (f" at {a[1]} ({', '.join(a[2])})" if a[1] else ""))
PY
}

probe_check() { # bin
  local bin=$1 fail=0
  echo "lab: licpath check (live probe) inside the switch namespace"
  for n in "${PROBE_NAMES[@]}"; do
    dns "${PROBE_DNS[$n]}" 198.51.100.53
    local exp=${PROBE_EXPECTED[$n]}
    local trust=(--trust-store "$WORK/pki/device-trustpool.pem")
    grep -q '^no_trust_store=1' <<<"$exp" && trust=()
    local cap=() pcap="$WORK/probe-$n.pcap"
    grep -q '^capture=' <<<"$exp" && { rm -f "$pcap"; cap=(--capture "$pcap"); }
    local t0; t0=$(date +%s%N)
    # shellcheck disable=SC2086
    $SWX "$bin" check --json --dns-server "${PROBE_DNSSRV[$n]}" "${trust[@]}" --tcp-timeout 2 --proxy-timeout 6 \
      "${cap[@]}" ${PROBE_ARGS[$n]} > "$WORK/probe-$n.json" 2>"$WORK/logs/probe-$n.err" || true
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if msg=$(check_probe_json "$WORK/probe-$n.json" "$exp"); then
      if [ ${#cap[@]} -gt 0 ]; then
        # The probe's own packets, analysed as a switch's capture would be: the same verdict.
        local aargs=() proxy
        proxy=$(grep -oP -- '--proxy \K[a-z][^: ]*' <<<"${PROBE_ARGS[$n]}" || true)
        [ -n "$proxy" ] && aargs+=(--host "$proxy")
        # shellcheck disable=SC2086
        aargs+=($(grep -oP -- '--ios-version \S+' <<<"${PROBE_ARGS[$n]}" || true))
        "$bin" analyze --json "${trust[@]}" "${aargs[@]}" "$pcap" > "$WORK/probe-$n.analyze.json" 2>/dev/null || true
        if msg=$(same_verdict "$WORK/probe-$n.json" "$WORK/probe-$n.analyze.json" "$(sed -n 's/^capture=//p' <<<"$exp")"); then
          echo "  ok   $n (${ms} ms; --capture: $msg)"
        else echo "  FAIL $n: --capture: $msg"; fail=1; fi
      else
        echo "  ok   $n (${ms} ms)"
      fi
    else echo "  FAIL $n: $msg"; fail=1; fi
  done
  return $fail
}

# The terminal UI in live mode, inside the switch namespace, read back with tmux.
tui_check() { # bin
  local bin=$1 fail=0 sock=lp-tui-$$
  command -v tmux >/dev/null || { echo "lab: tmux missing: TUI check skipped"; return 0; }
  echo "lab: licpath tui (live mode) inside the switch namespace, under tmux"
  local n want
  for n in healthy-direct-tls13 ssl-interception-tls12; do
    case $n in
      healthy-*) want="CERT    ok";;
      *) want="ssl_interception";;
    esac
    dns "${PROBE_DNS[$n]}" 198.51.100.53
    # shellcheck disable=SC2086
    $SWX tmux -L "$sock" new-session -d -x 110 -y 32 \
      "NO_COLOR=1 $bin tui --interval 2 --dns-server ${PROBE_DNSSRV[$n]} --trust-store $WORK/pki/device-trustpool.pem --tcp-timeout 2 ${PROBE_ARGS[$n]}; sleep 30"
    local ok=0 screen=""
    for _ in $(seq 1 100); do
      screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null || true)
      if grep -qF "$want" <<<"$screen" && grep -qE "/[2-9][0-9]* rounds ok" <<<"$screen"; then ok=1; break; fi
      sleep 0.1
    done
    tmux -L "$sock" send-keys q 2>/dev/null || true
    tmux -L "$sock" kill-server 2>/dev/null || true
    if [ $ok = 1 ]; then echo "  ok   $n (screen shows '$want' after two rounds)"; else echo "  FAIL $n: screen never showed '$want' and a second round:"; echo "$screen" | sed 's/^/       /'; fail=1; fi
  done
  return $fail
}

# The probe's own overhead over 300 ms RTT (BENCHMARKS.md): licpath check next to curl -w
# on the same delayed path, direct, through the proxy, and three targets at once.
rtt_bench() { # bin [runs]
  local bin=$1 runs=${2:-5} out="$WORK/rtt-bench.txt"
  dns 203.0.113.40 203.0.113.42
  : > "$out"
  local trust=(--trust-store "$WORK/pki/device-trustpool.pem") curlw='%{time_namelookup} %{time_connect} %{time_appconnect} %{time_total}'
  local i t0
  for i in $(seq 1 "$runs"); do
    echo "curl-direct $($SWX curl -sS -o /dev/null --cacert "$WORK/pki/device-trustpool.pem" -w "$curlw" $URL)" >> "$out"
    echo "curl-proxy $($SWX curl -sS -o /dev/null --cacert "$WORK/pki/device-trustpool.pem" --proxy1.0 203.0.113.41:3128 -w "$curlw" $URL)" >> "$out"
    # Step 6 (revocation) is skipped where curl is the yardstick (curl fetches no CRL);
    # "revocation" measures it: the lab's revocation hosts resolve to the nginx behind the
    # delay line (203.0.113.40:80), so the step costs DNS + TCP + GET round trips.
    for kind in direct proxy three revocation; do
      local args=(--no-revocation smart)
      case $kind in
        proxy) args=(--no-revocation --proxy 203.0.113.41:3128 smart);;
        three) args=(--no-revocation smart callhome https://smartreceiver.cisco.com/its/other);;
        revocation) args=(smart); dns 203.0.113.40,crl=203.0.113.40 203.0.113.42;;
      esac
      t0=$(date +%s%N)
      $SWX "$bin" check --json --dns-server 203.0.113.42 "${trust[@]}" "${args[@]}" > "$WORK/bench-$kind.json" 2>/dev/null || true
      # Step times from the probe's own timeline (ms after its start): DNS answered, TCP
      # established, TLS server flight received (the client's Finished follows at once).
      echo "licpath-$kind $(( ($(date +%s%N) - t0) / 1000 )) $(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
r=d["reports"][0]; t=r["timeline"]; ev=[e for c in t["connections"][:1] for e in c["events"]]
at=lambda xs: "%.1f" % ((max(xs) - t["start_ns"]) / 1e6) if xs else "-"
print(at([q["response"]["time_ns"] for q in t["dns"] if q.get("response") and q["licensing"]]),
      at([e["time_ns"] for e in ev if e["type"] == "tcp_established"]),
      at([e["time_ns"] for e in ev if e["type"] == "tls_certificate"]),
      " ".join([x["verdict"] for x in d["reports"]] +
               ["revocation-fetch-" + c["verdict"] for x in d["reports"] for c in x["timeline"]["connections"] if c["revocation"]]))' "$WORK/bench-$kind.json")" >> "$out"
      [ "$kind" = revocation ] && dns 203.0.113.40 203.0.113.42
    done
  done
  python3 - "$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    rows.setdefault(k, []).append(v)
med = lambda xs: statistics.median(xs)
print("| path | tool | DNS | TCP connect | TLS done | total (median of %d) |" % len(rows["curl-direct"]))
print("|---|---|---|---|---|---|")
for k in ("curl-direct", "curl-proxy"):
    cols = [med([float(r[i]) * 1000 for r in rows[k]]) for i in range(4)]
    print(f"| {k[5:]} | curl -w | {cols[0]:.0f} ms | {cols[1]:.0f} ms | {cols[2]:.0f} ms | {cols[3]:.0f} ms |")
for k in ("licpath-direct", "licpath-proxy", "licpath-three", "licpath-revocation"):
    verdicts = {v for r in rows[k] for v in r[4:]}
    total = med([int(r[0]) / 1000 for r in rows[k]])
    steps = [med([float(r[i]) for r in rows[k]]) if all(r[i] != "-" for r in rows[k]) else None for i in (1, 2, 3)]
    cell = lambda x: "" if x is None else f"{x:.0f} ms"
    print(f"| {k[8:]} | licpath check (whole process; steps of the first target) | {cell(steps[0])} | {cell(steps[1])} | {cell(steps[2])} | {total:.0f} ms (verdicts: {', '.join(sorted(verdicts))}) |")
PY
}

# `check --from-config` over many switches behind the 300 ms delay line (BENCHMARKS.md,
# "Fleet"): N texts (default 50) whose plans all differ (each its own URL path: nothing is
# shared, every switch is one probe), with the default --concurrency and with 1; and N
# identical texts (one probe for all). Every leg crosses the delay line (DNS on .42, nginx
# on .40, the CRL/OCSP names on .40 too).
fleet_bench() { # bin [switches]
  local bin=$1 n=${2:-50} dir="$WORK/fleet" out="$WORK/fleet-bench.txt"
  dns 203.0.113.40,crl=203.0.113.40 203.0.113.42
  rm -rf "$dir"; mkdir -p "$dir/distinct" "$dir/same"; : > "$out"
  local i
  for i in $(seq -w 1 "$n"); do
    printf 'hostname sw%s\n!\nip name-server 203.0.113.42\nlicense smart transport smart\nlicense smart url smart https://smartreceiver.cisco.com/licservice/license/sw%s\n' "$i" "$i" > "$dir/distinct/sw$i.txt"
    printf 'hostname sw%s\n!\nip name-server 203.0.113.42\nlicense smart transport smart\nlicense smart url smart https://smartreceiver.cisco.com/licservice/license\n' "$i" > "$dir/same/sw$i.txt"
  done
  local trust=(--trust-store "$WORK/pki/device-trustpool.pem") run kind conc t0 ms ok
  for run in distinct:default distinct:1 same:default; do
    kind=${run%%:*} conc=${run#*:}
    local cargs=(); [ "$conc" = default ] || cargs=(--concurrency "$conc")
    t0=$(date +%s%N)
    $SWX "$bin" check --from-config "$dir/$kind" "${trust[@]}" "${cargs[@]}" > "$dir/$kind-$conc.txt" 2>"$dir/$kind-$conc.err" || true
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    ok=$(grep -cE '^sw[0-9]+  OK ' "$dir/$kind-$conc.txt" || true)
    echo "$kind $conc $ms $ok $(wc -l < "$dir/$kind-$conc.txt")" >> "$out"
  done
  echo "| switches | plans | --concurrency | wall time | lines OK |"
  echo "|---|---|---|---|---|"
  while read -r kind conc ms ok lines; do
    local plans=$n; [ "$kind" = same ] && plans=1
    [ "$conc" = default ] && conc="default (16)"
    printf '| %s | %s distinct | %s | %d.%03d s | %s of %s |\n' "$n" "$plans" "$conc" $((ms / 1000)) $((ms % 1000)) "$ok" "$lines"
  done < "$out"
  # Every line must be OK: a failed probe would make the timing meaningless.
  ! awk '$4 != $5 { bad = 1 } END { exit !bad }' "$out"
}

# ---------------------------------------------------------------- watch mode
# `licpath watch --interface` live (issue 24): four "switches", each a namespace of its own
# (lp-w1..4, 192.0.2.98-101/28) on a bridge wbr0 in lp-srv (192.0.2.97, the router to every
# lab server), try licensing every 3 s for WATCH_SECONDS (60): healthy direct, through squid,
# through the intercepting squid (ssl-bump, TLS 1.2), and one whose name server answers
# NXDOMAIN (a dnsmasq of its own on 198.51.100.57). watch runs in lp-srv on wbr0 (AF_PACKET;
# the ports' own copies of each frame must not count: the kernel filter keeps wbr0's) with
# the four switches' texts; each attempt must get one line with the right verdict and code,
# and the metrics file must pass promtool.
watch_check() { # bin
  local bin=$1 dir="$WORK/watch" secs=${WATCH_SECONDS:-60} fail=0
  echo "lab: licpath watch --interface wbr0, four switches trying for $secs s"
  rm -rf "$dir"; mkdir -p "$dir/prom"
  dns 203.0.113.10 198.51.100.53
  $SRVX ip addr add 198.51.100.57/32 dev srv0 2>/dev/null || true
  $SRVX dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=198.51.100.57 \
    --port=53 --pid-file= --user=root --local=/cisco.com/ --log-facility="$WORK/logs/dnsmasq-nx.log" &
  echo $! > "$WORK/dnsmasq-nx.pid"
  $SRVX ip link add wbr0 type bridge 2>/dev/null || true
  $SRVX ip addr add 192.0.2.97/28 dev wbr0; $SRVX ip link set wbr0 up
  local names=(sw-direct sw-squid sw-bump sw-dns) i ns addr
  local extra=("" $'license smart proxy address 198.51.100.3\nlicense smart proxy port 3128' \
    $'license smart proxy address 198.51.100.3\nlicense smart proxy port 3131' "")
  local nameservers=(198.51.100.53 198.51.100.53 198.51.100.53 198.51.100.57) cfgs=()
  for i in 0 1 2 3; do
    ns=${WATCH_NS[$i]} addr=192.0.2.$((98 + i))
    ip netns add "$ns"
    ip link add "wv$i" netns "$ns" type veth peer name "wp$i" netns $SRV
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip addr add "$addr/28" dev "wv$i"; ip netns exec "$ns" ip link set "wv$i" up
    ip netns exec "$ns" ip route add default via 192.0.2.97
    ip netns exec "$ns" ethtool -K "wv$i" gro off gso off tso off >/dev/null 2>&1 || true
    $SRVX ethtool -K "wp$i" gro off gso off tso off >/dev/null 2>&1 || true
    $SRVX ip link set "wp$i" master wbr0; $SRVX ip link set "wp$i" up
    mkdir -p "/etc/netns/$ns"
    printf 'nameserver %s\noptions timeout:1 attempts:2\n' "${nameservers[$i]}" > "/etc/netns/$ns/resolv.conf"
    printf 'hostname %s\n!\ninterface Vlan1\n ip address %s 255.255.255.240\n!\nip name-server %s\nlicense smart transport smart\nlicense smart url smart %s\n%s\n' \
      "${names[$i]}" "$addr" "${nameservers[$i]}" "$URL" "${extra[$i]}" > "$dir/${names[$i]}.txt"
    cfgs+=(--from-config "$dir/${names[$i]}.txt")
  done
  $SRVX "$bin" watch --interface wbr0 --format jsonl "${cfgs[@]}" --textfile-dir "$dir/prom" --interval 5 \
    > "$dir/watch.jsonl" 2> "$dir/watch.err" &
  local wpid=$!
  sleep 1
  local cmds=("${CURL_BASE[*]} $URL" "${CURL_BASE[*]} --proxy1.0 198.51.100.3:3128 $URL" \
    "${CURL_BASE[*]} $T12 --proxy1.0 198.51.100.3:3131 $URL" "${CURL_BASE[*]} $URL")
  local pids=()
  for i in 0 1 2 3; do
    (
      end=$((SECONDS + secs)) n=0
      while [ $SECONDS -lt $end ]; do
        # shellcheck disable=SC2086
        ip netns exec "${WATCH_NS[$i]}" ${cmds[$i]} 2>/dev/null || true
        n=$((n + 1)); sleep 3
      done
      echo "$n" > "$dir/${names[$i]}.attempts"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  sleep 3
  kill -TERM "$wpid" 2>/dev/null || true
  local code=0; wait "$wpid" || code=$?
  local promtool_out
  promtool_out=$(promtool check metrics < "$dir/prom/licpath-watch.prom" 2>&1) || { echo "  FAIL watch: promtool check metrics: $promtool_out"; fail=1; }
  python3 - "$dir" "$code" <<'PY' || fail=1
import json, sys, os
d, code = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(f"{d}/watch.jsonl") if l.strip()]
err = open(f"{d}/watch.err").read()
problems = [] if code == "0" else [f"watch exited {code}: {err}"]
# switch -> (kind, verdict, primary code) expected of every line of that kind, and the
# kinds each attempt makes (a direct attempt looks its name up first).
want = {
    "sw-direct": {"dns": ("ok", None), "connection": ("ok", None)},
    "sw-squid": {"connection": ("ok", None)},
    "sw-bump": {"connection": ("failed", "ssl_interception")},
    "sw-dns": {"dns": ("failed", "dns_nxdomain")},
}
for sw, kinds in want.items():
    n = int(open(f"{d}/{sw}.attempts").read())
    mine = [l for l in lines if l["switch"] == sw]
    for kind, (verdict, primary) in kinds.items():
        of = [l for l in mine if l["kind"] == kind]
        if len(of) != n:
            problems.append(f"{sw}: {len(of)} {kind} lines for {n} attempts")
        for l in of:
            got = (l["verdict"], (l.get("primary") or {}).get("code"))
            if got[0] != verdict or (primary and got[1] != primary):
                problems.append(f"{sw}: {kind} {l['target']}: {got}, expected {(verdict, primary)}")
    other = [l["kind"] for l in mine if l["kind"] not in kinds]
    if other:
        problems.append(f"{sw}: unexpected lines {other}")
strangers = {l["switch"] for l in lines} - set(want)
if strangers:
    problems.append(f"lines of no switch: {sorted(strangers)}")
if "promiscuous" not in err:
    problems.append("no warning that wbr0 is not promiscuous")
if problems:
    print("  FAIL watch: " + "\n       ".join(problems[:12])); sys.exit(1)
print(f"  ok   watch: {len(lines)} lines, " + ", ".join(
    f"{sw} {sum(1 for l in lines if l['switch'] == sw)}" for sw in want) + " (each attempt judged once, right)")
PY
  return $fail
}

# The static binary (scripts/release.sh: the musl release binary, or LICPATH_STATIC_BIN, e.g.
# the glibc crt-static one) in an empty chroot inside the switch namespace:
# only the binary, a resolv.conf naming the lab's name server and the lab's trustpool.
# `probe` against the healthy path must succeed with no shared library and no file of the
# host; ldd must not see a dynamic executable. Not part of `check`: the static build takes
# minutes (it is built here when absent).
chroot_probe() {
  local bin=${LICPATH_STATIC_BIN:-$REPO/target/x86_64-unknown-linux-musl/release/licpath}
  [ -x "$bin" ] || "$REPO/scripts/release.sh" --musl >/dev/null
  local lddout; lddout=$(ldd "$bin" 2>&1 || true)
  if ! grep -qE 'not a dynamic executable|statically linked' <<<"$lddout"; then
    echo "  FAIL chroot-probe: $bin is dynamic: $lddout"; return 1
  fi
  local root="$WORK/chroot"
  rm -rf "$root"; mkdir -p "$root/etc"
  cp "$bin" "$root/licpath"
  cp "$WORK/pki/device-trustpool.pem" "$root/trustpool.pem"
  echo "nameserver 198.51.100.53" > "$root/etc/resolv.conf"
  dns 203.0.113.10 198.51.100.53
  local code=0 out
  out=$($SWX chroot "$root" /licpath probe --trust-store /trustpool.pem smart 2>&1) || code=$?
  local files; files=$(cd "$root" && find . -type f | sort | tr '\n' ' ')
  if [ "$code" = 0 ] && grep -q 'verdict: OK' <<<"$out"; then
    echo "  ok   chroot-probe: $(basename "$(dirname "$(dirname "$bin")")"): ldd: $(head -1 <<<"$lddout" | sed 's/^[[:space:]]*//'); probe in an empty chroot ($files) exit 0, verdict OK"
  else
    echo "  FAIL chroot-probe: exit $code"; sed 's/^/       /' <<<"$out"; return 1
  fi
}

check() {
  local bin; bin=$(licpath_bin)
  local fresh="$WORK/fresh"; rm -rf "$fresh"
  up
  capture_all "$fresh"
  local fail=0
  echo "lab: licpath on freshly captured scenarios"
  for exp in "$fresh"/*.expected; do
    local n; n=$(basename "$exp" .expected)
    local pcap; pcap=$(ls "$fresh/$n".pcap* 2>/dev/null | head -1)
    if msg=$(check_capture "$pcap" "$exp" "$bin"); then echo "  ok   $n"; else echo "  FAIL $n: $msg"; fail=1; fi
  done
  echo "lab: tshark agrees with the names of the committed captures"
  for exp in "$REPO"/captures/*.expected; do
    local n; n=$(basename "$exp" .expected)
    local pcap; pcap=$(ls "$REPO/captures/$n".pcap* 2>/dev/null | head -1)
    local filter; filter=$(sed -n 's/^tshark=//p' "$exp")
    [ -n "$filter" ] || continue
    local hits; hits=$(tshark -r "$pcap" -Y "$filter" 2>/dev/null | wc -l)
    if [ "$hits" -gt 0 ]; then echo "  ok   $n ($hits frames match: $filter)"; else echo "  FAIL $n: no frame matches '$filter'"; fail=1; fi
  done
  probe_check "$bin" || fail=1
  tui_check "$bin" || fail=1
  watch_check "$bin" || fail=1
  return $fail
}

trap down EXIT
case ${1:-} in
  up) trap - EXIT; up; echo "lab is up (lab.sh down to remove)";;
  down) trap - EXIT; down;;
  capture) shift; up; capture_all "$REPO/captures" "$@";;
  check) check;;
  probe) bin=$(licpath_bin); up; shift; [ $# -gt 0 ] && PROBE_NAMES=("$@"); probe_check "$bin";;
  tui) bin=$(licpath_bin); up; tui_check "$bin";;
  rtt-bench) bin=$(licpath_bin); up; rtt_bench "$bin" "${2:-5}";;
  fleet-bench) bin=${LICPATH_BIN:-$(licpath_bin)}; up; fleet_bench "$bin" "${2:-50}";;
  chroot-probe) up; chroot_probe;;
  watch) bin=${LICPATH_BIN:-$(licpath_bin)}; up; watch_check "$bin";;
  *) sed -n '2,20p' "$0"; exit 2;;
esac
