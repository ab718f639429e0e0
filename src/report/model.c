/*
 * model.c — reads one experiment out of storage into the report's model
 * (report_internal.h): which studies belong to it (by the optlab:experiment
 * attribute or the name's prefix before '/'), which repetition, each trial's
 * outcome, value, test accuracy, params and per-epoch curves. All JSON the
 * storage holds (attributes, distributions) is parsed here with cJSON, so the
 * writers after it deal only in numbers and strings.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/conventions.h"
#include "report_internal.h"

static char *dupstr(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static char *dupn(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A JSON string attribute's text (malloc'd), or NULL when absent or not a string. */
static char *attr_string(const ol_attr_rec *a, size_t n, const char *key) {
    const char *json = ol_attr_find(a, n, key);
    if (!json) return NULL;
    cJSON *j = cJSON_Parse(json);
    char *s = cJSON_IsString(j) ? dupstr(j->valuestring) : NULL;
    cJSON_Delete(j);
    return s;
}

/* A JSON number attribute, or `dflt` when absent or not a number. */
static double attr_number(const ol_attr_rec *a, size_t n, const char *key, double dflt) {
    const char *json = ol_attr_find(a, n, key);
    if (!json) return dflt;
    cJSON *j = cJSON_Parse(json);
    double v = cJSON_IsNumber(j) ? j->valuedouble : dflt;
    cJSON_Delete(j);
    return v;
}

/* A count stored as a number (epochs, repetition, sizes): `dflt` unless it is a whole
   number in 0..INT_MAX. A tampered 1e300 is then missing, not an overflowing cast. */
static int attr_int(const ol_attr_rec *a, size_t n, const char *key, int dflt) {
    double v = attr_number(a, n, key, NAN);
    return isfinite(v) && v >= 0 && v <= INT_MAX && v == floor(v) ? (int)v : dflt;
}

/* Where a study belongs: experiment name (without "#rR") and repetition. */
typedef struct {
    char *experiment;
    int repeat;
    int is_experiment; /* has optlab:experiment: made by `optlab run` */
    ol_attr_rec *attrs;
    size_t n_attrs;
} study_place;

static ol_status place_study(ol_storage *st, const ol_study_rec *s, study_place *p, ol_error *err) {
    ol_status rc = ol_storage_get_study_attrs(st, s->study_id, &p->attrs, &p->n_attrs, err);
    if (rc) return ol_error_prefix(err, "study '%s'", s->name);
    /* "seed#r2/adam": experiment "seed", repetition 2 (conventions.h) */
    size_t prefix_len = 0;
    int repeat = 0;
    ol_study_name_parse(s->name, &prefix_len, &repeat);
    p->experiment = attr_string(p->attrs, p->n_attrs, OL_ATTR_EXPERIMENT);
    p->is_experiment = p->experiment != NULL;
    if (!p->experiment) p->experiment = dupn(s->name, prefix_len);
    if (!p->experiment) return ol_fail(err, OL_ENOMEM, "out of memory reading study '%s'", s->name);
    p->repeat = attr_int(p->attrs, p->n_attrs, OL_ATTR_REPEAT, repeat);
    return OL_OK;
}

static void param_free(rp_param *p) {
    free(p->name);
    for (size_t i = 0; i < p->n_choices; i++) free(p->choices[i]);
    free(p->choices);
}

/* Optuna's distribution JSON -> rp_param (name set by the caller). */
static ol_status parse_distribution(rp_param *p, const char *json, const char *study, ol_error *err) {
    cJSON *j = cJSON_Parse(json ? json : "");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(j, "attributes");
    if (!cJSON_IsString(name) || !cJSON_IsObject(attrs)) {
        cJSON_Delete(j);
        return ol_fail(err, OL_EFORMAT, "study '%s', param '%s': distribution is not Optuna's JSON: %.200s", study,
                       p->name, json ? json : "(null)");
    }
    const char *kind = name->valuestring;
    if (strstr(kind, "Categorical")) {
        p->categorical = 1;
        const cJSON *choices = cJSON_GetObjectItemCaseSensitive(attrs, "choices");
        int n = cJSON_GetArraySize(choices);
        p->choices = calloc(n > 0 ? (size_t)n : 1, sizeof *p->choices);
        if (!p->choices) {
            cJSON_Delete(j);
            return ol_fail(err, OL_ENOMEM, "out of memory");
        }
        for (int i = 0; i < n; i++) {
            const cJSON *c = cJSON_GetArrayItem(choices, i);
            p->choices[i] = cJSON_IsString(c) ? dupstr(c->valuestring) : cJSON_PrintUnformatted(c);
            p->n_choices++;
        }
        p->low = 0;
        p->high = n > 0 ? n - 1 : 0;
    } else {
        const cJSON *low = cJSON_GetObjectItemCaseSensitive(attrs, "low");
        const cJSON *high = cJSON_GetObjectItemCaseSensitive(attrs, "high");
        const cJSON *log = cJSON_GetObjectItemCaseSensitive(attrs, "log");
        if (!cJSON_IsNumber(low) || !cJSON_IsNumber(high)) {
            /* kind lives in j: the message is formatted before j goes */
            ol_status st = ol_fail(err, OL_EFORMAT, "study '%s', param '%s': distribution %.100s has no numeric low/high",
                                   study, p->name, kind);
            cJSON_Delete(j);
            return st;
        }
        p->low = low->valuedouble;
        p->high = high->valuedouble;
        /* FloatDistribution/IntDistribution carry "log"; the older LogUniform kinds say it in the name */
        p->log_scale = cJSON_IsTrue(log) || strstr(kind, "LogUniform") != NULL;
        p->is_int = strstr(kind, "Int") != NULL;
    }
    cJSON_Delete(j);
    return OL_OK;
}

