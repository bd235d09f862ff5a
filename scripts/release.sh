#!/usr/bin/env bash
# Release builds (docs/install.md) and their checks. Each build prints path, size, sha256
# and how long it took. Long (minutes per target): not part of tests/run.sh.
#   scripts/release.sh                  # the Linux release binary: musl, fully static
#   scripts/release.sh --musl           # the same
#   scripts/release.sh --glibc          # glibc with crt-static (kept for comparison)
#   scripts/release.sh --windows        # licpath.exe, x86_64-pc-windows-gnu (mingw-w64)
#   scripts/release.sh --deb            # target/deb/licpath_VERSION_amd64.deb (the musl binary)
#   scripts/release.sh --all            # --windows --musl --deb
#   add --check to prove each one (root for the chroot, the lab and the package test):
#     musl/glibc: statically linked, no getaddrinfo in the binary, `analyze` in an empty
#       chroot, `probe` against the lab from an empty chroot (tests/lab/lab.sh chroot-probe);
#     windows: a PE32+ that imports only Windows' own DLLs; under Wine, every capture of
#       captures/ gives byte-identical JSON and HTML to the Linux build, and `check` against
#       loopback servers (scripts/loopback-servers.py) gives the same lines;
#     deb: built twice byte-identical, then `apt install ./licpath_*.deb`, `licpath
#       --version`, `man licpath`, `complete -p licpath` in a login shell, `apt purge`
#       leaves no file behind.
# On a fresh Debian machine (as root) it installs what it needs: the rustup targets,
# gcc-mingw-w64-x86-64, musl-tools, wine, dpkg-dev, man-db, bash-completion.
set -euo pipefail
cd "$(dirname "$0")/.."
# Helpers the checks start in the background (scripts/loopback-servers.py) are stopped however
# the run ends: done, a failed step under set -e, Ctrl-C or SIGTERM. None is left listening.
BG_PIDS=()
stop_background() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
REPO=$PWD
export CARGO_INCREMENTAL=0

want_glibc=0 want_musl=0 want_windows=0 want_deb=0 check=0
for a in "$@"; do
  case $a in
    --glibc) want_glibc=1;;
    --musl) want_musl=1;;
    --windows) want_windows=1;;
    --deb) want_deb=1;;
    --all) want_windows=1 want_musl=1 want_deb=1;;
    --check) check=1;;
    *) sed -n '2,20p' "$0"; exit 2;;
  esac
done
[ $((want_glibc + want_musl + want_windows + want_deb)) -gt 0 ] || want_musl=1

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MUSL=target/x86_64-unknown-linux-musl/release/licpath
GLIBC=target/x86_64-unknown-linux-gnu/release/licpath
WIN=target/x86_64-pc-windows-gnu/release/licpath.exe
DEB=target/deb/licpath_${VERSION}_amd64.deb
FAILED=0
fail() { echo "  FAIL $*"; FAILED=1; }
ok() { echo "  ok   $*"; }

# ------------------------------------------------------------------ prerequisites
apt_need() { # packages -> installed when root and missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "release.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "release.sh: needs ${missing[*]} (install them, or run as root)"; exit 1
  fi
}
target_need() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1"
}
[ $want_windows = 1 ] && { target_need x86_64-pc-windows-gnu; apt_need gcc-mingw-w64-x86-64; }
[ $want_windows = 1 ] && [ $check = 1 ] && { apt_need wine64 wine python3 openssl; target_need x86_64-unknown-linux-musl; apt_need musl-tools; }
[ $want_musl = 1 ] || [ $want_deb = 1 ] && { target_need x86_64-unknown-linux-musl; apt_need musl-tools; }
[ $want_deb = 1 ] && apt_need dpkg-dev
[ $want_deb = 1 ] && [ $check = 1 ] && apt_need man-db bash-completion
[ $want_glibc = 1 ] && target_need x86_64-unknown-linux-gnu

# ------------------------------------------------------------------ builds
build() { # target path: builds, then prints path, size, sha256 and the time it took
  local t0=$SECONDS
  nice -n 10 cargo build -q --release --locked --target "$1"
  echo "$2: $(stat -c %s "$2") bytes, sha256 $(sha256sum "$2" | cut -d' ' -f1) (cargo build: $((SECONDS - t0)) s)"
}
# musl links statically by default (crt-static is the target's default: no flag needed).
if [ $want_musl = 1 ] || [ $want_deb = 1 ] || { [ $want_windows = 1 ] && [ $check = 1 ]; }; then
  build x86_64-unknown-linux-musl "$MUSL"
