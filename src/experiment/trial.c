/*
 * trial.c — the trial objective (ol_exp_run_trial in optlab/experiment.h):
 * one function from a study's next trial to a told outcome.
 *
 *   ask ─► parameters (experiment spaces) ─► optimizer settings
 *       ─► training run (intermediate values, pruning, heartbeats each epoch)
 *       ─► status (ok / pruned / interrupted / diverged / never_learned) and state
 *       ─► test accuracy, only when the trial is its study's best so far
 *       ─► trial attributes (conventions.h) ─► tell
 *
 * Results must not depend on where this runs: the training seed derives from
 * the study seed and the trial number only ("trial/N"), so trial k of every
 * optimizer starts from the same weights and batch order (a paired
 * comparison), and a resumed study reproduces an uninterrupted one.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment_internal.h"
#include "optlab/optim.h"
#include "optlab/train.h"

/* ---- exp_text: JSON values that grow instead of being cut short ---- */

static int text_reserve(exp_text *t, size_t extra) {
    if (t->failed) return 0;
    if (t->len + extra + 1 <= t->cap) return 1;
    size_t cap = t->cap ? t->cap : 64;
    while (cap < t->len + extra + 1) cap *= 2;
    char *p = realloc(t->text, cap);
    if (!p) return t->failed = 1, 0;
    t->text = p;
    t->cap = cap;
    return 1;
}

