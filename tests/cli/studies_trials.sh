#!/bin/bash
# studies_trials.sh — `optlab studies` and `optlab trials STUDY` on a storage
# written by Debian's python3-optuna (/usr/bin/python3): the listing matches
# what Optuna holds (counts, best value, params, user attributes), names with
# quotes work, and bad input (missing study, missing file, a file that is not
# a storage) gives a clear message, exit status 1, and leaves files untouched.
set -euo pipefail
BIN=${OPTLAB_BIN:-build/optlab}
work=$(mktemp -d /tmp/optlab-cli-studies-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

WORK="$work" /usr/bin/python3 - <<'PYEOF'
import os, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url = f"sqlite:///{os.environ['WORK']}/x.db"
s = optuna.create_study(study_name="seed/it's \"adam\"", storage=url, direction="maximize",
                        sampler=optuna.samplers.RandomSampler(seed=3))
def f(t):
    lr = t.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    n = t.suggest_int("layers", 1, 3)
    opt = t.suggest_categorical("kind", ["adam", "sgd"])
    # a long status and a missing test accuracy must not break the columns
    t.set_user_attr("status", "never_learned" if t.number == 2 else "ok")
    if t.number % 2 == 0:
        t.set_user_attr("test_accuracy", 0.9712)
    t.set_user_attr("epochs", 12)
    t.set_user_attr("seconds", 3.25)
    t.report(0.5, 0)
    return 0.9 + lr + n / 100
s.optimize(f, n_trials=5)
optuna.create_study(study_name="empty", storage=url)
open(os.environ["WORK"] + "/best.txt", "w").write("%.6g" % s.best_value)
PYEOF
best=$(cat "$work/best.txt")
url="sqlite:///$work/x.db"

out=$("$BIN" studies --storage "$url")
echo "$out"
grep -q "seed/it's \"adam\" *maximize *5 *5 *$best\$" <<<"$out" || fail "studies: the quoted study's line"
grep -q '^empty *minimize *0 *0 *-$' <<<"$out" || fail "studies: the empty study's line"

out=$("$BIN" trials "seed/it's \"adam\"" --storage="$url")
echo "$out"
[ "$(grep -c ' COMPLETE ' <<<"$out")" -eq 5 ] || fail "trials: 5 COMPLETE lines"
grep -q ' ok  *0.9712  *12  *3.25 ' <<<"$out" || fail "trials: user attributes"
grep -Eq 'kind=(adam|sgd)' <<<"$out" || fail "trials: categorical shown as its choice"
grep -Eq 'layers=[123]( |$)' <<<"$out" || fail "trials: int shown as an int"
# every column lines up: "params" starts where each row's first parameter does
col=$(grep -m1 '^number ' <<<"$out" | awk '{ print index($0, "params") }')
grep ' COMPLETE ' <<<"$out" | awk -v c="$col" 'substr($0, c, 14) != "learning_rate=" { bad = 1 } END { exit bad }' \
    || fail "trials: columns out of line (params at column $col)"
grep -q ' never_learned ' <<<"$out" || fail "trials: never_learned status"
grep -q '^test_acc "-": not measured' <<<"$out" || fail "trials: no legend for '-' in test_acc"

# a study that is not there: exit 1, and the message lists the ones that are
if "$BIN" trials nope --storage "$url" 2>"$work/err"; then fail "missing study accepted"; fi
grep -q "no study named 'nope'" "$work/err" && grep -q "seed/it's \"adam\"" "$work/err" && grep -q "empty" "$work/err" \
    || fail "missing study message: $(cat "$work/err")"

# no such file: a message, and no file created
if "$BIN" studies --storage "sqlite:///$work/none.db" 2>"$work/err"; then fail "missing file accepted"; fi
grep -q "none.db" "$work/err" || fail "missing file message: $(cat "$work/err")"
[ ! -e "$work/none.db" ] || fail "a listing created a storage file"

# a file that is not a storage: a message naming it, the file unchanged
printf 'not a database at all\n' >"$work/notes.db"
cp "$work/notes.db" "$work/notes.orig"
if "$BIN" studies --storage "sqlite:///$work/notes.db" 2>"$work/err"; then fail "text file accepted"; fi
grep -q "notes.db.*not an SQLite database" "$work/err" || fail "text file message: $(cat "$work/err")"
cmp -s "$work/notes.db" "$work/notes.orig" || fail "the text file was modified"

"$BIN" studies --help | grep -q 'usage: optlab studies' || fail "studies --help"
"$BIN" trials --help | grep -q 'usage: optlab trials' || fail "trials --help"
set +e
"$BIN" studies --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown option: exit status 2"
"$BIN" trials 2>/dev/null; [ $? -eq 2 ] || fail "no study given: exit status 2"
echo "studies/trials: ok"
