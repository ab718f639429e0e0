/*
 * TPE's shortcuts change no bit: the Parzen log-densities (the scores TPE
 * compares) and whole TPE asks on a long history, computed with the
 * shortcuts (grid components far from a point skipped, 40-sigma truncation
 * masses answered at once) and with ol_hpo_tpe_exhaustive = 1 (every term
 * the long way), must be equal as doubles, not merely close.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hpo/hpo_internal.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

/* splitmix64: a test-local stream, independent of the library's RNG */
static double unit(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static double draw(const ol_distribution *d, uint64_t *s) {
    double u = unit(s);
    if (d->log) {
        double v = exp(log(d->low) + u * (log(d->high) - log(d->low)));
        return d->kind == OL_DIST_INT ? fmin(fmax(round(v), d->low), d->high) : v;
    }
    if (d->step > 0) return d->low + d->step * floor(u * (floor((d->high - d->low) / d->step) + 1 - 1e-12));
    return d->low + u * (d->high - d->low);
}

Test(tpe_fast, parzen_log_densities_equal_the_long_way_bit_for_bit) {
    const ol_distribution dists[] = {
        {.kind = OL_DIST_INT, .low = 16, .high = 128, .step = 1},
        {.kind = OL_DIST_INT, .low = 0, .high = 1000, .step = 10},
        {.kind = OL_DIST_FLOAT, .low = 0, .high = 1, .step = 0.05},
        {.kind = OL_DIST_FLOAT, .low = 1e-4, .high = 1e-2, .log = 1},
        {.kind = OL_DIST_FLOAT, .low = 0.8, .high = 0.95},
        {.kind = OL_DIST_INT, .low = 1, .high = 1024, .log = 1, .step = 1},
    };
    const size_t sizes[] = {0, 1, 5, 30, 200, 3000};
    uint64_t seed = 20261206;
    size_t compared = 0, far = 0;
    for (size_t di = 0; di < sizeof dists / sizeof dists[0]; di++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t k = sizes[si], m = 48;
            double *obs = malloc((k + 1) * sizeof *obs), pts[48], fast[48], slow[48];
            /* every fourth observation repeats the first (a converged study: ties), the rest spread */
            for (size_t i = 0; i < k; i++) obs[i] = (i % 4 == 3) ? obs[0] : draw(&dists[di], &seed);
            for (size_t i = 0; i < m; i++) pts[i] = draw(&dists[di], &seed);
            ol_error err;
            ol_hpo_tpe_exhaustive = 0;
            cr_assert_eq(ol_hpo_parzen_log_pdf(&dists[di], obs, k, pts, m, fast, &err), OL_OK, "%s", err.msg);
            ol_hpo_tpe_exhaustive = 1;
            cr_assert_eq(ol_hpo_parzen_log_pdf(&dists[di], obs, k, pts, m, slow, &err), OL_OK, "%s", err.msg);
            ol_hpo_tpe_exhaustive = 0;
            for (size_t i = 0; i < m; i++) {
                cr_assert(!memcmp(&fast[i], &slow[i], sizeof(double)),
                          "dist %zu, %zu observations, point %.17g: fast %.17g, long way %.17g", di, k, pts[i],
                          fast[i], slow[i]);
                compared++;
                far += k >= 200;
            }
            free(obs);
        }
    cr_assert_eq(compared, 6 * 6 * 48);
    cr_assert_gt(far, 0);
}

/* A long history's estimator sorts its components by radix (sort_mu_long); the order must be the
 * comparison sort's, ties by trial order, with -0.0 equal to +0.0 and negative values before
 * positive ones, or the bandwidths land on other components and the densities change. */
Test(tpe_fast, radix_ordered_components_give_the_comparison_sorts_densities) {
    const ol_distribution d = {.kind = OL_DIST_FLOAT, .low = -1, .high = 1};
    const size_t k = 2000, m = 64;
    double *obs = malloc(k * sizeof *obs), pts[64], fast[64], slow[64];
    uint64_t seed = 7;
    for (size_t i = 0; i < k; i++) {
        switch (i % 5) {
        case 0: obs[i] = (i % 10) ? -0.0 : 0.0; break; /* both zeros, many times, +0.0 first */
        case 1: obs[i] = -0.25 * (double)(i % 3); break;            /* repeated negative values */
        default: /* spread, both signs, away from 0: the zeros' neighbours are far enough that
                    their bandwidths are not all clipped to the same minimum */
            obs[i] = (i % 2 ? 1 : -1) * (0.5 + 0.5 * unit(&seed));
            break;
        }
    }
    for (size_t i = 0; i < m; i++) pts[i] = i < 4 ? (double)i * 0.125 - 0.25 : 2 * unit(&seed) - 1;
    ol_error err;
    ol_hpo_tpe_exhaustive = 0;
    cr_assert_eq(ol_hpo_parzen_log_pdf(&d, obs, k, pts, m, fast, &err), OL_OK, "%s", err.msg);
    ol_hpo_tpe_exhaustive = 1;
    cr_assert_eq(ol_hpo_parzen_log_pdf(&d, obs, k, pts, m, slow, &err), OL_OK, "%s", err.msg);
    ol_hpo_tpe_exhaustive = 0;
    for (size_t i = 0; i < m; i++)
        cr_assert(!memcmp(&fast[i], &slow[i], sizeof(double)), "point %.17g: radix order %.17g, comparison order %.17g",
                  pts[i], fast[i], slow[i]);
    free(obs);
}

/* The 40-sigma shortcut's premise: the normal tail mass beyond 40 sigma is 0 in double. */
Test(tpe_fast, tails_beyond_40_sigma_underflow) {
    cr_assert_eq(0.5 * erfc(40 / M_SQRT2), 0.0);
    cr_assert_gt(0.5 * erfc(30 / M_SQRT2), 0.0, "the test would pass for a wrong reason");
}

static int run_study(int n_random, int rounds, double *out) {
    ol_error err;
    ol_storage *st;
    ol_sampler *rnd, *tpe;
    ol_study *a, *b;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_random_new(&rnd, &err), OL_OK);
    cr_assert_eq(ol_sampler_tpe_new(&tpe, NULL, &err), OL_OK);
    cr_assert_eq(ol_study_open(&a, st, &(ol_study_options){.name = "s", .seed = 7, .sampler = rnd}, &err), OL_OK,
                 "%s", err.msg);
    int o = 0;
    for (int r = 0; r < n_random + rounds; r++) {
        ol_study *s = a;
        if (r == n_random)
            cr_assert_eq(ol_study_open(&b, st, &(ol_study_options){.name = "s", .seed = 7, .sampler = tpe}, &err),
                         OL_OK, "%s", err.msg);
        if (r >= n_random) s = b;
        ol_trial *t;
        double x, y;
        int64_t n;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", 1e-3, 10, 1, 0, &y, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "n", 1, 64, 0, 1, &n, &err), OL_OK, "%s", err.msg);
        if (r >= n_random) {
            out[o++] = x;
            out[o++] = y;
            out[o++] = (double)n;
        }
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, (x - 1) * (x - 1) + log(y) * log(y) + 0.01 * (double)n,
                                   &err),
                     OL_OK, "%s", err.msg);
    }
    ol_study_close(b);
    ol_study_close(a);
    ol_sampler_free(tpe);
    ol_sampler_free(rnd);
    ol_storage_close(st);
    return o;
}

Test(tpe_fast, whole_asks_equal_the_long_way) {
    double fast[3 * 12], slow[3 * 12];
    ol_hpo_tpe_exhaustive = 0;
    int n = run_study(600, 12, fast);
    ol_hpo_tpe_exhaustive = 1;
    cr_assert_eq(run_study(600, 12, slow), n);
    ol_hpo_tpe_exhaustive = 0;
    for (int i = 0; i < n; i++)
        cr_assert(!memcmp(&fast[i], &slow[i], sizeof(double)), "draw %d: fast %.17g, long way %.17g", i, fast[i],
                  slow[i]);
}
