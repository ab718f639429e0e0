#!/usr/bin/python3
"""Is optlab's TPE as good as Optuna's? Tests the per-seed regrets that
`optlab hpo-bench --per-seed A` and `bench/hpo_optuna.py --per-seed B` wrote.

The two programs draw from different random streams, so seed s of one is not
paired with seed s of the other: each (function, sampler) is compared as two
independent samples of final regrets:

  - the medians and their ratio optlab/Optuna, with a 95 % bootstrap
    percentile interval for the ratio (10,000 resamples of each side);
  - the Mann-Whitney U test, two-sided (normal approximation with the tie
    correction; the samples here hold hundreds of studies), and the
    probability that a random optlab study ends below a random Optuna one
    (U / n1 n2; 0.5 means no difference);

and, within each program, TPE (and CMA-ES, when both files hold "cmaes") against random the
same way, and each CMA-ES variant ("cmaes-margin", "cmaes-ws": bench/cmaes_options.c) against
plain "cmaes". When optlab's
file holds the GP sampler ("gp") a third family compares it with each of
Optuna's model-based samplers in the other file (tpe, and mvtpe = multivariate
TPE). The p values are Holm-adjusted within each family, and the verdict uses
the adjusted p at the 0.05 level.

    /usr/bin/python3 bench/hpo_compare.py OPTLAB_FILE OPTUNA_FILE [--at final|30|10]
"""
import argparse
import math
import sys

import numpy as np


def read(path):
    """{(function, sampler): {seed: (r10, r30, rfinal)}} from a --per-seed file."""
    out = {}
    try:
        f = open(path)
    except OSError as e:
        sys.exit("hpo_compare: %s: %s" % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            w = line.split()
            if len(w) != 6:
                sys.exit("hpo_compare: %s:%d: expected 'function sampler seed r10 r30 rfinal', got %r"
                         % (path, n, line.rstrip()))
            try:
                seed, r = int(w[2]), tuple(float(x) for x in w[3:])
            except ValueError:
                sys.exit("hpo_compare: %s:%d: not a number in %r" % (path, n, line.rstrip()))
            out.setdefault((w[0], w[1]), {})[seed] = r
    if not out:
        sys.exit("hpo_compare: %s holds no per-seed lines" % path)
    return out


def mann_whitney(x, y):
    """(U of x, two-sided p): U counts the pairs with x below y (ties half)."""
    n1, n2 = len(x), len(y)
    both = np.concatenate([x, y])
    order = np.argsort(both, kind="stable")
    ranks = np.empty(len(both))
    s = both[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    r1 = ranks[:n1].sum()
    u_x_above = r1 - n1 * (n1 + 1) / 2  # pairs with x above y
    u = n1 * n2 - u_x_above
    _, counts = np.unique(both, return_counts=True)
    n = n1 + n2
    var = n1 * n2 / 12.0 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    z = (u - n1 * n2 / 2.0) / math.sqrt(var) if var > 0 else 0.0
    return u, math.erfc(abs(z) / math.sqrt(2))


def ratio_interval(x, y, rng, boots=10000):
    """95 % percentile bootstrap interval of median(x) / median(y)."""
    bx = np.median(rng.choice(x, (boots, len(x))), axis=1)
    by = np.median(rng.choice(y, (boots, len(y))), axis=1)
    r = bx / by
    return np.percentile(r, 2.5), np.percentile(r, 97.5)


def verdict(p, prob_below):
    if p >= 0.05:
        return "no significant difference"
    return "first lower (better)" if prob_below > 0.5 else "first higher (worse)"


def holm(ps):
    """Holm's step-down adjustment of a family of p values (same order)."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


def compare(label, x, y, rng):
    """One row: (label, n1, n2, median1, median2, ratio, lo, hi, P(1<2), p)."""
    x, y = np.asarray(x), np.asarray(y)
    u, p = mann_whitney(x, y)
    lo, hi = ratio_interval(x, y, rng)
    mx, my = np.median(x), np.median(y)
    return (label, len(x), len(y), mx, my, mx / my, lo, hi, u / (len(x) * len(y)), p)


def print_family(rows):
    for row, adj in zip(rows, holm([r[-1] for r in rows])):
        print("%-30s %5d %5d %11.4g %11.4g %7.3f [%5.3f, %5.3f] %8.3f %9.2g %9.2g  %s"
              % (row + (adj, verdict(adj, row[8]))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("optlab")
    ap.add_argument("optuna")
    ap.add_argument("--at", choices=["10", "30", "first", "second", "final"], default="final",
                    help="which regret to compare: the first mark (10 unless --marks), the second (30), "
                         "or the last trial (default)")
    a = ap.parse_args()
    col = {"10": 0, "first": 0, "30": 1, "second": 1, "final": 2}[a.at]
    ours, theirs = read(a.optlab), read(a.optuna)
    rng = np.random.default_rng(12345)
    print("regret after trial %s: medians, ratio first/second with its 95 %% bootstrap interval, "
          "P(first < second) and the Mann-Whitney p (two-sided)" % a.at)
    print("%-30s %5s %5s %11s %11s %7s %16s %8s %9s %9s  %s"
          % ("comparison", "n1", "n2", "median1", "median2", "ratio", "95% interval", "P(1<2)", "p", "Holm p",
             "verdict"))
    functions = sorted({f for f, _ in ours} | {f for f, _ in theirs})
    versus, gain = [], []
    # CMA-ES variants (bench/cmaes_options.c): "cmaes-margin" (with_margin), "cmaes-ws" (warm start)
    variants = sorted({sm for _, sm in ours if sm.startswith("cmaes-")} | {sm for _, sm in theirs if sm.startswith("cmaes-")})
    for fn in functions:
        for sm in ("tpe", "mvtpe", "cmaes", "random", *variants):
            if (fn, sm) in ours and (fn, sm) in theirs:
                versus.append(compare("%s %s: optlab/Optuna" % (fn, sm),
                                      [r[col] for r in ours[(fn, sm)].values()],
                                      [r[col] for r in theirs[(fn, sm)].values()], rng))
        for who, d in (("optlab", ours), ("Optuna", theirs)):
            for sm in ("tpe", "cmaes"):
                if (fn, sm) in d and (fn, "random") in d:
                    gain.append(compare("%s %s: %s/random" % (fn, who, sm),
                                        [r[col] for r in d[(fn, sm)].values()],
                                        [r[col] for r in d[(fn, "random")].values()], rng))
            for sm in variants:  # each option against plain CMA-ES, within one program
                if (fn, sm) in d and (fn, "cmaes") in d:
                    gain.append(compare("%s %s: %s/cmaes" % (fn, who, sm),
                                        [r[col] for r in d[(fn, sm)].values()],
                                        [r[col] for r in d[(fn, "cmaes")].values()], rng))
    print_family(versus)
    print_family(gain)
    gp = []
    for fn in functions:
        for other in ("tpe", "mvtpe"):
            if (fn, "gp") in ours and (fn, other) in theirs:
                gp.append(compare("%s: optlab gp/Optuna %s" % (fn, other),
                                  [r[col] for r in ours[(fn, "gp")].values()],
                                  [r[col] for r in theirs[(fn, other)].values()], rng))
    if gp:
        print_family(gp)


if __name__ == "__main__":
    main()
