/*
 * mvtpe.c — multivariate TPE, after Optuna 3.1's TPESampler(multivariate=True):
 * one joint Parzen estimator over all parameters instead of one per
 * parameter, so correlations between parameters count.
 *
 *  - Search space: the parameters that every COMPLETE and PRUNED trial holds
 *    with the same distribution, but for single-valued ones (a one-choice
 *    categorical: Optuna's distribution.single(), which would otherwise count
 *    in d below). Parameters outside it (conditional ones) are sampled by the
 *    univariate TPE (Optuna's independent sampler there).
 *  - Start-up: random while fewer than n_startup_trials (10) trials are
 *    COMPLETE or PRUNED.
 *  - Observations: COMPLETE and PRUNED trials holding every parameter of the
 *    space, ranked as the univariate TPE ranks them (COMPLETE by value, then
 *    PRUNED by how far they got); the best gamma(n) = min(ceil(0.1 n), 25)
 *    are "below", the rest "above". Constant liar (on by default, as for
 *    optlab's TPE): other RUNNING trials holding the space rank last.
 *  - Each group is one estimator whose components are the group's trials
 *    plus a prior: component c is the product over parameters of c's
 *    per-parameter kernel (truncated normal in the transformed space, grid
 *    mass, or categorical row). Weights and prior are the univariate ones;
 *    numerical bandwidths follow the multivariate rule
 *    0.2 * k^(-1/(d+4)) * range (k observations, d parameters), magic-clipped.
 *  - 24 candidates drawn from l(x) (one component, then each parameter from
 *    it), the one with the largest log l(x) - log g(x) is taken.
 * Randomness comes from the stream (study seed, trial number), so a resumed
 * study repeats an uninterrupted one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hpo_internal.h"

typedef struct {
    ol_tpe_options opt;
    ol_sampler *univariate; /* for parameters outside the joint space */
    ol_hpo_joint_cache cache;
} mvtpe_state;

typedef struct {
    const char *name, *dist_json; /* borrowed from the history */
    ol_distribution dist;
} mv_dim;

typedef struct {
    size_t index;
    double key1, key2;
} mv_obs;

static int finished(const ol_trial_rec *t) {
    return (t->state == OL_TRIAL_COMPLETE && t->has_value) || t->state == OL_TRIAL_PRUNED;
}

static int cmp_dim(const void *a, const void *b) { return strcmp(((const mv_dim *)a)->name, ((const mv_dim *)b)->name); }

