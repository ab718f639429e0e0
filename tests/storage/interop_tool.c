/*
 * interop_tool.c — the optlab side of tests/storage/optuna_interop.sh (built
 * by that script from the build's storage and core objects; not a Criterion
 * test). Two modes:
 *
 *   interop_tool write URL STUDY
 *       writes a study as optlab's HPO does (params with Optuna
 *       distributions, per-epoch intermediate values, user attributes, one
 *       PRUNED and one FAIL trial) and prints what it wrote as JSON lines
 *       for the Python side to compare with what optuna.load_study reads.
 *   interop_tool continue URL STUDY N
 *       opens a study Optuna created, checks that every trial reads back,
 *       then adds N COMPLETE trials drawn from the same distributions (read
 *       from the stored distribution JSON) with the same objective as the
 *       Python side: objective() below.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/storage.h"

static int die(const char *what, const ol_error *err) {
    fprintf(stderr, "interop_tool: %s: %s\n", what, err->msg);
    return 1;
}

/* Mirrors objective() in optuna_interop.sh: lr (log), x (float), n (int), kind (categorical index). */
static double objective(double lr, double x, double n, double kind) {
    return -pow(log10(lr) + 3.0, 2) - pow(x - 0.3, 2) + 0.05 * n + (kind == 1.0 ? 0.5 : 0.0);
}

static const char *DIST_LR =
    "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 1e-05, \"high\": 0.1, \"log\": true}}";
static const char *DIST_X =
    "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0, \"high\": 1.0, \"log\": false}}";
static const char *DIST_N = "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 1, \"low\": 1, "
                            "\"high\": 8}}";
static const char *DIST_KIND =
    "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"sgd\", \"adam\", \"it's \\\"q\\\"\"]}}";

/* Draw a value from an Optuna distribution JSON (internal representation). */
static int sample(const char *dist_json, ol_rng *rng, double *out) {
    cJSON *d = cJSON_Parse(dist_json);
    if (!d) return 0;
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(d, "name"));
    cJSON *a = cJSON_GetObjectItem(d, "attributes");
    int ok = 1;
    double u = ol_rng_uniform(rng);
    if (kind && !strcmp(kind, "CategoricalDistribution")) {
        int n = cJSON_GetArraySize(cJSON_GetObjectItem(a, "choices"));
        *out = n > 0 ? (double)(int)(u * n) : 0;
        ok = n > 0;
    } else if (kind && (!strcmp(kind, "FloatDistribution") || !strcmp(kind, "IntDistribution"))) {
        double lo = cJSON_GetNumberValue(cJSON_GetObjectItem(a, "low"));
        double hi = cJSON_GetNumberValue(cJSON_GetObjectItem(a, "high"));
        int is_log = cJSON_IsTrue(cJSON_GetObjectItem(a, "log"));
        if (!strcmp(kind, "IntDistribution"))
            *out = lo + floor(u * (hi - lo + 1));
        else
            *out = is_log ? exp(log(lo) + u * (log(hi) - log(lo))) : lo + u * (hi - lo);
    } else {
        ok = 0;
    }
    cJSON_Delete(d);
    return ok;
}

