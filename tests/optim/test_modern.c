/*
 * The modern optimizers (Lion, LAMB, Adafactor, Schedule-Free AdamW, Muon,
 * Prodigy) and parameter shapes: registry defaults are the papers', each one
 * minimises a quadratic, Muon's rule sends the right tensors to the
 * orthogonalised update, shapes survive save/load continuation, and bad shapes
 * are refused with messages naming the tensor. (Agreement with the numpy
 * references of the papers' algorithm boxes is tests/optim/replay_goldens.sh.)
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

static ol_tensor_shape shape(size_t rows, size_t cols, ol_tensor_role role) {
    ol_tensor_shape s = {.rows = rows, .cols = cols, .role = role};
    return s;
}

Test(modern, registered_with_the_papers_defaults) {
    struct { const char *find, *name, *hp; double def; } rows[] = {
        {"Lion", "lion", "lr", 1e-4},           {"lion", "lion", "beta2", 0.99},
        {"LAMB", "lamb", "eps", 1e-6},          {"lamb", "lamb", "weight_decay", 0.01},
        {"Adafactor", "adafactor", "lr", 1e-2}, {"adafactor", "adafactor", "decay_rate", -0.8},
        {"adafactor", "adafactor", "eps", 1e-30}, {"adafactor", "adafactor", "eps2", 1e-3},
        {"adafactor", "adafactor", "clip_threshold", 1}, {"adafactor", "adafactor", "beta1", 0},
        {"ScheduleFreeAdamW", "sfadamw", "lr", 2.5e-3}, {"schedule-free-adamw", "sfadamw", "warmup_steps", 0},
        {"Muon", "muon", "lr", 0.02},           {"muon", "muon", "momentum", 0.95},
        {"muon", "muon", "ns_steps", 5},        {"muon", "muon", "nesterov", 1},
        {"Prodigy", "prodigy", "lr", 1.0},      {"prodigy", "prodigy", "d0", 1e-6},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const ol_optim_info *o = ol_optim_find(rows[i].find);
        cr_assert_not_null(o, "%s", rows[i].find);
        cr_assert_str_eq(o->name, rows[i].name);
        const ol_hparam_info *h = ol_optim_find_hparam(o, rows[i].hp);
        cr_assert_not_null(h, "%s.%s", rows[i].name, rows[i].hp);
        cr_assert_eq(h->default_value, rows[i].def, "%s.%s = %g", rows[i].name, rows[i].hp, h->default_value);
    }
    cr_assert(ol_optim_find("lamb")->uses_shapes && ol_optim_find("adafactor")->uses_shapes &&
              ol_optim_find("muon")->uses_shapes);
    cr_assert(!ol_optim_find("lion")->uses_shapes);
}

/* f(x) = 1/2 sum a_i x_i^2 (curvatures 0.5 .. 5), from |x| up to 2.75; returns max |x| at the end. */
static double quadratic_run(const char *name, const char *settings, int steps, int shaped) {
    enum { N = 8 };
    float x[N], g[N];
    for (int i = 0; i < N; i++) x[i] = (float)(i % 2 ? 1.0 + 0.25 * i : -1.0 - 0.25 * i);
    ol_optimizer *o = make(name, settings);
    ol_error err;
    cr_assert_eq(ol_optimizer_add_group(o, x, g, N, &err), OL_OK, "%s", err.msg);
    if (shaped) { /* 2x2, 2x1, 2: Muon takes the two matrices only with muon_ends=1 */
        ol_tensor_shape s[] = {shape(2, 2, OL_TENSOR_AUTO), shape(2, 1, OL_TENSOR_AUTO), shape(2, 0, OL_TENSOR_AUTO)};
        cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_OK, "%s", err.msg);
    }
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < N; i++) g[i] = (float)((0.5 + 4.5 * i / (N - 1)) * x[i]);
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    }
    double worst = 0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(x[i]));
    ol_optimizer_free(o);
    return worst;
}

Test(modern, each_minimises_a_convex_quadratic) {
    struct { const char *name, *settings; int steps, shaped; double tol; } runs[] = {
        /* sign updates keep a step of lr: Lion settles within ~lr of the minimum */
        {"lion", "lr=1e-3", 4000, 0, 5e-3},
        {"lamb", "lr=0.01,weight_decay=0", 3000, 1, 2e-2},
        {"adafactor", NULL, 3000, 1, 1e-2},
        {"sfadamw", "lr=0.05", 3000, 0, 1e-3},
        /* an orthogonalised step has a fixed size (lr): Muon's matrices hover within ~lr */
        {"muon", "lr=0.01,muon_ends=1,adamw_lr_ratio=1", 3000, 1, 2e-2},
        /* Prodigy reaches 1e-22 by step 1000; later, in float32, v underflows before m and it jumps away */
        {"prodigy", NULL, 1000, 0, 1e-3},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        double end = quadratic_run(runs[i].name, runs[i].settings, runs[i].steps, runs[i].shaped);
        cr_assert_lt(end, runs[i].tol, "%s(%s): max |x| = %g after %d steps (from 2.75)", runs[i].name,
                     runs[i].settings ? runs[i].settings : "", end, runs[i].steps);
    }
}

