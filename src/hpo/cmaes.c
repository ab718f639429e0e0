/*
 * cmaes.c — the CMA-ES sampler: the covariance matrix adaptation evolution
 * strategy of N. Hansen, "The CMA Evolution Strategy: A Tutorial"
 * (arXiv:1604.00772, 2016; equation numbers below are that paper's), with
 * IPOP restarts (Auger & Hansen, CEC 2005), in the manner of Optuna's
 * CmaEsSampler. Eigendecompositions by LAPACK (OpenBLAS's dsyev).
 *
 * Search space: the float and int parameters (not single-valued) that every
 * COMPLETE trial holds with the same distribution (Optuna's intersection
 * space), sorted by name, mapped to the unit cube: (x - low) / (high - low),
 * in log space where the distribution is log; ints and stepped floats widen
 * the range by half a step each side (every grid point owns an equal cell)
 * and a sample is rounded to the grid. Categorical and conditional
 * parameters, the start-up (fewer than n_startup_trials COMPLETE trials) and
 * a space with one parameter go to the independent sampler (random, or TPE),
 * as Optuna does; the one-parameter case is logged.
 *
 * State kept in the storage, nowhere else. Each trial CMA-ES samples is
 * tagged with two system attributes, optlab:cma:restart and
 * optlab:cma:generation, the (restart, generation) whose distribution drew
 * it. An ask recomputes the state from the initial one by replaying the
 * history: generation g of restart r is told (equations 41-47) once
 * lambda_r trials tagged (r, g) are COMPLETE, and the lambda_r told are the
 * first to complete (by datetime_complete, then trial number): an order that
 * later trials cannot change, so every worker and every resumed process
 * computes the same state from what it reads, and nothing but the tags is
 * written. Trials of a generation already told (stragglers of parallel
 * workers, as in Optuna) are not used. FAIL trials never complete their
 * generation (its trials keep being drawn from it); PRUNED trials are left out
 * (Optuna's default consider_pruned_trials=False); a COMPLETE trial with an
 * infinite value ranks last.
 *
 * Restarts (restart_ipop): after a generation is told, if a termination
 * criterion of the tutorial's appendix B.3 holds, restart r+1 begins with
 * lambda_{r+1} = inc_popsize * lambda_r, sigma0, C = I and a mean drawn
 * uniformly in the cube (stream "cmaes/restart/<r>"). Criteria: TolFun (best
 * and worst values of the last 10 + ceil(30 n / lambda) generations within
 * 1e-12), TolX (sigma sqrt(C_ii) and sigma p_c,i below 1e-12 sigma0 in every
 * coordinate), TolXUp (sigma max(D) > 1e4), NoEffectCoord (adding
 * 0.2 sigma sqrt(C_ii) to a coordinate of m changes nothing), NoEffectAxis
 * (adding 0.1 sigma d_i b_i, i = g mod n, changes nothing),
 * ConditionCov (cond(C) > 1e14).
 *
 * Sampling (38-40): z ~ N(0, I) from the stream (study seed, "cmaes", trial
 * number), y = B D z, x = m + sigma y; outside the cube it is redrawn up to
 * 10 n times, then clipped (Optuna's n_max_resampling). What is told for a
 * trial is its stored parameters mapped back to the cube, so the grid
 * rounding is what CMA-ES learns from.
 *
 * with_margin (CMA-ES with Margin, Hamano et al., GECCO 2022; es_margin below): after each told
 * generation the mean and a per-coordinate scale A of every int / stepped-float coordinate are
 * corrected so that the marginal probability of a value other than the mean's stays >= 1/(n lambda).
 * A trial's grid values are read from m + A (x - m), and the point x itself, which the update is
 * told instead of the stored values, is kept in a third attribute, optlab:cma:x.
 *
 * Warm start (source studies, WS-CMA-ES, Nomura et al., AAAI 2021; prior_from_source below): the
 * first mean, step size and covariance of every run (restarts too, as in Optuna) are estimated from
 * the best 10 % of a source study's COMPLETE trials on the same space, with the prior alpha = 0.1.
 *
 * All parameters of a trial are chosen at its first suggest and cached
 * (joint_cache.c), as the GP sampler does. A sampler object also keeps a memo
 * of the generations it has told (cm_memo), so a long study's ask tells only
 * the new ones; a fresh process replays them all, to the same state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hpo_internal.h"

/* OpenBLAS's LAPACK (Fortran interface): symmetric eigendecomposition. */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);
/* and the Cholesky factorisation, for the warm start's determinant */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define CM_EPS 1e-8
#define CM_TOLFUN 1e-12
#define CM_TOLX_FACTOR 1e-12
#define CM_TOLXUP 1e4
#define CM_TOLCOND 1e14
#define CM_SIGMA_MAX 1e32

typedef struct {
    const char *name, *dist_json; /* borrowed from the history */
    size_t json_len, pos;         /* strlen(dist_json); index in the first COMPLETE trial's parameters */
    ol_distribution dist;
    int grid;
    long K;        /* grid values (grid dimensions only) */
    double lo, hi; /* transformed bounds (log applied), widened by half a step for grids */
} cm_dim;

/* One CMA-ES run (a restart): its parameters (48-58) and its state. */
typedef struct {
    size_t n;
    int lambda, mu;
    double *w; /* lambda recombination weights, (49)-(53) */
    double mueff, cc, cs, ds, c1, cmu, chin;
    double *m, *ps, *pc;
    double *C, *B, *D; /* C = B diag(D^2) B^T; n x n column-major */
    double *A;         /* with_margin: the margin's scaling of each grid coordinate (1 elsewhere) */
    double sigma, sigma0;
    int g;
    int funhist_term;
    double *funhist; /* best and worst value of the last funhist_term generations */
    double *work;    /* scratch */
} cm_es;

/*
 * The replay's memo: the generations told by the last replay (a digest of each one's trials and the
 * (restart, generation, lambda) that followed it) and the state after the last. A replay whose
 * generations begin with the same digests starts from that state instead of telling them again, so
 * a long study's ask costs the new generations only. Its result is the same either way.
 */
typedef struct {
    int valid;
    uint64_t space_key;
    size_t n_gens, cap;
    uint64_t *digest;
    int *after; /* 3 per generation: restart, generation, lambda after it was told */
    cm_es es;   /* the state after the last */
    int restart;
} cm_memo;

/* A source task's warm-start distribution (WS-CMA-ES): its space (sorted by name), and the mean,
 * step size and covariance (det C = 1) estimated from its best trials, on the unit cube. */
typedef struct {
    char *study;
    size_t n, n_complete, n_top;
    char **names;
    ol_distribution *dists;
    double *mean, *C, sigma;
} cm_prior;

typedef struct {
    ol_cmaes_options opt;
    cm_prior *priors;
    size_t n_priors;
    char *x0_json; /* owned copy of opt.x0_json */
    ol_sampler *independent;
    ol_hpo_joint_cache cache;
    pthread_mutex_t memo_lock;
    cm_memo memo;
} cmaes_state;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* ---- the space ---- */

static int usable_complete(const ol_trial_rec *t) {
    return t->state == OL_TRIAL_COMPLETE && t->has_value && !isnan(t->value);
}

/* ol_hpo_find_param, trying index `hint` first: trials of one study usually hold their parameters in the
 * same order, so a long history is searched with one comparison per parameter. */
static const ol_param_rec *find_param_at(const ol_trial_rec *t, const char *name, size_t hint) {
    if (hint < t->n_params && !strcmp(t->params[hint].name, name)) return &t->params[hint];
    return ol_hpo_find_param(t, name);
}

/* Does t hold `name` with exactly this distribution JSON? (the lengths first: most differences show there) */
static const ol_param_rec *find_same(const ol_trial_rec *t, const char *name, const char *json, size_t json_len,
                                     size_t hint) {
    const ol_param_rec *q = find_param_at(t, name, hint);
    if (!q || strncmp(q->distribution_json, json, json_len + 1)) return NULL;
    return q;
}

static int cmp_dim(const void *a, const void *b) { return strcmp(((const cm_dim *)a)->name, ((const cm_dim *)b)->name); }

static void dims_free(cm_dim *dims, size_t n) {
    for (size_t i = 0; dims && i < n; i++) ol_distribution_free(&dims[i].dist);
    free(dims);
}

