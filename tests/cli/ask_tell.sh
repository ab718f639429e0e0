#!/bin/bash
# `optlab ask` / `optlab tell` tune an external program (here: a shell
# arithmetic objective) as Optuna's CLI does; Optuna reads the result, the
# budget (--trials) stops asks, and bad input gets clear messages.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
S="sqlite:///$tmp/a.db"
for i in 0 1 2 3 4; do
    json=$("$BIN" ask --storage "$S" --study quad --create minimize --seed 3 --trials 5 \
        --param 'x=float:-4:4' --param 'lr=float:1e-4:1e-1:log' --param 'bs=int:16:128' --param 'act=cat:relu,tanh')
    echo "$json"
    num=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["number"])' "$json")
    val=$(/usr/bin/python3 -c 'import json,sys; p=json.loads(sys.argv[1])["params"]; assert p["act"] in ("relu","tanh"); assert 16 <= p["bs"] <= 128 and isinstance(p["bs"], int); assert 1e-4 <= p["lr"] <= 0.1; print((p["x"]-1)**2)' "$json")
    [ "$num" = "$i" ]
    "$BIN" tell --storage "$S" --study quad --trial "$num" --value "$val"
done
# the budget is full
set +e
out=$("$BIN" ask --storage "$S" --study quad --trials 5 --param 'x=float:-4:4' 2>&1); rc=$?
set -e
[ $rc -eq 3 ] && grep -q "is full" <<<"$out" || { echo "expected 'is full' (exit 3), got $rc: $out"; exit 1; }
# telling twice, unknown trial, unknown study, quotes, bad specs
expect() { local pat=$1; shift; set +e; out=$("$@" 2>&1); rc=$?; set -e
    [ $rc -ne 0 ] && grep -qF -- "$pat" <<<"$out" || { echo "expected failure with '$pat': rc=$rc $out"; exit 1; }; echo "ok: $out"; }
expect "is COMPLETE already" "$BIN" tell --storage "$S" --study quad --trial 0 --value 1
expect "has no trial 99" "$BIN" tell --storage "$S" --study quad --trial 99 --value 1
expect "no study 'nope'" "$BIN" ask --storage "$S" --study nope --param 'x=float:0:1'
expect "a quote" "$BIN" ask --storage "$S" --study "it's" --create maximize --param 'x=float:0:1'
expect "--values X is required" "$BIN" tell --storage "$S" --study quad --trial 1
expect "unknown kind 'real'" "$BIN" ask --storage "$S" --study quad --param 'x=real:0:1'
expect "x" "$BIN" ask --storage "$S" --study quad --param 'x=float:1:0'
expect "x" "$BIN" ask --storage "$S" --study quad --param 'x=float:0:1:log'
expect "int high '99999999999999999999' is out of range" "$BIN" ask --storage "$S" --study quad --param 'n=int:1:99999999999999999999'
expect "step=0 must be a positive whole number" "$BIN" ask --storage "$S" --study quad --param 'n=int:1:9:step=0'
expect "step=0 must be positive" "$BIN" ask --storage "$S" --study quad --param 'x=float:0:1:step=0'
# a failed trial
n=$("$BIN" ask --storage "$S" --study other --create maximize --param 'y=int:1:3' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
"$BIN" tell --storage "$S" --study other --trial "$n" --state fail
/usr/bin/python3 - "$tmp/a.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name="quad", storage="sqlite:///" + sys.argv[1])
S = optuna.trial.TrialState
assert [t.number for t in s.trials] == list(range(5))
assert all(t.state == S.COMPLETE for t in s.trials)
assert set(s.best_params) == {"x", "lr", "bs", "act"}
assert abs(s.best_value - (s.best_params["x"] - 1) ** 2) < 1e-9
assert s.trials[0].distributions["lr"].log
o = optuna.load_study(study_name="other", storage="sqlite:///" + sys.argv[1])
assert o.trials[0].state == S.FAIL
print("ok")
PY
# without --seed a new study gets a random seed (as Optuna's samplers), stored so later asks reuse it
for s in r1 r2; do "$BIN" ask --storage "$S" --study-name $s --direction minimize --param 'x=float:0:1' >/dev/null; done
seeds=$(/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(*[r[0] for r in c.execute("select a.value_json from study_user_attributes a join studies s using(study_id) where s.study_name in (\"r1\",\"r2\") and a.key=\"optlab:seed\" order by s.study_name")])' "$tmp/a.db")
read -r s1 s2 <<<"$seeds"
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ] || { echo "default seeds not random: '$seeds'"; exit 1; }
echo "ok: random default seeds $s1 $s2"
