/*
 * storage.c — the public storage API: picks a backend from the URL, checks
 * every argument once (validate.c: names, UTF-8, JSON, ranges, NaN) and only
 * then forwards the call through the backend's ops table, so the memory,
 * SQLite and PostgreSQL backends accept and refuse exactly the same things.
 * Also the record helpers (freeing, attribute lookup) every backend shares.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "validate.h"

/* The Makefile says whether the PostgreSQL backend is built (WITH_POSTGRES). */
#ifndef OL_WITH_POSTGRES
#define OL_WITH_POSTGRES 1
#endif


char *ol_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

double ol_unix_now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

const char *ol_trial_state_name(ol_trial_state s) {
    switch (s) {
    case OL_TRIAL_RUNNING: return "RUNNING";
    case OL_TRIAL_COMPLETE: return "COMPLETE";
    case OL_TRIAL_PRUNED: return "PRUNED";
    case OL_TRIAL_FAIL: return "FAIL";
    case OL_TRIAL_WAITING: return "WAITING";
    }
    return "UNKNOWN";
}

ol_status ol_storage_open(ol_storage **out, const char *url, ol_error *err) {
    return ol_storage_open_flags(out, url, 0, err);
}

ol_status ol_storage_open_flags(ol_storage **out, const char *url, int flags, ol_error *err) {
    *out = NULL;
    if (!url || !*url) return ol_fail(err, OL_EINVAL, "storage URL is empty (try sqlite:///optlab.db)");
    ol_status st;
    if (!strcmp(url, "memory:") || !strncmp(url, "memory://", 9)) {
        st = ol_storage_open_memory(out, url, err);
    } else if (!strncmp(url, "sqlite:///", 10)) {
        const char *path = url + 10; /* sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db */
        if (!*path) return ol_fail(err, OL_EINVAL, "storage URL '%s' names no file", url);
        st = ol_storage_open_sqlite(out, url, path, flags, err);
    } else if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
#if OL_WITH_POSTGRES
        st = ol_storage_open_postgres(out, url, flags, err);
#else
        /* the URL may hold a password: not repeated here */
        return ol_fail(err, OL_EINVAL,
                       "postgresql:// storage is not available: this optlab was built with "
                       "WITH_POSTGRES=0 (rebuild with `make WITH_POSTGRES=1`, which needs libpq-dev)");
#endif
    } else {
        return ol_fail(err, OL_EINVAL,
                       "storage URL '%s' has an unknown scheme (use sqlite:///FILE, postgresql://USER@HOST:PORT/DB "
                       "or memory:)",
                       url);
    }
    if (st == OL_OK && *out && !(*out)->url) (*out)->url = ol_strdup(url);
    return st;
}

void ol_storage_close(ol_storage *st) {
    if (!st) return;
    char *url = st->url;
    st->ops->close(st);
    free(url);
}

const char *ol_storage_url(const ol_storage *st) { return st ? st->url : NULL; }

ol_status ol_storage_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id,
                                  ol_error *err) {
    ol_status rc = ol_check_name("study name", name, err);
    if (rc) return rc;
    return st->ops->create_study(st, name, maximize, study_id, err);
}

ol_status ol_storage_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize,
                                ol_error *err) {
    if (!name) return ol_fail(err, OL_EINVAL, "study name is missing");
    return st->ops->find_study(st, name, study_id, maximize, err);
}

ol_status ol_storage_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err) {
    return st->ops->list_studies(st, studies, n, err);
}

ol_status ol_storage_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                                    ol_error *err) {
    ol_status rc = ol_check_name("study attribute key", key, err);
    if (!rc) rc = ol_check_json("study attribute", key, value_json, err);
    if (rc) return rc;
    return st->ops->set_study_attr(st, study_id, key, value_json, err);
}

ol_status ol_storage_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                     ol_error *err) {
    return st->ops->get_study_attrs(st, study_id, attrs, n, err);
}

ol_status ol_storage_create_trial(ol_storage *st, int64_t study_id, int max_trials, int64_t *trial_id,
                                  int *number, ol_error *err) {
    return ol_storage_create_trial_with_attrs(st, study_id, max_trials, NULL, 0, trial_id, number, err);
}

