"""Checks a storage written by `optlab run tests/experiment/reeval.ini` (tests/experiment/reeval.sh).

For every study: the search has exactly `trials` COMPLETE trials without optlab:reeval;
the re-evaluated configurations are the best `top` of them plus `median` around the
median; each (configuration, seed) slot has exactly one COMPLETE re-evaluation trial,
marked in both system and user attributes, with the source's parameters and
distributions and a test accuracy; then Optuna itself loads the study.
Usage: reeval_check.py DB TRIALS TOP MEDIAN SEEDS
"""
import json
import sqlite3
import sys

db_path, trials, top, median, seeds = sys.argv[1], *map(int, sys.argv[2:6])
db = sqlite3.connect(db_path)
studies = db.execute("select study_id, study_name from studies order by study_id").fetchall()
assert studies, "no studies"
for sid, name in studies:
    rows = db.execute("select trial_id, number, state from trials where study_id = ?", (sid,)).fetchall()
    sysattr = {tid: dict(db.execute("select key, value_json from trial_system_attributes where trial_id = ?", (tid,)))
               for tid, _, _ in rows}
    user = {tid: dict(db.execute("select key, value_json from trial_user_attributes where trial_id = ?", (tid,)))
            for tid, _, _ in rows}
    params = {tid: {p: (v, d) for p, v, d in db.execute(
        "select param_name, param_value, distribution_json from trial_params where trial_id = ?", (tid,))}
        for tid, _, _ in rows}
    value = {tid: v for tid, v in db.execute(
        "select trial_id, value from trial_values where trial_id in (select trial_id from trials where study_id = ?)",
        (sid,))}
    search = [(n, tid) for tid, n, st in rows if st == "COMPLETE" and "optlab:reeval" not in sysattr[tid]]
    assert len(search) == trials, f"{name}: {len(search)} COMPLETE search trials, expected {trials}"
    ranked = sorted(search, key=lambda x: (-value[x[1]], x[0]))
    m = len(ranked)
    first = max(top, m // 2 - median // 2)
    first = min(first, m - median)
    chosen = [n for n, _ in ranked[:top]] + [n for n, _ in ranked[first:first + median]]
    by_number = {n: tid for tid, n, _ in rows}
    slots = {}
    for tid, n, st in rows:
        if "optlab:reeval" not in sysattr[tid] or st != "COMPLETE":
            continue
        src, k = int(sysattr[tid]["optlab:reeval"]), int(sysattr[tid]["optlab:reeval_seed"])
        assert user[tid].get("optlab:reeval") == str(src), f"{name} trial {n}: user attribute optlab:reeval missing"
        assert (src, k) not in slots, f"{name}: slot (trial {src}, seed {k}) run twice ({slots.get((src, k))}, {n})"
        slots[(src, k)] = n
        assert params[tid] == params[by_number[src]], f"{name} trial {n}: parameters differ from trial {src}'s"
        assert "test_accuracy" in user[tid], f"{name} trial {n}: no test_accuracy"
    want = {(c, k) for c in chosen for k in range(seeds)}
    assert set(slots) == want, f"{name}: slots {sorted(slots)} != {sorted(want)}"
    running = [n for tid, n, st in rows if st == "RUNNING"]
    assert not running, f"{name}: trials still RUNNING: {running}"
    print(f"{name}: {trials} search trials, {len(slots)} re-evaluation trials of {chosen} x {seeds} seeds")

import optuna  # noqa: E402  (Debian's python3-optuna, /usr/bin/python3)
optuna.logging.set_verbosity(optuna.logging.WARNING)
for _, name in studies:
    s = optuna.load_study(study_name=name, storage=f"sqlite:///{db_path}")
    complete = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]
    marked = [t for t in complete if "optlab:reeval" in t.user_attrs]
    assert len(complete) == trials + len(marked), f"optuna: {name}: {len(complete)} COMPLETE"
    assert all(t.params == s.trials[t.user_attrs["optlab:reeval"]].params for t in marked)
    print(f"optuna loads {name}: {len(s.trials)} trials, {len(marked)} marked optlab:reeval")
