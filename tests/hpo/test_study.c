/*
 * The study (ask/suggest/tell) and its samplers on cheap analytic functions:
 * bounds of every distribution kind, TPE against random, determinism, resume
 * = uninterrupted, the trial budget, bad search spaces, fixed parameters.
 * The storage-dependent tests run over memory: and over a temporary SQLite
 * file, since a study must behave the same on any backend.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optlab/hpo.h"

static char sqlite_path[128];

/* Open a fresh storage: backend 0 = memory:, 1 = a new SQLite file. */
static ol_storage *open_backend(int backend) {
    ol_storage *st = NULL;
    ol_error err = {0};
    char url[200];
    if (backend == 0) snprintf(url, sizeof url, "memory:");
    else {
        snprintf(sqlite_path, sizeof sqlite_path, "/tmp/optlab-hpo-test-%d-XXXXXX", (int)getpid());
        int fd = mkstemp(sqlite_path);
        cr_assert_geq(fd, 0);
        close(fd);
        unlink(sqlite_path);
        snprintf(url, sizeof url, "sqlite:///%s", sqlite_path);
    }
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s: %s", url, err.msg);
    return st;
}

static void close_backend(ol_storage *st, int backend) {
    ol_storage_close(st);
    if (backend == 1) {
        char side[160];
        unlink(sqlite_path);
        snprintf(side, sizeof side, "%s-wal", sqlite_path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", sqlite_path);
        unlink(side);
    }
}

static ol_sampler *make_sampler(const char *name) {
    ol_sampler *s;
    ol_error err = {0};
    cr_assert_eq(ol_sampler_new_by_name(&s, name, &err), OL_OK, "%s", err.msg);
    return s;
}

static double quadratic(double x) { return (x - 1.3) * (x - 1.3); }

/* Run up to n trials of the 1-D quadratic on [-10, 10]; best value found. */
static double run_quadratic(ol_storage *st, const char *name, const ol_sampler *sm, uint64_t seed, int budget,
                            int n, double *xs) {
    ol_study *s;
    ol_error err = {0};
    ol_study_options o = {.name = name, .maximize = 0, .seed = seed, .n_trials = budget, .sampler = sm};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK, "%s", err.msg);
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        ol_trial *t;
        ol_status rc = ol_study_ask(s, &t, &err);
        if (rc == OL_ESTOPPED) break;
        cr_assert_eq(rc, OL_OK, "%s", err.msg);
        double x;
        cr_assert_eq(ol_trial_suggest_float(t, "x", -10, 10, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        if (xs) xs[ol_trial_number(t)] = x;
        double y = quadratic(x);
        if (y < best) best = y;
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, y, &err), OL_OK, "%s", err.msg);
    }
    ol_study_close(s);
    return best;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(study, tpe_beats_random_on_a_quadratic) {
    ol_sampler *tpe = make_sampler("tpe"), *rnd = make_sampler("random");
    enum { SEEDS = 11, TRIALS = 40 };
    double bt[SEEDS], br[SEEDS];
    for (int k = 0; k < SEEDS; k++) {
        ol_storage *st = open_backend(0);
        bt[k] = run_quadratic(st, "tpe", tpe, 100 + k, 0, TRIALS, NULL);
        br[k] = run_quadratic(st, "rnd", rnd, 100 + k, 0, TRIALS, NULL);
        ol_storage_close(st);
    }
    qsort(bt, SEEDS, sizeof *bt, cmp_d);
    qsort(br, SEEDS, sizeof *br, cmp_d);
    /* 30 model-based trials should land much closer than 40 uniform draws */
    cr_assert_lt(bt[SEEDS / 2] * 5, br[SEEDS / 2], "median best: TPE %g, random %g", bt[SEEDS / 2], br[SEEDS / 2]);
    ol_sampler_free(tpe);
    ol_sampler_free(rnd);
}

static void same_seed_same_params(int backend) {
    ol_sampler *tpe = make_sampler("tpe");
    double a[25], b[25], c[25];
    ol_storage *st = open_backend(backend);
    run_quadratic(st, "a", tpe, 7, 0, 25, a);
    run_quadratic(st, "b", tpe, 7, 0, 25, b);
    run_quadratic(st, "c", tpe, 8, 0, 25, c);
    close_backend(st, backend);
    int differ = 0;
    for (int i = 0; i < 25; i++) {
        cr_assert_eq(a[i], b[i], "trial %d: %.17g vs %.17g", i, a[i], b[i]);
        if (a[i] != c[i]) differ++;
    }
    cr_assert_gt(differ, 20, "another seed must give other draws");
    ol_sampler_free(tpe);
}

