#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300), one after the other, seeding the
# capture-level targets with the lab's captures. Needs cargo-fuzz (`cargo install
# cargo-fuzz`) and the nightly toolchain, or stable with RUSTC_BOOTSTRAP=1 (used when no
# nightly is installed). The file-writing targets (output_file, annotate, textfile) work in $TMPDIR,
# /dev/shm by default: each run fsyncs what it commits, which a disk makes 20 times slower. Crashers land in fuzz/artifacts/TARGET/;
# copy them to tests/data/fuzz/ and add them to tests/fuzz_regressions.rs.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(capture_file frame tls_stream certificate dns_message http_head url escape reach output_file text_capture annotate textfile)
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then fuzz=(cargo +nightly fuzz); else fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz); fi
[ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
mkdir -p corpus/capture_file corpus/annotate corpus/output_file
cp -n ../captures/*.pcap ../captures/*.pcapng corpus/capture_file/ 2>/dev/null || true
# annotate: two bytes of --max-output (in 64-byte units) before the capture: 4 MiB and 1 KiB.
for f in ../captures/*.pcap ../captures/*.pcapng; do
  [ -e "corpus/annotate/big-${f##*/}" ] || { printf '\xff\xff'; cat "$f"; } > "corpus/annotate/big-${f##*/}"
  [ -e "corpus/annotate/small-${f##*/}" ] || { printf '\x10\x00'; cat "$f"; } > "corpus/annotate/small-${f##*/}"
done
# output_file: NAME, NUL, the bytes to write; the names the scratch directory holds.
for n in pipe pipe-link null link dangling dir new input dir/new; do
  printf '%s\0some bytes to write' "$n" > "corpus/output_file/seed-${n//\//_}"
done
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  "${fuzz[@]}" run -O "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|SUMMARY|panicked|ERROR" || true
  echo "   corpus: $(ls "corpus/$t" | wc -l) inputs; crashers: $(ls "artifacts/$t" 2>/dev/null | wc -l)"
done
