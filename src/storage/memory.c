/*
 * memory.c — the "memory:" storage backend: studies and trials held in this
 * process only, for tests and benchmarks (hpo-bench runs thousands of trials
 * through it). It keeps the same semantics as the SQLite and PostgreSQL
 * backends (see include/optlab/storage.h): trial budgets counted over
 * COMPLETE + PRUNED + RUNNING, finish only from RUNNING, heartbeats, deep
 * copies out. A mutex makes each call atomic for threads sharing one handle;
 * nothing is shared between processes.
 *
 * Trials live in one storage-wide array indexed by trial_id - 1 (ids start at
 * 1, as SQLite's autoincrement), so per-trial calls are O(1); each study keeps
 * the ids of its trials in number order.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct {
    ol_trial_rec rec; /* the stored trial; arrays grown with the *_cap fields */
    size_t params_cap, inter_cap, uattr_cap, sattr_cap;
    int64_t study_id;
    double heartbeat;
} mem_trial;

typedef struct {
    int64_t study_id;
    char *name;
    int maximize;
    ol_attr_rec *attrs;
    size_t n_attrs, attrs_cap;
    int64_t *trial_ids; /* index = trial number */
    size_t n_trials, trials_cap;
} mem_study;

typedef struct {
    ol_storage base; /* must be first: storage.c sees only this */
    pthread_mutex_t lock;
    mem_study *studies;
    size_t n_studies, studies_cap;
    mem_trial **trials; /* index = trial_id - 1 */
    size_t n_trials, trials_cap;
} mem_storage;

/* Grow *arr (of elements of `size` bytes) so it holds at least `need`. */
static int grow(void **arr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need) c *= 2;
    void *p = realloc(*arr, c * size);
    if (!p) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

static mem_study *study_by_id(mem_storage *m, int64_t id) {
    if (id < 1 || (size_t)id > m->n_studies) return NULL;
    return &m->studies[id - 1];
}

static mem_trial *trial_by_id(mem_storage *m, int64_t id) {
    if (id < 1 || (size_t)id > m->n_trials) return NULL;
    return m->trials[id - 1];
}

static ol_status no_study(ol_error *err, int64_t id) {
    return ol_fail(err, OL_ENOTFOUND, "memory storage: no study with id %lld", (long long)id);
}

static ol_status no_trial(ol_error *err, int64_t id) {
    return ol_fail(err, OL_ENOTFOUND, "memory storage: no trial with id %lld", (long long)id);
}

static ol_status oom(ol_error *err) { return ol_fail(err, OL_ENOMEM, "memory storage: out of memory"); }

/* Insert or replace key in an attribute array. */
static ol_status attr_put(ol_attr_rec **attrs, size_t *n, size_t *cap, const char *key, const char *value_json,
                          ol_error *err) {
    if (!key || !value_json) return ol_fail(err, OL_EINVAL, "memory storage: attribute key or value is NULL");
    char *v = ol_strdup(value_json);
    if (!v) return oom(err);
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp((*attrs)[i].key, key)) {
            free((*attrs)[i].value_json);
            (*attrs)[i].value_json = v;
            return OL_OK;
        }
    }
    char *k = ol_strdup(key);
    if (!k || grow((void **)attrs, cap, *n + 1, sizeof **attrs)) {
        free(k);
        free(v);
        return oom(err);
    }
    (*attrs)[*n].key = k;
    (*attrs)[*n].value_json = v;
    (*n)++;
    return OL_OK;
}

static ol_status attrs_copy(const ol_attr_rec *src, size_t n, ol_attr_rec **out) {
    *out = NULL;
    if (n == 0) return OL_OK;
    ol_attr_rec *a = calloc(n, sizeof *a);
    if (!a) return OL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        a[i].key = ol_strdup(src[i].key);
        a[i].value_json = ol_strdup(src[i].value_json);
        if (!a[i].key || !a[i].value_json) {
            ol_attrs_free(a, n);
            return OL_ENOMEM;
        }
    }
    *out = a;
    return OL_OK;
}

