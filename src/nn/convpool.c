/*
 * The fused conv → ReLU → MaxPool2d(2, 2) of the network's first parameter
 * layer (nn_convpool_*), in plain C, AVX-512 and AVX2; the 2×2 window primitives it
 * shares with pool.c are in pool_window.h. Why it exists and what it keeps
 * is explained below.
 */
#include "pool_window.h"

#include <math.h>

/*
 * conv → ReLU → MaxPool2d(2,2) in one pass, for the network's first layer
 * with parameters (the seed CNN's conv1: 32 channels of 28×28 per image).
 *
 * Why: unfused, the conv's output (3.2 MB a batch for the seed CNN, more than
 * the 1 MB L2) is written by the GEMM, read by the pool's forward, read again
 * by its backward, which writes an input gradient as large for the weight-
 * gradient GEMM and the bias sums to read. Fused, each pair of conv output
 * rows is computed in registers (a direct convolution over a zero-padded copy
 * of the input), pooled at once, and only the pooled row and its window masks
 * (pool_window.h: which input of each window gets the gradient) are stored. The
 * backward pass rebuilds a row pair's (sparse) conv-output gradient from the
 * masks in registers and accumulates dW and db directly. The conv's input
 * gradient is never needed: the fusion is only for the first parameter layer.
 *
 * The unfused layers' results up to float rounding: the gradient goes to the
 * first maximum in PyTorch's window order, and a window whose maximum is not
 * positive passes none (the ReLU's backward). Each conv output is summed in
 * one order in every path here (taps by ci, kx, ky; bias added last), so the
 * statistics' recomputation (nn_convpool_conv_output) matches the forward
 * exactly.
 *
 * xpad: a copy of the layer's weights and biases as of the last forward
 * (the layer statistics recompute the conv's output from it and the input),
 * then at cp_poff(L) the padded input [B][Cin][Hp][Wps]: Hp = H + 2·pad rows
 * of Wp = W + 2·pad columns, stored Wps = Wp rounded up to 16 floats apart.
 * Its border is zeroed once at model creation and never written. wmask: the
 * pool's window masks, pooled rows in the pool's output order [Cout][B][Hpo].
 */
static int cp_hp(const nn_layer *L) { return L->in_h + 2 * L->pad; }
static int cp_wps(const nn_layer *L) { return (L->in_w + 2 * L->pad + 15) / 16 * 16; }

/* Whether conv L followed by a ReLU and maxpool P is computed fused (model creation):
 * the AVX-512 kernels' shapes (3×3 kernel, conv rows of at most 32 used columns). */
int nn_convpool_applies(const nn_layer *L, const nn_layer *P) {
#if NN_X86
    return L->kind == OL_LAYER_CONV && P->kind == OL_LAYER_MAXPOOL && L->k == 3 &&
           P->out_w * 2 <= 32 && (nn_use_avx512_bmi2() || nn_use_avx2());
#else
    return 0;
#endif
}

/* Offset of the padded images in xpad: after the parameters, 64-byte aligned. */
static size_t cp_poff(const nn_layer *L) { return (L->n_params + 15) / 16 * 16; }

/* Floats of L's xpad buffer for B images (slack for masked vector reads). */
size_t nn_convpool_xpad_floats(const nn_layer *L, int B) {
    return cp_poff(L) + (size_t)B * L->in_c * cp_hp(L) * cp_wps(L) + 32;
}

/* The interior of xpad = the input (strides cs/bs); the zero border stays. */
static void convpool_pad(const nn_layer *L, const float *in, size_t cs, size_t bs, int B,
                         float *xpad) {
    int C = L->in_c, H = L->in_h, W = L->in_w, p = L->pad, Hp = cp_hp(L), Wps = cp_wps(L);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const float *src = in + c * cs + b * bs;
            float *dst = xpad + ((size_t)(b * C + c) * Hp + p) * Wps + p;
            for (int y = 0; y < H; y++)
                memcpy(dst + (size_t)y * Wps, src + (size_t)y * W, sizeof(float) * W);
        }
}

/* One conv output (before the ReLU) at (m, b, y, x), summed in the order of
 * the AVX-512 kernel (taps by ci, kx, ky), and like it with fused
 * multiply-adds when fma is set; fma == 2: the AVX2 kernel's order (ci, ky,
 * kx, the im2col GEMM's), with fused multiply-adds.
 * p: the layer's weights [Cout][C][k][k] then its biases. */
