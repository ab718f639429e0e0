/*
 * stats.c — the statistics behind the report's "Repetitions" section: mean
 * and 95 % confidence interval of R values (Student's t with R−1 degrees of
 * freedom), the paired t-test and the exact paired sign-flip (permutation)
 * test of two optimizers' per-repetition results, and Holm's correction for
 * comparing several pairs at once. Pure functions of numbers, no storage.
 *
 * The t quantile t(0.975, df) comes from a table for df 1..30 (the standard
 * values to 6 decimals) and, above 30, the Cornish–Fisher expansion of t in
 * powers of 1/df around the normal quantile 1.959964 (error below 1e-5 at
 * df = 31, shrinking with df). The t distribution's tail probability uses the
 * regularised incomplete beta function, evaluated by its continued fraction.
 */
#include <math.h>
#include <stdlib.h>

#include "report_internal.h"

static const double T975[31] = {
    NAN,      12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
    2.200985, 2.178813,  2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614,
    2.073873, 2.068658,  2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
};

double rp_t975(int df) {
    if (df < 1) return NAN;
    if (df <= 30) return T975[df];
    double z = 1.959963985, v = df, z2 = z * z;
    return z + (z2 * z + z) / (4 * v) + (5 * z2 * z2 * z + 16 * z2 * z + 3 * z) / (96 * v * v) +
           (3 * z2 * z2 * z2 * z + 19 * z2 * z2 * z + 17 * z2 * z - 15 * z) / (384 * v * v * v);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double inc_beta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
    return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double rp_t_two_sided_p(double t, int df) {
    if (df < 1 || isnan(t)) return NAN;
    if (isinf(t)) return 0;
    double v = df;
    return inc_beta(v / 2, 0.5, v / (v + t * t));
}

void rp_mean_ci(const double *x, int n, double *mean, double *half) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = n > 0 ? s / n : NAN;
    if (n < 2) {
        *half = NAN;
        return;
    }
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    double sd = sqrt(ss / (n - 1));
    *half = rp_t975(n - 1) * sd / sqrt((double)n);
}

void rp_paired_t(const double *a, const double *b, int n, double *mean_diff, double *half, double *t, double *p) {
    double d[RP_MAX_REPS] = {0};
    if (n > RP_MAX_REPS) n = RP_MAX_REPS;
    for (int i = 0; i < n; i++) d[i] = a[i] - b[i];
    rp_mean_ci(d, n, mean_diff, half);
    if (n < 2) {
        *t = *p = NAN;
        return;
    }
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (d[i] - *mean_diff) * (d[i] - *mean_diff);
    double se = sqrt(ss / (n - 1)) / sqrt((double)n);
    /* differences measured on a finite test set are multiples of 1/n_test: compare with a tolerance */
    if (se < 1e-12) {
        *t = fabs(*mean_diff) < 1e-12 ? 0 : copysign(INFINITY, *mean_diff);
        *p = fabs(*mean_diff) < 1e-12 ? 1 : 0;
        return;
    }
    *t = *mean_diff / se;
    *p = rp_t_two_sided_p(*t, n - 1);
}

double rp_sign_flip_p(const double *a, const double *b, int n) {
    if (n < 1 || n > RP_MAX_EXACT) return NAN;
    double d[RP_MAX_EXACT], obs = 0;
    for (int i = 0; i < n; i++) {
        d[i] = a[i] - b[i];
        obs += d[i];
    }
    obs = fabs(obs);
    unsigned long total = 1ul << n, extreme = 0;
    for (unsigned long m = 0; m < total; m++) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (m >> i & 1) ? -d[i] : d[i];
        /* relative tolerance: sums of equal magnitude count as extreme despite rounding */
        if (fabs(s) >= obs - 1e-12 * (1 + obs)) extreme++;
    }
    return (double)extreme / (double)total;
}

void rp_holm(const double *p, int m, double *adjusted) {
    int order[RP_MAX_PAIRS];
    if (m > RP_MAX_PAIRS) m = RP_MAX_PAIRS;
    for (int i = 0; i < m; i++) order[i] = i;
    for (int i = 1; i < m; i++) /* insertion sort by p, NaN last */
        for (int j = i; j > 0; j--) {
            double x = p[order[j - 1]], y = p[order[j]];
            if (isnan(x) ? isnan(y) : (isnan(y) || x <= y)) break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double running = 0;
    for (int k = 0; k < m; k++) {
        double v = p[order[k]];
        if (isnan(v)) {
            adjusted[order[k]] = NAN;
            continue;
        }
        double adj = (m - k) * v;
        if (adj > 1) adj = 1;
        if (adj < running) adj = running;
        running = adj;
        adjusted[order[k]] = adj;
    }
}

int rp_finite_mean_ci(const double *x, int n, double *mean, double *half) {
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    int m = 0;
    if (v)
        for (int i = 0; i < n; i++)
            if (isfinite(x[i])) v[m++] = x[i];
    *mean = NAN;
    *half = NAN;
    if (m > 0) rp_mean_ci(v, m, mean, half);
    free(v);
    return m;
}
