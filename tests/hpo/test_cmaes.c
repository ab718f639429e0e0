/*
 * The CMA-ES sampler (src/hpo/cmaes.c) through the study API:
 *  - one update (equations 41-47 of Hansen's tutorial, with negative weights) gives the state the
 *    `cmaes` package (the library under Optuna's CmaEsSampler) gives after the same generations,
 *    to 1e-10 (golden/cmaes_tell.txt, made by golden/make_cmaes_tell_golden.py);
 *  - it converges: on a shifted sphere and a rotated ellipsoid (condition 1e4) in 2, 4 and 6
 *    dimensions, its regret after a fixed budget is below an absolute threshold and at most a
 *    thousandth of random search's, for fixed seeds (an update without covariance adaptation
 *    or with the wrong sign would not get there);
 *  - IPOP: on a constant objective a termination criterion hits and the restart's generations
 *    hold twice the population (read from the trials' optlab:cma:* tags);
 *  - FAIL and PRUNED trials never close a generation: each told generation holds popsize
 *    COMPLETE trials, its failed ones drawn from it too;
 *  - resumption: a study stopped half-way in SQLite and resumed by a fresh sampler object asks
 *    exactly what an uninterrupted one asks;
 *  - int parameters (stepped, log) stay on their grid; categoricals go to the independent
 *    sampler; a one-parameter space falls back with a logged reason;
 *  - bad options are refused naming the option.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/hpo/hpo_internal.h"
#include "optlab/hpo.h"

typedef struct {
    ol_storage *st;
    ol_sampler *sm;
    ol_study *s;
} fixture;

static void open_on(fixture *f, const char *url, ol_sampler *sm, uint64_t seed, int maximize) {
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&f->st, url, &err), OL_OK, "%s", err.msg);
    f->sm = sm;
    ol_study_options so = {.name = "q", .maximize = maximize, .seed = seed, .sampler = f->sm};
    cr_assert_eq(ol_study_open(&f->s, f->st, &so, &err), OL_OK, "%s", err.msg);
}

static ol_sampler *new_sampler(const char *name, const char *kwargs) {
    ol_sampler *sm = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_sampler_new_by_name_kwargs(&sm, name, kwargs, &err), OL_OK, "%s", err.msg);
    return sm;
}

static void close_fixture(fixture *f) {
    ol_study_close(f->s);
    ol_sampler_free(f->sm);
    ol_storage_close(f->st);
}

/* ---- test functions on [-5, 5]^n, minimum 0 at x_i = 1 ---- */

#define MAXD 6
/* a fixed rotation: Givens rotations by 0.7 rad over every pair of coordinates */
static void rotate(const double *x, double *y, int n) {
    for (int i = 0; i < n; i++) y[i] = x[i];
    double c = cos(0.7), s = sin(0.7);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double a = y[i], b = y[j];
            y[i] = c * a - s * b;
            y[j] = s * a + c * b;
        }
}

static double sphere(const double *x, int n) {
    double v = 0;
    for (int i = 0; i < n; i++) v += (x[i] - 1) * (x[i] - 1);
    return v;
}

static double ellipsoid(const double *x, int n) {
    double d[MAXD], y[MAXD], v = 0;
    for (int i = 0; i < n; i++) d[i] = x[i] - 1;
    rotate(d, y, n);
    for (int i = 0; i < n; i++) v += pow(1e4, (double)i / (n - 1)) * y[i] * y[i];
    return v;
}

