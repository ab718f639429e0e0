#!/bin/bash
# Resume after SIGKILL: kill `optlab run` in the middle of a trial, run it
# again: the study ends with exactly N COMPLETE trials, trial numbers are
# unique, and the trial that was running when the run died is FAIL.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
. tests/cli/_lib.sh
tmp_dir_and_run_cleanup
N=3; EPOCHS=4
case "${OPTLAB_BUILD:-build}" in *asan*) N=2; EPOCHS=2 ;; esac
# one optimizer, longer trials so the kill lands inside one
sed -e "s/^max_epochs = .*/max_epochs = $EPOCHS/" -e 's/^patience = .*/patience = 100/' \
    -e 's/^train = .*/train = 600/' tests/cli/tiny.ini > "$tmp/tiny.ini"
db="$tmp/k.db"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$db" --jobs 1 --trials $N --only adam --no-report \
    > "$tmp/out1" 2>&1 &
pid=$!
# wait until trial 0 is running and has finished an epoch, then kill the parent
ok=0
for _ in $(seq 1 600); do
    n=$(sql "select count(*) from trial_intermediate_values v join trials t using(trial_id) where t.state='RUNNING'")
    if [ "${n:-0}" -ge 1 ]; then ok=1; break; fi
    sleep 0.1
done
[ $ok = 1 ] || { cat "$tmp/out1"; echo "no running trial with an epoch appeared" >&2; exit 1; }
kill -9 $pid; wait $pid 2>/dev/null || true; pid=""
# the worker dies with its parent (PR_SET_PDEATHSIG); wait until it is gone
wpid=$(sql "select value_json from trial_system_attributes where key='optlab:worker'" | sed 's/.*:\([0-9]*\)"$/\1/')
for _ in $(seq 1 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$wpid" 2>/dev/null || { echo "worker $wpid outlived its parent" >&2; exit 1; }
running=$(sql "select number from trials where state='RUNNING'")
[ -n "$running" ] || { echo "expected a RUNNING trial after the kill" >&2; exit 1; }
echo "killed during trial $running"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$db" --jobs 1 --trials $N --only adam --no-report \
    > "$tmp/out2" 2>&1 || { cat "$tmp/out2"; exit 1; }
cat "$tmp/out2"
grep -q "marked FAIL" "$tmp/out2"
/usr/bin/python3 - "$db" $N "$running" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n, killed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = optuna.load_study(study_name="tiny/adam", storage="sqlite:///" + db)
S = optuna.trial.TrialState
nums = [t.number for t in s.trials]
assert len(nums) == len(set(nums)), nums
complete = [t for t in s.trials if t.state == S.COMPLETE]
assert len(complete) == n, [(t.number, t.state) for t in s.trials]
assert s.trials[killed].state == S.FAIL, s.trials[killed].state
assert not [t for t in s.trials if t.state == S.RUNNING]
assert len(s.trials) == n + 1, len(s.trials)
print("ok")
PY