static rp_outcome outcome_of(const ol_trial_rec *t, const char *status) {
    int diverged = status && !strcmp(status, OL_TRIAL_STATUS_DIVERGED);
    switch (t->state) {
    case OL_TRIAL_COMPLETE:
        if (diverged) return RP_DIVERGED;
        if (status && !strcmp(status, OL_TRIAL_STATUS_NEVER_LEARNED)) return RP_NEVER_LEARNED;
        return RP_OK;
    case OL_TRIAL_FAIL: return diverged ? RP_DIVERGED : RP_FAILED;
    case OL_TRIAL_PRUNED: return RP_PRUNED;
    default: return RP_UNFINISHED;
    }
}

int rp_trial_usable(const rp_trial *t) { return t->has_value; }

int rp_better(const rp_study *s, double a, double b) { return s->maximize ? a > b : a < b; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile by linear interpolation between order statistics (sorted v). */
static double quantile(const double *v, size_t n, double q) {
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n) return v[n - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* The study's trials from their storage records tr[0..n) (not freed here): params, outcomes, the best
   trial, re-evaluation trials apart, and the robust zoom. */
static ol_status fill_trials(const ol_trial_rec *tr, size_t n, rp_study *s, ol_error *err) {
    ol_status rc = OL_OK;
    /* the study's params, in order of first appearance */
    for (size_t i = 0; i < n && rc == OL_OK; i++)
        for (size_t k = 0; k < tr[i].n_params && rc == OL_OK; k++) {
            size_t j = 0;
            while (j < s->n_params && strcmp(s->params[j].name, tr[i].params[k].name)) j++;
            if (j < s->n_params) continue;
            rp_param *grown = realloc(s->params, (s->n_params + 1) * sizeof *grown);
            if (!grown) {
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
            s->params = grown;
            rp_param *p = &s->params[s->n_params];
            memset(p, 0, sizeof *p);
            p->name = dupstr(tr[i].params[k].name);
            s->n_params++;
            if (!p->name) rc = ol_fail(err, OL_ENOMEM, "out of memory");
            else rc = parse_distribution(p, tr[i].params[k].distribution_json, s->study_name, err);
        }
    if (rc == OL_OK) {
        s->trials = calloc(n ? n : 1, sizeof *s->trials);
        s->reevals = calloc(n ? n : 1, sizeof *s->reevals);
        if (!s->trials || !s->reevals) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    }
    s->best = -1;
    for (size_t ri = 0; ri < n && rc == OL_OK; ri++) {
        const ol_trial_rec *r = &tr[ri];
        const char *reeval = ol_attr_find(r->system_attrs, r->n_system_attrs, OL_ATTR_REEVAL);
        if (reeval) { /* the re-evaluation stage: its own list, never the search's best */
            rp_reeval *q = &s->reevals[s->n_reevals++];
            q->source = atoi(reeval);
            q->seed_index = (int)attr_number(r->system_attrs, r->n_system_attrs, OL_ATTR_REEVAL_SEED, -1);
            q->has_value = r->state == OL_TRIAL_COMPLETE && r->has_value && isfinite(r->value);
            q->value = q->has_value ? r->value : NAN;
            q->test_accuracy = attr_number(r->user_attrs, r->n_user_attrs, OL_ATTR_TEST_ACCURACY, NAN);
            q->has_test = q->has_value && isfinite(q->test_accuracy);
            q->seconds = attr_number(r->user_attrs, r->n_user_attrs, OL_ATTR_SECONDS, -1);
            char *rstatus = attr_string(r->user_attrs, r->n_user_attrs, OL_ATTR_STATUS);
            q->never_learned = q->has_value && rstatus && !strcmp(rstatus, OL_TRIAL_STATUS_NEVER_LEARNED);
            free(rstatus);
            continue;
        }
        size_t i = s->n_trials;
        rp_trial *t = &s->trials[i];
        s->n_trials++;
        t->number = r->number;
        char *status = attr_string(r->user_attrs, r->n_user_attrs, OL_ATTR_STATUS);
        t->outcome = outcome_of(r, status);
        free(status);
        t->has_value = r->state == OL_TRIAL_COMPLETE && r->has_value && isfinite(r->value);
        t->value = t->has_value ? r->value : NAN;
        double test = attr_number(r->user_attrs, r->n_user_attrs, OL_ATTR_TEST_ACCURACY, NAN);
        t->has_test = isfinite(test);
        t->test_accuracy = test;
        t->best_epoch = attr_int(r->user_attrs, r->n_user_attrs, OL_ATTR_BEST_EPOCH, -1);
        t->epochs = attr_int(r->user_attrs, r->n_user_attrs, OL_ATTR_EPOCHS, -1);
        t->seconds = attr_number(r->user_attrs, r->n_user_attrs, OL_ATTR_SECONDS, -1);
        t->params = malloc((s->n_params ? s->n_params : 1) * sizeof *t->params);
        if (!t->params) {
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < s->n_params; j++) {
            t->params[j] = NAN;
            for (size_t k = 0; k < r->n_params; k++)
                if (!strcmp(r->params[k].name, s->params[j].name)) t->params[j] = r->params[k].value;
        }
        /* valid-epoch accuracy, dense by step (missing steps NAN) */
        int64_t max_step = -1;
        for (size_t k = 0; k < r->n_intermediate; k++)
            if (r->intermediate[k].step > max_step && r->intermediate[k].step < 1000000)
                max_step = r->intermediate[k].step;
        if (max_step >= 0) {
            t->valid_epoch = malloc((size_t)(max_step + 1) * sizeof *t->valid_epoch);
            if (!t->valid_epoch) {
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
            t->n_valid_epoch = (size_t)(max_step + 1);
            for (size_t k = 0; k < t->n_valid_epoch; k++) t->valid_epoch[k] = NAN;
            for (size_t k = 0; k < r->n_intermediate; k++)
                if (r->intermediate[k].step >= 0 && r->intermediate[k].step <= max_step)
                    t->valid_epoch[r->intermediate[k].step] = r->intermediate[k].value;
        }
        const char *loss_json = ol_attr_find(r->user_attrs, r->n_user_attrs, OL_ATTR_TRAIN_LOSS);
        if (loss_json) {
            cJSON *j = cJSON_Parse(loss_json);
            int m = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 0;
            if (m > 0) {
                t->train_loss = malloc((size_t)m * sizeof *t->train_loss);
                if (!t->train_loss) {
                    cJSON_Delete(j);
                    rc = ol_fail(err, OL_ENOMEM, "out of memory");
                    break;
                }
                for (int k = 0; k < m; k++) {
                    const cJSON *v = cJSON_GetArrayItem(j, k);
                    t->train_loss[k] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
                }
                t->n_train_loss = (size_t)m;
            }
            cJSON_Delete(j);
        }
        const char *diag_json = ol_attr_find(r->system_attrs, r->n_system_attrs, OL_SYSATTR_DIAGNOSTICS);
        if (!diag_json) diag_json = ol_attr_find(r->user_attrs, r->n_user_attrs, OL_ATTR_DIAGNOSTICS_LEGACY);
        if (diag_json && !(t->diagnostics = dupstr(diag_json))) {
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
            break;
        }
        s->counts[t->outcome]++;
        /* the best trial as Optuna picks it: best value in the study's direction, first one on ties */
        if (t->has_value && (s->best < 0 || rp_better(s, t->value, s->trials[s->best].value))) s->best = (int)i;
    }
    if (rc) return rc;
    /* Tukey's lower fence over the completed trials' values */
    size_t m = 0;
    double *v = malloc((s->n_trials ? s->n_trials : 1) * sizeof *v);
    if (!v) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_trials; i++)
        if (s->trials[i].has_value) v[m++] = s->trials[i].value;
    s->fence = -INFINITY;
    s->n_outliers = 0;
    if (m > 0) {
        qsort(v, m, sizeof *v, cmp_double);
        double q1 = quantile(v, m, 0.25), q3 = quantile(v, m, 0.75);
        s->fence = q1 - 1.5 * (q3 - q1);
        for (size_t i = 0; i < m; i++) s->n_outliers += v[i] < s->fence;
    }
    free(v);
    return OL_OK;
}

static ol_status load_trials(ol_storage *st, int64_t study_id, rp_study *s, ol_error *err) {
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_trials(st, study_id, &tr, &n, err);
    if (rc) return ol_error_prefix(err, "study '%s'", s->study_name);
    rc = fill_trials(tr, n, s, err);
    ol_trials_free(tr, n);
    return rc;
}

static void study_free(rp_study *s) {
    free(s->study_name);
    free(s->label);
    free(s->loss);
    free(s->schedule);
    free(s->slug);
    for (size_t i = 0; i < s->n_params; i++) param_free(&s->params[i]);
    free(s->params);
    for (size_t i = 0; i < s->n_trials; i++) {
        free(s->trials[i].params);
        free(s->trials[i].valid_epoch);
        free(s->trials[i].train_loss);
        free(s->trials[i].diagnostics);
    }
    free(s->trials);
    free(s->reevals);
}

void rp_free(rp_experiment *ex) {
    if (!ex) return;
    for (size_t i = 0; i < ex->n_studies; i++) study_free(&ex->studies[i]);
    free(ex->studies);
    if (ex->rep_cells)
        for (size_t k = 0; k < (size_t)ex->n_reps * ex->n_studies; k++) free(ex->rep_cells[k].best_so_far);
    free(ex->rep_cells);
    free(ex->experiment);
    free(ex->dataset);
    free(ex->loss);
    free(ex->sampler);
    if (ex->baseline) {
        rp_free(ex->baseline);
        free(ex->baseline);
    }
    memset(ex, 0, sizeof *ex);
}

void rp_slug(char *out, size_t n, const char *s) {
    size_t k = 0;
    int dash = 0;
    for (; *s && k + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c)) {
            if (dash && k > 0 && k + 2 < n) out[k++] = '-';
            out[k++] = (char)tolower(c);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    if (k == 0 && n > 1) out[k++] = 'x';
    out[k] = '\0';
}

static ol_status fill_study(ol_storage *st, const ol_study_rec *rec, const study_place *pl, rp_experiment *ex,
                            rp_study *s, ol_error *err) {
    s->study_name = dupstr(rec->name);
    s->repeat = pl->repeat;
    s->maximize = rec->maximize;
    s->label = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_LABEL);
    s->loss = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_LOSS);
    s->schedule = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_SCHEDULE);
    if (s->loss && ol_loss_name_is_reference(s->loss) && strcmp(s->loss, OL_LOSS_NAME_REFERENCE)) {
        free(s->loss); /* the reference loss under its old name "seed": one name in the report */
        s->loss = dupstr(OL_LOSS_NAME_REFERENCE);
    }
    if (!s->label) s->label = dupstr(ol_study_name_parse(rec->name, NULL, NULL));
    if (!s->study_name || !s->label) return ol_fail(err, OL_ENOMEM, "out of memory");
    s->n_budget = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_N_TRIALS, 0);
    /* a file-name-safe label, made unique by a number if two labels slug alike */
    char slug[96], unique[112];
    rp_slug(slug, sizeof slug, s->label);
    snprintf(unique, sizeof unique, "%s", slug);
    for (int k = 2;; k++) {
        int clash = 0;
        for (size_t i = 0; i < ex->n_studies; i++)
            if (ex->studies[i].slug && !strcmp(ex->studies[i].slug, unique)) clash = 1;
        if (!clash) break;
        snprintf(unique, sizeof unique, "%s-%d", slug, k);
    }
    s->slug = dupstr(unique);
    if (!s->slug) return ol_fail(err, OL_ENOMEM, "out of memory");
    if (!ex->dataset) ex->dataset = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_DATASET);
    if (!ex->sampler) {
        ex->sampler = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_SAMPLER);
        char *kw = attr_string(pl->attrs, pl->n_attrs, OL_ATTR_SAMPLER_KWARGS); /* "cmaes {\"popsize\": 8}" */
        if (ex->sampler && kw) {
            size_t len = strlen(ex->sampler) + strlen(kw) + 2;
            char *both = malloc(len);
            if (both) {
                snprintf(both, len, "%s %s", ex->sampler, kw);
                free(ex->sampler);
                ex->sampler = both;
            }
        }
        free(kw);
    }
    if (!ex->loss && s->loss) ex->loss = dupstr(s->loss); /* already under the reference loss's new name */
    if (ex->seed < 0) ex->seed = (long long)attr_number(pl->attrs, pl->n_attrs, OL_ATTR_SEED, -1);
    if (!ex->n_test) ex->n_test = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_N_TEST, 0);
    if (!ex->n_valid_trial) ex->n_valid_trial = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_N_VALID_TRIAL, 0);
    return load_trials(st, rec->study_id, s, err);
}

