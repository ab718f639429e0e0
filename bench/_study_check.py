#!/usr/bin/python3
"""Count what a parallel run left in a study (for bench/sqlite_workers.sh,
bench/pg_load.sh and the fault scripts): one line of key=value figures.
    _study_check.py STORAGE_URL STUDY_NAME
SQLite files are read with sqlite3 (plus PRAGMA integrity_check), PostgreSQL
with psycopg2; then optuna.load_study must read the study."""
import sys
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
url, name = sys.argv[1], sys.argv[2]
q_studies = "select count(*) from studies where study_name = %s"
q_trials = ("select t.number, t.state from trials t join studies s on s.study_id = t.study_id "
            "where s.study_name = %s")
if url.startswith("sqlite:///"):
    import sqlite3
    db = sqlite3.connect(url[len("sqlite:///"):], timeout=30)
    q = lambda sql: db.execute(sql.replace("%s", "?"), (name,)).fetchall()  # noqa: E731
    integrity = db.execute("pragma integrity_check").fetchone()[0]
else:
    import psycopg2
    db = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    cur = db.cursor()
    def q(sql):
        cur.execute(sql, (name,))
        return cur.fetchall()
    integrity = "n/a"
studies = q(q_studies)[0][0]
rows = q(q_trials)
nums = [r[0] for r in rows]
states = [r[1] for r in rows]
dups = len(nums) - len(set(nums))
dense = sorted(set(nums)) == list(range(len(set(nums))))
try:
    loaded = len(optuna.load_study(study_name=name, storage=url).trials)
    load = "ok" if loaded == len(rows) else f"read {loaded} of {len(rows)}"
except Exception as e:  # noqa: BLE001
    load = f"failed ({type(e).__name__})"
print(f"studies={studies} trials={len(rows)} complete={states.count('COMPLETE')} fail={states.count('FAIL')} "
      f"running={states.count('RUNNING')} duplicates={dups} dense={'yes' if dense else 'no'} "
      f"integrity={integrity} optuna_load={load}")
