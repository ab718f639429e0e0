/*
 * The JSON of `optlab serve` (src/serve/json.c) on a memory storage: the
 * overview's counts, best value and running trials, identical whether every
 * trial is read each time or the per-study cache reads only what changed
 * while trials start and finish; incremental study reads; markup kept as data;
 * running trials' heartbeat ages and stale flags (an SQLite storage whose
 * heartbeat row is set back 100 s, as a dead worker leaves it); the
 * experiment page's comparison and verdict, one run and three repetitions,
 * against values computed here from their definitions.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../src/serve/serve_internal.h"
#include "optlab/conventions.h"
#include "optlab/serve.h"
#include "optlab/storage.h"

static ol_error err;

static cJSON *overview(ol_storage *st, serve_cache *cache) {
    char *json = NULL;
    cr_assert_eq(serve_studies_json_cached(st, cache, 30, &json, &err), OL_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(json);
    free(json);
    cr_assert(j);
    cJSON *studies = cJSON_GetObjectItem(j, "studies");
    cJSON *s = cJSON_Duplicate(cJSON_GetArrayItem(studies, 0), 1);
    cJSON_Delete(j);
    return s;
}

static void same_summary(ol_storage *st, serve_cache *cache, int n_trials, int complete, int running, double best) {
    cJSON *cached = overview(st, cache), *fresh = overview(st, NULL);
    cJSON *ages[] = {cJSON_GetObjectItem(cached, "running"), cJSON_GetObjectItem(fresh, "running")};
    for (int k = 0; k < 2; k++) { /* ages depend on the clock: compare the rest */
        cJSON *r;
        cJSON_ArrayForEach(r, ages[k]) cJSON_DeleteItemFromObject(r, "age");
    }
    char *a = cJSON_PrintUnformatted(cached), *b = cJSON_PrintUnformatted(fresh);
    cr_assert_str_eq(a, b, "cached %s\nfresh  %s", a, b);
    cr_assert_eq(cJSON_GetObjectItem(cached, "n_trials")->valueint, n_trials, "%s", a);
    cJSON *states = cJSON_GetObjectItem(cached, "states");
    cr_assert_eq(cJSON_GetObjectItem(states, "COMPLETE")->valueint, complete, "%s", a);
    cr_assert_eq(cJSON_GetObjectItem(states, "RUNNING")->valueint, running, "%s", a);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cached, "running")), running, "%s", a);
    cr_assert_float_eq(cJSON_GetObjectItem(cached, "best")->valuedouble, best, 1e-12, "%s", a);
    free(a);
    free(b);
    cJSON_Delete(cached);
    cJSON_Delete(fresh);
}

Test(serve_json, overview_cache_follows_trials_that_start_and_finish) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    int64_t sid, t[4];
    int num;
    cr_assert_eq(ol_storage_create_study(st, "s", 0, &sid, &err), OL_OK); /* minimize */
    cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:n_trials", "4", &err), OL_OK);
    serve_cache *cache = serve_cache_new();
    for (int i = 0; i < 3; i++) cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t[i], &num, &err), OL_OK);
    same_summary(st, cache, 3, 0, 3, 0);
    double v1 = 2.5, v0 = 1.5;
    cr_assert_eq(ol_storage_finish_trial(st, t[1], OL_TRIAL_COMPLETE, &v1, &err), OL_OK);
    same_summary(st, cache, 3, 1, 2, 2.5);
    cr_assert_eq(ol_storage_finish_trial(st, t[0], OL_TRIAL_COMPLETE, &v0, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t[3], &num, &err), OL_OK);
    same_summary(st, cache, 4, 2, 2, 1.5);
    cr_assert_eq(ol_storage_finish_trial(st, t[2], OL_TRIAL_FAIL, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, t[3], OL_TRIAL_PRUNED, NULL, &err), OL_OK);
    same_summary(st, cache, 4, 2, 0, 1.5);
    serve_cache_free(cache);
    ol_storage_close(st);
}

/* A re-evaluation trial (optlab:reeval) is a retraining with a fresh seed, not a
 * point of the search: like the report, the overview never calls it the best. */
