/*
 * gp.c — the Gaussian-process sampler: Bayesian optimisation in the manner
 * of Optuna 4's GPSampler, written over LAPACK (OpenBLAS's dpotrf/dpotrs/
 * dpotri) and BLAS (dtrsv, dtrsm).
 *
 * One ask (all parameters of a trial are chosen together, then cached):
 *  - Search space: the parameters that every COMPLETE trial holds with the
 *    same distribution (Optuna's intersection search space), by name. A
 *    parameter outside it, or fewer than n_startup_trials COMPLETE trials,
 *    is drawn at random.
 *  - Inputs on the unit cube: floats by (x - low) / (high - low), in log
 *    space where the distribution is log; ints and stepped floats widen the
 *    range by half a step each side so every grid point owns an equal cell
 *    and candidates are rounded to the grid; categoricals keep their index
 *    and the kernel sees only "same choice or not" (distance 0 or 1).
 *  - Observations: COMPLETE trials' values (negated when minimising),
 *    standardised. FAIL trials have no value and are left out; PRUNED trials
 *    are left out too (their last intermediate value is not a final value).
 *    Never-learning trials are COMPLETE with a poor value and count as such:
 *    the model learns that their region is poor. Constant liar: other RUNNING
 *    trials that already hold every parameter of the space are added with the
 *    worst observed value, so parallel workers spread out.
 *  - Kernel: Matérn-5/2 with one inverse squared lengthscale per dimension
 *    (ARD), a kernel scale and a noise variance (at least 1e-6). These are
 *    fitted by maximising the log marginal likelihood plus Optuna's priors
 *    (-(0.1/l + 0.1 l) per inverse squared lengthscale l, Gamma(2, 1) on the
 *    scale, Gamma(1.1, 30) on the noise), with Rprop on their logarithms and
 *    the analytic gradient 0.5 tr((a a^T - K^-1) dK).
 *  - Acquisition: log expected improvement over the best observed value,
 *    maximised by multi-start local search: 512 random points, then a
 *    coordinate pattern search from the best few and from the best trial
 *    (continuous coordinates with a halving step, grid coordinates one cell,
 *    categoricals every choice).
 *  - Scale: the hyperparameter fit uses at most 100 observations and the
 *    posterior at most 500 (beyond: the best half and the most recent half,
 *    by trial number), so an ask stays bounded however long the study.
 *  - Failure: a fit that cannot be made (all values equal, a matrix not
 *    positive definite even with jitter, non-finite values) falls back to a
 *    random draw for that trial, with the reason passed to the sampler's log
 *    callback; it never stops the study.
 * Determinism: the randomness of an ask comes from a stream derived from
 * (study seed, trial number), and the result depends only on the history, so
 * a resumed study repeats an uninterrupted one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "hpo_internal.h"

/* OpenBLAS's LAPACK (Fortran interface). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
                    const int *ldb, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define GP_FIT_MAX 100
#define GP_POST_MAX 500
#define GP_N_RANDOM 512
#define GP_N_STARTS 4
#define GP_BATCH_MAX 128
#define GP_RPROP_ITERS 60
#define GP_MIN_NOISE 1e-6

enum { DIM_CONT = 0, DIM_GRID = 1, DIM_CAT = 2 };

typedef struct {
    const char *name;      /* borrowed from the history */
    const char *dist_json; /* borrowed */
    ol_distribution dist;
    int kind;
    double lo, hi; /* transformed bounds (log applied), widened for grids */
} gp_dim;

typedef struct {
    ol_gp_options opt;
    ol_hpo_joint_cache cache;
} gp_state;

/* ---- search space and encoding ---- */

static int usable_complete(const ol_trial_rec *t) {
    return t->state == OL_TRIAL_COMPLETE && t->has_value && isfinite(t->value);
}

static int cmp_dim(const void *a, const void *b) {
    return strcmp(((const gp_dim *)a)->name, ((const gp_dim *)b)->name);
}

static void dims_free(gp_dim *dims, size_t n) {
    for (size_t i = 0; i < n; i++) ol_distribution_free(&dims[i].dist);
    free(dims);
}

