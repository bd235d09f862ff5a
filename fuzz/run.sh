#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300), one after the other, seeding the
# capture-level targets with the lab's captures. Needs the nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). Crashers land in fuzz/artifacts/TARGET/;
# copy them to tests/data/fuzz/ and add them to tests/fuzz_regressions.rs.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(capture_file frame tls_stream certificate dns_message http_head url escape reach output_file text_capture)
mkdir -p corpus/capture_file
cp -n ../captures/*.pcap ../captures/*.pcapng corpus/capture_file/ 2>/dev/null || true
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|SUMMARY|panicked|ERROR" || true
  echo "   corpus: $(ls "corpus/$t" | wc -l) inputs; crashers: $(ls "artifacts/$t" 2>/dev/null | wc -l)"
done
