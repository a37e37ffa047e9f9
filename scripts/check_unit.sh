#!/usr/bin/env bash
# Checks the shipped systemd units: `systemd-analyze verify` must pass and
# `systemd-analyze security --offline=true` must rate each at an exposure of 2.0 or lower.
#   scripts/check_unit.sh [BINARY]     BINARY stands in for /usr/local/bin/mailintake (verify
#                                      checks that ExecStart exists; default: the debug build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
binary=$(realpath "${1:-.build/debug/mailintake}")
[ -x "$binary" ] || { echo "check_unit: no binary at $binary; build first (swift build)" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "check_unit: systemd-analyze is missing; apt-get install systemd" >&2; exit 2; }
work=$(mktemp -d /tmp/mi-units.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
for unit in systemd/mailintake.service systemd/mailintake@.service; do
    name=$(basename "$unit")
    [ "$name" = "mailintake@.service" ] && name="mailintake@office.service"
    sed "s|/usr/local/bin/mailintake|$binary|g" "$unit" > "$work/$name"
    if ! systemd-analyze verify "$work/$name"; then
        echo "check_unit: $unit: systemd-analyze verify failed" >&2
        status=1
    fi
    exposure=$(systemd-analyze security --offline=true "$work/$name" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$exposure" ]; then
        echo "check_unit: $unit: systemd-analyze security gave no exposure level" >&2
        status=1
    elif awk -v e="$exposure" 'BEGIN { exit !(e > 2.0) }'; then
        echo "check_unit: $unit: exposure $exposure is above 2.0" >&2
        status=1
    else
        echo "$unit: verify OK, exposure $exposure (limit 2.0)"
    fi
done
exit $status
