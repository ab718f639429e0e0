"""A 10,000-trial SQLite study for bench/serve.sh, in seconds: Optuna creates the
study and its first trial (so the schema and encodings are Optuna's own), then
the other trials are copies of that trial's rows with new parameters and values,
inserted in one transaction. (../shared/anchors/make_big_study.py writes the same
kind of study through Optuna's add_trials, which takes many minutes here.)

usage: serve_big_study.py DB N [STUDY]
"""
import json
import math
import random
import sqlite3
import sys

import optuna
from optuna.distributions import FloatDistribution

db, n = sys.argv[1], int(sys.argv[2])
name = sys.argv[3] if len(sys.argv) > 3 else "big"
optuna.logging.set_verbosity(optuna.logging.ERROR)
space = {"learning_rate": FloatDistribution(1e-4, 1e-2, log=True), "beta1": FloatDistribution(0.8, 0.95),
         "beta2": FloatDistribution(0.99, 0.9999)}
rng = random.Random(1)


def draw():
    return {"learning_rate": 10 ** rng.uniform(-4, -2), "beta1": rng.uniform(0.8, 0.95),
            "beta2": rng.uniform(0.99, 0.9999)}


study = optuna.create_study(study_name=name, storage=f"sqlite:///{db}", direction="maximize")
study.add_trial(optuna.trial.create_trial(params=draw(), distributions=space, value=rng.uniform(0.9, 0.97)))
con = sqlite3.connect(db)
(study_id,) = con.execute("select study_id from studies where study_name = ?", (name,)).fetchone()
(t0, start, end) = con.execute("select trial_id, datetime_start, datetime_complete from trials where study_id = ?",
                               (study_id,)).fetchone()
dists = dict(con.execute("select param_name, distribution_json from trial_params where trial_id = ?", (t0,)))
with con:
    for number in range(1, n):
        cur = con.execute("insert into trials (number, study_id, state, datetime_start, datetime_complete) "
                          "values (?, ?, 'COMPLETE', ?, ?)", (number, study_id, start, end))
        tid = cur.lastrowid
        con.executemany("insert into trial_params (trial_id, param_name, param_value, distribution_json) "
                        "values (?, ?, ?, ?)", [(tid, k, v, dists[k]) for k, v in draw().items()])
        con.execute("insert into trial_values (trial_id, objective, value, value_type) values (?, 0, ?, 'FINITE')",
                    (tid, rng.uniform(0.9, 0.97)))
print(len(optuna.load_study(study_name=name, storage=f"sqlite:///{db}").trials))
