/*
 * tpe.c — the Tree-structured Parzen Estimator sampler, following Optuna
 * 3.1's default TPESampler (independent per parameter):
 *
 *  - n = COMPLETE + PRUNED trials; below 10 (n_startup_trials) draw at random.
 *  - Rank trials by (step key, signed value): COMPLETE first (key -inf) by
 *    value (negated when maximising), then PRUNED ones by how far they got
 *    (key -last step, value = last intermediate; no intermediates: key 1).
 *    The best gamma(n) = min(ceil(0.1 n), 25) are "below", the rest "above";
 *    each group keeps only trials holding this parameter with the same
 *    distribution, in trial order.
 *  - Each group becomes a Parzen estimator: one truncated normal per
 *    observation plus a prior (centre of the range, sigma = range), with
 *    weights default_weights(k) (1 for the newest 25, a ramp 1/k..1 for older
 *    ones) and prior_weight 1, normalised. Sigma of an observation = the larger
 *    gap to its sorted neighbours (the range ends count as neighbours, except
 *    that the smallest and largest take their inner gap: consider_endpoints
 *    off), clipped to [range / min(100, 1 + k + 1), range] (magic clip).
 *    Log distributions live in log space; grids (int, float with a step)
 *    widen the range by step/2 and use the probability mass of each grid cell.
 *  - Draw 24 candidates from the "below" estimator l(x); return the one with
 *    the largest log l(x) - log g(x).
 *  - Categorical: each observation is a row prior_weight/(k+1) everywhere plus
 *    1 at its choice, normalised; the prior row is uniform.
 *
 * As in Optuna 3.1, the continuous log-density of a component is the
 * standard normal log-density of the standardised point minus the log of the
 * truncation mass, without the -log(sigma) term (Optuna 3.1's _truncnorm.logpdf
 * omits it); keeping that makes the choices match Optuna's.
 *
 * Observations with equal values keep trial order when sorted for the
 * bandwidths (Optuna's numpy argsort is unstable there, so on grids with
 * repeated values the two may give tied points each other's sigma).
 *
 * Constant liar (option constant_liar, on by default; Optuna 3.x's
 * constant_liar=True): RUNNING trials other than the one being sampled join
 * the ranking as the worst possible observations, so they land in "above"
 * and g(x) grows around the points other workers are evaluating — parallel
 * workers then spread out instead of drawing the same promising point. They
 * do not count in n (start-up and gamma), as in Optuna. A trial sampling its
 * own later parameters holds no value for this one, so it is never its own lie.
 *
 * Randomness: one stream per (seed, trial number, parameter), "tpe/N/name".
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hpo_internal.h"

/* ---------- normal distribution in log space (tails to +-100 sigma) ---------- */

static const double LOG_SQRT_2PI = 0.91893853320467274178;

static double ndtr(double x) { return 0.5 * erfc(-x / M_SQRT2); }

/* log Phi(x), accurate far into the left tail (asymptotic series below -20). */
static double log_ndtr(double x) {
    if (x > 6) return -ndtr(-x); /* log(1 - e) ~ -e */
    if (x > -20) return log(ndtr(x));
    double lhs = -0.5 * x * x - log(-x) - LOG_SQRT_2PI;
    double sum = 1, term = 1, x2 = 1 / (x * x);
    for (int i = 1; i < 30; i++) {
        term *= -(2.0 * i - 1) * x2;
        double next = sum + term;
        if (next == sum) break;
        sum = next;
    }
    return lhs + log(sum);
}

/* log(e^p - e^q), p > q */
static double log_diff(double p, double q) { return p + log1p(-exp(q - p)); }

/* log of the standard normal mass in [a, b]. */
/* Set only by tests: every shortcut below off, to compare bit for bit with the long way. */
int ol_hpo_tpe_exhaustive = 0;

/* ndtr(x) for x below -40 is 0.5 * erfc(28.28...), and that erfc underflows to +0.0 in
   double: answer it without the call (most truncation masses of a long history's clipped
   components have one or both tails that far; tests/hpo/test_tpe_fast.c checks the premise). */
static double ndtr_tail(double x) { return (x < -40 && !ol_hpo_tpe_exhaustive) ? 0.0 : ndtr(x); }

static double log_gauss_mass(double a, double b) {
    if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
    if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
    return log1p(-ndtr_tail(a) - ndtr_tail(-b));
}

static double log_add(double p, double q) {
    double m = fmax(p, q);
    if (m == -INFINITY) return m;
    return m + log(exp(p - m) + exp(q - m));
}

