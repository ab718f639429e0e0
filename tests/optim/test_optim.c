/*
 * Optimizer library: registry lookups and ranges, convergence on a convex
 * quadratic and on Rosenbrock, parameter groups and lr changes, save/load
 * continuation (bit-identical), AdaBelief and the seed-note variants against
 * independent double-precision references, and every kind of bad input.
 * (torch.optim parity is tests/optim/replay_goldens.sh.)
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/optim.h"

static ol_optimizer *make(const char *name, const char *settings) {
    ol_optimizer *o = NULL;
    ol_error err;
    cr_assert_eq(ol_optimizer_create(&o, name, &err), OL_OK, "%s", err.msg);
    if (settings) cr_assert_eq(ol_optimizer_set_from_string(o, settings, &err), OL_OK, "%s", err.msg);
    return o;
}

/* Deterministic gradient noise of varied scale and sign, as the goldens use. */
static float noise(unsigned step, unsigned i) {
    unsigned x = step * 2654435761u ^ (i + 1) * 2246822519u;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    double u = (x & 0xffffff) / (double)0x1000000;
    return (float)((u - 0.5) * pow(10.0, (double)((x >> 24) % 5) - 2.0));
}

/* ---------------- registry ---------------- */

Test(registry, finds_names_aliases_and_torch_class_names_case_insensitively) {
    const char *names[][2] = {{"Adam", "adam"}, {"ADAMW", "adamw"}, {"RMSprop", "rmsprop"}, {"Adadelta", "adadelta"},
                              {"Adagrad", "adagrad"}, {"NAdam", "nadam"}, {"SGD", "sgd"}, {"gd", "sgd"},
                              {"minibatch", "sgd"}, {"Momentum", "momentum"}, {"NAG", "nag"}, {"AdaBelief", "adabelief"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ol_optim_info *o = ol_optim_find(names[i][0]);
        cr_assert_not_null(o, "%s not found", names[i][0]);
        cr_assert_str_eq(o->name, names[i][1]);
    }
    cr_assert_null(ol_optim_find("adamx"));
    cr_assert_null(ol_optim_find(""));
    cr_assert_null(ol_optim_find(NULL));
    const ol_optim_info *adam = ol_optim_find("adam");
    cr_assert_eq(ol_optim_find_hparam(adam, "lr")->id, OL_HP_LEARNING_RATE);
    cr_assert_eq(ol_optim_find_hparam(adam, "Learning_Rate")->id, OL_HP_LEARNING_RATE);
    cr_assert_eq(ol_optim_find_hparam(adam, "weight_decay")->id, OL_HP_WEIGHT_DECAY);
    cr_assert_null(ol_optim_find_hparam(adam, "rho"));
    cr_assert_eq(ol_optim_find_hparam(ol_optim_find("adadelta"), "p")->id, OL_HP_RHO);
    cr_assert_eq(ol_optim_find_hparam(ol_optim_find("adadelta"), "rho")->id, OL_HP_RHO);
}

Test(registry, every_entry_is_consistent) {
    cr_assert_geq(ol_optim_count(), 10);
    cr_assert_null(ol_optim_at(ol_optim_count()));
    for (size_t i = 0; i < ol_optim_count(); i++) {
        const ol_optim_info *o = ol_optim_at(i);
        cr_assert(o->name && o->label && o->summary && o->equations && o->step && o->n_hparams > 0, "%s", o->name);
        cr_assert_gt(o->state_floats, 0, "%s", o->name);
        cr_assert_eq(ol_optim_find(o->name), o, "%s shadowed by another entry", o->name);
        cr_assert_not_null(ol_optim_find_hparam(o, "learning_rate"), "%s", o->name);
        cr_assert_not_null(ol_optim_find_hparam(o, "weight_decay"), "%s", o->name);
        cr_assert_not_null(ol_optim_find_hparam(o, "maximize"), "%s", o->name);
        for (size_t k = 0; k < o->n_hparams; k++) {
            const ol_hparam_info *h = &o->hparams[k];
            ol_error err;
            cr_assert_eq(ol_hparam_check(o, h, h->default_value, &err), OL_OK, "%s.%s default: %s", o->name, h->name, err.msg);
            if (h->searchable && h->kind == OL_HP_REAL) {
                cr_assert_lt(h->search_low, h->search_high, "%s.%s", o->name, h->name);
                cr_assert_eq(ol_hparam_check(o, h, h->search_low, &err), OL_OK, "%s.%s: %s", o->name, h->name, err.msg);
                cr_assert_eq(ol_hparam_check(o, h, h->search_high, &err), OL_OK, "%s.%s: %s", o->name, h->name, err.msg);
                if (h->search_log) cr_assert_gt(h->search_low, 0, "%s.%s log range from 0", o->name, h->name);
            }
            cr_assert_eq(ol_optim_find_hparam(o, h->name), h);
        }
    }
}

static void expect_search(const char *opt, const char *hp, double lo, double hi, int log) {
    const ol_hparam_info *h = ol_optim_find_hparam(ol_optim_find(opt), hp);
    cr_assert_not_null(h, "%s.%s", opt, hp);
    cr_assert(h->searchable && h->search_low == lo && h->search_high == hi && h->search_log == log,
              "%s.%s search range %g..%g log=%d", opt, hp, h->search_low, h->search_high, h->search_log);
}

Test(registry, protocol_search_ranges_and_torch_defaults) {
    expect_search("adam", "learning_rate", 1e-4, 1e-2, 1);
    expect_search("adam", "beta1", 0.8, 0.95, 0);
    expect_search("adam", "beta2", 0.99, 0.9999, 0);
    expect_search("adamw", "learning_rate", 1e-4, 1e-2, 1);
    expect_search("adamw", "beta1", 0.8, 0.95, 0);
    expect_search("adamw", "beta2", 0.99, 0.9999, 0);
    expect_search("adamw", "weight_decay", 1e-4, 2e-2, 1);
    expect_search("adadelta", "rho", 0.5, 0.999, 0);
    struct { const char *opt, *hp; double def; } defs[] = {
        {"adam", "lr", 1e-3}, {"adam", "eps", 1e-8}, {"adamw", "weight_decay", 1e-2}, {"adadelta", "lr", 1.0},
        {"adadelta", "eps", 1e-6}, {"adadelta", "rho", 0.9}, {"rmsprop", "lr", 1e-2}, {"rmsprop", "alpha", 0.99},
        {"adagrad", "eps", 1e-10}, {"nadam", "lr", 2e-3}, {"nadam", "momentum_decay", 4e-3},
        {"momentum", "momentum", 0.9}, {"nag", "nesterov", 1}, {"sgd", "momentum", 0}};
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        cr_assert_eq(ol_optim_find_hparam(ol_optim_find(defs[i].opt), defs[i].hp)->default_value, defs[i].def,
                     "%s.%s", defs[i].opt, defs[i].hp);
}

/* ---------------- convergence ---------------- */

/* f(x) = 1/2 sum a_i x_i^2 with curvatures 0.5 .. 5; minimum 0 at x = 0. */
static double quadratic_run(const char *name, const char *settings, int steps) {
    enum { N = 8 };
    float x[N], g[N];
    for (int i = 0; i < N; i++) x[i] = (float)(i % 2 ? 1.0 + 0.25 * i : -1.0 - 0.25 * i);
    ol_optimizer *o = make(name, settings);
    ol_error err;
    cr_assert_eq(ol_optimizer_add_group(o, x, g, N, &err), OL_OK, "%s", err.msg);
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < N; i++) g[i] = (float)((0.5 + 4.5 * i / (N - 1)) * x[i]);
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    }
    double worst = 0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(x[i]));
    ol_optimizer_free(o);
    return worst;
}

