/*
 * test_postgres.c — the PostgreSQL backend against a real server: a
 * throwaway cluster (tests/storage/_pg_cluster.sh: initdb + pg_ctl in a temp
 * dir, a free port on 127.0.0.1) started once by main() below unless
 * OPTLAB_PG_URL names one already. Tests run one at a time (one of them
 * restarts the server).
 *
 * Covers: studies, trials, params, intermediate values, attributes, the
 * atomic trial budget under three concurrent processes, heartbeats and
 * fail_stale, Optuna 3.1 reading back what optlab wrote (over psycopg2), a
 * foreign schema refused, and the connection faults: refused port, bad
 * password (never printed), server restart in the middle of a study, and a
 * connection killed mid-operation.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "optlab/storage.h"
#include "pg_cluster.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    cr_assert(v && *v, "%s is not set (main() starts the cluster)", name);
    return v;
}

static ol_storage *open_pg(void) {
    ol_storage *st = NULL;
    ol_error err = {0};
    ol_status s = ol_storage_open(&st, env("OPTLAB_PG_URL"), &err);
    cr_assert_eq(s, OL_OK, "open: %s", err.msg);
    return st;
}

/* A study name unique to this test run. */
static void study_name(char *buf, size_t cap, const char *stem) {
    snprintf(buf, cap, "%s-%ld", stem, (long)getpid());
}

static void quiet_notice(void *arg, const char *msg) {
    (void)arg;
    (void)msg;
}

