#!/bin/bash
# Run the test binaries (Criterion) and CLI scripts of one or more builds and
# print one closing line "tests: N passed, N failed".
#   scripts/run-tests.sh BUILD [LAYER]        one build, optionally one layer
#   scripts/run-tests.sh BUILD1 BUILD2 ...    several builds (make test: build build-asan)
set -u
cd "$(dirname "$0")/.."
builds=(); layer=""
for a in "$@"; do
    if [ -d "$a/obj" ]; then builds+=("$a"); else layer="$a"; fi
done
[ ${#builds[@]} -gt 0 ] || builds=(build)
passed=0; failed=0; skipped=0; failures=()
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export OPENBLAS_NUM_THREADS=1
user_kernels=${OPTLAB_NN_KERNELS:-}   # the caller's choice of CNN path, if any (see the scripts below)
# The sanitizer pass runs every test binary and every script but these end-to-end
# scripts, which train real studies for 15-30 s each under ASan; the code they drive
# is covered there by the unit tests and the shorter scripts, and they run in full in
# the plain build. Each is listed as skipped, never left out silently.
ASAN_SLOW="tests/experiment/identical_results.sh tests/cli/run_pruned.sh tests/cli/run_repeat.sh
tests/serve/browser.sh tests/cli/kill_random_postgres.sh tests/cli/scale_postgres.sh tests/report/compare_samplers.sh
tests/cli/run_slow_epoch.sh tests/cli/run_timeout.sh"
# The scripts run $jobs at a time ($OPTLAB_TEST_JOBS, default the number of CPUs): most of
# them spend their time in one single-threaded training process or in waiting on a server,
# so one at a time left CI's second core mostly idle. Each writes its own temp dir,
# SQLite file, PostgreSQL cluster and port, so they do not meet. A result line is printed
# when its script ends, so the lines come in the order the scripts finish.
jobs=${OPTLAB_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run-tests.sh: OPTLAB_TEST_JOBS must be a positive integer, not '$jobs'" >&2; exit 2; }
running=()   # "build:script|log" of the scripts started and not yet reported
collect_scripts() {
    local entry name log rc secs r still=()
    for entry in "${running[@]}"; do
        name=${entry%%|*}; log=${entry#*|}
        if [ ! -s "$log.rc" ]; then still+=("$entry"); continue; fi
        read -r rc secs <"$log.rc"
        if [ "$rc" = 0 ]; then passed=$((passed + 1)); r=ok
        else failed=$((failed + 1)); failures+=("$name"); r=FAILED; cat "$log"; fi
        printf '%-44s %-6s %4ds\n' "$name" "$r" "$secs"
        rm -f "$log" "$log.rc"
    done
    running=("${still[@]}")
}
# Wait for a script to end and report it. A script whose shell died without writing its
# status (wait has no child left to wait for) counts as failed, rather than waited on forever.
wait_script() {
    local entry log
    wait -n 2>/dev/null
    if [ $? = 127 ]; then
        for entry in "${running[@]}"; do
            log=${entry#*|}
            [ -s "$log.rc" ] || { echo "(the test's shell ended without a status)" >>"$log"; echo "1 0" >"$log.rc"; }
        done
    fi
    collect_scripts
}
# The scripts run beside each other on the builds under test, so none may rebuild or relink them
# (a `make install` with another PREFIX did): their stamps are compared once all have ended.
stamp() { stat -c '%n %Y %s' "$1/optlab" "$1/liboptlab.a" "$1/build-options" 2>/dev/null; }
declare -A stamps=()
for b in "${builds[@]}"; do stamps[$b]=$(stamp "$b"); done
for b in "${builds[@]}"; do
    asan=0; readelf -d "$b/optlab" 2>/dev/null | grep -q 'libasan' && asan=1
    export OPTLAB_BIN="$PWD/$b/optlab" OPTLAB_BUILD="$PWD/$b"
    # a build made with WITH_POSTGRES=0 has no PostgreSQL backend: the tests
    # that need one (file names containing "postgres") are listed as skipped
    nopg=0; grep -qx 'WITH_POSTGRES=0' "$b/build-options" 2>/dev/null && nopg=1
    if [ $nopg = 1 ]; then
        for t in tests/*/test_*postgres*.c; do
            [ -e "$t" ] || continue
            [ -n "$layer" ] && [[ "$t" != "tests/$layer/"* ]] && continue
            skipped=$((skipped + 1)); printf '%-44s SKIPPED (built WITH_POSTGRES=0)\n' "$b:$t"
        done
    fi
    for t in $(find "$b/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
        [ -n "$layer" ] && [[ "$t" != "$b/tests/$layer/"* ]] && continue
        log=$(mktemp); t0=$SECONDS
        "$t" -j2 --short-filename >"$log" 2>&1; rc=$?
        syn=$(grep -a 'Synthesis:' "$log" | tail -1)
        p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn"); p=${p:-0}
        f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$syn"); f=${f:-0}
        c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$syn"); c=${c:-0}
        if [ -z "$syn" ] || { [ $rc -ne 0 ] && [ $((f + c)) -eq 0 ]; }; then f=$((f + 1)); fi
        passed=$((passed + p)); failed=$((failed + f + c))
        if [ $((f + c)) -gt 0 ]; then failures+=("$t"); cat "$log"; fi
        printf '%-44s %3d passed %3d failed %4ds\n' "$t" "$p" "$((f + c))" "$((SECONDS - t0))"
        rm -f "$log"
    done
    # scripted tests (CLI, interop with Python/Optuna): one test per script.
    # Under the sanitizers the scripts train on the generic CNN path (OpenBLAS, not instrumented):
    # the AVX2 kernels instrumented at -O1 made the training scripts 2-3x slower, and the kernels
    # themselves are checked under the sanitizers by the nn unit tests above (test_avx2 runs both
    # paths). The plain build's scripts use the CPU's own path.
    if [ $asan = 1 ]; then export OPTLAB_NN_KERNELS=generic
    elif [ -n "$user_kernels" ]; then export OPTLAB_NN_KERNELS=$user_kernels; else unset OPTLAB_NN_KERNELS; fi
    for s in tests/*/*.sh; do
        [ -e "$s" ] || continue
        [[ "$(basename "$s")" == _* ]] && continue   # _name.sh: a helper sourced by tests, not a test
        [ -n "$layer" ] && [[ "$s" != "tests/$layer/"* ]] && continue
        if [ $asan = 1 ] && [[ " $(echo $ASAN_SLOW) " == *" $s "* ]]; then
            skipped=$((skipped + 1)); printf '%-44s SKIPPED (sanitizer pass: slow end-to-end script, run in the plain build)\n' "$b:$s"; continue
        fi
        if [ $nopg = 1 ] && [[ "$(basename "$s")" == *postgres* ]]; then
            skipped=$((skipped + 1)); printf '%-44s SKIPPED (built WITH_POSTGRES=0)\n' "$b:$s"; continue
        fi
        while [ ${#running[@]} -ge $jobs ]; do wait_script; done
        log=$(mktemp)
        ( t0=$(date +%s); bash "$s" >"$log" 2>&1; rc=$?; echo "$rc $(( $(date +%s) - t0 ))" >"$log.rc" ) &
        running+=("$b:$s|$log")
    done
done
# A build's last scripts are waited for only here, so the next build's unit tests overlap them.
while [ ${#running[@]} -gt 0 ]; do wait_script; done
for b in "${builds[@]}"; do
    if [ "$(stamp "$b")" != "${stamps[$b]}" ]; then
        failed=$((failed + 1)); failures+=("$b changed under the tests")
        printf '%s: a test rebuilt or relinked the build under test (before / after):\n%s\n%s\n' "$b" "${stamps[$b]}" "$(stamp "$b")"
    fi
done
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ "$skipped" -gt 0 ]; then echo "tests: $passed passed, $failed failed, $skipped skipped"
else echo "tests: $passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
