/*
 * cmd_tell.c — `optlab tell`: record the result of a trial started with
 * `optlab ask` (cmd_ask.c): COMPLETE with its value, or FAIL / PRUNED.
 * The trial must still be RUNNING; telling twice is an error that says
 * what the trial already is.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "optlab/experiment.h"
#include "optlab/storage.h"

static void tell_usage(FILE *out) {
    fputs("usage: optlab tell --study-name NAME --trial-number N [--values X] [--state complete|fail|pruned]\n"
          "                   [--storage URL] [--skip-if-finished]\n\n"
          "Finish a trial started by `optlab ask` (or `optuna ask`), as `optuna tell` does.\n\n"
          "  --storage URL        sqlite:///FILE.db (default sqlite:///optlab.db), postgresql://...\n"
          "  --study-name NAME    the study (alias --study)\n"
          "  --trial-number N     the trial's number, \"number\" in ask's JSON (alias --trial)\n"
          "  --values X           the objective value (alias --value); required for complete\n"
          "                       (one objective: a second value is an error)\n"
          "  --state S            complete (default), fail or pruned\n"
          "  --skip-if-finished   a trial that is already finished is left as it is, exit 0\n"
          "                       (without it, telling a finished trial fails and says what it is)\n",
          out);
}

enum { T_STORAGE, T_STUDY, T_TRIAL, T_VALUE, T_STATE, T_SKIP };

int cmd_tell(int argc, char **argv) {
    static const cli_option opts[] = {{"storage", 1, T_STORAGE},      {"study-name", 1, T_STUDY},
                                      {"study", 1, T_STUDY},          {"trial-number", 1, T_TRIAL},
                                      {"trial", 1, T_TRIAL},          {"values", 1, T_VALUE},
                                      {"value", 1, T_VALUE},          {"state", 1, T_STATE},
                                      {"skip-if-finished", 0, T_SKIP}, {NULL, 0, 0}};
    const char *url = "sqlite:///optlab.db", *study_name = NULL, *state_text = NULL, *v;
    long long number = -1;
    double value = NAN;
    int have_value = 0, skip_finished = 0;
    cli_parser cp;
    cli_begin(&cp, "tell", argc, argv, opts);
    for (int c; (c = cli_next(&cp, &v)) != CLI_OPT_END;) {
        int bad = 0;
        switch (c) {
        case CLI_OPT_HELP: tell_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case T_STORAGE: url = v; break;
        case T_STUDY: study_name = v; break;
        case T_TRIAL: bad = cli_parse_long(&cp, "--trial-number", v, 0, 1000000000, &number); break;
        case T_VALUE:
            bad = cli_parse_double(&cp, "--values", v, -INFINITY, INFINITY, &value);
            have_value = 1;
            break;
        case T_STATE: state_text = v; break;
        case T_SKIP: skip_finished = 1; break;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (cli_operand_count(&cp))
        return cli_usage_error(&cp, "unexpected argument '%s'%s", cli_operands(&cp)[0],
                               have_value ? " (optlab studies have one objective: give one value)" : "");
    if (!study_name) return cli_usage_error(&cp, "--study-name NAME is required");
    if (number < 0) return cli_usage_error(&cp, "--trial-number N is required");
    ol_error err;
    if (ol_experiment_check_study_name(study_name, &err)) return cli_usage_error(&cp, "--study-name: %s", err.msg);
    ol_trial_state state;
    if (!state_text) state = OL_TRIAL_COMPLETE;
    else if (!strcmp(state_text, "complete")) state = OL_TRIAL_COMPLETE;
    else if (!strcmp(state_text, "fail")) state = OL_TRIAL_FAIL;
    else if (!strcmp(state_text, "pruned")) state = OL_TRIAL_PRUNED;
    else return cli_usage_error(&cp, "--state %s: expected complete, fail or pruned", state_text);
    if (state == OL_TRIAL_COMPLETE && !have_value)
        return cli_usage_error(&cp, "--values X is required to complete a trial (or --state fail|pruned)");

    ol_storage *st = NULL;
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    int rc = 1;
    if (ol_storage_open(&st, url, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    int64_t sid;
    int maximize;
    if (ol_storage_find_study(st, study_name, &sid, &maximize, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (ol_storage_get_trials(st, sid, &trials, &n, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    const ol_trial_rec *t = NULL;
    for (size_t i = 0; i < n; i++)
        if (trials[i].number == number) t = &trials[i];
    if (!t) {
        cli_error("study '%s' has no trial %lld (it has %zu)", study_name, number, n);
        goto done;
    }
    if (t->state != OL_TRIAL_RUNNING && skip_finished) {
        rc = 0; /* as optuna tell --skip-if-finished */
        goto done;
    }
    if (t->state != OL_TRIAL_RUNNING) {
        cli_error("trial %lld of study '%s' is %s already; only a RUNNING trial can be told", number, study_name,
                  ol_trial_state_name(t->state));
        goto done;
    }
    ol_status fs = ol_storage_finish_trial(st, t->trial_id, state, state == OL_TRIAL_COMPLETE ? &value : NULL, &err);
    if (fs) {
        cli_error("%s", err.msg);
        goto done;
    }
    rc = 0;
done:
    ol_trials_free(trials, n);
    ol_storage_close(st);
    return rc;
}
