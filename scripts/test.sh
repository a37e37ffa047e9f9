#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts a real local mail stack (Dovecot and an
# SMTP server on loopback), runs every unit and integration test, and stops the stack again.
# Arguments are passed to `swift test` (e.g. --filter Pipeline).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scripts/mailstack.sh install
stack=$(mktemp -d /tmp/mi-test.XXXXXX)
cleanup() { scripts/mailstack.sh stop "$stack"; rm -rf "$stack"; }
trap cleanup EXIT
scripts/mailstack.sh start "$stack"
# shellcheck disable=SC1091
. "$stack/env"

swift build
export MAILINTAKE_BINARY="$(swift build --show-bin-path)/mailintake"
# With this set, an integration test that cannot find the stack fails instead of being skipped.
export MAILINTAKE_REQUIRE_STACK=1
swift test "$@"
