/*
 * Per-layer forward and backward kernels over raw float buffers, in the
 * tensor layout described in nn_internal.h (spatial tensors [C][B][H][W],
 * flat tensors [B][features]). Matrix products go through gemm.c, which picks
 * our own AVX-512 kernels or CBLAS. The data-movement kernels (im2col,
 * col2im, max-pool, sums) have an AVX-512 form, chosen at run time, beside
 * the plain C form every x86-64 (and the portable-path tests) runs.
 *
 * Shapes are in the comments; B is the batch size of the call.
 */
#include "nn_internal.h"
#include "gemm.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
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
#if defined(__x86_64__) && defined(__GNUC__)
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

/*
 * im2col for a whole batch: col[(c·k + ky)·k + kx][b·Ho·Wo + oy·Wo + ox] =
 * in(c, b, oy + ky - pad, ox + kx - pad), zero outside. `cs`/`bs` are the
 * input's channel and image strides (CB layout: cs = B·H·W, bs = H·W).
 */
static void im2col_plain(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *col) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs;
                    float *dst = row + (size_t)b * Ho * Wo;
                    int x0 = kx - pad; /* input x of ox = 0 */
                    int lo = x0 < 0 ? -x0 : 0;                /* first ox inside */
                    int hi = W - x0 < Wo ? W - x0 : Wo;       /* one past last ox inside */
                    if (hi < lo) hi = lo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        float *d = dst + (size_t)oy * Wo;
                        if (y < 0 || y >= H) {
                            for (int ox = 0; ox < Wo; ox++) d[ox] = 0.0f;
                            continue;
                        }
                        /* plain loops, not memcpy: rows are short (Wo floats) */
                        const float *s = src + (size_t)y * W + x0;
                        for (int ox = 0; ox < lo; ox++) d[ox] = 0.0f;
                        for (int ox = lo; ox < hi; ox++) d[ox] = s[ox];
                        for (int ox = hi; ox < Wo; ox++) d[ox] = 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: din(c, b, y, x) += dcol[...]; din (CB layout) must be zeroed. */
static void col2im_plain(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                         int pad, int Ho, int Wo, float *din) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = dcol + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    float *dst = din + c * cs + b * bs;
                    const float *src = row + (size_t)b * Ho * Wo;
                    int x0 = kx - pad;
                    int lo = x0 < 0 ? -x0 : 0;
                    int hi = W - x0 < Wo ? W - x0 : Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        if (y < 0 || y >= H) continue;
                        float *d = dst + (size_t)y * W + x0;
                        const float *s = src + (size_t)oy * Wo;
                        for (int ox = lo; ox < hi; ox++) d[ox] += s[ox];
                    }
                }
            }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
/*
 * AVX-512 im2col/col2im: the rows are short (Wo = 28, 12, 4 for the seed CNN)
 * and there are ~100k of them per batch, so each row is one or two masked
 * loads and stores instead of a loop with a prologue and tail. Lanes outside
 * [lo, hi) (padding) are masked off: they are never read and store zero.
 */
__attribute__((target("avx512f"))) static void im2col_avx512(
    const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k, int pad, int Ho,
    int Wo, float *col) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0;
                int hi = W - x0 < Wo ? W - x0 : Wo;
                if (hi < lo) hi = lo;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs;
                    float *dst = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        float *d = dst + (size_t)oy * Wo;
                        int inside = y >= 0 && y < H;
                        const float *s = src + (ptrdiff_t)y * W + x0;
                        for (int ox = 0; ox < Wo; ox += 16) {
                            int w = Wo - ox < 16 ? Wo - ox : 16;
                            __mmask16 all = (__mmask16)((1u << w) - 1), valid = 0;
                            if (inside) {
                                int vlo = lo - ox < 0 ? 0 : lo - ox, vhi = hi - ox > w ? w : hi - ox;
                                if (vhi > vlo) valid = (__mmask16)(((1u << vhi) - 1) & ~((1u << vlo) - 1));
                            }
                            __m512 v = _mm512_maskz_loadu_ps(valid, s + ox);
                            _mm512_mask_storeu_ps(d + ox, all, v);
                        }
                    }
                }
            }
}

/*
 * im2col without padding, one output plane (Ho·Wo floats, contiguous in col)
 * 16 floats at a time: the 16 source pixels of such a vector lie within 32
 * consecutive input floats (checked by the caller), so a vector is one or
 * two masked loads and one two-source permute (vpermt2ps) — instead of one
 * masked load/store pair per short output row. `base[j]`/`idx[j]` say where
 * vector j starts in the input plane and which lanes it takes.
 */
