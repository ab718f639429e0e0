#!/bin/bash
# `optlab run` with `pruner = median` on tiny MNIST splits, one worker: some
# trials end PRUNED (status "pruned", their per-epoch values kept, fewer
# epochs than max_epochs), the study still holds exactly N trials counted
# against its budget (COMPLETE + PRUNED), and the report counts the pruned
# ones. The first pruner_startup trials are never pruned.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
N=8; EPOCHS=5
case "${OPTLAB_BUILD:-build}" in *asan*) N=7; EPOCHS=4 ;; esac
sed -e "s/^max_epochs = .*/max_epochs = $EPOCHS/" -e "s/^patience = .*/patience = $EPOCHS/" \
    -e 's/^sampler = tpe$/sampler = tpe\npruner = median\npruner_startup = 2\npruner_warmup = 1/' \
    tests/cli/tiny.ini > "$tmp/p.ini"
grep -q '^pruner = median$' "$tmp/p.ini"
"$BIN" run "$tmp/p.ini" --only adam --data data --storage "sqlite:///$tmp/t.db" --jobs 1 --trials $N \
    --report-dir "$tmp/report" > "$tmp/out" 2>&1 || { cat "$tmp/out"; echo "optlab run failed" >&2; exit 1; }
cat "$tmp/out"
/usr/bin/python3 - "$tmp/t.db" $N $EPOCHS <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = optuna.load_study(study_name="tiny/adam", storage="sqlite:///" + db)
t = s.trials
S = optuna.trial.TrialState
assert [x.number for x in t] == list(range(n)), [x.number for x in t]
assert all(x.state in (S.COMPLETE, S.PRUNED) for x in t), [x.state for x in t]
pruned = [x for x in t if x.state == S.PRUNED]
assert pruned, "no trial was pruned"
assert all(x.state == S.COMPLETE for x in t[:2]), "a start-up trial was pruned"
for x in pruned:
    assert x.user_attrs["status"] == "pruned", x.user_attrs
    e = x.user_attrs["epochs"]
    assert 2 <= e < epochs, (x.number, e)  # warm-up 1: the first check is after epoch 2
    assert sorted(x.intermediate_values) == list(range(e)), x.intermediate_values
for x in t:
    if x.state == S.COMPLETE:
        assert x.user_attrs["status"] == "ok" and x.user_attrs["epochs"] == epochs, x.user_attrs
print("pruned %d of %d" % (len(pruned), n))
PY
n_pruned=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from trials where state='PRUNED'\").fetchone()[0])" "$tmp/t.db")
grep -q "^| Adam | $N | .* | $n_pruned | [0-9]* |\$" "$tmp/report/README.md" ||
    { grep -A4 '^| Optimizer | trials' "$tmp/report/README.md"; echo "the report does not count $n_pruned pruned trials" >&2; exit 1; }
echo ok