static int cmp_obs(const void *a, const void *b) {
    const mv_obs *x = a, *y = b;
    if (x->key1 != y->key1) return x->key1 < y->key1 ? -1 : 1;
    if (x->key2 != y->key2) return x->key2 < y->key2 ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_index(const void *a, const void *b) {
    size_t x = ((const mv_obs *)a)->index, y = ((const mv_obs *)b)->index;
    return (x > y) - (x < y);
}

static void dims_free(mv_dim *dims, size_t n) {
    for (size_t i = 0; i < n; i++) ol_distribution_free(&dims[i].dist);
    free(dims);
}

static int has_all(const ol_trial_rec *t, const mv_dim *dims, size_t d) {
    for (size_t j = 0; j < d; j++) {
        const ol_param_rec *q = ol_hpo_find_param(t, dims[j].name);
        if (!q || strcmp(q->distribution_json, dims[j].dist_json)) return 0;
    }
    return 1;
}

/* One possible value (Optuna's distribution.single()): a one-choice categorical, or a range
 * narrower than its step (optlab's own distributions never are; a foreign storage's may be). */
static int single_valued(const ol_distribution *d) {
    if (d->kind == OL_DIST_CATEGORICAL) return d->n_choices == 1;
    return d->low == d->high || (!d->log && d->step > 0 && d->high - d->low < d->step);
}

static ol_status joint_space(const ol_sample_ctx *ctx, mv_dim **out, size_t *n_out, ol_error *err) {
    *out = NULL;
    *n_out = 0;
    const ol_param_rec **shared = NULL;
    size_t n_shared = 0;
    ol_status rc = ol_hpo_intersection_space(ctx, finished, &shared, &n_shared, NULL, err);
    if (rc || !n_shared) return rc;
    mv_dim *dims = calloc(n_shared, sizeof *dims);
    if (!dims) {
        free(shared);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t s = 0; s < n_shared; s++) {
        ol_error perr = {0};
        if (ol_distribution_from_json(&dims[n].dist, shared[s]->distribution_json, &perr)) continue;
        if (single_valued(&dims[n].dist)) { /* Optuna leaves it out of the relative space */
            ol_distribution_free(&dims[n].dist);
            continue;
        }
        dims[n].name = shared[s]->name;
        dims[n].dist_json = shared[s]->distribution_json;
        n++;
    }
    free(shared);
    qsort(dims, n, sizeof *dims, cmp_dim);
    *out = dims;
    *n_out = n;
    return OL_OK;
}

/* log of a joint estimator (one ol_hpo_parzen per dimension, same components) at x. */
static double joint_log_pdf(const ol_hpo_parzen *est, size_t d, const double *x, double *terms) {
    size_t n = est[0].n;
    double mx = -INFINITY;
    for (size_t c = 0; c < n; c++) {
        double t = est[0].logw[c];
        for (size_t j = 0; j < d && t > -INFINITY; j++) t += ol_hpo_parzen_log_kernel(&est[j], c, x[j]);
        terms[c] = t;
        if (t > mx) mx = t;
    }
    if (mx == -INFINITY) return mx;
    double s = 0;
    for (size_t c = 0; c < n; c++)
        if (terms[c] > mx - 40) s += exp(terms[c] - mx);
    return mx + log(s);
}

static void mv_models_free(ol_hpo_parzen *lp, ol_hpo_parzen *gp, size_t d) {
    for (size_t j = 0; lp && gp && j < d; j++) {
        ol_hpo_parzen_free(&lp[j]);
        ol_hpo_parzen_free(&gp[j]);
    }
    free(lp);
    free(gp);
}

/*
 * The joint estimators of one ask over dims: l(x) into *lp_out, g(x) into *gp_out (d each,
 * free with mv_models_free). *startup = 1 (and no estimators) in the random start-up.
 */
static ol_status mv_models(const ol_tpe_options *o, const ol_sample_ctx *ctx, const mv_dim *dims, size_t d,
                           ol_hpo_parzen **lp_out, ol_hpo_parzen **gp_out, int *startup, ol_error *err) {
    *lp_out = *gp_out = NULL;
    *startup = 0;
    size_t nt = ctx->n_trials, n = 0, n_done = 0;
    mv_obs *obs = malloc((nt ? nt : 1) * sizeof *obs);
    if (!obs) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nt; i++) {
        const ol_trial_rec *t = &ctx->trials[i];
        mv_obs ob = {.index = i};
        if (!ol_hpo_tpe_rank_key(t, ctx->maximize, o->constant_liar, ctx->trial_number, &ob.key1, &ob.key2)) continue;
        if (t->state != OL_TRIAL_RUNNING) n_done++;
        if (has_all(t, dims, d)) obs[n++] = ob;
    }
    if ((int)n_done < o->n_startup_trials) {
        free(obs);
        *startup = 1;
        return OL_OK;
    }
    size_t n_below = (size_t)ceil(0.1 * (double)n_done);
    if (n_below > (size_t)o->gamma_max) n_below = (size_t)o->gamma_max;
    if (n_below > n) n_below = n;
    qsort(obs, n, sizeof *obs, cmp_obs);
    qsort(obs, n_below, sizeof *obs, cmp_index); /* each group in trial order */
    qsort(obs + n_below, n - n_below, sizeof *obs, cmp_index);

    ol_status rc = OL_OK;
    ol_hpo_parzen *lp = calloc(d, sizeof *lp), *gp = calloc(d, sizeof *gp);
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!lp || !gp || !vals) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t j = 0; j < d && !rc; j++) {
        for (size_t i = 0; i < n; i++) vals[i] = ol_hpo_find_param(&ctx->trials[obs[i].index], dims[j].name)->value;
        if (ol_hpo_parzen_build(&lp[j], &dims[j].dist, vals, n_below, o) ||
            ol_hpo_parzen_build(&gp[j], &dims[j].dist, vals + n_below, n - n_below, o))
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
        else {
            ol_hpo_parzen_multivariate_sigmas(&lp[j], d, o);
            ol_hpo_parzen_multivariate_sigmas(&gp[j], d, o);
        }
    }
    free(vals);
    free(obs);
    if (rc) {
        mv_models_free(lp, gp, d);
        return rc;
    }
    *lp_out = lp;
    *gp_out = gp;
    return OL_OK;
}

