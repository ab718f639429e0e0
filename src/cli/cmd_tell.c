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
#include "optlab/experiment.h"
#include "optlab/storage.h"

static void tell_usage(FILE *out) {
    fputs("usage: optlab tell --study NAME --trial NUMBER [--value X] [--state complete|fail|pruned]\n"
          "                   [--storage URL]\n\n"
          "Finish a trial started by `optlab ask`.\n\n"
          "  --storage URL   sqlite:///FILE.db (default sqlite:///optlab.db), postgresql://...\n"
          "  --study NAME    the study\n"
          "  --trial NUMBER  the trial's number (\"number\" in ask's JSON)\n"
          "  --value X       the objective value (required for complete)\n"
          "  --state S       complete (default), fail or pruned\n",
          out);
}

int cmd_tell(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        tell_usage(stdout);
        return 0;
    }
    const char *url = "sqlite:///optlab.db", *study_name = NULL, *trial_text = NULL, *value_text = NULL;
    const char *state_text = "complete";
    for (int i = 1; i < argc; i++) {
        const char **dst = !strcmp(argv[i], "--storage") ? &url
                           : !strcmp(argv[i], "--study") ? &study_name
                           : !strcmp(argv[i], "--trial") ? &trial_text
                           : !strcmp(argv[i], "--value") ? &value_text
                           : !strcmp(argv[i], "--state") ? &state_text
                                                         : NULL;
        if (!dst) {
            cli_error("unknown argument '%s'", argv[i]);
            tell_usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) return cli_error("%s needs a value (see `optlab tell --help`)", argv[i]);
        *dst = argv[++i];
    }
    if (!study_name) return cli_error("--study NAME is required");
    if (!trial_text) return cli_error("--trial NUMBER is required");
    ol_error err;
    if (ol_experiment_check_study_name(study_name, &err)) return cli_error("--study: %s", err.msg);
    char *end;
    errno = 0;
    long number = strtol(trial_text, &end, 10);
    if (!*trial_text || *end || errno || number < 0 || number > 1000000000)
        return cli_error("--trial %s: expected a trial number >= 0", trial_text);
    ol_trial_state state;
    if (!strcmp(state_text, "complete")) state = OL_TRIAL_COMPLETE;
    else if (!strcmp(state_text, "fail")) state = OL_TRIAL_FAIL;
    else if (!strcmp(state_text, "pruned")) state = OL_TRIAL_PRUNED;
    else return cli_error("--state %s: expected complete, fail or pruned", state_text);
    double value = NAN;
    if (value_text) {
        errno = 0;
        value = strtod(value_text, &end);
        if (!*value_text || *end || errno == ERANGE || !isfinite(value))
            return cli_error("--value %s: expected a finite number", value_text);
    } else if (state == OL_TRIAL_COMPLETE) {
        return cli_error("--value X is required to complete a trial (or --state fail|pruned)");
    }

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
        cli_error("study '%s' has no trial %ld (it has %zu)", study_name, number, n);
        goto done;
    }
    if (t->state != OL_TRIAL_RUNNING) {
        cli_error("trial %ld of study '%s' is %s already; only a RUNNING trial can be told", number, study_name,
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