__attribute__((target("avx512f"))) static void im2col_nopad_avx512(
    const float *in, size_t cs, size_t bs, int C, int W, int B, int k, int Ho, int Wo,
    const int *base, const __m512i *idx, const __mmask16 *lm0, const __mmask16 *lm1, float *col) {
    size_t P = (size_t)Ho * Wo, N = (size_t)B * P;
    int nvec = (int)((P + 15) / 16);
    __mmask16 tail = (__mmask16)(P % 16 ? (1u << (P % 16)) - 1 : 0xffff);
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs + (size_t)ky * W + kx;
                    float *dst = row + (size_t)b * P;
                    for (int j = 0; j < nvec; j++) {
                        const float *s0 = src + base[j];
                        __m512 lo = _mm512_maskz_loadu_ps(lm0[j], s0);
                        __m512 hi = _mm512_maskz_loadu_ps(lm1[j], s0 + 16);
                        __m512 v = _mm512_permutex2var_ps(lo, idx[j], hi);
                        _mm512_mask_storeu_ps(dst + 16 * j, j == nvec - 1 ? tail : 0xffff, v);
                    }
                }
            }
}

/* Set up im2col_nopad_avx512 for a Ho×Wo output of a W-wide input; 0 if it does not apply. */
__attribute__((target("avx512f"))) static int nopad_plan(int Ho, int Wo, int W, int *base,
                                                          __m512i *idx, __mmask16 *lm0,
                                                          __mmask16 *lm1, int max_vec) {
    int P = Ho * Wo, nvec = (P + 15) / 16;
    if (nvec > max_vec) return 0;
    for (int j = 0; j < nvec; j++) {
        int first = 16 * j, last = 16 * j + 15 < P ? 16 * j + 15 : P - 1;
        base[j] = (first / Wo) * W + first % Wo;
        int span = (last / Wo) * W + last % Wo - base[j] + 1;
        if (span > 32) return 0;
        int32_t lanes[16];
        for (int l = 0; l < 16; l++) {
            int d = 16 * j + l < P ? 16 * j + l : last;
            lanes[l] = (d / Wo) * W + d % Wo - base[j];
        }
        idx[j] = _mm512_loadu_si512(lanes);
        lm0[j] = (__mmask16)(span >= 16 ? 0xffff : (1u << span) - 1);
        lm1[j] = (__mmask16)(span <= 16 ? 0 : (1u << (span - 16)) - 1);
    }
    return 1;
}

/*
 * col2im without padding, as a gather: each 16-pixel vector of an input-
 * gradient plane sums, over the k·k kernel offsets, the dcol values that
 * came from it — each one or two masked loads and a permute, zero lanes
 * where the offset falls outside. No memset, no read-modify-write of din.
 * plan[o·nvec + j] describes offset o = ky·k + kx for din vector j.
 */
typedef struct {
    int base;               /* first dcol-plane index this vector reads */
    __mmask16 lm0, lm1, valid;
    int32_t idx[16];
} col2im_vec;

__attribute__((target("avx512f"))) static void col2im_gather_avx512(
    const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k, int Ho, int Wo,
    const col2im_vec *plan, float *din) {
    size_t P = (size_t)Ho * Wo, N = (size_t)B * P, Q = (size_t)H * W;
    int nvec = (int)((Q + 15) / 16);
    __mmask16 tail = (__mmask16)(Q % 16 ? (1u << (Q % 16)) - 1 : 0xffff);
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            float *dst = din + c * cs + b * bs;
            const float *planes = dcol + (size_t)c * k * k * N + (size_t)b * P;
            for (int j = 0; j < nvec; j++) {
                __m512 acc = _mm512_setzero_ps();
                for (int o = 0; o < k * k; o++) {
                    const col2im_vec *v = &plan[o * nvec + j];
                    if (!v->valid) continue;
                    const float *src = planes + (size_t)o * N + v->base;
                    __m512 lo = _mm512_maskz_loadu_ps(v->lm0, src);
                    __m512 hi = _mm512_maskz_loadu_ps(v->lm1, src + 16);
                    __m512 x = _mm512_permutex2var_ps(lo, _mm512_loadu_si512(v->idx), hi);
                    acc = _mm512_mask_add_ps(acc, v->valid, acc, x);
                }
                _mm512_mask_storeu_ps(dst + 16 * j, j == nvec - 1 ? tail : 0xffff, acc);
            }
        }
}

