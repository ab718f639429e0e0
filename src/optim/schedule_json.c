/*
 * schedule_json.c — learning-rate schedules given as torch's name and keyword
 * arguments in JSON text ("CosineAnnealingLR", {"T_max": 50}), as `optlab train
 * --schedule`, `optlab replay` and experiment files write them.
 *
 * This file only reads: it turns the JSON object into an ol_schedule_params
 * (type checks, unknown keywords, required keywords) and hands it to
 * schedule.c, which checks the values and does torch's arithmetic. It is the
 * one file of src/optim/ that needs cJSON, so it is part of liboptlab and left
 * out of liboptlab-optim (Makefile, OPTIM_ONLY_OUT): a program that links the
 * optimizers alone builds its schedules from the struct and needs libm only.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optlab/optim.h"

#define TRY(x) \
    do { ol_status st_ = (x); if (st_) return st_; } while (0)

static ol_status fail_known(ol_error *err, const char *name, const char *key, const char *const *known) {
    char list[256] = "";
    for (size_t i = 0; known[i]; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, known[i], sizeof list - strlen(list) - 1);
    }
    return ol_fail(err, OL_EINVAL, "%s: unknown keyword '%s' (known: %s)", name, key, list);
}

/* A keyword's value, NULL when absent or null (torch's default then applies). */
static const cJSON *given(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A real keyword; *out keeps its default (set by ol_schedule_params_init) when absent. */
static ol_status get_real(const cJSON *o, const char *name, const char *key, int required, double *out, ol_error *err) {
    const cJSON *v = given(o, key);
    if (!v) return required ? ol_fail(err, OL_EINVAL, "%s: keyword '%s' is required", name, key) : OL_OK;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return ol_fail(err, OL_EINVAL, "%s: %s must be a finite number", name, key);
    *out = v->valuedouble;
    return OL_OK;
}

static ol_status get_int(const cJSON *o, const char *name, const char *key, int required, long *out, ol_error *err) {
    double d = (double)*out;
    TRY(get_real(o, name, key, required, &d, err));
    if (d != floor(d) || fabs(d) > 1e15) return ol_fail(err, OL_EINVAL, "%s: %s = %g is not an integer", name, key, d);
    *out = (long)d;
    return OL_OK;
}

static ol_status get_bool(const cJSON *o, const char *name, const char *key, int *out, ol_error *err) {
    const cJSON *v = given(o, key);
    if (!v) return OL_OK;
    if (!cJSON_IsBool(v)) return ol_fail(err, OL_EINVAL, "%s: %s must be true or false", name, key);
    *out = cJSON_IsTrue(v);
    return OL_OK;
}

/* A string keyword, one of two choices; *out = 0 for a (the default) or 1 for b. */
static ol_status get_choice(const cJSON *o, const char *name, const char *key, const char *a, const char *b, int *out,
                            ol_error *err) {
    const cJSON *v = given(o, key);
    if (!v) { *out = 0; return OL_OK; }
    if (cJSON_IsString(v) && !strcmp(v->valuestring, a)) { *out = 0; return OL_OK; }
    if (cJSON_IsString(v) && !strcmp(v->valuestring, b)) { *out = 1; return OL_OK; }
    return ol_fail(err, OL_EINVAL, "%s: %s = %s is not '%s' or '%s'", name, key,
                   cJSON_IsString(v) ? v->valuestring : "(not a string)", a, b);
}

static ol_status get_list(const cJSON *o, const char *name, const char *key, long *out, size_t *n, ol_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || !cJSON_IsArray(v)) return ol_fail(err, OL_EINVAL, "%s: keyword '%s' (a list of integers) is required", name, key);
    int size = cJSON_GetArraySize(v);
    if (size > OL_SCHEDULE_MAX_LIST)
        return ol_fail(err, OL_EINVAL, "%s: %s has %d entries (at most %d)", name, key, size, OL_SCHEDULE_MAX_LIST);
    *n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 || e->valuedouble > 1e15)
            return ol_fail(err, OL_EINVAL, "%s: %s entry %zu is not a non-negative integer", name, key, *n);
        out[(*n)++] = (long)e->valuedouble;
    }
    return OL_OK;
}

static int find_kind(const char *name) {
    for (size_t i = 0; ol_schedule_kind_name(i); i++)
        if (name && !strcasecmp(name, ol_schedule_kind_name(i))) return (int)i;
    return -1;
}

static ol_status unknown_kind(const char *name, ol_error *err) {
    char list[400] = "";
    for (size_t i = 0; ol_schedule_kind_name(i); i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, ol_schedule_kind_name(i), sizeof list - strlen(list) - 1);
    }
    return ol_fail(err, OL_ENOTFOUND, "unknown schedule '%s' (known: %s)", name ? name : "(null)", list);
}

