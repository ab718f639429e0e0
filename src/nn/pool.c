/*
 * MaxPool2d(2, 2): forward and backward over C·B planes in CB layout, in
 * plain C and, for rows of at most 32 floats, AVX-512, or on CPUs without it
 * AVX2 for any row (chosen at run time).
 * A training forward records window masks (pool_window.h) so that the
 * backward reads neither the pool's input nor its output; when the pool's
 * input is a ReLU output its backward is folded in here.
 */
#include "pool_window.h"

/* uint16_t masks of nn_maxpool_forward's window masks for B images; 0 when not recorded. */
size_t nn_maxpool_wmask_count(const nn_layer *P, int B) {
    return P->out_w <= 16 ? (size_t)4 * P->out_c * B * P->out_h : 0;
}

#if NN_X86
int nn_use_avx512_bmi2(void) {
    static int bmi2 = -1;
    if (bmi2 < 0) {
        __builtin_cpu_init();
        bmi2 = __builtin_cpu_supports("bmi2") ? 1 : 0;
    }
    return bmi2 && nn_use_avx512();
}

/* maxpool_fwd_masks_avx512 for NV vectors a row (W <= 16 · NV), MASK_RELU as L->pool_masks_relu. */
NN_AVX512_INLINE void maxpool_fwd_masks_rows(const int NV, const int MASK_RELU, const float *in,
                                             size_t planes, int H, int W, int Ho, int Wo,
                                             float *out, uint16_t *wmask) {
    const pool_lanes pl = pool_lanes_make(W, Wo);
    const __mmask16 *lm = pl.lm, om = pl.om;
    const __m512i iev = pl.iev, iod = pl.iod;
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            size_t row = p * Ho + oy;
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            __m512 a0 = _mm512_maskz_loadu_ps(lm[0], r0), a1 = _mm512_maskz_loadu_ps(lm[0], r1);
            __m512 e0, o0, e1, o1;
            if (NV > 1) {
                __m512 b0 = _mm512_maskz_loadu_ps(lm[1], r0 + 16);
                __m512 b1 = _mm512_maskz_loadu_ps(lm[1], r1 + 16);
                e0 = _mm512_permutex2var_ps(a0, iev, b0), o0 = _mm512_permutex2var_ps(a0, iod, b0);
                e1 = _mm512_permutex2var_ps(a1, iev, b1), o1 = _mm512_permutex2var_ps(a1, iod, b1);
            } else { /* one source: lanes past Wo are junk, masked off by om */
                e0 = _mm512_permutexvar_ps(iev, a0), o0 = _mm512_permutexvar_ps(iod, a0);
                e1 = _mm512_permutexvar_ps(iev, a1), o1 = _mm512_permutexvar_ps(iod, a1);
            }
            __m512 mx = pool_window(e0, o0, e1, o1, MASK_RELU, om, wmask + 4 * row);
            _mm512_mask_storeu_ps(out + row * Wo, om, mx);
        }
    }
}

/* The training forward of an AVX-512 max-pool (W even, <= 32): also the window masks. */
NN_AVX512_BMI2 static void maxpool_fwd_masks_avx512(const float *in, size_t planes, int H, int W,
                                                    int Ho, int Wo, int mask_relu, float *out,
                                                    uint16_t *wmask) {
    if (W > 16) {
        if (mask_relu) maxpool_fwd_masks_rows(2, 1, in, planes, H, W, Ho, Wo, out, wmask);
        else maxpool_fwd_masks_rows(2, 0, in, planes, H, W, Ho, Wo, out, wmask);
    } else {
        if (mask_relu) maxpool_fwd_masks_rows(1, 1, in, planes, H, W, Ho, Wo, out, wmask);
        else maxpool_fwd_masks_rows(1, 0, in, planes, H, W, Ho, Wo, out, wmask);
    }
}