/* Plan col2im_gather_avx512; 0 if some vector's sources span more than 32 floats. */
static int col2im_gather_plan(int H, int W, int k, int Ho, int Wo, col2im_vec *plan,
                              int max_entries) {
    int Q = H * W, nvec = (Q + 15) / 16;
    if (nvec * k * k > max_entries) return 0;
    for (int o = 0; o < k * k; o++) {
        int ky = o / k, kx = o % k;
        for (int j = 0; j < nvec; j++) {
            col2im_vec *v = &plan[o * nvec + j];
            int lo = 1 << 30, hi = -1;
            int src[16];
            for (int l = 0; l < 16; l++) {
                int q = 16 * j + l, y = q / W, x = q % W, oy = y - ky, ox = x - kx;
                src[l] = (q < Q && oy >= 0 && oy < Ho && ox >= 0 && ox < Wo) ? oy * Wo + ox : -1;
                if (src[l] >= 0) {
                    if (src[l] < lo) lo = src[l];
                    if (src[l] > hi) hi = src[l];
                }
            }
            v->valid = 0;
            v->lm0 = v->lm1 = 0;
            v->base = 0;
            if (hi < 0) {
                for (int l = 0; l < 16; l++) v->idx[l] = 0;
                continue;
            }
            int span = hi - lo + 1;
            if (span > 32) return 0;
            v->base = lo;
            v->lm0 = (__mmask16)(span >= 16 ? 0xffff : (1u << span) - 1);
            v->lm1 = (__mmask16)(span <= 16 ? 0 : (1u << (span - 16)) - 1);
            for (int l = 0; l < 16; l++) {
                v->idx[l] = src[l] >= 0 ? src[l] - lo : 0;
                if (src[l] >= 0) v->valid |= (__mmask16)(1u << l);
            }
        }
    }
    return 1;
}

__attribute__((target("avx512f"))) static void col2im_avx512(
    const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k, int pad, int Ho,
    int Wo, float *din) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = dcol + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0;
                int hi = W - x0 < Wo ? W - x0 : Wo;
                for (int b = 0; b < B; b++) {
                    float *dst = din + c * cs + b * bs;
                    const float *src = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        if (y < 0 || y >= H) continue;
                        float *d = dst + (ptrdiff_t)y * W + x0;
                        const float *s = src + (size_t)oy * Wo;
                        for (int ox = lo; ox < hi; ox += 16) {
                            int w = hi - ox < 16 ? hi - ox : 16;
                            __mmask16 mk = (__mmask16)((1u << w) - 1);
                            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, d + ox),
                                                     _mm512_maskz_loadu_ps(mk, s + ox));
                            _mm512_mask_storeu_ps(d + ox, mk, v);
                        }
                    }
                }
            }
}
#else
#define NN_X86 0
#endif