/* The SequentialLR children read_params allocated (none for other kinds). */
static void free_children(ol_schedule_params *p) {
    free((ol_schedule_params *)p->schedulers);
    p->schedulers = NULL;
    p->n_schedulers = 0;
}

/* Read one schedule's keyword arguments into *p. nested: inside a SequentialLR.
 * A SequentialLR's children are checked as each is read, so that a fault in one
 * is reported before the milestones are looked at (as torch meets them). */
static ol_status read_params(const char *name, const cJSON *kw, int nested, ol_schedule_params *p, ol_error *err) {
    int k = find_kind(name);
    if (k < 0) return unknown_kind(name, err);
    name = ol_schedule_kind_name((size_t)k);
    if (!cJSON_IsObject(kw)) return ol_fail(err, OL_EINVAL, "%s: keyword arguments are not a JSON object", name);
    static const char *const known[OL_SCHED_KIND_COUNT][14] = {
        [OL_SCHED_STEP] = {"step_size", "gamma", NULL},
        [OL_SCHED_MULTISTEP] = {"milestones", "gamma", NULL},
        [OL_SCHED_EXPONENTIAL] = {"gamma", NULL},
        [OL_SCHED_COSINE] = {"T_max", "eta_min", NULL},
        [OL_SCHED_WARM_RESTARTS] = {"T_0", "T_mult", "eta_min", NULL},
        [OL_SCHED_LINEAR] = {"start_factor", "end_factor", "total_iters", NULL},
        [OL_SCHED_POLYNOMIAL] = {"total_iters", "power", NULL},
        [OL_SCHED_ONE_CYCLE] = {"max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                                "cycle_momentum", "base_momentum", "max_momentum", "div_factor", "final_div_factor",
                                "three_phase", NULL},
        [OL_SCHED_PLATEAU] = {"mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps",
                              NULL},
        [OL_SCHED_SEQUENTIAL] = {"schedulers", "milestones", NULL},
    };
    for (const cJSON *e = kw->child; e; e = e->next) {
        int ok = 0;
        for (size_t i = 0; known[k][i]; i++) ok |= !strcmp(e->string, known[k][i]);
        /* torch's bookkeeping keywords, accepted at their defaults */
        if (!strcmp(e->string, "last_epoch") && cJSON_IsNumber(e) && e->valuedouble == -1) ok = 1;
        if (!strcmp(e->string, "verbose") && cJSON_IsFalse(e)) ok = 1;
        if (!ok) return fail_known(err, name, e->string, known[k]);
    }
    if (nested && (k == OL_SCHED_PLATEAU || k == OL_SCHED_ONE_CYCLE || k == OL_SCHED_SEQUENTIAL))
        return ol_fail(err, OL_EINVAL, "SequentialLR: %s cannot be one of its schedules", name);
    ol_schedule_params_init(p, (ol_schedule_kind)k);
    switch ((ol_schedule_kind)k) {
    case OL_SCHED_STEP:
        TRY(get_int(kw, name, "step_size", 1, &p->step_size, err));
        TRY(get_real(kw, name, "gamma", 0, &p->gamma, err));
        break;
    case OL_SCHED_MULTISTEP:
        TRY(get_list(kw, name, "milestones", p->milestones, &p->n_milestones, err));
        TRY(get_real(kw, name, "gamma", 0, &p->gamma, err));
        break;
    case OL_SCHED_EXPONENTIAL:
        TRY(get_real(kw, name, "gamma", 1, &p->gamma, err));
        break;
    case OL_SCHED_COSINE:
        TRY(get_int(kw, name, "T_max", 1, &p->t_max, err));
        TRY(get_real(kw, name, "eta_min", 0, &p->eta_min, err));
        break;
    case OL_SCHED_WARM_RESTARTS:
        TRY(get_int(kw, name, "T_0", 1, &p->t_0, err));
        TRY(get_int(kw, name, "T_mult", 0, &p->t_mult, err));
        TRY(get_real(kw, name, "eta_min", 0, &p->eta_min, err));
        break;
    case OL_SCHED_LINEAR:
        TRY(get_real(kw, name, "start_factor", 0, &p->start_factor, err));
        TRY(get_real(kw, name, "end_factor", 0, &p->end_factor, err));
        TRY(get_int(kw, name, "total_iters", 0, &p->total_iters, err));
        break;
    case OL_SCHED_POLYNOMIAL:
        TRY(get_int(kw, name, "total_iters", 0, &p->total_iters, err));
        TRY(get_real(kw, name, "power", 0, &p->power, err));
        break;
    case OL_SCHED_ONE_CYCLE:
        TRY(get_real(kw, name, "max_lr", 1, &p->max_lr, err));
        TRY(get_int(kw, name, "total_steps", 0, &p->total_steps, err));
        TRY(get_int(kw, name, "epochs", 0, &p->epochs, err));
        TRY(get_int(kw, name, "steps_per_epoch", 0, &p->steps_per_epoch, err));
        TRY(get_real(kw, name, "pct_start", 0, &p->pct_start, err));
        TRY(get_choice(kw, name, "anneal_strategy", "cos", "linear", &p->anneal_linear, err));
        TRY(get_bool(kw, name, "cycle_momentum", &p->cycle_momentum, err));
        TRY(get_real(kw, name, "base_momentum", 0, &p->base_momentum, err));
        TRY(get_real(kw, name, "max_momentum", 0, &p->max_momentum, err));
        TRY(get_real(kw, name, "div_factor", 0, &p->div_factor, err));
        TRY(get_real(kw, name, "final_div_factor", 0, &p->final_div_factor, err));
        TRY(get_bool(kw, name, "three_phase", &p->three_phase, err));
        /* in the struct 0 stands for "not given" (epochs * steps_per_epoch): a 0 written here is refused */
        if (given(kw, "total_steps") && p->total_steps == 0)
            return ol_fail(err, OL_EINVAL, "%s: total_steps = 0 must be a positive integer", name);
        break;
    case OL_SCHED_PLATEAU:
        TRY(get_choice(kw, name, "mode", "min", "max", &p->mode_max, err));
        TRY(get_real(kw, name, "factor", 0, &p->factor, err));
        TRY(get_int(kw, name, "patience", 0, &p->patience, err));
        TRY(get_real(kw, name, "threshold", 0, &p->threshold, err));
        TRY(get_choice(kw, name, "threshold_mode", "rel", "abs", &p->threshold_abs, err));
        TRY(get_int(kw, name, "cooldown", 0, &p->cooldown, err));
        TRY(get_real(kw, name, "min_lr", 0, &p->min_lr, err));
        TRY(get_real(kw, name, "eps", 0, &p->eps, err));
        break;
    case OL_SCHED_SEQUENTIAL: {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(kw, "schedulers");
        if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) <= 0)
            return ol_fail(err, OL_EINVAL, "%s: 'schedulers' must be a non-empty list of [NAME, {kwargs}] pairs", name);
        if (cJSON_GetArraySize(list) > OL_SCHEDULE_MAX_LIST)
            return ol_fail(err, OL_EINVAL, "%s: more than %d schedulers", name, OL_SCHEDULE_MAX_LIST);
        ol_schedule_params *kids = calloc((size_t)cJSON_GetArraySize(list), sizeof *kids);
        if (!kids) return ol_fail(err, OL_ENOMEM, "%s: out of memory", name);
        p->schedulers = kids;
        for (const cJSON *e = list->child; e; e = e->next) {
            const cJSON *nm = cJSON_GetArrayItem(e, 0), *args = cJSON_GetArrayItem(e, 1);
            ol_status st;
            if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(nm))
                st = ol_fail(err, OL_EINVAL, "%s: schedulers entry %zu is not a [NAME, {kwargs}] pair", name,
                             p->n_schedulers);
            else if (!(st = read_params(nm->valuestring, args, 1, &kids[p->n_schedulers], err)))
                st = ol_schedule_params_check(&kids[p->n_schedulers], err);
            if (st) {
                free_children(p);
                return st;
            }
            p->n_schedulers++;
        }
        ol_status st = get_list(kw, name, "milestones", p->milestones, &p->n_milestones, err);
        if (st) free_children(p);
        return st;
    }
    default:
        break;
    }
    return OL_OK;
}

