/*
 * study.c — a define-by-run study over any ol_storage, as Optuna's ask/tell:
 * ask creates a RUNNING trial through the storage (which enforces the trial
 * budget across processes) and reads the study's history once; each suggest
 * checks the distribution, asks the sampler (or takes a fixed value) and
 * records the parameter with its Optuna JSON (ol_trial_suggest_many draws
 * several exactly so and records them in one transaction); tell finishes
 * the trial.
 * The study holds no sampler state: everything a sampler needs is in the
 * storage and the seed, so any process can resume any study. (Its memo,
 * ol_sample_ctx.memo, only saves a sampler work: the draws are the same
 * without it.)
 *
 * Incremental reads. Finished trials never change, so the study keeps every
 * trial it has read (its cache) and each ask or pruning check reads only the
 * trials that are new since the last read or were unfinished then
 * (ol_storage_get_trials_since). If the study's trial count then disagrees
 * with the cache (a trial committed out of id order by a concurrent writer),
 * it reads everything again. A trial's history is a snapshot: the finished
 * records are shared with the cache (never freed while the study is open),
 * the unfinished ones are the trial's own copies, so a later ask that
 * refreshes them cannot pull them from under an earlier trial.
 * One thread at a time may use a study and its trials.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpo_internal.h"

typedef struct {
    char *name;
    double value; /* external */
} fixed_param;

typedef struct {
    char *name;
    ol_distribution dist;
    double internal;
} suggested_param;

struct ol_study {
    ol_storage *st;
    int64_t id;
    char *name;
    int maximize;
    uint64_t seed;
    int n_trials;
    const ol_sampler *sampler;
    const ol_pruner *pruner; /* NULL: never prune */
    char *ignore_attr;       /* NULL, or trials with this system attribute are hidden from sampler and pruner */
    fixed_param *fixed;
    size_t n_fixed;
    ol_trial_rec *cache; /* every trial read so far, by number; finished ones are final */
    size_t n_cache, cap_cache;
    int64_t max_id;      /* the greatest trial_id in the cache */
    ol_trial_rec **retired; /* caches replaced by a full re-read: trials' snapshots may still share them */
    size_t n_retired;
    size_t *retired_n;
    ol_sampler_memo memo; /* ol_sample_ctx.memo: the sampler's work kept between asks */
};

struct ol_trial {
    ol_study *study;
    int64_t id;
    int number;
    ol_trial_rec *history; /* the study's trials as of the ask */
    size_t n_history;
    suggested_param *params;
    size_t n_params;
    fixed_param *fixed;
    size_t n_fixed;
    uint64_t history_key; /* ol_sample_ctx.history_key_memo: the history's digest, 0 until a joint sampler asks */
    int64_t last_step; /* last step reported, -1 if none: what the pruner judges */
    double last_value; /* the value reported at last_step (a pruned trial's value) */
};

static ol_status oom(ol_error *err) { return ol_fail(err, OL_ENOMEM, "out of memory"); }

/* Insert or replace name -> value in a fixed-parameter list. */
static ol_status fixed_put(fixed_param **list, size_t *n, const char *name, double value, ol_error *err) {
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "fixed parameter has no name");
    if (!isfinite(value)) return ol_fail(err, OL_EINVAL, "fixed parameter '%s' is not finite", name);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i].name, name)) {
            (*list)[i].value = value;
            return OL_OK;
        }
    fixed_param *p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p) return oom(err);
    *list = p;
    p[*n].name = strdup(name);
    if (!p[*n].name) return oom(err);
    p[*n].value = value;
    (*n)++;
    return OL_OK;
}

static void fixed_free(fixed_param *list, size_t n) {
    for (size_t i = 0; i < n; i++) free(list[i].name);
    free(list);
}

