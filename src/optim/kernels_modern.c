/*
 * kernels_modern.c — step functions of the six optimizers torch 1.13 lacks
 * (registry_modern.c): Lion, LAMB, Adafactor, Schedule-Free AdamW, Muon,
 * Prodigy. Each follows its paper's algorithm box; the numpy references in
 * tests/optim/golden/modern_reference.py are written from the same boxes and
 * use the same float32 order of operations (scalars formed in double then
 * rounded to float, norms and sums accumulated in double), so replays agree
 * to rounding (tests/optim/replay_goldens.sh).
 *
 * Lion, Schedule-Free AdamW and Prodigy are elementwise: one fused pass.
 * LAMB and Adafactor need per-tensor norms first, so they make two or three
 * passes over each tensor (recomputing the update rather than storing it:
 * no allocation). Muon's Newton-Schulz iteration is matrix products in the
 * group's scratch: in liboptlab, BLAS (cblas_sgemm, as the numpy reference and
 * torch compute them; see docs/optimizers.md); in liboptlab-optim, which links
 * libm only, plain loops (OL_OPTIM_BLAS=0, below).
 *
 * Norms and sums are double accumulators over float32 values; `omp simd
 * reduction` (built with -fopenmp-simd, no OpenMP runtime) lets gcc vectorise
 * those loops by summing in several lanes: the double sums then differ from a
 * sequential sum in the last bits of a double, far below float32 resolution.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "vect-cost-model=dynamic")
#endif

#include <math.h>
#include <string.h>

#include "optim_internal.h"
#if OL_OPTIM_BLAS
#include <cblas.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OL_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define OL_KERNEL
#endif

#define HP(id) (a->hp[OL_HP_##id])
#define FLAG(id) (a->hp[OL_HP_##id] != 0.0)

static size_t tensor_size(const ol_tensor_view *t) { return t->cols ? t->rows * t->cols : t->rows; }

/* ---- Lion (Chen et al. 2023, Algorithm 2): state = m ---- */
OL_KERNEL void ol_step_lion(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE);
    const float b1 = (float)HP(BETA1), one_m_b1 = (float)(1.0 - HP(BETA1));
    const float b2 = (float)HP(BETA2), one_m_b2 = (float)(1.0 - HP(BETA2));
    const float decay = (float)(1.0 - lr * HP(WEIGHT_DECAY)), lrf = (float)lr;
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        const float d = g[i] * sign;
        const float c = b1 * m[i] + one_m_b1 * d;
        const float s = (float)(c > 0.0f) - (float)(c < 0.0f);
        p[i] = p[i] * decay - lrf * s;
        m[i] = b2 * m[i] + one_m_b2 * d;
    }
}

/* ---- LAMB (You et al. 2020, Algorithm 2): state = m, v; one trust ratio per tensor ---- */
OL_KERNEL void ol_step_lamb(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict v = a->state + n;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE), t = (double)a->step;
    const int bc = FLAG(BIAS_CORRECTION);
    const float c1 = bc ? (float)(1.0 - pow(HP(BETA1), t)) : 1.0f, c2 = bc ? (float)(1.0 - pow(HP(BETA2), t)) : 1.0f;
    const float b1 = (float)HP(BETA1), one_m_b1 = (float)(1.0 - HP(BETA1));
    const float b2 = (float)HP(BETA2), one_m_b2 = (float)(1.0 - HP(BETA2));
    const float eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t k = 0; k < a->n_tensors; k++) {
        const size_t lo = a->tensors[k].offset, hi = lo + tensor_size(&a->tensors[k]);
        double pn = 0.0, un = 0.0;
#pragma omp simd reduction(+ : pn, un)
        for (size_t i = lo; i < hi; i++) { /* moments, and the two norms of the trust ratio */
            const float d = g[i] * sign;
            const float mi = b1 * m[i] + one_m_b1 * d, vi = b2 * v[i] + (one_m_b2 * d) * d;
            m[i] = mi;
            v[i] = vi;
            const float u = (mi / c1) / (sqrtf(vi / c2) + eps) + wd * p[i];
            pn += (double)p[i] * p[i];
            un += (double)u * u;
        }
        pn = sqrt(pn);
        un = sqrt(un);
        const float step = (float)(lr * (pn > 0.0 && un > 0.0 ? pn / un : 1.0));
        for (size_t i = lo; i < hi; i++) {
            const float u = (m[i] / c1) / (sqrtf(v[i] / c2) + eps) + wd * p[i];
            p[i] = p[i] - step * u;
        }
    }
}

