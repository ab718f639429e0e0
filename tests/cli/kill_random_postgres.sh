#!/bin/bash
# Crash at random moments on PostgreSQL (throwaway cluster on loopback): as
# tests/cli/kill_random.sh, SIGKILL `optlab run --jobs 2` (parent or a worker)
# at KILLS random moments, and at every third moment first restart the server
# with `pg_ctl restart -m immediate` (a crash: no shutdown checkpoint, every
# connection cut) — the run must reconnect and go on. At the end: exactly N
# COMPLETE trials, numbers unique and dense, nothing RUNNING, Optuna loads the
# study over psycopg2, the report builds. make test: 6 moments (3 under ASan, one a server crash).
# The measured run in docs/reliability.md: KILLS=100 N=40 bash tests/cli/kill_random_postgres.sh
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
[ -x "$BIN" ] || { echo "no $BIN (make first)" >&2; exit 1; }
. tests/cli/_kill_random.sh
. tests/storage/_pg_cluster.sh
tmp=$(mktemp -d); pid=""
pg_cluster_start
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; pg_cluster_stop; rm -rf "$tmp"' EXIT
KILLS=${KILLS:-6}; N=${N:-4}; LIMIT=150
case "${OPTLAB_BUILD:-build}" in *asan*) KILLS=${KILLS_ASAN:-3}; N=3; LIMIT=400 ;; esac
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
URL=$PG_URL
# The test cluster runs with synchronous_commit=off, which by PostgreSQL's design may lose the
# last fraction of a second of commits in a server crash; a crash test needs it on (fsync=off
# stays: the operating system survives a server crash, so written WAL is not lost).
pg_restart() { # MODE
    pg_cluster__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 30 -m "$1" restart \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=100" \
        >/dev/null 2>&1 || { echo "pg_ctl restart -m $1 failed" >&2; return 1; }
}
pg_restart fast
fault_hook() { # every third moment: crash-restart the server under the running study
    [ $(($1 % 3)) = 0 ] || return 1
    pg_restart immediate
}
echo "kill_random_postgres: $KILLS moments, $N trials, SEED=$SEED"
t0=$(date +%s)
kill_random_setup
kill_random_loop
kill_random_finish $LIMIT
kill_random_check
echo "kill_random_postgres: $kills_parent parent kills, $kills_worker worker kills, $other_faults immediate server restarts, $(( $(date +%s) - t0 )) s; ok"
