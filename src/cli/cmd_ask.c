/*
 * cmd_ask.c — `optlab ask`: tune any external program, as Optuna's CLI does.
 * Creates a RUNNING trial in a study (the study's sampler reads the history
 * in storage), suggests the parameters given on the command line, prints
 * {"number": N, "params": {...}} as JSON and exits; the program then runs
 * with those values and reports back with `optlab tell` (cmd_tell.c).
 *
 * The sampler is seeded from the study attribute optlab:seed written at
 * --create (or --seed), so a sequence of asks is reproducible.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "optlab/experiment.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

#define ASK_MAX_PARAMS 64

static void ask_usage(FILE *out) {
    fputs("usage: optlab ask --study NAME [--storage URL] [--create maximize|minimize]\n"
          "                  --param SPEC [--param SPEC ...] [--sampler tpe|random] [--seed N] [--trials N]\n\n"
          "Start a trial of study NAME and print its parameters as JSON:\n"
          "  {\"number\": 3, \"params\": {\"lr\": 0.0012, \"bs\": 64, \"act\": \"relu\"}}\n"
          "Run your program with them, then record the result with `optlab tell`.\n\n"
          "  --storage URL    sqlite:///FILE.db (default sqlite:///optlab.db), postgresql://..., memory:\n"
          "  --study NAME     the study (no quotes or backslashes in the name)\n"
          "  --create DIR     create the study if it does not exist, direction maximize or minimize\n"
          "                   (without --create the study must exist)\n"
          "  --param SPEC     a parameter to suggest, one of\n"
          "                     NAME=float:LOW:HIGH[:log][:step=S]\n"
          "                     NAME=int:LOW:HIGH[:log][:step=S]\n"
          "                     NAME=cat:A,B,C        (string choices)\n"
          "                   e.g. --param 'lr=float:1e-4:1e-2:log' --param 'bs=int:16:128' --param 'act=cat:relu,tanh'\n"
          "  --sampler NAME   tpe (default; 10 random start-up trials) or random\n"
          "  --seed N         sampler seed, stored with the study at --create (default 0); later asks reuse it\n"
          "  --trials N       refuse to start a trial once N are COMPLETE, PRUNED or RUNNING (exit 3)\n\n"
          "Example:\n"
          "  optlab ask --storage sqlite:///t.db --study q --create minimize --param 'x=float:-10:10'\n"
          "  optlab tell --storage sqlite:///t.db --study q --trial 0 --value 4.2\n",
          out);
}

typedef struct {
    char name[128];
    ol_param_spec spec; /* the same parser as experiment files (optlab/experiment.h) */
} ask_param;

/* Parse NAME=KIND:ARGS into p; on error fill msg. */
static int parse_param(const char *spec, ask_param *p, char *msg, size_t msgn) {
    memset(p, 0, sizeof *p);
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        snprintf(msg, msgn, "--param '%s': expected NAME=float:LOW:HIGH, NAME=int:LOW:HIGH or NAME=cat:A,B", spec);
        return 0;
    }
    if ((size_t)(eq - spec) >= sizeof p->name) {
        snprintf(msg, msgn, "--param '%s': name too long", spec);
        return 0;
    }
    memcpy(p->name, spec, (size_t)(eq - spec));
    ol_error err;
    if (!strchr(eq + 1, ':') || ol_param_spec_parse(eq + 1, 0, &p->spec, &err)) {
        snprintf(msg, msgn, "--param '%s': %.300s", spec,
                 strchr(eq + 1, ':') ? err.msg : "expected KIND:... after '=' (float, int or cat)");
        return 0;
    }
    return 1;
}