/* ---- Adafactor (Shazeer & Stern 2018, Algorithms 4 and 5): state = momentum, second moment
 * (slot 1 holds, per tensor at its offset, V for an unfactored tensor or R then C for a
 * factored one: rows + cols <= rows * cols when both are >= 2); scratch = the column sums
 * of a factored tensor, as doubles ---- */
size_t ol_adafactor_scratch_floats(const ol_tensor_view *tensors, size_t n_tensors) {
    size_t most = 0;
    for (size_t i = 0; i < n_tensors; i++)
        if (tensors[i].rows >= 2 && tensors[i].cols >= 2 && 2 * tensors[i].cols > most) most = 2 * tensors[i].cols;
    return most;
}

OL_KERNEL void ol_step_adafactor(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict mom = a->state, *restrict sec = a->state + n;
    const float *restrict g = a->grads;
    const double t = (double)a->step, lr = HP(LEARNING_RATE);
    const double rho = FLAG(RELATIVE_STEP) ? fmin(lr, 1.0 / sqrt(t)) : lr;
    const double beta2t = 1.0 - pow(t, HP(DECAY_RATE));
    const float fb = (float)beta2t, fo = (float)(1.0 - beta2t), eps1 = (float)HP(EPS);
    const double eps2 = HP(EPS2), clip = HP(CLIP_THRESHOLD), b1 = HP(BETA1), wd = HP(WEIGHT_DECAY);
    const float b1f = (float)b1, one_m_b1 = (float)(1.0 - b1), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t k = 0; k < a->n_tensors; k++) {
        const ol_tensor_view *T = &a->tensors[k];
        const size_t lo = T->offset, size = tensor_size(T), rows = T->rows, cols = T->cols;
        const int factored = rows >= 2 && cols >= 2;
        /* viewed as rows x width: a factored tensor's own shape, anything else one row */
        const size_t nrows = factored ? rows : 1, width = factored ? cols : size;
        float *restrict P = p + lo, *restrict M = mom + lo, *restrict S = sec + lo;
        const float *restrict G = g + lo;
        float *restrict R = S, *restrict C = S + rows;
        double xs = 0.0;
#pragma omp simd reduction(+ : xs)
        for (size_t i = 0; i < size; i++) xs += (double)P[i] * P[i];
        const double alpha = FLAG(SCALE_PARAMETER) ? rho * fmax(eps2, sqrt(xs / (double)size)) : rho;
        float rsum = 1.0f;
        if (factored) {
            double *restrict colsum = (double *)a->scratch, total = 0.0;
            for (size_t c = 0; c < cols; c++) colsum[c] = 0.0;
            for (size_t r = 0; r < rows; r++) {
                const float *restrict Gr = G + r * cols;
                double rs = 0.0;
#pragma omp simd reduction(+ : rs)
                for (size_t c = 0; c < cols; c++) {
                    const float d = Gr[c] * sign;
                    const double q = (double)(d * d + eps1);
                    rs += q;
                    colsum[c] += q;
                }
                R[r] = fb * R[r] + fo * (float)rs;
                total += (double)R[r];
            }
            for (size_t c = 0; c < cols; c++) C[c] = fb * C[c] + fo * (float)colsum[c];
            rsum = (float)total;
        } else {
            for (size_t i = 0; i < size; i++) {
                const float d = G[i] * sign;
                S[i] = fb * S[i] + fo * (d * d + eps1);
            }
        }
        /* U = g / sqrt(V): V = (R_r / sum(R)) C_c for a factored tensor, else V itself (one row,
         * rr = 1: multiplying by 1 is exact, and the loop has no branch) */
        const float *restrict Vrow = factored ? C : S;
        double us = 0.0;
        for (size_t r = 0; r < nrows; r++) {
            const float rr = factored ? R[r] / rsum : 1.0f; /* V = (R / sum(R)) C^T */
            const float *restrict Gr = G + r * width;
#pragma omp simd reduction(+ : us)
            for (size_t c = 0; c < width; c++) {
                const float v = rr * Vrow[c]; /* exact V[c] when unfactored (1 * V) */
                const float u = (Gr[c] * sign) / sqrtf(v);
                us += (double)u * u;
            }
        }
        const float shrink = (float)(1.0 / fmax(1.0, sqrt(us / (double)size) / clip)); /* U / max(1, RMS(U)/d) */
        const float af = (float)alpha, awd = (float)(alpha * wd);
        for (size_t r = 0; r < nrows; r++) {
            const float rr = factored ? R[r] / rsum : 1.0f; /* V = (R / sum(R)) C^T */
            const float *restrict Gr = G + r * width;
            float *restrict Pr = P + r * width, *restrict Mr = M + r * width;
            if (b1 > 0.0) {
                for (size_t c = 0; c < width; c++) {
                    const float v = rr * Vrow[c]; /* exact V[c] when unfactored (1 * V) */
                    const float u = b1f * Mr[c] + one_m_b1 * (((Gr[c] * sign) / sqrtf(v)) * shrink);
                    Mr[c] = u;
                    Pr[c] = (Pr[c] - awd * Pr[c]) - af * u;
                }
            } else {
                for (size_t c = 0; c < width; c++) {
                    const float v = rr * Vrow[c]; /* exact V[c] when unfactored (1 * V) */
                    const float u = ((Gr[c] * sign) / sqrtf(v)) * shrink;
                    Pr[c] = (Pr[c] - awd * Pr[c]) - af * u;
                }
            }
        }
    }
}

