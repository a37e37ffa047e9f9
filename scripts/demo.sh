#!/usr/bin/env bash
# The main job end to end on a local demo: starts a real mail stack on loopback (Dovecot, an SMTP
# server), drops sample inquiries in Slovenian and English into the mailbox, runs
# `mailintake run --once`, and prints what was filed and the acknowledgements that went out.
#   scripts/demo.sh          run the demo and stop the stack afterwards
#   scripts/demo.sh --keep   leave the stack and the demo installation running to explore
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
keep=no
[ "${1:-}" = "--keep" ] && keep=yes

scripts/mailstack.sh install
echo "== building mailintake (release)"
swift build -c release 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/mailintake"

stack=$(mktemp -d /tmp/mi-demo.XXXXXX)
if [ $keep = no ]; then
    trap 'scripts/mailstack.sh stop "$stack"; rm -rf "$stack"' EXIT
fi
scripts/mailstack.sh start "$stack"
# shellcheck disable=SC1091
. "$stack/env"
config=$(scripts/lib/write_config.sh "$stack" "$stack/mailintake")

echo
echo "== dropping 5 sample messages into the mailbox (IMAP APPEND)"
for f in Tests/Fixtures/mail/0[1-5]-*.eml; do echo "   $(basename "$f")"; done
/usr/bin/python3 scripts/lib/imap_tool.py append Tests/Fixtures/mail/0[1-5]-*.eml

echo
echo "== mailintake run --once"
"$bin" --config "$config" run --once

echo
echo "== mailintake list"
"$bin" --config "$config" list

first=$("$bin" --config "$config" export --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["reference"])')
echo
echo "== mailintake show $first"
"$bin" --config "$config" show "$first"

echo
echo "== what the SMTP server accepted: acknowledgements (auto-replied) and staff notifications (auto-generated)"
/usr/bin/python3 scripts/lib/spool_tool.py "$MI_SMTP_SPOOL" | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin):
    print("-" * 72)
    print("To:             ", m["to"])
    if m["reply_to"]: print("Reply-To:       ", m["reply_to"])
    print("Subject:        ", m["subject"])
    print("In-Reply-To:    ", m["in_reply_to"])
    print("Auto-Submitted: ", m["auto_submitted"])
    print()
    print(m["body"].rstrip())
print("-" * 72)
'
echo
echo "== mailintake outbox (what has not gone out)"
"$bin" --config "$config" outbox

echo
echo "== the mailbox afterwards (UID and flags: filed, still unread for staff)"
/usr/bin/python3 scripts/lib/imap_tool.py flags

if [ $keep = yes ]; then
    echo
    echo "The stack keeps running in $stack. Try:"
    echo "  $bin --config $config list"
    echo "Stop it with: scripts/mailstack.sh stop $stack"
fi