Test(convergence, every_optimizer_solves_a_convex_quadratic) {
    struct { const char *name, *settings; int steps; double tol; } runs[] = {
        {"sgd", "lr=0.1", 500, 1e-4},
        {"momentum", "lr=0.05", 500, 1e-4},
        {"nag", "lr=0.05", 500, 1e-4},
        {"rmsprop", "lr=0.01", 2000, 2e-2}, /* RMSprop's steps stay ~lr in size: it hovers at lr scale */
        {"rmsprop", "lr=0.01,centered=1,momentum=0.5", 2000, 5e-2},
        {"adam", "lr=0.05", 2000, 1e-3},
        {"adam", "lr=0.05,amsgrad=1", 2000, 1e-3},
        {"adamw", "lr=0.05,weight_decay=0.01", 2000, 1e-3},
        {"adagrad", "lr=0.5", 2000, 1e-4},
        /* AdaDelta is unit-free: near the minimum its steps settle into a ~1e-2 oscillation on a noiseless quadratic */
        {"adadelta", "lr=1,rho=0.9", 2000, 5e-2},
        {"nadam", "lr=0.05", 2000, 1e-3},
        {"adabelief", "lr=0.05", 2000, 1e-3},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        double start = 2.75, end = quadratic_run(runs[i].name, runs[i].settings, runs[i].steps);
        cr_assert_lt(end, runs[i].tol, "%s(%s): max |x| = %g after %d steps (from %g)", runs[i].name,
                     runs[i].settings, end, runs[i].steps, start);
    }
}