/* One Muon step from p = 0 on tensors 3x4, 3, 4x4, 4, 2x4, 2: returns the update. */
static void muon_first_step(const char *settings, const ol_tensor_role roles[6], float *update) {
    enum { N = 12 + 3 + 16 + 4 + 8 + 2 };
    float p[N] = {0}, g[N];
    for (int i = 0; i < N; i++) g[i] = (float)sin(1.0 + 0.7 * i) * (float)(1 + i % 5);
    ol_optimizer *o = make("muon", settings);
    ol_error err;
    ol_optimizer_add_group(o, p, g, N, &err);
    ol_tensor_shape s[] = {shape(3, 4, roles[0]), shape(3, 0, roles[1]), shape(4, 4, roles[2]),
                           shape(4, 0, roles[3]), shape(2, 4, roles[4]), shape(2, 0, roles[5])};
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 6, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    memcpy(update, p, sizeof p);
    ol_optimizer_free(o);
}

/* AdamW's first step moves every element by lr (its m / sqrt(v) is sign(g), up to eps / |g|). */
static int adamw_like(const float *u, size_t n, double lr) {
    for (size_t i = 0; i < n; i++)
        if (fabs(fabs(u[i]) - lr) > 1e-4 * lr) return 0;
    return 1;
}

Test(modern, muon_rule_first_and_last_matrix_and_vectors_take_adamw) {
    float u[45];
    const ol_tensor_role autos[6] = {0};
    const double alr = 0.02 * 0.015;
    muon_first_step(NULL, autos, u);
    cr_assert(adamw_like(u, 12, alr), "first matrix should take AdamW");
    cr_assert(adamw_like(u + 12, 3, alr), "1-D tensor should take AdamW");
    cr_assert(!adamw_like(u + 15, 16, alr), "middle matrix should take Muon");
    cr_assert(adamw_like(u + 31, 4, alr) && adamw_like(u + 35, 8, alr) && adamw_like(u + 43, 2, alr),
              "last matrix and vectors should take AdamW");
    /* the middle matrix's update, / (lr * 1), is Newton-Schulz-orthogonal: singular values near 1,
     * so its squared Frobenius norm (the sum of their squares) is near its rank, 4 */
    double fro = 0;
    for (int i = 15; i < 31; i++) fro += (double)u[i] * u[i] / (0.02 * 0.02);
    cr_assert(fro > 4 * 0.5 && fro < 4 * 1.5, "||O||_F^2 = %g, expected about 4", fro);

    muon_first_step("muon_ends=1", autos, u);
    cr_assert(!adamw_like(u, 12, alr) && !adamw_like(u + 35, 8, alr), "muon_ends=1: ends take Muon");
    cr_assert(adamw_like(u + 12, 3, alr), "muon_ends=1 keeps 1-D tensors on AdamW");

    const ol_tensor_role over[6] = {OL_TENSOR_MATRIX, 0, OL_TENSOR_VECTOR, 0, 0, 0};
    muon_first_step(NULL, over, u);
    cr_assert(!adamw_like(u, 12, alr), "@muon forces the first matrix to Muon");
    cr_assert(adamw_like(u + 15, 16, alr), "@adamw forces the middle matrix to AdamW");
}

