/*
 * test_tamper.c — a tampered SQLite storage is never read silently wrong
 * (issue 16). Each test writes a small study with optlab, changes one row
 * behind its back with SQLite itself, and checks that reading it back is
 * OL_EFORMAT with a message naming the row (trial_id or study name), never
 * a 0 invented for a NULL, 'NaN' or text. Also: OL_STORAGE_OPEN_EXISTING
 * creates nothing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optlab/storage.h"

static const char *DIST = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0, "
                          "\"high\": 1.0, \"log\": false}}";

static char path[256], url[300];

/* A study "s" with two COMPLETE trials (values 0.5 and 0.75, param x), the second with an intermediate value. */
static void make_study(void) {
    snprintf(path, sizeof path, "/tmp/optlab-tamper-%ld.db", (long)getpid());
    unlink(path);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    int64_t sid, tid;
    int num;
    cr_assert_eq(ol_storage_create_study(st, "s", 1, &sid, &err), OL_OK, "%s", err.msg);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &num, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_storage_set_param(st, tid, "x", 0.25 * (i + 1), DIST, &err), OL_OK, "%s", err.msg);
        if (i == 1) cr_assert_eq(ol_storage_set_intermediate(st, tid, 0, 0.7, &err), OL_OK, "%s", err.msg);
        double v = 0.5 + 0.25 * i;
        cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    }
    ol_storage_close(st);
}

static void tamper(const char *sql) {
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(db);
}

static void cleanup(void) {
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Reading the trials must fail with OL_EFORMAT and a message containing `needle`. */
static void trials_refused(const char *needle) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    ol_status s = ol_storage_get_trials(st, 1, &tr, &n, &err);
    if (s == OL_OK) {
        cr_assert_fail("a tampered row was read: trial 0 value %g has_value %d, param %g",
                       n ? tr[0].value : -1.0, n ? tr[0].has_value : -1, n && tr[0].n_params ? tr[0].params[0].value : -1.0);
    }
    cr_assert_eq(s, OL_EFORMAT, "status %d: %s", (int)s, err.msg);
    cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
    ol_storage_close(st);
    cleanup();
}

TestSuite(tamper, .init = make_study);

Test(tamper, untouched_study_reads_back) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, 1, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(tr[1].value, 0.75);
    cr_assert_eq(tr[1].params[0].value, 0.5);
    ol_trials_free(tr, n);
    ol_storage_close(st);
    cleanup();
}

Test(tamper, complete_value_null) {
    tamper("UPDATE trial_values SET value = NULL WHERE trial_id = 2");
    trials_refused("the value of trial_id 2");
}

Test(tamper, complete_value_text_nan) {
    tamper("UPDATE trial_values SET value = 'NaN' WHERE trial_id = 1");
    trials_refused("the value of trial_id 1");
}

Test(tamper, complete_value_text) {
    tamper("UPDATE trial_values SET value = 'high' WHERE trial_id = 2");
    trials_refused("trial_id 2");
}

Test(tamper, value_type_unknown) {
    tamper("UPDATE trial_values SET value_type = 'HUGE' WHERE trial_id = 2");
    trials_refused("HUGE");
}

Test(tamper, value_type_nan_for_a_trial_value) {
    tamper("UPDATE trial_values SET value = NULL, value_type = 'NAN' WHERE trial_id = 2");
    trials_refused("trial_id 2");
}

Test(tamper, intermediate_value_null) {
    tamper("UPDATE trial_intermediate_values SET intermediate_value = NULL WHERE trial_id = 2");
    trials_refused("intermediate value of trial_id 2");
}

Test(tamper, number_null) {
    tamper("UPDATE trials SET number = NULL WHERE trial_id = 2");
    trials_refused("trial_id 2 has no number");
}

Test(tamper, number_huge) {
    tamper("UPDATE trials SET number = 4611686018427387904 WHERE trial_id = 1"); /* 2^62 */
    trials_refused("4611686018427387904");
}

Test(tamper, number_above_2_53) {
    tamper("UPDATE trials SET number = 9007199254740993 WHERE trial_id = 1");
    trials_refused("trial_id 1");
}

Test(tamper, number_negative) {
    tamper("UPDATE trials SET number = -3 WHERE trial_id = 1");
    trials_refused("-3");
}

Test(tamper, param_null) {
    tamper("UPDATE trial_params SET param_value = NULL WHERE trial_id = 2");
    trials_refused("parameter 'x' of trial_id 2");
}

Test(tamper, param_text) {
    tamper("UPDATE trial_params SET param_value = 'NaN' WHERE trial_id = 1");
    trials_refused("parameter 'x' of trial_id 1");
}

Test(tamper, state_unknown) {
    tamper("UPDATE trials SET state = 'DONE' WHERE trial_id = 1");
    trials_refused("DONE");
}

static void direction_refused(const char *needle) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    int64_t id;
    int maximize = 7;
    ol_status s = ol_storage_find_study(st, "s", &id, &maximize, &err);
    cr_assert_eq(s, OL_EFORMAT, "find_study: status %d (maximize %d): %s", (int)s, maximize, err.msg);
    cr_assert(strstr(err.msg, "study 's'") && strstr(err.msg, needle), "message: %s", err.msg);
    ol_study_rec *list;
    size_t n;
    s = ol_storage_list_studies(st, &list, &n, &err);
    cr_assert_eq(s, OL_EFORMAT, "list_studies: status %d: %s", (int)s, err.msg);
    cr_assert(strstr(err.msg, "study 's'"), "message: %s", err.msg);
    ol_storage_close(st);
    cleanup();
}

Test(tamper, direction_missing) {
    tamper("DELETE FROM study_directions");
    direction_refused("no direction");
}

Test(tamper, direction_unknown) {
    tamper("UPDATE study_directions SET direction = 'SIDEWAYS'");
    direction_refused("SIDEWAYS");
}

Test(open_existing, missing_file_is_not_created) {
    char p[256], u[300];
    snprintf(p, sizeof p, "/tmp/optlab-absent-%ld.db", (long)getpid());
    unlink(p);
    snprintf(u, sizeof u, "sqlite:///%s", p);
    ol_storage *st = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open_flags(&st, u, OL_STORAGE_OPEN_EXISTING, &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, p), "message: %s", err.msg);
    struct stat sb;
    cr_assert(stat(p, &sb) != 0, "the file was created");
    /* an empty file is no storage either, and stays empty */
    FILE *f = fopen(p, "w");
    fclose(f);
    cr_assert_eq(ol_storage_open_flags(&st, u, OL_STORAGE_OPEN_EXISTING, &err), OL_ENOTFOUND, "%s", err.msg);
    cr_assert(stat(p, &sb) == 0 && sb.st_size == 0, "the empty file was written");
    /* without the flag it is created */
    cr_assert_eq(ol_storage_open_flags(&st, u, 0, &err), OL_OK, "%s", err.msg);
    ol_storage_close(st);
    cr_assert_eq(ol_storage_open_flags(&st, u, OL_STORAGE_OPEN_EXISTING, &err), OL_OK, "%s", err.msg);
    ol_storage_close(st);
    unlink(p);
    char side[300];
    snprintf(side, sizeof side, "%s-wal", p);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", p);
    unlink(side);
}
