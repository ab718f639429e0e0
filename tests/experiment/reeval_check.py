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

# With a report (6th argument): its luck section's "re-evaluated mean valid" of each
# study's best search trial is the mean of that configuration's re-evaluation values
# over the seeds that learned.
if len(sys.argv) > 6:
    text = open(sys.argv[6], encoding="utf-8").read()
    section = text.split("## How much of the best result is luck", 1)
    assert len(section) == 2, "report: no luck section"
    for sid, name in studies:
        label = db.execute("select value_json from study_user_attributes where study_id = ? and key = 'optlab:label'",
                           (sid,)).fetchone()[0].strip('"')
        best_tid, best_num = db.execute(
            "select t.trial_id, t.number from trials t join trial_values v using(trial_id) where t.study_id = ? and "
            "t.state = 'COMPLETE' and t.trial_id not in (select trial_id from trial_system_attributes where "
            "key = 'optlab:reeval') order by v.value desc, t.number limit 1", (sid,)).fetchone()
        # over the seeds that learned: a never-learning seed (status never_learned) is left out
        vals = [v for (v,) in db.execute(
            "select v.value from trials t join trial_values v using(trial_id) join trial_system_attributes a "
            "using(trial_id) where t.study_id = ? and t.state = 'COMPLETE' and a.key = 'optlab:reeval' and "
            "a.value_json = ? and not exists (select 1 from trial_user_attributes u where u.trial_id = t.trial_id "
            "and u.key = 'status' and u.value_json = '\"never_learned\"')", (sid, str(best_num)))]
        row = next(line for line in section[1].splitlines() if line.startswith(f"| {label} |"))
        want = f"{100 * sum(vals) / len(vals):.2f} %"
        assert row.split("|")[3].strip() == want, f"report row {row!r}: re-evaluated mean should be {want}"
        print(f"report: {label}: best trial {best_num} re-evaluated mean {want}")
    # The results table's "Re-evaluated" column: the configuration with the best mean
    # valid-trial accuracy over its seeds, and that configuration's mean test accuracy.
    table = text.split("## How much of the best result is luck", 1)[0]
    for sid, name in studies:
        label = db.execute("select value_json from study_user_attributes where study_id = ? and key = 'optlab:label'",
                           (sid,)).fetchone()[0].strip('"')
        per = {}
        for tid, v in db.execute(
                "select t.trial_id, v.value from trials t join trial_values v using(trial_id) where t.study_id = ? "
                "and t.state = 'COMPLETE'", (sid,)):
            src = db.execute("select value_json from trial_system_attributes where trial_id = ? and "
                             "key = 'optlab:reeval'", (tid,)).fetchone()
            if src is None:
                continue
            acc = db.execute("select value_json from trial_user_attributes where trial_id = ? and "
                             "key = 'test_accuracy'", (tid,)).fetchone()
            per.setdefault(int(src[0]), []).append((v, float(acc[0])))
        orig = {n: v for n, v in db.execute("select t.number, v.value from trials t join trial_values v "
                                            "using(trial_id) where t.study_id = ?", (sid,))}
        # ties on the mean go to the better original value, then the lower number (luck.c)
        order = sorted(per, key=lambda n: (-orig[n], n))
        win = max(order, key=lambda n: sum(v for v, _ in per[n]) / len(per[n]))
        tests = [a for _, a in per[win]]
        want = f"{100 * sum(tests) / len(tests):.2f} % "
        row = next(line for line in table.splitlines() if line.startswith(f"| {label} |"))
        cell = row.split("|")[4].strip()
        assert cell.startswith(want) and cell.endswith(f"(#{win}, {len(tests)} seeds)"), \
            f"report row {row!r}: re-evaluated cell should be {want}... (#{win}, {len(tests)} seeds)"
        print(f"report: {label}: re-evaluated result trial {win}, mean test {want.strip()}")
