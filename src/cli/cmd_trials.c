/*
 * cmd_trials.c — `optlab trials STUDY [--storage URL]`: one line per trial of
 * a study: number, state, value, params (categorical ones shown as their
 * choice, integer ones as integers) and the user attributes optlab records
 * (status, test_accuracy, epochs, seconds; see docs/storage-conventions.md).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "optlab/storage.h"

static void trials_usage(FILE *out) {
    fputs("usage: optlab trials STUDY [--storage URL]\n\n"
          "List the trials of one study: number, state, value, parameters and the\n"
          "attributes optlab records (status, test_accuracy, epochs, seconds).\n"
          "`optlab studies` lists the study names.\n\n"
          "  --storage URL   sqlite:///FILE, postgresql://USER@HOST:PORT/DB or memory:\n"
          "                  (default sqlite:///optlab.db)\n",
          out);
}

/* A parameter as a person reads it: the choice of a categorical, an int as an int. */
static void format_param(const ol_param_rec *p, char *out, size_t cap) {
    cJSON *dist = cJSON_Parse(p->distribution_json);
    const char *kind = dist ? cJSON_GetStringValue(cJSON_GetObjectItem(dist, "name")) : NULL;
    cJSON *attrs = dist ? cJSON_GetObjectItem(dist, "attributes") : NULL;
    if (kind && !strcmp(kind, "CategoricalDistribution")) {
        cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(attrs, "choices"), (int)p->value);
        if (cJSON_IsString(choice))
            snprintf(out, cap, "%s", choice->valuestring);
        else if (choice) {
            char *text = cJSON_PrintUnformatted(choice);
            snprintf(out, cap, "%s", text ? text : "?");
            free(text);
        } else
            snprintf(out, cap, "#%g", p->value);
    } else if (kind && !strcmp(kind, "IntDistribution")) {
        snprintf(out, cap, "%.0f", p->value);
    } else {
        snprintf(out, cap, "%.4g", p->value);
    }
    cJSON_Delete(dist);
}

/* An attribute's JSON shown plainly: strings without quotes, numbers shortened. */
static void format_attr(const char *json, char *out, size_t cap) {
    cJSON *v = json ? cJSON_Parse(json) : NULL;
    if (!json)
        snprintf(out, cap, "-");
    else if (cJSON_IsString(v))
        snprintf(out, cap, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, cap, "%.6g", v->valuedouble);
    else
        snprintf(out, cap, "%s", json);
    cJSON_Delete(v);
}

/* The study is missing: say which ones exist. */
static int report_missing(ol_storage *st, const char *name, const char *url) {
    ol_study_rec *studies = NULL;
    size_t n = 0;
    ol_error err = {0};
    if (ol_storage_list_studies(st, &studies, &n, &err) != OL_OK) return cli_error("%s", err.msg);
    if (n == 0) {
        cli_error("no study named '%s': %s holds no studies", name, url);
    } else {
        fprintf(stderr, "optlab: no study named '%s' in %s; it holds:\n", name, url);
        for (size_t i = 0; i < n; i++) fprintf(stderr, "  %s\n", studies[i].name);
    }
    ol_studies_free(studies, n);
    return 1;
}

int cmd_trials(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        trials_usage(stdout);
        return 0;
    }
    const char *url = "sqlite:///optlab.db", *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--storage") && i + 1 < argc)
            url = argv[++i];
        else if (!strncmp(argv[i], "--storage=", 10))
            url = argv[i] + 10;
        else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("trials: unknown option '%s'", argv[i]);
            trials_usage(stderr);
            return 2;
        } else if (!name)
            name = argv[i];
        else {
            cli_error("trials: one study at a time ('%s' and '%s' given)", name, argv[i]);
            return 2;
        }
    }
    if (!name) {
        cli_error("trials: which study? (`optlab studies` lists them)");
        trials_usage(stderr);
        return 2;
    }
    ol_storage *st = NULL;
    if (cli_open_existing_storage(url, &st)) return 1;
    ol_error err = {0};
    int64_t study_id;
    int maximize;
    ol_status s = ol_storage_find_study(st, name, &study_id, &maximize, &err);
    if (s == OL_ENOTFOUND) {
        int rc = report_missing(st, name, url);
        ol_storage_close(st);
        return rc;
    }
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    if (s == OL_OK) s = ol_storage_get_trials(st, study_id, &trials, &n, &err);
    if (s != OL_OK) {
        ol_storage_close(st);
        return cli_error("%s", err.msg);
    }
    printf("study %s (%s), %zu trials\n", name, maximize ? "maximize" : "minimize", n);
    printf("%6s  %-8s  %-10s  %-9s %-9s %6s %8s  %s\n", "number", "state", "value", "status", "test_acc", "epochs",
           "seconds", "params");
    static const char *const keys[] = {"status", "test_accuracy", "epochs", "seconds"};
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &trials[i];
        char value[32] = "-", attr[4][48];
        if (t->has_value) snprintf(value, sizeof value, "%.6g", t->value);
        for (int k = 0; k < 4; k++)
            format_attr(ol_attr_find(t->user_attrs, t->n_user_attrs, keys[k]), attr[k], sizeof attr[k]);
        printf("%6d  %-8s  %-10s  %-9s %-9s %6s %8s ", t->number, ol_trial_state_name(t->state), value, attr[0],
               attr[1], attr[2], attr[3]);
        for (size_t p = 0; p < t->n_params; p++) {
            char shown[128];
            format_param(&t->params[p], shown, sizeof shown);
            printf(" %s=%s", t->params[p].name, shown);
        }
        putchar('\n');
    }
    ol_trials_free(trials, n);
    ol_storage_close(st);
    return 0;
}