/* The part of a study name after '/' ("seed#r2/adam" -> "adam"): how repetitions of one optimizer match. */
static const char *study_key(const char *name) { return ol_study_name_parse(name, NULL, NULL); }

/* A repetition's re-evaluated result (luck.c's definition) into its cell, from the study's trial records
   tr[0..n): read as the report reads repetition 0's, so every repetition's result is chosen alike. */
static ol_status summarise_reeval(const ol_study_rec *rec, const ol_trial_rec *tr, size_t n, rp_rep_cell *c,
                                  ol_error *err) {
    rp_study s;
    memset(&s, 0, sizeof s);
    s.maximize = rec->maximize;
    s.study_name = dupstr(rec->name);
    if (!s.study_name) return ol_fail(err, OL_ENOMEM, "out of memory");
    ol_status rc = fill_trials(tr, n, &s, err);
    rp_luck_result r;
    if (!rc && rp_luck_result_of(&s, &r) && r.n_test > 0 && isfinite(r.mean_test)) {
        c->has_reeval = 1;
        c->reeval_number = r.number;
        c->reeval_valid = r.mean_valid;
        c->reeval_test = r.mean_test;
        c->reeval_curse = r.curse;
    }
    study_free(&s);
    return rc;
}

/* Is the study finished (rp_rep_cell's search_finished, reeval_finished)? Its search when it holds its budget
   of COMPLETE + PRUNED trials (optlab:n_trials; a study that does not say is taken as finished); its
   re-evaluation stage when every configuration to re-evaluate (optlab:reevaluate_configs, at most the
   search's COMPLETE trials) has its R COMPLETE seeds (optlab:reevaluate_seeds). A storage written before
   the study named its configurations: when each configuration already started has its R seeds. */
