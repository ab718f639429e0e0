#!/bin/bash
# The samplers beyond TPE beside Optuna 3.1 (issue 18), in one run:
#  1. regret on Branin, Hartmann-6 and loglr after 20, 40 and 70 trials: optlab's random, TPE, multivariate TPE
#     and GP samplers, Optuna's RandomSampler, TPESampler and TPESampler(multivariate=True)
#     (Optuna 3.1 has no GPSampler), then bench/hpo_compare.py at each mark (medians, bootstrap
#     ratio, Mann-Whitney, Holm);
#  2. ask time (ask + 6 suggests on Hartmann-6) with 100, 500, 1,000 and 5,000 complete trials:
#     optlab gp, tpe and mvtpe, Optuna tpe and mvtpe.
#   bench/samplers.sh [SEEDS]   (default 20; OPTLAB_BIN defaults to build/optlab)
# SAMPLERS_BENCH_KEEP=DIR keeps the per-seed files in DIR.
set -eu
cd "$(dirname "$0")/.."
bin=${OPTLAB_BIN:-build/optlab}
[ -x "$bin" ] || { echo "samplers.sh: $bin not built (run make)" >&2; exit 1; }
seeds=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=${SAMPLERS_BENCH_KEEP:-$tmp}
mkdir -p "$dir"
py=/usr/bin/python3
echo "# regret, $seeds seeds per function and sampler, 70 trials (cores shared with other jobs)"
"$bin" hpo-bench --samplers random,tpe,mvtpe,gp --marks 20,40 --trials 70 --seeds "$seeds" --ask-history 0 --quiet \
    --per-seed "$dir/optlab-per-seed.txt"
$py bench/hpo_optuna.py --samplers random,tpe,mvtpe --marks 20,40 --trials 70 --seeds "$seeds" --ask-history 0 \
    --per-seed "$dir/optuna-per-seed.txt"
for at in first second final; do
    echo
    $py bench/hpo_compare.py --at "$at" "$dir/optlab-per-seed.txt" "$dir/optuna-per-seed.txt" |
        sed "1s/trial first/trial 20/; 1s/trial second/trial 40/; 1s/trial final/trial 70/"
done
echo
echo "# ask time (wall; cores shared with other jobs), hartmann6, 20 asks after N random complete trials"
for n in 100 500 1000 5000; do
    for s in gp tpe mvtpe; do
        "$bin" hpo-bench --samplers "$s" --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" --quiet | grep 'ask+suggest' | sed 's/^/optlab /'
    done
    for s in tpe mvtpe; do
        $py bench/hpo_optuna.py --samplers random --function hartmann6 --trials 1 --seeds 1 --ask-history "$n" \
            --ask-sampler "$s" | grep 'ask+suggest' | sed 's/^/optuna /'
    done
done
