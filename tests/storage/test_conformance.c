/*
 * test_conformance.c — one set of behaviours, run against every backend:
 * each case below is a function of an open storage, and CONFORM(case) makes
 * it a test on "memory:", on a fresh SQLite file and on a throwaway
 * PostgreSQL cluster (tests/pg_cluster.h, started once by main()). What one
 * backend accepts or refuses, the others must too: the checks that make this
 * so live above the backends (src/storage/validate.c), and these cases keep
 * them there.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optlab/storage.h"
#include "pg_cluster.h"

#ifndef OL_WITH_POSTGRES
#define OL_WITH_POSTGRES 1
#endif

static const char *DIST = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0, "
                          "\"high\": 1.0, \"log\": false}}";

static char sqlite_path[256];

static ol_storage *open_backend(const char *kind) {
    char url[600];
    if (!strcmp(kind, "memory")) {
        snprintf(url, sizeof url, "memory:");
    } else if (!strcmp(kind, "sqlite")) {
        snprintf(sqlite_path, sizeof sqlite_path, "/tmp/optlab-conformance-%ld.db", (long)getpid());
        unlink(sqlite_path);
        snprintf(url, sizeof url, "sqlite:///%s", sqlite_path);
    } else {
        const char *pg = getenv("OPTLAB_PG_URL");
        cr_assert(pg && *pg, "OPTLAB_PG_URL is not set (main() starts the cluster)");
        snprintf(url, sizeof url, "%s", pg);
    }
    ol_storage *st = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s: %s", kind, err.msg);
    return st;
}

static void close_backend(ol_storage *st) {
    ol_storage_close(st);
    if (sqlite_path[0]) {
        char side[300];
        unlink(sqlite_path);
        snprintf(side, sizeof side, "%s-wal", sqlite_path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", sqlite_path);
        unlink(side);
    }
}

/* A study name unique to this process (the PostgreSQL database is shared by all tests). */
static int64_t new_study(ol_storage *st, const char *stem, int maximize) {
    static int seq;
    char name[128];
    snprintf(name, sizeof name, "%s-%ld-%d", stem, (long)getpid(), seq++);
    int64_t id = 0;
    ol_error err = {0};
    cr_assert_eq(ol_storage_create_study(st, name, maximize, &id, &err), OL_OK, "%s", err.msg);
    return id;
}

static int64_t new_trial(ol_storage *st, int64_t sid) {
    int64_t id = 0;
    int number = -1;
    ol_error err = {0};
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &id, &number, &err), OL_OK, "%s", err.msg);
    return id;
}

