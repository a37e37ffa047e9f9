#!/usr/bin/env bash
# Classification benchmark (not a test): time per message with the shipped vocabulary, the
# messages parsed beforehand so only classification is measured.
#   scripts/bench_classify.sh [N] [ROUNDS]   N generated messages (default 500) plus the project's
#                                            fixtures and ../shared/corpus/inquiries-dev when it is there
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
count=${1:-500} rounds=${2:-5}
out=.build-bench
mkdir -p "$out"
work=$(mktemp -d /tmp/mi-classify-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 scripts/lib/gen_mail.py "$count" "$work/mail"
cp Tests/Fixtures/mail/*.eml "$work/mail/"
if [ -d ../shared/corpus/inquiries-dev ]; then
    cp ../shared/corpus/inquiries-dev/*.eml "$work/mail/"
    echo "the office's samples alone:"
    swiftc -O -parse-as-library -module-name MailIntakeCore -I Sources/CCrypto $(find Sources/MailIntakeCore -name '*.swift' | sort) \
        scripts/bench/ClassifierBench.swift -o "$out/classifier-bench"
    "$out/classifier-bench" config/vocabulary "$rounds" ../shared/corpus/inquiries-dev/*.eml
    "$out/classifier-bench" config/vocabulary "$rounds" --learn Tests/Fixtures/labelled ../shared/corpus/inquiries-dev/*.eml
else
    swiftc -O -parse-as-library -module-name MailIntakeCore -I Sources/CCrypto $(find Sources/MailIntakeCore -name '*.swift' | sort) \
        scripts/bench/ClassifierBench.swift -o "$out/classifier-bench"
fi
echo "all messages (generated, fixtures, samples):"
"$out/classifier-bench" config/vocabulary "$rounds" "$work"/mail/*.eml
# The learned model is loaded once; its features and weights add to each message's time.
"$out/classifier-bench" config/vocabulary "$rounds" --learn Tests/Fixtures/labelled "$work"/mail/*.eml
