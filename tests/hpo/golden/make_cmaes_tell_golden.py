#!/usr/bin/python3
"""Writes tests/hpo/golden/cmaes_tell.txt: the state of the `cmaes` package's CMA (0.9.1, the
library Optuna 3.1's CmaEsSampler runs on; Debian python3-cmaes) after telling it fixed
generations, for tests/hpo/test_cmaes.c, which tells optlab's CMA-ES the same points.

    /usr/bin/python3 tests/hpo/golden/make_cmaes_tell_golden.py > tests/hpo/golden/cmaes_tell.txt

Format: "case N LAMBDA GENS SIGMA0", "m0 ...", then per generation LAMBDA lines "x ... f",
then "sigma S", "mean ...", "C ..." (row-major)."""
import math

import cmaes
import numpy as np

print("# made by tests/hpo/golden/make_cmaes_tell_golden.py with cmaes %s" % cmaes.__version__)
for n, lam, gens, sigma0, shift in ((2, 6, 4, 1 / 6, 0.0), (3, 7, 5, 0.2, 1.0), (5, 12, 6, 0.1, 2.0)):
    m0 = np.array([0.3 + 0.1 * j for j in range(n)])
    o = cmaes.CMA(mean=m0.copy(), sigma=sigma0, population_size=lam, seed=1)
    print("case %d %d %d %.17g" % (n, lam, gens, sigma0))
    print("m0", " ".join("%.17g" % v for v in m0))
    for g in range(gens):
        sols = []
        for k in range(lam):
            # points around the mean, shrinking as sigma does; values not monotone in anything simple
            x = o._mean + o._sigma * np.array([math.sin(shift + 1.0 + 3 * k + 7 * j + 11 * g) for j in range(n)])
            f = math.cos(1.3 * k + g + shift) + 0.1 * float(np.sum(x * x))
            sols.append((x, f))
            print(" ".join("%.17g" % v for v in x), "%.17g" % f)
        o.tell(sols)
    o._eigen_decomposition()
    print("sigma %.17g" % o._sigma)
    print("mean", " ".join("%.17g" % v for v in o._mean))
    print("C", " ".join("%.17g" % v for v in o._C.flatten()))
