#!/bin/bash
# `optlab run` records the never-learned diagnostics (docs/never-learn.md):
# one experiment, AdamW twice (`[optimizer adamw as adamw-logits]` with its
# own `loss = logits`), random sampler, tiny MNIST splits. Checks: each
# study's optlab:loss, paired draws (trial k has the same hyperparameters in
# both studies), the "diagnostics" attribute after epochs 0 and 1 with
# fractions in [0, 1] and finite positive gradient norms, and the status
# never_learned exactly when the best valid-epoch accuracy is within one point
# of the valid-epoch majority class share.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
N=3
case "${OPTLAB_BUILD:-build}" in *asan*) N=2 ;; esac
cat > "$tmp/nl.ini" <<'INI'
[experiment]
name = nltiny
train = 160
valid_epoch = 200
valid_trial = 100
test = 100
patience = 2
max_epochs = 3
sampler = random
seed = 7

[optimizer adamw]
learning_rate = log 1e-4 1e-1
weight_decay = log 1e-5 1e-1

[optimizer adamw as adamw-logits]
loss = logits
learning_rate = log 1e-4 1e-1
weight_decay = log 1e-5 1e-1
INI
"$BIN" run "$tmp/nl.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 1 --trials $N --no-report > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; echo "optlab run failed" >&2; exit 1; }
grep -q '^| AdamW, logits loss | ' "$tmp/out" || { cat "$tmp/out"; exit 1; }
/usr/bin/python3 - "$tmp/t.db" $N data/mnist <<'PY'
import sys, math, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n = "sqlite:///" + sys.argv[1], int(sys.argv[2])
studies = {s: optuna.load_study(study_name=s, storage=db) for s in ("nltiny/adamw", "nltiny/adamw-logits")}
assert studies["nltiny/adamw"].user_attrs["optlab:loss"] == "reference"  # "seed" before issue 12
assert studies["nltiny/adamw-logits"].user_attrs["optlab:loss"] == "logits"
a, b = (studies[s].trials for s in ("nltiny/adamw", "nltiny/adamw-logits"))
assert len(a) == len(b) == n
for x, y in zip(a, b):
    assert x.params == y.params, (x.params, y.params)  # paired draws
for s in studies.values():
    for t in s.trials:
        d = t.system_attrs["optlab:diagnostics"]
        assert "diagnostics" not in t.user_attrs
        assert d["batch"] == 32 and d["sigmoid_saturated"] == [0.01, 0.99], d
        assert len(d["param_layers"]) == 5 and len(d["relu_layers"]) == 3 and len(d["sigmoid_layers"]) == 1, d
        epochs = [k for k in d if k.startswith("epoch")]
        assert sorted(epochs) == ["epoch%d" % i for i in range(min(2, t.user_attrs["epochs"]))], epochs
        for k in epochs:
            e = d[k]
            assert len(e["grad_norm"]) == 5 and len(e["dead_relu"]) == 3 and len(e["zero_relu"]) == 3
            assert all(0 <= v <= 1 for v in e["dead_relu"] + e["zero_relu"] + e["saturated_sigmoid"]), e
            assert all(dv <= zv for dv, zv in zip(e["dead_relu"], e["zero_relu"])), e  # dead units output only zeros
            assert all(g is not None and g >= 0 for g in e["grad_norm"]), e
            assert math.isclose(e["grad_norm_total"], math.sqrt(sum(g * g for g in e["grad_norm"])), rel_tol=1e-9)
            assert e["loss"] > 0
    # majority share of valid-epoch is the same for every trial; a never_learned trial's best is at
    # most share + 0.01 and an ok trial's best above it, so the two groups must not overlap.
    nl = [max(t.intermediate_values.values()) for t in s.trials if t.user_attrs["status"] == "never_learned"]
    ok = [max(t.intermediate_values.values()) for t in s.trials if t.user_attrs["status"] == "ok"]
    assert not nl or not ok or max(nl) < min(ok), (nl, ok)
    assert all(v <= 0.2 for v in nl), nl  # 10 classes: the majority share of 200 images is well below 0.19
print("ok")
PY