/* The intersection search space of the COMPLETE trials, sorted by name. */
static ol_status joint_space(const ol_sample_ctx *ctx, gp_dim **out, size_t *n_out, ol_error *err) {
    *out = NULL;
    *n_out = 0;
    const ol_param_rec **shared = NULL;
    size_t n_shared = 0;
    ol_status rc = ol_hpo_intersection_space(ctx, usable_complete, &shared, &n_shared, NULL, err);
    if (rc || !n_shared) return rc;
    gp_dim *dims = calloc(n_shared, sizeof *dims);
    if (!dims) {
        free(shared);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t s = 0; s < n_shared; s++) {
        const ol_param_rec *p = shared[s];
        gp_dim *d = &dims[n];
        d->name = p->name;
        d->dist_json = p->distribution_json;
        ol_error perr = {0};
        if (ol_distribution_from_json(&d->dist, p->distribution_json, &perr)) continue; /* foreign: left to random */
        const ol_distribution *ds = &d->dist;
        if (ds->kind == OL_DIST_CATEGORICAL) {
            d->kind = DIM_CAT;
        } else {
            double step = ds->step;
            int grid = ds->kind == OL_DIST_INT || ds->step > 0;
            d->kind = grid ? DIM_GRID : DIM_CONT;
            double lo = ds->low - (grid ? 0.5 * step : 0), hi = ds->high + (grid ? 0.5 * step : 0);
            if (ds->log) {
                lo = log(ds->kind == OL_DIST_INT ? ds->low - 0.5 : ds->low);
                hi = log(ds->kind == OL_DIST_INT ? ds->high + 0.5 : ds->high);
            }
            d->lo = lo;
            d->hi = hi;
        }
        n++;
    }
    free(shared);
    qsort(dims, n, sizeof *dims, cmp_dim);
    *out = dims;
    *n_out = n;
    return OL_OK;
}

/* internal value -> unit cube (categorical: the index) */
static double encode(const gp_dim *d, double v) {
    if (d->kind == DIM_CAT) return v;
    double t = d->dist.log ? log(v) : v;
    return (t - d->lo) / (d->hi - d->lo);
}

/* unit cube -> internal value on the distribution's grid */
static double decode(const gp_dim *d, double u) {
    if (d->kind == DIM_CAT) return u;
    double t = d->lo + u * (d->hi - d->lo);
    double v = d->dist.log ? exp(t) : t;
    if (d->kind == DIM_GRID) {
        if (d->dist.log) v = round(v); /* log grids are int with step 1 */
        else v = ol_hpo_round_to_grid(&d->dist, v);
    }
    return fmin(fmax(v, d->dist.low), d->dist.high);
}

/* snap a unit-cube coordinate to its grid cell's centre (grids and categoricals) */
static double snap(const gp_dim *d, double u) {
    if (d->kind == DIM_CONT) return fmin(fmax(u, 0), 1);
    if (d->kind == DIM_CAT) return u;
    return encode(d, decode(d, fmin(fmax(u, 0), 1)));
}

/* ---- the model ---- */

typedef struct {
    size_t d;
    const int *is_cat; /* per dimension */
    double *ils;       /* inverse squared lengthscales */
    double scale, noise;
} kernel;

static double sq_dist(const kernel *k, const double *a, const double *b) {
    double r2 = 0;
    for (size_t j = 0; j < k->d; j++) {
        double t = k->is_cat[j] ? (a[j] != b[j]) : a[j] - b[j];
        r2 += k->ils[j] * t * t;
    }
    return r2;
}

static double matern52(double scale, double r2) {
    double r = sqrt(5.0 * r2);
    return scale * (1.0 + r + r * r / 3.0) * exp(-r);
}

/* K (n x n, column-major) = k(X, X) + (noise + jitter) I */
static void build_gram(const kernel *k, const double *X, size_t n, double jitter, double *K) {
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            double v = matern52(k->scale, sq_dist(k, X + i * k->d, X + j * k->d));
            K[i * n + j] = K[j * n + i] = v;
        }
        K[i * n + i] += k->noise + jitter;
    }
}

/* Cholesky of K in place (lower); retries with growing jitter. 0 on success. */
static int chol_with_jitter(const kernel *k, const double *X, size_t n, double *K) {
    double jitter = 0;
    for (int attempt = 0; attempt < 4; attempt++) {
        build_gram(k, X, n, jitter, K);
        int nn = (int)n, info = 0;
        dpotrf_("L", &nn, K, &nn, &info);
        if (info == 0) return 0;
        jitter = jitter == 0 ? 1e-8 : jitter * 100;
    }
    return -1;
}

