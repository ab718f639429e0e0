#!/usr/bin/python3
"""Generate tpe_replay_optuna31.txt: Optuna 3.1's own TPE decisions, for
tests/hpo/test_tpe_replay.c to replay with optlab's TPE.

    /usr/bin/python3 tests/hpo/golden/make_tpe_replay_golden.py > tests/hpo/golden/tpe_replay_optuna31.txt

Two studies (one minimising, one maximising) with TPESampler(seed) and the
MedianPruner run an objective over every kind of distribution (float, log
float, stepped float, int, stepped int, log int, categorical). Some trials are
pruned after a few reported steps, some report NaN, some are pruned before
reporting anything and some fail, so the history holds every state TPE ranks.
A third study completes only its first 3 trials, so that TPE's "below" group
is made of pruned trials too and their ranking decides it.
For every TPE decision (past the random start-up) the file keeps the
candidates Optuna drew from l(x) and the one it chose; the history is the
study's trials numbered below the deciding one (the objective runs one trial
at a time, so they were all finished by then).

As in make_parzen_golden.py, the estimator's argsort is made stable, so that
tied observations on a grid keep trial order (what optlab does).

Line format:
  study NAME maximize N_TRIALS N_DISTRIBUTIONS
  dist NAME JSON                      (Optuna's distribution JSON, to end of line)
  trial NUMBER STATE HAS_VALUE VALUE N_STEPS (STEP VALUE)* N_PARAMS (NAME INTERNAL_VALUE)*
  decide NUMBER PARAM M CANDIDATE... CHOSEN
STATE: 0 RUNNING, 1 COMPLETE, 2 PRUNED, 3 FAIL (optlab's ol_trial_state).
Values are in optlab's internal representation (categorical: the index).
"""
import math

import numpy as np
import optuna
from optuna import distributions as D
import optuna.samplers._tpe.parzen_estimator as PEM
import optuna.samplers._tpe.sampler as SM


class _StableNumpy:
    def __getattr__(self, k):
        return getattr(np, k)

    def argsort(self, a, **kw):
        return np.argsort(a, kind="stable")


PEM.np = _StableNumpy()
assert optuna.__version__.startswith("3.1")
optuna.logging.set_verbosity(optuna.logging.ERROR)

SPACE = {
    "x": D.FloatDistribution(-5, 10),
    "lr": D.FloatDistribution(1e-5, 1e-1, log=True),
    "s": D.FloatDistribution(0, 1, step=0.1),
    "n": D.IntDistribution(1, 20),
    "m": D.IntDistribution(2, 12, step=2),
    "k": D.IntDistribution(1, 1000, log=True),
    "c": D.CategoricalDistribution(["relu", "tanh", "gelu"]),
}

decisions = []
current = {}

_orig_sample = PEM._ParzenEstimator.sample
_orig_compare = SM.TPESampler._compare
_orig_independent = SM.TPESampler.sample_independent


def _sample(self, rng, size):
    out = _orig_sample(self, rng, size)
    current["cand"] = {k: np.asarray(v, dtype=float).copy() for k, v in out.items()}
    return out


def _compare(samples, log_l, log_g):
    ret = _orig_compare(samples, log_l, log_g)
    current["chosen"] = dict(ret)
    return ret


def _independent(self, study, trial, name, dist):
    current.clear()
    v = _orig_independent(self, study, trial, name, dist)
    if "chosen" in current:
        decisions.append((trial.number, name, current["cand"][name], current["chosen"][name]))
    return v


PEM._ParzenEstimator.sample = _sample
SM.TPESampler._compare = staticmethod(_compare)
SM.TPESampler.sample_independent = _independent


def loss(trial):
    p = {name: trial._suggest(name, d) for name, d in SPACE.items()}
    return ((p["x"] - 2.5) ** 2 / 10 + (math.log10(p["lr"]) + 3) ** 2 + (p["s"] - 0.3) ** 2
            + abs(p["n"] - 7) / 5 + abs(p["m"] - 6) / 4 + abs(math.log10(p["k"]) - 1.5)
            + {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[p["c"]])


def objective(trial):
    base = loss(trial)
    r = trial.number % 11
    if r == 4:
        raise RuntimeError("a failing trial")  # FAIL: never an observation
    if r == 7:
        raise optuna.TrialPruned()  # PRUNED with no intermediate value
    for step in range(5):
        v = base * (1 + 1.0 / (step + 1))
        if r == 9 and step == 2:
            v = float("nan")
        trial.report(v, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return base


def mostly_pruned(trial):
    """Only the first 3 trials complete, so "below" reaches into the pruned
    ones: ranked by the step they reached (1 before 0), then by value; those
    pruned before reporting anything rank last."""
    base = loss(trial)
    if trial.number < 3:
        return base
    if trial.number % 3 == 0:
        raise optuna.TrialPruned()
    last = 1 if trial.number % 10 == 5 else 0
    for step in range(last + 1):
        trial.report(base * (1 + 1.0 / (step + 1)), step)
    raise optuna.TrialPruned()


def internal(name, value):
    return float(SPACE[name].to_internal_repr(value))


STATE = {optuna.trial.TrialState.RUNNING: 0, optuna.trial.TrialState.COMPLETE: 1,
         optuna.trial.TrialState.PRUNED: 2, optuna.trial.TrialState.FAIL: 3}


def run(name, direction, seed, n_trials, fn=objective):
    decisions.clear()
    study = optuna.create_study(study_name=name, direction=direction,
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    sign = 1 if direction == "minimize" else -1

    def obj(t):
        return sign * fn(t)

    study.optimize(obj, n_trials=n_trials, catch=(RuntimeError,))
    print("study %s %d %d %d" % (name, direction == "maximize", n_trials, len(SPACE)))
    for pname, d in SPACE.items():
        print("dist %s %s" % (pname, D.distribution_to_json(d)))
    for t in study.trials:
        steps = sorted(t.intermediate_values.items())
        has = t.value is not None
        print("trial %d %d %d %r %d%s %d%s" % (
            t.number, STATE[t.state], has, t.value if has else 0.0, len(steps),
            "".join(" %d %r" % (s, v) for s, v in steps), len(t.params),
            "".join(" %s %r" % (k, internal(k, v)) for k, v in t.params.items())))
    for number, pname, cand, chosen in decisions:
        print("decide %d %s %d %s %r" % (number, pname, len(cand), " ".join(repr(float(c)) for c in cand),
                                         float(chosen)))


run("replay-min", "minimize", 3, 60)
run("replay-max", "maximize", 11, 60)
run("replay-pruned", "minimize", 5, 50, mostly_pruned)