/* Backward from the window masks maxpool_fwd_masks_avx512 recorded: din written whole. */
NN_AVX512_BMI2 static void maxpool_bwd_masks_avx512(const uint16_t *wmask, const float *dout,
                                                    size_t planes, int H, int W, int Ho, int Wo,
                                                    float *din) {
    const pool_lanes pl = pool_lanes_make(W, Wo);
    const __mmask16 *lm = pl.lm, om = pl.om;
    const __m512i *idup = pl.idup;
    for (size_t p = 0; p < planes; p++) {
        float *dst = din + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            size_t row = p * Ho + oy;
            float *d0 = dst + (size_t)(2 * oy) * W, *d1 = d0 + W;
            __m512 g = _mm512_maskz_loadu_ps(om, dout + row * Wo), d[2][2];
            if (W > 16) {
                pool_window_grad(g, wmask + 4 * row, idup, 2, d);
                _mm512_mask_storeu_ps(d0 + 16, lm[1], d[0][1]);
                _mm512_mask_storeu_ps(d1 + 16, lm[1], d[1][1]);
            } else {
                pool_window_grad(g, wmask + 4 * row, idup, 1, d);
            }
            _mm512_mask_storeu_ps(d0, lm[0], d[0][0]);
            _mm512_mask_storeu_ps(d1, lm[0], d[1][0]);
        }
    }
}

/*
 * AVX-512 max-pool for planes whose width W is even and at most 32 (one
 * input row = one or two vectors), without window masks (evaluation): the
 * four values of each window are compared lane-wise, pairs reduced by
 * permutes.
 */
__attribute__((target("avx512f"))) static void maxpool_fwd_avx512(const float *in, size_t planes,
                                                                   int H, int W, int Ho, int Wo,
                                                                   float *out) {
    int nv = (W + 15) / 16;
    const pool_lanes pl = pool_lanes_make(W, Wo);
    const __mmask16 *lm = pl.lm, om = pl.om;
    const __m512i iev = pl.iev, iod = pl.iod;
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            __m512 m[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int v = 0; v < nv; v++)
                m[v] = _mm512_max_ps(_mm512_maskz_loadu_ps(lm[v], r0 + 16 * v),
                                     _mm512_maskz_loadu_ps(lm[v], r1 + 16 * v));
            __m512 a = _mm512_permutex2var_ps(m[0], iev, m[1]);
            __m512 b = _mm512_permutex2var_ps(m[0], iod, m[1]);
            /* same order of comparisons as the scalar code: max(a, b) then rows */
            _mm512_mask_storeu_ps(dst + (size_t)oy * Wo, om, _mm512_max_ps(a, b));
        }
    }
}

/*
 * AVX2 forms (CPUs without AVX-512), any W: 8 windows at a time, their 16
 * inputs of each row loaded (masked at the row's end) and split into even
 * and odd columns. The maximum is taken in the scalar code's order, m = a,
 * then b, c, d each replacing m when greater (vmaxps(x, m) is exactly
 * x > m ? x : m, NaN and −0 included), and the window masks from the same
 * comparisons, so both forms give the same floats and masks.
 */
#define NN_AVX2 __attribute__((target("avx2,fma")))
#define NN_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* lanes 0..n-1 of 8 */
NN_AVX2_INLINE __m256i pool_lanes8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* even and odd columns of the 2·nw floats at r (nw <= 8) */
NN_AVX2_INLINE void split_row(const float *r, int nw, __m256 *ev, __m256 *od) {
    __m256 a, b;
    if (nw == 8) {
        a = _mm256_loadu_ps(r);
        b = _mm256_loadu_ps(r + 8);
    } else {
        a = _mm256_maskload_ps(r, pool_lanes8(2 * nw));
        b = _mm256_maskload_ps(r + 8, pool_lanes8(2 * nw - 8));
    }
    /* shuffle: [a0 a2 b0 b2 | a4 a6 b4 b6]; permute 64-bit pairs 0,2,1,3 → a0 a2 a4 a6 b0 b2 b4 b6 */
    *ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
    *od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}

