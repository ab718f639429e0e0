#!/bin/bash
# Ask time on a large study, optlab beside Optuna 3.1, on SQLite and PostgreSQL.
# The study: 10,000 COMPLETE trials over the seed's Adam space, written by Optuna
# itself (../shared/anchors/make_big_study.py; minutes), then copied row for row
# into a throwaway PostgreSQL cluster (bench/ask_scale_copy_pg.py). For each backend:
#   - optlab in-process: build/bench/ask_scale (a worker's repeated TPE asks; the
#     first reads the whole study, the rest only what changed), with the storage part,
#     the parameters recorded in one call (suggest_many) and then one by one (--each);
#   - optlab as a fresh process: `optlab ask` 7 times (wall and CPU ms, min and median);
#   - Optuna in-process: bench/ask_scale_optuna.py (ask + suggest + tell).
#   bench/ask_scale.sh [N_TRIALS]        ASK_SCALE_DB=FILE reuses a study made before
# Figures measured on a machine whose cores are shared must say so; ask_scale prints the
# asking thread's CPU ms beside wall ms for that reason. Last run's figures (2026-12-07,
# load 2.5-4.4, before and after side by side): docs/scaling.md#asking-on-a-large-study-measured. TPE alone: build/bench/tpe_ask.
set -eu
cd "$(dirname "$0")/.."
build=${OPTLAB_BUILD:-$PWD/build}
bin=${OPTLAB_BIN:-$build/optlab}
n=${1:-10000}
maker=${ASK_SCALE_MAKER:-../shared/anchors/make_big_study.py}
[ -x "$bin" ] && [ -x "$build/bench/ask_scale" ] || { echo "ask_scale.sh: build first (make, make $build/bench/ask_scale)" >&2; exit 1; }
tmp=$(mktemp -d)
pg_up=0
cleanup() { [ $pg_up = 1 ] && pg_cluster_stop; rm -rf "$tmp"; }
trap cleanup EXIT

if [ -n "${ASK_SCALE_DB:-}" ]; then
    base=$ASK_SCALE_DB
else
    [ -e "$maker" ] || { echo "ask_scale.sh: no $maker (set ASK_SCALE_MAKER or ASK_SCALE_DB)" >&2; exit 1; }
    base=$tmp/base.db
    echo "building a $n-trial study with Optuna (minutes) ..."
    /usr/bin/python3 "$maker" "$base" "$n" >/dev/null
fi
params=(--param learning_rate=float:0.0001:0.01:log --param beta1=float:0.8:0.95 --param beta2=float:0.99:0.9999)

fresh_asks() { # URL: seven fresh-process asks: wall and CPU (user+sys) ms each, then min and median
    local url=$1 t all="" walls="" cpus="" TIMEFORMAT='%3R %3U %3S'
    for i in 1 2 3 4 5 6 7; do
        t=$( { time "$bin" ask --storage "$url" --study big "${params[@]}" >/dev/null; } 2>&1 | tail -1 )
        read -r w u s <<<"$t"
        w=$(awk -v x="$w" 'BEGIN { printf "%.0f", x * 1000 }'); c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
        all+=" $w/$c"; walls+="$w"$'\n'; cpus+="$c"$'\n'
    done
    pick() { sort -n <<<"${1%$'\n'}" | sed -n "${2}p"; }
    echo "optlab ask as a fresh process, wall/CPU ms:$all; min $(pick "$walls" 1)/$(pick "$cpus" 1), median $(pick "$walls" 4)/$(pick "$cpus" 4)"
}

echo "== SQLite (cores shared: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
cp "$base" "$tmp/a.db"
OPENBLAS_NUM_THREADS=1 "$build/bench/ask_scale" "sqlite:///$tmp/a.db" big 20
cp "$base" "$tmp/a.db"
OPENBLAS_NUM_THREADS=1 "$build/bench/ask_scale" "sqlite:///$tmp/a.db" big 20 --each
cp "$base" "$tmp/b.db"
OPENBLAS_NUM_THREADS=1 fresh_asks "sqlite:///$tmp/b.db"
cp "$base" "$tmp/c.db"
/usr/bin/python3 bench/ask_scale_optuna.py "sqlite:///$tmp/c.db" big 5

echo "== PostgreSQL (throwaway cluster on loopback; load $(cut -d' ' -f1 /proc/loadavg))"
. tests/storage/_pg_cluster.sh
pg_cluster_start
pg_up=1
/usr/bin/python3 bench/ask_scale_copy_pg.py "$base" "$PG_URL" >/dev/null
OPENBLAS_NUM_THREADS=1 "$build/bench/ask_scale" "$PG_URL" big 20
OPENBLAS_NUM_THREADS=1 "$build/bench/ask_scale" "$PG_URL" big 20 --each
OPENBLAS_NUM_THREADS=1 fresh_asks "$PG_URL"
/usr/bin/python3 bench/ask_scale_optuna.py "$PG_URL" big 5
