#!/usr/bin/python3
"""Generate mvtpe_replay_optuna31.txt: Optuna 3.1's own multivariate TPE
decisions, for tests/hpo/test_mvtpe_replay.c to replay with optlab's mvtpe.

    /usr/bin/python3 tests/hpo/golden/make_mvtpe_replay_golden.py > tests/hpo/golden/mvtpe_replay_optuna31.txt

Three studies with TPESampler(multivariate=True, seed), group=False and
constant_liar=False (Optuna's defaults), serial, so every earlier trial has
finished when a trial is asked:

- "mv-mixed" (minimise, MedianPruner): floats (linear, log, stepped), ints
  (plain, stepped, log), a categorical, plus three parameters that the joint
  space must leave out: "extra", suggested only when c == "gelu" (trials that
  lack it); "y", whose range changes after trial 4 (one name, two
  distributions); "one", a categorical with one choice (Optuna's
  distribution.single(): never sampled, not in the relative space). Some
  trials are pruned after a few steps, some report NaN, some are pruned
  before reporting and some fail, as in make_tpe_replay_golden.py.
- "mv-branin" (maximise -Branin, two floats): a long "above" group, so the
  weights' ramp (more than 25 observations) is used.
- "mv-pruned" (minimise): only the first 3 trials complete, so the "below"
  group is ranked from pruned trials (by step reached, then value).

For every relative (joint) decision the file keeps Optuna's 24 candidate
vectors, drawn from l(x), and the one it chose; for the last decision of each
study, also the uniforms behind the candidates (the recorder hands numpy's own
draws through, so the studies run as they would without it). Trials without a decide line
were sampled at random (start-up): optlab must be in its start-up there too.

Line format:
  study NAME maximize N_TRIALS N_DISTRIBUTIONS
  dist KEY JSON                   (KEY: the name, or name#2 for a second distribution of it)
  trial NUMBER STATE HAS_VALUE VALUE N_STEPS (STEP VALUE)* N_PARAMS (KEY INTERNAL_VALUE)*
  decide NUMBER M D NAME_1..NAME_D (M rows of D candidate values) (D chosen values)
  draw NUMBER (M component uniforms) (M rows of D value uniforms)
                                  (after a study's last decide: the uniforms numpy gave Optuna
                                  for those candidates, for optlab to redraw them)
STATE: 0 RUNNING, 1 COMPLETE, 2 PRUNED, 3 FAIL (optlab's ol_trial_state).
Values are in optlab's internal representation (categorical: the index).
"""
import math
import warnings

import numpy as np
import optuna
from optuna import distributions as D
import optuna.samplers._tpe.parzen_estimator as PEM
import optuna.samplers._tpe.sampler as SM

assert optuna.__version__.startswith("3.1")
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

decisions = []
current = {}

_orig_sample = PEM._ParzenEstimator.sample
_orig_compare = SM.TPESampler._compare
_orig_relative = SM.TPESampler._sample_relative


class _Recorder:
    """The sampler's RandomState, keeping the uniforms behind the estimator's draws: one per
    candidate for the component, then one per candidate for each parameter in turn."""

    def __init__(self, base):
        self.base = base
        self.u_component = None
        self.u_value = []

    def choice(self, a, size, p):
        state = self.base.get_state()
        u = self.base.random_sample(size)
        self.base.set_state(state)
        out = self.base.choice(a, size, p=p)
        cdf = np.cumsum(p)
        assert (out == np.searchsorted(cdf / cdf[-1], u, side="right")).all()
        self.u_component = u
        return out

    def uniform(self, low, high, size):
        assert (low, high) == (0, 1)
        self.u_value.append(self.base.uniform(low, high, size))
        return self.u_value[-1]

    def rand(self, n):
        self.u_value.append(self.base.rand(n))
        return self.u_value[-1]


def _sample(self, rng, size):
    rec = _Recorder(rng)
    out = _orig_sample(self, rec, size)
    current["cand"] = {k: np.asarray(v, dtype=float).copy() for k, v in out.items()}
    assert len(rec.u_value) == len(out)
    current["u"] = (rec.u_component, dict(zip(self._search_space.keys(), rec.u_value)))
    return out


def _compare(samples, log_l, log_g):
    ret = _orig_compare(samples, log_l, log_g)
    current["chosen"] = dict(ret)
    return ret


def _relative(self, study, trial, search_space):
    current.clear()
    ret = _orig_relative(self, study, trial, search_space)
    if "chosen" in current:
        names = list(search_space.keys())
        decisions.append((trial.number, names, current["cand"], current["chosen"], current["u"]))
    return ret


PEM._ParzenEstimator.sample = _sample
SM.TPESampler._compare = staticmethod(_compare)
SM.TPESampler._sample_relative = _relative

