#!/usr/bin/python3
"""Generate parzen_optuna31.txt: log-densities of Optuna 3.1's TPE Parzen
estimator (default options) on random histories, for tests/hpo/test_parzen.c.

    /usr/bin/python3 tests/hpo/golden/make_parzen_golden.py > tests/hpo/golden/parzen_optuna31.txt

numpy's default argsort is unstable, so tied observations on a grid may swap
bandwidths between runs of numpy versions; the estimator is run here with a
stable argsort (ties keep trial order), which is what optlab does.
Line format: kind low high log step n_choices k obs... m pts... logpdf...
(kind 0 float, 1 int, 2 categorical; values in optlab's internal representation)."""
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


PEM.np = _StableNumpy()
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
        pts = np.arange(nc, dtype=float) if kind == 2 else pe.sample(rng, 24)["x"].astype(float)
        ref = pe.log_pdf({"x": pts.astype(int) if kind == 2 else pts})
        fields = [kind, repr(lo), repr(hi), lg, repr(st), nc, k] + [repr(float(v)) for v in obs] + \
                 [len(pts)] + [repr(float(v)) for v in pts] + [repr(float(v)) for v in ref]
        print(" ".join(map(str, fields)))