Test(serve_json, reevaluation_trials_are_never_the_best) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    int64_t sid, t0, t1;
    int num;
    cr_assert_eq(ol_storage_create_study(st, "s", 0, &sid, &err), OL_OK); /* minimize */
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t0, &num, &err), OL_OK);
    double v0 = 1.5, v1 = 0.5;
    cr_assert_eq(ol_storage_finish_trial(st, t0, OL_TRIAL_COMPLETE, &v0, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t1, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_system_attr(st, t1, OL_ATTR_REEVAL, "0", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_finish_trial(st, t1, OL_TRIAL_COMPLETE, &v1, &err), OL_OK);
    serve_cache *cache = serve_cache_new();
    same_summary(st, cache, 2, 2, 0, 1.5);
    cJSON *o = overview(st, cache);
    cr_assert_eq(cJSON_GetObjectItem(o, "best_number")->valueint, 0);
    cJSON_Delete(o);
    serve_cache_free(cache);
    ol_storage_close(st);
}

Test(serve_json, study_reads_incrementally_and_keeps_markup_as_data) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    const char *xss = "<script>alert(1)</script>";
    int64_t sid, t0, t1;
    int num;
    cr_assert_eq(ol_storage_create_study(st, xss, 1, &sid, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t0, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_attr(st, t0, xss, "\"<b>x</b>\"", &err), OL_OK);
    double v = 0.5;
    cr_assert_eq(ol_storage_finish_trial(st, t0, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t1, &num, &err), OL_OK);
    char *json = NULL;
    cr_assert_eq(ol_serve_study_json(st, xss, -1, NULL, 0, 30, &json, &err), OL_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(json);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "trials")), 2, "%s", json);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "study"), "name")->valuestring, xss);
    cJSON *attrs = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "trials"), 0), "user_attrs");
    cr_assert_str_eq(cJSON_GetObjectItem(attrs, xss)->valuestring, "<b>x</b>");
    cJSON_Delete(j);
    free(json);
    /* after t1 with t1 still open: only t1 comes back, n_total says 2 */
    cr_assert_eq(ol_serve_study_json(st, xss, t1, &t1, 1, 30, &json, &err), OL_OK, "%s", err.msg);
    j = cJSON_Parse(json);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "trials")), 1, "%s", json);
    cr_assert_eq(cJSON_GetObjectItem(j, "n_total")->valueint, 2);
    cJSON_Delete(j);
    free(json);
    cr_assert_eq(ol_serve_study_json(st, "absent", -1, NULL, 0, 30, &json, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

/* the "running" entry of the overview's first study for trial `number` */
static cJSON *running_entry(cJSON *summary, int number) {
    cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(summary, "running"))
        if (cJSON_GetObjectItem(r, "number")->valueint == number) return r;
    return NULL;
}

Test(serve_json, running_trials_carry_their_heartbeat_and_a_stale_flag) {
    char path[] = "/tmp/optlab-serve-hb-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path); /* the storage creates it */
    char url[64];
    snprintf(url, sizeof url, "sqlite:///%s", path);
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    int64_t sid, fresh, old, done;
    int num;
    cr_assert_eq(ol_storage_create_study(st, "hb", 1, &sid, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &done, &num, &err), OL_OK);
    double v = 0.9;
    cr_assert_eq(ol_storage_finish_trial(st, done, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &fresh, &num, &err), OL_OK); /* number 1 */
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &old, &num, &err), OL_OK);   /* number 2 */
    /* trial 2's worker last beat 100 s ago (heartbeats are stored in UTC, as Optuna does) */
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE trial_heartbeats SET heartbeat = strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-100 seconds') "
             "WHERE trial_id = %lld",
             (long long)old);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);

    ol_heartbeat_rec *hb = NULL;
    size_t n_hb = 0;
    cr_assert_eq(ol_storage_get_heartbeats(st, sid, &hb, &n_hb, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n_hb, 2, "only the RUNNING trials have a heartbeat listed");
    cr_assert_eq(hb[0].trial_id, fresh);
    cr_assert_eq(hb[1].trial_id, old);
    free(hb);

    serve_cache *cache = serve_cache_new();
    cJSON *s = overview(st, cache);
    double now = 0;
    {
        char *json = NULL;
        cr_assert_eq(serve_studies_json_cached(st, cache, 30, &json, &err), OL_OK);
        cJSON *j = cJSON_Parse(json);
        now = cJSON_GetObjectItem(j, "now")->valuedouble;
        cr_assert_float_eq(cJSON_GetObjectItem(j, "stale_after")->valuedouble, 30, 1e-12);
        cJSON_Delete(j);
        free(json);
    }
    cJSON *r1 = running_entry(s, 1), *r2 = running_entry(s, 2);
    cr_assert(r1 && r2);
    double age1 = now - cJSON_GetObjectItem(r1, "heartbeat")->valuedouble;
    double age2 = now - cJSON_GetObjectItem(r2, "heartbeat")->valuedouble;
    cr_assert(age1 >= 0 && age1 < 5, "a fresh trial's heartbeat is %g s old", age1);
    cr_assert(age2 > 95 && age2 < 110, "the old heartbeat reads %g s old, set 100 s ago", age2);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(r1, "stale")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(r2, "stale")));
    cJSON_Delete(s);

    /* the study page's JSON: the same for its RUNNING trials, nothing for finished ones */
    char *json = NULL;
    cr_assert_eq(ol_serve_study_json(st, "hb", -1, NULL, 0, 120, &json, &err), OL_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(json);
    cJSON *t;
    int seen = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "trials")) {
        int number = cJSON_GetObjectItem(t, "number")->valueint;
        cJSON *stale = cJSON_GetObjectItem(t, "stale");
        if (number == 0) cr_assert_null(stale, "a finished trial has no heartbeat: %s", json);
        else {
            cr_assert(cJSON_IsFalse(stale), "with a 120 s threshold nothing is stale: %s", json);
            cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(t, "heartbeat")));
            seen++;
        }
    }
    cr_assert_eq(seen, 2);
    cJSON_Delete(j);
    free(json);
    serve_cache_free(cache);
    ol_storage_close(st);
    unlink(path);
}

