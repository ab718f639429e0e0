/*
 * json.c — the JSON the pages of `optlab serve` read, built from storage
 * records with cJSON. Two documents: every study's summary (the overview
 * page) and one study's trials (the study page, read incrementally: the page
 * sends the highest trial id it holds and the ids of its unfinished trials,
 * and gets back only what may have changed).
 *
 * Attribute values and distributions are stored as JSON text; they are
 * embedded parsed (or as a string if they do not parse), so the page never
 * evaluates anything from storage. Non-finite numbers become null.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "optlab/conventions.h"
#include "optlab/serve.h"
#include "serve_internal.h"

/* seconds since the epoch, as the storage dates trials */
static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* stored JSON text -> a cJSON value (a string holding the text if it does not parse) */
static cJSON *parsed_json(const char *text) {
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    return j ? j : cJSON_CreateString(text ? text : "");
}

/* the heartbeat of trial `id` in hb[0..n) (sorted by trial id), or 0 if it has none */
static double heartbeat_of(const ol_heartbeat_rec *hb, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hb[mid].trial_id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && hb[lo].trial_id == id ? hb[lo].heartbeat : 0;
}

/* A running trial's sign of life: "heartbeat" (its last heartbeat, seconds
 * since the epoch; null if it keeps none, then its start stands in) and
 * "stale" (that is older than stale_seconds: the workers' grace period, after
 * which they fail the trial). */
static void add_heartbeat(cJSON *o, const ol_trial_rec *t, double heartbeat, double now, double stale_seconds) {
    cJSON_AddItemToObject(o, "heartbeat", heartbeat > 0 ? cJSON_CreateNumber(heartbeat) : cJSON_CreateNull());
    double last = heartbeat > 0 ? heartbeat : t->datetime_start;
    cJSON_AddBoolToObject(o, "stale", last > 0 && now - last > stale_seconds);
}

static cJSON *attrs_object(const ol_attr_rec *attrs, size_t n) {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < n && o; i++) cJSON_AddItemToObject(o, attrs[i].key, parsed_json(attrs[i].value_json));
    return o;
}

static cJSON *trial_object(const ol_trial_rec *t, cJSON *distributions, const ol_heartbeat_rec *hb, size_t n_hb,
                           double now, double stale_seconds) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)t->trial_id);
    cJSON_AddNumberToObject(o, "number", t->number);
    cJSON_AddStringToObject(o, "state", ol_trial_state_name(t->state));
    cJSON_AddItemToObject(o, "value", t->has_value ? num_or_null(t->value) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "start", t->datetime_start > 0 ? cJSON_CreateNumber(t->datetime_start) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "complete",
                          t->datetime_complete > 0 ? cJSON_CreateNumber(t->datetime_complete) : cJSON_CreateNull());
    if (t->state == OL_TRIAL_RUNNING) add_heartbeat(o, t, heartbeat_of(hb, n_hb, t->trial_id), now, stale_seconds);
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    for (size_t i = 0; i < t->n_params; i++) {
        cJSON_AddItemToObject(params, t->params[i].name, num_or_null(t->params[i].value));
        if (distributions && !cJSON_GetObjectItemCaseSensitive(distributions, t->params[i].name))
            cJSON_AddItemToObject(distributions, t->params[i].name, parsed_json(t->params[i].distribution_json));
    }
    cJSON *iv = cJSON_AddArrayToObject(o, "intermediate");
    for (size_t i = 0; i < t->n_intermediate; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)t->intermediate[i].step));
        cJSON_AddItemToArray(pair, num_or_null(t->intermediate[i].value));
        cJSON_AddItemToArray(iv, pair);
    }
    cJSON_AddItemToObject(o, "user_attrs", attrs_object(t->user_attrs, t->n_user_attrs));
    cJSON_AddItemToObject(o, "system_attrs", attrs_object(t->system_attrs, t->n_system_attrs));
    return o;
}

static ol_status finish(cJSON *root, char **json, ol_error *err) {
    *json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return *json ? OL_OK : ol_fail(err, OL_ENOMEM, "serve: out of memory building JSON");
}

