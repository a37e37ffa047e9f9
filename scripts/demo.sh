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
swift build -c release --static-swift-stdlib 2>&1 | tail -1
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/mailintake"

stack=$(mktemp -d /tmp/mi-demo.XXXXXX)
if [ $keep = no ]; then
    trap 'scripts/mailstack.sh stop "$stack"; rm -rf "$stack"' EXIT
fi
scripts/mailstack.sh start "$stack"
# shellcheck disable=SC1091
. "$stack/env"
config=$(scripts/lib/write_config.sh "$stack" "$stack/mailintake")
# The demo also reads the office's sent folder for answers (an [imap] key added to the generated file).
printf '\n[imap]\nsent_folder = Sent\n' >> "$config"
MI_MAILBOX=Sent /usr/bin/python3 scripts/lib/imap_tool.py append Tests/Fixtures/mail/sent-invitation.eml

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
echo
echo "== the office answers $first from its mailbox (into Sent); the next cycle sees it"
answered_id=$("$bin" --config "$config" export --format json | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["from_address"])')
in_reply_to=$(/usr/bin/python3 - "$stack/mailintake/mailintake.sqlite" "$first" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT m.message_id FROM messages m JOIN inquiries i ON i.id = m.inquiry_id WHERE i.reference = ? ORDER BY m.id LIMIT 1", (sys.argv[2],)).fetchone()[0])
PY
)
printf 'From: mednarodno@maribor.example\nTo: %s\nSubject: Re: [%s]\nIn-Reply-To: <%s>\nMessage-ID: <answer-%s@maribor.example>\nDate: %s\nContent-Type: text/plain; charset=utf-8\n\nSpoštovani, hvala za vaše sporočilo ...\n' \
    "$answered_id" "$first" "$in_reply_to" "$first" "$(date -R)" > "$stack/answer.eml"
MI_MAILBOX=Sent /usr/bin/python3 scripts/lib/imap_tool.py append "$stack/answer.eml"
"$bin" --config "$config" run --once
"$bin" --config "$config" list --status answered
echo
echo "== mailintake status"
"$bin" --config "$config" status || true
echo
echo "== mailintake report --html (the year at a glance: open it in a browser)"
"$bin" --config "$config" report --html "$stack/report.html"
echo
echo "== a person asks what the office holds about them (GDPR Article 15), then to be erased (Article 17)"
"$bin" --config "$config" close "$first" >/dev/null
"$bin" --config "$config" subject-access "$answered_id" --out "$stack/subject-access"
sed -n 1,12p "$stack/subject-access/README.txt"
find "$stack/subject-access" -type f | sed "s|$stack/||" | sort
"$bin" --config "$config" erase "$answered_id" --reason "request of $(date +%F), Article 17(1)(a)" || true
"$bin" --config "$config" audit --limit 2

if [ $keep = yes ]; then
    echo
    echo "The stack keeps running in $stack. Try:"
    echo "  $bin --config $config list"
    echo "Stop it with: scripts/mailstack.sh stop $stack"
fi