Test(study, same_seed_same_params_memory) { same_seed_same_params(0); }
Test(study, same_seed_same_params_sqlite) { same_seed_same_params(1); }

static void resume_equals_uninterrupted(int backend) {
    ol_sampler *tpe = make_sampler("tpe");
    double whole[30], parts[30];
    ol_storage *st = open_backend(backend);
    run_quadratic(st, "whole", tpe, 99, 30, 100, whole);
    /* 15 trials, close the study, reopen by name, 15 more */
    run_quadratic(st, "parts", tpe, 99, 30, 15, parts);
    run_quadratic(st, "parts", tpe, 99, 30, 100, parts);
    for (int i = 0; i < 30; i++) cr_assert_eq(whole[i], parts[i], "trial %d", i);
    ol_error err = {0};
    int64_t id;
    int maximize;
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_find_study(st, "parts", &id, &maximize, &err), OL_OK);
    cr_assert_eq(ol_storage_get_trials(st, id, &tr, &n, &err), OL_OK);
    cr_assert_eq(n, 30, "the budget of 30 holds across the resume");
    ol_trials_free(tr, n);
    close_backend(st, backend);
    ol_sampler_free(tpe);
}

Test(study, resume_equals_uninterrupted_memory) { resume_equals_uninterrupted(0); }
Test(study, resume_equals_uninterrupted_sqlite) { resume_equals_uninterrupted(1); }

static void budget_respected(int backend) {
    ol_sampler *rnd = make_sampler("random");
    ol_storage *st = open_backend(backend);
    ol_error err = {0};
    ol_study *s1, *s2;
    ol_study_options o = {.name = "b", .seed = 1, .n_trials = 5, .sampler = rnd};
    cr_assert_eq(ol_study_open(&s1, st, &o, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_open(&s2, st, &o, &err), OL_OK, "%s", err.msg); /* a second worker */
    ol_trial *t[6];
    for (int i = 0; i < 5; i++) cr_assert_eq(ol_study_ask(i % 2 ? s2 : s1, &t[i], &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_ask(s1, &t[5], &err), OL_ESTOPPED);
    cr_assert_null(t[5]);
    cr_assert_eq(ol_study_ask(s2, &t[5], &err), OL_ESTOPPED);
    /* a failed trial frees its slot; pruned and complete ones do not */
    cr_assert_eq(ol_study_tell(s1, t[0], OL_TRIAL_FAIL, 0, &err), OL_OK);
    cr_assert_eq(ol_study_tell(s1, t[1], OL_TRIAL_PRUNED, 0, &err), OL_OK);
    cr_assert_eq(ol_study_tell(s1, t[2], OL_TRIAL_COMPLETE, 1, &err), OL_OK);
    cr_assert_eq(ol_study_ask(s2, &t[5], &err), OL_OK);
    cr_assert_eq(ol_trial_number(t[5]), 5);
    cr_assert_eq(ol_study_ask(s2, &t[0], &err), OL_ESTOPPED);
    for (int i = 3; i < 6; i++) cr_assert_eq(ol_study_tell(s2, t[i], OL_TRIAL_COMPLETE, i, &err), OL_OK);
    ol_study_close(s1);
    ol_study_close(s2);
    close_backend(st, backend);
    ol_sampler_free(rnd);
}

Test(study, budget_respected_memory) { budget_respected(0); }
Test(study, budget_respected_sqlite) { budget_respected(1); }

/* Every kind of distribution stays in bounds and on its grid, random and TPE. */
static void bounds_for(const char *sampler_name) {
    ol_sampler *sm = make_sampler(sampler_name);
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    ol_study_options o = {.name = "bounds", .maximize = 1, .seed = 5, .sampler = sm};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK);
    const char *opts[] = {"adam", "adamw", "sgd"};
    int n_small_lr = 0, seen_cat[3] = {0}, seen_int[11] = {0};
    enum { N = 60 };
    for (int i = 0; i < N; i++) {
        ol_trial *t;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        double lr, b, q;
        int64_t n, m, k;
        size_t c;
        cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-4, 1e-2, 1, 0, &lr, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "b", 0.8, 0.95, 0, 0, &b, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "q", 0, 1, 0, 0.25, &q, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "n", 0, 10, 0, 1, &n, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "m", 1, 1000, 1, 1, &m, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "k", 2, 12, 0, 5, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_categorical(t, "c", opts, 3, &c, &err), OL_OK, "%s", err.msg);
        cr_assert(lr >= 1e-4 && lr <= 1e-2, "lr %g", lr);
        cr_assert(b >= 0.8 && b <= 0.95, "b %g", b);
        cr_assert(q == 0 || q == 0.25 || q == 0.5 || q == 0.75 || q == 1, "q %g", q);
        cr_assert(n >= 0 && n <= 10);
        cr_assert(m >= 1 && m <= 1000);
        cr_assert(k == 2 || k == 7 || k == 12, "k %lld", (long long)k);
        cr_assert_lt(c, 3);
        if (lr < 1e-3) n_small_lr++;
        seen_cat[c]++;
        seen_int[n]++;
        /* a value that rewards small lr, category 1, high n */
        double v = -log10(lr) + (c == 1) + 0.1 * (double)n + b;
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK);
    }
    if (!strcmp(sampler_name, "random")) {
        /* log-uniform: about half below the geometric middle 1e-3 */
        cr_assert(n_small_lr > N / 4 && n_small_lr < 3 * N / 4, "%d of %d below 1e-3", n_small_lr, N);
        for (int j = 0; j < 3; j++) cr_assert_gt(seen_cat[j], 5, "choice %d seen %d times", j, seen_cat[j]);
        cr_assert(seen_int[0] + seen_int[10] > 0, "int endpoints are reachable");
    } else {
        /* TPE exploits: the rewarded category dominates after start-up */
        cr_assert_gt(seen_cat[1], N / 2, "category 1 chosen %d of %d", seen_cat[1], N);
    }
    ol_study_close(s);
    ol_storage_close(st);
    ol_sampler_free(sm);
}

