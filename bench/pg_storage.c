/*
 * pg_storage.c — what one trial costs a PostgreSQL server, for docs/scaling.md.
 *
 * Starts a throwaway cluster (tests/storage/_pg_cluster.sh, with fsync and
 * synchronous_commit ON as on a real server, and pg_stat_statements loaded),
 * then measures:
 *   1. statements per typical trial, counted by the server (pg_stat_statements):
 *      ask (create_trial + the sampler's read of the study) + worker attribute +
 *      3 params + 30 epochs x (intermediate value + heartbeat) + 6 user
 *      attributes + tell; for a study holding 0 and 200 finished trials
 *      (rows the sampler's read returns grow with the study);
 *   2. the reference: Optuna 3.1's RDBStorage over psycopg2 doing the same
 *      trial (ask, 3 suggests, 30 reports, 6 user attributes, tell), counted
 *      the same way;
 *   3. throughput: W processes running such trials with no training at all
 *      (the worst case for the server) for 3 s: trials/s and statements/s.
 * Run from the repository root: build/bench/pg_storage (make bench).
 */
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "optlab/storage.h"
#include "pg_cluster.h"

/* The cluster as a real server runs: fsync and synchronous commit on, and
 * pg_stat_statements loaded to count statements. */
static int start_cluster(void) {
    setenv("PG_EXTRA_OPTS",
           "-c fsync=on -c synchronous_commit=on -c shared_preload_libraries=pg_stat_statements "
           "-c pg_stat_statements.track=top",
           1);
    return pg_cluster_start("pg_storage");
}

static PGconn *admin(void) {
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%s user=pgadmin dbname=optlab", getenv("OPTLAB_PG_PORT"));
    PGconn *c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_storage: admin connection: %s", PQerrorMessage(c));
        exit(1);
    }
    return c;
}

static long scalar(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : -1;
    if (v < 0) fprintf(stderr, "pg_storage: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return v;
}

static const char *DIST = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, "
                          "\"high\": 0.01, \"log\": true}}";

/* One trial as `optlab run` stores it. Returns 0, 1 when the study is full, -1 on error. */
static int typical_trial(ol_storage *st, int64_t sid, int budget, ol_error *err) {
    int64_t tid;
    int number;
    ol_status s = ol_storage_create_trial(st, sid, budget, &tid, &number, err);
    if (s == OL_ESTOPPED) return 1;
    if (s) return -1;
    ol_trial_rec *hist;
    size_t n;
    if (ol_storage_get_trials(st, sid, &hist, &n, err)) return -1;
    ol_trials_free(hist, n);
    if (ol_storage_set_trial_system_attr(st, tid, "optlab:worker", "\"host:1\"", err)) return -1;
    /* the three parameters in one statement, as the worker records them (ol_trial_suggest_many) */
    ol_param_rec params[3] = {{"learning_rate", 0.001, (char *)DIST}, {"beta1", 0.002, (char *)DIST},
                              {"beta2", 0.003, (char *)DIST}};
    if (ol_storage_set_params(st, tid, params, 3, err)) return -1;
    for (int e = 0; e < 30; e++)
        if (ol_storage_set_intermediate(st, tid, e, 0.9 + e * 1e-3, err) || ol_storage_heartbeat(st, tid, err))
            return -1;
    const char *keys[6] = {"test_accuracy", "best_epoch", "epochs", "seconds", "status", "train_loss"};
    for (int i = 0; i < 6; i++)
        if (ol_storage_set_trial_attr(st, tid, keys[i], "1", err)) return -1;
    double v = 0.95 + number * 1e-6;
    return ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &v, err) ? -1 : 0;
}

static long statements_of(PGconn *a) {
    return scalar(a, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                     "WHERE r.rolname = 'optlab' AND query NOT ILIKE '%pg_stat_statements%'");
}

