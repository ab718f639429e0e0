#!/usr/bin/python3
"""One Optuna 3.1 worker for bench/sqlite_workers.sh: create the study cold
(load_if_exists, as every process of a fresh parallel run does), then ask/tell
TRIALS trials of (x - 1)^2. Every exception that reaches the user is printed on
stderr as one "error: ..." line and counted; the exit status is 1 if any.
    sqlite_workers_optuna.py STORAGE_URL STUDY TRIALS"""
import sys
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
url, name, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = 0
try:  # no retry: a user's script dies here, and its trials are missing from the study
    study = optuna.create_study(study_name=name, storage=url, direction="minimize", load_if_exists=True)
except Exception as e:  # noqa: BLE001 - every error a user would see is the figure
    print(f"error: create_study: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
    sys.exit(1)
for _ in range(trials):
    try:
        t = study.ask()
        x = t.suggest_float("x", -4.0, 4.0)
        study.tell(t, (x - 1.0) ** 2)
    except Exception as e:  # noqa: BLE001
        errors += 1
        print(f"error: ask/tell: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
sys.exit(1 if errors else 0)