Test(study, random_in_bounds_every_kind) { bounds_for("random"); }
Test(study, tpe_in_bounds_every_kind) { bounds_for("tpe"); }

Test(study, params_recorded_with_optuna_json) {
    ol_sampler *rnd = make_sampler("random");
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    ol_study_options o = {.name = "j", .seed = 5, .sampler = rnd};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK);
    ol_trial *t;
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
    double lr;
    size_t c;
    const char *opts[] = {"x", "y"};
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-4, 1e-2, 1, 0, &lr, &err), OL_OK);
    cr_assert_eq(ol_trial_suggest_categorical(t, "opt", opts, 2, &c, &err), OL_OK);
    cr_assert_eq(ol_trial_report(t, 0, 0.5, &err), OL_OK);
    cr_assert_eq(ol_trial_report(t, 1, 0.7, &err), OL_OK);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, 0.7, &err), OL_OK);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &n, &err), OL_OK);
    cr_assert_eq(tr[0].n_params, 2);
    cr_assert_str_eq(tr[0].params[0].distribution_json,
                     "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, \"high\": "
                     "0.01, \"log\": true}}");
    cr_assert_float_eq(tr[0].params[0].value, lr, 0);
    cr_assert_float_eq(tr[0].params[1].value, (double)c, 0);
    cr_assert_eq(tr[0].n_intermediate, 2);
    cr_assert_eq(tr[0].state, OL_TRIAL_COMPLETE);
    ol_trials_free(tr, n);
    ol_study_close(s);
    ol_storage_close(st);
    ol_sampler_free(rnd);
}

Test(study, bad_search_spaces_give_clear_errors) {
    ol_sampler *tpe = make_sampler("tpe");
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    ol_study_options o = {.name = "bad", .seed = 5, .sampler = tpe};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK);
    ol_trial *t;
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
    double x;
    int64_t i;
    size_t c;
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 0.1, 0.1, 0, 0, &x, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'lr'") && strstr(err.msg, "low < high"), "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 0.5, 0.1, 0, 0, &x, &err), OL_EINVAL);
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 0, 0.1, 1, 0, &x, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'lr'") && strstr(err.msg, "log"), "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_int(t, "n", 5, 1, 0, 1, &i, &err), OL_EINVAL);
    cr_assert_eq(ol_trial_suggest_categorical(t, "opt", NULL, 0, &c, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'opt'") && strstr(err.msg, "no choices"), "%s", err.msg);
    /* same name, other distribution, in one trial */
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-4, 1e-2, 1, 0, &x, &err), OL_OK);
    double again;
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-4, 1e-2, 1, 0, &again, &err), OL_OK);
    cr_assert_eq(again, x, "the same suggestion returns the same value");
    cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-4, 1e-1, 1, 0, &again, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'lr'") && strstr(err.msg, "again"), "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_int(t, "lr", 1, 5, 0, 1, &i, &err), OL_EINVAL);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, 1.0, &err), OL_OK);
    /* same name with another kind in a later trial */
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
    cr_assert_eq(ol_trial_suggest_int(t, "lr", 1, 5, 0, 1, &i, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "trial 0"), "%s", err.msg);
    ol_trial_abandon(t);
    ol_study_close(s);
    /* the other direction on an existing study */
    o.maximize = 1;
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "MINIMIZE"), "%s", err.msg);
    ol_storage_close(st);
    ol_sampler_free(tpe);
    cr_assert_eq(ol_sampler_new_by_name(&tpe, "bipop", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "bipop"));
}