/* The float/int parameters every COMPLETE trial holds with one distribution, sorted by name. */
static ol_status cm_space(const ol_sample_ctx *ctx, cm_dim **out, size_t *n_out, ol_error *err) {
    *out = NULL;
    *n_out = 0;
    const ol_param_rec **shared = NULL;
    const ol_trial_rec *first = NULL;
    size_t n_shared = 0;
    ol_status rc = ol_hpo_intersection_space(ctx, usable_complete, &shared, &n_shared, &first, err);
    if (rc || !n_shared) return rc;
    cm_dim *dims = calloc(n_shared, sizeof *dims);
    if (!dims) {
        free(shared);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t s = 0; s < n_shared; s++) {
        const ol_param_rec *p = shared[s];
        size_t len = strlen(p->distribution_json);
        cm_dim *d = &dims[n];
        ol_error perr = {0};
        if (ol_distribution_from_json(&d->dist, p->distribution_json, &perr)) continue;
        const ol_distribution *ds = &d->dist;
        if (ds->kind == OL_DIST_CATEGORICAL || !(ds->high > ds->low)) { /* the independent sampler's */
            ol_distribution_free(&d->dist);
            continue;
        }
        d->name = p->name;
        d->dist_json = p->distribution_json;
        d->json_len = len;
        d->pos = (size_t)(p - first->params);
        d->grid = ds->kind == OL_DIST_INT || ds->step > 0;
        if (d->grid) d->K = ds->log ? (long)(ds->high - ds->low) + 1 : (long)floor((ds->high - ds->low) / ds->step + 0.5) + 1;
        double half = d->grid ? 0.5 * ds->step : 0;
        d->lo = ds->low - half;
        d->hi = ds->high + half;
        if (ds->log) {
            d->lo = log(ds->kind == OL_DIST_INT ? ds->low - 0.5 : ds->low);
            d->hi = log(ds->kind == OL_DIST_INT ? ds->high + 0.5 : ds->high);
        }
        n++;
    }
    free(shared);
    qsort(dims, n, sizeof *dims, cmp_dim);
    *out = dims;
    *n_out = n;
    return OL_OK;
}

/* internal value -> unit cube */
static double encode(const cm_dim *d, double v) {
    double t = d->dist.log ? log(v) : v;
    return (t - d->lo) / (d->hi - d->lo);
}

/* unit cube -> internal value on the distribution's grid */
static double decode(const cm_dim *d, double u) {
    double t = d->lo + fmin(fmax(u, 0), 1) * (d->hi - d->lo);
    double v = d->dist.log ? exp(t) : t;
    if (d->grid) v = d->dist.log ? round(v) : ol_hpo_round_to_grid(&d->dist, v); /* log grids: int, step 1 */
    return fmin(fmax(v, d->dist.low), d->dist.high);
}

/*
 * A grid dimension's cells on the cube. Value k (0..K-1) owns the cell between boundaries k and
 * k+1: j / K on a linear grid (every value an equal cell, as the widened range gives), and on a
 * log int grid the cube point of the external value low + j - 0.5 (where decode's rounding
 * changes its answer). The margin's thresholds are these boundaries.
 */
static double grid_bound(const cm_dim *d, long j) {
    if (!d->dist.log) return (double)j / (double)d->K;
    return (log(d->dist.low + (double)j - 0.5) - d->lo) / (d->hi - d->lo);
}

/* the cell (grid value index) a cube point falls in */
static long grid_cell(const cm_dim *d, double u) {
    long k;
    if (!d->dist.log) {
        double c = floor(u * (double)d->K);
        k = c < 0 ? 0 : c >= (double)d->K ? d->K - 1 : (long)c;
    } else {
        double v = floor(exp(d->lo + fmin(fmax(u, -1), 2) * (d->hi - d->lo)) + 0.5) - d->dist.low;
        k = v < 0 ? 0 : v >= (double)d->K ? d->K - 1 : (long)v;
    }
    return k;
}

/* internal value of cell k */
static double grid_value(const cm_dim *d, long k) {
    double v = d->dist.log ? d->dist.low + (double)k : ol_hpo_round_to_grid(&d->dist, d->dist.low + (double)k * d->dist.step);
    return fmin(fmax(v, d->dist.low), d->dist.high);
}

/* the standard normal's CDF and its inverse (bisection to the last bit: called a few times per told generation) */
static double norm_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }
static double norm_ppf(double p) {
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        if (norm_cdf(mid) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- one CMA-ES run ---- */

static void es_free(cm_es *es) {
    free(es->w);
    free(es->m);
    free(es->ps);
    free(es->pc);
    free(es->C);
    free(es->B);
    free(es->D);
    free(es->A);
    free(es->funhist);
    free(es->work);
    memset(es, 0, sizeof *es);
}

/* A deep copy of src into dst (freed first). 0 on success. */
static int es_copy(cm_es *dst, const cm_es *src) {
    es_free(dst);
    size_t n = src->n, lam = (size_t)src->lambda;
    *dst = *src;
    dst->w = malloc(lam * sizeof *dst->w);
    dst->m = malloc(n * sizeof *dst->m);
    dst->ps = malloc(n * sizeof *dst->ps);
    dst->pc = malloc(n * sizeof *dst->pc);
    dst->C = malloc(n * n * sizeof *dst->C);
    dst->B = malloc(n * n * sizeof *dst->B);
    dst->D = malloc(n * sizeof *dst->D);
    dst->A = malloc(n * sizeof *dst->A);
    dst->funhist = malloc(2 * (size_t)src->funhist_term * sizeof *dst->funhist);
    dst->work = malloc((n * n + 3 * n + lam * (n + 2)) * sizeof *dst->work);
    if (!dst->w || !dst->m || !dst->ps || !dst->pc || !dst->C || !dst->B || !dst->D || !dst->A || !dst->funhist ||
        !dst->work) {
        es_free(dst);
        return -1;
    }
    memcpy(dst->w, src->w, lam * sizeof *dst->w);
    memcpy(dst->m, src->m, n * sizeof *dst->m);
    memcpy(dst->ps, src->ps, n * sizeof *dst->ps);
    memcpy(dst->pc, src->pc, n * sizeof *dst->pc);
    memcpy(dst->C, src->C, n * n * sizeof *dst->C);
    memcpy(dst->B, src->B, n * n * sizeof *dst->B);
    memcpy(dst->D, src->D, n * sizeof *dst->D);
    memcpy(dst->A, src->A, n * sizeof *dst->A);
    memcpy(dst->funhist, src->funhist, 2 * (size_t)src->funhist_term * sizeof *dst->funhist);
    return 0;
}

/* C -> B, D (C = B diag(D^2) B^T) by LAPACK's dsyev; negative eigenvalues (round-off) become CM_EPS,
 * and C is rebuilt from them so it stays exactly symmetric positive definite. 0 on success. */
static int es_eigen(cm_es *es) {
    size_t n = es->n;
    int nn = (int)n, info = 0, lwork = (int)(n * n + 3 * n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) es->B[j * n + i] = 0.5 * (es->C[j * n + i] + es->C[i * n + j]);
    dsyev_("V", "L", &nn, es->B, &nn, es->D, es->work, &lwork, &info);
    if (info) return -1;
    for (size_t i = 0; i < n; i++) es->D[i] = sqrt(es->D[i] > 0 ? es->D[i] : CM_EPS);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++) s += es->B[k * n + i] * es->D[k] * es->D[k] * es->B[k * n + j];
            es->C[j * n + i] = es->C[i * n + j] = s;
        }
    return 0;
}

/* A fresh run in n dimensions: population lambda, mean m0, step size sigma0, C = C0 (NULL: I). 0 on success. */
static int es_init(cm_es *es, size_t n, int lambda, const double *m0, double sigma0, const double *C0) {
    memset(es, 0, sizeof *es);
    es->n = n;
    es->lambda = lambda;
    es->mu = lambda / 2;
    es->w = malloc((size_t)lambda * sizeof *es->w);
    es->m = malloc(n * sizeof *es->m);
    es->ps = calloc(n, sizeof *es->ps);
    es->pc = calloc(n, sizeof *es->pc);
    es->C = calloc(n * n, sizeof *es->C);
    es->B = calloc(n * n, sizeof *es->B);
    es->D = malloc(n * sizeof *es->D);
    es->A = malloc(n * sizeof *es->A);
    es->funhist_term = 10 + (int)ceil(30.0 * (double)n / lambda);
    es->funhist = malloc(2 * (size_t)es->funhist_term * sizeof *es->funhist);
    es->work = malloc((n * n + 3 * n + (size_t)lambda * (n + 2)) * sizeof *es->work);
    if (!es->w || !es->m || !es->ps || !es->pc || !es->C || !es->B || !es->D || !es->A || !es->funhist || !es->work)
        return -1;
    memcpy(es->m, m0, n * sizeof *m0);
    for (size_t i = 0; i < n; i++) es->C[i * n + i] = es->B[i * n + i] = es->D[i] = es->A[i] = 1;
    if (C0) {
        memcpy(es->C, C0, n * n * sizeof *C0);
        if (es_eigen(es)) return -1;
    }
    es->sigma = es->sigma0 = sigma0;
    double dn = (double)n;
    /* (49) raw weights; mueff of the positive and of the negative ones */
    double sp = 0, sp2 = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < lambda; i++) {
        double wp = log((lambda + 1) / 2.0) - log(i + 1.0);
        es->w[i] = wp;
        if (i < es->mu) sp += wp, sp2 += wp * wp;
        else sn += wp, sn2 += wp * wp;
    }
    es->mueff = sp * sp / sp2;
    double mueff_minus = sn2 > 0 ? sn * sn / sn2 : 0;
    double alpha_cov = 2;
    es->c1 = alpha_cov / ((dn + 1.3) * (dn + 1.3) + es->mueff);                                     /* (57) */
    es->cmu = fmin(1 - es->c1 - 1e-8,                                                               /* (58) */
                   alpha_cov * (es->mueff - 2 + 1 / es->mueff) / ((dn + 2) * (dn + 2) + alpha_cov * es->mueff / 2));
    /* (50) alpha_mu^-, (51) alpha_mueff^-, (52) alpha_posdef^-; (53) the normalisation */
    double alpha_minus = fmin(1 + es->c1 / es->cmu, fmin(1 + 2 * mueff_minus / (es->mueff + 2),
                                                         (1 - es->c1 - es->cmu) / (dn * es->cmu)));
    double pos = 0, neg = 0;
    for (int i = 0; i < lambda; i++) {
        if (es->w[i] >= 0) pos += es->w[i];
        else neg -= es->w[i];
    }
    for (int i = 0; i < lambda; i++) es->w[i] = es->w[i] >= 0 ? es->w[i] / pos : alpha_minus * es->w[i] / neg;
    es->cs = (es->mueff + 2) / (dn + es->mueff + 5);                                       /* (55) */
    es->ds = 1 + 2 * fmax(0, sqrt((es->mueff - 1) / (dn + 1)) - 1) + es->cs;               /* (55) */
    es->cc = (4 + es->mueff / dn) / (dn + 4 + 2 * es->mueff / dn);                         /* (56) */
    es->chin = sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));                         /* E||N(0,I)||, p. 28 */
    return 0;
}

