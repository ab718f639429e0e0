/*
 * TPE's Parzen estimator against Optuna 3.1's own (_ParzenEstimator with the
 * default options): log-densities at the same points, for float, log float,
 * stepped float, int, stepped int, log int and categorical, on histories of
 * 0 to 40 observations. Golden file and the script that made it:
 * tests/hpo/golden/make_parzen_golden.py (command in its docstring).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/hpo/hpo_internal.h"

Test(parzen, log_densities_match_optuna_31) {
    FILE *f = fopen("tests/hpo/golden/parzen_optuna31.txt", "r");
    cr_assert_not_null(f, "tests/hpo/golden/parzen_optuna31.txt not found (run from the repository root)");
    int kind, lg, cases = 0;
    double low, high, step;
    size_t nc, k, m;
    double worst = 0;
    while (fscanf(f, "%d %lf %lf %d %lf %zu %zu", &kind, &low, &high, &lg, &step, &nc, &k) == 7) {
        double *obs = calloc(k + 1, sizeof *obs);
        for (size_t i = 0; i < k; i++) cr_assert_eq(fscanf(f, "%lf", &obs[i]), 1);
        cr_assert_eq(fscanf(f, "%zu", &m), 1);
        double *pts = calloc(m, sizeof *pts), *want = calloc(m, sizeof *want), *got = calloc(m, sizeof *got);
        for (size_t i = 0; i < m; i++) cr_assert_eq(fscanf(f, "%lf", &pts[i]), 1);
        for (size_t i = 0; i < m; i++) cr_assert_eq(fscanf(f, "%lf", &want[i]), 1);
        ol_distribution d = {.kind = (ol_dist_kind)kind, .low = low, .high = high, .log = lg, .step = step,
                             .n_choices = nc};
        ol_error err = {0};
        cr_assert_eq(ol_hpo_parzen_log_pdf(&d, obs, k, pts, m, got, &err), OL_OK, "%s", err.msg);
        for (size_t i = 0; i < m; i++) {
            double diff = fabs(got[i] - want[i]);
            if (diff > worst) worst = diff;
            cr_assert_lt(diff, 1e-7, "case %d (kind %d, %zu observations), point %g: optlab %.12g, Optuna %.12g",
                         cases, kind, k, pts[i], got[i], want[i]);
        }
        free(obs);
        free(pts);
        free(want);
        free(got);
        cases++;
    }
    fclose(f);
    cr_assert_eq(cases, 42, "read %d cases", cases);
}

/*
 * Draws: from the same estimators, Optuna's 24 draws and the uniforms behind
 * them (tests/hpo/golden/parzen_samples_optuna31.txt, from the same script
 * with --samples). Redrawn from those uniforms, optlab's draws must be
 * Optuna's: exactly on grids and categories, to 1e-9 (relative to the
 * range) for continuous values, where both invert the normal CDF by bisection.
 */
Test(parzen, draws_match_optuna_31_from_its_uniforms) {
    FILE *f = fopen("tests/hpo/golden/parzen_samples_optuna31.txt", "r");
    cr_assert_not_null(f, "tests/hpo/golden/parzen_samples_optuna31.txt not found (run from the repository root)");
    int kind, lg, cases = 0, draws = 0;
    double low, high, step, worst = 0;
    size_t nc, k, m;
    while (fscanf(f, "%d %lf %lf %d %lf %zu %zu", &kind, &low, &high, &lg, &step, &nc, &k) == 7) {
        double *obs = calloc(k + 1, sizeof *obs);
        for (size_t i = 0; i < k; i++) cr_assert_eq(fscanf(f, "%lf", &obs[i]), 1);
        cr_assert_eq(fscanf(f, "%zu", &m), 1);
        double *uc = calloc(m, sizeof *uc), *uv = calloc(m, sizeof *uv);
        double *want = calloc(m, sizeof *want), *got = calloc(m, sizeof *got);
        for (size_t i = 0; i < m; i++) cr_assert_eq(fscanf(f, "%lf", &uc[i]), 1);
        for (size_t i = 0; i < m; i++) cr_assert_eq(fscanf(f, "%lf", &uv[i]), 1);
        for (size_t i = 0; i < m; i++) cr_assert_eq(fscanf(f, "%lf", &want[i]), 1);
        ol_distribution d = {.kind = (ol_dist_kind)kind, .low = low, .high = high, .log = lg, .step = step,
                             .n_choices = nc};
        ol_error err = {0};
        cr_assert_eq(ol_hpo_parzen_sample(&d, obs, k, uc, uv, m, got, &err), OL_OK, "%s", err.msg);
        int grid = kind != 0 || step > 0;
        double range = kind == 2 ? 1 : lg ? log(high) - log(low) : high - low;
        for (size_t i = 0; i < m; i++, draws++) {
            if (grid) {
                cr_assert_eq(got[i], want[i], "case %d (kind %d, %zu observations), draw %zu: optlab %.17g, Optuna %.17g",
                             cases, kind, k, i, got[i], want[i]);
                continue;
            }
            double diff = lg ? fabs(log(got[i]) - log(want[i])) / range : fabs(got[i] - want[i]) / range;
            if (diff > worst) worst = diff;
            cr_assert_lt(diff, 1e-9, "case %d (kind %d, %zu observations), draw %zu: optlab %.17g, Optuna %.17g", cases,
                         kind, k, i, got[i], want[i]);
        }
        free(obs);
        free(uc);
        free(uv);
        free(want);
        free(got);
        cases++;
    }
    fclose(f);
    cr_log_info("parzen draws: %d cases, %d draws, worst continuous difference %.3g of the range", cases, draws, worst);
    cr_assert_eq(cases, 42, "read %d cases", cases);
}
