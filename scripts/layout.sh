#!/usr/bin/env bash
# Regenerates Sources/mailintake/symbol-order.txt, the order in which the release build's linker
# lays out the functions the service runs (docs/PERFORMANCE.md, "Code layout"). Not a test.
#
# The kernel maps a program's code 64 KiB around each page it touches, and the functions one
# daemon runs were scattered over the whole 10 MB of code (the standard library's, Foundation-
# Essentials', ours): nearly all of it ended up resident. Laid out together, they share pages.
#
# It runs the release build under valgrind's callgrind on the local mail stack — an ingest, an
# end-to-end run with acknowledgements and notifications over SMTP, the daemon through a few idle
# polls, and `status` — and writes every function of the binary that ran, in the order first seen.
# A name the code no longer has is ignored by the linker, so a stale file costs only pages; run
# this again after large changes and commit the result.
#   scripts/layout.sh [MESSAGES]     default 200
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
# shellcheck source=lib/bench_config.sh
. scripts/lib/bench_config.sh
count=${1:-200}
out=Sources/mailintake/symbol-order.txt

scripts/mailstack.sh install
if ! command -v valgrind >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "layout: install valgrind first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
bin=$(release_binary)

start_work layout
/usr/bin/python3 scripts/lib/gen_mail.py "$count" "$work/mail"
mapfile -t files < <(find "$work/mail" -name '*.eml' | sort)
MI_MAILBOX=Layout /usr/bin/python3 scripts/lib/imap_tool.py append "${files[@]}"

profile() {  # profile NAME COMMAND...: callgrind's record of COMMAND in $work/NAME.callgrind
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/$1.callgrind" "${@:2}" >"$work/$1.log" 2>&1
}
echo "profiling the ingest, the end-to-end run, the idle daemon and status ($count messages)..."
ingest=$(mailintake_config "$work/ingest" Layout '$LayoutIngest')
profile 1-ingest "$bin" --config "$ingest" run --once
endtoend=$(mailintake_config "$work/e2e" Layout '$LayoutE2E' yes)
profile 2-e2e "$bin" --config "$endtoend" run --once
# The daemon as systemd runs it: start-up, the timer, polls that find nothing new, a clean stop.
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/3-daemon.callgrind" \
    "$bin" --config "$endtoend" run >"$work/3-daemon.log" 2>&1 &
daemon=$!
sleep 15
kill -TERM "$daemon"
wait "$daemon" || true
profile 4-status "$bin" --config "$endtoend" status || true

# The binary's functions, by name; then every one that ran, first-seen order, once.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u > "$work/defined"
for record in "$work"/[0-9]-*.callgrind; do
    sed -nE 's/^c?fn=\([0-9]+\) (.+)$/\1/p' "$record"
done | awk '!seen[$0]++' > "$work/ran"
awk 'NR == FNR { defined[$0] = 1; next } defined[$0]' "$work/defined" "$work/ran" > "$out"
# SwiftPM does not know the file is an input of the link: remove the binary, so the next release
# build links again with the new order.
rm -f "$bin"
echo "layout: $(wc -l < "$out") functions ran (of $(wc -l < "$work/defined") in the binary); wrote $out"
echo "layout: build again (swift build -c release --static-swift-stdlib) to link with it"