/* A candidate's score, log l(x) - log g(x); terms: scratch of l's and g's component counts. */
static double mv_score(const ol_hpo_parzen *lp, const ol_hpo_parzen *gp, size_t d, const double *x, double *terms) {
    return joint_log_pdf(lp, d, x, terms) - joint_log_pdf(gp, d, x, terms);
}

/* One candidate from l(x) into x: the component whose cumulative weight first exceeds u_component
 * (numpy's choice with p), then parameter j from that component with the uniform u_value[j]
 * (x may be u_value). */
static void mv_draw(const ol_hpo_parzen *lp, size_t d, double u_component, const double *u_value, double *x) {
    size_t comp = lp[0].n - 1;
    double acc = 0;
    for (size_t i = 0; i < lp[0].n; i++) {
        acc += lp[0].w[i];
        if (u_component < acc) {
            comp = i;
            break;
        }
    }
    for (size_t j = 0; j < d; j++) x[j] = ol_hpo_parzen_sample_component(&lp[j], comp, u_value[j]);
}

/* Choose every parameter of dims for ctx's trial into out; *startup = 1 (nothing chosen) in the start-up. */
static ol_status mv_choose(const ol_tpe_options *o, const ol_sample_ctx *ctx, const mv_dim *dims, size_t d,
                           double *out, int *startup, ol_error *err) {
    ol_hpo_parzen *lp, *gp;
    ol_status rc = mv_models(o, ctx, dims, d, &lp, &gp, startup, err);
    if (rc || *startup) return rc;
    size_t n_cand = (size_t)o->n_ei_candidates, n_terms = lp[0].n > gp[0].n ? lp[0].n : gp[0].n;
    double *terms = malloc(n_terms * sizeof *terms);
    double *cbuf = malloc(n_cand * d * sizeof *cbuf);
    if (!terms || !cbuf) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "mvtpe", ctx->trial_number, "");
    double best = -INFINITY;
    for (size_t c = 0; c < n_cand; c++) {
        double *x = cbuf + c * d, u = ol_rng_uniform(&rng);
        for (size_t j = 0; j < d; j++) x[j] = ol_rng_uniform(&rng);
        mv_draw(lp, d, u, x, x);
        double score = mv_score(lp, gp, d, x, terms);
        if (c == 0 || score > best) {
            best = score;
            memcpy(out, x, d * sizeof *x);
        }
    }
out:
    mv_models_free(lp, gp, d);
    free(terms);
    free(cbuf);
    return rc;
}

/* The tests' entry points: the joint space and estimators of ctx's ask, and col[j], the column of
 * the callers' rows (parameters in the order of names) that holds dims[j]. */
typedef struct {
    mv_dim *dims;
    size_t d;
    size_t *col;
    ol_hpo_parzen *lp, *gp;
} mv_replay;

static void replay_free(mv_replay *r) {
    mv_models_free(r->lp, r->gp, r->d);
    free(r->col);
    dims_free(r->dims, r->d);
}

static ol_status replay_prepare(const ol_sample_ctx *ctx, const char *const *names, size_t d, mv_replay *r,
                                int *startup, ol_error *err) {
    memset(r, 0, sizeof *r);
    *startup = 1;
    ol_status rc = joint_space(ctx, &r->dims, &r->d, err);
    if (rc || !r->d) return rc;
    ol_tpe_options o = ol_tpe_defaults();
    rc = mv_models(&o, ctx, r->dims, r->d, &r->lp, &r->gp, startup, err);
    if (rc || *startup) return rc;
    if (r->d != d) return ol_fail(err, OL_EINVAL, "the joint space has %zu parameters, the candidates %zu", r->d, d);
    r->col = malloc(r->d * sizeof *r->col);
    if (!r->col) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t j = 0; j < r->d; j++) {
        size_t k = 0;
        while (k < d && strcmp(names[k], r->dims[j].name)) k++;
        if (k == d)
            return ol_fail(err, OL_EINVAL, "the candidates have no column for parameter '%s' of the joint space",
                           r->dims[j].name);
        r->col[j] = k;
    }
    return OL_OK;
}