/* An experiment "e" of two optimizers ("<b>A</b>" and "B") over `reps`
 * repetitions: in repetition r the best trial of A has test accuracy
 * TEST_A[r], of B TEST_B[r]; valid-trial accuracy = test + 0.001. */
static const double TEST_A[3] = {0.97, 0.96, 0.98}, TEST_B[3] = {0.95, 0.955, 0.94};
/* The same for an experiment named exp whose repetition r has every test accuracy lowered by drop[r]
   (NULL: none). */
/* epochs trained by optimizer k's trial in repetition r; the baseline of experiment_against_a_baseline
   (the experiment made with a drop) trains more. Seconds are 1.5 per epoch. */
static int fixture_epochs(int baseline, int r, int k) { return (baseline ? 20 : 10) + 2 * r + k; }

static void add_experiment_named(ol_storage *st, const char *exp, int reps, const double *drop) {
    static const char *const opt[2] = {"a", "b"}, *const label[2] = {"\"<b>A</b>\"", "\"B\""};
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            char name[64], json[64];
            if (r) snprintf(name, sizeof name, "%s#r%d/%s", exp, r, opt[k]);
            else snprintf(name, sizeof name, "%s/%s", exp, opt[k]);
            int64_t sid, tid;
            int num;
            cr_assert_eq(ol_storage_create_study(st, name, 1, &sid, &err), OL_OK);
            snprintf(json, sizeof json, "\"%s\"", exp);
            cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:experiment", json, &err), OL_OK);
            cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:label", label[k], &err), OL_OK);
            snprintf(json, sizeof json, "%d", r);
            cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:repeat", json, &err), OL_OK);
            double test = (k == 0 ? TEST_A[r] : TEST_B[r]) - (drop ? drop[r] : 0), value = test + 0.001;
            cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &num, &err), OL_OK);
            cr_assert_eq(ol_storage_set_param(st, tid, "learning_rate", 0.001,
                                              "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, "
                                              "\"low\": 0.0001, \"high\": 0.01, \"log\": true}}",
                                              &err),
                         OL_OK);
            snprintf(json, sizeof json, "%.4f", test);
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, "test_accuracy", json, &err), OL_OK);
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, "status", "\"ok\"", &err), OL_OK);
            /* what it trained: the cost columns of experiment_against_a_baseline */
            snprintf(json, sizeof json, "%d", fixture_epochs(drop != NULL, r, k));
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, OL_ATTR_EPOCHS, json, &err), OL_OK);
            snprintf(json, sizeof json, "%.1f", 1.5 * fixture_epochs(drop != NULL, r, k));
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, OL_ATTR_SECONDS, json, &err), OL_OK);
            cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, &err), OL_OK);
        }
}

