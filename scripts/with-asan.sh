#!/bin/sh
# Runs a command (node ...) with the ASan+UBSan build of the addon (npm run build:asan):
# Node itself is not instrumented, so the sanitizer runtimes are preloaded, and leak
# detection (which would report V8's own allocations) is off unless LSAN=1.
#   scripts/with-asan.sh node scripts/fuzz.js --cases 5000
set -eu
here=$(cd "$(dirname "$0")" && pwd)
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
[ -f "$here/../build-asan/Release/node_librtmp.node" ] || { echo "no build-asan: run npm run build:asan" >&2; exit 2; }
export LD_PRELOAD="$asan $ubsan${LD_PRELOAD:+ $LD_PRELOAD}"
leaks=0
[ "${LSAN:-0}" = 1 ] && leaks=1
export ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=1:halt_on_error=1:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$here/lsan-node.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export NODE_OPTIONS="-r $here/asan-addon.js${NODE_OPTIONS:+ $NODE_OPTIONS}"
exec "$@"
