#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the lab needs (Debian packages,
# as root), checks style, runs every test. Usage: ./tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LAB_PACKAGES=(dnsmasq-base squid-openssl nginx-light tcpdump tshark openssl curl iproute2 iptables ethtool tmux libpcap-dev chromium man-db groff-base prometheus prometheus-node-exporter python3-yaml)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${LAB_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/run.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "tests/run.sh: not root (or no apt-get): lab packages not installed; lab tests will skip"
fi

# The default build needs no system library; with libpcap-dev the opt-in feature
# live-capture (probe --capture) is checked and tested too.
FEATURES=()
[ -f /usr/include/pcap/pcap.h ] && FEATURES=(--features live-capture)

cargo fmt --check
cargo clippy --all-targets -q -- -D warnings
[ ${#FEATURES[@]} -eq 0 ] || cargo clippy --all-targets -q "${FEATURES[@]}" -- -D warnings
# The Windows build at least compiles, lint-clean (no link, no test: scripts/release.sh
# --windows --check builds it and runs it under Wine). Only when the target is installed
# (`rustup target add x86_64-pc-windows-gnu`); the first run checks every dependency for
# that target (about 2 min of CPU), later ones only licpath.
if rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  cargo clippy --target x86_64-pc-windows-gnu -q -- -D warnings
else
  echo "tests/run.sh: rustup target x86_64-pc-windows-gnu not installed: Windows build not checked"
fi
if [ -x tests/lab/lab.sh ] && [ "$(id -u)" = 0 ]; then
  tests/lab/lab.sh check
fi
cargo test --release "${FEATURES[@]}"
# The whole suite once more in the debug profile, where integer overflow panics (decoders,
# flow arithmetic, dates, the integration tests' hostile inputs): a wrap that release would
# hide fails here.
cargo test "${FEATURES[@]}"