/*
 * Scratch of one hyperparameter fit on n points: K (n x n), alpha (n), and
 * per pair i > m (in the order the loops below visit them) the squared
 * coordinate differences D (d each, fixed during the fit), the kernel value
 * KV and dk/dr2 (G), so each pair costs one exp per evaluation.
 */
typedef struct {
    size_t n;
    double *K, *alpha, *D, *KV, *G;
} fit_scratch;

/*
 * The log marginal likelihood plus log prior at `logp` (log ils[0..d), log
 * scale, log noise), and its gradient in grad (same layout). Returns -inf if
 * the Gram matrix cannot be factorised even with jitter.
 */
static double fit_objective(kernel *k, const double *y, fit_scratch *fs, const double *logp, double *grad) {
    size_t d = k->d, n = fs->n;
    double *K = fs->K, *alpha = fs->alpha;
    for (size_t j = 0; j < d; j++) k->ils[j] = exp(logp[j]);
    k->scale = exp(logp[d]);
    k->noise = exp(logp[d + 1]) + GP_MIN_NOISE;
    int nn = (int)n, one = 1, info = -1;
    for (double jitter = 0; jitter <= 1e-4 && info != 0; jitter = jitter == 0 ? 1e-8 : jitter * 100) {
        size_t pair = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t m = 0; m < i; m++, pair++) {
                const double *dd = fs->D + pair * d;
                double r2 = 0;
                for (size_t j = 0; j < d; j++) r2 += k->ils[j] * dd[j];
                double r = sqrt(5.0 * r2), e = exp(-r);
                K[m * n + i] = fs->KV[pair] = k->scale * (1.0 + r + r * r / 3.0) * e; /* lower, column-major */
                fs->G[pair] = -k->scale * (5.0 / 6.0) * (1.0 + r) * e;
            }
            K[i * n + i] = k->scale + k->noise + jitter;
        }
        dpotrf_("L", &nn, K, &nn, &info);
    }
    if (info) return -INFINITY;
    memcpy(alpha, y, n * sizeof *alpha);
    dpotrs_("L", &nn, &one, K, &nn, alpha, &nn, &info);
    if (info) return -INFINITY;
    double logdet = 0, quad = 0;
    for (size_t i = 0; i < n; i++) {
        logdet += log(K[i * n + i]);
        quad += y[i] * alpha[i];
    }
    double ll = -0.5 * quad - logdet - 0.5 * (double)n * log(2 * M_PI);
    dpotri_("L", &nn, K, &nn, &info); /* K^-1, lower triangle */
    if (info) return -INFINITY;
    for (size_t j = 0; j < d + 2; j++) grad[j] = 0;
    /* 0.5 tr(W dK) with W = a a^T - K^-1; each off-diagonal pair counts twice */
    size_t pair = 0;
    double gscale = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t m = 0; m < i; m++, pair++) {
            double w = alpha[i] * alpha[m] - K[m * n + i];
            double wg = w * fs->G[pair];
            const double *dd = fs->D + pair * d;
            for (size_t j = 0; j < d; j++) grad[j] += wg * dd[j];
            gscale += w * fs->KV[pair];
        }
        double wii = alpha[i] * alpha[i] - K[i * n + i];
        gscale += 0.5 * wii * k->scale;
        grad[d + 1] += 0.5 * wii * (k->noise - GP_MIN_NOISE);
    }
    for (size_t j = 0; j < d; j++) grad[j] *= k->ils[j];
    grad[d] = gscale;
    /* priors (Optuna's default_log_prior), and their gradients in log space */
    double prior = 0;
    for (size_t j = 0; j < d; j++) {
        prior -= 0.1 / k->ils[j] + 0.1 * k->ils[j];
        grad[j] += 0.1 / k->ils[j] - 0.1 * k->ils[j];
    }
    prior += log(k->scale) - k->scale;
    grad[d] += 1.0 - k->scale;
    prior += 0.1 * log(k->noise) - 30.0 * k->noise;
    grad[d + 1] += (0.1 / k->noise - 30.0) * (k->noise - GP_MIN_NOISE);
    return ll + prior;
}

