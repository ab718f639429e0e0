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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "optlab/conventions.h"
#include "optlab/serve.h"

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

static cJSON *attrs_object(const ol_attr_rec *attrs, size_t n) {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < n && o; i++) cJSON_AddItemToObject(o, attrs[i].key, parsed_json(attrs[i].value_json));
    return o;
}

static cJSON *trial_object(const ol_trial_rec *t, cJSON *distributions) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)t->trial_id);
    cJSON_AddNumberToObject(o, "number", t->number);
    cJSON_AddStringToObject(o, "state", ol_trial_state_name(t->state));
    cJSON_AddItemToObject(o, "value", t->has_value ? num_or_null(t->value) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "start", t->datetime_start > 0 ? cJSON_CreateNumber(t->datetime_start) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "complete",
                          t->datetime_complete > 0 ? cJSON_CreateNumber(t->datetime_complete) : cJSON_CreateNull());
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
                              size_t n_ids, char **json, ol_error *err) {
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
    rc = ol_storage_get_study_attrs(st, study_id, &attrs, &n_attrs, err);
    if (rc != OL_OK) {
        ol_trials_free(trials, n);
        return rc;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *study = cJSON_AddObjectToObject(root, "study");
    cJSON_AddStringToObject(study, "name", study_name);
    cJSON_AddStringToObject(study, "direction", maximize ? "maximize" : "minimize");
    cJSON_AddItemToObject(study, "attrs", attrs_object(attrs, n_attrs));
    cJSON_AddNumberToObject(root, "n_total", (double)n_total);
    cJSON_AddNumberToObject(root, "now", wall_now());
    cJSON *distributions = cJSON_AddObjectToObject(root, "distributions");
    cJSON *arr = cJSON_AddArrayToObject(root, "trials");
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, trial_object(&trials[i], distributions));
    ol_attrs_free(attrs, n_attrs);
    ol_trials_free(trials, n);
    return finish(root, json, err);
}

/* one study's summary: trials by state, best value, running trials' ages, ETA */
static ol_status study_summary(ol_storage *st, const ol_study_rec *s, double now, cJSON *out, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_trials(st, s->study_id, &trials, &n, err);
    if (rc != OL_OK) return rc;
    ol_attr_rec *attrs = NULL;
    size_t n_attrs = 0;
    rc = ol_storage_get_study_attrs(st, s->study_id, &attrs, &n_attrs, err);
    if (rc != OL_OK) {
        ol_trials_free(trials, n);
        return rc;
    }
    int counts[5] = {0};
    int have_best = 0, best_number = -1, n_timed = 0;
    double best = 0, seconds = 0;
    cJSON *running = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &trials[i];
        if ((int)t->state >= 0 && (int)t->state < 5) counts[t->state]++;
        if (t->state == OL_TRIAL_COMPLETE && t->has_value && isfinite(t->value) &&
            (!have_best || (s->maximize ? t->value > best : t->value < best))) {
            best = t->value;
            best_number = t->number;
            have_best = 1;
        }
        if ((t->state == OL_TRIAL_COMPLETE || t->state == OL_TRIAL_PRUNED) && t->datetime_start > 0 &&
            t->datetime_complete >= t->datetime_start) {
            seconds += t->datetime_complete - t->datetime_start;
            n_timed++;
        }
        if (t->state == OL_TRIAL_RUNNING) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "number", t->number);
            cJSON_AddItemToObject(r, "age", t->datetime_start > 0 ? cJSON_CreateNumber(now - t->datetime_start)
                                                                  : cJSON_CreateNull());
            cJSON_AddNumberToObject(r, "epochs", (double)t->n_intermediate);
            const char *worker = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_WORKER);
            cJSON_AddItemToObject(r, "worker", worker ? parsed_json(worker) : cJSON_CreateNull());
            cJSON_AddItemToArray(running, r);
        }
    }
    cJSON_AddStringToObject(out, "name", s->name);
    cJSON_AddStringToObject(out, "direction", s->maximize ? "maximize" : "minimize");
    cJSON_AddNumberToObject(out, "n_trials", (double)n);
    cJSON *states = cJSON_AddObjectToObject(out, "states");
    for (int k = 0; k < 5; k++) cJSON_AddNumberToObject(states, ol_trial_state_name((ol_trial_state)k), counts[k]);
    cJSON_AddItemToObject(out, "best", have_best ? cJSON_CreateNumber(best) : cJSON_CreateNull());
    cJSON_AddNumberToObject(out, "best_number", best_number);
    cJSON_AddItemToObject(out, "running", running);
    /* ETA: the budget (optlab:n_trials) left, at the mean finished trial's
     * duration, spread over the trials running now */
    const char *budget_text = ol_attr_find(attrs, n_attrs, OL_ATTR_N_TRIALS);
    double budget = budget_text ? atof(budget_text) : 0, eta = -1;
    int done = counts[OL_TRIAL_COMPLETE] + counts[OL_TRIAL_PRUNED];
    if (budget > 0) {
        cJSON_AddNumberToObject(out, "budget", budget);
        if (done >= budget) eta = 0;
        else if (n_timed > 0) {
            int lanes = counts[OL_TRIAL_RUNNING] > 0 ? counts[OL_TRIAL_RUNNING] : 1;
            eta = (budget - done) * (seconds / n_timed) / lanes;
        }
    }
    cJSON_AddItemToObject(out, "eta", eta >= 0 ? cJSON_CreateNumber(eta) : cJSON_CreateNull());
    const char *experiment = ol_attr_find(attrs, n_attrs, OL_ATTR_EXPERIMENT);
    cJSON_AddItemToObject(out, "experiment", experiment ? parsed_json(experiment) : cJSON_CreateNull());
    ol_attrs_free(attrs, n_attrs);
    ol_trials_free(trials, n);
    return OL_OK;
}

ol_status ol_serve_studies_json(ol_storage *st, char **json, ol_error *err) {
    *json = NULL;
    ol_study_rec *studies = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_list_studies(st, &studies, &n, err);
    if (rc != OL_OK) return rc;
    cJSON *root = cJSON_CreateObject();
    double now = wall_now();
    cJSON_AddNumberToObject(root, "now", now);
    cJSON *arr = cJSON_AddArrayToObject(root, "studies");
    for (size_t i = 0; i < n && rc == OL_OK; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, s);
        rc = study_summary(st, &studies[i], now, s, err);
    }
    ol_studies_free(studies, n);
    if (rc != OL_OK) {
        cJSON_Delete(root);
        return rc;
    }
    return finish(root, json, err);
}
