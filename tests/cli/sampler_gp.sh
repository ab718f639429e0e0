#!/bin/bash
# `optlab ask --sampler gp` (or GPSampler): every ask is a new process, so the
# study is resumed at each ask; the same seed gives the same trials in two
# storages; asks made before any tell (parallel workers: the constant liar)
# differ; Optuna 3.1 reads the study. About 2 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PARAMS=(--param 'x=float:-4:4' --param 'lr=float:1e-4:1e-1:log' --param 'bs=int:16:128:step=8' --param 'act=cat:relu,tanh')
objective='import json,sys,math; p=json.loads(sys.argv[1])["params"]; print((p["x"]-1)**2 + (math.log10(p["lr"])+2)**2 + (p["bs"]-64)**2/1e3 + (p["act"]=="tanh"))'
run() { # run DB SAMPLER: 14 trials asked and told in turn
    for i in $(seq 0 13); do
        json=$("$BIN" ask --storage "sqlite:///$1" --study g --create minimize --seed 5 --sampler "$2" "${PARAMS[@]}")
        num=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["number"])' "$json")
        [ "$num" = "$i" ] || { echo "trial number $num, expected $i"; exit 1; }
        "$BIN" tell --storage "sqlite:///$1" --study g --trial "$num" --value "$(/usr/bin/python3 -c "$objective" "$json")"
    done
}
run "$tmp/a.db" gp
run "$tmp/b.db" GPSampler
# three workers ask before any of them tells: each sees the others RUNNING
for k in 1 2 3; do
    "$BIN" ask --storage "sqlite:///$tmp/a.db" --study g --sampler gp "${PARAMS[@]}" >"$tmp/fly$k.json"
done
/usr/bin/python3 - "$tmp/a.db" "$tmp/b.db" "$tmp"/fly1.json "$tmp"/fly2.json "$tmp"/fly3.json <<'PY'
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
a = optuna.load_study(study_name="g", storage="sqlite:///" + sys.argv[1])
b = optuna.load_study(study_name="g", storage="sqlite:///" + sys.argv[2])
ta, tb = a.trials, b.trials
assert len(ta) == 17 and len(tb) == 14, (len(ta), len(tb))
for x, y in zip(ta[:14], tb):
    assert x.params == y.params, ("same seed, other trial", x.number, x.params, y.params)
for t in ta[:14]:
    assert t.state == optuna.trial.TrialState.COMPLETE
    p = t.params
    assert -4 <= p["x"] <= 4 and 1e-4 <= p["lr"] <= 0.1 and p["act"] in ("relu", "tanh")
    assert isinstance(p["bs"], int) and (p["bs"] - 16) % 8 == 0 and 16 <= p["bs"] <= 128, p
assert isinstance(ta[0].distributions["bs"], optuna.distributions.IntDistribution)
assert ta[0].distributions["lr"].log
# the model's trials (10..13) beat the median of the random start-up ones
vals = [t.value for t in ta[:14]]
start = sorted(vals[:10])
assert min(vals[10:]) < start[5], vals
fly = [json.load(open(f))["params"] for f in sys.argv[3:]]
assert [t.state for t in ta[14:]] == [optuna.trial.TrialState.RUNNING] * 3
pts = [(p["x"], p["lr"], p["bs"], p["act"]) for p in fly]
assert len(set(pts)) == 3, ("parallel asks coincide", pts)
print("ok: optuna reads 17 trials; same seed same trials; in-flight asks:", pts)
PY