static void im2col(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *col) {
#if NN_X86
    if (nn_use_avx512() && pad == 0) {
        enum { MAX_VEC = 64 };
        int base[MAX_VEC];
        __m512i idx[MAX_VEC];
        __mmask16 lm0[MAX_VEC], lm1[MAX_VEC];
        if (nopad_plan(Ho, Wo, W, base, idx, lm0, lm1, MAX_VEC)) {
            im2col_nopad_avx512(in, cs, bs, C, W, B, k, Ho, Wo, base, idx, lm0, lm1, col);
            return;
        }
    }
    if (nn_use_avx512()) {
        im2col_avx512(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
        return;
    }
#endif
    im2col_plain(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
}

/* din (B images of C planes, strides cs/bs) = the adjoint of im2col applied to dcol (overwritten). */
static void col2im(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *din) {
#if NN_X86
    if (nn_use_avx512() && pad == 0) {
        enum { MAX_ENTRIES = 512 };
        col2im_vec plan[MAX_ENTRIES];
        if (col2im_gather_plan(H, W, k, Ho, Wo, plan, MAX_ENTRIES)) {
            col2im_gather_avx512(dcol, cs, bs, C, H, W, B, k, Ho, Wo, plan, din);
            return;
        }
    }
#endif
    for (int c = 0; c < C; c++) memset(din + c * cs, 0, sizeof(float) * B * bs);
#if NN_X86
    if (nn_use_avx512()) {
        col2im_avx512(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
        return;
    }
#endif
    col2im_plain(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
}

/*
 * Convolution, a chunk of `L->chunk` images at a time: the im2col columns of
 * a chunk (Cin·k·k × chunk·Ho·Wo floats) fit in L2, so they are written and
 * read back by the GEMM without going to memory; the backward pass rebuilds
 * them rather than keeping a whole batch's columns (megabytes) around.
 *
 * Forward. in: CB layout [Cin][B][H][W], or [B][Cin][H][W] when
 * in_batch_major (the model's input). out: [Cout][B][Ho][Wo], bias added,
 * and max(0, ·) when a following ReLU is fused in (L->fuse_relu).
 */
void nn_conv_forward(const nn_layer *L, const float *params, const float *in, int in_batch_major,
                     int B, float *out, float *col) {
    int C = L->in_c, H = L->in_h, W = L->in_w, k = L->k, Ho = L->out_h, Wo = L->out_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    int K = C * k * k, N = B * Ho * Wo, M = L->out_c, P = Ho * Wo;
    if (L->wino) {
        nn_wino_forward(L, params, in, cs, bs, B, out, col);
        return;
    }
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk;
        im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
        nn_sgemm_bias_act(M, nb * P, K, Wt, K, col, nb * P, out + (size_t)b0 * P, N, bias,
                          L->fuse_relu);
    }
}

/*
 * Conv backward. dout: [Cout][B·Ho·Wo]. Writes dW [Cout][Cin·k·k] and db
 * (overwriting), and when din != NULL the input gradient in CB layout.
 */
void nn_conv_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      int in_batch_major, const float *dout, int B, float *col, float *dcol,
                      float *din) {
    int C = L->in_c, H = L->in_h, W = L->in_w, k = L->k, Ho = L->out_h, Wo = L->out_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    int K = C * k * k, N = B * Ho * Wo, M = L->out_c, P = Ho * Wo;
    float *dW = grads + L->w_off, *db = grads + L->b_off;
    for (int m = 0; m < M; m++) db[m] = nn_sum(dout + (size_t)m * N, N);
    if (L->wino) {
        nn_wino_backward(L, params, grads, in, cs, bs, dout, B, col, dcol, din);
        return;
    }
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, n = nb * P;
        const float *dchunk = dout + (size_t)b0 * P;
        im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
        /* dW (+)= dout_chunk · col_chunkᵀ */
        nn_sgemm(0, 1, M, K, n, dchunk, N, col, n, b0 ? 1.0f : 0.0f, dW, K);
        if (!din) continue;
        /* dcol = Wᵀ · dout_chunk, then scattered back onto the chunk's images */
        nn_sgemm(1, 0, K, n, M, params + L->w_off, K, dchunk, N, 0.0f, dcol, n);
        col2im(dcol, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, din + b0 * bs);
    }
}

#if NN_X86
/*
 * AVX-512 max-pool for planes whose width W is even and at most 32 (one
 * input row = one or two vectors): the four values of each window are
 * compared lane-wise, pairs reduced by permutes. Backward picks the first
 * maximum in PyTorch's order (row 0 left, right, row 1 left, right) with
 * mask arithmetic on the 16-bit lane masks.
 */
__attribute__((target("avx512f"))) static void maxpool_fwd_avx512(const float *in, size_t planes,
                                                                   int H, int W, int Ho, int Wo,
                                                                   float *out) {
    int nv = (W + 15) / 16;
    __mmask16 lm[2] = {(__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1),
                       (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0)};
    int32_t ev[16], od[16];
    for (int l = 0; l < 16; l++) { ev[l] = 2 * l; od[l] = 2 * l + 1; }
    __m512i iev = _mm512_loadu_si512(ev), iod = _mm512_loadu_si512(od);
    __mmask16 om = (__mmask16)((1u << Wo) - 1);
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

__attribute__((target("avx512f"))) static void maxpool_bwd_avx512(
    const float *in, const float *out, const float *dout, size_t planes, int H, int W, int Ho,
    int Wo, int mask_relu, float *din) {
    int nv = (W + 15) / 16;
    __mmask16 lm[2] = {(__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1),
                       (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0)};
    int32_t dup[2][16];
    for (int l = 0; l < 16; l++) { dup[0][l] = l / 2; dup[1][l] = 8 + l / 2; }
    __m512i idup[2] = {_mm512_loadu_si512(dup[0]), _mm512_loadu_si512(dup[1])};
    __mmask16 om = (__mmask16)((1u << Wo) - 1);
    const unsigned EV = 0x5555;
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = din + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            float *d0 = dst + (size_t)(2 * oy) * W, *d1 = d0 + W;
            __m512 o = _mm512_maskz_loadu_ps(om, out + p * Ho * Wo + (size_t)oy * Wo);
            __m512 g = _mm512_maskz_loadu_ps(om, dout + p * Ho * Wo + (size_t)oy * Wo);
            for (int v = 0; v < nv; v++) {
                __m512 ov = _mm512_permutexvar_ps(idup[v], o);
                __m512 gv = _mm512_permutexvar_ps(idup[v], g);
                unsigned e0 = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(lm[v], r0 + 16 * v), ov,
                                                 _CMP_EQ_OQ);
                unsigned e1 = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(lm[v], r1 + 16 * v), ov,
                                                 _CMP_EQ_OQ);
                unsigned a = e0 & EV;                       /* row 0, left */
                unsigned b = e0 & ~EV & ~(a << 1);          /* row 0, right */
                unsigned top = a | (b >> 1);                /* window's max found in row 0 */
                top |= top << 1;
                unsigned c = e1 & EV & ~top;                /* row 1, left */
                unsigned d = e1 & ~EV & ~((top | c) << 1);  /* row 1, right */
                unsigned live = lm[v];
                if (mask_relu) live &= _mm512_cmp_ps_mask(ov, _mm512_setzero_ps(), _CMP_GT_OQ);
                _mm512_mask_storeu_ps(d0 + 16 * v, lm[v],
                                      _mm512_maskz_mov_ps((__mmask16)((a | b) & live), gv));
                _mm512_mask_storeu_ps(d1 + 16 * v, lm[v],
                                      _mm512_maskz_mov_ps((__mmask16)((c | d) & live), gv));
            }
        }
    }
}
#endif

