#!/usr/bin/python3
"""Optuna 3.1's side of bench/ask_scale.sh: in-process ask (TPE, the seed's three Adam
parameters suggested) + tell on a large existing study, as optlab's bench/ask_scale.c does.
Prints the first round and the median of the rest, in ms.
Usage: ask_scale_optuna.py STORAGE_URL STUDY [ROUNDS]"""
import statistics, sys, time
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
url, name = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.TPESampler(seed=1))
times = []
for r in range(rounds):
    t0 = time.perf_counter()
    t = study.ask()
    t.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    t.suggest_float("beta1", 0.8, 0.95)
    t.suggest_float("beta2", 0.99, 0.9999)
    study.tell(t, 0.9 + 0.001 * (r % 50))
    times.append((time.perf_counter() - t0) * 1e3)
rest = times[1:] or times
print(f"optuna {optuna.__version__} in-process TPE ask+suggest+tell (3 params), {len(study.trials)} trials: "
      f"first {times[0]:.0f} ms; next {len(rest)}: median {statistics.median(rest):.0f} ms, max {max(rest):.0f} ms")
