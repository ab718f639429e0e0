/*
 * test_engine.c — the experiment layer as a library (optlab/experiment.h),
 * in C only: a synthetic 8×8 two-class corpus, a one-layer model, the
 * memory backend for the trial objective and a temporary SQLite file for the
 * worker loop (whose workers open their own connections, which memory:
 * cannot share). Covers the trial objective's outcomes and attributes, the
 * two defects of issue 12 (test accuracy after a failed evaluation; JSON
 * attribute values cut short by a fixed buffer), the worker loop's events
 * and stop flag, the shared parameter-spec grammar, and study naming.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optlab/experiment.h"
#include "../../src/experiment/experiment_internal.h"

#define SIDE 8

static const char *TINY =
    "[experiment]\nname = eng\ntrain = 64\nvalid_epoch = 32\nvalid_trial = 32\ntest = 40\n"
    "batch_size = 16\npatience = 2\nmax_epochs = 3\ntrials = 3\nsampler = random\nseed = 5\n"
    "model = flatten linear10 softmax\n"
    "[optimizer sgd]\nlearning_rate = log 1e-2 0.5\nmomentum = 0.9\n"
    "[optimizer adam as adam-logits]\nloss = logits\nlearning_rate = log 1e-3 1e-1\n";

/* Two classes a linear model can tell apart: bright left half (0) or right half (1), some noise. */
static void synthetic_corpus(ol_corpus *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "mnist");
    c->height = c->width = SIDE;
    c->num_classes = 10;
    c->train_n = 200;
    c->test_n = 60;
    c->train_images = malloc((size_t)c->train_n * SIDE * SIDE);
    c->train_labels = malloc((size_t)c->train_n);
    c->test_images = malloc((size_t)c->test_n * SIDE * SIDE);
    c->test_labels = malloc((size_t)c->test_n);
    uint32_t state = 12345;
    for (int part = 0; part < 2; part++) {
        int n = part ? c->test_n : c->train_n;
        uint8_t *img = part ? c->test_images : c->train_images, *lab = part ? c->test_labels : c->train_labels;
        for (int i = 0; i < n; i++) {
            lab[i] = (uint8_t)(i % 2);
            for (int p = 0; p < SIDE * SIDE; p++) {
                state = state * 1664525u + 1013904223u;
                int bright = ((p % SIDE) < SIDE / 2) == (lab[i] == 0);
                img[(size_t)i * SIDE * SIDE + p] = (uint8_t)((bright ? 160 : 20) + (state >> 28));
            }
        }
    }
}

static ol_experiment g_exp;
static ol_exp_runner g_run;

static void setup_runner(const char *url) {
    ol_error err;
    cr_assert_eq(ol_experiment_parse_string(&g_exp, TINY, "tiny.ini", &err), OL_OK, "%s", err.msg);
    ol_exp_runner_init(&g_run, &g_exp, url, 0);
    cr_assert_eq(ol_exp_add_studies(&g_run, 0, 1, NULL, &err), 2);
    ol_corpus c;
    synthetic_corpus(&c);
    ol_split_sizes sizes = {g_exp.train, g_exp.valid_epoch, g_exp.valid_trial, g_exp.test};
    cr_assert_eq(ol_splits_make(&g_run.splits, &c, &sizes, g_exp.seed, &err), OL_OK, "%s", err.msg);
    ol_corpus_free(&c);
}

static void teardown_runner(void) {
    ol_exp_runner_free(&g_run);
    ol_experiment_free(&g_exp);
}

/* One trial of study k on a memory storage; returns the status; *rec gets the stored trial. */
static ol_status one_trial(int k, ol_exp_trial_result *res, ol_trial_rec **recs, size_t *n, ol_storage **st_out,
                           ol_error *err) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", err), OL_OK);
    cr_assert_eq(ol_exp_prepare(&g_run, st, OL_EXP_CREATE, NULL, err), OL_OK, "%s", err->msg);
    ol_sampler *sampler = NULL;
    cr_assert_eq(ol_sampler_new_by_name(&sampler, "random", err), OL_OK);
    ol_model *model = NULL;
    cr_assert_eq(ol_model_create(&model, g_exp.model, 1, SIDE, SIDE, g_exp.batch_size, err), OL_OK, "%s", err->msg);
    const ol_exp_study *s = &g_run.studies[k];
    ol_study *study = NULL;
    ol_study_options so = {.name = s->name, .maximize = 1, .seed = 1, .n_trials = g_run.trials, .sampler = sampler};
    cr_assert_eq(ol_study_open(&study, st, &so, err), OL_OK);
    ol_status rc = ol_exp_run_trial(&g_run, st, study, s, model, res, err);
    ol_error e2;
    cr_assert_eq(ol_storage_get_trials(st, s->id, recs, n, &e2), OL_OK);
    ol_study_close(study);
    ol_model_free(model);
    ol_sampler_free(sampler);
    *st_out = st;
    return rc;
}