Test(study, fixed_params_and_nan_values) {
    ol_sampler *tpe = make_sampler("tpe");
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    ol_study_options o = {.name = "fixed", .seed = 5, .sampler = tpe};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK);
    cr_assert_eq(ol_study_fix_param(s, "eps", 1e-8, &err), OL_OK);
    ol_trial *t;
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
    cr_assert_eq(ol_trial_fix_param(t, "n", 4, &err), OL_OK);
    double eps;
    int64_t n;
    cr_assert_eq(ol_trial_suggest_float(t, "eps", 1e-10, 1e-6, 1, 0, &eps, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(eps, 1e-8);
    cr_assert_eq(ol_trial_suggest_int(t, "n", 0, 10, 0, 1, &n, &err), OL_OK);
    cr_assert_eq(n, 4);
    int64_t tid = ol_trial_id(t);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, NAN, &err), OL_OK);
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
    cr_assert_eq(ol_trial_suggest_float(t, "eps", 1e-6, 1e-4, 1, 0, &eps, &err), OL_EINVAL,
                 "a fixed value outside the range is an error, not a clamp");
    cr_assert(strstr(err.msg, "'eps'"), "%s", err.msg);
    ol_trial_abandon(t);
    ol_trial_rec *tr;
    size_t nt;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &nt, &err), OL_OK);
    cr_assert_eq(tr[0].trial_id, tid);
    cr_assert_eq(tr[0].state, OL_TRIAL_FAIL, "NaN value -> FAIL, as Optuna");
    const char *fp = ol_attr_find(tr[0].system_attrs, tr[0].n_system_attrs, "fixed_params");
    cr_assert_not_null(fp);
    cr_assert_str_eq(fp, "{\"eps\": 1e-08, \"n\": 4.0}");
    ol_trials_free(tr, nt);
    ol_study_close(s);
    ol_storage_close(st);
    ol_sampler_free(tpe);
}

/* Maximisation and pruned trials feed TPE the right way round. */
Test(study, tpe_maximises_and_uses_pruned_trials) {
    ol_sampler *tpe = make_sampler("tpe");
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    ol_study_options o = {.name = "max", .maximize = 1, .seed = 3, .sampler = tpe};
    cr_assert_eq(ol_study_open(&s, st, &o, &err), OL_OK);
    double late = 0;
    int n_late = 0;
    for (int i = 0; i < 40; i++) {
        ol_trial *t;
        double x;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK);
        cr_assert_eq(ol_trial_suggest_float(t, "x", 0, 1, 0, 0, &x, &err), OL_OK);
        double v = -fabs(x - 0.8);
        if (i >= 20) {
            late += fabs(x - 0.8);
            n_late++;
        }
        if (i % 4 == 3) { /* prune some: last intermediate = the value */
            cr_assert_eq(ol_trial_report(t, 0, v, &err), OL_OK);
            cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_PRUNED, 0, &err), OL_OK);
        } else
            cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK);
    }
    ol_trial_rec *tr;
    size_t nt;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &nt, &err), OL_OK);
    cr_assert_eq(tr[3].state, OL_TRIAL_PRUNED);
    cr_assert(tr[3].has_value, "a pruned trial keeps its last intermediate value, as Optuna 3.1");
    cr_assert_float_eq(tr[3].value, tr[3].intermediate[0].value, 0);
    ol_trials_free(tr, nt);
    /* uniform draws would average 0.34 away from 0.8 */
    cr_assert_lt(late / n_late, 0.15, "mean distance of late trials %g", late / n_late);
    ol_study_close(s);
    ol_storage_close(st);
    ol_sampler_free(tpe);
}

/* One sequence of asks with parameters suggested one by one (many = 0) or in one
 * ol_trial_suggest_many call each (many = 1); out receives every value drawn. */
