#!/bin/bash
# `optlab run --timeout` (and `optlab worker --timeout`), Optuna's timeout: after SEC seconds no trial
# is started; the running ones finish and are stored, nothing is failed, the exit status is 0, and the
# same command resumes. Then the rest runs to the full budget with no trial lost. About 15 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
db="$tmp/t.db"
count() { /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    \"select count(*) from trials where state = '$1'\").fetchone()[0])" "$db"; }
run() { OPENBLAS_NUM_THREADS=1 "$BIN" run tests/cli/tiny.ini --data data --storage "sqlite:///$db" --jobs 2 \
    --trials 8 --no-report "$@"; }

# 1. a budget of 2 x 8 trials and a timeout that ends it long before
start=$(date +%s%N)
run --timeout 0.5 > "$tmp/out1" 2>&1 || { cat "$tmp/out1"; echo "FAIL: --timeout exited non-zero"; exit 1; }
took=$(( ($(date +%s%N) - start) / 1000000 ))
done1=$(count COMPLETE)
grep -q "^optlab run: --timeout 0.5 s reached after .* 0 of 2 studies are complete. Run the same command again to resume.$" \
    "$tmp/out1" || { cat "$tmp/out1"; echo "FAIL: no timeout message"; exit 1; }
[ "$(count RUNNING)" = 0 ] && [ "$(count FAIL)" = 0 ] || { cat "$tmp/out1"; echo "FAIL: the timeout left RUNNING or FAIL trials"; exit 1; }
[ "$done1" -ge 1 ] && [ "$done1" -lt 16 ] || { echo "FAIL: $done1 COMPLETE trials after --timeout 0.5"; exit 1; }
echo "run --timeout 0.5: stopped after $took ms with $done1 COMPLETE, 0 FAIL, 0 RUNNING"

# 2. a worker with a timeout also stops cleanly
OPENBLAS_NUM_THREADS=1 "$BIN" worker tests/cli/tiny.ini --data data --storage "sqlite:///$db" --trials 8 \
    --timeout 0.5 > "$tmp/out2" 2>&1 || { cat "$tmp/out2"; echo "FAIL: worker --timeout exited non-zero"; exit 1; }
grep -q "timeout reached, no trial started after it; stopping" "$tmp/out2" || { cat "$tmp/out2"; echo "FAIL: no worker message"; exit 1; }
done2=$(count COMPLETE)
[ "$done2" -gt "$done1" ] && [ "$(count RUNNING)" = 0 ] && [ "$(count FAIL)" = 0 ] ||
    { cat "$tmp/out2"; echo "FAIL: worker --timeout: $done2 COMPLETE (before: $done1)"; exit 1; }

# 3. the same command without the timeout resumes to the full budget; no trial was lost on the way
run > "$tmp/out3" 2>&1 || { cat "$tmp/out3"; exit 1; }
grep -q "timeout" "$tmp/out3" && { cat "$tmp/out3"; echo "FAIL: a timeout message without --timeout"; exit 1; }
[ "$(count COMPLETE)" = 16 ] && [ "$(count FAIL)" = 0 ] || { echo "FAIL: $(count COMPLETE) COMPLETE, $(count FAIL) FAIL after resuming"; exit 1; }
echo "run_timeout: resumed to 16 of 16 trials, none failed (worker --timeout 0.5 added $((done2 - done1)))"
