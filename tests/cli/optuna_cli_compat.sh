#!/bin/bash
# Optuna CLI compatibility (issue 13, point 2): tests/cli/_optuna_tune.sh is a
# tuning loop written for `optuna ask`/`optuna tell`. It runs once as it is,
# with Debian's Optuna 3.1 (proving it is a genuine Optuna script), then with
# only the command name changed to optlab. Optuna then loads optlab's study:
# same direction, distributions equal to the ones Optuna stored for the same
# search space, every value told, and ask's JSON with the types Optuna prints
# (int for the IntDistribution, the categorical choices as numbers, string,
# null and bool).
set -eu
cd "$(dirname "$0")/../.."
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v optuna >/dev/null || fail "Debian's optuna command (python3-optuna) is not installed"

bash tests/cli/_optuna_tune.sh "sqlite:///$tmp/optuna.db" 1 "$tmp/optuna.log" || fail "the script fails with Optuna itself"
# only the command name changes: "optuna ask" -> "$BIN ask", "optuna tell" -> "$BIN tell"
sed "s|optuna ask |$BIN ask |; s|optuna tell |$BIN tell |" tests/cli/_optuna_tune.sh >"$tmp/optlab_tune.sh"
[ "$(diff tests/cli/_optuna_tune.sh "$tmp/optlab_tune.sh" | grep -c '^>')" -eq 2 ] || fail "more than the command name changed"
bash "$tmp/optlab_tune.sh" "sqlite:///$tmp/optlab.db" 12 "$tmp/optlab.log" || fail "the Optuna script fails with optlab"
cat "$tmp/optlab.log"

/usr/bin/python3 - "$tmp" <<'PY'
import json, math, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
tmp = sys.argv[1]
ref = optuna.load_study(study_name="quad", storage=f"sqlite:///{tmp}/optuna.db")
got = optuna.load_study(study_name="quad", storage=f"sqlite:///{tmp}/optlab.db")
S = optuna.trial.TrialState
assert got.direction == ref.direction == optuna.study.StudyDirection.MINIMIZE
assert len(got.trials) == 12 and all(t.state == S.COMPLETE for t in got.trials), [t.state for t in got.trials]
assert got.trials[0].distributions == ref.trials[0].distributions, (got.trials[0].distributions, ref.trials[0].distributions)
for t in got.trials:
    p = t.params
    bonus = 3.0 if isinstance(p["c"], bool) else {1: 0.0, 2.5: 0.5, "a": 1.0, None: 2.0}[p["c"]]
    want = (p["x"] - 1) ** 2 + p["n"] + bonus + abs(math.log10(p["lr"]) + 3)
    assert abs(t.value - want) < 1e-9 * max(1, abs(want)), (t.number, t.value, want)
    assert p["n"] in (1, 3, 5, 7, 9) and 1e-5 <= p["lr"] <= 0.1 and -4 <= p["x"] <= 4
assert got.best_value == min(t.value for t in got.trials)
def types(log):
    out = []
    for line in open(log):
        d = json.loads(line)
        assert set(d) == {"number", "params"} and isinstance(d["number"], int)
        assert list(d["params"]) == ["x", "lr", "n", "c"], list(d["params"])
        assert isinstance(d["params"]["n"], int) and isinstance(d["params"]["x"], float)
        out.append(d)
    return out
ours, theirs = types(f"{tmp}/optlab.log"), types(f"{tmp}/optuna.log")
# the categorical keeps its JSON type: 1 -> int, 2.5 -> float, "a" -> str, null -> None, true -> bool
seen = {type(d["params"]["c"]).__name__ for d in ours}
for d in ours + theirs:
    c = d["params"]["c"]
    assert c in (1, 2.5, "a", None, True) and (c is not True or isinstance(c, bool)), c
assert len(seen) >= 2, "12 asks drew one choice type only: %s" % seen
# optlab's JSON has json.dumps's layout, as Optuna prints it
line = open(f"{tmp}/optlab.log").readline().strip()
assert line == json.dumps(json.loads(line)), line
print("ok: optlab ran the Optuna script; types drawn:", sorted(seen))
PY
