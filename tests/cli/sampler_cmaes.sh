#!/bin/bash
# `optlab ask --sampler cmaes` (or CmaEsSampler): every ask is a new process, so the study is
# resumed at each ask, its CMA-ES state recomputed from the trials' optlab:cma:* tags. The same
# seed gives the same trials in two storages; the sampler's options come through --sampler-kwargs
# (popsize 4: generations of four); asks made before any tell (parallel workers) differ and share
# a generation; the int stays on its grid, the categorical is drawn independently; a one-parameter
# space says it falls back; bad options exit 2 naming the option; Optuna 3.1 reads the study.
# About 3 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PARAMS=(--param 'x=float:-4:4' --param 'lr=float:1e-4:1e-1:log' --param 'bs=int:16:128:step=8' --param 'act=cat:relu,tanh')
objective='import json,sys,math; p=json.loads(sys.argv[1])["params"]; print((p["x"]-1)**2 + (math.log10(p["lr"])+2)**2 + (p["bs"]-64)**2/1e3 + (p["act"]=="tanh"))'
run() { # run DB SAMPLER: 14 trials asked and told in turn
    for i in $(seq 0 13); do
        json=$("$BIN" ask --storage "sqlite:///$1" --study c --create minimize --seed 5 --sampler "$2" \
               --sampler-kwargs '{"popsize": 4, "seed": 5}' "${PARAMS[@]}")
        num=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["number"])' "$json")
        [ "$num" = "$i" ] || { echo "trial number $num, expected $i"; exit 1; }
        "$BIN" tell --storage "sqlite:///$1" --study c --trial "$num" --value "$(/usr/bin/python3 -c "$objective" "$json")"
    done
}
run "$tmp/a.db" cmaes
run "$tmp/b.db" CmaEsSampler
for k in 1 2 3; do # three workers ask before any of them tells
    "$BIN" ask --storage "sqlite:///$tmp/a.db" --study c --sampler cmaes --sampler-kwargs '{"popsize": 4}' \
        "${PARAMS[@]}" >"$tmp/fly$k.json"
done
# bad options: usage errors naming the option
for bad in '{"popsize": 1}|popsize must be a whole number >= 2' '{"sigma0": -1}|sigma0 must be a number in (0, 1]' \
           '{"restart": "ipop"}|unknown option '"'"'restart'"'"; do
    if "$BIN" ask --storage "sqlite:///$tmp/a.db" --study c --sampler cmaes --sampler-kwargs "${bad%%|*}" \
        "${PARAMS[@]}" >/dev/null 2>"$tmp/err"; then echo "accepted --sampler-kwargs ${bad%%|*}"; exit 1; fi
    grep -qF -- "${bad#*|}" "$tmp/err" || { echo "no '${bad#*|}' in: $(cat "$tmp/err")"; exit 1; }
done
rc=0; "$BIN" ask --storage "sqlite:///$tmp/a.db" --study c --sampler tpe --sampler-kwargs '{"popsize": 4}' \
    "${PARAMS[@]}" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] && grep -q "takes no option 'popsize'" "$tmp/err" || { echo "tpe with popsize: rc $rc, $(cat "$tmp/err")"; exit 1; }
# one float parameter: the independent sampler, said on stderr
for i in 0 1 2; do
    json=$("$BIN" ask --storage "sqlite:///$tmp/one.db" --study o --create minimize --sampler cmaes \
           --param 'x=float:-4:4' 2>>"$tmp/one.err")
    num=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["number"])' "$json")
    "$BIN" tell --storage "sqlite:///$tmp/one.db" --study o --trial "$num" --value "$i"
done
grep -q "cmaes: trial 1: the search space has one float/int parameter (x); CMA-ES needs two or more" "$tmp/one.err" ||
    { echo "no one-parameter note: $(cat "$tmp/one.err")"; exit 1; }
/usr/bin/python3 - "$tmp/a.db" "$tmp/b.db" "$tmp"/fly1.json "$tmp"/fly2.json "$tmp"/fly3.json <<'PY'
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
a = optuna.load_study(study_name="c", storage="sqlite:///" + sys.argv[1])
b = optuna.load_study(study_name="c", storage="sqlite:///" + sys.argv[2])
ta, tb = a.trials, b.trials
assert len(ta) == 17 and len(tb) == 14, (len(ta), len(tb))
for x, y in zip(ta[:14], tb):
    assert x.params == y.params, ("same seed, other trial", x.number, x.params, y.params)
for t in ta[:14]:
    assert t.state == optuna.trial.TrialState.COMPLETE
    p = t.params
    assert -4 <= p["x"] <= 4 and 1e-4 <= p["lr"] <= 0.1 and p["act"] in ("relu", "tanh")
    assert isinstance(p["bs"], int) and (p["bs"] - 16) % 8 == 0 and 16 <= p["bs"] <= 128, p
# trial 0 is the random start-up; then generations of popsize 4 in order
gens = [(t.system_attrs.get("optlab:cma:restart"), t.system_attrs.get("optlab:cma:generation")) for t in ta]
assert gens[0] == (None, None), gens
assert gens[1:14] == [(0, 0)] * 4 + [(0, 1)] * 4 + [(0, 2)] * 4 + [(0, 3)], gens
# the three in flight: generation 3 (trial 13 and them: not yet 4 complete), all different points
assert gens[14:] == [(0, 3)] * 3, gens
fly = [json.load(open(f))["params"] for f in sys.argv[3:]]
pts = [(p["x"], p["lr"], p["bs"]) for p in fly]
assert len(set(pts)) == 3, ("parallel asks coincide", pts)
assert [t.state for t in ta[14:]] == [optuna.trial.TrialState.RUNNING] * 3
# CMA-ES learns: the last generation's median beats the first's
first = sorted(t.value for t in ta[1:5]); last = sorted(t.value for t in ta[9:13])
assert last[1] < first[1], (first, last)
print("ok: optuna reads 17 trials; same seed same trials; generations", gens[1:], "; in-flight asks:", pts)
PY
