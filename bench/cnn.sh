#!/bin/bash
# The seed CNN on one thread: optlab (build/bench/cnn) and the PyTorch anchor
# (../shared/anchors/torch_cnn_bench.py, Debian's python3-torch) in the same
# invocation, and the ratios. Same work in both: 1,000 training images per
# epoch in batches of 32 (forward, backward, Adam step) and 2,000 evaluation
# images, first epoch not timed.
#   bench/cnn.sh [EPOCHS]        (run from anywhere; uses data/mnist if present)
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
ours=$("$build/bench/cnn" data/mnist "$epochs") || { echo "cnn bench: build/bench/cnn failed" >&2; exit 1; }
echo "$ours" | tail -1 | sed 's/^/optlab:  /'
if [ ! -f "$anchor" ] || ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "cnn bench: $anchor or python3-torch missing: no reference ratio" >&2
    exit 1
fi
theirs=$(/usr/bin/python3 "$anchor" data/mnist 1 "$epochs") || { echo "cnn bench: anchor failed" >&2; exit 1; }
echo "$theirs" | tail -1 | sed 's/^/pytorch: /'
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2" | tail -1; }  # " name=": not cpu_name=
ot=$(field train_img_per_s "$ours"); oe=$(field eval_img_per_s "$ours")
tt=$(field train_img_per_s "$theirs"); te=$(field eval_img_per_s "$theirs")
rss=$(field peak_rss_mb "$ours")
awk -v ot="$ot" -v oe="$oe" -v tt="$tt" -v te="$te" -v rss="$rss" 'BEGIN {
    printf "ratio optlab/pytorch (1 thread): training %.2fx (%d vs %d img/s), evaluation %.2fx (%d vs %d img/s); optlab peak RSS %.1f MB\n",
        ot / tt, ot, tt, oe / te, oe, te, rss }'
