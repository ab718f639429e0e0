/*
 * run.c — one optimizer's path on one surface, its score, and the small TPE
 * study that tunes its learning rate (hpo layer, memory: storage).
 *
 * The two coordinates are one parameter group of 2 floats, stepped by the
 * registry's optimizers as a model's parameters are. Adjustments for 2-D
 * surfaces, each because the default would make the learning rate meaningless
 * or the optimizer something else:
 *  - Adafactor: relative_step=0 and scale_parameter=0, so the learning rate is
 *    the step size (with the defaults the rate is computed and lr is ignored);
 *  - Muon: the two coordinates are one 1x2 matrix taking the orthogonalised
 *    update (as a 1-D tensor it would be plain AdamW);
 *  - L-BFGS: one iteration per step (max_iter=1) with the strong-Wolfe line
 *    search; its line search evaluates the gradient more than once per step.
 * Everything else is the registry's default (AdamW's and LAMB's weight decay
 * 0.01 included: they are what those optimizers are).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optlab/hpo.h"
#include "optlab/optim.h"
#include "optlab/paths.h"
#include "optlab/storage.h"

#define DIVERGED 1e6

const char *ol_paths_optimizer_name(const char *name) {
    if (!name) return NULL;
    if (!strcasecmp(name, "lbfgs") || !strcasecmp(name, "l-bfgs")) return "lbfgs";
    const ol_optim_info *o = ol_optim_find(name);
    return o ? o->name : NULL;
}

ol_status ol_path_lr_range(const char *optimizer, double *low, double *high, ol_error *err) {
    const char *name = ol_paths_optimizer_name(optimizer);
    if (!name) return ol_fail(err, OL_EINVAL, "unknown optimizer '%s' (see `optlab optimizers`)", optimizer);
    double def = 1.0, vmin = 0, vmax = INFINITY;
    if (strcmp(name, "lbfgs")) {
        const ol_optim_info *o = ol_optim_find(name);
        const ol_hparam_info *h = ol_optim_find_hparam(o, "learning_rate");
        if (!h) return ol_fail(err, OL_EINVAL, "optimizer '%s' has no learning rate", name);
        def = h->default_value;
        vmin = h->min;
        vmax = h->max;
    }
    *low = def * 1e-3;
    *high = def * 1e3;
    if (*low <= vmin) *low = vmin > 0 ? vmin * 1.000001 : 1e-9;
    if (*high > vmax) *high = vmax;
    return OL_OK;
}

typedef struct {
    const ol_surface *s;
    double noise;
    ol_rng rng;
} closure_ctx;

static void noisy_gradient(closure_ctx *c, double x, double y, double g[2]) {
    c->s->gradient(x, y, g);
    if (c->noise > 0) {
        g[0] += c->noise * ol_rng_normal(&c->rng);
        g[1] += c->noise * ol_rng_normal(&c->rng);
    }
}

static ol_status lbfgs_closure(void *user, const float *p, float *grads, double *loss, ol_error *err) {
    (void)err;
    closure_ctx *c = user;
    double g[2];
    noisy_gradient(c, p[0], p[1], g);
    grads[0] = (float)g[0];
    grads[1] = (float)g[1];
    *loss = c->s->value(p[0], p[1]);
    return OL_OK;
}

static int diverged(const float *p) {
    return !(fabsf(p[0]) < DIVERGED) || !(fabsf(p[1]) < DIVERGED);
}

static void fill_nan(float *xy, int from, int steps) {
    for (int t = from; t <= steps; t++) xy[2 * t] = xy[2 * t + 1] = NAN;
}

static ol_status run_lbfgs(closure_ctx *c, double lr, int steps, float *xy, ol_error *err) {
    float p[2] = {(float)c->s->start_x, (float)c->s->start_y};
    char settings[160];
    snprintf(settings, sizeof settings, "lr=%.17g,max_iter=1,line_search_fn=strong_wolfe", lr);
    ol_lbfgs *o = NULL;
    ol_status rc = ol_lbfgs_create(&o, p, 2, settings, err);
    if (rc) return rc;
    xy[0] = p[0];
    xy[1] = p[1];
    for (int t = 1; t <= steps; t++) {
        double loss;
        rc = ol_lbfgs_step(o, lbfgs_closure, c, &loss, err);
        if (rc) break;
        if (diverged(p)) {
            fill_nan(xy, t, steps);
            break;
        }
        xy[2 * t] = p[0];
        xy[2 * t + 1] = p[1];
    }
    ol_lbfgs_free(o);
    return rc;
}

static ol_status run_registry(closure_ctx *c, const char *name, double lr, int steps, float *xy, ol_error *err) {
    float p[2] = {(float)c->s->start_x, (float)c->s->start_y}, g[2] = {0, 0};
    ol_optimizer *o = NULL;
    ol_status rc = ol_optimizer_create(&o, name, err);
    if (!rc) rc = ol_optimizer_set(o, "learning_rate", lr, err);
    if (!rc && !strcmp(name, "adafactor")) rc = ol_optimizer_set_from_string(o, "relative_step=0,scale_parameter=0", err);
    if (!rc) rc = ol_optimizer_add_group(o, p, g, 2, err);
    if (!rc && !strcmp(name, "muon")) {
        ol_tensor_shape sh = {.name = "xy", .rows = 1, .cols = 2, .role = OL_TENSOR_MATRIX};
        rc = ol_optimizer_set_shapes(o, 0, &sh, 1, err);
    }
    if (rc) {
        ol_optimizer_free(o);
        return rc;
    }
    xy[0] = p[0];
    xy[1] = p[1];
    for (int t = 1; t <= steps; t++) {
        double gd[2];
        noisy_gradient(c, p[0], p[1], gd);
        g[0] = (float)gd[0];
        g[1] = (float)gd[1];
        rc = ol_optimizer_step(o, err);
        if (rc) break;
        /* the point to evaluate at (Schedule-Free's average; the same point for the others) */
        rc = ol_optimizer_eval_params(o, 1, err);
        if (rc) break;
        float e[2] = {p[0], p[1]};
        rc = ol_optimizer_eval_params(o, 0, err);
        if (rc) break;
        if (diverged(e) || diverged(p)) {
            fill_nan(xy, t, steps);
            break;
        }
        xy[2 * t] = e[0];
        xy[2 * t + 1] = e[1];
    }
    ol_optimizer_free(o);
    return rc;
}

