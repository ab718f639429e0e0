#!/usr/bin/python3
"""Writes tests/hpo/golden/cmaes_warm_start.txt: the warm-start distribution the `cmaes` package's
get_warm_start_mgd (cmaes 0.9.1, what Optuna 3.1's CmaEsSampler(source_trials=...) calls; Debian
python3-cmaes) estimates from a fixed set of source trials, for tests/hpo/test_cmaes_margin_ws.c,
which stores the same trials as a source study and reads optlab's estimate.

    /usr/bin/python3 tests/hpo/golden/make_cmaes_warm_start_golden.py > tests/hpo/golden/cmaes_warm_start.txt

The parameters x0, x1, x2 are floats on [-5, 5]; optlab estimates on its unit cube, (v + 5) / 10,
so the package is given those coordinates: with its defaults gamma 0.1 and alpha 0.1 (which Optuna
uses), then with gamma 0.2 and alpha 0.05 (optlab's source_gamma and source_alpha).

Format: "trials N", N lines "x0 x1 x2 value" (smaller is better), then per setting "gamma G alpha A",
"mean ...", "sigma S", "C ..." (row-major)."""
import math

import cmaes
import numpy as np

print("# made by tests/hpo/golden/make_cmaes_warm_start_golden.py with cmaes %s" % cmaes.__version__)
n_trials = 47
rows = []
for i in range(n_trials):
    v = [-5 + 10 * (0.5 + 0.45 * math.sin(1.7 * i + 2.3 * j + 0.4)) for j in range(3)]
    f = (v[0] - 1.5) ** 2 + 2 * (v[1] + 2) ** 2 + 0.5 * (v[2] - 0.5) ** 2 + 0.3 * v[0] * v[1]
    rows.append((v, f))
print("trials %d" % n_trials)
for v, f in rows:
    print(" ".join("%.17g" % x for x in v), "%.17g" % f)
sols = [(np.array([(x - (-5)) / (5 - (-5)) for x in v]), f) for v, f in rows]
for gamma, alpha in ((0.1, 0.1), (0.2, 0.05)):
    mean, sigma, cov = cmaes.get_warm_start_mgd(sols, gamma=gamma, alpha=alpha)
    print("gamma %.17g alpha %.17g" % (gamma, alpha))
    print("mean", " ".join("%.17g" % x for x in mean))
    print("sigma %.17g" % sigma)
    print("C", " ".join("%.17g" % x for x in cov.flatten()))
