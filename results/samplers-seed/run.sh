#!/bin/bash
# Issue 18.6, resumable: the seed experiment with each other sampler (experiments/samplers/seed-*.ini),
# 3 repetitions each, into this directory's optlab.db, repetition by repetition (every sampler's
# repetition 0, then 1, then 2), so a run stopped part-way leaves whole repetitions to compare.
# optlab.db starts as a copy of ../seed-rerun's storage, whose `seed` repetitions 0-2 are the TPE side.
#
#   bash run.sh [SECONDS]    stop starting trials after SECONDS (default: none); run again to go on
#
# $OPTLAB_BIN is the optlab to use (default ../../build/optlab), $OPTLAB_DATA where MNIST is
# (default ../../data). Finished studies are skipped by optlab run itself (it resumes).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BIN=${OPTLAB_BIN:-$top/build/optlab}
DATA=${OPTLAB_DATA:-$top/data}
cd "$here" || exit 1
if [ ! -f optlab.db ]; then
    if [ -f optlab.db.gz ]; then gunzip -k optlab.db.gz
    else gunzip -c ../seed-rerun/optlab.db.gz > optlab.db; fi || exit 1
fi
deadline=
[ $# -ge 1 ] && deadline=$(($(date +%s) + $1))
for rep in 0 1 2; do
    for s in mvtpe gp cmaes random; do
        timeout=()
        if [ -n "$deadline" ]; then
            left=$((deadline - $(date +%s)))
            [ $left -gt 60 ] || { echo "run.sh: time is up before seed-$s repetition $rep"; exit 0; }
            timeout=(--timeout $left)
        fi
        echo "== seed-$s repetition $rep ($(date -u +%H:%M) UTC)"
        "$BIN" run "$top/experiments/samplers/seed-$s.ini" --storage sqlite:///optlab.db --jobs 2 \
            --repetition $rep --repeat 1 --data "$DATA" --no-report "${timeout[@]}" || exit 1
    done
done
echo "run.sh: all 12 runs complete; the table: ../../scripts/compare-samplers.sh sqlite:///optlab.db --report-dir reports --figures figures"