static void add_experiment(ol_storage *st, int reps) { add_experiment_named(st, "e", reps, NULL); }

static cJSON *experiment_json(ol_storage *st, const char *name) {
    char *json = NULL;
    cr_assert_eq(ol_serve_experiment_json(st, name, &json, &err), OL_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(json);
    free(json);
    cr_assert(j);
    return j;
}

static double num(cJSON *o, const char *key) {
    cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsNumber(v), "no number '%s'", key);
    return v->valuedouble;
}

Test(serve_json, experiment_one_run_ranks_by_test_accuracy_against_noise) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 1);
    cJSON *j = experiment_json(st, "e");
    cJSON *studies = cJSON_GetObjectItem(j, "studies");
    cr_assert_eq(cJSON_GetArraySize(studies), 2);
    cJSON *a = cJSON_GetArrayItem(studies, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(a, "label")->valuestring, "<b>A</b>"); /* markup stays data */
    cJSON *best = cJSON_GetObjectItem(a, "best");
    cr_assert_float_eq(num(best, "test"), TEST_A[0], 1e-9);
    cr_assert_float_eq(num(best, "valid"), TEST_A[0] + 0.001, 1e-9);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(best, "params"), "learning_rate")->valuestring, "0.001");
    cJSON *v = cJSON_GetObjectItem(j, "verdict");
    cr_assert_str_eq(cJSON_GetObjectItem(v, "kind")->valuestring, "single");
    cr_assert_str_eq(cJSON_GetObjectItem(v, "metric")->valuestring, "test");
    cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "ranking"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(second, "label")->valuestring, "B");
    /* the gap and twice the standard error of the difference on 10,000 test images (the default) */
    double p1 = TEST_A[0], p2 = TEST_B[0], n = 10000;
    cr_assert_float_eq(num(second, "gap"), p1 - p2, 1e-9);
    cr_assert_float_eq(num(second, "noise"), 2 * sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n), 1e-9);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(second, "within_noise"))); /* 2 pp against 0.55 pp */
    cJSON_Delete(j);
    char *json = NULL;
    cr_assert_eq(ol_serve_experiment_json(st, "nope", &json, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(serve_json, experiment_repetitions_give_means_cis_and_paired_tests) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 3);
    cJSON *j = experiment_json(st, "e");
    cr_assert_eq((int)num(j, "n_repetitions"), 3);
    cJSON *v = cJSON_GetObjectItem(j, "verdict");
    cr_assert_str_eq(cJSON_GetObjectItem(v, "kind")->valuestring, "repetitions");
    cr_assert_eq((int)num(v, "n"), 3);
    cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "ranking"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(top, "label")->valuestring, "<b>A</b>");
    cr_assert_float_eq(num(top, "mean"), (TEST_A[0] + TEST_A[1] + TEST_A[2]) / 3, 1e-9);
    cr_assert_eq((int)num(top, "first"), 3);
    /* A's 95 % CI half-width: t(0.975, 2) = 4.302653 times s/√3 */
    double m = (TEST_A[0] + TEST_A[1] + TEST_A[2]) / 3, ss = 0;
    for (int r = 0; r < 3; r++) ss += (TEST_A[r] - m) * (TEST_A[r] - m);
    cr_assert_float_eq(num(top, "half"), 4.302653 * sqrt(ss / 2) / sqrt(3), 1e-5);
    /* the one pair: mean difference and the paired t statistic, computed here from the definition */
    cJSON *pair = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "pairs"), 0);
    double d[3], md = 0, sd = 0;
    for (int r = 0; r < 3; r++) md += (d[r] = TEST_A[r] - TEST_B[r]) / 3;
    for (int r = 0; r < 3; r++) sd += (d[r] - md) * (d[r] - md) / 2;
    double sign = strcmp(cJSON_GetObjectItem(pair, "a")->valuestring, "B") ? 1 : -1;
    cr_assert_float_eq(sign * num(pair, "diff"), md, 1e-9);
    cr_assert_float_eq(sign * num(pair, "t"), md / sqrt(sd / 3), 1e-6);
    cr_assert_float_eq(num(pair, "p_flip"), 0.25, 1e-12); /* all 3 differences positive: 2 of 8 sign patterns */
    cJSON_Delete(j);
    ol_storage_close(st);
}