NN_AVX2 static void maxpool_fwd_avx2(const float *in, size_t planes, int H, int W, int Ho, int Wo,
                                     int mask_relu, float *out, uint16_t *wmask) {
    /* rows are written in address order: a whole-vector store's lanes past its
     * row are overwritten by the next row (masked stores are slow on AMD) */
    const float *out_end = out + planes * Ho * Wo;
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            float *dst = out + (p * Ho + oy) * Wo;
            unsigned bits[4] = {0, 0, 0, 0};
            for (int ox = 0; ox < Wo; ox += 8) {
                int nw = Wo - ox < 8 ? Wo - ox : 8;
                __m256 a, b, c, d;
                split_row(r0 + 2 * ox, nw, &a, &b);
                split_row(r1 + 2 * ox, nw, &c, &d);
                __m256 m = _mm256_max_ps(d, _mm256_max_ps(c, _mm256_max_ps(b, a)));
                if (dst + ox + 8 <= out_end) _mm256_storeu_ps(dst + ox, m);
                else _mm256_maskstore_ps(dst + ox, pool_lanes8(nw), m);
                if (!wmask) continue;
                unsigned live = (1u << nw) - 1;
                if (mask_relu) live &= (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(m, _mm256_setzero_ps(), _CMP_GT_OQ));
                unsigned ja = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, m, _CMP_EQ_OQ));
                unsigned jb = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(b, m, _CMP_EQ_OQ)) & ~ja;
                unsigned jc = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(c, m, _CMP_EQ_OQ)) & ~(ja | jb);
                unsigned jd = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d, m, _CMP_EQ_OQ)) & ~(ja | jb | jc);
                bits[0] |= ja << ox;
                bits[1] |= jb << ox;
                bits[2] |= jc << ox;
                bits[3] |= jd << ox;
            }
            if (wmask)
                for (int j = 0; j < 4; j++) wmask[4 * (p * Ho + oy) + j] = (uint16_t)bits[j];
        }
    }
}

/* g where bit x of bits (window x of these 8) is set, else 0 */
NN_AVX2_INLINE __m256 grad_lanes(__m256 g, unsigned bits) {
    __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), sel), sel);
    return _mm256_and_ps(g, _mm256_castsi256_ps(on));
}

/* 2·nw floats at r ← columns even (ev) and odd (od) interleaved */
NN_AVX2_INLINE void join_row(float *r, int nw, __m256 ev, __m256 od) {
    __m256 lo = _mm256_unpacklo_ps(ev, od), hi = _mm256_unpackhi_ps(ev, od);
    __m256 a = _mm256_permute2f128_ps(lo, hi, 0x20), b = _mm256_permute2f128_ps(lo, hi, 0x31);
    if (nw == 8) {
        _mm256_storeu_ps(r, a);
        _mm256_storeu_ps(r + 8, b);
    } else {
        _mm256_maskstore_ps(r, pool_lanes8(2 * nw), a);
        _mm256_maskstore_ps(r + 8, pool_lanes8(2 * nw - 8), b);
    }
}

/* Backward from the window masks maxpool_fwd_avx2 (or the plain forward) recorded. */
NN_AVX2 static void maxpool_bwd_masks_avx2(const uint16_t *wmask, const float *dout, size_t planes,
                                           int H, int W, int Ho, int Wo, float *din) {
    for (size_t p = 0; p < planes; p++)
        for (int oy = 0; oy < Ho; oy++) {
            const uint16_t *wm = wmask + 4 * (p * Ho + oy);
            const float *g = dout + (p * Ho + oy) * Wo;
            float *d0 = din + p * H * W + (size_t)(2 * oy) * W, *d1 = d0 + W;
            for (int ox = 0; ox < Wo; ox += 8) {
                int nw = Wo - ox < 8 ? Wo - ox : 8;
                __m256 gv = nw == 8 ? _mm256_loadu_ps(g + ox) : _mm256_maskload_ps(g + ox, pool_lanes8(nw));
                join_row(d0 + 2 * ox, nw, grad_lanes(gv, wm[0] >> ox), grad_lanes(gv, wm[1] >> ox));
                join_row(d1 + 2 * ox, nw, grad_lanes(gv, wm[2] >> ox), grad_lanes(gv, wm[3] >> ox));
            }
        }
}
#endif

/*
 * MaxPool2d(2,2) forward over C·B planes of H×W → Ho×Wo (floored). With
 * wmask (a training forward; nn_maxpool_wmask_count of them) it also records
 * the window masks for nn_maxpool_backward.
 */
