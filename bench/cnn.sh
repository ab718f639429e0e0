#!/bin/bash
# The seed CNN on one thread: optlab (build/bench/cnn) and the PyTorch anchor
# (../shared/anchors/torch_cnn_bench.py, Debian's python3-torch) in the same
# invocation, and the ratios. Same work in both: 1,000 training images per
# epoch in batches of 32 (forward, backward, Adam step) and 2,000 evaluation
# images, first epoch not timed.
#   bench/cnn.sh [EPOCHS]        (run from anywhere; needs data/mnist)
# CNN_BENCH_ROUNDS (default 2): alternating rounds; each side's best is compared.
set -u
cd "$(dirname "$0")/.."
build=${OPTLAB_BUILD:-$PWD/build}
epochs=${1:-4}
anchor=../shared/anchors/torch_cnn_bench.py
export OPENBLAS_NUM_THREADS=1
if [ ! -f data/mnist/train-images-idx3-ubyte ]; then
    echo "cnn bench: data/mnist missing (run: make data); PyTorch comparison needs real MNIST" >&2
    exit 1
fi
if [ ! -f "$anchor" ] || ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "cnn bench: $anchor or python3-torch missing: no reference ratio" >&2
    exit 1
fi
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2" | tail -1; }  # " name=": not cpu_name=
max() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a > b ? a : b) }'; }
# Alternate the two a few times and keep each one's best round: on a shared
# machine a burst of other work can halve either figure for a whole round.
rounds=${CNN_BENCH_ROUNDS:-2}
ot=0; oe=0; tt=0; te=0; rss=0
for r in $(seq 1 "$rounds"); do
    ours=$("$build/bench/cnn" data/mnist "$epochs") || { echo "cnn bench: build/bench/cnn failed" >&2; exit 1; }
    echo "$ours" | tail -1 | sed "s/^/optlab  (round $r): /"
    theirs=$(/usr/bin/python3 "$anchor" data/mnist 1 "$epochs") || { echo "cnn bench: anchor failed" >&2; exit 1; }
    echo "$theirs" | tail -1 | sed "s/^/pytorch (round $r): /"
    ot=$(max "$ot" "$(field train_img_per_s "$ours")"); oe=$(max "$oe" "$(field eval_img_per_s "$ours")")
    tt=$(max "$tt" "$(field train_img_per_s "$theirs")"); te=$(max "$te" "$(field eval_img_per_s "$theirs")")
    rss=$(max "$rss" "$(field peak_rss_mb "$ours")")
done
awk -v ot="$ot" -v oe="$oe" -v tt="$tt" -v te="$te" -v rss="$rss" 'BEGIN {
    printf "best of each, ratio optlab/pytorch (1 thread): training %.2fx (%d vs %d img/s), evaluation %.2fx (%d vs %d img/s); optlab peak RSS %.1f MB\n",
        ot / tt, ot, tt, oe / te, oe, te, rss }'