/* x with log Phi(x) = y, by bisection on [-100, 100] (as Optuna does). */
static double ndtri_exp(double y) {
    double lo = -100, hi = 100;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        if (log_ndtr(mid) < y) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Quantile q of the standard normal truncated to [a, b]. */
static double truncnorm_ppf(double q, double a, double b) {
    if (q <= 0) return a;
    if (q >= 1) return b;
    double mass = log_gauss_mass(a, b);
    if (a < 0) return ndtri_exp(log_add(log_ndtr(a), log(q) + mass));
    return -ndtri_exp(log_add(log_ndtr(-b), log1p(-q) + mass));
}

/* ---------- Parzen estimator over one parameter ---------- */

typedef ol_hpo_parzen parzen;

static void parzen_free(parzen *p) {
    free(p->w);
    free(p->logw);
    free(p->mu);
    free(p->sigma);
    free(p->log_mass);
    free(p->cell_bound);
    free(p->uniq);
    free(p->uniq_mass);
    free(p->cat);
}

/* Transformed-space bounds and grid step of a numerical distribution. */
static void parzen_bounds(const ol_distribution *d, double *low, double *high, double *q) {
    *q = 0;
    if (d->kind == OL_DIST_FLOAT) {
        if (d->log) {
            *low = log(d->low);
            *high = log(d->high);
        } else if (d->step > 0) {
            *q = d->step;
            *low = d->low - 0.5 * d->step;
            *high = d->high + 0.5 * d->step;
        } else {
            *low = d->low;
            *high = d->high;
        }
    } else if (d->log) {
        *low = log(d->low - 0.5);
        *high = log(d->high + 0.5);
    } else {
        *q = d->step;
        *low = d->low - 0.5 * d->step;
        *high = d->high + 0.5 * d->step;
    }
}

typedef struct {
    double mu;
    size_t idx;
} mu_index;

/* (mu, idx) ascending: a strict total order (idx is unique), so any correct sort gives one result. */
static int mu_before(const mu_index *x, const mu_index *y) {
    return x->mu < y->mu || (x->mu == y->mu && x->idx < y->idx);
}

/*
 * Sort by mu_before: insertion sort of runs of 16, then bottom-up merges
 * through tmp (n entries). qsort's indirect comparisons cost a long history's
 * "above" estimator more than the rest of its construction.
 */
static void sort_mu(mu_index *a, mu_index *tmp, size_t n) {
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) {
        size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            mu_index v = a[i];
            size_t j = i;
            for (; j > lo && mu_before(&v, &a[j - 1]); j--) a[j] = a[j - 1];
            a[j] = v;
        }
    }
    mu_index *src = a, *dst = tmp;
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = mu_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        mu_index *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* mu's bits as an unsigned integer in the order of mu (-0.0 as +0.0: they compare equal). */
static uint64_t mu_radix_key(double mu) {
    uint64_t b;
    if (mu == 0) mu = 0.0;
    memcpy(&b, &mu, sizeof b);
    return (b >> 63) ? ~b : b | (1ull << 63);
}

/*
 * The same order as sort_mu for a long history's "above" estimator (thousands
 * of components), at a fraction of its cost: a stable least-significant-digit
 * radix sort of mu's bits, 8 bits a pass, skipping the passes whose byte every
 * key shares (the sign and most of the exponent). a[] arrives in idx order, and
 * a stable sort keeps that order among equal mu: the tie rule of mu_before.
 * Falls back to sort_mu when a mu is NaN (no order) or without scratch memory.
 */