/* ---- Schedule-Free AdamW (Defazio et al. 2024, Algorithm 1): params = y; state = z, x, v;
 * scalars[0] = 1 once z and x hold the initial params, scalars[1] = sum of gamma_i^2 ---- */
OL_KERNEL void ol_step_sfadamw(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict y = a->params, *restrict z = a->state, *restrict x = a->state + n, *restrict v = a->state + 2 * n;
    const float *restrict g = a->grads;
    if (a->scalars[0] == 0.0) {
        memcpy(z, y, n * sizeof *z);
        memcpy(x, y, n * sizeof *x);
        a->scalars[0] = 1.0;
    }
    const double t = (double)a->step, b2 = HP(BETA2), warm = HP(WARMUP_STEPS);
    const double gamma = HP(LEARNING_RATE) * sqrt(1.0 - pow(b2, t)) * (warm > 0.0 ? fmin(1.0, t / warm) : 1.0);
    a->scalars[1] += gamma * gamma;
    const double c = a->scalars[1] > 0.0 ? gamma * gamma / a->scalars[1] : 0.0;
    const float gf = (float)gamma, gwd = (float)(gamma * HP(WEIGHT_DECAY)), eps = (float)HP(EPS);
    const float b2f = (float)b2, one_m_b2 = (float)(1.0 - b2), cf = (float)c, one_m_c = (float)(1.0 - c);
    const float b1f = (float)HP(BETA1), one_m_b1 = (float)(1.0 - HP(BETA1)), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        const float d = g[i] * sign;
        const float vi = b2f * v[i] + (one_m_b2 * d) * d;
        v[i] = vi;
        const float zi = (z[i] - (gf * d) / (sqrtf(vi) + eps)) - gwd * y[i];
        const float xi = one_m_c * x[i] + cf * zi;
        z[i] = zi;
        x[i] = xi;
        y[i] = one_m_b1 * zi + b1f * xi;
    }
}

/* Evaluation point x into params, or the training point y = (1 - beta1) z + beta1 x back
 * (the same float expression as the step's, so bit-identical). Nothing before the first step. */
void ol_sfadamw_eval_params(const ol_optim_step_args *a, int eval) {
    if (a->scalars[0] == 0.0) return;
    const size_t n = a->n;
    float *restrict y = a->params;
    const float *restrict z = a->state, *restrict x = a->state + n;
    const float b1f = (float)HP(BETA1), one_m_b1 = (float)(1.0 - HP(BETA1));
    if (eval) memcpy(y, x, n * sizeof *y);
    else
        for (size_t i = 0; i < n; i++) y[i] = one_m_b1 * z[i] + b1f * x[i];
}

/* ---- Prodigy (Mishchenko & Defazio 2023, Adam version): state = p_0, m, v, s;
 * scalars[0] = d (0 until the first step), scalars[1] = r, and this step's share of the
 * estimate: scalars[2] = (1 - sqrt(beta2)) lr d^2 <g, p_0 - p>, scalars[3] = ||s||_1 over the
 * group. d and r are one for the whole optimizer (the paper's d is a single number):
 * ol_prodigy_after_groups sums the shares of every group and writes d and r back to each. ---- */