/* Value of --NAME VALUE or --NAME=VALUE at argv[*i]; NULL if argv[*i] is not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int cmd_ask(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        ask_usage(stdout);
        return 0;
    }
    const char *url = "sqlite:///optlab.db", *study_name = NULL, *create = NULL, *sampler_name = "tpe";
    const char *seed_text = NULL, *trials_text = NULL;
    static ask_param params[ASK_MAX_PARAMS];
    int n_params = 0;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--storage", &missing))) url = v;
        else if ((v = opt_value(argc, argv, &i, "--study", &missing))) study_name = v;
        else if ((v = opt_value(argc, argv, &i, "--create", &missing))) create = v;
        else if ((v = opt_value(argc, argv, &i, "--sampler", &missing))) sampler_name = v;
        else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) seed_text = v;
        else if ((v = opt_value(argc, argv, &i, "--trials", &missing))) trials_text = v;
        else if ((v = opt_value(argc, argv, &i, "--param", &missing))) {
            if (n_params == ASK_MAX_PARAMS) return cli_error("at most %d --param options", ASK_MAX_PARAMS);
            char msg[512];
            if (!parse_param(v, &params[n_params], msg, sizeof msg)) return cli_error("%s", msg);
            for (int j = 0; j < n_params; j++)
                if (!strcmp(params[j].name, params[n_params].name))
                    return cli_error("--param %s is given twice", params[j].name);
            n_params++;
        } else if (missing) {
            return cli_error("%s needs a value (see `optlab ask --help`)", argv[i]);
        } else {
            cli_error("unknown argument '%s'", argv[i]);
            ask_usage(stderr);
            return 2;
        }
    }
    if (!study_name) return cli_error("--study NAME is required (see `optlab ask --help`)");
    ol_error err;
    if (ol_experiment_check_study_name(study_name, &err)) return cli_error("--study: %s", err.msg);
    int maximize = -1;
    if (create) {
        if (!strcmp(create, "maximize")) maximize = 1;
        else if (!strcmp(create, "minimize")) maximize = 0;
        else return cli_error("--create %s: expected maximize or minimize", create);
    }
    uint64_t seed = 0;
    int seed_given = 0;
    if (seed_text) {
        char *end;
        errno = 0;
        seed = strtoull(seed_text, &end, 10);
        if (!*seed_text || *end || *seed_text == '-' || errno) return cli_error("--seed %s: expected a whole number >= 0", seed_text);
        seed_given = 1;
    }
    int n_trials = 0;
    if (trials_text) {
        char *end;
        long v = strtol(trials_text, &end, 10);
        if (!*trials_text || *end || v < 1 || v > 100000000) return cli_error("--trials %s: expected a whole number >= 1", trials_text);
        n_trials = (int)v;
    }
    /* every distribution was checked by the parser, before anything is stored */
    ol_distribution dists[ASK_MAX_PARAMS];
    memset(dists, 0, sizeof dists);
    int rc = 1;
    for (int i = 0; i < n_params; i++) dists[i] = params[i].spec.dist; /* owned by params[i].spec */
    ol_sampler *sampler = NULL;
    ol_storage *storage = NULL;
    ol_study *study = NULL;
    ol_trial *trial = NULL;
    cJSON *out = NULL;
    if (ol_sampler_new_by_name(&sampler, sampler_name, &err)) {
        cli_error("--sampler %s: %s", sampler_name, err.msg);
        goto done;
    }
    if (ol_storage_open(&storage, url, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    int64_t sid;
    int stored_max;
    ol_status fst = ol_storage_find_study(storage, study_name, &sid, &stored_max, &err);
    if (fst == OL_ENOTFOUND && maximize < 0) {
        cli_error("no study '%s' in %s (add --create maximize or --create minimize)", study_name, url);
        goto done;
    } else if (fst && fst != OL_ENOTFOUND) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (fst == OL_OK) {
        if (maximize >= 0 && maximize != stored_max) {
            cli_error("study '%s' exists and is to %s; --create asked to %s", study_name,
                      stored_max ? "maximize" : "minimize", maximize ? "maximize" : "minimize");
            goto done;
        }
        maximize = stored_max;
        if (!seed_given) {
            ol_attr_rec *attrs = NULL;
            size_t na = 0;
            if (ol_storage_get_study_attrs(storage, sid, &attrs, &na, &err) == OL_OK) {
                const char *s = ol_attr_find(attrs, na, OL_ATTR_SEED);
                if (s) seed = strtoull(s, NULL, 10);
                ol_attrs_free(attrs, na);
            }
        }
    }
    ol_study_options so = {.name = study_name, .maximize = maximize, .seed = seed, .n_trials = n_trials,
                           .sampler = sampler};
    if (ol_study_open(&study, storage, &so, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (fst == OL_ENOTFOUND) {
        char sj[32];
        snprintf(sj, sizeof sj, "%llu", (unsigned long long)seed);
        if (ol_storage_set_study_attr(storage, ol_study_id(study), OL_ATTR_SEED, sj, &err)) {
            cli_error("%s", err.msg);
            goto done;
        }
    }
    ol_status ast = ol_study_ask(study, &trial, &err);
    if (ast == OL_ESTOPPED) {
        cli_error("study '%s' is full: %d trials are COMPLETE, PRUNED or RUNNING", study_name, n_trials);
        rc = 3;
        goto done;
    } else if (ast) {
        cli_error("%s", err.msg);
        goto done;
    }
    out = cJSON_CreateObject();
    cJSON *jp = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "number", ol_trial_number(trial));
    cJSON_AddItemToObject(out, "params", jp);
    for (int i = 0; i < n_params; i++) {
        double internal;
        if (ol_trial_suggest(trial, params[i].name, &dists[i], &internal, &err)) {
            cli_error("--param %s: %s", params[i].name, err.msg);
            ol_study_tell(study, trial, OL_TRIAL_FAIL, NAN, &err);
            trial = NULL;
            goto done;
        }
        if (dists[i].kind == OL_DIST_CATEGORICAL)
            cJSON_AddItemToObject(jp, params[i].name, cJSON_Parse(dists[i].choices_json[(size_t)internal]));
        else
            cJSON_AddNumberToObject(jp, params[i].name, internal);
    }
    char *text = cJSON_PrintUnformatted(out);
    if (text) {
        puts(text);
        free(text);
    }
    ol_trial_abandon(trial); /* it stays RUNNING until `optlab tell` */
    trial = NULL;
    rc = 0;
done:
    if (trial) ol_trial_abandon(trial);
    cJSON_Delete(out);
    ol_study_close(study);
    ol_storage_close(storage);
    ol_sampler_free(sampler);
    for (int i = 0; i < n_params; i++) ol_param_spec_free(&params[i].spec);
    return rc;
}