static void finished_of(const study_place *pl, const ol_trial_rec *tr, size_t n, rp_rep_cell *c) {
    c->budget = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_N_TRIALS, 0);
    int seeds = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_REEVAL_SEEDS, 0);
    int configs = attr_int(pl->attrs, pl->n_attrs, OL_ATTR_REEVAL_CONFIGS, -1);
    int complete = 0, started = 0, short_of_seeds = 0;
    c->search_done = c->reeval_done = 0;
    for (size_t i = 0; i < n; i++) {
        const char *src = ol_attr_find(tr[i].system_attrs, tr[i].n_system_attrs, OL_ATTR_REEVAL);
        if (!src) {
            c->search_done += tr[i].state == OL_TRIAL_COMPLETE || tr[i].state == OL_TRIAL_PRUNED;
            complete += tr[i].state == OL_TRIAL_COMPLETE;
            continue;
        }
        c->reeval_done += tr[i].state == OL_TRIAL_COMPLETE;
        /* first re-evaluation trial of its configuration: count the configuration and its COMPLETE seeds */
        size_t j = 0;
        while (j < i && !(ol_attr_find(tr[j].system_attrs, tr[j].n_system_attrs, OL_ATTR_REEVAL) &&
                          !strcmp(ol_attr_find(tr[j].system_attrs, tr[j].n_system_attrs, OL_ATTR_REEVAL), src)))
            j++;
        if (j < i) continue;
        started++;
        int got = 0;
        for (size_t k = i; k < n; k++) {
            const char *o = ol_attr_find(tr[k].system_attrs, tr[k].n_system_attrs, OL_ATTR_REEVAL);
            got += o && !strcmp(o, src) && tr[k].state == OL_TRIAL_COMPLETE;
        }
        short_of_seeds += got < seeds;
    }
    c->search_finished = c->budget <= 0 || c->search_done >= c->budget;
    if (seeds <= 0) { /* no stage, or a storage that does not say: its re-evaluated result waits for the search */
        c->reeval_expected = 0;
        c->reeval_finished = c->search_finished;
    } else if (configs >= 0) {
        if (configs > complete) configs = complete;
        c->reeval_expected = configs * seeds;
        c->reeval_finished = c->search_finished && started >= configs && !short_of_seeds;
    } else {
        c->reeval_expected = -1;
        c->reeval_finished = c->search_finished && started > 0 && !short_of_seeds;
    }
}

