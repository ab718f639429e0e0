/*
 * The median pruner on synthetic learning curves: a clearly worse curve is
 * pruned, a better one is not, start-up trials and warm-up steps are
 * respected, the median is taken at the step asked over COMPLETE trials only,
 * minimisation flips the comparison, and ol_trial_should_prune reads what
 * ol_trial_report stored (also what other trials finished since the ask).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/hpo.h"

/* A history of synthetic trials: curve k reports values[k][0..len-1] at steps 0.. */
typedef struct {
    ol_trial_rec rec[16];
    ol_intermediate_rec iv[16][32];
    size_t n;
} history;

static void add(history *h, ol_trial_state state, const double *values, size_t len) {
    ol_trial_rec *t = &h->rec[h->n];
    memset(t, 0, sizeof *t);
    t->number = (int)h->n;
    t->state = state;
    for (size_t k = 0; k < len; k++) h->iv[h->n][k] = (ol_intermediate_rec){.step = (int64_t)k, .value = values[k]};
    t->intermediate = h->iv[h->n];
    t->n_intermediate = len;
    h->n++;
}

static int decide(const ol_median_pruner_options *o, const history *h, int number, int64_t step, int maximize) {
    ol_prune_ctx ctx = {.trials = h->rec, .n_trials = h->n, .maximize = maximize, .trial_number = number, .step = step};
    return ol_median_prune_decision(o, &ctx);
}

/* five completed curves rising to about 0.9; at step 3 their values are 0.80 0.82 0.84 0.86 0.88 -> median 0.84 */
static void five_good(history *h) {
    for (int k = 0; k < 5; k++) {
        double c[6];
        for (int s = 0; s < 6; s++) c[s] = 0.5 + 0.1 * s + 0.02 * k - (s > 3 ? 0.08 * (s - 3) : 0);
        add(h, OL_TRIAL_COMPLETE, c, 6);
    }
}

Test(pruner, worse_curve_pruned_better_kept) {
    history h = {0};
    five_good(&h);
    ol_median_pruner_options o = ol_median_pruner_defaults();
    o.n_warmup_steps = 3;
    const double bad[] = {0.1, 0.11, 0.12, 0.13};
    const double good[] = {0.6, 0.75, 0.85, 0.9};
    add(&h, OL_TRIAL_RUNNING, bad, 4);
    add(&h, OL_TRIAL_RUNNING, good, 4);
    cr_expect_eq(decide(&o, &h, 5, 3, 1), 1, "a curve far below the median must be pruned");
    cr_expect_eq(decide(&o, &h, 6, 3, 1), 0, "a curve above the median must not be pruned");
    /* the trial's best so far counts, not its last value: a dip after a high point is kept */
    const double dip[] = {0.5, 0.95, 0.3, 0.2};
    add(&h, OL_TRIAL_RUNNING, dip, 4);
    cr_expect_eq(decide(&o, &h, 7, 3, 1), 0);
}

Test(pruner, boundary_at_median) {
    /* median at step 3 is exactly 0.84: equal is not worse (Optuna: best < median) */
    history h = {0};
    five_good(&h);
    ol_median_pruner_options o = ol_median_pruner_defaults();
    const double eq[] = {0.1, 0.2, 0.3, 0.5 + 0.1 * 3 + 0.02 * 2}; /* computed as five_good computes it */
    const double below[] = {0.1, 0.2, 0.3, 0.8399};
    add(&h, OL_TRIAL_RUNNING, eq, 4);
    add(&h, OL_TRIAL_RUNNING, below, 4);
    cr_expect_eq(decide(&o, &h, 5, 3, 1), 0);
    cr_expect_eq(decide(&o, &h, 6, 3, 1), 1);
}

Test(pruner, warmup_and_startup_respected) {
    history h = {0};
    five_good(&h);
    ol_median_pruner_options o = ol_median_pruner_defaults();
    o.n_warmup_steps = 3;
    const double bad[] = {0.1, 0.11, 0.12, 0.13};
    add(&h, OL_TRIAL_RUNNING, bad, 4);
    for (int s = 0; s < 3; s++) cr_expect_eq(decide(&o, &h, 5, s, 1), 0, "step %d is in the warm-up", s);
    cr_expect_eq(decide(&o, &h, 5, 3, 1), 1);
    /* only 4 complete trials (the fifth still running): fewer than n_startup_trials = 5, no pruning */
    history few = {0};
    five_good(&few);
    few.rec[4].state = OL_TRIAL_RUNNING;
    add(&few, OL_TRIAL_RUNNING, bad, 4);
    cr_expect_eq(decide(&o, &few, 5, 3, 1), 0);
    o.n_startup_trials = 4;
    cr_expect_eq(decide(&o, &few, 5, 3, 1), 1);
}

Test(pruner, only_complete_trials_set_the_median) {
    /* PRUNED and FAIL trials with low curves must not drag the median down */
    history h = {0};
    five_good(&h);
    const double low[] = {0.0, 0.0, 0.0, 0.0};
    for (int k = 0; k < 6; k++) add(&h, k % 2 ? OL_TRIAL_PRUNED : OL_TRIAL_FAIL, low, 4);
    const double mid[] = {0.5, 0.6, 0.7, 0.8};
    add(&h, OL_TRIAL_RUNNING, mid, 4);
    ol_median_pruner_options o = ol_median_pruner_defaults();
    cr_expect_eq(decide(&o, &h, (int)h.n - 1, 3, 1), 1);
}

