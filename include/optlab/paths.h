/*
 * optlab/paths.h — the seed note's section 2, computed: every optimizer's path
 * on 2-D test surfaces (an ill-conditioned quadratic ravine, Rosenbrock, Beale,
 * a saddle point, Rastrigin), each optimizer's learning rate tuned per surface
 * by a small TPE study (hpo layer, memory: storage), drawn on the surface's
 * contour plot (PNG + SVG beside their .dat and .gp, as the report draws), with
 * a table of steps to within 1e-3 of the minimum and the final distance, with
 * exact gradients and with seeded Gaussian gradient noise.
 *
 * The two coordinates are one parameter group of 2 floats, stepped by the
 * registry's optimizers exactly as a model's parameters are (L-BFGS through its
 * closure entry point, one iteration per step). docs/paths.md says what is
 * tuned, what is fixed and why.
 *
 *   ol_paths_options o = ol_paths_defaults();
 *   o.out_dir = "paths";
 *   ol_paths_write(&o, NULL, &err);
 */
#ifndef OPTLAB_PATHS_H
#define OPTLAB_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** A 2-D test surface. Constant tables: any thread may read them. */
typedef struct ol_surface {
    const char *name;       /**< key, e.g. "rosenbrock" */
    const char *label;      /**< for people, e.g. "Rosenbrock" */
    const char *formula;    /**< plain text, e.g. "(1-x)^2 + 100 (y-x^2)^2" */
    const char *gnuplot;    /**< the same as a gnuplot expression in x and y (draws the contours) */
    double x_min, x_max, y_min, y_max; /**< the window drawn */
    double start_x, start_y;           /**< where every optimizer starts */
    size_t n_minima;        /**< global minima (distance is to the nearest) */
    double minima[2][2];
    double f_min;           /**< the value at the minima */
    int log_contours;       /**< 1: contours of log10(f - f_min + 1e-3); 0: of f */
    double (*value)(double x, double y);
    void (*gradient)(double x, double y, double g[2]);
} ol_surface;

/** Number of surfaces (5). */
size_t ol_surface_count(void);
/** Surface i (0 <= i < count), else NULL. */
const ol_surface *ol_surface_at(size_t i);
/** A surface by name (case-insensitive), else NULL. */
const ol_surface *ol_surface_find(const char *name);
/** Euclidean distance from (x, y) to the nearest global minimum (NaN in, NaN out). */
double ol_surface_distance(const ol_surface *s, double x, double y);

/**
 * Is `name` an optimizer paths can run: a registry entry (ol_optim_find) or
 * "lbfgs"? Returns its canonical name, or NULL.
 */
const char *ol_paths_optimizer_name(const char *name);

/**
 * Run `optimizer` from the surface's start for `steps` steps with learning rate
 * `lr` (every other hyperparameter at the registry's default, except the
 * surface adjustments docs/paths.md lists). noise > 0 adds N(0, noise^2) to each
 * gradient component, drawn from a stream derived from seed. xy receives
 * 2 * (steps + 1) floats: the start, then the point after each step (the point
 * to evaluate the model at: Schedule-Free AdamW's average). Once a coordinate
 * leaves |v| < 1e6 or turns NaN the path has diverged: the rest is NaN.
 * Bad names, lr <= 0 or out of the optimizer's range, steps < 1 fail, naming them.
 */
ol_status ol_path_run(const ol_surface *s, const char *optimizer, double lr, int steps, double noise,
                      uint64_t seed, float *xy, ol_error *err);

/**
 * The tuning objective of a path (lower is better): the mean over steps 1..steps
 * of log10 of the distance to the minimum, clamped to [1e-6, 1e4] (NaN counts as
 * 1e4). It rewards arriving early and staying close.
 */
double ol_path_score(const ol_surface *s, const float *xy, int steps);

/** First step whose point is within tol of a minimum (0: the start), or -1 if none. */
int ol_path_steps_to(const ol_surface *s, const float *xy, int steps, double tol);

/** The learning-rate search range of an optimizer: its default times 10^-3 .. 10^3, inside its valid range. */
ol_status ol_path_lr_range(const char *optimizer, double *low, double *high, ol_error *err);

/**
 * Tune the learning rate on exact gradients: a TPE study (Optuna 3.1's defaults,
 * log scale over ol_path_lr_range) of `budget` trials in a memory: storage,
 * minimising ol_path_score. *best_lr and *best_score receive the best trial's.
 */
ol_status ol_path_tune(const ol_surface *s, const char *optimizer, int steps, int budget, uint64_t seed,
                       double *best_lr, double *best_score, ol_error *err);

/** What ol_paths_write computes and where it writes it. Start from ol_paths_defaults(). */
typedef struct {
    const char *out_dir;    /**< "paths" */
    const char *surfaces;   /**< comma-separated names, NULL or "all": every surface */
    const char *optimizers; /**< comma-separated names, NULL or "all": every registry entry and lbfgs */
    int budget;             /**< TPE trials per (surface, optimizer): 30 */
    int steps;              /**< steps per path: 1000 */
    double noise;           /**< gradient noise standard deviation of the noisy runs: 0.1 (0: none) */
    uint64_t seed;          /**< 20250228 */
    const char *gnuplot;    /**< NULL: $OPTLAB_GNUPLOT or gnuplot */
    /** Called after each (surface, optimizer) is tuned and run, or NULL. */
    void (*progress)(void *user, int done, int total, const char *surface, const char *optimizer, double lr,
                     int steps_to, double final_distance);
    void *user;
} ol_paths_options;

/** The defaults above. */
ol_paths_options ol_paths_defaults(void);

/** What ol_paths_write wrote. */
typedef struct {
    int n_surfaces, n_optimizers;
    int n_figures;          /**< figures drawn (each as PNG and SVG) */
    long trials;            /**< TPE trials run in all */
    double seconds;         /**< tuning and running (not drawing) */
    double draw_seconds;    /**< gnuplot */
} ol_paths_summary;

/**
 * Tune, run and draw everything into opt->out_dir: README.md (tables and figure
 * links), paths.tsv (one row per surface and optimizer), figures/ (surface-S,
 * surface-S-all, optimizer-O; .dat .gp .png .svg). Names are checked before
 * anything runs. out_dir must be absent, empty, or an earlier paths output (it
 * holds .optlab-paths); it is replaced only when all is written.
 */
ol_status ol_paths_write(const ol_paths_options *opt, ol_paths_summary *summary, ol_error *err);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