Test(convergence, adam_and_nag_reach_the_rosenbrock_minimum) {
    /* f = (1-x)^2 + 100 (y-x^2)^2, minimum at (1, 1); tolerance 1e-3 on each coordinate. */
    const char *runs[][2] = {{"adam", "lr=0.02"}, {"adamw", "lr=0.02,weight_decay=0"}, {"nag", "lr=1e-3"}};
    for (size_t r = 0; r < 3; r++) {
        float xy[2] = {-1.5f, 2.0f}, g[2];
        ol_optimizer *o = make(runs[r][0], runs[r][1]);
        ol_error err;
        ol_optimizer_add_group(o, xy, g, 2, &err);
        for (int s = 0; s < 30000; s++) {
            double x = xy[0], y = xy[1];
            g[0] = (float)(-2 * (1 - x) - 400 * x * (y - x * x));
            g[1] = (float)(200 * (y - x * x));
            if (s == 15000) ol_optimizer_set_lr(o, runs[r][0][0] == 'n' ? 5e-4 : 2e-3, &err);
            cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
        }
        cr_assert(fabs(xy[0] - 1) < 1e-3 && fabs(xy[1] - 1) < 1e-3, "%s: ended at (%g, %g)", runs[r][0], xy[0], xy[1]);
        ol_optimizer_free(o);
    }
}

Test(groups, each_group_has_its_own_lr_and_set_lr_changes_all) {
    float a[4] = {1, 1, 1, 1}, b[4] = {1, 1, 1, 1}, ga[4] = {1, 1, 1, 1}, gb[4] = {1, 1, 1, 1};
    ol_optimizer *o = make("sgd", "lr=0.1");
    ol_error err;
    cr_assert_eq(ol_optimizer_add_group(o, a, ga, 4, &err), OL_OK);
    cr_assert_eq(ol_optimizer_add_group(o, b, gb, 4, &err), OL_OK);
    cr_assert_eq(ol_optimizer_set_group(o, 1, "lr", 0.0, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK);
    cr_assert_float_eq(a[0], 0.9f, 1e-7);
    cr_assert_eq(b[0], 1.0f);
    cr_assert_eq(ol_optimizer_set_lr(o, 0.5, &err), OL_OK);
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK);
    cr_assert_float_eq(a[0], 0.4f, 1e-6);
    cr_assert_float_eq(b[0], 0.5f, 1e-6);
    /* per-group weight decay: L2 adds wd * p to the gradient */
    cr_assert_eq(ol_optimizer_set_group(o, 0, "weight_decay", 1.0, &err), OL_OK);
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK);
    cr_assert_float_eq(a[0], 0.4f - 0.5f * (1.0f + 0.4f), 1e-6);
    cr_assert_float_eq(b[0], 0.0f, 1e-6);
    cr_assert_eq(ol_optimizer_steps(o), 3);
    ol_optimizer_free(o);
}

/* ---------------- save / load ---------------- */

static void run_steps(ol_optimizer *o, float *p, float *g, size_t n, unsigned from, unsigned to) {
    ol_error err;
    for (unsigned s = from; s < to; s++) {
        for (size_t i = 0; i < n; i++) g[i] = noise(s, (unsigned)i) + 0.1f * p[i];
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    }
}

