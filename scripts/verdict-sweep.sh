#!/usr/bin/env bash
# Issue 22's "no healthy path or healthy switch becomes failed": one line per input and
# mode with the exit status, the verdict, the primary finding's code and every code, over every
# capture (captures/, ../shared/captures/public: plain, --all, and captures/'s .expected
# args), every pasted capture (../shared/epc-real) and every switch text (tests/data/ios,
# ../shared/ios-real: analyze --logs and check --plan-only --from-config). Run it with the
# binary before and after a change and diff the two files:
#   scripts/verdict-sweep.sh /tmp/old/licpath > /tmp/before.tsv
#   scripts/verdict-sweep.sh target/debug/licpath > /tmp/after.tsv
#   diff /tmp/before.tsv /tmp/after.tsv
# A line that goes from ok (or a switch text's exit 0/3) to failed is a defect unless the
# raw material shows the failure.
set -uo pipefail
BIN=$(realpath "${1:?usage: verdict-sweep.sh LICPATH_BINARY}")
cd "$(dirname "$0")/.."
shopt -s nullglob
# verdict, primary code and every code:severity of `analyze --json` (or `check --plan-only --json`: plan findings).
summary() {
  python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    print("-\t-\t-"); sys.exit()
if "plan" in d:
    fs = d["plan"].get("findings") or []
    first = next((f["code"] for s in ("error", "warning", "info") for f in fs if f["severity"] == s), "-")
    head = (d["plan"].get("plan") or {}).get("transport", "-") + "\t" + first
else:
    r = (d.get("reports") or [{}])[0]
    t = r.get("timeline") or {}
    fs = (t.get("findings") or []) + [f for c in t.get("connections") or [] for f in c.get("findings") or []]
    head = r.get("verdict", "-") + "\t" + ((r.get("primary") or {}).get("code") or "-")
print(head + "\t" + (",".join(sorted({f["code"] + ":" + f["severity"] for f in fs})) or "-"))
'
}
line() { # input mode args...
  local input=$1 mode=$2; shift 2
  local out rc
  out=$(NO_COLOR=1 "$BIN" "$@" 2>/dev/null); rc=$?
  printf '%s\t%s\t%s\t%s\n' "$input" "$mode" "$rc" "$(summary <<<"$out")"
}
caps=(captures/*.pcap captures/*.pcapng captures/*.gz)
[ -d ../shared/captures/public ] && caps+=(../shared/captures/public/*.pcap ../shared/captures/public/*.pcapng ../shared/captures/public/*.cap)
for f in "${caps[@]}"; do
  line "$f" plain analyze --json "$f"
  line "$f" all analyze --json --all "$f"
  exp="${f%.*}.expected"
  if [ -f "$exp" ] && args=$(sed -n 's/^args=//p' "$exp") && [ -n "$args" ]; then
    # shellcheck disable=SC2086
    line "$f" "expected($args)" analyze --json $args "$f"
  fi
done
[ -d ../shared/epc-real ] && for f in ../shared/epc-real/*.txt; do
  line "$f" text-capture analyze --json "$f"
done
texts=(tests/data/ios/*.txt)
[ -d ../shared/ios-real ] && texts+=(../shared/ios-real/*.txt)
for f in "${texts[@]}"; do
  line "$f" logs analyze --json --logs "$f"
  line "$f" plan check --plan-only --json --from-config "$f"
done
