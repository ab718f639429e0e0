#!/bin/bash
# Every committed fuzz input (fuzz/corpus/NAME/*: seeds and the inputs of
# crashes found and fixed) run once through its harness, built with
# fuzz/driver.c instead of libFuzzer — under ASan/UBSan in build-asan, so a
# regression aborts here. Each harness must exist and have a non-empty corpus.
set -u
cd "$(dirname "$0")/../.."
build=${OPTLAB_BUILD:-build}
export OPENBLAS_NUM_THREADS=1
fail=0 total=0
for src in fuzz/fuzz_*.c; do
    name=$(basename "$src" .c); name=${name#fuzz_}
    bin="$build/fuzz/fuzz_$name"
    n=$(find "fuzz/corpus/$name" -type f 2>/dev/null | wc -l)
    if [ ! -x "$bin" ]; then echo "FAIL $name: no $bin (make test-build)"; fail=1; continue; fi
    if [ "$n" -eq 0 ]; then echo "FAIL $name: fuzz/corpus/$name is empty"; fail=1; continue; fi
    out=$("$bin" "fuzz/corpus/$name" 2>&1); rc=$?
    if [ $rc -ne 0 ] || ! grep -q "^fuzz_$name: $n inputs\$" <<<"$out"; then
        echo "FAIL $name (exit $rc):"; tail -30 <<<"$out"; fail=1; continue
    fi
    total=$((total + n))
    echo "ok $name: $n inputs"
done
echo "fuzz corpus: $total inputs"
exit $fail
