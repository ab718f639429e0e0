#!/bin/bash
# An experiment section's learning-rate schedule is made per trial and used
# (issue 14, part 3): two paired SGD studies (same seed, random sampler, so
# trial 0 has the same weights, batches and learning rate), one at a constant
# rate and one under MultiStepLR with gamma 0 from epoch m (searched, 1 or 2) on — the scheduled
# run's weights stop moving after epoch m, so its train loss of epochs m+1 and m+2
# are equal while the constant run's differ. The searched schedule value
# (schedule.m) is an ordinary Optuna distribution that python3-optuna loads,
# and the report's setup names the schedule. A bad schedule stores nothing.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
cat > "$tmp/s.ini" <<'INI'
[experiment]
name = sched
train = 96
valid_epoch = 64
valid_trial = 64
test = 64
max_epochs = 4
patience = 5
trials = 1
sampler = random
loss = logits
[optimizer sgd as const]
learning_rate = 0.1
[optimizer sgd as frozen]
learning_rate = 0.1
schedule = MultiStepLR:{"milestones": ["$m"], "gamma": 0}
schedule.m = int 1 2
INI
OPENBLAS_NUM_THREADS=1 "$BIN" run "$tmp/s.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 1 \
    --report-dir "$tmp/report" --quiet > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
/usr/bin/python3 - "$tmp/t.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url = "sqlite:///" + sys.argv[1]
const = optuna.load_study(study_name="sched/const", storage=url).trials[0]
frozen_study = optuna.load_study(study_name="sched/frozen", storage=url)
frozen = frozen_study.trials[0]
m = frozen.params["schedule.m"]
assert m in (1, 2), frozen.params
assert frozen.distributions["schedule.m"] == optuna.distributions.IntDistribution(1, 2), frozen.distributions
assert "$m" in frozen_study.user_attrs["optlab:schedule"], frozen_study.user_attrs
lc, lf = const.user_attrs["train_loss"], frozen.user_attrs["train_loss"]
assert len(lc) == 4 and len(lf) == 4, (lc, lf)
assert lc[0] == lf[0], ("epoch 1 is paired", lc, lf)
# lr 0 from epoch m+1 on: the weights no longer move, so epochs m+1 and m+2 score the same weights
assert abs(lf[m + 1] - lf[m]) < 1e-6 * abs(lf[m]), ("weights frozen after epoch m", m, lf)
assert abs(lc[m + 1] - lc[m]) > 1e-3 * abs(lc[m]), ("at the constant rate the weights keep moving", lc)
print("schedule_run: milestone", m, "frozen", lf, "constant", lc)
PY
grep -q 'Learning-rate schedules.*SGD `constant`; SGD `MultiStepLR:' "$tmp/report/README.md" || { echo "report lacks the schedule"; exit 1; }
# a bad schedule: refused with the line and value, nothing stored
sed -i 's/"gamma": 0}/"gamma": -1}/' "$tmp/s.ini"
if "$BIN" run "$tmp/s.ini" --data data --storage "sqlite:///$tmp/bad.db" --quiet > "$tmp/bad" 2>&1; then
    echo "a negative gamma was accepted"; exit 1
fi
grep -q 's.ini:16:.*gamma' "$tmp/bad" || { echo "unexpected message: $(cat "$tmp/bad")"; exit 1; }
[ ! -s "$tmp/bad.db" ] || { echo "a refused file stored something"; exit 1; }
echo "schedule_run: ok"
