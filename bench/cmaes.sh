#!/bin/bash
# optlab's CMA-ES sampler beside Optuna 3.1's CmaEsSampler (issue 18), in one run:
#  1. regret on Branin, Hartmann-6 and loglr after 20, 40 and 70 trials: optlab cmaes and random,
#     Optuna CmaEsSampler(restart_strategy="ipop") and RandomSampler, then bench/hpo_compare.py at each
#     mark (medians, bootstrap ratio, Mann-Whitney, Holm);
#  2. ask time (ask + 6 suggests on Hartmann-6) after 100, 1,000 and 5,000 complete trials that
#     CMA-ES itself asked (so each ask replays that many trials' generations), optlab and Optuna.
#   bench/cmaes.sh [SEEDS]   (default 200; OPTLAB_BIN defaults to build/optlab)
# CMAES_BENCH_KEEP=DIR keeps the per-seed files in DIR; CMAES_BENCH_ASK=0 skips part 2.
set -eu
cd "$(dirname "$0")/.."
bin=${OPTLAB_BIN:-build/optlab}
[ -x "$bin" ] || { echo "cmaes.sh: $bin not built (run make)" >&2; exit 1; }
seeds=${1:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=${CMAES_BENCH_KEEP:-$tmp}
mkdir -p "$dir"
py=/usr/bin/python3
echo "# regret, $seeds seeds per function and sampler, 70 trials (cores shared with other jobs)"
"$bin" hpo-bench --samplers random,cmaes --marks 20,40 --trials 70 --seeds "$seeds" --ask-history 0 --quiet \
    --per-seed "$dir/optlab-per-seed.txt"
$py bench/hpo_optuna.py --samplers random,cmaes --marks 20,40 --trials 70 --seeds "$seeds" --ask-history 0 \
    --per-seed "$dir/optuna-per-seed.txt"
for at in first second final; do
    echo
    $py bench/hpo_compare.py --at "$at" "$dir/optlab-per-seed.txt" "$dir/optuna-per-seed.txt" |
        sed "1s/trial first/trial 20/; 1s/trial second/trial 40/; 1s/trial final/trial 70/"
done
[ "${CMAES_BENCH_ASK:-1}" = 0 ] && exit 0
echo
echo "# ask time (wall; cores shared with other jobs), hartmann6, 20 asks after N complete trials asked by CMA-ES itself"
for n in 100 1000 5000; do
    "$bin" hpo-bench --samplers cmaes --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" \
        --history-sampler same --quiet | grep 'ask+suggest' | sed 's/^/optlab /'
    $py bench/hpo_optuna.py --samplers random --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" \
        --ask-sampler cmaes --history-sampler same | grep 'ask+suggest' | sed 's/^/optuna /'
done
