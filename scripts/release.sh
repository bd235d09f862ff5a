#!/usr/bin/env bash
# Builds the release binary linked statically (glibc with crt-static, x86_64 Linux), so it
# runs with no shared library: on any x86_64 Linux, in an empty chroot, or in IOS XE Guest
# Shell (docs/monitoring.md). Prints the binary's path, size and sha256.
#   scripts/release.sh            # build
#   scripts/release.sh --check    # build, then prove it: ldd and an empty chroot (root)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target "$TARGET"
BIN="target/$TARGET/release/licpath"
echo "$BIN: $(stat -c %s "$BIN") bytes, sha256 $(sha256sum "$BIN" | cut -d' ' -f1)"
[ "${1:-}" = --check ] || exit 0

# ldd must not find a dynamic executable.
if ldd "$BIN" >/dev/null 2>&1 && ! ldd "$BIN" 2>&1 | grep -q "statically linked"; then
  echo "FAIL: $BIN is dynamic:"; ldd "$BIN"; exit 1
fi
echo "ldd: $(ldd "$BIN" 2>&1 | head -1 | sed 's/^[[:space:]]*//')"
if [ "$(id -u)" != 0 ]; then echo "SKIP chroot: needs root"; exit 0; fi
ROOT=$(mktemp -d /tmp/licpath-chroot.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/etc"
cp "$BIN" "$ROOT/licpath"
cp captures/proxy-407.pcap "$ROOT/capture.pcap"
echo "nameserver 127.0.0.1" > "$ROOT/etc/resolv.conf"
set +e
out=$(chroot "$ROOT" /licpath analyze /capture.pcap 2>&1); code=$?
set -e
if [ "$code" != 1 ] || ! grep -q proxy_auth_required <<<"$out"; then
  echo "FAIL: analyze in an empty chroot: exit $code"; echo "$out"; exit 1
fi
echo "chroot ($(find "$ROOT" -type f | wc -l) files: the binary, resolv.conf, a capture): analyze exit 1 with proxy_auth_required, as outside"
