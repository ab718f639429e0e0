/*
 * test_sqlite.c — the SQLite backend against the storage contract
 * (include/optlab/storage.h): round trips of everything a trial holds, state
 * rules, the trial budget, stale-trial detection, several processes creating
 * trials at once, and files it must refuse without touching them (not SQLite,
 * another schema, another Optuna revision, corrupt, unwritable places).
 * Interop with Optuna itself is tests/storage/optuna_interop.sh.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "optlab/storage.h"

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/optlab-sqlite-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) cr_log_warn("could not remove %s", tmpdir);
}

TestSuite(sqlite, .init = make_tmpdir, .fini = remove_tmpdir);

static void path_in_tmp(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", tmpdir, name); }

static ol_storage *open_file(const char *name) {
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/%s", tmpdir, name); /* tmpdir is absolute: sqlite:////tmp/... */
    ol_storage *st = NULL;
    ol_error err = {0};
    ol_status s = ol_storage_open(&st, url, &err);
    cr_assert_eq(s, OL_OK, "open %s: %s", url, err.msg);
    return st;
}

static ol_status try_open(const char *path, ol_error *err) {
    char url[600];
    snprintf(url, sizeof url, "sqlite:///%s", path);
    ol_storage *st = NULL;
    ol_status s = ol_storage_open(&st, url, err);
    if (st) ol_storage_close(st);
    return s;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Whole file contents (caller frees); *n its size. */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

/* Run SQL on the file directly (test set-up that the API cannot do). */
static void raw_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

static long long raw_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s", sql);
    long long v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void raw_text(const char *path, const char *sql, char *out, size_t cap) {
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s", sql);
    snprintf(out, cap, "%s", sqlite3_column_text(q, 0) ? (const char *)sqlite3_column_text(q, 0) : "(null)");
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static const char *LOG_DIST =
    "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, \"high\": 0.01, \"log\": true}}";
static const char *CAT_DIST = "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"a\", \"b\"]}}";

Test(sqlite, new_file_has_optuna_schema_and_wal) {
    ol_storage *st = open_file("new.db");
    ol_storage_close(st);
    char path[512], text[64];
    path_in_tmp(path, sizeof path, "new.db");
    raw_text(path, "SELECT version_num FROM alembic_version", text, sizeof text);
    cr_assert_str_eq(text, "v3.0.0.d");
    cr_assert_eq(raw_int(path, "SELECT schema_version FROM version_info WHERE version_info_id = 1"), 12);
    cr_assert_eq(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 13);
    cr_assert_eq(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'ix_studies_study_name'"), 1);
    raw_text(path, "PRAGMA journal_mode", text, sizeof text);
    cr_assert_str_eq(text, "wal");
    /* opening again keeps it as it is */
    st = open_file("new.db");
    ol_storage_close(st);
    cr_assert_eq(raw_int(path, "SELECT count(*) FROM alembic_version"), 1);
}

Test(sqlite, empty_file_is_initialised) {
    char path[512];
    path_in_tmp(path, sizeof path, "empty.db");
    write_file(path, "", 0);
    ol_storage *st = open_file("empty.db");
    ol_storage_close(st);
    cr_assert_eq(raw_int(path, "SELECT count(*) FROM alembic_version"), 1);
}

Test(sqlite, studies_and_quoted_names_round_trip) {
    ol_storage *st = open_file("s.db");
    ol_error err = {0};
    const char *names[] = {"seed/adam", "it's \"quoted\"; DROP TABLE studies; --", "ünïcode 名前"};
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ol_storage_create_study(st, names[i], i != 2, &ids[i], &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_study(st, names[1], 1, NULL, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, names[1]) != NULL, "message names the study: %s", err.msg);
    ol_storage_close(st);

    st = open_file("s.db");
    ol_study_rec *list = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_list_studies(st, &list, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(list[i].name, names[i]);
        cr_assert_eq(list[i].study_id, ids[i]);
        cr_assert_eq(list[i].maximize, i != 2);
        cr_assert_eq(list[i].n_trials, 0);
    }
    ol_studies_free(list, n);
    int64_t id;
    int maximize = -1;
    cr_assert_eq(ol_storage_find_study(st, names[1], &id, &maximize, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(id, ids[1]);
    cr_assert_eq(maximize, 1);
    cr_assert_eq(ol_storage_find_study(st, "nope'", &id, &maximize, &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "nope'") != NULL);

    cr_assert_eq(ol_storage_set_study_attr(st, ids[1], "optlab:fixed", "{\"eps\": 1e-08}", &err), OL_OK);
    cr_assert_eq(ol_storage_set_study_attr(st, ids[1], "optlab:seed", "1", &err), OL_OK);
    cr_assert_eq(ol_storage_set_study_attr(st, ids[1], "optlab:seed", "20250228", &err), OL_OK);
    cr_assert_eq(ol_storage_set_study_attr(st, ids[1], "bad", "{not json", &err), OL_EINVAL);
    ol_attr_rec *attrs = NULL;
    cr_assert_eq(ol_storage_get_study_attrs(st, ids[1], &attrs, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:seed"), "20250228");
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:fixed"), "{\"eps\": 1e-08}");
    ol_attrs_free(attrs, n);
    ol_storage_close(st);
}

Test(sqlite, trial_round_trip) {
    ol_storage *st = open_file("t.db");
    ol_error err = {0};
    int64_t study;
    cr_assert_eq(ol_storage_create_study(st, "rt", 1, &study, &err), OL_OK);
    int64_t tid[3];
    for (int i = 0; i < 3; i++) {
        int number = -1;
        cr_assert_eq(ol_storage_create_trial(st, study, 0, &tid[i], &number, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(number, i);
    }
    double before = (double)time(NULL);
    cr_assert_eq(ol_storage_set_param(st, tid[0], "learning_rate", 0.00123, LOG_DIST, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, tid[0], "choice", 1, CAT_DIST, &err), OL_OK);
    cr_assert_eq(ol_storage_set_param(st, tid[0], "bad", 1, "{oops", &err), OL_EINVAL);
    for (int e = 0; e < 4; e++)
        cr_assert_eq(ol_storage_set_intermediate(st, tid[0], e, 0.5 + 0.1 * e, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, tid[0], 2, 0.77, &err), OL_OK); /* replaces step 2 */
    cr_assert_eq(ol_storage_set_intermediate(st, tid[0], 4, NAN, &err), OL_OK);
    cr_assert_eq(ol_storage_set_intermediate(st, tid[0], 5, -INFINITY, &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_attr(st, tid[0], "status", "\"ok\"", &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_attr(st, tid[0], "train_loss", "[2.1, 1.9]", &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_system_attr(st, tid[0], "optlab:worker", "\"host:1\"", &err), OL_OK);
    double v = 0.9712;
    cr_assert_eq(ol_storage_finish_trial(st, tid[0], OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_trial_attr(st, tid[0], "test_accuracy", "0.97", &err), OL_OK, "after finishing");
    double inf = INFINITY;
    cr_assert_eq(ol_storage_finish_trial(st, tid[1], OL_TRIAL_COMPLETE, &inf, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, tid[2], OL_TRIAL_PRUNED, NULL, &err), OL_OK);
    ol_storage_close(st);

    st = open_file("t.db");
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_get_trials(st, study, &trials, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    ol_trial_rec *t = &trials[0];
    cr_assert_eq(t->trial_id, tid[0]);
    cr_assert_eq(t->number, 0);
    cr_assert_eq(t->state, OL_TRIAL_COMPLETE);
    cr_assert(t->has_value && t->value == 0.9712);
    cr_assert(fabs(t->datetime_start - before) < 5, "start %f vs %f", t->datetime_start, before);
    cr_assert(t->datetime_complete >= t->datetime_start);
    cr_assert_eq(t->n_params, 2);
    cr_assert_str_eq(t->params[0].name, "learning_rate");
    cr_assert_eq(t->params[0].value, 0.00123);
    cr_assert_str_eq(t->params[0].distribution_json, LOG_DIST);
    cr_assert_str_eq(t->params[1].name, "choice");
    cr_assert_eq(t->params[1].value, 1.0);
    cr_assert_eq(t->n_intermediate, 6);
    for (int e = 0; e < 6; e++) cr_assert_eq(t->intermediate[e].step, e);
    cr_assert_eq(t->intermediate[1].value, 0.6);
    cr_assert_eq(t->intermediate[2].value, 0.77);
    cr_assert(isnan(t->intermediate[4].value));
    cr_assert(isinf(t->intermediate[5].value) && t->intermediate[5].value < 0);
    cr_assert_eq(t->n_user_attrs, 3);
    cr_assert_str_eq(ol_attr_find(t->user_attrs, t->n_user_attrs, "status"), "\"ok\"");
    cr_assert_str_eq(ol_attr_find(t->user_attrs, t->n_user_attrs, "test_accuracy"), "0.97");
    cr_assert_str_eq(ol_attr_find(t->system_attrs, t->n_system_attrs, "optlab:worker"), "\"host:1\"");
    cr_assert(trials[1].has_value && isinf(trials[1].value) && trials[1].value > 0);
    cr_assert_eq(trials[2].state, OL_TRIAL_PRUNED);
    cr_assert_eq(trials[2].has_value, 0);
    ol_trials_free(trials, n);

    /* stored as Optuna stores it */
    char path[512], text[64];
    path_in_tmp(path, sizeof path, "t.db");
    raw_text(path, "SELECT value_type FROM trial_values WHERE trial_id = 2", text, sizeof text);
    cr_assert_str_eq(text, "INF_POS");
    raw_text(path, "SELECT intermediate_value_type FROM trial_intermediate_values WHERE step = 4", text, sizeof text);
    cr_assert_str_eq(text, "NAN");
    raw_text(path, "SELECT state FROM trials WHERE number = 2", text, sizeof text);
    cr_assert_str_eq(text, "PRUNED");

    ol_study_rec *list;
    cr_assert_eq(ol_storage_list_studies(st, &list, &n, &err), OL_OK);
    cr_assert_eq(list[0].n_trials, 3);
    cr_assert_eq(list[0].n_complete, 2);
    ol_studies_free(list, n);
    ol_storage_close(st);
}

Test(sqlite, finished_trials_refuse_changes) {
    ol_storage *st = open_file("f.db");
    ol_error err = {0};
    int64_t study, tid;
    cr_assert_eq(ol_storage_create_study(st, "f", 1, &study, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &tid, NULL, &err), OL_OK);
    double v = 0.5, w = 0.9;
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &w, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_FAIL, NULL, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_set_param(st, tid, "x", 1, LOG_DIST, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_set_intermediate(st, tid, 0, 1, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_heartbeat(st, tid, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_finish_trial(st, 999, OL_TRIAL_FAIL, NULL, &err), OL_ENOTFOUND);
    int64_t t2;
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &t2, NULL, &err), OL_OK);
    double nan = NAN;
    cr_assert_eq(ol_storage_finish_trial(st, t2, OL_TRIAL_COMPLETE, &nan, &err), OL_EINVAL);
    ol_trial_rec *trials;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, study, &trials, &n, &err), OL_OK);
    cr_assert_eq(trials[0].state, OL_TRIAL_COMPLETE);
    cr_assert_eq(trials[0].value, 0.5, "the first value stays");
    cr_assert_eq(trials[0].n_params, 0);
    cr_assert_eq(trials[0].n_intermediate, 0);
    cr_assert_eq(trials[1].state, OL_TRIAL_RUNNING, "a refused NaN leaves the trial running");
    ol_trials_free(trials, n);
    cr_assert_eq(ol_storage_create_trial(st, 12345, 0, &t2, NULL, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(sqlite, budget_counts_complete_pruned_running) {
    ol_storage *st = open_file("b.db");
    ol_error err = {0};
    int64_t study, tid;
    int number;
    cr_assert_eq(ol_storage_create_study(st, "b", 1, &study, &err), OL_OK);
    double v = 1;
    cr_assert_eq(ol_storage_create_trial(st, study, 3, &tid, &number, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 3, &tid, &number, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_FAIL, NULL, &err), OL_OK); /* does not count */
    cr_assert_eq(ol_storage_create_trial(st, study, 3, &tid, &number, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_PRUNED, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 3, &tid, &number, &err), OL_OK); /* running */
    cr_assert_eq(number, 3);
    cr_assert_eq(ol_storage_create_trial(st, study, 3, &tid, &number, &err), OL_ESTOPPED);
    cr_assert(strstr(err.msg, "full") != NULL, "%s", err.msg);
    ol_trial_rec *trials;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, study, &trials, &n, &err), OL_OK);
    cr_assert_eq(n, 4, "a refused trial leaves nothing behind");
    ol_trials_free(trials, n);
    ol_storage_close(st);
}

Test(sqlite, fail_stale_uses_heartbeat_then_start) {
    ol_storage *st = open_file("h.db");
    ol_error err = {0};
    int64_t study, fresh, old_beat, no_beat, done;
    cr_assert_eq(ol_storage_create_study(st, "h", 1, &study, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &fresh, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &old_beat, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &no_beat, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, study, 0, &done, NULL, &err), OL_OK);
    double v = 1;
    cr_assert_eq(ol_storage_finish_trial(st, done, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    char path[512], sql[512];
    path_in_tmp(path, sizeof path, "h.db");
    /* an old heartbeat (UTC, as Optuna writes it) but a recent start: the heartbeat decides */
    snprintf(sql, sizeof sql,
             "UPDATE trial_heartbeats SET heartbeat = datetime('now', '-600 seconds') WHERE trial_id = %lld",
             (long long)old_beat);
    raw_sql(path, sql);
    /* no heartbeat at all, started long ago (local time): the start decides */
    snprintf(sql, sizeof sql,
             "DELETE FROM trial_heartbeats WHERE trial_id = %lld; UPDATE trials SET datetime_start = "
             "datetime('now', 'localtime', '-900 seconds') WHERE trial_id = %lld",
             (long long)no_beat, (long long)no_beat);
    raw_sql(path, sql);
    int failed = -1;
    cr_assert_eq(ol_storage_fail_stale(st, study, 1000, &failed, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(failed, 0);
    cr_assert_eq(ol_storage_fail_stale(st, study, 700, &failed, &err), OL_OK);
    cr_assert_eq(failed, 1);
    cr_assert_eq(ol_storage_fail_stale(st, study, 60, &failed, &err), OL_OK);
    cr_assert_eq(failed, 1);
    cr_assert_eq(ol_storage_heartbeat(st, fresh, &err), OL_OK);
    cr_assert_eq(ol_storage_fail_stale(st, study, 60, &failed, &err), OL_OK);
    cr_assert_eq(failed, 0);
    ol_trial_rec *trials;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, study, &trials, &n, &err), OL_OK);
    cr_assert_eq(trials[0].state, OL_TRIAL_RUNNING);
    cr_assert_eq(trials[1].state, OL_TRIAL_FAIL);
    cr_assert_eq(trials[2].state, OL_TRIAL_FAIL);
    cr_assert_eq(trials[3].state, OL_TRIAL_COMPLETE);
    cr_assert(trials[1].datetime_complete > 0);
    ol_trials_free(trials, n);
    /* a worker whose trial was failed under it learns so and changes nothing */
    cr_assert_eq(ol_storage_finish_trial(st, old_beat, OL_TRIAL_COMPLETE, &v, &err), OL_ESTATE);
    ol_storage_close(st);
}

/* Four processes, each with its own connection, fill one study of 40 slots. */
Test(sqlite, concurrent_workers_never_exceed_budget, .timeout = 60) {
    enum { WORKERS = 4, MAX_TRIALS = 40 };
    ol_storage *st = open_file("c.db");
    ol_error err = {0};
    int64_t study;
    cr_assert_eq(ol_storage_create_study(st, "c", 1, &study, &err), OL_OK);
    ol_storage_close(st);
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/c.db", tmpdir);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        cr_assert_neq(pids[w], -1);
        if (pids[w] == 0) {
            ol_storage *mine = NULL;
            ol_error e = {0};
            if (ol_storage_open(&mine, url, &e) != OL_OK) _exit(10);
            int code = 0;
            for (int k = 0;; k++) {
                int64_t tid;
                int number;
                ol_status s = ol_storage_create_trial(mine, study, MAX_TRIALS, &tid, &number, &e);
                if (s == OL_ESTOPPED) break;
                if (s != OL_OK) {
                    code = 11;
                    break;
                }
                double v = number * 0.01;
                if (ol_storage_set_param(mine, tid, "x", v, LOG_DIST, &e) != OL_OK ||
                    ol_storage_set_intermediate(mine, tid, 0, v, &e) != OL_OK) {
                    code = 12;
                    break;
                }
                /* every fifth trial of a worker fails: its slot must be run again */
                ol_trial_state end = (k % 5 == 4) ? OL_TRIAL_FAIL : OL_TRIAL_COMPLETE;
                if (ol_storage_finish_trial(mine, tid, end, end == OL_TRIAL_FAIL ? NULL : &v, &e) != OL_OK) {
                    code = 13;
                    break;
                }
            }
            if (code) fprintf(stderr, "worker %d: %s\n", w, e.msg);
            ol_storage_close(mine);
            _exit(code);
        }
    }
    for (int w = 0; w < WORKERS; w++) {
        int status = 0;
        cr_assert_eq(waitpid(pids[w], &status, 0), pids[w]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker %d exit status %d", w, WEXITSTATUS(status));
    }
    st = open_file("c.db");
    ol_trial_rec *trials;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, study, &trials, &n, &err), OL_OK);
    int not_failed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(trials[i].number, (int)i, "numbers are 0..n-1, each once");
        if (trials[i].state == OL_TRIAL_FAIL)
            failed++;
        else {
            cr_assert_eq(trials[i].state, OL_TRIAL_COMPLETE);
            cr_assert_eq(trials[i].n_params, 1);
            not_failed++;
        }
    }
    cr_assert_eq(not_failed, MAX_TRIALS);
    cr_assert_gt(failed, 0);
    ol_trials_free(trials, n);
    ol_storage_close(st);
}

/* A bad file gives OL_EFORMAT naming it and is left byte for byte as it was. */
static void expect_refused(const char *path, ol_status want, const char *what_found) {
    size_t n_before = 0, n_after = 0;
    unsigned char *before = slurp(path, &n_before);
    ol_error err = {0};
    ol_status s = try_open(path, &err);
    cr_assert_eq(s, want, "%s: status %d, message: %s", path, s, err.msg);
    cr_assert(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
    cr_assert(strstr(err.msg, what_found) != NULL, "message says '%s': %s", what_found, err.msg);
    unsigned char *after = slurp(path, &n_after);
    cr_assert_eq(n_before, n_after, "the file was not modified");
    cr_assert(memcmp(before, after, n_before) == 0, "the file was not modified");
    free(before);
    free(after);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    cr_assert_neq(access(side, F_OK), 0, "no WAL file was left beside it");
}

Test(sqlite, refuses_a_file_that_is_not_sqlite) {
    char path[512];
    path_in_tmp(path, sizeof path, "notes.db");
    const char *text = "these are my notes, not a database\n";
    write_file(path, text, strlen(text));
    expect_refused(path, OL_EFORMAT, "not an SQLite database");
    path_in_tmp(path, sizeof path, "tiny.db");
    write_file(path, "SQL", 3);
    expect_refused(path, OL_EFORMAT, "not an SQLite database");
}

Test(sqlite, refuses_a_foreign_sqlite_database) {
    char path[512];
    path_in_tmp(path, sizeof path, "foreign.db");
    raw_sql(path, "CREATE TABLE customers (id INTEGER, name TEXT); INSERT INTO customers VALUES (1, 'x')");
    expect_refused(path, OL_EFORMAT, "customers");
}

Test(sqlite, refuses_another_optuna_revision) {
    ol_storage *st = open_file("old.db");
    ol_storage_close(st);
    char path[512];
    path_in_tmp(path, sizeof path, "old.db");
    raw_sql(path, "PRAGMA journal_mode = DELETE; UPDATE alembic_version SET version_num = 'v2.6.0.a'");
    expect_refused(path, OL_EFORMAT, "v2.6.0.a");
    raw_sql(path, "UPDATE alembic_version SET version_num = 'v9.0.0.a'");
    expect_refused(path, OL_EFORMAT, "v9.0.0.a");
}

Test(sqlite, refuses_a_corrupt_file) {
    ol_storage *st = open_file("bad.db");
    ol_error err = {0};
    int64_t study, tid;
    cr_assert_eq(ol_storage_create_study(st, "c", 1, &study, &err), OL_OK);
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(ol_storage_create_trial(st, study, 0, &tid, NULL, &err), OL_OK);
        cr_assert_eq(ol_storage_set_trial_attr(st, tid, "note", "\"a long enough note to fill a few pages\"", &err),
                     OL_OK);
    }
    ol_storage_close(st);
    char path[512];
    path_in_tmp(path, sizeof path, "bad.db");
    raw_sql(path, "PRAGMA journal_mode = DELETE");
    size_t n;
    unsigned char *bytes = slurp(path, &n);
    cr_assert_gt(n, 4 * 4096);
    /* scribble over everything after the first page (the schema survives, the data does not) */
    for (size_t i = 4096; i < n; i++) bytes[i] = (unsigned char)(i * 7 + 3);
    write_file(path, bytes, n);
    free(bytes);
    expect_refused(path, OL_EFORMAT, "corrupt");
}

Test(sqlite, unwritable_places_are_named) {
    char path[512];
    ol_error err = {0};
    path_in_tmp(path, sizeof path, "no/such/dir/x.db");
    cr_assert_eq(try_open(path, &err), OL_EIO);
    cr_assert(strstr(err.msg, path) != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "no/such/dir") != NULL, "%s", err.msg);
    /* a regular file where a directory should be */
    char file[512];
    path_in_tmp(file, sizeof file, "plain");
    write_file(file, "x", 1);
    path_in_tmp(path, sizeof path, "plain/x.db");
    cr_assert_eq(try_open(path, &err), OL_EIO);
    cr_assert(strstr(err.msg, path) != NULL, "%s", err.msg);
    /* a directory where the file should be */
    cr_assert_eq(try_open(tmpdir, &err), OL_EIO);
    cr_assert(strstr(err.msg, "directory") != NULL, "%s", err.msg);
    /* a directory without write permission (meaningless for root, who may write anywhere) */
    if (geteuid() != 0) {
        char ro[512];
        path_in_tmp(ro, sizeof ro, "ro");
        cr_assert_eq(mkdir(ro, 0555), 0);
        path_in_tmp(path, sizeof path, "ro/x.db");
        cr_assert_eq(try_open(path, &err), OL_EIO);
        cr_assert(strstr(err.msg, "not writable") != NULL, "%s", err.msg);
        chmod(ro, 0755);
    }
}

Test(sqlite, long_names_are_refused_not_truncated) {
    ol_storage *st = open_file("l.db");
    ol_error err = {0};
    char name[600];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    cr_assert_eq(ol_storage_create_study(st, name, 1, NULL, &err), OL_EINVAL);
    ol_study_rec *list;
    size_t n;
    cr_assert_eq(ol_storage_list_studies(st, &list, &n, &err), OL_OK);
    cr_assert_eq(n, 0);
    ol_studies_free(list, n);
    ol_storage_close(st);
}

/* Reading while another thread of the same process opens the file: opening
 * must not drop the readers' locks. (It did when the header was checked with
 * fopen/fclose: closing any descriptor of the file releases every POSIX lock
 * the process holds on it, so another process closing its connection took
 * itself for the last one and removed the write-ahead log under the readers,
 * which then read "database disk image is malformed"; `optlab serve`, whose
 * request threads open their handles lazily, showed it while Optuna wrote.)
 * Here: a reader thread, an opener thread, and a child process that opens,
 * writes a trial and closes, over and over, for about two seconds. */
typedef struct {
    const char *url;
    int64_t study;
    volatile int stop;
    int reads, errors;
    char first_error[1100];
} lock_case;

static void *reader_loop(void *arg) {
    lock_case *c = arg;
    ol_storage *st = NULL;
    ol_error e = {0};
    if (ol_storage_open(&st, c->url, &e) != OL_OK) {
        c->errors++;
        snprintf(c->first_error, sizeof c->first_error, "%s", e.msg);
        return NULL;
    }
    while (!c->stop) {
        ol_trial_rec *t = NULL;
        size_t n = 0;
        if (ol_storage_get_trials(st, c->study, &t, &n, &e) != OL_OK) {
            if (!c->errors++) snprintf(c->first_error, sizeof c->first_error, "%s", e.msg);
        } else {
            ol_trials_free(t, n);
            c->reads++;
        }
    }
    ol_storage_close(st);
    return NULL;
}

static void *opener_loop(void *arg) {
    lock_case *c = arg;
    while (!c->stop) {
        ol_storage *st = NULL;
        ol_error e = {0};
        if (ol_storage_open(&st, c->url, &e) == OL_OK) ol_storage_close(st);
    }
    return NULL;
}

Test(sqlite, opening_a_handle_keeps_the_other_threads_locks, .timeout = 60) {
    ol_storage *st = open_file("locks.db");
    ol_error err = {0};
    lock_case c = {0};
    cr_assert_eq(ol_storage_create_study(st, "s", 1, &c.study, &err), OL_OK);
    for (int i = 0; i < 50; i++) { /* a few pages of trials for the reader to go through */
        int64_t tid;
        int number;
        double v = i;
        cr_assert_eq(ol_storage_create_trial(st, c.study, 0, &tid, &number, &err), OL_OK);
        cr_assert_eq(ol_storage_set_param(st, tid, "x", 0.5, "{\"name\": \"FloatDistribution\", \"attributes\": "
                                                            "{\"step\": null, \"low\": 0, \"high\": 1, \"log\": false}}",
                                          &err),
                     OL_OK);
        cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    }
    ol_storage_close(st);
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/locks.db", tmpdir);
    c.url = url;
    pid_t writer = fork();
    cr_assert_neq(writer, -1);
    if (writer == 0) { /* a writer that connects per write, as Optuna over SQLAlchemy does */
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do {
            ol_storage *w = NULL;
            ol_error e = {0};
            int64_t tid;
            int number;
            double v = 1;
            if (ol_storage_open(&w, url, &e) != OL_OK || ol_storage_create_trial(w, c.study, 0, &tid, &number, &e) ||
                ol_storage_finish_trial(w, tid, OL_TRIAL_COMPLETE, &v, &e))
                _exit(1);
            ol_storage_close(w);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) * 1e-9 < 2.0);
        _exit(0);
    }
    pthread_t reader, opener;
    cr_assert_eq(pthread_create(&reader, NULL, reader_loop, &c), 0);
    cr_assert_eq(pthread_create(&opener, NULL, opener_loop, &c), 0);
    int status = 0;
    waitpid(writer, &status, 0);
    c.stop = 1;
    pthread_join(reader, NULL);
    pthread_join(opener, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer process failed");
    cr_assert(c.reads > 0, "no read succeeded");
    cr_assert_eq(c.errors, 0, "%d of %d reads failed while another thread opened the file; the first: %s", c.errors,
                 c.reads + c.errors, c.first_error);
}

/* Datetimes are read without strtod for their seconds (sqlite_read.c); the result must be
 * strtod's to the bit, for every number of fraction digits and rounding case, and text in
 * other forms must still read as strtod reads it. */
Test(sqlite, datetime_seconds_read_as_strtod_reads_them) {
    ol_storage *st = open_file("dt.db");
    ol_error err = {0};
    int64_t sid, tid;
    cr_assert_eq(ol_storage_create_study(st, "dt", 1, &sid, &err), OL_OK, "%s", err.msg);
    enum { N = 400 };
    char secs[N][40];
    uint64_t z = 20261207;
    for (int i = 0; i < N; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        int digits = (int)((z >> 33) % 14), whole = (int)((z >> 20) % 60); /* 0..13 fraction digits */
        int k = snprintf(secs[i], sizeof secs[i], "%02d", whole);
        if (digits) k += snprintf(secs[i] + k, sizeof secs[i] - (size_t)k, ".");
        for (int d = 0; d < digits; d++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            secs[i][k++] = (char)('0' + (z >> 40) % 10);
        }
        secs[i][k] = 0;
    }
    /* forms that go the long way: more digits than the shortcut takes, an exponent, a bare dot */
    snprintf(secs[0], sizeof secs[0], "07.12345678901234567");
    snprintf(secs[1], sizeof secs[1], "07.5e-1");
    snprintf(secs[2], sizeof secs[2], "07.");
    for (int i = 0; i < N; i++) cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, NULL, &err), OL_OK, "%s", err.msg);
    ol_storage_close(st);
    char path[512];
    path_in_tmp(path, sizeof path, "dt.db");
    size_t cap = (size_t)N * 128 + 16, len = 0;
    char *sql = malloc(cap);
    cr_assert(sql);
    len += (size_t)snprintf(sql, cap, "BEGIN;");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(sql + len, cap - len,
                                "UPDATE trials SET datetime_start = '2026-03-04 05:06:%.39s' WHERE number = %d;", secs[i], i);
    snprintf(sql + len, cap - len, "COMMIT;");
    raw_sql(path, sql);
    free(sql);
    st = open_file("dt.db");
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, N);
    struct tm tm = {.tm_year = 126, .tm_mon = 2, .tm_mday = 4, .tm_hour = 5, .tm_min = 6, .tm_isdst = -1};
    double minute = (double)mktime(&tm);
    for (int i = 0; i < N; i++) {
        double want = minute + strtod(secs[i], NULL);
        cr_assert(!memcmp(&tr[i].datetime_start, &want, sizeof want), "seconds '%s': read %.17g, strtod gives %.17g",
                  secs[i], tr[i].datetime_start, want);
    }
    ol_trials_free(tr, n);
    ol_storage_close(st);
}

/* OL_STORAGE_OPEN_NO_CHECK skips only the whole-file check: the same damaged file opens, and
 * the first read of a damaged page is refused as OL_EFORMAT naming the file. */
Test(sqlite, open_without_the_page_check_still_refuses_damaged_pages_when_read) {
    ol_storage *st = open_file("nocheck.db");
    ol_error err = {0};
    int64_t study, tid;
    cr_assert_eq(ol_storage_create_study(st, "c", 1, &study, &err), OL_OK);
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(ol_storage_create_trial(st, study, 0, &tid, NULL, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_storage_set_trial_attr(st, tid, "note", "\"a long enough note to fill a few pages\"", &err),
                     OL_OK);
    }
    ol_storage_close(st);
    char path[512], url[600];
    path_in_tmp(path, sizeof path, "nocheck.db");
    raw_sql(path, "PRAGMA journal_mode = DELETE");
    /* one leaf page of the attributes, past its 8-byte header (the schema pages stay readable) */
    long long page = raw_int(path, "SELECT max(pageno) FROM dbstat WHERE name = 'trial_user_attributes' "
                                   "AND pagetype = 'leaf'"),
              page_size = raw_int(path, "PRAGMA page_size");
    cr_assert_gt(page, 1);
    size_t n;
    unsigned char *bytes = slurp(path, &n);
    for (size_t i = (size_t)((page - 1) * page_size + 8); i < (size_t)(page * page_size); i++)
        bytes[i] = (unsigned char)(i * 7 + 3);
    write_file(path, bytes, n);
    free(bytes);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    cr_assert_eq(ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_NO_CHECK, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr = NULL;
    size_t nt = 0;
    ol_status s = ol_storage_get_trials(st, study, &tr, &nt, &err);
    cr_assert_eq(s, OL_EFORMAT, "status %d: %s", s, err.msg);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "corrupt"), "%s", err.msg);
    ol_storage_close(st);
    expect_refused(path, OL_EFORMAT, "corrupt"); /* the default open still checks every page */
}
