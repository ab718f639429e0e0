#!/usr/bin/python3
"""Optuna 3.1's CmaEsSampler with and without with_margin and source_trials, on the functions and
budgets of build/bench/cmaes_options (bench/cmaes_options.c describes them), seeds F..F+S-1, in the
same per-seed format (bench/hpo_compare.py reads both):

  mixed   CmaEsSampler(seed=s, restart_strategy="ipop") as "cmaes",
          and with with_margin=True as "cmaes-margin"; 80 trials, marks 20 and 40; "mixed-wide"
          the same with the floats on [-10, 10];
  shifted the source task is a study of 60 trials of CmaEsSampler(seed=100000+s, ipop); the target
          runs CmaEsSampler(seed=s, ipop) as "cmaes" and with source_trials=source.trials as
          "cmaes-ws"; 40 trials, marks 10 and 20.

    /usr/bin/python3 bench/cmaes_options_optuna.py [--seeds 100] [--first-seed 0]
"""
import argparse
import warnings

import optuna

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)

C, D = (1.3, -0.7, 2.1), (3, -2, 6)
A = (2.5, -2, 1, -3)


def mixed(half_range):
    def f(t):
        v = 0.0
        for i in range(3):
            x = t.suggest_float("x%d" % i, -half_range, half_range)
            k = t.suggest_int("k%d" % i, -10, 10)
            v += (x - C[i]) ** 2 + (k - D[i]) ** 2
        return v
    return f


def shifted(shift):
    def f(t):
        return sum((t.suggest_float("x%d" % i, -5, 5) - A[i] - shift) ** 2 for i in range(4))
    return f


def run(sampler, objective, trials, marks):
    study = optuna.create_study(sampler=sampler)
    best, at = float("inf"), []
    for i in range(trials):
        t = study.ask()
        v = objective(t)
        study.tell(t, v)
        best = min(best, v)
        if i + 1 in marks:
            at.append(best)
    return study, at


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=0)
    a = ap.parse_args()
    print("# optuna %s: best-so-far regret per seed; mixed after trial 20, 40 and 80; shifted after 10, 20 and 40"
          % optuna.__version__)
    for s in range(a.first_seed, a.first_seed + a.seeds):
        for fn, half_range in (("mixed", 5), ("mixed-wide", 10)):
            for label, kw in (("cmaes", {}), ("cmaes-margin", {"with_margin": True})):
                sm = optuna.samplers.CmaEsSampler(seed=s, restart_strategy="ipop", **kw)
                _, at = run(sm, mixed(half_range), 80, (20, 40, 80))
                print("%s %s %d %s" % (fn, label, s, " ".join("%.17g" % v for v in at)))
        source, _ = run(optuna.samplers.CmaEsSampler(seed=100000 + s, restart_strategy="ipop"), shifted(0.0), 60, ())
        for label, kw in (("cmaes", {}), ("cmaes-ws", {"source_trials": source.trials})):
            sm = optuna.samplers.CmaEsSampler(seed=s, restart_strategy="ipop", **kw)
            _, at = run(sm, shifted(0.4), 40, (10, 20, 40))
            print("shifted %s %d %s" % (label, s, " ".join("%.17g" % v for v in at)), flush=True)


if __name__ == "__main__":
    main()