/* qsort_r's comparison: indices into f by value; ties keep completion order */
static int cmp_rank(const void *a, const void *b, void *fv) {
    const double *f = fv;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (f[i] != f[j]) return f[i] < f[j] ? -1 : 1;
    return (i > j) - (i < j);
}

/*
 * Tell one generation: X holds lambda points (row-major, n each, in completion order), f their
 * values (smaller is better). Updates m, p_sigma, sigma, p_c, C (41)-(47) and B, D. 0 on success.
 */
static int es_tell(cm_es *es, const double *X, const double *f) {
    size_t n = es->n, lam = (size_t)es->lambda;
    size_t *idx = malloc(lam * sizeof *idx);
    double *Y = malloc(lam * n * sizeof *Y), *yw = calloc(n, sizeof *yw), *Cy = malloc(n * sizeof *Cy);
    double *tmp = malloc(n * sizeof *tmp), *wo = malloc(lam * sizeof *wo);
    int rc = -1;
    if (!idx || !Y || !yw || !Cy || !tmp || !wo) goto out;
    for (size_t i = 0; i < lam; i++) idx[i] = i;
    qsort_r(idx, lam, sizeof *idx, cmp_rank, (void *)f);
    int slot = es->g % es->funhist_term;
    es->funhist[2 * slot] = f[idx[0]];
    es->funhist[2 * slot + 1] = f[idx[lam - 1]];
    /* y_i = (x_i:lambda - m) / sigma, and (41) y_w = sum_{i<=mu} w_i y_i:lambda */
    for (size_t k = 0; k < lam; k++)
        for (size_t j = 0; j < n; j++) Y[k * n + j] = (X[idx[k] * n + j] - es->m[j]) / es->sigma;
    for (int k = 0; k < es->mu; k++)
        for (size_t j = 0; j < n; j++) yw[j] += es->w[k] * Y[(size_t)k * n + j];
    /* (42) m <- m + c_m sigma y_w, c_m = 1 (54) */
    for (size_t j = 0; j < n; j++) es->m[j] += es->sigma * yw[j];
    /* C^-1/2 v = B D^-1 B^T v */
#define INVSQRT(v, out)                                                                                                \
    do {                                                                                                               \
        for (size_t a = 0; a < n; a++) {                                                                               \
            double s = 0;                                                                                              \
            for (size_t b = 0; b < n; b++) s += es->B[a * n + b] * (v)[b];                                             \
            tmp[a] = s / es->D[a];                                                                                     \
        }                                                                                                              \
        for (size_t b = 0; b < n; b++) {                                                                               \
            double s = 0;                                                                                              \
            for (size_t a = 0; a < n; a++) s += es->B[a * n + b] * tmp[a];                                             \
            (out)[b] = s;                                                                                              \
        }                                                                                                              \
    } while (0)
    /* (43) p_sigma */
    INVSQRT(yw, Cy);
    double k_s = sqrt(es->cs * (2 - es->cs) * es->mueff), nps = 0;
    for (size_t j = 0; j < n; j++) {
        es->ps[j] = (1 - es->cs) * es->ps[j] + k_s * Cy[j];
        nps += es->ps[j] * es->ps[j];
    }
    nps = sqrt(nps);
    /* (44) sigma */
    es->sigma *= exp((es->cs / es->ds) * (nps / es->chin - 1));
    if (es->sigma > CM_SIGMA_MAX) es->sigma = CM_SIGMA_MAX;
    /* h_sigma (p. 28, below (45)) and (45) p_c */
    double dn = (double)n;
    int hsig = nps / sqrt(1 - pow(1 - es->cs, 2.0 * (es->g + 1))) < (1.4 + 2 / (dn + 1)) * es->chin;
    double k_c = sqrt(es->cc * (2 - es->cc) * es->mueff);
    for (size_t j = 0; j < n; j++) es->pc[j] = (1 - es->cc) * es->pc[j] + (hsig ? k_c * yw[j] : 0);
    /* (46) w_i° = w_i for w_i >= 0, else w_i n / ||C^-1/2 y_i||^2 */
    double wsum = 0;
    for (size_t k = 0; k < lam; k++) {
        wsum += es->w[k];
        if (es->w[k] >= 0) {
            wo[k] = es->w[k];
            continue;
        }
        INVSQRT(Y + k * n, Cy);
        double q = 0;
        for (size_t j = 0; j < n; j++) q += Cy[j] * Cy[j];
        wo[k] = es->w[k] * dn / (q + CM_EPS);
    }
#undef INVSQRT
    /* (47) C <- (1 + c1 delta(h_sigma) - c1 - c_mu sum w_j) C + c1 p_c p_c^T + c_mu sum w_i° y_i y_i^T,
     * delta(h_sigma) = (1 - h_sigma) c_c (2 - c_c) (p. 28) */
    double delta = (1 - hsig) * es->cc * (2 - es->cc);
    double keep = 1 + es->c1 * delta - es->c1 - es->cmu * wsum;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b <= a; b++) {
            double r = 0;
            for (size_t k = 0; k < lam; k++) r += wo[k] * Y[k * n + a] * Y[k * n + b];
            double v = keep * es->C[b * n + a] + es->c1 * es->pc[a] * es->pc[b] + es->cmu * r;
            es->C[b * n + a] = es->C[a * n + b] = v;
        }
    es->g++;
    rc = es_eigen(es);
out:
    free(idx);
    free(Y);
    free(yw);
    free(Cy);
    free(tmp);
    free(wo);
    return rc;
}

/* The termination criteria of the file comment (tutorial appendix B.3). Returns the name of the one that
 * holds, or NULL. */
static const char *es_should_stop(const cm_es *es) {
    size_t n = es->n;
    if (es->g > es->funhist_term) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < 2 * es->funhist_term; i++) lo = fmin(lo, es->funhist[i]), hi = fmax(hi, es->funhist[i]);
        if (hi - lo < CM_TOLFUN) return "tolfun";
    }
    double tolx = CM_TOLX_FACTOR * es->sigma0;
    int small = 1;
    for (size_t i = 0; i < n && small; i++)
        small = es->sigma * sqrt(es->C[i * n + i]) < tolx && es->sigma * fabs(es->pc[i]) < tolx;
    if (small) return "tolx";
    double dmax = 0, dmin = INFINITY;
    for (size_t i = 0; i < n; i++) dmax = fmax(dmax, es->D[i]), dmin = fmin(dmin, es->D[i]);
    if (es->sigma * dmax > CM_TOLXUP) return "tolxup";
    for (size_t i = 0; i < n; i++)
        if (es->m[i] == es->m[i] + 0.2 * es->sigma * sqrt(es->C[i * n + i])) return "noeffectcoord";
    size_t ax = (size_t)es->g % n;
    int none = 1;
    for (size_t i = 0; i < n && none; i++)
        none = es->m[i] == es->m[i] + 0.1 * es->sigma * es->D[ax] * es->B[ax * n + i];
    if (none) return "noeffectaxis";
    if (dmax / dmin > sqrt(CM_TOLCOND)) return "conditioncov"; /* D holds square roots of C's eigenvalues */
    return NULL;
}

