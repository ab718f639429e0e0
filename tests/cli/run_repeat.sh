#!/bin/bash
# `optlab run --repeat R` runs R whole repetitions in one command: studies
# EXPERIMENT/OPT (repetition 0) and EXPERIMENT#rR/OPT, each repetition with its
# own seed and optlab:repeat attribute, and the report gets its Repetitions
# section. `--repetition K` alone runs repetition K.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
sed -e "s/^max_epochs = .*/max_epochs = 1/" tests/cli/tiny.ini > "$tmp/tiny.ini"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 2 --trials 2 --repeat 2 \
    --report-dir "$tmp/report" > "$tmp/out" 2>&1 || { cat "$tmp/out"; echo "optlab run --repeat 2 failed" >&2; exit 1; }
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 1 --trials 2 --repetition 2 \
    --only adam --no-report > "$tmp/out2" 2>&1 || { cat "$tmp/out2"; echo "optlab run --repetition 2 failed" >&2; exit 1; }
grep -q '^## .*Repetitions' "$tmp/report/README.md" || { cat "$tmp/report/README.md"; echo "no Repetitions section" >&2; exit 1; }
/usr/bin/python3 - "$tmp/t.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url = "sqlite:///" + sys.argv[1]
names = sorted(s.study_name for s in optuna.get_all_study_summaries(url))
assert names == ["tiny#r1/adadelta", "tiny#r1/adam", "tiny#r2/adam", "tiny/adadelta", "tiny/adam"], names
seeds = {}
for name in names:
    s = optuna.load_study(study_name=name, storage=url)
    rep = 0 if "#r" not in name else int(name.split("#r")[1].split("/")[0])
    assert s.user_attrs["optlab:repeat"] == rep, (name, s.user_attrs["optlab:repeat"])
    assert len([t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]) == 2, name
    seeds.setdefault(rep, set()).add(s.user_attrs["optlab:seed"])
assert all(len(v) == 1 for v in seeds.values()), seeds           # one seed per repetition
assert len({min(v) for v in seeds.values()}) == 3, seeds          # different between repetitions
assert seeds[0] == {7}, seeds
print("repeat: ok", {r: min(v) for r, v in seeds.items()})
PY
