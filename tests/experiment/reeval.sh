#!/bin/bash
# The re-evaluation stage (issue 17) end to end, on a tiny model and a small MNIST
# subset (tests/experiment/reeval.ini): `optlab run` is killed with SIGKILL (parent
# and workers) while a re-evaluation trial runs, run again, and must then hold
# exactly one COMPLETE re-evaluation trial per (configuration, seed), of the right
# configurations and with their parameters, and Optuna must load the study
# (tests/experiment/reeval_check.py); the report's luck section is
# checked against the stored values. About 15 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill -9 -- -"$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
db="$tmp/r.db"
run() { OPENBLAS_NUM_THREADS=1 "$BIN" run tests/experiment/reeval.ini --data data --storage "sqlite:///$db" \
    --jobs 2 --no-report "$@"; }

# 1. run in its own process group; kill -9 all of it while a re-evaluation trial is RUNNING
set -m
run > "$tmp/out1" 2>&1 &
pid=$!
set +m
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys, time
deadline = time.time() + 120
q = ("select count(*) from trials t join trial_system_attributes a using(trial_id) "
     "where a.key = 'optlab:reeval' and t.state = ?")
while time.time() < deadline:
    try:
        db = sqlite3.connect(sys.argv[1], timeout=5)
        if db.execute(q, ("COMPLETE",)).fetchone()[0] >= 1 and db.execute(q, ("RUNNING",)).fetchone()[0] >= 1:
            sys.exit(0)
        db.close()
    except sqlite3.OperationalError:
        pass
    time.sleep(0.02)
sys.exit("no re-evaluation trial was seen RUNNING")
PY
kill -9 -- -"$pid"
wait "$pid" 2>/dev/null || true
pid=
left=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from trials where state='RUNNING'\").fetchone()[0])" "$db")
echo "killed with $left trial(s) RUNNING"
[ "$left" -ge 1 ] || { echo "FAIL: kill -9 left no RUNNING trial to resume"; exit 1; }

# 2. resume: the dead workers' trials are failed and their slots run again
run > "$tmp/out2" 2>&1 || { cat "$tmp/out2"; exit 1; }
grep -q "left RUNNING by a stopped run marked FAIL" "$tmp/out2" || { cat "$tmp/out2"; echo "FAIL: no resume message"; exit 1; }
/usr/bin/python3 tests/experiment/reeval_check.py "$db" 11 2 1 3

# 3. a rerun adds nothing
before=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from trials').fetchone()[0])" "$db")
run > "$tmp/out3" 2>&1 || { cat "$tmp/out3"; exit 1; }
after=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from trials').fetchone()[0])" "$db")
[ "$before" = "$after" ] || { echo "FAIL: a finished run added trials ($before -> $after)"; exit 1; }

# 4. the report's luck section (en and ko) and its figures
"$BIN" report --storage "sqlite:///$db" --report-dir "$tmp/rep" > /dev/null
/usr/bin/python3 tests/experiment/reeval_check.py "$db" 11 2 1 3 "$tmp/rep/README.md" | grep '^report:'
for f in luck-adam luck-adadelta; do [ -s "$tmp/rep/figures/$f.png" ] || { echo "FAIL: no $f.png"; exit 1; }; done
"$BIN" report --storage "sqlite:///$db" --report-dir "$tmp/rep-ko" --lang ko > /dev/null
grep -q "## 최고 결과 중 운의 몫" "$tmp/rep-ko/README.md" || { echo "FAIL: no Korean luck section"; exit 1; }
echo "reeval: resumed after kill -9, $after trials"
