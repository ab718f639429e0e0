#!/usr/bin/python3
"""Generate parzen_optuna31.txt: log-densities of Optuna 3.1's TPE Parzen
estimator (default options) on random histories, for tests/hpo/test_parzen.c.

    /usr/bin/python3 tests/hpo/golden/make_parzen_golden.py > tests/hpo/golden/parzen_optuna31.txt
    /usr/bin/python3 tests/hpo/golden/make_parzen_golden.py --samples > tests/hpo/golden/parzen_samples_optuna31.txt

With --samples it prints, for the same estimators, the 24 draws that Optuna's
_ParzenEstimator.sample made and the uniforms behind them (one per draw to
pick the component, one for the truncated-normal quantile or the category),
for tests/hpo/test_parzen.c to redraw from the same uniforms.

numpy's default argsort is unstable, so tied observations on a grid may swap
bandwidths between runs of numpy versions; the estimator is run here with a
stable argsort (ties keep trial order), which is what optlab does.
Line format: kind low high log step n_choices k obs... m pts... logpdf...
(kind 0 float, 1 int, 2 categorical; values in optlab's internal representation);
with --samples: kind low high log step n_choices k obs... m u_component... u_value... draws...
"""
import sys

import numpy as np
import optuna
from optuna import distributions as D
import optuna.samplers._tpe.parzen_estimator as PEM
from optuna.samplers._tpe.sampler import default_weights


class _StableNumpy:
    def __getattr__(self, k):
        return getattr(np, k)

    def argsort(self, a, **kw):
        return np.argsort(a, kind="stable")


class _Recorder:
    """A RandomState that keeps the uniforms behind the estimator's draws."""

    def __init__(self, base):
        self.base = base
        self.u_component = self.u_value = None

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
        self.u_value = self.base.uniform(low, high, size)
        return self.u_value

    def rand(self, n):
        self.u_value = self.base.rand(n)
        return self.u_value


PEM.np = _StableNumpy()
samples_mode = sys.argv[1:] == ["--samples"]
assert optuna.__version__.startswith("3.1")
params = PEM._ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False)
rng = np.random.RandomState(20250228)
cases = [(0, -5.0, 10.0, 0, 0.0, 0, D.FloatDistribution(-5, 10)),
         (0, 1e-5, 1e-1, 1, 0.0, 0, D.FloatDistribution(1e-5, 1e-1, log=True)),
         (0, 0.0, 1.0, 0, 0.25, 0, D.FloatDistribution(0, 1, step=0.25)),
         (1, 0.0, 10.0, 0, 1.0, 0, D.IntDistribution(0, 10)),
         (1, 2.0, 12.0, 0, 5.0, 0, D.IntDistribution(2, 12, step=5)),
         (1, 1.0, 1000.0, 1, 1.0, 0, D.IntDistribution(1, 1000, log=True)),
         (2, 0.0, 0.0, 0, 0.0, 3, D.CategoricalDistribution(["a", "b", "c"]))]
for kind, lo, hi, lg, st, nc, dist in cases:
    for k in [0, 1, 2, 5, 27, 40]:
        if kind == 2:
            obs = rng.randint(0, nc, size=k).astype(float)
        elif kind == 1 and lg:
            obs = np.clip(np.round(np.exp(rng.uniform(np.log(lo - 0.5), np.log(hi + 0.5), size=k))), lo, hi)
        elif kind == 1 or st:
            obs = lo + np.round(rng.uniform(0, (hi - lo) / st, size=k)) * st
        elif lg:
            obs = np.exp(rng.uniform(np.log(lo), np.log(hi), size=k))
        else:
            obs = rng.uniform(lo, hi, size=k)
        pe = PEM._ParzenEstimator({"x": obs}, {"x": dist}, params)
        rec = _Recorder(rng)
        # (categorical densities are taken at every choice, without drawing: the
        # draws of --samples would move the random stream of later cases)
        drawn = pe.sample(rec, 24)["x"].astype(float) if kind != 2 or samples_mode else None
        pts = np.arange(nc, dtype=float) if kind == 2 else drawn
        ref = pe.log_pdf({"x": pts.astype(int) if kind == 2 else pts})
        head = [kind, repr(lo), repr(hi), lg, repr(st), nc, k] + [repr(float(v)) for v in obs]
        if samples_mode:
            fields = head + [len(drawn)] + [repr(float(v)) for v in rec.u_component] + \
                     [repr(float(v)) for v in rec.u_value] + [repr(float(v)) for v in drawn]
        else:
            fields = head + [len(pts)] + [repr(float(v)) for v in pts] + [repr(float(v)) for v in ref]
        print(" ".join(map(str, fields)))