ol_status ol_study_open(ol_study **out, ol_storage *st, const ol_study_options *opt, ol_error *err) {
    *out = NULL;
    if (!st || !opt) return ol_fail(err, OL_EINVAL, "study: storage and options are required");
    if (!opt->name || !*opt->name) return ol_fail(err, OL_EINVAL, "study: name is empty");
    if (!opt->sampler || !opt->sampler->sample)
        return ol_fail(err, OL_EINVAL, "study '%s': no sampler given", opt->name);
    int64_t id;
    int maximize;
    ol_error e2;
    ol_status rc = ol_storage_find_study(st, opt->name, &id, &maximize, &e2);
    if (rc == OL_ENOTFOUND) {
        maximize = opt->maximize ? 1 : 0;
        rc = ol_storage_create_study(st, opt->name, maximize, &id, err);
        /* another process may have created it between find and create; if not, the
         * create's own refusal (e.g. a name that is not UTF-8) is the message */
        if (rc == OL_EINVAL) {
            ol_error e3;
            if (ol_storage_find_study(st, opt->name, &id, &maximize, &e3) == OL_OK) rc = OL_OK;
        }
    } else if (rc && err) {
        *err = e2;
    }
    if (rc) return ol_error_prefix(err, "study '%s'", opt->name);
    if (maximize != (opt->maximize ? 1 : 0))
        return ol_fail(err, OL_EINVAL, "study '%s' exists in %s with direction %s, but %s was asked", opt->name,
                       ol_storage_url(st) ? ol_storage_url(st) : "the storage", maximize ? "MAXIMIZE" : "MINIMIZE",
                       opt->maximize ? "MAXIMIZE" : "MINIMIZE");
    ol_study *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(opt->name))) {
        free(s);
        return oom(err);
    }
    s->st = st;
    s->id = id;
    s->maximize = maximize;
    s->seed = opt->seed;
    s->n_trials = opt->n_trials;
    s->sampler = opt->sampler;
    s->pruner = opt->pruner;
    if (opt->ignore_attr && !(s->ignore_attr = strdup(opt->ignore_attr))) {
        ol_study_close(s);
        return oom(err);
    }
    *out = s;
    return OL_OK;
}

void ol_study_close(ol_study *s) {
    if (!s) return;
    ol_trials_free(s->cache, s->n_cache);
    for (size_t i = 0; i < s->n_retired; i++) ol_trials_free(s->retired[i], s->retired_n[i]);
    free(s->retired);
    free(s->retired_n);
    fixed_free(s->fixed, s->n_fixed);
    if (s->memo.free_data) s->memo.free_data(s->memo.data);
    free(s->ignore_attr);
    free(s->name);
    free(s);
}

int64_t ol_study_id(const ol_study *s) { return s->id; }

ol_status ol_study_fix_param(ol_study *s, const char *name, double external_value, ol_error *err) {
    return fixed_put(&s->fixed, &s->n_fixed, name, external_value, err);
}

static int unfinished(const ol_trial_rec *r) { return r->state == OL_TRIAL_RUNNING || r->state == OL_TRIAL_WAITING; }

static int cmp_number(const void *a, const void *b) {
    const ol_trial_rec *x = a, *y = b;
    if (x->number != y->number) return (x->number > y->number) - (x->number < y->number);
    return (x->trial_id > y->trial_id) - (x->trial_id < y->trial_id);
}

/* Move the current cache aside (trials' snapshots may share its records) and read everything. */
static ol_status cache_reload(ol_study *s, ol_error *err) {
    ol_trial_rec **r = realloc(s->retired, (s->n_retired + 1) * sizeof *r);
    if (!r) return oom(err);
    s->retired = r;
    size_t *rn = realloc(s->retired_n, (s->n_retired + 1) * sizeof *rn);
    if (!rn) return oom(err);
    s->retired_n = rn;
    s->retired[s->n_retired] = s->cache;
    s->retired_n[s->n_retired++] = s->n_cache;
    s->cache = NULL;
    s->n_cache = s->cap_cache = 0;
    s->max_id = 0;
    ol_trial_rec *all = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_trials(s->st, s->id, &all, &n, err);
    if (rc) return rc;
    s->cache = all;
    s->n_cache = s->cap_cache = n;
    for (size_t i = 0; i < n; i++)
        if (all[i].trial_id > s->max_id) s->max_id = all[i].trial_id;
    return OL_OK;
}