OL_KERNEL void ol_step_prodigy(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict x0 = a->state, *restrict m = a->state + n, *restrict v = a->state + 2 * n,
                    *restrict s = a->state + 3 * n;
    const float *restrict g = a->grads;
    if (a->scalars[0] == 0.0) {
        memcpy(x0, p, n * sizeof *x0);
        a->scalars[0] = HP(D0);
        a->scalars[1] = 0.0;
    }
    const double lr = HP(LEARNING_RATE), b1 = HP(BETA1), b2 = HP(BETA2), d = a->scalars[0];
    const double sb2 = sqrt(b2);
    const float b1f = (float)b1, cm = (float)((1.0 - b1) * d), b2f = (float)b2, cv = (float)((1.0 - b2) * d * d);
    const float sb2f = (float)sb2, cs = (float)((1.0 - sb2) * lr * d * d);
    const float decay = (float)(1.0 - lr * d * HP(WEIGHT_DECAY)), lrd = (float)(lr * d), deps = (float)(d * HP(EPS));
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    double dot = 0.0, s1 = 0.0;
#pragma omp simd reduction(+ : dot, s1)
    for (size_t i = 0; i < n; i++) {
        const float gi = g[i] * sign;
        dot += (double)gi * (double)(x0[i] - p[i]);
        const float mi = b1f * m[i] + cm * gi, vi = b2f * v[i] + (cv * gi) * gi, si = sb2f * s[i] + cs * gi;
        m[i] = mi;
        v[i] = vi;
        s[i] = si;
        s1 += fabs((double)si);
        p[i] = p[i] * decay - (lrd * mi) / (sqrtf(vi) + deps);
    }
    a->scalars[2] = (1.0 - sb2) * lr * d * d * dot;
    a->scalars[3] = s1;
}

/* After every group's step: r = sqrt(beta2) r + the groups' shares, d = max(d, d_coef r / ||s||_1)
 * with ||s||_1 over all groups (the estimate waits while it is 0); written back to every group. */
void ol_prodigy_after_groups(double *const *scalars, size_t n_groups, const double *hp) {
    double term = 0.0, s1 = 0.0;
    for (size_t i = 0; i < n_groups; i++) {
        term += scalars[i][2];
        s1 += scalars[i][3];
    }
    const double r = sqrt(hp[OL_HP_BETA2]) * scalars[0][1] + term;
    double d = scalars[0][0];
    if (s1 > 0.0) d = fmax(d, hp[OL_HP_D_COEF] * r / s1);
    for (size_t i = 0; i < n_groups; i++) {
        scalars[i][0] = d;
        scalars[i][1] = r;
    }
}

/* ---- Muon (Jordan et al. 2024): state = momentum B (AdamW tensors: m), v (AdamW tensors) ---- */

/* Scratch for the largest matrix tensor: X and its next iterate (k x K each, k = min,
 * K = max of rows and cols), A = X X^T, A A and the polynomial B (k x k each). */
size_t ol_muon_scratch_floats(const ol_tensor_view *tensors, size_t n_tensors) {
    size_t most = 0;
    for (size_t i = 0; i < n_tensors; i++) {
        if (!tensors[i].cols) continue;
        const size_t k = tensors[i].rows < tensors[i].cols ? tensors[i].rows : tensors[i].cols;
        const size_t K = tensors[i].rows < tensors[i].cols ? tensors[i].cols : tensors[i].rows;
        const size_t need = 2 * k * K + 3 * k * k;
        if (need > most) most = need;
    }
    return most;
}

/* The quintic Newton-Schulz iteration's coefficients (Jordan et al. 2024). */
#define NS_A 3.4445f
#define NS_B (-4.7750f)
#define NS_C 2.0315f

/* C (m x n) = A (m x p) times B (p x n), or times B^T when B is n x p (b_trans); row-major,
 * alpha 1, beta 0. With BLAS: sgemm, whose rounding the goldens were made with. Without
 * (liboptlab-optim): each entry one float fused multiply-add after another along the
 * inner dimension, as OpenBLAS's kernels accumulate a C entry in a register lane (one
 * block of the inner dimension; several hundred long here, OpenBLAS then adds blocks, so
 * very large matrices may round differently). The goldens replay exactly this way
 * (tests/optim/replay_optim_only.sh); a double sum strayed by 2e-5. */
static void matmul(int b_trans, size_t m, size_t n, size_t p, const float *A, const float *B, float *C) {
#if OL_OPTIM_BLAS
    const int im = (int)m, in = (int)n, ip = (int)p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, b_trans ? CblasTrans : CblasNoTrans, im, in, ip, 1.0f, A, ip, B,
                b_trans ? ip : in, 0.0f, C, in);