/* Summarise one stored study into a repetition cell: its best trial (as Optuna picks it) and its cost. */
static ol_status summarise_study(ol_storage *st, const ol_study_rec *rec, const study_place *pl, rp_rep_cell *c,
                                 ol_error *err) {
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_trials(st, rec->study_id, &tr, &n, err);
    if (rc) return ol_error_prefix(err, "study '%s'", rec->name);
    memset(c, 0, sizeof *c);
    c->present = 1;
    c->n_trials = (int)n;
    c->best_so_far = malloc((n ? n : 1) * sizeof *c->best_so_far);
    if (!c->best_so_far) {
        ol_trials_free(tr, n);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    const ol_trial_rec *best = NULL;
    int searched = 0; /* search trials seen, in number order */
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *r = &tr[i];
        double sec = attr_number(r->user_attrs, r->n_user_attrs, OL_ATTR_SECONDS, NAN);
        if (ol_attr_find(r->system_attrs, r->n_system_attrs, OL_ATTR_REEVAL)) {
            c->n_trials--;
            c->n_reevals++;
            if (isfinite(sec) && sec > 0) c->reeval_seconds += sec;
            continue;
        }
        c->n_pruned += r->state == OL_TRIAL_PRUNED;
        int e = attr_int(r->user_attrs, r->n_user_attrs, OL_ATTR_EPOCHS, -1);
        if (e > 0) c->epochs += e;
        if (isfinite(sec) && sec > 0) c->seconds += sec;
        if (r->state == OL_TRIAL_COMPLETE && r->has_value && isfinite(r->value) && (!best || r->value > best->value))
            best = r;
        c->best_so_far[searched++] = best ? best->value : NAN;
    }
    finished_of(pl, tr, n, c);
    if (best && c->search_finished) {
        /* trials are by number: the first search trial within RP_NEAR_BEST of the final best */
        int k = 0;
        while (k < c->n_trials && !(c->best_so_far[k] >= best->value - RP_NEAR_BEST - RP_NEAR_EPS)) k++;
        c->to_best = k + 1;
        c->has_best = 1;
        c->best_valid = best->value;
        c->test = attr_number(best->user_attrs, best->n_user_attrs, OL_ATTR_TEST_ACCURACY, NAN);
        c->has_test = isfinite(c->test);
    }
    rc = c->n_reevals > 0 && c->reeval_finished ? summarise_reeval(rec, tr, n, c, err) : OL_OK;
    ol_trials_free(tr, n);
    return rc;
}

