#!/usr/bin/env bash
# Benchmark (not a test): fills a real local Dovecot mailbox with N realistic messages (default
# 2000, mixed sizes and shapes, about 65 MB), then times on the same mailbox
#   1. mbsync (isync) copying it to a Maildir — the peer: a pure copy, no parsing, no database;
#   2. `mailintake run --once` end to end: fetch, parse, classify, file in SQLite, flag on the
#      server, and send an acknowledgement per message over SMTP;
#   3. `mailintake run --once` with acknowledgements off: the ingest alone.
# Prints wall times, the ratios, messages per second and peak RSS.  Usage: scripts/bench.sh [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
count=${1:-2000}

scripts/mailstack.sh install
missing=()
command -v mbsync >/dev/null || missing+=(isync)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v bc >/dev/null || missing+=(bc)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "bench: install ${missing[*]} first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
swift build -c release 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/mailintake"

work=$(mktemp -d /tmp/mi-bench.XXXXXX)
chmod 755 "$work"  # Dovecot's unprivileged processes must traverse it
trap 'scripts/mailstack.sh stop "$work/stack"; rm -rf "$work"' EXIT
scripts/mailstack.sh start "$work/stack"
# shellcheck disable=SC1091
. "$work/stack/env"

echo "generating $count messages..."
/usr/bin/python3 scripts/lib/gen_mail.py "$count" "$work/mail"
bytes=$(du -sb "$work/mail" | cut -f1)
echo "appending them to the mailbox ($((bytes / 1000000)) MB)..."
/usr/bin/python3 scripts/lib/imap_tool.py append "$work"/mail/*.eml

# measure LABEL COMMAND...: wall seconds and peak RSS (kB) from GNU time.
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.$label" "$@" >"$work/out.$label" 2>&1 || {
        echo "bench: $label failed:" >&2; tail -5 "$work/out.$label" >&2; exit 1; }
}

mbsync_config() {
    local target=$1
    mkdir -p "$target"
    cat > "$work/mbsyncrc" <<RC
IMAPAccount bench
# mbsync matches the certificate by host name only (not IP SANs)
Host localhost
Port $MI_IMAPS_PORT
User $MI_USER
Pass $MI_PASSWORD
SSLType IMAPS
CertificateFile $MI_CA

IMAPStore remote
Account bench

MaildirStore local
Path $target/
Inbox $target/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
RC
}

# A first copy warms Dovecot's indexes and the page cache, so neither contender pays for that.
mbsync_config "$work/warmup"; measure warmup mbsync -q -c "$work/mbsyncrc" bench

config=$(scripts/lib/write_config.sh "$work/stack" "$work/e2e")
# Every message is acknowledged: no rate limit may hold any back.
sed -i 's/^reference_prefix = MB$/reference_prefix = MB\nmax_per_sender_per_day = 1000\nmax_per_hour = 100000/' "$config"
measure endtoend "$bin" --config "$config" run --once

# Then three alternating rounds of each, each from scratch (a new Maildir, a new database).
rounds=3
for round in $(seq 1 $rounds); do
    rm -rf "$work/maildir"; mbsync_config "$work/maildir"
    measure "mbsync.$round" mbsync -q -c "$work/mbsyncrc" bench
    rm -rf "$work/ingest"; config2=$(scripts/lib/write_config.sh "$work/stack" "$work/ingest")
    # Ingest only: no acknowledgements and no staff notifications, so nothing goes over SMTP.
    sed -i 's/^reference_prefix = MB$/reference_prefix = MB\nenabled = no/; /^\[routing\]$/,/^$/d' "$config2"
    # A keyword of its own: the earlier rounds flagged the mail $Filed, and a new database beside
    # mail flagged with its own keyword is refused (it would acknowledge everyone again).
    sed -i "s/^mailbox = INBOX$/mailbox = INBOX\nkeyword = \$Ingest$round/" "$config2"
    measure "ingest.$round" "$bin" --config "$config2" run --once
done

# median LABEL: the median wall time and its peak RSS over the rounds.
median() {
    for round in $(seq 1 $rounds); do cat "$work/time.$1.$round"; echo; done | grep . | sort -n | sed -n "$(( (rounds + 1) / 2 ))p"
}
all() { for round in $(seq 1 $rounds); do cut -d' ' -f1 "$work/time.$1.$round"; done | tr '\n' ' '; }

filed=$(sqlite3 "$work/e2e/mailintake.sqlite" "SELECT count(*) FROM messages")
sent=$(sqlite3 "$work/e2e/mailintake.sqlite" "SELECT count(*) FROM outbox WHERE status = 'sent'")
copied=$(find "$work/maildir/INBOX/new" "$work/maildir/INBOX/cur" -type f | wc -l)
[ "$filed" -eq "$count" ] && [ "$copied" -eq "$count" ] || { echo "bench: filed $filed, copied $copied of $count" >&2; exit 1; }

read -r t_mbsync rss_mbsync <<< "$(median mbsync)"
read -r t_ingest rss_ingest <<< "$(median ingest)"
read -r t_e2e rss_e2e < "$work/time.endtoend"
echo
echo "$count messages, $((bytes / 1000000)) MB, on $(nproc) cores; mailintake $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-44s %8s %10s %12s\n' "" "wall s" "msgs/s" "peak RSS MB"
printf '%-44s %8.2f %10.0f %12.1f\n' "mbsync copy to Maildir (peer)" "$t_mbsync" "$(echo "$count / $t_mbsync" | bc -l)" "$(echo "$rss_mbsync / 1024" | bc -l)"
printf '%-44s %8.2f %10.0f %12.1f\n' "mailintake run --once, ingest only" "$t_ingest" "$(echo "$count / $t_ingest" | bc -l)" "$(echo "$rss_ingest / 1024" | bc -l)"
printf '%-44s %8.2f %10.0f %12.1f\n' "mailintake run --once, with $sent acks sent" "$t_e2e" "$(echo "$count / $t_e2e" | bc -l)" "$(echo "$rss_e2e / 1024" | bc -l)"
echo "(median of $rounds rounds; mbsync: $(all mbsync)s; ingest: $(all ingest)s)"
printf 'ratio ingest/mbsync: %.2f   end-to-end/mbsync: %.2f\n' "$(echo "$t_ingest / $t_mbsync" | bc -l)" "$(echo "$t_e2e / $t_mbsync" | bc -l)"