Test(pruner, interval_and_minimize) {
    ol_median_pruner_options o = ol_median_pruner_defaults();
    o.n_warmup_steps = 1;
    o.interval_steps = 2;
    const double bad[] = {0.1, 0.1, 0.1, 0.1, 0.1};
    /* checked at the grid steps 1, 3, 5...: the trial's record holds steps 0..step when it asks */
    for (int step = 1; step <= 4; step++) {
        history h = {0};
        five_good(&h);
        add(&h, OL_TRIAL_RUNNING, bad, (size_t)step + 1);
        cr_expect_eq(decide(&o, &h, 5, step, 1), step % 2 == 1, "step %d", step);
    }
    /* a trial that skipped step 3 is checked at the first step reported after it */
    history skip = {0};
    five_good(&skip);
    add(&skip, OL_TRIAL_RUNNING, bad, 3);
    skip.iv[5][2].step = 4; /* steps 0, 1, 4 */
    cr_expect_eq(decide(&o, &skip, 5, 4, 1), 1);
    /* minimising: low values are good */
    history h = {0};
    five_good(&h);
    add(&h, OL_TRIAL_RUNNING, bad, 4);
    o = ol_median_pruner_defaults();
    cr_expect_eq(decide(&o, &h, 5, 3, 0), 0);
    const double high[] = {0.99, 0.99, 0.99, 0.99};
    add(&h, OL_TRIAL_RUNNING, high, 4);
    cr_expect_eq(decide(&o, &h, 6, 3, 0), 1);
}

Test(pruner, nan_only_pruned_and_no_data_kept) {
    history h = {0};
    five_good(&h);
    ol_median_pruner_options o = ol_median_pruner_defaults();
    const double nan4[] = {NAN, NAN, NAN, NAN};
    add(&h, OL_TRIAL_RUNNING, nan4, 4);
    cr_expect_eq(decide(&o, &h, 5, 3, 1), 1);
    /* at a step no completed trial reached: nothing to compare with, keep going */
    const double longer[20] = {0.1};
    add(&h, OL_TRIAL_RUNNING, longer, 20);
    cr_expect_eq(decide(&o, &h, 6, 19, 1), 0);
}

Test(pruner, bad_options) {
    ol_pruner *p = NULL;
    ol_error err = {0};
    ol_median_pruner_options o = ol_median_pruner_defaults();
    o.interval_steps = 0;
    cr_expect_eq(ol_pruner_median_new(&p, &o, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "interval_steps") != NULL, "%s", err.msg);
    o = ol_median_pruner_defaults();
    o.n_warmup_steps = -1;
    cr_expect_eq(ol_pruner_median_new(&p, &o, &err), OL_EINVAL);
    cr_expect_null(p);
}

/* Through a study in memory: report, ask the pruner, tell PRUNED; the budget counts PRUNED trials. */
Test(pruner, study_reports_and_prunes) {
    ol_storage *st = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    ol_sampler *rnd = NULL;
    cr_assert_eq(ol_sampler_random_new(&rnd, &err), OL_OK);
    ol_pruner *pr = NULL;
    ol_median_pruner_options po = ol_median_pruner_defaults();
    po.n_warmup_steps = 2;
    cr_assert_eq(ol_pruner_median_new(&pr, &po, &err), OL_OK, "%s", err.msg);
    ol_study *s = NULL;
    cr_assert_eq(ol_study_open(&s, st, &(ol_study_options){.name = "p", .maximize = 1, .seed = 3, .n_trials = 8,
                                                           .sampler = rnd, .pruner = pr},
                               &err),
                 OL_OK, "%s", err.msg);
    /* trial k's curve: 0.5 + 0.05 * step for the first 5 (good), then flat 0.2 (bad), then a good one */
    int pruned = 0, complete = 0, last_step_of_pruned = -1;
    for (int k = 0; k < 8; k++) {
        ol_trial *t = NULL;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        int prune = 0;
        cr_expect_eq(ol_trial_should_prune(t, &prune, &err), OL_OK);
        cr_expect_eq(prune, 0, "nothing reported yet");
        int step;
        double best = 0;
        for (step = 0; step < 6; step++) {
            double v = (k < 5 || k == 7) ? 0.5 + 0.05 * step : 0.2;
            best = v > best ? v : best;
            cr_assert_eq(ol_trial_report(t, step, v, &err), OL_OK, "%s", err.msg);
            cr_assert_eq(ol_trial_should_prune(t, &prune, &err), OL_OK, "%s", err.msg);
            if (prune) break;
        }
        if (prune) {
            pruned++;
            last_step_of_pruned = step;
            cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_PRUNED, NAN, &err), OL_OK, "%s", err.msg);
        } else {
            complete++;
            cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, best, &err), OL_OK, "%s", err.msg);
        }
    }
    cr_expect_eq(pruned, 2, "trials 5 and 6 are bad");
    cr_expect_eq(complete, 6);
    cr_expect_eq(last_step_of_pruned, 2, "pruned at the first step after the warm-up");
    ol_trial *t = NULL;
    cr_expect_eq(ol_study_ask(s, &t, &err), OL_ESTOPPED, "PRUNED trials count against the budget");
    /* the pruned trial keeps its intermediate values */
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &n, &err), OL_OK);
    cr_assert_eq(n, 8);
    cr_expect_eq(tr[5].state, OL_TRIAL_PRUNED);
    cr_expect_eq(tr[5].n_intermediate, 3);
    ol_trials_free(tr, n);
    ol_study_close(s);
    ol_pruner_free(pr);
    ol_sampler_free(rnd);
    ol_storage_close(st);
}