Test(state, continuing_after_load_is_bit_identical) {
    enum { N = 37, M = 5 };
    for (size_t k = 0; k < ol_optim_count(); k++) {
        const ol_optim_info *info = ol_optim_at(k);
        const char *settings = !strcmp(info->name, "adam") ? "amsgrad=1,weight_decay=0.01" : NULL;
        float p1[N], g1[N], q1[M], h1[M], p2[N], g2[N], q2[M], h2[M];
        for (int i = 0; i < N; i++) p1[i] = noise(999, i);
        for (int i = 0; i < M; i++) q1[i] = noise(998, i), h1[i] = h2[i] = noise(997, i); /* group 2: fixed grads */
        ol_error err;
        /* straight run: 60 steps */
        ol_optimizer *a = make(info->name, settings);
        ol_optimizer_add_group(a, p1, g1, N, &err);
        ol_optimizer_add_group(a, q1, h1, M, &err);
        ol_optimizer_set_group(a, 1, "learning_rate", 0.003, &err);
        run_steps(a, p1, g1, N, 0, 30);
        memcpy(p2, p1, sizeof p1);
        memcpy(q2, q1, sizeof q1);
        void *blob;
        size_t size;
        cr_assert_eq(ol_optimizer_save(a, &blob, &size, &err), OL_OK, "%s", err.msg);
        run_steps(a, p1, g1, N, 30, 60);
        /* stopped after 30 steps, restored into a fresh optimizer, continued */
        ol_optimizer *b = make(info->name, NULL);
        ol_optimizer_add_group(b, p2, g2, N, &err);
        ol_optimizer_add_group(b, q2, h2, M, &err);
        cr_assert_eq(ol_optimizer_load(b, blob, size, &err), OL_OK, "%s: %s", info->name, err.msg);
        cr_assert_eq(ol_optimizer_steps(b), 30);
        run_steps(b, p2, g2, N, 30, 60);
        cr_assert_eq(memcmp(p1, p2, sizeof p1), 0, "%s: params differ after load + 30 steps", info->name);
        cr_assert_eq(memcmp(q1, q2, sizeof q1), 0, "%s: group 2 differs after load", info->name);
        free(blob);
        ol_optimizer_free(a);
        ol_optimizer_free(b);
    }
}