static void sort_mu_long(mu_index *a, mu_index *tmp, size_t n) {
    uint64_t *key = malloc(2 * n * sizeof *key);
    size_t(*count)[256] = calloc(8, sizeof *count);
    int nan = 0;
    for (size_t i = 0; i < n && !nan; i++) nan = isnan(a[i].mu);
    if (!key || !count || nan) {
        free(key);
        free(count);
        sort_mu(a, tmp, n);
        return;
    }
    uint64_t *key_tmp = key + n;
    for (size_t i = 0; i < n; i++) {
        key[i] = mu_radix_key(a[i].mu);
        for (int d = 0; d < 8; d++) count[d][(key[i] >> (8 * d)) & 0xff]++;
    }
    mu_index *src = a, *dst = tmp;
    uint64_t *ksrc = key, *kdst = key_tmp;
    for (int d = 0; d < 8; d++) {
        if (count[d][(ksrc[0] >> (8 * d)) & 0xff] == n) continue; /* every key has this byte */
        size_t pos[256], at = 0;
        for (int b = 0; b < 256; b++) {
            pos[b] = at;
            at += count[d][b];
        }
        for (size_t i = 0; i < n; i++) {
            size_t p = pos[(ksrc[i] >> (8 * d)) & 0xff]++;
            dst[p] = src[i];
            kdst[p] = ksrc[i];
        }
        mu_index *t = src;
        src = dst;
        dst = t;
        uint64_t *kt = ksrc;
        ksrc = kdst;
        kdst = kt;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(key);
    free(count);
}

/* Build from k observations (internal values, in trial order). */
static int parzen_build(parzen *p, const ol_distribution *d, const double *obs, size_t k, const ol_tpe_options *o) {
    memset(p, 0, sizeof *p);
    p->dist = d;
    p->n = k + 1;
    size_t n = p->n;
    p->w = malloc(n * sizeof *p->w);
    p->logw = malloc(n * sizeof *p->logw);
    if (!p->w || !p->logw) return -1;
    /* default_weights(k): a ramp for all but the newest 25, then ones */
    for (size_t i = 0; i < k; i++) {
        if (k < 25 || i >= k - 25) p->w[i] = 1.0;
        else {
            size_t m = k - 25; /* linspace(1/k, 1, m) */
            p->w[i] = m == 1 ? 1.0 / (double)k : 1.0 / (double)k + (1.0 - 1.0 / (double)k) * (double)i / (double)(m - 1);
        }
    }
    p->w[k] = o->prior_weight;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += p->w[i];
    for (size_t i = 0; i < n; i++) {
        p->w[i] /= sum;
        p->logw[i] = log(p->w[i]);
    }

    if (d->kind == OL_DIST_CATEGORICAL) {
        size_t c = d->n_choices;
        p->cat = malloc(n * c * sizeof *p->cat);
        if (!p->cat) return -1;
        double fill = o->prior_weight / (double)n;
        for (size_t i = 0; i < n; i++) {
            double *row = &p->cat[i * c];
            for (size_t j = 0; j < c; j++) row[j] = fill;
            if (i < k) row[(size_t)obs[i]] += 1.0;
            double rs = 0;
            for (size_t j = 0; j < c; j++) rs += row[j];
            for (size_t j = 0; j < c; j++) row[j] /= rs;
        }
        return 0;
    }

    parzen_bounds(d, &p->low, &p->high, &p->q);
    double low = p->low, high = p->high, range = high - low;
    p->mu = malloc(n * sizeof *p->mu);
    p->sigma = malloc(n * sizeof *p->sigma);
    p->log_mass = malloc(n * sizeof *p->log_mass);
    mu_index *order = malloc(2 * n * sizeof *order); /* the second half: sort_mu's scratch */
    double *sorted = malloc((n + 2) * sizeof *sorted);
    if (!p->mu || !p->sigma || !p->log_mass || !order || !sorted) {
        free(order);
        free(sorted);
        return -1;
    }
    for (size_t i = 0; i < k; i++) p->mu[i] = d->log ? log(obs[i]) : obs[i];
    p->mu[k] = 0.5 * (low + high);
    for (size_t i = 0; i < n; i++) order[i] = (mu_index){p->mu[i], i};
    if (n >= 512 && !ol_hpo_tpe_exhaustive) sort_mu_long(order, order + n, n);
    else sort_mu(order, order + n, n);
    sorted[0] = low;
    for (size_t i = 0; i < n; i++) sorted[i + 1] = order[i].mu;
    sorted[n + 1] = high;
    for (size_t i = 0; i < n; i++) {
        double left = sorted[i + 1] - sorted[i], right = sorted[i + 2] - sorted[i + 1];
        double s = fmax(left, right);
        if (!o->consider_endpoints && n >= 2) {
            if (i == 0) s = sorted[2] - sorted[1];
            else if (i == n - 1) s = sorted[n] - sorted[n - 1];
        }
        p->sigma[order[i].idx] = s;
    }
    double maxsigma = range;
    double minsigma = o->consider_magic_clip ? range / fmin(100.0, 1.0 + (double)n) : 1e-12;
    for (size_t i = 0; i < n; i++) p->sigma[i] = fmin(fmax(p->sigma[i], minsigma), maxsigma);
    p->sigma[k] = range; /* the prior */
    for (size_t i = 0; i < n; i++)
        p->log_mass[i] = log_gauss_mass((low - p->mu[i]) / p->sigma[i], (high - p->mu[i]) / p->sigma[i]);
    if (p->q > 0) {
        p->cell_bound = malloc(n * sizeof *p->cell_bound);
        if (!p->cell_bound) {
            free(order);
            free(sorted);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            p->cell_bound[i] = log(p->q / p->sigma[i]) - LOG_SQRT_2PI - p->log_mass[i] + p->logw[i];
        /* a grid repeats values: components with equal (mu, sigma) have equal cell masses
           at any point, so log_pdf computes each distinct pair's mass once */
        p->uniq = malloc(n * sizeof *p->uniq);
        p->uniq_mass = malloc(n * sizeof *p->uniq_mass);
        size_t *rep = malloc(n * sizeof *rep);
        if (!p->uniq || !p->uniq_mass || !rep) {
            free(rep);
            free(order);
            free(sorted);
            return -1;
        }
        size_t run = 0; /* first distinct pair of the current run of equal mu */
        for (size_t r = 0; r < n; r++) {
            size_t i = order[r].idx, j;
            if (r == 0 || p->mu[i] != p->mu[order[r - 1].idx]) run = p->n_uniq;
            for (j = run; j < p->n_uniq && p->sigma[rep[j]] != p->sigma[i]; j++) {}
            if (j == p->n_uniq) rep[p->n_uniq++] = i;
            p->uniq[i] = j;
        }
        free(rep);
    }
    free(order);
    free(sorted);
    return 0;
}

/* The component for uniform u: the first whose cumulative weight exceeds u (numpy's choice with p). */
static size_t pick_component(const parzen *p, double u) {
    double acc = 0;
    for (size_t i = 0; i < p->n; i++) {
        acc += p->w[i];
        if (u < acc) return i;
    }
    return p->n - 1;
}

/*
 * One draw from the estimator, as an internal value of the distribution,
 * from two uniforms: u_component picks the component, u_value the category
 * or the quantile of its truncated normal (as Optuna's sample uses them).
 */
static double parzen_sample_u(const parzen *p, double u_component, double u_value) {
    return ol_hpo_parzen_sample_component(p, pick_component(p, u_component), u_value);
}

double ol_hpo_parzen_sample_component(const ol_hpo_parzen *p, size_t c, double u_value) {
    const ol_distribution *d = p->dist;
    if (d->kind == OL_DIST_CATEGORICAL) {
        const double *row = &p->cat[c * d->n_choices];
        double acc = 0;
        for (size_t j = 0; j < d->n_choices; j++) {
            acc += row[j];
            if (u_value < acc) return (double)j;
        }
        return (double)(d->n_choices - 1);
    }
    double mu = p->mu[c], s = p->sigma[c];
    double x = truncnorm_ppf(u_value, (p->low - mu) / s, (p->high - mu) / s) * s + mu;
    if (d->kind == OL_DIST_FLOAT) {
        if (d->log) return fmin(fmax(exp(x), d->low), d->high);
        if (d->step > 0) return ol_hpo_round_to_grid(d, x);
        return fmin(fmax(x, d->low), d->high);
    }
    if (d->log) return fmin(fmax(round(exp(x)), d->low), d->high);
    return ol_hpo_round_to_grid(d, x);
}

static double parzen_sample(const parzen *p, ol_rng *rng) {
    double u_component = ol_rng_uniform(rng);
    return parzen_sample_u(p, u_component, ol_rng_uniform(rng));
}

/* One component's exact log-term on the grid cell [lb, ub]: its log mass there (once per
 * distinct (mu, sigma), kept in uniq_mass, NAN = not yet), renormalised, weighted. */
static double grid_term(const parzen *p, size_t i, double lb, double ub) {
    double *mass = &p->uniq_mass[p->uniq[i]];
    if (isnan(*mass)) {
        double mu = p->mu[i], s = p->sigma[i];
        *mass = log_gauss_mass((lb - mu) / s, (ub - mu) / s);
    }
    return *mass - p->log_mass[i] + p->logw[i];
}

/*
 * The grid terms of parzen_log_pdf without the exact (costly: two log_ndtr)
 * mass of components that cannot matter. The cell [lb, ub] is at most q wide,
 * so a component's mass in it is at most (q / sigma) * phi(z), z the
 * standardised distance from mu to the cell: the term is at most
 * cell_bound - z^2 / 2. With L the exact term of the component of highest
 * bound (L <= the largest term), a component whose bound is below L - 41 has
 * a term below max - 40: it is neither the max nor added by the log-sum-exp,
 * so leaving it at -inf changes no bit of the result (1 nat of margin for
 * rounding in the bound). Returns 0 (nothing done) when L is not finite.
 */
static int grid_terms(const parzen *p, double x, double *terms) {
    double half = 0.5 * p->q, top = -INFINITY;
    size_t top_i = 0;
    for (size_t i = 0; i < p->n; i++) {
        double d = fabs(x - p->mu[i]) - half, z = d > 0 ? d / p->sigma[i] : 0;
        terms[i] = p->cell_bound[i] - 0.5 * z * z; /* the bound, for now */
        if (terms[i] > top) top = terms[i], top_i = i;
    }
    double ub = fmin(x + 0.5 * p->q, p->high), lb = fmax(x - 0.5 * p->q, p->low);
    for (size_t j = 0; j < p->n_uniq; j++) p->uniq_mass[j] = NAN;
    double exact_top = grid_term(p, top_i, lb, ub);
    if (!isfinite(exact_top)) return 0;
    double cut = exact_top - 41;
    for (size_t i = 0; i < p->n; i++)
        terms[i] = (terms[i] < cut) ? -INFINITY : (i == top_i ? exact_top : grid_term(p, i, lb, ub));
    return 1;
}

double ol_hpo_parzen_log_kernel(const ol_hpo_parzen *p, size_t i, double v) {
    const ol_distribution *d = p->dist;
    if (d->kind == OL_DIST_CATEGORICAL) return log(p->cat[i * d->n_choices + (size_t)v]);
    double x = d->log ? log(v) : v, mu = p->mu[i], s = p->sigma[i];
    if (p->q > 0) {
        double ub = fmin(x + 0.5 * p->q, p->high), lb = fmax(x - 0.5 * p->q, p->low);
        return log_gauss_mass((lb - mu) / s, (ub - mu) / s) - p->log_mass[i];
    }
    double z = (x - mu) / s;
    return (x < p->low || x > p->high) ? -INFINITY : -0.5 * z * z - LOG_SQRT_2PI - p->log_mass[i];
}

int ol_hpo_parzen_build(ol_hpo_parzen *p, const ol_distribution *d, const double *obs, size_t k,
                        const ol_tpe_options *o) {
    return parzen_build(p, d, obs, k, o);
}

void ol_hpo_parzen_free(ol_hpo_parzen *p) { parzen_free(p); }

/* Resets sigma and log_mass; the grid shortcuts (cell_bound, uniq) then no longer hold, so
 * they are freed: multivariate TPE uses ol_hpo_parzen_log_kernel, which is exact. */
void ol_hpo_parzen_multivariate_sigmas(ol_hpo_parzen *p, size_t n_dims, const ol_tpe_options *o) {
    free(p->cell_bound);
    free(p->uniq);
    free(p->uniq_mass);
    p->cell_bound = NULL, p->uniq = NULL, p->uniq_mass = NULL, p->n_uniq = 0;
    if (p->dist->kind == OL_DIST_CATEGORICAL) return;
    size_t k = p->n - 1;
    double range = p->high - p->low;
    double sigma = 0.2 * pow((double)(k > 0 ? k : 1), -1.0 / ((double)n_dims + 4.0)) * range;
    double minsigma = o->consider_magic_clip ? range / fmin(100.0, 1.0 + (double)p->n) : 1e-12;
    for (size_t i = 0; i < k; i++) p->sigma[i] = fmin(fmax(sigma, minsigma), range);
    for (size_t i = 0; i < p->n; i++)
        p->log_mass[i] = log_gauss_mass((p->low - p->mu[i]) / p->sigma[i], (p->high - p->mu[i]) / p->sigma[i]);
}

/* log of the estimator's density (or grid-cell mass) at internal value v. */
static double parzen_log_pdf(const parzen *p, double v) {
    const ol_distribution *d = p->dist;
    double mx = -INFINITY;
    double *terms = NULL, stack[64];
    terms = p->n <= 64 ? stack : malloc(p->n * sizeof *terms);
    if (!terms) return -INFINITY;
    if (d->kind == OL_DIST_CATEGORICAL) {
        double s = 0;
        for (size_t i = 0; i < p->n; i++) s += p->w[i] * p->cat[i * d->n_choices + (size_t)v];
        if (terms != stack) free(terms);
        return log(s);
    }
    double x = d->log ? log(v) : v;
    if (p->q > 0 && !ol_hpo_tpe_exhaustive && grid_terms(p, x, terms)) {
        for (size_t i = 0; i < p->n; i++)
            if (terms[i] > mx) mx = terms[i];
    } else if (p->q == 0) {
        /* the continuous case as the loop below computes it, term for term; the range test is the
           same for every component, and without it and the max the loop is one the compiler vectorises */
        int outside = x < p->low || x > p->high;
        const double *mu = p->mu, *sigma = p->sigma, *log_mass = p->log_mass, *logw = p->logw;
        size_t i = 0;
        if (!outside) {
            /* two components at a time in a 2-lane vector (SSE2 on x86-64): IEEE operations lane by
               lane, in the scalar expression's order, so each term has the scalar loop's bits */
            typedef double v2d __attribute__((vector_size(16)));
            const v2d vx = {x, x}, minus_half = {-0.5, -0.5}, c = {LOG_SQRT_2PI, LOG_SQRT_2PI};
            for (; i + 2 <= p->n; i += 2) {
                v2d m, s, lm, lw;
                memcpy(&m, mu + i, sizeof m);
                memcpy(&s, sigma + i, sizeof s);
                memcpy(&lm, log_mass + i, sizeof lm);
                memcpy(&lw, logw + i, sizeof lw);
                v2d z = (vx - m) / s;
                v2d t = minus_half * z * z - c - lm + lw;
                memcpy(terms + i, &t, sizeof t);
            }
        }
        for (; i < p->n; i++) {
            double z = (x - mu[i]) / sigma[i];
            terms[i] = (outside ? -INFINITY : -0.5 * z * z - LOG_SQRT_2PI - log_mass[i]) + logw[i];
        }
        for (size_t i = 0; i < p->n; i++)
            if (terms[i] > mx) mx = terms[i];
    } else {
        for (size_t i = 0; i < p->n; i++) {
            double mu = p->mu[i], s = p->sigma[i], t;
            if (p->q > 0) {
                double ub = fmin(x + 0.5 * p->q, p->high), lb = fmax(x - 0.5 * p->q, p->low);
                t = log_gauss_mass((lb - mu) / s, (ub - mu) / s) - p->log_mass[i];
            } else {
                double z = (x - mu) / s;
                t = (x < p->low || x > p->high) ? -INFINITY : -0.5 * z * z - LOG_SQRT_2PI - p->log_mass[i];
            }
            terms[i] = t + p->logw[i];
            if (terms[i] > mx) mx = terms[i];
        }
    }
    double r = mx;
    if (mx > -INFINITY) {
        /* log-sum-exp; a term 40 nats below the largest adds < 5e-18 of it,
           below double precision, so skip its exp (most of g's components
           are far from any one point once the history is long) */
        double s = 0;
        for (size_t i = 0; i < p->n; i++)
            if (terms[i] > mx - 40) s += exp(terms[i] - mx);
        r = mx + log(s);
    }
    if (terms != stack) free(terms);
    return r;
}

ol_status ol_hpo_parzen_sample(const ol_distribution *d, const double *obs, size_t k, const double *u_component,
                               const double *u_value, size_t m, double *out, ol_error *err) {
    ol_tpe_options o = ol_tpe_defaults();
    parzen p;
    if (parzen_build(&p, d, obs, k, &o)) {
        parzen_free(&p);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m; i++) out[i] = parzen_sample_u(&p, u_component[i], u_value[i]);
    parzen_free(&p);
    return OL_OK;
}

ol_status ol_hpo_parzen_log_pdf(const ol_distribution *d, const double *obs, size_t k, const double *pts, size_t m,
                                double *out, ol_error *err) {
    ol_tpe_options o = ol_tpe_defaults();
    parzen p;
    if (parzen_build(&p, d, obs, k, &o)) {
        parzen_free(&p);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m; i++) out[i] = parzen_log_pdf(&p, pts[i]);
    parzen_free(&p);
    return OL_OK;
}

/* ---------- the sampler ---------- */

typedef struct {
    double key1, key2; /* ranking: (step key, signed value), ascending is better */
    int has_param;
    double value;      /* the parameter's internal value */
} observation;

/* Is observation i ranked before j? (key1, key2) ascending, ties by trial order. */
static int ranks_before(const observation *all, size_t i, size_t j) {
    const observation *x = &all[i], *y = &all[j];
    if (x->key1 != y->key1) return x->key1 < y->key1;
    if (x->key2 != y->key2) return x->key2 < y->key2;
    return i < j;
}

/* Does this stored parameter use ctx's distribution? Fast path: same JSON text. */
static int same_distribution(const ol_param_rec *pr, const ol_sample_ctx *ctx) {
    if (!strcmp(pr->distribution_json, ctx->dist_json)) return 1;
    ol_distribution other;
    if (ol_distribution_from_json(&other, pr->distribution_json, NULL)) return 0;
    int eq = ol_distribution_equal(&other, ctx->dist);
    ol_distribution_free(&other);
    return eq;
}

int ol_hpo_tpe_rank_key(const ol_trial_rec *t, int maximize, int constant_liar, int asking, double *key1,
                        double *key2) {
    double sign = maximize ? -1.0 : 1.0;
    if (t->state == OL_TRIAL_COMPLETE) {
        if (!t->has_value) return 0;
        *key1 = -INFINITY;
        *key2 = sign * t->value;
    } else if (t->state == OL_TRIAL_PRUNED) {
        if (t->n_intermediate > 0) {
            const ol_intermediate_rec *last = &t->intermediate[t->n_intermediate - 1];
            *key1 = -(double)last->step;
            *key2 = isnan(last->value) ? INFINITY : sign * last->value;
        } else {
            *key1 = 1;
            *key2 = 0;
        }
    } else if (t->state == OL_TRIAL_RUNNING && constant_liar && t->number != asking) {
        *key1 = INFINITY; /* the lie: worse than any finished trial */
        *key2 = INFINITY;
    } else
        return 0;
    return 1;
}

/*
 * What tpe_models derives from one trial, kept in the study's memo
 * (ol_sample_ctx.memo) for the trials that were finished when it was derived:
 * those never change, so at the next ask the row at the same position with
 * the same trial_id is taken as it is, and a long history is not searched by
 * parameter name and distribution text again. One list of rows per
 * (parameter, distribution text, direction); rows are by history position.
 */
typedef struct {
    int64_t trial_id;
    int finished; /* finished when derived: the row holds at later asks */
    int ranked;   /* ol_hpo_tpe_rank_key gave it a place in the ranking */
    observation ob;
} obs_row;

typedef struct {
    char *name, *dist_json;
    int maximize;
    obs_row *rows;
    size_t n, cap;
} obs_memo_param;

typedef struct {
    obs_memo_param *params;
    size_t n;
} obs_memo;

static const char tpe_memo_owner = 0; /* its address tells TPE's memo from another sampler's */

static void obs_memo_free(void *data) {
    obs_memo *m = data;
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->params[i].name);
        free(m->params[i].dist_json);
        free(m->params[i].rows);
    }
    free(m->params);
    free(m);
}

