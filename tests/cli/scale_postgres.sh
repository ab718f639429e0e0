#!/bin/bash
# Scale out on a real PostgreSQL (throwaway cluster on loopback): three
# `optlab worker` processes share two studies — a cheap one (100 training
# images, 2 epochs a trial) and a small CNN one — one worker is SIGKILLed in
# the middle of a CNN trial, and the others finish. Checks, per study:
# exactly N COMPLETE trials, numbers unique, nothing left RUNNING; for the CNN
# study the killed trial is FAIL, failed by the heartbeat grace period (the
# killed worker names another host, so only its stale heartbeat can give it
# away, as for a machine that died), and a later number re-ran its slot.
# Then python3-optuna reads both studies back over psycopg2 with the same counts.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
[ -x "$BIN" ] || { echo "no $BIN (make first)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    pg_cluster_stop
    rm -rf "$tmp"
}
. tests/storage/_pg_cluster.sh
pg_cluster_start
trap cleanup EXIT

N_CHEAP=8; N_CNN=6; TRAIN=400; EPOCHS=4; LIMIT=150; VALID=200
case "${OPTLAB_BUILD:-build}" in *asan*) N_CHEAP=3; N_CNN=3; TRAIN=100; EPOCHS=2; LIMIT=400; VALID=100 ;; esac
HB=0.5; GRACE=3
# the cheap study: a few hundred images, two epochs; the CNN study: longer trials, so a kill lands inside one
sed -e 's/^name = .*/name = cheap/' -e 's/^train = .*/train = 100/' -e 's/^valid_epoch = .*/valid_epoch = 100/' \
    -e 's/^valid_trial = .*/valid_trial = 100/' -e 's/^test = .*/test = 100/' -e 's/^max_epochs = .*/max_epochs = 2/' \
    -e "s/^trials = .*/trials = $N_CHEAP/" tests/cli/tiny.ini | sed '/^\[optimizer adadelta\]/,$d' > "$tmp/cheap.ini"
sed -e 's/^name = .*/name = cnn/' -e "s/^train = .*/train = $TRAIN/" -e "s/^valid_\(epoch\|trial\) = .*/valid_\1 = $VALID/" \
    -e "s/^test = .*/test = $((VALID * 2))/" -e "s/^max_epochs = .*/max_epochs = $EPOCHS/" \
    -e 's/^patience = .*/patience = 100/' -e "s/^trials = .*/trials = $N_CNN/" tests/cli/tiny.ini |
    sed '/^\[optimizer adadelta\]/,$d' > "$tmp/cnn.ini"

work() { # HOST_OPTION... : one worker on each study in turn
    "$BIN" worker --storage "$PG_URL" --experiment "$tmp/cheap.ini" --data data --heartbeat $HB --grace $GRACE "$@" &&
        "$BIN" worker --storage "$PG_URL" --experiment "$tmp/cnn.ini" --data data --heartbeat $HB --grace $GRACE "$@"
}
work > "$tmp/w1" 2>&1 & pids="$pids $!"; w1=$!
work > "$tmp/w2" 2>&1 & pids="$pids $!"; w2=$!
work --host machine-b > "$tmp/w3" 2>&1 & pids="$pids $!"; w3=$!

# wait until machine-b runs a CNN trial that has finished an epoch; kill that worker
q="select t.number, a.value_json from trials t join studies s using (study_id)
   join trial_system_attributes a using (trial_id)
   where s.study_name = 'cnn/adam' and t.state = 'RUNNING' and a.key = 'optlab:worker'
     and a.value_json like '\"machine-b:%' and exists (select 1 from trial_intermediate_values v where v.trial_id = t.trial_id)"
killed=""
for _ in $(seq 1 $((LIMIT * 10))); do
    row=$($PG_PSQL -tA -F ' ' -c "$q" 2>/dev/null | head -1)
    if [ -n "$row" ]; then killed=${row%% *}; wpid=$(echo "$row" | sed 's/.*:\([0-9]*\)"$/\1/'); break; fi
    kill -0 $w3 2>/dev/null || break
    sleep 0.1
done
[ -n "$killed" ] || { cat "$tmp/w1" "$tmp/w2" "$tmp/w3"; echo "machine-b never ran a CNN trial" >&2; exit 1; }
kill -9 "$wpid"
echo "killed worker $wpid (machine-b) during cnn/adam trial $killed"

for w in $w1 $w2; do
    ok=0
    for _ in $(seq 1 $((LIMIT * 10))); do kill -0 $w 2>/dev/null || { ok=1; break; }; sleep 0.1; done
    [ $ok = 1 ] || { cat "$tmp/w1" "$tmp/w2"; echo "workers did not finish within $LIMIT s" >&2; exit 1; }
    wait $w || { cat "$tmp/w1" "$tmp/w2"; echo "a surviving worker failed" >&2; exit 1; }
done
wait $w3 2>/dev/null || true
pids=""
cat "$tmp/w1"
grep -q "marked FAIL" "$tmp/w1" "$tmp/w2" || { echo "no worker reported failing the stale trial" >&2; exit 1; }

/usr/bin/python3 - "$PG_URL" "$N_CHEAP" "$N_CNN" "$killed" "$GRACE" <<'PY'
import sys, optuna, psycopg2
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, n_cheap, n_cnn, killed, grace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
S = optuna.trial.TrialState
for name, n in (("cheap/adam", n_cheap), ("cnn/adam", n_cnn)):
    s = optuna.load_study(study_name=name, storage=url)
    nums = [t.number for t in s.trials]
    assert len(nums) == len(set(nums)), (name, nums)
    assert sorted(nums) == list(range(len(nums))), (name, nums)
    states = [t.state for t in s.trials]
    assert states.count(S.COMPLETE) == n, (name, [(t.number, t.state) for t in s.trials])
    assert S.RUNNING not in states, name
    assert len(nums) == n + states.count(S.FAIL), name
    print(f"{name}: {len(nums)} trials, {states.count(S.COMPLETE)} COMPLETE, {states.count(S.FAIL)} FAIL")
s = optuna.load_study(study_name="cnn/adam", storage=url)
k = s.trials[killed]
assert k.state == S.FAIL, k.state
assert k.system_attrs["optlab:worker"].startswith("machine-b:"), k.system_attrs
# its slot was run again: a trial numbered after it completed
assert any(t.number > killed and t.state == S.COMPLETE for t in s.trials), "no re-run after the killed trial"
# failed by the grace period: FAIL came at least GRACE s after its last heartbeat
cur = psycopg2.connect(url).cursor()
cur.execute("select extract(epoch from t.datetime_complete - h.heartbeat) from trials t join trial_heartbeats h "
            "using (trial_id) join studies s using (study_id) where s.study_name = 'cnn/adam' and t.number = %s", (killed,))
gap = float(cur.fetchone()[0])
assert gap >= grace, f"trial {killed} failed {gap:.2f} s after its last heartbeat (grace {grace})"
print(f"cnn/adam trial {killed}: FAIL {gap:.1f} s after its last heartbeat; slot re-run; ok")
PY
