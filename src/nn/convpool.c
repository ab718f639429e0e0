/*
 * The fused conv → ReLU → MaxPool2d(2, 2) of the network's first parameter
 * layer (nn_convpool_*), in plain C and AVX-512; the 2×2 window primitives it
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
           P->out_w * 2 <= 32 && nn_use_avx512_bmi2();
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
 * the AVX-512 kernel, and like it with fused multiply-adds when fma is set.
 * p: the layer's weights [Cout][C][k][k] then its biases. */
static float convpool_at(const nn_layer *L, const float *p, const float *xpad, int m, int b,
                         int y, int x, int fma) {
    int C = L->in_c, k = L->k, Hp = cp_hp(L), Wps = cp_wps(L);
    const float *Wt = p + (size_t)m * C * k * k;
    float s = 0.0f;
    for (int c = 0; c < C; c++) {
        const float *xp = xpad + ((size_t)(b * C + c) * Hp + y) * Wps + x;
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
    int fma = nn_use_avx512_bmi2(); /* the forward ran the AVX-512 kernel */
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
#endif
    convpool_bwd_plain(L, P, dout, B, xpad, wmask, dW, db);
}