/* The memo rows of ctx's parameter, with room for every trial of ctx; NULL when there is
 * no memo (or no memory for one: the memo saves work only, so the ask goes on without it). */
static obs_memo_param *obs_memo_for(const ol_sample_ctx *ctx) {
    ol_sampler_memo *slot = ctx->memo;
    if (!slot || ol_hpo_tpe_exhaustive) return NULL;
    if (slot->owner != &tpe_memo_owner) {
        if (slot->free_data) slot->free_data(slot->data);
        *slot = (ol_sampler_memo){0};
        obs_memo *m = calloc(1, sizeof *m);
        if (!m) return NULL;
        *slot = (ol_sampler_memo){.owner = &tpe_memo_owner, .data = m, .free_data = obs_memo_free};
    }
    obs_memo *m = slot->data;
    obs_memo_param *p = NULL;
    for (size_t i = 0; i < m->n && !p; i++)
        if (m->params[i].maximize == ctx->maximize && !strcmp(m->params[i].name, ctx->param_name) &&
            !strcmp(m->params[i].dist_json, ctx->dist_json))
            p = &m->params[i];
    if (!p) {
        obs_memo_param *grown = realloc(m->params, (m->n + 1) * sizeof *grown);
        if (!grown) return NULL;
        m->params = grown;
        p = &grown[m->n];
        *p = (obs_memo_param){.name = strdup(ctx->param_name), .dist_json = strdup(ctx->dist_json),
                              .maximize = ctx->maximize};
        if (!p->name || !p->dist_json) {
            free(p->name);
            free(p->dist_json);
            return NULL;
        }
        m->n++;
    }
    if (p->cap < ctx->n_trials) {
        size_t cap = p->cap ? p->cap : 64;
        while (cap < ctx->n_trials) cap *= 2;
        obs_row *rows = realloc(p->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        p->rows = rows;
        p->cap = cap;
    }
    return p;
}

/*
 * The two estimators of one ask: l(x) from the "below" observations of
 * ctx's parameter, g(x) from the "above" ones. *startup = 1 (and no
 * estimators) while fewer than n_startup_trials trials are COMPLETE or PRUNED.
 */
static ol_status tpe_models(const ol_tpe_options *o, const ol_sample_ctx *ctx, parzen *lp, parzen *gp, int *startup,
                            ol_error *err) {
    memset(lp, 0, sizeof *lp);
    memset(gp, 0, sizeof *gp);
    *startup = 0;
    observation *obs = malloc((ctx->n_trials ? ctx->n_trials : 1) * sizeof *obs);
    if (!obs) return ol_fail(err, OL_ENOMEM, "out of memory");
    size_t n = 0, n_done = 0; /* observations; COMPLETE + PRUNED among them */
    obs_memo_param *memo = obs_memo_for(ctx);
    for (size_t i = 0; i < ctx->n_trials; i++) {
        const ol_trial_rec *t = &ctx->trials[i];
        observation ob = {0};
        int ranked;
        if (memo && i < memo->n && memo->rows[i].finished && memo->rows[i].trial_id == t->trial_id) {
            ranked = memo->rows[i].ranked;
            ob = memo->rows[i].ob;
        } else {
            ranked = ol_hpo_tpe_rank_key(t, ctx->maximize, o->constant_liar, ctx->trial_number, &ob.key1, &ob.key2);
            for (size_t k = 0; ranked && k < t->n_params; k++) {
                if (!strcmp(t->params[k].name, ctx->param_name) && same_distribution(&t->params[k], ctx)) {
                    ob.has_param = 1;
                    ob.value = t->params[k].value;
                    break;
                }
            }
            if (memo)
                memo->rows[i] = (obs_row){.trial_id = t->trial_id,
                                          .finished = t->state != OL_TRIAL_RUNNING && t->state != OL_TRIAL_WAITING,
                                          .ranked = ranked,
                                          .ob = ob};
        }
        if (!ranked) continue;
        if (t->state != OL_TRIAL_RUNNING) n_done++;
        obs[n++] = ob;
    }
    if (memo) memo->n = ctx->n_trials;

    if ((int)n_done < o->n_startup_trials) {
        free(obs);
        *startup = 1;
        return OL_OK;
    }

    size_t n_below = (size_t)ceil(0.1 * (double)n_done);
    if (n_below > (size_t)o->gamma_max) n_below = (size_t)o->gamma_max;
    size_t *idx = malloc(n * sizeof *idx);
    char *is_below = calloc(n, 1);
    double *below = malloc(n * sizeof *below), *above = malloc(n * sizeof *above);
    ol_status rc = OL_OK;
    if (!idx || !is_below || !below || !above) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    /* the n_below best, kept sorted in idx[0..n_below) by insertion: O(n * n_below), n_below <= 25 */
    size_t kept = 0;
    for (size_t i = 0; i < n && n_below > 0; i++) { /* n_below is 0 only with n_startup_trials 0 */
        if (kept == n_below && !ranks_before(obs, i, idx[kept - 1])) continue;
        size_t at = kept < n_below ? kept++ : kept - 1;
        while (at > 0 && ranks_before(obs, i, idx[at - 1])) {
            idx[at] = idx[at - 1];
            at--;
        }
        idx[at] = i;
    }
    for (size_t i = 0; i < kept; i++) is_below[idx[i]] = 1;
    size_t nb = 0, na = 0;
    for (size_t i = 0; i < n; i++) { /* trial order */
        if (!obs[i].has_param) continue;
        if (is_below[i]) below[nb++] = obs[i].value;
        else above[na++] = obs[i].value;
    }
    if (parzen_build(lp, ctx->dist, below, nb, o) || parzen_build(gp, ctx->dist, above, na, o))
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
out:
    free(obs);
    free(idx);
    free(is_below);
    free(below);
    free(above);
    return rc;
}

/* The candidate with the largest log l(x) - log g(x); the first one on ties (numpy's argmax). */
static size_t tpe_best(const parzen *lp, const parzen *gp, const double *cand, size_t m, double *scores) {
    double best_score = -INFINITY;
    size_t best = 0;
    for (size_t c = 0; c < m; c++) {
        double score = parzen_log_pdf(lp, cand[c]) - parzen_log_pdf(gp, cand[c]);
        if (scores) scores[c] = score;
        if (c == 0 || score > best_score) {
            best_score = score;
            best = c;
        }
    }
    return best;
}

ol_status ol_hpo_tpe_pick(const ol_sample_ctx *ctx, const double *cand, size_t m, size_t *best, double *scores,
                          int *startup, ol_error *err) {
    ol_tpe_options o = ol_tpe_defaults();
    parzen lp, gp;
    ol_status rc = tpe_models(&o, ctx, &lp, &gp, startup, err);
    if (!rc && !*startup) *best = tpe_best(&lp, &gp, cand, m, scores);
    parzen_free(&lp);
    parzen_free(&gp);
    return rc;
}

static ol_status tpe_sample(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err) {
    const ol_tpe_options *o = self->state;
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "tpe", ctx->trial_number, ctx->param_name);
    parzen lp, gp;
    int startup;
    ol_status rc = tpe_models(o, ctx, &lp, &gp, &startup, err);
    if (rc) goto out;
    if (startup) {
        *internal = ol_hpo_random_internal(ctx->dist, &rng);
        goto out;
    }
    double *cand = malloc((size_t)o->n_ei_candidates * sizeof *cand);
    if (!cand) {
        rc = ol_fail(err, OL_ENOMEM, "out of memory");
        goto out;
    }
    for (int c = 0; c < o->n_ei_candidates; c++) cand[c] = parzen_sample(&lp, &rng);
    *internal = cand[tpe_best(&lp, &gp, cand, (size_t)o->n_ei_candidates, NULL)];
    free(cand);
out:
    parzen_free(&lp);
    parzen_free(&gp);
    return rc;
}