/* Bring the cache up to date, reading only new and unfinished trials. */
static ol_status cache_refresh(ol_study *s, ol_error *err) {
    size_t n_open = 0;
    for (size_t i = 0; i < s->n_cache; i++) n_open += unfinished(&s->cache[i]);
    int64_t *open_ids = malloc((n_open ? n_open : 1) * sizeof *open_ids);
    size_t *open_pos = malloc((n_open ? n_open : 1) * sizeof *open_pos);
    if (!open_ids || !open_pos) {
        free(open_ids);
        free(open_pos);
        return oom(err);
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n_cache; i++)
        if (unfinished(&s->cache[i])) {
            open_ids[k] = s->cache[i].trial_id;
            open_pos[k++] = i;
        }
    ol_trial_rec *fresh = NULL;
    size_t n_fresh = 0, n_total = 0;
    ol_status rc = ol_storage_get_trials_since(s->st, s->id, s->max_id, open_ids, n_open, &fresh, &n_fresh, &n_total,
                                               err);
    size_t used = 0;
    for (size_t f = 0; rc == OL_OK && f < n_fresh; f++) {
        ol_trial_rec *rec = &fresh[f];
        size_t j = 0;
        while (j < n_open && open_ids[j] != rec->trial_id) j++;
        if (j < n_open) { /* an unfinished trial read again: replace it */
            ol_trial_rec_clear(&s->cache[open_pos[j]]);
            s->cache[open_pos[j]] = *rec;
        } else {
            if (s->n_cache == s->cap_cache) {
                size_t cap = s->cap_cache ? 2 * s->cap_cache : 64;
                while (cap < s->n_cache + (n_fresh - f)) cap *= 2;
                ol_trial_rec *grown = realloc(s->cache, cap * sizeof *grown);
                if (!grown) {
                    rc = oom(err);
                    break;
                }
                s->cache = grown;
                s->cap_cache = cap;
            }
            s->cache[s->n_cache++] = *rec;
            if (rec->trial_id > s->max_id) s->max_id = rec->trial_id;
        }
        memset(rec, 0, sizeof *rec); /* moved into the cache */
        used = f + 1;
    }
    /* fresh[0..used) were moved into the cache; the rest (after a failure) are freed */
    for (size_t f = used; f < n_fresh; f++) ol_trial_rec_clear(&fresh[f]);
    free(fresh);
    free(open_ids);
    free(open_pos);
    if (rc) return rc;
    if (s->n_cache != n_total) return cache_reload(s, err);
    int sorted = 1;
    for (size_t i = 1; i < s->n_cache && sorted; i++) sorted = cmp_number(&s->cache[i - 1], &s->cache[i]) < 0;
    if (!sorted) qsort(s->cache, s->n_cache, sizeof *s->cache, cmp_number);
    return OL_OK;
}

ol_status ol_study_load(ol_study *s, ol_error *err) {
    ol_status rc = cache_refresh(s, err);
    return rc ? ol_error_prefix(err, "study '%s'", s->name) : OL_OK;
}

/* A snapshot of the study as stored now: finished records shared with the cache, unfinished ones copied. */
static ol_status study_snapshot(ol_study *s, ol_trial_rec **out, size_t *n, ol_error *err) {
    *out = NULL;
    *n = 0;
    ol_status rc = cache_refresh(s, err);
    if (rc) return rc;
    ol_trial_rec *snap = malloc((s->n_cache ? s->n_cache : 1) * sizeof *snap);
    if (!snap) return oom(err);
    memcpy(snap, s->cache, s->n_cache * sizeof *snap);
    for (size_t i = 0; i < s->n_cache; i++) {
        if (!unfinished(&s->cache[i])) continue;
        if (ol_trial_rec_copy(&snap[i], &s->cache[i])) {
            ol_trial_rec_clear(&snap[i]);
            for (size_t j = 0; j < i; j++)
                if (unfinished(&snap[j])) ol_trial_rec_clear(&snap[j]);
            free(snap);
            return oom(err);
        }
    }
    *out = snap;
    *n = s->n_cache;
    return OL_OK;
}

