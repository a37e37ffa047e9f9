#!/usr/bin/env bash
# Benchmark (not a test). Fills a real local Dovecot with realistic messages (scripts/lib/gen_mail.py:
# mixed sizes and shapes, about 35 KB each), one folder per size (default 200 and 2000), and
# measures on each folder, side by side in one run:
#   mbsync      isync copying the folder to a Maildir: the peer, a pure copy, no parsing;
#   curl        libcurl's own fetch of every message by `;UID=n`, over one connection (the
#               curl tool, which is libcurl): the least any libcurl client can do;
#   ingest      `mailintake run --once` with acknowledgements off: fetch, parse, classify, file
#               in SQLite, flag on the server;
#   end to end  `mailintake run --once` with an acknowledgement and a staff notification per
#               message, sent over SMTP to the local aiosmtpd (once per size, after the rounds),
#               with the SMTP server's own CPU over that run beside mailintake's, and both over
#               the run's delivery phase alone (sampled: from the SMTP server's first CPU tick);
# then the idle daemon: `mailintake run` at a 60 s poll over a filed mailbox for a minute.
# Prints wall seconds, client CPU seconds (user + system), peak RSS and the ratios: each column's
# own median over alternating rounds (three, or MAILINTAKE_BENCH_ROUNDS), each from scratch (a new
# Maildir, a new database). Each column has its own median because on a shared machine the round
# with the median wall time may have any CPU time: CPU is only compared over several rounds.
#   scripts/bench.sh [SIZE...]      default: 200 2000
#   MAILINTAKE_BENCH_BINARY=PATH scripts/bench.sh …   measure that binary instead of building this tree
#   MAILINTAKE_BENCH_BASELINE=PATH scripts/bench.sh … also that binary's ingest, in the same rounds
#                                                      (an A/B on the same stack, not two noisy runs)
#   MAILINTAKE_BENCH_ROUNDS=N scripts/bench.sh …       N rounds instead of 3
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
# shellcheck source=lib/bench_config.sh
. scripts/lib/bench_config.sh
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)
largest=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)

scripts/mailstack.sh install
missing=()
command -v mbsync >/dev/null || missing+=(isync)
command -v curl >/dev/null || missing+=(curl)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v bc >/dev/null || missing+=(bc)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "bench: install ${missing[*]} first" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The build the installer makes (scripts/install.sh): release, the Swift runtime linked in; or,
# to compare two builds in the same way, another binary in $MAILINTAKE_BENCH_BINARY.
if [ -n "${MAILINTAKE_BENCH_BINARY:-}" ]; then
    bin=$MAILINTAKE_BENCH_BINARY
else
    bin=$(release_binary)
fi

start_work bench

echo "generating $largest messages..."
/usr/bin/python3 scripts/lib/gen_mail.py "$largest" "$work/mail"
declare -A megabytes
mapfile -t generated < <(find "$work/mail" -name '*.eml' | sort)
for size in "${sizes[@]}"; do
    files=("${generated[@]:0:$size}")
    megabytes[$size]=$(( $(cat "${files[@]}" | wc -c) / 1000000 ))
    echo "appending $size messages (${megabytes[$size]} MB) to folder Bench$size..."
    MI_MAILBOX="Bench$size" /usr/bin/python3 scripts/lib/imap_tool.py append "${files[@]}"
done

# measure LABEL COMMAND...: wall seconds, user and system CPU seconds, peak RSS (kB), from GNU time.
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.$label" "$@" >"$work/out.$label" 2>&1 || {
        echo "bench: $label failed:" >&2; tail -5 "$work/out.$label" >&2; exit 1; }
}

mbsync_config() {
    local folder=$1 target=$2
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
Far :remote:$folder
Near :local:INBOX
Create Near
Sync Pull
SyncState *
RC
}

# ticks_of PID: the process's user + system CPU so far, in clock ticks, from /proc/PID/stat, read
# by bash alone (the sampler below must not fork, or it would take the CPU it measures); fails
# once PID has exited.
ticks_of() {
    local stat fields
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
    read -ra fields <<< "${stat##*) }"  # the fields after the command name, from the 3rd
    echo $(( fields[11] + fields[12] ))
}
# server_cpu PIDFILE: the same for the process whose pid the file holds.
server_cpu() { ticks_of "$(cat "$1")"; }
declare -A smtp_cpu delivery

# sample_delivery PID SMTPPID OUT: every 50 ms while the end-to-end run lasts, "seconds
# mailintake-ticks smtp-ticks"; PID is the background `measure`, whose child is GNU time and
# grandchild mailintake. The run's delivery phase starts when the SMTP server first uses CPU
# (the ingest before it sends nothing), so the two shares can be read over that phase alone.
sample_delivery() {
    local child="" timer="" tick fd mine theirs
    exec {fd}<> <(:)
    for tick in $(seq 1 500); do
        # (these files hold "PID " with no newline: read then fails, having read)
        { read -r timer < "/proc/$1/task/$1/children"; } 2>/dev/null || true
        [ -n "$timer" ] && { { read -r child < "/proc/${timer%% *}/task/${timer%% *}/children"; } 2>/dev/null || true; }
        [ -n "$child" ] && break
        read -rt 0.01 -u "$fd" || true
    done
    child=${child%% *}
    [ -n "$child" ] || { echo "bench: could not find the end-to-end run's process; no delivery-phase figures" >&2; return 0; }
    while mine=$(ticks_of "$child") && theirs=$(ticks_of "$2"); do
        echo "$EPOCHREALTIME $mine $theirs"
        read -rt 0.05 -u "$fd" || true
    done > "$3"
}