/* n trials of f over x0..x{dim-1}; returns the best value. xs (dim per trial) if not NULL. */
static double run(fixture *f, int trials, int dim, double (*fn)(const double *, int), double *xs) {
    ol_error err = {0};
    double best = INFINITY;
    for (int i = 0; i < trials; i++) {
        ol_trial *t;
        double x[MAXD];
        cr_assert_eq(ol_study_ask(f->s, &t, &err), OL_OK, "%s", err.msg);
        for (int j = 0; j < dim; j++) {
            char name[16];
            snprintf(name, sizeof name, "x%d", j);
            cr_assert_eq(ol_trial_suggest_float(t, name, -5, 5, 0, 0, &x[j], &err), OL_OK, "%s", err.msg);
            if (xs) xs[i * dim + j] = x[j];
        }
        double v = fn(x, dim);
        best = fmin(best, v);
        cr_assert_eq(ol_study_tell(f->s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK, "%s", err.msg);
    }
    return best;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median best value over 5 seeds */
static double median_best(const char *sampler, int trials, int dim, double (*fn)(const double *, int)) {
    double b[5];
    for (int s = 0; s < 5; s++) {
        fixture f;
        open_on(&f, "memory:", new_sampler(sampler, NULL), (uint64_t)(100 + s), 0);
        b[s] = run(&f, trials, dim, fn, NULL);
        close_fixture(&f);
    }
    qsort(b, 5, sizeof *b, cmp_double);
    return b[2];
}

static void converges(int dim, int trials, double (*fn)(const double *, int), const char *what, double threshold) {
    double cma = median_best("cmaes", trials, dim, fn), rnd = median_best("random", trials, dim, fn);
    cr_log_info("%s, %d-D, %d trials: median best cmaes %.3g, random %.3g", what, dim, trials, cma, rnd);
    cr_expect_lt(cma, threshold, "%s %d-D: CMA-ES median regret %.3g after %d trials, expected < %g", what, dim, cma,
                 trials, threshold);
    cr_expect_lt(cma, 1e-3 * rnd, "%s %d-D: CMA-ES %.3g is not a thousandth of random's %.3g", what, dim, cma, rnd);
}

Test(cmaes, sphere_converges) {
    converges(2, 150, sphere, "sphere", 1e-3);
    converges(4, 300, sphere, "sphere", 1e-3);
    converges(6, 400, sphere, "sphere", 1e-2);
}

Test(cmaes, rotated_ellipsoid_converges) {
    converges(2, 250, ellipsoid, "rotated ellipsoid", 1e-2);
    converges(4, 500, ellipsoid, "rotated ellipsoid", 1e-1);
}

/* the (restart, generation) tags of every trial, in trial order; -1 where absent */
static size_t read_tags(fixture *f, int *restart, int *generation, size_t cap) {
    ol_error err = {0};
    ol_trial_rec *tr = NULL;
    size_t n = 0;
    cr_assert_eq(ol_storage_get_trials(f->st, ol_study_id(f->s), &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_leq(n, cap);
    for (size_t i = 0; i < n; i++) {
        const char *r = ol_attr_find(tr[i].system_attrs, tr[i].n_system_attrs, OL_CMAES_ATTR_RESTART);
        const char *g = ol_attr_find(tr[i].system_attrs, tr[i].n_system_attrs, OL_CMAES_ATTR_GENERATION);
        restart[i] = r ? atoi(r) : -1;
        generation[i] = g ? atoi(g) : -1;
    }
    ol_trials_free(tr, n);
    return n;
}

static double constant(const double *x, int n) { return 1.0; }

Test(cmaes, ipop_restart_doubles_the_population) {
    fixture f;
    open_on(&f, "memory:", new_sampler("cmaes", NULL), 3, 0);
    enum { N = 400 };
    run(&f, N, 2, constant, NULL);
    int r[N], g[N];
    size_t n = read_tags(&f, r, g, N);
    cr_assert_eq(r[0], -1, "the start-up trial is the independent sampler's");
    /* count the trials per (restart, generation); sequential asks fill each exactly */
    int count[4][400] = {{0}};
    int max_r = 0;
    for (size_t i = 1; i < n; i++) {
        cr_assert(r[i] >= 0 && r[i] < 4 && g[i] >= 0 && g[i] < 400, "trial %zu: tags %d/%d", i, r[i], g[i]);
        count[r[i]][g[i]]++;
        if (r[i] > max_r) max_r = r[i];
    }
    cr_assert_geq(max_r, 1, "no restart in %d trials of a constant objective", N);
    cr_expect_eq(count[0][0], 6, "restart 0: popsize 4 + floor(3 ln 2) = 6, got %d", count[0][0]);
    cr_expect_eq(count[1][0], 12, "restart 1: popsize doubled to 12, got %d", count[1][0]);
    cr_expect_eq(count[1][1] == 0 || count[1][1] == 12 || r[n - 1] == 1, 1);
    close_fixture(&f);

    /* restart_strategy none: one run, generations of 6 forever */
    open_on(&f, "memory:", new_sampler("cmaes", "{\"restart_strategy\": \"none\"}"), 3, 0);
    run(&f, 200, 2, constant, NULL);
    n = read_tags(&f, r, g, N);
    for (size_t i = 1; i < n; i++) cr_assert_eq(r[i], 0, "restart without IPOP at trial %zu", i);
    cr_expect_eq(g[n - 1], (int)(n - 2) / 6, "generation of the last trial");
    close_fixture(&f);
}

Test(cmaes, resume_asks_what_an_uninterrupted_study_asks) {
    enum { N = 60, D = 3 };
    double a[N * D], b[N * D];
    fixture f;
    open_on(&f, "memory:", new_sampler("cmaes", NULL), 17, 0);
    run(&f, N, D, ellipsoid, a);
    close_fixture(&f);

    char path[] = "/tmp/test_cmaes_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    unlink(path);
    char url[600];
    snprintf(url, sizeof url, "sqlite:///%s", path);
    for (int part = 0; part < 3; part++) { /* 3 processes' worth: a fresh storage, sampler and study each */
        open_on(&f, url, new_sampler("cmaes", NULL), 17, 0);
        run(&f, N / 3, D, ellipsoid, b + part * (N / 3) * D);
        close_fixture(&f);
    }
    unlink(path);
    for (int i = 0; i < N * D; i++) cr_assert_eq(a[i], b[i], "trial %d, x%d: %.17g uninterrupted, %.17g resumed", i / D, i % D, a[i], b[i]);

    /* another seed draws others */
    open_on(&f, "memory:", new_sampler("cmaes", NULL), 18, 0);
    run(&f, N, D, ellipsoid, b);
    close_fixture(&f);
    int differ = 0;
    for (int i = D; i < N * D; i++) differ += a[i] != b[i];
    cr_assert_gt(differ, N, "seeds 17 and 18 draw alike");
}

static void log_note(void *ctx, const char *msg) {
    char *buf = ctx;
    snprintf(buf, 400, "%s", msg);
}

Test(cmaes, ints_on_their_grid_and_categoricals_independent) {
    fixture f;
    open_on(&f, "memory:", new_sampler("cmaes", NULL), 5, 1);
    ol_error err = {0};
    int seen_cat[3] = {0}, tagged = 0;
    double best = -INFINITY;
    for (int i = 0; i < 80; i++) {
        ol_trial *t;
        int64_t k, units;
        double lr;
        size_t c;
        const char *acts[] = {"relu", "tanh", "gelu"};
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "k", 1, 31, 0, 3, &k, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_int(t, "units", 8, 512, 1, 1, &units, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "lr", 1e-5, 1e-1, 1, 0, &lr, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_categorical(t, "act", acts, 3, &c, &err), OL_OK, "%s", err.msg);
        cr_assert(k >= 1 && k <= 31 && (k - 1) % 3 == 0, "k = %lld off its grid", (long long)k);
        cr_assert(units >= 8 && units <= 512);
        seen_cat[c]++;
        double v = -pow(log10(lr) + 3, 2) - pow((double)(k - 16) / 10, 2) - pow(log((double)units / 64), 2) -
                   (c == 1 ? 0.5 : 0);
        best = fmax(best, v);
        cr_assert_eq(ol_study_tell(f.s, t, OL_TRIAL_COMPLETE, v, &err), OL_OK, "%s", err.msg);
    }
    int r[80], g[80];
    size_t n = read_tags(&f, r, g, 80);
    for (size_t i = 0; i < n; i++) tagged += r[i] >= 0;
    cr_expect_eq(tagged, 79, "every trial after the start-up is drawn by CMA-ES (maximising, with a categorical)");
    cr_expect(seen_cat[0] && seen_cat[1] && seen_cat[2], "the categorical is drawn at random: %d %d %d", seen_cat[0],
              seen_cat[1], seen_cat[2]);
    cr_expect_gt(best, -0.6, "maximising: best %g", best);
    close_fixture(&f);

    /* one float parameter: the independent sampler, with a logged reason; no tags */
    char note[400] = "";
    ol_sampler *sm = new_sampler("cmaes", NULL);
    ol_sampler_set_log(sm, log_note, note);
    open_on(&f, "memory:", sm, 5, 0);
    run(&f, 5, 1, sphere, NULL);
    n = read_tags(&f, r, g, 80);
    for (size_t i = 0; i < n; i++) cr_expect_eq(r[i], -1);
    cr_expect(strstr(note, "one float/int parameter (x0)") != NULL, "note: %s", note);
    close_fixture(&f);
}

Test(cmaes, bad_options_are_refused) {
    struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"popsize\": 1}", "popsize must be a whole number >= 2"},
        {"{\"popsize\": 2.5}", "popsize"},
        {"{\"sigma0\": 0}", "sigma0 must be a number in (0, 1]"},
        {"{\"sigma0\": -0.1}", "sigma0"},
        {"{\"restart_strategy\": \"bipop\"}", "restart_strategy must be"},
        {"{\"inc_popsize\": 1}", "inc_popsize"},
        {"{\"x0\": [1, 2]}", "x0 must be a JSON object"},
        {"{\"x0\": {\"lr\": \"big\"}}", "x0's \"lr\" must be a finite number"},
        {"{\"independent_sampler\": \"gp\"}", "independent_sampler"},
        {"{\"with_margin\": 1}", "with_margin must be true or false"},
        {"{\"use_separable_cma\": true}", "use_separable_cma is not implemented"},
        {"{\"source_study\": \"s\"}", "source_study needs the storage"},
        {"{\"popsiz\": 8}", "unknown option 'popsiz'"},
        {"[1]", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ol_sampler *sm = NULL;
        ol_error err = {0};
        cr_expect_eq(ol_sampler_new_by_name_kwargs(&sm, "cmaes", bad[i].json, &err), OL_EINVAL, "%s accepted",
                     bad[i].json);
        cr_expect(strstr(err.msg, bad[i].expect) != NULL, "%s: message '%s' lacks '%s'", bad[i].json, err.msg,
                  bad[i].expect);
        cr_expect_null(sm);
    }
    ol_cmaes_options o = ol_cmaes_defaults();
    o.popsize = 1;
    ol_sampler *sm = NULL;
    ol_error err = {0};
    cr_expect_eq(ol_sampler_cmaes_new(&sm, &o, &err), OL_EINVAL);
    o = ol_cmaes_defaults();
    o.sigma0 = -1;
    cr_expect_eq(ol_sampler_cmaes_new(&sm, &o, &err), OL_EINVAL);
    /* other samplers take no options but the seed */
    cr_expect_eq(ol_sampler_new_by_name_kwargs(&sm, "tpe", "{\"popsize\": 8}", &err), OL_EINVAL);
    cr_expect(strstr(err.msg, "takes no option 'popsize'") != NULL, "%s", err.msg);
    cr_expect_eq(ol_sampler_new_by_name_kwargs(&sm, "tpe", "{\"seed\": 8}", &err), OL_OK, "%s", err.msg);
    ol_sampler_free(sm);
    /* good options are taken: popsize 10 gives generations of 10, x0 is the first mean */
    fixture f;
    open_on(&f, "memory:", new_sampler("cmaes", "{\"popsize\": 10, \"sigma0\": 0.01, \"x0\": {\"x0\": 4, \"x1\": -4}}"),
            1, 0);
    double xs[30 * 2];
    run(&f, 30, 2, sphere, xs);
    int r[30], g[30];
    read_tags(&f, r, g, 30);
    cr_expect_eq(g[10], 0);
    cr_expect_eq(g[11], 1, "popsize 10: trial 11 is generation 1, got %d", g[11]);
    for (int i = 1; i <= 10; i++) /* sigma0 0.01 of the cube around (4, -4) */
        cr_expect(fabs(xs[2 * i] - 4) < 0.5 && fabs(xs[2 * i + 1] + 4) < 0.5, "trial %d at (%g, %g)", i, xs[2 * i],
                  xs[2 * i + 1]);
    close_fixture(&f);
}

Test(cmaes, tell_matches_the_cmaes_package) {
    FILE *fp = fopen("tests/hpo/golden/cmaes_tell.txt", "r");
    cr_assert_not_null(fp, "tests/hpo/golden/cmaes_tell.txt (run from the repository root)");
    char line[8192];
    int cases = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        int n, lam, gens;
        double sigma0;
        cr_assert_eq(sscanf(line, "case %d %d %d %lf", &n, &lam, &gens, &sigma0), 4, "bad line: %s", line);
        double m0[8], X[6 * 12 * 8], f[6 * 12], want_mean[8], want_c[64], mean[8], c[64], want_sigma, sigma;
        cr_assert(n <= 8 && lam <= 12 && gens <= 6);
        cr_assert_eq(fscanf(fp, " m0"), 0);
        for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &m0[j]), 1);
        for (int r = 0; r < gens * lam; r++) {
            for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &X[r * n + j]), 1);
            cr_assert_eq(fscanf(fp, "%lf", &f[r]), 1);
        }
        cr_assert_eq(fscanf(fp, " sigma %lf mean", &want_sigma), 1);
        for (int j = 0; j < n; j++) cr_assert_eq(fscanf(fp, "%lf", &want_mean[j]), 1);
        cr_assert_eq(fscanf(fp, " C"), 0);
        for (int j = 0; j < n * n; j++) cr_assert_eq(fscanf(fp, "%lf", &want_c[j]), 1);
        if (!fgets(line, sizeof line, fp)) line[0] = 0;
        cr_assert_eq(ol_hpo_cmaes_tell_check((size_t)n, lam, m0, sigma0, gens, X, f, &sigma, mean, c), 0);
        cr_expect(fabs(sigma - want_sigma) <= 1e-10 * want_sigma, "case %d: sigma %.17g, cmaes %.17g", cases, sigma,
                  want_sigma);
        for (int j = 0; j < n; j++)
            cr_expect(fabs(mean[j] - want_mean[j]) <= 1e-10, "case %d: mean[%d] %.17g, cmaes %.17g", cases, j, mean[j],
                      want_mean[j]);
        for (int j = 0; j < n * n; j++)
            cr_expect(fabs(c[j] - want_c[j]) <= 1e-10 * (1 + fabs(want_c[j])), "case %d: C[%d] %.17g, cmaes %.17g", cases,
                      j, c[j], want_c[j]);
        cases++;
    }
    fclose(fp);
    cr_assert_eq(cases, 3, "golden cases read: %d", cases);
}