fi
if [ $want_glibc = 1 ]; then
  RUSTFLAGS="-C target-feature=+crt-static" build x86_64-unknown-linux-gnu "$GLIBC"
fi
[ $want_windows = 1 ] && build x86_64-pc-windows-gnu "$WIN"

# ------------------------------------------------------------------ the Debian package
# A plain dpkg-deb tree (no cargo-deb to install): every file dated from the last commit,
# owned by root, man pages gzipped with -n: the same commit gives the same .deb.
deb_build() {
  local root=target/deb/root epoch
  epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
  rm -rf "$root"; mkdir -p "$root/DEBIAN"
  install -D -m 0755 "$MUSL" "$root/usr/bin/licpath"
  mkdir -p "$root/usr/share/man/man1"
  "$MUSL" man --dir "$root/usr/share/man/man1" >/dev/null
  gzip -9n "$root"/usr/share/man/man1/*.1
  # bash: the eagerly loaded directory, so `complete -p licpath` answers in a new login shell
  # (the lazily loaded /usr/share/bash-completion/completions only after a first TAB).
  install -d "$root/etc/bash_completion.d" "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
  "$MUSL" completions bash > "$root/etc/bash_completion.d/licpath"
  "$MUSL" completions zsh > "$root/usr/share/zsh/vendor-completions/_licpath"
  "$MUSL" completions fish > "$root/usr/share/fish/vendor_completions.d/licpath.fish"
  local doc=$root/usr/share/doc/licpath
  install -d "$doc/examples/monitoring"
  cp README.md docs/install.md docs/monitoring.md docs/findings.md "$doc/"
  cp docs/monitoring/* "$doc/examples/monitoring/"
  cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: licpath
Files: *
License: see the project's repository
EOF
  printf '%s\n' /etc/bash_completion.d/licpath > "$root/DEBIAN/conffiles"
  local size; size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  cat > "$root/DEBIAN/control" <<EOF
Package: licpath
Version: $VERSION
Architecture: amd64
Maintainer: licpath maintainers <licpath@localhost>
Installed-Size: $size
Section: net
Priority: optional
Suggests: bash-completion
Homepage: https://github.com/licpath/licpath
Description: diagnose why a Cisco switch cannot reach Cisco Smart Licensing
 licpath reconstructs the path a Catalyst switch takes to Cisco Smart Licensing
 (DNS, TCP, HTTP CONNECT, TLS) from packet captures, or probes it live from this
 host, names the step that failed with evidence, and prints the IOS XE
 configuration that fixes it. One static binary (musl): no dependency.
EOF
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f ! -path "*/usr/bin/*" -exec chmod 0644 {} +
  find "$root" -exec touch -h -d "@$epoch" {} +
  SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$root" "$1" >/dev/null
}
if [ $want_deb = 1 ]; then
  deb_build "$DEB"
  echo "$DEB: $(stat -c %s "$DEB") bytes, sha256 $(sha256sum "$DEB" | cut -d' ' -f1)"
fi
[ $check = 1 ] || exit 0

# ------------------------------------------------------------------ checks
static_check() { # binary
  local bin=$1 lddout
  echo "checks: $bin"
  lddout=$(ldd "$bin" 2>&1 || true)
  if grep -qE 'not a dynamic executable|statically linked' <<<"$lddout"; then
    ok "ldd: $(head -1 <<<"$lddout" | sed 's/^[[:space:]]*//'); file: $(file -b "$bin" | cut -d, -f1-2,4)"
  else
    fail "$bin is dynamic: $lddout"
  fi
  # Names are resolved by licpath's own DNS client (hickory-proto queries, src/probe/dns.rs):
  # no code path may reach the C library's resolver. The symbol table says whether one is
  # linked in at all (the release profile keeps symbols).
  local syms; syms=$(nm "$bin" 2>/dev/null | grep -cE ' (getaddrinfo|gethostbyname|gethostbyname2|getnameinfo)$' || true)
  if [ "$(nm "$bin" 2>/dev/null | wc -l)" -lt 1000 ]; then
    fail "nm: no symbol table in $bin (stripped?): cannot look for getaddrinfo"
  elif [ "$syms" = 0 ]; then
    ok "nm: no getaddrinfo/gethostbyname/getnameinfo in the binary: no code path can call the C resolver"
  else
    fail "nm: the C resolver is linked in: $(nm "$bin" | grep -E ' (getaddrinfo|gethostbyname|getnameinfo)')"
  fi
  [ "$(id -u)" = 0 ] || { echo "  SKIP chroot: needs root"; return 0; }
  local root; root=$(mktemp -d /tmp/licpath-chroot.XXXXXX)
  mkdir -p "$root/etc"
  cp "$bin" "$root/licpath"
  cp captures/proxy-407.pcap "$root/capture.pcap"
  echo "nameserver 127.0.0.1" > "$root/etc/resolv.conf"
  local code=0 out
  out=$(chroot "$root" /licpath analyze /capture.pcap 2>&1) || code=$?
  if [ "$code" = 1 ] && grep -q proxy_auth_required <<<"$out"; then
    ok "chroot ($(find "$root" -type f | wc -l) files: the binary, resolv.conf, a capture): analyze exit 1 with proxy_auth_required, as outside"
  else
    fail "analyze in an empty chroot: exit $code"; echo "$out"
  fi
  if "$bin" watch --help >/dev/null 2>&1; then
    cp captures/proxy-407.pcap "$root/watched.pcap"
    # watch follows the file until stopped: 10 s is long enough to read a finished capture.
    code=0; out=$(timeout 10 chroot "$root" /licpath watch --file /watched.pcap 2>&1) || code=$?
    if grep -q proxy_auth_required <<<"$out"; then ok "chroot: watch --file reported proxy_auth_required (exit $code)"
    else fail "watch --file in an empty chroot: exit $code"; echo "$out"; fi
  else
    echo "  SKIP watch --file: this build has no watch subcommand"
  fi
  rm -rf "$root"
  if [ -x tests/lab/lab.sh ]; then
    out=$(LICPATH_STATIC_BIN="$REPO/$bin" tests/lab/lab.sh chroot-probe 2>&1) || true
    if grep -q '^  ok   chroot-probe' <<<"$out"; then echo "$out" | grep 'chroot-probe' | sed 's/^ *ok   /  ok   lab /'
    elif grep -q SKIP <<<"$out"; then echo "  $out"
    else fail "lab chroot-probe:"; echo "$out" | tail -20; fi
  fi
}

