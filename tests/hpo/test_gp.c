/*
 * The Gaussian-process sampler (src/hpo/gp.c) through the study API on
 * memory: storage:
 *  - seeded determinism (same seed, same trials; another seed, others),
 *  - resumption (a study closed and reopened half-way asks what an
 *    uninterrupted one asks),
 *  - it learns (Branin: better than random at 30 trials in most seeds; a
 *    mixed int / log-float / categorical space finds the good category),
 *  - the constant liar (asks in flight spread out, and change nothing for one
 *    worker asking in turn),
 *  - a fit that cannot be made (all values equal) falls back to random with a
 *    logged reason and the study goes on,
 *  - parameters outside the joint space (conditional ones) are drawn at random.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optlab/hpo.h"

static double branin(double x1, double x2) {
    double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double a = x2 - b * x1 * x1 + c * x1 - 6;
    return a * a + 10 * (1 - t) * cos(x1) + 10;
}

typedef struct {
    ol_storage *st;
    ol_sampler *sm;
    ol_study *s;
} fixture;

static void open_fixture(fixture *f, const char *sampler, uint64_t seed, const ol_gp_options *gpo) {
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&f->st, "memory:", &err), OL_OK, "%s", err.msg);
    if (gpo) cr_assert_eq(ol_sampler_gp_new(&f->sm, gpo, &err), OL_OK, "%s", err.msg);
    else cr_assert_eq(ol_sampler_new_by_name(&f->sm, sampler, &err), OL_OK, "%s", err.msg);
    ol_study_options so = {.name = "q", .maximize = 0, .seed = seed, .sampler = f->sm};
    cr_assert_eq(ol_study_open(&f->s, f->st, &so, &err), OL_OK, "%s", err.msg);
}

static void reopen(fixture *f, uint64_t seed) {
    ol_error err = {0};
    ol_study_close(f->s);
    ol_study_options so = {.name = "q", .maximize = 0, .seed = seed, .sampler = f->sm};
    cr_assert_eq(ol_study_open(&f->s, f->st, &so, &err), OL_OK, "%s", err.msg);
}

static void close_fixture(fixture *f) {
    ol_study_close(f->s);
    ol_sampler_free(f->sm);
    ol_storage_close(f->st);
}

/* n Branin trials; xs (2 per trial) and the best value so far. */
static double run_branin(fixture *f, int n, double *xs) {
    ol_error err = {0};
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        ol_trial *t;
        double x1, x2;
        cr_assert_eq(ol_study_ask(f->s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x1", -5, 10, 0, 0, &x1, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x2", 0, 15, 0, 0, &x2, &err), OL_OK, "%s", err.msg);
        double v = branin(x1, x2);
        if (xs) xs[2 * i] = x1, xs[2 * i + 1] = x2;
        best = fmin(best, v);
        cr_assert_eq(ol_study_tell(f->s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK, "%s", err.msg);
    }
    return best;
}

Test(gp, seeded_determinism) {
    double a[50], b[50], c[50];
    fixture f;
    open_fixture(&f, "gp", 11, NULL);
    run_branin(&f, 25, a);
    close_fixture(&f);
    open_fixture(&f, "gp", 11, NULL);
    run_branin(&f, 25, b);
    close_fixture(&f);
    open_fixture(&f, "gp", 12, NULL);
    run_branin(&f, 25, c);
    close_fixture(&f);
    for (int i = 0; i < 50; i++) cr_expect_eq(a[i], b[i], "value %d: %.17g vs %.17g", i, a[i], b[i]);
    int differ = 0;
    for (int i = 20; i < 50; i++) differ += a[i] != c[i]; /* trials 10.. are the model's */
    cr_expect_gt(differ, 20, "seeds 11 and 12 gave the same GP trials");
}