/* Issue 17.5: with re-evaluation trials in every repetition, the experiment JSON also compares the
 * repetitions' re-evaluated results: in repetition r, trial 0's configuration of A is retrained with
 * seeds 0 and 1, test accuracies RE_A[r][0..1] (valid = test + 0.002), of B RE_B[r][0..1]. */
static const double RE_A[3][2] = {{0.90, 0.92}, {0.91, 0.95}, {0.93, 0.93}}, RE_B[3][2] = {{0.89, 0.89}, {0.90, 0.92}, {0.88, 0.90}};
static void add_reevaluations(ol_storage *st) {
    ol_study_rec *studies = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_list_studies(st, &studies, &n, &err), OL_OK);
    for (size_t i = 0; i < n; i++) {
        int r = strstr(studies[i].name, "#r") ? atoi(strstr(studies[i].name, "#r") + 2) : 0;
        int b = studies[i].name[strlen(studies[i].name) - 1] == 'b';
        for (int k = 0; k < 2; k++) {
            int64_t tid;
            int number;
            char json[32];
            double test = b ? RE_B[r][k] : RE_A[r][k], value = test + 0.002;
            cr_assert_eq(ol_storage_create_trial(st, studies[i].study_id, 0, &tid, &number, &err), OL_OK);
            cr_assert_eq(ol_storage_set_trial_system_attr(st, tid, OL_ATTR_REEVAL, "0", &err), OL_OK);
            snprintf(json, sizeof json, "%d", k);
            cr_assert_eq(ol_storage_set_trial_system_attr(st, tid, OL_ATTR_REEVAL_SEED, json, &err), OL_OK);
            snprintf(json, sizeof json, "%.4f", test);
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, "test_accuracy", json, &err), OL_OK);
            cr_assert_eq(ol_storage_set_trial_attr(st, tid, "status", "\"ok\"", &err), OL_OK);
            cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, &err), OL_OK);
        }
    }
    ol_studies_free(studies, n);
}

Test(serve_json, experiment_repetitions_compare_reevaluated_results) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 1);
    add_reevaluations(st);
    cJSON *j = experiment_json(st, "e");
    cr_assert_null(cJSON_GetObjectItem(j, "reevaluated"), "one repetition has no comparison across repetitions");
    cJSON_Delete(j);
    ol_storage_close(st);
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 3);
    add_reevaluations(st);
    j = experiment_json(st, "e");
    /* the search's verdict is unchanged by the re-evaluation trials */
    cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "verdict"), "ranking"), 0);
    cr_assert_float_eq(num(top, "mean"), (TEST_A[0] + TEST_A[1] + TEST_A[2]) / 3, 1e-9);
    cJSON *re = cJSON_GetObjectItem(j, "reevaluated");
    cr_assert(re, "no reevaluated block");
    cr_assert_str_eq(cJSON_GetObjectItem(re, "kind")->valuestring, "reevaluated");
    cr_assert_eq((int)num(re, "n"), 3);
    double ma = 0, mb = 0;
    for (int r = 0; r < 3; r++) ma += (RE_A[r][0] + RE_A[r][1]) / 6, mb += (RE_B[r][0] + RE_B[r][1]) / 6;
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(re, "ranking"), 0);
    cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(re, "ranking"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "label")->valuestring, "<b>A</b>");
    cr_assert_float_eq(num(first, "mean"), ma, 1e-9);
    cr_assert_float_eq(num(second, "mean"), mb, 1e-9);
    cr_assert_float_eq(num(second, "below_first"), ma - mb, 1e-9);
    cJSON_Delete(j);
    ol_storage_close(st);
}

