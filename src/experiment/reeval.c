/*
 * reeval.c — the re-evaluation stage (docs/experiments.md, "Re-evaluation"):
 * once a study's search is full, its best `reevaluate_top` configurations
 * (and `reevaluate_median` around the median) are trained again with
 * `reevaluate_seeds` fresh seeds each, so that the report can tell a good
 * configuration from a lucky initialisation.
 *
 * Each retraining is a trial of the same study, created with the system
 * attributes optlab:reeval (the source trial's number) and
 * optlab:reeval_seed (the seed's index) in one transaction; the sampler,
 * the pruner, the search budget and the "best trial" leave such trials out
 * (ol_study_options.ignore_attr, ol_exp_progress_count), while Optuna's
 * tools read them as ordinary trials with the same parameters.
 *
 * Nothing is kept in memory between trials: each worker reads the study,
 * derives the slots (configuration x seed) from the search's COMPLETE trials,
 * and takes the first slot no trial holds. A slot held by a RUNNING trial of
 * a dead worker is freed when that trial is marked FAIL, so the stage resumes
 * after kill -9 like the search does. Two workers that pick the same slot at
 * the same moment both create a trial; the higher number gives up (FAIL,
 * status "duplicate").
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_internal.h"

int exp_is_reeval(const ol_trial_rec *t) {
    return ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL) != NULL;
}

/* A re-evaluation trial's slot: source number and seed index, from its system attributes. */
static int reeval_slot_of(const ol_trial_rec *t, int *source, int *seed_index) {
    const char *a = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL);
    const char *b = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL_SEED);
    if (!a || !b) return 0;
    *source = atoi(a);
    *seed_index = atoi(b);
    return 1;
}

/* Does this trial hold its slot? RUNNING or finished, except a FAIL that a
 * retry may cure (interrupted, a dead worker, a duplicate). A FAIL because
 * training diverged at once would diverge again with the same seed: it holds. */
static int holds_slot(const ol_trial_rec *t) {
    if (t->state != OL_TRIAL_FAIL) return 1;
    const char *status = ol_attr_find(t->user_attrs, t->n_user_attrs, OL_ATTR_STATUS);
    return status && !strcmp(status, "\"" OL_TRIAL_STATUS_DIVERGED "\"");
}

/* Is slot (source, seed_index) held by a trial numbered below `below`? */
static int slot_held(const ol_trial_rec *trials, size_t n, int source, int seed_index, int below) {
    for (size_t i = 0; i < n; i++) {
        int src, k;
        if (trials[i].number < below && reeval_slot_of(&trials[i], &src, &k) && src == source && k == seed_index &&
            holds_slot(&trials[i]))
            return 1;
    }
    return 0;
}

ol_status exp_reeval_slot_taken(ol_storage *st, int64_t study_id, int number, const exp_reeval_slot *slot, int *taken,
                                ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_trials(st, study_id, &trials, &n, err);
    if (rc) return rc;
    *taken = slot_held(trials, n, slot->source->number, slot->seed_index, number);
    ol_trials_free(trials, n);
    return OL_OK;
}

static int by_value_desc(const void *a, const void *b) {
    const ol_trial_rec *x = *(const ol_trial_rec *const *)a, *y = *(const ol_trial_rec *const *)b;
    if (x->value != y->value) return x->value < y->value ? 1 : -1;
    return (x->number > y->number) - (x->number < y->number);
}

/* The configurations to re-evaluate: the search's COMPLETE trials sorted by
 * value (ties: lower number first), the first `top` of them, then `median`
 * more centred on the middle of that order. Returns how many (in `out`, which
 * has room for n). */
static int select_configs(const ol_trial_rec *trials, size_t n, const ol_experiment *e, const ol_trial_rec **out) {
    int m = 0;
    for (size_t i = 0; i < n; i++)
        if (trials[i].state == OL_TRIAL_COMPLETE && trials[i].has_value && !exp_is_reeval(&trials[i]))
            out[m++] = &trials[i];
    qsort(out, (size_t)m, sizeof *out, by_value_desc);
    int top = e->reevaluate_top < m ? e->reevaluate_top : m;
    int med = e->reevaluate_median < m - top ? e->reevaluate_median : m - top;
    if (med > 0) {
        int first = m / 2 - med / 2;
        if (first < top) first = top;
        if (first + med > m) first = m - med;
        memmove(out + top, out + first, (size_t)med * sizeof *out);
    }
    return top + med;
}

ol_status exp_reeval_study(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s,
                           ol_model *model, double poll, ol_error *err) {
    const ol_experiment *e = r->exp;
    if (e->reevaluate_top + e->reevaluate_median <= 0) return OL_OK;
    int waiting = 0;
    while (!r->stop && !exp_timed_out(r)) {
        int n_failed = ol_exp_fail_dead_trials(r, st, s->id, err);
        if (n_failed < 0) return err->status;
        if (n_failed > 0) exp_emit(r, (ol_exp_event){.kind = OL_EXP_EVENT_STALE_FAILED, .study = s, .count = n_failed});
        ol_trial_rec *trials = NULL;
        size_t n = 0;
        ol_status rc = ol_storage_get_trials(st, s->id, &trials, &n, err);
        if (rc) return rc;
        const ol_trial_rec **configs = malloc((n ? n : 1) * sizeof *configs);
        if (!configs) {
            ol_trials_free(trials, n);
            return ol_fail(err, OL_ENOMEM, "out of memory");
        }
        int n_configs = select_configs(trials, n, e, configs);
        /* the first slot no trial holds, seed-major so that a partial stage covers every configuration */
        exp_reeval_slot slot = {NULL, 0};
        int running = 0;
        for (size_t i = 0; i < n; i++) running += exp_is_reeval(&trials[i]) && trials[i].state == OL_TRIAL_RUNNING;
        for (int k = 0; k < e->reevaluate_seeds && !slot.source; k++)
            for (int c = 0; c < n_configs && !slot.source; c++)
                if (!slot_held(trials, n, configs[c]->number, k, INT_MAX)) slot = (exp_reeval_slot){configs[c], k};
        if (!slot.source) {
            free(configs);
            ol_trials_free(trials, n);
            if (running == 0) break;
            if (!waiting) exp_emit(r, (ol_exp_event){.kind = OL_EXP_EVENT_WAITING, .study = s, .count = running});
            waiting = 1;
            exp_nap(r, poll);
            continue;
        }
        waiting = 0;
        ol_exp_trial_result res;
        rc = exp_run_trial(r, st, study, s, model, &slot, &res, err);
        exp_heartbeat_set(r, 0);
        free(configs);
        ol_trials_free(trials, n);
        if ((rc == OL_OK || rc == OL_ESTOPPED) && res.number >= 0)
            exp_emit(r, res.lost ? (ol_exp_event){.kind = OL_EXP_EVENT_TRIAL_LOST, .study = s,
                                                   .trial_number = res.number}
                                 : (ol_exp_event){.kind = OL_EXP_EVENT_TRIAL_DONE, .study = s,
                                                  .trial_number = res.number, .state = res.state,
                                                  .value = res.value, .epochs = res.epochs, .seconds = res.seconds,
                                                  .status = res.status});
        if (rc == OL_ESTOPPED) break;
        if (rc) return rc;
    }
    return OL_OK;
}