Test(gp, resumption_repeats_an_uninterrupted_study) {
    double a[50], b[50];
    fixture f;
    open_fixture(&f, "gp", 4, NULL);
    run_branin(&f, 25, a);
    close_fixture(&f);
    open_fixture(&f, "gp", 4, NULL);
    run_branin(&f, 13, b);
    /* a new sampler object too: nothing carried over in its cache */
    ol_sampler *old = f.sm;
    ol_error err = {0};
    cr_assert_eq(ol_sampler_new_by_name(&f.sm, "gp", &err), OL_OK, "%s", err.msg);
    reopen(&f, 4);
    ol_sampler_free(old);
    run_branin(&f, 12, b + 26);
    close_fixture(&f);
    for (int i = 0; i < 50; i++) cr_expect_eq(a[i], b[i], "value %d: %.17g vs %.17g", i, a[i], b[i]);
}

Test(gp, beats_random_on_branin) {
    int better = 0;
    double sum_gp = 0, sum_rand = 0;
    for (uint64_t seed = 0; seed < 5; seed++) {
        fixture f;
        open_fixture(&f, "gp", seed, NULL);
        double g = run_branin(&f, 30, NULL) - 0.397887;
        close_fixture(&f);
        open_fixture(&f, "random", seed, NULL);
        double r = run_branin(&f, 30, NULL) - 0.397887;
        close_fixture(&f);
        better += g < r;
        sum_gp += g;
        sum_rand += r;
    }
    cr_log_info("Branin regret after 30 trials, mean of 5 seeds: gp %.4g, random %.4g; gp better in %d", sum_gp / 5,
                sum_rand / 5, better);
    cr_expect_geq(better, 4, "gp better than random in only %d of 5 seeds", better);
    cr_expect_lt(sum_gp / 5, 0.1, "gp's mean regret %g after 30 trials", sum_gp / 5);
}

Test(gp, mixed_space_int_log_categorical) {
    fixture f;
    open_fixture(&f, "gp", 3, NULL);
    ol_error err = {0};
    const char *choices[] = {"a", "b", "c"};
    double best = INFINITY;
    size_t best_cat = 9;
    for (int i = 0; i < 30; i++) {
        ol_trial *t;
        int64_t k;
        double lr;
        size_t cat;
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "k", 1, 9, 0, 2, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-5, 1e-1, 1, 0, &lr, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_categorical(t, "opt", choices, 3, &cat, &err), OL_OK, "%s", err.msg);
        cr_assert(k % 2 == 1 && k >= 1 && k <= 9, "k = %lld off its grid", (long long)k);
        double v = (cat == 1 ? 0 : 3) + pow(log10(lr) + 3, 2) + 0.1 * (double)(k - 5) * (double)(k - 5);
        if (v < best) best = v, best_cat = cat;
        cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK, "%s", err.msg);
    }
    close_fixture(&f);
    cr_expect_eq(best_cat, 1, "best trial's category %zu", best_cat);
    cr_expect_lt(best, 0.3, "best value %g after 30 trials", best);
}

