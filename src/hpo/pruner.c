/*
 * pruner.c — stopping hopeless trials early. The median pruner follows
 * Optuna 3.1's MedianPruner (a PercentilePruner at 50 %): after a warm-up,
 * a trial whose best intermediate value so far is worse than the median of
 * the completed trials' values at the same step is stopped.
 *
 * Why the median rule rather than successive halving: optlab's trials have
 * no fixed length (early stopping ends them anywhere from a few epochs to
 * dozens), workers start trials whenever one finishes, and the rule needs
 * only the stored history — no rungs, no budget ladder to tune, and with one
 * worker the decision is a function of the storage alone (deterministic).
 *
 * The decision is a pure function of the history (ol_median_prune_decision);
 * the pruner object wraps it for ol_trial_should_prune, which reads the
 * history fresh from storage at each step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hpo_internal.h"

ol_median_pruner_options ol_median_pruner_defaults(void) {
    return (ol_median_pruner_options){.n_startup_trials = 5, .n_warmup_steps = 0, .interval_steps = 1,
                                      .n_min_trials = 1};
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The value a trial reported at `step`, or NAN (intermediate values are sorted by step). */
static double value_at(const ol_trial_rec *t, int64_t step) {
    for (size_t k = 0; k < t->n_intermediate; k++)
        if (t->intermediate[k].step == step) return t->intermediate[k].value;
    return NAN;
}

int ol_median_prune_decision(const ol_median_pruner_options *opt, const ol_prune_ctx *ctx) {
    const ol_trial_rec *me = NULL;
    for (size_t i = 0; i < ctx->n_trials; i++)
        if (ctx->trials[i].number == ctx->trial_number) me = &ctx->trials[i];
    if (!me || ctx->step < 0 || ctx->step < opt->n_warmup_steps) return 0;
    /* only at the first step reported at or after each point of the interval grid (as Optuna) */
    int64_t grid = (ctx->step - opt->n_warmup_steps) / opt->interval_steps * opt->interval_steps + opt->n_warmup_steps;
    int64_t second_last = -1;
    for (size_t k = 0; k < me->n_intermediate; k++) {
        int64_t s = me->intermediate[k].step;
        if (s != ctx->step && s > second_last) second_last = s;
    }
    if (second_last >= grid) return 0;
    /* enough completed trials? */
    size_t n_complete = 0;
    for (size_t i = 0; i < ctx->n_trials; i++) n_complete += ctx->trials[i].state == OL_TRIAL_COMPLETE;
    if (n_complete == 0 || n_complete < (size_t)opt->n_startup_trials) return 0;
    /* the trial's best so far (steps up to this one; NaN ignored) */
    double best = NAN;
    for (size_t k = 0; k < me->n_intermediate; k++) {
        const ol_intermediate_rec *iv = &me->intermediate[k];
        if (iv->step > ctx->step || isnan(iv->value)) continue;
        if (isnan(best) || (ctx->maximize ? iv->value > best : iv->value < best)) best = iv->value;
    }
    if (isnan(best)) return 1; /* nothing but NaN so far: as Optuna, prune */
    /* median of the completed trials' values at this step */
    double stack_buf[64];
    double *v = n_complete <= 64 ? stack_buf : malloc(n_complete * sizeof *v);
    if (!v) return 0; /* out of memory: never prune on a guess */
    size_t m = 0;
    for (size_t i = 0; i < ctx->n_trials; i++) {
        if (ctx->trials[i].state != OL_TRIAL_COMPLETE) continue;
        double x = value_at(&ctx->trials[i], ctx->step);
        if (!isnan(x)) v[m++] = x;
    }
    int prune = 0;
    if (m > 0 && m >= (size_t)opt->n_min_trials) {
        qsort(v, m, sizeof *v, cmp_double);
        double median = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
        prune = ctx->maximize ? best < median : best > median;
    }
    if (v != stack_buf) free(v);
    return prune;
}

static ol_status median_should_prune(const ol_pruner *self, const ol_prune_ctx *ctx, int *prune, ol_error *err) {
    (void)err;
    *prune = ol_median_prune_decision(self->state, ctx);
    return OL_OK;
}

static void median_destroy(ol_pruner *self) {
    free(self->state);
    free(self);
}

ol_status ol_pruner_median_new(ol_pruner **out, const ol_median_pruner_options *opt, ol_error *err) {
    *out = NULL;
    ol_median_pruner_options o = opt ? *opt : ol_median_pruner_defaults();
    if (o.n_startup_trials < 0)
        return ol_fail(err, OL_EINVAL, "median pruner: n_startup_trials %d is negative", o.n_startup_trials);
    if (o.n_warmup_steps < 0)
        return ol_fail(err, OL_EINVAL, "median pruner: n_warmup_steps %d is negative", o.n_warmup_steps);
    if (o.interval_steps < 1)
        return ol_fail(err, OL_EINVAL, "median pruner: interval_steps %d must be at least 1", o.interval_steps);
    if (o.n_min_trials < 1)
        return ol_fail(err, OL_EINVAL, "median pruner: n_min_trials %d must be at least 1", o.n_min_trials);
    ol_pruner *p = calloc(1, sizeof *p);
    ol_median_pruner_options *state = malloc(sizeof *state);
    if (!p || !state) {
        free(p);
        free(state);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    *state = o;
    p->name = "median";
    p->should_prune = median_should_prune;
    p->destroy = median_destroy;
    p->state = state;
    *out = p;
    return OL_OK;
}

void ol_pruner_free(ol_pruner *p) {
    if (p && p->destroy) p->destroy(p);
}