/* Rprop on the log hyperparameters; keeps the best point seen. 0 on success. */
static int fit_hyperparameters(kernel *k, const double *X, const double *y, size_t n) {
    size_t d = k->d, p = d + 2, n_pairs = n * (n - 1) / 2;
    fit_scratch fs = {.n = n};
    fs.K = malloc(n * n * sizeof *fs.K);
    fs.KV = malloc((n_pairs ? n_pairs : 1) * sizeof *fs.KV);
    fs.alpha = malloc(n * sizeof *fs.alpha);
    fs.D = malloc((n_pairs ? n_pairs : 1) * d * sizeof *fs.D);
    fs.G = malloc((n_pairs ? n_pairs : 1) * sizeof *fs.G);
    double *x = malloc(p * sizeof *x), *g = malloc(p * sizeof *g), *gprev = calloc(p, sizeof *gprev);
    double *step = malloc(p * sizeof *step), *best = malloc(p * sizeof *best);
    int rc = -1;
    if (!fs.K || !fs.alpha || !fs.D || !fs.KV || !fs.G || !x || !g || !gprev || !step || !best) goto out;
    size_t pair = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < i; m++, pair++)
            for (size_t j = 0; j < d; j++) {
                double t = k->is_cat[j] ? (X[i * d + j] != X[m * d + j]) : X[i * d + j] - X[m * d + j];
                fs.D[pair * d + j] = t * t;
            }
    for (size_t j = 0; j < d; j++) x[j] = 0; /* ils 1 */
    x[d] = 0;                                /* scale 1 */
    x[d + 1] = log(1e-2);
    for (size_t j = 0; j < p; j++) step[j] = 0.2;
    double best_f = -INFINITY;
    for (int it = 0; it < GP_RPROP_ITERS; it++) {
        double f = fit_objective(k, y, &fs, x, g);
        if (!isfinite(f)) { /* step back halfway towards the best point */
            if (!isfinite(best_f)) goto out;
            for (size_t j = 0; j < p; j++) {
                x[j] = 0.5 * (x[j] + best[j]);
                step[j] *= 0.5;
                gprev[j] = 0;
            }
            continue;
        }
        if (f > best_f) {
            best_f = f;
            memcpy(best, x, p * sizeof *x);
        }
        for (size_t j = 0; j < p; j++) {
            double s = g[j] * gprev[j];
            if (s > 0) step[j] = fmin(step[j] * 1.2, 1.0);
            else if (s < 0) {
                step[j] = fmax(step[j] * 0.5, 1e-6);
                g[j] = 0;
            }
            x[j] += g[j] > 0 ? step[j] : g[j] < 0 ? -step[j] : 0;
            gprev[j] = g[j];
        }
        for (size_t j = 0; j < d; j++) x[j] = fmin(fmax(x[j], log(1e-4)), log(1e4));
        x[d] = fmin(fmax(x[d], log(1e-3)), log(1e3));
        x[d + 1] = fmin(fmax(x[d + 1], log(1e-9)), log(10.0));
    }
    if (!isfinite(best_f)) goto out;
    for (size_t j = 0; j < d; j++) k->ils[j] = exp(best[j]);
    k->scale = exp(best[d]);
    k->noise = exp(best[d + 1]) + GP_MIN_NOISE;
    rc = 0;
out:
    free(fs.K);
    free(fs.alpha);
    free(fs.D);
    free(fs.KV);
    free(fs.G);
    free(x);
    free(g);
    free(gprev);
    free(step);
    free(best);
    return rc;
}

typedef struct {
    const kernel *k;
    const double *X; /* n x d */
    size_t n;
    const double *L;     /* Cholesky factor (lower, column-major) */
    const double *alpha; /* K^-1 y */
    double f_best;
    double *kstar; /* scratch n * GP_BATCH_MAX */
} posterior;

/* log of h(z) = z Phi(z) + phi(z), stable for very negative z */
static double log_h(double z) {
    if (z > -6.0) {
        double h = z * 0.5 * erfc(-z / M_SQRT2) + exp(-0.5 * z * z) / sqrt(2 * M_PI);
        return log(fmax(h, 1e-300));
    }
    double z2 = z * z; /* asymptotic: phi(z) / z^2 * (1 - 3/z^2 + 15/z^4) */
    return -0.5 * z2 - 0.5 * log(2 * M_PI) - log(z2) + log1p(-3.0 / z2 + 15.0 / (z2 * z2));
}