/* status must be `want` and the message must contain `needle` */
#define REFUSED(call, want, needle)                                                                              \
    do {                                                                                                         \
        ol_error e_ = {0};                                                                                       \
        ol_status s_ = (call);                                                                                   \
        (void)e_;                                                                                                \
        cr_assert_eq(s_, (want), "%s: got status %d (%s)", #call, (int)s_, err.msg);                             \
        cr_assert(strstr(err.msg, (needle)), "%s: message '%s' lacks '%s'", #call, err.msg, (needle));           \
    } while (0)

/* ---- cases -------------------------------------------------------------- */

static void case_names(ol_storage *st) {
    ol_error err = {0};
    int64_t sid;
    REFUSED(ol_storage_create_study(st, "", 0, &sid, &err), OL_EINVAL, "study name");
    REFUSED(ol_storage_create_study(st, "a\xff\xfe" "b", 0, &sid, &err), OL_EINVAL, "not valid UTF-8");
    REFUSED(ol_storage_create_study(st, "over\xc0\xaflong", 0, &sid, &err), OL_EINVAL, "study name");
    REFUSED(ol_storage_create_study(st, "surrogate\xed\xa0\x80", 0, &sid, &err), OL_EINVAL, "not valid UTF-8");
    char longname[600];
    memset(longname, 'n', 513);
    longname[513] = 0;
    REFUSED(ol_storage_create_study(st, longname, 0, &sid, &err), OL_EINVAL, "longer than 512");
    longname[512] = 0; /* exactly Optuna's limit */
    snprintf(longname, 20, "%ld-", (long)getpid());
    longname[strlen(longname)] = 'n';
    cr_assert_eq(ol_storage_create_study(st, longname, 0, &sid, &err), OL_OK, "%s", err.msg);
    /* multi-byte UTF-8 is a name like any other, read back byte for byte */
    char utf8[64];
    snprintf(utf8, sizeof utf8, "최적화-%ld-\xe2\x9c\x93", (long)getpid());
    cr_assert_eq(ol_storage_create_study(st, utf8, 1, &sid, &err), OL_OK, "%s", err.msg);
    int64_t found = 0;
    int maximize = 0;
    cr_assert_eq(ol_storage_find_study(st, utf8, &found, &maximize, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(found, sid);
    cr_assert_eq(maximize, 1);
    int64_t tid = new_trial(st, sid);
    REFUSED(ol_storage_set_param(st, tid, "p\xff", 0.5, DIST, &err), OL_EINVAL, "parameter name");
    REFUSED(ol_storage_set_trial_attr(st, tid, "k\x80", "1", &err), OL_EINVAL, "trial user attribute key");
    REFUSED(ol_storage_set_trial_system_attr(st, tid, "k\xc3", "1", &err), OL_EINVAL, "trial system attribute key");
    REFUSED(ol_storage_set_study_attr(st, sid, "k\xf5\x80\x80\x80", "1", &err), OL_EINVAL, "study attribute key");
    REFUSED(ol_storage_set_study_attr(st, sid, "k", "\"\xff\"", &err), OL_EINVAL, "UTF-8");
    /* nothing of the refused calls was stored */
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(tr[0].n_params + tr[0].n_user_attrs + tr[0].n_system_attrs, 0);
    ol_trials_free(tr, n);
}

static void case_json_and_ranges(ol_storage *st) {
    ol_error err = {0};
    int64_t sid = new_study(st, "json", 0), tid = new_trial(st, sid);
    REFUSED(ol_storage_set_trial_attr(st, tid, "k", "{not json", &err), OL_EINVAL, "not valid JSON");
    REFUSED(ol_storage_set_study_attr(st, sid, "k", NULL, &err), OL_EINVAL, "no value");
    REFUSED(ol_storage_set_param(st, tid, "x", 0.5, "[1,", &err), OL_EINVAL, "not valid JSON");
    REFUSED(ol_storage_set_param(st, tid, "x", NAN, DIST, &err), OL_EINVAL, "non-finite");
    REFUSED(ol_storage_set_param(st, tid, "x", INFINITY, DIST, &err), OL_EINVAL, "non-finite");
    REFUSED(ol_storage_set_intermediate(st, tid, -1, 0.5, &err), OL_EINVAL, "out of range");
    REFUSED(ol_storage_set_intermediate(st, tid, (int64_t)INT32_MAX + 1, 0.5, &err), OL_EINVAL, "out of range");
    cr_assert_eq(ol_storage_set_intermediate(st, tid, INT32_MAX, 0.25, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, tid, 0, NAN, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, tid, 1, -INFINITY, &err), OL_OK, "%s", err.msg);
    double v = NAN;
    REFUSED(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_EINVAL, "NaN");
    REFUSED(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, NULL, &err), OL_EINVAL, "needs a value");
    REFUSED(ol_storage_fail_stale(st, sid, -1, NULL, &err), OL_EINVAL, "grace");
    v = INFINITY;
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert(tr[0].has_value && isinf(tr[0].value) && tr[0].value > 0);
    cr_assert_eq(tr[0].n_intermediate, 3);
    cr_assert(isnan(tr[0].intermediate[0].value));
    cr_assert(isinf(tr[0].intermediate[1].value) && tr[0].intermediate[1].value < 0);
    cr_assert_eq(tr[0].intermediate[2].step, INT32_MAX);
    cr_assert_eq(tr[0].intermediate[2].value, 0.25);
    ol_trials_free(tr, n);
}

static void case_states_and_budget(ol_storage *st) {
    ol_error err = {0};
    int64_t sid = new_study(st, "states", 1);
    int64_t a = 0, b = 0, c = 0;
    int na, nb, nc;
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &a, &na, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &b, &nb, &err), OL_OK, "%s", err.msg);
    REFUSED(ol_storage_create_trial(st, sid, 2, &c, &nc, &err), OL_ESTOPPED, "full");
    cr_assert_eq(na, 0);
    cr_assert_eq(nb, 1);
    cr_assert_eq(ol_storage_finish_trial(st, b, OL_TRIAL_FAIL, NULL, &err), OL_OK, "%s", err.msg);
    /* FAIL does not count against the budget */
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &c, &nc, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(nc, 2);
    double v = 0.5;
    cr_assert_eq(ol_storage_finish_trial(st, a, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    REFUSED(ol_storage_finish_trial(st, a, OL_TRIAL_FAIL, NULL, &err), OL_ESTATE, "not RUNNING");
    REFUSED(ol_storage_set_param(st, a, "x", 0.5, DIST, &err), OL_ESTATE, "not RUNNING");
    REFUSED(ol_storage_set_intermediate(st, a, 0, 0.5, &err), OL_ESTATE, "not RUNNING");
    REFUSED(ol_storage_heartbeat(st, a, &err), OL_ESTATE, "not RUNNING");
    /* attributes may come after the end (test accuracy) */
    cr_assert_eq(ol_storage_set_trial_attr(st, a, "test_acc", "0.97", &err), OL_OK, "%s", err.msg);
    REFUSED(ol_storage_set_param(st, 1 << 30, "x", 0.5, DIST, &err), OL_ENOTFOUND, "");
    ol_trial_rec *tr;
    size_t n;
    REFUSED(ol_storage_get_trials(st, 1 << 30, &tr, &n, &err), OL_ENOTFOUND, "");
    REFUSED(ol_storage_create_trial(st, 1 << 30, 0, &c, &nc, &err), OL_ENOTFOUND, "");
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(tr[0].state, OL_TRIAL_COMPLETE);
    cr_assert_eq(tr[1].state, OL_TRIAL_FAIL);
    cr_assert(!tr[1].has_value);
    cr_assert_eq(tr[2].state, OL_TRIAL_RUNNING);
    cr_assert_str_eq(ol_attr_find(tr[0].user_attrs, tr[0].n_user_attrs, "test_acc"), "0.97");
    ol_trials_free(tr, n);
}

static void case_duplicate_study(ol_storage *st) {
    ol_error err = {0};
    char name[64];
    snprintf(name, sizeof name, "dup-%ld", (long)getpid());
    int64_t id;
    cr_assert_eq(ol_storage_create_study(st, name, 0, &id, &err), OL_OK, "%s", err.msg);
    REFUSED(ol_storage_create_study(st, name, 0, &id, &err), OL_EINVAL, "already exists");
    int64_t found;
    REFUSED(ol_storage_find_study(st, "no-such-study-anywhere", &found, NULL, &err), OL_ENOTFOUND,
            "no-such-study-anywhere");
}

static void case_trial_with_attrs(ol_storage *st) {
    ol_error err = {0};
    int64_t sid = new_study(st, "owner", 0);
    ol_attr_rec attrs[] = {{"optlab:worker", "\"host:123\""}, {"extra", "[1, 2]"}};
    int64_t tid = 0;
    int number = -1;
    cr_assert_eq(ol_storage_create_trial_with_attrs(st, sid, 0, attrs, 2, &tid, &number, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(number, 0);
    /* a bad attribute: refused before anything is written */
    ol_attr_rec bad[] = {{"optlab:worker", "\"host:124\""}, {"k", "{oops"}};
    REFUSED(ol_storage_create_trial_with_attrs(st, sid, 0, bad, 2, &tid, &number, &err), OL_EINVAL, "JSON");
    ol_attr_rec bad_key[] = {{"k\xff", "1"}};
    REFUSED(ol_storage_create_trial_with_attrs(st, sid, 0, bad_key, 1, &tid, &number, &err), OL_EINVAL, "UTF-8");
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1, "a refused create left %zu trials", n);
    cr_assert_str_eq(ol_attr_find(tr[0].system_attrs, tr[0].n_system_attrs, "optlab:worker"), "\"host:123\"");
    cr_assert_str_eq(ol_attr_find(tr[0].system_attrs, tr[0].n_system_attrs, "extra"), "[1, 2]");
    ol_trials_free(tr, n);
    /* a key given twice keeps its last value; keys with quotes and backslashes are plain text */
    ol_attr_rec twice[] = {{"k\"ey\\", "1"}, {"other", "\"x\""}, {"k\"ey\\", "2"}};
    cr_assert_eq(ol_storage_create_trial_with_attrs(st, sid, 0, twice, 3, &tid, &number, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(number, 1);
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ol_attr_find(tr[1].system_attrs, tr[1].n_system_attrs, "k\"ey\\"), "2");
    cr_assert_str_eq(ol_attr_find(tr[1].system_attrs, tr[1].n_system_attrs, "other"), "\"x\"");
    cr_assert_eq(tr[1].n_system_attrs, 2);
    ol_trials_free(tr, n);
}

static void case_trials_since(ol_storage *st) {
    ol_error err = {0};
    int64_t sid = new_study(st, "since", 0);
    int64_t id[4];
    for (int i = 0; i < 3; i++) id[i] = new_trial(st, sid);
    double v = 1.5;
    cr_assert_eq(ol_storage_set_param(st, id[0], "x", 0.25, DIST, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_finish_trial(st, id[0], OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    /* the caller knows trials 0..2, of which 1 was unfinished: it gets 1 (changed) and 3 (new) */
    id[3] = new_trial(st, sid);
    cr_assert_eq(ol_storage_finish_trial(st, id[1], OL_TRIAL_PRUNED, NULL, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr;
    size_t n, total;
    int64_t open_ids[] = {id[1]};
    cr_assert_eq(ol_storage_get_trials_since(st, sid, id[2], open_ids, 1, &tr, &n, &total, &err), OL_OK, "%s",
                 err.msg);
    cr_assert_eq(total, 4);
    cr_assert_eq(n, 2);
    cr_assert_eq(tr[0].trial_id, id[1]);
    cr_assert_eq(tr[0].state, OL_TRIAL_PRUNED);
    cr_assert_eq(tr[1].trial_id, id[3]);
    cr_assert_eq(tr[1].number, 3);
    ol_trials_free(tr, n);
    /* nothing new */
    cr_assert_eq(ol_storage_get_trials_since(st, sid, id[3], NULL, 0, &tr, &n, &total, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 0);
    cr_assert_eq(total, 4);
    ol_trials_free(tr, n);
    /* everything, with its children */
    cr_assert_eq(ol_storage_get_trials_since(st, sid, 0, NULL, 0, &tr, &n, &total, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 4);
    cr_assert_eq(tr[0].n_params, 1);
    cr_assert_eq(tr[0].params[0].value, 0.25);
    cr_assert_eq(tr[0].value, 1.5);
    ol_trials_free(tr, n);
}

/* ---- each case on each backend ------------------------------------------ */

static void run_case(void (*fn)(ol_storage *), const char *kind) {
    ol_storage *st = open_backend(kind);
    fn(st);
    close_backend(st);
}

/* Several parameters in one call: all stored in the call's order, with quotes and backslashes in
 * names and distributions kept as text; any refusal (a bad one, a name twice, a finished trial)
 * stores none of them. */
static void case_set_params(ol_storage *st) {
    ol_error err = {0};
    int64_t sid = new_study(st, "params", 0), tid = new_trial(st, sid);
    const char *odd_dist = "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": "
                           "[\"a\\\"b\", \"c\\\\d\", \"{x,y}\"]}}";
    ol_param_rec ps[] = {{"zeta", 0.125, (char *)DIST},
                         {"al\"pha{,}", 2, (char *)odd_dist},
                         {"back\\slash", 0.1 + 0.2, (char *)DIST}};
    /* refused as a whole: the third one is bad, or a name comes twice */
    ol_param_rec bad[] = {ps[0], ps[1], {"x", NAN, (char *)DIST}};
    REFUSED(ol_storage_set_params(st, tid, bad, 3, &err), OL_EINVAL, "non-finite");
    ol_param_rec twice[] = {ps[0], ps[0]};
    REFUSED(ol_storage_set_params(st, tid, twice, 2, &err), OL_EINVAL, "twice");
    cr_assert_eq(ol_storage_set_params(st, tid, ps, 0, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(tr[0].n_params, 0, "a refused call stored %zu parameters", tr[0].n_params);
    ol_trials_free(tr, n);

    cr_assert_eq(ol_storage_set_params(st, tid, ps, 3, &err), OL_OK, "%s", err.msg);
    /* set again in a later call: the value changes, the order stays */
    ol_param_rec again = {"zeta", 0.75, (char *)DIST};
    cr_assert_eq(ol_storage_set_params(st, tid, &again, 1, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(tr[0].n_params, 3);
    cr_assert_str_eq(tr[0].params[0].name, "zeta");
    cr_assert_eq(tr[0].params[0].value, 0.75);
    cr_assert_str_eq(tr[0].params[1].name, ps[1].name);
    cr_assert_str_eq(tr[0].params[1].distribution_json, odd_dist);
    cr_assert_eq(tr[0].params[1].value, 2);
    cr_assert_str_eq(tr[0].params[2].name, ps[2].name);
    cr_assert(!memcmp(&tr[0].params[2].value, &ps[2].value, sizeof(double)), "0.1 + 0.2 read back as %.17g",
              tr[0].params[2].value);
    ol_trials_free(tr, n);

    double v = 1;
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    ol_param_rec late = {"late", 0.5, (char *)DIST};
    REFUSED(ol_storage_set_params(st, tid, &late, 1, &err), OL_ESTATE, "not RUNNING");
    REFUSED(ol_storage_set_params(st, 1 << 30, &late, 1, &err), OL_ENOTFOUND, "");
}

#define CONFORM(name)                                                                                            \
    Test(memory, name) { run_case(case_##name, "memory"); }                                                     \
    Test(sqlite, name) { run_case(case_##name, "sqlite"); }                                                     \
    Test(postgres, name) {                                                                                       \
        if (!OL_WITH_POSTGRES) cr_skip_test("SKIPPED (built WITH_POSTGRES=0)");                                   \
        run_case(case_##name, "postgres");                                                                       \
    }

CONFORM(names)
CONFORM(json_and_ranges)
CONFORM(states_and_budget)
CONFORM(duplicate_study)
CONFORM(trial_with_attrs)
CONFORM(trials_since)
CONFORM(set_params)

static void on_signal(int sig) {
    pg_cluster_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char *argv[]) {
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true)) {
        if (OL_WITH_POSTGRES && !getenv("OPTLAB_PG_URL")) {
            if (pg_cluster_start("test_conformance") != 0) {
                fprintf(stderr, "test_conformance: could not start a PostgreSQL cluster\n");
                pg_cluster_stop();
                criterion_finalize(tests);
                return 1;
            }
            atexit(pg_cluster_stop);
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
        }
        result = !criterion_run_all_tests(tests);
    }
    criterion_finalize(tests);
    pg_cluster_stop();
    return result;
}