ol_tpe_options ol_tpe_defaults(void) {
    return (ol_tpe_options){.n_startup_trials = 10,
                            .n_ei_candidates = 24,
                            .prior_weight = 1.0,
                            .consider_magic_clip = 1,
                            .consider_endpoints = 0,
                            .gamma_max = 25,
                            .constant_liar = 1};
}

static void tpe_destroy(ol_sampler *s) {
    free(s->state);
    free(s);
}

ol_status ol_sampler_tpe_new(ol_sampler **out, const ol_tpe_options *opt, ol_error *err) {
    *out = NULL;
    ol_tpe_options o = opt ? *opt : ol_tpe_defaults();
    if (o.n_startup_trials < 0) return ol_fail(err, OL_EINVAL, "TPE: n_startup_trials must be >= 0, got %d", o.n_startup_trials);
    if (o.n_ei_candidates < 1) return ol_fail(err, OL_EINVAL, "TPE: n_ei_candidates must be >= 1, got %d", o.n_ei_candidates);
    if (!(o.prior_weight > 0)) return ol_fail(err, OL_EINVAL, "TPE: prior_weight must be > 0, got %g", o.prior_weight);
    if (o.gamma_max < 1) return ol_fail(err, OL_EINVAL, "TPE: gamma_max must be >= 1, got %d", o.gamma_max);
    ol_sampler *s = calloc(1, sizeof *s);
    ol_tpe_options *st = malloc(sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    *st = o;
    s->name = "tpe";
    s->sample = tpe_sample;
    s->destroy = tpe_destroy;
    s->state = st;
    *out = s;
    return OL_OK;
}