/* FAIL and PRUNED trials never complete a generation: it stays open until popsize COMPLETE ones */
Test(cmaes, failed_and_pruned_trials_leave_the_generation_open) {
    fixture f;
    open_on(&f, "memory:", new_sampler("cmaes", NULL), 9, 0);
    ol_error err = {0};
    enum { N = 60 };
    ol_trial_state states[N];
    for (int i = 0; i < N; i++) {
        ol_trial *t;
        double x[2];
        cr_assert_eq(ol_study_ask(f.s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x0", -5, 5, 0, 0, &x[0], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x1", -5, 5, 0, 0, &x[1], &err), OL_OK, "%s", err.msg);
        states[i] = i % 3 == 1 ? OL_TRIAL_FAIL : i % 5 == 2 ? OL_TRIAL_PRUNED : OL_TRIAL_COMPLETE;
        cr_assert_eq(ol_study_tell(f.s, t, states[i], sphere(x, 2), &err), OL_OK, "%s", err.msg);
    }
    int r[N], g[N], complete[N] = {0}, all[N] = {0};
    read_tags(&f, r, g, N);
    int last = 0;
    for (int i = 1; i < N; i++) {
        cr_assert(r[i] == 0 && g[i] >= 0 && g[i] < N, "trial %d: tags %d/%d", i, r[i], g[i]);
        all[g[i]]++;
        complete[g[i]] += states[i] == OL_TRIAL_COMPLETE;
        last = g[i];
    }
    cr_assert_geq(last, 2, "only %d generations", last + 1);
    for (int k = 0; k < last; k++) {
        cr_expect_eq(complete[k], 6, "generation %d closed with %d COMPLETE trials", k, complete[k]);
        cr_expect_gt(all[k], 6, "generation %d: its failed and pruned trials were drawn from it too", k);
    }
    close_fixture(&f);
}
