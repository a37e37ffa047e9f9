#!/usr/bin/env bash
# Fuzzes the message reader with libFuzzer for a bounded time (default 60 s), starting from a seed
# corpus of the project's fixtures (and ../shared/corpus/inquiries-dev when it is there).
#   scripts/fuzz.sh [SECONDS]
# A crash is saved as .build-fuzz/crash-*; the script fails and says how to turn it into a
# regression test (copy it into Tests/Fixtures/fuzz/, which the unit tests parse on every run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
seconds=${1:-60}
out=.build-fuzz
mkdir -p "$out/corpus"
cp Tests/Fixtures/mail/*.eml Tests/Fixtures/fuzz/* "$out/corpus/" 2>/dev/null || true
[ -d ../shared/corpus/inquiries-dev ] && cp ../shared/corpus/inquiries-dev/*.eml "$out/corpus/"

echo "fuzz: building the parser with -sanitize=fuzzer,address..."
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MailIntakeCore \
    $(find Sources/MailIntakeCore -name '*.swift' | sort) scripts/fuzz/ParserFuzzTarget.swift -o "$out/parser-fuzzer" \
    2>"$out/build.log" || { grep -v "ld.gold: warning" "$out/build.log" >&2; exit 1; }

echo "fuzz: running for ${seconds}s from $(ls "$out/corpus" | wc -l) seeds"
if (cd "$out" && ./parser-fuzzer corpus -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>fuzz.log); then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$out/fuzz.log" || true
    echo "fuzz: no crash in ${seconds}s"
else
    tail -30 "$out/fuzz.log"
    echo "fuzz: CRASH. Reproduce with: $out/parser-fuzzer $out/crash-*; then copy the file into Tests/Fixtures/fuzz/ and fix the parser" >&2
    exit 1
fi
