#!/bin/bash
# usage (root): RATE=--pps=7500 scripts/watch-live-bench.sh LICPATH MIX.pcap [LOOPS]
# MIX.pcap from scripts/gen-watch-mix.py. Writes /tmp/bench-*; the namespace lpw-bench is removed at the end.
# WATCH_ARGS: context flags for watch (--proxy 198.51.100.3:3128: the lab captures' proxy, whose
# flows the kernel filter leaves out otherwise). A long run: LOOPS=0 (tcpreplay loops forever)
# with DURATION=600 (seconds); watch's RSS is sampled every 10 s into /tmp/bench-rss.txt (seconds since the start, VmHWM kB, VmRSS kB: the order of /proc/PID/status).
# tcpreplay --topspeed into a veth that `licpath watch --interface` reads, in a namespace.
set -u
NS=lpw-bench; BIN=$1; PCAP=$2; LOOPS=${3:-1}
ip netns del $NS 2>/dev/null
ip netns add $NS
ip -n $NS link add va type veth peer name vb
ip -n $NS link set va up; ip -n $NS link set vb up; ip -n $NS link set lo up
mkdir -p /tmp/bench-prom
ip netns exec $NS $BIN watch --interface vb ${WATCH_ARGS:-} --format jsonl --textfile-dir /tmp/bench-prom --interval 1 > /tmp/bench-lines.jsonl 2>/tmp/bench-err.txt &
W=$!
sleep 2
peak=0
: > /tmp/bench-rss.txt
( t=0; while kill -0 $W 2>/dev/null; do
    echo "$t $(awk '/VmRSS|VmHWM/{printf "%s ", $2}' /proc/$W/status 2>/dev/null)" >> /tmp/bench-rss.txt
    sleep 10; t=$((t + 10)); done ) &
S=$!
ip netns exec $NS tcpreplay ${RATE:---topspeed} --loop=$LOOPS ${DURATION:+--duration=$DURATION} -i va $PCAP 2>&1 | grep -E "Actual|Rated|Statistics|Successful|Failed" 
sleep ${SETTLE:-8}
grep -v "^#" /tmp/bench-prom/licpath-watch.prom | grep -E "drops|switches_forgotten"
# The kernel's own count of the socket's drops (sock_diag), beside licpath's.
echo "ss: $(ip netns exec $NS ss -0 -m | grep -o 'skmem:([^)]*)')"
echo "peak RSS (VmHWM) kB: $(awk '/VmHWM/{print $2}' /proc/$W/status)"
kill -TERM $W; wait $W; echo "watch exit $?"; kill $S 2>/dev/null
echo "lines: $(wc -l < /tmp/bench-lines.jsonl)"; head -c 300 /tmp/bench-err.txt
ip netns del $NS
