/*
 * cmd_ask.c — `optlab ask`: tune any external program, as Optuna's CLI does.
 * Creates a RUNNING trial in a study (the study's sampler reads the history
 * in storage), suggests the parameters given on the command line, prints
 * {"number": N, "params": {...}} as JSON and exits; the program then runs
 * with those values and reports back with `optlab tell` (cmd_tell.c).
 *
 * Optuna's CLI flags (--study-name, --direction, --search-space with its
 * distribution JSON, --sampler TPESampler, --sampler-kwargs '{"seed": 1}')
 * are accepted beside optlab's own (--study, --create, --param SPEC), and the
 * JSON printed has json.dumps's layout, so a script written for `optuna ask`
 * runs unchanged but for the command name.
 *
 * The sampler is seeded from the study attribute optlab:seed written when the
 * study is created (--seed, else a random seed as Optuna's default), so a
 * sequence of asks is reproducible from storage.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "optlab/experiment.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

#define ASK_MAX_PARAMS 64

void openblas_set_num_threads(int num_threads); /* OpenBLAS's; cblas.h is not included here */
/* OpenBLAS's pthreads build starts its worker threads when it is loaded, and they spin
 * (sched_yield) for about 0.1 s waiting for work: a whole fresh ask. This stops them; weak, so a
 * BLAS without it links too. */
void blas_thread_shutdown_(void) __attribute__((weak));

/* A GP or CMA-ES ask that fell back to random says why on stderr (the trial is still made). */
static void ask_sampler_note(void *user, const char *msg) {
    (void)user;
    fprintf(stderr, "optlab ask: %s\n", msg);
}

static void ask_usage(FILE *out) {
    fputs("usage: optlab ask --study-name NAME [--storage URL] [--direction maximize|minimize]\n"
          "                  (--param SPEC ... | --search-space JSON) [--sampler NAME] [--sampler-kwargs JSON]\n"
          "                  [--seed N] [--trials N] [--format json]\n\n"
          "Start a trial of study NAME and print its parameters as JSON, as `optuna ask` does:\n"
          "  {\"number\": 3, \"params\": {\"lr\": 0.0012, \"bs\": 64, \"act\": \"relu\"}}\n"
          "Run your program with them, then record the result with `optlab tell`.\n"
          "A script written for `optuna ask`/`optuna tell` runs with only the command name changed.\n\n"
          "  --storage URL         sqlite:///FILE.db (default sqlite:///optlab.db), postgresql://..., memory:\n"
          "  --study-name NAME     the study (alias --study; no quotes or backslashes in the name)\n"
          "  --direction DIR       create the study if it does not exist, to maximize or minimize\n"
          "                        (alias --create; without it the study must exist; an existing study\n"
          "                        with the other direction is an error)\n"
          "  --param SPEC          a parameter to suggest, one of\n"
          "                          NAME=float:LOW:HIGH[:log][:step=S]\n"
          "                          NAME=int:LOW:HIGH[:log][:step=S]\n"
          "                          NAME=cat:A,B,C   (choices that read as JSON numbers, true, false or\n"
          "                                            null keep that type; others are strings)\n"
          "                        e.g. --param 'lr=float:1e-4:1e-2:log' --param 'bs=int:16:128' --param 'act=cat:relu,tanh'\n"
          "  --search-space JSON   Optuna's form: {\"NAME\": DISTRIBUTION, ...}, each DISTRIBUTION as\n"
          "                        optuna.distributions.distribution_to_json writes it, e.g.\n"
          "                        {\"x\": {\"name\": \"FloatDistribution\", \"attributes\": {\"low\": -4, \"high\": 4}}}\n"
          "                        (may be combined with --param)\n"
          "  --sampler NAME        tpe (default; 10 random start-up trials), mvtpe (multivariate TPE), random,\n"
          "                        gp (Gaussian process, 10 random start-up trials) or cmaes (CMA-ES with IPOP\n"
          "                        restarts, one random start-up trial); Optuna's class names TPESampler,\n"
          "                        RandomSampler, GPSampler and CmaEsSampler are accepted\n"
          "  --sampler-kwargs JSON Optuna's sampler arguments: {\"seed\": N} (same as --seed) for every sampler;\n"
          "                        cmaes also reads n_startup_trials, popsize, sigma0, restart_strategy,\n"
          "                        inc_popsize, x0, independent_sampler, with_margin (true: CMA-ES with\n"
          "                        margin on int and stepped parameters) and source_study (\"NAME\" or a list:\n"
          "                        studies in the same storage that warm-start it) (docs/hpo.md)\n"
          "  --seed N              sampler seed, stored with the study when it is created (default: a random\n"
          "                        seed, as Optuna's; it is stored too); later asks reuse the stored seed\n"
          "  --trials N            refuse to start a trial once N are COMPLETE, PRUNED or RUNNING (exit 3)\n"
          "  --format json         the only output format (Optuna's -f json)\n\n"
          "Exit status: 0 asked, 1 failed, 2 usage error, 3 the study is full (--trials).\n\n"
          "Example:\n"
          "  optlab ask --storage sqlite:///t.db --study-name q --direction minimize --param 'x=float:-10:10'\n"
          "  optlab tell --storage sqlite:///t.db --study-name q --trial-number 0 --values 4.2\n",
          out);
}

