#!/usr/bin/env bash
# Everything json-snapshot.sh writes, plus the other outputs a refactoring can touch:
# HTML, Markdown and annotated pcapng of every capture; `check --plan-only` (text and JSON)
# and `analyze --logs` (text and JSON) over every switch text in tests/data/ios and, when
# it is there, ../shared/ios-real. Used to prove a refactoring changes no behaviour:
#   scripts/full-snapshot.sh target/debug/licpath /tmp/before
#   ... change ...
#   scripts/full-snapshot.sh target/debug/licpath /tmp/after && diff -r /tmp/before /tmp/after
# (The TUI's own snapshots are insta's: `cargo test --test tui`.)
set -uo pipefail
BIN=${1:?usage: full-snapshot.sh LICPATH_BINARY OUT_DIR}
OUT=${2:?usage: full-snapshot.sh LICPATH_BINARY OUT_DIR}
BIN=$(realpath "$BIN")
cd "$(dirname "$0")/.."
scripts/json-snapshot.sh "$BIN" "$OUT/json" >/dev/null
mkdir -p "$OUT/docs" "$OUT/ios"
shopt -s nullglob
files=(captures/*.pcap captures/*.pcapng captures/*.gz)
[ -d ../shared/captures/public ] && files+=(../shared/captures/public/*.pcap ../shared/captures/public/*.pcapng ../shared/captures/public/*.cap)
for f in "${files[@]}"; do
  n=$(basename "$f")
  { NO_COLOR=1 "$BIN" analyze --html "$OUT/docs/$n.html" --markdown "$OUT/docs/$n.md" \
      --annotate "$OUT/docs/$n.annotated.pcapng" "$f" 2>&1; echo "exit=$?"; } \
    | sed "s#$OUT#OUT#g" > "$OUT/docs/$n.out"
done
texts=(tests/data/ios/*.txt)
[ -d ../shared/ios-real ] && texts+=(../shared/ios-real/*.txt)
for f in "${texts[@]}"; do
  n=$(basename "$(dirname "$f")")__$(basename "$f")
  { NO_COLOR=1 "$BIN" check --plan-only --from-config "$f" 2>&1; echo "exit=$?"; } > "$OUT/ios/$n.plan.txt"
  { NO_COLOR=1 "$BIN" check --plan-only --json --from-config "$f" 2>&1; echo "exit=$?"; } > "$OUT/ios/$n.plan.json"
  { NO_COLOR=1 "$BIN" analyze --logs "$f" 2>&1; echo "exit=$?"; } > "$OUT/ios/$n.logs.txt"
  { NO_COLOR=1 "$BIN" analyze --json --logs "$f" 2>&1; echo "exit=$?"; } > "$OUT/ios/$n.logs.json"
done
echo "full-snapshot: ${#files[@]} captures, ${#texts[@]} switch texts written to $OUT"