ol_status ol_serve_study_json(ol_storage *st, const char *study_name, int64_t after_trial_id, const int64_t *ids,
                              size_t n_ids, double stale_seconds, char **json, ol_error *err) {
    *json = NULL;
    int64_t study_id;
    int maximize;
    ol_status rc = ol_storage_find_study(st, study_name, &study_id, &maximize, err);
    if (rc != OL_OK) return rc;
    ol_trial_rec *trials = NULL;
    size_t n = 0, n_total = 0;
    if (after_trial_id < 0) {
        rc = ol_storage_get_trials(st, study_id, &trials, &n, err);
        n_total = n;
    } else {
        rc = ol_storage_get_trials_since(st, study_id, after_trial_id, ids, n_ids, &trials, &n, &n_total, err);
    }
    if (rc != OL_OK) return rc;
    ol_attr_rec *attrs = NULL;
    size_t n_attrs = 0;
    ol_heartbeat_rec *hb = NULL;
    size_t n_hb = 0;
    rc = ol_storage_get_study_attrs(st, study_id, &attrs, &n_attrs, err);
    if (rc == OL_OK) rc = ol_storage_get_heartbeats(st, study_id, &hb, &n_hb, err);
    if (rc != OL_OK) {
        ol_attrs_free(attrs, n_attrs);
        ol_trials_free(trials, n);
        return rc;
    }
    double now = wall_now();
    cJSON *root = cJSON_CreateObject();
    cJSON *study = cJSON_AddObjectToObject(root, "study");
    cJSON_AddStringToObject(study, "name", study_name);
    cJSON_AddStringToObject(study, "direction", maximize ? "maximize" : "minimize");
    cJSON_AddItemToObject(study, "attrs", attrs_object(attrs, n_attrs));
    cJSON_AddNumberToObject(root, "n_total", (double)n_total);
    cJSON_AddNumberToObject(root, "now", now);
    cJSON_AddNumberToObject(root, "stale_after", stale_seconds);
    cJSON *distributions = cJSON_AddObjectToObject(root, "distributions");
    cJSON *arr = cJSON_AddArrayToObject(root, "trials");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, trial_object(&trials[i], distributions, hb, n_hb, now, stale_seconds));
    free(hb);
    ol_attrs_free(attrs, n_attrs);
    ol_trials_free(trials, n);
    return finish(root, json, err);
}

/* What the overview needs of one study, kept between reads: the finished
 * trials (which never change) only as counts, best and durations, and the ids
 * of the unfinished ones, read again each time. So a poll of the overview reads
 * only the trials that are new or were running, not the whole study. */
struct serve_study_acc {
    int64_t study_id, max_id;
    int counts[5]; /* finished trials by state */
    int have_best, best_number, n_timed;
    double best, seconds;
    size_t n_finished;
    int64_t *open_ids; /* unfinished at the last read */
    size_t n_open;
};

static void acc_reset(serve_study_acc *a, int64_t study_id) {
    free(a->open_ids);
    memset(a, 0, sizeof *a);
    a->study_id = study_id;
    a->max_id = -1;
    a->best_number = -1;
}

static void acc_add_finished(serve_study_acc *a, const ol_trial_rec *t, int maximize) {
    if ((int)t->state >= 0 && (int)t->state < 5) a->counts[t->state]++;
    a->n_finished++;
    /* a re-evaluation trial (optlab:reeval) is never the study's best, as in the report */
    int reeval = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL) != NULL;
    if (t->state == OL_TRIAL_COMPLETE && t->has_value && isfinite(t->value) && !reeval &&
        (!a->have_best || (maximize ? t->value > a->best : t->value < a->best) ||
         (t->value == a->best && t->number < a->best_number))) {
        a->best = t->value;
        a->best_number = t->number;
        a->have_best = 1;
    }
    if ((t->state == OL_TRIAL_COMPLETE || t->state == OL_TRIAL_PRUNED) && t->datetime_start > 0 &&
        t->datetime_complete >= t->datetime_start) {
        a->seconds += t->datetime_complete - t->datetime_start;
        a->n_timed++;
    }
}

static int finished(ol_trial_state s) { return s != OL_TRIAL_RUNNING && s != OL_TRIAL_WAITING; }

/* bring `a` up to date: read what changed (everything the first time, or when
 * the counts disagree with the storage's: a trial committed out of id order) */
