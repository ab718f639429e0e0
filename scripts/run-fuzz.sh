#!/bin/bash
# Run each libFuzzer harness of a `make fuzz` build for a bounded time.
#   scripts/run-fuzz.sh BUILD SECONDS NAME...
# Each NAME starts from fuzz/corpus/NAME (the committed seeds, read only) and
# writes what it finds new to BUILD/corpus/NAME; a crash, leak or timeout input
# is written to BUILD/crashes/NAME/ and stops the run with exit 1. Two harnesses
# never run at once here (the machine's cores are shared); the last line of each
# run (execs/s, cov, ft) is kept in BUILD/fuzz-NAME.log.
set -u
cd "$(dirname "$0")/.."
build=$1 seconds=$2; shift 2
failed=0
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OPENBLAS_NUM_THREADS=1
for name in "$@"; do
    bin="$build/fuzz/fuzz_$name"
    mkdir -p "$build/corpus/$name" "$build/crashes/$name"
    dict=(); [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
    log="$build/fuzz-$name.log"
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        "${dict[@]}" -artifact_prefix="$build/crashes/$name/" "$build/corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    last=$(grep -a -E '^#[0-9]+' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        failed=1
        echo "fuzz $name: FAILED (exit $rc) after: $last"
        grep -a -m3 -E 'ERROR|runtime error|SUMMARY' "$log"
        echo "  input: $(ls -t "$build/crashes/$name" | head -1)  log: $log"
    else
        echo "fuzz $name: ${seconds}s, no crash: $last"
    fi
done
exit $failed
