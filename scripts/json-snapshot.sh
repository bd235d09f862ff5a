#!/usr/bin/env bash
# Writes the analyser's JSON (and text) report of every capture in captures/ and, when it is
# there, ../shared/captures/public into OUT_DIR, one file per capture and mode, with the exit
# code. Used to prove a refactoring changes no behaviour:
#   scripts/json-snapshot.sh target/release/licpath /tmp/before
#   ... change ...
#   scripts/json-snapshot.sh target/release/licpath /tmp/after && diff -r /tmp/before /tmp/after
set -uo pipefail
BIN=${1:?usage: json-snapshot.sh LICPATH_BINARY OUT_DIR}
OUT=${2:?usage: json-snapshot.sh LICPATH_BINARY OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
shopt -s nullglob
files=(captures/*.pcap captures/*.pcapng captures/*.gz)
[ -d ../shared/captures/public ] && files+=(../shared/captures/public/*.pcap ../shared/captures/public/*.pcapng ../shared/captures/public/*.cap)
for f in "${files[@]}"; do
  name=$(basename "$f")
  for mode in plain all; do
    extra=(); [ "$mode" = all ] && extra=(--all)
    { NO_COLOR=1 "$BIN" analyze --json "${extra[@]}" "$f" 2>&1; echo "exit=$?"; } > "$OUT/$name.$mode.json"
    { NO_COLOR=1 "$BIN" analyze "${extra[@]}" "$f" 2>&1; echo "exit=$?"; } > "$OUT/$name.$mode.txt"
  done
done
echo "json-snapshot: ${#files[@]} captures written to $OUT"
