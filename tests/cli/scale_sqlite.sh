#!/bin/bash
# Scale out on one machine: `optlab run --jobs 2` on SQLite, one of its two
# worker processes (not the parent) SIGKILLed in the middle of a trial. The
# parent notices the dead child, marks its trial FAIL and starts a worker in
# its place; the run ends normally with exactly N COMPLETE trials, numbers
# unique, the killed trial FAIL and its slot run again under a later number.
# python3-optuna reads the study back with the same counts.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
[ -x "$BIN" ] || { echo "no $BIN (make first)" >&2; exit 1; }
. tests/cli/_lib.sh
tmp_dir_and_run_cleanup
N=5; TRAIN=400; EPOCHS=4; LIMIT=120; VALID=200
case "${OPTLAB_BUILD:-build}" in *asan*) N=2; TRAIN=100; EPOCHS=2; LIMIT=400; VALID=100 ;; esac
sed -e "s/^train = .*/train = $TRAIN/" -e "s/^valid_\(epoch\|trial\) = .*/valid_\1 = $VALID/" -e "s/^test = .*/test = $((VALID * 2))/" -e "s/^max_epochs = .*/max_epochs = $EPOCHS/" -e 's/^patience = .*/patience = 100/' \
    tests/cli/tiny.ini > "$tmp/tiny.ini"
db="$tmp/s.db"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$db" --jobs 2 --trials $N --only adam --no-report \
    > "$tmp/out" 2>&1 &
pid=$!
# a RUNNING trial that has finished an epoch: its worker is a child of the run
killed=""
for _ in $(seq 1 $((LIMIT * 10))); do
    row=$(sql "select t.number, a.value_json from trials t join trial_system_attributes a using (trial_id)
               where t.state = 'RUNNING' and a.key = 'optlab:worker'
                 and exists (select 1 from trial_intermediate_values v where v.trial_id = t.trial_id) limit 1")
    if [ -n "$row" ]; then killed=${row%% *}; wpid=$(echo "$row" | sed 's/.*:\([0-9]*\)"$/\1/'); break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
[ -n "$killed" ] || { cat "$tmp/out"; echo "no running trial with an epoch appeared" >&2; exit 1; }
[ "$wpid" != "$pid" ] || { echo "the trial names the parent" >&2; exit 1; }
[ "$(ps -o ppid= -p "$wpid" | tr -d ' ')" = "$pid" ] || { echo "$wpid is not a worker of run $pid" >&2; exit 1; }
kill -9 "$wpid"
echo "killed worker $wpid of run $pid during trial $killed"
ok=0
for _ in $(seq 1 $((LIMIT * 10))); do kill -0 $pid 2>/dev/null || { ok=1; break; }; sleep 0.1; done
[ $ok = 1 ] || { cat "$tmp/out"; echo "the run did not finish within $LIMIT s" >&2; exit 1; }
wait $pid || { cat "$tmp/out"; echo "optlab run failed after losing a worker" >&2; exit 1; }
pid=""
cat "$tmp/out"
grep -q "worker $wpid was killed by signal 9" "$tmp/out"
grep -q "takes its place" "$tmp/out"
/usr/bin/python3 - "$db" $N "$killed" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n, killed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = optuna.load_study(study_name="tiny/adam", storage="sqlite:///" + db)
S = optuna.trial.TrialState
nums = [t.number for t in s.trials]
assert len(nums) == len(set(nums)) and sorted(nums) == list(range(len(nums))), nums
states = [t.state for t in s.trials]
assert states.count(S.COMPLETE) == n, [(t.number, t.state) for t in s.trials]
assert S.RUNNING not in states
assert len(nums) == n + states.count(S.FAIL)
assert s.trials[killed].state == S.FAIL, s.trials[killed].state
assert any(t.number > killed and t.state == S.COMPLETE for t in s.trials), "no re-run after the killed trial"
print(f"tiny/adam: {len(nums)} trials, {n} COMPLETE, trial {killed} FAIL and re-run; ok")
PY
