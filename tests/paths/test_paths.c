/*
 * optlab paths as a library: every surface's analytic gradient against central
 * finite differences, minima where the gradient vanishes, a known-converging
 * case (plain gradient descent on the ravine at a rate the quadratic's
 * eigenvalues say converges, and one that diverges), every optimizer running
 * on every surface without error, determinism (same seed, same path and same
 * tuned rate; another seed, another noisy path), and bad input.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/optim.h"
#include "optlab/paths.h"

Test(paths, gradients_match_finite_differences) {
    cr_assert_eq(ol_surface_count(), 5);
    for (size_t i = 0; i < ol_surface_count(); i++) {
        const ol_surface *s = ol_surface_at(i);
        /* a grid of points over the window, off the grid's symmetric points */
        for (int a = 0; a < 7; a++)
            for (int b = 0; b < 7; b++) {
                double x = s->x_min + (s->x_max - s->x_min) * (a + 0.37) / 7;
                double y = s->y_min + (s->y_max - s->y_min) * (b + 0.61) / 7;
                double g[2], h = 1e-6;
                s->gradient(x, y, g);
                double fx = (s->value(x + h, y) - s->value(x - h, y)) / (2 * h);
                double fy = (s->value(x, y + h) - s->value(x, y - h)) / (2 * h);
                double tol = 1e-5 * (1 + fabs(fx) + fabs(fy));
                cr_assert(fabs(g[0] - fx) < tol, "%s d/dx at (%g, %g): %g vs %g", s->name, x, y, g[0], fx);
                cr_assert(fabs(g[1] - fy) < tol, "%s d/dy at (%g, %g): %g vs %g", s->name, x, y, g[1], fy);
            }
        for (size_t k = 0; k < s->n_minima; k++) {
            double g[2];
            s->gradient(s->minima[k][0], s->minima[k][1], g);
            cr_assert(fabs(g[0]) < 1e-9 && fabs(g[1]) < 1e-9, "%s: gradient at the minimum is (%g, %g)", s->name,
                      g[0], g[1]);
            cr_assert(fabs(s->value(s->minima[k][0], s->minima[k][1]) - s->f_min) < 1e-12, "%s: f_min", s->name);
            /* and it is lower than its neighbourhood */
            for (int d = 0; d < 8; d++) {
                double ang = d * 0.785398, r = 1e-3;
                cr_assert(s->value(s->minima[k][0] + r * cos(ang), s->minima[k][1] + r * sin(ang)) > s->f_min);
            }
        }
        cr_assert(ol_surface_distance(s, s->start_x, s->start_y) > 0.5, "%s starts at its minimum", s->name);
    }
    cr_assert_eq(ol_surface_find("Rosenbrock"), ol_surface_at(1));
    cr_assert_null(ol_surface_find("himmelblau"));
}

Test(paths, gradient_descent_converges_where_theory_says) {
    const ol_surface *s = ol_surface_find("ravine");
    int steps = 400;
    float *xy = malloc(sizeof(float) * 2 * (steps + 1));
    ol_error err = {0};
    /* Hessian diag(0.1, 10): GD converges iff lr < 2/10; at lr 0.1 the slow axis shrinks by 0.99 a step */
    cr_assert_eq(ol_path_run(s, "sgd", 0.1, steps, 0, 1, xy, &err), OL_OK, "%s", err.msg);
    cr_assert_float_eq(xy[0], -8.0f, 0);
    cr_assert_float_eq(xy[1], 2.0f, 0);
    /* after one step: x = -8 (1 - 0.01), y = 2 (1 - 1) = 0 */
    cr_assert(fabs(xy[2] - (-7.92)) < 1e-5 && fabs(xy[3]) < 1e-6, "(%g, %g)", xy[2], xy[3]);
    double want = 8 * pow(0.99, steps);
    double got = ol_surface_distance(s, xy[2 * steps], xy[2 * steps + 1]);
    cr_assert(fabs(got - want) < 1e-4 * want + 1e-6, "distance %g, theory %g", got, want);
    /* steps to 1e-3: 8 * 0.99^t <= 1e-3 first at t = ceil(ln(8000)/-ln(0.99)) */
    int t_want = (int)ceil(log(8000.0) / -log(0.99));
    int t_got = ol_path_steps_to(s, xy, steps, 1e-3);
    cr_assert(t_got == -1 && t_want > steps, "did not expect %d within %d steps (theory %d)", t_got, steps, t_want);
    cr_assert_eq(ol_path_run(s, "sgd", 0.1, 900, 0, 1, (xy = realloc(xy, sizeof(float) * 2 * 901)), &err), OL_OK);
    t_got = ol_path_steps_to(s, xy, 900, 1e-3);
    cr_assert(abs(t_got - t_want) <= 1, "reached 1e-3 at step %d, theory %d", t_got, t_want);
    /* above 2/10 the steep axis diverges: the path ends in NaN and scores worst */
    cr_assert_eq(ol_path_run(s, "sgd", 0.25, 900, 0, 1, xy, &err), OL_OK);
    cr_assert(isnan(xy[2 * 900]), "lr 0.25 should diverge on the ravine");
    cr_assert(ol_path_score(s, xy, 900) > 3.0);
    free(xy);
}

