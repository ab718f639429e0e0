/*
 * The CMA-ES sampler's two options beyond the plain run (src/hpo/cmaes.c):
 *  - with_margin (CMA-ES with Margin): the mean, sigma and the margin's scales A after fixed
 *    generations equal the `cmaes` package's CMAwM to 1e-9 (golden/cmaes_margin.txt, made by
 *    golden/make_cmaes_margin_golden.py); on generations that collapse onto one grid value, the
 *    probability of drawing another value stays >= 1/(n lambda) on every int, log-int and stepped
 *    coordinate with the margin and falls far below it without (so the check can fail); in a
 *    study, an int coordinate keeps visiting other values late in the run with the margin and
 *    freezes without it; draws are seeded and a fresh sampler resuming from SQLite (replaying the
 *    optlab:cma:x points) asks what an uninterrupted one asks;
 *  - the warm start (source_study): the mean, step size and covariance estimated from a source
 *    study equal the package's get_warm_start_mgd (golden/cmaes_warm_start.txt, made by
 *    golden/make_cmaes_warm_start_golden.py), whichever the source's direction, and with other gamma
 *    and alpha; the first generation of a warm-started study lies near the source's optimum, and
 *    the same seed draws the same trials; a missing source, one with
 *    too few COMPLETE trials or too few parameters, and a space that does not match are refused with
 *    messages naming them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/hpo/hpo_internal.h"
#include "optlab/hpo.h"

/* ---- with_margin: the update against the cmaes package ---- */

Test(cmaes_margin, matches_the_cmaes_package) {
    FILE *fp = fopen("tests/hpo/golden/cmaes_margin.txt", "r");
    cr_assert_not_null(fp, "tests/hpo/golden/cmaes_margin.txt (run from the repository root)");
    char line[8192];
    int cases = 0;
    ol_error err = {0};
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        int n, lam, gens;
        double sigma0;
        cr_assert_eq(sscanf(line, "case %d %d %d %lf", &n, &lam, &gens, &sigma0), 4, "bad line: %s", line);
        cr_assert(n <= 8 && lam <= 12 && gens <= 12);
        int K[8];
        ol_distribution d[8];
        memset(d, 0, sizeof d);
        cr_assert_eq(fscanf(fp, " k"), 0);
        for (int j = 0; j < n; j++) {
            cr_assert_eq(fscanf(fp, "%d", &K[j]), 1);
            if (K[j] == 0) cr_assert_eq(ol_dist_float(&d[j], 0, 1, 0, 0, &err), OL_OK, "%s", err.msg);
            else cr_assert_eq(ol_dist_int(&d[j], 0, K[j] - 1, 0, 1, &err), OL_OK, "%s", err.msg);
        }
        double m0[8], X[12 * 12 * 8], f[12 * 12], want_mean[8], want_a[8], want_sigma;
        double mean[8], A[8], p_other[8], sigma;
        cr_assert_eq(fscanf(fp, " m0"), 0);
        for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &m0[j]), 1);
        for (int r = 0; r < gens * lam; r++) {
            for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &X[r * n + j]), 1);
            cr_assert_eq(fscanf(fp, "%lf", &f[r]), 1);
        }
        cr_assert_eq(fscanf(fp, " sigma %lf mean", &want_sigma), 1);
        for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &want_mean[j]), 1);
        cr_assert_eq(fscanf(fp, " A"), 0);
        for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &want_a[j]), 1);
        if (!fgets(line, sizeof line, fp)) line[0] = 0;
        cr_assert_eq(ol_hpo_cmaes_margin_check((size_t)n, d, 1, lam, m0, sigma0, gens, X, f, &sigma, mean, A, p_other),
                     0);
        cr_expect(fabs(sigma - want_sigma) <= 1e-10 * want_sigma, "case %d: sigma %.17g, cmaes %.17g", cases, sigma,
                  want_sigma);
        int margin_moved = 0;
        for (int j = 0; j < n; j++) {
            cr_expect(fabs(mean[j] - want_mean[j]) <= 1e-9, "case %d: mean[%d] %.17g, cmaes %.17g", cases, j, mean[j],
                      want_mean[j]);
            cr_expect(fabs(A[j] - want_a[j]) <= 1e-9 * want_a[j], "case %d: A[%d] %.17g, cmaes %.17g", cases, j, A[j],
                      want_a[j]);
            margin_moved |= fabs(want_a[j] - 1) > 1e-3;
        }
        cr_expect(margin_moved, "case %d: the margin never acted (a golden case that tests nothing)", cases);
        for (int j = 0; j < n; j++) ol_distribution_free(&d[j]);
        cases++;
    }
    fclose(fp);
    cr_assert_eq(cases, 3, "golden cases read: %d", cases);
}