static void mem_close(ol_storage *st) {
    mem_storage *m = (mem_storage *)st;
    for (size_t i = 0; i < m->n_trials; i++) {
        mem_trial *t = m->trials[i];
        /* ol_trials_free frees one record's arrays and the record array itself */
        ol_trial_rec *copy = malloc(sizeof *copy);
        if (copy) {
            *copy = t->rec;
            ol_trials_free(copy, 1);
        }
        free(t);
    }
    free(m->trials);
    for (size_t i = 0; i < m->n_studies; i++) {
        free(m->studies[i].name);
        ol_attrs_free(m->studies[i].attrs, m->studies[i].n_attrs);
        free(m->studies[i].trial_ids);
    }
    free(m->studies);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static ol_status mem_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id,
                                  ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    ol_status rc = OL_OK;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_studies; i++) {
        if (!strcmp(m->studies[i].name, name)) {
            rc = ol_fail(err, OL_EINVAL, "memory storage: a study named '%s' already exists", name);
            goto out;
        }
    }
    char *nm = ol_strdup(name);
    if (!nm || grow((void **)&m->studies, &m->studies_cap, m->n_studies + 1, sizeof *m->studies)) {
        free(nm);
        rc = oom(err);
        goto out;
    }
    mem_study *s = &m->studies[m->n_studies++];
    memset(s, 0, sizeof *s);
    s->study_id = (int64_t)m->n_studies;
    s->name = nm;
    s->maximize = maximize ? 1 : 0;
    if (study_id) *study_id = s->study_id;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize,
                                ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_studies; i++) {
        if (name && !strcmp(m->studies[i].name, name)) {
            if (study_id) *study_id = m->studies[i].study_id;
            if (maximize) *maximize = m->studies[i].maximize;
            pthread_mutex_unlock(&m->lock);
            return OL_OK;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return ol_fail(err, OL_ENOTFOUND, "memory storage: no study named '%s'", name ? name : "(null)");
}

static ol_status mem_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    *studies = NULL;
    *n = 0;
    pthread_mutex_lock(&m->lock);
    ol_status rc = OL_OK;
    if (m->n_studies) {
        ol_study_rec *out = calloc(m->n_studies, sizeof *out);
        if (!out) {
            rc = oom(err);
            goto done;
        }
        for (size_t i = 0; i < m->n_studies; i++) {
            const mem_study *s = &m->studies[i];
            out[i].study_id = s->study_id;
            out[i].name = ol_strdup(s->name);
            out[i].maximize = s->maximize;
            out[i].n_trials = (int)s->n_trials;
            for (size_t k = 0; k < s->n_trials; k++)
                if (m->trials[s->trial_ids[k] - 1]->rec.state == OL_TRIAL_COMPLETE) out[i].n_complete++;
            if (!out[i].name) {
                ol_studies_free(out, m->n_studies);
                rc = oom(err);
                goto done;
            }
        }
        *studies = out;
        *n = m->n_studies;
    }
done:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                                    ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    ol_status rc = s ? attr_put(&s->attrs, &s->n_attrs, &s->attrs_cap, key, value_json, err) : no_study(err, study_id);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                     ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    *attrs = NULL;
    *n = 0;
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    ol_status rc;
    if (!s) rc = no_study(err, study_id);
    else if (attrs_copy(s->attrs, s->n_attrs, attrs)) rc = oom(err);
    else {
        *n = s->n_attrs;
        rc = OL_OK;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_create_trial(ol_storage *st, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                                  size_t n_attrs, int64_t *trial_id, int *number, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    ol_status rc = OL_OK;
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    if (!s) {
        rc = no_study(err, study_id);
        goto out;
    }
    if (max_trials > 0) {
        int counted = 0;
        for (size_t k = 0; k < s->n_trials; k++) {
            ol_trial_state ts = m->trials[s->trial_ids[k] - 1]->rec.state;
            if (ts == OL_TRIAL_COMPLETE || ts == OL_TRIAL_PRUNED || ts == OL_TRIAL_RUNNING) counted++;
        }
        if (counted >= max_trials) {
            rc = ol_fail(err, OL_ESTOPPED, "study '%s' is full: %d of %d trials are complete, pruned or running",
                         s->name, counted, max_trials);
            goto out;
        }
    }
    mem_trial *t = calloc(1, sizeof *t);
    /* the attributes first, so running out of memory leaves no trial behind */
    for (size_t i = 0; t && i < n_attrs; i++)
        if (attr_put(&t->rec.system_attrs, &t->rec.n_system_attrs, &t->sattr_cap, attrs[i].key, attrs[i].value_json,
                     err)) {
            ol_attrs_free(t->rec.system_attrs, t->rec.n_system_attrs);
            free(t);
            t = NULL;
        }
    if (!t || grow((void **)&m->trials, &m->trials_cap, m->n_trials + 1, sizeof *m->trials) ||
        grow((void **)&s->trial_ids, &s->trials_cap, s->n_trials + 1, sizeof *s->trial_ids)) {
        if (t) ol_attrs_free(t->rec.system_attrs, t->rec.n_system_attrs);
        free(t);
        rc = oom(err);
        goto out;
    }
    m->trials[m->n_trials++] = t;
    t->study_id = study_id;
    t->rec.trial_id = (int64_t)m->n_trials;
    t->rec.number = (int)s->n_trials;
    t->rec.state = OL_TRIAL_RUNNING;
    t->rec.datetime_start = ol_unix_now();
    t->heartbeat = t->rec.datetime_start;
    s->trial_ids[s->n_trials++] = t->rec.trial_id;
    if (trial_id) *trial_id = t->rec.trial_id;
    if (number) *number = t->rec.number;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* The trial with this id, which must be RUNNING (else OL_ESTATE). Lock held. */
static ol_status running_trial(mem_storage *m, int64_t trial_id, const char *what, mem_trial **out, ol_error *err) {
    mem_trial *t = trial_by_id(m, trial_id);
    if (!t) return no_trial(err, trial_id);
    if (t->rec.state != OL_TRIAL_RUNNING)
        return ol_fail(err, OL_ESTATE, "memory storage: cannot %s trial %lld: it is %s, not RUNNING", what,
                       (long long)trial_id, ol_trial_state_name(t->rec.state));
    *out = t;
    return OL_OK;
}

static ol_status mem_set_params(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n,
                                ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    for (size_t k = 0; k < n; k++)
        if (!params[k].name || !*params[k].name || !params[k].distribution_json)
            return ol_fail(err, OL_EINVAL, "memory storage: parameter name or distribution is missing");
    pthread_mutex_lock(&m->lock);
    mem_trial *t = NULL; /* set by running_trial; = NULL for gcc -O3 -Wmaybe-uninitialized */
    ol_status rc = running_trial(m, trial_id, "set a parameter of", &t, err);
    if (rc) goto out;
    /* every allocation first, so that a failure leaves the trial as it was (all or none) */
    char **copies = calloc(2 * n, sizeof *copies);
    int failed = !copies || grow((void **)&t->rec.params, &t->params_cap, t->rec.n_params + n, sizeof *t->rec.params);
    for (size_t k = 0; !failed && k < n; k++) {
        copies[2 * k] = ol_strdup(params[k].name);
        copies[2 * k + 1] = ol_strdup(params[k].distribution_json);
        failed = !copies[2 * k] || !copies[2 * k + 1];
    }
    if (failed) {
        for (size_t k = 0; copies && k < 2 * n; k++) free(copies[k]);
        free(copies);
        rc = oom(err);
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        while (i < t->rec.n_params && strcmp(t->rec.params[i].name, params[k].name)) i++;
        if (i < t->rec.n_params) { /* set again: the new value and distribution */
            free(copies[2 * k]);
            free(t->rec.params[i].distribution_json);
            t->rec.params[i].distribution_json = copies[2 * k + 1];
            t->rec.params[i].value = params[k].value;
        } else {
            t->rec.params[t->rec.n_params++] = (ol_param_rec){
                .name = copies[2 * k], .value = params[k].value, .distribution_json = copies[2 * k + 1]};
        }
    }
    free(copies);
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_trial *t = NULL;
    ol_status rc = running_trial(m, trial_id, "report an intermediate value of", &t, err);
    if (rc) goto out;
    /* keep sorted by step: find the insertion point, replace an equal step */
    size_t n = t->rec.n_intermediate, i = n;
    while (i > 0 && t->rec.intermediate[i - 1].step > step) i--;
    if (i > 0 && t->rec.intermediate[i - 1].step == step) {
        t->rec.intermediate[i - 1].value = value;
        goto out;
    }
    if (grow((void **)&t->rec.intermediate, &t->inter_cap, n + 1, sizeof *t->rec.intermediate)) {
        rc = oom(err);
        goto out;
    }
    memmove(&t->rec.intermediate[i + 1], &t->rec.intermediate[i], (n - i) * sizeof *t->rec.intermediate);
    t->rec.intermediate[i] = (ol_intermediate_rec){.step = step, .value = value};
    t->rec.n_intermediate++;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_set_trial_attr(ol_storage *st, int64_t trial_id, int system, const char *key,
                                    const char *value_json, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_trial *t = trial_by_id(m, trial_id);
    ol_status rc;
    if (!t) rc = no_trial(err, trial_id);
    else if (system)
        rc = attr_put(&t->rec.system_attrs, &t->rec.n_system_attrs, &t->sattr_cap, key, value_json, err);
    else
        rc = attr_put(&t->rec.user_attrs, &t->rec.n_user_attrs, &t->uattr_cap, key, value_json, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                                  ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_trial *t = NULL;
    ol_status rc = running_trial(m, trial_id, "finish", &t, err);
    if (rc == OL_OK) {
        t->rec.state = state;
        t->rec.has_value = value != NULL;
        t->rec.value = value ? *value : 0.0;
        t->rec.datetime_complete = ol_unix_now();
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_trial *t = NULL;
    ol_status rc = running_trial(m, trial_id, "heartbeat", &t, err);
    if (rc == OL_OK) t->heartbeat = ol_unix_now();
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static ol_status mem_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed,
                                ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    int failed = 0;
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    ol_status rc = OL_OK;
    if (!s) rc = no_study(err, study_id);
    else {
        double now = ol_unix_now();
        for (size_t k = 0; k < s->n_trials; k++) {
            mem_trial *t = m->trials[s->trial_ids[k] - 1];
            if (t->rec.state == OL_TRIAL_RUNNING && now - t->heartbeat > grace_seconds) {
                t->rec.state = OL_TRIAL_FAIL;
                t->rec.datetime_complete = now;
                failed++;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (n_failed) *n_failed = failed;
    return rc;
}

static ol_status mem_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                    ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    ol_status rc = OL_OK;
    if (!s) rc = no_study(err, study_id);
    else if (s->n_trials && !(*out = malloc(s->n_trials * sizeof **out)))
        rc = ol_fail(err, OL_ENOMEM, "out of memory reading heartbeats");
    for (size_t k = 0; rc == OL_OK && k < s->n_trials; k++) { /* trial ids ascend within a study */
        const mem_trial *t = m->trials[s->trial_ids[k] - 1];
        if (t->rec.state == OL_TRIAL_RUNNING) (*out)[(*n)++] = (ol_heartbeat_rec){t->rec.trial_id, t->heartbeat};
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int cmp_id(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static ol_status mem_get_trials(ol_storage *st, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                                ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err) {
    mem_storage *m = (mem_storage *)st;
    int64_t *wanted = NULL;
    if (n_ids) {
        if (!(wanted = malloc(n_ids * sizeof *wanted))) return oom(err);
        memcpy(wanted, ids, n_ids * sizeof *wanted);
        qsort(wanted, n_ids, sizeof *wanted, cmp_id);
    }
    pthread_mutex_lock(&m->lock);
    mem_study *s = study_by_id(m, study_id);
    ol_status rc = OL_OK;
    if (!s) {
        rc = no_study(err, study_id);
        goto out;
    }
    *n_total = s->n_trials;
    if (s->n_trials == 0) goto out;
    ol_trial_rec *copies = calloc(s->n_trials, sizeof *copies);
    if (!copies) {
        rc = oom(err);
        goto out;
    }
    /* trial_ids is indexed by number, so the copies come out sorted by number */
    size_t k = 0;
    for (size_t i = 0; i < s->n_trials; i++) {
        int64_t id = s->trial_ids[i];
        if (id <= after && !(wanted && bsearch(&id, wanted, n_ids, sizeof *wanted, cmp_id))) continue;
        if (ol_trial_rec_copy(&copies[k++], &m->trials[id - 1]->rec)) {
            ol_trials_free(copies, k);
            rc = oom(err);
            goto out;
        }
    }
    *trials = copies;
    *n = k;
out:
    pthread_mutex_unlock(&m->lock);
    free(wanted);
    return rc;
}

static const ol_storage_ops memory_ops = {
    .name = "memory",
    .close = mem_close,
    .create_study = mem_create_study,
    .find_study = mem_find_study,
    .list_studies = mem_list_studies,
    .set_study_attr = mem_set_study_attr,
    .get_study_attrs = mem_get_study_attrs,
    .create_trial = mem_create_trial,
    .set_params = mem_set_params,
    .set_intermediate = mem_set_intermediate,
    .set_trial_attr = mem_set_trial_attr,
    .finish_trial = mem_finish_trial,
    .heartbeat = mem_heartbeat,
    .fail_stale = mem_fail_stale,
    .get_heartbeats = mem_get_heartbeats,
    .get_trials = mem_get_trials,
};

ol_status ol_storage_open_memory(ol_storage **out, const char *url, ol_error *err) {
    *out = NULL;
    mem_storage *m = calloc(1, sizeof *m);
    if (!m) return oom(err);
    if (pthread_mutex_init(&m->lock, NULL)) {
        free(m);
        return ol_fail(err, OL_ESTORAGE, "memory storage: cannot create its lock");
    }
    m->base.ops = &memory_ops;
    m->base.url = NULL; /* storage.c fills it from the URL */
    *out = &m->base;
    return OL_OK;
}