/*
 * log EI at m points (rows of pts, m x d) into out: the cross-covariances go
 * into a n x m block and one triangular solve (BLAS dtrsm) gives every
 * variance at once. Scratch: p->kstar of n * GP_BATCH_MAX.
 */
static void log_ei_batch(posterior *p, const double *pts, size_t m, double *out) {
    size_t n = p->n, d = p->k->d;
    for (size_t c0 = 0; c0 < m; c0 += GP_BATCH_MAX) {
        size_t mc = m - c0 < GP_BATCH_MAX ? m - c0 : GP_BATCH_MAX;
        for (size_t c = 0; c < mc; c++) {
            double *col = p->kstar + c * n, mean = 0;
            const double *x = pts + (c0 + c) * d;
            for (size_t i = 0; i < n; i++) {
                col[i] = matern52(p->k->scale, sq_dist(p->k, x, p->X + i * d));
                mean += col[i] * p->alpha[i];
            }
            out[c0 + c] = mean;
        }
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)mc, 1.0, p->L,
                    (int)n, p->kstar, (int)n);
        for (size_t c = 0; c < mc; c++) {
            const double *col = p->kstar + c * n;
            double vv = cblas_ddot((int)n, col, 1, col, 1);
            double sd = sqrt(fmax(p->k->scale - vv, 1e-12));
            out[c0 + c] = log(sd) + log_h((out[c0 + c] - p->f_best) / sd);
        }
    }
}

/* ---- one joint ask ---- */

typedef struct {
    size_t index; /* into ctx->trials */
    double y;     /* signed value (larger is better); the lie for RUNNING ones */
    int lie;
} gp_obs;

static int cmp_obs_best(const void *a, const void *b) {
    double ya = ((const gp_obs *)a)->y, yb = ((const gp_obs *)b)->y;
    return ya > yb ? -1 : ya < yb;
}
static int cmp_obs_index(const void *a, const void *b) {
    size_t ia = ((const gp_obs *)a)->index, ib = ((const gp_obs *)b)->index;
    return ia < ib ? -1 : ia > ib;
}

/* Keep at most `cap` observations: the best cap/2 and the most recent of the rest. In place; trial order kept. */
static size_t subsample(gp_obs *o, size_t n, size_t cap) {
    if (n <= cap) return n;
    qsort(o, n, sizeof *o, cmp_obs_best);
    size_t n_best = cap / 2;
    qsort(o + n_best, n - n_best, sizeof *o, cmp_obs_index);
    memmove(o + n_best, o + n - (cap - n_best), (cap - n_best) * sizeof *o);
    qsort(o, cap, sizeof *o, cmp_obs_index);
    return cap;
}

static void gp_log(const ol_gp_options *opt, int number, const char *reason) {
    if (!opt->log) return;
    char msg[256];
    snprintf(msg, sizeof msg, "gp: trial %d: %s; drawing this trial at random", number, reason);
    opt->log(opt->log_ctx, msg);
}

/*
 * Choose every parameter of `dims` for ctx's trial: out[j] = internal value
 * of dims[j]. *fallback = 1 (nothing chosen) when the model cannot be built;
 * `reason` says why.
 */