ol_status ol_hpo_mvtpe_pick(const ol_sample_ctx *ctx, const char *const *names, size_t d, const double *cand,
                            size_t m, size_t *best, double *scores, int *startup, ol_error *err) {
    mv_replay r;
    ol_status rc = replay_prepare(ctx, names, d, &r, startup, err);
    double *x = NULL, *terms = NULL;
    if (rc || *startup) goto out;
    x = malloc(d * sizeof *x);
    terms = malloc((r.lp[0].n > r.gp[0].n ? r.lp[0].n : r.gp[0].n) * sizeof *terms);
    if (!x || !terms) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    double top = -INFINITY;
    for (size_t c = 0; c < m; c++) {
        for (size_t j = 0; j < d; j++) x[j] = cand[c * d + r.col[j]];
        double score = mv_score(r.lp, r.gp, d, x, terms);
        if (scores) scores[c] = score;
        if (c == 0 || score > top) {
            top = score;
            *best = c;
        }
    }
out:
    free(x);
    free(terms);
    replay_free(&r);
    return rc;
}

ol_status ol_hpo_mvtpe_draw(const ol_sample_ctx *ctx, const char *const *names, size_t d, const double *u_component,
                            const double *u_value, size_t m, double *out, int *startup, ol_error *err) {
    mv_replay r;
    ol_status rc = replay_prepare(ctx, names, d, &r, startup, err);
    double *u = NULL, *x = NULL;
    if (rc || *startup) goto out;
    u = malloc(d * sizeof *u);
    x = malloc(d * sizeof *x);
    if (!u || !x) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < m; c++) {
        for (size_t j = 0; j < d; j++) u[j] = u_value[c * d + r.col[j]];
        mv_draw(r.lp, d, u_component[c], u, x);
        for (size_t j = 0; j < d; j++) out[c * d + r.col[j]] = x[j];
    }
out:
    free(u);
    free(x);
    replay_free(&r);
    return rc;
}

static ol_status mvtpe_sample(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err) {
    mvtpe_state *st = self->state;
    uint64_t key = ol_hpo_history_key(ctx);
    double v;
    int r = ol_hpo_joint_cache_get(&st->cache, key, ctx->param_name, &v);
    if (r == 1 && ol_distribution_contains(ctx->dist, v)) {
        *internal = v;
        return OL_OK;
    }
    if (r != -1) return st->univariate->sample(st->univariate, ctx, internal, err);

    mv_dim *dims;
    size_t d;
    ol_status rc = joint_space(ctx, &dims, &d, err);
    if (rc) return rc;
    double *vals = malloc((d ? d : 1) * sizeof *vals);
    const char **names = malloc((d ? d : 1) * sizeof *names);
    int startup = 1;
    if (!vals || !names) rc = ol_fail(err, OL_ENOMEM, "out of memory");
    else if (d > 0) rc = mv_choose(&st->opt, ctx, dims, d, vals, &startup, err);
    if (!rc) {
        for (size_t j = 0; j < d; j++) names[j] = dims[j].name;
        ol_hpo_joint_cache_put(&st->cache, key, names, vals, startup ? 0 : d);
        int found = 0;
        for (size_t j = 0; j < d && !startup && !found; j++)
            if (!strcmp(names[j], ctx->param_name) && ol_distribution_contains(ctx->dist, vals[j])) {
                *internal = vals[j];
                found = 1;
            }
        /* start-up (random there too) or a parameter outside the joint space */
        if (!found) rc = st->univariate->sample(st->univariate, ctx, internal, err);
    }
    free(vals);
    free(names);
    dims_free(dims, d);
    return rc;
}

static void mvtpe_destroy(ol_sampler *s) {
    mvtpe_state *st = s->state;
    ol_sampler_free(st->univariate);
    ol_hpo_joint_cache_destroy(&st->cache);
    free(st);
    free(s);
}

ol_status ol_sampler_mvtpe_new(ol_sampler **out, const ol_tpe_options *opt, ol_error *err) {
    *out = NULL;
    ol_sampler *uni;
    ol_status rc = ol_sampler_tpe_new(&uni, opt, err); /* validates the options */
    if (rc) return rc;
    ol_sampler *s = calloc(1, sizeof *s);
    mvtpe_state *st = calloc(1, sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        ol_sampler_free(uni);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    st->opt = opt ? *opt : ol_tpe_defaults();
    st->univariate = uni;
    ol_hpo_joint_cache_init(&st->cache);
    s->name = "mvtpe";
    s->sample = mvtpe_sample;
    s->destroy = mvtpe_destroy;
    s->state = st;
    *out = s;
    return OL_OK;
}