# delivery_share SAMPLES: "seconds mailintake% smtp%" over the delivery phase of a sampled run.
delivery_share() {
    awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { s0 = $3 } !start && $3 > s0 { start = 1; t = $1; m = $2; s = $3 }
        start { t1 = $1; m1 = $2; s1 = $3 }
        END { if (!start || t1 <= t) { print "0 0 0"; exit } w = t1 - t; printf "%.2f %.0f %.0f\n", w, 100 * (m1 - m) / hz / w, 100 * (s1 - s) / hz / w }' "$1"
}

rounds=${MAILINTAKE_BENCH_ROUNDS:-3}
case $rounds in ''|*[!0-9]*|0) echo "bench: MAILINTAKE_BENCH_ROUNDS must be a whole number of rounds, 1 or more (got '$rounds')" >&2; exit 2 ;; esac
for size in "${sizes[@]}"; do
    folder="Bench$size"
    # A first copy warms Dovecot's indexes and the page cache, so no contender pays for that.
    mbsync_config "$folder" "$work/warmup.$size"; measure "warmup.$size" mbsync -q -c "$work/mbsyncrc" bench
    for round in $(seq 1 $rounds); do
        rm -rf "$work/maildir"; mbsync_config "$folder" "$work/maildir"
        measure "mbsync.$size.$round" mbsync -q -c "$work/mbsyncrc" bench
        copied=$(find "$work/maildir/INBOX/new" "$work/maildir/INBOX/cur" -type f | wc -l)
        [ "$copied" -eq "$size" ] || { echo "bench: mbsync copied $copied of $size" >&2; exit 1; }
        measure "curl.$size.$round" curl -s --fail --cacert "$MI_CA" --user "$MI_USER:$MI_PASSWORD" \
            "imaps://127.0.0.1:$MI_IMAPS_PORT/$folder;UID=[1-$size]" -o /dev/null
        # A keyword of its own each round: a new database beside mail flagged with its own keyword
        # is refused (it would acknowledge everyone again).
        config=$(mailintake_config "$work/ingest" "$folder" "\$Ingest$round")
        measure "ingest.$size.$round" "$bin" --config "$config" run --once
        filed=$(sqlite3 "$work/ingest/mailintake.sqlite" "SELECT count(*) FROM messages")
        [ "$filed" -eq "$size" ] || { echo "bench: filed $filed of $size" >&2; exit 1; }
        if [ -n "${MAILINTAKE_BENCH_BASELINE:-}" ]; then
            config=$(mailintake_config "$work/baseline" "$folder" "\$Baseline$round")
            measure "baseline.$size.$round" "$MAILINTAKE_BENCH_BASELINE" --config "$config" run --once
            filed=$(sqlite3 "$work/baseline/mailintake.sqlite" "SELECT count(*) FROM messages")
            [ "$filed" -eq "$size" ] || { echo "bench: the baseline filed $filed of $size" >&2; exit 1; }
        fi
    done
    config=$(mailintake_config "$work/e2e.$size" "$folder" "\$EndToEnd" yes)
    # The SMTP server's own CPU over the same run: is the end-to-end run bound by it, or by us?
    smtp_before=$(server_cpu "$work/stack/smtp.pid")
    measure "e2e.$size" "$bin" --config "$config" run --once &
    e2e_pid=$!
    sample_delivery "$e2e_pid" "$(cat "$work/stack/smtp.pid")" "$work/samples.$size"
    wait "$e2e_pid" || exit 1
    smtp_cpu[$size]=$(echo "($(server_cpu "$work/stack/smtp.pid") - $smtp_before) / $(getconf CLK_TCK)" | bc -l)
    delivery[$size]=$(delivery_share "$work/samples.$size")
done

# The idle daemon: a filed mailbox, a 60 s poll, one minute (one poll at the start, one at the end).
config=$(mailintake_config "$work/idle" "Bench${sizes[0]}" "\$Idle")
"$bin" --config "$config" run --once >/dev/null 2>&1
sed -i 's/^poll_interval = .*/poll_interval = 60s/' "$config"
# As the systemd unit runs it, with its environment (GnuTLS left uninitialised).
GNUTLS_NO_IMPLICIT_INIT=1 "$bin" --config "$config" run >"$work/idle.log" 2>&1 &
idle_pid=$!
sleep 5
ticks=$(getconf CLK_TCK)
start_cpu=$(ticks_of "$idle_pid")
sleep 60
end_cpu=$(ticks_of "$idle_pid")
idle_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$idle_pid/status")
idle_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$idle_pid/status")
kill -TERM "$idle_pid"; wait "$idle_pid" || true