ol_status ol_path_run(const ol_surface *s, const char *optimizer, double lr, int steps, double noise,
                      uint64_t seed, float *xy, ol_error *err) {
    if (!s) return ol_fail(err, OL_EINVAL, "no surface given");
    const char *name = ol_paths_optimizer_name(optimizer);
    if (!name)
        return ol_fail(err, OL_EINVAL, "unknown optimizer '%s' (see `optlab optimizers`)", optimizer ? optimizer : "");
    if (!(lr > 0) || !isfinite(lr))
        return ol_fail(err, OL_EINVAL, "learning rate %g of %s must be a positive number", lr, name);
    if (steps < 1) return ol_fail(err, OL_EINVAL, "steps must be at least 1 (got %d)", steps);
    if (!(noise >= 0) || !isfinite(noise))
        return ol_fail(err, OL_EINVAL, "gradient noise %g must be a finite number >= 0", noise);
    closure_ctx c = {.s = s, .noise = noise};
    char stream[160];
    snprintf(stream, sizeof stream, "paths/noise/%s/%s", s->name, name);
    ol_rng_derive(&c.rng, seed, stream);
    ol_status rc = !strcmp(name, "lbfgs") ? run_lbfgs(&c, lr, steps, xy, err)
                                          : run_registry(&c, name, lr, steps, xy, err);
    if (rc) ol_error_prefix(err, "%s on %s", name, s->name);
    return rc;
}

double ol_path_score(const ol_surface *s, const float *xy, int steps) {
    double sum = 0;
    for (int t = 1; t <= steps; t++) {
        double d = ol_surface_distance(s, xy[2 * t], xy[2 * t + 1]);
        if (isnan(d) || d > 1e4) d = 1e4;
        if (d < 1e-6) d = 1e-6;
        sum += log10(d);
    }
    return steps > 0 ? sum / steps : NAN;
}

int ol_path_steps_to(const ol_surface *s, const float *xy, int steps, double tol) {
    for (int t = 0; t <= steps; t++)
        if (ol_surface_distance(s, xy[2 * t], xy[2 * t + 1]) <= tol) return t;
    return -1;
}

ol_status ol_path_tune(const ol_surface *s, const char *optimizer, int steps, int budget, uint64_t seed,
                       double *best_lr, double *best_score, ol_error *err) {
    const char *name = ol_paths_optimizer_name(optimizer);
    if (!s || !name)
        return ol_fail(err, OL_EINVAL, "unknown %s '%s'", s ? "optimizer" : "surface", optimizer ? optimizer : "");
    if (budget < 1) return ol_fail(err, OL_EINVAL, "the tuning budget must be at least 1 trial (got %d)", budget);
    if (steps < 1) return ol_fail(err, OL_EINVAL, "steps must be at least 1 (got %d)", steps);
    double lo, hi;
    ol_status rc = ol_path_lr_range(name, &lo, &hi, err);
    if (rc) return rc;
    float *xy = malloc(sizeof(float) * 2 * ((size_t)steps + 1));
    if (!xy) return ol_fail(err, OL_ENOMEM, "out of memory for a path of %d steps", steps);
    ol_storage *st = NULL;
    ol_sampler *tpe = NULL;
    ol_study *study = NULL;
    char study_name[160];
    snprintf(study_name, sizeof study_name, "paths/%s/%s", s->name, name);
    rc = ol_storage_open(&st, "memory:", err);
    if (!rc) rc = ol_sampler_tpe_new(&tpe, NULL, err);
    if (!rc)
        rc = ol_study_open(&study, st,
                           &(ol_study_options){.name = study_name, .maximize = 0,
                                               .seed = ol_seed_derive(seed, study_name), .n_trials = budget,
                                               .sampler = tpe},
                           err);
    *best_lr = NAN;
    *best_score = INFINITY;
    while (!rc) {
        ol_trial *t = NULL;
        rc = ol_study_ask(study, &t, err);
        if (rc == OL_ESTOPPED) {
            rc = OL_OK;
            break;
        }
        if (rc) break;
        double lr;
        rc = ol_trial_suggest_float(t, "learning_rate", lo, hi, 1, 0, &lr, err);
        if (!rc) rc = ol_path_run(s, name, lr, steps, 0, seed, xy, err);
        if (rc) {
            ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, NULL);
            break;
        }
        double score = ol_path_score(s, xy, steps);
        /* ties (e.g. every rate that diverges) keep the first */
        if (score < *best_score) {
            *best_score = score;
            *best_lr = lr;
        }
        rc = ol_study_tell(study, t, OL_TRIAL_COMPLETE, score, err);
    }
    ol_study_close(study);
    ol_sampler_free(tpe);
    ol_storage_close(st);
    free(xy);
    return rc;
}