static ol_status gp_choose(const ol_gp_options *opt, const ol_sample_ctx *ctx, const gp_dim *dims, size_t d,
                           double *out, int *fallback, char *reason, size_t reason_n, ol_error *err) {
    *fallback = 0;
    ol_status rc = OL_OK;
    size_t nt = ctx->n_trials;
    gp_obs *obs = malloc((nt ? nt : 1) * sizeof *obs);
    double *X = NULL, *y = NULL, *L = NULL, *alpha = NULL, *kstar = NULL, *cand = NULL, *score = NULL;
    double *Xfit = NULL, *yfit = NULL;
    int *is_cat = calloc(d, sizeof *is_cat);
    double *ils = malloc(d * sizeof *ils);
    if (!obs || !is_cat || !ils) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < d; j++) is_cat[j] = dims[j].kind == DIM_CAT;
    double sign = ctx->maximize ? 1.0 : -1.0;
    size_t n = 0;
    double worst = INFINITY, sum = 0;
    size_t n_real = 0;
    for (size_t i = 0; i < nt; i++) {
        const ol_trial_rec *t = &ctx->trials[i];
        int lie = t->state == OL_TRIAL_RUNNING && t->number != ctx->trial_number && opt->constant_liar;
        if (!usable_complete(t) && !lie) continue;
        int has_all = 1;
        for (size_t j = 0; j < d && has_all; j++) {
            const ol_param_rec *q = ol_hpo_find_param(t, dims[j].name);
            has_all = q && !strcmp(q->distribution_json, dims[j].dist_json);
        }
        if (!has_all) continue;
        obs[n] = (gp_obs){.index = i, .y = lie ? 0 : sign * t->value, .lie = lie};
        if (!lie) {
            worst = fmin(worst, obs[n].y);
            sum += obs[n].y;
            n_real++;
        }
        n++;
    }
    double mean = sum / (double)n_real, var = 0;
    for (size_t i = 0; i < n; i++)
        if (!obs[i].lie) var += (obs[i].y - mean) * (obs[i].y - mean);
    double sd = sqrt(var / (double)n_real);
    if (!(sd > 1e-12 * fmax(1.0, fabs(mean))) || !isfinite(sd)) {
        snprintf(reason, reason_n, "all %zu observed values are equal, nothing to model", n_real);
        *fallback = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (obs[i].lie) obs[i].y = worst;
    n = subsample(obs, n, GP_POST_MAX);
    X = malloc(n * d * sizeof *X);
    y = malloc(n * sizeof *y);
    if (!X || !y) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    double f_best = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const ol_trial_rec *t = &ctx->trials[obs[i].index];
        for (size_t j = 0; j < d; j++) X[i * d + j] = encode(&dims[j], ol_hpo_find_param(t, dims[j].name)->value);
        y[i] = (obs[i].y - mean) / sd;
        if (!obs[i].lie) f_best = fmax(f_best, y[i]);
    }
    /* hyperparameters on at most GP_FIT_MAX observations */
    size_t nf = n < GP_FIT_MAX ? n : GP_FIT_MAX;
    if (nf < n) {
        gp_obs *fo = malloc(n * sizeof *fo);
        Xfit = malloc(nf * d * sizeof *Xfit);
        yfit = malloc(nf * sizeof *yfit);
        if (!fo || !Xfit || !yfit) {
            free(fo);
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++) fo[i] = (gp_obs){.index = i, .y = y[i]};
        subsample(fo, n, nf);
        for (size_t i = 0; i < nf; i++) {
            memcpy(Xfit + i * d, X + fo[i].index * d, d * sizeof *X);
            yfit[i] = fo[i].y;
        }
        free(fo);
    }
    kernel k = {.d = d, .is_cat = is_cat, .ils = ils};
    if (fit_hyperparameters(&k, Xfit ? Xfit : X, yfit ? yfit : y, nf)) {
        snprintf(reason, reason_n, "the kernel fit failed (Gram matrix not positive definite)");
        *fallback = 1;
        goto out;
    }
    L = malloc(n * n * sizeof *L);
    alpha = malloc(n * sizeof *alpha);
    kstar = malloc(n * GP_BATCH_MAX * sizeof *kstar);
    if (!L || !alpha || !kstar) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    if (chol_with_jitter(&k, X, n, L)) {
        snprintf(reason, reason_n, "the Gram matrix of %zu trials is not positive definite even with jitter", n);
        *fallback = 1;
        goto out;
    }
    {
        int nn = (int)n, one = 1, info = 0;
        memcpy(alpha, y, n * sizeof *alpha);
        dpotrs_("L", &nn, &one, L, &nn, alpha, &nn, &info);
        if (info) {
            snprintf(reason, reason_n, "the posterior solve failed (LAPACK dpotrs info %d)", info);
            *fallback = 1;
            goto out;
        }
    }
    posterior post = {.k = &k, .X = X, .n = n, .L = L, .alpha = alpha, .f_best = f_best, .kstar = kstar};

    /* random candidates, then pattern search from the best of them and from the best trial */
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "gp", ctx->trial_number, "");
    size_t n_rand = GP_N_RANDOM, n_cand = n_rand + 1;
    cand = malloc(n_cand * d * sizeof *cand);
    score = malloc(n_cand * sizeof *score);
    if (!cand || !score) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < n_rand; c++)
        for (size_t j = 0; j < d; j++) {
            const gp_dim *dm = &dims[j];
            cand[c * d + j] = dm->kind == DIM_CAT ? (double)ol_rng_below(&rng, dm->dist.n_choices)
                                                  : snap(dm, ol_rng_uniform(&rng));
        }
    size_t best_trial = 0;
    for (size_t i = 1; i < n; i++)
        if (!obs[i].lie && (obs[best_trial].lie || y[i] > y[best_trial])) best_trial = i;
    memcpy(cand + n_rand * d, X + best_trial * d, d * sizeof *X);
    log_ei_batch(&post, cand, n_cand, score);

    size_t starts[GP_N_STARTS + 1];
    size_t n_starts = 0;
    for (size_t s = 0; s < GP_N_STARTS && s < n_rand; s++) { /* the best few random ones, by selection */
        size_t arg = SIZE_MAX;
        for (size_t c = 0; c < n_rand; c++) {
            int taken = 0;
            for (size_t q = 0; q < n_starts; q++) taken |= starts[q] == c;
            if (!taken && (arg == SIZE_MAX || score[c] > score[arg])) arg = c;
        }
        starts[n_starts++] = arg;
    }
    starts[n_starts++] = n_rand;
    /*
     * Pattern search from every start at once: each round proposes, for every
     * start still moving, each single-coordinate move (continuous: +-h; grid:
     * +-h snapped, at least one cell; categorical: every other choice), scores
     * them in one batch and takes each start's best move if it improves; a
     * start with no improving move halves its h and stops below 1e-4.
     */
    size_t per_start = 0;
    for (size_t j = 0; j < d; j++) per_start += dims[j].kind == DIM_CAT ? dims[j].dist.n_choices - 1 : 2;
    double *xs = malloc(n_starts * d * sizeof *xs), *fs = malloc(n_starts * sizeof *fs), *hs = malloc(n_starts * sizeof *hs);
    double *moves = malloc(n_starts * per_start * d * sizeof *moves);
    double *mscore = malloc(n_starts * per_start * sizeof *mscore);
    size_t *owner = malloc(n_starts * per_start * sizeof *owner);
    if (!xs || !fs || !hs || !moves || !mscore || !owner) {
        free(xs), free(fs), free(hs), free(moves), free(mscore), free(owner);
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < n_starts; s++) {
        memcpy(xs + s * d, cand + starts[s] * d, d * sizeof *xs);
        fs[s] = score[starts[s]];
        hs[s] = 0.1;
    }
    for (int round = 0; round < 30; round++) {
        size_t nm = 0;
        for (size_t s = 0; s < n_starts; s++) {
            if (hs[s] < 1e-3) continue;
            const double *xc = xs + s * d;
            for (size_t j = 0; j < d; j++) {
                const gp_dim *dm = &dims[j];
                double orig = xc[j];
                size_t n_alt = dm->kind == DIM_CAT ? dm->dist.n_choices : 2;
                for (size_t a = 0; a < n_alt; a++) {
                    double v;
                    if (dm->kind == DIM_CAT) {
                        if ((double)a == orig) continue;
                        v = (double)a;
                    } else {
                        double dir = a == 0 ? -1.0 : 1.0;
                        v = dm->kind == DIM_GRID ? snap(dm, orig + dir * hs[s]) : fmin(fmax(orig + dir * hs[s], 0), 1);
                        if (dm->kind == DIM_GRID && v == orig) { /* at least one grid cell */
                            double iv = decode(dm, orig) + dir * (dm->dist.log ? 1.0 : dm->dist.step);
                            if (iv >= dm->dist.low && iv <= dm->dist.high) v = encode(dm, iv);
                        }
                        if (v == orig) continue;
                    }
                    memcpy(moves + nm * d, xc, d * sizeof *moves);
                    moves[nm * d + j] = v;
                    owner[nm++] = s;
                }
            }
        }
        if (nm == 0) break;
        log_ei_batch(&post, moves, nm, mscore);
        for (size_t s = 0; s < n_starts; s++) {
            if (hs[s] < 1e-3) continue;
            size_t arg = SIZE_MAX;
            for (size_t q = 0; q < nm; q++)
                if (owner[q] == s && mscore[q] > fs[s] && (arg == SIZE_MAX || mscore[q] > mscore[arg])) arg = q;
            if (arg == SIZE_MAX) hs[s] *= 0.5;
            else {
                memcpy(xs + s * d, moves + arg * d, d * sizeof *xs);
                fs[s] = mscore[arg];
            }
        }
    }
    size_t win = 0;
    for (size_t s = 1; s < n_starts; s++)
        if (fs[s] > fs[win]) win = s;
    for (size_t j = 0; j < d; j++) out[j] = decode(&dims[j], xs[win * d + j]);
    free(xs), free(fs), free(hs), free(moves), free(mscore), free(owner);