/* ---- with_margin: the probability of another grid value ---- */

enum { MN = 5, MLAM = 8, MGENS = 30 };

/* Generations that collapse onto one value of each grid coordinate: its points lie within 1e-3 sigma
 * of the mean, the continuous ones spread by sigma. p_other after MGENS of them. */
static void collapse(const ol_distribution *d, int margin, double *p_other, double *A) {
    static double X[MGENS * MLAM * MN], f[MGENS * MLAM];
    double m0[MN] = {0.5, 0.52, 0.47, 0.31, 0.66}, mean[MN], sigma = 0.2;
    memcpy(mean, m0, sizeof mean);
    for (int g = 0; g < MGENS; g++) {
        for (int i = 0; i < MLAM; i++) {
            for (int j = 0; j < MN; j++) {
                int grid = d[j].kind == OL_DIST_INT || d[j].step > 0;
                X[(g * MLAM + i) * MN + j] = mean[j] + sigma * (grid ? 1e-3 : 1.0) * sin(1.0 + 3 * i + 7 * j + 11 * g);
            }
            f[g * MLAM + i] = cos(1.3 * i + g);
        }
        cr_assert_eq(ol_hpo_cmaes_margin_check(MN, d, margin, MLAM, m0, 0.2, g + 1, X, f, &sigma, mean, A, p_other), 0);
    }
}

Test(cmaes_margin, keeps_the_probability_of_other_values) {
    ol_error err = {0};
    ol_distribution d[MN];
    memset(d, 0, sizeof d);
    cr_assert_eq(ol_dist_float(&d[0], 0, 1, 0, 0, &err), OL_OK);     /* continuous */
    cr_assert_eq(ol_dist_int(&d[1], 0, 9, 0, 1, &err), OL_OK);       /* int, 10 values */
    cr_assert_eq(ol_dist_int(&d[2], 1, 64, 1, 1, &err), OL_OK);      /* log int */
    cr_assert_eq(ol_dist_float(&d[3], 0, 1, 0, 0.25, &err), OL_OK);  /* stepped float, 5 values */
    cr_assert_eq(ol_dist_int(&d[4], 0, 1, 0, 1, &err), OL_OK);       /* binary: both values are ends */
    double alpha = 1.0 / (MN * MLAM), p[MN], A[MN];
    collapse(d, 1, p, A);
    cr_expect(isnan(p[0]), "a continuous coordinate has no grid");
    for (int j = 1; j < MN; j++)
        cr_expect(p[j] >= alpha * (1 - 1e-9), "with the margin, coordinate %d: P(another value) %.3g < alpha %.3g", j,
                  p[j], alpha);
    /* without the margin the same generations freeze every grid coordinate */
    collapse(d, 0, p, A);
    for (int j = 1; j < MN; j++)
        cr_expect(p[j] < alpha / 10, "without the margin, coordinate %d: P(another value) %.3g: nothing to test", j,
                  p[j]);
    for (int j = 0; j < MN; j++) ol_distribution_free(&d[j]);
}

/* ---- studies ---- */

typedef struct {
    ol_storage *st;
    ol_sampler *sm;
    ol_study *s;
} fixture;