Test(engine, trial_objective_on_memory, .init = NULL) {
    setup_runner("memory:");
    ol_exp_trial_result res;
    ol_trial_rec *recs = NULL;
    size_t n = 0;
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(one_trial(0, &res, &recs, &n, &st, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(res.number, 0);
    cr_assert_eq(res.state, OL_TRIAL_COMPLETE);
    cr_assert_eq(recs[0].state, OL_TRIAL_COMPLETE);
    cr_assert(recs[0].has_value && recs[0].value == res.value && res.value > 0.6,
              "a linear model separates the halves: valid-trial accuracy %g", res.value);
    cr_assert_str_eq(res.status, OL_TRIAL_STATUS_OK);
    const ol_attr_rec *ua = recs[0].user_attrs;
    size_t nu = recs[0].n_user_attrs;
    cr_assert_not_null(ol_attr_find(ua, nu, OL_ATTR_TEST_ACCURACY), "the first trial is the best so far");
    cr_assert_str_eq(ol_attr_find(ua, nu, OL_ATTR_STATUS), "\"ok\"");
    char epochs[16];
    snprintf(epochs, sizeof epochs, "%d", res.epochs);
    cr_assert_str_eq(ol_attr_find(ua, nu, OL_ATTR_EPOCHS), epochs);
    cJSON *loss = cJSON_Parse(ol_attr_find(ua, nu, OL_ATTR_TRAIN_LOSS));
    cr_assert(cJSON_IsArray(loss) && cJSON_GetArraySize(loss) == res.epochs);
    cJSON_Delete(loss);
    cr_assert_not_null(ol_attr_find(recs[0].system_attrs, recs[0].n_system_attrs, OL_SYSATTR_DIAGNOSTICS),
                       "diagnostics are a system attribute");
    cr_assert_null(ol_attr_find(ua, nu, OL_ATTR_DIAGNOSTICS_LEGACY), "no wide user attribute for optuna trials");
    cr_assert_eq(recs[0].n_params, 1, "momentum is fixed, only learning_rate is searched");
    cr_assert_str_eq(recs[0].params[0].name, "learning_rate");
    cr_assert_not_null(ol_attr_find(recs[0].system_attrs, recs[0].n_system_attrs, OL_ATTR_WORKER));
    ol_trials_free(recs, n);
    ol_storage_close(st);
    teardown_runner();
}

/* Defect 1 of issue 12: the test accuracy was formatted even when its evaluation failed. */
Test(engine, failed_test_evaluation_fails_the_trial_without_a_test_accuracy) {
    setup_runner("memory:");
    ol_dataset_free(&g_run.splits.test); /* an empty test split: evaluation fails */
    ol_exp_trial_result res;
    ol_trial_rec *recs = NULL;
    size_t n = 0;
    ol_storage *st = NULL;
    ol_error err;
    ol_status rc = one_trial(1, &res, &recs, &n, &st, &err);
    cr_assert_neq(rc, OL_OK, "a failed test evaluation is an error");
    cr_assert(strstr(err.msg, "test accuracy") && strstr(err.msg, "empty dataset"), "message: %s", err.msg);
    cr_assert(strstr(err.msg, "eng/adam-logits trial 0"), "message names the study and trial: %s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(recs[0].state, OL_TRIAL_FAIL);
    cr_assert_null(ol_attr_find(recs[0].user_attrs, recs[0].n_user_attrs, OL_ATTR_TEST_ACCURACY));
    ol_trials_free(recs, n);
    ol_storage_close(st);
    teardown_runner();
}

/* Defect 2 of issue 12: JSON attribute values were cut at a 2,048-byte buffer. */
Test(engine, long_json_attributes_are_stored_whole) {
    setup_runner("memory:");
    size_t len = 6000;
    char *spec = malloc(len + 1);
    memset(spec, ' ', len);
    memcpy(spec, "flatten", 7);
    memcpy(spec + len - 20, "linear10 \"softmax\"\\ ", 20);
    spec[len] = '\0';
    free(g_exp.model);
    g_exp.model = spec;
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    cr_assert_eq(ol_exp_prepare(&g_run, st, OL_EXP_CREATE, NULL, &err), OL_OK, "%s", err.msg);
    ol_attr_rec *attrs = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_get_study_attrs(st, g_run.studies[0].id, &attrs, &n, &err), OL_OK);
    cJSON *model = cJSON_Parse(ol_attr_find(attrs, n, OL_ATTR_MODEL));
    cr_assert(cJSON_IsString(model), "optlab:model is a whole JSON string");
    cr_assert_str_eq(model->valuestring, spec);
    cJSON_Delete(model);
    cJSON *fixed = cJSON_Parse(ol_attr_find(attrs, n, OL_ATTR_FIXED));
    cr_assert(cJSON_IsObject(fixed) && cJSON_GetObjectItem(fixed, "momentum")->valuedouble == 0.9);
    cJSON_Delete(fixed);
    cr_assert_str_eq(ol_attr_find(attrs, n, OL_ATTR_LOSS), "\"reference\"");
    ol_attrs_free(attrs, n);
    ol_storage_close(st);
    teardown_runner();
}

typedef struct {
    int done, other;
    int stop_after;
    ol_exp_runner *r;
} event_log;

static void on_event(void *user, const ol_exp_event *ev) {
    event_log *log = user;
    if (ev->kind == OL_EXP_EVENT_TRIAL_DONE) {
        log->done++;
        if (log->stop_after && log->done >= log->stop_after) log->r->stop = 15;
    } else {
        log->other++;
    }
}

static void sqlite_url(char *url, size_t n, char *path, size_t pn) {
    snprintf(path, pn, "/tmp/optlab-test-engine-%ld.db", (long)getpid());
    unlink(path);
    snprintf(url, n, "sqlite:///%s", path);
}

Test(engine, worker_loop_fills_every_study_and_reports_each_trial) {
    char path[128], url[160];
    sqlite_url(url, sizeof url, path, sizeof path);
    setup_runner(url);
    event_log log = {.r = &g_run};
    g_run.on_event = on_event;
    g_run.user = &log;
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_exp_prepare(&g_run, st, OL_EXP_CREATE, NULL, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_exp_worker_run(&g_run, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(log.done, 2 * g_run.trials);
    for (int i = 0; i < g_run.n_studies; i++) {
        ol_trial_rec *recs = NULL;
        size_t n = 0;
        cr_assert_eq(ol_storage_get_trials(st, g_run.studies[i].id, &recs, &n, &err), OL_OK);
        ol_exp_progress p;
        ol_exp_progress_count(recs, n, &p);
        cr_assert_eq(p.done, g_run.trials, "%s: %d done", g_run.studies[i].name, p.done);
        cr_assert_eq(p.running, 0);
        ol_trials_free(recs, n);
    }
    ol_storage_close(st);
    teardown_runner();
    unlink(path);
}

Test(engine, stop_flag_ends_the_loop_after_the_trial) {
    char path[128], url[160];
    sqlite_url(url, sizeof url, path, sizeof path);
    setup_runner(url);
    event_log log = {.r = &g_run, .stop_after = 1};
    g_run.on_event = on_event;
    g_run.user = &log;
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_exp_prepare(&g_run, st, OL_EXP_CREATE, NULL, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_exp_worker_run(&g_run, &err), OL_ESTOPPED);
    cr_assert_eq(log.done, 1, "one trial, then the stop flag was seen");
    ol_storage_close(st);
    teardown_runner();
    unlink(path);
}

Test(engine, existing_study_of_another_loss_is_refused) {
    setup_runner("memory:");
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    cr_assert_eq(ol_exp_prepare(&g_run, st, OL_EXP_CREATE, NULL, &err), OL_OK, "%s", err.msg);
    /* a storage written before the rename says "seed" for the reference loss: still the same loss */
    cr_assert_eq(ol_storage_set_study_attr(st, g_run.studies[0].id, OL_ATTR_LOSS, "\"seed\"", &err), OL_OK);
    cr_assert_eq(ol_exp_check_existing(st, &g_run.studies[0], &g_exp, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_study_attr(st, g_run.studies[0].id, OL_ATTR_LOSS, "\"logits\"", &err), OL_OK);
    cr_assert_neq(ol_exp_check_existing(st, &g_run.studies[0], &g_exp, &err), OL_OK);
    cr_assert(strstr(err.msg, "loss"), "%s", err.msg);
    ol_storage_close(st);
    teardown_runner();
}

/* ---- one grammar for search spaces ---- */

static char *spec_json(const char *text) {
    ol_param_spec p;
    ol_error err;
    cr_assert_eq(ol_param_spec_parse(text, 1, &p, &err), OL_OK, "%s: %s", text, err.msg);
    cr_assert(!p.fixed);
    char *j = ol_distribution_to_json(&p.dist);
    ol_param_spec_free(&p);
    return j;
}

Test(engine, word_and_colon_forms_give_the_same_distribution) {
    const char *pairs[][2] = {{"log 1e-4 1e-2", "float:1e-4:1e-2:log"},
                              {"0.8 0.95", "float:0.8:0.95"},
                              {"int 1 8", "int:1:8"},
                              {"int log 1 64", "int:1:64:log"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *a = spec_json(pairs[i][0]), *b = spec_json(pairs[i][1]);
        cr_assert_str_eq(a, b, "'%s' vs '%s'", pairs[i][0], pairs[i][1]);
        free(a);
        free(b);
    }
    char *c = spec_json("choice 0 1");
    cr_assert_str_eq(c, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [0.0, 1.0]}}");
    free(c);
    char *s = spec_json("cat:relu,tanh");
    cr_assert(strstr(s, "[\"relu\", \"tanh\"]"), "%s", s);
    free(s);
}

Test(engine, param_spec_errors_and_fixed_values) {
    ol_param_spec p;
    ol_error err;
    cr_assert_eq(ol_param_spec_parse("1e-8", 1, &p, &err), OL_OK);
    cr_assert(p.fixed && p.value == 1e-8);
    cr_assert_eq(ol_param_spec_parse("true", 1, &p, &err), OL_OK);
    cr_assert(p.fixed && p.value == 1);
    cr_assert_neq(ol_param_spec_parse("1e-8", 0, &p, &err), OL_OK, "a fixed value where a space is needed");
    cr_assert_neq(ol_param_spec_parse("0.9 0.1", 1, &p, &err), OL_OK);
    cr_assert(strstr(err.msg, "low 0.9 must be below high 0.1"), "%s", err.msg);
    cr_assert_neq(ol_param_spec_parse("float:1:0", 1, &p, &err), OL_OK);
    cr_assert_neq(ol_param_spec_parse("real:0:1", 1, &p, &err), OL_OK);
    cr_assert(strstr(err.msg, "unknown kind 'real'"), "%s", err.msg);
    cr_assert_neq(ol_param_spec_parse("log 0 1", 1, &p, &err), OL_OK);
    cr_assert(strstr(err.msg, "log scale needs low > 0"), "%s", err.msg);
    cr_assert_neq(ol_param_spec_parse("choice 1 1", 1, &p, &err), OL_OK);
    cr_assert(strstr(err.msg, "listed twice"), "%s", err.msg);
    /* int bounds beyond 2^53 (not exact in a double) and zero steps are refused, the text named */
    const char *bad[][2] = {{"int:1:99999999999999999999", "int high '99999999999999999999' is out of range"},
                            {"int 1 99999999999999999999", "int high '99999999999999999999' is out of range"},
                            {"int:-9007199254740993:0", "int low '-9007199254740993' is out of range"},
                            {"int:1:10:step=0", "step=0 must be a positive whole number"},
                            {"int:1:10:step=-2", "step=-2 must be a positive whole number"},
                            {"float:0:1:step=0", "step=0 must be positive"},
                            {"float:0:1:step=x", "step 'x' is not a number"},
                            {"int:1.5:10", "int low '1.5' is not a whole number"},
                            {"int 1 8.5", "int high '8.5' is not a whole number"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(ol_param_spec_parse(bad[i][0], 1, &p, &err), OL_OK, "%s was accepted", bad[i][0]);
        cr_assert(strstr(err.msg, bad[i][1]), "%s: %s", bad[i][0], err.msg);
    }
    cr_assert_eq(ol_param_spec_parse("int:-9007199254740992:9007199254740992:step=2", 1, &p, &err), OL_OK, "%s",
                 err.msg);
    ol_param_spec_free(&p);
    /* cat: JSON numbers, true, false and null keep their type (as Optuna's CLI stores them) */
    cr_assert_eq(ol_param_spec_parse("cat:1,a,true,null,2.5", 0, &p, &err), OL_OK, "%s", err.msg);
    char *j = ol_distribution_to_json(&p.dist);
    cr_assert(strstr(j, "[1, \"a\", true, null, 2.5]"), "%s", j);
    free(j);
    ol_param_spec_free(&p);
    cr_assert_eq(ol_param_spec_parse("choice 0.5 2", 1, &p, &err), OL_OK);
    cr_assert_eq(ol_param_spec_choice_value(&p, 1), 2.0);
    cr_assert(isnan(ol_param_spec_choice_value(&p, 2)));
    ol_param_spec_free(&p);
}

/* ---- conventions ---- */

Test(engine, study_names_round_trip) {
    char name[128];
    ol_study_name_make(name, sizeof name, "seed", 0, "adam");
    cr_assert_str_eq(name, "seed/adam");
    ol_study_name_make(name, sizeof name, "seed", 3, "adamw-logits");
    cr_assert_str_eq(name, "seed#r3/adamw-logits");
    size_t elen = 0;
    int rep = -1;
    const char *study = ol_study_name_parse(name, &elen, &rep);
    cr_assert_eq(elen, 4);
    cr_assert_eq(rep, 3);
    cr_assert_str_eq(study, "adamw-logits");
    cr_assert_str_eq(ol_study_name_parse("plain", &elen, &rep), "plain");
    cr_assert_eq(rep, 0);
    cr_assert(ol_loss_name_is_reference("reference") && ol_loss_name_is_reference("\"seed\""));
    cr_assert(!ol_loss_name_is_reference("logits") && !ol_loss_name_is_reference("\"seeds\""));
}

/* Two workers that pick the same re-evaluation slot at once both create a trial;
 * the higher number must give up: FAIL, status "duplicate", reported as lost,
 * with no parameters trained. Replayed here without a race: the same slot is
 * run twice in a row, so the second trial sees the first holding it. */
Test(engine, reeval_duplicate_slot_gives_up) {
    setup_runner("memory:");
    ol_exp_trial_result res;
    ol_trial_rec *recs = NULL;
    size_t n = 0;
    ol_storage *st = NULL;
    ol_error err;
    cr_assert_eq(one_trial(0, &res, &recs, &n, &st, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(recs[0].state, OL_TRIAL_COMPLETE);
    ol_sampler *sampler = NULL;
    cr_assert_eq(ol_sampler_new_by_name(&sampler, "random", &err), OL_OK);
    ol_model *model = NULL;
    cr_assert_eq(ol_model_create(&model, g_exp.model, 1, SIDE, SIDE, g_exp.batch_size, &err), OL_OK, "%s", err.msg);
    const ol_exp_study *s = &g_run.studies[0];
    ol_study *study = NULL;
    ol_study_options so = {.name = s->name, .maximize = 1, .seed = 1, .sampler = sampler,
                           .ignore_attr = OL_ATTR_REEVAL};
    cr_assert_eq(ol_study_open(&study, st, &so, &err), OL_OK, "%s", err.msg);
    exp_reeval_slot slot = {&recs[0], 0};
    ol_exp_trial_result first, second;
    cr_assert_eq(exp_run_trial(&g_run, st, study, s, model, &slot, &first, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(first.state, OL_TRIAL_COMPLETE);
    cr_assert_not(first.lost);
    cr_assert_eq(exp_run_trial(&g_run, st, study, s, model, &slot, &second, &err), OL_OK, "%s", err.msg);
    cr_assert(second.lost, "the second trial of a held slot gives up");
    cr_assert_str_eq(second.status, OL_TRIAL_STATUS_DUPLICATE);
    cr_assert_gt(second.number, first.number);
    ol_trial_rec *all = NULL;
    size_t m = 0;
    cr_assert_eq(ol_storage_get_trials(st, s->id, &all, &m, &err), OL_OK);
    cr_assert_eq(m, 3);
    const ol_trial_rec *dup = &all[2];
    cr_assert_eq(dup->number, second.number);
    cr_assert_eq(dup->state, OL_TRIAL_FAIL);
    cr_assert_str_eq(ol_attr_find(dup->user_attrs, dup->n_user_attrs, OL_ATTR_STATUS), "\"" OL_TRIAL_STATUS_DUPLICATE "\"");
    cr_assert_eq(all[1].state, OL_TRIAL_COMPLETE, "the first holder keeps its slot");
    int taken = 0;
    cr_assert_eq(exp_reeval_slot_taken(st, s->id, first.number, &slot, &taken, &err), OL_OK);
    cr_assert_not(taken, "no lower-numbered trial holds the slot against its first holder");
    ol_trials_free(all, m);
    ol_study_close(study);
    ol_model_free(model);
    ol_sampler_free(sampler);
    ol_trials_free(recs, n);
    ol_storage_close(st);
    teardown_runner();
}
