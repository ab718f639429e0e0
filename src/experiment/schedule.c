/*
 * schedule.c — an experiment section's learning-rate schedule
 * (docs/experiments.md, "Learning-rate schedules"):
 *
 *   schedule = SequentialLR:{"schedulers": [["LinearLR", {"start_factor": 0.1, "total_iters": "$warmup"}],
 *                                           ["CosineAnnealingLR", {"T_max": 50, "eta_min": "$eta_min"}]],
 *                            "milestones": ["$warmup"]}
 *   schedule.warmup = int 1 10
 *   schedule.eta_min = log 1e-6 1e-4
 *
 * A JSON string "$KEY" anywhere in the keywords is a placeholder for the
 * `schedule.KEY` line's value: fixed, or searched as an ordinary Optuna
 * distribution stored under the parameter name "schedule.KEY". One key may
 * fill several places (the warm-up length is LinearLR's total_iters and
 * SequentialLR's milestone).
 *
 * Everything is checked when the file is read (exp_schedule_validate), before
 * any study exists: the name and keywords at every extreme of the searched
 * values (ol_schedule_check), the schedule against the optimizer
 * (ol_schedule_create on a one-weight optimizer with the section's fixed
 * settings: OneCycleLR's cycled momentum needs a momentum or beta1), and
 * against the run (ol_train_check_schedule: ReduceLROnPlateau watches the
 * valid-epoch accuracy, so mode "max"; OneCycleLR must cover max_epochs).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_internal.h"
#include "optlab/optim.h"
#include "optlab/train.h"

#define SCHED_PREFIX "schedule."

/* The params[] index of `schedule.KEY`, -1 if none. */
static int find_key(const ol_exp_optimizer *o, const char *key) {
    for (int i = 0; i < o->n_params; i++)
        if (o->params[i].schedule && !strcmp(o->params[i].name + strlen(SCHED_PREFIX), key)) return i;
    return -1;
}

/* Replace every "$KEY" string under `node` by its value; mark used keys. */
static ol_status substitute(cJSON *node, const ol_exp_optimizer *o, const double *values, int *used, ol_error *err) {
    for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
        if (cJSON_IsString(c) && c->valuestring && c->valuestring[0] == '$') {
            int k = find_key(o, c->valuestring + 1);
            if (k < 0)
                return ol_fail(err, OL_EINVAL, "placeholder \"%s\" has no line `schedule.%s = ...` in [optimizer %s]",
                               c->valuestring, c->valuestring + 1, o->study);
            if (used) used[k] = 1;
            double v = values ? values[k] : 0;
            /* turn the string item into a number in place: it keeps its key in an object */
            cJSON_free(c->valuestring);
            c->valuestring = NULL;
            c->type = cJSON_Number;
            cJSON_SetNumberValue(c, v);
        } else if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
            ol_status s = substitute(c, o, values, used, err);
            if (s) return s;
        }
    }
    return OL_OK;
}

/* Substitute and print; `used` (n_params ints) gets which keys appear. */
static ol_status kwargs_with(const ol_exp_optimizer *o, const double *values, int *used, char **out, ol_error *err) {
    *out = NULL;
    if (!o->schedule_json) return OL_OK;
    cJSON *root = cJSON_Parse(o->schedule_json);
    if (!root) return ol_fail(err, OL_EINVAL, "the keywords are not valid JSON: %s", o->schedule_json);
    ol_status s = OL_OK;
    if (cJSON_IsString(root) && root->valuestring && root->valuestring[0] == '$')
        s = ol_fail(err, OL_EINVAL, "the keywords must be a JSON object, not a placeholder");
    if (!s) s = substitute(root, o, values, used, err);
    if (!s) {
        *out = cJSON_PrintUnformatted(root);
        if (!*out) s = ol_fail(err, OL_ENOMEM, "out of memory");
    }
    cJSON_Delete(root);
    return s;
}

ol_status ol_exp_schedule_kwargs(const ol_exp_optimizer *o, const double *values, char **out, ol_error *err) {
    return kwargs_with(o, values, NULL, out, err);
}

void ol_exp_schedule_text(const ol_exp_optimizer *o, char *buf, size_t n) {
    if (!n) return;
    if (!o->schedule[0]) buf[0] = '\0';
    else if (o->schedule_json) snprintf(buf, n, "%s:%s", o->schedule, o->schedule_json);
    else snprintf(buf, n, "%s", o->schedule);
}

/* The value a spec takes in its middle (fixed: its value; choices: the first; log: the geometric mean). The
 * checks vary one key to its ends with the others here, so a bad end is blamed on its own line. */
static double mid_value(const ol_exp_param *h) {
    if (h->spec.fixed) return h->spec.value;
    const ol_distribution *d = &h->spec.dist;
    if (d->kind == OL_DIST_CATEGORICAL) return ol_param_spec_choice_value(&h->spec, 0);
    double m = d->log ? sqrt(d->low * d->high) : 0.5 * (d->low + d->high);
    return d->kind == OL_DIST_INT ? floor(m) : m;
}