/* A repetition still running is left out of both verdicts and listed in left_out with how far it got:
   here repetition 2's B has 1 of its 3 trials (optlab:n_trials), as when `optlab run --repeat 3` is
   part-way through it. */
Test(serve_json, experiment_leaves_out_a_running_repetition) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 3);
    add_reevaluations(st);
    int64_t sid = -1;
    int maximize = 0;
    cr_assert_eq(ol_storage_find_study(st, "e#r2/b", &sid, &maximize, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_study_attr(st, sid, OL_ATTR_N_TRIALS, "3", &err), OL_OK);
    cJSON *j = experiment_json(st, "e");
    cJSON *v = cJSON_GetObjectItem(j, "verdict"), *re = cJSON_GetObjectItem(j, "reevaluated");
    cr_assert_eq((int)num(v, "n"), 2, "the running repetition counted");
    cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "ranking"), 0);
    cr_assert_float_eq(num(top, "mean"), (TEST_A[0] + TEST_A[1]) / 2, 1e-9);
    cr_assert(re, "no reevaluated block");
    cr_assert_eq((int)num(re, "n"), 2, "the running repetition's re-evaluation counted");
    cJSON *left = cJSON_GetObjectItem(v, "left_out");
    cr_assert_eq(cJSON_GetArraySize(left), 1);
    cJSON *rep = cJSON_GetArrayItem(left, 0);
    cr_assert_eq((int)num(rep, "repetition"), 2);
    cJSON *studies = cJSON_GetObjectItem(rep, "studies");
    cr_assert_eq(cJSON_GetArraySize(studies), 1, "only B is unfinished");
    cJSON *b = cJSON_GetArrayItem(studies, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(b, "label")->valuestring, "B");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "stage")->valuestring, "search");
    cr_assert_eq((int)num(b, "done"), 1);
    cr_assert_eq((int)num(b, "of"), 3);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(re, "left_out")), 1);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(rep, "not_started")), "repetition 2 has begun");
    cJSON_Delete(j);
    ol_storage_close(st);
}

/* `optlab run --repeat R` stores every repetition's studies before the first trial: a repetition whose
   studies hold no trial is left out as not started as a whole (the page's "repetition 3 (not started)"),
   each study with stage not_started. */
Test(serve_json, experiment_marks_a_repetition_not_started) {
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 3);
    static const char *const names[2] = {"e#r3/a", "e#r3/b"};
    for (int k = 0; k < 2; k++) {
        int64_t sid;
        cr_assert_eq(ol_storage_create_study(st, names[k], 1, &sid, &err), OL_OK);
        cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:experiment", "\"e\"", &err), OL_OK);
        cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:label", k ? "\"B\"" : "\"<b>A</b>\"", &err), OL_OK);
        cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:repeat", "3", &err), OL_OK);
        cr_assert_eq(ol_storage_set_study_attr(st, sid, OL_ATTR_N_TRIALS, "1", &err), OL_OK);
    }
    cJSON *j = experiment_json(st, "e");
    cJSON *v = cJSON_GetObjectItem(j, "verdict");
    cr_assert_eq((int)num(v, "n"), 3, "the unbegun repetition counted");
    cJSON *left = cJSON_GetObjectItem(v, "left_out");
    cr_assert_eq(cJSON_GetArraySize(left), 1);
    cJSON *rep = cJSON_GetArrayItem(left, 0);
    cr_assert_eq((int)num(rep, "repetition"), 3);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "not_started")), "repetition 3 has not begun");
    cJSON *studies = cJSON_GetObjectItem(rep, "studies");
    cr_assert_eq(cJSON_GetArraySize(studies), 2);
    for (int k = 0; k < 2; k++)
        cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(studies, k), "stage")->valuestring, "not_started");
    cJSON_Delete(j);
    ol_storage_close(st);
}

