#!/bin/bash
# Many processes on one SQLite file, optlab beside Optuna 3.1 on the same machine
# and file system. For each process count P: P processes start together, each
# creating the study if missing (cold, as a fresh parallel run does) and running
# T ask/tell trials of (x - 1)^2:
#   - optlab: a shell loop of `optlab ask --direction minimize` + `optlab tell`;
#   - Optuna: bench/sqlite_workers_optuna.py (create_study(load_if_exists=True),
#     study.ask / study.tell), every exception counted as an error.
# Then `optlab run --jobs J` on a cheap experiment (tests/cli/tiny.ini, 100
# training images, 1 epoch a trial). For each: errors the user saw, trials stored
# against expected, duplicate numbers, trials left RUNNING, integrity check,
# optuna.load_study, and COMPLETE trials per second of wall time.
#   bench/sqlite_workers.sh [PROCS="8 16 32 64"] [TRIALS=20] [JOBS=32]
# Figures measured on a machine whose cores are shared must say so.
set -eu
cd "$(dirname "$0")/.."
build=${OPTLAB_BUILD:-$PWD/build}
bin=${OPTLAB_BIN:-$build/optlab}
procs=${1:-8 16 32 64}; trials=${2:-20}; jobs=${3:-32}
[ -x "$bin" ] || { echo "sqlite_workers.sh: no $bin (make first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1

. bench/_asktell.bash

report() { # WHO P EXPECTED SECONDS URL STUDY ERRFILES...
    local who=$1 p=$2 expected=$3 secs=$4 url=$5 study=$6; shift 6
    local errors figures complete
    errors=$(cat "$@" 2>/dev/null | grep -c '^error:' || true)
    figures=$(/usr/bin/python3 bench/_study_check.py "$url" "$study")
    complete=$(sed 's/.* complete=\([0-9]*\).*/\1/' <<<"$figures")
    printf '%-7s P=%-3s expected=%-5s errors=%-4s %s  %.1f s, %.1f trials/s\n' "$who" "$p" "$expected" "$errors" \
        "$figures" "$secs" "$(awk -v c="$complete" -v s="$secs" 'BEGIN { print c / s }')"
    grep -h '^error:' "$@" 2>/dev/null | sed 's/[0-9]\{3,\}/N/g' | sort | uniq -c | sort -rn | head -3 | sed 's/^/          /' || true
}

echo "== SQLite, many processes on one file ($(nproc) cores shared with other jobs; load $(cut -d' ' -f1 /proc/loadavg)), $trials trials each"
for p in $procs; do
    for who in optlab optuna; do
        db=$tmp/$who-$p.db; rm -f "$db"* "$tmp"/err.*
        t0=$(date +%s.%N)
        for ((w = 0; w < p; w++)); do
            if [ $who = optlab ]; then asktell "$bin" "sqlite:///$db" quad "$trials" "$tmp/err.$w" &
            else /usr/bin/python3 bench/sqlite_workers_optuna.py "sqlite:///$db" quad "$trials" 2>"$tmp/err.$w" & fi
        done
        wait || true
        t1=$(date +%s.%N)
        report $who "$p" $((p * trials)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "sqlite:///$db" quad "$tmp"/err.*
    done
done

echo "== optlab run --jobs $jobs on a cheap experiment (load $(cut -d' ' -f1 /proc/loadavg))"
n_run=$((jobs * 2))
sed -e 's/^train = .*/train = 100/' -e 's/^valid_epoch = .*/valid_epoch = 100/' -e 's/^valid_trial = .*/valid_trial = 100/' \
    -e 's/^test = .*/test = 100/' -e 's/^max_epochs = .*/max_epochs = 1/' tests/cli/tiny.ini > "$tmp/cheap.ini"
db=$tmp/run.db
t0=$(date +%s.%N)
rc=0; "$bin" run "$tmp/cheap.ini" --data data --storage "sqlite:///$db" --jobs "$jobs" --trials $n_run --only adam \
    --no-report --quiet >"$tmp/run.out" 2>&1 || rc=$?
t1=$(date +%s.%N)
[ $rc = 0 ] || { echo "error: optlab run exit $rc" >>"$tmp/run.out"; tail -5 "$tmp/run.out"; }
report "run" "$jobs" "$n_run" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "sqlite:///$db" tiny/adam "$tmp/run.out"