void exp_text_printf(exp_text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = 1;
        return;
    }
    if (!text_reserve(t, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(t->text + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void exp_text_json_string(exp_text *t, const char *s) {
    cJSON *j = cJSON_CreateString(s ? s : "");
    char *q = j ? cJSON_PrintUnformatted(j) : NULL;
    if (q) exp_text_printf(t, "%s", q);
    else t->failed = 1;
    free(q);
    cJSON_Delete(j);
}

void exp_text_json_number(exp_text *t, double v) {
    char num[40];
    if (!isfinite(v)) snprintf(num, sizeof num, "null");
    else ol_format_pyfloat(num, sizeof num, v);
    exp_text_printf(t, "%s", num);
}

const char *exp_text_str(exp_text *t) {
    if (t->failed) return NULL;
    if (!t->text && !text_reserve(t, 0)) return NULL;
    t->text[t->len] = '\0';
    return t->text;
}

void exp_text_free(exp_text *t) {
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* ---- one epoch ---- */

typedef struct {
    ol_exp_runner *runner;
    ol_storage *st;
    ol_trial *trial;
    int64_t trial_id;
    ol_error err;
    int storage_failed;
    int pruned;        /* the study's pruner stopped the trial */
    ol_exp_diag *diag; /* per-layer statistics after the first epochs (may be NULL) */
} epoch_ctx;

static int on_epoch(void *user, int epoch, double train_loss, double valid_epoch_acc) {
    (void)train_loss;
    epoch_ctx *c = user;
    if (exp_heartbeat_lost(c->runner)) {
        ol_fail(&c->err, OL_ESTATE, "trial is no longer RUNNING (failed as stale by another worker)");
        c->storage_failed = 1;
        return 1;
    }
    if (ol_trial_report(c->trial, epoch - 1, valid_epoch_acc, &c->err) ||
        (!c->runner->heartbeat_ && ol_storage_heartbeat(c->st, c->trial_id, &c->err))) {
        c->storage_failed = 1;
        return 1;
    }
    ol_exp_diag_after_epoch(c->diag, epoch - 1);
    /* the pruner (experiment key `pruner`) judges the valid-epoch accuracy just reported */
    int prune = 0;
    if (ol_trial_should_prune(c->trial, &prune, &c->err)) {
        c->storage_failed = 1;
        return 1;
    }
    if (prune) {
        c->pruned = 1;
        return 1;
    }
    return c->runner->stop != 0;
}

/* Best COMPLETE value of a study (-inf if none). */
static ol_status study_best(ol_storage *st, int64_t study_id, double *best, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    ol_status s = ol_storage_get_trials(st, study_id, &trials, &n, err);
    if (s) return s;
    *best = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (trials[i].state == OL_TRIAL_COMPLETE && trials[i].has_value && trials[i].value > *best &&
            !exp_is_reeval(&trials[i]))
            *best = trials[i].value;
    ol_trials_free(trials, n);
    return OL_OK;
}

/* Set the trial's parameters on the optimizer: fixed ones as they are, the others suggested in file order.
 * `schedule.KEY` values go to values[] (for the schedule's JSON), not to the optimizer. */
static ol_status apply_params(ol_trial *t, const ol_exp_optimizer *o, ol_optimizer *opt, double *values,
                              ol_error *err) {
    /* the suggested ones first, recorded in one transaction (each drawn as its own suggest would be) */
    const char *names[OL_EXP_MAX_PARAMS];
    ol_distribution dists[OL_EXP_MAX_PARAMS];
    double drawn[OL_EXP_MAX_PARAMS];
    size_t n_drawn = 0;
    for (int i = 0; i < o->n_params; i++)
        if (!o->params[i].spec.fixed) {
            names[n_drawn] = o->params[i].name;
            dists[n_drawn++] = o->params[i].spec.dist; /* a shallow copy: the spec keeps its choices */
        }
    ol_status ds = ol_trial_suggest_many(t, names, dists, n_drawn, drawn, err);
    if (ds) return ds;
    n_drawn = 0;
    for (int i = 0; i < o->n_params; i++) {
        const ol_exp_param *h = &o->params[i];
        double v = h->spec.value;
        if (!h->spec.fixed) {
            double internal = drawn[n_drawn++];
            if (h->spec.dist.kind == OL_DIST_CATEGORICAL) v = ol_param_spec_choice_value(&h->spec, (size_t)internal);
            else if (h->spec.dist.kind == OL_DIST_INT) v = (double)llround(internal);
            else v = internal;
        }
        values[i] = v;
        if (h->schedule) continue;
        ol_status s = ol_optimizer_set(opt, h->name, v, err);
        if (s) return s;
    }
    return OL_OK;
}

static void set_attr(ol_storage *st, int64_t tid, const char *key, const char *json, int *failed, ol_error *err) {
    if (*failed) return;
    if (!json) {
        ol_fail(err, OL_ENOMEM, "out of memory writing trial attribute %s", key);
        *failed = 1;
        return;
    }
    if (ol_storage_set_trial_attr(st, tid, key, json, err)) *failed = 1;
}

/* Give the trial up as FAIL (the error in err stays the caller's). */
static void tell_fail(ol_study *study, ol_trial *t) {
    ol_error ignored;
    ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, &ignored);
}

ol_status ol_exp_run_trial(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s, ol_model *model,
                           ol_exp_trial_result *res_out, ol_error *err) {
    return exp_run_trial(r, st, study, s, model, NULL, res_out, err);
}

ol_status exp_run_trial(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s, ol_model *model,
                        const exp_reeval_slot *slot, ol_exp_trial_result *res_out, ol_error *err) {
    const ol_experiment *e = r->exp;
    ol_exp_trial_result dummy;
    ol_exp_trial_result *out = res_out ? res_out : &dummy;
    memset(out, 0, sizeof *out);
    out->number = -1;
    out->state = OL_TRIAL_FAIL;
    out->value = NAN;
    out->status = OL_TRIAL_STATUS_INTERRUPTED;
    /* the trial and its owner ("HOST:PID") are stored in one transaction, so a
     * worker killed right after the ask never leaves an ownerless RUNNING trial
     * that the next run could only fail after the grace period */
    char buf[300];
    snprintf(buf, sizeof buf, "%s:%ld", r->host, (long)getpid());
    exp_text who = {0};
    exp_text_json_string(&who, buf);
    if (!exp_text_str(&who)) {
        exp_text_free(&who);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    char owner_key[] = OL_ATTR_WORKER, reeval_key[] = OL_ATTR_REEVAL, reeval_seed_key[] = OL_ATTR_REEVAL_SEED;
    char source_json[24] = "", seed_json[24] = "";
    if (slot) {
        snprintf(source_json, sizeof source_json, "%d", slot->source->number);
        snprintf(seed_json, sizeof seed_json, "%d", slot->seed_index);
    }
    /* a re-evaluation trial is marked in the same transaction: never seen unmarked by a sampler */
    ol_attr_rec owner[] = {{owner_key, (char *)exp_text_str(&who)},
                           {reeval_key, source_json},
                           {reeval_seed_key, seed_json}};
    ol_trial *t = NULL;
    ol_status as = ol_study_ask_with_attrs(study, owner, slot ? 3 : 1, &t, err);
    exp_text_free(&who);
    if (as) return as;
    int number = ol_trial_number(t);
    int64_t tid = ol_trial_id(t);
    out->number = number;
    exp_heartbeat_set(r, tid);
    ol_optimizer *opt = NULL;
    ol_train_result res;
    memset(&res, 0, sizeof res);
    ol_schedule *sched = NULL;
    double values[OL_EXP_MAX_PARAMS] = {0};
    ol_status st_ = OL_OK;
    if (slot) {
        /* two workers may have picked the same missing slot: the lower number keeps it */
        int taken = 0;
        st_ = exp_reeval_slot_taken(st, s->id, number, slot, &taken, err);
        if (!st_ && taken) {
            ol_error ignored;
            ol_storage_set_trial_attr(st, tid, OL_ATTR_STATUS, "\"" OL_TRIAL_STATUS_DUPLICATE "\"", &ignored);
            tell_fail(study, t);
            out->status = OL_TRIAL_STATUS_DUPLICATE;
            out->lost = 1;
            return OL_OK;
        }
        if (!st_) st_ = ol_storage_set_trial_attr(st, tid, OL_ATTR_REEVAL, source_json, err);
        if (!st_) st_ = ol_storage_set_trial_attr(st, tid, OL_ATTR_REEVAL_SEED, seed_json, err);
        for (size_t k = 0; !st_ && k < slot->source->n_params; k++)
            st_ = ol_trial_fix_param(t, slot->source->params[k].name, slot->source->params[k].value, err);
    }
    if (!st_) st_ = ol_optimizer_create(&opt, s->opt->name, err);
    if (!st_) st_ = apply_params(t, s->opt, opt, values, err);
    if (!st_ && s->opt->schedule[0]) { /* the section's schedule with this trial's values (schedule.c) */
        char *kw = NULL;
        st_ = ol_exp_schedule_kwargs(s->opt, values, &kw, err);
        if (!st_) st_ = ol_schedule_create(&sched, opt, s->opt->schedule, kw, err);
        if (st_) ol_error_prefix(err, "schedule %s:%s", s->opt->schedule, kw ? kw : "");
        free(kw);
    }
    if (st_) {
        tell_fail(study, t);
        ol_schedule_free(sched);
        ol_optimizer_free(opt);
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }

    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.batch_size = e->batch_size;
    cfg.patience = e->patience;
    cfg.max_epochs = e->max_epochs;
    cfg.loss = s->opt->loss;
    /* Paired (init = paired, the default): trial k of every optimizer starts
     * from the same weights and batch order, and so does re-evaluation seed k
     * of every configuration. Independent: the study's name enters the seed. */
    int indep = e->init == OL_EXP_INIT_INDEPENDENT;
    if (slot) snprintf(buf, sizeof buf, "reeval/%s%s%d", indep ? s->opt->study : "", indep ? "/" : "", slot->seed_index);
    else snprintf(buf, sizeof buf, "trial/%s%s%d", indep ? s->opt->study : "", indep ? "/" : "", number);
    cfg.seed = ol_seed_derive(s->seed, buf);
    epoch_ctx ec = {.runner = r, .st = st, .trial = t, .trial_id = tid,
                    .diag = ol_exp_diag_new(model, &r->splits.train, cfg.loss, cfg.batch_size)};
    cfg.on_epoch = on_epoch;
    cfg.user = &ec;
    cfg.schedule = sched;
    ol_status tr = ol_train_run(model, opt, &r->splits.train, &r->splits.valid_epoch, &r->splits.valid_trial, &cfg,
                                &res, err);
    ol_schedule_free(sched);
    ol_optimizer_free(opt);
    char *diagnostics = ol_exp_diag_json(ec.diag);
    ol_exp_diag_free(ec.diag);
    if (tr) {
        tell_fail(study, t);
        ol_train_result_free(&res);
        free(diagnostics);
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }
    if (ec.storage_failed) {
        free(diagnostics);
        *err = ec.err;
        tell_fail(study, t);
        ol_train_result_free(&res);
        /* someone else marked it FAIL (stale): not an error of ours */
        if (err->status == OL_ESTATE) return out->lost = 1, OL_OK;
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }

    /* What the trial is: see docs/storage-conventions.md and docs/run.md. */
    const char *status = OL_TRIAL_STATUS_OK;
    ol_trial_state state = OL_TRIAL_COMPLETE;
    double value = res.valid_trial_acc;
    if (res.status == OL_RUN_STOPPED && ec.pruned) {
        state = OL_TRIAL_PRUNED; /* counts against the budget; its intermediate values stay */
        status = OL_TRIAL_STATUS_PRUNED;
    } else if (res.status == OL_RUN_STOPPED) {
        state = OL_TRIAL_FAIL;
        status = OL_TRIAL_STATUS_INTERRUPTED;
    } else if (res.status == OL_RUN_DIVERGED) {
        status = OL_TRIAL_STATUS_DIVERGED;
        if (res.epochs_run == 0 || !isfinite(value)) state = OL_TRIAL_FAIL;
    } else if (res.never_learned) {
        status = OL_TRIAL_STATUS_NEVER_LEARNED;
    }
    if (state == OL_TRIAL_COMPLETE && !isfinite(value)) state = OL_TRIAL_FAIL;

    int failed = 0;
    exp_text v = {0};
    if (state == OL_TRIAL_COMPLETE) {
        /* Test accuracy only for a trial that is the study's best so far:
         * the test set scores the final best, nothing else. >= so that the
         * final best always has it, whatever order workers finish in.
         * Re-evaluation trials always: their test accuracies are what the
         * re-evaluated result's confidence interval is made of. */
        double best = -INFINITY;
        if (!slot && study_best(st, s->id, &best, err)) failed = 1;
        else if (slot || value >= best) {
            double test_acc;
            /* a failed evaluation leaves test_acc unset: nothing is formatted from it */
            if (ol_evaluate_accuracy(model, &r->splits.test, &test_acc, err)) {
                ol_error_prefix(err, "test accuracy");
                failed = 1;
            } else {
                exp_text_json_number(&v, test_acc);
                set_attr(st, tid, OL_ATTR_TEST_ACCURACY, exp_text_str(&v), &failed, err);
            }
        }
    }
#define ATTR_PRINTF(key, ...)                                   \
    do {                                                        \
        v.len = 0;                                              \
        exp_text_printf(&v, __VA_ARGS__);                       \
        set_attr(st, tid, key, exp_text_str(&v), &failed, err); \
    } while (0)
    ATTR_PRINTF(OL_ATTR_BEST_EPOCH, "%d", res.best_epoch > 0 ? res.best_epoch - 1 : -1);
    ATTR_PRINTF(OL_ATTR_EPOCHS, "%d", res.epochs_run);
    ATTR_PRINTF(OL_ATTR_SECONDS, "%.3f", res.seconds);
#undef ATTR_PRINTF
    v.len = 0;
    exp_text_json_string(&v, status);
    set_attr(st, tid, OL_ATTR_STATUS, exp_text_str(&v), &failed, err);
    v.len = 0;
    exp_text_printf(&v, "[");
    for (int i = 0; i < res.epochs_run; i++) {
        if (i) exp_text_printf(&v, ", ");
        exp_text_json_number(&v, res.train_loss[i]);
    }
    exp_text_printf(&v, "]");
    set_attr(st, tid, OL_ATTR_TRAIN_LOSS, exp_text_str(&v), &failed, err);
    exp_text_free(&v);
    if (diagnostics && !failed && ol_storage_set_trial_system_attr(st, tid, OL_SYSATTR_DIAGNOSTICS, diagnostics, err))
        failed = 1;
    free(diagnostics);
    out->epochs = res.epochs_run;
    out->seconds = res.seconds;
    out->status = status;
    ol_train_result_free(&res);
    if (failed) {
        tell_fail(study, t);
        if (err->status == OL_ESTATE) return out->lost = 1, OL_OK;
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }
    ol_status ts = ol_study_tell(study, t, state, value, err);
    if (ts == OL_ESTATE) return out->lost = 1, OL_OK; /* marked FAIL meanwhile (stale): its slot is run again */
    if (ts) return ol_error_prefix(err, "%s trial %d", s->name, number);
    out->state = state;
    out->value = value;
    return r->stop ? OL_ESTOPPED : OL_OK;
}
