#!/bin/sh
# licpath-textfile: probe every switch of a directory of switch texts and write the
# metrics into node_exporter's textfile directory atomically (docs/monitoring.md): the
# metrics go to a hidden temporary file in the same directory (the collector reads only
# *.prom) and are renamed over licpath.prom, so the collector reads the old file or the
# new one, never half of one. Extra arguments go to `licpath check`.
#
#   LICPATH_TEXTFILE_DIR  node_exporter's --collector.textfile.directory
#                         (default: Debian's /var/lib/prometheus/node-exporter)
#   LICPATH_CONFIGS       the directory of switch texts (default /var/lib/licpath/switches)
#   LICPATH               the binary (default: licpath on PATH)
set -u
dir=${LICPATH_TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
configs=${LICPATH_CONFIGS:-/var/lib/licpath/switches}
licpath=${LICPATH:-licpath}
tmp=$(mktemp "$dir/.licpath.prom.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
"$licpath" check --from-config "$configs" --format prometheus "$@" >"$tmp"
rc=$?
# 0 every line OK, 1 a failure, 2 an unusable file: the metrics say which, publish them.
# Anything else (a usage error before any output, 130 interrupted) keeps the old file.
if [ "$rc" -le 2 ] && [ -s "$tmp" ]; then
    chmod 0644 "$tmp" && mv "$tmp" "$dir/licpath.prom" && exit 0
fi
echo "licpath-textfile: licpath exited $rc; $dir/licpath.prom left as it was" >&2
exit 1