static void open_on(fixture *f, const char *url, const char *name, const char *kwargs, uint64_t seed, int maximize) {
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&f->st, url, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_new_in_storage(&f->sm, "cmaes", kwargs, f->st, &err), OL_OK, "%s", err.msg);
    ol_study_options so = {.name = name, .maximize = maximize, .seed = seed, .sampler = f->sm};
    cr_assert_eq(ol_study_open(&f->s, f->st, &so, &err), OL_OK, "%s", err.msg);
}

static void close_fixture(fixture *f) {
    ol_study_close(f->s);
    ol_sampler_free(f->sm);
    ol_storage_close(f->st);
}

/* mixed: x, y floats on [-5, 5], k int 0..10, w log int 1..100; minimum 0 at (1, -1, 3, 20) */
static double mixed(const double *v) {
    return (v[0] - 1) * (v[0] - 1) + (v[1] + 1) * (v[1] + 1) + 0.5 * fabs(v[2] - 3) + 0.3 * fabs(log(v[3] / 20));
}

static void run_mixed(fixture *f, int trials, double *vs) {
    ol_error err = {0};
    for (int i = 0; i < trials; i++) {
        ol_trial *t;
        double *v = vs + 4 * i;
        int64_t k, w;
        cr_assert_eq(ol_study_ask(f->s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &v[0], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", -5, 5, 0, 0, &v[1], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "k", 0, 10, 0, 1, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "w", 1, 100, 1, 1, &w, &err), OL_OK, "%s", err.msg);
        v[2] = (double)k;
        v[3] = (double)w;
        cr_assert_eq(ol_study_tell(f->s, t, OL_TRIAL_COMPLETE, mixed(v), &err), OL_OK, "%s", err.msg);
    }
}

Test(cmaes_margin, seeded_and_resumable) {
    enum { N = 80 };
    static double a[N * 4], b[N * 4], c[N * 4];
    const char *kw = "{\"with_margin\": true}";
    fixture f;
    open_on(&f, "memory:", "m", kw, 11, 0);
    run_mixed(&f, N, a);
    /* every CMA-ES trial carries the point it was read from: four finite numbers */
    ol_error err = {0};
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_get_trials(f.st, ol_study_id(f.s), &tr, &n, &err), OL_OK, "%s", err.msg);
    for (size_t i = 1; i < n; i++) {
        const char *x = ol_attr_find(tr[i].system_attrs, tr[i].n_system_attrs, OL_CMAES_ATTR_X);
        double v[4];
        cr_assert_not_null(x, "trial %zu lacks %s", i, OL_CMAES_ATTR_X);
        cr_expect_eq(sscanf(x, "[%lf, %lf, %lf, %lf]", &v[0], &v[1], &v[2], &v[3]), 4, "trial %zu: %s", i, x);
    }
    ol_trials_free(tr, n);
    close_fixture(&f);
    open_on(&f, "memory:", "m", kw, 11, 0);
    run_mixed(&f, N, b);
    close_fixture(&f);
    cr_expect_eq(memcmp(a, b, sizeof a), 0, "one seed, two studies: different draws");
    for (int i = 0; i < N; i++) {
        cr_expect_eq(a[4 * i + 2], round(a[4 * i + 2]), "k off its grid at trial %d", i);
        cr_expect(a[4 * i + 3] >= 1 && a[4 * i + 3] <= 100, "w out of range at trial %d", i);
    }
    /* stopped half-way in SQLite, resumed by a fresh sampler that replays the stored points */
    char path[64], url[80];
    snprintf(path, sizeof path, "/tmp/optlab-cma-margin-%d.db", (int)getpid());
    snprintf(url, sizeof url, "sqlite:///%s", path);
    unlink(path);
    open_on(&f, url, "m", kw, 11, 0);
    run_mixed(&f, N / 2, c);
    close_fixture(&f);
    open_on(&f, url, "m", kw, 11, 0);
    run_mixed(&f, N - N / 2, c + 4 * (N / 2));
    close_fixture(&f);
    unlink(path);
    cr_expect_eq(memcmp(a, c, sizeof a), 0, "the resumed study asked differently");
}

/* In a study: late in the run, k still visits other values with the margin; without it k freezes. */
static int late_other_values(const char *kwargs, int trials, int late) {
    static double v[500 * 4];
    fixture f;
    open_on(&f, "memory:", "m", kwargs, 5, 0);
    run_mixed(&f, trials, v);
    close_fixture(&f);
    int count[11] = {0}, mode = 0, other = 0;
    for (int i = trials - late; i < trials; i++) count[(int)v[4 * i + 2]]++;
    for (int k = 0; k < 11; k++)
        if (count[k] > count[mode]) mode = k;
    for (int i = trials - late; i < trials; i++) other += (int)v[4 * i + 2] != mode;
    return other;
}

Test(cmaes_margin, an_int_keeps_moving_in_a_study) {
    int with = late_other_values("{\"with_margin\": true, \"restart_strategy\": \"none\"}", 450, 150);
    int without = late_other_values("{\"restart_strategy\": \"none\"}", 450, 150);
    fprintf(stderr, "k left its mode in the last 150 of 450 trials: %d times with the margin, %d without\n", with, without);
    /* alpha = 1/(4 * 9): about 4 of 150 draws at least; without the margin none */
    cr_expect_geq(with, 3, "with the margin, k left its mode %d times in the last 150 trials", with);
    cr_expect_eq(without, 0, "without the margin k still moved (%d): nothing to compare", without);
}

/* ---- warm start ---- */

/* A study `name` in st whose trials hold rows[i] (nparam floats on [-5, 5]) with values f[i]. */
static void store_study(ol_storage *st, const char *name, int maximize, int nparam, const double *rows,
                        const double *f, int n, const char *const *names) {
    ol_error err = {0};
    int64_t sid;
    cr_assert_eq(ol_storage_create_study(st, name, maximize, &sid, &err), OL_OK, "%s", err.msg);
    ol_distribution d;
    cr_assert_eq(ol_dist_float(&d, -5, 5, 0, 0, &err), OL_OK);
    char *dj = ol_distribution_to_json(&d);
    for (int i = 0; i < n; i++) {
        int64_t tid;
        int number;
        cr_assert_eq(ol_storage_create_trial(st, sid, 0, &tid, &number, &err), OL_OK, "%s", err.msg);
        for (int j = 0; j < nparam; j++)
            cr_assert_eq(ol_storage_set_param(st, tid, names[j], rows[i * nparam + j], dj, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &f[i], &err), OL_OK, "%s", err.msg);
    }
    free(dj);
    ol_distribution_free(&d);
}

Test(cmaes_warm_start, matches_the_cmaes_package) {
    FILE *fp = fopen("tests/hpo/golden/cmaes_warm_start.txt", "r");
    cr_assert_not_null(fp, "tests/hpo/golden/cmaes_warm_start.txt (run from the repository root)");
    char line[4096];
    while (fgets(line, sizeof line, fp) && line[0] == '#') {
    }
    int n;
    cr_assert_eq(sscanf(line, "trials %d", &n), 1, "bad line: %s", line);
    cr_assert(n <= 100);
    double rows[300], f[100], neg[100], want_mean[2][3], want_sigma[2], want_c[2][9], gamma[2], alpha[2];
    for (int i = 0; i < n; i++) {
        cr_assert_eq(fscanf(fp, "%lf %lf %lf %lf", &rows[3 * i], &rows[3 * i + 1], &rows[3 * i + 2], &f[i]), 4);
        neg[i] = -f[i];
    }
    for (int c = 0; c < 2; c++) {
        cr_assert_eq(fscanf(fp, " gamma %lf alpha %lf", &gamma[c], &alpha[c]), 2);
        cr_assert_eq(fscanf(fp, " mean %lf %lf %lf sigma %lf C", &want_mean[c][0], &want_mean[c][1], &want_mean[c][2],
                            &want_sigma[c]),
                     4);
        for (int j = 0; j < 9; j++) cr_assert_eq(fscanf(fp, "%lf", &want_c[c][j]), 1);
    }
    fclose(fp);
    const char *names[3] = {"x0", "x1", "x2"};
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    store_study(st, "src-min", 0, 3, rows, f, n, names);
    store_study(st, "src-max", 1, 3, rows, neg, n, names); /* the same trials, maximising -f: the same best */
    char kws[3][200];
    snprintf(kws[0], sizeof kws[0], "{\"source_study\": \"src-min\"}");
    snprintf(kws[1], sizeof kws[1], "{\"source_study\": [\"src-max\"]}");
    snprintf(kws[2], sizeof kws[2], "{\"source_study\": \"src-min\", \"source_gamma\": %.17g, \"source_alpha\": %.17g}",
             gamma[1], alpha[1]);
    for (int c = 0; c < 3; c++) {
        int g = c == 2; /* the golden setting */
        ol_sampler *sm;
        cr_assert_eq(ol_sampler_new_in_storage(&sm, "cmaes", kws[c], st, &err), OL_OK, "%s", err.msg);
        double mean[3], sigma, C[9];
        cr_assert_eq(ol_hpo_cmaes_prior(sm, 0, mean, &sigma, C, 3), 3);
        cr_expect(fabs(sigma - want_sigma[g]) <= 1e-10 * want_sigma[g], "%s: sigma %.17g, cmaes %.17g", kws[c], sigma,
                  want_sigma[g]);
        for (int j = 0; j < 3; j++)
            cr_expect(fabs(mean[j] - want_mean[g][j]) <= 1e-12, "%s: mean[%d] %.17g, cmaes %.17g", kws[c], j, mean[j],
                      want_mean[g][j]);
        for (int j = 0; j < 9; j++)
            cr_expect(fabs(C[j] - want_c[g][j]) <= 1e-10, "%s: C[%d] %.17g, cmaes %.17g", kws[c], j, C[j], want_c[g][j]);
        ol_sampler_free(sm);
    }
    ol_storage_close(st);
}

static double shifted(const double *x) { /* minimum 0 at (2.5, -2, 1) */
    return (x[0] - 2.5) * (x[0] - 2.5) + (x[1] + 2) * (x[1] + 2) + (x[2] - 1) * (x[2] - 1);
}

/* trials of shifted() in study `name`; xs gets the parameters */
static void run_shifted(ol_storage *st, ol_sampler *sm, const char *name, int trials, double *xs) {
    ol_error err = {0};
    ol_study *s;
    ol_study_options so = {.name = name, .maximize = 0, .seed = 21, .sampler = sm};
    cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
    const char *names[3] = {"x0", "x1", "x2"};
    for (int i = 0; i < trials; i++) {
        ol_trial *t;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        for (int j = 0; j < 3; j++)
            cr_assert_eq(ol_trial_suggest_float(t, names[j], -5, 5, 0, 0, &xs[3 * i + j], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, shifted(xs + 3 * i), &err), OL_OK, "%s", err.msg);
    }
    ol_study_close(s);
}

/* distance from the optimum to the centroid of trials first..first+count-1 */
static double centroid_distance(const double *xs, int first, int count) {
    const double opt[3] = {2.5, -2, 1};
    double d = 0;
    for (int j = 0; j < 3; j++) {
        double c = 0;
        for (int i = first; i < first + count; i++) c += xs[3 * i + j] / count;
        d += (c - opt[j]) * (c - opt[j]);
    }
    return sqrt(d);
}

Test(cmaes_warm_start, starts_near_the_sources_optimum) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    static double src[100 * 3], cold[8 * 3], warm[8 * 3], again[8 * 3];
    ol_sampler *sm;
    cr_assert_eq(ol_sampler_new_by_name_kwargs(&sm, "cmaes", NULL, &err), OL_OK);
    run_shifted(st, sm, "source", 100, src); /* the source task: CMA-ES, 100 trials */
    run_shifted(st, sm, "cold", 8, cold);    /* a target without warm start */
    ol_sampler_free(sm);
    cr_assert_eq(ol_sampler_new_in_storage(&sm, "cmaes", "{\"source_study\": \"source\"}", st, &err), OL_OK, "%s",
                 err.msg);
    run_shifted(st, sm, "warm", 8, warm);
    ol_sampler_free(sm);
    /* seeded: a fresh sampler on a fresh study with the same seed draws the same trials */
    cr_assert_eq(ol_sampler_new_in_storage(&sm, "cmaes", "{\"source_study\": \"source\"}", st, &err), OL_OK, "%s",
                 err.msg);
    run_shifted(st, sm, "warm-again", 8, again);
    ol_sampler_free(sm);
    cr_expect_eq(memcmp(warm, again, sizeof warm), 0, "one seed, one source: different draws");
    ol_storage_close(st);
    /* trials 1..7: the first CMA-ES generation (popsize 4 + floor(3 ln 3) = 7) after the random start-up */
    double dc = centroid_distance(cold, 1, 7), dw = centroid_distance(warm, 1, 7);
    fprintf(stderr, "first generation's centroid from the optimum: warm %.3f, cold %.3f\n", dw, dc);
    cr_expect(dw < 1.0, "warm start: first generation's centroid %.3f from the optimum", dw);
    cr_expect(dc > 2.5, "cold start: first generation's centroid %.3f from the optimum (the centre is 3.35 away)", dc);
}