/*
 * The margin (CMA-ES with Margin: R. Hamano, S. Saito, M. Nomura, S. Shirakawa, GECCO 2022,
 * arXiv:2205.13482), after each told generation, on every grid coordinate j. A trial's value on j
 * is the cell of m_j + A_j (x_j - m_j), so its marginal is N(m_j, (sigma A_j)^2 C_jj). Let k be the
 * cell of m_j and alpha = 1 / (n lambda):
 *  - k at either end of the grid (one boundary b next to it): if the probability of crossing b is
 *    below alpha, m_j moves towards b until it is exactly alpha;
 *  - k inside: the probabilities p_lo of falling below its lower boundary and p_up above its
 *    upper one are raised to at least alpha / 2 each (what is added is taken back from the three
 *    in proportion to their excess over alpha / 2), and m_j and A_j are solved so that the
 *    marginal gives exactly those two (sigma and C are left alone).
 * So the chance of a value other than the mean's never collapses below alpha; ints cannot freeze.
 */
static void es_margin(cm_es *es, const cm_dim *dims) {
    size_t n = es->n;
    double alpha = 1.0 / ((double)n * es->lambda);
    for (size_t j = 0; j < n; j++) {
        const cm_dim *d = &dims[j];
        if (!d->grid) continue;
        double cjj = sqrt(es->C[j * n + j]), s = es->sigma * es->A[j] * cjj, m = es->m[j];
        long k = grid_cell(d, m);
        if (k == 0 || k == d->K - 1) {
            double b = grid_bound(d, k == 0 ? 1 : d->K - 1), dir = k == 0 ? -1 : 1;
            double cross = norm_cdf(-fabs(b - m) / s);
            if (cross < alpha) es->m[j] = b + dir * s * norm_ppf(1 - alpha);
            continue;
        }
        double lo = grid_bound(d, k), up = grid_bound(d, k + 1);
        double p_lo = norm_cdf((lo - m) / s), p_up = 1 - norm_cdf((up - m) / s), mid = 1 - p_lo - p_up;
        double h = alpha / 2, q_lo = fmax(p_lo, h), q_up = fmax(p_up, h);
        double excess = 1 - q_lo - q_up - mid, rest = q_lo + mid + q_up - 3 * h;
        double r_lo = q_lo + excess * (q_lo - h) / rest, r_up = q_up + excess * (q_up - h) / rest;
        r_lo = fmin(fmax(r_lo, 1e-10), 0.5 - 1e-10);
        r_up = fmin(fmax(r_up, 1e-10), 0.5 - 1e-10);
        double z_lo = norm_ppf(1 - r_lo), z_up = norm_ppf(1 - r_up); /* boundary distances in marginal sds */
        es->A[j] = (up - lo) / ((z_lo + z_up) * es->sigma * cjj);
        es->m[j] = (lo * z_up + up * z_lo) / (z_lo + z_up);
    }
}

/* ---- replay and one ask ---- */

typedef struct {
    int restart, generation, number;
    double t_complete, f;
    const ol_trial_rec *trial;
    const double *x; /* with_margin: the point drawn (its optlab:cma:x), else NULL */
} cm_told;

static int cmp_told(const void *a, const void *b) {
    const cm_told *x = a, *y = b;
    if (x->restart != y->restart) return x->restart < y->restart ? -1 : 1;
    if (x->generation != y->generation) return x->generation < y->generation ? -1 : 1;
    if (x->t_complete != y->t_complete) return x->t_complete < y->t_complete ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* An integer system attribute, or -1. */
static int int_attr(const ol_trial_rec *t, const char *key) {
    const char *v = ol_attr_find(t->system_attrs, t->n_system_attrs, key);
    if (!v) return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return (*end || end == v || x < 0 || x > 1000000000) ? -1 : (int)x;
}

static int default_popsize(size_t n) { return 4 + (int)floor(3 * log((double)n)); }

/* A trial's optlab:cma:x: n finite numbers into x. 0 on success, -1 if absent or not n numbers. */
static int x_attr(const ol_trial_rec *t, size_t n, double *x) {
    const char *v = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_CMAES_ATTR_X);
    if (!v) return -1;
    while (*v == ' ') v++;
    if (*v++ != '[') return -1;
    for (size_t j = 0; j < n; j++) {
        char *end;
        x[j] = strtod(v, &end);
        if (end == v || !isfinite(x[j])) return -1;
        v = end;
        while (*v == ' ') v++;
        if (*v++ != (j + 1 < n ? ',' : ']')) return -1;
    }
    return 0;
}

/* The source whose space is exactly dims (names and distributions), or NULL. */
static const cm_prior *matching_prior(const cmaes_state *st, const cm_dim *dims, size_t n) {
    for (size_t i = 0; i < st->n_priors; i++) {
        const cm_prior *p = &st->priors[i];
        int same = p->n == n;
        for (size_t j = 0; j < n && same; j++)
            same = !strcmp(p->names[j], dims[j].name) && ol_distribution_equal(&p->dists[j], &dims[j].dist);
        if (same) return p;
    }
    return NULL;
}

/* The first mean: x0's values where it names a parameter, else the cube's centre. */
static void first_mean(const cmaes_state *st, const cm_dim *dims, size_t n, double *m0) {
    cJSON *x0 = st->x0_json ? cJSON_Parse(st->x0_json) : NULL;
    for (size_t j = 0; j < n; j++) {
        m0[j] = 0.5;
        const cJSON *v = x0 ? cJSON_GetObjectItemCaseSensitive(x0, dims[j].name) : NULL;
        if (!cJSON_IsNumber(v)) continue;
        double x = v->valuedouble;
        if (dims[j].dist.log && !(x > 0)) continue;
        m0[j] = fmin(fmax(encode(&dims[j], fmin(fmax(x, dims[j].dist.low), dims[j].dist.high)), 0), 1);
    }
    cJSON_Delete(x0);
}

static int memo_push(cm_memo *mm, uint64_t digest, int restart, int generation, int lambda) {
    if (mm->n_gens == mm->cap) {
        size_t cap = mm->cap ? 2 * mm->cap : 64;
        uint64_t *d = realloc(mm->digest, cap * sizeof *d);
        if (!d) return -1;
        mm->digest = d;
        int *a = realloc(mm->after, 3 * cap * sizeof *a);
        if (!a) return -1;
        mm->after = a;
        mm->cap = cap;
    }
    mm->digest[mm->n_gens] = digest;
    mm->after[3 * mm->n_gens] = restart;
    mm->after[3 * mm->n_gens + 1] = generation;
    mm->after[3 * mm->n_gens + 2] = lambda;
    mm->n_gens++;
    return 0;
}

/*
 * The state as of ctx's history (replay from the first mean, or from st's memo where the history
 * begins as the memo's did), then a draw for ctx's trial: out[j] = internal value of dims[j];
 * *restart and *generation say where it was drawn. *failed = 1 (nothing chosen) if an
 * eigendecomposition failed.
 */
