"""Read a study written by optlab's PostgreSQL backend with Debian's Optuna 3.1
(over psycopg2) and print it in a fixed text form that tests/storage/test_postgres.c
compares with what it wrote.

usage: /usr/bin/python3 tests/storage/pg_optuna_readback.py URL STUDY
"""
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
url, name = sys.argv[1], sys.argv[2]
study = optuna.load_study(study_name=name, storage=url)


def num(v):
    if isinstance(v, float):
        return "%.17g" % v
    return str(v)


print("study %s %s" % (study.study_name, study.direction.name))
for k in sorted(study.user_attrs):
    print("study_attr %s=%r" % (k, study.user_attrs[k]))
for t in study.get_trials(deepcopy=False):
    parts = ["trial", str(t.number), t.state.name, num(t.value) if t.value is not None else "None"]
    for k in sorted(t.params):
        parts.append("%s=%s(%s)" % (k, num(t.params[k]), type(t.distributions[k]).__name__))
    parts.append("iv=" + ",".join("%d:%s" % (s, num(v)) for s, v in sorted(t.intermediate_values.items())))
    for k in sorted(t.user_attrs):
        parts.append("ua:%s=%r" % (k, t.user_attrs[k]))
    print(" ".join(parts))
print("best %d" % study.best_trial.number)