Test(modern, shapes_persist_across_save_and_load) {
    enum { N = 45 };
    float p1[N], g[N], p2[N];
    for (int i = 0; i < N; i++) p1[i] = (float)cos(0.3 * i);
    const char *names[] = {"muon", "lamb", "adafactor"};
    for (size_t k = 0; k < 3; k++) {
        ol_error err;
        ol_tensor_shape s[] = {shape(3, 4, 0), shape(3, 0, 0), shape(4, 4, 0), shape(4, 0, 0), shape(2, 4, 0), shape(2, 0, 0)};
        ol_optimizer *a = make(names[k], NULL), *b = make(names[k], NULL);
        ol_optimizer_add_group(a, p1, g, N, &err);
        ol_optimizer_add_group(b, p2, g, N, &err);
        cr_assert_eq(ol_optimizer_set_shapes(a, 0, s, 6, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_optimizer_set_shapes(b, 0, s, 6, &err), OL_OK, "%s", err.msg);
        void *blob = NULL;
        size_t size;
        for (int t = 0; t < 40; t++) {
            for (int i = 0; i < N; i++) g[i] = (float)(p1[i] + 0.1 * sin(t + i));
            if (t == 20) {
                memcpy(p2, p1, sizeof p1);
                cr_assert_eq(ol_optimizer_save(a, &blob, &size, &err), OL_OK, "%s", err.msg);
                cr_assert_eq(ol_optimizer_load(b, blob, size, &err), OL_OK, "%s", err.msg);
            }
            ol_optimizer_step(a, &err);
            if (t >= 20) ol_optimizer_step(b, &err);
        }
        cr_assert_eq(memcmp(p1, p2, sizeof p1), 0, "%s: continuation after load differs", names[k]);
        free(blob);
        ol_optimizer_free(a);
        ol_optimizer_free(b);
    }
}

Test(bad_input, shapes_that_do_not_fit_are_refused_naming_the_tensor) {
    float p[10] = {0}, g[10] = {0};
    ol_optimizer *o = make("muon", NULL);
    ol_error err;
    ol_optimizer_add_group(o, p, g, 10, &err);
    ol_tensor_shape s[3] = {shape(2, 3, 0), shape(2, 0, 0), shape(2, 0, 0)};
    strcpy(s[0].name, "fc.weight");
    strcpy(s[1].name, "fc.bias");
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_OK, "%s", err.msg); /* 6 + 2 + 2 = 10 */
    s[2].rows = 1;
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "add up to 9 values, the group has 10"), "%s", err.msg);
    s[2].rows = 3;
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "more than its 10 parameters"), "%s", err.msg);
    s[2].rows = 2;
    s[1].role = OL_TENSOR_MATRIX;
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "fc.bias is 1-D (2 values)") && strstr(err.msg, "2-D"), "%s", err.msg);
    s[1].role = (ol_tensor_role)7;
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "unknown role 7"), "%s", err.msg);
    s[1].role = OL_TENSOR_AUTO;
    s[0].rows = 0;
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "fc.weight has size 0"), "%s", err.msg);
    cr_assert_eq(ol_optimizer_set_shapes(o, 1, s, 3, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "group 1 does not exist"), "%s", err.msg);
    cr_assert_eq(ol_optimizer_set_shapes(o, 0, s, 0, &err), OL_EINVAL);
    cr_assert_eq(ol_optimizer_set_shapes(NULL, 0, s, 3, &err), OL_EINVAL);
    /* a failed call leaves the group's earlier shapes in place: still steps */
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_set(o, "ns_steps", 2.5, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_step(o, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "ns_steps = 2.5 is not a whole number"), "%s", err.msg);
    cr_assert_eq(ol_optimizer_set(o, "ns_steps", 0, &err), OL_EINVAL);
    ol_optimizer_free(o);
}