static void suggest_sequence(int many, double out[24][4]) {
    ol_sampler *tpe = make_sampler("tpe");
    ol_storage *st = open_backend(0);
    ol_error err = {0};
    ol_study *s;
    cr_assert_eq(ol_study_open(&s, st, &(ol_study_options){.name = "m", .seed = 11, .sampler = tpe}, &err), OL_OK);
    const char *choices[] = {"a", "b", "c"};
    ol_distribution d[4] = {{.kind = OL_DIST_FLOAT, .low = 1e-4, .high = 1, .log = 1},
                            {.kind = OL_DIST_INT, .low = 1, .high = 9, .step = 2},
                            {0},
                            {.kind = OL_DIST_FLOAT, .low = -2, .high = 2}};
    cr_assert_eq(ol_dist_categorical(&d[2], choices, 3, &err), OL_OK);
    /* "x" twice: the second is the first's value, as a second ol_trial_suggest would give */
    const char *names[5] = {"lr", "n", "act", "x", "lr"};
    ol_distribution dd[5] = {d[0], d[1], d[2], d[3], d[0]};
    for (int r = 0; r < 24; r++) {
        ol_trial *t;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        if (r % 5 == 4) cr_assert_eq(ol_trial_fix_param(t, "n", 5, &err), OL_OK, "%s", err.msg);
        double v[5];
        if (many) {
            cr_assert_eq(ol_trial_suggest_many(t, names, dd, 5, v, &err), OL_OK, "%s", err.msg);
        } else {
            for (int k = 0; k < 5; k++)
                cr_assert_eq(ol_trial_suggest(t, names[k], &dd[k], &v[k], &err), OL_OK, "%s", err.msg);
        }
        cr_assert(!memcmp(&v[4], &v[0], sizeof v[0]));
        memcpy(out[r], v, 4 * sizeof v[0]);
        double y = log(v[0]) * log(v[0]) + v[1] + v[2] + v[3] * v[3];
        if (r % 7 == 6) ol_trial_abandon(t); /* left RUNNING: the constant liar sees it */
        else cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, y, &err), OL_OK, "%s", err.msg);
    }
    /* what was stored: the same rows in the same order */
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &n, &err), OL_OK);
    cr_assert_eq(n, 24);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(tr[i].n_params, 4, "trial %zu holds %zu parameters", i, tr[i].n_params);
        for (size_t k = 0; k < 4; k++) {
            cr_assert_str_eq(tr[i].params[k].name, names[k]);
            cr_assert(!memcmp(&tr[i].params[k].value, &out[i][k], sizeof(double)));
        }
    }
    ol_trials_free(tr, n);
    ol_distribution_free(&d[2]);
    ol_study_close(s);
    ol_storage_close(st);
    ol_sampler_free(tpe);
}

Test(study, suggest_many_draws_and_stores_as_suggests_one_by_one) {
    double one[24][4], many[24][4];
    suggest_sequence(0, one);
    suggest_sequence(1, many);
    for (int r = 0; r < 24; r++)
        for (int k = 0; k < 4; k++)
            cr_assert(!memcmp(&one[r][k], &many[r][k], sizeof(double)), "trial %d, parameter %d: %.17g one by one, %.17g at once",
                      r, k, one[r][k], many[r][k]);
}

/* A call that fails records nothing and leaves the trial without its parameters. */
Test(study, suggest_many_is_all_or_nothing) {
    ol_sampler *rnd = make_sampler("random");
    ol_storage *st = open_backend(1);
    ol_error err = {0};
    ol_study *s;
    cr_assert_eq(ol_study_open(&s, st, &(ol_study_options){.name = "a", .seed = 3, .sampler = rnd}, &err), OL_OK);
    ol_trial *t;
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
    const char *names[3] = {"x", "y", "z"};
    ol_distribution d[3] = {{.kind = OL_DIST_FLOAT, .low = 0, .high = 1},
                            {.kind = OL_DIST_FLOAT, .low = 2, .high = 1}, /* low > high */
                            {.kind = OL_DIST_FLOAT, .low = 0, .high = 1}};
    double v[3];
    cr_assert_eq(ol_trial_suggest_many(t, names, d, 3, v, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "parameter y"), "the message does not name the parameter: %s", err.msg);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &n, &err), OL_OK);
    cr_assert_eq(tr[0].n_params, 0, "a failed call stored %zu parameters", tr[0].n_params);
    ol_trials_free(tr, n);
    /* the trial forgot x too: another distribution for it is a first suggest, not a conflict */
    double x;
    cr_assert_eq(ol_trial_suggest_float(t, "x", 5, 6, 0, 0, &x, &err), OL_OK, "%s", err.msg);
    cr_assert(x >= 5 && x <= 6);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, x, &err), OL_OK, "%s", err.msg);
    ol_study_close(s);
    close_backend(st, 1);
    ol_sampler_free(rnd);
}