static int write_study(const char *url, const char *name) {
    ol_storage *st;
    ol_error err = {0};
    int64_t study;
    if (ol_storage_open(&st, url, &err) != OL_OK) return die("open", &err);
    if (ol_storage_create_study(st, name, 1, &study, &err) != OL_OK) return die("create study", &err);
    if (ol_storage_set_study_attr(st, study, "optlab:optimizer", "\"adamw\"", &err) != OL_OK)
        return die("study attr", &err);
    ol_rng rng;
    ol_rng_derive(&rng, 20250228, "interop");
    const char *dists[4] = {DIST_LR, DIST_X, DIST_N, DIST_KIND};
    const char *names[4] = {"lr", "x", "n", "kind"};
    for (int t = 0; t < 12; t++) {
        int64_t tid;
        int number;
        if (ol_storage_create_trial(st, study, 0, &tid, &number, &err) != OL_OK) return die("create trial", &err);
        double v[4];
        for (int p = 0; p < 4; p++) {
            if (!sample(dists[p], &rng, &v[p])) return fprintf(stderr, "bad distribution\n"), 1;
            if (ol_storage_set_param(st, tid, names[p], v[p], dists[p], &err) != OL_OK) return die("param", &err);
        }
        double value = objective(v[0], v[1], v[2], v[3]);
        int epochs = 3 + t % 4;
        for (int e = 0; e < epochs; e++)
            if (ol_storage_set_intermediate(st, tid, e, value - 0.1 * (epochs - 1 - e), &err) != OL_OK)
                return die("intermediate", &err);
        char json[64];
        const char *status = t == 5 ? "\"diverged\"" : t == 7 ? "\"pruned\"" : "\"ok\"";
        if (ol_storage_set_trial_attr(st, tid, "status", status, &err) != OL_OK) return die("attr", &err);
        snprintf(json, sizeof json, "%d", epochs);
        if (ol_storage_set_trial_attr(st, tid, "epochs", json, &err) != OL_OK) return die("attr", &err);
        snprintf(json, sizeof json, "%.17g", 0.25 * (t + 1));
        if (ol_storage_set_trial_attr(st, tid, "seconds", json, &err) != OL_OK) return die("attr", &err);
        snprintf(json, sizeof json, "%.17g", 0.9 + 0.001 * t);
        if (ol_storage_set_trial_attr(st, tid, "test_accuracy", json, &err) != OL_OK) return die("attr", &err);
        ol_trial_state end = t == 5 ? OL_TRIAL_FAIL : t == 7 ? OL_TRIAL_PRUNED : OL_TRIAL_COMPLETE;
        if (ol_storage_finish_trial(st, tid, end, end == OL_TRIAL_COMPLETE ? &value : NULL, &err) != OL_OK)
            return die("finish", &err);
        printf("{\"number\": %d, \"state\": \"%s\", \"value\": %.17g, \"params\": {\"lr\": %.17g, \"x\": %.17g, "
               "\"n\": %.17g, \"kind\": %.17g}, \"epochs\": %d, \"test_accuracy\": %.17g}\n",
               number, ol_trial_state_name(end), value, v[0], v[1], v[2], v[3], epochs, 0.9 + 0.001 * t);
    }
    ol_storage_close(st);
    return 0;
}

static const ol_param_rec *param(const ol_trial_rec *t, const char *name) {
    for (size_t i = 0; i < t->n_params; i++)
        if (!strcmp(t->params[i].name, name)) return &t->params[i];
    return NULL;
}

static int continue_study(const char *url, const char *name, int n_more) {
    ol_storage *st;
    ol_error err = {0};
    int64_t study;
    int maximize;
    if (ol_storage_open(&st, url, &err) != OL_OK) return die("open", &err);
    if (ol_storage_find_study(st, name, &study, &maximize, &err) != OL_OK) return die("find study", &err);
    ol_trial_rec *trials;
    size_t n;
    if (ol_storage_get_trials(st, study, &trials, &n, &err) != OL_OK) return die("get trials", &err);
    if (n == 0) return fprintf(stderr, "interop_tool: the study has no trials\n"), 1;
    /* every Optuna trial reads back with its four params and a value consistent with them */
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &trials[i];
        const ol_param_rec *lr = param(t, "lr"), *x = param(t, "x"), *k = param(t, "n"), *kind = param(t, "kind");
        if (!lr || !x || !k || !kind || t->number != (int)i || t->state != OL_TRIAL_COMPLETE || !t->has_value ||
            fabs(t->value - objective(lr->value, x->value, k->value, kind->value)) > 1e-9) {
            fprintf(stderr, "interop_tool: Optuna's trial %zu does not read back consistently\n", i);
            return 1;
        }
        printf("optuna trial %d: value %.6f, %zu intermediate values\n", t->number, t->value, t->n_intermediate);
    }
    /* more trials from the same distributions, as optlab's sampler would add them */
    ol_rng rng;
    ol_rng_derive(&rng, 7, "continue");
    const char *names[4] = {"lr", "x", "n", "kind"};
    for (int m = 0; m < n_more; m++) {
        int64_t tid;
        int number;
        if (ol_storage_create_trial(st, study, 0, &tid, &number, &err) != OL_OK) return die("create trial", &err);
        double v[4];
        for (int p = 0; p < 4; p++) {
            const ol_param_rec *first = param(&trials[0], names[p]);
            if (!sample(first->distribution_json, &rng, &v[p]))
                return fprintf(stderr, "interop_tool: cannot read distribution %s\n", first->distribution_json), 1;
            if (ol_storage_set_param(st, tid, names[p], v[p], first->distribution_json, &err) != OL_OK)
                return die("param", &err);
        }
        double value = objective(v[0], v[1], v[2], v[3]);
        if (ol_storage_set_intermediate(st, tid, 0, value, &err) != OL_OK) return die("intermediate", &err);
        if (ol_storage_set_trial_attr(st, tid, "status", "\"ok\"", &err) != OL_OK) return die("attr", &err);
        if (ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, &err) != OL_OK) return die("finish", &err);
        printf("optlab trial %d: value %.6f\n", number, value);
    }
    ol_trials_free(trials, n);
    ol_storage_close(st);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "write")) return write_study(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "continue")) return continue_study(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: interop_tool write URL STUDY | interop_tool continue URL STUDY N\n");
    return 2;
}
