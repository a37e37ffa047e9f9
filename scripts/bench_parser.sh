#!/usr/bin/env bash
# Parser benchmark (not a test): mailintake's MessageParser against Python's email package
# (policy=default, get_body, get_content) on the same files in the same run, in memory.
#   scripts/bench_parser.sh [N]     N generated messages (default 2000, ~71 MB), plus the project's
#                                   fixtures and ../shared/corpus/inquiries-dev when it is there
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
count=${1:-2000}
out=.build-bench
mkdir -p "$out"
work=$(mktemp -d /tmp/mi-parser-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 scripts/lib/gen_mail.py "$count" "$work/mail"
cp Tests/Fixtures/mail/*.eml "$work/mail/"
[ -d ../shared/corpus/inquiries-dev ] && cp ../shared/corpus/inquiries-dev/*.eml "$work/mail/"

swiftc -O -parse-as-library -module-name MailIntakeCore -I Sources/CCrypto $(find Sources/MailIntakeCore -name '*.swift' | sort) \
    scripts/bench/ParserBench.swift -o "$out/parser-bench"
files=("$work"/mail/*.eml)
ours=$(/usr/bin/time -f "%M" -o "$work/rss" "$out/parser-bench" "${files[@]}")
theirs=$(/usr/bin/python3 scripts/bench/python_parse.py "${files[@]}")
echo "$ours, peak RSS $(( $(cat "$work/rss") / 1024 )) MB (all files held in memory)"
echo "$theirs"
echo "$ours" "$theirs" | awk '{ for (i = 1; i <= NF; i++) if ($i == "msg/s") r[++n] = $(i - 1); printf "ratio mailintake/python: %.1fx\n", r[1] / r[2] }'