/* Every repetition of the chosen experiment, one cell per study of ex->studies (rep 0's set of optimizers). */
static ol_status load_repetitions(ol_storage *st, const ol_study_rec *studies, const study_place *pl, size_t n,
                                  rp_experiment *ex, ol_error *err) {
    ex->n_reps = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pl[i].is_experiment || strcmp(pl[i].experiment, ex->experiment)) continue;
        int r = pl[i].repeat, k = 0;
        while (k < ex->n_reps && ex->rep_index[k] != r) k++;
        if (k < ex->n_reps || ex->n_reps >= RP_MAX_REPS) continue;
        /* insert in ascending order */
        k = ex->n_reps++;
        while (k > 0 && ex->rep_index[k - 1] > r) {
            ex->rep_index[k] = ex->rep_index[k - 1];
            k--;
        }
        ex->rep_index[k] = r;
    }
    ex->rep_cells = calloc((size_t)(ex->n_reps ? ex->n_reps : 1) * (ex->n_studies ? ex->n_studies : 1),
                           sizeof *ex->rep_cells);
    if (!ex->rep_cells) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!pl[i].is_experiment || strcmp(pl[i].experiment, ex->experiment)) continue;
        int k = 0;
        while (k < ex->n_reps && ex->rep_index[k] != pl[i].repeat) k++;
        if (k == ex->n_reps) continue; /* beyond RP_MAX_REPS */
        for (size_t j = 0; j < ex->n_studies; j++) {
            if (strcmp(study_key(studies[i].name), study_key(ex->studies[j].study_name))) continue;
            rp_rep_cell *c = &ex->rep_cells[(size_t)k * ex->n_studies + j];
            ol_status rc = summarise_study(st, &studies[i], &pl[i], c, err);
            if (rc) return rc;
        }
    }
    return OL_OK;
}

