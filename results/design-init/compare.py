"""Design choices of the seed experiment (issue 17.3), one run each, compared:
   compare.py DB_A DB_B                    (labels "paired" and "independent", as results/design-init)
   compare.py LABEL=DB [LABEL=DB ...]      (e.g. shared=run.db own=own.db, as results/design-stream)
For each run: each optimizer's best trial, top 5 and never-learning trials; for each pair of
optimizers the Spearman correlation of trial k's valid accuracy, the trial numbers in both top 5s;
and for Adam and AdamW how often trial k drew the same value of each hyperparameter they share."""
import sqlite3, sys
import numpy as np
def spearmanr(x, y, n_perm=20000):
    # Spearman's rho (Pearson of ranks; ties get mean ranks) and a two-sided permutation p
    def rank(v):
        v = np.asarray(v, float); o = np.argsort(v, kind='mergesort'); r = np.empty(len(v)); r[o] = np.arange(len(v))
        for u in np.unique(v):
            m = v == u
            r[m] = r[m].mean()
        return r
    a, b = rank(x), rank(y)
    a = (a - a.mean()) / a.std(); b = (b - b.mean()) / b.std()
    rho = float((a * b).mean())
    rng = np.random.default_rng(0)
    null = np.array([(a * rng.permutation(b)).mean() for _ in range(n_perm)])
    return rho, (1 + np.sum(np.abs(null) >= abs(rho))) / (n_perm + 1)
def load_params(db):
    c = sqlite3.connect(db)
    out = {}
    for sn, num, name, val in c.execute("""select s.study_name, t.number, p.param_name, p.param_value
        from trials t join studies s using(study_id) join trial_params p using(trial_id)
        where not exists (select 1 from trial_system_attributes a where a.trial_id=t.trial_id and a.key='optlab:reeval')"""):
        out.setdefault(sn.split('/')[-1], {}).setdefault(num, {})[name] = val
    return out
def load(db):
    c = sqlite3.connect(db)
    out = {}
    for sn, num, val, test in c.execute("""select s.study_name, t.number, v.value,
        (select value_json from trial_user_attributes a where a.trial_id=t.trial_id and a.key='test_accuracy')
        from trials t join studies s using(study_id) join trial_values v using(trial_id) where t.state='COMPLETE'"""):
        out.setdefault(sn.split('/')[-1], {})[num] = (val, float(test) if test else None)
    return out
runs = [a.split("=", 1) for a in sys.argv[1:]] if "=" in sys.argv[1] else \
       [("paired", sys.argv[1]), ("independent", sys.argv[2])]
for label, db in runs:
    d = load(db)
    print(f"== {label} ({db})")
    tops = {}
    for o in ("adam", "adamw", "adadelta"):
        s = d[o]
        best = max(s, key=lambda k: s[k][0])
        order = sorted(s, key=lambda k: -s[k][0])
        tops[o] = order[:5]
        never = sorted(k for k in s if s[k][0] < 0.5)
        print(f"  {o:9s} best #{best} valid {100*s[best][0]:.2f} test {100*s[best][1]:.2f}; top 5 {order[:5]}; never learned {never}")
    pairs = (("adam", "adamw"), ("adam", "adadelta"), ("adamw", "adadelta"))
    for a, b in pairs:
        ks = [k for k in range(70) if k in d[a] and k in d[b] and d[a][k][0] > 0.5 and d[b][k][0] > 0.5]
        ks10 = [k for k in ks if k >= 10]
        r, p = spearmanr([d[a][k][0] for k in ks], [d[b][k][0] for k in ks])
        r10, p10 = spearmanr([d[a][k][0] for k in ks10], [d[b][k][0] for k in ks10])
        shared_top = sorted(set(tops[a]) & set(tops[b]))
        na = {k for k in d[a] if d[a][k][0] < 0.5}; nb = {k for k in d[b] if d[b][k][0] < 0.5}
        print(f"  {a}-{b}: Spearman of trial k's valid accuracy r {r:+.2f} (p {p:.2g}, {len(ks)} trials), trials 10-69 r {r10:+.2f} (p {p10:.2g}); "
              f"trial numbers in both top 5: {shared_top}; never learned in both: {sorted(na & nb)}")
    pa = load_params(db)
    for name in sorted(set(pa["adam"].get(0, {})) & set(pa["adamw"].get(0, {}))):
        same = [k for k in range(70) if k in pa["adam"] and k in pa["adamw"]
                and pa["adam"][k].get(name) == pa["adamw"][k].get(name)]
        print(f"  adam-adamw {name}: trial k drew the same value in {len(same)} of 70 trials "
              f"({sum(k < 10 for k in same)} of the first 10)")
