#!/bin/bash
# `optlab report` on any study (issue 13, point 1): a minimize study made with
# ask/tell, values in the thousands, gets a generic report whose best trial is
# the LOWEST value (checked against Optuna's own best_trial), in its own units,
# with every point in the history figure; a stray study never takes the place
# of the newest experiment; a storage of several stray studies and no
# experiment is refused with the names to choose from.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
S="sqlite:///$tmp/s.db"

# an optlab-style experiment (the attributes `optlab run` writes), made first, with Optuna
/usr/bin/python3 - "$tmp/s.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
st = "sqlite:///" + sys.argv[1]
s = optuna.create_study(study_name="exp/adam", storage=st, direction="maximize")
s.set_user_attr("optlab:experiment", "exp")
s.set_user_attr("optlab:label", "Adam")
for i in range(6):
    t = s.ask({"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)})
    t.set_user_attr("test_accuracy", 0.9 + i / 100)
    s.tell(t, 0.9 + i / 100)
PY

# then a stray minimize study by ask/tell: values (x-3)^2 * 250 + 17, from 17 to ~4400
for i in $(seq 0 19); do
    json=$("$BIN" ask --storage "$S" --study-name quad --direction minimize --seed 5 \
        --param 'x=float:-1:7' --param 'kind=cat:a,b')
    num=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["number"])' "$json")
    val=$(/usr/bin/python3 -c 'import json,sys; p=json.loads(sys.argv[1])["params"]; print((p["x"]-3)**2*250+17)' "$json")
    "$BIN" tell --storage "$S" --study-name quad --trial-number "$num" --values "$val"
done

# default: the newest *experiment*, not the study created last
out=$("$BIN" report --storage "$S" --report-dir "$tmp/r1") || fail "default report failed: $out"
grep -q "report of experiment 'exp'" <<<"$out" || fail "default report is not the experiment: $out"

# the generic report of the minimize study
out=$("$BIN" report --storage "$S" --study-name quad --report-dir "$tmp/r2") || fail "study report failed: $out"
echo "$out"
grep -q "report of study 'quad' (minimize" <<<"$out" || fail "summary line: $out"
md="$tmp/r2/README.md"
read -r best_num best_val <<<"$(/usr/bin/python3 - "$tmp/s.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name="quad", storage="sqlite:///" + sys.argv[1])
assert s.direction == optuna.study.StudyDirection.MINIMIZE
b = s.best_trial
print(b.number, "%.6g" % b.value)
PY
)"
grep -q "Trial #$best_num has the lowest value, \*\*$best_val\*\*" "$md" || {
    cat "$md"; fail "best trial is not Optuna's best (#$best_num, $best_val)"; }
grep -q "Direction (read from storage): \*\*minimize\*\*" "$md" || fail "direction not from storage"
! grep -qi "accuracy\|%" "$md" || { grep -ni "accuracy\|%" "$md"; fail "a generic report speaks of accuracy or percent"; }
# the top-trials table lists the best first
first_row=$(grep -m1 '^| [0-9]' "$md")
[[ "$first_row" == "| $best_num | $best_val |"* ]] || fail "top table does not start with the best: $first_row"
# every trial is in the history figure, none clipped by a fixed range
dat="$tmp/r2/figures/history-quad.dat"
[ "$(grep -vc '^#' "$dat")" -eq 20 ] || fail "history has $(grep -vc '^#' "$dat") rows, not 20"
[ "$(awk '!/^#/ && $2 != "nan" && $2 != "NaN"' "$dat" | wc -l)" -eq 20 ] || fail "history lost values"
awk '!/^#/ && $2 > 100 { big++ } END { exit !(big > 0) }' "$dat" || fail "values far outside 0-1 expected"
grep -q "set autoscale y" "$tmp/r2/figures/history-quad.gp" || fail "history y axis is not from the data"
! grep -q "yrange" "$tmp/r2/figures/history-quad.gp" || fail "history has a fixed y range"
[ -s "$tmp/r2/figures/history-quad.png" ] && [ -s "$tmp/r2/figures/slice-quad-x.svg" ] && \
    [ -s "$tmp/r2/figures/slice-quad-kind.png" ] || fail "figures missing"
# the best-so-far column only ever goes down (minimize)
awk '!/^#/ { if (NR > 3 && $3 > prev + 1e-9) exit 1; prev = $3 }' "$dat" || fail "best so far rises in a minimize study"

# --experiment with a study's name reports that study; an unknown name lists both kinds
out=$("$BIN" report --storage "$S" --experiment quad --report-dir "$tmp/r3") && grep -q "report of study 'quad'" <<<"$out" \
    || fail "--experiment quad: $out"
set +e
err=$("$BIN" report --storage "$S" --experiment nope --report-dir "$tmp/r4" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] && grep -q "no experiment or study 'nope'" <<<"$err" && grep -q "quad" <<<"$err" || fail "unknown name (rc $rc): $err"

# only stray studies: one is reported, several are refused with their names
S2="sqlite:///$tmp/t.db"
"$BIN" ask --storage "$S2" --study-name only --direction minimize --param 'x=float:0:1' >/dev/null
"$BIN" tell --storage "$S2" --study-name only --trial-number 0 --values 1234.5
out=$("$BIN" report --storage "$S2" --report-dir "$tmp/r5") && grep -q "report of study 'only'" <<<"$out" || fail "single stray study: $out"
grep -q '\*\*1234.5\*\*' "$tmp/r5/README.md" || fail "value not in its own units"
"$BIN" ask --storage "$S2" --study-name other --direction maximize --param 'x=float:0:1' >/dev/null
set +e
err=$("$BIN" report --storage "$S2" --report-dir "$tmp/r6" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] && grep -q "no optlab experiment" <<<"$err" && grep -q "only, other" <<<"$err" || fail "several stray studies (rc $rc): $err"
[ ! -e "$tmp/r6" ] || fail "a refused report created its directory"
echo ok