/* "Against a baseline": experiment e against f, which is e with every test accuracy of repetition r lowered
   by DROP[r], so e − f = DROP[r] for both optimizers, paired by repetition. The numbers are the report's
   (rp_baseline_vs); here checked against the t distribution with 2 degrees of freedom in closed form. */
Test(serve_json, experiment_against_a_baseline) {
    static const double DROP[3] = {0.01, 0.02, 0.015};
    ol_storage *st = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    add_experiment(st, 3);
    add_experiment_named(st, "f", 3, DROP);
    char *json = NULL;
    cr_assert_eq(ol_serve_experiment_vs_json(st, "e", "f", &json, &err), OL_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(json);
    free(json);
    cr_assert(j);
    cJSON *b = cJSON_GetObjectItem(j, "baseline");
    cr_assert(b, "no baseline block");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "experiment")->valuestring, "f");
    cJSON *opts = cJSON_GetObjectItem(b, "optimizers");
    cr_assert_eq(cJSON_GetArraySize(opts), 2);
    double md = (DROP[0] + DROP[1] + DROP[2]) / 3, sd = 0;
    for (int r = 0; r < 3; r++) sd += (DROP[r] - md) * (DROP[r] - md) / 2;
    double t = md / sqrt(sd / 3), p = 1 - t / sqrt(t * t + 2); /* two-sided, 2 degrees of freedom */
    for (int k = 0; k < 2; k++) {
        cJSON *o = cJSON_GetArrayItem(opts, k);
        const double *x = k ? TEST_B : TEST_A;
        cr_assert_str_eq(cJSON_GetObjectItem(o, "label")->valuestring, k ? "B" : "<b>A</b>");
        cr_assert_eq((int)num(o, "n"), 3);
        cJSON *test = cJSON_GetObjectItem(o, "test");
        cr_assert_float_eq(num(test, "mean"), (x[0] + x[1] + x[2]) / 3, 1e-9);
        cr_assert_float_eq(num(test, "base_mean"), (x[0] + x[1] + x[2]) / 3 - md, 1e-9);
        cr_assert_float_eq(num(test, "diff"), md, 1e-9);
        cr_assert_float_eq(num(test, "p_t"), p, 1e-3, "paired t p %g, expected %g", num(test, "p_t"), p);
        cr_assert_float_eq(num(test, "p_flip"), 2.0 / 8, 1e-12); /* all three differences positive: 2 of 2^3 */
        cr_assert_float_eq(num(cJSON_GetObjectItem(o, "valid"), "diff"), md, 1e-9);
        cJSON *tb = cJSON_GetObjectItem(o, "to_best"); /* one trial per study: each search's best is its first */
        cr_assert_float_eq(num(tb, "mean"), 1, 1e-12);
        cr_assert_float_eq(num(tb, "diff"), 0, 1e-12);
        cJSON *cost = cJSON_GetObjectItem(o, "cost"); /* summed over the 3 paired repetitions */
        int ep = 0, base_ep = 0;
        for (int r = 0; r < 3; r++) ep += fixture_epochs(0, r, k), base_ep += fixture_epochs(1, r, k);
        cr_assert_eq((int)num(cost, "epochs"), ep);
        cr_assert_eq((int)num(cost, "base_epochs"), base_ep);
        cr_assert_float_eq(num(cost, "seconds"), 1.5 * ep, 1e-9);
        cr_assert_float_eq(num(cost, "base_seconds"), 1.5 * base_ep, 1e-9);
        cr_assert_eq((int)num(cost, "pruned"), 0);
        cr_assert_eq((int)num(cost, "trials"), 3);
    }
    cJSON_Delete(j);
    cr_assert_eq(ol_serve_experiment_vs_json(st, "e", "nope", &json, &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "nope"), "%s", err.msg);
    cr_assert_eq(ol_serve_experiment_vs_json(st, "e", "e", &json, &err), OL_EINVAL);
    cr_assert(json == NULL);
    /* without a baseline there is no block */
    cr_assert_eq(ol_serve_experiment_vs_json(st, "e", NULL, &json, &err), OL_OK);
    cr_assert(!strstr(json, "\"baseline\""));
    free(json);
    ol_storage_close(st);
}
