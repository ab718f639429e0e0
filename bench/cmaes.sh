#!/bin/bash
# optlab's CMA-ES sampler beside Optuna 3.1's CmaEsSampler (issue 18), in one run:
#  1. regret on Branin, Hartmann-6 and loglr after 20, 40 and 70 trials: optlab cmaes and random,
#     Optuna CmaEsSampler(restart_strategy="ipop") and RandomSampler, then bench/hpo_compare.py at each
#     mark (medians, bootstrap ratio, Mann-Whitney, Holm);
#  2. ask time (ask + 6 suggests on Hartmann-6) after 100, 1,000 and 5,000 complete trials that
#     CMA-ES itself asked (so each ask replays that many trials' generations), optlab and Optuna.
#  3. the options (bench/cmaes_options.c, bench/cmaes_options_optuna.py): with_margin on a mixed
#     int/float function and the warm start (source_study / source_trials) on a shifted sphere,
#     CMAES_BENCH_OPTIONS_SEEDS seeds (default 100), compared as in part 1.
#   bench/cmaes.sh [SEEDS]   (default 200; OPTLAB_BIN defaults to build/optlab)
# CMAES_BENCH_KEEP=DIR keeps the per-seed files in DIR; CMAES_BENCH_REGRET=0, CMAES_BENCH_ASK=0 and
# CMAES_BENCH_OPTIONS=0 skip parts 1, 2 and 3.
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
if [ "${CMAES_BENCH_REGRET:-1}" != 0 ]; then
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
fi
if [ "${CMAES_BENCH_ASK:-1}" != 0 ]; then
echo
echo "# ask time (wall; cores shared with other jobs), hartmann6, 20 asks after N complete trials asked by CMA-ES itself"
for n in 100 1000 5000; do
    "$bin" hpo-bench --samplers cmaes --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" \
        --history-sampler same --quiet | grep 'ask+suggest' | sed 's/^/optlab /'
    $py bench/hpo_optuna.py --samplers random --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" \
        --ask-sampler cmaes --history-sampler same | grep 'ask+suggest' | sed 's/^/optuna /'
done
fi
[ "${CMAES_BENCH_OPTIONS:-1}" = 0 ] && exit 0
obin=$(dirname "$bin")/bench/cmaes_options
[ -x "$obin" ] || { echo "cmaes.sh: $obin not built (make build/bench/cmaes_options)" >&2; exit 1; }
oseeds=${CMAES_BENCH_OPTIONS_SEEDS:-100}
echo
echo "# the options, $oseeds seeds: with_margin on mixed and mixed-wide (3 floats + 3 ints, 80 trials, marks 20/40/80),"
echo "# warm start on shifted (4 floats, 40 trials, marks 10/20/40; source: 60 trials of CMA-ES on the unshifted task)"
"$obin" "$oseeds" > "$dir/options-optlab-per-seed.txt"
$py bench/cmaes_options_optuna.py --seeds "$oseeds" > "$dir/options-optuna-per-seed.txt"
for at in first second final; do
    echo
    $py bench/hpo_compare.py --at "$at" "$dir/options-optlab-per-seed.txt" "$dir/options-optuna-per-seed.txt" |
        sed "1s/trial first/first mark (mixed 20, shifted 10)/; 1s/trial second/second mark (mixed 40, shifted 20)/; 1s/trial final/last trial (mixed 80, shifted 40)/"
done
# optlab's warm start with source_alpha 0.01 (Optuna's prior here, where its alpha 0.1 is in raw units) against Optuna's
grep -v ' cmaes-ws ' "$dir/options-optlab-per-seed.txt" | sed 's/ cmaes-ws-alpha0.01 / cmaes-ws /' > "$dir/options-optlab-alpha.txt"
echo
echo "# optlab cmaes-ws with source_alpha 0.01 against Optuna's source_trials (first mark, second mark, last trial):"
for at in first second final; do
    $py bench/hpo_compare.py --at "$at" "$dir/options-optlab-alpha.txt" "$dir/options-optuna-per-seed.txt" | grep 'shifted cmaes-ws: optlab/Optuna'
done
