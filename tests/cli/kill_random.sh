#!/bin/bash
# Crash at random moments (SQLite): SIGKILL `optlab run --jobs 2` — the parent
# or one of its worker children, at random — at KILLS random moments across a
# small study, restarting it each time; then one undisturbed run finishes it.
# At the end: exactly N COMPLETE trials, numbers unique and dense (0..k-1),
# nothing RUNNING, PRAGMA integrity_check ok, Optuna loads the study, the report
# builds. make test: 10 moments (3 under ASan). The measured run in
# docs/reliability.md: KILLS=100 N=40 bash tests/cli/kill_random.sh
# SEED=S replays a sequence of moments (printed at the start).
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
[ -x "$BIN" ] || { echo "no $BIN (make first)" >&2; exit 1; }
. tests/cli/_lib.sh
. tests/cli/_kill_random.sh
tmp_dir_and_run_cleanup
KILLS=${KILLS:-10}; N=${N:-4}; LIMIT=120
case "${OPTLAB_BUILD:-build}" in *asan*) KILLS=${KILLS_ASAN:-3}; N=3; LIMIT=400 ;; esac
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
URL="sqlite:///$tmp/k.db"
echo "kill_random: $KILLS moments, $N trials, SEED=$SEED"
t0=$(date +%s)
kill_random_setup
kill_random_loop
kill_random_finish $LIMIT
kill_random_check
echo "kill_random: $kills_parent parent kills, $kills_worker worker kills, $(( $(date +%s) - t0 )) s; ok"