static void snapshot_free(ol_trial_rec *snap, size_t n) {
    for (size_t i = 0; snap && i < n; i++)
        if (unfinished(&snap[i])) ol_trial_rec_clear(&snap[i]);
    free(snap);
}

/* Leave out of a snapshot the trials the study ignores (ignore_attr): the
 * sampler and the pruner then see the study as if they had never run. The
 * left-out unfinished records are the snapshot's own copies and are freed. */
static void snapshot_drop_ignored(const ol_study *s, ol_trial_rec *snap, size_t *n) {
    if (!s->ignore_attr || !snap) return;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        if (ol_attr_find(snap[i].system_attrs, snap[i].n_system_attrs, s->ignore_attr)) {
            if (unfinished(&snap[i])) ol_trial_rec_clear(&snap[i]);
            continue;
        }
        snap[kept++] = snap[i];
    }
    *n = kept;
}

static void trial_free(ol_trial *t) {
    if (!t) return;
    snapshot_free(t->history, t->n_history);
    for (size_t i = 0; i < t->n_params; i++) {
        free(t->params[i].name);
        ol_distribution_free(&t->params[i].dist);
    }
    free(t->params);
    fixed_free(t->fixed, t->n_fixed);
    free(t);
}

void ol_trial_abandon(ol_trial *t) { trial_free(t); }
int ol_trial_number(const ol_trial *t) { return t->number; }
int64_t ol_trial_id(const ol_trial *t) { return t->id; }

/* Record the trial's fixed parameters as Optuna's "fixed_params" system attribute. */
static ol_status write_fixed_attr(ol_trial *t, ol_error *err) {
    if (t->n_fixed == 0) return OL_OK;
    size_t len = 3;
    for (size_t i = 0; i < t->n_fixed; i++) len += strlen(t->fixed[i].name) * 6 + 48;
    char *j = malloc(len);
    if (!j) return oom(err);
    size_t o = 0;
    j[o++] = '{';
    for (size_t i = 0; i < t->n_fixed; i++) {
        char num[40];
        ol_format_pyfloat(num, sizeof num, t->fixed[i].value);
        o += (size_t)sprintf(j + o, "%s\"", i ? ", " : "");
        for (const char *c = t->fixed[i].name; *c; c++) {
            if (*c == '"' || *c == '\\') j[o++] = '\\';
            if ((unsigned char)*c < 0x20) o += (size_t)sprintf(j + o, "\\u%04x", (unsigned char)*c);
            else j[o++] = *c;
        }
        o += (size_t)sprintf(j + o, "\": %s", num);
    }
    j[o++] = '}';
    j[o] = 0;
    ol_status rc = ol_storage_set_trial_system_attr(t->study->st, t->id, "fixed_params", j, err);
    free(j);
    return rc;
}

ol_status ol_study_ask(ol_study *s, ol_trial **out, ol_error *err) {
    return ol_study_ask_with_attrs(s, NULL, 0, out, err);
}

ol_status ol_study_ask_with_attrs(ol_study *s, const ol_attr_rec *system_attrs, size_t n_attrs, ol_trial **out,
                                  ol_error *err) {
    *out = NULL;
    ol_trial *t = calloc(1, sizeof *t);
    if (!t) return oom(err);
    t->study = s;
    t->last_step = -1;
    ol_status rc = ol_storage_create_trial_with_attrs(s->st, s->id, s->n_trials, system_attrs, n_attrs, &t->id,
                                                      &t->number, err);
    if (rc) {
        free(t);
        return rc; /* OL_ESTOPPED: the study is full */
    }
    rc = study_snapshot(s, &t->history, &t->n_history, err);
    if (rc == OL_OK) snapshot_drop_ignored(s, t->history, &t->n_history);
    for (size_t i = 0; rc == OL_OK && i < s->n_fixed; i++)
        rc = fixed_put(&t->fixed, &t->n_fixed, s->fixed[i].name, s->fixed[i].value, err);
    if (rc == OL_OK) rc = write_fixed_attr(t, err);
    if (rc) {
        ol_storage_finish_trial(s->st, t->id, OL_TRIAL_FAIL, NULL, NULL);
        trial_free(t);
        return rc;
    }
    *out = t;
    return OL_OK;
}