static ol_status cm_choose(cmaes_state *st, const ol_sample_ctx *ctx, const cm_dim *dims, size_t n, double *out,
                           double *x, int *restart, int *generation, int *failed, ol_error *err) {
    *failed = 0;
    const ol_cmaes_options *o = &st->opt;
    int margin = o->with_margin;
    const cm_prior *prior = NULL;
    if (st->n_priors && !(prior = matching_prior(st, dims, n))) {
        char have[300] = "";
        for (size_t j = 0; j < n; j++) {
            size_t l = strlen(have);
            snprintf(have + l, sizeof have - l, "%s%s", j ? ", " : "", dims[j].name);
        }
        return ol_fail(err, OL_EINVAL,
                       "CMA-ES warm start: no source_study has this study's search space (%s, with the same "
                       "distributions); the first source, \"%s\", has %zu float/int parameters",
                       have, st->priors[0].study, st->priors[0].n);
    }
    double sign = ctx->maximize ? -1.0 : 1.0;
    cm_told *told = malloc((ctx->n_trials ? ctx->n_trials : 1) * sizeof *told);
    double *m0 = malloc(n * sizeof *m0);
    double *xs = margin ? malloc((ctx->n_trials ? ctx->n_trials : 1) * n * sizeof *xs) : NULL;
    double *X = NULL, *f = NULL;
    cm_es es = {0};
    ol_status rc = OL_OK;
    if (!told || !m0 || (margin && !xs)) {
        free(told), free(m0), free(xs);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    size_t nt = 0;
    for (size_t i = 0; i < ctx->n_trials; i++) {
        const ol_trial_rec *t = &ctx->trials[i];
        if (!usable_complete(t)) continue;
        int r = int_attr(t, OL_CMAES_ATTR_RESTART), g = int_attr(t, OL_CMAES_ATTR_GENERATION);
        if (r < 0 || g < 0) continue;
        int has_all = 1;
        for (size_t j = 0; j < n && has_all; j++)
            has_all = find_same(t, dims[j].name, dims[j].dist_json, dims[j].json_len, dims[j].pos) != NULL;
        if (!has_all) continue;
        if (margin && x_attr(t, n, xs + nt * n)) continue; /* drawn without the margin: not this run's */
        told[nt] = (cm_told){.restart = r, .generation = g, .number = t->number, .t_complete = t->datetime_complete,
                             .f = sign * t->value, .trial = t, .x = margin ? xs + nt * n : NULL};
        nt++;
    }
    qsort(told, nt, sizeof *told, cmp_told);

    uint64_t space_key = fnv(14695981039346656037ULL, &ctx->seed, sizeof ctx->seed);
    space_key = fnv(space_key, &ctx->maximize, sizeof ctx->maximize);
    space_key = fnv(space_key, &margin, sizeof margin);
    space_key = fnv(space_key, &prior, sizeof prior);
    for (size_t j = 0; j < n; j++) {
        space_key = fnv(space_key, dims[j].name, strlen(dims[j].name) + 1);
        space_key = fnv(space_key, dims[j].dist_json, strlen(dims[j].dist_json) + 1);
    }
    int lambda0 = o->popsize > 0 ? o->popsize : default_popsize(n);
    double sigma0 = o->sigma0 > 0 ? o->sigma0 : 1.0 / 6.0;
    const double *C0 = NULL;
    if (prior) { /* the warm start: the source's distribution (x0 and sigma0 are refused with it) */
        memcpy(m0, prior->mean, n * sizeof *m0);
        sigma0 = prior->sigma;
        C0 = prior->C;
    } else {
        first_mean(st, dims, n, m0);
    }

    pthread_mutex_lock(&st->memo_lock);
    cm_memo *mm = &st->memo;
    int use_memo = mm->valid && mm->space_key == space_key;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* the replay: (r, g, lam) is where it stands; es is live once `live` */
        int r = 0, g = 0, lam = lambda0, live = !use_memo;
        size_t pos = 0, k = 0, kept = 0;
        int mismatch = 0;
        es_free(&es);
        if (live && es_init(&es, n, lambda0, m0, sigma0, C0)) {
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
            break;
        }
        for (;;) {
            while (pos < nt && (told[pos].restart < r || (told[pos].restart == r && told[pos].generation < g))) pos++;
            size_t have = 0;
            while (pos + have < nt && told[pos + have].restart == r && told[pos + have].generation == g) have++;
            if (have < (size_t)lam) break;
            uint64_t digest = 14695981039346656037ULL;
            for (int q = 0; q < lam; q++) {
                const cm_told *c = &told[pos + (size_t)q];
                digest = fnv(digest, &c->number, sizeof c->number);
                digest = fnv(digest, &c->f, sizeof c->f);
            }
            if (!live) {
                if (k < mm->n_gens && mm->digest[k] == digest) { /* told before: skip it */
                    r = mm->after[3 * k];
                    g = mm->after[3 * k + 1];
                    lam = mm->after[3 * k + 2];
                    pos += have;
                    k++;
                    continue;
                }
                if (k < mm->n_gens) { /* another history: replay everything */
                    mismatch = 1;
                    break;
                }
                if (es_copy(&es, &mm->es)) { /* past the memo: go on from its state */
                    rc = ol_fail(err, OL_ENOMEM, "out of memory");
                    break;
                }
                live = 1;
            }
            kept = k;
            free(X);
            free(f);
            X = malloc((size_t)lam * n * sizeof *X);
            f = malloc((size_t)lam * sizeof *f);
            if (!X || !f) {
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
            for (int q = 0; q < lam; q++) {
                const cm_told *c = &told[pos + (size_t)q];
                for (size_t j = 0; j < n; j++)
                    X[(size_t)q * n + j] =
                        c->x ? c->x[j] : encode(&dims[j], find_param_at(c->trial, dims[j].name, dims[j].pos)->value);
                f[q] = c->f;
            }
            pos += have;
            if (es_tell(&es, X, f)) {
                *failed = 1;
                break;
            }
            if (margin) es_margin(&es, dims);
            g = es.g;
            if (o->restart_ipop && es_should_stop(&es)) {
                int next = lam * o->inc_popsize;
                char stream[64];
                snprintf(stream, sizeof stream, "cmaes/restart/%d", r + 1);
                ol_rng rrng;
                ol_rng_derive(&rrng, ctx->seed, stream);
                double *mr = X; /* lam * n >= n doubles */
                for (size_t j = 0; j < n; j++) mr[j] = prior ? prior->mean[j] : ol_rng_uniform(&rrng);
                es_free(&es);
                r++;
                g = 0;
                lam = next;
                if (es_init(&es, n, next, mr, sigma0, C0)) {
                    rc = ol_fail(err, OL_ENOMEM, "out of memory");
                    break;
                }
            }
            /* the memo learns this generation (dropping what followed a divergence, none here) */
            if (!mm->valid || mm->space_key != space_key) {
                mm->valid = 1;
                mm->space_key = space_key;
                mm->n_gens = 0;
            }
            mm->n_gens = kept; /* generations 0..kept-1 are the memo's already */
            if (memo_push(mm, digest, r, g, lam)) {
                mm->valid = 0;
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
            k++;
        }
        if (rc || *failed) break;
        if (mismatch || (!live && k < mm->n_gens)) { /* the memo is another history's */
            mm->valid = 0;
            use_memo = 0;
            continue;
        }
        if (!live && (mm->n_gens == 0 || es_copy(&es, &mm->es))) { /* nothing told yet, or all from the memo */
            if (mm->n_gens) {
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
            if (es_init(&es, n, lambda0, m0, sigma0, C0)) {
                rc = ol_fail(err, OL_ENOMEM, "out of memory");
                break;
            }
        }
        if (mm->valid && mm->space_key == space_key && mm->n_gens == k && live && k > 0 && es_copy(&mm->es, &es))
            mm->valid = 0;
        *restart = r;
        *generation = g;
        break;
    }
    if (rc || *failed) mm->valid = 0;
    pthread_mutex_unlock(&st->memo_lock);
    if (rc || *failed) goto out;

    /* (38)-(40): x = m + sigma B D z, redrawn while outside the cube (at most 10 n times), then clipped.
     * With the margin a grid coordinate may leave the cube (its value is read from m + A (x - m), and
     * the cells at either end extend to infinity), as in the cmaes package's CMAwM. */
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "cmaes", ctx->trial_number, "");
    for (size_t attempt = 0; attempt <= 10 * n; attempt++) {
        double *z = es.work;
        for (size_t j = 0; j < n; j++) z[j] = ol_rng_normal(&rng) * es.D[j];
        int inside = 1;
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            for (size_t q = 0; q < n; q++) sum += es.B[q * n + i] * z[q];
            x[i] = es.m[i] + es.sigma * sum;
            inside &= (margin && dims[i].grid) || (x[i] >= 0 && x[i] <= 1);
        }
        if (inside) break;
    }
    for (size_t j = 0; j < n; j++) {
        if (margin && dims[j].grid) {
            out[j] = grid_value(&dims[j], grid_cell(&dims[j], es.m[j] + es.A[j] * (x[j] - es.m[j])));
        } else {
            x[j] = fmin(fmax(x[j], 0), 1); /* what is told is the clipped point */
            out[j] = decode(&dims[j], x[j]);
        }
    }
out:
    es_free(&es);
    free(told);
    free(m0);
    free(xs);
    free(X);
    free(f);
    return rc;
}

static void cm_log(const ol_cmaes_options *o, const char *fmt, int number, const char *what) {
    if (!o->log) return;
    char msg[400];
    snprintf(msg, sizeof msg, fmt, number, what);
    o->log(o->log_ctx, msg);
}

static ol_status cmaes_sample(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err) {
    cmaes_state *st = self->state;
    uint64_t key = ol_hpo_history_key(ctx);
    double v;
    int hit = ol_hpo_joint_cache_get(&st->cache, key, ctx->param_name, &v);
    if (hit == 1 && ol_distribution_contains(ctx->dist, v)) {
        *internal = v;
        return OL_OK;
    }
    if (hit != -1) return st->independent->sample(st->independent, ctx, internal, err);

    size_t n_complete = 0;
    for (size_t i = 0; i < ctx->n_trials; i++) n_complete += usable_complete(&ctx->trials[i]);
    cm_dim *dims = NULL;
    size_t n = 0;
    ol_status rc = OL_OK;
    if ((int)n_complete >= st->opt.n_startup_trials) rc = cm_space(ctx, &dims, &n, err);
    if (rc) return rc;
    double *vals = malloc((n ? n : 1) * sizeof *vals), *xraw = malloc((n ? n : 1) * sizeof *xraw);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    char *xjson = NULL;
    if (!vals || !xraw || !names) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < n; j++) names[j] = dims[j].name;
    size_t keep = 0;
    if (n == 1) {
        cm_log(&st->opt,
               "cmaes: trial %d: the search space has one float/int parameter (%s); CMA-ES needs two or more, "
               "so it is drawn by the independent sampler",
               ctx->trial_number, dims[0].name);
    } else if (n >= 2) {
        int restart = 0, generation = 0, failed = 0;
        rc = cm_choose(st, ctx, dims, n, vals, xraw, &restart, &generation, &failed, err);
        if (rc) goto out;
        if (failed) {
            cm_log(&st->opt, "cmaes: trial %d: %s; drawn by the independent sampler", ctx->trial_number,
                   "the covariance matrix's eigendecomposition failed (LAPACK dsyev)");
        } else {
            keep = n;
            if (ctx->tag) {
                char num[32];
                snprintf(num, sizeof num, "%d", restart);
                rc = ctx->tag(ctx->tag_ctx, OL_CMAES_ATTR_RESTART, num, err);
                snprintf(num, sizeof num, "%d", generation);
                if (!rc) rc = ctx->tag(ctx->tag_ctx, OL_CMAES_ATTR_GENERATION, num, err);
                if (!rc && st->opt.with_margin) { /* %.17g: read back to the same doubles */
                    xjson = malloc(n * 26 + 3);
                    if (!xjson) rc = ol_fail(err, OL_ENOMEM, "out of memory");
                    else {
                        size_t l = 0;
                        xjson[l++] = '[';
                        for (size_t j = 0; j < n; j++) l += (size_t)sprintf(xjson + l, "%s%.17g", j ? ", " : "", xraw[j]);
                        strcpy(xjson + l, "]");
                        rc = ctx->tag(ctx->tag_ctx, OL_CMAES_ATTR_X, xjson, err);
                    }
                }
                if (rc) goto out;
            }
        }
    }
    ol_hpo_joint_cache_put(&st->cache, key, names, vals, keep);
    int found = 0;
    for (size_t j = 0; j < keep && !found; j++)
        if (!strcmp(names[j], ctx->param_name) && ol_distribution_contains(ctx->dist, vals[j])) {
            *internal = vals[j];
            found = 1;
        }
    if (!found) rc = st->independent->sample(st->independent, ctx, internal, err);
out:
    free(vals);
    free(xraw);
    free(xjson);
    free(names);
    dims_free(dims, n);
    return rc;
}