static float convpool_at(const nn_layer *L, const float *p, const float *xpad, int m, int b,
                         int y, int x, int fma) {
    int C = L->in_c, k = L->k, Hp = cp_hp(L), Wps = cp_wps(L);
    const float *Wt = p + (size_t)m * C * k * k;
    float s = 0.0f;
    for (int c = 0; c < C; c++) {
        const float *xp = xpad + ((size_t)(b * C + c) * Hp + y) * Wps + x;
        if (fma == 2) {
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    s = fmaf(Wt[(c * k + ky) * k + kx], xp[ky * Wps + kx], s);
            continue;
        }
        for (int kx = 0; kx < k; kx++)
            for (int ky = 0; ky < k; ky++) {
                float w = Wt[(c * k + ky) * k + kx], v = xp[ky * Wps + kx];
                s = fma ? fmaf(w, v, s) : s + w * v;
            }
    }
    return s + p[(size_t)L->out_c * C * k * k + m];
}

/* The conv's whole output of the last forward (B images), ReLU applied,
 * [Cout][B][Ho][Wo], recomputed from xpad and the parameters kept with it
 * (ol_model_layer_stats: the fused forward never stores it). */
void nn_convpool_conv_output(const nn_layer *L, const float *xpad, int B, float *out) {
    const float *p = xpad;
    xpad += cp_poff(L);
#if NN_X86
    /* the forward ran the AVX-512 kernel (1) or the AVX2 one (2) */
    int fma = nn_use_avx512_bmi2() ? 1 : nn_use_avx2() ? 2 : 0;
#else
    int fma = 0;
#endif
    size_t i = 0;
    for (int m = 0; m < L->out_c; m++)
        for (int b = 0; b < B; b++)
            for (int y = 0; y < L->out_h; y++)
                for (int x = 0; x < L->out_w; x++, i++) {
                    float v = convpool_at(L, p, xpad, m, b, y, x, fma);
                    out[i] = v > 0.0f ? v : 0.0f;
                }
}

static void convpool_fwd_plain(const nn_layer *L, const nn_layer *P, const float *params,
                               const float *xpad, int B, uint16_t *wmask, float *out) {
    int Hpo = P->out_h, Wpo = P->out_w;
    size_t row = 0;
    for (int m = 0; m < L->out_c; m++)
        for (int b = 0; b < B; b++)
            for (int py = 0; py < Hpo; py++, row++) {
                uint16_t *wm = wmask ? wmask + 4 * row : NULL;
                if (wm) wm[0] = wm[1] = wm[2] = wm[3] = 0;
                for (int px = 0; px < Wpo; px++) {
                    float v[4];
                    for (int j = 0; j < 4; j++)
                        v[j] = convpool_at(L, params + L->w_off, xpad, m, b, 2 * py + j / 2,
                                           2 * px + j % 2, 0);
                    float mx = v[0];
                    for (int j = 1; j < 4; j++)
                        if (v[j] > mx) mx = v[j];
                    out[row * Wpo + px] = mx > 0.0f ? mx : 0.0f;
                    if (wm) window_mask_set(v[0], v[1], v[2], v[3], mx, mx > 0.0f, 1u << px, wm);
                }
            }
}

static void convpool_bwd_plain(const nn_layer *L, const nn_layer *P, const float *dout, int B,
                               const float *xpad, const uint16_t *wmask, float *dW, float *db) {
    int C = L->in_c, k = L->k, Hp = cp_hp(L), Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w;
    size_t row = 0;
    for (int m = 0; m < L->out_c; m++) {
        float *dw = dW + (size_t)m * C * k * k, s = 0.0f;
        for (int j = 0; j < C * k * k; j++) dw[j] = 0.0f;
        for (int b = 0; b < B; b++)
            for (int py = 0; py < Hpo; py++, row++)
                for (int px = 0; px < Wpo; px++) {
                    const uint16_t *wm = wmask + 4 * row;
                    int j = 0;
                    while (j < 4 && !(wm[j] >> px & 1)) j++;
                    if (j == 4) continue;
                    float g = dout[row * Wpo + px];
                    s += g;
                    int y = 2 * py + j / 2, x = 2 * px + j % 2;
                    for (int c = 0; c < C; c++) {
                        const float *xp = xpad + ((size_t)(b * C + c) * Hp + y) * Wps + x;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                dw[(c * k + ky) * k + kx] += g * xp[ky * Wps + kx];
                    }
                }
        db[m] = s;
    }
}

