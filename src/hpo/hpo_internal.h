/*
 * hpo_internal.h — helpers shared by the hpo layer's files (not public).
 */
#ifndef OPTLAB_HPO_INTERNAL_H
#define OPTLAB_HPO_INTERNAL_H

#include <pthread.h>

#include "optlab/hpo.h"

/** A uniform draw from d as Optuna's RandomSampler makes it (internal value). */
double ol_hpo_random_internal(const ol_distribution *d, ol_rng *rng);
/** Round x to d's grid (low + k*step) and keep it in [low, high]. */
double ol_hpo_round_to_grid(const ol_distribution *d, double x);
/** The stream for one (sampler, trial number, parameter): "<sampler>/<number>/<param>". */
void ol_hpo_param_rng(ol_rng *rng, uint64_t seed, const char *sampler, int number, const char *param);

/* Tests only: nonzero turns TPE's exact shortcuts off (the long way, for bit-for-bit comparisons). */
extern int ol_hpo_tpe_exhaustive;

/**
 * The log-density (grid-cell log-mass for int/stepped, log-probability for
 * categorical) of the TPE Parzen estimator built, with Optuna 3.1's default
 * options, from k observations (internal values, oldest first), at m internal
 * points. For tests against Optuna's _ParzenEstimator.
 */
ol_status ol_hpo_parzen_log_pdf(const ol_distribution *d, const double *obs, size_t k, const double *pts, size_t m,
                                double *out, ol_error *err);

/**
 * m draws from the same estimator as ol_hpo_parzen_log_pdf, from given
 * uniforms: u_component[i] picks the component (the first whose cumulative
 * weight exceeds it), u_value[i] the category or the truncated-normal
 * quantile. For tests that redraw Optuna's samples from its own uniforms.
 */
ol_status ol_hpo_parzen_sample(const ol_distribution *d, const double *obs, size_t k, const double *u_component,
                               const double *u_value, size_t m, double *out, ol_error *err);

/**
 * TPE's choice among given candidates: builds l(x) and g(x) from ctx's
 * history exactly as an ask with Optuna 3.1's default options does, scores
 * the m candidates (internal values) by log l(x) - log g(x) into scores (if
 * not NULL) and sets *best to the first with the largest score. *startup = 1
 * (nothing scored) while the history is still in the random start-up. For
 * tests that replay Optuna's own decisions.
 */
ol_status ol_hpo_tpe_pick(const ol_sample_ctx *ctx, const double *cand, size_t m, size_t *best, double *scores,
                          int *startup, ol_error *err);

/**
 * Multivariate TPE's choice among given candidates: takes the joint space
 * from ctx's history, builds the joint l(x) and g(x) exactly as an ask with
 * Optuna 3.1's default options does, scores the m candidates (row c of cand:
 * d internal values, in the order of names) by log l(x) - log g(x) into
 * scores (if not NULL) and sets *best to the first with the largest score.
 * *startup = 1 (nothing scored) in the random start-up or with an empty
 * joint space. OL_EINVAL when names are not the joint space's parameters.
 * For tests that replay Optuna's own decisions.
 */
ol_status ol_hpo_mvtpe_pick(const ol_sample_ctx *ctx, const char *const *names, size_t d, const double *cand,
                            size_t m, size_t *best, double *scores, int *startup, ol_error *err);
/**
 * m draws from the same l(x) as ol_hpo_mvtpe_pick, from given uniforms, into out (m rows of d, in
 * the order of names): u_component[c] picks candidate c's component, u_value[c*d+k] the category
 * or truncated-normal quantile of its parameter names[k] (as Optuna's sample uses them). For tests
 * that redraw Optuna's candidates from its own uniforms.
 */
ol_status ol_hpo_mvtpe_draw(const ol_sample_ctx *ctx, const char *const *names, size_t d, const double *u_component,
                            const double *u_value, size_t m, double *out, int *startup, ol_error *err);

/**
 * TPE's rank of a trial (tpe.c; Optuna 3.1's (step, value) keys, smaller is better): COMPLETE
 * (-inf, value), PRUNED (-last step, last value; NaN as +inf; (1, 0) without intermediates), and
 * with constant_liar any RUNNING trial but `asking` (+inf, +inf). Values negated when maximising.
 * 0 for a trial that does not take part (FAIL, COMPLETE without value, RUNNING without the liar).
 */
int ol_hpo_tpe_rank_key(const ol_trial_rec *t, int maximize, int constant_liar, int asking, double *key1,
                        double *key2);
/** The parameter `name` of a trial, or NULL. */
const ol_param_rec *ol_hpo_find_param(const ol_trial_rec *t, const char *name);
/**
 * Optuna's intersection search space, shared by the joint samplers (GP, multivariate TPE,
 * CMA-ES): of the trials for which keep() holds, the parameters of the first one that every
 * one of them holds with the same distribution JSON. *out gets pointers into that first
 * trial's params (*first, if not NULL), in its order (callers sort), or NULL when no trial
 * is kept or none is shared; *n how many. Free *out with free(). Trials usually hold their parameters in one
 * order, so each lookup tries the same index first.
 */