out:
    free(obs);
    free(X);
    free(y);
    free(Xfit);
    free(yfit);
    free(L);
    free(alpha);
    free(kstar);
    free(cand);
    free(score);
    free(is_cat);
    free(ils);
    return rc;
}

/* ---- the sampler ---- */

static ol_status gp_sample(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err) {
    gp_state *st = self->state;
    size_t n_complete = 0;
    for (size_t i = 0; i < ctx->n_trials; i++) n_complete += usable_complete(&ctx->trials[i]);
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "gp", ctx->trial_number, ctx->param_name);
    *internal = ol_hpo_random_internal(ctx->dist, &rng); /* the draw for start-up and fallback */
    if ((int)n_complete < st->opt.n_startup_trials) return OL_OK;

    uint64_t key = ol_hpo_history_key(ctx);
    double v;
    int r = ol_hpo_joint_cache_get(&st->cache, key, ctx->param_name, &v);
    if (r == 1) {
        if (ol_distribution_contains(ctx->dist, v)) *internal = v;
        return OL_OK;
    }
    if (r == 0) return OL_OK; /* this parameter is outside the joint space (or the ask fell back): random */

    gp_dim *dims;
    size_t d;
    ol_status rc = joint_space(ctx, &dims, &d, err);
    if (rc) return rc;
    double *vals = malloc((d ? d : 1) * sizeof *vals);
    const char **names = malloc((d ? d : 1) * sizeof *names);
    if (!vals || !names) {
        free(vals);
        free(names);
        dims_free(dims, d);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    int fallback = 0;
    char reason[200] = "";
    if (d > 0) rc = gp_choose(&st->opt, ctx, dims, d, vals, &fallback, reason, sizeof reason, err);
    if (!rc && fallback) gp_log(&st->opt, ctx->trial_number, reason);
    if (!rc) {
        for (size_t j = 0; j < d; j++) names[j] = dims[j].name;
        size_t keep = fallback ? 0 : d;
        ol_hpo_joint_cache_put(&st->cache, key, names, vals, keep);
        for (size_t j = 0; j < keep; j++)
            if (!strcmp(names[j], ctx->param_name) && ol_distribution_contains(ctx->dist, vals[j])) *internal = vals[j];
    }
    free(vals);
    free(names);
    dims_free(dims, d);
    return rc;
}