Test(bad_input, shape_text_is_parsed_or_refused_naming_the_token) {
    ol_tensor_shape s[4];
    size_t n = 0;
    ol_error err;
    cr_assert_eq(ol_tensor_shapes_parse(" 3x4  3@adamw\t5x3@muon ", s, 4, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert(s[0].rows == 3 && s[0].cols == 4 && s[0].role == OL_TENSOR_AUTO);
    cr_assert(s[1].rows == 3 && s[1].cols == 0 && s[1].role == OL_TENSOR_VECTOR);
    cr_assert(s[2].rows == 5 && s[2].cols == 3 && s[2].role == OL_TENSOR_MATRIX);
    const char *bad[][2] = {{"3x", "'3x'"}, {"x3", "'x3'"}, {"0x3", "'0x3'"}, {"3@lion", "muon or adamw"},
                            {"-3", "'-3'"}, {"", "none given"}, {"1 2 3 4 5", "more than 4 tensors"},
                            {"99999999999999999999999", "not ROWSxCOLS"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ol_tensor_shapes_parse(bad[i][0], s, 4, &n, &err), OL_EINVAL, "'%s' accepted", bad[i][0]);
        cr_assert(strstr(err.msg, bad[i][1]), "'%s': %s", bad[i][0], err.msg);
    }
}

Test(modern, schedule_free_evaluates_at_x_and_switches_back_exactly) {
    enum { N = 16 };
    float p[N], g[N], y[N], x[N];
    for (int i = 0; i < N; i++) p[i] = (float)cos(0.5 * i);
    ol_optimizer *o = make("sfadamw", "lr=0.05"), *adam = make("adam", NULL);
    ol_error err;
    ol_optimizer_add_group(o, p, g, N, &err);
    cr_assert_eq(ol_optimizer_eval_params(o, 1, &err), OL_OK); /* before any step: nothing to do */
    cr_assert_eq(ol_optimizer_eval_params(o, 0, &err), OL_OK);
    for (int t = 0; t < 50; t++) {
        for (int i = 0; i < N; i++) g[i] = (float)(2 * p[i] - 1);
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    }
    memcpy(y, p, sizeof p);
    cr_assert_eq(ol_optimizer_eval_params(o, 1, &err), OL_OK);
    memcpy(x, p, sizeof p);
    cr_assert_neq(memcmp(x, y, sizeof x), 0, "the evaluation point equals the training point");
    /* x and y against Algorithm 1 of Defazio et al. 2024 in double, on the same gradient 2y - 1 */
    double rz[N], rx[N], ry[N], rv[N] = {0}, wsum = 0;
    for (int i = 0; i < N; i++) rz[i] = rx[i] = ry[i] = (float)cos(0.5 * i);
    for (int t = 1; t <= 50; t++) {
        double gamma = 0.05 * sqrt(1 - pow(0.999, t));
        wsum += gamma * gamma;
        double c = gamma * gamma / wsum;
        for (int i = 0; i < N; i++) {
            double gi = 2 * ry[i] - 1;
            rv[i] = 0.999 * rv[i] + 0.001 * gi * gi;
            rz[i] -= gamma * gi / (sqrt(rv[i]) + 1e-8);
            rx[i] = (1 - c) * rx[i] + c * rz[i];
            ry[i] = 0.1 * rz[i] + 0.9 * rx[i];
        }
    }
    for (int i = 0; i < N; i++) {
        cr_assert_float_eq(x[i], rx[i], 1e-4, "x[%d] = %g, reference %g", i, x[i], rx[i]);
        cr_assert_float_eq(y[i], ry[i], 1e-4, "y[%d] = %g, reference %g", i, y[i], ry[i]);
    }
    cr_assert_eq(ol_optimizer_step(o, &err), OL_ESTATE);
    cr_assert(strstr(err.msg, "evaluation point"), "%s", err.msg);
    cr_assert_eq(ol_optimizer_eval_params(o, 0, &err), OL_OK);
    cr_assert_eq(memcmp(p, y, sizeof p), 0, "the training point did not come back bit for bit");
    cr_assert_eq(ol_optimizer_step(o, &err), OL_OK, "%s", err.msg);
    /* other optimizers: a no-op */
    ol_optimizer_add_group(adam, y, g, N, &err);
    ol_optimizer_step(adam, &err);
    memcpy(x, y, sizeof y);
    cr_assert_eq(ol_optimizer_eval_params(adam, 1, &err), OL_OK);
    cr_assert_eq(memcmp(x, y, sizeof y), 0);
    ol_optimizer_free(o);
    ol_optimizer_free(adam);
}

Test(modern, prodigy_estimates_one_d_over_all_groups) {
    /* the same 24 parameters as one group, and split into groups of 10 and 14: the paper's d is
     * one number over all parameters, so both runs follow the same path (up to summation order) */
    enum { N = 24, A = 10 };
    float one[N], two[N], g1[N], g2[N];
    for (int i = 0; i < N; i++) one[i] = two[i] = (float)sin(1.0 + i);
    ol_optimizer *o1 = make("prodigy", NULL), *o2 = make("prodigy", NULL);
    ol_error err;
    ol_optimizer_add_group(o1, one, g1, N, &err);
    ol_optimizer_add_group(o2, two, g2, A, &err);
    ol_optimizer_add_group(o2, two + A, g2 + A, N - A, &err);
    for (int t = 0; t < 200; t++) {
        for (int i = 0; i < N; i++) {
            g1[i] = (float)((1 + i % 3) * one[i] - 0.3);
            g2[i] = (float)((1 + i % 3) * two[i] - 0.3);
        }
        cr_assert_eq(ol_optimizer_step(o1, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_optimizer_step(o2, &err), OL_OK, "%s", err.msg);
    }
    for (int i = 0; i < N; i++)
        cr_assert(fabs(one[i] - two[i]) <= 1e-5 * fmax(fabs(one[i]), 1e-3), "param %d: one group %.9g, two groups %.9g",
                  i, one[i], two[i]);
    /* and d grew from d0 = 1e-6: the problem's scale is ~1, so the steps are not d0-sized */
    cr_assert_gt(fabs(one[0] - (float)sin(1.0)), 1e-2, "prodigy barely moved: d did not grow");
    ol_optimizer_free(o1);
    ol_optimizer_free(o2);
}