/* The spread (sum of pairwise distances) of 4 asks in flight after 15 told trials. */
static double in_flight_spread(int liar, uint64_t seed) {
    ol_gp_options o = ol_gp_defaults();
    o.constant_liar = liar;
    fixture f;
    open_fixture(&f, NULL, seed, &o);
    run_branin(&f, 15, NULL);
    ol_error err = {0};
    ol_trial *fly[4];
    double x[4][2], spread = 0;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(ol_study_ask(f.s, &fly[i], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(fly[i], "x1", -5, 10, 0, 0, &x[i][0], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(fly[i], "x2", 0, 15, 0, 0, &x[i][1], &err), OL_OK, "%s", err.msg);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++) spread += hypot(x[i][0] - x[j][0], x[i][1] - x[j][1]);
    for (int i = 0; i < 4; i++) ol_trial_abandon(fly[i]);
    close_fixture(&f);
    return spread;
}

Test(gp, constant_liar_spreads_parallel_asks) {
    int wider = 0;
    double sum_liar = 0, sum_plain = 0;
    for (uint64_t seed = 0; seed < 4; seed++) {
        double a = in_flight_spread(1, seed), b = in_flight_spread(0, seed);
        wider += a > b;
        sum_liar += a;
        sum_plain += b;
    }
    cr_log_info("spread of 4 in-flight GP asks (sum of distances), mean of 4 seeds: liar %.3f, no liar %.3f", sum_liar / 4,
                sum_plain / 4);
    cr_expect_geq(wider, 3, "liar wider in only %d of 4 seeds", wider);
    cr_expect_gt(sum_liar, 2 * sum_plain, "liar %g, no liar %g", sum_liar, sum_plain);
}

Test(gp, liar_changes_nothing_for_one_worker) {
    double a[40], b[40];
    for (int liar = 0; liar < 2; liar++) {
        ol_gp_options o = ol_gp_defaults();
        o.constant_liar = liar;
        fixture f;
        open_fixture(&f, NULL, 8, &o);
        run_branin(&f, 20, liar ? a : b);
        close_fixture(&f);
    }
    for (int i = 0; i < 40; i++) cr_expect_eq(a[i], b[i], "value %d", i);
}

static int n_notes;
static char last_note[256];
static void note(void *ctx, const char *msg) {
    (void)ctx;
    n_notes++;
    snprintf(last_note, sizeof last_note, "%s", msg);
}

Test(gp, equal_values_fall_back_to_random_with_a_reason) {
    ol_gp_options o = ol_gp_defaults();
    o.log = note;
    fixture f;
    open_fixture(&f, NULL, 2, &o);
    ol_error err = {0};
    double xs[15];
    for (int i = 0; i < 15; i++) {
        ol_trial *t;
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", 0, 1, 0, 0, &xs[i], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, 1.0, &err), OL_OK, "%s", err.msg);
    }
    close_fixture(&f);
    cr_expect_eq(n_notes, 5, "%d notes for 5 model asks", n_notes);
    cr_expect(strstr(last_note, "equal") && strstr(last_note, "trial 14"), "note: %s", last_note);
    for (int i = 10; i < 15; i++)
        for (int j = 0; j < i; j++) cr_expect_neq(xs[i], xs[j], "trial %d repeats trial %d", i, j);
}

Test(gp, failed_and_pruned_trials_are_left_out) {
    fixture f;
    open_fixture(&f, "gp", 6, NULL);
    ol_error err = {0};
    for (int i = 0; i < 24; i++) {
        ol_trial *t;
        double x;
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        if (i % 3 == 2) cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_FAIL, 0, &err), OL_OK, "%s", err.msg);
        else if (i % 5 == 4) cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_PRUNED, 0, &err), OL_OK, "%s", err.msg);
        else cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, (x - 1) * (x - 1), &err), OL_OK, "%s", err.msg);
    }
    /* a NaN value is stored as FAIL and must not poison the model either */
    ol_trial *t;
    double x;
    cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, NAN, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
    cr_expect(fabs(x - 1) < 0.2, "after 14 complete trials of (x-1)^2 the GP asks x = %g", x);
    ol_trial_abandon(t);
    close_fixture(&f);
}

Test(gp, conditional_parameter_is_random) {
    fixture f;
    open_fixture(&f, "gp", 1, NULL);
    ol_error err = {0};
    for (int i = 0; i < 20; i++) {
        ol_trial *t;
        double x, z = 0;
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        if (i % 2) cr_assert_eq(ol_trial_suggest_float(t, "z", 0, 1, 0, 0, &z, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, x * x + z, &err), OL_OK, "%s", err.msg);
    }
    close_fixture(&f);
}

Test(gp, bad_options_and_names) {
    ol_error err = {0};
    ol_sampler *s = NULL;
    ol_gp_options o = ol_gp_defaults();
    o.n_startup_trials = 0;
    cr_expect_eq(ol_sampler_gp_new(&s, &o, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "n_startup_trials"), "%s", err.msg);
    cr_expect_eq(ol_sampler_new_by_name(&s, "cmaes-typo", &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "gp"), "the message lists gp: %s", err.msg);
    cr_assert_eq(ol_sampler_new_by_name(&s, "gp", &err), OL_OK, "%s", err.msg);
    cr_expect_str_eq(s->name, "gp");
    ol_sampler_free(s);
}