/* Every value the checks try for h: low and high, or every choice. */
static size_t extremes(const ol_exp_param *h, double *out, size_t max) {
    if (h->spec.fixed) return out[0] = h->spec.value, 1;
    if (h->spec.dist.kind == OL_DIST_CATEGORICAL) {
        size_t k = 0;
        for (size_t i = 0; i < h->spec.dist.n_choices && k < max; i++) out[k++] = ol_param_spec_choice_value(&h->spec, i);
        return k;
    }
    out[0] = h->spec.dist.low;
    out[1] = h->spec.dist.high;
    return 2;
}

/* The schedule made for a one-weight optimizer of the section, then checked against the run. */
static ol_status check_with_optimizer(const ol_experiment *e, const ol_exp_optimizer *o, const char *kwargs,
                                      ol_error *err) {
    ol_optimizer *opt = NULL;
    ol_schedule *sched = NULL;
    float w = 0.5f, g = 0.0f;
    ol_status s = ol_optimizer_create(&opt, o->name, err);
    for (int i = 0; !s && i < o->n_params; i++) {
        const ol_exp_param *h = &o->params[i];
        if (!h->schedule && h->spec.fixed) s = ol_optimizer_set(opt, h->name, h->spec.value, err);
    }
    if (!s) s = ol_optimizer_add_group(opt, &w, &g, 1, err);
    if (!s) s = ol_schedule_create(&sched, opt, o->schedule, kwargs, err);
    if (!s) {
        ol_train_config cfg;
        ol_train_config_default(&cfg);
        cfg.batch_size = e->batch_size;
        cfg.max_epochs = e->max_epochs;
        cfg.schedule = sched;
        s = ol_train_check_schedule(&cfg, e->train, err);
    }
    ol_schedule_free(sched);
    ol_optimizer_free(opt);
    return s;
}

ol_status exp_schedule_validate(const ol_experiment *e, const ol_exp_optimizer *o, int *line, ol_error *err) {
    *line = o->schedule_line;
    int used[OL_EXP_MAX_PARAMS] = {0};
    double base[OL_EXP_MAX_PARAMS] = {0};
    char text[700];
    ol_exp_schedule_text(o, text, sizeof text);
    if (!o->schedule[0]) {
        for (int i = 0; i < o->n_params; i++)
            if (o->params[i].schedule) {
                *line = o->params[i].line;
                return ol_fail(err, OL_EINVAL, "%s has no `schedule = NAME[:JSON]` in [optimizer %s] to fill",
                               o->params[i].name, o->study);
            }
        return OL_OK;
    }
    for (int i = 0; i < o->n_params; i++)
        if (o->params[i].schedule) base[i] = mid_value(&o->params[i]);
    char *kw = NULL;
    ol_status s = kwargs_with(o, base, used, &kw, err);
    if (s) return ol_error_prefix(err, "schedule = %s", text);
    for (int i = 0; i < o->n_params; i++)
        if (o->params[i].schedule && !used[i]) {
            free(kw);
            *line = o->params[i].line;
            return ol_fail(err, OL_EINVAL, "%s is not used: the schedule's JSON has no \"$%s\"", o->params[i].name,
                           o->params[i].name + strlen(SCHED_PREFIX));
        }
    /* the keywords with every key in its middle; when they fail and one key is searched, its line is blamed */
    int n_searched = 0, searched = -1;
    for (int i = 0; i < o->n_params; i++)
        if (o->params[i].schedule && !o->params[i].spec.fixed) n_searched++, searched = i;
    s = ol_schedule_check(o->schedule, kw, err);
    if (s) {
        free(kw);
        /* blame the one searched key when some value of its range passes (else the schedule line is wrong) */
        int some_pass = 0;
        if (n_searched == 1) {
            double vals[64];
            size_t nv = extremes(&o->params[searched], vals, 64);
            for (size_t k = 0; k < nv && !some_pass; k++) {
                double saved = base[searched];
                base[searched] = vals[k];
                char *kw2 = NULL;
                ol_error ignored;
                some_pass = !kwargs_with(o, base, NULL, &kw2, &ignored) && !ol_schedule_check(o->schedule, kw2, &ignored);
                free(kw2);
                base[searched] = saved;
            }
        }
        if (some_pass) {
            *line = o->params[searched].line;
            return ol_error_prefix(err, "%s = %g (the middle of its range)", o->params[searched].name, base[searched]);
        }
        return ol_error_prefix(err, "schedule = %s%s", text, n_searched ? " (every schedule.KEY in the middle of its range)" : "");
    }
    /* every searched value at its ends, the others in their middles */
    for (int i = 0; i < o->n_params; i++) {
        const ol_exp_param *h = &o->params[i];
        if (!h->schedule) continue;
        double vals[64];
        size_t nv = extremes(h, vals, 64);
        for (size_t k = 0; k < nv; k++) {
            double saved = base[i];
            base[i] = vals[k];
            char *kw2 = NULL;
            s = kwargs_with(o, base, NULL, &kw2, err);
            if (!s) s = ol_schedule_check(o->schedule, kw2, err);
            if (!s) s = check_with_optimizer(e, o, kw2, err);
            free(kw2);
            base[i] = saved;
            if (s) {
                free(kw);
                *line = h->line;
                return ol_error_prefix(err, "%s = %g", h->name, vals[k]);
            }
        }
    }
    s = check_with_optimizer(e, o, kw, err);
    free(kw);
    if (s) return ol_error_prefix(err, "schedule = %s, optimizer %s", text, o->name);
    return OL_OK;
}