ol_status ol_hpo_intersection_space(const ol_sample_ctx *ctx, int (*keep)(const ol_trial_rec *),
                                    const ol_param_rec ***out, size_t *n, const ol_trial_rec **first,
                                    ol_error *err);

/* ---- TPE's Parzen estimator over one parameter (tpe.c), for multivariate TPE ---- */
typedef struct {
    const ol_distribution *dist;
    size_t n;      /**< components: observations + prior (the last) */
    double *w;     /**< normalised weights */
    double *logw;
    /* numerical */
    double low, high, q; /**< bounds in the transformed space; q > 0 for grids */
    double *mu, *sigma, *log_mass;
    double *cell_bound; /**< grids: log(q / sigma) - log_mass + logw, an upper bound's constant part */
    size_t *uniq;       /**< grids: component -> index of its distinct (mu, sigma) pair */
    size_t n_uniq;
    double *uniq_mass;  /**< grids: scratch, one cell mass per distinct pair and point */
    /* categorical: n rows of n_choices */
    double *cat;
} ol_hpo_parzen;

/** Build from k observations (internal values, trial order) as Optuna 3.1's univariate TPE does; -1 on no memory. */
int ol_hpo_parzen_build(ol_hpo_parzen *p, const ol_distribution *d, const double *obs, size_t k,
                        const ol_tpe_options *o);
void ol_hpo_parzen_free(ol_hpo_parzen *p);
/** Replace the observations' bandwidths by the multivariate rule (0.2 k^(-1/(n_dims+4)) of the range, magic clip). */
void ol_hpo_parzen_multivariate_sigmas(ol_hpo_parzen *p, size_t n_dims, const ol_tpe_options *o);
/** log of component i's kernel (density, grid-cell mass or category probability) at internal value v. */
double ol_hpo_parzen_log_kernel(const ol_hpo_parzen *p, size_t i, double v);
/** A draw from component c alone, from the uniform u_value (internal value). */
double ol_hpo_parzen_sample_component(const ol_hpo_parzen *p, size_t c, double u_value);

/*
 * Joint samplers (GP, multivariate TPE) choose every parameter of a trial in
 * one go, when its first parameter is asked, and answer the trial's other
 * parameters from this cache. The key digests everything the choice depends
 * on (seed, trial number, direction, every other trial's state, value and
 * parameters), so a hit is always the answer a fresh computation would give.
 * Guarded by a mutex: a sampler stays shareable between threads.
 */
typedef struct {
    pthread_mutex_t lock;
    int valid;
    uint64_t key;
    size_t n;
    char **names;
    double *values;
} ol_hpo_joint_cache;

void ol_hpo_joint_cache_init(ol_hpo_joint_cache *c);
void ol_hpo_joint_cache_destroy(ol_hpo_joint_cache *c);
/** The digest of ctx's history (the asking trial itself left out: it gains parameters as it goes);
 *  kept in ctx->history_key_memo when the study gives one, so a trial's history is digested once. */
uint64_t ol_hpo_history_key(const ol_sample_ctx *ctx);
/** 1: *v is `name`'s cached value; 0: the key is cached but `name` is not in it; -1: not cached. */
int ol_hpo_joint_cache_get(ol_hpo_joint_cache *c, uint64_t key, const char *name, double *v);
/** Replace the cache with n (name, value) pairs under `key` (copied; on no memory the cache is left empty). */
void ol_hpo_joint_cache_put(ol_hpo_joint_cache *c, uint64_t key, const char *const *names, const double *values,
                            size_t n);
/** The CMA-ES sampler's log callback (cmaes.c; ol_sampler_set_log dispatches by name). */
void ol_hpo_cmaes_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx);
/**
 * Tests: a CMA-ES run in n dimensions (population lam, mean m0, step size sigma0, C = I) told
 * `gens` generations of lam points each (X: gens*lam rows of n; f: gens*lam values, smaller
 * better), as the sampler tells them; the resulting sigma, mean (n) and C (n*n) after a last
 * eigendecomposition. -1 on no memory or a failed eigendecomposition.
 */
int ol_hpo_cmaes_tell_check(size_t n, int lam, const double *m0, double sigma0, int gens, const double *X,
                            const double *f, double *sigma, double *mean, double *C);
/**
 * Tests: as ol_hpo_cmaes_tell_check over the space of dists (n float/int distributions, in the
 * sampler's unit cube), with the margin after each generation when margin = 1. Out: sigma, mean (n),
 * A (n), and p_other (n): for each grid coordinate the probability, under the final distribution,
 * that a draw's grid value differs from the mean's (NaN for continuous ones). -1 on failure.
 */
int ol_hpo_cmaes_margin_check(size_t n, const ol_distribution *dists, int margin, int lam, const double *m0,
                              double sigma0, int gens, const double *X, const double *f, double *sigma, double *mean,
                              double *A, double *p_other);
/** Tests: a CMA-ES sampler's warm-start distribution from source i (mean n, C n*n): its size n, or 0. */
size_t ol_hpo_cmaes_prior(const ol_sampler *s, size_t i, double *mean, double *sigma, double *C, size_t cap);
#endif