static void priors_free(cm_prior *p, size_t n) {
    for (size_t i = 0; p && i < n; i++) {
        for (size_t j = 0; j < p[i].n; j++) {
            if (p[i].names) free(p[i].names[j]);
            if (p[i].dists) ol_distribution_free(&p[i].dists[j]);
        }
        free(p[i].study);
        free(p[i].names);
        free(p[i].dists);
        free(p[i].mean);
        free(p[i].C);
    }
    free(p);
}

typedef struct {
    double f;
    const ol_trial_rec *t;
} cm_ranked;

static int cmp_ranked(const void *a, const void *b) {
    const cm_ranked *x = a, *y = b;
    if (x->f != y->f) return x->f < y->f ? -1 : 1;
    return (x->t->number > y->t->number) - (x->t->number < y->t->number);
}

/*
 * WS-CMA-ES (M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi, AAAI 2021, arXiv:2012.06932),
 * as the cmaes package's get_warm_start_mgd estimates it: the source's space is the float/int
 * parameters all its COMPLETE trials share (cm_space); its best floor(gamma N) COMPLETE trials
 * (gamma = 0.1 unless source_gamma says, by the source's own direction), x_i on the unit cube, give
 *   mu = mean of x_i,  Sigma = alpha^2 I + (1/k) sum (x_i - mu)(x_i - mu)^T   (alpha = 0.1 or source_alpha),
 * and the run starts at m = mu, sigma = det(Sigma)^(1/2n), C = Sigma / det(Sigma)^(1/n).
 * The determinant comes from LAPACK's Cholesky factor (Sigma is positive definite: alpha^2 I).
 */
