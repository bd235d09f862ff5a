#!/usr/bin/env bash
# Peak RSS of every output format on the long-strings capture of issue 28 item 9
# (BENCHMARKS.md, "peak RSS per output format on the long-strings input"):
#   scripts/bench-long-strings.sh [LICPATH_BINARY] [WORK_DIR]
# Generates the capture with scripts/gen-long-strings.py into WORK_DIR (default
# /tmp/long-strings), runs each format under /usr/bin/time -v and prints one row per
# format: peak RSS (maximum resident set size) and the size of what was written. The work
# directory is removed afterwards.
set -uo pipefail
BIN=$(realpath "${1:-target/release/licpath}")
WORK=${2:-/tmp/long-strings}
cd "$(dirname "$0")/.."
mkdir -p "$WORK"
CAP=$WORK/long-strings.pcap
[ -f "$CAP" ] || scripts/gen-long-strings.py --out "$CAP" 2>/dev/null
echo "| format | command | peak RSS | output |"
echo "|---|---|---|---|"
run() { # NAME OUTPUT_FILE COMMAND...
  local name=$1 out=$2; shift 2
  /usr/bin/time -v -o "$WORK/time" "$@" > "$WORK/stdout" 2>/dev/null
  local kb; kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time")
  [ "$out" = - ] && out=$WORK/stdout
  local size; size=$(stat -c %s "$out" 2>/dev/null || echo 0)
  printf '| %s | `%s` | %.1f MB | %.1f MB |\n' "$name" "$(echo "$*" | sed -e "s#$WORK#W#g" -e "s#$BIN#licpath#g" -e 's#^sh -c ##' -e 's#"##g')" \
    "$(echo "$kb / 1024" | bc -l)" "$(echo "$size / 1048576" | bc -l)"
}
run text - "$BIN" analyze "$CAP"
run json - "$BIN" analyze --json "$CAP"
run jsonl - "$BIN" analyze --format jsonl "$CAP"
run html "$WORK/r.html" "$BIN" analyze --html "$WORK/r.html" "$CAP"
run markdown "$WORK/r.md" "$BIN" analyze --markdown "$WORK/r.md" "$CAP"
run annotate "$WORK/r.pcapng" "$BIN" analyze --annotate "$WORK/r.pcapng" "$CAP"
mkdir -p "$WORK/prom"
run prometheus "$WORK/prom/licpath-watch.prom" sh -c "\"$BIN\" watch --file - --textfile-dir \"$WORK/prom\" < \"$CAP\""
run watch-jsonl - sh -c "\"$BIN\" watch --file - --format jsonl < \"$CAP\""
rm -rf "$WORK"