int main(void) {
    if (start_cluster()) {
        fprintf(stderr, "pg_storage: could not start a cluster\n");
        pg_cluster_stop();
        return 1;
    }
    atexit(pg_cluster_stop);
    signal(SIGINT, exit);
    PGconn *a = admin();
    PQclear(PQexec(a, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"));
    const char *url = getenv("OPTLAB_PG_URL");
    ol_storage *st;
    ol_error err = {0};
    if (ol_storage_open(&st, url, &err)) {
        fprintf(stderr, "pg_storage: %s\n", err.msg);
        return 1;
    }
    int64_t sid;
    ol_storage_create_study(st, "cost", 1, &sid, &err);
    printf("1. statements per typical trial (3 params, 30 epochs with a heartbeat each, 6 attributes):\n");
    for (int filled = 0; filled <= 200; filled += 200) {
        /* fill the study, then measure one more trial */
        ol_trial_rec *tr;
        size_t n;
        ol_storage_get_trials(st, sid, &tr, &n, &err);
        ol_trials_free(tr, n);
        for (int i = (int)n; i < filled; i++) typical_trial(st, sid, 0, &err);
        PQclear(PQexec(a, "SELECT pg_stat_statements_reset()"));
        double t0 = ol_now();
        if (typical_trial(st, sid, 0, &err)) fprintf(stderr, "pg_storage: %s\n", err.msg);
        double ms = (ol_now() - t0) * 1e3;
        printf("   optlab, study with %3d trials: %ld statements, %.1f ms wall (client and server on one host)\n",
               filled, statements_of(a), ms);
    }
    ol_storage_close(st);

    /* 2. the reference: Optuna over psycopg2 */
    PQclear(PQexec(a, "SELECT pg_stat_statements_reset()"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\nimport optuna, time\noptuna.logging.set_verbosity(optuna.logging.WARNING)\n"
             "s = optuna.create_study(study_name='optuna-ref', storage='%s', direction='maximize')\n"
             "t0 = time.time()\nt = s.ask()\nfor k in ('learning_rate', 'beta1', 'beta2'): "
             "t.suggest_float(k, 1e-4, 1e-2, log=True)\nfor e in range(30): t.report(0.9 + e * 1e-3, e)\n"
             "for k in ('test_accuracy', 'best_epoch', 'epochs', 'seconds', 'status', 'train_loss'): "
             "t.set_user_attr(k, 1)\ns.tell(t, 0.95)\nprint('%%.1f' %% ((time.time() - t0) * 1e3))\n\"",
             url);
    long before = statements_of(a);
    FILE *p = popen(cmd, "r");
    char out[64] = "?";
    if (p && fgets(out, sizeof out, p)) out[strcspn(out, "\n")] = 0;
    if (p) pclose(p);
    /* Optuna's create_study and its schema checks are counted too: subtract a study with no trial */
    long with_trial = statements_of(a) - before;
    PQclear(PQexec(a, "SELECT pg_stat_statements_reset()"));
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\nimport optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)\n"
             "optuna.create_study(study_name='optuna-ref0', storage='%s', direction='maximize')\n\"",
             url);
    if (system(cmd) != 0) fprintf(stderr, "pg_storage: python reference failed\n");
    long without = statements_of(a);
    printf("   reference, Optuna 3.1 RDBStorage (psycopg2), same trial without heartbeats, study with 0 trials: "
           "%ld statements, %s ms wall\n",
           with_trial - without, out);

    /* 3. throughput with W workers and no training */
    printf("3. throughput, W worker processes running trials back to back with no training, 3 s each:\n");
    int ws[] = {1, 4, 16, 48};
    for (size_t k = 0; k < sizeof ws / sizeof *ws; k++) {
        int W = ws[k];
        char name[32];
        snprintf(name, sizeof name, "tp-%d", W);
        ol_storage *s0;
        if (ol_storage_open(&s0, url, &err) || ol_storage_create_study(s0, name, 1, &sid, &err)) {
            fprintf(stderr, "pg_storage: %s\n", err.msg);
            return 1;
        }
        ol_storage_close(s0);
        PQclear(PQexec(a, "SELECT pg_stat_statements_reset()"));
        int pipefd[2];
        if (pipe(pipefd)) return 1;
        double t0 = ol_now();
        for (int w = 0; w < W; w++) {
            if (fork() == 0) {
                ol_storage *cs;
                ol_error ce = {0};
                int done = 0;
                if (ol_storage_open(&cs, url, &ce) == OL_OK) {
                    while (ol_now() - t0 < 3.0 && typical_trial(cs, sid, 0, &ce) == 0) done++;
                    ol_storage_close(cs);
                }
                if (write(pipefd[1], &done, sizeof done) != sizeof done) _exit(1);
                _exit(0);
            }
        }
        close(pipefd[1]);
        int total = 0, d;
        while (read(pipefd[0], &d, sizeof d) == sizeof d) total += d;
        close(pipefd[0]);
        while (wait(NULL) > 0) {
        }
        double secs = ol_now() - t0;
        long stmts = statements_of(a);
        printf("   W=%2d: %6.1f trials/s, %7.0f statements/s (%d trials in %.1f s; a study of %d trials read at "
               "every ask)\n",
               W, total / secs, stmts / secs, total, secs, total);
    }
    PQfinish(a);
    return 0;
}
