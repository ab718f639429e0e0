#!/bin/bash
# optlab's samplers beside Optuna 3.1's on the same test functions, budgets and
# seeds: `optlab hpo-bench` and bench/hpo_optuna.py, printed side by side, then
# bench/hpo_compare.py's tests of the per-seed final regrets (is optlab's TPE
# as good as Optuna's, and better than random?).
#   bench/hpo.sh [--trials 70] [--seeds 20] [--function NAME]   (OPTLAB_BIN defaults to build/optlab)
# HPO_BENCH_KEEP=DIR keeps the two per-seed files in DIR.
set -eu
cd "$(dirname "$0")/.."
bin=${OPTLAB_BIN:-build/optlab}
[ -x "$bin" ] || { echo "hpo.sh: $bin not built (run make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=${HPO_BENCH_KEEP:-$tmp}
mkdir -p "$dir"
ours=$tmp/ours; theirs=$tmp/theirs
"$bin" hpo-bench "$@" --per-seed "$dir/optlab-per-seed.txt" >"$ours" 2>/dev/null
/usr/bin/python3 bench/hpo_optuna.py "$@" --per-seed "$dir/optuna-per-seed.txt" >"$theirs"
echo "median best-so-far regret (lower is better): optlab | Optuna $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)')"
printf '%-10s %-7s %10s %10s %10s | %10s %10s %10s\n' function sampler '@10' '@30' '@final' '@10' '@30' '@final'
join -j1 <(awk '!/^#/ && NF == 5 && $1 != "function" {print $1"/"$2, $3, $4, $5}' "$ours" | sort) \
         <(awk '!/^#/ && NF == 5 && $1 != "function" {print $1"/"$2, $3, $4, $5}' "$theirs" | sort) |
    awk '{split($1, k, "/"); printf "%-10s %-7s %10.4g %10.4g %10.4g | %10.4g %10.4g %10.4g\n", k[1], k[2], $2, $3, $4, $5, $6, $7}'
echo "optlab: $(grep '^tpe ask' "$ours" || echo 'no timing')"
echo "optuna: $(grep '^tpe ask' "$theirs" || echo 'no timing')"
echo
/usr/bin/python3 bench/hpo_compare.py "$dir/optlab-per-seed.txt" "$dir/optuna-per-seed.txt"