ol_status ol_trial_fix_param(ol_trial *t, const char *name, double external_value, ol_error *err) {
    ol_status rc = fixed_put(&t->fixed, &t->n_fixed, name, external_value, err);
    return rc ? rc : write_fixed_attr(t, err);
}

ol_status ol_study_tell(ol_study *s, ol_trial *t, ol_trial_state state, double value, ol_error *err) {
    if (!t) return ol_fail(err, OL_EINVAL, "study '%s': tell without a trial", s->name);
    ol_status rc;
    if (t->study->st != s->st || t->study->id != s->id) {
        rc = ol_fail(err, OL_EINVAL, "trial %d does not belong to study '%s'", t->number, s->name);
    } else if (state == OL_TRIAL_COMPLETE && isnan(value)) {
        rc = ol_storage_finish_trial(s->st, t->id, OL_TRIAL_FAIL, NULL, err);
    } else if (state == OL_TRIAL_COMPLETE) {
        rc = ol_storage_finish_trial(s->st, t->id, state, &value, err);
    } else if (state == OL_TRIAL_PRUNED && t->last_step >= 0 && !isnan(t->last_value)) {
        /* as Optuna 3.1: a pruned trial's value is its last intermediate value */
        rc = ol_storage_finish_trial(s->st, t->id, state, &t->last_value, err);
    } else {
        rc = ol_storage_finish_trial(s->st, t->id, state, NULL, err);
    }
    if (rc) ol_error_prefix(err, "study '%s', trial %d", s->name, t->number);
    trial_free(t);
    return rc;
}

ol_status ol_trial_report(ol_trial *t, int64_t step, double value, ol_error *err) {
    ol_status rc = ol_storage_set_intermediate(t->study->st, t->id, step, value, err);
    if (rc == OL_OK) {
        t->last_step = step;
        t->last_value = value;
    }
    return rc;
}

ol_status ol_trial_should_prune(ol_trial *t, int *prune, ol_error *err) {
    *prune = 0;
    const ol_pruner *p = t->study->pruner;
    if (!p || !p->should_prune || t->last_step < 0) return OL_OK;
    /* read fresh: trials other workers finished since the ask count too */
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    ol_status rc = study_snapshot(t->study, &trials, &n, err);
    if (rc) return ol_error_prefix(err, "study '%s', trial %d: pruner", t->study->name, t->number);
    snapshot_drop_ignored(t->study, trials, &n);
    ol_prune_ctx ctx = {.trials = trials, .n_trials = n, .maximize = t->study->maximize, .trial_number = t->number,
                        .step = t->last_step};
    rc = p->should_prune(p, &ctx, prune, err);
    snapshot_free(trials, n);
    return rc;
}

static const char *kind_name(ol_dist_kind k) {
    return k == OL_DIST_FLOAT ? "float" : k == OL_DIST_INT ? "int" : "categorical";
}

/*
 * Optuna refuses a parameter whose earlier trials used another kind (or other
 * choices). Like Optuna's RDB storage, compare with one earlier use only (the
 * latest): every earlier use passed the same check, and this keeps a suggest
 * O(1) in the history's length for the usual case.
 */
static ol_status check_history(const ol_trial *t, const char *name, const ol_distribution *d, const char *json,
                               ol_error *err) {
    for (size_t i = t->n_history; i-- > 0;) {
        const ol_trial_rec *h = &t->history[i];
        for (size_t k = 0; k < h->n_params; k++) {
            if (strcmp(h->params[k].name, name)) continue;
            if (!strcmp(h->params[k].distribution_json, json)) return OL_OK;
            ol_distribution other;
            if (ol_distribution_from_json(&other, h->params[k].distribution_json, NULL)) continue;
            int bad = other.kind != d->kind || (d->kind == OL_DIST_CATEGORICAL && !ol_distribution_equal(&other, d));
            ol_distribution_free(&other);
            if (bad)
                return ol_fail(err, OL_EINVAL,
                               "parameter '%s': trial %d of this study used it with distribution %s, "
                               "incompatible with %s",
                               name, h->number, h->params[k].distribution_json, json);
            return OL_OK;
        }
    }
    return OL_OK;
}