#if NN_X86
/*
 * Forward of G (≤ 4) output channels for one pooled row (two conv rows of NV
 * vectors each) of one image; 3×3 kernel. x: the image's padded input at conv
 * row 2·py; w: the G channels' weights [G][C][3][3]. Writes G pooled rows (at
 * out + g·ostride) and, when wm is not NULL, their window masks (at
 * wm + 4·g·rstride).
 */
NN_AVX512_INLINE void convpool_fwd_tile(const int G, const int NV, int C, const float *x,
                                        size_t xplane, int Wps, const float *w, const float *bias,
                                        const __mmask16 *lm, __m512i iev, __m512i iod,
                                        __mmask16 om, float *out, size_t ostride, uint16_t *wm,
                                        size_t rstride) {
    __m512 acc[4][2][2];
#pragma GCC unroll 4
    for (int g = 0; g < G; g++)
#pragma GCC unroll 2
        for (int dy = 0; dy < 2; dy++)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) acc[g][dy][h] = _mm512_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xc = x + c * xplane, *wc = w + c * 9;
        /* per column shift kx: the four input rows in registers, then each weight
         * broadcast once for both conv rows (loads, not FMAs, were the limit) */
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++) {
            __m512 v[4][2];
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++)
#pragma GCC unroll 2
                for (int h = 0; h < NV; h++)
                    v[r][h] = _mm512_maskz_loadu_ps(lm[h], xc + r * Wps + 16 * h + kx);
#pragma GCC unroll 3
            for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 4
                for (int g = 0; g < G; g++) {
                    __m512 wv = _mm512_set1_ps(wc[(size_t)g * C * 9 + ky * 3 + kx]);
#pragma GCC unroll 2
                    for (int dy = 0; dy < 2; dy++)
#pragma GCC unroll 2
                        for (int h = 0; h < NV; h++)
                            acc[g][dy][h] = _mm512_fmadd_ps(wv, v[ky + dy][h], acc[g][dy][h]);
                }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
        __m512 bv = _mm512_set1_ps(bias[g]);
        __m512 r0a = _mm512_add_ps(acc[g][0][0], bv), r1a = _mm512_add_ps(acc[g][1][0], bv);
        __m512 r0b = NV > 1 ? _mm512_add_ps(acc[g][0][1], bv) : zero;
        __m512 r1b = NV > 1 ? _mm512_add_ps(acc[g][1][1], bv) : zero;
        __m512 mx = pool_window(
            _mm512_permutex2var_ps(r0a, iev, r0b), _mm512_permutex2var_ps(r0a, iod, r0b),
            _mm512_permutex2var_ps(r1a, iev, r1b), _mm512_permutex2var_ps(r1a, iod, r1b), 1, om,
            wm ? wm + 4 * g * rstride : NULL);
        _mm512_mask_storeu_ps(out + g * ostride, om, _mm512_max_ps(mx, zero));
    }
}

NN_AVX512_BMI2 static void convpool_fwd_avx512(const nn_layer *L, const nn_layer *P,
                                               const float *params, const float *xpad, int B,
                                               uint16_t *wmask, float *out) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w, Wc = 2 * Wpo;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    int NV = Wc > 16 ? 2 : 1;
    const pool_lanes pl = pool_lanes_make(Wc, Wpo);
    const __mmask16 *lm = pl.lm, om = pl.om;
    const __m512i iev = pl.iev, iod = pl.iod;
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    for (int b = 0; b < B; b++)
        for (int py = 0; py < Hpo; py++) {
            const float *x = xpad + (size_t)b * C * xplane + (size_t)(2 * py) * Wps;
            for (int m0 = 0; m0 < M; m0 += 4) {
                int G = M - m0 < 4 ? M - m0 : 4;
                size_t row = (size_t)m0 * rstride + (size_t)b * Hpo + py;
                float *o = out + row * Wpo;
                uint16_t *wm = wmask ? wmask + 4 * row : NULL;
                const float *w = Wt + (size_t)m0 * C * 9;
                switch (G * 2 + NV - 1) {
#define CPF_CASE(g, nv)                                                                    \
    case g * 2 + nv - 1:                                                                   \
        convpool_fwd_tile(g, nv, C, x, xplane, Wps, w, bias + m0, lm, iev, iod, om, o,      \
                          ostride, wm, rstride);                                           \
        break;
                CPF_CASE(1, 1) CPF_CASE(2, 1) CPF_CASE(3, 1) CPF_CASE(4, 1)
                CPF_CASE(1, 2) CPF_CASE(2, 2) CPF_CASE(3, 2) CPF_CASE(4, 2)
#undef CPF_CASE
                }
            }
        }
}