static ol_status acc_update(ol_storage *st, const ol_study_rec *s, serve_study_acc *a, ol_trial_rec **open,
                            size_t *n_open, ol_error *err) {
    for (int attempt = 0;; attempt++) {
        ol_trial_rec *trials = NULL;
        size_t n = 0, n_total = 0;
        ol_status rc = ol_storage_get_trials_since(st, s->study_id, a->max_id, a->open_ids, a->n_open, &trials, &n,
                                                   &n_total, err);
        if (rc != OL_OK) return rc;
        size_t k = 0;
        int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
        if (!ids) {
            ol_trials_free(trials, n);
            return ol_fail(err, OL_ENOMEM, "serve: out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            if (trials[i].trial_id > a->max_id) a->max_id = trials[i].trial_id;
            if (finished(trials[i].state)) acc_add_finished(a, &trials[i], s->maximize);
            else {
                ids[k] = trials[i].trial_id;
                if (k != i) {
                    ol_trial_rec tmp = trials[k];
                    trials[k] = trials[i];
                    trials[i] = tmp;
                }
                k++;
            }
        }
        free(a->open_ids);
        a->open_ids = ids;
        a->n_open = k;
        if (a->n_finished + k == n_total || attempt > 0) {
            *open = trials; /* the unfinished ones first, k of them; the rest are freed with them */
            *n_open = k;
            /* free the finished records now: only the open ones are used */
            for (size_t i = k; i < n; i++) ol_trial_rec_clear(&trials[i]);
            return OL_OK;
        }
        ol_trials_free(trials, n);
        acc_reset(a, s->study_id);
    }
}

static ol_status study_summary(ol_storage *st, const ol_study_rec *s, serve_study_acc *a, double now,
                               double stale_seconds, cJSON *out, ol_error *err) {
    ol_trial_rec *open = NULL;
    size_t n_open = 0;
    ol_status rc = acc_update(st, s, a, &open, &n_open, err);
    if (rc != OL_OK) {
        acc_reset(a, s->study_id);
        return rc;
    }
    ol_attr_rec *attrs = NULL;
    size_t n_attrs = 0;
    ol_heartbeat_rec *hb = NULL;
    size_t n_hb = 0;
    rc = ol_storage_get_study_attrs(st, s->study_id, &attrs, &n_attrs, err);
    if (rc == OL_OK && n_open) rc = ol_storage_get_heartbeats(st, s->study_id, &hb, &n_hb, err);
    if (rc != OL_OK) {
        ol_attrs_free(attrs, n_attrs);
        for (size_t i = 0; i < n_open; i++) ol_trial_rec_clear(&open[i]);
        free(open); /* its records past n_open were cleared by acc_update */
        return rc;
    }
    int counts[5];
    memcpy(counts, a->counts, sizeof counts);
    cJSON *running = cJSON_CreateArray();
    for (size_t i = 0; i < n_open; i++) {
        const ol_trial_rec *t = &open[i];
        counts[t->state]++;
        if (t->state != OL_TRIAL_RUNNING) continue;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "number", t->number);
        cJSON_AddItemToObject(r, "age", t->datetime_start > 0 ? cJSON_CreateNumber(now - t->datetime_start)
                                                              : cJSON_CreateNull());
        add_heartbeat(r, t, heartbeat_of(hb, n_hb, t->trial_id), now, stale_seconds);
        cJSON_AddNumberToObject(r, "epochs", (double)t->n_intermediate);
        const char *worker = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_WORKER);
        cJSON_AddItemToObject(r, "worker", worker ? parsed_json(worker) : cJSON_CreateNull());
        cJSON_AddItemToArray(running, r);
    }
    for (size_t i = 0; i < n_open; i++) ol_trial_rec_clear(&open[i]);
    free(open);
    free(hb);
    cJSON_AddStringToObject(out, "name", s->name);
    cJSON_AddStringToObject(out, "direction", s->maximize ? "maximize" : "minimize");
    cJSON_AddNumberToObject(out, "n_trials", (double)(a->n_finished + n_open));
    cJSON *states = cJSON_AddObjectToObject(out, "states");
    for (int k = 0; k < 5; k++) cJSON_AddNumberToObject(states, ol_trial_state_name((ol_trial_state)k), counts[k]);
    cJSON_AddItemToObject(out, "best", a->have_best ? cJSON_CreateNumber(a->best) : cJSON_CreateNull());
    cJSON_AddNumberToObject(out, "best_number", a->best_number);
    cJSON_AddItemToObject(out, "running", running);
    /* ETA: the budget (optlab:n_trials) left, at the mean finished trial's
     * duration, spread over the trials running now */
    const char *budget_text = ol_attr_find(attrs, n_attrs, OL_ATTR_N_TRIALS);
    double budget = budget_text ? atof(budget_text) : 0, eta = -1;
    int done = counts[OL_TRIAL_COMPLETE] + counts[OL_TRIAL_PRUNED];
    if (budget > 0) {
        cJSON_AddNumberToObject(out, "budget", budget);
        if (done >= budget) eta = 0;
        else if (a->n_timed > 0) {
            int lanes = counts[OL_TRIAL_RUNNING] > 0 ? counts[OL_TRIAL_RUNNING] : 1;
            eta = (budget - done) * (a->seconds / a->n_timed) / lanes;
        }
    }
    cJSON_AddItemToObject(out, "eta", eta >= 0 ? cJSON_CreateNumber(eta) : cJSON_CreateNull());
    const char *experiment = ol_attr_find(attrs, n_attrs, OL_ATTR_EXPERIMENT);
    cJSON_AddItemToObject(out, "experiment", experiment ? parsed_json(experiment) : cJSON_CreateNull());
    ol_attrs_free(attrs, n_attrs);
    return OL_OK;
}

