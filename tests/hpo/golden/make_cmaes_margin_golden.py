#!/usr/bin/python3
"""Writes tests/hpo/golden/cmaes_margin.txt: the state of the `cmaes` package's CMAwM (CMA-ES with
Margin; cmaes 0.9.1, what Optuna 3.1's CmaEsSampler(with_margin=True) runs on; Debian python3-cmaes)
after telling it fixed generations, for tests/hpo/test_cmaes_margin_ws.c, which tells optlab's
CMA-ES with margin the same points.

    /usr/bin/python3 tests/hpo/golden/make_cmaes_margin_golden.py > tests/hpo/golden/cmaes_margin.txt

optlab works on the unit cube: an int of K values owns K equal cells, value j at (j + 0.5) / K, so
CMAwM is given bounds [0.5/K, 1 - 0.5/K] and step 1/K for it (the thresholds, midway between
values, are then j / K as in optlab), and [0, 1] for a float.

Format: "case N LAMBDA GENS SIGMA0", "k K_1 ... K_N" (0 = float), "m0 ...", then per generation
LAMBDA lines "x ... f", then "sigma S", "mean ...", "A ..."."""
import math

import cmaes
import numpy as np

print("# made by tests/hpo/golden/make_cmaes_margin_golden.py with cmaes %s" % cmaes.__version__)
cases = (
    # K per coordinate (0: float), lambda, generations, sigma0, spread of the grid coordinates' points
    ((0, 5, 2), 7, 6, 0.2, 0.05),
    ((0, 0, 3, 9), 8, 8, 0.15, 0.02),
    ((4, 2), 6, 10, 0.3, 0.1),
)
for ks, lam, gens, sigma0, spread in cases:
    n = len(ks)
    m0 = np.array([0.3 + 0.13 * j for j in range(n)])
    bounds = np.array([[0.0, 1.0] if k == 0 else [0.5 / k, 1 - 0.5 / k] for k in ks])
    steps = np.array([0.0 if k == 0 else 1.0 / k for k in ks])
    o = cmaes.CMAwM(mean=m0.copy(), sigma=sigma0, bounds=bounds, steps=steps, population_size=lam, seed=1)
    print("case %d %d %d %.17g" % (n, lam, gens, sigma0))
    print("k", " ".join(str(k) for k in ks))
    print("m0", " ".join("%.17g" % v for v in m0))
    mean = o._cma._mean
    for g in range(gens):
        sols = []
        for i in range(lam):
            # points around the mean; on grid coordinates a narrow spread, so that the distribution
            # concentrates on one value there and the margin has work to do
            x = np.array([mean[j] + o._cma._sigma * (1.0 if ks[j] == 0 else spread) * math.sin(1.0 + 3 * i + 7 * j + 11 * g)
                          for j in range(n)])
            f = math.cos(1.3 * i + g) + 0.1 * float(np.sum((x - 0.6) ** 2))
            sols.append((x, f))
            print(" ".join("%.17g" % v for v in x), "%.17g" % f)
        o.tell(sols)
        mean = o._cma._mean
    print("sigma %.17g" % o._cma._sigma)
    print("mean", " ".join("%.17g" % v for v in o._cma._mean))
    print("A", " ".join("%.17g" % v for v in o._A))
