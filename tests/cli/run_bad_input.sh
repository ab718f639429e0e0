#!/bin/bash
# Bad input to `optlab run`: each case fails with a clear message (file:line
# for experiment files) and stores nothing — the storage file is not even
# created, or a corrupt one is left exactly as it was.
set -u
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
# expect_fail NAME PATTERN FILE-CONTENT [extra args...]
expect_fail() {
    local name=$1 pattern=$2 content=$3; shift 3
    printf '%s' "$content" > "$tmp/$name.ini"
    rm -f "$tmp/db.db"
    out=$("$BIN" run "$tmp/$name.ini" --data data --storage "sqlite:///$tmp/db.db" --jobs 1 --no-report "$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then echo "FAIL $name: accepted"; fails=$((fails + 1)); return; fi
    if ! grep -qF -- "$pattern" <<<"$out"; then
        echo "FAIL $name: message lacks '$pattern': $out"; fails=$((fails + 1)); return
    fi
    if [ -e "$tmp/db.db" ]; then echo "FAIL $name: the storage was created"; fails=$((fails + 1)); return; fi
    echo "ok   $name: $out"
}
H=$'[experiment]\nname = t\ntrials = 2\n'
expect_fail malformed "malformed.ini:5: expected 'key = value'" "$H"$'[optimizer adam]\nlearning_rate 1e-3\n'
expect_fail unknown_optimizer "unknown_optimizer.ini:4: unknown optimizer 'adamx'" "$H"$'[optimizer adamx]\n'
expect_fail unknown_hparam "unknown_hparam.ini:5: unknown hyperparameter 'rho' for optimizer adam" "$H"$'[optimizer adam]\nrho = 0.5 0.9\n'
expect_fail low_ge_high "low_ge_high.ini:5: beta1 = 0.9 0.8: low 0.9 must be below high 0.8" "$H"$'[optimizer adam]\nbeta1 = 0.9 0.8\n'
expect_fail log_low_zero "log_low_zero.ini:5: learning_rate = log 0 1e-2: a log scale needs low > 0" "$H"$'[optimizer adam]\nlearning_rate = log 0 1e-2\n'
expect_fail out_of_range "out_of_range.ini:5: beta2 = 0.9 1.2" "$H"$'[optimizer adam]\nbeta2 = 0.9 1.2\n'
expect_fail quote_in_name "quote_in_name.ini:2: name = se\"ed" $'[experiment]\nname = se"ed\n[optimizer adam]\n'
expect_fail quote_in_name2 "a quote" $'[experiment]\nname = it\'s\n[optimizer adam]\n'
expect_fail no_optimizer "no [optimizer NAME] section" "$H"
expect_fail only_unknown "--only sgd: the experiment has no section for it" "$H"$'[optimizer adam]\n' --only sgd
expect_fail bad_jobs "--jobs: '0' is not a whole number" "$H"$'[optimizer adam]\n' --jobs 0
expect_fail missing_data "data" "$H"$'[optimizer adam]\n' --data "$tmp/nodata"

# a missing experiment file
out=$("$BIN" run "$tmp/none.ini" --storage "sqlite:///$tmp/db.db" 2>&1) && { echo "FAIL missing file accepted"; fails=$((fails+1)); }
grep -q "none.ini" <<<"$out" || { echo "FAIL missing file: $out"; fails=$((fails+1)); }

# unwritable storage: a database in a directory that cannot exist
printf '%s[optimizer adam]\n' "$H" > "$tmp/ok.ini"
out=$("$BIN" run "$tmp/ok.ini" --data data --storage "sqlite:///$tmp/ok.ini/sub/x.db" --jobs 1 --no-report 2>&1)
if [ $? -eq 0 ]; then echo "FAIL unwritable: accepted"; fails=$((fails+1)); else echo "ok   unwritable: $out"; fi
grep -q "x.db" <<<"$out" || { echo "FAIL unwritable: message does not name the file"; fails=$((fails+1)); }

# corrupt storage: a file that is not a database is left untouched
head -c 4096 /dev/urandom > "$tmp/corrupt.db"
sum=$(sha256sum < "$tmp/corrupt.db")
out=$("$BIN" run "$tmp/ok.ini" --data data --storage "sqlite:///$tmp/corrupt.db" --jobs 1 --no-report 2>&1)
if [ $? -eq 0 ]; then echo "FAIL corrupt: accepted"; fails=$((fails+1)); else echo "ok   corrupt: $out"; fi
grep -q "corrupt.db" <<<"$out" || { echo "FAIL corrupt: message does not name the file"; fails=$((fails+1)); }
[ "$(sha256sum < "$tmp/corrupt.db")" = "$sum" ] || { echo "FAIL corrupt: the file was changed"; fails=$((fails+1)); }

# a storage whose study of that name was made by another optimizer / seed
printf '[experiment]\nname = t\ntrials = 1\nseed = 1\n[optimizer adam]\n' > "$tmp/s1.ini"
/usr/bin/python3 - "$tmp/clash.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.create_study(study_name="t/adam", storage="sqlite:///" + sys.argv[1], direction="maximize")
s.set_user_attr("optlab:optimizer", "adam"); s.set_user_attr("optlab:seed", 99)
PY
before=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from trials").fetchone()[0])' "$tmp/clash.db")
out=$("$BIN" run "$tmp/s1.ini" --data data --storage "sqlite:///$tmp/clash.db" --jobs 1 --no-report 2>&1)
if [ $? -eq 0 ]; then echo "FAIL clash: accepted"; fails=$((fails+1)); else echo "ok   clash: $out"; fi
grep -q "seed 99" <<<"$out" || { echo "FAIL clash: message lacks the seed"; fails=$((fails+1)); }

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
