#!/bin/bash
# `optlab run` with epochs longer than the grace period: a live trial must never be taken
# for a dead one. Each worker's thread refreshes its running trial's heartbeat every
# --heartbeat seconds, however long an epoch takes; before it did, the heartbeat came only
# once per epoch, and a sibling worker failed a trial whose epoch outlasted the grace period
# (seen with 60 s epochs on a loaded machine: trials that had trained for 20 minutes ended
# FAIL). Here the epoch (4,000 training and 2,000 validation images) takes about a second
# and the grace period is 0.5 s: 2 workers, 3 trials of 3 epochs, and no trial may end
# FAIL. Also: --grace below twice --heartbeat is refused before anything runs. About 10 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
sed -e "s/^train = .*/train = 4000/" -e "s/^valid_epoch = .*/valid_epoch = 2000/" -e "s/^max_epochs = .*/max_epochs = 3/" \
    -e "s/^patience = .*/patience = 10/" tests/cli/tiny.ini > "$tmp/slow.ini"
db="$tmp/s.db"
if OPENBLAS_NUM_THREADS=1 "$BIN" run "$tmp/slow.ini" --data data --storage "sqlite:///$db" --heartbeat 1 --grace 1.5 \
    --no-report > "$tmp/bad" 2>&1; then echo "FAIL: --grace 1.5 with --heartbeat 1 was accepted" >&2; exit 1; fi
grep -q -- "--grace 1.5 must be at least twice --heartbeat 1" "$tmp/bad" || { cat "$tmp/bad"; exit 1; }
[ ! -e "$db" ] || { echo "FAIL: a refused run created the storage" >&2; exit 1; }
# without the thread the workers failed each other's trials over and over and the run never ended:
# a time limit turns that into a failure
rc=0
OPENBLAS_NUM_THREADS=1 timeout -k 5 300 "$BIN" run "$tmp/slow.ini" --data data --storage "sqlite:///$db" --jobs 2 --trials 3 \
    --only adam --heartbeat 0.2 --grace 0.5 --no-report --quiet > "$tmp/out" 2>&1 || rc=$?
[ $rc = 124 ] && { echo "FAIL: optlab run did not finish 3 trials in 300 s (live trials failed as stale, again and again?)" >&2; exit 1; }
[ $rc = 0 ] || { cat "$tmp/out"; echo "FAIL: optlab run exited $rc" >&2; exit 1; }
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
states = dict(c.execute("select state, count(*) from trials group by state").fetchall())
# each trial's epochs and seconds: the epoch must really have outlasted the grace period
rows = c.execute("""select t.number, e.value_json, s.value_json from trials t
    join trial_user_attributes e on e.trial_id = t.trial_id and e.key = 'epochs'
    join trial_user_attributes s on s.trial_id = t.trial_id and s.key = 'seconds'""").fetchall()
per_epoch = [float(s) / int(e) for _, e, s in rows]
print(f"run_slow_epoch: states {states}, seconds per epoch {min(per_epoch):.2f}..{max(per_epoch):.2f}")
assert min(per_epoch) > 0.5, f"an epoch took {min(per_epoch):.2f} s, not longer than the 0.5 s grace: the test shows nothing"
assert states == {"COMPLETE": 3}, f"live trials were failed as stale: {states}"
PY