windows_check() {
  echo "checks: $WIN"
  local pe dlls
  pe=$(file -b "$WIN")
  if grep -q 'PE32+ executable (console) x86-64' <<<"$pe"; then ok "file: $pe"; else fail "file: $pe"; fi
  dlls=$(x86_64-w64-mingw32-objdump -p "$WIN" | sed -n 's/^\s*DLL Name: //p' | sort -u | tr '\n' ' ')
  if grep -qiE 'libgcc|libstdc|winpthread|mingw' <<<"$dlls"; then fail "imports a mingw DLL: $dlls"
  else ok "imports only Windows' DLLs: $dlls"; fi
  export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$REPO/target/wine-prefix}
  unset DISPLAY
  local wine; wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
  local t0=$SECONDS
  "$wine" wineboot --init >/dev/null 2>&1 || true
  # Wine 8 (Debian 12) lacks bcryptprimitives.dll, which Rust's std imports (ProcessPrng,
  # Windows 10+); Wine 9 has it. A test-only stand-in (scripts/wine-bcryptprimitives.c)
  # goes into the Wine prefix, never into a release file.
  local sys32="$WINEPREFIX/drive_c/windows/system32"
  if [ ! -e "$sys32/bcryptprimitives.dll" ] && [ ! -e /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/bcryptprimitives.dll ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" scripts/wine-bcryptprimitives.c -ladvapi32 -Wl,--kill-at
    echo "  wine: no bcryptprimitives.dll: the test stand-in from scripts/wine-bcryptprimitives.c installed in the prefix"
  fi
  echo "  wine: $("$wine" --version) (prefix ready in $((SECONDS - t0)) s)"
  local out=target/wine-compare; rm -rf "$out"; mkdir -p "$out/linux" "$out/windows"
  # The same relative paths on both sides: a report names its input file as given.
  local n=0 same=0 code_l code_w f name
  t0=$SECONDS
  for f in captures/*.pcap captures/*.pcapng captures/*.gz; do
    [ -e "$f" ] || continue
    n=$((n + 1)); name=$(basename "$f")
    code_l=0; "$MUSL" analyze --json --html "$out/linux/$name.html" "$f" > "$out/linux/$name.json" 2>"$out/linux/$name.err" || code_l=$?
    code_w=0; "$wine" "$WIN" analyze --json --html "$out/windows/$name.html" "$f" > "$out/windows/$name.json" 2>"$out/windows/$name.err" || code_w=$?
    if [ "$code_l" != "$code_w" ]; then fail "$name: exit $code_l on Linux, $code_w under Wine"
    elif ! cmp -s "$out/linux/$name.json" "$out/windows/$name.json"; then fail "$name: JSON differs"; diff "$out/linux/$name.json" "$out/windows/$name.json" | head -5 || true
    elif ! cmp -s "$out/linux/$name.html" "$out/windows/$name.html"; then fail "$name: HTML differs"; diff "$out/linux/$name.html" "$out/windows/$name.html" | head -5 || true
    else same=$((same + 1)); fi
  done
  [ "$same" = "$n" ] && ok "wine: $same/$n captures: byte-identical JSON and HTML, same exit codes ($((SECONDS - t0)) s)"
  # A Windows path: drive letter and backslashes (Wine maps Z: to /).
  local winpath; winpath="Z:$(sed 's#/#\\#g' <<<"$REPO/captures/proxy-407.pcap")"
  local code=0 o; o=$("$wine" "$WIN" analyze "$winpath" 2>&1) || code=$?
  if [ "$code" = 1 ] && grep -q proxy_auth_required <<<"$o"; then ok "wine: analyze '$winpath' exit 1, proxy_auth_required"
  else fail "wine: analyze '$winpath': exit $code"; echo "$o" | head -5; fi
  code=0; o=$("$wine" "$WIN" check --source-interface eth0 smart 2>&1) || code=$?
  if [ "$code" = 2 ] && grep -q 'Linux-only' <<<"$o"; then ok "wine: --source-interface: exit 2, '$(head -1 <<<"$o")'"
  else fail "wine: --source-interface: exit $code: $o"; fi
  loopback_check "$wine"
}

loopback_check() { # wine
  local d=target/loopback; rm -rf "$d"
  bash tests/lab/pki.sh "$d" >/dev/null
  python3 scripts/loopback-servers.py "$d" & local pid=$!
  BG_PIDS+=("$pid")
  local i; for i in $(seq 50); do [ -f "$d/ports" ] && break; sleep 0.2; done
  [ -f "$d/ports" ] || { fail "loopback servers did not start"; kill "$pid"; return; }
  declare -A P; local k v
  while IFS== read -r k v; do P[$k]=$v; done < "$d/ports"
  # Relative paths: both builds print the trust store's path as given.
  local H=smartreceiver.cisco.com R="--resolve smartreceiver.cisco.com=127.0.0.1"
  local T=(--trust-store "$d/device-trustpool.pem" --no-revocation --tcp-timeout 2 --tls-timeout 2 --http-timeout 2 --proxy-timeout 2)
  local cases=(
    "ok|$R https://$H:${P[ok]}/"
    "expired|$R https://$H:${P[expired]}/"
    "wrongname|$R https://$H:${P[wrongname]}/"
    "untrusted-root|$R https://$H:${P[digicert]}/"
    "reset|$R https://$H:${P[reset]}/"
    "not-tls|$R https://$H:${P[plain]}/"
    "refused|$R https://$H:${P[refused]}/"
    "proxy|--proxy 127.0.0.1:${P[proxy]} https://$H:${P[ok]}/"
    "proxy407|--proxy 127.0.0.1:${P[proxy407]} https://$H:${P[ok]}/"
    "dns|--dns-server 127.0.0.1:${P[dns]} https://$H:${P[ok]}/"
    "nxdomain|--dns-server 127.0.0.1:${P[dns]} https://nosuch.cisco.com:${P[ok]}/"
    "dns-silent|--dns-server 127.0.0.1:${P[dnsmute]} --dns-timeout 0.5 --dns-retry 0 https://$H:${P[ok]}/"
    "three|$R https://$H:${P[ok]}/ https://$H:${P[refused]}/ https://$H:${P[reset]}/"
  )
  # Durations ("21 ms", "reset 2 ms after") differ from run to run on one OS too: the
  # only thing replaced before comparing.
  norm() { sed -E 's/[0-9]+ ms\b/N ms/g'; }
  wine_rst() { sed -E 's/(tls_reset: .*)the connection was closed \(FIN\)/\1the connection was reset/'; }
  local c name args l w cl cw same=0 verdicts=()
  for c in "${cases[@]}"; do
    name=${c%%|*}; args=${c#*|}
    # shellcheck disable=SC2086
    { cl=0; l=$(NO_COLOR=1 "$MUSL" check "${T[@]}" $args 2>&1 | norm; exit "${PIPESTATUS[0]}") || cl=$?; }
    # shellcheck disable=SC2086
    { cw=0; w=$(NO_COLOR=1 "$1" "$WIN" check "${T[@]}" $args 2>&1 | norm; exit "${PIPESTATUS[0]}") || cw=$?; }
    if [ "$l" = "$w" ] && [ "$cl" = "$cw" ]; then
      same=$((same + 1)); verdicts+=("$name: $(awk '{print $1}' <<<"$l" | sort | uniq -c | xargs) exit $cl")
    elif [ "$cl" = "$cw" ] && [ "$l" = "$(wine_rst <<<"$w")" ]; then
      # Under Wine 8 the Windows build sees the loopback server's RST as an orderly close
      # and words it "closed (FIN)" (not checked on a real Windows): the same verdict, step
      # and code (tls_reset). Only that wording is forgiven, and it is said; any other
      # difference fails.
      same=$((same + 1)); verdicts+=("$name: $(awk '{print $1}' <<<"$l" | sort | uniq -c | xargs) exit $cl, RST worded as FIN under Wine")
    else
      fail "check $name differs: Linux exit $cl, Wine exit $cw"; diff <(echo "$l") <(echo "$w") | head -6 || true
    fi
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  [ "$same" = "${#cases[@]}" ] && ok "wine: check against $same loopback servers: the same verdicts, codes and exit codes as Linux, the same lines but for the cases named ($(IFS=';'; echo "${verdicts[*]}"))"
}

deb_check() {
  echo "checks: $DEB"
  local again=target/deb/again.deb
  deb_build "$again"
  if cmp -s "$DEB" "$again"; then ok "reproducible: built twice, byte-identical"; else fail "two builds of the package differ"; fi
  rm -f "$again"
  [ "$(id -u)" = 0 ] || { echo "  SKIP install test: needs root"; return 0; }
  local files; files=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's#^\./#/#' | grep -v '/$')
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$DEB" >/dev/null 2>&1 || { fail "apt install ./$DEB"; return; }
  local v m c
  v=$(bash -lc 'licpath --version' 2>&1) && ok "installed; login shell: licpath --version: $v" || fail "licpath --version: $v"
  m=$(bash -lc 'MANPAGER=cat MANWIDTH=80 man licpath 2>/dev/null' | sed -n '/^NAME/{n;p;q}' | tr -s ' ' || true)
  [ -n "$m" ] && ok "login shell: man licpath: NAME $m; $(ls /usr/share/man/man1/licpath*.1.gz | wc -l) pages" || fail "man licpath shows nothing"
  c=$(bash -lic 'complete -p licpath' 2>/dev/null | tail -1 || true)
  grep -q 'complete .* licpath' <<<"$c" && ok "login shell: $c" || fail "complete -p licpath: '$c'"
  zsh_f=/usr/share/zsh/vendor-completions/_licpath fish_f=/usr/share/fish/vendor_completions.d/licpath.fish
  [ -s "$zsh_f" ] && [ -s "$fish_f" ] && ok "zsh and fish completions: $zsh_f, $fish_f" || fail "zsh/fish completions missing"
  ls /usr/share/doc/licpath/examples/monitoring/licpath.service >/dev/null && ok "examples: $(ls /usr/share/doc/licpath/examples/monitoring | xargs)"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq licpath >/dev/null 2>&1 || fail "apt purge licpath"
  local left=() f
  for f in $files; do [ -e "$f" ] && left+=("$f"); done
  for f in /usr/share/doc/licpath /var/lib/dpkg/info/licpath.list; do [ -e "$f" ] && left+=("$f"); done
  if [ ${#left[@]} = 0 ] && ! command -v licpath >/dev/null; then ok "apt purge: none of the package's $(wc -w <<<"$files") files left"
  else fail "left after purge: ${left[*]}"; fi
}

# Every check runs even when one before it failed (each says ok/FAIL; FAILED decides the
# exit status). A check function ending in a false test must not end the script: the first
# one-command run stopped after the Wine check, without the package check or a summary.
t_check=$SECONDS
if [ $want_musl = 1 ]; then static_check "$MUSL" || true; fi
if [ $want_glibc = 1 ]; then static_check "$GLIBC" || true; fi
if [ $want_windows = 1 ]; then windows_check || true; fi
if [ $want_deb = 1 ]; then deb_check || true; fi
echo "checks: $((SECONDS - t_check)) s"
if [ $FAILED = 0 ]; then echo "release.sh: every check passed"; else echo "release.sh: FAILED"; exit 1; fi