/* Whether the comma-separated list `only` names `key` (a study's part after '/'). */
static int only_names(const char *only, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = only; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == kl && !strncmp(p, key, kl)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* --only: every name must be one of the experiment's studies at repetition `rep` (the error lists them). */
static ol_status check_only(const char *only, const ol_study_rec *studies, const study_place *pl, size_t n,
                            const char *experiment, int rep, ol_error *err) {
    char names[400] = ""; /* the experiment's study names, for the messages */
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pl[i].is_experiment || strcmp(pl[i].experiment, experiment) || pl[i].repeat != rep) continue;
        int w = snprintf(names + nl, sizeof names - nl, "%s%s", nl ? ", " : "", study_key(studies[i].name));
        if (w > 0) nl = (size_t)w < sizeof names - nl ? nl + (size_t)w : sizeof names - 1;
    }
    for (const char *p = only;;) {
        const char *e = strchr(p, ',');
        int len = (int)(e ? (size_t)(e - p) : strlen(p));
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = pl[i].is_experiment && !strcmp(pl[i].experiment, experiment) && pl[i].repeat == rep &&
                    strlen(study_key(studies[i].name)) == (size_t)len && !strncmp(p, study_key(studies[i].name), (size_t)len);
        if (len == 0)
            return ol_fail(err, OL_EINVAL, "--only '%s': an empty name (give the studies comma-separated, e.g. %s)",
                           only, names);
        if (!found)
            return ol_fail(err, OL_ENOTFOUND, "--only: experiment '%s' has no study '%.*s' (its studies: %s)",
                           experiment, len, p, names);
        if (!e) return OL_OK;
        p = e + 1;
    }
}