MIXED = {
    "x": D.FloatDistribution(-5, 10),
    "lr": D.FloatDistribution(1e-5, 1e-1, log=True),
    "s": D.FloatDistribution(0, 1, step=0.1),
    "n": D.IntDistribution(1, 20),
    "m": D.IntDistribution(2, 12, step=2),
    "k": D.IntDistribution(1, 1000, log=True),
    "c": D.CategoricalDistribution(["relu", "tanh", "gelu"]),
    "one": D.CategoricalDistribution(["only"]),
}
EXTRA = D.FloatDistribution(0, 1)
Y_EARLY, Y_LATE = D.FloatDistribution(0, 1), D.FloatDistribution(0, 2)


def mixed_loss(trial):
    p = {name: trial._suggest(name, d) for name, d in MIXED.items()}
    v = ((p["x"] - 2.5) ** 2 / 10 + (math.log10(p["lr"]) + 3) ** 2 + (p["s"] - 0.3) ** 2
         + abs(p["n"] - 7) / 5 + abs(p["m"] - 6) / 4 + abs(math.log10(p["k"]) - 1.5)
         + {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[p["c"]])
    if p["c"] == "gelu":
        v += 0.5 * trial._suggest("extra", EXTRA)
    v += 0.1 * trial._suggest("y", Y_EARLY if trial.number < 5 else Y_LATE)
    return v


def mixed(trial):
    base = mixed_loss(trial)
    r = trial.number % 11
    if r == 4:
        raise RuntimeError("a failing trial")  # FAIL: never an observation, not in the space's intersection
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


BRANIN = {"u": D.FloatDistribution(-5, 10), "v": D.FloatDistribution(0, 15)}


def branin(trial):
    u, v = (trial._suggest(n, d) for n, d in BRANIN.items())
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return -((v - b * u * u + c * u - 6) ** 2 + 10 * (1 - t) * math.cos(u) + 10)


PRUNED = {
    "a": D.FloatDistribution(0, 4),
    "w": D.IntDistribution(1, 64, log=True),
    "act": D.CategoricalDistribution(["relu", "tanh", "gelu", "silu"]),
}


def mostly_pruned(trial):
    """Only the first 3 trials complete: "below" reaches into the pruned ones,
    ranked by the step they reached (1 before 0), then by value; those pruned
    before reporting anything rank last."""
    a, w, act = (trial._suggest(n, d) for n, d in PRUNED.items())
    base = (a - 1.3) ** 2 + abs(math.log2(w) - 3) + {"relu": 0, "tanh": 0.2, "gelu": 0.1, "silu": 0.4}[act]
    if trial.number < 3:
        return base
    if trial.number % 3 == 0:
        raise optuna.TrialPruned()
    last = 1 if trial.number % 10 == 5 else 0
    for step in range(last + 1):
        trial.report(base * (1 + 1.0 / (step + 1)), step)
    raise optuna.TrialPruned()


STATE = {optuna.trial.TrialState.RUNNING: 0, optuna.trial.TrialState.COMPLETE: 1,
         optuna.trial.TrialState.PRUNED: 2, optuna.trial.TrialState.FAIL: 3}


def run(name, direction, seed, n_trials, fn):
    decisions.clear()
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, warn_independent_sampling=False)
    study = optuna.create_study(study_name=name, direction=direction, sampler=sampler,
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    study.optimize(fn, n_trials=n_trials, catch=(RuntimeError,))
    keys = {}  # (name, distribution JSON) -> key, in first-use order
    for t in study.trials:
        for pname, d in t.distributions.items():
            j = D.distribution_to_json(d)
            if (pname, j) not in keys:
                same = sum(1 for (n, _) in keys if n == pname)
                keys[(pname, j)] = pname if same == 0 else "%s#%d" % (pname, same + 1)
    print("study %s %d %d %d" % (name, direction == "maximize", n_trials, len(keys)))
    for (pname, j), key in keys.items():
        print("dist %s %s" % (key, j))
    for t in study.trials:
        steps = sorted(t.intermediate_values.items())
        has = t.value is not None
        ps = []
        for pname, value in t.params.items():
            d = t.distributions[pname]
            ps.append(" %s %r" % (keys[(pname, D.distribution_to_json(d))], float(d.to_internal_repr(value))))
        print("trial %d %d %d %r %d%s %d%s" % (
            t.number, STATE[t.state], has, t.value if has else 0.0, len(steps),
            "".join(" %d %r" % (s, v) for s, v in steps), len(ps), "".join(ps)))
    for i, (number, names, cand, chosen, (u_comp, u_value)) in enumerate(decisions):
        m = len(cand[names[0]])
        rows = " ".join(" ".join(repr(float(cand[n][c])) for n in names) for c in range(m))
        print("decide %d %d %d %s %s %s" % (number, m, len(names), " ".join(names), rows,
                                           " ".join(repr(float(chosen[n])) for n in names)))
        if i == len(decisions) - 1:
            print("draw %d %s %s" % (number, " ".join(repr(float(u)) for u in u_comp),
                                     " ".join(" ".join(repr(float(u_value[n][c])) for n in names)
                                              for c in range(m))))


run("mv-mixed", "minimize", 3, 36, mixed)
run("mv-branin", "maximize", 11, 36, branin)
run("mv-pruned", "minimize", 5, 26, mostly_pruned)