static ol_status copy_distribution(ol_distribution *dst, const ol_distribution *src) {
    *dst = *src;
    dst->choices_json = NULL;
    dst->n_choices = 0;
    if (src->kind != OL_DIST_CATEGORICAL) return OL_OK;
    dst->choices_json = calloc(src->n_choices, sizeof *dst->choices_json);
    if (!dst->choices_json) return OL_ENOMEM;
    for (size_t i = 0; i < src->n_choices; i++) {
        dst->choices_json[i] = strdup(src->choices_json[i]);
        if (!dst->choices_json[i]) {
            dst->n_choices = i;
            ol_distribution_free(dst);
            return OL_ENOMEM;
        }
        dst->n_choices = i + 1;
    }
    return OL_OK;
}

/* ol_sample_ctx.tag: a sampler's note on the trial it samples, as a system attribute. */
static ol_status trial_tag(void *tag_ctx, const char *key, const char *value_json, ol_error *err) {
    ol_trial *t = tag_ctx;
    return ol_storage_set_trial_system_attr(t->study->st, t->id, key, value_json, err);
}

/*
 * The value of one suggest, not yet recorded: *json receives the distribution's
 * JSON (the caller frees it) and *fresh = 1, or, for a name this trial already
 * holds with an equal distribution, its value with *fresh = 0 and no JSON.
 */
static ol_status suggest_draw(ol_trial *t, const char *name, const ol_distribution *d, double *internal, char **json_out,
                              int *fresh, ol_error *err) {
    *json_out = NULL;
    *fresh = 0;
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "trial %d: parameter name is empty", t->number);
    ol_status rc = ol_distribution_check(d, name, err);
    if (rc) return rc;
    for (size_t i = 0; i < t->n_params; i++) {
        if (strcmp(t->params[i].name, name)) continue;
        if (!ol_distribution_equal(&t->params[i].dist, d)) {
            char *a = ol_distribution_to_json(&t->params[i].dist), *b = ol_distribution_to_json(d);
            rc = ol_fail(err, OL_EINVAL, "parameter '%s' was suggested in trial %d as %s and again as %s", name,
                         t->number, a ? a : kind_name(t->params[i].dist.kind), b ? b : kind_name(d->kind));
            free(a);
            free(b);
            return rc;
        }
        *internal = t->params[i].internal;
        return OL_OK;
    }
    char *json = ol_distribution_to_json(d);
    if (!json) return oom(err);
    rc = check_history(t, name, d, json, err);
    if (rc) goto out;

    double v = NAN;
    int fixed = 0;
    for (size_t i = 0; i < t->n_fixed; i++) {
        if (strcmp(t->fixed[i].name, name)) continue;
        v = t->fixed[i].value;
        fixed = 1;
        if (!ol_distribution_contains(d, v)) {
            rc = ol_fail(err, OL_EINVAL, "parameter '%s': fixed value %g is not in its distribution %s", name, v, json);
            goto out;
        }
    }
    if (!fixed) {
        ol_sample_ctx ctx = {.trials = t->history,
                             .n_trials = t->n_history,
                             .maximize = t->study->maximize,
                             .seed = t->study->seed,
                             .trial_number = t->number,
                             .param_name = name,
                             .dist = d,
                             .dist_json = json,
                             .tag = trial_tag,
                             .tag_ctx = t,
                             .history_key_memo = &t->history_key,
                             .memo = &t->study->memo};
        rc = t->study->sampler->sample(t->study->sampler, &ctx, &v, err);
        if (rc) goto out;
        if (!ol_distribution_contains(d, v)) {
            rc = ol_fail(err, OL_ESTATE, "sampler %s drew %.17g for '%s', outside %s", t->study->sampler->name, v, name,
                         json);
            goto out;
        }
    }
    *internal = v;
    *fresh = 1;
    *json_out = json;
    return OL_OK;
out:
    free(json);
    return rc;
}

