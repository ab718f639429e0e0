/*
 * hpo_internal.h — helpers shared by the hpo layer's files (not public).
 */
#ifndef OPTLAB_HPO_INTERNAL_H
#define OPTLAB_HPO_INTERNAL_H

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
#endif