/*
 * Backward of G (≤ 2) output channels over one input channel of the whole
 * batch: for each pooled row, the conv-output gradient of its two conv rows
 * is rebuilt in registers from the pooled gradient and the window masks,
 * and dW[g][ky][kx] accumulates its products with the shifted input rows in
 * 16 lanes. x: xpad at input channel c of image 0 (images ximg apart);
 * dout/wmask: channel m0's pooled gradient and masks (channel g at
 * g·ostride, g·rstride rows). dw: dW of channel m0 at input channel c
 * (channel g at dw + g·wstride). db: the G bias gradients, or NULL.
 */
NN_AVX512_INLINE void convpool_bwd_tile(const int G, const int NV, int B, int Hpo, int Wpo,
                                        const float *x, size_t ximg, int Wps, const float *dout,
                                        const uint16_t *wmask, size_t ostride, size_t rstride,
                                        const __mmask16 *lm, const __m512i *idup, float *dw,
                                        size_t wstride, float *db) {
    __m512 acc[2][9], dbv[2];
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
        dbv[g] = zero;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) acc[g][t] = zero;
    }
    __mmask16 om = (__mmask16)((1u << Wpo) - 1);
    for (int b = 0; b < B; b++)
        for (int py = 0; py < Hpo; py++) {
            const float *xr = x + b * ximg + (size_t)(2 * py) * Wps;
            size_t row = (size_t)b * Hpo + py;
            __m512 d[2][2][2]; /* [g][dy][h] */
#pragma GCC unroll 2
            for (int g = 0; g < G; g++) {
                const uint16_t *wm = wmask + 4 * (g * rstride + row);
                __m512 gv = _mm512_maskz_loadu_ps(om, dout + g * ostride + row * Wpo);
                if (db)
                    dbv[g] = _mm512_add_ps(
                        dbv[g], _mm512_maskz_mov_ps((__mmask16)(wm[0] | wm[1] | wm[2] | wm[3]), gv));
                pool_window_grad(gv, wm, idup, NV, d[g]);
            }
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++)
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++) {
                    __m512 v[2];
#pragma GCC unroll 2
                    for (int h = 0; h < NV; h++)
                        v[h] = _mm512_maskz_loadu_ps(lm[h], xr + r * Wps + 16 * h + kx);
#pragma GCC unroll 2
                    for (int dy = 0; dy < 2; dy++) {
                        int ky = r - dy;
                        if (ky < 0 || ky > 2) continue;
#pragma GCC unroll 2
                        for (int g = 0; g < G; g++)
#pragma GCC unroll 2
                            for (int h = 0; h < NV; h++)
                                acc[g][ky * 3 + kx] =
                                    _mm512_fmadd_ps(d[g][dy][h], v[h], acc[g][ky * 3 + kx]);
                    }
                }
        }
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) dw[g * wstride + t] = _mm512_reduce_add_ps(acc[g][t]);
        if (db) db[g] = _mm512_reduce_add_ps(dbv[g]);
    }
}

NN_AVX512_BMI2 static void convpool_bwd_avx512(const nn_layer *L, const nn_layer *P,
                                               const float *dout, int B, const float *xpad,
                                               const uint16_t *wmask, float *dW, float *db) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w, Wc = 2 * Wpo;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    int NV = Wc > 16 ? 2 : 1;
    const pool_lanes pl = pool_lanes_make(Wc, Wpo);
    const __mmask16 *lm = pl.lm;
    const __m512i *idup = pl.idup;
    for (int m0 = 0; m0 < M; m0 += 2) {
        int G = M - m0 < 2 ? M - m0 : 2;
        for (int c = 0; c < C; c++) {
            const float *x = xpad + (size_t)c * xplane, *g = dout + (size_t)m0 * ostride;
            const uint16_t *wm = wmask + 4 * (size_t)m0 * rstride;
            float *dw = dW + ((size_t)m0 * C + c) * 9, *dbp = c == 0 ? db + m0 : NULL;
            switch (G * 2 + NV - 1) {
#define CPB_CASE(gg, nv)                                                                    \
    case gg * 2 + nv - 1:                                                                   \
        convpool_bwd_tile(gg, nv, B, Hpo, Wpo, x, C * xplane, Wps, g, wm, ostride, rstride,  \
                          lm, idup, dw, (size_t)C * 9, dbp);                                \
        break;
            CPB_CASE(1, 1) CPB_CASE(2, 1) CPB_CASE(1, 2) CPB_CASE(2, 2)
#undef CPB_CASE
            }
        }
    }
}