/* Remember a recorded (or about to be recorded) parameter in the trial. */
static ol_status suggest_keep(ol_trial *t, const char *name, const ol_distribution *d, double v, ol_error *err) {
    suggested_param *p = realloc(t->params, (t->n_params + 1) * sizeof *p);
    if (!p) return oom(err);
    t->params = p;
    p[t->n_params].name = strdup(name);
    if (!p[t->n_params].name || copy_distribution(&p[t->n_params].dist, d)) {
        free(p[t->n_params].name);
        return oom(err);
    }
    p[t->n_params].internal = v;
    t->n_params++;
    return OL_OK;
}

ol_status ol_trial_suggest(ol_trial *t, const char *name, const ol_distribution *d, double *internal, ol_error *err) {
    double v;
    char *json;
    int fresh;
    ol_status rc = suggest_draw(t, name, d, &v, &json, &fresh, err);
    if (rc == OL_OK && fresh) {
        rc = ol_storage_set_param(t->study->st, t->id, name, v, json, err);
        if (rc == OL_OK) rc = suggest_keep(t, name, d, v, err);
    }
    free(json);
    if (rc == OL_OK) *internal = v;
    return rc;
}

ol_status ol_trial_suggest_many(ol_trial *t, const char *const *names, const ol_distribution *dists, size_t n,
                                double *internal, ol_error *err) {
    if (n && (!names || !dists || !internal))
        return ol_fail(err, OL_EINVAL, "trial %d: suggest_many needs names, distributions and outputs", t->number);
    size_t n_before = t->n_params, n_new = 0;
    ol_param_rec *recs = calloc(n ? n : 1, sizeof *recs);
    if (!recs) return oom(err);
    ol_status rc = OL_OK;
    for (size_t i = 0; rc == OL_OK && i < n; i++) {
        char *json;
        int fresh;
        rc = suggest_draw(t, names[i], &dists[i], &internal[i], &json, &fresh, err);
        if (rc) {
            ol_error_prefix(err, "parameter %s", names[i] ? names[i] : "(null)");
            break;
        }
        if (!fresh) continue;
        /* kept now, so a name given twice in this call is found as a repeat */
        rc = suggest_keep(t, names[i], &dists[i], internal[i], err);
        if (rc) {
            free(json);
            break;
        }
        recs[n_new++] = (ol_param_rec){.name = (char *)names[i], .value = internal[i], .distribution_json = json};
    }
    if (rc == OL_OK) rc = ol_storage_set_params(t->study->st, t->id, recs, n_new, err);
    if (rc) /* nothing of this call was recorded: the trial forgets it too */
        while (t->n_params > n_before) {
            t->n_params--;
            free(t->params[t->n_params].name);
            ol_distribution_free(&t->params[t->n_params].dist);
        }
    for (size_t i = 0; i < n_new; i++) free(recs[i].distribution_json);
    free(recs);
    return rc;
}

ol_status ol_trial_suggest_float(ol_trial *t, const char *name, double low, double high, int log, double step,
                                 double *out, ol_error *err) {
    ol_distribution d = {.kind = OL_DIST_FLOAT, .low = low, .high = high, .log = log ? 1 : 0, .step = step};
    return ol_trial_suggest(t, name, &d, out, err);
}

ol_status ol_trial_suggest_int(ol_trial *t, const char *name, int64_t low, int64_t high, int log, int64_t step,
                               int64_t *out, ol_error *err) {
    ol_distribution d = {
        .kind = OL_DIST_INT, .low = (double)low, .high = (double)high, .log = log ? 1 : 0, .step = (double)step};
    double v;
    ol_status rc = ol_trial_suggest(t, name, &d, &v, err);
    if (rc == OL_OK) *out = (int64_t)llround(v);
    return rc;
}

ol_status ol_trial_suggest_categorical(ol_trial *t, const char *name, const char *const *choices, size_t n,
                                       size_t *index, ol_error *err) {
    ol_distribution d;
    ol_status rc = ol_dist_categorical(&d, choices, n, err);
    if (rc) return ol_error_prefix(err, "parameter '%s'", name ? name : "");
    double v;
    rc = ol_trial_suggest(t, name, &d, &v, err);
    ol_distribution_free(&d);
    if (rc == OL_OK) *index = (size_t)v;
    return rc;
}