/* Run SQL as the cluster's superuser (schema tests). */
static void admin_sql(const char *db, const char *sql) {
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s user=pgadmin dbname=%s", env("OPTLAB_PG_PORT"), db);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "admin connect: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType rs = PQresultStatus(r);
    cr_assert(rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* Open the storage and create a maximising study named after `stem` (made
 * unique to this run in name[0..cap)); *sid receives its id. */
static ol_storage *open_pg_study(const char *stem, char *name, size_t cap, int64_t *sid) {
    ol_storage *st = open_pg();
    ol_error err = {0};
    study_name(name, cap, stem);
    cr_assert_eq(ol_storage_create_study(st, name, 1, sid, &err), OL_OK, "%s", err.msg);
    return st;
}

static const char *FLOAT_LOG = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, "
                               "\"high\": 0.01, \"log\": true}}";
static const char *INT_DIST = "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 1, \"low\": "
                              "1, \"high\": 5}}";
static const char *CAT_DIST = "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"sgd\", "
                              "\"adam\"]}}";

Test(postgres, studies_create_find_list_attrs) {
    ol_storage *st = open_pg();
    ol_error err = {0};
    char a[64], b[64];
    study_name(a, sizeof a, "seed/adam");
    study_name(b, sizeof b, "seed/adamw");
    int64_t ida, idb, found;
    int maximize = -1;
    cr_assert_eq(ol_storage_create_study(st, a, 1, &ida, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_study(st, b, 0, &idb, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_study(st, a, 1, &found, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, a), "duplicate message names the study: %s", err.msg);
    cr_assert_eq(ol_storage_find_study(st, b, &found, &maximize, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(found, idb);
    cr_assert_eq(maximize, 0);
    cr_assert_eq(ol_storage_find_study(st, "no-such-study", &found, &maximize, &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "no-such-study"), "%s", err.msg);

    ol_study_rec *list;
    size_t n;
    cr_assert_eq(ol_storage_list_studies(st, &list, &n, &err), OL_OK, "%s", err.msg);
    int seen_a = 0, seen_b = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(list[i].name, a)) seen_a = list[i].maximize == 1 && list[i].study_id == ida;
        if (!strcmp(list[i].name, b)) seen_b = list[i].maximize == 0 && i > 0 && list[i - 1].study_id == ida;
    }
    cr_assert(seen_a && seen_b, "both studies listed in creation order with their directions");
    ol_studies_free(list, n);

    cr_assert_eq(ol_storage_set_study_attr(st, ida, "optlab:n_trials", "70", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_study_attr(st, ida, "optlab:label", "\"Adam\"", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_study_attr(st, ida, "optlab:n_trials", "71", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_study_attr(st, 999999, "k", "1", &err), OL_ENOTFOUND);
    ol_attr_rec *attrs;
    cr_assert_eq(ol_storage_get_study_attrs(st, ida, &attrs, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:n_trials"), "71");
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:label"), "\"Adam\"");
    ol_attrs_free(attrs, n);
    cr_assert_eq(ol_storage_get_study_attrs(st, idb, &attrs, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 0);
    ol_attrs_free(attrs, n);
    cr_assert_eq(ol_storage_get_study_attrs(st, 999999, &attrs, &n, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(postgres, trials_params_intermediates_attrs_roundtrip) {
    ol_error err = {0};
    char name[64];
    int64_t sid, t0, t1;
    int n0, n1;
    ol_storage *st = open_pg_study("roundtrip", name, sizeof name, &sid);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t0, &n0, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &t1, &n1, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n0, 0);
    cr_assert_eq(n1, 1);
    const double lr = 0.0012345678901234567, third = 1.0 / 3.0;
    cr_assert_eq(ol_storage_set_param(st, t0, "learning_rate", lr, FLOAT_LOG, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, t0, "layers", 3, INT_DIST, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, t0, "opt", 1, CAT_DIST, &err), OL_OK, "%s", err.msg);
    for (int s = 0; s < 30; s++)
        cr_assert_eq(ol_storage_set_intermediate(st, t0, s, third * s, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, t0, 2, 0.25, &err), OL_OK, "replace a step: %s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, t1, 0, NAN, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, t1, 1, INFINITY, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, t1, 2, -INFINITY, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_intermediate(st, t1, -1, 0.5, &err), OL_EINVAL);
    cr_assert_eq(ol_storage_set_trial_attr(st, t0, "seconds", "4.81", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_trial_attr(st, t0, "train_loss", "[2.1, 1.9]", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_trial_system_attr(st, t0, "optlab:worker", "\"h:1\"", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_trial_attr(st, 99999999, "k", "1", &err), OL_ENOTFOUND);
    const double value = 0.9612345678901234;
    cr_assert_eq(ol_storage_finish_trial(st, t0, OL_TRIAL_COMPLETE, &value, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_finish_trial(st, t1, OL_TRIAL_PRUNED, NULL, &err), OL_OK, "%s", err.msg);
    /* finished trials refuse further writes that need RUNNING */
    cr_assert_eq(ol_storage_finish_trial(st, t0, OL_TRIAL_FAIL, NULL, &err), OL_ESTATE);
    cr_assert(strstr(err.msg, "COMPLETE"), "names the state: %s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, t0, "x", 1, FLOAT_LOG, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_set_intermediate(st, t1, 5, 1, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_heartbeat(st, t0, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_set_param(st, 99999999, "x", 1, FLOAT_LOG, &err), OL_ENOTFOUND);

    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(tr[0].trial_id, t0);
    cr_assert_eq(tr[0].state, OL_TRIAL_COMPLETE);
    cr_assert(tr[0].has_value && tr[0].value == value, "value bit-exact");
    cr_assert_eq(tr[0].n_params, 3);
    cr_assert_str_eq(tr[0].params[0].name, "learning_rate");
    cr_assert(tr[0].params[0].value == lr, "param bit-exact");
    cr_assert_str_eq(tr[0].params[0].distribution_json, FLOAT_LOG);
    cr_assert_eq(tr[0].params[2].value, 1.0);
    cr_assert_eq(tr[0].n_intermediate, 30);
    for (int s = 0; s < 30; s++) {
        cr_assert_eq(tr[0].intermediate[s].step, s);
        cr_assert(tr[0].intermediate[s].value == (s == 2 ? 0.25 : third * s), "step %d bit-exact", s);
    }
    cr_assert_eq(tr[0].n_user_attrs, 2);
    cr_assert_str_eq(ol_attr_find(tr[0].user_attrs, 2, "train_loss"), "[2.1, 1.9]");
    cr_assert_str_eq(ol_attr_find(tr[0].system_attrs, tr[0].n_system_attrs, "optlab:worker"), "\"h:1\"");
    cr_assert(tr[0].datetime_start > 1.6e9 && tr[0].datetime_complete >= tr[0].datetime_start,
              "times are epoch seconds");
    cr_assert(fabs(tr[0].datetime_start - (double)time(NULL)) < 120, "UTC epoch, near now");
    cr_assert_eq(tr[1].state, OL_TRIAL_PRUNED);
    cr_assert(!tr[1].has_value);
    cr_assert_eq(tr[1].n_intermediate, 3);
    cr_assert(isnan(tr[1].intermediate[0].value));
    cr_assert(isinf(tr[1].intermediate[1].value) && tr[1].intermediate[1].value > 0);
    cr_assert(isinf(tr[1].intermediate[2].value) && tr[1].intermediate[2].value < 0);
    ol_trials_free(tr, n);
    cr_assert_eq(ol_storage_get_trials(st, 99999999, &tr, &n, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(postgres, budget_counts_complete_pruned_running) {
    ol_error err = {0};
    char name[64];
    int64_t sid, id[4];
    int num[4];
    ol_storage *st = open_pg_study("budget", name, sizeof name, &sid);
    for (int i = 0; i < 3; i++) cr_assert_eq(ol_storage_create_trial(st, sid, 3, &id[i], &num[i], &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 3, &id[3], &num[3], &err), OL_ESTOPPED);
    cr_assert(strstr(err.msg, "full"), "%s", err.msg);
    double v = 0.5;
    cr_assert_eq(ol_storage_finish_trial(st, id[0], OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, id[1], OL_TRIAL_PRUNED, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 3, &id[3], &num[3], &err), OL_ESTOPPED, "pruned still counts");
    cr_assert_eq(ol_storage_finish_trial(st, id[2], OL_TRIAL_FAIL, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 3, &id[3], &num[3], &err), OL_OK, "a FAIL frees its slot");
    cr_assert_eq(num[3], 3, "numbers are never reused");
    cr_assert_eq(ol_storage_create_trial(st, 99999999, 3, &id[3], &num[3], &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

/* Three processes, each with its own connection, race for a budget of 30. */
Test(postgres, concurrent_create_trial_three_processes) {
    ol_error err = {0};
    char name[64];
    int64_t sid;
    ol_storage *st = open_pg_study("race", name, sizeof name, &sid);
    enum { WORKERS = 3, BUDGET = 30 };
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        cr_assert(pids[w] >= 0);
        if (pids[w] == 0) {
            ol_storage *cs = NULL;
            ol_error ce = {0};
            int made = 0;
            if (ol_storage_open(&cs, getenv("OPTLAB_PG_URL"), &ce) != OL_OK) _exit(200);
            for (;;) {
                int64_t tid;
                int number;
                ol_status s = ol_storage_create_trial(cs, sid, BUDGET, &tid, &number, &ce);
                if (s == OL_ESTOPPED) break;
                if (s != OL_OK) _exit(201);
                double v = number;
                if (ol_storage_finish_trial(cs, tid, OL_TRIAL_COMPLETE, &v, &ce) != OL_OK) _exit(202);
                made++;
            }
            ol_storage_close(cs);
            _exit(made);
        }
    }
    int total = 0;
    for (int w = 0; w < WORKERS; w++) {
        int status;
        waitpid(pids[w], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= BUDGET, "worker %d exit %d", w, WEXITSTATUS(status));
        total += WEXITSTATUS(status);
    }
    cr_assert_eq(total, BUDGET, "the workers made exactly the budget");
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, BUDGET);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(tr[i].number, (int)i, "numbers 0..29, each once");
        cr_assert_eq(tr[i].state, OL_TRIAL_COMPLETE);
        cr_assert_eq(tr[i].value, (double)i, "each trial finished by the worker that created it");
    }
    ol_trials_free(tr, n);
    ol_storage_close(st);
}

Test(postgres, heartbeats_and_fail_stale) {
    ol_error err = {0};
    char name[64];
    int64_t sid, dead, alive, replay;
    int nd, na, nr, n_failed = -1;
    ol_storage *st = open_pg_study("stale", name, sizeof name, &sid);
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &dead, &nd, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &alive, &na, &err), OL_OK);
    cr_assert_eq(ol_storage_fail_stale(st, sid, 0.6, &n_failed, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n_failed, 0, "fresh heartbeats");
    usleep(500 * 1000);
    cr_assert_eq(ol_storage_heartbeat(st, alive, &err), OL_OK, "%s", err.msg);
    usleep(500 * 1000);
    cr_assert_eq(ol_storage_fail_stale(st, sid, 0.6, &n_failed, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n_failed, 1, "only the trial without a recent heartbeat");
    cr_assert_eq(ol_storage_fail_stale(st, sid, 0.6, &n_failed, &err), OL_OK);
    cr_assert_eq(n_failed, 0, "already failed");
    double v = 0.9;
    cr_assert_eq(ol_storage_finish_trial(st, dead, OL_TRIAL_COMPLETE, &v, &err), OL_ESTATE,
                 "a trial failed by another worker cannot be completed");
    cr_assert_eq(ol_storage_heartbeat(st, dead, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_create_trial(st, sid, 2, &replay, &nr, &err), OL_OK, "the failed slot runs again");
    cr_assert_eq(nr, 2);
    cr_assert_eq(ol_storage_finish_trial(st, alive, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_fail_stale(st, sid, -1, &n_failed, &err), OL_EINVAL);
    ol_storage_close(st);
}

/* What optlab writes, Optuna 3.1 reads (python3-optuna over python3-psycopg2). */
/* A tampered PostgreSQL storage is refused naming the row, never read as 0 (issue 16). */
static void pg_tampered_read(const char *sql, const char *needle) {
    ol_error err = {0};
    char name[64], stmt[512];
    int64_t sid, tid;
    int number;
    ol_storage *st = open_pg_study("tamper", name, sizeof name, &sid);
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &number, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, tid, "lr", 0.001, FLOAT_LOG, &err), OL_OK, "%s", err.msg);
    double v = 0.5;
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    snprintf(stmt, sizeof stmt, sql, (long long)tid, (long long)sid);
    admin_sql("optlab", stmt);
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    ol_status s = ol_storage_get_trials(st, sid, &tr, &n, &err);
    if (strstr(sql, "study_directions")) s = ol_storage_find_study(st, name, NULL, NULL, &err);
    cr_assert_eq(s, OL_EFORMAT, "%s: status %d (%s)", sql, (int)s, err.msg);
    cr_assert(strstr(err.msg, needle), "%s: message '%s' lacks '%s'", sql, err.msg, needle);
    ol_storage_close(st);
}

Test(postgres, tampered_value_null) {
    pg_tampered_read("UPDATE trial_values SET value = NULL WHERE trial_id = %lld", "no number");
}
Test(postgres, tampered_value_nan) {
    pg_tampered_read("UPDATE trial_values SET value = 'NaN' WHERE trial_id = %lld", "holds nan");
}
Test(postgres, tampered_number_null) {
    pg_tampered_read("UPDATE trials SET number = NULL WHERE trial_id = %lld", "has no number");
}
Test(postgres, tampered_param_null) {
    pg_tampered_read("UPDATE trial_params SET param_value = NULL WHERE trial_id = %lld", "parameter 'lr'");
}
Test(postgres, tampered_direction_missing) {
    pg_tampered_read("DELETE FROM study_directions WHERE %lld > 0 AND study_id = %lld", "no direction");
}

Test(postgres, optuna_reads_back) {
    ol_error err = {0};
    char name[64];
    int64_t sid, tid;
    int number;
    ol_storage *st = open_pg_study("interop/adamw", name, sizeof name, &sid);
    cr_assert_eq(ol_storage_set_study_attr(st, sid, "optlab:optimizer", "\"adamw\"", &err), OL_OK);
    const double lrs[3] = {0.00123, 0.0045678901234567, 0.0002};
    const double values[3] = {0.961, 0.9725, 0.5};
    char expect[4096];
    int off = snprintf(expect, sizeof expect, "study %s MAXIMIZE\nstudy_attr optlab:optimizer='adamw'\n", name);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &number, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_storage_set_param(st, tid, "learning_rate", lrs[i], FLOAT_LOG, &err), OL_OK);
        cr_assert_eq(ol_storage_set_param(st, tid, "layers", 2 + i, INT_DIST, &err), OL_OK);
        cr_assert_eq(ol_storage_set_param(st, tid, "opt", i % 2, CAT_DIST, &err), OL_OK);
        cr_assert_eq(ol_storage_set_intermediate(st, tid, 0, 0.5, &err), OL_OK);
        cr_assert_eq(ol_storage_set_intermediate(st, tid, 1, values[i], &err), OL_OK);
        cr_assert_eq(ol_storage_set_trial_attr(st, tid, "epochs", "2", &err), OL_OK);
        ol_trial_state state = i == 2 ? OL_TRIAL_PRUNED : OL_TRIAL_COMPLETE;
        cr_assert_eq(ol_storage_finish_trial(st, tid, state, i == 2 ? NULL : &values[i], &err), OL_OK, "%s",
                     err.msg);
        char v[40] = "None";
        if (i < 2) snprintf(v, sizeof v, "%.17g", values[i]);
        off += snprintf(expect + off, sizeof expect - (size_t)off,
                        "trial %d %s %s layers=%d(IntDistribution) learning_rate=%.17g(FloatDistribution) "
                        "opt=%s(CategoricalDistribution) iv=0:0.5,1:%.17g ua:epochs=2\n",
                        i, i == 2 ? "PRUNED" : "COMPLETE", v, 2 + i, lrs[i], i % 2 ? "adam" : "sgd", values[i]);
    }
    /* one trial left RUNNING, then failed by a heartbeat check: Optuna sees FAIL */
    cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &number, &err), OL_OK);
    usleep(300 * 1000);
    int n_failed;
    cr_assert_eq(ol_storage_fail_stale(st, sid, 0.2, &n_failed, &err), OL_OK);
    cr_assert_eq(n_failed, 1);
    off += snprintf(expect + off, sizeof expect - (size_t)off, "trial 3 FAIL None iv=\nbest 1\n");
    ol_storage_close(st);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/storage/pg_optuna_readback.py '%s' '%s' 2>&1",
             env("OPTLAB_PG_URL"), name);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char got[4096] = "";
    size_t len = fread(got, 1, sizeof got - 1, p);
    got[len] = 0;
    int rc = pclose(p);
    cr_assert_eq(rc, 0, "optuna readback failed:\n%s", got);
    cr_assert_str_eq(got, expect, "Optuna read back:\n%s\nexpected:\n%s", got, expect);
}

Test(postgres, foreign_schema_refused) {
    admin_sql("postgres", "DROP DATABASE IF EXISTS optlab_foreign");
    admin_sql("postgres", "CREATE DATABASE optlab_foreign OWNER optlab");
    char url[256];
    snprintf(url, sizeof url, "postgresql://optlab@127.0.0.1:%s/optlab_foreign", env("OPTLAB_PG_PORT"));
    ol_storage *st = NULL;
    ol_error err = {0};
    /* asked to open an existing storage only: an empty database is none, and stays empty */
    cr_assert_eq(ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_EXISTING, &err), OL_ENOTFOUND, "%s", err.msg);
    cr_assert(strstr(err.msg, "no storage"), "%s", err.msg);
    cr_assert_eq(ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_EXISTING, &err), OL_ENOTFOUND, "created: %s", err.msg);
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "an empty database gets the schema: %s", err.msg);
    ol_storage_close(st);
    cr_assert_eq(ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_EXISTING, &err), OL_OK, "%s", err.msg);
    ol_storage_close(st);
    admin_sql("optlab_foreign", "UPDATE alembic_version SET version_num = 'v2.0.0.a'");
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "v2.0.0.a") && strstr(err.msg, "v3.0.0.d"), "names both versions: %s", err.msg);
    admin_sql("postgres", "DROP DATABASE optlab_foreign");
    admin_sql("postgres", "CREATE DATABASE optlab_foreign OWNER optlab");
    admin_sql("optlab_foreign", "CREATE TABLE studies (id int); ALTER TABLE studies OWNER TO optlab");
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "not an Optuna"), "%s", err.msg);
    admin_sql("postgres", "DROP DATABASE optlab_foreign");
}

/* ---- connection faults ---- */

Test(postgres_faults, refused_port_retries_then_says_so) {
    /* a port nothing listens on: bind one, then close it */
    char url[128];
    snprintf(url, sizeof url, "postgresql://optlab@127.0.0.1:%d/optlab", 1);
    setenv("OPTLAB_PG_RETRY_SECONDS", "1.0", 1);
    ol_storage *st = NULL;
    ol_error err = {0};
    double t0 = ol_now();
    ol_status s = ol_storage_open(&st, url, &err);
    double spent = ol_now() - t0;
    unsetenv("OPTLAB_PG_RETRY_SECONDS");
    cr_assert_eq(s, OL_ESTORAGE);
    cr_assert(!st);
    cr_assert(strstr(err.msg, "optlab@127.0.0.1:1/optlab"), "names user@host:port/db: %s", err.msg);
    cr_assert(strstr(err.msg, "refused") && strstr(err.msg, "3 attempts"), "says refused, retried: %s", err.msg);
    cr_assert(spent > 0.6 && spent < 3.0, "backoff 0.25 + 0.5 s within the 1 s budget, took %.2f s", spent);
}

Test(postgres_faults, bad_password_is_clear_and_never_printed) {
    ol_storage *st = NULL;
    ol_error err = {0};
    double t0 = ol_now();
    cr_assert_eq(ol_storage_open(&st, env("OPTLAB_PG_BAD_URL"), &err), OL_ESTORAGE);
    cr_assert(ol_now() - t0 < 2.0, "a bad password is not retried");
    cr_assert(strstr(err.msg, "optlab_pw@127.0.0.1:") && strstr(err.msg, env("OPTLAB_PG_PORT")),
              "names user, host and port: %s", err.msg);
    cr_assert(strstr(err.msg, "password"), "says it is the password: %s", err.msg);
    cr_assert(!strstr(err.msg, "wrong-pw"), "never prints the password: %s", err.msg);
    /* the right password works, and the URL reported back hides it */
    char url[256];
    snprintf(url, sizeof url, "postgresql://optlab_pw:secret-pw@127.0.0.1:%s/optlab", env("OPTLAB_PG_PORT"));
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    cr_assert(!strstr(ol_storage_url(st), "secret-pw") && strstr(ol_storage_url(st), "optlab_pw:***@"), "%s",
              ol_storage_url(st));
    ol_storage_close(st);
}

static void restart_server(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash tests/storage/_pg_cluster.sh restart '%s' '%s'", env("OPTLAB_PG_DIR"),
             env("OPTLAB_PG_PORT"));
    cr_assert_eq(system(cmd), 0, "pg_ctl restart");
}

Test(postgres_faults, server_restart_mid_study) {
    ol_error err = {0};
    char name[64];
    int64_t sid, tid;
    int number;
    ol_storage *st = open_pg_study("restart", name, sizeof name, &sid);
    cr_assert_eq(ol_storage_create_trial(st, sid, 4, &tid, &number, &err), OL_OK);
    cr_assert_eq(ol_storage_set_param(st, tid, "learning_rate", 0.001, FLOAT_LOG, &err), OL_OK);
    cr_assert_eq(ol_storage_set_intermediate(st, tid, 0, 0.5, &err), OL_OK);
    restart_server();
    /* the next writes reconnect and carry on */
    cr_assert_eq(ol_storage_set_intermediate(st, tid, 1, 0.6, &err), OL_OK, "after restart: %s", err.msg);
    cr_assert_eq(ol_storage_heartbeat(st, tid, &err), OL_OK, "%s", err.msg);
    double v = 0.6;
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(ol_storage_create_trial(st, sid, 4, &tid, &number, &err), OL_OK, "%s", err.msg);
        if (i == 0) restart_server(); /* idle connection dies between create and finish */
        cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    }
    restart_server();
    cr_assert_eq(ol_storage_create_trial(st, sid, 4, &tid, &number, &err), OL_OK, "create after restart: %s",
                 err.msg);
    cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_storage_create_trial(st, sid, 4, &tid, &number, &err), OL_ESTOPPED);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 4, "no trial recorded twice");
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(tr[i].number, (int)i);
        cr_assert_eq(tr[i].state, OL_TRIAL_COMPLETE);
    }
    cr_assert_eq(tr[0].n_intermediate, 2);
    ol_trials_free(tr, n);
    ol_storage_close(st);
}

/* Another session kills ours in the middle of a study: the next create_trial
 * reconnects, finds its claim absent and creates exactly one trial. */
Test(postgres_faults, killed_connection_no_double_trial) {
    ol_error err = {0};
    char name[64];
    int64_t sid, tid;
    int number;
    ol_storage *st = open_pg_study("killed", name, sizeof name, &sid);
    for (int i = 0; i < 3; i++) {
        admin_sql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE usename = 'optlab' AND application_name = 'optlab'");
        cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &number, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(number, i);
        double v = i;
        admin_sql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE usename = 'optlab' AND application_name = 'optlab'");
        cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, &err), OL_OK, "%s", err.msg);
    }
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, sid, &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++) cr_assert_eq(tr[i].value, (double)i);
    ol_trials_free(tr, n);
    ol_storage_close(st);
}

/* ---- the throwaway cluster ---- */

static void on_signal(int sig) {
    pg_cluster_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char *argv[]) {
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true)) {
        if (!getenv("OPTLAB_PG_URL")) {
            if (pg_cluster_start("test_postgres") != 0) {
                fprintf(stderr, "test_postgres: could not start a PostgreSQL cluster (tests/storage/_pg_cluster.sh)\n");
                pg_cluster_stop();
                criterion_finalize(tests);
                return 1;
            }
            atexit(pg_cluster_stop);
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
        }
        /* One test at a time: one of them restarts the server under the others. */
        criterion_options.jobs = 1;
        result = !criterion_run_all_tests(tests);
    }
    criterion_finalize(tests);
    pg_cluster_stop();
    return result;
}