/*
 * AVX2+FMA forms (CPUs without AVX-512), for the same shapes: a pooled row
 * is done 16 conv columns (two vectors, 8 windows) at a time, 2 output
 * channels at once (8 accumulators; the input rows are loaded one at a time
 * and used for both conv rows). Each conv output is summed with FMAs in the
 * order of the unfused AVX2 path's im2col GEMM (taps by ci, ky, kx, from
 * zero; bias last), so for up to 14 input channels (one K block of
 * bc_gemm_avx2) the fused forward gives the unfused one's values bit for
 * bit, and nn_convpool_conv_output (fma == 2) recomputes them exactly.
 * (With the AVX-512 kernel's kx-major order the seed CNN's conv2 weight
 * gradient moved by rounding from 0.70 to 1.46 of the PyTorch parity
 * tolerance; it is F(4×4,3×3)'s, already near that floor.) Columns past the conv
 * row (up to 2 floats past the padded row, inside xpad's slack) only feed
 * lanes that are dropped.
 */
#define NN_AVX2 __attribute__((target("avx2,fma")))
#define NN_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

NN_AVX2_INLINE __m256i cp_lanes8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* even and odd lanes of the 16 floats (lo, hi) */
NN_AVX2_INLINE void cp_split(__m256 lo, __m256 hi, __m256 *ev, __m256 *od) {
    *ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xd8));
    *od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xdd)), 0xd8));
}

/* The pooled values (at out) and window-mask bits (or'ed into bits, shifted
 * to px0) of one channel's nw <= 8 windows from its two conv rows r0 = (r0lo,
 * r0hi) and r1, bias added, before the ReLU. */
NN_AVX2_INLINE void cp_pool_seg(__m256 r0lo, __m256 r0hi, __m256 r1lo, __m256 r1hi, int nw, int px0,
                                float *out, int whole, unsigned bits[4]) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 a, b, c, d;
    cp_split(r0lo, r0hi, &a, &b);
    cp_split(r1lo, r1hi, &c, &d);
    __m256 m = _mm256_max_ps(d, _mm256_max_ps(c, _mm256_max_ps(b, a)));
    __m256 pos = _mm256_cmp_ps(m, zero, _CMP_GT_OQ);
    __m256 o = _mm256_and_ps(m, pos);
    if (whole) _mm256_storeu_ps(out, o); /* whole: nw == 8, or lanes past it are written later */
    else _mm256_maskstore_ps(out, cp_lanes8(nw), o);
    unsigned live = ((1u << nw) - 1) & (unsigned)_mm256_movemask_ps(pos);
    unsigned ja = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, m, _CMP_EQ_OQ));
    unsigned jb = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(b, m, _CMP_EQ_OQ)) & ~ja;
    unsigned jc = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(c, m, _CMP_EQ_OQ)) & ~(ja | jb);
    unsigned jd = live & (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d, m, _CMP_EQ_OQ)) & ~(ja | jb | jc);
    bits[0] |= ja << px0;
    bits[1] |= jb << px0;
    bits[2] |= jc << px0;
    bits[3] |= jd << px0;
}

/*
 * Forward of G (≤ 2) output channels, one pooled row of one image, the nw
 * (≤ 8) windows from pooled column px0: x at the image's padded input at conv
 * row 2·py and column 2·px0; w the G channels' weights [G][C][3][3]. Stores
 * the pooled values (out + g·ostride) and returns each channel's window-mask
 * bits for these windows in bits[g][4] (shifted to px0).
 */