/* Name and JSON text to settings; free_children(p) afterwards. */
static ol_status read_text(const char *name, const char *json, ol_schedule_params *p, ol_error *err) {
    memset(p, 0, sizeof *p);
    int k = find_kind(name);
    if (k < 0) return unknown_kind(name, err);
    cJSON *kw = (json && *json) ? cJSON_Parse(json) : cJSON_CreateObject();
    if (!kw)
        return ol_fail(err, OL_EINVAL, "%s: keyword arguments are not valid JSON: %s", ol_schedule_kind_name((size_t)k),
                       json);
    ol_status st = read_params(name, kw, 0, p, err);
    cJSON_Delete(kw);
    return st;
}

ol_status ol_schedule_check(const char *name, const char *json, ol_error *err) {
    ol_schedule_params p;
    TRY(read_text(name, json, &p, err));
    ol_status st = ol_schedule_params_check(&p, err);
    free_children(&p);
    return st;
}

ol_status ol_schedule_create(ol_schedule **out, ol_optimizer *opt, const char *name, const char *json, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_schedule_create: out is NULL");
    *out = NULL;
    if (!opt) return ol_fail(err, OL_EINVAL, "ol_schedule_create: optimizer is NULL");
    ol_schedule_params p;
    TRY(read_text(name, json, &p, err));
    ol_status st = ol_schedule_create_from(out, opt, &p, err);
    free_children(&p);
    return st;
}
