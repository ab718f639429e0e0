/*
 * cmd_trials.c — `optlab trials STUDY [--storage URL]`: one line per trial of
 * a study: number, state, value, params (categorical ones shown as their
 * choice, integer ones as integers) and the user attributes optlab records
 * (status, test_accuracy, epochs, seconds; see docs/storage-conventions.md),
 * in columns as wide as their longest cell; a legend says what "-" means.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "optlab/storage.h"

static void trials_usage(FILE *out) {
    fputs("usage: optlab trials STUDY [--storage URL]\n"
          "       optlab trials --study-name STUDY [--storage URL]\n\n"
          "List the trials of one study: number, state, value, parameters and the\n"
          "attributes optlab records (status, test_accuracy, epochs, seconds).\n"
          "`optlab studies` lists the study names.\n\n"
          "  --storage URL       sqlite:///FILE, postgresql://USER@HOST:PORT/DB or memory:\n"
          "                      (default sqlite:///optlab.db)\n"
          "  --study-name STUDY  the study, instead of the operand (alias --study)\n"
          "  --help              this text\n",
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
    static const cli_option opts[] = {{"storage", 1, 's'}, {"study-name", 1, 'n'}, {"study", 1, 'n'}, {NULL, 0, 0}};
    const char *url = "sqlite:///optlab.db", *name = NULL, *v;
    cli_parser p;
    cli_begin(&p, "trials", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        if (c == CLI_OPT_HELP) {
            trials_usage(stdout);
            return 0;
        }
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 's') url = v;
        else name = v;
    }
    for (int i = 0; i < cli_operand_count(&p); i++) {
        const char *a = cli_operands(&p)[i];
        if (name) return cli_usage_error(&p, "one study at a time ('%s' and '%s' given)", name, a);
        name = a;
    }
    if (!name) return cli_usage_error(&p, "which study? (`optlab studies` lists them)");
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
    printf("study %s (%s), %zu trial%s\n", name, maximize ? "maximize" : "minimize", n, n == 1 ? "" : "s");
    /* Cells first, then widths from the longest cell of each column, so no value
     * (never_learned, a long number) pushes the rows out of line. The optlab
     * attribute columns appear only when some trial has the attribute (a study
     * made with ask/tell has none). */
    enum { C_NUMBER, C_STATE, C_VALUE, C_STATUS, C_TEST, C_EPOCHS, C_SECONDS, N_COLS };
    static const char *const heads[N_COLS] = {"number", "state", "value", "status", "test_acc", "epochs", "seconds"};
    static const char *const keys[N_COLS] = {NULL, NULL, NULL, "status", "test_accuracy", "epochs", "seconds"};
    static const int right[N_COLS] = {1, 0, 0, 0, 0, 1, 1};
    typedef char cell[48];
    cell(*cells)[N_COLS] = calloc(n ? n : 1, sizeof *cells);
    if (!cells) {
        ol_trials_free(trials, n);
        ol_storage_close(st);
        return cli_error("out of memory");
    }
    int width[N_COLS], present[N_COLS] = {1, 1, 1, 0, 0, 0, 0}, missing_test = 0;
    for (int k = 0; k < N_COLS; k++) width[k] = (int)strlen(heads[k]);
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &trials[i];
        snprintf(cells[i][C_NUMBER], sizeof(cell), "%d", t->number);
        snprintf(cells[i][C_STATE], sizeof(cell), "%s", ol_trial_state_name(t->state));
        snprintf(cells[i][C_VALUE], sizeof(cell), "-");
        if (t->has_value) snprintf(cells[i][C_VALUE], sizeof(cell), "%.6g", t->value);
        for (int k = C_STATUS; k < N_COLS; k++) {
            const char *json = ol_attr_find(t->user_attrs, t->n_user_attrs, keys[k]);
            present[k] |= json != NULL;
            format_attr(json, cells[i][k], sizeof(cell));
        }
        missing_test += t->state == OL_TRIAL_COMPLETE && !ol_attr_find(t->user_attrs, t->n_user_attrs, keys[C_TEST]);
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < N_COLS; k++)
            if ((int)strlen(cells[i][k]) > width[k]) width[k] = (int)strlen(cells[i][k]);
    for (int k = 0; k < N_COLS; k++)
        if (present[k]) printf(right[k] ? "%*s  " : "%-*s  ", width[k], heads[k]);
    printf("params\n");
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &trials[i];
        for (int k = 0; k < N_COLS; k++)
            if (present[k]) printf(right[k] ? "%*s  " : "%-*s  ", width[k], cells[i][k]);
        for (size_t q = 0; q < t->n_params; q++) {
            char shown[128];
            format_param(&t->params[q], shown, sizeof shown);
            printf("%s%s=%s", q ? " " : "", t->params[q].name, shown);
        }
        putchar('\n');
    }
    free(cells);
    if (present[C_TEST] && missing_test)
        printf("test_acc \"-\": not measured. optlab measures test accuracy only for a trial that is its study's\n"
               "best when it finishes (so always for the final best); the others are never tested.\n");
    ol_trials_free(trials, n);
    ol_storage_close(st);
    return 0;
}