ol_status rp_load(ol_storage *st, const ol_report_options *opt, rp_experiment *ex, ol_error *err) {
    memset(ex, 0, sizeof *ex);
    ex->seed = -1;
    ol_study_rec *studies = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_list_studies(st, &studies, &n, err);
    if (rc) return rc;
    if (n == 0) {
        ol_studies_free(studies, n);
        char url[512];
        rp_redact_url(url, sizeof url, ol_storage_url(st));
        return ol_fail(err, OL_ENOTFOUND, "storage '%s' holds no studies (run `optlab run` first)", url);
    }
    study_place *pl = calloc(n, sizeof *pl);
    if (!pl) {
        ol_studies_free(studies, n);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == OL_OK; i++) rc = place_study(st, &studies[i], &pl[i], err);
    const char *chosen = NULL;
    long generic = -1; /* index of the one study of a generic report */
    if (rc == OL_OK) {
        /* the experiments (studies with optlab:experiment), in order of first appearance; the newest
           is the default. Studies made otherwise (ask/tell, Optuna) are never taken for one. */
        size_t n_exp = 0, n_plain = 0;
        long newest = -1;
        for (size_t i = 0; i < n; i++) {
            if (!pl[i].is_experiment) {
                n_plain++;
                continue;
            }
            newest = (long)i;
            size_t j = 0;
            while (j < i && !(pl[j].is_experiment && !strcmp(pl[j].experiment, pl[i].experiment))) j++;
            if (j == i) n_exp++;
        }
        ex->n_experiments = (int)n_exp;
        const char *wanted_study = opt->study;
        if (opt->experiment && !wanted_study) {
            for (size_t i = 0; i < n && !chosen; i++)
                if (pl[i].is_experiment && !strcmp(pl[i].experiment, opt->experiment)) chosen = pl[i].experiment;
            if (!chosen) wanted_study = opt->experiment; /* not an experiment: maybe a study's name */
        } else if (!wanted_study) {
            if (newest >= 0) chosen = pl[newest].experiment;
            else if (n == 1) generic = 0; /* one study and no experiment: report that study */
        }
        if (wanted_study)
            for (size_t i = 0; i < n && generic < 0; i++)
                if (!strcmp(studies[i].name, wanted_study)) generic = (long)i;
        /* name the other experiments (for the message and the summary) */
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pl[i].is_experiment) continue;
            size_t j = 0;
            while (j < i && !(pl[j].is_experiment && !strcmp(pl[j].experiment, pl[i].experiment))) j++;
            if (j < i || (chosen && !strcmp(pl[i].experiment, chosen))) continue;
            int w = snprintf(ex->others + len, sizeof ex->others - len, "%s%s", len ? ", " : "", pl[i].experiment);
            if (w < 0 || (size_t)w >= sizeof ex->others - len) break;
            len += (size_t)w;
        }
        if (!chosen && generic < 0) {
            char plain[400] = "";
            size_t pl_len = 0;
            for (size_t i = 0; i < n; i++) {
                if (pl[i].is_experiment) continue;
                int w = snprintf(plain + pl_len, sizeof plain - pl_len, "%s%s", pl_len ? ", " : "", studies[i].name);
                if (w < 0 || (size_t)w >= sizeof plain - pl_len) break;
                pl_len += (size_t)w;
            }
            char url[512]; /* a PostgreSQL URL may hold a password: never in a message */
            rp_redact_url(url, sizeof url, ol_storage_url(st));
            if (wanted_study)
                rc = ol_fail(err, OL_ENOTFOUND, "storage '%s' has no experiment or study '%s' (experiments: %s; other studies: %s)",
                             url, wanted_study, n_exp ? ex->others : "none", n_plain ? plain : "none");
            else
                rc = ol_fail(err, OL_ENOTFOUND,
                             "storage '%s' holds no optlab experiment, only %zu studies made otherwise (%s): "
                             "choose one with --study-name NAME",
                             url, n_plain, plain);
        }
    }
    if (rc == OL_OK && generic >= 0 && opt->only)
        rc = ol_fail(err, OL_EINVAL, "--only chooses studies of an experiment; '%s' is one study, not an optlab experiment",
                     studies[generic].name);
    if (rc == OL_OK && generic >= 0) {
        ex->generic = 1;
        ex->experiment = dupstr(studies[generic].name);
        ex->repetition = 0;
        ex->n_repetitions = 1;
        ex->studies = calloc(1, sizeof *ex->studies);
        if (!ex->studies || !ex->experiment) rc = ol_fail(err, OL_ENOMEM, "out of memory");
        if (rc == OL_OK) {
            rp_study *s = &ex->studies[ex->n_studies++];
            rc = fill_study(st, &studies[generic], &pl[generic], ex, s, err);
            free(s->label); /* a generic study is labelled by its full name */
            s->label = dupstr(studies[generic].name);
            if (rc == OL_OK && !s->label) rc = ol_fail(err, OL_ENOMEM, "out of memory");
        }
        chosen = NULL;
    }
    if (rc == OL_OK && chosen) {
        ex->experiment = dupstr(chosen);
        /* repetitions stored; the report covers the lowest (0 normally) */
        int lowest = -1, n_rep = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pl[i].is_experiment || strcmp(pl[i].experiment, chosen)) continue;
            size_t j = 0;
            while (j < i && !(pl[j].is_experiment && pl[j].repeat == pl[i].repeat && !strcmp(pl[j].experiment, chosen))) j++;
            if (j == i) n_rep++;
            if (lowest < 0 || pl[i].repeat < lowest) lowest = pl[i].repeat;
        }
        ex->repetition = lowest;
        ex->n_repetitions = n_rep;
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += pl[i].is_experiment && !strcmp(pl[i].experiment, chosen) && pl[i].repeat == lowest;
        if (opt->only) rc = check_only(opt->only, studies, pl, n, chosen, lowest, err);
        ex->studies = calloc(count ? count : 1, sizeof *ex->studies);
        if (rc == OL_OK && (!ex->studies || !ex->experiment)) rc = ol_fail(err, OL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n && rc == OL_OK; i++) {
            if (!pl[i].is_experiment || strcmp(pl[i].experiment, chosen) || pl[i].repeat != lowest) continue;
            if (opt->only && !only_names(opt->only, study_key(studies[i].name))) continue;
            rp_study *s = &ex->studies[ex->n_studies++];
            rc = fill_study(st, &studies[i], &pl[i], ex, s, err);
        }
        if (rc == OL_OK) rc = load_repetitions(st, studies, pl, n, ex, err);
    }
    for (size_t i = 0; i < n; i++) {
        free(pl[i].experiment);
        ol_attrs_free(pl[i].attrs, pl[i].n_attrs);
    }
    free(pl);
    ol_studies_free(studies, n);
    if (rc == OL_OK) {
        if (opt->n_test > 0) ex->n_test = opt->n_test;
        if (opt->n_valid_trial > 0) ex->n_valid_trial = opt->n_valid_trial;
        if (ex->n_test <= 0) ex->n_test = 10000;
        if (ex->n_valid_trial <= 0) ex->n_valid_trial = 5000;
        /* nothing to report unless some trial completed */
        int total = 0, usable = 0, counts[RP_N_OUTCOMES] = {0};
        for (size_t i = 0; i < ex->n_studies; i++) {
            total += (int)ex->studies[i].n_trials;
            usable += ex->studies[i].best >= 0;
            for (int k = 0; k < RP_N_OUTCOMES; k++) counts[k] += ex->studies[i].counts[k];
        }
        const char *what = ex->generic ? "study" : "experiment";
        if (total == 0)
            rc = ol_fail(err, OL_ENOTFOUND, "%s '%s' has %zu stud%s but no trials yet: nothing to report", what,
                         ex->experiment, ex->n_studies, ex->n_studies == 1 ? "y" : "ies");
        else if (!usable)
            rc = ol_fail(err, OL_ENOTFOUND,
                         "%s '%s': none of its %d trials completed (%d failed, %d diverged, %d pruned, "
                         "%d still running): nothing to report",
                         what, ex->experiment, total, counts[RP_FAILED], counts[RP_DIVERGED], counts[RP_PRUNED],
                         counts[RP_UNFINISHED]);
    }
    if (rc) rp_free(ex);
    return rc;
}