/* One parameter to suggest: its name and distribution (from --param or --search-space). */
typedef struct {
    char name[128];
    ol_param_spec spec; /* --param: parsed by the experiment layer's one spec parser */
    char *dist_json;    /* --search-space: Optuna's distribution JSON (malloc'd); NULL for --param */
} ask_param;

/* Parse NAME=KIND:ARGS into p with ol_param_spec_parse (the parser experiment files use);
 * on error fill msg. */
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
    if (!strchr(eq + 1, ':')) {
        snprintf(msg, msgn, "--param '%s': expected KIND:... after '=' (float, int or cat)", spec);
        return 0;
    }
    ol_error err;
    if (ol_param_spec_parse(eq + 1, 0, &p->spec, &err)) {
        snprintf(msg, msgn, "--param '%.200s': %.250s", spec, err.msg);
        return 0;
    }
    return 1;
}

/* Build the distribution of a parameter into d (the --param one is moved out of p). */
static ol_status param_distribution(ask_param *p, ol_distribution *d, ol_error *err) {
    if (p->dist_json) return ol_distribution_from_json(d, p->dist_json, err);
    *d = p->spec.dist;
    memset(&p->spec, 0, sizeof p->spec);
    return OL_OK;
}

/* Add Optuna's --search-space JSON object to params; fills msg on error. */
static int add_search_space(const char *text, ask_param *params, int *n_params, char *msg, size_t msgn) {
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        snprintf(msg, msgn, "--search-space: not a JSON object of NAME: DISTRIBUTION: %.200s", text);
        cJSON_Delete(root);
        return 0;
    }
    int ok = 1;
    for (cJSON *kv = root->child; kv && ok; kv = kv->next) {
        if (*n_params == ASK_MAX_PARAMS) {
            snprintf(msg, msgn, "--search-space: at most %d parameters", ASK_MAX_PARAMS);
            ok = 0;
        } else if (strlen(kv->string) >= sizeof params[0].name || !*kv->string) {
            snprintf(msg, msgn, "--search-space: parameter name '%.40s' is empty or too long", kv->string);
            ok = 0;
        } else {
            ask_param *p = &params[*n_params];
            memset(p, 0, sizeof *p);
            snprintf(p->name, sizeof p->name, "%s", kv->string);
            /* Optuna takes the distribution as an object; a JSON string holding one is accepted too */
            p->dist_json = cJSON_IsString(kv) ? strdup(kv->valuestring) : cJSON_PrintUnformatted(kv);
            ol_distribution d;
            ol_error err;
            if (!p->dist_json) {
                snprintf(msg, msgn, "out of memory");
                ok = 0;
            } else if (ol_distribution_from_json(&d, p->dist_json, &err) != OL_OK) {
                snprintf(msg, msgn, "--search-space: parameter %.100s: %.300s", p->name, err.msg);
                free(p->dist_json);
                p->dist_json = NULL;
                ok = 0;
            } else {
                ol_distribution_free(&d);
                (*n_params)++;
            }
        }
    }
    cJSON_Delete(root);
    return ok;
}

