/*
 * Multivariate TPE (src/hpo/mvtpe.c) through the study API on memory:
 * storage: seeded determinism, resumption with a fresh sampler object, the
 * constant liar (asks in flight spread out; one worker asking in turn is
 * unchanged), conditional parameters (outside the joint space: univariate
 * TPE), bad options, and that it learns (a narrow valley along x = y: better
 * than random in most seeds).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "optlab/hpo.h"

typedef struct {
    ol_storage *st;
    ol_sampler *sm;
    ol_study *s;
} fixture;

static void open_fixture(fixture *f, const char *name, uint64_t seed, const ol_tpe_options *o) {
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&f->st, "memory:", &err), OL_OK, "%s", err.msg);
    if (o) cr_assert_eq(ol_sampler_mvtpe_new(&f->sm, o, &err), OL_OK, "%s", err.msg);
    else cr_assert_eq(ol_sampler_new_by_name(&f->sm, name, &err), OL_OK, "%s", err.msg);
    ol_study_options so = {.name = "q", .maximize = 0, .seed = seed, .sampler = f->sm};
    cr_assert_eq(ol_study_open(&f->s, f->st, &so, &err), OL_OK, "%s", err.msg);
}

static void close_fixture(fixture *f) {
    ol_study_close(f->s);
    ol_sampler_free(f->sm);
    ol_storage_close(f->st);
}

/* A valley along x = y (correlated parameters), with an int and a categorical. */
static double run_valley(fixture *f, int n, double *xs) {
    ol_error err = {0};
    const char *choices[] = {"a", "b", "c"};
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        ol_trial *t;
        double x, y;
        int64_t k;
        size_t c;
        cr_assert_eq(ol_study_ask(f->s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", -5, 5, 0, 0, &y, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "k", 1, 16, 1, 1, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_categorical(t, "c", choices, 3, &c, &err), OL_OK, "%s", err.msg);
        double v = 10 * (x - y) * (x - y) + 0.1 * (x + y - 2) * (x + y - 2) + 0.05 * fabs(log((double)k / 4)) + (c != 2);
        if (xs) xs[4 * i] = x, xs[4 * i + 1] = y, xs[4 * i + 2] = (double)k, xs[4 * i + 3] = (double)c;
        best = fmin(best, v);
        cr_assert_eq(ol_study_tell(f->s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK, "%s", err.msg);
    }
    return best;
}

Test(mvtpe, seeded_determinism_and_resumption) {
    double a[160], b[160], c[160];
    fixture f;
    open_fixture(&f, "mvtpe", 9, NULL);
    run_valley(&f, 40, a);
    close_fixture(&f);
    open_fixture(&f, "mvtpe", 10, NULL);
    run_valley(&f, 40, c);
    close_fixture(&f);
    /* half, then a new sampler object on a reopened study */
    open_fixture(&f, "mvtpe", 9, NULL);
    run_valley(&f, 17, b);
    ol_study_close(f.s);
    ol_sampler_free(f.sm);
    ol_error err = {0};
    cr_assert_eq(ol_sampler_new_by_name(&f.sm, "mvtpe", &err), OL_OK, "%s", err.msg);
    ol_study_options so = {.name = "q", .maximize = 0, .seed = 9, .sampler = f.sm};
    cr_assert_eq(ol_study_open(&f.s, f.st, &so, &err), OL_OK, "%s", err.msg);
    run_valley(&f, 23, b + 4 * 17);
    close_fixture(&f);
    for (int i = 0; i < 160; i++) cr_expect_eq(a[i], b[i], "value %d: %.17g vs %.17g", i, a[i], b[i]);
    int differ = 0;
    for (int i = 40; i < 160; i++) differ += a[i] != c[i];
    cr_expect_gt(differ, 60, "seeds 9 and 10 gave the same trials");
}

Test(mvtpe, learns_a_correlated_valley) {
    int better = 0;
    for (uint64_t seed = 0; seed < 6; seed++) {
        fixture f;
        open_fixture(&f, "mvtpe", seed, NULL);
        double m = run_valley(&f, 50, NULL);
        close_fixture(&f);
        open_fixture(&f, "random", seed, NULL);
        double r = run_valley(&f, 50, NULL);
        close_fixture(&f);
        better += m < r;
    }
    cr_expect_geq(better, 5, "mvtpe better than random in only %d of 6 seeds", better);
}

static double in_flight_spread(int liar, uint64_t seed) {
    ol_tpe_options o = ol_tpe_defaults();
    o.constant_liar = liar;
    fixture f;
    open_fixture(&f, NULL, seed, &o);
    run_valley(&f, 20, NULL);
    ol_error err = {0};
    ol_trial *fly[5];
    double x[5], mean = 0, var = 0;
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(ol_study_ask(f.s, &fly[i], &err), OL_OK, "%s", err.msg);
        /* every parameter, as a worker does before it trains: a RUNNING trial counts once it holds the space */
        double y;
        int64_t k;
        size_t c;
        const char *choices[] = {"a", "b", "c"};
        cr_assert_eq(ol_trial_suggest_float(fly[i], "x", -5, 5, 0, 0, &x[i], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(fly[i], "y", -5, 5, 0, 0, &y, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(fly[i], "k", 1, 16, 1, 1, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_categorical(fly[i], "c", choices, 3, &c, &err), OL_OK, "%s", err.msg);
        mean += x[i] / 5;
    }
    for (int i = 0; i < 5; i++) {
        var += (x[i] - mean) * (x[i] - mean) / 5;
        ol_trial_abandon(fly[i]);
    }
    close_fixture(&f);
    return sqrt(var);
}

Test(mvtpe, constant_liar) {
    int wider = 0;
    double sum_liar = 0, sum_plain = 0;
    for (uint64_t seed = 0; seed < 12; seed++) {
        double l = in_flight_spread(1, seed), p = in_flight_spread(0, seed);
        wider += l > p;
        sum_liar += l;
        sum_plain += p;
    }
    cr_log_info("spread of x over 5 in-flight asks, mean of 12 seeds: liar %.3f, no liar %.3f; wider in %d",
                sum_liar / 12, sum_plain / 12, wider);
    cr_expect_geq(wider, 8, "liar wider in only %d of 12 seeds", wider);
    cr_expect_gt(sum_liar, 1.3 * sum_plain, "mean spread: liar %g, no liar %g", sum_liar / 12, sum_plain / 12);
    /* one worker asking in turn: no other RUNNING trial, the liar changes nothing */
    double a[120], b[120];
    for (int liar = 0; liar < 2; liar++) {
        ol_tpe_options o = ol_tpe_defaults();
        o.constant_liar = liar;
        fixture f;
        open_fixture(&f, NULL, 3, &o);
        run_valley(&f, 30, liar ? a : b);
        close_fixture(&f);
    }
    for (int i = 0; i < 120; i++) cr_expect_eq(a[i], b[i], "value %d", i);
}

Test(mvtpe, conditional_parameters_and_bad_options) {
    fixture f;
    open_fixture(&f, "mvtpe", 1, NULL);
    ol_error err = {0};
    for (int i = 0; i < 25; i++) {
        ol_trial *t;
        double x, z = 0;
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        if (i % 2) cr_assert_eq(ol_trial_suggest_float(t, "z", 0, 1, 0, 0, &z, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(f.s, t, i % 7 == 6 ? OL_TRIAL_FAIL : OL_TRIAL_COMPLETE, x * x + z, &err), OL_OK,
                     "%s", err.msg);
    }
    close_fixture(&f);
    ol_sampler *s = NULL;
    ol_tpe_options o = ol_tpe_defaults();
    o.n_ei_candidates = 0;
    cr_expect_eq(ol_sampler_mvtpe_new(&s, &o, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "n_ei_candidates"), "%s", err.msg);
}