struct serve_cache {
    pthread_mutex_t mu;
    serve_study_acc *accs;
    size_t n;
};

serve_cache *serve_cache_new(void) {
    serve_cache *c = calloc(1, sizeof *c);
    if (c) pthread_mutex_init(&c->mu, NULL);
    return c;
}

void serve_cache_free(serve_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->accs[i].open_ids);
    free(c->accs);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static serve_study_acc *cache_find(serve_cache *c, int64_t study_id) {
    for (size_t i = 0; i < c->n; i++)
        if (c->accs[i].study_id == study_id) return &c->accs[i];
    serve_study_acc *grown = realloc(c->accs, (c->n + 1) * sizeof *grown);
    if (!grown) return NULL;
    c->accs = grown;
    memset(&c->accs[c->n], 0, sizeof c->accs[c->n]);
    acc_reset(&c->accs[c->n], study_id);
    return &c->accs[c->n++];
}

ol_status serve_studies_json_cached(ol_storage *st, serve_cache *cache, double stale_seconds, char **json,
                                    ol_error *err) {
    *json = NULL;
    ol_study_rec *studies = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_list_studies(st, &studies, &n, err);
    if (rc != OL_OK) return rc;
    cJSON *root = cJSON_CreateObject();
    double now = wall_now();
    cJSON_AddNumberToObject(root, "now", now);
    cJSON_AddNumberToObject(root, "stale_after", stale_seconds);
    cJSON *arr = cJSON_AddArrayToObject(root, "studies");
    if (cache) pthread_mutex_lock(&cache->mu);
    for (size_t i = 0; i < n && rc == OL_OK; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, s);
        serve_study_acc local, *a = cache ? cache_find(cache, studies[i].study_id) : NULL;
        if (!cache) {
            memset(&local, 0, sizeof local);
            acc_reset(&local, studies[i].study_id);
            a = &local;
        }
        if (!a) rc = ol_fail(err, OL_ENOMEM, "serve: out of memory");
        else rc = study_summary(st, &studies[i], a, now, stale_seconds, s, err);
        if (!cache) free(local.open_ids);
    }
    if (cache) pthread_mutex_unlock(&cache->mu);
    ol_studies_free(studies, n);
    if (rc != OL_OK) {
        cJSON_Delete(root);
        return rc;
    }
    return finish(root, json, err);
}

ol_status ol_serve_studies_json(ol_storage *st, double stale_seconds, char **json, ol_error *err) {
    return serve_studies_json_cached(st, NULL, stale_seconds, json, err);
}