void nn_maxpool_forward(const nn_layer *L, const float *in, int B, float *out, uint16_t *wmask) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
#if NN_X86
    if (nn_use_avx512() && W % 2 == 0 && W <= 32) {
        if (!wmask) {
            maxpool_fwd_avx512(in, planes, H, W, Ho, Wo, out);
            return;
        }
        if (nn_use_avx512_bmi2()) {
            maxpool_fwd_masks_avx512(in, planes, H, W, Ho, Wo, L->pool_masks_relu, out, wmask);
            return;
        }
    }
    if (nn_use_avx2()) {
        maxpool_fwd_avx2(in, planes, H, W, Ho, Wo, L->pool_masks_relu, out, wmask);
        return;
    }
#endif
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            uint16_t *wm = wmask ? wmask + 4 * (p * Ho + oy) : NULL;
            if (wm) wm[0] = wm[1] = wm[2] = wm[3] = 0;
            for (int ox = 0; ox < Wo; ox++) {
                float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                float m = a;
                if (b > m) m = b;
                if (c > m) m = c;
                if (d > m) m = d;
                dst[(size_t)oy * Wo + ox] = m;
                if (wm) window_mask_set(a, b, c, d, m, !L->pool_masks_relu || m > 0.0f, 1u << ox, wm);
            }
        }
    }
}

/*
 * MaxPool backward: the gradient goes to the first maximum in the window (as
 * PyTorch), every other input position gets 0 (written here, no memset).
 * When the pool's input is a ReLU output (L->pool_masks_relu), a window whose
 * maximum is 0 passes no gradient: that is the ReLU's backward (grad·[y > 0])
 * folded in, so the ReLU layer's own backward pass is skipped. With the
 * window masks of the forward (wmask != NULL) neither in nor out is read.
 */
void nn_maxpool_backward(const nn_layer *L, const float *in, const float *out, const float *dout,
                         int B, float *din, const uint16_t *wmask) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
    int mask = L->pool_masks_relu;
    if ((H & 1) || (W & 1)) memset(din, 0, sizeof(float) * planes * H * W);
#if NN_X86
    if (wmask && nn_use_avx512_bmi2() && W % 2 == 0 && W <= 32) {
        maxpool_bwd_masks_avx512(wmask, dout, planes, H, W, Ho, Wo, din);
        return;
    }
    if (wmask && nn_use_avx2()) {
        maxpool_bwd_masks_avx2(wmask, dout, planes, H, W, Ho, Wo, din);
        return;
    }
#endif
    if (wmask) {
        for (size_t p = 0; p < planes; p++)
            for (int oy = 0; oy < Ho; oy++) {
                const uint16_t *wm = wmask + 4 * (p * Ho + oy);
                const float *g = dout + (p * Ho + oy) * Wo;
                float *d0 = din + p * H * W + (size_t)(2 * oy) * W, *d1 = d0 + W;
                for (int ox = 0; ox < Wo; ox++) {
                    unsigned bit = 1u << ox;
                    d0[2 * ox] = wm[0] & bit ? g[ox] : 0.0f;
                    d0[2 * ox + 1] = wm[1] & bit ? g[ox] : 0.0f;
                    d1[2 * ox] = wm[2] & bit ? g[ox] : 0.0f;
                    d1[2 * ox + 1] = wm[3] & bit ? g[ox] : 0.0f;
                }
            }
        return;
    }
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = din + p * H * W;
        const float *o = out + p * Ho * Wo, *g = dout + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            float *d0 = dst + (size_t)(2 * oy) * W, *d1 = d0 + W;
            for (int ox = 0; ox < Wo; ox++) {
                float m = o[(size_t)oy * Wo + ox], gv = g[(size_t)oy * Wo + ox];
                if (mask && !(m > 0.0f)) gv = 0.0f;
                int x = 2 * ox;
                int j = r0[x] == m ? 0 : r0[x + 1] == m ? 1 : r1[x] == m ? 2 : 3;
                d0[x] = j == 0 ? gv : 0.0f;
                d0[x + 1] = j == 1 ? gv : 0.0f;
                d1[x] = j == 2 ? gv : 0.0f;
                d1[x + 1] = j == 3 ? gv : 0.0f;
            }
        }
    }
}
