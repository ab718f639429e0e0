#!/bin/bash
# `optlab ask --sampler cmaes` with its two Optuna options, one process per ask (the state is
# recomputed from the trials at each): with_margin keeps an int and a stepped float on their grids,
# stores each trial's drawn point (optlab:cma:x, a JSON list) and gives the same trials for the same
# seed in two storages; source_study warm-starts a second study from the first, whose first CMA-ES
# generation then lies near the source's best; a missing source, a source with too few COMPLETE
# trials, a space that does not match and x0 beside a source are refused before any trial (the
# study gets none); Optuna 3.1 reads every study. About 5 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PARAMS=(--param 'x=float:-4:4' --param 'k=int:0:10' --param 'q=float:0:1:step=0.25')
objective='import json,sys; p=json.loads(sys.argv[1])["params"]; print((p["x"]-1.5)**2 + abs(p["k"]-7) + 2*abs(p["q"]-0.75))'
run() { # run DB STUDY KWARGS N: N trials asked and told in turn
    for i in $(seq 1 "$4"); do
        json=$("$BIN" ask --storage "sqlite:///$1" --study "$2" --create minimize --seed 9 --sampler cmaes \
               --sampler-kwargs "$3" "${PARAMS[@]}")
        num=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["number"])' "$json")
        "$BIN" tell --storage "sqlite:///$1" --study "$2" --trial "$num" --value "$(/usr/bin/python3 -c "$objective" "$json")"
    done
}
run "$tmp/a.db" m '{"with_margin": true}' 24
run "$tmp/b.db" m '{"with_margin": true}' 24
run "$tmp/a.db" w '{"source_study": "m", "with_margin": true}' 6
# refused before any trial: the study "bad" is never created, or stays empty
refuse() { # refuse KWARGS MESSAGE [PARAMS...]
    local kw=$1 msg=$2; shift 2
    if "$BIN" ask --storage "sqlite:///$tmp/a.db" --study bad --create minimize --sampler cmaes --sampler-kwargs "$kw" \
        "$@" >/dev/null 2>"$tmp/err"; then echo "accepted --sampler-kwargs $kw"; exit 1; fi
    grep -qF -- "$msg" "$tmp/err" || { echo "no '$msg' in: $(cat "$tmp/err")"; exit 1; }
}
refuse '{"source_study": "nope"}' 'source_study "nope": no such study in sqlite://' "${PARAMS[@]}"
refuse '{"source_study": "w"}' 'source_study "w" has 6 COMPLETE trials; the warm start takes the best 10 % of them and needs at least 10' "${PARAMS[@]}"
refuse '{"source_study": "m"}' 'the search space does not match source_study "m": z is searched here, not in the source' \
    --param 'x=float:-4:4' --param 'z=int:0:10' --param 'q=float:0:1:step=0.25'
refuse '{"source_study": "m"}' 'k is {"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 0, "high": 10}} in the source' \
    --param 'x=float:-4:4' --param 'k=int:0:12' --param 'q=float:0:1:step=0.25'
refuse '{"source_study": "m", "x0": {"x": 0}}' 'cannot be combined with x0' "${PARAMS[@]}"
refuse '{"with_margin": "yes"}' 'with_margin must be true or false' "${PARAMS[@]}"
/usr/bin/python3 - "$tmp/a.db" "$tmp/b.db" <<'PY'
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
a = optuna.load_study(study_name="m", storage="sqlite:///" + sys.argv[1])
b = optuna.load_study(study_name="m", storage="sqlite:///" + sys.argv[2])
w = optuna.load_study(study_name="w", storage="sqlite:///" + sys.argv[1])
names = [s.study_name for s in optuna.get_all_study_summaries("sqlite:///" + sys.argv[1])]
bad = [] if "bad" not in names else optuna.load_study(study_name="bad", storage="sqlite:///" + sys.argv[1]).trials
assert not bad, ("a refused ask made trials", bad)
assert [t.params for t in a.trials] == [t.params for t in b.trials], "same seed, other trials"
for t in a.trials + w.trials:
    p = t.params
    assert t.state == optuna.trial.TrialState.COMPLETE
    assert isinstance(p["k"], int) and 0 <= p["k"] <= 10 and p["q"] in (0, 0.25, 0.5, 0.75, 1), p
for t in a.trials[1:]:
    x = t.system_attrs["optlab:cma:x"]
    assert isinstance(x, list) and len(x) == 3 and all(isinstance(v, float) for v in x), x
# the warm start: the source's best 10 % (two trials of 24) centre the first generation
best = sorted(a.trials, key=lambda t: t.value)[:2]
cx = sum(t.params["x"] for t in best) / 2
first = [t.params["x"] for t in w.trials[1:6]]
assert abs(sum(first) / 5 - cx) < 1.0, (cx, first)  # a cold start centres on x = 0
print("ok: margin trials on their grids, same seed same trials; warm start around x =", round(cx, 3), first)
PY