NN_AVX2_INLINE void convpool_fwd_seg_avx2(const int G, int C, const float *x, size_t xplane, int Wps,
                                          const float *w, const float *bias, int nw, int px0,
                                          float *out, size_t ostride, unsigned bits[2][4]) {
    __m256 acc[2][2][2]; /* [g][dy][h] */
#pragma GCC unroll 2
    for (int g = 0; g < G; g++)
#pragma GCC unroll 2
        for (int dy = 0; dy < 2; dy++)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) acc[g][dy][h] = _mm256_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xc = x + c * xplane, *wc = w + c * 9;
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                __m256 v0 = _mm256_loadu_ps(xc + r * Wps + kx), v1 = _mm256_loadu_ps(xc + r * Wps + 8 + kx);
#pragma GCC unroll 2
                for (int dy = 0; dy < 2; dy++) {
                    int ky = r - dy; /* for a given output: ky ascending, kx within it */
                    if (ky < 0 || ky > 2) continue;
#pragma GCC unroll 2
                    for (int g = 0; g < G; g++) {
                        __m256 wv = _mm256_broadcast_ss(wc + (size_t)g * C * 9 + ky * 3 + kx);
                        acc[g][dy][0] = _mm256_fmadd_ps(wv, v0, acc[g][dy][0]);
                        acc[g][dy][1] = _mm256_fmadd_ps(wv, v1, acc[g][dy][1]);
                    }
                }
            }
    }
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
        __m256 bv = _mm256_set1_ps(bias[g]);
        cp_pool_seg(_mm256_add_ps(acc[g][0][0], bv), _mm256_add_ps(acc[g][0][1], bv),
                    _mm256_add_ps(acc[g][1][0], bv), _mm256_add_ps(acc[g][1][1], bv), nw, px0,
                    out + g * ostride, nw == 8, bits[g]);
    }
}

/*
 * One input channel (the usual first layer: grey images): one output channel
 * at a time, its 9 weights broadcast once for the whole batch, and PY (1 or
 * 2) pooled rows at once: 4·PY independent FMA chains (with 4, the chains'
 * latency was the limit). Same sums in the same order.
 */
