#!/usr/bin/env bash
# Throughput of the text-capture reader (issue 23): for each form, the text tshark makes of
# the lab's captures (healthy proxy and direct TLS 1.2/1.3, proxy 407, SYN dropped, reset on
# SNI, SSL interception) repeated to SIZE_MB, then `licpath analyze --json` on it: wall time,
# MB/s and peak RSS. Needs tshark and a release build.
#   scripts/bench-text.sh [SIZE_MB] [LICPATH]     (default 256, target/release/licpath)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-256}
bin=${2:-target/release/licpath}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
caps=(healthy-proxy healthy-direct-tls12 healthy-direct-tls13 proxy-407 syn-dropped tls-reset-on-sni ssl-interception-tls12)
for c in "${caps[@]}"; do
  f=captures/$c.pcap
  tshark -r "$f" >> "$tmp/brief.unit"
  tshark -r "$f" -T fields -E header=n -e frame.number -e frame.time_relative -e ip.src -e ip.dst \
    -e _ws.col.Protocol -e frame.len -e tcp.srcport -e tcp.dstport -e _ws.col.Info >> "$tmp/list.body"
  tshark -r "$f" -V >> "$tmp/detailed.unit"
  tshark -r "$f" -x -P >> "$tmp/hex.unit"
done
printf 'frame.number\tframe.time_relative\tip.src\tip.dst\t_ws.col.Protocol\tframe.len\ttcp.srcport\ttcp.dstport\t_ws.col.Info\n' > "$tmp/list.unit"
cat "$tmp/list.body" >> "$tmp/list.unit"
printf '| form | size | wall | MB/s | peak RSS | frames |\n|---|---|---|---|---|---|\n'
for form in brief list detailed hex; do
  unit="$tmp/$form.unit"; big="$tmp/$form.txt"
  [ "$form" = list ] && { head -1 "$unit" > "$big"; tail -n +2 "$unit" > "$tmp/rows"; unit="$tmp/rows"; } || : > "$big"
  # The unit repeated: first to a 1 MiB chunk, then the chunk (one cat per unit took ~30
  # min to make 1 GiB).
  : > "$tmp/chunk"
  while [ "$(stat -c %s "$tmp/chunk")" -lt $((1 << 20)) ]; do cat "$unit" >> "$tmp/chunk"; done
  while [ "$(stat -c %s "$big")" -lt $((size << 20)) ]; do cat "$tmp/chunk" >> "$big"; done
  bytes=$(stat -c %s "$big")
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" analyze --json --input-format "$form" "$big" > "$tmp/out.json" || true
  read -r secs rss < <(tail -1 "$tmp/time")
  frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reports"][0]["timeline"]["stats"]["frames"])' "$tmp/out.json")
  python3 -c "import sys; b,s,r,f=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]),sys.argv[4]; print(f'| {sys.argv[5]} | {b/2**20:.0f} MiB | {s:.2f} s | **{b/1e6/max(s,0.01):.0f}** | {r/1024:.0f} MiB | {int(f):,} |')" "$bytes" "$secs" "$rss" "$frames" "$form"
  rm -f "$big"
done
