/*
 * cmd_studies.c — `optlab studies [--storage URL]`: the studies a storage
 * holds, one line each: name, direction, trials, complete, best value.
 * Reads through the storage interface only, so it lists studies written by
 * Optuna as well as by optlab.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "optlab/storage.h"

static void studies_usage(FILE *out) {
    fputs("usage: optlab studies [--storage URL]\n\n"
          "List the studies in a storage: name, direction, number of trials, how many are\n"
          "COMPLETE, and the best value among them.\n\n"
          "  --storage URL   sqlite:///FILE, postgresql://USER@HOST:PORT/DB or memory:\n"
          "                  (default sqlite:///optlab.db)\n",
          out);
}

int cmd_studies(int argc, char **argv) {
    static const cli_option opts[] = {{"storage", 1, 's'}, {NULL, 0, 0}};
    const char *url = "sqlite:///optlab.db", *v;
    cli_parser p;
    cli_begin(&p, "studies", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        if (c == CLI_OPT_HELP) {
            studies_usage(stdout);
            return 0;
        }
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        url = v;
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    ol_storage *st = NULL;
    if (cli_open_existing_storage(url, &st)) return 1;
    ol_error err = {0};
    ol_study_rec *studies = NULL;
    size_t n = 0;
    if (ol_storage_list_studies(st, &studies, &n, &err) != OL_OK) {
        ol_storage_close(st);
        return cli_error("%s", err.msg);
    }
    if (n == 0) {
        printf("no studies in %s\n", url);
    } else {
        size_t width = 5;
        for (size_t i = 0; i < n; i++)
            if (strlen(studies[i].name) > width) width = strlen(studies[i].name);
        printf("%-*s  %-9s %7s %9s  %s\n", (int)width, "study", "direction", "trials", "complete", "best value");
        for (size_t i = 0; i < n; i++) {
            ol_trial_rec *trials = NULL;
            size_t nt = 0;
            if (ol_storage_get_trials(st, studies[i].study_id, &trials, &nt, &err) != OL_OK) {
                ol_studies_free(studies, n);
                ol_storage_close(st);
                return cli_error("%s", err.msg);
            }
            int have_best = 0;
            double best = 0;
            for (size_t k = 0; k < nt; k++) {
                if (trials[k].state != OL_TRIAL_COMPLETE || !trials[k].has_value) continue;
                double v = trials[k].value;
                if (!have_best || (studies[i].maximize ? v > best : v < best)) best = v;
                have_best = 1;
            }
            ol_trials_free(trials, nt);
            char best_text[32] = "-";
            if (have_best) snprintf(best_text, sizeof best_text, "%.6g", best);
            printf("%-*s  %-9s %7d %9d  %s\n", (int)width, studies[i].name,
                   studies[i].maximize ? "maximize" : "minimize", studies[i].n_trials, studies[i].n_complete,
                   best_text);
        }
    }
    ol_studies_free(studies, n);
    ol_storage_close(st);
    return 0;
}