NN_AVX2_INLINE void convpool_c1_rows(const int PY, const float *x, int Wps, int Wpo, const __m256 *wv,
                                     __m256 bv, float *out, const float *out_end, uint16_t *wm) {
    unsigned bits[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    for (int px0 = 0; px0 < Wpo; px0 += 8) {
        int nw = Wpo - px0 < 8 ? Wpo - px0 : 8;
        const float *xs = x + 2 * px0;
        __m256 acc[4][2]; /* [conv row][h] */
#pragma GCC unroll 4
        for (int y = 0; y < 2 * PY; y++) acc[y][0] = acc[y][1] = _mm256_setzero_ps();
#pragma GCC unroll 6
        for (int r = 0; r < 2 * PY + 2; r++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                __m256 v0 = _mm256_loadu_ps(xs + r * Wps + kx);
                __m256 v1 = _mm256_loadu_ps(xs + r * Wps + 8 + kx);
#pragma GCC unroll 4
                for (int y = 0; y < 2 * PY; y++) {
                    int ky = r - y; /* for a given output: ky ascending, kx within it */
                    if (ky < 0 || ky > 2) continue;
                    acc[y][0] = _mm256_fmadd_ps(wv[ky * 3 + kx], v0, acc[y][0]);
                    acc[y][1] = _mm256_fmadd_ps(wv[ky * 3 + kx], v1, acc[y][1]);
                }
            }
#pragma GCC unroll 2
        for (int q = 0; q < PY; q++)
            cp_pool_seg(_mm256_add_ps(acc[2 * q][0], bv), _mm256_add_ps(acc[2 * q][1], bv),
                        _mm256_add_ps(acc[2 * q + 1][0], bv), _mm256_add_ps(acc[2 * q + 1][1], bv), nw,
                        px0, out + q * Wpo + px0,
                        /* row q + 1's first segment is already stored: only the last row may spill */
                        nw == 8 || (q == PY - 1 && out + q * Wpo + px0 + 8 <= out_end), bits[q]);
    }
    if (wm)
        for (int q = 0; q < PY; q++)
            for (int j = 0; j < 4; j++) wm[4 * q + j] = (uint16_t)bits[q][j];
}

NN_AVX2 static void convpool_fwd_c1_avx2(const nn_layer *L, const nn_layer *P, const float *params,
                                         const float *xpad, int B, uint16_t *wmask, float *out) {
    int M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo;
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    /* rows are written in address order (channel, image, row): a whole-vector
     * store's lanes past its row are overwritten by the next row (masked
     * stores are slow on AMD) */
    const float *out_end = out + (size_t)M * rstride * Wpo;
    for (int m = 0; m < M; m++) {
        __m256 wv[9], bv = _mm256_set1_ps(bias[m]);
        for (int t = 0; t < 9; t++) wv[t] = _mm256_broadcast_ss(Wt + (size_t)m * 9 + t);
        for (int b = 0; b < B; b++)
            for (int py = 0; py < Hpo; py += 2) {
                const float *x = xpad + (size_t)b * xplane + (size_t)(2 * py) * Wps;
                size_t row = (size_t)m * rstride + (size_t)b * Hpo + py;
                uint16_t *wm = wmask ? wmask + 4 * row : NULL;
                if (py + 1 < Hpo) convpool_c1_rows(2, x, Wps, Wpo, wv, bv, out + row * Wpo, out_end, wm);
                else convpool_c1_rows(1, x, Wps, Wpo, wv, bv, out + row * Wpo, out_end, wm);
            }
    }
}

NN_AVX2 static void convpool_fwd_avx2(const nn_layer *L, const nn_layer *P, const float *params,
                                      const float *xpad, int B, uint16_t *wmask, float *out) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    if (C == 1) {
        convpool_fwd_c1_avx2(L, P, params, xpad, B, wmask, out);
        return;
    }
    for (int b = 0; b < B; b++)
        for (int py = 0; py < Hpo; py++) {
            const float *x = xpad + (size_t)b * C * xplane + (size_t)(2 * py) * Wps;
            for (int m0 = 0; m0 < M; m0 += 2) {
                int G = M - m0 < 2 ? M - m0 : 2;
                size_t row = (size_t)m0 * rstride + (size_t)b * Hpo + py;
                const float *w = Wt + (size_t)m0 * C * 9;
                unsigned bits[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
                for (int px0 = 0; px0 < Wpo; px0 += 8) {
                    int nw = Wpo - px0 < 8 ? Wpo - px0 : 8;
                    if (G == 2)
                        convpool_fwd_seg_avx2(2, C, x + 2 * px0, xplane, Wps, w, bias + m0, nw, px0,
                                              out + row * Wpo + px0, ostride, bits);
                    else
                        convpool_fwd_seg_avx2(1, C, x + 2 * px0, xplane, Wps, w, bias + m0, nw, px0,
                                              out + row * Wpo + px0, ostride, bits);
                }
                if (wmask)
                    for (int g = 0; g < G; g++)
                        for (int j = 0; j < 4; j++)
                            wmask[4 * (row + g * rstride) + j] = (uint16_t)bits[g][j];
            }
        }
}

/* lanes of dy's conv row that get window px0 + l/2's gradient: mask bits of
 * inputs (2dy, 2dy+1) at even and odd lanes */
NN_AVX2_INLINE __m256 cp_grad_lanes(__m256 gd, unsigned even, unsigned odd) {
    __m256i sel = _mm256_setr_epi32(1, 1, 2, 2, 4, 4, 8, 8);
    __m256i bits = _mm256_blend_epi32(_mm256_set1_epi32((int)even), _mm256_set1_epi32((int)odd), 0xaa);
    __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(bits, sel), sel);
    return _mm256_and_ps(gd, _mm256_castsi256_ps(on));
}

/*
 * Backward of one output channel over one input channel of the whole batch:
 * dW[ky][kx] accumulates in 8 lanes the products of the conv-output gradient
 * (rebuilt from the pooled gradient and window masks, 4 windows = 8 conv
 * columns at a time) with the shifted input rows. x: xpad at input channel c
 * of image 0 (images ximg apart); dout/wmask: the channel's pooled gradient
 * and masks; db: its bias gradient, or NULL.
 */
