/*
 * TPE's constant liar (ol_tpe_options.constant_liar): with several trials in
 * flight, RUNNING trials count as the worst observations, so the asks of
 * parallel workers spread out instead of piling onto the current best point.
 * Checked on a 1-D quadratic: after 15 told trials, 6 trials asked without
 * telling; with the liar their spread is larger than without, in most seeds.
 * Also: with one worker (no other RUNNING trial) the liar changes nothing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "optlab/hpo.h"

enum { TOLD = 15, IN_FLIGHT = 6, SEEDS = 12 };

static double quadratic(double x) { return (x - 1.3) * (x - 1.3); }

/* Standard deviation of the IN_FLIGHT x asked after TOLD told trials. */
static double in_flight_spread(int liar, uint64_t seed) {
    ol_error err = {0};
    ol_storage *st;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    ol_tpe_options o = ol_tpe_defaults();
    o.constant_liar = liar;
    ol_sampler *tpe;
    cr_assert_eq(ol_sampler_tpe_new(&tpe, &o, &err), OL_OK, "%s", err.msg);
    ol_study *s;
    ol_study_options so = {.name = "q", .maximize = 0, .seed = seed, .sampler = tpe};
    cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
    for (int i = 0; i < TOLD; i++) {
        ol_trial *t;
        double x;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -10, 10, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, quadratic(x), &err), OL_OK, "%s", err.msg);
    }
    ol_trial *fly[IN_FLIGHT];
    double xs[IN_FLIGHT], mean = 0, var = 0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        cr_assert_eq(ol_study_ask(s, &fly[i], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(fly[i], "x", -10, 10, 0, 0, &xs[i], &err), OL_OK, "%s", err.msg);
        mean += xs[i] / IN_FLIGHT;
    }
    for (int i = 0; i < IN_FLIGHT; i++) {
        var += (xs[i] - mean) * (xs[i] - mean) / IN_FLIGHT;
        ol_trial_abandon(fly[i]);
    }
    ol_study_close(s);
    ol_sampler_free(tpe);
    ol_storage_close(st);
    return sqrt(var);
}

Test(tpe_liar, running_trials_spread_the_asks) {
    int wider = 0;
    double sum_liar = 0, sum_plain = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        double a = in_flight_spread(1, seed), b = in_flight_spread(0, seed);
        wider += a > b;
        sum_liar += a;
        sum_plain += b;
    }
    cr_log_info("mean spread of %d in-flight asks: liar %.3f, no liar %.3f; liar wider in %d/%d seeds", IN_FLIGHT,
                sum_liar / SEEDS, sum_plain / SEEDS, wider, SEEDS);
    cr_expect_geq(wider, SEEDS * 3 / 4, "liar wider in only %d of %d seeds", wider, SEEDS);
    cr_expect_gt(sum_liar, 1.5 * sum_plain, "mean spread: liar %g, no liar %g", sum_liar / SEEDS, sum_plain / SEEDS);
}

/* One worker asking in turn: no other RUNNING trial, so the liar must not change a draw. */
Test(tpe_liar, sequential_study_unchanged) {
    double xs[2][30];
    for (int liar = 0; liar < 2; liar++) {
        ol_error err = {0};
        ol_storage *st;
        cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
        ol_tpe_options o = ol_tpe_defaults();
        o.constant_liar = liar;
        ol_sampler *tpe;
        cr_assert_eq(ol_sampler_tpe_new(&tpe, &o, &err), OL_OK, "%s", err.msg);
        ol_study *s;
        ol_study_options so = {.name = "q", .maximize = 0, .seed = 5, .sampler = tpe};
        cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
        for (int i = 0; i < 30; i++) {
            ol_trial *t;
            double y;
            cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
            cr_assert_eq(ol_trial_suggest_float(t, "x", -10, 10, 0, 0, &xs[liar][i], &err), OL_OK, "%s", err.msg);
            /* a second parameter: sampled while this trial (RUNNING) already holds x */
            cr_assert_eq(ol_trial_suggest_float(t, "y", -10, 10, 0, 0, &y, &err), OL_OK, "%s", err.msg);
            cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, quadratic(xs[liar][i]) + y * y, &err), OL_OK, "%s",
                         err.msg);
        }
        ol_study_close(s);
        ol_sampler_free(tpe);
        ol_storage_close(st);
    }
    for (int i = 0; i < 30; i++) cr_expect_eq(xs[0][i], xs[1][i], "trial %d: %g vs %g", i, xs[0][i], xs[1][i]);
}