static void gp_destroy(ol_sampler *s) {
    gp_state *st = s->state;
    ol_hpo_joint_cache_destroy(&st->cache);
    free(st);
    free(s);
}

ol_gp_options ol_gp_defaults(void) {
    return (ol_gp_options){.n_startup_trials = 10, .constant_liar = 1, .log = NULL, .log_ctx = NULL};
}

ol_status ol_sampler_gp_new(ol_sampler **out, const ol_gp_options *opt, ol_error *err) {
    *out = NULL;
    ol_gp_options o = opt ? *opt : ol_gp_defaults();
    if (o.n_startup_trials < 1)
        return ol_fail(err, OL_EINVAL, "GP: n_startup_trials must be >= 1, got %d", o.n_startup_trials);
    ol_sampler *s = calloc(1, sizeof *s);
    gp_state *st = calloc(1, sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    st->opt = o;
    ol_hpo_joint_cache_init(&st->cache);
    s->name = "gp";
    s->sample = gp_sample;
    s->destroy = gp_destroy;
    s->state = st;
    *out = s;
    return OL_OK;
}

void ol_sampler_gp_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx) {
    if (!s || !s->name || strcmp(s->name, "gp")) return;
    gp_state *st = s->state;
    st->opt.log = log;
    st->opt.log_ctx = log_ctx;
}