NN_AVX2 static void convpool_bwd_one_avx2(int B, int Hpo, int Wpo, const float *x, size_t ximg,
                                          int Wps, const float *dout, const uint16_t *wmask,
                                          float *dw, float *db) {
    /* sums per image, then over images: two levels keep float rounding of
     * these long sums (B·Ho·Wo terms) near the dot-product GEMM's */
    __m256 tot[9], dbv = _mm256_setzero_ps();
    for (int t = 0; t < 9; t++) tot[t] = _mm256_setzero_ps();
    const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    for (int b = 0; b < B; b++) {
        __m256 acc[9];
        for (int t = 0; t < 9; t++) acc[t] = _mm256_setzero_ps();
        for (int py = 0; py < Hpo; py++) {
            size_t row = (size_t)b * Hpo + py;
            const float *xr = x + b * ximg + (size_t)(2 * py) * Wps;
            const uint16_t *wm = wmask + 4 * row;
            unsigned any = wm[0] | wm[1] | wm[2] | wm[3];
            for (int px0 = 0; px0 < Wpo; px0 += 4) {
                int nw = Wpo - px0 < 4 ? Wpo - px0 : 4;
                __m128 g4 = nw == 4 ? _mm_loadu_ps(dout + row * Wpo + px0)
                                    : _mm_maskload_ps(dout + row * Wpo + px0,
                                                      _mm256_castsi256_si128(cp_lanes8(nw)));
                __m256 gd = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(g4), dup);
                /* db: each window's gradient once when any of its inputs gets it */
                dbv = _mm256_add_ps(dbv, cp_grad_lanes(gd, any >> px0, 0));
                __m256 d[2] = {cp_grad_lanes(gd, wm[0] >> px0, wm[1] >> px0),
                               cp_grad_lanes(gd, wm[2] >> px0, wm[3] >> px0)};
                const float *xs = xr + 2 * px0;
#pragma GCC unroll 4
                for (int r = 0; r < 4; r++)
#pragma GCC unroll 3
                    for (int kx = 0; kx < 3; kx++) {
                        __m256 v = _mm256_loadu_ps(xs + r * Wps + kx);
#pragma GCC unroll 2
                        for (int dy = 0; dy < 2; dy++) {
                            int ky = r - dy;
                            if (ky < 0 || ky > 2) continue;
                            acc[ky * 3 + kx] = _mm256_fmadd_ps(d[dy], v, acc[ky * 3 + kx]);
                        }
                    }
            }
        }
        for (int t = 0; t < 9; t++) tot[t] = _mm256_add_ps(tot[t], acc[t]);
    }
    float s[8];
    for (int t = 0; t < 9; t++) {
        _mm256_storeu_ps(s, tot[t]);
        dw[t] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
    if (db) {
        _mm256_storeu_ps(s, dbv);
        *db = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

static void convpool_bwd_avx2(const nn_layer *L, const nn_layer *P, const float *dout, int B,
                              const float *xpad, const uint16_t *wmask, float *dW, float *db) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            convpool_bwd_one_avx2(B, Hpo, Wpo, xpad + (size_t)c * xplane, C * xplane, Wps,
                                  dout + (size_t)m * ostride, wmask + 4 * (size_t)m * rstride,
                                  dW + ((size_t)m * C + c) * 9, c == 0 ? db + m : NULL);
}
#endif

/*
 * Forward of conv L, its ReLU and maxpool P for B images: in as for
 * nn_conv_forward; out: the pool's output [Cout][B][Hpo][Wpo]. Keeps the
 * padded input (xpad) and, for a training forward (wmask != NULL), the
 * window masks for the backward pass.
 */
void nn_convpool_forward(const nn_layer *L, const nn_layer *P, const float *params,
                         const float *in, int in_batch_major, int B, float *xpad,
                         uint16_t *wmask, float *out) {
    int C = L->in_c, H = L->in_h, W = L->in_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    memcpy(xpad, params + L->w_off, sizeof(float) * L->n_params);
    xpad += cp_poff(L);
    convpool_pad(L, in, cs, bs, B, xpad);
#if NN_X86
    if (nn_use_avx512_bmi2()) {
        convpool_fwd_avx512(L, P, params, xpad, B, wmask, out);
        return;
    }
    if (nn_use_avx2()) {
        convpool_fwd_avx2(L, P, params, xpad, B, wmask, out);
        return;
    }
#endif
    convpool_fwd_plain(L, P, params, xpad, B, wmask, out);
}

/*
 * Backward of the fused conv, ReLU and maxpool: dout is the gradient of the
 * pool's output; writes the conv's dW and db (overwriting). No input gradient.
 */
void nn_convpool_backward(const nn_layer *L, const nn_layer *P, const float *params, float *grads,
                          const float *dout, int B, const float *xpad, const uint16_t *wmask) {
    float *dW = grads + L->w_off, *db = grads + L->b_off;
    xpad += cp_poff(L);
#if NN_X86
    if (nn_use_avx512_bmi2()) {
        convpool_bwd_avx512(L, P, dout, B, xpad, wmask, dW, db);
        return;
    }
    if (nn_use_avx2()) {
        convpool_bwd_avx2(L, P, dout, B, xpad, wmask, dW, db);
        return;
    }
#endif
    convpool_bwd_plain(L, P, dout, B, xpad, wmask, dW, db);
}