static ol_status prior_from_source(cm_prior *p, const ol_cmaes_source *src, double gamma, double alpha,
                                   ol_error *err) {
    memset(p, 0, sizeof *p);
    const char *nm = src->name ? src->name : "(unnamed)";
    if (!(p->study = strdup(nm))) return ol_fail(err, OL_ENOMEM, "out of memory");
    ol_sample_ctx sctx = {.trials = src->trials, .n_trials = src->n_trials, .maximize = src->maximize};
    cm_dim *dims = NULL;
    size_t n = 0, nc = 0;
    for (size_t i = 0; i < src->n_trials; i++) nc += usable_complete(&src->trials[i]);
    ol_status rc = cm_space(&sctx, &dims, &n, err);
    if (rc) return rc;
    if (nc == 0) {
        dims_free(dims, n);
        return ol_fail(err, OL_EINVAL, "CMA-ES warm start: source_study \"%s\" has no COMPLETE trial", nm);
    }
    if (n < 2) {
        dims_free(dims, n);
        return ol_fail(err, OL_EINVAL,
                       "CMA-ES warm start: source_study \"%s\" searches %zu float/int parameter%s shared by all its "
                       "COMPLETE trials; CMA-ES needs two or more",
                       nm, n, n == 1 ? "" : "s");
    }
    size_t top = (size_t)floor((double)nc * gamma + 1e-9);
    if (top < 1) {
        dims_free(dims, n);
        return ol_fail(err, OL_EINVAL,
                       "CMA-ES warm start: source_study \"%s\" has %zu COMPLETE trial%s; the warm start takes the best "
                       "%g %% of them and needs at least %d",
                       nm, nc, nc == 1 ? "" : "s", 100 * gamma, (int)ceil(1 / gamma - 1e-9));
    }
    cm_ranked *rk = malloc(nc * sizeof *rk);
    p->n = n;
    p->n_complete = nc;
    p->n_top = top;
    p->names = calloc(n, sizeof *p->names);
    p->dists = calloc(n, sizeof *p->dists);
    p->mean = calloc(n, sizeof *p->mean);
    p->C = calloc(n * n, sizeof *p->C);
    double *L = malloc(n * n * sizeof *L);
    if (!rk || !p->names || !p->dists || !p->mean || !p->C || !L) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < src->n_trials; i++)
        if (usable_complete(&src->trials[i]))
            rk[k++] = (cm_ranked){.f = (src->maximize ? -1 : 1) * src->trials[i].value, .t = &src->trials[i]};
    qsort(rk, nc, sizeof *rk, cmp_ranked);
    double *x = L; /* scratch: top x n, then the factor */
    double *xs = malloc(top * n * sizeof *xs);
    if (!xs) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < top; i++)
        for (size_t j = 0; j < n; j++) {
            xs[i * n + j] = encode(&dims[j], find_param_at(rk[i].t, dims[j].name, dims[j].pos)->value);
            p->mean[j] += xs[i * n + j] / (double)top;
        }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double c = a == b ? alpha * alpha : 0;
            for (size_t i = 0; i < top; i++) c += (xs[i * n + a] - p->mean[a]) * (xs[i * n + b] - p->mean[b]) / (double)top;
            p->C[b * n + a] = c;
        }
    free(xs);
    memcpy(x, p->C, n * n * sizeof *x);
    int nn = (int)n, info = 0;
    dpotrf_("L", &nn, x, &nn, &info);
    if (info) {
        rc = ol_fail(err, OL_EINVAL, "CMA-ES warm start: source_study \"%s\": the covariance is not positive definite", nm);
        goto out;
    }
    double logdet = 0;
    for (size_t j = 0; j < n; j++) logdet += 2 * log(x[j * n + j]);
    p->sigma = exp(logdet / (2.0 * (double)n));
    double scale = exp(-logdet / (double)n);
    for (size_t q = 0; q < n * n; q++) p->C[q] *= scale;
    for (size_t j = 0; j < n; j++) {
        if (!(p->names[j] = strdup(dims[j].name)) || ol_distribution_from_json(&p->dists[j], dims[j].dist_json, err)) {
            rc = p->names[j] ? err->status : ol_fail(err, OL_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    free(rk);
    free(L);
    dims_free(dims, n);
    return rc;
}

static void cmaes_destroy(ol_sampler *s) {
    cmaes_state *st = s->state;
    priors_free(st->priors, st->n_priors);
    ol_sampler_free(st->independent);
    ol_hpo_joint_cache_destroy(&st->cache);
    pthread_mutex_destroy(&st->memo_lock);
    es_free(&st->memo.es);
    free(st->memo.digest);
    free(st->memo.after);
    free(st->x0_json);
    free(st);
    free(s);
}

ol_cmaes_options ol_cmaes_defaults(void) {
    return (ol_cmaes_options){.n_startup_trials = 1, .popsize = 0, .sigma0 = 0, .restart_ipop = 1, .inc_popsize = 2,
                              .independent_tpe = 0, .x0_json = NULL, .with_margin = 0, .sources = NULL,
                              .n_sources = 0, .source_gamma = 0, .source_alpha = 0, .log = NULL, .log_ctx = NULL};
}

static ol_status check_x0(const char *json, ol_error *err) {
    cJSON *x0 = cJSON_Parse(json);
    if (!cJSON_IsObject(x0)) {
        cJSON_Delete(x0);
        return ol_fail(err, OL_EINVAL, "CMA-ES: x0 must be a JSON object {\"name\": value, ...}, got %s", json);
    }
    for (const cJSON *c = x0->child; c; c = c->next)
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
            ol_status rc = ol_fail(err, OL_EINVAL, "CMA-ES: x0's \"%s\" must be a finite number", c->string);
            cJSON_Delete(x0);
            return rc;
        }
    cJSON_Delete(x0);
    return OL_OK;
}

ol_status ol_sampler_cmaes_new(ol_sampler **out, const ol_cmaes_options *opt, ol_error *err) {
    *out = NULL;
    ol_cmaes_options o = opt ? *opt : ol_cmaes_defaults();
    if (o.n_startup_trials < 0)
        return ol_fail(err, OL_EINVAL, "CMA-ES: n_startup_trials must be >= 0, got %d", o.n_startup_trials);
    if (o.popsize != 0 && o.popsize < 2)
        return ol_fail(err, OL_EINVAL, "CMA-ES: popsize must be >= 2 (or 0 for 4 + floor(3 ln n)), got %d", o.popsize);
    if (o.popsize > 100000) return ol_fail(err, OL_EINVAL, "CMA-ES: popsize must be <= 100000, got %d", o.popsize);
    if (!(o.sigma0 >= 0) || o.sigma0 > 1)
        return ol_fail(err, OL_EINVAL, "CMA-ES: sigma0 must be in (0, 1] (the unit cube's side; 0 = 1/6), got %g", o.sigma0);
    if (o.inc_popsize < 2 || o.inc_popsize > 1000)
        return ol_fail(err, OL_EINVAL, "CMA-ES: inc_popsize must be from 2 to 1000, got %d", o.inc_popsize);
    if (o.x0_json) {
        ol_status rc = check_x0(o.x0_json, err);
        if (rc) return rc;
    }
    if (o.with_margin != 0 && o.with_margin != 1)
        return ol_fail(err, OL_EINVAL, "CMA-ES: with_margin must be 0 or 1, got %d", o.with_margin);
    if (o.n_sources && (o.x0_json || o.sigma0 > 0))
        return ol_fail(err, OL_EINVAL, "CMA-ES: source_study sets the first mean and step size; it cannot be "
                                       "combined with %s (as in Optuna)", o.x0_json ? "x0" : "sigma0");
    if (o.n_sources && !o.sources) return ol_fail(err, OL_EINVAL, "CMA-ES: n_sources is %zu but sources is NULL", o.n_sources);
    if (!(o.source_gamma >= 0 && o.source_gamma <= 1))
        return ol_fail(err, OL_EINVAL, "CMA-ES: source_gamma must be in (0, 1] (0 = %g), got %g", OL_CMAES_WS_GAMMA,
                       o.source_gamma);
    if (!(o.source_alpha >= 0 && o.source_alpha <= 1))
        return ol_fail(err, OL_EINVAL, "CMA-ES: source_alpha must be in (0, 1] (0 = %g), got %g", OL_CMAES_WS_ALPHA,
                       o.source_alpha);
    double gamma = o.source_gamma > 0 ? o.source_gamma : OL_CMAES_WS_GAMMA;
    double alpha = o.source_alpha > 0 ? o.source_alpha : OL_CMAES_WS_ALPHA;
    cm_prior *priors = o.n_sources ? calloc(o.n_sources, sizeof *priors) : NULL;
    if (o.n_sources && !priors) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t i = 0; i < o.n_sources; i++) {
        ol_status rc = prior_from_source(&priors[i], &o.sources[i], gamma, alpha, err);
        if (rc) {
            priors_free(priors, i + 1);
            return rc;
        }
    }
    ol_sampler *s = calloc(1, sizeof *s);
    cmaes_state *st = calloc(1, sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        priors_free(priors, o.n_sources);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    st->priors = priors;
    st->n_priors = o.n_sources;
    ol_status rc = o.independent_tpe ? ol_sampler_tpe_new(&st->independent, NULL, err)
                                     : ol_sampler_random_new(&st->independent, err);
    if (!rc && o.x0_json && !(st->x0_json = strdup(o.x0_json))) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    if (rc) {
        ol_sampler_free(st->independent);
        priors_free(st->priors, st->n_priors);
        free(st);
        free(s);
        return rc;
    }
    st->opt = o;
    st->opt.x0_json = st->x0_json;
    st->opt.sources = NULL; /* read above; the priors are what is kept */
    ol_hpo_joint_cache_init(&st->cache);
    pthread_mutex_init(&st->memo_lock, NULL);
    s->name = "cmaes";
    s->sample = cmaes_sample;
    s->destroy = cmaes_destroy;
    s->state = st;
    *out = s;
    return OL_OK;
}

int ol_hpo_cmaes_tell_check(size_t n, int lam, const double *m0, double sigma0, int gens, const double *X,
                            const double *f, double *sigma, double *mean, double *C) {
    cm_es es;
    int rc = es_init(&es, n, lam, m0, sigma0, NULL);
    for (int g = 0; g < gens && !rc; g++) rc = es_tell(&es, X + (size_t)g * lam * n, f + (size_t)g * lam);
    if (!rc) {
        *sigma = es.sigma;
        memcpy(mean, es.m, n * sizeof *mean);
        memcpy(C, es.C, n * n * sizeof *C);
    }
    es_free(&es);
    return rc;
}

int ol_hpo_cmaes_margin_check(size_t n, const ol_distribution *dists, int margin, int lam, const double *m0,
                              double sigma0, int gens, const double *X, const double *f, double *sigma, double *mean,
                              double *A, double *p_other) {
    cm_dim *dims = calloc(n, sizeof *dims);
    cm_es es = {0};
    int rc = dims ? 0 : -1;
    for (size_t j = 0; j < n && !rc; j++) { /* cm_space's mapping of each distribution */
        cm_dim *d = &dims[j];
        d->dist = dists[j]; /* a shallow copy, only read */
        d->grid = d->dist.kind == OL_DIST_INT || d->dist.step > 0;
        if (d->grid)
            d->K = d->dist.log ? (long)(d->dist.high - d->dist.low) + 1
                               : (long)floor((d->dist.high - d->dist.low) / d->dist.step + 0.5) + 1;
        double half = d->grid ? 0.5 * d->dist.step : 0;
        d->lo = d->dist.log ? log(d->dist.kind == OL_DIST_INT ? d->dist.low - 0.5 : d->dist.low) : d->dist.low - half;
        d->hi = d->dist.log ? log(d->dist.kind == OL_DIST_INT ? d->dist.high + 0.5 : d->dist.high) : d->dist.high + half;
    }
    if (!rc) rc = es_init(&es, n, lam, m0, sigma0, NULL);
    for (int g = 0; g < gens && !rc; g++) {
        rc = es_tell(&es, X + (size_t)g * lam * n, f + (size_t)g * lam);
        if (!rc && margin) es_margin(&es, dims);
    }
    if (!rc) {
        *sigma = es.sigma;
        memcpy(mean, es.m, n * sizeof *mean);
        memcpy(A, es.A, n * sizeof *A);
        for (size_t j = 0; j < n; j++) {
            p_other[j] = NAN;
            if (!dims[j].grid) continue;
            double s = es.sigma * es.A[j] * sqrt(es.C[j * n + j]);
            long k = grid_cell(&dims[j], es.m[j]);
            double below = k > 0 ? norm_cdf((grid_bound(&dims[j], k) - es.m[j]) / s) : 0;
            double above = k < dims[j].K - 1 ? 1 - norm_cdf((grid_bound(&dims[j], k + 1) - es.m[j]) / s) : 0;
            p_other[j] = below + above;
        }
    }
    es_free(&es);
    free(dims);
    return rc;
}

size_t ol_hpo_cmaes_prior(const ol_sampler *s, size_t i, double *mean, double *sigma, double *C, size_t cap) {
    const cmaes_state *st = s->state;
    if (i >= st->n_priors || st->priors[i].n > cap) return 0;
    const cm_prior *p = &st->priors[i];
    memcpy(mean, p->mean, p->n * sizeof *mean);
    memcpy(C, p->C, p->n * p->n * sizeof *C);
    *sigma = p->sigma;
    return p->n;
}

void ol_hpo_cmaes_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx) {
    cmaes_state *st = s->state;
    st->opt.log = log;
    st->opt.log_ctx = log_ctx;
}

/* a JSON number that is a whole number in [lo, hi] */
static int json_int(const cJSON *v, long lo, long hi, int *out) {
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return 0;
    *out = (int)v->valuedouble;
    return 1;
}

