#!/bin/bash
# optuna_interop.sh — optlab's SQLite storage and Debian's python3-optuna 3.1
# (/usr/bin/python3) read each other's studies:
#   1. a fresh storage created by optlab has exactly the schema Optuna creates
#      (tables, columns, indexes, alembic_version and version_info rows);
#   2. a study written by optlab (tests/storage/interop_tool.c, built here
#      from the build's storage and core objects) loads with optuna.load_study:
#      same trial count and states, same best value and params, intermediate
#      values and user attributes — under a study name with quotes in it;
#   3. a study created and optimised by Optuna itself (10 trials: float-log,
#      float, int and categorical params) is continued by optlab with 10 more,
#      and Optuna reads all 20 consistently and keeps optimising on top.
# Run from the repo root with OPTLAB_BUILD=<build dir> (scripts/run-tests.sh does).
set -euo pipefail
BUILD=${OPTLAB_BUILD:-build}
PY=/usr/bin/python3
work=$(mktemp -d /tmp/optlab-interop-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The sanitizer build's objects need the sanitizer runtime at link time.
san=""
if nm "$BUILD/obj/storage/sqlite.o" 2>/dev/null | grep __asan >/dev/null; then san="-fsanitize=address,undefined"; fi
# A WITH_POSTGRES=0 build (build-options) links without the PostgreSQL backend and libpq.
storage_objs=("$BUILD"/obj/storage/*.o); pq=-lpq
if grep -qx 'WITH_POSTGRES=0' "$BUILD/build-options" 2>/dev/null; then
    storage_objs=(); pq=
    for o in "$BUILD"/obj/storage/*.o; do [ "$(basename "$o")" = postgres.o ] || storage_objs+=("$o"); done
fi
cc -std=c11 -D_GNU_SOURCE -Iinclude -g $san -o "$work/interop_tool" tests/storage/interop_tool.c \
    "${storage_objs[@]}" "$BUILD"/obj/core/*.o -lsqlite3 $pq -lcjson -lz -lm -pthread

STUDY="it's \"q\" study"
"$work/interop_tool" write "sqlite:///$work/optlab.db" "$STUDY" > "$work/written.jsonl"

WORK="$work" STUDY="$STUDY" TOOL="$work/interop_tool" "$PY" - <<'PYEOF'
import json, math, os, sqlite3, subprocess, sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
work, study_name, tool = os.environ["WORK"], os.environ["STUDY"], os.environ["TOOL"]
assert optuna.__version__.startswith("3.1"), optuna.__version__

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

# 1. the schema optlab creates is the one Optuna creates
optuna.create_study(study_name="s", storage=f"sqlite:///{work}/by_optuna.db")
def schema(path):
    db = sqlite3.connect(path)
    rows = {
        "master": sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=str),
        "alembic": db.execute("SELECT * FROM alembic_version").fetchall(),
        "version_info": db.execute("SELECT version_info_id, schema_version FROM version_info").fetchall(),
    }
    db.close()
    return rows
ours, theirs = schema(f"{work}/optlab.db"), schema(f"{work}/by_optuna.db")
for k in theirs:
    check(ours[k] == theirs[k], f"schema part '{k}' differs:\n optlab {ours[k]}\n optuna {theirs[k]}")
print("schema: identical to Optuna 3.1's (%d objects, alembic %s)" % (len(ours["master"]), ours["alembic"][0][0]))

# 2. Optuna reads what optlab wrote
written = [json.loads(l) for l in open(f"{work}/written.jsonl")]
study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{work}/optlab.db")
check(study.direction == optuna.study.StudyDirection.MAXIMIZE, "direction")
check(study.user_attrs.get("optlab:optimizer") == "adamw", "study user attrs")
trials = study.get_trials(deepcopy=False)
check(len(trials) == len(written) == 12, f"trial count {len(trials)} vs {len(written)}")
choices = ["sgd", "adam", "it's \"q\""]
for t, w in zip(trials, written):
    check(t.number == w["number"], "number")
    check(t.state.name == w["state"], f"trial {t.number} state {t.state.name} vs {w['state']}")
    check(t.params["lr"] == w["params"]["lr"] and t.params["x"] == w["params"]["x"], f"trial {t.number} float params")
    check(t.params["n"] == int(w["params"]["n"]) and isinstance(t.params["n"], int), f"trial {t.number} int param")
    check(t.params["kind"] == choices[int(w["params"]["kind"])], f"trial {t.number} categorical param")
    check(isinstance(t.distributions["lr"], optuna.distributions.FloatDistribution) and t.distributions["lr"].log,
          "log distribution")
    check(sorted(t.intermediate_values) == list(range(w["epochs"])), f"trial {t.number} intermediate steps")
    check(t.user_attrs["epochs"] == w["epochs"] and t.user_attrs["test_accuracy"] == w["test_accuracy"],
          f"trial {t.number} user attrs")
    check(t.datetime_start is not None and t.datetime_complete is not None and t.datetime_complete >= t.datetime_start,
          "datetimes")
    if w["state"] == "COMPLETE":
        check(t.value == w["value"], f"trial {t.number} value")
check(trials[5].user_attrs["status"] == "diverged", "status attr")
best = max((w for w in written if w["state"] == "COMPLETE"), key=lambda w: w["value"])
check(study.best_trial.number == best["number"] and study.best_value == best["value"], "best trial")
check(study.best_params["lr"] == best["params"]["lr"], "best params")
print(f"optlab -> optuna: {len(trials)} trials, best #{study.best_trial.number} value {study.best_value:.6f}, "
      f"{sum(len(t.intermediate_values) for t in trials)} intermediate values")

# 3. Optuna starts a study, optlab continues it, Optuna reads the result
def objective_of(lr, x, n, kind_index):
    return -(math.log10(lr) + 3.0) ** 2 - (x - 0.3) ** 2 + 0.05 * n + (0.5 if kind_index == 1 else 0.0)
def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", choices)
    value = objective_of(lr, x, n, choices.index(kind))
    trial.report(value - 0.1, 0)
    trial.report(value, 1)
    return value
url = f"sqlite:///{work}/by_optuna_study.db"
name = "optuna's \"own\" study"
s = optuna.create_study(study_name=name, storage=url, direction="maximize",
                        sampler=optuna.samplers.TPESampler(seed=1))
s.optimize(objective, n_trials=10)
out = subprocess.run([tool, "continue", url, name, "10"], capture_output=True, text=True)
check(out.returncode == 0, "optlab continue failed: " + out.stderr)
check(out.stdout.count("optuna trial") == 10 and out.stdout.count("optlab trial") == 10, "optlab's listing")
s = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.TPESampler(seed=2))
trials = s.get_trials(deepcopy=False)
check(len(trials) == 20, f"{len(trials)} trials after optlab continued, want 20")
check([t.number for t in trials] == list(range(20)), "numbers 0..19")
for t in trials:
    check(t.state == optuna.trial.TrialState.COMPLETE, f"trial {t.number} state")
    v = objective_of(t.params["lr"], t.params["x"], t.params["n"], choices.index(t.params["kind"]))
    check(abs(t.value - v) < 1e-9, f"trial {t.number}: value {t.value} vs objective {v}")
    check(len(t.intermediate_values) >= 1, f"trial {t.number} intermediate values")
check(s.best_value == max(t.value for t in trials), "best value")
s.optimize(objective, n_trials=2)  # TPE samples from a history that includes optlab's trials
check(len(s.trials) == 22, "Optuna keeps optimising after optlab")
print(f"optuna -> optlab -> optuna: 10 + 10 trials read back, best value {s.best_value:.6f}; 2 more by Optuna")
PYEOF
echo "optuna interop: ok"
