"""Check the report's "repetitions by their re-evaluated results" table (issue 17.5) against
the storage, computed here independently: for each repetition and optimizer, the re-evaluated
configuration with the best mean valid-trial accuracy over its seeds (ties: the configuration
whose search trial had the higher value, then the lower trial number), its mean test accuracy;
then the mean over repetitions per optimizer and the paired mean difference.
usage: reeval_repeats_check.py DB README.md"""
import json, re, sqlite3, statistics, sys

db, readme = sys.argv[1:]
c = sqlite3.connect(db)
studies = c.execute("select study_id, study_name from studies").fetchall()

def attr(table, tid, key):
    r = c.execute(f"select value_json from {table} where trial_id = ? and key = ?", (tid, key)).fetchone()
    return json.loads(r[0]) if r else None

result = {}  # (optimizer, repetition) -> mean test of the re-evaluated result
for sid, name in studies:
    head, opt = name.split("/")
    rep = int(head.split("#r")[1]) if "#r" in head else 0
    search, cfg = {}, {}
    for tid, number, state in c.execute("select trial_id, number, state from trials where study_id = ?", (sid,)).fetchall():
        val = c.execute("select value from trial_values where trial_id = ?", (tid,)).fetchone()
        val = val[0] if val and state == "COMPLETE" else None
        src = attr("trial_system_attributes", tid, "optlab:reeval")
        if src is None:
            search[number] = val
            continue
        g = cfg.setdefault(int(src), {})
        if val is None:
            continue  # a seed's FAIL trial (killed, or a duplicate claim) is not its result; its COMPLETE one is
        seed = attr("trial_system_attributes", tid, "optlab:reeval_seed")
        assert int(seed) not in g, (name, src, seed, "two COMPLETE trials")
        g[int(seed)] = (val, attr("trial_user_attributes", tid, "test_accuracy"))
    if not cfg:
        continue
    best = None
    for src in sorted(cfg, key=lambda s: (-(search.get(s) or -1), s)):
        vals = [v for v, _ in cfg[src].values() if v is not None]
        if not vals:
            continue
        m = statistics.fmean(vals)
        if best is None or m > best[0]:
            tests = [t for _, t in cfg[src].values() if t is not None]
            best = (m, statistics.fmean(tests))
    result[(opt, rep)] = best[1]

text = open(readme).read()
section = text.split("### The repetitions by their re-evaluated results")[1].split("\n## ")[0]
opts = sorted({o for o, _ in result})
reps = sorted({r for _, r in result})
labels = {"adam": "Adam", "adadelta": "Adadelta", "adamw": "AdamW"}
means = {}
for o in opts:
    means[o] = statistics.fmean(result[(o, r)] for r in reps)
    row = re.search(r"^\| %s \| ([0-9.]+)" % re.escape(labels.get(o, o)), section, re.M)
    assert row, ("no row for", o)
    assert abs(float(row.group(1)) - 100 * means[o]) < 0.006, (o, row.group(1), 100 * means[o])
a, b = labels["adam"], labels["adadelta"]
d = statistics.fmean(result[("adam", r)] - result[("adadelta", r)] for r in reps)
pair = re.search(r"^\| %s − %s \| ([-+0-9.]+) pp" % (a, b), section, re.M) or \
       re.search(r"^\| %s − %s \| ([-+0-9.]+) pp" % (b, a), section, re.M)
assert pair, "no pair row"
got = float(pair.group(1)) * (1 if pair.re.pattern.startswith(r"^\| %s" % a) else -1)
assert abs(got - 100 * d) < 0.006, (got, 100 * d)
print("report: re-evaluated results over %d repetitions match the storage (%s)" %
      (len(reps), ", ".join("%s %.2f %%" % (o, 100 * means[o]) for o in opts)))