ol_status ol_storage_create_trial_with_attrs(ol_storage *st, int64_t study_id, int max_trials,
                                             const ol_attr_rec *system_attrs, size_t n_attrs, int64_t *trial_id,
                                             int *number, ol_error *err) {
    if (n_attrs && !system_attrs) return ol_fail(err, OL_EINVAL, "trial system attributes are missing");
    for (size_t i = 0; i < n_attrs; i++) {
        ol_status rc = ol_check_name("trial system attribute key", system_attrs[i].key, err);
        if (!rc) rc = ol_check_json("trial system attribute", system_attrs[i].key, system_attrs[i].value_json, err);
        if (rc) return rc;
    }
    int64_t id_local;
    int number_local;
    return st->ops->create_trial(st, study_id, max_trials, system_attrs, n_attrs, trial_id ? trial_id : &id_local,
                                 number ? number : &number_local, err);
}

/* The checks of one parameter, before any backend sees it. */
static ol_status check_param(int64_t trial_id, const char *name, double value, const char *distribution_json,
                             ol_error *err) {
    ol_status rc = ol_check_name("parameter name", name, err);
    if (!rc) rc = ol_check_json("distribution of parameter", name, distribution_json, err);
    if (rc) return rc;
    if (!isfinite(value))
        return ol_fail(err, OL_EINVAL, "parameter '%s' of trial %lld has non-finite value %g", name,
                       (long long)trial_id, value);
    return OL_OK;
}

ol_status ol_storage_set_param(ol_storage *st, int64_t trial_id, const char *name, double value,
                               const char *distribution_json, ol_error *err) {
    ol_status rc = check_param(trial_id, name, value, distribution_json, err);
    if (rc) return rc;
    ol_param_rec p = {.name = (char *)name, .value = value, .distribution_json = (char *)distribution_json};
    return st->ops->set_params(st, trial_id, &p, 1, err);
}

ol_status ol_storage_set_params(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n,
                                ol_error *err) {
    if (n == 0) return OL_OK;
    if (!params) return ol_fail(err, OL_EINVAL, "trial %lld: no parameters given", (long long)trial_id);
    for (size_t i = 0; i < n; i++) {
        ol_status rc = check_param(trial_id, params[i].name, params[i].value, params[i].distribution_json, err);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(params[j].name, params[i].name))
                return ol_fail(err, OL_EINVAL, "trial %lld: parameter '%s' is given twice in one call",
                               (long long)trial_id, params[i].name);
    }
    return st->ops->set_params(st, trial_id, params, n, err);
}

ol_status ol_storage_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value,
                                      ol_error *err) {
    /* Optuna's step column is a 32-bit INTEGER on PostgreSQL */
    if (step < 0 || step > INT32_MAX)
        return ol_fail(err, OL_EINVAL, "trial %lld: step %lld is out of range 0..%d", (long long)trial_id,
                       (long long)step, INT32_MAX);
    return st->ops->set_intermediate(st, trial_id, step, value, err);
}

ol_status ol_storage_set_trial_attr(ol_storage *st, int64_t trial_id, const char *key, const char *value_json,
                                    ol_error *err) {
    ol_status rc = ol_check_name("trial user attribute key", key, err);
    if (!rc) rc = ol_check_json("trial user attribute", key, value_json, err);
    if (rc) return rc;
    return st->ops->set_trial_attr(st, trial_id, 0, key, value_json, err);
}

ol_status ol_storage_set_trial_system_attr(ol_storage *st, int64_t trial_id, const char *key,
                                           const char *value_json, ol_error *err) {
    ol_status rc = ol_check_name("trial system attribute key", key, err);
    if (!rc) rc = ol_check_json("trial system attribute", key, value_json, err);
    if (rc) return rc;
    return st->ops->set_trial_attr(st, trial_id, 1, key, value_json, err);
}

ol_status ol_storage_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                                  ol_error *err) {
    if (state == OL_TRIAL_RUNNING || state == OL_TRIAL_WAITING)
        return ol_fail(err, OL_EINVAL, "trial %lld: cannot finish in state %s", (long long)trial_id,
                       ol_trial_state_name(state));
    if (state == OL_TRIAL_COMPLETE && !value)
        return ol_fail(err, OL_EINVAL, "trial %lld: a COMPLETE trial needs a value", (long long)trial_id);
    if (value && isnan(*value))
        return ol_fail(err, OL_EINVAL, "trial %lld: the value is NaN, which Optuna's schema cannot store "
                                       "(finish the trial as FAIL without a value)",
                       (long long)trial_id);
    if ((unsigned)state > OL_TRIAL_WAITING)
        return ol_fail(err, OL_EINVAL, "trial %lld: unknown state %d", (long long)trial_id, (int)state);
    return st->ops->finish_trial(st, trial_id, state, value, err);
}

ol_status ol_storage_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err) {
    return st->ops->heartbeat(st, trial_id, err);
}

