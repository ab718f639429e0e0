#!/bin/bash
# Issue 18.6, resumable: the seed experiment with each other sampler (experiments/samplers/seed-*.ini),
# 3 repetitions each, into this directory's optlab.db, repetition by repetition (every sampler's
# repetition 0, then 1, then 2), so a run stopped part-way leaves whole repetitions to compare.
# optlab.db starts as a copy of ../seed-rerun's storage, whose `seed` repetitions 0-2 are the TPE side.
#
#   bash run.sh [SECONDS]    stop starting trials after SECONDS (default: none); run again to go on
#
# $OPTLAB_BIN is the optlab to use, $OPTLAB_DATA where MNIST is (scripts/legs.sh).
if [ ! -f "$(dirname "$0")/optlab.db" ] && [ ! -f "$(dirname "$0")/optlab.db.gz" ]; then
    gunzip -c "$(dirname "$0")/../seed-rerun/optlab.db.gz" > "$(dirname "$0")/optlab.db" || exit 1
fi
. "$(dirname "$0")/../../scripts/legs.sh" "$@"
for rep in 0 1 2; do
    for s in mvtpe gp cmaes random; do
        leg "seed-$s repetition $rep" experiments/samplers/seed-$s.ini --repetition $rep --repeat 1
    done
done
echo "run.sh: all 12 runs complete; the table: ../../scripts/compare-samplers.sh sqlite:///optlab.db --report-dir reports --figures figures"