static void expect_refused(ol_storage *st, const char *kwargs, const char *want) {
    ol_sampler *sm = NULL;
    ol_error err = {0};
    cr_expect_eq(ol_sampler_new_in_storage(&sm, "cmaes", kwargs, st, &err), OL_EINVAL, "%s accepted", kwargs);
    cr_expect(strstr(err.msg, want) != NULL, "%s: message '%s' lacks '%s'", kwargs, err.msg, want);
    cr_expect_null(sm);
    ol_sampler_free(sm);
}

Test(cmaes_warm_start, bad_sources_are_refused) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK);
    double rows[20 * 3], f[20];
    for (int i = 0; i < 20 * 3; i++) rows[i] = sin(i);
    for (int i = 0; i < 20; i++) f[i] = cos(i);
    const char *names[3] = {"x0", "x1", "x2"};
    store_study(st, "nine", 0, 3, rows, f, 9, names);
    store_study(st, "ten", 0, 3, rows, f, 10, names);
    store_study(st, "one-param", 0, 1, rows, f, 20, names);
    int64_t sid;
    cr_assert_eq(ol_storage_create_study(st, "empty", 0, &sid, &err), OL_OK);
    expect_refused(st, "{\"source_study\": \"nope\"}", "source_study \"nope\": no such study in memory:");
    expect_refused(st, "{\"source_study\": [\"ten\", \"nope\"]}", "source_study \"nope\": no such study");
    expect_refused(st, "{\"source_study\": \"nine\"}", "source_study \"nine\" has 9 COMPLETE trials");
    expect_refused(st, "{\"source_study\": \"nine\"}", "needs at least 10");
    expect_refused(st, "{\"source_study\": \"empty\"}", "source_study \"empty\" has no COMPLETE trial");
    expect_refused(st, "{\"source_study\": \"one-param\"}", "searches 1 float/int parameter");
    expect_refused(st, "{\"source_study\": \"ten\", \"x0\": {\"x0\": 1}}", "cannot be combined with x0");
    expect_refused(st, "{\"source_study\": \"ten\", \"sigma0\": 0.1}", "cannot be combined with sigma0");
    expect_refused(st, "{\"source_study\": 3}", "source_study must be a study name");
    expect_refused(st, "{\"source_study\": []}", "source_study must be a study name");
    expect_refused(st, "{\"source_trials\": []}", "source_trials is Optuna's list of trial objects");
    expect_refused(st, "{\"source_study\": \"ten\", \"source_gamma\": 0}", "source_gamma must be a number in (0, 1]");
    expect_refused(st, "{\"source_study\": \"ten\", \"source_alpha\": 1.5}", "source_alpha must be a number in (0, 1]");
    expect_refused(st, "{\"source_alpha\": 0.05}", "source_gamma and source_alpha need a source_study");
    expect_refused(st, "{\"source_study\": \"ten\", \"source_gamma\": 0.05}", "needs at least 20");
    /* without a storage: refused when making it, accepted by the form check */
    ol_sampler *sm = NULL;
    cr_expect_eq(ol_sampler_new_by_name_kwargs(&sm, "cmaes", "{\"source_study\": \"ten\"}", &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "source_study needs the storage") != NULL, "%s", err.msg);
    cr_expect_eq(ol_sampler_check_kwargs("cmaes", "{\"source_study\": \"ten\", \"with_margin\": true}", &err), OL_OK,
                 "%s", err.msg);
    cr_expect_eq(ol_sampler_check_kwargs("cmaes", "{\"source_study\": \"ten\", \"x0\": {\"x0\": 1}}", &err), OL_EINVAL);

    /* ten COMPLETE trials are enough; then the target's space must be the source's */
    cr_assert_eq(ol_sampler_new_in_storage(&sm, "cmaes", "{\"source_study\": \"ten\"}", st, &err), OL_OK, "%s", err.msg);
    ol_distribution d[4];
    memset(d, 0, sizeof d);
    for (int j = 0; j < 3; j++) cr_assert_eq(ol_dist_float(&d[j], -5, 5, 0, 0, &err), OL_OK);
    cr_assert_eq(ol_dist_categorical(&d[3], (const char *const[]){"a", "b"}, 2, &err), OL_OK);
    const char *same[4] = {"x2", "x0", "x1", "act"}; /* any order; categoricals are not CMA-ES's */
    cr_expect_eq(ol_sampler_cmaes_check_space(sm, same, d, 4, &err), OL_OK, "%s", err.msg);
    const char *other[3] = {"x0", "x1", "z"};
    cr_expect_eq(ol_sampler_cmaes_check_space(sm, other, d, 3, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "z is searched here, not in the source") != NULL, "%s", err.msg);
    cr_expect_eq(ol_sampler_cmaes_check_space(sm, same, d, 2, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "the source also searches x1") != NULL, "%s", err.msg);
    ol_distribution wide = d[1];
    wide.high = 6;
    ol_distribution d2[3] = {d[0], wide, d[2]};
    cr_expect_eq(ol_sampler_cmaes_check_space(sm, (const char *const[]){"x0", "x1", "x2"}, d2, 3, &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "x1 is {") != NULL && strstr(err.msg, "in the source") != NULL, "%s", err.msg);
    /* asked without the check: the first CMA-ES ask says so and stops */
    ol_study *s;
    ol_study_options so = {.name = "target", .maximize = 0, .seed = 1, .sampler = sm};
    cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
    ol_status last = OL_OK;
    for (int i = 0; i < 3 && !last; i++) {
        ol_trial *t;
        double x, y;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        last = ol_trial_suggest_float(t, "a", -5, 5, 0, 0, &x, &err);
        if (!last) last = ol_trial_suggest_float(t, "b", -5, 5, 0, 0, &y, &err);
        cr_assert_eq(ol_study_tell(s, t, last ? OL_TRIAL_FAIL : OL_TRIAL_COMPLETE, last ? NAN : x + y, &err), OL_OK,
                     "%s", err.msg);
    }
    cr_expect_eq(last, OL_EINVAL);
    ol_study_close(s);
    for (int j = 0; j < 4; j++) ol_distribution_free(&d[j]);
    ol_sampler_free(sm);
    ol_storage_close(st);
}