Test(paths, every_optimizer_runs_on_every_surface) {
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < ol_optim_count(); i++) names[n++] = ol_optim_at(i)->name;
    names[n++] = "lbfgs";
    cr_assert_geq(n, 21);
    float xy[2 * 51];
    for (size_t si = 0; si < ol_surface_count(); si++)
        for (size_t k = 0; k < n; k++) {
            const ol_surface *s = ol_surface_at(si);
            double lo, hi, lr;
            ol_error err = {0};
            cr_assert_eq(ol_path_lr_range(names[k], &lo, &hi, &err), OL_OK, "%s", err.msg);
            cr_assert(lo > 0 && hi > lo);
            lr = sqrt(lo * hi) / 10;
            cr_assert_eq(ol_path_run(s, names[k], lr, 50, 0.1, 7, xy, &err), OL_OK, "%s on %s: %s", names[k], s->name,
                         err.msg);
            /* a modest rate moves the point, and not off to infinity */
            cr_assert(!isnan(xy[100]), "%s on %s diverged at lr %g", names[k], s->name, lr);
            cr_assert(xy[100] != xy[0] || xy[101] != xy[1], "%s on %s did not move", names[k], s->name);
        }
}

Test(paths, tuning_finds_a_converging_rate_and_is_deterministic) {
    const ol_surface *s = ol_surface_find("ravine");
    double lr1, sc1, lr2, sc2, lr3, sc3;
    ol_error err = {0};
    cr_assert_eq(ol_path_tune(s, "sgd", 300, 15, 42, &lr1, &sc1, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_path_tune(s, "sgd", 300, 15, 42, &lr2, &sc2, &err), OL_OK);
    cr_assert(lr1 == lr2 && sc1 == sc2, "same seed, different tuning: %g vs %g", lr1, lr2);
    /* the best rate found converges: below GD's stability limit 0.2, and well inside the range */
    cr_assert(lr1 > 0.01 && lr1 < 0.2, "tuned SGD rate %g", lr1);
    cr_assert_eq(ol_path_tune(s, "sgd", 300, 15, 43, &lr3, &sc3, &err), OL_OK);
    cr_assert(lr3 != lr1, "another seed drew the same rates");

    float a[2 * 101], b[2 * 101], c[2 * 101];
    cr_assert_eq(ol_path_run(s, "adam", 0.1, 100, 0.5, 9, a, &err), OL_OK);
    cr_assert_eq(ol_path_run(s, "adam", 0.1, 100, 0.5, 9, b, &err), OL_OK);
    cr_assert_eq(ol_path_run(s, "adam", 0.1, 100, 0.5, 10, c, &err), OL_OK);
    cr_assert(!memcmp(a, b, sizeof a), "same seed, different noisy path");
    cr_assert(memcmp(a, c, sizeof a), "another seed, same noisy path");
}

Test(paths, bad_input_names_the_fault) {
    const ol_surface *s = ol_surface_find("beale");
    float xy[2 * 11];
    ol_error err = {0};
    cr_assert_eq(ol_path_run(s, "adamm", 0.1, 10, 0, 1, xy, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'adamm'"), "%s", err.msg);
    cr_assert_eq(ol_path_run(s, "adam", -1, 10, 0, 1, xy, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "learning rate"), "%s", err.msg);
    cr_assert_eq(ol_path_run(s, "adam", 0.1, 0, 0, 1, xy, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "steps"), "%s", err.msg);
    cr_assert_eq(ol_path_run(s, "adam", 0.1, 10, NAN, 1, xy, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "noise"), "%s", err.msg);
    double lr, sc;
    cr_assert_eq(ol_path_tune(s, "adam", 10, 0, 1, &lr, &sc, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "budget"), "%s", err.msg);

    ol_paths_options o = ol_paths_defaults();
    o.out_dir = "/nonexistent-dir-for-test/never";
    o.surfaces = "ravine,himmelblau";
    cr_assert_eq(ol_paths_write(&o, NULL, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'himmelblau'"), "%s", err.msg);
    o.surfaces = "ravine";
    o.optimizers = "adam,sgdd";
    cr_assert_eq(ol_paths_write(&o, NULL, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'sgdd'"), "%s", err.msg);
    o.optimizers = "adam,Adam";
    cr_assert_eq(ol_paths_write(&o, NULL, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "twice"), "%s", err.msg);
    o.optimizers = "adam";
    o.budget = 0;
    cr_assert_eq(ol_paths_write(&o, NULL, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "budget"), "%s", err.msg);
}