#else
    for (size_t i = 0; i < m; i++) {
        const float *a = A + i * p;
        for (size_t j = 0; j < n; j++) {
            float sum = 0.0f;
            if (b_trans) {
                const float *b = B + j * p;
                for (size_t q = 0; q < p; q++) sum = fmaf(a[q], b[q], sum);
            } else {
                for (size_t q = 0; q < p; q++) sum = fmaf(a[q], B[q * n + j], sum);
            }
            C[i * n + j] = sum;
        }
    }
#endif
}

/* Orthogonalise the k x K matrix X (k <= K) in place, steps iterations; work = kK + 3k^2 floats
 * after X's own kK. Returns the buffer holding the result (X or its twin). The products are
 * plain matrix products (alpha 1, beta 0) and the polynomial's sums elementwise in float, as
 * the numpy reference computes them. */
static float *newton_schulz(float *X, size_t k, size_t K, int steps, float *work) {
    float *Xn = work, *A = work + k * K, *AA = A + k * k, *B = AA + k * k;
    for (int s = 0; s < steps; s++) {
        matmul(1, k, k, K, X, X, A);  /* A = X X^T */
        matmul(0, k, k, k, A, A, AA); /* AA = A A */
        for (size_t i = 0; i < k * k; i++) B[i] = NS_B * A[i] + NS_C * AA[i];
        matmul(0, k, K, k, B, X, Xn); /* Xn = B X */
        for (size_t i = 0; i < k * K; i++) Xn[i] = NS_A * X[i] + Xn[i];
        float *swap = X;
        X = Xn;
        Xn = swap;
    }
    return X;
}

void ol_step_muon(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict buf = a->state, *restrict v = a->state + n;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE), t = (double)a->step, wd = HP(WEIGHT_DECAY);
    const float mu = (float)HP(MOMENTUM), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    const int nesterov = FLAG(NESTEROV), steps = (int)HP(NS_STEPS), rms = FLAG(RMS_MATCH);
    /* AdamW tensors: torch.optim.AdamW 1.13's update at lr * adamw_lr_ratio */
    const double alr = lr * HP(ADAMW_LR_RATIO), b1 = HP(BETA1), b2 = HP(BETA2);
    const float adecay = (float)(1.0 - alr * wd), astep = (float)(alr / (1.0 - pow(b1, t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow(b2, t)), eps = (float)HP(EPS);
    const float b1f = (float)b1, one_m_b1 = (float)(1.0 - b1), b2f = (float)b2, one_m_b2 = (float)(1.0 - b2);
    for (size_t k = 0; k < a->n_tensors; k++) {
        const ol_tensor_view *T = &a->tensors[k];
        const size_t lo = T->offset, size = tensor_size(T);
        if (!T->matrix) {
            for (size_t i = lo; i < lo + size; i++) {
                const float d = g[i] * sign;
                const float w = p[i] * adecay;
                const float mi = b1f * buf[i] + one_m_b1 * d, vi = b2f * v[i] + (one_m_b2 * d) * d;
                buf[i] = mi;
                v[i] = vi;
                p[i] = w - (astep * mi) / (sqrtf(vi) / bc2_sqrt + eps);
            }
            continue;
        }
        const size_t rows = T->rows, cols = T->cols, tall = rows > cols;
        const size_t kk = tall ? cols : rows, KK = tall ? rows : cols;
        float *X = a->scratch;
        double norm = 0.0;
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                const size_t i = lo + r * cols + c;
                const float d = g[i] * sign;
                const float b = mu * buf[i] + d;
                buf[i] = b;
                const float u = nesterov ? d + mu * b : b;
                X[tall ? c * rows + r : r * cols + c] = u; /* X is k x K: the transpose when tall */
                norm += (double)u * u;
            }
        const float scale_in = (float)(sqrt(norm) + 1e-7);
        for (size_t i = 0; i < size; i++) X[i] = X[i] / scale_in;
        const float *O = newton_schulz(X, kk, KK, steps, a->scratch + kk * KK);
        const double s = rms ? 0.2 * sqrt((double)(rows > cols ? rows : cols)) : sqrt(fmax(1.0, (double)rows / (double)cols));
        const float decay = (float)(1.0 - lr * wd), step = (float)(lr * s);
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                const size_t i = lo + r * cols + c;
                p[i] = p[i] * decay - step * O[tall ? c * rows + r : r * cols + c];
            }
    }
}