ol_status ol_storage_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed,
                                ol_error *err) {
    if (n_failed) *n_failed = 0;
    if (!(grace_seconds >= 0))
        return ol_fail(err, OL_EINVAL, "heartbeat grace period %g s is not a non-negative number", grace_seconds);
    int n_local = 0;
    return st->ops->fail_stale(st, study_id, grace_seconds, n_failed ? n_failed : &n_local, err);
}

ol_status ol_storage_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                    ol_error *err) {
    *out = NULL;
    *n = 0;
    return st->ops->get_heartbeats(st, study_id, out, n, err);
}

ol_status ol_storage_get_trials(ol_storage *st, int64_t study_id, ol_trial_rec **trials, size_t *n,
                                ol_error *err) {
    size_t total;
    return ol_storage_get_trials_since(st, study_id, 0, NULL, 0, trials, n, &total, err);
}

ol_status ol_storage_get_trials_since(ol_storage *st, int64_t study_id, int64_t after_trial_id, const int64_t *ids,
                                      size_t n_ids, ol_trial_rec **trials, size_t *n, size_t *n_total,
                                      ol_error *err) {
    *trials = NULL;
    *n = 0;
    size_t total_local = 0;
    if (!n_total) n_total = &total_local;
    *n_total = 0;
    if (n_ids && !ids) return ol_fail(err, OL_EINVAL, "trial ids to refresh are missing");
    return st->ops->get_trials(st, study_id, after_trial_id, ids, n_ids, trials, n, n_total, err);
}

void ol_attrs_free(ol_attr_rec *attrs, size_t n) {
    for (size_t i = 0; attrs && i < n; i++) {
        free(attrs[i].key);
        free(attrs[i].value_json);
    }
    free(attrs);
}

void ol_trial_rec_clear(ol_trial_rec *t) {
    if (!t) return;
    for (size_t k = 0; k < t->n_params; k++) {
        free(t->params[k].name);
        free(t->params[k].distribution_json);
    }
    free(t->params);
    free(t->intermediate);
    ol_attrs_free(t->user_attrs, t->n_user_attrs);
    ol_attrs_free(t->system_attrs, t->n_system_attrs);
    memset(t, 0, sizeof *t);
}

void ol_trials_free(ol_trial_rec *trials, size_t n) {
    for (size_t i = 0; trials && i < n; i++) ol_trial_rec_clear(&trials[i]);
    free(trials);
}

static int attrs_dup(const ol_attr_rec *src, size_t n, ol_attr_rec **out) {
    *out = NULL;
    if (n == 0) return 0;
    ol_attr_rec *a = calloc(n, sizeof *a);
    if (!a) return -1;
    *out = a;
    for (size_t i = 0; i < n; i++) {
        a[i].key = ol_strdup(src[i].key);
        a[i].value_json = ol_strdup(src[i].value_json);
        if (!a[i].key || !a[i].value_json) return -1;
    }
    return 0;
}

int ol_trial_rec_copy(ol_trial_rec *d, const ol_trial_rec *s) {
    *d = *s;
    d->params = NULL;
    d->intermediate = NULL;
    d->user_attrs = d->system_attrs = NULL;
    d->n_params = d->n_intermediate = d->n_user_attrs = d->n_system_attrs = 0;
    if (s->n_params) {
        if (!(d->params = calloc(s->n_params, sizeof *d->params))) return -1;
        d->n_params = s->n_params;
        for (size_t i = 0; i < s->n_params; i++) {
            d->params[i].name = ol_strdup(s->params[i].name);
            d->params[i].distribution_json = ol_strdup(s->params[i].distribution_json);
            d->params[i].value = s->params[i].value;
            if (!d->params[i].name || !d->params[i].distribution_json) return -1;
        }
    }
    if (s->n_intermediate) {
        if (!(d->intermediate = malloc(s->n_intermediate * sizeof *d->intermediate))) return -1;
        memcpy(d->intermediate, s->intermediate, s->n_intermediate * sizeof *d->intermediate);
        d->n_intermediate = s->n_intermediate;
    }
    d->n_user_attrs = s->n_user_attrs;
    if (attrs_dup(s->user_attrs, s->n_user_attrs, &d->user_attrs)) return -1;
    d->n_system_attrs = s->n_system_attrs;
    if (attrs_dup(s->system_attrs, s->n_system_attrs, &d->system_attrs)) return -1;
    return 0;
}

void ol_studies_free(ol_study_rec *studies, size_t n) {
    for (size_t i = 0; studies && i < n; i++) free(studies[i].name);
    free(studies);
}

const char *ol_attr_find(const ol_attr_rec *attrs, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(attrs[i].key, key)) return attrs[i].value_json;
    return NULL;
}
