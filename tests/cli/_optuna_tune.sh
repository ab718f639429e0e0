#!/bin/bash
# _optuna_tune.sh STORAGE N LOG — a tuning loop written for Optuna's command
# line (`optuna ask` / `optuna tell`, Optuna 3.1), as a user would write it:
# N trials of a small objective over a float, an int and a categorical with
# mixed types, every ask's JSON appended to LOG. tests/cli/optuna_cli_compat.sh
# runs it as it is with Optuna, and with only the command name changed with
# optlab. (A helper, not a test: scripts/run-tests.sh skips names starting with _.)
set -eu
STORAGE=$1 N=$2 LOG=$3
SPACE='{"x": {"name": "FloatDistribution", "attributes": {"low": -4.0, "high": 4.0, "step": null, "log": false}},
        "lr": {"name": "FloatDistribution", "attributes": {"low": 1e-05, "high": 0.1, "step": null, "log": true}},
        "n": {"name": "IntDistribution", "attributes": {"low": 1, "high": 9, "step": 2, "log": false}},
        "c": {"name": "CategoricalDistribution", "attributes": {"choices": [1, 2.5, "a", null, true]}}}'
for _ in $(seq "$N"); do
    json=$(optuna ask --storage "$STORAGE" --study-name quad --direction minimize \
        --sampler TPESampler --sampler-kwargs '{"seed": 7}' --search-space "$SPACE" 2>/dev/null)
    echo "$json" >>"$LOG"
    read -r number value <<<"$(/usr/bin/python3 -c '
import json, math, sys
d = json.loads(sys.argv[1]); p = d["params"]
bonus = 3.0 if isinstance(p["c"], bool) else {1: 0.0, 2.5: 0.5, "a": 1.0, None: 2.0}[p["c"]]
print(d["number"], (p["x"] - 1) ** 2 + p["n"] + bonus + abs(math.log10(p["lr"]) + 3))' "$json")"
    optuna tell --storage "$STORAGE" --study-name quad --trial-number "$number" --values "$value" 2>/dev/null
done