/* MaxPool2d(2,2) forward over C·B planes of H×W → Ho×Wo (floored). */
void nn_maxpool_forward(const nn_layer *L, const float *in, int B, float *out) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
#if NN_X86
    if (nn_use_avx512() && W % 2 == 0 && W <= 32) {
        maxpool_fwd_avx512(in, planes, H, W, Ho, Wo, out);
        return;
    }
#endif
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            for (int ox = 0; ox < Wo; ox++) {
                float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                float m = a;
                if (b > m) m = b;
                if (c > m) m = c;
                if (d > m) m = d;
                dst[(size_t)oy * Wo + ox] = m;
            }
        }
    }
}

/*
 * MaxPool backward: the gradient goes to the first maximum in the window (as
 * PyTorch), every other input position gets 0 (written here, no memset).
 * When the pool's input is a ReLU output (L->pool_masks_relu), a window whose
 * maximum is 0 passes no gradient: that is the ReLU's backward (grad·[y > 0])
 * folded in, so the ReLU layer's own backward pass is skipped.
 */
void nn_maxpool_backward(const nn_layer *L, const float *in, const float *out, const float *dout,
                         int B, float *din) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
    int mask = L->pool_masks_relu;
    if ((H & 1) || (W & 1)) memset(din, 0, sizeof(float) * planes * H * W);
#if NN_X86
    if (nn_use_avx512() && W % 2 == 0 && W <= 32) {
        maxpool_bwd_avx512(in, out, dout, planes, H, W, Ho, Wo, mask, din);
        return;
    }
#endif
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

/* Linear forward: out[B][O] = in[B][I] · Wᵀ + b. */
void nn_linear_forward(const nn_layer *L, const float *params, const float *in, int B, float *out) {
    int I = L->in_c, O = L->out_c;
    nn_sgemm(0, 1, B, O, I, in, I, params + L->w_off, I, 0.0f, out, O);
    const float *bias = params + L->b_off;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++) out[(size_t)b * O + o] += bias[o];
}

/* Linear backward: dW = doutᵀ · in, db = Σ_b dout, din = dout · W. */
void nn_linear_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                        const float *dout, int B, float *din) {
    int I = L->in_c, O = L->out_c;
    nn_sgemm(1, 0, O, I, B, dout, O, in, I, 0.0f, grads + L->w_off, I);
    float *db = grads + L->b_off;
    for (int o = 0; o < O; o++) db[o] = 0.0f;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++) db[o] += dout[(size_t)b * O + o];
    if (din) nn_sgemm(0, 0, B, I, O, dout, O, params + L->w_off, I, 0.0f, din, I);
}

/* Flatten: CB layout [C][B][HW] → [B][C·HW] (channel-major features). */
void nn_flatten_forward(const nn_layer *L, const float *in, int B, float *out) {
    if (L->in_flat) {
        memcpy(out, in, sizeof(float) * (size_t)B * L->in_size);
        return;
    }
    int C = L->in_c;
    size_t hw = (size_t)L->in_h * L->in_w;
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
