#!/bin/bash
# The re-evaluation stage (issue 17) end to end, on a tiny model and a small MNIST
# subset (tests/experiment/reeval.ini): `optlab run` is killed with SIGKILL (parent
# and workers) while a re-evaluation trial runs, run again, and must then hold
# exactly one COMPLETE re-evaluation trial per (configuration, seed), of the right
# configurations and with their parameters, and Optuna must load the study
# (tests/experiment/reeval_check.py); the report's luck section is
# checked against the stored values; two more repetitions, and the Repetitions section's
# re-evaluated comparison checked against the storage. About 25 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill -9 -- -"$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
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
# the strips: seeds that never learned (status never_learned) are block 2 of the figure's data, marked at the
# foot of a range drawn from the seeds that learned; every other re-evaluation trial is a dot of block 0
/usr/bin/python3 - "$db" "$tmp/rep/figures" <<'PY'
import sqlite3, sys, os
db, figs = sys.argv[1:]
c = sqlite3.connect(db)
q = """select s.study_name, a.value_json from trials t join studies s using(study_id)
       join trial_user_attributes a on a.trial_id = t.trial_id and a.key = 'status'
       where t.state = 'COMPLETE' and exists (select 1 from trial_system_attributes r
             where r.trial_id = t.trial_id and r.key = 'optlab:reeval')"""
want = {}
for study, status in c.execute(q):
    slug = study.split("/")[-1]
    k = want.setdefault(slug, [0, 0])
    k[1 if status == '"never_learned"' else 0] += 1
for slug, (learned, never) in want.items():
    blocks = open(os.path.join(figs, f"luck-{slug}.dat")).read().split("\n\n\n")
    rows = [[l for l in b.splitlines() if l and not l.startswith("#") and not l.startswith("NaN")] for b in blocks]
    assert len(rows[0]) == learned and len(rows[2]) == never, (slug, learned, never, len(rows[0]), len(rows[2]))
    gp = open(os.path.join(figs, f"luck-{slug}.gp")).read()
    assert ("index 2" in gp) == (never > 0), (slug, never)
    lo = float(gp.split("set yrange [")[1].split(":")[0])
    assert all(float(r.split()[1]) >= lo for r in rows[0]), slug
    print(f"luck figure {slug}: {learned} learned seeds, {never} never learned")
PY
"$BIN" report --storage "sqlite:///$db" --report-dir "$tmp/rep-ko" --lang ko > /dev/null
grep -q "## 최고 결과 중 운의 몫" "$tmp/rep-ko/README.md" || { echo "FAIL: no Korean luck section"; exit 1; }

# 5. two more repetitions (issue 17.5): the Repetitions section compares the repetitions' re-evaluated
# results, checked against the storage by tests/experiment/reeval_repeats_check.py
run --repetition 1 --repeat 2 > "$tmp/out5" 2>&1 || { cat "$tmp/out5"; exit 1; }
"$BIN" report --storage "sqlite:///$db" --report-dir "$tmp/rep3" > /dev/null
/usr/bin/python3 tests/experiment/reeval_repeats_check.py "$db" "$tmp/rep3/README.md"
[ -s "$tmp/rep3/figures/repeats-reeval-test.png" ] || { echo "FAIL: no repeats-reeval-test.png"; exit 1; }
grep -q "^\* By re-evaluated results" "$tmp/rep3/README.md" || { echo "FAIL: the conclusion lacks the re-evaluated ranking"; exit 1; }
"$BIN" report --storage "sqlite:///$db" --report-dir "$tmp/rep3-ko" --lang ko > /dev/null
grep -q "### 재평가 결과로 본 반복" "$tmp/rep3-ko/README.md" || { echo "FAIL: no Korean re-evaluated repetitions"; exit 1; }
# 6. a repetition that has not finished is left out of the comparisons, and the report says how far it got.
# Copy A: repetition 2's Adadelta without its last 2 search trials (a run still searching): out of every
# comparison. Copy B: repetition 1's Adam without one seed's re-evaluation trial (a run still re-evaluating):
# in the comparison of single best trials, out of the re-evaluated one. Copy C: repetition 2's studies
# stored without a trial (`optlab run --repeat` creates them all before it starts): "not started".
/usr/bin/python3 - "$db" "$tmp/partA.db" "$tmp/partB.db" "$tmp/partC.db" <<'PY'
import shutil, sqlite3, sys
def cut(path, study, query):
    c = sqlite3.connect(path)
    sid = c.execute("select study_id from studies where study_name = ?", (study,)).fetchone()[0]
    tids = [(t,) for (t,) in c.execute(query, (sid,))]
    assert tids, (study, "nothing to cut")
    for t in ("trial_values", "trial_params", "trial_user_attributes", "trial_system_attributes",
              "trial_intermediate_values", "trial_heartbeats", "trials"):
        c.executemany(f"delete from {t} where trial_id = ?", tids)
    c.commit()
marked = "(select trial_id from trial_system_attributes where key = 'optlab:reeval')"
shutil.copy(sys.argv[1], sys.argv[2])
cut(sys.argv[2], "reeval#r2/adadelta",
    f"select trial_id from trials where study_id = ? and trial_id not in {marked} order by number desc limit 2")
shutil.copy(sys.argv[1], sys.argv[3])
cut(sys.argv[3], "reeval#r1/adam",
    f"select trial_id from trials where study_id = ? and state = 'COMPLETE' and trial_id in {marked} "
    "order by number desc limit 1")
shutil.copy(sys.argv[1], sys.argv[4])
for opt in ("adam", "adadelta"):
    cut(sys.argv[4], f"reeval#r2/{opt}", "select trial_id from trials where study_id = ?")
PY
note="Not in these statistics, not finished when this report was written:"
"$BIN" report --storage "sqlite:///$tmp/partA.db" --report-dir "$tmp/partA" > /dev/null
grep -q "^$note repetition 2 (Adadelta 9 of 11 trials)\.$" "$tmp/partA/README.md" &&
    grep -q "The 2 repetitions with a result for every optimizer" "$tmp/partA/README.md" ||
    { grep -n "Not in these\|repetitions with a result" "$tmp/partA/README.md"; echo "FAIL: an unfinished search counted"; exit 1; }
"$BIN" report --storage "sqlite:///$tmp/partB.db" --report-dir "$tmp/partB" > /dev/null
grep -q "The 3 repetitions with a result for every optimizer" "$tmp/partB/README.md" &&
    grep -q "^In all 2 of these repetitions" "$tmp/partB/README.md" &&
    grep -q "^$note repetition 1 (Adam re-evaluation 8 of 9 trials)\.$" "$tmp/partB/README.md" ||
    { grep -n "Not in these\|repetitions with a result\|In all" "$tmp/partB/README.md"; echo "FAIL: an unfinished re-evaluation counted"; exit 1; }
"$BIN" report --storage "sqlite:///$tmp/partC.db" --report-dir "$tmp/partC" > /dev/null
grep -q "^$note repetition 2 (not started)\.$" "$tmp/partC/README.md" &&
    grep -q "The 2 repetitions with a result for every optimizer" "$tmp/partC/README.md" ||
    { grep -n "Not in these\|repetitions with a result" "$tmp/partC/README.md"; echo "FAIL: a repetition not begun is not said to be not started"; exit 1; }
echo "reeval: resumed after kill -9, $after trials; 3 repetitions compared by their re-evaluated results; unfinished ones left out"
