#!/usr/bin/python3
"""Print what `optlab run` stored in a SQLite file, sorted and with every
number as %.17g, for the identical-results check (identical_results.sh):
per study and trial its state and value, parameters with their
distributions, intermediate values, and the user attributes that are not
timings (seconds and the worker's host:pid are left out), then the system
attributes (the diagnostics)."""
import json, sqlite3, sys

db = sqlite3.connect(sys.argv[1])
num = lambda v: "None" if v is None else "%.17g" % v

def attr(text):
    """A JSON attribute value with its numbers as %.17g."""
    def fmt(x):
        if isinstance(x, bool) or x is None or isinstance(x, str): return json.dumps(x)
        if isinstance(x, (int, float)): return num(float(x))
        if isinstance(x, list): return "[" + ", ".join(fmt(y) for y in x) + "]"
        return "{" + ", ".join(json.dumps(k) + ": " + fmt(x[k]) for k in sorted(x)) + "}"
    return fmt(json.loads(text))

for sid, name in db.execute("select study_id, study_name from studies order by study_name"):
    print("study", name)
    for tid, number, state in db.execute(
            "select trial_id, number, state from trials where study_id = ? order by number", (sid,)):
        v = db.execute("select value from trial_values where trial_id = ?", (tid,)).fetchone()
        print("trial", number, state, "value", num(v[0]) if v else "-")
        for p, pv, d in db.execute("select param_name, param_value, distribution_json from trial_params "
                                   "where trial_id = ? order by param_name", (tid,)):
            print("  param", p, num(pv), d)
        for step, iv in db.execute("select step, intermediate_value from trial_intermediate_values "
                                   "where trial_id = ? order by step", (tid,)):
            print("  step", step, num(iv))
        for k, v in db.execute("select key, value_json from trial_user_attributes where trial_id = ? "
                               "and key not in ('seconds') order by key", (tid,)):
            print("  attr", k, attr(v))
        for k, v in db.execute("select key, value_json from trial_system_attributes where trial_id = ? "
                               "and key not in ('optlab:worker', 'optlab:claim') order by key", (tid,)):
            print("  sysattr", k, attr(v))