/* Append a JSON string literal (quoted, escaped as Python's json.dumps does for ASCII) to out. */
static void put_json_string(FILE *out, const char *s) {
    cJSON *j = cJSON_CreateString(s);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    fputs(t ? t : "\"\"", out);
    free(t);
    cJSON_Delete(j);
}

/* A seed nobody chose: from the kernel's entropy, else the clock and the process id. */
static uint64_t random_seed(void) {
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&s, sizeof s, 1, f) != 1) s = (uint64_t)(ol_now() * 1e9) ^ ((uint64_t)getpid() << 32);
    if (f) fclose(f);
    return s >> 1; /* stays a non-negative int64 in every storage */
}

enum { A_STORAGE, A_STUDY, A_DIRECTION, A_DIRECTIONS, A_SAMPLER, A_SAMPLER_KWARGS, A_SEED, A_TRIALS, A_PARAM,
       A_SEARCH_SPACE, A_FORMAT };

int cmd_ask(int argc, char **argv) {
    static const cli_option opts[] = {
        {"storage", 1, A_STORAGE},       {"study-name", 1, A_STUDY},   {"study", 1, A_STUDY},
        {"direction", 1, A_DIRECTION},   {"create", 1, A_DIRECTION},   {"directions", 1, A_DIRECTIONS},
        {"sampler", 1, A_SAMPLER},       {"sampler-kwargs", 1, A_SAMPLER_KWARGS},
        {"seed", 1, A_SEED},             {"trials", 1, A_TRIALS},      {"param", 1, A_PARAM},
        {"search-space", 1, A_SEARCH_SPACE}, {"format", 1, A_FORMAT},
        {NULL, 0, 0}};
    const char *url = "sqlite:///optlab.db", *study_name = NULL, *create = NULL, *sampler_name = "tpe";
    const char *kwargs_json = NULL;
    static ask_param params[ASK_MAX_PARAMS];
    int n_params = 0, n_trials = 0, seed_given = 0;
    uint64_t seed = 0;
    char msg[512];
    cli_parser cp;
    cli_begin(&cp, "ask", argc, argv, opts);
    const char *v;
    int usage_rc = 0;
    for (int c; !usage_rc && (c = cli_next(&cp, &v)) != CLI_OPT_END;) {
        switch (c) {
        case CLI_OPT_HELP: ask_usage(stdout); return 0;
        case CLI_OPT_ERROR: usage_rc = CLI_EXIT_USAGE; break;
        case A_STORAGE: url = v; break;
        case A_STUDY: study_name = v; break;
        case A_DIRECTION: create = v; break;
        case A_DIRECTIONS:
            create = v; /* one objective: --directions minimize is --direction minimize */
            break;
        case A_SAMPLER:
            if (!strcmp(v, "TPESampler")) sampler_name = "tpe";
            else if (!strcmp(v, "RandomSampler")) sampler_name = "random";
            else if (!strcmp(v, "GPSampler")) sampler_name = "gp";
            else if (!strcmp(v, "CmaEsSampler")) sampler_name = "cmaes";
            else sampler_name = v;
            break;
        case A_SAMPLER_KWARGS: {
            cJSON *kw = cJSON_Parse(v);
            if (!cJSON_IsObject(kw)) {
                cJSON_Delete(kw);
                usage_rc = cli_usage_error(&cp, "--sampler-kwargs: not a JSON object: %s", v);
                break;
            }
            kwargs_json = v; /* the sampler's own options (cmaes) are checked when it is made */
            for (cJSON *kv = kw->child; kv && !usage_rc; kv = kv->next) {
                if (strcmp(kv->string, "seed"))
                    continue;
                else if (cJSON_IsNull(kv))
                    ; /* seed None: random, the default */
                else if (!cJSON_IsNumber(kv) || kv->valuedouble < 0 || kv->valuedouble != floor(kv->valuedouble) ||
                         kv->valuedouble >= 9.2e18)
                    usage_rc = cli_usage_error(&cp, "--sampler-kwargs: seed must be a whole number >= 0");
                else {
                    seed = (uint64_t)kv->valuedouble;
                    seed_given = 1;
                }
            }
            cJSON_Delete(kw);
            break;
        }
        case A_SEED:
            usage_rc = cli_parse_u64(&cp, "--seed", v, &seed);
            seed_given = 1;
            break;
        case A_TRIALS: usage_rc = cli_parse_int(&cp, "--trials", v, 1, 100000000, &n_trials); break;
        case A_PARAM:
            if (n_params == ASK_MAX_PARAMS) {
                usage_rc = cli_usage_error(&cp, "at most %d parameters", ASK_MAX_PARAMS);
                break;
            }
            if (!parse_param(v, &params[n_params], msg, sizeof msg)) usage_rc = cli_usage_error(&cp, "%s", msg);
            else n_params++;
            break;
        case A_SEARCH_SPACE:
            if (!add_search_space(v, params, &n_params, msg, sizeof msg)) usage_rc = cli_usage_error(&cp, "%s", msg);
            break;
        case A_FORMAT:
            if (strcmp(v, "json")) usage_rc = cli_usage_error(&cp, "--format %s: optlab ask writes json only", v);
            break;
        }
    }
    if (!usage_rc && cli_operand_count(&cp))
        usage_rc = cli_usage_error(&cp, "unexpected argument '%s'", cli_operands(&cp)[0]);
    for (int i = 0; i < n_params && !usage_rc; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(params[j].name, params[i].name)) {
                usage_rc = cli_usage_error(&cp, "parameter %s is given twice", params[i].name);
                break;
            }
    if (!usage_rc && !study_name) usage_rc = cli_usage_error(&cp, "--study-name NAME is required");
    ol_error err;
    if (!usage_rc && ol_experiment_check_study_name(study_name, &err))
        usage_rc = cli_usage_error(&cp, "--study-name: %s", err.msg);
    int maximize = -1;
    if (!usage_rc && create) {
        if (!strcmp(create, "maximize")) maximize = 1;
        else if (!strcmp(create, "minimize")) maximize = 0;
        else usage_rc = cli_usage_error(&cp, "--direction %s: expected maximize or minimize", create);
    }
    /* every distribution is checked before anything is stored */
    ol_distribution dists[ASK_MAX_PARAMS];
    memset(dists, 0, sizeof dists);
    int n_dists = 0;
    for (int i = 0; i < n_params && !usage_rc; i++) {
        /* before anything is stored: the storage would refuse it only after creating the study */
        if (!ol_utf8_valid(params[i].name)) {
            usage_rc = cli_usage_error(&cp, "a parameter name is not valid UTF-8 (Optuna could not read the storage)");
            break;
        }
        ol_status st = param_distribution(&params[i], &dists[i], &err);
        n_dists = i + 1; /* freed at the end, even when it failed half-built */
        if (st) usage_rc = cli_usage_error(&cp, "parameter %s: %s", params[i].name, err.msg);
        else if (ol_distribution_check(&dists[i], params[i].name, &err)) /* the message names it */
            usage_rc = cli_usage_error(&cp, "%s", err.msg);
    }
    int rc = 1;
    ol_sampler *sampler = NULL;
    ol_storage *storage = NULL;
    ol_study *study = NULL;
    ol_trial *trial = NULL;
    if (usage_rc) {
        rc = usage_rc;
        goto done;
    }
    if (ol_sampler_check_kwargs(sampler_name, kwargs_json, &err)) {
        rc = cli_usage_error(&cp, "--sampler %s%s%s: %s", sampler_name, kwargs_json ? " --sampler-kwargs " : "",
                             kwargs_json ? kwargs_json : "", err.msg);
        goto done;
    }
    /* the GP's matrices (at most 500 x 500) factor faster on one thread than on contended ones;
     * with one thread OpenBLAS needs none of its workers, whose spinning would take a core from
     * the ask (or from other jobs) for the whole command */
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
    /* no whole-file check on open (it reads every page, ~8 ms on a 10,000-trial file): the study is
     * read (ol_study_load) before the trial is created, so a damaged page it needs stops the ask
     * before anything is written */
    if (ol_storage_open_flags(&storage, url, OL_STORAGE_OPEN_NO_CHECK, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    /* made once the storage is open: cmaes's source_study is read from it, and checked against the
     * parameters to suggest before any trial is created */
    const char *pnames[ASK_MAX_PARAMS];
    for (int i = 0; i < n_params; i++) pnames[i] = params[i].name;
    if (ol_sampler_new_in_storage(&sampler, sampler_name, kwargs_json, storage, &err) ||
        ol_sampler_cmaes_check_space(sampler, pnames, dists, (size_t)n_params, &err)) {
        cli_error("--sampler-kwargs %s: %s", kwargs_json ? kwargs_json : "", err.msg);
        goto done;
    }
    ol_sampler_set_log(sampler, ask_sampler_note, NULL);
    int64_t sid;
    int stored_max;
    ol_status fst = ol_storage_find_study(storage, study_name, &sid, &stored_max, &err);
    if (fst == OL_ENOTFOUND && maximize >= 0) {
        /* the study is to be created: a write before any read, so the file gets its full check first */
        ol_storage_close(storage);
        storage = NULL;
        if (ol_storage_open(&storage, url, &err)) {
            cli_error("%s", err.msg);
            goto done;
        }
    }
    if (fst == OL_ENOTFOUND && maximize < 0) {
        cli_error("no study '%s' in %s (add --direction maximize or --direction minimize to create it)", study_name,
                  url);
        goto done;
    } else if (fst && fst != OL_ENOTFOUND) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (fst == OL_OK) {
        if (maximize >= 0 && maximize != stored_max) {
            cli_error("study '%s' exists and is to %s; --direction asked to %s", study_name,
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
                else seed = random_seed(); /* a study made by Optuna: a fresh seed, as Optuna's sampler */
                ol_attrs_free(attrs, na);
            }
        }
    } else if (!seed_given) {
        seed = random_seed();
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
    if (ol_study_load(study, &err)) {
        cli_error("%s", err.msg);
        goto done;
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
    /* all parameters recorded in one transaction (one commit), each drawn as its own suggest would */
    double internal[ASK_MAX_PARAMS];
    const char *names[ASK_MAX_PARAMS];
    for (int i = 0; i < n_params; i++) names[i] = params[i].name;
    if (ol_trial_suggest_many(trial, names, dists, (size_t)n_params, internal, &err)) {
        cli_error("%s", err.msg);
        ol_study_tell(study, trial, OL_TRIAL_FAIL, NAN, &err);
        trial = NULL;
        goto done;
    }
    /* json.dumps's layout, as `optuna ask` prints it: ints as ints, floats as Python's repr, choices as stored */
    printf("{\"number\": %d, \"params\": {", ol_trial_number(trial));
    for (int i = 0; i < n_params; i++) {
        fputs(i ? ", " : "", stdout);
        put_json_string(stdout, params[i].name);
        fputs(": ", stdout);
        char num[64];
        if (dists[i].kind == OL_DIST_CATEGORICAL) fputs(dists[i].choices_json[(size_t)internal[i]], stdout);
        else if (dists[i].kind == OL_DIST_INT) printf("%lld", (long long)internal[i]);
        else {
            ol_format_pyfloat(num, sizeof num, internal[i]);
            fputs(num, stdout);
        }
    }
    puts("}}");
    fflush(stdout);
    ol_trial_abandon(trial); /* it stays RUNNING until `optlab tell` */
    trial = NULL;
    rc = 0;
done:
    if (trial) ol_trial_abandon(trial);
    ol_study_close(study);
    ol_storage_close(storage);
    ol_sampler_free(sampler);
    for (int i = 0; i < n_dists; i++) ol_distribution_free(&dists[i]);
    for (int i = 0; i < n_params; i++) {
        free(params[i].dist_json);
        params[i].dist_json = NULL;
        ol_param_spec_free(&params[i].spec);
    }
    return rc;
}
