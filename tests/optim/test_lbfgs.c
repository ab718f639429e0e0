/*
 * L-BFGS (src/optim/lbfgs.c) on its own: bad settings are refused naming them, it
 * solves an ill-conditioned quadratic with and without the strong-Wolfe line search,
 * and a failing closure stops the step with its message. Exactness to torch is
 * tests/optim/replay_lbfgs.sh.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "optlab/optim.h"

#define N 10

/* f(x) = sum_i 10^(i/3) (x_i - 1)^2: condition number 2000 */
static ol_status quadratic(void *user, const float *p, float *g, double *loss, ol_error *err) {
    int *calls = user;
    (*calls)++;
    double f = 0;
    for (int i = 0; i < N; i++) {
        double a = pow(10.0, i / 3.0), r = p[i] - 1.0;
        f += a * r * r;
        g[i] = (float)(2 * a * r);
    }
    *loss = f;
    return OL_OK;
}

static ol_status failing(void *user, const float *p, float *g, double *loss, ol_error *err) {
    return ol_fail(err, OL_EIO, "model file vanished");
}

Test(lbfgs, bad_settings_name_the_value) {
    float p[N] = {0};
    ol_lbfgs *o = NULL;
    ol_error err;
    const char *bad[][2] = {{"lr=0", "lr = 0"}, {"lr=abc", "abc"}, {"history_size=0", "history_size"},
                            {"max_iter=2.5", "max_iter"}, {"line_search_fn=armijo", "armijo"},
                            {"tolerance_grad=-1", "tolerance_grad"}, {"momentum=0.9", "momentum"}, {"lr", "name=value"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(ol_lbfgs_create(&o, p, N, bad[i][0], &err), OL_OK, "%s accepted", bad[i][0]);
        cr_assert_null(o);
        cr_assert(strstr(err.msg, bad[i][1]), "%s: message '%s'", bad[i][0], err.msg);
    }
    cr_assert_neq(ol_lbfgs_create(&o, p, 0, "", &err), OL_OK);
    cr_assert_neq(ol_lbfgs_create(&o, NULL, N, "", &err), OL_OK);
}

static void solves(const char *settings, int steps) {
    float p[N] = {0};
    ol_lbfgs *o;
    ol_error err;
    cr_assert_eq(ol_lbfgs_create(&o, p, N, settings, &err), OL_OK, "%s", err.msg);
    int calls = 0;
    double loss = 0;
    for (int s = 0; s < steps; s++) cr_assert_eq(ol_lbfgs_step(o, quadratic, &calls, &loss, &err), OL_OK, "%s", err.msg);
    for (int i = 0; i < N; i++) cr_assert_float_eq(p[i], 1.0f, 1e-3, "%s: x[%d] = %g", settings, i, p[i]);
    cr_assert_eq(ol_lbfgs_evaluations(o), calls);
    cr_assert_gt(calls, steps);
    ol_lbfgs_free(o);
}

Test(lbfgs, solves_an_ill_conditioned_quadratic) {
    solves("line_search_fn=strong_wolfe", 5);
    solves("lr=0.5, history_size=5, max_iter=50", 20);
}

Test(lbfgs, a_failing_closure_stops_the_step) {
    float p[N] = {0};
    ol_lbfgs *o;
    ol_error err;
    cr_assert_eq(ol_lbfgs_create(&o, p, N, NULL, &err), OL_OK);
    cr_assert_eq(ol_lbfgs_step(o, failing, NULL, NULL, &err), OL_EIO);
    cr_assert(strstr(err.msg, "closure") && strstr(err.msg, "model file vanished"), "%s", err.msg);
    ol_lbfgs_free(o);
}