ol_status ol_cmaes_options_from_json(const char *json, ol_cmaes_options *opt, char **x0_json, ol_error *err) {
    *x0_json = NULL;
    if (!json || !*json) return OL_OK;
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ol_fail(err, OL_EINVAL, "CMA-ES options: not a JSON object: %s", json);
    }
    ol_status rc = OL_OK;
    int has_source = 0, has_x0 = 0, has_sigma0 = 0, has_ws_opt = 0;
    for (const cJSON *c = root->child; c && !rc; c = c->next) {
        const char *k = c->string;
        if (!strcmp(k, "n_startup_trials")) {
            if (!json_int(c, 0, 1000000, &opt->n_startup_trials))
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: n_startup_trials must be a whole number >= 0");
        } else if (!strcmp(k, "popsize")) {
            if (cJSON_IsNull(c)) opt->popsize = 0;
            else if (!json_int(c, -1000000000, 1000000000, &opt->popsize) || opt->popsize < 2)
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: popsize must be a whole number >= 2 (or null)");
        } else if (!strcmp(k, "sigma0")) {
            if (cJSON_IsNull(c)) opt->sigma0 = 0;
            else if (!cJSON_IsNumber(c) || !(c->valuedouble > 0) || c->valuedouble > 1)
                rc = ol_fail(err, OL_EINVAL,
                             "CMA-ES options: sigma0 must be a number in (0, 1] (on the unit cube; default 1/6), or null");
            else opt->sigma0 = c->valuedouble, has_sigma0 = 1;
        } else if (!strcmp(k, "restart_strategy")) {
            if (cJSON_IsNull(c) || (cJSON_IsString(c) && !strcmp(c->valuestring, "none"))) opt->restart_ipop = 0;
            else if (cJSON_IsString(c) && !strcmp(c->valuestring, "ipop")) opt->restart_ipop = 1;
            else rc = ol_fail(err, OL_EINVAL, "CMA-ES options: restart_strategy must be \"ipop\", \"none\" or null");
        } else if (!strcmp(k, "inc_popsize")) {
            if (!json_int(c, 2, 1000, &opt->inc_popsize))
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: inc_popsize must be a whole number from 2 to 1000");
        } else if (!strcmp(k, "independent_sampler")) {
            if (cJSON_IsString(c) && !strcmp(c->valuestring, "random")) opt->independent_tpe = 0;
            else if (cJSON_IsString(c) && !strcmp(c->valuestring, "tpe")) opt->independent_tpe = 1;
            else rc = ol_fail(err, OL_EINVAL, "CMA-ES options: independent_sampler must be \"random\" or \"tpe\"");
        } else if (!strcmp(k, "x0")) {
            if (cJSON_IsNull(c)) continue;
            char *text = cJSON_PrintUnformatted(c);
            if (!text) rc = ol_fail(err, OL_ENOMEM, "out of memory");
            else if ((rc = check_x0(text, err))) free(text);
            else {
                free(*x0_json);
                *x0_json = text;
                opt->x0_json = text;
                has_x0 = 1;
            }
        } else if (!strcmp(k, "seed")) {
            /* the study's seed rules every draw; accepted for Optuna's sake */
        } else if (!strcmp(k, "with_margin")) {
            if (cJSON_IsBool(c)) opt->with_margin = cJSON_IsTrue(c);
            else rc = ol_fail(err, OL_EINVAL, "CMA-ES options: with_margin must be true or false");
        } else if (!strcmp(k, "source_study")) {
            int ok = (cJSON_IsString(c) && *c->valuestring) || (cJSON_IsArray(c) && c->child);
            for (const cJSON *e = cJSON_IsArray(c) ? c->child : NULL; e && ok; e = e->next)
                ok = cJSON_IsString(e) && *e->valuestring;
            if (!ok)
                rc = ol_fail(err, OL_EINVAL,
                             "CMA-ES options: source_study must be a study name or a non-empty array of names "
                             "(studies in the same storage whose trials warm-start CMA-ES)");
            has_source = ok;
        } else if (!strcmp(k, "source_gamma") || !strcmp(k, "source_alpha")) {
            if (!cJSON_IsNumber(c) || !(c->valuedouble > 0) || c->valuedouble > 1)
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: %s must be a number in (0, 1] (default 0.1)", k);
            else if (k[7] == 'g') opt->source_gamma = c->valuedouble, has_ws_opt = 1;
            else opt->source_alpha = c->valuedouble, has_ws_opt = 1;
        } else if (!strcmp(k, "source_trials")) {
            rc = ol_fail(err, OL_EINVAL,
                         "CMA-ES options: source_trials is Optuna's list of trial objects; in optlab name the source "
                         "studies instead: \"source_study\": \"NAME\" or [\"NAME\", ...] (docs/hpo.md)");
        } else if (!strcmp(k, "use_separable_cma") || !strcmp(k, "consider_pruned_trials")) {
            if (!cJSON_IsFalse(c) && !cJSON_IsNull(c))
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: %s is not implemented in optlab (docs/hpo.md)", k);
        } else {
            rc = ol_fail(err, OL_EINVAL,
                         "CMA-ES options: unknown option '%s' (known: n_startup_trials, popsize, sigma0, "
                         "restart_strategy, inc_popsize, x0, independent_sampler, with_margin, source_study, "
                         "source_gamma, source_alpha, seed)",
                         k);
        }
    }
    cJSON_Delete(root);
    if (!rc && has_ws_opt && !has_source)
        rc = ol_fail(err, OL_EINVAL, "CMA-ES options: source_gamma and source_alpha need a source_study");
    if (!rc && has_source && (has_x0 || has_sigma0))
        rc = ol_fail(err, OL_EINVAL,
                     "CMA-ES options: source_study sets the first mean and step size; it cannot be combined with %s "
                     "(as in Optuna)",
                     has_x0 ? "x0" : "sigma0");
    if (rc) {
        free(*x0_json);
        *x0_json = NULL;
        opt->x0_json = NULL;
    }
    return rc;
}

ol_status ol_cmaes_source_names(const char *json, char ***names, size_t *n, ol_error *err) {
    *names = NULL;
    *n = 0;
    if (!json || !*json) return OL_OK;
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ol_fail(err, OL_EINVAL, "CMA-ES options: not a JSON object: %s", json);
    }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "source_study");
    size_t count = cJSON_IsString(c) ? 1 : cJSON_IsArray(c) ? (size_t)cJSON_GetArraySize(c) : 0;
    ol_status rc = OL_OK;
    char **out = count ? calloc(count, sizeof *out) : NULL;
    if (count && !out) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t i = 0; i < count && !rc; i++) {
        const cJSON *e = cJSON_IsString(c) ? c : cJSON_GetArrayItem(c, (int)i);
        if (!cJSON_IsString(e) || !*e->valuestring)
            rc = ol_fail(err, OL_EINVAL, "CMA-ES options: source_study must be a study name or an array of names");
        else if (!(out[i] = strdup(e->valuestring))) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    }
    cJSON_Delete(root);
    if (rc) {
        for (size_t i = 0; out && i < count; i++) free(out[i]);
        free(out);
        return rc;
    }
    *names = out;
    *n = count;
    return OL_OK;
}

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

ol_status ol_sampler_cmaes_check_space(const ol_sampler *s, const char *const *names, const ol_distribution *dists,
                                       size_t n, ol_error *err) {
    if (!s || !s->name || strcmp(s->name, "cmaes")) return OL_OK;
    const cmaes_state *st = s->state;
    if (!st->n_priors) return OL_OK;
    /* the float/int, not single-valued parameters, by name: the space cm_space would find */
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!idx || !sorted) {
        free(idx);
        free(sorted);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (dists[i].kind != OL_DIST_CATEGORICAL && dists[i].high > dists[i].low) sorted[m++] = names[i];
    qsort(sorted, m, sizeof *sorted, cmp_str_ptr);
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < n; i++)
            if (names[i] == sorted[j]) idx[j] = i;
    ol_status rc = OL_OK;
    const cm_prior *match = NULL;
    for (size_t p = 0; p < st->n_priors && !match; p++) {
        const cm_prior *pr = &st->priors[p];
        int same = pr->n == m;
        for (size_t j = 0; j < m && same; j++)
            same = !strcmp(pr->names[j], sorted[j]) && ol_distribution_equal(&pr->dists[j], &dists[idx[j]]);
        if (same) match = pr;
    }
    if (!match) {
        /* say what differs from the first source: a missing, extra or differently distributed parameter */
        const cm_prior *pr = &st->priors[0];
        char what[400] = "";
        for (size_t j = 0; j < m && !what[0]; j++) {
            size_t q = 0;
            while (q < pr->n && strcmp(pr->names[q], sorted[j])) q++;
            if (q == pr->n) snprintf(what, sizeof what, "%s is searched here, not in the source", sorted[j]);
            else if (!ol_distribution_equal(&pr->dists[q], &dists[idx[j]])) {
                char *a = ol_distribution_to_json(&pr->dists[q]), *b = ol_distribution_to_json(&dists[idx[j]]);
                snprintf(what, sizeof what, "%s is %s in the source, %s here", sorted[j], a ? a : "?", b ? b : "?");
                free(a);
                free(b);
            }
        }
        for (size_t q = 0; q < pr->n && !what[0]; q++) {
            size_t j = 0;
            while (j < m && strcmp(pr->names[q], sorted[j])) j++;
            if (j == m) snprintf(what, sizeof what, "the source also searches %s", pr->names[q]);
        }
        rc = ol_fail(err, OL_EINVAL,
                     "CMA-ES warm start: the search space does not match source_study \"%s\"%s: %s (a source must "
                     "search the same float/int parameters with the same distributions)",
                     pr->study, st->n_priors > 1 ? " (nor any other source)" : "", what);
    }
    free(idx);
    free(sorted);
    return rc;
}
