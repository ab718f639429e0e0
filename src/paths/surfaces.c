/*
 * surfaces.c — the 2-D test surfaces of `optlab paths`, each with its value,
 * its analytic gradient (tests/paths checks it against finite differences),
 * the same formula for gnuplot (the figures' contours), where the optimizers
 * start and where the minima are.
 *
 * Starts are chosen to show what the seed note's section 2 describes: the
 * ravine starts far along its flat axis and off its steep one (RMSProp's
 * damped zig-zag against SGD's), the saddle a hair off its ridge (who escapes,
 * how fast), Rastrigin between local minima (who gets caught).
 */
#include <math.h>
#include <stddef.h>
#include <strings.h>

#include "optlab/paths.h"

#define PI 3.14159265358979323846

/* ravine: 0.5 (0.1 x^2 + 10 y^2), condition number 100 */
static double ravine_f(double x, double y) { return 0.5 * (0.1 * x * x + 10.0 * y * y); }
static void ravine_g(double x, double y, double g[2]) {
    g[0] = 0.1 * x;
    g[1] = 10.0 * y;
}

static double rosen_f(double x, double y) { return (1 - x) * (1 - x) + 100.0 * (y - x * x) * (y - x * x); }
static void rosen_g(double x, double y, double g[2]) {
    g[0] = -2.0 * (1 - x) - 400.0 * x * (y - x * x);
    g[1] = 200.0 * (y - x * x);
}

static double beale_f(double x, double y) {
    double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
    return t1 * t1 + t2 * t2 + t3 * t3;
}
static void beale_g(double x, double y, double g[2]) {
    double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
    g[0] = 2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1);
    g[1] = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y * y;
}

/* saddle at the origin between two wells at (0, +-1): x^2/2 + y^4/4 - y^2/2 */
static double saddle_f(double x, double y) { return 0.5 * x * x + 0.25 * y * y * y * y - 0.5 * y * y; }
static void saddle_g(double x, double y, double g[2]) {
    g[0] = x;
    g[1] = y * y * y - y;
}

static double rastrigin_f(double x, double y) {
    return 20.0 + x * x - 10.0 * cos(2 * PI * x) + y * y - 10.0 * cos(2 * PI * y);
}
static void rastrigin_g(double x, double y, double g[2]) {
    g[0] = 2 * x + 20 * PI * sin(2 * PI * x);
    g[1] = 2 * y + 20 * PI * sin(2 * PI * y);
}

static const ol_surface surfaces[] = {
    {"ravine", "Ravine (quadratic, condition 100)", "0.5 (0.1 x^2 + 10 y^2)", "0.5*(0.1*x**2 + 10*y**2)",
     -9, 9, -2.5, 2.5, -8, 2, 1, {{0, 0}}, 0, 1, ravine_f, ravine_g},
    {"rosenbrock", "Rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", "(1-x)**2 + 100*(y-x**2)**2", -2, 2, -1, 3, -1.2,
     1, 1, {{1, 1}}, 0, 1, rosen_f, rosen_g},
    {"beale", "Beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
     "(1.5-x+x*y)**2 + (2.25-x+x*y**2)**2 + (2.625-x+x*y**3)**2", -1, 4.5, -1.5, 2, 0.7, 1.4, 1, {{3, 0.5}}, 0,
     1, beale_f, beale_g},
    {"saddle", "Saddle point (two wells)", "x^2/2 + y^4/4 - y^2/2", "0.5*x**2 + 0.25*y**4 - 0.5*y**2", -2, 2,
     -1.6, 1.6, -1.5, 0.001, 2, {{0, 1}, {0, -1}}, -0.25, 1, saddle_f, saddle_g},
    {"rastrigin", "Rastrigin", "20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)",
     "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)", -3, 3, -3, 3, -2.4, 2.3, 1, {{0, 0}}, 0, 0,
     rastrigin_f, rastrigin_g},
};

size_t ol_surface_count(void) { return sizeof surfaces / sizeof surfaces[0]; }

const ol_surface *ol_surface_at(size_t i) { return i < ol_surface_count() ? &surfaces[i] : NULL; }

const ol_surface *ol_surface_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < ol_surface_count(); i++)
        if (!strcasecmp(name, surfaces[i].name)) return &surfaces[i];
    return NULL;
}

double ol_surface_distance(const ol_surface *s, double x, double y) {
    if (isnan(x) || isnan(y)) return NAN;
    double best = INFINITY;
    for (size_t k = 0; k < s->n_minima; k++) {
        double d = hypot(x - s->minima[k][0], y - s->minima[k][1]);
        if (d < best) best = d;
    }
    return best;
}
