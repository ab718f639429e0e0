#!/bin/bash
# Issue 14.6, resumable: experiments/all-optimizers.ini (20 optimizers x 70 TPE trials) with
# --repeat 3, into this directory's optlab.db. The five studies the README's question needs
# (AdamW against Lion, Schedule-Free AdamW, Muon and Prodigy) go first, repetitions 0, 1, 2;
# then the whole file, repetition by repetition. A run stopped part-way leaves whole studies.
# When every study is complete it writes the report into report/.
#
#   bash run.sh [SECONDS]    stop starting trials after SECONDS (default: none); run again to go on
#
# $OPTLAB_BIN is the optlab to use, $OPTLAB_DATA where MNIST is (scripts/legs.sh).
. "$(dirname "$0")/../../scripts/legs.sh" "$@"
for rep in 0 1 2; do
    for o in adamw lion sfadamw muon prodigy; do
        leg "all-optimizers repetition $rep, $o" experiments/all-optimizers.ini \
            --repetition $rep --repeat 1 --only $o
    done
done
for rep in 0 1 2; do
    leg "all-optimizers repetition $rep, every optimizer" experiments/all-optimizers.ini \
        --repetition $rep --repeat 1
done
time_is_up && { echo "run.sh: time is up; run again to check that every study is complete"; exit 0; }
"$BIN" report --storage sqlite:///optlab.db --experiment all-optimizers --report-dir report
