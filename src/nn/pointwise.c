/*
 * The pointwise and data-movement layers and helpers: sums (bias gradients),
 * the ReLU backward (its forward is fused into the conv GEMM's epilogue),
 * flatten (CB layout to [B][features] and back) and row-wise softmax. Each
 * AVX-512 form is chosen at run time beside the plain C form.
 */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
#else
#define NN_X86 0
#endif

#if NN_X86
__attribute__((target("avx512f"))) static float sum_avx512(const float *a, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(a + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(a + i + 16));
    }
    for (; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xffff : (1u << (n - i)) - 1);
        s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m, a + i));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
#endif

/* Sum of n floats (a bias gradient): in 16 independent lanes, vectorised. */
float nn_sum(const float *a, size_t n) {
#if NN_X86
    if (nn_use_avx512()) return sum_avx512(a, n);
#endif
    float lane[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lane[j] += a[i + j];
    float s = 0.0f;
    for (; i < n; i++) s += a[i];
    for (int j = 0; j < 16; j++) s += lane[j];
    return s;
}

#if NN_X86
__attribute__((target("avx512f"))) static void relu_bwd_avx512(const float *y, const float *g,
                                                                size_t n, float *d) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(y + i),
                                                                       _mm512_setzero_ps(),
                                                                       _CMP_GT_OQ),
                                                    _mm512_loadu_ps(g + i)));
    for (; i < n; i++) d[i] = y[i] > 0.0f ? g[i] : 0.0f;
}
#endif

/* ReLU backward from its output y: din = dout where y > 0, else 0. Vectorised:
 * as a plain loop the compiler branches on every element (~3 ns each). */
void nn_relu_backward(const float *y, const float *dout, size_t n, float *din) {
#if NN_X86
    if (nn_use_avx512()) {
        relu_bwd_avx512(y, dout, n, din);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) din[i] = y[i] > 0.0f ? dout[i] : 0.0f;
}

#if NN_X86
/* The flatten transpose with AVX-512 moves: a plane is a few vectors (16
 * floats for the seed CNN), and a memcpy call per plane costs more than the
 * copy. to_flat: CB → [B][C·HW], else back. */
__attribute__((target("avx512f"))) static void flatten_avx512(const float *src, int C, int B,
                                                               size_t hw, int to_flat,
                                                               float *dst) {
    __mmask16 tail = (__mmask16)(hw % 16 ? (1u << (hw % 16)) - 1 : 0xffff);
    /* the destination is written in order (measured: the faster of the two orders) */
    int n0 = to_flat ? B : C, n1 = to_flat ? C : B;
    for (int i0 = 0; i0 < n0; i0++)
        for (int i1 = 0; i1 < n1; i1++) {
            int b = to_flat ? i0 : i1, c = to_flat ? i1 : i0;
            size_t cb = ((size_t)c * B + b) * hw, fl = (size_t)b * C * hw + c * hw;
            const float *s = src + (to_flat ? cb : fl);
            float *d = dst + (to_flat ? fl : cb);
            for (size_t j = 0; j < hw; j += 16) {
                __mmask16 m = j + 16 <= hw ? 0xffff : tail;
                _mm512_mask_storeu_ps(d + j, m, _mm512_maskz_loadu_ps(m, s + j));
            }
        }
}
#endif

/* Flatten: CB layout [C][B][HW] → [B][C·HW] (channel-major features). */
void nn_flatten_forward(const nn_layer *L, const float *in, int B, float *out) {
    if (L->in_flat) {
        memcpy(out, in, sizeof(float) * (size_t)B * L->in_size);
        return;
    }
    int C = L->in_c;
    size_t hw = (size_t)L->in_h * L->in_w;
#if NN_X86
    if (nn_use_avx512()) {
        flatten_avx512(in, C, B, hw, 1, out);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            memcpy(out + (size_t)b * C * hw + c * hw, in + ((size_t)c * B + b) * hw,
                   sizeof(float) * hw);
}

void nn_flatten_backward(const nn_layer *L, const float *dout, int B, float *din) {
    if (L->in_flat) {
        memcpy(din, dout, sizeof(float) * (size_t)B * L->in_size);
        return;
    }
    int C = L->in_c;
    size_t hw = (size_t)L->in_h * L->in_w;
#if NN_X86
    if (nn_use_avx512()) {
        flatten_avx512(dout, C, B, hw, 0, din);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            memcpy(din + ((size_t)c * B + b) * hw, dout + (size_t)b * C * hw + c * hw,
                   sizeof(float) * hw);
}

/* Row-wise softmax of rows × n, stable (max subtracted). in may equal out. */
void nn_softmax_rows(const float *in, int rows, int n, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * n;
        float *y = out + (size_t)r * n;
        float mx = x[0];
        for (int j = 1; j < n; j++)
            if (x[j] > mx) mx = x[j];
        float s = 0.0f;
        for (int j = 0; j < n; j++) {
            y[j] = expf(x[j] - mx);
            s += y[j];
        }
        float inv = 1.0f / s;
        for (int j = 0; j < n; j++) y[j] *= inv;
    }
}

/* Softmax backward: din_j = y_j (dout_j − Σ_k dout_k y_k). */
void nn_softmax_backward(const float *y, const float *dout, int rows, int n, float *din) {
    for (int r = 0; r < rows; r++) {
        const float *yr = y + (size_t)r * n, *g = dout + (size_t)r * n;
        float *d = din + (size_t)r * n;
        float dot = 0.0f;
        for (int j = 0; j < n; j++) dot += g[j] * yr[j];
        for (int j = 0; j < n; j++) d[j] = yr[j] * (g[j] - dot);
    }
}
