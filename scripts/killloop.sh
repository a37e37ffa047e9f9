#!/usr/bin/env bash
# The long crash test: SIGKILL at random moments during many runs over a large mailbox, then
# every message must be filed exactly once and no acknowledgement sent twice. The README's test
# command runs the same test short (150 messages, 12 runs); this runs it as long as you like.
#   scripts/killloop.sh [MESSAGES] [RUNS]      default 1000 messages, 60 runs
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export MAILINTAKE_KILL_MESSAGES=${1:-1000} MAILINTAKE_KILL_ROUNDS=${2:-60}
start=$(date +%s)
scripts/test.sh --filter CrashTests 2>&1 | grep -E "CrashTests.killLoop|✔|✘|passed|failed" | grep -v "^◇"
echo "killloop: $MAILINTAKE_KILL_MESSAGES messages, $MAILINTAKE_KILL_ROUNDS runs, $(( $(date +%s) - start ))s"
