#!/bin/bash
# `optlab run` end to end on real MNIST with tiny sizes and 2 worker processes
# sharing one SQLite study: each study ends with exactly N COMPLETE trials,
# numbered 0..N-1, with the attributes docs/storage-conventions.md lists, and
# Optuna itself reads it back. Under ASan (slower) the run is shrunk.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
N=4; EPOCHS=3
case "${OPTLAB_BUILD:-build}" in *asan*) N=2; EPOCHS=1 ;; esac
sed -e "s/^max_epochs = .*/max_epochs = $EPOCHS/" tests/cli/tiny.ini > "$tmp/tiny.ini"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 2 --trials $N --no-report > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; echo "optlab run failed" >&2; exit 1; }
cat "$tmp/out"
grep -q '^| Adam | [0-9.]* % | [0-9.]* % | learning_rate = .*beta1 = .*eps = 1e-08 (fixed) |$' "$tmp/out"
grep -q '^| Adadelta | ' "$tmp/out"
# The plain progress lines of each study come in trial-number order, their counter
# goes up by one per COMPLETE/PRUNED trial and their "best" is the best value of
# the lines printed so far (never a trial not yet shown).
awk '/^tiny\/[a-z]*: [0-9]+\/[0-9]+ trial [0-9]+ / {
    split($2, c, "/"); num = $4 + 0; st = $1
    if ((st in last) && num != last[st] + 1) { print "out of order: " $0; bad = 1 }
    if (c[1] + 0 != cnt[st] + 1) { print "counter jumps: " $0; bad = 1 }
    last[st] = num; cnt[st] = c[1] + 0
    if ($5 == "COMPLETE" && (!(st in best) || $6 + 0 > best[st])) best[st] = $6 + 0
    if ($NF + 0 != best[st]) { print "best ahead of its lines: " $0; bad = 1 }
    lines++ }
    END { if (lines < 4) { print "only " lines " progress lines"; bad = 1 } exit bad }' "$tmp/out"
/usr/bin/python3 - "$tmp/t.db" $N <<'PY'
import sys, json, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n = sys.argv[1], int(sys.argv[2])
names = sorted(s.study_name for s in optuna.get_all_study_summaries("sqlite:///" + db))
assert names == ["tiny/adadelta", "tiny/adam"], names
for name, params in (("tiny/adam", {"learning_rate", "beta1"}), ("tiny/adadelta", {"rho"})):
    s = optuna.load_study(study_name=name, storage="sqlite:///" + db)
    assert s.direction == optuna.study.StudyDirection.MAXIMIZE
    t = s.trials
    assert [x.number for x in t] == list(range(n)), [x.number for x in t]
    assert all(x.state == optuna.trial.TrialState.COMPLETE for x in t), [x.state for x in t]
    for x in t:
        assert set(x.params) == params, x.params
        assert 0 <= x.value <= 1
        for k in ("best_epoch", "epochs", "seconds", "status", "train_loss"):
            assert k in x.user_attrs, (k, x.user_attrs)
        assert len(x.user_attrs["train_loss"]) == x.user_attrs["epochs"]
        assert len(x.intermediate_values) == x.user_attrs["epochs"]
        assert x.system_attrs["optlab:worker"].count(":") == 1
    assert "test_accuracy" in s.best_trial.user_attrs, "the best trial has no test accuracy"
    a = s.user_attrs
    assert a["optlab:experiment"] == "tiny" and a["optlab:n_trials"] == n and a["optlab:seed"] == 7, a
    assert a["optlab:sampler"] == "tpe", a
    if name == "tiny/adam":
        assert s.trials[0].distributions["learning_rate"].log
        assert a["optlab:fixed"] == {"eps": 1e-08}, a["optlab:fixed"]
print("ok")
PY
