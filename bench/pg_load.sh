#!/bin/bash
# Load on one PostgreSQL server (throwaway cluster on loopback, default
# max_connections = 100): P processes (64, then 150) each run T ask/tell trials
# of (x - 1)^2 through `optlab ask --direction minimize` / `optlab tell` into one
# study. Above the server's limit a new connection is refused with "too many
# clients already"; optlab retries it with backoff within OPTLAB_PG_RETRY_SECONDS
# (default 15 s) and only then reports an error. Printed for each P: errors the
# user saw, trials stored against expected, duplicate numbers, RUNNING, Optuna
# load, the most connections seen at once (pg_stat_activity, polled through a
# superuser slot) and how many connections the server refused (its log).
# Short-lived ask/tell processes on 2 cores stay below 100 connections at once; to
# meet the limit for sure, PG_LOAD_HOLD=H has another client hold H idle
# connections throughout (a shared server's other users).
#   bench/pg_load.sh [PROCS="64 150"] [TRIALS=5]        PG_LOAD_HOLD=H
# Figures measured on a machine whose cores are shared must say so.
set -eu
cd "$(dirname "$0")/.."
build=${OPTLAB_BUILD:-$PWD/build}
bin=${OPTLAB_BIN:-$build/optlab}
procs=${1:-64 150}; trials=${2:-5}
[ -x "$bin" ] || { echo "pg_load.sh: no $bin (make first)" >&2; exit 1; }
tmp=$(mktemp -d)
. tests/storage/_pg_cluster.sh
pg_cluster_start
trap 'pg_cluster_stop; rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
admin="$PG_BIN/psql -X -q -tA -h $PG_DIR -p $PG_PORT -U pgadmin -d postgres"

. bench/_asktell.bash

hold=${PG_LOAD_HOLD:-0}
if [ "$hold" -gt 0 ]; then
    /usr/bin/python3 -c 'import sys, time, psycopg2
cs = [psycopg2.connect(sys.argv[1]) for _ in range(int(sys.argv[2]))]
open(sys.argv[3], "w").close()
time.sleep(86400)' "$PG_URL" "$hold" "$tmp/held" &
    holder=$!
    trap 'kill $holder 2>/dev/null; pg_cluster_stop; rm -rf "$tmp"' EXIT
    for _ in $(seq 1 300); do [ -e "$tmp/held" ] && break; sleep 0.1; done
    echo "another client holds $hold idle connections"
fi
echo "== PostgreSQL load, max_connections $($admin -c 'show max_connections') ($(nproc) cores shared with other jobs; load $(cut -d' ' -f1 /proc/loadavg)), $trials trials each"
for p in $procs; do
    study=load$p; rm -f "$tmp"/err.*
    refused0=$(grep -c "too many clients\|remaining connection slots are reserved" "$PG_DIR/server.log" || true)
    ( peak=0; while [ ! -e "$tmp/stop" ]; do
          c=$($admin -c "select count(*) from pg_stat_activity where usename = 'optlab'" 2>/dev/null || echo 0)
          [ "${c:-0}" -gt $peak ] && peak=$c && echo $peak >"$tmp/peak"; sleep 0.1
      done ) &
    poller=$!
    t0=$(date +%s.%N)
    workers=()
    for ((w = 0; w < p; w++)); do asktell "$bin" "$PG_URL" $study "$trials" "$tmp/err.$w" & workers+=($!); done
    wait "${workers[@]}" || true
    t1=$(date +%s.%N)
    touch "$tmp/stop"; wait $poller 2>/dev/null || true; rm -f "$tmp/stop"
    refused=$(( $(grep -c "too many clients\|remaining connection slots are reserved" "$PG_DIR/server.log" || true) - refused0 ))
    errors=$(cat "$tmp"/err.* 2>/dev/null | grep -c '^error:' || true)
    figures=$(/usr/bin/python3 bench/_study_check.py "$PG_URL" $study)
    complete=$(sed 's/.* complete=\([0-9]*\).*/\1/' <<<"$figures")
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    printf 'optlab P=%-3s expected=%-4s errors=%-3s %s  peak connections (held ones included) %s, refused by the server %s, %.1f s, %.1f trials/s\n' \
        "$p" $((p * trials)) "$errors" "$figures" "$(cat "$tmp/peak" 2>/dev/null || echo 0)" "$refused" "$secs" \
        "$(awk -v c="$complete" -v s="$secs" 'BEGIN { print c / s }')"
    grep -hv '^error:' "$tmp"/err.* 2>/dev/null | sed 's/[0-9]\{3,\}/N/g' | sort | uniq -c | sort -rn | head -3 | sed 's/^/          /' || true
done
