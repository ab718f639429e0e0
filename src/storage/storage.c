/*
 * storage.c — the public storage API: picks a backend from the URL and
 * forwards each call through the backend's ops table. Also the record
 * helpers (freeing, attribute lookup) that every backend shares.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "backend.h"

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
    *out = NULL;
    if (!url || !*url) return ol_fail(err, OL_EINVAL, "storage URL is empty (try sqlite:///optlab.db)");
    ol_status st;
    if (!strcmp(url, "memory:") || !strncmp(url, "memory://", 9)) {
        st = ol_storage_open_memory(out, url, err);
    } else if (!strncmp(url, "sqlite:///", 10)) {
        const char *path = url + 10; /* sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db */
        if (!*path) return ol_fail(err, OL_EINVAL, "storage URL '%s' names no file", url);
        st = ol_storage_open_sqlite(out, url, path, err);
    } else if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
#if OL_WITH_POSTGRES
        st = ol_storage_open_postgres(out, url, err);
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
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "study name is empty");
    return st->ops->create_study(st, name, maximize, study_id, err);
}

ol_status ol_storage_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize,
                                ol_error *err) {
    return st->ops->find_study(st, name, study_id, maximize, err);
}

ol_status ol_storage_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err) {
    return st->ops->list_studies(st, studies, n, err);
}

ol_status ol_storage_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                                    ol_error *err) {
    return st->ops->set_study_attr(st, study_id, key, value_json, err);
}

ol_status ol_storage_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                     ol_error *err) {
    return st->ops->get_study_attrs(st, study_id, attrs, n, err);
}

ol_status ol_storage_create_trial(ol_storage *st, int64_t study_id, int max_trials, int64_t *trial_id,
                                  int *number, ol_error *err) {
    return st->ops->create_trial(st, study_id, max_trials, trial_id, number, err);
}

ol_status ol_storage_set_param(ol_storage *st, int64_t trial_id, const char *name, double value,
                               const char *distribution_json, ol_error *err) {
    return st->ops->set_param(st, trial_id, name, value, distribution_json, err);
}

ol_status ol_storage_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value,
                                      ol_error *err) {
    return st->ops->set_intermediate(st, trial_id, step, value, err);
}

ol_status ol_storage_set_trial_attr(ol_storage *st, int64_t trial_id, const char *key, const char *value_json,
                                    ol_error *err) {
    return st->ops->set_trial_attr(st, trial_id, 0, key, value_json, err);
}

ol_status ol_storage_set_trial_system_attr(ol_storage *st, int64_t trial_id, const char *key,
                                           const char *value_json, ol_error *err) {
    return st->ops->set_trial_attr(st, trial_id, 1, key, value_json, err);
}

ol_status ol_storage_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                                  ol_error *err) {
    if (state == OL_TRIAL_RUNNING || state == OL_TRIAL_WAITING)
        return ol_fail(err, OL_EINVAL, "trial %lld: cannot finish in state %s", (long long)trial_id,
                       ol_trial_state_name(state));
    if (state == OL_TRIAL_COMPLETE && !value)
        return ol_fail(err, OL_EINVAL, "trial %lld: a COMPLETE trial needs a value", (long long)trial_id);
    return st->ops->finish_trial(st, trial_id, state, value, err);
}

ol_status ol_storage_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err) {
    return st->ops->heartbeat(st, trial_id, err);
}

ol_status ol_storage_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed,
                                ol_error *err) {
    return st->ops->fail_stale(st, study_id, grace_seconds, n_failed, err);
}

ol_status ol_storage_get_trials(ol_storage *st, int64_t study_id, ol_trial_rec **trials, size_t *n,
                                ol_error *err) {
    return st->ops->get_trials(st, study_id, trials, n, err);
}

void ol_attrs_free(ol_attr_rec *attrs, size_t n) {
    for (size_t i = 0; attrs && i < n; i++) {
        free(attrs[i].key);
        free(attrs[i].value_json);
    }
    free(attrs);
}

void ol_trials_free(ol_trial_rec *trials, size_t n) {
    for (size_t i = 0; trials && i < n; i++) {
        ol_trial_rec *t = &trials[i];
        for (size_t k = 0; k < t->n_params; k++) {
            free(t->params[k].name);
            free(t->params[k].distribution_json);
        }
        free(t->params);
        free(t->intermediate);
        ol_attrs_free(t->user_attrs, t->n_user_attrs);
        ol_attrs_free(t->system_attrs, t->n_system_attrs);
    }
    free(trials);
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
