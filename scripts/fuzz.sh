#!/usr/bin/env bash
# Fuzzes with libFuzzer for a bounded time (default 60 s each):
#   parser  the message reader, from the project's fixtures (and ../shared/corpus/inquiries-dev when there);
#   imap    the IMAP response framer and FETCH reader, from the transcripts in Tests/Fixtures/imap.
#   scripts/fuzz.sh [SECONDS] [parser|imap|all]      (default: all)
# A crash is saved as .build-fuzz/TARGET/crash-*; the script fails and says how to turn it into a
# regression test (Tests/Fixtures/fuzz/ for the parser, which the unit tests parse on every run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
seconds=${1:-60}
which=${2:-all}

build() {  # build TARGET OUTPUT SOURCES...
    local name=$1 out=$2
    shift 2
    echo "fuzz: building the $name fuzzer with -sanitize=fuzzer,address..."
    # One module holds everything, so the sources' own `import MailIntakeCore` is ignored with a warning.
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MailIntakeCore -I Sources/CCrypto "$@" -o "$out/fuzzer" \
        2>"$out/build.log" || { grep -v "ld.gold: warning" "$out/build.log" >&2; exit 1; }
}

run() {  # run TARGET OUTPUT MAX_LEN
    local name=$1 out=$2 max_len=$3
    echo "fuzz: running the $name fuzzer for ${seconds}s from $(ls "$out/corpus" | wc -l) seeds"
    if (cd "$out" && ./fuzzer corpus -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>fuzz.log); then
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$out/fuzz.log" || true
        echo "fuzz: $name: no crash in ${seconds}s"
    else
        tail -30 "$out/fuzz.log"
        echo "fuzz: $name: CRASH. Reproduce with: $out/fuzzer $out/crash-*; then keep the input as a regression test and fix it" >&2
        exit 1
    fi
}

core=$(find Sources/MailIntakeCore -name '*.swift' | sort)

if [ "$which" = parser ] || [ "$which" = all ]; then
    out=.build-fuzz/parser
    mkdir -p "$out/corpus"
    cp Tests/Fixtures/mail/*.eml Tests/Fixtures/fuzz/* "$out/corpus/" 2>/dev/null || true
    [ -d ../shared/corpus/inquiries-dev ] && cp ../shared/corpus/inquiries-dev/*.eml "$out/corpus/"
    # shellcheck disable=SC2086
    build parser "$out" $core scripts/fuzz/ParserFuzzTarget.swift
    run parser "$out" 262144
fi

if [ "$which" = imap ] || [ "$which" = all ]; then
    out=.build-fuzz/imap
    mkdir -p "$out/corpus"
    # The first byte of each input picks the read size; the seeds start with one.
    for seed in Tests/Fixtures/imap/*; do { printf '\x07'; cat "$seed"; } > "$out/corpus/$(basename "$seed")"; done
    # shellcheck disable=SC2086
    build imap "$out" $core Sources/MailTransport/IMAPResponse.swift scripts/fuzz/IMAPFuzzTarget.swift
    run imap "$out" 65536
fi