Test(state, corrupt_truncated_foreign_and_mismatched_blobs_are_refused) {
    float p[8] = {0}, g[8] = {0}, p3[9] = {0}, g3[9] = {0};
    ol_error err;
    ol_optimizer *a = make("adam", NULL), *b = make("adam", NULL), *c = make("sgd", NULL), *d = make("adam", NULL);
    ol_optimizer_add_group(a, p, g, 8, &err);
    ol_optimizer_add_group(b, p, g, 8, &err);
    ol_optimizer_add_group(c, p, g, 8, &err);
    ol_optimizer_add_group(d, p3, g3, 9, &err);
    run_steps(a, p, g, 8, 0, 3);
    void *blob;
    size_t size;
    cr_assert_eq(ol_optimizer_save(a, &blob, &size, &err), OL_OK);
    unsigned char *bytes = blob;
    bytes[size / 2] ^= 0x10;
    cr_assert_eq(ol_optimizer_load(b, blob, size, &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "checksum"), "%s", err.msg);
    bytes[size / 2] ^= 0x10;
    cr_assert_eq(ol_optimizer_load(b, blob, size - 7, &err), OL_EFORMAT, "truncated blob accepted");
    cr_assert_eq(ol_optimizer_load(b, "garbage!", 8, &err), OL_EFORMAT);
    cr_assert_eq(ol_optimizer_load(c, blob, size, &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "adam"), "foreign blob message names its optimizer: %s", err.msg);
    cr_assert_eq(ol_optimizer_load(d, blob, size, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "8") && strstr(err.msg, "9"), "size mismatch names the sizes: %s", err.msg);
    cr_assert_eq(ol_optimizer_steps(b), 0, "a failed load must leave the optimizer unchanged");
    cr_assert_eq(ol_optimizer_load(b, blob, size, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_steps(b), 3);
    free(blob);
    ol_optimizer_free(a);
    ol_optimizer_free(b);
    ol_optimizer_free(c);
    ol_optimizer_free(d);
}

/* ---------------- independent double-precision references ---------------- */

enum { REF_N = 16, REF_STEPS = 150 };

/* Runs `name` with `settings` in optlab and compares with `ref` (a double-precision step). */
typedef void (*ref_step)(double *p, const double *g, double *s1, double *s2, int t);

static void compare_with_reference(const char *name, const char *settings, ref_step ref) {
    float p[REF_N], g[REF_N];
    double pd[REF_N], s1[REF_N] = {0}, s2[REF_N] = {0}, gd[REF_N];
    for (int i = 0; i < REF_N; i++) pd[i] = p[i] = noise(12345, i) * 10;
    ol_optimizer *o = make(name, settings);
    ol_error err;
    ol_optimizer_add_group(o, p, g, REF_N, &err);
    double worst = 0;
    for (int t = 1; t <= REF_STEPS; t++) {
        for (int i = 0; i < REF_N; i++) gd[i] = g[i] = noise((unsigned)t, i) + 0.5f * p[i];
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
        ref(pd, gd, s1, s2, t);
        for (int i = 0; i < REF_N; i++) {
            worst = fmax(worst, fabs(p[i] - pd[i]) / fmax(fabs(pd[i]), 1e-3)); /* floor 1e-3, as the goldens */
            pd[i] = p[i]; /* follow optlab's trajectory so errors don't compound through the gradient */
        }
    }
    cr_assert_lt(worst, 1e-5, "%s(%s): max relative error %g against the double reference", name, settings, worst);
    ol_optimizer_free(o);
}

/* AdaBelief, Zhuang et al. 2020, Algorithm 2 (bias-corrected, eps inside s). */
static void ref_adabelief(double *p, const double *g, double *m, double *s, int t) {
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-16;
    for (int i = 0; i < REF_N; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        s[i] = b2 * s[i] + (1 - b2) * (g[i] - m[i]) * (g[i] - m[i]) + eps;
        double mh = m[i] / (1 - pow(b1, t)), sh = s[i] / (1 - pow(b2, t));
        p[i] -= lr * mh / (sqrt(sh) + eps);
    }
}
/* Seed note 2-1: S = beta S + (1-beta) g^2; p -= lr g / sqrt(S + eps). */
static void ref_seed_rmsprop(double *p, const double *g, double *S, double *unused, int t) {
    for (int i = 0; i < REF_N; i++) {
        S[i] = 0.9 * S[i] + 0.1 * g[i] * g[i];
        p[i] -= 0.01 * g[i] / sqrt(S[i] + 1e-4);
    }
}
/* Seed note 2-2: bias-corrected moments, p -= lr m_hat / sqrt(S_hat + eps). */
static void ref_seed_adam(double *p, const double *g, double *v, double *S, int t) {
    for (int i = 0; i < REF_N; i++) {
        v[i] = 0.9 * v[i] + 0.1 * g[i];
        S[i] = 0.999 * S[i] + 0.001 * g[i] * g[i];
        p[i] -= 0.01 * (v[i] / (1 - pow(0.9, t))) / sqrt(S[i] / (1 - pow(0.999, t)) + 1e-4);
    }
}
/* Seed note 2-4: G += g^2; p -= lr g / sqrt(G + eps). */
static void ref_seed_adagrad(double *p, const double *g, double *G, double *unused, int t) {
    for (int i = 0; i < REF_N; i++) {
        G[i] += g[i] * g[i];
        p[i] -= 0.1 * g[i] / sqrt(G[i] + 1e-4);
    }
}
/* Seed note 2-5: p -= sqrt(E[dx^2] + eps) / (sqrt(E[g^2]) + eps) g. */
static void ref_seed_adadelta(double *p, const double *g, double *Eg, double *Ed, int t) {
    for (int i = 0; i < REF_N; i++) {
        Eg[i] = 0.95 * Eg[i] + 0.05 * g[i] * g[i];
        double d = sqrt(Ed[i] + 1e-6) / (sqrt(Eg[i]) + 1e-6) * g[i];
        Ed[i] = 0.95 * Ed[i] + 0.05 * d * d;
        p[i] -= d;
    }
}

Test(reference, adabelief_matches_its_paper) { compare_with_reference("adabelief", "lr=0.01", ref_adabelief); }
Test(reference, seed_variants_match_the_seed_equations) {
    compare_with_reference("rmsprop", "lr=0.01,alpha=0.9,eps=1e-4,seed_variant=1", ref_seed_rmsprop);
    compare_with_reference("adam", "lr=0.01,eps=1e-4,seed_variant=1", ref_seed_adam);
    compare_with_reference("adagrad", "lr=0.1,eps=1e-4,eps_inside_sqrt=true", ref_seed_adagrad);
    compare_with_reference("adadelta", "rho=0.95,seed_variant=1", ref_seed_adadelta);
}
Test(reference, seed_variant_changes_the_trajectory) {
    /* the switch must matter: with a large eps the two placements differ clearly */
    float a[1] = {1}, b[1] = {1}, g[1] = {0.01f};
    ol_error err;
    ol_optimizer *x = make("adam", "eps=1e-3"), *y = make("adam", "eps=1e-3,seed_variant=1");
    ol_optimizer_add_group(x, a, g, 1, &err);
    ol_optimizer_add_group(y, b, g, 1, &err);
    ol_optimizer_step(x, &err);
    ol_optimizer_step(y, &err);
    cr_assert_gt(fabsf(a[0] - b[0]), 1e-4, "%g vs %g", a[0], b[0]);
    ol_optimizer_free(x);
    ol_optimizer_free(y);
}

/* ---------------- bad input ---------------- */

static void expect_error(ol_status got, ol_status want, const ol_error *err, const char *must1, const char *must2) {
    cr_assert_eq(got, want, "status %d, expected %d (%s)", got, want, err->msg);
    cr_assert(strstr(err->msg, must1), "message '%s' lacks '%s'", err->msg, must1);
    if (must2) cr_assert(strstr(err->msg, must2), "message '%s' lacks '%s'", err->msg, must2);
}

Test(bad_input, unknown_optimizer_and_hyperparameter) {
    ol_optimizer *o = (ol_optimizer *)1;
    ol_error err;
    expect_error(ol_optimizer_create(&o, "adamx", &err), OL_ENOTFOUND, &err, "adamx", "adamw");
    cr_assert_null(o);
    o = make("adam", NULL);
    expect_error(ol_optimizer_set(o, "momentum", 0.9, &err), OL_ENOTFOUND, &err, "momentum", "adam");
    expect_error(ol_optimizer_set_from_string(o, "lr=1e-3,rho=0.5", &err), OL_ENOTFOUND, &err, "rho", NULL);
    double v;
    expect_error(ol_optimizer_get(o, "nope", &v, &err), OL_ENOTFOUND, &err, "nope", NULL);
    ol_optimizer_free(o);
}

Test(bad_input, values_outside_their_range_are_refused_not_clamped) {
    ol_optimizer *o = make("adam", NULL);
    ol_error err;
    expect_error(ol_optimizer_set(o, "lr", -0.1, &err), OL_EINVAL, &err, "learning_rate", "-0.1");
    expect_error(ol_optimizer_set(o, "beta1", 1.0, &err), OL_EINVAL, &err, "beta1", "[0, 1)");
    expect_error(ol_optimizer_set(o, "beta2", -0.5, &err), OL_EINVAL, &err, "beta2", "-0.5");
    expect_error(ol_optimizer_set(o, "eps", 0.0, &err), OL_EINVAL, &err, "eps", "(0, inf)");
    expect_error(ol_optimizer_set(o, "eps", -1e-8, &err), OL_EINVAL, &err, "eps", "-1e-08");
    expect_error(ol_optimizer_set(o, "learning_rate", NAN, &err), OL_EINVAL, &err, "learning_rate", "nan");
    expect_error(ol_optimizer_set(o, "weight_decay", INFINITY, &err), OL_EINVAL, &err, "weight_decay", "inf");
    expect_error(ol_optimizer_set(o, "amsgrad", 0.5, &err), OL_EINVAL, &err, "amsgrad", "0.5");
    expect_error(ol_optimizer_set_lr(o, -1, &err), OL_EINVAL, &err, "learning_rate", "-1");
    double v;
    cr_assert_eq(ol_optimizer_get(o, "lr", &v, &err), OL_OK);
    cr_assert_eq(v, 1e-3, "a refused value must leave the old one");
    cr_assert_eq(ol_optimizer_get(o, "beta1", &v, &err), OL_OK);
    cr_assert_eq(v, 0.9);
    ol_optimizer_free(o);
    o = make("adamw", NULL);
    expect_error(ol_optimizer_set(o, "decoupled_weight_decay", 0, &err), OL_EINVAL, &err, "decoupled_weight_decay", "adam");
    ol_optimizer_free(o);
    o = make("adadelta", NULL);
    expect_error(ol_optimizer_set(o, "rho", 1.5, &err), OL_EINVAL, &err, "rho", "1.5");
    ol_optimizer_free(o);
}

Test(bad_input, settings_strings_are_all_or_nothing) {
    ol_optimizer *o = make("adam", NULL);
    ol_error err;
    double v;
    expect_error(ol_optimizer_set_from_string(o, "lr=0.5,beta1=abc", &err), OL_EINVAL, &err, "beta1", "abc");
    ol_optimizer_get(o, "lr", &v, &err);
    cr_assert_eq(v, 1e-3, "lr changed although the string failed");
    expect_error(ol_optimizer_set_from_string(o, "lr", &err), OL_EINVAL, &err, "lr", "name=value");
    expect_error(ol_optimizer_set_from_string(o, "betas=(0.9)", &err), OL_EINVAL, &err, "betas", "(0.9)");
    expect_error(ol_optimizer_set_from_string(o, "betas=(0.9,1.2)", &err), OL_EINVAL, &err, "beta2", "1.2");
    expect_error(ol_optimizer_set_from_string(o, "lr=1e-3x", &err), OL_EINVAL, &err, "learning_rate", "1e-3x");
    cr_assert_eq(ol_optimizer_set_from_string(o, " betas = [0.8, 0.99] , amsgrad=true, LR=2e-3 ", &err), OL_OK, "%s", err.msg);
    ol_optimizer_get(o, "beta2", &v, &err);
    cr_assert_eq(v, 0.99);
    ol_optimizer_get(o, "amsgrad", &v, &err);
    cr_assert_eq(v, 1);
    ol_optimizer_get(o, "learning_rate", &v, &err);
    cr_assert_eq(v, 2e-3);
    ol_optimizer_free(o);
}

Test(bad_input, groups_sizes_and_states) {
    float p[4] = {0}, g[4] = {0};
    ol_optimizer *o = make("sgd", NULL);
    ol_error err;
    expect_error(ol_optimizer_step(o, &err), OL_ESTATE, &err, "no parameter group", NULL);
    expect_error(ol_optimizer_add_group(o, p, g, 0, &err), OL_EINVAL, &err, "n = 0", NULL);
    expect_error(ol_optimizer_add_group(o, NULL, g, 4, &err), OL_EINVAL, &err, "params", NULL);
    expect_error(ol_optimizer_add_group(o, p, NULL, 4, &err), OL_EINVAL, &err, "grads", NULL);
    cr_assert_eq(ol_optimizer_add_group(o, p, g, 4, &err), OL_OK);
    expect_error(ol_optimizer_set_group(o, 3, "lr", 0.1, &err), OL_EINVAL, &err, "group 3", NULL);
    expect_error(ol_optimizer_set_group(o, 0, "momentum", 0.1, &err), OL_EINVAL, &err, "momentum", NULL);
    expect_error(ol_optimizer_set_group(o, 0, "lr", -2, &err), OL_EINVAL, &err, "learning_rate", "-2");
    cr_assert_eq(ol_optimizer_set(o, "nesterov", 1, &err), OL_OK);
    expect_error(ol_optimizer_step(o, &err), OL_EINVAL, &err, "nesterov", "momentum=0");
    ol_optimizer_free(o);
    ol_optimizer_free(NULL);
}
