#!/usr/bin/python3
"""Optuna 3.1's TPESampler(seed=s) and RandomSampler(seed=s) on the functions of
`optlab hpo-bench` (same search spaces, budgets and seeds F..F+S-1), printing the
same table: median best-so-far regret after trials 10, 30 and the last, then
the time of one TPE ask (with its suggests) with 1,000 complete trials.
--per-seed FILE also writes every study's regrets, one line per seed, in the
format of `optlab hpo-bench --per-seed` (bench/hpo_compare.py reads both).
--samplers picks among random, tpe, mvtpe (TPESampler(multivariate=True)) and cmaes
(CmaEsSampler(restart_strategy="ipop"));
--marks A,B reports trials A and B instead of 10 and 30; --ask-sampler names
the sampler whose ask is timed (tpe, mvtpe or cmaes).

    /usr/bin/python3 bench/hpo_optuna.py [--trials 70] [--seeds 20] [--first-seed 0] [--function NAME]
                                         [--ask-history 1000] [--per-seed FILE] [--samplers random,tpe]
                                         [--marks 10,30] [--ask-sampler tpe]
"""
import argparse
import math
import statistics
import time

import warnings

import optuna

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b, c, r, s, tt = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - tt) * math.cos(x1) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(t):
    x = [t.suggest_float("x%d" % (i + 1), 0, 1) for i in range(6)]
    y = 0.0
    for i in range(4):
        e = sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))
        y -= ALPHA[i] * math.exp(-e)
    return y


def loglr(t):
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    beta = t.suggest_float("beta", 0.8, 0.999)
    u, b = math.log10(lr) + 2.5, beta - 0.9
    if math.log10(lr) > -1.3:
        return 0.1
    return 0.98 - 0.03 * u * u - 0.4 * b * b - 0.02 * u * b


FUNCTIONS = [("branin", branin, "minimize", 0.397887357729739),
             ("hartmann6", hartmann6, "minimize", -3.32236801141551),
             ("loglr", loglr, "maximize", 0.98)]


def run(fn, direction, optimum, sampler, trials):
    study = optuna.create_study(direction=direction, sampler=sampler)
    regret, best = [], None
    for _ in range(trials):
        t = study.ask()
        v = fn(t)
        study.tell(t, v)
        best = v if best is None else (max(best, v) if direction == "maximize" else min(best, v))
        regret.append(optimum - best if direction == "maximize" else best - optimum)
    return regret


SAMPLERS = {
    "random": lambda s: optuna.samplers.RandomSampler(seed=s),
    "tpe": lambda s: optuna.samplers.TPESampler(seed=s),
    # Optuna 3.1 warns that multivariate is experimental; the warning is silenced here
    "mvtpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=True),
    # CmaEsSampler with IPOP restarts (optlab's cmaes default; Optuna's default is no restart),
    # one random start-up trial and a random independent sampler (both Optuna's defaults)
    "cmaes": lambda s: optuna.samplers.CmaEsSampler(seed=s, restart_strategy="ipop"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=70)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--function", default=None)
    ap.add_argument("--ask-history", type=int, default=1000)
    ap.add_argument("--per-seed", default=None, metavar="FILE")
    ap.add_argument("--samplers", default="random,tpe")
    ap.add_argument("--marks", default="10,30")
    ap.add_argument("--ask-sampler", default="tpe", choices=sorted(SAMPLERS))
    ap.add_argument("--history-sampler", default="random", choices=["random", "same"],
                    help="who asks the --ask-history trials: RandomSampler or the timed sampler itself")
    a = ap.parse_args()
    names = a.samplers.split(",")
    for n in names:
        if n not in SAMPLERS:
            ap.error("--samplers: unknown sampler %r (known: %s)" % (n, ", ".join(sorted(SAMPLERS))))
    mark1, mark2 = (int(x) for x in a.marks.split(","))
    raw = open(a.per_seed, "w") if a.per_seed else None
    if raw:
        raw.write("# optuna %s: best-so-far regret per seed after trial %d, %d and %d\n"
                  % (optuna.__version__, mark1, mark2, a.trials))
    marks = [mark1, mark2, a.trials]
    print("# optuna %s hpo bench: %d trials x %d seeds from %d; median best-so-far regret after trial"
          % (optuna.__version__, a.trials, a.seeds, a.first_seed))
    print("%-10s %-7s %12s %12s %12s" % ("function", "sampler", "@%d" % mark1, "@%d" % mark2, "@final"))
    for name, fn, direction, optimum in FUNCTIONS:
        if a.function and a.function != name:
            continue
        for sname in names:
            at = [[], [], []]
            for s in range(a.first_seed, a.first_seed + a.seeds):
                sampler = SAMPLERS[sname](s)
                r = run(fn, direction, optimum, sampler, a.trials)
                for m, k in enumerate(marks):
                    at[m].append(r[min(k, a.trials) - 1])
                if raw:
                    raw.write("%s %s %d %.17g %.17g %.17g\n" % (name, sname, s, at[0][-1], at[1][-1], at[2][-1]))
            med = [statistics.median(x) for x in at]
            print("%-10s %-7s %12.4g %12.4g %12.4g" % (name, sname, med[0], med[1], med[2]), flush=True)
    if raw:
        raw.close()
    if a.ask_history > 0:
        filler = SAMPLERS[a.ask_sampler](1) if a.history_sampler == "same" else optuna.samplers.RandomSampler(seed=1)
        study = optuna.create_study(sampler=filler)
        study.optimize(hartmann6, n_trials=a.ask_history)
        study.sampler = SAMPLERS[a.ask_sampler](1)
        total, cpu, asks = 0.0, 0.0, 20
        for _ in range(asks):
            t0, c0 = time.perf_counter(), time.process_time()
            t = study.ask()
            v = hartmann6(t)
            total += time.perf_counter() - t0
            cpu += time.process_time() - c0
            study.tell(t, v)
        print("%s ask+suggest (hartmann6, 6 params) with %d complete trials%s: %.3f ms (process CPU %.3f ms)"
              % (a.ask_sampler, a.ask_history, " asked by it" if a.history_sampler == "same" else "",
                 1e3 * total / asks, 1e3 * cpu / asks))


if __name__ == "__main__":
    main()
