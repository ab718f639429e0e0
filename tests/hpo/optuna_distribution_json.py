#!/usr/bin/python3
"""Print the distribution_json Optuna 3.1 writes for the suggest calls that
tests/hpo/test_distribution.c expects byte for byte.
Run: /usr/bin/python3 tests/hpo/optuna_distribution_json.py"""
import os, sqlite3, tempfile
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
with tempfile.TemporaryDirectory() as d:
    url = "sqlite:///" + os.path.join(d, "x.db")
    study = optuna.create_study(storage=url)

    def objective(t):
        t.suggest_float("lr", 1e-4, 1e-2, log=True)
        t.suggest_float("b", 0.8, 0.95)
        t.suggest_float("q", 0, 1, step=0.1)
        t.suggest_int("n", 1, 10)
        t.suggest_int("m", 1, 100, log=True)
        t.suggest_int("k", 0, 10, step=2)
        t.suggest_categorical("c", ["adam", "sgd"])
        t.suggest_categorical("d", [1, 2.5, None, True])
        return 1.0

    study.optimize(objective, n_trials=1)
    for name, js in sqlite3.connect(os.path.join(d, "x.db")).execute(
            "select param_name, distribution_json from trial_params order by param_id"):
        print(name, js)
