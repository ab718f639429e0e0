#!/bin/bash
# `optlab train` on the real MNIST seed split (../shared/PROTOCOL.md):
#   normal build: Adam (learning_rate 1e-3, seed 20250228) reaches >= 95 % valid-trial
#     accuracy, and a second run with the same seed prints the same output byte for byte
#     (both runs go in parallel, one core each; only the "seconds:" line is dropped);
#   ASan build (OPTLAB_BUILD ends in build-asan): 2 epochs on 500-image splits, determinism
#     only, since a full run under the sanitizers takes minutes.
# Plus the command's error messages: missing data directory, bad options.
# MNIST is fetched with scripts/fetch-mnist.sh if missing (never skipped).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${OPTLAB_BIN:-build/optlab}
build=${OPTLAB_BUILD:-build}
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

scripts/fetch-mnist.sh data/mnist || fail "could not fetch MNIST into data/mnist"
# once the files are there (checksums right), fetching again does nothing and says nothing
[ -z "$(scripts/fetch-mnist.sh data/mnist 2>&1)" ] || fail "fetch-mnist.sh is not silent when MNIST is present"

# --- error messages ---
if "$bin" train --optimizer adam --data "$tmp/nowhere" >"$tmp/out" 2>"$tmp/err"; then fail "missing data dir accepted"; fi
grep -q "does not exist" "$tmp/err" || fail "missing data dir: $(cat "$tmp/err")"
grep -q "make data" "$tmp/err" || fail "missing data dir message lacks the fix: $(cat "$tmp/err")"
if "$bin" train --optimizer no-such-optimizer >"$tmp/out" 2>"$tmp/err"; then fail "unknown optimizer accepted"; fi
grep -qi "no-such-optimizer" "$tmp/err" || fail "unknown optimizer message: $(cat "$tmp/err")"
if "$bin" train --optimizer adam --loss squared >"$tmp/out" 2>"$tmp/err"; then fail "bad --loss accepted"; fi
grep -q "squared" "$tmp/err" || fail "bad --loss message: $(cat "$tmp/err")"
if "$bin" train --optimizer adam --set learning_rate=-1 >"$tmp/out" 2>"$tmp/err"; then fail "negative lr accepted"; fi
grep -q "learning_rate" "$tmp/err" || fail "negative lr message: $(cat "$tmp/err")"
"$bin" train --help | grep -q -- "--optimizer" || fail "train --help"

# --- training runs ---
args=(train --optimizer adam --set learning_rate=1e-3 --seed 20250228)
if [[ "$build" == *build-asan ]]; then args+=(--max-epochs 2 --split 500,500,500,500); fi
"$bin" "${args[@]}" >"$tmp/run1" 2>"$tmp/err1" &
pid1=$!
"$bin" "${args[@]}" >"$tmp/run2" 2>"$tmp/err2" || fail "second run failed: $(cat "$tmp/err2")"
wait "$pid1" || fail "first run failed: $(cat "$tmp/err1")"
cat "$tmp/run1"
grep -q '^seconds: [0-9.]*$' "$tmp/run1" || fail "no seconds line"
grep -v '^seconds:' "$tmp/run1" >"$tmp/a"
grep -v '^seconds:' "$tmp/run2" >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" >&2; fail "same seed, different output"; }
grep -q '^epoch 0  loss [0-9.]*  valid-epoch 0\.[0-9]*$' "$tmp/a" || fail "no per-epoch lines (counted from 0)"
grep -q '^status: ok' "$tmp/a" || fail "status is not ok"
acc=$(sed -n 's/^valid-trial accuracy: \([0-9.]*\)$/\1/p' "$tmp/a")
test_acc=$(sed -n 's/^test accuracy: \([0-9.]*\)$/\1/p' "$tmp/a")
[ -n "$acc" ] && [ -n "$test_acc" ] || fail "no accuracy lines"
if [[ "$build" != *build-asan ]]; then
    awk -v a="$acc" 'BEGIN { exit !(a >= 0.95) }' || fail "valid-trial accuracy $acc < 0.95"
    best=$(sed -n 's/^best epoch: //p' "$tmp/a")
    epochs=$(sed -n 's/^epochs: //p' "$tmp/a")
    # best epoch counts from 0 (as storage's best_epoch), epochs is a count: best + 1 + patience
    [ "$epochs" -eq $((best + 1 + 5)) ] || fail "ran $epochs epochs, best epoch $best: not patience 5"
    # "best epoch: B" is the epoch line numbered B with the first highest valid-epoch accuracy,
    # the number `optlab run` stores as best_epoch (and as the intermediate value's step)
    argmax=$(awk '/^epoch [0-9]+  loss/ { if ($6 > m || n == 0) { m = $6; b = $2 }; n++ } END { print b }' "$tmp/a")
    [ "$argmax" = "$best" ] || fail "best epoch $best, but the epoch lines peak at epoch $argmax"
fi
echo "ok: valid-trial $acc, test $test_acc"