# cpu "wall user system rss": the client's CPU seconds, user + system.
cpu() { local wall user system rss; read -r wall user system rss <<< "$1"; echo "$user + $system" | bc -l; }
# median LABEL: each column's own median over the rounds: "wall cpu rss".
median() {
    local column round values
    for column in 1 cpu 4; do
        values=$(for round in $(seq 1 $rounds); do
            if [ "$column" = cpu ]; then cpu "$(cat "$work/time.$1.$round")"; else cut -d' ' -f"$column" "$work/time.$1.$round"; fi
        done | sort -g)
        sed -n "$(( (rounds + 1) / 2 ))p" <<< "$values"
    done | tr '\n' ' '
}
# once LABEL: the one run's "wall cpu rss".
once() { local wall user system rss; read -r wall user system rss < "$work/time.$1"; echo "$wall $(cpu "$wall $user $system $rss") $rss"; }
walls() { for round in $(seq 1 $rounds); do cut -d' ' -f1 "$work/time.$1.$round"; done | tr '\n' ' '; }
row() {  # row LABEL "wall cpu rss" COUNT
    local label=$1 wall cpu rss count=$3
    read -r wall cpu rss <<< "$2"
    printf '%-46s %7.2f %7.2f %9.0f %8.1f\n' "$label" "$wall" "$cpu" "$(echo "$count / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo
echo "mailintake ${MAILINTAKE_BENCH_BINARY:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')} on $(nproc) cores; medians of $rounds rounds, each column its own"
for size in "${sizes[@]}"; do
    echo
    echo "$size messages, ${megabytes[$size]} MB"
    printf '%-46s %7s %7s %9s %8s\n' "" "wall s" "CPU s" "msgs/s" "RSS MB"
    row "mbsync copy to Maildir (peer)" "$(median "mbsync.$size")" "$size"
    row "curl (libcurl) ;UID=n per message, 1 connection" "$(median "curl.$size")" "$size"
    row "mailintake run --once, ingest only" "$(median "ingest.$size")" "$size"
    [ -n "${MAILINTAKE_BENCH_BASELINE:-}" ] && row "baseline binary, ingest only" "$(median "baseline.$size")" "$size"
    sent=$(sqlite3 "$work/e2e.$size/mailintake.sqlite" "SELECT count(*) FROM outbox WHERE status = 'sent'")
    row "mailintake run --once, $sent mails sent" "$(once "e2e.$size")" "$size"
    read -r t_mbsync _ <<< "$(median "mbsync.$size")"
    read -r t_curl _ <<< "$(median "curl.$size")"
    read -r t_ingest c_ingest _ <<< "$(median "ingest.$size")"
    read -r t_e2e c_e2e _ <<< "$(once "e2e.$size")"
    echo "(wall s: mbsync $(walls "mbsync.$size")| curl $(walls "curl.$size")| ingest $(walls "ingest.$size")${MAILINTAKE_BENCH_BASELINE:+| baseline $(walls "baseline.$size")})"
    if [ -n "${MAILINTAKE_BENCH_BASELINE:-}" ]; then
        read -r t_base c_base _ <<< "$(median "baseline.$size")"
        printf 'against the baseline (%s): wall %.2f, CPU %.2f\n' "$MAILINTAKE_BENCH_BASELINE" \
            "$(echo "$t_ingest / $t_base" | bc -l)" "$(echo "$c_ingest / $c_base" | bc -l)"
    fi
    printf 'ratio ingest/mbsync %.2f, ingest/curl %.2f, end-to-end/mbsync %.2f\n' \
        "$(echo "$t_ingest / $t_mbsync" | bc -l)" "$(echo "$t_ingest / $t_curl" | bc -l)" "$(echo "$t_e2e / $t_mbsync" | bc -l)"
    printf 'end to end: mailintake CPU %.0f %% of the wall time, the SMTP server'"'"'s (aiosmtpd, one Python thread) %.0f %%\n' \
        "$(echo "100 * $c_e2e / $t_e2e" | bc -l)" "$(echo "100 * ${smtp_cpu[$size]} / $t_e2e" | bc -l)"
    read -r d_wall d_ours d_smtp <<< "${delivery[$size]}"
    printf '  of which the delivery phase (the SMTP server busy, sampled every 50 ms): %.2f s, mailintake CPU %.0f %%, the SMTP server %.0f %%\n' \
        "$d_wall" "$d_ours" "$d_smtp"
done
echo
printf 'idle daemon (60 s poll, %s messages filed): RSS %.1f MB (peak %.1f MB), CPU %.3f s in 60 s\n' "${sizes[0]}" \
    "$(echo "$idle_rss / 1024" | bc -l)" "$(echo "$idle_hwm / 1024" | bc -l)" "$(echo "($end_cpu - $start_cpu) / $ticks" | bc -l)"
